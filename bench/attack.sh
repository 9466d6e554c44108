#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# bench/attack.sh: the reporter under the attacks of issue 15's
# campaign, with the fd limit systemd gives a service (1024), side by
# side with what the campaign measured before the fixes.
#
#	sh bench/attack.sh [BUILDDIR]	(as root; BUILDDIR defaults to .)
#
# A keyed LB polls every 100 ms (and waits up to a second for each
# answer, as an LB does) while a forger floods QUERYs with a
# made-up MAC from the LB's own address, at 1k and 100k packets a
# second (or as close as the machine lets the flooder come: the rate
# it reached is printed); then the LB's agent checks every 50 ms while 2,000
# connections are held and 2,000 more play slowloris (a header byte a
# second) against the HTTP port.  Each run prints the LB's answered
# share, the reporter's CPU time (utime + stime from /proc) as a share
# of the run's wall time, and the log lines the daemon wrote meanwhile.
# Targets: answered >= 99 %; log lines and CPU bounded.
#
# The flooder and the LB share the node's CPUs here, which a remote
# attacker does not: they are pinned to the first CPU, the reporter to
# the last (as bench/lbnp_rtt.sh does), and both run at nice -5, so
# that the flooder comes near its rate on a busy machine, and the LB
# on the same footing; the reporter runs at the nice -5 lbnoded gives it
# (five levels above the monitor).  The datagrams the node's kernel
# dropped because the reporter's queue was full are printed: they are
# what is lost while the reporter waits for a CPU, whatever it does
# with them; and what a datagram read costs the reporter, which falls as
# the flood fills its batches, and the load average: the rate a CPU
# share can take, and what the machine's other jobs left it.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-.}" && pwd)
. "$top_srcdir/tests/integ/lib.sh"
need_root
ATTACK=$top_builddir/tests/integ/attack
make -C "$top_builddir" lbnoded lbnodectl tests/integ/attack >/dev/null ||
    bail "cannot build"

SECONDS_RUN=10
NODE=lbn-batk-n-$$
LB=lbn-batk-l-$$
N=198.18.0.1
KEY=$LAB_DIR/key
CONF=$LAB_DIR/lbnoded.conf
node_and_lb "$NODE" "$LB"	# $N on vn, the LB on vl
lab_key "$KEY"
lab_conf "$CONF" <<EOF
key file "$KEY"
lb "198.18.0.2"
agent port 3333
http port 8080
announce off
EOF

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
field() { echo "$1" | awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }'; }
log_lines() { wc -l <"$LAB_DIR/daemon.log"; }
# udp_mib: "read dropped": UDP datagrams the node's sockets read (the
# reporter's alone here), and those its kernel dropped for a full
# receive queue
udp_mib() {
	ip netns exec "$NODE" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ { print $2, $6 }' /proc/net/snmp
}
HZ=$(getconf CLK_TCK)
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b ? 100 * a / b : 0 }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (b && a * 100 >= b * 99) ? "met" : "NOT met" }'; }

prlimit --nofile=1024:1024 ip netns exec "$NODE" "$LBNODED" -d -f "$CONF" \
    >>"$LAB_DIR/daemon.log" 2>&1 &
DAEMON_PID=$!
LAB_PIDS="$LAB_PIDS $DAEMON_PID"
wait_for 10 lb "$ATTACK" agent -i 100 -t 1 $N 3333 ||
    bail "lbnoded does not answer; see $LAB_DIR/daemon.log"
REP=$(child_pid "$DAEMON_PID" reporter)
taskset -p -c $(( $(nproc) - 1 )) "$REP" >/dev/null || bail "cannot pin the reporter"

# window CMD...: run CMD, print "cpu% lines" of the reporter meanwhile
START_CPU=0 START_LINES=0 START_T=0
window_open() { START_CPU=$(cpu_ticks "$REP"); START_LINES=$(log_lines); START_T=$(date +%s%N); }
window_close() {
	t=$(( ($(date +%s%N) - START_T) / 10000000 ))	# in 1/100 s
	WIN_TICKS=$(( $(cpu_ticks "$REP") - START_CPU ))
	WIN_CPU=$(pct $(( WIN_TICKS * 100 / HZ )) "$t")
	WIN_LINES=$(( $(log_lines) - START_LINES ))
}

echo "lbnoded under attack ($(nproc) CPUs; reporter fd limit 1024)"
echo
printf '%-44s %-22s %-34s %s\n' "case" "answered" "campaign, before the fixes" "target"
flood() {	# flood PPS CAMPAIGN
	set -- "$@" $(udp_mib)
	window_open
	lb taskset -c 0 nice -n -5 "$ATTACK" flood -r "$1" -t $((SECONDS_RUN + 1)) $N >"$LAB_DIR/flood.out" &
	f=$!
	r=$(lb taskset -c 0 nice -n -5 "$ATTACK" poll -k "$KEY" -i 100 -t $SECONDS_RUN $N)
	wait "$f"
	window_close
	a=$(field "$r" answered) s=$(field "$r" sent)
	set -- "$@" $(udp_mib)
	printf '%-44s %-22s %-34s %s\n' \
	    "keyed LB, forged flood $1/s (sent $(( $(field "$(cat "$LAB_DIR/flood.out")" sent) / (SECONDS_RUN + 1) ))/s)" \
	    "$a/$s = $(pct "$a" "$s") %" "$2" ">= 99 %, $(verdict "$a" "$s")"
	printf '%-44s reporter CPU %s %%, %s us a datagram read, %s log lines\n' \
	    "" "$WIN_CPU" "$(awk -v c="$WIN_TICKS" -v n=$(($5 - $3)) -v hz="$HZ" \
	    'BEGIN { printf "%.2f", n ? c * 1e6 / hz / n : 0 }')" "$WIN_LINES"
	printf '%-44s %s dropped by the kernel, load average %s\n' \
	    "" $(($6 - $4)) "$(cut -d' ' -f1-3 /proc/loadavg)"
}
flood 1000 "1.5 % (at 913/s)"
flood 100000 "-"

window_open
lb "$ATTACK" hold -n 2000 -t $((SECONDS_RUN + 2)) $N 8080 >/dev/null &
h1=$!
lb "$ATTACK" hold -n 2000 -s -t $((SECONDS_RUN + 2)) $N 8080 >/dev/null &
h2=$!
sleep 1
r=$(lb "$ATTACK" agent -i 50 -t $SECONDS_RUN $N 3333)
wait "$h1" "$h2"
window_close
a=$(field "$r" answered) s=$(field "$r" sent)
printf '%-44s %-22s %-34s %s\n' "agent checks, 2,000 held + 2,000 slowloris" \
    "$a/$s = $(pct "$a" "$s") %" "0 of 10" ">= 99 %, $(verdict "$a" "$s")"
printf '%-44s reporter CPU %s %%, %s log lines %-8s %s\n' "" "$WIN_CPU" \
    "$WIN_LINES" "" "(campaign: 100 % CPU, 560 MB of log in 20 s)"
