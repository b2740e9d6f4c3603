// SPDX-License-Identifier: GPL-2.0
/*
 * kcheck: the kernel's side of a cmap-hammer run. See kcheck.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "findings.h"
#include "kcheck.h"

#define KCHECK_MAX_TASKS 1024

struct kcheck_snap {
	bool valid;
	unsigned long taint;
	int debug_locks;		/* -1: no lockdep */
	long kcsan_data_races;		/* -1: no KCSAN debugfs */
	long kcsan_assert_failures;
	long kcsan_skip_watch, kcsan_udelay_task;	/* -1: unknown */
};

struct kcheck_task {
	pid_t tid;
	char label[64];
};

struct kcheck {
	struct findings *f;
	int kmsg_fd;
	char release[128];
	bool has_kcsan, has_lockdep, has_kasan;
	struct kcheck_snap before, after;
	char scenario[64];
	struct kcheck_task tasks[KCHECK_MAX_TASKS];
	int ntasks;
	unsigned long records;
};

static long read_long_file(const char *path, long dflt)
{
	char buf[64];
	long v = dflt;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return dflt;
	if (fgets(buf, sizeof(buf), fp))
		v = strtol(buf, NULL, 10);
	fclose(fp);
	return v;
}

/* The value of "name: N" in a /proc or debugfs key-value file, or @dflt. */
static long read_keyed(const char *path, const char *key, long dflt)
{
	char line[256];
	size_t klen = strlen(key);
	long v = dflt;
	FILE *fp = fopen(path, "r");

	if (!fp)
		return dflt;
	while (fgets(line, sizeof(line), fp)) {
		char *p = line + strspn(line, " \t");

		if (!strncmp(p, key, klen) && p[klen] == ':') {
			v = strtol(p + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(fp);
	return v;
}

/* One pass over /proc/kallsyms (slow in a TCG guest): which of @syms exist. */
static void kallsyms_have(const char *const *syms, bool *found, int n)
{
	char line[512];
	FILE *fp = fopen("/proc/kallsyms", "r");
	int left = n;

	for (int i = 0; i < n; i++)
		found[i] = false;
	if (!fp)
		return;
	while (left && fgets(line, sizeof(line), fp)) {
		char *name = strrchr(line, ' ');
		size_t len;

		if (!name)
			continue;
		name++;
		len = strcspn(name, "\t\n");
		for (int i = 0; i < n; i++) {
			if (!found[i] && strlen(syms[i]) == len &&
			    !strncmp(name, syms[i], len)) {
				found[i] = true;
				left--;
			}
		}
	}
	fclose(fp);
}

static void snapshot(struct kcheck_snap *s)
{
	s->taint = read_long_file("/proc/sys/kernel/tainted", 0);
	s->debug_locks = read_keyed("/proc/lockdep_stats", "debug_locks", -1);
	s->kcsan_data_races = read_keyed("/sys/kernel/debug/kcsan", "data_races", -1);
	s->kcsan_assert_failures =
		read_keyed("/sys/kernel/debug/kcsan", "assert_failures", -1);
	s->kcsan_skip_watch =
		read_long_file("/sys/module/kcsan/parameters/skip_watch", -1);
	s->kcsan_udelay_task =
		read_long_file("/sys/module/kcsan/parameters/udelay_task", -1);
	s->valid = true;
}

struct kcheck *kcheck_start(const char *module)
{
	struct kcheck *kc = calloc(1, sizeof(*kc));
	struct utsname u;

	if (!kc)
		return NULL;
	kc->f = findings_new();
	if (!kc->f) {
		free(kc);
		return NULL;
	}
	findings_set_module(kc->f, module);
	if (!uname(&u))
		snprintf(kc->release, sizeof(kc->release), "%s", u.release);
	{
		static const char *const syms[] = {
			"kcsan_enable_current", "kasan_report",
		};
		bool found[2];

		kallsyms_have(syms, found, 2);
		kc->has_kcsan = found[0] ||
				!access("/sys/kernel/debug/kcsan", R_OK);
		kc->has_kasan = found[1];
	}
	kc->has_lockdep = !access("/proc/lockdep_stats", R_OK);
	snapshot(&kc->before);
	/* Only what is logged from now on belongs to this run. */
	kc->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kc->kmsg_fd >= 0)
		lseek(kc->kmsg_fd, 0, SEEK_END);
	strcpy(kc->scenario, "startup");
	return kc;
}

void kcheck_free(struct kcheck *kc)
{
	if (!kc)
		return;
	if (kc->kmsg_fd >= 0)
		close(kc->kmsg_fd);
	findings_free(kc->f);
	free(kc);
}

void kcheck_name_task(struct kcheck *kc, pid_t tid, const char *label)
{
	int i;

	for (i = 0; i < kc->ntasks && kc->tasks[i].tid != tid; i++)
		;
	if (i == KCHECK_MAX_TASKS)
		return;
	kc->tasks[i].tid = tid;
	snprintf(kc->tasks[i].label, sizeof(kc->tasks[i].label), "%s", label);
	if (i == kc->ntasks)
		kc->ntasks++;
}

void kcheck_set_scenario(struct kcheck *kc, const char *scenario)
{
	snprintf(kc->scenario, sizeof(kc->scenario), "%s", scenario);
}

static const char *task_label(const struct kcheck *kc, pid_t tid)
{
	for (int i = 0; i < kc->ntasks; i++)
		if (kc->tasks[i].tid == tid)
			return kc->tasks[i].label;
	return NULL;
}

/* Context of one kmsg record: its caller task's label, if it is ours. */
static void set_record_context(struct kcheck *kc, const char *rec)
{
	const char *semi = strchr(rec, ';');
	const char *c = strstr(rec, ",caller=T");
	char ctx[160];
	const char *label = NULL;
	pid_t tid = 0;

	if (c && semi && c < semi) {
		tid = (pid_t)strtol(c + 9, NULL, 10);
		label = task_label(kc, tid);
	}
	if (label)
		snprintf(ctx, sizeof(ctx), "scenario=%s %s (tid %d)",
			 kc->scenario, label, (int)tid);
	else if (tid)
		snprintf(ctx, sizeof(ctx), "scenario=%s task %d", kc->scenario,
			 (int)tid);
	else
		snprintf(ctx, sizeof(ctx), "scenario=%s", kc->scenario);
	findings_set_context(kc->f, ctx);
}

int kcheck_poll(struct kcheck *kc)
{
	char rec[8192];
	int found = 0;

	if (kc->kmsg_fd < 0)
		return -ENODEV;
	for (;;) {
		ssize_t n = read(kc->kmsg_fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE) {
			/* Overwritten before we read it: say so, never hide it. */
			findings_add_lost(kc->f, 1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		kc->records++;
		set_record_context(kc, rec);
		found += findings_feed_line(kc->f, rec);
	}
	return found;
}

void kcheck_finish(struct kcheck *kc)
{
	kcheck_poll(kc);
	findings_flush(kc->f);
	snapshot(&kc->after);
}

int kcheck_findings(const struct kcheck *kc)
{
	return findings_count(kc->f);
}

bool kcheck_has(const struct kcheck *kc, const char *class_or_title)
{
	return findings_match(kc->f, class_or_title) != NULL;
}

/* Is @name one of the findings parser's class names? */
static bool is_class_name(const char *name)
{
	for (int c = 0; c < FC__COUNT; c++)
		if (!strcmp(findings_class_name(c), name))
			return true;
	return false;
}

const struct finding *kcheck_expect(const struct kcheck *kc,
				    const char *class_or_title)
{
	/*
	 * A class name matches the class only: "kcsan" must not match a
	 * lockdep report whose title holds a path like build/kcsan-fault/.
	 */
	bool cls = is_class_name(class_or_title);

	for (int i = 0; i < findings_count(kc->f); i++) {
		const struct finding *fi = findings_get(kc->f, i);

		if (!fi->module_involved)
			continue;
		if (cls ? !strcmp(findings_class_name(fi->cls), class_or_title) :
			  strstr(fi->title, class_or_title) != NULL)
			return fi;
	}
	return NULL;
}

bool kcheck_armed(const struct kcheck *kc, const char *class)
{
	if (!strcmp(class, "kcsan"))
		return kc->has_kcsan;
	if (!strcmp(class, "lockdep") || !strcmp(class, "rcu"))
		return kc->has_lockdep && kc->before.debug_locks == 1;
	if (!strcmp(class, "kasan"))
		return kc->has_kasan;
	return true;
}

bool kcheck_kmsg_ok(const struct kcheck *kc)
{
	return kc->kmsg_fd >= 0;
}

static int kcsan_reports(const struct kcheck *kc)
{
	int n = 0;

	for (int i = 0; i < findings_count(kc->f); i++) {
		const struct finding *fi = findings_get(kc->f, i);

		if (fi->cls == FC_KCSAN)
			n += fi->count;
	}
	return n;
}

static const char *checker_state(bool present)
{
	return present ? "present" : "ABSENT: this kernel cannot find these";
}

void kcheck_report_text(const struct kcheck *kc, FILE *out)
{
	const struct kcheck_snap *b = &kc->before, *a = &kc->after;
	const char *reason = NULL;
	double off = -1;

	fprintf(out, "== run health\n");
	fprintf(out, "kernel:        %s\n", kc->release);
	fprintf(out, "KCSAN:         %s\n", checker_state(kc->has_kcsan));
	fprintf(out, "lockdep:       %s\n", checker_state(kc->has_lockdep));
	fprintf(out, "KASAN:         %s\n", checker_state(kc->has_kasan));
	fprintf(out, "taint:         %lu before, %lu after\n", b->taint, a->taint);
	if (kc->has_lockdep) {
		if (findings_lockdep_off(kc->f, &off, &reason))
			fprintf(out, "lockdep:       OFF from %.6f s (%s): no lockdep coverage after that\n",
				off, reason ? reason : "a lockdep report");
		else if (a->debug_locks == 0)
			fprintf(out, "lockdep:       OFF at the end (debug_locks=0)\n");
		else
			fprintf(out, "lockdep:       still on at the end\n");
	}
	if (kc->has_kcsan && b->kcsan_skip_watch >= 0)
		fprintf(out, "KCSAN tuning:  watch ~1 access in %ld, delay %ld us (kcsan.skip_watch, kcsan.udelay_task)\n",
			b->kcsan_skip_watch, b->kcsan_udelay_task);
	if (kc->has_kcsan && b->kcsan_data_races >= 0)
		fprintf(out, "KCSAN races:   %ld detected during the run, %d reported\n",
			a->kcsan_data_races - b->kcsan_data_races,
			kcsan_reports(kc));
	fprintf(out, "kmsg:          %lu records read, %lu lost\n", kc->records,
		findings_lost(kc->f));
	if (kc->kmsg_fd < 0)
		fprintf(out, "kmsg:          /dev/kmsg unreadable: NO findings can be reported\n");
	fprintf(out, "== findings\n");
	if (!findings_count(kc->f))
		fprintf(out, "none%s\n", kc->has_kcsan && kc->has_kasan ? "" :
			" (from the checkers present above)");
	else
		findings_report_text(kc->f, out);
}

void kcheck_report_json(const struct kcheck *kc, FILE *out)
{
	const struct kcheck_snap *b = &kc->before, *a = &kc->after;
	const char *reason = NULL;
	double off = -1;
	bool lockdep_off = findings_lockdep_off(kc->f, &off, &reason);

	fprintf(out, "{\"kernel\": \"%s\", \"checkers\": {\"kcsan\": %s, \"lockdep\": %s, \"kasan\": %s},\n",
		kc->release, kc->has_kcsan ? "true" : "false",
		kc->has_lockdep ? "true" : "false",
		kc->has_kasan ? "true" : "false");
	fprintf(out, " \"taint_before\": %lu, \"taint_after\": %lu,\n", b->taint,
		a->taint);
	fprintf(out, " \"lockdep_on_at_end\": %s, \"lockdep_off_at\": ",
		kc->has_lockdep && !lockdep_off && a->debug_locks == 1 ?
		"true" : "false");
	if (lockdep_off && off >= 0)
		fprintf(out, "%.6f,\n", off);
	else
		fprintf(out, "null,\n");
	fprintf(out, " \"kcsan_skip_watch\": %ld, \"kcsan_udelay_task\": %ld,\n",
		b->kcsan_skip_watch, b->kcsan_udelay_task);
	fprintf(out, " \"kcsan_detected\": %ld, \"kcsan_reported\": %d,\n",
		kc->has_kcsan && b->kcsan_data_races >= 0 ?
		a->kcsan_data_races - b->kcsan_data_races : -1,
		kcsan_reports(kc));
	fprintf(out, " \"kmsg_records\": %lu, \"kmsg_lost\": %lu,\n \"report\": ",
		kc->records, findings_lost(kc->f));
	findings_report_json(kc->f, out);
	fprintf(out, "}\n");
}
