#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tests that run inside a cmap guest, as one TAP stream on stdout.
# Usage (in the guest): guest-tests.sh FLAVOR   (kcsan or kasan)
# Modules come from build/FLAVOR/ (selftests/vm/build-modules.sh). The
# host checks the guest's console for kernel reports afterwards.
set -u
flavor=${1:?usage: guest-tests.sh kcsan|kasan}
repo=$(cd "$(dirname "$0")/../.." && pwd)
mods=$repo/build/$flavor/kmod
export TAP_LOGDIR=/tmp/cmap-guest-logs
# shellcheck source=../lib/tap.sh
. "$repo/selftests/lib/tap.sh"
mkdir -p "$TAP_LOGDIR"

tap_diag "kernel $(uname -r), $(nproc) CPUs"

# The map core's self-test module (kmod/cmap_test.c, the same source as
# the user-space unit tests): loading it runs every case with 4 threads
# and forced grow/shrink rounds; it refuses to load if any case failed.
core_selftest() {
	local log=$TAP_LOGDIR/cmap_test.dmesg
	insmod "$mods/cmap.ko" || return 1
	dmesg -C
	# KASAN needs the bad access, not many interleavings: fewer rounds
	# there (rounds are slow under KASAN and TCG), more for KCSAN.
	local rounds=4
	[ "$flavor" != kasan ] || rounds=2
	insmod "$mods/cmap_test.ko" threads=4 iterations=$rounds
	local rc=$?
	dmesg >"$log"
	sed -E 's/^\[[ 0-9.]+\] //' "$log" | grep -E '^(not )?ok [0-9]+ - |^1\.\.' \
		>"$TAP_LOGDIR/cmap_test.tap"
	grep -E 'cmap_test: [0-9]+ of [0-9]+' "$log" | sed 's/^/# /'
	[ $rc = 0 ] && rmmod cmap_test
	rmmod cmap
	return $rc
}
if core_selftest; then
	tap_ok "cmap_test.ko loads (every core self-test passed)"
else
	tap_fail "cmap_test.ko loads (every core self-test passed)" \
		"$TAP_LOGDIR/cmap_test.dmesg"
fi
tap_include "cmap_test.ko" "$TAP_LOGDIR/cmap_test.tap"

# The device, its ABI and its parameters (selftests/cmap/). cmapctl's own
# test runs in a stock-kernel guest (run_guest.sh --cmapctl-only); the
# tracepoints' test (below) tests tracing, not the map's memory safety:
# the kcsan guest runs it, the kasan one need not.
"$repo/selftests/cmap/run_guest.sh" "$mods/cmap.ko" --no-cmapctl >"$TAP_LOGDIR/selftests.tap" 2>&1
rc=$?
# tap_include keeps only results: show how long each step took.
grep '^# === .*: exit' "$TAP_LOGDIR/selftests.tap"
tap_include "selftests/cmap" "$TAP_LOGDIR/selftests.tap"
if [ $rc = 0 ]; then
	tap_ok "selftests/cmap/run_guest.sh exits 0"
else
	tap_fail "selftests/cmap/run_guest.sh exits 0 (got $rc)" "$TAP_LOGDIR/selftests.tap"
fi

# The resize tracepoints, read from tracefs: a bulk load of 3000 keys into
# an empty map must grow it several times (16 buckets to 4096), each grow
# start, migrate in steps and end, with the fields the trace shows. (perf
# record costs ~10 s of fixed start-up in a debug guest; the benchmark's
# smoke test records these events with perf on the stock kernel.)
tracepoints() {
	local ctl=$repo/build/userspace/cmapctl out=$TAP_LOGDIR/perf
	local tr=/sys/kernel/tracing rc
	mkdir -p "$out"
	insmod "$mods/cmap.ko" || return 1
	seq 1 3000 | sed 's/.*/k&\tv&/' >"$out/keys.tsv"
	echo 0 >$tr/tracing_on
	echo >$tr/trace
	echo 1 >$tr/events/cmap/enable
	echo 1 >$tr/tracing_on
	"$ctl" load "$out/keys.tsv" 2>/dev/null && sleep 1
	rc=$?
	echo 0 >$tr/tracing_on
	echo 0 >$tr/events/cmap/enable
	cp $tr/trace "$out/script.txt"
	rmmod cmap
	return $rc
}
count_events() { grep -c "$1" "$TAP_LOGDIR/perf/script.txt"; }
if [ "$flavor" = kasan ]; then
	:
elif tracepoints; then
	starts=$(count_events 'cmap_resize_start:.*reason=grow')
	steps=$(count_events 'cmap_migrate:.*buckets=[1-9]')
	ends=$(count_events 'cmap_resize_end:.*duration_ns=[1-9]')
	tap_diag "trace: $starts resize starts, $steps migration steps, $ends resize ends"
	desc="tracepoints cmap:*: grows are traced from start to end"
	if [ "$starts" -ge 3 ] && [ "$ends" = "$starts" ] && [ "$steps" -ge "$starts" ]; then
		tap_ok "$desc"
	else
		tap_fail "$desc" "$TAP_LOGDIR/perf/script.txt"
	fi
else
	tap_fail "tracepoints cmap:* of a bulk load" "$TAP_LOGDIR/perf/script.txt"
fi

tap_done
