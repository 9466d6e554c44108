#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# What a reporter restart must not undo: the replay protection (a
# CONFIG captured before a kill -9 of the reporter, replayed within its
# 30 s window, is refused), the generation in force (an older one is
# refused with status 1), and the status counters.
. "$top_srcdir/tests/integ/lib.sh"
need_root
command -v python3 >/dev/null || bail "python3 is needed to capture packets"

NODE=lbn-rst-n-$$
LB=lbn-rst-l-$$
N=198.18.0.1
KEY=$LAB_DIR/key
CONF=$LAB_DIR/lbnoded.conf
node_and_lb "$NODE" "$LB"	# $N on vn, the LB on vl
lab_key "$KEY"
lab_conf "$CONF" <<EOF
key file "$KEY"
lb "198.18.0.2"
announce off
accept vip 192.0.2.0/24 tcp port 80
EOF

status() {	# status NAME [REASON]
	ctl -j status | python3 -c 'import json, sys
s = json.load(sys.stdin)
print(s["dropped"][sys.argv[2]] if len(sys.argv) > 2 else s[sys.argv[1]])' "$@"
}
push() { g=$1; shift; lb "$LBNODECTL" push -k "$KEY" -g "$g" $N "$@"; }
vip_in_force() { ctl show vips | grep -q "$1"; }
probe() { lb "$LBNODECTL" probe -k "$KEY" -t 1 $N; }

# config send GEN FILE: an empty, signed CONFIG of generation GEN, kept
# in FILE; config replay FILE: the same bytes again.  Either prints the
# CONFIG-ACK's status, or "none" when no answer comes within 2 s.
config() {
	lb python3 - "$KEY" "$@" <<'EOF'
import hmac, hashlib, os, socket, struct, sys, time
keyfile, mode = sys.argv[1:3]
key = bytes.fromhex(open(keyfile).read().strip())
if mode == "send":
    gen, path = int(sys.argv[3]), sys.argv[4]
    body = struct.pack("!HHQ", 12, 8, gen)
    hdr = b"LBNP" + struct.pack("!BBHIHH", 1, 4, 1, 7, len(body), 0)
    msg = hdr + body + struct.pack("!Q", int(time.time() * 1000)) + os.urandom(8)
    pkt = msg + hmac.new(key, msg, hashlib.sha256).digest()
    open(path, "wb").write(pkt)
else:
    pkt = open(sys.argv[3], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(pkt, ("198.18.0.1", 65002))
try:
    ack = s.recv(65536)
except socket.timeout:
    print("none")
    sys.exit(0)
body = ack[16:16 + struct.unpack("!H", ack[12:14])[0]]
while body:
    t, l = struct.unpack("!HH", body[:4])
    if t == 32:
        print(body[4])
    body = body[4 + l:]
EOF
}

daemon_start "$NODE" "$CONF"
check "daemon up" wait_for 10 probe
REP=$(child_pid "$DAEMON_PID" reporter)

## the generation in force

check "CONFIG generation 111 accepted (status 0)" \
    test "$(config send 111 "$LAB_DIR/g111")" = 0
push 222 tcp:192.0.2.10:80 >"$LAB_DIR/push.out" 2>&1
check "push of generation 222 accepted" grep -q '^generation 222: ok' "$LAB_DIR/push.out"
push 150 tcp:192.0.2.11:80 >"$LAB_DIR/push.out" 2>&1
st=$?
cat "$LAB_DIR/push.out" | sed 's/^/# /'
check "an older generation is refused (exit 1)" test "$st" -eq 1
check "... rejected, saying which generation is in force" \
    grep -q '^generation 150: rejected: generation 222 is in force' "$LAB_DIR/push.out"
check "... and the VIPs of 222 stay" vip_in_force 192.0.2.10
check "... the status shows generation 222" test "$(status generation)" = 222
push 222 tcp:192.0.2.10:80 >"$LAB_DIR/push.out" 2>&1
check "the same generation may come again" grep -q '^generation 222: ok' "$LAB_DIR/push.out"

## counters before the kill

for i in 1 2 3; do probe >/dev/null; done
config replay "$LAB_DIR/g111" >/dev/null	# a replay counted
rx=$(status rx_packets) tx=$(status tx_packets) replay=$(status dropped replay)
sleep 2.5	# the reporter hands its counters over every second
up=$(status daemon_uptime_s)
diag "before: rx $rx tx $tx replay $replay uptime $up"

## kill -9 of the reporter, and the replay

kill -9 "$REP"
new_reporter() { p=$(child_pid "$DAEMON_PID" reporter) && [ "$p" != "$REP" ]; }
check "a new reporter" wait_for 10 new_reporter
check "it answers" wait_for 10 probe
check "the captured CONFIG, replayed after the restart, gets no answer" \
    test "$(config replay "$LAB_DIR/g111")" = none
check "... it is counted as stale" test "$(status dropped stale)" -ge 1
check "... generation 222 still in force" test "$(status generation)" = 222
check "... and its VIPs" vip_in_force 192.0.2.10
push 150 tcp:192.0.2.11:80 >"$LAB_DIR/push.out" 2>&1
check "an older generation is still refused" \
    grep -q '^generation 150: rejected: generation 222 is in force' "$LAB_DIR/push.out"

## the counters went on

diag "after: rx $(status rx_packets) tx $(status tx_packets) replay $(status dropped replay)"
check "rx_packets did not reset" test "$(status rx_packets)" -gt "$rx"
check "tx_packets did not reset" test "$(status tx_packets)" -gt "$tx"
check "dropped replay did not reset" test "$(status dropped replay)" -ge "$replay"
check "... and it had counted one" test "$replay" -ge 1
check "the uptime did not reset ($up s before)" test "$(status daemon_uptime_s)" -ge "$up"
check "... and had counted" test "$up" -ge 2

done_testing
