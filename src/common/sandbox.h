/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/* Privilege reduction shared by the children. */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <seccomp.h>

/*
 * One allowed syscall, nr from SCMP_SYS(name).  With arg >= 0 it is
 * allowed only when (args[arg] & mask) == value, e.g. socket() for
 * AF_UNIX only, or openat() without write access.  The names 32-bit
 * glibc calls instead (mmap2 for mmap, fcntl64 for fcntl...) come with
 * it, under the same condition (sandbox.c).
 */
struct sandbox_rule {
	int		 nr;
	int		 arg;
	uint64_t	 mask;
	uint64_t	 value;
};
#define SANDBOX_ANY		(-1)
#define SANDBOX_ALLOW(nr)	{ (nr), SANDBOX_ANY, 0, 0 }
#define SANDBOX_ARG_EQ(nr, a, v) { (nr), (a), ~(uint64_t)0, (uint64_t)(v) }
#define SANDBOX_ARG_MASK(nr, a, m, v) { (nr), (a), (uint64_t)(m), (uint64_t)(v) }

void	 sandbox_chroot_user(const char *, const char *);
void	 sandbox_keep_cap(int);
void	 sandbox_no_new_privs(void);
void	 sandbox_seccomp(const struct sandbox_rule *, size_t);
scmp_filter_ctx	 sandbox_filter(const struct sandbox_rule *, size_t, uint32_t);
void	 sandbox_pdeathsig(void);

/* sandbox_keep_cap: -1 keeps no capability at all. */

#endif /* SANDBOX_H */
