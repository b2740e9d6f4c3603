#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one of cmap's kernels under QEMU TCG, run one command inside the
# guest and return that command's exit status.
#
#   vm-run.sh [--kernel kcsan|kasan|stock] [--smp N] [--mem SIZE]
#             [--timeout SECONDS] [--log FILE] [--out DIR] [--quiet]
#             [--append "kernel args"] -- COMMAND...
#
# The guest sees the host's root file system read-only at the same paths, so
# it runs the project's freshly built module, binaries and tests (and the
# host's perf and bpftool) where they are. --out DIR (default: build/ in the
# checkout) is shared read-write at the same path: what the guest writes
# there comes back. The command runs with /bin/sh in the host's current
# directory; /tmp, /run and /root are fresh tmpfs.
#
# The serial console goes to --log (default build/logs/KERNEL-TIME.log): the
# ground truth, even if the guest dies. Output from the command start on is
# also streamed to stdout unless --quiet. Every run ends:
#   the command's status   it printed the sentinel line "CMAP-VM-EXIT: N"
#   124                    timeout: the wall-clock limit passed, guest killed
#   125                    the guest died: kernel panic or no sentinel
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${CMAP_CACHE:-/var/cache/cmap}

kernel=kcsan smp=4 mem=2G timeout=600 log='' out=$repo/build quiet=0 append=''
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--) shift; break ;;
	-h|--help) sed -n '3,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d'; exit 0 ;;
	*) echo "vm-run: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "vm-run: no command given (see --help)" >&2; exit 2; }

kdir=$("$here/build-kernel.sh" "$kernel")
if [ "$kernel" = stock ]; then
	image=$cache/stock/$CMAP_STOCK_ABI/vmlinuz
	modroot=$cache/stock/$CMAP_STOCK_ABI/lib/modules/$CMAP_STOCK_ABI
else
	image=$kdir/bzImage
	modroot=
fi

mkdir -p "$out" "$repo/build/logs"
out=$(cd "$out" && pwd)
[ -n "$log" ] || log=$repo/build/logs/$kernel-$(date +%Y%m%d-%H%M%S)-$$.log
initrd=$("$here/mkinitramfs.sh" "$kernel" "$modroot")

cmdfile=$(mktemp "$out/.vm-cmd.XXXXXX")
trap 'rm -f "$cmdfile" "$log.findings"' EXIT
printf '%s\n' "$*" > "$cmdfile"

cmdline="console=ttyS0 loglevel=7 panic=-1 panic_on_warn=0 kasan_multi_shot"
cmdline+=" rcupdate.rcu_cpu_stall_timeout=300 rcupdate.rcu_task_stall_timeout=1200000"
cmdline+=" watchdog_thresh=60 cmap.repo=$repo cmap.out=$out cmap.cmd=$cmdfile cmap.cwd=$PWD $append"

# One boot: QEMU in the background, its pid in $qpid.
boot() {
	: > "$log"
	qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu max \
		-smp "$smp" -m "$mem" -nographic -no-reboot -monitor none -nic none \
		-serial "file:$log" -kernel "$image" -initrd "$initrd" -append "$cmdline" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-virtfs "local,path=$out,mount_tag=outdir,security_model=none,multidevs=remap" \
		</dev/null >"$log.qemu" 2>&1 &
	qpid=$!
}

stop_qemu() {
	kill $qpid 2>/dev/null || true
	sleep 1
	kill -9 $qpid 2>/dev/null || true
	wait $qpid 2>/dev/null || true
}

# A boot that reports a kernel bug (or hangs) before it reaches the command
# never ran any of cmap: under TCG the debug kernels very rarely trip over
# their own early boot (seen once: KASAN "wild-memory-access" in the timer
# interrupt during identify_cpu), and QEMU 7.2's multi-threaded TCG has
# itself died of SIGSEGV once, in CI, while the kcsan kernel enumerated
# PCI. Keep that console and boot once more. The console is judged by
# console-check.sh, as every other console is; $why says what failed.
boot_failed() {
	if grep -q '^CMAP-VM-START' "$log"; then
		return 1
	fi
	if [ $SECONDS -ge $((t0 + boot_limit)) ]; then
		why="no start within ${boot_limit}s"
		return 0
	fi
	"$here/../lib/console-check.sh" "$log" >"$log.findings" 2>&1 && return 1
	why=$(sed -n 's/^\[1\] //p' "$log.findings" | head -1)
	return 0
}

boot_limit=${CMAP_VM_BOOT_LIMIT:-300}
why=
: > "$log"
streamer=
if [ $quiet = 0 ]; then
	# Show what the guest command prints, from its start on.
	tail -F -n +1 "$log" 2>/dev/null | sed -u -n '/^CMAP-VM-START/,$p' | sed -u '/^CMAP-VM-EXIT/q' &
	streamer=$!
fi

deadline=$((SECONDS + timeout))
verdict=
for attempt in 1 2; do
	t0=$SECONDS
	boot
	while kill -0 $qpid 2>/dev/null && [ $SECONDS -lt $deadline ]; do
		sleep 1
		if [ $attempt = 1 ] && boot_failed; then
			stop_qemu
			mv "$log" "$log.boot-failed"
			echo "vm-run: $kernel guest: the kernel failed before the command started ($why); console kept in $log.boot-failed; booting again" >&2
			continue 2
		fi
	done
	if [ $attempt = 1 ] && ! kill -0 $qpid 2>/dev/null &&
	   ! grep -q '^CMAP-VM-START' "$log"; then
		qrc=0
		wait $qpid 2>/dev/null || qrc=$?
		mv "$log" "$log.boot-failed"
		echo "vm-run: $kernel guest: QEMU exited with status $qrc before the command started; console kept in $log.boot-failed; booting again" >&2
		continue
	fi
	break
done
if kill -0 $qpid 2>/dev/null; then
	stop_qemu
	verdict=timeout
fi
wait $qpid 2>/dev/null || true
sleep 0.3
[ -z "$streamer" ] || { pkill -P $streamer 2>/dev/null || true; kill $streamer 2>/dev/null || true; }

rc=$(sed -n 's/^CMAP-VM-EXIT: \([0-9]*\).*/\1/p' "$log" | tail -1)
if [ -n "$rc" ] && [ -z "$verdict" ]; then
	echo "vm-run: $kernel guest: command exited $rc; console log: $log" >&2
	exit "$rc"
fi
if [ "$verdict" = timeout ]; then
	echo "vm-run: $kernel guest: timeout after ${timeout}s, guest killed; console log: $log" >&2
	exit 124
fi
if grep -q 'Kernel panic' "$log"; then
	echo "vm-run: $kernel guest: kernel panic: $(grep -m1 'Kernel panic' "$log"); console log: $log" >&2
else
	echo "vm-run: $kernel guest died without an exit status; console log: $log; qemu: $(tail -3 "$log.qemu")" >&2
fi
exit 125
