/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * balance_server: the backend of bench/balance.sh.  Every request costs
 * a fixed amount of CPU time, so a node's capacity is its CPU quota
 * divided by that cost, and a CPU hog in the node's cgroup takes it
 * away.  The answer names the node, so the load generator can count
 * who served what.
 *
 *	balance_server NAME ADDR PORT BURN_US LIFETIME_S
 *
 * One thread, one epoll loop: a request is served start to finish
 * before the next is looked at, as in an event-driven server whose
 * handler does real work.  The cost is CPU time of this thread
 * (CLOCK_THREAD_CPUTIME_ID), not wall time: when the cgroup is
 * throttled or the hog has the CPU, the request simply takes longer.
 * The server exits by itself after LIFETIME_S seconds.
 */
#define _GNU_SOURCE		/* accept4 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <err.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS	8192		/* open connections; more are closed */
#define REQ_MAX		2048		/* a request larger than this is refused */
#define MAX_EVENTS	64

struct conn {
	int	 fd;
	size_t	 len;
	char	 buf[REQ_MAX];
};

static const char	*node_name;
static uint64_t		 burn_ns;
static size_t		 nconns;

static uint64_t
clock_ns(clockid_t clk)
{
	struct timespec	 ts;

	if (clock_gettime(clk, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/*
 * Spend burn_ns of this thread's CPU time.  The arithmetic between the
 * clock reads keeps most of the time in user space, like real work.
 */
static uint32_t
burn(void)
{
	uint64_t	 start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	uint32_t	 x = 2463534242U;
	int		 i;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) - start < burn_ns) {
		for (i = 0; i < 2000; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
		}
	}
	return x;
}

static void
conn_close(int ep, struct conn *c)
{
	(void)epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
	nconns--;
}

/* The answer is small: one write to a fresh socket takes it whole. */
static void
conn_answer(struct conn *c, int status)
{
	char	 body[128], msg[512];
	int	 blen, mlen;

	blen = snprintf(body, sizeof(body), "node=%s burn=%x\n", node_name,
	    status == 200 ? burn() : 0);
	mlen = snprintf(msg, sizeof(msg),
	    "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n%s",
	    status, status == 200 ? "OK" : "Bad Request", blen, body);
	if (write(c->fd, msg, (size_t)mlen) == -1 && errno != EPIPE &&
	    errno != ECONNRESET)
		warn("write");
}

static void
conn_readable(int ep, struct conn *c)
{
	ssize_t	 n;

	n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(ep, c);
		return;
	}
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	if (strstr(c->buf, "\r\n\r\n") != NULL)
		conn_answer(c, 200);
	else if (c->len == sizeof(c->buf) - 1)
		conn_answer(c, 400);
	else
		return;
	conn_close(ep, c);
}

static void
accept_all(int ep, int ls)
{
	struct epoll_event	 ev;
	struct conn		*c;
	int			 fd, i;

	for (i = 0; i < MAX_EVENTS; i++) {
		if ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				warn("accept");
			return;
		}
		if (nconns >= MAX_CONNS || (c = malloc(sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->len = 0;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			warn("epoll_ctl");
			close(fd);
			free(c);
			continue;
		}
		nconns++;
	}
}

static int
listen_on(const char *addr, const char *port)
{
	struct sockaddr_in	 sin;
	int			 s, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(1, "bad address %s", addr);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		err(1, "SO_REUSEADDR");
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 4096) == -1)
		err(1, "bind/listen %s:%s", addr, port);
	return s;
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 ev, evs[MAX_EVENTS];
	uint64_t		 end;
	int			 ep, ls, n, i, ms;

	if (argc != 6)
		errx(2, "usage: balance_server NAME ADDR PORT BURN_US LIFETIME_S");
	node_name = argv[1];
	burn_ns = strtoull(argv[4], NULL, 10) * 1000;
	end = clock_ns(CLOCK_MONOTONIC) + strtoull(argv[5], NULL, 10) *
	    1000000000;
	ls = listen_on(argv[2], argv[3]);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) == -1)
		err(1, "epoll_ctl");
	while (clock_ns(CLOCK_MONOTONIC) < end) {
		ms = (int)((end - clock_ns(CLOCK_MONOTONIC)) / 1000000) + 1;
		if ((n = epoll_wait(ep, evs, MAX_EVENTS, ms)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				accept_all(ep, ls);
			else
				conn_readable(ep, evs[i].data.ptr);
		}
	}
	return 0;
}
