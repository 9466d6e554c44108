#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# Reload and restart semantics: a valid reload applies only the
# difference, keeps the counters and the LB-facing sockets, and lets
# VIP traffic flow throughout; a whole-daemon kill -9 and restart
# leaves no duplicates; "on exit keep" keeps the rules.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NODE=lbn-rl-n-$$
LB=lbn-rl-l-$$
CONF=$LAB_DIR/lbnoded.conf
node_and_lb "$NODE" "$LB" 198.51.100.2/24 198.51.100.1/24 lbn-n0 lbn-l0
CTL_NS=$NODE
for v in 198.18.0.10 198.18.0.11 198.18.0.12; do
	ip -n "$LB" route add "$v/32" via 198.51.100.2
done
ip netns exec "$NODE" socat -t 5 TCP-LISTEN:80,reuseaddr,fork SYSTEM:'echo ok' \
    >/dev/null 2>&1 &
LAB_PIDS="$LAB_PIDS $!"

write_conf() {	# write_conf AGENT-PORT ON-EXIT [EXTRA]
	lab_conf "$CONF" <<EOC
agent port $1
on exit $2
vip 198.18.0.10 {
	mode redirect
	tcp port 80
}
vip 198.18.0.11 {
	mode loopback
	tcp port 80
}
$3
EOC
}
field() { ctl -j status | jq -r ".$1"; }
probe() { lb "$LBNODECTL" probe -t 1 198.51.100.2; }
# socat waits up to -t seconds for the answer once its input has ended
agent() { lb socat -t 5 -T 1 - "TCP:198.51.100.2:$1" </dev/null; }
vip_ok() { [ "$(lb socat -t 5 -T 1 - \
    "TCP:$1:80,connect-timeout=1" </dev/null 2>/dev/null)" = ok ]; }
udp_inode() {	# the reporter's UDP socket on port 65002 (hex FDEA)
	awk '$2 ~ /:FDEA$/ { print $10; exit }' "/proc/$1/net/udp"
}
lo_count() { ip -n "$NODE" -o addr show dev lo | grep -c " $1/32 "; }
elements() { ip netns exec "$NODE" nft -j list ruleset |
    jq '[.nftables[] | select(.set) | .set.elem // [] | length] | add'; }

write_conf 3333 remove
daemon_start "$NODE" "$CONF"
check "daemon up" wait_for 5 daemon_up
MON=$DAEMON_PID
for i in 1 2 3; do probe >/dev/null; done
rx=$(field rx_packets)
check "three queries counted" test "$rx" -ge 3
rep=$(child_pid "$MON" reporter)
inode=$(udp_inode "$rep")
check "the reporter holds the LBNP socket" test -n "$inode"

check "redirect VIP serves" vip_ok 198.18.0.10
check "loopback VIP serves" vip_ok 198.18.0.11

# Connections to both VIPs all through the reload: none may fail.
(
	fails=0
	for i in $(seq 1 40); do
		vip_ok 198.18.0.10 || fails=$((fails + 1))
		vip_ok 198.18.0.11 || fails=$((fails + 1))
		echo "$i" >"$LAB_DIR/round"
		sleep 0.02
	done
	echo "$fails" >"$LAB_DIR/fails"
) &
LOOP=$!
wait_for 10 test -s "$LAB_DIR/round"	# connections before the reload too
write_conf 3333 remove 'vip 198.18.0.12 {
	mode loopback
}'
check "lbnodectl reload of a valid config" ctl reload
wait "$LOOP"
check "no connection failed during the reload" test "$(cat "$LAB_DIR/fails")" -eq 0
check "the reload applied only the difference" \
    grep -q "audit: config generation 2: applied: +1/-0 entries" "$LAB_DIR/daemon.log"
check "the new loopback VIP is on lo" test "$(lo_count 198.18.0.12)" -eq 1
check "the reporter was not restarted" test "$(child_pid "$MON" reporter)" = "$rep"
check "the LBNP socket was kept" test "$(udp_inode "$rep")" = "$inode"
check "counters survive a reload" test "$(field rx_packets)" -ge "$rx"
check "the agent port still answers" agent 3333

# A changed port: the new one is served, the old one closed.
write_conf 3334 remove
check "reload to a new agent port" ctl reload
check "the new agent port answers" wait_for 2 agent 3334
check "the old agent port is closed" sh -c \
    "! ip netns exec $LB socat -T 1 - TCP:198.51.100.2:3333 </dev/null"
check "the removed VIP left lo" test "$(lo_count 198.18.0.12)" -eq 0

# A reload is answered once netcfg has its rules in force: right after
# "reload OK", every element of a big config is in the kernel.
many_ports() {	# a redirect vip block with N single-port tcp entries
	awk -v n="$1" 'BEGIN { print "vip 198.18.0.13 {\n\tmode redirect";
	    for (i = 1; i <= n; i++) printf "\ttcp port %d\n", i; print "}" }'
}
before=$(elements)
write_conf 3334 remove "$(many_ports 20000)"
check "reload of a config with 20000 more entries" ctl reload
check "when it says OK, all 20000 are in force" \
    test "$(elements)" -eq $((before + 20000))
write_conf 3334 remove
check "reload back to the small config" ctl reload
check "when it says OK, they are gone" test "$(elements)" -eq "$before"

# Every error of a bad config comes back as file:line, and is logged
# whichever way the reload was asked for.
write_conf 3334 remove 'port 0
bogus'
ctl_capture reload
check "reload of a config with two errors fails" test $CTL_RC -eq 1
check "the first error, with its line" grep -q "^$CONF:14: " "$CTL_ERR"
check "the second error, with its line" grep -q "^$CONF:15: " "$CTL_ERR"
check "no OK" test ! -s "$CTL_OUT"
lines=$(wc -l <"$LAB_DIR/daemon.log")
kill -HUP "$MON"
hup_logged() { tail -n +"$((lines + 1))" "$LAB_DIR/daemon.log" |
    grep -q "^monitor: $CONF:15: "; }
check "SIGHUP of a bad config: the log has file:line" wait_for 5 hup_logged

# What the config refers to is checked at reload too.
sed 's/"lbn-n0"/"lbn-nosuch0"/' "$CONF" >"$CONF.new"
head -n 13 "$CONF.new" >"$CONF"
ctl_capture reload
check "reload naming a missing interface fails" test $CTL_RC -eq 1
check "... naming it, with its line" \
    grep -qx "$CONF:1: interface \"lbn-nosuch0\" does not exist" "$CTL_ERR"

# Rules netcfg refuses (a VIP that is the node's own address) fail the
# reload and put the old configuration back whole.
write_conf 3334 remove 'vip 198.51.100.2 {
	mode loopback
}'
ctl_capture reload
check "reload of rules netcfg refuses fails" test $CTL_RC -eq 1
check "... saying why, naming the VIP" \
    grep -q "^vip 198.51.100.2 (entry [0-9]*): .*VIP is an address of this node" "$CTL_ERR"
refused_in_force() { ctl -j show vips |
    jq -e '.[] | select(.vip == "198.51.100.2")'; }
check "the refused VIP is not listed in force" not refused_in_force
listed() { ctl -j show vips | grep -q "$1"; }
check "the old VIPs are listed in force" listed 198.18.0.11
check "the old VIPs still serve" vip_ok 198.18.0.10
check "the log says the old config is back" \
    grep -q "netcfg refused the rules: putting the old configuration back" \
    "$LAB_DIR/daemon.log"
write_conf 3334 remove
check "a good reload after that" ctl reload
check "... still the same rules" test "$(elements)" -eq "$before"

# The whole daemon killed and started again: no duplicates.
before=$(elements)
pids="$(children_of "$MON") $MON"
for p in $pids; do kill -9 "$p"; done
all_gone() { for p in $pids; do ! kill -0 "$p" 2>/dev/null || return 1; done; }
wait "$MON" 2>/dev/null
wait_for 5 all_gone
daemon_start "$NODE" "$CONF"
check "daemon up again after kill -9" wait_for 5 daemon_up
MON=$DAEMON_PID
check "one loopback address, not two" test "$(lo_count 198.18.0.11)" -eq 1
check "no duplicate set elements" test "$(elements)" = "$before"
check "the VIP serves after the restart" vip_ok 198.18.0.10

# on exit keep: the rules outlive the daemon
write_conf 3333 keep
check "reload to on exit keep" ctl reload
kill -TERM "$MON"
check "stopped" wait_for 3 sh -c "! kill -0 $MON 2>/dev/null"
check "on exit keep: the table stays" \
    ip netns exec "$NODE" nft list table ip lbnoded
check "on exit keep: the VIP stays on lo" test "$(lo_count 198.18.0.11)" -eq 1
check "on exit keep: the VIP still serves" vip_ok 198.18.0.10

# and a later start with "on exit remove" takes over and cleans up
write_conf 3333 remove
daemon_start "$NODE" "$CONF"
check "daemon up over kept rules" wait_for 5 daemon_up
check "still one loopback address" test "$(lo_count 198.18.0.11)" -eq 1
kill -TERM "$DAEMON_PID"
check "stopped again" wait_for 3 sh -c "! kill -0 $DAEMON_PID 2>/dev/null"
check "on exit remove: no table left" sh -c \
    "! ip netns exec $NODE nft list tables | grep -q lbnoded"
check "on exit remove: no VIP on lo" test "$(lo_count 198.18.0.11)" -eq 0

done_testing
