/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Validation of DR requests.  netcfg checks every request itself, the
 * monitor's own config included: the monitor frames messages but is
 * not trusted to be right about what is in them.  A request is taken
 * whole or not at all; these functions only decide, they change
 * nothing.
 */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "netcfg.h"

#define REASON_LEN	sizeof(((struct dr_entry_result *)0)->reason)

static int
addr_full(const struct lbn_addr *a)
{
	return a->plen == (a->af == AF_INET ? 32 : 128);
}

/* Interface names end up quoted in nft text: allow a safe alphabet only. */
static const char *
check_ifname(const char *name, size_t size)
{
	size_t	 i, len = strnlen(name, size);

	if (len == size || len >= IFNAMSIZ)
		return "interface name too long";
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:@-", name[i]) == NULL)
			return "interface name has a character nft cannot take";
	return NULL;
}

static int
proto_ok(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static const char *
check_accept(const struct accept_rule *r)
{
	unsigned int	 i;

	if ((r->prefix.af != AF_INET && r->prefix.af != AF_INET6) ||
	    r->prefix.plen > (r->prefix.af == AF_INET ? 32 : 128))
		return "accept rule with a bad prefix";
	if (r->proto != 0 && !proto_ok(r->proto))
		return "accept rule with a bad protocol";
	if (r->nports > nitems(r->ports))
		return "accept rule with too many ports";
	for (i = 0; i < r->nports; i++)
		if (r->ports[i].lo == 0 || r->ports[i].lo > r->ports[i].hi)
			return "accept rule with a bad port range";
	return NULL;
}

/* NULL if the settings can be rendered and used, else why not. */
const char *
validate_settings(const struct lbn_settings *s)
{
	const char	*why;
	unsigned int	 i;

	if ((why = check_ifname(s->interface, sizeof(s->interface))) != NULL)
		return why;
	if (s->real_addr.af != 0 && (s->real_addr.af != AF_INET ||
	    addr_unusable(&s->real_addr) != NULL))
		return "bad IPv4 real address";
	if (s->real_addr6.af != 0 && s->real_addr6.af != AF_INET6)
		return "bad IPv6 real address";
	if (s->naccept > ACCEPT_MAX)
		return "too many accept rules";
	for (i = 0; i < s->naccept; i++)
		if ((why = check_accept(&s->accept[i])) != NULL)
			return why;
	return NULL;
}

static int
ports_ok(const struct dr_entry *e)
{
	return e->port_lo != 0 && e->port_lo <= e->port_hi;
}

/*
 * A tunnel entry names a known encapsulation, and GUE its UDP port;
 * the other modes carry none.
 */
static const char *
encap_why(const struct dr_entry *e)
{
	if (e->mode != MODE_TUNNEL)
		return e->encap == ENCAP_NONE && e->encap_port == 0 ? NULL :
		    "an encapsulation is only valid in tunnel mode";
	switch (e->encap) {
	case ENCAP_IPIP:
		return e->encap_port == 0 ? NULL : "ipip takes no port";
	case ENCAP_GUE:
		return e->encap_port != 0 ? NULL : "gue needs a UDP port";
	default:
		return "tunnel mode needs encap ipip or gue";
	}
}

/* One entry on its own; NULL or why it is refused, in buf. */
static const char *
check_entry(const struct dr_entry *e, const struct addrset *own,
    char *buf, size_t len)
{
	const char	*why;

	if (e->vip.af != AF_INET && e->vip.af != AF_INET6)
		return "VIP has a bad address family";
	if (!addr_full(&e->vip))
		return "VIP must be a /32 or /128";
	if ((why = addr_unusable(&e->vip)) != NULL) {
		snprintf(buf, len, "VIP: %s", why);
		return buf;
	}
	if (addrset_has(own, &e->vip))
		return "VIP is an address of this node";
	if ((why = encap_why(e)) != NULL)
		return why;
	switch (e->mode) {
	case MODE_TUNNEL:
	case MODE_LOOPBACK:
		if (e->proto == 0 && e->port_lo == 0 && e->port_hi == 0)
			return NULL;
		break;
	case MODE_REDIRECT:
	case MODE_DNAT:
		/* The config parser takes IPv6 VIPs in loopback mode only. */
		if (e->vip.af == AF_INET6)
			return "IPv6 VIPs take loopback or tunnel mode only";
		break;
	default:
		return "bad mode";
	}
	if (!proto_ok(e->proto))
		return "protocol must be tcp or udp";
	if (!ports_ok(e))
		return "ports must be 1-65535, low to high";
	if (e->mode != MODE_DNAT)
		return NULL;
	if (e->target.af != e->vip.af || !addr_full(&e->target))
		return "dnat target must be one address of the VIP's family";
	if ((why = addr_unusable(&e->target)) != NULL) {
		snprintf(buf, len, "dnat target: %s", why);
		return buf;
	}
	return NULL;
}

static int
accept_matches(const struct accept_rule *r, const struct dr_entry *e)
{
	unsigned int	 i;

	if (!addr_in_prefix(&e->vip, &r->prefix))
		return 0;
	if (r->proto != 0 && r->proto != e->proto)
		return 0;
	if (r->nports == 0)
		return 1;
	for (i = 0; i < r->nports && i < nitems(r->ports); i++)
		if (r->ports[i].lo <= e->port_lo && e->port_hi <= r->ports[i].hi)
			return 1;
	return 0;
}

/*
 * An LB's entry must fall under an accept rule that still has room;
 * an entry counts against the first such rule.
 */
static const char *
check_accept_rules(const struct lbn_settings *s, const struct dr_entry *e,
    uint32_t *used)
{
	unsigned int	 i;
	int		 matched = 0;

	for (i = 0; i < s->naccept; i++) {
		if (!accept_matches(&s->accept[i], e))
			continue;
		matched = 1;
		if (s->accept[i].max == 0 || used[i] < s->accept[i].max) {
			used[i]++;
			return NULL;
		}
	}
	return matched ? "over the max of its accept rules" :
	    "no accept rule allows it";
}

void
rejects_free(struct rejects *r)
{
	free(r->r);
	memset(r, 0, sizeof(*r));
}

static void
reject(struct rejects *rej, uint32_t index, const char *why)
{
	struct dr_entry_result	*r;

	if (rej->n == rej->cap) {
		rej->cap = rej->cap ? rej->cap * 2 : 16;
		if ((rej->r = reallocarray(rej->r, rej->cap,
		    sizeof(*rej->r))) == NULL)
			fatal("reallocarray");
	}
	r = &rej->r[rej->n++];
	memset(r, 0, sizeof(*r));
	r->index = index;
	r->status = DR_REJECTED;
	snprintf(r->reason, sizeof(r->reason), "%s", why);
}

/* An entry and where it came from, for finding conflicts across origins. */
struct tagged {
	struct dr_entry	 e;
	uint32_t	 index;		/* in the request, or FROM_OTHER */
};
#define FROM_OTHER	UINT32_MAX

static int
tagged_cmp(const void *a, const void *b)
{
	const struct tagged	*ta = a, *tb = b;
	int			 c;

	if ((c = entry_cmp(&ta->e, &tb->e)) != 0)
		return c;
	return ta->index < tb->index ? -1 : ta->index > tb->index;
}

/* Refuse the request's side of a conflict between a and b. */
static void
reject_conflict(struct rejects *rej, const struct tagged *a,
    const struct tagged *b, const char *what)
{
	const struct tagged	*mine = b->index != FROM_OTHER ? b : a;
	const struct tagged	*theirs = mine == b ? a : b;
	char			 why[REASON_LEN], es[80];

	if (mine->index == FROM_OTHER)
		return;		/* both in force already: cannot happen */
	if (theirs->index == FROM_OTHER)
		snprintf(why, sizeof(why), "%s %s in force",
		    what, entry_str(&theirs->e, es, sizeof(es)));
	else
		snprintf(why, sizeof(why), "%s entry %u", what, theirs->index);
	reject(rej, mine->index, why);
}

/*
 * Across the request and the other origin's entries in force: a VIP is
 * either on lo or port-mapped, never both, and no two different
 * entries may claim the same vip/proto/port (nft interval maps cannot
 * hold overlapping keys, and the packet could only go one way).
 * Returns the number of distinct entries.
 */
static size_t
check_conflicts(struct tagged *t, size_t n, struct rejects *rej)
{
	const struct tagged	*vipfirst[2], *hold = NULL;
	size_t			 i, distinct = 0;
	int			 porty;

	/* the monitor sends its entries in order: then no sort is needed */
	for (i = 1; i < n && tagged_cmp(&t[i - 1], &t[i]) <= 0; i++)
		;
	if (i < n)
		qsort(t, n, sizeof(*t), tagged_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0 && entry_cmp(&t[i - 1].e, &t[i].e) == 0)
			continue;	/* the same thing twice: harmless */
		distinct++;
		if (i == 0 || lbn_addr_cmp(&t[i - 1].e.vip, &t[i].e.vip) != 0) {
			memset(vipfirst, 0, sizeof(vipfirst));
			hold = NULL;
		}
		porty = t[i].e.mode != MODE_LOOPBACK &&
		    t[i].e.mode != MODE_TUNNEL;
		if (vipfirst[!porty] != NULL) {
			reject_conflict(rej, vipfirst[!porty], &t[i],
			    "VIP both on lo and port-mapped, see");
			continue;
		}
		if (vipfirst[porty] == NULL)
			vipfirst[porty] = &t[i];
		if (!porty)
			continue;
		if (hold != NULL && entry_key_overlaps(&hold->e, &t[i].e)) {
			reject_conflict(rej, hold, &t[i], "overlaps");
			continue;
		}
		if (hold == NULL || hold->e.proto != t[i].e.proto ||
		    t[i].e.port_hi > hold->e.port_hi)
			hold = &t[i];
	}
	return distinct;
}

static int
rejects_cmp(const void *a, const void *b)
{
	const struct dr_entry_result	*ra = a, *rb = b;

	if (ra->index != rb->index)
		return ra->index < rb->index ? -1 : 1;
	return strcmp(ra->reason, rb->reason);
}

/* By index, one result per entry, the same one on every run. */
static void
rejects_sort(struct rejects *rej)
{
	size_t	 i, n = 0;

	qsort(rej->r, rej->n, sizeof(*rej->r), rejects_cmp);
	for (i = 0; i < rej->n; i++)
		if (n == 0 || rej->r[n - 1].index != rej->r[i].index)
			rej->r[n++] = rej->r[i];
	rej->n = n;
}

/*
 * Validate a request of n entries against the settings, the addresses
 * of this node (own, without the lo addresses netcfg added) and the
 * other origin's entries in force.  On success out holds the request's
 * entries, normalized and sorted, and 0 is returned.  On failure rej
 * says which entries were refused and why (one result per entry, by
 * index), reason says why in one line, and -1 is returned.
 */
int
validate_request(const struct lbn_settings *s, const struct dr_begin *b,
    const struct dr_entry *req, size_t n, const struct entryset *other,
    const struct addrset *own, struct entryset *out, struct rejects *rej,
    char *reason, size_t reasonlen)
{
	struct tagged	*t;
	const char	*why;
	char		 buf[REASON_LEN];
	uint32_t	 used[ACCEPT_MAX];
	size_t		 i, nt = 0, distinct;

	out->n = 0;
	rej->n = 0;
	if (b->origin != ORIGIN_CONFIG && b->origin != ORIGIN_LB) {
		snprintf(reason, reasonlen, "bad origin %u", b->origin);
		return -1;
	}
	if ((why = validate_settings(s)) != NULL) {
		snprintf(reason, reasonlen, "bad settings: %s", why);
		return -1;
	}
	if (b->count > VIP_ENTRIES_MAX || n > VIP_ENTRIES_MAX) {
		snprintf(reason, reasonlen, "%u entries, more than the cap of %u",
		    b->count, VIP_ENTRIES_MAX);
		return -1;
	}
	if (b->origin == ORIGIN_LB && s->naccept == 0 && n > 0) {
		snprintf(reason, reasonlen, "no accept rule: LB pushes refused");
		return -1;
	}

	if ((t = calloc(n + other->n + 1, sizeof(*t))) == NULL)
		fatal("calloc");
	memset(used, 0, sizeof(used));
	for (i = 0; i < n; i++) {
		t[nt].e = req[i];
		entry_normalize(&t[nt].e);
		t[nt].index = i;
		why = check_entry(&t[nt].e, own, buf, sizeof(buf));
		if (why == NULL && b->origin == ORIGIN_LB)
			why = check_accept_rules(s, &t[nt].e, used);
		if (why != NULL)
			reject(rej, i, why);
		else
			nt++;
	}
	for (i = 0; i < other->n; i++, nt++) {
		t[nt].e = other->e[i];
		t[nt].index = FROM_OTHER;
	}
	distinct = check_conflicts(t, nt, rej);
	if (rej->n == 0 && distinct > VIP_ENTRIES_MAX)
		snprintf(reason, reasonlen, "%zu entries with the other origin's, "
		    "more than the cap of %u", distinct, VIP_ENTRIES_MAX);
	else if (rej->n > 0) {
		rejects_sort(rej);
		snprintf(reason, reasonlen, "%zu of %zu entries refused",
		    rej->n, n);
	} else {
		/* t is sorted: the request's entries come out sorted too */
		for (i = 0; i < nt; i++)
			if (t[i].index != FROM_OTHER && (out->n == 0 ||
			    entry_cmp(&out->e[out->n - 1], &t[i].e) != 0))
				entryset_add(out, &t[i].e);
		free(t);
		return 0;
	}
	free(t);
	out->n = 0;
	return -1;
}
