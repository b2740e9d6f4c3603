# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# A small TAP producer for cmap's test runner. Source it, call tap_* for
# each test, then tap_done, which prints the plan and the closing line
# "N passed, N failed, N skipped" and returns non-zero if anything failed.
# Subtests of a TAP-speaking program are flattened into this stream, each
# line prefixed with the group's name, so one count covers everything.

TAP_N=0 TAP_PASS=0 TAP_FAIL=0 TAP_SKIP=0
TAP_LOGDIR=${TAP_LOGDIR:-build/logs}

tap_ok() {
	TAP_N=$((TAP_N + 1)) TAP_PASS=$((TAP_PASS + 1))
	echo "ok $TAP_N - $*"
}

# tap_fail DESCRIPTION [DIAGNOSTIC-FILE]: the file's tail is shown as '#'.
tap_fail() {
	TAP_N=$((TAP_N + 1)) TAP_FAIL=$((TAP_FAIL + 1))
	echo "not ok $TAP_N - $1"
	if [ -n "${2:-}" ] && [ -f "$2" ]; then
		tail -n 25 "$2" | sed 's/^/#   /'
		echo "#   (full log: $2)"
	fi
}

# tap_result STATUS DESCRIPTION: ok if STATUS is 0, else not ok.
tap_result() {
	if [ "$1" = 0 ]; then tap_ok "$2"; else tap_fail "$2"; fi
}

tap_skip() {
	TAP_N=$((TAP_N + 1)) TAP_SKIP=$((TAP_SKIP + 1))
	echo "ok $TAP_N - $1 # SKIP ${2:-}"
}

tap_diag() { echo "# $*"; }

# tap_run DESCRIPTION LOGNAME COMMAND...: one test, passing iff COMMAND
# exits 0; its output goes to $TAP_LOGDIR/LOGNAME.log.
tap_run() {
	local desc=$1 log=$TAP_LOGDIR/$2.log
	shift 2
	mkdir -p "$TAP_LOGDIR"
	if "$@" >"$log" 2>&1; then tap_ok "$desc"; else tap_fail "$desc" "$log"; fi
}

# tap_spawn LOGNAME COMMAND...: start COMMAND in the background, its output
# to $TAP_LOGDIR/LOGNAME.log; tap_reap DESCRIPTION LOGNAME waits for it and
# reports it as tap_run would: independent steps run side by side, and
# their results keep their order.
declare -A TAP_PIDS=()
tap_spawn() {
	local log=$TAP_LOGDIR/$1.log
	mkdir -p "$TAP_LOGDIR"
	"${@:2}" >"$log" 2>&1 &
	TAP_PIDS[$1]=$!
}

tap_reap() {
	local log=$TAP_LOGDIR/$2.log
	if wait "${TAP_PIDS[$2]}"; then tap_ok "$1"; else tap_fail "$1" "$log"; fi
	unset "TAP_PIDS[$2]"
}

# tap_include GROUP FILE: fold the TAP results in FILE into this stream.
# A group whose file has no result lines at all, or whose plan promises
# more results than it holds, counts as one failure.
tap_include() {
	local group=$1 file=$2 line plan='' seen=0 rest
	while IFS= read -r line; do
		case "$line" in
		"ok "*" # SKIP"*|"ok "*" # skip"*)
			rest=${line#ok }; rest=${rest#* }; rest=${rest#- }
			seen=$((seen + 1)); tap_skip "$group: ${rest%% # [Ss][Kk][Ii][Pp]*}" "${rest#* # [Ss][Kk][Ii][Pp]}" ;;
		"ok "*)
			rest=${line#ok }; rest=${rest#* }; rest=${rest#- }
			seen=$((seen + 1)); tap_ok "$group: $rest" ;;
		"not ok "*)
			rest=${line#not ok }; rest=${rest#* }; rest=${rest#- }
			seen=$((seen + 1)); tap_fail "$group: $rest" ;;
		"1..0 # "[Ss][Kk][Ii][Pp]*)
			plan=0; seen=$((seen + 1))
			tap_skip "$group: the whole program" "${line#1..0 # [Ss][Kk][Ii][Pp]}" ;;
		1..*) plan=${line#1..}; plan=${plan%% *} ;;
		esac
	done < <(sed 's/\r$//; s/^[[:space:]]*//' "$file" | grep -E '^(ok |not ok |1\.\.)' || true)
	if [ $seen = 0 ] && [ "${plan:-x}" != 0 ]; then
		tap_fail "$group: produced no test results" "$file"
	elif [ -n "$plan" ] && [ "$plan" -gt $seen ] 2>/dev/null; then
		tap_fail "$group: planned $plan results, got $seen" "$file"
	fi
}

tap_done() {
	echo "1..$TAP_N"
	if [ $TAP_SKIP -gt 0 ]; then
		echo "$TAP_PASS passed, $TAP_FAIL failed, $TAP_SKIP skipped"
	else
		echo "$TAP_PASS passed, $TAP_FAIL failed"
	fi
	[ $TAP_FAIL = 0 ]
}
