// SPDX-License-Identifier: GPL-2.0
/*
 * cmap-fuzz: a deterministic, bounded ioctl fuzzer for /dev/cmap.
 *
 * Every call is built from a per-thread xoshiro256** stream seeded from
 * --seed, so a seed replays the same sequence of calls per thread (thread
 * interleaving, of course, is up to the scheduler). Most calls are cmap
 * commands with argument structures laid out as uapi/linux/cmap.h says
 * and then perturbed (sizes, flags, reserved members, lengths, counts,
 * pointers), so they get past the first checks and into the map core;
 * the rest are random command numbers around and outside cmap's magic.
 *
 * Pointers the kernel gets point only into memory the fuzzer never uses
 * for itself (per-thread arenas ending in a guard page, a read-only page,
 * a "flapping" region that a chaos thread munmaps, remaps, mprotects and
 * zaps while calls are in flight) or are bad on purpose (NULL, unaligned,
 * unmapped, kernel, non-canonical, the end of user space). File
 * descriptors are shared by all threads, which also close, reopen, dup and
 * dup2 them under each other's feet.
 *
 * Afterwards the map is checked through libcmap: STATS entries equals the
 * number of records of a full scan, the scan has no duplicate key, every
 * scanned entry reads back with GET with the same value, and the map still
 * takes a put/get/delete. The result is TAP on stdout; exit 0 only if every
 * errno was one the ABI documents and the map is consistent.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <ucontext.h>
#include <time.h>
#include <unistd.h>

#include "cmap.h"

#define PG		4096UL
#define ARENA_PAGES	64			/* per thread, then a guard page */
#define ARENA_SIZE	(ARENA_PAGES * PG)
#define FLAP_PAGES	16			/* the chaos thread's playground */
#define NR_FDS		8
#define NR_CMDS		10			/* CMAP_CMD_INFO .. CMAP_CMD_CLEAR */
#define NR_ERRNO	134
#define MAX_BAD		16			/* unexpected errnos kept for the report */
#define PROBE_KEY	"cmap-fuzz:probe"
#define UNMAPPED_AT	0x10000000UL		/* 256 MiB: never mapped */

/* Arena layout (offsets into a thread's arena). */
#define A_ARG		0			/* the argument structure */
#define A_OPS		(2 * PG)		/* batch operation arrays */
#define A_KEYS		(16 * PG)		/* keys and values */
#define A_SCAN		(32 * PG)		/* scan buffers, to the guard */

/* Flap page template: what the chaos thread writes into a fresh page. */
#define F_ARG		0			/* one valid structure per command */
#define F_ARG_STRIDE	128
#define F_OPS		(NR_CMDS * F_ARG_STRIDE)	/* 16 batch ops */
#define F_KEYS		(F_OPS + 16 * sizeof(struct cmap_batch_op))

struct rng { uint64_t s[4]; };

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(struct rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, n). */
static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(((rnd(r) >> 32) * n) >> 32) : 0;
}

/* True with probability pct percent. */
static bool chance(struct rng *r, unsigned int pct)
{
	return below(r, 100) < pct;
}

/* ---- options and shared state ---- */

static struct {
	uint64_t seed;
	uint64_t calls;
	double duration;
	unsigned int threads;
	unsigned int keys;
	const char *dev;
	bool check;
	bool quiet;
	bool no_chaos;
	bool no_fd_chaos;
} opt = {
	.calls = 1000000,
	.threads = 4,
	.keys = 4096,
	.dev = LIBCMAP_DEVICE,
	.check = true,
};

static _Atomic int fds[NR_FDS];
static atomic_bool stop;
static atomic_uint_fast64_t total_calls;
static uint8_t *ro_page;		/* PROT_READ, valid structures */
static uint8_t *flap;			/* FLAP_PAGES, remapped under us */
static uintptr_t unmapped;		/* was mapped, is not any more */
static double t_start;
static const char *volatile phase = "setup";

struct bad {
	unsigned int thread;
	uint64_t call;
	unsigned long cmd;
	int err;
};

struct tstats {
	uint64_t calls;
	uint64_t per_cmd[NR_CMDS + 1];		/* [NR_CMDS]: not a cmap command */
	uint64_t err[NR_CMDS + 1][NR_ERRNO];
	uint64_t unexpected;
	uint64_t fd_ops;
	struct bad bad[MAX_BAD];
	unsigned int nbad;
};

struct worker {
	pthread_t tid;
	unsigned int idx;
	uint64_t quota;
	struct rng rng;
	uint8_t *arena;
	struct tstats st;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "cmap-fuzz: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- keys: key i has the same bytes in every thread ---- */

static uint32_t key_len_of(uint32_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ULL;
	uint32_t h = (uint32_t)(splitmix(&x) >> 32);

	if (i % 97 == 0)
		return CMAP_KEY_MAX - h % 64;		/* long keys too */
	return 4 + h % 28;
}

static void key_bytes(uint32_t i, uint8_t *dst, uint32_t len)
{
	uint64_t x = i;

	for (uint32_t j = 0; j < len; j++)
		dst[j] = (uint8_t)(j < 4 ? i >> (8 * j) : splitmix(&x));
}

/* ---- pointers ---- */

/* A pointer that is bad in one of many ways. */
static uint64_t bad_ptr(struct worker *w)
{
	struct rng *r = &w->rng;

	switch (below(r, 12)) {
	case 0: return 0;
	case 1: return 1 + below(r, 4095);			/* the zero page */
	case 2: return unmapped + below(r, 4 * PG);
	case 3: return 0xffff888000000000ULL + (rnd(r) & 0xfffffff8ULL);
	case 4: return 0xffffffff81000000ULL + below(r, 1 << 20);
	case 5: return 0x0000800000000000ULL - below(r, 64);	/* end of user space */
	case 6: return 0x8000000000000000ULL ^ (rnd(r) & 0xffff);	/* non-canonical */
	case 7: return ~0ULL - below(r, 64);
	case 8: return (uintptr_t)ro_page + below(r, PG);	/* not writable */
	case 9: return (uintptr_t)w->arena + ARENA_SIZE - below(r, 16);	/* at the guard */
	case 10: return (uintptr_t)flap + below(r, FLAP_PAGES * PG);	/* flapping */
	default: return rnd(r);
	}
}

/* Write key @i at a random (maybe unaligned) place in the key area. */
static uint64_t put_key(struct worker *w, uint32_t i, uint32_t *len, uint32_t slot)
{
	uint8_t *dst = w->arena + A_KEYS + slot * 512 + below(&w->rng, 8);

	*len = key_len_of(i);
	key_bytes(i, dst, *len);
	return (uintptr_t)dst;
}

/* A value buffer of @len bytes, maybe ending right at the guard page. */
static uint64_t put_value(struct worker *w, uint32_t len, bool fill)
{
	struct rng *r = &w->rng;
	uint8_t *dst;

	if (len > 8 * PG)
		len = 8 * PG;
	if (chance(r, 10))
		dst = w->arena + ARENA_SIZE - len;	/* flush against the guard */
	else
		dst = w->arena + A_KEYS + 4 * PG + below(r, 64);
	if (fill)
		memset(dst, (int)(len ^ w->idx), len);
	return (uintptr_t)dst;
}

static uint32_t key_index(struct worker *w)
{
	/* Phases of small and large key sets: the table grows and shrinks. */
	uint64_t phase = w->st.calls / 20000;
	uint32_t n = phase & 1 ? opt.keys : 1 + opt.keys / 32;

	return below(&w->rng, n);
}

static uint32_t value_len(struct worker *w)
{
	struct rng *r = &w->rng;

	if (chance(r, 85))
		return below(r, 48);
	if (chance(r, 70))
		return below(r, CMAP_VALUE_MAX + 1);
	switch (below(r, 4)) {
	case 0: return CMAP_VALUE_MAX + 1;
	case 1: return 0xffffffffU;
	case 2: return 0x80000000U;
	default: return (uint32_t)rnd(r);
	}
}

static uint32_t bad_u32(struct worker *w)
{
	static const uint32_t v[] = {
		0, 1, 7, 8, 255, 256, 257, 4095, 4096, 4097, 65536,
		0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff,
	};

	return chance(&w->rng, 70) ? v[below(&w->rng, sizeof(v) / sizeof(v[0]))]
				   : (uint32_t)rnd(&w->rng);
}

/* ---- building one command's argument ---- */

struct call {
	unsigned long cmd;
	uint64_t arg;
	int nr;			/* CMAP_CMD_* or -1 */
	bool wellformed;	/* cmd exactly as the uapi header defines it */
};

static const uint32_t ksizes[NR_CMDS] = {
	sizeof(struct cmap_info), sizeof(struct cmap_get), sizeof(struct cmap_put),
	sizeof(struct cmap_delete), sizeof(struct cmap_batch),
	sizeof(struct cmap_batch), sizeof(struct cmap_batch),
	sizeof(struct cmap_scan), sizeof(struct cmap_stats),
	sizeof(struct cmap_clear),
};

static const unsigned long cmds[NR_CMDS] = {
	CMAP_IOC_INFO, CMAP_IOC_GET, CMAP_IOC_PUT, CMAP_IOC_DELETE,
	CMAP_IOC_BATCH_GET, CMAP_IOC_BATCH_PUT, CMAP_IOC_BATCH_DELETE,
	CMAP_IOC_SCAN, CMAP_IOC_STATS, CMAP_IOC_CLEAR,
};

/* Relative weights of the commands (CLEAR and STATS walk the table). */
static const unsigned int weights[NR_CMDS] = {
	2, 25, 30, 15, 5, 6, 4, 5, 1, 0,
};

static int pick_cmd(struct worker *w)
{
	unsigned int sum = 0, x;

	if (below(&w->rng, 20000) == 0)
		return CMAP_CMD_CLEAR;
	for (int i = 0; i < NR_CMDS; i++)
		sum += weights[i];
	x = below(&w->rng, sum);
	for (int i = 0; i < NR_CMDS; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return CMAP_CMD_GET;
}

static void fill_batch_ops(struct worker *w, int nr, uint8_t *ops,
			   uint32_t count, uint32_t op_size)
{
	struct rng *r = &w->rng;

	for (uint32_t i = 0; i < count; i++) {
		struct cmap_batch_op op = { 0 };
		uint32_t klen;

		op.key = put_key(w, key_index(w), &klen, 8 + i % 24);
		op.key_len = klen;
		if (nr == CMAP_CMD_BATCH_PUT) {
			op.value_len = chance(r, 95) ? below(r, 64) : value_len(w);
			op.value = put_value(w, op.value_len > 8 * PG ? 8 : op.value_len, false);
			op.flags = chance(r, 80) ? 0 : below(r, 4);
		} else if (nr == CMAP_CMD_BATCH_GET) {
			op.value_size = chance(r, 90) ? CMAP_VALUE_MAX : below(r, 64);
			op.value = put_value(w, op.value_size > 8 * PG ? 8 : op.value_size, false);
		}
		if (chance(r, 3))
			op.key = bad_ptr(w);
		if (chance(r, 3))
			op.value = bad_ptr(w);
		if (chance(r, 2))
			op.key_len = bad_u32(w);
		if (chance(r, 2))
			op.flags = bad_u32(w);
		memcpy(ops + (size_t)i * op_size, &op, sizeof(op));
		if (op_size > sizeof(op))
			memset(ops + (size_t)i * op_size + sizeof(op),
			       chance(r, 5) ? 0xa5 : 0, op_size - sizeof(op));
	}
}

/* The argument structure of command @nr, mostly valid, in @a. */
static void build_arg(struct worker *w, int nr, uint8_t *a)
{
	struct rng *r = &w->rng;
	uint32_t klen;

	memset(a, 0, 256);
	*(uint32_t *)a = ksizes[nr];
	switch (nr) {
	case CMAP_CMD_GET: {
		struct cmap_get *g = (void *)a;

		g->key = put_key(w, key_index(w), &klen, 0);
		g->key_len = klen;
		g->value_size = chance(r, 80) ? CMAP_VALUE_MAX : below(r, 64);
		g->value = put_value(w, g->value_size, false);
		break;
	}
	case CMAP_CMD_PUT: {
		struct cmap_put *p = (void *)a;

		p->key = put_key(w, key_index(w), &klen, 0);
		p->key_len = klen;
		p->value_len = value_len(w);
		p->value = put_value(w, p->value_len, true);
		p->flags = chance(r, 70) ? 0 : below(r, 3);
		break;
	}
	case CMAP_CMD_DELETE: {
		struct cmap_delete *d = (void *)a;

		d->key = put_key(w, key_index(w), &klen, 0);
		d->key_len = klen;
		break;
	}
	case CMAP_CMD_BATCH_GET:
	case CMAP_CMD_BATCH_PUT:
	case CMAP_CMD_BATCH_DELETE: {
		struct cmap_batch *b = (void *)a;
		uint32_t op_size = sizeof(struct cmap_batch_op);

		if (chance(r, 10))
			op_size = chance(r, 50) ? op_size + 8 * below(r, 8) : bad_u32(w);
		b->count = 1 + below(r, 32);
		b->op_size = op_size;
		if (op_size <= 256)
			fill_batch_ops(w, nr, w->arena + A_OPS, b->count, op_size);
		b->ops = (uintptr_t)(w->arena + A_OPS);
		if (chance(r, 5))
			b->count = chance(r, 50) ? 0 : bad_u32(w);
		break;
	}
	case CMAP_CMD_SCAN: {
		struct cmap_scan *s = (void *)a;
		uint32_t room = ARENA_SIZE - A_SCAN;

		s->buf_size = chance(r, 60) ? 4096 : chance(r, 50) ? below(r, 512) : room;
		if (chance(r, 5))
			s->buf_size = bad_u32(w);
		s->buf = (uintptr_t)w->arena + A_SCAN +
			 (chance(r, 20) ? room - (s->buf_size < room ? s->buf_size : room) : 0);
		if (chance(r, 70))
			s->cursor = 0;
		else if (chance(r, 50))
			s->cursor = rnd(r) & 0xffffffffULL;
		else
			s->cursor = chance(r, 50) ? (1ULL << 32) + below(r, 2) : rnd(r);
		break;
	}
	default:	/* INFO, STATS, CLEAR: only size and flags */
		break;
	}
}

/* Perturb the structure @a of command @nr: one to three mutations. */
static void mutate_arg(struct worker *w, int nr, uint8_t *a)
{
	struct rng *r = &w->rng;
	uint32_t ks = ksizes[nr];
	unsigned int n = 1 + below(r, 3);

	while (n--) {
		switch (below(r, 7)) {
		case 0:		/* size: too small, larger, huge */
			*(uint32_t *)a = chance(r, 50) ? below(r, ks + 32) : bad_u32(w);
			break;
		case 1:		/* larger, with a non-zero tail */
			*(uint32_t *)a = ks + 8 * (1 + below(r, 4));
			a[ks + below(r, 8)] = (uint8_t)(1 + below(r, 255));
			break;
		case 2:		/* flags */
			((uint32_t *)a)[1] = chance(r, 50) ? 1U << below(r, 32) : bad_u32(w);
			break;
		case 3:		/* a random u32 member (lengths, reserved, counts) */
			((uint32_t *)a)[2 + below(r, ks / 4 - 2)] = bad_u32(w);
			break;
		case 4:		/* a random u64 member (pointers, cursor) */
			if (ks >= 16)
				((uint64_t *)a)[1 + below(r, ks / 8 - 1)] = bad_ptr(w);
			break;
		case 5:		/* random bytes */
			a[below(r, ks)] = (uint8_t)rnd(r);
			break;
		default:	/* garbage everywhere */
			for (uint32_t i = 4; i < ks; i++)
				a[i] = (uint8_t)rnd(r);
			break;
		}
	}
}

/* Where the argument structure goes, and the command word. */
static void place_arg(struct worker *w, int nr, struct call *c)
{
	struct rng *r = &w->rng;
	uint8_t *a = w->arena + A_ARG;
	uint32_t ks = ksizes[nr];

	c->nr = nr;
	c->cmd = cmds[nr];
	c->wellformed = true;
	build_arg(w, nr, a);
	if (chance(r, 30))
		mutate_arg(w, nr, a);
	c->arg = (uintptr_t)a;

	switch (below(r, 40)) {
	case 0:		/* unaligned */
		c->arg = (uintptr_t)w->arena + PG + 1 + below(r, 7);
		memmove((void *)c->arg, a, ks + 40);
		break;
	case 1: {	/* straddling into the guard page */
		uint32_t keep = 4 + below(r, ks - 4);

		c->arg = (uintptr_t)w->arena + ARENA_SIZE - keep;
		memcpy((void *)c->arg, a, keep);
		break;
	}
	case 2:		/* read-only: the kernel cannot write back */
		c->arg = (uintptr_t)ro_page + F_ARG + nr * F_ARG_STRIDE;
		break;
	case 3:		/* in the flapping region */
	case 4:
		c->arg = (uintptr_t)flap + below(r, FLAP_PAGES) * PG +
			 F_ARG + nr * F_ARG_STRIDE;
		break;
	case 5:
		c->arg = bad_ptr(w);
		break;
	default:
		break;
	}
	if (chance(r, 3)) {	/* other size or direction bits: ENOTTY */
		if (chance(r, 70))
			c->cmd = _IOC(below(r, 4), CMAP_IOC_MAGIC, nr, below(r, 1 << 14));
		else
			c->cmd = _IOC(below(r, 4), CMAP_IOC_MAGIC, nr,
				      chance(r, 50) ? ks : 0);
		c->wellformed = c->cmd == cmds[nr];
	}
}

/* A command number that is not (quite) a cmap command. */
static void random_cmd(struct worker *w, struct call *c)
{
	/* Generic ioctls the VFS handles itself; none of them changes state. */
	static const unsigned long vfs[] = {
		FIONREAD, FIONBIO, FIOASYNC, FIOQSIZE, FIGETBSZ, FIOCLEX,
		FIONCLEX, FS_IOC_GETFLAGS, TCGETS, FS_IOC_FIEMAP,
	};
	struct rng *r = &w->rng;
	unsigned int type;

	c->nr = -1;
	c->wellformed = false;
	c->arg = chance(r, 50) ? (uintptr_t)w->arena + A_ARG : bad_ptr(w);
	if (chance(r, 50)) {
		memset(w->arena + A_ARG, 0, 64);
		*(uint32_t *)(w->arena + A_ARG) = below(r, 256);
	}
	switch (below(r, 4)) {
	case 0:		/* cmap's magic, numbers past the last command */
		c->cmd = _IOC(below(r, 4), CMAP_IOC_MAGIC,
			      chance(r, 70) ? NR_CMDS + below(r, 8) : below(r, 256),
			      below(r, 1 << 14));
		break;
	case 1:		/* neighbouring magics */
		c->cmd = _IOC(_IOC_READ | _IOC_WRITE, CMAP_IOC_MAGIC - 2 + below(r, 5),
			      below(r, 12), 8 + below(r, 160));
		break;
	case 2:
		c->cmd = vfs[below(r, sizeof(vfs) / sizeof(vfs[0]))];
		if (c->cmd == FIONBIO || c->cmd == FIOASYNC)
			c->arg = (uintptr_t)w->arena + A_ARG;
		break;
	default:	/* anything, minus setters of file system state */
		do {
			c->cmd = (uint32_t)rnd(r);
			type = _IOC_TYPE(c->cmd);
		} while (type == 'f' || type == 'X' || type == 0x94 || type == 0 ||
			 type == 'T' || type == 0x15 || type == CMAP_IOC_MAGIC);
		break;
	}
	/* A cmap command after all: judge it as one. */
	if (_IOC_TYPE(c->cmd) == CMAP_IOC_MAGIC && _IOC_NR(c->cmd) < NR_CMDS &&
	    c->cmd == cmds[_IOC_NR(c->cmd)]) {
		c->nr = _IOC_NR(c->cmd);
		c->wellformed = true;
	}
}

/* ---- file descriptors ---- */

static int open_dev(bool rdonly)
{
	return open(opt.dev, (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
}

static void fd_chaos(struct worker *w)
{
	struct rng *r = &w->rng;
	unsigned int i = below(r, NR_FDS), j = below(r, NR_FDS);
	int fd, old;

	w->st.fd_ops++;
	switch (below(r, 8)) {
	case 0:		/* reopen */
	case 4:
	case 5:
		fd = open_dev(chance(r, 25));
		break;
	case 1:		/* dup */
	case 6:
		fd = dup(atomic_load(&fds[j]));
		break;
	case 2:		/* dup2 over another slot's number */
		old = atomic_load(&fds[i]);
		if (old > 2)
			dup2(atomic_load(&fds[j]), old);
		return;
	default:	/* 3, 7: close and leave the number stale for a while */
		old = atomic_load(&fds[i]);
		if (old > 2)
			close(old);
		return;
	}
	if (fd < 0)
		return;
	old = atomic_exchange(&fds[i], fd);
	if (old > 2 && old != fd)
		close(old);
}

/* ---- errnos ---- */

#define E(x)	(1ULL << (x))
static const uint64_t allowed_base = E(0) | E(EFAULT) | E(EINVAL) | E(E2BIG) |
				     E(EBADF) | E(ENOTTY) | E(ENOMEM);
static const uint64_t allowed_cmd[NR_CMDS] = {
	[CMAP_CMD_INFO] = 0,
	[CMAP_CMD_GET] = E(ENOENT) | E(ENOSPC),
	[CMAP_CMD_PUT] = E(ENOENT) | E(EEXIST) | E(ENOSPC),
	[CMAP_CMD_DELETE] = E(ENOENT),
	[CMAP_CMD_BATCH_GET] = E(ENOENT) | E(ENOSPC) | E(EINTR),
	[CMAP_CMD_BATCH_PUT] = E(ENOENT) | E(EEXIST) | E(ENOSPC) | E(EINTR),
	[CMAP_CMD_BATCH_DELETE] = E(ENOENT) | E(EINTR),
	[CMAP_CMD_SCAN] = E(ENOSPC),
	[CMAP_CMD_STATS] = 0,
	[CMAP_CMD_CLEAR] = 0,
};

static void account(struct worker *w, const struct call *c, int err)
{
	struct tstats *st = &w->st;
	int slot = c->nr < 0 ? NR_CMDS : c->nr;
	bool ok;

	st->per_cmd[slot]++;
	st->err[slot][err < NR_ERRNO ? err : NR_ERRNO - 1]++;
	if (c->nr < 0) {
		/* Not cmap's: anything but a cmap-magic command is the VFS's. */
		ok = _IOC_TYPE(c->cmd) != CMAP_IOC_MAGIC || err == ENOTTY || err == EBADF;
	} else if (!c->wellformed) {
		ok = err == ENOTTY || err == EBADF;
	} else {
		ok = err < 64 && ((allowed_base | allowed_cmd[c->nr]) & E(err)) &&
		     err != ENOTTY;
	}
	if (ok)
		return;
	st->unexpected++;
	if (st->nbad < MAX_BAD)
		st->bad[st->nbad++] = (struct bad){ w->idx, st->calls, c->cmd, err };
}

/* ---- threads ---- */

/* Never 0..2: FIONBIO on standard output would be no fun. */
static const int bad_fds[] = { -1, 1000, 65535, 0x7fffffff };

/* Each thread its own signal stack: on_fault() runs even on a bad stack. */
static void alt_stack(void)
{
	static __thread uint8_t alt[32 << 10];
	stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };

	sigaltstack(&ss, NULL);
}

static void *fuzz_thread(void *arg)
{
	struct worker *w = arg;
	struct call c;
	int fd, err;

	alt_stack();
	while (w->st.calls < w->quota && !atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (chance(&w->rng, 1) && below(&w->rng, 4) == 0 && !opt.no_fd_chaos)
			fd_chaos(w);
		if (chance(&w->rng, 88))
			place_arg(w, pick_cmd(w), &c);
		else
			random_cmd(w, &c);
		fd = below(&w->rng, 500) ? atomic_load(&fds[below(&w->rng, NR_FDS)])
					  : bad_fds[below(&w->rng, 4)];
		err = ioctl(fd, c.cmd, (void *)(uintptr_t)c.arg) < 0 ? errno : 0;
		account(w, &c, err);
		w->st.calls++;
		if (!(w->st.calls & 255)) {
			atomic_fetch_add(&total_calls, 256);
			if (opt.duration > 0 && now() - t_start > opt.duration)
				atomic_store(&stop, true);
		}
	}
	atomic_fetch_add(&total_calls, w->st.calls & 255);
	return NULL;
}

/* Valid structures of every command into @page (keys in the page). */
static void fill_template(uint8_t *page)
{
	struct cmap_batch_op *ops = (void *)(page + F_OPS);
	uint8_t *keys = page + F_KEYS;

	memset(page, 0, PG);
	for (int i = 0; i < 16; i++) {
		uint32_t len = key_len_of(i) > 32 ? 32 : key_len_of(i);

		key_bytes(i, keys + i * 32, len);
		ops[i] = (struct cmap_batch_op){
			.key = (uintptr_t)(keys + i * 32), .key_len = len,
			.value = (uintptr_t)(keys + i * 32), .value_len = len,
			.value_size = 32,
		};
	}
	for (int nr = 0; nr < NR_CMDS; nr++) {
		uint8_t *a = page + F_ARG + nr * F_ARG_STRIDE;
		struct cmap_get *g = (void *)a;
		struct cmap_put *p = (void *)a;
		struct cmap_delete *d = (void *)a;
		struct cmap_batch *b = (void *)a;
		struct cmap_scan *s = (void *)a;

		*(uint32_t *)a = ksizes[nr];
		switch (nr) {
		case CMAP_CMD_GET:
			g->key = ops[1].key; g->key_len = ops[1].key_len;
			g->value = (uintptr_t)(page + PG - 64); g->value_size = 4096;
			break;
		case CMAP_CMD_PUT:
			p->key = ops[1].key; p->key_len = ops[1].key_len;
			p->value = (uintptr_t)page; p->value_len = 3 * PG;
			break;
		case CMAP_CMD_DELETE:
			d->key = ops[2].key; d->key_len = ops[2].key_len;
			break;
		case CMAP_CMD_BATCH_GET:
		case CMAP_CMD_BATCH_PUT:
		case CMAP_CMD_BATCH_DELETE:
			b->ops = (uintptr_t)ops; b->count = 16;
			b->op_size = sizeof(*ops);
			break;
		case CMAP_CMD_SCAN:
			s->buf = (uintptr_t)page; s->buf_size = 4 * PG;
			break;
		}
	}
}

/* The chaos thread: the flapping region changes under in-flight calls. */
static void *chaos_thread(void *arg)
{
	struct rng r;
	struct timespec ts = { 0 };

	rng_seed(&r, opt.seed ^ 0xc4a05c4a05ULL);
	(void)arg;
	alt_stack();
	while (!atomic_load(&stop)) {
		unsigned int p = below(&r, FLAP_PAGES);
		unsigned int n = 1 + below(&r, FLAP_PAGES - p);
		uint8_t *at = flap + p * PG;

		switch (below(&r, 5)) {
		case 0:
			munmap(at, n * PG);
			break;
		case 1:
		case 2:
			if (mmap(at, n * PG, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
				break;
			for (unsigned int i = 0; i < n; i++)
				fill_template(at + i * PG);
			if (chance(&r, 30))
				mprotect(at, n * PG, chance(&r, 50) ? PROT_READ : PROT_NONE);
			break;
		case 3:
			mprotect(at, n * PG, chance(&r, 50) ? PROT_READ : PROT_NONE);
			break;
		default:
			madvise(at, n * PG, MADV_DONTNEED);	/* zero-fill if private */
			break;
		}
		/*
		 * 2..6 ms: each page still changes about 70 times a second,
		 * while each call takes 0.2-0.5 ms in a debug guest. Every
		 * change is a TLB shootdown, dear under TCG: at 0.5..2.5 ms
		 * they took 40% of a KASAN guest's fuzzing time.
		 */
		ts.tv_nsec = 2000000 + below(&r, 4000000);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void *progress_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		for (int i = 0; i < 50 && !atomic_load(&stop); i++)
			usleep(100000);
		if (atomic_load(&stop))
			break;
		uint64_t n = atomic_load(&total_calls);
		double t = now() - t_start;

		fprintf(stderr, "cmap-fuzz: %" PRIu64 " calls, %.0f s, %.0f calls/s\n",
			n, t, n / t);
	}
	return NULL;
}

static void setup_memory(void)
{
	void *p;

	ro_page = mmap(NULL, PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page == MAP_FAILED)
		die("mmap");
	fill_template(ro_page);
	if (mprotect(ro_page, PG, PROT_READ))
		die("mprotect");
	/*
	 * A hole that stays a hole: far below where mmap() places anything
	 * (top-down), so nothing the fuzzer maps later lands there and the
	 * kernel never writes into memory the fuzzer uses.
	 */
	p = mmap((void *)UNMAPPED_AT, 4 * PG, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		die("mmap of the hole");
	munmap(p, 4 * PG);
	unmapped = (uintptr_t)p;
	/*
	 * The flap region between two guard pages: calls that start in it
	 * run off its end (a 4 KiB value at the end of a page, a 16 KiB scan
	 * buffer), and mmap() may have put it right below memory the C
	 * library uses (the main thread's TLS).
	 */
	p = mmap(NULL, (FLAP_PAGES + 2) * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	flap = (uint8_t *)p + PG;
	if (mprotect(flap, FLAP_PAGES * PG, PROT_READ | PROT_WRITE))
		die("mprotect");
	for (int i = 0; i < FLAP_PAGES; i++)
		fill_template(flap + i * PG);
}

static uint8_t *new_arena(void)
{
	uint8_t *a = mmap(NULL, ARENA_SIZE + PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		die("mmap");
	if (mprotect(a + ARENA_SIZE, PG, PROT_NONE))
		die("mprotect");
	return a;
}

/* ---- the consistency check ---- */

struct rec {
	uint8_t *key, *val;
	uint32_t klen, vlen;
};

static int rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	uint32_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);

	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static int tap_n, tap_failed;

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

static void check_map(void)
{
	struct cmap_stats st;
	struct rec *recs = NULL;
	size_t nrec = 0, cap = 0, dups = 0, unreadable = 0, differ = 0;
	uint32_t bufsz = 256 << 10, used, count, off;
	uint8_t *buf = malloc(bufsz), val[CMAP_VALUE_MAX];
	__u64 cursor = 0;
	bool done = false;
	int fd, err;

	fd = libcmap_open(opt.dev, O_RDWR);
	if (fd < 0 || !buf) {
		tap(false, "open %s for the consistency check: %s", opt.dev, strerror(-fd));
		return;
	}
	err = libcmap_stats(fd, &st);
	tap(!err, "STATS after fuzzing (%s)", err ? strerror(-err) : "ok");
	while (!done) {
		struct libcmap_rec lr;

		err = libcmap_scan(fd, &cursor, buf, bufsz, &used, &count, &done);
		if (err)
			break;
		off = 0;
		while (libcmap_scan_next(buf, used, &off, &lr) == 1) {
			if (nrec == cap) {
				cap = cap ? 2 * cap : 1024;
				recs = realloc(recs, cap * sizeof(*recs));
				if (!recs)
					die("realloc");
			}
			recs[nrec].key = malloc(lr.key_len + lr.val_len + 1);
			if (!recs[nrec].key)
				die("malloc");
			memcpy(recs[nrec].key, lr.key, lr.key_len);
			recs[nrec].val = recs[nrec].key + lr.key_len;
			memcpy(recs[nrec].val, lr.val, lr.val_len);
			recs[nrec].klen = lr.key_len;
			recs[nrec].vlen = lr.val_len;
			nrec++;
		}
	}
	tap(!err, "full scan completes (%s)", err ? strerror(-err) : "ok");
	tap(st.entries == nrec, "STATS entries (%llu) equals the scan's count (%zu)",
	    (unsigned long long)st.entries, nrec);
	if (nrec)
		qsort(recs, nrec, sizeof(*recs), rec_cmp);
	for (size_t i = 1; i < nrec; i++)
		dups += !rec_cmp(&recs[i - 1], &recs[i]);
	tap(!dups, "no key returned twice by the scan (%zu duplicates)", dups);
	for (size_t i = 0; i < nrec; i++) {
		__u32 vlen = 0;

		err = libcmap_get(fd, recs[i].key, recs[i].klen, val, sizeof(val), &vlen);
		if (err) {
			if (unreadable++ < 5)
				fprintf(stderr, "cmap-fuzz: GET of a scanned key (len %u): %s\n",
					recs[i].klen, strerror(-err));
		} else if (vlen != recs[i].vlen || memcmp(val, recs[i].val, vlen)) {
			differ++;
		}
	}
	tap(!unreadable && !differ,
	    "every scanned entry reads back with GET, same value (%zu unreadable, %zu differ)",
	    unreadable, differ);

	/* The map still works. */
	err = libcmap_put(fd, PROBE_KEY, sizeof(PROBE_KEY) - 1, "v", 1, CMAP_PUT_ANY);
	if (err == -ENOSPC && st.max_entries && st.entries >= st.max_entries) {
		tap(true, "map still takes put/get/delete # SKIP map full");
	} else {
		__u32 vlen = 0;
		int e2 = err ? err : libcmap_get(fd, PROBE_KEY, sizeof(PROBE_KEY) - 1,
						 val, sizeof(val), &vlen);
		int e3 = err ? err : libcmap_delete(fd, PROBE_KEY, sizeof(PROBE_KEY) - 1);

		tap(!err && !e2 && vlen == 1 && !e3,
		    "map still takes put/get/delete (%d %d %d)", err, e2, e3);
	}
	printf("# map: %llu entries, %llu buckets, %llu grows, %llu shrinks, %llu bytes\n",
	       (unsigned long long)st.entries, (unsigned long long)st.buckets,
	       (unsigned long long)st.grows, (unsigned long long)st.shrinks,
	       (unsigned long long)st.bytes);
	for (size_t i = 0; i < nrec; i++)
		free(recs[i].key);
	free(recs);
	free(buf);
	close(fd);
}

/* ---- main ---- */

static const char *cmd_name(int i)
{
	static const char *const names[] = {
		"INFO", "GET", "PUT", "DELETE", "BATCH_GET", "BATCH_PUT",
		"BATCH_DELETE", "SCAN", "STATS", "CLEAR", "other",
	};

	return names[i];
}

static void report(struct worker *ws, double secs)
{
	struct tstats sum = { 0 };
	char line[1024];

	for (unsigned int t = 0; t < opt.threads; t++) {
		struct tstats *s = &ws[t].st;

		sum.calls += s->calls;
		sum.unexpected += s->unexpected;
		sum.fd_ops += s->fd_ops;
		for (int c = 0; c <= NR_CMDS; c++) {
			sum.per_cmd[c] += s->per_cmd[c];
			for (int e = 0; e < NR_ERRNO; e++)
				sum.err[c][e] += s->err[c][e];
		}
		for (unsigned int i = 0; i < s->nbad && sum.nbad < MAX_BAD; i++)
			sum.bad[sum.nbad++] = s->bad[i];
	}
	printf("# seed %" PRIu64 ": %" PRIu64 " calls by %u threads in %.1f s (%.0f calls/s), %"
	       PRIu64 " fd close/dup/reopen\n", opt.seed, sum.calls, opt.threads, secs,
	       sum.calls / (secs > 0 ? secs : 1), sum.fd_ops);
	for (int c = 0; c <= NR_CMDS; c++) {
		int n = snprintf(line, sizeof(line), "#   %-12s %8" PRIu64 ":", cmd_name(c),
				 sum.per_cmd[c]);

		for (int e = 0; e < NR_ERRNO && n < (int)sizeof(line) - 40; e++)
			if (sum.err[c][e])
				n += snprintf(line + n, sizeof(line) - n, " %s=%" PRIu64,
					      e ? (strerrorname_np(e) ?: "?") : "ok", sum.err[c][e]);
		puts(line);
	}
	tap(sum.calls > 0 && (opt.duration > 0 || sum.calls >= opt.calls),
	    "fuzzed %" PRIu64 " ioctls (seed %" PRIu64 ")", sum.calls, opt.seed);
	tap(!sum.unexpected, "every error is one the ABI documents (%" PRIu64 " unexpected)",
	    sum.unexpected);
	for (unsigned int i = 0; i < sum.nbad; i++)
		printf("#   thread %u call %" PRIu64 ": cmd %#lx -> %s\n", sum.bad[i].thread,
		       sum.bad[i].call, sum.bad[i].cmd, strerrorname_np(sum.bad[i].err) ?: "?");
}

/* A crash of the fuzzer itself: say where, for the log. */
static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char buf[320];
	int n;

	ucontext_t *u = uc;

	void *ip = (void *)(uintptr_t)u->uc_mcontext.gregs[REG_RIP];
	Dl_info di = { 0 };

	dladdr(ip, &di);
	n = snprintf(buf, sizeof(buf),
		     "cmap-fuzz: signal %d (code %d) at address %p, ip %p (%s+%#lx), tid %d of %d, phase %s, after %" PRIu64 " calls\n",
		     sig, si->si_code, si->si_addr, ip, di.dli_fname ?: "?",
		     (unsigned long)((uintptr_t)ip - (uintptr_t)di.dli_fbase), gettid(), getpid(), phase,
		     (uint64_t)atomic_load(&total_calls));
	if (write(2, buf, n) < 0)
		_exit(3);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: cmap-fuzz [OPTIONS]\n"
"\n"
"Fuzz the ioctl()s of /dev/cmap, then check that the map is consistent.\n"
"Run as root in a test guest with cmap.ko loaded; never on a machine you\n"
"care about (it is meant to crash a buggy kernel).\n"
"\n"
"Calls are mostly cmap commands with structures laid out as the uapi header\n"
"says and then perturbed (sizes, flags, lengths, counts, pointers: NULL,\n"
"unaligned, unmapped, read-only, kernel and non-canonical addresses, buffers\n"
"against a guard page), the rest random command numbers around and outside\n"
"cmap's magic 0xB9. A chaos thread munmaps, remaps, mprotects and zaps a\n"
"region that in-flight calls point into, and threads close, reopen, dup\n"
"and dup2 the file descriptors the others use.\n"
"\n"
"Options:\n"
"  -s, --seed N       seed of the call sequence (default: time-based, printed)\n"
"  -n, --calls N      total ioctls, split over the threads (default 1000000)\n"
"  -d, --duration S   stop after S seconds even if calls remain (default none)\n"
"  -t, --threads T    fuzzing threads (default 4), plus one chaos thread\n"
"  -k, --keys N       size of the key space (default 4096)\n"
"  -D, --device PATH  the device (default /dev/cmap)\n"
"      --no-check     skip the consistency check afterwards\n"
"      --no-chaos     no thread remapping buffers under in-flight calls\n"
"      --no-fd-chaos  no close/dup/reopen of the shared descriptors\n"
"  -q, --quiet        no progress on standard error\n"
"  -h, --help         this text\n"
"\n"
"Output: TAP on standard output (a call and errno histogram as comments);\n"
"progress every 5 s on standard error. The same seed and thread count\n"
"replay the same calls per thread.\n"
"\n"
"After fuzzing: STATS entries must equal a full scan's record count, the\n"
"scan must hold no key twice, every scanned entry must read back with GET\n"
"with the same value, and a put/get/delete must work.\n"
"\n"
"Exit status: 0 every errno was documented and the map is consistent;\n"
"1 a check failed; 2 usage or setup error (is cmap.ko loaded? root?).\n"
"\n"
"Example:  cmap-fuzz --calls 1000000 --threads 4 --seed 42\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "keys", required_argument, NULL, 'k' },
		{ "device", required_argument, NULL, 'D' },
		{ "no-check", no_argument, NULL, 'C' },
		{ "no-chaos", no_argument, NULL, 'M' },
		{ "no-fd-chaos", no_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	pthread_t chaos, prog;
	struct worker *ws;
	bool seeded = false;
	double secs;
	int c;

	while ((c = getopt_long(argc, argv, "s:n:d:t:k:D:qh", lo, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'n': opt.calls = strtoull(optarg, NULL, 0); break;
		case 'd': opt.duration = atof(optarg); break;
		case 't': opt.threads = atoi(optarg); break;
		case 'k': opt.keys = atoi(optarg); break;
		case 'D': opt.dev = optarg; break;
		case 'C': opt.check = false; break;
		case 'M': opt.no_chaos = true; break;
		case 'F': opt.no_fd_chaos = true; break;
		case 'q': opt.quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || opt.threads < 1 || opt.threads > 64 || opt.keys < 32) {
		usage(stderr);
		return 2;
	}
	if (!seeded)
		opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	signal(SIGPIPE, SIG_IGN);
	{
		struct sigaction sa = {
			.sa_sigaction = on_fault,
			.sa_flags = SA_SIGINFO | SA_ONSTACK,
		};

		alt_stack();
		sigaction(SIGSEGV, &sa, NULL);
		sigaction(SIGBUS, &sa, NULL);
	}
	printf("# cmap-fuzz --seed %" PRIu64 " --calls %" PRIu64 " --threads %u\n",
	       opt.seed, opt.calls, opt.threads);
	fflush(stdout);

	for (int i = 0; i < NR_FDS; i++) {
		int fd = open_dev(i >= NR_FDS - 2);

		if (fd < 0) {
			fprintf(stderr, "cmap-fuzz: cannot open %s: %s (is cmap.ko loaded? root?)\n",
				opt.dev, strerror(errno));
			return 2;
		}
		atomic_store(&fds[i], fd);
	}
	setup_memory();
	ws = calloc(opt.threads, sizeof(*ws));
	if (!ws)
		die("calloc");
	t_start = now();
	for (unsigned int t = 0; t < opt.threads; t++) {
		ws[t].idx = t;
		ws[t].quota = opt.calls / opt.threads + (t < opt.calls % opt.threads);
		ws[t].arena = new_arena();
		rng_seed(&ws[t].rng, opt.seed * 1000003 + t);
	}
	for (unsigned int t = 0; t < opt.threads; t++)
		if (pthread_create(&ws[t].tid, NULL, fuzz_thread, &ws[t]))
			die("pthread_create");
	/* Last: from now on nothing may be mapped (the flap region has holes). */
	if (!opt.quiet && pthread_create(&prog, NULL, progress_thread, NULL))
		die("pthread_create");
	if (!opt.no_chaos && pthread_create(&chaos, NULL, chaos_thread, NULL))
		die("pthread_create");
	phase = "fuzzing";
	for (unsigned int t = 0; t < opt.threads; t++)
		pthread_join(ws[t].tid, NULL);
	phase = "joining";
	secs = now() - t_start;
	atomic_store(&stop, true);
	if (!opt.no_chaos)
		pthread_join(chaos, NULL);
	if (!opt.quiet)
		pthread_join(prog, NULL);
	for (int i = 0; i < NR_FDS; i++)
		close(atomic_load(&fds[i]));

	phase = "report";
	report(ws, secs);
	phase = "check";
	if (opt.check)
		check_map();
	phase = "done";
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
