#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Several of make check's parts in one guest boot: a boot of a debug
# kernel under TCG costs more than most parts' own work, and none of these
# parts leaves its checker switched off (they all demand a clean console).
#
#   suite.sh FLAVOR DIR 'PART [ARG...]'...      FLAVOR: kcsan or kasan
#
#   PART  selftests            guest-tests.sh: core self-test module,
#                              kselftests, cmapctl, tracepoints
#         hammer [SECONDS]     hammer.sh: every cmap-hammer scenario
#         reliability [OPT...] reliability.sh (its options: volumes,
#                              sections, kmemleak)
#         controls ITEM...     last: the planted bugs, each of which must
#                              be reported (ITEM: canary, or a FAULT of
#                              hammer.sh --control); first it writes the
#                              marker line below to the kernel log, and
#                              the host checks only the console before it
#                              for reports
#
# Each part runs in turn, cmap unloaded before and after it. Its TAP goes
# to DIR/FLAVOR-PART.tap, and a line "PART SECONDS" to DIR/FLAVOR.times;
# the host folds both in (selftests/run-checks.sh). The first line of the
# times file is "boot SECONDS": the guest's uptime when the parts began.
set -u
usage() {
	echo "usage: suite.sh kcsan|kasan DIR 'selftests|hammer [S]|reliability [OPT...]|controls ITEM...'..." >&2
	exit 2
}
[ $# -ge 3 ] || usage
flavor=$1 dir=$2
shift 2
case "$flavor" in kcsan|kasan) ;; *) usage ;; esac
here=$(cd "$(dirname "$0")" && pwd)
marker="cmap-suite: the parts that must leave no report end here"
mkdir -p "$dir" || exit 1

# controls ITEM...: the planted bugs, after the marker. Each control's
# cmap-hammer reads only what the kernel logs after it starts.
controls() {
	local item rc=0
	echo "$marker" >/dev/kmsg
	for item in "$@"; do
		if [ "$item" = canary ]; then
			"$here/canary.sh" >"$dir/canary.log" 2>&1 || rc=1
		else
			"$here/hammer.sh" --control "$item" \
				>"$dir/control-$item.tap" 2>&1 || rc=1
		fi
	done
	return $rc
}
times=$dir/$flavor.times

echo "boot $(cut -d. -f1 /proc/uptime)" >"$times"
rc=0
for part in "$@"; do
	read -r -a args <<<"$part"
	name=${args[0]}
	t0=$SECONDS
	case "$name" in
	selftests) "$here/guest-tests.sh" "$flavor" "${args[@]:1}" ;;
	hammer|reliability) "$here/$name.sh" "$flavor" "${args[@]:1}" ;;
	controls) controls "${args[@]:1}" ;;
	*) usage ;;
	esac >"$dir/$flavor-$name.tap" 2>&1 || rc=1
	echo "$name $((SECONDS - t0))" >>"$times"
	# A part that failed half-way may leave cmap loaded: not the next's.
	! grep -q '^cmap ' /proc/modules || rmmod cmap 2>/dev/null
done
exit $rc
