/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The steps a child takes to give up what it does not need, in the
 * order they must happen: chroot and user while still root, then
 * capabilities, then no_new_privs, then seccomp last because it would
 * forbid the calls before it.
 *
 * A step that fails for want of a privilege exits CHILD_EXIT_SANDBOX:
 * the monitor then stops instead of restarting a child that would
 * fail the same way forever.
 */
#include <sys/prctl.h>
#include <sys/types.h>

#include <cap-ng.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "lbnoded.h"
#include "log.h"
#include "sandbox.h"

static void __attribute__((noreturn))
sandbox_fail(void)
{
	exit(CHILD_EXIT_SANDBOX);
}

void
sandbox_chroot_user(const char *user, const char *dir)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno != 0)
			fatal("getpwnam %s", user);
		log_warnx("unknown user %s: create it (tools/setup does)",
		    user);
		sandbox_fail();
	}
	if (chroot(dir) == -1) {
		log_warn("chroot %s", dir);
		sandbox_fail();
	}
	if (chdir("/") == -1)
		fatal("chdir /");
	/*
	 * The bounding set can only be cleared while we are still root,
	 * so libcap-ng clears it in the same step as the change of ids.
	 */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
	    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) != 0) {
		log_warnx("cannot drop privileges to %s", user);
		sandbox_fail();
	}
	/* A change of uid clears the parent-death signal: set it again. */
	sandbox_pdeathsig();
}

/* "NET_ADMIN", as the capability's constant says it. */
static const char *
cap_upper(int cap)
{
	static char	 name[32];
	const char	*lower = capng_capability_to_name((unsigned)cap);
	size_t		 i;

	if (lower == NULL)
		lower = "unknown";
	for (i = 0; lower[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)toupper((unsigned char)lower[i]);
	name[i] = '\0';
	return name;
}

/*
 * Keep one capability (or none) in the effective, permitted and
 * bounding sets.  A root process keeps its uid but loses the rest.
 */
void
sandbox_keep_cap(int cap)
{
	if (geteuid() != 0) {
		/* After sandbox_chroot_user: check that nothing is left. */
		if (cap >= 0 || capng_get_caps_process() != 0 ||
		    capng_have_capabilities(CAPNG_SELECT_BOTH) != CAPNG_NONE)
			fatalx("capabilities left after dropping privileges");
		return;
	}
	if (cap >= 0 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) {
		log_warnx("CAP_%s is not in the capability bounding set: "
		    "cannot work without it", cap_upper(cap));
		sandbox_fail();
	}
	capng_clear(CAPNG_SELECT_BOTH);
	if (cap >= 0 && capng_update(CAPNG_ADD,
	    CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET, cap) != 0)
		fatalx("capng_update failed");
	if (capng_apply(CAPNG_SELECT_BOTH) != 0) {
		log_warnx("capng_apply failed: cannot set the capabilities");
		sandbox_fail();
	}
}

void
sandbox_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl PR_SET_NO_NEW_PRIVS");
}

/* The monitor's death takes its children with it. */
void
sandbox_pdeathsig(void)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		fatal("prctl PR_SET_PDEATHSIG");
	if (getppid() == 1)
		fatalx("monitor gone before start");
}

/*
 * The file probes libc makes on its own (a locale, nsswitch.conf,
 * /etc/localtime) fail with EACCES instead of killing: libc takes that
 * for a file it may not read and does without, and since nothing was
 * opened, nothing is gained by the kill.  What a process's allowlist
 * lets through of these stays allowed, with the same argument filter.
 */
static const int file_probes[] = {
	SCMP_SYS(open),
	SCMP_SYS(openat),
	SCMP_SYS(openat2),
	SCMP_SYS(stat),
	SCMP_SYS(stat64),
	SCMP_SYS(lstat),
	SCMP_SYS(lstat64),
	SCMP_SYS(newfstatat),
	SCMP_SYS(fstatat64),
	SCMP_SYS(statx),
	SCMP_SYS(access),
	SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
};

/*
 * The names 32-bit glibc (i386, armhf) calls in place of a syscall the
 * allowlist names: a rule for native is repeated for arch32, with the
 * same argument filter.  On an architecture without the name, SCMP_SYS()
 * gives one of libseccomp's pseudo-syscall numbers (negative), which
 * seccomp_rule_add() takes without error and which no call carries;
 * a filter that also holds an architecture with the name gets that
 * architecture's number.  On i386 libseccomp also allows the socket
 * calls through socketcall(2), by call number alone: an argument filter
 * on socket(2) cannot reach into socketcall's memory.
 */
static const struct {
	int	 native;
	int	 arch32;
} arch32_names[] = {
	{ SCMP_SYS(mmap),		SCMP_SYS(mmap2) },
	{ SCMP_SYS(fstat),		SCMP_SYS(fstat64) },
	{ SCMP_SYS(newfstatat),		SCMP_SYS(fstatat64) },
	/*
	 * Where there is no newfstatat, glibc's fstat and fstatat try statx
	 * first and fall back only on ENOSYS; elsewhere statx stays a file
	 * probe, and __NR_SCMP_ERROR adds nothing.
	 */
	{ SCMP_SYS(newfstatat),		SCMP_SYS(newfstatat) < 0 ?
					    SCMP_SYS(statx) : __NR_SCMP_ERROR },
	{ SCMP_SYS(lseek),		SCMP_SYS(_llseek) },
	{ SCMP_SYS(fcntl),		SCMP_SYS(fcntl64) },
	{ SCMP_SYS(getuid),		SCMP_SYS(getuid32) },
	{ SCMP_SYS(geteuid),		SCMP_SYS(geteuid32) },
	/* the return from a handler without SA_SIGINFO */
	{ SCMP_SYS(rt_sigreturn),	SCMP_SYS(sigreturn) },
	{ SCMP_SYS(clock_gettime),	SCMP_SYS(clock_gettime64) },
	{ SCMP_SYS(ppoll),		SCMP_SYS(ppoll_time64) },
	{ SCMP_SYS(pselect6),		SCMP_SYS(pselect6_time64) },
	{ SCMP_SYS(recvmmsg),		SCMP_SYS(recvmmsg_time64) },
	/* send() and recv(), which syslog() and others call */
	{ SCMP_SYS(sendto),		SCMP_SYS(send) },
	{ SCMP_SYS(recvfrom),		SCMP_SYS(recv) },
};

/* Does a rule for rule_nr allow nr, itself or as its 32-bit name? */
static int
rule_covers(int rule_nr, int nr)
{
	size_t	 i;

	if (rule_nr == nr)
		return 1;
	for (i = 0; i < nitems(arch32_names); i++)
		if (arch32_names[i].native == rule_nr &&
		    arch32_names[i].arch32 == nr && nr != __NR_SCMP_ERROR)
			return 1;
	return 0;
}

#ifdef SECCOMP_DEBUG
#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1	/* the kernel's si_code for a seccomp trap; glibc lacks it */
#endif

/*
 * Syscall names for the SIGSYS handler, looked up before the filter is
 * loaded: libseccomp allocates, which a signal handler must not.  The
 * strings live as long as the process.
 */
#define SYSCALL_NAMES_MAX	1024
static char	*syscall_names[SYSCALL_NAMES_MAX];

static void
syscall_names_prepare(void)
{
	int	 nr;

	for (nr = 0; nr < SYSCALL_NAMES_MAX; nr++)
		if (syscall_names[nr] == NULL)
			syscall_names[nr] = seccomp_syscall_resolve_num_arch(
			    SCMP_ARCH_NATIVE, nr);
}

/* A line built without snprintf: the handler may only call write(2). */
struct sigsys_line {
	char	 buf[160];
	size_t	 len;
};

static void
line_str(struct sigsys_line *l, const char *s)
{
	while (*s != '\0' && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void
line_num(struct sigsys_line *l, long long v)
{
	char			 digits[24];
	size_t			 n = 0;
	unsigned long long	 u = v < 0 ? -(unsigned long long)v :
				    (unsigned long long)v;

	if (v < 0)
		line_str(l, "-");
	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (n > 0 && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = digits[--n];
}

/*
 * A SIGSYS is a seccomp trap only when the kernel says so in si_code;
 * one sent with kill(1) or tgkill(2) names its sender instead, and
 * si_syscall means nothing then.  Either way the process ends, as the
 * filter would have ended it.  The line goes to stderr only: run the
 * daemon with -d to see it.
 */
static void
sandbox_sigsys(int sig, siginfo_t *info, void *ctx)
{
	struct sigsys_line	 l = { .len = 0 };
	int			 nr = info->si_syscall;

	(void)sig;
	(void)ctx;
	if (info->si_code == SYS_SECCOMP) {
		line_str(&l, "seccomp: syscall ");
		line_str(&l, nr >= 0 && nr < SYSCALL_NAMES_MAX &&
		    syscall_names[nr] != NULL ? syscall_names[nr] : "?");
		line_str(&l, " (");
		line_num(&l, nr);
		line_str(&l, ") denied");
	} else {
		line_str(&l, "SIGSYS sent by pid ");
		line_num(&l, info->si_pid);
		line_str(&l, ", uid ");
		line_num(&l, info->si_uid);
		line_str(&l, ": not a seccomp violation");
	}
	line_str(&l, "\n");
	(void)write(STDERR_FILENO, l.buf, l.len);
	_exit(1);
}

static uint32_t
sandbox_default_action(void)
{
	struct sigaction	 sa;

	syscall_names_prepare();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sigaction SIGSYS");
	return SCMP_ACT_TRAP;
}
#else
static uint32_t
sandbox_default_action(void)
{
	return SCMP_ACT_KILL_PROCESS;
}
#endif

/* (args[arg] & mask) == value, or any arguments with SANDBOX_ANY. */
static void
sandbox_rule_add(scmp_filter_ctx ctx, uint32_t action, int nr, int arg,
    uint64_t mask, uint64_t value)
{
	int	 rc;

	if (arg == SANDBOX_ANY)
		rc = seccomp_rule_add(ctx, action, nr, 0);
	else
		rc = seccomp_rule_add(ctx, action, nr, 1,
		    SCMP_CMP64((unsigned)arg, SCMP_CMP_MASKED_EQ, mask, value));
	/*
	 * A pseudo-syscall number (a name this architecture lacks) is
	 * taken too: libseccomp returns 0 and writes a rule that no call
	 * matches (test_sigsys checks this).  Any error is fatal.
	 */
	if (rc < 0)
		fatalx("seccomp_rule_add %d: %s", nr, strerror(-rc));
}

/*
 * EACCES for the calls of a file probe that the allowlist does not let
 * through.  With no rule, that is every call; with a rule on an
 * argument, every call where one bit under its mask differs from its
 * value, which is exactly what the rule does not match.
 */
static void
sandbox_soft_deny(scmp_filter_ctx ctx, int nr,
    const struct sandbox_rule *rules, size_t n)
{
	const struct sandbox_rule	*allowed = NULL;
	uint64_t			 bit;
	size_t				 i;

	for (i = 0; i < n; i++) {
		if (!rule_covers(rules[i].nr, nr))
			continue;
		if (allowed != NULL)
			fatalx("seccomp: syscall %d: a file probe takes one "
			    "rule", nr);
		allowed = &rules[i];
	}
	if (allowed == NULL) {
		sandbox_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr, SANDBOX_ANY,
		    0, 0);
		return;
	}
	if (allowed->arg == SANDBOX_ANY)
		return;
	for (bit = 1; bit != 0; bit <<= 1)
		if (allowed->mask & bit)
			sandbox_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr,
			    allowed->arg, bit, ~allowed->value & bit);
}

/* A rule of the allowlist, and the same for its 32-bit names. */
static void
sandbox_allow(scmp_filter_ctx ctx, const struct sandbox_rule *r)
{
	size_t	 i;

	sandbox_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, r->arg, r->mask,
	    r->value);
	for (i = 0; i < nitems(arch32_names); i++)
		if (arch32_names[i].native == r->nr &&
		    arch32_names[i].arch32 != __NR_SCMP_ERROR)
			sandbox_rule_add(ctx, SCMP_ACT_ALLOW,
			    arch32_names[i].arch32, r->arg, r->mask, r->value);
}

/*
 * The allowlist, then the soft-deny tier, and whatever is in neither
 * kills the process (or traps, in a seccomp-debug build).
 * libseccomp supplies the architecture check: the filter it builds
 * first kills a call made under an architecture other than the ones
 * it holds (a 32-bit call from a 64-bit process), so the rules need
 * only the native numbers.  SCMP_SYS() resolves each name to its
 * number on the architecture we build for.  arch, when not 0, is
 * another architecture the filter holds too: the unit tests build the
 * filters for i386 and armhf that way.
 */
scmp_filter_ctx
sandbox_filter(const struct sandbox_rule *rules, size_t n, uint32_t arch)
{
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 rc;

	if ((ctx = seccomp_init(sandbox_default_action())) == NULL)
		fatalx("seccomp_init failed");
	if (arch != 0 && (rc = seccomp_arch_add(ctx, arch)) < 0 &&
	    rc != -EEXIST)
		fatalx("seccomp_arch_add: %s", strerror(-rc));
	for (i = 0; i < n; i++)
		sandbox_allow(ctx, &rules[i]);
	for (i = 0; i < nitems(file_probes); i++)
		sandbox_soft_deny(ctx, file_probes[i], rules, n);
	return ctx;
}

void
sandbox_seccomp(const struct sandbox_rule *rules, size_t n)
{
	scmp_filter_ctx	 ctx;
	int		 rc;

	ctx = sandbox_filter(rules, n, 0);
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
}
