/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The monitor's copy of what a reporter must not forget across a
 * restart (see src/reporter/carry.c): it keeps the latest
 * IMSG_REP_CARRY and hands it to each new reporter before anything
 * else that reporter could act on.
 */
#include <string.h>

#include "imsg.h"
#include "log.h"
#include "monitor.h"

static struct rep_carry	 carry;

void
carry_keep(struct imsg *imsg)
{
	struct rep_carry	 c;

	if (imsg_get_len(imsg) != sizeof(c) ||
	    imsg_get_data(imsg, &c, sizeof(c)) == -1)
		fatalx("%s: bad IMSG_REP_CARRY", __func__);
	/* A floor never goes down, whatever a reporter says. */
	if (c.replay_floor_ms < carry.replay_floor_ms)
		c.replay_floor_ms = carry.replay_floor_ms;
	carry = c;
}

void
carry_hand_back(void)
{
	proc_send(PROC_REPORTER, IMSG_REP_CARRY_BACK, 0, -1, &carry,
	    sizeof(carry));
}
