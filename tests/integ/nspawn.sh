#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The package under a real systemd: the .deb built from this tree is
# installed into a minimal Debian 12 booted with systemd-nspawn, systemd
# as its PID 1, its network a namespace of ours; a client namespace
# routes two VIPs to it as a direct-routing LB does.  Checked: the
# inert default config, READY=1 and the status text, the sandbox under
# the unit's hardening, reload that succeeds and reload that fails,
# drain, a kill -9 that systemd repairs, journal priorities, an upgrade
# of the running node that loses no connection, and a stop that removes
# every rule and address.
#
# The debootstrap root is cached in $LBNODED_TEST_CACHE (tools/check
# keeps one across its rebuilds) or else $top_builddir/cache, and used
# through an overlay, so it is made once (about a minute).
. "$top_srcdir/tests/integ/lib.sh"
. "$top_srcdir/tests/integ/pkg.sh"
need_root
for tool in debootstrap systemd-nspawn nsenter dpkg-buildpackage dpkg-deb \
    python3 nft; do
	command -v "$tool" >/dev/null || bail "$tool is missing: run tools/setup"
done

V=$(makevar VERSION)
[ -n "$V" ] || bail "cannot read VERSION from $top_builddir/Makefile"
N=lbn-nsp-$$ C=lbn-nspc-$$
CONN=$top_srcdir/tests/integ/conn.py
NSPAWN_PID="" ROOT=$LAB_DIR/root

## The .deb, from a distribution tree of this build

DIST=$LAB_DIR/lbnoded-$V
submake distdir distdir="$DIST" >"$LAB_DIR/distdir.log" 2>&1 ||
    bail "make distdir failed"
deb_build "$DIST" || bail "dpkg-buildpackage failed"
DEB=$(ls "$LAB_DIR"/lbnoded_"$V"-*_*.deb 2>/dev/null | head -1)
[ -s "$DEB" ] || bail "no .deb built"
OLDVER=$(dpkg-deb -f "$DEB" Version)

# The same build as a newer version: what an upgrade installs.
NEWVER=$OLDVER+upgrade1
NEWDEB=$LAB_DIR/lbnoded_$NEWVER.deb
dpkg-deb -R "$DEB" "$LAB_DIR/repack" || bail "dpkg-deb -R"
sed -i "s/^Version: .*/Version: $NEWVER/" "$LAB_DIR/repack/DEBIAN/control"
dpkg-deb -b "$LAB_DIR/repack" "$NEWDEB" >/dev/null || bail "dpkg-deb -b"

## A Debian 12 root, cached

# What the package depends on goes in too: the container has no network
# to fetch it when the .deb is installed.
deps=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' |
    sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep . | sort -u | tr '\n' ',')
INCLUDE=systemd,systemd-sysv,dbus,iproute2,nftables,${deps%,}
CACHE=${LBNODED_TEST_CACHE:-$top_builddir/cache}/debian12
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
    'Identifier: Packages' | awk '$2 == "bookworm" { print $1; exit }')
if [ "$(cat "$CACHE.include" 2>/dev/null)" != "$INCLUDE" ] ||
    [ ! -x "$CACHE/lib/systemd/systemd" ]; then
	[ -n "$mirror" ] || bail "no bookworm mirror in the host's apt sources"
	diag "debootstrap bookworm from $mirror into $CACHE"
	rm -rf "$CACHE" "$CACHE.include"
	mkdir -p "${CACHE%/*}"
	debootstrap --variant=minbase --include="$INCLUDE" bookworm \
	    "$CACHE.$$" "$mirror" >"$LAB_DIR/debootstrap.log" 2>&1 ||
	    { rm -rf "$CACHE.$$"; tail -20 "$LAB_DIR/debootstrap.log";
	      bail "debootstrap failed"; }
	mv "$CACHE.$$" "$CACHE" && echo "$INCLUDE" >"$CACHE.include"
fi

# The cache stays as it is: the container writes to an overlay.
mkdir -p "$ROOT" "$LAB_DIR/upper" "$LAB_DIR/work"
mount -t overlay overlay -o "lowerdir=$CACHE,upperdir=$LAB_DIR/upper,workdir=$LAB_DIR/work" \
    "$ROOT" || bail "cannot mount the overlay"

## The lab: client -- node, the VIPs routed to the node's address

node_and_lb "$N" "$C" 198.51.100.3/24 198.51.100.2/24 n0 c0
ip -n "$C" route add 198.18.0.0/24 via 198.51.100.3
ip netns exec "$N" python3 "$CONN" serve 80 2>>"$LAB_DIR/daemon.log" &
LAB_PIDS="$LAB_PIDS $!"

## Boot

nspawn_cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill "$NSPAWN_PID"	# nspawn asks the container to power off
		wait_for 30 sh -c "! kill -0 $NSPAWN_PID" ||
		    kill -9 "$NSPAWN_PID"
	fi
	umount "$ROOT" 2>/dev/null
	if [ "$TAP_FAILED" -ne 0 ] && [ -s "$LAB_DIR/journal" ]; then
		echo "# lbnoded's journal:"
		sed 's/^/#   /' "$LAB_DIR/journal" | tail -40
	fi
}
trap 'nspawn_cleanup; lab_cleanup' EXIT

SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -D "$ROOT" --register=no \
    --keep-unit -b --capability=CAP_NET_ADMIN --console=read-only \
    --network-namespace-path="/run/netns/$N" -M "lbn$$" \
    </dev/null >"$LAB_DIR/console.log" 2>&1 &
NSPAWN_PID=$!

# The container's PID 1: the child of systemd-nspawn named systemd.
container_init() {
	for c in $(children_of "$NSPAWN_PID"); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] &&
		    echo "$c" && return 0
	done
	return 1
}
wait_for 30 container_init || bail "the container's systemd did not start"
INIT=$(container_init)
# -r: the container's root, also when this test itself runs in a chroot
cin() { nsenter -t "$INIT" -a -r "$@"; }
# journal_has PATTERN [JOURNALCTL-ARGS]: a line of lbnoded's journal matches
journal() { cin journalctl -u lbnoded --no-pager -o cat "$@"; }
journal_has() { p=$1; shift; journal "$@" | grep -q -- "$p"; }
status_text() { prop StatusText | grep -qx "$1"; }
booted() { cin systemctl is-system-running 2>/dev/null | grep -Eqx 'running|degraded'; }
check "the container boots with systemd as PID 1" wait_for 60 booted
booted || sed 's/^/#   /' "$LAB_DIR/console.log" | tail -20

## Install: the default config changes nothing and the service runs

cp "$DEB" "$NEWDEB" "$ROOT/root/"
check "dpkg -i the .deb" log dpkg-i cin dpkg -i "/root/${DEB##*/}"
prop() { cin systemctl show -P "$1" lbnoded.service; }
# active_in STATE: the unit is active (under Type=notify: READY=1 came)
# and its status text is "STATE, weight N"
active_in() {
	[ "$(prop ActiveState)" = active ] &&
	    prop StatusText | grep -Eqx "$1, weight [0-9]+"
}
check "the postinst started the unit: active, READY=1, status ready" \
    wait_for 30 active_in ready
check "the default config adds no address to lo" \
    test "$(ip -n "$N" -4 -o addr show dev lo | grep -vc ' 127\.')" -eq 0
check "the default config puts no VIP in force" \
    test "$(cin lbnodectl -j show vips)" = "[]"
agent() { ip netns exec "$C" python3 -c '
import socket; s = socket.create_connection(("198.51.100.3", 3333), 2)
print(s.recv(64).decode().strip())'; }
agent >"$LAB_DIR/agent.out" 2>&1
check "the node reports its weight on the agent port" \
    grep -Eq '[0-9]+%' "$LAB_DIR/agent.out"

## The lab's config, through a reload

cat >"$ROOT/etc/lbnoded/lbnoded.conf" <<'EOF'
interface "n0"
vip 198.18.0.10 {
	mode redirect
	tcp port 80
}
vip 198.18.0.11 {
	mode loopback
	tcp port 80
}
EOF
check "systemctl reload: a good config" cin systemctl reload lbnoded
vip_on_lo() { ip -n "$N" -4 -o addr show dev lo | grep -q ' 198\.18\.0\.11/'; }
check "the loopback VIP is on lo" vip_on_lo
answers() { ip netns exec "$C" python3 -c '
import socket, sys; s = socket.create_connection((sys.argv[1], 80), 2)
sys.exit(s.recv(16) != b"ok\n")' "$1"; }
check "the redirect VIP answers" answers 198.18.0.10
check "the loopback VIP answers" answers 198.18.0.11

## The sandbox under the unit's hardening

# cpid PATTERN: the host's pid of the container's process whose command
# line matches PATTERN.
cpid() {
	pidns=$(readlink "/proc/$INIT/ns/pid")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$pidns" ] || continue
		tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q -- "$1" &&
		    echo "${p#/proc/}" && return 0
	done
	return 1
}
MON=$(cpid '^/usr/sbin/lbnoded -d')
NETCFG=$(cpid 'lbnoded -P netcfg')
REPORTER=$(cpid 'lbnoded -P reporter')
[ -n "$MON" ] && [ -n "$NETCFG" ] && [ -n "$REPORTER" ] ||
    bail "lbnoded's processes not found"
# CapabilityBoundingSet=: CHOWN KILL SETGID SETUID SETPCAP
# NET_BIND_SERVICE NET_ADMIN SYS_CHROOT
check "the monitor's bounding set is the unit's" \
    test "$(status_field "$MON" CapBnd)" = 00000000000415e1
check "the monitor runs with NoNewPrivileges=" \
    test "$(status_field "$MON" NoNewPrivs)" = 1
check "the monitor runs under SystemCallFilter=" \
    test "$(status_field "$MON" Seccomp)" = 2
check "ProtectSystem=strict: the monitor cannot write /etc" \
    sh -c "! nsenter -t $MON -m -r -- sh -c ': >/etc/lbnoded/x' 2>/dev/null"
check "ReadWritePaths=: the monitor may write its state directory" \
    nsenter -t "$MON" -m -r -- sh -c ': >/var/lib/lbnoded/x && rm /var/lib/lbnoded/x'
check_sandbox netcfg "$NETCFG" 0000000000001000
check_sandbox reporter "$REPORTER" 0000000000000000
uid=$(cin id -u _lbnoded)
check "the reporter runs as _lbnoded" \
    test "$(status_field "$REPORTER" Uid | cut -f1)" = "$uid"

## Reload that fails

cp "$ROOT/etc/lbnoded/lbnoded.conf" "$LAB_DIR/good.conf"
echo "no such keyword" >>"$ROOT/etc/lbnoded/lbnoded.conf"
line=$(wc -l <"$ROOT/etc/lbnoded/lbnoded.conf")
cin systemctl reload lbnoded >"$LAB_DIR/reload.out" 2>&1
ok $((! $?)) "systemctl reload fails on a bad config"
check "the journal names the file and line" \
    journal_has "/etc/lbnoded/lbnoded.conf:$line: "
check "the unit stays active after a failed reload" active_in ready
check "the old rules are kept: the redirect VIP answers" answers 198.18.0.10
check "the old rules are kept: the loopback VIP is on lo" vip_on_lo
cp "$LAB_DIR/good.conf" "$ROOT/etc/lbnoded/lbnoded.conf"

## Drain and ready

check "lbnodectl drain" cin lbnodectl drain
check "status text: drain, weight 0" wait_for 5 status_text 'drain, weight 0'
check "lbnodectl ready" cin lbnodectl ready
check "status text: ready" wait_for 5 active_in ready

## kill -9 of the main process: systemd starts it again

mainpid=$(prop MainPID)
check "systemctl kill -s KILL the main process" \
    cin systemctl kill --kill-whom=main -s SIGKILL lbnoded
back() { [ "$(prop MainPID)" != "$mainpid" ] && [ "$(prop MainPID)" != 0 ] &&
    active_in ready; }
check "systemd restarts the service by itself" wait_for 30 back
check "NRestarts counts it" test "$(prop NRestarts)" -ge 1
check "the VIPs answer again" answers 198.18.0.10

## Journal priorities

check "audit lines are in the journal at priority notice" \
    journal_has 'audit: config generation' -p notice
check "journalctl -p notice leaves out the info lines" \
    not journal_has 'ready: state' -p notice
check "journalctl -p err holds no audit line" not journal_has 'audit:' -p err
check "the failed reload is in the journal at priority warning" \
    journal_has 'reload failed' -p warning

## Connections through a restart and through an upgrade

# through NAME ACTION...: a client connecting to both VIPs while ACTION
# runs in the container; leaves NAME.count, "ok N fail N".
through() {
	name=$1; shift
	out=$LAB_DIR/$name.count
	ip netns exec "$C" python3 "$CONN" count "$out" 198.18.0.10:80 \
	    198.18.0.11:80 2>>"$LAB_DIR/daemon.log" &
	client=$!
	LAB_PIDS="$LAB_PIDS $client"
	wait_for 10 oks_at_least "$out" 20 || diag "$name: the client is not connecting"
	"$@" >"$LAB_DIR/$name.log" 2>&1 || diag "$name: '$*' failed: $(tail -3 "$LAB_DIR/$name.log")"
	wait_for 30 active_in "$state"
	before=$(oks "$out")
	wait_for 10 oks_at_least "$out" $((before + 20))
	kill "$client"
	wait "$client"
}
oks() { awk 'NR == 1 { print $2 }' "$1" 2>/dev/null; }
fails() { awk 'NR == 1 { print $4 }' "$1" 2>/dev/null; }
oks_at_least() { [ "$(oks "$1")" -ge "$2" ] 2>/dev/null; }

# The reference: a stop removes the rules, and the client counts the
# connections that fail until the next start puts them back; so it
# would count a gap in the upgrade.  (A plain restart loses one or two,
# too few to count on.)
fails_at_least() { [ "$(fails "$1")" -ge "$2" ] 2>/dev/null; }
stop_until_lost() {
	cin systemctl stop lbnoded &&
	    wait_for 10 fails_at_least "$LAB_DIR/restart.count" 1
	cin systemctl start lbnoded
}
state=ready
through restart stop_until_lost
diag "stop and start: $(head -1 "$LAB_DIR/restart.count")"
check "a stop, as a reference, loses connections the client counts" \
    test "$(fails "$LAB_DIR/restart.count")" -gt 0

# The upgrade, of a drained node.
check "lbnodectl drain before the upgrade" cin lbnodectl drain
state=drain
mainpid=$(prop MainPID)
through upgrade cin dpkg -i "/root/${NEWDEB##*/}"
diag "upgrade: $(head -1 "$LAB_DIR/upgrade.count")"
check "the upgrade installed $NEWVER" \
    test "$(cin dpkg-query -W -f '${Version}' lbnoded)" = "$NEWVER"
check "the upgrade restarted the daemon" test "$(prop MainPID)" != "$mainpid"
check "the old daemon left the rules in force" \
    journal_has 'stopping, leaving the rules in force'
# The last start's first change: it had no address to add to lo.
first_apply_kept_lo() {
	journal | grep 'audit: config generation 1: applied' | tail -1 |
	    grep -q 'lo +0/-0 addresses'
}
check "the new daemon found the loopback VIP still on lo" first_apply_kept_lo
check "the client connected through the upgrade" \
    test "$(oks "$LAB_DIR/upgrade.count")" -ge 40
check "no connection failed during the upgrade" \
    test "$(fails "$LAB_DIR/upgrade.count")" -eq 0
check "the node is still drained after the upgrade" active_in drain
check "lbnodectl status says drain" sh -c "nsenter -t $INIT -a -r lbnodectl status | grep -q drain"

## Stop: every rule and address goes

check "systemctl stop" cin systemctl stop lbnoded
check "no lbnoded table is left" \
    sh -c "! ip netns exec $N nft list tables | grep -q lbnoded"
check "no VIP is left on lo" not vip_on_lo
check "the redirect VIP no longer answers" not answers 198.18.0.10

journal >"$LAB_DIR/journal" 2>&1
check "systemctl poweroff in the container" cin systemctl poweroff --no-block
check "the container shuts down" wait_for 60 sh -c "! kill -0 $NSPAWN_PID"
wait "$NSPAWN_PID" 2>/dev/null
NSPAWN_PID=""

done_testing
