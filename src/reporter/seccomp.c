/*
 * The reporter's syscall allowlist, found by running it under
 * --enable-seccomp-debug.  The event base, the signal socketpair and
 * the imsg channel exist before the filter is loaded, and every socket
 * and file arrives as a descriptor, so nothing here opens, creates or
 * binds, except the AF_UNIX datagram socket glibc's syslog() reconnects
 * with after syslogd restarts.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <fcntl.h>
#include <stddef.h>

#include "reporter.h"
#include "sandbox.h"

static const struct sandbox_rule reporter_rules[] = {
	/* the event loop and the imsg channel */
#ifdef SYS_epoll_wait		/* not on every architecture */
	SANDBOX_ALLOW(SYS_epoll_wait),
#endif
	SANDBOX_ALLOW(SYS_epoll_pwait),
	SANDBOX_ALLOW(SYS_epoll_ctl),
	SANDBOX_ALLOW(SYS_recvmsg),		/* with SCM_RIGHTS */
	SANDBOX_ALLOW(SYS_sendmsg),
	SANDBOX_ALLOW(SYS_read),
	SANDBOX_ALLOW(SYS_readv),
	SANDBOX_ALLOW(SYS_write),
	SANDBOX_ALLOW(SYS_writev),
	SANDBOX_ALLOW(SYS_close),
	SANDBOX_ALLOW(SYS_clock_gettime),
	SANDBOX_ALLOW(SYS_gettimeofday),
	SANDBOX_ALLOW(SYS_getpid),
	SANDBOX_ALLOW(SYS_rt_sigreturn),
	SANDBOX_ALLOW(SYS_exit),
	SANDBOX_ALLOW(SYS_exit_group),
	/* memory */
	SANDBOX_ALLOW(SYS_brk),
	SANDBOX_ALLOW(SYS_mmap),
	SANDBOX_ALLOW(SYS_munmap),
	SANDBOX_ALLOW(SYS_mremap),
	SANDBOX_ALLOW(SYS_madvise),
	/* /proc files: pread() only, the fds are the monitor's */
	SANDBOX_ALLOW(SYS_pread64),
	/* LBNP, agent-check and HTTP on sockets handed over */
	SANDBOX_ALLOW(SYS_recvfrom),
	SANDBOX_ALLOW(SYS_recvmmsg),		/* lbnp: a batch a wakeup */
	SANDBOX_ALLOW(SYS_sendto),
	SANDBOX_ALLOW(SYS_accept4),
	SANDBOX_ALLOW(SYS_shutdown),
	SANDBOX_ALLOW(SYS_getsockname),		/* lbnp: which family */
	SANDBOX_ALLOW(SYS_getpeername),		/* admit.c: the source */
#ifdef SYS_fstat		/* admit.c: is a socket still the same */
	SANDBOX_ALLOW(SYS_fstat),
#endif
	SANDBOX_ALLOW(SYS_newfstatat),
	SANDBOX_ARG_EQ(SYS_ioctl, 1, FIONREAD),		/* evbuffer_read */
	SANDBOX_ARG_EQ(SYS_fcntl, 1, F_GETFL),		/* O_NONBLOCK */
	SANDBOX_ARG_EQ(SYS_fcntl, 1, F_SETFL),
	/* libsodium's randombytes_buf() for LBNP nonces */
	SANDBOX_ALLOW(SYS_getrandom),
	/* syslog: reconnect to /dev/log */
	SANDBOX_ARG_EQ(SYS_socket, 0, AF_UNIX),
	SANDBOX_ALLOW(SYS_connect),
};

void
reporter_seccomp(void)
{
	sandbox_seccomp(reporter_rules,
	    nitems(reporter_rules));
}
