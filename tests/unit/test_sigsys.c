/*
 * The seccomp-debug SIGSYS handler (src/common/sandbox.c, built here
 * with SECCOMP_DEBUG whatever configure said): a denied syscall is
 * reported by name, and a SIGSYS that somebody sent with kill(2) is
 * reported as such, not as a seccomp violation.
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbnoded.h"
#include "log.h"
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

/* Run a sandboxed child, return what it wrote to stderr. */
static char *
run_child(enum child_does what, char *buf, size_t len)
{
	int	 p[2], status;
	pid_t	 pid;
	ssize_t	 n;
	size_t	 got = 0;

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		printf("Bail out! pipe or fork\n");
		exit(1);
	}
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		log_init(1, 0);
		sandbox_no_new_privs();
		sandbox_seccomp(allowed, nitems(allowed));
		/* The filter is in place: say so, then do what we came for. */
		(void)write(p[1], "", 1);
		if (what == CALL_DENIED)
			(void)syscall(SYS_getppid);
		for (;;)
			pause();
	}
	close(p[1]);
	/* The first byte: the filter is loaded, the handler installed. */
	if (read(p[0], buf, 1) != 1) {
		printf("Bail out! the child did not start\n");
		exit(1);
	}
	if (what == WAIT_FOR_SIGNAL)
		kill(pid, SIGSYS);
	while (got + 1 < len && (n = read(p[0], buf + got,
	    len - got - 1)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "the child exits 1 after the handler");
	return buf;
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
	return done_testing();
}
