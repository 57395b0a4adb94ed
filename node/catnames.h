/*
 * catnames.h - names of the GB/T 30428 classes (event or component table)
 * for output: views, exports and the dashboard show a name beside a code.
 *
 * A snapshot of the reference table taken at load; lookups are binary
 * searches.  Returned strings live as long as the catnames.
 */
#ifndef GM_CATNAMES_H
#define GM_CATNAMES_H

#include "../proto/err.h"
#include "../sync/schema.h"

struct store;
struct catnames;

/* t is T_CAT_EVENT or T_CAT_COMPONENT. */
GM_WUR enum gm_err catnames_load(struct store *st, enum table_id t, struct catnames **out);
void catnames_free(struct catnames *c);

/* Name of a class ("0102"), of a major class ("01") in Chinese and in
 * English; NULL if unknown. */
const char *catnames_minor(const struct catnames *c, const char *code);
const char *catnames_major(const struct catnames *c, const char *major);
const char *catnames_major_en(const struct catnames *c, const char *major);

/* Walks the classes in code order: the i-th class code, or NULL past the end. */
const char *catnames_code(const struct catnames *c, size_t i);

#endif
