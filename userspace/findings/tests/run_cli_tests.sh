#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# TAP tests for the cmap-findings CLI (exit codes, --expect, --json via jq).
# usage: run_cli_tests.sh PATH/TO/cmap-findings   (run from tests/)
BIN=${1:-../cmap-findings}
FX=fixtures
n=0
fail=0
t() {	# t DESCRIPTION EXPECTED-RC CMD...
	desc=$1; want=$2; shift 2
	"$@" >/dev/null 2>&1
	rc=$?
	n=$((n + 1))
	if [ "$rc" -eq "$want" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (rc=$rc, want $want)"
		fail=$((fail + 1))
	fi
}

t "clean boot log: exit 0" 0 "$BIN" "$FX/clean_boot.log"
# Real serial consoles of our own QEMU guests (selftests/vm/vm-run.sh).
t "real KCSAN guest boot + cmap load/unload: no findings" 0 "$BIN" "$FX/real_kcsan_clean_boot.console"
t "real planted race: KCSAN finding named after the racing functions" 0 "$BIN" --expect "KCSAN: data-race in canary_read / canary_write" "$FX/real_kcsan_canary.console"
n=$((n + 1))
if "$BIN" --json "$FX/real_kcsan_canary.console" | jq -e '.findings[0].module_involved == false' >/dev/null; then
	echo "ok $n - another module named cmap_* is not cmap"
else
	echo "not ok $n - another module named cmap_* is not cmap"; fail=$((fail + 1))
fi
# jt DESCRIPTION FIXTURE JQ-FILTER: the --json report satisfies the filter.
jt() {
	n=$((n + 1))
	if "$BIN" --json "$FX/$2" | jq -e "$3" >/dev/null 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"; fail=$((fail + 1))
	fi
}
# A kcsan guest: the lockdep canary (cmap_race_canary.ko lockdep=1), then
# the UNLOCKED_WRITE control build under cmap-hammer --expect kcsan.
uc=real_kcsan_lockdep_ucontrol.console
jt "real lockdep splat: possible deadlock in canary_lock_ba, cmap not involved" $uc \
	'[.findings[] | select(.title == "possible deadlock in canary_lock_ba" and .class == "lockdep" and (.module_involved | not) and .frames[0] == "canary_lock_ba")] | length == 1'
jt "real lockdep splat: coverage ends with it" $uc \
	'.lockdep_off.reason == "possible deadlock in canary_lock_ba" and .lockdep_off.time == 18.629587'
jt "real ODEBUG double call_rcu: WARNING: ODEBUG bug in cmap_update, twice" $uc \
	'[.findings[] | select(.title == "WARNING: ODEBUG bug in cmap_update" and .class == "warning" and .module_involved and .count == 2)] | length == 1'
jt "real KCSAN race of unlocked writers: __cmap_publish / cmap_lock_newest" $uc \
	'([.findings[] | select(.title == "KCSAN: data-race in __cmap_publish / cmap_lock_newest" and .module_involved and .accesses[0].frames[0] == "__cmap_publish")] | length == 1) and .count == 3'
# A kasan guest: the EARLY_FREE control build under cmap-hammer --expect
# kasan (a table freed without a grace period), then what followed.
ef=real_kasan_early_free.console
jt "real KASAN report: slab-use-after-free Read in cmap_future, via cmap_lookup" $ef \
	'[.findings[] | select(.title == "KASAN: slab-use-after-free Read in cmap_future" and .class == "kasan" and .module_involved and .frames[1] == "cmap_lookup")] | length == 1'
jt "real KASAN guest: the general protection fault that followed, in cmap_lookup" $ef \
	'[.findings[] | select(.title == "general protection fault in cmap_lookup" and .class == "gpf")] | length == 1'
jt "real KASAN guest: lockdep coverage ends at the taint" $ef \
	'.lockdep_off.reason == "Disabling lock debugging due to kernel taint"'
t "findings: exit 1" 1 "$BIN" "$FX/kcsan.log"
t "stdin input" 1 sh -c "\"$BIN\" - < $FX/warning.log"
t "missing file: exit 2" 2 "$BIN" "$FX/does-not-exist.log"
t "bad option: exit 2" 2 "$BIN" --bogus
t "--expect class present: exit 0" 0 "$BIN" --expect kcsan "$FX/kcsan.log"
t "--expect title substring present: exit 0" 0 "$BIN" --expect "possible deadlock in cmap_resize" "$FX/lockdep_circular.log"
t "--expect absent: exit 3" 3 "$BIN" --expect kasan "$FX/kcsan.log"
t "--expect on clean log: exit 3 (checker not armed)" 3 "$BIN" --expect lockdep "$FX/clean_boot.log"
t "two --expect, one missing: exit 3" 3 "$BIN" --expect kcsan --expect lockdep "$FX/kcsan.log"
t "--json with --expect present: exit 0" 0 "$BIN" --json --expect=warning "$FX/warning.log"

out=$("$BIN" --expect kcsan "$FX/kcsan.log")
n=$((n + 1))
case $out in
*"expected 'kcsan' seen: KCSAN: data-race in cmap_insert / cmap_lookup"*) echo "ok $n - --expect prints the matching finding";;
*) echo "not ok $n - --expect prints the matching finding"; fail=$((fail + 1));;
esac

if command -v jq >/dev/null 2>&1; then
	for f in "$FX"/*; do
		n=$((n + 1))
		if "$BIN" --json "$f" | jq -e '.findings | type == "array"' >/dev/null 2>&1; then
			echo "ok $n - valid JSON for $(basename "$f")"
		else
			echo "not ok $n - valid JSON for $(basename "$f")"; fail=$((fail + 1))
		fi
	done
	n=$((n + 1))
	got=$("$BIN" --json "$FX/kcsan.log" | jq -r '[.count, .findings[0].count, .findings[0].accesses[1].frames[0], .findings[0].module_involved] | @tsv')
	if [ "$got" = "$(printf '3\t2\tcmap_lookup\ttrue')" ]; then
		echo "ok $n - JSON fields (count, folded count, access frames, module)"
	else
		echo "not ok $n - JSON fields: $got"; fail=$((fail + 1))
	fi
	n=$((n + 1))
	got=$("$BIN" --json "$FX/lost.kmsg" | jq -r '.lost_records')
	if [ "$got" = 7 ]; then echo "ok $n - JSON lost_records"; else echo "not ok $n - JSON lost_records=$got"; fail=$((fail + 1)); fi
	n=$((n + 1))
	got=$("$BIN" --json "$FX/lockdep_circular.log" | jq -r '.lockdep_off.time')
	if [ "$got" = 40.100002 ]; then echo "ok $n - JSON lockdep_off.time"; else echo "not ok $n - JSON lockdep_off.time=$got"; fail=$((fail + 1)); fi
	n=$((n + 1))
	if "$BIN" --json "$FX/clean_boot.log" | jq -e '.count == 0 and .findings == [] and .lockdep_off == null' >/dev/null; then
		echo "ok $n - JSON for clean log"
	else
		echo "not ok $n - JSON for clean log"; fail=$((fail + 1))
	fi
	n=$((n + 1))
	all=$(cat "$FX"/*.log | "$BIN" --json - | jq -r '.count')
	if [ "$all" -ge 18 ]; then echo "ok $n - concatenated fixtures ($all findings)"; else echo "not ok $n - concatenated fixtures ($all)"; fail=$((fail + 1)); fi
else
	n=$((n + 1)); echo "ok $n # SKIP jq not installed"
fi
echo "1..$n"
[ "$fail" -eq 0 ]
