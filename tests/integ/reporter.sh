#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The reporter seen from a load balancer: its sandbox, the agent-check
# line, HTTP /load and /metrics, the lb allowlist, admin states, and the
# busy share it reports against /proc/stat under a real CPU load.
. "$top_srcdir/tests/integ/lib.sh"
need_root
command -v stress-ng >/dev/null || bail "stress-ng missing: apt-get install stress-ng"
command -v curl >/dev/null || bail "curl missing: apt-get install curl"
command -v nc >/dev/null || bail "nc missing: apt-get install ncat"

NODE=lbn-rep-n-$$
LB=lbn-rep-l-$$
CONF=$LAB_DIR/lbnoded.conf
N=198.18.0.1		# the node
ALLOWED=198.18.0.2	# an LB in the allowlist
STRANGER=198.18.0.3	# an address outside it, in the same LB namespace

node_and_lb "$NODE" "$LB" $N/24 $ALLOWED/24 lbn-rn0 lbn-rl0
if_addr "$LB" lbn-rl0 $STRANGER/24

lab_conf "$CONF" <<EOF
lb "$ALLOWED"
agent port 3333
http port 8080
sample every 1
smooth 3
EOF

# agent FROM [DATA]: the agent's answer to FROM, after sending DATA
agent() { printf '%s' "$2" | lb nc -w 2 -s "$1" $N 3333; }
# http FROM [CURL-ARGS...] PATH
http() {
	from=$1; shift
	lb curl -s -m 2 --interface "$from" "$@"
}
metrics() { http $ALLOWED http://$N:8080/metrics; }
metric() { metrics | awk -v m="$1" '$1 == m { print $2 }'; }
agent_says() { [ "$(agent $ALLOWED)" = "$1" ]; }
load_says() { [ "$(http $ALLOWED http://$N:8080/load)" = "$1" ]; }
up() { daemon_up && [ -n "$(metric lbnoded_weight)" ]; }

daemon_start "$NODE" "$CONF"
check "daemon up, HTTP answering" wait_for 10 up
REP=$(child_pid "$DAEMON_PID" reporter)

# --- the sandbox
check "reporter uid is not 0" test "$(awk '/^Uid:/ { print $2 }' /proc/$REP/status)" -ne 0
check "reporter gid is not 0" test "$(awk '/^Gid:/ { print $2 }' /proc/$REP/status)" -ne 0
check_sandbox reporter "$REP" 0000000000000000

# --- agent-check: one line, the whole state
line=$(agent $ALLOWED)
check "agent: 'up ready N%' (got '$line')" \
    sh -c "echo '$line' | grep -Eqx 'up ready [0-9]+%'"
line=$(agent $ALLOWED "backend/n1
")
check "agent: answers after an agent-send line too" \
    sh -c "echo '$line' | grep -Eqx 'up ready [0-9]+%'"
agent_is_weight() { [ "$(agent $ALLOWED | tr -dc 0-9)" = "$(metric lbnoded_weight)" ]; }
check "agent: the percentage is the weight" wait_for 3 agent_is_weight

# --- HTTP
load=$(http $ALLOWED http://$N:8080/load)
check "/load: an integer 0-100 (got '$load')" \
    sh -c "echo '$load' | grep -Eqx '[0-9]+' && [ '$load' -le 100 ]"
metrics >"$LAB_DIR/metrics"
for m in lbnoded_cpu_busy_ratio lbnoded_loadavg_per_cpu \
    lbnoded_memory_used_ratio lbnoded_weight 'lbnoded_admin_state{state="ready"}' \
    lbnoded_lbnp_packets_received_total lbnoded_lbnp_packets_sent_total \
    'lbnoded_lbnp_packets_dropped_total{reason="allow"}' lbnoded_lbs_seen \
    lbnoded_agent_queries_total lbnoded_http_requests_total \
    'lbnoded_process_restarts_total{process="reporter"}' \
    lbnoded_config_generation 'lbnoded_sample_source{source="procstat"}'; do
	check "/metrics has $m" grep -q "^$m [0-9]" "$LAB_DIR/metrics"
done
check "/metrics: HELP and TYPE for each family" \
    test "$(grep -c '^# HELP' "$LAB_DIR/metrics")" -eq \
    "$(grep -c '^# TYPE' "$LAB_DIR/metrics")"
check "/metrics names the version" \
    grep -qx "lbnoded_build_info{version=\"$VERSION\"} 1" "$LAB_DIR/metrics"
check "/metrics: admin state ready is 1" \
    grep -qx 'lbnoded_admin_state{state="ready"} 1' "$LAB_DIR/metrics"
check "/metrics: the agent queries are counted" \
    test "$(awk '$1 == "lbnoded_agent_queries_total" { print $2 }' "$LAB_DIR/metrics")" -ge 3
check "/metrics: the LB is remembered" grep -qx 'lbnoded_lbs_seen 1' "$LAB_DIR/metrics"
code() { http $ALLOWED -o /dev/null -w '%{http_code}' "$@"; }
check "unknown path: 404" test "$(code http://$N:8080/nope)" = 404
check "POST /load: 405" test "$(code -X POST http://$N:8080/load)" = 405
check "DELETE /metrics: 405" test "$(code -X DELETE http://$N:8080/metrics)" = 405
big=$(head -c 8000 /dev/zero | tr '\0' a)
check "8 kB of headers: refused" test "$(code -H "X-Big: $big" http://$N:8080/load)" != 200

# --- the allowlist
check "agent: a stranger gets nothing" test -z "$(agent $STRANGER)"
check "http: a stranger's connection is closed unanswered" test "$(http $STRANGER -o /dev/null -w '%{http_code}' http://$N:8080/load)" = 000
check "http: a stranger gets no figure" \
    sh -c "! ip netns exec $LB curl -s -m 2 --interface $STRANGER http://$N:8080/load | grep -Eqx '[0-9]+'"
check "drops counted as reason allow" \
    test "$(metric 'lbnoded_lbnp_packets_dropped_total{reason="allow"}')" -ge 3

# --- admin states, from lbnodectl through the monitor
ctl drain >/dev/null
check "drain: agent says 'up drain 0%'" wait_for 3 agent_says "up drain 0%"
check "drain: /load is 101" load_says 101
ctl maint >/dev/null
check "maint: agent says 'up maint'" wait_for 3 agent_says "up maint"
check "maint: /load is 102" load_says 102
check "maint: admin_state maint is 1" \
    test "$(metric 'lbnoded_admin_state{state="maint"}')" = 1
ctl ready >/dev/null
agent_ready() { agent $ALLOWED | grep -Eqx 'up ready [0-9]+%'; }
check "ready: agent says 'up ready N%'" wait_for 3 agent_ready

# --- accuracy under load: the busy share against /proc/stat
# The reporter's samples are watched as they happen (sample_tick): the
# /proc/stat readings at one and at the third after it span exactly the
# three samples it smooths, and the figures are read before the next.
stress-ng --cpu 1 --timeout 60s >/dev/null 2>&1 &
STRESS=$!
LAB_PIDS="$LAB_PIDS $STRESS"
stress_runs() { pgrep -P "$STRESS" >/dev/null; }	# its worker
wait_for 10 stress_runs || bail "stress-ng did not start"
window() {
	sample_tick "$REP" || return 1
	a=$TICK_STAT
	sample_tick "$REP" && sample_tick "$REP" && sample_tick "$REP" ||
	    return 1
	b=$TICK_STAT
	metrics >"$LAB_DIR/window"
	no_sample_since "$REP"
}
measured_window() { window || window || window; }
check "three samples watched, the figures read before the next" measured_window
reported=$(awk '$1 == "lbnoded_cpu_busy_ratio" { print $2 }' "$LAB_DIR/window")
w=$(awk '$1 == "lbnoded_weight" { print $2 }' "$LAB_DIR/window")
measured=$(printf '%s\n%s\n' "$a" "$b" | awk '{
	busy = $2 + $3 + $4 + $7 + $8 + $9; idle = $5 + $6
	if (NR == 1) { b0 = busy; i0 = idle }
	else printf "%.1f", 100 * (busy - b0) / (busy - b0 + idle - i0) }')
rep_pct=$(echo "$reported" | awk '{ printf "%.1f", $1 * 100 }')
diag "under stress-ng: reported ${rep_pct}% busy, /proc/stat ${measured}%"
check "busy share within 5 points of /proc/stat" awk -v r="$rep_pct" -v m="$measured" \
    'BEGIN { d = r - m; exit !(d <= 5 && d >= -5) }'
ncpu=$(grep -c '^cpu[0-9]' /proc/stat)
check "one busy CPU of $ncpu shows (>= $((100 / ncpu - 10))%)" awk -v r="$rep_pct" \
    -v n="$ncpu" 'BEGIN { exit !(r >= 100 / n - 10) }'
check "weight follows: |weight - (100 - busy)| < 3 (weight $w)" awk -v r="$reported" \
    -v w="$w" 'BEGIN { d = w - (100 - r * 100); exit !(d < 3.5 && d > -3.5) }'
kill "$STRESS"
wait "$STRESS" 2>/dev/null

# --- nothing above killed the reporter (a seccomp violation would)
check "reporter survived every request" test "$(child_pid "$DAEMON_PID" reporter)" = "$REP"
check "reporter was never restarted" \
    test "$(metric 'lbnoded_process_restarts_total{process="reporter"}')" = 0

done_testing
