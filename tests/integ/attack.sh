#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The reporter under attack, with the fd limit systemd gives it: a
# keyed LB polling while a forger floods LBNP from the LB's own address;
# 2,000 connections held and a slowloris against the HTTP port while
# the LB's agent checks go on; accept() out of descriptors.  Answers,
# log lines and the reporter's CPU time are measured over each window.
. "$top_srcdir/tests/integ/lib.sh"
need_root
command -v curl >/dev/null || bail "curl missing: apt-get install curl"

NODE=lbn-atk-n-$$
LB=lbn-atk-l-$$
N=198.18.0.1		# the node
LBA=198.18.0.2		# the LB
OTHER=198.18.0.4	# in the allowlist by a prefix
LB2=198.18.0.8		# another LB the allowlist names
STRANGER=198.18.0.3	# outside it
ATTACK=$top_builddir/tests/integ/attack
KEY=$LAB_DIR/key
CONF=$LAB_DIR/lbnoded.conf
[ -x "$ATTACK" ] || bail "$ATTACK not built"

node_and_lb "$NODE" "$LB" $N/24 $LBA/24 lbn-an0 lbn-al0
if_addr "$LB" lbn-al0 $OTHER/24 $LB2/24 $STRANGER/24
lab_key "$KEY"

lab_conf "$CONF" <<EOF
key file "$KEY"
lb "$LBA"
lb "$OTHER/30"
lb "$LB2"
agent port 3333
http port 8080
announce off
EOF

counter() {	# counter NAME [REASON]: from lbnodectl status -j
	ctl -j status | python3 -c 'import json, sys
s = json.load(sys.stdin)
print(s["dropped"][sys.argv[2]] if len(sys.argv) > 2 else s[sys.argv[1]])' "$@"
}
# cpu_ticks PID: utime + stime
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
field() { echo "$1" | awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }'; }
# share_at_least ANSWERED SENT PERCENT
share_at_least() { [ "$2" -gt 0 ] && [ $(( $1 * 100 )) -ge $(( $2 * $3 )) ]; }
log_lines() { wc -l <"$LAB_DIR/daemon.log"; }
HZ=$(getconf CLK_TCK)

# nice_of PID: its nice value
nice_of() { awk '{ print $19 }' "/proc/$1/stat"; }

# start_limited NOFILE [CMD...]: the daemon with that fd limit, run by
# CMD if given; sets REP.
start_limited() {
	nofile=$1; shift
	"$@" prlimit --nofile="$nofile:$nofile" ip netns exec "$NODE" \
	    "$LBNODED" -d -f "$CONF" >>"$LAB_DIR/daemon.log" 2>&1 &
	DAEMON_PID=$!
	LAB_PIDS="$LAB_PIDS $DAEMON_PID"
	wait_for 10 ctl status || bail "the daemon does not start"
	wait_for 10 child_pid "$DAEMON_PID" reporter >/dev/null
	REP=$(child_pid "$DAEMON_PID" reporter)
	wait_for 10 lb "$ATTACK" agent -i 100 -t 1 $N 3333 ||
	    bail "no agent answer"
}

# What systemd gives a service unless LimitNOFILE says otherwise.
start_limited 1024
check "the reporter's fd limit is 1024" \
    grep -Eq '^Max open files +1024 +1024' "/proc/$REP/limits"
check "the reporter runs 5 nice levels above the monitor" \
    test "$(nice_of "$REP")" -eq $(( $(nice_of "$DAEMON_PID") - 5 ))

## LBNP: a forger floods from the LB's address, wrong HMACs

auth0=$(counter dropped auth)
lb "$ATTACK" flood -r 1000 -t 12 $N >"$LAB_DIR/flood.out" &
FLOOD=$!
poll=$(lb "$ATTACK" poll -k "$KEY" -i 100 -t 10 $N)
wait "$FLOOD"
flood=$(cat "$LAB_DIR/flood.out")
diag "LB: $poll; forger: $flood"
sent=$(field "$poll" sent) answered=$(field "$poll" answered)
check "keyed LB answered >= 99% under a 1k/s forged flood ($answered/$sent)" \
    share_at_least "$answered" "$sent" 99
fsent=$(field "$flood" sent)
auth1=$(counter dropped auth)
check "the forged packets dropped as auth ($((auth1 - auth0)) of $fsent)" \
    test $((auth1 - auth0)) -ge $((fsent * 9 / 10))
check "no answer to the forger" test "$(field "$flood" answered)" = 0

## the same from an allowed address no authentic packet came from

rate0=$(counter dropped rate)
auth0=$(counter dropped auth)
lb "$ATTACK" flood -r 5000 -t 3 -S $OTHER $N >"$LAB_DIR/flood.out" &
FLOOD=$!
poll=$(lb "$ATTACK" poll -k "$KEY" -i 100 -t 2 $N)
wait "$FLOOD"
fsent=$(field "$(cat "$LAB_DIR/flood.out")" sent)
rate=$(( $(counter dropped rate) - rate0 )) auth=$(( $(counter dropped auth) - auth0 ))
diag "stranger's flood: sent $fsent, HMACs checked and failed $auth, dropped unchecked $rate; LB: $poll"
check "a new source's failing HMACs are bounded (1000 + 1000/s)" \
    test "$auth" -le $((1000 + 1000 * 4))
check "... the rest dropped unchecked, as rate" test $((auth + rate)) -ge $((fsent * 9 / 10))
check "... and the LB answered meanwhile" \
    share_at_least "$(field "$poll" answered)" "$(field "$poll" sent)" 99

## a forger of a named LB's address who starts before that LB is heard

rate0=$(counter dropped rate)
auth0=$(counter dropped auth)
lb "$ATTACK" flood -r 10000 -t 4 -S $LB2 $N >"$LAB_DIR/flood.out" &
FLOOD=$!
# auth_past N: more than N forged packets checked since auth0
auth_past() { [ $(( $(counter dropped auth) - auth0 )) -gt "$1" ]; }
wait_for 5 auth_past 1000 || diag "the flood did not reach the reporter"
poll=$(lb "$ATTACK" poll -k "$KEY" -i 100 -t 2 -S $LB2 $N)
wait "$FLOOD"
rate=$(( $(counter dropped rate) - rate0 ))
diag "flood from $LB2, first heard meanwhile: $(cat "$LAB_DIR/flood.out"); dropped unchecked $rate; LB: $poll"
check "a named LB not heard before answered >= 99% under a 10k/s forged flood" \
    share_at_least "$(field "$poll" answered)" "$(field "$poll" sent)" 99
check "... its address's packets all checked, none dropped as rate" \
    test "$rate" -eq 0

## HTTP: 2,000 connections held, and a slowloris, from allowed sources

agent_during() {	# agent_during SECONDS: the LB's checks, every 50 ms
	lb "$ATTACK" agent -i 50 -t "$1" $N 3333
}
lines0=$(log_lines)
cpu0=$(cpu_ticks "$REP")
lb "$ATTACK" hold -n 2000 -t 12 $N 8080 >"$LAB_DIR/hold.out" &
HOLD=$!
ip netns exec "$LB" "$ATTACK" hold -n 2000 -t 12 -s $N 8080 \
    >"$LAB_DIR/slow.out" &
SLOW=$!
sleep 1
agent=$(agent_during 10)
fds=$(ls "/proc/$REP/fd" | wc -l)
load_ok=0
for i in 1 2 3 4 5; do
	lb curl -s -m 2 --interface $OTHER http://$N:8080/load |
	    grep -Eqx '[0-9]+' && load_ok=$((load_ok + 1))
done
wait "$HOLD" "$SLOW"
cpu=$(( $(cpu_ticks "$REP") - cpu0 ))
lines=$(( $(log_lines) - lines0 ))
diag "agent: $agent; held: $(cat "$LAB_DIR/hold.out"); slowloris: $(cat "$LAB_DIR/slow.out")"
diag "reporter CPU $cpu ticks of $((13 * HZ)), $lines log lines"
check "agent answered >= 99% with 4,000 connections at HTTP" \
    share_at_least "$(field "$agent" answered)" "$(field "$agent" sent)" 99
check "HTTP still answers another allowed LB ($load_ok of 5)" test "$load_ok" -ge 4
check "none of the held connections outlived the deadline" \
    grep -q '^open 0 ' "$LAB_DIR/slow.out"
check "the reporter's CPU under 25% of the window" test "$cpu" -le $((13 * HZ / 4))
check "at most 2 log lines ($lines)" test "$lines" -le 2
check "the reporter held under 400 descriptors ($fds)" test "$fds" -lt 400
check "the reporter survived" test "$(child_pid "$DAEMON_PID" reporter)" = "$REP"

## a stranger holds nothing

strange=$(lb "$ATTACK" hold -n 500 -t 2 -S $STRANGER $N 8080)
diag "stranger: $strange"
check "a stranger holds no HTTP connection" test "$(field "$strange" open)" = 0

## out of descriptors: one log line, no spin; and no right to a higher
## priority: no CAP_SYS_NICE, RLIMIT_NICE 0

kill "$DAEMON_PID"
wait "$DAEMON_PID"
start_limited 40 setpriv --bounding-set -sys_nice prlimit --nice=0:0
check "not allowed a higher priority, the reporter runs at the monitor's" \
    test "$(nice_of "$REP")" -eq "$(nice_of "$DAEMON_PID")"
check "... and says why" grep -q 'reporter: cannot run at nice' "$LAB_DIR/daemon.log"
lines0=$(log_lines)
cpu0=$(cpu_ticks "$REP")
lb "$ATTACK" hold -n 600 -t 8 $N 3333 >/dev/null &
HOLD=$!
lb "$ATTACK" hold -n 600 -t 8 $N 8080 >/dev/null
wait "$HOLD"
cpu=$(( $(cpu_ticks "$REP") - cpu0 ))
lines=$(( $(log_lines) - lines0 ))
diag "out of fds: reporter CPU $cpu ticks of $((8 * HZ)), $lines log lines"
grep 'accept' "$LAB_DIR/daemon.log" | tail -3 | sed 's/^/# /'
check "EMFILE: at most 2 log lines ($lines)" test "$lines" -le 2
check "EMFILE: the reporter's CPU under 25% of the window" \
    test "$cpu" -le $((8 * HZ / 4))
check "agent answers again" wait_for 5 lb "$ATTACK" agent -i 100 -t 1 $N 3333
check "... from the same reporter (no seccomp kill, no crash)" \
    test "$(child_pid "$DAEMON_PID" reporter)" = "$REP"

done_testing
