/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The monitor: the only process that keeps root.  It reads the
 * configuration, opens what the children need, re-executes itself for
 * each of them and relays between them.  It never reads from the
 * network; its only inputs are the config, signals, its children,
 * the local control socket and the kernel's rtnetlink events.
 */
#include <sys/types.h>

#include <err.h>
#include <event2/event.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "imsg.h"
#include "log.h"
#include "monitor.h"
#include "names.h"

#define STOP_TICK_MS		50
#define STOP_REMOVE_MS		1200	/* wait this long for netcfg's clean-up */
#define STOP_KILL_MS		1800	/* then kill what is left: 2 s in all */

static struct {
	struct event_base	*base;
	const char		*conffile;
	struct lbn_conf		 conf;
	int			 foreground;
	uint32_t		 admin;
	uint32_t		 weight;
	int			 have_weight;	/* the reporter has sampled */
	int			 ready;
	int			 stopping;
	int			 remove_sent;
	int			 handover;	/* SIGUSR2: a new daemon follows */
	int			 exit_status;
	struct timespec		 stop_started;
	struct event		*ev_stop;
} mon;

/*
 * The reload waiting for netcfg to put its rules in force, and the
 * configuration it replaced, put back if netcfg refuses them.
 */
static struct {
	int			 pending;
	uint32_t		 client;	/* lbnodectl's, 0 for SIGHUP */
	uint64_t		 generation;
	struct lbn_conf		 prev;
} reload;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: lbnoded [-dnvV] [-f file]\n");
	exit(1);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* -n: the syntax, then (unless -nn) what the config refers to. */
static int
config_check(const char *file, int verbose, int syntax_only)
{
	struct lbn_conf	 conf;

	log_init(1, verbose);
	log_procname("");	/* bare "file:line: message" */
	if (parse_config(file, &conf) == -1)
		return 1;
	if (!syntax_only && checkconf(&conf) == -1) {
		conf_free(&conf);
		return 1;
	}
	if (verbose)
		print_config(stdout, &conf);
	conf_free(&conf);
	fprintf(stderr, "configuration OK\n");
	return 0;
}

/* Send both children what changed and check whether we are ready. */
void
monitor_child_up(enum lbn_proc id)
{
	const uint32_t	*restarts = proc_restarts();

	if (id == PROC_NETCFG) {
		confsend_netcfg(&mon.conf);
		dr_replay();
	} else {
		/* What it must know before it gets a socket to act on. */
		carry_hand_back();
		dr_send_lb_generation();
		confsend_reporter(NULL, &mon.conf, mon.admin);
	}
	if (proc_running(PROC_REPORTER))
		proc_send(PROC_REPORTER, IMSG_REP_RESTARTS, 0, -1, restarts,
		    sizeof(struct restarts_msg));
}

/* The interface or its addresses changed: follow them, no reload. */
void
monitor_follow_interface(void)
{
	if (!mon.stopping && confsend_follow(&mon.conf))
		dr_rebuild();
}

/*
 * READY=1 once: both children up, the config's rules in force and a
 * first weight sampled, so the first STATUS= is not a made-up weight.
 */
static void
monitor_check_ready(void)
{
	if (mon.ready || mon.stopping)
		return;
	if (!proc_running(PROC_NETCFG) || !proc_running(PROC_REPORTER) ||
	    !dr_applied() || !mon.have_weight)
		return;
	mon.ready = 1;
	log_info("ready: state %s", admin_name(mon.admin));
	notify_ready(mon.admin, mon.weight);
	daemon_ready();
}

void
monitor_dispatch_netcfg(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_DR_RESULT:
	case IMSG_DR_ENTRY_RESULT:
	case IMSG_DR_DONE:
		dr_netcfg_reply(imsg);
		break;
	default:
		fatalx("%s: unexpected imsg %u from netcfg", __func__,
		    imsg_get_type(imsg));
	}
	monitor_check_ready();
}

static void
monitor_weight(struct imsg *imsg)
{
	uint32_t	 weight;

	if (imsg_get_data(imsg, &weight, sizeof(weight)) == -1)
		fatalx("%s: bad IMSG_REP_WEIGHT", __func__);
	mon.weight = weight;
	mon.have_weight = 1;
	if (mon.ready)
		notify_status(mon.admin, mon.weight);
	else
		monitor_check_ready();
}

void
monitor_dispatch_reporter(struct imsgev *iev, struct imsg *imsg)
{
	switch (imsg_get_type(imsg)) {
	case IMSG_REP_PUSH_BEGIN:
		dr_push_begin(imsg);
		break;
	case IMSG_REP_PUSH_ENTRY:
		dr_push_entry(imsg);
		break;
	case IMSG_REP_PUSH_COMMIT:
		if (imsg_get_data(imsg, NULL, 0) == -1)
			fatalx("%s: bad IMSG_REP_PUSH_COMMIT", __func__);
		dr_push_commit();
		break;
	case IMSG_REP_STATUS:
	case IMSG_REP_LB:
	case IMSG_REP_END:
		control_relay(imsg);
		break;
	case IMSG_REP_WEIGHT:
		monitor_weight(imsg);
		break;
	case IMSG_REP_CARRY:
		carry_keep(imsg);
		break;
	default:
		fatalx("%s: unexpected imsg %u from reporter", __func__,
		    imsg_get_type(imsg));
	}
}

/*
 * A new admin state, asked for by who ("uid 0 (lbnodectl, pid 42)").
 * Saved first: a state that is not on disk would not survive a restart,
 * so it is refused and the old one stays in force, for the LBs too.
 */
int
monitor_set_admin(uint32_t state, const char *who, char *err,
    size_t errlen)
{
	/* drain -> drain changes nothing: no audit line, no state save */
	if (state == mon.admin) {
		log_debug("admin state %s again, by %s", admin_name(state),
		    who);
		return 0;
	}
	if (state_save(mon.conf.s.statefile, state, err, errlen) == -1) {
		log_warnx("admin state %s -> %s by %s refused: %s",
		    admin_name(mon.admin), admin_name(state), who, err);
		return -1;
	}
	log_audit("admin state %s -> %s by %s", admin_name(mon.admin),
	    admin_name(state), who);
	mon.admin = state;
	proc_send(PROC_REPORTER, IMSG_REP_ADMIN, 0, -1,
	    &(struct admin_msg){ .state = state }, sizeof(struct admin_msg));
	proc_write_now(PROC_REPORTER);
	notify_status(mon.admin, mon.weight);
	return 0;
}

void
monitor_set_verbose(int verbose)
{
	log_setverbose(verbose);
	proc_send(PROC_NETCFG, IMSG_CTL_VERBOSE, 0, -1, &verbose,
	    sizeof(verbose));
	proc_send(PROC_REPORTER, IMSG_CTL_VERBOSE, 0, -1, &verbose,
	    sizeof(verbose));
}

int
monitor_to_reporter(uint32_t type, uint32_t peerid, const void *data,
    size_t len)
{
	return proc_send(PROC_REPORTER, type, peerid, -1, data, len);
}

static void
conf_release(struct lbn_conf *conf)
{
	sodium_memzero(&conf->key, sizeof(conf->key));
	conf_free(conf);
}

/* Give the children a config and make it the one in force. */
static void
monitor_apply(struct lbn_conf *new)
{
	confsend_netcfg(new);
	confsend_reporter(&mon.conf, new, mon.admin);
	dr_set_config(new->entries, new->nentries, new->s.conf_generation);
	if (strcmp(new->s.user, mon.conf.s.user) != 0 ||
	    strcmp(new->s.chroot, mon.conf.s.chroot) != 0) {
		proc_sandbox(new->s.user, new->s.chroot);
		proc_restart(PROC_REPORTER);
	}
	/* The socket in use stays until a restart. */
	snprintf(new->s.ctlsock, sizeof(new->s.ctlsock), "%s",
	    mon.conf.s.ctlsock);
	mon.conf = *new;
	netwatch_routes(mon.conf.follow_default);
}

/* The end of a reload: its client hears, systemd hears, SIGHUP logs. */
static void
reload_answer(uint32_t client, const char *fail)
{
	control_done(client, fail);	/* SIGHUP's 0 finds no client */
	notify_ready(mon.admin, mon.weight);
}

static void
reload_refused(uint32_t client, const char *why)
{
	log_warnx("reload failed, keeping the old configuration");
	reload_answer(client, why);
}

/*
 * A new config replaces the old one only when it is valid as a whole
 * and what it refers to exists; otherwise the old one stays in force
 * and the "file:line: message" lines go back to lbnodectl.  A valid
 * one is answered when netcfg has its rules in force
 * (monitor_config_done).
 */
void
monitor_reload(uint32_t client)
{
	struct lbn_conf	 new;
	uint64_t	 generation = mon.conf.s.conf_generation + 1;
	const char	*busy;

	if (mon.stopping || reload.pending) {
		busy = mon.stopping ? "lbnoded is stopping" :
		    "another reload is waiting for netcfg, try again";
		log_warnx("reload refused: %s", busy);
		control_done(client, busy);
		return;
	}
	notify_reloading();
	if (parse_config(mon.conffile, &new) == -1) {
		reload_refused(client, parse_error());
		return;
	}
	if (checkconf(&new) == -1) {
		conf_free(&new);
		reload_refused(client, parse_error());
		return;
	}
	new.s.conf_generation = generation;
	if (confsend_prepare(&new) == -1) {
		conf_release(&new);
		reload_refused(client, "cannot use the new configuration, "
		    "see the log");
		return;
	}
	if (strcmp(new.s.ctlsock, mon.conf.s.ctlsock) != 0)
		log_warnx("control socket change takes effect on restart");
	reload.prev = mon.conf;
	reload.pending = 1;
	reload.client = client;
	reload.generation = generation;
	monitor_apply(&new);
}

/*
 * netcfg answered a config's rules: a waiting reload ends here.  Rules
 * it refused left the old ones in force, so the old config comes back
 * whole, under a generation of its own.
 */
void
monitor_config_done(uint64_t generation, int ok, const char *why)
{
	struct lbn_conf	 failed;

	if (!reload.pending || generation < reload.generation)
		return;
	reload.pending = 0;
	if (ok) {
		conf_release(&reload.prev);
		log_info("configuration reloaded, generation %llu",
		    (unsigned long long)generation);
		reload_answer(reload.client, NULL);
		return;
	}
	log_warnx("reload failed, netcfg refused the rules: putting the old "
	    "configuration back");
	failed = mon.conf;
	reload.prev.s.conf_generation = generation + 1;
	/* cgroup.c keeps the files of the last config prepared: the new one's. */
	if (cgroup_prepare(&reload.prev.s) == -1)
		log_warnx("the old cgroup is gone: sampling stays as it is");
	monitor_apply(&reload.prev);
	conf_release(&failed);
	reload_answer(reload.client, why);
}

static void
monitor_stop_tick(int fd, short ev, void *arg)
{
	struct timeval	 tv = { 0, STOP_TICK_MS * 1000 };
	long		 ms = ms_since(&mon.stop_started);

	if (mon.remove_sent && !dr_idle() && ms < STOP_REMOVE_MS) {
		evtimer_add(mon.ev_stop, &tv);
		return;
	}
	proc_stop_all(ms >= STOP_KILL_MS);
	if (proc_all_gone()) {
		event_base_loopexit(mon.base, NULL);
		return;
	}
	evtimer_add(mon.ev_stop, &tv);
}

static void
monitor_stop(void)
{
	if (mon.stopping)
		return;
	mon.stopping = 1;
	proc_no_restart();
	log_info("stopping%s", mon.handover ?
	    ", leaving the rules in force for the next daemon" : "");
	notify_stopping();
	if (reload.pending) {
		reload.pending = 0;
		conf_release(&reload.prev);
		control_done(reload.client, "lbnoded stopped before the new "
		    "rules were in force");
	}
	clock_gettime(CLOCK_MONOTONIC, &mon.stop_started);
	if (mon.conf.s.on_exit == EXIT_REMOVE && !mon.handover &&
	    proc_running(PROC_NETCFG)) {
		dr_remove_all();
		mon.remove_sent = 1;
	}
	if ((mon.ev_stop = evtimer_new(mon.base, monitor_stop_tick,
	    NULL)) == NULL)
		fatalx("evtimer_new");
	monitor_stop_tick(-1, 0, NULL);
}

/* Something no restart can mend: stop as on SIGTERM, but exit 1. */
void
monitor_fail(void)
{
	mon.exit_status = 1;
	monitor_stop();
}

static void
monitor_signal(int sig, short ev, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		monitor_stop();
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading %s", mon.conffile);
		monitor_reload(0);
		break;
	case SIGUSR2:
		/*
		 * A restart is coming (a package upgrade): the rules stay in
		 * the kernel across it and the next daemon's first change
		 * replaces them in one transaction, so no VIP goes dark.
		 */
		log_info("SIGUSR2: the next stop leaves the rules in force");
		mon.handover = 1;
		break;
	}
}

static void
monitor_signals(void)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR2 };
	struct event		*ev;
	size_t			 i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < nitems(sigs); i++) {
		if ((ev = evsignal_new(mon.base, sigs[i], monitor_signal,
		    NULL)) == NULL || evsignal_add(ev, NULL) == -1)
			fatalx("cannot handle signal %d", sigs[i]);
	}
}

/*
 * Everything that can be found wrong before the fork is, so it is told
 * on the terminal; what goes wrong after it reaches the waiting parent
 * through daemon.c.
 */
static void
monitor_start(int verbose)
{
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	if (parse_config(mon.conffile, &mon.conf) == -1 ||
	    checkconf(&mon.conf) == -1)
		exit(1);
	mon.conf.s.conf_generation = 1;
	/* From here on, only errors reach the terminal (through daemon.c). */
	if (!mon.foreground)
		daemon_detach(verbose);
	if (confsend_prepare(&mon.conf) == -1)
		exit(1);
	mon.admin = state_load(mon.conf.s.statefile);
	if ((mon.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	monitor_signals();
	if (checkconf_ctlsock_dir(&mon.conf) == -1 ||
	    control_init(mon.conf.s.ctlsock, LBNODED_GROUP) == -1)
		exit(1);
	control_listen(mon.base);
	netwatch_init(mon.base, &mon.conf);
	dr_set_config(mon.conf.entries, mon.conf.nentries,
	    mon.conf.s.conf_generation);
	proc_sandbox(mon.conf.s.user, mon.conf.s.chroot);
	children_init(mon.base, mon.foreground, log_getverbose());
	proc_start_all();
	log_info("started, state %s", admin_name(mon.admin));
}

int
monitor_main(int argc, char *argv[])
{
	int	 ch, checkonly = 0, verbose = 0;

	mon.conffile = LBNODED_CONF;
	while ((ch = getopt(argc, argv, "df:nvV")) != -1) {
		switch (ch) {
		case 'd':
			mon.foreground = 1;
			break;
		case 'f':
			mon.conffile = optarg;
			break;
		case 'n':
			checkonly++;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("lbnoded %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (checkonly)
		return config_check(mon.conffile, verbose, checkonly > 1);
	if (geteuid() != 0)
		errx(1, "need root privileges");

	log_init(1, verbose);
	log_procname("monitor");
	notify_init();
	monitor_start(verbose);
	event_base_dispatch(mon.base);
	control_cleanup(mon.conf.s.ctlsock);
	log_info("stopped");
	conf_release(&mon.conf);
	return mon.exit_status;
}
