# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# Shared by the integration tests: TAP output, scratch network
# namespaces that are always removed, the lab's fixtures (a node and an
# LB, their config, lbnodectl against the daemon), and the daemon under
# test.
# Every test is run as root; nothing here touches the host's own
# interfaces or sends a packet outside the namespaces it creates.

: "${LBNODED:=$top_builddir/lbnoded}"
: "${LBNODECTL:=$top_builddir/lbnodectl}"
# The version configure gave the build, as -V and /metrics must print it.
VERSION=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' \
    "$top_builddir/config.h")
TAP_N=0
TAP_FAILED=0
LAB_NS=""
LAB_PIDS=""
LAB_DIR=$(mktemp -d /tmp/lbn-test.XXXXXX)
chmod 755 "$LAB_DIR"

ok() {		# ok CONDITION-EXIT-STATUS NAME
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		TAP_FAILED=$((TAP_FAILED + 1))
		echo "not ok $TAP_N - $2"
	fi
}

check() {	# check NAME COMMAND...: one test, passing when COMMAND succeeds
	name=$1; shift
	if "$@" >"$LAB_DIR/check.out" 2>&1; then
		ok 0 "$name"
	else
		ok 1 "$name"
		sed 's/^/#   /' "$LAB_DIR/check.out" | head -20
	fi
}

diag() { echo "# $*"; }

not() { ! "$@"; }	# for check: COMMAND must fail

bail() { echo "Bail out! $*"; exit 1; }

need_root() {
	[ "$(id -u)" -eq 0 ] || bail "integration tests run as root"
}

# wait_for SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds.
wait_for() {
	limit=$(( $1 * 20 )); shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# netns_add NAME: a namespace with lo up, removed at exit.
netns_add() {
	ip netns add "$1" || bail "ip netns add $1"
	LAB_NS="$LAB_NS $1"
	ip -n "$1" link set lo up
}

# veth_pair NS1 IF1 NS2 IF2: a link between two namespaces.
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
	    bail "veth $2 $4"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# The lab, in the shape of lldpd's integration fixtures: namespaces and
# the links between them, the daemon's config, the daemon, and lbnodectl
# against it.  A test builds it from these and adds its own addresses
# and config lines.
LAB_SOCK=$LAB_DIR/ctl.sock	# the control socket lab_conf and ctl name
LAB_STATE=$LAB_DIR/state
LAB_NODE_IF=""			# the node's interface, once node_and_lb made it
LAB_LB=""
CTL_NS=""			# where ctl runs lbnodectl: here, or this namespace
CTL_OUT=$LAB_DIR/ctl.out	# what ctl_capture keeps
CTL_ERR=$LAB_DIR/ctl.err
CTL_RC=0

# node_and_lb NODE LB [NODE-ADDR LB-ADDR [NODE-IF LB-IF]]: two
# namespaces joined by a veth, NODE-IF (vn) in NODE and LB-IF (vl) in
# LB, with NODE-ADDR (198.18.0.1/24) and LB-ADDR (198.18.0.2/24) on
# them; an empty address adds none.  lab_conf names NODE-IF, lb runs in LB.
node_and_lb() {
	LAB_LB=$2 LAB_NODE_IF=${5:-vn} LAB_LB_IF=${6:-vl}
	netns_add "$1"
	netns_add "$2"
	veth_pair "$1" "$LAB_NODE_IF" "$2" "$LAB_LB_IF"
	if_addr "$1" "$LAB_NODE_IF" "${3-198.18.0.1/24}"
	if_addr "$2" "$LAB_LB_IF" "${4-198.18.0.2/24}"
}

# if_addr NS IF ADDRESS...: the addresses on IF, an IPv4 one with its
# broadcast address, an IPv6 one without duplicate address detection.
if_addr() {
	ns=$1; dev=$2; shift 2
	for a in "$@"; do
		case $a in
		"") continue ;;
		*:*) ip -n "$ns" addr add "$a" dev "$dev" nodad ;;
		*) ip -n "$ns" addr add "$a" brd + dev "$dev" ;;
		esac || bail "address $a on $dev"
	done
}

# lab_key FILE: the key the node and its LBs share, mode 0600.
lab_key() {
	echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f \
	    >"$1" && chmod 600 "$1" || bail "key $1"
}

# lab_conf FILE: a config of the lab, the lines every test's config
# starts with (the node's interface, LAB_SOCK, LAB_STATE), then the
# test's own lines from stdin.
lab_conf() {
	{
		[ -z "$LAB_NODE_IF" ] || echo "interface \"$LAB_NODE_IF\""
		echo "control socket \"$LAB_SOCK\""
		echo "state file \"$LAB_STATE\""
		cat
	} >"$1" || bail "cannot write $1"
}

lb() { ip netns exec "$LAB_LB" "$@"; }	# lb CMD...: CMD in the LB namespace

# ctl ARGS...: lbnodectl ARGS against LAB_SOCK, in CTL_NS if set.
# ctl_capture ARGS...: the same, its stdout in CTL_OUT, stderr in
# CTL_ERR and exit status in CTL_RC (and returned).
ctl() {
	if [ -n "$CTL_NS" ]; then
		ip netns exec "$CTL_NS" "$LBNODECTL" -s "$LAB_SOCK" "$@"
	else
		"$LBNODECTL" -s "$LAB_SOCK" "$@"
	fi
}
ctl_capture() {
	ctl "$@" >"$CTL_OUT" 2>"$CTL_ERR"
	CTL_RC=$?
	return $CTL_RC
}

# alive PID: it exists and is not a zombie waiting for this shell.
alive() { [ -r "/proc/$1/stat" ] && awk '{ exit $3 == "Z" }' "/proc/$1/stat"; }
gone() { ! alive "$1"; }

# daemon_up: the daemon daemon_start started runs, and answers ctl.
daemon_up() { alive "$DAEMON_PID" && ctl status >/dev/null 2>&1; }

# no_tentative NS...: no IPv6 address in these namespaces is still in
# duplicate address detection.  The lab's own addresses are added with
# nodad, but each link's fe80:: address is not, and until it is usable
# the kernel sends no neighbour solicitation for a forwarded packet, or
# for one from an address on another interface (a VIP on lo).
no_tentative() {
	for ns in "$@"; do
		[ -z "$(ip -n "$ns" -6 addr show tentative)" ] || return 1
	done
}

# daemon_start NS CONF [ARGS]: run lbnoded -d in NS; sets DAEMON_PID.
daemon_start() {
	ns=$1; conf=$2; shift 2
	ip netns exec "$ns" "$LBNODED" -d -f "$conf" "$@" \
	    >>"$LAB_DIR/daemon.log" 2>&1 &
	DAEMON_PID=$!
	LAB_PIDS="$LAB_PIDS $DAEMON_PID"
}

# netcfg_driver NS NAME: tests/integ/netcfg_driver in NS, netcfg as the
# monitor runs it: it reads what is written to fd 7 (the FIFO NAME.in)
# and answers in DRV_OUT (NAME.out); sets NETCFG_PID.
netcfg_driver() {
	DRV_OUT=$LAB_DIR/$2.out
	mkfifo "$LAB_DIR/$2.in" || bail "mkfifo $2.in"
	ip netns exec "$1" "$top_builddir/tests/integ/netcfg_driver" \
	    <"$LAB_DIR/$2.in" >"$DRV_OUT" 2>>"$LAB_DIR/daemon.log" 7>&- &
	LAB_PIDS="$LAB_PIDS $!"
	exec 7>"$LAB_DIR/$2.in"
	wait_for 5 grep -q '^pid ' "$DRV_OUT" || bail "netcfg_driver did not start"
	NETCFG_PID=$(awk '/^pid / { print $2 }' "$DRV_OUT")
}

# children_of PID: the pids whose parent is PID.
children_of() {
	for s in /proc/[0-9]*/stat; do
		p=${s#/proc/}; p=${p%/stat}
		pp=$(awk '{ print $4 }' "$s" 2>/dev/null) || continue
		[ "$pp" = "$1" ] && echo "$p"
	done
	return 0
}

# child_pid MONITOR-PID NAME: the child whose cmdline is "lbnoded -P NAME".
child_pid() {
	for c in $(children_of "$1"); do
		if tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null |
		    grep -q -- "-P $2"; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

# sample_tick PID: wait up to 5 s for the next sample of the reporter
# PID, and set TICK_STAT to /proc/stat's cpu line as it is then.  A
# sample reads /proc/stat, loadavg, meminfo and uptime (kilobytes, in
# /proc/PID/io's rchar); a request, a few hundred bytes at most.  The
# figures it reports may stay the same from one sample to the next (all
# CPUs busy: 100 %), so they cannot tell when it sampled.
sample_tick() {
	read -r _ tick_r0 <"/proc/$1/io" || return 1
	tick_n=0
	while [ $tick_n -lt 500 ]; do
		read -r _ TICK_RCHAR <"/proc/$1/io" || return 1
		if [ $((TICK_RCHAR - tick_r0)) -ge 1000 ]; then
			read -r TICK_STAT </proc/stat
			return 0
		fi
		sleep 0.01
		tick_n=$((tick_n + 1))
	done
	return 1
}
# no_sample_since PID: no sample of PID since the last sample_tick
no_sample_since() {
	read -r _ r <"/proc/$1/io" && [ $((r - TICK_RCHAR)) -lt 1000 ]
}

# cpu_cgroup NAME PERCENT: a cgroup of the test's own with a CPU quota
# of PERCENT of one CPU, removed at exit, for a load the test controls
# whatever else the machine runs: its busy share is its use against its
# quota.  A high share of the CPU makes the quota reachable on a busy
# machine.  cgroup v1 (cpu and cpuacct, together or apart) or v2; sets
# CG_PATH, the directory "sample cgroup" names.
LAB_CGROUPS=""
cpu_cgroup() {
	if [ -f /sys/fs/cgroup/cpu/cgroup.procs ]; then
		CG_PATH=/sys/fs/cgroup/cpu/$1
		mkdir -p "$CG_PATH" "/sys/fs/cgroup/cpuacct/$1" || return 1
		LAB_CGROUPS="$LAB_CGROUPS $CG_PATH /sys/fs/cgroup/cpuacct/$1"
		echo 100000 >"$CG_PATH/cpu.cfs_period_us" &&
		    echo $(($2 * 1000)) >"$CG_PATH/cpu.cfs_quota_us" &&
		    echo 10240 >"$CG_PATH/cpu.shares"
	else
		CG_PATH=/sys/fs/cgroup/$1
		mkdir "$CG_PATH" || return 1
		LAB_CGROUPS="$LAB_CGROUPS $CG_PATH"
		echo "$(($2 * 1000)) 100000" >"$CG_PATH/cpu.max" &&
		    echo 1000 >"$CG_PATH/cpu.weight"
	fi
}

# in_cgroup NAME CMD...: start CMD in the background in cpu_cgroup NAME,
# and in NAME of the unified hierarchy of a hybrid host if the test made
# it; sets CG_PID, the process that runs CMD.
in_cgroup() {
	cg=$1; shift
	sh -c 'for d in /sys/fs/cgroup/cpu/$0 /sys/fs/cgroup/cpuacct/$0 \
	    /sys/fs/cgroup/unified/$0 /sys/fs/cgroup/$0; do
		[ -f "$d/cgroup.procs" ] && { echo $$ >"$d/cgroup.procs" || exit 111; }
	done
	exec "$@"' "$cg" "$@" &
	CG_PID=$!
	LAB_PIDS="$LAB_PIDS $CG_PID"
}

# readable_copy FILE: a copy of FILE in $LAB_DIR that every user may
# read (and run, if FILE is a program); prints its path.  Checks that
# run as another user use it: the checkout and the build may be in a
# directory only root can enter, such as root's home.
readable_copy() {
	mkdir -p "$LAB_DIR/readable" && chmod 755 "$LAB_DIR/readable" &&
	    cp "$1" "$LAB_DIR/readable/" &&
	    chmod a+rX "$LAB_DIR/readable/${1##*/}" &&
	    echo "$LAB_DIR/readable/${1##*/}"
}

status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# check_sandbox NAME PID CAPS: the /proc/PID/status a sandboxed child
# shows: CAPS (hex) as its effective, permitted and bounding sets,
# no_new_privs, and a seccomp filter.
check_sandbox() {
	for f in CapEff CapPrm CapBnd; do
		check "$1 $f is $3" test "$(status_field "$2" $f)" = "$3"
	done
	check "$1 NoNewPrivs" test "$(status_field "$2" NoNewPrivs)" = 1
	check "$1 seccomp filter" test "$(status_field "$2" Seccomp)" = 2
}

# socket_inodes PID: the inode of every socket PID holds, one a line.
socket_inodes() {
	for fd in /proc/"$1"/fd/*; do
		l=$(readlink "$fd" 2>/dev/null) || continue
		case $l in socket:\[*\]) l=${l#socket:[}; echo "${l%]}" ;; esac
	done
}

# maps PID LIBRARY: the process has LIBRARY mapped; unmapped PID LIBRARY:
# it has not (and the process exists).
maps() { grep -q "/$2" "/proc/$1/maps"; }
unmapped() { test -r "/proc/$1/maps" && ! maps "$1" "$2"; }

# man_json_fields KIND: the fields lbnodectl(8), JSON OUTPUT, lists for
# an object of KIND, as a JSON array in the page's order.
man_json_fields() {
	awk -v mark=".\\\\\" json $1" '
	    $0 == mark { on = 1; next }
	    on && /^\.El/ { exit }
	    on && /^\.It Li / { sub(/^\.It Li /, ""); gsub(/ , /, " "); print }' \
	    "$top_srcdir/man/lbnodectl.8" | jq -Rsc 'split("\n") | map(splits(" ")) |
	    map(select(. != ""))'
}

# json_fields_match KIND FILE [FILTER]: FILE holds JSON documents, and
# FILTER (. by default) picks from each at least one object, every one of
# which has exactly the fields of KIND in lbnodectl(8), in its order.
json_fields_match() {
	want=$(man_json_fields "$1") && [ "$want" != "[]" ] &&
	    jq -se --argjson want "$want" \
	    "[.[] | ${3:-.} | keys_unsorted == \$want] | length > 0 and all" \
	    "$2" >/dev/null
}

lab_cleanup() {
	for p in $LAB_PIDS; do
		kill "$p" 2>/dev/null
	done
	sleep 0.2
	for p in $LAB_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	for ns in $LAB_NS; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for d in $LAB_CGROUPS; do
		[ -d "$d" ] || continue		# v1 cpu and cpuacct together
		xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
		i=0
		until rmdir "$d" 2>/dev/null || [ $i -ge 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	done
	if [ "$TAP_FAILED" -ne 0 ] && [ -s "$LAB_DIR/daemon.log" ]; then
		echo "# daemon log:"
		sed 's/^/#   /' "$LAB_DIR/daemon.log" | tail -40
	fi
	rm -rf "$LAB_DIR"
}
trap lab_cleanup EXIT

done_testing() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}
