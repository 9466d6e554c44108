/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnoded: one binary, three processes.  The monitor re-executes this
 * binary with -P for each child, so every child starts from a fresh
 * address space with nothing of the monitor's memory in it.
 */
#include <stdio.h>
#include <string.h>

#include "lbnoded.h"

int
main(int argc, char *argv[])
{
	if (argc >= 3 && strcmp(argv[1], "-P") == 0) {
		if (strcmp(argv[2], "netcfg") == 0)
			return netcfg_main(argc, argv);
		if (strcmp(argv[2], "reporter") == 0)
			return reporter_main(argc, argv);
		fprintf(stderr, "lbnoded: unknown process %s\n", argv[2]);
		return 1;
	}
	return monitor_main(argc, argv);
}
