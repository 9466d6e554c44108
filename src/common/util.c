/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Small helpers that more than one folder calls and that belong to no
 * one process: a clock read in nanoseconds, and a message made of lines.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "util.h"

uint64_t
clock_ns(clockid_t clock)
{
	struct timespec	 ts;

	if (clock_gettime(clock, &ts) == -1)
		fatal("clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

uint64_t
monotonic_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/*
 * One more line of a message made of lines; a line that no longer fits
 * is left out whole, and the ones before it still tell where to start.
 */
void
lines_append(char *text, size_t size, const char *line)
{
	size_t	 used = strlen(text);

	if (used + 1 + strlen(line) < size)
		snprintf(text + used, size - used, "%s%s", used > 0 ? "\n" : "",
		    line);
}
