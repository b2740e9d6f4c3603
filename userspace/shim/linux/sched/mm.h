/* SPDX-License-Identifier: GPL-2.0 */
/* user-space shim: see cmap_shim.h */
#include <cmap_shim.h>
