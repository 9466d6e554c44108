/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The children: each is this binary re-executed with -P, so it starts
 * from a fresh address space (as OpenBSD's proc_exec does), with its
 * imsg channel to the monitor on fd CHILD_IMSG_FD.  A child that dies
 * is restarted with a backoff and given the current state again.  It is
 * executed from a descriptor of the monitor's own binary, not its path:
 * an upgrade puts a new binary there before it restarts the service,
 * and a child restarted in between must not be a newer one than its
 * monitor, speaking other messages.
 *
 * A child can also hang (stopped, deadlocked, stuck in the kernel)
 * without dying.  Every tick each child is pinged, and one that leaves
 * a ping unanswered too long is killed, which makes it a dead child
 * like any other: its pending work fails and it is restarted.  Time is
 * counted in ticks, not read from a clock, so a monitor that was
 * itself busy does not blame its children for the wait.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "monitor.h"

/* Where a child finds the binary to execute, until it does. */
#define CHILD_EXE_FD		(CHILD_IMSG_FD + 1)
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		30000
#define STABLE_MS		BACKOFF_MAX_MS	/* alive this long: reset backoff */
#define CHILD_ARGS_MAX		16
#define PING_TICK_MS		1000
#define PING_TICKS_MAX		3	/* unanswered this long: hung */
#define PING_ENTRIES_PER_TICK	2000	/* netcfg's allowance: 0.5 ms an entry */

struct child {
	const char		*name;
	int			 fdpass;
	pid_t			 pid;
	int			 connected;
	struct imsgev		 iev;
	struct event		*ev_restart;
	unsigned int		 backoff_ms;
	struct timespec		 started;
	int			 ping_age;	/* ticks since the ping, -1: none out */
	const char		*killed_why;	/* we killed it: why, for the log */
};

static struct child	 children[PROC_MAX] = {
	[PROC_NETCFG] =		{ .name = "netcfg",	.fdpass = 0 },
	[PROC_REPORTER] =	{ .name = "reporter",	.fdpass = 1 },
};
static struct restarts_msg	 restarts;
static struct event_base	*proc_base;
static struct event		*ev_sigchld;
static struct event		*ev_ping;
static int			 self_fd = -1;	/* our binary, O_PATH */
static char			 sandbox_user[NAME_MAX_LEN];
static char			 sandbox_dir[PATH_MAX_LEN];
static int			 child_foreground, child_verbose;
static int			 stopping;


static void
proc_closed(struct imsgev *iev)
{
	struct child	*c = iev->arg;

	/* The channel is gone: the child is dead or about to be. */
	c->connected = 0;
	if (c->pid != 0 && !stopping)
		(void)kill(c->pid, SIGKILL);
}

static void
proc_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct child	*c = iev->arg;

	if (imsg_get_type(imsg) == IMSG_PONG) {
		if (imsg_get_len(imsg) != 0)
			fatalx("%s: bad IMSG_PONG from %s", __func__, c->name);
		c->ping_age = -1;
		return;
	}
	if (c == &children[PROC_NETCFG])
		monitor_dispatch_netcfg(iev, imsg);
	else
		monitor_dispatch_reporter(iev, imsg);
}

/*
 * The reporter answers the LBs about the load: it must not starve when
 * the services it reports on take every CPU, nor lose the LBs' queries
 * when a flood keeps it busy, for the kernel drops what overflows its
 * socket's queue, theirs with the flood's.  So it runs REPORTER_NICE
 * levels above the monitor.  It is one thread, and a datagram costs it
 * a microsecond or two (bench/attack.sh prints it): a flood takes from
 * the services what its rate costs, one CPU at the most.
 */
#define REPORTER_NICE	5

/* In the reporter, before it drops root. */
static void
proc_raise_priority(void)
{
	int	 prio;

	errno = 0;
	if ((prio = getpriority(PRIO_PROCESS, 0)) == -1 && errno != 0) {
		log_warn("reporter: getpriority");
		return;
	}
	prio = prio - REPORTER_NICE < PRIO_MIN ? PRIO_MIN : prio - REPORTER_NICE;
	if (setpriority(PRIO_PROCESS, 0, prio) == -1)
		log_warn("reporter: cannot run at nice %d", prio);
}

/* Build "lbnoded -P name [-d] [-v...] [-u user -c dir]". */
static void
proc_args(enum lbn_proc id, char **argv)
{
	int	 n = 0, i;

	argv[n++] = "lbnoded";
	argv[n++] = "-P";
	argv[n++] = (char *)children[id].name;
	if (child_foreground)
		argv[n++] = "-d";
	for (i = 0; i < child_verbose && i < 3; i++)
		argv[n++] = "-v";
	if (id == PROC_REPORTER) {
		argv[n++] = "-u";
		argv[n++] = sandbox_user;
		argv[n++] = "-c";
		argv[n++] = sandbox_dir;
	}
	argv[n] = NULL;
}

static void __attribute__((noreturn))
proc_exec(enum lbn_proc id, int fd)
{
	char		*argv[CHILD_ARGS_MAX];
	sigset_t	 none;

	if (id == PROC_REPORTER)
		proc_raise_priority();
	if (fd != CHILD_IMSG_FD) {
		if (dup2(fd, CHILD_IMSG_FD) == -1)
			_exit(127);
	} else if (fcntl(fd, F_SETFD, 0) == -1)
		_exit(127);
	if (dup3(self_fd, CHILD_EXE_FD, O_CLOEXEC) == -1)
		_exit(127);
	/* Nothing of the monitor's crosses into the child but fd 0-3. */
	if (close_range(CHILD_EXE_FD + 1, ~0U, 0) == -1)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/*
	 * Only the monitor decides when a child stops: a Ctrl-C or a
	 * SIGTERM to the whole group must not take netcfg away before it
	 * has removed our rules.  Ignored signals stay ignored across
	 * execv; the children exit when their channel closes.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	proc_args(id, argv);
	fexecve(CHILD_EXE_FD, argv, environ);
	_exit(127);
}

static void
proc_start(enum lbn_proc id)
{
	struct child	*c = &children[id];
	int		 sp[2];
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		proc_exec(id, sp[1]);
	}
	close(sp[1]);
	if (imsgev_init(&c->iev, proc_base, sp[0], c->fdpass, c->name,
	    proc_dispatch, proc_closed, c) == -1)
		fatal("imsgev_init %s", c->name);
	c->pid = pid;
	c->connected = 1;
	c->ping_age = -1;
	c->killed_why = NULL;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	log_debug("started %s, pid %d", c->name, (int)pid);
	monitor_child_up(id);
}

static void
proc_restart_timer(int fd, short ev, void *arg)
{
	struct child	*c = arg;

	if (!stopping && c->pid == 0)
		proc_start((enum lbn_proc)(c - children));
}

static long
proc_lived_ms(const struct child *c)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - c->started.tv_sec) * 1000 +
	    (now.tv_nsec - c->started.tv_nsec) / 1000000;
}

static void
proc_log_death(const struct child *c, int status)
{
	if (WIFEXITED(status))
		log_warnx("%s (pid %d) exited with status %d", c->name,
		    (int)c->pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warnx("%s (pid %d) killed by SIGSYS: seccomp violation",
		    c->name, (int)c->pid);
	else if (WIFSIGNALED(status))
		log_warnx("%s (pid %d) killed by signal %d (%s)", c->name,
		    (int)c->pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
}

static void
proc_schedule_restart(enum lbn_proc id)
{
	struct child	*c = &children[id];
	struct timeval	 tv;

	if (proc_lived_ms(c) >= STABLE_MS || c->backoff_ms == 0)
		c->backoff_ms = BACKOFF_MIN_MS;
	else if ((c->backoff_ms *= 2) > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	restarts.restarts[id]++;
	log_info("restarting %s in %u ms", c->name, c->backoff_ms);
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	if (evtimer_add(c->ev_restart, &tv) == -1)
		fatalx("evtimer_add");
	if (children[PROC_REPORTER].connected)
		proc_send(PROC_REPORTER, IMSG_REP_RESTARTS, 0, -1, &restarts,
		    sizeof(restarts));
}

/* It could not build its sandbox: the next one could not either. */
static int
proc_hopeless(const struct child *c, int status)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != CHILD_EXIT_SANDBOX)
		return 0;
	log_warnx("%s cannot get the privileges it needs or give up the "
	    "rest (see its message): stopping, not restarting it", c->name);
	return 1;
}

static void
proc_reap(enum lbn_proc id, int status)
{
	struct child	*c = &children[id];
	int		 hopeless = 0;

	if (!stopping) {
		proc_log_death(c, status);
		hopeless = proc_hopeless(c, status);
	}
	if (c->connected)
		imsgev_clear(&c->iev);
	c->connected = 0;
	if (id == PROC_NETCFG)
		dr_netcfg_lost(c->killed_why != NULL ? c->killed_why : "died");
	else {
		dr_reporter_lost();
		control_reporter_lost();
	}
	if (!stopping && !hopeless)
		proc_schedule_restart(id);
	c->pid = 0;
	if (hopeless)
		monitor_fail();
}

static void
proc_sigchld(int sig, short ev, void *arg)
{
	pid_t	 pid;
	int	 status, id;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (id = PROC_NETCFG; id < PROC_MAX; id++)
			if (children[id].pid == pid)
				proc_reap((enum lbn_proc)id, status);
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
}

/*
 * netcfg answers between requests, so while it applies a change it is
 * allowed time for the entries involved, on top of the usual bound.
 */
static int
proc_ping_ticks_max(enum lbn_proc id)
{
	if (id != PROC_NETCFG)
		return PING_TICKS_MAX;
	return PING_TICKS_MAX + (int)(dr_busy_entries() /
	    PING_ENTRIES_PER_TICK);
}

static void
proc_ping_tick(int fd, short ev, void *arg)
{
	struct child	*c;
	int		 id;

	if (stopping)
		return;
	for (id = PROC_NETCFG; id < PROC_MAX; id++) {
		c = &children[id];
		if (!c->connected)
			continue;
		if (c->ping_age == -1) {
			proc_send((enum lbn_proc)id, IMSG_PING, 0, -1, NULL, 0);
			c->ping_age = 0;
		} else if (++c->ping_age >= proc_ping_ticks_max(id)) {
			log_warnx("%s (pid %d) has not answered for %d s: "
			    "killing it", c->name, (int)c->pid,
			    c->ping_age * PING_TICK_MS / 1000);
			c->killed_why = "did not answer";
			proc_kill((enum lbn_proc)id);
		}
	}
}

void
proc_sandbox(const char *user, const char *dir)
{
	snprintf(sandbox_user, sizeof(sandbox_user), "%s", user);
	snprintf(sandbox_dir, sizeof(sandbox_dir), "%s", dir);
}

void
proc_init(struct event_base *base, int foreground, int verbose)
{
	int	 id, fd;

	proc_base = base;
	child_foreground = foreground;
	child_verbose = verbose;
	/* Above the fds proc_exec() moves things to, so none is in the way. */
	if ((fd = open("/proc/self/exe", O_PATH | O_CLOEXEC)) == -1 ||
	    (self_fd = fcntl(fd, F_DUPFD_CLOEXEC, CHILD_EXE_FD + 1)) == -1)
		fatal("open /proc/self/exe");
	close(fd);
	if ((ev_sigchld = evsignal_new(base, SIGCHLD, proc_sigchld,
	    NULL)) == NULL || evsignal_add(ev_sigchld, NULL) == -1)
		fatalx("cannot handle SIGCHLD");
	for (id = PROC_NETCFG; id < PROC_MAX; id++)
		if ((children[id].ev_restart = evtimer_new(base,
		    proc_restart_timer, &children[id])) == NULL)
			fatalx("evtimer_new");
	if ((ev_ping = event_new(base, -1, EV_PERSIST, proc_ping_tick,
	    NULL)) == NULL || event_add(ev_ping, &(struct timeval){
	    PING_TICK_MS / 1000, (PING_TICK_MS % 1000) * 1000 }) == -1)
		fatalx("cannot schedule the children's pings");
}

void
proc_start_all(void)
{
	int	 id;

	for (id = PROC_NETCFG; id < PROC_MAX; id++)
		proc_start((enum lbn_proc)id);
}

int
proc_send(enum lbn_proc id, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	struct child	*c = &children[id];

	if (!c->connected) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (imsgev_compose(&c->iev, type, peerid, 0, fd, data, len) == -1)
		fatal("%s: imsg to %s", __func__, c->name);
	return 0;
}

/*
 * Write what is queued now rather than when the event loop gets to it;
 * never block: what does not fit waits for the loop as usual.
 */
void
proc_write_now(enum lbn_proc id)
{
	struct child	*c = &children[id];

	if (c->connected && imsgbuf_write(&c->iev.ibuf) == -1)
		log_warn("%s: imsg to %s", __func__, c->name);
}

int
proc_running(enum lbn_proc id)
{
	return children[id].connected;
}

/* Kill it; the SIGCHLD path restarts it with the current settings. */
void
proc_restart(enum lbn_proc id)
{
	if (children[id].pid != 0)
		(void)kill(children[id].pid, SIGKILL);
}

/*
 * Kill it and read nothing more from it, not even what is already
 * buffered: a child we no longer trust is not listened to while it
 * dies.  SIGKILL also ends a stopped process.
 */
void
proc_kill(enum lbn_proc id)
{
	struct child	*c = &children[id];

	if (c->connected) {
		imsgev_clear(&c->iev);
		c->connected = 0;
	}
	proc_restart(id);
}

/* From now on a child that exits stays gone. */
void
proc_no_restart(void)
{
	stopping = 1;
}

/* Close the channels so the children exit; with force, kill them. */
void
proc_stop_all(int force)
{
	int	 id;

	stopping = 1;
	for (id = PROC_NETCFG; id < PROC_MAX; id++) {
		if (children[id].connected) {
			imsgev_clear(&children[id].iev);
			children[id].connected = 0;
		}
		if (force && children[id].pid != 0)
			(void)kill(children[id].pid, SIGKILL);
	}
}

int
proc_all_gone(void)
{
	int	 id;

	for (id = PROC_NETCFG; id < PROC_MAX; id++)
		if (children[id].pid != 0)
			return 0;
	return 1;
}

const uint32_t *
proc_restarts(void)
{
	return restarts.restarts;
}
