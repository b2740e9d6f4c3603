/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcheck: what the kernel's checkers said during a run.
 *
 * kcheck_start() notes where /dev/kmsg is and what the kernel can check
 * (KCSAN, lockdep, KASAN), its taint and counters; kcheck_poll() reads the
 * records logged since, feeding them to the findings parser with the
 * context (scenario, thread) of the task that logged them; kcheck_finish()
 * takes the "after" picture. The report says what was found and, just as
 * plainly, what could not have been found.
 */
#ifndef CMAP_KCHECK_H
#define CMAP_KCHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct kcheck;
struct finding;

struct kcheck *kcheck_start(const char *module);
void kcheck_free(struct kcheck *kc);

/* Label the records of kernel task @tid (a hammer thread) from now on. */
void kcheck_name_task(struct kcheck *kc, pid_t tid, const char *label);
/* The scenario running now: the context of records from unnamed tasks. */
void kcheck_set_scenario(struct kcheck *kc, const char *scenario);

/* Read every record logged so far. Returns new findings, -errno on error. */
int kcheck_poll(struct kcheck *kc);
/* Final poll and the "after" snapshot. */
void kcheck_finish(struct kcheck *kc);

int kcheck_findings(const struct kcheck *kc);
bool kcheck_has(const struct kcheck *kc, const char *class_or_title);
/*
 * --expect: a finding whose class is @class_or_title (or whose title
 * contains it) and in which the module was involved (one of its
 * functions in the report).
 */
const struct finding *kcheck_expect(const struct kcheck *kc,
				    const char *class_or_title);
/* Can this kernel detect findings of @class ("kcsan", "lockdep", "kasan")? */
bool kcheck_armed(const struct kcheck *kc, const char *class);
/* Can findings be seen at all (/dev/kmsg readable)? */
bool kcheck_kmsg_ok(const struct kcheck *kc);

void kcheck_report_text(const struct kcheck *kc, FILE *out);
void kcheck_report_json(const struct kcheck *kc, FILE *out);

#endif /* CMAP_KCHECK_H */
