/*
 * store_int.h - what the store_*.c files share; nothing outside node/
 * includes this.  Modules inside node/ that run their own read-only SQL
 * (views, exports) use store_db().
 */
#ifndef GM_STORE_INT_H
#define GM_STORE_INT_H

#include <sqlite3.h>
#include "store.h"
#include "../sync/hlc.h"
#include "../proto/buf.h"
#include "chlog.h"

#define STORE_FORMAT 1

/* A statement that writes only some columns, cached by their mask. */
#define STMT_CACHE 6
struct masked_stmt {
	uint64_t mask;
	sqlite3_stmt *s;
	unsigned used;             /* clock for replacement */
};

/* Prepared once per table, finalised at close. */
struct tab_stmts {
	sqlite3_stmt *sel_key;     /* rowid, _scope, _clk, _del, _last, cols.. by id */
	sqlite3_stmt *sel_rid;     /* id, _scope, _clk, _del, _last, cols.. by rowid */
	/*
	 * Writes name only the columns that change: binding every column of a
	 * wide table costs more than the row write itself for small changes.
	 */
	struct masked_stmt ins[STMT_CACHE];  /* id, _scope, _clk | _del, _last, mask cols */
	struct masked_stmt upd[STMT_CACHE];  /* _clk | _del, _last, mask cols, rowid */
	struct masked_stmt sel[STMT_CACHE];  /* as sel_key, mask cols only */
	unsigned tick;
	uint64_t required;         /* COL_REQUIRED columns */
};

struct store {
	sqlite3 *db;
	char *dir;
	char code[CODE_MAX + 1];
	enum level level;
	uint64_t node_id;
	struct hlc hlc;
	uint64_t hlc_loaded;       /* value of meta 'hlc' at begin */
	uint64_t wall_override;
	int in_txn;
	char errmsg[256];

	struct tab_stmts tabs[T__COUNT];
	struct chlog *chlog;
	sqlite3_stmt *meta_get;
	sqlite3_stmt *meta_set;
	sqlite3_stmt *ins_batch;

	store_sign_fn sign;
	void *sign_ctx;
	store_verify_fn verify;
	void *verify_ctx;
	const uint8_t *field_key;
	int64_t applying;          /* batch seq being applied (0 = none) */
	bool scrub;                /* that batch carries erased values: drop it */
	bool erased;               /* an erasure happened in this transaction */

	/* the node id of the last scope asked of store_home_of (writes and
	 * merges come in runs of one scope) */
	char home_scope[CODE_MAX + 1];
	uint64_t home_id;

	struct gm_buf scratch;     /* change value encoding */
	struct gm_buf scratch2;    /* overwritten values */
	struct store_rec rec;      /* reused by writes and merges */
};

sqlite3 *store_db(struct store *st);

/* Records the error message (printf-style) and returns `e`. */
enum gm_err store_fail(struct store *st, enum gm_err e, const char *fmt, ...) GM_PRINTF(3, 4);
/* SQLite failure: message from the db handle; maps FULL/READONLY. */
enum gm_err store_dberr(struct store *st, const char *what);
uint64_t store_wall(const struct store *st);

/* Row access shared by writes, apply and reads. */
void store_bind_value(sqlite3_stmt *s, int idx, const struct gm_value *v);
void store_column_value(sqlite3_stmt *s, int idx, struct gm_value *v);
/* Loads a record by key (or rowid if key is NULL) into r; text copied. */
enum gm_err store_load(struct store *st, const struct table_def *tab, const char *key,
		       int64_t rid, struct store_rec *r);
/*
 * The same, loading only the columns of `mask` (the others are left NIL):
 * what a merge of a change to those columns reads (the values it may
 * overwrite, for history).  A select names every column it reads, and
 * each costs a copy: a one-field update of a wide record reads one.
 */
enum gm_err store_load_cols(struct store *st, const struct table_def *tab, const char *key,
			    uint64_t mask, struct store_rec *r);
/* Node id owning a scope (0 for the city-wide ""): the clock blob's home. */
static inline uint64_t store_home(const char *scope)
{
	uint64_t id = 0;
	node_id_from_code(scope, strlen(scope), &id);
	return id;
}
/* The same, remembering the last answer: "" (0) at first. */
static inline uint64_t store_home_of(struct store *st, const char *scope)
{
	if (strcmp(scope, st->home_scope) != 0) {
		size_t n = strlen(scope);
		st->home_id = store_home(scope);
		if (n > CODE_MAX)
			n = CODE_MAX;
		memcpy(st->home_scope, scope, n);
		st->home_scope[n] = 0;
	}
	return st->home_id;
}
/* Copies at most cap-1 bytes and terminates. */
void store_copy_str(char *dst, size_t cap, const char *src, size_t len);
/* Writes r back (insert if r->rid == 0, setting r->rid). */
enum gm_err store_save(struct store *st, const struct store_rec *r);
/* The same, writing only the columns in `mask` (and the bookkeeping). */
enum gm_err store_save_cols(struct store *st, const struct store_rec *r, uint64_t mask);

/* The merge step shared by local writes and received batches. */
struct merge_change {
	struct clk clk;
	uint64_t seen;
	uint64_t mask;              /* over the local table's columns */
	bool del;
	const struct gm_value *vals; /* indexed by column (not packed) */
	const char *actor;
	uint32_t actorlen;
	const char *note;
	uint32_t notelen;
};
/* Merges mc into r (loaded, or r->rid == 0 for new) and logs the change.
 * *won gets the fields that took the new value. */
enum gm_err store_merge(struct store *st, struct store_rec *r, const struct merge_change *mc,
			uint64_t *won);

#endif
