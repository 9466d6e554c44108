/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * One DR request, from validation to the kernel and the audit line.
 *
 * The desired state is the config's entries joined with the last LB
 * push accepted; a request replaces its own origin's entries only.
 * The first change after start (or after a failure left us unsure of
 * the kernel) replaces our tables whole; every later one adds and
 * deletes only the elements that changed.  lo addresses are always
 * reconciled against a fresh dump of the ones marked ours.
 *
 * Order of a change: lo addresses that go are removed, then the nft
 * transaction, then new lo addresses are added.  So a VIP is never on
 * lo while ARP requests for it are still answered.  A failure undoes
 * the steps before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "log.h"
#include "names.h"
#include "netcfg.h"
#include "util.h"

#define AUDIT_ENTRIES	8	/* entries an audit line names, then counts */
#define AUDIT_LIST_LEN	360	/* a list of them; two fit log_audit's 900 */
#define AUDIT_MORE_LEN	24	/* room kept for "; and 65536 more" */
#define RANGE_DELETES_MAX 16	/* more: rebuild rather than delete */

static struct lbn_settings	 settings;
static int			 have_settings;
static struct entryset		 in_force[2];	/* by enum entry_origin */
static struct view		 applied;	/* what our tables hold */
static int			 reconciled;	/* applied is what the kernel has */
static char			 rebuild_why[96];	/* " (interface ...)" or "" */

/*
 * New settings can change the arp table's rules (interface, real
 * address): the next change then rebuilds our tables whole.
 */
void
apply_settings(const struct lbn_settings *s)
{
	const char	*why;
	char		 a[ADDR_STRLEN];

	if (have_settings && (strcmp(s->interface, settings.interface) != 0 ||
	    lbn_addr_cmp(&s->real_addr, &settings.real_addr) != 0)) {
		reconciled = 0;
		/* the audit line of that rebuild says what it follows */
		snprintf(rebuild_why, sizeof(rebuild_why),
		    " (interface %.*s, IPv4 %s)", NAME_MAX_LEN - 1,
		    s->interface, addr_str(&s->real_addr, a, sizeof(a)));
	}
	settings = *s;
	have_settings = 1;
	if ((why = validate_settings(s)) != NULL)
		log_warnx("settings refused, requests will be too: %s", why);
}

/*
 * Is a diff dearer than rebuilding our tables whole?  A rebuild costs
 * about one pass over the new view; a diff costs per element changed,
 * except that each deletion from an interval set costs about as much as
 * the whole set.
 */
static int
diff_is_dear(const struct viewdiff *d, const struct view *want)
{
	size_t	 i, ranges = 0;

	for (i = 0; i < d->del.ports.n; i++)
		ranges += entry_is_range(&d->del.ports.e[i]);
	return ranges > RANGE_DELETES_MAX || d->add.ports.n + d->del.ports.n +
	    d->add.lo.n + d->del.lo.n > want->ports.n + want->lo.n;
}

/* "lb 192.0.2.1 generation 7" or "config generation 3" */
static const char *
who_str(const struct dr_begin *b, char *buf, size_t len)
{
	char	 a[ADDR_STRLEN];

	if (b->origin == ORIGIN_LB)
		snprintf(buf, len, "lb %s generation %llu",
		    addr_str(&b->lb, a, sizeof(a)),
		    (unsigned long long)b->generation);
	else
		snprintf(buf, len, "%s generation %llu", origin_name(b->origin),
		    (unsigned long long)b->generation);
	return buf;
}

/* The addresses of as whose ok flag is (not) set. */
static void
addrs_where(const struct addrset *as, const uint8_t *ok, int want,
    struct addrset *out)
{
	size_t	 i;

	out->n = 0;
	for (i = 0; i < as->n; i++)
		if (!!ok[i] == want)
			addrset_add(out, &as->a[i]);
}

/* Change lo; on a partial failure put back what was done. */
static int
lo_change(int add, const struct addrset *as, char *err, size_t errlen)
{
	struct addrset	 done = { NULL, 0, 0 };
	uint8_t		*ok;
	char		 ignored[128];
	int		 rc;

	if (as->n == 0)
		return 0;
	if ((ok = malloc(as->n)) == NULL)
		fatal("malloc");
	if ((rc = rtnl_lo_change(add, as, ok, err, errlen)) == -1) {
		addrs_where(as, ok, 1, &done);
		if (done.n > 0 && rtnl_lo_change(!add, &done, ok, ignored,
		    sizeof(ignored)) == -1)
			log_warnx("undo failed: %s", ignored);
		addrset_free(&done);
	}
	free(ok);
	return rc;
}

/*
 * lo deletions, the nft text, lo additions, as one change as far as we
 * can make it one.  undo reverses the nft text, or is NULL when the
 * text replaced tables whose former content we do not know.  Returns
 * 0, or -1 when nothing changed, or -2 when our tables could not be
 * put back (the next change then rebuilds them).
 */
static int
kernel_change(const char *text, const char *undo, const struct addrset *lo_del,
    const struct addrset *lo_add, char *err, size_t errlen)
{
	char	 ignored[128];
	int	 rc = -1;

	if (lo_change(0, lo_del, err, errlen) == -1)
		return -1;
	if (nft_apply(text, err, errlen) == -1)
		goto undo_del;
	if (lo_change(1, lo_add, err, errlen) == 0)
		return 0;
	if (undo == NULL || nft_apply(undo, ignored, sizeof(ignored)) == -1) {
		reconciled = 0;
		rc = -2;
	}
 undo_del:
	if (lo_change(1, lo_del, ignored, sizeof(ignored)) == -1)
		log_warnx("undo failed: %s", ignored);
	return rc;
}

/*
 * list: the first of n items that fit, AUDIT_ENTRIES at most, the first
 * after head and the others after sep, then how many more there are:
 * an audit line names what it is about, within a bound.
 */
static void
audit_list(char list[AUDIT_LIST_LEN], const char *head, const char *sep,
    size_t n, const char *(*item)(size_t, const void *, char *, size_t),
    const void *arg)
{
	char	 one[256];
	size_t	 i, len = 0;

	list[0] = '\0';
	for (i = 0; i < n && i < AUDIT_ENTRIES; i++) {
		item(i, arg, one, sizeof(one));
		if (len + strlen(head) + strlen(one) + AUDIT_MORE_LEN >=
		    AUDIT_LIST_LEN)
			break;
		snprintf(list + len, AUDIT_LIST_LEN - len, "%s%s",
		    i == 0 ? head : sep, one);
		len = strlen(list);
	}
	if (i < n)
		snprintf(list + len, AUDIT_LIST_LEN - len, "%sand %zu more",
		    i == 0 ? head : sep, n - i);
}

struct rejected_items {
	const struct dr_entry	*req;
	const struct rejects	*rej;
};

/* "#1 redirect 127.0.0.1 tcp 80: VIP: loopback address" */
static const char *
rejected_item(size_t i, const void *arg, char *buf, size_t len)
{
	const struct rejected_items	*ri = arg;
	char				 es[80];

	snprintf(buf, len, "#%u %s: %s", ri->rej->r[i].index,
	    entry_str(&ri->req[ri->rej->r[i].index], es, sizeof(es)),
	    ri->rej->r[i].reason);
	return buf;
}

static const char *
entry_item(size_t i, const void *arg, char *buf, size_t len)
{
	return entry_str(&((const struct entryset *)arg)->e[i], buf, len);
}

static void
audit_rejected(const char *who, const char *reason, const struct dr_entry *req,
    const struct rejects *rej)
{
	struct rejected_items	 ri = { req, rej };
	char			 list[AUDIT_LIST_LEN];

	audit_list(list, "; ", "; ", rej->n, rejected_item, &ri);
	log_audit("%s: rejected: %s%s; nothing changed", who, reason, list);
}

/*
 * The audit line of an applied request, which names the entries it put
 * in force and took out; none for a request that changed nothing, such
 * as the reload of an unchanged configuration.
 */
static void
audit_applied(const char *who, int origin, int full,
    const struct entryset *added, const struct entryset *removed,
    const struct viewdiff *d, const struct viewdiff *lod)
{
	char	 addl[AUDIT_LIST_LEN], rml[AUDIT_LIST_LEN];
	size_t	 nadd = d->add.ports.n + d->add.lo.n;
	size_t	 ndel = d->del.ports.n + d->del.lo.n;

	if (!full && added->n == 0 && removed->n == 0 && nadd == 0 &&
	    ndel == 0 && lod->add.lo.n == 0 && lod->del.lo.n == 0) {
		log_debug("%s: nothing to change", who);
		return;
	}
	audit_list(addl, "; added ", ", ", added->n, entry_item, added);
	audit_list(rml, "; removed ", ", ", removed->n, entry_item, removed);
	log_audit("%s: applied: +%zu/-%zu entries (now %zu %s, %zu %s), "
	    "%s%s%s +%zu/-%zu elements, lo +%zu/-%zu addresses%s%s", who,
	    added->n, removed->n, in_force[origin].n, origin_name(origin),
	    in_force[!origin].n, origin_name(!origin),
	    full ? "tables rebuilt" : "nft", full ? rebuild_why : "",
	    full ? "," : "", nadd, ndel,
	    lod->add.lo.n, lod->del.lo.n, addl, rml);
}

static void
result_set(struct dr_result *res, int status, int origin, const char *reason)
{
	res->status = status;
	res->nentries = in_force[origin].n;
	snprintf(res->reason, sizeof(res->reason), "%s", reason);
}

/*
 * Validate and apply one request of n entries; fill res and, when the
 * request is refused, rej.  Entries may be NULL with n 0 when the
 * request was too large to keep.
 */
void
apply_request(const struct dr_begin *b, const struct dr_entry *req, size_t n,
    struct dr_result *res, struct rejects *rej)
{
	struct addrset	 own = { NULL, 0, 0 }, ours = { NULL, 0, 0 };
	struct entryset	 cand = { NULL, 0, 0 }, all = { NULL, 0, 0 };
	struct view	 want = { { NULL, 0, 0 }, { NULL, 0, 0 } }, have;
	struct viewdiff	 d, lod;
	struct textbuf	 nfttext = { NULL, 0, 0 }, undotext = { NULL, 0, 0 };
	char		 who[96], reason[sizeof(res->reason)];
	int		 origin = b->origin == ORIGIN_LB ? ORIGIN_LB : ORIGIN_CONFIG;
	int		 full = !reconciled;
	struct entryset	 added = { NULL, 0, 0 }, removed = added;
	long long	 t[4];
	int		 rc;

	if (!have_settings)
		fatalx("DR request before the settings");
	memset(res, 0, sizeof(*res));
	res->origin = b->origin;
	res->generation = b->generation;
	rej->n = 0;
	who_str(b, who, sizeof(who));

	t[0] = (long long)(monotonic_ns() / 1000);
	if (rtnl_dump_addrs(&own, &ours) == -1) {
		result_set(res, DR_FAILED, origin, "cannot list addresses");
		log_audit("%s: failed: cannot list addresses; nothing changed",
		    who);
		goto out;
	}
	if (validate_request(&settings, b, req, n, &in_force[!origin], &own,
	    &cand, rej, reason, sizeof(reason)) == -1) {
		result_set(res, DR_REJECTED, origin, reason);
		audit_rejected(who, reason, req, rej);
		goto out;
	}

	t[1] = (long long)(monotonic_ns() / 1000);
	entryset_union(&cand, &in_force[!origin], &all);
	view_build(&all, &want);
	view_diff(&applied, &want, &d);
	full = full || diff_is_dear(&d, &want);
	if (full)
		render_full(&nfttext, &settings, &want);
	else {
		render_diff(&nfttext, &d);
		view_diff(&want, &applied, &lod);	/* the way back */
		render_diff(&undotext, &lod);
		viewdiff_free(&lod);
	}
	/* lo: what is marked ours against what should be there */
	have = (struct view){ { NULL, 0, 0 }, ours };
	view_diff(&have, &want, &lod);

	t[2] = (long long)(monotonic_ns() / 1000);
	if ((rc = kernel_change(nfttext.s, full ? NULL : undotext.s,
	    &lod.del.lo, &lod.add.lo, reason, sizeof(reason))) != 0) {
		result_set(res, DR_FAILED, origin, reason);
		log_audit("%s: failed: %s; %s", who, reason, rc == -1 ?
		    "nothing changed" : "our tables may hold it, rebuilt next");
	} else {
		entryset_diff(&in_force[origin], &cand, &added, &removed);
		entryset_free(&in_force[origin]);
		in_force[origin] = cand;
		memset(&cand, 0, sizeof(cand));
		audit_applied(who, origin, full, &added, &removed, &d, &lod);
		rebuild_why[0] = '\0';
		view_free(&applied);
		applied = want;
		memset(&want, 0, sizeof(want));
		reconciled = 1;
		result_set(res, DR_OK, origin, "applied");
	}
	t[3] = (long long)(monotonic_ns() / 1000);
	log_debug("%s: validated in %lld us, rendered in %lld us, applied in "
	    "%lld us", who, t[1] - t[0], t[2] - t[1], t[3] - t[2]);
	viewdiff_free(&lod);
	viewdiff_free(&d);
 out:
	entryset_free(&added);
	entryset_free(&removed);
	textbuf_free(&nfttext);
	textbuf_free(&undotext);
	view_free(&want);
	entryset_free(&all);
	entryset_free(&cand);
	addrset_free(&own);
	addrset_free(&ours);
}

/* Take out our tables and every lo address marked ours. */
void
apply_remove_all(struct dr_result *res)
{
	struct addrset	 own = { NULL, 0, 0 }, ours = { NULL, 0, 0 };
	struct addrset	 none = { NULL, 0, 0 };
	struct textbuf	 nfttext = { NULL, 0, 0 };
	char		 reason[sizeof(res->reason)];
	size_t		 entries = in_force[0].n + in_force[1].n;

	memset(res, 0, sizeof(*res));
	res->origin = ORIGIN_CONFIG;
	render_remove(&nfttext);
	if (rtnl_dump_addrs(&own, &ours) == -1) {
		snprintf(reason, sizeof(reason), "cannot list addresses");
		res->status = DR_FAILED;
	} else if (kernel_change(nfttext.s, NULL, &ours, &none, reason,
	    sizeof(reason)) != 0)
		res->status = DR_FAILED;
	else {
		entryset_free(&in_force[0]);
		entryset_free(&in_force[1]);
		view_free(&applied);
		reconciled = 0;
		res->status = DR_OK;
		snprintf(reason, sizeof(reason), "removed");
	}
	if (res->status == DR_OK)
		log_audit("remove-all: applied: -%zu entries, tables removed, "
		    "lo -%zu addresses", entries, ours.n);
	else
		log_audit("remove-all: failed: %s; nothing changed", reason);
	snprintf(res->reason, sizeof(res->reason), "%s", reason);
	res->nentries = in_force[0].n + in_force[1].n;
	textbuf_free(&nfttext);
	addrset_free(&own);
	addrset_free(&ours);
}
