#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The tests that run inside a cmap guest, as one TAP stream on stdout.
# Usage (in the guest): guest-tests.sh FLAVOR   (kcsan or kasan)
# Modules come from build/FLAVOR/ (selftests/vm/build-modules.sh).
# The host checks the guest's console for kernel reports afterwards.
set -u
flavor=${1:?usage: guest-tests.sh kcsan|kasan}
repo=$(cd "$(dirname "$0")/../.." && pwd)
mods=$repo/build/$flavor/kmod
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

echo "TAP version 13"
echo "# kernel $(uname -r), $(nproc) CPUs"

# The device's life cycle.
check "insmod cmap.ko" insmod "$mods/cmap.ko"
check "/dev/cmap is a character device" test -c /dev/cmap
check "/dev/cmap has mode 0600 by default" [ "$(stat -c %a /dev/cmap)" = 600 ]
check "rmmod cmap" rmmod cmap
check "/dev/cmap is gone after rmmod" [ ! -e /dev/cmap ]
check "cmap reloads with mode=0660" insmod "$mods/cmap.ko" mode=0660
check "mode=0660 is applied" [ "$(stat -c %a /dev/cmap)" = 660 ]
check "rmmod cmap again" rmmod cmap

echo "1..$n"
[ $failed = 0 ]
