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
