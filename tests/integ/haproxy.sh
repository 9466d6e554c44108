#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# Debian's real HAProxy polls the node's agent-check: the server's
# weight follows a real CPU load, and drain, maint and ready set with
# lbnodectl reach HAProxy's admin state.  The node is a cgroup with a
# fifth of a CPU ("sample cgroup"), so the load is the test's alone,
# however busy the machine is.
. "$top_srcdir/tests/integ/lib.sh"
need_root
for tool in haproxy socat curl stress-ng; do
	command -v $tool >/dev/null || bail "$tool missing: apt-get install $tool"
done

NODE=lbn-hap-n-$$
LB=lbn-hap-l-$$
CONF=$LAB_DIR/lbnoded.conf
HASOCK=$LAB_DIR/haproxy.sock
N=198.18.0.1
L=198.18.0.2

node_and_lb "$NODE" "$LB" $N/24 $L/24 lbn-hn0 lbn-hl0

cpu_cgroup "$NODE" 20 || bail "cannot make cgroup $NODE"

lab_conf "$CONF" <<EOF
lb "$L"
agent port 3333
http port 8080
sample every 1
smooth 2
weight min 10 max 100
sample cgroup "$CG_PATH"
EOF

# The service HAProxy health-checks on the node.
ip netns exec "$NODE" socat TCP-LISTEN:80,bind=$N,fork,reuseaddr \
    SYSTEM:'echo ok' >/dev/null 2>&1 &
LAB_PIDS="$LAB_PIDS $!"

cat >"$LAB_DIR/haproxy.cfg" <<EOF
global
	stats socket $HASOCK mode 600 level admin
defaults
	mode tcp
	timeout connect 1s
	timeout client 5s
	timeout server 5s
frontend fe
	bind $L:8000
	default_backend be
backend be
	server n1 $N:80 check inter 500 agent-check agent-port 3333 agent-inter 500 weight 100
EOF

# "ip netns exec" would mount a /sys of its own, without the cgroups:
# the daemon enters only the network namespace.
nsenter --net="/var/run/netns/$NODE" "$LBNODED" -d -f "$CONF" \
    >>"$LAB_DIR/daemon.log" 2>&1 &
DAEMON_PID=$!
LAB_PIDS="$LAB_PIDS $DAEMON_PID"
ip netns exec "$LB" haproxy -db -f "$LAB_DIR/haproxy.cfg" \
    >>"$LAB_DIR/haproxy.log" 2>&1 &
LAB_PIDS="$LAB_PIDS $!"

# A field of server n1 in HAProxy's "show stat" CSV, by header name.
hap() {
	echo "show stat" | socat -t 5 - "UNIX-CONNECT:$HASOCK" 2>/dev/null |
	    awk -F, -v f="$1" '
		NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i }
		$1 == "be" && $2 == "n1" { print $col[f] }'
}
# srv_admin_state of n1 in "show servers state" (HAProxy's SRV_ADMF_* bits)
SRV_ADMF_FMAINT=1
SRV_ADMF_FDRAIN=8
hap_admin() {
	echo "show servers state be" | socat -t 5 - "UNIX-CONNECT:$HASOCK" 2>/dev/null |
	    awk '$4 == "n1" { print $7 }'
}
node_weight() {
	lb curl -s -m 2 http://$N:8080/metrics |
	    awk '$1 == "lbnoded_weight" { print $2 }'
}
hap_status() { [ "$(hap status)" = "$1" ]; }
# HAProxy's weight is the node's (the node may move on meanwhile: twice)
hap_follows() {
	w=$(node_weight)
	[ -n "$w" ] && [ "$(hap weight)" = "$w" ] ||
	    { sleep 0.3; w=$(node_weight); [ -n "$w" ] && [ "$(hap weight)" = "$w" ]; }
}
hap_weight_le() { w=$(hap weight); [ -n "$w" ] && [ "$w" -le "$1" ]; }
hap_weight_gt() { w=$(hap weight); [ -n "$w" ] && [ "$w" -gt "$1" ]; }

check "HAProxy sees the server UP" wait_for 10 hap_status UP
check "HAProxy's weight is the node's" wait_for 5 hap_follows
diag "idle: node weight $(node_weight), HAProxy weight $(hap weight)"

# The node's CPU all used: the weight falls to weight min.
in_cgroup "$NODE" stress-ng --cpu 1 --timeout 60s
STRESS=$CG_PID
check "under load HAProxy's weight falls to <= 20" wait_for 8 hap_weight_le 20
check "... and is the node's" wait_for 3 hap_follows
diag "loaded: node weight $(node_weight), HAProxy weight $(hap weight)"
kill "$STRESS"
wait "$STRESS" 2>/dev/null
check "load gone: HAProxy's weight rises again" wait_for 8 hap_weight_gt 10
check "... and is the node's" wait_for 3 hap_follows

# "drain" and "maint" from the agent set HAProxy's forced admin flags.
ctl drain >/dev/null
check "lbnodectl drain: HAProxy says DRAIN (agent)" \
    wait_for 3 hap_status "DRAIN (agent)"
check "drain: forced drain flag set" test "$(hap_admin)" = $SRV_ADMF_FDRAIN
check "drain: weight 0" test "$(hap weight)" = 0
ctl maint >/dev/null
check "lbnodectl maint: HAProxy says MAINT" wait_for 3 hap_status MAINT
check "maint: forced maint flag set" test "$(hap_admin)" = $SRV_ADMF_FMAINT
ctl ready >/dev/null
check "lbnodectl ready: HAProxy says UP again" wait_for 3 hap_status UP
check "ready: no admin flag left" test "$(hap_admin)" = 0
check "ready: HAProxy's weight is the node's again" wait_for 3 hap_follows

done_testing
