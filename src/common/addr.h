/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/* Address helpers shared by the config parser, netcfg, reporter and lbnodectl. */
#ifndef ADDR_H
#define ADDR_H

#include <sys/socket.h>
#include <stddef.h>

#include "lbnoded.h"

#define ADDR_STRLEN	48	/* "ffff:...:ffff/128" and a NUL */

/* Why an address cannot be a VIP or a dnat target, or NULL. */
const char	*addr_unusable(const struct lbn_addr *);
int		 addr_parse(const char *, struct lbn_addr *);
const char	*addr_str(const struct lbn_addr *, char *, size_t);
const char	*addr_or_null(const struct lbn_addr *, char *, size_t);	/* NULL: af 0 */
int		 addr_eq(const struct lbn_addr *, const struct lbn_addr *);
int		 addr_in_prefix(const struct lbn_addr *, const struct lbn_addr *);
int		 addr_from_sockaddr(const struct sockaddr *, struct lbn_addr *);
socklen_t	 addr_to_sockaddr(const struct lbn_addr *, uint16_t,
		    struct sockaddr_storage *);
size_t		 addr_len(const struct lbn_addr *);

/* The interface fields of the settings, as one iface_msg and back. */
void		 iface_get(const struct lbn_settings *, struct iface_msg *);
void		 iface_set(struct lbn_settings *, const struct iface_msg *);

#endif /* ADDR_H */
