#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every cmap test, as one TAP stream ending in "N passed, N failed":
# what `make check` runs (and .ci/run through it). Logs: build/logs/check/.
#
#   run-checks.sh [GROUP...]    groups: build unit lkmm kcsan kasan
#                               hammer controls reliability bench canary
#                               (default: all, in that order)
#
# make check runs every kind of check at the smallest volume that still
# exercises it. CMAP_SOAK=SECONDS (make soak) runs cmap-hammer for SECONDS
# per guest and the reliability tests at issue 7's full volumes instead.
# The groups kcsan, hammer, reliability, controls and canary share one
# boot of the kcsan kernel, and likewise for kasan; the end of the stream
# is a table of each group's wall time (nothing is asserted about it).
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
export TAP_LOGDIR=$repo/build/logs/check
# shellcheck source=lib/tap.sh
. selftests/lib/tap.sh
mkdir -p "$TAP_LOGDIR"
groups=${*:-build unit lkmm kcsan kasan hammer controls reliability bench canary}
vm=selftests/vm/vm-run.sh
start=$SECONDS
soak=${CMAP_SOAK:-}
case "$soak" in
''|*[!0-9]*) [ -z "$soak" ] || { echo "CMAP_SOAK must be seconds, got '$soak'" >&2; exit 2; } ;;
esac
# The positive controls: KERNEL:FAULT, one resize race put back each
# (CMAP_FAULT_* in kmod/cmap_core.c, selftests/vm/build-modules.sh).
controls="kcsan:PLAIN_LOOKUP kcsan:UNLOCKED_WRITE kasan:EARLY_FREE"

want() { case " $groups " in *" $1 "*) return 0 ;; esac; return 1; }

# group_time NAME START [NOTE [GROUP...]]: one row of the closing table;
# the GROUPs (default: NAME) ran to their end.
times_table='' finished=' '
group_time() {
	local secs=$((SECONDS - $2)) g
	tap_diag "$1 done in ${secs}s (at $((SECONDS - start))s)"
	times_table+=$(printf '\n%-14s %6d s  %s' "$1" "$secs" "${3:-}")
	for g in "${@:4}"; do finished+="$g "; done
	[ $# -gt 3 ] || finished+="$1 "
}

if ! selftests/vm/setup-host.sh >"$TAP_LOGDIR/setup.log" 2>&1; then
	tap_fail "host set-up (selftests/vm/setup-host.sh)" "$TAP_LOGDIR/setup.log"
	tap_done
	exit 1
fi
group_time setup "$start"

if want build; then
	t0=$SECONDS
	tap_diag "building kernels (cached in ${CMAP_CACHE:-/var/cache/cmap}) and modules"
	# Cold, the two debug kernels build side by side: each one's link is
	# serial and would leave a CPU idle. Then the module builds, side by
	# side too (compile-bound cold; warm they come from ccache).
	for k in kcsan kasan stock; do
		tap_spawn "kernel-$k" selftests/vm/build-kernel.sh $k
	done
	for k in kcsan kasan stock; do
		tap_reap "kernel $k: built (or cached) in ${CMAP_CACHE:-/var/cache/cmap}" "kernel-$k"
		tap_spawn "build-$k" selftests/vm/build-modules.sh $k
	done
	for c in $controls; do
		tap_spawn "build-control-${c#*:}" selftests/vm/build-modules.sh "${c%:*}" "${c#*:}"
	done
	for k in kcsan kasan stock; do
		what="W=1"
		[ $k != kcsan ] || what="W=1 and sparse"
		tap_reap "modules build against the $k kernel, $what, no warnings" "build-$k"
	done
	for c in $controls; do
		tap_reap "positive control ${c#*:} builds against the ${c%:*} kernel" \
			"build-control-${c#*:}"
	done
	tap_run "userspace tools build" build-userspace make -j"$(nproc)" -C userspace
	tap_run "kselftests build (selftests/cmap)" build-selftests make -C selftests/cmap
	ksrc=$(selftests/vm/build-kernel.sh --source)
	selftests/lib/style-check.sh "$ksrc" kmod/*.[ch] kmod/bench/*.[ch] \
		uapi/linux/cmap.h selftests/canary/*.c >"$TAP_LOGDIR/style.tap" 2>&1
	tap_include "style" "$TAP_LOGDIR/style.tap"
	selftests/lib/uapi-check.sh uapi/linux/cmap.h >"$TAP_LOGDIR/uapi.tap" 2>&1
	tap_include "uapi" "$TAP_LOGDIR/uapi.tap"
	group_time build "$t0"
fi

if want unit; then
	t0=$SECONDS
	{ make -s -j"$(nproc)" -C userspace &&
		make -s -j"$(nproc)" -C userspace/coretest builds; } \
		>"$TAP_LOGDIR/unit-build.log" 2>&1 ||
		tap_fail "unit: userspace and core test builds" "$TAP_LOGDIR/unit-build.log"
	(cd userspace/findings/tests && ./test_findings) >"$TAP_LOGDIR/findings-unit.tap" 2>&1
	tap_include "findings parser" "$TAP_LOGDIR/findings-unit.tap"
	(cd userspace/findings/tests && ./run_cli_tests.sh ../cmap-findings) \
		>"$TAP_LOGDIR/findings-cli.tap" 2>&1
	tap_include "cmap-findings CLI" "$TAP_LOGDIR/findings-cli.tap"
	make -s -C userspace/hammer check >"$TAP_LOGDIR/hammer-model.tap" 2>&1
	tap_include "cmap-hammer model checks" "$TAP_LOGDIR/hammer-model.tap"
	# The map core in user space: plain, ASan+UBSan and TSan builds...
	make -s -C userspace/coretest check >"$TAP_LOGDIR/coretest.tap" 2>&1
	tap_include "core (user space)" "$TAP_LOGDIR/coretest.tap"
	# ...and the sanitizers' positive controls: each must catch its race.
	for c in tsan asan; do
		make -s -C userspace/coretest $c-control >"$TAP_LOGDIR/coretest-$c.tap" 2>&1
		tap_include "core (user space)" "$TAP_LOGDIR/coretest-$c.tap"
	done
	group_time unit "$t0"
fi

# The core's ordering argument under the Linux-kernel memory model: each
# guarantee's litmus test "Never", each mutant "Sometimes" (herd7, built
# once into the cache if it is not on PATH).
if want lkmm; then
	t0=$SECONDS
	selftests/lkmm/run.sh >"$TAP_LOGDIR/lkmm.tap" 2>&1
	rc=$?
	tap_include "lkmm" "$TAP_LOGDIR/lkmm.tap"
	[ $rc = 0 ] || tap_fail "lkmm: selftests/lkmm/run.sh exits 0 (got $rc)" "$TAP_LOGDIR/lkmm.tap"
	group_time lkmm "$t0"
fi

# A guest run with 4 vCPUs and 2 GiB (SMP=, MEM=, APPEND= kernel
# arguments to change). The command writes TAP files (TAPS: their names in
# $TAP_LOGDIR, without .tap), which are folded in. Then the console is
# checked for kernel reports: all of it, or with CLEAN_UNTIL=REGEX the
# lines up to the first that matches.
guest_run() {
	local k=$1 name=$2 timeout=$3 t
	shift 3
	local console=$TAP_LOGDIR/$name.console
	for t in ${TAPS:-$name}; do rm -f "$TAP_LOGDIR/$t.tap"; done
	$vm --kernel "$k" --smp "${SMP:-4}" --mem "${MEM:-2G}" --quiet --timeout "$timeout" --log "$console" \
		--out "$repo/build" --append "${APPEND:-}" -- "$*"
	local rc=$?
	for t in ${TAPS:-$name}; do
		[ -f "$TAP_LOGDIR/$t.tap" ] && tap_include "$t" "$TAP_LOGDIR/$t.tap"
	done
	if [ $rc != 0 ]; then
		tap_fail "$name: guest run exits 0 (got $rc)" "$console"
	fi
	# Planted bugs run last, after suite.sh's marker: only the console
	# before it must be clean.
	if [ -n "${CLEAN_UNTIL:-}" ]; then
		sed "/$CLEAN_UNTIL/q" "$console" >"$console.clean"
		console=$console.clean
	fi
	tap_run "$name: console holds no kernel report" "$name-findings" \
		selftests/lib/console-check.sh "$console"
}

# The harness self-check: a planted data race must be named by KCSAN and a
# planted lock inversion by lockdep, on CONSOLE (selftests/canary/).
canary_checks() {
	tap_run "harness self-check: a planted data race is found and named by KCSAN" \
		canary-findings selftests/lib/console-check.sh "$1" \
		--expect 'KCSAN: data-race in canary_read / canary_write'
	tap_run "harness self-check: a planted lock inversion is found and named by lockdep" \
		canary-lockdep-findings selftests/lib/console-check.sh "$1" \
		--expect 'possible deadlock in canary_lock_ba'
}

# Each positive control: one resize race put back, which the checker must
# report (CMAP_FAULT_* in kmod/cmap_core.c). They run last in their
# kernel's suite boot, after suite.sh writes a marker to the kernel log:
# the console before the marker must hold no report, the rest is full of
# reports by design. cmap-hammer reads only what the kernel logs after it
# starts (it seeks /dev/kmsg to its end), so each control is judged by its
# own findings alone. A planted bug may wreck the kernel or wedge cmap:
# PLAIN_LOOKUP's plain loads let the compiler keep a bucket's head across
# a restart, and a reader then spins in the kernel for good, holding the
# module. So only a boot's last control is sure of a sound kernel: the
# first control of a kernel rides its suite boot, any other gets a boot of
# its own (10-15 s), its console clean up to its "cmap-control: FAULT
# begins" mark. In the kcsan boot the canary goes first;
# its lock inversion switches lockdep off, which the KCSAN controls do
# not need (cmap-hammer --expect kcsan requires KCSAN only). Every part
# before the marker has unloaded cmap: a report its code causes has been
# printed by then.

# The kcsan, hammer, reliability and controls groups (and the canary)
# share one boot per kernel (selftests/guest/suite.sh): a boot costs more
# than most parts' own work.
# kmemleak slows every allocation by about a third, so the kasan suite
# boots with kmemleak=off, and the leak-checked load/unload cycles get a
# small kasan boot of their own. Timeouts are generous bounds for a loaded
# host, not expectations.
# make check runs each reliability section in the kernel whose checker it
# feeds most: the kcsan kernel the sections whose point is concurrency
# (rmmod against users, inserters racing at a cap), the kasan kernel those
# whose point is memory (allocation failures in memory cgroups, frees
# charged at max_bytes, scans of long chains in parts into the caller's
# buffer) and the one-line permission probe. Both fuzz and inject faults.
# make soak runs every section in both.
reliability_volume='' soak_extra=0
reliability_kcsan='--skip memcg,perms,chains'
reliability_kasan='--skip unload,cycles,limits'
if [ -n "$soak" ]; then
	reliability_volume=--full soak_extra=1200
	reliability_kcsan='' reliability_kasan='--skip cycles'
fi
guest_suite() {
	local k=$1 parts=() taps='' limit=0 append='' p cmd note t0=$SECONDS
	if want "$k"; then
		parts+=(selftests) limit=$((limit + 900))
	fi
	if want hammer; then
		parts+=("hammer ${soak:-20}") limit=$((limit + 3 * ${soak:-20} + 300))
	fi
	if want reliability; then
		p="reliability $reliability_volume"
		[ "$k" = kcsan ] && p+=" $reliability_kcsan" || p+=" $reliability_kasan"
		parts+=("$p") limit=$((limit + 900 + soak_extra))
	fi
	# The planted bugs come last (see above "Each positive control"):
	# the first in the suite boot, any other in a boot of its own.
	local own= c n=0
	p=
	[ "$k" != kcsan ] || ! want canary || p+=" canary" limit=$((limit + 180))
	if want controls; then
		for c in $controls; do
			[ "${c%:*}" = "$k" ] || continue
			if [ $((n++)) -gt 0 ]; then
				own+=" ${c#*:}"
				continue
			fi
			p+=" ${c#*:}" taps+=" control-${c#*:}" limit=$((limit + 300))
		done
	fi
	[ -z "$p" ] || parts+=("controls$p")
	[ ${#parts[@]} -gt 0 ] || return 0
	[ "$k" != kasan ] || append=kmemleak=off
	cmd="selftests/guest/suite.sh $k '$TAP_LOGDIR'"
	for p in "${parts[@]}"; do
		cmd+=" '$p'"
		[ "${p%% *}" = controls ] || taps+=" $k-${p%% *}"
	done
	TAPS=$taps MEM=1G APPEND=$append \
		CLEAN_UNTIL='cmap-suite: the parts that must leave no report end here' \
		guest_run "$k" "$k-suite" "$limit" "$cmd"
	if [ "$k" = kcsan ] && want canary; then
		canary_checks "$TAP_LOGDIR/$k-suite.console"
	fi
	local t1=$SECONDS
	for c in $own; do
		TAPS=control-$c CLEAN_UNTIL="cmap-control: $c begins" MEM=1G \
			guest_run "$k" "$k-control-$c" 420 \
			"selftests/guest/hammer.sh --control $c > '$TAP_LOGDIR/control-$c.tap' 2>&1"
	done
	[ -z "$own" ] || own="; own boots:$own $((SECONDS - t1))"
	! want reliability ||
		survived "$k" "$TAP_LOGDIR/$k-reliability.tap" "$TAP_LOGDIR/$k-suite.console.clean"
	note=$(awk 'NR == 1 { boot = $2; next } { used += $2; s = s ", " $1 " " $2 }
		END { printf "boot %d, other %d%s", boot, total - used - boot, s }' \
		total=$((t1 - t0)) "$TAP_LOGDIR/$k.times" 2>/dev/null)$own
	group_time "$k suite" "$t0" "$note" $(want "$k" && echo "$k") \
		$(want hammer && echo "hammer-$k") $(want reliability && echo "reliability-$k") \
		$(want controls && echo "controls-$k") \
		$([ "$k" = kcsan ] && want canary && echo canary)
}

# survived NAME TAP CONSOLE: what a reliability run survived, and how many
# kernel reports its guest's console holds (make soak's closing figures).
survived() {
	grep -h '^# survived:' "$2" 2>/dev/null | sed "s/^# /# $1 /"
	tap_diag "$1 findings on the console: $(build/userspace/cmap-findings \
		--json "$3" 2>/dev/null | jq -r .count)"
}

for k in kcsan kasan; do
	guest_suite $k
done

# cmapctl end to end, in the stock kernel: a test of the command line,
# whose ~60 processes would cost half a second each in a debug guest.
if want kcsan; then
	t0=$SECONDS
	SMP=2 MEM=1G guest_run stock cli 300 selftests/cmap/run_guest.sh \
		build/stock/kmod/cmap.ko --cmapctl-only "> '$TAP_LOGDIR/cli.tap' 2>&1"
	group_time "cli (stock)" "$t0" "" kcsan-cli
fi

if want reliability; then
	t0=$SECONDS
	SMP=2 MEM=512M guest_run kasan kasan-leaks $((600 + soak_extra)) \
		"selftests/guest/reliability.sh kasan $reliability_volume --only cycles" \
		"--kmemleak > '$TAP_LOGDIR/kasan-leaks.tap' 2>&1"
	survived "kasan leaks" "$TAP_LOGDIR/kasan-leaks.tap" "$TAP_LOGDIR/kasan-leaks.console"
	group_time "kasan leaks" "$t0" "" reliability-leaks
fi

# The benchmark pipeline, tiny: it runs and its output is well formed.
if want bench; then
	t0=$SECONDS
	userspace/bench/bench-check.sh >"$TAP_LOGDIR/bench.tap" 2>&1
	rc=$?
	tap_include "bench smoke" "$TAP_LOGDIR/bench.tap"
	[ $rc = 0 ] || tap_fail "bench smoke: bench-check.sh exits 0 (got $rc)"
	group_time bench "$t0"
fi

# A group that did not run to its end (a script error, say) is a failure,
# never a quiet skip.
for g in $groups; do
	case $g in
	kcsan) parts="kcsan kcsan-cli" ;;
	hammer) parts="hammer-kcsan hammer-kasan" ;;
	reliability) parts="reliability-kcsan reliability-kasan reliability-leaks" ;;
	controls) parts="controls-kcsan controls-kasan" ;;
	*) parts=$g ;;
	esac
	for p in $parts; do
		case "$finished" in
		*" $p "*) ;;
		*) tap_fail "make check's group $g ran to its end ($p did not)" ;;
		esac
	done
done

tap_diag "wall time per group (host clock, $(nproc) CPUs; boot: guest uptime when its parts began):"
printf '%s\n' "$times_table" | sed '/^$/d; s/^/#   /'
tap_diag "$(printf '%-14s %6d s' total $((SECONDS - start)))"
tap_done
