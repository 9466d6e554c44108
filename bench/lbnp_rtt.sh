#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# bench/lbnp_rtt.sh: how many QUERY -> REPORT round trips per second
# lbnoded answers on loopback, against a bare UDP echo server measured
# in the same run (bench/udp_echo.c, same client, same packets), with
# and without an HMAC key; and the resident memory of its processes.
# Targets: a ratio of at least 0.5, and under 4 MiB RSS per process.
# Not a test: it prints the numbers and whether each target is met.
#
#	sh bench/lbnp_rtt.sh [BUILDDIR]	(as root; BUILDDIR defaults to .)
#
# The reporter limits each source to 20 packets a second (burst 40) in
# a table of 256 sources, and gives a new source the least recently
# heard one's slot with a full bucket.  One source is therefore
# measured apart, to show the limit; the throughput runs send each
# query from the next of 512 addresses in 127.1.0.0/16, so that every
# query finds its source evicted: the daemon does its whole per-packet
# work, the rate-table scan included, and nothing is dropped.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-.}" && pwd)
. "$top_srcdir/tests/integ/lib.sh"
need_root
[ -x "$LBNODED" ] && [ -x "$LBNODECTL" ] ||
    make -C "$top_builddir" lbnoded lbnodectl >/dev/null || bail "cannot build lbnoded"

SECONDS_RUN=2		# per measurement
ROUNDS=3		# the best of this many, alternating daemon and echo
SOURCES=512
PORT=65002 ECHO_PORT=65003
# Where a ping-pong's two ends run changes its rate several times over
# (a wakeup across CPUs costs more than the work), so both are pinned.
SRV_CPU=$(( $(nproc) - 1 ))
CLIENT=$LAB_DIR/lbnp_client
. "$top_srcdir/bench/lbnp_build.sh"
lbnp_client_build "$CLIENT"
cc -O2 -o "$LAB_DIR/udp_echo" "$top_srcdir/bench/udp_echo.c" || bail "cannot build udp_echo"

N=lbn-brtt-$$
netns_add "$N"
# The daemon wants an interface with a real address; a veth pair
# inside the namespace is one that leads nowhere.
ip -n "$N" link add v0 type veth peer name v1 || bail "veth"
ip -n "$N" addr add 198.18.0.1/24 dev v0
ip -n "$N" link set v0 up
ip -n "$N" link set v1 up
KEY=$LAB_DIR/key
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f >"$KEY"
chmod 600 "$KEY"

in_ns() { ip netns exec "$N" "$@"; }
best() { sort -n | tail -1; }
rate() {	# rate PORT CPU [KEY-OPTIONS]: "rate R ok N lost N bad N"
	p=$1 cpu=$2; shift 2
	in_ns taskset -c "$cpu" "$CLIENT" rtt "$@" -n "$SOURCES" -p "$p" \
	    -t "$SECONDS_RUN" 127.0.0.1
}
verdict() { if [ "$1" -eq 1 ]; then echo "target met"; else echo "target NOT met"; fi; }

start_daemon() {	# start_daemon [KEY-LINE]
	cat >"$LAB_DIR/lbnoded.conf" <<EOF
interface "v0"
control socket "$LAB_DIR/ctl.sock"
state file "$LAB_DIR/state"
announce off
agent off
$1
EOF
	daemon_start "$N" "$LAB_DIR/lbnoded.conf"
	wait_for 10 in_ns "$LBNODECTL" probe -t 1 ${2:-} 127.0.0.1 ||
	    bail "lbnoded does not answer; see $LAB_DIR/daemon.log"
	taskset -p -c "$SRV_CPU" "$(child_pid "$DAEMON_PID" reporter)" >/dev/null ||
	    bail "cannot pin the reporter"
}
stop_daemon() { kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; }

# measure LABEL CLIENT-CPU [KEY-OPTIONS]: best daemon and echo rates
RATIO_OK=1
measure() {
	label=$1 cpu=$2; shift 2
	: >"$LAB_DIR/d" ; : >"$LAB_DIR/e"
	# Not through in_ns: $! must be the server, not a subshell.
	ip netns exec "$N" taskset -c "$SRV_CPU" "$LAB_DIR/udp_echo" 127.0.0.1 "$ECHO_PORT" \
	    $((ROUNDS * SECONDS_RUN * 2 + 10)) &
	ECHO=$!
	LAB_PIDS="$LAB_PIDS $ECHO"
	r=0
	while [ $r -lt $ROUNDS ]; do
		rate "$PORT" "$cpu" "$@" >>"$LAB_DIR/d"
		rate "$ECHO_PORT" "$cpu" "$@" >>"$LAB_DIR/e"
		r=$((r + 1))
	done
	kill "$ECHO"; wait "$ECHO" 2>/dev/null
	d=$(awk '{ print $2 }' "$LAB_DIR/d" | best)
	e=$(awk '{ print $2 }' "$LAB_DIR/e" | best)
	lost=$(awk '{ n += $6 + $8 } END { print n + 0 }' "$LAB_DIR/d")
	ratio=$(awk -v d="$d" -v e="$e" 'BEGIN { printf "%.2f", (e > 0 ? d / e : 0) }')
	met=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5) }')
	[ "$met" -eq 1 ] || RATIO_OK=0
	printf '%-24s %9s/s %9s/s %7s   %s (lost/bad: %s)\n' "$label" "$d" "$e" \
	    "$ratio" "$(verdict "$met")" "$lost"
}

echo "# machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "# LBNP round trips on loopback: best of $ROUNDS runs of ${SECONDS_RUN} s, $SOURCES sources"
echo "# the server (reporter, echo) on CPU $SRV_CPU; the client on another CPU or the same"
printf '%-24s %11s %11s %7s   %s\n' "" lbnoded "udp echo" ratio "target >= 0.5"
placements() {	# placements WHAT [KEY-OPTIONS]
	what=$1; shift
	[ "$SRV_CPU" -eq 0 ] || measure "$what, other CPU" 0 "$@"
	measure "$what, same CPU" "$SRV_CPU" "$@"
}

start_daemon ""
placements "no key"
one=$(in_ns "$CLIENT" rtt -n 1 -t "$SECONDS_RUN" 127.0.0.1)
stop_daemon
start_daemon "key file \"$KEY\"" "-k $KEY"
placements "HMAC key" -k "$KEY"
echo "# one source alone (rate limit 20/s, burst 40, no key): $one"

# Memory after the load, the daemon still running with its key.
echo "# resident memory (kB); target < 4096 kB (4 MiB) per process"
# RssFile is mostly library pages shared with the other processes; Pss
# counts each shared page in part.  The target is on VmRSS.
printf '%-10s %7s %7s %7s %7s %7s   %s\n' process VmRSS VmHWM RssAnon RssFile Pss "target < 4 MiB"
RSS_OK=1
for p in monitor netcfg reporter; do
	if [ "$p" = monitor ]; then pid=$DAEMON_PID; else pid=$(child_pid "$DAEMON_PID" "$p"); fi
	[ -n "$pid" ] || bail "no $p process"
	rss=$(status_field "$pid" VmRSS) hwm=$(status_field "$pid" VmHWM)
	met=$(( rss < 4096 ))
	[ "$met" -eq 1 ] || RSS_OK=0
	printf '%-10s %7s %7s %7s %7s %7s   %s\n' "$p" "$rss" "$hwm" \
	    "$(status_field "$pid" RssAnon)" "$(status_field "$pid" RssFile)" \
	    "$(awk '$1 == "Pss:" { print $2 }' "/proc/$pid/smaps_rollup")" \
	    "$(verdict "$met")"
done
stop_daemon
echo "# round trips: $(verdict "$RATIO_OK"); memory: $(verdict "$RSS_OK")"
exit 0
