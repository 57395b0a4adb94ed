/* tkimport.c - one foreign record in as a ticket with its history. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tkimport.h"
#include "limits.h"
#include "store_int.h"
#include "tickets.h"

bool tkimport_refusal(enum gm_err e)
{
	return e == GM_E_SCOPE || e == GM_E_INVAL || e == GM_E_TOOBIG || e == GM_E_NOTFOUND ||
	       e == GM_E_EXISTS;
}

static bool text_ok(const char *s)
{
	return !s || strlen(s) <= BATCH_MAX_TEXT;
}

bool tkimport_check(struct store *st, const struct tki_ticket *t, char *why, size_t whylen)
{
	const char *code = store_code(st);
	size_t sl = strlen(t->scope);
	if (!t->id[0] || strlen(t->id) > BATCH_MAX_KEY) {
		snprintf(why, whylen, "no usable id");
		return false;
	}
	if ((sl && !code_valid(t->scope, sl)) ||
	    (!scope_within(t->scope, sl, code, strlen(code)) &&
	     !(store_level(st) == LEVEL_CITY && !sl))) {
		snprintf(why, whylen, "scope '%s' is outside this node (%s)", t->scope, code);
		return false;
	}
	if (!t->category || !*t->category) {
		snprintf(why, whylen, "no category");
		return false;
	}
	struct store_rec r;
	store_rec_init(&r);
	enum gm_err e = store_get(st, schema_table(T_CAT_EVENT), t->category, &r);
	bool live = !e && clk_zero(r.del);
	store_rec_free(&r);
	if (!live) {
		snprintf(why, whylen, "category '%s' is not an event class", t->category);
		return false;
	}
	if (!t->title || !*t->title) {
		snprintf(why, whylen, "no title");
		return false;
	}
	if (!text_ok(t->title) || !text_ok(t->descr) || !text_ok(t->address) ||
	    !text_ok(t->assignee)) {
		snprintf(why, whylen, "a text longer than %d bytes", BATCH_MAX_TEXT);
		return false;
	}
	if (t->source && !ticket_source_valid(t->source)) {
		snprintf(why, whylen, "source '%s' is not a ticket source", t->source);
		return false;
	}
	if (t->priority < 0 || t->priority > 5) {
		snprintf(why, whylen, "priority %lld is not 1 to 5", (long long)t->priority);
		return false;
	}
	if (t->has_loc && (!isfinite(t->lat) || !isfinite(t->lon) || fabs(t->lat) > 90 ||
			   fabs(t->lon) > 180)) {
		snprintf(why, whylen, "location %g, %g is not a latitude and longitude", t->lat,
			 t->lon);
		return false;
	}
	if (t->nsteps < 1 || t->nsteps > TKI_MAX_STEPS) {
		snprintf(why, whylen, "no lifecycle");
		return false;
	}
	for (unsigned i = 0; i < t->nsteps; i++) {
		if (!ticket_status_valid(t->steps[i].status)) {
			snprintf(why, whylen, "status '%s' is not a ticket status",
				 t->steps[i].status ? t->steps[i].status : "");
			return false;
		}
	}
	return true;
}

struct fields {
	unsigned n;
	uint8_t cols[ROWCLK_MAX_COLS];
	struct gm_value vals[ROWCLK_MAX_COLS];
};

static void set(struct fields *f, const char *col, struct gm_value v)
{
	int j = schema_col(schema_table(T_TICKET), col, strlen(col));
	if (j < 0 || v.type == GM_NIL)
		return;
	f->cols[f->n] = (uint8_t)j;
	f->vals[f->n++] = v;
}

static enum gm_err put_fields(struct store *st, const struct tki_ticket *t, const struct fields *f,
			 const char *note, int mode)
{
	struct store_write w = {
		.tab = schema_table(T_TICKET), .key = t->id, .scope = t->scope, .nset = f->n,
		.cols = f->cols, .vals = f->vals, .actor = t->actor,
		.note = note && *note ? note : NULL, .mode = mode,
	};
	return store_put(st, &w, NULL);
}

static bool same_text(const struct gm_value *v, const char *s)
{
	if (!s)
		return v->type == GM_NIL;
	return v->type == GM_TEXT && v->len == strlen(s) && memcmp(v->s, s, v->len) == 0;
}

static bool same_int(const struct gm_value *v, int64_t x)
{
	if (!x)
		return v->type == GM_NIL;
	return v->type == GM_INT && v->i == x;
}

enum gm_err tkimport_put(struct store *st, const struct limits *lim, const struct calendar *cal,
			 const struct tki_ticket *t, enum tki_result *res)
{
	const struct table_def *tab = schema_table(T_TICKET);
	const struct tki_step *last = &t->steps[t->nsteps - 1];
	int64_t deadline = t->deadline, closed = 0;
	struct fields f = { 0 };
	struct store_rec r;
	enum gm_err e;

	for (unsigned i = 0; i < t->nsteps; i++)
		if (t->steps[i].closed)
			closed = t->steps[i].closed;
	if (!deadline && !t->no_deadline && lim && cal && t->created &&
	    !limits_deadline(lim, cal, t->category, t->priority, t->created, &deadline))
		deadline = 0;

	store_rec_init(&r);
	e = store_get(st, tab, t->id, &r);
	if (e == GM_E_NOTFOUND) {
		set(&f, "category", gm_text(t->category));
		set(&f, "title", gm_text(t->title));
		set(&f, "descr", gm_text(t->descr));
		set(&f, "address", gm_text(t->address));
		set(&f, "source", gm_text(t->source));
		set(&f, "assignee", gm_text(t->assignee));
		if (t->has_loc) {
			set(&f, "lat", gm_real(t->lat));
			set(&f, "lon", gm_real(t->lon));
		}
		if (t->priority)
			set(&f, "priority", gm_int(t->priority));
		if (t->created)
			set(&f, "created", gm_int(t->created));
		if (deadline)
			set(&f, "deadline", gm_int(deadline));
		set(&f, "status", gm_text(t->steps[0].status));
		if (t->steps[0].closed)
			set(&f, "closed", gm_int(t->steps[0].closed));
		if ((e = put_fields(st, t, &f, t->steps[0].note, W_CREATE)))
			return e;
		for (unsigned i = 1; i < t->nsteps; i++) {
			f.n = 0;
			set(&f, "status", gm_text(t->steps[i].status));
			if (t->steps[i].closed)
				set(&f, "closed", gm_int(t->steps[i].closed));
			if ((e = put_fields(st, t, &f, t->steps[i].note, W_UPDATE)))
				return e;
		}
		*res = TKI_NEW;
		return GM_OK;
	}
	if (e)
		return e;
	bool deleted = !clk_zero(r.del);
	if (!deleted) {
		if (!same_text(&r.vals[schema_col(tab, "status", 6)], last->status))
			set(&f, "status", gm_text(last->status));
		if (closed && !same_int(&r.vals[schema_col(tab, "closed", 6)], closed))
			set(&f, "closed", gm_int(closed));
		if (t->assignee && !same_text(&r.vals[schema_col(tab, "assignee", 8)], t->assignee))
			set(&f, "assignee", gm_text(t->assignee));
		if (deadline && !same_int(&r.vals[schema_col(tab, "deadline", 8)], deadline))
			set(&f, "deadline", gm_int(deadline));
	}
	store_rec_free(&r);
	if (deleted)
		return store_fail(st, GM_E_NOTFOUND, "ticket %s was deleted on this node", t->id);
	if (!f.n) {
		*res = TKI_UNCHANGED;
		return GM_OK;
	}
	char note[200];
	snprintf(note, sizeof(note), "imported again: %s", last->note);
	if ((e = put_fields(st, t, &f, note, W_UPDATE)))
		return e;
	*res = TKI_UPDATED;
	return GM_OK;
}
