#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# Following the network while the daemon runs: an address that comes
# after the start, an address that changes, the interface deleted and
# created again, the default route moved to another interface, and a
# burst of 1,000 address changes.  The LB side is a listener in the LB
# namespace that logs every LBNP datagram it hears, with the time.
#
# Needs python3, arping.
. "$top_srcdir/tests/integ/lib.sh"
need_root
for t in python3 arping; do
	command -v $t >/dev/null || bail "$t is not installed (tools/setup installs it)"
done

NODE=lbn-nw-n-$$
LB=lbn-nw-l-$$
CONF=$LAB_DIR/lbnoded.conf
HEARD=$LAB_DIR/heard
LBA=198.18.0.2		# the LB, on the first link
VIP=198.18.1.10		# a loopback VIP
IF=lbn-wn0

node_and_lb "$NODE" "$LB" "" $LBA/24 $IF lbn-wl0	# the node's address comes later

# A constant weight: every ANNOUNCE the LB hears is one about the
# address, none about the load.
lab_conf "$CONF" <<EOF
lb "$LBA"
announce off
weight min 50 max 50
vip "$VIP" {
	mode loopback
}
EOF

# One line per LBNP datagram: time, source, type, reason, ADDR4.
cat >"$LAB_DIR/listen.py" <<'EOF'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 65002))
out = open(sys.argv[1], "a", buffering=1)
print("listening", file=out)
while True:
    pkt, src = s.recvfrom(65536)
    t = time.time()
    if len(pkt) < 16 or pkt[:4] != b"LBNP":
        continue
    body = pkt[16:16 + struct.unpack(">H", pkt[12:14])[0]]
    reason, addr4, i = -1, "-", 0
    while i + 4 <= len(body):
        ty, ln = struct.unpack(">HH", body[i:i + 4])
        v = body[i + 4:i + 4 + ln]
        if ty == 13 and ln == 1:
            reason = v[0]
        elif ty == 3 and ln == 4:
            addr4 = socket.inet_ntoa(v)
        i += 4 + ln
    print("%.6f %s %d %d %s" % (t, src[0], pkt[5], reason, addr4), file=out)
EOF
lb python3 "$LAB_DIR/listen.py" "$HEARD" &
LAB_PIDS="$LAB_PIDS $!"
wait_for 10 grep -q listening "$HEARD" || bail "the listener did not start"

status_says() { ctl status | grep -q "^interface: *$1"; }
log_has() { grep -q "$1" "$LAB_DIR/daemon.log"; }
now() { date +%s.%N; }
# announced ADDR [AFTER]: an ANNOUNCE (type 1) carrying ADDR, from ADDR,
# heard after time AFTER; prints the time it was heard
announced() {
	awk -v a="$1" -v t="${2:-0}" '$3 == 1 && $2 == a && $5 == a &&
	    $1 > t { print $1; found = 1; exit } END { exit !found }' "$HEARD"
}
# announces_between T0 T1: the ANNOUNCEs heard in that window
announces_between() {
	awk -v t0="$1" -v t1="$2" '$3 == 1 && $1 >= t0 && $1 <= t1 { n++ }
	    END { print n + 0 }' "$HEARD"
}
reports() { lb "$LBNODECTL" probe "$1" | grep -q "^address *$2\$"; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# --- started before the interface has an address
daemon_start "$NODE" "$CONF"
check "daemon up, no usable address in status" wait_for 10 \
    status_says "$IF, no usable address"
# ready: the first weight is sampled, so the first ANNOUNCE is out
check "daemon ready" wait_for 10 log_has "ready: state ready"
ctl status -j >"$LAB_DIR/status.json"
check "status -j: usable false, no address" python3 -c "
import json, sys
i = json.load(open(sys.argv[1]))['interface']
assert i['name'] == '$IF' and i['usable'] is False and i['address'] is None, i
" "$LAB_DIR/status.json"
check "logged: no usable address" log_has "interface $IF has no usable address"

t0=$(now)
ip -n "$NODE" addr add 198.18.0.1/24 dev $IF
check "an address comes: the LB hears an ANNOUNCE from it" \
    wait_for 5 announced 198.18.0.1 "$t0"
t1=$(announced 198.18.0.1 "$t0")
diag "address added to ANNOUNCE heard: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f ms", (b - a) * 1000 }')"
check "... within 1 s" lt "$t1" "$(awk -v a="$t0" 'BEGIN { printf "%.6f", a + 1 }')"
check "... with REASON change" sh -c \
    "awk '\$1 == \"$t1\" { exit !(\$4 == 2) }' '$HEARD'"
check "status: the address, usable" status_says "$IF, 198.18.0.1"
check "no usable address: logged once" test \
    "$(grep -c "has no usable address" "$LAB_DIR/daemon.log")" -eq 1
check "netcfg: ARP for loopback VIPs is sent from the new address" \
    wait_for 5 sh -c "ip netns exec $NODE nft list chain arp lbnoded output |
    grep -q 'set 198.18.0.1'"

# --- the address changes
t0=$(now)
ip -n "$NODE" addr del 198.18.0.1/24 dev $IF
ip -n "$NODE" addr add 198.18.0.5/24 dev $IF
check "address changed: the LB hears an ANNOUNCE from the new one" \
    wait_for 5 announced 198.18.0.5 "$t0"
check "the next REPORT carries the new address" reports 198.18.0.5 198.18.0.5
check "logged: the new address" log_has "interface $IF: IPv4 198.18.0.5"
ip -n "$NODE" addr add fe80::1:5/64 dev $IF nodad
ip -n "$NODE" addr add 2001:db8:1::5/64 dev $IF nodad
check "an IPv6 address comes: status has it, not the link-local one" \
    wait_for 5 status_says "$IF, 198.18.0.5, 2001:db8:1::5"
check "... and so do REPORTs" sh -c "ip netns exec $LB $LBNODECTL probe \
    198.18.0.5 | grep -q '^address6 *2001:db8:1::5\$'"

# --- the interface deleted and created again (a driver update)
arp_answers() { ip netns exec "$LB" timeout 10 arping -q -c 2 -w 2 -i lbn-wl0 "$1"; }
no_arp_answer() { ! arp_answers "$1"; }
idx0=$(ip -n "$NODE" -o link show $IF | cut -d: -f1)
ip -n "$NODE" link del $IF
check "interface gone: logged" wait_for 5 log_has "interface $IF not found"
check "interface gone: status says so" wait_for 5 status_says "$IF, not found"
check "the loopback VIP stays on lo" sh -c \
    "ip -n $NODE -o addr show dev lo | grep -q ' $VIP/32'"
t0=$(now)
veth_pair "$NODE" $IF "$LB" lbn-wl0
if_addr "$LB" lbn-wl0 $LBA/24
ip -n "$NODE" addr add 198.18.0.5/24 dev $IF
idx1=$(ip -n "$NODE" -o link show $IF | cut -d: -f1)
check "appeared again: logged with its new index ($idx0 -> $idx1)" \
    wait_for 5 log_has "interface $IF appeared: index $idx1\$"
check "re-created: the LB hears an ANNOUNCE again" \
    wait_for 5 announced 198.18.0.5 "$t0"
check "re-created: REPORTs answered" wait_for 5 reports 198.18.0.5 198.18.0.5
check "re-created: ARP rules rebuilt, audit-logged" wait_for 5 sh -c \
    "grep 'audit:' '$LAB_DIR/daemon.log' | tail -1 |
    grep -q 'tables rebuilt (interface $IF, IPv4 198.18.0.5),'"
check "ARP: the node's address answers (the probe works)" arp_answers 198.18.0.5
check "ARP: still no answer for the loopback VIP" no_arp_answer $VIP

# created again at once, within the settle time: only the index moves
ip -n "$NODE" -batch - <<EOF || bail "re-creating $IF"
link del $IF
link add $IF type veth peer name lbn-wl0 netns $LB
link set $IF up
addr add 198.18.0.5/24 dev $IF
EOF
ip -n "$LB" link set lbn-wl0 up
ip -n "$LB" addr add $LBA/24 dev lbn-wl0
idx2=$(ip -n "$NODE" -o link show $IF | cut -d: -f1)
# "re-created: index N, was M" when both came within one settle time
check "created again at once: logged with the new index" \
    wait_for 5 log_has "interface $IF [a-z-]*: index $idx2\\b"
check "... status still has the address" status_says "$IF, 198.18.0.5"
check "... REPORTs answered" wait_for 5 reports 198.18.0.5 198.18.0.5

# --- interface unset: the default route's interface is followed
veth_pair "$NODE" lbn-wn1 "$LB" lbn-wl1
ip -n "$LB" addr add 198.51.100.2/24 dev lbn-wl1
ip -n "$NODE" addr add 198.51.100.1/24 dev lbn-wn1
ip -n "$NODE" route add default via $LBA
# no lb lines: announcements go to the interface's broadcast address
sed -i -e '/^interface /d' -e '/^lb /d' "$CONF"
check "reload without interface" ctl reload
check "status: the default route's interface" wait_for 5 status_says "$IF, 198.18.0.5"
t0=$(now)
ip -n "$NODE" route replace default via 198.51.100.2
check "default route moved: an ANNOUNCE from the other interface" \
    wait_for 5 announced 198.51.100.1 "$t0"
check "status: the new interface" status_says "lbn-wn1, 198.51.100.1"
check "logged: the default route's interface" log_has "default route: interface lbn-wn1"

# --- a burst of 1,000 address changes, status asked between batches.
# Taking its address away would take the default route too: the
# interface is named again for this.
printf 'interface "lbn-wn1"\nlb "198.51.100.2"\n' >>"$CONF"
check "reload with interface lbn-wn1" ctl reload
i=0 cur=198.51.100.1
while [ $i -lt 500 ]; do
	next=198.51.100.$((3 + i % 7))
	echo "addr del $cur/24 dev lbn-wn1"
	echo "addr add $next/24 dev lbn-wn1"
	cur=$next
	i=$((i + 1))
done >"$LAB_DIR/burst"
final=$cur
split -l 20 "$LAB_DIR/burst" "$LAB_DIR/burst."
t0=$(now)
slow=0
for b in "$LAB_DIR"/burst.*; do
	ip -n "$NODE" -batch "$b" || bail "ip -batch $b"
	timeout 5 "$LBNODECTL" -s "$LAB_SOCK" status >/dev/null || slow=$((slow + 1))
done
t1=$(now)
check "during the burst every status answered within 5 s" test $slow -eq 0
check "after the burst the final address is announced" \
    wait_for 5 announced $final "$t0"
check "... and reported" wait_for 5 reports $final $final
t2=$(announced $final "$t0")
n=$(announces_between "$t0" "$t2")
# one look per settle time (0.2 s) at most, each at most one ANNOUNCE
bound=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%d", (b - a) / 0.2 + 2 }')
diag "burst of 1000 changes: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }'), $n ANNOUNCEs heard (bound $bound)"
check "a bounded number of ANNOUNCEs ($n <= $bound)" test "$n" -le "$bound"
check "fewer ANNOUNCEs than changes" test "$n" -lt 100
check "the daemon is still there" kill -0 "$DAEMON_PID"

done_testing
