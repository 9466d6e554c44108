/*
 * The seccomp-debug SIGSYS handler (src/common/sandbox.c, built here
 * with SECCOMP_DEBUG whatever configure said): a denied syscall is
 * reported by name, and a SIGSYS that somebody sent with kill(2) is
 * reported as such, not as a seccomp violation.  And the soft-deny
 * tier, under netcfg's and the reporter's own filters: a file probe
 * fails with EACCES and the process goes on, and what the allowlist
 * lets through still works.
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
	return done_testing();
}
