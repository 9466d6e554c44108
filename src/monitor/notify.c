/*
 * systemd's notify protocol (Type=notify).  Without libsystemd, or
 * when not started by systemd (no NOTIFY_SOCKET), these do nothing.
 */
#include <stdio.h>

#include "config.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "monitor.h"
#include "names.h"

static void
notify(const char *msg)
{
#ifdef HAVE_SYSTEMD
	int	 rc;

	if ((rc = sd_notify(0, msg)) < 0)
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
