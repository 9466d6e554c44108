/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * netcfg process: lbnoded -P netcfg [-d] [-v].  It keeps uid 0 with
 * CAP_NET_ADMIN alone, and answers the monitor's DR requests on the
 * imsg channel it finds on CHILD_IMSG_FD.
 *
 * A request is IMSG_DR_BEGIN, count IMSG_DR_ENTRY, IMSG_DR_COMMIT; it
 * is answered with IMSG_DR_RESULT, one IMSG_DR_ENTRY_RESULT per
 * refused entry, and IMSG_DR_DONE.  The monitor frames requests; a
 * framing error is a bug there and ends this process.
 *
 * netcfg answers one request at a time and waits for nothing else, so
 * it blocks on its channel rather than running an event loop.
 */
#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "netcfg.h"
#include "sandbox.h"

/* The request being received, between BEGIN and COMMIT. */
static struct {
	int		 active;
	struct dr_begin	 begin;
	struct dr_entry	*e;		/* NULL: too many to keep, refused */
	size_t		 n;		/* ENTRY messages received */
} req;

static void
compose(struct imsgbuf *ib, uint32_t type, const void *data, size_t len)
{
	if (imsg_compose(ib, type, 0, 0, -1, data, len) == -1)
		fatal("imsg_compose");
}

static void
reply(struct imsgbuf *ib, const struct dr_result *res,
    const struct rejects *rej)
{
	size_t	 i;

	compose(ib, IMSG_DR_RESULT, res, sizeof(*res));
	for (i = 0; rej != NULL && i < rej->n; i++)
		compose(ib, IMSG_DR_ENTRY_RESULT, &rej->r[i], sizeof(rej->r[i]));
	compose(ib, IMSG_DR_DONE, NULL, 0);
}

static void
get_data(struct imsg *imsg, void *data, size_t len)
{
	if (imsg_get_data(imsg, data, len) == -1)
		fatalx("imsg type %u: payload of %zu bytes, expected %zu",
		    imsg_get_type(imsg), imsg_get_len(imsg), len);
}

static void
get_none(struct imsg *imsg)
{
	if (imsg_get_len(imsg) != 0)
		fatalx("imsg type %u: unexpected payload", imsg_get_type(imsg));
}

static void
dr_begin(struct imsg *imsg)
{
	if (req.active)
		fatalx("DR_BEGIN inside a request");
	get_data(imsg, &req.begin, sizeof(req.begin));
	req.active = 1;
	req.n = 0;
	/* too many entries: receive and drop them, refuse at COMMIT */
	req.e = NULL;
	if (req.begin.count <= VIP_ENTRIES_MAX &&
	    (req.e = calloc(req.begin.count + 1, sizeof(*req.e))) == NULL)
		fatal("calloc");
}

static void
dr_entry(struct imsg *imsg)
{
	struct dr_entry	 e;

	if (!req.active)
		fatalx("DR_ENTRY outside a request");
	if (req.n >= req.begin.count)
		fatalx("more DR_ENTRY than the %u announced", req.begin.count);
	get_data(imsg, &e, sizeof(e));
	if (req.e != NULL)
		req.e[req.n] = e;
	req.n++;
}

static void
dr_commit(struct imsgbuf *ib, struct imsg *imsg)
{
	struct dr_result	 res;
	struct rejects		 rej = { NULL, 0, 0 };

	get_none(imsg);
	if (!req.active)
		fatalx("DR_COMMIT outside a request");
	if (req.n != req.begin.count)
		fatalx("DR_COMMIT after %zu of %u entries", req.n,
		    req.begin.count);
	apply_request(&req.begin, req.e, req.e != NULL ? req.n : 0, &res, &rej);
	reply(ib, &res, &rej);
	rejects_free(&rej);
	free(req.e);
	req.e = NULL;
	req.active = 0;
}

static void
dispatch(struct imsgbuf *ib, struct imsg *imsg)
{
	struct lbn_settings	 s;
	struct dr_result	 res;
	int			 verbose;

	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_SETTINGS:
		get_data(imsg, &s, sizeof(s));
		apply_settings(&s);
		break;
	case IMSG_CONF_END:
		get_none(imsg);
		log_debug("configuration complete");
		break;
	case IMSG_CTL_VERBOSE:
		get_data(imsg, &verbose, sizeof(verbose));
		log_setverbose(verbose);
		break;
	case IMSG_PING:
		get_none(imsg);
		compose(ib, IMSG_PONG, NULL, 0);
		break;
	case IMSG_DR_BEGIN:
		dr_begin(imsg);
		break;
	case IMSG_DR_ENTRY:
		dr_entry(imsg);
		break;
	case IMSG_DR_COMMIT:
		dr_commit(ib, imsg);
		break;
	case IMSG_DR_REMOVE_ALL:
		get_none(imsg);
		if (req.active)
			fatalx("DR_REMOVE_ALL inside a request");
		apply_remove_all(&res);
		reply(ib, &res, NULL);
		break;
	default:
		fatalx("unexpected imsg type %u", imsg_get_type(imsg));
	}
}

/* Whether the channel has something to read within ms milliseconds. */
static int
readable(int fd, int ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	int		 n;

	while ((n = poll(&pfd, 1, ms)) == -1)
		if (errno != EINTR)
			fatal("poll");
	return n > 0;
}

/*
 * Read, answer every whole request read, send the answers; after
 * NFT_IDLE_MS without a request, let libnftables' context go.  Our
 * rules stay when the monitor closes the channel: only an explicit
 * DR_REMOVE_ALL takes them out.
 */
static void __attribute__((noreturn))
serve(struct imsgbuf *ib)
{
	struct imsg	 imsg;
	int		 n;

	for (;;) {
		if (nft_holding() && !readable(ib->fd, NFT_IDLE_MS)) {
			nft_idle();
			continue;
		}
		if ((n = imsgbuf_read(ib)) == -1)
			fatal("imsgbuf_read");
		if (n == 0) {
			log_debug("monitor closed the channel");
			exit(0);
		}
		while ((n = imsg_get(ib, &imsg)) > 0) {
			dispatch(ib, &imsg);
			imsg_free(&imsg);
		}
		if (n == -1)
			fatal("imsg_get");
		if (imsgbuf_flush(ib) == -1)
			fatal("imsgbuf_flush");
	}
}

/* Blocking, whatever the monitor's end was set to. */
static void
channel_init(struct imsgbuf *ib)
{
	int	 flags;

	if ((flags = fcntl(CHILD_IMSG_FD, F_GETFL)) == -1 ||
	    fcntl(CHILD_IMSG_FD, F_SETFL, flags & ~O_NONBLOCK) == -1)
		fatal("fcntl");
	if (imsgbuf_init(ib, CHILD_IMSG_FD) == -1)
		fatal("imsgbuf_init");
}

static void
usage(void)
{
	fprintf(stderr, "usage: lbnoded -P netcfg [-dv]\n");
	exit(1);
}

int
netcfg_main(int argc, char **argv)
{
	static struct imsgbuf	 ib;
	int			 ch, foreground = 0, verbose = 0;

	while ((ch = getopt(argc, argv, "P:dv")) != -1) {
		switch (ch) {
		case 'P':
			break;
		case 'd':
			foreground = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(foreground, verbose);
	log_procname("netcfg");
	sandbox_pdeathsig();
	sandbox_keep_cap(CAP_NET_ADMIN);
	sandbox_no_new_privs();

	/* everything that opens a file or a socket, before seccomp */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	nft_init();
	rtnl_init();
	channel_init(&ib);
	netcfg_seccomp();

	log_debug("started");
	serve(&ib);
}
