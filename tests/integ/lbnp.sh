#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# LBNP/1 end to end: lbnoded in a node namespace, lbnodectl probe, push
# and listen in an LB namespace across a veth.  Without a key: probe,
# --keepalived, broadcast ANNOUNCEs, admin changes, a refused push.
# With a key and an lb allowlist: unsigned, forged, stale and replayed
# packets, strangers and floods dropped and counted; signed probes,
# signed ANNOUNCEs, pushes accepted and refused.
#
# lbnp_client.py is an LB written from lbnoded-protocol(7) alone: with it
# each drop reason, each ANNOUNCE reason and each CONFIG-ACK status is
# checked as the page words it, by the bytes it describes and the
# counter, answer or silence it promises.
. "$top_srcdir/tests/integ/lib.sh"
need_root
command -v python3 >/dev/null || bail "python3 is needed to forge packets"

NODE=lbn-lbnp-$$-n
LB=lbn-lbnp-$$-l
node_and_lb "$NODE" "$LB"	# 198.18.0.1 on vn, 198.18.0.2 on vl
if_addr "$NODE" vn 2001:db8::1/64
if_addr "$LB" vl 198.18.0.3/24 2001:db8::2/64	# 198.18.0.3: a stranger
CTL_NS=$NODE
KEY=$LAB_DIR/key
BADKEY=$LAB_DIR/badkey
lab_key "$KEY"
echo ffeeddccbbaa99887766554433221100 >"$BADKEY"
chmod 600 "$BADKEY"

# Background listeners are started with ip netns exec itself, not lb(),
# so that $! is lbnodectl's pid rather than a subshell's.
probe() { lb "$LBNODECTL" probe "$@" 198.18.0.1; }
dropped() {	# dropped REASON: the daemon's counter
	ctl -j status | python3 -c 'import json, sys
print(json.load(sys.stdin)["dropped"][sys.argv[1]])' "$1"
}
dropped_more() { [ "$(dropped "$1")" -gt "$2" ]; }
CLIENT=$top_srcdir/tests/integ/lbnp_client.py
ANS=$LAB_DIR/answers
client() { lb python3 "$CLIENT" "$@"; }
# send [CLIENT-OPTIONS] CASE [ARG...]: the answers, one JSON a line, in $ANS
send() {
	opts=
	while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
		opts="$opts $1 $2"; shift 2
	done
	client $CLIENT_KEY $opts send 198.18.0.1 "$@" >"$ANS" 2>"$ANS.sent"
}
answers() { jq -se "$1" "$ANS" >/dev/null; }	# answers JQ-FILTER: true of them
silence() { test ! -s "$ANS"; }
# dropped_silently REASON [CLIENT-OPTIONS] CASE...: the page's promise for
# a datagram that fails a gate: counted under REASON, and no answer.
dropped_silently() {
	reason=$1; shift
	before=$(dropped "$reason")
	send "$@" && wait_for 2 dropped_more "$reason" "$before" && silence
}
# a REPORT, from the LBNP port, that echoes the QUERY's sequence
one_report() {
	answers 'length == 1 and .[0].type == "report" and .[0].echoes_seq and
	    .[0].sport == 65002'
}
mem_used_x100() {	# 1 - MemAvailable / MemTotal, as the page says
	awk '$1 == "MemTotal:" { t = $2 } $1 == "MemAvailable:" { a = $2 }
	    END { printf "%d\n", (t - a) * 10000 / t }' /proc/meminfo
}
host_uptime() { cut -d. -f1 /proc/uptime; }
reports() {	# reports PATTERN [PROBE-OPTIONS]: a REPORT line matches
	pat=$1; shift
	probe "$@" | grep -q "$pat"
}
vip_in_force() { ctl show vips | grep -q "$1"; }
vip_gone() { ! vip_in_force "$1"; }
line_has() { sed -n "$1p" "$3" | grep -q "$2"; }	# line_has N PATTERN FILE

conf() {	# conf NAME EXTRA-LINES
	lab_conf "$LAB_DIR/$1.conf" <<EOC
announce every 1
$2
EOC
}

stop_daemon() {
	kill "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
}

## Without a key

conf open ""
ip netns exec "$LB" "$LBNODECTL" listen -j -c 1 -t 20 >"$LAB_DIR/listen1.out" 2>&1 &
LISTEN=$!
LAB_PIDS="$LAB_PIDS $LISTEN"
# bound(PID): the listener has its UDP socket, so it hears the first ANNOUNCE
bound() { ip netns exec "$LB" ss -Hulnp | grep -q "pid=$1,"; }
wait_for 5 bound "$LISTEN"
daemon_start "$NODE" "$LAB_DIR/open.conf"
check "probe gets a REPORT" wait_for 10 probe
probe >"$LAB_DIR/probe.out" 2>&1
ok $? "probe exits 0"
check "REPORT: the node's address" grep -q '^address *198.18.0.1$' "$LAB_DIR/probe.out"
check "REPORT: admin ready" grep -q '^admin *ready$' "$LAB_DIR/probe.out"
check "REPORT: server type linux" grep -q '^server type *linux$' "$LAB_DIR/probe.out"
check "REPORT: not signed" grep -q '^signed *no$' "$LAB_DIR/probe.out"
probe -j >"$LAB_DIR/probe.json"
check "probe -j is JSON with admin and weight" python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["admin"] == "ready" and r["address"] == "198.18.0.1"
assert isinstance(r["weight"], int) and r["signed"] is False' "$LAB_DIR/probe.json"
lb "$LBNODECTL" probe 2001:db8::1 >"$LAB_DIR/probe6.out" 2>&1
ok $? "probe over IPv6"
check "REPORT: the node's IPv6 address" \
    grep -q '^address6 *2001:db8::1$' "$LAB_DIR/probe6.out"
probe --keepalived
st=$?
check "keepalived: ready is exit 2 + weight" test "$st" -ge 2
wait "$LISTEN"
ok $? "listen -c 1 exits 0 after one line"
check "listen heard the broadcast ANNOUNCE" python3 -c 'import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["from"] == "198.18.0.1" and r["reason"] in ("start", "periodic")' \
    "$LAB_DIR/listen1.out"
check "listen -j: the fields of lbnodectl(8)" json_fields_match node "$LAB_DIR/listen1.out"

ip netns exec "$LB" "$LBNODECTL" listen -t 30 >"$LAB_DIR/listen2.out" 2>&1 &
LISTEN=$!
LAB_PIDS="$LAB_PIDS $LISTEN"
wait_for 10 test -s "$LAB_DIR/listen2.out"	# a periodic ANNOUNCE heard
ctl drain >/dev/null
check "listen: a line for the change to drain" wait_for 5 \
    grep -q ' 198.18.0.1 drain weight .*(change)$' "$LAB_DIR/listen2.out"
kill -TERM "$LISTEN"
wait "$LISTEN"
ok $? "listen exits 0 on SIGTERM"
check "listen: first line, the node as it is" \
    line_has 1 ' 198.18.0.1 ready weight ' "$LAB_DIR/listen2.out"
# A line only when admin state or weight changes, never twice the same.
check "listen: no line for an unchanged node" awk '
    $3 " " $5 == prev { exit 1 } { prev = $3 " " $5 }' "$LAB_DIR/listen2.out"
check "probe: admin drain" reports '^admin *drain$'
probe --keepalived
ok $(( $? != 2 )) "keepalived: drain is exit 2 (weight 0)"
ctl maint >/dev/null
probe --keepalived
ok $(( $? != 1 )) "keepalived: maint is exit 1"
ctl ready >/dev/null

lb "$LBNODECTL" push 198.18.0.1 tcp:192.0.2.10:80 >"$LAB_DIR/push0.out" 2>&1
ok $(( $? != 1 )) "push without a key: exit 1"
check "push without a key: authentication required" \
    grep -q 'rejected: authentication required' "$LAB_DIR/push0.out"
lb "$LBNODECTL" probe -t 1 -p 65003 198.18.0.1 >"$LAB_DIR/none.out" 2>&1
ok $(( $? != 1 )) "probe of a closed port: exit 1"
check "probe of a closed port: no answer" grep -qx '198.18.0.1: no answer' "$LAB_DIR/none.out"
lb "$LBNODECTL" probe --keepalived -t 1 -p 65003 198.18.0.1
ok $(( $? != 1 )) "keepalived: no answer is exit 1"
m=$(dropped magic)
send magic
check "bad magic counted" wait_for 2 dropped_more magic "$m"

# The page's REPORT, by a client written from the page.
probe -j >"$LAB_DIR/probe.json"
check "probe -j: the fields of lbnodectl(8)" json_fields_match node "$LAB_DIR/probe.json"
check "probe -j: a REPORT has no reason" jq -e '.reason == null' "$LAB_DIR/probe.json"
up0=$(host_uptime)
mem0=$(mem_used_x100)
send query
mem1=$(mem_used_x100)
up1=$(host_uptime)
check "QUERY: one REPORT, from port 65002, with the QUERY's sequence" one_report
node_id=$(client node-id /etc/machine-id "$(hostname)")
check "REPORT: NODE_ID is HMAC-SHA256(machine ID, app ID) as the page says" \
    answers ".[0].tlvs.NODE_ID == \"$node_id\""
check "REPORT: NODE_ID is systemd's app-specific machine ID" test "$node_id" = \
    "$(systemd-id128 machine-id --app-specific=021aa80e5eb44d128753a3d3708e499d)"
check "REPORT: HOSTNAME, SERVER_TYPE linux, ADDR4, ADMIN 0, GENERATION 0" \
    answers ".[0].tlvs | .HOSTNAME == \"$(hostname)\" and .SERVER_TYPE == \"linux\"
    and .ADDR4 == \"198.18.0.1\" and .ADMIN == 0 and .GENERATION == 0"
check "REPORT: UPTIME is the host's, from /proc/uptime" answers \
    ".[0].tlvs.UPTIME >= $up0 - 10 and .[0].tlvs.UPTIME <= $up1"
ctl -j status >"$LAB_DIR/status.json"
check "REPORT: UPTIME is not lbnodectl status's daemon_uptime_s" \
    test "$(jq .daemon_uptime_s "$LAB_DIR/status.json")" -lt "$up0"
lo=$(( (mem0 < mem1 ? mem0 : mem1) - 150 ))
hi=$(( (mem0 > mem1 ? mem0 : mem1) + 150 ))
check "REPORT: MEMORY is 1 - MemAvailable/MemTotal ($lo..$hi)" \
    answers ".[0].tlvs.MEMORY >= $lo and .[0].tlvs.MEMORY <= $hi"
send query-skip
check "TLVs of no concern to a QUERY (a 3-byte WEIGHT) skipped: answered" one_report

# Each gate of the page, by the bytes it describes: counted, no answer.
check "an empty datagram: short, no answer" dropped_silently short empty
check "15 bytes: short, no answer" dropped_silently short short
check "bad magic: magic, no answer" dropped_silently magic magic
check "version 2: version, no answer" dropped_silently version version
check "header length one more than the body: length, no answer" \
    dropped_silently length length
check "a TLV past the end of the body: length, no answer" \
    dropped_silently length tlv-past-end
check "a REPORT sent to a node: type, no answer" dropped_silently type report
check "type 9: type, no answer" dropped_silently type type9

# CONFIG-ACK status 1 without a key: no IN_FORCE (the CONFIG is refused)
send config 3 tcp:192.0.2.10:80
check "CONFIG without a key: STATUS 1, authentication required, no IN_FORCE" \
    answers 'length == 1 and .[0].type == "config-ack" and .[0].echoes_seq and
    .[0].tlvs.STATUS == 1 and .[0].tlvs.GENERATION == 3 and
    .[0].tlvs.MESSAGE == "authentication required" and
    (.[0].tlvs | has("IN_FORCE") | not)'
stop_daemon

## With a key and an lb allowlist

conf keyed "key file \"$KEY\"
lb 198.18.0.2
accept vip 192.0.2.0/24 tcp port 80
accept vip 2001:db8:1::/64 tcp port 80"
CLIENT_KEY="-k $KEY"
ip netns exec "$LB" "$LBNODECTL" listen -j -k "$KEY" -c 1 -t 20 >"$LAB_DIR/listen3.out" 2>&1 &
LISTEN=$!
LAB_PIDS="$LAB_PIDS $LISTEN"
wait_for 5 bound "$LISTEN"
daemon_start "$NODE" "$LAB_DIR/keyed.conf"
check "keyed: signed probe answered" wait_for 10 probe -k "$KEY"
probe -k "$KEY" >"$LAB_DIR/probek.out" 2>&1
check "keyed: the REPORT is signed and verified" \
    grep -q '^signed *yes, verified$' "$LAB_DIR/probek.out"
a=$(dropped auth)
probe -t 1 >"$LAB_DIR/nokey.out" 2>&1
ok $(( $? != 1 )) "keyed: probe without the key gets no answer"
check "keyed: unsigned query counted as auth" dropped_more auth "$a"
a=$(dropped auth)
probe -t 1 -k "$BADKEY" >/dev/null 2>&1
ok $(( $? != 1 )) "keyed: probe with the wrong key gets no answer"
check "keyed: forged query counted as auth" dropped_more auth "$a"
wait "$LISTEN"
check "keyed: listen -k heard a signed ANNOUNCE" python3 -c 'import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["signed"] is True and r["from"] == "198.18.0.1"' "$LAB_DIR/listen3.out"

r=$(dropped replay)
send replay
check "keyed: a replayed query counted" wait_for 2 dropped_more replay "$r"
check "keyed: the first copy answered, the replay not" one_report
check "keyed: the REPORT is signed, and verifies with the page's HMAC" \
    answers '.[0].signed and .[0].verified'
check "keyed: an unsigned query: auth, no answer" dropped_silently auth unsigned
check "keyed: a MAC of another key: auth, no answer" dropped_silently auth badmac
check "keyed: a minute-old query counted as stale" dropped_silently stale stale-60
check "keyed: a query 31 s old: stale, no answer" dropped_silently stale stale-31
check "keyed: a query 31 s ahead: stale, no answer" dropped_silently stale ahead-31
send fresh-29
check "keyed: a query 29 s old: answered" one_report
send ahead-29
check "keyed: a query 29 s ahead: answered" one_report
check "keyed: a source not in the allowlist counted, no answer" \
    dropped_silently allow -s 198.18.0.3 query
# 20 a second with bursts of 40, per address whatever the port: 100
# signed queries from 100 ports of one address get the 40 of a full
# bucket and no more than what 20 a second adds while they are sent.
r=$(dropped rate)
send --ports 100 query
check "keyed: a flood is rate limited" wait_for 2 dropped_more rate "$r"
most=$(jq '40 + (.sent_in_ms * 20 / 1000 | ceil) + 1' "$ANS.sent")
check "keyed: the flood from 100 ports of one address: 40 to $most answers" \
    answers "length >= 40 and length <= $most"
sleep 2	# let the bucket fill again

lb "$LBNODECTL" push -k "$KEY" -g 5 198.18.0.1 tcp:192.0.2.10:80 \
    >"$LAB_DIR/push1.out" 2>&1
ok $? "keyed: an allowed push exits 0"
check "keyed: the ACK says ok" grep -q '^generation 5: ok' "$LAB_DIR/push1.out"
check "keyed: the pushed VIP is in force" vip_in_force 192.0.2.10
check "keyed: REPORT carries generation 5" \
    reports '^generation *5$' -k "$KEY"
lb "$LBNODECTL" push -j -k "$KEY" -g 6 198.18.0.1 tcp:192.0.2.10:80 \
    tcp:198.51.100.7:80 >"$LAB_DIR/push2.out" 2>&1
ok $(( $? != 1 )) "keyed: a push outside the accept rules exits 1"
check "keyed: the ACK names the refused entry" python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "rejected" and r["generation"] == 6
assert [x["spec"] for x in r["results"]] == ["tcp:198.51.100.7:80"]' \
    "$LAB_DIR/push2.out"
check "push -j: the fields of lbnodectl(8)" json_fields_match ack "$LAB_DIR/push2.out"
check "push -j: each result has the fields of lbnodectl(8)" \
    json_fields_match result "$LAB_DIR/push2.out" '.results[]'
check "keyed: a refused push leaves generation 5" \
    reports '^generation *5$' -k "$KEY"
old_rep=$(child_pid "$DAEMON_PID" reporter)
kill -9 "$old_rep"
new_reporter() { p=$(child_pid "$DAEMON_PID" reporter) && [ "$p" != "$old_rep" ]; }
check "keyed: the reporter is restarted" wait_for 2 new_reporter
check "keyed: a restarted reporter still reports generation 5" \
    wait_for 3 reports '^generation *5$' -k "$KEY"
lb "$LBNODECTL" push -k "$KEY" -g 7 198.18.0.1 >"$LAB_DIR/push3.out" 2>&1
ok $? "keyed: an empty push exits 0"
check "keyed: an empty push removes the pushed VIPs" vip_gone 192.0.2.10
lb "$LBNODECTL" push 198.18.0.1 tcp:192.0.2.10:80 >/dev/null 2>&1
ok $(( $? != 1 )) "keyed: an unsigned push gets no answer"

# Each CONFIG-ACK status, with the MESSAGE the page lists.
check "keyed: a CONFIG without GENERATION: length, no answer" \
    dropped_silently length config-no-gen
check "keyed: a GENERATION of 7 bytes: length, no answer" \
    dropped_silently length config-gen7
send -t 5 config 8 tcp:192.0.2.10:80
check "keyed: CONFIG-ACK status 0: applied, IN_FORCE 1, signed" \
    answers 'length == 1 and .[0].type == "config-ack" and .[0].echoes_seq and
    .[0].verified and .[0].tlvs.STATUS == 0 and .[0].tlvs.GENERATION == 8 and
    .[0].tlvs.MESSAGE == "applied" and .[0].tlvs.IN_FORCE == 1'
send -t 5 config 9 tcp:192.0.2.10:80 tcp:198.51.100.7:80
check "keyed: CONFIG-ACK status 1: 1 of 2 entries refused, a RESULT for entry 1" \
    answers '.[0].tlvs | .STATUS == 1 and .GENERATION == 9 and
    .MESSAGE == "1 of 2 entries refused" and .IN_FORCE == 1 and
    .RESULT == [{"index": 1, "status": 1, "reason": "no accept rule allows it"}]'
send -t 5 config 10 $(seq -f 'tcp:198.51.100.%g:80' 1 70)
check "keyed: 70 entries refused: 64 RESULTs, OMITTED 6" \
    answers '.[0].tlvs | .STATUS == 1 and .MESSAGE == "70 of 70 entries refused"
    and (.RESULT | length) == 64 and .OMITTED == 6 and
    ([.RESULT[].index] == [range(64)])'
# 200 entries keep netcfg busy a while after the first CONFIG is read
send -t 5 config-twice 10 $(seq -f 'tcp:192.0.2.%g:80' 1 200)
check "keyed: a CONFIG while one is applied: CONFIG-ACK status 3, no IN_FORCE" \
    answers 'length == 2 and (map(select(.tlvs.STATUS == 3 and
    .tlvs.MESSAGE == "another configuration is being applied" and
    (.tlvs | has("IN_FORCE") | not))) | length == 1)'
# The kernel refuses an IPv6 address on a lo without IPv6.
ip netns exec "$NODE" sysctl -qw net.ipv6.conf.lo.disable_ipv6=1
send -t 5 config 11 "tcp:[2001:db8:1::10]:80,loopback"
check "keyed: the kernel refuses the set: CONFIG-ACK status 2, IN_FORCE" \
    answers 'length == 1 and .[0].tlvs.STATUS == 2 and
    .[0].tlvs.GENERATION == 11 and (.[0].tlvs | has("IN_FORCE"))'
ip netns exec "$NODE" sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
stop_daemon

## ANNOUNCEs, each REASON as the page gives it, to a client of the page

# A steady weight, so that nothing but what a test does changes it; a
# period long enough that a REASON 2 cannot be taken for a periodic one.
conf announce "key file \"$KEY\"
lb 198.18.0.2
weight min 60 max 60
accept vip 192.0.2.0/24 tcp port 80"
sed -i 's/^announce every 1$/announce every 4/' "$LAB_DIR/announce.conf"
ANN=$LAB_DIR/announces
ip netns exec "$LB" python3 "$CLIENT" -k "$KEY" listen 60 >"$ANN" &
LAB_PIDS="$LAB_PIDS $!"
wait_for 10 bound $!
daemon_start "$NODE" "$LAB_DIR/announce.conf"
# heard JQ-FILTER: an ANNOUNCE heard so far is true of it
heard() { jq -se "any(.[]; $1)" "$ANN" >/dev/null; }
check "ANNOUNCE REASON 0 when the node starts, sequence 1" wait_for 10 \
    heard '.seq == 1 and .tlvs.REASON == 0'
check "ANNOUNCE: signed, verified, from port 65002, to the lb" \
    heard '.seq == 1 and .verified and .sport == 65002 and .from == "198.18.0.1"'
check "ANNOUNCE: the NODE_ID the page derives" heard ".seq == 1 and
    .tlvs.NODE_ID == \"$node_id\" and .tlvs.WEIGHT == 60 and .tlvs.ADMIN == 0"
check "ANNOUNCE REASON 1 every announce every seconds" wait_for 10 \
    heard '.seq == 2 and .tlvs.REASON == 1'
ctl drain >/dev/null
check "ANNOUNCE REASON 2 on drain: ADMIN 1" wait_for 3 \
    heard '.tlvs.REASON == 2 and .tlvs.ADMIN == 1'
check "ANNOUNCE in drain: WEIGHT is the computed one, not 0" \
    heard '.tlvs.REASON == 2 and .tlvs.ADMIN == 1 and .tlvs.WEIGHT == 60'
ctl ready >/dev/null
check "ANNOUNCE REASON 2 on ready: ADMIN 0" wait_for 3 \
    heard '.tlvs.REASON == 2 and .tlvs.ADMIN == 0 and .seq > 2'
send -t 5 config 12 tcp:192.0.2.10:80
check "CONFIG accepted" answers '.[0].tlvs.STATUS == 0'
check "ANNOUNCE REASON 2 after an accepted CONFIG, with its GENERATION" \
    wait_for 3 heard '.tlvs.REASON == 2 and .tlvs.GENERATION == 12'
send -t 5 config 13 tcp:198.51.100.7:80
check "CONFIG refused" answers '.[0].tlvs.STATUS == 1'
stop_daemon
check "ANNOUNCE REASON 3 when the node stops" wait_for 3 \
    heard '.tlvs.REASON == 3 and .tlvs.GENERATION == 12'
check "no ANNOUNCE for the refused CONFIG's generation" \
    jq -se 'all(.[]; .tlvs.GENERATION != 13)' "$ANN"
check "ANNOUNCEs numbered 1, 2, 3, and so on" \
    jq -se '[.[].seq] == [range(1; length + 1)]' "$ANN"

done_testing
