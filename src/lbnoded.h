/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * lbnoded: node-side agent for Layer-4 load balancers.
 *
 * Types shared by the monitor, netcfg and reporter processes and by
 * lbnodectl.  Everything that crosses an imsg channel is a fixed-size
 * struct made of fixed-width fields, so a message's size alone says
 * whether it is well formed.
 */
#ifndef LBNODED_H
#define LBNODED_H

#include <sys/types.h>
#include <netinet/in.h>
#include <stdint.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR		"/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR		"/var"
#endif

#ifndef nitems
#define nitems(a)		(sizeof(a) / sizeof((a)[0]))
#endif

#define LBNODED_CONF		SYSCONFDIR "/lbnoded/lbnoded.conf"
#define LBNODED_USER		"_lbnoded"
#define LBNODED_GROUP		"lbnoded"	/* may use the control socket */
#define LBNODED_CHROOT		"/var/empty"
#define LBNODED_SOCKET		"/run/lbnoded/lbnoded.sock"
#define LBNODED_STATE		LOCALSTATEDIR "/lib/lbnoded/state"

#define LBNP_PORT		65002
#define AGENT_PORT		3333

#define NAME_MAX_LEN		64	/* interface, user, hostname */
#define PATH_MAX_LEN		256
#define KEY_MAX_LEN		64	/* HMAC-SHA256 key, bytes */
#define KEY_MIN_LEN		16
#define ACCEPT_MAX		32	/* accept rules in one config */
#define LB_MAX			32	/* lb allowlist entries */
#define VIP_ENTRIES_MAX		65536	/* hard cap on one desired state */
#define CTL_FAIL_MAX		2048	/* IMSG_CTL_FAIL, with its NUL */
#define SERVICE_PORTS_MAX	16	/* port ranges "service port" watches */

/* The fd every child finds its imsg channel to the monitor on. */
#define CHILD_IMSG_FD		3
/* A child's exit status when it cannot build its sandbox: no restart helps. */
#define CHILD_EXIT_SANDBOX	3

/* Each process's entry point; main() in lbnoded.c picks one. */
int	 monitor_main(int, char **);
int	 netcfg_main(int, char **);
int	 reporter_main(int, char **);

enum lbn_proc {
	PROC_MONITOR,
	PROC_NETCFG,
	PROC_REPORTER,
	PROC_MAX
};

enum admin_state {
	ADMIN_READY,
	ADMIN_DRAIN,
	ADMIN_MAINT
};

enum weight_source {
	WEIGHT_CPU,
	WEIGHT_LOADAVG,
	WEIGHT_MEMORY,
	WEIGHT_MAX_OF,
	WEIGHT_SATURATION	/* capacity x saturation, see weight.c */
};

enum weight_capacity {
	CAPACITY_QUOTA,		/* the CPUs the service may use, of full */
	CAPACITY_OFF,
	CAPACITY_MEASURED	/* its completions at full use, of full */
};
#define CAPACITY_FULL_CPUS	8000		/* quota's default full: 8 CPUs */
#define CAPACITY_FULL_MAX	1000000000	/* thousandths */

enum vip_mode {
	MODE_REDIRECT,
	MODE_DNAT,
	MODE_LOOPBACK,
	MODE_TUNNEL		/* loopback, reached through an LB's tunnel */
};

/* How a tunnel-mode VIP's packets arrive encapsulated. */
enum vip_encap {
	ENCAP_NONE,
	ENCAP_IPIP,		/* IPIP for IPv4 VIPs, IP6IP6 for IPv6 */
	ENCAP_GUE		/* GUE over UDP encap_port (Katran's) */
};

enum exit_action {
	EXIT_REMOVE,
	EXIT_KEEP
};

/* Where a DR entry came from: our config, or an LB's CONFIG push. */
enum entry_origin {
	ORIGIN_CONFIG,
	ORIGIN_LB
};

/*
 * An IPv4 or IPv6 address with a prefix length.  af is AF_INET,
 * AF_INET6 or 0 for "none".
 */
struct lbn_addr {
	uint8_t			 af;
	uint8_t			 plen;
	uint8_t			 pad[2];
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
		uint8_t		 raw[16];
	} u;
};

/*
 * One VIP, protocol and port range: the unit netcfg renders.  For
 * loopback mode proto and ports only document what the LB sends; the
 * VIP itself goes on lo.
 */
struct dr_entry {
	struct lbn_addr		 vip;
	struct lbn_addr		 target;	/* dnat only */
	uint8_t			 mode;		/* enum vip_mode */
	uint8_t			 proto;		/* IPPROTO_TCP, IPPROTO_UDP */
	uint16_t		 port_lo;
	uint16_t		 port_hi;
	uint16_t		 to_port;	/* redirect: 0 = same port */
	uint8_t			 encap;		/* tunnel: enum vip_encap */
	uint8_t			 pad;
	uint16_t		 encap_port;	/* tunnel, gue: UDP port */
};

/* What an authenticated LB may push: "accept vip PREFIX proto port {..} max N" */
struct accept_rule {
	struct lbn_addr		 prefix;
	uint8_t			 proto;		/* 0 = tcp or udp */
	uint8_t			 nports;
	uint16_t		 max;		/* entries, 0 = no cap beyond VIP_ENTRIES_MAX */
	struct {
		uint16_t	 lo, hi;
	}			 ports[16];	/* nports == 0: any port */
};

/* Settings every process needs; sent as one imsg, so fixed-size. */
struct lbn_settings {
	char			 interface[NAME_MAX_LEN];	/* "" = default route's */
	char			 user[NAME_MAX_LEN];
	char			 chroot[PATH_MAX_LEN];
	char			 keyfile[PATH_MAX_LEN];		/* "" = no key */
	char			 ctlsock[PATH_MAX_LEN];
	char			 cgroup[PATH_MAX_LEN];		/* "" = /proc/stat, "auto" */
	char			 statefile[PATH_MAX_LEN];
	uint16_t		 port;
	uint16_t		 agent_port;			/* 0 = off */
	uint16_t		 http_port;			/* 0 = off */
	uint16_t		 smooth;			/* samples */
	uint16_t		 announce_every;		/* seconds, 0 = off */
	uint8_t			 weight_min;
	uint8_t			 weight_max;
	uint8_t			 weight_from;			/* enum weight_source */
	uint8_t			 on_exit;			/* enum exit_action */
	uint8_t			 nlb;
	uint8_t			 naccept;
	uint8_t			 weight_capacity;		/* enum weight_capacity */
	uint8_t			 nservice;			/* 0: the vips' tcp ports */
	uint8_t			 pad[2];
	uint32_t		 sample_ms;			/* sample every */
	uint32_t		 capacity_full;			/* thousandths */
	struct {
		uint16_t	 lo, hi;
	}			 service[SERVICE_PORTS_MAX];	/* tcp ports served */
	/* Filled in by the monitor, not the parser: */
	uint8_t			 node_id[16];			/* from /etc/machine-id */
	char			 hostname[NAME_MAX_LEN];
	uint32_t		 ifindex;			/* of interface */
	struct lbn_addr		 real_addr;			/* interface's IPv4 */
	struct lbn_addr		 real_addr6;			/* interface's global IPv6 */
	struct lbn_addr		 bcast;				/* interface's IPv4 broadcast */
	uint64_t		 conf_generation;		/* loads of the config */
	struct lbn_addr		 lb[LB_MAX];			/* nlb == 0: any */
	struct accept_rule	 accept[ACCEPT_MAX];
};

/*
 * The imsg types, one enum for every channel, grouped by the one
 * direction each travels.  What lbnodectl asks of the reporter, and
 * the reporter's answers, pass through the monitor unchanged
 * (control.c forwards them): they are listed by where they start and
 * where they end.  Dispatchers fatalx() on a type they do not expect
 * and on a payload whose size is not the one listed here.
 */
enum imsg_type {
	IMSG_NONE,

	/* monitor -> both children */
	IMSG_CONF_SETTINGS,	/* struct lbn_settings */
	IMSG_CONF_END,		/* -, the configuration is complete */
	IMSG_PING,		/* -, answer IMSG_PONG: are you alive? */

	/* monitor -> netcfg */
	IMSG_DR_BEGIN,		/* struct dr_begin */
	IMSG_DR_ENTRY,		/* struct dr_entry */
	IMSG_DR_COMMIT,		/* -, apply what came since IMSG_DR_BEGIN */
	IMSG_DR_REMOVE_ALL,	/* -, stop: remove all we added */

	/* both children -> monitor */
	IMSG_PONG,		/* -, the answer to IMSG_PING */

	/* netcfg -> monitor */
	IMSG_DR_RESULT,		/* struct dr_result */
	IMSG_DR_ENTRY_RESULT,	/* struct dr_entry_result, one per rejected entry */
	IMSG_DR_DONE,		/* -, the request is answered */

	/* monitor -> reporter */
	IMSG_REP_LBNP_SOCK,	/* fd: bound UDP socket */
	IMSG_REP_AGENT_SOCK,	/* fd: listening TCP socket */
	IMSG_REP_HTTP_SOCK,	/* fd: listening TCP socket */
	IMSG_REP_PROCFD,	/* struct procfd_msg + fd */
	IMSG_REP_KEY,		/* struct key_msg */
	IMSG_REP_ADMIN,		/* struct admin_msg */
	IMSG_REP_RESTARTS,	/* struct restarts_msg */
	IMSG_REP_LB_GENERATION,	/* uint64_t, of the LB push in force */
	IMSG_REP_PUSH_RESULT,	/* struct dr_result, netcfg's answer to a push */
	IMSG_REP_PUSH_ENTRY_RESULT, /* struct dr_entry_result, one per rejected entry */
	IMSG_REP_PUSH_DONE,	/* -, the push is answered */
	IMSG_REP_IFACE,		/* struct iface_msg, the interface changed */
	IMSG_REP_CARRY_BACK,	/* struct rep_carry, to a new reporter */

	/* reporter -> monitor */
	IMSG_REP_PUSH_BEGIN,	/* struct dr_begin, an LB's CONFIG */
	IMSG_REP_PUSH_ENTRY,	/* struct dr_entry */
	IMSG_REP_PUSH_COMMIT,	/* - */
	IMSG_REP_WEIGHT,	/* uint32_t weight, on every change, for sd_notify */
	IMSG_REP_CARRY,		/* struct rep_carry, for the next reporter */
	IMSG_REP_END,		/* -, an lbnodectl request is answered */

	/* lbnodectl -> monitor */
	IMSG_CTL_SHOW_VIPS,	/* - */
	IMSG_CTL_ADMIN,		/* struct admin_msg */
	IMSG_CTL_RELOAD,	/* - */

	/* lbnodectl -> monitor, which takes it and sends it on to both children */
	IMSG_CTL_VERBOSE,	/* int, log verbosity */

	/* lbnodectl -> reporter, through the monitor */
	IMSG_CTL_STATUS,	/* -, answered by IMSG_REP_STATUS */
	IMSG_CTL_SHOW_LBS,	/* -, answered by IMSG_REP_LB */

	/* reporter -> lbnodectl, through the monitor; then IMSG_REP_END */
	IMSG_REP_STATUS,	/* struct ctl_status */
	IMSG_REP_LB,		/* struct ctl_lb, one per LB */

	/* monitor -> lbnodectl */
	IMSG_CTL_VIP,		/* struct ctl_vip */
	IMSG_CTL_OK,		/* - */
	IMSG_CTL_FAIL,		/* NUL-terminated message */
	IMSG_CTL_END,		/* -, the answer is complete */

	IMSG_MAX
};

/* Which VIPs a DR request replaces. */
struct dr_begin {
	uint8_t			 origin;	/* enum entry_origin */
	uint8_t			 pad[3];
	uint32_t		 count;		/* IMSG_DR_ENTRY messages to follow */
	uint64_t		 generation;	/* LB CONFIG generation, or config load count */
	struct lbn_addr		 lb;		/* ORIGIN_LB: who pushed */
};

enum dr_status {
	DR_OK,
	DR_REJECTED,		/* validation failed, nothing changed */
	DR_FAILED		/* the kernel refused, nothing changed */
};

struct dr_result {
	uint8_t			 origin;
	uint8_t			 status;	/* enum dr_status */
	uint8_t			 pad[2];
	uint32_t		 nentries;	/* entries now in force, this origin */
	uint64_t		 generation;
	char			 reason[128];
};

struct dr_entry_result {
	uint32_t		 index;		/* in the request */
	uint8_t			 status;
	uint8_t			 pad[3];
	char			 reason[96];
};

enum procfd_kind {
	PROCFD_STAT,		/* /proc/stat */
	PROCFD_LOADAVG,		/* /proc/loadavg */
	PROCFD_MEMINFO,		/* /proc/meminfo */
	PROCFD_CGROUP_USAGE,	/* cpu.stat or cpuacct.usage */
	PROCFD_CGROUP_QUOTA,	/* cpu.max or cpu.cfs_quota_us */
	PROCFD_CGROUP_PERIOD,	/* cpu.cfs_period_us (v1 only) */
	PROCFD_UPTIME,		/* /proc/uptime */
	PROCFD_PRESSURE,	/* cpu.pressure or /proc/pressure/cpu */
	PROCFD_CGROUP_CPUSTAT,	/* cpu.stat of a v1 cpu hierarchy: throttling */
	PROCFD_SNMP,		/* /proc/net/snmp: PassiveOpens */
	PROCFD_SOCKDIAG,	/* a NETLINK_SOCK_DIAG socket, not a file */
	PROCFD_MAX
};

struct procfd_msg {
	uint32_t		 kind;		/* enum procfd_kind */
	uint32_t		 cgroup_version;/* 1 or 2, cgroup files only */
};

struct key_msg {
	uint32_t		 len;		/* 0 = no key */
	uint8_t			 key[KEY_MAX_LEN];
};

struct admin_msg {
	uint32_t		 state;		/* enum admin_state */
};

/* The LB-facing interface as the monitor last found it. */
struct iface_msg {
	char			 name[NAME_MAX_LEN];	/* "" = no default route */
	uint32_t		 index;			/* 0 = not there */
	struct lbn_addr		 addr;			/* IPv4, af 0 = none */
	struct lbn_addr		 addr6;			/* global IPv6 */
	struct lbn_addr		 bcast;			/* IPv4 broadcast */
};

struct restarts_msg {
	uint32_t		 restarts[PROC_MAX];
};

#define CTL_LB_MAX		64	/* LBs the reporter remembers */

/*
 * Why a packet was dropped; DROP_NONE, 0, is what the LBNP codec returns
 * for a packet it passes, and is never counted.
 */
enum drop_reason {
	DROP_NONE,
	DROP_SHORT,		/* shorter than a header */
	DROP_MAGIC,
	DROP_VERSION,
	DROP_LENGTH,		/* header or TLV length is wrong */
	DROP_TYPE,		/* unknown or unexpected message type */
	DROP_ALLOW,		/* source not in the lb allowlist */
	DROP_AUTH,		/* missing or bad HMAC */
	DROP_STALE,		/* timestamp outside the window */
	DROP_REPLAY,
	DROP_RATE,		/* per-source rate limit */
	DROP_MAX
};

struct rep_counters {
	uint64_t		 rx_packets;
	uint64_t		 tx_packets;
	uint64_t		 agent_queries;
	uint64_t		 http_queries;
	uint64_t		 dropped[DROP_MAX];
};

/*
 * What a reporter leaves to the next one through the monitor, so that
 * a restart neither reopens the replay window nor resets the counters.
 */
struct rep_carry {
	uint64_t		 replay_floor_ms;	/* LBNP timestamps at or below: refused */
	uint64_t		 started;		/* unix time the first reporter started */
	struct rep_counters	 counters;
};

struct ctl_status {
	uint32_t		 admin;		/* enum admin_state */
	uint32_t		 weight;
	uint32_t		 busy_pct_x100;	/* smoothed CPU busy, 0-10000 */
	uint32_t		 loadavg_x100;	/* 1-min load average per CPU */
	uint32_t		 mem_used_pct_x100;
	uint32_t		 nlbs;
	uint64_t		 uptime;	/* seconds */
	uint64_t		 generation;	/* last accepted LB CONFIG */
	uint64_t		 rx_packets;
	uint64_t		 tx_packets;
	uint64_t		 agent_queries;
	uint64_t		 http_queries;
	uint64_t		 dropped[DROP_MAX];
	uint32_t		 restarts[PROC_MAX];
	struct iface_msg	 iface;		/* af 0 in both: no usable address */
	/* The saturation signals, of the last tick: */
	uint32_t		 signals_missing;	/* 1 << enum signal */
	uint32_t		 stall_x100;		/* CPU stall share, 0-10000 */
	uint32_t		 throttled_x100;	/* throttled share, 0-10000 */
	uint32_t		 queued;		/* in accept queues */
	uint32_t		 established;		/* on the service ports */
	uint32_t		 completions_x100;	/* per second, x100 */
	uint32_t		 delay_us;		/* in flight / completion rate */
	uint32_t		 saturation_x100;	/* P, 0-10000 */
	uint32_t		 capacity_x100;		/* A, 0-10000 */
};

/* The signals of "weight from saturation", for what is missing. */
enum signal {
	SIGNAL_PRESSURE,	/* PSI */
	SIGNAL_THROTTLE,	/* cgroup cpu.stat throttled time */
	SIGNAL_SOCKDIAG,	/* accept queues, established connections */
	SIGNAL_COMPLETIONS,	/* PassiveOpens */
	SIGNAL_QUOTA,		/* the cgroup's quota, for the capacity */
	SIGNAL_MAX
};

struct ctl_lb {
	struct lbn_addr		 addr;
	uint64_t		 last_seen;	/* unix time */
	uint64_t		 queries;
};

struct ctl_vip {
	struct dr_entry		 entry;
	uint8_t			 origin;
	uint8_t			 pad[7];
};

#endif /* LBNODED_H */
