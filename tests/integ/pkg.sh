# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# Shared by tools/pkgtest and tests/integ/nspawn.sh, after lib.sh: a make
# of the build tree under test, and the Debian package built from a
# distribution tree of it.

# A make of our own build tree, not one inherited from make check.
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" "$@"; }
makevar() { printf 'print-%%:\n\t@echo $($*)\n' | submake -f Makefile -f - "print-$1"; }

# log NAME COMMAND...: output to NAME.log; its end, for check, on failure
log() {
	logname=$1; shift
	"$@" >"$LAB_DIR/$logname.log" 2>&1 && return 0
	tail -20 "$LAB_DIR/$logname.log"
	return 1
}

# deb_build DIST: the binary package of the distribution tree DIST, put
# beside it.  nocheck: make check already ran the unit tests in this build.
deb_build() {
	(cd "$1" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	    log dpkg-buildpackage dpkg-buildpackage -us -uc -b)
}
