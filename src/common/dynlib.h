/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Libraries that only one process uses are loaded by that process
 * alone, so the others (the reporter above all, which faces the
 * network) never map their code.
 */
#ifndef DYNLIB_H
#define DYNLIB_H

#include <stddef.h>

struct dynsym {
	const char	 *name;
	void		**fn;		/* where the address goes */
};

int	 dynlib_load(const char *, const struct dynsym *, size_t);

#endif /* DYNLIB_H */
