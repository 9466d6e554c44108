#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The man pages: mandoc finds nothing to warn about, every config
# keyword the parser knows is documented, and every lbnodectl command
# and every lbnoded flag is in its page.
: "${top_srcdir:=.}"
M=$top_srcdir/man
n=0; failed=0
t_named() { name=$1; shift; n=$((n + 1))
	if "$@" >/dev/null 2>&1; then echo "ok $n - $name"
	else echo "not ok $n - $name"; failed=$((failed + 1)); fi
}

for page in lbnoded.8 lbnodectl.8 lbnoded.conf.5 lbnoded-protocol.7; do
	out=$(mandoc -Tlint -Wwarning "$M/$page" 2>&1)
	t_named "mandoc -Tlint -Wwarning $page is clean" test -z "$out"
	[ -z "$out" ] || echo "$out" | sed 's/^/#   /'
done

# Every keyword in parse.y's table appears as Ic or Cm in lbnoded.conf.5.
kw=$(sed -n '/^static const struct keyword keywords\[\] = {/,/^};/p' \
    "$top_srcdir/src/monitor/parse.y" | sed -n 's/^[[:space:]]*{ "\([a-z]*\)".*/\1/p')
t_named "parse.y has a keyword table" test -n "$kw"
for k in $kw; do
	t_named "lbnoded.conf.5 documents \"$k\"" \
	    grep -Eq "(Ic|Cm)( [^ ]+)* $k( |\$)" "$M/lbnoded.conf.5"
done

# Every lbnodectl command in its page.
for c in status show drain ready maint reload log probe push listen; do
	t_named "lbnodectl.8 documents $c" grep -Eq "Ic $c( |\$)" "$M/lbnodectl.8"
done
# Every flag in each program's getopt string, from the source.
flags() { sed -n "s/.*getopt(argc, argv, \"+*\([^\"]*\)\").*/\1/p" "$1" |
    head -1 | tr -d ':+'; }
for f in $(flags "$top_srcdir/src/monitor/monitor.c" | sed 's/./& /g'); do
	t_named "lbnoded.8 documents -$f" grep -q "^\.It Fl $f" "$M/lbnoded.8"
done
for f in $(flags "$top_srcdir/src/ctl/lbnodectl.c" | sed 's/./& /g'); do
	t_named "lbnodectl.8 documents -$f" grep -q "^\.It Fl $f" "$M/lbnodectl.8"
done
for s in SIGHUP SIGTERM SIGINT SIGUSR2; do
	t_named "lbnoded.8 documents $s" grep -q "$s" "$M/lbnoded.8"
done
t_named "lbnoded.conf.5 explains migrating from lbhost4" grep -q "udpport" "$M/lbnoded.conf.5"

echo "1..$n"
[ "$failed" -eq 0 ]
