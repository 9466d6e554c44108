/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * libevent glue for imsg: one imsgbuf driven by one event, re-armed
 * after every callback with EV_READ always and EV_WRITE only while
 * messages are queued.
 *
 * Ownership: closed() may free the imsgev, so nothing here touches it
 * after calling closed().  dispatch() may imsgev_clear() it (then no
 * further message is dispatched and closed() is not called) but must
 * not free it: free it from closed() or outside the callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "imsg.h"
#include "log.h"

static void	 imsgev_handler(int, short, void *);

static int
imsgev_arm(struct imsgev *iev)
{
	short	 events = EV_READ;

	if (imsgbuf_queuelen(&iev->ibuf) > 0)
		events |= EV_WRITE;
	if (event_pending(iev->ev, EV_READ | EV_WRITE, NULL) == events)
		return 0;
	if (event_del(iev->ev) == -1 ||
	    event_assign(iev->ev, iev->base, iev->ibuf.fd, events,
	    imsgev_handler, iev) == -1 ||
	    event_add(iev->ev, NULL) == -1) {
		log_warnx("%s: cannot arm the imsg event", iev->name);
		return -1;
	}
	iev->events = events;
	return 0;
}

/* Read and dispatch; 0 to go on, -1 if the channel is gone. */
static int
imsgev_read(struct imsgev *iev)
{
	struct imsg	 imsg;
	int		 n;

	if ((n = imsgbuf_read(&iev->ibuf)) == -1) {
		log_warn("%s: imsg read", iev->name);
		return -1;
	}
	if (n == 0) {
		log_debug("%s: imsg channel closed", iev->name);
		return -1;
	}
	/* rbuf holds at most IMSG_READBUF_SIZE / IMSG_HEADER_SIZE messages */
	while ((n = imsg_get(&iev->ibuf, &imsg)) == 1) {
		iev->dispatch(iev, &imsg);
		imsg_free(&imsg);
		if (iev->ibuf.fd == -1)
			return 0;	/* dispatch() cleared it */
	}
	if (n == -1) {
		log_warn("%s: bad imsg", iev->name);
		return -1;
	}
	return 0;
}

static void
imsgev_handler(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;

	if ((event & EV_READ) && imsgev_read(iev) == -1)
		goto closed;
	if (iev->ibuf.fd == -1)
		return;
	if ((event & EV_WRITE) && imsgbuf_write(&iev->ibuf) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			log_debug("%s: imsg peer gone", iev->name);
		else
			log_warn("%s: imsg write", iev->name);
		goto closed;
	}
	if (imsgev_arm(iev) == 0)
		return;
 closed:
	imsgev_clear(iev);
	iev->closed(iev);
}

/* On failure the fd stays open, the caller's to close. */
int
imsgev_init(struct imsgev *iev, struct event_base *base, int fd,
    int fdpass, const char *name, imsgev_dispatch_cb dispatch,
    imsgev_closed_cb closed, void *arg)
{
	int	 flags;

	memset(iev, 0, sizeof(*iev));
	iev->ibuf.fd = -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	if (imsgbuf_init(&iev->ibuf, fd) == -1)
		return -1;
	if (fdpass)
		imsgbuf_allow_fdpass(&iev->ibuf);
	iev->base = base;
	iev->dispatch = dispatch;
	iev->closed = closed;
	iev->arg = arg;
	snprintf(iev->name, sizeof(iev->name), "%s", name);
	if ((iev->ev = event_new(base, fd, EV_READ, imsgev_handler,
	    iev)) == NULL || imsgev_arm(iev) == -1) {
		if (iev->ev != NULL)
			event_free(iev->ev);
		iev->ev = NULL;
		imsgbuf_clear(&iev->ibuf);
		iev->ibuf.fd = -1;
		return -1;
	}
	return 0;
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid,
    pid_t pid, int fd, const void *data, size_t datalen)
{
	if (iev->ev == NULL) {
		errno = EPIPE;		/* cleared */
		return -1;
	}
	if (imsg_compose(&iev->ibuf, type, peerid, pid, fd, data,
	    datalen) == -1)
		return -1;
	return imsgev_arm(iev);
}

int
imsgev_forward(struct imsgev *iev, struct imsg *imsg)
{
	if (iev->ev == NULL) {
		errno = EPIPE;		/* cleared */
		return -1;
	}
	if (imsg_forward(&iev->ibuf, imsg) == -1)
		return -1;
	return imsgev_arm(iev);
}

/* Safe to call twice. */
void
imsgev_clear(struct imsgev *iev)
{
	if (iev->ev != NULL) {
		event_free(iev->ev);
		iev->ev = NULL;
	}
	imsgbuf_clear(&iev->ibuf);
	if (iev->ibuf.fd != -1)
		close(iev->ibuf.fd);
	iev->ibuf.fd = -1;
	iev->events = 0;
}
