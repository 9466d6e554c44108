#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# bench/nft_apply.sh: how fast netcfg applies DR entries, and what its
# rules cost per new connection, against the way the old module did it
# (one iptables command, one rule per entry).  Not a test: it prints a
# table with the numbers, their ratios and whether each target is met.
#
#	sh bench/nft_apply.sh [BUILDDIR]	(as root; BUILDDIR defaults to .)
#
# Everything runs in network namespaces of its own; every loop is
# bounded.  Needs iptables (iptables-nft is fine) and a C compiler.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:-.}" && pwd)
. "$top_srcdir/tests/integ/lib.sh"
need_root
export LBNODED
command -v iptables >/dev/null || bail "iptables is not installed"
DRIVER=$top_builddir/tests/integ/netcfg_driver
[ -x "$DRIVER" ] || make -C "$top_builddir" lbnoded tests/integ/netcfg_driver >/dev/null ||
    bail "cannot build the driver"
CONNRATE=$LAB_DIR/connrate
cc -O2 -o "$CONNRATE" "$top_srcdir/bench/connrate.c" || bail "cannot build connrate"

ROUNDS=5		# apply timings: the median of this many
CONN_ROUNDS=5		# connection rates: the median of this many rounds
CONN_SECONDS=2
N=lbn-bn-$$ C=lbn-bc-$$
netns_add "$N"
netns_add "$C"
veth_pair "$C" c0 "$N" n0
ip -n "$N" addr add 198.51.100.1/24 dev n0
ip -n "$C" addr add 198.51.100.2/24 dev c0
ip -n "$C" route add 198.18.0.0/15 via 198.51.100.1
VIP_LAST=198.18.39.16		# the 10,000th of the VIPs counted from 198.18.0.1

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

# --- apply times through netcfg -----------------------------------------
{
	echo "iface n0"; echo "real 198.51.100.1"; echo "settings"
	r=0
	while [ $r -lt $ROUNDS ]; do
		for n in 1 1000 10000; do
			echo "remove-all"
			echo "begin config $r"
			echo "gen redirect $n 198.18.0.1 tcp 80"
			echo "commit"
		done
		echo "begin config $r"
		echo "gen redirect 10001 198.18.0.1 tcp 80"
		echo "commit"
		r=$((r + 1))
	done
	echo "remove-all"
} >"$LAB_DIR/apply.in"
ip netns exec "$N" "$DRIVER" <"$LAB_DIR/apply.in" >"$LAB_DIR/apply.out" \
    2>>"$LAB_DIR/daemon.log" || bail "driver failed"
grep -q '^result ok' "$LAB_DIR/apply.out" || bail "netcfg did not apply"
grep '^result' "$LAB_DIR/apply.out" | grep 'reason=applied' |
    sed 's/.* us=\([0-9]*\) .*/\1/' >"$LAB_DIR/apply.us"
pick() { awk -v k="$1" 'NR % 4 == k % 4' "$LAB_DIR/apply.us" | median; }
T1=$(pick 1) T1K=$(pick 2) T10K=$(pick 3) TPLUS=$(pick 4)

# --- the old way: one iptables command per entry ------------------------
TIPT=$(ip netns exec "$N" sh -c '
	t0=$(date +%s%N); i=0
	while [ $i -lt 1000 ]; do
		iptables -t nat -I PREROUTING -p tcp -d 198.18.$((i / 250)).$((i % 250 + 1)) \
		    --dport 80 -j REDIRECT || exit 1
		i=$((i + 1))
	done
	echo $(( ($(date +%s%N) - t0) / 1000 ))') || bail "iptables failed"
ip netns exec "$N" iptables -t nat -F PREROUTING

# --- new connections per second to a VIP with 10,000 entries ------------
ip netns exec "$N" "$CONNRATE" serve 0.0.0.0 80 600 &
SERVER=$!
LAB_PIDS="$LAB_PIDS $SERVER"
i=0
{
	echo "*nat"
	while [ $i -lt 10000 ]; do
		echo "-A PREROUTING -d 198.18.$(( (i + 1) / 256 )).$(( (i + 1) % 256 ))/32 -p tcp --dport 80 -j REDIRECT"
		i=$((i + 1))
	done
	echo "COMMIT"
} >"$LAB_DIR/rules.ipt"
mkfifo "$LAB_DIR/conn.in"
ip netns exec "$N" "$DRIVER" <"$LAB_DIR/conn.in" >"$LAB_DIR/conn.out" \
    2>>"$LAB_DIR/daemon.log" 7>&- &
LAB_PIDS="$LAB_PIDS $!"
exec 7>"$LAB_DIR/conn.in"
printf 'iface n0\nreal 198.51.100.1\nsettings\n' >&7
wait_for 10 grep -q '^pid ' "$LAB_DIR/conn.out" || bail "netcfg did not start"
NETCFG=$(awk '$1 == "pid" { print $2 }' "$LAB_DIR/conn.out")
driver_answers() { test "$(grep -c '^done' "$LAB_DIR/conn.out")" -ge "$1"; }
ndone=0
drive() {	# drive LINE...: one request to netcfg, awaited
	printf '%s\n' "$@" >&7
	ndone=$((ndone + 1))
	wait_for 30 driver_answers $ndone || bail "netcfg did not answer"
}
# rate KIND CASE: one measurement of whole or reset connections
rate() {
	ip netns exec "$C" "$CONNRATE" "$1" $VIP_LAST 80 $CONN_SECONDS 1000000 \
	    >>"$LAB_DIR/rate.$1.$2" || bail "connrate $1 failed"
}
rates() { rate whole "$1"; rate reset "$1"; }
rss() { echo "$(status_field "$1" VmRSS) kB (RssAnon $(status_field "$1" RssAnon) kB)"; }

r=0
while [ $r -lt $CONN_ROUNDS ]; do
	ip -n "$N" addr add $VIP_LAST/32 dev lo
	rates none
	ip -n "$N" addr del $VIP_LAST/32 dev lo

	drive "begin config $r" "gen redirect 10000 198.18.0.1 tcp 80" "commit"
	rates sets
	RSS10K=$(rss "$NETCFG")
	drive "remove-all"
	sleep 0.5	# netcfg lets libnftables' context go after 0.1 s idle
	RSS0=$(rss "$NETCFG")

	# the floor: what any NAT redirect costs, one rule, no set
	printf '%s\n' "table ip lbnbench {" \
	    "chain prerouting { type nat hook prerouting priority -100;" \
	    "ip daddr $VIP_LAST tcp dport 80 redirect; }; }" |
	    ip netns exec "$N" nft -f - || bail "nft"
	rates one
	ip netns exec "$N" nft delete table ip lbnbench

	ip netns exec "$N" iptables-restore <"$LAB_DIR/rules.ipt" || bail "iptables-restore"
	rates ipt
	ip netns exec "$N" iptables -t nat -F PREROUTING
	r=$((r + 1))
done
exec 7>&-

# --- the table -----------------------------------------------------------
met() { if [ "$1" -eq 1 ]; then echo "met"; else echo "NOT MET"; fi; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }' && echo 1 || echo 0; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' && echo 1 || echo 0; }
SPEEDUP=$(awk -v a="$TIPT" -v b="$T1K" 'BEGIN { printf "%.0f", a / b }')
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "netcfg apply (median of $ROUNDS, request sent to answer received):"
printf '  %-48s %10s ms\n' "1 entry" "$(ms $T1)"
printf '  %-48s %10s ms\n' "1,000 entries" "$(ms $T1K)"
printf '  %-48s %10s ms   target < 100 ms: %s\n' "10,000 entries" "$(ms $T10K)" \
    "$(met $(lt $T10K 100000))"
printf '  %-48s %10s ms   target < 5 ms: %s\n' "one more entry to 10,000" "$(ms $TPLUS)" \
    "$(met $(lt $TPLUS 5000))"
echo "the old way, one iptables -I per entry:"
printf '  %-48s %10s ms\n' "1,000 entries" "$(ms $TIPT)"
printf '  %-48s %10sx     target >= 100x: %s\n' "netcfg speed-up at 1,000 entries" \
    "$SPEEDUP" "$(met $(ge $SPEEDUP 100))"

# The cases are measured in turn, once each a round, so a ratio is
# taken between neighbours and then the median over the rounds: the
# machine's drift moves both sides of a ratio alike.
# qmedian KIND A B: the median over the rounds of A's rate over B's
qmedian() {
	paste "$LAB_DIR/rate.$1.$2" "$LAB_DIR/rate.$1.$3" |
	    awk '{ printf "%.4f\n", $1 / $2 }' | median | awk '{ printf "%.2f", $1 }'
}
# conn_table KIND TITLE VERDICT: the four cases for one kind of
# connection; VERDICT says how the sets' ratio is judged.
conn_table() {
	for c in none sets ipt one; do
		eval "$c=\$(median <\"\$LAB_DIR/rate.$1.$c\")"
	done
	q=$(qmedian "$1" sets none)
	echo "$2 (median of $CONN_ROUNDS rounds of ${CONN_SECONDS}s):"
	printf '  %-48s %10s/s\n' "no rules, VIP on lo" "$none"
	printf '  %-48s %10s/s  %s of no rules, %s\n' \
	    "redirect, 10,000 entries in netcfg's sets" "$sets" "$q" "$($3 "$q")"
	printf '  %-48s %10s/s  %s of no rules\n' \
	    "redirect, 10,000 iptables rules (linear)" "$ipt" "$(qmedian "$1" ipt none)"
	printf '  %-48s %10s/s  %s of no rules; the sets reach %s of it\n' \
	    "redirect, one rule for one VIP (NAT's own cost)" "$one" \
	    "$(qmedian "$1" one none)" "$(qmedian "$1" sets one)"
}
echo "netcfg's resident memory, VmRSS, holding 10,000 entries: $RSS10K;"
echo "  after removing them: $RSS0"
# The target is on whole connections, the life a service sees; the
# reset case shows how far NAT's fixed cost per connection can go.
target() { echo "target >= 0.85: $(met $(ge "$1" 0.85))"; }
stress() { echo "the worst case, no target"; }
conn_table whole "new TCP connections/s to a VIP, whole (handshake, server's close, client's close)" target
conn_table reset "new TCP connections/s to a VIP, reset right after the handshake" stress
kill "$SERVER" 2>/dev/null
