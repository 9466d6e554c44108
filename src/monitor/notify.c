/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * systemd's notify protocol (Type=notify), through libsystemd's
 * sd_notify().  Only the monitor loads libsystemd, and only when systemd
 * started it (NOTIFY_SOCKET is set): libsystemd brings libgcrypt, liblz4,
 * libzstd and liblzma, which nothing else here needs.  Built without
 * libsystemd, or not started by systemd, these do nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "dynlib.h"
#include "log.h"
#include "monitor.h"
#include "names.h"

#ifdef HAVE_SYSTEMD
static __typeof__(sd_notify)	*notify_fn;

static const struct dynsym systemd_syms[] = {
	{ "sd_notify",	(void **)&notify_fn },
};
#endif

void
notify_init(void)
{
#ifdef HAVE_SYSTEMD
	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	if (dynlib_load(SYSTEMD_SONAME, systemd_syms, nitems(systemd_syms)) == -1) {
		notify_fn = NULL;
		log_warnx("systemd will not hear when lbnoded is ready");
	}
#endif
}

static void
notify(const char *msg)
{
#ifdef HAVE_SYSTEMD
	int	 rc;

	if (notify_fn != NULL && (rc = notify_fn(0, msg)) < 0)
		log_debug("sd_notify: error %d", rc);
#else
	(void)msg;
#endif
}

/* The weight the LBs act on: a drained node gets no new traffic. */
static void
notify_state(const char *prefix, uint32_t admin, uint32_t weight)
{
	char	 msg[128];

	if (admin != ADMIN_READY)
		weight = 0;
	snprintf(msg, sizeof(msg), "%sSTATUS=%s, weight %u", prefix,
	    admin_name(admin), weight);
	notify(msg);
}

/* Also after a reload: READY=1 ends RELOADING=1. */
void
notify_ready(uint32_t admin, uint32_t weight)
{
	notify_state("READY=1\n", admin, weight);
}

void
notify_status(uint32_t admin, uint32_t weight)
{
	notify_state("", admin, weight);
}

void
notify_reloading(void)
{
	notify("RELOADING=1\nSTATUS=reloading");
}

void
notify_stopping(void)
{
	notify("STOPPING=1\nSTATUS=stopping");
}
