/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Load arithmetic: parse what the kernel writes in /proc and in cgroup
 * files, and turn two readings into a busy share.  Shares are integers
 * in hundredths of a percent (0-10000) so they cross imsg and LBNP as
 * they are and compare exactly in tests.
 */
#include <stdint.h>
#include <string.h>

#include "loadcalc.h"

#define X100_FULL	10000

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A decimal number after optional blanks; NULL if none or too large. */
static const char *
parse_u64(const char *p, uint64_t *v)
{
	uint64_t	 n = 0;
	unsigned int	 d;

	p = skip_blanks(p);
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		d = (unsigned int)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return NULL;
		n = n * 10 + d;
	}
	*v = n;
	return p;
}

/*
 * "12.34" as 1234.  The kernel writes two decimals in loadavg and
 * uptime; more are cut, fewer padded.
 */
static const char *
parse_x100(const char *p, uint64_t *v)
{
	uint64_t	 whole, frac = 0;
	int		 i;

	if ((p = parse_u64(p, &whole)) == NULL || whole > UINT32_MAX)
		return NULL;
	if (*p == '.') {
		p++;
		for (i = 0; i < 2; i++) {
			frac *= 10;
			if (*p >= '0' && *p <= '9')
				frac += (uint64_t)(*p++ - '0');
		}
		while (*p >= '0' && *p <= '9')
			p++;
	}
	*v = whole * 100 + frac;
	return p;
}

/* part / whole in hundredths of a percent, rounded, at most 100%. */
static uint32_t
share_x100(double part, double whole)
{
	double	 x = part * X100_FULL / whole + 0.5;

	return x >= X100_FULL ? X100_FULL : (uint32_t)x;
}

static const char *
next_line(const char *p)
{
	p = strchr(p, '\n');
	return p == NULL ? NULL : p + 1;
}

/* The value after "key" at the start of a line, e.g. "MemTotal:". */
static int
find_key_u64(const char *buf, const char *key, uint64_t *v)
{
	size_t		 klen = strlen(key);
	const char	*line;

	for (line = buf; line != NULL; line = next_line(line)) {
		if (strncmp(line, key, klen) == 0 &&
		    (line[klen] == ' ' || line[klen] == '\t'))
			return parse_u64(line + klen, v) == NULL ? -1 : 0;
	}
	return -1;
}

/*
 * The aggregate "cpu" line:
 *   cpu user nice system idle iowait irq softirq steal guest guest_nice
 * iowait counts as idle: a CPU waiting for I/O could run other work,
 * so it is capacity the node still has.  steal counts as busy: it is
 * time the hypervisor gave to someone else, capacity we do not get.
 * guest and guest_nice are already included in user and nice, so they
 * are not added again.  Kernels before 2.6.11 lack the later fields;
 * those count as 0.  The number of CPUs is the number of "cpuN" lines,
 * which the kernel writes for online CPUs only.
 */
int
procstat_parse(const char *buf, struct cpu_times *t, uint32_t *ncpu)
{
	enum { USER, NICE, SYSTEM, IDLE, IOWAIT, IRQ, SOFTIRQ, STEAL, NF };
	uint64_t	 f[NF];
	const char	*p, *line;
	int		 i;

	if (strncmp(buf, "cpu ", 4) != 0)
		return -1;
	memset(f, 0, sizeof(f));
	p = buf + 4;
	for (i = 0; i < NF && (p = parse_u64(p, &f[i])) != NULL; i++)
		;
	if (i <= IDLE)
		return -1;
	t->busy = f[USER] + f[NICE] + f[SYSTEM] + f[IRQ] + f[SOFTIRQ] +
	    f[STEAL];
	t->idle = f[IDLE] + f[IOWAIT];

	*ncpu = 0;
	for (line = next_line(buf); line != NULL; line = next_line(line)) {
		if (strncmp(line, "cpu", 3) != 0)
			break;		/* the per-CPU lines come first */
		if (line[3] >= '0' && line[3] <= '9')
			(*ncpu)++;
	}
	return *ncpu == 0 ? -1 : 0;
}

/* "0.52 0.58 0.59 1/467 12345": the 1-minute average, x100. */
int
loadavg_parse(const char *buf, uint32_t *load1_x100)
{
	uint64_t	 v;

	if (parse_x100(buf, &v) == NULL || v > UINT32_MAX)
		return -1;
	*load1_x100 = (uint32_t)v;
	return 0;
}

/*
 * Memory used = 1 - MemAvailable / MemTotal.  MemAvailable (Linux 3.14
 * and later) is the kernel's own estimate of what new work can get
 * without swapping, page cache it can drop included.
 */
int
meminfo_parse(const char *buf, uint32_t *used_x100)
{
	uint64_t	 total, avail;

	if (find_key_u64(buf, "MemTotal:", &total) == -1 ||
	    find_key_u64(buf, "MemAvailable:", &avail) == -1 || total == 0)
		return -1;
	if (avail > total)
		avail = total;
	*used_x100 = share_x100((double)(total - avail), (double)total);
	return 0;
}

/* "350735.47 687018.23": whole seconds since boot. */
int
uptime_parse(const char *buf, uint64_t *secs)
{
	uint64_t	 v;

	if (parse_x100(buf, &v) == NULL)
		return -1;
	*secs = v / 100;
	return 0;
}

/* cgroup v2 cpu.stat: "usage_usec N" among other lines. */
int
cgroup2_usage_parse(const char *buf, uint64_t *usage_ns)
{
	uint64_t	 usec;

	if (find_key_u64(buf, "usage_usec", &usec) == -1 ||
	    usec > UINT64_MAX / 1000)
		return -1;
	*usage_ns = usec * 1000;
	return 0;
}

/*
 * Pressure stall information, /proc/pressure/cpu or a cgroup's
 * cpu.pressure: the "some" line's total, microseconds during which at
 * least one task was runnable and waited for a CPU.  The avg10 figures
 * are the kernel's own smoothing, 2 s at best; the total is a counter
 * the caller turns into a share of each tick.
 */
int
psi_some_parse(const char *buf, uint64_t *total_us)
{
	const char	*p;

	if (strncmp(buf, "some ", 5) != 0)
		return -1;
	if ((p = strstr(buf, " total=")) == NULL)
		return -1;
	return parse_u64(p + 7, total_us) == NULL ? -1 : 0;
}

/*
 * The time a cgroup was throttled by its quota, in nanoseconds, from
 * cpu.stat: v2 writes "throttled_usec", v1 "throttled_time" (ns).
 */
int
cgroup_throttled_parse(const char *buf, uint32_t version, uint64_t *ns)
{
	uint64_t	 v;

	if (version == 1)
		return find_key_u64(buf, "throttled_time", ns);
	if (find_key_u64(buf, "throttled_usec", &v) == -1 ||
	    v > UINT64_MAX / 1000)
		return -1;
	*ns = v * 1000;
	return 0;
}

/*
 * /proc/net/snmp: a "Tcp:" line of names, then a "Tcp:" line of
 * values, e.g. PassiveOpens, the connections accepted from a client's
 * handshake, or CurrEstab, those now established.
 */
int
snmp_tcp_parse(const char *buf, const char *name, uint64_t *v)
{
	const char	*names, *values, *p;
	size_t		 col = 0, i, len = strlen(name);

	if ((names = strstr(buf, "\nTcp: ")) == NULL ||
	    (values = strstr(names + 1, "\nTcp: ")) == NULL)
		return -1;
	/* col: the columns before it. */
	for (p = names + 6; strncmp(p, name, len) != 0 ||
	    (p[len] != ' ' && p[len] != '\n'); p++) {
		p += strcspn(p, " \n");
		if (*p != ' ')
			return -1;
		col++;
	}
	/* The values before it; MaxConn is -1 (no limit). */
	p = values + 6;
	for (i = 0; i < col; i++) {
		p = skip_blanks(p);
		if (*p == '-')
			p++;
		if ((p = parse_u64(p, v)) == NULL)
			return -1;
	}
	return parse_u64(p, v) == NULL ? -1 : 0;
}

/*
 * The connections on the service ports between two counts of them:
 * the last count, moved by as many as the namespace's established
 * connections moved since, and never fewer than those queued, which
 * are established too.
 */
uint32_t
established_since(uint32_t counted, uint64_t then, uint64_t now,
    uint32_t queued)
{
	uint64_t	 e;

	if (now >= then)
		e = (uint64_t)counted + (now - then);
	else
		e = then - now >= counted ? 0 : counted - (then - now);
	if (e < queued)
		e = queued;
	return e > UINT32_MAX ? UINT32_MAX : (uint32_t)e;
}

/* cgroup v1 cpuacct.usage: nanoseconds. */
int
cgroup1_usage_parse(const char *buf, uint64_t *usage_ns)
{
	return parse_u64(buf, usage_ns) == NULL ? -1 : 0;
}

/*
 * The CPUs a cgroup may use, in thousandths: quota / period, or every
 * online CPU without a quota.  A quota above the CPUs there are cannot
 * be used, so it is capped at them.
 */
static uint32_t
quota_milli(int has_quota, uint64_t quota, uint64_t period, uint32_t ncpu)
{
	uint64_t	 all = (uint64_t)(ncpu ? ncpu : 1) * 1000, m;

	if (!has_quota)
		return (uint32_t)all;
	m = quota * 1000 / period;
	if (m > all)
		m = all;
	return m == 0 ? 1 : (uint32_t)m;
}

/* cgroup v2 cpu.max: "max 100000" (no quota) or "QUOTA PERIOD". */
int
cgroup2_max_parse(const char *buf, uint32_t ncpu, uint32_t *milli)
{
	uint64_t	 quota = 0, period;
	const char	*p = buf;
	int		 has_quota = strncmp(buf, "max", 3) != 0;

	if (!has_quota)
		p += 3;
	else if ((p = parse_u64(p, &quota)) == NULL || quota > UINT64_MAX / 1000)
		return -1;
	if (parse_u64(p, &period) == NULL || period == 0)
		return -1;
	*milli = quota_milli(has_quota, quota, period, ncpu);
	return 0;
}

/* cgroup v1 cpu.cfs_quota_us ("-1": no quota) and cpu.cfs_period_us. */
int
cgroup1_quota_parse(const char *qbuf, const char *pbuf, uint32_t ncpu,
    uint32_t *milli)
{
	uint64_t	 quota = 0, period;
	int		 has_quota = strncmp(qbuf, "-1", 2) != 0;

	if (has_quota && (parse_u64(qbuf, &quota) == NULL ||
	    quota > UINT64_MAX / 1000))
		return -1;
	if (parse_u64(pbuf, &period) == NULL || period == 0)
		return -1;
	*milli = quota_milli(has_quota, quota, period, ncpu);
	return 0;
}

/*
 * The busy share between two readings of /proc/stat.  A busy count
 * that went back means the counters were reset or wrapped: there is no
 * interval to measure, the caller starts again from this reading.
 * iowait may go back on its own (proc(5): it is not reliable on
 * tickless kernels), so a smaller idle count is taken as no idle time.
 */
int
cpu_busy_x100(const struct cpu_times *prev, const struct cpu_times *cur,
    uint32_t *busy)
{
	uint64_t	 dbusy, didle;

	if (cur->busy < prev->busy)
		return -1;
	dbusy = cur->busy - prev->busy;
	didle = cur->idle >= prev->idle ? cur->idle - prev->idle : 0;
	if (dbusy + didle == 0)
		return -1;
	*busy = share_x100((double)dbusy, (double)dbusy + (double)didle);
	return 0;
}

/* CPU time the cgroup used over the CPU time its quota allowed. */
int
cgroup_busy_x100(const struct cgroup_reading *prev,
    const struct cgroup_reading *cur, uint32_t milli, uint32_t *busy)
{
	double	 allowed;

	if (cur->wall_ns <= prev->wall_ns || cur->usage_ns < prev->usage_ns ||
	    milli == 0)
		return -1;
	allowed = (double)(cur->wall_ns - prev->wall_ns) * milli / 1000;
	*busy = share_x100((double)(cur->usage_ns - prev->usage_ns), allowed);
	return 0;
}

uint32_t
loadavg_per_cpu_x100(uint32_t load1_x100, uint32_t ncpu)
{
	if (ncpu == 0)
		ncpu = 1;
	return (load1_x100 + ncpu / 2) / ncpu;
}

/*
 * The share of an interval of dt that a counter of the same unit grew
 * by, e.g. stalled microseconds over elapsed microseconds.  A counter
 * that went back gives no share.
 */
int
counter_share_x100(uint64_t prev, uint64_t cur, uint64_t dt, uint32_t *share)
{
	if (cur < prev || dt == 0)
		return -1;
	*share = share_x100((double)(cur - prev), (double)dt);
	return 0;
}

void
smoother_init(struct smoother *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	if (size == 0)
		size = 1;
	s->size = size > SMOOTH_MAX ? SMOOTH_MAX : size;
}

/*
 * Add a sample, return the mean of the last size samples (of all
 * samples while fewer are held).  After a step change the mean is the
 * new level once size samples of it are held: size + 1 samples at most
 * when one sample straddles the step.
 */
uint32_t
smoother_push(struct smoother *s, uint32_t v)
{
	uint64_t	 sum = 0;
	size_t		 i;

	s->v[s->next] = v;
	s->next = (s->next + 1) % s->size;
	if (s->n < s->size)
		s->n++;
	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	return (uint32_t)((sum + s->n / 2) / s->n);
}
