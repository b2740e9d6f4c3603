// SPDX-License-Identifier: GPL-2.0
/*
 * cmap-hammer scenarios 1-4: lookups, racing writers, scans and deletes,
 * each against a table that churners keep growing and shrinking.
 * Scenarios 5 and 6 are in scen_batch.c; the table is at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scen.h"

/* ==== 1. stable-lookup ==== */

enum { S1_READER, S1_CHURNER };

static unsigned int s1_role(unsigned int id, unsigned int n)
{
	(void)n;
	return id % 2 ? S1_CHURNER : S1_READER;
}

static int s1_setup(struct scen *s)
{
	return stable_fill(s->r, s->r->o.keys);
}

static void s1_work(struct worker *w)
{
	unsigned int keys = w->s->r->o.keys;

	if (w->role == S1_CHURNER) {
		churn_run(w, churn_size(w->s, S1_CHURNER), w->rank % 2);
		return;
	}
	while (worker_go(w))
		stable_get(w, rng_below(&w->rng, keys));
}

static void s1_check(struct scen *s)
{
	stable_check(s, s->r->o.keys);
}

/* ==== 2. racing-writers ==== */

enum { S2_WRITER, S2_CHURNER, S2_READER };

struct s2 {
	unsigned int nhot;
	struct wlog wl;
	_Atomic uint64_t *issued;	/* per thread: last seq handed to a put */
};

/* Per 4 threads: 2 writers, a churner, a reader (2 threads: no reader). */
static unsigned int s2_role(unsigned int id, unsigned int n)
{
	(void)n;
	if (id % 4 == 1)
		return S2_CHURNER;
	return id % 4 == 2 ? S2_READER : S2_WRITER;
}

static int s2_setup(struct scen *s)
{
	struct s2 *p = calloc(1, sizeof(*p));
	char key[HKEY_MAX];
	int err;

	if (!p)
		return -ENOMEM;
	s->priv = p;
	/* Few hot keys: every write races others on the same key. */
	p->nhot = s->r->o.keys / 64 < 4 ? 4 : s->r->o.keys / 64;
	p->issued = calloc(s->nthreads, sizeof(*p->issued));
	if (!p->issued || wlog_init(&p->wl, s->nthreads, p->nhot))
		return -ENOMEM;
	for (unsigned int i = 0; i < p->nhot; i++) {
		int klen = key_of('h', 0, 0, i, key);

		err = put_val(s->r, key, klen, HVAL_SETUP, 0, CMAP_PUT_NOEXIST);
		if (err)
			return err;
	}
	return 0;
}

static void s2_write(struct worker *w, struct s2 *p, uint64_t seq)
{
	struct hrun *r = w->s->r;
	unsigned int k = rng_below(&w->rng, p->nhot);
	uint32_t flags = rng_below(&w->rng, 4) ? CMAP_PUT_ANY : CMAP_PUT_EXIST;
	char key[HKEY_MAX];
	int klen = key_of('h', 0, 0, k, key);
	uint64_t start, end;
	int err;

	atomic_store_explicit(&p->issued[w->id], seq, memory_order_release);
	start = hclock(r);
	err = put_val(r, key, klen, w->id, seq, flags);
	end = hclock(r);
	if (!err)
		wlog_record(&p->wl, w->id, k, seq, start, end);
	else
		werr(w, flags ? "put EXIST" : "put", key, (uint32_t)klen,
		     err == -ENOENT ? "lost entry" : "operation failed",
		     "PUT of seq %llu: %s (hot keys are never deleted)",
		     (unsigned long long)seq, strerror(-err));
}

/*
 * A value a reader saw must have been handed to a put already (no value
 * from the future), and per key and writer, sequence numbers a reader sees
 * never go back: a thread's earlier write completed before its later one
 * began, so once the later one was seen the earlier one is history.
 */
static void s2_judge_read(struct worker *w, struct s2 *p, unsigned int k,
			  const struct hval *v, uint64_t *last, bool *seen)
{
	char key[HKEY_MAX];
	int klen = key_of('h', 0, 0, k, key);
	unsigned int n = w->s->nthreads;
	uint64_t issued;

	if (v->thread == HVAL_SETUP) {
		if (seen[k])
			werr(w, "get", key, (uint32_t)klen, "wrong value",
			     "set-up value read after a thread's write was read");
		return;
	}
	if (v->thread >= n || w->s->w[v->thread].role != S2_WRITER) {
		werr(w, "get", key, (uint32_t)klen, "wrong value",
		     "value of thread %u, which writes no hot key", v->thread);
		return;
	}
	issued = atomic_load_explicit(&p->issued[v->thread],
				      memory_order_acquire);
	if (v->seq > issued)
		werr(w, "get", key, (uint32_t)klen, "wrong value",
		     "value of thread %u seq %llu, which has issued only %llu",
		     v->thread, (unsigned long long)v->seq,
		     (unsigned long long)issued);
	if (v->seq < last[k * n + v->thread])
		werr(w, "get", key, (uint32_t)klen, "wrong value",
		     "thread %u seq %llu read after its seq %llu: went back in time",
		     v->thread, (unsigned long long)v->seq,
		     (unsigned long long)last[k * n + v->thread]);
	else
		last[k * n + v->thread] = v->seq;
	seen[k] = true;
}

static void s2_read(struct worker *w, struct s2 *p, uint64_t *last,
		    bool *seen)
{
	unsigned int k = rng_below(&w->rng, p->nhot);
	char key[HKEY_MAX], val[HVAL_MAX + 8];
	int klen = key_of('h', 0, 0, k, key);
	uint32_t vlen = 0;
	struct hval v;
	int err = libcmap_get(w->s->r->fd, key, (uint32_t)klen, val,
			      sizeof(val), &vlen);

	if (err) {
		werr(w, "get", key, (uint32_t)klen,
		     err == -ENOENT ? "lost entry" : "operation failed",
		     "GET: %s (hot keys are never deleted)", strerror(-err));
		return;
	}
	if (hval_decode(val, vlen, key, (uint32_t)klen, &v) != HVAL_OK) {
		werr(w, "get", key, (uint32_t)klen, "corrupt value",
		     "malformed or another key's value (%u bytes)", vlen);
		return;
	}
	s2_judge_read(w, p, k, &v, last, seen);
}

static void s2_reader(struct worker *w, struct s2 *p)
{
	uint64_t *last = calloc((size_t)p->nhot * w->s->nthreads,
				sizeof(*last));
	bool *seen = calloc(p->nhot, sizeof(*seen));

	while (last && seen && worker_go(w))
		s2_read(w, p, last, seen);
	free(last);
	free(seen);
}

static void s2_work(struct worker *w)
{
	struct s2 *p = w->s->priv;
	uint64_t seq = 0;

	if (w->role == S2_CHURNER) {
		churn_run(w, churn_size(w->s, S2_CHURNER), false);
		return;
	}
	if (w->role == S2_READER) {
		s2_reader(w, p);
		return;
	}
	while (worker_go(w))
		s2_write(w, p, ++seq);
}

/* Judge hot key @k's final value against the write log; add it to @m. */
static void s2_check_key(struct scen *s, struct s2 *p, unsigned int k,
			 struct model *m)
{
	char key[HKEY_MAX], val[HVAL_MAX + 8];
	int klen = key_of('h', 0, 0, k, key), culprit;
	uint32_t vlen = 0;
	struct hval v = { 0 };
	enum wverdict wv;
	int err = libcmap_get(s->r->fd, key, (uint32_t)klen, val, sizeof(val),
			      &vlen);

	if (!err && hval_decode(val, vlen, key, (uint32_t)klen, &v)) {
		data_error(s->r, "final check", "final get", key, (uint32_t)klen,
			   "corrupt value", "malformed or another key's value");
		model_set(m, key, (uint32_t)klen, M_ANY, NULL);
		return;
	}
	wv = wlog_check(&p->wl, k, !err, &v, &culprit);
	if (wv == WV_OK) {
		model_set(m, key, (uint32_t)klen, M_PRESENT, &v);
		return;
	}
	data_error(s->r, "final check", "final get", key, (uint32_t)klen,
		   "no serialization", "%s: final value thread %u seq %llu%s%s",
		   wverdict_name(wv), v.thread, (unsigned long long)v.seq,
		   culprit >= 0 ? ", but this write came after it: " : "",
		   culprit >= 0 ? s->w[culprit].label : "");
	model_set(m, key, (uint32_t)klen, M_ANY, NULL);
}

static void s2_check(struct scen *s)
{
	struct s2 *p = s->priv;
	struct model m;

	if (model_init(&m, p->nhot))
		return;
	for (unsigned int k = 0; k < p->nhot; k++)
		s2_check_key(s, p, k, &m);
	check_map(s->r, &m, "final check");
	model_free(&m);
}

static void s2_teardown(struct scen *s)
{
	struct s2 *p = s->priv;

	if (!p)
		return;
	wlog_free(&p->wl);
	free(p->issued);
	free(p);
}

/* ==== 3. scan-resize ==== */

enum { S3_SCANNER, S3_CHURNER };

/* In --ops mode a complete scan counts as this many operations. */
#define SCAN_OPS	256

struct scan_ctx {
	struct worker *w;
	struct tally t;
	char churn_kind;
	/* Judge a record of the churning kind; NULL: churn_scan_rec(). */
	void (*churned)(struct scan_ctx *c, const struct hkey *k,
			const struct libcmap_rec *rec);
	void *priv;
};

static unsigned int s3_role(unsigned int id, unsigned int n)
{
	(void)n;
	return id % 2 ? S3_CHURNER : S3_SCANNER;
}

static void scan_rec(void *arg, const struct libcmap_rec *rec)
{
	struct scan_ctx *c = arg;
	struct hkey k;

	if (hkey_decode(rec->key, rec->key_len, &k)) {
		werr(c->w, "scan", rec->key, rec->key_len, "phantom entry",
		     "a key no thread ever wrote (%u bytes)", rec->key_len);
		return;
	}
	if (k.kind == 's') {
		tally_stable(c->w, &c->t, &k, rec);
		return;
	}
	if (k.kind != c->churn_kind || k.owner >= c->t.nowners ||
	    k.idx >= c->t.nidx) {
		werr(c->w, "scan", rec->key, rec->key_len, "phantom entry",
		     "a key this scenario does not write");
		return;
	}
	if (c->churned)
		c->churned(c, &k, rec);
	else
		churn_scan_rec(c->w, &c->t, &k, rec);
}

/* Complete scans until told to stop; each must hold every stable key once. */
static void scanner_run(struct worker *w, struct scan_ctx *c,
			void (*begin)(struct scan_ctx *c))
{
	struct hrun *r = w->s->r;

	while (worker_go(w)) {
		tally_begin(&c->t);
		if (begin)
			begin(c);
		if (!scan_all(r, scan_buf_size(&w->rng), scan_rec, c, w->label))
			tally_end(w, &c->t);
		if (w->s->ops_limit)
			w->ops += SCAN_OPS - 1;
	}
}

static int s3_setup(struct scen *s)
{
	return stable_fill(s->r, s->r->o.keys);
}

static void s3_work(struct worker *w)
{
	struct scan_ctx c = { .w = w, .churn_kind = 'c' };
	unsigned int size = churn_size(w->s, S3_CHURNER);

	if (w->role == S3_CHURNER) {
		churn_run(w, size, w->rank % 2);
		return;
	}
	if (tally_init(&c.t, w->s->r->o.keys, w->s->nthreads, size)) {
		werr(w, "set-up", NULL, 0, "operation failed", "out of memory");
		return;
	}
	scanner_run(w, &c, NULL);
	tally_free(&c.t);
}

/* ==== 4. delete-race ==== */

enum { S4_DELETER, S4_READER, S4_SCANNER };

/*
 * Deleters insert their keys of generation g, then delete them in random
 * order. state[thread][idx] = g << 1 | deleted, stored (release) after the
 * insert or the delete returned. A reader or scanner that loaded "deleted"
 * before it began must not see the key; no key of a generation older than
 * the one loaded may ever be seen again.
 */
struct s4 {
	unsigned int dsize;
	_Atomic uint32_t *state;	/* [thread][idx] */
};

static unsigned int s4_role(unsigned int id, unsigned int n)
{
	(void)n;
	if (id % 4 == 1)
		return S4_READER;
	return id % 4 == 3 ? S4_SCANNER : S4_DELETER;
}

static int s4_setup(struct scen *s)
{
	struct s4 *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	s->priv = p;
	p->dsize = churn_size(s, S4_DELETER);
	p->state = calloc((size_t)s->nthreads * p->dsize, sizeof(*p->state));
	if (!p->state)
		return -ENOMEM;
	return stable_fill(s->r, s->r->o.keys);
}

static _Atomic uint32_t *s4_state(struct s4 *p, unsigned int owner,
				  unsigned int idx)
{
	return &p->state[(size_t)owner * p->dsize + idx];
}

static void s4_inserted(struct worker *w, struct churn *c, unsigned int idx)
{
	atomic_store_explicit(s4_state(c->priv, w->id, idx), c->gen << 1,
			      memory_order_release);
}

static void s4_deleted(struct worker *w, struct churn *c, unsigned int idx)
{
	atomic_store_explicit(s4_state(c->priv, w->id, idx), c->gen << 1 | 1,
			      memory_order_release);
}

static void s4_deleter(struct worker *w, struct s4 *p)
{
	struct churn c;

	if (churn_init(w, &c, 'd', p->dsize, true)) {
		werr(w, "set-up", NULL, 0, "operation failed", "out of memory");
		return;
	}
	c.priv = p;
	c.on_insert = s4_inserted;
	c.on_delete = s4_deleted;
	while (worker_go(w))
		churn_step(w, &c);
	if (!atomic_load(&w->s->r->stop))	/* no check follows a stop */
		churn_cleanup(w, &c);
	free(c.order);
}

/* GET key (@owner, @gen, @idx), which must be absent if @gone. */
static void s4_probe(struct worker *w, unsigned int owner, unsigned int gen,
		     unsigned int idx, bool gone)
{
	char key[HKEY_MAX], val[HVAL_MAX + 8];
	int klen = key_of('d', owner, gen, idx, key);
	uint32_t vlen = 0;
	struct hval v, want;
	int err = libcmap_get(w->s->r->fd, key, (uint32_t)klen, val,
			      sizeof(val), &vlen);

	if (err == -ENOENT)
		return;
	if (err) {
		werr(w, "get", key, (uint32_t)klen, "operation failed",
		     "GET: %s", strerror(-err));
		return;
	}
	if (gone)
		werr(w, "get", key, (uint32_t)klen, "phantom entry",
		     "deleted key reappeared (its delete returned before this GET began)");
	churn_val(owner, gen, idx, &want);
	if (hval_decode(val, vlen, key, (uint32_t)klen, &v) != HVAL_OK ||
	    v.thread != want.thread || v.seq != want.seq)
		werr(w, "get", key, (uint32_t)klen, "wrong value",
		     "not the value its deleter wrote");
}

static void s4_read(struct worker *w, struct s4 *p)
{
	struct scen *s = w->s;
	unsigned int owner = rng_below(&w->rng, s->nthreads);
	unsigned int idx = rng_below(&w->rng, p->dsize);
	uint32_t st;

	if (rng_below(&w->rng, 2) || s->w[owner].role != S4_DELETER) {
		stable_get(w, rng_below(&w->rng, s->r->o.keys));
		return;
	}
	st = atomic_load_explicit(s4_state(p, owner, idx), memory_order_acquire);
	s4_probe(w, owner, st >> 1, idx, st & 1);
	if (st >> 1)
		s4_probe(w, owner, (st >> 1) - 1, idx, true);
}

/* The deleters' state when the scan began (loaded before its first call). */
static void s4_scan_begin(struct scan_ctx *c)
{
	struct s4 *p = c->w->s->priv;
	uint32_t *snap = c->priv;
	size_t n = (size_t)c->w->s->nthreads * p->dsize;

	for (size_t i = 0; i < n; i++)
		snap[i] = atomic_load_explicit(&p->state[i],
					       memory_order_acquire);
}

static void s4_scan_churned(struct scan_ctx *c, const struct hkey *k,
			    const struct libcmap_rec *rec)
{
	struct s4 *p = c->w->s->priv;
	uint32_t st = ((uint32_t *)c->priv)[(size_t)k->owner * p->dsize + k->idx];

	if (k->gen < st >> 1 || (k->gen == st >> 1 && (st & 1)))
		werr(c->w, "scan", rec->key, rec->key_len, "phantom entry",
		     "returned by a scan that began after its delete returned (state gen %u%s)",
		     st >> 1, st & 1 ? " deleted" : "");
	churn_scan_rec(c->w, &c->t, k, rec);
}

static void s4_scanner(struct worker *w, struct s4 *p)
{
	struct scan_ctx c = {
		.w = w, .churn_kind = 'd', .churned = s4_scan_churned,
	};

	c.priv = calloc((size_t)w->s->nthreads * p->dsize, sizeof(uint32_t));
	if (!c.priv || tally_init(&c.t, w->s->r->o.keys, w->s->nthreads,
				  p->dsize)) {
		werr(w, "set-up", NULL, 0, "operation failed", "out of memory");
		free(c.priv);
		return;
	}
	scanner_run(w, &c, s4_scan_begin);
	tally_free(&c.t);
	free(c.priv);
}

static void s4_work(struct worker *w)
{
	struct s4 *p = w->s->priv;

	if (w->role == S4_DELETER)
		s4_deleter(w, p);
	else if (w->role == S4_SCANNER)
		s4_scanner(w, p);
	else
		while (worker_go(w))
			s4_read(w, p);
}

static void s4_teardown(struct scen *s)
{
	struct s4 *p = s->priv;

	if (!p)
		return;
	free(p->state);
	free(p);
}

/* ==== the table ==== */

const struct scenario hammer_scenarios[] = {
	{
		.name = "stable-lookup",
		.help = "lookups of a stable key set while churners grow and shrink the table: every lookup must find the right value",
		.roles = { "reader", "churner" },
		.role = s1_role, .setup = s1_setup, .work = s1_work,
		.check = s1_check,
	},
	{
		.name = "racing-writers",
		.help = "writers race on a few hot keys while the table resizes; values carry (thread, seq), the final state must be a valid serialization",
		.roles = { "writer", "churner", "reader" },
		.role = s2_role, .setup = s2_setup, .work = s2_work,
		.check = s2_check, .teardown = s2_teardown,
	},
	{
		.name = "scan-resize",
		.help = "complete scans during resizes: each stable key exactly once per scan, churned keys at most once",
		.roles = { "scanner", "churner" },
		.role = s3_role, .setup = s3_setup, .work = s3_work,
		.check = s1_check,
	},
	{
		.name = "delete-race",
		.help = "deletes race lookups and scans: a deleted key never reappears, stable keys are never missing",
		.roles = { "deleter", "reader", "scanner" },
		.role = s4_role, .setup = s4_setup, .work = s4_work,
		.check = s1_check, .teardown = s4_teardown,
	},
	{
		.name = "batch-mix",
		.help = "single and batch GET/PUT/DELETE with all PUT flags on private key ranges: every result and batch count must match the model",
		.roles = { "mixer" },
		.role = s5_role, .setup = s5_setup, .work = s5_work,
		.check = s5_check, .teardown = s5_teardown,
	},
	{
		.name = "threshold-oscillation",
		.help = "entry count oscillating around the grow and the shrink threshold: resizes must not thrash (at most one per band visit)",
		.roles = { "oscillator" },
		.role = s6_role, .setup = s6_setup, .work = s6_work,
		.check = s6_check, .teardown = s6_teardown, .note = s6_note,
	},
};

const unsigned int hammer_nscenarios =
	sizeof(hammer_scenarios) / sizeof(hammer_scenarios[0]);
