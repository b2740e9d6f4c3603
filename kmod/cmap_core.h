/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap core: a concurrent, incrementally resized hash map of byte strings.
 *
 * This is the whole interface between the map core (cmap_core.c) and its
 * users: the /dev/cmap device (cmap_dev.c), the in-kernel self-test and the
 * benchmark module. The core has no user-copy and no file code, so the same
 * source also builds in user space over liburcu (see userspace/shim/).
 *
 * Limits (key and value sizes) and the update flags are part of the ABI and
 * live in uapi/linux/cmap.h; the core includes that header for them.
 */
#ifndef _CMAP_CORE_H
#define _CMAP_CORE_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/cmap.h>		/* CMAP_KEY_MAX, CMAP_VALUE_MAX, CMAP_PUT_* */

struct cmap;

/**
 * struct cmap_config - how a map is created
 * @min_buckets: smallest table size; rounded up to a power of two, at
 *               least CMAP_MIN_BUCKETS. 0 selects the default.
 * @max_entries: insertions beyond this many entries fail with -ENOSPC;
 *               0 means no limit.
 * @max_bytes:   memory cap for entries plus tables, at their allocated
 *               (kmalloc_size_roundup()) sizes and until they are freed;
 *               an insert or replace that would exceed it fails with
 *               -ENOSPC; 0 means no limit.
 * @gfp:         allocation flags for entries and tables. Must allow
 *               sleeping. With __GFP_ACCOUNT (the device passes
 *               GFP_KERNEL_ACCOUNT) entries are charged to the memory
 *               cgroup of the task inserting them, tables to that of the
 *               task calling cmap_create().
 * @hash_mask:   for tests only: ANDed into every key's hash, so that many
 *               keys share a bucket (0: none, the default). Never set it
 *               outside tests: it defeats the keyed hash.
 */
struct cmap_config {
	u32 min_buckets;
	u32 max_entries;
	u64 max_bytes;
	gfp_t gfp;
	u32 hash_mask;
};

#define CMAP_MIN_BUCKETS	16
#define CMAP_CHAIN_HIST		8	/* chain lengths 0..6, and 7 or more */

/**
 * struct cmap_core_stats - a snapshot of a map's state and history
 * @entries:         number of entries (exact sum of the per-CPU counters)
 * @bytes:           memory charged to the map: entries and tables at their
 *                   allocated sizes, until they are freed
 * @buckets:         size of the table lookups start from
 * @future_buckets:  size of the table being migrated to, 0 if no resize
 * @migrated:        buckets of the current table already migrated
 * @grows:           completed grows
 * @shrinks:         completed shrinks
 * @resize_alloc_failures: resizes postponed because the new bucket array
 *                   could not be allocated
 * @moved_by_writers: buckets migrated by inserts and deletes helping
 * @moved_by_worker: buckets migrated by the background work item
 * @max_chain:       longest chain seen by the last stats walk
 * @max_bucket_lock_ns: longest time a bucket lock was held to migrate one
 *                   bucket, since the map was created
 * @chain_hist:      number of buckets whose chain has 0, 1, .. 6, and 7 or
 *                   more entries (in the newest table)
 */
struct cmap_core_stats {
	u64 entries;
	u64 bytes;
	u64 buckets;
	u64 future_buckets;
	u64 migrated;
	u64 grows;
	u64 shrinks;
	u64 resize_alloc_failures;
	u64 moved_by_writers;
	u64 moved_by_worker;
	u64 max_chain;
	u64 chain_hist[CMAP_CHAIN_HIST];
	u64 max_bucket_lock_ns;
};

/*
 * Scan cursors: a scan starts with *cursor == 0 and is complete when
 * cmap_scan() sets *cursor to CMAP_SCAN_END. Any other value is an opaque
 * token sealed with the map's key (cmap_scan() refuses forged ones).
 */
#define CMAP_SCAN_END		BIT_ULL(32)

/**
 * struct cmap_scan_buf - where cmap_scan() writes whole buckets of entries
 * @buf:   destination, 8-byte aligned; records are struct cmap_scan_rec
 *         (uapi) each followed by the key and the value, padded to 8 bytes
 *         with zeroes. The bytes from @used to @size are scratch: the
 *         call may leave anything there.
 * @size:  bytes available at @buf
 * @used:  out: bytes written, or on -ENOSPC the bytes the next entries need
 *         (at least: see cmap_scan())
 * @count: out: records written
 * @first: in: return only the entries of the first hash value at or after
 *         the cursor that has any, to measure them (see cmap_scan())
 */
struct cmap_scan_buf {
	void *buf;
	size_t size;
	size_t used;
	u32 count;
	bool first;
};

struct cmap *cmap_create(const struct cmap_config *cfg);
void cmap_destroy(struct cmap *map);

int cmap_lookup(struct cmap *map, const void *key, u32 key_len,
		void *val, u32 val_size, u32 *val_len);
int cmap_update(struct cmap *map, const void *key, u32 key_len,
		const void *val, u32 val_len, u32 flags);
int cmap_delete(struct cmap *map, const void *key, u32 key_len);
void cmap_clear(struct cmap *map);
u64 cmap_count(struct cmap *map);
void cmap_get_stats(struct cmap *map, struct cmap_core_stats *st);
int cmap_scan(struct cmap *map, u64 *cursor, struct cmap_scan_buf *sb);

#endif /* _CMAP_CORE_H */
