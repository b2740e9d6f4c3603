// SPDX-License-Identifier: GPL-2.0
/*
 * Durations of cmap's resizes, as the benchmark sees them. cmap counts its
 * grows and shrinks but keeps no durations; its tracepoint
 * cmap:cmap_resize_end (kmod/cmap_trace.h) carries each resize's duration.
 * The tracepoint is not exported, so the benchmark finds it among cmap.ko's
 * tracepoints through the tracepoint module notifier and attaches a probe
 * that adds up the resizes of the map being benchmarked.
 *
 * The probe's prototype must match TP_PROTO of cmap_resize_end. If cmap is
 * built without the tracepoint, cmap's resizes are counted but not timed
 * (perf then gives the durations, see userspace/bench/perf-resize.sh).
 */
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "cmap_bench.h"

static DEFINE_SPINLOCK(cb_tr_lock);
static const void *cb_tr_map;		/* the map whose resizes count */
static struct cb_resize cb_tr;		/* timing since the last reset */
static struct tracepoint *cb_tr_tp;	/* cmap_resize_end, once found */

/* TP_PROTO(const void *map, u32 old_size, u32 new_size, u64 duration_ns, u32 entries) */
static void cb_probe_resize_end(void *data, const void *map, u32 old_size,
				u32 new_size, u64 duration_ns, u32 entries)
{
	unsigned long flags;

	spin_lock_irqsave(&cb_tr_lock, flags);
	if (map == cb_tr_map) {
		cb_tr.timed++;
		cb_tr.total_ns += duration_ns;
		cb_tr.max_ns = max(cb_tr.max_ns, duration_ns);
	}
	spin_unlock_irqrestore(&cb_tr_lock, flags);
}

static int cb_tp_notify(struct notifier_block *nb, unsigned long val,
			void *data)
{
	struct tp_module *tp_mod = data;
	struct module *mod = tp_mod->mod;
	struct tracepoint *tp;
	unsigned int i;

	if (val != MODULE_STATE_COMING || cb_tr_tp || strcmp(mod->name, "cmap"))
		return NOTIFY_OK;
	for (i = 0; i < mod->num_tracepoints; i++) {
		tp = tracepoint_ptr_deref(&mod->tracepoints_ptrs[i]);
		if (strcmp(tp->name, "cmap_resize_end"))
			continue;
		if (!tracepoint_probe_register(tp, (void *)cb_probe_resize_end,
					       NULL))
			cb_tr_tp = tp;
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block cb_tp_nb = {
	.notifier_call = cb_tp_notify,
};

/**
 * cb_trace_init() - attach to cmap's resize tracepoint if it has one
 *
 * Context: module init.
 * Return: 0, or a negative errno if the notifier cannot be registered.
 */
int cb_trace_init(void)
{
	return register_tracepoint_module_notifier(&cb_tp_nb);
}

/**
 * cb_trace_exit() - detach from cmap's tracepoint
 *
 * Context: module exit.
 */
void cb_trace_exit(void)
{
	unregister_tracepoint_module_notifier(&cb_tp_nb);
	if (cb_tr_tp) {
		tracepoint_probe_unregister(cb_tr_tp,
					    (void *)cb_probe_resize_end, NULL);
		tracepoint_synchronize_unregister();
	}
}

/**
 * cb_trace_resize_times() - fill in the timing of cmap's resizes
 * @map:   the map being benchmarked; from now on only its resizes count
 * @r:     where to store the timing (@r->timed, @r->total_ns, @r->max_ns)
 * @reset: clear the timing after reporting it
 *
 * Context: process context. Leaves @r's timing at zero if cmap has no
 * resize tracepoint.
 */
void cb_trace_resize_times(void *map, struct cb_resize *r, bool reset)
{
	unsigned long flags;

	spin_lock_irqsave(&cb_tr_lock, flags);
	cb_tr_map = map;
	r->timed = cb_tr.timed;
	r->total_ns = cb_tr.total_ns;
	r->max_ns = cb_tr.max_ns;
	if (reset)
		memset(&cb_tr, 0, sizeof(cb_tr));
	spin_unlock_irqrestore(&cb_tr_lock, flags);
}
