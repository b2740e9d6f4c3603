// SPDX-License-Identifier: GPL-2.0
/*
 * native_bench: cmap's map core built in user space (kmod/cmap_core.c over
 * the liburcu shims of userspace/shim/) against liburcu's cds_lfht, on the
 * host, same 8-byte keys and values.
 *
 *   native_bench [-n KEYS] [-t THREADS] [-m MS] [-b cmap|lfht] [-w read|insert]
 *   native_bench --count -b cmap|lfht -w lookup|insert -n KEYS -k OPS
 *
 * The first form prints one JSON object per (backend, workload, threads).
 * The second runs a single-threaded phase in the function count_phase(),
 * for `valgrind --tool=callgrind --toggle-collect=count_phase`: native.sh
 * divides the instructions collected by OPS.
 *
 * Built with the core's own flags (userspace/shim/core.mk): the shim
 * headers come first on the include path, and both tables use liburcu's
 * urcu-memb flavour (the shim's RCU). cds_lfht is created with
 * CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING and hashes with SipHash-2-4
 * (the shim's linux/siphash.h, as lib/siphash.c), the function cmap
 * hashes with: same keys, same hash, same RCU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/siphash.h>	/* the shim's SipHash-2-4 */
#include "cmap_core.h"		/* pulls in the shim and urcu-memb */
#include <urcu/rculfhash.h>

struct opts {
	unsigned long n;
	unsigned long k;
	unsigned int threads;
	unsigned int ms;
	const char *backend;
	const char *workload;
};

struct be {
	const char *name;
	void *(*create)(unsigned long size_hint);
	void (*destroy)(void *t);
	int (*lookup)(void *t, uint64_t key, uint64_t *val);
	int (*insert)(void *t, uint64_t key, uint64_t val);
	void (*settle)(void *t, unsigned long n);
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static uint64_t key_of(uint64_t i)
{
	return i * 0x9e3779b97f4a7c15ULL;
}

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* cds_lfht's hash: what cmap_core.c computes for an 8-byte key. */
static const siphash_key_t lfht_key = {{ 0x0123456789abcdefULL,
					 0xfedcba9876543210ULL }};

static uint32_t lfht_hash(uint64_t key)
{
	return (uint32_t)siphash_1u64(key, &lfht_key);
}

/* ---- cds_lfht ---- */

struct lfht_node {
	struct cds_lfht_node node;
	uint64_t key;
	uint64_t val;
	struct rcu_head rcu;
};

static int lfht_match(struct cds_lfht_node *node, const void *key)
{
	return caa_container_of(node, struct lfht_node, node)->key ==
	       *(const uint64_t *)key;
}

/*
 * @size_hint: 0 to start from 16 buckets (growth is measured), or the
 * number of keys a steady-state table will hold: cds_lfht then starts at
 * the size its automatic resizing aims for (one bucket per entry, a power
 * of two). Filling 1e6 keys from 16 buckets leaves the growth to cds_lfht's
 * worker thread, which on a busy host fell so far behind that chains grew
 * to thousands of nodes and the fill ran for many minutes.
 */
static void *lfht_create(unsigned long size_hint)
{
	unsigned long size = 16;

	while (size < size_hint)
		size <<= 1;
	return cds_lfht_new_flavor(size, 16, 0,
				   CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				   &urcu_memb_flavor, NULL);
}

static void lfht_free_node(struct rcu_head *head)
{
	free(caa_container_of(head, struct lfht_node, rcu));
}

/*
 * No benchmark thread is left, but cds_lfht's resize worker may still be
 * walking the chains (a resize the inserts started): free the nodes after
 * a grace period, not at once (freeing them at once crashed a full run).
 */
static void lfht_destroy(void *t)
{
	struct cds_lfht_iter it;
	struct lfht_node *n;

	urcu_memb_read_lock();
	cds_lfht_for_each_entry(t, &it, n, node) {
		cds_lfht_del(t, &n->node);
		urcu_memb_call_rcu(&n->rcu, lfht_free_node);
	}
	urcu_memb_read_unlock();
	cds_lfht_destroy(t, NULL);	/* waits for a resize in progress */
	urcu_memb_barrier();
}

static int lfht_lookup(void *t, uint64_t key, uint64_t *val)
{
	struct cds_lfht_iter it;
	struct cds_lfht_node *n;

	urcu_memb_read_lock();
	cds_lfht_lookup(t, lfht_hash(key), lfht_match, &key, &it);
	n = cds_lfht_iter_get_node(&it);
	if (n)
		*val = caa_container_of(n, struct lfht_node, node)->val;
	urcu_memb_read_unlock();
	return n ? 0 : -ENOENT;
}

static int lfht_insert(void *t, uint64_t key, uint64_t val)
{
	struct lfht_node *n = malloc(sizeof(*n));
	struct cds_lfht_node *old;

	if (!n)
		return -ENOMEM;
	cds_lfht_node_init(&n->node);
	n->key = key;
	n->val = val;
	urcu_memb_read_lock();
	old = cds_lfht_add_unique(t, lfht_hash(key), lfht_match, &key,
				  &n->node);
	urcu_memb_read_unlock();
	if (old != &n->node) {
		free(n);
		return -EEXIST;
	}
	return 0;
}

/*
 * cds_lfht grows from its call_rcu/worker thread, which a busy host or
 * valgrind starves (chains then grow long): before a steady-state
 * measurement, force the size automatic resizing aims for (one bucket per
 * entry, rounded up to a power of two).
 */
static void lfht_settle(void *t, unsigned long n)
{
	unsigned long size = 1;

	while (size < n)
		size <<= 1;
	cds_lfht_resize(t, size);
}

static const struct be be_lfht = {
	"lfht", lfht_create, lfht_destroy, lfht_lookup, lfht_insert,
	lfht_settle,
};

/* ---- cmap core ---- */

/* cmap grows by itself; fill() waits until its resizes are done. */
static void *core_create(unsigned long size_hint)
{
	struct cmap_config cfg = { 0 };

	return cmap_create(&cfg);
}

static void core_destroy(void *t)
{
	cmap_destroy(t);
}

static int core_lookup(void *t, uint64_t key, uint64_t *val)
{
	uint32_t len;

	return cmap_lookup(t, &key, sizeof(key), val, sizeof(*val), &len);
}

static int core_insert(void *t, uint64_t key, uint64_t val)
{
	return cmap_update(t, &key, sizeof(key), &val, sizeof(val),
			   CMAP_PUT_NOEXIST);
}

static const struct be be_cmap = {
	"cmap", core_create, core_destroy, core_lookup, core_insert, NULL,
};

static const struct be *backends[] = {
	&be_cmap,
	&be_lfht,
};

/* ---- runs ---- */

struct worker {
	pthread_t tid;
	const struct be *be;
	void *t;
	const struct opts *o;
	unsigned int id;
	int insert;
	volatile int *stop;
	uint64_t ops;
	uint64_t end;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	uint32_t s = 0x9e3779b9U * (w->id + 1);
	uint64_t i, v;

	urcu_memb_register_thread();
	if (w->insert) {
		for (i = w->id; i < w->o->n; i += w->o->threads, w->ops++)
			w->be->insert(w->t, key_of(i), i);
	} else {
		while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED))
			for (i = 0; i < 64; i++, w->ops++)
				w->be->lookup(w->t, key_of(rnd(&s) % w->o->n), &v);
	}
	w->end = now_ns();
	urcu_memb_unregister_thread();
	return NULL;
}

/*
 * Fill with keys 0 .. n-1, then let background resizing settle (cds_lfht
 * grows from a worker thread, which lags under valgrind or on a busy host):
 * the steady state is measured on a table of the right size.
 */
static void fill(const struct be *be, void *t, unsigned long n)
{
	struct timespec d = { 0, 100 * 1000000L };
	unsigned long i;

	for (i = 0; i < n; i++)
		be->insert(t, key_of(i), i);
	if (be->settle)
		be->settle(t, n);
	for (i = 0; i < 3; i++) {
		rcu_barrier();
		nanosleep(&d, NULL);
	}
}

static int run_one(const struct be *be, const struct opts *o, int insert)
{
	struct worker w[64];
	volatile int stop = 0;
	uint64_t t0, ops = 0, end = 0;
	struct timespec d = { o->ms / 1000, (o->ms % 1000) * 1000000L };
	void *t = be->create(insert ? 0 : o->n);
	unsigned int i;

	if (!t)
		return 1;
	if (!insert)
		fill(be, t, o->n);
	t0 = now_ns();
	for (i = 0; i < o->threads; i++) {
		w[i] = (struct worker){ .be = be, .t = t, .o = o, .id = i,
					.insert = insert, .stop = &stop };
		pthread_create(&w[i].tid, NULL, worker_fn, &w[i]);
	}
	if (!insert) {
		nanosleep(&d, NULL);
		__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	}
	for (i = 0; i < o->threads; i++) {
		pthread_join(w[i].tid, NULL);
		ops += w[i].ops;
		end = w[i].end > end ? w[i].end : end;
	}
	printf("{\"part\":\"native\",\"backend\":\"%s\",\"workload\":\"%s\","
	       "\"n\":%lu,\"threads\":%u,\"ops\":%llu,\"ns\":%llu,"
	       "\"ops_per_sec\":%.0f}\n", be->name, insert ? "insert" : "read",
	       o->n, o->threads, (unsigned long long)ops,
	       (unsigned long long)(end - t0), ops * 1e9 / (end - t0));
	fflush(stdout);
	be->destroy(t);
	return 0;
}

/* The phase callgrind counts: @k lookups, or inserts of keys n .. n+k-1. */
__attribute__((__noinline__)) void count_phase(const struct be *be, void *t,
					    const struct opts *o, int insert)
{
	uint32_t s = 1;
	uint64_t i, v;

	for (i = 0; i < o->k; i++) {
		if (insert)
			be->insert(t, key_of(o->n + i), i);
		else
			be->lookup(t, key_of(rnd(&s) % o->n), &v);
	}
}

static const struct be *find_be(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	return NULL;
}

static int count_mode(const struct opts *o)
{
	const struct be *be = find_be(o->backend ? o->backend : "");
	int insert = o->workload && !strcmp(o->workload, "insert");
	void *t;

	if (!be) {
		fprintf(stderr, "native_bench: --count needs -b cmap|lfht\n");
		return 2;
	}
	t = be->create(o->n);
	fill(be, t, o->n);
	count_phase(be, t, o, insert);
	be->destroy(t);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "count", no_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' }, {}
	};
	struct opts o = { .n = 100000, .k = 100000, .threads = 1, .ms = 500 };
	int c, count = 0, rc = 0;
	unsigned int i;

	while ((c = getopt_long(argc, argv, "n:k:t:m:b:w:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n': o.n = strtoul(optarg, NULL, 0); break;
		case 'k': o.k = strtoul(optarg, NULL, 0); break;
		case 't': o.threads = strtoul(optarg, NULL, 0); break;
		case 'm': o.ms = strtoul(optarg, NULL, 0); break;
		case 'b': o.backend = optarg; break;
		case 'w': o.workload = optarg; break;
		case 'c': count = 1; break;
		case 'h':
			printf("usage: native_bench [-n KEYS] [-t THREADS] [-m MS] [-b cmap|lfht] [-w read|insert]\n"
			       "       native_bench --count -b cmap|lfht -w lookup|insert -n KEYS -k OPS\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!o.n || !o.threads || o.threads > 64)
		return 2;
	urcu_memb_register_thread();
	if (count) {
		rc = count_mode(&o);
		urcu_memb_unregister_thread();
		return rc;
	}
	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (o.backend && strcmp(o.backend, backends[i]->name))
			continue;
		if (!o.workload || !strcmp(o.workload, "read"))
			rc |= run_one(backends[i], &o, 0);
		if (!o.workload || !strcmp(o.workload, "insert"))
			rc |= run_one(backends[i], &o, 1);
	}
	urcu_memb_unregister_thread();
	return rc;
}
