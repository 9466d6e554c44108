#!/bin/sh
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The lbnoded authors
#
# tests/vm/guest/modules.sh in a VM on Debian's kernel.
cd "$top_srcdir" || exit 1
exec "$top_srcdir/tests/vm/run" tests/vm/guest/modules.sh
