// SPDX-License-Identifier: GPL-2.0
/*
 * model: keys, values and the expected contents of the map. See model.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/cmap.h>

#include "model.h"

/* ---- keys ---- */

#define HKEY_BASE	19	/* kind + 4 + 6 + 8 hex digits */

static uint32_t fnv1a(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *s++) * 16777619u;
	return h;
}

/* Keys get 0..6 bytes of padding so that lengths (and alignment) vary. */
static unsigned int hkey_pad(const struct hkey *k)
{
	return (k->idx * 7 + k->gen) % 7;
}

/**
 * hkey_encode() - the bytes of key @k
 * @k:   the key
 * @buf: at least HKEY_MAX bytes; not NUL-terminated on return
 *
 * Return: the key's length.
 */
int hkey_encode(const struct hkey *k, char *buf)
{
	char tmp[HKEY_BASE + 1];
	unsigned int pad = hkey_pad(k);

	snprintf(tmp, sizeof(tmp), "%c%04x%06x%08x", k->kind,
		 k->owner & 0xffff, k->gen & 0xffffff, k->idx);
	memcpy(buf, tmp, HKEY_BASE);
	memset(buf + HKEY_BASE, '.', pad);
	return HKEY_BASE + pad;
}

static int hex_field(const char *s, int n, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uint32_t)(c - 'a' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

/**
 * hkey_decode() - parse a key returned by the map
 * @buf: the key's bytes
 * @len: their number
 * @k:   the key
 *
 * Return: 0, or -EINVAL if these are not the bytes of any hkey.
 */
int hkey_decode(const void *buf, uint32_t len, struct hkey *k)
{
	const char *s = buf;

	if (len < HKEY_BASE || len > HKEY_MAX)
		return -EINVAL;
	if (s[0] < 'a' || s[0] > 'z')
		return -EINVAL;
	k->kind = s[0];
	if (hex_field(s + 1, 4, &k->owner) || hex_field(s + 5, 6, &k->gen) ||
	    hex_field(s + 11, 8, &k->idx))
		return -EINVAL;
	if (len != HKEY_BASE + hkey_pad(k))
		return -EINVAL;
	for (uint32_t i = HKEY_BASE; i < len; i++)
		if (s[i] != '.')
			return -EINVAL;
	return 0;
}

/* ---- values ---- */

#define HVAL_MAGIC	0x68616d72u	/* "hamr" */
#define HVAL_HDR	20
#define HVAL_FILL_MAX	(HVAL_MAX - HVAL_HDR)

struct hval_hdr {
	uint32_t magic;
	uint32_t khash;
	uint64_t seq;
	uint16_t thread;
	uint16_t fill;
} __attribute__((packed));

_Static_assert(sizeof(struct hval_hdr) == HVAL_HDR, "hval header size");

static unsigned int hval_fill_len(const struct hval *v, uint32_t khash)
{
	return (unsigned int)((v->seq + v->thread + khash) % (HVAL_FILL_MAX + 1));
}

static uint8_t hval_fill_byte(const struct hval_hdr *h, unsigned int i)
{
	return (uint8_t)(h->seq * 31 + h->thread * 17 + h->khash + i * 7);
}

/**
 * hval_encode() - the bytes of value @v of key @key
 * @v:    writer and sequence number
 * @key:  the key the value is written to
 * @klen: its length
 * @buf:  at least HVAL_MAX bytes
 *
 * Return: the value's length (HVAL_HDR..HVAL_MAX).
 */
int hval_encode(const struct hval *v, const void *key, uint32_t klen,
		char *buf)
{
	struct hval_hdr h = {
		.magic = HVAL_MAGIC,
		.khash = fnv1a(key, klen),
		.seq = v->seq,
		.thread = v->thread,
	};

	h.fill = (uint16_t)hval_fill_len(v, h.khash);
	memcpy(buf, &h, sizeof(h));
	for (unsigned int i = 0; i < h.fill; i++)
		buf[HVAL_HDR + i] = (char)hval_fill_byte(&h, i);
	return HVAL_HDR + h.fill;
}

/**
 * hval_decode() - check and parse a value read from the map for @key
 * @buf:  the value's bytes
 * @len:  their number
 * @key:  the key it was read for
 * @klen: its length
 * @v:    the writer's identity, on HVAL_OK and HVAL_OTHER_KEY
 *
 * Return: HVAL_OK, HVAL_CORRUPT or HVAL_OTHER_KEY.
 */
enum hval_err hval_decode(const void *buf, uint32_t len, const void *key,
			  uint32_t klen, struct hval *v)
{
	struct hval_hdr h;
	const uint8_t *fill = (const uint8_t *)buf + HVAL_HDR;

	if (len < HVAL_HDR || len > HVAL_MAX)
		return HVAL_CORRUPT;
	memcpy(&h, buf, sizeof(h));
	v->thread = h.thread;
	v->seq = h.seq;
	if (h.magic != HVAL_MAGIC || h.fill != len - HVAL_HDR ||
	    h.fill != hval_fill_len(v, h.khash))
		return HVAL_CORRUPT;
	for (unsigned int i = 0; i < h.fill; i++)
		if (fill[i] != hval_fill_byte(&h, i))
			return HVAL_CORRUPT;
	return h.khash == fnv1a(key, klen) ? HVAL_OK : HVAL_OTHER_KEY;
}

/* ---- racing writers ---- */

/**
 * wlog_init() - an empty write log
 * @wl:       the log
 * @nthreads: writer threads (ids 0..nthreads-1)
 * @nkeys:    keys (0..nkeys-1)
 *
 * Return: 0 or -ENOMEM.
 */
int wlog_init(struct wlog *wl, unsigned int nthreads, unsigned int nkeys)
{
	wl->nthreads = nthreads;
	wl->nkeys = nkeys;
	wl->last = calloc((size_t)nthreads * nkeys, sizeof(*wl->last));
	return wl->last ? 0 : -ENOMEM;
}

void wlog_free(struct wlog *wl)
{
	free(wl->last);
	wl->last = NULL;
}

static struct wlast *wlog_at(const struct wlog *wl, unsigned int t,
			     unsigned int key)
{
	return &wl->last[(size_t)t * wl->nkeys + key];
}

/**
 * wlog_record() - note that @thread wrote (@thread, @seq) to @key
 * @wl:     the log
 * @thread: the writer; each thread records only its own writes
 * @key:    the key's index
 * @seq:    the sequence number in the value (non-zero, increasing)
 * @start:  clock tick taken before the put was issued
 * @end:    clock tick taken after it returned
 */
void wlog_record(struct wlog *wl, unsigned int thread, unsigned int key,
		 uint64_t seq, uint64_t start, uint64_t end)
{
	struct wlast *w = wlog_at(wl, thread, key);

	w->seq = seq;
	w->start = start;
	w->end = end;
}

/* The thread whose last write to @key started after @end, or -1. */
static int wlog_later(const struct wlog *wl, unsigned int key, int self,
		      uint64_t end)
{
	for (unsigned int t = 0; t < wl->nthreads; t++) {
		const struct wlast *o = wlog_at(wl, t, key);

		if ((int)t != self && o->seq && o->start > end)
			return (int)t;
	}
	return -1;
}

enum wverdict wlog_check(const struct wlog *wl, unsigned int key,
			 bool present, const struct hval *v, int *culprit)
{
	const struct wlast *w;

	*culprit = -1;
	if (!present)
		return WV_MISSING;	/* set-up wrote every key */
	if (v->thread == HVAL_SETUP) {
		*culprit = wlog_later(wl, key, -1, 0);
		return *culprit < 0 ? WV_OK : WV_OVERWRITTEN;
	}
	if (v->thread >= wl->nthreads)
		return WV_NEVER_WRITTEN;
	w = wlog_at(wl, v->thread, key);
	if (!w->seq || v->seq > w->seq)
		return WV_NEVER_WRITTEN;
	if (v->seq != w->seq)
		return WV_STALE;
	*culprit = wlog_later(wl, key, v->thread, w->end);
	return *culprit < 0 ? WV_OK : WV_OVERWRITTEN;
}

const char *wverdict_name(enum wverdict v)
{
	static const char *const names[] = {
		"ok", "value never written", "stale value (not its thread's last write)",
		"overwritten write won (another write happened after it)",
		"key missing",
	};

	return (unsigned int)v < sizeof(names) / sizeof(names[0]) ?
	       names[v] : "?";
}

/* ---- expected contents ---- */

const char *mverdict_name(enum mverdict v)
{
	static const char *const names[] = {
		"ok", "lost entry", "phantom entry", "wrong value",
		"corrupt value", "duplicate in scan", "operation failed",
	};

	return (unsigned int)v < sizeof(names) / sizeof(names[0]) ?
	       names[v] : "?";
}

/**
 * model_init() - an empty expectation for up to @max_keys keys
 * @m:        the model
 * @max_keys: the most keys model_set() will be given
 *
 * Return: 0 or -ENOMEM.
 */
int model_init(struct model *m, size_t max_keys)
{
	m->cap = 16;
	while (m->cap < max_keys * 2)
		m->cap *= 2;
	m->n = 0;
	m->tab = calloc(m->cap, sizeof(*m->tab));
	return m->tab ? 0 : -ENOMEM;
}

void model_free(struct model *m)
{
	free(m->tab);
	m->tab = NULL;
}

void model_reset(struct model *m)
{
	memset(m->tab, 0, m->cap * sizeof(*m->tab));
	m->n = 0;
}

/* The slot of @key: its entry, or the free slot where it would go. */
static struct mentry *model_slot(const struct model *m, const void *key,
				 uint32_t klen)
{
	size_t i = fnv1a(key, klen) & (m->cap - 1);

	for (;;) {
		struct mentry *e = &m->tab[i];

		if (!e->used || (e->klen == klen && !memcmp(e->key, key, klen)))
			return e;
		i = (i + 1) & (m->cap - 1);
	}
}

struct mentry *model_find(const struct model *m, const void *key,
			  uint32_t klen)
{
	struct mentry *e;

	if (klen > HKEY_MAX)
		return NULL;
	e = model_slot(m, key, klen);
	return e->used ? e : NULL;
}

/**
 * model_set() - expect @key to be in @state
 * @m:     the model
 * @key:   the key
 * @klen:  its length (<= HKEY_MAX)
 * @state: M_ABSENT, M_PRESENT or M_ANY
 * @v:     the value expected for M_PRESENT (NULL otherwise)
 *
 * Return: 0, -ENOSPC if the model is full, -EINVAL for a bad key.
 */
int model_set(struct model *m, const char *key, uint32_t klen,
	      enum mstate state, const struct hval *v)
{
	struct mentry *e;

	if (!klen || klen > HKEY_MAX)
		return -EINVAL;
	e = model_slot(m, key, klen);
	if (!e->used) {
		if ((m->n + 1) * 2 > m->cap)
			return -ENOSPC;
		e->used = true;
		memcpy(e->key, key, klen);
		e->klen = (uint8_t)klen;
		m->n++;
	}
	e->state = (uint8_t)state;
	e->thread = v ? v->thread : 0;
	e->seq = v ? v->seq : 0;
	return 0;
}

/* Judge a value found for entry @e (NULL: a key the model never heard of). */
static enum mverdict model_judge(const struct mentry *e, const void *key,
				 uint32_t klen, const void *val, uint32_t vlen,
				 char *detail, size_t dsize)
{
	struct hval v;
	enum hval_err herr = hval_decode(val, vlen, key, klen, &v);

	if (!e || e->state == M_ABSENT) {
		snprintf(detail, dsize, "present, expected absent; value %s (thread %u seq %llu)",
			 herr == HVAL_OK ? "well-formed" : "malformed",
			 v.thread, (unsigned long long)v.seq);
		return MV_PHANTOM;
	}
	if (herr != HVAL_OK) {
		snprintf(detail, dsize, "%s value (%u bytes)",
			 herr == HVAL_OTHER_KEY ? "another key's" : "malformed",
			 vlen);
		return MV_CORRUPT;
	}
	if (e->state == M_PRESENT && (v.thread != e->thread || v.seq != e->seq)) {
		snprintf(detail, dsize, "value of thread %u seq %llu, expected thread %u seq %llu",
			 v.thread, (unsigned long long)v.seq, e->thread,
			 (unsigned long long)e->seq);
		return MV_WRONG_VALUE;
	}
	return MV_OK;
}

/**
 * model_check_get() - judge the result of a GET of @key
 * @m:      the model
 * @key:    the key
 * @klen:   its length
 * @err:    the GET's result: 0 or -errno
 * @val:    the value read (if @err is 0)
 * @vlen:   its length
 * @detail: what was wrong, for the report
 * @dsize:  size of @detail
 *
 * Return: MV_OK or what is wrong.
 */
enum mverdict model_check_get(const struct model *m, const void *key,
			      uint32_t klen, int err, const void *val,
			      uint32_t vlen, char *detail, size_t dsize)
{
	const struct mentry *e = model_find(m, key, klen);

	detail[0] = '\0';
	if (err == -ENOENT) {
		if (e && e->state == M_PRESENT) {
			snprintf(detail, dsize, "GET: ENOENT, expected thread %u seq %llu",
				 e->thread, (unsigned long long)e->seq);
			return MV_LOST;
		}
		return MV_OK;
	}
	if (err) {
		snprintf(detail, dsize, "GET failed: %s", strerror(-err));
		return MV_ERROR;
	}
	return model_judge(e, key, klen, val, vlen, detail, dsize);
}

void model_scan_begin(struct model *m)
{
	for (size_t i = 0; i < m->cap; i++)
		m->tab[i].seen = 0;
}

/**
 * model_scan_rec() - judge one record of a complete scan
 * @m:      the model, after model_scan_begin()
 * @key:    the record's key
 * @klen:   its length
 * @val:    its value
 * @vlen:   the value's length
 * @detail: what was wrong
 * @dsize:  size of @detail
 *
 * Return: MV_OK or what is wrong (MV_DUPLICATE: the scan returned it twice).
 */
enum mverdict model_scan_rec(struct model *m, const void *key, uint32_t klen,
			     const void *val, uint32_t vlen, char *detail,
			     size_t dsize)
{
	struct mentry *e = model_find(m, key, klen);
	enum mverdict v;

	detail[0] = '\0';
	v = model_judge(e, key, klen, val, vlen, detail, dsize);
	if (e && ++e->seen > 1 && v == MV_OK) {
		snprintf(detail, dsize, "returned %u times by one scan", e->seen);
		return MV_DUPLICATE;
	}
	return v;
}

const struct mentry *model_scan_lost(const struct model *m, size_t *pos)
{
	for (; *pos < m->cap; (*pos)++) {
		const struct mentry *e = &m->tab[*pos];

		if (e->used && e->state == M_PRESENT && !e->seen) {
			(*pos)++;
			return e;
		}
	}
	return NULL;
}

/* ---- a thread's private keys ---- */

int lmodel_init(struct lmodel *lm, uint32_t nkeys)
{
	lm->nkeys = nkeys;
	lm->npresent = 0;
	lm->present = calloc(nkeys, 1);
	lm->seq = calloc(nkeys, sizeof(*lm->seq));
	if (lm->present && lm->seq)
		return 0;
	lmodel_free(lm);
	return -ENOMEM;
}

void lmodel_free(struct lmodel *lm)
{
	free(lm->present);
	free(lm->seq);
	lm->present = NULL;
	lm->seq = NULL;
}

/* Predict and apply one operation; returns its predicted result. */
static int lmodel_op(struct lmodel *lm, enum lop kind, uint32_t idx,
		     uint32_t flags, uint64_t seq)
{
	bool here = lm->present[idx];

	switch (kind) {
	case LOP_GET:
		return here ? 0 : -ENOENT;
	case LOP_DELETE:
		if (!here)
			return -ENOENT;
		lm->present[idx] = 0;
		lm->npresent--;
		return 0;
	case LOP_PUT:
		if ((flags & CMAP_PUT_NOEXIST) && here)
			return -EEXIST;
		if ((flags & CMAP_PUT_EXIST) && !here)
			return -ENOENT;
		lm->npresent += !here;
		lm->present[idx] = 1;
		lm->seq[idx] = seq;
		return 0;
	}
	return -EINVAL;
}

int lmodel_batch(struct lmodel *lm, enum lop kind, const uint32_t *idx,
		 const uint32_t *flags, const uint64_t *seq, uint32_t n,
		 uint32_t *count)
{
	for (uint32_t i = 0; i < n; i++) {
		int err = lmodel_op(lm, kind, idx[i], flags ? flags[i] : 0,
				    seq ? seq[i] : 0);

		if (err) {
			*count = i;
			return err;
		}
	}
	*count = n;
	return 0;
}
