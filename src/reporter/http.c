/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * HTTP on the socket the monitor opened: GET /load in the form Kemp's
 * LoadMaster polls ("adaptive" scheduling) and GET /metrics in the
 * Prometheus text exposition format.  evhttp does the protocol; we
 * bound what it may be sent, how long a connection may idle and how
 * long it may live, and admit each connection (admit.c) before evhttp
 * reads a byte of it.
 */
#include <sys/socket.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "names.h"
#include "reporter.h"

#define HTTP_HEADERS_MAX	4096
#define HTTP_BODY_MAX		1024
#define HTTP_TIMEOUT_SECS	5	/* idle */
#define HTTP_LIFETIME_MS	5000	/* from accept to close, whatever comes */
#define HTTP_CONN_MAX		128
#define HTTP_CONN_PER_SOURCE	8
#define HTTP_STATUS_FORBIDDEN	403	/* evhttp has no name for it */

#define HTTP_METHODS_ALL	(EVHTTP_REQ_GET | EVHTTP_REQ_POST |	\
	EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |		\
	EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |	\
	EVHTTP_REQ_PATCH)

/* Kemp: 0 idle .. 100 overloaded; above 100 the server takes no new work. */
#define KEMP_LOAD_DOWN		101	/* drain: out of rotation, sessions go on */
#define KEMP_LOAD_DISABLED	102	/* maint: administratively disabled */

static struct evhttp			*http;
static struct evhttp_bound_socket	*http_bound;
static struct admit			*http_admit;

/*
 * Connections accepted in this turn of the event loop, not yet
 * admitted.  evhttp only starts reading them in a later turn, so the
 * check, run in this one, comes before any byte is read.
 */
static struct bufferevent		**pending;
static size_t				 npending, pending_cap;
static struct event			*admit_ev;

/*
 * The load the weight comes from, so that Kemp and the other protocols
 * agree.  Kemp has no drain: 101 ("server down") takes the node out of
 * rotation without cutting established sessions, which is what drain
 * means here; 102 is its "administratively disabled".
 */
static void
http_load(struct evbuffer *b)
{
	unsigned int	 load;

	switch (rep->admin) {
	case ADMIN_DRAIN:
		load = KEMP_LOAD_DOWN;
		break;
	case ADMIN_MAINT:
		load = KEMP_LOAD_DISABLED;
		break;
	default:
		load = rep->weight >= 100 ? 0 : 100 - rep->weight;
		break;
	}
	evbuffer_add_printf(b, "%u\n", load);
}

static void
metric_head(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP lbnoded_%s %s\n# TYPE lbnoded_%s %s\n",
	    name, help, name, type);
}

static void
metric_u64(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metric_head(b, name, type, help);
	evbuffer_add_printf(b, "lbnoded_%s %llu\n", name, (unsigned long long)v);
}

/* A figure kept in hundredths, as a ratio (per 10000) or a plain number. */
static void
metric_frac(struct evbuffer *b, const char *name, const char *help,
    uint32_t v, uint32_t one)
{
	metric_head(b, name, "gauge", help);
	evbuffer_add_printf(b, "lbnoded_%s %u.%0*u\n", name, v / one,
	    one == 10000 ? 4 : 2, v % one);
}

static void
http_metrics(struct evbuffer *b)
{
	size_t	 i;

	metric_head(b, "build_info", "gauge", "The version, as a label.");
	evbuffer_add_printf(b, "lbnoded_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	metric_frac(b, "cpu_busy_ratio", "Smoothed CPU busy share.",
	    rep->load.busy_x100, 10000);
	metric_frac(b, "loadavg_per_cpu", "1-minute load average per CPU.",
	    rep->load.loadavg_x100, 100);
	metric_frac(b, "memory_used_ratio", "1 - MemAvailable/MemTotal.",
	    rep->load.mem_used_x100, 10000);
	metric_u64(b, "weight", "gauge", "Weight reported to the LBs.",
	    rep->weight);
	metric_head(b, "admin_state", "gauge", "Administrative state.");
	for (i = ADMIN_READY; i <= ADMIN_MAINT; i++)
		evbuffer_add_printf(b, "lbnoded_admin_state{state=\"%s\"} %d\n",
		    admin_name(i), rep->admin == i);
	metric_u64(b, "lbnp_packets_received_total", "counter",
	    "LBNP packets received.", rep->counters.rx_packets);
	metric_u64(b, "lbnp_packets_sent_total", "counter",
	    "LBNP packets sent.", rep->counters.tx_packets);
	metric_head(b, "lbnp_packets_dropped_total", "counter",
	    "Packets and connections dropped, by reason.");
	for (i = DROP_NONE + 1; i < DROP_MAX; i++)
		evbuffer_add_printf(b,
		    "lbnoded_lbnp_packets_dropped_total{reason=\"%s\"} %llu\n",
		    drop_name(i), (unsigned long long)rep->counters.dropped[i]);
	metric_u64(b, "lbs_seen", "gauge", "Load balancers remembered.",
	    rep->nlbs);
	metric_u64(b, "agent_queries_total", "counter",
	    "HAProxy agent-check queries answered.",
	    rep->counters.agent_queries);
	metric_u64(b, "http_requests_total", "counter", "HTTP requests.",
	    rep->counters.http_queries);
	metric_head(b, "process_restarts_total", "counter",
	    "Restarts of a child process by the monitor.");
	for (i = PROC_NETCFG; i < PROC_MAX; i++)
		evbuffer_add_printf(b,
		    "lbnoded_process_restarts_total{process=\"%s\"} %u\n",
		    proc_name(i), rep->restarts[i]);
	metric_u64(b, "config_generation", "gauge",
	    "Loads of the configuration file.", rep->conf.conf_generation);
	metric_u64(b, "lb_config_generation", "gauge",
	    "Generation of the last CONFIG accepted from an LB.",
	    rep->generation);
	metric_head(b, "sample_source", "gauge",
	    "Where the CPU busy share comes from.");
	evbuffer_add_printf(b, "lbnoded_sample_source{source=\"procstat\"} %d\n"
	    "lbnoded_sample_source{source=\"cgroup\"} %d\n",
	    !rep->load.cgroup, rep->load.cgroup);
}

static const struct http_page {
	const char	*path;
	const char	*content_type;
	void		(*fill)(struct evbuffer *);
} http_pages[] = {
	{ "/load", "text/plain", http_load },
	{ "/metrics", "text/plain; version=0.0.4; charset=utf-8", http_metrics },
};

static void
http_error(struct evhttp_request *req, int code, const char *reason)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Connection", "close");
	evhttp_send_error(req, code, reason);
}

static void
http_request(struct evhttp_request *req, void *arg)
{
	const struct sockaddr	*sa;
	const struct http_page	*page = NULL;
	const char		*path;
	struct evbuffer		*body;
	size_t			 i;

	(void)arg;
	rep->counters.http_queries++;
	/* admit_check() refused strangers; the allowlist may have changed. */
	sa = evhttp_connection_get_addr(evhttp_request_get_connection(req));
	if (sa == NULL || !lb_allowed(sa)) {
		rep->counters.dropped[DROP_ALLOW]++;
		log_debug("http: request from a source not allowed");
		http_error(req, HTTP_STATUS_FORBIDDEN, "Forbidden");
		return;
	}
	lb_seen(sa);
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	for (i = 0; path != NULL && i < sizeof(http_pages) /
	    sizeof(http_pages[0]); i++)
		if (strcmp(path, http_pages[i].path) == 0)
			page = &http_pages[i];
	if (page == NULL) {
		http_error(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		http_error(req, HTTP_BADMETHOD, "Method Not Allowed");
		return;
	}
	if ((body = evbuffer_new()) == NULL) {
		http_error(req, HTTP_INTERNAL, "Internal Server Error");
		return;
	}
	page->fill(body);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", page->content_type);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* Admit or cut each connection accepted in this turn. */
static void
http_admit_pending(int fd, short ev, void *arg)
{
	size_t	 i;
	int	 cfd;

	(void)fd;
	(void)ev;
	(void)arg;
	for (i = 0; i < npending; i++) {
		cfd = bufferevent_getfd(pending[i]);
		if (cfd != -1 && admit_check(http_admit, cfd) != ADMIT_OK)
			(void)shutdown(cfd, SHUT_RDWR);	/* evhttp sees EOF */
		bufferevent_decref(pending[i]);
	}
	npending = 0;
}

/*
 * evhttp's hook for a new connection's bufferevent, the one evhttp
 * would make itself; we keep a reference until the check has run.
 * Out of memory, evhttp makes its own, unchecked: the allowlist is
 * checked again at the request.
 */
static struct bufferevent *
http_new_bev(struct event_base *base, void *arg)
{
	struct bufferevent	**p;
	struct bufferevent	 *bev;
	size_t			  cap;

	(void)arg;
	if (npending == pending_cap) {
		cap = pending_cap ? pending_cap * 2 : 16;
		if ((p = reallocarray(pending, cap, sizeof(*p))) == NULL)
			return NULL;
		pending = p;
		pending_cap = cap;
	}
	if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	pending[npending++] = bev;
	admit_accepted(http_admit);
	event_active(admit_ev, EV_TIMEOUT, 0);
	return bev;
}

static void
http_accept_error(struct evconnlistener *lev, void *arg)
{
	(void)lev;
	(void)arg;
	admit_accept_failed(http_admit, errno);
}

/* Out of descriptors: stop accepting, or resume. */
static void
http_pause(int pause)
{
	struct evconnlistener	*lev;

	if (http_bound == NULL)
		return;
	lev = evhttp_bound_socket_get_listener(http_bound);
	if ((pause ? evconnlistener_disable(lev) :
	    evconnlistener_enable(lev)) == -1)
		fatalx("http: listener");
}

static void
http_init(void)
{
	http_admit = admit_new("http", HTTP_CONN_MAX, HTTP_CONN_PER_SOURCE,
	    HTTP_LIFETIME_MS, http_pause);
	if ((admit_ev = event_new(rep->base, -1, 0, http_admit_pending,
	    NULL)) == NULL)
		fatalx("http: event_new");
	if ((http = evhttp_new(rep->base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_bevcb(http, http_new_bev, NULL);
	evhttp_set_max_headers_size(http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(http, HTTP_BODY_MAX);
	evhttp_set_timeout(http, HTTP_TIMEOUT_SECS);
	/* Every method reaches us, so a known path answers 405, not 501. */
	evhttp_set_allowed_methods(http, HTTP_METHODS_ALL);
	evhttp_set_gencb(http, http_request, NULL);
}

/* The listening socket from the monitor; -1 closes ours. */
void
http_set_socket(int fd)
{
	if (http == NULL)
		http_init();
	if (http_bound != NULL) {
		evhttp_del_accept_socket(http, http_bound);
		http_bound = NULL;
	}
	if (fd == -1)
		return;
	reporter_nonblock(fd);		/* evconnlistener expects it */
	if ((http_bound = evhttp_accept_socket_with_handle(http, fd)) == NULL)
		fatalx("http: cannot accept on the socket");
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(http_bound),
	    http_accept_error);
}
