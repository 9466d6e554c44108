/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnodectl: control of the local daemon over its control socket, and
 * a load balancer's view of any node over LBNP.  The program's one
 * header: what each of its files offers the others, file by file.
 */
#ifndef LBNODECTL_H
#define LBNODECTL_H

#include <stdint.h>
#include <stdio.h>

#include "lbnoded.h"
#include "lbnp.h"

struct imsg;

/*
 * The commands, one file per family.  Each takes the argument vector
 * from its own name on and returns the exit status.
 */
/* show.c: what the daemon reports */
int	 cmd_status(int, char **);
int	 cmd_show(int, char **);	/* show vips | show lbs */
/* admin.c: what changes the daemon */
int	 cmd_admin(int, char **);	/* drain | ready | maint */
int	 cmd_reload(int, char **);
int	 cmd_log(int, char **);		/* log verbose | brief */
/* probe.c, push.c, listen.c: LBNP as a load balancer speaks it */
int	 cmd_probe(int, char **);
int	 cmd_push(int, char **);
int	 cmd_listen(int, char **);

/* lbnodectl.c: main, the command table, the global options */
extern const char	*ctl_socket_path;	/* -s, default LBNODED_SOCKET */
extern int		 ctl_json;		/* -j */
/* "usage: lbnodectl ... SYNOPSIS" on stderr; returns 1 */
int	 ctl_usage(const char *);
/* -j after a control command's name; the first operand's index, or -1 */
int	 ctl_json_opt(int, char **);

/* ctlsock.c: one request over the control socket, and its answer */
#define CTL_IDLE_MS	5000	/* the daemon's silence that ends a request */
#define CTL_RELOAD_MS	90000	/* a reload waits for netcfg's rules */
#define CTL_MSG_MAX	CTL_FAIL_MAX	/* an IMSG_CTL_FAIL message, as kept */

/*
 * One request's answer.  cb gets every message but OK, FAIL and END,
 * and returns -1 for one it does not expect (type or size).
 */
struct ctl_answer {
	int			(*cb)(struct imsg *, void *);
	void			*arg;
	int			 idle_ms;		/* 0: CTL_IDLE_MS */
	int			 ok;			/* IMSG_CTL_OK came */
	char			 fail[CTL_MSG_MAX];	/* IMSG_CTL_FAIL's, or "" */
};

/* 0 the answer is complete (check fail), -1 reported error */
int	 ctl_request(uint32_t, const void *, size_t, struct ctl_answer *);

/* json.c: JSON output */
/* a JSON string literal, quoted and escaped; bad UTF-8 -> U+FFFD */
void	 json_string(FILE *, const char *);
/* ,"name":"s" or ,"name":null for NULL; first leaves out the comma */
void	 json_member_string(FILE *, int, const char *, const char *);
/* a figure kept times 100, as a decimal number: 12.34 */
void	 print_x100(FILE *, uint32_t);
/* the load members, named alike in every object; each x100 */
void	 json_load(FILE *, uint32_t, uint32_t, uint32_t);

/* lbnpctl.c: what probe, push and listen share */
/* The options they all take. */
struct lbnpctl_opts {
	const char	*keyfile;	/* -k */
	uint16_t	 port;		/* -p */
	int		 json;		/* -j */
	int		 seconds;	/* -t: per try, or listen's run time */
};

int	 lbnpctl_init(const char *, struct key_msg *);
void	 lbnpctl_opts_init(struct lbnpctl_opts *, int);
int	 lbnpctl_option(int, const char *, struct lbnpctl_opts *);
int	 lbnpctl_number(const char *, unsigned long long, unsigned long long *);
int	 lbnpctl_accept(const uint8_t *, size_t, const struct key_msg *,
	    struct lbnp_replay *, struct lbnp_msg *);
int	 lbnpctl_ask(const char *, const struct lbnpctl_opts *,
	    const struct key_msg *, struct lbnp_msg *, uint8_t, int,
	    struct lbnp_msg *);
void	 lbnpctl_node_hex(const struct lbnp_node *, char *, size_t);
void	 lbnpctl_node_json(FILE *, const struct lbnp_msg *, const char *);
void	 lbnpctl_safe(FILE *, const char *);

#endif /* LBNODECTL_H */
