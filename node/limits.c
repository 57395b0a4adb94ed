/* limits.c - time limits from the time_limit reference table. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "limits.h"
#include "store.h"

struct lrow {
	bool dispatch;          /* stage: dispatch, else handle */
	char category[8];       /* "0102", "01" or "" for * */
	int64_t priority;       /* 0 = any */
	struct tlimit lim;
};

struct limits {
	struct lrow *rows;
	size_t n, cap;
	bool oom;
};

bool tlimit_parse(const char *s, size_t len, struct tlimit *out)
{
	size_t i = 0;
	int64_t n = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9' && n <= 100000)
		n = n * 10 + (s[i++] - '0');
	if (i == 0 || n > 100000)
		return false;
	out->n = n;
	out->working = i < len && s[i] == 'w';
	if (out->working)
		i++;
	if (i + 1 != len)
		return false;
	switch (s[i]) {
	case 'm': out->unit = TL_MIN; break;
	case 'h': out->unit = TL_HOUR; break;
	case 'd': out->unit = TL_DAY; break;
	default: return false;
	}
	return true;
}

void tlimit_format(const struct tlimit *l, char *buf, size_t len)
{
	static const char units[] = "mhd";
	snprintf(buf, len, "%lld%s%c", (long long)l->n, l->working ? "w" : "", units[l->unit]);
}

int64_t tlimit_add(const struct calendar *c, int64_t t, const struct tlimit *l)
{
	static const int64_t mins[] = { 1, 60, 1440 };
	if (!l->working)
		return t + l->n * mins[l->unit] * 60;
	int64_t m = l->unit == TL_DAY ? l->n * cal_workday_minutes(c) : l->n * mins[l->unit];
	return cal_add_working(c, t, m);
}

static int text_eq(const struct gm_value *v, const char *s)
{
	return v->type == GM_TEXT && v->len == strlen(s) && memcmp(v->s, s, v->len) == 0;
}

static int on_row(void *ctx, const struct store_rec *r)
{
	struct limits *l = ctx;
	const struct table_def *t = r->tab;
	const struct gm_value *stage = &r->vals[schema_col(t, "stage", 5)];
	const struct gm_value *cat = &r->vals[schema_col(t, "category", 8)];
	const struct gm_value *prio = &r->vals[schema_col(t, "priority", 8)];
	const struct gm_value *dur = &r->vals[schema_col(t, "duration", 8)];
	struct lrow row = { 0 };

	if (!text_eq(stage, "dispatch") && !text_eq(stage, "handle"))
		return 0;
	if (dur->type != GM_TEXT || !tlimit_parse(dur->s, dur->len, &row.lim))
		return 0;
	row.dispatch = text_eq(stage, "dispatch");
	if (cat->type == GM_TEXT && !text_eq(cat, "*")) {
		if (cat->len >= sizeof(row.category))
			return 0;
		memcpy(row.category, cat->s, cat->len);
	}
	row.priority = prio->type == GM_INT ? prio->i : 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		struct lrow *p = realloc(l->rows, ncap * sizeof(*p));
		if (!p) {
			l->oom = true;
			return 1;
		}
		l->rows = p;
		l->cap = ncap;
	}
	l->rows[l->n++] = row;
	return 0;
}

enum gm_err limits_load(struct store *st, struct limits **out)
{
	struct limits *l = calloc(1, sizeof(*l));
	if (!l)
		return GM_E_NOMEM;
	enum gm_err e = store_scan(st, schema_table(T_TIME_LIMIT), NULL, 0, on_row, l);
	if (!e && l->oom)
		e = GM_E_NOMEM;
	if (e) {
		limits_free(l);
		return e;
	}
	*out = l;
	return GM_OK;
}

void limits_free(struct limits *l)
{
	if (!l)
		return;
	free(l->rows);
	free(l);
}

/* Best row of a stage: specificity of the class, then the priority. */
static const struct lrow *best(const struct limits *l, bool dispatch, const char *category,
			       int64_t priority)
{
	const struct lrow *b = NULL;
	int bscore = -1;
	for (size_t i = 0; i < l->n; i++) {
		const struct lrow *r = &l->rows[i];
		size_t cl = strlen(r->category);
		int score;
		if (r->dispatch != dispatch)
			continue;
		if (r->priority && r->priority != priority)
			continue;
		if (!cl)
			score = 0;
		else if (strncmp(category, r->category, cl) == 0 && category[cl] == 0)
			score = 4;
		else if (cl < strlen(category) && strncmp(category, r->category, cl) == 0)
			score = 2;
		else
			continue;
		score += r->priority ? 1 : 0;
		/* equal scores: the first row in key order, the same on every node */
		if (score > bscore) {
			b = r;
			bscore = score;
		}
	}
	return b;
}

bool limits_deadline(const struct limits *l, const struct calendar *c, const char *category,
		     int64_t priority, int64_t created, int64_t *deadline)
{
	if (!priority)
		priority = 3;
	const struct lrow *d = best(l, true, category, priority);
	const struct lrow *h = best(l, false, category, priority);
	if (!d && !h)
		return false;
	int64_t t = created;
	if (d)
		t = tlimit_add(c, t, &d->lim);
	if (h)
		t = tlimit_add(c, t, &h->lim);
	*deadline = t;
	return true;
}

enum gm_err limits_ticket_deadline(struct store *st, const char *category, int64_t priority,
				   int64_t created, int64_t *deadline, bool *has)
{
	struct calendar cal;
	struct limits *l;
	enum gm_err e;
	if ((e = cal_load(st, &cal)) || (e = limits_load(st, &l)))
		return e;
	*has = limits_deadline(l, &cal, category, priority, created, deadline);
	limits_free(l);
	return GM_OK;
}
