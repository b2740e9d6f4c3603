#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cmap-hammer inside a cmap guest, as one TAP stream on stdout.
#
#   hammer.sh FLAVOR [SECONDS]        FLAVOR: kcsan or kasan (default 60 s)
#	Loads build/FLAVOR/kmod/cmap.ko and runs every scenario of
#	cmap-hammer for about SECONDS in all. One test per scenario (no data
#	errors, no findings while it ran), then "no findings", "no data
#	errors", "checkers armed (KCSAN or KASAN present, lockdep on)".
#
#   hammer.sh --control FAULT [SECONDS]
#	FAULT: PLAIN_LOOKUP or UNLOCKED_WRITE (kcsan guest, expect a KCSAN
#	data race) or EARLY_FREE (kasan guest, expects a KASAN
#	use-after-free). Loads the positive-control build of cmap
#	(build/FLAVOR-fault-fault/, selftests/vm/build-modules.sh FLAVOR
#	FAULT) and runs cmap-hammer --expect CLASS for at most SECONDS
#	(default 120): passes only if the expected finding, naming a cmap
#	function, is reported. A finding that does not come is a failure
#	("checker not armed": inconclusive, never a pass).
#
# The reports (human and JSON) are kept in build/logs/hammer/, which the
# host sees. The console of a control guest is full of reports: expected.
set -u
usage() {
	echo "usage: hammer.sh kcsan|kasan [SECONDS]" >&2
	echo "       hammer.sh --control PLAIN_LOOKUP|UNLOCKED_WRITE|EARLY_FREE [SECONDS]" >&2
	exit 64
}
[ $# -ge 1 ] || usage
repo=$(cd "$(dirname "$0")/../.." && pwd)
hammer=$repo/userspace/hammer/cmap-hammer
export TAP_LOGDIR=${HAMMER_LOGDIR:-$repo/build/logs/hammer}
# shellcheck source=../lib/tap.sh
. "$repo/selftests/lib/tap.sh"
mkdir -p "$TAP_LOGDIR" 2>/dev/null || TAP_LOGDIR=/tmp/cmap-hammer-logs
mkdir -p "$TAP_LOGDIR"

# A small stable set (churners hold 6x it): the table grows and shrinks
# many times within a few seconds even in a TCG guest.
keys=${HAMMER_KEYS:-256}
scenarios="stable-lookup racing-writers scan-resize delete-race batch-mix threshold-oscillation"
# The scenarios whose point is a race with a resize: each must have seen
# the table grow and shrink, or it proved nothing (batch-mix is about the
# batch contract, on private key ranges).
resizing="stable-lookup racing-writers scan-resize delete-race threshold-oscillation"

# KCSAN watches one access in ~kcsan.skip_watch for kcsan.udelay_task us
# (defaults 4000 and 80). A race is caught only if the other access comes
# within that delay: stretch it for these short runs (normal runs and
# controls alike, so a clean run had the sensitivity that caught the
# planted race). HAMMER_KCSAN_UDELAY=80 restores the default.
# kcsan_tune [SKIP_WATCH] also watches more often, for a control whose
# race is destructive: the sooner KCSAN sees it, the likelier the guest
# is still alive to report it.
kcsan_param=/sys/module/kcsan/parameters
kcsan_tune() {
	[ -w "$kcsan_param/udelay_task" ] || return 0
	kcsan_saved=$(cat "$kcsan_param/udelay_task")
	kcsan_saved_skip=$(cat "$kcsan_param/skip_watch")
	echo "${HAMMER_KCSAN_UDELAY:-400}" >"$kcsan_param/udelay_task"
	[ -z "${1:-}" ] || echo "$1" >"$kcsan_param/skip_watch"
}
kcsan_restore() {
	[ -n "${kcsan_saved:-}" ] || return 0
	echo "$kcsan_saved" >"$kcsan_param/udelay_task"
	echo "$kcsan_saved_skip" >"$kcsan_param/skip_watch"
}

# A fault build can report the same bug thousands of times (kasan_multi_shot)
# and printing each report on the emulated serial console is slow enough
# to livelock the guest. The reports still reach /dev/kmsg, which is what
# cmap-hammer reads: keep them off the console while a control runs.
console_quiet() {
	printk_saved=$(cut -f1 /proc/sys/kernel/printk)
	echo 1 >/proc/sys/kernel/printk
}
console_restore() {
	[ -n "${printk_saved:-}" ] && echo "$printk_saved" >/proc/sys/kernel/printk
}

# Show a report as TAP diagnostics.
show() { sed 's/^/# /' "$1"; }

# run_hammer JSON LIMIT ARGS...: cmap-hammer ARGS --json-file JSON, stdout
# to $out, stderr to $err; sets rc. A fault build can leave worker threads
# spinning in the kernel forever (a chain corrupted by a use-after-free):
# cmap-hammer then writes its report and _exit()s, but never becomes
# reapable. So wait for the process, or for its complete JSON report plus
# a grace period (rc is then the report's exit code), or LIMIT seconds.
# report_written JSON: cmap-hammer has written its report (it ends in the
# "exit" member), read without forking.
report_written() {
	local text=
	[ -f "$1" ] && IFS= read -r -d '' text <"$1"
	case "$text" in *'"exit"'*'}'*) return 0 ;; esac
	return 1
}

run_hammer() {
	local json=$1 limit=$2 pid waited=0 grace=-1
	shift 2
	rm -f "$json"
	"$hammer" "$@" --json-file "$json" >"$out" 2>"$err" &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		# The report is written once, at the end: a builtin read, not
		# a jq a second (a process costs ~0.5 s in a debug guest).
		if [ $grace -lt 0 ] && report_written "$json"; then
			grace=15
		fi
		if [ $grace -eq 0 ]; then
			rc=$(jq -r .exit "$json")
			tap_diag "cmap-hammer wrote its report but did not exit (threads stuck in the kernel): abandoned"
			return
		fi
		[ $grace -gt 0 ] && grace=$((grace - 1))
		if [ $waited -ge "$limit" ]; then
			kill -9 $pid 2>/dev/null
			rc=124
			tap_diag "cmap-hammer still running after ${limit}s: killed"
			return
		fi
		sleep 1
		waited=$((waited + 1))
	done
	wait $pid
	rc=$?
}

load() {
	local ko=$1
	if [ ! -f "$ko" ]; then
		tap_fail "insmod $ko: not built (selftests/vm/build-modules.sh)"
		return 1
	fi
	if [ ! -x "$hammer" ]; then
		tap_fail "cmap-hammer is built ($hammer: make -C userspace/hammer)"
		return 1
	fi
	rmmod cmap 2>/dev/null
	if ! insmod "$ko" >"$TAP_LOGDIR/insmod.log" 2>&1; then
		tap_fail "insmod $ko" "$TAP_LOGDIR/insmod.log"
		return 1
	fi
	return 0
}

# ---- normal runs: every scenario, zero findings, zero data errors ----
normal() {
	local flavor=$1 secs=$2 name=hammer-$1
	local out=$TAP_LOGDIR/$name.txt json=$TAP_LOGDIR/$name.json rc t0
	local err=$TAP_LOGDIR/$name.stderr
	case "$flavor" in kcsan|kasan) ;; *) usage ;; esac
	tap_diag "kernel $(uname -r), $(nproc) CPUs; cmap-hammer every scenario for ${secs}s"
	load "$repo/build/$flavor/kmod/cmap.ko" || { tap_done; exit; }
	t0=$(date +%s)
	kcsan_tune
	run_hammer "$json" $((secs * 3 + 120)) --duration "$secs" --keys "$keys"
	kcsan_restore
	tap_diag "cmap-hammer exited $rc after $(($(date +%s) - t0))s; report:"
	show "$out"
	if ! jq -e . "$json" >/dev/null 2>&1; then
		tap_fail "cmap-hammer wrote its JSON report" "$TAP_LOGDIR/$name.stderr"
		rmmod cmap
		tap_done
		exit
	fi
	# One jq for the whole report: per scenario "NAME ERRORS FINDINGS OPS
	# GROWS SHRINKS" (or "NAME missing"), then the run's own figures.
	local s line table
	table=$(jq -r --arg names "$scenarios" '
		. as $r | ($names | split(" ")[]) as $s |
		[$r.scenarios[] | select(.name == $s)] |
		if length == 0 then "\($s) missing" else
		"\($s) \(map(.data_errors) | add) \(map(.findings) | add) \(map(.ops) | add) \(map(.grows) | add) \(map(.shrinks) | add)"
		end' "$json")
	while read -r s line; do
		if [ "$line" = missing ]; then
			tap_fail "scenario $s: did not run" "$TAP_LOGDIR/$name.stderr"
			continue
		fi
		# shellcheck disable=SC2086
		set -- $line
		if [ "$1" = 0 ] && [ "$2" = 0 ] && [ "$3" -gt 0 ]; then
			tap_ok "scenario $s: $3 ops, $4 grows, $5 shrinks, no data errors, no findings"
		else
			tap_fail "scenario $s: $3 ops, $1 data errors, $2 findings" "$out"
		fi
		case " $resizing " in *" $s "*)
			if [ "$4" -gt 0 ] && [ "$5" -gt 0 ]; then
				tap_ok "scenario $s: raced resizes ($4 grows, $5 shrinks)"
			else
				tap_fail "scenario $s: raced resizes (got $4 grows, $5 shrinks; a grow and a shrink needed)" "$out"
			fi ;;
		esac
	done <<<"$table"
	local nf nerr armed
	read -r nf nerr armed < <(jq -r '"\(.kernel.report.count) \(.data_errors) \(
		(.kernel.checkers.kcsan or .kernel.checkers.kasan) and
		.kernel.checkers.lockdep and .kernel.lockdep_on_at_end)"' "$json")
	if [ "$nf" = 0 ]; then tap_ok "no findings"; else tap_fail "no findings ($nf found)" "$out"; fi
	if [ "$nerr" = 0 ]; then tap_ok "no data errors"; else tap_fail "no data errors ($nerr found)" "$out"; fi
	if [ "$armed" = true ]; then
		tap_ok "checkers armed (KCSAN or KASAN present, lockdep on)"
	else
		tap_fail "checkers armed (KCSAN or KASAN present, lockdep on)" "$out"
	fi
	if [ $rc = 0 ]; then tap_ok "cmap-hammer exits 0"; else tap_fail "cmap-hammer exits 0 (got $rc)" "$TAP_LOGDIR/$name.stderr"; fi
	if rmmod cmap >"$TAP_LOGDIR/rmmod.log" 2>&1; then
		tap_ok "rmmod cmap"
	else
		tap_fail "rmmod cmap" "$TAP_LOGDIR/rmmod.log"
	fi
	tap_done
}

# ---- positive controls: the planted race must be reported ----
control() {
	local fault=$1 secs=${2:-120} flavor class dir scen skip=
	case "$fault" in
	PLAIN_LOOKUP|plain-lookup)
		fault=PLAIN_LOOKUP flavor=kcsan class=kcsan dir=kcsan-fault-plain-lookup scen=racing-writers ;;
	UNLOCKED_WRITE|unlocked-write)
		# While a resize runs, writers skip their bucket lock: the
		# racing writers' stores to one chain meet KCSAN's
		# ASSERT_EXCLUSIVE_WRITER() in __cmap_publish() and their plain
		# loads of it. The kcsan kernel's DEBUG_OBJECTS_RCU_HEAD turns
		# the resulting double call_rcu() of an entry into a report
		# instead of a corrupted RCU callback list. The racing writers
		# still write into freed entries and crash the guest sooner or
		# later, so KCSAN watches 10x as often here: seen after 5-21 s
		# (after 38-89 s, and once not before a crash, at the default).
		fault=UNLOCKED_WRITE flavor=kcsan class=kcsan
		skip=${HAMMER_KCSAN_SKIP_WATCH:-400}
		dir=kcsan-fault-unlocked-write scen=racing-writers ;;
	EARLY_FREE|early-free)
		fault=EARLY_FREE flavor=kasan class=kasan dir=kasan-fault-early-free scen=racing-writers,stable-lookup ;;
	*) usage ;;
	esac
	local name=control-$dir desc="positive control $fault: $class finding naming cmap reported"
	local out=$TAP_LOGDIR/$name.txt json=$TAP_LOGDIR/$name.json rc t0
	local err=$TAP_LOGDIR/$name.stderr
	tap_diag "kernel $(uname -r), $(nproc) CPUs; $fault build (for the $flavor guest), expecting $class within ${secs}s"
	load "$repo/build/$dir/kmod/cmap.ko" || { tap_done; exit; }
	t0=$(date +%s)
	local mark="cmap-control: $fault begins" killed=
	echo "$mark" >/dev/kmsg
	kcsan_tune $skip
	console_quiet
	run_hammer "$json" $((secs + 120)) --expect "$class" --expect-timeout "$secs" \
		--scenario "$scen" --keys "$keys"
	console_restore
	kcsan_restore
	tap_diag "cmap-hammer exited $rc after $(($(date +%s) - t0))s; report:"
	show "$out"
	# A task that oopses in the kernel is killed (SIGKILL). After its
	# first report, a planted use-after-free goes on reading freed memory
	# until it oopses, in whichever task: when that is the thread that
	# sets up each scenario's map, cmap-hammer dies with no report of its
	# own. Then judge the kernel log since the mark, as cmap-hammer would.
	if [ "$rc" = 137 ] && [ ! -s "$json" ]; then
		tap_diag "cmap-hammer was killed (a task oopsed): judging the kernel log from \"$mark\" on"
		dmesg | sed -n "/$mark/,\$p" |
			"$repo/build/userspace/cmap-findings" --json --module cmap - >"$json"
		show "$json"
		killed=1
	fi
	# The finding must be of the class, involve cmap and name a cmap
	# function among its frames (or a KCSAN access's frames).
	local named
	named=$(jq -r --arg c "$class" '[(.kernel.report // .).findings[] |
		select(.class == $c and .module_involved) |
		select([.frames[], (.accesses // [] | .[].frames[])] |
		       any(test("^_*cmap_")))] | .[0].title // empty' "$json" 2>/dev/null)
	if { [ $rc = 0 ] || [ -n "$killed" ]; } && [ -n "$named" ]; then
		tap_diag "found: $named"
		tap_ok "$desc"
	elif [ $rc = 4 ]; then
		tap_fail "$desc (not seen: checker not armed, inconclusive)" "$out"
	else
		tap_fail "$desc (cmap-hammer exit $rc${named:+, finding $named})" "$TAP_LOGDIR/$name.stderr"
	fi
	rmmod cmap 2>/dev/null || tap_diag "rmmod cmap failed (a fault build: not a test)"
	tap_done
}

if [ "$1" = --control ]; then
	[ $# -ge 2 ] || usage
	control "$2" "${3:-}"
else
	normal "$1" "${2:-60}"
fi
