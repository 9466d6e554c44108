/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Print a parsed configuration in its one canonical spelling: every
 * option in a fixed order, defaults included, so "lbnoded -nv" shows
 * what the daemon will run with.  The output parses back to itself.
 * An option that is unset ("none") is printed as a comment.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "monitor.h"
#include "names.h"

static const char *const weight_sources[] = {
	[WEIGHT_CPU] = "cpu",
	[WEIGHT_LOADAVG] = "loadavg",
	[WEIGHT_MEMORY] = "memory",
	[WEIGHT_MAX_OF] = "max",
	[WEIGHT_SATURATION] = "saturation",
};

/* A quoted string, with the two characters the lexer unescapes. */
static void
print_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
print_option(FILE *fp, const char *keyword, const char *value)
{
	fprintf(fp, "%s ", keyword);
	print_string(fp, value);
	fputc('\n', fp);
}

static void
print_port_or_off(FILE *fp, const char *keyword, uint16_t port)
{
	if (port == 0)
		fprintf(fp, "%s off\n", keyword);
	else
		fprintf(fp, "%s port %u\n", keyword, port);
}

static void
print_range(FILE *fp, uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		fprintf(fp, "%u", lo);
	else
		fprintf(fp, "%u-%u", lo, hi);
}

static void
print_service_ports(FILE *fp, const struct lbn_settings *s)
{
	unsigned int	 i;

	if (s->nservice == 0) {
		fprintf(fp, "# service port: the tcp ports of the vip blocks\n");
		return;
	}
	fprintf(fp, "service port {");
	for (i = 0; i < s->nservice && i < SERVICE_PORTS_MAX; i++) {
		fputc(' ', fp);
		print_range(fp, s->service[i].lo, s->service[i].hi);
	}
	fprintf(fp, " }\n");
}

static void
print_settings(FILE *fp, const struct lbn_settings *s)
{
	char		 buf[ADDR_STRLEN];
	unsigned int	 i;

	if (s->interface[0] != '\0')
		print_option(fp, "interface", s->interface);
	else
		fprintf(fp, "# interface: the default route's\n");
	fprintf(fp, "port %u\n", s->port);
	print_option(fp, "user", s->user);
	print_option(fp, "chroot", s->chroot);
	for (i = 0; i < s->nlb && i < LB_MAX; i++)
		fprintf(fp, "lb %s\n", addr_str(&s->lb[i], buf, sizeof(buf)));
	if (s->nlb == 0)
		fprintf(fp, "# lb: any address\n");
	if (s->keyfile[0] != '\0')
		print_option(fp, "key file", s->keyfile);
	else
		fprintf(fp, "# key file: none, LBNP is not authenticated\n");
	if (s->sample_ms % 1000 == 0)
		fprintf(fp, "sample every %u\n", s->sample_ms / 1000);
	else
		fprintf(fp, "sample every %ums\n", s->sample_ms);
	if (strcmp(s->cgroup, "auto") == 0)
		fprintf(fp, "sample cgroup auto\n");
	else if (s->cgroup[0] != '\0')
		print_option(fp, "sample cgroup", s->cgroup);
	else
		fprintf(fp, "# sample cgroup: none, the whole system "
		    "from /proc/stat\n");
	fprintf(fp, "smooth %u\n", s->smooth);
	fprintf(fp, "weight min %u max %u\n", s->weight_min, s->weight_max);
	fprintf(fp, "weight from %s\n",
	    s->weight_from <= WEIGHT_SATURATION ?
	    weight_sources[s->weight_from] : "cpu");
	if (s->weight_capacity == CAPACITY_OFF)
		fprintf(fp, "weight capacity off\n");
	else
		fprintf(fp, "weight capacity %s full %u.%03u\n",
		    s->weight_capacity == CAPACITY_MEASURED ? "measured" :
		    "quota", s->capacity_full / 1000, s->capacity_full % 1000);
	print_service_ports(fp, s);
	if (s->announce_every == 0)
		fprintf(fp, "announce off\n");
	else
		fprintf(fp, "announce every %u\n", s->announce_every);
	print_port_or_off(fp, "agent", s->agent_port);
	print_port_or_off(fp, "http", s->http_port);
	print_option(fp, "control socket", s->ctlsock);
	print_option(fp, "state file", s->statefile);
	fprintf(fp, "on exit %s\n", s->on_exit == EXIT_KEEP ? "keep" : "remove");
}

static void
print_mode(FILE *fp, const struct dr_entry *e)
{
	char	 buf[ADDR_STRLEN];

	switch (e->mode) {
	case MODE_DNAT:
		fprintf(fp, "\tmode dnat %s\n",
		    addr_str(&e->target, buf, sizeof(buf)));
		break;
	case MODE_LOOPBACK:
		fprintf(fp, "\tmode loopback\n");
		break;
	case MODE_TUNNEL:
		if (e->encap == ENCAP_GUE)
			fprintf(fp, "\tmode tunnel encap gue port %u\n",
			    e->encap_port);
		else
			fprintf(fp, "\tmode tunnel encap ipip\n");
		break;
	default:
		fprintf(fp, "\tmode redirect\n");
		break;
	}
}

/* One block per run of entries with the same VIP, one line per port range. */
static void
print_vips(FILE *fp, const struct dr_entry *entries, size_t n)
{
	const struct dr_entry	*e;
	char			 buf[ADDR_STRLEN];
	size_t			 i;

	for (i = 0; i < n; i++) {
		e = &entries[i];
		if (i == 0 || !addr_eq(&e->vip, &entries[i - 1].vip)) {
			fprintf(fp, "\nvip %s {\n",
			    addr_str(&e->vip, buf, sizeof(buf)));
			print_mode(fp, e);
		}
		if (e->proto != 0) {
			fprintf(fp, "\t%s port ", proto_name(e->proto));
			print_range(fp, e->port_lo, e->port_hi);
			if (e->to_port != 0)
				fprintf(fp, " to %u", e->to_port);
			fputc('\n', fp);
		}
		if (i + 1 == n || !addr_eq(&e->vip, &entries[i + 1].vip))
			fprintf(fp, "}\n");
	}
}

static void
print_accept(FILE *fp, const struct accept_rule *r)
{
	char		 buf[ADDR_STRLEN];
	unsigned int	 i, n = r->nports;

	if (n > sizeof(r->ports) / sizeof(r->ports[0]))
		n = sizeof(r->ports) / sizeof(r->ports[0]);
	fprintf(fp, "accept vip %s", addr_str(&r->prefix, buf, sizeof(buf)));
	if (r->proto != 0)
		fprintf(fp, " %s", proto_name(r->proto));
	if (n > 0)
		fprintf(fp, " port %s", n > 1 ? "{ " : "");
	for (i = 0; i < n; i++) {
		if (i > 0)
			fprintf(fp, ", ");
		print_range(fp, r->ports[i].lo, r->ports[i].hi);
	}
	if (n > 1)
		fprintf(fp, " }");
	if (r->max != 0)
		fprintf(fp, " max %u", r->max);
	fputc('\n', fp);
}

void
print_config(FILE *fp, const struct lbn_conf *conf)
{
	unsigned int	 i;

	print_settings(fp, &conf->s);
	print_vips(fp, conf->entries, conf->nentries);
	if (conf->s.naccept > 0)
		fputc('\n', fp);
	for (i = 0; i < conf->s.naccept && i < ACCEPT_MAX; i++)
		print_accept(fp, &conf->s.accept[i]);
}
