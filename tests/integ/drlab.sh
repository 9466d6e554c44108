#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# End-to-end direct routing lab: client -- lb -- node.  The lb routes
# the VIPs to the node's real address (the MAC is rewritten, the
# destination stays the VIP), as a DR load balancer does; netcfg on the
# node makes the VIP traffic land on local servers in redirect, dnat
# and loopback mode, over IPv4, and in loopback mode over IPv6.  A
# loopback VIP must not be announced: no ARP reply, no neighbour
# advertisement.
#
# Needs socat, arping (Thomas Habets' or iputils), jq.
. "$top_srcdir/tests/integ/lib.sh"
need_root
for t in socat arping; do
	command -v $t >/dev/null || bail "$t is not installed (tools/setup installs it)"
done

C=lbn-drc-$$ L=lbn-drl-$$ N=lbn-drn-$$
node_and_lb "$N" "$L" 192.0.2.2/24 192.0.2.1/24 n0 l1
if_addr "$N" n0 192.0.2.3/24 2001:db8:2::2/64	# 192.0.2.3: the dnat backend
if_addr "$L" l1 2001:db8:2::1/64
netns_add "$C"
veth_pair "$C" c0 "$L" l0
if_addr "$C" c0 198.51.100.2/24 2001:db8:1::2/64
if_addr "$L" l0 198.51.100.1/24 2001:db8:1::1/64

ip -n "$C" route add default via 198.51.100.1
ip -n "$C" -6 route add default via 2001:db8:1::1

ip netns exec "$L" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$L" sysctl -qw net.ipv6.conf.all.forwarding=1
# DR: the VIPs are routed to the node's real address, not rewritten
ip -n "$L" route add 198.18.0.0/24 via 192.0.2.2
ip -n "$L" -6 route add 2001:db8:ffff::/48 via 2001:db8:2::2

ip -n "$N" route add default via 192.0.2.1
ip -n "$N" -6 route add default via 2001:db8:2::1

wait_for 10 no_tentative "$C" "$L" "$N" || bail "IPv6 addresses stay tentative"

# netcfg on the node, driven as the monitor would
netcfg_driver "$N" drv
cat >&7 <<'EOF'
iface n0
real 192.0.2.2
real6 2001:db8:2::2
settings
begin config 1
redirect 198.18.0.10 tcp 80
redirect 198.18.0.10 udp 53 5353
redirect 198.18.0.11 tcp 8000-8010
dnat 198.18.0.12 tcp 80 192.0.2.3
loopback 198.18.0.13
loopback 2001:db8:ffff::10
commit
EOF
wait_for 10 grep -q '^done' "$DRV_OUT" || bail "netcfg did not answer"
check "netcfg applied the VIPs" grep -q '^result ok' "$DRV_OUT"

# servers on the node; each answers with its own name.  The client's
# line is read (cat), or socat could find the pipe to the shell closed
# and give up before the answer; -t: the answer may come after the
# client's end is closed.
serve() {	# serve NAME SOCAT-ADDRESS
	ip netns exec "$N" socat -t 5 -T 10 "$2,reuseaddr,fork" \
	    SYSTEM:"echo $1; cat >/dev/null" \
	    >/dev/null 2>&1 &
	LAB_PIDS="$LAB_PIDS $!"
}
serve redirect TCP4-LISTEN:80,bind=192.0.2.2
serve range TCP4-LISTEN:8005,bind=192.0.2.2
serve udp UDP4-RECVFROM:5353,bind=192.0.2.2
serve dnat TCP4-LISTEN:80,bind=192.0.2.3
serve loopback TCP4-LISTEN:80,bind=198.18.0.13
serve loopback6 TCP6-LISTEN:80,bind=[2001:db8:ffff::10]
listening() { ip netns exec "$N" ss -Hlntu | grep -q "$1"; }
for a in 192.0.2.2:80 192.0.2.2:8005 192.0.2.2:5353 192.0.2.3:80 \
    198.18.0.13:80 '\[2001:db8:ffff::10\]:80'; do
	wait_for 10 listening "$a " || bail "no server on $a"
done

# ask PROTO ADDR PORT EXPECTED: the client gets EXPECTED back (socat
# waits up to -t seconds for the answer once its own input has ended)
ask() {
	got=$(echo hello | ip netns exec "$C" timeout 10 socat -t 5 -T 5 - "$1:$2:$3" 2>&1)
	[ "$got" = "$4" ] || { echo "got: $got"; return 1; }
}
check "redirect: tcp VIP:80 reaches the node's port 80" ask TCP4 198.18.0.10 80 redirect
check "redirect: udp VIP:53 reaches port 5353" ask UDP4 198.18.0.10 53 udp
check "redirect: port range reaches the same port" ask TCP4 198.18.0.11 8005 range
check "dnat: VIP:80 reaches 192.0.2.3:80" ask TCP4 198.18.0.12 80 dnat
check "loopback: VIP on lo answers itself" ask TCP4 198.18.0.13 80 loopback
check "loopback IPv6: VIP on lo answers itself" ask TCP6 '[2001:db8:ffff::10]' 80 loopback6
check "a port no entry names is not redirected" sh -c \
    "! echo hi | ip netns exec $C timeout 5 socat -T 1 - TCP4:198.18.0.10:81,connect-timeout=1"

# the VIP on lo must not be announced on the node's link
arp_answers() { ip netns exec "$L" timeout 10 arping -q -c 2 -w 2 -i l1 "$1"; }
no_arp_answer() { ! arp_answers "$1"; }
check "ARP: the node's real address is answered (the probe works)" arp_answers 192.0.2.2
check "ARP: no answer for the loopback VIP" no_arp_answer 198.18.0.13

# IPv6: Linux answers a neighbour solicitation only for addresses on
# the interface it came in on; a VIP on lo must stay unresolved
ip -n "$L" -6 route add 2001:db8:ffff::10/128 dev l1	# on-link: solicit it
check "NS: the node's real address is resolved (the probe works)" \
    wait_for 10 sh -c "ip netns exec $L ping -6 -c 1 -W 2 2001:db8:2::2 >/dev/null &&
    ip -n $L -6 neigh show 2001:db8:2::2 dev l1 | grep -q lladdr"
ip netns exec "$L" ping -6 -c 1 -W 1 2001:db8:ffff::10 >/dev/null 2>&1
# The kernel solicits three times, a second apart, then gives up: wait
# for the end, FAILED, or an answer.
neigh_settled() {
	ip -n "$L" -6 neigh show 2001:db8:ffff::10 dev l1 | grep -q 'FAILED\|lladdr'
}
wait_for 10 neigh_settled
st=$(ip -n "$L" -6 neigh show 2001:db8:ffff::10 dev l1)
check "NS: the IPv6 loopback VIP is never resolved" sh -c \
    "echo '$st' | grep -q 'FAILED\|INCOMPLETE' && ! echo '$st' | grep -q lladdr"
ip -n "$L" -6 route del 2001:db8:ffff::10/128 dev l1

# without our arp table Linux would answer for the VIP on lo: the
# table is what keeps it quiet
ip netns exec "$N" nft delete table arp lbnoded
check "ARP: without our table the loopback VIP is answered" arp_answers 198.18.0.13

done_testing
