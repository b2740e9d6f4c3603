#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cmapctl end to end (selftests/cmap/cmapctl_test.sh), as TAP on stdout,
# in a guest of Debian's stock kernel: it tests the command line, not the
# map's memory safety, and it runs about 60 processes, each of which costs
# a debug guest under TCG about half a second (the ioctls it makes are
# cmap_test's too, which runs in both debug guests).
#
#   cli.sh      (in the guest; cmap not loaded)
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
ko=$repo/build/stock/kmod/cmap.ko
# the same limits as selftests/cmap/run_guest.sh: "map full" is reachable
insmod "$ko" max_entries=10000 max_bytes=4194304 || {
	echo "not ok 1 - insmod $ko"
	echo "1..1"
	exit 1
}
"$repo/selftests/cmap/cmapctl_test.sh" "$repo/userspace/cmapctl/cmapctl"
rc=$?
rmmod cmap || rc=1
exit $rc
