/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The desired DR state: the config's entries joined with the last LB
 * push that netcfg accepted.  The monitor keeps both so it can replay
 * them to a restarted netcfg.  Requests go to netcfg one at a time and
 * are answered in order (RESULT, ENTRY_RESULT..., DONE), so the one in
 * flight always says whose answer is arriving.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "imsg.h"
#include "log.h"
#include "names.h"
#include "monitor.h"
#include "util.h"

struct dr_set {
	struct dr_entry		*e;
	size_t			 n;
	uint64_t		 generation;
	struct lbn_addr		 lb;
};

/* The request netcfg is working on, which says whose its answer is. */
enum dr_request {
	REQ_NONE,
	REQ_CONFIG,
	REQ_LB_REPLAY,
	REQ_PUSH,		/* the reporter's push: it gets the answer */
	REQ_PUSH_ABANDONED,	/* a push whose reporter is gone or moved on */
	REQ_REMOVE
};

/*
 * The reporter's push, from its BEGIN to our DONE.  The reporter has
 * at most one outstanding; every push it starts gets exactly one
 * answer, unless the reporter dies first.  Whatever the reporter sends
 * in whatever order, the monitor does not stop: entries of a refused
 * push are dropped until its COMMIT, and a reporter that breaks the
 * sequence otherwise is restarted.
 */
enum push_state {
	PUSH_IDLE,		/* no push outstanding */
	PUSH_RECEIVING,		/* BEGIN taken, entries arriving */
	PUSH_REFUSED,		/* BEGIN refused: drop entries, answer at COMMIT */
	PUSH_QUEUED,		/* complete, waiting for netcfg */
	PUSH_APPLYING		/* netcfg has it as REQ_PUSH */
};

static struct dr_set	 config_set;	/* from the config */
static struct dr_set	 lb_set;	/* last accepted push */
static struct dr_set	 push_set;	/* the push being received or queued */
static struct dr_set	 sent_set;	/* the push netcfg is applying */
static size_t		 push_expected;
static enum push_state	 push_state;
static char		 push_refusal[64];	/* PUSH_REFUSED: why */
static enum dr_request	 inflight;
static int		 need_config, need_lb, need_remove;
static int		 config_applied;

/* netcfg's answer to the config request in flight, for a waiting reload. */
static struct {
	uint64_t		 generation;
	int			 ok;
	char			 why[CTL_FAIL_MAX];
} config_answer;

static void	 dr_pump(void);

static void
set_clear(struct dr_set *set)
{
	free(set->e);
	memset(set, 0, sizeof(*set));
}

/* dst takes src's entries; src is left empty. */
static void
set_move(struct dr_set *dst, struct dr_set *src)
{
	set_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static void
set_copy(struct dr_set *dst, const struct dr_entry *e, size_t n)
{
	set_clear(dst);
	if (n == 0)
		return;
	if ((dst->e = calloc(n, sizeof(*e))) == NULL)
		fatal(__func__);
	memcpy(dst->e, e, n * sizeof(*e));
	dst->n = n;
}

void
dr_set_config(const struct dr_entry *e, size_t n, uint64_t generation)
{
	set_copy(&config_set, e, n);
	config_set.generation = generation;
	need_config = 1;
	dr_pump();
}

void
dr_replay(void)
{
	need_config = 1;
	need_lb = lb_set.n > 0;
	dr_pump();
}

/*
 * netcfg has new settings for its ARP rules (the interface's name or
 * address): the config's request again makes it rebuild its tables,
 * both origins' entries, in one transaction.
 */
void
dr_rebuild(void)
{
	need_config = 1;
	dr_pump();
}

void
dr_remove_all(void)
{
	need_remove = 1;
	dr_pump();
}

int
dr_idle(void)
{
	return inflight == REQ_NONE && !need_remove;
}

/*
 * How many entries the request in flight makes netcfg handle: those it
 * brings and those in force it may replace.  0 when netcfg is idle.
 */
size_t
dr_busy_entries(void)
{
	if (inflight == REQ_NONE)
		return 0;
	return config_set.n + lb_set.n + sent_set.n;
}

int
dr_applied(void)
{
	return config_applied;
}

static void
dr_send_set(uint8_t origin, const struct dr_set *set)
{
	struct dr_begin	 b;
	size_t		 i;

	memset(&b, 0, sizeof(b));
	b.origin = origin;
	b.count = (uint32_t)set->n;
	b.generation = set->generation;
	b.lb = set->lb;
	proc_send(PROC_NETCFG, IMSG_DR_BEGIN, 0, -1, &b, sizeof(b));
	for (i = 0; i < set->n; i++)
		proc_send(PROC_NETCFG, IMSG_DR_ENTRY, 0, -1, &set->e[i],
		    sizeof(set->e[i]));
	proc_send(PROC_NETCFG, IMSG_DR_COMMIT, 0, -1, NULL, 0);
}

/* Send the next request, if netcfg is there and free. */
static void
dr_pump(void)
{
	if (inflight != REQ_NONE || !proc_running(PROC_NETCFG))
		return;
	if (need_remove) {
		need_remove = need_config = need_lb = 0;
		proc_send(PROC_NETCFG, IMSG_DR_REMOVE_ALL, 0, -1, NULL, 0);
		inflight = REQ_REMOVE;
	} else if (need_config) {
		need_config = 0;
		dr_send_set(ORIGIN_CONFIG, &config_set);
		inflight = REQ_CONFIG;
	} else if (need_lb) {
		need_lb = 0;
		dr_send_set(ORIGIN_LB, &lb_set);
		inflight = REQ_LB_REPLAY;
	} else if (push_state == PUSH_QUEUED) {
		set_move(&sent_set, &push_set);
		dr_send_set(ORIGIN_LB, &sent_set);
		inflight = REQ_PUSH;
		push_state = PUSH_APPLYING;
	}
}

/*
 * The answer to a push that netcfg did not apply, and the push
 * forgotten.  The rules are as they were: an audited refusal.
 */
static void
push_fail(const char *reason)
{
	struct dr_result	 r;
	char			 lb[ADDR_STRLEN];

	memset(&r, 0, sizeof(r));
	r.origin = ORIGIN_LB;
	r.status = DR_FAILED;
	r.generation = push_set.generation;
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	log_audit("lb %s: push generation %llu failed, nothing changed: %s",
	    addr_str(&push_set.lb, lb, sizeof(lb)),
	    (unsigned long long)r.generation, reason);
	monitor_to_reporter(IMSG_REP_PUSH_RESULT, 0, &r, sizeof(r));
	monitor_to_reporter(IMSG_REP_PUSH_DONE, 0, NULL, 0);
	set_clear(&push_set);
	push_state = PUSH_IDLE;
}

/* push_set becomes the push b begins, still without entries. */
static void
push_set_begin(const struct dr_begin *b)
{
	set_clear(&push_set);
	push_set.generation = b->generation;
	push_set.lb = b->lb;
}

/* Its entries are dropped as they come; COMMIT gets the refusal. */
static void
push_refuse(const struct dr_begin *b, const char *reason)
{
	push_set_begin(b);
	snprintf(push_refusal, sizeof(push_refusal), "%s", reason);
	push_state = PUSH_REFUSED;
}

/*
 * Netcfg may still apply it, and then it is in force; but its answer
 * is nobody's now, so it goes to the log.
 */
static void
push_abandon(void)
{
	if (push_state == PUSH_APPLYING && inflight == REQ_PUSH)
		inflight = REQ_PUSH_ABANDONED;
	set_clear(&push_set);
	push_state = PUSH_IDLE;
}

/* The reporter broke the push sequence: it is restarted, we go on. */
static void
push_broken(const char *what)
{
	log_warnx("reporter: %s, restarting it", what);
	push_abandon();
	proc_kill(PROC_REPORTER);
}

void
dr_push_begin(struct imsg *imsg)
{
	struct dr_begin	 b;

	if (imsg_get_data(imsg, &b, sizeof(b)) == -1)
		fatalx("%s: bad IMSG_REP_PUSH_BEGIN", __func__);
	switch (push_state) {
	case PUSH_RECEIVING:
	case PUSH_REFUSED:
		push_broken("push begun inside a push");
		return;
	case PUSH_QUEUED:
	case PUSH_APPLYING:
		log_warnx("lb push while another is pending: the earlier "
		    "one is abandoned");
		push_abandon();
		push_refuse(&b, "another push is pending");
		return;
	case PUSH_IDLE:
		break;
	}
	if (b.count > VIP_ENTRIES_MAX) {
		push_refuse(&b, "too many entries");
		return;
	}
	push_set_begin(&b);
	if (b.count > 0 && (push_set.e = calloc(b.count,
	    sizeof(*push_set.e))) == NULL)
		fatal(__func__);
	push_expected = b.count;
	push_state = PUSH_RECEIVING;
}

void
dr_push_entry(struct imsg *imsg)
{
	struct dr_entry	 e;

	if (imsg_get_data(imsg, &e, sizeof(e)) == -1)
		fatalx("%s: bad IMSG_REP_PUSH_ENTRY", __func__);
	if (push_state == PUSH_REFUSED)
		return;
	if (push_state != PUSH_RECEIVING || push_set.n >= push_expected) {
		push_broken("push entry outside a push");
		return;
	}
	push_set.e[push_set.n++] = e;
}

void
dr_push_commit(void)
{
	switch (push_state) {
	case PUSH_REFUSED:
		push_fail(push_refusal);
		return;
	case PUSH_RECEIVING:
		if (push_set.n == push_expected)
			break;
		/* FALLTHROUGH */
	default:
		push_broken("push commit outside a complete push");
		return;
	}
	if (!proc_running(PROC_NETCFG)) {
		push_fail("netcfg is not running");
		return;
	}
	push_state = PUSH_QUEUED;
	dr_pump();
}

/* The reporter died: nobody is waiting for its push any more. */
void
dr_reporter_lost(void)
{
	push_abandon();
}

static void
dr_result_logged(const char *what, const struct dr_result *r)
{
	if (r->status == DR_OK)
		log_debug("netcfg: %s rules in force, %u entries", what,
		    r->nentries);
	else
		log_warnx("netcfg refused the %s rules: %s", what, r->reason);
}

static void
dr_config_result(const struct dr_result *r)
{
	dr_result_logged(origin_name(ORIGIN_CONFIG), r);
	config_answer.generation = r->generation;
	config_answer.ok = r->status == DR_OK;
	config_answer.why[0] = '\0';
	if (r->status == DR_OK)
		config_applied = 1;
	else if (!config_applied)
		fatalx("cannot apply the configuration: %s", r->reason);
	else
		lines_append(config_answer.why, sizeof(config_answer.why),
		    r->reason);
}

static void
dr_result(struct imsg *imsg)
{
	struct dr_result	 r;

	if (imsg_get_data(imsg, &r, sizeof(r)) == -1)
		fatalx("%s: bad IMSG_DR_RESULT", __func__);
	r.reason[sizeof(r.reason) - 1] = '\0';
	switch (inflight) {
	case REQ_CONFIG:
		dr_config_result(&r);
		break;
	case REQ_LB_REPLAY:
		dr_result_logged(origin_name(ORIGIN_LB), &r);
		break;
	case REQ_PUSH:
	case REQ_PUSH_ABANDONED:
		if (r.status == DR_OK)
			set_move(&lb_set, &sent_set);
		if (inflight == REQ_PUSH)
			monitor_to_reporter(IMSG_REP_PUSH_RESULT, 0, &r,
			    sizeof(r));
		else
			dr_result_logged("abandoned lb push's", &r);
		break;
	case REQ_REMOVE:
		log_debug("netcfg removed our rules");
		break;
	case REQ_NONE:
		fatalx("%s: answer without a request", __func__);
	}
}

/* What netcfg refused, by the VIP the config names. */
static void
entry_refused(const struct dr_entry_result *er, char *line, size_t len)
{
	char	 a[ADDR_STRLEN];

	if (inflight == REQ_CONFIG && er->index < config_set.n)
		snprintf(line, len, "vip %s (entry %u): %s",
		    addr_str(&config_set.e[er->index].vip, a, sizeof(a)),
		    er->index, er->reason);
	else
		snprintf(line, len, "entry %u: %s", er->index, er->reason);
}

static void
dr_done(void)
{
	if (inflight == REQ_PUSH) {
		monitor_to_reporter(IMSG_REP_PUSH_DONE, 0, NULL, 0);
		push_state = PUSH_IDLE;
	}
	set_clear(&sent_set);
	inflight = REQ_NONE;
	dr_pump();
}

void
dr_netcfg_reply(struct imsg *imsg)
{
	struct dr_entry_result	 er;
	char			 line[sizeof(er.reason) + ADDR_STRLEN + 32];
	enum dr_request		 done;

	switch (imsg_get_type(imsg)) {
	case IMSG_DR_RESULT:
		dr_result(imsg);
		break;
	case IMSG_DR_ENTRY_RESULT:
		if (imsg_get_data(imsg, &er, sizeof(er)) == -1 ||
		    inflight == REQ_NONE)
			fatalx("%s: bad IMSG_DR_ENTRY_RESULT", __func__);
		er.reason[sizeof(er.reason) - 1] = '\0';
		if (inflight == REQ_PUSH) {
			monitor_to_reporter(IMSG_REP_PUSH_ENTRY_RESULT, 0, &er,
			    sizeof(er));
			break;
		}
		entry_refused(&er, line, sizeof(line));
		log_warnx("%s", line);
		if (inflight == REQ_CONFIG)
			lines_append(config_answer.why,
			    sizeof(config_answer.why), line);
		break;
	case IMSG_DR_DONE:
		if (imsg_get_data(imsg, NULL, 0) == -1 || inflight == REQ_NONE)
			fatalx("%s: bad IMSG_DR_DONE", __func__);
		done = inflight;
		dr_done();
		if (done == REQ_CONFIG)
			monitor_config_done(config_answer.generation,
			    config_answer.ok, config_answer.why);
		break;
	}
}

/*
 * netcfg died or was killed: what it was doing is lost, and the replay
 * redoes the config and the push in force.  A push it had or was about
 * to get fails now, so the LB hears of it and may retry.
 */
void
dr_netcfg_lost(const char *why)
{
	char	 reason[96];

	snprintf(reason, sizeof(reason), "netcfg %s", why);
	if (inflight == REQ_CONFIG)
		log_warnx("config generation %llu not confirmed: %s, "
		    "applying it again", (unsigned long long)
		    config_set.generation, reason);
	if (push_state == PUSH_APPLYING || push_state == PUSH_QUEUED) {
		if (push_state == PUSH_APPLYING)
			set_move(&push_set, &sent_set);
		push_fail(reason);
	}
	set_clear(&sent_set);
	inflight = REQ_NONE;
}

static void
dr_send_vip_set(uint32_t peerid, uint8_t origin, const struct dr_set *set)
{
	struct ctl_vip	 cv;
	size_t		 i;

	for (i = 0; i < set->n; i++) {
		memset(&cv, 0, sizeof(cv));
		cv.entry = set->e[i];
		cv.origin = origin;
		control_send(peerid, IMSG_CTL_VIP, &cv, sizeof(cv));
	}
}

/* A new reporter learns which LB push is in force, for its REPORTs. */
void
dr_send_lb_generation(void)
{
	monitor_to_reporter(IMSG_REP_LB_GENERATION, 0, &lb_set.generation,
	    sizeof(lb_set.generation));
}

void
dr_send_vips(uint32_t peerid)
{
	dr_send_vip_set(peerid, ORIGIN_CONFIG, &config_set);
	dr_send_vip_set(peerid, ORIGIN_LB, &lb_set);
	control_send(peerid, IMSG_CTL_END, NULL, 0);
}
