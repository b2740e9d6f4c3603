#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of `make bench`: load cmap.ko and cmap_bench.ko, run the
# in-kernel workloads against the three backends, then (unless skipped) the
# perf and user-space parts, and leave everything in OUTDIR:
#
#   bench-guest.sh MODE KODIR OUTDIR [PARTS]
#
#   MODE    smoke | quick | full  (sizes, threads, durations and repetitions
#           of the timed workloads below)
#   KODIR   directory holding cmap.ko and bench/cmap_bench.ko
#   OUTDIR  writable directory (under build/): kernel.jsonl, trace-*.txt,
#           env.txt, perf-*.txt, user.jsonl, bpftool-*.txt
#   PARTS   words among "kernel perf user" (default: all three)
#
# Exit status: 0 if every run succeeded, 1 otherwise (failures are listed
# on stderr and in OUTDIR/errors.txt). Progress goes to stderr.
set -u
mode=${1:?usage: bench-guest.sh smoke|quick|full KODIR OUTDIR [PARTS]}
kodir=${2:?KODIR}
out=${3:?OUTDIR}
parts=${4:-kernel perf user}
here=$(cd "$(dirname "$0")" && pwd)
dbg=/sys/kernel/debug/cmap_bench

case "$mode" in
smoke) sizes="1000" threads="1 2" ms=30 reps=1 trace_n=1000 perf_n=5000 ;;
quick) sizes="1000 10000 100000" threads="1 2 4" ms=100 reps=2 trace_n=100000 perf_n=100000 ;;
full) sizes="1000 10000 100000 1000000" threads="1 2 4" ms=333 reps=3 trace_n=1000000 perf_n=1000000 ;;
*) echo "bench-guest: unknown mode '$mode' (smoke, quick or full)" >&2; exit 2 ;;
esac
backends="cmap rhashtable naive"
workloads="read grow_read mix insert delete"

mkdir -p "$out"
: >"$out/errors.txt"
fail() { echo "bench-guest: $*" | tee -a "$out/errors.txt" >&2; }
has() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
mountpoint -q /sys/kernel/tracing || mount -t tracefs none /sys/kernel/tracing 2>/dev/null
{
	echo "kernel=$(uname -r)"
	echo "vcpus=$(nproc)"
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "mode=$mode"
	echo "clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	echo "cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
} >"$out/env.txt"

insmod "$kodir/cmap.ko" || { fail "cannot load $kodir/cmap.ko"; exit 1; }
insmod "$kodir/bench/cmap_bench.ko" || { fail "cannot load cmap_bench.ko"; rmmod cmap; exit 1; }

# run SPEC: one benchmark; appends its JSON to kernel.jsonl.
run() {
	echo "bench-guest: $*" >&2
	if echo "$*" >"$dbg/run"; then
		cat "$dbg/result" >>"$out/kernel.jsonl"
	else
		fail "run failed: $*"
	fi
}

if has kernel; then
	: >"$out/kernel.jsonl"
	for n in $sizes; do
		for t in $threads; do
			for w in $workloads; do
				# timed workloads: REPS short runs, the backends
				# taking turns, so a burst of host load does not
				# land on one backend only; the report keeps each
				# backend's best (the least disturbed) run.
				# insert and delete run to N once.
				r=$reps
				case $w in insert|delete) r=1 ;; esac
				for _ in $(seq "$r"); do
					for be in $backends; do
						run "backend=$be workload=$w n=$n threads=$t ms=$ms"
					done
				done
			done
		done
	done
	# Insert latency over time while growing to trace_n, one thread.
	for be in $backends; do
		run "backend=$be workload=insert n=$trace_n threads=1 trace=1"
		cp "$dbg/trace" "$out/trace-$be.txt"
	done
fi

if has perf; then
	profile=1
	[ "$mode" != smoke ] || profile=0
	PROFILE=$profile "$here/perf-resize.sh" "$out" "$perf_n" || fail "perf part failed"
fi

rmmod cmap_bench
if has user; then
	"$here/user-guest.sh" "$mode" "$out" || fail "user-space part failed"
fi
rmmod cmap 2>/dev/null
[ ! -s "$out/errors.txt" ]
