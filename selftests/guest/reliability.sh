#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cmap's reliability tests (issue 7), inside a guest, as one TAP stream:
#
#   reliability.sh FLAVOR [--full] [--only|--skip SECTION,...] [--kmemleak]
#                  [--seed N] [--fuzz-calls N] [--fuzz-secs S] [--cycles N]
#                                                         (kasan or kcsan)
#
#   fuzz     cmap-fuzz: hostile ioctls (bad commands, sizes,
#            pointers, buffers unmapped mid-call, racing close/dup), then
#            the map must be consistent
#   faults   allocation failures while cmap-model churns the table through
#            grows and shrinks: fail_function on cmap_alloc_entry and
#            cmap_alloc_table (kasan) and failslab on the workload's own
#            threads; every answer model-checked, only -ENOMEM allowed,
#            and a resize whose table allocation failed completes once
#            injection stops (kasan)
#   unload   rmmod is refused while /dev/cmap is open or hammered and works
#            after
#   cycles   load/fill/unload cycles, each model-checked; with --kmemleak
#            (which fails if the kernel has no kmemleak running) each is
#            followed by a kmemleak scan and any leak fails. kmemleak slows
#            every allocation of the guest by about a third, so make check
#            gives it a boot of its own.
#   limits   max_entries and max_bytes under concurrent inserts
#   memcg    a memory cgroup with a small memory.max gets -ENOMEM, nothing
#            is OOM-killed and the map keeps working; the module loaded from a
#            small cgroup: that cgroup pays for the tables, a grow it cannot
#            pay for is postponed (and completes once it can), nothing is
#            OOM-killed; a replace loop of 4 KiB values at max_bytes=4 MiB
#            never holds more slab than that plus a bound
#   perms    with the default mode a non-root user cannot open /dev/cmap
#   chains   cmap loaded with test_hash_bits=0 (a test-only parameter: every
#            key in one bucket): chains of 1000 and 4000 entries (1000,
#            10000 and 50000 with --full) are inserted, grown, scanned in parts,
#            deleted and shrunk (cmap-model chain); the longest bucket-lock
#            hold (STATS max_bucket_lock_ns) must grow about linearly with
#            the chain. The longest chain a grow moves is 3/4 of the next
#            power of two, so 10x the keys move 8x the entries: linear
#            migration takes ~8x as long, a quadratic one ~64x. The check
#            allows 5x the ratio of the sizes (50x): under TCG a vCPU that
#            holds the lock can lose its host CPU (measured: 36x once)
#
# Needs the binaries of userspace/fuzz built on the host (make -C
# userspace/fuzz) and the modules in build/FLAVOR/kmod. The host checks the
# guest's console for kernel reports afterwards (selftests/lib/
# console-check.sh): this script only says what the workloads saw.
#
# Volumes: by default every kind of test runs at the smallest volume that
# still exercises it (make check): 5e4 fuzzed ioctls, 10 s of churn under
# injection, 3 load/fill/unload cycles and one kmemleak scan, caps of 1500
# entries and 1 MiB. --full runs issue 7's figures (make soak): 1e6 fuzzed
# ioctls, 30 s under injection, 20 cycles with a scan after each (5 cycles
# in the kcsan guest, which has no kmemleak), caps of 3000 and 2 MiB.
set -u
usage() {
	echo "usage: reliability.sh kasan|kcsan [--full] [--only|--skip fuzz,faults,unload,cycles,limits,memcg,perms,chains] [--kmemleak] [--seed N] [--fuzz-calls N] [--fuzz-secs S] [--cycles N]" >&2
	exit 2
}
flavor=${1:-}
case "$flavor" in kasan|kcsan) shift ;; *) usage ;; esac
full=0 seed=1 o_calls='' o_secs='' o_cycles='' only='' skip='' kmemleak=0
while [ $# -gt 0 ]; do
	case "$1" in
	--full) full=1; shift ;;
	--only) only=${2:?}; shift 2 ;;
	--skip) skip=${2:?}; shift 2 ;;
	--kmemleak) kmemleak=1; shift ;;
	--seed) seed=${2:?}; shift 2 ;;
	--fuzz-calls) o_calls=${2:?}; shift 2 ;;
	--fuzz-secs) o_secs=${2:?}; shift 2 ;;
	--cycles) o_cycles=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
repo=$(cd "$(dirname "$0")/../.." && pwd)
ko=$repo/build/$flavor/kmod/cmap.ko
fuzz=$repo/userspace/fuzz/cmap-fuzz
model=$repo/userspace/fuzz/cmap-model
export TAP_LOGDIR=${TAP_LOGDIR:-/tmp/cmap-reliability}
# shellcheck source=../lib/tap.sh
. "$repo/selftests/lib/tap.sh"
mkdir -p "$TAP_LOGDIR"
dbg=/sys/kernel/debug
leak_check=0 leak_total=0
ncpu=$(nproc)
L=$TAP_LOGDIR

for f in "$ko" "$fuzz" "$model"; do
	if [ ! -e "$f" ]; then
		tap_fail "$f exists (build it on the host: make -C userspace/fuzz, build-modules.sh)"
		tap_done
		exit 1
	fi
done

# make check: kmemleak scans once, after the last cycle (a leak stays
# allocated, so the last scan sees every cycle's); --full after each.
fuzz_calls=50000 fuzz_secs=0 fault_secs=10 cycles=3 scan_each=0
cap_entries=1500 cap_bytes=1048576 replace_secs=3
# issue 14's adversarial and memcg tests: smaller in make check
chain_sizes="1000 4000" owner_keys=5000
if [ $full = 1 ]; then
	fuzz_calls=1000000 fault_secs=30 cycles=20 scan_each=1
	cap_entries=3000 cap_bytes=2097152 replace_secs=20
	chain_sizes="1000 10000 50000" owner_keys=10000
	[ "$flavor" = kasan ] || cycles=5
fi
# Explicit budgets win: --fuzz-secs alone fuzzes for that long, with
# --fuzz-calls too it stops at whichever comes first.
[ -z "$o_calls" ] || fuzz_calls=$o_calls
[ -z "$o_secs" ] || { fuzz_secs=$o_secs; [ -n "$o_calls" ] || fuzz_calls=0; }
[ -z "$o_cycles" ] || cycles=$o_cycles

# kmemleak: what boot leaked is not cmap's. kmemleak prints each object's
# allocation time in jiffies: only objects allocated from here on count.
# (A first scan and "clear" would do the same and cost ~12 s here.)
leak_since=
[ $kmemleak = 0 ] || leak_since=$(awk '/^jiffies:/ { print $2; exit }' /proc/timer_list)

tap_diag "reliability ($flavor): kernel $(uname -r), $ncpu CPUs, seed $seed, $([ $full = 1 ] && echo "full volumes (make soak)" || echo "make check's volumes")"
t_all=$(date +%s)
# runs SECTION: whether --only/--skip let it run; if so, say so.
runs() {
	case ",$skip," in *",$1,"*) return 1 ;; esac
	[ -z "$only" ] || case ",$only," in *",$1,"*) ;; *) return 1 ;; esac
	tap_diag "--- $1 ($(($(date +%s) - t_all)) s in)"
}

loaded() { [ -d /sys/module/cmap ]; }
load() {
	loaded && rmmod cmap
	insmod "$ko" "$@"
}
unload() { ! loaded || rmmod cmap; }

# TAP of a program: fold its results in and fail if it exited non-zero.
run_tap() {
	local group=$1 log=$L/$2.log rc
	shift 2
	"$@" >"$log" 2>&1
	rc=$?
	grep '^# ' "$log" | grep -v ' calls, .* calls/s$' | head -n 40
	tap_include "$group" "$log"
	if [ $rc = 0 ]; then
		tap_ok "$group: exits 0"
	else
		tap_fail "$group: exits 0 (got $rc)" "$log"
	fi
	return $rc
}

# ---- (a) fuzzing ----
if runs fuzz; then
	load
	t0=$(date +%s)
	if [ "$fuzz_secs" -gt 0 ]; then
		[ "$fuzz_calls" -gt 0 ] || fuzz_calls=1000000000000
		run_tap fuzz fuzz "$fuzz" --seed "$seed" --calls "$fuzz_calls" \
			--duration "$fuzz_secs" --threads 4
	else
		run_tap fuzz fuzz "$fuzz" --seed "$seed" --calls "$fuzz_calls" --threads 4
	fi
	fuzzed=$(sed -n 's/^# seed [0-9]*: \([0-9]*\) calls by.*/\1/p' "$L/fuzz.log")
	tap_diag "fuzz: ${fuzzed:-?} calls in $(($(date +%s) - t0)) s"
	if unload; then tap_ok "rmmod after fuzzing"; else tap_fail "rmmod after fuzzing"; fi
fi

# ---- (b) allocation failures during resizes ----
if runs faults; then
	fs=$dbg/failslab ff=$dbg/fail_function
	have_ff=0
	[ -d "$ff" ] && have_ff=1
	faults_off() {
		[ -d "$fs" ] && echo 0 >"$fs/probability"
		[ $have_ff = 1 ] && echo >"$ff/inject" 2>/dev/null
		true
	}
	# fault_setup DIR PERCENT: every allocation fails with PERCENT %, no
	# messages, counted down from 1e9 in DIR/times.
	fault_setup() {
		echo 0 >"$1/verbose"
		echo 1 >"$1/interval"
		echo 0 >"$1/space"
		echo 1000000000 >"$1/times"
		echo "$2" >"$1/probability"
	}
	injected() { echo $((1000000000 - $(cat "$1/times"))); }

	if [ ! -d "$fs" ]; then
		tap_fail "failslab is in the $flavor kernel ($fs)"
	else
		load max_entries=0 max_bytes=0
		# failslab: only tasks with make-it-fail (the workload's threads), and
		# sleeping allocations too (the default spares them).
		fault_setup "$fs" 3
		echo Y >"$fs/task-filter"
		echo N >"$fs/ignore-gfp-wait"
		[ -e "$fs/cache-filter" ] && echo N >"$fs/cache-filter"
		ff_what="failslab on the workload's threads (3%)"
		if [ $have_ff = 1 ]; then
			# fail_function: cmap's own allocation sites, any task (the
			# table is allocated by the resize worker).
			echo >"$ff/inject"
			fault_setup "$ff" 5
			echo cmap_alloc_entry >"$ff/inject" && echo cmap_alloc_table >"$ff/inject" &&
				echo 0 >"$ff/cmap_alloc_entry/retval" && echo 0 >"$ff/cmap_alloc_table/retval"
			echo N >"$ff/task-filter"
			ff_what="$ff_what, fail_function on cmap_alloc_entry and cmap_alloc_table (5%)"
		fi
		tap_diag "injecting: $ff_what, for $fault_secs s"
		run_tap "faults: churn under injection" faults "$model" churn --seed "$seed" \
			--threads 2 --keys 1500 --duration "$fault_secs" --allow-enomem --make-it-fail \
			--clear
		n_fs=$(injected "$fs") n_ff=0
		[ $have_ff = 1 ] && n_ff=$(injected "$ff")
		faults_off
		seen=$(sed -n 's/^enomem=//p' "$L/faults.log")
		if [ "$((n_fs + n_ff))" -gt 0 ] && [ "${seen:-0}" -gt 0 ]; then
			tap_ok "faults: $((n_fs + n_ff)) allocation failures injected ($n_fs failslab, $n_ff fail_function), ${seen} ops returned ENOMEM"
		else
			tap_fail "faults: allocation failures injected and seen ($n_fs failslab, $n_ff fail_function, ${seen:-?} ENOMEM)"
		fi
		run_tap "faults: after injection" settle "$model" wait-resize --timeout 30

		if [ $have_ff = 1 ]; then
			# Every table allocation fails while the map fills: the inserts
			# still succeed (a resize never fails an operation), the grow is
			# postponed; once injection stops it is retried and completes.
			# A fresh map: 16 buckets, so 2000 inserts need grows.
			load max_entries=0 max_bytes=0
			"$model" stats >"$L/pending0.log"
			echo >"$ff/inject"
			fault_setup "$ff" 100
			echo cmap_alloc_table >"$ff/inject"
			echo 0 >"$ff/cmap_alloc_table/retval"
			run_tap "faults: inserts while every table allocation fails" pending \
				"$model" insert --keys 2000
			n_tbl=$(injected "$ff")
			"$model" stats >"$L/pending1.log"
			faults_off
			f0=$(sed -n 's/^resize_alloc_failures=//p' "$L/pending0.log")
			f1=$(sed -n 's/^resize_alloc_failures=//p' "$L/pending1.log")
			b1=$(sed -n 's/^buckets=//p' "$L/pending1.log")
			if [ "${f1:-0}" -gt "${f0:-0}" ] && [ "${b1:-0}" -lt 2048 ]; then
				tap_ok "faults: the grow was postponed ($((f1 - f0)) resize allocation failures, $n_tbl injected, still $b1 buckets for 2000 entries)"
			else
				tap_fail "faults: the grow was postponed (failures $f0 -> $f1, $b1 buckets)" "$L/pending1.log"
			fi
			run_tap "faults: once injection stops" retry "$model" wait-resize --timeout 30
			n_ff=$((n_ff + n_tbl))
		fi
		faults_off
		unload
		total_faults=$((n_fs + n_ff))
	fi
fi

# ---- (c) unload while in use ----
if runs unload; then
	load
	exec 3</dev/cmap
	if rmmod cmap 2>"$L/rmmod-open.log"; then
		tap_fail "rmmod is refused while /dev/cmap is open"
		load
	else
		tap_ok "rmmod is refused while /dev/cmap is open ($(head -c 80 "$L/rmmod-open.log"))"
	fi
	exec 3<&-
	# Stopped after the three rmmod attempts: too short to promise a shrink on
	# a slow guest, and resizes are not what this checks (the fault phase does).
	"$model" churn --seed "$seed" --threads 2 --keys 1000 --duration 600 --clear \
		--no-resize-check >"$L/hammered.log" 2>&1 &
	pid=$!
	for _ in $(seq 300); do
		grep -q '^# churn: started' "$L/hammered.log" && break
		sleep 0.1
	done
	sleep 1
	refused=0
	for _ in 1 2 3; do
		rmmod cmap 2>/dev/null || refused=$((refused + 1))
		sleep 1
	done
	kill -TERM $pid
	wait $pid
	rc=$?
	if [ $refused = 3 ] && [ $rc = 0 ]; then
		tap_ok "rmmod is refused 3 times while cmap-model churns, which is unharmed (model-checked)"
	else
		tap_fail "rmmod is refused 3 times while cmap-model churns ($refused refused, churn exit $rc)" "$L/hammered.log"
	fi
	if rmmod cmap && ! loaded && [ ! -e /dev/cmap ]; then
		tap_ok "rmmod succeeds once the users exit, /dev/cmap is gone"
	else
		tap_fail "rmmod succeeds once the users exit, /dev/cmap is gone"
	fi
fi

# ---- (d) load/fill/unload cycles, and leaks ----
if runs cycles; then
	if [ $kmemleak = 1 ]; then
		if [ -w $dbg/kmemleak ] && [ -n "$leak_since" ]; then
			leak_check=1
		else
			tap_fail "kmemleak is available ($dbg/kmemleak)"
		fi
	fi
	# leaks: scan; the report of every unreferenced object allocated
	# since $leak_since goes to $L/kmemleak.log, their number to stdout.
	leaks() {
		echo scan >$dbg/kmemleak
		awk -v since="$leak_since" '
			/^unreferenced object/ { obj = $0 "\n"; next }
			obj != "" && /^  comm / {
				keep = $NF + 0 >= since + 0; if (keep) n++
				printf "%s", keep ? obj : ""; obj = ""
			}
			keep { print }
			END { print n + 0 > "/dev/stderr" }
		' $dbg/kmemleak 2>&1 >"$L/kmemleak.log"
	}
	t0=$(date +%s) bad_cycles=0 leak_total=0
	for i in $(seq "$cycles"); do
		ok=1 c0=$(date +%s%N)
		insmod "$ko" max_entries=0 max_bytes=0 || ok=0
		c1=$(date +%s%N)
		"$model" churn --seed "$((seed + i))" --threads 2 --keys 600 --ops 1000 \
			--no-resize-check >"$L/cycle.log" 2>&1 || ok=0
		c2=$(date +%s%N)
		rmmod cmap || ok=0
		c3=$(date +%s%N)
		n=-
		if [ $leak_check = 1 ] && [ $scan_each = 1 ]; then
			n=$(leaks)
			leak_total=$n
		fi
		c4=$(date +%s%N)
		if [ $ok = 0 ]; then
			bad_cycles=$((bad_cycles + 1))
			cp "$L/cycle.log" "$L/cycle-$i.log"
		fi
		[ "$i" -le 2 ] || [ "$i" = "$cycles" ] &&
			tap_diag "cycle $i: insmod $(((c1 - c0) / 1000000)) ms, fill $(((c2 - c1) / 1000000)) ms, rmmod $(((c3 - c2) / 1000000)) ms, kmemleak scan $(((c4 - c3) / 1000000)) ms: $n leaks"
	done
	if [ $leak_check = 1 ]; then
		# kmemleak reports only objects older than 5 s: one more scan later.
		sleep 6
		leak_total=$(leaks)
	fi
	cycles_done=$cycles
	tap_diag "$cycles load/fill/unload cycles in $(($(date +%s) - t0)) s"
	if [ $bad_cycles = 0 ]; then
		tap_ok "$cycles load/fill/unload cycles, each model-checked"
	else
		tap_fail "$cycles load/fill/unload cycles, each model-checked ($bad_cycles failed)" \
			"$(find "$L" -name "cycle-*.log" | head -n 1)"
	fi
	if [ $leak_check = 1 ]; then
		if [ "$leak_total" = 0 ]; then
			tap_ok "kmemleak: no leak after $cycles cycles (scanned after $([ $scan_each = 1 ] && echo each || echo the last) unload)"
		else
			tap_fail "kmemleak: no leak after $cycles cycles ($leak_total unreferenced objects)" \
				"$L/kmemleak.log"
		fi
	fi
fi

# The tables are charged to the cgroup of the task that loaded the module
# (item 3 of issue 14): load it from a cgroup, then let that cgroup's limit
# stop a grow. The grow is postponed (resize_alloc_failures), the map keeps
# working at its size, nothing is OOM-killed; with the limit lifted the
# grow completes and the cgroup's memory.current rises by about what the
# new table took (STATS bytes, within the per-CPU charge stocks).
memcg_tables() {
	local cg=/sys/fs/cgroup/cmap-owner base s0 s1 s2 c1 c2 dc db f0 f1 b1 kills0 kills1 cg_kills tol
	unload
	rmdir "$cg" 2>/dev/null
	mkdir "$cg"
	[ -e "$cg/memory.swap.max" ] && echo 0 >"$cg/memory.swap.max"
	sh -c "echo \$\$ >'$cg/cgroup.procs' && exec insmod '$ko' max_entries=0 max_bytes=0" ||
		{ tap_fail "memcg tables: insmod from a cgroup"; return; }
	base=$(cat "$cg/memory.current")
	# 128 KiB of room: the first grows fit, one to 8192 buckets not.
	echo $((base + 131072)) >"$cg/memory.max"
	kills0=$(dmesg | grep -c 'Killed process')
	"$model" stats >"$L/owner0.log"
	# from the root cgroup: the entries are charged there, not to $cg
	t0=$(date +%s)
	run_tap "memcg tables: $owner_keys inserts, the loader's cgroup full" owner-insert \
		"$model" insert --keys $owner_keys
	sleep 1
	"$model" stats >"$L/owner1.log"
	f0=$(sed -n 's/^resize_alloc_failures=//p' "$L/owner0.log")
	f1=$(sed -n 's/^resize_alloc_failures=//p' "$L/owner1.log")
	b1=$(sed -n 's/^buckets=//p' "$L/owner1.log")
	cg_kills=$(awk '/^oom_kill /{print $2}' "$cg/memory.events")
	kills1=$(dmesg | grep -c 'Killed process')
	if [ "${f1:-0}" -gt "${f0:-0}" ] && [ "${b1:-0}" -lt 16384 ] &&
		[ "${cg_kills:-0}" = 0 ] && [ "$kills0" = "$kills1" ]; then
		tap_ok "memcg tables: the grow the loader's cgroup cannot pay for is postponed ($((f1 - f0)) allocation failures, $b1 buckets for $owner_keys entries; oom_kill $cg_kills, 'Killed process' $kills0 -> $kills1)"
	else
		tap_fail "memcg tables: the grow the loader's cgroup cannot pay for is postponed (failures $f0 -> $f1, $b1 buckets, oom_kill $cg_kills, 'Killed process' $kills0 -> $kills1)" "$L/owner1.log"
	fi
	run_tap "memcg tables: the map works at its size" owner-check "$model" check
	s1=$(sed -n 's/^bytes=//p' "$L/owner1.log")
	c1=$(cat "$cg/memory.current")
	echo max >"$cg/memory.max"
	run_tap "memcg tables: with the limit lifted the grow completes" owner-grow \
		"$model" wait-resize --timeout 60
	sleep 1	# the old table is freed (and uncharged) a grace period on
	"$model" stats >"$L/owner2.log"
	s2=$(sed -n 's/^bytes=//p' "$L/owner2.log")
	c2=$(cat "$cg/memory.current")
	dc=$((c2 - c1)) db=$((s2 - s1))
	# the per-CPU charge stocks hold up to 64 pages each
	tol=$((ncpu * 262144 + 131072))
	if [ $db -gt 0 ] && [ $dc -ge $((db - 131072)) ] && [ $dc -le $((db + tol)) ]; then
		tap_ok "memcg tables: the loader's cgroup paid for the grown table (memory.current +$((dc / 1024)) KiB, tables in STATS bytes +$((db / 1024)) KiB)"
	else
		tap_fail "memcg tables: the loader's cgroup paid for the grown table (memory.current +$((dc / 1024)) KiB, tables in STATS bytes +$((db / 1024)) KiB, tolerance -128..+$((tol / 1024)) KiB)" "$L/owner2.log"
	fi
	tap_diag "memcg tables: $(($(date +%s) - t0)) s"
	unload
	sleep 1
	rmdir "$cg" 2>/dev/null || true
}

# max_bytes counts what the slab really holds, until it is freed (item 4
# of issue 14): a replace loop of 4 KiB values (8 KiB slab objects) at
# max_bytes = 4 MiB (cmap-model replace: filled to the cap, a quarter
# deleted for room), run in a cgroup of its own, where its entries are
# charged: the cgroup's slab (memory.stat slab_unreclaimable, sampled every
# 0.1 s) never exceeds the cap plus a bound: one entry in flight per
# thread, 16 more objects (the tool's own slab, memcg's per-CPU stat
# batching), all at the slab's real object size, and 64 KiB per CPU. When
# replaced entries were uncharged before their grace period and charged
# 4 KiB + 60 bytes each, the map held 1000 of these 8 KiB objects (750
# after the deletes) at this cap, and more awaiting their grace period.
replace_at_cap() {
	local cg=/sys/fs/cgroup/cmap-replace cap=4194304 s0 peak=0 pid rc objsz objs bound n t0
	t0=$(date +%s)
	load max_entries=0 max_bytes=$cap
	rmdir "$cg" 2>/dev/null
	mkdir "$cg"
	# sets $slab to the cgroup's slab bytes, without a fork (keeps sampling)
	slab_b() {
		local k v
		slab=0
		while read -r k v; do
			[ "$k" = slab_unreclaimable ] && { slab=$v; return; }
		done <"$cg/memory.stat"
	}
	slab_b
	s0=$slab
	# one thread per CPU, niced: the sampler must get the CPU to sample
	sh -c "echo \$\$ >'$cg/cgroup.procs' && exec nice -n 10 '$model' replace --threads $ncpu --keys 1000 --value-len 4096 --duration $replace_secs" \
		>"$L/replace.log" 2>&1 &
	pid=$!
	n=0
	while kill -0 $pid 2>/dev/null; do
		slab_b
		[ "$slab" -gt "$peak" ] && peak=$slab
		n=$((n + 1))
		sleep 0.1
	done
	wait $pid
	rc=$?
	grep '^# ' "$L/replace.log"
	tap_include "max_bytes: replace loop" "$L/replace.log"
	[ $rc = 0 ] || tap_fail "max_bytes: replace loop exits 0 (got $rc)" "$L/replace.log"
	# a debug kernel's slab object is bigger than the 8 KiB charged
	# (KASAN's redzone and metadata): count in its objects (+ memcg's
	# pointer to the object's cgroup)
	objsz=$(cat /sys/kernel/slab/kmalloc-cg-8k/slab_size 2>/dev/null || echo 8192)
	objs=$(((peak - s0) / (objsz + 8)))
	bound=$(((cap / 8192 + ncpu + 16) * (objsz + 8) + ncpu * 65536))
	if [ $((peak - s0)) -le $bound ] && [ $n -ge 3 ]; then
		tap_ok "max_bytes: $ncpu threads replacing 4 KiB values at max_bytes=4 MiB held at most $(((peak - s0) / 1024)) KiB of slab, $objs objects of $objsz bytes (bound $((bound / 1024)) KiB: $((cap / 8192)) for the cap, $ncpu in flight, 16 more, 64 KiB per CPU; $n samples)"
	else
		tap_fail "max_bytes: $ncpu threads replacing 4 KiB values at max_bytes=4 MiB held at most $(((peak - s0) / 1024)) KiB of slab, $objs objects of $objsz bytes (bound $((bound / 1024)) KiB; $n samples, 3 needed)" "$L/replace.log"
	fi
	tap_diag "max_bytes replace loop: $(($(date +%s) - t0)) s"
	unload
	sleep 1
	rmdir "$cg" 2>/dev/null || true
}

# ---- (e) limits ----
if runs limits; then
	nthreads=$((2 * ncpu))
	load max_entries=$cap_entries max_bytes=0
	run_tap "max_entries=$cap_entries, $nthreads inserters" cap-entries \
		"$model" fill --threads $nthreads --value-len 32
	load max_entries=0 max_bytes=$cap_bytes
	run_tap "max_bytes=$((cap_bytes / 1024)) KiB, $nthreads inserters" cap-bytes \
		"$model" fill --threads $nthreads --value-len 1000
	unload
fi

# ---- (f) memory cgroups ----
if runs memcg; then
	cg=/sys/fs/cgroup/cmap-reliability
	load max_entries=0 max_bytes=0
	if ! grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		tap_fail "memcg: cgroup v2 with the memory controller at /sys/fs/cgroup"
	else
		echo +memory >/sys/fs/cgroup/cgroup.subtree_control
		rmdir "$cg" 2>/dev/null
		mkdir "$cg"
		echo 12M >"$cg/memory.max"
		[ -e "$cg/memory.swap.max" ] && echo 0 >"$cg/memory.swap.max"
		kills0=$(dmesg | grep -c 'Killed process')
		sh -c "echo \$\$ >'$cg/cgroup.procs' && exec '$model' fill --expect ENOMEM --threads 1 --value-len 4000 --leave-cgroup /sys/fs/cgroup/cgroup.procs" \
			>"$L/memcg.log" 2>&1
		rc=$?
		kills1=$(dmesg | grep -c 'Killed process')
		cg_kills=$(awk '/^oom_kill /{print $2}' "$cg/memory.events")
		grep '^# ' "$L/memcg.log"
		tap_include "memcg: fill in a 12M cgroup" "$L/memcg.log"
		if [ $rc = 0 ] && [ "$cg_kills" = 0 ] && [ "$kills0" = "$kills1" ]; then
			tap_ok "memcg: -ENOMEM, nothing OOM-killed (cgroup oom_kill $cg_kills, 'Killed process' in dmesg $kills0 -> $kills1)"
		else
			tap_fail "memcg: -ENOMEM, nothing OOM-killed (exit $rc, cgroup oom_kill $cg_kills, 'Killed process' in dmesg $kills0 -> $kills1)" "$L/memcg.log"
		fi
		tap_diag "memcg: $(tr '\n' ' ' <"$cg/memory.events")"
		# The map is consistent and still works, from outside the cgroup.
		run_tap "memcg: the full map, from outside" memcg-check "$model" check
		# Starts from the big table of the fill: it may only shrink. What
		# counts here is that every answer is right, not the resizes.
		run_tap "memcg: the map afterwards" memcg-after "$model" churn --seed "$seed" \
			--threads 2 --keys 300 --ops 2000 --clear --no-resize-check
		unload
		sleep 1
		rmdir "$cg" 2>/dev/null || true
		memcg_tables
		replace_at_cap
	fi
fi

# ---- (g) permissions ----
if runs perms; then
	load
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$model" open 2>&1)
	if [ "$out" = "uid=65534 rdonly=EACCES rdwr=EACCES" ]; then
		tap_ok "default mode: uid 65534 cannot open /dev/cmap ($out)"
	else
		tap_fail "default mode: uid 65534 cannot open /dev/cmap (got: $out)"
	fi
	# The control: the same probe does see a device it may open.
	load mode=0666
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$model" open 2>&1)
	if [ "$out" = "uid=65534 rdonly=ok rdwr=ok" ]; then
		tap_ok "control: with mode=0666 uid 65534 opens /dev/cmap ($out)"
	else
		tap_fail "control: with mode=0666 uid 65534 opens /dev/cmap (got: $out)"
	fi
	unload
fi

# ---- (h) long chains ----
if runs chains; then
	sizes=$chain_sizes
	prev_n='' prev_ns='' holds=''
	for n in $sizes; do
		load test_hash_bits=0 max_entries=0 max_bytes=0
		t0=$(date +%s)
		run_tap "chains" "chain-$n" "$model" chain --keys "$n" --timeout 120
		unload
		ns=$(sed -n 's/^# hold_ns \([0-9]*\)$/\1/p' "$L/chain-$n.log")
		holds+=", $n: ${ns:-?} ns ($(($(date +%s) - t0)) s)"
		if [ -n "$prev_ns" ] && [ -n "$ns" ]; then
			# linear: ratio n/prev_n; allow 5x that for noise
			if [ "$ns" -le $((5 * n / prev_n * prev_ns)) ]; then
				tap_ok "chains: the longest bucket-lock hold grows about linearly ($prev_n: $prev_ns ns, $n: $ns ns)"
			else
				tap_fail "chains: the longest bucket-lock hold grows about linearly ($prev_n: $prev_ns ns, $n: $ns ns, more than 5 x $((n / prev_n)))"
			fi
		fi
		prev_n=$n prev_ns=$ns
	done
	tap_diag "longest bucket-lock hold by chain length${holds}"
fi

secs=$(($(date +%s) - t_all))
# What this run survived, of the figures make soak is about.
survived=
[ -z "${fuzzed:-}" ] || survived+=", $fuzzed ioctls fuzzed"
[ -z "${total_faults:-}" ] || survived+=", $total_faults allocation failures injected"
[ -z "${cycles_done:-}" ] || survived+=", $cycles_done load/unload cycles"
[ $leak_check = 0 ] || survived+=", $leak_total leaks (kmemleak)"
tap_diag "survived: ${survived#, } (in $secs s)"
tap_done
