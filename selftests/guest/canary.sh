#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Positive controls for the harness in the KCSAN guest: load the
# planted-race module, wait (at most 60 s) for KCSAN to print a report,
# unload it; then load it with lockdep=1, whose lock-order inversion
# lockdep reports at once. The host then checks that the console holds
# both reports and that the harness names them.
repo=$(cd "$(dirname "$0")/../.." && pwd)
ko=$repo/build/kcsan/canary/cmap_race_canary.ko
insmod "$ko" || exit 1
i=0
while [ $i -lt 60 ] && ! dmesg | grep -q 'BUG: KCSAN: data-race in canary_'; do
	sleep 1
	i=$((i + 1))
done
rmmod cmap_race_canary
echo "canary: KCSAN waited ${i}s"
insmod "$ko" lockdep=1 || exit 1
rmmod cmap_race_canary
dmesg | grep -q 'possible circular locking dependency' &&
	echo "canary: lockdep reported the inversion"
