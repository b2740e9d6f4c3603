#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build cmap's kernel modules against one kernel and fail on any compiler
# or sparse warning:
#
#   build-modules.sh kcsan|kasan|stock [FAULT]
#
# FAULT (PLAIN_LOOKUP, EARLY_FREE or UNLOCKED_WRITE) builds a positive
# control instead: cmap.ko alone with one classic resize race deliberately
# put back (-DCMAP_FAULT_FAULT; see kmod/cmap_core.c), in
# build/FLAVOR-fault-fault/.
# No normal build can reach those code paths.
#
# Out-of-tree builds write next to their sources, so each kernel gets its
# own copy of the sources in build/FLAVOR/ and the modules end up in
#   build/FLAVOR/kmod/*.ko          cmap.ko and its companions
#   build/FLAVOR/canary/*.ko        the harness's planted-race module
# Always W=1; C=1 (sparse) as well for the kcsan kernel. Log: build/FLAVOR.log
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
flavor=${1:?usage: build-modules.sh kcsan|kasan|stock [FAULT]}
fault=${2:-}
kdir=$("$here/build-kernel.sh" "$flavor")
name=$flavor
extra=(W=1)
if [ -n "$fault" ]; then
	case "$fault" in
	PLAIN_LOOKUP|EARLY_FREE|UNLOCKED_WRITE) ;;
	*) echo "build-modules: unknown fault '$fault'" >&2; exit 2 ;;
	esac
	name=$flavor-fault-$(echo "$fault" | tr 'A-Z_' 'a-z-')
	extra+=("KCFLAGS=-DCMAP_FAULT_$fault")
fi
dst=$repo/build/$name
log=$repo/build/$name.log
mkdir -p "$dst"

rsync -a --delete-after --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
	"$repo/Kbuild" "$repo/kmod" "$repo/uapi" "$dst/"
rsync -a "$repo/selftests/canary/" "$dst/canary/"

[ "$flavor" != kcsan ] || [ -n "$fault" ] || extra+=(C=1)
# A positive control needs cmap.ko alone, not its companions.
builds=("$dst modules" "$dst/canary modules")
[ -z "$fault" ] || builds=("$dst kmod/cmap.ko")
: >"$log"
for b in "${builds[@]}"; do
	m=${b% *}
	make -j"$(nproc)" -C "$kdir" M="$m" "${extra[@]}" "${b##* }" >>"$log" 2>&1 || {
		tail -30 "$log" >&2
		echo "build-modules: $flavor: build of $m failed; log: $log" >&2
		exit 1
	}
done
if grep -E '(warning|error):' "$log" >&2; then
	echo "build-modules: $flavor: the build is not warning-free; log: $log" >&2
	exit 1
fi
echo "build-modules: $name: $(cd "$dst" && find . -name '*.ko' | sort | tr '\n' ' ')" >&2
