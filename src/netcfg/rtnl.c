/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * rtnetlink through libmnl: list the node's addresses, and put VIPs on
 * lo or take them off.  Addresses we add carry IFA_PROTO
 * NETCFG_IFA_PROTO, so we can tell ours from anybody else's after a
 * restart.  Changes are sent in batches of many requests per sendto()
 * and their acks are matched by sequence number, so 10,000 loopback
 * VIPs do not cost 10,000 round trips.  The kernel queues every ack of
 * a batch before we read one, and drops what does not fit in the
 * receive buffer (ENOBUFS): a batch is therefore bounded by count, and
 * the buffer is raised to hold the acks of one batch many times over.
 */
#include <sys/socket.h>

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "netcfg.h"

#define RTNL_BUFSIZE	32768
#define RTNL_MSG_MAX	256		/* room one request needs, at most */
#define RTNL_BATCH_MAX	128		/* requests a sendto() */
/* An ack takes up to about 1 KiB of receive buffer, head and all. */
#define RTNL_RCVBUF	(1024 * 1024)
#define DUMP_ADDRS_MAX	(4 * VIP_ENTRIES_MAX)
#define DUMP_TRIES	3		/* a dump the kernel says was interrupted */

static struct mnl_socket	*nl;
static unsigned int		 portid;
static unsigned int		 seq;
static char			 rtnl_buf[RTNL_BUFSIZE];

void
rtnl_init(void)
{
	int	 one = 1, rcvbuf = RTNL_RCVBUF;

	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL)
		fatal("mnl_socket_open");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1)
		fatal("mnl_socket_bind");
	/*
	 * CAP_NET_ADMIN lets us pass net.core.rmem_max.  Without it (a
	 * container's user namespace on an old kernel) the default buffer
	 * still holds the acks of one batch.
	 */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE,
	    &rcvbuf, sizeof(rcvbuf)) == -1)
		log_warn("setsockopt SO_RCVBUFFORCE");
	/* acks without a copy of the request: smaller, more fit in a read */
	if (mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) == -1)
		fatal("setsockopt NETLINK_CAP_ACK");
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);
}

struct dump {
	struct addrset	*own;
	struct addrset	*ours;
	size_t		 n;
};

static int
addr_attr_cb(const struct nlattr *attr, void *arg)
{
	const struct nlattr	**tb = arg;
	int			 type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int
addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump		*d = arg;
	const struct ifaddrmsg	*ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr	*tb[IFA_MAX + 1] = { NULL }, *at;
	struct lbn_addr		 a;
	int			 ours;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_ERROR;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb) != MNL_CB_OK)
		return MNL_CB_ERROR;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS may be a peer's */
	if ((at = tb[IFA_LOCAL]) == NULL && (at = tb[IFA_ADDRESS]) == NULL)
		return MNL_CB_OK;
	memset(&a, 0, sizeof(a));
	a.af = ifa->ifa_family;
	a.plen = a.af == AF_INET ? 32 : 128;
	if (mnl_attr_get_payload_len(at) != addr_len(&a))
		return MNL_CB_ERROR;
	memcpy(a.u.raw, mnl_attr_get_payload(at), addr_len(&a));
	if (++d->n > DUMP_ADDRS_MAX) {
		errno = E2BIG;
		return MNL_CB_ERROR;
	}
	ours = ifa->ifa_index == LOOPBACK_IFINDEX && tb[IFA_PROTO] != NULL &&
	    mnl_attr_validate(tb[IFA_PROTO], MNL_TYPE_U8) == 0 &&
	    mnl_attr_get_u8(tb[IFA_PROTO]) == NETCFG_IFA_PROTO;
	addrset_add(ours ? d->ours : d->own, &a);
	return MNL_CB_OK;
}

static int
dump_once(struct dump *d)
{
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	ssize_t			 n;
	int			 rc;

	d->own->n = d->ours->n = d->n = 0;
	nlh = mnl_nlmsg_put_header(rtnl_buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	do {
		if ((n = mnl_socket_recvfrom(nl, rtnl_buf, sizeof(rtnl_buf))) == -1)
			return -1;
		rc = mnl_cb_run(rtnl_buf, (size_t)n, seq, portid, addr_cb, d);
	} while (rc > MNL_CB_STOP);
	return rc == MNL_CB_STOP ? 0 : -1;
}

/*
 * Every IPv4 and IPv6 address of this node, split into the lo
 * addresses netcfg added (ours) and all the others (own).  Both come
 * back sorted.
 */
int
rtnl_dump_addrs(struct addrset *own, struct addrset *ours)
{
	struct dump	 d = { own, ours, 0 };
	int		 try;

	for (try = 0; try < DUMP_TRIES; try++) {
		if (dump_once(&d) == 0) {
			addrset_sort(own);
			addrset_sort(ours);
			return 0;
		}
		if (errno != EINTR)
			break;
	}
	log_warn("rtnetlink address dump");
	return -1;
}

static void
put_lo_request(struct nlmsghdr *nlh, int add, const struct lbn_addr *a,
    unsigned int s)
{
	struct ifaddrmsg	*ifa;

	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (add)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = s;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->af;
	ifa->ifa_prefixlen = a->af == AF_INET ? 32 : 128;
	/* a VIP is not a neighbour's to probe for: no DAD on lo */
	ifa->ifa_flags = a->af == AF_INET6 ? IFA_F_NODAD : 0;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = LOOPBACK_IFINDEX;
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(a), a->u.raw);
	mnl_attr_put(nlh, IFA_ADDRESS, addr_len(a), a->u.raw);
	if (add)
		mnl_attr_put_u8(nlh, IFA_PROTO, NETCFG_IFA_PROTO);
}

/* An add of what is there, or a delete of what is gone, is no failure. */
static int
lo_errno_ok(int add, int err)
{
	if (err == 0)
		return 1;
	if (add)
		return err == EEXIST;
	return err == EADDRNOTAVAIL || err == ENOENT || err == ENODEV;
}

/*
 * Read the acks for the n requests sent with sequence numbers from
 * base on, into ok[0..n-1]; *err gets the first refusal's errno.
 * Returns -1 only if the socket failed.
 */
static int
read_acks(int add, size_t n, unsigned int base, uint8_t *ok, int *err)
{
	const struct nlmsghdr	*nlh;
	const struct nlmsgerr	*e;
	size_t			 acked = 0, i;
	int			 len;
	ssize_t			 got;

	while (acked < n) {
		if ((got = mnl_socket_recvfrom(nl, rtnl_buf,
		    sizeof(rtnl_buf))) == -1) {
			*err = errno;
			return -1;
		}
		len = (int)got;
		for (nlh = (const struct nlmsghdr *)rtnl_buf;
		    mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_pid != portid ||
			    nlh->nlmsg_seq - base >= n ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			i = nlh->nlmsg_seq - base;
			ok[i] = lo_errno_ok(add, -e->error);
			if (!ok[i] && *err == 0)
				*err = -e->error;
			acked++;
		}
	}
	return 0;
}

/*
 * Add (add = 1) or delete every address of as on lo.  ok[i] says
 * whether address i is now as asked, so a caller can undo a partial
 * change.  Returns 0 if all went through, else -1 with err set.
 */
int
rtnl_lo_change(int add, const struct addrset *as, uint8_t *ok,
    char *err, size_t errlen)
{
	struct nlmsghdr	*nlh;
	char		 sbuf[RTNL_BUFSIZE], astr[ADDR_STRLEN];
	size_t		 i = 0, first, used;
	unsigned int	 base;
	int		 rc = 0, e = 0;

	memset(ok, 0, as->n);
	while (i < as->n) {
		first = i;
		base = seq + 1;
		for (used = 0; i < as->n && i - first < RTNL_BATCH_MAX &&
		    used + RTNL_MSG_MAX <= sizeof(sbuf); i++) {
			nlh = mnl_nlmsg_put_header(sbuf + used);
			put_lo_request(nlh, add, &as->a[i], ++seq);
			used += NLMSG_ALIGN(nlh->nlmsg_len);
		}
		if (mnl_socket_sendto(nl, sbuf, used) == -1 ||
		    read_acks(add, i - first, base, ok + first, &e) == -1) {
			if (e == 0)
				e = errno;
			break;
		}
	}
	for (i = 0; i < as->n && ok[i]; i++)
		;
	if (i < as->n) {
		rc = -1;
		snprintf(err, errlen, "lo %s %s: %s", add ? "add" : "delete",
		    addr_str(&as->a[i], astr, sizeof(astr)), strerror(e));
	}
	return rc;
}
