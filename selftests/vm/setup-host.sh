#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, idempotently, everything cmap's build, tests and benchmarks need
# on a Debian 12 host. Only missing packages are installed; a second run is a
# no-op that takes a second. Used by both README commands.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

pkgs=(
	build-essential flex bison bc libelf-dev libssl-dev dwarves cpio kmod ccache
	xz-utils rsync perl python3 jq
	qemu-system-x86 busybox-static
	"linux-source-6.12=$CMAP_KSRC_PKG_VERSION"
	"linux-headers-$CMAP_STOCK_ABI"
	liburcu-dev libbpf-dev bpftool linux-perf sparse gnuplot-nox
	libasan8 libubsan1 libtsan2 valgrind
	# herd7 (selftests/lkmm) is built from source once if not on PATH
	ocaml-nox dune menhir libmenhir-ocaml-dev libzarith-ocaml-dev ocaml-findlib
)

missing=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	want=${p#*=}
	[ "$want" = "$p" ] && want=
	have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
	case "$have" in
	"install ok installed "*)
		[ -z "$want" ] || [ "${have##* }" = "$want" ] && continue ;;
	esac
	missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
		echo "setup: apt-get install failed; refreshing package lists and retrying" >&2
		apt-get update -q >&2
		apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
	fi
fi

# The stock kernel image is unpacked into the cache rather than installed:
# installing it would run bootloader and initramfs hooks on this host.
cache=${CMAP_CACHE:-/var/cache/cmap}
stock="$cache/stock/$CMAP_STOCK_ABI"
if [ ! -f "$stock/vmlinuz" ]; then
	echo "setup: unpacking Debian's $CMAP_STOCK_ABI kernel image into $stock" >&2
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -q "linux-image-$CMAP_STOCK_ABI-unsigned" >&2) || {
		apt-get update -q >&2
		(cd "$tmp" && apt-get download -q "linux-image-$CMAP_STOCK_ABI-unsigned" >&2)
	}
	mkdir -p "$tmp/x"
	dpkg-deb -x "$tmp"/linux-image-*.deb "$tmp/x"
	mkdir -p "$stock"
	rm -rf "${stock:?}/lib"
	cp -a "$tmp/x/lib" "$stock/lib"
	cp "$tmp/x/boot/System.map-$CMAP_STOCK_ABI" "$stock/System.map"
	cp "$tmp/x/boot/config-$CMAP_STOCK_ABI" "$stock/config"
	cp "$tmp/x/boot/vmlinuz-$CMAP_STOCK_ABI" "$stock/vmlinuz.tmp"
	mv "$stock/vmlinuz.tmp" "$stock/vmlinuz"
fi
# The guest initramfs resolves module dependencies from modules.dep.
if [ ! -f "$stock/lib/modules/$CMAP_STOCK_ABI/modules.dep" ]; then
	depmod -b "$stock" "$CMAP_STOCK_ABI"
fi
