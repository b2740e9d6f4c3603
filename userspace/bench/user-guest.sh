#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In the guest, with cmap.ko loaded: the user-space comparison of /dev/cmap
# (libcmap) with a BPF hash map (libbpf), then bpftool's view of the BPF map.
#
#   user-guest.sh MODE OUTDIR
#
# Writes OUTDIR/user.jsonl, OUTDIR/bpftool-show.txt, bpftool-dump.txt and
# (not in smoke mode) OUTDIR/user-callers-{cmap-get,cmap-batch_get,bpf}.txt.
set -u
mode=${1:?usage: user-guest.sh smoke|quick|full OUTDIR}
out=${2:?OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
bin=${USER_BENCH:-$here/user_bench}
case "$mode" in
smoke) args="-n 1000 -o 2000 -b 64" ;;
quick) args="-n 10000 -o 50000 -b 256" ;;
*) args="-n 100000 -o 500000 -b 256" ;;
esac
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || exit 1
pin=/sys/fs/bpf/cmap_bench_peer
rm -f "$pin"
# shellcheck disable=SC2086
"$bin" $args --pin "$pin" >"$out/user.jsonl" || exit 1
bpftool map show pinned "$pin" >"$out/bpftool-show.txt" 2>&1
bpftool map dump pinned "$pin" 2>&1 | head -20 >"$out/bpftool-dump.txt"
bpftool -j map dump pinned "$pin" 2>/dev/null | python3 -c \
	'import json,sys; print("entries:", len(json.load(sys.stdin)))' \
	>>"$out/bpftool-dump.txt" 2>&1
rm -f "$pin"

# Where a single GET, a batched GET and the BPF peer spend their time: a
# CPU profile with call graphs of each alone (cpu-clock: TCG has no PMU),
# as shares of user_bench's samples. Skipped without perf, and in the smoke
# run (make check) to keep it short.
perf=${PERF:-perf}
command -v "$perf" >/dev/null || perf=/usr/bin/perf_6.1
if [ "$mode" != smoke ] && command -v "$perf" >/dev/null; then
	for w in cmap-get cmap-batch_get bpf; do
		# shellcheck disable=SC2086
		"$perf" record -q -g -e cpu-clock -F 2000 -a -o /tmp/cmap-user.data -- \
			"$bin" $args --only "$w" >/dev/null || continue
		"$perf" report -i /tmp/cmap-user.data --stdio --children \
			--comms user_bench --percentage relative --sort sym -g none \
			--percent-limit 2 2>/dev/null | grep -v '^$' | head -60 \
			>"$out/user-callers-$w.txt"
	done
	rm -f /tmp/cmap-user.data
fi
exit 0
