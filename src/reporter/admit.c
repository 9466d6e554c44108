/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * Who may hold a TCP connection to the agent and HTTP ports, and for
 * how long: the lb allowlist, a limit per source and one in all, both
 * checked when a connection is accepted, before a byte of it is read;
 * a deadline for each connection admitted, which bounds a client that
 * sends a byte now and then; and a pause of the listener when accept()
 * finds no descriptor left, with one log line a minute at most.
 *
 * A connection's owner (evhttp for HTTP) may close it without telling
 * us, so a slot remembers the socket's inode: a slot whose descriptor
 * now names another socket, or none, is free.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "reporter.h"

#define BACKOFF_MIN_MS		10
#define BACKOFF_MAX_MS		1000
#define BACKOFF_LOG_SECS	60	/* between two log lines */

struct admit_slot {
	int		 fd;		/* -1: free */
	ino_t		 ino;
	struct lbn_addr	 src;
	struct timeval	 deadline;
};

struct admit {
	const char		*name;
	size_t			 max, per_source;
	struct timeval		 lifetime;	/* 0: no deadline */
	struct admit_slot	*slots;
	struct event		*expire_ev;
	/* the back-off */
	void			(*pause)(int);	/* 1 stops accepting, 0 resumes */
	struct event		*resume_ev;
	int			 backoff_ms;
	time_t			 logged;
	unsigned long		 unlogged;	/* failures since the last line */
};

static ino_t
sock_ino(int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return 0;
	return st.st_ino;
}

/* Is this slot's connection gone (closed, or its fd now another's)? */
static int
slot_gone(const struct admit_slot *s)
{
	return s->fd == -1 || sock_ino(s->fd) != s->ino;
}

/* Cut what is past its deadline; arm the timer for the next one. */
static void
admit_expire(int fd, short ev, void *arg)
{
	struct admit		*a = arg;
	struct admit_slot	*s, *next = NULL;
	struct timeval		 now, left;
	size_t			 i;

	(void)fd;
	(void)ev;
	if (event_base_gettimeofday_cached(rep->base, &now) == -1)
		fatal("gettimeofday");
	for (i = 0; i < a->max; i++) {
		s = &a->slots[i];
		if (s->fd == -1)
			continue;
		if (slot_gone(s))
			s->fd = -1;
		else if (!timercmp(&now, &s->deadline, <)) {
			log_debug("%s: connection past its deadline cut",
			    a->name);
			rep->counters.dropped[DROP_RATE]++;
			(void)shutdown(s->fd, SHUT_RDWR);
			s->fd = -1;
		} else if (next == NULL || timercmp(&s->deadline,
		    &next->deadline, <))
			next = s;
	}
	if (next == NULL)
		return;
	timersub(&next->deadline, &now, &left);
	if (event_add(a->expire_ev, &left) == -1)
		fatalx("%s: event_add", a->name);
}

struct admit *
admit_new(const char *name, size_t max, size_t per_source, int lifetime_ms,
    void (*pause)(int))
{
	struct admit	*a;
	size_t		 i;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->slots = calloc(max, sizeof(*a->slots))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < max; i++)
		a->slots[i].fd = -1;
	a->name = name;
	a->max = max;
	a->per_source = per_source;
	a->lifetime.tv_sec = lifetime_ms / 1000;
	a->lifetime.tv_usec = (lifetime_ms % 1000) * 1000;
	a->pause = pause;
	a->backoff_ms = BACKOFF_MIN_MS;
	if ((a->expire_ev = evtimer_new(rep->base, admit_expire, a)) == NULL)
		fatalx("%s: evtimer_new", name);
	return a;
}

/*
 * The connections from src, and a free slot or NULL.  Only when asked
 * to look closer (at a limit: not on every connection) does it check
 * that each slot's connection is still there.
 */
static size_t
admit_count(struct admit *a, const struct lbn_addr *src, int closer,
    struct admit_slot **free_slot)
{
	struct admit_slot	*s;
	size_t			 i, n = 0;

	*free_slot = NULL;
	for (i = 0; i < a->max; i++) {
		s = &a->slots[i];
		if (closer && s->fd != -1 && slot_gone(s))
			s->fd = -1;
		if (s->fd == -1) {
			if (*free_slot == NULL)
				*free_slot = s;
		} else if (addr_eq(&s->src, src))
			n++;
	}
	return n;
}

/*
 * May the connection on fd stay?  ADMIT_OK takes a slot, which its
 * owner gives back with admit_release() or by closing fd.
 */
enum admit_verdict
admit_check(struct admit *a, int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	struct admit_slot	*s;
	struct lbn_addr		 src;
	struct timeval		 now;
	size_t			 n;

	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    addr_from_sockaddr((struct sockaddr *)&ss, &src) == -1)
		return ADMIT_FULL;
	if (!lb_allowed((struct sockaddr *)&ss)) {
		rep->counters.dropped[DROP_ALLOW]++;
		log_debug("%s: connection from a source not allowed", a->name);
		return ADMIT_STRANGER;
	}
	if (((n = admit_count(a, &src, 0, &s)) >= a->per_source ||
	    s == NULL) &&
	    ((n = admit_count(a, &src, 1, &s)) >= a->per_source ||
	    s == NULL)) {
		rep->counters.dropped[DROP_RATE]++;
		log_debug("%s: connection over the limit", a->name);
		return ADMIT_FULL;
	}
	s->fd = fd;
	s->ino = sock_ino(fd);
	s->src = src;
	if (a->lifetime.tv_sec == 0 && a->lifetime.tv_usec == 0)
		return ADMIT_OK;
	if (event_base_gettimeofday_cached(rep->base, &now) == -1)
		fatal("gettimeofday");
	timeradd(&now, &a->lifetime, &s->deadline);
	if (!evtimer_pending(a->expire_ev, NULL) &&
	    event_add(a->expire_ev, &a->lifetime) == -1)
		fatalx("%s: event_add", a->name);
	return ADMIT_OK;
}

void
admit_release(struct admit *a, int fd)
{
	size_t	 i;

	for (i = 0; i < a->max; i++)
		if (a->slots[i].fd == fd)
			a->slots[i].fd = -1;
}

static void
admit_resume(int fd, short ev, void *arg)
{
	struct admit	*a = arg;

	(void)fd;
	(void)ev;
	a->pause(0);
}

/*
 * accept() failed.  Out of descriptors, the listening socket stays
 * readable: stop watching it for a while, longer each time in a row,
 * rather than spin.
 */
void
admit_accept_failed(struct admit *a, int error)
{
	struct timeval	 tv;
	time_t		 now = time(NULL);

	if (error == EAGAIN || error == EINTR || error == ECONNABORTED) {
		a->backoff_ms = BACKOFF_MIN_MS;
		return;
	}
	a->unlogged++;
	if (now - a->logged >= BACKOFF_LOG_SECS) {
		log_warnx("%s: accept: %s (%lu times since the last report); "
		    "pausing", a->name, strerror(error), a->unlogged);
		a->logged = now;
		a->unlogged = 0;
	}
	if (error != EMFILE && error != ENFILE && error != ENOBUFS &&
	    error != ENOMEM)
		return;
	if (a->resume_ev == NULL && (a->resume_ev = evtimer_new(rep->base,
	    admit_resume, a)) == NULL)
		fatalx("%s: evtimer_new", a->name);
	tv.tv_sec = a->backoff_ms / 1000;
	tv.tv_usec = (a->backoff_ms % 1000) * 1000;
	a->pause(1);
	if (evtimer_add(a->resume_ev, &tv) == -1)
		fatalx("%s: evtimer_add", a->name);
	if ((a->backoff_ms *= 2) > BACKOFF_MAX_MS)
		a->backoff_ms = BACKOFF_MAX_MS;
}

/* An accept() that worked: the next shortage starts short again. */
void
admit_accepted(struct admit *a)
{
	a->backoff_ms = BACKOFF_MIN_MS;
}
