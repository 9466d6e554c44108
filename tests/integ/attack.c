/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * attack: the load balancer and the attacker of tests/integ/attack.sh
 * and bench/attack.sh, on lbnoded's own LBNP codec.
 *
 *	attack poll -k keyfile -i ms -t seconds [-p port] address
 *		A keyed LB: one signed QUERY every ms milliseconds, or
 *		when the last is answered, each awaited for a second at
 *		most; prints "sent N answered N"
 *		and exits 0 if every one was answered.
 *	attack flood -r pps -t seconds [-p port] [-S source] address
 *		Forged QUERYs, AUTH flag set, timestamp now, a MAC that is
 *		not the key's, at pps packets a second; prints "sent N
 *		answered N", the answers being any datagram that came back.
 *	attack agent -i ms -t seconds address port
 *		An agent-check every ms milliseconds, answered when a
 *		whole line comes within a second; prints "sent N answered N"
 *		and exits 0 if every one was answered.
 *	attack hold -n conns -t seconds [-s] [-S source] address port
 *		conns TCP connections held open for the time given; with
 *		-s each sends a request line and then one header byte
 *		every second (slowloris).  Prints "open N closed N failed N
 *		pending N": connected and still open a second after the
 *		end, closed by the server, refused at once, and never
 *		connected (SYNs the server's backlog dropped).
 * Each sends from the address the namespace's route gives, or from
 * source; the test and the bench run it in the LB's namespace.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "key.h"
#include "lbnp.h"
#include "log.h"
#include "toolopt.h"

#define CONNS_MAX	10000
#define BATCH		64		/* flood datagrams per sendmmsg */
#define ANSWER_WAIT_MS	1000		/* an LB's usual timeout */
#define SETTLE_MS	1000		/* for the server to close, after a hold */

static struct key_msg	 key;
static struct sockaddr_in from;		/* sin_family 0: the route's */
static uint8_t		 buf[65536];

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_until(uint64_t ms)
{
	uint64_t	 now = now_ms();
	struct timespec	 ts;

	if (ms <= now)
		return;
	ts.tv_sec = (time_t)((ms - now) / 1000);
	ts.tv_nsec = (long)((ms - now) % 1000) * 1000000;
	nanosleep(&ts, NULL);
}

static void
sockaddr_of(const char *addr, unsigned int port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		errx(1, "bad address %s", addr);
}

/* A socket of type bound to the source asked for, or -1. */
static int
socket_from(int type)
{
	int	 fd;

	if ((fd = socket(AF_INET, type, 0)) == -1)
		return -1;
	if (from.sin_family != 0 && bind(fd, (const struct sockaddr *)&from,
	    sizeof(from)) == -1)
		err(1, "bind");
	return fd;
}

static int
udp_to(const struct sockaddr_in *to)
{
	int	 fd;

	if ((fd = socket_from(SOCK_DGRAM)) == -1 ||
	    connect(fd, (const struct sockaddr *)to, sizeof(*to)) == -1)
		err(1, "udp socket");
	return fd;
}

/* Wait until deadline for the answer to seq; 1 if it came. */
static int
await_report(int fd, uint32_t seq, uint64_t deadline)
{
	static struct lbnp_replay	 replay;
	struct lbnp_msg			 m;
	struct pollfd			 pfd = { fd, POLLIN, 0 };
	uint64_t			 now;
	ssize_t				 n;

	while ((now = now_ms()) < deadline) {
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf), 0)) == -1)
			continue;
		if (lbnp_decode(buf, (size_t)n, &m, NULL, 0) != 0 ||
		    lbnp_verify(buf, (size_t)n, key.key, key.len,
		    lbnp_now_ms(), &replay) != 0)
			continue;
		if (m.type == LBNP_REPORT && m.seq == seq)
			return 1;
	}
	return 0;
}

static int
poll_lb(const struct sockaddr_in *to, int interval, int seconds)
{
	struct lbnp_msg		 q;
	struct lbnp_sign	 sign;
	uint64_t		 end = now_ms() + (uint64_t)seconds * 1000, next;
	unsigned long		 sent = 0, answered = 0;
	ssize_t			 len;
	int			 fd = udp_to(to);

	if (key.len == 0)
		errx(1, "poll needs a key");
	for (next = now_ms(); next < end; next += (uint64_t)interval) {
		memset(&q, 0, sizeof(q));
		q.type = LBNP_QUERY;
		q.seq = (uint32_t)++sent;
		lbnp_sign_init(&sign, key.key, key.len);
		if ((len = lbnp_encode(&q, buf, sizeof(buf), &sign)) == -1)
			errx(1, "cannot encode a QUERY");
		if (send(fd, buf, (size_t)len, 0) == -1)
			warn("send");
		answered += (unsigned long)await_report(fd, q.seq,
		    now_ms() + ANSWER_WAIT_MS);
		sleep_until(next + (uint64_t)interval);
		if (now_ms() > next + (uint64_t)interval)
			next = now_ms() - (uint64_t)interval;
	}
	printf("sent %lu answered %lu\n", sent, answered);
	return answered == sent ? 0 : 1;
}

/* A signed-looking QUERY whose MAC is made up, new nonce each time. */
static size_t
forged_query(uint8_t *p, uint32_t seq)
{
	struct lbnp_msg		 q;
	struct lbnp_sign	 sign;
	uint8_t			 fake[KEY_MIN_LEN];
	ssize_t			 len;

	memset(&q, 0, sizeof(q));
	q.type = LBNP_QUERY;
	q.seq = seq;
	randombytes_buf(fake, sizeof(fake));
	lbnp_sign_init(&sign, fake, sizeof(fake));
	if ((len = lbnp_encode(&q, p, LBNP_HDR_LEN + LBNP_TRAILER_LEN,
	    &sign)) == -1)
		errx(1, "cannot encode a QUERY");
	return (size_t)len;
}

static void
flood(const struct sockaddr_in *to, int pps, int seconds)
{
	static uint8_t	 pkts[BATCH][LBNP_HDR_LEN + LBNP_TRAILER_LEN];
	struct mmsghdr	 msgs[BATCH];
	struct iovec	 iov[BATCH];
	uint64_t	 start = now_ms(), end = start + (uint64_t)seconds * 1000;
	unsigned long	 sent = 0, answered = 0;
	size_t		 len = 0;
	int		 fd = udp_to(to), i, n, batch;

	if (pps < 1)
		errx(1, "rate: at least 1");
	/* A batch a millisecond or more often: a smooth flood, no gaps. */
	if ((batch = pps / 1000) < 1)
		batch = 1;
	else if (batch > BATCH)
		batch = BATCH;
	for (;;) {
		/* Refresh the batch every second: timestamps stay current. */
		if (sent % (unsigned long)pps < BATCH || len == 0)
			for (i = 0; i < BATCH; i++) {
				len = forged_query(pkts[i], (uint32_t)i);
				iov[i].iov_base = pkts[i];
				iov[i].iov_len = len;
				memset(&msgs[i], 0, sizeof(msgs[i]));
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
			}
		if (now_ms() >= end)
			break;
		if ((n = sendmmsg(fd, msgs, (unsigned int)batch, 0)) == -1) {
			if (errno != ECONNREFUSED && errno != ENOBUFS)
				err(1, "sendmmsg");
			n = 0;
		}
		sent += (unsigned long)n;
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			answered++;
		/* Where the batch should have gone out at pps. */
		sleep_until(start + (uint64_t)(sent * 1000 / (unsigned long)pps));
	}
	/* Late answers too. */
	sleep_until(now_ms() + ANSWER_WAIT_MS);
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		answered++;
	printf("sent %lu answered %lu\n", sent, answered);
}

static int
tcp_connect(const struct sockaddr_in *to, int nonblock)
{
	int	 fd;

	if ((fd = socket_from(SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0))) ==
	    -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One agent-check: 1 if a whole line came back within a second. */
static int
agent_check(const struct sockaddr_in *to)
{
	struct timeval	 tv = { 1, 0 };
	char		 line[128];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = tcp_connect(to, 0)) == -1)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		err(1, "setsockopt");
	while (len < sizeof(line) && memchr(line, '\n', len) == NULL) {
		if ((n = read(fd, line + len, sizeof(line) - len)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return memchr(line, '\n', len) != NULL;
}

static int
agent(const struct sockaddr_in *to, int interval, int seconds)
{
	uint64_t	 end = now_ms() + (uint64_t)seconds * 1000, next;
	unsigned long	 sent = 0, answered = 0;

	for (next = now_ms(); next < end; next += (uint64_t)interval) {
		sent++;
		answered += (unsigned long)agent_check(to);
		sleep_until(next + (uint64_t)interval);
	}
	printf("sent %lu answered %lu\n", sent, answered);
	return answered == sent ? 0 : 1;
}

static void
raise_nofile(int want)
{
	struct rlimit	 rl = { (rlim_t)want, (rlim_t)want };

	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit %d", want);
}

/* Has the server closed fd?  Reads and discards what it sent. */
static int
closed_by_peer(int fd)
{
	char	 b[512];
	ssize_t	 n;

	while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
		;
	return n == 0 || (n == -1 && errno != EAGAIN);
}

/* Has the handshake completed?  A SYN the server's backlog dropped has not. */
static int
connected(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);

	return getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

/*
 * Up to SETTLE_MS for the server to close what it will: a connection
 * that came through a retransmitted SYN at the end of the hold may
 * still wait in the accept queue.  Closed ones are counted and set -1.
 */
static void
settle(int *fds, int nconns, int *closed)
{
	uint64_t	 end = now_ms() + SETTLE_MS;
	int		 i, waiting;

	for (;;) {
		for (i = 0, waiting = 0; i < nconns; i++) {
			if (fds[i] == -1 || !connected(fds[i]))
				continue;
			if (closed_by_peer(fds[i])) {
				close(fds[i]);
				fds[i] = -1;
				(*closed)++;
			} else
				waiting++;
		}
		if (waiting == 0 || now_ms() >= end)
			return;
		sleep_until(now_ms() + 50);
	}
}

static void
hold(const struct sockaddr_in *to, int nconns, int seconds, int slow)
{
	static int	 fds[CONNS_MAX];
	static const char reqline[] = "GET /load HTTP/1.1\r\nX-a: ";
	uint64_t	 end = now_ms() + (uint64_t)seconds * 1000, tick;
	int		 i, first, open = 0, closed = 0, failed = 0, pending = 0;

	if (nconns < 1 || nconns > CONNS_MAX)
		errx(1, "conns: 1 to %d", CONNS_MAX);
	raise_nofile(nconns + 64);
	for (i = 0; i < nconns; i++)
		if ((fds[i] = tcp_connect(to, 1)) == -1)
			failed++;
	for (tick = now_ms(), first = 1; tick < end; tick += 1000, first = 0) {
		for (i = 0; slow && i < nconns; i++) {
			if (fds[i] == -1)
				continue;
			if (send(fds[i], first ? reqline : "a", first ?
			    sizeof(reqline) - 1 : 1, MSG_NOSIGNAL) == -1 &&
			    errno != EAGAIN && errno != ENOTCONN) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
			}
		}
		sleep_until(tick + 1000 < end ? tick + 1000 : end);
	}
	settle(fds, nconns, &closed);
	for (i = 0; i < nconns; i++) {
		if (fds[i] == -1)
			continue;
		if (!connected(fds[i]))
			pending++;
		else
			open++;
		close(fds[i]);
	}
	printf("open %d closed %d failed %d pending %d\n", open, closed,
	    failed, pending);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: attack poll -k keyfile -i ms -t seconds "
	    "[-p port] address\n"
	    "       attack flood -r pps -t seconds [-p port] [-S source] "
	    "address\n"
	    "       attack agent -i ms -t seconds address port\n"
	    "       attack hold -n conns -t seconds [-s] [-S source] "
	    "address port\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 to;
	struct toolopt		 o;
	unsigned int		 port;

	log_init(1, 0);
	toolopt_parse(&argc, &argv, "i:k:n:p:r:S:st:", &o, usage);
	key = o.key;
	if (o.source != NULL)
		sockaddr_of(o.source, 0, &from);
	port = o.port;
	if (argc == 2)
		port = (unsigned int)atoi(argv[1]);
	else if (argc != 1)
		usage();
	sockaddr_of(argv[0], port, &to);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(o.mode, "poll") == 0 && argc == 1 && o.interval > 0)
		return poll_lb(&to, o.interval, o.seconds);
	else if (strcmp(o.mode, "flood") == 0 && argc == 1)
		flood(&to, o.rate, o.seconds);
	else if (strcmp(o.mode, "agent") == 0 && argc == 2 && o.interval > 0)
		return agent(&to, o.interval, o.seconds);
	else if (strcmp(o.mode, "hold") == 0 && argc == 2)
		hold(&to, o.count, o.seconds, o.slow);
	else
		usage();
	return 0;
}
