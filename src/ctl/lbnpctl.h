/* lbnodectl's LBNP side, shared by probe.c and listen.c. */
#ifndef LBNPCTL_H
#define LBNPCTL_H

#include <stdio.h>

#include "lbnoded.h"
#include "lbnp.h"

/* The options probe, push and listen share. */
struct lbnpctl_opts {
	const char	*keyfile;	/* -k */
	uint16_t	 port;		/* -p */
	int		 json;		/* -j */
	int		 seconds;	/* -t: per try, or listen's run time */
};

/* probe.c */
int	 lbnpctl_init(const char *, struct key_msg *);
void	 lbnpctl_opts_init(struct lbnpctl_opts *, int);
int	 lbnpctl_option(int, const char *, struct lbnpctl_opts *);
int	 lbnpctl_accept(const uint8_t *, size_t, const struct key_msg *,
	    struct lbnp_replay *, struct lbnp_msg *);
void	 lbnpctl_node_json(FILE *, const struct lbnp_msg *, const char *);
void	 lbnpctl_safe(FILE *, const char *);

#endif /* LBNPCTL_H */
