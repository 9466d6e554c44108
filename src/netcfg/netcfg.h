/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * netcfg: the process that changes the kernel's network configuration.
 * It keeps only CAP_NET_ADMIN, validates every DR request it is sent,
 * renders the nftables rules itself and applies each change as one
 * libnftables transaction, plus loopback addresses over rtnetlink.
 *
 * The pure parts (entry sets, validation, rendering) have no side
 * effects so the unit tests can call them directly.
 */
#ifndef NETCFG_H
#define NETCFG_H

#include <stddef.h>
#include <stdint.h>

#include "lbnoded.h"

/*
 * The IFA_PROTO value that marks a lo address as ours ('L'), so a
 * restarted netcfg finds what an earlier one added and leaves
 * addresses somebody else put on lo alone.  IFA_PROTO needs Linux 6.1.
 */
#define NETCFG_IFA_PROTO	0x4c
#ifndef IFA_PROTO
#define IFA_PROTO		11	/* linux/if_addr.h, since 6.1 */
#endif

/* Linux gives lo ifindex 1 in every network namespace. */
#define LOOPBACK_IFINDEX	1

/* Our tables, one name in three families; nothing else is touched. */
#define NETCFG_TABLE		"lbnoded"

/* A growable text buffer for rendered rules. */
struct textbuf {
	char		*s;
	size_t		 len;
	size_t		 cap;
};

void	 textbuf_reset(struct textbuf *);
void	 textbuf_free(struct textbuf *);
void	 textbuf_printf(struct textbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* entries.c: sorted, duplicate-free arrays of entries and addresses */
struct entryset {
	struct dr_entry	*e;
	size_t		 n;
	size_t		 cap;
};

struct addrset {
	struct lbn_addr	*a;
	size_t		 n;
	size_t		 cap;
};

void	 entry_normalize(struct dr_entry *);
int	 entry_cmp(const struct dr_entry *, const struct dr_entry *);
int	 entry_key_overlaps(const struct dr_entry *, const struct dr_entry *);
const char *entry_str(const struct dr_entry *, char *, size_t);
void	 entryset_add(struct entryset *, const struct dr_entry *);
void	 entryset_union(const struct entryset *, const struct entryset *,
	    struct entryset *);
void	 entryset_free(struct entryset *);
void	 addrset_add(struct addrset *, const struct lbn_addr *);
void	 addrset_sort(struct addrset *);
int	 addrset_has(const struct addrset *, const struct lbn_addr *);
void	 addrset_free(struct addrset *);
int	 lbn_addr_cmp(const struct lbn_addr *, const struct lbn_addr *);

/*
 * What the kernel should hold: the port-mapped entries (redirect and
 * dnat), one element each, and the loopback VIPs, one lo address and
 * one arp/ip6 set element each.  Both sorted.
 */
struct view {
	struct entryset	 ports;
	struct addrset	 lo;
};

/* A change between two views, in the same shape. */
struct viewdiff {
	struct view	 add;
	struct view	 del;
};

void	 view_build(const struct entryset *, struct view *);
void	 view_diff(const struct view *, const struct view *, struct viewdiff *);
void	 view_free(struct view *);
void	 viewdiff_free(struct viewdiff *);
void	 entryset_diff(const struct entryset *, const struct entryset *,
	    struct entryset *, struct entryset *);

/* validate.c */
struct rejects {
	struct dr_entry_result	*r;
	size_t			 n;
	size_t			 cap;
};

const char *validate_settings(const struct lbn_settings *);
int	 validate_request(const struct lbn_settings *, const struct dr_begin *,
	    const struct dr_entry *, size_t, const struct entryset *,
	    const struct addrset *, struct entryset *, struct rejects *,
	    char *, size_t);
void	 rejects_free(struct rejects *);

/* render.c: nft text, from validated structs only */
int	 entry_is_range(const struct dr_entry *);
void	 render_full(struct textbuf *, const struct lbn_settings *,
	    const struct view *);
void	 render_diff(struct textbuf *, const struct viewdiff *);
void	 render_remove(struct textbuf *);

/* nft.c; after NFT_IDLE_MS without a request netcfg calls nft_idle() */
#define NFT_IDLE_MS	100
void	 nft_init(void);
int	 nft_apply(const char *, char *, size_t);
int	 nft_holding(void);
void	 nft_idle(void);

/* rtnl.c */
void	 rtnl_init(void);
int	 rtnl_dump_addrs(struct addrset *, struct addrset *);
int	 rtnl_lo_change(int, const struct addrset *, uint8_t *, char *, size_t);

/* seccomp.c */
struct sandbox_rule;
const struct sandbox_rule *netcfg_seccomp_rules(size_t *);
void	 netcfg_seccomp(void);

/* apply.c: one request, validated, applied, audited */
void	 apply_settings(const struct lbn_settings *);
void	 apply_request(const struct dr_begin *, const struct dr_entry *,
	    size_t, struct dr_result *, struct rejects *);
void	 apply_remove_all(struct dr_result *);

#endif /* NETCFG_H */
