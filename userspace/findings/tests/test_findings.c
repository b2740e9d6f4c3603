// SPDX-License-Identifier: GPL-2.0
/* TAP unit tests for the findings library. Run from this directory. */
#define _GNU_SOURCE
#include "findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ntest;
static int nfail;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", cond ? "ok" : "not ok", ++ntest);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		nfail++;
}

static struct findings *load(const char *name)
{
	char path[256], *line = NULL;
	size_t cap = 0;
	struct findings *f = findings_new();
	FILE *in;

	snprintf(path, sizeof(path), "fixtures/%s", name);
	in = fopen(path, "r");
	if (!in) {
		printf("# cannot open %s\n", path);
		return f;
	}
	while (getline(&line, &cap, in) >= 0)
		findings_feed_line(f, line);
	free(line);
	fclose(in);
	findings_flush(f);
	return f;
}

static const struct finding *by_title(struct findings *f, const char *t)
{
	for (int i = 0; i < findings_count(f); i++)
		if (!strcmp(findings_get(f, i)->title, t))
			return findings_get(f, i);
	return NULL;
}

struct expect {
	const char *file;
	int nfindings;
	const char *title;
	const char *cls;
	unsigned int count;
	int module;
	const char *frame0;
	double first_ts;
};

static const struct expect cases[] = {
	{ "kcsan.log", 3, "KCSAN: data-race in cmap_insert / cmap_lookup", "kcsan", 2, 1, "cmap_insert", 21.500012 },
	{ "kcsan.log", 3, "KCSAN: data-race in cmap_resize_worker", "kcsan", 1, 1, "cmap_resize_worker", 30.00001 },
	{ "kcsan.log", 3, "KCSAN: assert: race in cmap_bucket_check / cmap_delete", "kcsan", 1, 1, "cmap_delete", 31.00001 },
	{ "lockdep_circular.log", 1, "possible deadlock in cmap_resize", "lockdep", 1, 1, "cmap_resize", 40.100002 },
	{ "lockdep_recursive.log", 1, "possible deadlock in cmap_move", "lockdep", 1, 1, "cmap_move", 50.000002 },
	{ "lockdep_inconsistent.log", 1, "inconsistent lock state in cmap_rcu_free_cb", "lockdep", 1, 1, "cmap_rcu_free_cb", 60.000002 },
	{ "rcu_suspicious.log", 1, "suspicious RCU usage at kmod/cmap_main.c:214", "rcu", 1, 1, "cmap_lookup", 70.000002 },
	{ "kasan.log", 1, "KASAN: slab-use-after-free Read in cmap_lookup", "kasan", 1, 1, "cmap_lookup", 80.000001 },
	{ "warning.log", 2, "WARNING in cmap_delete", "warning", 2, 1, "cmap_delete", 90.000001 },
	{ "warning.log", 2, "WARNING in kmem_cache_destroy", "warning", 1, 0, "kmem_cache_destroy", 96.000001 },
	{ "sleep_atomic.log", 1, "BUG: sleeping function called from invalid context in cmap_stats_read", "atomic_sleep", 1, 1, "cmap_stats_read", 100.0 },
	{ "soft_lockup.log", 1, "BUG: soft lockup in cmap_bucket_spin", "soft_lockup", 1, 1, "cmap_bucket_spin", 130.0 },
	{ "hung_task.log", 1, "INFO: task hung in cmap_resize", "hung_task", 1, 1, "cmap_resize", 250.0 },
	{ "rcu_stall.log", 1, "INFO: rcu detected stall in cmap_walk_chain", "rcu_stall", 1, 1, "cmap_walk_chain", 300.0 },
	{ "gpf.log", 1, "general protection fault in cmap_delete", "gpf", 1, 1, "cmap_delete", 400.0 },
	{ "null_deref.log", 2, "BUG: kernel NULL pointer dereference in cmap_iter_next", "oops", 1, 1, "cmap_iter_next", 410.0 },
	{ "null_deref.log", 2, "kernel BUG in cmap_destroy", "bug", 1, 1, "cmap_destroy", 411.000001 },
	{ "kmemleak.log", 2, "kmemleak: suspected memory leaks", "kmemleak", 2, 0, NULL, 500.0 },
	{ "kmemleak.log", 2, "memory leak in cmap_node_alloc", "kmemleak", 1, 1, "cmap_node_alloc", 560.0 },
	{ "lost.kmsg", 2, "WARNING in cmap_delete", "warning", 1, 1, "cmap_delete", 5.000001 },
	{ "lost.kmsg", 2, "suspicious RCU usage at kmod/cmap_main.c:214", "rcu", 1, 1, "cmap_lookup", 6.000001 },
};

static void test_fixture(const struct expect *e)
{
	struct findings *f = load(e->file);
	const struct finding *x = by_title(f, e->title);

	ok(findings_count(f) == e->nfindings, "%s: %d findings (got %d)", e->file,
	   e->nfindings, findings_count(f));
	ok(x != NULL, "%s: title \"%s\"", e->file, e->title);
	if (!x) {
		for (int i = 0; i < findings_count(f); i++)
			printf("#   have: %s\n", findings_get(f, i)->title);
		findings_free(f);
		return;
	}
	ok(!strcmp(findings_class_name(x->cls), e->cls), "%s: class %s (got %s)",
	   e->file, e->cls, findings_class_name(x->cls));
	ok(x->count == e->count, "%s: count %u (got %u)", e->file, e->count, x->count);
	ok(x->module_involved == e->module, "%s: cmap involved=%d", e->file, e->module);
	if (e->frame0)
		ok(x->nframes > 0 && !strcmp(x->frames[0], e->frame0),
		   "%s: first frame %s (got %s)", e->file, e->frame0,
		   x->nframes ? x->frames[0] : "none");
	ok(x->first_ts > e->first_ts - 1e-6 && x->first_ts < e->first_ts + 1e-6,
	   "%s: first time %.6f (got %.6f)", e->file, e->first_ts, x->first_ts);
	findings_free(f);
}

static void test_clean(void)
{
	struct findings *f = load("clean_boot.log");
	double ts;

	ok(findings_count(f) == 0, "clean boot: zero findings (got %d)", findings_count(f));
	for (int i = 0; i < findings_count(f); i++)
		printf("#   spurious: %s\n", findings_get(f, i)->title);
	ok(!findings_lockdep_off(f, &ts, NULL), "clean boot: lockdep still on");
	ok(findings_lost(f) == 0, "clean boot: no lost records");
	findings_free(f);
}

static void test_kcsan_details(void)
{
	struct findings *f = load("kcsan.log");
	const struct finding *x = by_title(f, "KCSAN: data-race in cmap_insert / cmap_lookup");

	ok(x && x->naccess == 2, "kcsan: two access sections");
	ok(x && strstr(x->access[0].desc, "write to 0xffff888004a1c2d8 of 8 bytes by task 250 on cpu 1") &&
	   !strcmp(x->access[0].frames[0], "cmap_insert"), "kcsan: access 1 write/cmap_insert");
	ok(x && strstr(x->access[1].desc, "read to") &&
	   !strcmp(x->access[1].frames[0], "cmap_lookup") &&
	   !strcmp(x->access[1].frames[1], "cmap_ioctl"), "kcsan: access 2 read/cmap_lookup");
	ok(x && x->last_ts > 24.7 && x->last_ts < 24.71, "kcsan: last time of folded report");
	x = by_title(f, "KCSAN: data-race in cmap_resize_worker");
	ok(x && x->naccess == 1 && strstr(x->access[0].desc, "race at unknown origin"),
	   "kcsan: unknown origin recorded");
	ok(!findings_lockdep_off(f, NULL, NULL), "kcsan: does not end lockdep coverage");
	findings_free(f);
}

static void test_lockdep_off(void)
{
	struct findings *f = load("lockdep_inconsistent.log");
	double ts = -2;
	const char *why = NULL;

	ok(findings_lockdep_off(f, &ts, &why) && ts > 60.0 && ts < 60.00001,
	   "lockdep splat ends coverage at its time (%.6f)", ts);
	findings_free(f);

	f = findings_new();
	findings_feed_line(f, "[    5.000000][    T1] BUG: MAX_LOCKDEP_CHAIN_HLOCKS too low!");
	findings_feed_line(f, "[    5.000001][    T1] turning off the locking correctness validator.");
	findings_flush(f);
	ok(findings_lockdep_off(f, &ts, &why) && ts == 5.0 && findings_count(f) == 0,
	   "lockdep table overflow: coverage off, not a finding");
	findings_free(f);

	f = load("kasan.log");
	ok(findings_lockdep_off(f, &ts, &why) && strstr(why, "taint"),
	   "taint disables lock debugging");
	findings_free(f);
}

static void test_lost(void)
{
	struct findings *f = load("lost.kmsg");

	ok(findings_lost(f) == 7, "kmsg sequence gaps counted (got %lu)", findings_lost(f));
	findings_add_lost(f, 3);
	ok(findings_lost(f) == 10, "caller-added EPIPE losses counted");
	findings_free(f);

	f = findings_new();
	findings_feed_line(f, "[   10.000000][    T1] ** 42 printk messages dropped **");
	ok(findings_lost(f) == 42, "console 'printk messages dropped' counted");
	findings_free(f);
}

static void test_context_and_stream(void)
{
	struct findings *f = findings_new();
	const struct finding *x;
	int n = 0;

	findings_set_context(f, "scenario=lookup thread=3");
	n += findings_feed_line(f, "6,100,1000000,-,caller=T5;BUG: sleeping function called from invalid context at kernel/locking/mutex.c:585");
	findings_set_context(f, "scenario=resize thread=1");
	/* another task's WARNING interleaves with the first report */
	n += findings_feed_line(f, "4,101,1000100,-,caller=T9;WARNING: CPU: 1 PID: 9 at kmod/cmap_main.c:10 cmap_resize+0x1/0x2 [cmap]");
	n += findings_feed_line(f, "4,102,1000200,-,caller=T5;Call Trace:");
	n += findings_feed_line(f, "4,103,1000300,-,caller=T5; <TASK>");
	n += findings_feed_line(f, "4,104,1000400,-,caller=T9;Call Trace:");
	n += findings_feed_line(f, "4,105,1000500,-,caller=T5; __might_resched+0x1b8/0x270");
	n += findings_feed_line(f, "4,106,1000600,-,caller=T5; cmap_stats_read+0x1e/0x70 [cmap]");
	n += findings_feed_line(f, "4,107,1000700,-,caller=T5; </TASK>");
	ok(n == 1, "streaming: report finalized at </TASK> (n=%d)", n);
	n = findings_flush(f);
	ok(n == 1 && findings_count(f) == 2, "streaming: flush finalizes the open WARNING");
	x = by_title(f, "BUG: sleeping function called from invalid context in cmap_stats_read");
	ok(x && !strcmp(x->context, "scenario=lookup thread=3"),
	   "context captured when the first line arrived");
	x = by_title(f, "WARNING in cmap_resize");
	ok(x && !strcmp(x->context, "scenario=resize thread=1"), "per-caller interleaving kept apart");
	ok(findings_lost(f) == 0, "no gaps in contiguous kmsg");
	findings_free(f);
}

static void test_formats(void)
{
	struct findings *f = findings_new();
	const struct finding *x;

	findings_feed_line(f, "<4>[   12.500000] ------------[ cut here ]------------\n");
	findings_feed_line(f, "<4>[   12.500001] WARNING: CPU: 0 PID: 1 at lib/foo.c:1 foo_bar.constprop.0+0x1/0x2\n");
	findings_feed_line(f, "<4>[   12.500002] ---[ end trace 0000000000000000 ]---\n");
	findings_feed_line(f, "kernel BUG at mm/slub.c:123!");
	findings_flush(f);
	x = by_title(f, "WARNING in foo_bar");
	ok(x && x->first_ts == 12.500001 && !x->module_involved,
	   "syslog prefix, no caller id, .constprop suffix stripped");
	x = by_title(f, "kernel BUG at mm/slub.c:123");
	ok(x && x->first_ts == 12.500002, "bare line gets last timestamp, BUG without RIP");
	findings_free(f);

	f = findings_new();
	findings_set_module(f, "mymod");
	findings_feed_line(f, "[    1.000000][    C3] BUG: KCSAN: data-race in foo / mymod_x");
	findings_feed_line(f, "[    1.000001][    C3] ==================================================================");
	findings_flush(f);
	x = findings_get(f, 0);
	ok(x && x->module_involved && findings_match(f, "kcsan") == x,
	   "configurable module name, match by class");
	findings_free(f);
}

static void test_json_escape(void)
{
	struct findings *f = findings_new();
	FILE *m;
	char *buf = NULL;
	size_t len = 0;

	findings_set_context(f, "quote\" back\\slash\ttab");
	findings_feed_line(f, "[    1.000000][  T1] Kernel panic - not syncing: \"weird\\thing\"");
	findings_flush(f);
	m = open_memstream(&buf, &len);
	findings_report_json(f, m);
	fclose(m);
	ok(buf && strstr(buf, "\"context\": \"quote\\\" back\\\\slash\\ttab\"") &&
	   strstr(buf, "kernel panic: \\\"weird\\\\thing\\\""), "JSON escaping");
	free(buf);
	findings_free(f);
}

/*
 * A known race of the kernel itself (a real report from the kcsan guest)
 * is listed, not counted; the same report naming a cmap function on one
 * side is a finding.
 */
static void test_known_kernel_race(void)
{
	struct findings *f = load("kcsan_tmigr_known.log");
	char path[] = "fixtures/kcsan_tmigr_known.log", *line = NULL, *p;
	size_t cap = 0;
	FILE *in;

	ok(findings_count(f) == 0 && findings_known_count(f) == 1,
	   "known kernel race: not counted, listed (%d findings, %d known)",
	   findings_count(f), findings_known_count(f));
	findings_free(f);

	f = findings_new();
	findings_set_module(f, "cmap");
	in = fopen(path, "r");
	while (in && getline(&line, &cap, in) >= 0) {
		p = strstr(line, "tmigr_next_groupevt");
		if (p)
			memcpy(p, "cmap_lookup_x_xxxxx", 19);
		findings_feed_line(f, line);
	}
	if (in)
		fclose(in);
	free(line);
	findings_flush(f);
	ok(findings_count(f) == 1 && findings_known_count(f) == 0,
	   "a race with cmap on one side is never a known kernel race (%d findings)",
	   findings_count(f));
	findings_free(f);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_fixture(&cases[i]);
	test_clean();
	test_kcsan_details();
	test_lockdep_off();
	test_lost();
	test_context_and_stream();
	test_formats();
	test_json_escape();
	test_known_kernel_race();
	printf("1..%d\n", ntest);
	printf("# %d tests, %d failed\n", ntest, nfail);
	return nfail ? 1 : 0;
}
