#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of cmapctl against a loaded cmap module, as TAP.
#
#   cmapctl_test.sh [PATH-TO-CMAPCTL]
#
# Needs root and /dev/cmap (or CMAP_DEVICE); clears the map. Skips
# (exit 4) when the device is missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ctl=${1:-$here/../../userspace/cmapctl/cmapctl}
dev=${CMAP_DEVICE:-/dev/cmap}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

echo "TAP version 13"
if [ ! -e "$dev" ]; then
	echo "1..0 # SKIP $dev missing: load the cmap module (insmod cmap.ko)"
	exit 4
fi
if [ ! -x "$ctl" ]; then
	echo "1..0 # SKIP $ctl not built (make -C userspace/cmapctl)"
	exit 4
fi

ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -s "$tmp/out" ] && sed 's/^/#   stdout: /' "$tmp/out" | head -5
	[ -s "$tmp/err" ] && sed 's/^/#   stderr: /' "$tmp/err" | head -5
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# slurp VAR FILE: FILE's content into VAR, trailing newlines dropped as
# $(cat FILE) would, without a fork: in a debug guest under TCG every
# process costs about half a second.
slurp() {
	local -n into=$1
	IFS= read -r -d '' into <"$2"
	while [ "${into%$'\n'}" != "$into" ]; do into=${into%$'\n'}; done
}

# t DESC STATUS [--out TEXT] [--err REGEX] [--in FILE] -- CMAPCTL-ARGS...
# Runs cmapctl (stdin from FILE, else /dev/null), checks its exit status,
# that stdout is exactly TEXT and that stderr matches the extended
# regular expression REGEX.
t() {
	local desc=$1 want=$2 out='' err='' hasout=0 in=/dev/null got errtext
	shift 2
	while [ "$1" != -- ]; do
		case $1 in
		--out) out=$2 hasout=1; shift 2 ;;
		--err) err=$2; shift 2 ;;
		--in) in=$2; shift 2 ;;
		esac
	done
	shift
	"$ctl" --device "$dev" "$@" <"$in" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	slurp got "$tmp/out"
	slurp errtext "$tmp/err"
	if [ $rc != "$want" ]; then
		fail "$desc (exit $rc, want $want)"
	elif [ $hasout = 1 ] && [ "$got" != "$out" ]; then
		fail "$desc (stdout differs, want '$out')"
	elif [ -n "$err" ] && ! [[ $errtext =~ $err ]]; then
		fail "$desc (stderr does not match '$err')"
	else
		ok "$desc"
	fi
}

t "clear" 0 -- clear
t "--help teaches with examples" 0 -- --help
grep -q '^Examples:' "$tmp/out" && grep -q 'Exit status' "$tmp/out" &&
	ok "--help has examples and exit codes" || fail "--help content"
t "no command is a usage error" 2 --err "no command given" --
t "unknown command" 2 --err "unknown command 'frob'.*|--help" -- frob
t "unknown option" 2 --err "help" -- --frob get a
t "put" 0 -- put alpha one
t "get" 0 --out one -- get alpha
t "put replaces" 0 -- put alpha two
t "get sees the new value" 0 --out two -- get alpha
t "get of an absent key exits 1" 1 --err "key not found" -- get beta
t "put --noexist on a present key exits 4" 4 --err "already exists" -- --noexist put alpha x
t "put --exist on an absent key exits 1" 1 --err "not found" -- --exist put beta x
t "put --exist replaces" 0 -- --exist put alpha three
t "--noexist with --exist is a usage error" 2 -- --noexist --exist put a b
t "del" 0 -- del alpha
t "del of an absent key exits 1" 1 --err "key not found" -- del alpha
t "put with too few arguments" 2 --err "put takes KEY VALUE" -- put lonely
t "empty key is a usage error" 2 --err "empty" -- put "" v
t "key over 256 bytes is a usage error" 2 --err "longer than 256" -- \
	put "$(printf 'k%.0s' $(seq 257))" v
t "256-byte key works" 0 -- put "$(printf 'k%.0s' $(seq 256))" v
t "empty value works" 0 -- put empty ""
t "get of an empty value" 0 --out "" -- get empty
t "--hex put" 0 -- --hex put 0001 000a0b
t "--hex get" 0 --out 000a0b -- --hex get 0001
t "--hex rejects odd digits" 2 --err "hex" -- --hex put abc 00
t "--hex rejects non-hex" 2 --err "hex" -- --hex put zz 00
t "scan prints binary keys escaped" 0 -- scan
grep -qxF "$(printf '\\x00\\x01\t\\x00\\n\\x0b')" "$tmp/out" &&
	ok "scan escapes control bytes" || fail "scan escapes control bytes"

# load: escapes, bulk, errors.
printf 'tab\\tkey\tline\\nbreak\nback\\\\slash\tv\n\nplain\t\n' >"$tmp/in"
t "load with escapes and a blank line" 0 --in "$tmp/in" -- load -
t "escaped tab in a key" 0 --out "$(printf 'line\nbreak')" -- get "$(printf 'tab\tkey')"
t "escaped backslash" 0 --out v -- get 'back\slash'
printf 'good\t1\nbad line\n' >"$tmp/in"
t "load: a line without TAB exits 6 naming the line" 6 --err "line 2: no TAB" \
	--in "$tmp/in" -- load
printf 'bad\\q\tv\n' >"$tmp/in"
t "load: a bad escape exits 6" 6 --err "line 1" --in "$tmp/in" -- load -
t "load: missing file" 6 --err "cannot open" -- load "$tmp/nonexistent"
t "load: two files is a usage error" 2 -- load a b

t "clear before bulk load" 0 -- clear
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "bulk-%05d\tvalue-%d\n", i, i }' >"$tmp/bulk"
t "load 3000 lines from a file" 0 -- load "$tmp/bulk"
t "a loaded key" 0 --out value-1234 -- get bulk-01234
t "stats" 0 -- stats
grep -Eq '^entries +3000$' "$tmp/out" && ok "stats counts 3000 entries" ||
	fail "stats counts 3000 entries"
t "stats --json" 0 -- stats --json
if command -v python3 >/dev/null; then
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["entries"] == 3000, d; assert len(d["chain_hist"]) == 8' \
		<"$tmp/out" && ok "stats --json is JSON with the counts" ||
		fail "stats --json is JSON with the counts"
else
	grep -q '"entries": 3000' "$tmp/out" && ok "stats --json entries" ||
		fail "stats --json entries"
fi
t "scan" 0 -- scan
sort "$tmp/out" >"$tmp/scanned"
sort "$tmp/bulk" | cmp -s - "$tmp/scanned" && ok "scan returns exactly what was loaded" ||
	fail "scan returns exactly what was loaded"
t "scan --count 7" 0 -- scan --count 7
[ "$(wc -l <"$tmp/out")" = 7 ] && ok "scan --count 7 prints 7 lines" ||
	fail "scan --count 7 prints 7 lines"
t "scan --count 0" 0 --out "" -- scan --count 0
t "scan --count needs a number" 2 --err "number" -- scan --count many
t "scan | load round trip" 0 -- scan
cp "$tmp/out" "$tmp/in"
t "clear" 0 -- clear
t "stats after clear" 0 -- stats --json
grep -q '"entries": 0,' "$tmp/out" && ok "clear empties the map" || fail "clear empties the map"
t "load what scan printed" 0 --in "$tmp/in" -- load
t "round-tripped key" 0 --out value-2999 -- get bulk-02999

# Large input: progress on stderr every 100000 lines read, blank ones
# included (line 100000 is blank here). One line in ten is an entry, so
# a debug guest is not kept busy for minutes; keys repeat, so max_entries
# is no issue.
awk 'BEGIN { for (i = 0; i < 120000; i++) if (i % 10) print ""; else printf "p-%d\t%d\n", i % 500, i }' >"$tmp/in"
t "load 120000 lines reports progress on stderr" 0 \
	--err "100000 lines read, [0-9]+ entries loaded" --in "$tmp/in" -- load
t "the last line of a large load won" 0 --out 119990 -- get p-490

t "info" 0 -- info
grep -Eq '^abi_version +1$' "$tmp/out" && ok "info reports ABI version 1" ||
	fail "info reports ABI version 1"
t "info --json" 0 -- info --json
max=$(sed -n 's/.*"max_entries": \([0-9]*\).*/\1/p' "$tmp/out")

# Map full: only when max_entries is small enough to reach.
if [ -n "$max" ] && [ "$max" -gt 0 ] && [ "$max" -le 50000 ]; then
	t "clear before filling" 0 -- clear
	awk -v n="$max" 'BEGIN { for (i = 0; i <= n; i++) printf "f-%d\tv\n", i }' >"$tmp/in"
	t "load past max_entries exits 5 naming the line" 5 \
		--err "line $((max + 1)): the map is full" --in "$tmp/in" -- load
	t "put into a full map exits 5" 5 --err "max_entries" -- put one-more v
	t "clear a full map" 0 -- clear
else
	skip "map full exits 5" "max_entries=${max:-?}: load the module with max_entries<=50000"
fi

# The device, missing or forbidden.
t "missing device exits 3 with a hint" 3 \
	--err "not found: is the cmap module loaded" -- --device "$tmp/none" get a
perm=$(stat -c %a "$dev")
if [ "$(id -u)" != 0 ]; then
	skip "permission denied exits 3" "needs root"
elif [ "${perm: -1}" != 0 ]; then
	skip "permission denied exits 3" "$dev is mode $perm"
elif command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$ctl" --device "$dev" get a >"$tmp/out" 2>"$tmp/err"
	rc=$?
	# the hint: a group (udev rule) or root, never a world-writable node
	[ $rc = 3 ] && grep -q "permission denied" "$tmp/err" &&
		grep -q "group" "$tmp/err" && ! grep -q "0666" "$tmp/err" &&
		ok "permission denied exits 3 with a hint (a group, not mode=0666)" ||
		fail "permission denied exits 3 with a hint, a group, not mode=0666 (exit $rc: $(cat "$tmp/err"))"
else
	skip "permission denied exits 3" "no setpriv"
fi

# Unloading while the device is open is refused (module refcount).
if [ "$(id -u)" = 0 ] && grep -q '^cmap ' /proc/modules; then
	exec 3<"$dev"
	if rmmod cmap 2>"$tmp/err"; then
		fail "rmmod while /dev/cmap is open is refused"
	else
		ok "rmmod while /dev/cmap is open is refused"
	fi
	exec 3<&-
else
	skip "rmmod while open is refused" "needs root and cmap as a module"
fi

"$ctl" --device "$dev" clear >/dev/null 2>&1
echo "1..$n"
[ $failed = 0 ]
