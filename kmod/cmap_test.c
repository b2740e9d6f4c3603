// SPDX-License-Identifier: GPL-2.0
/*
 * cmap_test: self-test of the cmap core (cmap_core.c).
 *
 * One source, two builds (the lib/test_xarray.c pattern): the module
 * cmap_test.ko, linked against cmap.ko's exported cmap_* functions, and a
 * user-space program built over the shim headers of userspace/shim/ (see
 * userspace/coretest/Makefile), where kthreads are pthreads.
 *
 * Each test case prints one TAP line ("ok N - name" / "not ok N - name"),
 * the plan "1..N" follows them, and the last line counts the assertions:
 * "cmap_test: N of M tests passed". Loading the module fails with -EINVAL
 * if any assertion failed.
 */
#include <linux/align.h>
#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kstrtox.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cmap_core.h"

static uint iterations = 4;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations,
		 "rounds of forced grow/shrink per multi-threaded test (default 4)");

static uint threads = 2;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads,
		 "reader threads per multi-threaded test (default 2)");

static uint churn = 3000;
module_param(churn, uint, 0444);
MODULE_PARM_DESC(churn,
		 "transient keys a writer inserts then deletes per round (default 3000)");

static uint chain = 1000;
module_param(chain, uint, 0444);
MODULE_PARM_DESC(chain,
		 "entries forced into one bucket by the long-chain case (default 1000)");

static uint tests_run, tests_passed;
static bool case_ok;

#define CT_CHECK(cond) do {						\
	tests_run++;							\
	if (cond) {							\
		tests_passed++;						\
	} else {							\
		case_ok = false;					\
		pr_err("# FAIL %s:%d: %s\n", __func__, __LINE__, #cond); \
	}								\
} while (0)

#define KEY_BUF		32
#define VAL_BUF		256
#define WAIT_MS		10000

/* ---- helpers ---- */

static u32 xorshift(u32 *s)
{
	u32 x = *s ? *s : 0x9e3779b9;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static u32 mkkey(char *buf, const char *prefix, u32 i)
{
	return snprintf(buf, KEY_BUF, "%s-%u", prefix, i);
}

/* Value of key @i in generation @gen: length and bytes follow from both. */
static u32 mkval(u8 *buf, u32 i, u32 gen)
{
	u32 len = (i * 7 + gen) % 40, k;

	for (k = 0; k < len; k++)
		buf[k] = (u8)(i + gen + k);
	return len;
}

static bool val_ok(const u8 *buf, u32 len, u32 i, u32 gen)
{
	u8 want[VAL_BUF];

	return len == mkval(want, i, gen) && !memcmp(buf, want, len);
}

static int put(struct cmap *map, const char *prefix, u32 i, u32 gen,
	       u32 flags)
{
	char key[KEY_BUF];
	u8 val[VAL_BUF];
	u32 klen = mkkey(key, prefix, i);

	return cmap_update(map, key, klen, val, mkval(val, i, gen), flags);
}

static int get(struct cmap *map, const char *prefix, u32 i, u32 gen)
{
	char key[KEY_BUF];
	u8 val[VAL_BUF];
	u32 len, klen = mkkey(key, prefix, i);
	int err;

	err = cmap_lookup(map, key, klen, val, sizeof(val), &len);
	if (err)
		return err;
	return val_ok(val, len, i, gen) ? 0 : -EBADMSG;
}

static int del(struct cmap *map, const char *prefix, u32 i)
{
	char key[KEY_BUF];

	return cmap_delete(map, key, mkkey(key, prefix, i));
}

static struct cmap *mkmap_mask(u32 min_buckets, u32 max_entries,
			       u64 max_bytes, u32 hash_mask)
{
	struct cmap_config cfg = {
		.min_buckets = min_buckets,
		.max_entries = max_entries,
		.max_bytes = max_bytes,
		.gfp = GFP_KERNEL,
		.hash_mask = hash_mask,
	};
	struct cmap *map = cmap_create(&cfg);

	return IS_ERR(map) ? NULL : map;
}

static struct cmap *mkmap(u32 min_buckets, u32 max_entries, u64 max_bytes)
{
	return mkmap_mask(min_buckets, max_entries, max_bytes, 0);
}

/* Where the resize rules bring a table of @size holding @n entries. */
static u64 rest_size(u64 size, u64 n, u64 min)
{
	while (n * 4 > size * 3)
		size *= 2;
	while (size > min && n * 5 < size)
		size /= 2;
	return size;
}

/* Wait until no resize runs and the table has @lo..@hi buckets. */
static bool wait_between(struct cmap *map, u64 lo, u64 hi)
{
	struct cmap_core_stats st;
	int ms;

	for (ms = 0; ms < WAIT_MS; ms += 20) {
		cmap_get_stats(map, &st);
		if (!st.future_buckets && st.buckets >= lo && st.buckets <= hi)
			return true;
		msleep(20);
	}
	pr_err("# buckets %llu future %llu, want %llu..%llu\n",
	       (unsigned long long)st.buckets,
	       (unsigned long long)st.future_buckets,
	       (unsigned long long)lo, (unsigned long long)hi);
	return false;
}

static bool wait_buckets(struct cmap *map, u64 want)
{
	return wait_between(map, want, want);
}

static u32 count_present(struct cmap *map, const char *prefix, u32 n,
			 u32 gen)
{
	u32 i, ok = 0;

	for (i = 0; i < n; i++)
		ok += !get(map, prefix, i, gen);
	return ok;
}

static u32 put_range(struct cmap *map, const char *prefix, u32 from, u32 to)
{
	u32 i, ok = 0;

	for (i = from; i < to; i++)
		ok += !put(map, prefix, i, 0, CMAP_PUT_ANY);
	return ok;
}

static u32 del_range(struct cmap *map, const char *prefix, u32 from, u32 to)
{
	u32 i, ok = 0;

	for (i = from; i < to; i++)
		ok += !del(map, prefix, i);
	return ok;
}

/* ---- single-threaded cases ---- */

static void test_basic(void)
{
	struct cmap *map = mkmap(0, 0, 0);
	u8 val[VAL_BUF];
	u32 len = 99;

	CT_CHECK(map);
	if (!map)
		return;
	CT_CHECK(cmap_count(map) == 0);
	CT_CHECK(get(map, "key", 1, 0) == -ENOENT);
	CT_CHECK(put(map, "key", 1, 0, CMAP_PUT_ANY) == 0);
	CT_CHECK(get(map, "key", 1, 0) == 0);
	CT_CHECK(cmap_count(map) == 1);
	CT_CHECK(put(map, "key", 1, 0, CMAP_PUT_NOEXIST) == -EEXIST);
	CT_CHECK(put(map, "key", 2, 0, CMAP_PUT_EXIST) == -ENOENT);
	CT_CHECK(put(map, "key", 1, 5, CMAP_PUT_EXIST) == 0);
	CT_CHECK(get(map, "key", 1, 5) == 0);
	CT_CHECK(cmap_count(map) == 1);
	CT_CHECK(put(map, "key", 1, 0, CMAP_PUT_FLAGS) == -EINVAL);
	CT_CHECK(put(map, "key", 1, 0, 4) == -EINVAL);
	CT_CHECK(cmap_update(map, "", 0, NULL, 0, 0) == -EINVAL);
	CT_CHECK(cmap_update(map, val, CMAP_KEY_MAX + 1, NULL, 0, 0) == -E2BIG);
	CT_CHECK(cmap_update(map, "k", 1, val, CMAP_VALUE_MAX + 1, 0) == -E2BIG);
	CT_CHECK(cmap_lookup(map, "", 0, val, 1, &len) == -EINVAL);
	CT_CHECK(cmap_update(map, "empty", 5, NULL, 0, 0) == 0);
	CT_CHECK(cmap_lookup(map, "empty", 5, NULL, 0, &len) == 0 && !len);
	CT_CHECK(cmap_update(map, "big", 3, "0123456789", 10, 0) == 0);
	CT_CHECK(cmap_lookup(map, "big", 3, val, 4, &len) == -ENOSPC);
	CT_CHECK(len == 10);
	CT_CHECK(cmap_delete(map, "big", 3) == 0);
	CT_CHECK(cmap_delete(map, "big", 3) == -ENOENT);
	CT_CHECK(cmap_delete(map, "", 0) == -EINVAL);
	CT_CHECK(cmap_count(map) == 2);
	cmap_destroy(map);
}

static void test_grow_shrink(void)
{
	struct cmap *map = mkmap(0, 0, 0);
	struct cmap_core_stats st;
	u32 n = 1000, keep = 10;

	CT_CHECK(map);
	if (!map)
		return;
	CT_CHECK(put_range(map, "key", 0, n) == n);
	CT_CHECK(count_present(map, "key", n, 0) == n);
	CT_CHECK(wait_buckets(map, rest_size(CMAP_MIN_BUCKETS, n, 16)));
	cmap_get_stats(map, &st);
	CT_CHECK(st.grows == 7);	/* 16 -> 2048 */
	CT_CHECK(st.entries == n);
	CT_CHECK(st.moved_by_writers + st.moved_by_worker > 0);
	CT_CHECK(count_present(map, "key", n, 0) == n);
	CT_CHECK(del_range(map, "key", keep, n) == n - keep);
	CT_CHECK(wait_buckets(map, rest_size(st.buckets, keep, 16)));
	cmap_get_stats(map, &st);
	CT_CHECK(st.shrinks > 0);
	CT_CHECK(count_present(map, "key", keep, 0) == keep);
	CT_CHECK(cmap_count(map) == keep);
	/* Destroy in the middle of a resize: nothing leaks. */
	CT_CHECK(put_range(map, "more", 0, 5000) == 5000);
	cmap_destroy(map);
}

static void test_hysteresis(void)
{
	struct cmap *map = mkmap(1000, 0, 0);	/* rounded up to 1024 */
	struct cmap_core_stats st;

	CT_CHECK(map);
	if (!map)
		return;
	cmap_get_stats(map, &st);
	CT_CHECK(st.buckets == 1024);
	CT_CHECK(put_range(map, "key", 0, 700) == 700);	/* load 0.68 */
	msleep(50);
	CT_CHECK(wait_buckets(map, 1024));
	CT_CHECK(put_range(map, "key", 700, 850) == 150);	/* 0.83 */
	CT_CHECK(wait_buckets(map, 2048));			/* 0.415 */
	CT_CHECK(del_range(map, "key", 300, 850) == 550);	/* 0.146 */
	CT_CHECK(wait_buckets(map, 1024));			/* 0.29 */
	CT_CHECK(del_range(map, "key", 150, 300) == 150);	/* at min */
	msleep(50);
	CT_CHECK(wait_buckets(map, 1024));
	cmap_get_stats(map, &st);
	CT_CHECK(st.grows == 1);
	CT_CHECK(st.shrinks == 1);
	CT_CHECK(count_present(map, "key", 150, 0) == 150);
	cmap_destroy(map);
}

#ifndef __KERNEL__
/*
 * Allocation failures need the shim's allocation knob, so this case is
 * user space only; in the kernel, selftests/reliability/faults.sh drives
 * the same paths with fail_function.
 */
static void test_alloc_failure(void)
{
	struct cmap *map = mkmap(0, 0, 0);
	struct cmap_core_stats st;
	u32 n = 200;
	int ms;

	CT_CHECK(map);
	if (!map)
		return;
	shim_fail_kvmalloc = -1;
	CT_CHECK(put_range(map, "key", 0, n) == n);
	for (ms = 0; ms < WAIT_MS; ms += 20) {
		cmap_get_stats(map, &st);
		if (st.resize_alloc_failures)
			break;
		msleep(20);
	}
	CT_CHECK(st.resize_alloc_failures > 0);
	CT_CHECK(st.buckets == CMAP_MIN_BUCKETS && !st.future_buckets);
	CT_CHECK(count_present(map, "key", n, 0) == n);
	CT_CHECK(del(map, "key", 0) == 0 && put(map, "key", 0, 0, 0) == 0);
	shim_fail_kvmalloc = 0;
	/* The delayed retry grows the table without another write. */
	CT_CHECK(wait_buckets(map, rest_size(CMAP_MIN_BUCKETS, n, 16)));
	CT_CHECK(count_present(map, "key", n, 0) == n);
	shim_fail_kmalloc = 1;
	CT_CHECK(put(map, "new", 1, 0, 0) == -ENOMEM);
	CT_CHECK(get(map, "new", 1, 0) == -ENOENT);
	CT_CHECK(cmap_count(map) == n);
	cmap_destroy(map);
}
#endif

static void test_limits(void)
{
	struct cmap *map = mkmap(0, 100, 0);
	struct cmap_core_stats st;
	u8 val[100] = { 0 };
	char key[KEY_BUF];
	u32 i, ok = 0;
	u64 limit;

	CT_CHECK(map);
	if (!map)
		return;
	CT_CHECK(put_range(map, "key", 0, 100) == 100);
	CT_CHECK(put(map, "key", 100, 0, 0) == -ENOSPC);
	CT_CHECK(put(map, "key", 5, 1, 0) == 0);	/* replace at the limit */
	CT_CHECK(cmap_count(map) == 100);
	CT_CHECK(del(map, "key", 0) == 0);
	CT_CHECK(put(map, "key", 100, 0, 0) == 0);
	cmap_destroy(map);

	/* 1024 buckets: the ~15 entries that fit do not trigger a grow */
	map = mkmap(1024, 0, 0);
	CT_CHECK(map);
	if (!map)
		return;
	cmap_get_stats(map, &st);
	cmap_destroy(map);
	limit = st.bytes + 2000;		/* the table plus ~15 entries */
	map = mkmap(1024, 0, limit);
	CT_CHECK(map);
	if (!map)
		return;
	for (i = 0; i < 100; i++)
		ok += !cmap_update(map, key, mkkey(key, "key", i), val,
				   sizeof(val), 0);
	cmap_get_stats(map, &st);
	CT_CHECK(ok > 5 && ok < 100);
	CT_CHECK(st.bytes <= limit);
	CT_CHECK(st.entries == ok);
	/*
	 * Full, with less room than one entry: a replacement charges its new
	 * entry in full (the old one stays charged until it is freed), so
	 * even one of the same size is refused.
	 */
	CT_CHECK(cmap_update(map, key, mkkey(key, "key", 0), val, sizeof(val),
			     0) == -ENOSPC);
	/* A delete makes room once its entry is freed, a grace period on. */
	CT_CHECK(del(map, "key", 1) == 0);
	rcu_barrier();
	CT_CHECK(cmap_update(map, key, mkkey(key, "key", 0), val, 10, 0) == 0);
	cmap_get_stats(map, &st);
	CT_CHECK(st.bytes <= limit);
	cmap_destroy(map);
}

#ifndef __KERNEL__
/*
 * User space only: these read the shim's own books, the rounded sizes of
 * the live allocations (shim_alloc_bytes) and the percpu_counter slow
 * paths taken (shim_pcpu_folds, shim_pcpu_sums).
 */
static s64 live_bytes(void)
{
	return __atomic_load_n(&shim_alloc_bytes, __ATOMIC_RELAXED);
}

static s64 map_bytes(struct cmap *map)
{
	struct cmap_core_stats st;

	cmap_get_stats(map, &st);
	return st.bytes;
}

/* Once no resize runs and no free is pending: charged == allocated. */
static bool charged_is_allocated(struct cmap *map, s64 live0, s64 bytes0)
{
	s64 live, bytes;

	CT_CHECK(wait_between(map, 16, U32_MAX));	/* no resize runs */
	rcu_barrier();
	live = live_bytes() - live0;
	bytes = map_bytes(map) - bytes0;
	if (live != bytes)
		pr_err("# allocated %lld, charged %lld\n", (long long)live,
		       (long long)bytes);
	return live == bytes;
}

/*
 * max_bytes counts what the allocator really takes (kmalloc's rounded
 * sizes, tables included), and keeps counting it until the memory is
 * freed: a deleted entry stays charged while a reader may hold it.
 */
static void test_charged_sizes(void)
{
	static u8 val[CMAP_VALUE_MAX];
	s64 live0 = live_bytes(), bytes0, b;
	struct cmap *map = mkmap(0, 0, 0);
	char key[KEY_BUF];
	u32 i, klen;

	CT_CHECK(map);
	if (!map)
		return;
	/* what the map itself took: its struct, its first table */
	bytes0 = map_bytes(map);
	live0 = live_bytes() - bytes0;
	CT_CHECK(charged_is_allocated(map, live0, 0));
	/* 40-byte header + 1-byte key: kmalloc-64 */
	b = map_bytes(map);
	CT_CHECK(cmap_update(map, "a", 1, NULL, 0, 0) == 0);
	CT_CHECK(map_bytes(map) - b == 64);
	/* header + 8-byte key + 4 KiB value: kmalloc-8k */
	b = map_bytes(map);
	CT_CHECK(cmap_update(map, "big-key!", 8, val, 4096, 0) == 0);
	CT_CHECK(map_bytes(map) - b == 8192);
	CT_CHECK(charged_is_allocated(map, live0, 0));
	/* every size class, and tables grown on the way */
	for (i = 0; i < 3000; i++) {
		klen = mkkey(key, "key", i);
		CT_CHECK(cmap_update(map, key, klen, val, i * 37 % 4097, 0) == 0);
	}
	CT_CHECK(charged_is_allocated(map, live0, 0));
	for (i = 0; i < 3000; i += 2) {
		klen = mkkey(key, "key", i);
		if (i % 4)
			CT_CHECK(cmap_delete(map, key, klen) == 0);
		else
			CT_CHECK(cmap_update(map, key, klen, val, i % 300, 0) == 0);
	}
	CT_CHECK(charged_is_allocated(map, live0, 0));
	/* Held by a reader: still allocated, still charged. */
	b = map_bytes(map);
	rcu_read_lock();
	CT_CHECK(cmap_delete(map, "big-key!", 8) == 0);
	CT_CHECK(map_bytes(map) == b);
	rcu_read_unlock();
	rcu_barrier();
	CT_CHECK(b - map_bytes(map) == 8192);
	/*
	 * Emptied, the map shrinks to its smallest table. Compared only
	 * once there: each step of the shrink cmap_clear() kicks charges
	 * its table before allocating it, maybe between our two reads.
	 */
	cmap_clear(map);
	CT_CHECK(wait_buckets(map, CMAP_MIN_BUCKETS));
	CT_CHECK(charged_is_allocated(map, live0, 0));
	cmap_destroy(map);
}

#define MIX_KEYS	1024

/**
 * struct mix_ctx - one thread of the steady-state mix
 * @map:     the map
 * @base:    first of the thread's own MIX_KEYS keys
 * @ops:     updates to do
 * @present: how many of its keys are in the map, by the thread's model
 * @errors:  answers the model did not expect
 * @in:      which of its keys are in the map
 */
struct mix_ctx {
	struct cmap *map;
	u32 base;
	u32 ops;
	u32 present;
	u32 errors;
	u8 in[MIX_KEYS];
};

/* Half deletes, half puts of 0..199-byte values (inserts or replaces). */
static int mix_thread(void *arg)
{
	struct mix_ctx *c = arg;
	u32 seed = c->base + 1, r, i, k, klen;
	char key[KEY_BUF];
	u8 val[200];
	int err;

	memset(val, 0x5a, sizeof(val));
	for (i = 0; i < c->ops; i++) {
		r = xorshift(&seed);
		k = r % MIX_KEYS;
		klen = mkkey(key, "mix", c->base + k);
		if (r & BIT(16)) {
			err = cmap_delete(c->map, key, klen);
			c->errors += err != (c->in[k] ? 0 : -ENOENT);
			c->present -= c->in[k];
			c->in[k] = 0;
		} else {
			err = cmap_update(c->map, key, klen, val,
					  (r >> 20) % sizeof(val), 0);
			c->errors += err != 0;
			c->present += !c->in[k];
			c->in[k] = 1;
		}
	}
	return 0;
}

#define MIX_THREADS	4

/*
 * Item 9 of the essay: the update path takes no shared lock. A steady
 * state (a table at rest, far from its thresholds and limits; half the
 * keys present; deletes and puts of mixed sizes) must take the counters'
 * slow paths (a fold into the shared count, or an exact sum: both take
 * the counter's lock) at most once per 100 updates.
 */
static void test_counter_slow_paths(void)
{
	static struct mix_ctx ctx[MIX_THREADS];
	struct task_struct *t[MIX_THREADS];
	u64 folds, sums, ops = 0, present = 0, errors = 0;
	struct cmap *map = mkmap(8192, 1U << 20, 1ULL << 30);
	char key[KEY_BUF];
	u32 i, k;

	CT_CHECK(map);
	if (!map)
		return;
	for (i = 0; i < MIX_THREADS; i++) {
		ctx[i] = (struct mix_ctx){ .map = map, .base = i * MIX_KEYS,
					   .ops = 25000 };
		for (k = 0; k < MIX_KEYS; k += 2) {
			CT_CHECK(cmap_update(map, key,
					     mkkey(key, "mix", i * MIX_KEYS + k),
					     "v", 1, 0) == 0);
			ctx[i].in[k] = 1;
			ctx[i].present++;
		}
	}
	folds = __atomic_load_n(&shim_pcpu_folds, __ATOMIC_RELAXED);
	sums = __atomic_load_n(&shim_pcpu_sums, __ATOMIC_RELAXED);
	for (i = 0; i < MIX_THREADS; i++)
		t[i] = kthread_run(mix_thread, &ctx[i], "cmap_test/mix%u", i);
	for (i = 0; i < MIX_THREADS; i++) {
		CT_CHECK(!IS_ERR(t[i]));
		if (!IS_ERR(t[i]))
			kthread_stop(t[i]);
		ops += ctx[i].ops;
		present += ctx[i].present;
		errors += ctx[i].errors;
	}
	folds = __atomic_load_n(&shim_pcpu_folds, __ATOMIC_RELAXED) - folds;
	sums = __atomic_load_n(&shim_pcpu_sums, __ATOMIC_RELAXED) - sums;
	pr_info("# %llu updates by %u threads: %llu folds, %llu exact sums\n",
		(unsigned long long)ops, MIX_THREADS,
		(unsigned long long)folds, (unsigned long long)sums);
	CT_CHECK(!errors);
	CT_CHECK((folds + sums) * 100 <= ops);
	/* the counters, slow paths and all, still add up */
	CT_CHECK(cmap_count(map) == present);
	CT_CHECK(map_bytes(map) > 0);
	cmap_destroy(map);
}
#endif

/* ---- scans ---- */

/*
 * Parse one scan buffer: count stable keys ("key-N", N < @n) in @seen,
 * check their values; other keys are counted in @seen_x if given. The
 * padding after each record must be zero (the caller filled the buffer
 * with 0xa5 first).
 */
static int scan_parse(const struct cmap_scan_buf *sb, u8 *seen, u32 n,
		      u8 *seen_x, u32 nx)
{
	const struct cmap_scan_rec *r;
	char key[KEY_BUF];
	unsigned long i;
	size_t off = 0;
	size_t end;
	u32 c;
	int bad = 0;

	for (c = 0; c < sb->count; c++) {
		r = (const void *)((const u8 *)sb->buf + off);
		end = off + sizeof(*r) + r->key_len + r->value_len;
		while (end % 8)
			bad += ((const u8 *)sb->buf)[end++] != 0;
		memcpy(key, r + 1, min_t(u32, r->key_len, KEY_BUF - 1));
		key[min_t(u32, r->key_len, KEY_BUF - 1)] = 0;
		if (!strncmp(key, "key-", 4) && !kstrtoul(key + 4, 10, &i) &&
		    i < n) {
			seen[i]++;
			bad += !val_ok((const u8 *)(r + 1) + r->key_len,
				       r->value_len, i, 0);
		} else if (seen_x && !strncmp(key, "x-", 2) &&
			   !kstrtoul(key + 2, 10, &i) && i < nx) {
			seen_x[i]++;
		}
		off += ALIGN(sizeof(*r) + r->key_len + r->value_len, 8);
	}
	return bad + (off != sb->used);
}

/* Check a finished scan: stable keys once each, others at most once. */
static bool scan_verdict(const u8 *seen, u32 n, const u8 *seen_x, u32 nx)
{
	u32 i, wrong = 0;

	for (i = 0; i < n; i++)
		wrong += seen[i] != 1;
	for (i = 0; seen_x && i < nx; i++)
		wrong += seen_x[i] > 1;
	if (wrong)
		pr_err("# scan: %u keys not seen exactly (or at most) once\n",
		       wrong);
	return !wrong;
}

/* One whole scan; @perturb (may be NULL) runs between calls. */
static bool full_scan(struct cmap *map, u32 n, u32 nx, size_t bufsize,
		      void (*perturb)(struct cmap *map, u32 call))
{
	struct cmap_scan_buf sb = { .size = bufsize };
	u8 *seen = kvcalloc(n + nx, 1, GFP_KERNEL);
	u32 calls = 0, bad = 0;
	u64 cursor = 0;
	bool ok;
	int err;

	sb.buf = kvmalloc(max_t(size_t, bufsize, 1 << 16), GFP_KERNEL);
	if (!seen || !sb.buf) {
		kvfree(seen);
		kvfree(sb.buf);
		return false;
	}
	while (cursor != CMAP_SCAN_END && calls++ < 1000000) {
		memset(sb.buf, 0xa5, sb.size);
		err = cmap_scan(map, &cursor, &sb);
		if (err == -ENOSPC && sb.used > sb.size && sb.used <= 1 << 16) {
			sb.size = sb.used;	/* a bigger buffer, then retry */
			continue;
		}
		bad += !!err;
		bad += scan_parse(&sb, seen, n, nx ? seen + n : NULL, nx);
		sb.size = bufsize;
		if (perturb)
			perturb(map, calls);
	}
	ok = !bad && cursor == CMAP_SCAN_END &&
	     scan_verdict(seen, n, nx ? seen + n : NULL, nx);
	kvfree(seen);
	kvfree(sb.buf);
	return ok;
}

static void test_scan(void)
{
	struct cmap *map = mkmap(0, 0, 0);
	struct cmap_scan_buf sb = { .size = 8 };
	u64 cursor = 0, before;
	u64 small[1];

	CT_CHECK(map);
	if (!map)
		return;
	CT_CHECK(full_scan(map, 0, 0, 64, NULL));	/* empty map */
	CT_CHECK(put_range(map, "key", 0, 1000) == 1000);
	CT_CHECK(wait_buckets(map, rest_size(16, 1000, 16)));
	CT_CHECK(full_scan(map, 1000, 0, 512, NULL));
	CT_CHECK(full_scan(map, 1000, 0, 8, NULL));	/* ENOSPC each time */
	CT_CHECK(full_scan(map, 1000, 0, 1 << 16, NULL));
	sb.buf = small;
	do {
		before = cursor;
		if (cmap_scan(map, &cursor, &sb) == -ENOSPC)
			break;
	} while (cursor != CMAP_SCAN_END);
	CT_CHECK(cursor != CMAP_SCAN_END && sb.used > 8 && !sb.count);
	CT_CHECK(cursor == before);	/* unchanged by -ENOSPC */
	cmap_destroy(map);
}

/*
 * Between scan calls: alternately grow the map hard and shrink it back.
 * The first time in a scan, wait until the table has come to rest at the
 * size its new count calls for (several grows, then several shrinks), so
 * every scan crosses at least one grow and one shrink: waiting for just
 * one resize could let the deletes land while the table was still small,
 * and then no shrink was due. Later resizes may still be under way during
 * the next calls.
 */
static void perturb_resize(struct cmap *map, u32 call)
{
	struct cmap_core_stats st;
	u32 phase = call % 40;

	if (phase != 5 && phase != 25)
		return;
	if (phase == 5)
		put_range(map, "x", 0, 4000);
	else
		del_range(map, "x", 0, 4000);
	if (call >= 40)
		return;
	cmap_get_stats(map, &st);
	wait_buckets(map, rest_size(st.future_buckets ?: st.buckets,
				    st.entries, CMAP_MIN_BUCKETS));
}

/* Between scan calls: add, then remove, as many keys as there are. */
static u32 chain_phase;

static void perturb_chain(struct cmap *map, u32 call)
{
	if (call >= 3 && chain_phase == 0) {
		put_range(map, "x", 0, chain);
		chain_phase = 1;
	} else if (call >= 9 && chain_phase == 1) {
		del_range(map, "x", 0, chain);
		chain_phase = 2;
	}
}

static void test_scan_resize(void)
{
	struct cmap *map = mkmap(0, 0, 0);
	struct cmap_core_stats st;

	CT_CHECK(map);
	if (!map)
		return;
	CT_CHECK(put_range(map, "key", 0, 500) == 500);
	CT_CHECK(full_scan(map, 500, 4000, 256, perturb_resize));
	CT_CHECK(full_scan(map, 500, 4000, 2048, perturb_resize));
	del_range(map, "x", 0, 4000);
	CT_CHECK(wait_between(map, 16, rest_size(8192, 500, 16)));
	cmap_get_stats(map, &st);
	CT_CHECK(st.grows >= 2 && st.shrinks >= 1);
	cmap_destroy(map);
}

/* A cursor that is not one the map handed out is -EINVAL, 0 records. */
static bool cursor_refused(struct cmap *map, u64 cursor)
{
	struct cmap_scan_buf sb = { .size = 256 };
	u64 buf[32];

	sb.buf = buf;
	sb.count = 99;
	return cmap_scan(map, &cursor, &sb) == -EINVAL && !sb.count;
}

/* Scan cursors are sealed: altered, forged or foreign ones are refused. */
static void test_scan_cursor(void)
{
	struct cmap *map = mkmap(0, 0, 0), *other = mkmap(0, 0, 0);
	struct cmap_scan_buf sb = { .size = 256 };
	u32 i, bad = 0, seed = 1, accepted = 0;
	u64 buf[32], cursor = 0, c;

	CT_CHECK(map && other);
	if (!map || !other)
		goto out;
	CT_CHECK(put_range(map, "key", 0, 200) == 200);
	sb.buf = buf;
	while (cursor == 0 || cursor == CMAP_SCAN_END) {
		cursor = 0;
		CT_CHECK(cmap_scan(map, &cursor, &sb) == 0);
		if (cursor == CMAP_SCAN_END)
			break;
	}
	CT_CHECK(cursor != CMAP_SCAN_END);
	c = cursor;
	CT_CHECK(cmap_scan(map, &c, &sb) == 0);	/* the genuine one works */
	for (i = 0; i < 64; i++)		/* every single bit flipped */
		bad += !cursor_refused(map, cursor ^ BIT_ULL(i));
	CT_CHECK(bad == 0);
	CT_CHECK(cursor_refused(other, cursor));	/* another map's */
	/* raw positions, as the cursor used to be */
	CT_CHECK(cursor_refused(map, 1ULL << 31));
	CT_CHECK(cursor_refused(map, CMAP_SCAN_END - 1));
	CT_CHECK(cursor_refused(map, CMAP_SCAN_END + 1));
	CT_CHECK(cursor_refused(map, ~0ULL));
	for (i = 0; i < 4096; i++) {
		c = (u64)xorshift(&seed) << 32 | xorshift(&seed);
		accepted += !cursor_refused(map, c);
	}
	CT_CHECK(accepted <= 1);		/* 2^-31 each */
	/* a sealed cursor is not the position in disguise */
	CT_CHECK((u32)cursor & 1);
out:
	cmap_destroy(map);
	cmap_destroy(other);
}

/*
 * Every key in one bucket: the hash masked to its top 6 bits (bits 0..25,
 * all a table of up to CMAP_MAX_BUCKETS uses, cleared). Grows move that
 * bucket whole: migration must be linear in the chain and scans must
 * return it, in parts, exactly once. Prints the longest bucket-lock hold.
 */
static void test_long_chain(void)
{
	struct cmap *map = mkmap_mask(0, 0, 0, 0xfc000000);
	struct cmap_core_stats st;
	u32 n = max_t(u32, chain, 16);
	u64 peak = rest_size(16, n, 16);

	CT_CHECK(map);
	if (!map)
		return;
	CT_CHECK(put_range(map, "key", 0, n) == n);
	CT_CHECK(wait_buckets(map, peak));
	cmap_get_stats(map, &st);
	CT_CHECK(st.max_chain == n);
	CT_CHECK(st.grows > 0);
	CT_CHECK(count_present(map, "key", n, 0) == n);
	CT_CHECK(full_scan(map, n, 0, 256, NULL));	/* parts of the bucket */
	CT_CHECK(full_scan(map, n, 0, 1 << 16, NULL));
	chain_phase = 0;
	CT_CHECK(full_scan(map, n, n, 1024, perturb_chain));
	CT_CHECK(chain_phase == 2);
	CT_CHECK(del_range(map, "key", n / 4, n) == n - n / 4);
	CT_CHECK(wait_buckets(map, rest_size(peak, n / 4, 16)));
	CT_CHECK(full_scan(map, n / 4, 0, 512, NULL));
	CT_CHECK(count_present(map, "key", n / 4, 0) == n / 4);
	cmap_get_stats(map, &st);
	CT_CHECK(st.shrinks > 0 && st.max_bucket_lock_ns > 0);
	pr_info("# chain %u: %llu grows, %llu shrinks, longest bucket-lock hold %llu ns\n",
		n, (unsigned long long)st.grows,
		(unsigned long long)st.shrinks,
		(unsigned long long)st.max_bucket_lock_ns);
	cmap_destroy(map);
}

static void test_clear_stats(void)
{
	struct cmap *map = mkmap(0, 0, 0);
	struct cmap_core_stats st;
	u64 sum = 0, weighted = 0;
	u32 i;

	CT_CHECK(map);
	if (!map)
		return;
	CT_CHECK(put_range(map, "key", 0, 1000) == 1000);
	/* The histogram is of one table only once resizes are over. */
	CT_CHECK(wait_buckets(map, rest_size(CMAP_MIN_BUCKETS, 1000, 16)));
	cmap_get_stats(map, &st);
	for (i = 0; i < CMAP_CHAIN_HIST; i++) {
		sum += st.chain_hist[i];
		weighted += i * st.chain_hist[i];
	}
	CT_CHECK(sum == (st.future_buckets ?: st.buckets));
	CT_CHECK(st.max_chain >= 1);
	CT_CHECK(st.max_chain >= CMAP_CHAIN_HIST - 1 || weighted == 1000);
	CT_CHECK(st.entries == 1000 && st.bytes > 1000);
	cmap_clear(map);
	CT_CHECK(cmap_count(map) == 0);
	CT_CHECK(count_present(map, "key", 1000, 0) == 0);
	CT_CHECK(put_range(map, "key", 0, 10) == 10);
	CT_CHECK(cmap_count(map) == 10);
	/* 16 if the shrink after the clear came first, else 32 */
	CT_CHECK(wait_between(map, 16, rest_size(2048, 10, 16)));
	cmap_destroy(map);
}

/* ---- multi-threaded cases ---- */

/**
 * struct mt_ctx - shared state of one multi-threaded case
 * @map:     the map
 * @stable:  keys "key-0".."key-(stable-1)" present throughout
 * @rounds:  grow/shrink rounds the churn writer completed
 * @errors:  lookups that missed a stable key or read a wrong value
 * @reads:   lookups done
 * @scans:   full scans done
 */
struct mt_ctx {
	struct cmap *map;
	u32 stable;
	atomic_t rounds;
	atomic_t errors;
	atomic_t reads;
	atomic_t scans;
};

/* Insert then delete @churn transient keys: a grow, then a shrink. */
static int mt_churn(void *arg)
{
	struct mt_ctx *ctx = arg;

	while (!kthread_should_stop()) {
		put_range(ctx->map, "x", 0, churn);
		del_range(ctx->map, "x", 0, churn);
		atomic_inc(&ctx->rounds);
		cond_resched();
	}
	return 0;
}

static int mt_reader(void *arg)
{
	struct mt_ctx *ctx = arg;
	u32 seed = (u32)(unsigned long)&seed;
	int err;

	while (!kthread_should_stop()) {
		err = get(ctx->map, "key", xorshift(&seed) % ctx->stable, 0);
		if (err) {
			if (atomic_inc_return(&ctx->errors) < 5)
				pr_err("# reader: error %d\n", err);
		}
		atomic_inc(&ctx->reads);
		cond_resched();
	}
	return 0;
}

/* Replace values of 64 keys: every value is len = 1 + b, all bytes b. */
static int mt_replacer(void *arg)
{
	struct mt_ctx *ctx = arg;
	u32 seed = (u32)(unsigned long)&seed;
	char key[KEY_BUF];
	u8 val[VAL_BUF];
	u32 r, b;

	while (!kthread_should_stop()) {
		r = xorshift(&seed);
		b = (r >> 8) % 250;
		memset(val, b, b + 1);
		cmap_update(ctx->map, key, mkkey(key, "t", r % 64), val, b + 1,
			    0);
		cond_resched();
	}
	return 0;
}

static int mt_torn_reader(void *arg)
{
	struct mt_ctx *ctx = arg;
	u32 seed = (u32)(unsigned long)&seed;
	char key[KEY_BUF];
	u8 val[VAL_BUF];
	u32 len, k;
	int err;

	while (!kthread_should_stop()) {
		err = cmap_lookup(ctx->map, key,
				  mkkey(key, "t", xorshift(&seed) % 64), val,
				  sizeof(val), &len);
		if (!err && (!len || len != val[0] + 1u))
			err = -EBADMSG;
		for (k = 1; !err && k < len; k++)
			if (val[k] != val[0])
				err = -EBADMSG;
		if (err && atomic_inc_return(&ctx->errors) < 5)
			pr_err("# torn reader: error %d\n", err);
		atomic_inc(&ctx->reads);
		cond_resched();
	}
	return 0;
}

static int mt_scanner(void *arg)
{
	struct mt_ctx *ctx = arg;

	while (!kthread_should_stop()) {
		if (!full_scan(ctx->map, ctx->stable, 0, 1024, NULL))
			atomic_inc(&ctx->errors);
		atomic_inc(&ctx->scans);
		cond_resched();
	}
	return 0;
}

#define MT_MAX_THREADS	16

/* Run @nfn workers with @fn plus one churn writer for @iterations rounds. */
static void mt_run(struct mt_ctx *ctx, int (*fn)(void *), u32 nfn)
{
	struct task_struct *t[MT_MAX_THREADS + 1];
	u32 i, n = 0;
	int ms;

	nfn = min_t(u32, max_t(u32, nfn, 1), MT_MAX_THREADS);
	for (i = 0; i < nfn + 1; i++) {
		t[n] = kthread_run(i ? fn : mt_churn, ctx, "cmap_test/%u", i);
		CT_CHECK(!IS_ERR(t[n]));
		if (!IS_ERR(t[n]))
			n++;
	}
	for (ms = 0; ms < 600000; ms += 20) {
		if ((u32)atomic_read(&ctx->rounds) >= iterations)
			break;
		msleep(20);
	}
	for (i = 0; i < n; i++)
		kthread_stop(t[i]);
	CT_CHECK((u32)atomic_read(&ctx->rounds) >= iterations);
}

static struct cmap *mt_setup(struct mt_ctx *ctx, u32 stable)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->stable = stable;
	ctx->map = mkmap(0, 0, 0);
	CT_CHECK(ctx->map);
	if (ctx->map)
		CT_CHECK(put_range(ctx->map, "key", 0, stable) == stable);
	return ctx->map;
}

static void mt_teardown(struct mt_ctx *ctx)
{
	struct cmap_core_stats st;

	cmap_get_stats(ctx->map, &st);
	pr_info("# %u rounds, %u reads, %u scans, %llu grows, %llu shrinks, moved by writers %llu, by worker %llu\n",
		atomic_read(&ctx->rounds), atomic_read(&ctx->reads),
		atomic_read(&ctx->scans), (unsigned long long)st.grows,
		(unsigned long long)st.shrinks,
		(unsigned long long)st.moved_by_writers,
		(unsigned long long)st.moved_by_worker);
	CT_CHECK(st.grows > 0);
	/* Deleting the churn keys shrinks if the peak size allows it. */
	if (ctx->stable * 5 < rest_size(16, ctx->stable + churn, 16))
		CT_CHECK(st.shrinks > 0);
	CT_CHECK(atomic_read(&ctx->errors) == 0);
	CT_CHECK(count_present(ctx->map, "key", ctx->stable, 0) ==
		 ctx->stable);
	cmap_destroy(ctx->map);
}

static void test_mt_lookup_resize(void)
{
	struct mt_ctx ctx;

	if (!mt_setup(&ctx, 1000))
		return;
	mt_run(&ctx, mt_reader, threads);
	CT_CHECK(atomic_read(&ctx.reads) > 0);
	mt_teardown(&ctx);
}

static void test_mt_replace(void)
{
	struct task_struct *w;
	char key[KEY_BUF];
	struct mt_ctx ctx;
	u32 i;

	if (!mt_setup(&ctx, 100))
		return;
	for (i = 0; i < 64; i++)
		CT_CHECK(cmap_update(ctx.map, key, mkkey(key, "t", i), "\0", 1,
				     0) == 0);
	w = kthread_run(mt_replacer, &ctx, "cmap_test/replace");
	CT_CHECK(!IS_ERR(w));
	mt_run(&ctx, mt_torn_reader, threads);
	if (!IS_ERR(w))
		kthread_stop(w);
	CT_CHECK(atomic_read(&ctx.reads) > 0);
	mt_teardown(&ctx);
}

static void test_mt_scan(void)
{
	struct mt_ctx ctx;

	if (!mt_setup(&ctx, 500))
		return;
	mt_run(&ctx, mt_scanner, 1);
	CT_CHECK(atomic_read(&ctx.scans) > 0);
	mt_teardown(&ctx);
}

/**
 * struct walk_ctx - state of the whole-map walks case
 * @map:        the map
 * @stats:      cmap_get_stats() calls done
 * @clears:     cmap_clear() calls done
 * @saw_resize: stats calls whose walk saw the newest table change
 * @churn:      the churn writer's state (mt_churn() runs on it)
 */
struct walk_ctx {
	struct cmap *map;
	atomic_t stats;
	atomic_t clears;
	atomic_t saw_resize;
	struct mt_ctx churn;
};

/*
 * Take stats, histogram included, in a loop. The table sizes are read
 * when the call starts; if the histogram does not count exactly the newest
 * table's buckets, a resize started while the call walked the chains:
 * impossible if the walk held map->mutex, which resizes start under.
 */
static int walk_stats(void *arg)
{
	struct walk_ctx *w = arg;
	struct cmap_core_stats st;
	u64 sum;
	u32 i;

	while (!kthread_should_stop()) {
		cmap_get_stats(w->map, &st);
		for (sum = 0, i = 0; i < CMAP_CHAIN_HIST; i++)
			sum += st.chain_hist[i];
		if (sum != (st.future_buckets ?: st.buckets))
			atomic_inc(&w->saw_resize);
		atomic_inc(&w->stats);
		cond_resched();
	}
	return 0;
}

static int walk_clear(void *arg)
{
	struct walk_ctx *w = arg;

	while (!kthread_should_stop()) {
		cmap_clear(w->map);
		atomic_inc(&w->clears);
		cond_resched();
	}
	return 0;
}

static u64 resizes(struct cmap *map)
{
	struct cmap_core_stats st;

	cmap_get_stats(map, &st);
	return st.grows + st.shrinks;
}

/*
 * STATS and CLEAR walk the whole map: while threads call them in a loop,
 * a writer forcing grows and shrinks must still see resizes complete, and
 * resizes must start during stats walks (issue 14: both used to hold
 * map->mutex, which the resize worker needs, for their whole walk).
 */
static void test_mt_walks(void)
{
	int (*fn[])(void *) = { mt_churn, walk_stats, walk_clear };
	struct task_struct *t[ARRAY_SIZE(fn)];
	struct walk_ctx w = {};
	u64 before, after;
	u32 i, n = 0;
	int ms;

	w.map = mkmap(0, 0, 0);
	w.churn.map = w.map;
	CT_CHECK(w.map);
	if (!w.map)
		return;
	before = resizes(w.map);
	for (i = 0; i < ARRAY_SIZE(fn); i++) {
		t[n] = kthread_run(fn[i], i ? (void *)&w : (void *)&w.churn,
				   "cmap_test/walk%u", i);
		CT_CHECK(!IS_ERR(t[n]));
		if (!IS_ERR(t[n]))
			n++;
	}
	for (ms = 0; ms < 60000; ms += 20) {
		if ((u32)atomic_read(&w.churn.rounds) >= iterations &&
		    atomic_read(&w.saw_resize) > 0 &&
		    atomic_read(&w.clears) > 0)
			break;
		msleep(20);
	}
	after = resizes(w.map);
	for (i = 0; i < n; i++)
		kthread_stop(t[i]);
	pr_info("# %u rounds, %u stats (%u saw a resize start), %u clears, %llu resizes\n",
		atomic_read(&w.churn.rounds), atomic_read(&w.stats),
		atomic_read(&w.saw_resize), atomic_read(&w.clears),
		(unsigned long long)(after - before));
	CT_CHECK((u32)atomic_read(&w.churn.rounds) >= iterations);
	CT_CHECK(atomic_read(&w.clears) > 0);
	CT_CHECK(after - before >= 2);
	CT_CHECK(atomic_read(&w.saw_resize) > 0);
	cmap_destroy(w.map);
}

#ifndef __KERNEL__
static int clear_once(void *arg)
{
	struct walk_ctx *w = arg;

	cmap_clear(w->map);
	atomic_inc(&w->clears);
	while (!kthread_should_stop())
		msleep(20);
	return 0;
}

/*
 * CLEAR does not wait for a resize, nor a resize for it: the worker holds
 * map->mutex while it allocates a new table (stalled here by the shim),
 * and a clear runs to its end meanwhile; once the allocation goes on, the
 * grow completes. A clear that took map->mutex would wait for the stall.
 */
static void test_clear_during_resize(void)
{
	struct walk_ctx w = {};
	struct task_struct *t;
	struct cmap_core_stats st;
	int ms;

	w.map = mkmap(0, 0, 0);
	CT_CHECK(w.map);
	if (!w.map)
		return;
	__atomic_store_n(&shim_stall_kvmalloc, 1, __ATOMIC_RELEASE);
	CT_CHECK(put_range(w.map, "key", 0, 200) == 200);
	for (ms = 0; ms < WAIT_MS; ms += 20) {
		if (__atomic_load_n(&shim_stalled, __ATOMIC_ACQUIRE))
			break;
		msleep(20);
	}
	CT_CHECK(__atomic_load_n(&shim_stalled, __ATOMIC_ACQUIRE) == 1);
	t = kthread_run(clear_once, &w, "cmap_test/clear");
	CT_CHECK(!IS_ERR(t));
	for (ms = 0; ms < 2000 && !atomic_read(&w.clears); ms += 20)
		msleep(20);
	/* the worker still waits in its allocation, holding map->mutex */
	CT_CHECK(atomic_read(&w.clears) == 1);
	CT_CHECK(__atomic_load_n(&shim_stalled, __ATOMIC_ACQUIRE) == 1);
	CT_CHECK(cmap_count(w.map) == 0);
	__atomic_store_n(&shim_stall_kvmalloc, 0, __ATOMIC_RELEASE);
	if (!IS_ERR(t))
		kthread_stop(t);
	for (ms = 0; ms < WAIT_MS; ms += 20) {
		cmap_get_stats(w.map, &st);
		if (st.grows)
			break;
		msleep(20);
	}
	CT_CHECK(st.grows == 1);
	cmap_destroy(w.map);
}
#endif

/* ---- the runner ---- */

struct cmap_case {
	const char *name;
	void (*fn)(void);
};

static const struct cmap_case cmap_cases[] = {
	{ "basic", test_basic },
	{ "grow_shrink", test_grow_shrink },
	{ "hysteresis_min_size", test_hysteresis },
#ifndef __KERNEL__
	{ "alloc_failure_retry", test_alloc_failure },
#endif
	{ "limits", test_limits },
#ifndef __KERNEL__
	{ "charged_sizes", test_charged_sizes },
	{ "counter_slow_paths", test_counter_slow_paths },
#endif
	{ "scan", test_scan },
	{ "scan_across_resizes", test_scan_resize },
	{ "clear_stats", test_clear_stats },
	{ "scan_cursor_sealed", test_scan_cursor },
	{ "long_chain", test_long_chain },
	{ "mt_lookup_during_resize", test_mt_lookup_resize },
	{ "mt_replace_not_torn", test_mt_replace },
	{ "mt_scan_during_resize", test_mt_scan },
	{ "mt_walks_do_not_stop_resizes", test_mt_walks },
#ifndef __KERNEL__
	{ "clear_during_resize_alloc", test_clear_during_resize },
#endif
};

#ifndef __KERNEL__
/* User space: the module parameters come from the environment. */
static void cmap_test_params(void)
{
	unsigned long v;
	const char *s;

	s = getenv("CMAP_TEST_ITERATIONS");
	if (s && !kstrtoul(s, 10, &v))
		iterations = v;
	s = getenv("CMAP_TEST_THREADS");
	if (s && !kstrtoul(s, 10, &v))
		threads = v;
	s = getenv("CMAP_TEST_CHURN");
	if (s && !kstrtoul(s, 10, &v))
		churn = v;
	s = getenv("CMAP_TEST_CHAIN");
	if (s && !kstrtoul(s, 10, &v))
		chain = v;
}
#else
static void cmap_test_params(void)
{
}
#endif

static int __init cmap_test_init(void)
{
	u32 i, n = ARRAY_SIZE(cmap_cases);

	cmap_test_params();
	for (i = 0; i < n; i++) {
		case_ok = true;
		cmap_cases[i].fn();
		if (case_ok)
			pr_info("ok %u - %s\n", i + 1, cmap_cases[i].name);
		else
			pr_info("not ok %u - %s\n", i + 1, cmap_cases[i].name);
	}
	pr_info("1..%u\n", n);
	pr_info("cmap_test: %u of %u tests passed\n", tests_passed, tests_run);
	return tests_passed == tests_run ? 0 : -EINVAL;
}

static void __exit cmap_test_exit(void)
{
}

module_init(cmap_test_init);
module_exit(cmap_test_exit);
MODULE_DESCRIPTION("cmap core self-test");
MODULE_LICENSE("GPL");
