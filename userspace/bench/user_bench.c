// SPDX-License-Identifier: GPL-2.0
/*
 * user_bench: the user-space path into two kernel maps, side by side.
 *
 *   cmap: /dev/cmap through libcmap (one ioctl per GET/PUT, or BATCH_*)
 *   bpf:  a BPF_MAP_TYPE_HASH with the same 8-byte keys and values, through
 *         libbpf's bpf_map_lookup_elem()/bpf_map_update_elem() (one bpf(2)
 *         call each) and bpf_map_lookup_batch()/bpf_map_update_batch()
 *
 * Both maps are filled with N keys; GETs pick random present keys. Note the
 * batch semantics differ: cmap's BATCH_GET looks up the keys it is given,
 * BPF's lookup_batch walks the map bucket by bucket (there is no keyed BPF
 * batch lookup), so the BPF figure is a dump rate.
 *
 * Output: one JSON object per line on stdout. With --pin PATH the BPF map
 * is pinned there (on bpffs) before the program exits, so that bpftool can
 * show and dump it; remove the pin afterwards.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmap.h"

struct opts {
	unsigned long n;
	unsigned long ops;
	unsigned int batch;
	const char *pin;
	const char *only;
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

static void report(const char *be, const char *op, const struct opts *o,
		   unsigned int batch, uint64_t ops, uint64_t ns, uint64_t errs)
{
	printf("{\"part\":\"user\",\"backend\":\"%s\",\"op\":\"%s\",\"n\":%lu,"
	       "\"batch\":%u,\"ops\":%llu,\"ns\":%llu,\"ops_per_sec\":%.0f,"
	       "\"ns_per_op\":%.1f,\"errors\":%llu}\n",
	       be, op, o->n, batch, (unsigned long long)ops,
	       (unsigned long long)ns, ns ? ops * 1e9 / ns : 0.0,
	       ops ? (double)ns / ops : 0.0, (unsigned long long)errs);
	fflush(stdout);
}

/* ---- cmap ---- */

static int cmap_fill(int fd, const struct opts *o)
{
	uint64_t i, k, v;
	int err;

	for (i = 0; i < o->n; i++) {
		k = key_of(i);
		v = i;
		err = libcmap_put(fd, &k, sizeof(k), &v, sizeof(v), CMAP_PUT_ANY);
		if (err)
			return err;
	}
	return 0;
}

static void cmap_single(int fd, const struct opts *o)
{
	uint64_t t, errs = 0, i, k, v;
	uint32_t s = 1, len;

	t = now_ns();
	for (i = 0; i < o->ops; i++) {
		k = key_of(rnd(&s) % o->n);
		errs += libcmap_get(fd, &k, sizeof(k), &v, sizeof(v), &len) != 0;
	}
	report("cmap", "get", o, 1, o->ops, now_ns() - t, errs);
	t = now_ns();
	for (i = 0; i < o->ops; i++) {
		k = key_of(rnd(&s) % o->n);
		v = i;
		errs += libcmap_put(fd, &k, sizeof(k), &v, sizeof(v),
				    CMAP_PUT_ANY) != 0;
	}
	report("cmap", "put", o, 1, o->ops, now_ns() - t, errs);
}

static void cmap_batches(int fd, const struct opts *o, int put)
{
	unsigned int b = o->batch, j;
	struct cmap_batch_op *ops = calloc(b, sizeof(*ops));
	uint64_t *keys = calloc(b, 8), *vals = calloc(b, 8), t, done = 0,
		 errs = 0;
	uint32_t s = 7, cnt;

	if (!ops || !keys || !vals)
		exit(1);
	t = now_ns();
	while (done < o->ops) {
		for (j = 0; j < b; j++) {
			keys[j] = key_of(rnd(&s) % o->n);
			vals[j] = done + j;
			ops[j] = (struct cmap_batch_op){
				.key = (uintptr_t)&keys[j], .key_len = 8,
				.value = (uintptr_t)&vals[j], .value_len = 8,
				.value_size = 8 };
		}
		cnt = b;
		errs += (put ? libcmap_batch_put(fd, ops, &cnt) :
			       libcmap_batch_get(fd, ops, &cnt)) != 0;
		done += cnt ? cnt : 1;
	}
	report("cmap", put ? "batch_put" : "batch_get", o, b, done,
	       now_ns() - t, errs);
	free(ops);
	free(keys);
	free(vals);
}

/* @which: NULL for every measurement, "get" or "batch_get" for one (perf). */
static int run_cmap(const struct opts *o, const char *which)
{
	int fd = libcmap_open(NULL, O_RDWR), err;

	if (fd < 0) {
		fprintf(stderr, "user_bench: /dev/cmap: %s (is cmap.ko loaded?)\n",
			strerror(-fd));
		return 1;
	}
	err = libcmap_clear(fd);
	if (!err)
		err = cmap_fill(fd, o);
	if (err) {
		fprintf(stderr, "user_bench: filling /dev/cmap: %s\n",
			strerror(-err));
		close(fd);
		return 1;
	}
	if (!which || !strcmp(which, "get"))
		cmap_single(fd, o);
	if (!which || !strcmp(which, "batch_get"))
		cmap_batches(fd, o, 0);
	if (!which)
		cmap_batches(fd, o, 1);
	libcmap_clear(fd);
	close(fd);
	return 0;
}

/* ---- BPF ---- */

static void bpf_single(int fd, const struct opts *o)
{
	uint64_t t, errs = 0, i, k, v;
	uint32_t s = 1;

	t = now_ns();
	for (i = 0; i < o->ops; i++) {
		k = key_of(rnd(&s) % o->n);
		errs += bpf_map_lookup_elem(fd, &k, &v) != 0;
	}
	report("bpf", "get", o, 1, o->ops, now_ns() - t, errs);
	t = now_ns();
	for (i = 0; i < o->ops; i++) {
		k = key_of(rnd(&s) % o->n);
		v = i;
		errs += bpf_map_update_elem(fd, &k, &v, BPF_ANY) != 0;
	}
	report("bpf", "put", o, 1, o->ops, now_ns() - t, errs);
}

/* lookup_batch: a walk of the whole map, @batch entries per call. */
static void bpf_batch_get(int fd, const struct opts *o)
{
	uint64_t *keys = calloc(o->batch, 8), *vals = calloc(o->batch, 8);
	uint64_t t, done = 0, errs = 0, in, outb;
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint32_t cnt;
	int err;

	if (!keys || !vals)
		exit(1);
	t = now_ns();
	while (done < o->ops) {
		void *inp = NULL;

		do {
			cnt = o->batch;
			err = bpf_map_lookup_batch(fd, inp, &outb, keys, vals,
						   &cnt, &bo);
			done += cnt;
			in = outb;
			inp = &in;
		} while (!err);
		errs += err != -ENOENT;
		if (err != -ENOENT)
			break;
	}
	report("bpf", "batch_get", o, o->batch, done, now_ns() - t, errs);
	free(keys);
	free(vals);
}

static void bpf_batch_put(int fd, const struct opts *o)
{
	uint64_t *keys = calloc(o->batch, 8), *vals = calloc(o->batch, 8);
	uint64_t t, done = 0, errs = 0;
	LIBBPF_OPTS(bpf_map_batch_opts, bo);
	uint32_t s = 7, cnt, j;

	if (!keys || !vals)
		exit(1);
	t = now_ns();
	while (done < o->ops) {
		for (j = 0; j < o->batch; j++) {
			keys[j] = key_of(rnd(&s) % o->n);
			vals[j] = done + j;
		}
		cnt = o->batch;
		errs += bpf_map_update_batch(fd, keys, vals, &cnt, &bo) != 0;
		done += cnt ? cnt : 1;
	}
	report("bpf", "batch_put", o, o->batch, done, now_ns() - t, errs);
	free(keys);
	free(vals);
}

static int run_bpf(const struct opts *o)
{
	uint64_t i, k, v;
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "cmap_bench_peer", 8, 8,
			    o->n + o->n / 4 + 16, NULL);
	if (fd < 0) {
		fprintf(stderr, "user_bench: bpf_map_create: %s\n",
			strerror(-fd));
		return 1;
	}
	for (i = 0; i < o->n; i++) {
		k = key_of(i);
		v = i;
		err = bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		if (err) {
			fprintf(stderr, "user_bench: bpf fill: %s\n",
				strerror(-err));
			return 1;
		}
	}
	bpf_single(fd, o);
	bpf_batch_get(fd, o);
	bpf_batch_put(fd, o);
	if (o->pin && bpf_obj_pin(fd, o->pin))
		fprintf(stderr, "user_bench: pin %s: %s\n", o->pin,
			strerror(errno));
	close(fd);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: user_bench [-n KEYS] [-o OPS] [-b BATCH] [--only WHAT] [--pin PATH]\n"
		"  Times single GET/PUT and batches through /dev/cmap (libcmap) and\n"
		"  through a BPF hash map (libbpf), same 8-byte keys and values.\n"
		"  -n KEYS    keys in each map (default 10000)\n"
		"  -o OPS     operations per measurement (default 100000)\n"
		"  -b BATCH   operations per batch call (default 256)\n"
		"  --only WHAT  cmap or bpf (one side), cmap-get or cmap-batch_get\n"
		"             (one measurement, to profile it with perf)\n"
		"  --pin PATH leave the BPF map pinned at PATH (bpffs) for bpftool\n"
		"  Output: one JSON object per line. Needs root and cmap.ko loaded.\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pin", required_argument, NULL, 'p' },
		{ "only", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct opts o = { .n = 10000, .ops = 100000, .batch = 256 };
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "n:o:b:h", lo, NULL)) != -1) {
		switch (c) {
		case 'n': o.n = strtoul(optarg, NULL, 0); break;
		case 'o': o.ops = strtoul(optarg, NULL, 0); break;
		case 'b': o.batch = strtoul(optarg, NULL, 0); break;
		case 'p': o.pin = optarg; break;
		case 'O': o.only = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.n || !o.ops || !o.batch) {
		usage(stderr);
		return 2;
	}
	if (!o.only || !strcmp(o.only, "cmap"))
		rc |= run_cmap(&o, NULL);
	else if (!strncmp(o.only, "cmap-", 5))
		rc |= run_cmap(&o, o.only + 5);
	if (!o.only || !strcmp(o.only, "bpf"))
		rc |= run_bpf(&o);
	return rc;
}
