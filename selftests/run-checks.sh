#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every cmap test, as one TAP stream ending in "N passed, N failed":
# what `make check` runs (and .ci/run through it). Logs: build/logs/check/.
#
#   run-checks.sh [GROUP...]    groups: build unit kcsan kasan hammer
#                               controls reliability bench canary
#                               (default: all, in that order)
#
# CMAP_SOAK=SECONDS (make soak) stretches the hammer and reliability runs
# to about that long each.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
export TAP_LOGDIR=$repo/build/logs/check
# shellcheck source=lib/tap.sh
. selftests/lib/tap.sh
mkdir -p "$TAP_LOGDIR"
groups=${*:-build unit kcsan kasan hammer controls reliability bench canary}
vm=selftests/vm/vm-run.sh
start=$SECONDS
soak=${CMAP_SOAK:-}
case "$soak" in
''|*[!0-9]*) [ -z "$soak" ] || { echo "CMAP_SOAK must be seconds, got '$soak'" >&2; exit 2; } ;;
esac

want() { case " $groups " in *" $1 "*) return 0 ;; esac; return 1; }
elapsed() { tap_diag "$1 done at $((SECONDS - start))s"; }

if ! selftests/vm/setup-host.sh >"$TAP_LOGDIR/setup.log" 2>&1; then
	tap_fail "host set-up (selftests/vm/setup-host.sh)" "$TAP_LOGDIR/setup.log"
	tap_done
	exit 1
fi

if want build; then
	tap_diag "building kernels (cached in ${CMAP_CACHE:-/var/cache/cmap}) and modules"
	for k in kcsan kasan stock; do
		what="W=1"
		[ $k != kcsan ] || what="W=1 and sparse"
		tap_run "modules build against the $k kernel, $what, no warnings" \
			"build-$k" selftests/vm/build-modules.sh $k
	done
	for c in kcsan:PLAIN_LOOKUP kcsan:UNLOCKED_WRITE kasan:EARLY_FREE; do
		tap_run "positive control ${c#*:} builds against the ${c%:*} kernel" \
			"build-control-${c#*:}" selftests/vm/build-modules.sh ${c%:*} ${c#*:}
	done
	tap_run "userspace tools build" build-userspace make -C userspace
	tap_run "kselftests build (selftests/cmap)" build-selftests make -C selftests/cmap
	ksrc=$(selftests/vm/build-kernel.sh --source)
	selftests/lib/style-check.sh "$ksrc" kmod/*.[ch] kmod/bench/*.[ch] \
		uapi/linux/cmap.h selftests/canary/*.c >"$TAP_LOGDIR/style.tap" 2>&1
	tap_include "style" "$TAP_LOGDIR/style.tap"
	selftests/lib/uapi-check.sh uapi/linux/cmap.h >"$TAP_LOGDIR/uapi.tap" 2>&1
	tap_include "uapi" "$TAP_LOGDIR/uapi.tap"
	elapsed build
fi

if want unit; then
	make -s -C userspace >"$TAP_LOGDIR/unit-build.log" 2>&1 ||
		tap_fail "unit: userspace build" "$TAP_LOGDIR/unit-build.log"
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
	elapsed unit
fi

# A guest run with 4 vCPUs and 2 GiB (SMP=, MEM= to change): the TAP the
# command prints is folded in. Unless EXPECT_REPORTS=1 (positive
# controls), the console is then checked for kernel reports.
guest_run() {
	local k=$1 name=$2 timeout=$3
	shift 3
	local console=$TAP_LOGDIR/$name.console tap=$TAP_LOGDIR/$name.tap
	rm -f "$tap"
	$vm --kernel "$k" --smp "${SMP:-4}" --mem "${MEM:-2G}" --quiet --timeout "$timeout" --log "$console" \
		--out "$repo/build" -- "$* > '$tap' 2>&1"
	local rc=$?
	[ -f "$tap" ] && tap_include "$name" "$tap"
	if [ $rc != 0 ]; then
		tap_fail "$name: guest run exits 0 (got $rc)" "$console"
	fi
	[ "${EXPECT_REPORTS:-0}" = 1 ] ||
		tap_run "$name: console holds no kernel report" "$name-findings" \
			selftests/lib/console-check.sh "$console"
}

for k in kcsan kasan; do
	want $k || continue
	guest_run $k "$k-guest" 900 selftests/guest/guest-tests.sh $k
	elapsed "$k guest"
done

# cmap-hammer: every scenario on the normal build in both debug guests...
if want hammer; then
	for k in kcsan kasan; do
		guest_run $k "$k-hammer" $((900 + 2 * ${soak:-0})) \
			selftests/guest/hammer.sh $k "${soak:-60}"
	done
	elapsed hammer
fi

# ...and each positive control: one resize race put back, which the
# checker must report. The consoles are full of reports by design.
if want controls; then
	for c in kcsan:PLAIN_LOOKUP kcsan:UNLOCKED_WRITE kasan:EARLY_FREE; do
		EXPECT_REPORTS=1 guest_run ${c%:*} "control-${c#*:}" 600 \
			selftests/guest/hammer.sh --control ${c#*:}
	done
	elapsed controls
fi

# Faults, fuzzing, unload and limits (issue 7), bounded. Small guests:
# in the kasan one kmemleak scans all of memory after each of the 20
# unloads (8-10 s a scan with 512 MiB, 10-12 s with 1 GiB, 15-19 s with
# 2 GiB).
if want reliability; then
	for k in kasan kcsan; do
		mem=1G
		[ $k != kasan ] || mem=512M
		SMP=2 MEM=$mem guest_run $k "$k-reliability" $((1800 + 3 * ${soak:-0})) \
			selftests/guest/reliability.sh $k ${soak:+--soak "$soak"}
	done
	elapsed reliability
fi

# The benchmark pipeline, tiny: it runs and its output is well formed.
if want bench; then
	userspace/bench/bench-check.sh >"$TAP_LOGDIR/bench.tap" 2>&1
	rc=$?
	tap_include "bench smoke" "$TAP_LOGDIR/bench.tap"
	[ $rc = 0 ] || tap_fail "bench smoke: bench-check.sh exits 0 (got $rc)"
	elapsed bench
fi

if want canary; then
	console=$TAP_LOGDIR/canary.console
	$vm --kernel kcsan --smp 2 --quiet --timeout 180 --log "$console" -- \
		selftests/guest/canary.sh >"$TAP_LOGDIR/canary.log" 2>&1
	tap_run "harness self-check: a planted data race is found and named by KCSAN" \
		canary-findings selftests/lib/console-check.sh "$console" \
		--expect 'KCSAN: data-race in canary_read / canary_write'
	tap_run "harness self-check: a planted lock inversion is found and named by lockdep" \
		canary-lockdep-findings selftests/lib/console-check.sh "$console" \
		--expect 'possible deadlock in canary_lock_ba'
	elapsed canary
fi

tap_done
