/* The monitor: config, children, control socket, state. */
#ifndef MONITOR_H
#define MONITOR_H

#include <stdio.h>

#include "lbnoded.h"

/*
 * A parsed configuration.  Each vip block becomes one dr_entry per
 * protocol and port range, in the order written; a block without ports
 * (loopback mode only) becomes one entry with proto 0.
 */
struct lbn_conf {
	struct lbn_settings	 s;
	struct dr_entry		*entries;
	size_t			 nentries;
};

/* parse.y */
int	 parse_config(const char *, struct lbn_conf *);
const char *parse_error(void);		/* first "file:line: message" of the last parse */
void	 conf_free(struct lbn_conf *);

/* printconf.c */
void	 print_config(FILE *, const struct lbn_conf *);


struct event_base;
struct imsg;

/* monitor.c: what control.c asks of the rest of the monitor */
void	 monitor_set_admin(uint32_t);		/* persist, tell the reporter */
int	 monitor_reload(char *, size_t);	/* -1: the parse error, in the buffer */
void	 monitor_set_verbose(int);
int	 monitor_to_reporter(uint32_t, uint32_t, const void *, size_t);

/* control.c: the lbnodectl socket; peerid on relayed imsgs names the client */
int	 control_init(const char *, const char *);	/* path, group */
void	 control_listen(struct event_base *);
void	 control_cleanup(const char *);
void	 control_relay(struct imsg *);		/* reporter's answer, to its client */
void	 control_send(uint32_t, uint32_t, const void *, size_t);

/* dr.c: the desired DR state and netcfg's view of it */
void	 dr_send_vips(uint32_t);		/* IMSG_CTL_VIP per entry, then END */

#endif /* MONITOR_H */
