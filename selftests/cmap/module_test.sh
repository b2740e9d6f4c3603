#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module parameters and lifetime of cmap.ko, as TAP. Loads and unloads the
# module itself, so run it with cmap NOT loaded (in a guest, as root):
#
#   module_test.sh path/to/cmap.ko
#
# Leaves the module unloaded.
set -u
ko=${1:?usage: module_test.sh path/to/cmap.ko}
here=$(cd "$(dirname "$0")" && pwd)
ctl=${CMAPCTL:-$here/../../userspace/cmapctl/cmapctl}
n=0 failed=0

echo "TAP version 13"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 4
fi
if grep -q '^cmap ' /proc/modules; then
	echo "1..0 # SKIP cmap is already loaded: unload it first"
	exit 4
fi

check() {
	n=$((n + 1))
	if eval "$2"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		failed=$((failed + 1))
	fi
}

check "default load" "insmod '$ko'"
check "/dev/cmap is a character device" "[ -c /dev/cmap ]"
check "default mode is 0600" "[ \"\$(stat -c %a /dev/cmap)\" = 600 ]"
check "parameters are visible" \
	"[ -r /sys/module/cmap/parameters/max_entries ] && [ -r /sys/module/cmap/parameters/max_bytes ]"
check "unload" "rmmod cmap"
check "/dev/cmap is gone" "[ ! -e /dev/cmap ]"

check "mode=0666 load" "insmod '$ko' mode=0666 max_entries=7 max_bytes=123456"
check "mode=0666 gives a 0666 node" "[ \"\$(stat -c %a /dev/cmap)\" = 666 ]"
if [ -x "$ctl" ]; then
	check "INFO reports max_entries=7" \
		"'$ctl' info | grep -Eq '^max_entries +7\$'"
	check "INFO reports max_bytes=123456" \
		"'$ctl' info | grep -Eq '^max_bytes +123456\$'"
	check "an 8th entry does not fit (exit 5)" \
		"for i in 1 2 3 4 5 6 7; do '$ctl' put k\$i v || exit 1; done; '$ctl' put k8 v 2>/dev/null; [ \$? = 5 ]"
	if command -v setpriv >/dev/null; then
		check "an unprivileged user may open a 0666 node" \
			"setpriv --reuid=65534 --regid=65534 --clear-groups '$ctl' get k1 >/dev/null"
	fi
fi
check "unload with entries in the map" "rmmod cmap"

check "mode=01777 is refused" "! insmod '$ko' mode=01777 2>/dev/null"
check "mode=0170000 is refused" "! insmod '$ko' mode=0170000 2>/dev/null"
check "nothing left loaded after a refused load" "! grep -q '^cmap ' /proc/modules"

check "load for the open-file test" "insmod '$ko'"
exec 3</dev/cmap
check "unload while /dev/cmap is open is refused" "! rmmod cmap 2>/dev/null"
exec 3<&-
check "unload after close" "rmmod cmap"

echo "1..$n"
[ $failed = 0 ]
