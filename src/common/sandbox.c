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
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <syslog.h>
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

#ifdef SECCOMP_DEBUG
static void
sandbox_sigsys(int sig, siginfo_t *info, void *ctx)
{
	char	*name;
	char	 msg[128];
	int	 len;

	(void)sig;
	(void)ctx;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
	    info->si_syscall);
	len = snprintf(msg, sizeof(msg), "seccomp: syscall %s (%d) denied\n",
	    name ? name : "?", info->si_syscall);
	if (len > 0)
		(void)write(STDERR_FILENO, msg, (size_t)len);
	logit(LOG_CRIT, "seccomp: syscall %s (%d) denied", name ? name : "?",
	    info->si_syscall);
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
