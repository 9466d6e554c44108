#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# Run the LBNP/1 fuzzer: tests/fuzz/run.sh [SECONDS] [libFuzzer options].
# Needs a build configured with --enable-fuzz CC=clang.  New inputs go
# to a scratch directory, not into the seed corpus.
: "${top_srcdir:=$(dirname "$0")/../..}"
: "${top_builddir:=.}"
secs=${1:-120}
[ $# -gt 0 ] && shift
work=$(mktemp -d /tmp/fuzz-lbnp.XXXXXX) || exit 1
"$top_builddir/tests/fuzz/fuzz_lbnp" -max_total_time="$secs" \
    -max_len=65536 -artifact_prefix="$work/" "$@" \
    "$work" "$top_srcdir/tests/fuzz/corpus"
status=$?
echo "fuzz_lbnp: exit $status; new inputs and crashes in $work"
exit $status
