/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The monitor's push relay (src/monitor/dr.c), driven with scripted
 * imsg sequences in the orders a dying, restarted or misbehaving
 * reporter or netcfg can produce.  The relay's outputs are caught by
 * the fakes below in place of common/proc.c, monitor.c and control.c; a
 * fatalx() in the relay ends this program and so fails the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imsg.h"
#include "monitor.h"
#include "tap.h"

#define LOG_MAX		64

struct sent {
	uint32_t	 type;
	uint8_t		 status;	/* IMSG_REP_PUSH_RESULT */
	uint64_t	 generation;
	char		 reason[128];
};

static struct sent	 to_reporter[LOG_MAX], to_netcfg[LOG_MAX];
static size_t		 nreporter, nnetcfg, nvips;
static int		 netcfg_up = 1, reporter_kills, config_answers;

static void
record(struct sent *log, size_t *n, uint32_t type, const void *data,
    size_t len)
{
	struct sent		*s;
	struct dr_result	 r;

	if (*n == LOG_MAX) {
		printf("Bail out! more than %d messages\n", LOG_MAX);
		exit(1);
	}
	s = &log[(*n)++];
	memset(s, 0, sizeof(*s));
	s->type = type;
	if (type == IMSG_REP_PUSH_RESULT && len == sizeof(r)) {
		memcpy(&r, data, sizeof(r));
		s->status = r.status;
		s->generation = r.generation;
		memcpy(s->reason, r.reason, sizeof(s->reason));
		s->reason[sizeof(s->reason) - 1] = '\0';
	}
}

/* --- what dr.c calls --- */

int
proc_send(int id, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	if (id != PROC_NETCFG || !netcfg_up)
		return -1;
	record(to_netcfg, &nnetcfg, type, data, len);
	return 0;
}

int
proc_running(int id)
{
	return id == PROC_NETCFG ? netcfg_up : 1;
}

void
proc_kill(int id)
{
	if (id == PROC_REPORTER)
		reporter_kills++;
}

int
monitor_to_reporter(uint32_t type, uint32_t peerid, const void *data,
    size_t len)
{
	record(to_reporter, &nreporter, type, data, len);
	return 0;
}

void
monitor_config_done(uint64_t generation, int ok, const char *why)
{
	config_answers++;
}

void
control_send(uint32_t id, uint32_t type, const void *data, size_t len)
{
	if (type == IMSG_CTL_VIP)
		nvips++;
}

/* --- messages in --- */

static void
msg(struct imsg *m, uint32_t type, void *data, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->hdr.type = type;
	m->data = data;
	m->datalen = len;
	m->fd = -1;
}

static void
rep_begin(uint32_t count, uint64_t generation)
{
	struct dr_begin	 b;
	struct imsg	 m;

	memset(&b, 0, sizeof(b));
	b.origin = ORIGIN_LB;
	b.count = count;
	b.generation = generation;
	msg(&m, IMSG_REP_PUSH_BEGIN, &b, sizeof(b));
	dr_push_begin(&m);
}

static void
rep_entries(uint32_t n, uint16_t port)
{
	struct dr_entry	 e;
	struct imsg	 m;
	uint32_t	 i;

	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof(e));
		e.vip.af = AF_INET;
		e.vip.plen = 32;
		e.vip.u.raw[0] = 192;
		e.vip.u.raw[3] = 10;
		e.proto = IPPROTO_TCP;
		e.port_lo = e.port_hi = port + i;
		msg(&m, IMSG_REP_PUSH_ENTRY, &e, sizeof(e));
		dr_push_entry(&m);
	}
}

/* A whole push as the reporter sends it. */
static void
rep_push(uint32_t count, uint64_t generation)
{
	rep_begin(count, generation);
	rep_entries(count, 80);
	dr_push_commit();
}

/* netcfg's answer to the request in flight. */
static void
netcfg_answer(int status, uint32_t nrejected)
{
	struct dr_result	 r;
	struct dr_entry_result	 er;
	struct imsg		 m;
	uint32_t		 i;

	memset(&r, 0, sizeof(r));
	r.status = status;
	msg(&m, IMSG_DR_RESULT, &r, sizeof(r));
	dr_netcfg_reply(&m);
	for (i = 0; i < nrejected; i++) {
		memset(&er, 0, sizeof(er));
		er.index = i;
		msg(&m, IMSG_DR_ENTRY_RESULT, &er, sizeof(er));
		dr_netcfg_reply(&m);
	}
	msg(&m, IMSG_DR_DONE, NULL, 0);
	dr_netcfg_reply(&m);
}

static void
clear_logs(void)
{
	nreporter = nnetcfg = nvips = 0;
	reporter_kills = 0;
}

/* How many of type went to netcfg since the logs were cleared. */
static size_t
count(const struct sent *log, size_t n, uint32_t type)
{
	size_t	 i, c = 0;

	for (i = 0; i < n; i++)
		c += log[i].type == type;
	return c;
}

/* The reporter got exactly one answer: RESULT(status, reason), DONE. */
static void
one_answer(int status, const char *reason, const char *name)
{
	char	 what[160];

	snprintf(what, sizeof(what), "%s: one answer to the reporter", name);
	is_int(nreporter, 2, what);
	if (nreporter != 2)
		return;
	snprintf(what, sizeof(what), "%s: RESULT then DONE", name);
	ok(to_reporter[0].type == IMSG_REP_PUSH_RESULT &&
	    to_reporter[1].type == IMSG_REP_PUSH_DONE, what);
	snprintf(what, sizeof(what), "%s: status", name);
	is_int(to_reporter[0].status, status, what);
	if (reason != NULL) {
		snprintf(what, sizeof(what), "%s: reason", name);
		is_str(to_reporter[0].reason, reason, what);
	}
}

/* The lb entries the monitor lists as in force. */
static size_t
lb_in_force(void)
{
	nvips = 0;
	dr_send_vips(0);
	return nvips;
}

int
main(void)
{
	/* A netcfg that has applied an empty config. */
	dr_set_config(NULL, 0, 1);
	is_int(count(to_netcfg, nnetcfg, IMSG_DR_COMMIT), 1,
	    "the config goes to netcfg");
	netcfg_answer(DR_OK, 0);
	ok(dr_idle(), "netcfg idle after the config");
	is_int(config_answers, 1, "the config's outcome reaches the monitor");

	/* 1. An ordinary push. */
	clear_logs();
	rep_push(2, 10);
	is_int(count(to_netcfg, nnetcfg, IMSG_DR_ENTRY), 2,
	    "push: its entries go to netcfg");
	netcfg_answer(DR_OK, 1);
	is_int(nreporter, 3, "push: RESULT, one ENTRY_RESULT, DONE");
	is_int(lb_in_force(), 2, "push: its 2 entries in force");

	/* 2. The reporter dies while netcfg applies a push. */
	clear_logs();
	rep_push(3, 11);
	dr_reporter_lost();
	rep_push(1, 12);		/* the new reporter's first push */
	is_int(reporter_kills, 0, "new reporter's push accepted");
	is_int(nreporter, 0, "abandoned push: nothing sent yet");
	netcfg_answer(DR_OK, 0);	/* the abandoned one */
	is_int(nreporter, 0, "abandoned push's answer not relayed");
	is_int(lb_in_force(), 3, "abandoned push applied: in force");
	is_int(count(to_netcfg, nnetcfg, IMSG_DR_BEGIN), 2,
	    "the new push follows it to netcfg");
	netcfg_answer(DR_OK, 0);
	one_answer(DR_OK, NULL, "new reporter's push");
	is_int(lb_in_force(), 1, "new reporter's push in force");

	/* 3. The reporter dies while receiving; a new one pushes. */
	clear_logs();
	rep_begin(4, 13);
	rep_entries(2, 80);
	dr_reporter_lost();
	rep_push(1, 14);
	is_int(reporter_kills, 0, "push after a half-received one");
	netcfg_answer(DR_OK, 0);
	one_answer(DR_OK, NULL, "push after a half-received one");

	/* 4. Too many entries: refused, its entries drained. */
	clear_logs();
	rep_begin(VIP_ENTRIES_MAX + 1, 15);
	rep_entries(5, 80);
	dr_push_commit();
	is_int(nnetcfg, 0, "too many entries: netcfg not asked");
	is_int(reporter_kills, 0, "too many entries: reporter kept");
	one_answer(DR_FAILED, "too many entries", "too many entries");
	is_int(to_reporter[0].generation, 15, "too many entries: generation");
	ok(dr_idle(), "too many entries: idle after");

	/* 5. A second push while one is pending. */
	clear_logs();
	rep_push(2, 16);
	rep_push(3, 17);
	is_int(reporter_kills, 0, "second push: reporter kept");
	one_answer(DR_FAILED, "another push is pending", "second push");
	is_int(to_reporter[0].generation, 17, "second push: its generation");
	netcfg_answer(DR_OK, 0);	/* the first, abandoned */
	is_int(nreporter, 2, "first push's answer not relayed");
	rep_push(1, 18);		/* and the relay still works */
	netcfg_answer(DR_OK, 0);
	is_int(nreporter, 4, "a push after that is answered");

	/* 6. netcfg dies while applying a push, then comes back. */
	clear_logs();
	rep_push(2, 19);
	netcfg_up = 0;
	dr_netcfg_lost("did not answer");
	one_answer(DR_FAILED, "netcfg did not answer", "netcfg lost");
	rep_push(1, 20);
	is_int(nreporter, 4, "push while netcfg is down: answered");
	is_str(to_reporter[2].reason, "netcfg is not running",
	    "push while netcfg is down: reason");
	clear_logs();
	netcfg_up = 1;
	dr_replay();
	is_int(count(to_netcfg, nnetcfg, IMSG_DR_BEGIN), 1,
	    "new netcfg: the config replayed");
	rep_push(1, 21);		/* queued behind the replay */
	netcfg_up = 0;
	dr_netcfg_lost("died");
	one_answer(DR_FAILED, "netcfg died", "queued push, netcfg lost");
	netcfg_up = 1;
	clear_logs();
	dr_replay();
	netcfg_answer(DR_OK, 0);	/* config */
	is_int(config_answers, 2,
	    "the replayed config's outcome reaches the monitor (a reload waits)");
	netcfg_answer(DR_OK, 0);	/* lb replay */
	ok(dr_idle(), "netcfg idle after the replay");
	rep_push(1, 22);
	netcfg_answer(DR_OK, 0);
	one_answer(DR_OK, NULL, "push after netcfg came back");

	/* 7. Entries and commits outside a push restart the reporter. */
	clear_logs();
	rep_entries(3, 80);
	dr_push_commit();
	ok(reporter_kills > 0, "entry outside a push: reporter restarted");
	dr_reporter_lost();
	clear_logs();
	rep_begin(2, 23);
	rep_entries(3, 80);
	ok(reporter_kills > 0, "more entries than announced: reporter "
	    "restarted");
	dr_reporter_lost();
	clear_logs();
	rep_push(1, 24);
	netcfg_answer(DR_OK, 0);
	one_answer(DR_OK, NULL, "push after a broken one");

	return done_testing();
}
