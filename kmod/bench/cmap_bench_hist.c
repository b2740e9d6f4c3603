// SPDX-License-Identifier: GPL-2.0
/*
 * Log-linear latency histograms: values below CB_HIST_LINEAR ns have a
 * bucket each; above, every power of two is cut into 2^CB_HIST_SUB_BITS
 * equal steps, so a percentile is known to within 12.5%.
 */
#include <linux/bitops.h>
#include <linux/math64.h>
#include <linux/minmax.h>

#include "cmap_bench.h"

static unsigned int cb_hist_index(u64 ns)
{
	unsigned int e;

	if (ns < CB_HIST_LINEAR)
		return ns;
	e = fls64(ns) - 1;	/* 4 .. 63 */
	return CB_HIST_LINEAR + (e - 4) * (1 << CB_HIST_SUB_BITS) +
	       ((ns >> (e - CB_HIST_SUB_BITS)) & ((1 << CB_HIST_SUB_BITS) - 1));
}

/* The smallest value that falls into bucket @i. */
static u64 cb_hist_low(unsigned int i)
{
	unsigned int e, sub;

	if (i < CB_HIST_LINEAR)
		return i;
	i -= CB_HIST_LINEAR;
	e = i / (1 << CB_HIST_SUB_BITS) + 4;
	sub = i % (1 << CB_HIST_SUB_BITS);
	return (u64)((1 << CB_HIST_SUB_BITS) + sub) << (e - CB_HIST_SUB_BITS);
}

/**
 * cb_hist_add() - record one latency
 * @h:  histogram, owned by the calling thread
 * @ns: latency in nanoseconds
 *
 * Context: any; @h must not be shared.
 */
void cb_hist_add(struct cb_hist *h, u64 ns)
{
	h->bucket[cb_hist_index(ns)]++;
	h->count++;
	h->sum += ns;
	h->max = max(h->max, ns);
}

/**
 * cb_hist_merge() - add the counts of one histogram to another
 * @dst: histogram that accumulates
 * @src: histogram to add
 *
 * Context: any; neither histogram may change meanwhile.
 */
void cb_hist_merge(struct cb_hist *dst, const struct cb_hist *src)
{
	unsigned int i;

	for (i = 0; i < CB_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->max = max(dst->max, src->max);
}

/**
 * cb_hist_percentile() - a percentile of the recorded latencies
 * @h:        histogram
 * @permille: which one, in thousandths (500: median, 999: p99.9)
 *
 * Context: any.
 * Return: the lower bound of the bucket holding the percentile, capped
 * by the exact maximum; 0 for an empty histogram.
 */
u64 cb_hist_percentile(const struct cb_hist *h, unsigned int permille)
{
	u64 rank, seen = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	rank = div_u64(h->count * permille + 999, 1000);
	for (i = 0; i < CB_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			return min(cb_hist_low(i), h->max);
	}
	return h->max;
}
