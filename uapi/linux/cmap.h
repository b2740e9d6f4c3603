/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cmap: a concurrent, incrementally resized hash map, used from user space
 * through ioctl()s on the misc device /dev/cmap.
 */
#ifndef _UAPI_LINUX_CMAP_H
#define _UAPI_LINUX_CMAP_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Limits: keys are 1..CMAP_KEY_MAX bytes, values 0..CMAP_VALUE_MAX bytes. */
#define CMAP_KEY_MAX		256
#define CMAP_VALUE_MAX		4096

/* Update flags: no flag inserts or replaces (ANY). */
#define CMAP_PUT_ANY		0
#define CMAP_PUT_NOEXIST	(1U << 0)	/* fail with -EEXIST if present */
#define CMAP_PUT_EXIST		(1U << 1)	/* fail with -ENOENT if absent */
#define CMAP_PUT_FLAGS		(CMAP_PUT_NOEXIST | CMAP_PUT_EXIST)

/**
 * struct cmap_scan_rec - one entry returned by a scan
 * @key_len:   length of the key that follows this header
 * @value_len: length of the value that follows the key
 *
 * The key and the value follow the header back to back; the next record
 * starts at the next multiple of 8 bytes, and the padding bytes in between
 * are zero.
 */
struct cmap_scan_rec {
	__u32 key_len;
	__u32 value_len;
};

/**
 * DOC: General ioctl format
 *
 * Every command takes a pointer to its own argument structure, whose first
 * member is ``__u32 size``: the caller sets it to sizeof() the structure it
 * was compiled with. The kernel copies the structure with
 * copy_struct_from_user() semantics, so structures may grow at their end
 * over time:
 *
 *  - a caller's structure larger than the kernel's is accepted only if the
 *    bytes the kernel does not know are zero, otherwise -E2BIG;
 *  - a caller's structure smaller than the kernel's works if it holds every
 *    member of the command's first version (for INFO and STATS, whose
 *    members are all outputs, anything from @size and @flags on that ends
 *    where a member ends works: the kernel fills only what fits); a
 *    shorter one, or for INFO and STATS one whose @size cuts a member in
 *    two, is -EINVAL.
 *
 * Output members are written back only within the caller's @size. Members
 * named ``__reserved`` must be zero. @flags takes only the flags defined for
 * the command; any other bit is -EINVAL.
 *
 * The ioctl numbers carry no size and no direction: each is
 * _IO(CMAP_IOC_MAGIC, CMAP_CMD_*), as iommufd's are, and the kernel reads
 * the size from the structure itself. Decoding is strict: any other number
 * (the same command number with size or direction bits, say) is -ENOTTY.
 *
 * Errors common to all commands:
 *
 *  - ENOTTY: not a cmap command, exactly (or not supported by this kernel:
 *    see &struct cmap_info.commands);
 *  - EFAULT: a pointer (the argument or one inside it) cannot be accessed;
 *  - E2BIG:  a structure has non-zero bytes the kernel does not know, or
 *    @size is larger than a page; a key or value is longer than the limit;
 *  - EINVAL: @size too small, unknown flags, non-zero reserved members, an
 *    empty key;
 *  - EBADF:  a command that modifies the map on a file opened read-only;
 *  - ENOMEM: out of memory (or over the memory cgroup's limit).
 *
 * Keys and values are byte strings passed by pointer and length; pointers
 * are user addresses in ``__aligned_u64`` members and need no alignment.
 */

/**
 * DOC: Hashing and long chains
 *
 * Keys are hashed with SipHash-2-4 under a random key that the map draws
 * when the module loads. No interface shows a key's hash (scan cursors
 * are sealed, see &struct cmap_scan), so keys that share a bucket cannot
 * be computed, only searched for by trial. A bucket's length has no limit
 * all the same, and no insert fails because its bucket is long: each
 * operation's work is linear in the chain it touches (also when a resize
 * moves a bucket: the lock is held for time linear in its chain, see
 * &struct cmap_stats.max_bucket_lock_ns), and a scan returns a bucket of
 * any length, in parts if it does not fit in the caller's buffer.
 */

/* The ioctl type byte of /dev/cmap (free in ioctl-number.rst). */
#define CMAP_IOC_MAGIC		0xB9

/* The version of this interface; INFO reports it. */
#define CMAP_ABI_VERSION	1

/* Command numbers (the nr of the ioctl numbers below). */
enum {
	CMAP_CMD_INFO = 0x00,
	CMAP_CMD_GET = 0x01,
	CMAP_CMD_PUT = 0x02,
	CMAP_CMD_DELETE = 0x03,
	CMAP_CMD_BATCH_GET = 0x04,
	CMAP_CMD_BATCH_PUT = 0x05,
	CMAP_CMD_BATCH_DELETE = 0x06,
	CMAP_CMD_SCAN = 0x07,
	CMAP_CMD_STATS = 0x08,
	CMAP_CMD_CLEAR = 0x09
};

/* Behaviour that tools may test for in &struct cmap_info.features. */
#define CMAP_FEAT_SCAN_ONCE	0x1ULL			/* see CMAP_IOC_SCAN */
#define CMAP_FEAT_SHRINK	0x2ULL			/* the table also shrinks */
/*
 * CMAP_FEAT_MEMCG: memory is charged to memory cgroups: an entry to the
 * cgroup of the task that inserts it, the bucket tables to the cgroup of
 * the task that loaded the module. Over the limit an insert gets ENOMEM
 * and a grow is postponed (resize_alloc_failures); nothing is OOM-killed.
 */
#define CMAP_FEAT_MEMCG		0x4ULL			/* memory charged to memcg */

/**
 * struct cmap_info - ioctl(CMAP_IOC_INFO): what this kernel supports
 * @size:        sizeof(struct cmap_info)
 * @flags:       must be 0
 * @abi_version: out: CMAP_ABI_VERSION of the kernel
 * @key_max:     out: longest key, in bytes (CMAP_KEY_MAX)
 * @value_max:   out: longest value, in bytes (CMAP_VALUE_MAX)
 * @max_entries: out: the map's entry limit, 0 if none
 * @max_bytes:   out: the map's memory limit in bytes, 0 if none
 * @features:    out: CMAP_FEAT_* bits
 * @commands:    out: bit N set if command number N (CMAP_CMD_*) exists
 *
 * Lets tools adapt to the kernel they run on. Any @size from 8 bytes on
 * that ends where a member ends (8, 12, 16, 20, 24, 32, 40 or 48 bytes, or
 * more) is accepted; the kernel fills the members that fit.
 */
struct cmap_info {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 key_max;
	__u32 value_max;
	__u32 max_entries;
	__aligned_u64 max_bytes;
	__aligned_u64 features;
	__aligned_u64 commands;
};

/**
 * struct cmap_get - ioctl(CMAP_IOC_GET): look a key up
 * @size:          sizeof(struct cmap_get)
 * @flags:         must be 0
 * @key:           user pointer to the key
 * @value:         user pointer to a buffer of @value_size bytes
 * @key_len:       length of the key, 1..CMAP_KEY_MAX
 * @value_size:    bytes available at @value (may be 0 to ask the length)
 * @out_value_len: out: length of the value
 * @__reserved:    must be 0
 *
 * The value is copied at one instant: a concurrent PUT of the same key is
 * seen entirely or not at all.
 *
 * Errors: ENOENT if the key is absent; ENOSPC if the value is longer than
 * @value_size (@out_value_len then says how long it is).
 */
struct cmap_get {
	__u32 size;
	__u32 flags;
	__aligned_u64 key;
	__aligned_u64 value;
	__u32 key_len;
	__u32 value_size;
	__u32 out_value_len;
	__u32 __reserved;
};

/**
 * struct cmap_put - ioctl(CMAP_IOC_PUT): insert or replace a value
 * @size:      sizeof(struct cmap_put)
 * @flags:     CMAP_PUT_ANY (0), CMAP_PUT_NOEXIST or CMAP_PUT_EXIST
 * @key:       user pointer to the key
 * @value:     user pointer to the value
 * @key_len:   length of the key, 1..CMAP_KEY_MAX
 * @value_len: length of the value, 0..CMAP_VALUE_MAX
 *
 * Readers see the old value or the new one, never a mix.
 *
 * Errors: EEXIST (NOEXIST and the key is present); ENOENT (EXIST and the
 * key is absent); ENOSPC if the map is at its entry or memory limit (the
 * memory of replaced and deleted entries counts until it is freed, a grace
 * period later, and a replacement needs room for its whole new entry).
 */
struct cmap_put {
	__u32 size;
	__u32 flags;
	__aligned_u64 key;
	__aligned_u64 value;
	__u32 key_len;
	__u32 value_len;
};

/**
 * struct cmap_delete - ioctl(CMAP_IOC_DELETE): remove a key
 * @size:       sizeof(struct cmap_delete)
 * @flags:      must be 0
 * @key:        user pointer to the key
 * @key_len:    length of the key, 1..CMAP_KEY_MAX
 * @__reserved: must be 0
 *
 * Errors: ENOENT if the key is absent.
 */
struct cmap_delete {
	__u32 size;
	__u32 flags;
	__aligned_u64 key;
	__u32 key_len;
	__u32 __reserved;
};

/**
 * struct cmap_batch_op - one operation of a batch
 * @key:           user pointer to the key
 * @value:         user pointer to the value (PUT) or its buffer (GET)
 * @key_len:       length of the key, 1..CMAP_KEY_MAX
 * @value_len:     PUT: length of the value; GET: out: length of the value
 * @value_size:    GET: bytes available at @value
 * @flags:         PUT: CMAP_PUT_* for this operation; must be 0 otherwise
 *
 * Each operation behaves as the single-key command does. Members a command
 * does not use are ignored (DELETE uses only @key and @key_len), so one
 * array can serve a BATCH_GET and then a BATCH_DELETE.
 */
struct cmap_batch_op {
	__aligned_u64 key;
	__aligned_u64 value;
	__u32 key_len;
	__u32 value_len;
	__u32 value_size;
	__u32 flags;
};

/**
 * struct cmap_batch - ioctl(CMAP_IOC_BATCH_GET/PUT/DELETE): many keys
 * @size:    sizeof(struct cmap_batch)
 * @flags:   must be 0
 * @ops:     user pointer to an array of @count operations, @op_size apart
 * @count:   in: number of operations; out: number done
 * @op_size: sizeof(struct cmap_batch_op); each element is copied as an
 *           extensible structure of this size (see the general format)
 *
 * Operations are done in order and the batch stops at the first that
 * fails: the ioctl then returns that operation's error, and @count says
 * how many operations completed before it (ops[@count] is the one that
 * failed). Completed operations stay done. A pending signal stops a batch
 * with EINTR after at least one operation; @count says where to resume.
 * @count is written back for every error but EFAULT on the argument itself:
 * a batch refused before its first operation (EBADF, or EINVAL or E2BIG
 * for its @size, @flags or @op_size) gets @count 0, provided its @size
 * reaches @count.
 */
struct cmap_batch {
	__u32 size;
	__u32 flags;
	__aligned_u64 ops;
	__u32 count;
	__u32 op_size;
};

/* Out flags of a scan. */
#define CMAP_SCAN_DONE		0x1U			/* the scan is complete */

/**
 * struct cmap_scan - ioctl(CMAP_IOC_SCAN): iterate over the map
 * @size:      sizeof(struct cmap_scan)
 * @flags:     must be 0
 * @cursor:    in/out: 0 to start a scan, then the value the previous call
 *             returned; opaque otherwise (see below)
 * @buf:       user pointer to a buffer for records
 * @buf_size:  bytes available at @buf
 * @out_used:  out: bytes written to @buf; on ENOSPC, the size of buffer
 *             the next entries need (see below)
 * @out_count: out: records written
 * @out_flags: out: CMAP_SCAN_DONE once the whole map has been returned
 *
 * Each call returns whole buckets of the table as records, each a
 * &struct cmap_scan_rec followed by the key and the value and padded with
 * zero bytes to a multiple of 8; the kernel writes nothing else into @buf.
 * When the first bucket that holds entries does not fit in @buf_size
 * bytes, the call returns part of it: the entries of a run of hash values,
 * never splitting the entries of one hash value. So a bucket of any
 * length can be scanned. A scan that runs until CMAP_SCAN_DONE returns
 * every entry that is present for the whole scan exactly once, even while
 * the table grows or shrinks between calls; entries inserted or deleted
 * during the scan are returned at most once. Calls may return 0 records
 * without being done; a call with the cursor of a finished scan returns 0
 * records and CMAP_SCAN_DONE again.
 *
 * The cursor is an opaque token, sealed with a key random to the map: it
 * encrypts the scan's position and carries a MAC, so it tells nothing
 * about the hash of any key, and only values that this map returned (and
 * 0) are accepted. Nothing may be assumed about its bits; it is not valid
 * after the module was reloaded.
 *
 * Errors: ENOSPC if the entries of the next hash value do not fit in an
 * empty @buf_size buffer (@cursor is unchanged); EINVAL if @cursor is not
 * 0 and not a value this map returned (forged, altered, or from an earlier
 * load of the module). On ENOSPC, @out_used says how much those entries
 * need: the size of their records as the kernel measured them during the
 * call, without the duplicates a scan drops (an entry moving between
 * tables can be met twice). Entries inserted or replaced meanwhile can
 * make them need more by the next call, and if they grew while they were
 * measured, @out_used is an upper bound.
 */
struct cmap_scan {
	__u32 size;
	__u32 flags;
	__aligned_u64 cursor;
	__aligned_u64 buf;
	__u32 buf_size;
	__u32 out_used;
	__u32 out_count;
	__u32 out_flags;
};

/* Buckets counted in &struct cmap_stats.chain_hist. */
#define CMAP_STATS_CHAIN_HIST	8

/**
 * struct cmap_stats - ioctl(CMAP_IOC_STATS): a snapshot of the map
 * @size:            sizeof(struct cmap_stats)
 * @flags:           must be 0
 * @entries:         out: number of entries
 * @bytes:           out: memory the map's entries and tables take, at the
 *                   sizes the allocator gives them, counted until freed
 *                   (deleted and replaced entries a grace period on)
 * @buckets:         out: size of the table lookups start from
 * @future_buckets:  out: size of the table being migrated to, 0 if none
 * @migrated:        out: buckets of the current table already migrated
 * @grows:           out: completed grows
 * @shrinks:         out: completed shrinks
 * @resize_alloc_failures: out: resizes postponed because a new table
 *                   could not be allocated
 * @moved_by_writers: out: buckets migrated by inserts and deletes helping
 * @moved_by_worker: out: buckets migrated by the background worker
 * @max_chain:       out: longest chain seen by this walk
 * @chain_hist:      out: buckets whose chain holds 0, 1, .. 6, and 7 or
 *                   more entries (in the newest table)
 * @max_entries:     out: the map's entry limit, 0 if none
 * @max_bytes:       out: the map's memory limit in bytes, 0 if none
 * @max_bucket_lock_ns: out: the longest time, in nanoseconds, that one
 *                   bucket's lock was held to migrate the bucket during a
 *                   resize, since the module was loaded (it grows
 *                   linearly with the longest chain migrated)
 *
 * Any @size from 8 bytes on that is a multiple of 8 is accepted; the
 * kernel fills the members that fit.
 *
 * STATS does not stop updates or resizes. Under concurrent updates the
 * counters are read one after another, not at one instant. @max_chain and
 * @chain_hist come from a walk of the newest table in small chunks: a
 * resize that starts or ends during the walk makes the later chunks count
 * the newer table's buckets, so the histogram need not sum to @buckets or
 * @future_buckets, and a chain that changes while it is counted may be
 * miscounted. When no update and no resize runs during the call, all of
 * it is exact.
 */
struct cmap_stats {
	__u32 size;
	__u32 flags;
	__aligned_u64 entries;
	__aligned_u64 bytes;
	__aligned_u64 buckets;
	__aligned_u64 future_buckets;
	__aligned_u64 migrated;
	__aligned_u64 grows;
	__aligned_u64 shrinks;
	__aligned_u64 resize_alloc_failures;
	__aligned_u64 moved_by_writers;
	__aligned_u64 moved_by_worker;
	__aligned_u64 max_chain;
	__aligned_u64 chain_hist[CMAP_STATS_CHAIN_HIST];
	__aligned_u64 max_entries;
	__aligned_u64 max_bytes;
	__aligned_u64 max_bucket_lock_ns;
};

/**
 * struct cmap_clear - ioctl(CMAP_IOC_CLEAR): remove every entry
 * @size:  sizeof(struct cmap_clear)
 * @flags: must be 0
 *
 * Every entry present for the whole call is removed. CLEAR does not stop
 * updates or resizes: entries inserted while it runs may survive it. It
 * returns once the removed entries' memory is freed.
 */
struct cmap_clear {
	__u32 size;
	__u32 flags;
};

/* The ioctl numbers: no size, no direction (see the general format). */
#define CMAP_IOC_INFO		_IO(CMAP_IOC_MAGIC, CMAP_CMD_INFO)
#define CMAP_IOC_GET		_IO(CMAP_IOC_MAGIC, CMAP_CMD_GET)
#define CMAP_IOC_PUT		_IO(CMAP_IOC_MAGIC, CMAP_CMD_PUT)
#define CMAP_IOC_DELETE		_IO(CMAP_IOC_MAGIC, CMAP_CMD_DELETE)
#define CMAP_IOC_BATCH_GET	_IO(CMAP_IOC_MAGIC, CMAP_CMD_BATCH_GET)
#define CMAP_IOC_BATCH_PUT	_IO(CMAP_IOC_MAGIC, CMAP_CMD_BATCH_PUT)
#define CMAP_IOC_BATCH_DELETE	_IO(CMAP_IOC_MAGIC, CMAP_CMD_BATCH_DELETE)
#define CMAP_IOC_SCAN		_IO(CMAP_IOC_MAGIC, CMAP_CMD_SCAN)
#define CMAP_IOC_STATS		_IO(CMAP_IOC_MAGIC, CMAP_CMD_STATS)
#define CMAP_IOC_CLEAR		_IO(CMAP_IOC_MAGIC, CMAP_CMD_CLEAR)

#endif /* _UAPI_LINUX_CMAP_H */
