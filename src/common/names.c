/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
#include <netinet/in.h>
#include <string.h>

#include "lbnoded.h"
#include "names.h"

static const char *const admin_names[] = {
	[ADMIN_READY] = "ready",
	[ADMIN_DRAIN] = "drain",
	[ADMIN_MAINT] = "maint",
};

static const char *const mode_names[] = {
	[MODE_REDIRECT] = "redirect",
	[MODE_DNAT] = "dnat",
	[MODE_LOOPBACK] = "loopback",
	[MODE_TUNNEL] = "tunnel",
};

static const char *const encap_names[] = {
	[ENCAP_NONE] = "none",
	[ENCAP_IPIP] = "ipip",
	[ENCAP_GUE] = "gue",
};

static const char *const signal_names[SIGNAL_MAX] = {
	[SIGNAL_PRESSURE] = "pressure",
	[SIGNAL_THROTTLE] = "throttle",
	[SIGNAL_SOCKDIAG] = "sockdiag",
	[SIGNAL_COMPLETIONS] = "completions",
	[SIGNAL_QUOTA] = "quota",
};

static const char *const procfd_names[PROCFD_MAX] = {
	[PROCFD_STAT] = "/proc/stat",
	[PROCFD_LOADAVG] = "/proc/loadavg",
	[PROCFD_MEMINFO] = "/proc/meminfo",
	[PROCFD_CGROUP_USAGE] = "cgroup usage",
	[PROCFD_CGROUP_QUOTA] = "cgroup quota",
	[PROCFD_CGROUP_PERIOD] = "cgroup period",
	[PROCFD_UPTIME] = "/proc/uptime",
	[PROCFD_PRESSURE] = "cpu pressure",
	[PROCFD_CGROUP_CPUSTAT] = "cgroup cpu.stat",
	[PROCFD_SNMP] = "/proc/net/snmp",
	[PROCFD_SOCKDIAG] = "sock_diag",
};

static const char *const origin_names[] = {
	[ORIGIN_CONFIG] = "config",
	[ORIGIN_LB] = "lb",
};

static const char *const drop_names[DROP_MAX] = {
	[DROP_SHORT] = "short",
	[DROP_MAGIC] = "magic",
	[DROP_VERSION] = "version",
	[DROP_LENGTH] = "length",
	[DROP_TYPE] = "type",
	[DROP_ALLOW] = "allow",
	[DROP_AUTH] = "auth",
	[DROP_STALE] = "stale",
	[DROP_REPLAY] = "replay",
	[DROP_RATE] = "rate",
};

static const char *const proc_names[PROC_MAX] = {
	[PROC_MONITOR] = "monitor",
	[PROC_NETCFG] = "netcfg",
	[PROC_REPORTER] = "reporter",
};

const char *
name_of(const char *const *names, size_t n, unsigned int v)
{
	return v < n && names[v] != NULL ? names[v] : "unknown";
}

const char *
admin_name(unsigned int v)
{
	return NAME_OF(admin_names, v);
}

int
admin_from_name(const char *s, uint32_t *state)
{
	uint32_t	 i;

	for (i = 0; i < nitems(admin_names); i++)
		if (strcmp(s, admin_names[i]) == 0) {
			*state = i;
			return 0;
		}
	return -1;
}

const char *
mode_name(unsigned int v)
{
	return NAME_OF(mode_names, v);
}

const char *
encap_name(unsigned int v)
{
	return NAME_OF(encap_names, v);
}

/* Protocol 0 is "either" in accept rules and loopback entries. */
const char *
proto_name(unsigned int v)
{
	switch (v) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case 0:
		return "any";
	default:
		return "unknown";
	}
}

const char *
origin_name(unsigned int v)
{
	return NAME_OF(origin_names, v);
}

const char *
drop_name(unsigned int v)
{
	return NAME_OF(drop_names, v);
}

const char *
signal_name(unsigned int v)
{
	return NAME_OF(signal_names, v);
}

const char *
proc_name(unsigned int v)
{
	return NAME_OF(proc_names, v);
}

const char *
procfd_name(unsigned int v)
{
	return NAME_OF(procfd_names, v);
}
