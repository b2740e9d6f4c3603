#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check cmap's litmus tests under the Linux-kernel memory model (LKMM,
# tools/memory-model/ of the 6.12 source) with herd7, as TAP.
#
#   run.sh [LITMUS-FILE...]     default: every *.litmus here and in mutants/
#
# Each test declares the result it must have in a comment line
# "Result: Never" (the guarantee holds: the bad outcome in its exists
# clause cannot happen) or "Result: Sometimes" (a mutant: the same test with
# a barrier or release removed, which the model must catch), followed by
# "DATARACE" if the LKMM must also flag a data race (a mutant whose plain
# accesses lost their ordering). One TAP line per file states expected and
# observed; the last line is "N passed, N failed".
#
# herd7 comes from PATH, else from the cache
# ${CMAP_CACHE:-/var/cache/cmap}/herdtools7/VERSION/, else it is built once
# into that cache from a herdtools7 source tarball: $CMAP_HERDTOOLS_TARBALL,
# or ../shared/tools/herdtools7-7.57.tar.gz beside the repository. The
# build installs the Debian packages it needs that are missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cache=${CMAP_CACHE:-/var/cache/cmap}
tarball=${CMAP_HERDTOOLS_TARBALL:-$top/../shared/tools/herdtools7-7.57.tar.gz}
build_pkgs=(ocaml-nox dune menhir libmenhir-ocaml-dev libzarith-ocaml-dev
	ocaml-findlib)

say() { echo "lkmm: $*" >&2; }
die() { say "error: $*"; exit 1; }

no_herd() {
	cat >&2 <<EOF
lkmm: error: herd7 not found: not on PATH, not cached under
lkmm:   $cache/herdtools7/, and no source tarball at
lkmm:   $tarball
lkmm: Get herd7 one of these ways, then run this again:
lkmm:   - opam install herdtools7          (puts herd7 on PATH)
lkmm:   - CMAP_HERDTOOLS_TARBALL=/path/to/herdtools7-7.57.tar.gz $0
lkmm:     (the tag 7.57 source from github.com/herd/herdtools7; it is built
lkmm:     once, about 2 minutes, into the cache)
EOF
	exit 1
}

# Install the Debian packages the build needs, only those missing.
install_build_deps() {
	local p missing=()
	for p in "${build_pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	then
		say "apt-get install failed; refreshing package lists and retrying"
		apt-get update -q >&2
		apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	fi
}

# Build herd7 from $tarball into $dir (bin/herd7 and libdir/), atomically:
# in a temporary directory beside it, moved into place when complete.
build_herd() {
	local dir=$1 tmp src start=$SECONDS
	install_build_deps
	mkdir -p "$(dirname "$dir")"
	tmp=$(mktemp -d "$dir.tmp.XXXXXX")
	# shellcheck disable=SC2064	# expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	say "building herd7 from $tarball into $dir (about 2 minutes)"
	tar -xzf "$tarball" -C "$tmp"
	src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'herdtools7*')
	[ -n "$src" ] || die "no herdtools7* directory in $tarball"
	if ! (cd "$src" && sh version-gen.sh "$dir" &&
	      dune build -j "$(nproc)" herd/herd.exe) >"$tmp/build.log" 2>&1
	then
		tail -n 20 "$tmp/build.log" >&2
		die "herd7 build failed (log above)"
	fi
	mkdir -p "$tmp/out/bin"
	cp "$src/_build/default/herd/herd.exe" "$tmp/out/bin/herd7"
	cp -r "$src/herd/libdir" "$tmp/out/libdir"
	cp "$src/LICENSE.txt" "$tmp/build.log" "$tmp/out/"
	rm -rf "$dir"
	mv "$tmp/out" "$dir"
	rm -rf "$tmp"
	trap - EXIT
	say "herd7 built in $((SECONDS - start))s"
}

# Set herd (the command, as an array) to a working herd7.
find_herd() {
	local version dir
	if command -v herd7 >/dev/null; then
		herd=(herd7)
		return
	fi
	[ -f "$tarball" ] || {
		# any cached version will do
		for dir in "$cache"/herdtools7/*/; do
			[ -x "$dir/bin/herd7" ] || continue
			herd=("$dir/bin/herd7" -I "$dir/libdir")
			return
		done
		no_herd
	}
	version=$(basename "$tarball")
	version=${version#herdtools7-}
	version=${version%.tar.gz}
	dir=$cache/herdtools7/$version
	if [ ! -x "$dir/bin/herd7" ]; then
		mkdir -p "$cache"
		exec 7>"$cache/.lock-herdtools7"
		flock 7
		[ -x "$dir/bin/herd7" ] || build_herd "$dir"
		exec 7>&-
	fi
	herd=("$dir/bin/herd7" -I "$dir/libdir")
}

# judge FILE EXPECTED LOG: run herd7 on FILE, leave its output in LOG and
# set observed to Never/Sometimes/Always, or to an error description.
# Returns 0 iff observed matches EXPECTED.
judge() {
	local file=$1 expected=$2 log=$3
	observed=
	if ! (cd "$lkmm" && "${herd[@]}" -conf linux-kernel.cfg "$file") \
		>"$log" 2>&1; then
		observed="herd7 error"
		return 1
	fi
	observed=$(awk '$1 == "Observation" { print $3; exit }' "$log")
	[ -n "$observed" ] || { observed="no Observation line"; return 1; }
	# A data race makes a test's outcome undefined; only a mutant that
	# plants one may have it, and it must then say "DATARACE".
	if grep -q '^Flag data-race' "$log"; then
		observed="$observed DATARACE"
	fi
	[ "$observed" = "$expected" ]
}

find_herd
ksrc=$("$top/selftests/vm/build-kernel.sh" --source)
lkmm=$ksrc/tools/memory-model
[ -f "$lkmm/linux-kernel.cfg" ] || die "no LKMM in $lkmm"
logdir=${TAP_LOGDIR:-$top/build/logs}/lkmm
mkdir -p "$logdir"
TAP_LOGDIR=$logdir
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$top/selftests/lib/tap.sh"

if [ $# -gt 0 ]; then
	files=("$@")
else
	files=("$here"/*.litmus "$here"/mutants/*.litmus)
fi

echo "TAP version 13"
tap_diag "herd7: ${herd[*]}; model: $lkmm"
for f in "${files[@]}"; do
	f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
	name=${f#"$here"/}
	log=$logdir/$(basename "$f" .litmus).log
	expected=$(grep -m1 -oE 'Result: (Never|Sometimes|Always)( DATARACE)?' \
		"$f" || true)
	expected=${expected#Result: }
	if [ -z "$expected" ]; then
		tap_fail "$name: no 'Result: Never|Sometimes' line"
	elif judge "$f" "$expected" "$log"; then
		tap_ok "$name: expected $expected, observed $observed"
	else
		tap_fail "$name: expected $expected, observed $observed" "$log"
	fi
done

# Negative control of the judging itself: the LKMM's own MP+poonceonces
# (message passing without barriers) is "Sometimes"; expecting "Never" of
# it must be judged a failure, or the harness cannot tell tests apart.
mp=$lkmm/litmus-tests/MP+poonceonces.litmus
if [ $# -eq 0 ] && [ -f "$mp" ]; then
	if judge "$mp" Never "$logdir/selfcheck.log"; then
		tap_fail "harness self-check: MP+poonceonces expected Never was judged a pass (observed $observed)" "$logdir/selfcheck.log"
	elif [ "$observed" = Sometimes ]; then
		tap_ok "harness self-check: MP+poonceonces expected Never is judged a failure (observed Sometimes)"
	else
		tap_fail "harness self-check: MP+poonceonces observed $observed" "$logdir/selfcheck.log"
	fi
fi
tap_done
