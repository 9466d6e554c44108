#!/bin/sh
# The daemon's start: the priority each log line carries to the journal.
. "$top_srcdir/tests/integ/lib.sh"
need_root

NS=lbn-start-$$
netns_add "$NS"
CONF=$LAB_DIR/lbnoded.conf
SOCK=$LAB_DIR/ctl.sock
cat >"$CONF" <<EOC
control socket "$SOCK"
state file "$LAB_DIR/state"
vip 198.18.0.10 {
	tcp port 80
}
EOC
ctl() { "$LBNODECTL" -s "$SOCK" "$@"; }
started() { ctl status; }
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
check "daemon up with JOURNAL_STREAM" wait_for 5 started
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
check "daemon up with another JOURNAL_STREAM" wait_for 5 started
check "stopped again" stop_daemon
check "another stream: no prefix" sh -c "! grep -q '^<' '$LOG'"
check "another stream: the lines are there" grep -q '^monitor: started' "$LOG"

done_testing
