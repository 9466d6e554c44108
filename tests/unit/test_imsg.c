/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/* Unit tests for src/imsg: framing, limits, fd passing, libevent glue. */
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "imsg.h"
#include "tap.h"

#define MAX_DATA	(MAX_IMSGSIZE - IMSG_HEADER_SIZE)

static void
mkpair(int sv[2], int nonblock)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0),
	    0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
}

/* Both ends of a blocking pair as imsgbufs. */
static void
mkbufs(struct imsgbuf *a, struct imsgbuf *b, int fdpass)
{
	int	 sv[2];

	mkpair(sv, 0);
	if (imsgbuf_init(a, sv[0]) == -1 || imsgbuf_init(b, sv[1]) == -1)
		exit(2);
	if (fdpass) {
		imsgbuf_allow_fdpass(a);
		imsgbuf_allow_fdpass(b);
	}
}

static void
freebufs(struct imsgbuf *a, struct imsgbuf *b)
{
	close(a->fd);
	close(b->fd);
	imsgbuf_clear(a);
	imsgbuf_clear(b);
}

/* Next message, reading as needed: 1, or 0 on EOF, -1 on error. */
static int
get_one(struct imsgbuf *ib, struct imsg *imsg)
{
	int	 i, n;

	for (i = 0; i < 100; i++) {
		if ((n = imsg_get(ib, imsg)) != 0)
			return n;
		if ((n = imsgbuf_read(ib)) <= 0)
			return n;
	}
	return -1;
}

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		exit(2);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
fill(uint8_t *buf, size_t len, unsigned seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i * 7);
}

static int
check_fill(const struct imsg *imsg, size_t len, unsigned seed)
{
	uint8_t	 want[MAX_DATA];

	fill(want, len, seed);
	return imsg->datalen == len &&
	    (len == 0 || memcmp(imsg->data, want, len) == 0);
}

static void
test_many_in_one_read(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	uint32_t	 i, v, good = 0;

	mkbufs(&a, &b, 0);
	for (i = 0; i < 10; i++)
		imsg_compose(&a, 100 + i, i, 0, -1, &i, sizeof(i));
	is_int(imsgbuf_queuelen(&a), 10, "ten messages queued");
	is_int(imsgbuf_flush(&a), 0, "flush");
	is_int(imsgbuf_queuelen(&a), 0, "queue empty after flush");
	is_int(imsgbuf_read(&b), 1, "one read");
	for (i = 0; i < 10; i++)
		if (imsg_get(&b, &imsg) == 1) {
			good += imsg_get_type(&imsg) == 100 + i &&
			    imsg_get_peerid(&imsg) == i &&
			    imsg_get_pid(&imsg) == getpid() &&
			    imsg_get_data(&imsg, &v, sizeof(v)) == 0 && v == i;
			imsg_free(&imsg);
		}
	is_int(good, 10, "ten messages from one read, in order, intact");
	is_int(imsg_get(&b, &imsg), 0, "then none");
	freebufs(&a, &b);
}

static void
test_split(void)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr = { 7, IMSG_HEADER_SIZE + 100, 8, 9 };
	uint8_t		 wire[IMSG_HEADER_SIZE + 100];
	size_t		 cuts[] = { 1, 8, 16, 70, sizeof(wire) };
	size_t		 i, from = 0;
	int		 sv[2], early = 0;

	mkpair(sv, 0);
	imsgbuf_init(&b, sv[1]);
	memcpy(wire, &hdr, sizeof(hdr));
	fill(wire + IMSG_HEADER_SIZE, 100, 3);
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		if (write(sv[0], wire + from, cuts[i] - from) !=
		    (ssize_t)(cuts[i] - from))
			exit(2);
		from = cuts[i];
		if (imsgbuf_read(&b) != 1)
			early++;
		if (from < sizeof(wire) && imsg_get(&b, &imsg) != 0)
			early++;
	}
	is_int(early, 0, "split message: no message before the last piece");
	is_int(imsg_get(&b, &imsg), 1, "split message: complete at the end");
	ok(imsg_get_type(&imsg) == 7 && imsg_get_peerid(&imsg) == 8 &&
	    imsg_get_pid(&imsg) == 9 && check_fill(&imsg, 100, 3),
	    "split message: reassembled intact");
	imsg_free(&imsg);
	close(sv[0]);
	close(sv[1]);
	imsgbuf_clear(&b);
}

/* What imsg_get says about a stream that starts with this header. */
static int
get_after_header(uint32_t len)
{
	struct imsgbuf	 b;
	struct imsg	 imsg;
	struct imsg_hdr	 hdr = { 1, len, 0, 0 };
	int		 sv[2], n;

	mkpair(sv, 0);
	imsgbuf_init(&b, sv[1]);
	if (write(sv[0], &hdr, sizeof(hdr)) != sizeof(hdr) ||
	    imsgbuf_read(&b) != 1)
		exit(2);
	errno = 0;
	if ((n = imsg_get(&b, &imsg)) == -1 && errno != EBADMSG)
		n = -2;
	if (n == 1)
		imsg_free(&imsg);
	close(sv[0]);
	close(sv[1]);
	imsgbuf_clear(&b);
	return n;
}

static void
test_bad_headers(void)
{
	is_int(get_after_header(IMSG_HEADER_SIZE - 1), -1,
	    "len below the header size: EBADMSG");
	is_int(get_after_header(0), -1, "len 0: EBADMSG");
	is_int(get_after_header(MAX_IMSGSIZE + 1), -1,
	    "len above MAX_IMSGSIZE: EBADMSG");
	is_int(get_after_header(0x80000010), -1, "len with high bit: EBADMSG");
	is_int(get_after_header(MAX_IMSGSIZE), 0,
	    "len MAX_IMSGSIZE, payload missing: waits");
	is_int(get_after_header(IMSG_HEADER_SIZE), 1,
	    "len of the header alone: an empty message");
}

static void
test_max_size(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	static uint8_t	 data[MAX_DATA + 1];

	mkbufs(&a, &b, 0);
	fill(data, sizeof(data), 5);
	is_int(imsg_compose(&a, 1, 0, 0, -1, data, MAX_DATA), 0,
	    "max-size message composed");
	errno = 0;
	is_int(imsg_compose(&a, 2, 0, 0, -1, data, MAX_DATA + 1), -1,
	    "one byte more fails");
	is_int(errno, EMSGSIZE, "... with EMSGSIZE");
	is_int(imsgbuf_queuelen(&a), 1, "... and queues nothing");
	is_int(imsgbuf_flush(&a), 0, "flush");
	is_int(get_one(&b, &imsg), 1, "max-size message received");
	ok(imsg_get_type(&imsg) == 1 && check_fill(&imsg, MAX_DATA, 5),
	    "max-size message intact");
	imsg_free(&imsg);
	freebufs(&a, &b);
}

static void
test_get_data(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	uint64_t	 v = 0x1122334455667788ULL, out = 0;
	uint8_t		 big[12];

	mkbufs(&a, &b, 0);
	imsg_compose(&a, 1, 0, 0, -1, &v, sizeof(v));
	imsg_compose(&a, 2, 0, 0, -1, NULL, 0);
	imsgbuf_flush(&a);

	get_one(&b, &imsg);
	is_int(imsg_get_len(&imsg), sizeof(v), "payload length");
	errno = 0;
	is_int(imsg_get_data(&imsg, &out, 4), -1, "smaller buffer fails");
	is_int(errno, EBADMSG, "... with EBADMSG");
	is_int(imsg_get_data(&imsg, big, sizeof(big)), -1,
	    "larger buffer fails");
	ok(imsg_get_data(&imsg, &out, sizeof(out)) == 0 && out == v,
	    "exact size succeeds");
	imsg_free(&imsg);

	get_one(&b, &imsg);
	is_int(imsg_get_data(&imsg, NULL, 0), 0, "empty payload, len 0");
	is_int(imsg_get_data(&imsg, &out, sizeof(out)), -1,
	    "empty payload, len 8 fails");
	imsg_free(&imsg);
	freebufs(&a, &b);
}

/* Did data written to fd come out of the pipe read end rfd? */
static int
pipe_carries(int fd, int rfd, char c)
{
	char	 got = 0;

	return write(fd, &c, 1) == 1 && read(rfd, &got, 1) == 1 && got == c;
}

static void
test_fdpass(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 p[2], fd, before = count_fds();

	mkbufs(&a, &b, 1);
	if (pipe(p) == -1)
		exit(2);
	is_int(imsg_compose(&a, 1, 0, 0, p[1], "x", 1), 0, "compose with fd");
	is_int(imsgbuf_flush(&a), 0, "flush");
	ok(fcntl(p[1], F_GETFD) == -1 && errno == EBADF,
	    "sender's copy closed once sent");
	is_int(get_one(&b, &imsg), 1, "message with fd received");
	fd = imsg_get_fd(&imsg);
	ok(fd != -1, "it has an fd");
	is_int(imsg_get_fd(&imsg), -1, "fd claimed only once");
	ok(fd != -1 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	    "received fd is close-on-exec");
	ok(pipe_carries(fd, p[0], 'z'), "received fd is the pipe");
	close(fd);
	close(p[0]);
	imsg_free(&imsg);

	/* An fd nobody claims is closed by imsg_free. */
	if (pipe(p) == -1)
		exit(2);
	imsg_compose(&a, 2, 0, 0, p[1], NULL, 0);
	imsgbuf_flush(&a);
	get_one(&b, &imsg);
	imsg_free(&imsg);
	close(p[0]);
	freebufs(&a, &b);
	is_int(count_fds(), before, "unclaimed fd closed by imsg_free");
}

/*
 * Queue n messages on a, message i of type i with sizes[i] bytes of
 * fill(i); the two at fd_at carry the write ends of two new pipes,
 * whose read ends are left in r.
 */
static void
compose_with_pipes(struct imsgbuf *a, const size_t *sizes, int n,
    const int fd_at[2], int r[2])
{
	static uint8_t	 data[MAX_DATA];
	int		 p1[2], p2[2], i, fd;

	if (pipe(p1) == -1 || pipe(p2) == -1)
		exit(2);
	for (i = 0; i < n; i++) {
		fill(data, sizes[i], i);
		fd = i == fd_at[0] ? p1[1] : i == fd_at[1] ? p2[1] : -1;
		imsg_compose(a, i, 0, 0, fd, data, sizes[i]);
	}
	r[0] = p1[0];
	r[1] = p2[0];
}

/* Close the fds the n messages brought, and the pipes' read ends r. */
static void
close_received(const int *fds, int n, const int r[2])
{
	int	 i;

	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
	close(r[0]);
	close(r[1]);
}

/*
 * Several messages, two with fds, written in separate sendmsg()s
 * before the reader reads: each fd must land on its own message even
 * though one recvmsg() returns the earlier fd-less ones too.
 */
static void
test_fd_order(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	int		 r[2], fds[6], i, got = 0, before = count_fds();
	const int	 fd_at[2] = { 1, 3 };
	size_t		 sizes[6] = { 10000, MAX_DATA, 0, 30, 12000, 5 };

	mkbufs(&a, &b, 1);
	compose_with_pipes(&a, sizes, 6, fd_at, r);
	is_int(imsgbuf_flush(&a), 0, "flush six messages, two with fds");
	for (i = 0; i < 6; i++) {
		fds[i] = -1;
		if (get_one(&b, &imsg) != 1)
			break;
		got += imsg_get_type(&imsg) == (uint32_t)i &&
		    check_fill(&imsg, sizes[i], i);
		fds[i] = imsg_get_fd(&imsg);
		imsg_free(&imsg);
	}
	is_int(got, 6, "all six arrive in order, intact");
	ok(fds[0] == -1 && fds[2] == -1 && fds[4] == -1 && fds[5] == -1,
	    "no fd on the messages sent without one");
	ok(fds[1] != -1 && pipe_carries(fds[1], r[0], '1'),
	    "first fd on its own message");
	ok(fds[3] != -1 && pipe_carries(fds[3], r[1], '3'),
	    "second fd on its own message");
	close_received(fds, 6, r);
	freebufs(&a, &b);
	is_int(count_fds(), before, "no fd leaked");
}

/*
 * The reader reads ahead before taking messages: the fd message is
 * split by a full rbuf, and later messages with fds wait in the socket.
 */
static void
test_fd_read_ahead(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	size_t		 sizes[8] = { MAX_DATA, MAX_DATA, MAX_DATA, 15984,
			    MAX_DATA, 100, 50, 0 };
	const int	 fd_at[2] = { 4, 6 };
	int		 r[2], fds[8], i, n = 0, good = 0, rounds;
	int		 readfail = 0;

	mkbufs(&a, &b, 1);
	compose_with_pipes(&a, sizes, 8, fd_at, r);
	is_int(imsgbuf_flush(&a), 0, "flush eight messages, two with fds");
	if (fcntl(b.fd, F_SETFL, O_NONBLOCK) == -1)	/* reads run dry */
		exit(2);
	for (rounds = 0; rounds < 20 && n < 8; rounds++) {
		for (i = 0; i < 3; i++)
			readfail += imsgbuf_read(&b) != 1;
		while (n < 8 && imsg_get(&b, &imsg) == 1) {
			good += imsg_get_type(&imsg) == (uint32_t)n &&
			    check_fill(&imsg, sizes[n], n);
			fds[n++] = imsg_get_fd(&imsg);
			imsg_free(&imsg);
		}
	}
	is_int(readfail, 0, "reading ahead: every read succeeds");
	is_int(good, 8, "reading ahead: all arrive in order, intact");
	ok(n == 8 && fds[0] == -1 && fds[3] == -1 && fds[5] == -1 &&
	    fds[7] == -1, "reading ahead: no fd on the others");
	ok(n == 8 && fds[4] != -1 && pipe_carries(fds[4], r[0], '4'),
	    "reading ahead: split fd message gets its fd");
	ok(n == 8 && fds[6] != -1 && pipe_carries(fds[6], r[1], '6'),
	    "reading ahead: later fd message gets its fd");
	close_received(fds, n, r);
	freebufs(&a, &b);
}

/* Send bytes with nfds copies of fd attached, as a broken peer might. */
static void
raw_send_fds(int sock, const void *buf, size_t len, int fd, int nfds)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(2 * sizeof(int))];
	}		 cmsgbuf;
	struct iovec	 iov = { (void *)buf, len };
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	int		 fdv[2] = { fd, fd };

	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsgbuf.buf;
	msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fdv, nfds * sizeof(int));
	if (sendmsg(sock, &msg, 0) != (ssize_t)len)
		exit(2);
}

/* Returns what the second read says after a header, then the body. */
static int
read_broken_fd(int two_fds, int mid_message)
{
	struct imsgbuf	 b;
	struct imsg_hdr	 hdr = { 1, IMSG_HEADER_SIZE + 8, 0, 0 };
	uint8_t		 wire[IMSG_HEADER_SIZE + 8] = { 0 };
	int		 sv[2], p[2], n;

	mkpair(sv, 0);
	imsgbuf_init(&b, sv[1]);
	imsgbuf_allow_fdpass(&b);
	if (pipe(p) == -1)
		exit(2);
	memcpy(wire, &hdr, sizeof(hdr));
	if (mid_message) {
		if (write(sv[0], wire, IMSG_HEADER_SIZE) != IMSG_HEADER_SIZE ||
		    imsgbuf_read(&b) != 1)
			exit(2);
		raw_send_fds(sv[0], wire + IMSG_HEADER_SIZE, 8, p[0], 1);
	} else
		raw_send_fds(sv[0], wire, sizeof(wire), p[0], two_fds ? 2 : 1);
	errno = 0;
	if ((n = imsgbuf_read(&b)) == -1 && errno != EBADMSG)
		n = -2;
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
	imsgbuf_clear(&b);
	return n;
}

static void
test_fd_broken_peer(void)
{
	int	 before = count_fds();

	is_int(read_broken_fd(0, 0), 1, "well-placed fd accepted");
	is_int(read_broken_fd(0, 1), -1,
	    "fd in the middle of a message: EBADMSG");
	is_int(read_broken_fd(1, 0), -1, "two fds on one message: EBADMSG");
	is_int(count_fds(), before, "rejected fds closed");
}

static void
test_no_fdpass(void)
{
	struct imsgbuf	 a, b;
	int		 p[2], before = count_fds();

	mkbufs(&a, &b, 0);
	if (pipe(p) == -1)
		exit(2);
	errno = 0;
	is_int(imsg_compose(&a, 1, 0, 0, p[0], NULL, 0), -1,
	    "fd on a channel without fdpass: compose fails");
	is_int(errno, EPERM, "... with EPERM");
	is_int(imsgbuf_queuelen(&a), 0, "... and queues nothing");

	/* The peer passes one anyway: closed, and the read fails. */
	imsgbuf_allow_fdpass(&a);
	imsg_compose(&a, 1, 0, 0, p[1], NULL, 0);
	imsgbuf_flush(&a);
	errno = 0;
	is_int(imsgbuf_read(&b), -1, "unexpected fd: read fails");
	is_int(errno, EPERM, "... with EPERM");
	close(p[0]);
	freebufs(&a, &b);
	is_int(count_fds(), before, "unexpected fd closed");
}

static void
test_eof(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;

	mkbufs(&a, &b, 0);
	imsg_compose(&a, 1, 0, 0, -1, NULL, 0);
	imsgbuf_flush(&a);
	close(a.fd);
	is_int(get_one(&b, &imsg), 1, "message before EOF");
	imsg_free(&imsg);
	is_int(imsgbuf_read(&b), 0, "EOF: read returns 0");
	a.fd = -1;
	freebufs(&a, &b);
}

/* Messages fill the socket; the queue keeps the rest until drained. */
static void
test_eagain(void)
{
	struct imsgbuf	 a, b;
	struct imsg	 imsg;
	static uint8_t	 data[16000];
	uint32_t	 i, n = 0, good = 0, nmsg = 200, rounds;
	int		 sv[2];

	mkpair(sv, 1);
	imsgbuf_init(&a, sv[0]);
	imsgbuf_init(&b, sv[1]);
	for (i = 0; i < nmsg; i++) {
		fill(data, sizeof(data), i);
		imsg_compose(&a, 9, i, 0, -1, data, sizeof(data));
	}
	is_int(imsgbuf_write(&a), 0, "write into a full socket: 0");
	ok(imsgbuf_queuelen(&a) > 0 && imsgbuf_queuelen(&a) < nmsg,
	    "some written, the rest kept");
	for (rounds = 0; rounds < 10000 && n < nmsg; rounds++) {
		if (imsgbuf_read(&b) != 1)
			break;
		while (imsg_get(&b, &imsg) == 1) {
			good += imsg_get_peerid(&imsg) == n &&
			    check_fill(&imsg, sizeof(data), n);
			n++;
			imsg_free(&imsg);
		}
		if (imsgbuf_write(&a) == -1)
			break;
	}
	is_int(n, nmsg, "all messages arrive");
	is_int(good, nmsg, "... in order and intact");
	is_int(imsgbuf_queuelen(&a), 0, "queue drained");
	imsg_compose(&a, 10, 0, 0, -1, NULL, 0);
	is_int(imsgbuf_flush(&a), 0, "flush on a non-blocking socket");
	ok(get_one(&b, &imsg) == 1 && imsg_get_type(&imsg) == 10,
	    "flushed message arrives");
	imsg_free(&imsg);
	freebufs(&a, &b);
}

static void
test_forward(void)
{
	struct imsgbuf	 a, b, c, d;
	struct imsg	 imsg;
	int		 p[2], fd;

	mkbufs(&a, &b, 1);
	mkbufs(&c, &d, 1);
	if (pipe(p) == -1)
		exit(2);
	imsg_compose(&a, 42, 7, 1234, p[1], "hello", 5);
	imsgbuf_flush(&a);
	get_one(&b, &imsg);
	is_int(imsg_forward(&c, &imsg), 0, "forward");
	is_int(imsg.fd, -1, "forward took the fd");
	imsg_free(&imsg);
	imsgbuf_flush(&c);
	is_int(get_one(&d, &imsg), 1, "forwarded message received");
	ok(imsg_get_type(&imsg) == 42 && imsg_get_peerid(&imsg) == 7 &&
	    imsg_get_pid(&imsg) == 1234 && imsg_get_len(&imsg) == 5 &&
	    memcmp(imsg.data, "hello", 5) == 0, "forwarded verbatim");
	fd = imsg_get_fd(&imsg);
	ok(fd != -1 && pipe_carries(fd, p[0], 'f'), "with its fd");
	if (fd != -1)
		close(fd);
	close(p[0]);
	imsg_free(&imsg);
	freebufs(&a, &b);
	freebufs(&c, &d);
}

/* imsgev: the counters the callbacks keep. */
struct evstate {
	int		 ndispatch;
	int		 nclosed;
	uint32_t	 types[8];
	int		 clear_in_dispatch;
	int		 free_in_closed;
};

static void
ev_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct evstate	*st = iev->arg;

	if (st->ndispatch < 8)
		st->types[st->ndispatch] = imsg_get_type(imsg);
	st->ndispatch++;
	if (st->clear_in_dispatch)
		imsgev_clear(iev);
}

static void
ev_closed(struct imsgev *iev)
{
	struct evstate	*st = iev->arg;

	st->nclosed++;
	ok(iev->ibuf.fd == -1 && iev->ev == NULL, "cleared before closed()");
	if (st->free_in_closed)
		free(iev);
}

/* Peer (blocking end) sends these and maybe closes; run the loop. */
static void
ev_run(struct evstate *st, int fdpass, const void *raw, size_t rawlen,
    int nmsg, int close_peer)
{
	struct event_base	*base;
	struct imsgev		*iev;
	struct imsgbuf		 peer;
	struct timeval		 tv = { 0, 300000 };
	int			 sv[2], i;

	mkpair(sv, 0);
	if ((base = event_base_new()) == NULL ||
	    (iev = malloc(sizeof(*iev))) == NULL)
		exit(2);
	if (imsgev_init(iev, base, sv[0], fdpass, "peer", ev_dispatch,
	    ev_closed, st) == -1)
		exit(2);
	ok(fcntl(sv[0], F_GETFL) & O_NONBLOCK, "imsgev_init: non-blocking");
	imsgbuf_init(&peer, sv[1]);
	for (i = 0; i < nmsg; i++)
		imsg_compose(&peer, i + 1, 0, 0, -1, NULL, 0);
	imsgbuf_flush(&peer);
	if (rawlen > 0 && write(sv[1], raw, rawlen) != (ssize_t)rawlen)
		exit(2);
	if (close_peer)
		close(sv[1]);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	if (!st->free_in_closed) {
		imsgev_clear(iev);
		free(iev);
	}
	if (!close_peer)
		close(sv[1]);
	imsgbuf_clear(&peer);
	event_base_free(base);
}

static void
test_imsgev(void)
{
	struct evstate		 st;
	struct imsg_hdr		 bad = { 5, 3, 0, 0 };
	struct event_base	*base;
	struct imsgev		 iev;
	struct imsgbuf		 peer;
	struct imsg		 imsg;
	int			 sv[2];

	memset(&st, 0, sizeof(st));
	st.free_in_closed = 1;
	ev_run(&st, 0, NULL, 0, 3, 1);
	is_int(st.ndispatch, 3, "imsgev: three dispatched");
	ok(st.types[0] == 1 && st.types[1] == 2 && st.types[2] == 3,
	    "imsgev: in order");
	is_int(st.nclosed, 1, "imsgev: closed() once on EOF");

	memset(&st, 0, sizeof(st));
	st.clear_in_dispatch = 1;
	ev_run(&st, 0, NULL, 0, 3, 0);
	is_int(st.ndispatch, 1, "imsgev: dispatch cleared it: loop stops");
	is_int(st.nclosed, 0, "imsgev: ... and closed() is not called");

	memset(&st, 0, sizeof(st));
	st.free_in_closed = 1;
	ev_run(&st, 0, &bad, sizeof(bad), 1, 0);
	is_int(st.ndispatch, 1, "imsgev: good message before a bad one");
	is_int(st.nclosed, 1, "imsgev: malformed header closes");

	/* imsgev_compose arms EV_WRITE and the message goes out. */
	mkpair(sv, 0);
	if ((base = event_base_new()) == NULL ||
	    imsgev_init(&iev, base, sv[0], 0, "out", ev_dispatch, ev_closed,
	    &st) == -1)
		exit(2);
	imsgbuf_init(&peer, sv[1]);
	is_int(imsgev_compose(&iev, 77, 0, 0, -1, "abc", 3), 0,
	    "imsgev_compose");
	event_base_loop(base, EVLOOP_ONCE);
	is_int(imsgbuf_queuelen(&iev.ibuf), 0, "imsgev: written on EV_WRITE");
	ok(get_one(&peer, &imsg) == 1 && imsg_get_type(&imsg) == 77 &&
	    imsg_get_len(&imsg) == 3, "imsgev: peer got it");
	imsg_free(&imsg);
	imsgev_clear(&iev);
	errno = 0;
	ok(imsgev_compose(&iev, 1, 0, 0, -1, NULL, 0) == -1 && errno == EPIPE,
	    "imsgev_compose after clear fails");
	close(sv[1]);
	imsgbuf_clear(&peer);
	event_base_free(base);
}

int
main(void)
{
	test_many_in_one_read();
	test_split();
	test_bad_headers();
	test_max_size();
	test_get_data();
	test_fdpass();
	test_fd_order();
	test_fd_read_ahead();
	test_fd_broken_peer();
	test_no_fdpass();
	test_eof();
	test_eagain();
	test_forward();
	test_imsgev();
	return done_testing();
}
