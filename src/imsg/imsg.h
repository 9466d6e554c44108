/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * imsg: framed messages over a stream socket, in the model of
 * OpenBSD's imsg(3).  Every message is a 16-byte header followed by up
 * to MAX_IMSGSIZE - IMSG_HEADER_SIZE bytes of payload, and may carry
 * one file descriptor on channels that allow it.
 */
#ifndef IMSG_H
#define IMSG_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define IMSG_HEADER_SIZE	16
#define MAX_IMSGSIZE		16384
#define IMSG_READBUF_SIZE	65536
#define IMSG_FDQ_MAX		64	/* received fds not yet claimed */

struct imsg_hdr {
	uint32_t	 type;
	uint32_t	 len;		/* header included */
	uint32_t	 peerid;
	uint32_t	 pid;
};

struct imsg_wbuf;

struct imsgbuf {
	int			 fd;
	int			 allow_fdpass;
	pid_t			 pid;
	/* read side */
	uint8_t			*rbuf;		/* IMSG_READBUF_SIZE bytes */
	size_t			 rpos;		/* first unparsed byte */
	size_t			 rlen;		/* bytes held */
	int			 fdq[IMSG_FDQ_MAX];
	size_t			 fdq_len;
	/* write side */
	TAILQ_HEAD(, imsg_wbuf)	 wq;
	uint32_t		 wq_len;	/* messages queued */
};

struct imsg {
	struct imsg_hdr		 hdr;
	void			*data;
	size_t			 datalen;
	int			 fd;		/* -1: none, or claimed */
};

int	 imsgbuf_init(struct imsgbuf *, int);
void	 imsgbuf_allow_fdpass(struct imsgbuf *);
void	 imsgbuf_clear(struct imsgbuf *);
int	 imsgbuf_read(struct imsgbuf *);
int	 imsgbuf_write(struct imsgbuf *);
int	 imsgbuf_flush(struct imsgbuf *);
uint32_t imsgbuf_queuelen(struct imsgbuf *);

int	 imsg_get(struct imsgbuf *, struct imsg *);
int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsg_forward(struct imsgbuf *, struct imsg *);
void	 imsg_free(struct imsg *);

uint32_t imsg_get_type(const struct imsg *);
uint32_t imsg_get_peerid(const struct imsg *);
pid_t	 imsg_get_pid(const struct imsg *);
size_t	 imsg_get_len(const struct imsg *);
int	 imsg_get_data(const struct imsg *, void *, size_t);
int	 imsg_get_fd(struct imsg *);

/*
 * The contract, where it differs from "0 or -1 with errno":
 *  imsgbuf_read:  1 bytes read (or nothing yet: EAGAIN), 0 EOF, -1 error.
 *  imsgbuf_write: 0 all or some written (EAGAIN included), -1 error.
 *  imsgbuf_flush: 0 queue empty, -1 error; blocks on a blocking fd.
 *  imsg_get:      1 a message, 0 none complete yet, -1 a malformed
 *                 header (errno EBADMSG): the stream is unusable.
 *  imsg_compose:  -1 with EMSGSIZE if too large, EPERM if an fd is
 *                 passed on a channel that does not allow it.
 *  imsg_get_data: -1 with EBADMSG unless the payload is exactly that size.
 *  imsg_get_fd:   the fd, now the caller's to close, or -1.
 *
 * fd ownership: imsg_compose takes the fd only when it succeeds (and
 * closes it once sent); on failure the caller still owns it.
 * imsg_forward takes the message's unclaimed fd the same way, and
 * imsg_free closes an fd nobody claimed.  A message with an fd travels
 * in a sendmsg() of its own, so the receiver knows whose fd it is.
 * imsgbuf_read may return 1 having read nothing while such a message
 * waits: call imsg_get until it returns 0 after every read.
 */

/* libevent glue: one imsgbuf driven by one persistent event. */
struct event_base;
struct event;
struct imsgev;

typedef void	 (*imsgev_dispatch_cb)(struct imsgev *, struct imsg *);
typedef void	 (*imsgev_closed_cb)(struct imsgev *);

struct imsgev {
	struct imsgbuf		 ibuf;
	struct event		*ev;
	struct event_base	*base;
	short			 events;
	imsgev_dispatch_cb	 dispatch;
	imsgev_closed_cb	 closed;	/* EOF or error; may free the imsgev */
	void			*arg;
	char			 name[16];	/* the peer, for log lines */
};

int	 imsgev_init(struct imsgev *, struct event_base *, int, int,
	    const char *, imsgev_dispatch_cb, imsgev_closed_cb, void *);
int	 imsgev_compose(struct imsgev *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsgev_forward(struct imsgev *, struct imsg *);
void	 imsgev_clear(struct imsgev *);

/*
 * imsgev_init: fd is non-blocking afterwards; the int says whether fds
 *  may pass.  After closed() is called the imsgev is cleared already.
 * imsgev_compose/forward: queue and arm EV_WRITE; fail with EPIPE once
 *  the imsgev is cleared.
 * imsgev_clear: remove the event, free the buffers, close the fd.  A
 *  dispatch callback may clear its imsgev (no more messages are then
 *  dispatched, and closed() is not called) but must not free it.
 */

#endif /* IMSG_H */
