/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The lbnoded.conf(5) parser: a bison grammar with a hand-written
 * lexer, macros and include, in the manner of the OpenBSD daemons.
 *
 * Every error is logged as "file:line: message" and parsing goes on,
 * so one run reports as many mistakes as it can; parse_error() keeps
 * them for lbnodectl reload.  The result only reaches the caller's struct when the
 * whole file is clean: a bad config changes nothing.
 */
%code requires {
#include <stdint.h>
}

%{
#include <sys/stat.h>
#include <net/if.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <search.h>
#include <unistd.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "monitor.h"
#include "names.h"
#include "util.h"

#define INCLUDE_DEPTH_MAX	8
#define STRING_MAX		4096	/* a quoted string */
#define WORD_MAX		256	/* a bare word: number, address, name */
#define ERROR_MAX		1024
#define KEYWORD_QUOTE_MAX	32	/* longer words are not quoted back */

/* One configuration file; kept until the parse ends so locations stay valid. */
struct file {
	struct file	*parent;	/* the file that includes this one */
	struct file	*next;		/* every file of this parse */
	FILE		*fp;
	char		*name;
	dev_t		 dev;
	ino_t		 ino;
	uid_t		 uid;
	mode_t		 mode;
	int		 depth;
	int		 lineno;
	int		 nl_pending;	/* count the '\n' just returned on the next token */
	int		 last_token;
	int		 in_plist;	/* inside "port {", which ends on its line */
	int		 blocks;	/* open vip blocks */
	int		 block_reported;	/* its missing "}" was reported */
	int		 block_line;	/* where the outermost one opened */
};

struct macro {
	struct macro	*next;
	char		*name;
	char		*value;
};

/* Where a statement was, for checks made after it was parsed. */
struct where {
	struct file	*file;
	int		 line;
};

struct portrange {
	uint16_t	 lo, hi;
};

/* A port line inside a vip block, expanded into entries at its '}'. */
struct vip_item {
	uint8_t		 proto;
	uint16_t	 lo, hi, to;
	int		 line;
};

/* Every vip block so far, in a search tree, to find a VIP defined twice. */
struct vip_seen {
	struct lbn_addr	 addr;
	struct where	 where;
};

static struct file	*file, *files;
static struct macro	*macros;
static int		 errors;
static int		 lex_stopped;	/* EOF inside a block: the parse is over */
static char		 error_text[CONF_ERRORS_MAX];
static struct lbn_conf	 newconf;

/* The token texts the syntax error messages quote. */
static char		 tok_text[WORD_MAX], prev_text[WORD_MAX];
static int		 tok_bare;

/*
 * Macro expansion: the value is read back through the lexer, then the
 * character that ended the macro's name.
 */
#define NO_CHAR		(-2)
static const char	*expand_buf;
static int		 after_expand = NO_CHAR;
static int		 unget_buf[4], nunget;

/* The port list being read ("port 80", "port { 80, 443 }"). */
static struct portrange	*plist;
static size_t		 nplist, plist_cap;
static int		 plist_scalar;	/* one bare port: "to" may follow */

/* The vip block being read. */
static struct {
	struct lbn_addr	 vip;
	int		 ok;		/* the address is usable */
	int		 line;
	int		 errors;	/* before the block */
	uint8_t		 mode;
	uint8_t		 encap;		/* tunnel */
	uint16_t	 encap_port;	/* tunnel, gue */
	struct lbn_addr	 target;
	struct vip_item	*items;
	size_t		 nitems, cap;
} blk;

static void		*seen;		/* tsearch(3) tree of struct vip_seen */
static size_t		 entries_cap;
static int		 entries_full;

static struct where	 weight_where, tcp_where;

int	 yylex(void);
void	 yyerror(const char *);

static void	 conf_error(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	 conf_error_at(const struct where *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 conf_error_line(int, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static struct where here(void);
static void	 note_where(enum conf_item);
static int	 in_range(const char *, int64_t, int64_t, int64_t);
static void	 set_string(char *, size_t, const char *, char *);
static void	 set_path(char *, const char *, char *);
static void	 set_interface(char *);
static void	 set_sample_ms(char *);
static int64_t	 capfull_number(int64_t);
static int64_t	 capfull_decimal(char *);
static void	 set_capacity(uint8_t, int64_t);
static void	 set_service_ports(void);
static int	 parse_prefix(const char *, char *, struct lbn_addr *);
static void	 add_lb(char *);
static void	 macro_set(char *, char *);
static void	 include_file(char *);
static void	 plist_reset(void);
static void	 plist_add(int64_t, int64_t);
static void	 vip_begin(char *);
static void	 vip_first_seen(void);
static void	 vip_mode(uint8_t, char *);
static void	 vip_tunnel(uint8_t, int64_t);
static void	 vip_ports(uint8_t, int64_t);
static void	 vip_end(void);
static void	 accept_rule(char *, uint8_t, int64_t);
%}

%union {
	int64_t		 number;
	char		*string;
	struct {
		int64_t	 lo, hi;
	}		 range;
}

%define parse.error custom

%token	INCLUDE "include" INTERFACE "interface" PORT "port" USER "user"
%token	CHROOT "chroot" LB "lb" KEY "key" FILE_ "file" SAMPLE "sample"
%token	EVERY "every" CGROUP "cgroup" AUTO "auto" SMOOTH "smooth"
%token	WEIGHT "weight" MIN "min" MAX "max" FROM "from" CPU "cpu"
%token	LOADAVG "loadavg" MEMORY "memory" ANNOUNCE "announce" OFF "off"
%token	AGENT "agent" HTTP "http" CONTROL "control" SOCKET "socket"
%token	STATE "state" ON "on" EXIT "exit" REMOVE "remove" KEEP "keep"
%token	VIP "vip" MODE "mode" REDIRECT "redirect" DNAT "dnat"
%token	LOOPBACK "loopback" TCP "tcp" UDP "udp" TO "to" ACCEPT "accept"
%token	SERVICE "service" SATURATION "saturation" CAPACITY "capacity"
%token	QUOTA "quota" MEASURED "measured" FULL "full"
%token	TUNNEL "tunnel" ENCAP "encap" IPIP "ipip" GUE "gue"
%token	ERROR "error"
%token	<string>	STRING "string"
%token	<number>	NUMBER "number"
%token	<range>		RANGE "port range"
%token	NL "end of line"
%type	<number>	proto optproto optto optmax weightsource capfull
%destructor { free($$); } <string>

%%

grammar		: /* empty */
		| grammar NL
		| grammar include
		| grammar varset NL
		| grammar main NL
		| grammar vip NL
		| grammar accept NL
		| grammar error NL
		;

include		: INCLUDE STRING NL		{ include_file($2); }
		;

varset		: STRING '=' STRING		{ macro_set($1, $3); }
		| STRING '=' NUMBER		{
			char	 buf[32];

			snprintf(buf, sizeof(buf), "%lld", (long long)$3);
			macro_set($1, strdup(buf));
		}
		| STRING '=' RANGE		{
			char	 buf[64];

			snprintf(buf, sizeof(buf), "%lld-%lld",
			    (long long)$3.lo, (long long)$3.hi);
			macro_set($1, strdup(buf));
		}
		;

main		: INTERFACE STRING		{
			set_interface($2);
			note_where(ITEM_INTERFACE);
		}
		| PORT NUMBER			{
			if (in_range("port", $2, 1, 65535))
				newconf.s.port = $2;
		}
		| USER STRING			{
			set_string(newconf.s.user, sizeof(newconf.s.user),
			    "user", $2);
			note_where(ITEM_USER);
		}
		| CHROOT STRING			{
			set_path(newconf.s.chroot, "chroot", $2);
			note_where(ITEM_CHROOT);
		}
		| LB STRING			{ add_lb($2); }
		| KEY FILE_ STRING		{
			set_path(newconf.s.keyfile, "key file", $3);
			note_where(ITEM_KEYFILE);
		}
		| SAMPLE EVERY NUMBER		{
			if (in_range("sample every", $3, 1, 3600))
				newconf.s.sample_ms = $3 * 1000;
		}
		| SAMPLE EVERY STRING		{ set_sample_ms($3); }
		| SERVICE PORT portspec		{ set_service_ports(); }
		| SAMPLE CGROUP STRING		{
			set_path(newconf.s.cgroup, "sample cgroup", $3);
			note_where(ITEM_CGROUP);
		}
		| SAMPLE CGROUP AUTO		{
			strcpy(newconf.s.cgroup, "auto");
			note_where(ITEM_CGROUP);
		}
		| SMOOTH NUMBER			{
			if (in_range("smooth", $2, 1, 60))
				newconf.s.smooth = $2;
		}
		| WEIGHT weightlimits		{ weight_where = here(); }
		| WEIGHT FROM weightsource	{ newconf.s.weight_from = $3; }
		| WEIGHT CAPACITY QUOTA capfull	{
			set_capacity(CAPACITY_QUOTA, $4);
		}
		| WEIGHT CAPACITY MEASURED capfull {
			set_capacity(CAPACITY_MEASURED, $4);
		}
		| WEIGHT CAPACITY OFF		{
			newconf.s.weight_capacity = CAPACITY_OFF;
		}
		| ANNOUNCE EVERY NUMBER		{
			if (in_range("announce every", $3, 1, 3600))
				newconf.s.announce_every = $3;
		}
		| ANNOUNCE OFF			{ newconf.s.announce_every = 0; }
		| AGENT PORT NUMBER		{
			if (in_range("agent port", $3, 1, 65535))
				newconf.s.agent_port = $3;
			tcp_where = here();
		}
		| AGENT OFF			{ newconf.s.agent_port = 0; }
		| HTTP PORT NUMBER		{
			if (in_range("http port", $3, 1, 65535))
				newconf.s.http_port = $3;
			tcp_where = here();
		}
		| HTTP OFF			{ newconf.s.http_port = 0; }
		| CONTROL SOCKET STRING		{
			set_path(newconf.s.ctlsock, "control socket", $3);
			note_where(ITEM_CTLSOCK);
		}
		| STATE FILE_ STRING		{
			set_path(newconf.s.statefile, "state file", $3);
		}
		| ON EXIT REMOVE		{ newconf.s.on_exit = EXIT_REMOVE; }
		| ON EXIT KEEP			{ newconf.s.on_exit = EXIT_KEEP; }
		;

weightlimits	: weightlimit
		| weightlimits weightlimit
		;

weightlimit	: MIN NUMBER			{
			if (in_range("weight min", $2, 0, 100))
				newconf.s.weight_min = $2;
		}
		| MAX NUMBER			{
			if (in_range("weight max", $2, 0, 100))
				newconf.s.weight_max = $2;
		}
		;

/* In thousandths: of a CPU for quota, of a connection a second for measured. */
capfull		: /* empty */			{ $$ = 0; }
		| FULL NUMBER			{ $$ = capfull_number($2); }
		| FULL STRING			{ $$ = capfull_decimal($2); }
		;

weightsource	: CPU				{ $$ = WEIGHT_CPU; }
		| LOADAVG			{ $$ = WEIGHT_LOADAVG; }
		| MEMORY			{ $$ = WEIGHT_MEMORY; }
		| MAX				{ $$ = WEIGHT_MAX_OF; }
		| SATURATION			{ $$ = WEIGHT_SATURATION; }
		;

vip		: VIP STRING '{'		{ vip_begin($2); $2 = NULL; }
		    optnl vipbody '}'		{ vip_end(); }
		;

vipbody		: /* empty */
		| vipbody vipopt nl
		| vipbody error nl
		;

vipopt		: MODE REDIRECT			{ vip_mode(MODE_REDIRECT, NULL); }
		| MODE DNAT STRING		{ vip_mode(MODE_DNAT, $3); }
		| MODE LOOPBACK			{ vip_mode(MODE_LOOPBACK, NULL); }
		| MODE TUNNEL ENCAP IPIP	{ vip_tunnel(ENCAP_IPIP, 0); }
		| MODE TUNNEL ENCAP GUE PORT NUMBER {
			vip_tunnel(ENCAP_GUE, $6);
		}
		| proto PORT portspec optto	{ vip_ports($1, $4); }
		;

proto		: TCP				{ $$ = IPPROTO_TCP; }
		| UDP				{ $$ = IPPROTO_UDP; }
		;

optproto	: /* empty */			{ $$ = 0; }
		| proto
		;

portspec	: portstart portitem
		| portstart '{' portlist '}'	{ plist_scalar = 0; }
		;

portstart	: /* empty */			{ plist_reset(); }
		;

portlist	: portitem
		| portlist portitem
		| portlist ',' portitem
		;

portitem	: NUMBER			{
			plist_add($1, $1);
			plist_scalar = 1;
		}
		| NUMBER '-' NUMBER		{ plist_add($1, $3); }
		| RANGE				{ plist_add($1.lo, $1.hi); }
		;

optto		: /* empty */			{ $$ = 0; }
		| TO NUMBER			{
			$$ = in_range("to port", $2, 1, 65535) ? $2 : 0;
			if (!plist_scalar) {
				conf_error("\"to\" needs a single port, "
				    "not a list or range");
				$$ = 0;
			}
		}
		;

accept		: ACCEPT VIP STRING optproto optports optmax {
			accept_rule($3, $4, $6);
		}
		;

optports	: /* empty */			{ plist_reset(); }
		| PORT portspec
		;

optmax		: /* empty */			{ $$ = 0; }
		| MAX NUMBER			{
			$$ = in_range("accept max", $2, 1, 65535) ? $2 : 0;
		}
		;

optnl		: /* empty */
		| optnl NL
		;

nl		: NL optnl
		;

%%

struct keyword {
	const char	*name;
	int		 token;
};

/* Sorted by name, for bsearch. */
static const struct keyword keywords[] = {
	{ "accept",	ACCEPT },
	{ "agent",	AGENT },
	{ "announce",	ANNOUNCE },
	{ "auto",	AUTO },
	{ "capacity",	CAPACITY },
	{ "cgroup",	CGROUP },
	{ "chroot",	CHROOT },
	{ "control",	CONTROL },
	{ "cpu",	CPU },
	{ "dnat",	DNAT },
	{ "encap",	ENCAP },
	{ "every",	EVERY },
	{ "exit",	EXIT },
	{ "file",	FILE_ },
	{ "from",	FROM },
	{ "full",	FULL },
	{ "gue",	GUE },
	{ "http",	HTTP },
	{ "include",	INCLUDE },
	{ "interface",	INTERFACE },
	{ "ipip",	IPIP },
	{ "keep",	KEEP },
	{ "key",	KEY },
	{ "lb",		LB },
	{ "loadavg",	LOADAVG },
	{ "loopback",	LOOPBACK },
	{ "max",	MAX },
	{ "measured",	MEASURED },
	{ "memory",	MEMORY },
	{ "min",	MIN },
	{ "mode",	MODE },
	{ "off",	OFF },
	{ "on",		ON },
	{ "port",	PORT },
	{ "quota",	QUOTA },
	{ "redirect",	REDIRECT },
	{ "remove",	REMOVE },
	{ "sample",	SAMPLE },
	{ "saturation",	SATURATION },
	{ "service",	SERVICE },
	{ "smooth",	SMOOTH },
	{ "socket",	SOCKET },
	{ "state",	STATE },
	{ "tcp",	TCP },
	{ "to",		TO },
	{ "tunnel",	TUNNEL },
	{ "udp",	UDP },
	{ "user",	USER },
	{ "vip",	VIP },
	{ "weight",	WEIGHT },
};

static int
keyword_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keyword *)elem)->name);
}

static int
keyword_token(const char *word)
{
	const struct keyword	*kw;

	kw = bsearch(word, keywords, nitems(keywords),
	    sizeof(keywords[0]), keyword_cmp);
	return kw != NULL ? kw->token : STRING;
}

/* --- errors --- */

/* Log it and keep it for lbnodectl reload. */
static void
error_add(const char *name, int line, const char *msg)
{
	char	 full[ERROR_MAX];

	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %.*s", name, line,
		    ERROR_MAX - 32, msg);
	else
		snprintf(full, sizeof(full), "%s: %.*s", name,
		    ERROR_MAX - 32, msg);
	errors++;
	log_warnx("%s", full);
	lines_append(error_text, sizeof(error_text), full);
}

static void
verror_at(struct file *f, int line, const char *fmt, va_list ap)
{
	char	 msg[ERROR_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	error_add(f->name, line, msg);
}

/* For the checks made on a parsed config: they name its statements. */
void
config_error(const struct conf_where *w, const char *fmt, ...)
{
	char	 msg[ERROR_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_add(w->file, w->line, msg);
}

/* The statement just read sets item: checkconf.c names it. */
static void
note_where(enum conf_item item)
{
	struct conf_where	*w = &newconf.where[item];

	snprintf(w->file, sizeof(w->file), "%s", file->name);
	w->line = file->lineno;
}

static void
conf_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	verror_at(file, file->lineno, fmt, ap);
	va_end(ap);
}

static void
conf_error_at(const struct where *w, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	verror_at(w->file, w->line, fmt, ap);
	va_end(ap);
}

static void
conf_error_line(int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	verror_at(file, line, fmt, ap);
	va_end(ap);
}

static struct where
here(void)
{
	struct where	 w = { file, file->lineno };

	return w;
}

void
yyerror(const char *msg)
{
	conf_error("%s", msg);
}

/* A token as the messages name it: keywords and characters in quotes. */
static const char *
symbol_str(yysymbol_kind_t kind, char *buf, size_t len)
{
	const char	*name = yysymbol_name(kind);

	if (kind >= YYSYMBOL_INCLUDE && kind <= YYSYMBOL_ACCEPT)
		snprintf(buf, len, "\"%s\"", name);
	else if (name[0] == '\'')
		snprintf(buf, len, "\"%c\"", name[1]);
	else
		snprintf(buf, len, "%s", name);
	return buf;
}

/*
 * The word is quoted back when it looks like a mistyped keyword.  Other
 * words may come from a file that was never a configuration, and the
 * first error goes back to whoever ran "lbnodectl reload": a line of a
 * file of secrets must not.
 */
static void
unknown_keyword(const char *word)
{
	size_t	 len = strlen(word);

	if (len <= KEYWORD_QUOTE_MAX && strspn(word, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len)
		conf_error("unknown keyword \"%s\"", word);
	else
		conf_error("unknown keyword (not shown: not a word)");
}

/*
 * Say what was wrong in the user's words: a bare word where a keyword
 * belongs is an unknown keyword, whatever the grammar could have taken;
 * a vip or accept line inside a vip block means its "}" is missing.
 */
static int
yyreport_syntax_error(const yypcontext_t *ctx)
{
	yysymbol_kind_t	 expected[YYNTOKENS], got = yypcontext_token(ctx);
	int		 n, i, want_number = 0, want_assign = 0;
	char		 msg[ERROR_MAX], name[WORD_MAX];
	size_t		 len;

	/* Already reported by the lexer. */
	if (got == YYSYMBOL_ERROR || (got == YYSYMBOL_YYEOF && lex_stopped))
		return 0;
	if (file->blocks > 0 && (got == YYSYMBOL_VIP || got == YYSYMBOL_ACCEPT)) {
		conf_error_line(file->block_line, "unterminated vip block "
		    "(\"%s\" on line %d is inside it)", tok_text,
		    file->lineno);
		file->block_reported = 1;
		return 0;
	}
	n = yypcontext_expected_tokens(ctx, expected, YYNTOKENS);
	for (i = 0; i < n; i++) {
		if (expected[i] == YYSYMBOL_NUMBER)
			want_number = 1;
		if (strcmp(yysymbol_name(expected[i]), "'='") == 0)
			want_assign = n == 1;
	}
	/* Only a macro name is followed by '=': the word was meant as a keyword. */
	if (want_assign) {
		unknown_keyword(prev_text);
		return 0;
	}
	if (strcmp(yysymbol_name(got), "'='") == 0) {
		conf_error("keyword \"%s\" cannot be a macro name", prev_text);
		return 0;
	}
	if (got == YYSYMBOL_STRING && tok_bare) {
		if (want_number)
			conf_error("\"%s\" is not a number", tok_text);
		else
			unknown_keyword(tok_text);
		return 0;
	}
	if (got == YYSYMBOL_STRING)
		len = snprintf(msg, sizeof(msg),
		    "syntax error: unexpected string \"%s\"", tok_text);
	else if (got == YYSYMBOL_YYUNDEF)
		len = snprintf(msg, sizeof(msg),
		    "syntax error: unexpected \"%s\"", tok_text);
	else
		len = snprintf(msg, sizeof(msg), "syntax error: unexpected %s",
		    symbol_str(got, name, sizeof(name)));
	for (i = 0; i < n && n <= 4 && len < sizeof(msg); i++)
		len += snprintf(msg + len, sizeof(msg) - len, "%s%s",
		    i == 0 ? ", expecting " : " or ",
		    symbol_str(expected[i], name, sizeof(name)));
	conf_error("%s", msg);
	return 0;
}

/* --- values --- */

static int
in_range(const char *what, int64_t v, int64_t lo, int64_t hi)
{
	if (v >= lo && v <= hi)
		return 1;
	conf_error("%s %lld is out of range (%lld-%lld)", what,
	    (long long)v, (long long)lo, (long long)hi);
	return 0;
}

/* Copy a string option; takes ownership of s. */
static void
set_string(char *dst, size_t size, const char *what, char *s)
{
	if (*s == '\0')
		conf_error("%s is empty", what);
	else if (strlen(s) >= size)
		conf_error("%s is too long (at most %zu characters)", what,
		    size - 1);
	else
		strcpy(dst, s);
	free(s);
}

/* The daemon chroots and changes directory: paths must not depend on the cwd. */
static void
set_path(char *dst, const char *what, char *s)
{
	if (*s != '/') {
		conf_error("%s \"%s\" is not an absolute path", what, s);
		free(s);
		return;
	}
	set_string(dst, PATH_MAX_LEN, what, s);
}

static void
set_interface(char *s)
{
	char	 name[IFNAMSIZ];

	/* The kernel's rules for a device name. */
	if (strlen(s) < sizeof(name) && strcspn(s, "/: \t") == strlen(s) &&
	    strcmp(s, ".") != 0 && strcmp(s, "..") != 0) {
		set_string(newconf.s.interface, sizeof(newconf.s.interface),
		    "interface", s);
		return;
	}
	conf_error("interface \"%s\" is not a valid interface name", s);
	free(s);
}

/*
 * "sample every 250ms": milliseconds, for the fast tick of "weight
 * from saturation".  A bare number is seconds, as it always was.
 */
static void
set_sample_ms(char *s)
{
	char		*end;
	long long	 ms;

	errno = 0;
	ms = strtoll(s, &end, 10);
	if (end == s || strcmp(end, "ms") != 0 || errno == ERANGE)
		conf_error("sample every \"%s\": seconds, or milliseconds "
		    "as in 250ms", s);
	else if (in_range("sample every (ms)", ms, 50, 3600000))
		newconf.s.sample_ms = (uint32_t)ms;
	free(s);
}

/*
 * "weight capacity ... full N": N with at most three decimals, as in
 * 0.4, in thousandths; -1 when it is none, said.
 */
static int64_t
capfull_number(int64_t n)
{
	if (!in_range("weight capacity full", n, 1, CAPACITY_FULL_MAX / 1000))
		return -1;
	return n * 1000;
}

static int64_t
capfull_decimal(char *s)
{
	int64_t		 v = 0;
	size_t		 i, whole, frac;

	whole = strspn(s, "0123456789");
	frac = s[whole] == '.' ? strspn(s + whole + 1, "0123456789") : 0;
	if (whole == 0 || frac == 0 || frac > 3 || whole > 7 ||
	    s[whole + 1 + frac] != '\0') {
		conf_error("weight capacity full \"%s\": a number, with at "
		    "most three decimals as in 0.4", s);
		free(s);
		return -1;
	}
	for (i = 0; i < whole; i++)
		v = v * 10 + (s[i] - '0');
	for (i = 0; i < 3; i++)
		v = v * 10 + (i < frac ? s[whole + 1 + i] - '0' : 0);
	free(s);
	if (v < 1 || v > CAPACITY_FULL_MAX) {
		conf_error("weight capacity full: %lld.%03lld is out of range "
		    "(0.001 to %d)", (long long)(v / 1000),
		    (long long)(v % 1000), CAPACITY_FULL_MAX / 1000);
		return -1;
	}
	return v;
}

/*
 * quota counts CPUs, of which full has a default; measured counts
 * connections a second, which depend on the service: its full must be
 * given, and be the same on every node of the pool.
 */
static void
set_capacity(uint8_t how, int64_t full)
{
	if (full == -1)
		return;
	if (how == CAPACITY_MEASURED && full == 0) {
		conf_error("weight capacity measured: needs \"full\" and the "
		    "completions a second at which a node has all of its "
		    "weight, the same on every node");
		return;
	}
	newconf.s.weight_capacity = how;
	newconf.s.capacity_full = full ? (uint32_t)full : CAPACITY_FULL_CPUS;
}

/* "service port 80" or "service port { 80 8000-8080 }". */
static void
set_service_ports(void)
{
	size_t	 i;

	if (nplist > SERVICE_PORTS_MAX) {
		conf_error("service port: too many ports and ranges "
		    "(at most %d)", SERVICE_PORTS_MAX);
		return;
	}
	for (i = 0; i < nplist; i++) {
		newconf.s.service[i].lo = (uint16_t)plist[i].lo;
		newconf.s.service[i].hi = (uint16_t)plist[i].hi;
	}
	newconf.s.nservice = (uint8_t)nplist;
}

/* An address or prefix without host bits, for lb and accept. */
static int
parse_prefix(const char *what, char *s, struct lbn_addr *a)
{
	struct lbn_addr	 net;
	char		 buf[ADDR_STRLEN];
	unsigned int	 i, bits;

	if (addr_parse(s, a) == -1) {
		conf_error("%s: bad address or prefix \"%s\"", what, s);
		return -1;
	}
	net = *a;
	for (i = 0, bits = a->plen; i < sizeof(net.u.raw); i++)
		if (bits >= 8)
			bits -= 8;
		else {
			net.u.raw[i] &= (uint8_t)(0xff00 >> bits);
			bits = 0;
		}
	if (memcmp(&net.u, &a->u, sizeof(net.u)) != 0) {
		conf_error("%s: %s has host bits set (did you mean %s?)", what,
		    s, addr_str(&net, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

static void
add_lb(char *s)
{
	struct lbn_addr	 a;

	if (parse_prefix("lb", s, &a) == 0) {
		if (newconf.s.nlb >= LB_MAX)
			conf_error("too many lb entries (at most %d)", LB_MAX);
		else
			newconf.s.lb[newconf.s.nlb++] = a;
	}
	free(s);
}

/* --- macros --- */

static void
macro_set(char *name, char *value)
{
	struct macro	*m;
	const char	*p;

	if (value == NULL)
		fatal("%s", __func__);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			break;
	if (*p != '\0' || *name == '\0') {
		conf_error("macro name \"%s\" may only contain letters, "
		    "digits and _", name);
		free(name);
		free(value);
		return;
	}
	for (m = macros; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			break;
	if (m != NULL) {
		/* A redefinition replaces the value, like any option. */
		free(name);
		free(m->value);
		m->value = value;
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("%s", __func__);
	m->name = name;
	m->value = value;
	m->next = macros;
	macros = m;
}

static const char *
macro_get(const char *name)
{
	struct macro	*m;

	for (m = macros; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m->value;
	return NULL;
}

/* --- files --- */

/*
 * A configuration is a regular file: a device would never end and a
 * FIFO could block the monitor forever, so the open does not wait and
 * anything else is refused before a byte is read.  NULL: *why says why.
 */
static struct file *
file_open(const char *name, struct file *parent, const char **why)
{
	struct file	*f;
	struct stat	 st;
	int		 fd;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->name = strdup(name)) == NULL)
		fatal("%s", __func__);
	f->next = files;
	files = f;
	f->parent = parent;
	f->depth = parent != NULL ? parent->depth + 1 : 0;
	f->lineno = 1;
	if ((fd = open(name, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) == -1)
		fatal("fstat %s", name);
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		*why = S_ISDIR(st.st_mode) ? strerror(EISDIR) :
		    "not a regular file";
		return NULL;
	}
	if ((f->fp = fdopen(fd, "r")) == NULL)
		fatal("fdopen %s", name);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->uid = st.st_uid;
	f->mode = st.st_mode;
	return f;
}

/* Only root, or whoever runs the check, may have put it there. */
static int
trusted(uid_t uid, mode_t mode)
{
	return (uid == 0 || uid == geteuid()) &&
	    (mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* The first directory above path that is not trusted, in buf; or NULL. */
static const char *
dirs_untrusted(char *path, char *buf, size_t len)
{
	struct stat	 st;
	char		*d = path;

	for (;;) {
		d = dirname(d);
		if (stat(d, &st) == -1) {
			snprintf(buf, len, "%s: %s", d, strerror(errno));
			return buf;
		}
		/* Others cannot swap root's entries out of /tmp: sticky. */
		if (!trusted(st.st_uid, st.st_mode) &&
		    !(st.st_uid == 0 && (st.st_mode & S_ISVTX))) {
			snprintf(buf, len, "directory %s is not owned by root "
			    "or is writable by others", d);
			return buf;
		}
		if (strcmp(d, "/") == 0 || strcmp(d, ".") == 0)
			return NULL;
	}
}

/*
 * An included file, the directories on the way to it as written and
 * those it really is in must all be trusted: otherwise somebody else
 * could swap in a link to a file of root's and read its first words
 * back from the errors of "lbnodectl reload".  NULL when they are,
 * else what is not.
 */
static const char *
include_untrusted(const struct file *f, char *buf, size_t len)
{
	char		 path[PATH_MAX];

	if (!trusted(f->uid, f->mode))
		return "not owned by root or writable by others";
	if (snprintf(path, sizeof(path), "%s", f->name) >= (int)sizeof(path))
		return strerror(ENAMETOOLONG);
	if (dirs_untrusted(path, buf, len) != NULL)
		return buf;
	if (realpath(f->name, path) == NULL)
		return strerror(errno);
	return dirs_untrusted(path, buf, len);
}

static void
files_free(void)
{
	struct file	*f;

	while ((f = files) != NULL) {
		files = f->next;
		if (f->fp != NULL)
			fclose(f->fp);
		free(f->name);
		free(f);
	}
	file = NULL;
}

/*
 * The grammar calls this once the include line's newline is read, so
 * the next token comes from the included file.  A relative name is
 * relative to the including file, not to the daemon's cwd.
 */
static void
include_file(char *name)
{
	struct file	*f, *up;
	char		 path[PATH_MAX_LEN * 4], buf[PATH_MAX_LEN * 4 + 64];
	const char	*slash = strrchr(file->name, '/'), *why;
	int		 len;

	if (*name == '/' || slash == NULL)
		len = snprintf(path, sizeof(path), "%s", name);
	else
		len = snprintf(path, sizeof(path), "%.*s/%s",
		    (int)(slash - file->name), file->name, name);
	free(name);
	if (len < 0 || (size_t)len >= sizeof(path)) {
		conf_error("include: path too long");
		return;
	}
	if (file->depth >= INCLUDE_DEPTH_MAX) {
		conf_error("include \"%s\": includes nested more "
		    "than %d deep", path, INCLUDE_DEPTH_MAX);
		return;
	}
	if ((f = file_open(path, file, &why)) == NULL) {
		conf_error("cannot open \"%s\": %s", path, why);
		return;
	}
	if ((why = include_untrusted(f, buf, sizeof(buf))) != NULL) {
		conf_error("include \"%s\": %s", path, why);
		fclose(f->fp);
		f->fp = NULL;
		return;
	}
	for (up = file; up != NULL; up = up->parent)
		if (up->dev == f->dev && up->ino == f->ino) {
			conf_error("include \"%s\": include loop",
			    path);
			fclose(f->fp);
			f->fp = NULL;
			return;
		}
	file = f;
}

/* --- lexer --- */

static int
is_control_byte(int c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f;
}

static int
lgetc(void)
{
	int	 c;

	if (nunget > 0)
		return unget_buf[--nunget];
	if (expand_buf != NULL) {
		if (*expand_buf != '\0')
			return (unsigned char)*expand_buf++;
		expand_buf = NULL;
	}
	if ((c = after_expand) != NO_CHAR) {
		after_expand = NO_CHAR;
		return c;
	}
	if ((c = getc(file->fp)) == EOF || !is_control_byte(c))
		return c;
	/* Not text: a NUL must not end the file early and unnoticed. */
	conf_error("invalid byte \\x%02x: a configuration is text", c);
	lex_stopped = 1;
	return EOF;
}

static void
lungetc(int c)
{
	if (c == EOF)
		return;
	if (nunget >= (int)nitems(unget_buf))
		fatalx("%s: pushback buffer full", __func__);
	unget_buf[nunget++] = c;
}

static int
is_word_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '/' ||
	    c == '-';
}

static int
lex_string(void)
{
	char	 buf[STRING_MAX];
	size_t	 len = 0;
	int	 c, next, too_long = 0;

	for (;;) {
		if ((c = lgetc()) == EOF || c == '\n') {
			if (!lex_stopped)
				conf_error("unterminated string");
			lungetc(c);
			break;
		}
		if (c == '"')
			break;
		if (c == '\\') {
			next = lgetc();
			if (next == '"' || next == '\\')
				c = next;
			else
				lungetc(next);
		}
		if (len + 1 >= sizeof(buf)) {
			too_long = 1;
			continue;
		}
		buf[len++] = c;
	}
	buf[len] = '\0';
	if (too_long)
		conf_error("string too long (at most %zu characters)",
		    sizeof(buf) - 1);
	snprintf(tok_text, sizeof(tok_text), "%.*s",
	    (int)sizeof(tok_text) - 1, buf);
	tok_bare = 0;
	if ((yylval.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	return STRING;
}

/* Digits, up to the first non-digit; -1 if they do not fit. */
static int
parse_number(const char *s, int64_t *v)
{
	char		*end;
	long long	 n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno == ERANGE) {
		conf_error("number %.*s is too large", (int)(end - s), s);
		return -1;
	}
	*v = n;
	return 0;
}

/* A word is a keyword, a number, a range "lo-hi", or a STRING. */
static int
lex_word(int c)
{
	char	 buf[WORD_MAX];
	size_t	 len = 0, digits;
	int	 too_long = 0, token;

	do {
		if (len + 1 < sizeof(buf))
			buf[len++] = c;
		else
			too_long = 1;
	} while ((c = lgetc()) != EOF && is_word_char(c));
	lungetc(c);
	buf[len] = '\0';
	if (too_long)
		conf_error("word too long (at most %zu characters)",
		    sizeof(buf) - 1);
	snprintf(tok_text, sizeof(tok_text), "%s", buf);
	tok_bare = 1;

	if (strcmp(buf, "-") == 0)
		return '-';
	digits = strspn(buf, "0123456789");
	if (digits > 0 && buf[digits] == '\0')
		return parse_number(buf, &yylval.number) == 0 ? NUMBER : ERROR;
	if (digits > 0 && buf[digits] == '-' &&
	    strspn(buf + digits + 1, "0123456789") == len - digits - 1 &&
	    len > digits + 1) {
		if (parse_number(buf, &yylval.range.lo) == -1 ||
		    parse_number(buf + digits + 1, &yylval.range.hi) == -1)
			return ERROR;
		return RANGE;
	}
	if ((token = keyword_token(buf)) != STRING)
		return token;
	if ((yylval.string = strdup(buf)) == NULL)
		fatal("%s", __func__);
	return STRING;
}

static int
lex_macro(void)
{
	char		 name[WORD_MAX];
	size_t		 len = 0;
	int		 c;
	const char	*value;

	while ((c = lgetc()) != EOF && (isalnum(c) || c == '_'))
		if (len + 1 < sizeof(name))
			name[len++] = c;
	name[len] = '\0';
	if ((value = macro_get(name)) == NULL) {
		lungetc(c);
		conf_error("macro \"%s\" is not defined", name);
		snprintf(tok_text, sizeof(tok_text), "$%.*s",
		    (int)sizeof(tok_text) - 2, name);
		return ERROR;
	}
	/* No expansion inside an expansion: a macro cannot recurse. */
	expand_buf = value;
	after_expand = c;
	return 0;
}

/* At the end of a file: close its last line, check it, go back to the includer. */
static int
lex_eof(void)
{
	if (lex_stopped)
		return 0;
	if (file->last_token != NL && file->last_token != 0) {
		snprintf(tok_text, sizeof(tok_text), "end of line");
		return NL;
	}
	snprintf(tok_text, sizeof(tok_text), "end of file");
	if (ferror(file->fp)) {
		conf_error("read error");
		lex_stopped = 1;
		return 0;
	}
	if (file->blocks > 0) {
		if (!file->block_reported)
			conf_error_line(file->block_line, "unterminated vip "
			    "block (no \"}\" before the end of the file)");
		lex_stopped = 1;
		return 0;
	}
	if (file->parent == NULL)
		return 0;
	fclose(file->fp);
	file->fp = NULL;
	file = file->parent;
	return -1;
}

static int
lex_token(void)
{
	int	 c, token;

	for (;;) {
		if (file->nl_pending) {
			file->lineno++;
			file->nl_pending = 0;
		}
		while ((c = lgetc()) == ' ' || c == '\t' || c == '\r')
			;
		if (c == '#') {
			while ((c = lgetc()) != '\n' && c != EOF)
				;
		}
		if (c == '$' && expand_buf == NULL) {
			if ((token = lex_macro()) != 0)
				return token;
			continue;
		}
		if (c == EOF) {
			if ((token = lex_eof()) != -1)
				return token;
			continue;
		}
		break;
	}
	if (isprint(c))
		snprintf(tok_text, sizeof(tok_text), "%c", c);
	else
		snprintf(tok_text, sizeof(tok_text), "\\x%02x", c);
	tok_bare = 0;
	switch (c) {
	case '\n':
		file->nl_pending = 1;
		file->in_plist = 0;
		snprintf(tok_text, sizeof(tok_text), "end of line");
		return NL;
	case '"':
		return lex_string();
	case '{':
		if (file->last_token == PORT)
			file->in_plist = 1;
		else if (file->blocks++ == 0)
			file->block_line = file->lineno;
		return c;
	case '}':
		if (file->in_plist)
			file->in_plist = 0;
		else if (file->blocks > 0)
			file->blocks--;
		return c;
	default:
		if (is_word_char(c))
			return lex_word(c);
		return c;
	}
}

int
yylex(void)
{
	int	 token;

	if (lex_stopped)
		return 0;
	memcpy(prev_text, tok_text, sizeof(prev_text));
	token = lex_token();
	if (file != NULL)
		file->last_token = token;
	return token;
}

/* --- ports and vip blocks --- */

/* Room for element n of a growing array; callers bound n. */
static void *
grow(void *array, size_t n, size_t *cap, size_t size)
{
	void	*p;
	size_t	 ncap;

	if (n < *cap)
		return array;
	ncap = *cap ? *cap * 2 : 16;
	if ((p = reallocarray(array, ncap, size)) == NULL)
		fatal("%s", __func__);
	*cap = ncap;
	return p;
}

static void
plist_reset(void)
{
	nplist = 0;
	plist_scalar = 0;
}

static void
plist_add(int64_t lo, int64_t hi)
{
	plist_scalar = 0;
	if (!in_range("port", lo, 1, 65535) || !in_range("port", hi, 1, 65535))
		return;
	if (lo > hi) {
		conf_error("port range %lld-%lld: the first port is above "
		    "the last", (long long)lo, (long long)hi);
		return;
	}
	if (nplist >= VIP_ENTRIES_MAX) {
		conf_error("too many ports (at most %d)", VIP_ENTRIES_MAX);
		return;
	}
	plist = grow(plist, nplist, &plist_cap, sizeof(*plist));
	plist[nplist].lo = lo;
	plist[nplist].hi = hi;
	nplist++;
}

static void
vip_begin(char *s)
{
	const char	*why;

	free(blk.items);
	memset(&blk, 0, sizeof(blk));
	blk.line = file->lineno;
	blk.errors = errors;
	if (strchr(s, '/') != NULL)
		conf_error("vip %s: a VIP is one address, not a prefix", s);
	else if (addr_parse(s, &blk.vip) == -1)
		conf_error("vip: bad address \"%s\"", s);
	else if ((why = addr_unusable(&blk.vip)) != NULL)
		conf_error("vip %s: %s cannot be a VIP", s, why);
	else
		blk.ok = 1;
	free(s);
	if (!blk.ok)
		return;
	blk.mode = blk.vip.af == AF_INET6 ? MODE_LOOPBACK : MODE_REDIRECT;
	vip_first_seen();
}

static int
seen_cmp(const void *a, const void *b)
{
	const struct lbn_addr	*x = &((const struct vip_seen *)a)->addr;
	const struct lbn_addr	*y = &((const struct vip_seen *)b)->addr;

	if (x->af != y->af)
		return x->af < y->af ? -1 : 1;
	return memcmp(&x->u, &y->u, addr_len(x));
}

/* The block's VIP must not have had a block before: O(log n) a block. */
static void
vip_first_seen(void)
{
	struct vip_seen	*v, **found;
	char		 buf[ADDR_STRLEN];

	if ((v = calloc(1, sizeof(*v))) == NULL)
		fatal("%s", __func__);
	v->addr = blk.vip;
	v->where = here();
	if ((found = tsearch(v, &seen, seen_cmp)) == NULL)
		fatal("%s", __func__);
	if (*found == v)
		return;
	free(v);
	conf_error("vip %s is already defined at %s:%d",
	    addr_str(&blk.vip, buf, sizeof(buf)), (*found)->where.file->name,
	    (*found)->where.line);
	blk.ok = 0;
}

static void
vip_mode(uint8_t mode, char *target)
{
	const char	*why;

	if (!blk.ok) {
		free(target);
		return;
	}
	if (blk.vip.af == AF_INET6 && mode != MODE_LOOPBACK) {
		conf_error("IPv6 VIPs support mode loopback or tunnel only");
		free(target);
		return;
	}
	blk.mode = mode;
	if (target == NULL)
		return;
	memset(&blk.target, 0, sizeof(blk.target));
	if (strchr(target, '/') != NULL || addr_parse(target, &blk.target) == -1)
		conf_error("dnat: bad target address \"%s\"", target);
	else if (blk.target.af != blk.vip.af)
		conf_error("dnat target %s is not of the VIP's address family",
		    target);
	else if ((why = addr_unusable(&blk.target)) != NULL)
		conf_error("dnat target %s: %s", target, why);
	free(target);
}

/* Is there room for n more entries?  Said once per parse. */
static int
entries_room(size_t n, int line)
{
	if (newconf.nentries + n <= VIP_ENTRIES_MAX)
		return 1;
	if (!entries_full)
		conf_error_line(line, "too many vip entries (at most %d)",
		    VIP_ENTRIES_MAX);
	entries_full = 1;
	return 0;
}

static void
vip_ports(uint8_t proto, int64_t to)
{
	struct vip_item	*p;
	size_t		 i;

	for (i = 0; i < nplist; i++) {
		if (!entries_room(blk.nitems + 1, file->lineno))
			return;
		blk.items = grow(blk.items, blk.nitems, &blk.cap,
		    sizeof(*blk.items));
		p = &blk.items[blk.nitems++];
		p->proto = proto;
		p->lo = plist[i].lo;
		p->hi = plist[i].hi;
		p->to = to;
		p->line = file->lineno;
	}
}

static int
item_cmp(const void *a, const void *b)
{
	const struct vip_item	*x = *(struct vip_item * const *)a;
	const struct vip_item	*y = *(struct vip_item * const *)b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x < y ? -1 : x > y;	/* the earlier line first */
}

static void
port_str(char *buf, size_t len, uint16_t lo, uint16_t hi)
{
	if (lo == hi)
		snprintf(buf, len, "%u", lo);
	else
		snprintf(buf, len, "%u-%u", lo, hi);
}

/*
 * Two port lines of one block that cover the same port would become
 * two rules for one packet.  Sorting keeps this O(n log n) for big
 * blocks; the later line is the one reported.
 */
static void
vip_check_overlap(void)
{
	struct vip_item	**v, *a, *b, *later, *earlier;
	char		 p1[16], p2[16];
	size_t		 i, reach;

	if (blk.nitems < 2)
		return;
	if ((v = calloc(blk.nitems, sizeof(*v))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < blk.nitems; i++)
		v[i] = &blk.items[i];
	qsort(v, blk.nitems, sizeof(*v), item_cmp);
	/* v[reach] is the item reaching highest so far in this protocol. */
	for (reach = 0, i = 1; i < blk.nitems; i++) {
		a = v[reach];
		b = v[i];
		if (a->proto != b->proto) {
			reach = i;
			continue;
		}
		if (b->lo <= a->hi) {
			later = a < b ? b : a;
			earlier = a < b ? a : b;
			port_str(p1, sizeof(p1), later->lo, later->hi);
			port_str(p2, sizeof(p2), earlier->lo, earlier->hi);
			if (strcmp(p1, p2) == 0)
				conf_error_line(later->line, "%s port %s is "
				    "listed twice", proto_name(later->proto),
				    p1);
			else
				conf_error_line(later->line, "%s port %s "
				    "overlaps %s port %s", proto_name(
				    later->proto), p1, proto_name(
				    earlier->proto), p2);
		}
		if (b->hi > a->hi)
			reach = i;
	}
	free(v);
}

static void
add_entry(const struct dr_entry *e)
{
	if (!entries_room(1, blk.line))
		return;
	newconf.entries = grow(newconf.entries, newconf.nentries,
	    &entries_cap, sizeof(*newconf.entries));
	newconf.entries[newconf.nentries++] = *e;
}

/* "mode tunnel encap ipip", "mode tunnel encap gue port N" */
static void
vip_tunnel(uint8_t encap, int64_t port)
{
	if (!blk.ok)
		return;
	if (encap == ENCAP_GUE && (port < 1 || port > 65535)) {
		conf_error("encap gue: port %lld is not 1-65535",
		    (long long)port);
		return;
	}
	blk.mode = MODE_TUNNEL;
	blk.encap = encap;
	blk.encap_port = (uint16_t)port;
}

/* The block's '}': check it as a whole and expand it into entries. */
static void
vip_end(void)
{
	struct dr_entry	 e;
	const char	*mode;
	size_t		 i;
	int		 bad = 0;

	if (!blk.ok)
		return;
	mode = blk.mode == MODE_REDIRECT ? "redirect" : "dnat";
	/* Unless a bad port line or the full entry table explains it. */
	if (blk.mode != MODE_LOOPBACK && blk.mode != MODE_TUNNEL &&
	    blk.nitems == 0) {
		if (errors == blk.errors && !entries_full)
			conf_error_line(blk.line, "vip block in mode %s needs "
			    "at least one port", mode);
		bad = 1;
	}
	if (blk.mode == MODE_DNAT && blk.target.af == 0)
		bad = 1;	/* the target was reported */
	for (i = 0; i < blk.nitems; i++)
		if (blk.items[i].to != 0 && blk.mode != MODE_REDIRECT) {
			conf_error_line(blk.items[i].line, "\"to\" is only "
			    "valid in mode redirect");
			bad = 1;
		}
	vip_check_overlap();
	if (bad)
		return;

	memset(&e, 0, sizeof(e));
	e.vip = blk.vip;
	e.mode = blk.mode;
	if (blk.mode == MODE_DNAT)
		e.target = blk.target;
	if (blk.mode == MODE_TUNNEL) {
		e.encap = blk.encap;
		e.encap_port = blk.encap_port;
	}
	if (blk.nitems == 0)
		add_entry(&e);
	for (i = 0; i < blk.nitems; i++) {
		e.proto = blk.items[i].proto;
		e.port_lo = blk.items[i].lo;
		e.port_hi = blk.items[i].hi;
		e.to_port = blk.items[i].to;
		add_entry(&e);
	}
}

static void
accept_rule(char *s, uint8_t proto, int64_t max)
{
	struct accept_rule	 r;
	size_t			 i;

	memset(&r, 0, sizeof(r));
	if (parse_prefix("accept vip", s, &r.prefix) == -1) {
		free(s);
		return;
	}
	free(s);
	if (nplist > sizeof(r.ports) / sizeof(r.ports[0])) {
		conf_error("too many ports in one accept rule (at most %zu)",
		    sizeof(r.ports) / sizeof(r.ports[0]));
		return;
	}
	if (newconf.s.naccept >= ACCEPT_MAX) {
		conf_error("too many accept rules (at most %d)", ACCEPT_MAX);
		return;
	}
	r.proto = proto;
	r.max = max;
	r.nports = nplist;
	for (i = 0; i < nplist; i++) {
		r.ports[i].lo = plist[i].lo;
		r.ports[i].hi = plist[i].hi;
	}
	newconf.s.accept[newconf.s.naccept++] = r;
}

/* --- the parse --- */

static void
conf_defaults(struct lbn_settings *s)
{
	strcpy(s->user, LBNODED_USER);
	strcpy(s->chroot, LBNODED_CHROOT);
	strcpy(s->ctlsock, LBNODED_SOCKET);
	strcpy(s->statefile, LBNODED_STATE);
	s->port = LBNP_PORT;
	s->agent_port = AGENT_PORT;
	s->http_port = 0;
	s->sample_ms = 250;
	s->smooth = 20;		/* 5 s, as 5 samples of 1 s were */
	s->announce_every = 10;
	s->weight_min = 1;
	s->weight_max = 100;
	s->weight_from = WEIGHT_CPU;
	s->weight_capacity = CAPACITY_QUOTA;
	s->capacity_full = CAPACITY_FULL_CPUS;
	s->on_exit = EXIT_REMOVE;
}

/* Checks between options, made once every option has its last value. */
static void
conf_check(void)
{
	const struct lbn_settings	*s = &newconf.s;

	if (s->weight_min > s->weight_max)
		conf_error_at(&weight_where, "weight min %u is above weight "
		    "max %u", s->weight_min, s->weight_max);
	if (s->agent_port != 0 && s->agent_port == s->http_port)
		conf_error_at(&tcp_where, "agent port and http port are "
		    "both %u", s->agent_port);
}

static void
parse_reset(void)
{
	struct macro	*m;

	files_free();
	while ((m = macros) != NULL) {
		macros = m->next;
		free(m->name);
		free(m->value);
		free(m);
	}
	free(plist);
	plist = NULL;
	nplist = plist_cap = 0;
	free(blk.items);
	memset(&blk, 0, sizeof(blk));
	tdestroy(seen, free);
	seen = NULL;
	expand_buf = NULL;
	after_expand = NO_CHAR;
	nunget = 0;
	lex_stopped = 0;
	entries_cap = 0;
	entries_full = 0;
	tok_text[0] = prev_text[0] = '\0';
}

int
parse_config(const char *name, struct lbn_conf *conf)
{
	const char	*why;
	int		 i;

	parse_reset();
	errors = 0;
	error_text[0] = '\0';
	memset(&newconf, 0, sizeof(newconf));
	conf_defaults(&newconf.s);

	if ((file = file_open(name, NULL, &why)) == NULL) {
		error_add(name, 0, why);
		files_free();
		return -1;
	}
	weight_where = tcp_where = here();
	for (i = 0; i < ITEM_MAX; i++)		/* line 0: the defaults */
		snprintf(newconf.where[i].file, sizeof(newconf.where[i].file),
		    "%s", name);
	if (yyparse() != 0 && errors == 0)
		conf_error("cannot parse");
	conf_check();
	parse_reset();
	if (errors > 0) {
		conf_free(&newconf);
		return -1;
	}
	*conf = newconf;
	memset(&newconf, 0, sizeof(newconf));
	return 0;
}

const char *
parse_error(void)
{
	return error_text;
}

void
conf_free(struct lbn_conf *conf)
{
	free(conf->entries);
	conf->entries = NULL;
	conf->nentries = 0;
}
