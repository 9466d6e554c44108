/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Small helpers that more than one folder calls and that belong to no
 * one process: a clock read in nanoseconds, and a message made of lines.
 */
#ifndef LBN_UTIL_H
#define LBN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

uint64_t clock_ns(clockid_t);		/* fatal() if the clock cannot be read */
uint64_t monotonic_ns(void);		/* the one clock for intervals */
void	 lines_append(char *, size_t, const char *);	/* '\n' between */

#endif
