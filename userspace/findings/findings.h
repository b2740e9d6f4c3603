/* SPDX-License-Identifier: GPL-2.0 */
/*
 * findings - turn Linux kernel console / kmsg text into a deduplicated
 * list of findings (KCSAN, lockdep, KASAN, WARN, BUG, Oops, stalls, ...),
 * with syzkaller-style one-line titles (cf. syzkaller pkg/report/linux.go).
 *
 * Usage:
 *   struct findings *f = findings_new();
 *   findings_set_module(f, "cmap");
 *   findings_set_context(f, "scenario=lookup thread=3");
 *   while (getline(...)) findings_feed_line(f, line);
 *   findings_flush(f);                      // close a report still open
 *   n = findings_report_text(f, stdout);    // or findings_report_json()
 *   findings_free(f);
 *
 * Accepted line formats (may be mixed):
 *   /dev/kmsg:  "prio,seq,usec,flags[,caller=T1];message"  (lines starting
 *               with a space are dictionary continuations and ignored;
 *               \xNN escapes are decoded, embedded newlines split)
 *   console:    "[   12.345678][ T123] message", "[   12.345678][  C1] msg",
 *               "[   12.345678] message", optionally "<4>" syslog prefix,
 *               or plain "message" (timestamp: last one seen).
 * Not thread-safe: one struct findings per reader.
 */
#ifndef CMAP_FINDINGS_H
#define CMAP_FINDINGS_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum findings_class {
	FC_KCSAN,
	FC_LOCKDEP,
	FC_RCU,		/* lockdep-RCU "suspicious RCU usage" */
	FC_ATOMIC_SLEEP,
	FC_KASAN,
	FC_WARNING,
	FC_BUG,
	FC_OOPS,
	FC_GPF,
	FC_SOFT_LOCKUP,
	FC_HUNG_TASK,
	FC_RCU_STALL,
	FC_PANIC,
	FC_KMEMLEAK,
	FC_UBSAN,
	FC_OTHER,
	FC__COUNT
};

#define FINDINGS_MAX_FRAMES 5
#define FINDINGS_FN_LEN 128

struct finding_access {		/* KCSAN: one racing access */
	char desc[192];		/* "write to 0x... of 8 bytes by task 12 on cpu 1" */
	int nframes;
	char frames[FINDINGS_MAX_FRAMES][FINDINGS_FN_LEN];
};

struct finding {
	char title[256];
	enum findings_class cls;
	unsigned int count;		/* occurrences folded under this title */
	double first_ts, last_ts;	/* seconds; < 0 if unknown */
	int nframes;			/* first meaningful frames (function names) */
	char frames[FINDINGS_MAX_FRAMES][FINDINGS_FN_LEN];
	int naccess;			/* KCSAN only: 0..2 */
	struct finding_access access[2];
	int module_involved;		/* a frame of the module was seen */
	char context[256];		/* caller context when the report began */
	char banner[256];		/* first line of the first occurrence */
};

struct findings;

struct findings *findings_new(void);
void findings_free(struct findings *f);

/* Module whose involvement is tracked (default "cmap"): frames "fn [NAME]"
 * or functions named "NAME_*". */
void findings_set_module(struct findings *f, const char *name);
/* Context string recorded into findings whose first line arrives later;
 * NULL or "" clears it. */
void findings_set_context(struct findings *f, const char *ctx);

/* Feed one line (trailing newline optional). Returns the number of new
 * findings finalized by this line (reports are finalized when their end
 * is recognised, when another report starts, or by findings_flush()). */
int findings_feed_line(struct findings *f, const char *line);
/* Feed a buffer containing several '\n'-separated lines. */
int findings_feed_buf(struct findings *f, const char *buf, size_t len);
/* Finalize any reports still open. Returns number of new findings. */
int findings_flush(struct findings *f);

/* Caller-observed lost records (e.g. read() on /dev/kmsg gave EPIPE). */
void findings_add_lost(struct findings *f, unsigned long n);
/* Lost records: kmsg sequence gaps + "printk messages dropped" + added. */
unsigned long findings_lost(const struct findings *f);

/* Lockdep coverage: returns 1 and the timestamp (seconds, <0 if unknown)
 * after which lockdep no longer reports (debug_locks turned off), else 0.
 * reason may be NULL. */
int findings_lockdep_off(const struct findings *f, double *ts, const char **reason);

/* Number of distinct (deduplicated) findings finalized so far. */
int findings_count(const struct findings *f);
/* How many of the known kernel races (not cmap's, not counted) were seen. */
int findings_known_count(const struct findings *f);
/* i-th finding in order of first appearance. */
const struct finding *findings_get(const struct findings *f, int i);
/* Number of input lines consumed. */
unsigned long findings_lines(const struct findings *f);

const char *findings_class_name(enum findings_class c);

/* Reports (findings sorted by first time). Return number of findings. */
int findings_report_text(const struct findings *f, FILE *out);
int findings_report_json(const struct findings *f, FILE *out);

/* First finding whose class name equals pat or whose title contains pat. */
const struct finding *findings_match(const struct findings *f, const char *pat);

#ifdef __cplusplus
}
#endif
#endif
