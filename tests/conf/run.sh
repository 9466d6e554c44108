#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# lbnoded.conf(5) parser tests, through "lbnoded -nn" (the syntax
# alone: the configs name users, interfaces and files of other hosts):
# golden output of the good configs, their round trip, the exact error
# of every bad config, the shipped example, and a check as an
# unprivileged user.  tests/integ/startup.sh tests what -n checks on
# this host.
#
# The configs are run by their path relative to tests/conf, so the
# expected "file:line: message" lines do not depend on the build tree.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${LBNODED:=$top_srcdir/lbnoded}"

N=0
FAILED=0
TMP=$(mktemp -d /tmp/lbn-conf.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM
chmod 755 "$TMP"

ok() {		# ok STATUS NAME
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N - $2"
	else
		FAILED=$((FAILED + 1))
		echo "not ok $N - $2"
	fi
}

diag_file() {	# show a file as TAP comments
	sed 's/^/#   /' "$1" | head -20
}

# expect_same NAME EXPECTED ACTUAL: one test, the files are identical
expect_same() {
	if cmp -s "$2" "$3"; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diff -u "$2" "$3" | sed 's/^/#   /' | head -40
	fi
}

# The default state file follows configure's localstatedir.
normalise() {
	sed 's|^state file ".*/lib/lbnoded/state"$|state file "LOCALSTATEDIR/lib/lbnoded/state"|'
}

# check_good NAME FILE: -nnv succeeds, says so, prints only the config
check_good() {
	"$LBNODED" -nnv -f "$2" >"$TMP/out" 2>"$TMP/err"
	status=$?
	echo "configuration OK" >"$TMP/err.ok"
	if [ $status -eq 0 ] && cmp -s "$TMP/err.ok" "$TMP/err"; then
		ok 0 "$1: accepted"
	else
		ok 1 "$1: accepted (exit $status)"
		diag_file "$TMP/err"
	fi
}

# check_bad NAME FILE EXPECTED-STDERR: -n fails with exactly that message
check_bad() {
	"$LBNODED" -n -f "$2" >"$TMP/out" 2>"$TMP/err"
	status=$?
	ok $((status != 1)) "$1: exit status 1 (got $status)"
	expect_same "$1: error message" "$3" "$TMP/err"
}

cd "$top_srcdir/tests/conf" || { echo "Bail out! no tests/conf"; exit 1; }
[ -x "$LBNODED" ] || { echo "Bail out! no $LBNODED"; exit 1; }

# --- good configs: golden output and round trip ---
for conf in good/*.conf; do
	name=${conf%.conf}
	check_good "$name" "$conf"
	normalise <"$TMP/out" >"$TMP/out.norm"
	expect_same "$name: output matches $name.conf.ok" "$conf.ok" \
	    "$TMP/out.norm"

	cp "$TMP/out" "$TMP/first.conf"
	check_good "$name: round trip" "$TMP/first.conf"
	expect_same "$name: round trip output is identical" \
	    "$TMP/first.conf" "$TMP/out"
done

# --- the shipped example ---
"$LBNODED" -n -f "$top_srcdir/etc/lbnoded.conf" >/dev/null 2>"$TMP/err"
status=$?
ok $status "etc/lbnoded.conf passes -n"
[ $status -eq 0 ] || diag_file "$TMP/err"
check_good "etc/lbnoded.conf -nv" "$top_srcdir/etc/lbnoded.conf"
cp "$TMP/out" "$TMP/first.conf"
check_good "etc/lbnoded.conf: round trip" "$TMP/first.conf"
expect_same "etc/lbnoded.conf: round trip output is identical" \
    "$TMP/first.conf" "$TMP/out"

# --- bad configs: each with its exact stderr ---
nbad=0
for conf in bad/*.conf; do
	name=${conf%.conf}
	nbad=$((nbad + 1))
	if [ ! -f "$name.err" ]; then
		ok 1 "$name: has an .err file"
		continue
	fi
	check_bad "$name" "$conf" "$name.err"
done
ok $((nbad < 25)) "at least 25 bad configs ($nbad)"

# A missing config file is named.
echo "nosuch.conf: No such file or directory" >"$TMP/expected"
check_bad "missing file" nosuch.conf "$TMP/expected"

# --- what include accepts ---
# A FIFO would block the parse forever: refused without waiting.
mkfifo "$TMP/fifo"
echo "include \"$TMP/fifo\"" >"$TMP/fifo.conf"
echo "$TMP/fifo.conf:1: cannot open \"$TMP/fifo\": not a regular file" \
    >"$TMP/expected"
timeout 10 "$LBNODED" -n -f "$TMP/fifo.conf" >"$TMP/out" 2>"$TMP/err"
ok $(($? != 1)) "include of a FIFO: refused at once"
expect_same "include of a FIFO: error message" "$TMP/expected" "$TMP/err"

# A file others may write to, or in a directory they may write to
# (where they could plant a link to a file of root's), is refused.
echo "port 65002" >"$TMP/gw.inc"
chmod 664 "$TMP/gw.inc"
echo "include \"$TMP/gw.inc\"" >"$TMP/gw.conf"
echo "$TMP/gw.conf:1: include \"$TMP/gw.inc\": not owned by root or" \
    "writable by others" >"$TMP/expected"
check_bad "include of a group-writable file" "$TMP/gw.conf" "$TMP/expected"
mkdir -m 777 "$TMP/ww"
ln -s "$top_srcdir/tests/conf/bad/secret.inc" "$TMP/ww/link.inc"
echo "include \"$TMP/ww/link.inc\"" >"$TMP/ww.conf"
echo "$TMP/ww.conf:1: include \"$TMP/ww/link.inc\": directory $TMP/ww is" \
    "not owned by root or is writable by others" >"$TMP/expected"
check_bad "include through a world-writable directory" "$TMP/ww.conf" \
    "$TMP/expected"

# --- the cap on entries, at and past it ---
# many_entries N: a vip block with N tcp/udp port entries
many_entries() {
	awk -v n="$1" 'BEGIN {
		print "vip 192.0.2.10 {"
		for (i = 0; i < n; i++)
			printf "\t%s port %d\n", i < 65535 ? "tcp" : "udp",
			    i % 65535 + 1
		print "}"
	}'
}
many_entries 65536 >"$TMP/entries-max.conf"
check_good "65536 vip entries" "$TMP/entries-max.conf"
many_entries 65537 >"$TMP/entries-over.conf"
echo "$TMP/entries-over.conf:65538: too many vip entries (at most 65536)" \
    >"$TMP/expected"
check_bad "65537 vip entries" "$TMP/entries-over.conf" "$TMP/expected"
# Past the cap, the blocks that follow get no error of their own.
many_entries 65536 >"$TMP/blocks-over.conf"
printf 'vip 192.0.2.%d {\n\ttcp port 80\n}\n' 11 12 13 >>"$TMP/blocks-over.conf"
echo "$TMP/blocks-over.conf:65540: too many vip entries (at most 65536)" \
    >"$TMP/expected"
check_bad "blocks past the cap: one error" "$TMP/blocks-over.conf" \
    "$TMP/expected"

# --- as an unprivileged user ---
# All that defaults.conf refers to exists here, so the whole -n passes.
cp good/defaults.conf "$TMP/world.conf"
chmod 644 "$TMP/world.conf"
cp good/full.conf "$TMP/private.conf"
# nobody runs a copy: the build may be where only root can enter
cp "$LBNODED" "$TMP/lbnoded" && chmod 755 "$TMP/lbnoded" && LBNODED=$TMP/lbnoded
if [ "$(id -u)" -eq 0 ]; then
	chmod 600 "$TMP/private.conf"
	as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
	chmod 000 "$TMP/private.conf"
	as_nobody=""
fi
$as_nobody "$LBNODED" -n -f "$TMP/world.conf" >/dev/null 2>"$TMP/err"
status=$?
ok $status "-n as an unprivileged user on a world-readable file"
[ $status -eq 0 ] || diag_file "$TMP/err"
echo "$TMP/private.conf: Permission denied" >"$TMP/expected"
$as_nobody "$LBNODED" -n -f "$TMP/private.conf" >/dev/null 2>"$TMP/err"
status=$?
ok $((status != 1)) "-n as an unprivileged user on an unreadable file fails"
expect_same "unreadable file: error message" "$TMP/expected" "$TMP/err"

echo "1..$N"
[ $FAILED -eq 0 ]
