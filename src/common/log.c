/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The one variadic function every level of log.h reaches, and where its
 * line goes: syslog, or stderr in the foreground.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_foreground = 1;
static int	 log_verbose;
static int	 log_journal;	/* stderr is systemd's journal stream */
static int	 log_tee_fd = -1;	/* errors also go here, see log_tee() */
static char	 log_proc[16] = "lbnoded";

static void	 vlog(int, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/*
 * systemd names the stream it connected to stderr in JOURNAL_STREAM
 * ("device:inode"); only when stderr is still that stream does a
 * "<N>" prefix reach the journal as the line's priority.  Anywhere
 * else, a terminal or a file, it would be noise.
 */
static int
stderr_is_journal(void)
{
	const char		*env = getenv("JOURNAL_STREAM");
	struct stat		 st;
	unsigned long long	 dev, ino;
	char			 end;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

void
log_init(int foreground, int verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	log_journal = foreground && stderr_is_journal();
	/*
	 * LOG_NDELAY connects to /dev/log now: the children chroot
	 * before they log anything, and /dev/log is not there after.
	 */
	if (!foreground)
		openlog("lbnoded", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

/*
 * While the daemon starts, its errors also go to fd (the pipe its
 * waiting parent reads), so the reason it failed reaches whoever
 * started it; -1 ends that.
 */
void
log_tee(int fd)
{
	log_tee_fd = fd;
}

void
log_procname(const char *name)
{
	snprintf(log_proc, sizeof(log_proc), "%s", name);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return log_verbose;
}

/* One finished line to syslog or stderr, as log_init() chose. */
static void
log_emit(int pri, const char *line)
{
	if (!log_foreground) {
		syslog(pri, "%s: %s", log_proc, line);
		if (log_tee_fd != -1 && pri <= LOG_ERR)
			dprintf(log_tee_fd, "lbnoded: %s: %s\n", log_proc, line);
		return;
	}
	if (log_journal)
		fprintf(stderr, "<%d>", pri);
	if (log_proc[0] == '\0')
		/* lbnoded -n: "file:line: message" exactly, for editors */
		fprintf(stderr, "%s\n", line);
	else
		fprintf(stderr, "%s: %s\n", log_proc, line);
	fflush(stderr);
}

/*
 * Every level comes here: log.h names them, as OpenSSH's log.h does,
 * so there is one variadic function and no wrapper per level.  With
 * with_errno the line ends in errno's message (alone when fmt is NULL);
 * errno is kept for the caller.
 */
static void
vlog(int pri, int with_errno, const char *fmt, va_list ap)
{
	char	 line[1024];
	size_t	 len;
	int	 saved = errno;

	if (pri == LOG_DEBUG && !log_verbose)
		return;
	line[0] = '\0';
	if (fmt != NULL)
		vsnprintf(line, sizeof(line), fmt, ap);
	if (with_errno) {
		len = strlen(line);
		snprintf(line + len, sizeof(line) - len, "%s%s",
		    fmt != NULL ? ": " : "", strerror(saved));
	}
	log_emit(pri, line);
	errno = saved;
}

void
log_line(int pri, int with_errno, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, with_errno, fmt, ap);
	va_end(ap);
}

void
log_fatal(int with_errno, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, with_errno, fmt, ap);
	va_end(ap);
	exit(1);
}

/* One line per privileged change; grep for "audit:" to see them all. */
void
log_audit(const char *fmt, ...)
{
	char	 msg[900];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(LOG_NOTICE, 0, "audit: %s", msg);
}
