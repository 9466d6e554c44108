/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The command line of the LBNP tools of the tests and benchmarks
 * (tests/integ/attack.c, bench/lbnp_client.c): "tool MODE [options]
 * operands", one letter per option and the same letter for the same
 * thing in both.
 */
#ifndef TOOLOPT_H
#define TOOLOPT_H

#include "key.h"

struct toolopt {
	const char	*mode;
	struct key_msg	 key;		/* -k keyfile; len 0 without */
	unsigned int	 port;		/* -p port, LBNP_PORT without */
	int		 seconds;	/* -t seconds, 1 to 600 */
	int		 interval;	/* -i milliseconds */
	int		 count;		/* -n: sources, connections */
	int		 rate;		/* -r packets a second */
	int		 slow;		/* -s */
	const char	*source;	/* -S address to send from */
};

void	 toolopt_parse(int *, char ***, const char *, struct toolopt *,
	    void (*)(void));

#endif /* TOOLOPT_H */
