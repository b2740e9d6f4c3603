#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build one of cmap's debug guest kernels (kcsan or kasan) from Debian's
# linux-source-6.12, or locate the stock Debian kernel, and print the
# directory that holds it.
#
#   build-kernel.sh kcsan|kasan|stock
#   build-kernel.sh --source        unpack (once) and print the source tree
#
# Debug kernels are tinyconfig + config/base.config + config/FLAVOR.config,
# built out of tree in $CMAP_CACHE (default /var/cache/cmap), keyed by the
# source package version and a hash of the fragments, so an unchanged
# fragment is never rebuilt. The directory printed on stdout holds bzImage,
# .config and Module.symvers and is a valid KDIR for out-of-tree modules.
# Progress goes to stderr; the full build log to build.log in that directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"
cache=${CMAP_CACHE:-/var/cache/cmap}
flavor=${1:?usage: build-kernel.sh kcsan|kasan|stock|--source}
srcver=$CMAP_KSRC_PKG_VERSION
src="$cache/src/linux-$srcver"

say() { echo "build-kernel: $*" >&2; }
die() { say "error: $*"; exit 1; }

# The kernel source, unpacked once for every flavor (and for the tools
# that use its scripts: checkpatch, kernel-doc, the kselftest harness).
unpack_source() {
	local tarball=/usr/src/linux-source-6.12.tar.xz installed
	[ -f "$src/.cmap-unpacked" ] && return 0
	installed=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
	[ "$installed" = "$srcver" ] ||
		die "linux-source-6.12 $srcver needed, found '${installed:-none}': run selftests/vm/setup-host.sh"
	mkdir -p "$cache/src"
	exec 8>"$cache/.lock-src"
	flock 8
	if [ ! -f "$src/.cmap-unpacked" ]; then
		say "unpacking $tarball (about a minute)"
		rm -rf "$src" "$src.tmp"
		mkdir -p "$src.tmp"
		tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
		touch "$src.tmp/.cmap-unpacked"
		mv "$src.tmp" "$src"
	fi
	exec 8>&-
}

if [ "$flavor" = --source ]; then
	unpack_source
	echo "$src"
	exit 0
fi

if [ "$flavor" = stock ]; then
	kdir=/lib/modules/$CMAP_STOCK_ABI/build
	[ -f "$kdir/Module.symvers" ] || kdir=/usr/src/linux-headers-$CMAP_STOCK_ABI
	[ -f "$kdir/Module.symvers" ] ||
		die "no headers for $CMAP_STOCK_ABI: run selftests/vm/setup-host.sh"
	[ -f "$cache/stock/$CMAP_STOCK_ABI/vmlinuz" ] ||
		die "no stock image in $cache/stock: run selftests/vm/setup-host.sh"
	echo "$kdir"
	exit 0
fi

frags=("$here/config/base.config" "$here/config/$flavor.config")
[ -f "${frags[1]}" ] || die "unknown kernel flavor '$flavor' (kcsan, kasan, stock)"

key=$(cat "${frags[@]}" | sha256sum | cut -c1-12)
out="$cache/kernels/$srcver-$flavor-$key"

if [ -f "$out/.cmap-built" ]; then
	echo "$out"
	exit 0
fi

unpack_source
mkdir -p "$cache/kernels"
exec 9>"$cache/.lock-$flavor"
flock 9
# another build may have finished while we waited for the lock
if [ -f "$out/.cmap-built" ]; then
	echo "$out"
	exit 0
fi

rm -rf "$out"
mkdir -p "$out"
log="$out/build.log"
say "configuring $flavor kernel in $out"
make -C "$src" O="$out" tinyconfig >>"$log" 2>&1
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >>"$log" 2>&1
make -C "$src" O="$out" olddefconfig >>"$log" 2>&1

# Kconfig silently drops options whose dependencies are not met: refuse to
# build a kernel that is not the one the fragments ask for.
dropped=0
while read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$out/.config" || { say "Kconfig dropped: $line (final: $(grep -E "(^|# )${line%%=*}[= ]" "$out/.config" || echo absent))"; dropped=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$out/.config" || { say "Kconfig forced on: $opt"; dropped=1; } ;;
	esac
done < <(cat "${frags[@]}")
[ $dropped = 0 ] || die "the $flavor fragment does not hold; see $log"

jobs=$(nproc)
say "building $flavor kernel with $jobs jobs (about 4-8 minutes cold); log: $log"
start=$SECONDS
make -C "$src" O="$out" -j"$jobs" bzImage modules >>"$log" 2>&1 &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 30
	kill -0 $pid 2>/dev/null || break
	say "  ... $((SECONDS - start))s, $(grep -c '^  CC' "$log" || true) objects compiled"
done
wait $pid || die "kernel build failed; last lines of $log:
$(tail -20 "$log")"
cp "$out/arch/x86/boot/bzImage" "$out/bzImage"
touch "$out/.cmap-built"
say "$flavor kernel ready in $((SECONDS - start))s"
echo "$out"
