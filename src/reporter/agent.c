/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * HAProxy agent-check (and Loadbalancer.org's feedback agent, which
 * HAProxy polls the same way on port 3333): the LB connects, we write
 * one line with the whole state and close.  HAProxy reads words
 * separated by blanks or commas: a percentage sets the weight relative
 * to the configured one, "ready", "drain" and "maint" set the admin
 * state, "up" the operational state.
 *
 * The answer goes out at once; only then do we wait, briefly and for a
 * bounded number of bytes, for what the LB may have sent ("agent-send")
 * and for its close.  Closing a socket with unread data makes the
 * kernel send a reset, and a reset can reach the LB before our line.
 */
#include <sys/socket.h>

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "reporter.h"

#define AGENT_ACCEPT_MAX	16	/* connections taken per wakeup */
#define AGENT_CONN_MAX		64	/* connections lingering at once */
#define AGENT_CONN_PER_SOURCE	16	/* of them from one source */
#define AGENT_LINGER_MSEC	100
#define AGENT_READ_MAX		256	/* bytes read from one LB */

struct agent_conn {
	struct event	*ev;
	struct timeval	 deadline;
	size_t		 nread;
	int		 fd;
};

static struct event	*agent_ev;
static struct admit	*agent_admit;

void
agent_line(char *buf, size_t len)
{
	switch (rep->admin) {
	case ADMIN_DRAIN:
		(void)snprintf(buf, len, "up drain 0%%\n");
		break;
	case ADMIN_MAINT:
		(void)snprintf(buf, len, "up maint\n");
		break;
	default:
		(void)snprintf(buf, len, "up ready %u%%\n", rep->weight);
		break;
	}
}

static void
agent_conn_free(struct agent_conn *c)
{
	admit_release(agent_admit, c->fd);
	event_free(c->ev);
	close(c->fd);
	free(c);
}

/* Discard what the LB sends until it closes, the budget or the deadline. */
static void
agent_drain(int fd, short events, void *arg)
{
	struct agent_conn	*c = arg;
	struct timeval		 now, left;
	char			 buf[AGENT_READ_MAX];
	ssize_t			 n;

	if (events & EV_TIMEOUT) {
		agent_conn_free(c);
		return;
	}
	n = recv(fd, buf, sizeof(buf) - c->nread, 0);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR) ||
	    (n > 0 && (c->nread += (size_t)n) >= sizeof(buf))) {
		agent_conn_free(c);
		return;
	}
	if (event_base_gettimeofday_cached(rep->base, &now) == -1 ||
	    !timercmp(&now, &c->deadline, <)) {
		agent_conn_free(c);
		return;
	}
	timersub(&c->deadline, &now, &left);
	if (event_add(c->ev, &left) == -1)
		agent_conn_free(c);
}

/*
 * Linger on a connection we answered and admitted; close it now if we
 * cannot.
 */
static void
agent_linger(int fd)
{
	struct agent_conn	*c;
	struct timeval		 now, tv = { 0, AGENT_LINGER_MSEC * 1000 };

	if (shutdown(fd, SHUT_WR) == -1 ||
	    event_base_gettimeofday_cached(rep->base, &now) == -1 ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		admit_release(agent_admit, fd);
		close(fd);
		return;
	}
	c->fd = fd;
	timeradd(&now, &tv, &c->deadline);
	if ((c->ev = event_new(rep->base, fd, EV_READ, agent_drain, c)) ==
	    NULL || event_add(c->ev, &tv) == -1) {
		if (c->ev != NULL)
			event_free(c->ev);
		free(c);
		admit_release(agent_admit, fd);
		close(fd);
	}
}

/*
 * A stranger gets nothing; an LB over the connection limits still gets
 * its line, only without the linger, since answering costs less than
 * holding the connection.
 */
static void
agent_answer(int fd, const struct sockaddr *sa)
{
	enum admit_verdict	 v;
	char			 line[64];
	size_t			 len;

	if ((v = admit_check(agent_admit, fd)) == ADMIT_STRANGER) {
		close(fd);
		return;
	}
	rep->counters.agent_queries++;
	lb_seen(sa);
	agent_line(line, sizeof(line));
	len = strlen(line);
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len)
		log_debug("agent: send: %s", strerror(errno));
	else if (v == ADMIT_OK) {
		agent_linger(fd);
		return;
	}
	if (v == ADMIT_OK)
		admit_release(agent_admit, fd);
	close(fd);
}

static void
agent_accept(int lfd, short events, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd, i;

	(void)events;
	(void)arg;
	for (i = 0; i < AGENT_ACCEPT_MAX; i++) {
		sslen = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			admit_accept_failed(agent_admit, errno);
			return;
		}
		admit_accepted(agent_admit);
		agent_answer(fd, (struct sockaddr *)&ss);
	}
}

/* Out of descriptors: stop watching the listening socket, or resume. */
static void
agent_pause(int pause)
{
	if (agent_ev == NULL)
		return;
	if ((pause ? event_del(agent_ev) : event_add(agent_ev, NULL)) == -1)
		fatalx("agent: event");
}

/* The listening socket from the monitor; -1 closes ours. */
void
agent_set_socket(int fd)
{
	int	 old;

	if (agent_admit == NULL)
		agent_admit = admit_new("agent", AGENT_CONN_MAX,
		    AGENT_CONN_PER_SOURCE, 0, agent_pause);

	if (agent_ev != NULL) {
		old = event_get_fd(agent_ev);
		event_free(agent_ev);
		close(old);
		agent_ev = NULL;
	}
	if (fd == -1)
		return;
	reporter_nonblock(fd);
	if ((agent_ev = event_new(rep->base, fd, EV_READ | EV_PERSIST,
	    agent_accept, NULL)) == NULL || event_add(agent_ev, NULL) == -1)
		fatalx("agent: event");
}
