/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * What the children are told.  The reporter cannot open anything
 * itself (chroot, no privileges), so every socket and /proc file it
 * reads is opened here and passed.  The monitor keeps none of the
 * sockets: a listening socket in the monitor would be network input in
 * the one process that must not have any.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "key.h"
#include "lbnp.h"
#include "log.h"
#include "monitor.h"

#define LISTEN_BACKLOG		128
/*
 * An LBNP socket's receive queue: some 5,000 small datagrams, what a
 * flood of 100,000 a second brings in 50 ms.  The kernel drops what
 * overflows the queue without looking, the LB's queries with the
 * flood's, whenever the reporter is off the CPU a little longer than
 * the queue lasts; so it must outlast a busy machine's scheduling.
 */
#define LBNP_RCVBUF		(4 * 1024 * 1024)
#define ROUTE_LINE_MAX		256

static const struct {
	enum procfd_kind	 kind;
	const char		*path;
} procfiles[] = {
	{ PROCFD_STAT,		"/proc/stat" },
	{ PROCFD_LOADAVG,	"/proc/loadavg" },
	{ PROCFD_MEMINFO,	"/proc/meminfo" },
	{ PROCFD_UPTIME,	"/proc/uptime" },
	{ PROCFD_SNMP,		"/proc/net/snmp" },
};

/* The interface of the IPv4 default route, as the old module's "udp eth0". */
static int
default_interface(char *name, size_t len)
{
	char		 line[ROUTE_LINE_MAX], ifname[IF_NAMESIZE];
	unsigned long	 dest;
	FILE		*fp;
	int		 found = 0;

	if ((fp = fopen("/proc/net/route", "re")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%15s %lx", ifname, &dest) == 2 && dest == 0)
			found = 1;
	fclose(fp);
	if (!found)
		return -1;
	snprintf(name, len, "%s", ifname);
	return 0;
}

/*
 * The subnet's directed broadcast, from the address and its mask: an
 * address added without "brd +" has no broadcast address of its own.
 */
static void
subnet_broadcast(const struct lbn_addr *a, const struct sockaddr *mask,
    struct lbn_addr *bcast)
{
	const struct sockaddr_in	*m = (const struct sockaddr_in *)mask;

	*bcast = *a;
	bcast->u.v4.s_addr = a->u.v4.s_addr | ~m->sin_addr.s_addr;
}

/*
 * The first IPv4 and IPv6 addresses of ifp's interface that can
 * reach an LB: no link-local address, no loopback.
 */
static void
interface_addresses(struct iface_msg *ifp)
{
	struct ifaddrs		*ifap, *ifa;
	struct lbn_addr		 a;

	if (getifaddrs(&ifap) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL || strcmp(ifa->ifa_name,
		    ifp->name) != 0 ||
		    addr_from_sockaddr(ifa->ifa_addr, &a) == -1 ||
		    addr_unusable(&a) != NULL)
			continue;
		if (a.af == AF_INET && ifp->addr.af == 0) {
			ifp->addr = a;
			if ((ifa->ifa_flags & IFF_BROADCAST) &&
			    ifa->ifa_netmask != NULL)
				subnet_broadcast(&a, ifa->ifa_netmask,
				    &ifp->bcast);
		} else if (a.af == AF_INET6 && ifp->addr6.af == 0)
			ifp->addr6 = a;
	}
	freeifaddrs(ifap);
}

/*
 * The interface as it is now: the configured one, or the default
 * route's when the configuration names none.  A missing interface has
 * index 0 and no address.
 */
static void
interface_lookup(const struct lbn_conf *conf, struct iface_msg *ifp)
{
	memset(ifp, 0, sizeof(*ifp));
	if (!conf->follow_default)
		snprintf(ifp->name, sizeof(ifp->name), "%s", conf->s.interface);
	else if (default_interface(ifp->name, sizeof(ifp->name)) == -1)
		return;
	if ((ifp->index = if_nametoindex(ifp->name)) != 0)
		interface_addresses(ifp);
}

static int
iface_usable(const struct iface_msg *ifp)
{
	return ifp->addr.af != 0 || ifp->addr6.af != 0;
}

static int
iface_same(const struct iface_msg *a, const struct iface_msg *b)
{
	return strcmp(a->name, b->name) == 0 && a->index == b->index &&
	    addr_eq(&a->addr, &b->addr) && addr_eq(&a->addr6, &b->addr6) &&
	    addr_eq(&a->bcast, &b->bcast);
}

/* Logged once per change of state, not once per event. */
static void
iface_log(const struct lbn_conf *conf, const struct iface_msg *was,
    const struct iface_msg *now)
{
	char	 a4[ADDR_STRLEN], a6[ADDR_STRLEN];

	if (conf->follow_default && strcmp(was->name, now->name) != 0)
		log_info("default route: interface %s",
		    now->name[0] != '\0' ? now->name : "none");
	if (now->name[0] == '\0') {
		log_info("no default route: announcements go to lb hosts "
		    "only, and no address is reported");
		return;
	}
	if (now->index == 0) {
		log_warnx("interface %s not found: waiting for it", now->name);
		return;
	}
	if (was->index != now->index && strcmp(was->name, now->name) == 0) {
		if (was->index != 0)
			log_info("interface %s re-created: index %u, was %u",
			    now->name, now->index, was->index);
		else
			log_info("interface %s appeared: index %u", now->name,
			    now->index);
	}
	if (!iface_usable(now)) {
		if (iface_usable(was) || was->index != now->index ||
		    strcmp(was->name, now->name) != 0)
			log_warnx("interface %s has no usable address: "
			    "waiting for one", now->name);
		return;
	}
	if (!addr_eq(&was->addr, &now->addr) ||
	    !addr_eq(&was->addr6, &now->addr6) ||
	    strcmp(was->name, now->name) != 0)
		log_info("interface %s: IPv4 %s, IPv6 %s", now->name,
		    addr_str(&now->addr, a4, sizeof(a4)),
		    addr_str(&now->addr6, a6, sizeof(a6)));
}

/* The host name, and the NODE_ID derived from /etc/machine-id (lbnp.c). */
static void
node_identity(struct lbn_settings *s)
{
	char	 id[64];
	FILE	*fp;
	size_t	 n = 0;

	if (gethostname(s->hostname, sizeof(s->hostname)) == -1)
		snprintf(s->hostname, sizeof(s->hostname), "unknown");
	s->hostname[sizeof(s->hostname) - 1] = '\0';
	if ((fp = fopen("/etc/machine-id", "re")) != NULL) {
		n = fread(id, 1, sizeof(id) - 1, fp);
		fclose(fp);
	}
	id[n] = '\0';
	lbnp_node_id(s->node_id, n > 0 ? id : NULL, s->hostname);
}

/*
 * Without "service port", the TCP ports of the vip blocks, as the
 * service sees them (after a redirect's "to").
 */
static void
service_ports_default(struct lbn_conf *conf)
{
	struct lbn_settings	*s = &conf->s;
	const struct dr_entry	*e;
	uint16_t		 lo, hi;
	size_t			 i, j;

	if (s->nservice != 0)
		return;
	for (i = 0; i < conf->nentries; i++) {
		e = &conf->entries[i];
		if (e->proto != IPPROTO_TCP)
			continue;
		lo = e->to_port ? e->to_port : e->port_lo;
		hi = e->to_port ? e->to_port : e->port_hi;
		for (j = 0; j < s->nservice; j++)
			if (s->service[j].lo == lo && s->service[j].hi == hi)
				break;
		if (j < s->nservice)
			continue;
		if (s->nservice == SERVICE_PORTS_MAX) {
			log_warnx("more than %d tcp port ranges in the vip "
			    "blocks: the rest are not watched; say which with "
			    "\"service port\"", SERVICE_PORTS_MAX);
			return;
		}
		s->service[s->nservice].lo = lo;
		s->service[s->nservice++].hi = hi;
	}
}

int
confsend_prepare(struct lbn_conf *conf)
{
	struct lbn_settings	*s = &conf->s;
	struct iface_msg	 now, none;

	node_identity(s);
	service_ports_default(conf);
	conf->follow_default = s->interface[0] == '\0';
	memset(&none, 0, sizeof(none));
	interface_lookup(conf, &now);
	iface_log(conf, &none, &now);
	iface_set(s, &now);
	if (s->keyfile[0] != '\0' && key_read(s->keyfile, &conf->key) == -1)
		return -1;
	return cgroup_prepare(s);
}

/*
 * Look at the interface again and tell the children what changed:
 * the reporter the addresses it reports and announces to, netcfg the
 * settings its ARP rules are made of (the interface's name and IPv4
 * address).  Returns 1 when netcfg's rules must be rebuilt.
 */
int
confsend_follow(struct lbn_conf *conf)
{
	struct iface_msg	 was, now;
	int			 arp;

	iface_get(&conf->s, &was);
	interface_lookup(conf, &now);
	if (iface_same(&was, &now))
		return 0;
	iface_log(conf, &was, &now);
	iface_set(&conf->s, &now);
	if (proc_running(PROC_REPORTER))
		proc_send(PROC_REPORTER, IMSG_REP_IFACE, 0, -1, &now,
		    sizeof(now));
	arp = strcmp(was.name, now.name) != 0 ||
	    !addr_eq(&was.addr, &now.addr);
	if (arp && proc_running(PROC_NETCFG))
		confsend_netcfg(conf);
	return arp;
}

void
confsend_netcfg(const struct lbn_conf *conf)
{
	proc_send(PROC_NETCFG, IMSG_CONF_SETTINGS, 0, -1, &conf->s,
	    sizeof(conf->s));
	proc_send(PROC_NETCFG, IMSG_CONF_END, 0, -1, NULL, 0);
}

static int
socket_opt(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

/*
 * A socket of the given type on the wildcard address.  An IPv6 TCP
 * socket serves IPv4 too; UDP gets one socket per family, because
 * broadcasts go out of the IPv4 one.
 */
static int
socket_bound(int af, int type, uint16_t port)
{
	struct sockaddr_storage	 ss;
	struct lbn_addr		 any = { .af = (uint8_t)af };
	socklen_t		 sslen;
	int			 fd;

	if ((fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (socket_opt(fd, SOL_SOCKET, SO_REUSEADDR, 1) == -1 ||
	    (af == AF_INET6 && socket_opt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
	    type == SOCK_DGRAM) == -1) ||
	    (af == AF_INET && type == SOCK_DGRAM &&
	    socket_opt(fd, SOL_SOCKET, SO_BROADCAST, 1) == -1))
		goto fail;
	sslen = addr_to_sockaddr(&any, port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1)
		goto fail;
	if (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int
tcp_listener(uint16_t port)
{
	int	 fd;

	if ((fd = socket_bound(AF_INET6, SOCK_STREAM, port)) == -1 &&
	    (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
		fd = socket_bound(AF_INET, SOCK_STREAM, port);
	if (fd == -1)
		log_warn("cannot listen on tcp port %u", port);
	return fd;
}

static void
send_fd(uint32_t type, int fd, const void *data, size_t len)
{
	if (fd != -1)
		proc_send(PROC_REPORTER, type, 0, fd, data, len);
}

/* Past net.core.rmem_max: we are root here, the reporter is not. */
static void
lbnp_rcvbuf(int fd)
{
	if (fd != -1 && socket_opt(fd, SOL_SOCKET, SO_RCVBUFFORCE,
	    LBNP_RCVBUF) == -1)
		log_warn("lbnp socket: SO_RCVBUFFORCE");
}

static void
send_lbnp_sockets(uint16_t port)
{
	int	 fd4, fd6;

	if ((fd4 = socket_bound(AF_INET, SOCK_DGRAM, port)) == -1)
		log_warn("cannot bind udp port %u", port);
	fd6 = socket_bound(AF_INET6, SOCK_DGRAM, port);
	if (fd6 == -1 && errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL)
		log_warn("cannot bind udp6 port %u", port);
	lbnp_rcvbuf(fd4);
	lbnp_rcvbuf(fd6);
	send_fd(IMSG_REP_LBNP_SOCK, fd4, NULL, 0);
	send_fd(IMSG_REP_LBNP_SOCK, fd6, NULL, 0);
}

/*
 * The reporter reads the service ports' queues from the kernel over
 * NETLINK_SOCK_DIAG; it cannot create the socket itself.
 */
static void
send_sockdiag(void)
{
	struct procfd_msg	 pm = { .kind = PROCFD_SOCKDIAG };
	int			 fd;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    NETLINK_SOCK_DIAG)) == -1) {
		log_warn("sock_diag netlink socket");
		return;
	}
	send_fd(IMSG_REP_PROCFD, fd, &pm, sizeof(pm));
}

static void
send_procfds(const struct lbn_conf *conf)
{
	struct procfd_msg	 pm;
	size_t			 i;
	int			 fd;

	for (i = 0; i < nitems(procfiles); i++) {
		if ((fd = open(procfiles[i].path, O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("%s", procfiles[i].path);
			continue;
		}
		memset(&pm, 0, sizeof(pm));
		pm.kind = procfiles[i].kind;
		send_fd(IMSG_REP_PROCFD, fd, &pm, sizeof(pm));
	}
	cgroup_send();
	send_sockdiag();
}

/*
 * A whole configuration for the reporter.  Sockets whose port is
 * unchanged since old are not sent again: the reporter keeps serving
 * them, so a reload does not disturb the LBs.
 */
void
confsend_reporter(const struct lbn_conf *old, const struct lbn_conf *new,
    uint32_t admin)
{
	const struct lbn_settings	*s = &new->s;

	if (!proc_running(PROC_REPORTER))
		return;
	proc_send(PROC_REPORTER, IMSG_CONF_SETTINGS, 0, -1, s, sizeof(*s));
	proc_send(PROC_REPORTER, IMSG_REP_KEY, 0, -1, &new->key,
	    sizeof(new->key));
	send_procfds(new);
	if (old == NULL || old->s.port != s->port)
		send_lbnp_sockets(s->port);
	if (s->agent_port != 0 && (old == NULL ||
	    old->s.agent_port != s->agent_port))
		send_fd(IMSG_REP_AGENT_SOCK, tcp_listener(s->agent_port),
		    NULL, 0);
	if (s->http_port != 0 && (old == NULL ||
	    old->s.http_port != s->http_port))
		send_fd(IMSG_REP_HTTP_SOCK, tcp_listener(s->http_port),
		    NULL, 0);
	proc_send(PROC_REPORTER, IMSG_REP_ADMIN, 0, -1,
	    &(struct admin_msg){ .state = admin }, sizeof(struct admin_msg));
	proc_send(PROC_REPORTER, IMSG_CONF_END, 0, -1, NULL, 0);
}
