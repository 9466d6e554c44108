/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * LBNP/1 codec, HMAC authentication and replay window.  Everything here
 * is a pure function of its arguments (lbnp_now_ms aside), so that the
 * unit test and the fuzzer can drive it without sockets or clocks.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>
#include <time.h>

#include <sodium.h>

#include "addr.h"
#include "lbnp.h"
#include "names.h"

#define BIT(n)		((uint64_t)1 << (n))
#define MSG(t)		(1u << (t))
#define NODE_MSGS	(MSG(LBNP_ANNOUNCE) | MSG(LBNP_REPORT))
#define GEN_MSGS	(NODE_MSGS | MSG(LBNP_CONFIG) | MSG(LBNP_CONFIG_ACK))
#define ACK_MSG		MSG(LBNP_CONFIG_ACK)

#define VIP_FIXED_LEN	12	/* family .. reserved, before the addresses */
#define RESULT_FIXED_LEN 8	/* index, status, pad */

/*
 * What each TLV may be: its length bounds, the messages it belongs to
 * (elsewhere it is skipped like an unknown one) and whether it may
 * repeat.
 */
static const struct tlv_spec {
	uint16_t	 minlen, maxlen;
	uint8_t		 msgs;
	uint8_t		 repeat;
} tlv_specs[LBNP_T_MAX] = {
	[LBNP_T_NODE_ID] =	{ 16, 16, NODE_MSGS, 0 },
	[LBNP_T_HOSTNAME] =	{ 1, NAME_MAX_LEN - 1, NODE_MSGS, 0 },
	[LBNP_T_ADDR4] =	{ 4, 4, NODE_MSGS, 0 },
	[LBNP_T_ADDR6] =	{ 16, 16, NODE_MSGS, 0 },
	[LBNP_T_SERVER_TYPE] =	{ 1, 15, NODE_MSGS, 0 },
	[LBNP_T_BUSY] =		{ 4, 4, NODE_MSGS, 0 },
	[LBNP_T_WEIGHT] =	{ 4, 4, NODE_MSGS, 0 },
	[LBNP_T_ADMIN] =	{ 1, 1, NODE_MSGS, 0 },
	[LBNP_T_LOADAVG] =	{ 4, 4, NODE_MSGS, 0 },
	[LBNP_T_MEMORY] =	{ 4, 4, NODE_MSGS, 0 },
	[LBNP_T_UPTIME] =	{ 8, 8, NODE_MSGS, 0 },
	[LBNP_T_GENERATION] =	{ 8, 8, GEN_MSGS, 0 },
	[LBNP_T_REASON] =	{ 1, 1, MSG(LBNP_ANNOUNCE), 0 },
	[LBNP_T_VIP] =		{ VIP_FIXED_LEN + 8, VIP_FIXED_LEN + 32,
				  MSG(LBNP_CONFIG), 1 },
	[LBNP_T_STATUS] =	{ 1, 1, ACK_MSG, 0 },
	[LBNP_T_MESSAGE] =	{ 0, 127, ACK_MSG, 0 },
	[LBNP_T_RESULT] =	{ RESULT_FIXED_LEN, RESULT_FIXED_LEN + 95,
				  ACK_MSG, 1 },
	[LBNP_T_IN_FORCE] =	{ 4, 4, ACK_MSG, 0 },
	[LBNP_T_OMITTED] =	{ 4, 4, ACK_MSG, 0 },
};

/* lbnoded's application ID, for the NODE_ID (lbnp_node_id()). */
static const uint8_t app_id[16] = {
	0x02, 0x1a, 0xa8, 0x0e, 0x5e, 0xb4, 0x4d, 0x12,
	0x87, 0x53, 0xa3, 0xd3, 0x70, 0x8e, 0x49, 0x9d
};

/* The TLVs without which a message is malformed. */
static const uint64_t required[LBNP_TYPE_MAX] = {
	[LBNP_ANNOUNCE] = BIT(LBNP_T_NODE_ID) | BIT(LBNP_T_WEIGHT) |
	    BIT(LBNP_T_ADMIN) | BIT(LBNP_T_REASON),
	[LBNP_QUERY] = 0,
	[LBNP_REPORT] = BIT(LBNP_T_NODE_ID) | BIT(LBNP_T_WEIGHT) |
	    BIT(LBNP_T_ADMIN),
	[LBNP_CONFIG] = BIT(LBNP_T_GENERATION),
	[LBNP_CONFIG_ACK] = BIT(LBNP_T_GENERATION) | BIT(LBNP_T_STATUS),
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, v & 0xffffffff);
}

/* The length of a VIP TLV's value for a family byte, 0 if unknown. */
size_t
lbnp_vip_len(uint8_t family)
{
	if (family == 4)
		return VIP_FIXED_LEN + 2 * 4;
	if (family == 6)
		return VIP_FIXED_LEN + 2 * 16;
	return 0;
}

/* A string TLV into a NUL-terminated buffer big enough for it. */
static int
get_str(char *dst, const uint8_t *p, size_t len)
{
	if (memchr(p, '\0', len) != NULL)
		return -1;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

static void
get_addr(struct lbn_addr *a, int af, const uint8_t *p)
{
	memset(a, 0, sizeof(*a));
	a->af = af;
	a->plen = af == AF_INET ? 32 : 128;
	memcpy(&a->u, p, af == AF_INET ? 4 : 16);
}

static int
decode_vip(struct dr_entry *e, const uint8_t *p, size_t len)
{
	size_t		 alen;
	int		 af;

	if (len != lbnp_vip_len(p[0]))
		return -1;
	af = p[0] == 4 ? AF_INET : AF_INET6;
	alen = af == AF_INET ? 4 : 16;
	memset(e, 0, sizeof(*e));
	e->mode = p[1];
	e->proto = p[2];
	e->port_lo = get16(p + 4);
	e->port_hi = get16(p + 6);
	e->to_port = get16(p + 8);
	e->encap = p[3];
	e->encap_port = get16(p + 10);
	get_addr(&e->vip, af, p + VIP_FIXED_LEN);
	/* An all-zero target is "no target". */
	get_addr(&e->target, af, p + VIP_FIXED_LEN + alen);
	if (sodium_is_zero(e->target.u.raw, alen))
		memset(&e->target, 0, sizeof(e->target));
	return 0;
}

static int
decode_result(struct lbnp_result *r, const uint8_t *p, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->index = get32(p);
	r->status = p[4];
	return get_str(r->reason, p + RESULT_FIXED_LEN, len - RESULT_FIXED_LEN);
}

/* One known TLV whose length is within its bounds; -1 if malformed. */
static int
decode_tlv(struct lbnp_msg *m, uint16_t type, const uint8_t *p, size_t len,
    struct dr_entry *entries, size_t maxentries)
{
	struct lbnp_node	*n = &m->node;

	switch (type) {
	case LBNP_T_NODE_ID:
		memcpy(n->node_id, p, sizeof(n->node_id));
		return 0;
	case LBNP_T_HOSTNAME:
		return get_str(n->hostname, p, len);
	case LBNP_T_ADDR4:
		get_addr(&n->addr4, AF_INET, p);
		return 0;
	case LBNP_T_ADDR6:
		get_addr(&n->addr6, AF_INET6, p);
		return 0;
	case LBNP_T_SERVER_TYPE:
		return get_str(n->server_type, p, len);
	case LBNP_T_BUSY:
		n->busy_x100 = get32(p);
		return 0;
	case LBNP_T_WEIGHT:
		n->weight = get32(p);
		return 0;
	case LBNP_T_ADMIN:
		n->admin = p[0];
		return 0;
	case LBNP_T_LOADAVG:
		n->loadavg_x100 = get32(p);
		return 0;
	case LBNP_T_MEMORY:
		n->mem_used_x100 = get32(p);
		return 0;
	case LBNP_T_UPTIME:
		n->uptime = get64(p);
		return 0;
	case LBNP_T_GENERATION:
		m->generation = get64(p);
		return 0;
	case LBNP_T_REASON:
		n->reason = p[0];
		return 0;
	case LBNP_T_VIP:
		if (m->nentries >= maxentries)
			return -1;
		return decode_vip(&entries[m->nentries++], p, len);
	case LBNP_T_STATUS:
		m->status = p[0];
		return 0;
	case LBNP_T_MESSAGE:
		return get_str(m->message, p, len);
	case LBNP_T_RESULT:
		if (m->nresults >= LBNP_RESULTS_MAX)
			return -1;
		return decode_result(&m->results[m->nresults++], p, len);
	case LBNP_T_IN_FORCE:
		m->has_in_force = 1;
		m->in_force = get32(p);
		return 0;
	case LBNP_T_OMITTED:
		m->omitted = get32(p);
		return 0;
	default:	/* a tlv_specs entry without a case here */
		return -1;
	}
}

static int
decode_body(struct lbnp_msg *m, const uint8_t *p, size_t len,
    struct dr_entry *entries, size_t maxentries)
{
	const struct tlv_spec	*spec;
	uint64_t		 seen = 0;
	uint16_t		 type, tlen;
	size_t			 ntlv;

	for (ntlv = 0; len > 0; ntlv++) {
		if (ntlv == LBNP_TLVS_MAX || len < LBNP_TLV_HDR_LEN)
			return DROP_LENGTH;
		type = get16(p);
		tlen = get16(p + 2);
		p += LBNP_TLV_HDR_LEN;
		len -= LBNP_TLV_HDR_LEN;
		if (tlen > len)
			return DROP_LENGTH;
		spec = type < LBNP_T_MAX ? &tlv_specs[type] : NULL;
		/* Unknown here (or anywhere): skip, for forward compatibility. */
		if (spec != NULL && (spec->msgs & MSG(m->type))) {
			if (tlen < spec->minlen || tlen > spec->maxlen ||
			    (!spec->repeat && (seen & BIT(type))) ||
			    decode_tlv(m, type, p, tlen, entries,
			    maxentries) == -1)
				return DROP_LENGTH;
			seen |= BIT(type);
		}
		p += tlen;
		len -= tlen;
	}
	if ((seen & required[m->type]) != required[m->type])
		return DROP_LENGTH;
	return 0;
}

/*
 * Decode one datagram.  CONFIG entries go to the caller's array of
 * maxentries; a CONFIG with more is malformed.
 */
int
lbnp_decode(const uint8_t *pkt, size_t len, struct lbnp_msg *m,
    struct dr_entry *entries, size_t maxentries)
{
	size_t	 blen, want;

	memset(m, 0, sizeof(*m));
	m->entries = entries;
	if (len < LBNP_HDR_LEN)
		return DROP_SHORT;
	if (memcmp(pkt, LBNP_MAGIC, 4) != 0)
		return DROP_MAGIC;
	if (pkt[4] != LBNP_VERSION)
		return DROP_VERSION;
	m->type = pkt[5];
	if (m->type == 0 || m->type >= LBNP_TYPE_MAX)
		return DROP_TYPE;
	m->flags = get16(pkt + 6);
	m->seq = get32(pkt + 8);
	blen = get16(pkt + 12);
	want = LBNP_HDR_LEN + blen +
	    ((m->flags & LBNP_F_AUTH) ? LBNP_TRAILER_LEN : 0);
	if (len != want)
		return DROP_LENGTH;
	if (m->flags & LBNP_F_AUTH) {
		m->ts_ms = get64(pkt + LBNP_HDR_LEN + blen);
		memcpy(m->nonce, pkt + LBNP_HDR_LEN + blen + LBNP_TS_LEN,
		    LBNP_NONCE_LEN);
	}
	return decode_body(m, pkt + LBNP_HDR_LEN, blen, entries, maxentries);
}

void
lbnp_key_init(struct lbnp_key *k, const uint8_t *key, size_t keylen)
{
	crypto_auth_hmacsha256_init(&k->st, key, keylen);
}

void
lbnp_key_clear(struct lbnp_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

/* A copy of the ready state takes the message; the key's stays as it was. */
static void
hmac_keyed(uint8_t mac[LBNP_MAC_LEN], const struct lbnp_key *k,
    const uint8_t *p, size_t len)
{
	crypto_auth_hmacsha256_state	 st = k->st;

	crypto_auth_hmacsha256_update(&st, p, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
}

static void
hmac(uint8_t mac[LBNP_MAC_LEN], const uint8_t *key, size_t keylen,
    const uint8_t *p, size_t len)
{
	struct lbnp_key	 k;

	lbnp_key_init(&k, key, keylen);
	hmac_keyed(mac, &k, p, len);
	lbnp_key_clear(&k);
}

_Static_assert(LBNP_REPLAY_SLOTS < UINT16_MAX, "replay links are 16 bits");

static size_t
replay_bucket(uint64_t ts, const uint8_t *nonce)
{
	uint64_t	 n;

	memcpy(&n, nonce, sizeof(n));
	return (size_t)(((n ^ ts) * 0x9e3779b97f4a7c15ULL) >> 32) %
	    LBNP_REPLAY_SLOTS;
}

static int
replay_seen(const struct lbnp_replay *rc, uint64_t ts, const uint8_t *nonce)
{
	uint16_t	 i;

	for (i = rc->bucket[replay_bucket(ts, nonce)]; i != 0;
	    i = rc->slot[i - 1].next)
		if (rc->slot[i - 1].ts_ms == ts &&
		    memcmp(rc->slot[i - 1].nonce, nonce, LBNP_NONCE_LEN) == 0)
			return 1;
	return 0;
}

/* Forget the oldest entry; nothing at or below it may be accepted again. */
static void
replay_pop(struct lbnp_replay *rc, size_t cap)
{
	size_t		 j = rc->head;
	uint16_t	*link;

	link = &rc->bucket[replay_bucket(rc->slot[j].ts_ms, rc->slot[j].nonce)];
	while (*link != j + 1)
		link = &rc->slot[*link - 1].next;
	*link = rc->slot[j].next;
	if (rc->slot[j].ts_ms > rc->floor_ms)
		rc->floor_ms = rc->slot[j].ts_ms;
	rc->head = (rc->head + 1) % cap;
	rc->count--;
}

static void
replay_add(struct lbnp_replay *rc, size_t cap, uint64_t ts,
    const uint8_t *nonce, uint64_t now)
{
	size_t	 tail, b;

	while (rc->count > 0 && rc->slot[rc->head].ts_ms + LBNP_WINDOW_MS < now)
		replay_pop(rc, cap);
	if (rc->count == cap)
		replay_pop(rc, cap);
	tail = (rc->head + rc->count) % cap;
	b = replay_bucket(ts, nonce);
	rc->slot[tail].ts_ms = ts;
	memcpy(rc->slot[tail].nonce, nonce, LBNP_NONCE_LEN);
	rc->slot[tail].next = rc->bucket[b];
	rc->bucket[b] = (uint16_t)(tail + 1);
	rc->count++;
}

/*
 * Check a datagram's trailer against key, the clock now_ms and the
 * replay cache, and remember it if it passes.  The MAC is checked
 * first so that only authentic packets can fill the cache.
 */
int
lbnp_verify(const uint8_t *pkt, size_t len, const uint8_t *key,
    size_t keylen, uint64_t now_ms, struct lbnp_replay *rc)
{
	struct lbnp_key	 k;
	int		 r;

	lbnp_key_init(&k, key, keylen);
	r = lbnp_verify_keyed(pkt, len, &k, now_ms, rc);
	lbnp_key_clear(&k);
	return r;
}

/* The same with a key made ready once, for a receiver of many messages. */
int
lbnp_verify_keyed(const uint8_t *pkt, size_t len, const struct lbnp_key *key,
    uint64_t now_ms, struct lbnp_replay *rc)
{
	uint8_t		 mac[LBNP_MAC_LEN];
	const uint8_t	*trailer;
	uint64_t	 ts, skew;
	size_t		 cap;

	if (len < LBNP_HDR_LEN + LBNP_TRAILER_LEN ||
	    !(get16(pkt + 6) & LBNP_F_AUTH) ||
	    len != LBNP_HDR_LEN + (size_t)get16(pkt + 12) + LBNP_TRAILER_LEN)
		return DROP_AUTH;
	trailer = pkt + len - LBNP_TRAILER_LEN;
	hmac_keyed(mac, key, pkt, len - LBNP_MAC_LEN);
	if (sodium_memcmp(mac, pkt + len - LBNP_MAC_LEN, LBNP_MAC_LEN) != 0)
		return DROP_AUTH;
	ts = get64(trailer);
	skew = ts > now_ms ? ts - now_ms : now_ms - ts;
	if (skew > LBNP_WINDOW_MS || ts <= rc->floor_ms)
		return DROP_STALE;
	cap = rc->cap ? rc->cap : LBNP_REPLAY_SLOTS;
	if (replay_seen(rc, ts, trailer + LBNP_TS_LEN))
		return DROP_REPLAY;
	replay_add(rc, cap, ts, trailer + LBNP_TS_LEN, now_ms);
	return 0;
}

/* The encoder: a bounded buffer that remembers whether it overflowed. */
struct wbuf {
	uint8_t		*p;
	size_t		 cap;
	size_t		 len;
	int		 full;
};

static uint8_t *
wb_reserve(struct wbuf *b, size_t n)
{
	uint8_t	*r;

	if (b->full || n > b->cap - b->len) {
		b->full = 1;
		return NULL;
	}
	r = b->p + b->len;
	b->len += n;
	return r;
}

/* A TLV header with room for a value of len bytes, or NULL. */
static uint8_t *
tlv(struct wbuf *b, uint16_t type, size_t len)
{
	uint8_t	*p;

	if ((p = wb_reserve(b, LBNP_TLV_HDR_LEN + len)) == NULL)
		return NULL;
	put16(p, type);
	put16(p + 2, (uint16_t)len);
	return p + LBNP_TLV_HDR_LEN;
}

static void
tlv_bytes(struct wbuf *b, uint16_t type, const void *v, size_t len)
{
	uint8_t	*p;

	if ((p = tlv(b, type, len)) != NULL)
		memcpy(p, v, len);
}

static void
tlv_u8(struct wbuf *b, uint16_t type, uint8_t v)
{
	tlv_bytes(b, type, &v, 1);
}

static void
tlv_u32(struct wbuf *b, uint16_t type, uint32_t v)
{
	uint8_t	*p;

	if ((p = tlv(b, type, 4)) != NULL)
		put32(p, v);
}

static void
tlv_u64(struct wbuf *b, uint16_t type, uint64_t v)
{
	uint8_t	*p;

	if ((p = tlv(b, type, 8)) != NULL)
		put64(p, v);
}

/* A string TLV, cut to what the receiver accepts; empty ones are left out. */
static void
tlv_str(struct wbuf *b, uint16_t type, const char *s)
{
	size_t	 len = strnlen(s, tlv_specs[type].maxlen);

	if (len > 0)
		tlv_bytes(b, type, s, len);
}

static void
encode_node(struct wbuf *b, const struct lbnp_msg *m)
{
	const struct lbnp_node	*n = &m->node;

	tlv_bytes(b, LBNP_T_NODE_ID, n->node_id, sizeof(n->node_id));
	tlv_str(b, LBNP_T_HOSTNAME, n->hostname);
	if (n->addr4.af == AF_INET)
		tlv_bytes(b, LBNP_T_ADDR4, &n->addr4.u.v4, 4);
	if (n->addr6.af == AF_INET6)
		tlv_bytes(b, LBNP_T_ADDR6, &n->addr6.u.v6, 16);
	tlv_str(b, LBNP_T_SERVER_TYPE, n->server_type);
	tlv_u32(b, LBNP_T_BUSY, n->busy_x100);
	tlv_u32(b, LBNP_T_WEIGHT, n->weight);
	tlv_u8(b, LBNP_T_ADMIN, n->admin);
	tlv_u32(b, LBNP_T_LOADAVG, n->loadavg_x100);
	tlv_u32(b, LBNP_T_MEMORY, n->mem_used_x100);
	tlv_u64(b, LBNP_T_UPTIME, n->uptime);
	tlv_u64(b, LBNP_T_GENERATION, m->generation);
	if (m->type == LBNP_ANNOUNCE)
		tlv_u8(b, LBNP_T_REASON, n->reason);
}

static int
encode_vip(struct wbuf *b, const struct dr_entry *e)
{
	size_t	 alen = addr_len(&e->vip);
	uint8_t	*p;

	if (alen == 0 || (e->target.af != 0 && e->target.af != e->vip.af))
		return -1;
	if ((p = tlv(b, LBNP_T_VIP, VIP_FIXED_LEN + 2 * alen)) == NULL)
		return 0;	/* the caller sees b->full */
	memset(p, 0, VIP_FIXED_LEN + 2 * alen);
	p[0] = alen == 4 ? 4 : 6;
	p[1] = e->mode;
	p[2] = e->proto;
	put16(p + 4, e->port_lo);
	put16(p + 6, e->port_hi);
	put16(p + 8, e->to_port);
	p[3] = e->encap;
	put16(p + 10, e->encap_port);
	memcpy(p + VIP_FIXED_LEN, e->vip.u.raw, alen);
	if (e->target.af != 0)
		memcpy(p + VIP_FIXED_LEN + alen, e->target.u.raw, alen);
	return 0;
}

static void
encode_result(struct wbuf *b, const struct lbnp_result *r)
{
	size_t	 rlen = strnlen(r->reason, sizeof(r->reason) - 1);
	uint8_t	*p;

	if ((p = tlv(b, LBNP_T_RESULT, RESULT_FIXED_LEN + rlen)) == NULL)
		return;
	memset(p, 0, RESULT_FIXED_LEN);
	put32(p, r->index);
	p[4] = r->status;
	memcpy(p + RESULT_FIXED_LEN, r->reason, rlen);
}

static int
encode_body(struct wbuf *b, const struct lbnp_msg *m)
{
	size_t	 i;

	switch (m->type) {
	case LBNP_ANNOUNCE:
	case LBNP_REPORT:
		encode_node(b, m);
		return 0;
	case LBNP_QUERY:
		return 0;
	case LBNP_CONFIG:
		tlv_u64(b, LBNP_T_GENERATION, m->generation);
		for (i = 0; i < m->nentries; i++)
			if (encode_vip(b, &m->entries[i]) == -1)
				return -1;
		return 0;
	case LBNP_CONFIG_ACK:
		if (m->nresults > LBNP_RESULTS_MAX)
			return -1;
		tlv_u64(b, LBNP_T_GENERATION, m->generation);
		tlv_u8(b, LBNP_T_STATUS, m->status);
		tlv_str(b, LBNP_T_MESSAGE, m->message);
		if (m->has_in_force)
			tlv_u32(b, LBNP_T_IN_FORCE, m->in_force);
		if (m->omitted > 0)
			tlv_u32(b, LBNP_T_OMITTED, m->omitted);
		for (i = 0; i < m->nresults; i++)
			encode_result(b, &m->results[i]);
		return 0;
	}
	return -1;
}

/*
 * Encode m (its type, seq and the TLVs of its type) into buf, signed
 * when sign is not NULL.
 */
ssize_t
lbnp_encode(const struct lbnp_msg *m, uint8_t *buf, size_t cap,
    const struct lbnp_sign *sign)
{
	struct wbuf	 b = { buf, cap, 0, 0 };
	uint8_t		*hdr, *t;
	size_t		 blen;

	if ((hdr = wb_reserve(&b, LBNP_HDR_LEN)) == NULL)
		return -1;
	if (encode_body(&b, m) == -1 || b.full)
		return -1;
	blen = b.len - LBNP_HDR_LEN;
	if (blen > LBNP_BODY_MAX)
		return -1;
	memcpy(hdr, LBNP_MAGIC, 4);
	hdr[4] = LBNP_VERSION;
	hdr[5] = m->type;
	put16(hdr + 6, sign != NULL ? LBNP_F_AUTH : 0);
	put32(hdr + 8, m->seq);
	put16(hdr + 12, (uint16_t)blen);
	put16(hdr + 14, 0);
	if (sign == NULL)
		return (ssize_t)b.len;
	if ((t = wb_reserve(&b, LBNP_TRAILER_LEN)) == NULL)
		return -1;
	put64(t, sign->ts_ms);
	memcpy(t + LBNP_TS_LEN, sign->nonce, LBNP_NONCE_LEN);
	hmac(t + LBNP_TS_LEN + LBNP_NONCE_LEN, sign->key, sign->keylen,
	    buf, b.len - LBNP_MAC_LEN);
	return (ssize_t)b.len;
}

/*
 * The 16 bytes of the text of /etc/machine-id: 32 lower-case hex digits
 * and, optionally, a newline (machine-id(5)).
 */
static int
machine_id_bytes(const char *text, uint8_t mid[16])
{
	size_t	 n;

	if (text == NULL || strspn(text, "0123456789abcdef") != 32 ||
	    (text[32] != '\0' && strcmp(text + 32, "\n") != 0))
		return -1;
	if (sodium_hex2bin(mid, 16, text, 32, NULL, &n, NULL) != 0 || n != 16)
		return -1;
	return 0;
}

/*
 * A node's NODE_ID: systemd's application-specific machine ID for
 * app_id (machine-id(5) asks for one in place of the machine ID itself),
 * which "systemd-id128 machine-id --app-specific=021aa80e5eb44d12875
 * 3a3d3708e499d" prints too.  machine_id is the text of
 * /etc/machine-id, or NULL; when it is not one, the host name takes
 * the machine ID's place as the HMAC key.
 */
void
lbnp_node_id(uint8_t id[LBNP_NODE_ID_LEN], const char *machine_id,
    const char *hostname)
{
	uint8_t		 mid[16], mac[LBNP_MAC_LEN];

	if (machine_id_bytes(machine_id, mid) == 0)
		hmac(mac, mid, sizeof(mid), app_id, sizeof(app_id));
	else
		hmac(mac, (const uint8_t *)hostname, strlen(hostname), app_id,
		    sizeof(app_id));
	memcpy(id, mac, LBNP_NODE_ID_LEN);
	id[6] = (id[6] & 0x0f) | 0x40;	/* UUID version 4 */
	id[8] = (id[8] & 0x3f) | 0x80;	/* UUID variant 1 (DCE) */
}

uint64_t
lbnp_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Signing parameters for one message: now, and a fresh random nonce. */
void
lbnp_sign_init(struct lbnp_sign *s, const uint8_t *key, size_t keylen)
{
	s->key = key;
	s->keylen = keylen;
	s->ts_ms = lbnp_now_ms();
	randombytes_buf(s->nonce, sizeof(s->nonce));
}

const char *
lbnp_type_name(unsigned int v)
{
	static const char *const names[] = {
		[LBNP_ANNOUNCE] = "announce", [LBNP_QUERY] = "query",
		[LBNP_REPORT] = "report", [LBNP_CONFIG] = "config",
		[LBNP_CONFIG_ACK] = "config-ack",
	};

	return NAME_OF(names, v);
}

const char *
lbnp_reason_name(unsigned int v)
{
	static const char *const names[] = {
		[LBNP_REASON_START] = "start",
		[LBNP_REASON_PERIODIC] = "periodic",
		[LBNP_REASON_CHANGE] = "change", [LBNP_REASON_STOP] = "stop",
	};

	return NAME_OF(names, v);
}

const char *
lbnp_status_name(unsigned int v)
{
	static const char *const names[] = {
		[LBNP_STATUS_OK] = "ok", [LBNP_STATUS_REJECTED] = "rejected",
		[LBNP_STATUS_FAILED] = "failed", [LBNP_STATUS_BUSY] = "busy",
	};

	return NAME_OF(names, v);
}
