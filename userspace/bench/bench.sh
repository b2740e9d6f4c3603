#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cmap's benchmarks, end to end (what `make bench` runs):
#
#   bench.sh [full|quick|smoke] [--kernel stock|kcsan|kasan] [--smp N]
#            [--parts "kernel perf user native"] [--out DIR] [--no-build]
#            [--kodir DIR] [--docs FILE] [--publish DIR]
#
#   make bench        = bench.sh full    (N = 1e3..1e6; ~25-40 min)
#   make bench-quick  = bench.sh quick   (N = 1e3..1e5; ~6-8 min)
#   make check's smoke: bench-check.sh   (bench.sh smoke, N = 1e3; ~1 min)
#
#  1. builds cmap.ko and cmap_bench.ko for the kernel (build-modules.sh) and
#     the user-space programs (userspace/bench/Makefile);
#  2. boots the kernel under QEMU and runs bench-guest.sh there: in-kernel
#     workloads (cmap, rhashtable, naive), perf on cmap's tracepoints,
#     /dev/cmap vs a BPF hash map;
#  3. on the host: cmap's user-space core vs liburcu's cds_lfht (native.sh);
#  4. bench-report.py: OUT/results.json, OUT/insert-latency.png and the
#     report (--docs; default docs/BENCHMARKS.md for full, OUT/BENCHMARKS.md
#     otherwise); a full run also copies the JSON to build/bench/results.json
#     and the JSON and the plot to docs/bench/latest.json and
#     docs/bench/insert-latency.png (--publish), which are committed with
#     the report.
#
# Default mode full, kernel stock (Debian's 6.12, not a debug kernel: debug
# kernels distort timings), 4 vCPUs, OUT build/bench/MODE (the raw output
# of every part). The wall-clock time of each part goes to OUT/timing.txt
# and into the report.
# Exit status: 0 when every part ran; 1 if one failed (see OUT/errors.txt).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=full kernel=stock smp=4 parts="kernel perf user native" out='' build=1
kodir='' docs='' publish=''
while [ $# -gt 0 ]; do
	case "$1" in
	full|quick|smoke) mode=$1; shift ;;
	--mode) mode=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--parts) parts=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--kodir) kodir=$2; shift 2 ;;
	--docs) docs=$2; shift 2 ;;
	--publish) publish=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'; exit 0 ;;
	*) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
case "$mode" in
smoke) timeout=600 ;;
quick) timeout=1800 ;;
full) timeout=5400 ;;
*) echo "bench: unknown mode '$mode' (full, quick or smoke)" >&2; exit 2 ;;
esac
out=${out:-$repo/build/bench/$mode}
kodir=${kodir:-$repo/build/$kernel/kmod}
if [ -z "$docs" ]; then
	docs=$out/BENCHMARKS.md
	[ "$mode" != full ] || docs=$repo/docs/BENCHMARKS.md
fi
[ -n "$publish" ] || [ "$mode" != full ] || publish=$repo/docs/bench
has() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
guest_parts=$(echo " $parts " | sed 's/ native / /')

start=$(date +%s)
if [ $build = 1 ]; then
	echo "bench: building modules for $kernel and the user-space programs" >&2
	"$repo/selftests/vm/build-modules.sh" "$kernel"
	make -s -C "$here"
fi
if [ ! -f "$kodir/bench/cmap_bench.ko" ]; then
	echo "bench: $kodir/bench/cmap_bench.ko missing: kmod/Kbuild needs 'obj-m += bench/'" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$out"
rc=0
t0=$(date +%s)
echo "start=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out/timing.txt"
echo "build_s=$((t0 - start))" >>"$out/timing.txt"
echo "load_start=$(cut -d' ' -f1 /proc/loadavg)" >>"$out/timing.txt"
if [ -n "${guest_parts// /}" ]; then
	echo "bench: guest part ($guest_parts) on $kernel, $smp vCPUs, mode $mode" >&2
	# tsc=reliable: under TCG the clocksource watchdog sees the TSC skew
	# against the HPET when the host is busy and marks it unstable; the
	# switch of sched_clock patches kernel text (static keys, int3), which
	# QEMU's multi-threaded TCG can trip over ("Oops: int3" in
	# sched_clock_cpu, panic). Keeping the TSC avoids both the panic and a
	# mid-run change of the clock the figures are timed with.
	# A guest that dies (125) is booted once more: multi-threaded TCG
	# occasionally trips over the kernel patching its own text at boot
	# ("Oops: int3" in sched_clock_cpu when sched_clock is marked stable),
	# a QEMU problem that has nothing to do with the benchmark.
	for attempt in 1 2; do
		grc=0
		"$repo/selftests/vm/vm-run.sh" --kernel "$kernel" --smp "$smp" --mem 3G \
			--timeout "$timeout" --log "$out/console.log" --quiet \
			--append "tsc=reliable" -- \
			"'$here/bench-guest.sh' $mode '$kodir' '$out' '$guest_parts' 2>'$out/guest.log'" ||
			grc=$?
		[ $grc = 125 ] && [ $attempt = 1 ] || break
		cp "$out/console.log" "$out/console-died.log"
		echo "bench: the guest died (see $out/console-died.log); booting it again" >&2
	done
	[ $grc = 0 ] ||
		{ rc=1; echo "bench: guest part failed; see $out/guest.log, $out/console.log" >&2; }
fi
t1=$(date +%s)
echo "guest_s=$((t1 - t0))" >>"$out/timing.txt"
if has native; then
	echo "bench: native part (cmap core vs cds_lfht) on the host" >&2
	"$here/native.sh" "$mode" "$out" || { rc=1; echo "bench: native part failed" >&2; }
fi
t2=$(date +%s)
echo "native_s=$((t2 - t1))" >>"$out/timing.txt"
echo "total_s=$((t2 - start))" >>"$out/timing.txt"
echo "load_end=$(cut -d' ' -f1 /proc/loadavg)" >>"$out/timing.txt"
python3 "$here/bench-report.py" --out "$out" --docs "$docs" \
	${publish:+--publish "$publish"} || rc=1
[ "$mode" != full ] || [ ! -f "$out/results.json" ] ||
	cp "$out/results.json" "$repo/build/bench/results.json"
echo "bench: results in $out/results.json, plot $out/insert-latency.png, report $docs${publish:+, published in $publish} ($((t2 - start)) s)" >&2
exit $rc
