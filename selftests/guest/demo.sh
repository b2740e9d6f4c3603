#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The main job (`make run`), inside the KCSAN guest: load cmap, use it
# through cmapctl, then hammer it with cmap-hammer's default scenarios for
# about a minute and print the findings report (KCSAN, lockdep and every
# other kernel report, plus any data error).
#
#   demo.sh [HAMMER-SECONDS]   (default 60)
repo=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
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
set +e
echo "== cmap-hammer, default scenarios, ${secs}s"
"$bin/cmap-hammer" --duration "$secs"
rc=$?
rmmod cmap
echo "== cmap-hammer exit status $rc; cmap unloaded"
exit $rc
