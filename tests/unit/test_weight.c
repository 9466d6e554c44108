/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The weight: from which figure, within which bounds, with hysteresis;
 * and the control law of "weight from saturation" on signal traces of
 * a 250 ms tick: a step, a ramp and oscillating inputs.
 */
#include <stdio.h>
#include <string.h>

#include "reporter.h"
#include "tap.h"

static struct lbn_settings	 conf;

static uint32_t
target(enum weight_source from, uint32_t busy, uint32_t la, uint32_t mem)
{
	struct load	 l;

	memset(&l, 0, sizeof(l));
	l.busy_x100 = busy;
	l.loadavg_x100 = la;
	l.mem_used_x100 = mem;
	l.valid = 1;
	conf.weight_from = from;
	return weight_target(&l, &conf);
}

static void
test_target(void)
{
	conf.weight_min = 0;
	conf.weight_max = 100;
	is_int(target(WEIGHT_CPU, 2700, 0, 0), 73, "cpu 27% busy: 73");
	is_int(target(WEIGHT_CPU, 2650, 0, 0), 74, "cpu 26.5% busy rounds: 74");
	is_int(target(WEIGHT_CPU, 0, 500, 9000), 100, "idle cpu: 100");
	is_int(target(WEIGHT_CPU, 10000, 0, 0), 0, "saturated cpu: 0");
	is_int(target(WEIGHT_LOADAVG, 0, 73, 0), 27, "loadavg 0.73/CPU: 27");
	is_int(target(WEIGHT_LOADAVG, 0, 250, 0), 0,
	    "loadavg 2.5/CPU: clamped at 0");
	is_int(target(WEIGHT_MEMORY, 0, 0, 2500), 75, "memory 25% used: 75");
	is_int(target(WEIGHT_MAX_OF, 2000, 30, 6000), 40,
	    "max: memory is the most loaded");
	is_int(target(WEIGHT_MAX_OF, 2000, 90, 6000), 10,
	    "max: loadavg is the most loaded");
	is_int(target(WEIGHT_MAX_OF, 9500, 10, 1000), 5,
	    "max: cpu is the most loaded");

	conf.weight_min = 10;
	conf.weight_max = 80;
	is_int(target(WEIGHT_CPU, 0, 0, 0), 80, "clamped at weight_max");
	is_int(target(WEIGHT_CPU, 9900, 0, 0), 10, "clamped at weight_min");
	is_int(target(WEIGHT_CPU, 5000, 0, 0), 50, "inside the bounds");
}

static void
test_hysteresis(void)
{
	conf.weight_min = 10;
	conf.weight_max = 90;
	is_int(weight_hysteresis(50, 52, &conf), 50, "+2 ignored");
	is_int(weight_hysteresis(50, 48, &conf), 50, "-2 ignored");
	is_int(weight_hysteresis(50, 53, &conf), 53, "+3 taken");
	is_int(weight_hysteresis(50, 47, &conf), 47, "-3 taken");
	is_int(weight_hysteresis(89, 90, &conf), 90, "reaching weight_max taken");
	is_int(weight_hysteresis(11, 10, &conf), 10, "reaching weight_min taken");
	is_int(weight_hysteresis(90, 89, &conf), 90, "leaving max by 1 ignored");
	is_int(weight_hysteresis(50, 50, &conf), 50, "no change");
}

#define TICK_MS		250
#define HEALTHY_US	5000		/* a delay far below the thresholds */
#define QUEUED_US	120000		/* above, not far */
#define FAR_US		300000		/* far above */

/* A tick's signals: every one present, the capacity full. */
static struct signals
tick(uint32_t delay_us, uint32_t stall_x100)
{
	struct signals	 sg;

	memset(&sg, 0, sizeof(sg));
	sg.delay_us = delay_us;
	sg.stall_x100 = stall_x100;
	sg.capacity_x100 = 10000;
	return sg;
}

/* P after n ticks of the same signals. */
static uint32_t
run(struct saturation *sat, int n, uint32_t delay_us, uint32_t stall_x100)
{
	struct signals	 sg = tick(delay_us, stall_x100);

	while (n-- > 0)
		saturation_step(sat, &sg, TICK_MS);
	return sat->p_x100;
}

/*
 * A step: healthy, then queueing for 10 s, then healthy again.  P must
 * not move while healthy, halve on the second tick over and every two
 * ticks after, stop at 1 %, and climb back to 80 % within 15 s.
 */
static void
test_step(void)
{
	struct saturation	 sat;
	struct signals		 over = tick(QUEUED_US, 500);
	int			 i, back = -1;

	saturation_init(&sat);
	is_int(run(&sat, 40, HEALTHY_US, 500), 10000, "healthy: P stays 1");
	saturation_step(&sat, &over, TICK_MS);
	is_int(sat.p_x100, 10000, "one tick over: not yet");
	saturation_step(&sat, &over, TICK_MS);
	is_int(sat.p_x100, 5000, "two ticks over: halved");
	saturation_step(&sat, &over, TICK_MS);
	is_int(sat.p_x100, 5000, "the count starts again after a halving");
	saturation_step(&sat, &over, TICK_MS);
	is_int(sat.p_x100, 2500, "halved again two ticks later");
	is_int(run(&sat, 36, QUEUED_US, 500), 1000, "floor of 10 % after 10 s");
	for (i = 1; i <= 80 && back == -1; i++)
		if (run(&sat, 1, HEALTHY_US, 500) >= 8000)
			back = i;
	printf("# back to 80 %% after %d ms\n", back * TICK_MS);
	ok(back > 0 && back * TICK_MS <= 15000, "back to 80 % within 15 s");
	is_int(run(&sat, 20, HEALTHY_US, 500), 10000, "and to 1, no further");

	saturation_init(&sat);
	is_int(run(&sat, 2, HEALTHY_US, 9000), 10000,
	    "a stall over 50 % with no connection waiting: P holds");
	is_int(run(&sat, 2, 50000, 6000), 5000,
	    "a stall over 50 % and the delay over 40 ms: halved");
	is_int(run(&sat, 4, HEALTHY_US, 3500), 5800,
	    "a stall in its dead band does not keep P from rising");
}

/*
 * Far over, the delay at 150 ms or the stall at 75 % with connections
 * waiting: P halves on every such tick, not every second one.  A far
 * tick after an over one completes the count; the count then starts
 * again.
 */
static void
test_far(void)
{
	struct saturation	 sat;
	struct signals		 far = tick(FAR_US, 500);
	struct signals		 over = tick(QUEUED_US, 500);

	saturation_init(&sat);
	saturation_step(&sat, &far, TICK_MS);
	is_int(sat.p_x100, 5000, "one tick far over: halved at once");
	saturation_step(&sat, &far, TICK_MS);
	is_int(sat.p_x100, 2500, "and again on the next");
	is_int(run(&sat, 2, 50000, 8000), 1000,
	    "stall far over, connections waiting: halved a tick, to the floor");
	saturation_init(&sat);
	is_int(run(&sat, 2, HEALTHY_US, 9000), 10000,
	    "stall far over, no connection waiting: P holds");
	saturation_step(&sat, &over, TICK_MS);
	saturation_step(&sat, &far, TICK_MS);
	is_int(sat.p_x100, 5000, "over, then far: halved once");
	saturation_step(&sat, &over, TICK_MS);
	is_int(sat.p_x100, 5000, "then over: the count starts again");
}

/*
 * Recorded in bench/balance.sh (BAL_TRACE=1), every other 250 ms tick:
 * the stall in % and the delay in ms of a node whose cgroup a CPU hog
 * entered, and of a healthy node on the same host at the same time.
 * Each record stands for two ticks.
 */
static const uint32_t	 trace_hogged[][2] = {
	{ 28, 25 }, { 54, 41 }, { 77, 116 }, { 72, 0 }, { 66, 0 },
	{ 80, 0 }, { 52, 0 }, { 68, 18 },
};
static const uint32_t	 trace_healthy[][2] = {
	{ 8, 0 }, { 8, 8 }, { 17, 16 }, { 73, 78 }, { 57, 70 }, { 21, 7 },
	{ 15, 23 }, { 27, 6 }, { 51, 0 }, { 8, 6 },
};
static const uint32_t	 trace_host_busy[][2] = {
	{ 27, 0 }, { 23, 0 }, { 51, 0 }, { 3, 0 }, { 10, 10 }, { 19, 29 },
};

static uint32_t
replay(const uint32_t (*trace)[2], size_t n)
{
	struct saturation	 sat;
	size_t			 i;

	saturation_init(&sat);
	for (i = 0; i < n; i++)
		run(&sat, 2, trace[i][1] * 1000, trace[i][0] * 100);
	return sat.p_x100;
}

/*
 * The hogged node halves, then falls to a quarter as its stall passes
 * 75 % with connections waiting, and stays down.
 * The healthy one, which takes over the hogged one's traffic, is halved
 * on the two records where its connections waited 70 to 78 ms in a CPU
 * stall, and rises again as soon as they do not wait.  A stall the whole
 * host shares, with no connection waiting, moves nothing.
 */
static void
test_recorded(void)
{
	struct saturation	 sat;
	size_t			 i;
	uint32_t		 lo = 10000;

	ok(replay(trace_hogged, 3) <= 5000, "hogged: halved within 1.5 s");
	is_int(replay(trace_hogged, nitems(trace_hogged)), 1250,
	    "hogged: held low while stalled");
	saturation_init(&sat);
	for (i = 0; i < nitems(trace_healthy); i++) {
		run(&sat, 2, trace_healthy[i][1] * 1000,
		    trace_healthy[i][0] * 100);
		lo = sat.p_x100 < lo ? sat.p_x100 : lo;
	}
	is_int(lo, 2500, "healthy beside the hog: halved where it queued");
	is_int(sat.p_x100, 4100, "and rising again as its delay falls");
	is_int(replay(trace_host_busy, nitems(trace_host_busy)), 10000,
	    "a stall of the whole host: P stays 1");
}

/*
 * A ramp: the delay grows 2.5 ms a tick from 0 to 200 ms.  P holds at
 * 1 through the dead band and falls only once the delay is over 100 ms.
 */
static void
test_ramp(void)
{
	struct saturation	 sat;
	struct signals		 sg;
	uint32_t		 prev = 10000, d;
	int			 i, held = 1, monotone = 1, first_fall = -1;

	saturation_init(&sat);
	for (i = 0; i <= 80; i++) {
		d = (uint32_t)i * 2500;
		sg = tick(d, 1000);
		saturation_step(&sat, &sg, TICK_MS);
		if (d < 100000 && sat.p_x100 != 10000)
			held = 0;
		if (sat.p_x100 > prev)
			monotone = 0;
		if (sat.p_x100 < prev && first_fall == -1)
			first_fall = (int)d;
		prev = sat.p_x100;
	}
	ok(held, "P holds at 1 while the delay is under 100 ms");
	ok(monotone, "and never rises on the way up");
	is_int(first_fall, 102500, "the first halving: second tick over 100 ms");
	ok(sat.p_x100 <= 1000, "at 200 ms P is 10 % or less");

	/* Down the same ramp: no rise until the delay is under 40 ms. */
	for (i = 80; i >= 0; i--) {
		d = (uint32_t)i * 2500;
		prev = sat.p_x100;
		sg = tick(d, 1000);
		saturation_step(&sat, &sg, TICK_MS);
		if (d >= 40000 && sat.p_x100 > prev)
			held = 0;
	}
	ok(held, "no rise in the dead band on the way down");
}

/*
 * Oscillating inputs.  Over and under on alternate ticks never makes
 * two ticks over in a row: noise does not halve P.  An oscillation
 * inside the dead band leaves P where it is.  A node over for 1 s and
 * under for 1 s in turn settles low, above the floor: it keeps some
 * traffic, not all.
 */
static void
test_oscillation(void)
{
	struct saturation	 sat;
	uint32_t		 lo = 10000, hi = 0;
	int			 i;

	saturation_init(&sat);
	for (i = 0; i < 40; i++) {
		run(&sat, 1, QUEUED_US, 500);
		run(&sat, 1, HEALTHY_US, 500);
	}
	is_int(sat.p_x100, 10000, "alternate ticks over: P stays 1");

	sat.p_x100 = 5000;
	for (i = 0; i < 40; i++) {
		run(&sat, 1, 90000, 4000);
		run(&sat, 1, 50000, 3000);
	}
	is_int(sat.p_x100, 5000, "inside the dead band: P holds");

	saturation_init(&sat);
	for (i = 0; i < 20; i++) {
		run(&sat, 4, QUEUED_US, 500);
		run(&sat, 4, HEALTHY_US, 500);
		if (i >= 10) {
			lo = sat.p_x100 < lo ? sat.p_x100 : lo;
			hi = sat.p_x100 > hi ? sat.p_x100 : hi;
		}
	}
	printf("# 1 s over, 1 s under: P between %u and %u\n", lo, hi);
	ok(lo > 1000 && hi < 2500, "1 s over, 1 s under: P settles low, "
	    "above the floor");
}

/* P after two ticks of sg from 1: halved, or not. */
static uint32_t
two_ticks(struct signals sg)
{
	struct saturation	 sat;

	saturation_init(&sat);
	saturation_step(&sat, &sg, TICK_MS);
	saturation_step(&sat, &sg, TICK_MS);
	return sat.p_x100;
}

/* With a signal missing, the others decide; with none, the busy share. */
static void
test_missing(void)
{
	const uint32_t	 no_stall = (1U << SIGNAL_PRESSURE) |
	    (1U << SIGNAL_THROTTLE);
	struct signals	 sg;

	sg = tick(QUEUED_US, 500);
	sg.missing = no_stall;
	is_int(two_ticks(sg), 5000, "no stall signal: the delay decides");
	sg.missing = 1U << SIGNAL_SOCKDIAG;
	is_int(two_ticks(sg), 10000, "no sock_diag: the delay is not used");
	sg = tick(HEALTHY_US, 6000);
	sg.missing = 1U << SIGNAL_COMPLETIONS;
	is_int(two_ticks(sg), 5000, "no delay: the stall alone decides");

	sg = tick(QUEUED_US, 9000);
	sg.missing = no_stall | (1U << SIGNAL_COMPLETIONS);
	sg.busy_x100 = 9000;
	is_int(two_ticks(sg), 10000, "neither: busy 90 % is the dead band");
	sg.busy_x100 = 9600;
	is_int(two_ticks(sg), 5000, "neither: busy 96 % is saturated");
}

/* weight max x A x P, within the bounds. */
static void
test_saturation_weight(void)
{
	static const struct {
		uint32_t	 max, capacity, p, weight;
		const char	*name;
	} cases[] = {
		{ 100, 10000, 10000, 100, "A 1, P 1: 100" },
		{ 100, 2000, 10000, 20, "0.4 of 2 CPUs: 20" },
		{ 100, 1000, 10000, 10, "0.2 of 2 CPUs: 10, half the 0.4's" },
		{ 100, 1000, 5000, 5, "P 0.5: halved" },
		{ 100, 1000, 1000, 1, "P 0.1 of 10: 1" },
		{ 100, 2000, 1000, 2, "P 0.1 of 20: 2, the capacities' ratio" },
		{ 100, 100, 1000, 1, "never below min" },
		{ 50, 10000, 10000, 50, "max 50: 50" },
	};
	struct saturation	 sat;
	struct signals		 sg = tick(0, 0);
	size_t			 i;

	conf.weight_min = 1;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf.weight_max = (uint8_t)cases[i].max;
		sg.capacity_x100 = cases[i].capacity;
		sat.p_x100 = cases[i].p;
		is_int(weight_saturation(&sat, &sg, &conf), cases[i].weight,
		    cases[i].name);
	}
}

/* A from CPUs, in absolute units: comparable across hosts. */
static void
test_capacity_quota(void)
{
	struct capacity	 cap = { 0 };
	struct signals	 sg = tick(0, 0);

	conf.weight_capacity = CAPACITY_QUOTA;
	conf.capacity_full = 400;
	is_int(capacity_step(&cap, &sg, 400, &conf, TICK_MS), 10000,
	    "quota 0.4 of full 0.4: 1");
	is_int(capacity_step(&cap, &sg, 200, &conf, TICK_MS), 5000,
	    "quota 0.2: half, on a host of 2 CPUs or of 16");
	conf.capacity_full = 8000;
	is_int(capacity_step(&cap, &sg, 4000, &conf, TICK_MS), 5000,
	    "4 CPUs of full 8: 0.5");
	is_int(capacity_step(&cap, &sg, 16000, &conf, TICK_MS), 10000,
	    "16 CPUs of full 8: 1, no more");
	conf.weight_capacity = CAPACITY_OFF;
	is_int(capacity_step(&cap, &sg, 200, &conf, TICK_MS), 10000, "off: 1");
}

/* completions/s and busy share of one tick, x100 */
static uint32_t
measure(struct capacity *cap, uint32_t rate_x100, uint32_t busy_x100)
{
	struct signals	 sg = tick(0, 0);

	sg.tick_completions_x100 = rate_x100;
	sg.tick_busy_x100 = busy_x100;
	return capacity_step(cap, &sg, 1000, &conf, TICK_MS);
}

/* The lowest and highest A over n ticks of rate +-20 % in turn at busy. */
static void
measure_noise(struct capacity *cap, int n, uint32_t rate, uint32_t busy,
    uint32_t *lo, uint32_t *hi)
{
	uint32_t	 a;
	int		 i;

	*lo = 10000;
	*hi = 0;
	for (i = 0; i < n; i++) {
		a = measure(cap, i % 2 ? rate * 6 / 5 : rate * 4 / 5, busy);
		*lo = a < *lo ? a : *lo;
		*hi = a > *hi ? a : *hi;
	}
}

/*
 * A node that completes 60 connections a second at 30 % busy would make
 * 200 at full use: with full 400, A is 0.5 whatever its traffic share.
 * The first busy tick gives an estimate, the next ones make it their
 * mean until a minute of them, then a moving average.  A real change
 * of what a CPU-second buys moves A over about a minute, and noise
 * barely at all.
 */
static void
test_capacity_measured(void)
{
	struct capacity	 cap = { 0 };
	uint32_t	 a, lo, hi;
	int		 i;

	conf.weight_capacity = CAPACITY_MEASURED;
	conf.capacity_full = 400000;
	is_int(measure(&cap, 0, 0), 10000, "nothing measured yet: 1");
	is_int(measure(&cap, 500, 1000), 10000,
	    "10 % busy is too little to measure: still 1");
	is_int(measure(&cap, 6000, 3000), 5000,
	    "200/s at full use of 400: 0.5, from the first busy tick");
	is_int(measure(&cap, 9000, 4500), 5000,
	    "1.5 times the traffic share at 1.5 times the busy: unchanged");
	is_int(measure(&cap, 0, 3000), 3571,
	    "a busy tick without a completion counts: 15000 of 10500");
	memset(&cap, 0, sizeof(cap));
	measure_noise(&cap, 20, 6000, 3000, &lo, &hi);
	a = measure(&cap, 6000, 3000);
	printf("# a new node, completions +-20 %% a tick: A %u to %u, %u "
	    "after 5 s\n", lo, hi, a);
	ok(lo >= 4000 && hi <= 6000 && a >= 4900 && a <= 5100,
	    "a new node: within 20 % from the first tick, 2 % after 5 s");
	for (i = 0; i < 240; i++)
		measure(&cap, 6000, 3000);
	measure_noise(&cap, 240, 6000, 3000, &lo, &hi);
	printf("# completions +-20 %% a tick for 60 s: A %u to %u\n", lo, hi);
	ok(lo >= 4900 && hi <= 5100, "noise of 20 % moves A by 1 % at most");
	a = measure(&cap, 6000, 6000);
	ok(a >= 4950, "a CPU-second buys half as much: A moves little a tick");
	for (i = 0; i < 239; i++)
		a = measure(&cap, 6000, 6000);
	printf("# a minute later: A %u\n", a);
	ok(a > 3000 && a < 3500, "and most of the way in a minute");
	conf.capacity_full = 100000;
	is_int(measure(&cap, 6000, 3000), 10000, "over full: 1, no more");
}

/* Decreases at once; increases at most once a second, of 10 % or to top. */
static void
test_update(void)
{
	uint64_t	 last = 0;

	is_int(weight_update(80, 40, 100, 5000, &last), 40,
	    "a decrease goes out at once");
	is_int(weight_update(40, 1, 100, 5001, &last), 1,
	    "and the next one too");
	is_int(weight_update(40, 60, 100, 5000, &last), 60,
	    "an increase a second after the last");
	is_int(last, 5000, "is remembered");
	is_int(weight_update(60, 90, 100, 5999, &last), 60,
	    "another within the second waits");
	is_int(weight_update(60, 90, 100, 6000, &last), 90,
	    "and goes out once the second is over");
	is_int(weight_update(90, 95, 100, 8000, &last), 90,
	    "under 10 %: held");
	is_int(weight_update(95, 100, 100, 9000, &last), 100,
	    "under 10 % but onto the top: sent");
	is_int(weight_update(100, 100, 100, 9100, &last), 100, "no change");
}

int
main(void)
{
	test_target();
	test_hysteresis();
	test_step();
	test_ramp();
	test_oscillation();
	test_missing();
	test_far();
	test_recorded();
	test_capacity_quota();
	test_capacity_measured();
	test_saturation_weight();
	test_update();
	return done_testing();
}
