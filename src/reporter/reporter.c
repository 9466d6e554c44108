/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The reporter process: `lbnoded -P reporter [-d] [-v] -u USER -c DIR`.
 * It drops every privilege before it reads a byte from the network;
 * all it needs, sockets and /proc files alike, comes from the monitor
 * over the imsg channel on CHILD_IMSG_FD.
 */
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "names.h"
#include "reporter.h"
#include "sandbox.h"

struct reporter		*rep;
static struct reporter	 reporter;

static void __attribute__((noreturn))
reporter_usage(void)
{
	fatalx("usage: lbnoded -P reporter [-d] [-v] -u user -c chroot");
}

/*
 * Tell the monitor (for sd_notify's STATUS) and the LBs, now rather
 * than at the next ANNOUNCE.
 */
void
reporter_state_changed(void)
{
	uint32_t	 weight = rep->weight;

	if (imsgev_compose(&rep->iev_monitor, IMSG_REP_WEIGHT, 0, 0, -1,
	    &weight, sizeof(weight)) == -1)
		fatal("imsg to the monitor");
	if (rep->configured)
		lbnpd_announce();
}

/* The monitor went away or asked us to stop: say goodbye, exit. */
static void __attribute__((noreturn))
reporter_shutdown(void)
{
	lbnpd_stop();
	log_debug("exiting");
	exit(0);
}

/* A socket from the monitor: ours never block the event loop. */
void
reporter_nonblock(int fd)
{
	int	 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		fatal("fcntl O_NONBLOCK");
}

static void
reporter_data(struct imsg *imsg, void *buf, size_t len)
{
	if (imsg_get_len(imsg) != len ||
	    (len > 0 && imsg_get_data(imsg, buf, len) == -1))
		fatalx("imsg type %u: payload of %zu bytes, expected %zu",
		    imsg_get_type(imsg), imsg_get_len(imsg), len);
}

static int
reporter_fd(struct imsg *imsg)
{
	int	 fd;

	reporter_data(imsg, NULL, 0);
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("imsg type %u without a descriptor", imsg_get_type(imsg));
	return fd;
}

/*
 * A configuration starts.  Sockets whose port did not change are not
 * sent again and stay; a port turned off closes its socket now.  The
 * /proc files always come again.
 */
static void
reporter_settings(struct imsg *imsg)
{
	struct lbn_settings	 s;

	reporter_data(imsg, &s, sizeof(s));
	if (s.nlb > LB_MAX || s.weight_min > s.weight_max)
		fatalx("settings: %u lbs, weight %u-%u", s.nlb, s.weight_min,
		    s.weight_max);
	s.user[sizeof(s.user) - 1] = '\0';
	s.cgroup[sizeof(s.cgroup) - 1] = '\0';
	if (s.agent_port == 0 && rep->conf.agent_port != 0)
		agent_set_socket(-1);
	if (s.http_port == 0 && rep->conf.http_port != 0)
		http_set_socket(-1);
	sample_close_procfds();
	rep->conf = s;
	rep->configured = 0;
}

static void
reporter_conf_end(struct imsg *imsg)
{
	reporter_data(imsg, NULL, 0);
	rep->configured = 1;
	sample_start();
	log_debug("configuration %llu in force",
	    (unsigned long long)rep->conf.conf_generation);
	if (rep->load.valid)
		reporter_state_changed();
}

static void
reporter_admin(struct imsg *imsg)
{
	struct admin_msg	 am;

	reporter_data(imsg, &am, sizeof(am));
	if (am.state == rep->admin)
		return;
	rep->admin = am.state;
	log_info("admin state %s", admin_name(am.state));
	reporter_state_changed();
}

static void
reporter_procfd(struct imsg *imsg)
{
	struct procfd_msg	 pm;
	int			 fd;

	reporter_data(imsg, &pm, sizeof(pm));
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("procfd %u without a descriptor", pm.kind);
	sample_set_procfd(pm.kind, pm.cgroup_version, fd);
}

static void
reporter_key(struct imsg *imsg)
{
	reporter_data(imsg, &rep->key, sizeof(rep->key));
	if (rep->key.len > KEY_MAX_LEN)
		fatalx("key of %u bytes", rep->key.len);
	lbnpd_set_key();
}

/*
 * The interface's addresses changed: REPORTs carry the new ones from
 * now on, and the LBs hear of them at once, from the new address, when
 * there is one to send from.
 */
static void
reporter_iface(struct imsg *imsg)
{
	struct iface_msg	 m, was;
	int			 moved;

	reporter_data(imsg, &m, sizeof(m));
	if ((m.addr.af != 0 && m.addr.af != AF_INET) ||
	    (m.addr6.af != 0 && m.addr6.af != AF_INET6) ||
	    (m.bcast.af != 0 && m.bcast.af != AF_INET))
		fatalx("interface: address families %u %u %u", m.addr.af,
		    m.addr6.af, m.bcast.af);
	iface_get(&rep->conf, &was);
	moved = !addr_eq(&m.addr, &was.addr) ||
	    !addr_eq(&m.addr6, &was.addr6) || !addr_eq(&m.bcast, &was.bcast);
	iface_set(&rep->conf, &m);
	/* Before the first sample, the first ANNOUNCE is still to come. */
	if (moved && (m.addr.af != 0 || m.addr6.af != 0) && rep->configured &&
	    rep->load.valid)
		lbnpd_announce();
}

static void
reporter_dispatch(struct imsgev *iev, struct imsg *imsg)
{
	struct restarts_msg	 rm;
	struct rep_carry	 carry;
	int			 verbose;

	(void)iev;
	switch (imsg_get_type(imsg)) {
	case IMSG_CONF_SETTINGS:
		reporter_settings(imsg);
		break;
	case IMSG_REP_KEY:
		reporter_key(imsg);
		break;
	case IMSG_REP_PROCFD:
		reporter_procfd(imsg);
		break;
	case IMSG_REP_LBNP_SOCK:
		lbnpd_set_socket(reporter_fd(imsg));
		break;
	case IMSG_REP_AGENT_SOCK:
		agent_set_socket(reporter_fd(imsg));
		break;
	case IMSG_REP_HTTP_SOCK:
		http_set_socket(reporter_fd(imsg));
		break;
	case IMSG_REP_ADMIN:
		reporter_admin(imsg);
		break;
	case IMSG_REP_IFACE:
		reporter_iface(imsg);
		break;
	case IMSG_REP_RESTARTS:
		reporter_data(imsg, &rm, sizeof(rm));
		memcpy(rep->restarts, rm.restarts, sizeof(rep->restarts));
		break;
	case IMSG_REP_LB_GENERATION:
		reporter_data(imsg, &rep->generation, sizeof(rep->generation));
		break;
	case IMSG_REP_CARRY_BACK:
		reporter_data(imsg, &carry, sizeof(carry));
		carry_back(&carry);
		break;
	case IMSG_CONF_END:
		reporter_conf_end(imsg);
		break;
	case IMSG_PING:
		reporter_data(imsg, NULL, 0);
		if (imsgev_compose(&rep->iev_monitor, IMSG_PONG, 0, 0, -1,
		    NULL, 0) == -1)
			fatal("imsgev_compose");
		break;
	case IMSG_CTL_VERBOSE:
		reporter_data(imsg, &verbose, sizeof(verbose));
		log_setverbose(verbose);
		break;
	case IMSG_CTL_STATUS:
		reporter_data(imsg, NULL, 0);
		status_send(imsg_get_peerid(imsg));
		break;
	case IMSG_CTL_SHOW_LBS:
		reporter_data(imsg, NULL, 0);
		status_send_lbs(imsg_get_peerid(imsg));
		break;
	case IMSG_REP_PUSH_RESULT:
	case IMSG_REP_PUSH_ENTRY_RESULT:
	case IMSG_REP_PUSH_DONE:
		lbnpd_push_result(imsg);
		break;
	default:
		fatalx("unexpected imsg type %u from the monitor",
		    imsg_get_type(imsg));
	}
}

static void
reporter_closed(struct imsgev *iev)
{
	(void)iev;
	log_debug("channel to the monitor closed");
	reporter_shutdown();
}

/*
 * What the event loop needs is set up before seccomp, so the filter
 * need not allow creating epoll instances.  SIGINT, SIGTERM and SIGHUP
 * arrive ignored (see proc_exec): they are the monitor's to act on,
 * and it stops us in order by closing the channel.
 */
static void
reporter_event_setup(void)
{
	if ((rep->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	if (imsgev_init(&rep->iev_monitor, rep->base, CHILD_IMSG_FD, 1,
	    "monitor", reporter_dispatch, reporter_closed, NULL) == -1)
		fatal("imsgev_init");
}

static void
reporter_init(void)
{
	size_t	 i;

	rep = &reporter;
	memset(rep, 0, sizeof(*rep));
	for (i = 0; i < sizeof(rep->procfd) / sizeof(rep->procfd[0]); i++)
		rep->procfd[i] = -1;
	rep->admin = ADMIN_READY;
	rep->started = time(NULL);
}

int
reporter_main(int argc, char **argv)
{
	const char	*user = NULL, *dir = NULL;
	int		 ch, foreground = 0, verbose = 0;

	optind = 3;
	while ((ch = getopt(argc, argv, "c:du:v")) != -1) {
		switch (ch) {
		case 'c':
			dir = optarg;
			break;
		case 'd':
			foreground = 1;
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			log_init(1, 0);
			reporter_usage();
		}
	}
	log_init(foreground, verbose);
	log_procname("reporter");
	if (optind != argc || user == NULL || dir == NULL)
		reporter_usage();
	sandbox_pdeathsig();

	/* Whatever needs files, before the chroot. */
	if (sodium_init() == -1)
		fatalx("sodium_init");
	tzset();

	sandbox_chroot_user(user, dir);
	sandbox_keep_cap(-1);
	sandbox_no_new_privs();
	reporter_init();
	reporter_event_setup();
	reporter_seccomp();
	carry_start();

	log_debug("started as %s in %s", user, dir);
	if (event_base_dispatch(rep->base) == -1)
		fatalx("event_base_dispatch");
	fatalx("event loop ended");
}
