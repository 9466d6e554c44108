/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl: control of the local lbnoded over its control socket, and
 * a load balancer's view of any node over LBNP.  This file holds main(),
 * the command table and the options every command shares; each family
 * of commands has a file of its own (lbnodectl.h lists them).
 *
 * The global options come before the command; each command gets the
 * argument vector from its own name on, as main() gets its own, so a
 * command may run getopt() on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lbnoded.h"
#include "lbnodectl.h"

const char	*ctl_socket_path = LBNODED_SOCKET;
int		 ctl_json;

static const struct command {
	const char	*name;
	int		 (*run)(int, char **);
} commands[] = {
	{ "status",	cmd_status },
	{ "show",	cmd_show },
	{ "drain",	cmd_admin },
	{ "ready",	cmd_admin },
	{ "maint",	cmd_admin },
	{ "reload",	cmd_reload },
	{ "log",	cmd_log },
	{ "probe",	cmd_probe },
	{ "push",	cmd_push },
	{ "listen",	cmd_listen }
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: lbnodectl [-hjV] [-s socket] command [argument ...]\n"
	    "commands:\n"
	    "  status                 state, weight, load, counters, LBs\n"
	    "  show vips | lbs        the VIPs in force; the LBs seen\n"
	    "  drain | ready | maint  set the admin state\n"
	    "  reload                 re-read the configuration\n"
	    "  log verbose | brief    the daemon's log level\n"
	    "  probe [-j] [--keepalived] [-k keyfile] [-p port] [-t timeout] node\n"
	    "  push [-j] [-k keyfile] [-p port] [-g generation] [-t timeout]\n"
	    "       node [vip-spec ...]\n"
	    "  listen [-j] [-k keyfile] [-p port] [-c count] [-t seconds]\n");
}

int
ctl_usage(const char *synopsis)
{
	fprintf(stderr, "usage: lbnodectl [-j] [-s socket] %s\n", synopsis);
	return 1;
}

/*
 * The option every control command takes after its own name too,
 * anywhere among its operands: -j.  Returns the index of the first operand,
 * or -1.
 */
int
ctl_json_opt(int argc, char **argv)
{
	int	 ch;

	optind = 0;	/* glibc: start over, with argv[0] the command */
	while ((ch = getopt(argc, argv, "j")) != -1) {
		if (ch != 'j')
			return -1;
		ctl_json = 1;
	}
	return optind;
}

int
main(int argc, char *argv[])
{
	size_t	 i;
	int	 ch;

	/* "+": stop at the command, whose options are its own */
	while ((ch = getopt(argc, argv, "+hjs:V")) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'j':
			ctl_json = 1;
			break;
		case 's':
			ctl_socket_path = optarg;
			break;
		case 'V':
			printf("lbnodectl %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return 1;
	}
	for (i = 0; i < nitems(commands); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(argc, argv);
	fprintf(stderr, "lbnodectl: unknown command: %s\n", argv[0]);
	usage(stderr);
	return 1;
}
