/*
 * store.h - a node's replicated store in SQLite.
 *
 * One store per node directory (DIR/gridmesh.db, WAL, synchronous=FULL: a
 * committed transaction survives kill -9 and power loss).  It holds
 *   - the replicated tables of sync/schema.h, each row with its packed
 *     per-field clocks (sync/lww.h), tombstone and scope;
 *   - `changes`: one row per record change, local or received, numbered by
 *     a local sequence; it is both the record's history (a chain through
 *     `prev`) and the log of local changes not yet sealed into a batch;
 *   - `batches`: every sealed or received batch, byte for byte as signed by
 *     its origin, numbered by a local sequence.  Link cursors point into
 *     it, so "everything after cursor N for link L" is one index range.
 *
 * Writes: a user action is one transaction (store_begin, store_put...,
 * store_commit); a received batch is one transaction inside store_apply.
 * Several processes (gridnode, gridctl) may open the same store; SQLite's
 * locking serialises writers and the clock is re-read at every begin.
 *
 * Errors: functions return gm_err; store_errmsg() says why in words (the
 * SQLite message, the offending value).  The store itself never logs.
 */
#ifndef GM_STORE_H
#define GM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/err.h"
#include "../proto/value.h"
#include "../proto/batch.h"
#include "../sync/lww.h"
#include "../sync/schema.h"
#include "../sync/scope.h"

struct store;

#define STORE_DB_NAME "gridmesh.db"

/* Where a batch came from; never sent back there. */
enum {
	LINK_LOCAL = 0,
	LINK_PARENT = 1,
	LINK_IMPORT = 2,
	LINK_CHILD0 = 100,   /* child links are LINK_CHILD0 + child number */
};

/* --------------------------------------------------------------- lifetime */

/*
 * Configures SQLite for the store (no allocation statistics).  It must
 * come before SQLite's first use in the process to take effect: opening
 * or creating a store calls it, so gridnode and gridctl need nothing; a
 * program that uses SQLite on its own first (gridbench's plain baseline)
 * calls it at start.
 */
void store_sqlite_setup(void);

/*
 * Creates DIR (if needed) and a new store in it for node `code` at `level`,
 * loading reference tables from the CSV files in `refdir`.  Fails with
 * GM_E_EXISTS if DIR already holds a store.
 */
GM_WUR enum gm_err store_create(const char *dir, enum level level, const char *code,
				const char *refdir, struct store **out, char *err, size_t errlen);
GM_WUR enum gm_err store_open(const char *dir, struct store **out, char *err, size_t errlen);
void store_close(struct store *st);

const char *store_errmsg(const struct store *st);
const char *store_code(const struct store *st);
enum level store_level(const struct store *st);
uint64_t store_node_id(const struct store *st);
const char *store_dir(const struct store *st);
/* Max tolerated clock lead of peers, ms (default HLC_DEFAULT_MAX_DRIFT_MS). */
void store_set_max_drift(struct store *st, uint64_t ms);
/* Wall clock override for tests (0 = real time). */
void store_set_wall(struct store *st, uint64_t ms);

/* Small settings and counters: a key/value table inside the store. */
GM_WUR enum gm_err store_meta_get(struct store *st, const char *key, char *buf, size_t len);
GM_WUR enum gm_err store_meta_set(struct store *st, const char *key, const char *val);
int64_t store_meta_int(struct store *st, const char *key, int64_t dflt);
GM_WUR enum gm_err store_meta_set_int(struct store *st, const char *key, int64_t v);

/* ----------------------------------------------------------- transactions */

GM_WUR enum gm_err store_begin(struct store *st);
GM_WUR enum gm_err store_commit(struct store *st);
void store_rollback(struct store *st);

/* ---------------------------------------------------------- local writes */

struct store_write {
	const struct table_def *tab;
	const char *key;
	const char *scope;             /* new records; NULL = this node's code */
	unsigned nset;
	const uint8_t *cols;           /* column indexes */
	const struct gm_value *vals;   /* their new values (coerced to type) */
	const char *actor;             /* who, or NULL */
	const char *note;              /* comment, or NULL */
	bool del;                      /* delete the record (nset must be 0) */
	enum { W_UPSERT, W_CREATE, W_UPDATE } mode;
};

/*
 * Applies one local change inside the caller's transaction: stamps it with
 * a new clock (returned in *t_out if not NULL), merges it into the record
 * and appends it to the change log.  W_CREATE fails with GM_E_EXISTS if
 * the key is taken, W_UPDATE with GM_E_NOTFOUND if it is not (or deleted).
 */
GM_WUR enum gm_err store_put(struct store *st, const struct store_write *w, uint64_t *t_out);

/* Next value of a named per-node counter (ticket ids...), in the txn. */
GM_WUR enum gm_err store_next_seq(struct store *st, const char *name, int64_t *out);
/* Moves that counter on so its next value is above v (never back), in the txn. */
GM_WUR enum gm_err store_seq_at_least(struct store *st, const char *name, int64_t v);

/* ----------------------------------------------------------------- reads */

struct store_rec {
	const struct table_def *tab;
	int64_t rid;
	char key[BATCH_MAX_KEY + 1];
	char scope[CODE_MAX + 1];
	struct gm_value vals[ROWCLK_MAX_COLS];
	struct rowclk rc;
	struct clk del;
	int64_t last;                  /* newest change seq (history head) */
	char *text;                    /* owns the TEXT values */
	size_t textcap;
};

/* A record buffer may be reused across store_get calls; free it once. */
void store_rec_init(struct store_rec *r);

/* Fills *r (free with store_rec_free); GM_E_NOTFOUND if no such key. */
GM_WUR enum gm_err store_get(struct store *st, const struct table_def *tab, const char *key,
			     struct store_rec *r);
void store_rec_free(struct store_rec *r);

/* Equality filters for store_scan. */
struct store_filter {
	int col;                       /* column index, or -1 for scope prefix */
	struct gm_value v;
};

/* Calls cb for every live record matching all filters, in key order;
 * cb returns nonzero to stop.  The record is only valid during the call. */
typedef int (*store_rec_cb)(void *ctx, const struct store_rec *r);
GM_WUR enum gm_err store_scan(struct store *st, const struct table_def *tab,
			      const struct store_filter *f, unsigned nf,
			      store_rec_cb cb, void *ctx);

/* One entry of a record's history. */
struct store_hist {
	int64_t seq;
	struct clk clk;
	uint64_t seen;
	uint64_t mask;
	bool del;
	bool erased;                   /* values removed by a delete */
	uint64_t lost;                 /* fields overwritten by a concurrent change */
	const char *actor;
	const char *note;
	const struct gm_value *vals;   /* popcount(mask) values, NULL if erased */
};

/* History of a record in clock order (oldest first). */
typedef int (*store_hist_cb)(void *ctx, const struct store_hist *h);
GM_WUR enum gm_err store_history(struct store *st, const struct table_def *tab,
				 const char *key, store_hist_cb cb, void *ctx);

/*
 * Canonical digest of what a node responsible for `scope` holds: records
 * whose scope lies within it, and reference records whose scope is it or
 * above it (NULL or "" = everything in the store).  With shared_only,
 * residents' records (which stop at the street) are left out, so a grid,
 * its street and the city can compare what they all hold.
 */
GM_WUR enum gm_err store_digest(struct store *st, const char *scope, uint8_t out[32],
				uint64_t *nrecords);
GM_WUR enum gm_err store_digest_ex(struct store *st, const char *scope, bool shared_only,
				   uint8_t out[32], uint64_t *nrecords);

/* ------------------------------------------------------------------ sync */

/*
 * Signs and verifies batches.  Without a signer batches go unsigned;
 * without a verifier any well-formed batch is accepted (foundation mode).
 */
typedef enum gm_err (*store_sign_fn)(void *ctx, const uint8_t *msg, size_t len,
				     uint8_t sig[BATCH_SIG_BYTES]);
typedef enum gm_err (*store_verify_fn)(void *ctx, const struct batch_env *env,
				       const uint8_t *msg, size_t len, char *why, size_t whylen);
void store_set_signer(struct store *st, store_sign_fn fn, void *ctx);
/*
 * With a key set, local writes seal the TEXT values of sensitive columns
 * (COL_SENSITIVE) before they reach the row, the history or a batch
 * (node/fieldcrypt.h).  The key must outlive the store.
 */
void store_set_field_key(struct store *st, const uint8_t *key);
bool store_has_field_key(const struct store *st);
void store_set_verifier(struct store *st, store_verify_fn fn, void *ctx);

/*
 * Seals local changes not yet in a batch into signed batches, one per
 * (scope, class), at most `max_changes` changes each (0 = default).  Its
 * own transaction.  *nbatches (optional) says how many were made.
 */
GM_WUR enum gm_err store_seal(struct store *st, unsigned max_changes, unsigned *nbatches);

struct apply_result {
	uint32_t changes;      /* changes in the batch */
	uint32_t applied;      /* took effect on at least one field */
	uint32_t ignored;      /* older than what we hold, or record deleted */
	uint32_t rejected;     /* refused one by one (type, scope) */
	int64_t seq;           /* the batch's local sequence number */
	char why[160];         /* reason for the first rejection / failure */
};

/*
 * Verifies, stores and merges one batch received from `link`, in one
 * transaction.  GM_E_REPLAY if the same bytes were applied before (nothing
 * changes: re-delivery is harmless); GM_E_CLOCK, GM_E_AUTH, GM_E_MALFORMED
 * etc. if the batch as a whole is refused (nothing changes).
 */
GM_WUR enum gm_err store_apply(struct store *st, const uint8_t *env, size_t len, int link,
			       struct apply_result *res);

/* Which batches to walk, after a cursor. */
struct batch_filter {
	enum { BF_ALL, BF_UP, BF_DOWN } dir;
	const char *child;     /* BF_DOWN: the child's code */
	int exclude_link;      /* never send back where it came from; -1 none */
};

typedef int (*store_batch_cb)(void *ctx, int64_t seq, const uint8_t *body, size_t len);
/* Calls cb for each batch after `after`, in sequence order, at most
 * `limit` (0 = no limit); cb returns nonzero to stop. */
GM_WUR enum gm_err store_batches(struct store *st, int64_t after, const struct batch_filter *f,
				 unsigned limit, store_batch_cb cb, void *ctx);
/* Local changes not yet sealed into a batch. */
uint64_t store_unsealed(struct store *st);
/*
 * Changes this store has merged, local and received: one per change, since
 * a re-delivered batch is skipped whole (changes to a record already
 * deleted are not logged).  Two nodes that should hold the same changes of
 * a scope can be compared cheaply with it before comparing digests.
 */
uint64_t store_change_count(struct store *st);
/* Highest batch sequence number (0 if none). */
int64_t store_batch_head(struct store *st);

/* Rejected input, counted by reason, in its own transaction. */
void store_count_reject(struct store *st, const char *reason, const char *detail);
typedef int (*store_reject_cb)(void *ctx, const char *reason, int64_t count, int64_t last_at,
			       const char *detail);
GM_WUR enum gm_err store_rejects(struct store *st, store_reject_cb cb, void *ctx);

/* Changes whenever another connection (gridctl beside gridnode) commits. */
int64_t store_data_version(struct store *st);
/* Gives back the page cache's unused memory (a daemon gone idle after a
 * burst: the cache is refilled from the OS's file cache when needed). */
void store_release_memory(struct store *st);

/* Coerces `v` to the column's type; false if it cannot be (text in INT). */
bool store_coerce(const struct col_def *c, struct gm_value *v);

#endif
