/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmap-hammer: helpers shared by the scenarios (common.c).
 */
#ifndef CMAP_HAMMER_SCEN_H
#define CMAP_HAMMER_SCEN_H

#include "hammer.h"

/* The stable set: keys 's' 0 0 idx, value (HVAL_SETUP, idx + 1). */
int stable_fill(struct hrun *r, unsigned int nkeys);
bool stable_val_ok(unsigned int idx, const void *key, uint32_t klen,
		   const void *val, uint32_t vlen, char *detail, size_t dsize);
void stable_get(struct worker *w, unsigned int idx);
int stable_model(struct model *m, unsigned int nkeys);
void stable_check(struct scen *s, unsigned int nkeys);

/* What one complete scan returned. */
struct tally_seen {
	uint32_t scan, gen;
};

struct tally {
	unsigned int nstable, nowners, nidx;
	uint16_t *stable;		/* per stable key: times returned */
	struct tally_seen *seen;	/* [owner][idx]: churn keys */
	uint32_t scan;
};

int tally_init(struct tally *t, unsigned int nstable, unsigned int nowners,
	       unsigned int nidx);
void tally_free(struct tally *t);
void tally_begin(struct tally *t);
bool tally_once(struct tally *t, unsigned int owner, unsigned int gen,
		unsigned int idx);
void tally_end(struct worker *w, struct tally *t);
void tally_stable(struct worker *w, struct tally *t, const struct hkey *k,
		  const struct libcmap_rec *rec);
uint32_t scan_buf_size(uint64_t *rng);

/* A churner's cycle: insert keys 0..size-1 of generation gen, delete all. */
struct churn {
	char kind;
	unsigned int size, next, gen;
	bool deleting;
	unsigned int *order;		/* deletion order, or NULL */
	void (*on_insert)(struct worker *w, struct churn *c, unsigned int idx);
	void (*on_delete)(struct worker *w, struct churn *c, unsigned int idx);
	void *priv;
};

void churn_val(unsigned int owner, unsigned int gen, unsigned int idx,
	       struct hval *v);
int churn_init(struct worker *w, struct churn *c, char kind,
	       unsigned int size, bool shuffled);
void churn_shuffle(struct worker *w, struct churn *c);
void churn_step(struct worker *w, struct churn *c);
void churn_cleanup(struct worker *w, struct churn *c);
void churn_run(struct worker *w, unsigned int size, bool shuffled);
void churn_scan_rec(struct worker *w, struct tally *t, const struct hkey *k,
		    const struct libcmap_rec *rec);
unsigned int churn_size(const struct scen *s, unsigned int role);

bool wait_resize_idle(struct hrun *r, double secs);

/* scen_batch.c: scenarios 5 and 6. */
unsigned int s5_role(unsigned int id, unsigned int n);
int s5_setup(struct scen *s);
void s5_work(struct worker *w);
void s5_check(struct scen *s);
void s5_teardown(struct scen *s);
unsigned int s6_role(unsigned int id, unsigned int n);
int s6_setup(struct scen *s);
void s6_work(struct worker *w);
void s6_check(struct scen *s);
void s6_teardown(struct scen *s);
void s6_note(struct scen *s, struct hresult *res);

#endif /* CMAP_HAMMER_SCEN_H */
