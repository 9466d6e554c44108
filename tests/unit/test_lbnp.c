/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * LBNP/1 codec, authentication and replay window.
 *
 * Also the source of the protocol page's examples: "test_lbnp --dump
 * NAME" prints one in the page's format, and the test checks that the
 * page still shows exactly what the encoder produces.  "test_lbnp
 * --corpus DIR" writes the fuzzer's seed corpus.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "addr.h"
#include "lbnp.h"
#include "tap.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR	"."
#endif

#define BUFSZ		2048

/* The example key of the protocol page: bytes 0x00 to 0x1f. */
static uint8_t		 key[32];
static const uint64_t	 example_ts = 1700000000000ULL;
static const uint8_t	 example_nonce[LBNP_NONCE_LEN] =
    { 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18 };

static struct dr_entry	 example_entries[2];

static void
set_addr(struct lbn_addr *a, const char *s)
{
	if (addr_parse(s, a) == -1)
		abort();
}

/* The example node's /etc/machine-id. */
static const char	 example_machine_id[] =
    "0123456789abcdef0123456789abcdef\n";

static void
sample_node(struct lbnp_msg *m, uint8_t type)
{
	m->type = type;
	lbnp_node_id(m->node.node_id, example_machine_id, "web1");
	strcpy(m->node.hostname, "web1");
	strcpy(m->node.server_type, "linux");
	set_addr(&m->node.addr4, "192.0.2.11");
	m->node.busy_x100 = 1234;
	m->node.weight = 87;
	m->node.admin = ADMIN_READY;
	m->node.loadavg_x100 = 25;
	m->node.mem_used_x100 = 4010;
	m->node.uptime = 86400;
	m->node.reason = LBNP_REASON_START;
	m->generation = 7;
}

/* A CONFIG-ACK as the node sends it, with the strings it sends. */
static void
example_ack(struct lbnp_msg *m, uint32_t seq, uint64_t generation,
    uint8_t status, const char *message, uint32_t in_force)
{
	m->type = LBNP_CONFIG_ACK;
	m->seq = seq;
	m->generation = generation;
	m->status = status;
	snprintf(m->message, sizeof(m->message), "%s", message);
	m->has_in_force = 1;
	m->in_force = in_force;
}

/* The messages of the protocol page, by name; sign says whether signed. */
static int
example(const char *name, struct lbnp_msg *m, int *sign)
{
	memset(m, 0, sizeof(*m));
	*sign = 0;
	if (strcmp(name, "query") == 0) {
		m->type = LBNP_QUERY;
		m->seq = 0x2a;
	} else if (strcmp(name, "query-signed") == 0) {
		m->type = LBNP_QUERY;
		m->seq = 0x2b;
		*sign = 1;
	} else if (strcmp(name, "report") == 0) {
		sample_node(m, LBNP_REPORT);
		m->seq = 0x2a;
	} else if (strcmp(name, "announce") == 0) {
		sample_node(m, LBNP_ANNOUNCE);
		set_addr(&m->node.addr6, "2001:db8::11");
		m->seq = 1;
		*sign = 1;
	} else if (strcmp(name, "config") == 0) {
		memset(example_entries, 0, sizeof(example_entries));
		set_addr(&example_entries[0].vip, "192.0.2.10");
		example_entries[0].mode = MODE_REDIRECT;
		example_entries[0].proto = IPPROTO_TCP;
		example_entries[0].port_lo = 80;
		example_entries[0].port_hi = 80;
		set_addr(&example_entries[1].vip, "192.0.2.20");
		set_addr(&example_entries[1].target, "192.0.2.100");
		example_entries[1].mode = MODE_DNAT;
		example_entries[1].proto = IPPROTO_TCP;
		example_entries[1].port_lo = 8000;
		example_entries[1].port_hi = 8099;
		m->type = LBNP_CONFIG;
		m->seq = 0x100;
		m->generation = 8;
		m->entries = example_entries;
		m->nentries = 2;
		*sign = 1;
	} else if (strcmp(name, "config-ack") == 0) {
		example_ack(m, 0x100, 8, LBNP_STATUS_REJECTED,
		    "1 of 2 entries refused", 0);
		m->nresults = 1;
		m->results[0].index = 1;
		m->results[0].status = DR_REJECTED;
		strcpy(m->results[0].reason, "no accept rule allows it");
		*sign = 1;
	} else if (strcmp(name, "config-ack-ok") == 0) {
		example_ack(m, 0x101, 9, LBNP_STATUS_OK, "applied", 1);
		*sign = 1;
	} else
		return -1;
	return 0;
}

static const char *const examples[] = {
	"query", "query-signed", "report", "announce", "config", "config-ack",
	"config-ack-ok"
};
#define NEXAMPLES	nitems(examples)

static struct lbnp_sign *
example_sign(struct lbnp_sign *s)
{
	s->key = key;
	s->keylen = sizeof(key);
	s->ts_ms = example_ts;
	memcpy(s->nonce, example_nonce, sizeof(s->nonce));
	return s;
}

static ssize_t
encode_example(const char *name, uint8_t *buf, size_t cap)
{
	struct lbnp_msg		 m;
	struct lbnp_sign	 s;
	int			 sign;

	if (example(name, &m, &sign) == -1)
		return -1;
	return lbnp_encode(&m, buf, cap, sign ? example_sign(&s) : NULL);
}

static void
dump(const uint8_t *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (i % 16 == 0)
			printf("%04zx ", i);
		printf(" %02x", p[i]);
		if (i % 16 == 15 || i == len - 1)
			printf("\n");
	}
}

/* The bytes of the hex dump that follows ".\" hexdump NAME" in the page. */
static ssize_t
page_dump(const char *name, uint8_t *buf, size_t cap)
{
	char		 line[256], mark[64];
	FILE		*f;
	size_t		 n = 0;
	int		 state = 0;	/* 1 seen the mark, 2 in the block */
	char		*p, *end;
	unsigned long	 v;

	snprintf(mark, sizeof(mark), ".\\\" hexdump %s\n", name);
	if ((f = fopen(TOP_SRCDIR "/man/lbnoded-protocol.7", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (state == 0 && strcmp(line, mark) == 0)
			state = 1;
		else if (state == 1 && strncmp(line, ".Bd", 3) == 0)
			state = 2;
		else if (state == 2 && strncmp(line, ".Ed", 3) == 0)
			break;
		else if (state == 2) {
			/* "0010  xx xx ...": skip the offset. */
			strtoul(line, &p, 16);
			for (;;) {
				v = strtoul(p, &end, 16);
				if (end == p)
					break;
				if (n == cap || v > 0xff) {
					fclose(f);
					return -1;
				}
				buf[n++] = (uint8_t)v;
				p = end;
			}
		}
	}
	fclose(f);
	return state == 2 ? (ssize_t)n : -1;
}

static int
write_corpus(const char *dir)
{
	uint8_t	 buf[BUFSZ];
	char	 path[512];
	FILE	*f;
	ssize_t	 n;
	size_t	 i;

	for (i = 0; i < NEXAMPLES; i++) {
		if ((n = encode_example(examples[i], buf, sizeof(buf))) == -1)
			return 1;
		snprintf(path, sizeof(path), "%s/%s", dir, examples[i]);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(buf, 1, (size_t)n, f) != (size_t)n ||
		    fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	return 0;
}

static void
test_roundtrip(void)
{
	uint8_t			 buf[BUFSZ], buf2[BUFSZ];
	struct dr_entry		 ents[8];
	struct lbnp_msg		 m, d;
	struct lbnp_sign	 s;
	ssize_t			 n, n2;
	size_t			 i;
	int			 sign;
	char			 name[64];

	for (i = 0; i < NEXAMPLES; i++) {
		example(examples[i], &m, &sign);
		n = lbnp_encode(&m, buf, sizeof(buf),
		    sign ? example_sign(&s) : NULL);
		snprintf(name, sizeof(name), "%s: encodes", examples[i]);
		ok(n > 0, name);
		snprintf(name, sizeof(name), "%s: decodes", examples[i]);
		is_int(lbnp_decode(buf, (size_t)n, &d, ents, 8), 0, name);
		snprintf(name, sizeof(name), "%s: type, seq, flags", examples[i]);
		ok(d.type == m.type && d.seq == m.seq &&
		    d.flags == (sign ? LBNP_F_AUTH : 0), name);
		/* Re-encoding what was decoded gives the same bytes. */
		n2 = lbnp_encode(&d, buf2, sizeof(buf2),
		    sign ? example_sign(&s) : NULL);
		snprintf(name, sizeof(name), "%s: re-encodes identically",
		    examples[i]);
		ok(n2 == n && memcmp(buf, buf2, (size_t)n) == 0, name);
		if (sign) {
			snprintf(name, sizeof(name), "%s: trailer decoded",
			    examples[i]);
			ok(d.ts_ms == example_ts && memcmp(d.nonce,
			    example_nonce, LBNP_NONCE_LEN) == 0, name);
		}
	}

	example("report", &m, &sign);
	n = lbnp_encode(&m, buf, sizeof(buf), NULL);
	lbnp_decode(buf, (size_t)n, &d, NULL, 0);
	ok(memcmp(d.node.node_id, m.node.node_id, 16) == 0 &&
	    strcmp(d.node.hostname, "web1") == 0 &&
	    strcmp(d.node.server_type, "linux") == 0 &&
	    d.node.addr4.af == AF_INET && addr_eq(&d.node.addr4, &m.node.addr4) &&
	    d.node.addr6.af == 0 && d.node.busy_x100 == 1234 &&
	    d.node.weight == 87 && d.node.admin == ADMIN_READY &&
	    d.node.loadavg_x100 == 25 && d.node.mem_used_x100 == 4010 &&
	    d.node.uptime == 86400 && d.generation == 7, "report: fields");

	example("announce", &m, &sign);
	n = lbnp_encode(&m, buf, sizeof(buf), NULL);
	lbnp_decode(buf, (size_t)n, &d, NULL, 0);
	ok(d.node.addr6.af == AF_INET6 &&
	    addr_eq(&d.node.addr6, &m.node.addr6) &&
	    d.node.reason == LBNP_REASON_START, "announce: address6, reason");

	example("config", &m, &sign);
	n = lbnp_encode(&m, buf, sizeof(buf), NULL);
	is_int(lbnp_decode(buf, (size_t)n, &d, ents, 8), 0, "config decodes");
	ok(d.generation == 8 && d.nentries == 2 &&
	    memcmp(&ents[0], &example_entries[0], sizeof(ents[0])) == 0 &&
	    memcmp(&ents[1], &example_entries[1], sizeof(ents[1])) == 0,
	    "config: entries as sent, dnat target kept");
	is_int(lbnp_decode(buf, (size_t)n, &d, ents, 1), DROP_LENGTH,
	    "config with more entries than the caller holds");

	/* IPv6 entry. */
	memset(ents, 0, sizeof(ents));
	set_addr(&ents[0].vip, "2001:db8::10");
	ents[0].mode = MODE_LOOPBACK;
	ents[0].proto = IPPROTO_UDP;
	ents[0].port_lo = ents[0].port_hi = 53;
	m.entries = ents;
	m.nentries = 1;
	n = lbnp_encode(&m, buf, sizeof(buf), NULL);
	is_int(n, LBNP_HDR_LEN + 12 + 4 + 44, "IPv6 entry: 44-byte value");
	is_int(lbnp_decode(buf, (size_t)n, &d, ents + 1, 1), 0,
	    "IPv6 entry decodes");
	ok(memcmp(&ents[0], &ents[1], sizeof(ents[0])) == 0,
	    "IPv6 entry round trip");

	example("config-ack", &m, &sign);
	n = lbnp_encode(&m, buf, sizeof(buf), NULL);
	lbnp_decode(buf, (size_t)n, &d, NULL, 0);
	ok(d.status == LBNP_STATUS_REJECTED && d.nresults == 1 &&
	    d.results[0].index == 1 && d.results[0].status == DR_REJECTED &&
	    strcmp(d.results[0].reason, "no accept rule allows it") == 0 &&
	    strcmp(d.message, "1 of 2 entries refused") == 0,
	    "config-ack: status, message, result");
}

static void
test_encoder_bounds(void)
{
	uint8_t		 buf[BUFSZ];
	ssize_t		 full;
	size_t		 cap, i, bad = 0;

	for (i = 0; i < NEXAMPLES; i++) {
		full = encode_example(examples[i], buf, sizeof(buf));
		for (cap = 0; cap < (size_t)full; cap++) {
			memset(buf, 0xee, sizeof(buf));
			if (encode_example(examples[i], buf, cap) != -1 ||
			    buf[cap] != 0xee)
				bad++;
		}
	}
	is_int(bad, 0, "encoder: every short buffer refused, never overrun");
}

static int
decode_bytes(const uint8_t *p, size_t len)
{
	struct lbnp_msg	 m;
	struct dr_entry	 ents[4];

	return lbnp_decode(p, len, &m, ents, 4);
}

/* A REPORT made of a header and the body given, with a right length. */
static size_t
raw_report(uint8_t *buf, const uint8_t *body, size_t blen)
{
	static const uint8_t	 hdr[LBNP_HDR_LEN] =
	    { 'L', 'B', 'N', 'P', 1, LBNP_REPORT, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0 };

	memcpy(buf, hdr, sizeof(hdr));
	buf[12] = blen >> 8;
	buf[13] = blen & 0xff;
	memcpy(buf + LBNP_HDR_LEN, body, blen);
	return LBNP_HDR_LEN + blen;
}

static void
test_malformed(void)
{
	uint8_t		 buf[BUFSZ], pkt[BUFSZ];
	size_t		 n, i, bad;
	ssize_t		 len;
	/* The required REPORT TLVs, then room for one more. */
	static const uint8_t	 base[] = {
		0, 1, 0, 16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		0, 7, 0, 4, 0, 0, 0, 50,
		0, 8, 0, 1, 0,
	};
	uint8_t		 body[256];

	len = encode_example("report", buf, sizeof(buf));
	for (i = 0, bad = 0; i < (size_t)len; i++) {
		int r = decode_bytes(buf, i);
		if (r != (i < LBNP_HDR_LEN ? DROP_SHORT : DROP_LENGTH))
			bad++;
	}
	is_int(bad, 0, "every truncation dropped, short or length");
	buf[len] = 0;
	is_int(decode_bytes(buf, (size_t)len + 1), DROP_LENGTH,
	    "a trailing byte: length");

	memcpy(pkt, buf, (size_t)len);
	pkt[0] = 'X';
	is_int(decode_bytes(pkt, (size_t)len), DROP_MAGIC, "bad magic");
	memcpy(pkt, buf, (size_t)len);
	pkt[4] = 2;
	is_int(decode_bytes(pkt, (size_t)len), DROP_VERSION, "version 2");
	pkt[4] = 1;
	pkt[5] = 0;
	is_int(decode_bytes(pkt, (size_t)len), DROP_TYPE, "type 0");
	pkt[5] = LBNP_TYPE_MAX;
	is_int(decode_bytes(pkt, (size_t)len), DROP_TYPE, "type 6");
	memcpy(pkt, buf, (size_t)len);
	pkt[13]++;
	is_int(decode_bytes(pkt, (size_t)len), DROP_LENGTH,
	    "header length one more than the body");
	pkt[13] -= 2;
	is_int(decode_bytes(pkt, (size_t)len), DROP_LENGTH,
	    "header length one less than the body");
	memcpy(pkt, buf, (size_t)len);
	pkt[7] |= LBNP_F_AUTH;
	is_int(decode_bytes(pkt, (size_t)len), DROP_LENGTH,
	    "AUTH flag without a trailer");

	n = raw_report(pkt, base, sizeof(base));
	is_int(decode_bytes(pkt, n), 0, "minimal report: node id, weight, admin");
	n = raw_report(pkt, base, sizeof(base) - 5);
	is_int(decode_bytes(pkt, n), DROP_LENGTH, "report without admin");

	memcpy(body, base, sizeof(base));
	body[sizeof(base) - 2] = 2;	/* admin TLV claims 2 bytes, 1 left */
	n = raw_report(pkt, body, sizeof(base));
	is_int(decode_bytes(pkt, n), DROP_LENGTH, "TLV longer than the body");

	memcpy(body, base, sizeof(base));
	body[27] = 3;			/* weight in 3 bytes */
	memmove(body + 31, body + 32, sizeof(base) - 32);
	n = raw_report(pkt, body, sizeof(base) - 1);
	is_int(decode_bytes(pkt, n), DROP_LENGTH, "weight of 3 bytes");

	memcpy(body, base, sizeof(base));
	memcpy(body + sizeof(base), "\0\x08\0\x01\x01", 5);
	n = raw_report(pkt, body, sizeof(base) + 5);
	is_int(decode_bytes(pkt, n), DROP_LENGTH, "admin twice");

	memcpy(body, base, sizeof(base));
	memcpy(body + sizeof(base), "\0\x02\0\x03" "a\0b", 7);
	n = raw_report(pkt, body, sizeof(base) + 7);
	is_int(decode_bytes(pkt, n), DROP_LENGTH, "NUL in a hostname");

	memcpy(body, base, sizeof(base));
	memcpy(body + sizeof(base), "\0\x02\0\x00", 4);
	n = raw_report(pkt, body, sizeof(base) + 4);
	is_int(decode_bytes(pkt, n), DROP_LENGTH, "empty hostname");

	memcpy(body, base, sizeof(base));
	memcpy(body + sizeof(base), "\x7f\xff\0\x03xyz", 7);
	n = raw_report(pkt, body, sizeof(base) + 7);
	is_int(decode_bytes(pkt, n), 0, "unknown TLV skipped");

	memcpy(body, base, sizeof(base));
	memcpy(body + sizeof(base), "\0\x21\0\x02zz", 6);
	n = raw_report(pkt, body, sizeof(base) + 6);
	is_int(decode_bytes(pkt, n), 0,
	    "TLV of another message type skipped (message in a report)");

	memcpy(body, base, sizeof(base));
	body[sizeof(base)] = 0;
	n = raw_report(pkt, body, sizeof(base) + 3);
	is_int(decode_bytes(pkt, n), DROP_LENGTH, "3 bytes left: no TLV header");
}

static void
test_malformed_config(void)
{
	uint8_t		 pkt[BUFSZ];
	ssize_t		 n;

	n = encode_example("config", pkt, sizeof(pkt));
	/* First VIP TLV starts after header (16) and generation (12). */
	pkt[28 + 4] = 5;
	pkt[7] = 0;		/* unsigned: the trailer is gone */
	n -= LBNP_TRAILER_LEN;
	is_int(decode_bytes(pkt, (size_t)n), DROP_LENGTH, "VIP family 5");
	pkt[28 + 4] = 6;
	is_int(decode_bytes(pkt, (size_t)n), DROP_LENGTH,
	    "VIP family 6 in 20 bytes");
	pkt[28 + 4] = 4;
	is_int(decode_bytes(pkt, (size_t)n), 0, "VIP family 4 in 20 bytes");
}

static void
test_tlv_bound(void)
{
	static uint8_t	 pkt[LBNP_HDR_LEN + 4 * (LBNP_TLVS_MAX + 1)];
	size_t		 i, blen;

	/* A QUERY of empty unknown TLVs. */
	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, "LBNP\x01\x02", 6);
	for (i = 0; i < LBNP_TLVS_MAX + 1; i++)
		pkt[LBNP_HDR_LEN + 4 * i] = 0x40;
	blen = 4 * LBNP_TLVS_MAX;
	pkt[12] = blen >> 8;
	pkt[13] = blen & 0xff;
	is_int(decode_bytes(pkt, LBNP_HDR_LEN + blen), 0,
	    "LBNP_TLVS_MAX unknown TLVs accepted");
	blen += 4;
	pkt[12] = blen >> 8;
	pkt[13] = blen & 0xff;
	is_int(decode_bytes(pkt, LBNP_HDR_LEN + blen), DROP_LENGTH,
	    "one TLV more: dropped");
}

static ssize_t
signed_query(uint8_t *buf, uint32_t seq, uint64_t ts, uint8_t nonce_byte)
{
	struct lbnp_msg		 m;
	struct lbnp_sign	 s;

	memset(&m, 0, sizeof(m));
	m.type = LBNP_QUERY;
	m.seq = seq;
	s.key = key;
	s.keylen = sizeof(key);
	s.ts_ms = ts;
	memset(s.nonce, nonce_byte, sizeof(s.nonce));
	return lbnp_encode(&m, buf, BUFSZ, &s);
}

static void
test_auth(void)
{
	static struct lbnp_replay	 rc;
	uint8_t				 pkt[BUFSZ], bad[BUFSZ], other[32];
	const uint64_t			 now = example_ts;
	ssize_t				 n;

	n = signed_query(pkt, 1, now, 1);
	is_int(lbnp_verify(pkt, (size_t)n, key, sizeof(key), now, &rc), 0,
	    "signed query verifies");
	is_int(lbnp_verify(pkt, (size_t)n, key, sizeof(key), now + 5, &rc),
	    DROP_REPLAY, "the same packet again: replay");

	memcpy(bad, pkt, (size_t)n);
	bad[11] ^= 1;
	is_int(lbnp_verify(bad, (size_t)n, key, sizeof(key), now, &rc),
	    DROP_AUTH, "seq changed: bad MAC");
	memcpy(bad, pkt, (size_t)n);
	bad[n - 1] ^= 0x80;
	is_int(lbnp_verify(bad, (size_t)n, key, sizeof(key), now, &rc),
	    DROP_AUTH, "MAC changed");
	memcpy(bad, pkt, (size_t)n);
	bad[LBNP_HDR_LEN + 2] ^= 1;
	is_int(lbnp_verify(bad, (size_t)n, key, sizeof(key), now, &rc),
	    DROP_AUTH, "nonce changed");
	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	n = signed_query(pkt, 2, now, 2);
	is_int(lbnp_verify(pkt, (size_t)n, other, sizeof(other), now, &rc),
	    DROP_AUTH, "wrong key");
	is_int(lbnp_verify(pkt, (size_t)n, key, 16, now, &rc),
	    DROP_AUTH, "key of another length");
	n = encode_example("query", bad, sizeof(bad));
	is_int(lbnp_verify(bad, (size_t)n, key, sizeof(key), now, &rc),
	    DROP_AUTH, "unsigned packet");
	is_int(lbnp_verify(pkt, 10, key, sizeof(key), now, &rc),
	    DROP_AUTH, "10 bytes");

	n = signed_query(pkt, 3, now + LBNP_WINDOW_MS + 1, 3);
	is_int(lbnp_verify(pkt, (size_t)n, key, sizeof(key), now, &rc),
	    DROP_STALE, "31 s ahead: stale");
	n = signed_query(pkt, 3, now - LBNP_WINDOW_MS - 1, 3);
	is_int(lbnp_verify(pkt, (size_t)n, key, sizeof(key), now, &rc),
	    DROP_STALE, "31 s behind: stale");
	n = signed_query(pkt, 3, now - LBNP_WINDOW_MS, 3);
	is_int(lbnp_verify(pkt, (size_t)n, key, sizeof(key), now, &rc), 0,
	    "30 s behind: accepted");
	n = signed_query(pkt, 4, now + LBNP_WINDOW_MS, 4);
	is_int(lbnp_verify(pkt, (size_t)n, key, sizeof(key), now, &rc), 0,
	    "30 s ahead: accepted");
	is_int(rc.count, 3, "three packets remembered");
	ok(rc.floor_ms == 0, "no floor yet");

	/* A minute later the old entries expire and raise the floor. */
	n = signed_query(pkt, 5, now + 60000, 5);
	is_int(lbnp_verify(pkt, (size_t)n, key, sizeof(key), now + 60000, &rc),
	    0, "a minute later: accepted");
	is_int(rc.count, 2, "expired entries forgotten");
	ok(rc.floor_ms == now, "floor at the newest expired one");
}

/*
 * One key made ready serves every message: what the first check hashes
 * does not stay in it for the next, good or forged.
 */
static void
test_keyed(void)
{
	static struct lbnp_replay	 rc;
	struct lbnp_key			 k, wrong;
	uint8_t				 pkt[BUFSZ], other[32];
	const uint64_t			 now = example_ts;
	ssize_t				 n;
	int				 i, bad = 0;

	lbnp_key_init(&k, key, sizeof(key));
	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	lbnp_key_init(&wrong, other, sizeof(other));
	for (i = 0; i < 3; i++) {
		n = signed_query(pkt, (uint32_t)i, now + (uint64_t)i,
		    (uint8_t)(0x20 + i));
		if (lbnp_verify_keyed(pkt, (size_t)n, &wrong, now, &rc) !=
		    DROP_AUTH ||
		    lbnp_verify_keyed(pkt, (size_t)n, &k, now, &rc) != 0)
			bad++;
	}
	is_int(bad, 0, "one ready key checks three queries, a wrong one none");
	is_int(lbnp_verify_keyed(pkt, (size_t)n, &k, now, &rc), DROP_REPLAY,
	    "ready key: the last one again is a replay");
	pkt[n - 1] ^= 1;
	is_int(lbnp_verify_keyed(pkt, (size_t)n, &k, now, &rc), DROP_AUTH,
	    "ready key: a changed MAC");
	lbnp_key_clear(&k);
	lbnp_key_clear(&wrong);
}

static void
test_eviction(void)
{
	static struct lbnp_replay	 rc;
	uint8_t				 pkt[8][BUFSZ], p[BUFSZ];
	ssize_t				 n[8], m;
	const uint64_t			 now = example_ts;
	int				 i, bad = 0;

	rc.cap = 4;
	for (i = 0; i < 5; i++) {
		n[i] = signed_query(pkt[i], i, now + i, 0x10 + i);
		if (lbnp_verify(pkt[i], (size_t)n[i], key, sizeof(key), now,
		    &rc) != 0)
			bad++;
	}
	is_int(bad, 0, "five packets into four slots");
	is_int(rc.count, 4, "cache full");
	ok(rc.floor_ms == now, "the oldest evicted: floor raised to it");
	is_int(lbnp_verify(pkt[0], (size_t)n[0], key, sizeof(key), now, &rc),
	    DROP_STALE, "the evicted packet replayed: below the floor");
	is_int(lbnp_verify(pkt[1], (size_t)n[1], key, sizeof(key), now, &rc),
	    DROP_REPLAY, "a remembered packet replayed: replay");
	m = signed_query(p, 9, now, 0x77);
	is_int(lbnp_verify(p, (size_t)m, key, sizeof(key), now, &rc),
	    DROP_STALE, "a new packet at the floor: refused");
	m = signed_query(p, 9, now + 1, 0x77);
	is_int(lbnp_verify(p, (size_t)m, key, sizeof(key), now, &rc), 0,
	    "a new packet above the floor: accepted");
	ok(rc.floor_ms == now + 1, "floor follows the evictions");
}

/*
 * NODE_ID is systemd's app-specific machine ID: the expected values
 * come from "systemd-id128 machine-id --app-specific=021aa80e5eb44d12875
 * 3a3d3708e499d" (for the machine ID) and from the page's formula.
 */
static void
test_node_id(void)
{
	static const uint8_t	 want_mid[16] = { 0xfc, 0xe5, 0x4c, 0x87,
	    0xa9, 0xa2, 0x42, 0x94, 0x83, 0xe9, 0x58, 0x3c, 0x4c, 0x0e, 0x89,
	    0xe2 };
	static const uint8_t	 want_host[16] = { 0xf2, 0x55, 0xf7, 0x3a,
	    0x1b, 0x1e, 0x41, 0x27, 0x86, 0x84, 0x25, 0x1c, 0xe2, 0x7f, 0x47,
	    0xc9 };
	static const struct {
		const char	*machine_id;
		const uint8_t	*want;
		const char	*name;
	} cases[] = {
		{ example_machine_id, want_mid,
		    "HMAC-SHA256(machine ID, app ID) as a v4 UUID" },
		{ "0123456789abcdef0123456789abcdef", want_mid,
		    "the same without the newline" },
		{ NULL, want_host, "no machine-id, the host name is the key" },
		{ "0123456789ABCDEF0123456789ABCDEF\n", want_host,
		    "a machine-id not in lower-case hex, the host name" },
		{ "0123456789abcdef0123456789abcdef0\n", want_host,
		    "a machine-id too long, the host name" },
	};
	uint8_t			 id[LBNP_NODE_ID_LEN];
	char			 name[96];
	size_t			 i;

	for (i = 0; i < nitems(cases); i++) {
		lbnp_node_id(id, cases[i].machine_id, "web1");
		snprintf(name, sizeof(name), "NODE_ID: %s", cases[i].name);
		ok(memcmp(id, cases[i].want, sizeof(id)) == 0, name);
	}
}

static void
test_page(void)
{
	uint8_t		 enc[BUFSZ], page[BUFSZ];
	ssize_t		 ne, np;
	size_t		 i;
	char		 name[96];

	for (i = 0; i < NEXAMPLES; i++) {
		ne = encode_example(examples[i], enc, sizeof(enc));
		np = page_dump(examples[i], page, sizeof(page));
		snprintf(name, sizeof(name),
		    "lbnoded-protocol.7: %s example is the encoder's", examples[i]);
		ok(ne > 0 && np == ne && memcmp(enc, page, (size_t)ne) == 0,
		    name);
	}
}

int
main(int argc, char *argv[])
{
	uint8_t		 buf[BUFSZ];
	ssize_t		 n;
	size_t		 i;

	if (sodium_init() == -1)
		return 1;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
		if ((n = encode_example(argv[2], buf, sizeof(buf))) == -1)
			return 1;
		dump(buf, (size_t)n);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0)
		return write_corpus(argv[2]);

	test_roundtrip();
	test_encoder_bounds();
	test_malformed();
	test_malformed_config();
	test_tlv_bound();
	test_auth();
	test_keyed();
	test_eviction();
	test_node_id();
	test_page();
	return done_testing();
}
