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
# own copy of the sources, built in $CMAP_CACHE/modules/NAME (a path that
# does not depend on where the checkout is), and the modules are copied to
#   build/FLAVOR/kmod/*.ko          cmap.ko and its companions
#   build/FLAVOR/canary/*.ko        the harness's planted-race module
# Always W=1; C=1 (sparse) as well for the kcsan kernel. Log: build/NAME.log
#
# The compiler runs through ccache (selftests/vm/setup-host.sh installs
# it; its cache is $CMAP_CACHE/ccache): a fresh clone builds its six module
# sets from the cache, since the build path, and so every path the
# compiler sees, is the same for every clone. ccache replays each
# compiler's warnings with the object; sparse and modpost still run.
# CMAP_CCACHE=0 builds without it. Builds of one NAME are serialized.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${CMAP_CACHE:-/var/cache/cmap}
if [ "${CMAP_CCACHE:-1}" != 0 ] && [ -d /usr/lib/ccache ]; then
	export PATH=/usr/lib/ccache:$PATH
	export CCACHE_DIR=$cache/ccache CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-2G}
fi
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
work=$cache/modules/$name
dst=$repo/build/$name
log=$repo/build/$name.log
mkdir -p "$work" "$dst"
exec 9>"$work.lock"
flock 9

# By content, not times: a changed file gets a new mtime, so kbuild
# rebuilds what depends on it even if the last build there was newer.
sync_src() {
	rsync -rlpc --delete-after --exclude '*.o' --exclude '*.ko' \
		--exclude '.*.cmd' "$@"
}
sync_src "$repo/Kbuild" "$repo/kmod" "$repo/uapi" "$work/"
sync_src "$repo/selftests/canary/" "$work/canary/"
find "$work" -name '*.ko' -delete

[ "$flavor" != kcsan ] || [ -n "$fault" ] || extra+=(C=1)
# A positive control needs cmap.ko alone, not its companions.
builds=("$work modules" "$work/canary modules")
[ -z "$fault" ] || builds=("$work kmod/cmap.ko")
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
rsync -a --delete -m --include '*/' --include '*.ko' --exclude '*' "$work/" "$dst/"
echo "build-modules: $name: $(cd "$dst" && find . -name '*.ko' | sort | tr '\n' ' ')" >&2
