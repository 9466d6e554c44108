/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * nft text, rendered from validated structs only: nothing a peer sent
 * is ever copied into it as text.  Our rules live in three tables of
 * our own (ip, ip6 and arp "lbnoded") and use sets and maps, so one
 * rule serves any number of entries and a change is a few element
 * additions and deletions.
 *
 *  ip lbnoded:  nat prerouting and output, keyed on
 *               daddr . l4proto . dport (intervals for port ranges):
 *               @redir4 (redirect, same port), @redirport4 (redirect
 *               to a port), @dnat4 (dnat to an address).
 *  arp lbnoded: @lo4, the IPv4 VIPs on lo: requests for them are
 *               dropped, and our own ARP never names them as source.
 *  ip6 lbnoded: @lo6, the IPv6 VIPs on lo.  Linux answers neighbour
 *               solicitations only for addresses on the interface they
 *               came in on, so no rule is needed; the set records them.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "netcfg.h"

static void
textbuf_reserve(struct textbuf *tb, size_t need)
{
	size_t	 ncap;

	if (need <= tb->cap)
		return;
	ncap = tb->cap ? tb->cap : 4096;
	while (ncap < need)
		ncap *= 2;
	if ((tb->s = realloc(tb->s, ncap)) == NULL)
		fatal("realloc");
	tb->cap = ncap;
}

/* Empty, and never NULL: an empty text is a change of nothing. */
void
textbuf_reset(struct textbuf *tb)
{
	textbuf_reserve(tb, 1);
	tb->len = 0;
	tb->s[0] = '\0';
}

void
textbuf_free(struct textbuf *tb)
{
	free(tb->s);
	memset(tb, 0, sizeof(*tb));
}

void
textbuf_printf(struct textbuf *tb, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("textbuf_printf: bad format");
	textbuf_reserve(tb, tb->len + (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(tb->s + tb->len, tb->cap - tb->len, fmt, ap);
	va_end(ap);
	tb->len += (size_t)n;
}

/*
 * The port-keyed sets and maps of table ip lbnoded.  Single ports go
 * in hash sets, where adding or deleting an element costs the same
 * whatever the size; only port ranges need "flags interval", whose
 * kernel backend makes every deletion cost as much as the whole set.
 */
enum portset {
	PS_REDIR,		/* redirect, same port */
	PS_REDIR_RANGE,
	PS_REDIRPORT,		/* redirect to another port */
	PS_REDIRPORT_RANGE,
	PS_DNAT,
	PS_DNAT_RANGE,
	PS_MAX
};

static const struct {
	const char	*name;
	const char	*kind;
	const char	*value;		/* a map's value type */
	int		 range;
} portsets[PS_MAX] = {
	{ "redir4", "set", "", 0 },
	{ "redir4_range", "set", "", 1 },
	{ "redirport4", "map", " : inet_service", 0 },
	{ "redirport4_range", "map", " : inet_service", 1 },
	{ "dnat4", "map", " : ipv4_addr", 0 },
	{ "dnat4_range", "map", " : ipv4_addr", 1 },
};

/* Is a change to this entry cheap (a hash set) or dear (an interval set)? */
int
entry_is_range(const struct dr_entry *e)
{
	return e->port_lo != e->port_hi;
}

static enum portset
portset_of(const struct dr_entry *e)
{
	enum portset	 ps;

	if (e->mode == MODE_DNAT)
		ps = PS_DNAT;
	else
		ps = e->to_port != 0 ? PS_REDIRPORT : PS_REDIR;
	return entry_is_range(e) ? ps + 1 : ps;
}

static void
render_ip(struct textbuf *tb, const struct lbn_addr *a)
{
	char	 ip[INET6_ADDRSTRLEN];

	if (inet_ntop(a->af, &a->u, ip, sizeof(ip)) == NULL)
		fatal("inet_ntop");
	textbuf_printf(tb, "%s", ip);
}

/* "198.18.0.1 . 6 . 80-90" and, with value, " : 8080" or " : 192.0.2.5" */
static void
render_port_element(struct textbuf *tb, const struct dr_entry *e, int value)
{
	render_ip(tb, &e->vip);
	textbuf_printf(tb, " . %u . %u", e->proto, e->port_lo);
	if (e->port_hi != e->port_lo)
		textbuf_printf(tb, "-%u", e->port_hi);
	if (!value)
		return;
	if (e->mode == MODE_REDIRECT && e->to_port != 0)
		textbuf_printf(tb, " : %u", e->to_port);
	else if (e->mode == MODE_DNAT) {
		textbuf_printf(tb, " : ");
		render_ip(tb, &e->target);
	}
}

/* Before element n of a list: the head and the brace, or a comma. */
static void
element_sep(struct textbuf *tb, size_t n, const char *head, const char *indent)
{
	if (n == 0)
		textbuf_printf(tb, "%s{\n%s", head, indent);
	else
		textbuf_printf(tb, ",\n%s", indent);
}

/*
 * "{ e1,\n\t...e2 }" for the entries of one set, prefixed with head;
 * nothing at all when there are none, since nft takes no empty list.
 */
static void
render_port_elements(struct textbuf *tb, const char *head,
    const struct entryset *es, enum portset ps, int value, const char *indent)
{
	size_t	 i, n = 0;

	for (i = 0; i < es->n; i++) {
		if (portset_of(&es->e[i]) != ps)
			continue;
		element_sep(tb, n++, head, indent);
		render_port_element(tb, &es->e[i], value);
	}
	if (n > 0)
		textbuf_printf(tb, " }\n");
}

static void
render_addr_elements(struct textbuf *tb, const char *head,
    const struct addrset *as, int af, const char *indent)
{
	size_t	 i, n = 0;

	for (i = 0; i < as->n; i++) {
		if (as->a[i].af != af)
			continue;
		element_sep(tb, n++, head, indent);
		render_ip(tb, &as->a[i]);
	}
	if (n > 0)
		textbuf_printf(tb, " }\n");
}

/*
 * The same three rules serve forwarded (prerouting) and local (output)
 * traffic.  Priority -100 is "dstnat", a name older nft takes for
 * prerouting only.
 */
static void
render_nat_chain(struct textbuf *tb, const char *hook)
{
	static const char	*key = "ip daddr . meta l4proto . th dport";
	int			 r;

	textbuf_printf(tb, "\tchain %s {\n"
	    "\t\ttype nat hook %s priority -100; policy accept;\n", hook, hook);
	for (r = 0; r < 2; r++)
		textbuf_printf(tb, "\t\t%s @%s redirect\n", key,
		    portsets[PS_REDIR + r].name);
	for (r = 0; r < 2; r++)
		textbuf_printf(tb, "\t\tmeta l4proto { 6, 17 } redirect to : "
		    "%s map @%s\n", key, portsets[PS_REDIRPORT + r].name);
	for (r = 0; r < 2; r++)
		textbuf_printf(tb, "\t\tdnat ip to %s map @%s\n", key,
		    portsets[PS_DNAT + r].name);
	textbuf_printf(tb, "\t}\n");
}

/* "table F lbnoded; delete table F lbnoded": gone, whether it was there or not. */
static void
render_drop_table(struct textbuf *tb, const char *family)
{
	textbuf_printf(tb, "table %s %s\ndelete table %s %s\n",
	    family, NETCFG_TABLE, family, NETCFG_TABLE);
}

static void
render_table_ip(struct textbuf *tb)
{
	int	 ps;

	render_drop_table(tb, "ip");
	textbuf_printf(tb, "table ip %s {\n", NETCFG_TABLE);
	for (ps = 0; ps < PS_MAX; ps++) {
		textbuf_printf(tb, "\t%s %s {\n\t\ttype ipv4_addr . inet_proto . "
		    "inet_service%s\n%s", portsets[ps].kind, portsets[ps].name,
		    portsets[ps].value, portsets[ps].range ?
		    "\t\tflags interval\n" : "");
		textbuf_printf(tb, "\t}\n");
	}
	render_nat_chain(tb, "prerouting");
	render_nat_chain(tb, "output");
	textbuf_printf(tb, "}\n");
}

static void
render_table_ip6(struct textbuf *tb)
{
	render_drop_table(tb, "ip6");
	textbuf_printf(tb, "table ip6 %s {\n\tset lo6 {\n\t\ttype ipv6_addr\n",
	    NETCFG_TABLE);
	textbuf_printf(tb, "\t}\n}\n");
}

static void
render_table_arp(struct textbuf *tb, const struct lbn_settings *s)
{
	render_drop_table(tb, "arp");
	textbuf_printf(tb, "table arp %s {\n\tset lo4 {\n\t\ttype ipv4_addr\n",
	    NETCFG_TABLE);
	textbuf_printf(tb, "\t}\n\tchain input {\n"
	    "\t\ttype filter hook input priority filter; policy accept;\n\t\t");
	/* validate_settings() allowed only a safe alphabet in the name */
	if (s->interface[0] != '\0')
		textbuf_printf(tb, "iifname \"%s\" ", s->interface);
	textbuf_printf(tb, "arp operation request arp daddr ip @lo4 drop\n\t}\n");
	if (s->real_addr.af == AF_INET) {
		textbuf_printf(tb, "\tchain output {\n"
		    "\t\ttype filter hook output priority filter; "
		    "policy accept;\n"
		    "\t\tarp saddr ip @lo4 arp saddr ip set ");
		render_ip(tb, &s->real_addr);
		textbuf_printf(tb, "\n\t}\n");
	}
	textbuf_printf(tb, "}\n");
}

static void
render_view_elements(struct textbuf *tb, const char *verb,
    const struct view *v)
{
	char	 head[64];
	int	 ps;

	for (ps = 0; ps < PS_MAX; ps++) {
		snprintf(head, sizeof(head), "%s element ip %s %s ", verb,
		    NETCFG_TABLE, portsets[ps].name);
		/* a map element is deleted by its key alone */
		render_port_elements(tb, head, &v->ports, ps,
		    strcmp(verb, "add") == 0, "\t");
	}
	snprintf(head, sizeof(head), "%s element ip6 %s lo6 ", verb,
	    NETCFG_TABLE);
	render_addr_elements(tb, head, &v->lo, AF_INET6, "\t");
	snprintf(head, sizeof(head), "%s element arp %s lo4 ", verb,
	    NETCFG_TABLE);
	render_addr_elements(tb, head, &v->lo, AF_INET, "\t");
}

/*
 * Our three tables, replaced whole in one transaction.  The elements
 * follow as "add element" commands rather than inside the set
 * definitions: libnftables keeps what a definition holds in its cache
 * and would spend the next change's time freeing it.
 */
void
render_full(struct textbuf *tb, const struct lbn_settings *s,
    const struct view *v)
{
	textbuf_reset(tb);
	render_table_ip(tb);
	render_table_ip6(tb);
	render_table_arp(tb, s);
	render_view_elements(tb, "add", v);
}

/*
 * Only what changed, deletions first so an element whose value changed
 * (the same key) is taken out before it is put back.  Empty text for
 * no change.
 */
void
render_diff(struct textbuf *tb, const struct viewdiff *d)
{
	textbuf_reset(tb);
	render_view_elements(tb, "delete", &d->del);
	render_view_elements(tb, "add", &d->add);
}

void
render_remove(struct textbuf *tb)
{
	textbuf_reset(tb);
	render_drop_table(tb, "ip");
	render_drop_table(tb, "ip6");
	render_drop_table(tb, "arp");
}
