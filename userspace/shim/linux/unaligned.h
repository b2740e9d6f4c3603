/* SPDX-License-Identifier: GPL-2.0 */
/* user-space shim: unaligned little-endian loads (hosts are little-endian) */
#ifndef CMAP_SHIM_UNALIGNED_H
#define CMAP_SHIM_UNALIGNED_H
#include <cmap_shim.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the shim assumes a little-endian host");

static inline u64 get_unaligned_le64(const void *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}
#endif
