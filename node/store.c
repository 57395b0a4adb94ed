/* store.c - opening, creating and closing a store; meta; transactions. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "store_int.h"
#include "refdata.h"
#include "views.h"

static const char *const base_ddl =
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
	/* history and local change log, 256 entries a page (node/chlog.h) */
	"CREATE TABLE changes(page INTEGER PRIMARY KEY, n INTEGER NOT NULL, body BLOB NOT NULL);"
	/* every batch as signed by its origin; route = child code it goes to */
	"CREATE TABLE batches(seq INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE,"
	" origin INTEGER NOT NULL, bseq INTEGER NOT NULL, scope TEXT NOT NULL,"
	" cls INTEGER NOT NULL, route TEXT, link INTEGER NOT NULL,"
	" nchanges INTEGER NOT NULL, tmax INTEGER NOT NULL, at INTEGER NOT NULL,"
	" body BLOB NOT NULL, rkey TEXT);"
	"CREATE INDEX batches_route ON batches(route, seq) WHERE route IS NOT NULL;"
	/* batches of one person (residents travel a record per batch): erasure
	 * deletes them all */
	"CREATE INDEX batches_rkey ON batches(rkey) WHERE rkey IS NOT NULL;"
	"CREATE TABLE rejects(reason TEXT PRIMARY KEY, count INTEGER NOT NULL,"
	" last_at INTEGER NOT NULL, detail TEXT) WITHOUT ROWID;"
	/* children of this node: who registered, when last seen (node/children.h) */
	"CREATE TABLE children(code TEXT PRIMARY KEY, link INTEGER NOT NULL UNIQUE,"
	" level INTEGER, version TEXT, lifetime INTEGER, registered INTEGER,"
	" last_seen INTEGER, addr TEXT) WITHOUT ROWID;"
	/* attachments' blobs this node holds and its parent may not (node/blobs.h) */
	"CREATE TABLE blob_up(hash TEXT PRIMARY KEY, queued INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE blob_down(hash TEXT PRIMARY KEY, queued INTEGER NOT NULL) WITHOUT ROWID;"
	/* reporter contact details never leave the node they were given to */
	"CREATE TABLE ticket_reporter(id TEXT PRIMARY KEY, name TEXT, phone TEXT,"
	" contact TEXT) WITHOUT ROWID;";

sqlite3 *store_db(struct store *st)
{
	return st->db;
}

enum gm_err store_fail(struct store *st, enum gm_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return e;
}

enum gm_err store_dberr(struct store *st, const char *what)
{
	int rc = sqlite3_errcode(st->db);
	int prim = rc & 0xff;
	enum gm_err e = GM_E_DB;
	if (prim == SQLITE_FULL || prim == SQLITE_READONLY || prim == SQLITE_IOERR ||
	    prim == SQLITE_CANTOPEN)
		e = GM_E_FULL;
	if (prim == SQLITE_NOMEM)
		e = GM_E_NOMEM;
	if (e == GM_E_FULL)
		return store_fail(st, e, "storage full or read-only, nothing was written (%s: %s)",
				  what, sqlite3_errmsg(st->db));
	return store_fail(st, e, "%s: %s", what, sqlite3_errmsg(st->db));
}

uint64_t store_wall(const struct store *st)
{
	return st->wall_override ? st->wall_override : hlc_wall_ms();
}

const char *store_errmsg(const struct store *st)
{
	return st->errmsg;
}

const char *store_code(const struct store *st)
{
	return st->code;
}

enum level store_level(const struct store *st)
{
	return st->level;
}

uint64_t store_node_id(const struct store *st)
{
	return st->node_id;
}

const char *store_dir(const struct store *st)
{
	return st->dir;
}

void store_set_max_drift(struct store *st, uint64_t ms)
{
	st->hlc.max_drift_ms = ms ? ms : HLC_DEFAULT_MAX_DRIFT_MS;
}

void store_set_wall(struct store *st, uint64_t ms)
{
	st->wall_override = ms;
}

void store_set_signer(struct store *st, store_sign_fn fn, void *ctx)
{
	st->sign = fn;
	st->sign_ctx = ctx;
}

void store_set_field_key(struct store *st, const uint8_t *key)
{
	st->field_key = key;
}

bool store_has_field_key(const struct store *st)
{
	return st->field_key != NULL;
}

void store_set_verifier(struct store *st, store_verify_fn fn, void *ctx)
{
	st->verify = fn;
	st->verify_ctx = ctx;
}

static enum gm_err exec(struct store *st, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		enum gm_err e = store_dberr(st, msg ? msg : sql);
		sqlite3_free(msg);
		return e;
	}
	return GM_OK;
}

static enum gm_err prepare(struct store *st, sqlite3_stmt **s, const char *sql)
{
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) != SQLITE_OK)
		return store_dberr(st, "prepare");
	return GM_OK;
}

/* "c1, c2, ..." or "c1=?, c2=?" for a table's columns. */
static void col_list(const struct table_def *t, struct gm_buf *b, const char *suffix)
{
	for (unsigned j = 0; j < t->ncols; j++) {
		if (j)
			gm_buf_append(b, ", ", 2);
		gm_buf_append(b, t->cols[j].name, strlen(t->cols[j].name));
		gm_buf_append(b, suffix, strlen(suffix));
	}
}

static enum gm_err prepare_table(struct store *st, const struct table_def *t)
{
	struct tab_stmts *ts = &st->tabs[t->id];
	struct gm_buf b;
	enum gm_err e;
	char head[128];

	ts->required = 0;
	for (unsigned j = 0; j < t->ncols; j++)
		if (t->cols[j].flags & COL_REQUIRED)
			ts->required |= 1ull << j;
	gm_buf_init(&b);
	snprintf(head, sizeof(head), "SELECT rowid, _scope, _clk, _del, _last, ");
	gm_buf_append(&b, head, strlen(head));
	col_list(t, &b, "");
	snprintf(head, sizeof(head), " FROM %s WHERE id=?1", t->name);
	gm_buf_append(&b, head, strlen(head) + 1);
	if (b.oom) {
		e = GM_E_NOMEM;
		goto out_free_buf;
	}
	if ((e = prepare(st, &ts->sel_key, (char *)b.p)))
		goto out_free_buf;

	gm_buf_reset(&b);
	snprintf(head, sizeof(head), "SELECT id, _scope, _clk, _del, _last, ");
	gm_buf_append(&b, head, strlen(head));
	col_list(t, &b, "");
	snprintf(head, sizeof(head), " FROM %s WHERE rowid=?1", t->name);
	gm_buf_append(&b, head, strlen(head) + 1);
	if ((e = prepare(st, &ts->sel_rid, (char *)b.p)))
		goto out_free_buf;

	if (b.oom)
		e = GM_E_NOMEM;
out_free_buf:
	gm_buf_free(&b);
	return e;
}

static enum gm_err create_table(struct store *st, const struct table_def *t)
{
	struct gm_buf b;
	char head[160];
	enum gm_err e;
	static const char *const types[] = { "", "INTEGER", "REAL", "TEXT" };

	gm_buf_init(&b);
	snprintf(head, sizeof(head),
		 "CREATE TABLE IF NOT EXISTS %s(id TEXT NOT NULL UNIQUE, _scope TEXT NOT NULL,"
		 " _clk BLOB, _del BLOB, _last INTEGER", t->name);
	gm_buf_append(&b, head, strlen(head));
	for (unsigned j = 0; j < t->ncols; j++) {
		snprintf(head, sizeof(head), ", %s %s", t->cols[j].name, types[t->cols[j].type]);
		gm_buf_append(&b, head, strlen(head));
	}
	gm_buf_append(&b, ")", 2);
	e = b.oom ? GM_E_NOMEM : exec(st, (char *)b.p);
	gm_buf_free(&b);
	return e;
}

/*
 * Tables a later release appended to the schema (sync/schema.c) are made
 * when a store of an earlier one is opened: they start empty, and older
 * builds never look at them, so the store format stays the same.
 */
static enum gm_err add_new_tables(struct store *st)
{
	sqlite3_stmt *s;
	enum gm_err e = GM_OK;
	bool ours = false;
	/* only in a store of our format (anything else is refused later) */
	if (sqlite3_prepare_v2(st->db, "SELECT v FROM meta WHERE k = 'format'", -1, &s, NULL) ==
	    SQLITE_OK) {
		ours = sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == STORE_FORMAT;
		sqlite3_finalize(s);
	}
	if (!ours)
		return GM_OK;
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "schema");
	for (unsigned i = 0; i < T__COUNT && !e; i++) {
		sqlite3_bind_text(s, 1, schema_table(i)->name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc == SQLITE_DONE)
			e = create_table(st, schema_table(i));
		else if (rc != SQLITE_ROW)
			e = store_dberr(st, "schema");
	}
	sqlite3_finalize(s);
	return e;
}

static void finalize_all(struct store *st)
{
	for (unsigned i = 0; i < T__COUNT; i++) {
		sqlite3_finalize(st->tabs[i].sel_key);
		sqlite3_finalize(st->tabs[i].sel_rid);
		for (unsigned k = 0; k < STMT_CACHE; k++) {
			sqlite3_finalize(st->tabs[i].ins[k].s);
			sqlite3_finalize(st->tabs[i].upd[k].s);
			sqlite3_finalize(st->tabs[i].sel[k].s);
		}
	}
	chlog_free(st->chlog);
	st->chlog = NULL;
	sqlite3_finalize(st->meta_get);
	sqlite3_finalize(st->meta_set);
	sqlite3_finalize(st->ins_batch);
}

static enum gm_err prepare_all(struct store *st)
{
	enum gm_err e;
	for (unsigned i = 0; i < T__COUNT; i++)
		if ((e = prepare_table(st, schema_table(i))))
			return e;
	if ((e = chlog_new(st, &st->chlog)))
		return e;
	if ((e = prepare(st, &st->meta_get, "SELECT v FROM meta WHERE k=?")))
		return e;
	if ((e = prepare(st, &st->meta_set, "INSERT OR REPLACE INTO meta(k, v) VALUES(?, ?)")))
		return e;
	return prepare(st, &st->ins_batch,
		       "INSERT INTO batches(hash, origin, bseq, scope, cls, route, link, nchanges,"
		       " tmax, at, body, rkey) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
}

/*
 * No allocation statistics: with them on (SQLite's default) every
 * allocation takes a global mutex and updates counters, and this SQLite is
 * built without lookaside memory, so each statement execution allocates a
 * dozen times.  gridmesh reads none of them (no sqlite3_memory_used, no
 * heap limits).  Once SQLite is initialised the call is refused and
 * changes nothing.
 */
void store_sqlite_setup(void)
{
	static bool done;
	if (!done) {
		done = true;
		(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	}
}

static enum gm_err open_db(const char *dir, int flags, struct store **out, char *err,
			   size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	char *path = NULL;
	if (!st)
		return GM_E_NOMEM;
	st->dir = strdup(dir);
	if (!st->dir || asprintf(&path, "%s/%s", dir, STORE_DB_NAME) < 0) {
		free(st->dir);
		free(st);
		return GM_E_NOMEM;
	}
	store_sqlite_setup();
	hlc_init(&st->hlc, 0, HLC_DEFAULT_MAX_DRIFT_MS);
	gm_buf_init(&st->scratch);
	gm_buf_init(&st->scratch2);
	store_rec_init(&st->rec);
	/* one connection per thread: SQLite's own mutexes would only cost time */
	int rc = sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	free(path);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s/%s: %s", dir, STORE_DB_NAME,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		sqlite3_close(st->db);
		free(st->dir);
		free(st);
		return rc == SQLITE_CANTOPEN ? GM_E_NOTFOUND : GM_E_DB;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_extended_result_codes(st->db, 1);
	/* secure_delete: erased residents' bytes must not linger in free pages */
	enum gm_err e = exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			     " PRAGMA foreign_keys=ON; PRAGMA cache_size=-8192;"
			     " PRAGMA secure_delete=ON;");
	if (e) {
		snprintf(err, errlen, "%s", st->errmsg);
		store_close(st);
		return e;
	}
	*out = st;
	return GM_OK;
}

static enum gm_err load_identity(struct store *st)
{
	char buf[64];
	enum gm_err e;
	if ((e = store_meta_get(st, "format", buf, sizeof(buf))))
		return store_fail(st, e, "%s is not a gridmesh store", st->dir);
	if (atoi(buf) != STORE_FORMAT)
		return store_fail(st, GM_E_VERSION, "store format %s, this build reads %d", buf,
				  STORE_FORMAT);
	if ((e = store_meta_get(st, "code", st->code, sizeof(st->code))))
		return e;
	if ((e = store_meta_get(st, "level", buf, sizeof(buf))))
		return e;
	st->level = level_from_name(buf);
	if (!node_id_from_code(st->code, strlen(st->code), &st->node_id) || st->level == LEVEL_NONE)
		return store_fail(st, GM_E_MALFORMED, "store identity is corrupt");
	st->hlc.last = (uint64_t)store_meta_int(st, "hlc", 0);
	return GM_OK;
}

enum gm_err store_open(const char *dir, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	char path[4096];
	struct stat sb;
	enum gm_err e;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: no gridmesh store here (run gridctl init)", dir);
		return GM_E_NOTFOUND;
	}
	if ((e = open_db(dir, SQLITE_OPEN_READWRITE, &st, err, errlen)))
		return e;
	if ((e = add_new_tables(st)) || (e = prepare_all(st)) || (e = load_identity(st)) ||
	    (e = views_ensure_indexes(st))) {
		snprintf(err, errlen, "%s", st->errmsg);
		store_close(st);
		return e;
	}
	*out = st;
	return GM_OK;
}

enum gm_err store_create(const char *dir, enum level level, const char *code,
			 const char *refdir, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	char path[4096];
	struct stat sb;
	enum gm_err e;

	*out = NULL;
	if (code_level(code, strlen(code)) != level || level == LEVEL_NONE) {
		snprintf(err, errlen, "code '%s' is not a %s code (%u digits)", code,
			 level_name(level), level_code_len(level));
		return GM_E_INVAL;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return GM_E_IO;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	if (stat(path, &sb) == 0) {
		snprintf(err, errlen, "%s already holds a gridmesh store", dir);
		return GM_E_EXISTS;
	}
	if ((e = open_db(dir, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &st, err, errlen)))
		return e;
	if ((e = exec(st, "BEGIN")))
		goto out_fail;
	if ((e = exec(st, base_ddl)))
		goto out_fail;
	for (unsigned i = 0; i < T__COUNT; i++)
		if ((e = create_table(st, schema_table(i))))
			goto out_fail;
	if ((e = prepare_all(st)))
		goto out_fail;
	snprintf(path, sizeof(path), "%d", STORE_FORMAT);
	if ((e = store_meta_set(st, "format", path)) || (e = store_meta_set(st, "code", code)) ||
	    (e = store_meta_set(st, "level", level_name(level))) ||
	    (e = store_meta_set_int(st, "created", (int64_t)(hlc_wall_ms() / 1000))))
		goto out_fail;
	if ((e = refdata_load(st, refdir)))
		goto out_fail;
	if ((e = exec(st, "COMMIT")))
		goto out_fail;
	if ((e = load_identity(st)) || (e = views_ensure_indexes(st)))
		goto out_fail;
	*out = st;
	return GM_OK;

out_fail:
	snprintf(err, errlen, "%s", st->errmsg);
	store_close(st);
	/* leave no half-made store behind to be mistaken for a real one */
	snprintf(path, sizeof(path), "%s/%s", dir, STORE_DB_NAME);
	unlink(path);
	return e;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_txn)
		store_rollback(st);
	finalize_all(st);
	sqlite3_close(st->db);
	gm_buf_free(&st->scratch);
	gm_buf_free(&st->scratch2);
	store_rec_free(&st->rec);
	free(st->dir);
	free(st);
}

/* ------------------------------------------------------------------ meta */

enum gm_err store_meta_get(struct store *st, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *s = st->meta_get;
	enum gm_err e = GM_OK;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(s, 0);
		snprintf(buf, len, "%s", v ? (const char *)v : "");
	} else if (rc == SQLITE_DONE) {
		e = store_fail(st, GM_E_NOTFOUND, "no setting '%s'", key);
	} else {
		e = store_dberr(st, "meta get");
	}
	sqlite3_reset(s);
	return e;
}

int64_t store_meta_int(struct store *st, const char *key, int64_t dflt)
{
	sqlite3_stmt *s = st->meta_get;
	int64_t v = dflt;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return v;
}

static enum gm_err meta_put(struct store *st, const char *key, const char *sv, int64_t iv)
{
	sqlite3_stmt *s = st->meta_set;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sv)
		sqlite3_bind_text(s, 2, sv, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 2, iv);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? GM_OK : store_dberr(st, "meta set");
}

enum gm_err store_meta_set(struct store *st, const char *key, const char *val)
{
	return meta_put(st, key, val ? val : "", 0);
}

enum gm_err store_meta_set_int(struct store *st, const char *key, int64_t v)
{
	return meta_put(st, key, NULL, v);
}

enum gm_err store_next_seq(struct store *st, const char *name, int64_t *out)
{
	char key[80];
	snprintf(key, sizeof(key), "seq:%s", name);
	int64_t v = store_meta_int(st, key, 0) + 1;
	*out = v;
	return store_meta_set_int(st, key, v);
}

enum gm_err store_seq_at_least(struct store *st, const char *name, int64_t v)
{
	char key[80];
	snprintf(key, sizeof(key), "seq:%s", name);
	return store_meta_int(st, key, 0) < v ? store_meta_set_int(st, key, v) : GM_OK;
}

/* ---------------------------------------------------------- transactions */

enum gm_err store_begin(struct store *st)
{
	if (st->in_txn)
		return store_fail(st, GM_E_STATE, "transaction already open");
	if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return store_dberr(st, "begin");
	st->in_txn = 1;
	/* another process (gridctl beside gridnode) may have moved the clock */
	uint64_t stored = (uint64_t)store_meta_int(st, "hlc", 0);
	st->hlc_loaded = stored;
	if (stored > st->hlc.last)
		st->hlc.last = stored;
	enum gm_err e = chlog_begin(st);
	if (e)
		store_rollback(st);
	return e;
}

enum gm_err store_commit(struct store *st)
{
	enum gm_err e;
	if (!st->in_txn)
		return store_fail(st, GM_E_STATE, "no transaction open");
	if ((e = chlog_flush(st)) || (st->hlc.last != st->hlc_loaded &&
	    (e = store_meta_set_int(st, "hlc", (int64_t)st->hlc.last)))) {
		store_rollback(st);
		return e;
	}
	if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		e = store_dberr(st, "commit");
		store_rollback(st);
		return e;
	}
	st->in_txn = 0;
	if (st->erased) {
		/* old page images of erased values live on in the WAL until this */
		st->erased = false;
		sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	return GM_OK;
}

void store_rollback(struct store *st)
{
	if (!st->in_txn)
		return;
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	chlog_discard(st);
	st->in_txn = 0;
	st->erased = false;
}

/* --------------------------------------------------------------- rejects */

void store_count_reject(struct store *st, const char *reason, const char *detail)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO rejects(reason, count, last_at, detail) VALUES(?1, 1, ?2, ?3)"
			       " ON CONFLICT(reason) DO UPDATE SET count=count+1, last_at=?2, detail=?3",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)(store_wall(st) / 1000));
	sqlite3_bind_text(s, 3, detail ? detail : "", -1, SQLITE_STATIC);
	/* a full disk may refuse even this; the caller has logged the event */
	sqlite3_step(s);
	sqlite3_finalize(s);
}

enum gm_err store_rejects(struct store *st, store_reject_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(st->db, "SELECT reason, count, last_at, detail FROM rejects ORDER BY reason",
			       -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "rejects");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cb(ctx, (const char *)sqlite3_column_text(s, 0), sqlite3_column_int64(s, 1),
		       sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 3)))
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? GM_OK : store_dberr(st, "rejects");
}

void store_release_memory(struct store *st)
{
	sqlite3_db_release_memory(st->db);
}

int64_t store_data_version(struct store *st)
{
	sqlite3_stmt *s;
	int64_t v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA data_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}
