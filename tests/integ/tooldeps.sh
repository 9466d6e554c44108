#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# Every program the tests, tools/demo, tools/check and bench/ run comes
# from a package that tools/setup installs (its list, or what the list
# pulls in) or from the base system a minbase Debian 12 already has
# (Essential or Priority: required, and apt).  The scripts are read by
# tests/integ/commands.awk; each command found on this machine is
# mapped to its package with dpkg -S.
. "$top_srcdir/tests/integ/lib.sh"

# Only the system's programs: not ~/bin, pyenv shims or /usr/local.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
cd "$top_srcdir" || bail "cd $top_srcdir"
LIST=$(sh tools/setup --list) || bail "tools/setup --list"
check "tools/setup --list names packages" test -n "$LIST"

# The scripts that run programs: lib.sh is read with each, for the
# helpers that run their arguments (check, wait_for).
# (.ci/run is not in a distribution tarball.)
SCRIPTS=$(ls tests/*/*.sh bench/*.sh tools/check tools/demo tools/setup \
    tools/pkgtest .ci/run 2>/dev/null)

# base: the packages every minbase root has
dpkg-query -W -f='${Package} ${Essential} ${Priority}\n' |
    awk '$2 == "yes" || $3 == "required" { print $1 } END { print "apt" }' |
    sort -u >"$LAB_DIR/base"
check "the base system is known" test -s "$LAB_DIR/base"

# allowed LIST FILE: into FILE, the packages LIST installs, with their
# dependencies, and the base system
allowed() {
	# shellcheck disable=SC2086
	apt-cache depends --recurse --installed --no-recommends --no-suggests \
	    --no-conflicts --no-breaks --no-replaces --no-enhances $1 2>/dev/null |
	    grep '^[a-z0-9]' | sed 's/:.*//' | sort -u - "$LAB_DIR/base" >"$2"
}

# owners COMMANDS-FILE: "command package" for each command in the file
# that is a program (not a shell builtin, not a word in a message), its
# package found through alternatives and the merged /usr; in one dpkg -S,
# which is slow to start.
owners() {
	sort -u "$1" | while read -r cmd; do
		path=$(command -v "$cmd") || continue
		case $path in /*) ;; *) continue ;; esac
		real=$(readlink -f "$path")
		echo "$cmd $real ${real#/usr} $path ${path#/usr}"
	done >"$LAB_DIR/paths"
	# shellcheck disable=SC2046
	dpkg -S $(cut -d' ' -f2- "$LAB_DIR/paths") 2>/dev/null |
	    grep -v '^diversion' | sed 's/, [^:]*:/:/' >"$LAB_DIR/owned"
	awk 'NR == FNR { sub(/:$/, "", $1); sub(/:[a-z0-9]*$/, "", $1)
			 if (!($2 in pkg)) pkg[$2] = $1; next }
	    { p = ""
	      for (i = 2; i <= NF && p == ""; i++) if ($i in pkg) p = pkg[$i]
	      print $1, p == "" ? "?" : p }' "$LAB_DIR/owned" "$LAB_DIR/paths"
}

# commands_of SCRIPT: the commands it runs, one a line
commands_of() {
	awk -f tests/integ/commands.awk pass=1 tests/integ/lib.sh "$1" \
	    pass=2 "$1" | sort -u
}

# undeclared ALLOWED OWNERS SCRIPT: each program SCRIPT runs whose
# package (in OWNERS) is not in the file ALLOWED, as "command (package)"
undeclared() {
	commands_of "$3" | awk 'FILENAME == ARGV[1] { ok[$1] = 1; next }
	    FILENAME == ARGV[2] { pkg[$1] = $2; next }
	    ($1 in pkg) && !(pkg[$1] in ok) { print $1 " (" pkg[$1] ")" }' \
	    "$1" "$2" -
}

# all_declared ALLOWED SCRIPT: one test; names what is missing
all_declared() {
	undeclared "$1" "$LAB_DIR/owners" "$2" >"$LAB_DIR/missing"
	if [ -s "$LAB_DIR/missing" ]; then
		ok 1 "$2: every program it runs is installed by tools/setup"
		sed 's/^/#   not in tools\/setup: /' "$LAB_DIR/missing"
	else
		ok 0 "$2: every program it runs is installed by tools/setup"
	fi
}

allowed "$LIST" "$LAB_DIR/allowed"
for s in $SCRIPTS; do
	commands_of "$s"
done >"$LAB_DIR/commands"
echo jq >>"$LAB_DIR/commands"		# for the check of the check, below
owners "$LAB_DIR/commands" >"$LAB_DIR/owners"
check "dpkg -S names a package for every program" \
    sh -c "! grep ' ?\$' '$LAB_DIR/owners'"
for s in $SCRIPTS; do
	all_declared "$LAB_DIR/allowed" "$s"
done
# What package.sh's dpkg-buildpackage checks before it builds:
# build-essential, and debian/control's Build-Depends, one a line, the
# alternatives joined by "|".
builddeps() {
	echo build-essential
	sed -n '/^Build-Depends:/,/^[A-Z]/p' debian/control |
	    sed '1s/^Build-Depends://; /^[A-Z]/d' | tr ',' '\n' |
	    sed 's/([^)]*)//g; s/\[[^]]*\]//g; s/<[^>]*>//g; s/[[:space:]]//g' |
	    grep .
}
# "name package" for each name an installed package provides
dpkg-query -W -f='${Package} ${Provides}\n' | awk '{
	gsub(/\([^)]*\)/, ""); gsub(/,/, " ")
	for (i = 2; i <= NF; i++) print $i, $1 }' >"$LAB_DIR/provides"
# comes LIST-OF-ALTERNATIVES: one of them is allowed, or is provided by
# an allowed package
comes() {
	echo "$1" | tr '|' '\n' | while read -r alt; do
		grep -qx "$alt" "$LAB_DIR/allowed" && echo yes
		awk -v n="$alt" '$1 == n { print $2 }' "$LAB_DIR/provides" |
		    grep -qxFf - "$LAB_DIR/allowed" && echo yes
	done | grep -q yes
}
check "debian/control has Build-Depends" test "$(builddeps | wc -l)" -gt 1
for dep in $(builddeps); do
	check "tools/setup installs the build dependency $dep" comes "$dep"
done

for p in $LIST; do
	check "tools/setup's $p is installed" \
	    sh -c "dpkg-query -W -f='\${Status}' '$p' | grep -q 'ok installed'"
done

# The check itself: jq, which nothing else in the list pulls in, is
# found wherever a script may run it, and is missing without its package.
S=$LAB_DIR/uses-jq.sh
for line in 'jq . f' 'x=$(jq . f)' 'a | jq .' 'b && jq . f' \
    'check "name" jq . f' 'wait_for 2 jq . f' 'ip netns exec "$NS" jq .' \
    'timeout 5 jq .' 'sh -c "jq . f"' 'v="$(jq -r .a f)"' \
    'for t in socat jq; do command -v "$t"; done'; do
	printf '%s\n' "$line" >"$S"
	check "the reader finds jq in: $line" sh -c \
	    "awk -f tests/integ/commands.awk pass=1 tests/integ/lib.sh '$S' \
	    pass=2 '$S' | grep -qx jq"
done
printf 'cat <<EOF\njq . f\nEOF\n# jq . f\n' >"$S"
check "a here-document and a comment run nothing" sh -c \
    "! awk -f tests/integ/commands.awk pass=1 '$S' pass=2 '$S' | grep -qx jq"
printf 'check "x" ip netns exec "$NS" timeout 2 jq .\n' >"$S"
allowed "$(echo "$LIST" | grep -vx jq)" "$LAB_DIR/allowed-but-jq"
check "a script running jq is fine with the list" \
    test -z "$(undeclared "$LAB_DIR/allowed" "$LAB_DIR/owners" "$S")"
check "and is caught when the list lacks jq" \
    test "$(undeclared "$LAB_DIR/allowed-but-jq" "$LAB_DIR/owners" "$S")" = "jq (jq)"

done_testing
