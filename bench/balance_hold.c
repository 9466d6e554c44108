/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * balance_hold: scenario C of bench/balance.sh.  Holds N established
 * TCP connections to ADDR:PORT for SECONDS, so that the reporter's
 * sock_diag dumps have N sockets on the service port to count.  A
 * child makes the connections and the parent accepts them, so each
 * needs only N descriptors.  Prints "holding N" once all are up.
 *
 *	balance_hold ADDR PORT N SECONDS
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define HOLD_MAX	50000
#define FDS_SPARE	16
#define SETUP_SECS	60	/* the connections must be up by then */

static void
connect_all(const struct sockaddr_in *sin, int n, int secs)
{
	int	 i, fd;

	for (i = 0; i < n; i++)
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (const struct sockaddr *)sin,
		    sizeof(*sin)) == -1)
			err(1, "connection %d", i);
	sleep((unsigned int)secs);
	_exit(0);
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	struct rlimit		 rl;
	pid_t			 pid;
	int			 n, secs, lfd, i, one = 1;

	if (argc != 5)
		errx(2, "usage: balance_hold ADDR PORT N SECONDS");
	n = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (n < 1 || n > HOLD_MAX || secs < 1 ||
	    inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		errx(2, "bad arguments");
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "getrlimit");
	if (rl.rlim_max < (rlim_t)n + FDS_SPARE)
		errx(1, "%d connections need %d descriptors, the limit is %llu",
		    n, n + FDS_SPARE, (unsigned long long)rl.rlim_max);
	rl.rlim_cur = (rlim_t)n + FDS_SPARE;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit");
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4096) == -1)
		err(1, "listen on %s:%s", argv[1], argv[2]);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0)
		connect_all(&sin, n, secs);
	alarm(SETUP_SECS);
	for (i = 0; i < n; i++)
		if (accept(lfd, NULL, NULL) == -1)
			err(1, "accept %d", i);
	alarm(0);
	printf("holding %d\n", n);
	fflush(stdout);
	sleep((unsigned int)secs);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 0;
}
