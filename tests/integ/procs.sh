#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The three processes: their privileges, how they live and how they die.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NS=lbn-procs-$$
netns_add "$NS"
CONF=$LAB_DIR/lbnoded.conf
lab_conf "$CONF" <<EOC
agent port 3333
http port 8080
vip 198.18.0.10 {
	tcp port 80
}
EOC

up() {		# the monitor answers, and both children exist
	daemon_up &&
	    child_pid "$DAEMON_PID" netcfg >/dev/null &&
	    child_pid "$DAEMON_PID" reporter >/dev/null
}

# Every socket fd of PID that is an AF_INET or AF_INET6 socket in its netns.
inet_sockets() {
	for ino in $(socket_inodes "$1"); do
		for t in tcp tcp6 udp udp6; do
			awk -v i="$ino" 'NR > 1 && $10 == i { found = 1 }
			    END { exit !found }' "/proc/$1/net/$t" &&
			    echo "$t:$ino"
		done
	done
	return 0
}

daemon_start "$NS" "$CONF"
check "daemon starts with both children" wait_for 5 up
MON=$DAEMON_PID
REP=$(child_pid "$MON" reporter)
NET=$(child_pid "$MON" netcfg)

# reporter: unprivileged, no capabilities, no_new_privs, seccomp filter
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$REP/status")
gid=$(awk '/^Gid:/ { print $2 }' "/proc/$REP/status")
check "reporter uid is not 0" test "$uid" -ne 0
check "reporter gid is not 0" test "$gid" -ne 0
check "reporter uid is _lbnoded" test "$uid" -eq "$(id -u _lbnoded)"
check_sandbox reporter "$REP" 0000000000000000
# The same directory, by device and inode: the link's text depends on
# where the observer's own root is (a chroot, another mount namespace).
same_dir() { test "$(stat -L -c %d:%i "$1")" = "$(stat -L -c %d:%i "$2")"; }
check "reporter is in its chroot" same_dir "/proc/$REP/root" /var/empty

# netcfg: root, but only CAP_NET_ADMIN
check "netcfg uid is 0" test "$(awk '/^Uid:/ { print $2 }' "/proc/$NET/status")" -eq 0
check_sandbox netcfg "$NET" 0000000000001000

# Each process maps only the libraries it calls: libnftables (and
# libnftnl under it) is netcfg's alone; libsystemd is loaded only when
# systemd starts the daemon (systemd.sh), which it does not here.
check "netcfg maps libnftables" maps "$NET" libnftables.so
check "netcfg maps libnftnl, through libnftables" maps "$NET" libnftnl.so
for p in "reporter $REP" "monitor $MON"; do
	set -- $p
	check "$1 does not map libnftables" unmapped "$2" libnftables.so
	check "$1 does not map libnftnl" unmapped "$2" libnftnl.so
done
for p in "reporter $REP" "monitor $MON" "netcfg $NET"; do
	set -- $p
	check "$1 does not map libsystemd without NOTIFY_SOCKET" \
	    unmapped "$2" libsystemd.so
done

# monitor: no network sockets at all once the children have theirs
check "reporter holds the listening sockets" test -n "$(inet_sockets "$REP")"
check "monitor holds no AF_INET/AF_INET6 socket" test -z "$(inet_sockets "$MON")"

# a killed child comes back, three times in a row (backoff 100, 200, 400 ms)
for round in 1 2 3; do
	for proc in reporter netcfg; do
		old=$(child_pid "$MON" $proc)
		kill -9 "$old"
		new_child() {
			p=$(child_pid "$MON" "$proc") && [ "$p" != "$old" ]
		}
		check "kill -9 $proc (round $round): new one within 2 s" \
		    wait_for 2 new_child
	done
done
check "the monitor logged how the child died" \
    grep -q "reporter (pid [0-9]*) killed by signal 9" "$LAB_DIR/daemon.log"
# A seccomp kill is SIGSYS; the monitor names it as such.
REP=$(child_pid "$MON" reporter)
kill -SYS "$REP"
check "SIGSYS is logged as a seccomp violation" wait_for 2 \
    grep -q "reporter (pid $REP) killed by SIGSYS: seccomp violation" \
    "$LAB_DIR/daemon.log"
sigsys_restarted() { p=$(child_pid "$MON" reporter) && [ "$p" != "$REP" ]; }
check "a reporter killed by SIGSYS is restarted" wait_for 3 sigsys_restarted
check "the monitor logged the restart" \
    grep -q "restarting netcfg in [0-9]* ms" "$LAB_DIR/daemon.log"
NET=$(child_pid "$MON" netcfg)
REP=$(child_pid "$MON" reporter)
check_sandbox "restarted netcfg" "$NET" 0000000000001000
check_sandbox "restarted reporter" "$REP" 0000000000000000

# Signals to the children are the monitor's business: they ignore them,
# so a group-wide SIGTERM cannot stop netcfg before it removes the rules.
kill -TERM "$NET" "$REP"
kill -INT "$NET" "$REP"
kill -HUP "$NET" "$REP"
# Delivered: none of them is pending any more (an ignored signal never
# is; a caught or fatal one is until the process runs).
delivered() {
	for p in "$NET" "$REP"; do
		awk '$1 == "SigPnd:" || $1 == "ShdPnd:" { if ($2 !~ /^0+$/) bad = 1 }
		    END { exit bad }' "/proc/$p/status" 2>/dev/null || return 1
	done
}
wait_for 5 delivered
check "children ignore SIGTERM, SIGINT and SIGHUP" \
    test "$(child_pid "$MON" reporter)" = "$REP" -a \
    "$(child_pid "$MON" netcfg)" = "$NET"

# SIGHUP with a broken config: logged with file:line, old config kept
cp "$CONF" "$LAB_DIR/good.conf"
printf 'vip 198.18.0.11 {\n\ttcp port 99999\n}\n' >>"$CONF"
kill -HUP "$MON"
check "a bad reload is logged as file:line: message" \
    wait_for 2 grep -q "$CONF:[0-9]*: " "$LAB_DIR/daemon.log"
check "a bad reload keeps the daemon and its children" \
    test "$(child_pid "$MON" reporter)" = "$REP" -a \
    "$(child_pid "$MON" netcfg)" = "$NET"
cp "$LAB_DIR/good.conf" "$CONF"

# SIGTERM: everything gone within 2 s, exit status 0
kill -TERM "$MON"
all_gone() { ! kill -0 "$MON" 2>/dev/null && [ -z "$(children_of "$MON")" ]; }
check "SIGTERM stops everything within 2 s" wait_for 2 all_gone
wait "$MON"
check "exit status after SIGTERM is 0" test $? -eq 0
check "both children are gone" \
    sh -c "! kill -0 $REP 2>/dev/null && ! kill -0 $NET 2>/dev/null"

# kill -9 of the monitor: the children follow within 2 s
daemon_start "$NS" "$CONF"
check "daemon starts again" wait_for 5 up
MON=$DAEMON_PID
REP=$(child_pid "$MON" reporter)
NET=$(child_pid "$MON" netcfg)
kill -9 "$MON"
orphans_gone() { ! kill -0 "$REP" 2>/dev/null && ! kill -0 "$NET" 2>/dev/null; }
check "kill -9 of the monitor leaves no children within 2 s" \
    wait_for 2 orphans_gone

# An upgrade puts a new binary at the daemon's path, then restarts the
# service.  A child that dies in between must come back as the binary
# its monitor runs: a newer one would speak other messages.
BIN=$LAB_DIR/lbnoded.bin
cp "$LBNODED" "$BIN" || bail "cannot copy lbnoded"
ip netns exec "$NS" "$BIN" -d -f "$CONF" >>"$LAB_DIR/daemon.log" 2>&1 &
DAEMON_PID=$!
MON=$DAEMON_PID
LAB_PIDS="$LAB_PIDS $MON"
check "daemon starts from a copy" wait_for 5 up
REP=$(child_pid "$MON" reporter)
cp "$(command -v sleep)" "$BIN.new" && mv "$BIN.new" "$BIN" ||
    bail "cannot put another binary at $BIN"
kill -9 "$REP"
new_rep() { p=$(child_pid "$MON" reporter) && [ "$p" != "$REP" ]; }
check "the binary replaced, a killed reporter comes back" wait_for 3 new_rep
REP=$(child_pid "$MON" reporter)
check "... as the monitor's own binary, not the file now at its path" \
    test "$(readlink "/proc/$REP/exe")" = "$(readlink "/proc/$MON/exe")"
check "... and answers" wait_for 5 up
kill -TERM "$MON"
wait "$MON"
check "which stops cleanly" test $? -eq 0

# a missing user is a clear error
sed 's/^control socket.*/&\nuser "lbn-no-such-user"/' "$CONF" >"$LAB_DIR/nouser.conf"
ip netns exec "$NS" "$LBNODED" -d -f "$LAB_DIR/nouser.conf" \
    >"$LAB_DIR/nouser.out" 2>&1
check "a missing user exits 1" test $? -eq 1
check "a missing user is named in the error, with file:line" grep -q \
    "nouser.conf:2: user \"lbn-no-such-user\" does not exist" "$LAB_DIR/nouser.out"

# -n works without root (on copies nobody can read)
check "-n works without root" setpriv --reuid=65534 --regid=65534 \
    --clear-groups "$(readable_copy "$LBNODED")" -n \
    -f "$(readable_copy "$top_srcdir/etc/lbnoded.conf")"

done_testing
