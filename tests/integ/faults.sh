#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The monitor under faults and local attacks: a state file that cannot
# be saved (full filesystem, a planted symlink, an unsafe directory),
# idle clients filling the control socket, and children that stop
# answering (SIGSTOP).  Each must leave the daemon serving and saying
# the truth.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NODE=lbn-flt-n-$$
LB=lbn-flt-l-$$
SOCK=$LAB_SOCK
KEY=$LAB_DIR/key
CONF=$LAB_DIR/lbnoded.conf
STATE_DIR=$LAB_DIR/statefs
LAB_STATE=$STATE_DIR/state
STATE=$LAB_STATE
OUT=$CTL_OUT
ERR=$CTL_ERR
LOG=$LAB_DIR/daemon.log

status_says() { ctl status | grep -Eq "^admin state: +$1\$"; }
# passed NAME / failed NAME: one test that the last ctl_capture (or the
# command before) exited 0 / not 0
passed() { ok "$CTL_RC" "$1"; [ "$CTL_RC" -eq 0 ] || sed 's/^/#   /' "$ERR"; }
failed() { ok $((CTL_RC == 0)) "$1"; [ "$CTL_RC" -ne 0 ] || sed 's/^/#   /' "$OUT"; }

child() { child_pid "$DAEMON_PID" "$1"; }
# push GENERATION FILE: the LB pushes 192.0.2.10 tcp 80, the ACK in FILE
push() {
	lb "$LBNODECTL" push -k "$KEY" -g "$1" -t 20 198.18.0.1 \
	    tcp:192.0.2.10:80 >"$2" 2>&1
}
lb_in_force() { ctl show vips | grep -Eq '^192\.0\.2\.10 .* lb'; }
restarted() { p=$(child "$1") && [ "$p" != "$2" ]; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

if ! getent group lbnoded >/dev/null; then
	groupadd --system lbnoded || bail "cannot create group lbnoded"
fi
CTL_GID=$(getent group lbnoded | cut -d: -f3)

node_and_lb "$NODE" "$LB"
lab_key "$KEY"

# A tiny filesystem of its own for the state file, so it can be filled.
mkdir "$STATE_DIR"
mount -t tmpfs -o size=64k,mode=0755 "lbn-flt-$$" "$STATE_DIR" ||
    bail "cannot mount a tmpfs"
unmount_state() { umount "$STATE_DIR" 2>/dev/null; }
trap 'unmount_state; lab_cleanup' EXIT

lab_conf "$CONF" <<EOF
key file "$KEY"
lb 198.18.0.2
accept vip 192.0.2.0/24 tcp port 80
vip "198.51.100.10" {
	mode redirect
	tcp port 80
}
EOF

daemon_start "$NODE" "$CONF"
wait_for 10 daemon_up || bail "lbnoded did not come up"

# --- state saves ---
# Each a change: asking for the state in force saves nothing.
ctl_capture drain
passed "drain saved"
check "state file says drain" grep -qx drain "$STATE"
ctl_capture ready
passed "ready saved"
check "state file says ready" grep -qx ready "$STATE"

# A full filesystem: the drain is refused, nothing changes.
dd if=/dev/zero of="$STATE_DIR/fill" bs=4k 2>/dev/null
ctl_capture drain
failed "drain on a full filesystem fails"
check "lbnodectl says why" grep -q "No space left on device" "$ERR"
check "nothing on stdout" test ! -s "$OUT"
check "the state file still says ready" grep -qx ready "$STATE"
check "status still says ready" status_says ready
check "no temporary file left" test ! -e "$STATE.new"
check "the refusal is logged" grep -q "admin state ready -> drain by uid 0 .* refused" "$LOG"
rm -f "$STATE_DIR/fill"
ctl_capture drain
passed "drain once there is room"
check "state file says drain" grep -qx drain "$STATE"
check "status says drain" status_says drain

# A symlink planted at the temporary name is removed, not followed.
echo precious >"$LAB_DIR/victim"
ln -s "$LAB_DIR/victim" "$STATE.new"
ctl_capture maint
passed "maint with a symlink at state.new"
check "the symlink's target is untouched" grep -qx precious "$LAB_DIR/victim"
check "state file says maint" grep -qx maint "$STATE"
check "state file is a regular file" test -f "$STATE" -a ! -L "$STATE"

# A directory others may write to is not trusted with root's file.
chmod 0777 "$STATE_DIR"
ctl_capture ready
failed "ready in a world-writable directory fails"
check "lbnodectl names the directory" grep -q "writable by others" "$ERR"
check "the state file still says maint" grep -qx maint "$STATE"
check "status still says maint" status_says maint
chmod 0755 "$STATE_DIR"
ctl_capture ready
passed "ready once the directory is safe"


# --- idle clients of one uid in the control group ---
# They take what their uid may hold and are refused the rest at once;
# root, and another uid of the group, still get in; and the idle ones
# are dropped after a while.
cat >"$LAB_DIR/hold.py" <<'EOF'
import select, socket, sys, time
path, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(path)
        socks.append(s)
    except BlockingIOError:
        s.close()
print("connected", len(socks), flush=True)
left, end = set(socks), time.time() + hold
while left and time.time() < end:
    r, _, _ = select.select(list(left), [], [], 0.2)
    for s in r:
        try:
            data = s.recv(64)
        except OSError:
            data = b""
        if not data:
            left.discard(s)
print("closed", len(socks) - len(left), "of", len(socks), flush=True)
EOF
setpriv --reuid=65534 --regid=65534 --groups="$CTL_GID" \
    /usr/bin/python3 "$LAB_DIR/hold.py" "$SOCK" 60 40 >"$LAB_DIR/hold.out" 2>&1 &
HOLD=$!
LAB_PIDS="$LAB_PIDS $HOLD"
wait_for 10 grep -q connected "$LAB_DIR/hold.out" || bail "the idle clients did not start"
t0=$(date +%s%N)
timeout 10 "$LBNODECTL" -s "$SOCK" status >"$OUT" 2>"$ERR"
CTL_RC=$?
passed "root's lbnodectl answered beside 60 idle connections"
diag "root's lbnodectl status took $(ms_since "$t0") ms beside the idle clients"
CTL_RC=0
setpriv --reuid=65533 --regid=65533 --groups="$CTL_GID" timeout 10 \
    "$(readable_copy "$LBNODECTL")" -s "$SOCK" status >"$OUT" 2>"$ERR" || CTL_RC=$?
passed "another uid of the group still gets in"
check "the surplus is refused, and logged" \
    grep -q "control: refused a client of uid 65534" "$LOG"
check "the refusals are one log line a second at most" \
    test "$(grep -c "refused a client of uid 65534" "$LOG")" -le 3
check "the idle clients are dropped" wait_for 30 grep -q "^closed" "$LAB_DIR/hold.out"
check "all of them" awk '$1 == "closed" { exit $2 != $4 }' "$LAB_DIR/hold.out"
check "the drops are logged" grep -q "idle, dropped" "$LOG"

# --- a stopped netcfg ---
# A push that comes while netcfg is stopped is answered as failed once
# netcfg is found hung; netcfg is killed and restarted; pushes work again.
applied() { grep -c "config generation 1: applied" "$LOG"; }
applied_before=$(applied)
NC=$(child netcfg)
kill -STOP "$NC"
t0=$(date +%s%N)
push 100 "$LAB_DIR/push1.out"
CTL_RC=$?
diag "push with netcfg stopped answered after $(ms_since "$t0") ms"
failed "push while netcfg is stopped fails"
check "the ACK says why" grep -q "netcfg did not answer" "$LAB_DIR/push1.out"
check "the hang is logged" \
    grep -q "netcfg (pid $NC) has not answered for [0-9]* s: killing it" "$LOG"
check "the failed push is logged" \
    grep -q "audit: lb 198.18.0.2: push generation 100 failed, nothing changed: netcfg did not answer" "$LOG"
check "netcfg restarted" wait_for 10 restarted netcfg "$NC"
check "the config's rules are applied again" \
    wait_for 10 test "$(applied)" -gt "$applied_before"
push 101 "$LAB_DIR/push2.out"
CTL_RC=$?
passed "a push after the restart succeeds"
check "the pushed VIP is in force" lb_in_force

# --- a stopped reporter ---
# lbnodectl gets an error, not a hang; the reporter is restarted and
# answers the LB again.
RP=$(child reporter)
kill -STOP "$RP"
t0=$(date +%s%N)
ctl_capture status
failed "status while the reporter is stopped fails"
check "lbnodectl is told the reporter restarted" \
    grep -q "reporter restarted, try again" "$ERR"
diag "lbnodectl status with the reporter stopped ended after $(ms_since "$t0") ms: $(cat "$ERR")"
check "the hang is logged" wait_for 10 \
    grep -q "reporter (pid $RP) has not answered for [0-9]* s: killing it" "$LOG"
check "reporter restarted" wait_for 10 restarted reporter "$RP"
check "the LB gets answers again" wait_for 10 \
    lb "$LBNODECTL" probe -k "$KEY" -t 1 198.18.0.1
check "status works again" wait_for 10 ctl status

kill "$DAEMON_PID"
wait_for 5 sh -c "! kill -0 $DAEMON_PID"
done_testing
