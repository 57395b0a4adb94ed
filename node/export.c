/* export.c - GeoJSON and CSV out of the ticket and asset tables. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "export.h"
#include "calendar.h"
#include "catnames.h"
#include "store_int.h"
#include "tickets.h"

struct ex {
	FILE *out;
	struct calendar cal;
	struct catnames *events, *components;
	struct export_stats *stats;
	int64_t now;
	unsigned features;          /* GeoJSON features written */
	bool io_failed;
};

static const struct gm_value *col(const struct store_rec *r, const char *name)
{
	return &r->vals[schema_col(r->tab, name, strlen(name))];
}

static json_t *jval(const struct gm_value *v)
{
	json_t *j = NULL;
	switch (v->type) {
	case GM_INT: j = json_integer(v->i); break;
	case GM_REAL: j = json_real(v->d); break;
	case GM_TEXT: j = json_stringn(v->s, v->len); break;
	}
	return j ? j : json_null();
}

static json_t *jtime(const struct ex *x, const struct gm_value *v)
{
	char buf[26];
	if (v->type != GM_INT)
		return json_null();
	cal_iso(&x->cal, v->i, buf);
	return json_string(buf);
}

/* The text of a TEXT value as a C string in buf (cut to fit). */
static const char *cstr(const struct gm_value *v, char *buf, size_t len)
{
	size_t n = v->type == GM_TEXT ? v->len : 0;
	if (n >= len)
		n = len - 1;
	if (n)
		memcpy(buf, v->s, n);
	buf[n] = 0;
	return buf;
}

/* open, and overdue at x->now */
static void ticket_state(const struct ex *x, const struct store_rec *r, bool *open,
			 bool *overdue)
{
	char st[32];
	const struct gm_value *dl = col(r, "deadline");
	*open = ticket_status_open(cstr(col(r, "status"), st, sizeof(st)));
	*overdue = *open && dl->type == GM_INT && dl->i < x->now;
}

static bool located(const struct store_rec *r)
{
	return col(r, "lat")->type == GM_REAL && col(r, "lon")->type == GM_REAL;
}

static int feature(struct ex *x, const struct store_rec *r, json_t *props)
{
	json_t *f = json_object(), *g = json_object(), *c = json_array();
	json_array_append_new(c, json_real(col(r, "lon")->d));
	json_array_append_new(c, json_real(col(r, "lat")->d));
	json_object_set_new(g, "type", json_string("Point"));
	json_object_set_new(g, "coordinates", c);
	json_object_set_new(f, "type", json_string("Feature"));
	json_object_set_new(f, "id", json_string(r->key));
	json_object_set_new(f, "geometry", g);
	json_object_set_new(f, "properties", props);
	int bad = fputs(x->features ? ",\n" : "\n", x->out) == EOF ||
		  json_dumpf(f, x->out, JSON_COMPACT | JSON_PRESERVE_ORDER |
			     JSON_REAL_PRECISION(15)) != 0;
	json_decref(f);
	x->features++;
	if (bad)
		x->io_failed = true;
	return bad;
}

static int geo_ticket(void *ctx, const struct store_rec *r)
{
	struct ex *x = ctx;
	char code[8];
	bool open, overdue;
	if (!located(r)) {
		x->stats->unlocated++;
		return 0;
	}
	ticket_state(x, r, &open, &overdue);
	const char *name = catnames_minor(x->events, cstr(col(r, "category"), code, sizeof(code)));
	json_t *p = json_object();
	json_object_set_new(p, "kind", json_string("ticket"));
	json_object_set_new(p, "id", json_string(r->key));
	json_object_set_new(p, "scope", json_string(r->scope));
	json_object_set_new(p, "category", jval(col(r, "category")));
	json_object_set_new(p, "category_name", name ? json_string(name) : json_null());
	json_object_set_new(p, "title", jval(col(r, "title")));
	json_object_set_new(p, "status", jval(col(r, "status")));
	json_object_set_new(p, "open", json_boolean(open));
	json_object_set_new(p, "overdue", json_boolean(overdue));
	json_object_set_new(p, "priority", jval(col(r, "priority")));
	json_object_set_new(p, "source", jval(col(r, "source")));
	json_object_set_new(p, "assignee", jval(col(r, "assignee")));
	json_object_set_new(p, "address", jval(col(r, "address")));
	json_object_set_new(p, "created", jtime(x, col(r, "created")));
	json_object_set_new(p, "deadline", jtime(x, col(r, "deadline")));
	json_object_set_new(p, "closed", jtime(x, col(r, "closed")));
	x->stats->tickets++;
	return feature(x, r, p);
}

static int geo_asset(void *ctx, const struct store_rec *r)
{
	struct ex *x = ctx;
	char code[8];
	if (!located(r)) {
		x->stats->unlocated++;
		return 0;
	}
	const char *name = catnames_minor(x->components, cstr(col(r, "code"), code, sizeof(code)));
	const struct gm_value *attrs = col(r, "attrs");
	json_t *p = json_object(), *aj = NULL;
	if (attrs->type == GM_TEXT)
		aj = json_loadb(attrs->s, attrs->len, 0, NULL);
	json_object_set_new(p, "kind", json_string("asset"));
	json_object_set_new(p, "id", json_string(r->key));
	json_object_set_new(p, "scope", json_string(r->scope));
	json_object_set_new(p, "code", jval(col(r, "code")));
	json_object_set_new(p, "class_name", name ? json_string(name) : json_null());
	json_object_set_new(p, "name", jval(col(r, "name")));
	json_object_set_new(p, "state", jval(col(r, "state")));
	json_object_set_new(p, "address", jval(col(r, "address")));
	json_object_set_new(p, "inspected", jtime(x, col(r, "inspected")));
	json_object_set_new(p, "attrs", aj ? aj : jval(attrs));
	x->stats->assets++;
	return feature(x, r, p);
}

static enum gm_err begin(struct store *st, FILE *out, int64_t now, struct export_stats *stats,
			 struct ex *x)
{
	enum gm_err e;
	memset(x, 0, sizeof(*x));
	memset(stats, 0, sizeof(*stats));
	x->out = out;
	x->stats = stats;
	x->now = now ? now : (int64_t)(store_wall(st) / 1000);
	if ((e = cal_load(st, &x->cal)) || (e = catnames_load(st, T_CAT_EVENT, &x->events)))
		return e;
	if ((e = catnames_load(st, T_CAT_COMPONENT, &x->components))) {
		catnames_free(x->events);
		return e;
	}
	return GM_OK;
}

static void end(struct ex *x)
{
	catnames_free(x->events);
	catnames_free(x->components);
}

enum gm_err export_geojson(struct store *st, FILE *out, unsigned what, int64_t now,
			   struct export_stats *stats)
{
	struct ex x;
	enum gm_err e = begin(st, out, now, stats, &x);
	if (e)
		return e;
	if (fputs("{\"type\":\"FeatureCollection\",\"features\":[", out) == EOF)
		x.io_failed = true;
	if (!x.io_failed && (what & EXPORT_TICKETS))
		e = store_scan(st, schema_table(T_TICKET), NULL, 0, geo_ticket, &x);
	if (!e && !x.io_failed && (what & EXPORT_ASSETS))
		e = store_scan(st, schema_table(T_ASSET), NULL, 0, geo_asset, &x);
	if (!e && (x.io_failed || fputs("\n]}\n", out) == EOF))
		e = GM_E_IO;
	end(&x);
	return e;
}

/* ---------------------------------------------------------------------- CSV */

static void csv_text(struct ex *x, const char *s, size_t len, bool last)
{
	if ((len && csv_fwrite(x->out, s, len) != 0) || fputc(last ? '\n' : ',', x->out) == EOF)
		x->io_failed = true;
}

/* A field that never needs quotes (numbers, times, flags). */
static void csv_plain(struct ex *x, const char *s, bool last)
{
	if (fputs(s, x->out) == EOF || fputc(last ? '\n' : ',', x->out) == EOF)
		x->io_failed = true;
}

static void csv_val(struct ex *x, const struct gm_value *v, bool last)
{
	char buf[48] = "";
	if (v->type == GM_TEXT) {
		csv_text(x, v->s, v->len, last);
		return;
	}
	if (v->type == GM_INT)
		snprintf(buf, sizeof(buf), "%lld", (long long)v->i);
	else if (v->type == GM_REAL)
		snprintf(buf, sizeof(buf), "%.7f", v->d);
	csv_plain(x, buf, last);
}

static void csv_time(struct ex *x, const struct gm_value *v, bool last)
{
	char buf[26] = "";
	if (v->type == GM_INT)
		cal_iso(&x->cal, v->i, buf);
	csv_plain(x, buf, last);
}

static int csv_ticket(void *ctx, const struct store_rec *r)
{
	struct ex *x = ctx;
	char code[8];
	bool open, overdue;
	ticket_state(x, r, &open, &overdue);
	const char *name = catnames_minor(x->events, cstr(col(r, "category"), code, sizeof(code)));
	csv_text(x, r->key, strlen(r->key), false);
	csv_text(x, r->scope, strlen(r->scope), false);
	csv_val(x, col(r, "category"), false);
	csv_text(x, name ? name : "", name ? strlen(name) : 0, false);
	csv_val(x, col(r, "title"), false);
	csv_val(x, col(r, "descr"), false);
	csv_val(x, col(r, "status"), false);
	csv_plain(x, open ? "1" : "0", false);
	csv_plain(x, overdue ? "1" : "0", false);
	csv_val(x, col(r, "priority"), false);
	csv_val(x, col(r, "source"), false);
	csv_val(x, col(r, "assignee"), false);
	csv_val(x, col(r, "address"), false);
	csv_val(x, col(r, "lat"), false);
	csv_val(x, col(r, "lon"), false);
	csv_time(x, col(r, "created"), false);
	csv_time(x, col(r, "deadline"), false);
	csv_time(x, col(r, "closed"), true);
	x->stats->tickets++;
	return x->io_failed;
}

enum gm_err export_csv(struct store *st, FILE *out, int64_t now, struct export_stats *stats)
{
	struct ex x;
	enum gm_err e = begin(st, out, now, stats, &x);
	if (e)
		return e;
	if (fputs("id,scope,category,category_name,title,descr,status,open,overdue,priority,"
		  "source,assignee,address,lat,lon,created,deadline,closed\n", out) == EOF)
		x.io_failed = true;
	if (!x.io_failed)
		e = store_scan(st, schema_table(T_TICKET), NULL, 0, csv_ticket, &x);
	if (!e && x.io_failed)
		e = GM_E_IO;
	end(&x);
	return e;
}
