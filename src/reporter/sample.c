/*
 * Load sampling.  The reporter runs chrooted and cannot open /proc:
 * the monitor hands over one open fd per file and we pread() each from
 * offset 0, which makes the kernel write the file afresh.
 *
 * The CPU busy share is measured over each sampling interval and
 * smoothed over conf.smooth intervals; the load average and memory
 * figures are already averages or levels and are taken as read.
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
#include "reporter.h"

#define SAMPLE_FIRST_SECS	1	/* the first interval, for a prompt start */

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

/* /proc/stat is long on big machines; the cpu lines we need come first. */
static char			 readbuf[128 * 1024];

static const char *const procfd_names[] = {
	[PROCFD_STAT] = "/proc/stat",
	[PROCFD_LOADAVG] = "/proc/loadavg",
	[PROCFD_MEMINFO] = "/proc/meminfo",
	[PROCFD_CGROUP_USAGE] = "cgroup usage",
	[PROCFD_CGROUP_QUOTA] = "cgroup quota",
	[PROCFD_CGROUP_PERIOD] = "cgroup period",
	[PROCFD_UPTIME] = "/proc/uptime",
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
		log_warnx("%s: %s: %s", procfd_names[kind], what, strerror(err));
	else
		log_warnx("%s: %s", procfd_names[kind], what);
}

static void
sample_fine(uint32_t kind)
{
	if (warned & (1U << kind)) {
		warned &= ~(1U << kind);
		log_info("%s: readable again", procfd_names[kind]);
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

/* The cgroup's usage against its quota, since the last reading. */
static int
sample_cgroup(uint32_t *busy)
{
	struct cgroup_reading	 cur;
	struct timespec		 ts;
	uint32_t		 milli;
	char			 ubuf[4096];
	const char		*text;
	int			 rc;

	if ((text = sample_read(PROCFD_CGROUP_USAGE, ubuf, sizeof(ubuf))) == NULL)
		return -1;
	rc = rep->cgroup_version == 2 ?
	    cgroup2_usage_parse(text, &cur.usage_ns) :
	    cgroup1_usage_parse(text, &cur.usage_ns);
	if (sample_parsed(PROCFD_CGROUP_USAGE, rc) == -1)
		return -1;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		fatal("clock_gettime");
	cur.wall_ns = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
	if (sample_cgroup_quota(&milli) == -1)
		return -1;
	rc = cg_have_prev ? cgroup_busy_x100(&cg_prev, &cur, milli, busy) : -1;
	cg_prev = cur;
	cg_have_prev = 1;
	return rc;
}

/* The weight follows the load, through the hysteresis once reported. */
static void
sample_weight(int first)
{
	uint32_t	 target, w;

	target = weight_target(&rep->load, &rep->conf);
	w = first ? target : weight_hysteresis(rep->weight, target, &rep->conf);
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
	uint32_t	 busy, load1, mem;
	int		 have_busy, first = !l.valid;

	l.cgroup = sample_cgroup_mode();
	have_busy = sample_procstat(&busy) == 0;
	if (l.cgroup)
		have_busy = sample_cgroup(&busy) == 0;
	if (have_busy) {
		l.busy_x100 = smoother_push(&smooth, busy);
		l.valid = 1;
	}
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
sample_arm(int secs)
{
	struct timeval	 tv = { secs > 0 ? secs : 1, 0 };

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
	sample_arm(rep->conf.sample_every);
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
	/* Until the first sample, report the most we may. */
	if (!rep->load.valid)
		rep->weight = rep->conf.weight_max;
	else
		rep->weight = weight_target(&rep->load, &rep->conf);
	sample_take();
	sample_arm(rep->conf.sample_every < SAMPLE_FIRST_SECS ?
	    rep->conf.sample_every : SAMPLE_FIRST_SECS);
}

/* A file from the monitor; it replaces the one of the same kind. */
void
sample_set_procfd(uint32_t kind, uint32_t cgroup_version, int fd)
{
	if (kind > PROCFD_UPTIME)
		fatalx("procfd kind %u", kind);
	if (kind >= PROCFD_CGROUP_USAGE && kind <= PROCFD_CGROUP_PERIOD) {
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
