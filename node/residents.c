/* residents.c - per-grid resident aggregates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "residents.h"
#include "fieldcrypt.h"
#include "store_int.h"

static const char *const bands[] = { "0-17", "18-59", "60-79", "80+" };

struct agg {
	struct store *st;
	int year;
	long residents;
	long band[4];
	json_t *tags;          /* tag -> count */
	bool undecodable;
};

static void count_tags(struct agg *a, const struct store_rec *r, const struct gm_value *v)
{
	char clear[4096];
	const char *s;
	if (v->type != GM_TEXT)
		return;
	if (fieldcrypt_is_sealed(v)) {
		if (!a->st->field_key ||
		    !fieldcrypt_open(a->st->field_key, "person", "tags", r->key, v, clear,
				     sizeof(clear))) {
			a->undecodable = true;
			return;
		}
		s = clear;
	} else {
		snprintf(clear, sizeof(clear), "%.*s", (int)v->len, v->s);
		s = clear;
	}
	char *save = NULL, *copy = strdup(s);
	if (!copy)
		return;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (!*t)
			continue;
		json_t *n = json_object_get(a->tags, t);
		json_object_set_new(a->tags, t, json_integer(n ? json_integer_value(n) + 1 : 1));
	}
	free(copy);
}

static int person_cb(void *ctx, const struct store_rec *r)
{
	struct agg *a = ctx;
	const struct table_def *t = r->tab;
	a->residents++;
	const struct gm_value *by = &r->vals[schema_col(t, "birth_year", 10)];
	if (by->type == GM_INT) {
		int age = a->year - (int)by->i;
		a->band[age < 18 ? 0 : age < 60 ? 1 : age < 80 ? 2 : 3]++;
	}
	count_tags(a, r, &r->vals[schema_col(t, "tags", 4)]);
	return 0;
}

static int household_cb(void *ctx, const struct store_rec *r)
{
	(void)r;
	(*(long *)ctx)++;
	return 0;
}

static json_t *suppressed(long n)
{
	return n < RESIDENTS_MIN_COUNT ? json_null() : json_integer(n);
}

enum gm_err residents_refresh(struct store *st, const char *grid)
{
	struct agg a = { .st = st };
	long households = 0;
	time_t now = time(NULL);
	struct tm tm;
	enum gm_err e;

	if (code_level(grid, strlen(grid)) != LEVEL_GRID)
		return GM_OK;
	gmtime_r(&now, &tm);
	a.year = tm.tm_year + 1900;
	a.tags = json_object();
	struct store_filter f = { .col = -1, .v = gm_text(grid) };
	if ((e = store_scan(st, schema_table(T_PERSON), &f, 1, person_cb, &a)) ||
	    (e = store_scan(st, schema_table(T_HOUSEHOLD), &f, 1, household_cb, &households)))
		goto out_free;
	if (a.undecodable) {
		/* without the street key we cannot count tags: leave the aggregate alone */
		e = GM_OK;
		goto out_free;
	}
	json_t *by_age = json_object(), *by_tag = json_object();
	for (int i = 0; i < 4; i++)
		json_object_set_new(by_age, bands[i], suppressed(a.band[i]));
	const char *k;
	json_t *v;
	json_object_foreach(a.tags, k, v)
		json_object_set_new(by_tag, k, suppressed((long)json_integer_value(v)));
	char *age_s = json_dumps(by_age, JSON_COMPACT | JSON_SORT_KEYS);
	char *tag_s = json_dumps(by_tag, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(by_age);
	json_decref(by_tag);
	if (!age_s || !tag_s) {
		free(age_s);
		free(tag_s);
		e = GM_E_NOMEM;
		goto out_free;
	}

	const struct table_def *t = schema_table(T_RESIDENT_AGG);
	struct gm_value vals[5] = {
		a.residents < RESIDENTS_MIN_COUNT ? gm_nil() : gm_int(a.residents),
		households < RESIDENTS_MIN_COUNT ? gm_nil() : gm_int(households),
		gm_text(age_s), gm_text(tag_s), gm_int((int64_t)now),
	};
	uint8_t cols[5];
	static const char *const names[] = { "residents", "households", "by_age", "by_tag",
					     "updated" };
	for (int i = 0; i < 5; i++)
		cols[i] = (uint8_t)schema_col(t, names[i], strlen(names[i]));

	/* unchanged counts: write nothing, sync nothing */
	struct store_rec cur;
	bool same = false;
	store_rec_init(&cur);
	if (store_load(st, t, grid, 0, &cur) == GM_OK && clk_zero(cur.del)) {
		same = true;
		for (int i = 0; i < 4; i++)
			same &= gm_value_eq(&cur.vals[cols[i]], &vals[i]);
	}
	store_rec_free(&cur);
	e = GM_OK;
	if (!same) {
		struct store_write w = { .tab = t, .key = grid, .scope = grid, .nset = 5, .cols = cols,
					 .vals = vals, .actor = "aggregate", .mode = W_UPSERT };
		e = store_put(st, &w, NULL);
	}
	free(age_s);
	free(tag_s);
out_free:
	json_decref(a.tags);
	return e;
}

struct grids {
	char (*v)[CODE_MAX + 1];
	size_t n, cap;
};

static int grid_cb(void *ctx, const struct store_rec *r)
{
	struct grids *g = ctx;
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->v[i], r->scope))
			return 0;
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 64;
		void *nv = realloc(g->v, nc * sizeof(*g->v));
		if (!nv)
			return 1;
		g->v = nv;
		g->cap = nc;
	}
	snprintf(g->v[g->n++], CODE_MAX + 1, "%s", r->scope);
	return 0;
}

enum gm_err residents_refresh_all(struct store *st)
{
	struct grids g = { 0 };
	enum gm_err e;
	if (!st->field_key)
		return GM_OK;
	if ((e = store_scan(st, schema_table(T_PERSON), NULL, 0, grid_cb, &g)))
		goto out_free;
	if ((e = store_begin(st)))
		goto out_free;
	for (size_t i = 0; i < g.n && !e; i++)
		e = residents_refresh(st, g.v[i]);
	if (e)
		store_rollback(st);
	else
		e = store_commit(st);
out_free:
	free(g.v);
	return e;
}
