/*
 * test_util.h - helpers for the unit tests: fresh node directories under
 * a per-run temporary folder, removed at exit.
 */
#ifndef GM_TEST_UTIL_H
#define GM_TEST_UTIL_H

#include <CUnit/CUnit.h>
#include "../../node/store.h"

/* A new empty directory path (not created) unique to this run. */
const char *t_tmpdir(const char *name);
/* A new store of `level`/`code` in a fresh directory; fails the test on error. */
struct store *t_store(enum level level, const char *code);
/* Directory holding the reference CSVs (the source tree's data/). */
const char *t_refdir(void);
void t_cleanup_dirs(void);

/* Adds a suite with its tests; tests is a NULL-terminated {name, fn} list. */
struct t_case {
	const char *name;
	CU_TestFunc fn;
};
void t_add_suite(const char *name, const struct t_case *tests);

#endif
