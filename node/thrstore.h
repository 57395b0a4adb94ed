/*
 * thrstore.h - device thresholds as records of the store (table
 * device_threshold, sync/schema.c): loading, choosing, overriding.
 *
 * Records are reference data: the shipped defaults are genesis rows
 * (data/device-thresholds.csv, key = name, scope ""); a node changes a
 * threshold by writing its own record of that name (key "<code>:<name>",
 * scope its code), which travels down to every node below it.  For an
 * asset, the record of the asset's quantity whose class covers the
 * asset's component class and whose scope is the deepest prefix of the
 * asset's scope decides (thr_specificity); a disabled one switches the
 * quantity off there.  Records that are not usable thresholds (a bad
 * operator, a clear value on the wrong side...) are skipped and counted.
 */
#ifndef GM_THRSTORE_H
#define GM_THRSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include "../proto/arena.h"
#include "../proto/err.h"
#include "store.h"
#include "threshold.h"

struct thr_set {
	struct threshold *v;       /* in key order */
	size_t n, cap;
	unsigned nbad;             /* records skipped as unusable */
	struct arena a;            /* their text */
};

GM_WUR enum gm_err thrstore_load(struct store *st, struct thr_set *s);
void thrstore_free(struct thr_set *s);

/* The threshold in effect for `quantity` of an asset, or NULL. */
const struct threshold *thrstore_choose(const struct thr_set *s, const char *cls,
					const char *scope, const char *quantity);

/* A record as a threshold (text copied into `a`); false and why if unusable. */
bool thrstore_from_rec(const struct store_rec *r, struct arena *a, struct threshold *out,
		       char *why, size_t whylen);

/*
 * Writes this node's version of threshold `name`, in its own transaction.
 * Fields not given (cols/vals as in store_write) are inherited from the
 * record of that name in effect at this node, so "the same threshold at
 * 70 cm" gives one field; a new name must give class, quantity, op, value
 * and event.  The result must be a usable threshold with a known event
 * class and component class (or major class, or "*").  *key_out
 * (optional) gets the record's key.
 */
GM_WUR enum gm_err thrstore_put(struct store *st, const char *name, unsigned nset,
				const uint8_t *cols, const struct gm_value *vals,
				const char *actor, char *key_out, size_t keylen);

#endif
