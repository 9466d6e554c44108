/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * What outlives a reporter: the monitor keeps a copy of its replay
 * floor and counters (IMSG_REP_CARRY) and hands them to the next one
 * (IMSG_REP_CARRY_BACK), so that a restart, even a kill -9, neither
 * lets a captured LBNP packet in again nor resets the counters and
 * the uptime.
 *
 * The floor is promised ahead: before the reporter answers a packet
 * whose timestamp passes the floor the monitor holds, it raises that
 * floor a little beyond, and writes it at once.  So the monitor always
 * holds a floor at or above every timestamp accepted, at the cost of
 * refusing, after a restart, what LBs send within that margin.  The
 * counters go every second when they changed: a kill -9 loses at most
 * that second's counts.
 */
#include <event2/event.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "reporter.h"

#define FLOOR_AHEAD_MS		500
#define COUNTERS_EVERY_SECS	1

static struct rep_carry	 sent;		/* what the monitor holds */
static struct event	*carry_ev;

static void
carry_send(void)
{
	sent.counters = rep->counters;
	sent.started = (uint64_t)rep->started;
	if (imsgev_compose(&rep->iev_monitor, IMSG_REP_CARRY, 0, 0, -1, &sent,
	    sizeof(sent)) == -1)
		fatal("imsg to the monitor");
}

/* An authentic LBNP packet with this timestamp is about to be answered. */
void
carry_accepted(uint64_t ts_ms)
{
	if (ts_ms < sent.replay_floor_ms)
		return;
	sent.replay_floor_ms = ts_ms + FLOOR_AHEAD_MS;
	carry_send();
	/* Now, not at the next turn of the loop: the answer goes first. */
	if (imsgbuf_write(&rep->iev_monitor.ibuf) == -1)
		log_warn("imsg to the monitor");
}

static void
carry_timer(int fd, short ev, void *arg)
{
	struct timeval	 tv = { COUNTERS_EVERY_SECS, 0 };

	(void)fd;
	(void)ev;
	(void)arg;
	if (sent.started == 0 ||
	    memcmp(&sent.counters, &rep->counters, sizeof(sent.counters)) != 0)
		carry_send();
	if (evtimer_add(carry_ev, &tv) == -1)
		fatalx("%s: evtimer_add", __func__);
}

/*
 * From the monitor, once, before any socket: what the reporters before
 * this one left.  Counters add up, in case a packet came first.
 */
void
carry_back(const struct rep_carry *c)
{
	size_t	 i;

	rep->counters.rx_packets += c->counters.rx_packets;
	rep->counters.tx_packets += c->counters.tx_packets;
	rep->counters.agent_queries += c->counters.agent_queries;
	rep->counters.http_queries += c->counters.http_queries;
	for (i = 0; i < DROP_MAX; i++)
		rep->counters.dropped[i] += c->counters.dropped[i];
	if (c->started != 0 && (time_t)c->started < rep->started)
		rep->started = (time_t)c->started;
	if (c->replay_floor_ms > sent.replay_floor_ms)
		sent.replay_floor_ms = c->replay_floor_ms;
	lbnpd_replay_floor(c->replay_floor_ms);
	log_debug("carried over: replay floor %llu, %llu packets received",
	    (unsigned long long)c->replay_floor_ms,
	    (unsigned long long)c->counters.rx_packets);
}

void
carry_start(void)
{
	if ((carry_ev = evtimer_new(rep->base, carry_timer, NULL)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	carry_timer(-1, 0, NULL);
}
