// SPDX-License-Identifier: GPL-2.0
/*
 * The cmap and rhashtable backends of the benchmark: thin adapters from
 * struct cb_backend to each table's own interface.
 *
 * rhashtable keeps no statistics, so its resizes are observed from the
 * outside: one worker calls rht_poll() after each insert or delete, which
 * notes when the current table gets a future table (a rehash started) and
 * when the current table is replaced (it ended). A resize that starts and
 * ends between two polls is counted but not timed.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jhash.h>
#include <linux/minmax.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "../cmap_core.h"
#include "cmap_bench.h"

/* ---- cmap ---- */

static void *cb_cmap_create(void)
{
	struct cmap_config cfg = { .gfp = GFP_KERNEL };
	struct cmap *map = cmap_create(&cfg);

	if (IS_ERR_OR_NULL(map))
		return map ? map : ERR_PTR(-ENOMEM);
	return map;
}

static void cb_cmap_destroy(void *t)
{
	cmap_destroy(t);
}

static int cb_cmap_lookup(void *t, u64 key, u64 *val)
{
	u32 len;

	return cmap_lookup(t, &key, sizeof(key), val, sizeof(*val), &len);
}

static int cb_cmap_insert(void *t, u64 key, u64 val)
{
	return cmap_update(t, &key, sizeof(key), &val, sizeof(val),
			   CMAP_PUT_NOEXIST);
}

static int cb_cmap_update(void *t, u64 key, u64 val)
{
	return cmap_update(t, &key, sizeof(key), &val, sizeof(val),
			   CMAP_PUT_EXIST);
}

static int cb_cmap_remove(void *t, u64 key)
{
	return cmap_delete(t, &key, sizeof(key));
}

static void cb_cmap_mem(void *t, struct cb_mem *m)
{
	struct cmap_core_stats st;

	cmap_get_stats(t, &st);
	m->entries = st.entries;
	m->bytes = st.bytes;
	m->buckets = st.buckets;
}

static void cb_cmap_resize(void *t, struct cb_resize *r, bool reset)
{
	struct cmap_core_stats st;

	cmap_get_stats(t, &st);
	memset(r, 0, sizeof(*r));
	r->count = st.grows + st.shrinks;
	cb_trace_resize_times(t, r, reset);
}

/* Background resizes of the prefill: wait for the last to finish. */
#define CB_SETTLE_POLLS		1000
#define CB_SETTLE_MS		5

static void cb_cmap_settle(void *t)
{
	struct cmap_core_stats st;
	unsigned int i;

	for (i = 0; i < CB_SETTLE_POLLS; i++) {
		cmap_get_stats(t, &st);	/* waits for a running worker */
		if (!st.future_buckets && st.entries * 4 <= st.buckets * 3)
			return;
		msleep(CB_SETTLE_MS);
	}
}

const struct cb_backend cb_backend_cmap = {
	.name = "cmap",
	.create = cb_cmap_create,
	.destroy = cb_cmap_destroy,
	.lookup = cb_cmap_lookup,
	.insert = cb_cmap_insert,
	.update = cb_cmap_update,
	.remove = cb_cmap_remove,
	.mem = cb_cmap_mem,
	.resize = cb_cmap_resize,
	.settle = cb_cmap_settle,
};

/* ---- rhashtable ---- */

struct rht_obj {
	struct rhash_head node;
	u64 key;
	u64 val;
	struct rcu_head rcu;
};

/**
 * struct rht - an rhashtable and what the benchmark observed of it
 * @ht:       the table
 * @seen:     the bucket table current at the last poll
 * @start_ns: when a future table was first seen on @seen, 0 if not yet
 * @resize:   resizes observed
 */
struct rht {
	struct rhashtable ht;
	const struct bucket_table *seen;
	u64 start_ns;
	struct cb_resize resize;
};

static const struct rhashtable_params rht_params = {
	.key_len = sizeof(u64),
	.key_offset = offsetof(struct rht_obj, key),
	.head_offset = offsetof(struct rht_obj, node),
	.hashfn = jhash,
	.automatic_shrinking = true,
};

static void *rht_create(void)
{
	struct rht *t = kzalloc(sizeof(*t), GFP_KERNEL);
	int err;

	if (!t)
		return ERR_PTR(-ENOMEM);
	err = rhashtable_init(&t->ht, &rht_params);
	if (err) {
		kfree(t);
		return ERR_PTR(err);
	}
	return t;
}

static void rht_free_obj(void *ptr, void *arg)
{
	kfree(ptr);
}

static void rht_destroy(void *tbl)
{
	struct rht *t = tbl;

	rhashtable_free_and_destroy(&t->ht, rht_free_obj, NULL);
	kfree(t);
}

static int rht_lookup(void *tbl, u64 key, u64 *val)
{
	struct rht *t = tbl;
	struct rht_obj *o;

	rcu_read_lock();
	o = rhashtable_lookup(&t->ht, &key, rht_params);
	if (o)
		*val = READ_ONCE(o->val);
	rcu_read_unlock();
	return o ? 0 : -ENOENT;
}

static int rht_insert(void *tbl, u64 key, u64 val)
{
	struct rht_obj *o = kmalloc(sizeof(*o), GFP_KERNEL);
	struct rht *t = tbl;
	int err;

	if (!o)
		return -ENOMEM;
	o->key = key;
	o->val = val;
	err = rhashtable_lookup_insert_fast(&t->ht, &o->node, rht_params);
	if (err)
		kfree(o);
	return err;
}

/* Replace the entry of @key by a new one, as cmap does, never in place. */
static int rht_update(void *tbl, u64 key, u64 val)
{
	struct rht_obj *o = kmalloc(sizeof(*o), GFP_KERNEL), *old;
	struct rht *t = tbl;
	int err;

	if (!o)
		return -ENOMEM;
	o->key = key;
	o->val = val;
	do {
		rcu_read_lock();
		old = rhashtable_lookup(&t->ht, &key, rht_params);
		err = old ? rhashtable_replace_fast(&t->ht, &old->node,
						    &o->node, rht_params) : -ENOENT;
		rcu_read_unlock();
	} while (err == -ENOENT && old);
	if (err) {
		kfree(o);
		return err;
	}
	kfree_rcu(old, rcu);
	return 0;
}

static int rht_remove(void *tbl, u64 key)
{
	struct rht *t = tbl;
	struct rht_obj *o;
	int err = -ENOENT;

	rcu_read_lock();
	o = rhashtable_lookup(&t->ht, &key, rht_params);
	if (o)
		err = rhashtable_remove_fast(&t->ht, &o->node, rht_params);
	rcu_read_unlock();
	if (!err)
		kfree_rcu(o, rcu);
	return err;
}

static void rht_mem(void *tbl, struct cb_mem *m)
{
	struct rht *t = tbl;
	struct bucket_table *bt;

	m->entries = atomic_read(&t->ht.nelems);
	rcu_read_lock();
	bt = rcu_dereference(t->ht.tbl);
	m->buckets = bt->size;
	m->bytes = m->entries * kmalloc_size_roundup(sizeof(struct rht_obj)) +
		   struct_size(bt, buckets, bt->size);
	rcu_read_unlock();
}

static void rht_resize(void *tbl, struct cb_resize *r, bool reset)
{
	struct rht *t = tbl;

	*r = t->resize;
	if (reset) {
		t->resize.timed = 0;
		t->resize.total_ns = 0;
		t->resize.max_ns = 0;
	}
}

static void rht_poll(void *tbl, u64 now)
{
	struct rht *t = tbl;
	struct bucket_table *bt;
	u64 ns;

	rcu_read_lock();
	bt = rcu_dereference(t->ht.tbl);
	if (bt != t->seen) {
		if (t->seen) {
			t->resize.count++;
			if (t->start_ns) {
				ns = now - t->start_ns;
				t->resize.timed++;
				t->resize.total_ns += ns;
				t->resize.max_ns = max(t->resize.max_ns, ns);
			}
		}
		t->seen = bt;
		t->start_ns = 0;
	}
	if (!t->start_ns && rcu_access_pointer(bt->future_tbl))
		t->start_ns = now;
	rcu_read_unlock();
}

static void rht_settle(void *tbl)
{
	struct rht *t = tbl;
	struct bucket_table *bt;
	unsigned int i;
	bool busy;

	for (i = 0; i < CB_SETTLE_POLLS; i++) {
		flush_work(&t->ht.run_work);
		rcu_read_lock();
		bt = rcu_dereference(t->ht.tbl);
		busy = rcu_access_pointer(bt->future_tbl) ||
		       rht_grow_above_75(&t->ht, bt);
		rcu_read_unlock();
		if (!busy)
			return;
		msleep(CB_SETTLE_MS);
	}
}

const struct cb_backend cb_backend_rhashtable = {
	.name = "rhashtable",
	.create = rht_create,
	.destroy = rht_destroy,
	.lookup = rht_lookup,
	.insert = rht_insert,
	.update = rht_update,
	.remove = rht_remove,
	.mem = rht_mem,
	.resize = rht_resize,
	.poll = rht_poll,
	.settle = rht_settle,
};
