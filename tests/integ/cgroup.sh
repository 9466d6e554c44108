#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# "sample cgroup": the busy share is a cgroup's CPU use against its
# quota, not the host's /proc/stat.  Tested for real on the cgroup v1
# hierarchies of this host, where cpu and cpuacct are mounted apart:
# a cgroup of our own in both, with a quota of half a CPU, idle while
# the host is busy, then loaded; without a quota; by path from either
# hierarchy and by "auto"; and paths that are no cgroup.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NS=lbn-cg-$$
CG=lbn-cg-$$
CPU_ROOT=/sys/fs/cgroup/cpu
ACCT_ROOT=/sys/fs/cgroup/cpuacct
CPU_CG=$CPU_ROOT/$CG
ACCT_CG=$ACCT_ROOT/$CG
ONLY_CPU_CG=$CPU_ROOT/$CG-nocpuacct	# a cpu cgroup without its cpuacct twin
CONF=$LAB_DIR/lbnoded.conf
ST=$LAB_DIR/status.json
HTTP_PORT=8080
SMOOTH=3
WMIN=5
WMAX=100
BUSY_SECS=40		# every busy loop ends by itself after this
BUSY_PIDS=""

# Whatever is still in our cgroups is ours: stop it, then remove them.
cg_cleanup() {
	for p in $BUSY_PIDS; do
		kill "$p" 2>/dev/null
	done
	lab_cleanup
	for d in "$CPU_CG" "$ACCT_CG" "$ONLY_CPU_CG"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
		i=0
		until rmdir "$d" 2>/dev/null || [ $i -ge 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -d "$d" ] && echo "# could not remove $d"
	done
}
trap cg_cleanup EXIT
trap 'exit 1' INT TERM HUP

for d in "$CPU_ROOT" "$ACCT_ROOT"; do
	[ -f "$d/cgroup.procs" ] || bail "no cgroup v1 hierarchy at $d"
done
# The daemon refuses to run without its user and the socket's group.
getent group lbnoded >/dev/null || groupadd --system lbnoded ||
    bail "cannot create group lbnoded"
getent passwd _lbnoded >/dev/null || useradd --system --no-create-home \
    --shell /usr/sbin/nologin _lbnoded || bail "cannot create user _lbnoded"

mkdir "$CPU_CG" "$ACCT_CG" "$ONLY_CPU_CG" || bail "cannot create cgroups"
echo 50000 >"$CPU_CG/cpu.cfs_quota_us" || bail "cannot set the quota"
echo 100000 >"$CPU_CG/cpu.cfs_period_us" || bail "cannot set the period"
# Ten times the usual share of the CPU: its loops get what the quota
# allows even when every CPU of the machine is busy with other work.
echo 10240 >"$CPU_CG/cpu.shares" || bail "cannot set the share"
NCPU=$(grep -c '^cpu[0-9]' /proc/stat)
netns_add "$NS"

write_conf() {	# write_conf FILE SAMPLE-CGROUP-ARGUMENT
	lab_conf "$1" <<EOF
sample every 1
smooth $SMOOTH
weight min $WMIN max $WMAX
weight from cpu
http port $HTTP_PORT
agent off
announce off
sample cgroup $2
EOF
}

# spawn_in CGROUP CMD...: start CMD in the background inside CGROUP of
# both hierarchies, so it and its children are accounted there ("":
# where we are); SPAWNED is its pid, the very process that runs CMD.
spawn_in() {
	cg=$1; shift
	sh -c 'if [ -n "$0" ]; then
		echo $$ >"$1/$0/cgroup.procs" &&
		    echo $$ >"$2/$0/cgroup.procs" || exit 111
	fi
	shift 2
	exec "$@"' "$cg" "$CPU_ROOT" "$ACCT_ROOT" "$@" &
	SPAWNED=$!
}

# A busy loop on one CPU in CGROUP ("" for outside of ours); sets BUSY.
busy_start() {
	spawn_in "$1" timeout "$BUSY_SECS" sh -c 'while :; do :; done'
	BUSY=$SPAWNED
	BUSY_PIDS="$BUSY_PIDS $BUSY"
}
busy_stop() {
	kill "$BUSY" 2>/dev/null
	wait "$BUSY" 2>/dev/null
}

# Like daemon_start, but "ip netns exec" mounts a /sys of its own,
# without /sys/fs/cgroup: enter only the network namespace.  With a
# cgroup, the daemon starts inside it.
cg_daemon_start() {	# cg_daemon_start CONF [CGROUP]
	spawn_in "${2:-}" nsenter --net="/var/run/netns/$NS" \
	    "$LBNODED" -d -v -f "$1" >>"$LAB_DIR/daemon.log" 2>&1
	DAEMON_PID=$SPAWNED
	LAB_PIDS="$LAB_PIDS $DAEMON_PID"
}
# up, and its first sample is out
daemon_sampling() { daemon_up && metrics | grep -q '^lbnoded_sample_source'; }
daemon_stop() {
	kill "$DAEMON_PID" 2>/dev/null
	wait_for 5 gone "$DAEMON_PID" || kill -9 "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
}

metrics() {
	ip netns exec "$NS" curl -s --max-time 2 \
	    "http://127.0.0.1:$HTTP_PORT/metrics"
}
source_is() {	# source_is cgroup|procstat
	other=cgroup
	[ "$1" = cgroup ] && other=procstat
	metrics >"$LAB_DIR/metrics" &&
	    grep -qx "lbnoded_sample_source{source=\"$1\"} 1" "$LAB_DIR/metrics" &&
	    grep -qx "lbnoded_sample_source{source=\"$other\"} 0" "$LAB_DIR/metrics"
}
status_json() { ctl -j status >"$ST" 2>/dev/null; }
# busy_in LO HI: the busy share (percent) of the last status is in [LO, HI]
busy_in() {
	jq -e --argjson lo "$1" --argjson hi "$2" \
	    '.cpu_busy_pct >= $lo and .cpu_busy_pct <= $hi' "$ST" >/dev/null
}
# The quota is used up: busy near 100 %, the weight at its minimum.
saturated() {
	status_json && jq -e --argjson w "$WMIN" \
	    '.cpu_busy_pct >= 85 and .weight == $w' "$ST" >/dev/null
}
show_status() { diag "last status: $(cat "$ST" 2>/dev/null)"; }
# check_load NAME COMMAND...: like check, showing the daemon's status
check_load() {
	name=$1; shift
	if "$@"; then ok 0 "$name"; else ok 1 "$name"; show_status; fi
}

# The host's busy share over an interval, from two /proc/stat readings.
procstat_cpu() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat; }
host_busy_pct() {	# host_busy_pct "BUSY IDLE" "BUSY IDLE"
	echo "$1 $2" | awk '{ b = $3 - $1; i = $4 - $2;
	    print ((b + i) > 0 ? int(100 * b / (b + i)) : 0) }'
}

# --- 1. both paths are accepted ---
write_conf "$CONF" "\"$CPU_CG\""
write_conf "$LAB_DIR/acct.conf" "\"$ACCT_CG\""
write_conf "$LAB_DIR/auto.conf" auto
for c in "$CONF" "$LAB_DIR/acct.conf" "$LAB_DIR/auto.conf"; do
	check "lbnoded -n accepts $(grep '^sample cgroup' "$c")" \
	    "$LBNODED" -n -f "$c"
done

# --- 5a. a path that is not a cgroup: the daemon does not start ---
for bad in "$LAB_DIR" "$LAB_DIR/no-such-dir" "$ONLY_CPU_CG"; do
	write_conf "$LAB_DIR/bad.conf" "\"$bad\""
	sed -i "s|^control socket .*|control socket \"$LAB_DIR/bad.sock\"|" \
	    "$LAB_DIR/bad.conf"
	nsenter --net="/var/run/netns/$NS" timeout 10 "$LBNODED" -d \
	    -f "$LAB_DIR/bad.conf" >"$LAB_DIR/bad.out" 2>&1
	rc=$?
	check "not a cgroup ($bad): lbnoded -d exits non-zero" \
	    test "$rc" -ne 0 -a "$rc" -ne 124
	check "not a cgroup ($bad): the error names the path" \
	    grep -q "sample cgroup $bad: " "$LAB_DIR/bad.out"
	check "not a cgroup ($bad): no control socket left" \
	    test ! -e "$LAB_DIR/bad.sock"
done

# --- 1. the cpu directory: cpuacct.usage is in the other hierarchy ---
cg_daemon_start "$CONF"
wait_for 10 daemon_sampling || bail "lbnoded did not come up with $CPU_CG"
check "cpu dir: /metrics says source cgroup" source_is cgroup

# --- 2. an idle cgroup on a busy host reads idle ---
before=$(procstat_cpu)
busy_start ""
max=0
weight_ok=0
i=0
while [ $i -lt 12 ]; do		# about 6 s: twice the smoothing window
	sleep 0.5
	if status_json; then
		max=$(jq -r --argjson m "$max" \
		    '[.cpu_busy_pct, $m] | max' "$ST")
		jq -e --argjson w "$WMAX" '.weight == $w' "$ST" >/dev/null ||
		    weight_ok=1
	fi
	i=$((i + 1))
done
after=$(procstat_cpu)
busy_stop
host=$(host_busy_pct "$before" "$after")
diag "host busy $host %, cgroup busy at most $max %"
check "the host was busy meanwhile (/proc/stat: $host % >= 80 % of 1/$NCPU)" \
    test $((host * NCPU)) -ge 80
check "idle cgroup on a busy host: busy < 10 %" \
    awk -v m="$max" 'BEGIN { exit !(m < 10) }'
check "idle cgroup on a busy host: weight stays $WMAX" test "$weight_ok" -eq 0

# --- 3. a loop in the cgroup uses its half CPU up ---
busy_start "$CG"
check_load "loaded cgroup: busy >= 85 % of the quota, weight $WMIN, within smooth + 2 samples" \
    wait_for $((SMOOTH + 2)) saturated
metrics >"$LAB_DIR/metrics"
check "loaded cgroup: /metrics busy ratio >= 0.85" awk '
    $1 == "lbnoded_cpu_busy_ratio" { found = 1; ok = $2 >= 0.85 }
    END { exit !(found && ok) }' "$LAB_DIR/metrics"

# --- 4. no quota: the cgroup's usage over all online CPUs ---
# The truth is what the cgroup itself counted over the same window, so
# the check holds however much CPU the loop gets on a busy machine;
# divided by one CPU instead of NCPU it would read NCPU times too high.
# The window: from one of the reporter's samples after the quota went
# (sample_tick) to the SMOOTH-th after it, whose status is read before
# the next: the busy share then smooths exactly the samples in it.
echo -1 >"$CPU_CG/cpu.cfs_quota_us" || bail "cannot remove the quota"
REP=$(child_pid "$DAEMON_PID" reporter)
no_quota_window() {
	sample_tick "$REP" && sample_tick "$REP" || return 1
	u0=$(cat "$ACCT_CG/cpuacct.usage"); t0=$(date +%s%N)
	n=0
	while [ $n -lt "$SMOOTH" ]; do
		sample_tick "$REP" || return 1
		n=$((n + 1))
	done
	u1=$(cat "$ACCT_CG/cpuacct.usage"); t1=$(date +%s%N)
	status_json && no_sample_since "$REP"
}
watched() { no_quota_window || no_quota_window || no_quota_window; }
check "no quota: $SMOOTH samples watched, the status read before the next" watched
want=$(( (u1 - u0) * 100 / ((t1 - t0) * NCPU) ))
check_load "no quota: busy is the cgroup's usage over $NCPU CPUs ($want % +- 10)" \
    busy_in $((want > 10 ? want - 10 : 0)) $((want + 10))
check_load "no quota: one loop is at most one CPU of $NCPU" \
    busy_in 0 $((100 / NCPU + 10))
check "no quota: the loop did run" test "$want" -ge 10
busy_stop
echo 50000 >"$CPU_CG/cpu.cfs_quota_us" || bail "cannot restore the quota"

# --- 5b. reload to a path that is not a cgroup keeps the old config ---
cp "$CONF" "$LAB_DIR/good.conf"
write_conf "$CONF" "\"$LAB_DIR\""
ctl_capture reload
check "reload to a non-cgroup path fails" test $CTL_RC -ne 0
check "reload: the error names the config file" grep -q "$CONF" "$CTL_ERR"
check "reload: the log names the path" \
    grep -q "sample cgroup $LAB_DIR: " "$LAB_DIR/daemon.log"
check "reload: still source cgroup" source_is cgroup
check "reload: config generation still 1" \
    grep -qx 'lbnoded_config_generation 1' "$LAB_DIR/metrics"
# The monitor gives a restarted reporter the configuration in force:
# still the cgroup's files, not none.
REP=$(child_pid "$DAEMON_PID" reporter)
kill -9 "$REP"
reporter_back() {
	new=$(child_pid "$DAEMON_PID" reporter) && [ "$new" != "$REP" ] &&
	    daemon_sampling
}
check "the monitor restarts the reporter" wait_for 10 reporter_back
if source_is cgroup; then
	ok 0 "after a failed reload, a restarted reporter still samples the cgroup"
else
	ok 1 "after a failed reload, a restarted reporter still samples the cgroup"
	grep '^lbnoded_sample_source' "$LAB_DIR/metrics" | sed 's/^/#   /'
fi
cp "$LAB_DIR/good.conf" "$CONF"
daemon_stop

# --- 1, 3 again: the cpuacct directory; quota found in the cpu one ---
cg_daemon_start "$LAB_DIR/acct.conf"
if wait_for 10 daemon_sampling; then
	check "cpuacct dir: /metrics says source cgroup" source_is cgroup
	busy_start "$CG"
	check_load "cpuacct dir: loaded cgroup: busy >= 85 %, weight $WMIN" \
	    wait_for $((SMOOTH + 2)) saturated
	busy_stop
else
	ok 1 "lbnoded comes up with $ACCT_CG"
fi
daemon_stop

# --- 6. auto: the cgroup lbnoded was started in ---
cg_daemon_start "$LAB_DIR/auto.conf" "$CG"
if wait_for 10 daemon_sampling; then
	check "auto: the daemon runs in the test cgroup" \
	    grep -q ":cpu:/$CG\$" "/proc/$DAEMON_PID/cgroup"
	check "auto: /metrics says source cgroup" source_is cgroup
	busy_start "$CG"
	check_load "auto: loaded cgroup: busy >= 85 %, weight $WMIN" \
	    wait_for $((SMOOTH + 2)) saturated
	busy_stop
else
	ok 1 "lbnoded comes up with sample cgroup auto"
fi
daemon_stop

done_testing
