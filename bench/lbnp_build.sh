# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# bench/lbnp_build.sh: sourced by bench/lbnp_rtt.sh and bench/reaction.sh.
# lbnp_client_build OUT: bench/lbnp_client.c on the daemon's own codec.
lbnp_client_build() {
	src=$top_srcdir/src
	tools=$top_srcdir/tests/integ
	cc -O2 -I "$src" -I "$src/common" -I "$tools" -o "$1" \
	    "$top_srcdir/bench/lbnp_client.c" "$tools/toolopt.c" \
	    "$src/common/lbnp.c" "$src/common/addr.c" "$src/common/key.c" \
	    "$src/common/log.c" "$src/common/names.c" \
	    $(pkg-config --cflags --libs libsodium) || bail "cannot build lbnp_client"
}
