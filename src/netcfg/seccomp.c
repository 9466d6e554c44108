/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * netcfg's system call allowlist.  It talks netlink (nftables and
 * rtnetlink) and its imsg socket, logs to syslog or stderr, and must
 * write nothing to the filesystem: files open read-only or not at all
 * (an open for writing fails with EACCES, src/common/sandbox.c).  The
 * names 32-bit glibc calls instead of these come from sandbox.c.
 */
#include <sys/socket.h>

#include <fcntl.h>
#include <seccomp.h>

#include "netcfg.h"
#include "sandbox.h"

/* Any of these in open flags means a write to the filesystem. */
#define OPEN_WRITE_FLAGS	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | \
				 O_APPEND | O_TMPFILE)

static const struct sandbox_rule netcfg_rules[] = {
	/* the imsg channel, read and written blocking; poll for idleness */
	SANDBOX_ALLOW(SCMP_SYS(poll)),		/* not on every architecture */
	SANDBOX_ALLOW(SCMP_SYS(ppoll)),
	SANDBOX_ALLOW(SCMP_SYS(read)),
	SANDBOX_ALLOW(SCMP_SYS(readv)),
	SANDBOX_ALLOW(SCMP_SYS(write)),
	SANDBOX_ALLOW(SCMP_SYS(writev)),
	SANDBOX_ALLOW(SCMP_SYS(recvmsg)),
	SANDBOX_ALLOW(SCMP_SYS(sendmsg)),
	SANDBOX_ALLOW(SCMP_SYS(recvfrom)),
	SANDBOX_ALLOW(SCMP_SYS(sendto)),
	SANDBOX_ALLOW(SCMP_SYS(close)),
	SANDBOX_ALLOW(SCMP_SYS(clock_gettime)),
	SANDBOX_ALLOW(SCMP_SYS(gettimeofday)),
	SANDBOX_ALLOW(SCMP_SYS(getpid)),
	/* nft_ctx_new() after an idle time: libxtables compares the uids */
	SANDBOX_ALLOW(SCMP_SYS(getuid)),
	SANDBOX_ALLOW(SCMP_SYS(geteuid)),
	SANDBOX_ALLOW(SCMP_SYS(exit)),
	SANDBOX_ALLOW(SCMP_SYS(exit_group)),
	SANDBOX_ALLOW(SCMP_SYS(rt_sigreturn)),
	/* memory */
	SANDBOX_ALLOW(SCMP_SYS(brk)),
	SANDBOX_ALLOW(SCMP_SYS(mmap)),
	SANDBOX_ALLOW(SCMP_SYS(munmap)),
	SANDBOX_ALLOW(SCMP_SYS(mremap)),
	SANDBOX_ALLOW(SCMP_SYS(madvise)),
	/* netlink for nftables and rtnetlink, AF_UNIX to reconnect to syslog */
	SANDBOX_ARG_EQ(SCMP_SYS(socket), 0, AF_NETLINK),
	SANDBOX_ARG_EQ(SCMP_SYS(socket), 0, AF_UNIX),
	SANDBOX_ALLOW(SCMP_SYS(connect)),
	SANDBOX_ALLOW(SCMP_SYS(setsockopt)),
	SANDBOX_ALLOW(SCMP_SYS(getsockopt)),
	SANDBOX_ARG_EQ(SCMP_SYS(fcntl), 1, F_SETFL), /* O_NONBLOCK on nft's socket */
	SANDBOX_ALLOW(SCMP_SYS(pselect6)),	/* libnftables awaits netlink answers */
	/* libnftables may look at /etc (protocols, services) read-only */
	SANDBOX_ARG_MASK(SCMP_SYS(openat), 2, OPEN_WRITE_FLAGS, 0),
	SANDBOX_ALLOW(SCMP_SYS(fstat)),
	SANDBOX_ALLOW(SCMP_SYS(newfstatat)),
	SANDBOX_ALLOW(SCMP_SYS(lseek)),
	/* glibc qsort() asks how much memory there is */
	SANDBOX_ALLOW(SCMP_SYS(sysinfo)),
};

/* The rules, for the unit tests. */
const struct sandbox_rule *
netcfg_seccomp_rules(size_t *n)
{
	*n = nitems(netcfg_rules);
	return netcfg_rules;
}

void
netcfg_seccomp(void)
{
	sandbox_seccomp(netcfg_rules, nitems(netcfg_rules));
}
