/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/* The monitor: config, children, control socket, state. */
#ifndef MONITOR_H
#define MONITOR_H

#include <stdio.h>

#include "lbnoded.h"
#include "proc.h"

/*
 * A parsed configuration.  Each vip block becomes one dr_entry per
 * protocol and port range, in the order written; a block without ports
 * (loopback mode only) becomes one entry with proto 0.
 */
/* The settings checkconf.c checks against the system, by where they were set. */
enum conf_item {
	ITEM_INTERFACE,
	ITEM_USER,
	ITEM_CHROOT,
	ITEM_KEYFILE,
	ITEM_CGROUP,
	ITEM_CTLSOCK,
	ITEM_MAX
};

struct conf_where {
	char			 file[PATH_MAX_LEN];
	int			 line;		/* 0: not set, the default */
};

struct lbn_conf {
	struct lbn_settings	 s;
	struct dr_entry		*entries;
	size_t			 nentries;
	struct key_msg		 key;		/* read by confsend_prepare */
	int			 follow_default;	/* no interface: the default route's */
	struct conf_where	 where[ITEM_MAX];
};

/* The "file:line: message" lines of the last parse and check, as kept. */
#define CONF_ERRORS_MAX		CTL_FAIL_MAX

/* parse.y */
int	 parse_config(const char *, struct lbn_conf *);
const char *parse_error(void);		/* its error lines, '\n' between them */
void	 config_error(const struct conf_where *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 conf_free(struct lbn_conf *);

/* checkconf.c: what the config refers to, on this system */
int	 checkconf(const struct lbn_conf *);	/* -1: config_error() said why */
int	 checkconf_ctlsock_dir(const struct lbn_conf *);	/* make it if missing */

/* printconf.c */
void	 print_config(FILE *, const struct lbn_conf *);


struct event_base;
struct imsg;

/* monitor.c: what control.c asks of the rest of the monitor */
/* persist, tell the reporter; who asked; -1: why in the buffer */
int	 monitor_set_admin(uint32_t, const char *, char *, size_t);
void	 monitor_reload(uint32_t);		/* client id, 0 for none */
void	 monitor_set_verbose(int);
int	 monitor_to_reporter(uint32_t, uint32_t, const void *, size_t);

/* control.c: the lbnodectl socket; peerid on relayed imsgs names the client */
int	 control_init(const char *, const char *);	/* path, group */
void	 control_listen(struct event_base *);
void	 control_cleanup(const char *);
void	 control_relay(struct imsg *);		/* reporter's answer, to its client */
void	 control_send(uint32_t, uint32_t, const void *, size_t);
void	 control_done(uint32_t, const char *);	/* OK, or FAIL with it; END */
void	 control_reporter_lost(void);

/* carry.c: the reporter's replay floor and counters, across its restarts */
void	 carry_keep(struct imsg *);		/* IMSG_REP_CARRY */
void	 carry_hand_back(void);			/* to a new reporter */

/* dr.c: the desired DR state and netcfg's view of it */
void	 dr_send_vips(uint32_t);		/* IMSG_CTL_VIP per entry, then END */
void	 dr_send_lb_generation(void);
void	 dr_set_config(const struct dr_entry *, size_t, uint64_t);
void	 dr_replay(void);			/* to a new netcfg */
void	 dr_remove_all(void);
int	 dr_idle(void);				/* no request outstanding */
int	 dr_applied(void);			/* the config's rules are in force */
void	 dr_netcfg_reply(struct imsg *);
void	 dr_push_begin(struct imsg *);		/* from the reporter */
void	 dr_push_entry(struct imsg *);
void	 dr_push_commit(void);
void	 dr_netcfg_lost(const char *);	/* why: "died", "did not answer" */
void	 dr_reporter_lost(void);
size_t	 dr_busy_entries(void);		/* for netcfg's liveness bound */
void	 dr_rebuild(void);			/* netcfg's settings changed */

/* children.c: lbnoded's children, run by common/proc.c */
void	 children_init(struct event_base *, int, int);

/* monitor.c: callbacks from children.c, dr.c and netwatch.c */
void	 monitor_fail(void);			/* stop, exit 1 */
void	 monitor_config_done(uint64_t, int, const char *);	/* generation, ok, why */
void	 monitor_child_up(enum lbn_proc);
void	 monitor_follow_interface(void);
void	 monitor_dispatch_netcfg(struct imsgev *, struct imsg *);
void	 monitor_dispatch_reporter(struct imsgev *, struct imsg *);

/* confsend.c: what the children are told, and the fds they get */
int	 confsend_prepare(struct lbn_conf *);	/* the monitor's own fields */
int	 confsend_follow(struct lbn_conf *);	/* 1: netcfg's rules follow */
void	 confsend_netcfg(const struct lbn_conf *);
void	 confsend_reporter(const struct lbn_conf *, const struct lbn_conf *,
	    uint32_t);

/* netwatch.c: rtnetlink events for the LB-facing interface */
void	 netwatch_init(struct event_base *, const struct lbn_conf *);
void	 netwatch_routes(int);			/* follow the default route */

/* cgroup.c: the files behind "sample cgroup" */
int	 cgroup_prepare(const struct lbn_settings *);
int	 cgroup_check(const char *);		/* "auto" or a path; -1: no files */
void	 cgroup_send(void);

/* state.c: the admin state file */
uint32_t state_load(const char *);
int	 state_save(const char *, uint32_t, char *, size_t);	/* -1: why in the buffer */

/* daemon.c: the background, and the parent that waits until we are ready */
void	 daemon_detach(int);			/* verbosity */
void	 daemon_ready(void);

/* notify.c: systemd's notify protocol */
void	 notify_init(void);
void	 notify_ready(uint32_t, uint32_t);
void	 notify_status(uint32_t, uint32_t);
void	 notify_reloading(void);
void	 notify_stopping(void);

#endif /* MONITOR_H */
