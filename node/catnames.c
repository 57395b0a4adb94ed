/* catnames.c - class names out of the reference tables. */
#include <stdlib.h>
#include <string.h>
#include "catnames.h"
#include "store.h"

struct cn {
	char code[8];
	char major[8];
	char *minor_name, *major_name, *major_name_en;
};

struct catnames {
	struct cn *v;
	size_t n, cap;
	bool oom;
};

static char *dup(const struct gm_value *v)
{
	if (v->type != GM_TEXT)
		return NULL;
	char *s = malloc(v->len + 1);
	if (s) {
		memcpy(s, v->s, v->len);
		s[v->len] = 0;
	}
	return s;
}

static int on_rec(void *ctx, const struct store_rec *r)
{
	struct catnames *c = ctx;
	const struct table_def *t = r->tab;
	const struct gm_value *mc = &r->vals[schema_col(t, "major_code", 10)];
	if (strlen(r->key) >= sizeof(c->v[0].code))
		return 0;
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		struct cn *p = realloc(c->v, nc * sizeof(*p));
		if (!p) {
			c->oom = true;
			return 1;
		}
		c->v = p;
		c->cap = nc;
	}
	struct cn *e = &c->v[c->n++];
	memset(e, 0, sizeof(*e));
	strcpy(e->code, r->key);
	if (mc->type == GM_TEXT && mc->len < sizeof(e->major)) {
		memcpy(e->major, mc->s, mc->len);
		e->major[mc->len] = 0;
	}
	e->minor_name = dup(&r->vals[schema_col(t, "minor_name", 10)]);
	e->major_name = dup(&r->vals[schema_col(t, "major_name", 10)]);
	e->major_name_en = dup(&r->vals[schema_col(t, "major_name_en", 13)]);
	return 0;
}

enum gm_err catnames_load(struct store *st, enum table_id t, struct catnames **out)
{
	struct catnames *c = calloc(1, sizeof(*c));
	if (!c)
		return GM_E_NOMEM;
	/* store_scan walks in key order: the array comes sorted */
	enum gm_err e = store_scan(st, schema_table(t), NULL, 0, on_rec, c);
	if (!e && c->oom)
		e = GM_E_NOMEM;
	if (e) {
		catnames_free(c);
		return e;
	}
	*out = c;
	return GM_OK;
}

void catnames_free(struct catnames *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].minor_name);
		free(c->v[i].major_name);
		free(c->v[i].major_name_en);
	}
	free(c->v);
	free(c);
}

static int cmp_code(const void *k, const void *e)
{
	return strcmp(k, ((const struct cn *)e)->code);
}

const char *catnames_minor(const struct catnames *c, const char *code)
{
	const struct cn *e = c->n ? bsearch(code, c->v, c->n, sizeof(*c->v), cmp_code) : NULL;
	return e ? e->minor_name : NULL;
}

static const struct cn *major_entry(const struct catnames *c, const char *major)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].major, major) == 0)
			return &c->v[i];
	return NULL;
}

const char *catnames_major(const struct catnames *c, const char *major)
{
	const struct cn *e = major_entry(c, major);
	return e ? e->major_name : NULL;
}

const char *catnames_major_en(const struct catnames *c, const char *major)
{
	const struct cn *e = major_entry(c, major);
	return e ? e->major_name_en : NULL;
}

const char *catnames_code(const struct catnames *c, size_t i)
{
	return i < c->n ? c->v[i].code : NULL;
}
