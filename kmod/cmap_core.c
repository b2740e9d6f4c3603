// SPDX-License-Identifier: GPL-2.0
/*
 * cmap core: a concurrent, incrementally resized hash map of byte strings.
 *
 * DOC: Design
 *
 * A map points to its current table (map->tbl). A table is a power-of-two
 * array of buckets; a bucket is a spinlock and a singly linked RCU chain of
 * immutable entries (key and value copied in, never changed once published).
 * Each chain ends in a "nulls" marker instead of NULL: the address of its
 * own bucket with bit 0 set. A bucket whose entries have all been moved to
 * the next table ends in (is headed by) the MOVED marker: the bucket's
 * address with bits 0 and 1 set. Bucket addresses are unique among tables
 * that a reader can see (they are all live under its RCU read section), so
 * a marker names exactly one bucket of one table.
 *
 * Resizing. When the load passes 3/4 (grow to 2x) or falls below 1/5
 * (shrink to 1/2, never below cfg->min_buckets), a writer queues the map's
 * work item. The worker allocates the new table with kvmalloc_array() in
 * process context, no lock held but map->mutex (charged to the map's
 * memory cgroup, see "Memory" below), initialises its buckets with a
 * cond_resched() every CMAP_INIT_CHUNK of them, and publishes it as
 * tbl->future. From then on every insert and delete first migrates its own
 * key's old bucket (if not yet MOVED) and one more bucket taken from the
 * shared cursor tbl->next_mig, then works in the future table only. The
 * worker migrates the rest in chunks with cond_resched() in between. When
 * all buckets of the old table are MOVED, the worker makes the future table
 * current and frees the old one after a grace period. At most two tables
 * take part in a resize; a new resize starts only after the last finished.
 *
 * Migrating a bucket: under the old bucket's lock, walk the old chain once
 * noting each entry's predecessor (in the entry's rcu_head, unused while
 * the entry is linked), then take the entries from the TAIL back: under
 * the destination bucket's lock (spin_lock_nested, lock order always old
 * table -> new table) link each at the head of its new chain, then unlink
 * it from the old chain. When the old chain is empty, store the MOVED
 * marker in the old bucket's head. Two walks: the lock is held for time
 * linear in the chain, whatever its length.
 *
 * Guarantees. Each ordering guarantee names the litmus tests in
 * selftests/lkmm/ that check it under the Linux-kernel memory model
 * (selftests/lkmm/run.sh); each test has mutants in mutants/ with a
 * barrier or release removed, which the model must reject. Whoever
 * changes a barrier here updates those tests.
 *
 * 1. Publication. A new entry, a new table and every chain pointer are
 *    published with rcu_assign_pointer() (release) after their contents are
 *    initialised; readers load them with rcu_dereference() (dependency
 *    ordered). So a reader that reaches an object sees it initialised.
 *    Entries are immutable, so a lookup copies either the old or the new
 *    value of a key, never a mix: an update links a new entry in the old
 *    one's place in the chain (one pointer store), it does not delete and
 *    re-insert, so a reader never sees the key missing.
 *    Litmus: publish-entry, publish-table.
 *
 * 2. Moves are link-then-unlink. A moved entry E is linked into the new
 *    chain (release store of the new head) before it is unlinked from the
 *    old chain (a later release store). The MOVED marker is stored (release)
 *    after the last unlink. The future table pointer was stored (release)
 *    before any migration began, and the migrating CPU read it before its
 *    release stores; release is cumulative, so a CPU that observes an
 *    unlink or a MOVED marker and then executes smp_rmb() observes the
 *    future table pointer and the link of E into it.
 *    Litmus: migrate-lookup (a WRITE_ONCE() future pointer would do for
 *    this, by cumulativity; its release is for publish-table).
 *
 * 3. No false "not found". A lookup walks its bucket in the table it
 *    started from. If the walk ends on this bucket's own nulls marker (or
 *    on MOVED) without finding the key, any entry of the key that was in
 *    this chain when the walk started but was not seen has been unlinked;
 *    by 2 it is already linked into the future table, which the lookup
 *    searches next, after smp_rmb(), and so on while tables have futures.
 *    If a walk ends on another bucket's marker, it followed a moved entry
 *    into a new chain and may have skipped part of the old one: it
 *    restarts. Restarts are bounded: each needs a move out of this bucket,
 *    and a bucket's entries move at most once per resize.
 *    Litmus: migrate-lookup, walk-restart. The model also finds the
 *    split of walk-restart safe if a foreign marker is taken as the end
 *    (moves take the tail, so all that followed has moved already); the
 *    restart keeps the argument local to the walk's own marker.
 *
 * 4. One home per key. Writers lock the bucket their key maps to in the
 *    NEWEST table, and only after its bucket in every older table is
 *    MOVED (they migrate it themselves if needed). So all writers of a key
 *    serialise on one lock, and a key is never present in two chains
 *    except transiently while one migration step moves it (2.). A writer
 *    that finds its locked bucket MOVED (a newer resize started meanwhile)
 *    follows tbl->future: this is forwarding, not a retry, and is bounded
 *    by the number of resizes that completed during the call. Every store
 *    to a chain pointer that readers can reach goes through
 *    __cmap_publish() under that chain's bucket lock, which asserts the
 *    rule to KCSAN. cmap_help()'s lockless MOVED check needs no acquire:
 *    the writer then takes the future bucket's lock, and the migrator
 *    stored MOVED only after its own critical section there, so the lock
 *    orders the writer after the moves. Litmus: writer-moved-check,
 *    writer-forward.
 *
 * 5. Reclamation. Deleted and replaced entries are freed with call_rcu();
 *    retired tables too, and only by the worker under map->mutex. Each
 *    stays charged to map->bytes until its callback frees it. Tables
 *    reachable from map->tbl through ->future are therefore alive for any
 *    RCU reader, and for any holder of map->mutex even across sleeps.
 *    cmap_destroy() cancels the worker and waits with rcu_barrier().
 *    Litmus: reclaim-entry, reclaim-table.
 *
 * 6. Progress. Lookups and scans take no lock, never sleep, never wait for
 *    a resize (a restart needs another CPU's progress, guarantee 3).
 *    Inserts, updates and deletes hold at most two bucket locks at a time
 *    (while migrating: an old bucket, then one new bucket, nested; for the
 *    operation itself: one bucket) and migrate at most two buckets each:
 *    never a stop-the-world rehash. Every bucket lock is held for time
 *    linear in its chain (a walk to find the key; a migration's two walks,
 *    whose longest hold STATS reports). They never fail or retry because
 *    a resize is in progress. A table
 *    allocation failure postpones the resize (retried by delayed work); the
 *    map keeps working at its current size.
 *
 * 7. Keeping up. A grow starts at load 3/4 of n buckets into 2n; each
 *    writer moves at least one cursor bucket, so at most n inserts happen
 *    during the migration: load <= (3n/4 + n) / 2n = 7/8 when it completes
 *    and the next grow may start. Shrinks (below 1/5, to n/2, giving < 2/5)
 *    and grows (to 3/8) leave a hysteresis band between the thresholds.
 *
 * 8. Scans use a reverse-bit-order position over the 32-bit hash: bucket i
 *    of a 2^k table holds the hashes whose bit-reversal lies in one
 *    contiguous range, so a position (the reversed-hash value where the
 *    next range begins) stays meaningful across any number of resizes.
 *    Each call returns whole ranges of the coarser table involved; in a
 *    migration it reads the range in every table (old first, smp_rmb(),
 *    then the future: guarantee 3) and drops duplicates by key, looked up
 *    in a sorted index of the earlier tables' records kept at the end of
 *    the caller's buffer (O(n log n) per range). When the first range with
 *    entries does not fit the buffer, it is narrowed to a run of
 *    reversed-hash values from the position on that does, so a bucket of
 *    any length can be scanned; entries of one hash value are never
 *    split. Entries present for the whole scan are returned exactly once.
 *    A range whose walk strays (guarantee 3) is written again from its
 *    start, padding included, so the bytes below sb->used hold nothing
 *    but the records returned and zero padding.
 *    Litmus: scan-migrate.
 *
 * 9. Counting. Entries (map->nr) and bytes (map->bytes) are
 *    percpu_counters. An update adds to its CPU's share (a local cmpxchg)
 *    and takes the counter's shared spinlock (IRQs off) only to fold the
 *    share into the shared count when it reaches the batch: 16 entries
 *    (CMAP_COUNT_BATCH), 256 KiB (CMAP_BYTES_BATCH; an entry charges 64 to
 *    8192 bytes). So a steady mix of inserts, replaces and deletes rarely
 *    folds (the user-space test counter_slow_paths, whose shim counts the
 *    folds, asserts at most one per 100 updates; it sees about one per
 *    450), and a run of inserts folds once per 16 on each CPU. Exact sums
 *    take that spinlock too: __percpu_counter_compare() sums when the
 *    count is within batch x online CPUs of what it is compared with, so
 *    near a limit (max_entries, max_bytes) or near the grow or shrink
 *    threshold (cmap_wants_grow(), on every insert, and
 *    cmap_wants_shrink(), on every delete, of tables still above
 *    min_size) every such update sums. Limits reserve first, then compare
 *    and roll back: never an overshoot.
 *
 *    Shared during a resize: a writer whose table has a future also
 *    reads tbl->future and its old bucket's head; atomic_read() and, until
 *    the cursor passes the end, atomic_fetch_inc() of tbl->next_mig; and
 *    for each bucket it migrates (at most two per call) that bucket's lock
 *    and the lock of each destination bucket, atomic_add() of
 *    tbl->moved_entries, atomic_inc_return() of tbl->migrated (the last
 *    one queues the worker) and a percpu_counter_add() of map->moved_w
 *    (a fold per 32 buckets per CPU). Nothing else of a writer's path is
 *    shared but its own bucket's lock (and, with tracing on, the trace
 *    buffers).
 *
 * Memory. map->bytes counts what the allocator really takes: the
 * kmalloc_size_roundup() of each entry (a 40-byte header, the key, the
 * value: 64 bytes at the least, 8 KiB for a 4 KiB value) and of each
 * table's struct and bucket array (whole pages above 8 KiB: a power-of-two
 * order from kmalloc, or as many as it needs if kvmalloc fell back to
 * vmalloc). An entry is charged before it is published, a table at the
 * most it can take before it is allocated and at what it took after; each
 * is uncharged when it is freed, a grace period after it was retired
 * (guarantee 5); so max_bytes bounds the memory the map holds,
 * deleted and replaced entries awaiting their grace period included. A
 * replacement charges its new entry in full: at the limit it may fail
 * with -ENOSPC until earlier frees complete. Not counted: the entry each
 * update allocates before it takes its bucket lock (at most one per
 * updating task; freed at once if the update fails) and the map's own
 * struct and counters. cmap_clear() waits for its frees (rcu_barrier()).
 *
 * With __GFP_ACCOUNT in cfg->gfp, memory cgroups pay: an entry is charged
 * to the cgroup of the task that inserts it (it is allocated in that
 * task's context); every table to the cgroup of the task that created the
 * map, whose reference cmap_create() takes (get_mem_cgroup_from_mm()) and
 * cmap_destroy() drops, also when the worker allocates it
 * (set_active_memcg()). A table the cgroup cannot pay for is a failed
 * allocation: the resize is postponed (guarantee 6).
 *
 * 10. Hash flooding. Keys are hashed with SipHash-2-4 (a keyed PRF) under
 *    a 128-bit key drawn with get_random_bytes() when the map is created,
 *    so without the key no one can compute keys that share a bucket; no
 *    interface shows a hash: the scan cursor user space holds is the
 *    position sealed by a keyed 32-bit permutation (Feistel) and a MAC,
 *    under a second random key, and a cursor that does not carry its MAC
 *    is -EINVAL. Chains have no length limit; long ones, whatever their
 *    cause, cost time linear in their length under a bucket lock
 *    (guarantee 6) and scans return them in parts (guarantee 8).
 *
 * 11. Whole-map walks. cmap_clear() and the chain histogram of
 *    cmap_get_stats() walk the map in chunks (CMAP_WORK_CHUNK ranges or
 *    buckets per RCU read section, cond_resched() in between) without
 *    map->mutex, so they never hold up a resize, and resizes may start and
 *    finish between two chunks. cmap_clear() walks ranges of reversed
 *    hashes as a scan does (guarantee 8), each range in every table oldest
 *    first, one bucket lock at a time. An entry present for the whole call
 *    is removed: when its range is cleared it is in the bucket covering it
 *    in one of those tables, and if it moved on before that bucket's lock
 *    was taken, the bucket is MOVED and the lock orders the read of
 *    ->future after the move (as in guarantee 4). Entries inserted during
 *    the call may survive, also in ranges already cleared. After the walk
 *    cmap_clear() waits with rcu_barrier() (no mutex held) until the
 *    entries it removed are freed and uncharged ("Memory" above).
 *    cmap_get_stats() reads the counters and table sizes under map->mutex,
 *    held for nothing else; they are read one after another while updates
 *    go on, so under concurrent updates they are not one snapshot. Its
 *    histogram then walks the newest table by bucket index, looking the
 *    newest table up again for every chunk: if a resize starts or finishes
 *    during the walk, later chunks count the newer table's buckets, and the
 *    histogram may sum to neither st->buckets nor st->future_buckets. Each
 *    chain is counted by one lockless walk that does not restart, so under
 *    concurrent updates a count may be off (a walk that follows a moved
 *    entry counts the rest of the chain it moved to).
 *
 * Context: every function may be called from process context.
 * cmap_lookup(), cmap_count() and cmap_scan() do not sleep and may also be
 * called from atomic context (cmap_count() uses percpu_counter_sum). All
 * others may sleep (allocation with cfg->gfp, mutex, cond_resched).
 */
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/bitrev.h>
#include <linux/err.h>
#include <linux/error-injection.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu_counter.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>

#include "cmap_core.h"

#define CREATE_TRACE_POINTS
#include "cmap_trace.h"

#define CMAP_MAX_BUCKETS	((u32)BIT(26))
#define CMAP_COUNT_BATCH	16	/* percpu_counter batch of nr: entries */
/*
 * percpu_counter batch of bytes. An entry charges 64 to 8192 bytes (the
 * kmalloc sizes of 40 + 1 to 40 + 256 + 4096 bytes), so a CPU folds its
 * share into the shared count once per 256 KiB of net change: after 32
 * inserts of the largest entries, 4096 of the smallest.
 */
#define CMAP_BYTES_BATCH	(256 * 1024)
#define CMAP_WORK_CHUNK		64	/* buckets between cond_resched() */
#define CMAP_INIT_CHUNK		4096	/* buckets initialised between them */
#define CMAP_SCAN_RANGES	256	/* bucket ranges one scan call visits */
#define CMAP_RETRY_MS		50	/* first retry after a failed allocation */
#define CMAP_RETRY_MAX_MS	2000

/*
 * Chain end markers. Buckets are at least 4-byte aligned, so the low two
 * bits of a bucket address are free:
 *   bit 0 set:          not an entry; the chain ends here (nulls marker)
 *   bit 1 set as well:  the bucket has been migrated (MOVED)
 * Entries (pointer values with bit 0 clear) never point at a MOVED marker.
 */
#define CMAP_NULLS_BIT		BIT(0)
#define CMAP_MOVED_BITS		(BIT(0) | BIT(1))

/**
 * struct cmap_entry - one key and its value, immutable once published
 * @next:    next entry of the chain, or the chain's nulls marker
 * @rcu:     deferred free, once the entry is unlinked
 * @mig_prev: while linked, under its bucket's lock: the migration's back
 *           link (the entry before it in the chain, NULL for the first);
 *           a linked entry's @rcu is unused, so migration borrows it
 * @map:     the map whose bytes it is charged to, until it is freed
 * @hash:    siphash of the key (low 32 bits)
 * @key_len: key length
 * @val_len: value length
 * @data:    the key, then the value
 */
struct cmap_entry {
	struct cmap_entry __rcu *next;
	union {
		struct rcu_head rcu;
		struct cmap_entry *mig_prev;
	};
	struct cmap *map;
	u32 hash;
	u16 key_len;
	u16 val_len;
	u8 data[];
};

/**
 * struct cmap_bucket - a chain head and the lock writers of it take
 * @lock:  serialises every change of the chain
 * @first: first entry, or the nulls marker, or the MOVED marker
 */
struct cmap_bucket {
	spinlock_t lock;	/* serialises changes of @first's chain */
	struct cmap_entry __rcu *first;
};

/**
 * struct cmap_table - a bucket array and its migration state
 * @size:        number of buckets, a power of two
 * @bits:        ilog2(@size)
 * @future:      table being migrated to; set once under map->mutex
 * @next_mig:    shared migration cursor: next bucket to hand out
 * @migrated:    buckets already MOVED
 * @moved_entries: entries moved so far (for the trace event)
 * @start_ns:    when this table's migration began
 * @rcu:         deferred free
 * @map:         the map whose bytes it is charged to, until it is freed
 * @bytes:       bytes charged: what its two allocations took
 * @buckets:     the array
 */
struct cmap_table {
	u32 size;
	u32 bits;
	struct cmap_table __rcu *future;
	atomic_t next_mig;
	atomic_t migrated;
	atomic_t moved_entries;
	u64 start_ns;
	struct rcu_head rcu;
	struct cmap *map;
	size_t bytes;
	struct cmap_bucket *buckets;
};

/**
 * struct cmap - a map
 * @tbl:         current table; changed only by the worker under @mutex
 * @hash_key:    siphash key of the keys, random per map
 * @scan_key:    key of the scan cursors' cipher and MAC, random per map
 * @hash_mask:   ANDed into every hash: U32_MAX but in tests
 * @min_size:    smallest table size
 * @max_entries: entry limit or 0
 * @max_bytes:   memory limit or 0
 * @gfp:         allocation flags
 * @memcg:       memory cgroup tables are charged to (the creator's), or NULL
 * @nr:          entries
 * @bytes:       bytes charged: allocated sizes of entries and tables, until
 *               they are freed
 * @moved_w:     buckets migrated by writers
 * @mutex:       held by the worker, and by cmap_get_stats() while it reads
 *               the counters; tables are retired (and resizes start) only
 *               under it
 * @work:        the resize worker
 * @dying:       set by cmap_destroy(): the worker stops requeueing itself
 * @retry_ms:    delay before the next allocation retry (under @mutex)
 * @grows:       completed grows (under @mutex)
 * @shrinks:     completed shrinks (under @mutex)
 * @alloc_failures: postponed resizes (under @mutex)
 * @moved_k:     buckets migrated by the worker (under @mutex)
 * @max_hold_ns: longest a bucket lock was held to migrate one bucket
 */
struct cmap {
	struct cmap_table __rcu *tbl;
	siphash_key_t hash_key;
	siphash_key_t scan_key;
	u32 hash_mask;
	u32 min_size;
	u32 max_entries;
	u64 max_bytes;
	gfp_t gfp;
	struct mem_cgroup *memcg;
	struct percpu_counter nr;
	struct percpu_counter bytes;
	struct percpu_counter moved_w;
	struct mutex mutex;	/* resize: see the member description */
	struct delayed_work work;
	bool dying;
	unsigned int retry_ms;
	u64 grows;
	u64 shrinks;
	u64 alloc_failures;
	u64 moved_k;
	atomic64_t max_hold_ns;
};

/* Allocation sites, not static so fail_function can target them. */
struct cmap_entry *cmap_alloc_entry(struct cmap *map, u32 hash,
				    const void *key, u32 key_len,
				    const void *val, u32 val_len);
struct cmap_table *cmap_alloc_table(struct cmap *map, u32 size);

/* ---- markers and accessors: the locking rule is in the name ---- */

static inline struct cmap_entry *cmap_nulls(const struct cmap_bucket *b)
{
	return (struct cmap_entry *)((unsigned long)b | CMAP_NULLS_BIT);
}

static inline struct cmap_entry *cmap_moved(const struct cmap_bucket *b)
{
	return (struct cmap_entry *)((unsigned long)b | CMAP_MOVED_BITS);
}

static inline bool cmap_is_nulls(const struct cmap_entry *e)
{
	return (unsigned long)e & CMAP_NULLS_BIT;
}

static inline bool cmap_is_moved(const struct cmap_entry *e)
{
	return ((unsigned long)e & CMAP_MOVED_BITS) == CMAP_MOVED_BITS;
}

/* Current table: RCU reader or map->mutex holder. */
static inline struct cmap_table *cmap_tbl(struct cmap *map)
{
	return rcu_dereference_check(map->tbl, lockdep_is_held(&map->mutex));
}

/* Future table of @tbl: RCU reader or map->mutex holder. */
static inline struct cmap_table *cmap_future(struct cmap *map,
					     struct cmap_table *tbl)
{
	return rcu_dereference_check(tbl->future,
				     lockdep_is_held(&map->mutex));
}

/*
 * Chain pointers, read by an RCU reader. The CMAP_FAULT_PLAIN_LOOKUP
 * switch (test builds only, never in production) turns them into plain
 * loads so that race detectors can prove they catch the race.
 */
#ifdef CMAP_FAULT_PLAIN_LOOKUP	/* FAULT: planted data race */
#define cmap_chain_rcu(p)	((__force struct cmap_entry *)(p))
#else
#define cmap_chain_rcu(p)	rcu_dereference(p)
#endif

static inline struct cmap_entry *cmap_first_rcu(struct cmap_bucket *b)
{
	return cmap_chain_rcu(b->first);
}

static inline struct cmap_entry *cmap_next_rcu(struct cmap_entry *e)
{
	return cmap_chain_rcu(e->next);
}

/*
 * The caller holds bucket @b's lock: lockdep checks it. The
 * CMAP_FAULT_UNLOCKED_WRITE control build (see cmap_lock_writer()) skips
 * the lock on purpose, and these checks with it: that control is there to
 * show that KCSAN, not lockdep, catches writers that bypass the lock.
 */
#ifdef CMAP_FAULT_UNLOCKED_WRITE	/* FAULT: writers may not hold it */
#define cmap_held(b)		((void)(b), 1)
#define cmap_assert_held(b)	((void)(b))
#else
#define cmap_held(b)		lockdep_is_held(&(b)->lock)
#define cmap_assert_held(b)	lockdep_assert_held(&(b)->lock)
#endif

/* Chain pointers of bucket @b, whose lock the caller holds. */
static inline struct cmap_entry *__cmap_first(struct cmap_bucket *b)
{
	return rcu_dereference_protected(b->first, cmap_held(b));
}

static inline struct cmap_entry *__cmap_next(struct cmap_entry *e,
					     struct cmap_bucket *b)
{
	return rcu_dereference_protected(e->next, cmap_held(b));
}

static inline struct cmap_entry *__cmap_deref(struct cmap_entry __rcu **p,
					      struct cmap_bucket *b)
{
	return rcu_dereference_protected(*p, cmap_held(b));
}

/*
 * Store @e into *@p, a chain pointer of a bucket whose lock the caller
 * holds. The lock is what makes this safe: no one else stores to that
 * bucket's chain meanwhile (guarantee 4). ASSERT_EXCLUSIVE_WRITER() tells
 * KCSAN, which then reports any store that bypasses the lock (the
 * CMAP_FAULT_UNLOCKED_WRITE control, see cmap_lock_writer()).
 */
static inline void __cmap_publish(struct cmap_entry __rcu **p,
				  struct cmap_entry *e)
{
	ASSERT_EXCLUSIVE_WRITER(*p);
	rcu_assign_pointer(*p, e);
}

static inline struct cmap_bucket *cmap_bucket(struct cmap_table *tbl,
					      u32 hash)
{
	return &tbl->buckets[hash & (tbl->size - 1)];
}

static inline const u8 *cmap_val(const struct cmap_entry *e)
{
	return e->data + e->key_len;
}

/* What kmalloc() really takes for an entry: its slab object size. */
static inline size_t cmap_entry_bytes(u32 key_len, u32 val_len)
{
	return kmalloc_size_roundup(sizeof(struct cmap_entry) + key_len +
				    val_len);
}

/*
 * What kvmalloc() takes for @n bytes: a kmalloc size (whole pages in a
 * power-of-two order above 8 KiB), or whole pages if it fell back to
 * vmalloc (@p NULL: the most it can take, before allocating).
 */
static size_t cmap_kv_bytes(const void *p, size_t n)
{
	if (n > KMALLOC_MAX_SIZE || (p && is_vmalloc_addr(p)))
		return PAGE_ALIGN(n);
	return kmalloc_size_roundup(n);
}

/* What a table of @size buckets takes: its struct and its bucket array. */
static size_t cmap_table_bytes(u32 size, const void *buckets)
{
	return kmalloc_size_roundup(sizeof(struct cmap_table)) +
	       cmap_kv_bytes(buckets, (size_t)size * sizeof(struct cmap_bucket));
}

/*
 * Fast paths for the commonest key and value size, 8 bytes (a u64 or a
 * pointer): with the size a compile-time constant, memcpy() and memcmp()
 * become one load or store and siphash() loses its loop and tail, instead
 * of a call each. Same results as the general calls they stand for.
 */
#define CMAP_WORD	sizeof(u64)

static __always_inline bool cmap_key_eq(const u8 *a, const void *b,
					u32 len)
{
	u64 x, y;

	if (len != CMAP_WORD)
		return !memcmp(a, b, len);
	memcpy(&x, a, CMAP_WORD);
	memcpy(&y, b, CMAP_WORD);
	return x == y;
}

static __always_inline void cmap_copy(void *dst, const void *src, u32 len)
{
	if (len == CMAP_WORD)
		memcpy(dst, src, CMAP_WORD);
	else
		memcpy(dst, src, len);
}

static __always_inline bool cmap_match(const struct cmap_entry *e, u32 hash,
				       const void *key, u32 key_len)
{
	return e->hash == hash && e->key_len == key_len &&
	       cmap_key_eq(e->data, key, key_len);
}

/*
 * The hash is SipHash-2-4 under the map's random key, truncated to 32
 * bits: a keyed PRF, so without the key no one can compute which keys
 * share a bucket (guarantee 10). Not hsiphash: scans show which keys
 * come back together, and hsiphash is not meant to survive that.
 * siphash() of an 8-byte key is siphash_1u64() of the key read as a
 * little-endian word, the call siphash() itself makes for a constant
 * length of 8 (include/linux/siphash.h): the same value, without the loop.
 */
static __always_inline u32 cmap_hash(const struct cmap *map,
				     const void *key, u32 key_len)
{
	u64 h;

	if (key_len == CMAP_WORD)
		h = siphash_1u64(get_unaligned_le64(key), &map->hash_key);
	else
		h = siphash(key, key_len, &map->hash_key);
	return (u32)h & map->hash_mask;
}

/* ---- allocation: each site its own function for fail_function ---- */

/**
 * cmap_alloc_entry() - allocate and fill an entry (not yet published)
 * @map:     the map, for its gfp flags
 * @hash:    hash of @key
 * @key:     key bytes
 * @key_len: key length
 * @val:     value bytes
 * @val_len: value length
 *
 * Context: process context, may sleep.
 * Return: the entry, or NULL if out of memory.
 */
noinline struct cmap_entry *cmap_alloc_entry(struct cmap *map, u32 hash,
					     const void *key, u32 key_len,
					     const void *val, u32 val_len)
{
	struct cmap_entry *e;

	e = kmalloc(sizeof(*e) + key_len + val_len, map->gfp);
	if (!e)
		return NULL;
	e->map = map;
	e->hash = hash;
	e->key_len = key_len;
	e->val_len = val_len;
	cmap_copy(e->data, key, key_len);
	if (val_len)
		cmap_copy(e->data + key_len, val, val_len);
	return e;
}
ALLOW_ERROR_INJECTION(cmap_alloc_entry, NULL);

/* The table's two allocations, charged to @map->memcg if it has one. */
static struct cmap_table *cmap_alloc_table_mem(struct cmap *map, u32 size)
{
	struct mem_cgroup *old = set_active_memcg(map->memcg);
	struct cmap_table *tbl;

	tbl = kzalloc(sizeof(*tbl), map->gfp);
	if (tbl) {
		tbl->buckets = kvmalloc_array(size, sizeof(*tbl->buckets),
					      map->gfp | __GFP_NOWARN);
		if (!tbl->buckets) {
			kfree(tbl);
			tbl = NULL;
		}
	}
	set_active_memcg(old);
	return tbl;
}

/**
 * cmap_alloc_table() - allocate and initialise an unpublished table
 * @map:  the map, for its gfp flags and memory cgroup
 * @size: number of buckets, a power of two
 *
 * The memory is charged to the map's memory cgroup (its creator's), also
 * when the resize worker allocates it. Initialising a bucket array of up
 * to CMAP_MAX_BUCKETS buckets takes long enough to matter, so this yields
 * every CMAP_INIT_CHUNK buckets. Both callers may sleep: cmap_create() and
 * the resize worker (which holds only map->mutex, no spinlock and no RCU
 * read section).
 *
 * Context: process context, may sleep; called with no spinlock held.
 * Return: the table, or NULL if out of memory.
 */
noinline struct cmap_table *cmap_alloc_table(struct cmap *map, u32 size)
{
	struct cmap_table *tbl;
	u32 i;

	might_sleep();
	tbl = cmap_alloc_table_mem(map, size);
	if (!tbl)
		return NULL;
	tbl->map = map;
	tbl->bytes = cmap_table_bytes(size, tbl->buckets);
	tbl->size = size;
	tbl->bits = ilog2(size);
	for (i = 0; i < size; i++) {
		spin_lock_init(&tbl->buckets[i].lock);
		RCU_INIT_POINTER(tbl->buckets[i].first,
				 cmap_nulls(&tbl->buckets[i]));
		if (!((i + 1) % CMAP_INIT_CHUNK))
			cond_resched();
	}
	return tbl;
}
ALLOW_ERROR_INJECTION(cmap_alloc_table, NULL);

static void cmap_free_table(struct cmap_table *tbl)
{
	kvfree(tbl->buckets);
	kfree(tbl);
}

/* ---- accounting ---- */

/*
 * lib/percpu_counter.c sums the other CPUs' counters with plain loads
 * while those CPUs this_cpu_add() to them: a race by design (the sum is a
 * snapshot), which KCSAN reports as "race at unknown origin". Every sum
 * cmap takes goes through these two helpers, which say so with
 * data_race(), instead of letting the kernel's own idiom show up as a
 * finding of every cmap-hammer run.
 */
static s64 cmap_counter_sum(struct percpu_counter *c)
{
	/* racy by design: a snapshot of other CPUs' counters */
	return data_race(percpu_counter_sum_positive(c));
}

static int cmap_counter_compare(struct percpu_counter *c, s64 rhs, s32 batch)
{
	/* racy by design: may sum other CPUs' counters */
	return data_race(__percpu_counter_compare(c, rhs, batch));
}

/* Add @amount to @c; if that passes @limit (0: none), undo it. */
static int cmap_reserve(struct percpu_counter *c, s64 amount, u64 limit,
			s32 batch)
{
	percpu_counter_add_batch(c, amount, batch);
	if (!limit || amount <= 0)
		return 0;
	if (cmap_counter_compare(c, limit, batch) <= 0)
		return 0;
	percpu_counter_add_batch(c, -amount, batch);
	return -ENOSPC;
}

static int cmap_charge_bytes(struct cmap *map, size_t bytes)
{
	return cmap_reserve(&map->bytes, bytes, map->max_bytes,
			    CMAP_BYTES_BATCH);
}

static void cmap_uncharge_bytes(struct cmap *map, size_t bytes)
{
	percpu_counter_add_batch(&map->bytes, -(s64)bytes, CMAP_BYTES_BATCH);
}

static void cmap_dec_entries(struct cmap *map)
{
	percpu_counter_add_batch(&map->nr, -1, CMAP_COUNT_BATCH);
}

/*
 * ---- freeing: the bytes charge goes with the memory ----
 * A deleted or replaced entry, and a retired table, stay charged to the
 * map's bytes until they are freed, after a grace period.
 */

static void cmap_release_entry(struct cmap_entry *e)
{
	cmap_uncharge_bytes(e->map, cmap_entry_bytes(e->key_len, e->val_len));
	kfree(e);
}

static void cmap_release_table(struct cmap_table *tbl)
{
	cmap_uncharge_bytes(tbl->map, tbl->bytes);
	cmap_free_table(tbl);
}

#ifndef CMAP_FAULT_EARLY_FREE	/* FAULT: these would be unused */
static void cmap_table_free_rcu(struct rcu_head *head)
{
	cmap_release_table(container_of(head, struct cmap_table, rcu));
}

static void cmap_entry_free_rcu(struct rcu_head *head)
{
	cmap_release_entry(container_of(head, struct cmap_entry, rcu));
}
#endif

/* Free @e once current RCU readers are done with it. */
static void cmap_defer_free_entry(struct cmap_entry *e)
{
#ifdef CMAP_FAULT_EARLY_FREE	/* FAULT: no grace period */
	cmap_release_entry(e);
#else
	call_rcu(&e->rcu, cmap_entry_free_rcu);
#endif
}

static void cmap_defer_free_table(struct cmap_table *tbl)
{
#ifdef CMAP_FAULT_EARLY_FREE	/* FAULT: no grace period */
	cmap_release_table(tbl);
#else
	call_rcu(&tbl->rcu, cmap_table_free_rcu);
#endif
}

/* ---- the worker is kicked by writers ---- */

static void cmap_kick(struct cmap *map)
{
	if (!delayed_work_pending(&map->work) && !READ_ONCE(map->dying))
		queue_delayed_work(system_unbound_wq, &map->work, 0);
}

/*
 * Load checks for kicking the worker: the cheap approximate count, summed
 * exactly only when it is within the per-CPU slack of the threshold. The
 * approximate count alone can miss a threshold by up to CMAP_COUNT_BATCH
 * entries per CPU: the last insert past 3/4 would not kick, and a small
 * table would stay over its load limit until some later insert.
 * Grow: n * 4 > size * 3, i.e. n > 3/4 size (sizes are powers of 2 >= 16).
 * Shrink: n * 5 < size, i.e. n < ceil(size / 5).
 */
static bool cmap_wants_grow(struct cmap *map, struct cmap_table *tbl)
{
	return tbl->size < CMAP_MAX_BUCKETS &&
	       cmap_counter_compare(&map->nr, (s64)tbl->size / 4 * 3,
				    CMAP_COUNT_BATCH) > 0;
}

static bool cmap_wants_shrink(struct cmap *map, struct cmap_table *tbl)
{
	return tbl->size > map->min_size &&
	       cmap_counter_compare(&map->nr, ((s64)tbl->size + 4) / 5,
				    CMAP_COUNT_BATCH) < 0;
}

/* ---- migration ---- */

/*
 * One walk down @b's chain pointing each entry's mig_prev at the entry
 * before it (NULL for the first), so that migration can take the chain
 * from its tail in O(1) per entry. Returns the tail, NULL if empty.
 */
static struct cmap_entry *__cmap_link_back(struct cmap_bucket *b)
{
	struct cmap_entry *e, *prev = NULL;

	cmap_assert_held(b);
	for (e = __cmap_first(b); !cmap_is_nulls(e); e = __cmap_next(e, b)) {
		e->mig_prev = prev;
		prev = e;
	}
	return prev;
}

/*
 * Move the tail entry @e of old bucket @ob (linked from *@pprev) to the
 * head of its bucket in @fut: link into the new chain first, then unlink
 * from the old one (guarantee 2).
 */
static void __cmap_move_tail(struct cmap_bucket *ob,
			     struct cmap_entry __rcu **pprev,
			     struct cmap_entry *e, struct cmap_table *fut)
{
	struct cmap_bucket *nb = cmap_bucket(fut, e->hash);

	cmap_assert_held(ob);
	/* nested: the lock order is always old table -> new table */
	spin_lock_nested(&nb->lock, SINGLE_DEPTH_NESTING);
	__cmap_publish(&e->next, __cmap_first(nb));
	__cmap_publish(&nb->first, e);
	__cmap_publish(pprev, cmap_nulls(ob));
	spin_unlock(&nb->lock);
}

/*
 * Move every entry of @ob to @fut, tail first, and mark it MOVED: two
 * walks of the chain, O(chain). Returns entries moved.
 */
static unsigned int __cmap_migrate_bucket(struct cmap_bucket *ob,
					  struct cmap_table *fut)
{
	struct cmap_entry *e, *prev;
	unsigned int n = 0;

	for (e = __cmap_link_back(ob); e; e = prev, n++) {
		prev = e->mig_prev;
		__cmap_move_tail(ob, prev ? &prev->next : &ob->first, e, fut);
	}
	__cmap_publish(&ob->first, cmap_moved(ob));
	return n;
}

/* Remember the longest bucket-lock hold of a migration step. */
static void cmap_note_hold(struct cmap *map, u64 ns)
{
	s64 old = atomic64_read(&map->max_hold_ns);

	while ((s64)ns > old &&
	       !atomic64_try_cmpxchg(&map->max_hold_ns, &old, ns))
		;
}

/**
 * cmap_migrate_bucket() - migrate bucket @i of @tbl unless already done
 * @map:     the map
 * @tbl:     the old table
 * @fut:     its future table
 * @i:       bucket index in @tbl
 * @entries: out: entries moved
 *
 * Context: RCU read side or map->mutex held; no bucket lock held.
 * Return: true if this call migrated the bucket.
 */
static bool cmap_migrate_bucket(struct cmap *map, struct cmap_table *tbl,
				struct cmap_table *fut, u32 i,
				unsigned int *entries)
{
	struct cmap_bucket *ob = &tbl->buckets[i];
	u64 t0;

	spin_lock(&ob->lock);
	if (cmap_is_moved(__cmap_first(ob))) {
		spin_unlock(&ob->lock);
		return false;
	}
	t0 = ktime_get_ns();
	*entries = __cmap_migrate_bucket(ob, fut);
	t0 = ktime_get_ns() - t0;
	spin_unlock(&ob->lock);
	cmap_note_hold(map, t0);
	atomic_add(*entries, &tbl->moved_entries);
	if (atomic_inc_return(&tbl->migrated) == tbl->size)
		cmap_kick(map);		/* the worker finishes the resize */
	return true;
}

/* Hand out the next bucket of the shared cursor, or U32_MAX if none. */
static u32 cmap_next_mig(struct cmap_table *tbl)
{
	u32 i;

	if ((u32)atomic_read(&tbl->next_mig) >= tbl->size)
		return U32_MAX;
	i = atomic_fetch_inc(&tbl->next_mig);
	return i < tbl->size ? i : U32_MAX;
}

/*
 * A writer's share of the migration: its own key's old bucket, then one
 * more from the cursor. Bounded: two buckets.
 */
static void cmap_help(struct cmap *map, struct cmap_table *tbl,
		      struct cmap_table *fut, u32 hash)
{
	unsigned int buckets = 0, entries = 0, n;
	struct cmap_bucket *own = cmap_bucket(tbl, hash);
	u32 i;

	/* No acquire: the future bucket's lock orders (guarantee 4). */
	if (!cmap_is_moved(cmap_first_rcu(own)) &&
	    cmap_migrate_bucket(map, tbl, fut, hash & (tbl->size - 1), &n)) {
		buckets++;
		entries += n;
	}
	i = cmap_next_mig(tbl);
	if (i != U32_MAX && cmap_migrate_bucket(map, tbl, fut, i, &n)) {
		buckets++;
		entries += n;
	}
	if (!buckets)
		return;
	percpu_counter_add(&map->moved_w, buckets);
	trace_cmap_migrate(map, buckets, entries, false);
}

/*
 * A writer's lock on its bucket in the newest table (guarantee 4).
 *
 * CMAP_FAULT_UNLOCKED_WRITE (positive-control builds only, never in
 * production) puts back the classic resize race: while a resize runs,
 * writers skip this lock, so two of them can modify one chain at once.
 * KCSAN must report it (see __cmap_publish()). Preemption stays off as
 * under the lock, and a per-CPU flag tells the unlock what was taken.
 */
#ifdef CMAP_FAULT_UNLOCKED_WRITE	/* FAULT: no lock while resizing */
static DEFINE_PER_CPU(bool, cmap_fault_unlocked);

static void cmap_lock_writer(struct cmap *map, struct cmap_bucket *b)
{
	if (!rcu_access_pointer(cmap_tbl(map)->future)) {
		spin_lock(&b->lock);
		return;
	}
	preempt_disable();
	this_cpu_write(cmap_fault_unlocked, true);
}

static void cmap_unlock_writer(struct cmap_bucket *b)
{
	if (!this_cpu_read(cmap_fault_unlocked)) {
		spin_unlock(&b->lock);
		return;
	}
	this_cpu_write(cmap_fault_unlocked, false);
	preempt_enable();
}
#else
static void cmap_lock_writer(struct cmap *map, struct cmap_bucket *b)
	__acquires(&b->lock)
{
	spin_lock(&b->lock);
}

static void cmap_unlock_writer(struct cmap_bucket *b)
	__releases(&b->lock)
{
	spin_unlock(&b->lock);
}
#endif

/*
 * Lock @hash's bucket in the newest table, migrating the key's bucket out
 * of every older table first (guarantee 4). cmap_unlock_writer() unlocks.
 */
static struct cmap_bucket *cmap_lock_newest(struct cmap *map, u32 hash,
					    struct cmap_table **tblp)
	__acquires(bucket)
{
	struct cmap_table *tbl = cmap_tbl(map), *fut;
	struct cmap_bucket *b;

	for (;;) {
		fut = cmap_future(map, tbl);
		if (fut) {
			cmap_help(map, tbl, fut, hash);
			tbl = fut;
			continue;
		}
		b = cmap_bucket(tbl, hash);
		cmap_lock_writer(map, b);
		if (!cmap_is_moved(__cmap_first(b)))
			break;
		/* A newer resize moved it meanwhile: forward. */
		cmap_unlock_writer(b);
		tbl = cmap_future(map, tbl);
	}
	*tblp = tbl;
	return b;
}

/* ---- lookup ---- */

/* Search one bucket of @tbl; restart if the walk strayed (guarantee 3). */
static struct cmap_entry *cmap_find_bucket(struct cmap_table *tbl, u32 hash,
					   const void *key, u32 key_len)
{
	struct cmap_bucket *b = cmap_bucket(tbl, hash);
	struct cmap_entry *e;

restart:
	for (e = cmap_first_rcu(b); !cmap_is_nulls(e); e = cmap_next_rcu(e))
		if (cmap_match(e, hash, key, key_len))
			return e;
	if (e != cmap_nulls(b) && e != cmap_moved(b))
		goto restart;
	return NULL;
}

static struct cmap_entry *cmap_find_rcu(struct cmap *map, u32 hash,
					const void *key, u32 key_len)
{
	struct cmap_table *tbl;
	struct cmap_entry *e;

	for (tbl = cmap_tbl(map); tbl; tbl = cmap_future(map, tbl)) {
		e = cmap_find_bucket(tbl, hash, key, key_len);
		if (e)
			return e;
		smp_rmb();	/* guarantee 2: chain reads before ->future */
	}
	return NULL;
}

/* Find @key in locked bucket @b; returns the link pointing at it or NULL. */
static struct cmap_entry __rcu **__cmap_find_locked(struct cmap_bucket *b,
						    u32 hash, const void *key,
						    u32 key_len)
{
	struct cmap_entry __rcu **link = &b->first;
	struct cmap_entry *e;

	cmap_assert_held(b);
	for (e = __cmap_deref(link, b); !cmap_is_nulls(e);
	     link = &e->next, e = __cmap_deref(link, b))
		if (cmap_match(e, hash, key, key_len))
			return link;
	return NULL;
}

static int cmap_check_key(const void *key, u32 key_len)
{
	if (!key || !key_len)
		return -EINVAL;
	return key_len > CMAP_KEY_MAX ? -E2BIG : 0;
}

/**
 * cmap_lookup() - copy the value of a key out of the map
 * @map:      the map
 * @key:      key bytes
 * @key_len:  key length, 1..CMAP_KEY_MAX
 * @val:      buffer for the value
 * @val_size: bytes available at @val
 * @val_len:  out (may be NULL): length of the value
 *
 * The value is copied from one immutable entry under RCU: it is the value
 * of one update, whole.
 *
 * Context: any context; takes no lock, does not sleep.
 * Return: 0; -ENOENT if absent; -ENOSPC if the value is longer than
 * @val_size (*@val_len tells its length); -EINVAL or -E2BIG for a bad key.
 */
int cmap_lookup(struct cmap *map, const void *key, u32 key_len,
		void *val, u32 val_size, u32 *val_len)
{
	struct cmap_entry *e;
	u32 hash, n = 0;
	int err;

	err = cmap_check_key(key, key_len);
	if (err)
		return err;
	hash = cmap_hash(map, key, key_len);
	rcu_read_lock();
	e = cmap_find_rcu(map, hash, key, key_len);
	if (e) {
		n = e->val_len;
		if (n <= val_size && n)
			cmap_copy(val, cmap_val(e), n);
	}
	rcu_read_unlock();
	if (!e)
		return -ENOENT;
	if (val_len)
		*val_len = n;
	return n > val_size ? -ENOSPC : 0;
}
EXPORT_SYMBOL_GPL(cmap_lookup);

/* ---- update and delete ---- */

/*
 * Replace the entry linked from *@link by @ne, in place. @ne is charged in
 * full: the old entry stays charged until it is freed, a grace period on.
 */
static int __cmap_replace(struct cmap *map, struct cmap_bucket *b,
			  struct cmap_entry __rcu **link,
			  struct cmap_entry *ne, struct cmap_entry **oldp)
{
	struct cmap_entry *old = __cmap_deref(link, b);

	if (cmap_charge_bytes(map, cmap_entry_bytes(ne->key_len, ne->val_len)))
		return -ENOSPC;
	RCU_INIT_POINTER(ne->next, __cmap_next(old, b));
	__cmap_publish(link, ne);
	*oldp = old;
	return 0;
}

static int __cmap_insert(struct cmap *map, struct cmap_bucket *b,
			 struct cmap_entry *ne)
{
	if (cmap_reserve(&map->nr, 1, map->max_entries, CMAP_COUNT_BATCH))
		return -ENOSPC;
	if (cmap_charge_bytes(map, cmap_entry_bytes(ne->key_len, ne->val_len))) {
		cmap_dec_entries(map);
		return -ENOSPC;
	}
	RCU_INIT_POINTER(ne->next, __cmap_first(b));
	__cmap_publish(&b->first, ne);
	return 0;
}

/* Insert or replace @ne in locked bucket @b according to @flags. */
static int __cmap_put(struct cmap *map, struct cmap_bucket *b,
		      struct cmap_entry *ne, u32 flags,
		      struct cmap_entry **oldp)
{
	struct cmap_entry __rcu **link;

	cmap_assert_held(b);
	link = __cmap_find_locked(b, ne->hash, ne->data, ne->key_len);
	if (link) {
		if (flags & CMAP_PUT_NOEXIST)
			return -EEXIST;
		return __cmap_replace(map, b, link, ne, oldp);
	}
	if (flags & CMAP_PUT_EXIST)
		return -ENOENT;
	return __cmap_insert(map, b, ne);
}

static int cmap_check_update(const void *key, u32 key_len, const void *val,
			     u32 val_len, u32 flags)
{
	int err = cmap_check_key(key, key_len);

	if (err)
		return err;
	if ((flags & ~CMAP_PUT_FLAGS) || flags == CMAP_PUT_FLAGS)
		return -EINVAL;
	if (val_len > CMAP_VALUE_MAX)
		return -E2BIG;
	return val_len && !val ? -EINVAL : 0;
}

/**
 * cmap_update() - insert or replace a key's value
 * @map:     the map
 * @key:     key bytes
 * @key_len: key length, 1..CMAP_KEY_MAX
 * @val:     value bytes
 * @val_len: value length, 0..CMAP_VALUE_MAX
 * @flags:   CMAP_PUT_ANY, CMAP_PUT_NOEXIST or CMAP_PUT_EXIST
 *
 * A replacement swaps the entry in place: readers see the old or the new
 * value, never neither. Never fails because a resize is in progress.
 *
 * Context: process context, may sleep (allocation); takes one bucket lock
 * (plus migration locks, see the DOC block).
 * Return: 0; -EEXIST (NOEXIST, present); -ENOENT (EXIST, absent);
 * -ENOSPC (max_entries or max_bytes reached); -ENOMEM; -EINVAL or -E2BIG
 * for bad arguments.
 */
int cmap_update(struct cmap *map, const void *key, u32 key_len,
		const void *val, u32 val_len, u32 flags)
{
	struct cmap_entry *ne, *old = NULL;
	struct cmap_table *tbl;
	struct cmap_bucket *b;
	bool grow;
	u32 hash;
	int err;

	err = cmap_check_update(key, key_len, val, val_len, flags);
	if (err)
		return err;
	hash = cmap_hash(map, key, key_len);
	ne = cmap_alloc_entry(map, hash, key, key_len, val, val_len);
	if (!ne)
		return -ENOMEM;
	rcu_read_lock();
	b = cmap_lock_newest(map, hash, &tbl);
	err = __cmap_put(map, b, ne, flags, &old);
	cmap_unlock_writer(b);
	grow = !err && !old && cmap_wants_grow(map, tbl);
	rcu_read_unlock();
	if (err)
		kfree(ne);
	if (old)
		cmap_defer_free_entry(old);
	if (grow)
		cmap_kick(map);
	return err;
}
EXPORT_SYMBOL_GPL(cmap_update);

/**
 * cmap_delete() - remove a key
 * @map:     the map
 * @key:     key bytes
 * @key_len: key length, 1..CMAP_KEY_MAX
 *
 * Context: process context; takes one bucket lock (plus migration locks)
 * and does not sleep, but may queue the resize worker.
 * Return: 0; -ENOENT if absent; -EINVAL or -E2BIG for a bad key.
 */
int cmap_delete(struct cmap *map, const void *key, u32 key_len)
{
	struct cmap_entry __rcu **link;
	struct cmap_entry *e = NULL;
	struct cmap_table *tbl;
	struct cmap_bucket *b;
	bool shrink = false;
	u32 hash;
	int err;

	err = cmap_check_key(key, key_len);
	if (err)
		return err;
	hash = cmap_hash(map, key, key_len);
	rcu_read_lock();
	b = cmap_lock_newest(map, hash, &tbl);
	link = __cmap_find_locked(b, hash, key, key_len);
	if (link) {
		e = __cmap_deref(link, b);
		__cmap_publish(link, __cmap_next(e, b));
		cmap_dec_entries(map);
	}
	cmap_unlock_writer(b);
	if (e)
		shrink = cmap_wants_shrink(map, tbl);
	rcu_read_unlock();
	if (!e)
		return -ENOENT;
	cmap_defer_free_entry(e);
	if (shrink)
		cmap_kick(map);
	return 0;
}
EXPORT_SYMBOL_GPL(cmap_delete);

/* ---- the resize worker (runs under map->mutex) ---- */

/* Exact decision: the size the table should have now, or 0 for none. */
static u32 cmap_target_size(struct cmap *map, struct cmap_table *tbl)
{
	s64 n = cmap_counter_sum(&map->nr);

	if (n * 4 > (s64)tbl->size * 3 && tbl->size < CMAP_MAX_BUCKETS)
		return tbl->size * 2;
	if (tbl->size > map->min_size && n * 5 < (s64)tbl->size)
		return tbl->size / 2;
	return 0;
}

static void cmap_alloc_failed(struct cmap *map)
{
	lockdep_assert_held(&map->mutex);
	map->alloc_failures++;
	if (!READ_ONCE(map->dying))
		queue_delayed_work(system_unbound_wq, &map->work,
				   msecs_to_jiffies(map->retry_ms));
	map->retry_ms = min(map->retry_ms * 2, CMAP_RETRY_MAX_MS);
}

/* Allocate and publish a future table if the load calls for it. */
static bool cmap_start_resize(struct cmap *map, struct cmap_table *tbl)
{
	struct cmap_table *fut;
	u32 size;

	lockdep_assert_held(&map->mutex);
	size = cmap_target_size(map, tbl);
	if (!size)
		return false;
	/*
	 * The new table counts against max_bytes as entries do: a map at
	 * its memory cap keeps its table (inserts already fail with
	 * -ENOSPC; deletes kick the worker again).
	 */
	if (cmap_charge_bytes(map, cmap_table_bytes(size, NULL)))
		return false;
	fut = cmap_alloc_table(map, size);
	if (!fut) {
		cmap_uncharge_bytes(map, cmap_table_bytes(size, NULL));
		cmap_alloc_failed(map);
		return false;
	}
	/* Charged at the most kvmalloc could take: keep what it took. */
	cmap_uncharge_bytes(map, cmap_table_bytes(size, NULL) - fut->bytes);
	map->retry_ms = CMAP_RETRY_MS;
	tbl->start_ns = ktime_get_ns();
	trace_cmap_resize_start(map, tbl->size, size, size > tbl->size);
	rcu_assign_pointer(tbl->future, fut);	/* guarantee 2 */
	return true;
}

/* Account and trace what the worker moved since the last call. */
static void cmap_worker_account(struct cmap *map, unsigned int *buckets,
				unsigned int *entries)
{
	if (!*buckets)
		return;
	map->moved_k += *buckets;
	trace_cmap_migrate(map, *buckets, *entries, true);
	*buckets = 0;
	*entries = 0;
}

/* The worker's share: everything left on the cursor, in chunks. */
static void cmap_worker_migrate(struct cmap *map, struct cmap_table *tbl,
				struct cmap_table *fut)
{
	unsigned int buckets = 0, entries = 0, visited = 0, n;
	u32 i;

	lockdep_assert_held(&map->mutex);
	while ((i = cmap_next_mig(tbl)) != U32_MAX) {
		if (cmap_migrate_bucket(map, tbl, fut, i, &n)) {
			buckets++;
			entries += n;
		}
		if (++visited % CMAP_WORK_CHUNK)
			continue;
		cmap_worker_account(map, &buckets, &entries);
		cond_resched();
	}
	cmap_worker_account(map, &buckets, &entries);
}

/* Every bucket of @tbl is MOVED: make @fut current, retire @tbl. */
static void cmap_finish_resize(struct cmap *map, struct cmap_table *tbl,
			       struct cmap_table *fut)
{
	lockdep_assert_held(&map->mutex);
	rcu_assign_pointer(map->tbl, fut);
	if (fut->size > tbl->size)
		map->grows++;
	else
		map->shrinks++;
	trace_cmap_resize_end(map, tbl->size, fut->size,
			      ktime_get_ns() - tbl->start_ns,
			      atomic_read(&tbl->moved_entries));
	cmap_defer_free_table(tbl);	/* uncharged when freed */
}

/* One step of the resize state machine; true if there is more to do. */
static bool cmap_resize_step(struct cmap *map)
{
	struct cmap_table *tbl = cmap_tbl(map);
	struct cmap_table *fut = cmap_future(map, tbl);

	if (!fut)
		return cmap_start_resize(map, tbl);
	cmap_worker_migrate(map, tbl, fut);
	/* Writers still finishing buckets: the last one kicks us again. */
	if ((u32)atomic_read(&tbl->migrated) < tbl->size)
		return false;
	cmap_finish_resize(map, tbl, fut);
	return true;
}

static void cmap_worker(struct work_struct *work)
{
	struct cmap *map = container_of(to_delayed_work(work), struct cmap,
					work);

	mutex_lock(&map->mutex);
	while (!READ_ONCE(map->dying) && cmap_resize_step(map))
		cond_resched();
	mutex_unlock(&map->mutex);
}

/* ---- create, destroy, clear ---- */

static int cmap_init_counters(struct cmap *map)
{
	int err;

	err = percpu_counter_init(&map->nr, 0, GFP_KERNEL);
	if (err)
		return err;
	err = percpu_counter_init(&map->bytes, 0, GFP_KERNEL);
	if (err)
		goto destroy_nr;
	err = percpu_counter_init(&map->moved_w, 0, GFP_KERNEL);
	if (err)
		goto destroy_bytes;
	return 0;

destroy_bytes:
	percpu_counter_destroy(&map->bytes);
destroy_nr:
	percpu_counter_destroy(&map->nr);
	return err;
}

static void cmap_destroy_counters(struct cmap *map)
{
	percpu_counter_destroy(&map->moved_w);
	percpu_counter_destroy(&map->bytes);
	percpu_counter_destroy(&map->nr);
}

static int cmap_apply_config(struct cmap *map, const struct cmap_config *cfg)
{
	u32 min = cfg && cfg->min_buckets ? cfg->min_buckets : CMAP_MIN_BUCKETS;

	if (min > CMAP_MAX_BUCKETS)
		return -EINVAL;
	map->min_size = roundup_pow_of_two(max_t(u32, min, CMAP_MIN_BUCKETS));
	map->max_entries = cfg ? cfg->max_entries : 0;
	map->max_bytes = cfg ? cfg->max_bytes : 0;
	map->gfp = cfg && cfg->gfp ? cfg->gfp : GFP_KERNEL;
	map->hash_mask = cfg && cfg->hash_mask ? cfg->hash_mask : U32_MAX;
	get_random_bytes(&map->hash_key, sizeof(map->hash_key));
	get_random_bytes(&map->scan_key, sizeof(map->scan_key));
	/* The creator's memory cgroup pays for the tables (see DOC). */
	if (map->gfp & __GFP_ACCOUNT)
		map->memcg = get_mem_cgroup_from_mm(current->mm);
	map->retry_ms = CMAP_RETRY_MS;
	return 0;
}

/**
 * cmap_create() - create an empty map
 * @cfg: sizes, limits and allocation flags; NULL for the defaults
 *
 * Context: process context, may sleep.
 * Return: the map, or ERR_PTR(-EINVAL) for a bad @cfg, ERR_PTR(-ENOMEM).
 */
struct cmap *cmap_create(const struct cmap_config *cfg)
{
	struct cmap_table *tbl;
	struct cmap *map;
	int err;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return ERR_PTR(-ENOMEM);
	err = cmap_apply_config(map, cfg);
	if (err)
		goto free_map;
	err = cmap_init_counters(map);
	if (err)
		goto free_map;
	err = -ENOMEM;
	tbl = cmap_alloc_table(map, map->min_size);
	if (!tbl)
		goto destroy_counters;
	percpu_counter_add_batch(&map->bytes, tbl->bytes, CMAP_BYTES_BATCH);
	RCU_INIT_POINTER(map->tbl, tbl);
	mutex_init(&map->mutex);
	INIT_DELAYED_WORK(&map->work, cmap_worker);
	return map;

destroy_counters:
	cmap_destroy_counters(map);
free_map:
	mem_cgroup_put(map->memcg);
	kfree(map);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_GPL(cmap_create);

/* Free every entry of @tbl at once: no reader or writer is left. */
static void cmap_free_entries(struct cmap *map, struct cmap_table *tbl)
{
	struct cmap_entry *e, *next;
	struct cmap_bucket *b;
	u32 i;

	for (i = 0; i < tbl->size; i++) {
		b = &tbl->buckets[i];
		spin_lock(&b->lock);
		for (e = __cmap_first(b); !cmap_is_nulls(e); e = next) {
			next = __cmap_next(e, b);
			kfree(e);
		}
		spin_unlock(&b->lock);
		if (!(i % CMAP_WORK_CHUNK))
			cond_resched();
	}
}

/**
 * cmap_destroy() - free a map and everything in it
 * @map: the map (NULL or an ERR_PTR is ignored)
 *
 * The caller guarantees that no other call on @map runs or will run.
 * Cancels the resize worker and waits for every deferred free.
 *
 * Context: process context, sleeps.
 */
void cmap_destroy(struct cmap *map)
{
	struct cmap_table *tbl, *fut;

	if (IS_ERR_OR_NULL(map))
		return;
	WRITE_ONCE(map->dying, true);
	cancel_delayed_work_sync(&map->work);
	mutex_lock(&map->mutex);
	tbl = cmap_tbl(map);
	fut = cmap_future(map, tbl);
	cmap_free_entries(map, tbl);
	if (fut) {
		cmap_free_entries(map, fut);
		cmap_free_table(fut);
	}
	cmap_free_table(tbl);
	mutex_unlock(&map->mutex);
	rcu_barrier();
	mutex_destroy(&map->mutex);
	cmap_destroy_counters(map);
	mem_cgroup_put(map->memcg);
	kfree(map);
}
EXPORT_SYMBOL_GPL(cmap_destroy);

/* Unlink and free every entry of bucket @b (not if MOVED). */
static void cmap_clear_bucket(struct cmap *map, struct cmap_bucket *b)
{
	struct cmap_entry *e, *next;

	spin_lock(&b->lock);
	e = __cmap_first(b);
	if (!cmap_is_nulls(e))
		__cmap_publish(&b->first, cmap_nulls(b));
	for (; !cmap_is_nulls(e); e = next) {
		next = __cmap_next(e, b);
		cmap_dec_entries(map);
		cmap_defer_free_entry(e);
	}
	spin_unlock(&b->lock);
}

/* Clear the buckets of @tbl that hold reversed hashes in [@lo, @hi). */
static void cmap_clear_table(struct cmap *map, struct cmap_table *tbl,
			     u64 lo, u64 hi)
{
	u32 shift = 32 - tbl->bits;
	u64 x;

	for (x = lo; x < hi; x = ((x >> shift) + 1) << shift)
		cmap_clear_bucket(map, &tbl->buckets[bitrev32((u32)x) &
						     (tbl->size - 1)]);
}

/*
 * Clear one range of reversed hashes, from *@lo to the end of the bucket
 * of the coarser table that holds it, in every table oldest first, and
 * advance *@lo past it (guarantee 11).
 */
static void cmap_clear_range(struct cmap *map, u64 *lo)
{
	struct cmap_table *tbl = cmap_tbl(map), *fut = cmap_future(map, tbl);
	u32 bits = fut ? min(tbl->bits, fut->bits) : tbl->bits;
	u64 hi = ((*lo >> (32 - bits)) + 1) << (32 - bits);

	/* A MOVED bucket seen under its lock orders the read of ->future. */
	for (; tbl; tbl = cmap_future(map, tbl))
		cmap_clear_table(map, tbl, *lo, hi);
	*lo = hi;
}

/**
 * cmap_clear() - remove every entry
 * @map: the map
 *
 * Entries present for the whole call are removed; entries inserted
 * concurrently may survive. The map is walked by ranges of reversed
 * hashes, as a scan walks it, CMAP_WORK_CHUNK ranges per RCU read section
 * with cond_resched() in between, and without map->mutex: resizes go on
 * meanwhile (guarantee 11). Returns once the removed entries are freed
 * (rcu_barrier()), so their bytes are no longer charged to the map.
 *
 * Context: process context, sleeps (cond_resched(); waits for a grace
 * period and the callbacks before it); takes bucket locks one at a time.
 */
void cmap_clear(struct cmap *map)
{
	unsigned int n;
	u64 lo = 0;

	while (lo < CMAP_SCAN_END) {
		rcu_read_lock();
		for (n = 0; n < CMAP_WORK_CHUNK && lo < CMAP_SCAN_END; n++)
			cmap_clear_range(map, &lo);
		rcu_read_unlock();
		cond_resched();
	}
	rcu_barrier();		/* the cleared entries are freed, uncharged */
	cmap_kick(map);		/* probably time to shrink */
}
EXPORT_SYMBOL_GPL(cmap_clear);

/**
 * cmap_count() - number of entries
 * @map: the map
 *
 * Context: any context; does not sleep.
 * Return: the exact sum of the per-CPU entry counters.
 */
u64 cmap_count(struct cmap *map)
{
	return cmap_counter_sum(&map->nr);
}
EXPORT_SYMBOL_GPL(cmap_count);

/* ---- stats ---- */

static u32 cmap_chain_len_rcu(struct cmap_bucket *b)
{
	struct cmap_entry *e;
	u32 n = 0;

	for (e = cmap_first_rcu(b); !cmap_is_nulls(e); e = cmap_next_rcu(e))
		n++;
	return n;
}

/* The newest table: the end of the ->future chain. RCU reader. */
static struct cmap_table *cmap_newest_rcu(struct cmap *map)
{
	struct cmap_table *tbl = cmap_tbl(map), *fut;

	while ((fut = cmap_future(map, tbl)))
		tbl = fut;
	return tbl;
}

/*
 * Count the chains of buckets [*@i, *@i + CMAP_WORK_CHUNK) of the newest
 * table into @st and advance *@i. Returns false once *@i has passed the
 * newest table's last bucket.
 */
static bool cmap_chain_chunk(struct cmap *map, u32 *i,
			     struct cmap_core_stats *st)
{
	struct cmap_table *tbl;
	u32 end, n;
	bool more;

	rcu_read_lock();
	tbl = cmap_newest_rcu(map);
	end = min_t(u32, *i + CMAP_WORK_CHUNK, tbl->size);
	for (; *i < end; (*i)++) {
		n = cmap_chain_len_rcu(&tbl->buckets[*i]);
		st->max_chain = max_t(u64, st->max_chain, n);
		st->chain_hist[min_t(u32, n, CMAP_CHAIN_HIST - 1)]++;
	}
	more = *i < tbl->size;
	rcu_read_unlock();
	return more;
}

/**
 * cmap_get_stats() - take a snapshot of a map's state and history
 * @map: the map
 * @st:  filled in
 *
 * The counters and table sizes are read under map->mutex, which the call
 * holds only for that; the chain histogram is taken after it, without
 * the mutex, by a walk of the newest table in chunks (guarantee 11).
 *
 * Context: process context, sleeps (takes the map's resize mutex, and
 * yields between chunks of the walk).
 */
void cmap_get_stats(struct cmap *map, struct cmap_core_stats *st)
{
	struct cmap_table *tbl, *fut;
	u32 i = 0;

	memset(st, 0, sizeof(*st));
	mutex_lock(&map->mutex);
	tbl = cmap_tbl(map);
	fut = cmap_future(map, tbl);
	st->entries = cmap_counter_sum(&map->nr);
	st->bytes = cmap_counter_sum(&map->bytes);
	st->buckets = tbl->size;
	st->future_buckets = fut ? fut->size : 0;
	st->migrated = fut ? atomic_read(&tbl->migrated) : 0;
	st->grows = map->grows;
	st->shrinks = map->shrinks;
	st->resize_alloc_failures = map->alloc_failures;
	st->moved_by_writers = cmap_counter_sum(&map->moved_w);
	st->moved_by_worker = map->moved_k;
	st->max_bucket_lock_ns = atomic64_read(&map->max_hold_ns);
	mutex_unlock(&map->mutex);
	while (cmap_chain_chunk(map, &i, st))
		cond_resched();
}
EXPORT_SYMBOL_GPL(cmap_get_stats);

/* ---- scan ---- */

/*
 * Scan cursors (guarantee 10). A scan's position is a reversed-hash value
 * p in [0, 2^32): every entry whose bitrev32(hash) is below p has been
 * returned. User space holds a sealed token of it, never p itself:
 *
 *   bits 63..32  p encrypted: a 4-round Feistel network over 16-bit
 *                halves whose round function is siphash under
 *                map->scan_key, a keyed permutation of the 32-bit values
 *   bits 31..0   a MAC of bits 63..32: siphash under the same key in
 *                another domain, with bit 0 forced to 1
 *
 * Bit 0 set means no token is 0 (a new scan) or CMAP_SCAN_END (done). A
 * token whose MAC does not match is -EINVAL: a cursor is one this map
 * handed out, or a guess right once in 2^31. Equal positions give equal
 * tokens; nothing else about p, and so about any hash, shows.
 */
#define CMAP_CUR_ROUNDS		4
#define CMAP_CUR_MAC		CMAP_CUR_ROUNDS	/* the MAC's domain */

static u32 cmap_cur_f(const struct cmap *map, u32 round, u32 half)
{
	return (u32)siphash_2u32(round, half, &map->scan_key) & 0xffff;
}

static u32 cmap_cur_mac(const struct cmap *map, u32 c)
{
	return (u32)siphash_2u32(CMAP_CUR_MAC, c, &map->scan_key) | 1;
}

static u64 cmap_cursor_seal(const struct cmap *map, u32 pos)
{
	u32 l = pos >> 16, r = pos & 0xffff, t, i, c;

	for (i = 0; i < CMAP_CUR_ROUNDS; i++) {
		t = r;
		r = l ^ cmap_cur_f(map, i, r);
		l = t;
	}
	c = l << 16 | r;
	return (u64)c << 32 | cmap_cur_mac(map, c);
}

static int cmap_cursor_open(const struct cmap *map, u64 token, u32 *pos)
{
	u32 c = token >> 32, l = c >> 16, r = c & 0xffff, t, i;

	if (!token) {
		*pos = 0;
		return 0;
	}
	if ((u32)token != cmap_cur_mac(map, c))
		return -EINVAL;
	for (i = CMAP_CUR_ROUNDS; i--; ) {
		t = l;
		l = r ^ cmap_cur_f(map, i, l);
		r = t;
	}
	*pos = l << 16 | r;
	return 0;
}

static size_t cmap_rec_bytes(const struct cmap_entry *e)
{
	return ALIGN(sizeof(struct cmap_scan_rec) + e->key_len + e->val_len, 8);
}

static const struct cmap_scan_rec *cmap_rec_at(const struct cmap_scan_buf *sb,
					       u32 off)
{
	return sb->buf + off;
}

static size_t cmap_rec_next(const struct cmap_scan_buf *sb, u32 off)
{
	const struct cmap_scan_rec *r = cmap_rec_at(sb, off);

	return off + ALIGN(sizeof(*r) + r->key_len + r->value_len, 8);
}

/* Records by key: shorter keys first, then by bytes. */
static int cmap_rec_cmp(const struct cmap_scan_rec *r, const u8 *key, u32 len)
{
	if (r->key_len != len)
		return r->key_len < len ? -1 : 1;
	return memcmp(r + 1, key, len);
}

static int cmap_idx_cmp(const void *a, const void *b, const void *priv)
{
	const struct cmap_scan_rec *rb = cmap_rec_at(priv, *(const u32 *)b);

	return cmap_rec_cmp(cmap_rec_at(priv, *(const u32 *)a),
			    (const u8 *)(rb + 1), rb->key_len);
}

/*
 * The duplicate index of a range read from more than one table: the
 * offsets of the records of the earlier tables, sorted by key, a u32
 * array at the end of the buffer (records grow from its start). Records
 * of the range may use the bytes below it.
 */
static u32 *cmap_idx(const struct cmap_scan_buf *sb, u32 n)
{
	return (u32 *)(sb->buf + (sb->size & ~(size_t)3)) - n;
}

static size_t cmap_rec_room(const struct cmap_scan_buf *sb, u32 n)
{
	size_t end = sb->size & ~(size_t)3;

	return end >= (size_t)n * 4 ? end - (size_t)n * 4 : 0;
}

/**
 * struct cmap_range - the state of one scan range
 * @lo:    reversed-hash value where the range starts (the position)
 * @hi:    where it ends (exclusive)
 * @cut:   lowest reversed hash left out for want of room (else @hi)
 * @low:   lowest reversed hash returned (else @hi)
 * @from:  sb->used when the range started
 * @count: sb->count when the range started
 * @need:  bytes the range needs (an upper bound once it overflowed)
 * @nidx:  records in the duplicate index
 * @nlin:  records of earlier tables, compared one by one (no index)
 * @full:  a record (or the index) did not fit
 */
struct cmap_range {
	u64 lo, hi, cut, low;
	size_t from;
	u32 count;
	size_t need;
	u32 nidx;
	u32 nlin;
	bool full;
};

/* So few records of earlier tables are compared without an index. */
#define CMAP_SCAN_LINEAR	8

/* Is @e's key among the first @r->nlin records of the range? */
static bool cmap_scan_seen_lin(const struct cmap_scan_buf *sb,
			       const struct cmap_range *r,
			       const struct cmap_entry *e)
{
	size_t off = r->from;
	u32 i;

	for (i = 0; i < r->nlin; i++, off = cmap_rec_next(sb, off))
		if (!cmap_rec_cmp(cmap_rec_at(sb, off), e->data, e->key_len))
			return true;
	return false;
}

/*
 * Is @e's key among the records of earlier tables? O(log n) key
 * comparisons in the index, or at most CMAP_SCAN_LINEAR without one.
 */
static bool cmap_scan_seen(const struct cmap_scan_buf *sb,
			   const struct cmap_range *r,
			   const struct cmap_entry *e)
{
	const u32 *idx = cmap_idx(sb, r->nidx);
	u32 lo = 0, hi = r->nidx, mid;
	int c;

	if (r->nlin)
		return cmap_scan_seen_lin(sb, r, e);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = cmap_rec_cmp(cmap_rec_at(sb, idx[mid]), e->data,
				 e->key_len);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * Before reading the next table of a range: index the records so far.
 * Up to CMAP_SCAN_LINEAR of them need no index (and no room for one: a
 * buffer of the size -ENOSPC asked for stays enough during a migration).
 * Without room for the index, more records are too many for this buffer:
 * the range is cut in half (see cmap_scan_fit()).
 */
static void cmap_scan_index(struct cmap_scan_buf *sb, struct cmap_range *r)
{
	u32 n = sb->count - r->count, i;
	size_t off = r->from;
	u32 *idx;

	if (r->full || !n)
		return;
	if (n <= CMAP_SCAN_LINEAR) {
		r->nlin = n;
		r->nidx = 0;
		return;
	}
	r->nlin = 0;
	r->need += (size_t)n * 4;
	if (cmap_rec_room(sb, n) < sb->used) {
		r->full = true;
		r->cut = min(r->cut, r->lo + (r->hi - r->lo) / 2);
		return;
	}
	idx = cmap_idx(sb, n);
	for (i = 0; i < n; i++, off = cmap_rec_next(sb, off))
		idx[i] = off;
	sort_r(idx, n, sizeof(*idx), cmap_idx_cmp, NULL, sb);
	r->nidx = n;
}

static void cmap_scan_put(struct cmap_scan_buf *sb, struct cmap_range *r,
			  const struct cmap_entry *e, u64 rev)
{
	struct cmap_scan_rec *rec;
	size_t len = cmap_rec_bytes(e), n = e->key_len + e->val_len;

	if (!r->full && (r->nidx || r->nlin) && cmap_scan_seen(sb, r, e))
		return;
	r->need += len;
	if (r->full || sb->used + len > cmap_rec_room(sb, r->nidx)) {
		r->full = true;
		r->cut = min(r->cut, rev);
		return;
	}
	rec = sb->buf + sb->used;
	rec->key_len = e->key_len;
	rec->value_len = e->val_len;
	memcpy(rec + 1, e->data, n);
	/* A restarted range rewrites its records: never leave stale bytes. */
	memset((u8 *)(rec + 1) + n, 0, len - sizeof(*rec) - n);
	sb->used += len;
	sb->count++;
	r->low = min(r->low, rev);
}

/* Emit @b's entries within the range; -EAGAIN if the walk strayed. */
static int cmap_scan_bucket(struct cmap_bucket *b, struct cmap_scan_buf *sb,
			    struct cmap_range *r)
{
	struct cmap_entry *e;
	u64 rev;

	for (e = cmap_first_rcu(b); !cmap_is_nulls(e); e = cmap_next_rcu(e)) {
		rev = bitrev32(e->hash);
		if (rev >= r->lo && rev < r->hi)
			cmap_scan_put(sb, r, e, rev);
	}
	return e == cmap_nulls(b) || e == cmap_moved(b) ? 0 : -EAGAIN;
}

/* Emit the buckets of @tbl that cover the range. */
static int cmap_scan_table(struct cmap_table *tbl, struct cmap_scan_buf *sb,
			   struct cmap_range *r)
{
	u32 shift = 32 - tbl->bits;
	u64 x;
	int err;

	for (x = r->lo; x < r->hi; x = ((x >> shift) + 1) << shift) {
		err = cmap_scan_bucket(&tbl->buckets[bitrev32((u32)x) &
						     (tbl->size - 1)], sb, r);
		if (err)
			return err;
	}
	return 0;
}

/* One pass over [r->lo, r->hi): every table from the current one on. */
static int cmap_scan_range(struct cmap *map, struct cmap_scan_buf *sb,
			   struct cmap_range *r)
{
	struct cmap_table *tbl = cmap_tbl(map), *first;

restart:
	sb->used = r->from;
	sb->count = r->count;
	r->need = 0;
	r->nidx = 0;
	r->nlin = 0;
	r->cut = r->hi;
	r->low = r->hi;
	r->full = false;
	for (first = tbl; tbl; tbl = cmap_future(map, tbl)) {
		if (tbl != first)
			cmap_scan_index(sb, r);
		if (cmap_scan_table(tbl, sb, r))
			goto restart_tbl;
		smp_rmb();	/* guarantee 2: chain reads before ->future */
	}
	return r->full ? -ENOSPC : 0;
restart_tbl:
	tbl = cmap_tbl(map);
	goto restart;
}

/* Where the range at @lo ends: its bucket in the coarser table. */
static u64 cmap_range_end(struct cmap *map, u64 lo)
{
	struct cmap_table *tbl = cmap_tbl(map), *fut = cmap_future(map, tbl);
	u32 shift = 32 - (fut ? min(tbl->bits, fut->bits) : tbl->bits);

	return ((lo >> shift) + 1) << shift;
}

#define CMAP_SCAN_TRIES		8	/* passes to make the first range fit */

/*
 * The range at r->lo (guarantee 8). If it is the first of the call to hold
 * entries and does not fit, it is narrowed until it does: to the hash
 * values below the first entry left out, or if none was returned below
 * it, to that entry's hash value alone. Entries of one hash value are
 * never split: -ENOSPC if they do not fit (r->need says how much they
 * need). With sb->first, a range that fits is narrowed to its lowest hash
 * value with entries. Each narrowing strictly lowers r->hi; the last pass
 * allowed is never narrowed after it returned records.
 */
static int cmap_scan_fit(struct cmap *map, struct cmap_scan_buf *sb,
			 struct cmap_range *r)
{
	u64 hi;
	int err, tries;

	r->hi = cmap_range_end(map, r->lo);
	for (tries = 0; tries < CMAP_SCAN_TRIES; tries++) {
		err = cmap_scan_range(map, sb, r);
		if (!err && sb->first && r->low + 1 < r->hi &&
		    tries + 1 < CMAP_SCAN_TRIES) {
			r->hi = r->low + 1;
			continue;
		}
		if (err != -ENOSPC || r->count)
			return err;
		hi = r->low < r->cut ? r->cut : r->cut + 1;
		if (hi >= r->hi)
			return -ENOSPC;
		r->hi = hi;
	}
	return -ENOSPC;
}

/**
 * cmap_scan() - copy the next entries into a buffer
 * @map:    the map
 * @cursor: in/out: 0 to start; CMAP_SCAN_END once the scan is complete;
 *          otherwise a value an earlier call on @map returned (opaque)
 * @sb:     the buffer; @sb->used and @sb->count are set
 *
 * A scan that runs to CMAP_SCAN_END returns every entry present for the
 * whole scan exactly once, however the table is resized between calls;
 * entries inserted or deleted during the scan are returned at most once.
 * A call returns whole buckets, but when the first bucket with entries
 * does not fit into @sb, the entries of a run of hash values from the
 * cursor on. A call may return no records without being done. Records
 * are padded with zero bytes.
 *
 * With @sb->first set, a call returns only the entries of the first hash
 * value at or after the cursor that has any: given a buffer of the size an
 * -ENOSPC asked for, it measures them exactly, duplicates dropped.
 *
 * Context: any context; takes no lock, does not sleep.
 * Return: 0; -EINVAL if *@cursor is none of the above; -ENOSPC if the
 * entries of the next hash value do not fit into the empty buffer
 * (@sb->used is then the size they need, at least: an entry that moves to
 * the future table during the call is met twice, and once the buffer is
 * full the second meeting is no longer recognised as a duplicate; in a
 * migration it also counts room for the duplicate index; *@cursor is
 * unchanged: retry with a larger buffer).
 */
int cmap_scan(struct cmap *map, u64 *cursor, struct cmap_scan_buf *sb)
{
	struct cmap_range r = {};
	unsigned int n;
	u32 pos;
	int err;

	sb->used = 0;
	sb->count = 0;
	if (*cursor == CMAP_SCAN_END)
		return 0;
	err = cmap_cursor_open(map, *cursor, &pos);
	if (err)
		return err;
	r.lo = pos;
	rcu_read_lock();
	for (n = 0; n < CMAP_SCAN_RANGES && r.lo < CMAP_SCAN_END; n++) {
		r.from = sb->used;
		r.count = sb->count;
		err = cmap_scan_fit(map, sb, &r);
		if (err)
			break;
		r.lo = r.hi;
		if (sb->first && sb->count)
			break;
	}
	rcu_read_unlock();
	if (err && r.count) {
		/* The range that did not fit waits for the next call. */
		sb->used = r.from;
		sb->count = r.count;
	} else if (err) {
		sb->used = r.need;
		sb->count = 0;
		return err;
	}
	*cursor = r.lo < CMAP_SCAN_END ? cmap_cursor_seal(map, r.lo) :
					 CMAP_SCAN_END;
	return 0;
}
EXPORT_SYMBOL_GPL(cmap_scan);
