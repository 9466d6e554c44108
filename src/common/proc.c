/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The children of a daemon's parent, from the table it hands us (proc.h):
 * each is this binary re-executed with -P, so it starts
 * from a fresh address space (as OpenBSD's proc_exec does), with its
 * imsg channel to its parent on fd CHILD_IMSG_FD.  A child that dies
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
#include "lbnoded.h"
#include "log.h"
#include "proc.h"

/* Where a child finds the binary to execute, until it does. */
#define CHILD_EXE_FD		(CHILD_IMSG_FD + 1)
#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		30000
#define STABLE_MS		BACKOFF_MAX_MS	/* alive this long: reset backoff */
#define CHILD_ARGS_MAX		16
#define PING_TICK_MS		1000
#define PING_TICKS_MAX		3	/* unanswered this long: hung */

struct child {
	const struct proc_child	*def;
	const char		*name;
	pid_t			 pid;
	int			 connected;
	struct imsgev		 iev;
	struct event		*ev_restart;
	unsigned int		 backoff_ms;
	struct timespec		 started;
	int			 ping_age;	/* ticks since the ping, -1: none out */
	const char		*killed_why;	/* we killed it: why, for the log */
};

static struct child	 children[PROC_CHILDREN_MAX];
static size_t		 nchildren;
static uint32_t		 restarts[PROC_CHILDREN_MAX];
static const char	*self_name;	/* argv[0] of a child */
static void		(*on_hopeless)(void);
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
	c->def->dispatch(iev, imsg);
}

/* In a child with a nice of its own, before it drops root. */
static void
proc_raise_priority(const struct child *c)
{
	int	 prio;

	errno = 0;
	if ((prio = getpriority(PRIO_PROCESS, 0)) == -1 && errno != 0) {
		log_warn("%s: getpriority", c->name);
		return;
	}
	prio = prio - c->def->nice < PRIO_MIN ? PRIO_MIN : prio - c->def->nice;
	if (setpriority(PRIO_PROCESS, 0, prio) == -1)
		log_warn("%s: cannot run at nice %d", c->name, prio);
}

/* Build "argv0 -P name [-d] [-v...] [-u user -c dir]". */
static void
proc_args(const struct child *c, char **argv)
{
	int	 n = 0, i;

	argv[n++] = (char *)self_name;
	argv[n++] = "-P";
	argv[n++] = (char *)c->name;
	if (child_foreground)
		argv[n++] = "-d";
	for (i = 0; i < child_verbose && i < 3; i++)
		argv[n++] = "-v";
	if (c->def->sandbox == PROC_SANDBOX_USER) {
		argv[n++] = "-u";
		argv[n++] = sandbox_user;
		argv[n++] = "-c";
		argv[n++] = sandbox_dir;
	}
	argv[n] = NULL;
}

static void __attribute__((noreturn))
proc_exec(const struct child *c, int fd)
{
	char		*argv[CHILD_ARGS_MAX];
	sigset_t	 none;

	if (c->def->nice > 0)
		proc_raise_priority(c);
	if (fd != CHILD_IMSG_FD) {
		if (dup2(fd, CHILD_IMSG_FD) == -1)
			_exit(127);
	} else if (fcntl(fd, F_SETFD, 0) == -1)
		_exit(127);
	if (dup3(self_fd, CHILD_EXE_FD, O_CLOEXEC) == -1)
		_exit(127);
	/* Nothing of the parent's crosses into the child but fd 0-3. */
	if (close_range(CHILD_EXE_FD + 1, ~0U, 0) == -1)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/*
	 * Only the parent decides when a child stops: a Ctrl-C or a
	 * SIGTERM to the whole group must not take a child away before
	 * it has undone what it did (netcfg: our rules).  Ignored signals stay ignored across
	 * execv; the children exit when their channel closes.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	proc_args(c, argv);
	fexecve(CHILD_EXE_FD, argv, environ);
	_exit(127);
}

static void
proc_start(int id)
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
		proc_exec(c, sp[1]);
	}
	close(sp[1]);
	if (imsgev_init(&c->iev, proc_base, sp[0], c->def->fdpass, c->name,
	    proc_dispatch, proc_closed, c) == -1)
		fatal("imsgev_init %s", c->name);
	c->pid = pid;
	c->connected = 1;
	c->ping_age = -1;
	c->killed_why = NULL;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	log_debug("started %s, pid %d", c->name, (int)pid);
	c->def->up();
}

static void
proc_restart_timer(int fd, short ev, void *arg)
{
	struct child	*c = arg;

	if (!stopping && c->pid == 0)
		proc_start((int)(c - children));
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
proc_schedule_restart(int id)
{
	struct child	*c = &children[id];
	struct timeval	 tv;

	if (proc_lived_ms(c) >= STABLE_MS || c->backoff_ms == 0)
		c->backoff_ms = BACKOFF_MIN_MS;
	else if ((c->backoff_ms *= 2) > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	restarts[id]++;
	log_info("restarting %s in %u ms", c->name, c->backoff_ms);
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	if (evtimer_add(c->ev_restart, &tv) == -1)
		fatalx("evtimer_add");
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
proc_reap(int id, int status)
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
	if (!stopping && !hopeless)
		proc_schedule_restart(id);
	c->def->lost(c->killed_why != NULL ? c->killed_why : "died");
	c->pid = 0;
	if (hopeless)
		on_hopeless();
}

static void
proc_sigchld(int sig, short ev, void *arg)
{
	pid_t	 pid;
	int	 status, id;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (id = 0; id < (int)nchildren; id++)
			if (children[id].name != NULL && children[id].pid == pid)
				proc_reap(id, status);
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
}

/* A child busy with a long request is allowed its grace on top. */
static int
proc_ping_ticks_max(const struct child *c)
{
	if (c->def->grace_ticks == NULL)
		return PING_TICKS_MAX;
	return PING_TICKS_MAX + c->def->grace_ticks();
}

static void
proc_ping_tick(int fd, short ev, void *arg)
{
	struct child	*c;
	int		 id;

	if (stopping)
		return;
	for (id = 0; id < (int)nchildren; id++) {
		c = &children[id];
		if (!c->connected)
			continue;
		if (c->ping_age == -1) {
			proc_send(id, IMSG_PING, 0, -1, NULL, 0);
			c->ping_age = 0;
		} else if (++c->ping_age >= proc_ping_ticks_max(c)) {
			log_warnx("%s (pid %d) has not answered for %d s: "
			    "killing it", c->name, (int)c->pid,
			    c->ping_age * PING_TICK_MS / 1000);
			c->killed_why = "did not answer";
			proc_kill(id);
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
proc_init(struct event_base *base, const char *argv0,
    const struct proc_child *table, size_t n, int foreground, int verbose,
    void (*hopeless)(void))
{
	size_t	 id;
	int	 fd;

	if (n > PROC_CHILDREN_MAX)
		fatalx("%s: %zu children, at most %d", __func__, n,
		    PROC_CHILDREN_MAX);
	for (id = 0; id < n; id++) {
		children[id].def = &table[id];
		children[id].name = table[id].name;
	}
	nchildren = n;
	self_name = argv0;
	on_hopeless = hopeless;
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
	for (id = 0; id < nchildren; id++)
		if (children[id].name != NULL &&
		    (children[id].ev_restart = evtimer_new(base,
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

	for (id = 0; id < (int)nchildren; id++)
		if (children[id].name != NULL)
			proc_start(id);
}

int
proc_send(int id, uint32_t type, uint32_t peerid, int fd,
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
proc_write_now(int id)
{
	struct child	*c = &children[id];

	if (c->connected && imsgbuf_write(&c->iev.ibuf) == -1)
		log_warn("%s: imsg to %s", __func__, c->name);
}

int
proc_running(int id)
{
	return children[id].connected;
}

/* Kill it; the SIGCHLD path restarts it with the current settings. */
void
proc_restart(int id)
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
proc_kill(int id)
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
	for (id = 0; id < (int)nchildren; id++) {
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

	for (id = 0; id < (int)nchildren; id++)
		if (children[id].pid != 0)
			return 0;
	return 1;
}

const uint32_t *
proc_restarts(void)
{
	return restarts;
}
