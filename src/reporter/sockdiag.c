/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Work in flight on the service ports, from NETLINK_SOCK_DIAG: the
 * accept-queue length of each listening socket and the count of
 * established connections whose local port is a service port.  The
 * monitor opens the netlink socket (non-blocking) and hands it over;
 * here it is only written to and read from, which the reporter's
 * seccomp filter allows for its other sockets already.
 *
 * A bytecode filter makes the kernel skip every other socket, so only
 * the service's connections are copied out.  The request is the older
 * TCPDIAG_GETSOCK one, which dumps IPv4 and IPv6 in one walk of the
 * kernel's hash tables: that walk is most of a dump's cost, as the
 * table of established sockets is the whole host's unless the
 * namespace has one of its own (net.ipv4.tcp_child_ehash_entries).
 */
#include <sys/socket.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "reporter.h"

/* Reads of one dump: a 32 KiB read holds about 300 sockets. */
#define DIAG_READS_MAX		4096
/* Left over from a dump that failed half way: read and dropped. */
#define DIAG_DRAIN_MAX		64
/* One range: S_GE lo, S_LE hi (an op and a port each), JMP. */
#define DIAG_RANGE_OPS		5

static char		 diag_buf[32768];
static uint32_t		 diag_seq;

/*
 * The filter: a socket passes when its local port is in one of the
 * ranges.  An op goes on by "yes" bytes when its test holds, by "no"
 * bytes when not; landing exactly on the end accepts the socket, four
 * bytes past it rejects it.  The kernel checks that the "yes" path
 * runs through every op, hence the JMP (always "no") after each range.
 */
static size_t
diag_filter(struct inet_diag_bc_op *ops, const struct lbn_settings *s)
{
	size_t		 i, n = s->nservice, len = n * DIAG_RANGE_OPS * 4;
	struct inet_diag_bc_op *op;
	uint16_t	 left;		/* bytes from an op to the end */

	for (i = 0; i < n; i++) {
		op = ops + i * DIAG_RANGE_OPS;
		left = (uint16_t)(len - i * DIAG_RANGE_OPS * 4);
		op[0] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_GE, 8,
		    i + 1 < n ? 20 : left + 4 };
		op[1] = (struct inet_diag_bc_op){ 0, 0, s->service[i].lo };
		op[2] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_LE, 8,
		    i + 1 < n ? 12 : left - 8 + 4 };
		op[3] = (struct inet_diag_bc_op){ 0, 0, s->service[i].hi };
		op[4] = (struct inet_diag_bc_op){ INET_DIAG_BC_JMP, 4,
		    left - 16 };
	}
	return len;
}

static int
diag_send(int fd, const struct lbn_settings *s, uint32_t states)
{
	struct inet_diag_bc_op	 ops[SERVICE_PORTS_MAX * DIAG_RANGE_OPS];
	struct sockaddr_nl	 kernel = { .nl_family = AF_NETLINK };
	struct inet_diag_req	*req;
	struct nlmsghdr		*nlh;
	ssize_t			 n;

	nlh = mnl_nlmsg_put_header(diag_buf);
	nlh->nlmsg_type = TCPDIAG_GETSOCK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++diag_seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->idiag_states = states;
	mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE,
	    diag_filter(ops, s), ops);
	do
		n = sendto(fd, nlh, nlh->nlmsg_len, 0,
		    (struct sockaddr *)&kernel, sizeof(kernel));
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)nlh->nlmsg_len ? 0 : -1;
}

static int
diag_socket(const struct nlmsghdr *nlh, void *arg)
{
	struct sockdiag_count	*c = arg;
	const struct inet_diag_msg *m;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_state == TCP_LISTEN)
		c->queued += m->idiag_rqueue;
	else if (m->idiag_state == TCP_ESTABLISHED)
		c->established++;
	return MNL_CB_OK;
}

/* A dump, to its end: 0, or -1 with errno. */
static int
diag_dump(int fd, const struct lbn_settings *s, uint32_t states,
    struct sockdiag_count *c)
{
	ssize_t	 n;
	size_t	 reads;
	int	 rc;

	for (reads = 0; reads < DIAG_DRAIN_MAX &&
	    recv(fd, diag_buf, sizeof(diag_buf), 0) > 0; reads++)
		;
	if (diag_send(fd, s, states) == -1)
		return -1;
	for (reads = 0; reads < DIAG_READS_MAX; reads++) {
		if ((n = recv(fd, diag_buf, sizeof(diag_buf), 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		rc = mnl_cb_run(diag_buf, (size_t)n, diag_seq, 0,
		    diag_socket, c);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc == MNL_CB_ERROR)
			return -1;
	}
	errno = E2BIG;
	return -1;
}

/*
 * The service ports' queues, and with established set their
 * connections, IPv4 and IPv6.  Listening sockets are few and in a
 * table of their own; the established ones are found by walking every
 * socket of the other table, so the caller counts them less often
 * than the queues when that is dear.
 */
int
sockdiag_count(int fd, const struct lbn_settings *s, int established,
    struct sockdiag_count *c)
{
	uint32_t	 states = 1U << TCP_LISTEN;

	memset(c, 0, sizeof(*c));
	if (s->nservice == 0) {
		errno = ENOENT;
		return -1;
	}
	if (established)
		states |= 1U << TCP_ESTABLISHED;
	return diag_dump(fd, s, states, c);
}
