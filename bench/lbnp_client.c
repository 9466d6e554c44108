/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * bench/lbnp_client.c: the load balancer's side of the benchmarks, on
 * lbnoded's own LBNP codec (src/common/lbnp.c), so that what is timed
 * is the protocol as the daemon speaks it.
 *
 *	lbnp_client rtt [-k keyfile] [-n sources] [-p port] -t seconds address
 *		Sequential QUERY -> answer round trips for a bounded time;
 *		prints "rate R ok N lost N bad N".  Each query goes out
 *		from the next of n source addresses 127.1.x.y (see
 *		bench/lbnp_rtt.sh for why).  Any answer with the query's
 *		sequence number counts, so an echo server is measured the
 *		same way.
 *	lbnp_client listen [-k keyfile] [-p port] -t seconds
 *		Prints "realtime-ns admin weight reason" per ANNOUNCE.
 *	lbnp_client agent address port
 *		One agent-check answer line, as HAProxy reads it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "key.h"
#include "lbnp.h"
#include "log.h"
#include "names.h"
#include "toolopt.h"

#define SOURCES_MAX	1000
#define REPLY_WAIT_MS	100

static struct key_msg		 key;
static struct lbnp_replay	 replay;
static uint8_t			 buf[65536];

static uint64_t
now_ns(clockid_t clk)
{
	struct timespec	 ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static int
udp_socket(const char *addr, unsigned int port)
{
	struct sockaddr_in	 sin;
	int			 fd, on = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(1, "bad address %s", addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "socket bound to %s", addr);
	return fd;
}

/* A decoded, and with a key verified, datagram from fd; -1 if not one. */
static int
receive(int fd, struct lbnp_msg *m)
{
	ssize_t	 n;

	if ((n = recv(fd, buf, sizeof(buf), 0)) == -1)
		return -1;
	if (lbnp_decode(buf, (size_t)n, m, NULL, 0) != 0)
		return -1;
	/*
	 * The MAC is what this client checks; a window of one answer
	 * keeps the client's cost small and the same against the daemon
	 * and the echo server (which echoes our own queries).
	 */
	replay.cap = 1;
	replay.floor_ms = 0;
	if (key.len > 0 && lbnp_verify(buf, (size_t)n, key.key, key.len,
	    lbnp_now_ms(), &replay) != 0)
		return -1;
	return 0;
}

/* One round trip: 0 answered, 1 no answer in time, -1 a bad answer. */
static int
round_trip(int fd, const struct sockaddr_in *to, uint32_t seq)
{
	struct lbnp_msg		 q, m;
	struct lbnp_sign	 sign;
	struct pollfd		 pfd = { fd, POLLIN, 0 };
	uint64_t		 deadline;
	ssize_t			 len;
	int			 ms;

	memset(&q, 0, sizeof(q));
	q.type = LBNP_QUERY;
	q.seq = seq;
	if (key.len > 0)
		lbnp_sign_init(&sign, key.key, key.len);
	if ((len = lbnp_encode(&q, buf, sizeof(buf),
	    key.len > 0 ? &sign : NULL)) == -1)
		errx(1, "cannot encode a QUERY");
	if (sendto(fd, buf, (size_t)len, 0, (const struct sockaddr *)to,
	    sizeof(*to)) == -1)
		err(1, "sendto");
	deadline = now_ns(CLOCK_MONOTONIC) + REPLY_WAIT_MS * 1000000ULL;
	/* Late answers to earlier queries from this socket are skipped. */
	for (;;) {
		ms = (int)(((int64_t)(deadline - now_ns(CLOCK_MONOTONIC))) /
		    1000000);
		if (ms <= 0 || poll(&pfd, 1, ms) <= 0)
			return 1;
		if (receive(fd, &m) == -1)
			return -1;
		if (m.seq == seq)
			return 0;
	}
}

static void
rtt(const char *addr, unsigned int port, int seconds, int nsrc)
{
	static int		 fds[SOURCES_MAX];
	struct sockaddr_in	 to;
	char			 src[INET_ADDRSTRLEN];
	uint64_t		 start, end, now, ok = 0, lost = 0, bad = 0;
	uint32_t		 seq;
	int			 i, r;

	if (nsrc < 1 || nsrc > SOURCES_MAX)
		errx(1, "sources: 1 to %d", SOURCES_MAX);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1)
		errx(1, "bad address %s", addr);
	for (i = 0; i < nsrc; i++) {
		snprintf(src, sizeof(src), "127.1.%d.%d", i / 250, i % 250 + 1);
		fds[i] = udp_socket(src, 0);
	}
	start = now_ns(CLOCK_MONOTONIC);
	end = start + (uint64_t)seconds * 1000000000;
	for (seq = 1; (now = now_ns(CLOCK_MONOTONIC)) < end; seq++) {
		r = round_trip(fds[seq % (uint32_t)nsrc], &to, seq);
		if (r == 0)
			ok++;
		else if (r == 1)
			lost++;
		else
			bad++;
	}
	printf("rate %.0f ok %llu lost %llu bad %llu\n",
	    (double)ok * 1e9 / (double)(now - start), (unsigned long long)ok,
	    (unsigned long long)lost, (unsigned long long)bad);
}

static void
listen_announces(unsigned int port, int seconds)
{
	struct lbnp_msg	 m;
	struct pollfd	 pfd;
	uint64_t	 end, now;

	pfd.fd = udp_socket("0.0.0.0", port);
	pfd.events = POLLIN;
	end = now_ns(CLOCK_MONOTONIC) + (uint64_t)seconds * 1000000000;
	while ((now = now_ns(CLOCK_MONOTONIC)) < end) {
		if (poll(&pfd, 1, (int)((end - now) / 1000000) + 1) <= 0)
			continue;
		if (receive(pfd.fd, &m) == -1 || m.type != LBNP_ANNOUNCE)
			continue;
		printf("%llu %s %u %s\n",
		    (unsigned long long)now_ns(CLOCK_REALTIME),
		    admin_name(m.node.admin), m.node.weight,
		    lbnp_reason_name(m.node.reason));
		fflush(stdout);
	}
}

static void
agent(const char *addr, const char *port)
{
	struct sockaddr_in	 sin;
	struct timeval		 tv = { 1, 0 };
	char			 line[128];
	size_t			 len = 0;
	ssize_t			 n;
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(1, "bad address %s", addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "agent %s:%s", addr, port);
	while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
		if ((n = read(fd, line + len, sizeof(line) - 1 - len)) <= 0)
			errx(1, "agent %s:%s: no answer line", addr, port);
		len += (size_t)n;
	}
	line[len] = '\0';
	fputs(line, stdout);
	close(fd);
}

static void
usage(void)
{
	fprintf(stderr, "usage: lbnp_client rtt [-k keyfile] [-n sources] "
	    "[-p port] -t seconds address\n"
	    "       lbnp_client listen [-k keyfile] [-p port] -t seconds\n"
	    "       lbnp_client agent address port\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct toolopt	 o;

	log_init(1, 0);
	if (argc >= 2 && strcmp(argv[1], "agent") == 0) {
		if (argc != 4)
			usage();
		agent(argv[2], argv[3]);
		return 0;
	}
	toolopt_parse(&argc, &argv, "k:n:p:t:", &o, usage);
	key = o.key;
	if (strcmp(o.mode, "rtt") == 0 && argc == 1)
		rtt(argv[0], o.port, o.seconds, o.count > 0 ? o.count : 1);
	else if (strcmp(o.mode, "listen") == 0 && argc == 0)
		listen_announces(o.port, o.seconds);
	else
		usage();
	return 0;
}
