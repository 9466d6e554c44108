/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl listen: what a load balancer hears of its nodes.  Binds
 * the LBNP port and prints a line for each node that appears, and for
 * each change of its admin state or weight, from their ANNOUNCEs.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "lbnodectl.h"
#include "names.h"

#define NODES_MAX	1024	/* nodes remembered; the oldest go first */

struct node {
	uint8_t		 id[16];
	uint32_t	 weight;
	uint8_t		 admin;
	int		 up;		/* not stopped */
	uint64_t	 seen;		/* order of last announce */
};

static struct node		 nodes[NODES_MAX];
static size_t			 nnodes;
static uint64_t			 announces;
static volatile sig_atomic_t	 quit;
static struct lbnp_replay	 replay;
static uint8_t			 pkt[65536];

static void
on_signal(int sig)
{
	quit = 1;
}

static int
bound_socket(int af, uint16_t port)
{
	struct sockaddr_storage	 ss;
	struct lbn_addr		 any = { .af = (uint8_t)af };
	socklen_t		 sslen;
	int			 fd, on = 1, saved;

	if ((fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	sslen = addr_to_sockaddr(&any, port, &ss);
	if ((af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    &on, sizeof(on)) == -1) ||
	    bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/*
 * Did this ANNOUNCE change what we know of the node?  A new node, a
 * new admin state or weight, a stop or a return all do.
 */
static int
node_changed(const struct lbnp_msg *m)
{
	const struct lbnp_node	*n = &m->node;
	struct node		*p = NULL, *oldest = &nodes[0];
	int			 up = n->reason != LBNP_REASON_STOP, changed;
	size_t			 i;

	for (i = 0; i < nnodes && p == NULL; i++) {
		if (memcmp(nodes[i].id, n->node_id, sizeof(n->node_id)) == 0)
			p = &nodes[i];
		else if (nodes[i].seen < oldest->seen)
			oldest = &nodes[i];
	}
	if (p == NULL) {
		p = nnodes < NODES_MAX ? &nodes[nnodes++] : oldest;
		memcpy(p->id, n->node_id, sizeof(p->id));
		changed = 1;
	} else
		changed = p->weight != n->weight || p->admin != n->admin ||
		    p->up != up;
	p->weight = n->weight;
	p->admin = n->admin;
	p->up = up;
	p->seen = ++announces;
	return changed;
}

static void
print_node(const struct lbnp_msg *m, const char *from, int json)
{
	const struct lbnp_node	*n = &m->node;

	if (json) {
		lbnpctl_node_json(stdout, m, from);
		putchar('\n');
	} else {
		lbnpctl_safe(stdout, n->hostname[0] != '\0' ? n->hostname : "-");
		printf(" %s %s weight %u (%s)\n", from,
		    admin_name(n->admin), n->weight,
		    lbnp_reason_name(n->reason));
	}
	fflush(stdout);
}

/* One datagram: returns 1 if it printed a line. */
static int
receive(int fd, const struct key_msg *key, int json)
{
	static struct lbnp_msg	 m;
	struct sockaddr_storage	 ss;
	struct lbn_addr		 from;
	socklen_t		 sslen = sizeof(ss);
	char			 buf[ADDR_STRLEN];
	ssize_t			 n;

	if ((n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss,
	    &sslen)) == -1 || addr_from_sockaddr((struct sockaddr *)&ss,
	    &from) == -1)
		return 0;
	if (lbnpctl_accept(pkt, (size_t)n, key, &replay, &m) != 0 ||
	    m.type != LBNP_ANNOUNCE || !node_changed(&m))
		return 0;
	print_node(&m, addr_str(&from, buf, sizeof(buf)), json);
	return 1;
}

static int
listen_loop(struct pollfd *pfd, size_t npfd, const struct key_msg *key,
    int json, unsigned long long count, int seconds)
{
	time_t			 end = time(NULL) + seconds;
	unsigned long long	 lines = 0;
	size_t			 i;
	int			 ms;

	while (!quit && (count == 0 || lines < count)) {
		ms = -1;
		if (seconds > 0 && (ms = (int)(end - time(NULL)) * 1000) <= 0)
			break;
		if (poll(pfd, npfd, ms) == -1) {
			if (errno == EINTR)
				continue;
			warn("poll");
			return 1;
		}
		for (i = 0; i < npfd; i++)
			if ((pfd[i].revents & POLLIN) &&
			    (count == 0 || lines < count))
				lines += receive(pfd[i].fd, key, json);
	}
	/* -c COUNT is a promise: time running out first is a failure. */
	if (count > 0 && lines < count) {
		if (!quit)
			warnx("%llu of %llu nodes heard in %d s", lines, count,
			    seconds);
		return 1;
	}
	return 0;
}

int
cmd_listen(int argc, char *argv[])
{
	static const char	*synopsis = "listen [-j] [-k keyfile] [-p port] "
	    "[-c count] [-t seconds]";
	struct sigaction	 sa;
	struct pollfd		 pfd[2];
	struct key_msg		 key;
	struct lbnpctl_opts	 o;
	unsigned long long	 count = 0;
	size_t			 npfd = 0, i;
	int			 ch, fd, r;

	lbnpctl_opts_init(&o, 0);
	optind = 0;
	while ((ch = getopt(argc, argv, "c:jk:p:t:")) != -1) {
		if (ch == 'c') {
			if (lbnpctl_number(optarg, ULLONG_MAX, &count) == -1 ||
			    count == 0) {
				warnx("-c %s: want a positive number", optarg);
				return 1;
			}
			continue;
		}
		if ((r = lbnpctl_option(ch, optarg, &o)) == -1)
			return 1;
		if (r == 0)
			return ctl_usage(synopsis);
	}
	if (argc != optind)
		return ctl_usage(synopsis);
	if (lbnpctl_init(o.keyfile, &key) == -1)
		return 1;
	for (i = 0; i < 2; i++) {
		if ((fd = bound_socket(i == 0 ? AF_INET : AF_INET6,
		    o.port)) != -1)
			pfd[npfd++] = (struct pollfd){ fd, POLLIN, 0 };
		else if (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL) {
			warn("udp port %u", o.port);
			return 1;
		}
	}
	if (npfd == 0) {
		warnx("neither IPv4 nor IPv6 is available");
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll must return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = listen_loop(pfd, npfd, &key, o.json, count, o.seconds);
	for (i = 0; i < npfd; i++)
		close(pfd[i].fd);
	return r;
}
