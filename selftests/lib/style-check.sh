#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel side's style rules, as TAP:
#   - checkpatch.pl --strict clean, file by file;
#   - kernel-doc -Wall clean;
#   - every non-static function has a kernel-doc comment with a Context:
#     section, and a Return: section unless it returns void.
#
#   style-check.sh KSRC FILE...
set -uo pipefail
ksrc=${1:?usage: style-check.sh KSRC FILE...}
shift
tmp=$(mktemp)
# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

# checkpatch FILE: its complaints, if any (nothing when clean).
checkpatch() {
	local ignore=
	# uapi headers cannot use BIT(); (1U << n) is their idiom
	case "$1" in */uapi/*|uapi/*) ignore="--ignore BIT_MACRO" ;; esac
	# shellcheck disable=SC2086
	"$ksrc/scripts/checkpatch.pl" --no-tree --strict -q --terse $ignore \
		-f "$1" 2>&1 | grep -v '^total: ' | grep -v '^$'
}

# One checkpatch per CPU at a time (each takes about a second), the
# results in the order of the arguments.
outs=$(mktemp -d) cpus=$(nproc)
i=0
for f in "$@"; do
	while [ "$(jobs -pr | wc -l)" -ge "$cpus" ]; do wait -n; done
	checkpatch "$f" >"$outs/$i" &
	i=$((i + 1))
done
wait
i=0
for f in "$@"; do
	out=$(cat "$outs/$i")
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
	tap_result "$([ -z "$out" ] && echo 0 || echo 1)" "checkpatch --strict: $f"
	i=$((i + 1))
done
rm -rf "$outs"

out=$("$ksrc/scripts/kernel-doc" -none -Wall "$@" 2>&1)
[ -z "$out" ] || echo "$out" | sed 's/^/# /'
tap_result "$([ -z "$out" ] && echo 0 || echo 1)" "kernel-doc -Wall: $*"

# Non-static function definitions: a line at column 0 that names a
# function and is followed (same or later line) by "{" at column 0.
for f in "$@"; do
	case "$f" in *.c) ;; *) continue ;; esac
	awk '
		/^[A-Za-z_].*\(/ && !/^(static|#|typedef|struct [a-z_]+ \{)/ &&
		    !/;[[:space:]]*$/ {
			sig = $0; pending = 1
			if (sig ~ /\)[[:space:]]*$/) { }
			next
		}
		pending && /^\{/ { print sig; pending = 0; next }
		pending && /;[[:space:]]*$/ { pending = 0 }
		pending { sig = sig " " $0 }
	' "$f" >"$tmp"
	"$ksrc/scripts/kernel-doc" -rst "$f" >"$tmp.rst" 2>/dev/null
	while read -r sig; do
		name=$(echo "$sig" | sed -E 's/\(.*//; s/.*[ *]//')
		doc=$(awk -v fn="$name" '/^\.\. c:/ { on = index($0, " " fn " (") > 0 } on' "$tmp.rst")
		bad=
		echo "$doc" | grep -q '\*\*Context\*\*' || bad="no Context:"
		case "$sig" in
		void\ *|*\ void\ "$name"*) ;;
		*) echo "$doc" | grep -q '\*\*Return\*\*' || bad="$bad no Return:" ;;
		esac
		[ -z "$bad" ] || echo "# $f: $name: $bad"
		what="Context:"
		case "$bad$sig" in void\ *|*\ void\ "$name"*) ;; *) what="Context: and Return:" ;; esac
		tap_result "$([ -z "$bad" ] && echo 0 || echo 1)" "$f: kernel-doc of $name() has $what"
	done <"$tmp"
done
rm -f "$tmp" "$tmp.rst"
tap_done
