#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
# The Debian package and the RPM, built from a distribution tree of this
# build and checked by tools/pkgtest (which prints the TAP).
exec sh "$top_srcdir/tools/pkgtest" "$top_builddir"
