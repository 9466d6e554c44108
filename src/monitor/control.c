/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The control socket: lbnodectl talks imsg to the monitor over a local
 * stream socket.  Only root and members of the control group may
 * connect; the file mode says so to the kernel, and the peer's
 * credentials say so again at accept, so a socket whose mode somebody
 * loosened still refuses strangers.
 *
 * A client is local but not trusted to be well formed: a malformed
 * request drops that client, never the monitor.  Nor is it trusted to
 * share: each uid but root's may hold a few connections only, some are
 * kept for root, and a client that says nothing for a while is dropped,
 * so that root's lbnodectl always gets in.  Every connection is
 * accepted at once and refused after a look at its credentials, never
 * left in the backlog, where it would make the next connect() wait.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "lbnoded.h"
#include "imsg.h"
#include "log.h"
#include "monitor.h"

#define CONTROL_CLIENTS_MAX	32
#define CONTROL_ROOT_RESERVED	4	/* of those, kept for root */
#define CONTROL_UID_MAX		8	/* per uid other than root */
#define CONTROL_IDLE_S		10	/* silent this long after a request: dropped */
#define CONTROL_BACKLOG		8
/* A client that does not read its answers is dropped past this. */
#define CONTROL_QUEUE_MAX	(VIP_ENTRIES_MAX + 64)

struct ctl_client {
	TAILQ_ENTRY(ctl_client)	 entry;
	struct imsgev		 iev;
	struct event		*drop_ev;	/* deferred free, see client_drop */
	struct event		*idle_ev;	/* CONTROL_IDLE_S without a request */
	uid_t			 uid;
	uint32_t		 id;		/* peerid on relayed imsgs */
	int			 dropping;
	int			 asked;		/* the reporter owes an END */
};

static TAILQ_HEAD(, ctl_client) clients = TAILQ_HEAD_INITIALIZER(clients);
static size_t		 nclients;
static uint32_t		 last_id;
static int		 control_fd = -1;
static time_t		 control_refused_logged;	/* one line a second at most */
static struct event	*control_ev;
static struct event	*control_pause_ev;	/* accept again after EMFILE */
static struct event_base *control_base;
static gid_t		 control_gid;
static int		 control_has_group;	/* else root only */

static void	 control_accept(int, short, void *);
static void	 control_resume(int, short, void *);
static void	 client_dispatch(struct imsgev *, struct imsg *);
static void	 client_closed(struct imsgev *);

/* Does a daemon answer on the socket at sun? */
static int
control_in_use(const struct sockaddr_un *sun)
{
	int	 fd, used;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return 0;
	/* EAGAIN: its backlog is full, so it is alive. */
	used = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	    errno == EAGAIN;
	close(fd);
	return used;
}

/*
 * Remove a stale socket left by a daemon that died, but never anything
 * else: a regular file at the socket path is somebody's mistake, and a
 * socket somebody listens on is another daemon's.
 */
static int
control_unlink_stale(const struct sockaddr_un *sun)
{
	const char	*path = sun->sun_path;
	struct stat	 st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("control socket %s", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("control socket %s: exists and is not a socket", path);
		return -1;
	}
	if (control_in_use(sun)) {
		log_warnx("control socket %s: in use, is another lbnoded "
		    "running?", path);
		return -1;
	}
	if (unlink(path) == -1) {
		log_warn("control socket %s: unlink", path);
		return -1;
	}
	return 0;
}

/*
 * Owner root, group the control group, mode 0660.  Without that group
 * the socket is root's alone (0600): refusing everybody else is the
 * safe way to be wrong.
 */
static int
control_set_owner(const char *path, const char *group)
{
	struct group	*gr;
	mode_t		 mode = 0600;

	gr = getgrnam(group);
	control_has_group = gr != NULL;
	if (gr != NULL) {
		control_gid = gr->gr_gid;
		mode = 0660;
	} else
		log_warnx("control socket %s: group %s does not exist, "
		    "only root may connect", path, group);
	if (chown(path, 0, control_has_group ? control_gid : 0) == -1) {
		log_warn("control socket %s: chown", path);
		return -1;
	}
	if (chmod(path, mode) == -1) {
		log_warn("control socket %s: chmod", path);
		return -1;
	}
	return 0;
}

int
control_init(const char *path, const char *group)
{
	struct sockaddr_un	 sun;
	mode_t			 old_umask;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket %s: path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (control_unlink_stale(&sun) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("control socket: socket");
		return -1;
	}
	/* No window in which the socket is open to all. */
	old_umask = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("control socket %s: bind", path);
		umask(old_umask);
		close(fd);
		return -1;
	}
	umask(old_umask);
	if (control_set_owner(path, group) == -1)
		goto fail;
	if (listen(fd, CONTROL_BACKLOG) == -1) {
		log_warn("control socket %s: listen", path);
		goto fail;
	}
	control_fd = fd;
	return 0;
fail:
	unlink(path);
	close(fd);
	return -1;
}

void
control_listen(struct event_base *base)
{
	control_base = base;
	control_ev = event_new(base, control_fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	control_pause_ev = evtimer_new(base, control_resume, NULL);
	if (control_ev == NULL || control_pause_ev == NULL ||
	    event_add(control_ev, NULL) == -1)
		fatalx("control socket: cannot add the accept event");
}

void
control_cleanup(const char *path)
{
	struct ctl_client	*c;

	while ((c = TAILQ_FIRST(&clients)) != NULL) {
		imsgev_clear(&c->iev);
		TAILQ_REMOVE(&clients, c, entry);
		event_free(c->drop_ev);
		event_free(c->idle_ev);
		free(c);
	}
	nclients = 0;
	if (control_ev != NULL) {
		event_free(control_ev);
		event_free(control_pause_ev);
		control_ev = control_pause_ev = NULL;
	}
	if (control_fd != -1) {
		close(control_fd);
		control_fd = -1;
	}
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("control socket %s: unlink", path);
}

/* Is gid among the peer's supplementary groups?  Linux >= 4.13. */
static int
peer_in_group(int fd, gid_t gid)
{
	gid_t		*groups;
	socklen_t	 len = 64 * sizeof(gid_t);
	size_t		 i, n;
	int		 found = 0;

	for (;;) {
		if ((groups = malloc(len)) == NULL) {
			log_warn("control: peer groups");
			return 0;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == 0)
			break;
		free(groups);
		/* len now says how much the kernel needs. */
		if (errno != ERANGE || len > NGROUPS_MAX * sizeof(gid_t)) {
			log_warn("control: SO_PEERGROUPS");
			return 0;
		}
	}
	n = len / sizeof(gid_t);
	for (i = 0; i < n && !found; i++)
		found = groups[i] == gid;
	free(groups);
	return found;
}

static int
peer_allowed(int fd, uid_t *uid)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		return 0;
	}
	*uid = cred.uid;
	if (cred.uid == 0)
		return 1;
	if (control_has_group &&
	    (cred.gid == control_gid || peer_in_group(fd, control_gid)))
		return 1;
	log_warnx("control: refused uid %u gid %u (pid %d): not root nor in "
	    "the control group", (unsigned)cred.uid, (unsigned)cred.gid,
	    (int)cred.pid);
	return 0;
}

/* Never 0, never one that a connected client still has. */
static uint32_t
client_new_id(void)
{
	struct ctl_client	*c;
	int			 taken;

	do {
		if (++last_id == 0)
			last_id = 1;
		taken = 0;
		TAILQ_FOREACH(c, &clients, entry)
			if (c->id == last_id)
				taken = 1;
	} while (taken);
	return last_id;
}

static struct ctl_client *
client_find(uint32_t id)
{
	struct ctl_client	*c;

	TAILQ_FOREACH(c, &clients, entry)
		if (c->id == id && !c->dropping)
			return c;
	return NULL;
}

/* The imsgev is cleared already; forget the client, accept again. */
static void
client_free(struct ctl_client *c)
{
	TAILQ_REMOVE(&clients, c, entry);
	event_free(c->drop_ev);
	event_free(c->idle_ev);
	free(c);
	nclients--;
}

static void
client_free_cb(int fd, short ev, void *arg)
{
	client_free(arg);
}

/*
 * Close now, free later: we may be inside the imsgev's own dispatch,
 * which may clear the imsgev but not free it.
 */
static void
client_drop(struct ctl_client *c, const char *why)
{
	struct timeval	 now = { 0, 0 };

	log_warnx("control: client %u: %s, dropped", c->id, why);
	imsgev_clear(&c->iev);
	evtimer_del(c->idle_ev);
	c->dropping = 1;
	if (evtimer_add(c->drop_ev, &now) == -1)
		fatalx("control: cannot schedule a client's release");
}

static void
control_resume(int fd, short ev, void *arg)
{
	if (event_add(control_ev, NULL) == -1)
		log_warnx("control: cannot resume accepting");
}

static void
client_idle(int fd, short ev, void *arg)
{
	client_drop(arg, "idle");
}

/* The deadline for the client's next request, from now. */
static void
client_deadline(struct ctl_client *c)
{
	struct timeval	 tv = { CONTROL_IDLE_S, 0 };

	if (evtimer_add(c->idle_ev, &tv) == -1)
		fatalx("control: cannot schedule a client's deadline");
}

/*
 * Room for one more client of uid?  Root may use every slot; others
 * leave CONTROL_ROOT_RESERVED free and hold CONTROL_UID_MAX each.
 */
static int
control_room(uid_t uid)
{
	struct ctl_client	*c;
	size_t			 same = 0;

	if (nclients >= CONTROL_CLIENTS_MAX)
		return 0;
	if (uid == 0)
		return 1;
	if (nclients >= CONTROL_CLIENTS_MAX - CONTROL_ROOT_RESERVED)
		return 0;
	TAILQ_FOREACH(c, &clients, entry)
		same += c->uid == uid && !c->dropping;
	return same < CONTROL_UID_MAX;
}

/* Logged once a second at most: a flood of refusals is one line. */
static void
control_refuse(uid_t uid)
{
	time_t	 now = time(NULL);

	if (now == control_refused_logged)
		return;
	control_refused_logged = now;
	log_warnx("control: refused a client of uid %u: no free slot for it "
	    "(%zu clients)", (unsigned)uid, nclients);
}

/* Out of fds: the pending connection would wake us at once, forever. */
static void
control_pause(void)
{
	struct timeval	 tv = { 1, 0 };

	log_warn("control: accept");
	event_del(control_ev);
	if (evtimer_add(control_pause_ev, &tv) == -1)
		fatalx("control: cannot schedule accepting again");
}

static void
control_accept(int lfd, short ev, void *arg)
{
	struct ctl_client	*c;
	char			 name[16];
	uid_t			 uid;
	int			 fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE)
			control_pause();
		else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if (!peer_allowed(fd, &uid)) {
		close(fd);
		return;
	}
	if (!control_room(uid)) {
		control_refuse(uid);
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control: client");
		close(fd);
		return;
	}
	c->id = client_new_id();
	c->uid = uid;
	snprintf(name, sizeof(name), "ctl%u", c->id);
	c->drop_ev = evtimer_new(control_base, client_free_cb, c);
	c->idle_ev = evtimer_new(control_base, client_idle, c);
	if (c->drop_ev == NULL || c->idle_ev == NULL ||
	    imsgev_init(&c->iev, control_base, fd, 0, name, client_dispatch,
	    client_closed, c) == -1) {
		log_warnx("control: cannot set up client %u", c->id);
		if (c->drop_ev != NULL)
			event_free(c->drop_ev);
		if (c->idle_ev != NULL)
			event_free(c->idle_ev);
		free(c);
		close(fd);
		return;
	}
	TAILQ_INSERT_TAIL(&clients, c, entry);
	nclients++;
	client_deadline(c);
}

static void
client_closed(struct imsgev *iev)
{
	client_free(iev->arg);
}

static void
client_reply(struct ctl_client *c, uint32_t type, const void *data,
    size_t len)
{
	if (c->dropping)
		return;
	if (imsgev_compose(&c->iev, type, c->id, 0, -1, data, len) == -1)
		client_drop(c, "cannot queue an answer");
}

/* OK or FAIL, then END: every answer is closed by END. */
static void
client_done(struct ctl_client *c, const char *fail)
{
	if (fail == NULL)
		client_reply(c, IMSG_CTL_OK, NULL, 0);
	else
		client_reply(c, IMSG_CTL_FAIL, fail, strlen(fail) + 1);
	client_reply(c, IMSG_CTL_END, NULL, 0);
}

/* Status and LB list live in the reporter: ask it, it answers c->id. */
static void
client_ask_reporter(struct ctl_client *c, uint32_t type)
{
	if (monitor_to_reporter(type, c->id, NULL, 0) == -1)
		client_done(c, "reporter not running");
	else
		c->asked = 1;
}

/* A reporter that died owes its answers to nobody: give them now. */
void
control_reporter_lost(void)
{
	struct ctl_client	*c;

	TAILQ_FOREACH(c, &clients, entry) {
		if (!c->asked)
			continue;
		c->asked = 0;
		client_done(c, "reporter restarted, try again");
	}
}

/*
 * Who a client is, for an audit line: "uid 1000 (lbnodectl, pid 4242)".
 * The kernel vouches for the uid and the pid; the program's name is
 * its comm, which a process may set as it likes, so it is a hint, and
 * printed safe.
 */
static void
client_peer(const struct ctl_client *c, char *buf, size_t len)
{
	struct ucred	 cred;
	socklen_t	 clen = sizeof(cred);
	char		 path[32], comm[17];
	FILE		*f;
	size_t		 n = 0, i;

	if (getsockopt(c->iev.ibuf.fd, SOL_SOCKET, SO_PEERCRED, &cred,
	    &clen) == -1) {
		snprintf(buf, len, "client %u (SO_PEERCRED: %s)", c->id,
		    strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)cred.pid);
	if ((f = fopen(path, "re")) != NULL) {
		n = fread(comm, 1, sizeof(comm) - 1, f);
		fclose(f);
	}
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	for (i = 0; comm[i] != '\0'; i++)
		if (!isprint((unsigned char)comm[i]))
			comm[i] = '?';
	snprintf(buf, len, "uid %u (%s, pid %d)", (unsigned)cred.uid,
	    comm[0] != '\0' ? comm : "?", (int)cred.pid);
}

static void
client_admin(struct ctl_client *c, const struct admin_msg *am)
{
	char	 who[64], err[256];

	/* the one check of an admin change: the reporter trusts ours */
	if (am->state > ADMIN_MAINT) {
		client_done(c, "unknown admin state");
		return;
	}
	client_peer(c, who, sizeof(who));
	if (monitor_set_admin(am->state, who, err, sizeof(err)) == -1)
		client_done(c, err);
	else
		client_done(c, NULL);
}

static void
client_verbose(struct ctl_client *c, int v)
{
	if (v != 0 && v != 1) {
		client_done(c, "log verbosity is 0 or 1");
		return;
	}
	monitor_set_verbose(v);
	client_done(c, NULL);
}

static void
client_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct ctl_client	*c = iev->arg;
	struct admin_msg	 am;
	uint32_t		 type = imsg_get_type(imsg);
	int			 v;

	if (c->dropping)
		return;
	client_deadline(c);
	if (imsgbuf_queuelen(&iev->ibuf) > CONTROL_QUEUE_MAX) {
		client_drop(c, "not reading its answers");
		return;
	}
	switch (type) {
	case IMSG_CTL_STATUS:
	case IMSG_CTL_SHOW_LBS:
		if (imsg_get_len(imsg) != 0)
			break;
		client_ask_reporter(c, type);
		return;
	case IMSG_CTL_SHOW_VIPS:
		if (imsg_get_len(imsg) != 0)
			break;
		dr_send_vips(c->id);
		return;
	case IMSG_CTL_ADMIN:
		if (imsg_get_data(imsg, &am, sizeof(am)) == -1)
			break;
		client_admin(c, &am);
		return;
	case IMSG_CTL_RELOAD:
		if (imsg_get_len(imsg) != 0)
			break;
		monitor_reload(c->id);	/* answered by control_done() */
		return;
	case IMSG_CTL_VERBOSE:
		if (imsg_get_data(imsg, &v, sizeof(v)) == -1)
			break;
		client_verbose(c, v);
		return;
	default:
		client_drop(c, "unknown request");
		return;
	}
	client_drop(c, "request of the wrong size");
}

/* What the reporter may send a client, and the payload each must have. */
static size_t
relay_size(uint32_t type)
{
	switch (type) {
	case IMSG_REP_STATUS:
		return sizeof(struct ctl_status);
	case IMSG_REP_LB:
		return sizeof(struct ctl_lb);
	case IMSG_REP_END:
		return 0;
	default:
		fatalx("control: relay of imsg type %u", type);
	}
}

void
control_relay(struct imsg *imsg)
{
	struct ctl_client	*c;

	if (imsg_get_len(imsg) != relay_size(imsg_get_type(imsg)))
		fatalx("control: relay of imsg type %u: wrong size %zu",
		    imsg_get_type(imsg), imsg_get_len(imsg));
	/* The client may have gone while the reporter answered. */
	if ((c = client_find(imsg_get_peerid(imsg))) == NULL)
		return;
	/* The reporter is done with the client: the monitor ends the answer. */
	if (imsg_get_type(imsg) == IMSG_REP_END) {
		c->asked = 0;
		client_reply(c, IMSG_CTL_END, NULL, 0);
		return;
	}
	if (imsgev_forward(&c->iev, imsg) == -1)
		client_drop(c, "cannot queue an answer");
}

/* A request answered later, e.g. a reload once its rules are in force. */
void
control_done(uint32_t id, const char *fail)
{
	struct ctl_client	*c;

	if ((c = client_find(id)) != NULL)
		client_done(c, fail);
}

void
control_send(uint32_t id, uint32_t type, const void *data, size_t len)
{
	struct ctl_client	*c;

	if ((c = client_find(id)) != NULL)
		client_reply(c, type, data, len);
}
