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

#endif /* MONITOR_H */
