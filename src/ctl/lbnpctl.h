/* lbnodectl's LBNP side, shared by probe.c and listen.c. */
#ifndef LBNPCTL_H
#define LBNPCTL_H

#include <stdio.h>

#include "lbnoded.h"
#include "lbnp.h"

/* probe.c */
int	 lbnpctl_init(const char *, struct key_msg *);
int	 lbnpctl_port(const char *, uint16_t *);
int	 lbnpctl_accept(const uint8_t *, size_t, const struct key_msg *,
	    struct lbnp_replay *, struct lbnp_msg *);
void	 lbnpctl_node_json(FILE *, const struct lbnp_msg *, const char *);
void	 lbnpctl_safe(FILE *, const char *);

#endif /* LBNPCTL_H */
