/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * bench/udp_echo.c: the least a UDP server can do, the yardstick for
 * lbnoded's LBNP answers in bench/lbnp_rtt.sh.  Sends every datagram
 * back to where it came from, and exits after a bounded time.
 *
 *	udp_echo ADDRESS PORT SECONDS
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin, from;
	socklen_t		 fromlen;
	unsigned char		 buf[65536];
	ssize_t			 n;
	int			 fd;

	if (argc != 4)
		errx(1, "usage: udp_echo address port seconds");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		errx(1, "bad address %s", argv[1]);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind");
	/* The default SIGALRM action ends the process: bounded. */
	alarm((unsigned int)atoi(argv[3]));
	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1)
			err(1, "recvfrom");
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from,
		    fromlen) == -1)
			warn("sendto");
	}
}
