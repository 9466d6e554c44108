/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Which load balancers may ask us, and which ones did.  The table of
 * LBs seen is bounded: when it is full the one silent longest makes
 * room, so a flood of sources cannot push out the LBs that keep asking
 * for long.
 */
#include <sys/socket.h>

#include <string.h>
#include <time.h>

#include "addr.h"
#include "reporter.h"

/* An empty allowlist allows every source. */
int
lb_allowed(const struct sockaddr *sa)
{
	struct lbn_addr	 a;
	size_t		 i;

	if (rep->conf.nlb == 0)
		return 1;
	if (addr_from_sockaddr(sa, &a) == -1)
		return 0;
	for (i = 0; i < rep->conf.nlb && i < LB_MAX; i++)
		if (addr_in_prefix(&a, &rep->conf.lb[i]))
			return 1;
	return 0;
}

/* Does an lb line name this address alone, not as part of a prefix? */
int
lb_named(const struct lbn_addr *a)
{
	size_t	 i;

	for (i = 0; i < rep->conf.nlb && i < LB_MAX; i++)
		if (rep->conf.lb[i].plen == addr_len(a) * 8 &&
		    addr_eq(&rep->conf.lb[i], a))
			return 1;
	return 0;
}

/* The entry of this LB, or a cleared one for it. */
static struct ctl_lb *
lb_slot(const struct lbn_addr *a)
{
	struct ctl_lb	*lb;
	size_t		 i;

	for (i = 0; i < rep->nlbs; i++)
		if (addr_eq(&rep->lbs[i].addr, a))
			return &rep->lbs[i];
	if (rep->nlbs < CTL_LB_MAX)
		lb = &rep->lbs[rep->nlbs++];
	else
		for (lb = &rep->lbs[0], i = 1; i < rep->nlbs; i++)
			if (rep->lbs[i].last_seen < lb->last_seen)
				lb = &rep->lbs[i];
	memset(lb, 0, sizeof(*lb));
	return lb;
}

void
lb_seen(const struct sockaddr *sa)
{
	struct lbn_addr	 a;
	struct ctl_lb	*lb;

	if (addr_from_sockaddr(sa, &a) == -1)
		return;
	lb = lb_slot(&a);
	lb->addr = a;
	lb->last_seen = (uint64_t)time(NULL);
	lb->queries++;
}
