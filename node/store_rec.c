/*
 * store_rec.c - moving records between SQLite rows and struct store_rec,
 * and the merge step every write goes through (local or received).
 */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"

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

enum gm_err store_load(struct store *st, const struct table_def *tab, const char *key,
		       int64_t rid, struct store_rec *r)
{
	sqlite3_stmt *s = key ? st->tabs[tab->id].sel_key : st->tabs[tab->id].sel_rid;
	enum gm_err e = GM_OK;
	int rc;

	if (key)
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 1, rid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		e = GM_E_NOTFOUND;
		goto out_reset;
	}
	if (rc != SQLITE_ROW) {
		e = store_dberr(st, "load record");
		goto out_reset;
	}
	r->tab = tab;
	if (key) {
		r->rid = sqlite3_column_int64(s, 0);
		snprintf(r->key, sizeof(r->key), "%s", key);
	} else {
		r->rid = rid;
		snprintf(r->key, sizeof(r->key), "%s", (const char *)sqlite3_column_text(s, 0));
	}
	const unsigned char *scope = sqlite3_column_text(s, 1);
	snprintf(r->scope, sizeof(r->scope), "%s", scope ? (const char *)scope : "");
	if (!rowclk_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2),
			   tab->ncols, &r->rc)) {
		e = store_fail(st, GM_E_MALFORMED, "%s %s: corrupt clock blob", tab->name, r->key);
		goto out_reset;
	}
	memset(&r->del, 0, sizeof(r->del));
	if (sqlite3_column_bytes(s, 3) == 16) {
		const uint8_t *d = sqlite3_column_blob(s, 3);
		r->del.t = get64(d);
		r->del.node = get64(d + 8);
	}
	r->last = sqlite3_column_int64(s, 4);
	for (unsigned j = 0; j < tab->ncols; j++)
		store_column_value(s, COL0 + (int)j, &r->vals[j]);
	e = copy_texts(r);
out_reset:
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return e;
}

enum gm_err store_save(struct store *st, const struct store_rec *r)
{
	const struct table_def *tab = r->tab;
	uint8_t clk[ROWCLK_MAX_BLOB], del[16];
	size_t clklen = 0;
	bool deleted = !clk_zero(r->del);
	sqlite3_stmt *s;
	int i = 1;

	if (!deleted)
		clklen = rowclk_encode(&r->rc, clk);
	put64(del, r->del.t);
	put64(del + 8, r->del.node);

	if (r->rid == 0) {
		s = st->tabs[tab->id].ins;
		sqlite3_bind_text(s, i++, r->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, i++, r->scope, -1, SQLITE_STATIC);
	} else {
		s = st->tabs[tab->id].upd;
	}
	if (deleted)
		sqlite3_bind_null(s, i++);
	else
		sqlite3_bind_blob(s, i++, clk, (int)clklen, SQLITE_STATIC);
	if (deleted)
		sqlite3_bind_blob(s, i++, del, 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i++);
	sqlite3_bind_int64(s, i++, r->last);
	for (unsigned j = 0; j < tab->ncols; j++) {
		if (deleted)
			sqlite3_bind_null(s, i++);
		else
			store_bind_value(s, i++, &r->vals[j]);
	}
	if (r->rid)
		sqlite3_bind_int64(s, i++, r->rid);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_dberr(st, r->rid ? "update record" : "insert record");
	return GM_OK;
}

void store_pack_vals(struct gm_buf *b, const struct gm_value *vals, uint64_t mask,
		     unsigned ncols)
{
	msgpack_packer pk;
	gm_buf_packer(b, &pk);
	msgpack_pack_array(&pk, batch_popcount(mask));
	for (unsigned j = 0; j < ncols; j++) {
		if (!((mask >> j) & 1))
			continue;
		const struct gm_value *v = &vals[j];
		switch (v->type) {
		case GM_INT:
			msgpack_pack_int64(&pk, v->i);
			break;
		case GM_REAL:
			msgpack_pack_double(&pk, v->d);
			break;
		case GM_TEXT:
			gm_pack_str(&pk, v->s, v->len);
			break;
		default:
			msgpack_pack_nil(&pk);
		}
	}
}

bool store_unpack_vals(const void *blob, size_t len, uint64_t mask, unsigned ncols,
		       struct gm_value *vals, void **zone_out)
{
	msgpack_unpacked *up = malloc(sizeof(*up));
	size_t off = 0;
	*zone_out = NULL;
	if (!up)
		return false;
	msgpack_unpacked_init(up);
	if (msgpack_unpack_next(up, blob, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    up->data.type != MSGPACK_OBJECT_ARRAY ||
	    up->data.via.array.size != batch_popcount(mask))
		goto out_fail;
	unsigned k = 0;
	for (unsigned j = 0; j < ncols; j++) {
		if (!((mask >> j) & 1))
			continue;
		const msgpack_object *o = &up->data.via.array.ptr[k++];
		switch (o->type) {
		case MSGPACK_OBJECT_POSITIVE_INTEGER:
			vals[j] = gm_int((int64_t)o->via.u64);
			break;
		case MSGPACK_OBJECT_NEGATIVE_INTEGER:
			vals[j] = gm_int(o->via.i64);
			break;
		case MSGPACK_OBJECT_FLOAT64:
		case MSGPACK_OBJECT_FLOAT32:
			vals[j] = gm_real(o->via.f64);
			break;
		case MSGPACK_OBJECT_STR:
			vals[j] = gm_textn(o->via.str.ptr, o->via.str.size);
			break;
		default:
			vals[j] = gm_nil();
		}
	}
	*zone_out = up;
	return true;
out_fail:
	msgpack_unpacked_destroy(up);
	free(up);
	return false;
}

/*
 * Finds the change on r's history chain stamped `c` whose values still live
 * only in the record (vals NULL), and copies them into the change row
 * before the record's fields are overwritten.  This is what lets a change
 * row stay small at write time and still show its values in history later.
 */
static enum gm_err materialize(struct store *st, const struct store_rec *r, struct clk c)
{
	sqlite3_stmt *s = st->sel_change;
	int64_t seq = r->last;
	enum gm_err e = GM_OK;

	while (seq > 0) {
		sqlite3_bind_int64(s, 1, seq);
		if (sqlite3_step(s) != SQLITE_ROW) {
			e = store_dberr(st, "history walk");
			sqlite3_reset(s);
			return e;
		}
		int64_t prev = sqlite3_column_int64(s, 0);
		struct clk cc = { (uint64_t)sqlite3_column_int64(s, 1),
				  (uint64_t)sqlite3_column_int64(s, 2) };
		uint64_t mask = (uint64_t)sqlite3_column_int64(s, 4);
		bool has_vals = sqlite3_column_type(s, 8) != SQLITE_NULL;
		bool erased = sqlite3_column_int(s, 9) != 0;
		sqlite3_reset(s);
		if (clk_cmp(cc, c) == 0) {
			if (has_vals || erased || !mask)
				return GM_OK;
			gm_buf_reset(&st->scratch);
			store_pack_vals(&st->scratch, r->vals, mask, r->tab->ncols);
			if (st->scratch.oom)
				return GM_E_NOMEM;
			sqlite3_stmt *u = st->set_change_vals;
			sqlite3_bind_blob(u, 1, st->scratch.p, (int)st->scratch.len, SQLITE_STATIC);
			sqlite3_bind_int64(u, 2, seq);
			int rc = sqlite3_step(u);
			sqlite3_reset(u);
			return rc == SQLITE_DONE ? GM_OK : store_dberr(st, "materialize");
		}
		seq = prev;
	}
	return GM_OK;
}

/* A delete takes every value out of the record's history too (erasure). */
static enum gm_err erase_history(struct store *st, int64_t seq)
{
	sqlite3_stmt *s = st->sel_change, *u = st->erase_change;
	while (seq > 0) {
		sqlite3_bind_int64(s, 1, seq);
		if (sqlite3_step(s) != SQLITE_ROW) {
			sqlite3_reset(s);
			return store_dberr(st, "history walk");
		}
		int64_t prev = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		sqlite3_bind_int64(u, 1, seq);
		int rc = sqlite3_step(u);
		sqlite3_reset(u);
		if (rc != SQLITE_DONE)
			return store_dberr(st, "erase history");
		seq = prev;
	}
	return GM_OK;
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
		/* already a tombstone: keep the greatest delete clock, log nothing */
		if (out.changed) {
			r->del = out.del;
			return store_save(st, r);
		}
		return GM_OK;
	}

	/* the values being overwritten move into their change rows first */
	if (!fresh && !out.deleted) {
		struct clk done[ROWCLK_MAX_COLS];
		unsigned nd = 0;
		for (unsigned j = 0; j < tab->ncols; j++) {
			if (!((out.won >> j) & 1) || clk_zero(r->rc.c[j]))
				continue;
			unsigned k;
			for (k = 0; k < nd; k++)
				if (clk_cmp(done[k], r->rc.c[j]) == 0)
					break;
			if (k < nd)
				continue;
			done[nd++] = r->rc.c[j];
			if ((e = materialize(st, r, r->rc.c[j])))
				return e;
		}
	}

	/*
	 * Sequence numbers are handed out by the store (loaded at begin, under
	 * the write lock), so the record can point at its newest change before
	 * the change row exists: one write per table, not two.
	 */
	int64_t seq = ++st->change_seq;
	int64_t prev = r->last;

	if (out.deleted) {
		if (!fresh && (e = erase_history(st, prev)))
			return e;
		r->del = out.del;
		rowclk_init(&r->rc, tab->ncols);
		for (unsigned j = 0; j < tab->ncols; j++)
			r->vals[j] = gm_nil();
	} else {
		for (unsigned j = 0; j < tab->ncols; j++) {
			if ((out.won >> j) & 1) {
				r->vals[j] = mc->vals[j];
				r->rc.c[j] = mc->clk;
			}
		}
	}
	r->last = seq;
	if ((e = store_save(st, r)))
		return e;
	if (fresh)
		r->rid = sqlite3_last_insert_rowid(st->db);

	/* log the change; its values stay in the record if all of them won */
	sqlite3_stmt *s = st->ins_change;
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int(s, 2, tab->id);
	sqlite3_bind_int64(s, 3, r->rid);
	if (prev)
		sqlite3_bind_int64(s, 4, prev);
	sqlite3_bind_int64(s, 5, (int64_t)mc->clk.t);
	sqlite3_bind_int64(s, 6, (int64_t)mc->clk.node);
	sqlite3_bind_int64(s, 7, (int64_t)mc->seen);
	sqlite3_bind_int64(s, 8, (int64_t)mc->mask);
	sqlite3_bind_int(s, 9, mc->del);
	if (mc->actor)
		sqlite3_bind_text(s, 10, mc->actor, (int)mc->actorlen, SQLITE_STATIC);
	if (mc->note && !out.deleted)
		sqlite3_bind_text(s, 11, mc->note, (int)mc->notelen, SQLITE_STATIC);
	if (out.won != mc->mask && !out.deleted && mc->mask) {
		gm_buf_reset(&st->scratch);
		store_pack_vals(&st->scratch, mc->vals, mc->mask, tab->ncols);
		if (st->scratch.oom) {
			sqlite3_clear_bindings(s);
			return GM_E_NOMEM;
		}
		sqlite3_bind_blob(s, 12, st->scratch.p, (int)st->scratch.len, SQLITE_STATIC);
	}
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_dberr(st, "log change");
	return GM_OK;
}
