/* rules.c - rule records in the store: effective sets, dispatch, edits, checks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"
#include "store_int.h"
#include "tickets.h"
#include "../proto/arena.h"

static const struct gm_value nil_value = { .type = GM_NIL };

const struct table_def *rules_table(enum rule_kind k)
{
	return schema_table(k == RULE_CLASSIFY ? T_CLASSIFY_RULE : T_DISPATCH_RULE);
}

const char *rules_kind_name(enum rule_kind k)
{
	return k == RULE_CLASSIFY ? "classify" : "dispatch";
}

bool rules_kind_parse(const char *s, enum rule_kind *k)
{
	if (s && strcmp(s, "classify") == 0)
		*k = RULE_CLASSIFY;
	else if (s && strcmp(s, "dispatch") == 0)
		*k = RULE_DISPATCH;
	else
		return false;
	return true;
}

bool rules_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > RULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static const char *txt(const struct gm_value *v)
{
	return v->type == GM_TEXT ? v->s : NULL;
}

static bool prefix_of(const char *p, const char *s)
{
	return scope_within(s, strlen(s), p, strlen(p));
}

/* ------------------------------------------------------------- rule sets */

struct load_ctx {
	struct ruleset *rs;
	struct arena *ar;
	int name_col, enabled_col;
	bool oom;
};

static int load_row(void *ctx, const struct store_rec *r)
{
	struct load_ctx *l = ctx;
	struct ruleset *rs = l->rs;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 128;
		struct rule_row *v = realloc(rs->rows, cap * sizeof(*v));
		if (!v) {
			l->oom = true;
			return 1;
		}
		rs->rows = v;
		rs->cap = cap;
	}
	struct rule_row *w = &rs->rows[rs->n];
	memset(w, 0, sizeof(*w));
	w->key = arena_strndup(l->ar, r->key, strlen(r->key));
	w->scope = arena_strndup(l->ar, r->scope, strlen(r->scope));
	if (!w->key || !w->scope) {
		l->oom = true;
		return 1;
	}
	for (unsigned j = 0; j < rs->tab->ncols; j++) {
		w->vals[j] = r->vals[j];
		if (r->vals[j].type != GM_TEXT)
			continue;
		/* NUL-terminated copies: the set's text reads as C strings */
		w->vals[j].s = arena_strndup(l->ar, r->vals[j].s, r->vals[j].len);
		if (!w->vals[j].s) {
			l->oom = true;
			return 1;
		}
	}
	w->name = txt(&w->vals[l->name_col]);
	const struct gm_value *en = &w->vals[l->enabled_col];
	w->enabled = !(en->type == GM_INT && en->i == 0);
	rs->n++;
	return 0;
}

/* By name (nameless last), deepest scope first, then key. */
static int row_cmp(const void *a, const void *b)
{
	const struct rule_row *x = a, *y = b;
	if (!x->name || !y->name)
		return (x->name == NULL) - (y->name == NULL);
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	size_t lx = strlen(x->scope), ly = strlen(y->scope);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return strcmp(x->key, y->key);
}

enum gm_err rules_load(struct store *st, enum rule_kind k, struct ruleset **out)
{
	struct ruleset *rs = calloc(1, sizeof(*rs));
	struct arena *ar = malloc(sizeof(*ar));
	enum gm_err e;

	if (!rs || !ar) {
		free(rs);
		free(ar);
		return store_fail(st, GM_E_NOMEM, "out of memory");
	}
	arena_init(ar, 32768);
	rs->kind = k;
	rs->tab = rules_table(k);
	rs->priv = ar;
	struct load_ctx l = {
		.rs = rs, .ar = ar,
		.name_col = schema_col(rs->tab, "name", 4),
		.enabled_col = schema_col(rs->tab, "enabled", 7),
	};
	e = store_scan(st, rs->tab, NULL, 0, load_row, &l);
	if (!e && l.oom)
		e = store_fail(st, GM_E_NOMEM, "out of memory loading %s rules", rules_kind_name(k));
	if (e) {
		rules_free(rs);
		return e;
	}
	if (rs->n)
		qsort(rs->rows, rs->n, sizeof(*rs->rows), row_cmp);
	*out = rs;
	return GM_OK;
}

void rules_free(struct ruleset *rs)
{
	if (!rs)
		return;
	if (rs->priv) {
		arena_free(rs->priv);
		free(rs->priv);
	}
	free(rs->rows);
	free(rs);
}

void rules_resolve(struct ruleset *rs, const char *at)
{
	size_t i = 0;
	while (i < rs->n) {
		struct rule_row *r = &rs->rows[i];
		if (!r->name) {
			r->state = RULE_BAD;
			i++;
			continue;
		}
		/* one name's rows: the first on the place's line wins (sorted) */
		const struct rule_row *win = NULL;
		size_t j = i;
		for (; j < rs->n && rs->rows[j].name && strcmp(rs->rows[j].name, r->name) == 0; j++) {
			struct rule_row *x = &rs->rows[j];
			x->by = NULL;
			if (!prefix_of(x->scope, at)) {
				x->state = RULE_ELSEWHERE;
			} else if (!win) {
				x->state = RULE_IN_EFFECT;
				win = x;
			} else {
				x->state = RULE_OVERRIDDEN;
				x->by = win->key;
			}
		}
		i = j;
	}
}

const struct gm_value *rules_val(const struct ruleset *rs, const struct rule_row *r,
				 const char *col)
{
	int j = schema_col(rs->tab, col, strlen(col));
	return j < 0 ? &nil_value : &r->vals[j];
}

static int64_t ival(const struct gm_value *v)
{
	return v->type == GM_INT ? v->i : v->type == GM_REAL ? (int64_t)v->d : 0;
}

static double rval(const struct gm_value *v)
{
	return v->type == GM_REAL ? v->d : v->type == GM_INT ? (double)v->i : NAN;
}

void rules_row_dispatch(const struct ruleset *rs, const struct rule_row *r,
			struct dispatch_rule *out)
{
	int64_t pr = ival(rules_val(rs, r, "priority"));
	memset(out, 0, sizeof(*out));
	out->key = r->key;
	out->name = r->name;
	out->scope = r->scope;
	out->cls = txt(rules_val(rs, r, "class"));
	out->area = txt(rules_val(rs, r, "area"));
	/* out-of-range priorities stay out of range, for dispatch_rule_valid */
	out->priority = pr < 0 || pr > 5 ? -1 : (int)pr;
	out->assignee = txt(rules_val(rs, r, "assignee"));
	out->hours = rval(rules_val(rs, r, "hours"));
	out->enabled = r->enabled;
}

/* Compiles a classify row into c; GM_E_INVAL with why if it is no rule. */
static enum gm_err classify_row(const struct ruleset *rs, const struct rule_row *r,
				struct classifier *c, char *why, size_t whylen)
{
	const struct gm_value *w = rules_val(rs, r, "weight");
	if (w->type != GM_INT || w->i < -CLASSIFY_MAX_WEIGHT || w->i > CLASSIFY_MAX_WEIGHT) {
		snprintf(why, whylen, "weight is not a whole number from -%d to %d",
			 CLASSIFY_MAX_WEIGHT, CLASSIFY_MAX_WEIGHT);
		return GM_E_INVAL;
	}
	return classifier_add(c, r->name, txt(rules_val(rs, r, "class")),
			      txt(rules_val(rs, r, "lang")), txt(rules_val(rs, r, "phrases")),
			      (int)w->i, why, whylen);
}

/* ---------------------------------------------------------------- using */

enum gm_err rules_classifier(struct store *st, const char *at, struct classifier **out,
			     unsigned *nbad)
{
	struct ruleset *rs;
	struct classifier *c;
	char why[256];
	unsigned bad = 0;
	enum gm_err e;

	if ((e = rules_load(st, RULE_CLASSIFY, &rs)))
		return e;
	if ((e = classifier_new(&c))) {
		rules_free(rs);
		return store_fail(st, e, "out of memory");
	}
	rules_resolve(rs, at);
	for (size_t i = 0; i < rs->n && !e; i++) {
		const struct rule_row *r = &rs->rows[i];
		if (r->state != RULE_IN_EFFECT || !r->enabled)
			continue;
		e = classify_row(rs, r, c, why, sizeof(why));
		if (e == GM_E_INVAL) {
			bad++;
			e = GM_OK;
		}
	}
	rules_free(rs);
	if (e) {
		classifier_free(c);
		return store_fail(st, e, "out of memory");
	}
	if (nbad)
		*nbad = bad;
	*out = c;
	return GM_OK;
}

/* The rules in effect at `at` as dispatch rules (into a new array). */
static enum gm_err dispatch_set(struct store *st, struct ruleset *rs, const char *at,
				struct dispatch_rule **out, size_t *n)
{
	rules_resolve(rs, at);
	struct dispatch_rule *v = calloc(rs->n ? rs->n : 1, sizeof(*v));
	if (!v)
		return store_fail(st, GM_E_NOMEM, "out of memory");
	*n = 0;
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rows[i].state == RULE_IN_EFFECT)
			rules_row_dispatch(rs, &rs->rows[i], &v[(*n)++]);
	*out = v;
	return GM_OK;
}

static void format_hours(char *buf, size_t len, double h)
{
	snprintf(buf, len, "%g h", h);
}

static void say_conflict(struct rules_dispatch_out *out, const struct dispatch_choice *ch,
			 const char *cls, const char *scope)
{
	size_t n = (size_t)snprintf(out->msg, sizeof(out->msg),
				    "conflicting dispatch rules for class %s at %s:", cls, scope);
	for (unsigned i = 0; i < ch->ntied && n < sizeof(out->msg); i++) {
		char h[32];
		format_hours(h, sizeof(h), ch->tied[i]->hours);
		n += (size_t)snprintf(out->msg + n, sizeof(out->msg) - n, "%s %s (%s, %s)",
				      i ? "," : "", ch->tied[i]->key, ch->tied[i]->assignee, h);
	}
	if (n < sizeof(out->msg))
		snprintf(out->msg + n, sizeof(out->msg) - n,
			 "; disable one (gridctl rule disable dispatch NAME) or add a more"
			 " specific rule");
}

enum gm_err rules_dispatch_ticket(struct store *st, const char *id, const char *actor,
				  bool dry_run, struct rules_dispatch_out *out)
{
	const struct table_def *t = schema_table(T_TICKET);
	struct store_rec r;
	struct ruleset *rs = NULL;
	struct dispatch_rule *set = NULL;
	struct dispatch_choice ch;
	char cls[16], scope[CODE_MAX + 1], status[32];
	size_t n = 0;
	enum gm_err e;

	memset(out, 0, sizeof(*out));
	store_rec_init(&r);
	/* read and write in one transaction: the status we check is the one we move */
	if ((e = store_begin(st)))
		goto out_free_rec;
	if ((e = store_get(st, t, id, &r)))
		goto out_rollback;
	if (!clk_zero(r.del)) {
		e = store_fail(st, GM_E_NOTFOUND, "ticket %s was deleted", id);
		goto out_rollback;
	}
	const struct gm_value *cv = &r.vals[schema_col(t, "category", 8)];
	const struct gm_value *sv = &r.vals[schema_col(t, "status", 6)];
	const struct gm_value *pv = &r.vals[schema_col(t, "priority", 8)];
	snprintf(cls, sizeof(cls), "%.*s", cv->type == GM_TEXT ? (int)cv->len : 0,
		 cv->type == GM_TEXT ? cv->s : "");
	snprintf(status, sizeof(status), "%.*s", sv->type == GM_TEXT ? (int)sv->len : 0,
		 sv->type == GM_TEXT ? sv->s : "");
	snprintf(scope, sizeof(scope), "%s", r.scope);
	if (!ticket_move_ok(status, "dispatched")) {
		e = store_fail(st, GM_E_STATE, "ticket %s is %s: only registered, dispatched or"
			       " resolved tickets are dispatched", id, status);
		goto out_rollback;
	}
	if ((e = rules_load(st, RULE_DISPATCH, &rs)) || (e = dispatch_set(st, rs, scope, &set, &n)))
		goto out_rollback;
	struct dispatch_ticket tk = {
		.cls = cls, .scope = scope, .priority = pv->type == GM_INT ? (int)pv->i : 0,
	};
	dispatch_choose(set, n, &tk, &ch);
	out->verdict = ch.verdict;
	if (ch.verdict == DISPATCH_NONE) {
		snprintf(out->msg, sizeof(out->msg), "no dispatch rule matches class %s at %s", cls,
			 scope);
		e = store_fail(st, GM_E_NOTFOUND, "%s", out->msg);
		goto out_rollback;
	}
	if (ch.verdict == DISPATCH_CONFLICT) {
		say_conflict(out, &ch, cls, scope);
		e = store_fail(st, GM_E_STATE, "%s", out->msg);
		goto out_rollback;
	}
	char h[32], note[BATCH_MAX_KEY + 192];
	format_hours(h, sizeof(h), ch.rule->hours);
	snprintf(out->rule, sizeof(out->rule), "%s", ch.rule->key);
	snprintf(out->assignee, sizeof(out->assignee), "%s", ch.rule->assignee);
	out->hours = ch.rule->hours;
	out->deadline = (int64_t)(store_wall(st) / 1000) + (int64_t)llround(ch.rule->hours * 3600);
	snprintf(note, sizeof(note), "dispatched by rule %s (%s, %s)", out->rule, out->assignee, h);
	snprintf(out->msg, sizeof(out->msg), "%s", note);
	if (dry_run)
		goto out_rollback;
	uint8_t cols[3] = {
		(uint8_t)schema_col(t, "status", 6), (uint8_t)schema_col(t, "assignee", 8),
		(uint8_t)schema_col(t, "deadline", 8),
	};
	struct gm_value vals[3] = {
		gm_text("dispatched"), gm_text(out->assignee), gm_int(out->deadline),
	};
	struct store_write w = {
		.tab = t, .key = id, .nset = 3, .cols = cols, .vals = vals, .actor = actor,
		.note = note, .mode = W_UPDATE,
	};
	if ((e = store_put(st, &w, NULL)))
		goto out_rollback;
	e = store_commit(st);
	goto out_free_set;

out_rollback:
	store_rollback(st);
out_free_set:
	free(set);
	rules_free(rs);
out_free_rec:
	store_rec_free(&r);
	return e;
}

/* -------------------------------------------------------------- editing */

/* An event class ("0102") or a major class ("01") that the node knows. */
static bool class_known(struct store *st, const char *cls)
{
	const struct table_def *ev = schema_table(T_CAT_EVENT);
	struct store_rec r;
	bool ok = false;

	store_rec_init(&r);
	if (strlen(cls) == 4) {
		ok = store_get(st, ev, cls, &r) == GM_OK && clk_zero(r.del);
	} else if (strlen(cls) == 2) {
		/* a major class exists when one of its event classes does */
		for (int m = 1; m <= 99 && !ok; m++) {
			char code[8];
			snprintf(code, sizeof(code), "%s%02d", cls, m);
			ok = store_get(st, ev, code, &r) == GM_OK && clk_zero(r.del);
		}
	}
	store_rec_free(&r);
	return ok;
}

/* The whole new rule, checked as its kind; GM_E_INVAL (message set) if not. */
static enum gm_err check_rule(struct store *st, enum rule_kind k, const struct table_def *tab,
			      const char *name, const struct gm_value *v, bool area_given)
{
	char why[256];
	const char *cls = txt(&v[schema_col(tab, "class", 5)]);

	for (unsigned j = 0; j < tab->ncols; j++)
		if ((tab->cols[j].flags & COL_REQUIRED) && v[j].type == GM_NIL)
			return store_fail(st, GM_E_INVAL, "%s rule '%s' needs %s (a new rule gives"
					  " every field)", rules_kind_name(k), name, tab->cols[j].name);
	if (k == RULE_CLASSIFY) {
		struct classifier *c;
		const struct gm_value *w = &v[schema_col(tab, "weight", 6)];
		if (classifier_new(&c))
			return store_fail(st, GM_E_NOMEM, "out of memory");
		enum gm_err e = w->type != GM_INT || w->i < INT32_MIN || w->i > INT32_MAX
			? GM_E_INVAL
			: classifier_add(c, name, cls, txt(&v[schema_col(tab, "lang", 4)]),
					 txt(&v[schema_col(tab, "phrases", 7)]), (int)w->i, why,
					 sizeof(why));
		classifier_free(c);
		if (w->type != GM_INT || w->i < INT32_MIN || w->i > INT32_MAX)
			snprintf(why, sizeof(why), "weight is not a whole number from -%d to %d",
				 CLASSIFY_MAX_WEIGHT, CLASSIFY_MAX_WEIGHT);
		if (e)
			return store_fail(st, e, "classify rule '%s': %s", name, why);
	} else {
		struct dispatch_rule d = {
			.key = name, .name = name, .scope = store_code(st), .cls = cls,
			.area = txt(&v[schema_col(tab, "area", 4)]),
			.assignee = txt(&v[schema_col(tab, "assignee", 8)]),
			.hours = rval(&v[schema_col(tab, "hours", 5)]),
			.enabled = true,
		};
		const struct gm_value *pr = &v[schema_col(tab, "priority", 8)];
		d.priority = pr->type == GM_NIL ? 0 : pr->i < 1 || pr->i > 5 ? -1 : (int)pr->i;
		if (!dispatch_rule_valid(&d, why, sizeof(why)))
			return store_fail(st, GM_E_INVAL, "dispatch rule '%s': %s", name, why);
		if (area_given && d.area && !prefix_of(store_code(st), d.area))
			return store_fail(st, GM_E_SCOPE, "dispatch rule '%s': area %s is outside"
					  " this node (%s)", name, d.area, store_code(st));
	}
	if (cls && strcmp(cls, "*") != 0 && !class_known(st, cls))
		return store_fail(st, GM_E_INVAL, "%s rule '%s': '%s' is not an event class"
				  " (gridctl category list)", rules_kind_name(k), name, cls);
	return GM_OK;
}

static const struct rule_row *in_effect(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rows[i].state == RULE_IN_EFFECT && strcmp(rs->rows[i].name, name) == 0)
			return &rs->rows[i];
	return NULL;
}

enum gm_err rules_put(struct store *st, enum rule_kind k, const char *name,
		      unsigned nset, const uint8_t *cols, const struct gm_value *vals,
		      const char *actor, char *key_out, size_t keylen)
{
	const struct table_def *tab = rules_table(k);
	struct gm_value v[ROWCLK_MAX_COLS];
	uint8_t all[ROWCLK_MAX_COLS];
	char key[BATCH_MAX_KEY + 1];
	struct ruleset *rs;
	bool area_given = false;
	enum gm_err e;

	if (!rules_name_valid(name))
		return store_fail(st, GM_E_INVAL, "rule name '%s' is not 1-%d letters, digits,"
				  " '.', '_' or '-'", name ? name : "", RULE_NAME_MAX);
	if ((e = rules_load(st, k, &rs)))
		return e;
	rules_resolve(rs, store_code(st));
	const struct rule_row *base = in_effect(rs, name);
	for (unsigned j = 0; j < tab->ncols; j++) {
		v[j] = base ? base->vals[j] : gm_nil();
		all[j] = (uint8_t)j;
	}
	for (unsigned i = 0; i < nset; i++) {
		if (cols[i] >= tab->ncols) {
			e = store_fail(st, GM_E_INVAL, "%s has no column %u", tab->name, cols[i]);
			goto out_free_set;
		}
		v[cols[i]] = vals[i];
		if (!store_coerce(&tab->cols[cols[i]], &v[cols[i]])) {
			e = store_fail(st, GM_E_INVAL, "%s: wrong type", tab->cols[cols[i]].name);
			goto out_free_set;
		}
		area_given |= strcmp(tab->cols[cols[i]].name, "area") == 0;
	}
	v[schema_col(tab, "name", 4)] = gm_text(name);
	/* a rule switched off is never used: even a malformed one may be */
	const struct gm_value *en = &v[schema_col(tab, "enabled", 7)];
	bool off = en->type == GM_INT && en->i == 0;
	if (!off && (e = check_rule(st, k, tab, name, v, area_given)))
		goto out_free_set;
	snprintf(key, sizeof(key), "%s:%s", store_code(st), name);
	struct store_write w = {
		.tab = tab, .key = key, .nset = tab->ncols, .cols = all, .vals = v,
		.actor = actor, .mode = W_UPSERT,
	};
	if ((e = store_begin(st)))
		goto out_free_set;
	if ((e = store_put(st, &w, NULL))) {
		store_rollback(st);
		goto out_free_set;
	}
	if ((e = store_commit(st)))
		goto out_free_set;
	if (key_out)
		snprintf(key_out, keylen, "%s", key);
out_free_set:
	rules_free(rs);   /* v[] pointed into it: used up by now */
	return e;
}

enum gm_err rules_set_enabled(struct store *st, enum rule_kind k, const char *name, bool on,
			      const char *actor, char *key_out, size_t keylen)
{
	struct ruleset *rs;
	enum gm_err e;

	if (!rules_name_valid(name))
		return store_fail(st, GM_E_INVAL, "rule name '%s' is not valid", name ? name : "");
	if ((e = rules_load(st, k, &rs)))
		return e;
	rules_resolve(rs, store_code(st));
	bool found = in_effect(rs, name) != NULL;
	rules_free(rs);
	if (!found)
		return store_fail(st, GM_E_NOTFOUND, "no %s rule '%s' in effect here (gridctl rule"
				  " list %s)", rules_kind_name(k), name, rules_kind_name(k));
	uint8_t col = (uint8_t)schema_col(rules_table(k), "enabled", 7);
	struct gm_value val = gm_int(on ? 1 : 0);
	return rules_put(st, k, name, 1, &col, &val, actor, key_out, keylen);
}

/* ------------------------------------------------------------- checking */

struct pair {
	char *a, *b;
};

struct check_ctx {
	struct store *st;
	rules_issue_cb cb;
	void *ctx;
	unsigned n;
	const char *at;
	struct pair *seen;
	size_t nseen, capseen;
	bool stop, oom;
};

static bool pair_seen(struct check_ctx *c, const char *a, const char *b)
{
	for (size_t i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i].a, a) == 0 && strcmp(c->seen[i].b, b) == 0)
			return true;
	if (c->nseen == c->capseen) {
		size_t cap = c->capseen ? c->capseen * 2 : 16;
		struct pair *v = realloc(c->seen, cap * sizeof(*v));
		if (!v) {
			c->oom = true;
			return true;
		}
		c->seen = v;
		c->capseen = cap;
	}
	c->seen[c->nseen].a = strdup(a);
	c->seen[c->nseen].b = strdup(b);
	if (!c->seen[c->nseen].a || !c->seen[c->nseen].b) {
		free(c->seen[c->nseen].a);
		free(c->seen[c->nseen].b);
		c->oom = true;
		return true;
	}
	c->nseen++;
	return false;
}

static int on_conflict(void *ctx, const struct dispatch_rule *a, const struct dispatch_rule *b)
{
	struct check_ctx *c = ctx;
	/* each pair once, in key order */
	if (strcmp(a->key, b->key) > 0) {
		const struct dispatch_rule *t = a;
		a = b;
		b = t;
	}
	if (pair_seen(c, a->key, b->key))
		return c->oom;
	struct rules_issue is = {
		.what = ISSUE_CONFLICT, .kind = RULE_DISPATCH, .at = c->at, .a = a, .b = b,
	};
	c->n++;
	c->stop = c->cb(c->ctx, &is) != 0;
	return c->stop;
}

static int issue_invalid(struct check_ctx *c, enum rule_kind k, const char *key, const char *why)
{
	struct rules_issue is = { .what = ISSUE_INVALID, .kind = k, .key = key, .why = why };
	c->n++;
	c->stop = c->cb(c->ctx, &is) != 0;
	return c->stop;
}

static enum gm_err check_invalid(struct check_ctx *c, struct ruleset *rs)
{
	char why[256];
	struct classifier *cl = NULL;

	if (rs->kind == RULE_CLASSIFY && classifier_new(&cl))
		return store_fail(c->st, GM_E_NOMEM, "out of memory");
	for (size_t i = 0; i < rs->n && !c->stop; i++) {
		const struct rule_row *r = &rs->rows[i];
		if (!r->enabled)
			continue;   /* inert, whatever it holds */
		if (!r->name || !rules_name_valid(r->name)) {
			issue_invalid(c, rs->kind, r->key, "no valid name");
			continue;
		}
		if (rs->kind == RULE_CLASSIFY) {
			if (classify_row(rs, r, cl, why, sizeof(why)))
				issue_invalid(c, rs->kind, r->key, why);
			continue;
		}
		struct dispatch_rule d;
		rules_row_dispatch(rs, r, &d);
		if (!dispatch_rule_valid(&d, why, sizeof(why))) {
			issue_invalid(c, rs->kind, r->key, why);
		} else if (d.area && !prefix_of(d.area, r->scope) && !prefix_of(r->scope, d.area)) {
			snprintf(why, sizeof(why), "area %s is outside its scope %s: it reaches no"
				 " ticket", d.area, r->scope);
			issue_invalid(c, rs->kind, r->key, why);
		}
	}
	classifier_free(cl);
	return GM_OK;
}

static int len_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x, y);
}

/*
 * Conflicts can only appear or disappear where a record's scope or a
 * rule's area starts, so checking the node itself and each such place
 * inside it (shallowest first) finds every one.
 */
static enum gm_err check_conflicts(struct check_ctx *c, struct ruleset *rs)
{
	const char *code = store_code(c->st);
	const char **places = calloc(2 * rs->n + 1, sizeof(*places));
	size_t np = 0;
	enum gm_err e = GM_OK;

	if (!places)
		return store_fail(c->st, GM_E_NOMEM, "out of memory");
	places[np++] = code;
	for (size_t i = 0; i < rs->n; i++) {
		const char *area = txt(rules_val(rs, &rs->rows[i], "area"));
		if (prefix_of(code, rs->rows[i].scope))
			places[np++] = rs->rows[i].scope;
		if (area && code_valid(area, strlen(area)) && prefix_of(code, area))
			places[np++] = area;
	}
	qsort(places, np, sizeof(*places), len_cmp);
	for (size_t p = 0; p < np && !c->stop && !c->oom && !e; p++) {
		struct dispatch_rule *set;
		size_t n, m = 0;
		if (p && strcmp(places[p], places[p - 1]) == 0)
			continue;
		if ((e = dispatch_set(c->st, rs, places[p], &set, &n)))
			break;
		/* only rules that reach tickets at this place */
		for (size_t i = 0; i < n; i++)
			if (prefix_of(dispatch_place(&set[i]), places[p]))
				set[m++] = set[i];
		c->at = places[p];
		dispatch_conflicts(set, m, on_conflict, c);
		free(set);
	}
	free(places);
	if (!e && c->oom)
		e = store_fail(c->st, GM_E_NOMEM, "out of memory");
	return e;
}

enum gm_err rules_check(struct store *st, rules_issue_cb cb, void *ctx, unsigned *n)
{
	struct check_ctx c = { .st = st, .cb = cb, .ctx = ctx };
	struct ruleset *rs = NULL;
	enum gm_err e;

	if ((e = rules_load(st, RULE_CLASSIFY, &rs)))
		return e;
	e = check_invalid(&c, rs);
	rules_free(rs);
	rs = NULL;
	if (!e && !c.stop && !(e = rules_load(st, RULE_DISPATCH, &rs))) {
		e = check_invalid(&c, rs);
		if (!e && !c.stop)
			e = check_conflicts(&c, rs);
	}
	rules_free(rs);
	for (size_t i = 0; i < c.nseen; i++) {
		free(c.seen[i].a);
		free(c.seen[i].b);
	}
	free(c.seen);
	if (n)
		*n = c.n;
	return e;
}
