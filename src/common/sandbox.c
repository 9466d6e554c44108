/*
 * The steps a child takes to give up what it does not need, in the
 * order they must happen: chroot and user while still root, then
 * capabilities, then no_new_privs, then seccomp last because it would
 * forbid the calls before it.
 */
#include <sys/prctl.h>
#include <sys/types.h>

#include <cap-ng.h>
#include <errno.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sandbox.h"

void
sandbox_chroot_user(const char *user, const char *dir)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno != 0)
			fatal("getpwnam %s", user);
		fatalx("unknown user %s: create it (tools/setup does)", user);
	}
	if (chroot(dir) == -1)
		fatal("chroot %s", dir);
	if (chdir("/") == -1)
		fatal("chdir /");
	/*
	 * The bounding set can only be cleared while we are still root,
	 * so libcap-ng clears it in the same step as the change of ids.
	 */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_change_id((int)pw->pw_uid, (int)pw->pw_gid,
	    CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING) != 0)
		fatalx("cannot drop privileges to %s", user);
	/* A change of uid clears the parent-death signal: set it again. */
	sandbox_pdeathsig();
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
	capng_clear(CAPNG_SELECT_BOTH);
	if (cap >= 0 && capng_update(CAPNG_ADD,
	    CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET, cap) != 0)
		fatalx("capng_update failed");
	if (capng_apply(CAPNG_SELECT_BOTH) != 0)
		fatalx("capng_apply failed");
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

#ifdef SECCOMP_DEBUG
#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1	/* the kernel's si_code for a seccomp trap; glibc lacks it */
#endif

/*
 * A SIGSYS is a seccomp trap only when the kernel says so in si_code;
 * one sent with kill(1) or tgkill(2) names its sender instead, and
 * si_syscall means nothing then.  Either way the process ends, as the
 * filter would have ended it.
 */
static void
sandbox_sigsys(int sig, siginfo_t *info, void *ctx)
{
	char	*name = NULL;
	char	 msg[128];
	int	 len;

	(void)sig;
	(void)ctx;
	if (info->si_code == SYS_SECCOMP) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
		    info->si_syscall);
		len = snprintf(msg, sizeof(msg), "seccomp: syscall %s (%d) "
		    "denied", name ? name : "?", info->si_syscall);
	} else
		len = snprintf(msg, sizeof(msg), "SIGSYS sent by pid %d, uid "
		    "%d: not a seccomp violation", (int)info->si_pid,
		    (int)info->si_uid);
	if (len > 0 && (size_t)len < sizeof(msg)) {
		msg[len] = '\n';
		(void)write(STDERR_FILENO, msg, (size_t)len + 1);
		msg[len] = '\0';
	}
	logit(LOG_CRIT, "%s", msg);
	_exit(1);
}

static uint32_t
sandbox_default_action(void)
{
	struct sigaction	 sa;

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

void
sandbox_seccomp(const struct sandbox_rule *rules, size_t n)
{
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 rc;

	if ((ctx = seccomp_init(sandbox_default_action())) == NULL)
		fatalx("seccomp_init failed");
	for (i = 0; i < n; i++) {
		if (rules[i].arg == SANDBOX_ANY)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rules[i].nr, 0);
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, rules[i].nr,
			    1, SCMP_CMP64((unsigned)rules[i].arg,
			    SCMP_CMP_MASKED_EQ, rules[i].mask, rules[i].value));
		if (rc < 0)
			fatalx("seccomp_rule_add %d: %s", rules[i].nr,
			    strerror(-rc));
	}
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rc));
	seccomp_release(ctx);
}
