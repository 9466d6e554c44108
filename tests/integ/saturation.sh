#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# "weight from saturation" on a real node: the reporter counts the
# connections on its service ports through the sock_diag socket the
# monitor hands it (its seccomp filter allows the dump), shows the
# signals in lbnodectl status, and says once that a signal is missing;
# with "sample cgroup", its CPU stall is the cgroup's own PSI, from the
# unified hierarchy on a hybrid host, not the whole system's.
. "$top_srcdir/tests/integ/lib.sh"
need_root
command -v socat >/dev/null || bail "socat missing: apt-get install socat"

NODE=lbn-sat-n-$$
LB=lbn-sat-l-$$
CONF=$LAB_DIR/lbnoded.conf
N=198.18.0.1
CLIENT=198.18.0.2
CONNS=5

node_and_lb "$NODE" "$LB" $N/24 $CLIENT/24 lbn-sn0 lbn-sl0

conf() {	# conf [LINES]: the lab's config in CONF, with LINES
	lab_conf "$CONF" <<EOC
agent port 3333
announce off
sample every 250ms
weight from saturation
$1
EOC
}
field() { ctl status | awk -v f="$1" 'index($0, f) == 1 { sub(f, ""); print }'; }
established() { field "service ports:" | awk '{ print $3 }'; }
missing() { field "signals missing:" | tr -d ' '; }
up() { [ -n "$(field "saturation:")" ]; }

# Not daemon_start: "ip netns exec" mounts a /sys of its own, without
# /sys/fs/cgroup, which "sample cgroup" needs.
conf "service port 8080"
nsenter --net="/run/netns/$NODE" "$LBNODED" -d -f "$CONF" \
    >>"$LAB_DIR/daemon.log" 2>&1 &
DAEMON_PID=$!
LAB_PIDS="$LAB_PIDS $DAEMON_PID"
check "daemon up, status shows the saturation signals" wait_for 10 up
REP=$(child_pid "$DAEMON_PID" reporter)

# A service on 8080 and CONNS clients that stay connected.
ip netns exec "$NODE" socat -u TCP-LISTEN:8080,bind=$N,fork,reuseaddr \
    OPEN:/dev/null &
LAB_PIDS="$LAB_PIDS $!"
listening() { ip netns exec "$NODE" ss -Htln "sport = :$1" | grep -q .; }
wait_for 5 listening 8080 || bail "socat does not listen on 8080"
i=0
while [ $i -lt $CONNS ]; do
	sleep 30 | ip netns exec "$LB" socat -u - TCP:$N:8080 &
	LAB_PIDS="$LAB_PIDS $!"
	i=$((i + 1))
done
counted() { [ "$(established)" = "$CONNS" ]; }
json_established() { ctl -j status | grep -q "\"established\":$CONNS,"; }
check "status counts the $CONNS connections on the service port" \
    wait_for 5 counted
check "status -j has them too" \
    json_established
reads() {	# reads FILE: the reporter holds FILE open
	for fd in /proc/"$REP"/fd/*; do
		[ "$(readlink "$fd")" = "$1" ] && return 0
	done
	return 1
}
if [ -r /proc/pressure/cpu ] && head -1 /proc/pressure/cpu >/dev/null 2>&1; then
	check "no signal missing (PSI from /proc/pressure/cpu, no cgroup)" \
	    test "$(missing)" = none
	check "without a cgroup, the reporter reads /proc/pressure/cpu" \
	    reads /proc/pressure/cpu
else
	check "PSI missing on this kernel, and said so" test "$(missing)" = pressure
fi

# The capacity A in the host's CPUs without a cgroup, over full: 8 by
# default.  capacity_is WANT: the status shows A = WANT %, after a reload.
NCPU=$(grep -c '^cpu[0-9]' /proc/stat)
capacity() { field "saturation:" | sed -n 's/.*capacity \([0-9.]*\) %.*/\1/p'; }
capacity_is() { [ "$(capacity)" = "$1" ]; }
want=$(awk -v n="$NCPU" 'BEGIN { printf "%.2f", (n >= 8 ? 100 : n * 100 / 8) }')
check "capacity quota, no cgroup: the host's $NCPU CPUs of 8 ($want %)" \
    wait_for 5 capacity_is "$want"
conf "service port 8080
weight capacity quota full $((NCPU * 2))"
ctl reload >/dev/null
check "full $((NCPU * 2)) CPUs: 50 %, whatever the host" \
    wait_for 5 capacity_is 50.00
conf "service port 8080
weight capacity quota full 0.5"
ctl reload >/dev/null
check "full 0.5 CPU: 100 %, no more" wait_for 5 capacity_is 100.00
conf "service port 8080
weight capacity measured full 1000"
ctl reload >/dev/null
check "measured, nothing completed yet: 100 %" wait_for 5 capacity_is 100.00

# No service port and no vip block: nothing to dump, said once.
conf
ctl reload >/dev/null
said() { grep -q "no sockdiag signal" "$LAB_DIR/daemon.log"; }
check "a reload without service ports: sockdiag missing in the log" \
    wait_for 5 said
sockdiag_missing() { ctl status | grep -q '^signals missing:.*sockdiag'; }
check "... and in lbnodectl status" sockdiag_missing
for t in 1 2 3 4; do	# a window of four ticks, each without the signal
	sample_tick "$REP" || bail "the reporter does not sample"
done
check "said once, not every tick" \
    test "$(grep -c "no sockdiag signal" "$LAB_DIR/daemon.log")" -eq 1

# --- the cgroup's own CPU pressure ---
# PSI is per cgroup in cgroup v2 only: a v1 cgroup's is its twin's in
# the unified hierarchy of a hybrid host.  Two cgroups with a small
# quota: a loop in the other one is throttled, which the whole system's
# /proc/pressure/cpu counts as stall (the test checks it does, over the
# same ticks) and the reporter must not; a loop in its own must show.
CG=lbn-sat-$$
OTHER=lbn-sat-o-$$
QUOTA=10		# percent of a CPU
UNIFIED=/sys/fs/cgroup/unified
cpu_cgroup "$OTHER" $QUOTA || bail "cannot make cgroup $OTHER"
cpu_cgroup "$CG" $QUOTA || bail "cannot make cgroup $CG"
if [ "$CG_PATH" = "/sys/fs/cgroup/$CG" ]; then
	PSI=$CG_PATH/cpu.pressure
elif [ -f "$UNIFIED/cgroup.procs" ]; then
	for c in "$OTHER" "$CG"; do
		mkdir "$UNIFIED/$c" || bail "cannot make $UNIFIED/$c"
		LAB_CGROUPS="$LAB_CGROUPS $UNIFIED/$c"
	done
	PSI=$UNIFIED/$CG/cpu.pressure
else
	bail "cgroup v1 without a unified hierarchy: no cgroup has a cpu.pressure"
fi
diag "cgroup $CG_PATH, its CPU pressure in $PSI"
conf "service port 8080
sample cgroup \"$CG_PATH\""
check "a reload with sample cgroup" ctl reload
check "the reporter reads the cgroup's cpu.pressure" wait_for 5 reads "$PSI"
check "... and no longer /proc/pressure/cpu" not reads /proc/pressure/cpu

psi_total() { awk '/^some/ { sub("total=", "", $5); print $5 }' "$1"; }
stall() { ctl -j status | jq -e .cpu_stall_pct; }
# stall_window TICKS: over TICKS of the reporter's samples, the most
# stall its status showed (MAX_STALL) and the whole system's stall
# share (SYSTEM_STALL), in percent.
stall_window() {
	h0=$(psi_total /proc/pressure/cpu); t0=$(date +%s%N)
	MAX_STALL=0
	n=0
	while [ $n -lt "$1" ]; do
		sample_tick "$REP" && s=$(stall) || return 1
		MAX_STALL=$(awk -v a="$s" -v b="$MAX_STALL" \
		    'BEGIN { print (a > b ? a : b) }')
		n=$((n + 1))
	done
	SYSTEM_STALL=$(( ($(psi_total /proc/pressure/cpu) - h0) * 100000 /
	    ($(date +%s%N) - t0) ))
}
loop_in() {	# loop_in CGROUP: a busy loop there; sets LOOP
	in_cgroup "$1" sh -c 'while :; do :; done'
	LOOP=$CG_PID
}
loop_stop() { kill "$LOOP"; wait "$LOOP" 2>/dev/null; }

loop_in "$OTHER"
stall_window 8 || bail "the reporter does not sample"
loop_stop
diag "a loop in $OTHER: system stall $SYSTEM_STALL %," \
    "the reporter's at most $MAX_STALL %"
check "a loop throttled in another cgroup stalls the system (>= 20 %)" \
    test "$SYSTEM_STALL" -ge 20
check "... but not the reporter's cgroup (<= 5 % every tick)" \
    awk -v m="$MAX_STALL" 'BEGIN { exit !(m <= 5) }'

loop_in "$CG"
stalled() { s=$(stall) && awk -v s="$s" 'BEGIN { exit !(s >= 25) }'; }
check "a loop throttled in the cgroup: the reporter's stall >= 25 %" \
    wait_for 5 stalled
diag "the reporter's stall then: $(stall) %," \
    "$PSI: $(head -1 "$PSI")"
loop_stop

# --- weight capacity measured, from a step of traffic ---
# A service in the cgroup that runs a program for each connection, and
# a client, throttled in the other cgroup, that connects again and
# again.  A must be the completions over the busy share, over full, as
# the status shows them once the traffic is steady, six seconds (24
# ticks) in: the estimate averages the two over the same ticks.  Divided
# as they came, a second's completions by a busy share smoothed over
# five, the first estimate was five times too high and the average took
# minutes to recover.
FULL=500
conf "service port 8081
sample cgroup \"$CG_PATH\"
weight capacity measured full $FULL"
check "a reload with weight capacity measured" ctl reload
idle() { field "cpu busy:" | awk '{ exit !($1 < 2) }'; }
check "the cgroup idle before the step (busy under 2 %)" wait_for 15 idle
in_cgroup "$CG" ip netns exec "$NODE" socat \
    TCP-LISTEN:8081,bind=$N,fork,reuseaddr EXEC:true
wait_for 5 listening 8081 || bail "socat does not listen on 8081"
in_cgroup "$OTHER" ip netns exec "$LB" sh -c "while :; do
	socat -u /dev/null TCP:$N:8081 2>/dev/null || sleep 0.01; done"
CLIENT_LOOP=$CG_PID
n=0
while [ $n -lt 24 ] && sample_tick "$REP"; do n=$((n + 1)); done
check "24 ticks of traffic sampled" test $n -eq 24
busy=$(field "cpu busy:" | awk '{ print $1 }')
done_s=$(field "service ports:" | awk '{ print $5 }')
want=$(awk -v c="$done_s" -v b="$busy" -v f="$FULL" \
    'BEGIN { print c / (b / 100) / f * 100 }')
diag "steady: $done_s completions/s at $busy % busy: A $(capacity) %," \
    "expected $want %"
check "the cgroup is busy enough to be measured (>= 20 %)" \
    awk -v b="$busy" 'BEGIN { exit !(b >= 20) }'
check "measured A within 35 % of completions over busy, 6 s in" \
    awk -v a="$(capacity)" -v w="$want" \
    'BEGIN { exit !(w > 0 && a >= w * 0.65 && a <= w * 1.35) }'
kill "$CLIENT_LOOP"

check "reporter survived every dump (seccomp)" \
    test "$(child_pid "$DAEMON_PID" reporter)" = "$REP"
done_testing
