#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# lbnodectl against a running lbnoded: admin states in status and -j,
# show vips and lbs, reload good and bad, the control socket's mode and
# who may use it, and the errors when no daemon runs.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NODE=lbn-ctl-n-$$
LB=lbn-ctl-l-$$
SOCK=$LAB_SOCK
CONF=$LAB_DIR/lbnoded.conf
OUT=$CTL_OUT
ERR=$CTL_ERR

# as nobody, with the groups given (setpriv syntax) or none; running a
# copy of lbnodectl that nobody can reach
NOBODY_CTL=$(readable_copy "$LBNODECTL") || bail "cannot copy $LBNODECTL"
ctl_as_nobody() {
	groups=$1; shift
	setpriv --reuid=65534 --regid=65534 $groups \
	    "$NOBODY_CTL" -s "$SOCK" "$@" >"$OUT" 2>"$ERR"
}
has() { grep -q -- "$2" "$1"; }
show_output() { sed 's/^/#   /' "$OUT" "$ERR" | head -20; }
# expect NAME STATUS: one test that the last ctl_capture (or run)
# exited 0 (ok) or not (fail)
expect() {
	if { [ "$2" = ok ] && [ "$CTL_RC" -eq 0 ]; } ||
	    { [ "$2" = fail ] && [ "$CTL_RC" -ne 0 ]; }; then
		ok 0 "$1"
	else
		ok 1 "$1 (exit $CTL_RC)"
		show_output
	fi
}
run() { "$@"; CTL_RC=$?; }

# The group the control socket belongs to.  tools/setup and make
# install create it; create it here too rather than test less.
if ! getent group lbnoded >/dev/null; then
	groupadd --system lbnoded || bail "cannot create group lbnoded"
	diag "created group lbnoded"
fi
CTL_GID=$(getent group lbnoded | cut -d: -f3)

node_and_lb "$NODE" "$LB" 198.18.0.2/24 198.18.0.1/24 lbn-n0 lbn-l0

write_conf() {	# write_conf [EXTRA-LINES]
	lab_conf "$CONF" <<EOF
vip "192.0.2.10" {
	mode redirect
	tcp port 80
	udp port 8000-8099
}
vip "192.0.2.20" {
	mode loopback
}
$1
EOF
}

# --- no daemon ---
check "the build has a version" test -n "$VERSION"
check "lbnodectl -V prints the version" \
    test "$("$LBNODECTL" -V)" = "lbnodectl $VERSION"
check "lbnoded -V prints the version" \
    test "$("$LBNODED" -V)" = "lbnoded $VERSION"
write_conf ""
ctl_capture status
expect "no daemon: status fails" fail
check "no daemon: says so, naming the socket" \
    has "$ERR" "daemon not running (no socket at $SOCK)"

ctl_capture bogus
expect "unknown command fails" fail
check "unknown command: usage on stderr" has "$ERR" "usage: lbnodectl"
ctl_capture show
expect "show without what fails" fail
ctl_capture log loud
expect "log loud fails" fail
check "nothing on stdout for usage errors" test ! -s "$OUT"

# A regular file where the socket goes is not the daemon's to remove.
echo precious >"$SOCK"
daemon_start "$NODE" "$CONF"
wait_for 5 gone "$DAEMON_PID"
check "daemon refuses a non-socket at the socket path" gone "$DAEMON_PID"
check "the file is left alone" grep -qx precious "$SOCK"
check "the log says why" grep -q "not a socket" "$LAB_DIR/daemon.log"
rm -f "$SOCK"

# --- a daemon ---
daemon_start "$NODE" "$CONF"
wait_for 10 daemon_up || bail "lbnoded did not come up"

check "socket mode 0660" test "$(stat -c %a "$SOCK")" = 660
check "socket owned by root:lbnoded" \
    test "$(stat -c %U:%G "$SOCK")" = root:lbnoded

ctl_capture status
expect "status" ok
check "status: admin state ready" grep -Eq '^admin state: +ready$' "$OUT"
for f in weight "cpu busy" "load per cpu" "memory used" uptime generation \
    "lbnp packets" "agent queries" "http queries" dropped restarts \
    "load balancers"; do
	check "status: shows $f" grep -q "^$f:" "$OUT"
done
check "status: drops by reason" has "$OUT" "auth 0"
check "status: restarts per child" grep -Eq 'netcfg [0-9]+, reporter [0-9]+' "$OUT"

ctl_capture -j status
expect "status -j" ok
check "status -j is JSON" jq -e . "$OUT"
check "status -j: admin ready, numbers numeric" jq -e \
    '.admin == "ready" and (.weight | type) == "number" and
     (.cpu_busy_pct | type) == "number" and (.dropped.auth | type) == "number" and
     (.restarts.reporter | type) == "number" and (.lbs | type) == "array"' "$OUT"
check "status -j: the fields of lbnodectl(8)" json_fields_match status "$OUT"
check "status -j: the interface fields of lbnodectl(8)" \
    json_fields_match interface "$OUT" .interface
check "status -j: a drop count for each reason" jq -e '.dropped | keys_unsorted ==
    ["short","magic","version","length","type","allow","auth","stale","replay","rate"]' "$OUT"
check "status -j: restarts of each child" jq -e \
    '.restarts | keys_unsorted == ["netcfg","reporter"]' "$OUT"

LOG=$LAB_DIR/daemon.log
admin_audits() { grep -c 'audit: admin state' "$LOG"; }
a0=$(admin_audits)
for state in drain maint ready; do
	ctl_capture "$state"
	expect "$state" ok
	check "$state: acknowledged" grep -qx "admin state: $state" "$OUT"
	ctl_capture status
	check "$state: in status" grep -Eq "^admin state: +$state\$" "$OUT"
	ctl_capture status -j
	check "$state: in status -j" jq -e ".admin == \"$state\"" "$OUT"
	check "$state: in the state file" grep -qx "$state" "$LAB_DIR/state"
	ctl_capture -j "$state"
	expect "-j $state" ok
	check "-j $state: the fields of lbnodectl(8)" \
	    json_fields_match command "$OUT"
	check "-j $state: ok" jq -e ".command == \"$state\" and .ok and
	    .error == null" "$OUT"
	ctl_capture "$state" -j
	check "$state -j: JSON too" jq -e ".command == \"$state\"" "$OUT"
done
check "admin audit: the change and who asked, uid and program" grep -Eq \
    'audit: admin state ready -> drain by uid 0 \(lbnodectl, pid [0-9]+\)$' "$LOG"
check "admin audit: one line per change, none when the state stays" \
    test "$(admin_audits)" -eq $((a0 + 3))

ctl_capture show vips
expect "show vips" ok
check "show vips: tcp 80 redirect" \
    grep -Eq '^192\.0\.2\.10 +tcp +80 +redirect +config' "$OUT"
check "show vips: udp range" \
    grep -Eq '^192\.0\.2\.10 +udp +8000-8099 +redirect' "$OUT"
check "show vips: loopback" grep -Eq '^192\.0\.2\.20 .*loopback' "$OUT"
ctl_capture -j show vips
expect "show vips -j" ok
check "show vips -j: three entries" jq -e 'length == 3' "$OUT"
check "show vips -j: fields" jq -e \
    'map(select(.vip == "192.0.2.10" and .proto == "udp" and
     .port_lo == 8000 and .port_hi == 8099 and .mode == "redirect" and
     .origin == "config")) | length == 1' "$OUT"
check "show vips -j: the fields of lbnodectl(8) on every entry" \
    json_fields_match vip "$OUT" '.[]'
check "show vips -j: null where a field does not apply" jq -e \
    'map(select(.mode == "loopback" and .target == null and
     .to_port == null)) | length == 1' "$OUT"

# An LB that has queried the node shows up in show lbs and status.
lb "$LBNODECTL" probe 198.18.0.2 >/dev/null 2>&1
ctl_capture show lbs
expect "show lbs" ok
check "show lbs: the LB that probed" \
    grep -Eq '^198\.18\.0\.1 +last contact [0-9]+ s ago, [1-9][0-9]* queries' "$OUT"
ctl_capture show lbs -j
check "show lbs -j" jq -e \
    'map(select(.address == "198.18.0.1" and .queries >= 1 and
     .last_seen_ago_s >= 0 and .last_seen_unix_s > 0)) | length == 1' "$OUT"
check "show lbs -j: the fields of lbnodectl(8)" json_fields_match lb "$OUT" '.[]'
ctl_capture -j status
check "status -j: the LB" jq -e '.lbs[0].address == "198.18.0.1"' "$OUT"
check "status -j: its LBs have the fields of lbnodectl(8)" \
    json_fields_match lb "$OUT" '.lbs[]'

ctl_capture log verbose
expect "log verbose" ok
ctl_capture log brief
expect "log brief" ok
ctl_capture -j log brief
expect "-j log brief" ok
check "-j log: the fields of lbnodectl(8)" json_fields_match command "$OUT"
check "-j log: ok" jq -e '.command == "log" and .ok' "$OUT"

# --- reload ---
write_conf 'vip "192.0.2.30" {
	tcp port 443
}'
ctl_capture reload
expect "reload of a valid config" ok
check "reload: says OK" grep -qx "reload OK" "$OUT"
ctl_capture log verbose
ctl_capture -j reload
expect "-j reload" ok
check "-j reload: the fields of lbnodectl(8)" json_fields_match command "$OUT"
check "-j reload: ok" jq -e '.command == "reload" and .ok and .error == null' "$OUT"
# The same configuration again changes nothing: netcfg says so in
# debug, and writes no audit line.
check "a reload that changes nothing: netcfg applies nothing" \
    wait_for 5 grep -q 'netcfg: config generation 3: nothing to change' "$LOG"
check "a reload that changes nothing: no audit line" \
    sh -c "! grep -q 'audit: config generation 3' '$LOG'"
ctl_capture log brief
ctl_capture -j show vips
check "reload: the new vip is in force" \
    jq -e 'map(select(.vip == "192.0.2.30" and .port_lo == 443)) | length == 1' "$OUT"

good=$(cat "$CONF")
printf '%s\nvip "192.0.2.40" {\n\ttcp port 80\n}\nbogus line\n' "$good" >"$CONF"
badline=$(grep -n '^bogus line' "$CONF" | cut -d: -f1)
ctl_capture reload
expect "reload of a broken config fails" fail
check "reload: file:line: message" grep -q "^$CONF:$badline: " "$ERR"
check "reload: no OK" test ! -s "$OUT"
ctl_capture reload -j
expect "reload -j of a broken config fails" fail
check "reload -j: the fields of lbnodectl(8)" json_fields_match command "$OUT"
check "reload -j: not ok, the error is file:line: message" jq -e --arg at \
    "$CONF:$badline: " '.ok == false and (.error | startswith($at))' "$OUT"
ctl_capture -j show vips
check "reload: the old config stays" jq -e \
    '(map(select(.vip == "192.0.2.30")) | length) == 1 and
     (map(select(.vip == "192.0.2.40")) | length) == 0' "$OUT"
check "daemon still running" alive "$DAEMON_PID"

# A second daemon does not take over a socket in use.
printf '%s\n' "$good" | sed 's/"lbn-n0"/"lbn-l0"/' >"$LAB_DIR/second.conf"
FIRST_PID=$DAEMON_PID
daemon_start "$LB" "$LAB_DIR/second.conf"
wait_for 5 gone "$DAEMON_PID"
check "a second daemon on the same socket exits" gone "$DAEMON_PID"
check "it says the socket is in use" grep -q "ctl.sock: in use" "$LAB_DIR/daemon.log"
DAEMON_PID=$FIRST_PID
ctl_capture status
expect "the first daemon still answers" ok

# --- who may connect ---
run ctl_as_nobody --clear-groups status
expect "nobody: refused" fail
check "nobody: permission denied" has "$ERR" "permission denied"
run ctl_as_nobody --groups="$CTL_GID" status
expect "nobody in group lbnoded (supplementary): allowed" ok
run ctl_as_nobody --groups="$CTL_GID" drain
expect "nobody in group lbnoded: drain" ok
check "admin audit names uid 65534 and its program" grep -Eq \
    'audit: admin state ready -> drain by uid 65534 \(lbnodectl, pid [0-9]+\)$' "$LOG"
ctl_capture ready
setpriv --reuid=65534 --regid="$CTL_GID" --clear-groups \
    "$NOBODY_CTL" -s "$SOCK" status >"$OUT" 2>"$ERR"
CTL_RC=$?
expect "nobody with gid lbnoded: allowed" ok

# The kernel checks the mode; the daemon checks the peer again.
chmod 0666 "$SOCK"
run ctl_as_nobody --clear-groups status
expect "nobody, socket mode loosened: still refused" fail
check "nobody: told the daemon closed the connection" \
    has "$ERR" "closed the connection"
check "daemon logs the refusal" grep -q "refused uid 65534" "$LAB_DIR/daemon.log"
chmod 0660 "$SOCK"

# Clients that send garbage are dropped; the daemon goes on.
printf 'this is not an imsg header' |
    socat -t 1 - "UNIX-CONNECT:$SOCK" >/dev/null 2>&1
# type 9999, length 16: a well-formed header of an unknown request
printf '\017\047\000\000\020\000\000\000\000\000\000\000\000\000\000\000' |
    socat -t 1 - "UNIX-CONNECT:$SOCK" >/dev/null 2>&1
ctl_capture status
expect "daemon survives malformed clients" ok
check "daemon logs the bad client" grep -q "unknown request, dropped" "$LAB_DIR/daemon.log"

# --- a stale socket, then an orderly stop ---
printf '%s\n' "$good" >"$CONF"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
wait_for 5 sh -c "! ip netns pids $NODE | grep -q ."
check "stale socket left by a killed daemon" test -S "$SOCK"
ctl_capture status
expect "stale socket: status fails" fail
check "stale socket: daemon not running" has "$ERR" "daemon not running"
daemon_start "$NODE" "$CONF"
wait_for 10 daemon_up
ctl_capture status
expect "daemon replaces a stale socket" ok
kill "$DAEMON_PID"
wait_for 5 gone "$DAEMON_PID"
check "orderly stop removes the socket" test ! -e "$SOCK"

done_testing
