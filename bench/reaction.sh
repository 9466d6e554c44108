#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# bench/reaction.sh: how soon a load balancer sees a node's change.
# A step in load (stress-ng on every CPU) until the weight seen through
# LBNP (lbnodectl probe), the agent port and HTTP /load has dropped by
# 20 points, with "smooth 5" and "smooth 1"; and "lbnodectl drain" or
# "ready" until the LB receives the ANNOUNCE that says so (target under
# 10 ms).  Not a test: it prints the delays and whether the target is met.
#
#	sh bench/reaction.sh [BUILDDIR]	(as root; BUILDDIR defaults to .)
#
# The node and the LB are network namespaces joined by a veth; every
# loop is bounded.  Needs stress-ng, curl and a C compiler.
set -u
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --poll: run inside the LB namespace by the script itself.  Polls the
# three channels every 50 ms until each shows the step (or LIMIT
# seconds pass) and prints "CHANNEL MS" for each, "-" if never.
if [ "${1:-}" = --poll ]; then
	shift
	client=$1 ctl=$2 node=$3 http=$4 base=$5 t0=$6 limit=$7
	lbnp=- agent=- load=- end=$(( $(date +%s) + limit ))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$lbnp" = - ] && w=$("$ctl" probe -t 1 "$node" |
		    awk '$1 == "weight" { print $2 }') &&
		    [ "${w:-999}" -le $((base - 20)) ] && lbnp=$(ms_since "$t0")
		[ "$agent" = - ] && w=$("$client" agent "$node" 3333 |
		    sed -n 's/^up ready \([0-9]*\)%.*/\1/p') &&
		    [ "${w:-999}" -le $((base - 20)) ] && agent=$(ms_since "$t0")
		[ "$load" = - ] && l=$(curl -s -m 1 "http://$node:$http/load") &&
		    [ "${l:-0}" -ge $((100 - base + 20)) ] && load=$(ms_since "$t0")
		case "$lbnp $agent $load" in *-*) ;; *) break ;; esac
		sleep 0.05
	done
	echo "lbnp $lbnp"; echo "agent $agent"; echo "http $load"
	exit 0
fi

top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-.}" && pwd)
. "$top_srcdir/tests/integ/lib.sh"
need_root
command -v stress-ng >/dev/null || bail "stress-ng is not installed"
command -v curl >/dev/null || bail "curl is not installed"
[ -x "$LBNODED" ] && [ -x "$LBNODECTL" ] ||
    make -C "$top_builddir" lbnoded lbnodectl >/dev/null || bail "cannot build lbnoded"
CLIENT=$LAB_DIR/lbnp_client
. "$top_srcdir/bench/lbnp_build.sh"
lbnp_client_build "$CLIENT"

STEPS=3			# load steps per smooth setting
DRAINS=10		# drain and ready, alternately
HTTP=8080
NODE=lbn-brn-$$ LB=lbn-brl-$$
NODE_ADDR=192.0.2.1
netns_add "$NODE"
netns_add "$LB"
veth_pair "$NODE" n0 "$LB" l0
ip -n "$NODE" addr add "$NODE_ADDR/24" dev n0
ip -n "$LB" addr add 192.0.2.2/24 dev l0
SOCK=$LAB_DIR/ctl.sock
ANN=$LAB_DIR/announces

weight() { ip netns exec "$LB" "$LBNODECTL" probe -t 1 "$NODE_ADDR" | awk '$1 == "weight" { print $2 }'; }
weight_at_least() { [ "$(weight)" -ge "$1" ]; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "-") }'; }
# announce_after T0 AWK-CONDITION: ms from T0 to the first ANNOUNCE after it that matches
announce_after() {
	awk -v t0="$1" "\$1 >= t0 && ($2) { printf \"%.1f\", (\$1 - t0) / 1e6; exit }" "$ANN"
}

start() {	# start SMOOTH: the daemon, with an LB listening to it
	cat >"$LAB_DIR/lbnoded.conf" <<EOF
interface "n0"
control socket "$SOCK"
state file "$LAB_DIR/state"
lb 192.0.2.2
sample every 1
smooth $1
http port $HTTP
EOF
	ip netns exec "$LB" "$CLIENT" listen -t 600 >"$ANN" 2>&1 &
	LISTENER=$!
	LAB_PIDS="$LAB_PIDS $LISTENER"
	daemon_start "$NODE" "$LAB_DIR/lbnoded.conf"
	wait_for 10 weight_at_least 0 || bail "lbnoded does not answer; see $LAB_DIR/daemon.log"
	sleep $(( $1 + 2 ))	# a full moving average
}
stop() {
	kill "$DAEMON_PID" "$LISTENER"
	wait "$DAEMON_PID" "$LISTENER" 2>/dev/null
}

step() {	# step SMOOTH N: one load step, one line
	# The machine may be shared: wait for it to be quiet, bounded.
	if ! wait_for 30 weight_at_least 60; then
		echo "smooth $1 step $2: the node stayed loaded (weight $(weight)); skipped"
		return
	fi
	base=$(weight)
	t0=$(date +%s%N)
	ip netns exec "$NODE" stress-ng --cpu "$(nproc)" --timeout 20s --quiet &
	STRESS=$!
	LAB_PIDS="$LAB_PIDS $STRESS"
	ip netns exec "$LB" sh "$0" --poll "$CLIENT" "$LBNODECTL" "$NODE_ADDR" \
	    "$HTTP" "$base" "$t0" 15 >"$LAB_DIR/poll"
	sleep $(( $1 + 3 ))	# long enough for the average to settle
	kill "$STRESS"; wait "$STRESS" 2>/dev/null
	ann=$(announce_after "$t0" "\$3 <= $((base - 20))")
	low=$(announce_after "$t0" '$3 <= 10')
	printf 'smooth %s step %s: weight %3s; -20 seen by LBNP %5s ms, agent %5s ms, /load %5s ms, ANNOUNCE %7s ms; ANNOUNCE <= 10 %7s ms\n' \
	    "$1" "$2" "$base" $(awk '{ print $2 }' "$LAB_DIR/poll") "${ann:--}" "${low:--}"
	sleep $(( $1 + 2 ))	# until the average has forgotten the step
}

echo "# machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "# load step: stress-ng on every CPU; delay until the weight drops by >= 20"
echo "# (polled every 50 ms from the LB; sampling every 1 s); and until an ANNOUNCE says <= 10"
for smooth in 5 1; do
	start "$smooth"
	trial=1		# not i: wait_for uses it
	while [ $trial -le $STEPS ]; do
		step "$smooth" "$trial"
		trial=$((trial + 1))
	done
	[ "$smooth" -eq 1 ] || stop
done

# The daemon with smooth 1 is still up: drain and ready, alternately.
ip netns exec "$NODE" sh -c '
	ctl=$1 sock=$2 n=$3 i=0
	while [ $i -lt "$n" ]; do
		if [ $((i % 2)) -eq 0 ]; then s=drain; else s=ready; fi
		echo "$(date +%s%N) $s"
		"$ctl" -s "$sock" "$s" >/dev/null || echo "failed $s"
		sleep 0.3; i=$((i + 1))
	done' - "$LBNODECTL" "$SOCK" "$DRAINS" >"$LAB_DIR/drains"
sleep 0.2
grep -q failed "$LAB_DIR/drains" && bail "lbnodectl failed"
while read -r t0 state; do
	d=$(announce_after "$t0" "\$2 == \"$state\" && \$4 == \"change\"")
	echo "${d:-9999}"
done <"$LAB_DIR/drains" >"$LAB_DIR/delays"
stop
sort -n "$LAB_DIR/delays" | awk -v m="$(median <"$LAB_DIR/delays")" '
	NR == 1 { min = $1 } { max = $1; if ($1 >= 9999) missed++ }
	END {
		printf "# lbnodectl drain/ready -> ANNOUNCE at the LB, %d runs:\n", NR
		printf "min %.1f ms, median %.1f ms, max %.1f ms, missed %d\n", min, m, max, missed
		print (max < 10 && !missed ? "target met" : "target NOT met") " (every one under 10 ms)"
	}'
exit 0
