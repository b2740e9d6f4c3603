/* SPDX-License-Identifier: GPL-2.0 */
/* user-space shim: the kernel's sort_r() over glibc's qsort_r() */
#ifndef CMAP_SHIM_SORT_H
#define CMAP_SHIM_SORT_H
#include <cmap_shim.h>

typedef int (*cmp_r_func_t)(const void *a, const void *b, const void *priv);
typedef void (*swap_r_func_t)(void *a, void *b, int size, const void *priv);

/* glibc declares it only under _GNU_SOURCE */
void qsort_r(void *base, size_t nmemb, size_t size,
	     int (*compar)(const void *, const void *, void *), void *arg);

struct shim_sort_ctx {
	cmp_r_func_t cmp;
	const void *priv;
};

static inline int shim_sort_cmp(const void *a, const void *b, void *ctx)
{
	const struct shim_sort_ctx *c = ctx;

	return c->cmp(a, b, c->priv);
}

/* The shim sorts with the default swap only, as cmap calls it. */
static inline void sort_r(void *base, size_t num, size_t size,
			  cmp_r_func_t cmp, swap_r_func_t swap,
			  const void *priv)
{
	struct shim_sort_ctx c = { cmp, priv };

	(void)swap;
	qsort_r(base, num, size, shim_sort_cmp, &c);
}
#endif
