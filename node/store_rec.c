/*
 * store_rec.c - moving records between SQLite rows and struct store_rec,
 * and the merge step every write goes through (local or received).
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"
#include "../proto/mpw.h"

#define COL0 5   /* first data column in sel_key / sel_rid / ins */

void store_bind_value(sqlite3_stmt *s, int idx, const struct gm_value *v)
{
	switch (v->type) {
	case GM_INT:
		sqlite3_bind_int64(s, idx, v->i);
		break;
	case GM_REAL:
		sqlite3_bind_double(s, idx, v->d);
		break;
	case GM_TEXT:
		sqlite3_bind_text(s, idx, v->s, (int)v->len, SQLITE_STATIC);
		break;
	default:
		sqlite3_bind_null(s, idx);
	}
}

void store_column_value(sqlite3_stmt *s, int idx, struct gm_value *v)
{
	switch (sqlite3_column_type(s, idx)) {
	case SQLITE_INTEGER:
		*v = gm_int(sqlite3_column_int64(s, idx));
		break;
	case SQLITE_FLOAT:
		*v = gm_real(sqlite3_column_double(s, idx));
		break;
	case SQLITE_TEXT:
	case SQLITE_BLOB:
		v->type = GM_TEXT;
		v->s = (const char *)sqlite3_column_text(s, idx);
		v->len = (uint32_t)sqlite3_column_bytes(s, idx);
		break;
	default:
		*v = gm_nil();
	}
}

bool store_coerce(const struct col_def *c, struct gm_value *v)
{
	if (v->type == GM_NIL || v->type == c->type)
		return true;
	if (c->type == GM_REAL && v->type == GM_INT) {
		*v = gm_real((double)v->i);
		return true;
	}
	return false;
}

void store_copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (!src)
		len = 0;
	if (len >= cap)
		len = cap - 1;
	if (len)
		memcpy(dst, src, len);
	dst[len] = 0;
}

void store_rec_init(struct store_rec *r)
{
	memset(r, 0, sizeof(*r));
}

void store_rec_free(struct store_rec *r)
{
	free(r->text);
	store_rec_init(r);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Copies the text of a loaded row into r->text so the record outlives the
 * statement.  Reuses the buffer across loads (the merge path loads one
 * record per change).
 */
static enum gm_err copy_texts(struct store_rec *r)
{
	size_t need = 0;
	for (unsigned j = 0; j < r->tab->ncols; j++)
		if (r->vals[j].type == GM_TEXT)
			need += r->vals[j].len + 1;
	if (need > r->textcap) {
		char *p = realloc(r->text, need);
		if (!p)
			return GM_E_NOMEM;
		r->text = p;
		r->textcap = need;
	}
	char *w = r->text;
	for (unsigned j = 0; j < r->tab->ncols; j++) {
		struct gm_value *v = &r->vals[j];
		if (v->type != GM_TEXT)
			continue;
		memcpy(w, v->s, v->len);
		w[v->len] = 0;
		v->s = w;
		w += v->len + 1;
	}
	return GM_OK;
}

/* Fills r from the row s stands on: bookkeeping, then the columns of
 * `mask` in column order (the others NIL). */
static enum gm_err row_to_rec(struct store *st, const struct table_def *tab, sqlite3_stmt *s,
			      const char *key, int64_t rid, uint64_t mask, struct store_rec *r)
{
	r->tab = tab;
	if (key) {
		r->rid = sqlite3_column_int64(s, 0);
		store_copy_str(r->key, sizeof(r->key), key, strlen(key));
	} else {
		r->rid = rid;
		store_copy_str(r->key, sizeof(r->key), (const char *)sqlite3_column_text(s, 0),
			 (size_t)sqlite3_column_bytes(s, 0));
	}
	store_copy_str(r->scope, sizeof(r->scope), (const char *)sqlite3_column_text(s, 1),
		 (size_t)sqlite3_column_bytes(s, 1));
	if (!rowclk_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2),
			   tab->ncols, store_home_of(st, r->scope), &r->rc))
		return store_fail(st, GM_E_MALFORMED, "%s %s: corrupt clock blob", tab->name, r->key);
	memset(&r->del, 0, sizeof(r->del));
	if (sqlite3_column_bytes(s, 3) == 16) {
		const uint8_t *d = sqlite3_column_blob(s, 3);
		r->del.t = get64(d);
		r->del.node = get64(d + 8);
	}
	r->last = sqlite3_column_int64(s, 4);
	int k = COL0;
	for (unsigned j = 0; j < tab->ncols; j++) {
		if ((mask >> j) & 1)
			store_column_value(s, k++, &r->vals[j]);
		else
			r->vals[j] = gm_nil();
	}
	return copy_texts(r);
}

/* Runs a bound select of one record into r and resets it. */
static enum gm_err load_with(struct store *st, const struct table_def *tab, sqlite3_stmt *s,
			     const char *key, int64_t rid, uint64_t mask, struct store_rec *r)
{
	enum gm_err e;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		e = row_to_rec(st, tab, s, key, rid, mask, r);
	else if (rc == SQLITE_DONE)
		e = GM_E_NOTFOUND;
	else
		e = store_dberr(st, "load record");
	sqlite3_reset(s);
	return e;
}

static uint64_t all_cols(const struct table_def *tab)
{
	return tab->ncols >= 64 ? ~0ull : (1ull << tab->ncols) - 1;
}

enum gm_err store_load(struct store *st, const struct table_def *tab, const char *key,
		       int64_t rid, struct store_rec *r)
{
	sqlite3_stmt *s = key ? st->tabs[tab->id].sel_key : st->tabs[tab->id].sel_rid;
	if (key)
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, rid);
	return load_with(st, tab, s, key, rid, all_cols(tab), r);
}

/* Cache key bits beside the column mask (ROWCLK_MAX_COLS < 62): the
 * statement writes a tombstone; it inserts a record of this node's own
 * scope. */
#define MASK_TOMBSTONE (1ull << 63)
#define MASK_OWN_SCOPE (1ull << 62)

/*
 * The cached statement writing `mask` columns of r's table, made if new.
 * A live row names its clock and leaves _del alone (NULL: a record never
 * comes back from a tombstone); a tombstone names _del and writes NULL
 * into the clock and every column it names, without binding them.  A new
 * record of this node's own scope (most local writes) has the scope in
 * the statement, not bound each time (the code is digits only).
 */
enum masked_kind { M_INSERT, M_UPDATE, M_SELECT };

static sqlite3_stmt *masked(struct store *st, const struct table_def *tab, enum masked_kind kind,
			    uint64_t mask)
{
	struct tab_stmts *ts = &st->tabs[tab->id];
	struct masked_stmt *c = kind == M_INSERT ? ts->ins : kind == M_UPDATE ? ts->upd : ts->sel;
	struct masked_stmt *victim = &c[0];
	bool tomb = mask & MASK_TOMBSTONE, own = mask & MASK_OWN_SCOPE;
	struct gm_buf b;
	char head[160];
	ts->tick++;
	for (unsigned k = 0; k < STMT_CACHE; k++) {
		if (c[k].s && c[k].mask == mask) {
			c[k].used = ts->tick;
			return c[k].s;
		}
		if (!c[k].s || c[k].used < victim->used)
			victim = &c[k];
	}
	gm_buf_init(&b);
	if (kind == M_SELECT) {
		gm_buf_append(&b, "SELECT rowid, _scope, _clk, _del, _last", 39);
		for (unsigned j = 0; j < tab->ncols; j++) {
			if (!((mask >> j) & 1))
				continue;
			gm_buf_append(&b, ", ", 2);
			gm_buf_append(&b, tab->cols[j].name, strlen(tab->cols[j].name));
		}
		snprintf(head, sizeof(head), " FROM %s WHERE id=?1", tab->name);
		gm_buf_append(&b, head, strlen(head) + 1);
	} else if (kind == M_INSERT) {
		snprintf(head, sizeof(head), "INSERT INTO %s(id, _scope, %s, _last", tab->name,
			 tomb ? "_del" : "_clk");
		gm_buf_append(&b, head, strlen(head));
		for (unsigned j = 0; j < tab->ncols; j++) {
			if (!((mask >> j) & 1))
				continue;
			gm_buf_append(&b, ", ", 2);
			gm_buf_append(&b, tab->cols[j].name, strlen(tab->cols[j].name));
		}
		if (own) {
			gm_buf_append(&b, ") VALUES(?,'", 12);
			gm_buf_append(&b, st->code, strlen(st->code));
			gm_buf_append(&b, "',?,?", 5);
		} else {
			gm_buf_append(&b, ") VALUES(?,?,?,?", 16);
		}
		for (unsigned j = 0; j < tab->ncols; j++)
			if ((mask >> j) & 1)
				gm_buf_append(&b, tomb ? ",NULL" : ",?", tomb ? 5 : 2);
		gm_buf_append(&b, ")", 2);
	} else {
		snprintf(head, sizeof(head), "UPDATE %s SET %s, _last=?", tab->name,
			 tomb ? "_clk=NULL, _del=?" : "_clk=?");
		gm_buf_append(&b, head, strlen(head));
		for (unsigned j = 0; j < tab->ncols; j++) {
			if (!((mask >> j) & 1))
				continue;
			gm_buf_append(&b, ", ", 2);
			gm_buf_append(&b, tab->cols[j].name, strlen(tab->cols[j].name));
			gm_buf_append(&b, tomb ? "=NULL" : "=?", tomb ? 5 : 2);
		}
		gm_buf_append(&b, " WHERE rowid=?", 15);
	}
	sqlite3_stmt *s = NULL;
	if (!b.oom && sqlite3_prepare_v3(st->db, (char *)b.p, -1, SQLITE_PREPARE_PERSISTENT, &s,
					 NULL) != SQLITE_OK)
		s = NULL;
	gm_buf_free(&b);
	if (!s)
		return NULL;
	sqlite3_finalize(victim->s);
	victim->s = s;
	victim->mask = mask;
	victim->used = ts->tick;
	return s;
}

enum gm_err store_load_cols(struct store *st, const struct table_def *tab, const char *key,
			    uint64_t mask, struct store_rec *r)
{
	mask &= all_cols(tab);
	if (mask == all_cols(tab))
		return store_load(st, tab, key, 0, r);
	sqlite3_stmt *s = masked(st, tab, M_SELECT, mask);
	if (!s)
		return store_dberr(st, "prepare load");
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	return load_with(st, tab, s, key, 0, mask, r);
}

enum gm_err store_save_cols(struct store *st, const struct store_rec *r, uint64_t mask)
{
	const struct table_def *tab = r->tab;
	uint8_t blob[ROWCLK_MAX_BLOB];
	size_t len;
	bool deleted = !clk_zero(r->del);
	uint64_t all = all_cols(tab);
	int i = 1;

	/* a tombstone clears every column; a new row names only what it has */
	mask = deleted ? all | MASK_TOMBSTONE : mask & all;
	if (deleted) {
		put64(blob, r->del.t);
		put64(blob + 8, r->del.node);
		len = 16;
	} else {
		len = rowclk_encode(&r->rc, store_home_of(st, r->scope), blob);
	}

	/* st->code is set once, after store_create has loaded the reference
	 * data (written while it is still ""): no literal "" is cached */
	bool own = r->rid == 0 && st->code[0] && strcmp(r->scope, st->code) == 0;
	sqlite3_stmt *s = masked(st, tab, r->rid == 0 ? M_INSERT : M_UPDATE,
				 own ? mask | MASK_OWN_SCOPE : mask);
	if (!s)
		return store_dberr(st, "prepare write");
	if (r->rid == 0) {
		sqlite3_bind_text(s, i++, r->key, (int)strlen(r->key), SQLITE_STATIC);
		if (!own)
			sqlite3_bind_text(s, i++, r->scope, (int)strlen(r->scope), SQLITE_STATIC);
	}
	sqlite3_bind_blob(s, i++, blob, (int)len, SQLITE_STATIC);   /* _clk, or _del */
	sqlite3_bind_int64(s, i++, r->last);
	if (!deleted)
		for (uint64_t m = mask; m; m &= m - 1)
			store_bind_value(s, i++, &r->vals[__builtin_ctzll(m)]);
	if (r->rid)
		sqlite3_bind_int64(s, i++, r->rid);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return store_fail(st, GM_E_EXISTS, "%s '%s' already exists", tab->name, r->key);
	if (rc != SQLITE_DONE)
		return store_dberr(st, r->rid ? "update record" : "insert record");
	return GM_OK;
}

enum gm_err store_save(struct store *st, const struct store_rec *r)
{
	return store_save_cols(st, r, ~0ull);
}

/*
 * Overwritten values, grouped by the clock they carried:
 * [[t, node, mask, [value...]]...], kept in the overwriting change's log
 * entry so that the overwritten change's values stay in history.
 */
static void pack_old(struct gm_buf *b, const struct store_rec *r, uint64_t won)
{
	struct clk uniq[ROWCLK_MAX_COLS];
	uint64_t masks[ROWCLK_MAX_COLS];
	unsigned k = 0;
	for (unsigned j = 0; j < r->tab->ncols; j++) {
		if (!((won >> j) & 1) || clk_zero(r->rc.c[j]))
			continue;
		unsigned u;
		for (u = 0; u < k; u++)
			if (clk_cmp(uniq[u], r->rc.c[j]) == 0)
				break;
		if (u == k) {
			uniq[k] = r->rc.c[j];
			masks[k++] = 0;
		}
		masks[u] |= 1ull << j;
	}
	if (!k)
		return;
	uint8_t *p = mpw_begin(b, MPW_MAX_HEAD);
	if (!p)
		return;
	mpw_end(b, mpw_array(p, k));
	for (unsigned u = 0; u < k; u++) {
		if (!(p = mpw_begin(b, 1 + 3 * MPW_MAX_INT)))
			return;
		p = mpw_array(p, 4);
		p = mpw_uint(p, uniq[u].t);
		p = mpw_uint(p, uniq[u].node);
		mpw_end(b, mpw_uint(p, masks[u]));
		chlog_pack_vals(b, r->vals, masks[u], r->tab->ncols);
	}
}

/*
 * Residents travel one record per batch (store_seal), so erasing one
 * deletes every stored batch of that person but the one being applied
 * (it carries the delete, which must travel on).
 */
static enum gm_err scrub_batches(struct store *st, const struct store_rec *r)
{
	sqlite3_stmt *s;
	if (r->tab->cls != CLS_STREET)
		return GM_OK;
	if (sqlite3_prepare_v2(st->db, "DELETE FROM batches WHERE rkey = ?1 AND scope = ?2"
				       " AND cls = 1 AND seq != ?3", -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "scrub batches");
	sqlite3_bind_text(s, 1, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, r->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, st->applying);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GM_OK : store_dberr(st, "scrub batches");
}

enum gm_err store_merge(struct store *st, struct store_rec *r, const struct merge_change *mc,
			uint64_t *won_out)
{
	const struct table_def *tab = r->tab;
	struct lww_in in = { mc->clk, mc->mask, mc->del };
	struct lww_out out;
	enum gm_err e;
	bool fresh = r->rid == 0;

	lww_decide(&r->rc, r->del, &in, &out);
	*won_out = out.won;

	if (out.deleted && !clk_zero(r->del)) {
		/*
		 * Already a tombstone: keep the greatest delete clock, log nothing.
		 * A late change to an erased resident still carries values: the
		 * batch it came in must not be kept either.
		 */
		if (tab->cls == CLS_STREET && !mc->del && st->applying)
			st->scrub = true;
		if (out.changed) {
			r->del = out.del;
			return store_save(st, r);
		}
		return GM_OK;
	}

	struct ch_entry ce = {
		.tbl = (uint8_t)tab->id,
		.prev = (uint64_t)r->last,
		.clk = mc->clk,
		.seen = mc->seen,
		.mask = mc->mask,
		.del = mc->del,
		.actor = mc->actor,
		.actorlen = mc->actorlen,
		.note = out.deleted ? NULL : mc->note,
		.notelen = out.deleted ? 0 : mc->notelen,
	};
	/* a change that lost a field keeps its own values; winners live in the row */
	if (out.won != mc->mask && !out.deleted && mc->mask) {
		gm_buf_reset(&st->scratch);
		chlog_pack_vals(&st->scratch, mc->vals, mc->mask, tab->ncols);
		ce.vals = st->scratch.p;
		ce.valslen = (uint32_t)st->scratch.len;
	}
	if (!fresh && !out.deleted && out.won) {
		gm_buf_reset(&st->scratch2);
		pack_old(&st->scratch2, r, out.won);
		if (st->scratch2.len) {
			ce.old = st->scratch2.p;
			ce.oldlen = (uint32_t)st->scratch2.len;
		}
	}
	if (st->scratch.oom || st->scratch2.oom)
		return GM_E_NOMEM;

	if (out.deleted) {
		/* erasure: no value of the record survives in its history */
		if (!fresh && (e = chlog_erase_chain(st, (uint64_t)r->last)))
			return e;
		if ((e = scrub_batches(st, r)))
			return e;
		st->erased = true;
		r->del = out.del;
		rowclk_init(&r->rc, tab->ncols);
		for (unsigned j = 0; j < tab->ncols; j++)
			r->vals[j] = gm_nil();
	}
	/* a new row names only the columns it has */
	uint64_t cols = out.won;
	for (uint64_t m = out.deleted ? 0 : out.won; m; m &= m - 1) {
		unsigned j = (unsigned)__builtin_ctzll(m);
		r->vals[j] = mc->vals[j];
		r->rc.c[j] = mc->clk;
		if (fresh && r->vals[j].type == GM_NIL)
			cols &= ~(1ull << j);
	}
	/* the row points at its newest change before that change is logged */
	uint64_t id = chlog_next_id(st);
	r->last = (int64_t)id;
	if ((e = store_save_cols(st, r, cols)))
		return e;
	if (fresh)
		r->rid = sqlite3_last_insert_rowid(st->db);
	ce.rid = r->rid;
	uint64_t got;
	if ((e = chlog_append(st, &ce, &got)))
		return e;
	return got == id ? GM_OK : store_fail(st, GM_E_STATE, "change log out of step");
}
