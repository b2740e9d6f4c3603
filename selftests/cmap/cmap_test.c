// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of /dev/cmap's ioctl interface (uapi/linux/cmap.h), through libcmap.
 *
 * Every test starts from an empty map (the fixture clears it), so the tests
 * must not run concurrently with other users of /dev/cmap. Needs root.
 *
 * Limits: max_entries and max_bytes are module parameters, so the tests
 * that fill the map adapt to what INFO reports and skip when the limit is
 * too large to reach quickly. Load the module for this program with
 *
 *	insmod cmap.ko max_entries=10000 max_bytes=4194304
 *
 * to run them; the other tests need at most ~8000 small entries.
 *
 * CMAP_DEVICE overrides the device path (default /dev/cmap).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "cmap.h"

#define KEYFMT		"key-%08u"
#define KEYLEN		12
#define NOBODY		65534
#define FILL_MAX	50000	/* largest limit the fill tests try to reach */

static const char *device(void)
{
	const char *d = getenv("CMAP_DEVICE");

	return d && *d ? d : LIBCMAP_DEVICE;
}

static __u64 u64p(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* 0 if @key is present (its value is read into a scratch buffer). */
static int exists(int fd, const void *key, __u32 key_len)
{
	static char val[CMAP_VALUE_MAX];

	return libcmap_get(fd, key, key_len, val, sizeof(val), NULL);
}

static void mkkey(char *buf, unsigned int i)
{
	snprintf(buf, KEYLEN + 1, KEYFMT, i);
}

/* Insert keys [first, first + n) with value "v<i>", by batches. */
static int put_range(int fd, unsigned int first, unsigned int n, __u32 flags)
{
	struct cmap_batch_op ops[128];
	char keys[128][KEYLEN + 1], vals[128][16];
	unsigned int i, j;

	for (i = 0; i < n; i += j) {
		__u32 count;
		int err;

		for (j = 0; j < 128 && i + j < n; j++) {
			mkkey(keys[j], first + i + j);
			snprintf(vals[j], sizeof(vals[j]), "v%u", first + i + j);
			ops[j] = (struct cmap_batch_op) {
				.key = u64p(keys[j]), .key_len = KEYLEN,
				.value = u64p(vals[j]),
				.value_len = strlen(vals[j]), .flags = flags,
			};
		}
		count = j;
		err = libcmap_batch_put(fd, ops, &count);
		if (err)
			return err;
	}
	return 0;
}

static int del_range(int fd, unsigned int first, unsigned int n)
{
	struct cmap_batch_op ops[128];
	char keys[128][KEYLEN + 1];
	unsigned int i, j;

	for (i = 0; i < n; i += j) {
		__u32 count;
		int err;

		for (j = 0; j < 128 && i + j < n; j++) {
			mkkey(keys[j], first + i + j);
			ops[j] = (struct cmap_batch_op) {
				.key = u64p(keys[j]), .key_len = KEYLEN,
			};
		}
		count = j;
		err = libcmap_batch_delete(fd, ops, &count);
		if (err)
			return err;
	}
	return 0;
}

/* A page-aligned address with nothing mapped (mapped, then unmapped). */
static void *unmapped(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, pg);
	return p;
}

/* A mapped page followed by an unmapped one; returns the mapped page. */
static char *page_then_hole(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + pg, pg);
	return p;
}

#define KERNEL_ADDR	((void *)0xffff888000000000UL)
#define NONCANON_ADDR	((void *)0x8000000000000000UL)

FIXTURE(cmap) {
	int fd;
	struct cmap_info info;
};

FIXTURE_SETUP(cmap)
{
	self->fd = libcmap_open(device(), O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", device(),
				      strerror(-self->fd));
	ASSERT_EQ(0, libcmap_info(self->fd, &self->info));
	ASSERT_EQ(0, libcmap_clear(self->fd));
}

FIXTURE_TEARDOWN(cmap)
{
	if (self->fd >= 0) {
		libcmap_clear(self->fd);
		close(self->fd);
	}
}

TEST_F(cmap, info)
{
	struct cmap_info *in = &self->info;
	__u64 all = 0;
	int nr;

	for (nr = CMAP_CMD_INFO; nr <= CMAP_CMD_CLEAR; nr++)
		all |= 1ULL << nr;
	EXPECT_EQ(CMAP_ABI_VERSION, in->abi_version);
	EXPECT_EQ(CMAP_KEY_MAX, in->key_max);
	EXPECT_EQ(CMAP_VALUE_MAX, in->value_max);
	EXPECT_EQ(all, in->commands & all);
	EXPECT_NE(0, in->features & CMAP_FEAT_SCAN_ONCE);
	TH_LOG("max_entries=%u max_bytes=%llu features=%#llx",
	       in->max_entries, (unsigned long long)in->max_bytes,
	       (unsigned long long)in->features);
}

TEST_F(cmap, put_get_delete)
{
	char val[64];
	__u32 len = 0;
	int fd2;

	ASSERT_EQ(-ENOENT, libcmap_get(self->fd, "alpha", 5, val, sizeof(val), &len));
	ASSERT_EQ(0, libcmap_put(self->fd, "alpha", 5, "one", 3, CMAP_PUT_ANY));
	ASSERT_EQ(0, libcmap_get(self->fd, "alpha", 5, val, sizeof(val), &len));
	ASSERT_EQ(3, len);
	ASSERT_EQ(0, memcmp(val, "one", 3));

	/* Replace, and see it from a second opener: one shared map. */
	ASSERT_EQ(0, libcmap_put(self->fd, "alpha", 5, "second", 6, CMAP_PUT_ANY));
	fd2 = libcmap_open(device(), O_RDONLY);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, libcmap_get(fd2, "alpha", 5, val, sizeof(val), &len));
	ASSERT_EQ(6, len);
	ASSERT_EQ(0, memcmp(val, "second", 6));
	close(fd2);

	/* Empty values and binary keys are fine. */
	ASSERT_EQ(0, libcmap_put(self->fd, "\0\1\2", 3, NULL, 0, CMAP_PUT_ANY));
	ASSERT_EQ(0, libcmap_get(self->fd, "\0\1\2", 3, val, sizeof(val), &len));
	ASSERT_EQ(0, len);

	ASSERT_EQ(0, libcmap_delete(self->fd, "alpha", 5));
	ASSERT_EQ(-ENOENT, libcmap_get(self->fd, "alpha", 5, val, sizeof(val), &len));
	ASSERT_EQ(-ENOENT, libcmap_delete(self->fd, "alpha", 5));
	ASSERT_EQ(0, libcmap_delete(self->fd, "\0\1\2", 3));
}

TEST_F(cmap, put_flags)
{
	char val[16];
	__u32 len;

	ASSERT_EQ(-ENOENT, libcmap_put(self->fd, "k", 1, "x", 1, CMAP_PUT_EXIST));
	ASSERT_EQ(-ENOENT, libcmap_get(self->fd, "k", 1, val, sizeof(val), &len));
	ASSERT_EQ(0, libcmap_put(self->fd, "k", 1, "a", 1, CMAP_PUT_NOEXIST));
	ASSERT_EQ(-EEXIST, libcmap_put(self->fd, "k", 1, "b", 1, CMAP_PUT_NOEXIST));
	ASSERT_EQ(0, libcmap_get(self->fd, "k", 1, val, sizeof(val), &len));
	ASSERT_EQ('a', val[0]);
	ASSERT_EQ(0, libcmap_put(self->fd, "k", 1, "c", 1, CMAP_PUT_EXIST));
	ASSERT_EQ(0, libcmap_get(self->fd, "k", 1, val, sizeof(val), &len));
	ASSERT_EQ('c', val[0]);
	EXPECT_EQ(-EINVAL, libcmap_put(self->fd, "k", 1, "d", 1, CMAP_PUT_FLAGS));
	EXPECT_EQ(-EINVAL, libcmap_put(self->fd, "k", 1, "d", 1, 1U << 2));
	EXPECT_EQ(-EINVAL, libcmap_put(self->fd, "k", 1, "d", 1, 1U << 31));
}

TEST_F(cmap, get_small_buffer)
{
	char big[100], val[100];
	__u32 len = 0;

	memset(big, 'z', sizeof(big));
	ASSERT_EQ(0, libcmap_put(self->fd, "big", 3, big, sizeof(big), 0));
	ASSERT_EQ(-ENOSPC, libcmap_get(self->fd, "big", 3, val, 10, &len));
	ASSERT_EQ(sizeof(big), len);
	len = 0;
	ASSERT_EQ(-ENOSPC, libcmap_get(self->fd, "big", 3, NULL, 0, &len));
	ASSERT_EQ(sizeof(big), len);
	ASSERT_EQ(0, libcmap_get(self->fd, "big", 3, val, sizeof(big), &len));
	ASSERT_EQ(0, memcmp(big, val, sizeof(big)));
}

TEST_F(cmap, key_value_limits)
{
	static char key[CMAP_KEY_MAX + 1], val[CMAP_VALUE_MAX + 1];
	static char out[CMAP_VALUE_MAX];
	__u32 len;

	memset(key, 'K', sizeof(key));
	memset(val, 'V', sizeof(val));
	/* Zero-length key. */
	EXPECT_EQ(-EINVAL, libcmap_put(self->fd, key, 0, val, 1, 0));
	EXPECT_EQ(-EINVAL, libcmap_get(self->fd, key, 0, out, sizeof(out), &len));
	EXPECT_EQ(-EINVAL, libcmap_delete(self->fd, key, 0));
	/* One byte too long. */
	EXPECT_EQ(-E2BIG, libcmap_put(self->fd, key, CMAP_KEY_MAX + 1, val, 1, 0));
	EXPECT_EQ(-E2BIG, libcmap_get(self->fd, key, CMAP_KEY_MAX + 1, out, 1, &len));
	EXPECT_EQ(-E2BIG, libcmap_delete(self->fd, key, CMAP_KEY_MAX + 1));
	EXPECT_EQ(-E2BIG, libcmap_put(self->fd, key, 1, val, CMAP_VALUE_MAX + 1, 0));
	EXPECT_EQ(-E2BIG, libcmap_put(self->fd, key, 1, val, UINT32_MAX, 0));
	EXPECT_EQ(-E2BIG, libcmap_put(self->fd, key, UINT32_MAX, val, 1, 0));
	/* Exactly at the limits. */
	ASSERT_EQ(0, libcmap_put(self->fd, key, CMAP_KEY_MAX, val, CMAP_VALUE_MAX, 0));
	ASSERT_EQ(0, libcmap_get(self->fd, key, CMAP_KEY_MAX, out, sizeof(out), &len));
	ASSERT_EQ(CMAP_VALUE_MAX, len);
	ASSERT_EQ(0, memcmp(out, val, CMAP_VALUE_MAX));
	ASSERT_EQ(0, libcmap_delete(self->fd, key, CMAP_KEY_MAX));
}

TEST_F(cmap, bad_pointers)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *bad[] = { NULL, unmapped(), KERNEL_ADDR, NONCANON_ADDR };
	char *hole = page_then_hole(), *ro, val[8];
	__u32 len;
	size_t i;

	ASSERT_NE(NULL, hole);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		TH_LOG("pointer %p", bad[i]);
		EXPECT_EQ(-EFAULT, libcmap_put(self->fd, bad[i], 4, "v", 1, 0));
		EXPECT_EQ(-EFAULT, libcmap_put(self->fd, "k", 1, bad[i], 4, 0));
		EXPECT_EQ(-EFAULT, libcmap_get(self->fd, bad[i], 4, val, 8, &len));
		EXPECT_EQ(-EFAULT, libcmap_delete(self->fd, bad[i], 4));
		/* The argument structure itself. */
		EXPECT_EQ(-EFAULT, libcmap_ioctl(self->fd, CMAP_IOC_INFO, bad[i]));
		EXPECT_EQ(-EFAULT, libcmap_ioctl(self->fd, CMAP_IOC_PUT, bad[i]));
		EXPECT_EQ(-EFAULT, libcmap_ioctl(self->fd, CMAP_IOC_SCAN, bad[i]));
	}
	/* A key running off the end of the mapping. */
	memcpy(hole + pg - 2, "ab", 2);
	EXPECT_EQ(-EFAULT, libcmap_put(self->fd, hole + pg - 2, 4, "v", 1, 0));
	EXPECT_EQ(0, libcmap_put(self->fd, hole + pg - 2, 2, "v", 1, 0));
	/* A value buffer running off the end, and a read-only one. */
	ASSERT_EQ(0, libcmap_put(self->fd, "k", 1, "12345678", 8, 0));
	EXPECT_EQ(-EFAULT, libcmap_get(self->fd, "k", 1, hole + pg - 4, 8, &len));
	/* A read-only page, holding a valid STATS argument. */
	ro = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	((struct cmap_stats *)ro)->size = sizeof(struct cmap_stats);
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
	EXPECT_EQ(-EFAULT, libcmap_get(self->fd, "k", 1, ro + 512, 8, &len));
	/* An argument readable but not writable: STATS cannot write back. */
	EXPECT_EQ(-EFAULT, libcmap_ioctl(self->fd, CMAP_IOC_STATS, ro));
	/* An argument whose size is readable but that runs into the hole. */
	{
		struct cmap_info *in = (struct cmap_info *)(hole + pg - 8);

		in->size = sizeof(*in);
		in->flags = 0;
		EXPECT_EQ(-EFAULT, libcmap_ioctl(self->fd, CMAP_IOC_INFO, in));
	}
	/* Nothing was inserted by the failures above. */
	{
		struct cmap_stats st;

		ASSERT_EQ(0, libcmap_stats(self->fd, &st));
		EXPECT_EQ(2, st.entries);
	}
	munmap(ro, pg);
	munmap(hole, pg);
}

TEST_F(cmap, unaligned_pointers)
{
	char kbuf[32], vbuf[32], out[40], abuf[sizeof(struct cmap_put) + 1];
	struct cmap_put put = {
		.size = sizeof(put),
		.key = u64p(kbuf + 1), .key_len = 5,
		.value = u64p(vbuf + 3), .value_len = 7,
	};
	__u32 len;

	memcpy(kbuf + 1, "odd-k", 5);
	memcpy(vbuf + 3, "odd-val", 7);
	/* The structure itself at an odd address. */
	memcpy(abuf + 1, &put, sizeof(put));
	ASSERT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_PUT, abuf + 1));
	ASSERT_EQ(0, libcmap_get(self->fd, kbuf + 1, 5, out + 5, 7, &len));
	ASSERT_EQ(7, len);
	ASSERT_EQ(0, memcmp(out + 5, "odd-val", 7));
}

TEST_F(cmap, unknown_flags)
{
	struct cmap_get get = { .size = sizeof(get), .key = u64p("k"),
				.key_len = 1, .flags = 1 };
	struct cmap_delete del = { .size = sizeof(del), .key = u64p("k"),
				   .key_len = 1, .flags = 1U << 31 };
	struct cmap_batch b = { .size = sizeof(b), .flags = 1,
				.op_size = sizeof(struct cmap_batch_op) };
	struct cmap_scan sc = { .size = sizeof(sc), .flags = 1 };
	struct cmap_stats st = { .size = sizeof(st), .flags = 1 };
	struct cmap_info in = { .size = sizeof(in), .flags = 1 };
	struct cmap_clear cl = { .size = sizeof(cl), .flags = 1 };

	ASSERT_EQ(0, libcmap_put(self->fd, "k", 1, "v", 1, 0));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_GET, &get));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_DELETE, &del));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_GET, &b));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, &b));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_DELETE, &b));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_SCAN, &sc));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_STATS, &st));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_INFO, &in));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_CLEAR, &cl));
	/* The key survived the rejected DELETE and CLEAR. */
	EXPECT_EQ(0, exists(self->fd, "k", 1));
}

TEST_F(cmap, reserved_fields)
{
	struct cmap_get get = { .size = sizeof(get), .key = u64p("k"),
				.key_len = 1, .__reserved = 1 };
	struct cmap_delete del = { .size = sizeof(del), .key = u64p("k"),
				   .key_len = 1, .__reserved = 1 };

	ASSERT_EQ(0, libcmap_put(self->fd, "k", 1, "v", 1, 0));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_GET, &get));
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_DELETE, &del));
	EXPECT_EQ(0, exists(self->fd, "k", 1));
}

/* A PUT structure followed by 8 more bytes, as a newer caller sends it. */
struct put_v2 {
	struct cmap_put put;
	__u64 newer;
};

TEST_F(cmap, struct_sizes)
{
	struct put_v2 p = {
		.put = { .size = sizeof(p), .key = u64p("k"), .key_len = 1,
			 .value = u64p("v"), .value_len = 1 },
	};
	struct cmap_put small = p.put;
	long pg = sysconf(_SC_PAGESIZE);
	char *page = calloc(1, 2 * pg);

	ASSERT_NE(NULL, page);
	/* Larger, with a zero tail: works. With a non-zero tail: E2BIG. */
	EXPECT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_PUT, &p));
	p.newer = 1;
	p.put.key = u64p("n");
	EXPECT_EQ(-E2BIG, libcmap_ioctl(self->fd, CMAP_IOC_PUT, &p));
	EXPECT_EQ(-ENOENT, libcmap_get(self->fd, "n", 1, NULL, 0, NULL));
	/* Too small to hold the first version: EINVAL. */
	small.size = sizeof(small) - 4;
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_PUT, &small));
	small.size = 0;
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_PUT, &small));
	small.size = 4;
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_CLEAR, &small));
	/* Larger than a page: E2BIG, even with a zero tail. */
	memcpy(page, &small, sizeof(small));
	((struct cmap_put *)page)->size = pg + 8;
	EXPECT_EQ(-E2BIG, libcmap_ioctl(self->fd, CMAP_IOC_PUT, page));
	/* A page-sized zero-tailed structure is still fine. */
	small.size = pg;
	memcpy(page, &small, sizeof(small));
	EXPECT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_PUT, page));
	free(page);
}

TEST_F(cmap, older_output_structs)
{
	union {
		struct cmap_stats st;
		unsigned char raw[sizeof(struct cmap_stats)];
	} u;
	struct cmap_info in;
	size_t old = offsetof(struct cmap_stats, max_entries), i;

	ASSERT_EQ(0, libcmap_put(self->fd, "k", 1, "v", 1, 0));
	/* An older STATS: filled up to its size, nothing beyond. */
	memset(&u, 0xaa, sizeof(u));
	u.st.size = old;
	u.st.flags = 0;
	ASSERT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_STATS, &u.st));
	EXPECT_EQ(1, u.st.entries);
	for (i = old; i < sizeof(u); i++)
		ASSERT_EQ(0xaa, u.raw[i]);
	/* The oldest possible INFO: just the header. */
	memset(&in, 0xaa, sizeof(in));
	in.size = 8;
	in.flags = 0;
	ASSERT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_INFO, &in));
	EXPECT_EQ(0xaaaaaaaa, in.abi_version);
}

TEST_F(cmap, unknown_ioctl)
{
	struct cmap_get get = { .size = sizeof(get) };

	EXPECT_EQ(-ENOTTY, libcmap_ioctl(self->fd, _IOWR('x', CMAP_CMD_GET,
						    struct cmap_get), &get));
	EXPECT_EQ(-ENOTTY, libcmap_ioctl(self->fd, _IOWR(CMAP_IOC_MAGIC, 0x3f,
						    struct cmap_get), &get));
	EXPECT_EQ(-ENOTTY, libcmap_ioctl(self->fd, _IOWR(CMAP_IOC_MAGIC,
						    CMAP_CMD_CLEAR + 1,
						    struct cmap_get), &get));
	EXPECT_EQ(-ENOTTY, libcmap_ioctl(self->fd, _IOR(CMAP_IOC_MAGIC,
						   CMAP_CMD_GET,
						   struct cmap_get), &get));
	EXPECT_EQ(-ENOTTY, libcmap_ioctl(self->fd, _IOWR(CMAP_IOC_MAGIC,
						    CMAP_CMD_INFO,
						    struct cmap_info), &get));
	EXPECT_EQ(-ENOTTY, libcmap_ioctl(self->fd, 0, NULL));
}

/* The size of each command's structure, by command number. */
static const __u32 arg_sizes[] = {
	sizeof(struct cmap_info), sizeof(struct cmap_get),
	sizeof(struct cmap_put), sizeof(struct cmap_delete),
	sizeof(struct cmap_batch), sizeof(struct cmap_batch),
	sizeof(struct cmap_batch), sizeof(struct cmap_scan),
	sizeof(struct cmap_stats), sizeof(struct cmap_clear),
};

/*
 * Every command's number with any other direction or size bits is ENOTTY,
 * whatever the argument; the exact number still works. The argument is a
 * well-formed structure of the command (size set, the rest zero), so a
 * number the kernel took for the command would not return ENOTTY: INFO,
 * STATS, CLEAR and the empty batches would succeed, the others EINVAL.
 */
TEST_F(cmap, strict_ioctl_numbers)
{
	static const unsigned int sizes[] = { 0, 1, 8, 16, 0x3fff };
	union {
		__u32 size;
		__u64 raw[64];
	} arg;
	unsigned int nr, dir, i, n = 0;

	ASSERT_EQ(CMAP_CMD_CLEAR + 1, sizeof(arg_sizes) / sizeof(arg_sizes[0]));
	ASSERT_EQ(0, libcmap_put(self->fd, "k", 1, "v", 1, 0));
	for (nr = 0; nr <= CMAP_CMD_CLEAR; nr++) {
		for (dir = 0; dir < 4; dir++) {
			for (i = 0; i <= sizeof(sizes) / sizeof(sizes[0]); i++) {
				__u32 sz = i < sizeof(sizes) / sizeof(sizes[0]) ?
					   sizes[i] : arg_sizes[nr];
				unsigned long cmd = _IOC(dir, CMAP_IOC_MAGIC, nr, sz);

				if (!dir && !sz)
					continue;	/* the command itself */
				memset(&arg, 0, sizeof(arg));
				arg.size = arg_sizes[nr];
				EXPECT_EQ(-ENOTTY, libcmap_ioctl(self->fd, cmd, &arg))
					TH_LOG("nr %u dir %u size %u", nr, dir, sz);
				n++;
			}
		}
		/* The exact number is the command (INFO: success). */
		if (nr == CMAP_CMD_INFO) {
			memset(&arg, 0, sizeof(arg));
			arg.size = arg_sizes[nr];
			EXPECT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_INFO, &arg));
		}
	}
	/* The numbers of the first draft of ABI 1 (_IOWR) are gone too. */
	EXPECT_EQ(-ENOTTY, libcmap_ioctl(self->fd, _IOWR(CMAP_IOC_MAGIC,
				CMAP_CMD_CLEAR, struct cmap_clear), &arg));
	EXPECT_EQ(CMAP_IOC_CLEAR, _IO(CMAP_IOC_MAGIC, CMAP_CMD_CLEAR));
	/* No variant reached CLEAR. */
	EXPECT_EQ(0, exists(self->fd, "k", 1));
	TH_LOG("%u other numbers refused", n);
}

/* INFO and STATS take a shorter structure, but not a member cut in two. */
TEST_F(cmap, output_struct_sizes)
{
	static const __u32 info_ok[] = { 8, 12, 16, 20, 24, 32, 40, 48 };
	static const __u32 info_bad[] = { 9, 10, 11, 13, 22, 28, 36, 44, 47 };
	union {
		struct cmap_info in;
		struct cmap_stats st;
		unsigned char raw[sizeof(struct cmap_stats) + 8];
	} u;
	__u32 i, size;

	for (i = 0; i < sizeof(info_ok) / sizeof(info_ok[0]); i++) {
		memset(&u, 0xaa, sizeof(u));
		u.in.size = info_ok[i];
		u.in.flags = 0;
		EXPECT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_INFO, &u))
			TH_LOG("INFO size %u", info_ok[i]);
		EXPECT_EQ(0xaa, u.raw[info_ok[i]]);
	}
	for (i = 0; i < sizeof(info_bad) / sizeof(info_bad[0]); i++) {
		memset(&u, 0xaa, sizeof(u));
		u.in.size = info_bad[i];
		u.in.flags = 0;
		EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_INFO, &u))
			TH_LOG("INFO size %u", info_bad[i]);
		EXPECT_EQ(0xaa, u.raw[8]);	/* nothing written back */
	}
	/* (Past the kernel's size, the 0xaa tail would be E2BIG.) */
	for (size = 8; size <= sizeof(struct cmap_stats); size++) {
		int want = size % 8 ? -EINVAL : 0;

		memset(&u, 0xaa, sizeof(u));
		u.st.size = size;
		u.st.flags = 0;
		EXPECT_EQ(want, libcmap_ioctl(self->fd, CMAP_IOC_STATS, &u))
			TH_LOG("STATS size %u", size);
		if (size < sizeof(u.raw))
			EXPECT_EQ(0xaa, u.raw[size]);
	}
}

TEST_F(cmap, readonly_file)
{
	int ro = libcmap_open(device(), O_RDONLY);
	struct cmap_stats st;
	__u32 count = 0;

	ASSERT_LE(0, ro);
	ASSERT_EQ(0, libcmap_put(self->fd, "k", 1, "v", 1, 0));
	EXPECT_EQ(0, exists(ro, "k", 1));
	EXPECT_EQ(0, libcmap_stats(ro, &st));
	EXPECT_EQ(-EBADF, libcmap_put(ro, "k", 1, "w", 1, 0));
	EXPECT_EQ(-EBADF, libcmap_delete(ro, "k", 1));
	EXPECT_EQ(-EBADF, libcmap_clear(ro));
	EXPECT_EQ(-EBADF, libcmap_batch_put(ro, NULL, &count));
	EXPECT_EQ(-EBADF, libcmap_batch_delete(ro, NULL, &count));
	close(ro);
}

/* A batch argument followed by 8 more bytes, as a newer caller sends it. */
struct batch_v2 {
	struct cmap_batch b;
	__u64 newer;
};

/*
 * A batch refused before its first operation says count 0 (where to
 * resume), not the count it was given: EBADF, then EINVAL and E2BIG for the
 * argument's size, flags and element size. None of the five operations ran.
 */
TEST_F(cmap, batch_refused_count)
{
	struct cmap_batch_op ops[5];
	char keys[5][KEYLEN + 1];
	long pg = sysconf(_SC_PAGESIZE);
	char *page = calloc(1, 2 * pg);
	struct batch_v2 v2;
	struct cmap_batch b, *pb;
	__u32 count = 5;
	int ro = libcmap_open(device(), O_RDONLY), i;

	ASSERT_NE(NULL, page);
	ASSERT_LE(0, ro);
	for (i = 0; i < 5; i++) {
		mkkey(keys[i], i);
		ops[i] = (struct cmap_batch_op) { .key = u64p(keys[i]),
			.key_len = KEYLEN, .value = u64p("v"), .value_len = 1 };
	}
#define FRESH(x) ((x) = (struct cmap_batch) { .size = sizeof(x),	\
		.ops = u64p(ops), .count = 5, .op_size = sizeof(ops[0]) })
	/* Read-only file: EBADF, through libcmap and directly. */
	EXPECT_EQ(-EBADF, libcmap_batch_put(ro, ops, &count));
	EXPECT_EQ(0, count);
	FRESH(b);
	EXPECT_EQ(-EBADF, libcmap_ioctl(ro, CMAP_IOC_BATCH_DELETE, &b));
	EXPECT_EQ(0, b.count);
	close(ro);
	/* Unknown flags. */
	FRESH(b);
	b.flags = 1;
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, &b));
	EXPECT_EQ(0, b.count);
	/* A size that reaches count but not op_size. */
	FRESH(b);
	b.size = offsetof(struct cmap_batch, op_size);
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, &b));
	EXPECT_EQ(0, b.count);
	/* A size that does not even reach count: count is not written. */
	FRESH(b);
	b.size = offsetof(struct cmap_batch, count);
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, &b));
	EXPECT_EQ(5, b.count);
	/* Elements too small, and larger than a page. */
	FRESH(b);
	b.op_size = sizeof(ops[0]) - 4;
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, &b));
	EXPECT_EQ(0, b.count);
	FRESH(b);
	b.op_size = pg + 8;
	EXPECT_EQ(-E2BIG, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, &b));
	EXPECT_EQ(0, b.count);
	/* A larger structure with a non-zero unknown tail. */
	FRESH(v2.b);
	v2.b.size = sizeof(v2);
	v2.newer = 1;
	EXPECT_EQ(-E2BIG, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, &v2));
	EXPECT_EQ(0, v2.b.count);
	/* A size larger than a page. */
	pb = (struct cmap_batch *)page;
	FRESH(*pb);
	pb->size = pg + 8;
	EXPECT_EQ(-E2BIG, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, pb));
	EXPECT_EQ(0, pb->count);
#undef FRESH
	for (i = 0; i < 5; i++)
		EXPECT_EQ(-ENOENT, exists(self->fd, keys[i], KEYLEN));
	free(page);
}

TEST_F(cmap, batch_ops)
{
	enum { N = 300 };
	struct cmap_batch_op ops[N];
	char keys[N][KEYLEN + 1], vals[N][16], want[16];
	__u32 count = N, i;

	ASSERT_EQ(0, put_range(self->fd, 0, N, CMAP_PUT_NOEXIST));
	for (i = 0; i < N; i++) {
		mkkey(keys[i], i);
		ops[i] = (struct cmap_batch_op) {
			.key = u64p(keys[i]), .key_len = KEYLEN,
			.value = u64p(vals[i]), .value_size = sizeof(vals[i]),
		};
	}
	ASSERT_EQ(0, libcmap_batch_get(self->fd, ops, &count));
	ASSERT_EQ(N, count);
	for (i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "v%u", i);
		ASSERT_EQ(strlen(want), ops[i].value_len);
		ASSERT_EQ(0, memcmp(vals[i], want, ops[i].value_len));
	}
	/* The same array deletes: DELETE ignores the value members. */
	count = N;
	ASSERT_EQ(0, libcmap_batch_delete(self->fd, ops, &count));
	ASSERT_EQ(N, count);
	count = 0;
	ASSERT_EQ(0, libcmap_batch_get(self->fd, NULL, &count));
	ASSERT_EQ(0, count);
	ASSERT_EQ(0, libcmap_batch_put(self->fd, NULL, &count));
	count = 1;
	ASSERT_EQ(-EFAULT, libcmap_batch_put(self->fd, NULL, &count));
	ASSERT_EQ(0, count);
}

/* Ten operations on key-00000000..9 for the partial-failure tests. */
static void ten_ops(struct cmap_batch_op *ops, char (*keys)[KEYLEN + 1],
		    char (*vals)[16], __u32 flags)
{
	int i;

	for (i = 0; i < 10; i++) {
		mkkey(keys[i], i);
		ops[i] = (struct cmap_batch_op) {
			.key = u64p(keys[i]), .key_len = KEYLEN,
			.value = u64p(vals[i]), .value_len = 2,
			.value_size = 16, .flags = flags,
		};
	}
}

TEST_F(cmap, batch_partial_failure)
{
	struct cmap_batch_op ops[10];
	char keys[10][KEYLEN + 1], vals[10][16] = { "x" };
	struct cmap_stats st;
	__u32 count;
	int i;

	/* PUT NOEXIST stops at the key that exists: 5 done. */
	ASSERT_EQ(0, put_range(self->fd, 5, 1, 0));
	ten_ops(ops, keys, vals, CMAP_PUT_NOEXIST);
	count = 10;
	ASSERT_EQ(-EEXIST, libcmap_batch_put(self->fd, ops, &count));
	ASSERT_EQ(5, count);
	ASSERT_EQ(0, libcmap_stats(self->fd, &st));
	ASSERT_EQ(6, st.entries);
	for (i = 6; i < 10; i++)
		ASSERT_EQ(-ENOENT, libcmap_get(self->fd, keys[i], KEYLEN, NULL, 0, NULL));
	for (i = 0; i < 10; i++)
		ops[i].flags = 0;

	/* GET stops at the absent key 6. */
	count = 10;
	ASSERT_EQ(-ENOENT, libcmap_batch_get(self->fd, ops, &count));
	ASSERT_EQ(6, count);

	/* GET stops where the buffer is too small, and says the size. */
	ops[2].value_size = 1;
	count = 10;
	ASSERT_EQ(-ENOSPC, libcmap_batch_get(self->fd, ops, &count));
	ASSERT_EQ(2, count);
	ASSERT_EQ(2, ops[2].value_len);
	ops[2].value_size = 16;

	/* A bad key pointer in element 4. */
	ops[4].key = 0;
	count = 10;
	ASSERT_EQ(-EFAULT, libcmap_batch_get(self->fd, ops, &count));
	ASSERT_EQ(4, count);
	ops[4].key = u64p(keys[4]);

	/* Invalid flags in element 1 (GET takes none). */
	ops[1].flags = CMAP_PUT_NOEXIST;
	count = 10;
	ASSERT_EQ(-EINVAL, libcmap_batch_get(self->fd, ops, &count));
	ASSERT_EQ(1, count);
	ops[1].flags = 0;

	/* Oversized key in element 3 of a DELETE: keys 0..2 deleted. */
	ops[3].key_len = CMAP_KEY_MAX + 1;
	count = 10;
	ASSERT_EQ(-E2BIG, libcmap_batch_delete(self->fd, ops, &count));
	ASSERT_EQ(3, count);
	ASSERT_EQ(-ENOENT, libcmap_get(self->fd, keys[2], KEYLEN, NULL, 0, NULL));
	ASSERT_EQ(0, exists(self->fd, keys[3], KEYLEN));
	ops[3].key_len = KEYLEN;

	/* DELETE stops at the first absent key (0 is gone). */
	count = 10;
	ASSERT_EQ(-ENOENT, libcmap_batch_delete(self->fd, ops, &count));
	ASSERT_EQ(0, count);
}

/* Batch elements as a newer caller lays them out: 8 bytes longer. */
struct op_v2 {
	struct cmap_batch_op op;
	__u64 newer;
};

TEST_F(cmap, batch_op_size)
{
	struct op_v2 ops[4] = {};
	struct cmap_batch b = { .size = sizeof(b), .ops = u64p(ops),
				.count = 4, .op_size = sizeof(ops[0]) };
	char keys[4][KEYLEN + 1];
	int i;

	for (i = 0; i < 4; i++) {
		mkkey(keys[i], i);
		ops[i].op.key = u64p(keys[i]);
		ops[i].op.key_len = KEYLEN;
		ops[i].op.value = u64p("v");
		ops[i].op.value_len = 1;
	}
	ASSERT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_PUT, &b));
	ASSERT_EQ(4, b.count);
	/* A non-zero unknown tail in element 2. */
	ops[2].newer = 1;
	b.count = 4;
	ASSERT_EQ(-E2BIG, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_DELETE, &b));
	ASSERT_EQ(2, b.count);
	/* Elements smaller than the first version; larger than a page. */
	b.count = 4;
	b.op_size = sizeof(struct cmap_batch_op) - 4;
	EXPECT_EQ(-EINVAL, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_DELETE, &b));
	EXPECT_EQ(0, b.count);
	b.count = 4;
	b.op_size = sysconf(_SC_PAGESIZE) + 8;
	EXPECT_EQ(-E2BIG, libcmap_ioctl(self->fd, CMAP_IOC_BATCH_DELETE, &b));
	ASSERT_EQ(0, exists(self->fd, keys[3], KEYLEN));
}

/* Scan the whole map, calling @between(ctx) after every call. */
static int scan_all(int fd, __u32 bufsize, unsigned char *seen,
		    unsigned int nseen, unsigned long *records,
		    void (*between)(int fd, void *ctx), void *ctx)
{
	unsigned char *buf = malloc(bufsize);
	struct libcmap_rec rec;
	__u32 used, count, off;
	__u64 cursor = 0;
	bool done = false;
	int err = 0;

	*records = 0;
	while (buf && !done) {
		err = libcmap_scan(fd, &cursor, buf, bufsize, &used, &count,
				   &done);
		if (err == -ENOSPC) {
			unsigned char *nb = realloc(buf, used);

			if (!nb || used <= bufsize)
				break;
			buf = nb;
			bufsize = used;
			continue;
		}
		if (err)
			break;
		for (off = 0; libcmap_scan_next(buf, used, &off, &rec) > 0;) {
			char k[KEYLEN + 1] = "";
			unsigned int i;

			(*records)++;
			count--;
			if (rec.key_len != KEYLEN)
				continue;
			memcpy(k, rec.key, KEYLEN);
			if (sscanf(k, KEYFMT, &i) == 1 && i < nseen &&
			    seen[i] < 255)
				seen[i]++;
		}
		if (count) {
			err = -EPROTO;	/* out_count disagrees with buffer */
			break;
		}
		if (between)
			between(fd, ctx);
	}
	free(buf);
	return buf ? err : -ENOMEM;
}

TEST_F(cmap, scan_basic)
{
	enum { N = 1000 };
	unsigned char seen[N] = {};
	unsigned long records;
	int i;

	ASSERT_EQ(0, scan_all(self->fd, 4096, seen, N, &records, NULL, NULL));
	ASSERT_EQ(0, records);
	ASSERT_EQ(0, put_range(self->fd, 0, N, 0));
	ASSERT_EQ(0, scan_all(self->fd, 4096, seen, N, &records, NULL, NULL));
	ASSERT_EQ(N, records);
	for (i = 0; i < N; i++) {
		int n = seen[i];

		ASSERT_EQ(1, n) TH_LOG("key %d seen %d times", i, n);
	}
}

TEST_F(cmap, scan_enospc)
{
	static char val[CMAP_VALUE_MAX];
	unsigned char *buf = malloc(2 * CMAP_VALUE_MAX);
	struct cmap_scan sc = { .size = sizeof(sc) };
	__u32 need;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, libcmap_put(self->fd, "big", 3, val, sizeof(val), 0));
	/* No bucket fits in 64 bytes: ENOSPC, the size needed, same cursor. */
	sc.buf = u64p(buf);
	sc.buf_size = 64;
	ASSERT_EQ(-ENOSPC, libcmap_ioctl(self->fd, CMAP_IOC_SCAN, &sc));
	need = sc.out_used;
	ASSERT_LE(sizeof(struct cmap_scan_rec) + 3 + CMAP_VALUE_MAX, need);
	ASSERT_EQ(0, sc.cursor);
	sc.buf_size = 0;
	sc.buf = 0;
	ASSERT_EQ(-ENOSPC, libcmap_ioctl(self->fd, CMAP_IOC_SCAN, &sc));
	ASSERT_EQ(need, sc.out_used);
	/* A bad buffer: EFAULT, and the cursor does not move. */
	sc.buf = u64p(unmapped());
	sc.buf_size = need;
	ASSERT_EQ(-EFAULT, libcmap_ioctl(self->fd, CMAP_IOC_SCAN, &sc));
	ASSERT_EQ(0, sc.cursor);
	/* The size asked for is enough; go on until done. */
	sc.buf = u64p(buf);
	sc.out_count = 0;
	{
		unsigned long total = 0;

		do {
			ASSERT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_SCAN, &sc));
			total += sc.out_count;
		} while (!(sc.out_flags & CMAP_SCAN_DONE));
		ASSERT_EQ(1, total);
	}
	/* A finished cursor stays finished. */
	ASSERT_EQ(0, libcmap_ioctl(self->fd, CMAP_IOC_SCAN, &sc));
	ASSERT_EQ(0, sc.out_count);
	ASSERT_NE(0, sc.out_flags & CMAP_SCAN_DONE);
	free(buf);
}

/* SCAN from @cursor into a small buffer: the ioctl's result. */
static int scan_at(int fd, __u64 cursor, __u32 *count)
{
	__u64 buf[64];
	struct cmap_scan sc = {
		.size = sizeof(sc),
		.cursor = cursor,
		.buf = u64p(buf),
		.buf_size = sizeof(buf),
		.out_count = 99,
	};
	int err = libcmap_ioctl(fd, CMAP_IOC_SCAN, &sc);

	*count = sc.out_count;
	return err;
}

/* Cursors are sealed: altered and forged ones are EINVAL, nothing read. */
TEST_F(cmap, scan_cursor_sealed)
{
	__u64 buf[64], cursor = 0, c;
	__u32 used, count, seed = 12345;
	unsigned int i, accepted = 0;
	bool done = false;

	ASSERT_EQ(0, put_range(self->fd, 0, 300, 0));
	/* a cursor in the middle of a scan */
	ASSERT_EQ(0, libcmap_scan(self->fd, &cursor, buf, sizeof(buf), &used,
				  &count, &done));
	ASSERT_FALSE(done);
	ASSERT_NE(0, cursor);
	ASSERT_EQ(0, scan_at(self->fd, cursor, &count));
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(-EINVAL, scan_at(self->fd, cursor ^ (1ULL << i),
					   &count))
			TH_LOG("cursor %#llx with bit %u flipped accepted",
			       (unsigned long long)cursor, i);
		EXPECT_EQ(0, count);
	}
	/* what a cursor used to be: a position in the hash space */
	EXPECT_EQ(-EINVAL, scan_at(self->fd, 1ULL << 28, &count));
	EXPECT_EQ(-EINVAL, scan_at(self->fd, 1ULL << 31, &count));
	EXPECT_EQ(-EINVAL, scan_at(self->fd, (1ULL << 32) - 1, &count));
	EXPECT_EQ(-EINVAL, scan_at(self->fd, ~0ULL, &count));
	for (i = 0; i < 2000; i++) {
		seed = seed * 1103515245 + 12345;
		c = (__u64)seed << 32;
		seed = seed * 1103515245 + 12345;
		c |= seed;
		accepted += scan_at(self->fd, c, &count) != -EINVAL;
	}
	EXPECT_LE(accepted, 1);		/* 2^-31 each */
	/* the genuine cursor still finishes the scan */
	while (!done)
		ASSERT_EQ(0, libcmap_scan(self->fd, &cursor, buf, sizeof(buf),
					  &used, &count, &done));
}

/*
 * Check one scan buffer: records as the header says, padding bytes zero,
 * and nothing written past @used (the caller filled the buffer with 0xa5).
 * Returns the first offset that is wrong, or -1.
 */
static long scan_buf_bad(const unsigned char *buf, __u32 used, __u32 count,
			 __u32 size)
{
	struct cmap_scan_rec r;
	__u32 off = 0, end, i;

	for (; count; count--) {
		if (used - off < sizeof(r))
			return off;
		memcpy(&r, buf + off, sizeof(r));
		end = off + sizeof(r) + r.key_len + r.value_len;
		if (end > used || end < off)
			return off;
		for (i = end; i < ((end + 7) & ~7U); i++)
			if (i >= used || buf[i])
				return i;
		off = (end + 7) & ~7U;
	}
	if (off != used)
		return off;
	for (i = used; i < size; i++)
		if (buf[i] != 0xa5)
			return i;
	return -1;
}

/* A thread that forces grows and shrinks: keys [base, base + n) come and go. */
struct resizer {
	int fd;
	unsigned int base, n;
	volatile bool stop;
	unsigned long rounds;
	int err;
};

static void *resizer_thread(void *arg)
{
	struct resizer *z = arg;

	while (!z->stop && !z->err) {
		z->err = put_range(z->fd, z->base, z->n, CMAP_PUT_NOEXIST);
		if (!z->err)
			z->err = del_range(z->fd, z->base, z->n);
		__atomic_fetch_add(&z->rounds, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Put keys of 1..24 bytes with values of 0..13 bytes: most records pad. */
static int put_odd(int fd, unsigned int n)
{
	char key[32], val[16];
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		int kl = snprintf(key, sizeof(key), "o%u-%.*s", i, (int)(i % 17),
				  "zzzzzzzzzzzzzzzzz");

		memset(val, 'p' + i % 7, sizeof(val));
		err = libcmap_put(fd, key, kl, val, i % 14, 0);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The padding between scan records is zero, and nothing lands in the
 * buffer past out_used, also while resizes make walks restart and ranges
 * be written again (the kernel's bounce buffer is not zeroed: the records
 * themselves must be). Buffer sizes from 8 bytes up, so that ENOSPC and
 * ranges that wait for the next call come in too.
 */
TEST_F_TIMEOUT(cmap, scan_padding_zero, 300)
{
	static const __u32 bufsizes[] = { 8, 24, 100, 512, 4096 };
	struct resizer z = { .fd = self->fd, .base = 100000, .n = 3000 };
	unsigned char *buf = malloc(1 << 16);
	unsigned long calls = 0, records = 0;
	pthread_t th;
	time_t end;
	int k = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, put_odd(self->fd, 700));
	ASSERT_EQ(0, pthread_create(&th, NULL, resizer_thread, &z));
	end = time(NULL) + 3;
	while (time(NULL) < end || z.rounds < 2) {
		__u32 base = bufsizes[k++ % 5], size = base, used = 0, count;
		__u64 cursor = 0;
		bool done = false;
		int err = 0;
		long bad;

		while (!done && !z.err) {
			memset(buf, 0xa5, 1 << 16);
			err = libcmap_scan(self->fd, &cursor, buf, size, &used,
					   &count, &done);
			calls++;
			if (err == -ENOSPC && used <= 1 << 16) {
				size = used;	/* this bucket needs more */
				continue;
			}
			ASSERT_EQ(0, err);
			bad = scan_buf_bad(buf, used, count, 1 << 16);
			ASSERT_EQ(-1, bad)
				TH_LOG("byte %ld of %u (%u records, buffer %u)",
				       bad, used, count, size);
			records += count;
			size = base;
		}
		if (time(NULL) > end + 60)
			break;
	}
	z.stop = true;
	pthread_join(th, NULL);
	ASSERT_EQ(0, z.err);
	TH_LOG("%lu scan calls, %lu records, %lu resize rounds", calls,
	       records, z.rounds);
	free(buf);
}

/*
 * On ENOSPC, out_used is the size of the records of the next hash value
 * with entries (a buffer of 8 bytes fits none), without the duplicates a
 * scan drops: an entry moving to the future table while it is walked is
 * met twice. The key set does not change while this is checked: one
 * thread replaces values with ones of the same length (each replacement
 * migrates its key's bucket, so moves race the scan), and the test itself
 * doubles the keys before each scan, so the table grows during it. A call
 * with exactly out_used bytes then succeeds and returns exactly out_used
 * bytes: the records of that hash value and nothing else (no entry lies
 * between the cursor and it, and any other record takes 16 bytes or more).
 */
struct replacer {
	int fd;
	unsigned int n;
	volatile bool stop;
	unsigned long puts;
	int err;
};

static void *replacer_thread(void *arg)
{
	struct replacer *p = arg;
	char key[KEYLEN + 1], val[64];
	unsigned int i = 0;

	memset(val, 'r', sizeof(val));
	while (!p->stop && !p->err) {
		/* (n is far below 10^8: 8 digits, as KEYFMT has) */
		mkkey(key, i++ % __atomic_load_n(&p->n, __ATOMIC_RELAXED) %
			   100000000U);
		p->err = libcmap_put(p->fd, key, KEYLEN, val, sizeof(val),
				     CMAP_PUT_EXIST);
		p->puts++;
	}
	return NULL;
}

static int put_vals(int fd, unsigned int first, unsigned int n)
{
	char key[KEYLEN + 1], val[64];
	unsigned int i;
	int err;

	memset(val, 'r', sizeof(val));
	for (i = first; i < first + n; i++) {
		mkkey(key, i);
		err = libcmap_put(fd, key, KEYLEN, val, sizeof(val), 0);
		if (err)
			return err;
	}
	return 0;
}

TEST_F_TIMEOUT(cmap, scan_enospc_exact, 300)
{
	struct replacer p = { .fd = self->fd };
	unsigned char *buf = malloc(1 << 16);
	unsigned long pairs = 0;
	struct cmap_stats st0, st1;
	unsigned int n = 0, round;
	pthread_t th;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, put_vals(self->fd, 0, 64));
	n = 64;
	p.n = n;
	ASSERT_EQ(0, libcmap_stats(self->fd, &st0));
	ASSERT_EQ(0, pthread_create(&th, NULL, replacer_thread, &p));
	for (round = 0; round < 5 && !p.err; round++) {
		__u64 cursor = 0;
		bool done = false;

		/* Double the keys: the table grows while the scan runs. */
		ASSERT_EQ(0, put_vals(self->fd, n, n));
		n *= 2;
		__atomic_store_n(&p.n, n, __ATOMIC_RELAXED);
		while (!done) {
			__u32 need, used, count;
			__u64 at = cursor;
			int err;

			err = libcmap_scan(self->fd, &cursor, buf, 8, &used,
					   &count, &done);
			if (!err)
				continue;	/* empty buckets */
			ASSERT_EQ(-ENOSPC, err);
			need = used;
			ASSERT_LE(need, 1 << 16);
			memset(buf, 0xa5, 1 << 16);
			err = libcmap_scan(self->fd, &cursor, buf, need, &used,
					   &count, &done);
			ASSERT_EQ(0, err)
				TH_LOG("cursor %#llx: ENOSPC said %u bytes, not enough",
				       (unsigned long long)at, need);
			ASSERT_EQ(need, used)
				TH_LOG("cursor %#llx: ENOSPC said %u bytes, the entries took %u",
				       (unsigned long long)at, need, used);
			ASSERT_EQ(-1, scan_buf_bad(buf, used, count, 1 << 16));
			pairs++;
		}
	}
	p.stop = true;
	pthread_join(th, NULL);
	ASSERT_EQ(0, p.err);
	ASSERT_EQ(0, libcmap_stats(self->fd, &st1));
	TH_LOG("%lu ENOSPC sizes checked, %lu replacements, %llu grows",
	       pairs, p.puts,
	       (unsigned long long)(st1.grows - st0.grows));
	EXPECT_LT(0, pairs);
	EXPECT_LT(st0.grows, st1.grows);
	free(buf);
}

struct churn {
	unsigned int calls;
	unsigned int phases;	/* grows and shrinks still to force */
	unsigned int base;	/* keys [0, base) stay for the whole scan */
	unsigned int extra;	/* keys [base, base + extra) come and go */
	bool present;
	int err;
};

/* Every few scan calls, insert (grow) or delete (shrink) the extra keys. */
static void churn(int fd, void *ctx)
{
	struct churn *c = ctx;

	if (c->err || !c->phases || ++c->calls % 4)
		return;
	c->phases--;
	if (c->present)
		c->err = del_range(fd, c->base, c->extra);
	else
		c->err = put_range(fd, c->base, c->extra, CMAP_PUT_NOEXIST);
	c->present = !c->present;
}

TEST_F_TIMEOUT(cmap, scan_exactly_once_across_resizes, 300)
{
	enum { BASE = 500, EXTRA = 6000 };
	struct churn c = { .base = BASE, .extra = EXTRA };
	unsigned char *seen = calloc(BASE + EXTRA, 1);
	struct cmap_stats before, after;
	unsigned long records;
	int i, round;

	ASSERT_NE(NULL, seen);
	ASSERT_EQ(0, put_range(self->fd, 0, BASE, 0));
	ASSERT_EQ(0, libcmap_stats(self->fd, &before));
	for (round = 0; round < 2; round++) {
		/* Six grows and six shrinks during the scan. */
		c.phases = 12;
		c.calls = 0;
		memset(seen, 0, BASE + EXTRA);
		ASSERT_EQ(0, scan_all(self->fd, 256 << (2 * round), seen, BASE + EXTRA,
				      &records, churn, &c));
		ASSERT_EQ(0, c.err);
		for (i = 0; i < BASE + EXTRA; i++) {
			int n = seen[i];

			if (i < BASE) {
				ASSERT_EQ(1, n)
					TH_LOG("round %d: key %d seen %d times",
					       round, i, n);
			} else {
				ASSERT_GE(1, n)
					TH_LOG("round %d: extra key %d seen %d times",
					       round, i, n);
			}
		}
		TH_LOG("round %d: %u scan calls, %lu records", round, c.calls,
		       records);
	}
	ASSERT_EQ(0, libcmap_stats(self->fd, &after));
	TH_LOG("grows %llu -> %llu, shrinks %llu -> %llu",
	       (unsigned long long)before.grows, (unsigned long long)after.grows,
	       (unsigned long long)before.shrinks,
	       (unsigned long long)after.shrinks);
	EXPECT_LT(before.grows, after.grows);
	if (self->info.features & CMAP_FEAT_SHRINK)
		EXPECT_LT(before.shrinks, after.shrinks);
	free(seen);
}

/* A thread that inserts and deletes keys [base, base + extra) until told. */
struct churner {
	int fd;
	unsigned int base, extra;
	volatile bool stop;
	unsigned long rounds;
	int err;
};

static void *churn_thread(void *arg)
{
	struct churner *c = arg;

	while (!c->stop && !c->err) {
		c->err = put_range(c->fd, c->base, c->extra, CMAP_PUT_NOEXIST);
		if (!c->err)
			c->err = del_range(c->fd, c->base, c->extra);
		__atomic_fetch_add(&c->rounds, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F_TIMEOUT(cmap, scan_exactly_once_with_concurrent_resizes, 300)
{
	enum { BASE = 500, EXTRA = 4000 };
	struct churner c = { .fd = self->fd, .base = BASE, .extra = EXTRA };
	unsigned char *seen = calloc(BASE + EXTRA, 1);
	unsigned long records;
	pthread_t th;
	int i, round, err;

	ASSERT_NE(NULL, seen);
	ASSERT_EQ(0, put_range(self->fd, 0, BASE, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, churn_thread, &c));
	/* Scan again and again until the table grew and shrank 4 times. */
	for (round = 0; round < 500 && (round < 3 ||
	     __atomic_load_n(&c.rounds, __ATOMIC_RELAXED) < 4); round++) {
		memset(seen, 0, BASE + EXTRA);
		err = scan_all(self->fd, 512, seen, BASE + EXTRA, &records,
			       NULL, NULL);
		if (err)
			break;
		for (i = 0; i < BASE + EXTRA; i++) {
			int n = seen[i];

			if (i < BASE && n != 1)
				break;
			if (i >= BASE && n > 1)
				break;
		}
		if (i < BASE + EXTRA)
			break;
	}
	c.stop = true;
	pthread_join(th, NULL);
	ASSERT_EQ(0, err);
	ASSERT_EQ(0, c.err);
	ASSERT_EQ(BASE + EXTRA, i)
		TH_LOG("round %d: key %d seen %d times", round, i, seen[i]);
	TH_LOG("%d scans during %lu insert/delete rounds", round, c.rounds);
	free(seen);
}

struct writer {
	int fd;
	unsigned int first, n;
	int err;
};

static void *writer_thread(void *arg)
{
	struct writer *w = arg;

	w->err = put_range(w->fd, w->first, w->n, CMAP_PUT_NOEXIST);
	return NULL;
}

TEST_F_TIMEOUT(cmap, concurrent_writers, 300)
{
	enum { THREADS = 4, EACH = 2000 };
	struct writer w[THREADS];
	unsigned char *seen = calloc(THREADS * EACH, 1);
	unsigned long records;
	struct cmap_stats st;
	pthread_t th[THREADS];
	int i;

	ASSERT_NE(NULL, seen);
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct writer) { .fd = self->fd, .first = i * EACH,
					 .n = EACH };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, writer_thread, &w[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, w[i].err);
	}
	ASSERT_EQ(0, libcmap_stats(self->fd, &st));
	EXPECT_EQ(THREADS * EACH, st.entries);
	ASSERT_EQ(0, scan_all(self->fd, 4096, seen, THREADS * EACH, &records,
			      NULL, NULL));
	EXPECT_EQ(THREADS * EACH, records);
	for (i = 0; i < THREADS * EACH; i++) {
		int n = seen[i];

		ASSERT_EQ(1, n) TH_LOG("key %d seen %d times", i, n);
	}
	free(seen);
}

TEST_F(cmap, stats)
{
	struct cmap_stats st;
	__u64 sum = 0;
	int i;

	ASSERT_EQ(0, libcmap_stats(self->fd, &st));
	EXPECT_EQ(0, st.entries);
	ASSERT_EQ(0, put_range(self->fd, 0, 500, 0));
	ASSERT_EQ(0, libcmap_stats(self->fd, &st));
	EXPECT_EQ(500, st.entries);
	EXPECT_LT(0, st.bytes);
	EXPECT_LE(16, st.buckets);
	EXPECT_EQ(0, st.buckets & (st.buckets - 1));
	EXPECT_LE(1, st.max_chain);
	for (i = 0; i < CMAP_STATS_CHAIN_HIST; i++)
		sum += st.chain_hist[i];
	EXPECT_LT(0, sum);
	EXPECT_EQ(self->info.max_entries, st.max_entries);
	EXPECT_EQ(self->info.max_bytes, st.max_bytes);
	if (st.max_bytes)
		EXPECT_GE(st.max_bytes, st.bytes);
}

TEST_F(cmap, clear)
{
	unsigned char seen[1];
	unsigned long records;
	struct cmap_stats st;

	ASSERT_EQ(0, put_range(self->fd, 0, 700, 0));
	ASSERT_EQ(0, libcmap_clear(self->fd));
	ASSERT_EQ(0, libcmap_stats(self->fd, &st));
	EXPECT_EQ(0, st.entries);
	EXPECT_EQ(-ENOENT, libcmap_get(self->fd, "key-00000007", KEYLEN,
				       NULL, 0, NULL));
	ASSERT_EQ(0, scan_all(self->fd, 4096, seen, 0, &records, NULL, NULL));
	EXPECT_EQ(0, records);
	/* Usable again after a clear. */
	ASSERT_EQ(0, put_range(self->fd, 0, 10, CMAP_PUT_NOEXIST));
}

TEST_F(cmap, permission)
{
	struct stat sb;
	pid_t pid;
	int status;

	if (geteuid())
		SKIP(return, "needs root (to drop to uid %d)", NOBODY);
	ASSERT_EQ(0, stat(device(), &sb));
	if (sb.st_mode & 0006)
		SKIP(return, "%s is mode %o: others may open it",
		     device(), sb.st_mode & 0777);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(2);
		fd = libcmap_open(device(), O_RDWR);
		_exit(fd == -EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status))
		TH_LOG("open as uid %d did not fail with EACCES", NOBODY);
}

TEST_F_TIMEOUT(cmap, max_entries, 300)
{
	__u32 max = self->info.max_entries, count;
	struct cmap_batch_op ops[2];
	struct cmap_stats st;

	if (!max || max > FILL_MAX)
		SKIP(return, "max_entries=%u: load the module with max_entries=1..%d to test it",
		     max, FILL_MAX);
	if (self->info.max_bytes && self->info.max_bytes / 256 < max)
		SKIP(return, "max_bytes=%llu is too small to reach max_entries=%u",
		     (unsigned long long)self->info.max_bytes, max);
	ASSERT_EQ(0, put_range(self->fd, 0, max, CMAP_PUT_NOEXIST));
	ASSERT_EQ(0, libcmap_stats(self->fd, &st));
	ASSERT_EQ(max, st.entries);
	EXPECT_EQ(-ENOSPC, libcmap_put(self->fd, "one-more", 8, "v", 1, 0));
	/* Replacing does not add an entry: it still works when full. */
	EXPECT_EQ(0, put_range(self->fd, 0, 1, CMAP_PUT_EXIST));
	/* A batch that replaces one key and then adds one: count 1. */
	ops[0] = (struct cmap_batch_op) { .key = u64p("key-00000000"),
		.key_len = KEYLEN, .value = u64p("w"), .value_len = 1 };
	ops[1] = (struct cmap_batch_op) { .key = u64p("newkey"), .key_len = 6,
		.value = u64p("w"), .value_len = 1 };
	count = 2;
	EXPECT_EQ(-ENOSPC, libcmap_batch_put(self->fd, ops, &count));
	EXPECT_EQ(1, count);
	/* Room again after a delete. */
	ASSERT_EQ(0, libcmap_delete(self->fd, "key-00000001", KEYLEN));
	EXPECT_EQ(0, libcmap_put(self->fd, "one-more", 8, "v", 1, 0));
}

TEST_F_TIMEOUT(cmap, max_bytes, 300)
{
	static char val[CMAP_VALUE_MAX];
	__u64 max = self->info.max_bytes;
	struct cmap_stats st;
	unsigned int i;
	char key[KEYLEN + 1];
	int err = 0;

	if (!max || max > 64ULL << 20)
		SKIP(return, "max_bytes=%llu: load the module with max_bytes up to 64 MiB to test it",
		     (unsigned long long)max);
	for (i = 0; !err; i++) {
		mkkey(key, i);
		err = libcmap_put(self->fd, key, KEYLEN, val, sizeof(val), 0);
		if (self->info.max_entries && i >= self->info.max_entries)
			SKIP(return, "max_entries=%u is reached before max_bytes",
			     self->info.max_entries);
	}
	ASSERT_EQ(-ENOSPC, err);
	ASSERT_EQ(0, libcmap_stats(self->fd, &st));
	TH_LOG("full at %u entries of 4 KiB, %llu bytes of %llu", i - 1,
	       (unsigned long long)st.bytes, (unsigned long long)max);
	EXPECT_GE(max, st.bytes);
	EXPECT_LT(0, st.entries);
}

/*
 * Values replaced under concurrent readers: generation g writes a value of
 * vlen(g) bytes all equal to vbyte(g). A reader that sees a mix of two
 * values, or a length that does not match the byte, saw a torn value.
 */
#define GENS		251
#define vbyte(g)	((unsigned char)((g) + 1))
#define vlen(g)		(16 + 16 * (g))
#define RUN_SECONDS	3

struct race {
	int fd;
	volatile bool stop;
	unsigned long reads;
	unsigned long torn;
	int err;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	static __thread unsigned char buf[CMAP_VALUE_MAX];
	unsigned long n = 0;

	while (!r->stop) {
		__u32 len, i;
		int err = libcmap_get(r->fd, "hot", 3, buf, sizeof(buf), &len);

		if (err) {
			r->err = err;
			break;
		}
		n++;
		if (len != vlen(buf[0] - 1)) {
			__atomic_fetch_add(&r->torn, 1, __ATOMIC_RELAXED);
			continue;
		}
		for (i = 1; i < len; i++)
			if (buf[i] != buf[0]) {
				__atomic_fetch_add(&r->torn, 1, __ATOMIC_RELAXED);
				break;
			}
	}
	__atomic_fetch_add(&r->reads, n, __ATOMIC_RELAXED);
	return NULL;
}

TEST_F_TIMEOUT(cmap, atomic_replace, 120)
{
	static unsigned char val[CMAP_VALUE_MAX];
	struct race r = { .fd = self->fd };
	pthread_t th[4];
	unsigned long writes = 0;
	time_t end;
	int i, g = 0;

	memset(val, vbyte(0), vlen(0));
	ASSERT_EQ(0, libcmap_put(self->fd, "hot", 3, val, vlen(0), 0));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, race_reader, &r));
	end = time(NULL) + RUN_SECONDS;
	while (time(NULL) < end && !r.err) {
		g = (g + 1) % GENS;
		memset(val, vbyte(g), vlen(g));
		ASSERT_EQ(0, libcmap_put(self->fd, "hot", 3, val, vlen(g),
					 CMAP_PUT_EXIST));
		writes++;
	}
	r.stop = true;
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	TH_LOG("%lu writes, %lu reads", writes, r.reads);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.torn);
	EXPECT_LT(0, r.reads);
}

/*
 * Systematic allocation failure (CONFIG_FAILSLAB + CONFIG_FAULT_INJECTION):
 * /proc/thread-self/fail-nth makes the Nth allocation of this thread fail.
 * For N = 1, 2, ... until a call succeeds without a failure injected, every
 * failed call must return -ENOMEM and leave the map as it was.
 */
#define FAILSLAB	"/sys/kernel/debug/failslab"

static int sysfs_rw(const char *path, const char *set, char *old, size_t n)
{
	ssize_t len;
	int fd;

	if (old) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return -errno;
		len = read(fd, old, n - 1);
		old[len > 0 ? len : 0] = 0;
		close(fd);
	}
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = write(fd, set, strlen(set));
	close(fd);
	return len < 0 ? -errno : 0;
}

typedef int (*fallible_fn)(int fd);

/* A call to fail, whether a failure left the map right, how to redo it. */
struct fallible {
	fallible_fn run;
	fallible_fn bad_state;
	fallible_fn undo;
};

/*
 * Returns how many allocations were failed before the call went through,
 * or the N whose failure broke the rule, as a negative.
 */
static int fail_each(int fd, int nth, const struct fallible *f)
{
	char buf[16];
	int n, err, injected;

	for (n = 1; n < 200; n++) {
		snprintf(buf, sizeof(buf), "%d", n);
		if (pwrite(nth, buf, strlen(buf), 0) < 0)
			return -1000;
		err = f->run(fd);
		memset(buf, 0, sizeof(buf));
		if (pread(nth, buf, sizeof(buf) - 1, 0) < 0)
			return -1000;
		injected = atoi(buf) == 0;
		if (pwrite(nth, "0", 1, 0) < 0)
			return -1000;
		if (!injected)
			return err ? -n : n - 1;
		if (err && (err != -ENOMEM || f->bad_state(fd)))
			return -n;
		if (!err && f->undo)	/* the failure was absorbed */
			f->undo(fd);
	}
	return -2000;
}

static int fi_put_new(int fd)
{
	return libcmap_put(fd, "fi-new", 6, "value", 5, CMAP_PUT_NOEXIST);
}

static int fi_put_new_check(int fd)
{
	return exists(fd, "fi-new", 6) != -ENOENT;
}

static int fi_replace(int fd)
{
	return libcmap_put(fd, "fi-old", 6, "new", 3, CMAP_PUT_EXIST);
}

static int fi_replace_check(int fd)
{
	char v[8];
	__u32 len = 0;

	return libcmap_get(fd, "fi-old", 6, v, sizeof(v), &len) || len != 3 ||
	       (memcmp(v, "old", 3) && memcmp(v, "new", 3));
}

static int fi_get(int fd)
{
	return exists(fd, "fi-old", 6);
}

static int fi_none(int fd)
{
	return 0;
}

static int fi_scan(int fd)
{
	char buf[256];
	__u32 used, count;
	__u64 cursor = 0;
	bool done;

	return libcmap_scan(fd, &cursor, buf, sizeof(buf), &used, &count, &done);
}

static int fi_batch(int fd)
{
	char key[2][8] = { "fi-b0", "fi-b1" };
	struct cmap_batch_op ops[2];
	__u32 count = 2;
	int i, err;

	for (i = 0; i < 2; i++)
		ops[i] = (struct cmap_batch_op) { .key = u64p(key[i]),
			.key_len = 5, .value = u64p("v"), .value_len = 1 };
	err = libcmap_batch_put(fd, ops, &count);
	if (err && count)	/* what completed stays: undo it */
		libcmap_delete(fd, "fi-b0", 5);
	return err;
}

static int fi_batch_check(int fd)
{
	return exists(fd, "fi-b1", 5) != -ENOENT;
}

static int fi_put_new_undo(int fd)
{
	return libcmap_delete(fd, "fi-new", 6);
}

static int fi_batch_undo(int fd)
{
	libcmap_delete(fd, "fi-b0", 5);
	return libcmap_delete(fd, "fi-b1", 5);
}

static const struct fallible fallibles[] = {
	{ fi_put_new, fi_put_new_check, fi_put_new_undo },
	{ fi_replace, fi_replace_check, NULL },
	{ fi_get, fi_none, NULL },
	{ fi_scan, fi_none, NULL },
	{ fi_batch, fi_batch_check, fi_batch_undo },
};

static const char * const fallible_names[] = {
	"PUT (insert)", "PUT (replace)", "GET", "SCAN", "BATCH_PUT",
};

TEST_F(cmap, enomem_at_each_allocation)
{
	char old_gfp[8] = "", old_verbose[8] = "";
	int nth, r[5], i;

	if (access(FAILSLAB, F_OK))
		SKIP(return, "no " FAILSLAB " (CONFIG_FAILSLAB, debugfs)");
	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth < 0)
		SKIP(return, "no /proc/thread-self/fail-nth");
	ASSERT_EQ(0, libcmap_put(self->fd, "fi-old", 6, "old", 3, 0));
	/* Let fail-nth reach GFP_KERNEL allocations; no splat per failure. */
	ASSERT_EQ(0, sysfs_rw(FAILSLAB "/ignore-gfp-wait", "N", old_gfp,
			      sizeof(old_gfp)));
	ASSERT_EQ(0, sysfs_rw(FAILSLAB "/verbose", "0", old_verbose,
			      sizeof(old_verbose)));
	for (i = 0; i < 5; i++)
		r[i] = fail_each(self->fd, nth, &fallibles[i]);
	sysfs_rw(FAILSLAB "/ignore-gfp-wait", old_gfp, NULL, 0);
	sysfs_rw(FAILSLAB "/verbose", old_verbose, NULL, 0);
	close(nth);
	for (i = 0; i < 5; i++) {
		int bad = r[i] < 0 ? -r[i] : 0;

		EXPECT_EQ(0, bad) TH_LOG("%s: allocation failure %d misbehaved",
					 fallible_names[i], bad);
		TH_LOG("%s: %d allocations failed in turn", fallible_names[i],
		       r[i]);
	}
	EXPECT_LE(1, r[0]);
	EXPECT_EQ(0, exists(self->fd, "fi-new", 6));
	EXPECT_EQ(0, exists(self->fd, "fi-b1", 5));
}

int main(int argc, char **argv)
{
	if (access(device(), F_OK)) {
		printf("TAP version 13\n1..0 # SKIP %s missing: load the cmap module (insmod cmap.ko)\n",
		       device());
		return KSFT_SKIP;
	}
	return test_harness_run(argc, argv);
}
