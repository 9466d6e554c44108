/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl push: a load balancer's CONFIG, the VIP-SPECs on the command
 * line, sent to a node; prints the CONFIG-ACK, entry by entry.
 */
#include <sys/types.h>

#include <netinet/in.h>
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "lbnodectl.h"
#include "names.h"

#define PUSH_TIMEOUT	5	/* applying rules takes longer than a probe */
#define PUSH_SPECS_MAX	1024	/* VIP-SPECs on one command line */

/* "ADDR" or "[ADDR]", a whole address. */
static int
spec_addr(const char *s, size_t len, struct lbn_addr *a)
{
	char	 buf[ADDR_STRLEN];

	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(buf) || memchr(s, '/', len) != NULL)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return addr_parse(buf, a);
}

static int
spec_port(const char *s, uint16_t *port)
{
	unsigned long long	 v;

	if (lbnpctl_number(s, 65535, &v) == -1 || v == 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int
spec_ports(char *s, struct dr_entry *e)
{
	char	*dash;

	if ((dash = strchr(s, '-')) != NULL)
		*dash++ = '\0';
	if (spec_port(s, &e->port_lo) == -1)
		return -1;
	e->port_hi = e->port_lo;
	return dash == NULL ? 0 : spec_port(dash, &e->port_hi);
}

/* ",loopback", ",dnat=ADDR", ",to=PORT", ",redirect" */
static int
spec_option(char *opt, struct dr_entry *e)
{
	if (strcmp(opt, "redirect") == 0)
		e->mode = MODE_REDIRECT;
	else if (strcmp(opt, "loopback") == 0)
		e->mode = MODE_LOOPBACK;
	else if (strncmp(opt, "dnat=", 5) == 0) {
		e->mode = MODE_DNAT;
		return spec_addr(opt + 5, strlen(opt + 5), &e->target);
	} else if (strncmp(opt, "to=", 3) == 0)
		return spec_port(opt + 3, &e->to_port);
	else
		return -1;
	return 0;
}

/*
 * PROTO:ADDR:PORT[-PORT][,OPTION...], e.g. tcp:192.0.2.10:8000-8099,
 * udp:[2001:db8::10]:53,loopback or tcp:192.0.2.20:80,dnat=192.0.2.100.
 * Only the syntax is checked here: what the node accepts is its own
 * decision, and it says why it refuses.
 */
static int
parse_spec(const char *spec, struct dr_entry *e)
{
	char	 buf[256], *s, *colon, *opts, *opt;

	memset(e, 0, sizeof(*e));
	if (strlen(spec) >= sizeof(buf))
		return -1;
	strcpy(buf, spec);
	if ((opts = strchr(buf, ',')) != NULL)
		*opts++ = '\0';
	if (strncmp(buf, "tcp:", 4) == 0)
		e->proto = IPPROTO_TCP;
	else if (strncmp(buf, "udp:", 4) == 0)
		e->proto = IPPROTO_UDP;
	else
		return -1;
	s = buf + 4;
	if ((colon = strrchr(s, ':')) == NULL ||
	    spec_addr(s, (size_t)(colon - s), &e->vip) == -1 ||
	    spec_ports(colon + 1, e) == -1)
		return -1;
	while ((opt = strsep(&opts, ",")) != NULL)
		if (spec_option(opt, e) == -1)
			return -1;
	if (e->target.af != 0 && e->target.af != e->vip.af)
		return -1;
	return 0;
}

/* A result's VIP-SPEC: its index is in the request. */
static const char *
result_spec(const struct lbnp_result *r, char **specs, size_t nspecs)
{
	return r->index < nspecs ? specs[r->index] : "?";
}

static void
ack_text(const struct lbnp_msg *m, char **specs, size_t nspecs)
{
	size_t	 i;

	printf("generation %llu: %s", (unsigned long long)m->generation,
	    lbnp_status_name(m->status));
	if (m->message[0] != '\0') {
		printf(": ");
		lbnpctl_safe(stdout, m->message);
	}
	putchar('\n');
	for (i = 0; i < m->nresults; i++) {
		printf("  %s: %s: ", result_spec(&m->results[i], specs, nspecs),
		    lbnp_status_name(m->results[i].status));
		lbnpctl_safe(stdout, m->results[i].reason);
		putchar('\n');
	}
	if (m->omitted > 0)
		printf("  and %u more entries refused\n", m->omitted);
	if (m->has_in_force)
		printf("entries in force: %u\n", m->in_force);
}

/* The fields of "ack" and "result" in lbnodectl(8), JSON OUTPUT. */
static void
ack_json(const struct lbnp_msg *m, char **specs, size_t nspecs)
{
	size_t	 i;

	printf("{\"generation\":%llu", (unsigned long long)m->generation);
	json_member_string(stdout, 0, "status", lbnp_status_name(m->status));
	json_member_string(stdout, 0, "message", m->message);
	if (m->has_in_force)
		printf(",\"in_force\":%u", m->in_force);
	else
		printf(",\"in_force\":null");
	printf(",\"omitted\":%u,\"results\":[", m->omitted);
	for (i = 0; i < m->nresults; i++) {
		printf("%s{\"index\":%u", i ? "," : "", m->results[i].index);
		json_member_string(stdout, 0, "spec",
		    result_spec(&m->results[i], specs, nspecs));
		json_member_string(stdout, 0, "status",
		    lbnp_status_name(m->results[i].status));
		json_member_string(stdout, 0, "reason", m->results[i].reason);
		putchar('}');
	}
	printf("]}\n");
}

int
cmd_push(int argc, char *argv[])
{
	static const char	*synopsis = "push [-j] [-k keyfile] [-p port] "
	    "[-g generation] [-t timeout] node [vip-spec ...]";
	static struct dr_entry	 ents[PUSH_SPECS_MAX];
	static struct lbnp_msg	 req, resp;
	struct key_msg		 key;
	struct lbnpctl_opts	 o;
	unsigned long long	 v;
	uint64_t		 generation = (uint64_t)time(NULL);
	size_t			 i, n;
	int			 ch, r;

	lbnpctl_opts_init(&o, PUSH_TIMEOUT);
	optind = 0;
	while ((ch = getopt(argc, argv, "g:jk:p:t:")) != -1) {
		if (ch == 'g') {
			if (lbnpctl_number(optarg, ULLONG_MAX, &v) == -1) {
				warnx("generation %s: invalid", optarg);
				return 1;
			}
			generation = v;
			continue;
		}
		if ((r = lbnpctl_option(ch, optarg, &o)) == -1)
			return 1;
		if (r == 0)
			return ctl_usage(synopsis);
	}
	if (argc - optind < 1)
		return ctl_usage(synopsis);
	n = (size_t)(argc - optind - 1);
	if (n > PUSH_SPECS_MAX) {
		warnx("more than %d vip-specs", PUSH_SPECS_MAX);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (parse_spec(argv[optind + 1 + i], &ents[i]) == -1) {
			warnx("%s: want PROTO:ADDR:PORT[-PORT][,loopback|"
			    ",dnat=ADDR][,to=PORT]", argv[optind + 1 + i]);
			return 1;
		}
	if (lbnpctl_init(o.keyfile, &key) == -1)
		return 1;
	req.type = LBNP_CONFIG;
	req.generation = generation;
	req.entries = ents;
	req.nentries = n;
	if (lbnpctl_ask(argv[optind], &o, &key, &req, LBNP_CONFIG_ACK, 0,
	    &resp) != 1)
		return 1;
	if (o.json)
		ack_json(&resp, argv + optind + 1, n);
	else
		ack_text(&resp, argv + optind + 1, n);
	return resp.status == LBNP_STATUS_OK ? 0 : 1;
}
