/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * connrate: new TCP connections per second, for bench/nft_apply.sh.
 *
 *	connrate serve ADDR PORT SECONDS	accept and close, for SECONDS
 *	connrate whole|reset ADDR PORT SECONDS MAX
 *		one connection at a time, for SECONDS or MAX connections;
 *		prints connections per second
 *
 * A whole connection is the life a service sees: the handshake, the
 * server's close, then the client's once it has read the end (seven
 * packets).  The server closes first, so TIME_WAIT stays on its side
 * and the client's ports come free at once.  A reset connection ends
 * with the client's RST right after the handshake (four packets): the
 * worst case for NAT, whose cost is per connection.
 * Both ends stop by themselves.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in
sin_of(const char *addr, const char *port)
{
	struct sockaddr_in	 sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		errx(1, "bad address %s", addr);
	return sin;
}

static void
serve(struct sockaddr_in sin, double seconds)
{
	struct pollfd	 pfd;
	double		 end = now() + seconds;
	int		 s, c, one = 1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 1024) == -1)
		err(1, "bind/listen");
	pfd.fd = s;
	pfd.events = POLLIN;
	while (now() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((c = accept(s, NULL, NULL)) >= 0)
			close(c);
	}
}

/* Wait, at most a second, for the server's close. */
static int
await_close(int s)
{
	struct timeval	 tv = { 1, 0 };
	char		 buf[64];
	ssize_t		 n;

	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		err(1, "SO_RCVTIMEO");
	while ((n = read(s, buf, sizeof(buf))) > 0)
		;
	return n == 0 ? 0 : -1;
}

static void
client(struct sockaddr_in sin, double seconds, long max, int whole)
{
	struct linger	 lg = { 1, 0 };
	double		 start = now(), end = start + seconds;
	long		 n = 0, failed = 0;
	int		 s;

	while (n < max && now() < end) {
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			err(1, "socket");
		if (!whole &&
		    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == -1)
			err(1, "SO_LINGER");
		if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    (!whole || await_close(s) == 0))
			n++;
		else if (++failed > 100)
			errx(1, "connections fail");
		close(s);
	}
	printf("%.0f\n", n / (now() - start));
}

int
main(int argc, char *argv[])
{
	if (argc == 5 && strcmp(argv[1], "serve") == 0)
		serve(sin_of(argv[2], argv[3]), atof(argv[4]));
	else if (argc == 6 && (strcmp(argv[1], "whole") == 0 ||
	    strcmp(argv[1], "reset") == 0))
		client(sin_of(argv[2], argv[3]), atof(argv[4]), atol(argv[5]),
		    strcmp(argv[1], "whole") == 0);
	else {
		fprintf(stderr, "usage: connrate serve ADDR PORT SECONDS\n"
		    "       connrate whole|reset ADDR PORT SECONDS MAX\n");
		return 1;
	}
	return 0;
}
