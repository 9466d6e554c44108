/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The arithmetic of load sampling, kept apart from the I/O so the unit
 * tests can run it on fixture files: parsers for /proc and cgroup
 * files, busy shares from two readings, and the moving average.
 * Nothing here touches the reporter's state.
 */
#ifndef LOADCALC_H
#define LOADCALC_H

#include <stddef.h>
#include <stdint.h>

#define SMOOTH_MAX	64	/* samples a moving average may span */

/* The aggregate "cpu" line of /proc/stat, in clock ticks. */
struct cpu_times {
	uint64_t	 busy;		/* user nice system irq softirq steal */
	uint64_t	 idle;		/* idle iowait */
};

/* One reading of a cgroup's CPU usage. */
struct cgroup_reading {
	uint64_t	 usage_ns;	/* CPU time used by the cgroup */
	uint64_t	 wall_ns;	/* CLOCK_MONOTONIC when read */
};

struct smoother {
	uint32_t	 v[SMOOTH_MAX];
	size_t		 size;		/* samples averaged, 1..SMOOTH_MAX */
	size_t		 n;		/* samples held */
	size_t		 next;		/* slot the next sample goes in */
};

/* Parsers: 0, or -1 when the text is not what the kernel writes. */
int	 procstat_parse(const char *, struct cpu_times *, uint32_t *);
int	 loadavg_parse(const char *, uint32_t *);
int	 meminfo_parse(const char *, uint32_t *);
int	 uptime_parse(const char *, uint64_t *);
int	 cgroup2_usage_parse(const char *, uint64_t *);
int	 cgroup2_max_parse(const char *, uint32_t, uint32_t *);
int	 cgroup1_usage_parse(const char *, uint64_t *);
int	 cgroup1_quota_parse(const char *, const char *, uint32_t,
	    uint32_t *);

int	 psi_some_parse(const char *, uint64_t *);
int	 cgroup_throttled_parse(const char *, uint32_t, uint64_t *);
int	 snmp_tcp_parse(const char *, const char *, uint64_t *);

/* Busy shares in hundredths of a percent; -1: no usable interval. */
int	 cpu_busy_x100(const struct cpu_times *, const struct cpu_times *,
	    uint32_t *);
int	 cgroup_busy_x100(const struct cgroup_reading *,
	    const struct cgroup_reading *, uint32_t, uint32_t *);
uint32_t loadavg_per_cpu_x100(uint32_t, uint32_t);
int	 counter_share_x100(uint64_t, uint64_t, uint64_t, uint32_t *);
uint32_t established_since(uint32_t, uint64_t, uint64_t, uint32_t);

void	 smoother_init(struct smoother *, size_t);
uint32_t smoother_push(struct smoother *, uint32_t);

#endif /* LOADCALC_H */
