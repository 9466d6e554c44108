/* lbnodectl's own plumbing: the control socket client and JSON output. */
#ifndef CTL_H
#define CTL_H

#include <stdint.h>
#include <stdio.h>

#include "lbnoded.h"

#define CTL_IDLE_MS	5000	/* the daemon's silence that ends a request */
#define CTL_RELOAD_MS	90000	/* a reload waits for netcfg's rules */
#define CTL_MSG_MAX	CTL_FAIL_MAX	/* an IMSG_CTL_FAIL message, as kept */

struct imsg;

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

/* ctlsock.c: 0 the answer is complete (check fail), -1 reported error */
int	 ctl_request(uint32_t, const void *, size_t, struct ctl_answer *);

/* lbnodectl.c: "usage: lbnodectl ... SYNOPSIS" on stderr; returns 1 */
int	 ctl_usage(const char *);

/* json.c: a JSON string literal, quoted and escaped; bad UTF-8 -> U+FFFD */
void	 json_string(FILE *, const char *);

#endif /* CTL_H */
