/*
 * The weight a node reports: 100 for an idle node, less the more
 * loaded it is, within the configured bounds.  Admin state does not
 * enter here: each protocol says drain or maint its own way.
 */
#include <stdint.h>

#include "reporter.h"

/* Smaller moves are noise: they would only churn the LBs' tables. */
#define WEIGHT_HYSTERESIS	3

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
