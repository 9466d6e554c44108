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
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "key.h"
#include "log.h"
#include "monitor.h"

#define LISTEN_BACKLOG		128
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

static void
interface_addresses(struct lbn_settings *s)
{
	struct ifaddrs		*ifap, *ifa;
	struct lbn_addr		 a;

	if (getifaddrs(&ifap) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (ifa = ifap; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL || strcmp(ifa->ifa_name,
		    s->interface) != 0 ||
		    addr_from_sockaddr(ifa->ifa_addr, &a) == -1)
			continue;
		if (a.af == AF_INET && s->real_addr.af == 0) {
			s->real_addr = a;
			if ((ifa->ifa_flags & IFF_BROADCAST) &&
			    ifa->ifa_netmask != NULL)
				subnet_broadcast(&a, ifa->ifa_netmask,
				    &s->bcast);
		} else if (a.af == AF_INET6 && s->real_addr6.af == 0 &&
		    addr_unusable(&a) == NULL)
			s->real_addr6 = a;
	}
	freeifaddrs(ifap);
}

/* A stable id that does not give away /etc/machine-id itself. */
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
		n = fread(id, 1, sizeof(id), fp);
		fclose(fp);
	}
	if (n == 0) {
		n = strlen(s->hostname);
		memcpy(id, s->hostname, n);
	}
	crypto_generichash(s->node_id, sizeof(s->node_id),
	    (const unsigned char *)id, n,
	    (const unsigned char *)"lbnoded node id", 15);
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

	node_identity(s);
	service_ports_default(conf);
	if (s->interface[0] == '\0' &&
	    default_interface(s->interface, sizeof(s->interface)) == -1)
		log_info("no default route: announcements go to lb hosts only");
	if (s->interface[0] != '\0') {
		if ((s->ifindex = if_nametoindex(s->interface)) == 0) {
			log_warnx("interface %s not found", s->interface);
			return -1;
		}
		interface_addresses(s);
	}
	if (s->keyfile[0] != '\0' && key_read(s->keyfile, &conf->key) == -1)
		return -1;
	return cgroup_prepare(s);
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

static void
send_lbnp_sockets(uint16_t port)
{
	int	 fd4, fd6;

	if ((fd4 = socket_bound(AF_INET, SOCK_DGRAM, port)) == -1)
		log_warn("cannot bind udp port %u", port);
	fd6 = socket_bound(AF_INET6, SOCK_DGRAM, port);
	if (fd6 == -1 && errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL)
		log_warn("cannot bind udp6 port %u", port);
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
