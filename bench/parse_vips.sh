#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# bench/parse_vips.sh: how long "lbnoded -n" takes on a configuration
# of 100,000 vip blocks (target: under 1 s), and on the 65,536 that fit
# the entry cap, against a baseline measured in the same run: a file of
# as many lines holding only comments, which the lexer reads and drops.
# Not a test: it prints the times (CPU, user + system, the median of
# ROUNDS runs), the ratios to the baseline, how many errors the
# over-cap file gets (one is right) and whether the target is met.
#
#	sh bench/parse_vips.sh [BUILDDIR]	(BUILDDIR defaults to .)
set -u
top_builddir=$(cd "${1:-.}" && pwd)
LBNODED=$top_builddir/lbnoded
[ -x "$LBNODED" ] || { echo "no $LBNODED" >&2; exit 1; }
TMP=$(mktemp -d /tmp/lbn-bench-parse.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
ROUNDS=5

# vips N: N redirect blocks of one port each, VIPs counting up from 198.18.0.0
vips() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "vip 198.%d.%d.%d {\n\ttcp port 80\n}\n",
			    18 + int(i / 65536), int(i / 256) % 256, i % 256
	}'
}
# comments N: N lines of the same length as a vip block's, all comments
comments() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) print "# vip 198.18.0.0 {" }'
}

# cpu_ms FILE: the median CPU time of lbnoded -n FILE, in ms
cpu_ms() {
	i=0
	while [ $i -lt $ROUNDS ]; do
		/usr/bin/time -f "%U %S" -o "$TMP/time" "$LBNODED" -n -f "$1" \
		    >/dev/null 2>"$TMP/err"
		tail -n 1 "$TMP/time" | awk '{ printf "%d\n", ($1 + $2) * 1000 }'
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

vips 100000 >"$TMP/100k.conf"
vips 65536 >"$TMP/64k.conf"
comments 300000 >"$TMP/baseline.conf"

base=$(cpu_ms "$TMP/baseline.conf")
t100=$(cpu_ms "$TMP/100k.conf")
errors100=$(wc -l <"$TMP/err")
t64=$(cpu_ms "$TMP/64k.conf")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
met() { [ "$1" -lt 1000 ] && echo met || echo "NOT met"; }
printf '%-44s %8s %10s  %s\n' "lbnoded -n on" "cpu ms" "x baseline" "target < 1000 ms"
printf '%-44s %8d %10s\n' "300,000 comment lines (baseline)" "$base" 1.0
printf '%-44s %8d %10s  %s\n' "65,536 vip blocks (all fit)" "$t64" \
    "$(ratio "$t64" "$base")" "$(met "$t64")"
printf '%-44s %8d %10s  %s\n' "100,000 vip blocks (over the cap)" "$t100" \
    "$(ratio "$t100" "$base")" "$(met "$t100")"
printf 'errors reported for the 100,000 blocks: %d (one is right)\n' "$errors100"
