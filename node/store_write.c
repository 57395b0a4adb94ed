/* store_write.c - local changes: one user action, stamped and logged. */
#include <string.h>
#include "store_int.h"

enum gm_err store_put(struct store *st, const struct store_write *w, uint64_t *t_out)
{
	const struct table_def *tab = w->tab;
	struct gm_value vals[ROWCLK_MAX_COLS];
	uint64_t mask = 0, won;
	enum gm_err e;

	if (!st->in_txn)
		return store_fail(st, GM_E_STATE, "store_put outside a transaction");
	if (!tab || !w->key || !*w->key || strlen(w->key) > BATCH_MAX_KEY)
		return store_fail(st, GM_E_INVAL, "a record needs a key of 1 to %d bytes",
				  BATCH_MAX_KEY);
	if (w->del && w->nset)
		return store_fail(st, GM_E_INVAL, "a delete sets no fields");
	for (unsigned j = 0; j < tab->ncols; j++)
		vals[j] = gm_nil();
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
	}

	/*
	 * A new record (W_CREATE) is inserted without looking first: the
	 * UNIQUE index on the key refuses a duplicate for us.
	 */
	struct store_rec *r = &st->rec;
	e = w->mode == W_CREATE ? GM_E_NOTFOUND : store_load(st, tab, w->key, 0, r);
	if (e == GM_E_NOTFOUND) {
		if (w->mode == W_UPDATE || w->del)
			return store_fail(st, GM_E_NOTFOUND, "no %s '%s'", tab->name, w->key);
		const char *scope = w->scope ? w->scope : st->code;
		size_t slen = strlen(scope);
		if (slen > CODE_MAX || (slen && !code_valid(scope, slen)))
			return store_fail(st, GM_E_INVAL, "'%s' is not a node code", scope);
		r->tab = tab;
		r->rid = 0;
		r->last = 0;
		store_copy_str(r->key, sizeof(r->key), w->key, strlen(w->key));
		store_copy_str(r->scope, sizeof(r->scope), scope, slen);
		rowclk_init(&r->rc, tab->ncols);
		memset(&r->del, 0, sizeof(r->del));
		for (unsigned j = 0; j < tab->ncols; j++) {
			r->vals[j] = gm_nil();
			if ((tab->cols[j].flags & COL_REQUIRED) &&
			    (!((mask >> j) & 1) || vals[j].type == GM_NIL))
				return store_fail(st, GM_E_INVAL, "a new %s needs %s", tab->name,
						  tab->cols[j].name);
		}
	} else if (e) {
		return e;
	} else if (!clk_zero(r->del)) {
		return store_fail(st, GM_E_NOTFOUND, "%s '%s' was deleted", tab->name, w->key);
	} else if (w->mode == W_CREATE) {
		return store_fail(st, GM_E_EXISTS, "%s '%s' already exists", tab->name, w->key);
	}

	/* a node writes only inside its own subtree (brief rule 4) */
	if (!(st->level == LEVEL_CITY && !r->scope[0]) &&
	    !scope_within(r->scope, strlen(r->scope), st->code, strlen(st->code)))
		return store_fail(st, GM_E_SCOPE, "%s '%s' belongs to %s, outside %s", tab->name,
				  w->key, r->scope[0] ? r->scope : "the whole city", st->code);

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
	if (mc.actorlen > BATCH_MAX_KEY || mc.notelen > BATCH_MAX_TEXT)
		return store_fail(st, GM_E_TOOBIG, "actor or note too long");
	e = store_merge(st, r, &mc, &won);
	if (!e && t_out)
		*t_out = mc.clk.t;
	return e;
}
