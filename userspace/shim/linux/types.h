/* SPDX-License-Identifier: GPL-2.0 */
/* user-space shim: the uapi types, then the kernel ones (cmap_shim.h) */
#ifndef CMAP_SHIM_TYPES_H
#define CMAP_SHIM_TYPES_H
#include_next <linux/types.h>
#endif
#include <cmap_shim.h>
