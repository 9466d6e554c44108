/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

size_t
addr_len(const struct lbn_addr *a)
{
	return a->af == AF_INET6 ? 16 : a->af == AF_INET ? 4 : 0;
}

/* "ADDR" or "ADDR/PLEN"; without a length the prefix is the whole address. */
int
addr_parse(const char *s, struct lbn_addr *a)
{
	char		 buf[ADDR_STRLEN], *slash, *end;
	unsigned long	 plen;
	int		 max;

	memset(a, 0, sizeof(*a));
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, &a->u.v4) == 1)
		a->af = AF_INET;
	else if (inet_pton(AF_INET6, buf, &a->u.v6) == 1)
		a->af = AF_INET6;
	else
		return -1;
	max = a->af == AF_INET ? 32 : 128;
	a->plen = max;
	if (slash == NULL)
		return 0;
	errno = 0;
	plen = strtoul(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || errno != 0 || plen > (unsigned)max)
		return -1;
	a->plen = plen;
	return 0;
}

const char *
addr_str(const struct lbn_addr *a, char *buf, size_t len)
{
	char	 ip[INET6_ADDRSTRLEN];
	int	 full = a->af == AF_INET ? 32 : 128;

	if (a->af != AF_INET && a->af != AF_INET6) {
		snprintf(buf, len, "none");
		return buf;
	}
	inet_ntop(a->af, &a->u, ip, sizeof(ip));
	if (a->plen == full)
		snprintf(buf, len, "%s", ip);
	else
		snprintf(buf, len, "%s/%u", ip, a->plen);
	return buf;
}

const char *
addr_or_null(const struct lbn_addr *a, char *buf, size_t len)
{
	return a->af == 0 ? NULL : addr_str(a, buf, len);
}

int
addr_eq(const struct lbn_addr *a, const struct lbn_addr *b)
{
	return a->af == b->af && memcmp(&a->u, &b->u, addr_len(a)) == 0;
}

/* Is a inside the prefix p? */
int
addr_in_prefix(const struct lbn_addr *a, const struct lbn_addr *p)
{
	unsigned int	 bits = p->plen, i;
	uint8_t		 mask;

	if (a->af != p->af)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a->u.raw[i] != p->u.raw[i])
			return 0;
	if (bits == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - bits));
	return (a->u.raw[i] & mask) == (p->u.raw[i] & mask);
}

static const char *
addr_unusable4(const struct lbn_addr *a)
{
	uint32_t	 h = ntohl(a->u.v4.s_addr);

	if (h == 0)
		return "unspecified address";
	if ((h >> 24) == 127)
		return "loopback address";
	if ((h >> 28) == 0xe)
		return "multicast address";
	if (h == 0xffffffff)
		return "broadcast address";
	if ((h >> 16) == 0xa9fe)
		return "link-local address";
	if ((h >> 28) == 0xf)
		return "reserved address";
	return NULL;
}

static const char *
addr_unusable6(const struct lbn_addr *a)
{
	const struct in6_addr	*v6 = &a->u.v6;

	if (IN6_IS_ADDR_UNSPECIFIED(v6))
		return "unspecified address";
	if (IN6_IS_ADDR_LOOPBACK(v6))
		return "loopback address";
	if (IN6_IS_ADDR_MULTICAST(v6))
		return "multicast address";
	if (IN6_IS_ADDR_LINKLOCAL(v6))
		return "link-local address";
	if (IN6_IS_ADDR_V4MAPPED(v6))
		return "IPv4-mapped address";
	return NULL;
}

const char *
addr_unusable(const struct lbn_addr *a)
{
	switch (a->af) {
	case AF_INET:
		return addr_unusable4(a);
	case AF_INET6:
		return addr_unusable6(a);
	default:
		return "bad address family";
	}
}

int
addr_from_sockaddr(const struct sockaddr *sa, struct lbn_addr *a)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(a, 0, sizeof(*a));
	switch (sa->sa_family) {
	case AF_INET:
		a->af = AF_INET;
		a->plen = 32;
		a->u.v4 = sin->sin_addr;
		return 0;
	case AF_INET6:
		/* An IPv4 peer on a dual-stack socket is an IPv4 peer. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			a->af = AF_INET;
			a->plen = 32;
			memcpy(&a->u.v4, &sin6->sin6_addr.s6_addr[12], 4);
			return 0;
		}
		a->af = AF_INET6;
		a->plen = 128;
		a->u.v6 = sin6->sin6_addr;
		return 0;
	default:
		return -1;
	}
}

socklen_t
addr_to_sockaddr(const struct lbn_addr *a, uint16_t port,
    struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->u.v4;
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	sin6->sin6_addr = a->u.v6;
	return sizeof(*sin6);
}

void
iface_get(const struct lbn_settings *s, struct iface_msg *ifp)
{
	memset(ifp, 0, sizeof(*ifp));
	snprintf(ifp->name, sizeof(ifp->name), "%.*s",
	    (int)sizeof(s->interface) - 1, s->interface);
	ifp->index = s->ifindex;
	ifp->addr = s->real_addr;
	ifp->addr6 = s->real_addr6;
	ifp->bcast = s->bcast;
}

void
iface_set(struct lbn_settings *s, const struct iface_msg *ifp)
{
	snprintf(s->interface, sizeof(s->interface), "%.*s",
	    (int)sizeof(ifp->name) - 1, ifp->name);
	s->ifindex = ifp->index;
	s->real_addr = ifp->addr;
	s->real_addr6 = ifp->addr6;
	s->bcast = ifp->bcast;
}
