/* The weight: from which figure, within which bounds, with hysteresis. */
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

int
main(void)
{
	test_target();
	test_hysteresis();
	return done_testing();
}
