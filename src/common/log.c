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

static void	 vlog(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

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

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
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

static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	char	 msg[1024];
	int	 saved = errno;

	if (fmt == NULL) {
		logit(pri, "%s", strerror(saved));
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	logit(pri, "%s: %s", msg, strerror(saved));
	errno = saved;
}

void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
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
	logit(LOG_NOTICE, "audit: %s", msg);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
