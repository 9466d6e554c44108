/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The reporter: samples load and answers load balancers.  It holds no
 * privilege: every socket and /proc file it uses was opened by the
 * monitor and handed over.
 */
#ifndef REPORTER_H
#define REPORTER_H

#include <stdint.h>
#include <time.h>

#include "imsg.h"
#include "lbnoded.h"

struct event_base;

/* The current load figures, all in hundredths of a percent or of a unit. */
struct load {
	uint32_t	 busy_x100;	/* smoothed CPU busy share, 0-10000 */
	uint32_t	 loadavg_x100;	/* 1-minute load average per CPU */
	uint32_t	 mem_used_x100;	/* 10000 - MemAvailable share */
	int		 valid;		/* at least one full sample taken */
	int		 cgroup;	/* busy share is the cgroup's */
	uint64_t	 uptime;	/* seconds since boot, /proc/uptime */
};

/*
 * The saturation signals of one tick (see sample.c), and what "weight
 * from saturation" makes of them (weight.c).
 */
struct signals {
	uint32_t	 missing;	/* 1 << enum signal, this tick */
	uint32_t	 stall_x100;	/* CPU stall share: PSI, else throttled */
	uint32_t	 throttled_x100; /* throttled share of the tick */
	uint32_t	 busy_x100;	/* the CPU busy share, the last resort */
	uint32_t	 tick_busy_x100; /* this tick's alone; 0 without the
					  * completions of the same tick */
	uint32_t	 queued;	/* in the service ports' accept queues */
	uint32_t	 established;	/* connections on the service ports */
	uint32_t	 completions_x100; /* connections a second, x100 */
	uint32_t	 tick_completions_x100; /* of this tick alone */
	uint32_t	 delay_us;	/* established / completion rate */
	uint32_t	 capacity_x100;	/* A: 10000 = full */
};

/*
 * "weight capacity measured": the completion rate and the busy share,
 * each averaged over the same ticks, x100 x CAP_SCALE (weight.c).
 */
struct capacity {
	uint64_t	 completions;
	uint64_t	 busy;
	uint32_t	 span_ms;	/* averaged over so far; 0: nothing yet */
};

struct saturation {
	uint32_t	 p_x100;	/* P: 10000 = not saturated at all */
	uint32_t	 over;		/* ticks in a row over: far ones count 2 */
};

struct sockdiag_count {
	uint32_t	 queued;
	uint32_t	 established;
};

struct reporter {
	struct event_base	*base;
	struct imsgev		 iev_monitor;
	struct lbn_settings	 conf;
	int			 configured;	/* IMSG_CONF_END seen */
	struct key_msg		 key;
	int			 procfd[PROCFD_MAX];
	uint32_t		 cgroup_version;
	uint32_t		 admin;		/* enum admin_state */
	uint32_t		 weight;	/* what we report, after hysteresis */
	struct load		 load;
	struct signals		 signals;
	struct saturation	 saturation;
	struct capacity		 capacity;
	uint32_t		 signals_missing; /* 1 << enum signal, said */
	uint64_t		 generation;	/* last accepted LB CONFIG */
	struct rep_counters	 counters;	/* since the daemon started */
	uint32_t		 restarts[PROC_MAX];
	struct ctl_lb		 lbs[CTL_LB_MAX];
	size_t			 nlbs;
	time_t			 started;
};

extern struct reporter	*rep;

/* reporter.c */
void	 reporter_state_changed(void);	/* weight or admin changed */
void	 reporter_nonblock(int);

/* sample.c: /proc/stat, loadavg, meminfo, cgroup; the sampling timer */
void	 sample_start(void);
void	 sample_set_procfd(uint32_t, uint32_t, int);	/* kind, cgroup version, fd */
void	 sample_close_procfds(void);

/* sockdiag.c: queues and connections on the service ports */
int	 sockdiag_count(int, const struct lbn_settings *, int,
	    struct sockdiag_count *);

/* weight.c */
uint32_t weight_target(const struct load *, const struct lbn_settings *);
uint32_t weight_hysteresis(uint32_t, uint32_t, const struct lbn_settings *);
void	 saturation_init(struct saturation *);
void	 saturation_step(struct saturation *, const struct signals *,
	    uint32_t);
uint32_t weight_saturation(const struct saturation *, const struct signals *,
	    const struct lbn_settings *);
uint32_t weight_update(uint32_t, uint32_t, uint32_t, uint64_t, uint64_t *);
uint32_t capacity_step(struct capacity *, const struct signals *, uint32_t,
	    const struct lbn_settings *, uint32_t);

/* lbtrack.c: the lb allowlist and the table of LBs seen */
int	 lb_allowed(const struct sockaddr *);
int	 lb_named(const struct lbn_addr *);
void	 lb_seen(const struct sockaddr *);

/* lbnpd.c: the LBNP server, lbnp.c is its codec */
void	 lbnpd_set_socket(int);
void	 lbnpd_set_key(void);		/* rep->key changed */
void	 lbnpd_announce(void);
void	 lbnpd_stop(void);		/* the last ANNOUNCE */
void	 lbnpd_push_result(struct imsg *);
void	 lbnpd_replay_floor(uint64_t);	/* nothing at or below, ever */

/* admit.c: who may hold a TCP connection, for how long; accept back-off */
struct admit;
enum admit_verdict {
	ADMIT_OK,		/* admitted, holds a slot */
	ADMIT_FULL,		/* an LB, over a connection limit */
	ADMIT_STRANGER		/* not in the lb allowlist */
};
struct admit	*admit_new(const char *, size_t, size_t, int, void (*)(int));
enum admit_verdict admit_check(struct admit *, int);
void	 admit_release(struct admit *, int);
void	 admit_accept_failed(struct admit *, int);
void	 admit_accepted(struct admit *);

/* agent.c */
void	 agent_set_socket(int);	/* -1: close it */
void	 agent_line(char *, size_t);	/* the one-line answer */

/* http.c */
void	 http_set_socket(int);		/* -1: close it */

/* status.c: answers to lbnodectl, relayed by the monitor */
void	 status_send(uint32_t);
void	 status_send_lbs(uint32_t);

/* carry.c: the replay floor and counters, kept by the monitor */
void	 carry_start(void);
void	 carry_accepted(uint64_t);
void	 carry_back(const struct rep_carry *);

/* seccomp.c */
struct sandbox_rule;
const struct sandbox_rule *reporter_seccomp_rules(size_t *);
void	 reporter_seccomp(void);

#endif /* REPORTER_H */
