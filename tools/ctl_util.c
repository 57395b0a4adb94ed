/* ctl_util.c - argument parsing and output shared by gridctl commands. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ctl.h"
#include "../sync/hlc.h"
#include "../node/fieldcrypt.h"
#include "../node/identity.h"

void ctl_err(struct ctl *c, const char *fmt, ...)
{
	va_list ap;
	c->said = true;
	fprintf(stderr, "gridctl %s: ", c->cmd ? c->cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool ctl_parse_int(struct ctl *c, const char *opt, const char *s, long long lo, long long hi,
		   long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		ctl_err(c, "%s: '%s' is not a whole number from %lld to %lld", opt, s, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

bool ctl_parse_double(struct ctl *c, const char *opt, const char *s, double lo, double hi,
		      double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
		ctl_err(c, "%s: '%s' is not a number from %g to %g", opt, s, lo, hi);
		return false;
	}
	*out = v;
	return true;
}

bool ctl_parse_time(struct ctl *c, const char *opt, const char *s, long long *out)
{
	struct tm tm;
	char *end;
	if (strcmp(s, "now") == 0) {
		*out = (long long)(hlc_wall_ms() / 1000);
		return true;
	}
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!errno && end != s && !*end && v >= 0) {
		*out = v;
		return true;
	}
	static const char *const fmts[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
					    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end && !*end) {
			tm.tm_isdst = -1;
			*out = (long long)mktime(&tm);
			return true;
		}
	}
	ctl_err(c, "%s: '%s' is not a time (now, unix seconds, YYYY-MM-DD[ HH:MM])", opt, s);
	return false;
}

void ctl_format_time(long long t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

int ctl_getopt(struct ctl *c, int argc, char **argv, const struct option *opts)
{
	char shorts[64] = ":";
	size_t n = 1;
	int idx;
	/* an option whose val is a letter named in its table gets that short form */
	for (const struct option *o = opts; o->name && n + 3 < sizeof(shorts); o++) {
		if (o->flag || o->val <= ' ' || o->val > '~' || strlen(o->name) < 2)
			continue;
		if (!c->short_opts || !strchr(c->short_opts, o->val))
			continue;
		shorts[n++] = (char)o->val;
		if (o->has_arg == required_argument)
			shorts[n++] = ':';
	}
	shorts[n] = 0;
	opterr = 0;
	int o = getopt_long(argc, argv, shorts, opts, &idx);
	if (o == '?') {
		ctl_err(c, "unknown option %s (usage: %s)", argv[optind - 1], ctl_usage_text());
		return -2;
	}
	if (o == ':') {
		ctl_err(c, "%s needs a value (usage: %s)", argv[optind - 1], ctl_usage_text());
		return -2;
	}
	return o;
}

int ctl_json_flag(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o != 'j')
			return EX_USAGE;
		c->json = true;
	}
	return -1;
}

json_t *ctl_value_json(const struct gm_value *v)
{
	switch (v->type) {
	case GM_INT:
		return json_integer(v->i);
	case GM_REAL:
		return json_real(v->d);
	case GM_TEXT:
		return json_stringn(v->s, v->len);
	default:
		return json_null();
	}
}

/*
 * The value to show: a sealed sensitive field opened with the street key
 * (into buf), or shown as sealed when this node has no key.
 */
static struct gm_value reveal(struct ctl *c, const struct table_def *t, unsigned j,
			      const char *key, const struct gm_value *v, char *buf, size_t len)
{
	const uint8_t *k = c->id ? identity_street_key(c->id) : NULL;
	if (!fieldcrypt_is_sealed(v))
		return *v;
	if (k && fieldcrypt_open(k, t->name, t->cols[j].name, key, v, buf, len))
		return gm_text(buf);
	return gm_text("(sealed)");
}

json_t *ctl_rec_json(struct ctl *c, const struct store_rec *r)
{
	json_t *o = json_object();
	char buf[4096];
	json_object_set_new(o, "id", json_string(r->key));
	json_object_set_new(o, "scope", json_string(r->scope));
	for (unsigned j = 0; j < r->tab->ncols; j++) {
		struct gm_value v = reveal(c, r->tab, j, r->key, &r->vals[j], buf, sizeof(buf));
		json_object_set_new(o, r->tab->cols[j].name, ctl_value_json(&v));
	}
	return o;
}

void ctl_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
}

const char *ctl_value_str(const struct gm_value *v, char *buf, size_t len)
{
	switch (v->type) {
	case GM_INT:
		snprintf(buf, len, "%lld", (long long)v->i);
		break;
	case GM_REAL:
		snprintf(buf, len, "%.6f", v->d);
		break;
	case GM_TEXT:
		snprintf(buf, len, "%.*s", (int)v->len, v->s);
		break;
	default:
		snprintf(buf, len, "-");
	}
	return buf;
}

void ctl_set(struct ctl_fields *f, const struct table_def *t, const char *col,
	     struct gm_value v)
{
	int j = schema_col(t, col, strlen(col));
	if (j < 0 || f->n >= ROWCLK_MAX_COLS)
		return;   /* programming error: caught by tests */
	for (unsigned i = 0; i < f->n; i++) {
		if (f->cols[i] == j) {
			f->vals[i] = v;
			return;
		}
	}
	f->cols[f->n] = (uint8_t)j;
	f->vals[f->n++] = v;
}

int ctl_json_only(struct ctl *c, int argc, char **argv, int positional)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o != 'j')
			return EX_USAGE;
		c->json = true;
	}
	return optind == argc - positional ? -1 : ctl_usage(c);
}

int ctl_write(struct ctl *c, const struct table_def *t, const char *key, const char *scope,
	      const struct ctl_fields *f, const char *note, int mode, bool del)
{
	struct store_write w = {
		.tab = t, .key = key, .scope = scope, .nset = f ? f->n : 0,
		.cols = f ? f->cols : NULL, .vals = f ? f->vals : NULL,
		.actor = c->actor, .note = note, .del = del, .mode = mode,
	};
	enum gm_err e = store_begin(c->st);
	if (!e)
		e = store_put(c->st, &w, NULL);
	return ctl_end_txn(c, e);
}

int ctl_end_txn(struct ctl *c, enum gm_err e)
{
	if (!e)
		e = store_commit(c->st);
	else
		store_rollback(c->st);
	if (e) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	return EX_OK;
}

void ctl_print_id(struct ctl *c, const char *id)
{
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "id", json_string(id));
		ctl_print_json(j);
	} else {
		puts(id);
	}
}

/* ------------------------------------------------------------ show / list */

struct hist_out {
	struct ctl *c;
	const struct table_def *tab;
	const char *key;
	bool json;
	json_t *arr;
};

static int hist_cb(void *ctx, const struct store_hist *h)
{
	struct hist_out *o = ctx;
	char code[CODE_MAX + 1] = "?", when[32], buf[256];
	node_code_from_id(h->clk.node, code);
	ctl_format_time((long long)(hlc_ms(h->clk.t) / 1000), when, sizeof(when));
	if (o->json) {
		json_t *e = json_object();
		json_object_set_new(e, "at", json_string(when));
		json_object_set_new(e, "clock", json_integer((json_int_t)h->clk.t));
		json_object_set_new(e, "node", json_string(code));
		json_object_set_new(e, "actor", h->actor ? json_string(h->actor) : json_null());
		if (h->del)
			json_object_set_new(e, "deleted", json_true());
		if (h->erased)
			json_object_set_new(e, "erased", json_true());
		json_t *set = json_object(), *lost = json_array();
		unsigned k = 0;
		for (unsigned j = 0; j < o->tab->ncols; j++) {
			if (!((h->mask >> j) & 1))
				continue;
			struct gm_value v = h->vals ? reveal(o->c, o->tab, j, o->key, &h->vals[k], buf,
							     sizeof(buf)) : gm_nil();
			json_object_set_new(set, o->tab->cols[j].name,
					    h->vals ? ctl_value_json(&v) : json_null());
			k++;
			if ((h->lost >> j) & 1)
				json_array_append_new(lost, json_string(o->tab->cols[j].name));
		}
		json_object_set_new(e, "set", set);
		json_object_set_new(e, "lost", lost);
		json_object_set_new(e, "note", h->note ? json_string(h->note) : json_null());
		json_array_append_new(o->arr, e);
		return 0;
	}
	printf("  %s  %-15s %-10s", when, code, h->actor ? h->actor : "-");
	if (h->del)
		printf(" deleted");
	unsigned k = 0;
	for (unsigned j = 0; j < o->tab->ncols; j++) {
		if (!((h->mask >> j) & 1))
			continue;
		if (h->vals) {
			char clear[4096];
			struct gm_value v = reveal(o->c, o->tab, j, o->key, &h->vals[k], clear,
						   sizeof(clear));
			printf(" %s=%s", o->tab->cols[j].name, ctl_value_str(&v, buf, sizeof(buf)));
		}
		else
			printf(" %s=(erased)", o->tab->cols[j].name);
		if ((h->lost >> j) & 1)
			printf(" [lost to a concurrent edit]");
		k++;
	}
	if (h->note)
		printf(" note=\"%s\"", h->note);
	putchar('\n');
	return 0;
}

int ctl_show_record(struct ctl *c, const struct table_def *t, const char *key)
{
	struct store_rec r;
	struct hist_out ho = { .c = c, .tab = t, .key = key, .json = c->json };
	char buf[512];
	enum gm_err e;

	store_rec_init(&r);
	if ((e = store_get(c->st, t, key, &r))) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	bool deleted = !clk_zero(r.del);
	json_t *o = NULL;
	if (c->json) {
		o = ctl_rec_json(c, &r);
		json_object_set_new(o, "deleted", json_boolean(deleted));
		ho.arr = json_array();
	} else {
		printf("%s %s (scope %s)%s\n", t->name, r.key, r.scope[0] ? r.scope : "city-wide",
		       deleted ? " DELETED" : "");
		for (unsigned j = 0; j < t->ncols && !deleted; j++) {
			if (r.vals[j].type == GM_NIL)
				continue;
			if (strcmp(t->cols[j].name, "deadline") == 0 ||
			    strcmp(t->cols[j].name, "created") == 0 ||
			    strcmp(t->cols[j].name, "closed") == 0 ||
			    strcmp(t->cols[j].name, "inspected") == 0) {
				ctl_format_time(r.vals[j].i, buf, sizeof(buf));
				printf("  %-12s %s\n", t->cols[j].name, buf);
			} else {
				char clear[4096];
				struct gm_value v = reveal(c, t, j, key, &r.vals[j], clear, sizeof(clear));
				printf("  %-12s %s\n", t->cols[j].name, ctl_value_str(&v, buf, sizeof(buf)));
			}
		}
		printf("history:\n");
	}
	e = store_history(c->st, t, key, hist_cb, &ho);
	store_rec_free(&r);
	if (e) {
		ctl_err(c, "%s", store_errmsg(c->st));
		json_decref(o);
		json_decref(ho.arr);
		return EX_FAIL;
	}
	if (o) {
		json_object_set_new(o, "history", ho.arr);
		ctl_print_json(o);
	}
	return EX_OK;
}

struct list_out {
	struct ctl *c;
	bool json;
	json_t *arr;
	const char *const *cols;
	unsigned n;
};

static int list_cb(void *ctx, const struct store_rec *r)
{
	struct list_out *o = ctx;
	char buf[256];
	o->n++;
	if (o->json) {
		json_array_append_new(o->arr, ctl_rec_json(o->c, r));
		return 0;
	}
	printf("%-24s", r->key);
	for (const char *const *cn = o->cols; cn && *cn; cn++) {
		int j = schema_col(r->tab, *cn, strlen(*cn));
		if (j >= 0) {
			char clear[4096];
			struct gm_value v = reveal(o->c, r->tab, (unsigned)j, r->key, &r->vals[j], clear,
						   sizeof(clear));
			printf("  %-14.40s", ctl_value_str(&v, buf, sizeof(buf)));
		}
	}
	putchar('\n');
	return 0;
}

int ctl_list_records(struct ctl *c, const struct table_def *t, const struct store_filter *f,
		     unsigned nf, const char *const *cols)
{
	struct list_out o = { .c = c, .json = c->json, .cols = cols };
	if (c->json)
		o.arr = json_array();
	enum gm_err e = store_scan(c->st, t, f, nf, list_cb, &o);
	if (e) {
		ctl_err(c, "%s", store_errmsg(c->st));
		json_decref(o.arr);
		return EX_FAIL;
	}
	if (c->json)
		ctl_print_json(o.arr);
	else if (!o.n)
		fprintf(stderr, "(no %s records)\n", t->name);
	return EX_OK;
}
