#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job (`make run`), inside the KCSAN guest: load cmap and use it
# through cmapctl.
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=$repo/build/userspace
ctl=$bin/cmapctl
set -e
echo "== cmap on $(uname -r), $(nproc) CPUs, KCSAN + lockdep"
insmod "$repo/build/kcsan/kmod/cmap.ko"
ls -l /dev/cmap
echo "== a few cmapctl operations"
show() { echo "\$ cmapctl $*"; "$ctl" "$@"; }
show put linux torvalds
show put rcu paulmck
show get linux
show --hex put 00ff c0ffee
show --hex get 00ff
show del rcu
show get rcu || echo "(exit status $?: not found)"
printf 'k%d\tv%d\n' $(seq 1 2000 | sed 'p') | "$ctl" load -
show scan --count 3
show stats
"$ctl" clear
rmmod cmap
echo "== cmap unloaded"
