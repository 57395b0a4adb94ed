/*
 * test_util.h - helpers for the unit tests: fresh node directories under
 * a per-run temporary folder (removed at exit), files of the source tree,
 * a seeded random generator, and short forms of the store calls the
 * store and convergence tests make over and over.
 */
#ifndef GM_TEST_UTIL_H
#define GM_TEST_UTIL_H

#include <CUnit/CUnit.h>
#include "../../node/store.h"
#include "../../proto/buf.h"

/* A new empty directory path (not created) unique to this run. */
const char *t_tmpdir(const char *name);
/* A new store of `level`/`code` in a fresh directory; fails the test on error. */
struct store *t_store(enum level level, const char *code);
/* Directory holding the reference CSVs (the source tree's data/). */
const char *t_refdir(void);
void t_cleanup_dirs(void);

/* Path of `rel` in the source tree: $GM_TOP, else the current directory
 * (make runs the tests from the top of the tree). */
const char *t_srcpath(const char *rel);
/* Reads a hex file (whitespace and '#' comment lines ignored) into a new
 * buffer the caller frees; NULL if it is missing or not hex. */
uint8_t *t_read_hex(const char *path, size_t *len);
/* A copy of p[0, len) in its own heap block of exactly len bytes, so the
 * sanitizer catches any read past the end.  Free it. */
uint8_t *t_dup(const void *p, size_t len);

/* The seed of a randomised test: $GM_SEED, else `dflt`; printed so a
 * failure can be repeated. */
uint64_t t_seed(const char *what, uint64_t dflt);
/* splitmix64 step: the next pseudo-random number of *s. */
uint64_t t_rand(uint64_t *s);
/* Uniform in [0, n). */
uint32_t t_randn(uint64_t *s, uint32_t n);

/*
 * One store_put as its own transaction.  The variable part is pairs of
 * (const char *column, struct gm_value value) ended by NULL.  Returns the
 * store's answer; *t (if not NULL) gets the change's clock.
 */
enum gm_err t_put(struct store *st, enum table_id tab, const char *key, const char *scope,
		  int mode, uint64_t *t, ...);
/* Deletes a record in its own transaction. */
enum gm_err t_del(struct store *st, enum table_id tab, const char *key);
/* Value of column `col` of a loaded record. */
const struct gm_value *t_val(const struct store_rec *r, const char *col);
/* The store's whole-state digest as hex (static buffer, 4 in rotation). */
const char *t_digest(struct store *st, const char *scope);
/* Seals `from` and applies everything in its log to `to`; returns what
 * exchange_apply reported. */
struct exchange_in t_sync(struct store *from, struct store *to);

/* Adds a suite with its tests; tests is a NULL-terminated {name, fn} list. */
struct t_case {
	const char *name;
	CU_TestFunc fn;
};
void t_add_suite(const char *name, const struct t_case *tests);

#endif
