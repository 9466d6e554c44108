/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl status and show vips | lbs: what the daemon reports.
 * Output is text for people or, with -j, JSON for scripts; it is built
 * in memory and printed only once the answer is complete, so a failure
 * never leaves half a JSON document.
 */
#include <sys/types.h>

#include <err.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lbnoded.h"
#include "addr.h"
#include "imsg.h"
#include "lbnodectl.h"
#include "names.h"

/* Output in memory until the answer is known to be complete. */
struct out {
	FILE		*f;
	char		*buf;
	size_t		 len;
};

static void
out_open(struct out *o)
{
	if ((o->f = open_memstream(&o->buf, &o->len)) == NULL)
		err(1, "open_memstream");
}

/* Print it when ok, drop it otherwise; ok comes back. */
static int
out_close(struct out *o, int ok)
{
	if (fclose(o->f) != 0)
		err(1, "output");
	if (ok && (fwrite(o->buf, 1, o->len, stdout) != o->len ||
	    fflush(stdout) != 0))
		err(1, "stdout");
	free(o->buf);
	return ok;
}

/*
 * Send one request and wait for its answer; a FAIL is printed here.
 * Returns 0 when the daemon answered without failing.
 */
static int
request(uint32_t type, const void *data, size_t len,
    int (*cb)(struct imsg *, void *), void *arg)
{
	struct ctl_answer	 ans;

	memset(&ans, 0, sizeof(ans));
	ans.cb = cb;
	ans.arg = arg;
	if (ctl_request(type, data, len, &ans) == -1)
		return -1;
	if (ans.fail[0] != '\0') {
		warnx("%s", ans.fail);
		return -1;
	}
	return 0;
}

/* --- load balancers --- */

struct lb_list {
	struct ctl_lb		 lb[CTL_LB_MAX];
	size_t			 n;
};

static int
lb_add(struct imsg *imsg, void *arg)
{
	struct lb_list	*l = arg;

	if (imsg_get_type(imsg) != IMSG_REP_LB || l->n == nitems(l->lb) ||
	    imsg_get_data(imsg, &l->lb[l->n], sizeof(l->lb[0])) == -1)
		return -1;
	l->n++;
	return 0;
}

static int
lbs_fetch(struct lb_list *l)
{
	l->n = 0;
	return request(IMSG_CTL_SHOW_LBS, NULL, 0, lb_add, l);
}

static void
lbs_print(FILE *f, const struct lb_list *l, const char *indent)
{
	char		 a[ADDR_STRLEN];
	time_t		 now = time(NULL);
	long long	 ago;
	size_t		 i;

	for (i = 0; i < l->n; i++) {
		addr_str(&l->lb[i].addr, a, sizeof(a));
		ago = (long long)now - (long long)l->lb[i].last_seen;
		fprintf(f, "%s%-39s ", indent, a);
		if (l->lb[i].last_seen == 0)
			fprintf(f, "never seen");
		else
			fprintf(f, "last contact %lld s ago", ago < 0 ? 0 : ago);
		fprintf(f, ", %llu queries\n",
		    (unsigned long long)l->lb[i].queries);
	}
}

/* The fields of "lb" in lbnodectl(8), JSON OUTPUT. */
static void
lbs_json(FILE *f, const struct lb_list *l)
{
	char		 a[ADDR_STRLEN];
	time_t		 now = time(NULL);
	long long	 ago;
	size_t		 i;

	fputc('[', f);
	for (i = 0; i < l->n; i++) {
		addr_str(&l->lb[i].addr, a, sizeof(a));
		fputs(i ? ",{" : "{", f);
		json_member_string(f, 1, "address", a);
		ago = (long long)now - (long long)l->lb[i].last_seen;
		if (l->lb[i].last_seen == 0)
			fprintf(f, ",\"last_seen_unix_s\":null,"
			    "\"last_seen_ago_s\":null");
		else
			fprintf(f, ",\"last_seen_unix_s\":%llu,"
			    "\"last_seen_ago_s\":%lld",
			    (unsigned long long)l->lb[i].last_seen,
			    ago < 0 ? 0 : ago);
		fprintf(f, ",\"queries\":%llu}",
		    (unsigned long long)l->lb[i].queries);
	}
	fputc(']', f);
}

/* --- status --- */

struct status_answer {
	struct ctl_status	 st;
	int			 got;
};

static int
status_add(struct imsg *imsg, void *arg)
{
	struct status_answer	*sa = arg;

	if (imsg_get_type(imsg) != IMSG_REP_STATUS || sa->got ||
	    imsg_get_data(imsg, &sa->st, sizeof(sa->st)) == -1)
		return -1;
	sa->got = 1;
	return 0;
}

static void
print_uptime(FILE *f, uint64_t s)
{
	if (s >= 86400)
		fprintf(f, "%llud ", (unsigned long long)(s / 86400));
	fprintf(f, "%02u:%02u:%02u", (unsigned)(s % 86400 / 3600),
	    (unsigned)(s % 3600 / 60), (unsigned)(s % 60));
}

/* "eth0, 192.0.2.2, 2001:db8::2", or why there is no address to report. */
static void
iface_print(FILE *f, const struct iface_msg *ifp)
{
	char	 a[ADDR_STRLEN];

	if (ifp->name[0] == '\0') {
		fprintf(f, "none (no default route)\n");
		return;
	}
	fprintf(f, "%s", ifp->name);
	if (ifp->index == 0)
		fprintf(f, ", not found\n");
	else if (ifp->addr.af == 0 && ifp->addr6.af == 0)
		fprintf(f, ", no usable address\n");
	else {
		if (ifp->addr.af != 0)
			fprintf(f, ", %s", addr_str(&ifp->addr, a, sizeof(a)));
		if (ifp->addr6.af != 0)
			fprintf(f, ", %s", addr_str(&ifp->addr6, a, sizeof(a)));
		fputc('\n', f);
	}
}

static void
iface_json(FILE *f, const struct iface_msg *ifp)
{
	char	 a[ADDR_STRLEN];

	fputc('{', f);
	json_member_string(f, 1, "name", ifp->name[0] != '\0' ? ifp->name :
	    NULL);
	fprintf(f, ",\"index\":%u", ifp->index);
	json_member_string(f, 0, "address", addr_or_null(&ifp->addr, a,
	    sizeof(a)));
	json_member_string(f, 0, "address6", addr_or_null(&ifp->addr6, a,
	    sizeof(a)));
	json_member_string(f, 0, "broadcast", addr_or_null(&ifp->bcast, a,
	    sizeof(a)));
	fprintf(f, ",\"usable\":%s}", ifp->addr.af != 0 ||
	    ifp->addr6.af != 0 ? "true" : "false");
}

/* The signals missing, comma-separated, or "none". */
static void
print_missing(FILE *f, uint32_t missing, const char *quote)
{
	const char	*sep = "";
	size_t		 i;

	for (i = 0; i < SIGNAL_MAX; i++)
		if (missing & (1U << i)) {
			fprintf(f, "%s%s%s%s", sep, quote, signal_name(i), quote);
			sep = ",";
		}
	if (*sep == '\0' && *quote == '\0')
		fprintf(f, "none");
}

/* "weight from saturation": saturation_x100 is never 0 there. */
static void
status_print_signals(FILE *f, const struct ctl_status *st)
{
	if (st->saturation_x100 == 0)
		return;
	fprintf(f, "saturation:     P ");
	print_x100(f, st->saturation_x100);
	fprintf(f, " %%, capacity ");
	print_x100(f, st->capacity_x100);
	fprintf(f, " %%\ncpu stall:      ");
	print_x100(f, st->stall_x100);
	fprintf(f, " %%, throttled ");
	print_x100(f, st->throttled_x100);
	fprintf(f, " %%\nservice ports:  %u queued, %u established, ",
	    st->queued, st->established);
	print_x100(f, st->completions_x100);
	fprintf(f, " completions/s, delay %u.%03u ms\nsignals missing: ",
	    st->delay_us / 1000, st->delay_us % 1000);
	print_missing(f, st->signals_missing, "");
	fputc('\n', f);
}

/* ,"name":12.34, or ,"name":null when the figure does not apply */
static void
json_x100_or_null(FILE *f, const char *name, int applies, uint32_t v)
{
	fprintf(f, ",\"%s\":", name);
	if (applies)
		print_x100(f, v);
	else
		fputs("null", f);
}

/* ,"name":N, or ,"name":null */
static void
json_u32_or_null(FILE *f, const char *name, int applies, uint32_t v)
{
	if (applies)
		fprintf(f, ",\"%s\":%u", name, v);
	else
		fprintf(f, ",\"%s\":null", name);
}

/* Every member on every status; null but under "weight from saturation". */
static void
status_json_signals(FILE *f, const struct ctl_status *st)
{
	int	 sat = st->saturation_x100 != 0;

	json_x100_or_null(f, "saturation_pct", sat, st->saturation_x100);
	json_x100_or_null(f, "capacity_pct", sat, st->capacity_x100);
	json_x100_or_null(f, "cpu_stall_pct", sat, st->stall_x100);
	json_x100_or_null(f, "throttled_pct", sat, st->throttled_x100);
	json_u32_or_null(f, "queued", sat, st->queued);
	json_u32_or_null(f, "established", sat, st->established);
	json_x100_or_null(f, "completions_per_s", sat, st->completions_x100);
	json_u32_or_null(f, "delay_us", sat, st->delay_us);
	if (!sat) {
		fprintf(f, ",\"signals_missing\":null");
		return;
	}
	fprintf(f, ",\"signals_missing\":[");
	print_missing(f, st->signals_missing, "\"");
	fputc(']', f);
}

static void
status_print(FILE *f, const struct ctl_status *st, const struct lb_list *l)
{
	size_t	 i;

	fprintf(f, "admin state:    %s\n",
	    admin_name(st->admin));
	fprintf(f, "weight:         %u\n", st->weight);
	fprintf(f, "interface:      ");
	iface_print(f, &st->iface);
	fprintf(f, "cpu busy:       ");
	print_x100(f, st->busy_pct_x100);
	fprintf(f, " %%\nload per cpu:   ");
	print_x100(f, st->loadavg_x100);
	fprintf(f, "\nmemory used:    ");
	print_x100(f, st->mem_used_pct_x100);
	fprintf(f, " %%\n");
	status_print_signals(f, st);
	fprintf(f, "uptime:         ");
	print_uptime(f, st->uptime);
	fprintf(f, "\ngeneration:     %llu\n",
	    (unsigned long long)st->generation);
	fprintf(f, "lbnp packets:   rx %llu, tx %llu\n",
	    (unsigned long long)st->rx_packets,
	    (unsigned long long)st->tx_packets);
	fprintf(f, "agent queries:  %llu\n",
	    (unsigned long long)st->agent_queries);
	fprintf(f, "http queries:   %llu\n",
	    (unsigned long long)st->http_queries);
	fprintf(f, "dropped:        ");
	for (i = DROP_NONE + 1; i < DROP_MAX; i++)
		fprintf(f, "%s%s %llu", i > DROP_NONE + 1 ? ", " : "",
		    drop_name(i), (unsigned long long)st->dropped[i]);
	fprintf(f, "\nrestarts:      ");
	for (i = PROC_MONITOR + 1; i < PROC_MAX; i++)
		fprintf(f, "%s %s %u", i > PROC_MONITOR + 1 ? "," : "",
		    proc_name(i), st->restarts[i]);
	fprintf(f, "\nload balancers: %zu\n", l->n);
	lbs_print(f, l, "  ");
}

/* The fields of "status" in lbnodectl(8), JSON OUTPUT. */
static void
status_json(FILE *f, const struct ctl_status *st, const struct lb_list *l)
{
	size_t	 i;

	fputc('{', f);
	json_member_string(f, 1, "admin", admin_name(st->admin));
	fprintf(f, ",\"weight\":%u,\"interface\":", st->weight);
	iface_json(f, &st->iface);
	json_load(f, st->busy_pct_x100, st->loadavg_x100,
	    st->mem_used_pct_x100);
	status_json_signals(f, st);
	fprintf(f, ",\"daemon_uptime_s\":%llu,\"generation\":%llu,"
	    "\"rx_packets\":%llu,\"tx_packets\":%llu,"
	    "\"agent_queries\":%llu,\"http_queries\":%llu,\"dropped\":{",
	    (unsigned long long)st->uptime,
	    (unsigned long long)st->generation,
	    (unsigned long long)st->rx_packets,
	    (unsigned long long)st->tx_packets,
	    (unsigned long long)st->agent_queries,
	    (unsigned long long)st->http_queries);
	for (i = DROP_NONE + 1; i < DROP_MAX; i++)
		fprintf(f, "%s\"%s\":%llu", i > DROP_NONE + 1 ? "," : "",
		    drop_name(i), (unsigned long long)st->dropped[i]);
	fprintf(f, "},\"restarts\":{");
	for (i = PROC_MONITOR + 1; i < PROC_MAX; i++)
		fprintf(f, "%s\"%s\":%u", i > PROC_MONITOR + 1 ? "," : "",
		    proc_name(i), st->restarts[i]);
	fprintf(f, "},\"lbs\":");
	lbs_json(f, l);
	fprintf(f, "}\n");
}

int
cmd_status(int argc, char **argv)
{
	struct status_answer	 sa;
	struct lb_list		 l;
	struct out		 o;

	if (ctl_json_opt(argc, argv) != argc)
		return ctl_usage("status");
	memset(&sa, 0, sizeof(sa));
	if (request(IMSG_CTL_STATUS, NULL, 0, status_add, &sa) == -1 ||
	    lbs_fetch(&l) == -1)
		return 1;
	if (!sa.got) {
		warnx("the daemon sent no status");
		return 1;
	}
	out_open(&o);
	if (ctl_json)
		status_json(o.f, &sa.st, &l);
	else
		status_print(o.f, &sa.st, &l);
	return out_close(&o, 1) ? 0 : 1;
}

/* --- show --- */

struct vip_list {
	struct out		 o;
	size_t			 n;
};

static void
vip_print(FILE *f, const struct ctl_vip *v)
{
	const struct dr_entry	*e = &v->entry;
	char			 a[ADDR_STRLEN], ports[16], to[64];

	if (e->port_lo == 0 && e->port_hi == 0)
		snprintf(ports, sizeof(ports), "-");
	else if (e->port_lo == e->port_hi)
		snprintf(ports, sizeof(ports), "%u", e->port_lo);
	else
		snprintf(ports, sizeof(ports), "%u-%u", e->port_lo, e->port_hi);
	to[0] = '\0';
	if (e->mode == MODE_DNAT)
		snprintf(to, sizeof(to), "%s",
		    addr_str(&e->target, a, sizeof(a)));
	else if (e->mode == MODE_REDIRECT && e->to_port != 0)
		snprintf(to, sizeof(to), "port %u", e->to_port);
	fprintf(f, "%-39s %-5s %-11s %-8s %-6s %s\n",
	    addr_str(&e->vip, a, sizeof(a)), proto_name(e->proto), ports,
	    mode_name(e->mode),
	    origin_name(v->origin), to[0] != '\0' ? to : "-");
}

/*
 * The fields of "vip" in lbnodectl(8), JSON OUTPUT: every one on every
 * entry, null where it does not apply.
 */
static void
vip_json(FILE *f, const struct ctl_vip *v)
{
	const struct dr_entry	*e = &v->entry;
	char			 a[ADDR_STRLEN];

	fputc('{', f);
	json_member_string(f, 1, "vip", addr_str(&e->vip, a, sizeof(a)));
	json_member_string(f, 0, "proto", proto_name(e->proto));
	fprintf(f, ",\"port_lo\":%u,\"port_hi\":%u", e->port_lo, e->port_hi);
	json_member_string(f, 0, "mode", mode_name(e->mode));
	json_member_string(f, 0, "target", e->mode == MODE_DNAT ?
	    addr_str(&e->target, a, sizeof(a)) : NULL);
	if (e->mode == MODE_REDIRECT && e->to_port != 0)
		fprintf(f, ",\"to_port\":%u", e->to_port);
	else
		fprintf(f, ",\"to_port\":null");
	json_member_string(f, 0, "origin", origin_name(v->origin));
	fputc('}', f);
}

static int
vip_add(struct imsg *imsg, void *arg)
{
	struct vip_list	*vl = arg;
	struct ctl_vip	 v;

	if (imsg_get_type(imsg) != IMSG_CTL_VIP ||
	    imsg_get_data(imsg, &v, sizeof(v)) == -1)
		return -1;
	if (ctl_json) {
		fputs(vl->n ? "," : "", vl->o.f);
		vip_json(vl->o.f, &v);
	} else
		vip_print(vl->o.f, &v);
	vl->n++;
	return 0;
}

static int
show_vips(void)
{
	struct vip_list	 vl;
	int		 ok;

	memset(&vl, 0, sizeof(vl));
	out_open(&vl.o);
	if (ctl_json)
		fputc('[', vl.o.f);
	else
		fprintf(vl.o.f, "%-39s %-5s %-11s %-8s %-6s %s\n",
		    "VIP", "PROTO", "PORTS", "MODE", "ORIGIN", "TO");
	ok = request(IMSG_CTL_SHOW_VIPS, NULL, 0, vip_add, &vl) == 0;
	if (ctl_json)
		fputs("]\n", vl.o.f);
	return out_close(&vl.o, ok) ? 0 : 1;
}

static int
show_lbs(void)
{
	struct lb_list	 l;
	struct out	 o;

	if (lbs_fetch(&l) == -1)
		return 1;
	out_open(&o);
	if (ctl_json) {
		lbs_json(o.f, &l);
		fputc('\n', o.f);
	} else
		lbs_print(o.f, &l, "");
	return out_close(&o, 1) ? 0 : 1;
}

int
cmd_show(int argc, char **argv)
{
	const char	*what;
	int		 i;

	if ((i = ctl_json_opt(argc, argv)) == -1 || argc - i != 1)
		return ctl_usage("show vips | lbs");
	what = argv[i];
	if (strcmp(what, "vips") == 0)
		return show_vips();
	if (strcmp(what, "lbs") == 0)
		return show_lbs();
	return ctl_usage("show vips | lbs");
}
