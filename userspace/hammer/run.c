// SPDX-License-Identifier: GPL-2.0
/*
 * cmap-hammer: running a scenario's threads, recording data errors,
 * checking the map against a model.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hammer.h"

#define POLL_US		100000	/* kmsg poll period while workers run */
#define ERR_ECHO	20	/* data errors echoed on stderr as they happen */
#define WAIT_GRACE	60	/* s after the deadline before workers are given up */
#define WAIT_STOP	10	/* s after --expect was satisfied */

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* splitmix64: small, fast, and good enough to pick keys. */
uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(((rng_next(s) >> 32) * n) >> 32) : 0;
}

uint64_t rng_seed(uint64_t seed, unsigned int scen, unsigned int thread)
{
	uint64_t s = seed ^ ((uint64_t)scen << 40) ^ ((uint64_t)thread << 20);

	rng_next(&s);
	return s;
}

uint64_t hclock(struct hrun *r)
{
	return atomic_fetch_add(&r->clock, 1);
}

bool worker_go(struct worker *w)
{
	struct scen *s = w->s;

	if (atomic_load_explicit(&s->done, memory_order_relaxed) ||
	    atomic_load_explicit(&s->r->stop, memory_order_relaxed))
		return false;
	if (s->ops_limit && w->ops >= s->ops_limit)
		return false;
	w->ops++;
	if (s->ops_limit)
		return true;
	if (w->ops % 16)
		return true;
	if (now_s() < s->deadline)
		return true;
	atomic_store(&s->done, true);
	return false;
}

void hstate_read(struct hrun *r, struct hstate *st)
{
	struct cmap_stats cs;

	memset(st, 0, sizeof(*st));
	if (libcmap_stats(r->fd, &cs))
		return;
	st->entries = cs.entries;
	st->buckets = cs.buckets;
	st->future_buckets = cs.future_buckets;
	st->migrated = cs.migrated;
	st->grows = cs.grows;
	st->shrinks = cs.shrinks;
}

static void key_text(char *dst, const char *key, uint32_t klen)
{
	uint32_t i;

	if (klen > HKEY_MAX)
		klen = HKEY_MAX;
	for (i = 0; i < klen; i++)
		dst[i] = key[i] >= 0x20 && key[i] < 0x7f ? key[i] : '?';
	dst[i] = '\0';
}

static void herr_echo(const struct herr *e)
{
	fprintf(stderr, "cmap-hammer: DATA ERROR %s: %s, %s %s '%s': %s [entries %llu buckets %llu future %llu migrated %llu]\n",
		e->what, e->scenario, e->thread, e->op, e->key, e->detail,
		(unsigned long long)e->st.entries,
		(unsigned long long)e->st.buckets,
		(unsigned long long)e->st.future_buckets,
		(unsigned long long)e->st.migrated);
}

static void data_error_v(struct hrun *r, const char *thread, const char *op,
			 const char *key, uint32_t klen, const char *what,
			 const char *fmt, va_list ap)
{
	struct herr e = { 0 };

	hstate_read(r, &e.st);
	snprintf(e.scenario, sizeof(e.scenario), "%s", r->scenario);
	snprintf(e.thread, sizeof(e.thread), "%s", thread);
	snprintf(e.op, sizeof(e.op), "%s", op);
	snprintf(e.what, sizeof(e.what), "%s", what);
	key_text(e.key, key ? key : "", key ? klen : 0);
	vsnprintf(e.detail, sizeof(e.detail), fmt, ap);
	pthread_mutex_lock(&r->lock);
	if (r->nerrs < HERR_KEEP)
		r->errs[r->nerrs] = e;
	if (r->nerrs++ < ERR_ECHO)
		herr_echo(&e);
	pthread_mutex_unlock(&r->lock);
}

void data_error(struct hrun *r, const char *thread, const char *op,
		const char *key, uint32_t klen, const char *what,
		const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	data_error_v(r, thread, op, key, klen, what, fmt, ap);
	va_end(ap);
}

void werr(struct worker *w, const char *op, const char *key, uint32_t klen,
	  const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	data_error_v(w->s->r, w->label, op, key, klen, what, fmt, ap);
	va_end(ap);
}

int key_of(char kind, unsigned int owner, unsigned int gen, unsigned int idx,
	   char *buf)
{
	struct hkey k = { .kind = kind, .owner = owner, .gen = gen, .idx = idx };

	return hkey_encode(&k, buf);
}

int put_val(struct hrun *r, const char *key, int klen, unsigned int thread,
	    uint64_t seq, uint32_t flags)
{
	struct hval v = { .thread = (uint16_t)thread, .seq = seq };
	char val[HVAL_MAX];
	int vlen = hval_encode(&v, key, (uint32_t)klen, val);

	return libcmap_put(r->fd, key, (uint32_t)klen, val, (uint32_t)vlen,
			   flags);
}

/* ---- scans ---- */

static int scan_records(const void *buf, uint32_t used, scan_fn fn, void *arg)
{
	struct libcmap_rec rec;
	uint32_t off = 0;
	int ret;

	while ((ret = libcmap_scan_next(buf, used, &off, &rec)) > 0)
		fn(arg, &rec);
	return ret;
}

/**
 * scan_all() - one complete scan of the map
 * @r:        the run
 * @buf_size: initial buffer size (grown on ENOSPC)
 * @fn:       called for every record
 * @arg:      its argument
 * @who:      the thread, for data errors
 *
 * Return: 0 once CMAP_SCAN_DONE was seen, else the error (already
 * reported as a data error), or -EINTR if the run is stopping.
 */
int scan_all(struct hrun *r, uint32_t buf_size, scan_fn fn, void *arg,
	     const char *who)
{
	char *buf = malloc(buf_size);
	__u64 cursor = 0;
	uint32_t used, count;
	bool done = false;
	int err = 0;

	while (buf && !done && !err) {
		err = libcmap_scan(r->fd, &cursor, buf, buf_size, &used,
				   &count, &done);
		if (err == -ENOSPC && used > buf_size) {
			char *nbuf = realloc(buf, used);

			if (nbuf) {
				buf = nbuf;
				buf_size = used;
				err = 0;
				continue;
			}
		}
		if (!err && scan_records(buf, used, fn, arg) < 0)
			err = -EBADMSG;
		if (!err && atomic_load(&r->stop))
			err = -EINTR;
	}
	if (!buf)
		err = -ENOMEM;
	if (err && err != -EINTR)
		data_error(r, who, "scan", NULL, 0, "operation failed",
			   "SCAN at cursor %#llx: %s", (unsigned long long)cursor,
			   strerror(-err));
	free(buf);
	return err;
}

/* ---- the model check after a scenario ---- */

struct check_ctx {
	struct hrun *r;
	struct model *m;
	const char *who;
};

static void check_rec(void *arg, const struct libcmap_rec *rec)
{
	struct check_ctx *c = arg;
	char detail[200];
	enum mverdict v = model_scan_rec(c->m, rec->key, rec->key_len,
					 rec->val, rec->val_len, detail,
					 sizeof(detail));

	if (v != MV_OK)
		data_error(c->r, c->who, "final scan", rec->key, rec->key_len,
			   mverdict_name(v), "%s", detail);
}

static void check_gets(struct hrun *r, struct model *m, const char *who)
{
	char val[CMAP_VALUE_MAX], detail[200];

	for (size_t i = 0; i < m->cap; i++) {
		const struct mentry *e = &m->tab[i];
		uint32_t vlen = 0;
		enum mverdict v;
		int err;

		if (!e->used)
			continue;
		err = libcmap_get(r->fd, e->key, e->klen, val, sizeof(val),
				  &vlen);
		v = model_check_get(m, e->key, e->klen, err, val, vlen, detail,
				    sizeof(detail));
		if (v != MV_OK)
			data_error(r, who, "final get", e->key, e->klen,
				   mverdict_name(v), "%s", detail);
	}
}

/**
 * check_map() - compare the whole map with @m
 * @r:   the run
 * @m:   the model; keys it does not know must not be in the map
 * @who: label for data errors
 *
 * A complete scan must return exactly the expected-present keys, once
 * each, with their values; then a GET of every key the model knows.
 */
void check_map(struct hrun *r, struct model *m, const char *who)
{
	struct check_ctx c = { .r = r, .m = m, .who = who };
	const struct mentry *e;
	size_t pos = 0;

	model_scan_begin(m);
	if (!scan_all(r, 4096, check_rec, &c, who)) {
		while ((e = model_scan_lost(m, &pos)))
			data_error(r, who, "final scan", e->key, e->klen,
				   mverdict_name(MV_LOST),
				   "not returned by a complete scan (expected thread %u seq %llu)",
				   e->thread, (unsigned long long)e->seq);
	}
	check_gets(r, m, who);
}

/* ---- running a scenario ---- */

static void hpoll(struct hrun *r)
{
	pthread_mutex_lock(&r->lock);
	kcheck_poll(r->kc);
	if (r->o.expect && kcheck_expect(r->kc, r->o.expect))
		atomic_store(&r->stop, true);
	pthread_mutex_unlock(&r->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct hrun *r = w->s->r;

	pthread_mutex_lock(&r->lock);
	kcheck_name_task(r->kc, gettid(), w->label);
	pthread_mutex_unlock(&r->lock);
	w->s->def->work(w);
	atomic_fetch_sub(&w->s->running, 1);
	return NULL;
}

static void scen_init_workers(struct scen *s, unsigned int idx)
{
	const struct scenario *def = s->def;

	for (unsigned int i = 0; i < s->nthreads; i++) {
		struct worker *w = &s->w[i];

		w->s = s;
		w->id = i;
		w->role = def->role(i, s->nthreads);
		w->rank = s->nrole[w->role]++;
		w->rng = rng_seed(s->r->o.seed, idx, i);
		snprintf(w->label, sizeof(w->label), "%s/thread %u (%s %u)",
			 def->name, i, def->roles[w->role], w->rank);
	}
}

static int scen_spawn(struct scen *s)
{
	unsigned int i;

	atomic_store(&s->running, (int)s->nthreads);
	for (i = 0; i < s->nthreads; i++) {
		if (pthread_create(&s->w[i].th, NULL, worker_main, &s->w[i]))
			break;
	}
	if (i == s->nthreads)
		return 0;
	atomic_store(&s->done, true);
	atomic_fetch_sub(&s->running, (int)(s->nthreads - i));
	s->nthreads = i;
	return -EAGAIN;
}

/*
 * Wait for the workers, polling kmsg. A worker may never come back (an
 * oops killed it holding a lock, a lockup): give up @grace seconds after
 * the scenario should have ended, or sooner once --expect was satisfied.
 * Returns false if workers were abandoned.
 */
static bool scen_wait(struct scen *s, double secs)
{
	double give_up = now_s() + (s->ops_limit ? 3600 : secs) + WAIT_GRACE;
	bool stopping = false;

	while (atomic_load(&s->running) > 0) {
		usleep(POLL_US);
		hpoll(s->r);
		if (atomic_load(&s->r->stop) && !stopping) {
			atomic_store(&s->done, true);
			stopping = true;
			give_up = now_s() + WAIT_STOP;
		}
		if (now_s() > give_up)
			return false;
	}
	for (unsigned int i = 0; i < s->nthreads; i++)
		pthread_join(s->w[i].th, NULL);
	hpoll(s->r);
	return true;
}

static void scen_progress(struct hrun *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void scen_progress(struct hrun *r, const char *fmt, ...)
{
	va_list ap;

	if (r->o.quiet)
		return;
	fprintf(stderr, "cmap-hammer: [%6.1fs] ", now_s() - r->t0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static struct hresult *scen_result(struct hrun *r, const struct scenario *def)
{
	struct hresult *res = &r->res[r->nres < HRESULTS_MAX ? r->nres++ :
				      HRESULTS_MAX - 1];

	memset(res, 0, sizeof(*res));
	res->name = def->name;
	return res;
}

static void scen_finish(struct scen *s, struct hresult *res,
			const struct hstate *before, double t, uint64_t nerrs,
			int nfind)
{
	struct hrun *r = s->r;
	struct hstate after;

	hstate_read(r, &after);
	for (unsigned int i = 0; i < s->nthreads; i++)
		res->ops += s->w[i].ops;
	res->secs = now_s() - t;
	res->grows = after.grows - before->grows;
	res->shrinks = after.shrinks - before->shrinks;
	res->errors = r->nerrs - nerrs;
	res->findings = kcheck_findings(r->kc) - nfind;
	if (s->def->note)
		s->def->note(s, res);
	scen_progress(r, "%s: end: %llu ops in %.1f s (%.0f ops/s), %llu grows, %llu shrinks, %llu data errors, %d new findings%s%s",
		      res->name, (unsigned long long)res->ops, res->secs,
		      res->secs > 0 ? res->ops / res->secs : 0.0,
		      (unsigned long long)res->grows,
		      (unsigned long long)res->shrinks,
		      (unsigned long long)res->errors, res->findings,
		      res->note[0] ? "; " : "", res->note);
}

static void scen_label(struct hrun *r, const char *name)
{
	pthread_mutex_lock(&r->lock);
	r->scenario = name;
	kcheck_set_scenario(r->kc, name);
	pthread_mutex_unlock(&r->lock);
}

/**
 * scen_run() - run one scenario: clear, set up, workers, check
 * @r:    the run
 * @def:  the scenario
 * @idx:  its number in this run (seeds the threads' generators)
 * @secs: how long the workers run (unless --ops)
 *
 * Return: 0, or -errno if it could not be run at all.
 */
int scen_run(struct hrun *r, const struct scenario *def, unsigned int idx,
	     double secs)
{
	struct scen s = { .r = r, .def = def, .nthreads = r->o.threads };
	struct hresult *res;
	struct hstate before;
	uint64_t nerrs = r->nerrs;
	int nfind = kcheck_findings(r->kc), err;
	double t = now_s();

	scen_label(r, def->name);
	hpoll(r);
	s.w = calloc(s.nthreads, sizeof(*s.w));
	if (!s.w)
		return -ENOMEM;
	scen_init_workers(&s, idx);
	err = libcmap_clear(r->fd);
	if (!err)
		err = def->setup(&s);
	if (err) {
		data_error(r, "set-up", "set-up", NULL, 0, "set-up failed",
			   "%s: clearing or filling the map: %s", def->name,
			   strerror(-err));
		if (def->teardown)
			def->teardown(&s);
		free(s.w);
		return err;
	}
	hstate_read(r, &before);
	res = scen_result(r, def);
	scen_progress(r, "%s: start: %u threads, %s %.1f s, %llu entries in %llu buckets",
		      def->name, s.nthreads, r->o.ops ? "ops mode," : "for",
		      r->o.ops ? 0.0 : secs, (unsigned long long)before.entries,
		      (unsigned long long)before.buckets);
	s.ops_limit = r->o.ops;
	s.deadline = now_s() + secs;
	err = scen_spawn(&s);
	if (!scen_wait(&s, secs)) {
		/* Threads stuck in the kernel: report, never join or free. */
		r->abandoned = true;
		data_error(r, "hammer", "wait", NULL, 0, "hang",
			   "%d threads did not return from the kernel",
			   atomic_load(&s.running));
		scen_finish(&s, res, &before, t, nerrs, nfind);
		return -ETIMEDOUT;
	}
	/* --expect satisfied: the run is over, skip the model check. */
	if (!err && !atomic_load(&r->stop))
		def->check(&s);
	scen_finish(&s, res, &before, t, nerrs, nfind);
	if (def->teardown)
		def->teardown(&s);
	free(s.w);
	return err;
}
