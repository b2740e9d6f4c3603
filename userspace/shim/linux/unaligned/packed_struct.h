/* SPDX-License-Identifier: GPL-2.0 */
/* user-space shim: unaligned loads for the kernel's jhash.h */
#ifndef CMAP_SHIM_PACKED_STRUCT_H
#define CMAP_SHIM_PACKED_STRUCT_H
#include <cmap_shim.h>

static inline u32 __get_unaligned_cpu32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}
#endif
