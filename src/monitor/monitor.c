/*
 * The monitor: the only process that keeps root.  It reads the
 * configuration, opens what the children need, re-executes itself for
 * each of them and relays between them.  It never reads from the
 * network; its only inputs are the config, signals, its children and
 * the local control socket.
 */
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <event2/event.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imsg.h"
#include "log.h"
#include "monitor.h"
#include "names.h"

int	 monitor_main(int, char **);

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
	struct timespec		 stop_started;
	struct event		*ev_stop;
} mon;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: lbnoded [-dnv] [-f file]\n");
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

/* The children read their settings before anything else can fail. */
static void
check_user(const char *user)
{
	errno = 0;
	if (getpwnam(user) == NULL) {
		if (errno != 0)
			fatal("getpwnam %s", user);
		fatalx("user %s does not exist: create it with "
		    "\"useradd --system --no-create-home --shell "
		    "/usr/sbin/nologin %s\" (tools/setup and make install do)",
		    user, user);
	}
}

static int
config_check(const char *file, int verbose)
{
	struct lbn_conf	 conf;

	log_init(1, verbose);
	log_procname("");	/* bare "file:line: message" */
	if (parse_config(file, &conf) == -1)
		return 1;
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
	struct weight_msg	 wm;

	if (imsg_get_data(imsg, &wm, sizeof(wm)) == -1)
		fatalx("%s: bad IMSG_REP_WEIGHT", __func__);
	mon.weight = wm.weight;
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
	case IMSG_CTL_END:
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

void
monitor_set_admin(uint32_t state)
{
	log_audit("admin state %s -> %s: %s", admin_name(mon.admin),
	    admin_name(state), "lbnodectl");
	mon.admin = state;
	/* The LBs first: the fsync of the state file takes milliseconds. */
	proc_send(PROC_REPORTER, IMSG_REP_ADMIN, 0, -1,
	    &(struct admin_msg){ .state = state }, sizeof(struct admin_msg));
	proc_write_now(PROC_REPORTER);
	state_save(mon.conf.s.statefile, state);
	notify_status(mon.admin, mon.weight);
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

/*
 * A new config replaces the old one only when it is valid as a whole;
 * otherwise the old one stays in force and the first error is given
 * back for lbnodectl reload.
 */
int
monitor_reload(char *err, size_t errlen)
{
	struct lbn_conf	 new;

	notify_reloading();
	if (parse_config(mon.conffile, &new) == -1) {
		snprintf(err, errlen, "%s", parse_error());
		log_warnx("reload failed, keeping the old configuration");
		notify_ready(mon.admin, mon.weight);
		return -1;
	}
	new.s.conf_generation = mon.conf.s.conf_generation + 1;
	if (confsend_prepare(&new) == -1) {
		snprintf(err, errlen, "%s: cannot apply, see the log",
		    mon.conffile);
		conf_release(&new);
		notify_ready(mon.admin, mon.weight);
		return -1;
	}
	if (strcmp(new.s.ctlsock, mon.conf.s.ctlsock) != 0)
		log_warnx("control socket change takes effect on restart");
	confsend_netcfg(&new);
	confsend_reporter(&mon.conf, &new, mon.admin);
	dr_set_config(new.entries, new.nentries, new.s.conf_generation);
	if (strcmp(new.s.user, mon.conf.s.user) != 0 ||
	    strcmp(new.s.chroot, mon.conf.s.chroot) != 0) {
		check_user(new.s.user);
		proc_sandbox(new.s.user, new.s.chroot);
		proc_restart(PROC_REPORTER);
	}
	snprintf(new.s.ctlsock, sizeof(new.s.ctlsock), "%s", mon.conf.s.ctlsock);
	conf_release(&mon.conf);
	mon.conf = new;
	log_info("configuration reloaded, generation %llu",
	    (unsigned long long)mon.conf.s.conf_generation);
	notify_ready(mon.admin, mon.weight);
	return 0;
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
	log_info("stopping");
	notify_stopping();
	clock_gettime(CLOCK_MONOTONIC, &mon.stop_started);
	if (mon.conf.s.on_exit == EXIT_REMOVE && proc_running(PROC_NETCFG)) {
		dr_remove_all();
		mon.remove_sent = 1;
	}
	if ((mon.ev_stop = evtimer_new(mon.base, monitor_stop_tick,
	    NULL)) == NULL)
		fatalx("evtimer_new");
	monitor_stop_tick(-1, 0, NULL);
}

static void
monitor_signal(int sig, short ev, void *arg)
{
	char	 err[256];

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		monitor_stop();
		break;
	case SIGHUP:
		log_info("SIGHUP: reloading %s", mon.conffile);
		if (!mon.stopping)
			(void)monitor_reload(err, sizeof(err));
		break;
	}
}

static void
monitor_signals(void)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct event		*ev;
	size_t			 i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < nitems(sigs); i++) {
		if ((ev = evsignal_new(mon.base, sigs[i], monitor_signal,
		    NULL)) == NULL || evsignal_add(ev, NULL) == -1)
			fatalx("cannot handle signal %d", sigs[i]);
	}
}

static void
monitor_start(void)
{
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	if (parse_config(mon.conffile, &mon.conf) == -1)
		exit(1);
	check_user(mon.conf.s.user);
	mon.conf.s.conf_generation = 1;
	if (confsend_prepare(&mon.conf) == -1)
		exit(1);
	if (!mon.foreground && daemon(0, 0) == -1)
		fatal("daemon");
	mon.admin = state_load(mon.conf.s.statefile);
	if ((mon.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	monitor_signals();
	if (control_init(mon.conf.s.ctlsock, LBNODED_GROUP) == -1)
		exit(1);
	control_listen(mon.base);
	dr_set_config(mon.conf.entries, mon.conf.nentries,
	    mon.conf.s.conf_generation);
	proc_sandbox(mon.conf.s.user, mon.conf.s.chroot);
	proc_init(mon.base, mon.foreground, log_getverbose());
	proc_start_all();
	log_info("started, state %s", admin_name(mon.admin));
}

int
monitor_main(int argc, char *argv[])
{
	int	 ch, checkonly = 0, verbose = 0;

	mon.conffile = LBNODED_CONF;
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			mon.foreground = 1;
			break;
		case 'f':
			mon.conffile = optarg;
			break;
		case 'n':
			checkonly = 1;
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
	if (checkonly)
		return config_check(mon.conffile, verbose);
	if (geteuid() != 0)
		errx(1, "need root privileges");

	log_init(mon.foreground, verbose);
	log_procname("monitor");
	notify_init();
	monitor_start();
	event_base_dispatch(mon.base);
	control_cleanup(mon.conf.s.ctlsock);
	log_info("stopped");
	conf_release(&mon.conf);
	return 0;
}
