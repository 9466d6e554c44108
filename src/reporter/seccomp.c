/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The reporter's syscall allowlist, found by running it under
 * --enable-seccomp-debug; file probes by libc get EACCES
 * (src/common/sandbox.c).  The event base, the signal socketpair and
 * the imsg channel exist before the filter is loaded, and every socket
 * and file arrives as a descriptor, so nothing here opens, creates or
 * binds, except the AF_UNIX datagram socket glibc's syslog() reconnects
 * with after syslogd restarts.  The names 32-bit glibc calls instead
 * of these come from sandbox.c.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>

#include "reporter.h"
#include "sandbox.h"

static const struct sandbox_rule reporter_rules[] = {
	/* the event loop and the imsg channel */
	SANDBOX_ALLOW(SCMP_SYS(epoll_wait)),		/* not on every architecture */
	SANDBOX_ALLOW(SCMP_SYS(epoll_pwait)),
	SANDBOX_ALLOW(SCMP_SYS(epoll_ctl)),
	SANDBOX_ALLOW(SCMP_SYS(recvmsg)),		/* with SCM_RIGHTS */
	SANDBOX_ALLOW(SCMP_SYS(sendmsg)),
	SANDBOX_ALLOW(SCMP_SYS(read)),
	SANDBOX_ALLOW(SCMP_SYS(readv)),
	SANDBOX_ALLOW(SCMP_SYS(write)),
	SANDBOX_ALLOW(SCMP_SYS(writev)),
	SANDBOX_ALLOW(SCMP_SYS(close)),
	SANDBOX_ALLOW(SCMP_SYS(clock_gettime)),
	SANDBOX_ALLOW(SCMP_SYS(gettimeofday)),
	SANDBOX_ALLOW(SCMP_SYS(getpid)),
	SANDBOX_ALLOW(SCMP_SYS(rt_sigreturn)),
	SANDBOX_ALLOW(SCMP_SYS(exit)),
	SANDBOX_ALLOW(SCMP_SYS(exit_group)),
	/* memory */
	SANDBOX_ALLOW(SCMP_SYS(brk)),
	SANDBOX_ALLOW(SCMP_SYS(mmap)),
	SANDBOX_ALLOW(SCMP_SYS(munmap)),
	SANDBOX_ALLOW(SCMP_SYS(mremap)),
	SANDBOX_ALLOW(SCMP_SYS(madvise)),
	/* /proc files: pread() only, the fds are the monitor's */
	SANDBOX_ALLOW(SCMP_SYS(pread64)),
	/* LBNP, agent-check and HTTP on sockets handed over */
	SANDBOX_ALLOW(SCMP_SYS(recvfrom)),
	SANDBOX_ALLOW(SCMP_SYS(recvmmsg)),		/* lbnp: a batch a wakeup */
	SANDBOX_ALLOW(SCMP_SYS(sendto)),
	SANDBOX_ALLOW(SCMP_SYS(accept4)),
	SANDBOX_ALLOW(SCMP_SYS(shutdown)),
	SANDBOX_ALLOW(SCMP_SYS(getsockname)),		/* lbnp: which family */
	SANDBOX_ALLOW(SCMP_SYS(getpeername)),		/* admit.c: the source */
	SANDBOX_ALLOW(SCMP_SYS(fstat)),		/* admit.c: is a socket still the same */
	SANDBOX_ALLOW(SCMP_SYS(newfstatat)),
	SANDBOX_ARG_EQ(SCMP_SYS(ioctl), 1, FIONREAD),	/* evbuffer_read */
	SANDBOX_ARG_EQ(SCMP_SYS(fcntl), 1, F_GETFL),	/* O_NONBLOCK */
	SANDBOX_ARG_EQ(SCMP_SYS(fcntl), 1, F_SETFL),
	/* libsodium's randombytes_buf() for LBNP nonces */
	SANDBOX_ALLOW(SCMP_SYS(getrandom)),
	/* syslog: reconnect to /dev/log */
	SANDBOX_ARG_EQ(SCMP_SYS(socket), 0, AF_UNIX),
	SANDBOX_ALLOW(SCMP_SYS(connect)),
};

/* The rules, for the unit tests. */
const struct sandbox_rule *
reporter_seccomp_rules(size_t *n)
{
	*n = nitems(reporter_rules);
	return reporter_rules;
}

void
reporter_seccomp(void)
{
	sandbox_seccomp(reporter_rules, nitems(reporter_rules));
}
