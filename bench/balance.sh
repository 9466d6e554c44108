#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# bench/balance.sh: do lbnoded's weights make an L4 balancer keep
# latency down?  Three nodes, each in cgroups of its own with a CPU
# quota, serve HTTP requests that cost a fixed CPU time, behind a real
# HAProxy; a client offers a fixed rate (open loop).  Not a test: it
# prints tables, medians and ranges over the runs, and says which
# targets are met.
#
#	sh bench/balance.sh [BUILDDIR [RUNS [SCENARIO...]]]
#
# BUILDDIR defaults to ., RUNS (per cell) to 5, the scenarios to A B C:
#   A  a CPU hog in node 1's cgroup; every node has QUOTA_US.
#   B  unequal capacity, QUOTAS_B (0.2/0.4/0.4 CPU), at each of RATES_B,
#      against roundrobin with the ideal static weights (the quotas).
#   C  the reporter's CPU and memory with C_CONNS established sockets on
#      its service port, at the fast tick; with C_BASELINE=LBNODED, also
#      that binary's over the same windows, for a before and after.
# Strategies: static (roundrobin, equal weights), ideal (B only),
# leastconn, and roundrobin, leastconn and random(2) on lbnoded's
# weights ("weight from saturation", "weight capacity quota") through
# HAProxy's agent-check; rr+lbn-m (B only) is roundrobin on weights
# whose capacity lbnoded measures ("weight capacity measured"): the
# nodes are reloaded into that mode for its runs and back after, and
# the estimate carries over from one such run to the next, as on a
# node that has been running.
# The runs interleave the strategies, so a change in the machine's load
# hits them alike.  Nothing is tuned per strategy: every knob is an
# environment variable, printed with the results.  BAL_TRACE=1 adds each
# node's P, stall and delay to the weight logs.  BAL_KEEP=DIR keeps
# the raw per-request records and weight logs there.
#
# Everything runs in namespaces and cgroups of its own, removed on exit
# or interrupt; every loop is bounded.  Needs haproxy, socat and a C
# compiler, the cgroup v1 cpu and cpuacct hierarchies, and uses the
# unified (v2) hierarchy of a hybrid host for per-node PSI if mounted
# at /sys/fs/cgroup/unified.
#
#   client ---- lb (haproxy) ---- node1, node2, node3, nodeC (bridge)
#   198.51.100.2   198.51.100.1 | 192.0.2.1   192.0.2.11-13, 192.0.2.20
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-.}" && pwd)
RUNS=${2:-5}
if [ $# -gt 2 ]; then shift 2; SCENARIOS=$*; else SCENARIOS="A B C"; fi
. "$top_srcdir/tests/integ/lib.sh"
need_root

RATE_A=${RATE_A:-360}		# A: requests/s, 60% of 3 x 0.4 CPU / 2 ms
WARMUP=${WARMUP:-10}		# A: seconds before the hog
HOG=${HOG:-30}			# A: seconds with the hog
AFTER=${AFTER:-20}		# A: seconds after it
RATES_B=${RATES_B:-"300 400"}	# B: requests/s, of 500 the quotas allow
DUR_B=${DUR_B:-30}		# B: seconds a run
SKIP_B=${SKIP_B:-5}		# B: first seconds left out of the figures
BURN_US=${BURN_US:-2000}	# CPU time per request
QUOTA_US=${QUOTA_US:-40000}	# A: every node's quota, of PERIOD_US
QUOTAS_B=${QUOTAS_B:-"20000 40000 40000"}
PERIOD_US=${PERIOD_US:-100000}
SAMPLE=${SAMPLE:-250ms}		# lbnoded: sample every
WMIN=${WMIN:-1}			# lbnoded: weight min
CAP_FULL=${CAP_FULL:-0.4}	# lbnoded: weight capacity quota full, in
				# CPUs: the pool's largest node
CAP_RATE=${CAP_RATE:-200}	# lbnoded: weight capacity measured full, in
				# connections/s: 0.4 CPU / BURN_US
AGENT_INTER=${AGENT_INTER:-250}	# HAProxy agent-inter, ms
TIMEOUT_MS=${TIMEOUT_MS:-10000}	# the client gives up on a request
COOL=${COOL:-5}			# seconds between runs
C_CONNS=${C_CONNS:-10000}	# C: established sockets
C_SECS=${C_SECS:-20}		# C: seconds measured, with and without them
STRAT_A=${STRAT_A:-"static leastconn rr+lbn lc+lbn rnd2+lbn"}
STRAT_B=${STRAT_B:-"ideal static leastconn rr+lbn rr+lbn-m lc+lbn rnd2+lbn"}
NODES="1 2 3"

case $RUNS in ''|*[!0-9]*|0) bail "RUNS must be a positive number" ;; esac
for s in $SCENARIOS; do
	case $s in A|B|C) ;; *) bail "unknown scenario $s (A, B or C)" ;; esac
done
command -v haproxy >/dev/null || bail "haproxy is not installed"
command -v socat >/dev/null || bail "socat is not installed"
getent passwd _lbnoded >/dev/null || bail "no user _lbnoded: run tools/setup"
[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ] &&
    [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ] ||
    bail "needs the cgroup v1 cpu and cpuacct hierarchies in /sys/fs/cgroup"
[ -x "$top_builddir/lbnoded" ] || make -C "$top_builddir" lbnoded >/dev/null ||
    bail "cannot build lbnoded"
SERVER=$LAB_DIR/balance_server
LOAD=$LAB_DIR/balance_load
HOLD=$LAB_DIR/balance_hold
for p in server load hold; do
	cc -O2 -Wall -o "$LAB_DIR/balance_$p" "$top_srcdir/bench/balance_$p.c" ||
	    bail "cannot build the bench programs"
done

CG=lbn-bal-$$-node
UNIFIED=/sys/fs/cgroup/unified
[ -f "$UNIFIED/cgroup.procs" ] || UNIFIED=""
HIERARCHIES="/sys/fs/cgroup/cpu /sys/fs/cgroup/cpuacct $UNIFIED"
CGDIRS=""

bal_cleanup() {
	for d in $CGDIRS; do
		[ -f "$d/cgroup.procs" ] && xargs -r kill -9 <"$d/cgroup.procs" \
		    2>/dev/null
	done
	lab_cleanup
	for d in $CGDIRS; do
		n=0
		while [ -d "$d" ] && ! rmdir "$d" 2>/dev/null && [ $n -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		[ -d "$d" ] && echo "balance: could not remove $d" >&2
	done
}
trap bal_cleanup EXIT
trap 'exit 130' INT TERM

now_us() { date +%s%6N; }
# A signal's trap runs at once during "wait", not after a foreground sleep.
nap() { sleep "$1" & wait $!; }

# --- the lab --------------------------------------------------------------
C=lbn-bal-c-$$ L=lbn-bal-lb-$$
netns_add "$C"
netns_add "$L"
veth_pair "$C" c0 "$L" l0
ip -n "$C" addr add 198.51.100.2/24 dev c0
ip -n "$L" addr add 198.51.100.1/24 dev l0
ip -n "$L" link add br0 type bridge || bail "bridge"
ip -n "$L" link set br0 up
ip -n "$L" addr add 192.0.2.1/24 dev br0
for i in $NODES; do
	netns_add "lbn-bal-n$i-$$"
	veth_pair "lbn-bal-n$i-$$" n0 "$L" "l$i"
	ip -n "$L" link set "l$i" master br0
	ip -n "lbn-bal-n$i-$$" addr add "192.0.2.1$i/24" dev n0
	for h in $HIERARCHIES; do
		mkdir "$h/$CG$i" || bail "mkdir $h/$CG$i"
		CGDIRS="$CGDIRS $h/$CG$i"
	done
	echo "$PERIOD_US" >"/sys/fs/cgroup/cpu/$CG$i/cpu.cfs_period_us" ||
	    bail "cannot set the CPU period"
done

# set_quotas Q1 Q2 Q3: the nodes' CPU quotas, in us of PERIOD_US.
set_quotas() {
	for i in $NODES; do
		eval "q=\$$i"
		echo "$q" >"/sys/fs/cgroup/cpu/$CG$i/cpu.cfs_quota_us" ||
		    bail "cannot set the CPU quota"
	done
}

# in_node I [CGROUP] COMMAND...: run COMMAND in node I's namespace, and
# in its cgroups if asked.  nsenter, not "ip netns exec", which mounts a
# sysfs of the namespace over /sys and so hides /sys/fs/cgroup.
in_node() {
	node_i=$1; shift
	if [ "$1" = CGROUP ]; then
		shift
		procs=""
		for h in $HIERARCHIES; do
			procs="$procs $h/$CG$node_i/cgroup.procs"
		done
		set -- sh -c 'for f in $1; do echo $$ >"$f" || exit 1; done;
		    shift; exec "$@"' sh "$procs" "$@"
	fi
	nsenter --net="/run/netns/lbn-bal-n$node_i-$$" "$@" &
	LAB_PIDS="$LAB_PIDS $!"
}

# node_conf NAME INTERFACE [CGROUP [CAPACITY]]: lbnoded's configuration.
node_conf() {
	cat <<EOC
interface "$2"
lb 192.0.2.1
sample every $SAMPLE
${3:+sample cgroup \"$3\"}
weight from saturation
weight capacity ${4:-quota full $CAP_FULL}
weight min $WMIN
service port 80
announce off
agent port 3333
http off
control socket "$LAB_DIR/$1.sock"
state file "$LAB_DIR/$1.state"
EOC
}

# node_conf_write I CAPACITY: node I's configuration file, its cgroup's.
node_conf_write() {
	node_conf "node$1" n0 "/sys/fs/cgroup/cpu/$CG$1" "$2" \
	    >"$LAB_DIR/node$1.conf"
}

NODE_CAP="quota full $CAP_FULL"
A_SECS=$((WARMUP + HOG + AFTER))
NB=$(echo $RATES_B | wc -w)
LIFETIME=$(( RUNS * ( $(echo $STRAT_A | wc -w) * (A_SECS + COOL + 10) +
    NB * $(echo $STRAT_B | wc -w) * (DUR_B + COOL + 10) ) + 300 ))
for i in $NODES; do
	in_node "$i" CGROUP "$SERVER" "node$i" "192.0.2.1$i" 80 "$BURN_US" "$LIFETIME"
	# lbnoded itself stays outside the limited cgroup: it samples it.
	node_conf_write "$i" "$NODE_CAP"
	in_node "$i" "$LBNODED" -d -f "$LAB_DIR/node$i.conf" \
	    >>"$LAB_DIR/daemon.log" 2>&1
done
for k in $NODES; do
	wait_for 10 sh -c "$(command -v ip) netns exec $L socat -T1 - \
	    TCP:192.0.2.1$k:3333 </dev/null | grep -q ready" ||
	    bail "lbnoded on node$k does not answer agent checks"
done
grep "no CPU accounting" "$LAB_DIR/daemon.log" &&
    bail "lbnoded cannot sample the cgroup"

# --- one run ------------------------------------------------------------------
haproxy_conf() {	# haproxy_conf STRATEGY
	strat=$1
	agent="agent-check agent-port 3333 agent-inter ${AGENT_INTER}ms"
	case $1 in
	static|ideal)	bal=roundrobin agent="" ;;
	leastconn)	bal=leastconn agent="" ;;
	rr+lbn|rr+lbn-m) bal=roundrobin ;;
	lc+lbn)		bal=leastconn ;;
	rnd2+lbn)	bal="random(2)" ;;
	esac
	cat <<EOH
global
	maxconn 8000
	nbthread 1
	stats socket $LAB_DIR/haproxy.sock mode 600 level admin
defaults
	mode http
	option httpclose
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend fe
	bind 198.51.100.1:80
	default_backend be
backend be
	balance $bal
EOH
	set -- $QUOTAS
	for i in $NODES; do
		w=100
		[ "$strat" = ideal ] && eval "w=\$(( \$$i / 1000 ))"
		echo "	server node$i 192.0.2.1$i:80 weight $w $agent"
	done
}

# The weights HAProxy uses, every half second: "TIME_US W1 W2 W3", and
# with BAL_TRACE=1 each node's last tick after them: "P% STALL% DELAY_MS".
weight_log() {	# weight_log SECONDS
	n=$(( ($1 + 2) * 2 ))
	while [ $n -gt 0 ]; do
		t=$(now_us)
		echo "show stat -1 4 -1" |
		    socat -T1 - "UNIX-CONNECT:$LAB_DIR/haproxy.sock" 2>/dev/null |
		    awk -F, -v t="$t" -v tr="$(node_trace)" '$1 == "be" &&
			$2 ~ /^node/ { w[substr($2, 5)] = $19 }
			END { print t, w[1], w[2], w[3] tr }'
		sleep 0.5
		n=$((n - 1))
	done
}

# Each node's saturation, stall and delay at its last tick, for BAL_TRACE.
node_trace() {
	[ "${BAL_TRACE:-0}" = 1 ] || return 0
	for i in $NODES; do
		"$LBNODECTL" -s "$LAB_DIR/node$i.sock" -j status 2>/dev/null |
		    tr ',' '\n' | awk -F: '
			$1 == "\"saturation_pct\"" { p = $2 }
			$1 == "\"cpu_stall_pct\"" { s = $2 }
			$1 == "\"delay_us\"" { d = $2 / 1000 }
			END { printf " | %s %s %.0f", p, s, d }'
	done
}

# The swing of node2's and node3's weights from 6 s after the hog's
# start to its end: "LOW HIGH".
weight_swing() {	# weight_swing FILE HOG0 HOG1
	awk -v hog="$2" -v end="$3" 'BEGIN { lo = 1000; hi = -1 }
	$1 >= hog + 6000000 && $1 < end {
		for (f = 3; f <= 4; f++) {
			if ($f < lo) lo = $f
			if ($f > hi) hi = $f
		}
	}
	END { if (hi >= 0) print lo, hi; else print "- -" }' "$1"
}

# node_capacity STRATEGY: every node's "weight capacity" for it, by a
# reload when it changes.
node_capacity() {
	cap="quota full $CAP_FULL"
	[ "$1" = rr+lbn-m ] && cap="measured full $CAP_RATE"
	[ "$cap" = "$NODE_CAP" ] && return 0
	for i in $NODES; do
		node_conf_write "$i" "$cap"
		"$LBNODECTL" -s "$LAB_DIR/node$i.sock" reload >/dev/null ||
		    bail "node$i does not reload into weight capacity $cap"
	done
	NODE_CAP=$cap
}

# run_one SCENARIO RATE STRATEGY RUN: one run; its report lines go to
# $LAB_DIR/report, labelled SCENARIO/RATE/STRATEGY/RUN.
run_one() {
	sc=$1 rate=$2 s=$3 r=$4
	label=$sc/$rate/$s/$r
	secs=$A_SECS
	[ "$sc" = B ] && secs=$DUR_B
	node_capacity "$s"
	haproxy_conf "$s" >"$LAB_DIR/haproxy.cfg"
	ip netns exec "$L" haproxy -db -f "$LAB_DIR/haproxy.cfg" \
	    >>"$LAB_DIR/haproxy.log" 2>&1 &
	hp=$!
	LAB_PIDS="$LAB_PIDS $hp"
	wait_for 5 sh -c "printf 'GET / HTTP/1.0\r\n\r\n' |
	    $(command -v ip) netns exec $C socat -T2 - TCP:198.51.100.1:80 |
	    grep -q node=" ||
	    bail "haproxy does not forward ($label): $(tail -5 "$LAB_DIR/haproxy.log")"
	weight_log "$secs" >"$LAB_DIR/weights" &
	wl=$!
	LAB_PIDS="$LAB_PIDS $wl"
	t0=$(now_us)
	ip netns exec "$C" "$LOAD" run 198.51.100.1 80 "$rate" "$secs" \
	    "$TIMEOUT_MS" "$LAB_DIR/raw" >"$LAB_DIR/load.out" 2>&1 &
	lg=$!
	if [ "$sc" = A ]; then
		nap "$WARMUP"
		in_node 1 CGROUP sh -c 'while :; do :; done'
		hog=$!
		hog0=$(now_us)
		nap "$HOG"
		kill "$hog"
		hog1=$(now_us)
	else
		hog0=$((t0 + SKIP_B * 1000000))
		hog1=$((t0 + DUR_B * 1000000))
	fi
	wait "$lg" || bail "load generator failed ($label): $(cat "$LAB_DIR/load.out")"
	wait "$wl"
	kill "$hp"
	wait "$hp" 2>/dev/null
	printf '  %-16s %s\n' "$label" "$(cat "$LAB_DIR/load.out")"
	"$LOAD" report "$label" "$hog0" "$hog1" node1 node1,node2,node3 \
	    "$LAB_DIR/raw" >>"$LAB_DIR/report" || bail "report failed"
	echo "$label $(weight_swing "$LAB_DIR/weights" "$hog0" "$hog1")" \
	    >>"$LAB_DIR/swings"
	if [ -n "${BAL_KEEP:-}" ]; then
		k=$BAL_KEEP/$(echo "$label" | tr '/+' '__')
		mkdir -p "$BAL_KEEP" && cp "$LAB_DIR/raw" "$k.raw" &&
		    cp "$LAB_DIR/weights" "$k.weights" &&
		    echo "$label $hog0 $hog1" >>"$BAL_KEEP/hogtimes"
	fi
	nap "$COOL"
}

# --- the tables ---------------------------------------------------------------
# cells SCENARIO PHASE: per strategy and rate, the median and range over
# the runs of p99, p50, node1's share, the failures and the time column.
cells() {	# cells SCENARIO PHASE [notime]
	awk -v sc="$1" -v ph="$2" -v notime="${3:-}" '
	function sortn(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
	}
	function med(key, col,   n, i, a, v) {
		n = cnt[key]
		for (i = 1; i <= n; i++)
			a[i] = val[key, i, col]
		sortn(a, n)
		v = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		lo[col] = a[1]; hi[col] = a[n]
		return v
	}
	function ms(v) { return v >= 1e17 ? "FAILED" : sprintf("%.1f", v / 1000) }
	function fmt(v, f) { return f == "ms" ? ms(v) : sprintf("%.3f", v) }
	function rng(col, f) {
		if (cnt[k] < 2)
			return ""
		return sprintf(" [%s-%s]", fmt(lo[col], f), fmt(hi[col], f))
	}
	{
		split($1, l, "/")
		if (l[1] != sc || $2 != ph) next
		k = l[2] " " l[3]
		if (!(k in cnt)) order[++nk] = k
		n = ++cnt[k]
		val[k, n, 1] = $12 == "FAILED" ? 1e18 : $12
		val[k, n, 2] = $11 == "FAILED" ? 1e18 : $11
		val[k, n, 3] = $3 ? $4 / $3 : 0
		val[k, n, 4] = $7 + $8 + $9 + $10
		val[k, n, 5] = notime || $14 == "-" ? -1 : $14 == "never" ? 1e18 : $14
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			split(k, kk, " ")
			p99 = med(k, 1); p99r = rng(1, "ms")
			p50 = med(k, 2)
			sh = med(k, 3); shr = rng(3, "")
			fl = med(k, 4)
			t = med(k, 5); tr = rng(5, "ms")
			ts = t < 0 ? "-" : t >= 1e17 ? "never" : sprintf("%.1f", t / 1000)
			if (t < 0) tr = ""
			printf "  %-4s %-9s %2d %9s%-20s %8s %6.3f%-14s %6d %7s%s\n",
			    kk[1], kk[2], cnt[k], ms(p99), p99r, ms(p50), sh, shr,
			    fl, ts, tr
			print sc, ph, kk[1], kk[2], p99, (t >= 0 ? t : "-") >> MEDIANS
		}
	}' MEDIANS="$LAB_DIR/medians" "$LAB_DIR/report"
}

cell_header() {	# cell_header TITLE TIME-COLUMN
	echo
	echo "$1"
	printf "  %-4s %-9s %2s %29s %8s %20s %6s %7s\n" rate strategy n \
	    "p99 ms, median [range]" "p50 ms" "node1 share [range]" fails "$2"
}

# --- scenario C ---------------------------------------------------------------
# nodeC0 runs this build, nodeC1 C_BASELINE's lbnoded if set, each in a
# namespace of its own on the bridge (192.0.2.20, .21) holding C_CONNS
# connections of its own, both measured over the same windows: counting
# connections walks the host's table of TCP sockets, every namespace's,
# so each sees the other's too, and the TIME_WAIT ones of A and B.
C_NODES=0
[ -n "${C_BASELINE:-}" ] && C_NODES="0 1"
cpu_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; }
tcp_sockets() {
	awk '$1 ~ /^(TCP|TCPv6|tw_sock_TCP|tw_sock_TCPv6)$/ { n += $2 }
	    END { print n + 0 }' /proc/slabinfo
}
established() {	# established I
	"$LBNODECTL" -s "$LAB_DIR/nodeC$1.sock" status |
	    awk '/^service ports:/ { print $5 }'
}
counted_all() { [ "$(established "$1")" -ge "$C_CONNS" ] 2>/dev/null; }

c_node() {	# c_node I BINARY: sets C_REP_I, its reporter
	k=lbn-bal-k$1-$$
	netns_add "$k"
	veth_pair "$k" k0 "$L" "lk$1"
	ip -n "$L" link set "lk$1" master br0
	ip -n "$k" addr add "192.0.2.2$1/24" dev k0
	node_conf "nodeC$1" k0 >"$LAB_DIR/nodeC$1.conf"
	nsenter --net="/run/netns/$k" "$2" -d -f "$LAB_DIR/nodeC$1.conf" \
	    >>"$LAB_DIR/daemon.log" 2>&1 &
	mon=$!
	LAB_PIDS="$LAB_PIDS $mon"
	wait_for 10 child_pid "$mon" reporter || bail "no reporter in nodeC$1"
	eval "C_REP_$1=$(child_pid "$mon" reporter)"
}

c_hold() {	# c_hold I: C_CONNS connections to nodeC I's service port
	nsenter --net="/run/netns/lbn-bal-k$1-$$" "$HOLD" "192.0.2.2$1" 80 \
	    "$C_CONNS" $((C_SECS + 30)) >"$LAB_DIR/hold$1.out" 2>&1 &
	LAB_PIDS="$LAB_PIDS $!"
	eval "C_HOLD_$1=$!"
	wait_for 60 grep -q holding "$LAB_DIR/hold$1.out" ||
	    bail "cannot hold $C_CONNS connections: $(cat "$LAB_DIR/hold$1.out")"
	wait_for 10 counted_all "$1" ||
	    bail "nodeC$1 does not count the connections: $(established "$1")"
}

# c_window PHASE: every reporter's CPU (% of a core) over the same C_SECS,
# and its VmRSS, as "PHASE I PCT RSS" lines in $LAB_DIR/c.
c_window() {
	for i in $C_NODES; do
		eval "r=\$C_REP_$i"
		eval "a_$i=$(cpu_ns "$r")"
	done
	t=$(now_us); nap "$C_SECS"; t=$(( $(now_us) - t ))
	for i in $C_NODES; do
		eval "r=\$C_REP_$i a=\$a_$i"
		echo "$1 $i $(( $(cpu_ns "$r") - a )) $t $(status_field "$r" VmRSS)"
	done | awk '{ printf "%s %s %.2f %s\n", $1, $2, $3 / $4 / 10, $5 }' \
	    >>"$LAB_DIR/c"
}

# c_median PHASE I COLUMN: the median over the runs, and "[low-high]".
c_median() {
	awk -v ph="$1" -v i="$2" -v c="$3" '$1 == ph && $2 == i { v[++n] = $c }
	END {
		for (j = 2; j <= n; j++)
			for (k = j; k > 1 && v[k - 1] > v[k]; k--) {
				t = v[k]; v[k] = v[k - 1]; v[k - 1] = t
			}
		m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		printf "%s%s", m, (n > 1 ? " [" v[1] "-" v[n] "]" : "") }' "$LAB_DIR/c"
}
c_cell() {	# c_cell PHASE I: "CPU P %, R kB", medians [ranges]
	echo "CPU $(c_median "$1" "$2" 3) %, VmRSS $(c_median "$1" "$2" 4) kB"
}

c_unhold() {	# c_unhold I: the connections of c_hold I closed
	eval "h=\$C_HOLD_$1"
	for p in $(children_of "$h") $h; do kill "$p"; done
	wait "$h" 2>/dev/null
}

scenario_c() {
	: >"$LAB_DIR/c"
	c_node 0 "$LBNODED"
	[ -n "${C_BASELINE:-}" ] && c_node 1 "$C_BASELINE"
	nap 2
	for r in $(seq "$RUNS"); do
		socks="${socks:-}${socks:+, }$(tcp_sockets)"
		c_window idle
		for i in $C_NODES; do c_hold "$i"; done
		socks="$socks/$(tcp_sockets)"
		c_window full
		seen="${seen:-}${seen:+ }$(established 0)"
		for i in $C_NODES; do c_unhold "$i"; done
	done
	echo
	echo "Scenario C: the reporter at sample every $SAMPLE, weight from" \
	    "saturation; $RUNS run(s), median [range]"
	echo "  TCP sockets on the host in each run, without/with the" \
	    "connections: $socks"
	printf "  %-22s %-48s %s\n" "" "no connections" "$C_CONNS established"
	printf "  %-22s %-48s %s\n" "this build" "$(c_cell idle 0)" \
	    "$(c_cell full 0)"
	[ -n "${C_BASELINE:-}" ] && printf "  %-22s %-48s %s\n" \
	    "baseline (C_BASELINE)" "$(c_cell idle 1)" "$(c_cell full 1)"
	echo "  this build's status counted: $seen"
	awk '$1 == "full" && $2 == 0 { if ($3 > c) c = $3; if ($4 > r) r = $4 }
	    END { printf "  target (every run) CPU < 1 %%: %s; RSS < 4 MiB: %s\n",
		c < 1 ? "met" : "NOT met", r < 4096 ? "met" : "NOT met" }' \
	    "$LAB_DIR/c"
}

# --- the schedule -------------------------------------------------------------
echo "balance: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' \
    /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  scenarios $SCENARIOS, $RUNS run(s) a cell; RATE_A=$RATE_A" \
    "WARMUP=$WARMUP HOG=$HOG AFTER=$AFTER RATES_B=\"$RATES_B\" DUR_B=$DUR_B" \
    "SKIP_B=$SKIP_B"
echo "  BURN_US=$BURN_US QUOTA_US=$QUOTA_US QUOTAS_B=\"$QUOTAS_B\"" \
    "PERIOD_US=$PERIOD_US TIMEOUT_MS=$TIMEOUT_MS COOL=$COOL" \
    "C_CONNS=$C_CONNS C_SECS=$C_SECS C_BASELINE=${C_BASELINE:-}"
echo "  lbnoded: weight from saturation, sample every $SAMPLE, weight min" \
    "$WMIN, weight capacity quota full $CAP_FULL (rr+lbn-m: measured" \
    "full $CAP_RATE), service port 80," \
    "sample cgroup (v1), PSI from" \
    "${UNIFIED:-/proc/pressure/cpu (no unified hierarchy)}"
echo "  haproxy: agent-inter ${AGENT_INTER}ms, option httpclose, nbthread 1;" \
    "BAL_TRACE=${BAL_TRACE:-0}"
: >"$LAB_DIR/report"
: >"$LAB_DIR/swings"
for r in $(seq "$RUNS"); do
	for sc in $SCENARIOS; do
		case $sc in
		A)	QUOTAS="$QUOTA_US $QUOTA_US $QUOTA_US"
			set_quotas $QUOTAS
			for s in $STRAT_A; do run_one A "$RATE_A" "$s" "$r"; done ;;
		B)	QUOTAS=$QUOTAS_B
			set_quotas $QUOTAS
			for rate in $RATES_B; do
				for s in $STRAT_B; do run_one B "$rate" "$s" "$r"; done
			done ;;
		esac
	done
done
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

: >"$LAB_DIR/medians"
case " $SCENARIOS " in *" A "*)
	cell_header "Scenario A, before the hog (node1's fair share 0.333):" "-"
	cells A pre
	cell_header "Scenario A, under the hog (t: node1 under half its share, s):" "t_half"
	cells A hog
	cell_header "Scenario A, after the hog (t: node1 back to 0.8 of fair, s):" "t_back"
	cells A post
	echo
	echo "node2/node3 weights in HAProxy from +6 s to the hog's end (low high):"
	awk '$1 ~ /^A\// && $2 != "-" { printf "  %-18s %s %s\n", $1, $2, $3 }' \
	    "$LAB_DIR/swings"
esac
case " $SCENARIOS " in *" B "*)
	cell_header "Scenario B, quotas $QUOTAS_B of $PERIOD_US (node1's fair share by capacity 0.2):" "-"
	cells B hog notime
esac

# --- the verdicts -------------------------------------------------------------
# verdict NAME VALUE LIMIT: "met" when VALUE <= LIMIT.  1e18 stands for
# failed requests at that percentile, or "never".
verdict() {
	awk -v n="$1" -v v="$2" -v l="$3" 'BEGIN {
		if (v == "" || l == "") r = "no data"
		else if (v + 0 >= 1e17) r = "NOT met (failed requests, or never)"
		else if (l + 0 >= 1e17) r = "no reference (it failed)"
		else r = v + 0 <= l + 0 ? "met" : "NOT met"
		printf "  %-58s %s\n", n, r }'
}
med() {	# med SCENARIO PHASE RATE STRATEGY [t]: a median from the tables
	awk -v sc="$1" -v ph="$2" -v r="$3" -v s="$4" -v c="${5:-p}" \
	    '$1 == sc && $2 == ph && $3 == r && $4 == s {
		print c == "t" ? $6 : $5 }' "$LAB_DIR/medians"
}
case " $SCENARIOS " in *" A "*)
	lc=$(med A hog "$RATE_A" leastconn)
	echo
	echo "Targets, scenario A (medians):"
	verdict "rr+lbn p99 under the hog <= 3x leastconn's" \
	    "$(med A hog "$RATE_A" rr+lbn)" "$(awk -v v="$lc" 'BEGIN { print 3 * v }')"
	verdict "lc+lbn p99 under the hog <= 1.1x leastconn's" \
	    "$(med A hog "$RATE_A" lc+lbn)" "$(awk -v v="$lc" 'BEGIN { print 1.1 * v }')"
	verdict "rr+lbn: node1 under half its share within 1.5 s" \
	    "$(med A hog "$RATE_A" rr+lbn t)" 1500
	verdict "rr+lbn: node1 back to 0.8 of fair within 15 s" \
	    "$(med A post "$RATE_A" rr+lbn t)" 15000
	verdict "rr+lbn p99 before the hog <= 1.2x static's" \
	    "$(med A pre "$RATE_A" rr+lbn)" \
	    "$(awk -v v="$(med A pre "$RATE_A" static)" 'BEGIN { print 1.2 * v }')"
	verdict "healthy nodes' weights swing <= 10 points (widest run)" \
	    "$(awk '$1 ~ /^A\// && $2 != "-" { d = $3 - $2; if (d > m) m = d }
		END { print m + 0 }' "$LAB_DIR/swings")" 10
esac
case " $SCENARIOS " in *" B "*)
	echo
	echo "Targets, scenario B (medians):"
	for rate in $RATES_B; do
		for s in rr+lbn rr+lbn-m; do
			verdict "$rate req/s: $s p99 <= 1.5x ideal static weights" \
			    "$(med B hog "$rate" "$s")" \
			    "$(awk -v v="$(med B hog "$rate" ideal)" \
			    'BEGIN { print 1.5 * v }')"
		done
	done
	hi=${RATES_B##* }
	verdict "$hi req/s: lc+lbn p99 <= 0.7x leastconn (a hypothesis)" \
	    "$(med B hog "$hi" lc+lbn)" \
	    "$(awk -v v="$(med B hog "$hi" leastconn)" 'BEGIN { print 0.7 * v }')"
esac
case " $SCENARIOS " in *" C "*) scenario_c ;; esac
exit 0
