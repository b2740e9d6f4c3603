#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every cmap selftest in a row, for a guest (root, cmap not loaded):
#
#   run_guest.sh path/to/cmap.ko [--no-cmapctl|--cmapctl-only]
#
# module_test.sh loads and unloads the module itself; then the module is
# loaded with limits small enough for the fill tests of cmap_test to reach
# (max_entries, max_bytes), cmap_test and cmapctl_test.sh run, and it is
# unloaded. --no-cmapctl leaves out cmapctl_test.sh (a test of the CLI;
# the ioctls it makes are cmap_test's too); --cmapctl-only runs it alone
# (make check does, in a stock-kernel guest, where a process is cheap). Exit status: 0 if every
# program passed; a program that skipped entirely (exit 4) fails the run,
# since in a cmap guest everything can run.
set -u
ko=${1:?usage: run_guest.sh path/to/cmap.ko [--no-cmapctl]}
cli=1 core=1
case "${2:-}" in
'') ;;
--no-cmapctl) cli=0 ;;
--cmapctl-only) core=0 ;;
*) echo "usage: run_guest.sh path/to/cmap.ko [--no-cmapctl|--cmapctl-only]" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
rc=0

step() {
	local t0=$SECONDS s
	echo "# === $*"
	"$@"
	s=$?
	echo "# === $(basename "$1"): exit $s after $((SECONDS - t0))s"
	[ $s = 0 ] || rc=1
}

[ $core = 0 ] || step "$here/module_test.sh" "$ko"
insmod "$ko" max_entries=10000 max_bytes=4194304 || exit 1
[ $core = 0 ] || step "$here/cmap_test"
[ $cli = 0 ] || step "$here/cmapctl_test.sh"
rmmod cmap || rc=1
exit $rc
