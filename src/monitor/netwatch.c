/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Following the network: the kernel's rtnetlink events for links and
 * addresses, and for IPv4 routes when the configuration names no
 * interface and the default route's is the one to follow.  An event
 * that concerns that interface (or the default route) starts a short
 * settle timer; when it fires, the monitor looks at the interface
 * again (confsend_follow) and tells the children what changed.  So a
 * burst of a thousand events costs a few looks, never a reload.
 *
 * This socket is the monitor's one input from outside the host's
 * processes, and only the kernel may write to it: a message from any
 * other sender is dropped.
 */
#include <sys/socket.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <event2/event.h>
#include <libmnl/libmnl.h>
#include <string.h>

#include "log.h"
#include "monitor.h"

#define SETTLE_MS	200	/* from the first event of a burst to the look */
#define READS_MAX	32	/* datagrams per wakeup, so the loop moves on */
#define NW_BUFSIZE	32768	/* more than the kernel puts in one datagram */

static struct {
	struct mnl_socket	*nl;
	struct event		*ev_read;
	struct event		*ev_settle;
	const struct lbn_conf	*conf;
	char			 buf[NW_BUFSIZE];
} nw;

static void
settle_arm(void)
{
	struct timeval	 tv = { 0, SETTLE_MS * 1000 };

	/* Not re-armed by later events: a steady stream still gets looks. */
	if (!evtimer_pending(nw.ev_settle, NULL) &&
	    evtimer_add(nw.ev_settle, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

static void
settle_done(int fd, short ev, void *arg)
{
	monitor_follow_interface();
}

static int
link_name_cb(const struct nlattr *attr, void *arg)
{
	const char	**name = arg;

	if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*name = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* Our interface by index, or by name when it (re)appears. */
static int
link_is_ours(const struct nlmsghdr *nlh)
{
	const struct ifinfomsg	*ifi = mnl_nlmsg_get_payload(nlh);
	const char		*name = NULL;
	const struct lbn_settings *s = &nw.conf->s;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return 0;
	if (s->ifindex != 0 && (uint32_t)ifi->ifi_index == s->ifindex)
		return 1;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_name_cb, &name) !=
	    MNL_CB_OK || name == NULL)
		return 0;
	return s->interface[0] != '\0' && strcmp(name, s->interface) == 0;
}

static int
addr_is_ours(const struct nlmsghdr *nlh)
{
	const struct ifaddrmsg	*ifa = mnl_nlmsg_get_payload(nlh);
	uint32_t		 index = nw.conf->s.ifindex;

	return mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ifa) &&
	    index != 0 && ifa->ifa_index == index;
}

/* An IPv4 default route of the main table, the one /proc/net/route lists. */
static int
route_is_default(const struct nlmsghdr *nlh)
{
	const struct rtmsg	*rtm = mnl_nlmsg_get_payload(nlh);

	return nw.conf->follow_default &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(*rtm) &&
	    rtm->rtm_family == AF_INET && rtm->rtm_dst_len == 0 &&
	    rtm->rtm_table == RT_TABLE_MAIN;
}

static int
event_cb(const struct nlmsghdr *nlh, void *arg)
{
	int	 ours = 0;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		ours = link_is_ours(nlh);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		ours = addr_is_ours(nlh);
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		ours = route_is_default(nlh);
		break;
	}
	if (ours)
		settle_arm();
	return MNL_CB_OK;
}

static void
netwatch_read(int fd, short ev, void *arg)
{
	struct sockaddr_nl	 snl;
	socklen_t		 len;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < READS_MAX; i++) {
		len = sizeof(snl);
		n = recvfrom(fd, nw.buf, sizeof(nw.buf), 0,
		    (struct sockaddr *)&snl, &len);
		if (n == -1 && errno == ENOBUFS) {
			/* Events were lost: which, we cannot know, so look. */
			log_debug("netwatch: events lost, looking again");
			settle_arm();
			continue;
		}
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("netwatch: recvfrom");
			return;
		}
		if (len != sizeof(snl) || snl.nl_pid != 0)
			continue;	/* not from the kernel */
		if (mnl_cb_run(nw.buf, (size_t)n, 0, 0, event_cb, NULL) ==
		    MNL_CB_ERROR)
			log_debug("netwatch: malformed message: %s",
			    strerror(errno));
	}
}

/*
 * conf is the monitor's configuration in force, read at every event
 * for the interface to follow.
 */
void
netwatch_init(struct event_base *base, const struct lbn_conf *conf)
{
	unsigned int	 groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
	    RTMGRP_IPV6_IFADDR;

	nw.conf = conf;
	if ((nw.nl = mnl_socket_open2(NETLINK_ROUTE,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == NULL)
		fatal("netwatch: mnl_socket_open2");
	if (mnl_socket_bind(nw.nl, groups, MNL_SOCKET_AUTOPID) == -1)
		fatal("netwatch: mnl_socket_bind");
	if ((nw.ev_settle = evtimer_new(base, settle_done, NULL)) == NULL ||
	    (nw.ev_read = event_new(base, mnl_socket_get_fd(nw.nl),
	    EV_READ | EV_PERSIST, netwatch_read, NULL)) == NULL ||
	    event_add(nw.ev_read, NULL) == -1)
		fatalx("netwatch: event");
	netwatch_routes(conf->follow_default);
	/* What changed between the first look and the subscription. */
	settle_arm();
}

/* Route events only while the default route names the interface. */
void
netwatch_routes(int on)
{
	int	 group = RTNLGRP_IPV4_ROUTE;

	if (mnl_socket_setsockopt(nw.nl, on ? NETLINK_ADD_MEMBERSHIP :
	    NETLINK_DROP_MEMBERSHIP, &group, sizeof(group)) == -1)
		fatal("netwatch: route events");
}
