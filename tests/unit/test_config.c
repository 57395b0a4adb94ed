/* test_config.c - gridnode.conf: the settings table and its INI reader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../node/config.h"

void t_init_config_tests(void);

/* Writes `text` to a new file; returns its path (valid until 8 more calls). */
static const char *conf_file(const char *text)
{
	const char *path = t_tmpdir("conf");
	FILE *f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	return path;
}

/* The settings as gridnode -n -v prints them, in a malloc'd string. */
static char *dump(const struct config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_FATAL(f != NULL);
	config_dump(c, f);
	fclose(f);
	return buf;
}

static void t_defaults(void)
{
	struct config c;
	config_defaults(&c);
	CU_ASSERT_STRING_EQUAL(c.log_level, "notice");
	CU_ASSERT_EQUAL(c.ack_timeout_ms, 2000);
	CU_ASSERT_EQUAL(c.poll_s, 30);
	CU_ASSERT_EQUAL(c.max_body_kb, 4096);
	CU_ASSERT_EQUAL(c.max_drift_s, 60);
	CU_ASSERT(!c.insecure);
	CU_ASSERT_STRING_EQUAL(c.listen, "");
}

/* What config_dump writes reads back to the same settings, defaults or not. */
static void t_dump_reads_back(void)
{
	struct config a, b;
	config_defaults(&a);
	snprintf(a.parent, sizeof(a.parent), "coaps://district.example:5684");
	snprintf(a.log_level, sizeof(a.log_level), "debug");
	a.poll_s = 7;
	a.insecure = true;
	char *text = dump(&a), err[256] = "";
	const char *path = conf_file(text);
	config_defaults(&b);
	CU_ASSERT_EQUAL_FATAL(config_load(&b, path, false, err, sizeof(err)), GM_OK);
	char *again = dump(&b);
	CU_ASSERT_STRING_EQUAL(text, again);
	CU_ASSERT_EQUAL(b.poll_s, 7);
	CU_ASSERT(b.insecure);
	CU_ASSERT_STRING_EQUAL(b.parent, "coaps://district.example:5684");
	free(text);
	free(again);
}

static void t_good_file(void)
{
	struct config c;
	char err[256] = "";
	config_defaults(&c);
	const char *path = conf_file("; a comment\n# another\n\n[node]\nlog_level = warn\n"
				     "listen = coap://0.0.0.0:5683\n[sync]\n  poll_s=5  \n"
				     "[security]\ninsecure = yes\n");
	CU_ASSERT_EQUAL_FATAL(config_load(&c, path, false, err, sizeof(err)), GM_OK);
	CU_ASSERT_STRING_EQUAL(c.log_level, "warn");
	CU_ASSERT_STRING_EQUAL(c.listen, "coap://0.0.0.0:5683");
	CU_ASSERT_EQUAL(c.poll_s, 5);
	CU_ASSERT(c.insecure);
	CU_ASSERT_EQUAL(c.pull_kb, 256);   /* untouched keys keep their value */
}

/* Each bad file is refused with "path:line: why" and leaves *c alone. */
static void t_bad_files(void)
{
	static const struct {
		const char *text;
		int line;
		const char *why;
	} cases[] = {
		{ "[node]\nlog_level = loud\n", 2, "log_level: 'loud' is not error, warn" },
		{ "# c\n[coap]\nack_timeout_ms = 999\n", 3,
		  "ack_timeout_ms: '999' is not a whole number from 1000 to 60000" },
		{ "[sync]\npoll_s = 5x\n", 2, "poll_s: '5x' is not a whole number" },
		{ "[sync]\npoll_s = -1\n", 2, "poll_s: '-1' is not a whole number from 1" },
		{ "[sync]\npoll_s =\n", 2, "poll_s: '' is not a whole number" },
		{ "[sync]\nmax_body_kb = 99999999999999999999\n", 2, "max_body_kb" },
		{ "[security]\ninsecure = maybe\n", 2, "insecure: 'maybe' is not true or false" },
		{ "[node]\nparent = http://x:1\n", 2, "parent: 'http://x:1' is not coap://HOST:PORT" },
		{ "[nodes]\nlisten = coap://a:1\n", 2, "unknown setting [nodes] listen" },
		{ "\n\n[sync]\nfoo = 1\n", 4, "unknown setting [sync] foo" },
		{ "poll_s = 5\n", 1, "unknown setting [] poll_s" },
		{ "[sync]\npoll_s 5\n", 2, "not an INI line" },
		{ "[sync]\npoll_s = 5\npoll_s = 0\n", 3, "poll_s: '0'" },
		/* control characters quoted from the file (crash-ctrl-in-message) */
		{ "[node]\nmax\x7fkb = 1\n", 2, "unknown setting [node] max?kb" },
		{ "[node]\nlog_level = de\x1b[2Jbug\n", 2, "log_level: 'de?[2Jbug' is not" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c, before;
		char err[512] = "", want[512];
		config_defaults(&c);
		before = c;
		const char *path = conf_file(cases[i].text);
		enum gm_err e = config_load(&c, path, false, err, sizeof(err));
		CU_ASSERT_EQUAL(e, GM_E_INVAL);
		snprintf(want, sizeof(want), "%s:%d: %s", path, cases[i].line, cases[i].why);
		if (strncmp(err, want, strlen(want)) != 0)
			fprintf(stderr, "\ncase %zu: got '%s'\n  want '%s...'\n", i, err, want);
		CU_ASSERT(strncmp(err, want, strlen(want)) == 0);
		/* refused as a whole: nothing of the file before the bad line counts */
		CU_ASSERT(memcmp(&c, &before, sizeof(c)) == 0);
	}
}

static void t_too_long(void)
{
	struct config c;
	char text[600], err[512] = "";
	config_defaults(&c);
	int n = snprintf(text, sizeof(text), "[node]\nparent = coap://");
	memset(text + n, 'a', 300);
	snprintf(text + n + 300, sizeof(text) - (size_t)n - 300, ":1\n");
	const char *path = conf_file(text);
	CU_ASSERT_EQUAL(config_load(&c, path, false, err, sizeof(err)), GM_E_INVAL);
	/* not cut in two and the rest taken for a line of its own */
	CU_ASSERT(strstr(err, ":2: line longer than ") != NULL);
	CU_ASSERT_STRING_EQUAL(c.parent, "");
}

/*
 * tests/fuzz/config_load/crash-dump-too-long: a value that fits a line of
 * the file ("listen:..." or on a continued line) but not the dump's
 * "listen = ..." line, which then did not load.
 */
static void t_dump_fits_a_line(void)
{
	struct config c;
	char text[400], err[512] = "";
	for (int len = 188; len <= 192; len++) {
		int n = snprintf(text, sizeof(text), "[node]\nlisten =\n  coap://");
		memset(text + n, 'a', (size_t)len - 7);
		snprintf(text + n + len - 7, sizeof(text) - (size_t)(n + len - 7), "\n");
		config_defaults(&c);
		enum gm_err e = config_load(&c, conf_file(text), false, err, sizeof(err));
		/* a line holds 198 characters; "listen = " leaves 189 */
		CU_ASSERT_EQUAL(e, len <= 189 ? GM_OK : GM_E_INVAL);
		if (e) {
			CU_ASSERT(strstr(err, ":3: listen: longer than 189 characters") != NULL);
			continue;
		}
		char *t = dump(&c);
		struct config d;
		config_defaults(&d);
		CU_ASSERT_EQUAL(config_load(&d, conf_file(t), false, err, sizeof(err)), GM_OK);
		CU_ASSERT_STRING_EQUAL(d.listen, c.listen);
		free(t);
	}
}

static void t_missing_file(void)
{
	struct config c;
	char err[512] = "";
	const char *path = t_tmpdir("no-such-conf");
	config_defaults(&c);
	/* DIR/gridnode.conf is optional */
	CU_ASSERT_EQUAL(config_load(&c, path, true, err, sizeof(err)), GM_OK);
	/* a file named on the command line is not */
	CU_ASSERT_EQUAL(config_load(&c, path, false, err, sizeof(err)), GM_E_NOTFOUND);
	CU_ASSERT(strstr(err, path) != NULL && strstr(err, "No such file") != NULL);
}

void t_init_config_tests(void)
{
	static const struct t_case cases[] = {
		{ "defaults", t_defaults },
		{ "dump reads back as the same settings", t_dump_reads_back },
		{ "a good file with comments and spaces", t_good_file },
		{ "bad files refused with file:line, as a whole", t_bad_files },
		{ "over-long value", t_too_long },
		{ "every value loaded fits a line of the dump", t_dump_fits_a_line },
		{ "missing file: optional or not", t_missing_file },
		{ NULL, NULL },
	};
	t_add_suite("config", cases);
}
