#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once, cached) the guest initramfs for a kernel flavor and print its
# path: busybox, guest-init as /init and, for the stock Debian kernel, the
# 9p modules it builds as modules (MODROOT = its /lib/modules/VERSION).
#
#   mkinitramfs.sh FLAVOR [MODROOT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${CMAP_CACHE:-/var/cache/cmap}
flavor=$1 modroot=${2:-}
want=(9p)

key=$( { cat "$here/guest-init" "$0"; echo "$flavor $modroot"; } | sha256sum | cut -c1-12)
img=$cache/initramfs/$flavor-$key.cpio.gz
if [ -f "$img" ]; then echo "$img"; exit 0; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/modules" "$(dirname "$img")"
cp /bin/busybox "$tmp/bin/busybox"
ln -s busybox "$tmp/bin/sh"
cp "$here/guest-init" "$tmp/init"
chmod +x "$tmp/init"

# Modules in dependency order, decompressed (busybox insmod reads plain ELF).
add_module() {
	local name=$1 path dep
	path=$(awk -F: -v n="$name" '{ f=$1; sub(/.*\//, "", f); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", f); gsub(/-/, "_", f); if (f == n) { print $0; exit } }' "$modroot/modules.dep")
	[ -n "$path" ] || { echo "mkinitramfs: module $name not found in $modroot" >&2; exit 1; }
	for dep in ${path#*:}; do
		dep=${dep##*/}; dep=${dep%%.ko*}
		add_module "${dep//-/_}"
	done
	path=${path%%:*}
	local base=${path##*/}; base=${base%%.ko*}.ko
	grep -qxF "$base" "$tmp/modules/order" 2>/dev/null && return
	case "$path" in
	*.xz) xz -dc "$modroot/$path" > "$tmp/modules/$base" ;;
	*.zst) zstd -dcq "$modroot/$path" > "$tmp/modules/$base" ;;
	*) cp "$modroot/$path" "$tmp/modules/$base" ;;
	esac
	echo "$base" >> "$tmp/modules/order"
}
if [ -n "$modroot" ]; then
	for m in "${want[@]}" 9pnet_virtio; do add_module "$m"; done
fi

(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$img.tmp"
mv "$img.tmp" "$img"
echo "$img"
