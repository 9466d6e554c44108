/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Load arithmetic on fixture files from tests/fixtures: what the
 * reporter makes of /proc/stat, loadavg, meminfo, uptime, cgroup v1
 * and v2 files, PSI and /proc/net/snmp, and the moving average; and
 * the sock_diag dump on real sockets of the test's own.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadcalc.h"
#include "reporter.h"
#include "tap.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

/* A fixture's text; each call gets its own buffer, freed at exit. */
static const char *
fixture(const char *name)
{
	static char	 bufs[8][4096];
	static int	 next;
	char		 path[512], *buf = bufs[next++ % 8];
	FILE		*f;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	if ((f = fopen(path, "r")) == NULL) {
		printf("Bail out! cannot open %s\n", path);
		exit(1);
	}
	n = fread(buf, 1, sizeof(bufs[0]) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_procstat(void)
{
	struct cpu_times	 a, b, back;
	uint32_t		 ncpu, busy = 12345;

	is_int(procstat_parse(fixture("proc_stat_a"), &a, &ncpu), 0,
	    "proc_stat_a parses");
	is_int(ncpu, 2, "two cpuN lines: two CPUs");
	/* user nice system irq softirq steal; guest is inside user */
	is_int(a.busy, 1000 + 100 + 500 + 50 + 50 + 200, "busy ticks");
	is_int(a.idle, 8000 + 300, "idle ticks include iowait");
	is_int(procstat_parse(fixture("proc_stat_b"), &b, &ncpu), 0,
	    "proc_stat_b parses");

	/*
	 * a -> b: user +300 (of which guest +300), system +100, steal +100,
	 * idle +400, iowait +100.  Busy 500 of 1000 ticks.  Counting guest
	 * twice would give 61.5%, iowait as busy 60%, steal as idle 40%.
	 */
	is_int(cpu_busy_x100(&a, &b, &busy), 0, "a -> b is an interval");
	is_int(busy, 5000, "busy 50.00%: iowait idle, steal busy, guest once");

	busy = 12345;
	is_int(cpu_busy_x100(&b, &b, &busy), -1, "no tick elapsed: no sample");
	is_int(busy, 12345, "no sample leaves the figure alone");
	is_int(cpu_busy_x100(&b, &a, &busy), -1,
	    "busy counter went back (reset or wrap): no sample");

	/* proc(5): iowait may go back; that is no idle time, not a wrap. */
	back.busy = a.busy + 30;
	back.idle = a.idle - 5;
	is_int(cpu_busy_x100(&a, &back, &busy), 0, "idle going back is usable");
	is_int(busy, 10000, "... and counts as fully busy");

	is_int(procstat_parse(fixture("proc_stat_old"), &a, &ncpu), 0,
	    "a kernel with four fields parses");
	is_int(ncpu, 4, "four CPUs");
	is_int(a.busy, 150, "old kernel busy ticks");
	is_int(a.idle, 850, "old kernel idle ticks");

	is_int(procstat_parse("cpu  1 2 3\ncpu0 1 2 3\n", &a, &ncpu), -1,
	    "fewer than four fields rejected");
	is_int(procstat_parse("intr 1 2 3\n", &a, &ncpu), -1,
	    "no cpu line rejected");
	is_int(procstat_parse("cpu  1 2 3 4\nintr 1\n", &a, &ncpu), -1,
	    "no cpuN line rejected");
	is_int(procstat_parse("cpu  99999999999999999999 2 3 4\ncpu0 1\n",
	    &a, &ncpu), -1, "overflowing counter rejected");
}

static void
test_loadavg_meminfo_uptime(void)
{
	uint32_t	 v;
	uint64_t	 secs;

	is_int(loadavg_parse(fixture("loadavg"), &v), 0, "loadavg parses");
	is_int(v, 146, "1-minute load 1.46");
	is_int(loadavg_per_cpu_x100(v, 2), 73, "0.73 per CPU on two CPUs");
	is_int(loadavg_per_cpu_x100(v, 0), 146, "no CPU count: taken as one");
	is_int(loadavg_parse("12.3 1 1 1/1 1\n", &v), 0, "one decimal");
	is_int(v, 1230, "12.3 is 1230");
	is_int(loadavg_parse("x 1 1\n", &v), -1, "garbage loadavg rejected");

	is_int(meminfo_parse(fixture("meminfo"), &v), 0, "meminfo parses");
	is_int(v, 2500, "12 of 16 GB available: 25.00% used");
	is_int(meminfo_parse(fixture("meminfo_old"), &v), -1,
	    "no MemAvailable rejected");
	is_int(meminfo_parse("MemTotal: 0 kB\nMemAvailable: 0 kB\n", &v), -1,
	    "MemTotal 0 rejected");
	is_int(meminfo_parse("MemTotal: 100 kB\nMemAvailable: 200 kB\n", &v),
	    0, "available above total parses");
	is_int(v, 0, "... as nothing used");

	is_int(uptime_parse(fixture("uptime"), &secs), 0, "uptime parses");
	is_int(secs, 350735, "uptime in whole seconds");
}

static void
test_cgroup(void)
{
	struct cgroup_reading	 a, b;
	uint32_t		 milli, busy;
	uint64_t		 ns;

	is_int(cgroup2_usage_parse(fixture("cgroup2_cpu.stat"), &ns), 0,
	    "v2 cpu.stat parses");
	is_int(ns, 5000000000ULL, "usage_usec in ns");
	is_int(cgroup2_usage_parse("user_usec 5\n", &ns), -1,
	    "v2 cpu.stat without usage_usec rejected");
	is_int(cgroup2_max_parse(fixture("cgroup2_cpu.max"), 2, &milli), 0,
	    "v2 cpu.max with a quota parses");
	is_int(milli, 1500, "150000/100000: 1.5 CPUs");
	is_int(cgroup2_max_parse(fixture("cgroup2_cpu.max_none"), 2, &milli),
	    0, "v2 cpu.max without a quota parses");
	is_int(milli, 2000, "no quota: every online CPU");
	is_int(cgroup2_max_parse("400000 100000\n", 2, &milli), 0,
	    "v2 quota above the CPUs parses");
	is_int(milli, 2000, "... capped at the CPUs there are");
	is_int(cgroup2_max_parse("150000 0\n", 2, &milli), -1,
	    "period 0 rejected");

	is_int(cgroup1_usage_parse(fixture("cgroup1_cpuacct.usage"), &ns), 0,
	    "v1 cpuacct.usage parses");
	is_int(ns, 123456789000ULL, "v1 usage in ns");
	is_int(cgroup1_quota_parse(fixture("cgroup1_cpu.cfs_quota_us"),
	    fixture("cgroup1_cpu.cfs_period_us"), 2, &milli), 0,
	    "v1 quota parses");
	is_int(milli, 500, "50000/100000: half a CPU");
	is_int(cgroup1_quota_parse(fixture("cgroup1_cpu.cfs_quota_us_none"),
	    fixture("cgroup1_cpu.cfs_period_us"), 4, &milli), 0,
	    "v1 quota -1 parses");
	is_int(milli, 4000, "v1 no quota: every online CPU");

	/* 0.75 s of CPU in 1 s of wall time */
	a.usage_ns = 5000000000ULL;
	a.wall_ns = 1000000000ULL;
	b.usage_ns = a.usage_ns + 750000000ULL;
	b.wall_ns = a.wall_ns + 1000000000ULL;
	is_int(cgroup_busy_x100(&a, &b, 1500, &busy), 0, "cgroup interval");
	is_int(busy, 5000, "0.75 CPU of a 1.5 CPU quota: 50%");
	is_int(cgroup_busy_x100(&a, &b, 2000, &busy), 0, "no quota, 2 CPUs");
	is_int(busy, 3750, "0.75 CPU of 2: 37.5%");
	is_int(cgroup_busy_x100(&a, &b, 500, &busy), 0, "over the quota");
	is_int(busy, 10000, "... is capped at 100%");
	is_int(cgroup_busy_x100(&a, &a, 1500, &busy), -1,
	    "no wall time elapsed: no sample");
	is_int(cgroup_busy_x100(&b, &a, 1500, &busy), -1,
	    "usage went back (cgroup recreated): no sample");
}

static void
test_saturation_counters(void)
{
	uint64_t	 v = 1;
	uint32_t	 share = 1;

	is_int(psi_some_parse(fixture("pressure_cpu"), &v), 0,
	    "cpu.pressure parses");
	is_int(v, 8123456, "the some line's total, not an avg");
	is_int(psi_some_parse(fixture("pressure_cpu_no_total"), &v), -1,
	    "a pressure file without total is refused");
	is_int(psi_some_parse(fixture("loadavg"), &v), -1,
	    "not a pressure file: refused");

	is_int(cgroup_throttled_parse(fixture("cgroup2_cpu.stat"), 2, &v), 0,
	    "v2 cpu.stat throttled_usec parses");
	is_int(v, 4000000, "v2 throttled time in ns");
	is_int(cgroup_throttled_parse(fixture("cgroup1_cpu.stat"), 1, &v), 0,
	    "v1 cpu.stat throttled_time parses");
	is_int(v, 4500000000ULL, "v1 throttled time in ns");
	is_int(cgroup_throttled_parse(fixture("cgroup1_cpu.stat"), 2, &v), -1,
	    "a v1 file read as v2 is refused");

	is_int(snmp_tcp_parse(fixture("proc_net_snmp"), "PassiveOpens", &v),
	    0, "/proc/net/snmp parses");
	is_int(v, 98765, "PassiveOpens, past MaxConn -1");
	is_int(snmp_tcp_parse(fixture("proc_net_snmp"), "CurrEstab", &v), 0,
	    "CurrEstab parses");
	is_int(v, 3, "CurrEstab, the column after EstabResets");
	is_int(snmp_tcp_parse(fixture("proc_net_snmp"), "InCsumErrors", &v),
	    0, "the last column parses");
	is_int(v, 0, "InCsumErrors, the last column");
	is_int(snmp_tcp_parse(fixture("proc_net_snmp"), "Passive", &v), -1,
	    "a name's beginning is no column");
	is_int(snmp_tcp_parse(fixture("proc_net_snmp_no_opens"),
	    "PassiveOpens", &v), -1, "no PassiveOpens column: refused");
	is_int(snmp_tcp_parse(fixture("loadavg"), "CurrEstab", &v), -1,
	    "not /proc/net/snmp: refused");

	is_int(counter_share_x100(1000, 1250, 1000, &share), 0,
	    "a counter's share of the interval");
	is_int(share, 2500, "250 of 1000: 25%");
	is_int(counter_share_x100(1000, 4000, 1000, &share), 0,
	    "more than the interval (several CPUs)");
	is_int(share, 10000, "... is capped at 100%");
	is_int(counter_share_x100(1000, 999, 1000, &share), -1,
	    "a counter that went back: no share");
	is_int(counter_share_x100(1000, 1000, 0, &share), -1,
	    "no time elapsed: no share");

	is_int(established_since(100, 500, 530, 0), 130,
	    "between counts: 30 more established in the namespace, 30 more");
	is_int(established_since(100, 500, 450, 0), 50,
	    "50 fewer, 50 fewer");
	is_int(established_since(100, 500, 300, 0), 0,
	    "more fewer than were counted: none");
	is_int(established_since(100, 500, 450, 70), 70,
	    "never fewer than are queued");
	is_int(established_since(100, 0, 0, 0), 100,
	    "no CurrEstab: the last count");
	is_int(established_since(UINT32_MAX, 0, 10, 0), UINT32_MAX,
	    "no wrap past UINT32_MAX");
}

/* A listening socket on 127.0.0.1, its port in *port. */
static int
listener(uint16_t *port)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	socklen_t		 len = sizeof(sin);
	int			 fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		printf("Bail out! cannot listen on 127.0.0.1\n");
		exit(1);
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static int
connect_to(uint16_t port)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	int			 fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		printf("Bail out! cannot connect to 127.0.0.1:%u\n", port);
		exit(1);
	}
	return fd;
}

/* One dump holds both families: a connection to [::1] counts too. */
static void
test_sockdiag_ipv6(int nl, struct lbn_settings *s)
{
	struct sockaddr_in6	 sin6 = { .sin6_family = AF_INET6 };
	struct sockdiag_count	 c;
	socklen_t		 len = sizeof(sin6);
	int			 lfd, cfd;

	sin6.sin6_addr = in6addr_loopback;
	if ((lfd = socket(AF_INET6, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1 ||
	    listen(lfd, 16) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin6, &len) == -1 ||
	    (cfd = socket(AF_INET6, SOCK_STREAM, 0)) == -1 ||
	    connect(cfd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		printf("Bail out! cannot connect to [::1]\n");
		exit(1);
	}
	s->nservice = 2;
	s->service[1].lo = s->service[1].hi = ntohs(sin6.sin6_port);
	is_int(sockdiag_count(nl, s, 1, &c), 0, "dump with an IPv6 port");
	is_int(c.queued, 2, "IPv4 and IPv6 queues: 1 + 1");
	is_int(c.established, 2, "IPv4 and IPv6 connections: 1 + 1");
	s->nservice = 1;
	close(cfd);
	close(lfd);
}

/*
 * Three connections to a service port, one accepted: three established
 * server-side sockets, two of them in the accept queue.  The clients'
 * sockets have the port as their peer's, not their own, and a second
 * listener outside the service ports counts for nothing.
 */
static void
test_sockdiag(void)
{
	struct lbn_settings	 s;
	struct sockdiag_count	 c;
	uint16_t		 port, other;
	int			 nl, lfd, ofd, cfd[4], afd, i;

	memset(&s, 0, sizeof(s));
	lfd = listener(&port);
	ofd = listener(&other);
	for (i = 0; i < 3; i++)
		cfd[i] = connect_to(port);
	cfd[3] = connect_to(other);
	if ((afd = accept(lfd, NULL, NULL)) == -1 ||
	    (nl = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK,
	    NETLINK_SOCK_DIAG)) == -1) {
		printf("Bail out! accept or sock_diag socket\n");
		exit(1);
	}
	is_int(sockdiag_count(nl, &s, 1, &c), -1, "no service ports: no count");

	/* The port alone, then as the second of two ranges. */
	s.nservice = 1;
	s.service[0].lo = s.service[0].hi = port;
	is_int(sockdiag_count(nl, &s, 1, &c), 0, "dump of one port");
	is_int(c.queued, 2, "two connections wait in the accept queue");
	is_int(c.established, 3, "three established on the port");
	s.nservice = 2;
	s.service[1] = s.service[0];
	s.service[0].lo = port == 1 ? 2 : 1;
	s.service[0].hi = s.service[0].lo;
	is_int(sockdiag_count(nl, &s, 1, &c), 0, "dump of two ranges");
	is_int(c.established, 3, "the second range matches");
	s.nservice = 1;
	s.service[0].lo = other;
	s.service[0].hi = other;
	is_int(sockdiag_count(nl, &s, 1, &c), 0, "dump of the other port");
	is_int(c.queued, 1, "its one connection queued");
	is_int(c.established, 1, "and established");
	is_int(sockdiag_count(nl, &s, 0, &c), 0, "dump of the queues alone");
	is_int(c.queued, 1, "the queue is there");
	is_int(c.established, 0, "established sockets are not dumped");

	test_sockdiag_ipv6(nl, &s);

	close(afd);
	for (i = 0; i < 4; i++)
		close(cfd[i]);
	close(lfd);
	close(ofd);
	is_int(sockdiag_count(-1, &s, 1, &c), -1, "a bad socket: no count");
	close(nl);
}

static void
test_smoother(void)
{
	struct smoother	 s;
	uint32_t	 v = 0;
	int		 i;

	smoother_init(&s, 0);
	is_int(s.size, 1, "smooth 0 means no smoothing");
	smoother_init(&s, 100000);
	is_int(s.size, SMOOTH_MAX, "smooth is bounded");

	smoother_init(&s, 4);
	is_int(smoother_push(&s, 2000), 2000, "first sample is the mean");
	is_int(smoother_push(&s, 4000), 3000, "mean of the samples held");
	for (i = 0; i < 4; i++)
		v = smoother_push(&s, 0);
	is_int(v, 0, "settled at 0 after smooth samples");

	/* A step 0 -> 100%, the first sample straddling it. */
	v = smoother_push(&s, 5000);
	ok(v != 10000, "straddling sample: not settled");
	for (i = 2; i <= 4; i++) {
		v = smoother_push(&s, 10000);
		ok(v < 10000, "not settled before smooth + 1 samples");
	}
	is_int(smoother_push(&s, 10000), 10000,
	    "settled within smooth + 1 samples");
	is_int(smoother_push(&s, 10000), 10000, "and stays");
}

int
main(void)
{
	test_procstat();
	test_loadavg_meminfo_uptime();
	test_cgroup();
	test_saturation_counters();
	test_sockdiag();
	test_smoother();
	return done_testing();
}
