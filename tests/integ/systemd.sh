#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# systemd integration: what make install puts where, the unit as
# systemd-analyze sees it, sysusers.d and tmpfiles.d applied to a scratch
# root, and the notify protocol (READY, STATUS, RELOADING, STOPPING)
# spoken to a socket of our own.
. "$top_srcdir/tests/integ/lib.sh"
. "$top_srcdir/tests/integ/pkg.sh"
need_root
for tool in systemd-analyze systemd-sysusers systemd-tmpfiles python3 nft; do
	command -v "$tool" >/dev/null || bail "$tool is missing: run tools/setup"
done


sbindir=$(makevar sbindir)
unitdir=$(makevar systemdsystemunitdir)
sysconfdir=$(makevar sysconfdir)
localstatedir=$(makevar localstatedir)
prefix=$(makevar prefix)
[ -n "$sbindir" ] && [ -n "$unitdir" ] || bail "cannot read paths from the Makefile"

## make install into a DESTDIR

D=$LAB_DIR/dest
check "make install DESTDIR=... succeeds" submake install DESTDIR="$D"
UNIT=$D$unitdir/lbnoded.service
SYSUSERS=$D$prefix/lib/sysusers.d/lbnoded.conf
TMPFILES=$D$prefix/lib/tmpfiles.d/lbnoded.conf
CONFFILE=$D$sysconfdir/lbnoded/lbnoded.conf
for f in "$D$sbindir/lbnoded" "$D$sbindir/lbnodectl"; do
	check "installed ${f#"$D"}" test -x "$f"
done
for f in "$UNIT" "$SYSUSERS" "$TMPFILES" "$CONFFILE"; do
	check "installed ${f#"$D"}" test -s "$f"
done
check "installed config is the example" cmp "$top_srcdir/etc/lbnoded.conf" "$CONFFILE"
check "unit runs the installed binary in the foreground" \
    grep -qx "ExecStart=$sbindir/lbnoded -d" "$UNIT"
check "unit checks the config before starting" \
    grep -qx "ExecStartPre=$sbindir/lbnoded -n" "$UNIT"
check "unit is Type=notify" grep -qx 'Type=notify' "$UNIT"
check "unit makes the configured state directory writable" \
    grep -q "^ReadWritePaths=.* $localstatedir/lib/lbnoded\$" "$UNIT"
check "tmpfiles.d makes the configured state directory" \
    grep -q "^d $localstatedir/lib/lbnoded 0700 root root" "$TMPFILES"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT" | tr ' ' '\n' | sort | tr '\n' ' ')
check "bounding set is exactly what the processes use" test "$caps" = \
    "CAP_CHOWN CAP_KILL CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_SETGID CAP_SETPCAP CAP_SETUID CAP_SYS_CHROOT "

# An operator's config survives a reinstall and an uninstall.
echo "# edited" >>"$CONFFILE"
check "make install again succeeds" submake install DESTDIR="$D"
check "reinstall keeps an edited config" grep -q '^# edited' "$CONFFILE"
check "make uninstall succeeds" submake uninstall DESTDIR="$D"
check "uninstall keeps an edited config" grep -q '^# edited' "$CONFFILE"
rm -f "$CONFFILE"
left=$(find "$D" -type f -o -type l)
check "uninstall removes everything else" test -z "$left"
[ -z "$left" ] || diag "left behind: $left"
check "make install once more" submake install DESTDIR="$D"

## The unit as systemd sees it

# verify wants ExecStart= to exist: point it into the DESTDIR.
VUNIT=$LAB_DIR/verify/lbnoded.service
mkdir -p "${VUNIT%/*}"
sed "s|$sbindir/|$D$sbindir/|g" "$UNIT" >"$VUNIT"
systemd-analyze verify --man=no "$VUNIT" >"$LAB_DIR/verify.out" 2>&1
ok $? "systemd-analyze verify accepts the unit"
check "systemd-analyze verify has nothing to say" test ! -s "$LAB_DIR/verify.out"
sed 's/^\[Service\]$/&\nNoSuchSetting=1/' "$VUNIT" >"$LAB_DIR/verify/bad.service"
systemd-analyze verify --man=no "$LAB_DIR/verify/bad.service" >"$LAB_DIR/verify.out" 2>&1
check "the same check flags a bad directive" grep -q NoSuchSetting "$LAB_DIR/verify.out"
# Exposure 0 (locked down) .. 10; the root monitor, its capabilities
# and its network access put the unit at 3.1.  Weaker hardening fails.
check "systemd-analyze security rates the unit 3.5 or better" \
    systemd-analyze security --offline=yes --threshold=35 --no-pager "$VUNIT"

## sysusers.d and tmpfiles.d, applied to a scratch root

R=$LAB_DIR/root
mkdir -p "$R/etc"
check "systemd-sysusers applies our file" systemd-sysusers --root="$R" "$SYSUSERS"
check "user _lbnoded: no login, home /var/empty" \
    grep -q '^_lbnoded:x:[0-9]*:[0-9]*:lbnoded reporter:/var/empty:/usr/sbin/nologin$' "$R/etc/passwd"
check "group lbnoded exists" grep -q '^lbnoded:x:[0-9]*:' "$R/etc/group"
check "systemd-tmpfiles applies our file" systemd-tmpfiles --root="$R" --create "$TMPFILES"
grp=$(awk -F: '$1 == "lbnoded" { print $3 }' "$R/etc/group")
mode() { stat -c '%a %u %g' "$R$1"; }
check "/var/empty is 0755 root" test "$(mode /var/empty)" = "755 0 0"
check "state directory is 0700 root" test "$(mode "$localstatedir/lib/lbnoded")" = "700 0 0"
check "/run/lbnoded is 0750 root:lbnoded" test "$(mode /run/lbnoded)" = "750 0 $grp"

## The notify protocol

NS=lbn-sysd-$$
netns_add "$NS"
CONF=$LAB_DIR/lbnoded.conf
lab_conf "$CONF" <<EOC
agent off
http off
vip 198.18.0.10 {
	tcp port 80
}
EOC

# Each datagram becomes one "MSG a|b|c" line.  At the first READY=1 the
# listener freezes every process in the namespace and looks at what is
# in force at that very moment: the monitor's children and our table.
NLOG=$LAB_DIR/notify.log
cat >"$LAB_DIR/listen.py" <<'EOP'
import os, signal, socket, struct, subprocess, sys

path, ns, out = sys.argv[1:4]
log = open(out, "a", buffering=1)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
sock.bind(path)

def children(pid):
    names = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != pid:
                continue
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
            names.append(argv[argv.index(b"-P") + 1].decode())
        except (OSError, ValueError, IndexError):
            pass
    return ",".join(sorted(names))

def at_ready(pid):
    ps = subprocess.run(["ip", "netns", "pids", ns], capture_output=True,
                        text=True).stdout.split()
    for p in ps:
        os.kill(int(p), signal.SIGSTOP)
    try:
        kids = children(pid)
        table = subprocess.run(["ip", "netns", "exec", ns, "nft", "list",
                                "table", "ip", "lbnoded"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL).returncode == 0
    finally:
        for p in ps:
            os.kill(int(p), signal.SIGCONT)
    log.write("CHECK children=%s table=%s\n" % (kids, "yes" if table else "no"))

first = True
while True:
    msg, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = 0
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    fields = msg.decode(errors="replace").split("\n")
    if first and "READY=1" in fields:
        first = False
        at_ready(pid)
    log.write("MSG pid=%d %s\n" % (pid, "|".join(fields)))
EOP
python3 "$LAB_DIR/listen.py" "$LAB_DIR/notify" "$NS" "$NLOG" 2>>"$LAB_DIR/daemon.log" &
LAB_PIDS="$LAB_PIDS $!"
wait_for 5 test -S "$LAB_DIR/notify" || bail "notify listener did not start"
: >>"$NLOG"

NOTIFY_SOCKET=$LAB_DIR/notify
export NOTIFY_SOCKET
daemon_start "$NS" "$CONF"
unset NOTIFY_SOCKET
MON=$DAEMON_PID

count() { grep -c "$1" "$NLOG"; }
# after PATTERN1 PATTERN2: a line matching PATTERN2 follows the last PATTERN1
after() {
	awk -v a="$1" -v b="$2" '$0 ~ a { la = NR } $0 ~ b { lb = NR }
	    END { exit !(la && lb > la) }' "$NLOG"
}

check "READY=1 arrives" wait_for 10 grep -q 'READY=1' "$NLOG"
check "READY=1 comes from the monitor itself" grep -q "^MSG pid=$MON .*READY=1" "$NLOG"
check "READY=1 only once both children run" \
    grep -qx 'CHECK children=netcfg,reporter table=[a-z]*' "$NLOG"
check "READY=1 only once the config's rules are in force" \
    grep -qx 'CHECK children=[a-z,]* table=yes' "$NLOG"
check "READY=1 carries STATUS=ready, weight N" \
    grep -Eq '^MSG pid=[0-9]+ READY=1\|STATUS=ready, weight [0-9]+$' "$NLOG"
check "READY=1 is sent once" test "$(count 'READY=1')" -eq 1
check "the monitor loaded libsystemd for sd_notify" maps "$MON" libsystemd.so
for p in netcfg reporter; do
	check "$p does not map libsystemd" \
	    unmapped "$(child_pid "$MON" $p)" libsystemd.so
done

# An admin state change shows in STATUS=.
check "lbnodectl drain" ctl drain
check "STATUS= says drain" wait_for 5 grep -Eq '\|?STATUS=drain, weight [0-9]+$' "$NLOG"
check "lbnodectl ready" ctl ready
check "STATUS= says ready again" \
    wait_for 5 after 'STATUS=drain' 'STATUS=ready, weight'

# SIGHUP: RELOADING=1, then READY=1 again, for a good config and a bad
# one (systemd would otherwise wait in "reloading" forever).
kill -HUP "$MON"
check "SIGHUP: RELOADING=1" wait_for 5 grep -q 'RELOADING=1' "$NLOG"
check "SIGHUP: READY=1 follows RELOADING=1" wait_for 5 after 'RELOADING=1' 'READY=1'
cp "$CONF" "$CONF.good"
echo "no such keyword" >>"$CONF"
kill -HUP "$MON"
reloads() { [ "$(count 'RELOADING=1')" -eq "$1" ]; }
check "bad config: RELOADING=1" wait_for 5 reloads 2
check "bad config: READY=1 still follows" wait_for 5 after 'RELOADING=1' 'READY=1'
check "bad config: the monitor keeps running" kill -0 "$MON"
cp "$CONF.good" "$CONF"

bad=$(grep -o 'STATUS=[^|]*' "$NLOG" |
    grep -Evx 'STATUS=(ready|drain|maint), weight [0-9]+|STATUS=(reloading|stopping)')
check "every STATUS= is '<state>, weight N' (or reloading/stopping)" test -z "$bad"
[ -z "$bad" ] || diag "unexpected: $bad"

# SIGTERM: STOPPING=1, a clean exit, and our rules gone.
kill -TERM "$MON"
check "SIGTERM: the monitor exits within 15 s" wait_for 15 gone "$MON"
kill -9 "$MON" 2>/dev/null
wait "$MON"
ok $? "SIGTERM: the monitor exits 0"
# the listener may log the last datagram after the monitor is gone
check "SIGTERM: STOPPING=1" wait_for 5 grep -q 'STOPPING=1' "$NLOG"
check "STOPPING=1 comes after the last READY=1" after 'READY=1' 'STOPPING=1'
check "the table is gone after stop" \
    sh -c "! ip netns exec $NS nft list table ip lbnoded"

done_testing
