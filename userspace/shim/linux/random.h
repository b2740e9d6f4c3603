/* SPDX-License-Identifier: GPL-2.0 */
/* user-space shim: see cmap_shim.h */
#include <cmap_shim.h>

#ifndef CMAP_SHIM_RANDOM_H
#define CMAP_SHIM_RANDOM_H
static inline void get_random_bytes(void *buf, size_t len)
{
	u8 *p = buf;
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n <= 0)
			abort();
		p += n;
		len -= n;
	}
}
#endif
