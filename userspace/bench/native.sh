#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# On the host (no VM): cmap's user-space core vs liburcu's cds_lfht, at 1
# and 2 threads, then instructions per lookup and per insert under
# valgrind --tool=callgrind (only the function count_phase is counted).
#
#   native.sh MODE OUTDIR      writes OUTDIR/native.jsonl, OUTDIR/callgrind.json
#                              and OUTDIR/callgrind-BACKEND-OP.txt (per function)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:?usage: native.sh smoke|quick|full OUTDIR}
out=${2:?OUTDIR}
bin=$here/native_bench
case "$mode" in
smoke) sizes="1000" ms=50 cn=1000 ck=2000 ;;
quick) sizes="10000 100000" ms=300 cn=10000 ck=20000 ;;
*) sizes="1000 10000 100000 1000000" ms=1000 cn=100000 ck=100000 ;;
esac
make -s -C "$here" native_bench
mkdir -p "$out"
: >"$out/native.jsonl"
rc=0
for n in $sizes; do
	for t in 1 2; do
		echo "native: n=$n threads=$t" >&2
		# a time limit: a table whose resizing falls behind must not
		# hang make bench (the report then shows the run as missing)
		timeout 900 "$bin" -n "$n" -t "$t" -m "$ms" >"$out/native.tmp" ||
			{ rc=1; echo "native: n=$n threads=$t failed or timed out" >&2; }
		sed "s/}\$/,\"key_bytes\":8}/" "$out/native.tmp" >>"$out/native.jsonl"
	done
done

backends=$("$bin" -n 1 -m 1 -w read | sed -n 's/.*"backend":"\([a-z]*\)".*/\1/p' | tr '\n' ' ')
json="{\"n\":$cn,\"ops\":$ck"
for be in $backends; do
	json+=",\"$be\":{"
	sep=
	for w in lookup insert; do
		f=$(mktemp "$out/callgrind.XXXXXX")
		timeout 900 valgrind --tool=callgrind --toggle-collect=count_phase \
			--callgrind-out-file="$f" "$bin" --count -b "$be" -w "$w" \
			-n "$cn" -k "$ck" 2>/dev/null
		ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$f" | head -1)
		# where the instructions go, function by function (the report
		# quotes these when a target is missed)
		callgrind_annotate --auto=no "$f" 2>/dev/null | sed -n '/PROGRAM TOTALS/p; /file:function/,$p' | grep -v '^---' |
			grep -v '^$' | head -24 >"$out/callgrind-$be-$w.txt" || true
		rm -f "$f"
		json+="$sep\"$w\":$(awk -v a="$ir" -v b="$ck" 'BEGIN{printf "%.1f", a/b}')"
		sep=,
	done
	json+="}"
done
echo "$json}" >"$out/callgrind.json"
cat "$out/callgrind.json" >&2
rm -f "$out/native.tmp"
exit $rc
