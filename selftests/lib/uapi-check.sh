#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The uapi header's promises, as TAP:
#   - it compiles on its own in user space, with only <linux/types.h> and
#     <linux/ioctl.h> behind it, warning-free under -Wall -Wextra -Wpadded;
#   - pahole finds no hole and no tail padding in any of its structs;
#   - every struct has the same size and layout for 64-bit and 32-bit user
#     space, so compat_ioctl needs no translation.
#
#   uapi-check.sh path/to/uapi/linux/cmap.h
set -uo pipefail
hdr=${1:?usage: uapi-check.sh path/to/uapi/linux/cmap.h}
inc=$(cd "$(dirname "$hdr")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tap.sh
. "$(dirname "$0")/tap.sh"

# One object of every struct, so each one's layout lands in the DWARF.
structs=$(grep -oE '^struct [a-z0-9_]+ \{' "$hdr" | awk '{print $2}')
{
	echo "#include <linux/$(basename "$hdr")>"
	for s in $structs; do echo "struct $s v_$s;"; done
} >"$tmp/t.c"

# Compile with only the header's own tree and the system's on the path.
compile() {
	local out rc
	out=$(gcc -g -c -std=c99 -I"$inc" "$@" "$tmp/t.c" 2>&1)
	rc=$?
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
	[ $rc = 0 ] && [ -z "$out" ]
}
strict=(-Wall -Wextra -Wpadded -Werror -o /dev/null)
compile "${strict[@]}"
tap_result $? "compiles standalone, -Wall -Wextra -Wpadded: $hdr"
# Debian has no 32-bit libc headers by default, but the kernel's asm
# headers are the same for i386 and x86_64.
m32=(-m32 -I/usr/include/x86_64-linux-gnu)
compile "${m32[@]}" "${strict[@]}"
tap_result $? "compiles standalone for 32-bit user space: $hdr"

# pahole judges the layout on its own, whatever the compiler said.
compile -o "$tmp/t64.o" >/dev/null
compile "${m32[@]}" -o "$tmp/t32.o" >/dev/null
pahole "$tmp/t64.o" >"$tmp/p64" 2>&1
pahole "$tmp/t32.o" >"$tmp/p32" 2>&1
for s in $structs; do
	grep -q "^struct $s {" "$tmp/p64"
	tap_result $? "pahole sees struct $s"
done
holes=$(grep -E 'XXX|padding:' "$tmp/p64" "$tmp/p32")
[ -z "$holes" ] || echo "$holes" | sed 's/^/# /'
tap_result "$([ -z "$holes" ] && echo 0 || echo 1)" "pahole: no holes, no padding"
# Compare offsets and sizes only: pahole spells attributes per target.
layout() { sed -nE 's@.*/\* *([0-9]+) +([0-9]+) \*/@\1 \2@p; /^struct|size:/p' "$1"; }
if diff <(layout "$tmp/p64") <(layout "$tmp/p32") >"$tmp/diff"; then
	tap_result 0 "same layout for 32-bit and 64-bit user space"
else
	sed 's/^/# /' "$tmp/diff"
	tap_result 1 "same layout for 32-bit and 64-bit user space"
fi

tap_done
