/* thrstore.c - device_threshold records: load, choose, override. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "thrstore.h"
#include "rules.h"
#include "recval.h"
#include "store_int.h"
#include "tickets.h"

static const char *text(struct arena *a, const struct gm_value *v)
{
	return v->type == GM_TEXT && v->len ? arena_strndup(a, v->s, v->len) : NULL;
}

bool thrstore_from_rec(const struct store_rec *r, struct arena *a, struct threshold *h,
		       char *why, size_t whylen)
{
	const char *op, *hours;
	double d;

	memset(h, 0, sizeof(*h));
	h->key = arena_strndup(a, r->key, strlen(r->key));
	h->scope = arena_strndup(a, r->scope, strlen(r->scope));
	h->name = text(a, rec_col(r, "name"));
	h->cls = text(a, rec_col(r, "class"));
	h->quantity = text(a, rec_col(r, "quantity"));
	op = text(a, rec_col(r, "op"));
	hours = text(a, rec_col(r, "hours"));
	h->unit = text(a, rec_col(r, "unit"));
	h->event = text(a, rec_col(r, "event"));
	h->state = text(a, rec_col(r, "state"));
	if (!h->key || !h->scope) {
		snprintf(why, whylen, "out of memory");
		return false;
	}
	if (!h->cls) {
		snprintf(why, whylen, "no class");
		return false;
	}
	if (!thr_op_parse(op, &h->op)) {
		snprintf(why, whylen, "op '%s' is not >, >=, <, <=, = or !=", op ? op : "");
		return false;
	}
	if (!val_num(rec_col(r, "value"), &h->value)) {
		snprintf(why, whylen, "no value");
		return false;
	}
	if (!thr_hours_parse(hours, &h->from_h, &h->to_h)) {
		snprintf(why, whylen, "hours '%s' are not H-H (0-23, two different hours)", hours);
		return false;
	}
	if (h->state && !asset_state_valid(h->state)) {
		snprintf(why, whylen, "state '%s' is not an asset state", h->state);
		return false;
	}
	h->has_clear = val_num(rec_col(r, "clear"), &h->clear);
	h->has_min = val_num(rec_col(r, "min"), &h->min);
	h->has_max = val_num(rec_col(r, "max"), &h->max);
	if (val_num(rec_col(r, "hold_s"), &d))
		h->hold_s = (int64_t)d;
	if (val_num(rec_col(r, "priority"), &d))
		h->priority = (int)d;
	h->enabled = !val_num(rec_col(r, "enabled"), &d) || d != 0;
	return thr_valid(h, why, whylen);
}

static int load_cb(void *ctx, const struct store_rec *r)
{
	struct thr_set *s = ctx;
	struct threshold h;
	char why[160];
	if (!thrstore_from_rec(r, &s->a, &h, why, sizeof(why))) {
		s->nbad++;   /* not a usable threshold: as if absent */
		return 0;
	}
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		struct threshold *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv)
			return 1;
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = h;
	return 0;
}

enum gm_err thrstore_load(struct store *st, struct thr_set *s)
{
	memset(s, 0, sizeof(*s));
	arena_init(&s->a, 4096);
	return store_scan(st, schema_table(T_DEVICE_THRESHOLD), NULL, 0, load_cb, s);
}

void thrstore_free(struct thr_set *s)
{
	free(s->v);
	arena_free(&s->a);
	memset(s, 0, sizeof(*s));
}

const struct threshold *thrstore_choose(const struct thr_set *s, const char *cls,
					const char *scope, const char *quantity)
{
	const struct threshold *best = NULL;
	int bs = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i].quantity, quantity))
			continue;
		int sp = thr_specificity(&s->v[i], cls, scope);
		if (sp > bs) {   /* ties: the first by key */
			best = &s->v[i];
			bs = sp;
		}
	}
	return best && best->enabled ? best : NULL;
}

/* ------------------------------------------------------------- overriding */

/* The record named `name` in effect at `at`: deepest scope, then lowest key. */
struct base {
	const char *at;
	const char *name;
	size_t depth;
	bool found;
	struct gm_value v[ROWCLK_MAX_COLS];
	struct arena *a;
};

static int base_cb(void *ctx, const struct store_rec *r)
{
	struct base *b = ctx;
	const struct gm_value *n = rec_col(r, "name");
	size_t sl = strlen(r->scope);
	if (n->type != GM_TEXT || n->len != strlen(b->name) || memcmp(n->s, b->name, n->len) ||
	    strncmp(r->scope, b->at, sl) || (b->found && sl <= b->depth))
		return 0;
	b->found = true;
	b->depth = sl;
	for (unsigned j = 0; j < r->tab->ncols; j++) {
		b->v[j] = r->vals[j];
		if (b->v[j].type == GM_TEXT)
			b->v[j].s = arena_strndup(b->a, r->vals[j].s, r->vals[j].len);
	}
	return 0;
}

static bool exists(struct store *st, enum table_id t, const char *key)
{
	struct store_rec r;
	store_rec_init(&r);
	bool ok = store_get(st, schema_table(t), key, &r) == GM_OK && clk_zero(r.del);
	store_rec_free(&r);
	return ok;
}

/* "*", a component class, or a major class some component class is in. */
static bool component_known(struct store *st, const char *cls)
{
	char code[8];
	if (!strcmp(cls, "*"))
		return true;
	if (strlen(cls) == 4)
		return exists(st, T_CAT_COMPONENT, cls);
	for (int m = 1; strlen(cls) == 2 && m <= 99; m++) {
		snprintf(code, sizeof(code), "%s%02d", cls, m);
		if (exists(st, T_CAT_COMPONENT, code))
			return true;
	}
	return false;
}

enum gm_err thrstore_put(struct store *st, const char *name, unsigned nset, const uint8_t *cols,
			 const struct gm_value *vals, const char *actor, char *key_out,
			 size_t keylen)
{
	const struct table_def *tab = schema_table(T_DEVICE_THRESHOLD);
	struct arena a;
	struct base b = { .at = store_code(st), .name = name, .a = &a };
	struct store_rec r;
	struct threshold h;
	uint8_t all[ROWCLK_MAX_COLS];
	char why[160];
	enum gm_err e;

	if (!rules_name_valid(name))
		return store_fail(st, GM_E_INVAL, "threshold name '%s' is not 1-%d letters, digits,"
				  " '.', '_' or '-'", name ? name : "", RULE_NAME_MAX);
	arena_init(&a, 1024);
	store_rec_init(&r);
	for (unsigned j = 0; j < tab->ncols; j++) {
		b.v[j] = gm_nil();
		all[j] = (uint8_t)j;
	}
	if ((e = store_scan(st, tab, NULL, 0, base_cb, &b)))
		goto out_free;
	for (unsigned i = 0; i < nset; i++) {
		if (cols[i] >= tab->ncols) {
			e = store_fail(st, GM_E_INVAL, "%s has no column %u", tab->name, cols[i]);
			goto out_free;
		}
		b.v[cols[i]] = vals[i];
		if (!store_coerce(&tab->cols[cols[i]], &b.v[cols[i]])) {
			e = store_fail(st, GM_E_INVAL, "%s: wrong type", tab->cols[cols[i]].name);
			goto out_free;
		}
	}
	b.v[schema_col(tab, "name", 4)] = gm_text(name);
	r.tab = tab;
	snprintf(r.key, sizeof(r.key), "%s:%s", store_code(st), name);
	snprintf(r.scope, sizeof(r.scope), "%s", store_code(st));
	memcpy(r.vals, b.v, sizeof(r.vals[0]) * tab->ncols);
	/* a threshold switched off is never used: it need not be a good one */
	const struct gm_value *en = &b.v[schema_col(tab, "enabled", 7)];
	if (!(en->type == GM_INT && en->i == 0)) {
		if (!thrstore_from_rec(&r, &a, &h, why, sizeof(why))) {
			e = store_fail(st, GM_E_INVAL, "threshold %s: %s", name, why);
			goto out_free;
		}
		if (!exists(st, T_CAT_EVENT, h.event)) {
			e = store_fail(st, GM_E_INVAL, "threshold %s: '%s' is not an event class"
				       " (gridctl category list)", name, h.event);
			goto out_free;
		}
		if (!component_known(st, h.cls)) {
			e = store_fail(st, GM_E_INVAL, "threshold %s: '%s' is not a component class"
				       " (gridctl category list --component)", name, h.cls);
			goto out_free;
		}
	}
	struct store_write w = {
		.tab = tab, .key = r.key, .nset = tab->ncols, .cols = all, .vals = b.v,
		.actor = actor, .mode = W_UPSERT,
	};
	if ((e = store_begin(st)))
		goto out_free;
	if ((e = store_put(st, &w, NULL))) {
		store_rollback(st);
		goto out_free;
	}
	if ((e = store_commit(st)))
		goto out_free;
	if (key_out)
		snprintf(key_out, keylen, "%s", r.key);
out_free:
	store_rec_free(&r);
	arena_free(&a);
	return e;
}
