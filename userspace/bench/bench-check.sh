#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's smoke test, for `make check`: run every part of the
# benchmark (bench.sh smoke: one guest boot, N = 1000, 1 and 2 threads,
# perf, /dev/cmap vs BPF, native core vs cds_lfht with callgrind; about a
# minute on the 2-core host) and check, as TAP, that it ran and that its
# output is well formed and complete: results.json parses, every backend
# ran every workload, every figure is positive, the plot is a PNG, the
# report has its tables. No timing is compared with anything.
#
#   bench-check.sh [--kernel stock|kcsan|kasan] [--build] [--kodir DIR]
#
# The modules must have been built (build-modules.sh KERNEL) unless --build
# is given. Output: build/bench/smoke/ (raw files, results.json, the
# report), bench.sh's log in build/bench-smoke.log. Exit status 0 only if
# every test passed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
kernel=stock extra=(--no-build)
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--build) extra=(); shift ;;
	--no-build) shift ;;
	--kodir) extra+=(--kodir "$2"); shift 2 ;;
	-h|--help) sed -n '3,/^set -u/p' "$0" | sed 's/^# \{0,1\}//; /^set -u/d'; exit 0 ;;
	*) echo "bench-check: unknown option '$1'" >&2; exit 2 ;;
	esac
done
out=$repo/build/bench/smoke
mkdir -p "$repo/build"
log=$repo/build/bench-smoke.log
if ! make -s -C "$here" >"$log" 2>&1; then
	echo "not ok 1 - userspace/bench builds (user_bench, native_bench)"
	sed 's/^/# /' "$log" | tail -20
	echo "1..1"
	exit 1
fi
start=$(date +%s)
"$here/bench.sh" smoke --kernel "$kernel" --out "$out" "${extra[@]}" >>"$log" 2>&1
rc=$?
echo "# bench.sh smoke: exit $rc in $(($(date +%s) - start)) s (log: build/bench-smoke.log)"
[ $rc = 0 ] || tail -15 "$log" | sed 's/^/# /'
python3 "$here/bench-report.py" --out "$out" --check \
	--need "kernel perf user native" --status "$rc"
