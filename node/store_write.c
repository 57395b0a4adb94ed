/* store_write.c - local changes: one user action, stamped and logged. */
#include <stdlib.h>
#include <string.h>
#include "store_int.h"
#include "fieldcrypt.h"

enum gm_err store_put(struct store *st, const struct store_write *w, uint64_t *t_out)
{
	const struct table_def *tab = w->tab;
	struct gm_value vals[ROWCLK_MAX_COLS];
	char *sealed[ROWCLK_MAX_COLS];
	unsigned nsealed = 0;
	uint64_t mask = 0, set = 0, won;
	size_t keylen = w->key ? strlen(w->key) : 0;
	enum gm_err e;

	if (!st->in_txn)
		return store_fail(st, GM_E_STATE, "store_put outside a transaction");
	if (!tab || !keylen || keylen > BATCH_MAX_KEY)
		return store_fail(st, GM_E_INVAL, "a record needs a key of 1 to %d bytes",
				  BATCH_MAX_KEY);
	if (w->del && w->nset)
		return store_fail(st, GM_E_INVAL, "a delete sets no fields");
	memset(vals, 0, tab->ncols * sizeof(vals[0]));   /* GM_NIL */
	for (unsigned i = 0; i < w->nset; i++) {
		unsigned j = w->cols[i];
		if (j >= tab->ncols)
			return store_fail(st, GM_E_INVAL, "%s has no column %u", tab->name, j);
		vals[j] = w->vals[i];
		if (!store_coerce(&tab->cols[j], &vals[j]))
			return store_fail(st, GM_E_INVAL, "%s.%s: wrong type", tab->name,
					  tab->cols[j].name);
		if (vals[j].type == GM_TEXT && vals[j].len > BATCH_MAX_TEXT)
			return store_fail(st, GM_E_TOOBIG, "%s.%s: longer than %d bytes", tab->name,
					  tab->cols[j].name, BATCH_MAX_TEXT);
		mask |= 1ull << j;
		if (vals[j].type != GM_NIL)
			set |= 1ull << j;
	}
	/* sensitive values are sealed before they touch the row or the log */
	for (unsigned j = 0; st->field_key && j < tab->ncols; j++) {
		if (!((mask >> j) & 1) || !(tab->cols[j].flags & COL_SENSITIVE) ||
		    vals[j].type != GM_TEXT || fieldcrypt_is_sealed(&vals[j]))
			continue;
		size_t n = fieldcrypt_sealed_len(vals[j].len);
		if (!nsealed++)
			memset(sealed, 0, sizeof(sealed));
		sealed[j] = malloc(n);
		if (!sealed[j] || !fieldcrypt_seal(st->field_key, tab->name, tab->cols[j].name, w->key,
						   &vals[j], sealed[j], n)) {
			e = store_fail(st, GM_E_NOMEM, "cannot seal %s.%s", tab->name,
				       tab->cols[j].name);
			goto out_free;
		}
		vals[j] = gm_text(sealed[j]);
	}

	/*
	 * A new record (W_CREATE) is inserted without looking first: the
	 * UNIQUE index on the key refuses a duplicate for us.
	 */
	struct store_rec *r = &st->rec;
	bool own_scope = false;    /* a new record in this node's own scope */
	e = w->mode == W_CREATE ? GM_E_NOTFOUND : store_load_cols(st, tab, w->key, mask, r);
	if (e == GM_E_NOTFOUND) {
		const char *scope = w->scope ? w->scope : st->code;
		size_t slen = strlen(scope);
		if (w->mode == W_UPDATE || w->del) {
			e = store_fail(st, GM_E_NOTFOUND, "no %s '%s'", tab->name, w->key);
			goto out_free;
		}
		/* our own code was checked when the store was made */
		if (scope != st->code && (slen > CODE_MAX || (slen && !code_valid(scope, slen)))) {
			e = store_fail(st, GM_E_INVAL, "'%s' is not a node code", scope);
			goto out_free;
		}
		uint64_t missing = st->tabs[tab->id].required & ~set;
		if (missing) {
			e = store_fail(st, GM_E_INVAL, "a new %s needs %s", tab->name,
				       tab->cols[__builtin_ctzll(missing)].name);
			goto out_free;
		}
		r->tab = tab;
		r->rid = 0;
		r->last = 0;
		store_copy_str(r->key, sizeof(r->key), w->key, keylen);
		store_copy_str(r->scope, sizeof(r->scope), scope, slen);
		rowclk_init(&r->rc, tab->ncols);
		memset(&r->del, 0, sizeof(r->del));
		memset(r->vals, 0, tab->ncols * sizeof(r->vals[0]));
		own_scope = scope == st->code;
	} else if (e) {
		goto out_free;
	} else if (!clk_zero(r->del)) {
		e = store_fail(st, GM_E_NOTFOUND, "%s '%s' was deleted", tab->name, w->key);
		goto out_free;
	} else if (w->mode == W_CREATE) {
		e = store_fail(st, GM_E_EXISTS, "%s '%s' already exists", tab->name, w->key);
		goto out_free;
	}

	/* a node writes only inside its own subtree (brief rule 4) */
	if (!own_scope && !(st->level == LEVEL_CITY && !r->scope[0]) &&
	    !scope_within(r->scope, strlen(r->scope), st->code, strlen(st->code))) {
		e = store_fail(st, GM_E_SCOPE, "%s '%s' belongs to %s, outside %s", tab->name, w->key,
			       r->scope[0] ? r->scope : "the whole city", st->code);
		goto out_free;
	}

	struct merge_change mc = {
		.clk = { hlc_now(&st->hlc, store_wall(st)), st->node_id },
		.seen = lww_seen(&r->rc, mask),
		.mask = mask,
		.del = w->del,
		.vals = vals,
		.actor = w->actor,
		.actorlen = w->actor ? (uint32_t)strlen(w->actor) : 0,
		.note = w->note,
		.notelen = w->note ? (uint32_t)strlen(w->note) : 0,
	};
	if (mc.actorlen > BATCH_MAX_KEY || mc.notelen > BATCH_MAX_TEXT) {
		e = store_fail(st, GM_E_TOOBIG, "actor or note too long");
		goto out_free;
	}
	e = store_merge(st, r, &mc, &won);
	if (!e && t_out)
		*t_out = mc.clk.t;
out_free:
	if (nsealed)
		for (unsigned j = 0; j < tab->ncols; j++)
			free(sealed[j]);
	return e;
}
