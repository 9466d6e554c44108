/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The command line of the LBNP tools of the tests and benchmarks: the
 * mode, then the options a tool takes (its getopt string, a subset of
 * "i:k:n:p:r:S:st:"), then the operands, which are left in argc and
 * argv.  Every mode that gets here runs for a bounded time.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbnp.h"
#include "toolopt.h"

void
toolopt_parse(int *argcp, char ***argvp, const char *optstring,
    struct toolopt *o, void (*usage)(void))
{
	int	 argc = *argcp, ch;
	char	**argv = *argvp;

	memset(o, 0, sizeof(*o));
	o->port = LBNP_PORT;
	if (argc < 2)
		usage();
	o->mode = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'i':
			o->interval = atoi(optarg);
			break;
		case 'k':
			if (key_read(optarg, &o->key) == -1)
				exit(1);
			break;
		case 'n':
			o->count = atoi(optarg);
			break;
		case 'p':
			o->port = (unsigned int)atoi(optarg);
			break;
		case 'r':
			o->rate = atoi(optarg);
			break;
		case 's':
			o->slow = 1;
			break;
		case 'S':
			o->source = optarg;
			break;
		case 't':
			o->seconds = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (o->seconds < 1 || o->seconds > 600)
		errx(1, "seconds: 1 to 600");
	*argcp = argc - optind;
	*argvp = argv + optind;
}
