#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# netcfg on its own, driven by tests/integ/netcfg_driver in a scratch
# namespace: the rules and lo addresses it makes, its sandbox, refused
# requests that change nothing, diffs, restart after kill -9, remove-all,
# framing errors, and a foreign table left alone.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NS=lbn-nc-$$
netns_add "$NS"
veth_pair "$NS" veth0 "$NS" veth1
if_addr "$NS" veth0 192.0.2.2/24 2001:db8::2/64
# somebody else's lo address, which netcfg must never take away
ip -n "$NS" addr add 198.18.0.99/32 dev lo

nsx() { ip netns exec "$NS" "$@"; }

# a foreign table, as firewalld or iptables-nft would have
nsx nft -f - <<'EOF'
table inet filter {
	set allowed { type ipv4_addr; elements = { 192.0.2.77 } }
	chain input {
		type filter hook input priority 0; policy accept;
		ip saddr @allowed tcp dport 22 accept
		tcp dport 23 drop
	}
}
EOF
nsx nft list table inet filter >"$LAB_DIR/foreign.before"

answers() { grep -c '^done\|^exit' "$DRV_OUT"; }
answers_over() { test "$(answers)" -gt "$1"; }

# req LINE...: send a request, wait for its "done" (or netcfg's exit)
req() {
	n=$(answers)
	printf '%s\n' "$@" >&7
	wait_for 30 answers_over "$n" || bail "no answer to: $*"
	RESULT=$(grep '^result' "$DRV_OUT" | tail -1)
}

result_is() { case $RESULT in "result $1 "*) return 0 ;; esac; echo "$RESULT"; return 1; }

# elems SET: the elements of one of our sets or maps, one a line
elems() {
	nsx nft -j list table "${2:-ip}" lbnoded | jq -r --arg s "$1" '
	    .nftables[] | (.set // .map) | select(. != null and .name == $s) |
	    (.elem // [])[] |
	    (if type == "array" then . else [., null] end) as [$k, $v] |
	    ($k | if type == "object" then .concat else [.] end |
	     map(if type == "object" then "\(.range[0])-\(.range[1])"
	         else tostring end) | join(" ")) +
	    (if $v != null then " => \($v)" else "" end)'
}

# elems_are SET "E1,E2,": the set holds exactly these (sorted)
elems_are() {
	got=$(elems "$1" | sort | tr '\n' ,)
	[ "$got" = "$2" ] || { echo "got: $got"; return 1; }
}

lo_addrs() { nsx ip -j addr show dev lo | jq -r '.[0].addr_info[] | "\(.local)/\(.prefixlen)"' | sort; }
audits() { grep -c 'netcfg: audit: ' "$LAB_DIR/daemon.log"; }
snapshot() { { nsx nft list ruleset; lo_addrs; } >"$LAB_DIR/$1"; }

SETTINGS="iface veth0
real 192.0.2.2
real6 2001:db8::2
accept 198.18.1.0/24 tcp 80-90,443 3
accept 2001:db8:ffff::/48 any any 0
settings"
CONFIG="begin config 1
redirect 198.18.0.10 tcp 80
redirect 198.18.0.11 udp 5000 5353
redirect 198.18.0.14 tcp 8000-8010
dnat 198.18.0.12 tcp 80 192.0.2.5
loopback 198.18.0.13
loopback 2001:db8:ffff::10
commit"

netcfg_driver "$NS" one
req "$SETTINGS" "$CONFIG"
check "config applied" result_is ok
check "redirect, same port" sh -c "[ \"$(elems redir4)\" = '198.18.0.10 tcp 80' ]"
check "redirect to another port" sh -c "[ \"$(elems redirport4)\" = '198.18.0.11 udp 5000 => 5353' ]"
check "redirect of a port range" sh -c "[ \"$(elems redir4_range)\" = '198.18.0.14 tcp 8000-8010' ]"
check "dnat" sh -c "[ \"$(elems dnat4)\" = '198.18.0.12 tcp 80 => 192.0.2.5' ]"
check "loopback VIP in the arp set" sh -c "[ \"$(elems lo4 arp)\" = '198.18.0.13' ]"
check "IPv6 loopback VIP in the ip6 set" sh -c "[ \"$(elems lo6 ip6)\" = '2001:db8:ffff::10' ]"
check "arp rules name the interface and the real address" sh -c \
    "nsx() { ip netns exec $NS \"\$@\"; }; nsx nft list table arp lbnoded |
    grep -q 'iifname \"veth0\" arp operation request arp daddr ip @lo4 drop' &&
    nsx nft list table arp lbnoded | grep -q 'arp saddr ip @lo4 arp saddr ip set 192.0.2.2'"
check "nat prerouting uses the sets" sh -c \
    "ip netns exec $NS nft list chain ip lbnoded prerouting | grep -q '@redir4 redirect'"
check "loopback VIPs on lo" sh -c "lo=\$(ip netns exec $NS ip -j addr show dev lo | jq -r '.[0].addr_info[] | \"\\(.local)/\\(.prefixlen)\"'); echo \"\$lo\" | grep -qx 198.18.0.13/32 && echo \"\$lo\" | grep -qx 2001:db8:ffff::10/128"
check "IPv6 VIP on lo without DAD" sh -c \
    "ip netns exec $NS ip addr show dev lo | grep -A0 '2001:db8:ffff::10/128' | grep -q nodad"
check "one audit line per change" test "$(audits)" -eq 1

# the sandbox
check_sandbox netcfg "$NETCFG_PID" 0000000000001000
check "netcfg keeps uid 0" test "$(awk '/^Uid:/ { print $2 }' /proc/$NETCFG_PID/status)" = 0

# libnftables' context, its netlink socket and its cache, lasts through
# a burst of requests and goes after 0.1 s without one.
netlink_sockets() {	# netlink_sockets PID PROTOCOL: how many PID holds
	socket_inodes "$1" | awk -v p="$2" 'NR == FNR {
		if (FNR > 1 && $2 == p) mine[$10] = 1; next }
	    $1 in mine { n++ } END { print n + 0 }' "/proc/$1/net/netlink" -
}
no_nfnetlink() { test "$(netlink_sockets "$NETCFG_PID" 12)" -eq 0; }
check "idle netcfg has let libnftables' socket go" wait_for 2 no_nfnetlink
check "and keeps its rtnetlink socket" \
    test "$(netlink_sockets "$NETCFG_PID" 0)" -eq 1

# an LB push within its accept rules joins the config's entries
req "begin lb 5 192.0.2.1" "redirect 198.18.1.1 tcp 80" \
    "redirect 198.18.1.2 tcp 443" "loopback 2001:db8:ffff::20" "commit"
check "LB push applied" result_is ok
check "LB and config entries together" elems_are redir4 \
    "198.18.0.10 tcp 80,198.18.1.1 tcp 80,198.18.1.2 tcp 443,"
check "audit line names the LB" grep -q 'audit: lb 192.0.2.1 generation 5: applied: +3/-0' "$LAB_DIR/daemon.log"
check "audit line names the entries the LB added" grep -q \
    'audit: lb 192.0.2.1 generation 5: applied: .*; added redirect 198.18.1.1 tcp 80, redirect 198.18.1.2 tcp 443, loopback 2001:db8:ffff::20$' \
    "$LAB_DIR/daemon.log"

# refused requests change nothing, byte for byte, and are audited
snapshot before
n=$(audits)
refuse() {	# refuse NAME EXPECTED-REASON LINE...
	what=$1 why=$2; shift 2
	req "$@"
	check "refused: $what" result_is rejected
	check "refused: $what: says why" grep -q "$why" "$DRV_OUT"
	snapshot after
	check "refused: $what: ruleset and lo unchanged" cmp "$LAB_DIR/before" "$LAB_DIR/after"
	n=$((n + 1))
	check "refused: $what: one audit line" test "$(audits)" -eq "$n"
}
refuse "loopback address as VIP" "VIP: loopback address" \
    "begin config 2" "redirect 198.18.0.10 tcp 80" "redirect 127.0.0.1 tcp 80" "commit"
refuse "port 0" "ports must be 1-65535" \
    "begin config 2" "redirect 198.18.0.30 tcp 0" "commit"
refuse "VIP is our own address" "VIP is an address of this node" \
    "begin config 2" "dnat 192.0.2.2 tcp 80 192.0.2.5" "commit"
refuse "LB push outside the accept rules" "no accept rule allows it" \
    "begin lb 6 192.0.2.1" "redirect 198.18.2.1 tcp 80" "commit"
refuse "LB push over the rule's max" "over the max of its accept rules" \
    "begin lb 6 192.0.2.1" "gen redirect 4 198.18.1.1 tcp 80" "commit"
refuse "over the entry cap" "more than the cap" \
    "begin config 2" "gen redirect 65537 198.18.0.1 tcp 80" "commit"
refuse "conflict with the LB's entry" "overlaps redirect 198.18.1.1 tcp 80 in force" \
    "begin config 2" "dnat 198.18.1.1 tcp 80 192.0.2.5" "commit"
check "audit line names who, what and why" grep -q \
    'audit: config generation 2: rejected: 1 of 2 entries refused; #1 redirect 127.0.0.1 tcp 80: VIP: loopback address; nothing changed' \
    "$LAB_DIR/daemon.log"
check "refused entries are reported by index" grep -q '^entry 1 VIP: loopback address' "$DRV_OUT"

# a diff: one entry goes, one comes, the rest stay
req "$(echo "$CONFIG" | sed 's/begin config 1/begin config 3/; s/^redirect 198.18.0.10 tcp 80$/redirect 198.18.0.15 tcp 80/; /loopback 198.18.0.13/d')"
check "config change applied" result_is ok
check "diff: only what changed" grep -q 'audit: config generation 3: applied: +1/-2 entries.*nft +1/-2 elements, lo +0/-1 addresses' "$LAB_DIR/daemon.log"
check "diff: the audit line names the entry added and the two removed" grep -q \
    'audit: config generation 3: applied: .*; added redirect 198.18.0.15 tcp 80; removed redirect 198.18.0.10 tcp 80, loopback 198.18.0.13$' \
    "$LAB_DIR/daemon.log"
n=$(audits)
req "$(echo "$CONFIG" | sed 's/begin config 1/begin config 3/; s/^redirect 198.18.0.10 tcp 80$/redirect 198.18.0.15 tcp 80/; /loopback 198.18.0.13/d')"
check "the same set again: applied" result_is ok
check "the same set again changes nothing: no audit line" test "$(audits)" -eq "$n"
# 20 entries more: the first 8 named, then a count
req "$(echo "$CONFIG" | sed 's/begin config 1/begin config 4/; s/^redirect 198.18.0.10 tcp 80$/redirect 198.18.0.15 tcp 80/; /loopback 198.18.0.13/d; s/^commit$/gen redirect 20 198.18.3.1 tcp 80\ncommit/')"
check "20 entries added" result_is ok
check "the audit line names 8 entries, then counts the 12 others" grep -Eq \
    'audit: config generation 4: applied: \+20/-0 entries.*; added (redirect 198\.18\.3\.[0-9]+ tcp 80, ){8}and 12 more$' \
    "$LAB_DIR/daemon.log"
req "$(echo "$CONFIG" | sed 's/begin config 1/begin config 4/; s/^redirect 198.18.0.10 tcp 80$/redirect 198.18.0.15 tcp 80/; /loopback 198.18.0.13/d')"
check "20 entries removed" grep -Eq \
    'audit: config generation 4: applied: \+0/-20 entries.*; removed (redirect 198\.18\.3\.[0-9]+ tcp 80, ){8}and 12 more$' \
    "$LAB_DIR/daemon.log"
# Long entries: as many as fit are named, and the rest counted, so that
# the count is never cut off the line.
long6() { seq -f 'loopback 2001:db8:ffff:aaaa:bbbb:cccc:dddd:%g' 1 12; }
req "begin lb 7 192.0.2.9" "$(long6)" "commit"
check "12 long entries pushed" result_is ok
line=$(grep 'audit: lb 192.0.2.9 generation 7: applied' "$LAB_DIR/daemon.log")
named=$(echo "$line" | grep -o 'loopback 2001:db8:ffff:aaaa' | wc -l)
more=$(echo "$line" | grep -o ', and [0-9]* more' | tr -dc 0-9)
check "long entries: some named, the rest counted ($named + ${more:-?} = 12)" \
    test "$named" -ge 1 -a "$((named + ${more:-0}))" -eq 12
check "long entries: the line still says what the push removed" \
    sh -c "echo '$line' | grep -q '; removed redirect 198.18.1.1 tcp 80'"
# the LB's set as it was, for what follows
req "begin lb 8 192.0.2.1" "redirect 198.18.1.1 tcp 80" \
    "redirect 198.18.1.2 tcp 443" "loopback 2001:db8:ffff::20" "commit"
check "the LB's set back" result_is ok
check "diff: old entry gone, new one in, LB's kept" elems_are redir4 \
    "198.18.0.15 tcp 80,198.18.1.1 tcp 80,198.18.1.2 tcp 443,"
check "diff: loopback VIP taken off lo" sh -c "! ip netns exec $NS ip addr show dev lo | grep -q '198.18.0.13/'"
check "diff: and out of the arp set" test -z "$(elems lo4 arp)"

# framing errors end netcfg; its rules stay (removal is explicit)
snapshot before
req "begin config 4" "redirect 198.18.0.40 tcp 80" "redirect 198.18.0.41 tcp 80" "commit 1"
check "more entries than announced: netcfg exits 1" grep -qx 'exit 1' "$DRV_OUT"
snapshot after
check "rules stay when netcfg exits" cmp "$LAB_DIR/before" "$LAB_DIR/after"
exec 7>&-

netcfg_driver "$NS" two
req "raw 999 0"
check "unknown imsg type: netcfg exits 1" grep -qx 'exit 1' "$DRV_OUT"
exec 7>&-
netcfg_driver "$NS" three
req "raw DR_BEGIN 3"
check "DR_BEGIN of the wrong size: netcfg exits 1" grep -qx 'exit 1' "$DRV_OUT"
exec 7>&-

# kill -9, restart, apply again: no duplicates, stale lo addresses go
netcfg_driver "$NS" four
req "$SETTINGS" "$(echo "$CONFIG" | sed 's/begin config 1/begin config 5/')"
check "after restart: applied" result_is ok
kill -9 "$NETCFG_PID"
exec 7>&-
wait_for 10 grep -q "^exit" "$DRV_OUT"
check "killed netcfg is gone" grep -qx 'exit 137' "$DRV_OUT"
netcfg_driver "$NS" five
req "$SETTINGS" "$(echo "$CONFIG" | sed 's/begin config 1/begin config 6/')"
check "re-applied after kill -9" result_is ok
check "no duplicate elements" test "$(elems redir4 | wc -l)" -eq 1
check "no duplicate lo address" test "$(lo_addrs | grep -c '^198.18.0.13/32$')" -eq 1
req "begin config 7" "redirect 198.18.0.10 tcp 80" "commit"
check "stale lo addresses of ours removed" sh -c "! ip netns exec $NS ip addr show dev lo | grep -q '198.18.0.13/\|2001:db8:ffff::10/'"
check "somebody else's lo address kept" sh -c "ip netns exec $NS ip addr show dev lo | grep -q '198.18.0.99/32'"

# Many loopback VIPs in one change: the kernel queues an ack for each
# before netcfg reads one, and once dropped what did not fit (ENOBUFS).
many_lo() { lo_addrs | grep -c '^198\.18\.\(8\|9\|1[0-9]\)\.'; }
req "begin config 7" "redirect 198.18.0.10 tcp 80" \
    "gen loopback 3000 198.18.8.1 tcp 80" "commit"
check "3,000 loopback VIPs applied" result_is ok
check "3,000 loopback VIPs on lo" test "$(many_lo)" -eq 3000
req "begin config 7" "redirect 198.18.0.10 tcp 80" "commit"
check "3,000 loopback VIPs taken off" test "$(many_lo)" -eq 0

# remove-all: our tables and lo addresses go, nothing else
req "loopback 198.18.0.13" "begin config 8" "redirect 198.18.0.10 tcp 80" "loopback 198.18.0.13" "commit"
req "remove-all"
check "remove-all answered" result_is ok
check "remove-all: no table of ours" sh -c "! ip netns exec $NS nft list tables | grep -q lbnoded"
check "remove-all: no lo address of ours" sh -c "! ip netns exec $NS ip addr show dev lo | grep -q '198.18.0.13/'"
check "remove-all: foreign lo address kept" sh -c "ip netns exec $NS ip addr show dev lo | grep -q '198.18.0.99/32'"
check "remove-all audited" grep -q 'audit: remove-all: applied' "$LAB_DIR/daemon.log"
nsx nft list table inet filter >"$LAB_DIR/foreign.after"
check "foreign table untouched" cmp "$LAB_DIR/foreign.before" "$LAB_DIR/foreign.after"
check "only netcfg writes audit lines, and only those" sh -c \
    "! grep 'audit:' '$LAB_DIR/daemon.log' | grep -qv '^netcfg: audit: '"

# EOF from the monitor: exit 0, rules stay
req "begin config 9" "redirect 198.18.0.10 tcp 80" "commit"
exec 7>&-
wait_for 10 grep -q "^exit" "$DRV_OUT"
check "EOF: netcfg exits 0" sh -c "grep -x 'exit 0' $DRV_OUT || { tail -3 $DRV_OUT; false; }"
check "EOF: rules stay" test "$(elems redir4)" = "198.18.0.10 tcp 80"

done_testing
