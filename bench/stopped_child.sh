#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# bench/stopped_child.sh: what a load balancer and lbnodectl see, and
# what is logged, while netcfg and then the reporter are stopped with
# SIGSTOP for STOP_S seconds.  Throughout, the LB probes the node every
# second and pushes it a VIP set every 3 seconds, and root runs
# "lbnodectl status" every 2 seconds; the same is measured for STOP_S
# seconds with both children running, as the reference.  Not a test:
# it prints the counts, how soon the hung child was killed, and the log
# lines about it.
#
#	sh bench/stopped_child.sh [BUILDDIR]	(as root; BUILDDIR defaults to .)
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-.}" && pwd)
. "$top_srcdir/tests/integ/lib.sh"
need_root
[ -x "$LBNODED" ] && [ -x "$LBNODECTL" ] || bail "build lbnoded and lbnodectl first"

STOP_S=30
NODE=lbn-bstop-n-$$
LB=lbn-bstop-l-$$
SOCK=$LAB_DIR/ctl.sock
KEY=$LAB_DIR/key
LOG=$LAB_DIR/daemon.log
node_and_lb "$NODE" "$LB"
lab_key "$KEY"
lab_conf "$LAB_DIR/lbnoded.conf" <<EOF
key file "$KEY"
lb 198.18.0.2
accept vip 192.0.2.0/24 tcp port 80
EOF
daemon_start "$NODE" "$LAB_DIR/lbnoded.conf"
wait_for 10 daemon_up || bail "lbnoded did not come up"

now_s() { date +%s; }

# probes END OUT: one probe a second until END, "ok" or "none" a line
probes() {
	while [ "$(now_s)" -lt "$1" ]; do
		if lb "$LBNODECTL" probe -k "$KEY" -t 1 198.18.0.1 >/dev/null 2>&1
		then echo ok; else echo none; fi
		sleep 1
	done >"$2"
}
# pushes END OUT: a push every 3 s until END; its ACK's status, or "none"
pushes() {
	g=$(( $(now_s) * 10 ))
	while [ "$(now_s)" -lt "$1" ]; do
		g=$((g + 1))
		r=$(lb "$LBNODECTL" push -k "$KEY" -g "$g" -t 2 198.18.0.1 \
		    tcp:192.0.2.10:80 2>&1 | sed -n 's/^generation [0-9]*: //p' |
		    head -1)
		echo "${r:-none}"
		sleep 3
	done >"$2"
}
# statuses END OUT: root's lbnodectl status every 2 s: "ok" or its error
statuses() {
	while [ "$(now_s)" -lt "$1" ]; do
		if "$LBNODECTL" -s "$SOCK" status >/dev/null 2>"$LAB_DIR/st.err"
		then echo ok; else sed 's/^lbnodectl: //' "$LAB_DIR/st.err"; fi
		sleep 2
	done >"$2"
}

summary() {	# summary FILE: "N x what" per distinct line
	sort "$1" | uniq -c | awk '{ n = $1; $1 = ""; printf "%s%d x%s", sep, n, $0; sep = "; " }'
}

# window NAME [CHILD]: STOP_S seconds of traffic, CHILD stopped meanwhile
window() {
	name=$1 child=${2:-}
	lines=$(wc -l <"$LOG")
	end=$(( $(now_s) + STOP_S ))
	pid=""
	if [ -n "$child" ]; then
		pid=$(child_pid "$DAEMON_PID" "$child") || bail "no $child"
		kill -STOP "$pid"
	fi
	t0=$(date +%s%N)
	probes "$end" "$LAB_DIR/p.$name" & a=$!
	pushes "$end" "$LAB_DIR/u.$name" & b=$!
	statuses "$end" "$LAB_DIR/s.$name" & c=$!
	killed=-
	if [ -n "$pid" ]; then
		wait_for "$STOP_S" grep -q "$child (pid $pid) has not answered" \
		    "$LOG" && killed=$(( ($(date +%s%N) - t0) / 1000000 ))
	fi
	wait $a $b $c
	[ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null
	echo "== $name =="
	echo "LB probes answered:     $(grep -c '^ok$' "$LAB_DIR/p.$name") of $(wc -l <"$LAB_DIR/p.$name")"
	echo "LB pushes:              $(summary "$LAB_DIR/u.$name")"
	echo "lbnodectl status:       $(summary "$LAB_DIR/s.$name")"
	[ -n "$child" ] && echo "$child killed after:     $killed ms"
	echo "log lines meanwhile about the children and failed work (count, line):"
	tail -n +"$((lines + 1))" "$LOG" |
	    grep -E "has not answered|killed by|exited|restarting|failed|not confirmed" |
	    sed -e 's/pid [0-9]*/pid N/' -e 's/generation [0-9]*/generation G/g' |
	    sort | uniq -c | sort -rn | sed 's/^/    /' | head -12
	# let the restarted child settle before the next window
	wait_for 10 "$LBNODECTL" -s "$SOCK" status >/dev/null
}

window reference
window "netcfg-stopped" netcfg
window "reporter-stopped" reporter
