/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl probe: a load balancer's QUERY to a node; prints the
 * REPORT or, with --keepalived, makes its exit status a keepalived
 * MISC_CHECK answer.
 */
#include <sys/types.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "lbnodectl.h"
#include "names.h"

#define PROBE_TIMEOUT	1	/* seconds per try */
/* keepalived misc_dynamic: exit 2 + weight, up to 255 */
#define KEEPALIVED_WEIGHT_MAX	253

static void
report_text(const struct lbnp_msg *m, const struct key_msg *key)
{
	const struct lbnp_node	*n = &m->node;
	char			 id[33], a[ADDR_STRLEN];

	lbnpctl_node_hex(n, id, sizeof(id));
	printf("hostname     ");
	lbnpctl_safe(stdout, n->hostname);
	printf("\nnode id      %s\n", id);
	if (n->addr4.af != 0)
		printf("address      %s\n", addr_str(&n->addr4, a, sizeof(a)));
	if (n->addr6.af != 0)
		printf("address6     %s\n", addr_str(&n->addr6, a, sizeof(a)));
	printf("server type  ");
	lbnpctl_safe(stdout, n->server_type);
	printf("\nadmin        %s\n", admin_name(n->admin));
	printf("weight       %u\n", n->weight);
	printf("busy         %u.%02u%%\n", n->busy_x100 / 100, n->busy_x100 % 100);
	printf("load         %u.%02u per CPU\n", n->loadavg_x100 / 100,
	    n->loadavg_x100 % 100);
	printf("memory used  %u.%02u%%\n", n->mem_used_x100 / 100,
	    n->mem_used_x100 % 100);
	printf("uptime       %llu s\n", (unsigned long long)n->uptime);
	printf("generation   %llu\n", (unsigned long long)m->generation);
	printf("signed       %s\n", !(m->flags & LBNP_F_AUTH) ? "no" :
	    key->len > 0 ? "yes, verified" : "yes, not verified (no key)");
}

/* What keepalived's MISC_CHECK with misc_dynamic makes of a REPORT. */
static int
keepalived_status(const struct lbnp_msg *m)
{
	uint32_t	 w = m->node.weight;

	switch (m->node.admin) {
	case ADMIN_READY:
		return 2 + (w > KEEPALIVED_WEIGHT_MAX ? KEEPALIVED_WEIGHT_MAX : w);
	case ADMIN_DRAIN:
		return 2;	/* weight 0: kept, but no new connections */
	default:
		return 1;	/* maint, or unknown: take it out */
	}
}

static const struct option probe_longopts[] = {
	{ "keepalived", no_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 }
};

int
cmd_probe(int argc, char *argv[])
{
	static const char	*synopsis = "probe [-j] [--keepalived] "
	    "[-k keyfile] [-p port] [-t timeout] node";
	static struct lbnp_msg	 req, resp;
	struct key_msg		 key;
	struct lbnpctl_opts	 o;
	int			 ch, keepalived = 0, r;

	lbnpctl_opts_init(&o, PROBE_TIMEOUT);
	optind = 0;
	while ((ch = getopt_long(argc, argv, "jk:p:t:", probe_longopts,
	    NULL)) != -1) {
		if (ch == 'K') {
			keepalived = 1;
			continue;
		}
		if ((r = lbnpctl_option(ch, optarg, &o)) == -1)
			return 1;
		if (r == 0)
			return ctl_usage(synopsis);
	}
	if (argc - optind != 1)
		return ctl_usage(synopsis);
	if (lbnpctl_init(o.keyfile, &key) == -1)
		return 1;
	req.type = LBNP_QUERY;
	if (lbnpctl_ask(argv[optind], &o, &key, &req, LBNP_REPORT, keepalived,
	    &resp) != 1)
		return 1;
	if (keepalived)
		return keepalived_status(&resp);
	if (o.json) {
		lbnpctl_node_json(stdout, &resp, argv[optind]);
		putchar('\n');
	} else
		report_text(&resp, &key);
	return 0;
}
