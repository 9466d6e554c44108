/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * What the LBNP commands (probe, push and listen) share: their common
 * options and key, accepting a datagram as an answer, a node's fields
 * as JSON, and the exchange of a request for its answer with retries.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "addr.h"
#include "key.h"
#include "lbnodectl.h"
#include "names.h"

#define TRIES		3	/* sends of one request */

/* One node asked, and the answer it is to give. */
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

/* A decimal number from 0 to max; -1 for anything else. */
int
lbnpctl_number(const char *s, unsigned long long max, unsigned long long *v)
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

/* An option's value from 1 to max; -1 said, e.g. "port 0: want 1 to 65535". */
static int
option_number(const char *arg, unsigned long long max, const char *what,
    const char *unit, unsigned long long *v)
{
	if (lbnpctl_number(arg, max, v) == -1 || *v == 0) {
		warnx("%s %s: want 1 to %llu%s", what, arg, max, unit);
		return -1;
	}
	return 0;
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
		if (option_number(arg, 65535, "port", "", &v) == -1)
			return -1;
		o->port = (uint16_t)v;
		return 1;
	case 't':
		if (option_number(arg, 3600, "-t", " seconds", &v) == -1)
			return -1;
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

/* A node's id, 32 hex digits. */
void
lbnpctl_node_hex(const struct lbnp_node *n, char *buf, size_t len)
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

	lbnpctl_node_hex(n, id, sizeof(id));
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

/* x's socket, and where it sends: node's first address. */
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

/*
 * Ask node, at o's port and with o's timeout per try, for the answer
 * of type want to req, whose seq is drawn here.  Returns 1 answered,
 * 0 no answer (said on stderr unless quiet), -1 a reported error.
 */
int
lbnpctl_ask(const char *node, const struct lbnpctl_opts *o,
    const struct key_msg *key, struct lbnp_msg *req, uint8_t want, int quiet,
    struct lbnp_msg *resp)
{
	struct exchange	 x;
	int		 r;

	memset(&x, 0, sizeof(x));
	x.timeout = o->seconds;
	x.key = key;
	x.want = want;
	if (resolve(node, o->port, &x) == -1)
		return -1;
	req->seq = randombytes_random();
	r = exchange(&x, req, resp);
	close(x.fd);
	if (r == 0 && !quiet)
		fprintf(stderr, "%s: no answer\n", node);
	return r;
}
