/* store_read.c - records, lists, history and the state digest. */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"
#include "../proto/arena.h"
#include "../sync/digest.h"

enum gm_err store_get(struct store *st, const struct table_def *tab, const char *key,
		      struct store_rec *r)
{
	enum gm_err e = store_load(st, tab, key, 0, r);
	if (e == GM_E_NOTFOUND)
		return store_fail(st, e, "no %s '%s'", tab->name, key);
	return e;
}

/* SELECT list shared by scans and the digest: id, scope, clk, del, cols. */
static void select_cols(const struct table_def *tab, struct gm_buf *b)
{
	gm_buf_append(b, "SELECT id, _scope, _clk, _del, _last", 36);
	for (unsigned j = 0; j < tab->ncols; j++) {
		gm_buf_append(b, ", ", 2);
		gm_buf_append(b, tab->cols[j].name, strlen(tab->cols[j].name));
	}
	gm_buf_append(b, " FROM ", 6);
	gm_buf_append(b, tab->name, strlen(tab->name));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Fills r from a select_cols() row; text points into the statement. */
static bool row_to_rec(sqlite3_stmt *s, const struct table_def *tab, struct store_rec *r)
{
	r->tab = tab;
	snprintf(r->key, sizeof(r->key), "%s", (const char *)sqlite3_column_text(s, 0));
	const unsigned char *sc = sqlite3_column_text(s, 1);
	snprintf(r->scope, sizeof(r->scope), "%s", sc ? (const char *)sc : "");
	if (!rowclk_decode(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2),
			   tab->ncols, store_home(r->scope), &r->rc))
		return false;
	memset(&r->del, 0, sizeof(r->del));
	if (sqlite3_column_bytes(s, 3) == 16) {
		const uint8_t *d = sqlite3_column_blob(s, 3);
		r->del.t = get64(d);
		r->del.node = get64(d + 8);
	}
	r->last = sqlite3_column_int64(s, 4);
	for (unsigned j = 0; j < tab->ncols; j++)
		store_column_value(s, 5 + (int)j, &r->vals[j]);
	return true;
}

enum gm_err store_scan(struct store *st, const struct table_def *tab,
		       const struct store_filter *f, unsigned nf, store_rec_cb cb, void *ctx)
{
	struct gm_buf b;
	sqlite3_stmt *s = NULL;
	struct store_rec r;
	enum gm_err e = GM_OK;
	int rc;

	gm_buf_init(&b);
	select_cols(tab, &b);
	gm_buf_append(&b, " WHERE _del IS NULL", 19);
	for (unsigned i = 0; i < nf; i++) {
		char cond[96];
		if (f[i].col < 0)
			snprintf(cond, sizeof(cond), " AND _scope >= ?%u AND _scope < ?%u || ':'",
				 i + 1, i + 1);
		else if (f[i].col < tab->ncols)
			snprintf(cond, sizeof(cond), " AND %s = ?%u", tab->cols[f[i].col].name, i + 1);
		else {
			e = store_fail(st, GM_E_INVAL, "bad filter column");
			goto out_free_buf;
		}
		gm_buf_append(&b, cond, strlen(cond));
	}
	gm_buf_append(&b, " ORDER BY id", 13);
	if (b.oom) {
		e = GM_E_NOMEM;
		goto out_free_buf;
	}
	if (sqlite3_prepare_v2(st->db, (char *)b.p, -1, &s, NULL) != SQLITE_OK) {
		e = store_dberr(st, "scan");
		goto out_free_buf;
	}
	for (unsigned i = 0; i < nf; i++)
		store_bind_value(s, (int)i + 1, &f[i].v);
	store_rec_init(&r);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r.rid = 0;
		if (!row_to_rec(s, tab, &r)) {
			e = store_fail(st, GM_E_MALFORMED, "%s %s: corrupt clock blob", tab->name, r.key);
			break;
		}
		if (cb(ctx, &r))
			break;
	}
	if (!e && rc != SQLITE_ROW && rc != SQLITE_DONE)
		e = store_dberr(st, "scan");
	sqlite3_finalize(s);
out_free_buf:
	gm_buf_free(&b);
	return e;
}

enum gm_err store_digest(struct store *st, const char *scope, uint8_t out[32],
			 uint64_t *nrecords)
{
	return store_digest_ex(st, scope, false, out, nrecords);
}

enum gm_err store_digest_ex(struct store *st, const char *scope, bool shared_only,
			    uint8_t out[32], uint64_t *nrecords)
{
	struct digest d;
	struct gm_buf b;
	enum gm_err e = GM_OK;
	bool filtered = scope && *scope;

	digest_init(&d);
	gm_buf_init(&b);
	for (unsigned t = 0; t < T__COUNT && !e; t++) {
		const struct table_def *tab = schema_table(t);
		sqlite3_stmt *s;
		struct store_rec r;
		int rc;

		if (shared_only && tab->cls == CLS_STREET)
			continue;
		gm_buf_reset(&b);
		select_cols(tab, &b);
		static const char within[] = " WHERE _scope >= ?1 AND _scope < ?1 || ':'";
		/* reference data reaches a node from its own subtree and from above */
		static const char ref[] = " WHERE (_scope >= ?1 AND _scope < ?1 || ':')"
					  " OR substr(?1, 1, length(_scope)) = _scope";
		if (filtered && tab->cls != CLS_REF)
			gm_buf_append(&b, within, sizeof(within) - 1);
		else if (filtered)
			gm_buf_append(&b, ref, sizeof(ref) - 1);
		gm_buf_append(&b, " ORDER BY id", 13);
		if (b.oom) {
			e = GM_E_NOMEM;
			break;
		}
		if (sqlite3_prepare_v2(st->db, (char *)b.p, -1, &s, NULL) != SQLITE_OK) {
			e = store_dberr(st, "digest");
			break;
		}
		if (filtered)
			sqlite3_bind_text(s, 1, scope, -1, SQLITE_STATIC);
		store_rec_init(&r);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (!row_to_rec(s, tab, &r)) {
				e = store_fail(st, GM_E_MALFORMED, "%s %s: corrupt clock blob",
					       tab->name, r.key);
				break;
			}
			digest_record(&d, tab->name, r.key, strlen(r.key), r.scope, strlen(r.scope),
				      r.vals, &r.rc, r.del);
		}
		if (!e && rc != SQLITE_DONE)
			e = store_dberr(st, "digest");
		sqlite3_finalize(s);
	}
	gm_buf_free(&b);
	if (nrecords)
		*nrecords = d.nrecords;
	digest_final(&d, out);
	return e;
}

/* ---------------------------------------------------------------- history */

struct hent {
	struct store_hist h;
	uint64_t id;
	struct gm_value vals[ROWCLK_MAX_COLS];   /* column-indexed */
	struct gm_value packed[ROWCLK_MAX_COLS];
};

static int hent_cmp(const void *a, const void *b)
{
	const struct hent *x = a, *y = b;
	return clk_cmp(x->h.clk, y->h.clk);
}

/* Copies a resolved text value into the arena (zones are freed per entry). */
static bool keep_text(struct arena *ar, struct gm_value *v)
{
	if (v->type != GM_TEXT)
		return true;
	v->s = arena_strndup(ar, v->s, v->len);
	return v->s != NULL;
}

enum gm_err store_history(struct store *st, const struct table_def *tab, const char *key,
			  store_hist_cb cb, void *ctx)
{
	struct store_rec r;
	struct arena ar;
	struct hent *ents = NULL;
	size_t n = 0, cap = 0;
	enum gm_err e;

	store_rec_init(&r);
	if ((e = store_get(st, tab, key, &r)))
		return e;
	chlog_uncache(st);
	arena_init(&ar, 0);
	for (uint64_t id = (uint64_t)r.last; id > 0;) {
		struct ch_entry ce;
		if ((e = chlog_get(st, id, &ce)))
			goto out_free;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct hent *ne = realloc(ents, ncap * sizeof(*ents));
			if (!ne) {
				e = GM_E_NOMEM;
				goto out_free;
			}
			ents = ne;
			cap = ncap;
		}
		struct hent *h = &ents[n++];
		memset(h, 0, sizeof(*h));
		h->id = id;
		h->h.seq = (int64_t)id;
		h->h.clk = ce.clk;
		h->h.seen = ce.seen;
		h->h.mask = ce.mask;
		h->h.del = ce.del;
		h->h.erased = ce.erased;
		if (ce.actor)
			h->h.actor = arena_strndup(&ar, ce.actor, ce.actorlen);
		if (ce.note)
			h->h.note = arena_strndup(&ar, ce.note, ce.notelen);
		/* a chain runs to older changes only: anything else is a damaged log */
		if (ce.prev >= id) {
			e = store_fail(st, GM_E_MALFORMED, "history of %s %s is corrupt", tab->name, key);
			goto out_free;
		}
		id = ce.prev;
	}
	/* values: the entry's own, the record's, or kept by a later change */
	for (size_t i = 0; i < n; i++) {
		struct hent *h = &ents[i];
		struct ch_entry ce;
		struct chlog_zone *z;
		if (h->h.erased || h->h.del || !h->h.mask)
			continue;
		if ((e = chlog_get(st, h->id, &ce)))
			goto out_free;
		uint64_t got = chlog_resolve(st, &r, h->id, &ce, h->vals, &z);
		for (unsigned j = 0; j < tab->ncols; j++) {
			if (!((got >> j) & 1))
				h->vals[j] = gm_nil();
			else if (!keep_text(&ar, &h->vals[j]))
				e = GM_E_NOMEM;
		}
		chlog_resolve_free(z);
		if (e)
			goto out_free;
	}
	qsort(ents, n, sizeof(*ents), hent_cmp);
	/*
	 * A change lost a field to a concurrent one when a newer change to the
	 * same field was made without having seen it (its `seen` clock is
	 * older than ours): that is the conflict brief rule 2 wants visible.
	 */
	for (size_t i = 0; i < n; i++) {
		for (size_t k = i + 1; k < n; k++) {
			uint64_t common = ents[i].h.mask & ents[k].h.mask;
			if (common && ents[k].h.seen < ents[i].h.clk.t &&
			    ents[k].h.clk.node != ents[i].h.clk.node)
				ents[i].h.lost |= common;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct hent *h = &ents[i];
		unsigned k = 0;
		for (unsigned j = 0; j < tab->ncols; j++)
			if ((h->h.mask >> j) & 1)
				h->packed[k++] = h->vals[j];
		h->h.vals = h->h.erased || h->h.del ? NULL : h->packed;
		if (cb(ctx, &h->h))
			break;
	}
out_free:
	free(ents);
	arena_free(&ar);
	store_rec_free(&r);
	return e;
}
