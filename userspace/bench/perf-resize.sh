#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the guest, with cmap.ko and cmap_bench.ko loaded: count and record
# cmap's resize tracepoints while cmap_bench grows a map from empty to N
# keys and shrinks it back (two threads each):
#
#   perf-resize.sh OUTDIR N
#
# Writes OUTDIR/perf-stat.txt (perf stat -e 'cmap:*'), OUTDIR/perf-script.txt
# (every event, perf script), and OUTDIR/perf-runs.jsonl (the benchmark's own
# figures for the same runs). bench-report.py turns them into durations.
set -u
out=${1:?usage: perf-resize.sh OUTDIR N}
n=${2:?N}
dbg=/sys/kernel/debug/cmap_bench
perf=${PERF:-perf}
command -v "$perf" >/dev/null || perf=/usr/bin/perf_6.1
data=/tmp/cmap-perf.data

if ! "$perf" list 'cmap:*' 2>/dev/null | grep -q 'cmap:'; then
	echo "perf-resize: no cmap:* tracepoints (cmap.ko built without them?); skipped" |
		tee "$out/perf-skipped.txt" >&2
	exit 0
fi
job="echo 'backend=cmap workload=insert n=$n threads=2' >$dbg/run &&
cat $dbg/result >>$out/perf-runs.jsonl &&
echo 'backend=cmap workload=delete n=$n threads=2' >$dbg/run &&
cat $dbg/result >>$out/perf-runs.jsonl"

: >"$out/perf-runs.jsonl"
"$perf" stat -e 'cmap:*' -a -o "$out/perf-stat.txt" -- sh -c "$job" || exit 1
: >"$out/perf-runs.jsonl"
"$perf" record -q -e 'cmap:*' -a -o "$data" -- sh -c "$job" || exit 1
"$perf" script -i "$data" -F comm,pid,cpu,time,event,trace >"$out/perf-script.txt" || exit 1
echo "perf-resize: $(wc -l <"$out/perf-script.txt") events recorded" >&2

# Where lookups spend their time: a CPU profile (cpu-clock: TCG has no PMU)
# of the read workload for cmap and rhashtable, N = min(N, 1e5), 1 thread,
# 2 s of lookups after the (untimed) prefill.
# (Not in the smoke run: PROFILE=0, to keep make check short.)
pn=$n
[ "$pn" -le 100000 ] || pn=100000
[ "${PROFILE:-1}" = 1 ] || set --
[ "${PROFILE:-1}" = 1 ] && set -- cmap rhashtable
for be in "$@"; do
	"$perf" record -q -e cpu-clock -F 2000 -a -o "$data" -- sh -c \
		"echo 'backend=$be workload=read n=$pn threads=1 ms=2000' >$dbg/run" ||
		continue
	# only the benchmark's thread (it prefills, waits for the last
	# resize, then looks up for 2 s): idle vCPUs and other threads out.
	# perf names a kthread created during the recording after its parent
	# (kthreadd): in this recording that is the benchmark's thread.
	"$perf" report -i "$data" --stdio --no-children --sort sym \
		--comms kthreadd,cmap_bench/0 --percent-limit 0.5 2>/dev/null |
		grep -v '^$' | head -40 >"$out/perf-profile-$be.txt"
done

# Why an insert can take milliseconds: every context switch (and cmap's
# resizes) during a one-thread cmap insert run to N. bench-report.py finds
# when the inserting thread (cmap_bench/0) was off its CPU and who ran.
"$perf" record -q -e sched:sched_switch -e 'cmap:cmap_resize_*' -a \
	-o "$data" -- sh -c "echo 'backend=cmap workload=insert n=$n threads=1' \
	>$dbg/run && cat $dbg/result >$out/perf-sched-run.json" &&
	"$perf" script -i "$data" -F comm,tid,cpu,time,event,trace \
		>"$out/perf-sched.txt" 2>/dev/null
rm -f "$data"
exit 0
