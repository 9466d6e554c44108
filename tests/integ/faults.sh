#!/bin/sh
# The monitor under faults and local attacks: a state file that cannot
# be saved (full filesystem, a planted symlink, an unsafe directory),
# idle clients filling the control socket, and children that stop
# answering (SIGSTOP).  Each must leave the daemon serving and saying
# the truth.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NODE=lbn-flt-n-$$
SOCK=$LAB_DIR/ctl.sock
CONF=$LAB_DIR/lbnoded.conf
STATE_DIR=$LAB_DIR/statefs
STATE=$STATE_DIR/state
OUT=$LAB_DIR/out
ERR=$LAB_DIR/err
LOG=$LAB_DIR/daemon.log

ctl() { "$LBNODECTL" -s "$SOCK" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
alive() { [ -r "/proc/$1/stat" ] && awk '{ exit $3 == "Z" }' "/proc/$1/stat"; }
daemon_up() { alive "$DAEMON_PID" && "$LBNODECTL" -s "$SOCK" status; }
status_says() { "$LBNODECTL" -s "$SOCK" status | grep -Eq "^admin state: +$1\$"; }
show_output() { sed 's/^/#   /' "$OUT" "$ERR" | head -10; }
# expect NAME ok|fail: the last ctl exited 0, or did not
expect() {
	if { [ "$2" = ok ] && [ "$RC" -eq 0 ]; } ||
	    { [ "$2" = fail ] && [ "$RC" -ne 0 ]; }; then
		ok 0 "$1"
	else
		ok 1 "$1 (exit $RC)"
		show_output
	fi
}

if ! getent group lbnoded >/dev/null; then
	groupadd --system lbnoded || bail "cannot create group lbnoded"
fi

netns_add "$NODE"
ip -n "$NODE" link add lbn-d0 type veth peer name lbn-d1
ip -n "$NODE" link set lbn-d0 up && ip -n "$NODE" link set lbn-d1 up
ip -n "$NODE" addr add 198.18.0.2/24 dev lbn-d0

# A tiny filesystem of its own for the state file, so it can be filled.
mkdir "$STATE_DIR"
mount -t tmpfs -o size=64k,mode=0755 "lbn-flt-$$" "$STATE_DIR" ||
    bail "cannot mount a tmpfs"
unmount_state() { umount "$STATE_DIR" 2>/dev/null; }

cat >"$CONF" <<EOF
interface "lbn-d0"
control socket "$SOCK"
state file "$STATE"
vip "192.0.2.10" {
	mode redirect
	tcp port 80
}
EOF

daemon_start "$NODE" "$CONF"
wait_for 10 daemon_up || { unmount_state; bail "lbnoded did not come up"; }

# --- state saves ---
ctl ready
expect "ready saved" ok
check "state file says ready" grep -qx ready "$STATE"

# A full filesystem: the drain is refused, nothing changes.
dd if=/dev/zero of="$STATE_DIR/fill" bs=4k 2>/dev/null
ctl drain
expect "drain on a full filesystem fails" fail
check "lbnodectl says why" grep -q "No space left on device" "$ERR"
check "nothing on stdout" test ! -s "$OUT"
check "the state file still says ready" grep -qx ready "$STATE"
check "status still says ready" status_says ready
check "no temporary file left" test ! -e "$STATE.new"
check "the refusal is logged" grep -q "admin state ready -> drain refused" "$LOG"
rm -f "$STATE_DIR/fill"
ctl drain
expect "drain once there is room" ok
check "state file says drain" grep -qx drain "$STATE"
check "status says drain" status_says drain

# A symlink planted at the temporary name is removed, not followed.
echo precious >"$LAB_DIR/victim"
ln -s "$LAB_DIR/victim" "$STATE.new"
ctl maint
expect "maint with a symlink at state.new" ok
check "the symlink's target is untouched" grep -qx precious "$LAB_DIR/victim"
check "state file says maint" grep -qx maint "$STATE"
check "state file is a regular file" test -f "$STATE" -a ! -L "$STATE"

# A directory others may write to is not trusted with root's file.
chmod 0777 "$STATE_DIR"
ctl ready
expect "ready in a world-writable directory fails" fail
check "lbnodectl names the directory" grep -q "writable by others" "$ERR"
check "the state file still says maint" grep -qx maint "$STATE"
check "status still says maint" status_says maint
chmod 0755 "$STATE_DIR"
ctl ready
expect "ready once the directory is safe" ok

kill "$DAEMON_PID"
wait_for 5 sh -c "! kill -0 $DAEMON_PID"
unmount_state
done_testing
