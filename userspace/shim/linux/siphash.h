/* SPDX-License-Identifier: GPL-2.0 */
/*
 * user-space shim: SipHash-2-4 with the kernel's interface
 * (include/linux/siphash.h), the functions cmap_core.c calls. The
 * implementation (../siphash.c) follows lib/siphash.c; coretest checks it
 * against the reference vectors of the SipHash paper (the 64 of
 * lib/siphash_kunit.c) before the core's tests run.
 */
#ifndef CMAP_SHIM_SIPHASH_H
#define CMAP_SHIM_SIPHASH_H

#include <cmap_shim.h>

typedef struct {
	u64 key[2];
} siphash_key_t;

u64 siphash(const void *data, size_t len, const siphash_key_t *key);
u64 siphash_1u64(u64 first, const siphash_key_t *key);
u64 siphash_1u32(u32 first, const siphash_key_t *key);

static inline u64 siphash_2u32(u32 a, u32 b, const siphash_key_t *key)
{
	return siphash_1u64((u64)b << 32 | a, key);
}

/* The reference vectors: 0 if all 64 match, else the first failing + 1. */
int shim_siphash_selftest(void);

#endif /* CMAP_SHIM_SIPHASH_H */
