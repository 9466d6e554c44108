/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * netcfg's pure parts: validation of DR requests, entry sets and
 * views, and the nft text rendered for a full rebuild and for a diff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "netcfg/netcfg.h"
#include "tap.h"

static struct lbn_settings	 set;
static struct addrset		 own;
static struct entryset		 none;

static struct lbn_addr
A(const char *s)
{
	struct lbn_addr	 a;

	if (addr_parse(s, &a) == -1) {
		printf("Bail out! bad address %s\n", s);
		exit(1);
	}
	return a;
}

static struct dr_entry
E(int mode, const char *vip, int proto, int lo, int hi, const char *tgt,
    int to_port)
{
	struct dr_entry	 e;

	memset(&e, 0, sizeof(e));
	e.mode = mode;
	e.vip = A(vip);
	e.proto = proto;
	e.port_lo = lo;
	e.port_hi = hi;
	if (tgt != NULL)
		e.target = A(tgt);
	e.to_port = to_port;
	return e;
}

#define TCP	IPPROTO_TCP
#define UDP	IPPROTO_UDP

static struct dr_begin
B(int origin, uint32_t count)
{
	struct dr_begin	 b;

	memset(&b, 0, sizeof(b));
	b.origin = origin;
	b.count = count;
	b.generation = 7;
	b.lb = A("192.0.2.200");
	return b;
}

/* Validate; 0 or -1, with the refused entries as "i:reason;..." in buf. */
static int
check(int origin, const struct dr_entry *e, size_t n,
    const struct entryset *other, struct entryset *out, char *buf, size_t len)
{
	struct dr_begin	 b = B(origin, n);
	struct rejects	 rej = { NULL, 0, 0 };
	char		 reason[128], one[160];
	size_t		 i;
	int		 rc;

	rc = validate_request(&set, &b, e, n, other, &own, out, &rej,
	    reason, sizeof(reason));
	snprintf(buf, len, "%s", rc == 0 ? "ok" : reason);
	for (i = 0; i < rej.n; i++) {
		snprintf(one, sizeof(one), "; %u:%s", rej.r[i].index,
		    rej.r[i].reason);
		strncat(buf, one, len - strlen(buf) - 1);
	}
	rejects_free(&rej);
	return rc;
}

/* An entry of a request, and why validation refuses it (NULL: it passes). */
struct row {
	struct dr_entry	 e;
	const char	*why;
};

/*
 * Validate the rows' entries, copied to e, as one request from origin:
 * one test that exactly the rows with a reason are refused, each with
 * its reason, in the words check() gives.  Returns what check() did.
 */
static int
check_rows(int origin, const struct row *r, size_t n, struct dr_entry *e,
    struct entryset *out, const char *name)
{
	char	 want[2048], buf[2048];
	size_t	 i, refused = 0, len;
	int	 rc;

	for (i = 0; i < n; i++) {
		e[i] = r[i].e;
		refused += r[i].why != NULL;
	}
	snprintf(want, sizeof(want), "%zu of %zu entries refused", refused, n);
	for (i = 0; i < n; i++) {
		len = strlen(want);
		if (r[i].why != NULL)
			snprintf(want + len, sizeof(want) - len, "; %zu:%s", i,
			    r[i].why);
	}
	rc = check(origin, e, n, &none, out, buf, sizeof(buf));
	is_str(buf, want, name);
	return rc;
}

static void
setup(void)
{
	struct accept_rule	*r;

	memset(&set, 0, sizeof(set));
	strcpy(set.interface, "veth0");
	set.real_addr = A("192.0.2.2");
	set.real_addr6 = A("2001:db8::2");
	set.naccept = 2;
	r = &set.accept[0];
	r->prefix = A("198.18.0.0/24");
	r->proto = TCP;
	r->nports = 2;
	r->ports[0].lo = 80;
	r->ports[0].hi = 90;
	r->ports[1].lo = 443;
	r->ports[1].hi = 443;
	r->max = 2;
	r = &set.accept[1];
	r->prefix = A("2001:db8:ffff::/48");
	addrset_add(&own, &set.real_addr);
	addrset_add(&own, &set.real_addr6);
	addrset_sort(&own);
}

static void
test_entries_valid(void)
{
	struct entryset	 out = { NULL, 0, 0 };
	struct dr_entry	 e[] = {
		E(MODE_DNAT, "198.18.0.11", TCP, 80, 80, "192.0.2.5", 0),
		E(MODE_REDIRECT, "198.18.0.10", TCP, 80, 80, NULL, 8080),
		E(MODE_LOOPBACK, "198.18.0.12", 0, 0, 0, NULL, 0),
		E(MODE_LOOPBACK, "2001:db8:ffff::10", TCP, 443, 443, NULL, 0),
		E(MODE_REDIRECT, "198.18.0.10", TCP, 80, 80, NULL, 8080),
		E(MODE_REDIRECT, "198.18.0.10", UDP, 1000, 2000, NULL, 0),
	};
	char		 buf[512];

	is_int(check(ORIGIN_CONFIG, e, nitems(e), &none, &out, buf,
	    sizeof(buf)), 0, "valid config request");
	is_str(buf, "ok", "no reason");
	is_int(out.n, 5, "an exact duplicate counts once");
	ok(out.n == 5 && out.e[0].mode == MODE_REDIRECT &&
	    out.e[0].proto == TCP && out.e[1].proto == UDP &&
	    out.e[2].mode == MODE_DNAT && out.e[3].mode == MODE_LOOPBACK &&
	    out.e[4].vip.af == AF_INET6, "entries come out sorted");
	entryset_free(&out);
}

static void
test_entries_invalid(void)
{
	struct entryset	 out = { NULL, 0, 0 };
	struct row	 r[] = {
	    { E(MODE_REDIRECT, "127.0.0.1", TCP, 80, 80, NULL, 0),
		"VIP: loopback address" },
	    { E(MODE_REDIRECT, "224.0.0.1", TCP, 80, 80, NULL, 0),
		"VIP: multicast address" },
	    { E(MODE_REDIRECT, "198.18.0.0/24", TCP, 80, 80, NULL, 0),
		"VIP must be a /32 or /128" },
	    { E(MODE_REDIRECT, "198.18.0.1", TCP, 0, 0, NULL, 0),
		"ports must be 1-65535, low to high" },
	    { E(MODE_REDIRECT, "198.18.0.1", TCP, 90, 80, NULL, 0),
		"ports must be 1-65535, low to high" },
	    { E(MODE_REDIRECT, "198.18.0.1", 1, 80, 80, NULL, 0),
		"protocol must be tcp or udp" },
	    { E(9, "198.18.0.1", TCP, 80, 80, NULL, 0), "bad mode" },
	    { E(MODE_REDIRECT, "2001:db8:ffff::1", TCP, 80, 80, NULL, 0),
		"IPv6 VIPs take loopback or tunnel mode only" },
	    { E(MODE_DNAT, "198.18.0.1", TCP, 80, 80, "2001:db8::5", 0),
		"dnat target must be one address of the VIP's family" },
	    { E(MODE_DNAT, "198.18.0.1", TCP, 80, 80, "0.0.0.0", 0),
		"dnat target: unspecified address" },
	    { E(MODE_REDIRECT, "192.0.2.2", TCP, 80, 80, NULL, 0),
		"VIP is an address of this node" },
	    { E(MODE_LOOPBACK, "2001:db8::2", 0, 0, 0, NULL, 0),
		"VIP is an address of this node" },
	    { E(MODE_REDIRECT, "169.254.1.1", UDP, 53, 53, NULL, 0),
		"VIP: link-local address" },
	    { E(MODE_LOOPBACK, "198.18.0.1", 0, 80, 80, NULL, 0),
		"protocol must be tcp or udp" },
	    { E(MODE_REDIRECT, "198.18.0.99", TCP, 80, 80, NULL, 0),
		"VIP has a bad address family" },
	};
	struct dr_entry	 e[nitems(r)];

	r[14].e.vip.af = 0;
	is_int(check_rows(ORIGIN_CONFIG, r, nitems(r), e, &out,
	    "each refused entry has its reason"), -1,
	    "bad entries refuse the request");
	is_int(out.n, 0, "nothing comes out of a refused request");
	entryset_free(&out);
}

static void
test_conflicts(void)
{
	struct entryset	 out = { NULL, 0, 0 }, cfg = { NULL, 0, 0 };
	struct dr_entry	 same[] = {
		E(MODE_REDIRECT, "198.18.0.10", TCP, 80, 80, NULL, 0),
		E(MODE_DNAT, "198.18.0.10", TCP, 80, 80, "192.0.2.5", 0),
	};
	struct dr_entry	 overlap[] = {
		E(MODE_REDIRECT, "198.18.0.10", TCP, 80, 100, NULL, 0),
		E(MODE_REDIRECT, "198.18.0.10", TCP, 101, 110, NULL, 0),
		E(MODE_REDIRECT, "198.18.0.10", TCP, 90, 95, NULL, 0),
		E(MODE_REDIRECT, "198.18.0.10", UDP, 90, 95, NULL, 0),
	};
	struct dr_entry	 mixed[] = {
		E(MODE_LOOPBACK, "198.18.0.10", 0, 0, 0, NULL, 0),
		E(MODE_REDIRECT, "198.18.0.10", UDP, 53, 53, NULL, 0),
	};
	struct dr_entry	 lb[] = {
		E(MODE_REDIRECT, "198.18.0.20", TCP, 80, 80, NULL, 0),
		E(MODE_DNAT, "198.18.0.21", TCP, 443, 443, "192.0.2.9", 0),
	};
	char		 buf[1024];

	check(ORIGIN_CONFIG, same, nitems(same), &none, &out, buf,
	    sizeof(buf));
	is_str(buf, "1 of 2 entries refused; 1:overlaps entry 0",
	    "same vip/proto/port, two actions");
	check(ORIGIN_CONFIG, overlap, nitems(overlap), &none, &out, buf,
	    sizeof(buf));
	is_str(buf, "1 of 4 entries refused; 2:overlaps entry 0",
	    "overlapping port ranges; adjacent and other-protocol ones pass");
	check(ORIGIN_CONFIG, mixed, nitems(mixed), &none, &out, buf,
	    sizeof(buf));
	is_str(buf, "1 of 2 entries refused; "
	    "1:VIP both on lo and port-mapped, see entry 0",
	    "a VIP is on lo or port-mapped, not both");

	/* the config holds 198.18.0.20 tcp 80 redirect; an LB wants dnat */
	entryset_add(&cfg, &lb[0]);
	lb[0] = E(MODE_DNAT, "198.18.0.20", TCP, 80, 80, "192.0.2.9", 0);
	check(ORIGIN_LB, lb, nitems(lb), &cfg, &out, buf, sizeof(buf));
	is_str(buf, "1 of 2 entries refused; "
	    "0:overlaps redirect 198.18.0.20 tcp 80 in force",
	    "conflict with the other origin's entry in force");
	lb[0] = E(MODE_REDIRECT, "198.18.0.20", TCP, 80, 80, NULL, 0);
	is_int(check(ORIGIN_LB, lb, nitems(lb), &cfg, &out, buf,
	    sizeof(buf)), 0, "the same entry in both origins is fine");
	entryset_free(&out);
	entryset_free(&cfg);
}

static void
test_accept(void)
{
	struct entryset	 out = { NULL, 0, 0 };
	struct row	 r[] = {
	    { E(MODE_REDIRECT, "198.18.0.1", TCP, 80, 85, NULL, 0), NULL },
	    { E(MODE_REDIRECT, "198.18.0.2", TCP, 443, 443, NULL, 0), NULL },
	    { E(MODE_REDIRECT, "198.18.0.3", TCP, 443, 443, NULL, 0),
		"over the max of its accept rules" },
	    { E(MODE_REDIRECT, "198.18.1.1", TCP, 80, 80, NULL, 0),
		"no accept rule allows it" },
	    { E(MODE_REDIRECT, "198.18.0.4", UDP, 80, 80, NULL, 0),
		"no accept rule allows it" },
	    { E(MODE_REDIRECT, "198.18.0.5", TCP, 85, 95, NULL, 0),
		"no accept rule allows it" },
	    { E(MODE_LOOPBACK, "2001:db8:ffff::10", 0, 0, 0, NULL, 0), NULL },
	};
	struct dr_entry	 e[nitems(r)];
	char		 buf[1024];

	check_rows(ORIGIN_LB, r, nitems(r), e, &out,
	    "LB entries must match an accept rule with room");
	is_int(check(ORIGIN_CONFIG, e, nitems(e), &none, &out, buf,
	    sizeof(buf)), 0, "the config is not held to accept rules");
	is_int(check(ORIGIN_LB, e, 2, &none, &out, buf, sizeof(buf)), 0,
	    "within the rule's max");
	set.naccept = 0;
	check(ORIGIN_LB, e, 1, &none, &out, buf, sizeof(buf));
	is_str(buf, "no accept rule: LB pushes refused",
	    "no accept rule, no LB push");
	is_int(check(ORIGIN_LB, e, 0, &none, &out, buf, sizeof(buf)), 0,
	    "an empty LB push (withdraw all) needs no rule");
	set.naccept = 2;
	entryset_free(&out);
}

static void
test_limits(void)
{
	struct entryset	 out = { NULL, 0, 0 };
	struct dr_begin	 b = B(ORIGIN_CONFIG, VIP_ENTRIES_MAX + 1);
	struct rejects	 rej = { NULL, 0, 0 };
	char		 reason[128];

	is_int(validate_request(&set, &b, NULL, 0, &none, &own, &out, &rej,
	    reason, sizeof(reason)), -1, "over the cap");
	is_str(reason, "65537 entries, more than the cap of 65536",
	    "the cap is named");
	b = B(5, 0);
	is_int(validate_request(&set, &b, NULL, 0, &none, &own, &out, &rej,
	    reason, sizeof(reason)), -1, "bad origin");
	b = B(ORIGIN_CONFIG, 0);
	strcpy(set.interface, "eth0\" drop");
	is_int(validate_request(&set, &b, NULL, 0, &none, &own, &out, &rej,
	    reason, sizeof(reason)), -1, "settings that would inject nft");
	is_str(reason, "bad settings: interface name has a character nft "
	    "cannot take", "settings reason");
	strcpy(set.interface, "veth0");
	ok(validate_settings(&set) == NULL, "good settings");
	entryset_free(&out);
	rejects_free(&rej);
}

static void
view_of(const struct dr_entry *e, size_t n, struct view *v)
{
	struct entryset	 s = { NULL, 0, 0 };
	struct dr_begin	 b = B(ORIGIN_CONFIG, n);
	struct rejects	 rej = { NULL, 0, 0 };
	char		 reason[128];

	if (validate_request(&set, &b, e, n, &none, &own, &s, &rej, reason,
	    sizeof(reason)) == -1)
		printf("# view_of: %s\n", reason);
	view_build(&s, v);
	entryset_free(&s);
	rejects_free(&rej);
}

/* The rules render_nat_chain writes for each hook. */
#define NAT_RULES \
    "\t\tip daddr . meta l4proto . th dport @redir4 redirect\n" \
    "\t\tip daddr . meta l4proto . th dport @redir4_range redirect\n" \
    "\t\tmeta l4proto { 6, 17 } redirect to : ip daddr . meta l4proto . th dport map @redirport4\n" \
    "\t\tmeta l4proto { 6, 17 } redirect to : ip daddr . meta l4proto . th dport map @redirport4_range\n" \
    "\t\tdnat ip to ip daddr . meta l4proto . th dport map @dnat4\n" \
    "\t\tdnat ip to ip daddr . meta l4proto . th dport map @dnat4_range\n"

/* The ip and ip6 tables as a rebuild writes them, without elements. */
#define IP_TABLES \
    "table ip lbnoded\n" \
    "delete table ip lbnoded\n" \
    "table ip lbnoded {\n" \
    "\tset redir4 {\n" \
    "\t\ttype ipv4_addr . inet_proto . inet_service\n" \
    "\t}\n" \
    "\tset redir4_range {\n" \
    "\t\ttype ipv4_addr . inet_proto . inet_service\n" \
    "\t\tflags interval\n" \
    "\t}\n" \
    "\tmap redirport4 {\n" \
    "\t\ttype ipv4_addr . inet_proto . inet_service : inet_service\n" \
    "\t}\n" \
    "\tmap redirport4_range {\n" \
    "\t\ttype ipv4_addr . inet_proto . inet_service : inet_service\n" \
    "\t\tflags interval\n" \
    "\t}\n" \
    "\tmap dnat4 {\n" \
    "\t\ttype ipv4_addr . inet_proto . inet_service : ipv4_addr\n" \
    "\t}\n" \
    "\tmap dnat4_range {\n" \
    "\t\ttype ipv4_addr . inet_proto . inet_service : ipv4_addr\n" \
    "\t\tflags interval\n" \
    "\t}\n" \
    "\tchain prerouting {\n" \
    "\t\ttype nat hook prerouting priority -100; policy accept;\n" \
    NAT_RULES \
    "\t}\n" \
    "\tchain output {\n" \
    "\t\ttype nat hook output priority -100; policy accept;\n" \
    NAT_RULES \
    "\t}\n" \
    "}\n" \
    "table ip6 lbnoded\n" \
    "delete table ip6 lbnoded\n" \
    "table ip6 lbnoded {\n" \
    "\tset lo6 {\n" \
    "\t\ttype ipv6_addr\n" \
    "\t}\n" \
    "}\n"

static const char full_golden[] =
IP_TABLES
"table arp lbnoded\n"
"delete table arp lbnoded\n"
"table arp lbnoded {\n"
"\tset lo4 {\n"
"\t\ttype ipv4_addr\n"
"\t}\n"
"\tchain input {\n"
"\t\ttype filter hook input priority filter; policy accept;\n"
"\t\tiifname \"veth0\" arp operation request arp daddr ip @lo4 drop\n"
"\t}\n"
"\tchain output {\n"
"\t\ttype filter hook output priority filter; policy accept;\n"
"\t\tarp saddr ip @lo4 arp saddr ip set 192.0.2.2\n"
"\t}\n"
"}\n"
"add element ip lbnoded redir4 {\n"
"\t198.18.0.10 . 6 . 80 }\n"
"add element ip lbnoded redir4_range {\n"
"\t198.18.0.10 . 17 . 1000-2000 }\n"
"add element ip lbnoded redirport4 {\n"
"\t198.18.0.11 . 6 . 80 : 8080 }\n"
"add element ip lbnoded dnat4_range {\n"
"\t198.18.0.12 . 6 . 80-81 : 192.0.2.5 }\n"
"add element ip6 lbnoded lo6 {\n"
"\t2001:db8:ffff::10 }\n"
"add element arp lbnoded lo4 {\n"
"\t198.18.0.13 }\n";

static const char empty_golden[] =
IP_TABLES
"table arp lbnoded\n"
"delete table arp lbnoded\n"
"table arp lbnoded {\n"
"\tset lo4 {\n"
"\t\ttype ipv4_addr\n"
"\t}\n"
"\tchain input {\n"
"\t\ttype filter hook input priority filter; policy accept;\n"
"\t\tarp operation request arp daddr ip @lo4 drop\n"
"\t}\n"
"}\n";

static const char diff_golden[] =
"delete element ip lbnoded redir4_range {\n"
"\t198.18.0.10 . 17 . 1000-2000 }\n"
"delete element ip lbnoded dnat4_range {\n"
"\t198.18.0.12 . 6 . 80-81 }\n"
"delete element arp lbnoded lo4 {\n"
"\t198.18.0.13 }\n"
"add element ip lbnoded redirport4_range {\n"
"\t198.18.0.10 . 17 . 1000-2000 : 53 }\n"
"add element ip lbnoded dnat4 {\n"
"\t198.18.0.14 . 6 . 22 : 192.0.2.7 }\n"
"add element ip lbnoded dnat4_range {\n"
"\t198.18.0.12 . 6 . 80-81 : 192.0.2.6 }\n"
"add element ip6 lbnoded lo6 {\n"
"\t2001:db8:ffff::11 }\n";

static void
test_render(void)
{
	struct dr_entry	 e[] = {
		E(MODE_REDIRECT, "198.18.0.10", TCP, 80, 80, NULL, 80),
		E(MODE_REDIRECT, "198.18.0.10", UDP, 1000, 2000, NULL, 0),
		E(MODE_REDIRECT, "198.18.0.11", TCP, 80, 80, NULL, 8080),
		E(MODE_DNAT, "198.18.0.12", TCP, 80, 81, "192.0.2.5", 0),
		E(MODE_LOOPBACK, "198.18.0.13", 0, 0, 0, NULL, 0),
		E(MODE_LOOPBACK, "198.18.0.13", TCP, 80, 80, NULL, 0),
		E(MODE_LOOPBACK, "2001:db8:ffff::10", 0, 0, 0, NULL, 0),
	};
	struct dr_entry	 e2[] = {
		E(MODE_REDIRECT, "198.18.0.10", TCP, 80, 80, NULL, 0),
		E(MODE_REDIRECT, "198.18.0.10", UDP, 1000, 2000, NULL, 53),
		E(MODE_REDIRECT, "198.18.0.11", TCP, 80, 80, NULL, 8080),
		E(MODE_DNAT, "198.18.0.12", TCP, 80, 81, "192.0.2.6", 0),
		E(MODE_DNAT, "198.18.0.14", TCP, 22, 22, "192.0.2.7", 0),
		E(MODE_LOOPBACK, "2001:db8:ffff::10", 0, 0, 0, NULL, 0),
		E(MODE_LOOPBACK, "2001:db8:ffff::11", 0, 0, 0, NULL, 0),
	};
	struct view	 v = { { NULL, 0, 0 }, { NULL, 0, 0 } }, v2 = v, v0 = v;
	struct viewdiff	 d;
	struct textbuf	 tb = { NULL, 0, 0 };
	struct lbn_settings s0;

	view_of(e, nitems(e), &v);
	is_int(v.ports.n, 4, "view: four port-mapped elements");
	is_int(v.lo.n, 2, "view: one lo address per loopback VIP");
	render_full(&tb, &set, &v);
	is_str(tb.s, full_golden, "full ruleset text");

	memset(&s0, 0, sizeof(s0));
	render_full(&tb, &s0, &v0);
	is_str(tb.s, empty_golden, "no entries, no interface, no real address");

	view_of(e2, nitems(e2), &v2);
	view_diff(&v, &v2, &d);
	render_diff(&tb, &d);
	is_str(tb.s, diff_golden, "diff text: deletions, then additions");
	viewdiff_free(&d);

	view_diff(&v2, &v2, &d);
	render_diff(&tb, &d);
	is_str(tb.s, "", "no change, no text");
	viewdiff_free(&d);

	render_remove(&tb);
	is_str(tb.s, "table ip lbnoded\ndelete table ip lbnoded\n"
	    "table ip6 lbnoded\ndelete table ip6 lbnoded\n"
	    "table arp lbnoded\ndelete table arp lbnoded\n",
	    "remove: our three tables, whether there or not");
	textbuf_free(&tb);
	view_free(&v);
	view_free(&v2);
}

static void
test_sets(void)
{
	struct entryset	 a = { NULL, 0, 0 }, b = a, u = a;
	struct entryset	 added = a, removed = a;
	struct dr_entry	 x = E(MODE_REDIRECT, "198.18.0.1", TCP, 80, 80, NULL, 0);
	struct dr_entry	 y = E(MODE_REDIRECT, "198.18.0.2", TCP, 80, 80, NULL, 0);
	struct dr_entry	 z = E(MODE_REDIRECT, "198.18.0.3", TCP, 80, 80, NULL, 0);
	char		 buf[80];

	entryset_add(&a, &x);
	entryset_add(&a, &y);
	entryset_add(&b, &y);
	entryset_add(&b, &z);
	entryset_union(&a, &b, &u);
	is_int(u.n, 3, "union drops the shared entry");
	entryset_diff(&a, &b, &added, &removed);
	ok(added.n == 1 && entry_cmp(&added.e[0], &z) == 0 &&
	    removed.n == 1 && entry_cmp(&removed.e[0], &x) == 0,
	    "diff: what is added, what is removed");
	entryset_diff(&a, &a, &added, &removed);
	ok(added.n == 0 && removed.n == 0, "diff of a set with itself: empty");
	entryset_free(&added);
	entryset_free(&removed);
	is_str(entry_str(&x, buf, sizeof(buf)), "redirect 198.18.0.1 tcp 80",
	    "entry_str redirect");
	x = E(MODE_DNAT, "198.18.0.1", UDP, 53, 54, "192.0.2.5", 0);
	is_str(entry_str(&x, buf, sizeof(buf)),
	    "dnat 198.18.0.1 udp 53-54 to 192.0.2.5", "entry_str dnat");
	x = E(MODE_LOOPBACK, "198.18.0.1", 0, 0, 0, NULL, 0);
	is_str(entry_str(&x, buf, sizeof(buf)), "loopback 198.18.0.1",
	    "entry_str loopback");
	entryset_free(&a);
	entryset_free(&b);
	entryset_free(&u);
}

int
main(void)
{
	setup();
	test_entries_valid();
	test_entries_invalid();
	test_conflicts();
	test_accept();
	test_limits();
	test_render();
	test_sets();
	addrset_free(&own);
	return done_testing();
}
