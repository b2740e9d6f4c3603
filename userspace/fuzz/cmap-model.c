// SPDX-License-Identifier: GPL-2.0
/*
 * cmap-model: the model-checked workloads of the reliability tests
 * (selftests/guest/reliability.sh). Each mode prints TAP on stdout.
 *
 *   churn        threads on private key ranges grow the table to --keys
 *                entries each and delete back down to 1/16 of that, again
 *                and again (single and batch GET/PUT/DELETE, every PUT
 *                flag), checking every answer against a per-thread model.
 *                With --allow-enomem an operation may fail with -ENOMEM
 *                (fault injection): it then must have had no effect. Any
 *                other surprise is an error. SIGINT or SIGTERM ends the
 *                churn early (then the checks run as usual). Afterwards the whole map must
 *                equal the models (full scan, GET of every key, STATS).
 *   fill         threads insert new keys until the map refuses them with
 *                --expect (ENOSPC: a cap; ENOMEM: a memory cgroup), then
 *                checks the caps: no overshoot by more than the number of
 *                CPUs, every further insert refused, the map consistent.
 *   check        a full scan agrees with STATS, every entry reads back.
 *   insert       put --keys new keys from one thread: all must succeed.
 *   replace      fill up to --keys keys of --value-len bytes (until the
 *                map refuses with ENOSPC), delete the last quarter of them
 *                (room for the replace loop: at the cap a replacement is
 *                refused, the old entry's memory counting until it is
 *                freed), then --threads threads replace random ones of the
 *                rest with --value-len-byte values for --duration seconds:
 *                each answer must be 0 or ENOSPC, and afterwards every key
 *                reads back whole. The memory the map holds meanwhile is
 *                for the caller to watch.
 *   wait-resize  wait until no resize is pending and the table has the
 *                size the load calls for.
 *   open         try to open the device read-only and read-write, print
 *                the errnos (for the permission test).
 *   stats        print STATS as name=value lines.
 *   chain        with the module loaded with test_hash_bits=0 (every key
 *                in one bucket): insert --keys keys, the table grows;
 *                full scans with a large and a small buffer return each
 *                once; delete all but 1/16, the table shrinks; scan again.
 *                Prints the longest bucket-lock hold (STATS) as
 *                "# hold_ns N" for the caller to compare across sizes.
 *
 * Deterministic from --seed (per thread). Exit status: 0 all checks
 * passed, 1 a check failed, 2 usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cmap.h"

#define MAX_THREADS	64
#define KEY_LEN		20
#define VAL_MAX		256
#define BATCH_MAX	16
#define MAX_REPORT	10

static struct {
	const char *mode;
	const char *dev;
	uint64_t seed;
	unsigned int threads;
	unsigned int keys;
	uint64_t ops;
	double duration;
	bool allow_enomem;
	bool make_it_fail;
	bool clear;
	bool no_resize_check;
	const char *leave_cgroup;
	int expect;
	unsigned int value_len;
	double timeout;
} opt = {
	.dev = LIBCMAP_DEVICE,
	.seed = 1,
	.threads = 2,
	.keys = 2000,
	.expect = ENOSPC,
	.value_len = 64,
	.timeout = 30,
};

static int tap_n, tap_failed;
static atomic_bool stop;
static double t_start;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		tap_failed++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *ename(int err)
{
	if (err < 0)
		err = -err;
	return err ? strerrorname_np(err) ?: "?" : "ok";
}

static int open_dev(void)
{
	int fd = libcmap_open(opt.dev, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "cmap-model: open %s: %s\n", opt.dev, strerror(-fd));
		exit(2);
	}
	return fd;
}

/* ---- random numbers (splitmix64: plenty for choosing operations) ---- */

static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *r, uint32_t n)
{
	return n ? (uint32_t)(((mix(r) >> 32) * n) >> 32) : 0;
}

/* ---- keys and values: both a function of (thread, index, version) ---- */

static void mkkey(char *k, unsigned int t, unsigned int i)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "mdl-t%02u-k%010u", t % 100, i);
	memcpy(k, tmp, KEY_LEN);
}

static uint32_t vlen_of(unsigned int t, unsigned int i, uint32_t ver)
{
	uint64_t x = ((uint64_t)t << 48) ^ ((uint64_t)i << 20) ^ ver;

	return (uint32_t)(mix(&x) % VAL_MAX);
}

static void mkval(uint8_t *v, unsigned int t, unsigned int i, uint32_t ver,
		  uint32_t len)
{
	for (uint32_t j = 0; j < len; j++)
		v[j] = (uint8_t)(t * 31 + i * 7 + ver * 13 + j);
	if (len >= 4)
		memcpy(v, &ver, 4);
}

/* ---- churn ---- */

struct slot {
	bool present;
	uint32_t ver;		/* version of the value present (or last) */
};

struct cstats {
	uint64_t ops, batches, enomem, errors, verified;
	uint64_t per_err[8];	/* ok ENOENT EEXIST ENOSPC ENOMEM other */
};

struct cworker {
	pthread_t tid;
	unsigned int idx;
	int fd;
	uint64_t rng;
	struct slot *m;
	unsigned int live;
	bool shrinking;
	struct cstats st;
	uint8_t vbuf[BATCH_MAX][CMAP_VALUE_MAX];
	uint8_t pbuf[BATCH_MAX][VAL_MAX];
	char keys[BATCH_MAX][KEY_LEN];
};

enum { OP_GET, OP_PUT, OP_DEL };

struct mop {
	int type;
	unsigned int i;
	uint32_t flags;
	uint32_t ver;	/* PUT: the new version */
};

static void error_at(struct cworker *w, const struct mop *o, const char *what,
		     int got, int want)
{
	if (w->st.errors++ < MAX_REPORT)
		printf("# thread %u key %u (%s flags %u): %s: got %s, expected %s\n",
		       w->idx, o->i, o->type == OP_GET ? "GET" : o->type == OP_PUT ? "PUT" : "DELETE",
		       o->flags, what, ename(got), ename(want));
}

/* What the model says @o returns. */
static int expected(struct cworker *w, const struct mop *o)
{
	const struct slot *s = &w->m[o->i];

	switch (o->type) {
	case OP_GET:
	case OP_DEL:
		return s->present ? 0 : -ENOENT;
	default:
		if ((o->flags & CMAP_PUT_NOEXIST) && s->present)
			return -EEXIST;
		if ((o->flags & CMAP_PUT_EXIST) && !s->present)
			return -ENOENT;
		return 0;
	}
}

static void apply(struct cworker *w, const struct mop *o)
{
	struct slot *s = &w->m[o->i];

	if (o->type == OP_PUT) {
		w->live += !s->present;
		s->present = true;
		s->ver = o->ver;
	} else if (o->type == OP_DEL) {
		w->live -= s->present;
		s->present = false;
	}
}

static void count_err(struct cworker *w, int err)
{
	int e = -err;

	w->st.per_err[e == 0 ? 0 : e == ENOENT ? 1 : e == EEXIST ? 2 :
		      e == ENOSPC ? 3 : e == ENOMEM ? 4 : 5]++;
	if (e == ENOMEM)
		w->st.enomem++;
}

/* A GET that succeeded: is the value the model's? */
static void check_value(struct cworker *w, const struct mop *o,
			const uint8_t *got, uint32_t len)
{
	const struct slot *s = &w->m[o->i];
	uint8_t want[VAL_MAX];
	uint32_t wl = vlen_of(w->idx, o->i, s->ver);

	mkval(want, w->idx, o->i, s->ver, wl);
	w->st.verified++;
	if (len != wl || memcmp(got, want, wl)) {
		if (w->st.errors++ < MAX_REPORT)
			printf("# thread %u key %u: GET returned a wrong value (len %u, expected version %u len %u)\n",
			       w->idx, o->i, len, s->ver, wl);
	}
}

static void pick(struct cworker *w, struct mop *o)
{
	struct slot *s;

	o->i = below(&w->rng, opt.keys);
	/* Mostly a key the phase can use: absent to grow, present to shrink. */
	if (below(&w->rng, 100) < 80) {
		for (unsigned int n = 0; n < 32; n++) {
			unsigned int i = (o->i + n) % opt.keys;

			if (w->m[i].present == w->shrinking) {
				o->i = i;
				break;
			}
		}
	}
	s = &w->m[o->i];
	o->flags = 0;
	o->ver = s->ver + 1;
	if (below(&w->rng, 100) < 15) {
		o->type = OP_GET;
		return;
	}
	if (!w->shrinking) {
		unsigned int r = below(&w->rng, 100);

		o->type = OP_PUT;
		switch (below(&w->rng, 8)) {
		case 0: o->flags = CMAP_PUT_NOEXIST; break;
		case 1: o->flags = CMAP_PUT_EXIST; break;
		default: break;
		}
		if (s->present && r < 30)
			o->type = r < 5 ? OP_DEL : OP_GET;
	} else {
		o->type = s->present || below(&w->rng, 4) == 0 ? OP_DEL : OP_GET;
	}
}

static void single_op(struct cworker *w)
{
	struct mop o;
	int err, want;
	uint32_t len = 0;

	pick(w, &o);
	want = expected(w, &o);
	mkkey(w->keys[0], w->idx, o.i);
	switch (o.type) {
	case OP_GET:
		err = libcmap_get(w->fd, w->keys[0], KEY_LEN, w->vbuf[0],
				  CMAP_VALUE_MAX, &len);
		break;
	case OP_PUT: {
		uint32_t vl = vlen_of(w->idx, o.i, o.ver);

		mkval(w->pbuf[0], w->idx, o.i, o.ver, vl);
		err = libcmap_put(w->fd, w->keys[0], KEY_LEN, w->pbuf[0], vl, o.flags);
		break;
	}
	default:
		err = libcmap_delete(w->fd, w->keys[0], KEY_LEN);
		break;
	}
	count_err(w, err);
	w->st.ops++;
	if (err == -ENOMEM && opt.allow_enomem)
		return;			/* no effect */
	if (err != want) {
		error_at(w, &o, "single op", err, want);
		return;
	}
	if (!err && o.type == OP_GET)
		check_value(w, &o, w->vbuf[0], len);
	if (!err)
		apply(w, &o);
}

static void batch_op(struct cworker *w)
{
	static const unsigned long cmds[] = {
		CMAP_IOC_BATCH_GET, CMAP_IOC_BATCH_PUT, CMAP_IOC_BATCH_DELETE,
	};
	struct cmap_batch_op ops[BATCH_MAX];
	struct mop mo[BATCH_MAX];
	struct cmap_batch b = { .size = sizeof(b), .op_size = sizeof(ops[0]) };
	unsigned int n = 1 + below(&w->rng, BATCH_MAX), stop_at = n, j;
	int type = below(&w->rng, 3), err, want = 0;

	if (w->shrinking && type == OP_PUT)
		type = OP_DEL;
	/* Distinct keys: the model of a batch is its operations in order. */
	for (j = 0; j < n; j++) {
		struct mop *o = &mo[j];
		bool dup;

		do {
			o->i = below(&w->rng, opt.keys);
			dup = false;
			for (unsigned int k = 0; k < j; k++)
				dup |= mo[k].i == o->i;
		} while (dup);
		o->type = type;
		o->flags = type == OP_PUT && below(&w->rng, 4) == 0 ?
			   1 + below(&w->rng, 2) : 0;
		o->ver = w->m[o->i].ver + 1;
		mkkey(w->keys[j], w->idx, o->i);
		memset(&ops[j], 0, sizeof(ops[j]));
		ops[j].key = (uintptr_t)w->keys[j];
		ops[j].key_len = KEY_LEN;
		ops[j].flags = o->flags;
		if (type == OP_PUT) {
			ops[j].value_len = vlen_of(w->idx, o->i, o->ver);
			mkval(w->pbuf[j], w->idx, o->i, o->ver, ops[j].value_len);
			ops[j].value = (uintptr_t)w->pbuf[j];
		} else if (type == OP_GET) {
			ops[j].value = (uintptr_t)w->vbuf[j];
			ops[j].value_size = CMAP_VALUE_MAX;
		}
		if (stop_at == n && expected(w, o)) {
			stop_at = j;
			want = expected(w, o);
		}
	}
	b.ops = (uintptr_t)ops;
	b.count = n;
	err = libcmap_ioctl(w->fd, cmds[type], &b);
	count_err(w, err);
	w->st.ops++;
	w->st.batches++;
	if (b.count > stop_at || (b.count < stop_at &&
				  !(err == -ENOMEM && opt.allow_enomem))) {
		error_at(w, &mo[b.count < n ? b.count : n - 1], "batch count", err, want);
		printf("#   batch of %u: count %u, the model stops at %u\n", n, b.count, stop_at);
		return;
	}
	if (err != want && !(err == -ENOMEM && opt.allow_enomem))
		error_at(w, &mo[b.count < n ? b.count : n - 1], "batch", err, want);
	for (j = 0; j < b.count; j++) {
		if (type == OP_GET)
			check_value(w, &mo[j], w->vbuf[j], ops[j].value_len);
		apply(w, &mo[j]);
	}
}

static void *churn_thread(void *arg)
{
	struct cworker *w = arg;
	uint64_t quota = opt.ops;

	if (opt.make_it_fail) {
		FILE *f = fopen("/proc/thread-self/make-it-fail", "w");

		if (!f || fputs("1", f) < 0 || fclose(f)) {
			fprintf(stderr, "cmap-model: cannot set make-it-fail\n");
			exit(2);
		}
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (quota && w->st.ops >= quota)
			break;
		if (below(&w->rng, 100) < 10)
			batch_op(w);
		else
			single_op(w);
		if (!w->shrinking && w->live >= opt.keys * 3 / 4)
			w->shrinking = true;
		else if (w->shrinking && w->live <= opt.keys / 16)
			w->shrinking = false;
		if (!(w->st.ops & 127) && opt.duration > 0 && now() - t_start > opt.duration)
			break;
	}
	return NULL;
}

struct srec {
	char key[KEY_LEN];
	uint32_t vlen;
	uint8_t val[VAL_MAX];
};

/* Full scan; returns the number of records or -errno. */
static long full_scan(int fd, struct srec **out, size_t cap_hint, size_t *bad)
{
	uint32_t bufsz = 256 << 10, used, count, off;
	uint8_t *buf = malloc(bufsz);
	struct srec *recs = NULL;
	size_t n = 0, cap = cap_hint ? cap_hint : 1024;
	__u64 cursor = 0;
	bool done = false;
	int err = 0;

	recs = malloc(cap * sizeof(*recs));
	if (!buf || !recs)
		exit(2);
	while (!done) {
		struct libcmap_rec lr;

		err = libcmap_scan(fd, &cursor, buf, bufsz, &used, &count, &done);
		if (err)
			break;
		off = 0;
		while (libcmap_scan_next(buf, used, &off, &lr) == 1) {
			if (n == cap) {
				cap *= 2;
				recs = realloc(recs, cap * sizeof(*recs));
				if (!recs)
					exit(2);
			}
			if (lr.key_len != KEY_LEN) {
				(*bad)++;
				continue;
			}
			/* Values longer than VAL_MAX: their length and a prefix. */
			memcpy(recs[n].key, lr.key, KEY_LEN);
			recs[n].vlen = lr.val_len;
			memcpy(recs[n].val, lr.val, lr.val_len < VAL_MAX ? lr.val_len : VAL_MAX);
			n++;
		}
	}
	free(buf);
	*out = recs;
	return err ? err : (long)n;
}

static void on_stop(int sig)
{
	(void)sig;
	atomic_store(&stop, true);
}

static int mode_churn(void)
{
	struct cworker *ws = calloc(opt.threads, sizeof(*ws));
	struct cstats sum = { 0 };
	struct cmap_stats st0, st1;
	struct srec *recs;
	uint64_t model_live = 0;
	size_t bad = 0, wrong = 0, missing = 0, extra = 0;
	long n;
	int fd = open_dev(), err;
	double secs;

	if (!ws)
		return 2;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	if (opt.clear && (err = libcmap_clear(fd))) {
		fprintf(stderr, "cmap-model: CLEAR: %s\n", strerror(-err));
		return 2;
	}
	libcmap_stats(fd, &st0);
	if (st0.entries) {
		fprintf(stderr, "cmap-model: the map is not empty (use --clear)\n");
		return 2;
	}
	printf("# churn: started, /dev/cmap open\n");
	fflush(stdout);
	t_start = now();
	for (unsigned int t = 0; t < opt.threads; t++) {
		struct cworker *w = &ws[t];

		w->idx = t;
		w->fd = fd;
		w->rng = opt.seed * 1000003 + t;
		w->m = calloc(opt.keys, sizeof(*w->m));
		if (!w->m || pthread_create(&w->tid, NULL, churn_thread, w))
			return 2;
	}
	for (unsigned int t = 0; t < opt.threads; t++)
		pthread_join(ws[t].tid, NULL);
	secs = now() - t_start;
	libcmap_stats(fd, &st1);
	for (unsigned int t = 0; t < opt.threads; t++) {
		struct cstats *s = &ws[t].st;

		sum.ops += s->ops;
		sum.batches += s->batches;
		sum.enomem += s->enomem;
		sum.errors += s->errors;
		sum.verified += s->verified;
		for (int e = 0; e < 6; e++)
			sum.per_err[e] += s->per_err[e];
		model_live += ws[t].live;
	}
	printf("# churn: %" PRIu64 " ops (%" PRIu64 " batches) by %u threads in %.1f s, %" PRIu64
	       " values verified\n", sum.ops, sum.batches, opt.threads, secs, sum.verified);
	printf("# results: ok=%" PRIu64 " ENOENT=%" PRIu64 " EEXIST=%" PRIu64 " ENOSPC=%" PRIu64
	       " ENOMEM=%" PRIu64 " other=%" PRIu64 "\n", sum.per_err[0], sum.per_err[1],
	       sum.per_err[2], sum.per_err[3], sum.per_err[4], sum.per_err[5]);
	printf("# resizes during the run: %" PRIu64 " grows, %" PRIu64 " shrinks, %" PRIu64
	       " postponed by allocation failures; now %" PRIu64 " buckets\n",
	       (uint64_t)(st1.grows - st0.grows), (uint64_t)(st1.shrinks - st0.shrinks),
	       (uint64_t)(st1.resize_alloc_failures - st0.resize_alloc_failures),
	       (uint64_t)st1.buckets);
	printf("enomem=%" PRIu64 "\n", sum.enomem);
	tap(sum.ops > 0 && !sum.errors,
	    "churn: every answer matches the model (%" PRIu64 " mismatches%s)", sum.errors,
	    opt.allow_enomem ? ", -ENOMEM allowed" : "");
	tap(sum.per_err[5] == 0 && (opt.allow_enomem || sum.enomem == 0),
	    "churn: no error but the model's%s (%" PRIu64 " other, %" PRIu64 " ENOMEM)",
	    opt.allow_enomem ? " and ENOMEM" : "", sum.per_err[5], sum.enomem);
	if (!opt.no_resize_check)
		tap(st1.grows > st0.grows && st1.shrinks > st0.shrinks,
	    "churn: the table grew and shrank (%" PRIu64 " grows, %" PRIu64 " shrinks)",
	    (uint64_t)(st1.grows - st0.grows), (uint64_t)(st1.shrinks - st0.shrinks));

	/* The whole map against the models. */
	n = full_scan(fd, &recs, model_live + 16, &bad);
	tap(n >= 0, "final: a full scan completes (%s)", n < 0 ? ename((int)n) : "ok");
	if (n < 0)
		n = 0;
	for (long r = 0; r < n; r++) {
		unsigned int t, i;
		char k[KEY_LEN + 1];

		memcpy(k, recs[r].key, KEY_LEN);
		k[KEY_LEN] = 0;
		if (sscanf(k, "mdl-t%02u-k%010u", &t, &i) != 2 || t >= opt.threads ||
		    i >= opt.keys || !ws[t].m[i].present) {
			extra++;
			continue;
		}
		uint32_t ver = ws[t].m[i].ver, wl = vlen_of(t, i, ver);
		uint8_t want[VAL_MAX];

		mkval(want, t, i, ver, wl);
		if (recs[r].vlen != wl || memcmp(recs[r].val, want, wl))
			wrong++;
	}
	for (unsigned int t = 0; t < opt.threads; t++) {
		for (unsigned int i = 0; i < opt.keys; i++) {
			char k[KEY_LEN];
			uint8_t v[CMAP_VALUE_MAX];
			uint32_t len;

			if (!ws[t].m[i].present)
				continue;
			mkkey(k, t, i);
			err = libcmap_get(fd, k, KEY_LEN, v, sizeof(v), &len);
			if (err && missing++ < MAX_REPORT)
				printf("# thread %u key %u: lost (%s)\n", t, i, ename(err));
		}
	}
	libcmap_stats(fd, &st1);
	tap(!extra && !bad && (uint64_t)n == model_live,
	    "final: the scan holds exactly the model's keys (%ld scanned, %" PRIu64
	    " in the model, %zu unexpected)", n, model_live, extra + bad);
	tap(!wrong, "final: every scanned value is the model's (%zu wrong)", wrong);
	tap(!missing, "final: every key of the model reads back (%zu lost)", missing);
	tap(st1.entries == model_live, "final: STATS entries %" PRIu64 " == model %" PRIu64,
	    (uint64_t)st1.entries, model_live);
	free(recs);
	close(fd);
	return 0;
}

/* ---- fill ---- */

/* A full scan agrees with STATS; every scanned key reads back. */
static void check_consistent(int fd, const char *what)
{
	struct cmap_stats st;
	struct srec *recs = NULL;
	uint8_t val[CMAP_VALUE_MAX];
	uint64_t unreadable = 0;
	size_t bad = 0;
	long n;

	libcmap_stats(fd, &st);
	n = full_scan(fd, &recs, st.entries + 16, &bad);
	libcmap_stats(fd, &st);
	tap(n >= 0 && (uint64_t)n == st.entries && !bad,
	    "%s: a full scan returns STATS entries (%ld scanned, %" PRIu64 ")", what, n,
	    (uint64_t)st.entries);
	for (long r = 0; r < n; r++) {
		uint32_t len;
		int err = libcmap_get(fd, recs[r].key, KEY_LEN, val, sizeof(val), &len);

		unreadable += err || len != recs[r].vlen ||
			      memcmp(val, recs[r].val, len < VAL_MAX ? len : VAL_MAX);
	}
	tap(!unreadable, "%s: every entry reads back, same value (%" PRIu64 " did not)", what,
	    unreadable);
	free(recs);
}

struct fworker {
	pthread_t tid;
	unsigned int idx;
	int fd;
	uint64_t inserted, refused, other;
	int other_err;
};

static atomic_uint_fast64_t fill_seq;

static void fill_key(char *k, uint64_t n)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "fill-%015" PRIu64, (uint64_t)(n % 1000000000000000ULL));
	memcpy(k, tmp, KEY_LEN);
}

static void *fill_thread(void *arg)
{
	struct fworker *w = arg;
	static uint8_t val[CMAP_VALUE_MAX];
	unsigned int in_a_row = 0;
	char k[KEY_LEN];

	memset(val, 0x5a, sizeof(val));
	while (in_a_row < 50) {
		uint64_t n = atomic_fetch_add(&fill_seq, 1);
		int err;

		fill_key(k, n);
		err = libcmap_put(w->fd, k, KEY_LEN, val, opt.value_len, CMAP_PUT_NOEXIST);
		if (!err) {
			w->inserted++;
			in_a_row = 0;
		} else if (err == -opt.expect) {
			w->refused++;
			in_a_row++;
		} else {
			w->other++;
			w->other_err = err;
			in_a_row++;
		}
	}
	return NULL;
}

static int mode_fill(void)
{
	struct fworker ws[MAX_THREADS] = { 0 };
	struct cmap_stats st;
	uint64_t inserted = 0, refused = 0, other = 0, after_ok = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int fd = open_dev(), last = 0, err;
	char k[KEY_LEN];
	uint8_t val[CMAP_VALUE_MAX];

	memset(val, 0x5a, sizeof(val));
	if (opt.clear && libcmap_clear(fd))
		return 2;
	t_start = now();
	if (opt.expect == ENOMEM) {
		/*
		 * In a memory cgroup about to be full: no threads, and every
		 * page this process touches from now on faulted in and locked
		 * already, so that only cmap's allocations meet the limit (a
		 * page fault of our own there would rightly OOM-kill us).
		 */
		volatile uint8_t stack[256 << 10];

		int procs = opt.leave_cgroup ? open(opt.leave_cgroup, O_WRONLY) : -1;

		memset((void *)stack, 0, sizeof(stack));
		printf("# fill: single-threaded, memory locked\n");
		fflush(stdout);
		mlockall(MCL_CURRENT);
		opt.threads = 1;
		ws[0].fd = fd;
		fill_thread(&ws[0]);
		/* Out of the full cgroup before writing anything (pipes, logs). */
		if (procs >= 0 && (write(procs, "0\n", 2) != 2 || close(procs)))
			return 2;
		inserted = ws[0].inserted;
		refused = ws[0].refused;
		other = ws[0].other;
		last = ws[0].other_err;
	}
	for (unsigned int t = 0; t < opt.threads && opt.expect != ENOMEM; t++) {
		ws[t].idx = t;
		ws[t].fd = fd;
		if (pthread_create(&ws[t].tid, NULL, fill_thread, &ws[t]))
			return 2;
	}
	for (unsigned int t = 0; t < opt.threads && opt.expect != ENOMEM; t++) {
		pthread_join(ws[t].tid, NULL);
		inserted += ws[t].inserted;
		refused += ws[t].refused;
		other += ws[t].other;
		if (ws[t].other)
			last = ws[t].other_err;
	}
	/*
	 * Single-threaded top-up: nothing racing, the exact limit applies.
	 * A resize under way counts both tables against max_bytes, so room
	 * may come back once it is done: top up until a round after the
	 * resizes settled inserts nothing.
	 */
	err = refused ? -opt.expect : 0;
	for (int round = 0; round < 20 && opt.expect == ENOSPC; round++) {
		uint64_t added = 0;

		for (;;) {
			fill_key(k, atomic_fetch_add(&fill_seq, 1));
			err = libcmap_put(fd, k, KEY_LEN, val, opt.value_len, CMAP_PUT_NOEXIST);
			if (err)
				break;
			added++;
		}
		inserted += added;
		if (round && !added)
			break;
		for (int i = 0; i < 100; i++) {
			libcmap_stats(fd, &st);
			if (!st.future_buckets)
				break;
			usleep(100000);
		}
	}
	if (err != -opt.expect) {
		other++;
		last = err;
	}
	libcmap_stats(fd, &st);
	printf("# fill: %u threads, %u-byte values: %" PRIu64 " inserted, %" PRIu64 " %s, %"
	       PRIu64 " other (%s) in %.1f s; %ld CPUs\n", opt.threads, opt.value_len, inserted,
	       refused, ename(opt.expect), other, ename(last), now() - t_start, ncpu);
	printf("# stats: entries=%" PRIu64 " bytes=%" PRIu64 " buckets=%" PRIu64
	       " max_entries=%" PRIu64 " max_bytes=%" PRIu64 "\n", (uint64_t)st.entries,
	       (uint64_t)st.bytes, (uint64_t)st.buckets, (uint64_t)st.max_entries,
	       (uint64_t)st.max_bytes);
	printf("entries=%" PRIu64 "\n", (uint64_t)st.entries);
	tap(!other && inserted > 0, "fill: inserts succeed, then fail only with %s (%" PRIu64
	    " other errors, last %s)", ename(opt.expect), other, ename(last));
	if (opt.expect == ENOSPC) {
		/*
		 * Bytes an entry charges: header, key, value, rounded up to a
		 * kmalloc size (64, 96, 128, 192, 256, then powers of two).
		 */
		uint64_t entry = 64, need = 40 + KEY_LEN + opt.value_len;

		while (entry < need)
			entry = entry == 64 ? 96 : entry == 96 ? 128 : entry == 128 ? 192 :
				entry == 192 ? 256 : entry * 2;

		if (st.max_entries)
			tap(st.entries >= st.max_entries &&
			    st.entries <= st.max_entries + ncpu,
			    "fill: max_entries %" PRIu64 " holds: %" PRIu64
			    " entries (overshoot <= %ld CPUs)", (uint64_t)st.max_entries,
			    (uint64_t)st.entries, ncpu);
		if (st.max_bytes && !st.max_entries)
			tap(st.bytes <= st.max_bytes + ncpu * entry &&
			    st.bytes + 2 * entry >= st.max_bytes / 2,
			    "fill: max_bytes %" PRIu64 " holds: %" PRIu64
			    " bytes charged (overshoot <= %ld entries of %" PRIu64 ")",
			    (uint64_t)st.max_bytes, (uint64_t)st.bytes, ncpu, entry);
		for (int i = 0; i < 100; i++) {
			fill_key(k, atomic_fetch_add(&fill_seq, 1));
			err = libcmap_put(fd, k, KEY_LEN, val, opt.value_len, CMAP_PUT_NOEXIST);
			after_ok += err != -ENOSPC;
		}
		tap(!after_ok, "fill: 100 more inserts all fail with ENOSPC (%" PRIu64 " did not)",
		    after_ok);
	}
	/*
	 * Consistent: the scan agrees with STATS and every key reads back.
	 * Not from a full memory cgroup: the scan's own buffer would fail
	 * there (run the check mode from outside instead).
	 */
	if (opt.expect == ENOSPC)
		check_consistent(fd, "fill");
	close(fd);
	return 0;
}

static int mode_check(void)
{
	int fd = open_dev();

	check_consistent(fd, "check");
	close(fd);
	return 0;
}

/* ---- insert: --keys new keys, one thread; every insert must succeed ---- */

static int mode_insert(void)
{
	uint8_t val[64];
	uint64_t failed = 0;
	int fd = open_dev(), err, last = 0;
	char k[KEY_LEN];

	memset(val, 0x3c, sizeof(val));
	if (opt.clear && libcmap_clear(fd))
		return 2;
	for (unsigned int i = 0; i < opt.keys; i++) {
		mkkey(k, 99, i);
		err = libcmap_put(fd, k, KEY_LEN, val, sizeof(val), CMAP_PUT_ANY);
		if (err) {
			failed++;
			last = err;
		}
	}
	tap(!failed, "insert: %u puts succeed (%" PRIu64 " failed, last %s)", opt.keys,
	    failed, ename(last));
	close(fd);
	return 0;
}

/* ---- replace: a replace loop at the memory limit ---- */

struct rworker {
	pthread_t tid;
	unsigned int idx;
	int fd;
	unsigned int keys;
	uint64_t ok, refused, other;
	int other_err;
};

static void *replace_thread(void *arg)
{
	struct rworker *w = arg;
	static uint8_t vals[MAX_THREADS][CMAP_VALUE_MAX];
	uint64_t r = opt.seed * 1000 + w->idx;
	uint8_t *val = vals[w->idx];
	char k[KEY_LEN];
	int err;

	while (!atomic_load(&stop)) {
		mkkey(k, 97, below(&r, w->keys));
		memset(val, (uint8_t)mix(&r), opt.value_len);
		err = libcmap_put(w->fd, k, KEY_LEN, val, opt.value_len, CMAP_PUT_ANY);
		if (!err) {
			w->ok++;
		} else if (err == -ENOSPC) {
			w->refused++;
		} else {
			w->other++;
			w->other_err = err;
		}
	}
	return NULL;
}

/* Every key of the replace loop reads back whole: the length, one byte. */
static uint64_t replace_check(int fd, unsigned int keys)
{
	static uint8_t val[CMAP_VALUE_MAX];
	uint64_t bad = 0;
	char k[KEY_LEN];
	uint32_t len;

	for (unsigned int i = 0; i < keys; i++) {
		mkkey(k, 97, i);
		if (libcmap_get(fd, k, KEY_LEN, val, sizeof(val), &len) ||
		    len != opt.value_len) {
			bad++;
			continue;
		}
		for (uint32_t j = 1; j < len; j++)
			if (val[j] != val[0]) {
				bad++;
				break;
			}
	}
	return bad;
}

static int mode_replace(void)
{
	static uint8_t val[CMAP_VALUE_MAX];
	struct rworker ws[MAX_THREADS] = { 0 };
	uint64_t ok = 0, refused = 0, other = 0;
	int fd = open_dev(), err = 0, err2 = 0, last = 0;
	unsigned int n = 0, filled;
	struct cmap_stats st;
	char k[KEY_LEN];
	double t0;

	memset(val, 0x11, sizeof(val));
	if (opt.clear && libcmap_clear(fd))
		return 2;
	for (n = 0; n < opt.keys; n++) {
		mkkey(k, 97, n);
		err = libcmap_put(fd, k, KEY_LEN, val, opt.value_len, CMAP_PUT_ANY);
		if (err)
			break;
	}
	filled = n;
	for (; n > filled - filled / 4; n--) {
		mkkey(k, 97, n - 1);
		err2 = libcmap_delete(fd, k, KEY_LEN) ?: err2;
	}
	tap(n > 0 && (!err || err == -ENOSPC) && !err2,
	    "replace: filled %u keys of %u-byte values (%s), deleted %u (%s)", filled,
	    opt.value_len, ename(err), filled - n, ename(err2));
	if (!n)
		return 0;
	printf("# replace: started\n");
	fflush(stdout);
	t0 = now();
	for (unsigned int t = 0; t < opt.threads; t++) {
		ws[t].idx = t;
		ws[t].fd = fd;
		ws[t].keys = n;
		if (pthread_create(&ws[t].tid, NULL, replace_thread, &ws[t]))
			return 2;
	}
	while (now() - t0 < opt.duration && !atomic_load(&stop))
		usleep(50000);
	atomic_store(&stop, true);
	for (unsigned int t = 0; t < opt.threads; t++) {
		pthread_join(ws[t].tid, NULL);
		ok += ws[t].ok;
		refused += ws[t].refused;
		other += ws[t].other;
		if (ws[t].other)
			last = ws[t].other_err;
	}
	libcmap_stats(fd, &st);
	printf("# replace: %u threads, %u keys: %" PRIu64 " replaced, %" PRIu64
	       " ENOSPC in %.1f s; bytes=%" PRIu64 " max_bytes=%" PRIu64 "\n", opt.threads, n,
	       ok, refused, now() - t0, (uint64_t)st.bytes, (uint64_t)st.max_bytes);
	tap(ok > 0 && !other, "replace: every answer 0 or ENOSPC (%" PRIu64 " other, last %s)",
	    other, ename(last));
	tap(!st.max_bytes || st.bytes <= st.max_bytes,
	    "replace: STATS bytes %" PRIu64 " <= max_bytes %" PRIu64, (uint64_t)st.bytes,
	    (uint64_t)st.max_bytes);
	tap(!replace_check(fd, n), "replace: all %u keys read back whole", n);
	close(fd);
	return 0;
}

/* ---- wait-resize, open, stats ---- */

static bool settled(const struct cmap_stats *s)
{
	return !s->future_buckets && !(s->entries * 4 > s->buckets * 3 && s->buckets < (1U << 26)) &&
	       !(s->buckets > 16 && s->entries * 5 < s->buckets);
}

static int mode_wait_resize(void)
{
	struct cmap_stats s;
	int fd = open_dev();
	double t0 = now();

	for (;;) {
		libcmap_stats(fd, &s);
		if (settled(&s) || now() - t0 > opt.timeout)
			break;
		usleep(100000);
	}
	tap(settled(&s), "the resize completes: %" PRIu64 " entries in %" PRIu64
	    " buckets, no resize pending (%.1f s; %" PRIu64 " postponed by allocation failures)",
	    (uint64_t)s.entries, (uint64_t)s.buckets, now() - t0,
	    (uint64_t)s.resize_alloc_failures);
	close(fd);
	return 0;
}

/* ---- chain: every key in one bucket (test_hash_bits=0) ---- */

/* Scan with @bufsz bytes: how many of keys [0, n) came back once each. */
static unsigned int chain_scan(int fd, unsigned int n, uint32_t bufsz,
			       unsigned int *calls, unsigned int *wrong)
{
	uint8_t *buf = malloc(bufsz), *seen = calloc(n, 1);
	unsigned int once = 0, i;
	uint32_t used, count, off;
	__u64 cursor = 0;
	bool done = false;
	int err = 0;

	if (!buf || !seen)
		exit(2);
	*calls = 0;
	*wrong = 0;
	while (!done && !err) {
		struct libcmap_rec lr;

		err = libcmap_scan(fd, &cursor, buf, bufsz, &used, &count, &done);
		++*calls;
		if (err == -ENOSPC && used > bufsz) {
			/* one hash value's entries need more: as documented */
			buf = realloc(buf, used);
			if (!buf)
				exit(2);
			bufsz = used;
			err = 0;
			continue;
		}
		for (off = 0; !err && libcmap_scan_next(buf, used, &off, &lr) == 1;) {
			char k[KEY_LEN + 1] = "";

			memcpy(k, lr.key, lr.key_len < KEY_LEN ? lr.key_len : KEY_LEN);
			i = (unsigned int)strtoul(k + 2, NULL, 10);
			if (lr.key_len == KEY_LEN && i < n)
				seen[i]++;
			else
				++*wrong;
		}
	}
	for (i = 0; i < n; i++)
		once += seen[i] == 1;
	*wrong += err != 0;
	free(buf);
	free(seen);
	return once;
}

static bool chain_wait(int fd, struct cmap_stats *s)
{
	double t0 = now();

	do {
		if (libcmap_stats(fd, s))
			return false;
		if (settled(s))
			return true;
		usleep(50000);
	} while (now() - t0 < opt.timeout);
	return false;
}

static void chain_key(char *k, unsigned int i)
{
	char tmp[KEY_LEN + 1];

	snprintf(tmp, sizeof(tmp), "c-%018u", i);
	memcpy(k, tmp, KEY_LEN);
}

static int mode_chain(void)
{
	unsigned int n = opt.keys, keep = n / 16, i, calls, wrong, once;
	uint64_t failed = 0, grows;
	uint8_t val[8] = "chained";
	struct cmap_stats s;
	int fd = open_dev();
	char k[KEY_LEN];
	double t0 = now();
	bool ok;

	if (libcmap_clear(fd))
		return 2;
	for (i = 0; i < n; i++) {
		chain_key(k, i);
		failed += libcmap_put(fd, k, KEY_LEN, val, sizeof(val), 0) != 0;
	}
	/* each insert walks the whole chain: n^2/2 steps in all */
	ok = chain_wait(fd, &s);
	tap(!failed && ok, "chain %u: inserts succeed (%" PRIu64
	    " failed) and the table settles (%.1f s)", n, failed, now() - t0);
	tap(s.max_chain == n && s.grows > 0, "chain %u: one bucket holds them all (max_chain %llu, %llu grows)",
	    n, (unsigned long long)s.max_chain, (unsigned long long)s.grows);
	grows = s.grows;
	once = chain_scan(fd, n, 256 << 10, &calls, &wrong);
	tap(once == n && !wrong, "chain %u: a scan with 256 KiB returns each key once (%u of %u, %u calls, %u wrong)",
	    n, once, n, calls, wrong);
	once = chain_scan(fd, n, 4096, &calls, &wrong);
	tap(once == n && !wrong && calls > n * 40 / (64 << 10), "chain %u: a scan with 4 KiB returns each key once, in parts (%u of %u, %u calls, %u wrong)",
	    n, once, n, calls, wrong);
	/*
	 * Newest first: inserts link at the head and migrations keep the
	 * order, so each key is found near the head and the deletes cost
	 * O(n) in all; the shrinks still move the long chain.
	 */
	t0 = now();
	for (i = n, failed = 0; i-- > keep;) {
		chain_key(k, i);
		failed += libcmap_delete(fd, k, KEY_LEN) != 0;
	}
	ok = chain_wait(fd, &s);
	tap(!failed && ok && s.shrinks > 0, "chain %u: deletes succeed (%" PRIu64
	    " failed), the table shrinks (%llu shrinks, %.1f s)", n, failed,
	    (unsigned long long)s.shrinks, now() - t0);
	once = chain_scan(fd, keep, 4096, &calls, &wrong);
	tap(once == keep && !wrong && s.max_chain == keep, "chain %u: then a scan returns the %u left once each (%u, %u wrong, max_chain %llu)",
	    n, keep, once, wrong, (unsigned long long)s.max_chain);
	printf("# chain %u: %" PRIu64 " grows, %llu shrinks, longest bucket-lock hold %llu ns\n",
	       n, grows, (unsigned long long)s.shrinks, (unsigned long long)s.max_bucket_lock_ns);
	printf("# hold_ns %llu\n", (unsigned long long)s.max_bucket_lock_ns);
	libcmap_clear(fd);
	close(fd);
	return 0;
}

static int mode_open(void)
{
	int r = open(opt.dev, O_RDONLY), e1 = r < 0 ? errno : 0, w, e2;

	if (r >= 0)
		close(r);
	w = open(opt.dev, O_RDWR);
	e2 = w < 0 ? errno : 0;
	if (w >= 0)
		close(w);
	printf("uid=%u rdonly=%s rdwr=%s\n", getuid(), ename(e1), ename(e2));
	return 0;
}

static int mode_stats(void)
{
	struct cmap_stats s;
	int fd = open_dev(), err = libcmap_stats(fd, &s);

	if (err)
		return 1;
	printf("entries=%llu\nbytes=%llu\nbuckets=%llu\nfuture_buckets=%llu\ngrows=%llu\n"
	       "shrinks=%llu\nresize_alloc_failures=%llu\n",
	       (unsigned long long)s.entries, (unsigned long long)s.bytes,
	       (unsigned long long)s.buckets, (unsigned long long)s.future_buckets,
	       (unsigned long long)s.grows, (unsigned long long)s.shrinks,
	       (unsigned long long)s.resize_alloc_failures);
	close(fd);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: cmap-model MODE [OPTIONS]\n"
"modes: churn, fill, check, insert, replace, wait-resize, open, stats, chain (see\n"
"the top of cmap-model.c)\n"
"  -s, --seed N          seed (default 1)\n"
"  -t, --threads N       threads (default 2)\n"
"  -k, --keys N          churn: keys per thread (default 2000); insert, replace:\n"
"                        keys\n"
"  -n, --ops N           churn: operations per thread\n"
"  -d, --duration S      churn, replace: seconds (replace: default 3)\n"
"      --allow-enomem    churn: an operation may fail with ENOMEM (no effect)\n"
"      --make-it-fail    churn: the threads set /proc/thread-self/make-it-fail\n"
"      --clear           start with CLEAR\n"
"      --no-resize-check churn: do not require a grow and a shrink\n"
"      --leave-cgroup F  fill --expect ENOMEM: then move to the cgroup whose\n"
"                        cgroup.procs is F (opened before the fill)\n"
"  -e, --expect ERRNO    fill: ENOSPC (default) or ENOMEM\n"
"  -v, --value-len N     fill, replace: value length (default 64)\n"
"  -T, --timeout S       wait-resize: give up after S seconds (default 30)\n"
"  -D, --device PATH     the device (default /dev/cmap)\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "keys", required_argument, NULL, 'k' },
		{ "ops", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "allow-enomem", no_argument, NULL, 'A' },
		{ "make-it-fail", no_argument, NULL, 'F' },
		{ "clear", no_argument, NULL, 'C' },
		{ "no-resize-check", no_argument, NULL, 'R' },
		{ "leave-cgroup", required_argument, NULL, 'L' },
		{ "expect", required_argument, NULL, 'e' },
		{ "value-len", required_argument, NULL, 'v' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "device", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, rc;

	if (argc < 2 || argv[1][0] == '-') {
		usage(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	opt.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "s:t:k:n:d:e:v:T:D:h", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'k': opt.keys = atoi(optarg); break;
		case 'n': opt.ops = strtoull(optarg, NULL, 0); break;
		case 'd': opt.duration = atof(optarg); break;
		case 'A': opt.allow_enomem = true; break;
		case 'F': opt.make_it_fail = true; break;
		case 'C': opt.clear = true; break;
		case 'R': opt.no_resize_check = true; break;
		case 'L': opt.leave_cgroup = optarg; break;
		case 'e': opt.expect = !strcmp(optarg, "ENOMEM") ? ENOMEM : ENOSPC; break;
		case 'v': opt.value_len = atoi(optarg); break;
		case 'T': opt.timeout = atof(optarg); break;
		case 'D': opt.dev = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || opt.threads < 1 || opt.threads > MAX_THREADS || opt.keys < 32 ||
	    opt.value_len > CMAP_VALUE_MAX) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(opt.mode, "churn")) {
		if (!opt.ops && opt.duration <= 0)
			opt.duration = 10;
		rc = mode_churn();
	} else if (!strcmp(opt.mode, "fill")) {
		rc = mode_fill();
	} else if (!strcmp(opt.mode, "check")) {
		rc = mode_check();
	} else if (!strcmp(opt.mode, "insert")) {
		rc = mode_insert();
	} else if (!strcmp(opt.mode, "replace")) {
		if (opt.duration <= 0)
			opt.duration = 3;
		rc = mode_replace();
	} else if (!strcmp(opt.mode, "wait-resize")) {
		rc = mode_wait_resize();
	} else if (!strcmp(opt.mode, "open")) {
		return mode_open();
	} else if (!strcmp(opt.mode, "stats")) {
		return mode_stats();
	} else if (!strcmp(opt.mode, "chain")) {
		rc = mode_chain();
	} else {
		usage(stderr);
		return 2;
	}
	if (rc)
		return rc;
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
