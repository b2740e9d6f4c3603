// SPDX-License-Identifier: GPL-2.0
/*
 * cmap-findings: summarise a kernel console log / kmsg dump as findings.
 *
 * cmap-findings [--json] [--module NAME] [--expect CLASS|TITLE-SUBSTRING]...
 *               [FILE|-]
 * Exit: 0 no findings, 1 findings, 2 usage/IO error.
 * With --expect: 0 if every expectation matched a finding, 3 otherwise.
 */
#define _GNU_SOURCE
#include "findings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *o)
{
	fprintf(o,
		"usage: cmap-findings [--json] [--module NAME] [--expect CLASS|TITLE-SUBSTRING]... [FILE|-]\n"
		"  Parse a kernel console log (or /dev/kmsg dump) and report findings.\n"
		"  exit 0: no findings, 1: findings, 2: usage/IO error;\n"
		"  with --expect: 0 if all expected findings are present, 3 if any is absent.\n"
		"  classes: kcsan lockdep rcu atomic_sleep kasan warning bug oops gpf\n"
		"           soft_lockup hung_task rcu_stall panic kmemleak ubsan other\n");
}

int main(int argc, char **argv)
{
	const char *path = NULL, *module = "cmap";
	const char **expect = NULL;
	int nexpect = 0, json = 0, missing = 0, n;
	struct findings *f;
	FILE *in;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	expect = calloc((size_t)argc, sizeof(*expect));
	if (!expect)
		return 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--module") && i + 1 < argc) {
			module = argv[++i];
		} else if (!strncmp(a, "--module=", 9)) {
			module = a + 9;
		} else if (!strcmp(a, "--expect") && i + 1 < argc) {
			expect[nexpect++] = argv[++i];
		} else if (!strncmp(a, "--expect=", 9)) {
			expect[nexpect++] = a + 9;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-") || a[0] != '-') {
			if (path) {
				usage(stderr);
				return 2;
			}
			path = a;
		} else {
			fprintf(stderr, "cmap-findings: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (!path || !strcmp(path, "-")) {
		in = stdin;
		path = "<stdin>";
	} else {
		in = fopen(path, "r");
		if (!in) {
			fprintf(stderr, "cmap-findings: %s: %s\n", path, strerror(errno));
			return 2;
		}
	}
	f = findings_new();
	if (!f)
		return 2;
	findings_set_module(f, module);
	while ((len = getline(&line, &cap, in)) >= 0)
		findings_feed_line(f, line);
	if (ferror(in)) {
		fprintf(stderr, "cmap-findings: %s: read error\n", path);
		return 2;
	}
	free(line);
	if (in != stdin)
		fclose(in);
	findings_flush(f);

	n = json ? findings_report_json(f, stdout) : findings_report_text(f, stdout);

	for (int i = 0; i < nexpect; i++) {
		const struct finding *m = findings_match(f, expect[i]);
		FILE *o = json ? stderr : stdout;

		if (m) {
			fprintf(o, "cmap-findings: expected '%s' seen: %s\n",
				expect[i], m->title);
		} else {
			fprintf(o, "cmap-findings: expected '%s' NOT seen "
				"(checker not armed / expected finding not seen)\n",
				expect[i]);
			missing++;
		}
	}
	findings_free(f);
	free(expect);
	if (nexpect)
		return missing ? 3 : 0;
	return n ? 1 : 0;
}
