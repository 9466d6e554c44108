/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * netcfg_driver: plays the monitor for "lbnoded -P netcfg", so netcfg
 * can be tested (and timed) on its own.  It starts $LBNODED -P netcfg
 * -d with one end of a socketpair on fd 3, reads commands on stdin and
 * prints netcfg's answers on stdout, one line each:
 *
 *	pid PID				netcfg started
 *	result ok|rejected|failed origin=O nentries=N generation=G us=T reason=TEXT
 *	entry INDEX REASON		one per refused entry
 *	done
 *	exit STATUS			netcfg ended (128+signal if killed)
 *
 * Commands, one a line ("#" starts a comment):
 *	iface NAME | real ADDR | real6 ADDR
 *	accept PREFIX any|tcp|udp any|PORTS MAX	PORTS like 80-90,443
 *	settings			send IMSG_CONF_SETTINGS and CONF_END
 *	verbose N
 *	begin config|lb GENERATION [LBADDR]
 *	redirect VIP PROTO PORTS [TOPORT]
 *	dnat VIP PROTO PORTS TARGET
 *	loopback VIP [PROTO PORTS]
 *	gen redirect|loopback N FIRSTVIP PROTO PORT	N entries, VIPs counting up
 *	commit [COUNT]			send BEGIN (COUNT, default the entries
 *					queued), the entries, COMMIT; await DONE
 *	remove-all
 *	raw TYPE LEN			a message of LEN zero bytes, then
 *					await an answer or netcfg's exit;
 *					TYPE names what the monitor sends
 *					netcfg (DR_BEGIN for IMSG_DR_BEGIN)
 *					or is a number
 * At the end of the input the channel is closed and netcfg awaited.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "imsg.h"
#include "lbnoded.h"

#define LINE_MAX_LEN	512

static struct imsgbuf		 ibuf;
static pid_t			 child;
static struct lbn_settings	 settings;
static struct dr_begin		 begin;
static struct dr_entry		*entries;
static size_t			 nentries, capentries;
static int			 lineno;

static void __attribute__((noreturn))
child_gone(void)
{
	int	 status;

	if (waitpid(child, &status, 0) == -1)
		err(1, "waitpid");
	printf("exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status));
	exit(0);
}

static void
start(const char *lbnoded, int verbose)
{
	int	 sv[2];

	/* close-on-exec: netcfg must hold no end but its fd 3, or it
	 * would never see the channel close */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		err(1, "socketpair");
	if ((child = fork()) == -1)
		err(1, "fork");
	if (child == 0) {
		if (sv[1] == CHILD_IMSG_FD) {
			if (fcntl(sv[1], F_SETFD, 0) == -1)
				err(1, "fcntl");
		} else if (dup2(sv[1], CHILD_IMSG_FD) == -1)
			err(1, "dup2");
		if (dup2(STDERR_FILENO, STDOUT_FILENO) == -1)
			err(1, "dup2");
		execl(lbnoded, lbnoded, "-P", "netcfg", "-d",
		    verbose ? "-v" : NULL, (char *)NULL);
		err(1, "exec %s", lbnoded);
	}
	close(sv[1]);
	if (imsgbuf_init(&ibuf, sv[0]) == -1)
		err(1, "imsgbuf_init");
	printf("pid %d\n", (int)child);
	fflush(stdout);
}

static void
send_msg(uint32_t type, const void *data, size_t len)
{
	if (imsg_compose(&ibuf, type, 0, 0, -1, data, len) == -1)
		err(1, "imsg_compose");
}

static void
flush(void)
{
	if (imsgbuf_flush(&ibuf) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			child_gone();
		err(1, "imsgbuf_flush");
	}
}

static const char *
status_name(int s)
{
	return s == DR_OK ? "ok" : s == DR_REJECTED ? "rejected" :
	    s == DR_FAILED ? "failed" : "?";
}

static long long
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Print netcfg's answer up to DR_DONE. */
static void
await_done(long long t0)
{
	struct imsg		 imsg;
	struct dr_result	 res;
	struct dr_entry_result	 er;
	int			 n;

	for (;;) {
		while ((n = imsg_get(&ibuf, &imsg)) == 1) {
			switch (imsg_get_type(&imsg)) {
			case IMSG_DR_RESULT:
				if (imsg_get_data(&imsg, &res, sizeof(res)) == -1)
					errx(1, "bad DR_RESULT");
				res.reason[sizeof(res.reason) - 1] = '\0';
				printf("result %s origin=%s nentries=%u "
				    "generation=%llu us=%lld reason=%s\n",
				    status_name(res.status), res.origin ==
				    ORIGIN_LB ? "lb" : "config", res.nentries,
				    (unsigned long long)res.generation,
				    now_us() - t0, res.reason);
				break;
			case IMSG_DR_ENTRY_RESULT:
				if (imsg_get_data(&imsg, &er, sizeof(er)) == -1)
					errx(1, "bad DR_ENTRY_RESULT");
				er.reason[sizeof(er.reason) - 1] = '\0';
				printf("entry %u %s\n", er.index, er.reason);
				break;
			case IMSG_DR_DONE:
				imsg_free(&imsg);
				printf("done\n");
				fflush(stdout);
				return;
			default:
				errx(1, "unexpected imsg %u",
				    imsg_get_type(&imsg));
			}
			imsg_free(&imsg);
		}
		if (n == -1)
			err(1, "imsg_get");
		if ((n = imsgbuf_read(&ibuf)) == 0)
			child_gone();
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			if (errno == ECONNRESET)
				child_gone();
			err(1, "imsgbuf_read");
		}
	}
}

static void __attribute__((noreturn))
syntax(const char *what)
{
	errx(1, "stdin:%d: %s", lineno, what);
}

static struct lbn_addr
parse_addr(const char *s)
{
	struct lbn_addr	 a;

	if (s == NULL || addr_parse(s, &a) == -1)
		syntax("bad address");
	return a;
}

static unsigned long
parse_num(const char *s, unsigned long max)
{
	char		*end;
	unsigned long	 v;

	if (s == NULL)
		syntax("number missing");
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v > max)
		syntax("bad number");
	return v;
}

/*
 * What the monitor sends netcfg, by name, so that a test never spells
 * a number the enum may change.
 */
static const struct {
	const char	*name;
	uint32_t	 type;
} monitor_types[] = {
	{ "CONF_SETTINGS",	IMSG_CONF_SETTINGS },
	{ "CONF_END",		IMSG_CONF_END },
	{ "PING",		IMSG_PING },
	{ "CTL_VERBOSE",	IMSG_CTL_VERBOSE },
	{ "DR_BEGIN",		IMSG_DR_BEGIN },
	{ "DR_ENTRY",		IMSG_DR_ENTRY },
	{ "DR_COMMIT",		IMSG_DR_COMMIT },
	{ "DR_REMOVE_ALL",	IMSG_DR_REMOVE_ALL },
};

static uint32_t
parse_type(const char *s)
{
	size_t	 i;

	if (s != NULL && isdigit((unsigned char)s[0]))
		return (uint32_t)parse_num(s, UINT32_MAX);
	for (i = 0; s != NULL && i < nitems(monitor_types); i++)
		if (strcmp(s, monitor_types[i].name) == 0)
			return monitor_types[i].type;
	syntax("unknown imsg type");
}

static uint8_t
parse_proto(const char *s)
{
	if (s == NULL)
		syntax("protocol missing");
	if (strcmp(s, "tcp") == 0)
		return IPPROTO_TCP;
	if (strcmp(s, "udp") == 0)
		return IPPROTO_UDP;
	if (strcmp(s, "any") == 0)
		return 0;
	return parse_num(s, 255);
}

/* "80" or "80-90"; numbers out of range are left to netcfg to refuse */
static void
parse_ports(char *s, uint16_t *lo, uint16_t *hi)
{
	char	*dash;

	if (s == NULL)
		syntax("ports missing");
	if ((dash = strchr(s, '-')) != NULL)
		*dash++ = '\0';
	*lo = parse_num(s, 65535);
	*hi = dash ? parse_num(dash, 65535) : *lo;
}

static void
add_entry(const struct dr_entry *e)
{
	if (nentries == capentries) {
		capentries = capentries ? capentries * 2 : 64;
		if ((entries = reallocarray(entries, capentries,
		    sizeof(*entries))) == NULL)
			err(1, "reallocarray");
	}
	entries[nentries++] = *e;
}

static void
cmd_entry(int mode, char **av)
{
	struct dr_entry	 e;

	memset(&e, 0, sizeof(e));
	e.mode = mode;
	e.vip = parse_addr(av[1]);
	if (mode != MODE_LOOPBACK || av[2] != NULL) {
		e.proto = parse_proto(av[2]);
		parse_ports(av[3], &e.port_lo, &e.port_hi);
	}
	if (mode == MODE_REDIRECT && av[3] != NULL && av[4] != NULL)
		e.to_port = parse_num(av[4], 65535);
	if (mode == MODE_DNAT)
		e.target = parse_addr(av[4]);
	add_entry(&e);
}

/* gen MODE N FIRSTVIP PROTO PORT: N entries on consecutive IPv4 VIPs */
static void
cmd_gen(char **av)
{
	struct dr_entry	 e;
	unsigned long	 i, n;
	uint32_t	 first;

	memset(&e, 0, sizeof(e));
	if (av[1] != NULL && strcmp(av[1], "redirect") == 0)
		e.mode = MODE_REDIRECT;
	else if (av[1] != NULL && strcmp(av[1], "loopback") == 0)
		e.mode = MODE_LOOPBACK;
	else
		syntax("gen redirect|loopback N FIRSTVIP PROTO PORT");
	n = parse_num(av[2], 1000000);
	e.vip = parse_addr(av[3]);
	e.proto = parse_proto(av[4]);
	parse_ports(av[5], &e.port_lo, &e.port_hi);
	if (e.vip.af != AF_INET)
		syntax("gen takes an IPv4 VIP");
	first = ntohl(e.vip.u.v4.s_addr);
	for (i = 0; i < n; i++) {
		e.vip.u.v4.s_addr = htonl(first + (uint32_t)i);
		add_entry(&e);
	}
}

static void
cmd_accept(char **av)
{
	struct accept_rule	*r;
	char			*p, *item;

	if (settings.naccept >= ACCEPT_MAX)
		syntax("too many accept rules");
	r = &settings.accept[settings.naccept++];
	r->prefix = parse_addr(av[1]);
	r->proto = parse_proto(av[2]);
	if (av[3] == NULL)
		syntax("ports missing");
	if (strcmp(av[3], "any") != 0) {
		for (p = av[3]; (item = strsep(&p, ",")) != NULL;) {
			if (r->nports >= sizeof(r->ports) / sizeof(r->ports[0]))
				syntax("too many ports");
			parse_ports(item, &r->ports[r->nports].lo,
			    &r->ports[r->nports].hi);
			r->nports++;
		}
	}
	r->max = parse_num(av[4], 65535);
}

static void
cmd_commit(char **av)
{
	long long	 t0 = now_us();
	size_t		 i;

	begin.count = av[1] != NULL ? parse_num(av[1], UINT32_MAX) : nentries;
	send_msg(IMSG_DR_BEGIN, &begin, sizeof(begin));
	for (i = 0; i < nentries; i++) {
		send_msg(IMSG_DR_ENTRY, &entries[i], sizeof(entries[i]));
		if (ibuf.wq_len >= 1024)
			flush();
	}
	send_msg(IMSG_DR_COMMIT, NULL, 0);
	flush();
	await_done(t0);
	nentries = 0;
}

static void
command(char **av)
{
	static const char	 zero[MAX_IMSGSIZE];
	int			 verbose;

	if (strcmp(av[0], "iface") == 0) {
		if (av[1] == NULL || strlen(av[1]) >= sizeof(settings.interface))
			syntax("iface NAME");
		strcpy(settings.interface, av[1]);
		settings.ifindex = if_nametoindex(av[1]);
	} else if (strcmp(av[0], "real") == 0)
		settings.real_addr = parse_addr(av[1]);
	else if (strcmp(av[0], "real6") == 0)
		settings.real_addr6 = parse_addr(av[1]);
	else if (strcmp(av[0], "accept") == 0)
		cmd_accept(av);
	else if (strcmp(av[0], "settings") == 0) {
		send_msg(IMSG_CONF_SETTINGS, &settings, sizeof(settings));
		send_msg(IMSG_CONF_END, NULL, 0);
		flush();
	} else if (strcmp(av[0], "verbose") == 0) {
		verbose = parse_num(av[1], 9);
		send_msg(IMSG_CTL_VERBOSE, &verbose, sizeof(verbose));
		flush();
	} else if (strcmp(av[0], "begin") == 0) {
		memset(&begin, 0, sizeof(begin));
		if (av[1] != NULL && strcmp(av[1], "lb") == 0)
			begin.origin = ORIGIN_LB;
		else if (av[1] == NULL || strcmp(av[1], "config") != 0)
			syntax("begin config|lb GENERATION [LBADDR]");
		begin.generation = parse_num(av[2], ~0UL);
		if (av[3] != NULL)
			begin.lb = parse_addr(av[3]);
		nentries = 0;
	} else if (strcmp(av[0], "redirect") == 0)
		cmd_entry(MODE_REDIRECT, av);
	else if (strcmp(av[0], "dnat") == 0)
		cmd_entry(MODE_DNAT, av);
	else if (strcmp(av[0], "loopback") == 0)
		cmd_entry(MODE_LOOPBACK, av);
	else if (strcmp(av[0], "gen") == 0)
		cmd_gen(av);
	else if (strcmp(av[0], "commit") == 0)
		cmd_commit(av);
	else if (strcmp(av[0], "remove-all") == 0) {
		send_msg(IMSG_DR_REMOVE_ALL, NULL, 0);
		flush();
		await_done(now_us());
	} else if (strcmp(av[0], "raw") == 0) {
		send_msg(parse_type(av[1]), zero,
		    parse_num(av[2], sizeof(zero) - IMSG_HEADER_SIZE));
		flush();
		await_done(now_us());
	} else
		syntax("unknown command");
}

int
main(int argc, char *argv[])
{
	char		 line[LINE_MAX_LEN], *av[8], *p;
	const char	*lbnoded = getenv("LBNODED");
	int		 ac, verbose = 0;

	if (argc > 1 && strcmp(argv[1], "-v") == 0)
		verbose = 1;
	if (lbnoded == NULL)
		errx(1, "LBNODED is not set");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	start(lbnoded, verbose);

	while (fgets(line, sizeof(line), stdin) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		ac = 0;
		for (p = strtok(line, " \t\n"); p != NULL && ac < 7;
		    p = strtok(NULL, " \t\n"))
			av[ac++] = p;
		av[ac] = NULL;
		if (ac > 0)
			command(av);
	}
	close(ibuf.fd);
	child_gone();
}
