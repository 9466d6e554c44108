/*
 * netcfg's system call allowlist.  It talks netlink (nftables and
 * rtnetlink) and its imsg socket, logs to syslog or stderr, and must
 * write nothing to the filesystem: files open read-only or not at all.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <fcntl.h>

#include "netcfg.h"
#include "sandbox.h"

/* Any of these in open flags means a write to the filesystem. */
#define OPEN_WRITE_FLAGS	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | \
				 O_APPEND | O_TMPFILE)

static const struct sandbox_rule netcfg_rules[] = {
	/* the imsg channel, read and written blocking; poll for idleness */
#ifdef SYS_poll			/* not on every architecture */
	SANDBOX_ALLOW(SYS_poll),
#endif
	SANDBOX_ALLOW(SYS_ppoll),
	SANDBOX_ALLOW(SYS_read),
	SANDBOX_ALLOW(SYS_readv),
	SANDBOX_ALLOW(SYS_write),
	SANDBOX_ALLOW(SYS_writev),
	SANDBOX_ALLOW(SYS_recvmsg),
	SANDBOX_ALLOW(SYS_sendmsg),
	SANDBOX_ALLOW(SYS_recvfrom),
	SANDBOX_ALLOW(SYS_sendto),
	SANDBOX_ALLOW(SYS_close),
	SANDBOX_ALLOW(SYS_clock_gettime),
	SANDBOX_ALLOW(SYS_gettimeofday),
	SANDBOX_ALLOW(SYS_getpid),
	/* nft_ctx_new() after an idle time: libxtables compares the uids */
	SANDBOX_ALLOW(SYS_getuid),
	SANDBOX_ALLOW(SYS_geteuid),
	SANDBOX_ALLOW(SYS_exit),
	SANDBOX_ALLOW(SYS_exit_group),
	SANDBOX_ALLOW(SYS_rt_sigreturn),
	/* memory */
	SANDBOX_ALLOW(SYS_brk),
	SANDBOX_ALLOW(SYS_mmap),
	SANDBOX_ALLOW(SYS_munmap),
	SANDBOX_ALLOW(SYS_mremap),
	SANDBOX_ALLOW(SYS_madvise),
	/* netlink for nftables and rtnetlink, AF_UNIX to reconnect to syslog */
	SANDBOX_ARG_EQ(SYS_socket, 0, AF_NETLINK),
	SANDBOX_ARG_EQ(SYS_socket, 0, AF_UNIX),
	SANDBOX_ALLOW(SYS_connect),
	SANDBOX_ALLOW(SYS_setsockopt),
	SANDBOX_ALLOW(SYS_getsockopt),
	SANDBOX_ARG_EQ(SYS_fcntl, 1, F_SETFL),	/* O_NONBLOCK on nft's socket */
	SANDBOX_ALLOW(SYS_pselect6),	/* libnftables awaits netlink answers */
	/* libnftables may look at /etc (protocols, services) read-only */
	SANDBOX_ARG_MASK(SYS_openat, 2, OPEN_WRITE_FLAGS, 0),
	SANDBOX_ALLOW(SYS_fstat),
	SANDBOX_ALLOW(SYS_newfstatat),
	SANDBOX_ALLOW(SYS_lseek),
	/* glibc qsort() asks how much memory there is */
	SANDBOX_ALLOW(SYS_sysinfo),
};

void
netcfg_seccomp(void)
{
	sandbox_seccomp(netcfg_rules, nitems(netcfg_rules));
}
