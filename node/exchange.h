/*
 * exchange.h - bundles of batches out of and into a store: what an export
 * file, a sync push and a sync pull all carry (proto/bundle.h).
 *
 * exchange_collect reads one consistent snapshot of the batch log and
 * packs the batches after a cursor that the filter lets through, up to a
 * byte budget; the bundle's `upto` is the cursor to ask from next time and
 * moves past batches the filter skipped, so an idle link does not rescan
 * them.  exchange_apply merges every batch of a bundle, one transaction
 * per batch, and counts what happened; a refused batch is counted in the
 * store's rejects table and does not stop the others.
 */
#ifndef GM_EXCHANGE_H
#define GM_EXCHANGE_H

#include "store.h"
#include "../proto/buf.h"

struct exchange_out {
	int64_t upto;          /* cursor after this bundle */
	uint32_t batches;
	uint64_t changes;
	bool more;             /* the byte budget cut it short */
};

struct exchange_in {
	uint32_t batches;      /* applied */
	uint32_t dup;          /* already held (re-delivery) */
	uint32_t refused;      /* refused whole */
	uint32_t revoked;      /* of those, signed by a revoked key: refused for good */
	uint64_t applied;      /* changes that took effect */
	uint64_t superseded;   /* changes older than what we held */
	uint64_t rejected;     /* changes refused one by one */
	int64_t upto;          /* the sender's cursor after this bundle */
	char why[256];         /* first refusal */
};

/*
 * Packs batches after `after` passing `bf` (and, if for_code is set, only
 * those node for_code holds) into a bundle in `out` (reset first), at most
 * max_bytes of batches (0 = unlimited; at least one batch is always sent).
 */
GM_WUR enum gm_err exchange_collect(struct store *st, int64_t after, const struct batch_filter *bf,
				    const char *for_code, size_t max_bytes, struct gm_buf *out,
				    struct exchange_out *res);

/*
 * Applies a bundle; GM_OK unless the bundle itself does not decode, or
 * the store cannot write at all (GM_E_FULL, GM_E_DB...); res->why says why.
 */
GM_WUR enum gm_err exchange_apply(struct store *st, const uint8_t *bundle, size_t len, int link,
				  size_t max_len, struct exchange_in *res);
/* The same, calling fn after each batch with how many of the bundle's are done. */
typedef void (*exchange_progress_fn)(void *ctx, uint32_t done, uint32_t total);
GM_WUR enum gm_err exchange_apply_progress(struct store *st, const uint8_t *bundle, size_t len,
					   int link, size_t max_len, struct exchange_in *res,
					   exchange_progress_fn fn, void *ctx);

/* Would node `code` hold this batch?  (its subtree, or reference above it) */
bool exchange_held_by(const struct batch_env *env, const char *code);

#endif
