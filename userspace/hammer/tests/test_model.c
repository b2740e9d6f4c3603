// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of cmap-hammer's model: keys and values, the
 * serialization check of racing writers, the expected-contents checks and
 * the batch predictor. TAP output; exit status 1 if anything failed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/cmap.h>

#include "model.h"

static int tests, failed;

static void ok(int cond, const char *what)
{
	tests++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tests, what);
}

static int mkkey(char kind, unsigned int owner, unsigned int gen,
		 unsigned int idx, char *buf)
{
	struct hkey k = { .kind = kind, .owner = owner, .gen = gen, .idx = idx };

	return hkey_encode(&k, buf);
}

static void test_keys(void)
{
	char buf[HKEY_MAX];
	struct hkey k;
	int bad = 0, len;

	for (unsigned int i = 0; i < 1000; i++) {
		struct hkey in = { .kind = "schd"[i % 4], .owner = i % 70,
				   .gen = i * 13, .idx = i * 7919 };

		len = hkey_encode(&in, buf);
		if (len > HKEY_MAX || hkey_decode(buf, (uint32_t)len, &k) ||
		    k.kind != in.kind || k.owner != in.owner ||
		    k.gen != in.gen || k.idx != in.idx)
			bad++;
	}
	ok(!bad, "keys: encode/decode round trip (1000 keys)");
	len = mkkey('s', 1, 2, 3, buf);
	ok(hkey_decode(buf, (uint32_t)len - 1, &k) == -EINVAL ||
	   len == 19, "keys: wrong padding rejected");
	buf[3] = 'X';
	ok(hkey_decode(buf, (uint32_t)len, &k) == -EINVAL,
	   "keys: non-hex digit rejected");
	ok(hkey_decode("hello", 5, &k) == -EINVAL, "keys: foreign key rejected");
}

static void test_values(void)
{
	char key[HKEY_MAX], key2[HKEY_MAX], val[HVAL_MAX];
	int klen = mkkey('s', 0, 0, 42, key), k2len = mkkey('s', 0, 0, 43, key2);
	struct hval in = { .thread = 3, .seq = 12345 }, out;
	int vlen = hval_encode(&in, key, (uint32_t)klen, val);
	int bad = 0;

	ok(vlen >= 20 && vlen <= HVAL_MAX, "values: length in range");
	ok(hval_decode(val, (uint32_t)vlen, key, (uint32_t)klen, &out) == HVAL_OK &&
	   out.thread == 3 && out.seq == 12345, "values: round trip");
	ok(hval_decode(val, (uint32_t)vlen, key2, (uint32_t)k2len, &out) ==
	   HVAL_OTHER_KEY, "values: another key's value recognised");
	for (int i = 0; i < vlen; i++) {
		val[i] ^= 0x40;
		/* Bytes 8..15 (seq) may pass: another seq's value is well-formed. */
		if (hval_decode(val, (uint32_t)vlen, key, (uint32_t)klen, &out) ==
		    HVAL_OK && (i < 8 || i >= 16))
			bad++;
		val[i] ^= 0x40;
	}
	ok(!bad, "values: a flipped byte of magic, hash, length or filler is caught");
	ok(hval_decode(val, (uint32_t)vlen - 1, key, (uint32_t)klen, &out) ==
	   HVAL_CORRUPT, "values: truncated value is corrupt");
}

static void test_wlog(void)
{
	struct wlog wl;
	struct hval v;
	int culprit;

	ok(!wlog_init(&wl, 3, 4), "wlog: init");
	v = (struct hval){ .thread = HVAL_SETUP };
	ok(wlog_check(&wl, 0, true, &v, &culprit) == WV_OK,
	   "wlog: untouched key keeps its set-up value");
	wlog_record(&wl, 0, 1, 3, 5, 6);
	wlog_record(&wl, 0, 1, 5, 10, 11);
	wlog_record(&wl, 1, 1, 7, 12, 13);
	v = (struct hval){ .thread = 1, .seq = 7 };
	ok(wlog_check(&wl, 1, true, &v, &culprit) == WV_OK,
	   "wlog: the write after all others wins");
	v = (struct hval){ .thread = 0, .seq = 5 };
	ok(wlog_check(&wl, 1, true, &v, &culprit) == WV_OVERWRITTEN &&
	   culprit == 1, "wlog: a write followed by another one cannot win");
	v = (struct hval){ .thread = HVAL_SETUP };
	ok(wlog_check(&wl, 1, true, &v, &culprit) == WV_OVERWRITTEN,
	   "wlog: set-up value after writes is overwritten");
	v = (struct hval){ .thread = 0, .seq = 3 };
	ok(wlog_check(&wl, 1, true, &v, &culprit) == WV_STALE,
	   "wlog: a thread's earlier write is stale");
	v = (struct hval){ .thread = 0, .seq = 9 };
	ok(wlog_check(&wl, 1, true, &v, &culprit) == WV_NEVER_WRITTEN,
	   "wlog: a sequence number never used");
	v = (struct hval){ .thread = 2, .seq = 1 };
	ok(wlog_check(&wl, 1, true, &v, &culprit) == WV_NEVER_WRITTEN,
	   "wlog: a thread that never wrote the key");
	ok(wlog_check(&wl, 1, false, &v, &culprit) == WV_MISSING,
	   "wlog: an absent key is missing");
	/* Overlapping writes: either may win. */
	wlog_record(&wl, 0, 2, 20, 30, 40);
	wlog_record(&wl, 2, 2, 21, 32, 35);
	v = (struct hval){ .thread = 0, .seq = 20 };
	ok(wlog_check(&wl, 2, true, &v, &culprit) == WV_OK,
	   "wlog: overlapping writes: the first to start may win");
	v = (struct hval){ .thread = 2, .seq = 21 };
	ok(wlog_check(&wl, 2, true, &v, &culprit) == WV_OK,
	   "wlog: overlapping writes: the other may win too");
	wlog_free(&wl);
}

static int set(struct model *m, char kind, unsigned int idx,
	       enum mstate st, unsigned int thread, uint64_t seq)
{
	char key[HKEY_MAX];
	struct hval v = { .thread = (uint16_t)thread, .seq = seq };
	int klen = mkkey(kind, 0, 0, idx, key);

	return model_set(m, key, (uint32_t)klen, st, &v);
}

/* Feed one scan record of (@kind, @idx) with value (@thread, @seq). */
static enum mverdict rec(struct model *m, char kind, unsigned int idx,
			 unsigned int thread, uint64_t seq)
{
	char key[HKEY_MAX], val[HVAL_MAX], detail[200];
	struct hval v = { .thread = (uint16_t)thread, .seq = seq };
	int klen = mkkey(kind, 0, 0, idx, key);
	int vlen = hval_encode(&v, key, (uint32_t)klen, val);

	return model_scan_rec(m, key, (uint32_t)klen, val, (uint32_t)vlen,
			      detail, sizeof(detail));
}

static void test_model_scan(void)
{
	struct model m;
	const struct mentry *e;
	size_t pos = 0;
	int nlost = 0;

	ok(!model_init(&m, 8), "model: init");
	set(&m, 's', 0, M_PRESENT, HVAL_SETUP, 1);
	set(&m, 's', 1, M_PRESENT, HVAL_SETUP, 2);
	set(&m, 's', 2, M_PRESENT, HVAL_SETUP, 3);
	set(&m, 'd', 0, M_ABSENT, 0, 0);
	set(&m, 'h', 0, M_ANY, 0, 0);
	ok(set(&m, 's', 0, M_PRESENT, HVAL_SETUP, 1) == 0 && m.n == 5,
	   "model: setting a key again replaces it");
	model_scan_begin(&m);
	ok(rec(&m, 's', 0, HVAL_SETUP, 1) == MV_OK, "scan: expected record");
	ok(rec(&m, 's', 0, HVAL_SETUP, 1) == MV_DUPLICATE, "scan: duplicate");
	ok(rec(&m, 's', 1, 4, 9) == MV_WRONG_VALUE, "scan: wrong value");
	ok(rec(&m, 'd', 0, 0, 0) == MV_PHANTOM, "scan: deleted key is a phantom");
	ok(rec(&m, 'c', 9, 0, 0) == MV_PHANTOM, "scan: unknown key is a phantom");
	ok(rec(&m, 'h', 0, 5, 77) == MV_OK, "scan: raced key may hold anything well-formed");
	while ((e = model_scan_lost(&m, &pos)))
		nlost++;
	ok(nlost == 1, "scan: the key never returned is lost");
	model_free(&m);
}

static void test_model_get(void)
{
	char key[HKEY_MAX], val[HVAL_MAX], detail[200];
	struct hval v = { .thread = HVAL_SETUP, .seq = 1 };
	struct model m;
	int klen, vlen;

	model_init(&m, 4);
	set(&m, 's', 0, M_PRESENT, HVAL_SETUP, 1);
	set(&m, 'd', 0, M_ABSENT, 0, 0);
	klen = mkkey('s', 0, 0, 0, key);
	vlen = hval_encode(&v, key, (uint32_t)klen, val);
	ok(model_check_get(&m, key, (uint32_t)klen, 0, val, (uint32_t)vlen,
			   detail, sizeof(detail)) == MV_OK, "get: right value");
	ok(model_check_get(&m, key, (uint32_t)klen, -ENOENT, NULL, 0, detail,
			   sizeof(detail)) == MV_LOST, "get: ENOENT is lost");
	val[vlen - 1] ^= 1;
	ok(model_check_get(&m, key, (uint32_t)klen, 0, val, (uint32_t)vlen,
			   detail, sizeof(detail)) == MV_CORRUPT ||
	   vlen == 20, "get: torn value is corrupt");
	ok(model_check_get(&m, key, (uint32_t)klen, -EIO, NULL, 0, detail,
			   sizeof(detail)) == MV_ERROR, "get: other errors");
	klen = mkkey('d', 0, 0, 0, key);
	ok(model_check_get(&m, key, (uint32_t)klen, -ENOENT, NULL, 0, detail,
			   sizeof(detail)) == MV_OK, "get: absent key not found");
	model_free(&m);
}

static void test_lmodel(void)
{
	struct lmodel lm;
	uint32_t count;
	uint32_t idx[4] = { 1, 2, 1, 3 };
	uint32_t fl[4] = { CMAP_PUT_NOEXIST, 0, CMAP_PUT_NOEXIST, 0 };
	uint64_t seq[4] = { 10, 11, 12, 13 };
	uint32_t ex[2] = { CMAP_PUT_EXIST, CMAP_PUT_EXIST };
	uint32_t del[3] = { 2, 2, 1 };

	lmodel_init(&lm, 8);
	ok(lmodel_batch(&lm, LOP_PUT, idx, fl, seq, 4, &count) == -EEXIST &&
	   count == 2 && lm.npresent == 2 && lm.seq[1] == 10,
	   "batch: put NOEXIST of a key the batch just put fails at its index");
	ok(lmodel_batch(&lm, LOP_GET, idx, NULL, NULL, 4, &count) == -ENOENT &&
	   count == 3, "batch: get stops at the first absent key");
	idx[1] = 5;
	ok(lmodel_batch(&lm, LOP_PUT, idx, ex, seq, 2, &count) == -ENOENT &&
	   count == 1 && lm.seq[1] == 10,
	   "batch: put EXIST of an absent key fails, earlier ops stay done");
	ok(lmodel_batch(&lm, LOP_DELETE, del, NULL, NULL, 3, &count) == -ENOENT &&
	   count == 1 && lm.npresent == 1,
	   "batch: deleting a key twice fails the second time");
	ok(lmodel_batch(&lm, LOP_DELETE, del + 2, NULL, NULL, 1, &count) == 0 &&
	   count == 1 && lm.npresent == 0, "batch: complete batch");
	lmodel_free(&lm);
}

/* ---- planted faults: a simulated map judged end to end ---- */

#define SIM_MAX 64

struct sim_rec {
	char key[HKEY_MAX], val[HVAL_MAX];
	int klen, vlen;
};

struct sim {
	struct sim_rec r[SIM_MAX];
	int n;
};

static void sim_add(struct sim *sm, char kind, unsigned int idx,
		    unsigned int thread, uint64_t seq)
{
	struct sim_rec *r = &sm->r[sm->n++];
	struct hval v = { .thread = (uint16_t)thread, .seq = seq };

	r->klen = mkkey(kind, 0, 0, idx, r->key);
	r->vlen = hval_encode(&v, r->key, (uint32_t)r->klen, r->val);
}

/* The map the model expects: 's' 0..15 (set-up, seq idx+1). */
static void sim_good(struct sim *sm)
{
	sm->n = 0;
	for (unsigned int i = 0; i < 16; i++)
		sim_add(sm, 's', i, HVAL_SETUP, i + 1);
}

static void sim_model(struct model *m)
{
	model_init(m, 32);
	for (unsigned int i = 0; i < 16; i++)
		set(m, 's', i, M_PRESENT, HVAL_SETUP, i + 1);
	set(m, 'd', 0, M_ABSENT, 0, 0);		/* deleted during the run */
}

/*
 * What check_map() does: one complete scan of @sm, then a GET of every key
 * the model knows. Counts the verdicts; returns the number of errors.
 */
static int sim_check(struct sim *sm, int *by)
{
	char detail[200];
	struct model m;
	const struct mentry *e;
	size_t pos = 0;
	int errs = 0;

	memset(by, 0, sizeof(int) * 8);
	sim_model(&m);
	model_scan_begin(&m);
	for (int i = 0; i < sm->n; i++) {
		enum mverdict v = model_scan_rec(&m, sm->r[i].key,
						 (uint32_t)sm->r[i].klen,
						 sm->r[i].val,
						 (uint32_t)sm->r[i].vlen,
						 detail, sizeof(detail));

		by[v]++;
		errs += v != MV_OK;
	}
	while ((e = model_scan_lost(&m, &pos))) {
		by[MV_LOST]++;
		errs++;
	}
	for (size_t i = 0; i < m.cap; i++) {
		const struct sim_rec *r = NULL;
		enum mverdict v;

		if (!m.tab[i].used)
			continue;
		for (int j = 0; j < sm->n && !r; j++)
			if (sm->r[j].klen == m.tab[i].klen &&
			    !memcmp(sm->r[j].key, m.tab[i].key, m.tab[i].klen))
				r = &sm->r[j];
		v = model_check_get(&m, m.tab[i].key, m.tab[i].klen,
				    r ? 0 : -ENOENT, r ? r->val : NULL,
				    r ? (uint32_t)r->vlen : 0, detail,
				    sizeof(detail));
		by[v]++;
		errs += v != MV_OK;
	}
	model_free(&m);
	return errs;
}

static void test_planted(void)
{
	struct sim sm;
	int by[8], errs;

	sim_good(&sm);
	ok(sim_check(&sm, by) == 0, "planted: the expected map passes (no false alarm)");

	sim_good(&sm);
	sm.r[5] = sm.r[--sm.n];			/* lose 's' 5 */
	errs = sim_check(&sm, by);
	ok(errs == 2 && by[MV_LOST] == 2,
	   "planted: a lost entry FAILS the check (scan and GET)");

	sim_good(&sm);
	sim_add(&sm, 'c', 3, 2, 7);		/* a key nobody expects */
	errs = sim_check(&sm, by);
	ok(errs == 1 && by[MV_PHANTOM] == 1,
	   "planted: a phantom (unknown key) FAILS the check");

	sim_good(&sm);
	sim_add(&sm, 'd', 0, 1, 1);		/* a deleted key is back */
	errs = sim_check(&sm, by);
	ok(errs == 2 && by[MV_PHANTOM] == 2,
	   "planted: a deleted key that reappears FAILS the check (scan and GET)");

	sim_good(&sm);
	sm.n--;
	sim_add(&sm, 's', 15, HVAL_SETUP, 99);	/* another write's value */
	errs = sim_check(&sm, by);
	ok(errs == 2 && by[MV_WRONG_VALUE] == 2,
	   "planted: a wrong value FAILS the check (scan and GET)");

	sim_good(&sm);
	sm.r[3].val[sm.r[3].vlen - 1] ^= 0x5a;	/* torn: filler or header */
	errs = sim_check(&sm, by);
	ok(errs == 2 && by[MV_CORRUPT] == 2,
	   "planted: a torn value FAILS the check");

	sim_good(&sm);
	memcpy(sm.r[1].val, sm.r[2].val, HVAL_MAX);	/* 's' 2's value under 's' 1 */
	sm.r[1].vlen = sm.r[2].vlen;
	errs = sim_check(&sm, by);
	ok(errs == 2 && by[MV_CORRUPT] == 2,
	   "planted: another key's value FAILS the check");

	sim_good(&sm);
	sm.r[sm.n] = sm.r[7];			/* returned twice */
	sm.n++;
	errs = sim_check(&sm, by);
	ok(errs == 1 && by[MV_DUPLICATE] == 1,
	   "planted: a key returned twice by one scan FAILS the check");
}

/* Racing writers: histories of overlapping puts to one key. */
static void test_planted_serial(void)
{
	struct wlog wl;
	struct hval v;
	int culprit, bad_ok = 0, good_fail = 0;
	uint64_t x = 12345;

	/* Random histories: 4 threads, 6 puts each, one key. */
	for (int round = 0; round < 2000; round++) {
		uint64_t clock = 1, start[4], end[4], seq[4] = { 0 };
		int last_done = -1;

		wlog_init(&wl, 4, 1);
		for (int t = 0; t < 4; t++)
			start[t] = end[t] = 0;
		/* Interleave: each step starts or ends one thread's put. */
		for (int step = 0; step < 48; step++) {
			int t;

			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			t = (int)((x >> 33) % 4);
			if (start[t] > end[t]) {
				end[t] = clock++;	/* the put returns */
				wlog_record(&wl, (unsigned int)t, 0, seq[t],
					    start[t], end[t]);
				last_done = t;
			} else if (seq[t] < 6) {
				seq[t]++;
				start[t] = clock++;	/* the put is issued */
			}
		}
		/* Let every pending put return, in thread order. */
		for (int t = 0; t < 4; t++)
			if (start[t] > end[t]) {
				end[t] = clock++;
				wlog_record(&wl, (unsigned int)t, 0, seq[t],
					    start[t], end[t]);
				last_done = t;
			}
		if (last_done < 0) {
			wlog_free(&wl);
			continue;
		}
		/*
		 * A linearizable map: the put that took effect last may be any
		 * whose interval is not entirely before another's: the last
		 * one to start always qualifies.
		 */
		{
			int lt = -1;
			uint64_t ls = 0;

			for (int t = 0; t < 4; t++)
				if (seq[t] && start[t] > ls) {
					ls = start[t];
					lt = t;
				}
			v = (struct hval){ .thread = (uint16_t)lt, .seq = seq[lt] };
			if (wlog_check(&wl, 0, true, &v, &culprit) != WV_OK)
				good_fail++;
			/* Planted: a put that ended before another started. */
			for (int t = 0; t < 4; t++) {
				if (!seq[t] || end[t] >= ls)
					continue;
				v = (struct hval){ .thread = (uint16_t)t,
						   .seq = seq[t] };
				if (wlog_check(&wl, 0, true, &v, &culprit) ==
				    WV_OK)
					bad_ok++;
			}
			/* Planted: an earlier put of the winner's own thread. */
			if (seq[lt] > 1) {
				v = (struct hval){ .thread = (uint16_t)lt,
						   .seq = seq[lt] - 1 };
				if (wlog_check(&wl, 0, true, &v, &culprit) !=
				    WV_STALE)
					bad_ok++;
			}
		}
		wlog_free(&wl);
	}
	ok(!good_fail, "planted serialization: the last put to start always passes (2000 random histories)");
	ok(!bad_ok, "planted serialization: an overwritten or stale final value always FAILS (2000 random histories)");
}

int main(void)
{
	printf("TAP version 13\n");
	test_keys();
	test_values();
	test_wlog();
	test_model_scan();
	test_model_get();
	test_lmodel();
	test_planted();
	test_planted_serial();
	printf("1..%d\n", tests);
	printf("# %d passed, %d failed\n", tests - failed, failed);
	return failed ? 1 : 0;
}
