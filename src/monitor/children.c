/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnoded's children, as the shared supervision (common/proc.c) runs
 * them: what each gets and what the monitor does when one comes up,
 * goes away or writes.
 */
#include <stddef.h>

#include "imsg.h"
#include "monitor.h"

#define PING_ENTRIES_PER_TICK	2000	/* netcfg's allowance: 0.5 ms an entry */

/*
 * The reporter answers the LBs about the load: it must not starve when
 * the services it reports on take every CPU, nor lose the LBs' queries
 * when a flood keeps it busy, for the kernel drops what overflows its
 * socket's queue, theirs with the flood's.  So it runs REPORTER_NICE
 * levels above the monitor.  It is one thread, and a datagram costs it
 * a microsecond or two (bench/attack.sh prints it): a flood takes from
 * the services what its rate costs, one CPU at the most.
 */
#define REPORTER_NICE	5

static void
netcfg_up(void)
{
	monitor_child_up(PROC_NETCFG);
}

static void
reporter_up(void)
{
	monitor_child_up(PROC_REPORTER);
}

static void
netcfg_lost(const char *why)
{
	dr_netcfg_lost(why);
	if (proc_running(PROC_REPORTER))
		proc_send(PROC_REPORTER, IMSG_REP_RESTARTS, 0, -1,
		    proc_restarts(), sizeof(struct restarts_msg));
}

static void
reporter_lost(const char *why)
{
	dr_reporter_lost();
	control_reporter_lost();
}

/*
 * netcfg answers between requests, so while it applies a change it is
 * allowed time for the entries involved, on top of the usual bound.
 */
static int
netcfg_grace_ticks(void)
{
	return (int)(dr_busy_entries() / PING_ENTRIES_PER_TICK);
}

static const struct proc_child	 lbnoded_children[PROC_MAX] = {
	[PROC_NETCFG] = {
		.name = "netcfg",
		.sandbox = PROC_SANDBOX_OWN,
		.up = netcfg_up,
		.lost = netcfg_lost,
		.dispatch = monitor_dispatch_netcfg,
		.grace_ticks = netcfg_grace_ticks,
	},
	[PROC_REPORTER] = {
		.name = "reporter",
		.fdpass = 1,
		.sandbox = PROC_SANDBOX_USER,
		.nice = REPORTER_NICE,
		.up = reporter_up,
		.lost = reporter_lost,
		.dispatch = monitor_dispatch_reporter,
	},
};

_Static_assert(PROC_MAX <= PROC_CHILDREN_MAX, "too many children");
_Static_assert(sizeof(struct restarts_msg) <=
    PROC_CHILDREN_MAX * sizeof(uint32_t), "restarts outgrow proc.c's");

void
children_init(struct event_base *base, int foreground, int verbose)
{
	proc_init(base, "lbnoded", lbnoded_children, PROC_MAX, foreground,
	    verbose, monitor_fail);
}
