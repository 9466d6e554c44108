/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * imsg: framed messages over a stream socket; the API is in imsg.h.
 *
 * Which message an fd belongs to.  The header has no room for a
 * "carries an fd" flag, so the position in the byte stream says it:
 *
 *  - The writer sends a message that carries an fd with a sendmsg()
 *    of its own, whose data starts at that message's first byte and
 *    holds nothing else.  The kernel ties the fd to the first byte of
 *    that data.  (After a partial write the rest of the message goes
 *    out with whatever follows; it carries no fd any more.)
 *  - A Linux AF_UNIX stream recvmsg() returns the fds of at most one
 *    sendmsg() and stops right after the data they came with, but it
 *    may return earlier fd-less data in front of it.  So the fd
 *    belongs to the last message that starts within the bytes that
 *    recvmsg() returned.
 *  - While that fd waits in fdq, imsgbuf_read() reads no further than
 *    the end of its message, which thus stays the last one in rbuf:
 *    imsg_get() gives the fd to the message that ends exactly at rlen.
 *    At most one fd is ever queued; anything else is a broken peer.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"

#define IMSG_IOV_MAX	64	/* queued messages per sendmsg() */

struct imsg_wbuf {
	TAILQ_ENTRY(imsg_wbuf)	 entry;
	int			 fd;	/* -1 once sent (or none) */
	size_t			 off;	/* bytes already written */
	size_t			 len;
	uint8_t			 buf[];	/* header and payload */
};

static int
imsg_len_ok(uint32_t len)
{
	return len >= IMSG_HEADER_SIZE && len <= MAX_IMSGSIZE;
}

int
imsgbuf_init(struct imsgbuf *ib, int fd)
{
	memset(ib, 0, sizeof(*ib));
	if ((ib->rbuf = malloc(IMSG_READBUF_SIZE)) == NULL)
		return -1;
	ib->fd = fd;
	ib->pid = getpid();
	TAILQ_INIT(&ib->wq);
	return 0;
}

void
imsgbuf_allow_fdpass(struct imsgbuf *ib)
{
	ib->allow_fdpass = 1;
}

/* Frees the buffers and closes queued fds; the socket stays open. */
void
imsgbuf_clear(struct imsgbuf *ib)
{
	struct imsg_wbuf	*wb;
	size_t			 i;

	while ((wb = TAILQ_FIRST(&ib->wq)) != NULL) {
		TAILQ_REMOVE(&ib->wq, wb, entry);
		if (wb->fd != -1)
			close(wb->fd);
		free(wb);
	}
	ib->wq_len = 0;
	for (i = 0; i < ib->fdq_len; i++)
		close(ib->fdq[i]);
	ib->fdq_len = 0;
	free(ib->rbuf);
	ib->rbuf = NULL;
	ib->rpos = ib->rlen = 0;
}

uint32_t
imsgbuf_queuelen(struct imsgbuf *ib)
{
	return ib->wq_len;
}

/*
 * Offset of the last message that starts in rbuf, walking the headers
 * from rpos; a malformed header ends the walk (imsg_get reports it).
 */
static size_t
imsgbuf_last_start(struct imsgbuf *ib)
{
	struct imsg_hdr	 hdr;
	size_t		 pos = ib->rpos, last = ib->rpos;

	while (pos < ib->rlen) {
		last = pos;
		if (ib->rlen - pos < IMSG_HEADER_SIZE)
			break;
		memcpy(&hdr, ib->rbuf + pos, sizeof(hdr));
		if (!imsg_len_ok(hdr.len))
			break;
		pos += hdr.len;
	}
	return last;
}

/* Free space to read into, but not past the message a queued fd is for. */
static size_t
imsgbuf_read_room(struct imsgbuf *ib)
{
	struct imsg_hdr	 hdr;
	size_t		 room = IMSG_READBUF_SIZE - ib->rlen, last, end;

	if (ib->fdq_len == 0)
		return room;
	last = imsgbuf_last_start(ib);
	if (ib->rlen - last < IMSG_HEADER_SIZE)
		end = last + IMSG_HEADER_SIZE;
	else {
		memcpy(&hdr, ib->rbuf + last, sizeof(hdr));
		end = imsg_len_ok(hdr.len) ? last + hdr.len : ib->rlen;
	}
	return end - ib->rlen < room ? end - ib->rlen : room;
}

/* Queue the fd that came with rbuf[from, rlen), if any; see the top. */
static int
imsgbuf_take_fd(struct imsgbuf *ib, struct msghdr *msg, size_t from)
{
	struct cmsghdr	*cm;
	size_t		 i, n;
	int		 fd = -1, rfd, bad = (msg->msg_flags & MSG_CTRUNC) != 0;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&rfd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			if (fd == -1)
				fd = rfd;
			else {
				close(rfd);
				bad = 1;
			}
		}
	}
	if (fd == -1 && !bad)
		return 0;
	if (!ib->allow_fdpass)
		errno = EPERM;
	else if (bad || fd == -1 || ib->fdq_len > 0 ||
	    imsgbuf_last_start(ib) < from)
		errno = EBADMSG;
	else {
		ib->fdq[ib->fdq_len++] = fd;
		return 0;
	}
	if (fd != -1)
		close(fd);
	return -1;
}

int
imsgbuf_read(struct imsgbuf *ib)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cmsgbuf;
	struct iovec	 iov;
	struct msghdr	 msg;
	ssize_t		 n;
	size_t		 from;

	/* Unparsed bytes are at most a partial message: cheap to move. */
	if (ib->rpos > 0) {
		memmove(ib->rbuf, ib->rbuf + ib->rpos, ib->rlen - ib->rpos);
		ib->rlen -= ib->rpos;
		ib->rpos = 0;
	}
	if ((iov.iov_len = imsgbuf_read_room(ib)) == 0)
		return 1;	/* imsg_get() must take messages first */
	iov.iov_base = ib->rbuf + ib->rlen;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	if ((n = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 1;
		return -1;
	}
	from = ib->rlen;
	ib->rlen += n;
	if (imsgbuf_take_fd(ib, &msg, from) == -1)
		return -1;
	return n == 0 ? 0 : 1;
}

/* Forget the first sent bytes of the queue, freeing finished messages. */
static void
imsgbuf_consume(struct imsgbuf *ib, size_t sent)
{
	struct imsg_wbuf	*wb;
	size_t			 n;

	while (sent > 0 && (wb = TAILQ_FIRST(&ib->wq)) != NULL) {
		n = wb->len - wb->off < sent ? wb->len - wb->off : sent;
		wb->off += n;
		sent -= n;
		if (wb->off == wb->len) {
			TAILQ_REMOVE(&ib->wq, wb, entry);
			free(wb);
			ib->wq_len--;
		}
	}
}

/*
 * One sendmsg() from the head of the queue: either the head message
 * alone with its fd, or queued messages up to the next one with an fd.
 */
static int
imsgbuf_send(struct imsgbuf *ib)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}			 cmsgbuf;
	struct iovec		 iov[IMSG_IOV_MAX];
	struct msghdr		 msg;
	struct cmsghdr		*cm;
	struct imsg_wbuf	*wb, *first = TAILQ_FIRST(&ib->wq);
	ssize_t			 n;
	int			 niov = 0;

	memset(&msg, 0, sizeof(msg));
	TAILQ_FOREACH(wb, &ib->wq, entry) {
		if (niov == IMSG_IOV_MAX || (wb != first && wb->fd != -1))
			break;
		iov[niov].iov_base = wb->buf + wb->off;
		iov[niov].iov_len = wb->len - wb->off;
		niov++;
		if (wb->fd != -1)
			break;
	}
	msg.msg_iov = iov;
	msg.msg_iovlen = niov;
	if (first->fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		msg.msg_control = cmsgbuf.buf;
		msg.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &first->fd, sizeof(int));
	}
	if ((n = sendmsg(ib->fd, &msg, MSG_NOSIGNAL)) == -1)
		return -1;
	if (first->fd != -1) {
		close(first->fd);	/* the peer has its own now */
		first->fd = -1;
	}
	imsgbuf_consume(ib, n);
	return 0;
}

int
imsgbuf_write(struct imsgbuf *ib)
{
	while (!TAILQ_EMPTY(&ib->wq)) {
		if (imsgbuf_send(ib) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return 0;
			return -1;
		}
	}
	return 0;
}

/* Waits with poll() when the fd is non-blocking and the socket full. */
int
imsgbuf_flush(struct imsgbuf *ib)
{
	struct pollfd	 pfd = { .fd = ib->fd, .events = POLLOUT };

	while (!TAILQ_EMPTY(&ib->wq)) {
		if (imsgbuf_write(ib) == -1)
			return -1;
		if (!TAILQ_EMPTY(&ib->wq) && poll(&pfd, 1, -1) == -1 &&
		    errno != EINTR)
			return -1;
	}
	return 0;
}

int
imsg_get(struct imsgbuf *ib, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	size_t		 avail = ib->rlen - ib->rpos;

	if (avail < IMSG_HEADER_SIZE)
		return 0;
	memcpy(&hdr, ib->rbuf + ib->rpos, sizeof(hdr));
	if (!imsg_len_ok(hdr.len)) {
		errno = EBADMSG;
		return -1;
	}
	if (hdr.len > avail)
		return 0;

	memset(imsg, 0, sizeof(*imsg));
	imsg->hdr = hdr;
	imsg->datalen = hdr.len - IMSG_HEADER_SIZE;
	imsg->fd = -1;
	if (imsg->datalen > 0) {
		if ((imsg->data = malloc(imsg->datalen)) == NULL)
			return -1;
		memcpy(imsg->data, ib->rbuf + ib->rpos + IMSG_HEADER_SIZE,
		    imsg->datalen);
	}
	if (ib->fdq_len > 0 && ib->rpos + hdr.len == ib->rlen) {
		imsg->fd = ib->fdq[0];
		ib->fdq_len--;
		memmove(ib->fdq, ib->fdq + 1, ib->fdq_len * sizeof(int));
	}
	ib->rpos += hdr.len;
	return 1;
}

/* On success the queue owns fd and closes it once sent. */
static int
imsg_enqueue(struct imsgbuf *ib, uint32_t type, uint32_t peerid,
    uint32_t pid, int fd, const void *data, size_t datalen)
{
	struct imsg_wbuf	*wb;
	struct imsg_hdr		 hdr;

	if (datalen > MAX_IMSGSIZE - IMSG_HEADER_SIZE) {
		errno = EMSGSIZE;
		return -1;
	}
	if (fd != -1 && !ib->allow_fdpass) {
		errno = EPERM;
		return -1;
	}
	if (datalen > 0 && data == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((wb = malloc(sizeof(*wb) + IMSG_HEADER_SIZE + datalen)) == NULL)
		return -1;
	hdr.type = type;
	hdr.len = IMSG_HEADER_SIZE + datalen;
	hdr.peerid = peerid;
	hdr.pid = pid;
	memcpy(wb->buf, &hdr, sizeof(hdr));
	if (datalen > 0)
		memcpy(wb->buf + IMSG_HEADER_SIZE, data, datalen);
	wb->fd = fd;
	wb->off = 0;
	wb->len = hdr.len;
	TAILQ_INSERT_TAIL(&ib->wq, wb, entry);
	ib->wq_len++;
	return 0;
}

/* pid 0 means our own.  On failure the fd stays the caller's. */
int
imsg_compose(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	return imsg_enqueue(ib, type, peerid, pid != 0 ? pid : ib->pid, fd,
	    data, datalen);
}

/* Takes the imsg's fd, if still unclaimed, on success. */
int
imsg_forward(struct imsgbuf *ib, struct imsg *imsg)
{
	if (imsg_enqueue(ib, imsg->hdr.type, imsg->hdr.peerid, imsg->hdr.pid,
	    imsg->fd, imsg->data, imsg->datalen) == -1)
		return -1;
	imsg->fd = -1;
	return 0;
}

void
imsg_free(struct imsg *imsg)
{
	free(imsg->data);
	imsg->data = NULL;
	imsg->datalen = 0;
	if (imsg->fd != -1)
		close(imsg->fd);
	imsg->fd = -1;
}

uint32_t
imsg_get_type(const struct imsg *imsg)
{
	return imsg->hdr.type;
}

uint32_t
imsg_get_peerid(const struct imsg *imsg)
{
	return imsg->hdr.peerid;
}

pid_t
imsg_get_pid(const struct imsg *imsg)
{
	return imsg->hdr.pid;
}

size_t
imsg_get_len(const struct imsg *imsg)
{
	return imsg->datalen;
}

int
imsg_get_data(const struct imsg *imsg, void *buf, size_t len)
{
	if (len != imsg->datalen) {
		errno = EBADMSG;
		return -1;
	}
	if (len > 0)
		memcpy(buf, imsg->data, len);
	return 0;
}

int
imsg_get_fd(struct imsg *imsg)
{
	int	 fd = imsg->fd;

	imsg->fd = -1;
	return fd;
}
