/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * libFuzzer target for the LBNP/1 decoder and verifier: any input must
 * be refused cleanly or decoded into a message that encodes back to
 * the same bytes, whatever the TLV order, with unknown TLVs and
 * reserved bits aside.  Built by ./configure --enable-fuzz CC=clang;
 * tests/fuzz/run.sh runs it on the seed corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lbnp.h"

#define ENTRIES_MAX	(LBNP_BODY_MAX / (LBNP_TLV_HDR_LEN + 20))

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct dr_entry		 ents[ENTRIES_MAX], ents2[ENTRIES_MAX];
static struct lbnp_msg		 m, m2;
static struct lbnp_replay	 rc, rc_signed;
static uint8_t			 out[LBNP_DGRAM_MAX], out2[LBNP_DGRAM_MAX];

/* The key of the protocol page's examples, and a time in its window. */
static const uint8_t		 key[32] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    27, 28, 29, 30, 31 };
#define NOW_MS		1700000000000ULL

/*
 * Decoding what we encoded gives the same message: encode both and
 * compare the bytes, which covers every field the encoder writes.
 */
static void
check_roundtrip(void)
{
	ssize_t	 n, n2;

	if ((n = lbnp_encode(&m, out, sizeof(out), NULL)) == -1)
		return;		/* e.g. an entry of a family we cannot send */
	if (lbnp_decode(out, (size_t)n, &m2, ents2, ENTRIES_MAX) != 0)
		abort();
	if ((n2 = lbnp_encode(&m2, out2, sizeof(out2), NULL)) != n ||
	    memcmp(out, out2, (size_t)n) != 0)
		abort();
}

/*
 * Sign the message with a nonce from the input: the first copy passes
 * (or is a replay of an earlier input's), the second never does.  This
 * drives the replay cache through its expiry and eviction paths.
 */
static void
check_signed(const uint8_t *data, size_t size)
{
	struct lbnp_sign	 s = { key, sizeof(key), NOW_MS, { 0 } };
	ssize_t			 n;
	int			 r;

	memcpy(s.nonce, data, size < LBNP_NONCE_LEN ? size : LBNP_NONCE_LEN);
	if ((n = lbnp_encode(&m, out, sizeof(out), &s)) == -1)
		return;
	r = lbnp_verify(out, (size_t)n, key, sizeof(key), NOW_MS, &rc_signed);
	if (r != 0 && r != DROP_REPLAY && r != DROP_STALE)
		abort();
	r = lbnp_verify(out, (size_t)n, key, sizeof(key), NOW_MS, &rc_signed);
	if (r != DROP_REPLAY && r != DROP_STALE)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int	 r;

	if (sodium_init() == -1)
		abort();
	r = lbnp_decode(data, size, &m, ents, ENTRIES_MAX);
	if (r < 0 || r >= DROP_MAX)
		abort();
	if (r == 0) {
		check_roundtrip();
		check_signed(data, size);
	}
	/* A fixed clock: the corpus' signed examples stay fresh. */
	r = lbnp_verify(data, size, key, sizeof(key), NOW_MS, &rc);
	if (r != 0 && r != DROP_AUTH && r != DROP_STALE && r != DROP_REPLAY)
		abort();
	return 0;
}
