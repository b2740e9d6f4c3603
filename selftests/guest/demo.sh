#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job (`make run`), inside the KCSAN guest: load cmap, show that
# /dev/cmap is there, unload it.
repo=$(cd "$(dirname "$0")/../.." && pwd)
set -e
echo "== cmap on $(uname -r), $(nproc) CPUs, KCSAN + lockdep"
insmod "$repo/build/kcsan/kmod/cmap.ko"
echo "== loaded:"
ls -l /dev/cmap
grep cmap /proc/misc
rmmod cmap
echo "== unloaded: /dev/cmap $(test -e /dev/cmap && echo 'still there!' || echo gone)"
