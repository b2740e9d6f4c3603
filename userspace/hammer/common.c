// SPDX-License-Identifier: GPL-2.0
/*
 * cmap-hammer: pieces the scenarios share. The stable set: keys written
 * by set-up and never touched again, whose value is known. Churners: each
 * inserts a large set of its own keys and deletes them again, over and
 * over, so that the table keeps growing and shrinking.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scen.h"

/* ---- the stable set ---- */

int stable_fill(struct hrun *r, unsigned int nkeys)
{
	char key[HKEY_MAX];

	for (unsigned int i = 0; i < nkeys; i++) {
		int klen = key_of('s', 0, 0, i, key);
		int err = put_val(r, key, klen, HVAL_SETUP, i + 1,
				  CMAP_PUT_NOEXIST);

		if (err)
			return err;
	}
	return 0;
}

/* Is @rec's value the one of stable key @idx? */
bool stable_val_ok(unsigned int idx, const void *key, uint32_t klen,
		   const void *val, uint32_t vlen, char *detail, size_t dsize)
{
	struct hval v;
	enum hval_err e = hval_decode(val, vlen, key, klen, &v);

	if (e == HVAL_OK && v.thread == HVAL_SETUP && v.seq == idx + 1)
		return true;
	if (e != HVAL_OK)
		snprintf(detail, dsize, "%s value (%u bytes)",
			 e == HVAL_OTHER_KEY ? "another key's" : "malformed",
			 vlen);
	else
		snprintf(detail, dsize, "value of thread %u seq %llu, expected set-up seq %u",
			 v.thread, (unsigned long long)v.seq, idx + 1);
	return false;
}

/* One GET of stable key @idx by worker @w; a data error unless right. */
void stable_get(struct worker *w, unsigned int idx)
{
	char key[HKEY_MAX], val[HVAL_MAX + 8], detail[160];
	int klen = key_of('s', 0, 0, idx, key);
	uint32_t vlen = 0;
	int err = libcmap_get(w->s->r->fd, key, (uint32_t)klen, val,
			      sizeof(val), &vlen);

	if (err == -ENOENT)
		werr(w, "get", key, (uint32_t)klen, "lost entry",
		     "stable key not found (present since set-up)");
	else if (err)
		werr(w, "get", key, (uint32_t)klen, "operation failed",
		     "GET: %s", strerror(-err));
	else if (!stable_val_ok(idx, key, (uint32_t)klen, val, vlen, detail,
				sizeof(detail)))
		werr(w, "get", key, (uint32_t)klen, "wrong value", "%s",
		     detail);
}

int stable_model(struct model *m, unsigned int nkeys)
{
	char key[HKEY_MAX];

	for (unsigned int i = 0; i < nkeys; i++) {
		struct hval v = { .thread = HVAL_SETUP, .seq = i + 1 };
		int klen = key_of('s', 0, 0, i, key);
		int err = model_set(m, key, (uint32_t)klen, M_PRESENT, &v);

		if (err)
			return err;
	}
	return 0;
}

/* Check the whole map: exactly the stable set (plus @extra's expectations). */
void stable_check(struct scen *s, unsigned int nkeys)
{
	struct model m;

	if (model_init(&m, nkeys)) {
		data_error(s->r, "check", "final check", NULL, 0,
			   "operation failed", "out of memory");
		return;
	}
	if (!stable_model(&m, nkeys))
		check_map(s->r, &m, "final check");
	model_free(&m);
}

/* ---- a scan's tally of the stable set and of keys seen once at most ---- */

int tally_init(struct tally *t, unsigned int nstable, unsigned int nowners,
	       unsigned int nidx)
{
	memset(t, 0, sizeof(*t));
	t->nstable = nstable;
	t->nowners = nowners;
	t->nidx = nidx;
	t->stable = calloc(nstable ? nstable : 1, sizeof(*t->stable));
	t->seen = calloc((size_t)nowners * nidx + 1, sizeof(*t->seen));
	return t->stable && t->seen ? 0 : -ENOMEM;
}

void tally_free(struct tally *t)
{
	free(t->stable);
	free(t->seen);
}

void tally_begin(struct tally *t)
{
	memset(t->stable, 0, t->nstable * sizeof(*t->stable));
	t->scan++;
}

/*
 * A record of key (@owner, @gen, @idx) of a churning kind: returned at
 * most once per scan. Returns false if this scan returned it already.
 */
bool tally_once(struct tally *t, unsigned int owner, unsigned int gen,
		unsigned int idx)
{
	struct tally_seen *ts;

	if (owner >= t->nowners || idx >= t->nidx)
		return true;	/* out of range: caller judged it already */
	ts = &t->seen[(size_t)owner * t->nidx + idx];
	if (ts->scan == t->scan && ts->gen == gen)
		return false;
	ts->scan = t->scan;
	ts->gen = gen;
	return true;
}

/* After a complete scan: each stable key exactly once. */
void tally_end(struct worker *w, struct tally *t)
{
	char key[HKEY_MAX];

	for (unsigned int i = 0; i < t->nstable; i++) {
		int klen;

		if (t->stable[i] == 1)
			continue;
		klen = key_of('s', 0, 0, i, key);
		werr(w, "scan", key, (uint32_t)klen,
		     t->stable[i] ? "duplicate in scan" : "lost entry",
		     "stable key returned %u times by one complete scan (want exactly 1)",
		     t->stable[i]);
	}
}

/* A scan record of a stable key. */
void tally_stable(struct worker *w, struct tally *t, const struct hkey *k,
		  const struct libcmap_rec *rec)
{
	char detail[160];

	if (k->idx >= t->nstable || k->owner || k->gen) {
		werr(w, "scan", rec->key, rec->key_len, "phantom entry",
		     "stable-looking key outside the stable set");
		return;
	}
	if (t->stable[k->idx] < UINT16_MAX)
		t->stable[k->idx]++;
	if (!stable_val_ok(k->idx, rec->key, rec->key_len, rec->val,
			   rec->val_len, detail, sizeof(detail)))
		werr(w, "scan", rec->key, rec->key_len, "wrong value", "%s",
		     detail);
}

/* Random scan buffer sizes: small ones mean many calls, more resizes between. */
uint32_t scan_buf_size(uint64_t *rng)
{
	static const uint32_t sizes[] = { 256, 1024, 4096, 16384, 65536 };

	return sizes[rng_below(rng, sizeof(sizes) / sizeof(sizes[0]))];
}

/* ---- churners ---- */

/* A churn key's value: who wrote it and which generation. */
void churn_val(unsigned int owner, unsigned int gen, unsigned int idx,
	       struct hval *v)
{
	v->thread = (uint16_t)owner;
	v->seq = ((uint64_t)gen << 32) | idx;
}

static int churn_put(struct worker *w, struct churn *c, unsigned int idx)
{
	struct hval v;
	char key[HKEY_MAX];
	int klen = key_of(c->kind, w->id, c->gen, idx, key);
	int err;

	churn_val(w->id, c->gen, idx, &v);
	err = put_val(w->s->r, key, klen, v.thread, v.seq, CMAP_PUT_NOEXIST);
	if (err == -EEXIST)
		werr(w, "put NOEXIST", key, (uint32_t)klen, "phantom entry",
		     "fresh key already present");
	else if (err)
		werr(w, "put NOEXIST", key, (uint32_t)klen, "operation failed",
		     "PUT: %s", strerror(-err));
	return err;
}

static int churn_del(struct worker *w, struct churn *c, unsigned int idx)
{
	char key[HKEY_MAX];
	int klen = key_of(c->kind, w->id, c->gen, idx, key);
	int err = libcmap_delete(w->s->r->fd, key, (uint32_t)klen);

	if (err == -ENOENT)
		werr(w, "delete", key, (uint32_t)klen, "lost entry",
		     "key inserted by this thread, never deleted, not found");
	else if (err)
		werr(w, "delete", key, (uint32_t)klen, "operation failed",
		     "DELETE: %s", strerror(-err));
	if (!err && c->on_delete)
		c->on_delete(w, c, idx);
	return err;
}

/* One operation of the insert-all, delete-all cycle. */
void churn_step(struct worker *w, struct churn *c)
{
	if (!c->deleting) {
		churn_put(w, c, c->next);
		if (c->on_insert)
			c->on_insert(w, c, c->next);
		if (++c->next == c->size) {
			c->deleting = true;
			c->next = 0;
		}
		return;
	}
	churn_del(w, c, c->order ? c->order[c->next] : c->next);
	if (++c->next == c->size) {
		c->deleting = false;
		c->next = 0;
		c->gen++;
		if (c->order)
			churn_shuffle(w, c);
	}
}

/* Delete what is still in the map, so the final check sees no churn. */
void churn_cleanup(struct worker *w, struct churn *c)
{
	if (!c->deleting) {
		for (unsigned int i = 0; i < c->next; i++)
			churn_del(w, c, i);
		return;
	}
	for (unsigned int i = c->next; i < c->size; i++)
		churn_del(w, c, c->order ? c->order[i] : i);
}

/*
 * Delete in a random order (@c->order): entries leave chains in the middle,
 * not just in insertion order. Insertion is always in index order.
 */
void churn_shuffle(struct worker *w, struct churn *c)
{
	for (unsigned int i = c->size - 1; i > 0; i--) {
		unsigned int j = rng_below(&w->rng, i + 1);
		unsigned int t = c->order[i];

		c->order[i] = c->order[j];
		c->order[j] = t;
	}
}

int churn_init(struct worker *w, struct churn *c, char kind,
	       unsigned int size, bool shuffled)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->size = size;
	if (!shuffled)
		return 0;
	c->order = malloc(size * sizeof(*c->order));
	if (!c->order)
		return -ENOMEM;
	for (unsigned int i = 0; i < size; i++)
		c->order[i] = i;
	churn_shuffle(w, c);
	return 0;
}

/* A churner's whole life: cycle until told to stop, then clean up. */
void churn_run(struct worker *w, unsigned int size, bool shuffled)
{
	struct churn c;

	if (churn_init(w, &c, 'c', size, shuffled)) {
		werr(w, "set-up", NULL, 0, "operation failed", "out of memory");
		return;
	}
	while (worker_go(w))
		churn_step(w, &c);
	if (!atomic_load(&w->s->r->stop))	/* no check follows a stop */
		churn_cleanup(w, &c);
	free(c.order);
}

/* Judge a churn key ('c' kind) met in a scan. */
void churn_scan_rec(struct worker *w, struct tally *t, const struct hkey *k,
		    const struct libcmap_rec *rec)
{
	struct hval want, got;
	enum hval_err e;

	churn_val(k->owner, k->gen, k->idx, &want);
	e = hval_decode(rec->val, rec->val_len, rec->key, rec->key_len, &got);
	if (e != HVAL_OK || got.thread != want.thread || got.seq != want.seq)
		werr(w, "scan", rec->key, rec->key_len, "wrong value",
		     "churn key with %s value (thread %u seq %#llx)",
		     e == HVAL_OK ? "another writer's" : "a malformed",
		     got.thread, (unsigned long long)got.seq);
	if (!tally_once(t, k->owner, k->gen, k->idx))
		werr(w, "scan", rec->key, rec->key_len, "duplicate in scan",
		     "key inserted or deleted during the scan returned twice (want at most once)");
}

/* Churn set size: together the churners hold ~6x the stable set. */
unsigned int churn_size(const struct scen *s, unsigned int role)
{
	unsigned int n = s->nrole[role] ? s->nrole[role] : 1;
	unsigned int size = 6 * s->r->o.keys / n;

	return size < 64 ? 64 : size;
}

/* Wait (bounded) for the resize worker to finish; true if idle. */
bool wait_resize_idle(struct hrun *r, double secs)
{
	double end = now_s() + secs;
	struct hstate st;

	do {
		hstate_read(r, &st);
		if (!st.future_buckets)
			return true;
		usleep(20000);
	} while (now_s() < end);
	return false;
}
