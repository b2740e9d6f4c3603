/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap_bench: identical workloads, from kernel threads, against three
 * hash tables that hold the same 8-byte keys and 8-byte values:
 *
 *  - "cmap":       cmap's core (cmap_core.h, exported by cmap.ko);
 *  - "rhashtable": the kernel's lib/rhashtable.c, automatic shrinking on;
 *  - "naive":      one rwlock around a chained table that rehashes every
 *                  entry at once, under the write lock, when it grows or
 *                  shrinks.
 *
 * rhashtable and the naive table hash with the kernel's jhash()
 * (rhashtable with a random seed); cmap with siphash() under a random key
 * (its defence against hash flooding), whose cost is part of its figures.
 * The benchmark is driven through debugfs, see
 * cmap_bench_main.c.
 */
#ifndef _CMAP_BENCH_H
#define _CMAP_BENCH_H

#include <linux/completion.h>
#include <linux/types.h>

struct task_struct;

/* Latency histogram: exact below 16 ns, then 8 linear steps per power of 2. */
#define CB_HIST_LINEAR		16
#define CB_HIST_SUB_BITS	3
#define CB_HIST_BUCKETS		(CB_HIST_LINEAR + (64 - 4) * (1 << CB_HIST_SUB_BITS))

/**
 * struct cb_hist - a log-linear histogram of latencies in nanoseconds
 * @count:  values recorded
 * @sum:    their sum
 * @max:    the largest
 * @bucket: counts per bucket, see cb_hist_index()
 */
struct cb_hist {
	u64 count;
	u64 sum;
	u64 max;
	u32 bucket[CB_HIST_BUCKETS];
};

void cb_hist_add(struct cb_hist *h, u64 ns);
void cb_hist_merge(struct cb_hist *dst, const struct cb_hist *src);
u64 cb_hist_percentile(const struct cb_hist *h, unsigned int permille);

/**
 * struct cb_resize - resizes a backend went through
 * @count:    completed resizes (grows and shrinks)
 * @timed:    how many of them have a duration in @total_ns and @max_ns
 * @total_ns: sum of their durations
 * @max_ns:   the longest
 */
struct cb_resize {
	u64 count;
	u64 timed;
	u64 total_ns;
	u64 max_ns;
};

/**
 * struct cb_mem - a backend's size
 * @entries: entries in the table
 * @bytes:   memory of the entries (allocation size) and bucket arrays
 * @buckets: buckets of the current table
 */
struct cb_mem {
	u64 entries;
	u64 bytes;
	u64 buckets;
};

/**
 * struct cb_backend - one table implementation under test
 * @name:    "cmap", "rhashtable" or "naive"
 * @create:  make an empty table; returns it or an ERR_PTR()
 * @destroy: free the table and every entry; no operation may be running
 * @lookup:  copy the value of @key into *@val; 0 or -ENOENT
 * @insert:  add @key, which must be absent; 0 or -errno
 * @update:  replace the value of @key, which must be present; 0 or -errno
 * @remove:  delete @key; 0 or -ENOENT
 * @mem:     report the table's size
 * @resize:  report the resizes: @count since @create, the durations
 *           since the last call with @reset true (which then clears them)
 * @poll:    optional; called by one worker after each insert or delete
 *           with the current time, for backends whose resizes the
 *           benchmark has to observe from outside (rhashtable)
 * @settle:  optional; wait (bounded) until no resize is running or due,
 *           so that a workload that starts from a filled table measures
 *           the steady state, not the tail of the prefill's last resize
 *
 * Every operation may sleep except that none is called in atomic context.
 */
struct cb_backend {
	const char *name;
	void *(*create)(void);
	void (*destroy)(void *t);
	int (*lookup)(void *t, u64 key, u64 *val);
	int (*insert)(void *t, u64 key, u64 val);
	int (*update)(void *t, u64 key, u64 val);
	int (*remove)(void *t, u64 key);
	void (*mem)(void *t, struct cb_mem *m);
	void (*resize)(void *t, struct cb_resize *r, bool reset);
	void (*poll)(void *t, u64 now);
	void (*settle)(void *t);
};

extern const struct cb_backend cb_backend_cmap;
extern const struct cb_backend cb_backend_rhashtable;
extern const struct cb_backend cb_backend_naive;

enum cb_workload {
	CB_READ,	/* lookups of present keys, steady state */
	CB_GROW_READ,	/* lookups while one more thread grows 0 -> N, then empties */
	CB_MIX,		/* 90% lookups, 10% updates of present keys */
	CB_INSERT,	/* insert N keys into an empty table */
	CB_DELETE,	/* delete N keys until the table is empty */
	CB_NR_WORKLOADS
};

extern const char *const cb_workload_names[CB_NR_WORKLOADS];

enum cb_op { CB_OP_LOOKUP, CB_OP_INSERT, CB_OP_DELETE, CB_NR_OPS };

#define CB_MAX_THREADS		64
#define CB_TRACE_POINTS		1000

/**
 * struct cb_spec - what to run, parsed from the debugfs "run" file
 * @be:       backend
 * @workload: workload
 * @n:        number of keys (the table's size at steady state)
 * @threads:  worker threads (CB_GROW_READ adds one growing thread)
 * @ms:       duration of CB_READ, CB_MIX and the least of CB_GROW_READ
 * @sample:   time one lookup in 2^@sample in the lookup workloads
 * @trace:    record insert latency over time (CB_INSERT only)
 */
struct cb_spec {
	const struct cb_backend *be;
	enum cb_workload workload;
	u32 n;
	u32 threads;
	u32 ms;
	u32 sample;
	bool trace;
};

/**
 * struct cb_trace_point - the inserts of one window of a growth
 * @t_ns:    end of the window, since the start of the run
 * @done:    inserts done by the tracing thread at its end
 * @max_ns:  slowest insert in the window
 * @mean_ns: mean insert latency in the window
 */
struct cb_trace_point {
	u64 t_ns;
	u64 done;
	u64 max_ns;
	u64 mean_ns;
};

/**
 * struct cb_worker - one kernel thread of a run
 * @run:    the run it belongs to
 * @id:     0 .. threads - 1; the grower of CB_GROW_READ is number threads
 * @done:   completed when the thread has finished
 * @end_ns: when it finished its work
 * @ops:    operations done
 * @hits:   lookups that found their key
 * @grow_ops: lookups done while a growth was in progress (CB_GROW_READ)
 * @errors: operations that failed unexpectedly
 * @retries: operations repeated after -EBUSY or -ENOMEM
 * @rng:    xorshift state
 * @hist:   latencies per operation
 */
struct cb_worker {
	struct cb_run *run;
	unsigned int id;
	struct completion done;
	u64 end_ns;
	u64 ops;
	u64 hits;
	u64 grow_ops;
	u64 errors;
	u64 retries;
	u32 rng;
	struct cb_hist hist[CB_NR_OPS];
};

/**
 * struct cb_run - the state and results of one run
 * @spec:      what runs
 * @tbl:       the backend's table
 * @start:     completed (for all) to let the workers go
 * @t0:        start time
 * @stop:      set when the workers are to stop
 * @growing:   set while the grower of CB_GROW_READ is inserting
 * @grow_ns:   time spent growing (CB_GROW_READ)
 * @grows:     growths completed (CB_GROW_READ)
 * @mem:       table size at the peak (after prefill, or after the inserts)
 * @resize:    resizes during the measured part
 * @elapsed_ns: from start until the last worker finished
 * @trace:     insert latency over time (CB_INSERT with @spec.trace)
 * @ntrace:    points in @trace
 * @workers:   the threads
 */
struct cb_run {
	struct cb_spec spec;
	void *tbl;
	struct completion start;
	u64 t0;
	bool stop;
	bool growing;
	u64 grow_ns;
	u64 grows;
	struct cb_mem mem;
	struct cb_resize resize;
	u64 elapsed_ns;
	struct cb_trace_point *trace;
	unsigned int ntrace;
	struct cb_worker *workers;
};

int cb_run_spec(struct cb_run *run);
int cb_trace_init(void);
void cb_trace_exit(void);
void cb_trace_resize_times(void *map, struct cb_resize *r, bool reset);
void cb_run_free(struct cb_run *run);

#endif /* _CMAP_BENCH_H */
