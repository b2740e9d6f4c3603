/* SPDX-License-Identifier: GPL-2.0 */
/*
 * user-space shim: the kernel's own jhash.h, from the unpacked kernel
 * source (the Makefile passes its path as CMAP_KERNEL_JHASH_H), so the
 * hash is bit-for-bit the kernel's. It needs only rol32() and
 * __get_unaligned_cpu32(), which the shim provides.
 */
#include <cmap_shim.h>
#include CMAP_KERNEL_JHASH_H
