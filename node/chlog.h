/*
 * chlog.h - the store's change log: one entry per record change, local or
 * received.  Internal to node/store*.c.
 *
 * An entry is both a step of its record's history (entries of one record
 * form a chain through `prev`, newest first from the record's `_last`) and,
 * for local changes, the to-do list of store_seal.  Entries are numbered
 * by change id = page * 256 + index: a transaction packs its entries into
 * pages of up to 256 (one row each in table `changes`), so a bulk write
 * adds one log row per 256 changes instead of one per change, and "every
 * change after id N" is a range scan over pages.
 *
 * Entries are immutable once written, except that erasure blanks them.
 * An entry keeps its own values only when it lost some field at merge
 * time; otherwise its values live in the record, and when a later change
 * overwrites them, that later entry keeps the overwritten values in its
 * `old` groups.  So nothing is ever rewritten on the write path, and every
 * value of every change can still be recovered (chlog_resolve).
 *
 * The page being filled lives in memory until chlog_flush (called by
 * store_commit) or until it is full; lookups see it.  store_rollback calls
 * chlog_discard.
 */
#ifndef GM_CHLOG_H
#define GM_CHLOG_H

#include <stdbool.h>
#include <stdint.h>
#include "../proto/err.h"
#include "../proto/value.h"
#include "../sync/hlc.h"
#include "../sync/lww.h"

struct store;
struct store_rec;

#define CHLOG_PAGE 256

struct ch_entry {
	uint8_t tbl;
	int64_t rid;
	uint64_t prev;            /* previous change of the record, 0 = none */
	struct clk clk;
	uint64_t seen;
	uint64_t mask;
	bool del;
	bool erased;
	const char *actor;
	uint32_t actorlen;
	const char *note;
	uint32_t notelen;
	const uint8_t *vals;      /* msgpack [value...] for mask, or NULL */
	uint32_t valslen;
	const uint8_t *old;       /* msgpack [[t, node, mask, [value...]]...] or NULL */
	uint32_t oldlen;
};

struct chlog;

GM_WUR enum gm_err chlog_new(struct store *st, struct chlog **out);
void chlog_free(struct chlog *cl);

/* At the start of a write transaction: where the next page goes. */
GM_WUR enum gm_err chlog_begin(struct store *st);
/* Appends; *id gets the new change id. */
GM_WUR enum gm_err chlog_append(struct store *st, const struct ch_entry *e, uint64_t *id);
/* Writes the page being filled (before COMMIT). */
GM_WUR enum gm_err chlog_flush(struct store *st);
void chlog_discard(struct store *st);
/* The id the next append will get (inside a transaction). */
uint64_t chlog_next_id(struct store *st);
/* Forget the cached page (another process may have rewritten it). */
void chlog_uncache(struct store *st);
/* Newest change id written or pending (0 if none). */
uint64_t chlog_head(struct store *st);
/* Number of entries written (committed or flushed), plus any pending. */
uint64_t chlog_count(struct store *st);

/* Reads an entry; its pointers stay valid until the next chlog call. */
GM_WUR enum gm_err chlog_get(struct store *st, uint64_t id, struct ch_entry *e);

/* Calls cb for each entry after `after`, in id order; nonzero stops. */
typedef int (*chlog_cb)(void *ctx, uint64_t id, const struct ch_entry *e);
GM_WUR enum gm_err chlog_scan(struct store *st, uint64_t after, chlog_cb cb, void *ctx);

/* Blanks the values, note and old values of every entry on a chain. */
GM_WUR enum gm_err chlog_erase_chain(struct store *st, uint64_t head);

/*
 * The values change `id` (entry e) set, column-indexed into vals, given the
 * record it belongs to (whose text r must keep alive).  Text may point
 * into memory owned by `zone_out` chunks: free them with chlog_resolve_free.
 * Returns the mask of fields it could recover (all of e->mask normally).
 */
struct chlog_zone;
uint64_t chlog_resolve(struct store *st, const struct store_rec *r, uint64_t id,
		       const struct ch_entry *e, struct gm_value *vals,
		       struct chlog_zone **zone_out);
void chlog_resolve_free(struct chlog_zone *z);

/* Packs the values of `mask` (from a column-indexed array) as msgpack. */
struct gm_buf;
void chlog_pack_vals(struct gm_buf *b, const struct gm_value *vals, uint64_t mask,
		     unsigned ncols);

#endif
