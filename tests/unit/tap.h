/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * A tiny TAP producer for the unit tests.  ok() records one test;
 * done_testing() prints the plan and returns the exit status.
 */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int	 tap_n, tap_failed;

static inline int
tap_ok(int cond, const char *file, int line, const char *name)
{
	tap_n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, name)		tap_ok(!!(cond), __FILE__, __LINE__, (name))
#define is_int(a, b, name)	do {					\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (!tap_ok(_a == _b, __FILE__, __LINE__, (name)))		\
		printf("#   got %lld, expected %lld\n", _a, _b);	\
} while (0)
#define is_str(a, b, name)	do {					\
	const char *_a = (a), *_b = (b);				\
	int _eq = _a != NULL && _b != NULL && strcmp(_a, _b) == 0;	\
	if (!tap_ok(_eq, __FILE__, __LINE__, (name)))			\
		printf("#   got \"%s\", expected \"%s\"\n",		\
		    _a ? _a : "(null)", _b ? _b : "(null)");		\
} while (0)

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* TAP_H */
