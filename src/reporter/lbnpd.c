/* SPDX-License-Identifier: ISC */
/* Copyright (c) 2026 The lbnoded authors */
/*
 * The reporter's LBNP/1 side: answers QUERYs with REPORTs, passes an
 * LB's CONFIG to the monitor and ACKs it with the outcome, and sends
 * ANNOUNCEs.  Every datagram goes through the same gates: allowlist,
 * decoder, authentication, and only then the per-source rate limit,
 * so that a forger of an LB's address cannot spend that LB's budget;
 * each refusal is counted by reason.  Its functions are lbnpd_*: the
 * lbnp_* ones are the codec in src/common/lbnp.c, which lbnodectl shares.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "lbnp.h"
#include "names.h"
#include "log.h"
#include "reporter.h"
#include "util.h"

#define LBNPD_SOCKS_MAX	2	/* one IPv4, one IPv6 */
#define RECV_BATCH	64	/* datagrams per wakeup and socket */
#define RATE_SLOTS	256	/* sources tracked by the rate limit */
#define RATE_PER_SEC	20
#define RATE_BURST	40
/*
 * HMAC checks a second for packets from sources that never passed one:
 * what a flood from made-up addresses may cost, while the LBs already
 * heard from are checked whatever the flood.
 */
#define STRANGER_PER_SEC	1000
#define STRANGER_BURST		1000
#define SERVER_TYPE	"linux"

struct lbnpd_sock {
	int		 fd;
	int		 af;
	struct event	*ev;
};

/* A token bucket, in thousandths of a packet. */
struct bucket {
	uint64_t	 last_ms;
	uint32_t	 tokens;
};

/* The bucket of a source that passed authentication (any, without a key). */
struct rate_slot {
	struct lbn_addr	 addr;
	struct bucket	 b;
};

/* The one CONFIG being applied, and the ACK it will get. */
struct push {
	int			 active;
	struct sockaddr_storage	 to;
	socklen_t		 tolen;
	struct lbnp_msg		 ack;
};

static struct lbnpd_sock		 socks[LBNPD_SOCKS_MAX];
static size_t			 nsocks;
static uint64_t			 socks_generation;	/* of the config that sent them */
static struct event		*announce_ev;
static uint32_t			 announce_seq;
static int			 announced;		/* the first ANNOUNCE is out */
static struct lbnp_replay	 replay;
static struct lbnp_key		 hkey;		/* rep->key, ready for HMAC */
static struct rate_slot		 rates[RATE_SLOTS];
static struct bucket		 strangers = { 0, STRANGER_BURST * 1000 };
static struct push		 push;

/*
 * One recvmmsg() fills a batch; each buffer is big enough for any
 * datagram, so none is ever truncated.  Only the pages a datagram
 * touches become resident.
 */
static uint8_t			 rbufs[RECV_BATCH][65536];
static struct sockaddr_storage	 rfrom[RECV_BATCH];
static struct iovec		 riov[RECV_BATCH];
static struct mmsghdr		 rmsg[RECV_BATCH];
static uint8_t			 wbuf[LBNP_DGRAM_MAX];
/* As many entries as the smallest VIP TLV allows in a body. */
static struct dr_entry		 entries[LBNP_BODY_MAX / (LBNP_TLV_HDR_LEN + 20)];
static struct lbnp_msg		 in, out;

static void	 announce_send(uint8_t);

/* Add what the time since the last packet earned, up to burst. */
static void
bucket_fill(struct bucket *b, uint64_t now, uint32_t per_sec, uint32_t burst)
{
	uint64_t	 add = (now - b->last_ms) * per_sec;

	b->tokens = add >= burst * 1000 - b->tokens ?
	    burst * 1000 : b->tokens + (uint32_t)add;
	b->last_ms = now;
}

static int
bucket_take(struct bucket *b)
{
	if (b->tokens < 1000)
		return 0;
	b->tokens -= 1000;
	return 1;
}

/* The slot of a source, or NULL; lru gets the least recently heard one. */
static struct rate_slot *
rate_slot(const struct lbn_addr *a, struct rate_slot **lru)
{
	size_t	 i;

	*lru = &rates[0];
	for (i = 0; i < RATE_SLOTS; i++) {
		if (rates[i].addr.af != 0 && addr_eq(&rates[i].addr, a))
			return &rates[i];
		if (rates[i].b.last_ms < (*lru)->b.last_ms)
			*lru = &rates[i];
	}
	return NULL;
}

/*
 * May this authenticated source send one more packet?  A full table
 * gives the least recently heard source's slot away: a fresh bucket is
 * full, so the worst an address flood does is not to limit, never to
 * starve.  With a key only the key's holders get here.
 */
static int
rate_ok(const struct lbn_addr *a)
{
	struct rate_slot	*s, *lru;
	uint64_t		 now = monotonic_ns() / 1000000;

	if ((s = rate_slot(a, &lru)) == NULL) {
		s = lru;
		s->addr = *a;
		s->b.tokens = RATE_BURST * 1000;
		s->b.last_ms = now;
	} else
		bucket_fill(&s->b, now, RATE_PER_SEC, RATE_BURST);
	return bucket_take(&s->b);
}

/*
 * Check the trailer.  A source that passed a check before, or that an
 * lb line names, is always checked; any other only while the
 * strangers' budget lasts, which the checks that fail spend.  A named
 * LB must not need to be heard first: a forger of its address who
 * starts first, or after the reporter restarted, would otherwise spend
 * the budget its queries need, and the budget saves nothing against a
 * forger of an address that was heard.
 */
static int
authenticate(const struct lbn_addr *from, const uint8_t *pkt, size_t len)
{
	struct rate_slot	*lru;
	int			 stranger, r;

	if ((stranger = rate_slot(from, &lru) == NULL && !lb_named(from))) {
		bucket_fill(&strangers, monotonic_ns() / 1000000,
		    STRANGER_PER_SEC, STRANGER_BURST);
		if (strangers.tokens < 1000)
			return DROP_RATE;
	}
	r = lbnp_verify_keyed(pkt, len, &hkey, lbnp_now_ms(), &replay);
	if (r != 0 && stranger)
		(void)bucket_take(&strangers);
	return r;
}

static void
drop(int reason, const struct lbn_addr *from)
{
	char	 buf[ADDR_STRLEN];

	rep->counters.dropped[reason]++;
	/* Not even formatted unless it is logged: floods come here. */
	if (log_getverbose())
		log_debug("lbnp: dropped a packet from %s: %s",
		    addr_str(from, buf, sizeof(buf)), drop_name(reason));
}

/* The socket for a destination's family, or -1. */
static int
sock_for(int af)
{
	size_t	 i;

	for (i = 0; i < nsocks; i++)
		if (socks[i].af == af)
			return socks[i].fd;
	return -1;
}

/* Encode m, signed when we have a key, and send it to sa. */
static void
send_msg(const struct lbnp_msg *m, const struct sockaddr *sa, socklen_t salen)
{
	struct lbnp_sign	 sign;
	char			 buf[ADDR_STRLEN];
	struct lbn_addr	 	 to;
	ssize_t			 n;
	int			 fd;

	if (rep->key.len > 0)
		lbnp_sign_init(&sign, rep->key.key, rep->key.len);
	if ((n = lbnp_encode(m, wbuf, sizeof(wbuf),
	    rep->key.len > 0 ? &sign : NULL)) == -1) {
		log_warnx("lbnp: %s does not fit a datagram",
		    lbnp_type_name(m->type));
		return;
	}
	addr_from_sockaddr(sa, &to);
	if ((fd = sock_for(sa->sa_family)) == -1) {
		log_debug("lbnp: no socket to reach %s",
		    addr_str(&to, buf, sizeof(buf)));
		return;
	}
	if (sendto(fd, wbuf, (size_t)n, 0, sa, salen) == -1) {
		log_debug("lbnp: sendto %s: %s",
		    addr_str(&to, buf, sizeof(buf)), strerror(errno));
		return;
	}
	rep->counters.tx_packets++;
}

/* What we say about ourselves, in an ANNOUNCE or a REPORT. */
static void
node_msg(struct lbnp_msg *m, uint8_t type, uint32_t seq)
{
	const struct lbn_settings	*c = &rep->conf;
	struct lbnp_node		*n = &m->node;

	memset(m, 0, sizeof(*m));
	m->type = type;
	m->seq = seq;
	m->generation = rep->generation;
	memcpy(n->node_id, c->node_id, sizeof(n->node_id));
	snprintf(n->hostname, sizeof(n->hostname), "%.*s",
	    (int)sizeof(n->hostname) - 1, c->hostname);
	snprintf(n->server_type, sizeof(n->server_type), "%s", SERVER_TYPE);
	if (c->real_addr.af == AF_INET)
		n->addr4 = c->real_addr;
	if (c->real_addr6.af == AF_INET6)
		n->addr6 = c->real_addr6;
	n->busy_x100 = rep->load.busy_x100;
	n->weight = rep->weight;
	n->admin = (uint8_t)rep->admin;
	n->loadavg_x100 = rep->load.loadavg_x100;
	n->mem_used_x100 = rep->load.mem_used_x100;
	n->uptime = rep->load.uptime;
}

static void
announce_timer(int fd, short ev, void *arg)
{
	announce_send(LBNP_REASON_PERIODIC);
}

/* The next periodic ANNOUNCE comes announce_every seconds after the last. */
static void
announce_schedule(void)
{
	struct timeval	 tv = { rep->conf.announce_every, 0 };

	if (announce_ev == NULL &&
	    (announce_ev = evtimer_new(rep->base, announce_timer, NULL)) == NULL)
		fatal("evtimer_new");
	evtimer_del(announce_ev);
	if (rep->conf.announce_every > 0)
		evtimer_add(announce_ev, &tv);
}

/*
 * To every LB of the allowlist that is a single address, or else to
 * the interface's IPv4 broadcast address.
 */
static void
announce_send(uint8_t reason)
{
	const struct lbn_settings	*c = &rep->conf;
	struct sockaddr_storage		 ss;
	socklen_t			 sslen;
	size_t				 i, sent = 0;

	/* The first one, even if the timer sends it, says we started. */
	if (!announced && reason != LBNP_REASON_STOP)
		reason = LBNP_REASON_START;
	announced = 1;
	node_msg(&out, LBNP_ANNOUNCE, ++announce_seq);
	out.node.reason = reason;
	for (i = 0; i < c->nlb && i < LB_MAX; i++) {
		if (c->lb[i].plen != (c->lb[i].af == AF_INET ? 32 : 128))
			continue;
		sslen = addr_to_sockaddr(&c->lb[i], c->port, &ss);
		send_msg(&out, (struct sockaddr *)&ss, sslen);
		sent++;
	}
	/* lb prefixes alone name no one to unicast to: broadcast then. */
	if (sent == 0 && c->bcast.af == AF_INET) {
		sslen = addr_to_sockaddr(&c->bcast, c->port, &ss);
		send_msg(&out, (struct sockaddr *)&ss, sslen);
		sent++;
	}
	log_debug("lbnp: announce (%s) to %zu destinations",
	    lbnp_reason_name(reason), sent);
	if (reason != LBNP_REASON_STOP)
		announce_schedule();
}

void
lbnpd_announce(void)
{
	announce_send(LBNP_REASON_CHANGE);
}

void
lbnpd_stop(void)
{
	if (announce_ev != NULL)
		evtimer_del(announce_ev);
	announce_send(LBNP_REASON_STOP);
}

static void
answer_query(const struct sockaddr *sa, socklen_t salen)
{
	node_msg(&out, LBNP_REPORT, in.seq);
	send_msg(&out, sa, salen);
}

/* An ACK of our own, for a CONFIG that does not reach the monitor. */
static void
config_refuse(const struct sockaddr *sa, socklen_t salen,
    const struct lbn_addr *from, uint8_t status, const char *why)
{
	char	 buf[ADDR_STRLEN];

	log_audit("lb %s: config generation %llu refused: %s",
	    addr_str(from, buf, sizeof(buf)),
	    (unsigned long long)in.generation, why);
	memset(&out, 0, sizeof(out));
	out.type = LBNP_CONFIG_ACK;
	out.seq = in.seq;
	out.generation = in.generation;
	out.status = status;
	snprintf(out.message, sizeof(out.message), "%s", why);
	send_msg(&out, sa, salen);
}

static void
to_monitor(uint32_t type, const void *data, size_t len)
{
	if (imsgev_compose(&rep->iev_monitor, type, 0, 0, -1, data, len) == -1)
		fatal("%s: imsgev_compose", __func__);
}

/*
 * A CONFIG goes to the monitor whole, as one push.  Without a key
 * nobody is authenticated, and nobody may change the firewall; an
 * older generation than the one in force is a replay or a confused
 * LB, and would roll the VIPs back.
 */
static void
config_received(const struct sockaddr *sa, socklen_t salen,
    const struct lbn_addr *from)
{
	struct dr_begin	 b;
	char		 buf[ADDR_STRLEN], why[64];
	size_t		 i;

	if (rep->key.len == 0) {
		config_refuse(sa, salen, from, LBNP_STATUS_REJECTED,
		    "authentication required");
		return;
	}
	if (push.active) {
		config_refuse(sa, salen, from, LBNP_STATUS_BUSY,
		    "another configuration is being applied");
		return;
	}
	/* The same generation may come again: an LB retries that way. */
	if (in.generation < rep->generation) {
		snprintf(why, sizeof(why), "generation %llu is in force",
		    (unsigned long long)rep->generation);
		config_refuse(sa, salen, from, LBNP_STATUS_REJECTED, why);
		return;
	}
	log_info("lb %s: config generation %llu, %zu entries",
	    addr_str(from, buf, sizeof(buf)),
	    (unsigned long long)in.generation, in.nentries);
	memset(&b, 0, sizeof(b));
	b.origin = ORIGIN_LB;
	b.count = (uint32_t)in.nentries;
	b.generation = in.generation;
	b.lb = *from;
	to_monitor(IMSG_REP_PUSH_BEGIN, &b, sizeof(b));
	for (i = 0; i < in.nentries; i++)
		to_monitor(IMSG_REP_PUSH_ENTRY, &entries[i], sizeof(entries[i]));
	to_monitor(IMSG_REP_PUSH_COMMIT, NULL, 0);

	memset(&push, 0, sizeof(push));
	push.active = 1;
	memcpy(&push.to, sa, salen);
	push.tolen = salen;
	push.ack.type = LBNP_CONFIG_ACK;
	push.ack.seq = in.seq;
	push.ack.generation = in.generation;
}

static void
lbnpd_input(const uint8_t *pkt, size_t len, const struct sockaddr *sa,
    socklen_t salen)
{
	struct lbn_addr	 from;
	int		 r;

	rep->counters.rx_packets++;
	if (addr_from_sockaddr(sa, &from) == -1)
		return;
	if (!lb_allowed(sa)) {
		drop(DROP_ALLOW, &from);
		return;
	}
	r = lbnp_decode(pkt, len, &in, entries, nitems(entries));
	if (r == 0 && in.type != LBNP_QUERY && in.type != LBNP_CONFIG)
		r = DROP_TYPE;
	if (r == 0 && rep->key.len > 0)
		r = authenticate(&from, pkt, len);
	if (r == 0 && !rate_ok(&from))
		r = DROP_RATE;
	if (r != 0) {
		drop(r, &from);
		return;
	}
	if (rep->key.len > 0)
		carry_accepted(in.ts_ms);
	lb_seen(sa);
	if (in.type == LBNP_QUERY)
		answer_query(sa, salen);
	else
		config_received(sa, salen, &from);
}

/* The key checks use from now on; rep->key has it already. */
void
lbnpd_set_key(void)
{
	lbnp_key_clear(&hkey);
	if (rep->key.len > 0)
		lbnp_key_init(&hkey, rep->key.key, rep->key.len);
}

void
lbnpd_replay_floor(uint64_t floor_ms)
{
	if (floor_ms > replay.floor_ms)
		replay.floor_ms = floor_ms;
}

/* Bounded, so that one busy socket cannot starve the others. */
static void
lbnpd_read(int fd, short ev, void *arg)
{
	int	 i, n;

	for (i = 0; i < RECV_BATCH; i++) {
		riov[i].iov_base = rbufs[i];
		riov[i].iov_len = sizeof(rbufs[i]);
		memset(&rmsg[i], 0, sizeof(rmsg[i]));
		rmsg[i].msg_hdr.msg_name = &rfrom[i];
		rmsg[i].msg_hdr.msg_namelen = sizeof(rfrom[i]);
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	if ((n = recvmmsg(fd, rmsg, RECV_BATCH, MSG_DONTWAIT, NULL)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("lbnp: recvmmsg");
		return;
	}
	for (i = 0; i < n; i++)
		lbnpd_input(rbufs[i], rmsg[i].msg_len,
		    (struct sockaddr *)&rfrom[i], rmsg[i].msg_hdr.msg_namelen);
}

static void
socks_close(void)
{
	size_t	 i;

	for (i = 0; i < nsocks; i++) {
		event_free(socks[i].ev);
		close(socks[i].fd);
	}
	nsocks = 0;
}

/*
 * A bound UDP socket from the monitor.  The monitor sends new ones
 * only when the port changes; the first of a new configuration
 * replaces the old ones.
 */
void
lbnpd_set_socket(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	struct lbnpd_sock	*s;

	if (nsocks > 0 && socks_generation != rep->conf.conf_generation)
		socks_close();
	socks_generation = rep->conf.conf_generation;
	if (nsocks == LBNPD_SOCKS_MAX)
		fatalx("%s: more than %d sockets", __func__, LBNPD_SOCKS_MAX);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		fatal("%s: getsockname", __func__);
	s = &socks[nsocks];
	s->fd = fd;
	s->af = ss.ss_family;
	if ((s->ev = event_new(rep->base, fd, EV_READ | EV_PERSIST,
	    lbnpd_read, NULL)) == NULL || event_add(s->ev, NULL) == -1)
		fatalx("%s: event", __func__);
	nsocks++;
	announce_schedule();
}

static void
push_add_result(struct imsg *imsg)
{
	struct dr_entry_result	 er;
	struct lbnp_result	*r;

	if (imsg_get_data(imsg, &er, sizeof(er)) == -1)
		fatalx("%s: bad IMSG_REP_PUSH_ENTRY_RESULT", __func__);
	/* The ACK must fit a datagram: the first ones, and a count. */
	if (push.ack.nresults == LBNP_RESULTS_MAX) {
		push.ack.omitted++;
		return;
	}
	r = &push.ack.results[push.ack.nresults++];
	r->index = er.index;
	r->status = er.status;
	memcpy(r->reason, er.reason, sizeof(r->reason));
	r->reason[sizeof(r->reason) - 1] = '\0';
}

/*
 * The monitor's answer to the push: IMSG_REP_PUSH_RESULT, an
 * IMSG_REP_PUSH_ENTRY_RESULT per refused entry, IMSG_REP_PUSH_DONE.
 */
void
lbnpd_push_result(struct imsg *imsg)
{
	struct dr_result	 r;
	char			 buf[ADDR_STRLEN];
	struct lbn_addr		 to;

	if (!push.active)
		fatalx("%s: push result without a push", __func__);
	switch (imsg_get_type(imsg)) {
	case IMSG_REP_PUSH_RESULT:
		if (imsg_get_data(imsg, &r, sizeof(r)) == -1)
			fatalx("%s: bad IMSG_REP_PUSH_RESULT", __func__);
		push.ack.status = r.status;
		push.ack.has_in_force = 1;
		push.ack.in_force = r.nentries;
		memcpy(push.ack.message, r.reason, sizeof(r.reason));
		push.ack.message[sizeof(r.reason) - 1] = '\0';
		break;
	case IMSG_REP_PUSH_ENTRY_RESULT:
		push_add_result(imsg);
		break;
	case IMSG_REP_PUSH_DONE:
		if (push.ack.status == LBNP_STATUS_OK)
			rep->generation = push.ack.generation;
		addr_from_sockaddr((struct sockaddr *)&push.to, &to);
		log_info("lb %s: config generation %llu: %s%s%s",
		    addr_str(&to, buf, sizeof(buf)),
		    (unsigned long long)push.ack.generation,
		    lbnp_status_name(push.ack.status),
		    push.ack.message[0] != '\0' ? ": " : "", push.ack.message);
		send_msg(&push.ack, (struct sockaddr *)&push.to, push.tolen);
		push.active = 0;
		/* The other LBs learn of the new generation now, not later. */
		if (push.ack.status == LBNP_STATUS_OK)
			lbnpd_announce();
		break;
	default:
		fatalx("%s: unexpected imsg %u", __func__, imsg_get_type(imsg));
	}
}
