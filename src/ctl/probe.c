/*
 * lbnodectl probe and push: a load balancer's side of LBNP/1.  probe
 * sends a QUERY and prints the REPORT; with --keepalived its exit
 * status is a keepalived MISC_CHECK answer.  push sends a CONFIG and
 * prints the CONFIG-ACK.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "ctl.h"
#include "key.h"
#include "lbnodectl.h"
#include "lbnpctl.h"
#include "names.h"

#define PROBE_TIMEOUT	1	/* seconds per try */
#define PUSH_TIMEOUT	5	/* applying rules takes longer */
#define TRIES		3
#define PUSH_SPECS_MAX	1024	/* VIP-SPECs on one command line */
/* keepalived misc_dynamic: exit 2 + weight, up to 255 */
#define KEEPALIVED_WEIGHT_MAX	253

struct exchange {
	int			 fd;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	const struct key_msg	*key;
	int			 timeout;	/* seconds per try */
	uint8_t			 want;		/* the answer's type */
};

static struct lbnp_replay	 replay;
static uint8_t			 pkt[65536];

/* Load the key, if a key file is given, and get libsodium ready. */
int
lbnpctl_init(const char *keyfile, struct key_msg *key)
{
	memset(key, 0, sizeof(*key));
	if (sodium_init() == -1) {
		warnx("sodium_init failed");
		return -1;
	}
	if (keyfile != NULL && key_read(keyfile, key) == -1)
		return -1;
	return 0;
}

static int
number(const char *s, unsigned long long max, unsigned long long *v)
{
	char	*end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return *s == '\0' || *s == '-' || *end != '\0' || errno != 0 ||
	    *v > max ? -1 : 0;
}

void
lbnpctl_opts_init(struct lbnpctl_opts *o, int seconds)
{
	memset(o, 0, sizeof(*o));
	o->port = LBNP_PORT;
	o->json = ctl_json;
	o->seconds = seconds;
}

/* 1: a shared option, taken; 0: not one of them; -1: a bad value. */
int
lbnpctl_option(int ch, const char *arg, struct lbnpctl_opts *o)
{
	unsigned long long	 v;

	switch (ch) {
	case 'j':
		o->json = 1;
		return 1;
	case 'k':
		o->keyfile = arg;
		return 1;
	case 'p':
		if (number(arg, 65535, &v) == -1 || v == 0) {
			warnx("port %s: want 1 to 65535", arg);
			return -1;
		}
		o->port = (uint16_t)v;
		return 1;
	case 't':
		if (number(arg, 3600, &v) == -1 || v == 0) {
			warnx("-t %s: want 1 to 3600 seconds", arg);
			return -1;
		}
		o->seconds = (int)v;
		return 1;
	default:
		return 0;
	}
}

/*
 * A datagram as an answer: well formed and, with a key, authentic.
 * Returns 0 or the enum drop_reason.
 */
int
lbnpctl_accept(const uint8_t *p, size_t len, const struct key_msg *key,
    struct lbnp_replay *rc, struct lbnp_msg *m)
{
	int	 r;

	if ((r = lbnp_decode(p, len, m, NULL, 0)) != 0)
		return r;
	if (key->len > 0)
		return lbnp_verify(p, len, key->key, key->len, lbnp_now_ms(),
		    rc);
	return 0;
}

/* Text from the network, on a terminal: printable ASCII only. */
void
lbnpctl_safe(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(isprint((unsigned char)*s) ? *s : '?', f);
}

static void
node_id_hex(const struct lbnp_node *n, char *buf, size_t len)
{
	sodium_bin2hex(buf, len, n->node_id, sizeof(n->node_id));
}

/*
 * One node, the fields of "node" in lbnodectl(8), JSON OUTPUT; from is
 * where the packet came from.
 */
void
lbnpctl_node_json(FILE *f, const struct lbnp_msg *m, const char *from)
{
	const struct lbnp_node	*n = &m->node;
	char			 id[33], a4[ADDR_STRLEN], a6[ADDR_STRLEN];

	node_id_hex(n, id, sizeof(id));
	fputc('{', f);
	json_member_string(f, 1, "from", from);
	json_member_string(f, 0, "hostname", n->hostname);
	json_member_string(f, 0, "node_id", id);
	json_member_string(f, 0, "address",
	    addr_or_null(&n->addr4, a4, sizeof(a4)));
	json_member_string(f, 0, "address6",
	    addr_or_null(&n->addr6, a6, sizeof(a6)));
	json_member_string(f, 0, "server_type", n->server_type);
	json_member_string(f, 0, "admin", admin_name(n->admin));
	json_member_string(f, 0, "reason", m->type == LBNP_ANNOUNCE ?
	    lbnp_reason_name(n->reason) : NULL);
	fprintf(f, ",\"weight\":%u", n->weight);
	json_load(f, n->busy_x100, n->loadavg_x100, n->mem_used_x100);
	fprintf(f, ",\"host_uptime_s\":%llu,\"generation\":%llu,"
	    "\"signed\":%s}", (unsigned long long)n->uptime,
	    (unsigned long long)m->generation,
	    (m->flags & LBNP_F_AUTH) ? "true" : "false");
}

static void
report_text(const struct lbnp_msg *m, const struct key_msg *key)
{
	const struct lbnp_node	*n = &m->node;
	char			 id[33], a[ADDR_STRLEN];

	node_id_hex(n, id, sizeof(id));
	printf("hostname     ");
	lbnpctl_safe(stdout, n->hostname);
	printf("\nnode id      %s\n", id);
	if (n->addr4.af != 0)
		printf("address      %s\n", addr_str(&n->addr4, a, sizeof(a)));
	if (n->addr6.af != 0)
		printf("address6     %s\n", addr_str(&n->addr6, a, sizeof(a)));
	printf("server type  ");
	lbnpctl_safe(stdout, n->server_type);
	printf("\nadmin        %s\n", admin_name(n->admin));
	printf("weight       %u\n", n->weight);
	printf("busy         %u.%02u%%\n", n->busy_x100 / 100, n->busy_x100 % 100);
	printf("load         %u.%02u per CPU\n", n->loadavg_x100 / 100,
	    n->loadavg_x100 % 100);
	printf("memory used  %u.%02u%%\n", n->mem_used_x100 / 100,
	    n->mem_used_x100 % 100);
	printf("uptime       %llu s\n", (unsigned long long)n->uptime);
	printf("generation   %llu\n", (unsigned long long)m->generation);
	printf("signed       %s\n", !(m->flags & LBNP_F_AUTH) ? "no" :
	    key->len > 0 ? "yes, verified" : "yes, not verified (no key)");
}

static int
resolve(const char *node, uint16_t port, struct exchange *x)
{
	struct addrinfo	 hints, *res;
	char		 serv[8];
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	snprintf(serv, sizeof(serv), "%u", port);
	if ((e = getaddrinfo(node, serv, &hints, &res)) != 0) {
		warnx("%s: %s", node, gai_strerror(e));
		return -1;
	}
	memcpy(&x->to, res->ai_addr, res->ai_addrlen);
	x->tolen = res->ai_addrlen;
	freeaddrinfo(res);
	if ((x->fd = socket(x->to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC,
	    0)) == -1) {
		warn("socket");
		return -1;
	}
	return 0;
}

static int
send_request(struct exchange *x, const struct lbnp_msg *req)
{
	static uint8_t		 buf[LBNP_DGRAM_MAX];
	struct lbnp_sign	 sign;
	ssize_t			 n;

	/* Each try is signed afresh: a resent copy would be a replay. */
	if (x->key->len > 0)
		lbnp_sign_init(&sign, x->key->key, x->key->len);
	if ((n = lbnp_encode(req, buf, sizeof(buf),
	    x->key->len > 0 ? &sign : NULL)) == -1) {
		warnx("the %s does not fit a datagram", lbnp_type_name(req->type));
		return -1;
	}
	if (sendto(x->fd, buf, (size_t)n, 0, (struct sockaddr *)&x->to,
	    x->tolen) == -1) {
		warn("sendto");
		return -1;
	}
	return 0;
}

static int
ms_left(const struct timespec *deadline)
{
	struct timespec	 now;
	long long	 ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000LL +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/*
 * Wait up to a try's timeout for the answer to req.  Anything else
 * (another seq, a forgery, a replay) is ignored.  Returns 1 answered,
 * 0 timed out, -1 error.
 */
static int
await_answer(struct exchange *x, const struct lbnp_msg *req, int tries,
    struct lbnp_msg *resp)
{
	struct pollfd	 pfd = { x->fd, POLLIN, 0 };
	struct timespec	 deadline;
	ssize_t		 n;
	int		 ms;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += x->timeout;
	while ((ms = ms_left(&deadline)) > 0) {
		if (poll(&pfd, 1, ms) == -1) {
			if (errno == EINTR)
				continue;
			warn("poll");
			return -1;
		}
		if (!(pfd.revents & POLLIN))
			continue;
		if ((n = recv(x->fd, pkt, sizeof(pkt), 0)) == -1) {
			/* An ICMP error from an earlier try, or the like. */
			continue;
		}
		if (lbnpctl_accept(pkt, (size_t)n, x->key, &replay, resp) != 0 ||
		    resp->type != x->want || resp->seq != req->seq)
			continue;
		/*
		 * "busy" after a retry is most likely about our own first
		 * copy, still being applied: wait on for its answer.
		 */
		if (resp->type == LBNP_CONFIG_ACK &&
		    resp->status == LBNP_STATUS_BUSY && tries > 1)
			continue;
		return 1;
	}
	return 0;
}

/* Send req until it is answered or the tries are spent. */
static int
exchange(struct exchange *x, const struct lbnp_msg *req,
    struct lbnp_msg *resp)
{
	int	 try, r;

	for (try = 1; try <= TRIES; try++) {
		if (send_request(x, req) == -1)
			return -1;
		if ((r = await_answer(x, req, try, resp)) != 0)
			return r;
	}
	return 0;
}

/* What keepalived's MISC_CHECK with misc_dynamic makes of a REPORT. */
static int
keepalived_status(const struct lbnp_msg *m)
{
	uint32_t	 w = m->node.weight;

	switch (m->node.admin) {
	case ADMIN_READY:
		return 2 + (w > KEEPALIVED_WEIGHT_MAX ? KEEPALIVED_WEIGHT_MAX : w);
	case ADMIN_DRAIN:
		return 2;	/* weight 0: kept, but no new connections */
	default:
		return 1;	/* maint, or unknown: take it out */
	}
}

static const struct option probe_longopts[] = {
	{ "keepalived", no_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 }
};

int
cmd_probe(int argc, char *argv[])
{
	static const char	*synopsis = "probe [-j] [--keepalived] "
	    "[-k keyfile] [-p port] [-t timeout] node";
	static struct lbnp_msg	 req, resp;
	struct exchange		 x;
	struct key_msg		 key;
	struct lbnpctl_opts	 o;
	int			 ch, keepalived = 0, r;

	memset(&x, 0, sizeof(x));
	lbnpctl_opts_init(&o, PROBE_TIMEOUT);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "jk:p:t:", probe_longopts,
	    NULL)) != -1) {
		if (ch == 'K') {
			keepalived = 1;
			continue;
		}
		if ((r = lbnpctl_option(ch, optarg, &o)) == -1)
			return 1;
		if (r == 0)
			return ctl_usage(synopsis);
	}
	if (argc - optind != 1)
		return ctl_usage(synopsis);
	x.timeout = o.seconds;
	if (lbnpctl_init(o.keyfile, &key) == -1 ||
	    resolve(argv[optind], o.port, &x) == -1)
		return 1;
	x.key = &key;
	x.want = LBNP_REPORT;
	req.type = LBNP_QUERY;
	req.seq = randombytes_random();
	r = exchange(&x, &req, &resp);
	close(x.fd);
	if (r != 1) {
		if (r == 0 && !keepalived)
			fprintf(stderr, "%s: no answer\n", argv[optind]);
		return 1;
	}
	if (keepalived)
		return keepalived_status(&resp);
	if (o.json) {
		lbnpctl_node_json(stdout, &resp, argv[optind]);
		putchar('\n');
	} else
		report_text(&resp, &key);
	return 0;
}

/* "ADDR" or "[ADDR]", a whole address. */
static int
spec_addr(const char *s, size_t len, struct lbn_addr *a)
{
	char	 buf[ADDR_STRLEN];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf) || memchr(s, '/', len) != NULL)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return addr_parse(buf, a);
}

static int
spec_port(const char *s, uint16_t *port)
{
	unsigned long long	 v;

	if (number(s, 65535, &v) == -1 || v == 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int
spec_ports(char *s, struct dr_entry *e)
{
	char	*dash;

	if ((dash = strchr(s, '-')) != NULL)
		*dash++ = '\0';
	if (spec_port(s, &e->port_lo) == -1)
		return -1;
	e->port_hi = e->port_lo;
	return dash == NULL ? 0 : spec_port(dash, &e->port_hi);
}

/* ",loopback", ",dnat=ADDR", ",to=PORT", ",redirect" */
static int
spec_option(char *opt, struct dr_entry *e)
{
	if (strcmp(opt, "redirect") == 0)
		e->mode = MODE_REDIRECT;
	else if (strcmp(opt, "loopback") == 0)
		e->mode = MODE_LOOPBACK;
	else if (strncmp(opt, "dnat=", 5) == 0) {
		e->mode = MODE_DNAT;
		return spec_addr(opt + 5, strlen(opt + 5), &e->target);
	} else if (strncmp(opt, "to=", 3) == 0)
		return spec_port(opt + 3, &e->to_port);
	else
		return -1;
	return 0;
}

/*
 * PROTO:ADDR:PORT[-PORT][,OPTION...], e.g. tcp:192.0.2.10:8000-8099,
 * udp:[2001:db8::10]:53,loopback or tcp:192.0.2.20:80,dnat=192.0.2.100.
 * Only the syntax is checked here: what the node accepts is its own
 * decision, and it says why it refuses.
 */
static int
parse_spec(const char *spec, struct dr_entry *e)
{
	char	 buf[256], *s, *colon, *opts, *opt;

	memset(e, 0, sizeof(*e));
	if (strlen(spec) >= sizeof(buf))
		return -1;
	strcpy(buf, spec);
	if ((opts = strchr(buf, ',')) != NULL)
		*opts++ = '\0';
	if (strncmp(buf, "tcp:", 4) == 0)
		e->proto = IPPROTO_TCP;
	else if (strncmp(buf, "udp:", 4) == 0)
		e->proto = IPPROTO_UDP;
	else
		return -1;
	s = buf + 4;
	if ((colon = strrchr(s, ':')) == NULL ||
	    spec_addr(s, (size_t)(colon - s), &e->vip) == -1 ||
	    spec_ports(colon + 1, e) == -1)
		return -1;
	while ((opt = strsep(&opts, ",")) != NULL)
		if (spec_option(opt, e) == -1)
			return -1;
	if (e->target.af != 0 && e->target.af != e->vip.af)
		return -1;
	return 0;
}

/* A result's VIP-SPEC: its index is in the request. */
static const char *
result_spec(const struct lbnp_result *r, char **specs, size_t nspecs)
{
	return r->index < nspecs ? specs[r->index] : "?";
}

static void
ack_text(const struct lbnp_msg *m, char **specs, size_t nspecs)
{
	size_t	 i;

	printf("generation %llu: %s", (unsigned long long)m->generation,
	    lbnp_status_name(m->status));
	if (m->message[0] != '\0') {
		printf(": ");
		lbnpctl_safe(stdout, m->message);
	}
	putchar('\n');
	for (i = 0; i < m->nresults; i++) {
		printf("  %s: %s: ", result_spec(&m->results[i], specs, nspecs),
		    lbnp_status_name(m->results[i].status));
		lbnpctl_safe(stdout, m->results[i].reason);
		putchar('\n');
	}
	if (m->omitted > 0)
		printf("  and %u more entries refused\n", m->omitted);
	if (m->has_in_force)
		printf("entries in force: %u\n", m->in_force);
}

/* The fields of "ack" and "result" in lbnodectl(8), JSON OUTPUT. */
static void
ack_json(const struct lbnp_msg *m, char **specs, size_t nspecs)
{
	size_t	 i;

	printf("{\"generation\":%llu", (unsigned long long)m->generation);
	json_member_string(stdout, 0, "status", lbnp_status_name(m->status));
	json_member_string(stdout, 0, "message", m->message);
	if (m->has_in_force)
		printf(",\"in_force\":%u", m->in_force);
	else
		printf(",\"in_force\":null");
	printf(",\"omitted\":%u,\"results\":[", m->omitted);
	for (i = 0; i < m->nresults; i++) {
		printf("%s{\"index\":%u", i ? "," : "", m->results[i].index);
		json_member_string(stdout, 0, "spec",
		    result_spec(&m->results[i], specs, nspecs));
		json_member_string(stdout, 0, "status",
		    lbnp_status_name(m->results[i].status));
		json_member_string(stdout, 0, "reason", m->results[i].reason);
		putchar('}');
	}
	printf("]}\n");
}

int
cmd_push(int argc, char *argv[])
{
	static const char	*synopsis = "push [-j] [-k keyfile] [-p port] "
	    "[-g generation] [-t timeout] node [vip-spec ...]";
	static struct dr_entry	 ents[PUSH_SPECS_MAX];
	static struct lbnp_msg	 req, resp;
	struct exchange		 x;
	struct key_msg		 key;
	struct lbnpctl_opts	 o;
	unsigned long long	 v;
	uint64_t		 generation = (uint64_t)time(NULL);
	size_t			 i, n;
	int			 ch, r;

	memset(&x, 0, sizeof(x));
	lbnpctl_opts_init(&o, PUSH_TIMEOUT);
	optind = 0;
	while ((ch = getopt(argc, argv, "g:jk:p:t:")) != -1) {
		if (ch == 'g') {
			if (number(optarg, ULLONG_MAX, &v) == -1) {
				warnx("generation %s: invalid", optarg);
				return 1;
			}
			generation = v;
			continue;
		}
		if ((r = lbnpctl_option(ch, optarg, &o)) == -1)
			return 1;
		if (r == 0)
			return ctl_usage(synopsis);
	}
	x.timeout = o.seconds;
	if (argc - optind < 1)
		return ctl_usage(synopsis);
	n = (size_t)(argc - optind - 1);
	if (n > PUSH_SPECS_MAX) {
		warnx("more than %d vip-specs", PUSH_SPECS_MAX);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (parse_spec(argv[optind + 1 + i], &ents[i]) == -1) {
			warnx("%s: want PROTO:ADDR:PORT[-PORT][,loopback|"
			    ",dnat=ADDR][,to=PORT]", argv[optind + 1 + i]);
			return 1;
		}
	if (lbnpctl_init(o.keyfile, &key) == -1 ||
	    resolve(argv[optind], o.port, &x) == -1)
		return 1;
	x.key = &key;
	x.want = LBNP_CONFIG_ACK;
	req.type = LBNP_CONFIG;
	req.seq = randombytes_random();
	req.generation = generation;
	req.entries = ents;
	req.nentries = n;
	r = exchange(&x, &req, &resp);
	close(x.fd);
	if (r != 1) {
		if (r == 0)
			fprintf(stderr, "%s: no answer\n", argv[optind]);
		return 1;
	}
	if (o.json)
		ack_json(&resp, argv + optind + 1, n);
	else
		ack_text(&resp, argv + optind + 1, n);
	return resp.status == LBNP_STATUS_OK ? 0 : 1;
}
