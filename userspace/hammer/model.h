/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model: what cmap-hammer expects the map to hold, and how it judges what
 * the map returned. Pure logic, no /dev/cmap: tests/test_model.c runs it
 * on the host.
 *
 * Keys are short text ("s0003000000000000002a" and a little padding):
 * a kind letter, an owner (thread), a generation and an index, so any key
 * met in a scan can be traced back to the scenario step that wrote it.
 * Values carry the writer's identity (thread, sequence number), a hash of
 * the key they belong to and a filler derived from both: a torn value, a
 * value of another key or a value nobody wrote is recognised as such.
 */
#ifndef CMAP_HAMMER_MODEL_H
#define CMAP_HAMMER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- keys ---- */

#define HKEY_MAX	32	/* longest encoded key, with its padding */

struct hkey {
	char kind;		/* 's' stable, 'c' churn, 'h' hot, ... */
	uint32_t owner;		/* thread (0..0xffff) */
	uint32_t gen;		/* generation (0..0xffffff) */
	uint32_t idx;		/* index */
};

int hkey_encode(const struct hkey *k, char *buf);
int hkey_decode(const void *buf, uint32_t len, struct hkey *k);

/* ---- values ---- */

#define HVAL_MAX	80	/* longest encoded value */
#define HVAL_SETUP	0xffff	/* thread id of values written by set-up */

struct hval {
	uint16_t thread;	/* writer, or HVAL_SETUP */
	uint64_t seq;		/* the writer's sequence number */
};

int hval_encode(const struct hval *v, const void *key, uint32_t klen,
		char *buf);

/* Result of hval_decode(), also a data-error verdict. */
enum hval_err {
	HVAL_OK = 0,
	HVAL_CORRUPT,		/* bad length, magic or filler: torn value */
	HVAL_OTHER_KEY,		/* a well-formed value of another key */
};

enum hval_err hval_decode(const void *buf, uint32_t len, const void *key,
			  uint32_t klen, struct hval *v);

/* ---- racing writers: the serialization check ---- */

/*
 * Each write is stamped with two ticks of a global clock: one taken before
 * the put is issued, one after it returned. Write A happened before write
 * B if A.end < B.start. With only puts to a key, the value left at the end
 * must be a write W such that no other write to the key happened after W
 * (a linearizable map orders W last; earlier writes of W's own thread
 * happened before W, so W is also its thread's last write to the key).
 * Only each thread's last write to each key is kept: an earlier one can
 * never be the final value.
 */
struct wlast {
	uint64_t seq;		/* 0: this thread never wrote the key */
	uint64_t start, end;
};

struct wlog {
	unsigned int nthreads, nkeys;
	struct wlast *last;	/* [thread][key] */
};

int wlog_init(struct wlog *wl, unsigned int nthreads, unsigned int nkeys);
void wlog_free(struct wlog *wl);
void wlog_record(struct wlog *wl, unsigned int thread, unsigned int key,
		 uint64_t seq, uint64_t start, uint64_t end);

enum wverdict {
	WV_OK,
	WV_NEVER_WRITTEN,	/* no thread wrote this (thread, seq) */
	WV_STALE,		/* an older write of its own thread */
	WV_OVERWRITTEN,		/* another write happened after it */
	WV_MISSING,		/* the key is absent but was written */
};

/*
 * Judge @v as the final value of @key; @present false if the key was
 * absent. @thread == HVAL_SETUP stands for the set-up write (at tick 0,
 * before every thread). *@culprit gets the thread whose write should have
 * won (WV_OVERWRITTEN) or -1.
 */
enum wverdict wlog_check(const struct wlog *wl, unsigned int key,
			 bool present, const struct hval *v, int *culprit);
const char *wverdict_name(enum wverdict v);

/* ---- expected contents ---- */

enum mstate {
	M_ABSENT,		/* must not be in the map */
	M_PRESENT,		/* must be there, with exactly this value */
	M_ANY,			/* may or may not be there (raced at the end) */
};

struct mentry {
	char key[HKEY_MAX];
	uint8_t klen;
	uint8_t state;
	uint16_t thread;
	uint64_t seq;
	uint32_t seen;		/* scan tally */
	bool used;
};

struct model {
	struct mentry *tab;
	size_t cap, n;
};

enum mverdict {
	MV_OK,
	MV_LOST,		/* expected present, not found */
	MV_PHANTOM,		/* found, expected absent (or unknown key) */
	MV_WRONG_VALUE,		/* found with another writer's value */
	MV_CORRUPT,		/* found with a malformed value */
	MV_DUPLICATE,		/* returned more than once by one scan */
	MV_ERROR,		/* the operation failed unexpectedly */
};

const char *mverdict_name(enum mverdict v);

int model_init(struct model *m, size_t max_keys);
void model_free(struct model *m);
void model_reset(struct model *m);
/* Expect @key in @state (with value @v if M_PRESENT); replaces. */
int model_set(struct model *m, const char *key, uint32_t klen,
	      enum mstate state, const struct hval *v);
struct mentry *model_find(const struct model *m, const void *key,
			  uint32_t klen);

/*
 * Judging one GET: @err is its result (0 or -errno), @val/@vlen the value.
 * @detail (at least 160 bytes) says what was wrong.
 */
enum mverdict model_check_get(const struct model *m, const void *key,
			      uint32_t klen, int err, const void *val,
			      uint32_t vlen, char *detail, size_t dsize);

/* A complete scan: begin, each record, then end (reports the lost). */
void model_scan_begin(struct model *m);
enum mverdict model_scan_rec(struct model *m, const void *key, uint32_t klen,
			     const void *val, uint32_t vlen, char *detail,
			     size_t dsize);
/* The i-th expected-present entry the scan missed, from *@pos on; NULL at end. */
const struct mentry *model_scan_lost(const struct model *m, size_t *pos);

/* ---- one thread's private keys: predicting batch results ---- */

struct lmodel {
	uint32_t nkeys;
	uint32_t npresent;
	uint8_t *present;
	uint64_t *seq;		/* value of a present key: (owner, seq) */
};

enum lop { LOP_GET, LOP_PUT, LOP_DELETE };

int lmodel_init(struct lmodel *lm, uint32_t nkeys);
void lmodel_free(struct lmodel *lm);

/*
 * Predict a batch of @n operations @kind on keys @idx (with @flags and
 * @seq for puts) as the kernel documents it: in order, stopping at the
 * first failure. Applies the operations predicted to complete to @lm;
 * *@count gets their number. Returns the predicted error (0, -ENOENT,
 * -EEXIST).
 */
int lmodel_batch(struct lmodel *lm, enum lop kind, const uint32_t *idx,
		 const uint32_t *flags, const uint64_t *seq, uint32_t n,
		 uint32_t *count);

#endif /* CMAP_HAMMER_MODEL_H */
