/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl's side of the control socket: connect, send one request,
 * read the answer up to IMSG_CTL_END.  Every command goes through
 * ctl_request, so every command fails the same clear way.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lbnoded.h"
#include "imsg.h"
#include "lbnodectl.h"

/* The longest answer: every VIP entry, then OK or FAIL and END. */
#define CTL_ANSWER_MAX	(VIP_ENTRIES_MAX + CTL_LB_MAX + 8)
#define CTL_CONNECT_RETRY_MS	20	/* while the daemon's backlog is full */

/*
 * A local connect() waits while the daemon's backlog is full, for as
 * long as somebody else keeps it full: ours does not wait, and tries
 * again until CTL_IDLE_MS have passed.
 */
static int
ctl_connect_within(int fd, const struct sockaddr_un *sun)
{
	struct timespec	 t0, now;
	long		 ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (connect(fd, (const struct sockaddr *)sun,
		    sizeof(*sun)) == 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= CTL_IDLE_MS) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)poll(NULL, 0, CTL_CONNECT_RETRY_MS);
	}
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, flags;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		warnx("%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		warn("socket");
		return -1;
	}
	if (ctl_connect_within(fd, &sun) == 0) {
		/* The rest of the exchange is paced by poll() in ctl_wait. */
		if ((flags = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
			warn("fcntl");
			close(fd);
			return -1;
		}
		return fd;
	}
	switch (errno) {
	case ENOENT:
		warnx("daemon not running (no socket at %s)", path);
		break;
	case ECONNREFUSED:
		warnx("daemon not running (nothing listening at %s)", path);
		break;
	case EACCES:
	case EPERM:
		warnx("%s: permission denied (root or group %s only)", path,
		    LBNODED_GROUP);
		break;
	case ETIMEDOUT:
		warnx("%s: the daemon did not take the connection within %d s",
		    path, CTL_IDLE_MS / 1000);
		break;
	default:
		warn("%s", path);
		break;
	}
	close(fd);
	return -1;
}

/* The monitor refuses a peer by closing on it, before or after our request. */
static int
ctl_closed(void)
{
	warnx("the daemon closed the connection without an answer "
	    "(not root nor in group %s?)", LBNODED_GROUP);
	return -1;
}

/* The daemon's message, printable lines, whatever it sent. */
static int
ctl_keep_failure(struct imsg *imsg, struct ctl_answer *ans)
{
	const char	*msg = imsg->data;
	size_t		 len = imsg_get_len(imsg), i;

	if (len == 0 || memchr(msg, '\0', len) == NULL)
		return -1;
	for (i = 0; msg[i] != '\0' && i < sizeof(ans->fail) - 1; i++)
		ans->fail[i] = (msg[i] >= 0x20 && msg[i] < 0x7f) ||
		    msg[i] == '\n' ? msg[i] : '?';
	ans->fail[i] = '\0';
	if (i == 0)
		snprintf(ans->fail, sizeof(ans->fail), "failed");
	return 0;
}

/* 1: END, the answer is complete; 0: more to come; -1: a bad message. */
static int
ctl_answer_one(struct imsg *imsg, struct ctl_answer *ans)
{
	uint32_t	 type = imsg_get_type(imsg);
	size_t		 len = imsg_get_len(imsg);

	switch (type) {
	case IMSG_CTL_END:
		if (len == 0)
			return 1;
		break;
	case IMSG_CTL_OK:
		if (len == 0) {
			ans->ok = 1;
			return 0;
		}
		break;
	case IMSG_CTL_FAIL:
		if (ctl_keep_failure(imsg, ans) == 0)
			return 0;
		break;
	default:
		if (ans->cb != NULL && ans->cb(imsg, ans->arg) == 0)
			return 0;
		break;
	}
	warnx("unexpected answer from the daemon (type %u, %zu bytes)",
	    type, len);
	return -1;
}

/* Wait for the daemon, at most ms of silence; -1 reported. */
static int
ctl_wait(int fd, int ms)
{
	struct pollfd	 pfd;
	int		 n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	do {
		n = poll(&pfd, 1, ms);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		warn("poll");
		return -1;
	}
	if (n == 0) {
		warnx("no answer from the daemon within %d s", ms / 1000);
		return -1;
	}
	return 0;
}

static int
ctl_read_answer(struct imsgbuf *ibuf, struct ctl_answer *ans)
{
	struct imsg	 imsg;
	size_t		 nmsg = 0;
	int		 n, r;

	for (;;) {
		while ((n = imsg_get(ibuf, &imsg)) == 1) {
			r = ctl_answer_one(&imsg, ans);
			imsg_free(&imsg);
			if (r != 0)
				return r == 1 ? 0 : -1;
			if (++nmsg > CTL_ANSWER_MAX) {
				warnx("answer from the daemon too long");
				return -1;
			}
		}
		if (n == -1) {
			warnx("malformed answer from the daemon");
			return -1;
		}
		if (ctl_wait(ibuf->fd, ans->idle_ms > 0 ? ans->idle_ms :
		    CTL_IDLE_MS) == -1)
			return -1;
		n = imsgbuf_read(ibuf);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return ctl_closed();
		if (n == -1) {
			warn("read from the daemon");
			return -1;
		}
	}
}

int
ctl_request(uint32_t type, const void *data, size_t len,
    struct ctl_answer *ans)
{
	struct imsgbuf	 ibuf;
	int		 fd, r = -1;

	ans->ok = 0;
	ans->fail[0] = '\0';
	if ((fd = ctl_connect(ctl_socket_path)) == -1)
		return -1;
	if (imsgbuf_init(&ibuf, fd) == -1) {
		warn("imsgbuf_init");
		close(fd);
		return -1;
	}
	if (imsg_compose(&ibuf, type, 0, 0, -1, data, len) == -1)
		warn("imsg_compose");
	else if (imsgbuf_flush(&ibuf) == -1) {
		if (errno == EPIPE || errno == ECONNRESET)
			ctl_closed();
		else
			warn("write to the daemon");
	} else
		r = ctl_read_answer(&ibuf, ans);
	imsgbuf_clear(&ibuf);
	close(fd);
	return r;
}
