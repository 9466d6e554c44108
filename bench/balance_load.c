/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * balance_load: the open-loop load generator of bench/balance.sh, and
 * the arithmetic on what it recorded.
 *
 *	balance_load run ADDR PORT RATE SECONDS TIMEOUT_MS OUTFILE
 *	balance_load report LABEL HOG_START_US HOG_END_US HOGGED NODES FILE
 *
 * run sends RATE requests a second for SECONDS, each on a new TCP
 * connection, on a fixed schedule that does not wait for answers (open
 * loop), so a slow backend cannot slow the offered load down.  A
 * request's latency runs from its scheduled start to the end of the
 * answer, so a late start of the generator counts against it too.
 * OUTFILE gets one line per request:
 *	SCHEDULED_REALTIME_US LATENCY_US RESULT NODE
 * RESULT is ok, timeout, refused, reset, connerr, http5xx, http or
 * local (the generator could not even open a socket).  NODE is the
 * name the backend wrote as "node=NAME", or "-".
 *
 * report prints four lines, for the requests scheduled before
 * HOG_START_US (PHASE pre), between it and HOG_END_US (hog; realtime,
 * microseconds), after (post) and for all:
 *	LABEL PHASE N COUNT... TIMEOUT REFUSED 5XX OTHER P50 P99 P999 T
 * with one COUNT per name in NODES (comma-separated), latencies in
 * microseconds, a failed request ranked above every answer (printed as
 * FAILED when a percentile falls on one).  T, on the hog line, is the
 * time from HOG_START_US until the share of node HOGGED, over the
 * answered requests of a sliding one-second window, first falls below
 * one sixth (half of its fair third); on the post line, the time from
 * HOG_END_US until that share is back to 0.8 of its fair third; in
 * milliseconds, or "never"; "-" on the others.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <err.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQS	2000000
#define RESP_MAX	512
#define NAME_MAX_LEN	32
#define MAX_EVENTS	256
#define MAX_NODES	8
#define FAILED		UINT64_MAX
#define WINDOW_US	1000000
#define WINDOW_STEP_US	100000

enum state { IDLE, CONNECTING, READING, DONE };
enum result { RES_OK, RES_TIMEOUT, RES_REFUSED, RES_RESET, RES_CONNERR, RES_5XX,
    RES_HTTP, RES_LOCAL, RES_N };
static const char *const result_names[RES_N] = {
	"ok", "timeout", "refused", "reset", "connerr", "http5xx", "http",
	"local",
};

struct req {
	uint64_t	 sched_ns;	/* CLOCK_MONOTONIC */
	uint64_t	 latency_ns;
	int		 fd;
	enum state	 state;
	enum result	 result;
	size_t		 len;
	char		 node[NAME_MAX_LEN];
	char		*resp;		/* while in flight */
};

static const char request[] =
    "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";

static struct req	*reqs;
static size_t		 nreqs, inflight, max_inflight;
static uint64_t		 max_lag_ns;
static int		 ep;

static uint64_t
mono_ns(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static void
req_finish(struct req *r, enum result res, uint64_t now)
{
	r->result = res;
	r->latency_ns = now - r->sched_ns;
	r->state = DONE;
	if (r->fd != -1) {
		(void)epoll_ctl(ep, EPOLL_CTL_DEL, r->fd, NULL);
		close(r->fd);
		r->fd = -1;
	}
	free(r->resp);
	r->resp = NULL;
	inflight--;
}

static void
req_start(struct req *r, const struct sockaddr_in *sin, uint64_t now)
{
	struct epoll_event	 ev;

	if (now - r->sched_ns > max_lag_ns)
		max_lag_ns = now - r->sched_ns;
	inflight++;
	if (inflight > max_inflight)
		max_inflight = inflight;
	r->state = CONNECTING;
	if ((r->resp = malloc(RESP_MAX)) == NULL ||
	    (r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1) {
		req_finish(r, RES_LOCAL, now);
		return;
	}
	if (connect(r->fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 &&
	    errno != EINPROGRESS) {
		req_finish(r, errno == ECONNREFUSED ? RES_REFUSED : RES_CONNERR,
		    now);
		return;
	}
	ev.events = EPOLLOUT;
	ev.data.ptr = r;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, r->fd, &ev) == -1)
		req_finish(r, RES_LOCAL, now);
}

static void
req_connected(struct req *r, uint64_t now)
{
	struct epoll_event	 ev;
	socklen_t		 len = sizeof(int);
	int			 e = 0;

	if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e != 0) {
		req_finish(r, e == ECONNREFUSED ? RES_REFUSED : RES_CONNERR, now);
		return;
	}
	/* A fresh socket's buffer takes the short request whole. */
	if (write(r->fd, request, sizeof(request) - 1) !=
	    (ssize_t)(sizeof(request) - 1)) {
		req_finish(r, RES_CONNERR, now);
		return;
	}
	r->state = READING;
	r->len = 0;
	ev.events = EPOLLIN;
	ev.data.ptr = r;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, r->fd, &ev) == -1)
		req_finish(r, RES_LOCAL, now);
}

/* The whole answer is in: what it says. */
static void
req_parse(struct req *r, uint64_t now)
{
	const char	*p;
	int		 status;
	size_t		 i;

	r->resp[r->len] = '\0';
	if (sscanf(r->resp, "HTTP/1.%*d %d", &status) != 1) {
		req_finish(r, RES_HTTP, now);
		return;
	}
	if (status != 200) {
		req_finish(r, status >= 500 ? RES_5XX : RES_HTTP, now);
		return;
	}
	if ((p = strstr(r->resp, "\r\n\r\nnode=")) != NULL) {
		p += 9;
		for (i = 0; i < NAME_MAX_LEN - 1 && p[i] != '\0' &&
		    p[i] != ' ' && p[i] != '\n'; i++)
			r->node[i] = p[i];
		r->node[i] = '\0';
	}
	req_finish(r, RES_OK, now);
}

static void
req_readable(struct req *r, uint64_t now)
{
	char	 sink[RESP_MAX];
	ssize_t	 n;

	if (r->len < RESP_MAX - 1)
		n = read(r->fd, r->resp + r->len, RESP_MAX - 1 - r->len);
	else
		n = read(r->fd, sink, sizeof(sink));	/* only the head counts */
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1 && r->len == 0) {
		req_finish(r, RES_RESET, now);
		return;
	}
	if (n <= 0) {
		req_parse(r, now);
		return;
	}
	if (r->len < RESP_MAX - 1)
		r->len += (size_t)n;
}

/* Requests are in schedule order and share one timeout. */
static void
expire(size_t *oldest, size_t next, uint64_t now, uint64_t timeout_ns)
{
	size_t	 i;

	while (*oldest < next && reqs[*oldest].state == DONE)
		(*oldest)++;
	for (i = *oldest; i < next && reqs[i].sched_ns + timeout_ns <= now;
	    i++) {
		if (reqs[i].state != DONE)
			req_finish(&reqs[i], RES_TIMEOUT, now);
	}
}

static void
timer_at(int tfd, uint64_t at_ns)
{
	struct itimerspec	 its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(at_ns / 1000000000);
	its.it_value.tv_nsec = (long)(at_ns % 1000000000);
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		err(1, "timerfd_settime");
}

static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit");
}

static void
write_records(const char *path, uint64_t mono0, uint64_t real0_us)
{
	FILE	*fp;
	size_t	 i;

	if ((fp = fopen(path, "w")) == NULL)
		err(1, "%s", path);
	for (i = 0; i < nreqs; i++)
		fprintf(fp, "%" PRIu64 " %" PRIu64 " %s %s\n",
		    real0_us + (reqs[i].sched_ns - mono0) / 1000,
		    reqs[i].latency_ns / 1000, result_names[reqs[i].result],
		    reqs[i].node[0] != '\0' ? reqs[i].node : "-");
	if (fclose(fp) == EOF)
		err(1, "%s", path);
}

static int
run(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	struct epoll_event	 ev, evs[MAX_EVENTS];
	struct timespec		 rt;
	struct req		*r;
	uint64_t		 mono0, now, timeout_ns, tick;
	size_t			 i, next = 0, oldest = 0, nok = 0;
	double			 rate, secs;
	int			 tfd, n;

	if (argc != 8)
		errx(2, "usage: balance_load run ADDR PORT RATE SECONDS "
		    "TIMEOUT_MS OUTFILE");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1)
		errx(1, "bad address %s", argv[2]);
	rate = atof(argv[4]);
	secs = atof(argv[5]);
	timeout_ns = strtoull(argv[6], NULL, 10) * 1000000;
	if (rate <= 0 || secs <= 0 || rate * secs > MAX_REQS || timeout_ns == 0)
		errx(1, "rate and seconds must be positive, at most %d "
		    "requests, and the timeout above 0", MAX_REQS);
	raise_nofile();
	nreqs = (size_t)(rate * secs);
	if ((reqs = calloc(nreqs, sizeof(*reqs))) == NULL)
		err(1, "calloc");
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK)) == -1)
		err(1, "epoll/timerfd");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) == -1)
		err(1, "epoll_ctl");

	mono0 = mono_ns() + 1000000;
	if (clock_gettime(CLOCK_REALTIME, &rt) == -1)
		err(1, "clock_gettime");
	for (i = 0; i < nreqs; i++) {
		reqs[i].sched_ns = mono0 + (uint64_t)(i * 1e9 / rate);
		reqs[i].fd = -1;
	}
	/* Every request ends by its timeout: the loop is bounded by that. */
	for (;;) {
		now = mono_ns();
		while (next < nreqs && reqs[next].sched_ns <= now)
			req_start(&reqs[next++], &sin, now);
		expire(&oldest, next, now, timeout_ns);
		if (next == nreqs && inflight == 0)
			break;
		timer_at(tfd, next < nreqs ? reqs[next].sched_ns :
		    now + 10000000);
		if ((n = epoll_wait(ep, evs, MAX_EVENTS, 100)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		now = mono_ns();
		for (i = 0; i < (size_t)n; i++) {
			if ((r = evs[i].data.ptr) == NULL) {
				(void)read(tfd, &tick, sizeof(tick));
				continue;
			}
			if (r->state == CONNECTING)
				req_connected(r, now);
			else if (r->state == READING)
				req_readable(r, now);
		}
	}
	for (i = 0; i < nreqs; i++)
		nok += reqs[i].result == RES_OK;
	printf("sent %zu ok %zu failed %zu at %.0f/s, most in flight %zu, "
	    "latest start %.1f ms\n", nreqs, nok, nreqs - nok, rate,
	    max_inflight, max_lag_ns / 1e6);
	write_records(argv[7], mono0,
	    (uint64_t)rt.tv_sec * 1000000 + (uint64_t)rt.tv_nsec / 1000 +
	    1000);
	return 0;
}

/* --- report ------------------------------------------------------------ */

struct rec {
	uint64_t	 t_us;
	uint64_t	 lat_us;		/* FAILED for a failure */
	int		 result;
	int		 node;			/* index into names, or -1 */
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
print_pct(const uint64_t *sorted, size_t n, double q)
{
	size_t	 k;

	if (n == 0) {
		printf(" -");
		return;
	}
	k = (size_t)(q * (double)n + 0.999999);
	k = k == 0 ? 0 : k - 1;
	if (sorted[k] == FAILED)
		printf(" FAILED");
	else
		printf(" %" PRIu64, sorted[k]);
}

/*
 * The time from start to the first sliding window (ending by end) in
 * which the hogged node's share of the answers is below num/den, or,
 * with above set, at least num/den; or "never".
 */
static void
print_share_time(const struct rec *recs, size_t n, uint64_t start,
    uint64_t end, int hogged, size_t num, size_t den, int above)
{
	uint64_t	 t;
	size_t		 i, total, mine;

	for (t = start + WINDOW_STEP_US; t <= end; t += WINDOW_STEP_US) {
		total = mine = 0;
		for (i = 0; i < n; i++) {
			if (recs[i].t_us + WINDOW_US <= t || recs[i].t_us >= t ||
			    recs[i].node == -1)
				continue;
			total++;
			mine += recs[i].node == hogged;
		}
		if (total > 0 && (above ? mine * den >= total * num :
		    mine * den < total * num)) {
			printf(" %" PRIu64 "\n", (t - start) / 1000);
			return;
		}
	}
	printf(" never\n");
}

static void
print_phase(const char *label, const char *phase, const struct rec *recs,
    size_t n, uint64_t from, uint64_t to, size_t nnodes)
{
	uint64_t	*lat;
	size_t		 i, m = 0, count[MAX_NODES] = { 0 }, errs[4] = { 0 };

	if ((lat = calloc(n ? n : 1, sizeof(*lat))) == NULL)
		err(1, "calloc");
	for (i = 0; i < n; i++) {
		if (recs[i].t_us < from || recs[i].t_us >= to)
			continue;
		lat[m++] = recs[i].lat_us;
		if (recs[i].node >= 0)
			count[recs[i].node]++;
		switch (recs[i].result) {
		case RES_OK:
			break;
		case RES_TIMEOUT:
			errs[0]++;
			break;
		case RES_REFUSED:
			errs[1]++;
			break;
		case RES_5XX:
			errs[2]++;
			break;
		default:
			errs[3]++;
			break;
		}
	}
	qsort(lat, m, sizeof(*lat), cmp_u64);
	printf("%s %s %zu", label, phase, m);
	for (i = 0; i < nnodes; i++)
		printf(" %zu", count[i]);
	printf(" %zu %zu %zu %zu", errs[0], errs[1], errs[2], errs[3]);
	print_pct(lat, m, 0.50);
	print_pct(lat, m, 0.99);
	print_pct(lat, m, 0.999);
	free(lat);
}

static int
result_of(const char *s)
{
	int	 i;

	for (i = 0; i < RES_N; i++)
		if (strcmp(s, result_names[i]) == 0)
			return i;
	return -1;
}

static int
report(int argc, char *argv[])
{
	char		*names[MAX_NODES], *list, *tok, res[16], node[64];
	struct rec	*recs;
	uint64_t	 hog0, hog1, t, lat, last;
	size_t		 n = 0, nnodes = 0, i;
	int		 hogged = -1, line = 0;
	FILE		*fp;

	if (argc != 8)
		errx(2, "usage: balance_load report LABEL HOG_START_US "
		    "HOG_END_US HOGGED NODES FILE");
	hog0 = strtoull(argv[3], NULL, 10);
	hog1 = strtoull(argv[4], NULL, 10);
	if ((list = strdup(argv[6])) == NULL)
		err(1, "strdup");
	for (tok = strtok(list, ","); tok != NULL; tok = strtok(NULL, ",")) {
		if (nnodes == MAX_NODES)
			errx(1, "at most %d nodes", MAX_NODES);
		if (strcmp(tok, argv[5]) == 0)
			hogged = (int)nnodes;
		names[nnodes++] = tok;
	}
	if (hogged == -1 || hog1 <= hog0)
		errx(1, "%s is not among %s, or the hog phase is empty",
		    argv[5], argv[6]);
	if ((recs = calloc(MAX_REQS, sizeof(*recs))) == NULL)
		err(1, "calloc");
	if ((fp = fopen(argv[7], "r")) == NULL)
		err(1, "%s", argv[7]);
	while (n < MAX_REQS && fscanf(fp, "%" SCNu64 " %" SCNu64 " %15s %63s",
	    &t, &lat, res, node) == 4) {
		line++;
		if ((recs[n].result = result_of(res)) == -1)
			errx(1, "%s:%d: unknown result %s", argv[7], line, res);
		recs[n].t_us = t;
		recs[n].lat_us = recs[n].result == RES_OK ? lat : FAILED;
		recs[n].node = -1;
		for (i = 0; i < nnodes; i++)
			if (strcmp(node, names[i]) == 0)
				recs[n].node = (int)i;
		n++;
	}
	if (ferror(fp) || !feof(fp))
		errx(1, "%s: unreadable after %zu records", argv[7], n);
	fclose(fp);
	for (i = 0, last = 0; i < n; i++)
		if (recs[i].t_us > last)
			last = recs[i].t_us;
	print_phase(argv[2], "pre", recs, n, 0, hog0, nnodes);
	printf(" -\n");
	print_phase(argv[2], "hog", recs, n, hog0, hog1, nnodes);
	print_share_time(recs, n, hog0, hog1, hogged, 1, 6, 0);
	print_phase(argv[2], "post", recs, n, hog1, UINT64_MAX, nnodes);
	print_share_time(recs, n, hog1, last, hogged, 4, 15, 1);
	print_phase(argv[2], "all", recs, n, 0, UINT64_MAX, nnodes);
	printf(" -\n");
	free(recs);
	free(list);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return run(argc, argv);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report(argc, argv);
	errx(2, "usage: balance_load run|report ...");
}
