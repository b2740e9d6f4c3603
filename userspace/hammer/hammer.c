// SPDX-License-Identifier: GPL-2.0
/*
 * cmap-hammer: many threads against /dev/cmap across resizes, then a
 * report of the data errors found and of what the kernel's checkers
 * (KCSAN, lockdep, KASAN, ...) said meanwhile. See --help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "findings.h"
#include "hammer.h"

#define DEFAULT_DURATION	60.0
#define DEFAULT_KEYS		1024
#define DEFAULT_EXPECT_TIMEOUT	120.0
#define EXPECT_SLICE		8.0	/* s per scenario while expecting */

static const char usage_text[] =
"usage: cmap-hammer [OPTIONS]\n"
"\n"
"Hammer /dev/cmap from many threads while its table grows and shrinks,\n"
"check the map's contents against a model after every scenario, and report\n"
"what the kernel's checkers logged meanwhile (read from /dev/kmsg).\n"
"Run it in a debug kernel (KCSAN, or KASAN; lockdep in both) with cmap.ko\n"
"loaded; never on a machine you care about.\n"
"\n"
"  -t, --threads N        worker threads (default: 2 per online CPU, min 2)\n"
"  -d, --duration SECS    run time of the whole run, split evenly among the\n"
"                         scenarios (default 60)\n"
"  -n, --ops N            instead of a duration: N operations per thread per\n"
"                         scenario (a complete scan counts as 256)\n"
"  -s, --seed S           seed of the threads' generators (default: from the\n"
"                         clock); printed at start: repeat a run with it\n"
"  -S, --scenario LIST    comma-separated scenarios, or 'all' (default)\n"
"  -k, --keys N           size of the stable key set (default 1024); churn\n"
"                         sets are 6x this, spread over the churners\n"
"  -j, --json             the report as JSON on stdout\n"
"      --json-file FILE   also write the JSON report to FILE (the human\n"
"                         report still goes to stdout)\n"
"  -e, --expect CLASS     positive control: succeed only if a finding of\n"
"                         class CLASS (kcsan, kasan, lockdep, rcu, warning,\n"
"                         bug, oops, gpf, ...; any other word: text of its\n"
"                         title), naming a cmap function, is reported.\n"
"                         Scenarios are repeated until it is, or until\n"
"                         --expect-timeout\n"
"      --expect-timeout SECS  give up after SECS (default 120)\n"
"  -q, --quiet            no progress lines on stderr\n"
"  -h, --help             this text\n"
"\n"
"Scenarios:\n"
"%s"
"\n"
"Data errors are wrong answers from the map (a lost entry, a phantom\n"
"entry, a wrong or torn value, a wrong batch count, no valid serialization\n"
"of racing writes, resize thrashing), each reported with its key, the\n"
"operation, the thread and the map's resize state at that moment.\n"
"Findings are kernel reports (KCSAN data races, lockdep, KASAN, WARNING,\n"
"BUG, Oops, stalls, ...), folded by title, each with the scenario and\n"
"thread that was running. The report always starts with the run's health:\n"
"which checkers this kernel has, taint, whether lockdep is still on, lost\n"
"kernel log records. A checker that is absent found nothing: it is never\n"
"counted as a clean result.\n"
"\n"
"Exit status:\n"
"  0   no findings and no data errors (with --expect: the finding was seen)\n"
"  1   findings\n"
"  2   data errors\n"
"  3   findings and data errors\n"
"  4   inconclusive, checkers not armed: this kernel has neither KCSAN nor\n"
"      KASAN, /dev/kmsg is unreadable, or (--expect) the kernel cannot\n"
"      detect CLASS or the finding did not come within --expect-timeout\n"
"  64  usage error\n"
"  69  /dev/cmap is missing: load the module first (insmod cmap.ko)\n"
"  70  the hammer itself failed (out of memory, threads)\n"
"\n"
"Examples:\n"
"  cmap-hammer --duration 60                   every scenario, ~60 s in all\n"
"  cmap-hammer -S scan-resize -d 30 -s 42      one scenario, repeatable seed\n"
"  cmap-hammer --expect kcsan                  against a fault build\n";

static void usage(FILE *out)
{
	char list[2048];
	size_t off = 0;

	for (unsigned int i = 0; i < hammer_nscenarios; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					"  %-22s %s\n", hammer_scenarios[i].name,
					hammer_scenarios[i].help);
	fprintf(out, usage_text, list);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cmap-hammer: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'cmap-hammer --help'.\n");
	return HX_USAGE;
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static int parse_secs(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return end == s || *end || !(*v > 0) || *v > 86400 ? -EINVAL : 0;
}

/* Is every name in @list a scenario? */
static int check_scenarios(const char *list)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *n = strtok_r(buf, ",", &save); n;
	     n = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		if (!strcmp(n, "all"))
			continue;
		for (i = 0; i < hammer_nscenarios; i++)
			if (!strcmp(n, hammer_scenarios[i].name))
				break;
		if (i == hammer_nscenarios)
			return usage_error("unknown scenario '%s' (see --help for the list)", n);
	}
	return 0;
}

static bool selected(const char *list, const char *name)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *n = strtok_r(buf, ",", &save); n;
	     n = strtok_r(NULL, ",", &save))
		if (!strcmp(n, "all") || !strcmp(n, name))
			return true;
	return false;
}

enum { OPT_EXPECT_TIMEOUT = 256, OPT_JSON_FILE };

static const struct option long_opts[] = {
	{ "threads", required_argument, NULL, 't' },
	{ "duration", required_argument, NULL, 'd' },
	{ "ops", required_argument, NULL, 'n' },
	{ "seed", required_argument, NULL, 's' },
	{ "scenario", required_argument, NULL, 'S' },
	{ "keys", required_argument, NULL, 'k' },
	{ "json", no_argument, NULL, 'j' },
	{ "expect", required_argument, NULL, 'e' },
	{ "expect-timeout", required_argument, NULL, OPT_EXPECT_TIMEOUT },
	{ "json-file", required_argument, NULL, OPT_JSON_FILE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(struct hopts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 't':
		if (parse_u64(arg, 2, 512, &v))
			return usage_error("--threads '%s': want 2..512", arg);
		o->threads = (unsigned int)v;
		return 0;
	case 'd':
		if (parse_secs(arg, &o->duration))
			return usage_error("--duration '%s': want seconds > 0", arg);
		return 0;
	case 'n':
		if (parse_u64(arg, 1, UINT64_MAX / 2, &o->ops))
			return usage_error("--ops '%s': want a positive count", arg);
		return 0;
	case 's':
		if (parse_u64(arg, 0, UINT64_MAX, &o->seed))
			return usage_error("--seed '%s': want an unsigned number", arg);
		return 0;
	case 'S':
		o->scenarios = arg;
		return check_scenarios(arg);
	case 'k':
		if (parse_u64(arg, 16, 1 << 20, &v))
			return usage_error("--keys '%s': want 16..1048576", arg);
		o->keys = (unsigned int)v;
		return 0;
	case 'j':
		o->json = true;
		return 0;
	case 'e':
		o->expect = arg;
		return 0;
	case OPT_EXPECT_TIMEOUT:
		if (parse_secs(arg, &o->expect_timeout))
			return usage_error("--expect-timeout '%s': want seconds > 0", arg);
		return 0;
	case OPT_JSON_FILE:
		if (!*arg)
			return usage_error("%s", "--json-file: want a file name");
		o->json_file = arg;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	}
	return usage_error("%s", "bad option");
}

static void default_opts(struct hopts *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct timespec ts;

	memset(o, 0, sizeof(*o));
	o->threads = cpus > 1 ? (unsigned int)(2 * cpus) : 2;
	if (o->threads > 512)
		o->threads = 512;
	o->duration = DEFAULT_DURATION;
	o->keys = DEFAULT_KEYS;
	o->scenarios = "all";
	o->expect_timeout = DEFAULT_EXPECT_TIMEOUT;
	clock_gettime(CLOCK_REALTIME, &ts);
	o->seed = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		  ((uint64_t)getpid() << 40);
	o->seed &= 0xffffffffffffULL;	/* short enough to retype */
}

static unsigned int count_selected(const struct hopts *o);

/* Returns 0, or the exit status for --help or a usage error. */
static int parse_args(struct hopts *o, int argc, char **argv, bool *help)
{
	int c, err;

	default_opts(o);
	while ((c = getopt_long(argc, argv, "t:d:n:s:S:k:je:qh", long_opts,
				NULL)) != -1) {
		if (c == 'h') {
			*help = true;
			return 0;
		}
		if (c == '?')
			return usage_error("%s", "unknown option");
		err = parse_opt(o, c, optarg);
		if (err)
			return err;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!count_selected(o))
		return usage_error("--scenario '%s': no scenario selected", o->scenarios);
	if (o->expect && !*o->expect)
		return usage_error("%s", "--expect: want a finding class (kcsan, kasan, lockdep, ...)");
	return 0;
}

/* ---- the run ---- */

static unsigned int count_selected(const struct hopts *o)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < hammer_nscenarios; i++)
		n += selected(o->scenarios, hammer_scenarios[i].name);
	return n;
}

/* Every selected scenario once, the duration split among them. */
static int run_once(struct hrun *r)
{
	double secs = r->o.duration / count_selected(&r->o);
	unsigned int idx = 0;

	for (unsigned int i = 0; i < hammer_nscenarios; i++) {
		const struct scenario *def = &hammer_scenarios[i];
		int err;

		if (!selected(r->o.scenarios, def->name))
			continue;
		err = scen_run(r, def, idx++, secs);
		if (err == -ENOMEM || err == -EAGAIN || r->abandoned)
			return err ? err : -ETIMEDOUT;
	}
	return 0;
}

/* --expect: the selected scenarios round and round until the finding. */
static int run_expect(struct hrun *r)
{
	double end = r->t0 + r->o.expect_timeout;
	double slice = EXPECT_SLICE;
	unsigned int idx = 0;

	if (r->o.duration != DEFAULT_DURATION)
		slice = r->o.duration / count_selected(&r->o);
	while (!atomic_load(&r->stop) && now_s() < end) {
		for (unsigned int i = 0; i < hammer_nscenarios; i++) {
			const struct scenario *def = &hammer_scenarios[i];
			double left = end - now_s();
			int err;

			if (!selected(r->o.scenarios, def->name))
				continue;
			if (atomic_load(&r->stop) || left <= 0)
				break;
			err = scen_run(r, def, idx++, left < slice ? left : slice);
			if (err == -ENOMEM || err == -EAGAIN || r->abandoned)
				return err ? err : -ETIMEDOUT;
		}
	}
	return 0;
}

static int open_device(void)
{
	struct cmap_info info;
	int fd = libcmap_open(NULL, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "cmap-hammer: %s: %s: load the module first (insmod cmap.ko) and run as root\n",
			LIBCMAP_DEVICE, strerror(-fd));
		return -1;
	}
	if (libcmap_info(fd, &info) || info.abi_version != CMAP_ABI_VERSION) {
		fprintf(stderr, "cmap-hammer: %s speaks ABI %u, this tool %u: rebuild one of them\n",
			LIBCMAP_DEVICE, info.abi_version, CMAP_ABI_VERSION);
		close(fd);
		return -1;
	}
	if (info.max_entries && info.max_entries < 16 * 1024)
		fprintf(stderr, "cmap-hammer: warning: max_entries=%u is low: puts may fail with ENOSPC (data errors)\n",
			info.max_entries);
	return fd;
}

/* ---- the verdict and the report ---- */

struct verdict {
	int code;
	const char *word;
	char why[256];
};

static void verdict_expect(const struct hrun *r, struct verdict *v)
{
	const struct finding *fi = kcheck_expect(r->kc, r->o.expect);

	if (!kcheck_armed(r->kc, r->o.expect)) {
		v->code = HX_NOT_ARMED;
		v->word = "NOT ARMED";
		snprintf(v->why, sizeof(v->why), "this kernel cannot detect '%s' findings: inconclusive",
			 r->o.expect);
	} else if (fi) {
		v->code = HX_OK;
		v->word = "EXPECTED FINDING SEEN";
		snprintf(v->why, sizeof(v->why), "%s", fi->title);
	} else {
		v->code = HX_NOT_ARMED;
		v->word = "NOT ARMED";
		snprintf(v->why, sizeof(v->why), "no '%s' finding naming cmap within %.0f s: inconclusive, not a pass",
			 r->o.expect, r->o.expect_timeout);
	}
}

static void verdict_run(const struct hrun *r, struct verdict *v)
{
	int nf = kcheck_findings(r->kc);

	v->code = (nf ? HX_FINDINGS : 0) | (r->nerrs ? HX_DATA : 0);
	snprintf(v->why, sizeof(v->why), "%d findings, %llu data errors", nf,
		 (unsigned long long)r->nerrs);
	if (v->code) {
		v->word = v->code == HX_FINDINGS ? "FINDINGS" :
			  v->code == HX_DATA ? "DATA ERRORS" :
			  "FINDINGS AND DATA ERRORS";
		return;
	}
	v->word = "CLEAN";
	if (!kcheck_kmsg_ok(r->kc) || (!kcheck_armed(r->kc, "kcsan") &&
				       !kcheck_armed(r->kc, "kasan"))) {
		v->code = HX_NOT_ARMED;
		v->word = "NOT ARMED";
		snprintf(v->why, sizeof(v->why), "no data errors, but this kernel has neither KCSAN nor KASAN (or kmsg is unreadable): races could not have been found");
	}
}

static void report_results_text(const struct hrun *r, FILE *out)
{
	fprintf(out, "== scenarios\n");
	for (int i = 0; i < r->nres; i++) {
		const struct hresult *s = &r->res[i];

		fprintf(out, "%-22s %9llu ops %6.1f s %8.0f ops/s  grows %llu shrinks %llu  data errors %llu  findings %d\n",
			s->name, (unsigned long long)s->ops, s->secs,
			s->secs > 0 ? s->ops / s->secs : 0.0,
			(unsigned long long)s->grows,
			(unsigned long long)s->shrinks,
			(unsigned long long)s->errors, s->findings);
		if (s->note[0])
			fprintf(out, "%-22s %s\n", "", s->note);
	}
}

static void report_errors_text(const struct hrun *r, FILE *out)
{
	uint64_t kept = r->nerrs < HERR_KEEP ? r->nerrs : HERR_KEEP;

	fprintf(out, "== data errors\n");
	if (!r->nerrs)
		fprintf(out, "none\n");
	for (uint64_t i = 0; i < kept; i++) {
		const struct herr *e = &r->errs[i];

		fprintf(out, "%s: %s, %s, %s key '%s': %s\n    resize state: entries %llu, buckets %llu, future_buckets %llu, migrated %llu, grows %llu, shrinks %llu\n",
			e->what, e->scenario, e->thread, e->op, e->key,
			e->detail, (unsigned long long)e->st.entries,
			(unsigned long long)e->st.buckets,
			(unsigned long long)e->st.future_buckets,
			(unsigned long long)e->st.migrated,
			(unsigned long long)e->st.grows,
			(unsigned long long)e->st.shrinks);
	}
	if (r->nerrs > kept)
		fprintf(out, "(%llu more not shown)\n",
			(unsigned long long)(r->nerrs - kept));
}

static void report_text(const struct hrun *r, const struct verdict *v,
			FILE *out)
{
	fprintf(out, "cmap-hammer: seed %llu, %u threads, %u stable keys, scenarios %s%s%s\n",
		(unsigned long long)r->o.seed, r->o.threads, r->o.keys,
		r->o.scenarios, r->o.expect ? ", expecting " : "",
		r->o.expect ? r->o.expect : "");
	report_results_text(r, out);
	report_errors_text(r, out);
	kcheck_report_text(r->kc, out);
	fprintf(out, "== verdict\n%s: %s (exit %d, %.1f s)\n", v->word, v->why,
		v->code, now_s() - r->t0);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void report_results_json(const struct hrun *r, FILE *out)
{
	fprintf(out, " \"scenarios\": [");
	for (int i = 0; i < r->nres; i++) {
		const struct hresult *s = &r->res[i];

		fprintf(out, "%s\n  {\"name\": \"%s\", \"ops\": %llu, \"secs\": %.3f, \"grows\": %llu, \"shrinks\": %llu, \"data_errors\": %llu, \"findings\": %d, \"note\": ",
			i ? "," : "", s->name, (unsigned long long)s->ops,
			s->secs, (unsigned long long)s->grows,
			(unsigned long long)s->shrinks,
			(unsigned long long)s->errors, s->findings);
		json_str(out, s->note);
		fputc('}', out);
	}
	fprintf(out, "],\n");
}

static void report_errors_json(const struct hrun *r, FILE *out)
{
	uint64_t kept = r->nerrs < HERR_KEEP ? r->nerrs : HERR_KEEP;

	fprintf(out, " \"data_errors\": %llu,\n \"data_error_list\": [",
		(unsigned long long)r->nerrs);
	for (uint64_t i = 0; i < kept; i++) {
		const struct herr *e = &r->errs[i];

		fprintf(out, "%s\n  {\"what\": ", i ? "," : "");
		json_str(out, e->what);
		fprintf(out, ", \"scenario\": ");
		json_str(out, e->scenario);
		fprintf(out, ", \"thread\": ");
		json_str(out, e->thread);
		fprintf(out, ", \"op\": ");
		json_str(out, e->op);
		fprintf(out, ", \"key\": ");
		json_str(out, e->key);
		fprintf(out, ", \"detail\": ");
		json_str(out, e->detail);
		fprintf(out, ", \"state\": {\"entries\": %llu, \"buckets\": %llu, \"future_buckets\": %llu, \"migrated\": %llu, \"grows\": %llu, \"shrinks\": %llu}}",
			(unsigned long long)e->st.entries,
			(unsigned long long)e->st.buckets,
			(unsigned long long)e->st.future_buckets,
			(unsigned long long)e->st.migrated,
			(unsigned long long)e->st.grows,
			(unsigned long long)e->st.shrinks);
	}
	fprintf(out, "],\n");
}

static void report_json(const struct hrun *r, const struct verdict *v,
			FILE *out)
{
	fprintf(out, "{\"tool\": \"cmap-hammer\", \"seed\": %llu, \"threads\": %u, \"keys\": %u, \"scenario_list\": ",
		(unsigned long long)r->o.seed, r->o.threads, r->o.keys);
	json_str(out, r->o.scenarios);
	fprintf(out, ", \"expect\": ");
	if (r->o.expect)
		json_str(out, r->o.expect);
	else
		fprintf(out, "null");
	fprintf(out, ",\n \"verdict\": ");
	json_str(out, v->word);
	fprintf(out, ", \"why\": ");
	json_str(out, v->why);
	fprintf(out, ", \"exit\": %d, \"secs\": %.3f,\n", v->code,
		now_s() - r->t0);
	report_results_json(r, out);
	report_errors_json(r, out);
	fprintf(out, " \"kernel\": ");
	kcheck_report_json(r->kc, out);
	fprintf(out, "}\n");
}

static int hrun_init(struct hrun *r)
{
	r->fd = open_device();
	if (r->fd < 0)
		return HX_NODEV;
	r->kc = kcheck_start("cmap");
	if (!r->kc)
		return HX_SOFTWARE;
	pthread_mutex_init(&r->lock, NULL);
	atomic_store(&r->clock, 1);	/* 0 is set-up's time */
	r->scenario = "startup";
	r->t0 = now_s();
	return 0;
}

int main(int argc, char **argv)
{
	static struct hrun run;
	struct hrun *r = &run;
	struct verdict v = { 0 };
	bool help = false;
	int err;

	err = parse_args(&r->o, argc, argv, &help);
	if (help || err) {
		if (help)
			usage(stdout);
		return err;
	}
	fprintf(stderr, "cmap-hammer: seed %llu\n", (unsigned long long)r->o.seed);
	err = hrun_init(r);
	if (err)
		return err;
	if (!r->o.expect || kcheck_armed(r->kc, r->o.expect))
		err = r->o.expect ? run_expect(r) : run_once(r);
	kcheck_finish(r->kc);
	if (r->o.expect)
		verdict_expect(r, &v);
	else
		verdict_run(r, &v);
	if (err && !r->abandoned && !v.code) {
		v.code = HX_SOFTWARE;
		v.word = "HAMMER FAILED";
		snprintf(v.why, sizeof(v.why), "%s", strerror(-err));
	}
	if (r->o.json)
		report_json(r, &v, stdout);
	else
		report_text(r, &v, stdout);
	fflush(stdout);
	if (r->o.json_file) {
		FILE *jf = fopen(r->o.json_file, "w");

		if (jf) {
			report_json(r, &v, jf);
			if (fclose(jf))
				jf = NULL;
		}
		if (!jf)
			fprintf(stderr, "cmap-hammer: %s: %s\n", r->o.json_file,
				strerror(errno));
	}
	if (r->abandoned)
		_exit(v.code);	/* threads stuck in the kernel */
	kcheck_free(r->kc);
	close(r->fd);
	return v.code;
}
