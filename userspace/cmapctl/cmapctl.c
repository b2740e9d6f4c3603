// SPDX-License-Identifier: GPL-2.0
/*
 * cmapctl: read and write the cmap kernel map (/dev/cmap) from the shell.
 * Run `cmapctl --help` for the manual.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmap.h"

/* Exit codes: also in the help text. */
enum {
	EX_OK = 0,
	EX_NOTFOUND = 1,
	EX_USAGE = 2,
	EX_DEVICE = 3,
	EX_EXISTS = 4,
	EX_FULL = 5,
	EX_INPUT = 6,
	EX_ERROR = 7,
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define LOAD_BATCH	256		/* operations per batch ioctl */
#define LOAD_PROGRESS	100000		/* lines between progress reports */

static const char usage_text[] =
"usage: cmapctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Read and write the cmap kernel hash map through /dev/cmap.\n"
"\n"
"Commands:\n"
"  put KEY VALUE      insert KEY or replace its value\n"
"  get KEY            print the value of KEY\n"
"  del KEY            delete KEY\n"
"  scan [--count N]   print entries as KEY<TAB>VALUE lines (at most N)\n"
"  load [FILE|-]      insert KEY<TAB>VALUE lines from FILE or standard input,\n"
"                     many per system call; progress goes to standard error\n"
"  stats [--json]     table size, entries, memory, resize counters\n"
"  info [--json]      interface version, limits and features of the module\n"
"  clear              delete every entry\n"
"\n"
"Options:\n"
"  -d, --device PATH  the cmap device (default /dev/cmap)\n"
"  -x, --hex          keys and values are hex strings (binary data)\n"
"  -n, --noexist      put/load: fail if a key is already present\n"
"  -e, --exist        put/load: fail if a key is absent (replace only)\n"
"  -c, --count N      scan: stop after N entries\n"
"  -j, --json         stats/info: one JSON object\n"
"  -h, --help         this text\n"
"\n"
"Text keys and values are taken as given on the command line. In scan\n"
"output and load input, backslash escapes stand for bytes: \\\\ \\t \\n\n"
"and \\xHH, so `cmapctl scan | cmapctl load` copies any map. Keys are 1 to\n"
"256 bytes, values 0 to 4096 bytes (see `cmapctl info`). Put `--` before\n"
"arguments that start with '-'.\n"
"\n"
"Examples:\n"
"  cmapctl put user:42 alice          insert or replace\n"
"  cmapctl get user:42                prints: alice\n"
"  cmapctl --noexist put user:42 bob  exit 4: user:42 already exists\n"
"  cmapctl --hex put 00ff 0a0b0c      binary key and value\n"
"  cmapctl scan --count 10            a sample of ten entries\n"
"  printf 'a\\t1\\nb\\t2\\n' | cmapctl load -\n"
"  cmapctl stats --json | jq .entries\n"
"\n"
"Exit status:\n"
"  0 success               4 key exists (--noexist)\n"
"  1 key not found         5 map full: max_entries or max_bytes reached\n"
"  2 usage error           6 malformed load input\n"
"  3 device unavailable    7 other error (the message says which)\n";

struct opts {
	const char *device;
	bool hex;
	bool json;
	__u32 put_flags;
	unsigned long long count;
	bool have_count;
};

static void msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cmapctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("cmapctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'cmapctl --help' for usage and examples.\n", stderr);
	va_end(ap);
	return EX_USAGE;
}

/* Map a kernel error to a message and an exit code. */
static int fail(int err, const struct opts *o, const char *what)
{
	switch (err) {
	case -ENOENT:
		msg("%s: key not found", what);
		return EX_NOTFOUND;
	case -EEXIST:
		msg("%s: key already exists (drop --noexist to replace it)",
		    what);
		return EX_EXISTS;
	case -ENOSPC:
		msg("%s: the map is full: delete entries, or reload the module with larger max_entries= or max_bytes= (see `cmapctl info`)",
		    what);
		return EX_FULL;
	case -E2BIG:
		msg("%s: key or value too long (see `cmapctl info` for the limits)",
		    what);
		return EX_USAGE;
	case -ENOMEM:
		msg("%s: the kernel is out of memory (or over the memory cgroup limit)",
		    what);
		return EX_ERROR;
	case -EBADF:
		msg("%s: %s is open read-only; this command needs write permission",
		    what, o->device);
		return EX_DEVICE;
	case -ENOTTY:
		msg("%s: %s is not a cmap device, or its module speaks another version of the interface than this cmapctl (rebuild one of them from the same tree)",
		    what, o->device);
		return EX_DEVICE;
	default:
		msg("%s: %s", what, strerror(-err));
		return EX_ERROR;
	}
}

static int open_device(const struct opts *o, int oflags, int *fd)
{
	*fd = libcmap_open(o->device, oflags);
	if (*fd >= 0)
		return EX_OK;
	switch (*fd) {
	case -ENOENT:
		msg("%s not found: is the cmap module loaded? (insmod cmap.ko)",
		    o->device);
		break;
	case -EACCES:
	case -EPERM:
		msg("%s: permission denied: run as root, or give a group access to it (a udev rule setting GROUP= and MODE=0660) and join that group",
		    o->device);
		break;
	case -ENXIO:
	case -ENODEV:
		msg("%s: no such device: the cmap module was unloaded?",
		    o->device);
		break;
	default:
		msg("%s: %s", o->device, strerror(-*fd));
	}
	return EX_DEVICE;
}

/* --- encoding of keys and values ---------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode hex @s into @out (@max bytes); returns the length or -1. */
static long decode_hex(const char *s, size_t n, unsigned char *out, size_t max)
{
	size_t i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = hi << 4 | lo;
	}
	return n / 2;
}

/* Decode backslash escapes (\\ \t \n \r \xHH) into @out; -1 if malformed. */
static long decode_escaped(const char *s, size_t n, unsigned char *out,
			   size_t max)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '\\') {
			if (++i >= n)
				return -1;
			switch (s[i]) {
			case '\\':
				c = '\\';
				break;
			case 't':
				c = '\t';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 'x':
				if (i + 2 >= n)
					return -1;
				if (hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
					return -1;
				c = hexval(s[i + 1]) << 4 | hexval(s[i + 2]);
				i += 2;
				break;
			default:
				return -1;
			}
		}
		if (len >= max)
			return -2;
		out[len++] = c;
	}
	return len;
}

/* A command-line key or value: raw text, or hex with --hex. */
static long decode_arg(const struct opts *o, const char *s, unsigned char *out,
		       size_t max)
{
	size_t n = strlen(s);

	if (o->hex)
		return decode_hex(s, n, out, max);
	if (n > max)
		return -1;
	memcpy(out, s, n);
	return n;
}

static void print_hex(FILE *f, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static void print_escaped(FILE *f, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] == '\\')
			fputs("\\\\", f);
		else if (b[i] == '\t')
			fputs("\\t", f);
		else if (b[i] == '\n')
			fputs("\\n", f);
		else if (b[i] == '\r')
			fputs("\\r", f);
		else if (b[i] < 0x20 || b[i] == 0x7f)
			fprintf(f, "\\x%02x", b[i]);
		else
			fputc(b[i], f);
	}
}

/* --- commands ----------------------------------------------------------- */

struct kv {
	unsigned char key[CMAP_KEY_MAX];
	unsigned char val[CMAP_VALUE_MAX];
	long key_len;
	long val_len;
};

static int parse_key(const struct opts *o, const char *arg, struct kv *kv)
{
	kv->key_len = decode_arg(o, arg, kv->key, sizeof(kv->key));
	if (kv->key_len < 0 && o->hex)
		return usage_error("key '%s' is not an even number of hex digits, at most %d bytes",
				   arg, CMAP_KEY_MAX);
	if (kv->key_len < 0)
		return usage_error("key '%s' is longer than %d bytes", arg,
				   CMAP_KEY_MAX);
	if (!kv->key_len)
		return usage_error("the key is empty: keys are 1 to %d bytes",
				   CMAP_KEY_MAX);
	return EX_OK;
}

static int cmd_put(const struct opts *o, int argc, char **argv)
{
	struct kv kv;
	int fd, ret;

	if (argc != 2)
		return usage_error("put takes KEY VALUE");
	ret = parse_key(o, argv[0], &kv);
	if (ret)
		return ret;
	kv.val_len = decode_arg(o, argv[1], kv.val, sizeof(kv.val));
	if (kv.val_len < 0 && o->hex)
		return usage_error("value is not an even number of hex digits, at most %d bytes",
				   CMAP_VALUE_MAX);
	if (kv.val_len < 0)
		return usage_error("value is longer than %d bytes",
				   CMAP_VALUE_MAX);
	ret = open_device(o, O_RDWR, &fd);
	if (ret)
		return ret;
	ret = libcmap_put(fd, kv.key, kv.key_len, kv.val, kv.val_len,
			  o->put_flags);
	close(fd);
	return ret ? fail(ret, o, "put") : EX_OK;
}

static int cmd_get(const struct opts *o, int argc, char **argv)
{
	struct kv kv;
	__u32 len;
	int fd, ret;

	if (argc != 1)
		return usage_error("get takes KEY");
	ret = parse_key(o, argv[0], &kv);
	if (ret)
		return ret;
	ret = open_device(o, O_RDONLY, &fd);
	if (ret)
		return ret;
	ret = libcmap_get(fd, kv.key, kv.key_len, kv.val, sizeof(kv.val), &len);
	close(fd);
	if (ret)
		return fail(ret, o, "get");
	if (o->hex)
		print_hex(stdout, kv.val, len);
	else
		fwrite(kv.val, 1, len, stdout);
	putchar('\n');
	return EX_OK;
}

static int cmd_del(const struct opts *o, int argc, char **argv)
{
	struct kv kv;
	int fd, ret;

	if (argc != 1)
		return usage_error("del takes KEY");
	ret = parse_key(o, argv[0], &kv);
	if (ret)
		return ret;
	ret = open_device(o, O_RDWR, &fd);
	if (ret)
		return ret;
	ret = libcmap_delete(fd, kv.key, kv.key_len);
	close(fd);
	return ret ? fail(ret, o, "del") : EX_OK;
}

static void print_entry(const struct opts *o, const struct libcmap_rec *r)
{
	void (*pr)(FILE *f, const void *p, size_t n) =
		o->hex ? print_hex : print_escaped;

	pr(stdout, r->key, r->key_len);
	putchar('\t');
	pr(stdout, r->val, r->val_len);
	putchar('\n');
}

static int cmd_scan(const struct opts *o, int argc, char **argv)
{
	__u32 size = 64 << 10, used, count, off;
	unsigned long long seen = 0;
	struct libcmap_rec rec;
	__u64 cursor = 0;
	bool done = false;
	void *buf;
	int fd, ret;

	if (argc)
		return usage_error("scan takes no arguments (did you mean --count N?)");
	ret = open_device(o, O_RDONLY, &fd);
	if (ret)
		return ret;
	buf = malloc(size);
	while (buf && !done && (!o->have_count || seen < o->count)) {
		ret = libcmap_scan(fd, &cursor, buf, size, &used, &count, &done);
		if (ret == -ENOSPC && used > size) {
			void *nbuf = realloc(buf, used);

			if (nbuf)
				size = used;
			buf = nbuf;
			continue;
		}
		if (ret)
			break;
		for (off = 0; libcmap_scan_next(buf, used, &off, &rec) > 0 &&
		     (!o->have_count || seen < o->count); seen++)
			print_entry(o, &rec);
	}
	if (!buf)
		ret = -ENOMEM;
	free(buf);
	close(fd);
	if (fflush(stdout)) {
		msg("scan: writing the output failed: %s", strerror(errno));
		return EX_ERROR;
	}
	return ret ? fail(ret, o, "scan") : EX_OK;
}

/* Load state: one batch of parsed lines. */
struct loader {
	const struct opts *o;
	int fd;
	struct kv *kv;
	unsigned long *lineno;
	struct cmap_batch_op ops[LOAD_BATCH];
	__u32 n;
	unsigned long long loaded;
	bool progress;
};

static int load_flush(struct loader *l)
{
	__u32 count = l->n;
	char what[64];
	int ret;

	if (!l->n)
		return EX_OK;
	ret = libcmap_batch_put(l->fd, l->ops, &count);
	l->loaded += count;
	l->n = 0;
	if (!ret)
		return EX_OK;
	snprintf(what, sizeof(what), "load: line %lu",
		 count < LOAD_BATCH ? l->lineno[count] : 0UL);
	return fail(ret, l->o, what);
}

/* Parse "KEY<TAB>VALUE" into the next batch slot. */
static int load_line(struct loader *l, char *line, size_t n, unsigned long no)
{
	struct kv *kv = &l->kv[l->n];
	char *tab = memchr(line, '\t', n);
	bool hex = l->o->hex;

	if (!tab) {
		msg("load: line %lu: no TAB between key and value", no);
		return EX_INPUT;
	}
	kv->key_len = hex ? decode_hex(line, tab - line, kv->key, CMAP_KEY_MAX) :
		decode_escaped(line, tab - line, kv->key, CMAP_KEY_MAX);
	kv->val_len = hex ?
		decode_hex(tab + 1, n - (tab + 1 - line), kv->val, CMAP_VALUE_MAX) :
		decode_escaped(tab + 1, n - (tab + 1 - line), kv->val,
			       CMAP_VALUE_MAX);
	if (kv->key_len <= 0 || kv->val_len < 0) {
		msg("load: line %lu: %s", no, kv->key_len == 0 ? "empty key" :
		    hex ? "bad hex, or key over 256 / value over 4096 bytes" :
		    "bad backslash escape, or key over 256 / value over 4096 bytes");
		return EX_INPUT;
	}
	l->ops[l->n] = (struct cmap_batch_op) {
		.key = (__u64)(uintptr_t)kv->key,
		.key_len = kv->key_len,
		.value = (__u64)(uintptr_t)kv->val,
		.value_len = kv->val_len,
		.flags = l->o->put_flags,
	};
	l->lineno[l->n++] = no;
	return l->n == LOAD_BATCH ? load_flush(l) : EX_OK;
}

static int load_stream(struct loader *l, FILE *in)
{
	unsigned long no = 0;
	size_t cap = 0;
	char *line = NULL;
	ssize_t n;
	int ret = EX_OK;

	while (!ret && (n = getline(&line, &cap, in)) >= 0) {
		no++;
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		if (n)
			ret = load_line(l, line, n, no);
		/* Every line counts, blank ones too: progress is input read. */
		if (!ret && no % LOAD_PROGRESS == 0) {
			l->progress = true;
			fprintf(stderr, "cmapctl: load: %lu lines read, %llu entries loaded\n",
				no, l->loaded);
		}
	}
	free(line);
	if (!ret)
		ret = load_flush(l);
	if (!ret && ferror(in)) {
		msg("load: reading the input failed: %s", strerror(errno));
		ret = EX_INPUT;
	}
	if (l->progress || ret)
		fprintf(stderr, "cmapctl: load: %llu entries loaded%s\n",
			l->loaded, ret ? " before the error" : ", done");
	return ret;
}

static int cmd_load(const struct opts *o, int argc, char **argv)
{
	struct loader l = { .o = o };
	const char *path = argc ? argv[0] : "-";
	FILE *in = stdin;
	int ret;

	if (argc > 1)
		return usage_error("load takes one FILE (or - for standard input)");
	if (strcmp(path, "-")) {
		in = fopen(path, "r");
		if (!in) {
			msg("load: cannot open %s: %s", path, strerror(errno));
			return EX_INPUT;
		}
	}
	ret = open_device(o, O_RDWR, &l.fd);
	if (ret)
		goto close_in;
	l.kv = calloc(LOAD_BATCH, sizeof(*l.kv));
	l.lineno = calloc(LOAD_BATCH, sizeof(*l.lineno));
	if (!l.kv || !l.lineno) {
		msg("load: out of memory");
		ret = EX_ERROR;
		goto free_bufs;
	}
	ret = load_stream(&l, in);
free_bufs:
	free(l.kv);
	free(l.lineno);
	close(l.fd);
close_in:
	if (in != stdin)
		fclose(in);
	return ret;
}

struct field {
	const char *name;
	unsigned long long val;
};

static void print_fields(const struct opts *o, const struct field *f, int n,
			 const __u64 *hist, int nhist)
{
	int i;

	if (!o->json) {
		for (i = 0; i < n; i++)
			printf("%-22s %llu\n", f[i].name, f[i].val);
		for (i = 0; hist && i < nhist; i++)
			printf("chain_len_%d%-11s %llu\n", i,
			       i == nhist - 1 ? "+" : "",
			       (unsigned long long)hist[i]);
		return;
	}
	putchar('{');
	for (i = 0; i < n; i++)
		printf("%s\"%s\": %llu", i ? ", " : "", f[i].name, f[i].val);
	if (hist) {
		printf(", \"chain_hist\": [");
		for (i = 0; i < nhist; i++)
			printf("%s%llu", i ? ", " : "",
			       (unsigned long long)hist[i]);
		putchar(']');
	}
	puts("}");
}

static int cmd_stats(const struct opts *o, int argc, char **argv)
{
	struct cmap_stats s;
	int fd, ret;

	if (argc)
		return usage_error("stats takes no arguments");
	ret = open_device(o, O_RDONLY, &fd);
	if (ret)
		return ret;
	ret = libcmap_stats(fd, &s);
	close(fd);
	if (ret)
		return fail(ret, o, "stats");
	{
		const struct field f[] = {
			{ "entries", s.entries },
			{ "bytes", s.bytes },
			{ "buckets", s.buckets },
			{ "future_buckets", s.future_buckets },
			{ "migrated", s.migrated },
			{ "grows", s.grows },
			{ "shrinks", s.shrinks },
			{ "resize_alloc_failures", s.resize_alloc_failures },
			{ "moved_by_writers", s.moved_by_writers },
			{ "moved_by_worker", s.moved_by_worker },
			{ "max_chain", s.max_chain },
			{ "max_entries", s.max_entries },
			{ "max_bytes", s.max_bytes },
			{ "max_bucket_lock_ns", s.max_bucket_lock_ns },
		};

		print_fields(o, f, ARRAY_SIZE(f), s.chain_hist,
			     CMAP_STATS_CHAIN_HIST);
	}
	return EX_OK;
}

static int cmd_info(const struct opts *o, int argc, char **argv)
{
	struct cmap_info in;
	int fd, ret;

	if (argc)
		return usage_error("info takes no arguments");
	ret = open_device(o, O_RDONLY, &fd);
	if (ret)
		return ret;
	ret = libcmap_info(fd, &in);
	close(fd);
	if (ret)
		return fail(ret, o, "info");
	{
		const struct field f[] = {
			{ "abi_version", in.abi_version },
			{ "key_max", in.key_max },
			{ "value_max", in.value_max },
			{ "max_entries", in.max_entries },
			{ "max_bytes", in.max_bytes },
			{ "features", in.features },
			{ "commands", in.commands },
		};

		print_fields(o, f, ARRAY_SIZE(f), NULL, 0);
	}
	return EX_OK;
}

static int cmd_clear(const struct opts *o, int argc, char **argv)
{
	int fd, ret;

	if (argc)
		return usage_error("clear takes no arguments");
	ret = open_device(o, O_RDWR, &fd);
	if (ret)
		return ret;
	ret = libcmap_clear(fd);
	close(fd);
	return ret ? fail(ret, o, "clear") : EX_OK;
}

static const struct {
	const char *name;
	int (*fn)(const struct opts *o, int argc, char **argv);
} commands[] = {
	{ "put", cmd_put }, { "get", cmd_get }, { "del", cmd_del },
	{ "scan", cmd_scan }, { "load", cmd_load }, { "stats", cmd_stats },
	{ "info", cmd_info }, { "clear", cmd_clear },
};

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "hex", no_argument, NULL, 'x' },
		{ "noexist", no_argument, NULL, 'n' },
		{ "exist", no_argument, NULL, 'e' },
		{ "count", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .device = LIBCMAP_DEVICE };
	char *end;
	size_t i;
	int c;

	while ((c = getopt_long(argc, argv, "d:xnec:jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.device = optarg;
			break;
		case 'x':
			o.hex = true;
			break;
		case 'n':
			o.put_flags |= CMAP_PUT_NOEXIST;
			break;
		case 'e':
			o.put_flags |= CMAP_PUT_EXIST;
			break;
		case 'j':
			o.json = true;
			break;
		case 'c':
			errno = 0;
			o.count = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-')
				return usage_error("--count wants a number, not '%s'",
						   optarg);
			o.have_count = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EX_OK;
		default:
			return usage_error("unknown option");
		}
	}
	if (o.put_flags == CMAP_PUT_FLAGS)
		return usage_error("--noexist and --exist exclude each other");
	if (optind >= argc)
		return usage_error("no command given");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[optind], commands[i].name))
			return commands[i].fn(&o, argc - optind - 1,
					      argv + optind + 1);
	return usage_error("unknown command '%s'", argv[optind]);
}
