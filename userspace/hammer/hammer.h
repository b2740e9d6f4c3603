/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap-hammer: shared definitions of the driver (hammer.c), the worker
 * and data-error plumbing (run.c) and the scenarios (scenarios.c).
 */
#ifndef CMAP_HAMMER_H
#define CMAP_HAMMER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmap.h"
#include "kcheck.h"
#include "model.h"

/* Exit statuses (documented in --help). */
#define HX_OK		0
#define HX_FINDINGS	1
#define HX_DATA		2	/* | HX_FINDINGS = 3: both */
#define HX_NOT_ARMED	4
#define HX_USAGE	64
#define HX_NODEV	69	/* /dev/cmap missing: load cmap.ko first */
#define HX_SOFTWARE	70	/* the hammer itself failed */

struct hopts {
	unsigned int threads;
	double duration;	/* whole run, split among scenarios */
	uint64_t ops;		/* per thread per scenario; 0: use duration */
	uint64_t seed;
	const char *scenarios;
	unsigned int keys;	/* stable-set size */
	bool json, quiet;
	const char *expect;
	double expect_timeout;
	const char *json_file;	/* also write the JSON report here */
};

/* The stats fields a data error reports: where the resize was. */
struct hstate {
	uint64_t entries, buckets, future_buckets, migrated, grows, shrinks;
};

#define HERR_KEEP	200	/* data errors kept in detail */

struct herr {
	char scenario[32];
	char thread[48];
	char op[24];
	char key[HKEY_MAX + 1];
	char what[24];
	char detail[200];
	struct hstate st;
};

/* One scenario's line in the report. */
struct hresult {
	const char *name;
	uint64_t ops;
	double secs;
	uint64_t grows, shrinks;
	uint64_t errors;
	int findings;		/* new findings while it ran */
	char note[256];		/* e.g. the resize bound of an oscillation */
};

#define HRESULTS_MAX	64

struct hrun {
	struct hopts o;
	int fd;
	struct kcheck *kc;
	pthread_mutex_t lock;	/* kc, errs */
	atomic_bool stop;	/* --expect satisfied, or fatal error */
	atomic_uint_fast64_t clock;	/* happens-before ticks */
	struct herr errs[HERR_KEEP];
	uint64_t nerrs;
	struct hresult res[HRESULTS_MAX];
	int nres;
	double t0;
	const char *scenario;	/* running now */
	bool abandoned;		/* workers stuck in the kernel */
};

struct scen;

struct worker {
	struct scen *s;
	unsigned int id;	/* 0..nthreads-1 */
	unsigned int role;	/* scenario-defined */
	unsigned int rank;	/* index among the threads of its role */
	uint64_t rng;
	uint64_t ops;
	char label[48];
	pthread_t th;
	void *priv;
};

/* One scenario being run. */
struct scen {
	struct hrun *r;
	const struct scenario *def;
	unsigned int nthreads;
	unsigned int nrole[4];	/* threads per role */
	double deadline;	/* duration mode */
	uint64_t ops_limit;	/* ops mode: per thread */
	struct worker *w;
	atomic_int running;
	atomic_bool done;	/* stop the workers of this scenario */
	void *priv;
};

struct scenario {
	const char *name;
	const char *help;
	const char *roles[4];	/* role names, for thread labels */
	/* Role of thread @id of @n (0..3); at least one thread per role used. */
	unsigned int (*role)(unsigned int id, unsigned int n);
	int (*setup)(struct scen *s);
	void (*work)(struct worker *w);
	/* After the workers: compare the map to the model. */
	void (*check)(struct scen *s);
	void (*teardown)(struct scen *s);
	void (*note)(struct scen *s, struct hresult *res);
};

extern const struct scenario hammer_scenarios[];
extern const unsigned int hammer_nscenarios;

/* ---- run.c ---- */
double now_s(void);
uint64_t rng_next(uint64_t *s);
uint32_t rng_below(uint64_t *s, uint32_t n);
uint64_t rng_seed(uint64_t seed, unsigned int scen, unsigned int thread);

/* Keep going? Counts one op. Checks the clock every few ops. */
bool worker_go(struct worker *w);
/* Ticks of the shared clock (happens-before stamps). */
uint64_t hclock(struct hrun *r);

void hstate_read(struct hrun *r, struct hstate *st);
/* Record a data error with the map's resize state. */
void data_error(struct hrun *r, const char *thread, const char *op,
		const char *key, uint32_t klen, const char *what,
		const char *fmt, ...) __attribute__((format(printf, 7, 8)));
void werr(struct worker *w, const char *op, const char *key, uint32_t klen,
	  const char *what, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Run @def's workers; returns after they all stopped. */
int scen_run(struct hrun *r, const struct scenario *def, unsigned int idx,
	     double secs);

/* Key helpers for scenarios. */
int key_of(char kind, unsigned int owner, unsigned int gen, unsigned int idx,
	   char *buf);
int put_val(struct hrun *r, const char *key, int klen, unsigned int thread,
	    uint64_t seq, uint32_t flags);

/* Full check of the map against @m: a complete scan and a GET per key. */
void check_map(struct hrun *r, struct model *m, const char *who);

/* Scan buffer helper: one complete scan, @rec called for each record. */
typedef void (*scan_fn)(void *arg, const struct libcmap_rec *rec);
int scan_all(struct hrun *r, uint32_t buf_size, scan_fn fn, void *arg,
	     const char *who);

#endif /* CMAP_HAMMER_H */
