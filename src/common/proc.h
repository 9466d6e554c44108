/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The supervision of a daemon's children, shared by lbnoded's monitor
 * and the director: each child is the parent's own binary re-executed
 * with -P, pinged, restarted with a backoff when it dies or hangs.
 */
#ifndef PROC_H
#define PROC_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct imsg;
struct imsgev;

#define PROC_CHILDREN_MAX	8

/* What a child gets on its command line besides -P name. */
enum proc_sandbox {
	PROC_SANDBOX_OWN,	/* builds its own from root: no -u/-c */
	PROC_SANDBOX_USER,	/* -u user -c dir: the user, chrooted there */
};

/*
 * One child.  An entry without a name is no child (it keeps a slot, so
 * that a daemon's table can be indexed by its own process enum).
 */
struct proc_child {
	const char		*name;
	int			 fdpass;	/* it sends us descriptors */
	enum proc_sandbox	 sandbox;
	int			 nice;		/* levels above the parent */
	void	(*up)(void);			/* started: tell it the state */
	void	(*lost)(const char *);		/* "died", "did not answer" */
	void	(*dispatch)(struct imsgev *, struct imsg *);
	int	(*grace_ticks)(void);		/* NULL: none; busy, allow more */
};

/* argv[0], the table and its size, foreground, verbosity, on hopeless */
void	 proc_init(struct event_base *, const char *,
	    const struct proc_child *, size_t, int, int, void (*)(void));
void	 proc_sandbox(const char *, const char *);	/* user, chroot */
void	 proc_start_all(void);
int	 proc_send(int, uint32_t, uint32_t, int, const void *, size_t);
int	 proc_running(int);
void	 proc_write_now(int);
void	 proc_restart(int);		/* e.g. the user changed */
void	 proc_kill(int);		/* restart, reading no more */
void	 proc_no_restart(void);
void	 proc_stop_all(int);
int	 proc_all_gone(void);
const uint32_t *proc_restarts(void);	/* PROC_CHILDREN_MAX, by index */

#endif /* PROC_H */
