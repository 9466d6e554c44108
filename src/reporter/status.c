/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Answers to lbnodectl.  The monitor relays the request with the
 * control client's id as peerid; every answer carries it back and ends
 * with IMSG_REP_END, on which the monitor closes the client's answer.
 */
#include <string.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "reporter.h"

static void
status_compose(uint32_t type, uint32_t peerid, const void *data, size_t len)
{
	if (imsgev_compose(&rep->iev_monitor, type, peerid, 0, -1, data,
	    len) == -1)
		fatal("imsg to the monitor");
}

/* "weight from saturation" only: the other sources sample none of this. */
static void
status_signals(struct ctl_status *st)
{
	const struct signals	*sg = &rep->signals;

	if (rep->conf.weight_from != WEIGHT_SATURATION)
		return;
	st->signals_missing = rep->signals_missing;
	st->stall_x100 = sg->stall_x100;
	st->throttled_x100 = sg->throttled_x100;
	st->queued = sg->queued;
	st->established = sg->established;
	st->completions_x100 = sg->completions_x100;
	st->delay_us = sg->delay_us;
	st->saturation_x100 = rep->saturation.p_x100;
	st->capacity_x100 = sg->capacity_x100;
}

void
status_send(uint32_t peerid)
{
	struct ctl_status	 st;
	time_t			 now = time(NULL);

	memset(&st, 0, sizeof(st));
	st.admin = rep->admin;
	st.weight = rep->weight;
	st.busy_pct_x100 = rep->load.busy_x100;
	st.loadavg_x100 = rep->load.loadavg_x100;
	st.mem_used_pct_x100 = rep->load.mem_used_x100;
	st.nlbs = (uint32_t)rep->nlbs;
	st.uptime = now > rep->started ? (uint64_t)(now - rep->started) : 0;
	st.generation = rep->generation;
	st.rx_packets = rep->counters.rx_packets;
	st.tx_packets = rep->counters.tx_packets;
	st.agent_queries = rep->counters.agent_queries;
	st.http_queries = rep->counters.http_queries;
	memcpy(st.dropped, rep->counters.dropped, sizeof(st.dropped));
	memcpy(st.restarts, rep->restarts, sizeof(st.restarts));
	iface_get(&rep->conf, &st.iface);
	status_signals(&st);
	status_compose(IMSG_REP_STATUS, peerid, &st, sizeof(st));
	status_compose(IMSG_REP_END, peerid, NULL, 0);
}

void
status_send_lbs(uint32_t peerid)
{
	size_t	 i;

	for (i = 0; i < rep->nlbs; i++)
		status_compose(IMSG_REP_LB, peerid, &rep->lbs[i],
		    sizeof(rep->lbs[i]));
	status_compose(IMSG_REP_END, peerid, NULL, 0);
}
