// SPDX-License-Identifier: GPL-2.0
/*
 * cmap-hammer scenarios 5 (batch-mix) and 6 (threshold-oscillation).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scen.h"

/* ==== 5. batch-mix ==== */

#define S5_BATCH	32

/*
 * Each thread owns keys 'b' (thread, 0, 0..range-1) and knows exactly
 * what they hold, so it can predict every result: the error of a single
 * operation, and for a batch the documented count semantics (in order,
 * stop at the first failure, count = operations done). It fills its range
 * to 90% and drains it to 10%, over and over: together the threads make
 * the table grow and shrink.
 */
struct s5t {
	struct lmodel lm;
	uint64_t seq;
	bool draining;
};

struct s5 {
	uint32_t range;
	struct s5t *t;		/* per thread */
};

/* One batch (or single operation) being prepared and checked. */
struct s5op {
	enum lop kind;
	uint32_t n;
	bool single;
	uint32_t idx[S5_BATCH], flags[S5_BATCH];
	uint64_t seq[S5_BATCH];
	char key[S5_BATCH][HKEY_MAX];
	char val[S5_BATCH][HVAL_MAX + 8];
	struct cmap_batch_op ops[S5_BATCH];
};

static const char *const s5_names[] = { "get", "put", "delete" };

unsigned int s5_role(unsigned int id, unsigned int n)
{
	(void)id;
	(void)n;
	return 0;
}

int s5_setup(struct scen *s)
{
	struct s5 *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	s->priv = p;
	p->range = 4 * s->r->o.keys / s->nthreads;
	if (p->range < 128)
		p->range = 128;
	p->t = calloc(s->nthreads, sizeof(*p->t));
	if (!p->t)
		return -ENOMEM;
	for (unsigned int i = 0; i < s->nthreads; i++)
		if (lmodel_init(&p->t[i].lm, p->range))
			return -ENOMEM;
	return 0;
}

/* A random index, preferably one that is present (or absent). */
static uint32_t s5_pick(struct worker *w, struct lmodel *lm, bool present)
{
	uint32_t idx = 0;

	for (int tries = 0; tries < 4; tries++) {
		idx = rng_below(&w->rng, lm->nkeys);
		if (lm->present[idx] == present)
			break;
	}
	return idx;
}

static uint32_t s5_flags(struct worker *w)
{
	switch (rng_below(&w->rng, 4)) {
	case 0:
		return CMAP_PUT_NOEXIST;
	case 1:
		return CMAP_PUT_EXIST;
	default:
		return CMAP_PUT_ANY;
	}
}

static enum lop s5_kind(struct worker *w, struct s5t *t)
{
	uint32_t x = rng_below(&w->rng, 4);

	if (x == 0)
		return LOP_GET;
	if (x == 1)
		return t->draining ? LOP_PUT : LOP_DELETE;
	return t->draining ? LOP_DELETE : LOP_PUT;
}

static void s5_prepare(struct worker *w, struct s5t *t, struct s5op *o)
{
	o->kind = s5_kind(w, t);
	o->n = rng_below(&w->rng, 3) ? 1 + rng_below(&w->rng, S5_BATCH) : 1;
	o->single = o->n == 1 && rng_below(&w->rng, 2);
	for (uint32_t i = 0; i < o->n; i++) {
		struct cmap_batch_op *op = &o->ops[i];
		struct hval v = { .thread = (uint16_t)w->id };
		int klen;

		o->idx[i] = s5_pick(w, &t->lm, o->kind != LOP_PUT);
		o->flags[i] = o->kind == LOP_PUT ? s5_flags(w) : 0;
		o->seq[i] = v.seq = ++t->seq;
		klen = key_of('b', w->id, 0, o->idx[i], o->key[i]);
		memset(op, 0, sizeof(*op));
		op->key = (uintptr_t)o->key[i];
		op->key_len = (uint32_t)klen;
		op->value = (uintptr_t)o->val[i];
		op->flags = o->flags[i];
		if (o->kind == LOP_PUT)
			op->value_len = (uint32_t)hval_encode(&v, o->key[i],
							      (uint32_t)klen,
							      o->val[i]);
		else
			op->value_size = sizeof(o->val[i]);
	}
}

static int s5_single(int fd, struct s5op *o, uint32_t *count)
{
	struct cmap_batch_op *op = &o->ops[0];
	const void *key = (const void *)(uintptr_t)op->key;
	int err;

	if (o->kind == LOP_GET)
		err = libcmap_get(fd, key, op->key_len, o->val[0],
				  op->value_size, &op->value_len);
	else if (o->kind == LOP_PUT)
		err = libcmap_put(fd, key, op->key_len, o->val[0],
				  op->value_len, op->flags);
	else
		err = libcmap_delete(fd, key, op->key_len);
	*count = err ? 0 : 1;
	return err;
}

static int s5_issue(int fd, struct s5op *o, uint32_t *count)
{
	*count = o->n;
	if (o->single)
		return s5_single(fd, o, count);
	if (o->kind == LOP_GET)
		return libcmap_batch_get(fd, o->ops, count);
	if (o->kind == LOP_PUT)
		return libcmap_batch_put(fd, o->ops, count);
	return libcmap_batch_delete(fd, o->ops, count);
}

/* Re-learn this thread's keys from the map after a misprediction. */
static void s5_resync(struct worker *w, struct lmodel *lm)
{
	char key[HKEY_MAX], val[HVAL_MAX + 8];
	struct hval v;

	lm->npresent = 0;
	for (uint32_t i = 0; i < lm->nkeys; i++) {
		int klen = key_of('b', w->id, 0, i, key);
		uint32_t vlen = 0;
		int err = libcmap_get(w->s->r->fd, key, (uint32_t)klen, val,
				      sizeof(val), &vlen);

		lm->present[i] = !err;
		lm->npresent += !err;
		if (!err && !hval_decode(val, vlen, key, (uint32_t)klen, &v))
			lm->seq[i] = v.seq;
	}
}

/* The values a GET batch returned must be the last ones this thread put. */
static void s5_check_gets(struct worker *w, struct lmodel *lm,
			  struct s5op *o, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		struct hval v;
		enum hval_err e = hval_decode(o->val[i], o->ops[i].value_len,
					      o->key[i], o->ops[i].key_len, &v);

		if (e == HVAL_OK && v.thread == w->id &&
		    v.seq == lm->seq[o->idx[i]])
			continue;
		werr(w, o->single ? "get" : "batch get", o->key[i],
		     o->ops[i].key_len, e ? "corrupt value" : "wrong value",
		     "op %u of %u: thread %u seq %llu, expected seq %llu", i,
		     o->n, v.thread, (unsigned long long)v.seq,
		     (unsigned long long)lm->seq[o->idx[i]]);
	}
}

static void s5_op(struct worker *w, struct s5t *t)
{
	struct s5op o;
	uint32_t ecount, count;
	int eerr, err;
	char op[24];

	s5_prepare(w, t, &o);
	eerr = lmodel_batch(&t->lm, o.kind, o.idx, o.flags, o.seq, o.n,
			    &ecount);
	err = s5_issue(w->s->r->fd, &o, &count);
	snprintf(op, sizeof(op), "%s%s", o.single ? "" : "batch ",
		 s5_names[o.kind]);
	if (err != eerr || count != ecount) {
		uint32_t at = count < ecount ? count : ecount;

		werr(w, op, o.key[at < o.n ? at : 0], o.ops[0].key_len,
		     "wrong result", "%u ops: kernel said %s count %u, model %s count %u",
		     o.n, err ? strerror(-err) : "ok", count,
		     eerr ? strerror(-eerr) : "ok", ecount);
		s5_resync(w, &t->lm);
		return;
	}
	if (o.kind == LOP_GET)
		s5_check_gets(w, &t->lm, &o, count);
	if (t->lm.npresent * 10 > t->lm.nkeys * 9)
		t->draining = true;
	else if (t->lm.npresent * 10 < t->lm.nkeys)
		t->draining = false;
}

void s5_work(struct worker *w)
{
	struct s5 *p = w->s->priv;

	while (worker_go(w))
		s5_op(w, &p->t[w->id]);
}

void s5_check(struct scen *s)
{
	struct s5 *p = s->priv;
	struct model m;
	char key[HKEY_MAX];

	if (model_init(&m, (size_t)p->range * s->nthreads))
		return;
	for (unsigned int t = 0; t < s->nthreads; t++) {
		struct lmodel *lm = &p->t[t].lm;

		for (uint32_t i = 0; i < lm->nkeys; i++) {
			struct hval v = { .thread = (uint16_t)t,
					  .seq = lm->seq[i] };
			int klen = key_of('b', t, 0, i, key);

			model_set(&m, key, (uint32_t)klen,
				  lm->present[i] ? M_PRESENT : M_ABSENT, &v);
		}
	}
	check_map(s->r, &m, "final check");
	model_free(&m);
}

void s5_teardown(struct scen *s)
{
	struct s5 *p = s->priv;

	if (!p)
		return;
	for (unsigned int i = 0; p->t && i < s->nthreads; i++)
		lmodel_free(&p->t[i].lm);
	free(p->t);
	free(p);
}

/* ==== 6. threshold-oscillation ==== */

/*
 * The table grows when entries > 3/4 of the buckets and shrinks when
 * entries < 1/5 (cmap_core.c). With a table of S buckets, the threads hold
 * entries in a band of +-S/16 around 3S/4 (the grow threshold), then
 * around 2S/5 (the shrink threshold of the 2S table that the first band
 * grew to), and so on, each thread inserting and deleting its own keys
 * (a stack: keys 0..cnt-1) several times across its share of the band.
 *
 * Each band visit starts on the side beyond the threshold, all threads
 * together (a barrier), and waits (bounded) for the resize that crossing
 * calls for: the count is then exactly there, so the resize is certain,
 * not left to the luck of when the worker samples the count. Then the
 * threads cross the threshold back and forth S6_CYCLES times each.
 *
 * Bound: after a grow to 2S the load in the high band is ~3/8, far from
 * both thresholds of 2S; after the shrink to S the low band's load is
 * ~2/5, far from both thresholds of S. So each band visit may cost one
 * resize, however often the count crosses the threshold inside it.
 * Allowed: one resize per band visit, plus one still in flight at a band
 * boundary. A map without hysteresis (say shrink below 3/8) would resize
 * on every crossing: S6_CYCLES times per thread per band.
 */
#define S6_CYCLES	6
#define S6_SETTLE	10.0	/* s to wait for the resize a visit calls for */

struct s6 {
	unsigned int size, delta, centre[2];
	unsigned int *cnt;		/* per thread: keys 0..cnt-1 present */
	pthread_barrier_t bar;
	bool bar_ok;
	atomic_bool go_on;
	unsigned int visits;
	unsigned int unresized;		/* visits whose crossing never resized */
	uint64_t before_visit;		/* grows + shrinks when a visit began */
	struct hstate before;
	uint64_t resizes;
};

unsigned int s6_role(unsigned int id, unsigned int n)
{
	(void)id;
	(void)n;
	return 0;
}

/* Thread @t's share of @total among @n threads. */
static unsigned int share(unsigned int total, unsigned int t, unsigned int n)
{
	return (unsigned int)((uint64_t)total * (t + 1) / n -
			      (uint64_t)total * t / n);
}

static int s6_put(struct hrun *r, unsigned int t, unsigned int idx)
{
	char key[HKEY_MAX];
	int klen = key_of('o', t, 0, idx, key);

	return put_val(r, key, klen, t, idx + 1, CMAP_PUT_NOEXIST);
}

static void s6_bands(struct s6 *p, unsigned int size)
{
	p->size = size;
	p->delta = size / 16;
	p->centre[0] = size * 3 / 4;
	p->centre[1] = size * 2 / 5;
}

int s6_setup(struct scen *s)
{
	struct s6 *p = calloc(1, sizeof(*p));
	unsigned int n = s->nthreads, size;
	struct hstate st;
	int err;

	if (!p)
		return -ENOMEM;
	s->priv = p;
	for (size = 256; size < 2 * s->r->o.keys; size *= 2)
		;
	s6_bands(p, size);
	p->cnt = calloc(n, sizeof(*p->cnt));
	if (!p->cnt)
		return -ENOMEM;
	usleep(100000);			/* let the worker see the CLEAR */
	wait_resize_idle(s->r, 10);	/* the shrinks after CLEAR */
	for (unsigned int t = 0; t < n; t++) {
		unsigned int want = share(p->centre[0] - p->delta, t, n);

		for (; p->cnt[t] < want; p->cnt[t]++)
			if ((err = s6_put(s->r, t, p->cnt[t])))
				return err;
	}
	usleep(100000);
	wait_resize_idle(s->r, 10);
	/* The bands follow the table we really have (a late shrink, say). */
	hstate_read(s->r, &st);
	if (st.buckets >= 256 && st.buckets != p->size)
		s6_bands(p, (unsigned int)st.buckets);
	hstate_read(s->r, &p->before);
	if (pthread_barrier_init(&p->bar, NULL, n))
		return -ENOMEM;
	p->bar_ok = true;
	atomic_store(&p->go_on, true);
	return 0;
}

/* Insert or delete this thread's keys until it holds @target. */
static void s6_move(struct worker *w, struct s6 *p, unsigned int target)
{
	unsigned int *cnt = &p->cnt[w->id];
	char key[HKEY_MAX];
	int klen, err;

	while (*cnt < target) {
		err = s6_put(w->s->r, w->id, *cnt);
		if (err) {
			klen = key_of('o', w->id, 0, *cnt, key);
			werr(w, "put NOEXIST", key, (uint32_t)klen,
			     err == -EEXIST ? "phantom entry" : "operation failed",
			     "PUT: %s", strerror(-err));
		}
		(*cnt)++;
		w->ops++;
	}
	while (*cnt > target) {
		klen = key_of('o', w->id, 0, --(*cnt), key);
		err = libcmap_delete(w->s->r->fd, key, (uint32_t)klen);
		if (err)
			werr(w, "delete", key, (uint32_t)klen,
			     err == -ENOENT ? "lost entry" : "operation failed",
			     "DELETE: %s", strerror(-err));
		w->ops++;
	}
}

/* Serial thread, all threads beyond a threshold: wait for its resize. */
static void s6_settle(struct hrun *r, struct s6 *p, uint64_t resizes)
{
	double end = now_s() + S6_SETTLE;
	struct hstate st;

	for (;;) {
		hstate_read(r, &st);
		if (st.grows + st.shrinks > resizes && !st.future_buckets)
			return;
		if (now_s() > end || atomic_load(&r->stop))
			break;
		usleep(10000);
	}
	if (atomic_load(&r->stop))
		return;
	p->unresized++;
	data_error(r, "final check", "resize", NULL, 0, "resize missing",
		   "%llu entries in %llu buckets, beyond a threshold, and no resize within %.0f s",
		   (unsigned long long)st.entries,
		   (unsigned long long)st.buckets, S6_SETTLE);
}

/* All threads finished a band visit: one of them decides on another. */
static bool s6_next(struct worker *w, struct s6 *p)
{
	struct scen *s = w->s;
	int ret = pthread_barrier_wait(&p->bar);

	if (ret == PTHREAD_BARRIER_SERIAL_THREAD) {
		bool more = !atomic_load(&s->r->stop) && !atomic_load(&s->done);

		p->visits++;
		if (s->ops_limit)
			more = more && w->ops < s->ops_limit;
		else
			more = more && now_s() < s->deadline;
		atomic_store(&p->go_on, more);
	}
	pthread_barrier_wait(&p->bar);
	return atomic_load(&p->go_on);
}

void s6_work(struct worker *w)
{
	struct s6 *p = w->s->priv;
	unsigned int n = w->s->nthreads;

	for (unsigned int v = 0;; v++) {
		unsigned int c = p->centre[v % 2];
		unsigned int lo = share(c - p->delta, w->id, n);
		unsigned int hi = share(c + p->delta, w->id, n);
		/* Beyond the threshold first: above a grow's, below a shrink's. */
		unsigned int beyond = v % 2 ? lo : hi, back = v % 2 ? hi : lo;
		struct hstate st;

		if (pthread_barrier_wait(&p->bar) == PTHREAD_BARRIER_SERIAL_THREAD) {
			hstate_read(w->s->r, &st);
			p->before_visit = st.grows + st.shrinks;
		}
		pthread_barrier_wait(&p->bar);
		s6_move(w, p, beyond);
		if (pthread_barrier_wait(&p->bar) == PTHREAD_BARRIER_SERIAL_THREAD)
			s6_settle(w->s->r, p, p->before_visit);
		pthread_barrier_wait(&p->bar);
		for (int i = 0; i < S6_CYCLES; i++) {
			s6_move(w, p, back);
			s6_move(w, p, beyond);
		}
		if (!s6_next(w, p))
			break;
	}
}

void s6_check(struct scen *s)
{
	struct s6 *p = s->priv;
	struct hstate after;
	struct model m;
	char key[HKEY_MAX];

	wait_resize_idle(s->r, 10);
	hstate_read(s->r, &after);
	p->resizes = after.grows + after.shrinks - p->before.grows -
		     p->before.shrinks;
	if (p->resizes > p->visits + 1)
		data_error(s->r, "final check", "resize", NULL, 0,
			   "resize thrash",
			   "%llu resizes in %u band visits: more than one per visit (+1)",
			   (unsigned long long)p->resizes, p->visits);
	if (model_init(&m, p->size * 2))
		return;
	for (unsigned int t = 0; t < s->nthreads; t++) {
		for (unsigned int i = 0; i < p->cnt[t]; i++) {
			struct hval v = { .thread = (uint16_t)t, .seq = i + 1 };
			int klen = key_of('o', t, 0, i, key);

			model_set(&m, key, (uint32_t)klen, M_PRESENT, &v);
		}
	}
	check_map(s->r, &m, "final check");
	model_free(&m);
}

void s6_note(struct scen *s, struct hresult *res)
{
	struct s6 *p = s->priv;
	int off;

	off = snprintf(res->note, sizeof(res->note),
		       "%llu resizes in %u band visits around %u and %u entries of %u buckets (bound %u: one per visit + 1)",
		       (unsigned long long)p->resizes, p->visits,
		       p->centre[0], p->centre[1], p->size, p->visits + 1);
	if (p->unresized && off > 0 && (size_t)off < sizeof(res->note))
		snprintf(res->note + off, sizeof(res->note) - (size_t)off,
			 "; %u visits crossed a threshold without a resize within %.0f s",
			 p->unresized, S6_SETTLE);
}

void s6_teardown(struct scen *s)
{
	struct s6 *p = s->priv;

	if (!p)
		return;
	if (p->bar_ok)
		pthread_barrier_destroy(&p->bar);
	free(p->cnt);
	free(p);
}
