#!/bin/sh
# LBNP/1 end to end: lbnoded in a node namespace, lbnodectl probe, push
# and listen in an LB namespace across a veth.  Without a key: probe,
# --keepalived, broadcast ANNOUNCEs, admin changes, a refused push.
# With a key and an lb allowlist: unsigned, forged, stale and replayed
# packets, strangers and floods dropped and counted; signed probes,
# signed ANNOUNCEs, pushes accepted and refused.
. "$top_srcdir/tests/integ/lib.sh"
need_root
command -v python3 >/dev/null || bail "python3 is needed to forge packets"

NODE=lbn-lbnp-$$-n
LB=lbn-lbnp-$$-l
netns_add "$NODE"
netns_add "$LB"
veth_pair "$NODE" vn "$LB" vl
ip -n "$NODE" addr add 198.18.0.1/24 brd + dev vn
ip -n "$LB" addr add 198.18.0.2/24 brd + dev vl
ip -n "$LB" addr add 198.18.0.3/24 brd + dev vl	# a stranger
ip -n "$NODE" addr add 2001:db8::1/64 dev vn nodad
ip -n "$LB" addr add 2001:db8::2/64 dev vl nodad
SOCK=$LAB_DIR/ctl.sock
KEY=$LAB_DIR/key
BADKEY=$LAB_DIR/badkey
echo 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f >"$KEY"
echo ffeeddccbbaa99887766554433221100 >"$BADKEY"
chmod 600 "$KEY" "$BADKEY"

lb() { ip netns exec "$LB" "$@"; }
# Background listeners are started with ip netns exec itself, not lb(),
# so that $! is lbnodectl's pid rather than a subshell's.
ctl() { ip netns exec "$NODE" "$LBNODECTL" -s "$SOCK" "$@"; }
probe() { lb "$LBNODECTL" probe "$@" 198.18.0.1; }
dropped() {	# dropped REASON: the daemon's counter
	ctl -j status | python3 -c 'import json, sys
print(json.load(sys.stdin)["dropped"][sys.argv[1]])' "$1"
}
dropped_more() { [ "$(dropped "$1")" -gt "$2" ]; }
received() {	# the datagrams the reporter has taken in
	ctl -j status | python3 -c 'import json, sys
print(json.load(sys.stdin)["rx_packets"])'
}
reports() {	# reports PATTERN [PROBE-OPTIONS]: a REPORT line matches
	pat=$1; shift
	probe "$@" | grep -q "$pat"
}
vip_in_force() { ctl show vips | grep -q "$1"; }
vip_gone() { ! vip_in_force "$1"; }
line_has() { sed -n "$1p" "$3" | grep -q "$2"; }	# line_has N PATTERN FILE

# forge SRC MODE [COUNT]: LBNP packets from python, per the protocol
# page: "garbage", "unsigned" QUERYs, "signed" QUERYs sent twice
# (the second is a replay), "stale" ones a minute old.
forge() {
	lb python3 - "$KEY" "$@" <<'EOF'
import hmac, hashlib, os, socket, struct, sys, time
keyfile, src, mode = sys.argv[1:4]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
key = bytes.fromhex(open(keyfile).read().strip())
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
def query(seq, signed, ts):
    hdr = b"LBNP" + struct.pack("!BBHIHH", 1, 2, 1 if signed else 0, seq, 0, 0)
    if not signed:
        return hdr
    msg = hdr + struct.pack("!Q", ts) + os.urandom(8)
    return msg + hmac.new(key, msg, hashlib.sha256).digest()
now = int(time.time() * 1000)
for i in range(count):
    if mode == "garbage":
        p = b"LBNQ" + bytes(12)
    elif mode == "unsigned":
        p = query(i, False, 0)
    elif mode == "stale":
        p = query(i, True, now - 60000)
    else:
        p = query(i, True, now)
    s.sendto(p, ("198.18.0.1", 65002))
    if mode == "signed":
        s.sendto(p, ("198.18.0.1", 65002))
EOF
}

conf() {	# conf NAME EXTRA-LINES
	cat >"$LAB_DIR/$1.conf" <<EOC
interface "vn"
control socket "$SOCK"
state file "$LAB_DIR/state"
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
forge 198.18.0.2 garbage
check "bad magic counted" wait_for 2 dropped_more magic "$m"
stop_daemon

## With a key and an lb allowlist

conf keyed "key file \"$KEY\"
lb 198.18.0.2
accept vip 192.0.2.0/24 tcp port 80"
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
s=$(dropped stale)
forge 198.18.0.2 signed
check "keyed: a replayed query counted" wait_for 2 dropped_more replay "$r"
forge 198.18.0.2 stale
check "keyed: a minute-old query counted as stale" wait_for 2 dropped_more stale "$s"
a=$(dropped allow)
forge 198.18.0.3 signed
check "keyed: a source not in the allowlist counted" wait_for 2 dropped_more allow "$a"
r=$(dropped rate)
rx=$(received)
forge 198.18.0.2 unsigned 100
check "keyed: a flood is rate limited" wait_for 2 dropped_more rate "$r"
# The bucket fills with time, 20 a second: 2 s after the reporter has
# taken in the whole flood it is full again.
flood_in() { [ "$(received)" -ge $((rx + 100)) ]; }
wait_for 10 flood_in
sleep 2

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
stop_daemon

done_testing
