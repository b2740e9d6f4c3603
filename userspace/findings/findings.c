// SPDX-License-Identifier: GPL-2.0
/*
 * findings - kernel console / kmsg text -> deduplicated findings.
 * Banner texts follow linux 6.12 (kernel/kcsan/report.c,
 * kernel/locking/lockdep.c, mm/kasan/report.c, kernel/panic.c, ...);
 * titles follow syzkaller pkg/report/linux.go conventions.
 */
#define _GNU_SOURCE
#include "findings.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPEN	8	/* concurrently open reports (one per caller) */
#define MAX_RFRAMES	64	/* frames remembered per open report */
#define REPORT_MAX_LINES 600	/* force-close a report after this many lines */

enum kind {
	K_NONE,
	K_KCSAN,
	K_LD_CIRCULAR, K_LD_RECURSIVE, K_LD_INCONSISTENT, K_LD_IRQ_INVERSION,
	K_LD_SAFE_UNSAFE, K_LD_WAIT_CTX, K_LD_UNLOCK_BALANCE, K_LD_HELD_FREED,
	K_LD_HELD_RETURN, K_LD_STILL_HELD, K_LD_NESTED, K_LD_CHAIN_KEY,
	K_LD_BAD_CONTENTION, K_LD_OTHER,
	K_RCU,
	K_SLEEP, K_SCHED_ATOMIC,
	K_KASAN,
	K_WARNING,
	K_ODEBUG,	/* a WARNING of lib/debugobjects.c */
	K_KERNEL_BUG,
	K_NULL_DEREF, K_PAGE_FAULT, K_OOPS,
	K_GPF,
	K_SOFT_LOCKUP, K_HARD_LOCKUP,
	K_HUNG_TASK,
	K_RCU_STALL,
	K_PANIC,
	K_KMEMLEAK_SUMMARY, K_KMEMLEAK_OBJECT,
	K_UBSAN,
	K_BUG_GENERIC,
};

enum sect { S_NONE = 0, S_CT = 1, S_ACC1 = 2, S_ACC2 = 3, S_OTHER = 4 };

struct rframe {
	char fn[FINDINGS_FN_LEN];
	unsigned char sect;	/* enum sect */
	unsigned char irq;	/* 0 task, 1 inside <IRQ>/<NMI>, 2 after </IRQ> */
	unsigned char unreliable;
};

struct report {
	int active;
	char caller[16];
	enum kind kind;
	double ts;
	int lines;
	char context[256];
	char banner[256];
	char banner_fn[FINDINGS_FN_LEN];	/* function named by the banner */
	char at_fn[FINDINGS_FN_LEN];		/* first lockdep "at:" function */
	char rip_fn[FINDINGS_FN_LEN];		/* first "RIP:" function */
	char extra[128];			/* KASAN Read/Write, RCU file:line */
	char kasan_type[64];
	int module_involved;
	int nframes;
	struct rframe fr[MAX_RFRAMES];
	int sect;		/* current section */
	int irq;
	int seen_ct;		/* number of Call Trace blocks seen */
	int seen_task_end;
	int nacc;
	char acc[2][192];
};

/*
 * Races of the pinned kernel itself, between two functions that are not
 * cmap's, read and judged benign: listed as known, never counted as
 * findings. (A cmap function may sit below the interrupt in one access's
 * stack; that does not make a race between two timer functions cmap's.)
 * Only exact titles: a race that involves cmap names a cmap function in
 * its title.
 */
static const char *const known_kernel_races[] = {
	/*
	 * kernel/time/timer_migration.c (6.12): "The update of the ignore
	 * flag in the active path is done lockless"; tmigr_next_groupevt()
	 * reads it under the group lock and tolerates either value. Seen
	 * once in the kcsan guest, from a timer softirq that interrupted
	 * cmap_update().
	 */
	"KCSAN: data-race in __tmigr_cpu_activate / tmigr_next_groupevt",
	/*
	 * mm/memcontrol.c (6.12): mem_cgroup_flush_stats_ratelimited() reads
	 * jiffies_64 with a plain load (time_after64(jiffies_64, ...)) while
	 * the tick writes it; an aligned 64-bit load, only compared to
	 * rate-limit a statistics flush. Seen from memcg reclaim in
	 * reliability.sh's memcg tests (the tick interrupted a page fault).
	 */
	"KCSAN: data-race in mem_cgroup_flush_stats_ratelimited / tick_do_update_jiffies64",
};
#define N_KNOWN (sizeof(known_kernel_races) / sizeof(known_kernel_races[0]))

struct findings {
	char module[64];
	char modprefix[72];
	char modtag[72];	/* "[cmap]" */
	char modtag2[72];	/* "[cmap " (build id follows) */
	char context[256];
	double last_ts;
	unsigned long lines;
	long long last_seq;
	unsigned long lost;
	int lockdep_off;
	double lockdep_off_ts;
	char lockdep_off_reason[96];
	struct report open[MAX_OPEN];
	struct finding *v;
	int n, cap;
	unsigned int known_hits[N_KNOWN];	/* per known_kernel_races[] entry */
};

/* Index of @title in known_kernel_races[], or -1. */
static int known_race(const char *title)
{
	for (size_t i = 0; i < N_KNOWN; i++)
		if (!strcmp(title, known_kernel_races[i]))
			return (int)i;
	return -1;
}

int findings_known_count(const struct findings *f)
{
	int n = 0;

	for (size_t i = 0; i < N_KNOWN; i++)
		n += f->known_hits[i] > 0;
	return n;
}

static const char *class_names[FC__COUNT] = {
	"kcsan", "lockdep", "rcu", "atomic_sleep", "kasan", "warning", "bug",
	"oops", "gpf", "soft_lockup", "hung_task", "rcu_stall", "panic",
	"kmemleak", "ubsan", "other",
};

const char *findings_class_name(enum findings_class c)
{
	if ((unsigned int)c >= FC__COUNT)
		return "other";
	return class_names[c];
}

static enum findings_class kind_class(enum kind k)
{
	switch (k) {
	case K_KCSAN: return FC_KCSAN;
	case K_LD_CIRCULAR: case K_LD_RECURSIVE: case K_LD_INCONSISTENT:
	case K_LD_IRQ_INVERSION: case K_LD_SAFE_UNSAFE: case K_LD_WAIT_CTX:
	case K_LD_UNLOCK_BALANCE: case K_LD_HELD_FREED: case K_LD_HELD_RETURN:
	case K_LD_STILL_HELD: case K_LD_NESTED: case K_LD_CHAIN_KEY:
	case K_LD_BAD_CONTENTION: case K_LD_OTHER:
		return FC_LOCKDEP;
	case K_RCU: return FC_RCU;
	case K_SLEEP: case K_SCHED_ATOMIC: return FC_ATOMIC_SLEEP;
	case K_KASAN: return FC_KASAN;
	case K_WARNING: case K_ODEBUG: return FC_WARNING;
	case K_KERNEL_BUG: case K_BUG_GENERIC: return FC_BUG;
	case K_NULL_DEREF: case K_PAGE_FAULT: case K_OOPS: return FC_OOPS;
	case K_GPF: return FC_GPF;
	case K_SOFT_LOCKUP: return FC_SOFT_LOCKUP;
	case K_HUNG_TASK: return FC_HUNG_TASK;
	case K_RCU_STALL: return FC_RCU_STALL;
	case K_PANIC: return FC_PANIC;
	case K_KMEMLEAK_SUMMARY: case K_KMEMLEAK_OBJECT: return FC_KMEMLEAK;
	case K_UBSAN: return FC_UBSAN;
	default: return FC_OTHER;
	}
}

/* ------------------------------------------------------------------ */
/* small string helpers                                                */

/* snprintf that truncates silently (titles are bounded on purpose) */
static void __attribute__((format(printf, 3, 4)))
xsnprintf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, n, fmt, ap);
	va_end(ap);
}

static void scpy(char *dst, size_t n, const char *src)
{
	if (!n)
		return;
	snprintf(dst, n, "%s", src ? src : "");
}

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int is_ident(int c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' ||
		     s[n - 1] == '\t'))
		s[--n] = 0;
}

/* Strip compiler suffixes: foo.constprop.0 / foo.isra.1 / foo.cold -> foo */
static void clean_fn(char *fn)
{
	char *dot = strchr(fn, '.');

	if (dot && dot != fn)
		*dot = 0;
}

/*
 * Parse "sym+0xOFF/0xSIZE[ [mod...]]" at s.  Returns pointer past the
 * symbol (+offset) or NULL.  fn gets the cleaned function name, mod the
 * module (or "").
 */
static const char *parse_sym(const char *s, char *fn, size_t fnlen,
			     char *mod, size_t modlen)
{
	const char *p = s, *q;
	size_t n;

	while (is_ident(*p))
		p++;
	n = (size_t)(p - s);
	if (!n || n >= fnlen || p[0] != '+' || p[1] != '0' || p[2] != 'x')
		return NULL;
	q = p + 3;
	if (!isxdigit((unsigned char)*q))
		return NULL;
	while (isxdigit((unsigned char)*q))
		q++;
	if (q[0] != '/' || q[1] != '0' || q[2] != 'x')
		return NULL;
	q += 3;
	while (isxdigit((unsigned char)*q))
		q++;
	memcpy(fn, s, n);
	fn[n] = 0;
	clean_fn(fn);
	if (mod && modlen) {
		mod[0] = 0;
		if (q[0] == ' ' && q[1] == '[') {
			const char *m = q + 2;
			size_t k = 0;

			while (m[k] && m[k] != ']' && m[k] != ' ')
				k++;
			if (k < modlen) {
				memcpy(mod, m, k);
				mod[k] = 0;
			}
		}
	}
	return q;
}

/* Parse a stack frame line: "  ? func+0x1/0x2 [mod]" or kmemleak
 * "    [<ffffffff81234567>] func+0x1/0x2".  Returns 1 on success. */
static int parse_frame_line(const char *s, char *fn, size_t fnlen,
			    int *unreliable)
{
	const char *p = skip_ws(s);

	*unreliable = 0;
	if (p == s && *p != '[')	/* frames are indented */
		return 0;
	if (p[0] == '?' && p[1] == ' ') {
		*unreliable = 1;
		p += 2;
	}
	if (p[0] == '[' && p[1] == '<') {
		p = strchr(p, ']');
		if (!p)
			return 0;
		p = skip_ws(p + 1);
	}
	if (!parse_sym(p, fn, fnlen, NULL, 0))
		return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* infrastructure frames (cf. syzkaller linuxStackParams.skipPatterns)  */

static const char *const skip_prefix[] = {
	"kcsan_", "__kcsan", "__tsan_", "tsan_", "kasan_", "__kasan", "__asan_",
	"asan_", "kmsan_", "__msan_", "__ubsan_", "ubsan_", "__sanitizer",
	"check_memory_region", "check_heap_object", "check_object",
	"lockdep_", "__lockdep", "lock_acquire", "__lock_acquire",
	"lock_release", "__lock_release", "lock_acquired", "lock_contended",
	"lock_is_held", "lock_sync", "mark_lock", "mark_held_locks",
	"reacquire_held_locks", "validate_chain", "check_prev_add",
	"check_prevs_add", "check_noncircular", "check_irq_usage",
	"check_deadlock", "check_wait_context", "print_", "debug_check_no_locks",
	"debug_locks_off", "lock_class", "__might_sleep", "__might_resched",
	"__might_fault", "might_fault", "might_sleep", "__cant_sleep",
	"__cant_migrate", "dump_stack", "show_stack", "show_trace",
	"show_regs", "__show_regs", "__dump_stack", "warn_slowpath",
	"__warn", "warn_bogus", "report_bug", "handle_bug", "fixup_bug",
	"exc_invalid_op", "asm_exc_", "exc_", "do_error_trap", "do_trap",
	"die", "__die", "oops_", "printk", "_printk", "vprintk", "panic",
	"_raw_spin_lock", "_raw_spin_unlock", "_raw_spin_trylock",
	"_raw_read_lock", "_raw_read_unlock", "_raw_write_lock",
	"_raw_write_unlock", "__raw_", "do_raw_spin", "do_raw_read",
	"do_raw_write", "rcu_lockdep_", "lockdep_rcu_suspicious",
	"rcu_read_lock_held", "rcu_read_lock_any_held",
	"stack_trace_save", "stack_trace_print", "arch_stack_walk",
	"save_stack", "debug_show_", "walk_stack", "dump_backtrace",
	"nmi_cpu_backtrace", "nmi_trigger_cpumask_backtrace",
	"arch_trigger_cpumask_backtrace", "trigger_", "sched_show_task",
	"show_state_filter", "__schedule_bug", "__warn_printk",
	"kmemleak_", "__kmemleak", "memcpy", "memset", "memmove", "__memcpy",
	"__memset", "__memmove", "memcmp", "__check_object_size",
	"check_stack_object", "native_queued_spin_lock_slowpath",
	"queued_spin_lock_slowpath", "queued_read_lock_slowpath",
	"queued_write_lock_slowpath", "do_int3", "exc_int3",
	"ret_from_fork", "ret_from_fork_asm", "entry_SYSCALL",
	"do_syscall_64", "x64_sys_call", "irq_exit", "__irq_exit",
	"sysvec_", "asm_sysvec_", "__sysvec_", "common_interrupt",
	"asm_common_interrupt", "default_idle", "kthread",
	"mutex_lock", "__mutex_lock", "mutex_unlock", "__mutex_unlock",
	"mutex_trylock", "down_read", "down_write", "up_read", "up_write",
	"rt_mutex_lock", "__rt_mutex", "ww_mutex_lock", "__ww_mutex",
	NULL
};

/* extra skips for hung tasks / scheduling-while-atomic (waiting code) */
static const char *const skip_wait[] = {
	"__schedule", "schedule", "preempt_schedule", "io_schedule",
	"__mutex_lock", "mutex_lock", "__mutex_", "mutex_", "rt_mutex",
	"__rt_mutex", "down", "__down", "rwsem_", "__rwsem", "rwbase_",
	"wait_for_completion", "__wait_for_common", "wait_for_common",
	"do_wait_for_common", "__wait", "wait_", "do_wait",
	"synchronize_rcu", "synchronize_srcu", "__synchronize",
	"rcu_barrier", "__flush_work", "flush_work", "flush_workqueue",
	"__flush_workqueue", "msleep", "usleep", "ssleep",
	"__cancel_work", "cancel_work", "cancel_delayed_work", "kthread_stop",
	"context_switch", "__switch_to", "finish_task_switch",
	"percpu_down", "percpu_rwsem", "bit_wait", "out_of_line_wait",
	"_raw_spin_lock", "spin_lock", "__cond_resched", "cond_resched",
	"ww_mutex", "__ww_mutex", "mutex_lock_nested",
	NULL
};

/* extra skips for RCU stalls and soft lockups (timer/irq machinery) */
static const char *const skip_irq[] = {
	"rcu_", "__rcu", "print_cpu_stall", "check_cpu_stall",
	"rcu_sched_clock_irq", "update_process_times", "tick_", "__tick",
	"hrtimer_", "__hrtimer", "__run_hrtimer", "__sysvec_apic_timer",
	"sysvec_apic_timer", "asm_sysvec", "apic_timer", "irq_", "__irq",
	"handle_irq", "watchdog_timer_fn", "softlockup_fn", "lockup_detector",
	"nmi_", "default_do_nmi", "exc_nmi", "asm_exc_nmi", "end_repeat_nmi",
	"run_timer", "__run_timers", "call_timer_fn", "handle_softirqs",
	"__do_softirq", "do_softirq", "__local_bh_enable", "local_bh_enable",
	"invoke_softirq", "timekeeping_", "sched_tick", "scheduler_tick",
	"native_safe_halt", "default_idle", "arch_cpu_idle", "cpu_idle",
	"do_idle", "cpu_startup_entry", "start_secondary", "pv_native_safe_halt",
	"acpi_", "cpuidle_", "call_cpuidle", "mwait_idle", "common_startup",
	"secondary_startup", "rest_init", "start_kernel", "x86_64_start",
	NULL
};

static const char *const skip_alloc[] = {
	"kmalloc", "__kmalloc", "kmem_cache_alloc", "__kmem_cache_alloc",
	"kmalloc_trace", "kzalloc", "kvmalloc", "__kvmalloc", "kcalloc",
	"krealloc", "slab_", "__slab_", "___slab_", "alloc_pages",
	"__alloc_pages", "kmalloc_node", "__kmalloc_node", "kmalloc_large",
	"__do_kmalloc", "vmalloc", "__vmalloc", "kstrdup", "kmemdup",
	"alloc_slab", "new_slab", "allocate_slab", "might_alloc",
	NULL
};

/* ODEBUG: the object's own machinery (cf. syzkaller's ODEBUG title) */
static const char *const skip_odebug[] = {
	"debug_", "call_rcu", "__call_rcu", "kvfree_call_rcu", "timer_",
	"__timer", "hrtimer_", "__hrtimer", "init_timer", "add_timer",
	"mod_timer", "del_timer", "__init_work", "__queue_work", "queue_work",
	"__queue_delayed_work", "queue_delayed_work", "kfree", "kvfree",
	"kmem_cache_free", "slab_free", "__slab_free", "vfree", "__vfree",
	"free_", "__free_", "percpu_counter_",
	NULL
};

static int in_list(const char *fn, const char *const *list)
{
	for (; *list; list++)
		if (starts(fn, *list))
			return 1;
	return 0;
}

static int is_modfn(const struct findings *f, const char *fn)
{
	return f->modprefix[0] && starts(fn, f->modprefix);
}

static int is_skip(const struct findings *f, enum kind k, const char *fn)
{
	if (is_modfn(f, fn))	/* never skip the module under test */
		return 0;
	if (in_list(fn, skip_prefix))
		return 1;
	switch (k) {
	case K_HUNG_TASK:
	case K_SCHED_ATOMIC:
		return in_list(fn, skip_wait);
	case K_SLEEP:
		return in_list(fn, skip_wait) || in_list(fn, skip_alloc);
	case K_RCU_STALL:
	case K_SOFT_LOCKUP:
	case K_HARD_LOCKUP:
		return in_list(fn, skip_irq);
	case K_KMEMLEAK_OBJECT:
	case K_KASAN:
		return in_list(fn, skip_alloc);
	case K_ODEBUG:
		return in_list(fn, skip_odebug);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* finding storage                                                     */

struct findings *findings_new(void)
{
	struct findings *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->last_ts = -1;
	f->last_seq = -1;
	f->lockdep_off_ts = -1;
	findings_set_module(f, "cmap");
	return f;
}

void findings_free(struct findings *f)
{
	if (!f)
		return;
	free(f->v);
	free(f);
}

void findings_set_module(struct findings *f, const char *name)
{
	if (!name)
		name = "";
	scpy(f->module, sizeof(f->module), name);
	if (name[0]) {
		snprintf(f->modprefix, sizeof(f->modprefix), "%s_", f->module);
		snprintf(f->modtag, sizeof(f->modtag), "[%s]", f->module);
		snprintf(f->modtag2, sizeof(f->modtag2), "[%s ", f->module);
	} else {
		f->modprefix[0] = f->modtag[0] = f->modtag2[0] = 0;
	}
}

void findings_set_context(struct findings *f, const char *ctx)
{
	scpy(f->context, sizeof(f->context), ctx);
}

void findings_add_lost(struct findings *f, unsigned long n)
{
	f->lost += n;
}

unsigned long findings_lost(const struct findings *f)
{
	return f->lost;
}

unsigned long findings_lines(const struct findings *f)
{
	return f->lines;
}

int findings_lockdep_off(const struct findings *f, double *ts,
			 const char **reason)
{
	if (!f->lockdep_off)
		return 0;
	if (ts)
		*ts = f->lockdep_off_ts;
	if (reason)
		*reason = f->lockdep_off_reason;
	return 1;
}

int findings_count(const struct findings *f)
{
	return f->n;
}

const struct finding *findings_get(const struct findings *f, int i)
{
	if (i < 0 || i >= f->n)
		return NULL;
	return &f->v[i];
}

static void set_lockdep_off(struct findings *f, double ts, const char *why)
{
	if (f->lockdep_off)
		return;
	f->lockdep_off = 1;
	f->lockdep_off_ts = ts;
	scpy(f->lockdep_off_reason, sizeof(f->lockdep_off_reason), why);
}

/* ------------------------------------------------------------------ */
/* title construction                                                  */

static int kind_is_lockdep(enum kind k)
{
	return kind_class(k) == FC_LOCKDEP;
}

/* first meaningful frame of a section (irq: -1 any, else exact) */
static const char *pick_frame(const struct findings *f, const struct report *r,
			      int sect, int irq)
{
	for (int i = 0; i < r->nframes; i++) {
		const struct rframe *fr = &r->fr[i];

		if (sect && fr->sect != sect)
			continue;
		if (irq >= 0 && fr->irq != irq)
			continue;
		if (fr->unreliable || is_skip(f, r->kind, fr->fn))
			continue;
		return fr->fn;
	}
	return NULL;
}

static const char *first_nonempty(const char *a, const char *b, const char *c)
{
	if (a && *a)
		return a;
	if (b && *b)
		return b;
	if (c && *c)
		return c;
	return NULL;
}

/* stack function: prefer Call Trace, else any frames */
static const char *stack_fn(const struct findings *f, const struct report *r)
{
	const char *fn = pick_frame(f, r, S_CT, -1);

	if (!fn)
		fn = pick_frame(f, r, 0, -1);
	return fn;
}

static const char *ok_fn(const struct findings *f, const struct report *r,
			 const char *fn)
{
	if (!fn || !*fn || is_skip(f, r->kind, fn))
		return NULL;
	return fn;
}

static void title_in(char *t, size_t n, const char *prefix, const char *fn)
{
	if (fn && *fn)
		xsnprintf(t, n, "%s in %s", prefix, fn);
	else
		xsnprintf(t, n, "%s", prefix);
}

/* text of a banner after "BUG: " up to a natural separator */
static void generic_bug_text(const char *banner, char *out, size_t n)
{
	const char *s = strstr(banner, "BUG: ");
	size_t k = 0;

	s = s ? s + 5 : banner;
	while (s[k] && s[k] != ':' && s[k] != ',' && s[k] != '!' &&
	       !starts(s + k, " - ") && !starts(s + k, " on CPU") &&
	       !starts(s + k, " on cpu") && !starts(s + k, " at "))
		k++;
	while (k && s[k - 1] == ' ')
		k--;
	snprintf(out, n, "BUG: %.*s", (int)(k < 200 ? k : 200), s);
}

static void build_title(const struct findings *f, const struct report *r,
			char *t, size_t n)
{
	const char *fn = NULL;
	const char *b = r->banner;
	char tmp[256];

	switch (r->kind) {
	case K_KCSAN: {
		const char *p = strstr(b, "KCSAN: ");
		char buf[256];

		scpy(buf, sizeof(buf), p ? p : b);
		/* unknown-origin form prints "%pS": drop +0x../0x.. [mod] */
		char *plus = strstr(buf, "+0x");
		if (plus && !strstr(buf, " / "))
			*plus = 0;
		/* drop module tags: "cmap_insert [cmap] / ..." */
		for (char *lb = strstr(buf, " ["); lb; lb = strstr(lb, " [")) {
			char *rb = strchr(lb, ']');

			if (!rb)
				break;
			memmove(lb, rb + 1, strlen(rb + 1) + 1);
		}
		rtrim(buf);
		xsnprintf(t, n, "%s", buf);
		return;
	}
	case K_LD_CIRCULAR: case K_LD_RECURSIVE: case K_LD_IRQ_INVERSION:
	case K_LD_SAFE_UNSAFE:
		fn = first_nonempty(ok_fn(f, r, r->at_fn), stack_fn(f, r), NULL);
		title_in(t, n, "possible deadlock", fn);
		return;
	case K_LD_INCONSISTENT:
		fn = first_nonempty(ok_fn(f, r, r->at_fn), stack_fn(f, r), NULL);
		title_in(t, n, "inconsistent lock state", fn);
		return;
	case K_LD_WAIT_CTX:
		fn = first_nonempty(stack_fn(f, r), ok_fn(f, r, r->at_fn), NULL);
		title_in(t, n, "BUG: Invalid wait context", fn);
		return;
	case K_LD_UNLOCK_BALANCE:
		fn = first_nonempty(ok_fn(f, r, r->at_fn), stack_fn(f, r), NULL);
		title_in(t, n, "WARNING: bad unlock balance", fn);
		return;
	case K_LD_HELD_FREED:
		fn = first_nonempty(stack_fn(f, r), ok_fn(f, r, r->at_fn), NULL);
		title_in(t, n, "WARNING: held lock freed", fn);
		return;
	case K_LD_HELD_RETURN:
		fn = first_nonempty(ok_fn(f, r, r->at_fn), stack_fn(f, r), NULL);
		title_in(t, n, "WARNING: lock held when returning to user space", fn);
		return;
	case K_LD_STILL_HELD:
		fn = first_nonempty(ok_fn(f, r, r->at_fn), stack_fn(f, r), NULL);
		title_in(t, n, "WARNING: lock held at task exit", fn);
		return;
	case K_LD_NESTED:
		title_in(t, n, "WARNING: nested lock was not taken", stack_fn(f, r));
		return;
	case K_LD_CHAIN_KEY:
		title_in(t, n, "WARNING: chain_key collision", stack_fn(f, r));
		return;
	case K_LD_BAD_CONTENTION:
		title_in(t, n, "WARNING: bad contention", stack_fn(f, r));
		return;
	case K_LD_OTHER:
		generic_bug_text(b, tmp, sizeof(tmp));
		xsnprintf(t, n, "lockdep: %s", tmp + 5);
		return;
	case K_RCU:
		if (r->extra[0])
			xsnprintf(t, n, "suspicious RCU usage at %s", r->extra);
		else
			title_in(t, n, "suspicious RCU usage", stack_fn(f, r));
		return;
	case K_SLEEP:
		title_in(t, n, "BUG: sleeping function called from invalid context",
			 stack_fn(f, r));
		return;
	case K_SCHED_ATOMIC:
		title_in(t, n, "BUG: scheduling while atomic", stack_fn(f, r));
		return;
	case K_KASAN: {
		fn = first_nonempty(ok_fn(f, r, r->banner_fn), stack_fn(f, r),
				    r->banner_fn);
		if (r->extra[0])
			xsnprintf(tmp, sizeof(tmp), "KASAN: %s %s", r->kasan_type,
				 r->extra);
		else
			xsnprintf(tmp, sizeof(tmp), "KASAN: %s", r->kasan_type);
		title_in(t, n, tmp, fn);
		return;
	}
	case K_WARNING:
		fn = first_nonempty(ok_fn(f, r, r->banner_fn), ok_fn(f, r, r->rip_fn),
				    stack_fn(f, r));
		title_in(t, n, "WARNING", fn);
		return;
	case K_ODEBUG:
		title_in(t, n, "WARNING: ODEBUG bug", stack_fn(f, r));
		return;
	case K_KERNEL_BUG:
		fn = first_nonempty(ok_fn(f, r, r->rip_fn), stack_fn(f, r), NULL);
		if (fn)
			title_in(t, n, "kernel BUG", fn);
		else {
			/* "kernel BUG at mm/foo.c:12!" */
			const char *p = strstr(b, "BUG at ");

			xsnprintf(t, n, "kernel BUG at %s", p ? p + 7 : "?");
			rtrim(t);
			if (t[0] && t[strlen(t) - 1] == '!')
				t[strlen(t) - 1] = 0;
		}
		return;
	case K_NULL_DEREF:
		fn = first_nonempty(ok_fn(f, r, r->rip_fn), stack_fn(f, r), NULL);
		title_in(t, n, "BUG: kernel NULL pointer dereference", fn);
		return;
	case K_PAGE_FAULT:
		fn = first_nonempty(ok_fn(f, r, r->rip_fn), stack_fn(f, r), NULL);
		title_in(t, n, "BUG: unable to handle page fault", fn);
		return;
	case K_OOPS: {
		/* "Oops: <desc>: 0000 [#1] ..." */
		const char *p = strstr(b, "Oops: ");
		size_t k;

		p = p ? p + 6 : b;
		for (k = 0; p[k] && !starts(p + k, ": ") && !starts(p + k, " [#"); k++)
			;
		if (k && isxdigit((unsigned char)p[0]) && k <= 4)
			xsnprintf(tmp, sizeof(tmp), "Oops");
		else
			xsnprintf(tmp, sizeof(tmp), "Oops: %.*s", (int)(k < 120 ? k : 120), p);
		fn = first_nonempty(ok_fn(f, r, r->rip_fn), stack_fn(f, r), NULL);
		title_in(t, n, tmp, fn);
		return;
	}
	case K_GPF:
		fn = first_nonempty(ok_fn(f, r, r->rip_fn), stack_fn(f, r), NULL);
		title_in(t, n, "general protection fault", fn);
		return;
	case K_SOFT_LOCKUP:
	case K_HARD_LOCKUP:
		fn = first_nonempty(ok_fn(f, r, r->rip_fn), pick_frame(f, r, S_CT, 2),
				    stack_fn(f, r));
		title_in(t, n, r->kind == K_SOFT_LOCKUP ? "BUG: soft lockup" :
			 "BUG: hard lockup", fn);
		return;
	case K_HUNG_TASK:
		title_in(t, n, "INFO: task hung", stack_fn(f, r));
		return;
	case K_RCU_STALL:
		fn = first_nonempty(ok_fn(f, r, r->rip_fn), pick_frame(f, r, S_CT, 2),
				    stack_fn(f, r));
		title_in(t, n, "INFO: rcu detected stall", fn);
		return;
	case K_PANIC: {
		const char *p = strstr(b, "not syncing: ");

		xsnprintf(t, n, "kernel panic: %s", p ? p + 13 : b);
		rtrim(t);
		return;
	}
	case K_KMEMLEAK_SUMMARY:
		xsnprintf(t, n, "kmemleak: suspected memory leaks");
		return;
	case K_KMEMLEAK_OBJECT:
		title_in(t, n, "memory leak", stack_fn(f, r));
		return;
	case K_UBSAN: {
		const char *p = strstr(b, "UBSAN: ");
		size_t k = 0;

		p = p ? p + 7 : b;
		while (p[k] && !starts(p + k, " in "))
			k++;
		xsnprintf(tmp, sizeof(tmp), "UBSAN: %.*s", (int)(k < 120 ? k : 120), p);
		fn = stack_fn(f, r);
		if (fn)
			title_in(t, n, tmp, fn);
		else
			xsnprintf(t, n, "UBSAN: %s", p);
		return;
	}
	case K_BUG_GENERIC:
	default:
		generic_bug_text(b, tmp, sizeof(tmp));
		title_in(t, n, tmp, stack_fn(f, r));
		return;
	}
}

static void collect_frames(const struct findings *f, const struct report *r,
			   int sect, const char *first, int *nout,
			   char out[][FINDINGS_FN_LEN])
{
	int k = 0;

	if (first && *first)
		scpy(out[k++], FINDINGS_FN_LEN, first);
	for (int i = 0; i < r->nframes && k < FINDINGS_MAX_FRAMES; i++) {
		const struct rframe *fr = &r->fr[i];

		if (sect && fr->sect != sect)
			continue;
		if (fr->unreliable || is_skip(f, r->kind, fr->fn))
			continue;
		if (k && !strcmp(out[k - 1], fr->fn))
			continue;
		if (k == 1 && first && !strcmp(out[0], fr->fn))
			continue;
		scpy(out[k++], FINDINGS_FN_LEN, fr->fn);
	}
	*nout = k;
}

static int finalize(struct findings *f, struct report *r)
{
	struct finding nf, *e;
	const char *lead = NULL;
	int has_ct = 0, known;

	if (!r->active)
		return 0;
	r->active = 0;
	memset(&nf, 0, sizeof(nf));
	build_title(f, r, nf.title, sizeof(nf.title));
	nf.cls = kind_class(r->kind);
	nf.count = 1;
	nf.first_ts = nf.last_ts = r->ts;
	nf.module_involved = r->module_involved;
	scpy(nf.context, sizeof(nf.context), r->context);
	scpy(nf.banner, sizeof(nf.banner), r->banner);

	for (int i = 0; i < r->nframes; i++)
		if (r->fr[i].sect == S_CT)
			has_ct = 1;
	if (r->kind == K_KCSAN) {
		nf.naccess = r->nacc;
		for (int a = 0; a < r->nacc && a < 2; a++) {
			scpy(nf.access[a].desc, sizeof(nf.access[a].desc), r->acc[a]);
			collect_frames(f, r, a == 0 ? S_ACC1 : S_ACC2, NULL,
				       &nf.access[a].nframes, nf.access[a].frames);
		}
		collect_frames(f, r, S_ACC1, NULL, &nf.nframes, nf.frames);
	} else {
		switch (r->kind) {
		case K_WARNING:
			lead = ok_fn(f, r, r->banner_fn);
			if (!lead)
				lead = ok_fn(f, r, r->rip_fn);
			break;
		case K_KERNEL_BUG: case K_NULL_DEREF: case K_PAGE_FAULT:
		case K_OOPS: case K_GPF: case K_SOFT_LOCKUP: case K_HARD_LOCKUP:
		case K_RCU_STALL:
			lead = ok_fn(f, r, r->rip_fn);
			break;
		case K_KASAN:
			lead = ok_fn(f, r, r->banner_fn);
			break;
		default:
			break;
		}
		collect_frames(f, r, has_ct ? S_CT : 0, lead, &nf.nframes, nf.frames);
	}

	/* lockdep switches itself off after its first splat (debug_locks_off) */
	if (kind_is_lockdep(r->kind))
		set_lockdep_off(f, r->ts, nf.title);

	known = known_race(nf.title);
	if (known >= 0) {
		f->known_hits[known]++;
		return 0;
	}

	for (int i = 0; i < f->n; i++) {
		e = &f->v[i];
		if (strcmp(e->title, nf.title))
			continue;
		e->count++;
		if (nf.last_ts > e->last_ts)
			e->last_ts = nf.last_ts;
		if (e->first_ts < 0 || (nf.first_ts >= 0 && nf.first_ts < e->first_ts))
			e->first_ts = nf.first_ts;
		e->module_involved |= nf.module_involved;
		if (!e->context[0])
			scpy(e->context, sizeof(e->context), nf.context);
		return 0;
	}
	if (f->n == f->cap) {
		int cap = f->cap ? f->cap * 2 : 16;
		struct finding *v = realloc(f->v, (size_t)cap * sizeof(*v));

		if (!v)
			return 0;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = nf;
	return 1;
}

int findings_flush(struct findings *f)
{
	int n = 0;

	for (int i = 0; i < MAX_OPEN; i++)
		n += finalize(f, &f->open[i]);
	return n;
}

/* ------------------------------------------------------------------ */
/* banner recognition                                                  */

struct banner {
	const char *text;
	enum kind kind;
	int anywhere;	/* match anywhere (pr_fmt prefixes), else at start */
};

static const struct banner banners[] = {
	{ "BUG: KCSAN: ", K_KCSAN, 0 },
	{ "WARNING: possible circular locking dependency detected", K_LD_CIRCULAR, 0 },
	{ "WARNING: possible recursive locking detected", K_LD_RECURSIVE, 0 },
	{ "WARNING: inconsistent lock state", K_LD_INCONSISTENT, 0 },
	{ "WARNING: possible irq lock inversion dependency detected", K_LD_IRQ_INVERSION, 0 },
	{ "[ BUG: Invalid wait context ]", K_LD_WAIT_CTX, 0 },
	{ "BUG: Invalid wait context", K_LD_WAIT_CTX, 0 },
	{ "WARNING: bad unlock balance detected!", K_LD_UNLOCK_BALANCE, 0 },
	{ "WARNING: held lock freed!", K_LD_HELD_FREED, 0 },
	{ "WARNING: lock held when returning to user space!", K_LD_HELD_RETURN, 0 },
	{ "WARNING: Nested lock was not taken", K_LD_NESTED, 0 },
	{ "WARNING: chain_key collision", K_LD_CHAIN_KEY, 0 },
	{ "WARNING: bad contention detected!", K_LD_BAD_CONTENTION, 0 },
	{ "WARNING: suspicious RCU usage", K_RCU, 0 },
	{ "BUG: sleeping function called from invalid context", K_SLEEP, 0 },
	{ "BUG: assuming atomic context", K_SLEEP, 0 },
	{ "BUG: scheduling while atomic", K_SCHED_ATOMIC, 0 },
	{ "BUG: scheduling in a non-blocking section", K_SCHED_ATOMIC, 0 },
	{ "BUG: KASAN: ", K_KASAN, 0 },
	{ "WARNING: CPU: ", K_WARNING, 0 },
	{ "kernel BUG at ", K_KERNEL_BUG, 1 },
	{ "Kernel BUG at ", K_KERNEL_BUG, 1 },
	{ "BUG: kernel NULL pointer dereference", K_NULL_DEREF, 0 },
	{ "BUG: unable to handle kernel NULL pointer dereference", K_NULL_DEREF, 0 },
	{ "BUG: unable to handle page fault", K_PAGE_FAULT, 0 },
	{ "BUG: unable to handle kernel paging request", K_PAGE_FAULT, 0 },
	{ "Oops: general protection fault", K_GPF, 0 },
	{ "general protection fault", K_GPF, 0 },
	{ "Oops: ", K_OOPS, 0 },
	{ "BUG: soft lockup", K_SOFT_LOCKUP, 1 },
	{ "Watchdog detected hard LOCKUP", K_HARD_LOCKUP, 1 },
	{ "INFO: task ", K_HUNG_TASK, 0 },	/* + "blocked for more than" */
	{ "Kernel panic - not syncing", K_PANIC, 1 },
	{ "UBSAN: ", K_UBSAN, 0 },
	{ "unreferenced object 0x", K_KMEMLEAK_OBJECT, 0 },
	{ "BUG: ", K_BUG_GENERIC, 0 },
	{ NULL, K_NONE, 0 }
};

/* harmless "BUG:"-prefixed lines that are not reports */
static int benign(const char *m)
{
	return starts(m, "BUG: MAX_") ||	/* lockdep table full: coverage loss */
	       strstr(m, "KCSAN: enabled") || strstr(m, "KCSAN: strict") ||
	       strstr(m, "KCSAN: selftest");
}

static enum kind match_banner(const char *m)
{
	/* RCU stall banners (pr_fmt "rcu: ") */
	if (strstr(m, "INFO: ") &&
	    (strstr(m, " detected stalls on CPUs/tasks") ||
	     strstr(m, " self-detected stall on CPU") ||
	     strstr(m, " detected expedited stalls on CPUs/tasks") ||
	     strstr(m, " detected stall, but suppressed")))
		return K_RCU_STALL;
	if (strstr(m, "kmemleak: ") && strstr(m, "new suspected memory leak"))
		return K_KMEMLEAK_SUMMARY;
	if (benign(m))
		return K_NONE;
	for (const struct banner *b = banners; b->text; b++) {
		int hit = b->anywhere ? strstr(m, b->text) != NULL : starts(m, b->text);

		if (!hit)
			continue;
		if (b->kind == K_HUNG_TASK && !strstr(m, "blocked for more than"))
			return K_NONE;
		if (b->kind == K_UBSAN && !strstr(m, " in "))
			return K_NONE;
		if (b->kind == K_WARNING && strstr(m, " lib/debugobjects.c:"))
			return K_ODEBUG;
		return b->kind;
	}
	return K_NONE;
}

/* panics that merely follow an earlier report (panic_on_warn etc.) */
static int panic_is_consequence(const char *m)
{
	static const char *const cons[] = {
		"Fatal exception", "panic_on_warn", "softlockup: hung tasks",
		"hung_task: blocked tasks", "RCU Stall", "hard LOCKUP",
		"Hard LOCKUP", "kmemleak", "KASAN", "KCSAN", "UBSAN",
		"kernel BUG", "Oops", NULL
	};

	for (int i = 0; cons[i]; i++)
		if (strstr(m, cons[i]))
			return 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* per-report line handling                                            */

static void note_module(struct findings *f, struct report *r, const char *m)
{
	const char *p;

	if (r->module_involved || !f->module[0])
		return;
	if (strstr(m, f->modtag) || strstr(m, f->modtag2)) {
		r->module_involved = 1;
		return;
	}
	/* function tokens "cmap_xxx+0x" (or bare names in KCSAN banners) */
	for (p = strstr(m, f->modprefix); p; p = strstr(p + 1, f->modprefix)) {
		const char *q;

		/* "[cmap_other_module]" is another module's tag */
		if (p != m && (is_ident(p[-1]) || p[-1] == '['))
			continue;
		q = p;
		while (is_ident(*q))
			q++;
		if (*q == '+' || (r->kind == K_KCSAN && r->lines == 0)) {
			r->module_involved = 1;
			return;
		}
	}
}

static void add_frame(struct report *r, const char *fn, int sect, int unrel)
{
	struct rframe *fr;

	if (r->nframes >= MAX_RFRAMES)
		return;
	fr = &r->fr[r->nframes++];
	scpy(fr->fn, sizeof(fr->fn), fn);
	fr->sect = (unsigned char)sect;
	fr->irq = (unsigned char)r->irq;
	fr->unreliable = (unsigned char)unrel;
}

static void start_report(struct findings *f, struct report *r, enum kind k,
			 const char *m, const char *caller, double ts)
{
	const char *p;
	char mod[64];

	memset(r, 0, sizeof(*r));
	r->active = 1;
	r->kind = k;
	r->ts = ts;
	scpy(r->caller, sizeof(r->caller), caller);
	scpy(r->context, sizeof(r->context), f->context);
	scpy(r->banner, sizeof(r->banner), m);
	rtrim(r->banner);

	switch (k) {
	case K_KASAN: {
		/* "BUG: KASAN: slab-use-after-free in func+0x1/0x2 [mod]" */
		const char *t = m + strlen("BUG: KASAN: ");
		size_t n = strcspn(t, " ");

		snprintf(r->kasan_type, sizeof(r->kasan_type), "%.*s",
			 (int)(n < 63 ? n : 63), t);
		p = strstr(t, " in ");
		if (p)
			parse_sym(p + 4, r->banner_fn, sizeof(r->banner_fn), mod,
				  sizeof(mod));
		break;
	}
	case K_WARNING:
		/* "WARNING: CPU: 1 PID: 2 at file:line func+0x1/0x2 [mod]" */
		p = strrchr(m, '+');
		if (p) {
			while (p > m && is_ident(p[-1]))
				p--;
			parse_sym(p, r->banner_fn, sizeof(r->banner_fn), mod,
				  sizeof(mod));
		}
		break;
	default:
		break;
	}
	note_module(f, r, m);
	if (k == K_KCSAN && f->modprefix[0]) {
		/* banner names have no offset: "in cmap_a / cmap_b" */
		p = strstr(m, " in ");
		for (p = p ? p + 4 : m; *p; ) {
			if ((p == m || (!is_ident(p[-1]) && p[-1] != '[')) &&
			    starts(p, f->modprefix)) {
				r->module_involved = 1;
				break;
			}
			p++;
		}
	}
}

static int is_marker(const char *s, const char *name)
{
	s = skip_ws(s);
	return s[0] == '<' && starts(s + 1, name) && s[1 + strlen(name)] == '>';
}

static void report_line(struct findings *f, struct report *r, const char *m,
			double ts)
{
	char fn[FINDINGS_FN_LEN], mod[64];
	const char *p, *s = skip_ws(m);
	int unrel;

	r->lines++;
	(void)ts;
	note_module(f, r, m);

	/* section changes */
	if (starts(s, "Call Trace:") || starts(s, "Call trace:")) {
		r->seen_ct++;
		r->sect = r->seen_ct == 1 ? S_CT : S_OTHER;
		r->irq = 0;
		return;
	}
	if (r->kind == K_KCSAN &&
	    (strstr(s, " bytes by task ") || strstr(s, " bytes by interrupt ")) &&
	    strstr(s, " on cpu ")) {
		if (r->nacc < 2) {
			scpy(r->acc[r->nacc], sizeof(r->acc[0]), s);
			rtrim(r->acc[r->nacc]);
			size_t n = strlen(r->acc[r->nacc]);
			if (n && r->acc[r->nacc][n - 1] == ':')
				r->acc[r->nacc][n - 1] = 0;
			r->nacc++;
			r->sect = r->nacc == 1 ? S_ACC1 : S_ACC2;
		} else {
			r->sect = S_OTHER;
		}
		return;
	}
	if (r->kind == K_KASAN && r->lines <= 3 && !r->extra[0]) {
		if (starts(s, "Read of size"))
			scpy(r->extra, sizeof(r->extra), "Read");
		else if (starts(s, "Write of size"))
			scpy(r->extra, sizeof(r->extra), "Write");
	}
	if (r->kind == K_RCU && !r->extra[0] && r->lines <= 4) {
		/* "%s:%d %s!" e.g. "kmod/cmap.c:123 suspicious rcu_dereference_check() usage!" */
		size_t n = strcspn(s, " ");
		const char *c = memchr(s, ':', n);

		if (c && c > s && isdigit((unsigned char)c[1])) {
			const char *d = c + 1;

			while (isdigit((unsigned char)*d))
				d++;
			if (d == s + n)
				snprintf(r->extra, sizeof(r->extra), "%.*s", (int)n, s);
		}
	}
	if (starts(s, "Allocated by task") || starts(s, "Freed by task") ||
	    starts(s, "Last potentially related work creation") ||
	    starts(s, "Second to last potentially") ||
	    starts(s, "-> #") || starts(s, "the existing dependency chain") ||
	    starts(s, "stack backtrace:") || starts(s, "The buggy address") ||
	    starts(s, "Memory state around") || starts(s, "Showing all locks")) {
		r->sect = starts(s, "stack backtrace:") ? S_NONE : S_OTHER;
		return;
	}
	if (starts(s, "backtrace") && r->kind == K_KMEMLEAK_OBJECT) {
		r->sect = r->seen_ct++ ? S_OTHER : S_CT;
		return;
	}
	if (is_marker(s, "IRQ") || is_marker(s, "NMI") || is_marker(s, "SOFTIRQ") ||
	    is_marker(s, "#DF") || is_marker(s, "EOE")) {
		r->irq = 1;
		return;
	}
	if (is_marker(s, "/IRQ") || is_marker(s, "/NMI") ||
	    is_marker(s, "/SOFTIRQ") || is_marker(s, "/#DF") ||
	    is_marker(s, "/EOE")) {
		r->irq = 2;
		return;
	}
	if (is_marker(s, "TASK"))
		return;
	if (is_marker(s, "/TASK")) {
		if (r->sect == S_CT)
			r->sect = S_NONE;
		r->seen_task_end = 1;
		return;
	}
	/* "RIP: 0010:func+0x1/0x2" */
	if (starts(s, "RIP: ") && !r->rip_fn[0]) {
		p = strchr(s + 5, ':');
		if (p)
			parse_sym(p + 1, r->rip_fn, sizeof(r->rip_fn), mod, sizeof(mod));
		return;
	}
	/* lockdep "..., at: func+0x1/0x2" */
	p = strstr(s, ", at: ");
	if (!p && starts(s, "at: "))
		p = s - 2;
	if (p) {
		if (!r->at_fn[0] && kind_is_lockdep(r->kind) &&
		    parse_sym(skip_ws(p + 6), fn, sizeof(fn), mod, sizeof(mod)))
			scpy(r->at_fn, sizeof(r->at_fn), fn);
		return;
	}
	if (parse_frame_line(m, fn, sizeof(fn), &unrel)) {
		add_frame(r, fn, r->sect ? r->sect : S_OTHER, unrel);
		return;
	}
}

/* should this line close the report? (checked after report_line) */
static int report_ends(const struct report *r, const char *m)
{
	const char *s = skip_ws(m);

	if (starts(s, "---[ end trace") || starts(s, "---[ end Kernel panic"))
		return 1;
	if ((r->kind == K_KCSAN || r->kind == K_KASAN) && r->lines > 1 &&
	    starts(s, "=========================="))
		return 1;
	if (r->kind != K_KASAN && r->kind != K_KCSAN && is_marker(s, "/TASK") &&
	    r->seen_ct)
		return 1;
	if (r->kind == K_KMEMLEAK_SUMMARY)
		return 1;
	if (r->kind == K_PANIC && r->lines > 0 && !starts(s, "CPU:") &&
	    r->seen_task_end)
		return 1;
	return r->lines >= REPORT_MAX_LINES;
}

static struct report *find_open(struct findings *f, const char *caller)
{
	for (int i = 0; i < MAX_OPEN; i++)
		if (f->open[i].active && !strcmp(f->open[i].caller, caller))
			return &f->open[i];
	return NULL;
}

static struct report *find_open_kind(struct findings *f, enum kind k)
{
	for (int i = 0; i < MAX_OPEN; i++)
		if (f->open[i].active && f->open[i].kind == k)
			return &f->open[i];
	return NULL;
}

static struct report *alloc_open(struct findings *f, int *nnew)
{
	struct report *oldest = NULL;

	for (int i = 0; i < MAX_OPEN; i++) {
		if (!f->open[i].active)
			return &f->open[i];
		if (!oldest || f->open[i].lines > oldest->lines)
			oldest = &f->open[i];
	}
	*nnew += finalize(f, oldest);
	return oldest;
}

/* handle one message (prefix already removed) */
static int handle_msg(struct findings *f, const char *m, const char *caller,
		      double ts)
{
	enum kind k;
	struct report *r;
	int nnew = 0;

	/* coverage / loss bookkeeping */
	if (strstr(m, "turning off the locking correctness validator"))
		set_lockdep_off(f, ts, "turning off the locking correctness validator");
	else if (strstr(m, "Disabling lock debugging due to kernel taint"))
		set_lockdep_off(f, ts, "Disabling lock debugging due to kernel taint");
	else if (strstr(m, "INFO: lockdep is turned off"))
		set_lockdep_off(f, ts, "lockdep is turned off");
	if (starts(m, "BUG: MAX_") && strstr(m, "too low"))
		set_lockdep_off(f, ts, m);
	{
		const char *p = strstr(m, "** ");
		unsigned long n;

		if (p && strstr(p, " printk messages dropped **") &&
		    sscanf(p, "** %lu printk messages dropped", &n) == 1)
			f->lost += n;
	}

	r = find_open(f, caller);
	k = match_banner(m);

	if (k != K_NONE && r) {
		enum kind rk = r->kind;
		int absorb = 0;

		/* sub-banners that belong to the open report */
		if (k == K_OOPS || k == K_GPF)
			absorb = rk == K_NULL_DEREF || rk == K_PAGE_FAULT ||
				 rk == K_KERNEL_BUG || (rk == K_GPF && r->lines < 3) ||
				 rk == K_KASAN || rk == K_UBSAN;
		else if (k == K_PANIC)
			absorb = 1;
		else if (k == K_BUG_GENERIC && rk == K_SLEEP)
			absorb = 0;
		if (rk == K_PANIC && k != K_PANIC)
			absorb = 0;
		/* KASAN GPF for wild pointers: "KASAN: null-ptr-deref" inside Oops */
		if (absorb) {
			report_line(f, r, m, ts);
			if (report_ends(r, m))
				nnew += finalize(f, r);
			return nnew;
		}
		nnew += finalize(f, r);
		r = NULL;
	}
	if (k == K_PANIC && panic_is_consequence(m) && f->n > 0)
		return nnew;	/* "Fatal exception" etc after a report */
	if (k != K_NONE) {
		r = alloc_open(f, &nnew);
		start_report(f, r, k, m, caller, ts);
		if (report_ends(r, m))
			nnew += finalize(f, r);
		return nnew;
	}
	if (!r) {
		/* NMI backtraces of other CPUs belong to an RCU stall report */
		r = find_open_kind(f, K_RCU_STALL);
		if (!r)
			r = find_open_kind(f, K_SOFT_LOCKUP);
		if (!r && !caller[0])
			return 0;
		if (!r) {
			/* console without caller ids on continuation lines */
			r = find_open(f, "");
			if (!r)
				return 0;
		}
	}
	report_line(f, r, m, ts);
	if (report_ends(r, m))
		nnew += finalize(f, r);
	return nnew;
}

/* ------------------------------------------------------------------ */
/* line prefixes                                                       */

/* "[   12.345678]" ; returns chars consumed or 0 */
static int parse_time(const char *s, double *ts)
{
	const char *p = s;
	char *end;
	double v;

	if (*p != '[')
		return 0;
	p = skip_ws(p + 1);
	if (!isdigit((unsigned char)*p))
		return 0;
	v = strtod(p, &end);
	if (end == p || *end != ']')
		return 0;
	*ts = v;
	return (int)(end + 1 - s);
}

/* "[ T123]" / "[T123]" / "[  C1]" */
static int parse_caller(const char *s, char *caller, size_t n)
{
	const char *p = s, *q;

	if (*p != '[')
		return 0;
	p = skip_ws(p + 1);
	if (*p != 'T' && *p != 'C')
		return 0;
	q = p + 1;
	if (!isdigit((unsigned char)*q))
		return 0;
	while (isdigit((unsigned char)*q))
		q++;
	if (*q != ']')
		return 0;
	snprintf(caller, n, "%.*s", (int)(q - p), p);
	return (int)(q + 1 - s);
}

static int feed_kmsg(struct findings *f, const char *line)
{
	/* prio,seq,usec,flags[,more];message */
	unsigned long long prio, seq, usec;
	const char *semi = strchr(line, ';');
	const char *p;
	char caller[16] = "";
	char *msg, *o, *start;
	int nnew = 0;
	double ts;
	size_t n;

	if (sscanf(line, "%llu,%llu,%llu,", &prio, &seq, &usec) != 3 || !semi)
		return -1;
	p = strstr(line, ",caller=");
	if (p && p < semi)
		sscanf(p + 8, "%15[^,;]", caller);
	if (f->last_seq >= 0 && (long long)seq > f->last_seq + 1)
		f->lost += (unsigned long)((long long)seq - f->last_seq - 1);
	f->last_seq = (long long)seq;
	ts = (double)usec / 1e6;
	f->last_ts = ts;

	/* unescape \xNN, split at embedded newlines */
	n = strlen(semi + 1);
	msg = malloc(n + 1);
	if (!msg)
		return 0;
	for (p = semi + 1, o = msg; *p; ) {
		if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
		    isxdigit((unsigned char)p[3])) {
			char hex[3] = { p[2], p[3], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			p += 4;
		} else {
			*o++ = *p++;
		}
	}
	*o = 0;
	rtrim(msg);
	for (start = msg; start; ) {
		char *nl = strchr(start, '\n');

		if (nl)
			*nl = 0;
		nnew += handle_msg(f, start, caller, ts);
		start = nl ? nl + 1 : NULL;
	}
	free(msg);
	return nnew;
}

int findings_feed_line(struct findings *f, const char *line)
{
	char buf[1024], caller[16] = "";
	const char *p = line;
	double ts = f->last_ts;
	int k;

	f->lines++;
	if (line[0] == ' ' && f->last_seq >= 0)
		return 0;	/* kmsg dictionary continuation */
	if (isdigit((unsigned char)line[0])) {
		int r = feed_kmsg(f, line);

		if (r >= 0)
			return r;
	}
	/* syslog "<4>" prefix */
	if (p[0] == '<' && isdigit((unsigned char)p[1])) {
		const char *q = p + 1;

		while (isdigit((unsigned char)*q))
			q++;
		if (*q == '>')
			p = q + 1;
	}
	k = parse_time(p, &ts);
	if (k) {
		p += k;
		f->last_ts = ts;
		k = parse_caller(p, caller, sizeof(caller));
		p += k;
		if (*p == ' ')
			p++;
	} else {
		k = parse_caller(p, caller, sizeof(caller));
		if (k) {
			p += k;
			if (*p == ' ')
				p++;
		}
	}
	scpy(buf, sizeof(buf), p);
	rtrim(buf);
	/* strip stray control characters (serial noise, ANSI escapes) */
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			*c = ' ';
	return handle_msg(f, buf, caller, ts);
}

int findings_feed_buf(struct findings *f, const char *b, size_t len)
{
	int n = 0;
	size_t i = 0;

	while (i < len) {
		size_t j = i;
		char *line;

		while (j < len && b[j] != '\n')
			j++;
		line = strndup(b + i, j - i);
		if (line) {
			n += findings_feed_line(f, line);
			free(line);
		}
		i = j + 1;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* output                                                              */

const struct finding *findings_match(const struct findings *f, const char *pat)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(findings_class_name(f->v[i].cls), pat) ||
		    strstr(f->v[i].title, pat))
			return &f->v[i];
	return NULL;
}

static int cmp_ts(const void *a, const void *b)
{
	const struct finding *x = *(const struct finding *const *)a;
	const struct finding *y = *(const struct finding *const *)b;

	if (x->first_ts < y->first_ts)
		return -1;
	if (x->first_ts > y->first_ts)
		return 1;
	return x < y ? -1 : (x > y);
}

static const struct finding **sorted(const struct findings *f)
{
	const struct finding **s = calloc((size_t)f->n + 1, sizeof(*s));

	if (!s)
		return NULL;
	for (int i = 0; i < f->n; i++)
		s[i] = &f->v[i];
	qsort(s, (size_t)f->n, sizeof(*s), cmp_ts);
	return s;
}

static void fmt_ts(char *b, size_t n, double ts)
{
	if (ts < 0)
		snprintf(b, n, "?");
	else
		snprintf(b, n, "%.6f", ts);
}

int findings_report_text(const struct findings *f, FILE *out)
{
	const struct finding **s = sorted(f);
	char a[32], b[32];
	double ts;
	const char *why;

	fprintf(out, "%d finding%s", f->n, f->n == 1 ? "" : "s");
	if (f->module[0])
		fprintf(out, " (module %s)", f->module);
	fprintf(out, ", %lu lines, %lu lost kmsg records\n", f->lines, f->lost);
	if (findings_lockdep_off(f, &ts, &why)) {
		fmt_ts(a, sizeof(a), ts);
		fprintf(out, "lockdep coverage ended at %s (%s)\n", a, why);
	}
	for (size_t i = 0; i < N_KNOWN; i++)
		if (f->known_hits[i])
			fprintf(out, "known kernel race, not cmap's (not counted, %u x): %s\n",
				f->known_hits[i], known_kernel_races[i]);
	for (int i = 0; s && i < f->n; i++) {
		const struct finding *e = s[i];

		fmt_ts(a, sizeof(a), e->first_ts);
		fmt_ts(b, sizeof(b), e->last_ts);
		fprintf(out, "\n[%d] %s\n", i + 1, e->title);
		fprintf(out, "    class: %s  count: %u  first: %s  last: %s\n",
			findings_class_name(e->cls), e->count, a, b);
		if (f->module[0])
			fprintf(out, "    %s involved: %s\n", f->module,
				e->module_involved ? "yes" : "no");
		if (e->context[0])
			fprintf(out, "    context: %s\n", e->context);
		for (int x = 0; x < e->naccess; x++) {
			fprintf(out, "    access %d: %s\n", x + 1, e->access[x].desc);
			for (int y = 0; y < e->access[x].nframes; y++)
				fprintf(out, "        %s\n", e->access[x].frames[y]);
		}
		if (!e->naccess && e->nframes) {
			fprintf(out, "    frames:\n");
			for (int y = 0; y < e->nframes; y++)
				fprintf(out, "        %s\n", e->frames[y]);
		}
	}
	free(s);
	return f->n;
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(out, "\\u%04x", *p);	/* bytes, not UTF-8 */
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void json_ts(FILE *out, double ts)
{
	if (ts < 0)
		fputs("null", out);
	else
		fprintf(out, "%.6f", ts);
}

static void json_frames(FILE *out, int n, const char fr[][FINDINGS_FN_LEN])
{
	fputc('[', out);
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		json_str(out, fr[i]);
	}
	fputc(']', out);
}

int findings_report_json(const struct findings *f, FILE *out)
{
	const struct finding **s = sorted(f);
	double ts;
	const char *why;

	fputs("{\n  \"module\": ", out);
	json_str(out, f->module);
	fprintf(out, ",\n  \"count\": %d,\n  \"lines\": %lu,\n  \"lost_records\": %lu,\n",
		f->n, f->lines, f->lost);
	fputs("  \"lockdep_off\": ", out);
	if (findings_lockdep_off(f, &ts, &why)) {
		fputs("{\"time\": ", out);
		json_ts(out, ts);
		fputs(", \"reason\": ", out);
		json_str(out, why);
		fputs("}", out);
	} else {
		fputs("null", out);
	}
	fputs(",\n  \"known_kernel_races\": [", out);
	for (size_t i = 0, first = 1; i < N_KNOWN; i++) {
		if (!f->known_hits[i])
			continue;
		fprintf(out, "%s{\"title\": ", first ? "" : ", ");
		json_str(out, known_kernel_races[i]);
		fprintf(out, ", \"count\": %u}", f->known_hits[i]);
		first = 0;
	}
	fputs("],\n  \"findings\": [", out);
	for (int i = 0; s && i < f->n; i++) {
		const struct finding *e = s[i];

		fputs(i ? ",\n    {" : "\n    {", out);
		fputs("\"title\": ", out);
		json_str(out, e->title);
		fputs(", \"class\": ", out);
		json_str(out, findings_class_name(e->cls));
		fprintf(out, ", \"count\": %u, \"first_time\": ", e->count);
		json_ts(out, e->first_ts);
		fputs(", \"last_time\": ", out);
		json_ts(out, e->last_ts);
		fputs(", \"frames\": ", out);
		json_frames(out, e->nframes, (const char (*)[FINDINGS_FN_LEN])e->frames);
		if (e->naccess) {
			fputs(", \"accesses\": [", out);
			for (int x = 0; x < e->naccess; x++) {
				fputs(x ? ", {\"desc\": " : "{\"desc\": ", out);
				json_str(out, e->access[x].desc);
				fputs(", \"frames\": ", out);
				json_frames(out, e->access[x].nframes,
					    (const char (*)[FINDINGS_FN_LEN])e->access[x].frames);
				fputc('}', out);
			}
			fputc(']', out);
		}
		fprintf(out, ", \"module_involved\": %s, \"context\": ",
			e->module_involved ? "true" : "false");
		if (e->context[0])
			json_str(out, e->context);
		else
			fputs("null", out);
		fputs(", \"banner\": ", out);
		json_str(out, e->banner);
		fputc('}', out);
	}
	fputs(f->n ? "\n  ]\n}\n" : "]\n}\n", out);
	free(s);
	return f->n;
}
