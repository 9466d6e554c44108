#!/bin/sh
# bench/balance.sh: does balancing on lbnoded's weights keep latency
# down when one node loses its CPU?  Three nodes, each with the same CPU
# quota in a cgroup of its own, serve HTTP requests that cost a fixed
# CPU time, behind a real HAProxy.  A client offers a fixed rate of
# about 60% of the total capacity.  After a warm-up, a CPU hog starts in
# one node's cgroup.  The same schedule is run three times, once per
# strategy: static round robin, leastconn, and round robin on the
# weights lbnoded reports over HAProxy's agent-check.  Not a test: it
# prints a table and says whether the target is met.
#
#	sh bench/balance.sh [BUILDDIR]		(as root; BUILDDIR defaults to .)
#
# The knobs are environment variables, shown with their defaults in the
# output.  BAL_KEEP=DIR keeps the raw per-request records there.
# Everything runs in namespaces and cgroups of its own, which are
# removed on exit or interrupt; every loop is bounded.  Needs haproxy,
# socat and a C compiler; cgroup v1 cpu and cpuacct hierarchies.
#
#   client ---- lb (haproxy) ---- node1, node2, node3 (bridge)
#   198.51.100.2   198.51.100.1 | 192.0.2.1   192.0.2.11-13
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-.}" && pwd)
. "$top_srcdir/tests/integ/lib.sh"
need_root

RATE=${RATE:-360}		# requests/s: 60% of 3 x 0.4 CPU / 2 ms
WARMUP=${WARMUP:-10}		# seconds before the hog
HOG=${HOG:-30}			# seconds with the hog
BURN_US=${BURN_US:-2000}	# CPU time per request
QUOTA_US=${QUOTA_US:-40000}	# per node, of PERIOD_US: 0.4 CPU
PERIOD_US=${PERIOD_US:-100000}
SAMPLE=${SAMPLE:-1}		# lbnoded: sample every
SMOOTH=${SMOOTH:-3}		# lbnoded: smooth
WMIN=${WMIN:-1}			# lbnoded: weight min
AGENT_INTER=${AGENT_INTER:-500}	# HAProxy agent-inter, ms
TIMEOUT_MS=${TIMEOUT_MS:-10000}	# the client gives up on a request
COOL=${COOL:-5}			# seconds between strategies
STRATEGIES="static leastconn lbnoded"
NODES="1 2 3"

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
cc -O2 -Wall -o "$SERVER" "$top_srcdir/bench/balance_server.c" &&
    cc -O2 -Wall -o "$LOAD" "$top_srcdir/bench/balance_load.c" ||
    bail "cannot build the bench programs"

CG=lbn-bal-$$-node
CGDIRS=""
cg_procs() { echo "/sys/fs/cgroup/$1/$CG$2/cgroup.procs"; }

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
	for h in cpu cpuacct; do
		mkdir "/sys/fs/cgroup/$h/$CG$i" || bail "mkdir cgroup $h"
		CGDIRS="$CGDIRS /sys/fs/cgroup/$h/$CG$i"
	done
	echo "$PERIOD_US" >"/sys/fs/cgroup/cpu/$CG$i/cpu.cfs_period_us" &&
	    echo "$QUOTA_US" >"/sys/fs/cgroup/cpu/$CG$i/cpu.cfs_quota_us" ||
	    bail "cannot set the CPU quota"
done

# in_node I [CGROUP] COMMAND...: run COMMAND in node I's namespace, and
# in its cgroups if asked.  nsenter, not "ip netns exec", which mounts a
# sysfs of the namespace over /sys and so hides /sys/fs/cgroup.
in_node() {
	node_i=$1; shift
	if [ "$1" = CGROUP ]; then
		shift
		set -- sh -c 'echo $$ >"$1" && echo $$ >"$2" && shift 2 &&
		    exec "$@"' sh "$(cg_procs cpu "$node_i")" \
		    "$(cg_procs cpuacct "$node_i")" "$@"
	fi
	nsenter --net="/run/netns/lbn-bal-n$node_i-$$" "$@" &
	LAB_PIDS="$LAB_PIDS $!"
}

LIFETIME=$(( (WARMUP + HOG + COOL) * 3 + 3 * TIMEOUT_MS / 1000 + 120 ))
for i in $NODES; do
	in_node "$i" CGROUP "$SERVER" "node$i" "192.0.2.1$i" 80 "$BURN_US" "$LIFETIME"
	# lbnoded itself stays outside the limited cgroup: it samples it.
	cat >"$LAB_DIR/node$i.conf" <<EOF
interface "n0"
lb 192.0.2.1
sample every $SAMPLE
sample cgroup "/sys/fs/cgroup/cpu/$CG$i"
smooth $SMOOTH
weight min $WMIN
announce off
agent port 3333
http off
control socket "$LAB_DIR/node$i.sock"
state file "$LAB_DIR/node$i.state"
EOF
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

# --- one strategy -----------------------------------------------------------
haproxy_conf() {	# haproxy_conf STRATEGY
	case $1 in
	static)		bal=roundrobin agent="" ;;
	leastconn)	bal=leastconn agent="" ;;
	lbnoded)	bal=roundrobin
			agent="agent-check agent-port 3333 agent-inter $AGENT_INTER" ;;
	esac
	cat <<EOF
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
EOF
	for i in $NODES; do
		echo "	server node$i 192.0.2.1$i:80 weight 100 $agent"
	done
}

# The weights HAProxy uses, every half second: "TIME_US W1 W2 W3".
weight_log() {
	n=$(( (WARMUP + HOG + 2) * 2 ))
	while [ $n -gt 0 ]; do
		t=$(now_us)
		echo "show stat -1 4 -1" |
		    socat -T1 - "UNIX-CONNECT:$LAB_DIR/haproxy.sock" 2>/dev/null |
		    awk -F, -v t="$t" '$1 == "be" && $2 ~ /^node/ {
			w[substr($2, 5)] = $19 }
			END { print t, w[1], w[2], w[3] }'
		sleep 0.5
		n=$((n - 1))
	done
}

run_strategy() {	# run_strategy NAME
	s=$1
	haproxy_conf "$s" >"$LAB_DIR/haproxy-$s.cfg"
	ip netns exec "$L" haproxy -db -f "$LAB_DIR/haproxy-$s.cfg" \
	    >>"$LAB_DIR/haproxy.log" 2>&1 &
	hp=$!
	LAB_PIDS="$LAB_PIDS $hp"
	wait_for 5 sh -c "printf 'GET / HTTP/1.0\r\n\r\n' |
	    $(command -v ip) netns exec $C socat -T2 - TCP:198.51.100.1:80 |
	    grep -q node=" ||
	    bail "haproxy does not forward ($s): $(tail -5 "$LAB_DIR/haproxy.log")"
	weight_log >"$LAB_DIR/weights-$s" &
	wl=$!
	ip netns exec "$C" "$LOAD" run 198.51.100.1 80 "$RATE" \
	    $((WARMUP + HOG)) "$TIMEOUT_MS" "$LAB_DIR/raw-$s" \
	    >"$LAB_DIR/load-$s.out" 2>&1 &
	lg=$!
	nap "$WARMUP"
	in_node 1 CGROUP sh -c 'while :; do :; done'
	hog=$!
	hog0=$(now_us)
	nap "$HOG"
	kill "$hog"
	hog1=$(now_us)
	wait "$lg" || bail "load generator failed ($s): $(cat "$LAB_DIR/load-$s.out")"
	wait "$wl"
	kill "$hp"
	wait "$hp" 2>/dev/null
	printf '  %-9s %s\n' "$s" "$(cat "$LAB_DIR/load-$s.out")"
	"$LOAD" report "$s" "$hog0" "$hog1" node1 node1,node2,node3 \
	    "$LAB_DIR/raw-$s" >>"$LAB_DIR/report" || bail "report failed"
	echo "$s $hog0 $hog1" >>"$LAB_DIR/hogtimes"
	[ -n "${BAL_KEEP:-}" ] && mkdir -p "$BAL_KEEP" &&
	    cp "$LAB_DIR/raw-$s" "$LAB_DIR/weights-$s" "$BAL_KEEP/" &&
	    tail -1 "$LAB_DIR/hogtimes" >>"$BAL_KEEP/hogtimes"
	nap "$COOL"
}

echo "balance: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' \
    /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  RATE=$RATE WARMUP=$WARMUP HOG=$HOG BURN_US=$BURN_US" \
    "QUOTA_US=$QUOTA_US/$PERIOD_US TIMEOUT_MS=$TIMEOUT_MS"
echo "  lbnoded: sample every $SAMPLE, smooth $SMOOTH, weight min $WMIN;" \
    "haproxy agent-inter ${AGENT_INTER}ms, option httpclose, nbthread 1"
echo "  capacity $(( 3 * 1000000 / BURN_US * QUOTA_US / PERIOD_US )) req/s" \
    "without the hog; the hog is a busy loop in node1's cgroup"
for s in $STRATEGIES; do
	run_strategy "$s"
done
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- the table --------------------------------------------------------------
echo
echo "Requests by node; latency in ms from the scheduled start, a failed"
echo "request ranked above every answer; t_half: seconds from the hog's"
echo "start until node1 gets under 1/6 of a 1 s window's answers."
echo
awk '
function ms(v) { return v == "FAILED" ? "FAILED" : sprintf("%.1f", v / 1000) }
BEGIN {
	printf "%-9s %-5s %6s %6s %6s %6s %5s %5s %5s %5s %8s %8s %8s %6s\n",
	    "strategy", "phase", "reqs", "node1*", "node2", "node3",
	    "tmout", "refus", "5xx", "other", "p50", "p99", "p99.9", "t_half"
}
{
	th = $14 == "-" ? "" : $14 == "never" ? "never" : sprintf("%.1f", $14 / 1000)
	printf "%-9s %-5s %6d %6d %6d %6d %5d %5d %5d %5d %8s %8s %8s %6s\n",
	    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ms($11), ms($12), ms($13), th
}' "$LAB_DIR/report"
echo "(* node1 is the one with the hog)"

# HAProxy's weights for node1/node2/node3 around the hog's start, and
# how far the other two swing once node1 is down to its least.
hogs=$(awk '$1 == "lbnoded" { print $2, $3 }' "$LAB_DIR/hogtimes")
awk -v hog="${hogs% *}" -v end="${hogs#* }" '
BEGIN { split("-1 0 1 2 3 4 6 10 20 29", at, " "); k = 1; lo = 1000; hi = -1 }
{
	while (k <= 10 && $1 >= hog + at[k] * 1000000) {
		line = line sprintf(" %+ds %s/%s/%s", at[k], $2, $3, $4)
		k++
	}
	if ($1 >= hog + 6000000 && $1 < end)
		for (f = 3; f <= 4; f++) {
			if ($f < lo) lo = $f
			if ($f > hi) hi = $f
		}
}
END {
	print "\nlbnoded weights in HAProxy (node1/node2/node3) by time from the hog:"
	print " " line
	if (hi >= 0)
		printf "node2 and node3 weights from +6 s to the end of the hog: " \
		    "%d to %d\n", lo, hi
}' "$LAB_DIR/weights-lbnoded" | tee "$LAB_DIR/swing"

# --- the verdict ------------------------------------------------------------
awk -v swing="$(awk '/^node2 and node3/ { print $NF - $(NF - 2) }' "$LAB_DIR/swing")" '
function ms(v) { return v >= 1e18 ? "FAILED" : sprintf("%.1f", v / 1000) }
function sec(v) { return v == "never" ? v : sprintf("%.1f", v / 1000) }
$2 == "hog" { p99[$1] = $12 == "FAILED" ? 1e18 : $12; th[$1] = $14 }
END {
	a = p99["lbnoded"]; s = p99["static"]; l = p99["leastconn"]
	v2 = (2 * a <= s) ? "yes" : "NO"
	vl = (a <= l) ? "yes" : "NO"
	printf "\np99 under the hog: lbnoded %s ms; static %s ms (at most half: %s);" \
	    " leastconn %s ms (no worse: %s)\n", ms(a), ms(s), v2, ms(l), vl
	if (v2 == "yes" && vl == "yes") {
		print "TARGET MET: lbnoded weights give a p99 under the hog at " \
		    "least 2x better than static weights and no worse than leastconn."
		exit
	}
	print "TARGET MISSED."
	printf "- reaction: node1 fell under half its share after %s s with " \
	    "lbnoded weights, %s s with leastconn; the weight follows the " \
	    "load only after sample every + smooth samples + agent-inter, " \
	    "and node1 queues meanwhile.\n", sec(th["lbnoded"]),
	    sec(th["leastconn"])
	if (swing > 10)
		printf "- oscillation: the two other nodes run near their quota " \
		    "under the hog, where weight = 100 - busy%% swings by %d " \
		    "points between them with the loop delay, overloading each " \
		    "in turn.\n", swing
}' "$LAB_DIR/report"
