/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The weight a node reports, within the configured bounds.  Admin
 * state does not enter here: each protocol says drain or maint its own
 * way.
 *
 * "weight from cpu|loadavg|memory|max": 100 for an idle node, less the
 * more loaded it is.  Such a weight depends on the node's traffic
 * share, which the weight itself decides; near saturation the loop's
 * gain has no bound and it oscillates.
 *
 * "weight from saturation": weight_max x A x P.  A, the capacity, is
 * what the node can do in units that mean the same on every host (CPUs,
 * or connections a second), over the "full" every node of the pool
 * shares; it does not depend on the node's traffic share.  P, the
 * saturation, stays at 1 until the node shows queueing: it halves when
 * the queueing delay is over its threshold on two ticks in a row, or
 * the CPU stall while connections wait (see sat_level()), and on every
 * tick either is far over; it rises by SAT_RISE_PER_S a second when
 * clearly below, and holds in between.  A healthy node's weight
 * therefore does not move with its load, and a saturated one backs off
 * within two ticks, one if far over; it is the LB's connection-aware
 * algorithm (leastconn, wlc) that balances the healthy nodes against
 * each other.
 */
#include <stdint.h>

#include "reporter.h"

/* Smaller moves are noise: they would only churn the LBs' tables. */
#define WEIGHT_HYSTERESIS	3

#define X100_FULL		10000

/*
 * The thresholds of P.  The delay is Little's law, connections in
 * flight over completions a second: time spent in the node, queueing
 * and service together.  The stall is the share of the tick during
 * which a runnable task of the node waited for a CPU.
 */
#define SAT_DELAY_OVER_US	100000	/* 100 ms: queueing */
#define SAT_DELAY_UNDER_US	40000	/* 40 ms: clearly not */
#define SAT_DELAY_FAR_US	150000	/* 150 ms: far over, halve at once */
#define SAT_STALL_OVER		5000	/* 50 % of the tick stalled */
#define SAT_STALL_UNDER		2000	/* 20 % */
#define SAT_STALL_FAR		7500	/* 75 % */
#define SAT_BUSY_OVER		9500	/* neither signal: CPU busy 95 % */
#define SAT_BUSY_UNDER		8500
#define SAT_OVER_TICKS		2	/* ticks in a row before halving */
#define SAT_RISE_PER_S		800	/* P rises 8 % of full a second */
/*
 * A saturated node still gets some traffic, and when every node is
 * saturated their weights keep the ratio of their capacities, which a
 * floor at weight min would flatten.
 */
#define SAT_P_MIN		1000	/* 10 % */

/* Increases: at most one a second, and only of 10 % or onto the top. */
#define RISE_INTERVAL_MS	1000
#define RISE_MIN_PCT		10

/*
 * "weight capacity measured": the completions a second the node would
 * make at full use of its CPUs, its completions over its busy share,
 * from ticks at least CAP_BUSY_MIN busy (below, fixed costs and other
 * work blur the ratio), averaged over CAP_TAU_MS.  CAP_SCALE keeps the
 * averages' fractions: a tick moves them by 1/240th.
 */
#define CAP_BUSY_MIN		2000	/* 20 % */
#define CAP_TAU_MS		60000
#define CAP_SCALE		1000

/* 100 - a share in hundredths of a percent, rounded, never below 0. */
static uint32_t
weight_from_x100(uint32_t used_x100)
{
	if (used_x100 >= 10000)
		return 0;
	return (10000 - used_x100 + 50) / 100;
}

static uint32_t
weight_min3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t	 m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * What the load says the weight should be.  A load average of one
 * runnable task per CPU counts as fully loaded.  "max" takes the most
 * loaded of the three figures, i.e. the smallest weight.
 */
uint32_t
weight_target(const struct load *l, const struct lbn_settings *conf)
{
	uint32_t	 cpu, la, mem, w;

	cpu = weight_from_x100(l->busy_x100);
	la = l->loadavg_x100 >= 100 ? 0 : 100 - l->loadavg_x100;
	mem = weight_from_x100(l->mem_used_x100);
	switch (conf->weight_from) {
	case WEIGHT_LOADAVG:
		w = la;
		break;
	case WEIGHT_MEMORY:
		w = mem;
		break;
	case WEIGHT_MAX_OF:
		w = weight_min3(cpu, la, mem);
		break;
	case WEIGHT_CPU:
	default:
		w = cpu;
		break;
	}
	if (w > conf->weight_max)
		w = conf->weight_max;
	if (w < conf->weight_min)
		w = conf->weight_min;
	return w;
}

/*
 * The weight to report, given the one reported and the target: a move
 * of less than WEIGHT_HYSTERESIS points is ignored, except onto a
 * bound, so an idle node does reach weight_max and a saturated one
 * weight_min.
 */
uint32_t
weight_hysteresis(uint32_t reported, uint32_t target,
    const struct lbn_settings *conf)
{
	uint32_t	 diff;

	if (target == conf->weight_min || target == conf->weight_max)
		return target;
	diff = target > reported ? target - reported : reported - target;
	return diff < WEIGHT_HYSTERESIS ? reported : target;
}

enum sat_level {
	SAT_UNDER,		/* clearly below: P may rise */
	SAT_HOLD,		/* the dead band */
	SAT_OVER,
	SAT_FAR			/* so far over that P halves at once */
};

static enum sat_level
sat_compare(uint32_t v, uint32_t under, uint32_t over, uint32_t far)
{
	if (v >= far)
		return SAT_FAR;
	if (v >= over)
		return SAT_OVER;
	return v < under ? SAT_UNDER : SAT_HOLD;
}

/*
 * The delay is what the LB's clients wait for; the stall only says that
 * some task of the node waited for a CPU, which may be another task than
 * the service's, or too brief to queue a connection.  So with both
 * signals, the delay decides, and a stall over its threshold counts only
 * while the delay shows connections waiting (over SAT_DELAY_UNDER_US):
 * it then halves P before the delay alone would, and otherwise holds P.
 * On a host shared by several nodes, the stall of all of them rises at
 * once when the host is busy; halving them all shifts their traffic
 * onto whichever node halves last.  With one of the two signals, that
 * one decides; with neither, the CPU busy share.
 */
static enum sat_level
sat_level(const struct signals *sg)
{
	int		 have_stall, have_delay;
	enum sat_level	 delay, stall;

	have_stall = !(sg->missing & (1U << SIGNAL_PRESSURE)) ||
	    !(sg->missing & (1U << SIGNAL_THROTTLE));
	have_delay = !(sg->missing & ((1U << SIGNAL_SOCKDIAG) |
	    (1U << SIGNAL_COMPLETIONS)));
	if (!have_stall && !have_delay)
		return sat_compare(sg->busy_x100, SAT_BUSY_UNDER, SAT_BUSY_OVER,
		    UINT32_MAX);
	stall = sat_compare(sg->stall_x100, SAT_STALL_UNDER, SAT_STALL_OVER,
	    SAT_STALL_FAR);
	if (!have_delay)
		return stall;
	delay = sat_compare(sg->delay_us, SAT_DELAY_UNDER_US,
	    SAT_DELAY_OVER_US, SAT_DELAY_FAR_US);
	if (!have_stall || stall < SAT_OVER)
		return delay;
	if (delay == SAT_UNDER)
		return SAT_HOLD;
	return stall > delay ? stall : delay;
}

void
saturation_init(struct saturation *sat)
{
	sat->p_x100 = X100_FULL;
	sat->over = 0;
}

/*
 * One tick of tick_ms.  Over on a tick counts one, far over counts
 * SAT_OVER_TICKS, and P halves when the count reaches SAT_OVER_TICKS;
 * after a cut the count starts again.  Over only, P therefore falls at
 * most every SAT_OVER_TICKS ticks: the LB needs that long to see the
 * new weight, and the queue already there to drain, and one tick over
 * may be noise.  Far over (a CPU hog, a queue of seconds) is not, and
 * waiting a tick would keep the node twice the traffic it should for
 * that long: P halves on every such tick.
 */
void
saturation_step(struct saturation *sat, const struct signals *sg,
    uint32_t tick_ms)
{
	enum sat_level	 level = sat_level(sg);
	uint32_t	 rise;

	if (level < SAT_OVER)
		sat->over = 0;
	switch (level) {
	case SAT_FAR:
	case SAT_OVER:
		sat->over += level == SAT_FAR ? SAT_OVER_TICKS : 1;
		if (sat->over < SAT_OVER_TICKS)
			break;
		sat->p_x100 /= 2;
		if (sat->p_x100 < SAT_P_MIN)
			sat->p_x100 = SAT_P_MIN;
		sat->over = 0;
		break;
	case SAT_UNDER:
		rise = (uint32_t)((uint64_t)SAT_RISE_PER_S * tick_ms / 1000);
		sat->p_x100 = sat->p_x100 + rise > X100_FULL ? X100_FULL :
		    sat->p_x100 + rise;
		break;
	case SAT_HOLD:
		break;
	}
}

/* weight_max x A x P, rounded, within the bounds. */
uint32_t
weight_saturation(const struct saturation *sat, const struct signals *sg,
    const struct lbn_settings *conf)
{
	uint64_t	 w;

	w = ((uint64_t)conf->weight_max * sg->capacity_x100 * sat->p_x100 +
	    (uint64_t)X100_FULL * X100_FULL / 2) / X100_FULL / X100_FULL;
	if (w > conf->weight_max)
		w = conf->weight_max;
	if (w < conf->weight_min)
		w = conf->weight_min;
	return (uint32_t)w;
}

/*
 * The weight to report now, given the one reported and the target.  A
 * decrease goes out at once: the node is saturating.  An increase waits
 * until RISE_INTERVAL_MS after the last one and must be RISE_MIN_PCT
 * of the weight, or reach top (the weight of an unsaturated node), so
 * a recovering node does not send an update every tick.  *last_rise is
 * when the last increase went out (ms, monotonic).
 */
uint32_t
weight_update(uint32_t reported, uint32_t target, uint32_t top,
    uint64_t now_ms, uint64_t *last_rise)
{
	if (target <= reported)
		return target;
	if (now_ms - *last_rise < RISE_INTERVAL_MS)
		return reported;
	if (target < top && (uint64_t)(target - reported) * 100 <
	    (uint64_t)reported * RISE_MIN_PCT)
		return reported;
	*last_rise = now_ms;
	return target;
}

static uint32_t
capacity_share(uint64_t have, uint32_t full)
{
	uint64_t	 a = have * X100_FULL / full;

	return a > X100_FULL ? X100_FULL : (uint32_t)a;
}

/*
 * avg moved tick_ms / span_ms of the way to v: the mean of the ticks
 * so far while span_ms grows, then a moving average of time constant
 * span_ms.
 */
static uint64_t
capacity_average(uint64_t avg, uint32_t v, uint32_t tick_ms, uint32_t span_ms)
{
	int64_t		 diff = (int64_t)v * CAP_SCALE - (int64_t)avg;

	return (uint64_t)((int64_t)avg + diff * tick_ms / span_ms);
}

/*
 * One tick of "weight capacity measured".  The completions and the busy
 * share are each the tick's own, over the same interval, and are
 * averaged apart: a ratio of a second's completions to a busy share
 * smoothed over seconds would be far off whenever the traffic changes,
 * and the ratio of one tick's noisy figures would be off on average.
 */
static void
capacity_measure(struct capacity *cap, const struct signals *sg,
    uint32_t tick_ms)
{
	/* tick_busy_x100 is 0 when the tick's completions are unknown */
	if (sg->tick_busy_x100 < CAP_BUSY_MIN || tick_ms == 0)
		return;
	if (tick_ms > CAP_TAU_MS)
		tick_ms = CAP_TAU_MS;
	cap->span_ms = cap->span_ms + tick_ms > CAP_TAU_MS ? CAP_TAU_MS :
	    cap->span_ms + tick_ms;
	cap->completions = capacity_average(cap->completions,
	    sg->tick_completions_x100, tick_ms, cap->span_ms);
	cap->busy = capacity_average(cap->busy, sg->tick_busy_x100, tick_ms,
	    cap->span_ms);
}

/*
 * A for this tick.  quota: the CPUs the service may use (its cgroup's
 * quota, else the host's), cpus_milli, over full.  measured: the
 * estimate over full, or 1 until there is one, so that a new node gets
 * the traffic it is measured on.
 */
uint32_t
capacity_step(struct capacity *cap, const struct signals *sg,
    uint32_t cpus_milli, const struct lbn_settings *conf, uint32_t tick_ms)
{
	if (conf->capacity_full == 0)
		return X100_FULL;
	switch (conf->weight_capacity) {
	case CAPACITY_QUOTA:
		return capacity_share(cpus_milli, conf->capacity_full);
	case CAPACITY_MEASURED:
		capacity_measure(cap, sg, tick_ms);
		if (cap->span_ms == 0 || cap->busy == 0)
			return X100_FULL;
		/* completions/s x1000 at full use, over full, also x1000 */
		return capacity_share(cap->completions * X100_FULL * 10 /
		    cap->busy, conf->capacity_full);
	case CAPACITY_OFF:
	default:
		return X100_FULL;
	}
}
