/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Load sampling.  The reporter runs chrooted and cannot open /proc:
 * the monitor hands over one open fd per file and we pread() each from
 * offset 0, which makes the kernel write the file afresh.
 *
 * The CPU busy share is measured over each sampling interval and
 * smoothed over conf.smooth intervals; the load average and memory
 * figures are already averages or levels and are taken as read.
 *
 * "weight from saturation" adds the signals of struct signals, all
 * deltas of kernel counters over the tick (never the kernel's own
 * averages, which lag by seconds): CPU stall from PSI, throttled time
 * from the cgroup's cpu.stat, the service ports' accept queues and
 * connections from sock_diag, and completions from PassiveOpens.
 */
#include <sys/types.h>

#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadcalc.h"
#include "log.h"
#include "names.h"
#include "reporter.h"
#include "util.h"

#define SAMPLE_FIRST_MS		1000	/* the first interval, for a prompt start */
#define RATE_WINDOW_MS		1000	/* completions are counted over this */
#define RATE_TICKS_MAX		20	/* RATE_WINDOW_MS at the fastest tick */
/*
 * Counting the connections on the service ports walks the kernel's
 * table of established and TIME_WAIT sockets, which is the whole
 * host's, every namespace's, unless the namespace has one of its own:
 * its cost grows with every TCP socket of the host, about 0.4 us each,
 * and 0.6 us more for each one counted, not with the service's
 * connections alone.  It is measured on the reporter's CPU clock and
 * kept to 1 / ESTABLISHED_COST_SHARE of a core: a count that cost c is
 * the last for ESTABLISHED_COST_SHARE x c, or for one tick when it is
 * cheaper.  The accept queues, which grow first, are read every tick,
 * and in between counts the connections follow the namespace's
 * established ones (CurrEstab, in /proc/net/snmp, read every tick).
 */
#define ESTABLISHED_COST_SHARE	250	/* 0.4 % of a core */

/* The counters of the last tick, for this tick's deltas. */
struct sig_prev {
	uint64_t	 wall_ns;
	uint64_t	 stall_us;
	uint64_t	 throttled_ns;
	uint64_t	 opens;		/* PassiveOpens less our own accepts */
	uint32_t	 have;		/* 1 << enum signal: the counter is set */
};

/* Completions and tick lengths over the last RATE_WINDOW_MS. */
struct rate_ring {
	uint32_t	 opens[RATE_TICKS_MAX];
	uint32_t	 ms[RATE_TICKS_MAX];
	size_t		 n, next;
};

static struct event		*sample_ev;
static struct smoother		 smooth;
static uint16_t			 smooth_conf;		/* conf.smooth of the ring */
static int			 smooth_cgroup = -1;	/* mode the ring holds */
static struct cpu_times		 cpu_prev;
static int			 cpu_have_prev;
static struct cgroup_reading	 cg_prev;
static int			 cg_have_prev;
static uint32_t			 ncpu = 1;
static uint32_t			 warned;		/* 1 << kind */
static struct sig_prev		 sig_prev;
static struct rate_ring		 rates;
static uint64_t			 last_rise_ms;
static uint32_t			 established_last;
static uint64_t			 established_ns;	/* when counted */
static uint64_t			 established_cost_ns;	/* CPU time it took */
static uint64_t			 established_curr;	/* CurrEstab then */
static int			 established_curr_have;

/* /proc/stat is long on big machines; the cpu lines we need come first. */
static char			 readbuf[128 * 1024];

/* What stands in for a missing signal, for the log. */
static const char *const signal_fallbacks[SIGNAL_MAX] = {
	[SIGNAL_PRESSURE] = "CPU stall from the throttled time",
	[SIGNAL_THROTTLE] = "CPU stall from PSI alone",
	[SIGNAL_SOCKDIAG] = "no queueing delay: CPU stall alone",
	[SIGNAL_COMPLETIONS] = "no queueing delay: CPU stall alone",
	[SIGNAL_QUOTA] = "capacity from the host's CPUs, as without a quota",
};

/*
 * A file that cannot be read or parsed stays so for a while: say it
 * once, and once more when it recovers.
 */
static void
sample_problem(uint32_t kind, int err, const char *what)
{
	if (warned & (1U << kind))
		return;
	warned |= 1U << kind;
	if (err)
		log_warnx("%s: %s: %s", procfd_name(kind), what, strerror(err));
	else
		log_warnx("%s: %s", procfd_name(kind), what);
}

static void
sample_fine(uint32_t kind)
{
	if (warned & (1U << kind)) {
		warned &= ~(1U << kind);
		log_info("%s: readable again", procfd_name(kind));
	}
}

/* The whole file (or as much as fits), NUL-terminated, or NULL. */
static const char *
sample_read(uint32_t kind, char *buf, size_t size)
{
	size_t	 len = 0;
	ssize_t	 n;

	if (rep->procfd[kind] == -1)
		return NULL;
	while (len < size - 1) {
		n = pread(rep->procfd[kind], buf + len, size - 1 - len,
		    (off_t)len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			sample_problem(kind, errno, "read");
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		/* A short read is the end: proc and cgroup files fill it. */
		if ((size_t)n < size - 1 - (len - (size_t)n))
			break;
	}
	buf[len] = '\0';
	return buf;
}

/* The parser's verdict on a file that was read. */
static int
sample_parsed(uint32_t kind, int rc)
{
	if (rc == -1)
		sample_problem(kind, 0, "unexpected contents");
	else
		sample_fine(kind);
	return rc;
}

static int
sample_cgroup_mode(void)
{
	return rep->procfd[PROCFD_CGROUP_USAGE] != -1 &&
	    rep->procfd[PROCFD_CGROUP_QUOTA] != -1 &&
	    (rep->cgroup_version == 2 ||
	    rep->procfd[PROCFD_CGROUP_PERIOD] != -1);
}

/* /proc/stat: the CPU count always, the busy share unless in a cgroup. */
static int
sample_procstat(uint32_t *busy)
{
	struct cpu_times	 cur;
	const char		*text;
	uint32_t		 n;
	int			 rc;

	if ((text = sample_read(PROCFD_STAT, readbuf, sizeof(readbuf))) == NULL ||
	    sample_parsed(PROCFD_STAT, procstat_parse(text, &cur, &n)) == -1)
		return -1;
	ncpu = n;
	rc = cpu_have_prev ? cpu_busy_x100(&cpu_prev, &cur, busy) : -1;
	cpu_prev = cur;
	cpu_have_prev = 1;
	return rc;
}

static int
sample_cgroup_quota(uint32_t *milli)
{
	char	 qbuf[64], pbuf[64];

	if (sample_read(PROCFD_CGROUP_QUOTA, qbuf, sizeof(qbuf)) == NULL)
		return -1;
	if (rep->cgroup_version == 2)
		return sample_parsed(PROCFD_CGROUP_QUOTA,
		    cgroup2_max_parse(qbuf, ncpu, milli));
	if (sample_read(PROCFD_CGROUP_PERIOD, pbuf, sizeof(pbuf)) == NULL)
		return -1;
	return sample_parsed(PROCFD_CGROUP_QUOTA,
	    cgroup1_quota_parse(qbuf, pbuf, ncpu, milli));
}

/*
 * The cgroup's usage against its quota, since the last reading; *cpus
 * is the quota in thousandths of a CPU, left alone if it cannot be read.
 */
static int
sample_cgroup(uint32_t *busy, uint32_t *cpus)
{
	struct cgroup_reading	 cur;
	uint32_t		 milli;
	char			 ubuf[4096];
	const char		*text;
	int			 rc;

	if (sample_cgroup_quota(&milli) == -1)
		return -1;
	*cpus = milli;
	if ((text = sample_read(PROCFD_CGROUP_USAGE, ubuf, sizeof(ubuf))) == NULL)
		return -1;
	rc = rep->cgroup_version == 2 ?
	    cgroup2_usage_parse(text, &cur.usage_ns) :
	    cgroup1_usage_parse(text, &cur.usage_ns);
	if (sample_parsed(PROCFD_CGROUP_USAGE, rc) == -1)
		return -1;
	cur.wall_ns = monotonic_ns();
	rc = cg_have_prev ? cgroup_busy_x100(&cg_prev, &cur, milli, busy) : -1;
	cg_prev = cur;
	cg_have_prev = 1;
	return rc;
}

/* A counter's text, parsed; -1 (the signal is missing) if either fails. */
static int
sample_counter(uint32_t kind, int (*parse)(const char *, uint64_t *),
    uint64_t *v)
{
	const char	*text;

	if ((text = sample_read(kind, readbuf, sizeof(readbuf))) == NULL)
		return -1;
	return sample_parsed(kind, parse(text, v));
}

static int
sample_throttled(uint64_t *ns)
{
	uint32_t	 kind = rep->cgroup_version == 1 ?
	    PROCFD_CGROUP_CPUSTAT : PROCFD_CGROUP_USAGE;
	const char	*text;

	if (!sample_cgroup_mode() ||
	    (text = sample_read(kind, readbuf, sizeof(readbuf))) == NULL)
		return -1;
	return sample_parsed(kind,
	    cgroup_throttled_parse(text, rep->cgroup_version, ns));
}

/*
 * Connections the node completed: PassiveOpens counts every handshake
 * a client finished, which in a steady state is every connection the
 * node finishes, less the agent-check and HTTP connections of the LBs.
 * And CurrEstab, the connections established in the namespace.
 */
static int
sample_snmp(uint64_t *opens, uint64_t *curr)
{
	uint64_t	 own = rep->counters.agent_queries +
	    rep->counters.http_queries;
	const char	*text;
	int		 rc;

	if ((text = sample_read(PROCFD_SNMP, readbuf, sizeof(readbuf))) == NULL)
		return -1;
	rc = snmp_tcp_parse(text, "PassiveOpens", opens) == 0 &&
	    snmp_tcp_parse(text, "CurrEstab", curr) == 0 ? 0 : -1;
	if (sample_parsed(PROCFD_SNMP, rc) == -1)
		return -1;
	*opens = *opens > own ? *opens - own : 0;
	return 0;
}

/* n in ms milliseconds, as a rate a second x100. */
static uint32_t
per_second_x100(uint64_t n, uint32_t ms)
{
	uint64_t	 r = ms == 0 ? 0 : n * 100000 / ms;

	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

/* The completions of one more tick; the rate over the window, x100. */
static uint32_t
rate_push(uint32_t opens, uint32_t ms, uint32_t *window_ms)
{
	size_t		 i, size = RATE_WINDOW_MS / (rep->conf.sample_ms ?
	    rep->conf.sample_ms : 1);
	uint64_t	 sum = 0, sum_ms = 0;

	if (size < 1)
		size = 1;
	if (size > RATE_TICKS_MAX)
		size = RATE_TICKS_MAX;
	rates.opens[rates.next] = opens;
	rates.ms[rates.next] = ms;
	rates.next = (rates.next + 1) % size;
	if (rates.n < size)
		rates.n++;
	for (i = 0; i < rates.n; i++) {
		sum += rates.opens[i];
		sum_ms += rates.ms[i];
	}
	*window_ms = (uint32_t)sum_ms;
	return per_second_x100(sum, (uint32_t)sum_ms);
}

/*
 * Little's law: the time a connection spends in the node is the
 * connections in it over the rate they leave at.  With none completed
 * in the window, as if one had been.
 */
static uint32_t
delay_us(uint32_t established, uint32_t rate_x100, uint32_t window_ms)
{
	uint64_t	 d;

	if (established == 0)
		return 0;
	if (rate_x100 == 0)
		d = (uint64_t)established * window_ms * 1000;
	else
		d = (uint64_t)established * 100000000 / rate_x100;
	return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* A signal missing or back: say so once, in the log and the status. */
static void
signals_say(uint32_t missing)
{
	uint32_t	 i, bit;

	for (i = 0; i < SIGNAL_MAX; i++) {
		bit = 1U << i;
		if ((missing & bit) && !(rep->signals_missing & bit))
			log_warnx("weight from saturation: no %s signal; %s",
			    signal_name(i), signal_fallbacks[i]);
		else if (!(missing & bit) && (rep->signals_missing & bit))
			log_info("weight from saturation: %s signal back",
			    signal_name(i));
	}
	rep->signals_missing = missing;
}

/*
 * A, from the CPUs the service may use: its cgroup's quota as read this
 * tick (cpus, 0 if it was not), or the host's.
 */
static uint32_t
sample_capacity(struct signals *sg, uint32_t cpus, uint32_t tick_ms)
{
	if (rep->conf.weight_capacity != CAPACITY_OFF &&
	    rep->conf.cgroup[0] != '\0' && cpus == 0)
		sg->missing |= 1U << SIGNAL_QUOTA;
	if (rep->conf.cgroup[0] == '\0' || cpus == 0)
		cpus = ncpu * 1000;
	return capacity_step(&rep->capacity, sg, cpus, &rep->conf, tick_ms);
}

/* A share of the tick from a counter, or the signal is missing. */
static void
sample_share(uint32_t signal, int ok, uint64_t prev, uint64_t cur,
    uint64_t dt, uint32_t *share, struct signals *sg)
{
	if (!ok)
		sg->missing |= 1U << signal;
	else if (!(sig_prev.have & (1U << signal)) ||
	    counter_share_x100(prev, cur, dt, share) == -1)
		*share = 0;
}

/*
 * The service ports' queues, and their connections when it is time;
 * curr is CurrEstab now, NULL if unknown.  The dump runs in the
 * reporter's own system calls, so its thread's CPU clock holds all the
 * kernel's work for it.
 */
static int
sample_sockdiag(struct sockdiag_count *sd, uint64_t now_ns,
    const uint64_t *curr)
{
	int		 all = established_ns == 0 || now_ns - established_ns >=
	    established_cost_ns * ESTABLISHED_COST_SHARE;
	uint64_t	 cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	if (rep->procfd[PROCFD_SOCKDIAG] == -1 ||
	    sockdiag_count(rep->procfd[PROCFD_SOCKDIAG], &rep->conf, all,
	    sd) == -1)
		return -1;
	if (all) {
		established_last = sd->established;
		established_ns = now_ns;
		established_cost_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) -
		    cpu_ns;
		established_curr_have = curr != NULL;
		if (curr != NULL)
			established_curr = *curr;
	} else if (curr != NULL && established_curr_have)
		sd->established = established_since(established_last,
		    established_curr, *curr, sd->queued);
	else		/* the last count, or the queued when more */
		sd->established = established_since(established_last, 0, 0,
		    sd->queued);
	return 0;
}

/*
 * Every signal of this tick, into sg; the counters kept for the next.
 * busy is smoothed, tick_busy this tick's alone; cpus the cgroup's quota
 * read this tick, or 0.  Without "sample cgroup" nothing is throttled,
 * and nothing is missing.
 */
static void
sample_signals(struct signals *sg, uint32_t busy, uint32_t tick_busy,
    uint32_t cpus)
{
	struct sockdiag_count	 sd;
	struct sig_prev		 cur;
	uint64_t		 dt_ns, curr;
	uint32_t		 rate, window_ms, opens, tick_ms;
	int			 ok, snmp;

	memset(sg, 0, sizeof(*sg));
	memset(&cur, 0, sizeof(cur));
	sg->busy_x100 = busy;
	cur.wall_ns = monotonic_ns();
	dt_ns = sig_prev.wall_ns ? cur.wall_ns - sig_prev.wall_ns : 0;
	tick_ms = (uint32_t)(dt_ns / 1000000);

	ok = sample_counter(PROCFD_PRESSURE, psi_some_parse, &cur.stall_us) == 0;
	sample_share(SIGNAL_PRESSURE, ok, sig_prev.stall_us, cur.stall_us,
	    dt_ns / 1000, &sg->stall_x100, sg);
	ok = rep->conf.cgroup[0] == '\0' ||
	    sample_throttled(&cur.throttled_ns) == 0;
	sample_share(SIGNAL_THROTTLE, ok, sig_prev.throttled_ns,
	    cur.throttled_ns, dt_ns, &sg->throttled_x100, sg);
	if (sg->missing & (1U << SIGNAL_PRESSURE))
		sg->stall_x100 = sg->throttled_x100;

	snmp = sample_snmp(&cur.opens, &curr) == 0;
	if (sample_sockdiag(&sd, cur.wall_ns, snmp ? &curr : NULL) == -1)
		sg->missing |= 1U << SIGNAL_SOCKDIAG;
	else {
		sg->queued = sd.queued;
		sg->established = sd.established;
	}
	if (!snmp)
		sg->missing |= 1U << SIGNAL_COMPLETIONS;
	else if (sig_prev.have & (1U << SIGNAL_COMPLETIONS)) {
		opens = cur.opens >= sig_prev.opens ?
		    (uint32_t)(cur.opens - sig_prev.opens) : 0;
		rate = rate_push(opens, tick_ms, &window_ms);
		sg->completions_x100 = rate;
		sg->delay_us = delay_us(sg->established, rate, window_ms);
		/* for "weight capacity measured", over the same interval */
		sg->tick_completions_x100 = per_second_x100(opens, tick_ms);
		sg->tick_busy_x100 = tick_busy;
	}
	cur.have = ~sg->missing & ((1U << SIGNAL_PRESSURE) |
	    (1U << SIGNAL_THROTTLE) | (1U << SIGNAL_COMPLETIONS));
	sg->capacity_x100 = sample_capacity(sg, cpus, tick_ms);
	sig_prev = cur;
	signals_say(sg->missing);
}

/* "weight from saturation": decreases at once, increases held back. */
static uint32_t
sample_saturation_weight(int first)
{
	struct saturation	 full;
	uint32_t		 target, top;

	saturation_step(&rep->saturation, &rep->signals, rep->conf.sample_ms);
	target = weight_saturation(&rep->saturation, &rep->signals, &rep->conf);
	saturation_init(&full);
	top = weight_saturation(&full, &rep->signals, &rep->conf);
	if (first)
		return target;
	return weight_update(rep->weight, target, top,
	    monotonic_ns() / 1000000, &last_rise_ms);
}

/* The weight follows the load, through the hysteresis once reported. */
static void
sample_weight(int first)
{
	uint32_t	 target, w;

	if (rep->conf.weight_from == WEIGHT_SATURATION)
		w = sample_saturation_weight(first);
	else {
		target = weight_target(&rep->load, &rep->conf);
		w = first ? target :
		    weight_hysteresis(rep->weight, target, &rep->conf);
	}
	if (first || w != rep->weight) {
		rep->weight = w;
		reporter_state_changed();
	}
}

/* One sample of everything. */
static void
sample_take(void)
{
	struct load	 l = rep->load;
	const char	*text;
	uint32_t	 busy, load1, mem, cpus = 0;
	int		 have_busy, first = !l.valid;

	l.cgroup = sample_cgroup_mode();
	have_busy = sample_procstat(&busy) == 0;
	if (l.cgroup)
		have_busy = sample_cgroup(&busy, &cpus) == 0;
	if (have_busy) {
		l.busy_x100 = smoother_push(&smooth, busy);
		l.valid = 1;
	}
	if (rep->conf.weight_from == WEIGHT_SATURATION)
		sample_signals(&rep->signals, l.busy_x100,
		    have_busy ? busy : 0, cpus);
	if ((text = sample_read(PROCFD_LOADAVG, readbuf, sizeof(readbuf))) &&
	    sample_parsed(PROCFD_LOADAVG, loadavg_parse(text, &load1)) == 0)
		l.loadavg_x100 = loadavg_per_cpu_x100(load1, ncpu);
	if ((text = sample_read(PROCFD_MEMINFO, readbuf, sizeof(readbuf))) &&
	    sample_parsed(PROCFD_MEMINFO, meminfo_parse(text, &mem)) == 0)
		l.mem_used_x100 = mem;
	if ((text = sample_read(PROCFD_UPTIME, readbuf, sizeof(readbuf))))
		(void)sample_parsed(PROCFD_UPTIME, uptime_parse(text, &l.uptime));
	rep->load = l;
	if (l.valid)
		sample_weight(first);
}

static void
sample_arm(uint32_t ms)
{
	struct timeval	 tv;

	if (ms == 0)
		ms = SAMPLE_FIRST_MS;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;

	if (evtimer_add(sample_ev, &tv) == -1)
		fatalx("evtimer_add");
}

static void
sample_timer(int fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	/* Between a new configuration's settings and its end, files are missing. */
	if (rep->configured)
		sample_take();
	sample_arm(rep->conf.sample_ms);
}

/*
 * A configuration is complete: take a baseline reading now and the
 * first sample soon.  The smoothing ring survives a reload unless its
 * length or the source of the busy share changed; the baselines do
 * not, as the files may now be other ones.
 */
void
sample_start(void)
{
	int	 cgroup = sample_cgroup_mode();

	if (sample_ev == NULL &&
	    (sample_ev = evtimer_new(rep->base, sample_timer, NULL)) == NULL)
		fatalx("evtimer_new");
	if (smooth_conf != rep->conf.smooth || smooth_cgroup != cgroup) {
		smoother_init(&smooth, rep->conf.smooth);
		smooth_conf = rep->conf.smooth;
		smooth_cgroup = cgroup;
	}
	cpu_have_prev = 0;
	cg_have_prev = 0;
	established_ns = 0;	/* the ports may be other ones */
	memset(&sig_prev, 0, sizeof(sig_prev));
	memset(&rates, 0, sizeof(rates));
	if (rep->saturation.p_x100 == 0)
		saturation_init(&rep->saturation);
	/*
	 * Until the first sample, report the most we may.  A reload keeps
	 * the saturation where it was: the node is no less saturated.
	 */
	if (!rep->load.valid)
		rep->weight = rep->conf.weight_max;
	else if (rep->conf.weight_from != WEIGHT_SATURATION)
		rep->weight = weight_target(&rep->load, &rep->conf);
	sample_take();
	sample_arm(rep->conf.sample_ms < SAMPLE_FIRST_MS ?
	    rep->conf.sample_ms : SAMPLE_FIRST_MS);
}

/* A file from the monitor; it replaces the one of the same kind. */
void
sample_set_procfd(uint32_t kind, uint32_t cgroup_version, int fd)
{
	if (kind >= PROCFD_MAX)
		fatalx("procfd kind %u", kind);
	if ((kind >= PROCFD_CGROUP_USAGE && kind <= PROCFD_CGROUP_PERIOD) ||
	    kind == PROCFD_CGROUP_CPUSTAT) {
		if (cgroup_version != 1 && cgroup_version != 2)
			fatalx("cgroup version %u", cgroup_version);
		rep->cgroup_version = cgroup_version;
	}
	if (rep->procfd[kind] != -1)
		close(rep->procfd[kind]);
	rep->procfd[kind] = fd;
}

/* Before a new configuration: it brings every file again. */
void
sample_close_procfds(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(rep->procfd) / sizeof(rep->procfd[0]); i++) {
		if (rep->procfd[i] != -1)
			close(rep->procfd[i]);
		rep->procfd[i] = -1;
	}
}
