/* test_util.c - shared helpers for the unit tests. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test_util.h"

static char base[256];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void t_cleanup_dirs(void)
{
	if (base[0] && !getenv("GM_KEEP_TMP"))
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *t_tmpdir(const char *name)
{
	static char buf[8][512];
	static unsigned k, seq;
	if (!base[0]) {
		snprintf(base, sizeof(base), "%s/gridmesh-unit-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(base)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s-%u", base, name, ++seq);
	return buf[k];
}

const char *t_refdir(void)
{
	const char *d = getenv("GRIDMESH_DATA");
	return d ? d : "data";
}

struct store *t_store(enum level level, const char *code)
{
	struct store *st = NULL;
	char err[512];
	enum gm_err e = store_create(t_tmpdir(code), level, code, t_refdir(), &st, err, sizeof(err));
	if (e)
		fprintf(stderr, "t_store: %s\n", err);
	CU_ASSERT_FATAL(e == GM_OK);
	return st;
}

void t_add_suite(const char *name, const struct t_case *tests)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);
	for (; s && tests->name; tests++)
		CU_add_test(s, tests->name, tests->fn);
}
