/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Going to the background without losing a failure: the parent waits
 * on a pipe until the daemon is ready (both children up, the rules in
 * force), and prints what went wrong if the daemon dies first, so
 * "lbnoded" exits 0 only when lbnoded runs.  Until then the daemon's
 * errors go both to syslog and down the pipe.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"

#define READY_WAIT_S		90	/* systemd's default start timeout */
#define READY_BYTE		'\0'	/* never part of a log line */

static int	 ready_fd = -1;

/* The daemon's status, once it is gone. */
static int
daemon_status(pid_t pid)
{
	int	 status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		fprintf(stderr, "lbnoded: the daemon was killed by signal %d\n",
		    WTERMSIG(status));
	else
		fprintf(stderr, "lbnoded: the daemon exited before it was "
		    "ready\n");
	return 1;
}

static int
wait_poll(int fd, const struct timespec *deadline)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	struct timespec	 now;
	long		 ms;
	int		 n;

	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (deadline->tv_sec - now.tv_sec) * 1000 +
		    (deadline->tv_nsec - now.tv_nsec) / 1000000;
		n = poll(&pfd, 1, ms > 0 ? (int)ms : 0);
	} while (n == -1 && errno == EINTR);
	return n;
}

/* The parent's side: relay the daemon's errors; 0 once it is ready. */
static int
wait_ready(int fd, pid_t pid)
{
	struct timespec	 deadline;
	char		 buf[1024], *end;
	ssize_t		 n;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += READY_WAIT_S;
	for (;;) {
		if (wait_poll(fd, &deadline) <= 0) {
			fprintf(stderr, "lbnoded: not ready within %d s, still "
			    "starting as pid %d: see the log\n", READY_WAIT_S,
			    (int)pid);
			return 1;
		}
		if ((n = read(fd, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return daemon_status(pid);
		end = memchr(buf, READY_BYTE, (size_t)n);
		fwrite(buf, 1, end != NULL ? (size_t)(end - buf) : (size_t)n,
		    stderr);
		if (end != NULL)
			return 0;
	}
}

static void
stdio_to_null(void)
{
	int	 fd;

	if ((fd = open(_PATH_DEVNULL, O_RDWR)) == -1)
		fatal("%s", _PATH_DEVNULL);
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		fatal("dup2");
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * Returns in the daemon, logging to syslog from now on; the parent
 * exits with the outcome.  The pipe is close-on-exec, and the children
 * close what they do not know anyway.
 */
void
daemon_detach(int verbose)
{
	int	 p[2];
	pid_t	 pid;

	fflush(NULL);
	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid != 0) {
		close(p[1]);
		exit(wait_ready(p[0], pid));
	}
	close(p[0]);
	/* A parent gone (Ctrl-C) must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	stdio_to_null();
	ready_fd = p[1];
	log_init(0, verbose);
	log_tee(ready_fd);
}

/* The parent may go: from now on, errors are for the log alone. */
void
daemon_ready(void)
{
	const char	 byte = READY_BYTE;

	if (ready_fd == -1)
		return;
	log_tee(-1);
	if (write(ready_fd, &byte, 1) == -1)
		log_debug("ready pipe: %s", strerror(errno));
	close(ready_fd);
	ready_fd = -1;
}
