#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Positive control for the KCSAN guest: load the planted-race module, wait
# (at most 60 s) for KCSAN to print a report, unload it. The host then
# checks that the console holds the report and that the harness names it.
repo=$(cd "$(dirname "$0")/../.." && pwd)
insmod "$repo/build/kcsan/canary/cmap_race_canary.ko" || exit 1
i=0
while [ $i -lt 60 ] && ! dmesg | grep -q 'BUG: KCSAN:'; do
	sleep 1
	i=$((i + 1))
done
rmmod cmap_race_canary
echo "canary: waited ${i}s"
