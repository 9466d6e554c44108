#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The daemon's start: what -n checks on this host, with file:line; the
# control socket's directory; a parent that returns only once the
# daemon is ready, or fails with the reason; a child that cannot get its
# privileges stops the daemon; and the priority each log line carries
# to the journal.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NS=lbn-start-$$
netns_add "$NS"
CONF=$LAB_DIR/lbnoded.conf
lab_conf "$CONF" <<EOC
vip 198.18.0.10 {
	tcp port 80
}
EOC
stop_daemon() {
	kill -TERM "$DAEMON_PID"
	wait_for 3 sh -c "! kill -0 $DAEMON_PID 2>/dev/null"
}

# --- journal priorities ---
# systemd's JOURNAL_STREAM names stderr's device and inode: the daemon
# then prefixes each line with its syslog priority, and only then.
LOG=$LAB_DIR/daemon.log
: >"$LOG"
JOURNAL_STREAM=$(stat -c '%d:%i' "$LOG") daemon_start "$NS" "$CONF"
check "daemon up with JOURNAL_STREAM" wait_for 5 daemon_up
echo "bogus" >>"$CONF"
ctl reload >/dev/null 2>&1
check "started: <6> (info)" grep -q '^<6>monitor: started' "$LOG"
check "netcfg's audit line: <5> (notice)" grep -q '^<5>netcfg: audit: ' "$LOG"
check "a failed reload: <3> (err)" grep -q '^<3>monitor: .*lbnoded.conf:6: ' "$LOG"
check "every line has a priority" sh -c "! grep -v '^<[0-7]>' '$LOG'"
check "stopped" stop_daemon
sed -i '$d' "$CONF"

# Another stream, or none: plain lines, as a person reads them.
: >"$LOG"
JOURNAL_STREAM=1:1 daemon_start "$NS" "$CONF"
check "daemon up with another JOURNAL_STREAM" wait_for 5 daemon_up
check "stopped again" stop_daemon
check "another stream: no prefix" sh -c "! grep -q '^<' '$LOG'"
check "another stream: the lines are there" grep -q '^monitor: started' "$LOG"

# --- -n checks what the config refers to, naming the statement ---
mkdir "$LAB_DIR/empty" "$LAB_DIR/cg" "$LAB_DIR/cg-empty"
cp "$top_srcdir/tests/fixtures/cgroup2_cpu.stat" "$LAB_DIR/cg/cpu.stat"
cp "$top_srcdir/tests/fixtures/cgroup2_cpu.max" "$LAB_DIR/cg/cpu.max"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$LAB_DIR/key"
chmod 600 "$LAB_DIR/key"
veth_pair "$NS" lbn-st0 "$NS" lbn-st1
if_addr "$NS" lbn-st0 198.18.0.2/24
good_conf() {
	cat <<EOC
interface "lbn-st0"
user "_lbnoded"
chroot "$LAB_DIR/empty"
key file "$LAB_DIR/key"
sample cgroup "$LAB_DIR/cg"
control socket "$LAB_DIR/run/ctl.sock"
state file "$LAB_DIR/state"
EOC
}
checkn() {	# checkn EXPECTED-STDERR: -n of $LAB_DIR/c.conf in NS fails so
	printf '%s\n' "$1" >"$LAB_DIR/expected"
	ip netns exec "$NS" "$LBNODED" -n -f "$LAB_DIR/c.conf" \
	    >/dev/null 2>"$LAB_DIR/got"
	st=$?
	[ $st -eq 1 ] && cmp -s "$LAB_DIR/expected" "$LAB_DIR/got" && return 0
	echo "exit $st"; diff "$LAB_DIR/expected" "$LAB_DIR/got"
	return 1
}
good_conf >"$LAB_DIR/c.conf"
check "-n: everything the config names exists" \
    ip netns exec "$NS" "$LBNODED" -n -f "$LAB_DIR/c.conf"
check "-n did not make the control socket directory" test ! -e "$LAB_DIR/run"
C=$LAB_DIR/c.conf
good_conf | sed 's/lbn-st0/lbn-nosuch0/' >"$C"
check "-n: a missing interface" checkn \
    "$C:1: interface \"lbn-nosuch0\" does not exist"
good_conf | sed 's/_lbnoded/lbn-nosuch-user/' >"$C"
check "-n: a missing user" checkn \
    "$C:2: user \"lbn-nosuch-user\" does not exist: create it with \"useradd --system --no-create-home --shell /usr/sbin/nologin lbn-nosuch-user\""
good_conf | sed 's|/empty"|/nosuch"|' >"$C"
check "-n: a missing chroot" checkn \
    "$C:3: chroot $LAB_DIR/nosuch: No such file or directory"
good_conf | sed 's|/key"|/nokey"|' >"$C"
check "-n: a missing key file" checkn \
    "$C:4: key file $LAB_DIR/nokey: No such file or directory"
good_conf >"$C"
chmod 604 "$LAB_DIR/key"
check "-n: a key file others can read" checkn \
    "$C:4: key file $LAB_DIR/key is readable by others"
chmod 600 "$LAB_DIR/key"
echo 00112233 >"$LAB_DIR/shortkey"; chmod 600 "$LAB_DIR/shortkey"
good_conf | sed 's|/key"|/shortkey"|' >"$C"
check "-n: a key of the wrong length" checkn \
    "$C:4: key file $LAB_DIR/shortkey: want 16 to 64 bytes in hexadecimal"
good_conf | sed 's|/cg"|/nocg"|' >"$C"
check "-n: a missing cgroup" checkn \
    "$C:5: sample cgroup $LAB_DIR/nocg: No such file or directory"
good_conf | sed 's|/cg"|/cg-empty"|' >"$C"
check "-n: a cgroup without CPU accounting files" checkn \
    "$C:5: sample cgroup $LAB_DIR/cg-empty: no CPU accounting files (cpu.stat and cpu.max, or cgroup v1's cpuacct.usage and cpu.cfs_quota_us)"
good_conf | sed 's|/run/ctl.sock"|/no/run/ctl.sock"|' >"$C"
check "-n: a control socket directory that cannot be made" checkn \
    "$C:6: control socket directory's parent $LAB_DIR/no: No such file or directory"
{ good_conf | sed '/^chroot/d; /^user/d'; } >"$C"
echo 'user "lbn-nosuch-user"' >>"$C"
check "-n: every problem, each with its line" checkn \
    "$C:6: user \"lbn-nosuch-user\" does not exist: create it with \"useradd --system --no-create-home --shell /usr/sbin/nologin lbn-nosuch-user\""
good_conf | sed 's/lbn-st0/lbn-nosuch0/; s|/cg"|/nocg"|' >"$C"
check "-n: two problems, two lines" checkn \
    "$C:1: interface \"lbn-nosuch0\" does not exist
$C:5: sample cgroup $LAB_DIR/nocg: No such file or directory"
good_conf | sed 's/lbn-st0/lbn-nosuch0/' >"$C"
check "-nn: the syntax alone" \
    ip netns exec "$NS" "$LBNODED" -nn -f "$C"
ip netns exec "$NS" setpriv --bounding-set -net_admin \
    "$LBNODED" -n -f "$LAB_DIR/lbnoded.conf" >"$LAB_DIR/out" 2>&1
check "-n without CAP_NET_ADMIN in the bounding set fails" test $? -eq 1
check "... naming it" \
    grep -q "^CAP_NET_ADMIN is not in the capability bounding set" "$LAB_DIR/out"

# --- the start checks too, before it forks ---
good_conf | sed 's/lbn-st0/lbn-nosuch0/' >"$C"
ip netns exec "$NS" "$LBNODED" -f "$C" >"$LAB_DIR/out" 2>&1
check "start: a missing interface exits 1" test $? -eq 1
check "start: says where" grep -q "^monitor: $C:1: interface \"lbn-nosuch0\" does not exist" "$LAB_DIR/out"

# --- without -d: back only once ready, with the rules in force ---
good_conf >"$C"
printf 'vip 198.18.0.10 {\n\ttcp port 80\n}\n' >>"$C"
SOCK2=$LAB_DIR/run/ctl.sock
LAB_SOCK=$SOCK2		# ctl's from here on
monitor_pid() {	# the monitor started with -f $C in NS
	for p in $(ip netns pids "$NS"); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
		    grep -q -- "-f $C \$" && { echo "$p"; return 0; }
	done
	return 1
}
ip netns exec "$NS" "$LBNODED" -f "$C" >"$LAB_DIR/out" 2>&1
check "daemonized start returns 0" test $? -eq 0
check "the rules are in force when it returns" \
    ip netns exec "$NS" nft list table ip lbnoded
check "it answers on its socket when it returns" ctl status
check "nothing printed on success" sh -c "! grep . '$LAB_DIR/out'"
BG=$(monitor_pid)
check "the daemon runs on" test -n "$BG"
LAB_PIDS="$LAB_PIDS $BG"
check "it made the control socket directory" test -d "$LAB_DIR/run"
check "... mode 0750, root:lbnoded" \
    test "$(stat -c '%a %U:%G' "$LAB_DIR/run")" = "750 root:lbnoded"

# A failure after the fork reaches the parent: a second daemon on the
# same control socket.
ip netns exec "$NS" "$LBNODED" -f "$C" >"$LAB_DIR/out" 2>&1
check "a second daemon exits 1" test $? -eq 1
check "... and says why" grep -q "control socket $SOCK2: in use" "$LAB_DIR/out"
kill -TERM "$BG"
check "the daemon stops" wait_for 3 sh -c "! kill -0 $BG 2>/dev/null"

# --- a child that cannot get its privileges stops the daemon ---
: >"$LOG"
ip netns exec "$NS" setpriv --bounding-set -net_admin \
    timeout 20 "$LBNODED" -d -f "$LAB_DIR/lbnoded.conf" >>"$LOG" 2>&1
st=$?
check "no CAP_NET_ADMIN: exits 1 at once, no restart loop" test $st -eq 1
check "no CAP_NET_ADMIN: named" \
    grep -q "CAP_NET_ADMIN is not in the capability bounding set" "$LOG"

# netcfg itself, were the monitor's check passed: it names what it
# lacks and exits 3, the status the monitor does not restart.
ip netns exec "$NS" setpriv --bounding-set -net_admin \
    "$LBNODED" -P netcfg -d >"$LAB_DIR/out" 2>&1
check "netcfg without CAP_NET_ADMIN exits 3" test $? -eq 3
check "... naming it" grep -q \
    "^netcfg: CAP_NET_ADMIN is not in the capability bounding set" "$LAB_DIR/out"

# The reporter's chroot gone while it runs: its restart cannot succeed,
# so the daemon stops, removes its rules and exits 1.
good_conf >"$C"
printf 'vip 198.18.0.10 {\n\ttcp port 80\n}\n' >>"$C"
: >"$LOG"
daemon_start "$NS" "$C"
check "daemon up for the sandbox test" wait_for 5 daemon_up
rmdir "$LAB_DIR/empty"
kill -9 "$(child_pid "$DAEMON_PID" reporter)"
check "a child that cannot build its sandbox stops the daemon" \
    wait_for 5 sh -c "! kill -0 $DAEMON_PID 2>/dev/null"
wait "$DAEMON_PID"
check "... with exit status 1" test $? -eq 1
check "... saying which child and why" \
    grep -q "reporter cannot get the privileges it needs" "$LOG"
check "... the child said what failed" grep -q "reporter: chroot $LAB_DIR/empty" "$LOG"
check "... and its rules are gone" \
    sh -c "! ip netns exec $NS nft list table ip lbnoded 2>/dev/null"
check "the reporter was restarted after kill -9, not after that" \
    test "$(grep -c 'restarting reporter' "$LOG")" -eq 1

done_testing
