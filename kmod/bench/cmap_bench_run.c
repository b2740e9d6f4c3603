// SPDX-License-Identifier: GPL-2.0
/*
 * One benchmark run: create the backend's table, fill it if the workload
 * starts full, start the worker threads together, stop them, gather the
 * figures, destroy the table.
 *
 * Keys are 8-byte integers k(i) = i * 0x9e3779b97f4a7c15 (a bijection, so
 * the N keys are distinct and spread over all bits); values are 8 bytes.
 * Lookup threads pick i uniformly in [0, N). Insert and delete threads
 * take interleaved slices (thread t does i = t, t + T, t + 2T, ...), so the
 * table grows or shrinks evenly whatever the thread count.
 *
 * Latency: every insert and delete is timed with ktime_get_ns(); lookups
 * one in 2^sample, in the steady state as well as during growth, so both
 * carry the same timing overhead.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "cmap_bench.h"

#define CB_BATCH	64	/* operations between checks of the stop flag */
#define CB_RETRIES	1000	/* -EBUSY/-ENOMEM retries before an error */

const char *const cb_workload_names[CB_NR_WORKLOADS] = {
	[CB_READ] = "read",
	[CB_GROW_READ] = "grow_read",
	[CB_MIX] = "mix",
	[CB_INSERT] = "insert",
	[CB_DELETE] = "delete",
};

static u64 cb_key(u64 i)
{
	return i * 0x9e3779b97f4a7c15ULL;
}

static u32 cb_rand(struct cb_worker *w)
{
	u32 x = w->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	w->rng = x;
	return x;
}

/* Insert or delete @i, retrying transient failures; returns the latency. */
static u64 cb_write_one(struct cb_worker *w, bool insert, u64 i)
{
	const struct cb_backend *be = w->run->spec.be;
	void *tbl = w->run->tbl;
	u64 start = ktime_get_ns();
	unsigned int tries;
	int err;

	for (tries = 0; tries < CB_RETRIES; tries++) {
		err = insert ? be->insert(tbl, cb_key(i), i) :
			       be->remove(tbl, cb_key(i));
		if (err != -EBUSY && err != -ENOMEM)
			break;
		w->retries++;
		cond_resched();
	}
	if (err)
		w->errors++;
	w->ops++;
	return ktime_get_ns() - start;
}

/* Window bookkeeping of the insert trace (thread 0 of CB_INSERT). */
static void cb_trace_note(struct cb_worker *w, u64 ns, u64 *wmax, u64 *wsum,
			  u64 *wn, u64 window)
{
	struct cb_run *run = w->run;
	struct cb_trace_point *p;

	*wmax = max(*wmax, ns);
	*wsum += ns;
	if (++*wn < window || run->ntrace >= CB_TRACE_POINTS)
		return;
	p = &run->trace[run->ntrace++];
	p->t_ns = ktime_get_ns() - run->t0;
	p->done = w->ops;
	p->max_ns = *wmax;
	p->mean_ns = div64_u64(*wsum, *wn);
	*wmax = 0;
	*wsum = 0;
	*wn = 0;
}

/* Inserts (or deletes) of i = from, from + step, ... below n, all timed. */
static void cb_writes(struct cb_worker *w, bool insert, u64 from, u64 step)
{
	struct cb_run *run = w->run;
	const struct cb_backend *be = run->spec.be;
	bool tracing = insert && run->trace && w->id == 0;
	bool polling = be->poll && (w->id == 0 || w->id == run->spec.threads);
	u64 i, ns, window, wmax = 0, wsum = 0, wn = 0, k = 0;

	window = max_t(u64, 1, div64_u64(run->spec.n, step * CB_TRACE_POINTS));
	for (i = from; i < run->spec.n; i += step) {
		ns = cb_write_one(w, insert, i);
		cb_hist_add(&w->hist[insert ? CB_OP_INSERT : CB_OP_DELETE], ns);
		if (polling)
			be->poll(run->tbl, ktime_get_ns());
		if (tracing)
			cb_trace_note(w, ns, &wmax, &wsum, &wn, window);
		if (++k % CB_BATCH == 0)
			cond_resched();
	}
}

static void cb_lookup_one(struct cb_worker *w, u32 mask)
{
	const struct cb_backend *be = w->run->spec.be;
	u64 key = cb_key(cb_rand(w) % w->run->spec.n), val, start;
	int err;

	if (w->ops++ & mask) {
		err = be->lookup(w->run->tbl, key, &val);
	} else {
		start = ktime_get_ns();
		err = be->lookup(w->run->tbl, key, &val);
		cb_hist_add(&w->hist[CB_OP_LOOKUP], ktime_get_ns() - start);
	}
	if (!err)
		w->hits++;
}

/* Lookups until the run stops (CB_READ, and the readers of CB_GROW_READ). */
static void cb_lookups(struct cb_worker *w)
{
	struct cb_run *run = w->run;
	u32 mask = (1U << run->spec.sample) - 1;
	unsigned int k;

	while (!READ_ONCE(run->stop)) {
		for (k = 0; k < CB_BATCH; k++)
			cb_lookup_one(w, mask);
		if (READ_ONCE(run->growing))
			w->grow_ops += CB_BATCH;
		cond_resched();
	}
}

/* 90% lookups, 10% updates, untimed, until the run stops (CB_MIX). */
static void cb_mix(struct cb_worker *w)
{
	struct cb_run *run = w->run;
	const struct cb_backend *be = run->spec.be;
	unsigned int k;
	u64 i, val;
	int err;

	while (!READ_ONCE(run->stop)) {
		for (k = 0; k < CB_BATCH; k++, w->ops++) {
			i = cb_rand(w) % run->spec.n;
			if (cb_rand(w) % 10 == 0) {
				err = be->update(run->tbl, cb_key(i), w->ops);
				w->errors += err != 0;
				continue;
			}
			if (!be->lookup(run->tbl, cb_key(i), &val))
				w->hits++;
		}
		cond_resched();
	}
}

/* The extra thread of CB_GROW_READ: grow 0 -> N, empty, until time is up. */
static void cb_grower(struct cb_worker *w)
{
	struct cb_run *run = w->run;
	u64 start, min_ns = (u64)run->spec.ms * NSEC_PER_MSEC;

	do {
		start = ktime_get_ns();
		WRITE_ONCE(run->growing, true);
		cb_writes(w, true, 0, 1);
		WRITE_ONCE(run->growing, false);
		run->grow_ns += ktime_get_ns() - start;
		run->grows++;
		cb_writes(w, false, 0, 1);
	} while (ktime_get_ns() - run->t0 < min_ns);
	WRITE_ONCE(run->stop, true);
}

static int cb_worker_fn(void *arg)
{
	struct cb_worker *w = arg;
	struct cb_run *run = w->run;
	u32 threads = run->spec.threads;

	wait_for_completion(&run->start);
	if (READ_ONCE(run->stop))	/* another thread failed to start */
		goto out;
	switch (run->spec.workload) {
	case CB_READ:
		cb_lookups(w);
		break;
	case CB_GROW_READ:
		if (w->id == threads)
			cb_grower(w);
		else
			cb_lookups(w);
		break;
	case CB_MIX:
		cb_mix(w);
		break;
	case CB_INSERT:
		cb_writes(w, true, w->id, threads);
		break;
	case CB_DELETE:
		cb_writes(w, false, w->id, threads);
		break;
	default:
		break;
	}
out:
	w->end_ns = ktime_get_ns();
	kthread_complete_and_exit(&w->done, 0);
}

/* Fill the table with keys 0 .. N-1 (untimed) for the workloads that need it. */
static int cb_prefill(struct cb_run *run)
{
	struct cb_worker *w = &run->workers[0];
	int err = 0;
	u64 i;

	w->run = run;
	for (i = 0; i < run->spec.n && !err; i++) {
		cb_write_one(w, true, i);
		err = w->errors ? -EIO : 0;
		if (i % CB_BATCH == 0)
			cond_resched();
	}
	memset(w, 0, sizeof(*w));
	return err;
}

static unsigned int cb_nr_workers(const struct cb_spec *spec)
{
	return spec->threads + (spec->workload == CB_GROW_READ);
}

/* Start the workers, let them run, wait for all; returns 0 or -errno. */
static int cb_start_workers(struct cb_run *run)
{
	unsigned int i, nr = cb_nr_workers(&run->spec), started = 0;
	struct task_struct *task;
	int err = 0;

	for (i = 0; i < nr; i++) {
		struct cb_worker *w = &run->workers[i];

		w->run = run;
		w->id = i;
		w->rng = 0x9e3779b9U * (i + 1);
		init_completion(&w->done);
		task = kthread_run(cb_worker_fn, w, "cmap_bench/%u", i);
		if (IS_ERR(task)) {
			err = PTR_ERR(task);
			WRITE_ONCE(run->stop, true);
			break;
		}
		started++;
	}
	run->t0 = ktime_get_ns();
	complete_all(&run->start);
	if (!err && (run->spec.workload == CB_READ ||
		     run->spec.workload == CB_MIX)) {
		msleep(run->spec.ms);
		WRITE_ONCE(run->stop, true);
	}
	for (i = 0; i < started; i++) {
		wait_for_completion(&run->workers[i].done);
		run->elapsed_ns = max(run->elapsed_ns,
				      run->workers[i].end_ns - run->t0);
	}
	return err;
}

static int cb_alloc(struct cb_run *run)
{
	init_completion(&run->start);
	run->workers = kvcalloc(cb_nr_workers(&run->spec),
				sizeof(*run->workers), GFP_KERNEL);
	if (!run->workers)
		return -ENOMEM;
	if (run->spec.trace && run->spec.workload == CB_INSERT) {
		run->trace = kvcalloc(CB_TRACE_POINTS, sizeof(*run->trace),
				      GFP_KERNEL);
		if (!run->trace)
			return -ENOMEM;
	}
	return 0;
}

/**
 * cb_run_spec() - run one benchmark
 * @run: zeroed except for @run->spec, which says what to run; receives
 *       the results
 *
 * Context: process context, may sleep for as long as the run takes.
 * Return: 0, or a negative errno if the table or the threads could not
 * be created or the table failed to take the initial entries. Per-op
 * failures during the run are counted in the workers' @errors.
 */
int cb_run_spec(struct cb_run *run)
{
	const struct cb_backend *be = run->spec.be;
	struct cb_resize r0;
	int err;

	err = cb_alloc(run);
	if (err)
		return err;
	run->tbl = be->create();
	if (IS_ERR(run->tbl)) {
		err = PTR_ERR(run->tbl);
		run->tbl = NULL;
		return err;
	}
	if (run->spec.workload == CB_READ || run->spec.workload == CB_MIX ||
	    run->spec.workload == CB_DELETE) {
		err = cb_prefill(run);
		if (err)
			goto destroy;
		if (be->settle)
			be->settle(run->tbl);
		be->mem(run->tbl, &run->mem);
	}
	be->resize(run->tbl, &r0, true);
	err = cb_start_workers(run);
	if (err)
		goto destroy;
	if (run->spec.workload == CB_INSERT)
		be->mem(run->tbl, &run->mem);
	be->resize(run->tbl, &run->resize, false);
	run->resize.count -= r0.count;
destroy:
	be->destroy(run->tbl);
	run->tbl = NULL;
	return err;
}

/**
 * cb_run_free() - free what cb_run_spec() allocated
 * @run: a run, whether it succeeded or not
 *
 * Context: process context.
 */
void cb_run_free(struct cb_run *run)
{
	kvfree(run->trace);
	kvfree(run->workers);
	run->trace = NULL;
	run->workers = NULL;
}
