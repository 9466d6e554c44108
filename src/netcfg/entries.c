/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Sorted, duplicate-free sets of DR entries and addresses, and the
 * view of what the kernel should hold.  Keeping everything sorted makes
 * the union of two origins and the difference between two views one
 * linear merge each, so a one-entry change to 10,000 entries costs a
 * sort and a walk, never a rebuild of the kernel state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "names.h"
#include "netcfg.h"

static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t	 ncap;

	if (need <= *cap)
		return p;
	ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	if ((p = reallocarray(p, ncap, size)) == NULL)
		fatal("reallocarray");
	*cap = ncap;
	return p;
}

/* Zero what does not belong to the address, so memcmp can compare. */
static void
addr_normalize(struct lbn_addr *a)
{
	size_t	 len = addr_len(a);

	memset(a->pad, 0, sizeof(a->pad));
	memset(a->u.raw + len, 0, sizeof(a->u.raw) - len);
}

/*
 * Clear the fields a mode does not use, so two entries that mean the
 * same thing compare equal: a target only matters for dnat, a port to
 * redirect to only for redirect, and "to the same port" is 0.
 */
void
entry_normalize(struct dr_entry *e)
{
	addr_normalize(&e->vip);
	if (e->mode == MODE_DNAT)
		addr_normalize(&e->target);
	else
		memset(&e->target, 0, sizeof(e->target));
	if (e->mode != MODE_REDIRECT ||
	    (e->port_lo == e->port_hi && e->to_port == e->port_lo))
		e->to_port = 0;
}

int
lbn_addr_cmp(const struct lbn_addr *a, const struct lbn_addr *b)
{
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->u.raw, b->u.raw, sizeof(a->u.raw));
}

static int
u32cmp(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

/* The element key (vip, proto, ports) first, then what is done with it. */
int
entry_cmp(const struct dr_entry *a, const struct dr_entry *b)
{
	int	 c;

	if ((c = lbn_addr_cmp(&a->vip, &b->vip)) != 0 ||
	    (c = u32cmp(a->proto, b->proto)) != 0 ||
	    (c = u32cmp(a->port_lo, b->port_lo)) != 0 ||
	    (c = u32cmp(a->port_hi, b->port_hi)) != 0 ||
	    (c = u32cmp(a->mode, b->mode)) != 0 ||
	    (c = lbn_addr_cmp(&a->target, &b->target)) != 0 ||
	    (c = u32cmp(a->encap, b->encap)) != 0 ||
	    (c = u32cmp(a->encap_port, b->encap_port)) != 0)
		return c;
	return u32cmp(a->to_port, b->to_port);
}

/* Would a and b claim some of the same packets? */
int
entry_key_overlaps(const struct dr_entry *a, const struct dr_entry *b)
{
	return lbn_addr_cmp(&a->vip, &b->vip) == 0 && a->proto == b->proto &&
	    a->port_lo <= b->port_hi && b->port_lo <= a->port_hi;
}

/* For log lines and rejection reasons: "dnat 198.18.0.1 tcp 80 to 192.0.2.5". */
const char *
entry_str(const struct dr_entry *e, char *buf, size_t len)
{
	char		 vip[ADDR_STRLEN], tgt[ADDR_STRLEN + 8], ports[16];
	const char	*mode;

	addr_str(&e->vip, vip, sizeof(vip));
	if (e->port_lo == e->port_hi)
		snprintf(ports, sizeof(ports), "%u", e->port_lo);
	else
		snprintf(ports, sizeof(ports), "%u-%u", e->port_lo, e->port_hi);
	tgt[0] = '\0';
	switch (e->mode) {
	case MODE_REDIRECT:
		mode = "redirect";
		if (e->to_port != 0)
			snprintf(tgt, sizeof(tgt), " to %u", e->to_port);
		break;
	case MODE_DNAT:
		mode = "dnat";
		snprintf(tgt, sizeof(tgt), " to ");
		addr_str(&e->target, tgt + 4, sizeof(tgt) - 4);
		break;
	case MODE_LOOPBACK:
		mode = "loopback";
		break;
	case MODE_TUNNEL:
		mode = e->encap == ENCAP_GUE ? "tunnel gue" : "tunnel ipip";
		break;
	default:
		mode = "mode?";
		break;
	}
	if ((e->mode == MODE_LOOPBACK || e->mode == MODE_TUNNEL) &&
	    e->proto == 0 && e->port_lo == 0)
		snprintf(buf, len, "%s %s", mode, vip);
	else
		snprintf(buf, len, "%s %s %s %s%s", mode, vip,
		    proto_name(e->proto), ports, tgt);
	return buf;
}

void
entryset_add(struct entryset *s, const struct dr_entry *e)
{
	s->e = grow(s->e, &s->cap, s->n + 1, sizeof(*s->e));
	s->e[s->n++] = *e;
}

static int
entry_qcmp(const void *a, const void *b)
{
	return entry_cmp(a, b);
}

/*
 * Walk two sorted arrays together and tell fn, for each element,
 * whether it is only in a (-1), only in b (1) or in both (0).  Union,
 * difference and counting are all this one walk.
 */
typedef void	(*merge_fn)(void *, int, const void *);

static void
merge_walk(const void *a, size_t na, const void *b, size_t nb, size_t size,
    int (*cmp)(const void *, const void *), merge_fn fn, void *arg)
{
	const char	*pa = a, *pb = b;
	size_t		 i = 0, j = 0;
	int		 c;

	while (i < na || j < nb) {
		if (i == na)
			c = 1;
		else if (j == nb)
			c = -1;
		else
			c = cmp(pa + i * size, pb + j * size);
		if (c <= 0)
			fn(arg, c < 0 ? -1 : 0, pa + i++ * size);
		else
			fn(arg, 1, pb + j++ * size);
		if (c == 0)
			j++;
	}
}

static void
union_fn(void *arg, int side, const void *e)
{
	(void)side;
	entryset_add(arg, e);
}

/* out = a | b, both sorted; out is reset first. */
void
entryset_union(const struct entryset *a, const struct entryset *b,
    struct entryset *out)
{
	out->n = 0;
	merge_walk(a->e, a->n, b->e, b->n, sizeof(*a->e), entry_qcmp,
	    union_fn, out);
}

struct diff {
	struct entryset	*only_a;
	struct entryset	*only_b;
};

static void
diff_fn(void *arg, int side, const void *e)
{
	struct diff	*d = arg;

	if (side < 0)
		entryset_add(d->only_a, e);
	else if (side > 0)
		entryset_add(d->only_b, e);
}

/*
 * The entries new has that old has not (added), and the other way round
 * (removed), both sorted; they are reset first.
 */
void
entryset_diff(const struct entryset *old, const struct entryset *new,
    struct entryset *added, struct entryset *removed)
{
	struct diff	 d = { removed, added };

	added->n = 0;
	removed->n = 0;
	merge_walk(old->e, old->n, new->e, new->n, sizeof(*old->e),
	    entry_qcmp, diff_fn, &d);
}

void
entryset_free(struct entryset *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

void
addrset_add(struct addrset *s, const struct lbn_addr *a)
{
	s->a = grow(s->a, &s->cap, s->n + 1, sizeof(*s->a));
	s->a[s->n++] = *a;
}

static int
addr_qcmp(const void *a, const void *b)
{
	return lbn_addr_cmp(a, b);
}

/* Sort and drop duplicates; plen is not part of the key. */
void
addrset_sort(struct addrset *s)
{
	size_t	 i, n = 0;

	for (i = 0; i < s->n; i++)
		addr_normalize(&s->a[i]);
	qsort(s->a, s->n, sizeof(*s->a), addr_qcmp);
	for (i = 0; i < s->n; i++)
		if (n == 0 || lbn_addr_cmp(&s->a[n - 1], &s->a[i]) != 0)
			s->a[n++] = s->a[i];
	s->n = n;
}

int
addrset_has(const struct addrset *s, const struct lbn_addr *a)
{
	struct lbn_addr	 key = *a;

	addr_normalize(&key);
	return bsearch(&key, s->a, s->n, sizeof(*s->a), addr_qcmp) != NULL;
}

void
addrset_free(struct addrset *s)
{
	free(s->a);
	memset(s, 0, sizeof(*s));
}

/* Split a sorted union into what the kernel holds for it. */
void
view_build(const struct entryset *all, struct view *v)
{
	size_t	 i;

	v->ports.n = 0;
	v->lo.n = 0;
	for (i = 0; i < all->n; i++) {
		if (all->e[i].mode != MODE_LOOPBACK &&
		    all->e[i].mode != MODE_TUNNEL)
			entryset_add(&v->ports, &all->e[i]);
		else if (v->lo.n == 0 ||
		    lbn_addr_cmp(&v->lo.a[v->lo.n - 1], &all->e[i].vip) != 0)
			addrset_add(&v->lo, &all->e[i].vip);
	}
}

static void
entries_diff_fn(void *arg, int side, const void *e)
{
	struct viewdiff	*d = arg;

	if (side != 0)
		entryset_add(side > 0 ? &d->add.ports : &d->del.ports, e);
}

static void
addrs_diff_fn(void *arg, int side, const void *a)
{
	struct viewdiff	*d = arg;

	if (side != 0)
		addrset_add(side > 0 ? &d->add.lo : &d->del.lo, a);
}

void
view_diff(const struct view *old, const struct view *new, struct viewdiff *d)
{
	memset(d, 0, sizeof(*d));
	merge_walk(old->ports.e, old->ports.n, new->ports.e, new->ports.n,
	    sizeof(*old->ports.e), entry_qcmp, entries_diff_fn, d);
	merge_walk(old->lo.a, old->lo.n, new->lo.a, new->lo.n,
	    sizeof(*old->lo.a), addr_qcmp, addrs_diff_fn, d);
}

void
view_free(struct view *v)
{
	entryset_free(&v->ports);
	addrset_free(&v->lo);
}

void
viewdiff_free(struct viewdiff *d)
{
	view_free(&d->add);
	view_free(&d->del);
}
