// SPDX-License-Identifier: GPL-2.0
/*
 * The naive peer: a chained hash table behind one rwlock. Lookups take the
 * lock shared; inserts, updates and deletes take it exclusive. When the
 * load passes 3/4 the table doubles, and when it falls under 3/10 it halves
 * (the thresholds of rhashtable): the new bucket array is allocated with
 * the lock dropped, then every entry is rehashed into it at once with the
 * lock held, which is the stop-the-world pause incremental resizing avoids.
 */
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "cmap_bench.h"

#define NAIVE_MIN_SIZE	16U

struct naive_node {
	struct hlist_node hn;
	u64 key;
	u64 val;
};

/**
 * struct naive - the table
 * @lock:    protects everything below
 * @b:       bucket array of @size chains
 * @size:    number of buckets, a power of two
 * @count:   number of entries
 * @seed:    jhash seed
 * @resize:  resizes done, all timed (allocation to swap)
 */
struct naive {
	rwlock_t lock;
	struct hlist_head *b;
	u32 size;
	u32 seed;
	u64 count;
	struct cb_resize resize;
};

static struct hlist_head *naive_chain(struct hlist_head *b, u32 size, u32 seed,
				      u64 key)
{
	return &b[jhash(&key, sizeof(key), seed) & (size - 1)];
}

static struct naive_node *naive_find(struct naive *t, u64 key)
{
	struct naive_node *n;

	hlist_for_each_entry(n, naive_chain(t->b, t->size, t->seed, key), hn)
		if (n->key == key)
			return n;
	return NULL;
}

static void *naive_create(void)
{
	struct naive *t = kzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return ERR_PTR(-ENOMEM);
	t->size = NAIVE_MIN_SIZE;
	t->b = kvcalloc(t->size, sizeof(*t->b), GFP_KERNEL);
	if (!t->b) {
		kfree(t);
		return ERR_PTR(-ENOMEM);
	}
	rwlock_init(&t->lock);
	t->seed = get_random_u32();
	return t;
}

static void naive_destroy(void *tbl)
{
	struct naive *t = tbl;
	struct hlist_node *tmp;
	struct naive_node *n;
	u32 i;

	for (i = 0; i < t->size; i++)
		hlist_for_each_entry_safe(n, tmp, &t->b[i], hn)
			kfree(n);
	kvfree(t->b);
	kfree(t);
}

/* The size the table should have for its load, or its size if it is fine. */
static u32 naive_wanted(const struct naive *t)
{
	if (t->count * 4 > (u64)t->size * 3)
		return t->size * 2;
	if (t->size > NAIVE_MIN_SIZE && t->count * 10 < (u64)t->size * 3)
		return t->size / 2;
	return t->size;
}

/* Move every entry to @nb of @nsize buckets. Called with the lock held. */
static struct hlist_head *naive_rehash(struct naive *t, struct hlist_head *nb,
				       u32 nsize)
{
	struct hlist_head *old = t->b;
	struct hlist_node *tmp;
	struct naive_node *n;
	u32 i;

	for (i = 0; i < t->size; i++)
		hlist_for_each_entry_safe(n, tmp, &old[i], hn) {
			hlist_del(&n->hn);
			hlist_add_head(&n->hn,
				       naive_chain(nb, nsize, t->seed, n->key));
		}
	t->b = nb;
	t->size = nsize;
	return old;
}

/* Resize to @nsize if the table still has @osize buckets and wants it. */
static void naive_resize(struct naive *t, u32 osize, u32 nsize)
{
	u64 start = ktime_get_ns(), ns;
	struct hlist_head *nb, *unused;

	nb = kvcalloc(nsize, sizeof(*nb), GFP_KERNEL);
	if (!nb)
		return;
	write_lock(&t->lock);
	if (t->size != osize || naive_wanted(t) != nsize) {
		write_unlock(&t->lock);
		kvfree(nb);
		return;
	}
	unused = naive_rehash(t, nb, nsize);
	ns = ktime_get_ns() - start;
	t->resize.count++;
	t->resize.timed++;
	t->resize.total_ns += ns;
	t->resize.max_ns = max(t->resize.max_ns, ns);
	write_unlock(&t->lock);
	kvfree(unused);
}

static void naive_maybe_resize(struct naive *t, u32 size, u32 wanted)
{
	if (wanted != size)
		naive_resize(t, size, wanted);
}

static int naive_lookup(void *tbl, u64 key, u64 *val)
{
	struct naive *t = tbl;
	struct naive_node *n;

	read_lock(&t->lock);
	n = naive_find(t, key);
	if (n)
		*val = n->val;
	read_unlock(&t->lock);
	return n ? 0 : -ENOENT;
}

static int naive_insert(void *tbl, u64 key, u64 val)
{
	struct naive_node *n = kmalloc(sizeof(*n), GFP_KERNEL);
	struct naive *t = tbl;
	u32 size, wanted;

	if (!n)
		return -ENOMEM;
	n->key = key;
	n->val = val;
	write_lock(&t->lock);
	if (naive_find(t, key)) {
		write_unlock(&t->lock);
		kfree(n);
		return -EEXIST;
	}
	hlist_add_head(&n->hn, naive_chain(t->b, t->size, t->seed, key));
	t->count++;
	size = t->size;
	wanted = naive_wanted(t);
	write_unlock(&t->lock);
	naive_maybe_resize(t, size, wanted);
	return 0;
}

static int naive_update(void *tbl, u64 key, u64 val)
{
	struct naive *t = tbl;
	struct naive_node *n;

	write_lock(&t->lock);
	n = naive_find(t, key);
	if (n)
		n->val = val;
	write_unlock(&t->lock);
	return n ? 0 : -ENOENT;
}

static int naive_remove(void *tbl, u64 key)
{
	struct naive *t = tbl;
	struct naive_node *n;
	u32 size, wanted;

	write_lock(&t->lock);
	n = naive_find(t, key);
	if (n) {
		hlist_del(&n->hn);
		t->count--;
	}
	size = t->size;
	wanted = naive_wanted(t);
	write_unlock(&t->lock);
	if (!n)
		return -ENOENT;
	kfree(n);
	naive_maybe_resize(t, size, wanted);
	return 0;
}

static void naive_mem(void *tbl, struct cb_mem *m)
{
	struct naive *t = tbl;

	read_lock(&t->lock);
	m->entries = t->count;
	m->buckets = t->size;
	m->bytes = t->count * kmalloc_size_roundup(sizeof(struct naive_node)) +
		   (u64)t->size * sizeof(*t->b);
	read_unlock(&t->lock);
}

static void naive_resize_stats(void *tbl, struct cb_resize *r, bool reset)
{
	struct naive *t = tbl;

	write_lock(&t->lock);
	*r = t->resize;
	if (reset) {
		t->resize.timed = 0;
		t->resize.total_ns = 0;
		t->resize.max_ns = 0;
	}
	write_unlock(&t->lock);
}

const struct cb_backend cb_backend_naive = {
	.name = "naive",
	.create = naive_create,
	.destroy = naive_destroy,
	.lookup = naive_lookup,
	.insert = naive_insert,
	.update = naive_update,
	.remove = naive_remove,
	.mem = naive_mem,
	.resize = naive_resize_stats,
};
