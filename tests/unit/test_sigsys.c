/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The seccomp-debug SIGSYS handler (src/common/sandbox.c, built here
 * with SECCOMP_DEBUG whatever configure said): a denied syscall is
 * reported by name, and a SIGSYS that somebody sent with kill(2) is
 * reported as such, not as a seccomp violation.  And the soft-deny
 * tier, under netcfg's and the reporter's own filters: a file probe
 * fails with EACCES and the process goes on, and what the allowlist
 * lets through still works.  And the same filters built for i386 and
 * armhf too: what 32-bit glibc calls in place of an allowed syscall is
 * allowed there, under the same condition.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbnoded.h"
#include "log.h"
#include "netcfg/netcfg.h"
#include "reporter/reporter.h"
#include "sandbox.h"
#include "tap.h"

/* What the child needs to wait, log and exit; getppid is left out. */
static const struct sandbox_rule allowed[] = {
	SANDBOX_ALLOW(SCMP_SYS(write)),
	SANDBOX_ALLOW(SCMP_SYS(writev)),
	SANDBOX_ALLOW(SCMP_SYS(exit_group)),
	SANDBOX_ALLOW(SCMP_SYS(exit)),
	SANDBOX_ALLOW(SCMP_SYS(rt_sigreturn)),
	SANDBOX_ALLOW(SCMP_SYS(pause)),
	SANDBOX_ALLOW(SCMP_SYS(ppoll)),
	SANDBOX_ALLOW(SCMP_SYS(rt_sigsuspend)),
	SANDBOX_ALLOW(SCMP_SYS(brk)),
	SANDBOX_ALLOW(SCMP_SYS(mmap)),
	SANDBOX_ALLOW(SCMP_SYS(munmap)),
	SANDBOX_ALLOW(SCMP_SYS(fstat)),
	SANDBOX_ALLOW(SCMP_SYS(newfstatat)),
	SANDBOX_ALLOW(SCMP_SYS(getpid)),
	SANDBOX_ALLOW(SCMP_SYS(gettid)),
	SANDBOX_ALLOW(SCMP_SYS(clock_gettime)),
	SANDBOX_ALLOW(SCMP_SYS(ioctl)),
	SANDBOX_ALLOW(SCMP_SYS(sigaltstack)),	/* AddressSanitizer's _exit */
	SANDBOX_ALLOW(SCMP_SYS(madvise)),
};

enum child_does {
	WAIT_FOR_SIGNAL,
	CALL_DENIED
};

/*
 * Fork a child that runs body with its stderr on a pipe; return the
 * pipe's reading end.  The child's first byte says its filter is in
 * place.
 */
static int
child_start(void (*body)(void), pid_t *pid)
{
	int	 p[2];
	char	 c;

	if (pipe(p) == -1 || (*pid = fork()) == -1) {
		printf("Bail out! pipe or fork\n");
		exit(1);
	}
	if (*pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		log_init(1, 0);
		sandbox_no_new_privs();
		body();
		/* Not _exit(): AddressSanitizer's would call sigaltstack. */
		syscall(SYS_exit_group, 0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		printf("Bail out! the child did not start\n");
		exit(1);
	}
	return p[0];
}

/* The rest of what the child wrote, and how it ended. */
static int
child_finish(int fd, pid_t pid, char *buf, size_t len)
{
	ssize_t	 n;
	size_t	 got = 0;
	int	 status;

	while (got + 1 < len && (n = read(fd, buf + got,
	    len - got - 1)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	if (waitpid(pid, &status, 0) == -1) {
		printf("Bail out! waitpid\n");
		exit(1);
	}
	return status;
}

/* The filter is in place: say so, then wait for a signal. */
static void
sigsys_wait(void)
{
	sandbox_seccomp(allowed, nitems(allowed));
	(void)write(STDERR_FILENO, "", 1);
	for (;;)
		pause();
}

static void
sigsys_call_denied(void)
{
	sandbox_seccomp(allowed, nitems(allowed));
	(void)write(STDERR_FILENO, "", 1);
	(void)syscall(SYS_getppid);
	for (;;)
		pause();
}

/* Run a sandboxed child, return what it wrote to stderr. */
static char *
run_child(enum child_does what, char *buf, size_t len)
{
	pid_t	 pid;
	int	 fd, status;

	fd = child_start(what == CALL_DENIED ? sigsys_call_denied :
	    sigsys_wait, &pid);
	if (what == WAIT_FOR_SIGNAL)
		kill(pid, SIGSYS);
	status = child_finish(fd, pid, buf, len);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "the child exits 1 after the handler");
	return buf;
}

/* One line a probe: its name and the errno it got, 0 if it worked. */
static void
probe(const char *name, int rc)
{
	char	 line[64];
	int	 len;

	len = snprintf(line, sizeof(line), "%s %d\n", name,
	    rc == -1 ? errno : 0);
	if (len > 0 && (size_t)len < sizeof(line))
		(void)write(STDERR_FILENO, line, (size_t)len);
}

static int
open_probe(int flags)
{
	int	 fd;

	if ((fd = open("/dev/null", flags)) == -1)
		return -1;
	return close(fd);
}

static void
probe_files(void)
{
	struct stat	 st;
	struct statx	 stx;

	(void)write(STDERR_FILENO, "", 1);
	probe("open-read", open_probe(O_RDONLY));
	probe("open-write", open_probe(O_WRONLY));
	probe("stat", stat("/", &st));
	probe("statx", statx(AT_FDCWD, "/", 0, STATX_BASIC_STATS, &stx));
	probe("access", access("/", F_OK));
}

static void
netcfg_body(void)
{
	netcfg_seccomp();
	probe_files();
}

static void
reporter_body(void)
{
	reporter_seccomp();
	probe_files();
}

/* Run body's probes; name how each ended, "open-read 0 ...". */
static char *
run_probes(void (*body)(void), const char *who, char *buf,
    size_t len)
{
	char	 name[96];
	pid_t	 pid;
	int	 fd, status;

	fd = child_start(body, &pid);
	status = child_finish(fd, pid, buf, len);
	snprintf(name, sizeof(name), "%s's filter: the probes return, the "
	    "process goes on to exit 0", who);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, name);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		printf("#   got: %s\n", buf);
	return buf;
}

static void
probe_is(const char *buf, const char *who, const char *probe, int err)
{
	char	 want[64], name[128];

	snprintf(want, sizeof(want), "%s %d\n", probe, err);
	snprintf(name, sizeof(name), "%s's filter: %s gets %s", who, probe,
	    err == 0 ? "through" : strerror(err));
	ok(strstr(buf, want) != NULL, name);
}

static void
soft_deny(void)
{
	char	 buf[1024];

	run_probes(netcfg_body, "netcfg", buf, sizeof(buf));
	probe_is(buf, "netcfg", "open-read", 0);
	probe_is(buf, "netcfg", "open-write", EACCES);
	probe_is(buf, "netcfg", "stat", 0);
	probe_is(buf, "netcfg", "statx", EACCES);
	probe_is(buf, "netcfg", "access", EACCES);

	run_probes(reporter_body, "reporter", buf, sizeof(buf));
	probe_is(buf, "reporter", "open-read", EACCES);
	probe_is(buf, "reporter", "open-write", EACCES);
	probe_is(buf, "reporter", "stat", 0);
	probe_is(buf, "reporter", "statx", EACCES);
	probe_is(buf, "reporter", "access", EACCES);
}

/* What 32-bit glibc calls in place of a syscall the filters allow. */
static const struct {
	const char	*native;
	const char	*arch32;
} arch32_expected[] = {
	{ "mmap",		"mmap2" },
	{ "fstat",		"fstat64" },
	{ "newfstatat",		"fstatat64" },
	{ "lseek",		"_llseek" },
	{ "fcntl",		"fcntl64" },
	{ "getuid",		"getuid32" },
	{ "geteuid",		"geteuid32" },
	{ "rt_sigreturn",	"sigreturn" },
	{ "clock_gettime",	"clock_gettime64" },
	{ "ppoll",		"ppoll_time64" },
	{ "pselect6",		"pselect6_time64" },
	{ "recvmmsg",		"recvmmsg_time64" },
	{ "sendto",		"send" },
	{ "recvfrom",		"recv" },
};

/* The filter as libseccomp's pseudo filter code, from arch's part on. */
static char *
filter_text(scmp_filter_ctx ctx, const char *arch, char *buf, size_t len)
{
	char	 head[64];
	FILE	*f;
	size_t	 n;

	if ((f = tmpfile()) == NULL || seccomp_export_pfc(ctx, fileno(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1) {
		printf("Bail out! seccomp_export_pfc\n");
		exit(1);
	}
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	snprintf(head, sizeof(head), "# filter for arch %s (", arch);
	return strstr(buf, head);
}

/* The rule for syscall name in the part of the filter at text, or NULL. */
static const char *
filter_rule(const char *text, const char *name)
{
	char		 head[64];
	const char	*end, *rule;

	snprintf(head, sizeof(head), "# filter for syscall \"%s\" (", name);
	if ((end = strstr(text + 1, "# filter for arch")) == NULL)
		end = text + strlen(text);
	rule = strstr(text, head);
	return rule != NULL && rule < end ? rule : NULL;
}

static int
rules_allow(const struct sandbox_rule *rules, size_t n, const char *name)
{
	int	 nr = seccomp_syscall_resolve_name(name);
	size_t	 i;

	for (i = 0; i < n; i++)
		if (rules[i].nr == nr)
			return 1;
	return 0;
}

/*
 * who's filter for arch as well as the native one: it builds, and each
 * 32-bit name arch has is allowed there where the native one is.
 */
static void
arch32_check(const char *who, const struct sandbox_rule *rules, size_t n,
    uint32_t arch, const char *archname)
{
	static char	 buf[1 << 16];
	char		 missing[256] = "", name[160];
	const char	*text, *rule;
	scmp_filter_ctx	 ctx;
	size_t		 i;

	ctx = sandbox_filter(rules, n, arch);
	text = filter_text(ctx, archname, buf, sizeof(buf));
	seccomp_release(ctx);
	snprintf(name, sizeof(name), "%s's filter for %s too: it builds, "
	    "and allows the 32-bit names", who, archname);
	for (i = 0; text != NULL && i < nitems(arch32_expected); i++)
		if (rules_allow(rules, n, arch32_expected[i].native) &&
		    seccomp_syscall_resolve_name_arch(arch,
		    arch32_expected[i].arch32) >= 0 &&
		    filter_rule(text, arch32_expected[i].arch32) == NULL) {
			strncat(missing, " ", sizeof(missing) - strlen(missing) - 1);
			strncat(missing, arch32_expected[i].arch32,
			    sizeof(missing) - strlen(missing) - 1);
		}
	ok(text != NULL && missing[0] == '\0', name);
	if (missing[0] != '\0')
		printf("#   not allowed:%s\n", missing);
	/* fcntl is allowed for some commands only: fcntl64 alike */
	rule = text != NULL ? filter_rule(text, "fcntl64") : NULL;
	snprintf(name, sizeof(name), "%s's filter for %s: fcntl64 under "
	    "fcntl's argument filter", who, archname);
	ok(rule != NULL && strncmp(strchr(rule, '\n'), "\n  if ($syscall",
	    15) == 0 && strstr(rule, "$a1") != NULL &&
	    (strstr(rule, "action ALLOW") > strstr(rule, "$a1")), name);
}

static void
arch32(void)
{
	const struct sandbox_rule	*rules;
	scmp_filter_ctx			 ctx;
	size_t				 n;
	int				 lacking;

	/* A name the native architecture lacks: a pseudo number, taken. */
	lacking = SCMP_SYS(mmap2) < 0 ? SCMP_SYS(mmap2) : SCMP_SYS(newfstatat);
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		printf("Bail out! seccomp_init\n");
		exit(1);
	}
	ok(lacking < 0 && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, lacking,
	    0) == 0, "seccomp_rule_add takes a name the native architecture "
	    "lacks");
	seccomp_release(ctx);

	rules = netcfg_seccomp_rules(&n);
	arch32_check("netcfg", rules, n, SCMP_ARCH_X86, "x86");
	arch32_check("netcfg", rules, n, SCMP_ARCH_ARM, "arm");
	rules = reporter_seccomp_rules(&n);
	arch32_check("reporter", rules, n, SCMP_ARCH_X86, "x86");
	arch32_check("reporter", rules, n, SCMP_ARCH_ARM, "arm");
}

int
main(void)
{
	char	 buf[1024], want[128];

	run_child(CALL_DENIED, buf, sizeof(buf));
	ok(strstr(buf, "seccomp: syscall getppid") != NULL,
	    "a denied syscall is named");
	if (strstr(buf, "getppid") == NULL)
		printf("#   got: %s\n", buf);

	run_child(WAIT_FOR_SIGNAL, buf, sizeof(buf));
	snprintf(want, sizeof(want), "SIGSYS sent by pid %d, uid %d: not a "
	    "seccomp violation", (int)getpid(), (int)getuid());
	ok(strstr(buf, want) != NULL, "kill -SYS is reported as sent, by whom");
	ok(strstr(buf, "seccomp: syscall") == NULL,
	    "kill -SYS is not reported as a denied syscall");
	if (strstr(buf, want) == NULL)
		printf("#   got: %s\n", buf);

	soft_deny();
	arch32();
	return done_testing();
}
