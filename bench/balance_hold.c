/*
 * balance_hold: scenario C of bench/balance.sh.  Holds N established
 * TCP connections to ADDR:PORT, both ends in this process, for SECONDS,
 * so that the reporter's sock_diag dumps have N sockets on the service
 * port to count.  Prints "holding N" once they are all up.
 *
 *	balance_hold ADDR PORT N SECONDS
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HOLD_MAX	50000
#define BATCH		512	/* connects between two rounds of accepts */

/* Accept what is queued; the count accepted so far. */
static int
accept_all(int lfd, int accepted)
{
	int	 fd;

	while ((fd = accept(lfd, NULL, NULL)) != -1)
		accepted++;
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		err(1, "accept");
	return accepted;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	struct rlimit		 rl;
	int			 n, secs, lfd, fd, i, accepted = 0, one = 1;

	if (argc != 5)
		errx(2, "usage: balance_hold ADDR PORT N SECONDS");
	n = atoi(argv[3]);
	secs = atoi(argv[4]);
	if (n < 1 || n > HOLD_MAX || secs < 1 ||
	    inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		errx(2, "bad arguments");
	sin.sin_port = htons((uint16_t)atoi(argv[2]));
	rl.rlim_cur = rl.rlim_max = (rlim_t)n * 2 + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit");
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, BATCH * 2) == -1)
		err(1, "listen on %s:%s", argv[1], argv[2]);
	for (i = 0; i < n; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			err(1, "connection %d", i);
		if (i % BATCH == BATCH - 1)
			accepted = accept_all(lfd, accepted);
	}
	for (i = 0; i < 1000 && accepted < n; i++) {
		accepted = accept_all(lfd, accepted);
		if (accepted < n)
			usleep(1000);
	}
	if (accepted < n)
		errx(1, "only %d of %d connections accepted", accepted, n);
	printf("holding %d\n", n);
	fflush(stdout);
	sleep((unsigned int)secs);
	return 0;
}
