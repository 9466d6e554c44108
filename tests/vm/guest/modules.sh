#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
#
# What the tunnel mode and the director build on, inside the VM on
# Debian's kernel: ip_vs (a virtual service through ipvsadm), and the
# ipip, ip6_tunnel, gre and fou modules, each loaded and carrying a
# ping between two namespaces of the test's own.  Run by tests/vm/modules.sh through tests/vm/run.
. "$top_srcdir/tests/integ/lib.sh"
need_root
for t in ipvsadm ping; do
	command -v $t >/dev/null || bail "$t is not installed (tools/setup installs it)"
done

A=lbn-vma-$$ B=lbn-vmb-$$
netns_add "$A"
netns_add "$B"
veth_pair "$A" a0 "$B" b0
# .1 and .2 for the plain tunnels, .11 and .12 for the one over GUE
if_addr "$A" a0 192.0.2.1/24 192.0.2.11/24 2001:db8:1::1/64
if_addr "$B" b0 192.0.2.2/24 192.0.2.12/24 2001:db8:1::2/64
wait_for 10 no_tentative "$A" "$B" || bail "IPv6 addresses stay tentative"

loaded() { grep -q "^$1 " /proc/modules; }

# tunnel NAME TYPE ARGS ADDR-A ADDR-B: a tunnel of TYPE on each side,
# and a ping through it; -6 for IPv6 inner addresses.
tunnel() {
	tn=$1 type=$2 argsa=$3 argsb=$4 ina=$5 inb=$6
	# shellcheck disable=SC2086
	ip -n "$A" link add "$tn" type $type $argsa &&
	    ip -n "$B" link add "$tn" type $type $argsb &&
	    ip -n "$A" link set "$tn" up && ip -n "$B" link set "$tn" up &&
	    if_addr "$A" "$tn" "$ina" && if_addr "$B" "$tn" "$inb" &&
	    wait_for 10 ip netns exec "$A" ping -c 1 -W 1 "${inb%/*}"
}

check "ipip: a tunnel carries a ping" tunnel ti ipip \
    "local 192.0.2.1 remote 192.0.2.2" "local 192.0.2.2 remote 192.0.2.1" \
    198.18.1.1/30 198.18.1.2/30
check "ipip: the module is loaded on demand" loaded ipip

check "ip6_tunnel: an ip6ip6 tunnel carries a ping" tunnel t6 ip6tnl \
    "mode ip6ip6 local 2001:db8:1::1 remote 2001:db8:1::2" \
    "mode ip6ip6 local 2001:db8:1::2 remote 2001:db8:1::1" \
    2001:db8:2::1/64 2001:db8:2::2/64
check "ip6_tunnel: the module is loaded on demand" loaded ip6_tunnel

check "gre: a tunnel carries a ping" tunnel tg gre \
    "local 192.0.2.1 remote 192.0.2.2" "local 192.0.2.2 remote 192.0.2.1" \
    198.18.2.1/30 198.18.2.2/30
check "gre: the module is loaded on demand" loaded ip_gre

# fou has no autoload alias: modprobe it, as on a real Debian machine.
check "fou: modprobe fou" modprobe fou
check "fou: a GUE port is added" sh -c \
    "ip -n $A fou add port 5555 gue && ip -n $B fou add port 5555 gue"
check "fou: the port is listed" sh -c "ip -n $B fou show | grep -q 'port 5555 gue'"
# both ends send GUE to port 5555: a reply gets through only if the
# other's fou port took the encapsulation off
GUE="encap gue encap-sport auto encap-dport 5555"
check "fou: an ipip tunnel over GUE carries a ping" tunnel tf ipip \
    "local 192.0.2.11 remote 192.0.2.12 $GUE" \
    "local 192.0.2.12 remote 192.0.2.11 $GUE" 198.18.3.1/30 198.18.3.2/30
check "ip_vs: a virtual service is added" \
    ip netns exec "$A" ipvsadm -A -t 198.18.4.1:80 -s rr
check "ip_vs: a real server in tunnel mode is added" \
    ip netns exec "$A" ipvsadm -a -t 198.18.4.1:80 -r 192.0.2.2:80 -i
check "ip_vs: the module is loaded" loaded ip_vs
check "ip_vs: /proc/net/ip_vs lists the service" \
    sh -c "ip netns exec $A cat /proc/net/ip_vs | grep -q 'TCP  C6120401:0050 rr'"
check "ip_vs: ipvsadm -Ln shows the tunnel server" \
    sh -c "ip netns exec $A ipvsadm -Ln | grep -q '192.0.2.2:80 *Tunnel'"

done_testing
