/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * LBNP/1: the UDP protocol between a node and its load balancers.
 * man/lbnoded-protocol.7 is the specification; this is its codec.
 *
 * A datagram is a 16-byte header, a body of TLVs and, when the AUTH
 * flag is set, a 48-byte trailer: timestamp, nonce and an HMAC-SHA256
 * of everything before the HMAC.  All integers are big-endian.
 */
#ifndef LBNP_H
#define LBNP_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "lbnoded.h"

#define LBNP_MAGIC		"LBNP"
#define LBNP_VERSION		1
#define LBNP_HDR_LEN		16
#define LBNP_TS_LEN		8
#define LBNP_NONCE_LEN		8
#define LBNP_MAC_LEN		32
#define LBNP_TRAILER_LEN	(LBNP_TS_LEN + LBNP_NONCE_LEN + LBNP_MAC_LEN)
#define LBNP_TLV_HDR_LEN	4
/* The largest UDP payload over IPv4; receivers read into a larger buffer. */
#define LBNP_DGRAM_MAX		65507
#define LBNP_BODY_MAX		(LBNP_DGRAM_MAX - LBNP_HDR_LEN - LBNP_TRAILER_LEN)
#define LBNP_TLVS_MAX		4096	/* per message, unknown ones included */
#define LBNP_WINDOW_MS		30000	/* accepted clock difference, each way */
#define LBNP_REPLAY_SLOTS	4096
#define LBNP_RESULTS_MAX	64	/* entry results in one CONFIG-ACK */
#define LBNP_NODE_ID_LEN	16

/* Header flags. */
#define LBNP_F_AUTH		0x0001

enum lbnp_type {
	LBNP_ANNOUNCE = 1,	/* node -> LB */
	LBNP_QUERY,		/* LB -> node */
	LBNP_REPORT,		/* node -> LB, answers a QUERY */
	LBNP_CONFIG,		/* LB -> node, the desired VIP set */
	LBNP_CONFIG_ACK,	/* node -> LB, answers a CONFIG */
	LBNP_TYPE_MAX
};

enum lbnp_tlv {
	LBNP_T_NODE_ID = 1,	/* 16 bytes */
	LBNP_T_HOSTNAME,	/* 1-63 bytes, no NUL */
	LBNP_T_ADDR4,		/* 4 bytes */
	LBNP_T_ADDR6,		/* 16 bytes */
	LBNP_T_SERVER_TYPE,	/* 1-15 bytes, no NUL */
	LBNP_T_BUSY,		/* u32, CPU busy %, x100 */
	LBNP_T_WEIGHT,		/* u32 */
	LBNP_T_ADMIN,		/* u8, enum admin_state */
	LBNP_T_LOADAVG,		/* u32, 1-min load average per CPU, x100 */
	LBNP_T_MEMORY,		/* u32, memory used %, x100 */
	LBNP_T_UPTIME,		/* u64, seconds */
	LBNP_T_GENERATION,	/* u64 */
	LBNP_T_REASON,		/* u8, enum lbnp_reason */
	LBNP_T_VIP = 16,	/* 20 or 44 bytes, see lbnp_vip_len() */
	LBNP_T_STATUS = 32,	/* u8, enum lbnp_status */
	LBNP_T_MESSAGE,		/* 0-127 bytes, no NUL */
	LBNP_T_RESULT,		/* u32 index, u8 status, 3 pad, 0-95 bytes */
	LBNP_T_IN_FORCE,	/* u32 */
	LBNP_T_OMITTED,		/* u32, entry results left out */
	LBNP_T_MAX
};

/* Why a node sends an ANNOUNCE. */
enum lbnp_reason {
	LBNP_REASON_START,
	LBNP_REASON_PERIODIC,
	LBNP_REASON_CHANGE,
	LBNP_REASON_STOP
};

/* A CONFIG-ACK's status: enum dr_status, and one more. */
enum lbnp_status {
	LBNP_STATUS_OK = DR_OK,
	LBNP_STATUS_REJECTED = DR_REJECTED,
	LBNP_STATUS_FAILED = DR_FAILED,
	LBNP_STATUS_BUSY		/* another CONFIG is being applied */
};

/* What a node says about itself in an ANNOUNCE or a REPORT. */
struct lbnp_node {
	uint8_t		 node_id[LBNP_NODE_ID_LEN];
	char		 hostname[NAME_MAX_LEN];
	char		 server_type[16];
	struct lbn_addr	 addr4;			/* af 0: not sent */
	struct lbn_addr	 addr6;
	uint32_t	 busy_x100;
	uint32_t	 weight;
	uint32_t	 loadavg_x100;
	uint32_t	 mem_used_x100;
	uint64_t	 uptime;
	uint8_t		 admin;			/* enum admin_state */
	uint8_t		 reason;		/* ANNOUNCE only */
};

struct lbnp_result {
	uint32_t	 index;
	uint8_t		 status;
	char		 reason[96];
};

/*
 * A message, decoded or to encode.  Which fields matter depends on the
 * type; the encoder writes the TLVs of that type only.
 */
struct lbnp_msg {
	uint8_t			 type;		/* enum lbnp_type */
	uint16_t		 flags;
	uint32_t		 seq;
	uint64_t		 ts_ms;		/* AUTH: sender's clock */
	uint8_t			 nonce[LBNP_NONCE_LEN];
	struct lbnp_node	 node;		/* ANNOUNCE, REPORT */
	uint64_t		 generation;	/* all but QUERY */
	uint8_t			 status;	/* CONFIG-ACK */
	uint8_t			 has_in_force;	/* in_force is known */
	uint32_t		 in_force;
	uint32_t		 omitted;
	char			 message[128];
	struct lbnp_result	 results[LBNP_RESULTS_MAX];
	size_t			 nresults;
	struct dr_entry		*entries;	/* CONFIG: the caller's array */
	size_t			 nentries;
};

/* Signing parameters: the key, and this message's timestamp and nonce. */
struct lbnp_sign {
	const uint8_t	*key;
	size_t		 keylen;
	uint64_t	 ts_ms;
	uint8_t		 nonce[LBNP_NONCE_LEN];
};

/*
 * The (timestamp, nonce) pairs of the authenticated packets accepted
 * in the last window, oldest first in a ring, and chained by hash so
 * a lookup does not walk the whole window.  Every packet at or below
 * floor is refused: the ones evicted to make room are all at or below
 * it.  Slot and bucket links hold index + 1; 0 ends a chain.
 */
struct lbnp_replay {
	struct {
		uint64_t	 ts_ms;
		uint8_t		 nonce[LBNP_NONCE_LEN];
		uint16_t	 next;
	}		 slot[LBNP_REPLAY_SLOTS];
	uint16_t	 bucket[LBNP_REPLAY_SLOTS];
	size_t		 head;
	size_t		 count;
	size_t		 cap;		/* 0 means LBNP_REPLAY_SLOTS */
	uint64_t	 floor_ms;
};

/*
 * A key made ready for HMAC-SHA256: its inner and outer blocks are
 * hashed once here, not again for every message a receiver checks.
 */
struct lbnp_key {
	crypto_auth_hmacsha256_state	 st;
};

/* Returns DROP_NONE (0), or the enum drop_reason the packet is dropped for. */
int	 lbnp_decode(const uint8_t *, size_t, struct lbnp_msg *,
	    struct dr_entry *, size_t);
int	 lbnp_verify(const uint8_t *, size_t, const uint8_t *, size_t,
	    uint64_t, struct lbnp_replay *);
int	 lbnp_verify_keyed(const uint8_t *, size_t, const struct lbnp_key *,
	    uint64_t, struct lbnp_replay *);
void	 lbnp_key_init(struct lbnp_key *, const uint8_t *, size_t);
void	 lbnp_key_clear(struct lbnp_key *);

/* Returns the datagram's length, or -1 if it does not fit. */
ssize_t	 lbnp_encode(const struct lbnp_msg *, uint8_t *, size_t,
	    const struct lbnp_sign *);

size_t	 lbnp_vip_len(uint8_t);
uint64_t lbnp_now_ms(void);
void	 lbnp_node_id(uint8_t [LBNP_NODE_ID_LEN], const char *,
	    const char *);
void	 lbnp_sign_init(struct lbnp_sign *, const uint8_t *, size_t);

const char	*lbnp_type_name(unsigned int);
const char	*lbnp_reason_name(unsigned int);
const char	*lbnp_status_name(unsigned int);

#endif /* LBNP_H */
