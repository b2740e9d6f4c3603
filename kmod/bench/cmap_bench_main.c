// SPDX-License-Identifier: GPL-2.0
/*
 * cmap_bench: a module loaded only to benchmark cmap against rhashtable and
 * a naive locked table (see cmap_bench.h). It is driven from user space
 * through debugfs:
 *
 *   /sys/kernel/debug/cmap_bench/run     write a spec to run one benchmark;
 *                                        the write returns when it is done
 *   /sys/kernel/debug/cmap_bench/result  the last run's figures, one JSON
 *                                        object
 *   /sys/kernel/debug/cmap_bench/trace   the last traced run's insert
 *                                        latency over time, as text columns
 *
 * A spec is "key=value" words separated by blanks:
 *
 *   backend=cmap|rhashtable|naive  workload=read|grow_read|mix|insert|delete
 *   n=KEYS (1000)  threads=1..64 (1)  ms=DURATION (200)  sample=0..16 (4)
 *   trace=0|1 (0)
 *
 * e.g. echo "backend=naive workload=insert n=1000000 trace=1" > run
 * Runs are serialised; an invalid spec fails the write with EINVAL.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cmap_bench.h"

#define CB_SPEC_MAX	256
#define CB_RESULT_MAX	4096
#define CB_TRACE_MAX	(64 + CB_TRACE_POINTS * 96)

static const struct cb_backend *const cb_backends[] = {
	&cb_backend_cmap, &cb_backend_rhashtable, &cb_backend_naive,
};

/* Serialises runs and guards the two buffers below. */
static DEFINE_MUTEX(cb_lock);
static char *cb_result;		/* JSON of the last run */
static size_t cb_result_len;
static char *cb_trace;		/* text of the last traced run */
static size_t cb_trace_len;
static struct dentry *cb_dir;

static int cb_parse_backend(struct cb_spec *spec, const char *v)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cb_backends); i++)
		if (!strcmp(v, cb_backends[i]->name)) {
			spec->be = cb_backends[i];
			return 0;
		}
	return -EINVAL;
}

static int cb_parse_word(struct cb_spec *spec, char *word)
{
	char *v = strchr(word, '=');
	int i;

	if (!v)
		return -EINVAL;
	*v++ = '\0';
	if (!strcmp(word, "backend"))
		return cb_parse_backend(spec, v);
	if (!strcmp(word, "workload")) {
		i = match_string(cb_workload_names, CB_NR_WORKLOADS, v);
		if (i < 0)
			return i;
		spec->workload = i;
		return 0;
	}
	if (!strcmp(word, "n"))
		return kstrtou32(v, 0, &spec->n);
	if (!strcmp(word, "threads"))
		return kstrtou32(v, 0, &spec->threads);
	if (!strcmp(word, "ms"))
		return kstrtou32(v, 0, &spec->ms);
	if (!strcmp(word, "sample"))
		return kstrtou32(v, 0, &spec->sample);
	if (!strcmp(word, "trace"))
		return kstrtobool(v, &spec->trace);
	return -EINVAL;
}

static int cb_parse(struct cb_spec *spec, char *text)
{
	char *word;
	int err;

	*spec = (struct cb_spec){ .workload = CB_NR_WORKLOADS, .n = 1000,
				  .threads = 1, .ms = 200, .sample = 4 };
	while ((word = strsep(&text, " \t\n"))) {
		if (!*word)
			continue;
		err = cb_parse_word(spec, word);
		if (err)
			return err;
	}
	if (!spec->be || spec->workload >= CB_NR_WORKLOADS || !spec->n ||
	    !spec->threads || spec->threads > CB_MAX_THREADS ||
	    spec->sample > 16)
		return -EINVAL;
	return 0;
}

/* Printing into a fixed buffer; output beyond it is silently cut. */
struct cb_buf {
	char *p;
	size_t len;
	size_t size;
};

static __printf(2, 3) void cb_printf(struct cb_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	b->len += vscnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
}

static u64 cb_rate(u64 ops, u64 ns)
{
	return ns ? div64_u64(ops * NSEC_PER_SEC, ns) : 0;
}

static u64 cb_div(u64 a, u64 b)
{
	return b ? div64_u64(a, b) : 0;
}

/* JSON: "name":value, -- cb_close() turns the last comma into a brace. */
static void cb_u64(struct cb_buf *b, const char *name, u64 v)
{
	cb_printf(b, "\"%s\":%llu,", name, v);
}

static void cb_str(struct cb_buf *b, const char *name, const char *v)
{
	cb_printf(b, "\"%s\":\"%s\",", name, v);
}

static void cb_open(struct cb_buf *b, const char *name)
{
	cb_printf(b, "\"%s\":{", name);
}

static void cb_close(struct cb_buf *b)
{
	if (b->len && b->p[b->len - 1] == ',')
		b->len--;
	cb_printf(b, "},");
}

static void cb_json_hist(struct cb_buf *b, const char *name,
			 const struct cb_hist *h)
{
	cb_open(b, name);
	cb_u64(b, "count", h->count);
	cb_u64(b, "mean", cb_div(h->sum, h->count));
	cb_u64(b, "p50", cb_hist_percentile(h, 500));
	cb_u64(b, "p99", cb_hist_percentile(h, 990));
	cb_u64(b, "p999", cb_hist_percentile(h, 999));
	cb_u64(b, "max", h->max);
	cb_close(b);
}

static void cb_json_latency(struct cb_buf *b, const struct cb_run *run,
			    struct cb_hist *h)
{
	static const char *const names[CB_NR_OPS] = { "lookup", "insert",
						      "delete" };
	unsigned int op, i, nr = run->spec.threads +
				 (run->spec.workload == CB_GROW_READ);

	cb_open(b, "latency_ns");
	for (op = 0; op < CB_NR_OPS; op++) {
		memset(h, 0, sizeof(*h));
		for (i = 0; i < nr; i++)
			cb_hist_merge(h, &run->workers[i].hist[op]);
		cb_json_hist(b, names[op], h);
	}
	cb_close(b);
}

struct cb_totals {
	u64 ops, hits, grow_ops, errors, retries;
};

/* Sums over the workers; the grower of CB_GROW_READ is left out of ops. */
static void cb_sum(const struct cb_run *run, struct cb_totals *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < run->spec.threads; i++) {
		t->ops += run->workers[i].ops;
		t->hits += run->workers[i].hits;
		t->grow_ops += run->workers[i].grow_ops;
	}
	for (i = 0; i < run->spec.threads +
			(run->spec.workload == CB_GROW_READ); i++) {
		t->errors += run->workers[i].errors;
		t->retries += run->workers[i].retries;
	}
}

static void cb_json_sizes(struct cb_buf *b, const struct cb_run *run)
{
	const struct cb_resize *r = &run->resize;
	const struct cb_mem *m = &run->mem;

	cb_open(b, "resize");
	cb_u64(b, "count", r->count);
	cb_u64(b, "timed", r->timed);
	cb_u64(b, "total_ns", r->total_ns);
	cb_u64(b, "mean_ns", cb_div(r->total_ns, r->timed));
	cb_u64(b, "max_ns", r->max_ns);
	cb_close(b);
	cb_open(b, "mem");
	cb_u64(b, "entries", m->entries);
	cb_u64(b, "bytes", m->bytes);
	cb_u64(b, "buckets", m->buckets);
	cb_printf(b, "\"bytes_per_entry\":%llu.%02llu,",
		  cb_div(m->bytes, m->entries),
		  cb_div(m->bytes * 100, m->entries) % 100);
	cb_close(b);
}

static void cb_json_run(struct cb_buf *b, const struct cb_run *run)
{
	const struct cb_spec *s = &run->spec;
	struct cb_totals t;

	cb_sum(run, &t);
	cb_str(b, "backend", s->be->name);
	cb_str(b, "workload", cb_workload_names[s->workload]);
	cb_u64(b, "n", s->n);
	cb_u64(b, "threads", s->threads);
	cb_u64(b, "ms", s->ms);
	cb_u64(b, "sample", s->sample);
	cb_u64(b, "elapsed_ns", run->elapsed_ns);
	cb_u64(b, "ops", t.ops);
	cb_u64(b, "ops_per_sec", cb_rate(t.ops, run->elapsed_ns));
	cb_u64(b, "hits", t.hits);
	cb_u64(b, "errors", t.errors);
	cb_u64(b, "retries", t.retries);
	cb_open(b, "grow");
	cb_u64(b, "grows", run->grows);
	cb_u64(b, "grow_ns", run->grow_ns);
	cb_u64(b, "lookups", t.grow_ops);
	cb_u64(b, "lookups_per_sec", cb_rate(t.grow_ops, run->grow_ns));
	cb_close(b);
}

static void cb_json(struct cb_buf *b, const struct cb_run *run,
		    struct cb_hist *h)
{
	cb_printf(b, "{");
	cb_json_run(b, run);
	cb_json_latency(b, run, h);
	cb_json_sizes(b, run);
	b->len--;	/* the comma after the last member */
	cb_printf(b, "}\n");
}

static void cb_text_trace(struct cb_buf *b, const struct cb_run *run)
{
	unsigned int i;

	cb_printf(b, "# backend=%s n=%u threads=%u: t_ns done max_ns mean_ns\n",
		  run->spec.be->name, run->spec.n, run->spec.threads);
	for (i = 0; i < run->ntrace; i++)
		cb_printf(b, "%llu %llu %llu %llu\n", run->trace[i].t_ns,
			  run->trace[i].done, run->trace[i].max_ns,
			  run->trace[i].mean_ns);
}

/* Keep the results of @run; called with cb_lock held. */
static int cb_keep(const struct cb_run *run)
{
	struct cb_buf b = { .p = cb_result, .size = CB_RESULT_MAX };
	struct cb_hist *h = kmalloc(sizeof(*h), GFP_KERNEL);

	if (!h)
		return -ENOMEM;
	cb_json(&b, run, h);
	kfree(h);
	cb_result_len = b.len;
	if (run->trace) {
		b = (struct cb_buf){ .p = cb_trace, .size = CB_TRACE_MAX };
		cb_text_trace(&b, run);
		cb_trace_len = b.len;
	}
	return 0;
}

static int cb_run_text(char *text)
{
	struct cb_run *run = kzalloc(sizeof(*run), GFP_KERNEL);
	int err;

	if (!run)
		return -ENOMEM;
	err = cb_parse(&run->spec, text);
	if (err)
		goto free_run;
	mutex_lock(&cb_lock);
	err = cb_run_spec(run);
	if (!err)
		err = cb_keep(run);
	mutex_unlock(&cb_lock);
	cb_run_free(run);
free_run:
	kfree(run);
	return err;
}

static ssize_t cb_run_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char *text;
	int err;

	if (len >= CB_SPEC_MAX)
		return -E2BIG;
	text = memdup_user_nul(ubuf, len);
	if (IS_ERR(text))
		return PTR_ERR(text);
	err = cb_run_text(text);
	kfree(text);
	return err ? err : len;
}

static ssize_t cb_result_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&cb_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, cb_result,
				      cb_result_len);
	mutex_unlock(&cb_lock);
	return ret;
}

static ssize_t cb_trace_read(struct file *file, char __user *ubuf,
			     size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&cb_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, cb_trace, cb_trace_len);
	mutex_unlock(&cb_lock);
	return ret;
}

static const struct file_operations cb_run_fops = {
	.owner = THIS_MODULE,
	.write = cb_run_write,
};

static const struct file_operations cb_result_fops = {
	.owner = THIS_MODULE,
	.read = cb_result_read,
	.llseek = default_llseek,
};

static const struct file_operations cb_trace_fops = {
	.owner = THIS_MODULE,
	.read = cb_trace_read,
	.llseek = default_llseek,
};

static int __init cb_init(void)
{
	int err = -ENOMEM;

	cb_result = kzalloc(CB_RESULT_MAX, GFP_KERNEL);
	cb_trace = kvzalloc(CB_TRACE_MAX, GFP_KERNEL);
	if (!cb_result || !cb_trace)
		goto free_bufs;
	err = cb_trace_init();
	if (err)
		goto free_bufs;
	cb_dir = debugfs_create_dir("cmap_bench", NULL);
	debugfs_create_file("run", 0200, cb_dir, NULL, &cb_run_fops);
	debugfs_create_file("result", 0400, cb_dir, NULL, &cb_result_fops);
	debugfs_create_file("trace", 0400, cb_dir, NULL, &cb_trace_fops);
	return 0;

free_bufs:
	kvfree(cb_trace);
	kfree(cb_result);
	return err;
}

static void __exit cb_exit(void)
{
	debugfs_remove(cb_dir);
	cb_trace_exit();
	kvfree(cb_trace);
	kfree(cb_result);
}

module_init(cb_init);
module_exit(cb_exit);
MODULE_DESCRIPTION("cmap benchmark: cmap vs rhashtable vs a locked table");
MODULE_LICENSE("GPL");
