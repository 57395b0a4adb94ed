/* open311.c - GeoReport v2 JSON out of and into the ticket table. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "open311.h"
#include "calendar.h"
#include "catnames.h"
#include "limits.h"
#include "log.h"
#include "store.h"
#include "tickets.h"
#include "tkimport.h"
#include "../sync/hlc.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* ------------------------------------------------------------------ export */

struct ex {
	FILE *out;
	const struct calendar *cal;
	const struct catnames *names;
	struct o311_stats *stats;
	bool io_failed;
};

static json_t *jtext(const struct gm_value *v)
{
	json_t *j = v->type == GM_TEXT ? json_stringn(v->s, v->len) : NULL;
	return j ? j : json_null();
}

static json_t *jtime(const struct calendar *cal, int64_t t)
{
	char buf[26];
	cal_iso(cal, t, buf);
	return json_string(buf);
}

static json_t *jtime_v(const struct calendar *cal, const struct gm_value *v)
{
	return v->type == GM_INT ? jtime(cal, v->i) : json_null();
}

static json_t *jnum(const struct gm_value *v)
{
	if (v->type == GM_REAL)
		return json_real(v->d);
	if (v->type == GM_INT)
		return json_integer(v->i);
	return json_null();
}

static const struct gm_value *col(const struct store_rec *r, const char *name)
{
	return &r->vals[schema_col(r->tab, name, strlen(name))];
}

/* One ticket as a GeoReport v2 request. */
static json_t *request(const struct ex *x, const struct store_rec *r)
{
	const struct gm_value *status = col(r, "status"), *cat = col(r, "category");
	const struct gm_value *title = col(r, "title"), *descr = col(r, "descr");
	char st[32] = "", code[8] = "";
	if (status->type == GM_TEXT && status->len < sizeof(st))
		memcpy(st, status->s, status->len);
	if (cat->type == GM_TEXT && cat->len < sizeof(code))
		memcpy(code, cat->s, cat->len);

	/* the description a plain GeoReport client shows */
	json_t *desc;
	if (descr->type == GM_TEXT && descr->len) {
		size_t tl = title->type == GM_TEXT ? title->len : 0, n = tl + 2 + descr->len;
		char *d = malloc(n + 1);
		if (!d)
			return NULL;
		if (tl)
			memcpy(d, title->s, tl);
		memcpy(d + tl, "\n\n", 2);
		memcpy(d + tl + 2, descr->s, descr->len);
		desc = json_stringn(d, n);
		free(d);
		if (!desc)
			desc = json_null();
	} else {
		desc = jtext(title);
	}
	/* updated: the newest clock among the fields */
	uint64_t newest = 0;
	for (unsigned j = 0; j < r->tab->ncols; j++)
		if (r->rc.c[j].t > newest)
			newest = r->rc.c[j].t;
	const char *sname = catnames_minor(x->names, code);

	json_t *o = json_object();
	json_object_set_new(o, "service_request_id", json_string(r->key));
	json_object_set_new(o, "status", json_string(ticket_status_open(st) ? "open" : "closed"));
	json_object_set_new(o, "status_notes", jtext(status));
	json_object_set_new(o, "service_name", sname ? json_string(sname) : json_null());
	json_object_set_new(o, "service_code", jtext(cat));
	json_object_set_new(o, "description", desc);
	json_object_set_new(o, "agency_responsible", jtext(col(r, "assignee")));
	json_object_set_new(o, "service_notice", json_null());
	json_object_set_new(o, "requested_datetime", jtime_v(x->cal, col(r, "created")));
	json_object_set_new(o, "updated_datetime",
			    newest ? jtime(x->cal, (int64_t)(hlc_ms(newest) / 1000)) : json_null());
	json_object_set_new(o, "expected_datetime", jtime_v(x->cal, col(r, "deadline")));
	json_object_set_new(o, "address", jtext(col(r, "address")));
	json_object_set_new(o, "address_id", json_null());
	json_object_set_new(o, "zipcode", json_null());
	json_object_set_new(o, "lat", jnum(col(r, "lat")));
	json_object_set_new(o, "long", jnum(col(r, "lon")));
	json_object_set_new(o, "media_url", json_null());

	json_t *ext = json_object();
	json_object_set_new(ext, "title", jtext(title));
	json_object_set_new(ext, "descr", jtext(descr));
	json_object_set_new(ext, "status", jtext(status));
	json_object_set_new(ext, "priority", jnum(col(r, "priority")));
	json_object_set_new(ext, "source", jtext(col(r, "source")));
	json_object_set_new(ext, "scope", json_string(r->scope));
	json_object_set_new(ext, "closed_datetime", jtime_v(x->cal, col(r, "closed")));
	json_object_set_new(o, "extended_attributes", ext);
	return o;
}

static int on_ticket(void *ctx, const struct store_rec *r)
{
	struct ex *x = ctx;
	json_t *o = request(x, r);
	if (!o || fputs(x->stats->requests ? "," : "", x->out) == EOF ||
	    json_dumpf(o, x->out, DUMP_FLAGS) != 0) {
		json_decref(o);
		x->io_failed = true;
		return 1;
	}
	json_decref(o);
	x->stats->requests++;
	return 0;
}

static json_t *services(const struct catnames *names, unsigned *n)
{
	json_t *a = json_array();
	const char *code;
	for (size_t i = 0; (code = catnames_code(names, i)); i++) {
		char major[3] = { code[0], code[0] ? code[1] : 0, 0 };
		const char *mn = catnames_minor(names, code), *mj = catnames_major(names, major);
		const char *me = catnames_major_en(names, major);
		char d[256];
		snprintf(d, sizeof(d), "GB/T 30428 event class %s: %s / %s", code, me ? me : "",
			 mn ? mn : "");
		json_t *s = json_object();
		json_object_set_new(s, "service_code", json_string(code));
		json_object_set_new(s, "service_name", mn ? json_string(mn) : json_string(code));
		json_object_set_new(s, "description", json_string(d));
		json_object_set_new(s, "metadata", json_false());
		json_object_set_new(s, "type", json_string("realtime"));
		json_object_set_new(s, "keywords", json_string(mj ? mj : ""));
		json_object_set_new(s, "group", me ? json_string(me) : json_null());
		json_array_append_new(a, s);
		(*n)++;
	}
	return a;
}

enum gm_err open311_export(struct store *st, FILE *out, struct o311_stats *stats)
{
	struct calendar cal;
	struct catnames *names;
	enum gm_err e;
	memset(stats, 0, sizeof(*stats));
	if ((e = cal_load(st, &cal)) || (e = catnames_load(st, T_CAT_EVENT, &names)))
		return e;
	struct ex x = { .out = out, .cal = &cal, .names = names, .stats = stats };
	json_t *sv = services(names, &stats->services);
	/* streamed: a city's tickets do not fit one JSON tree in memory */
	if (fputs("{\"services\":", out) == EOF || json_dumpf(sv, out, DUMP_FLAGS) != 0 ||
	    fputs(",\"requests\":[", out) == EOF)
		x.io_failed = true;
	json_decref(sv);
	if (!x.io_failed)
		e = store_scan(st, schema_table(T_TICKET), NULL, 0, on_ticket, &x);
	if (!e && (x.io_failed || fputs("]}\n", out) == EOF))
		e = GM_E_IO;
	catnames_free(names);
	return e;
}

/* ------------------------------------------------------------------ import */

struct im {
	struct store *st;
	const char *path, *prefix;
	struct calendar cal;
	struct limits *lim;
	o311_msg_fn msg;
	void *ctx;
	struct o311_stats *stats;
};

static void refuse(struct im *m, size_t idx, const char *id, const char *fmt, ...)
	GM_PRINTF(4, 5);
static void refuse(struct im *m, size_t idx, const char *id, const char *fmt, ...)
{
	char why[256], out[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s: request %zu%s%s%s: %s", m->path, idx + 1,
		 id ? " (id " : "", id ? id : "", id ? ")" : "", why);
	m->stats->refused++;
	/* it quotes the file's fields onto a terminal */
	log_clean(out);
	if (m->msg)
		m->msg(m->ctx, out);
}

/* A string member, or NULL (also for JSON null and ""). */
static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? s : NULL;
}

/* A number member given as a number or a numeric string (servers differ). */
static bool num(json_t *o, const char *key, double *out, bool *present)
{
	json_t *v = json_object_get(o, key);
	*present = v && !json_is_null(v);
	if (!*present)
		return true;
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return true;
	}
	const char *s = json_string_value(v);
	char *end;
	if (!s || !*s)
		return false;
	*out = strtod(s, &end);
	return !*end && isfinite(*out);
}

static bool id_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s))
			return false;
	return true;
}

/* Whether a request is one a gridmesh node exported for our subtree:
 * then its id and scope are kept as they are. */
static bool ours(struct im *m, const char *id, const char *scope)
{
	const char *code = store_code(m->st), *dash = strchr(id, '-');
	if (!scope || !dash || !code_valid(id, (size_t)(dash - id)))
		return false;
	size_t sl = strlen(scope);
	return sl <= CODE_MAX && (!sl || code_valid(scope, sl)) &&
	       scope_within(scope, sl, code, strlen(code)) && scope_within(id, (size_t)(dash - id),
									   code, strlen(code));
}

/* One request into a ticket record; false (refused, reported) if it does
 * not fit. */
static bool to_ticket(struct im *m, size_t idx, json_t *req, struct tki_ticket *t,
		      char *titlebuf, size_t tlen)
{
	json_t *ext = json_object_get(req, "extended_attributes");
	json_t *idv = json_object_get(req, "service_request_id");
	char idb[128], why[256];
	const char *id;
	if (json_is_integer(idv)) {
		snprintf(idb, sizeof(idb), "%lld", (long long)json_integer_value(idv));
		id = idb;
	} else {
		id = json_string_value(idv);
	}
	if (!json_is_object(req)) {
		refuse(m, idx, NULL, "not a JSON object");
		return false;
	}
	if (!id || !*id || strlen(id) > 100 || !id_chars_ok(id)) {
		refuse(m, idx, NULL, "service_request_id missing or not letters, digits and -_.:");
		return false;
	}
	if (ext && !json_is_object(ext))
		ext = NULL;
	memset(t, 0, sizeof(*t));
	const char *scope = str(ext, "scope");
	if (!scope && json_is_string(json_object_get(ext, "scope")))
		scope = "";
	if (ours(m, id, scope)) {
		snprintf(t->id, sizeof(t->id), "%s", id);
		snprintf(t->scope, sizeof(t->scope), "%s", scope);
	} else {
		snprintf(t->id, sizeof(t->id), "%s-%s-%s", store_code(m->st), m->prefix, id);
		snprintf(t->scope, sizeof(t->scope), "%s", store_code(m->st));
	}
	t->category = str(req, "service_code");
	if (!t->category) {
		refuse(m, idx, id, "no service_code");
		return false;
	}

	/* title and description: ours from the extension, else the first line */
	const char *desc = str(req, "description");
	t->title = str(ext, "title");
	t->descr = str(ext, "descr");
	if (!t->title) {
		const char *src = desc ? desc : str(req, "service_name") ? str(req, "service_name") :
			t->category;
		size_t n = strcspn(src, "\n");
		if (n > 120)
			n = 120;
		snprintf(titlebuf, tlen, "%.*s", (int)n, src);
		t->title = titlebuf;
		if (!t->descr && desc && desc[n])
			t->descr = desc;
	}
	t->address = str(req, "address");
	t->assignee = str(req, "agency_responsible");
	t->source = str(ext, "source");
	if (!t->source || !ticket_source_valid(t->source))
		t->source = "import";
	json_t *pr = json_object_get(ext, "priority");
	if (pr && !json_is_null(pr)) {
		if (!json_is_integer(pr) || json_integer_value(pr) < 1 || json_integer_value(pr) > 5) {
			refuse(m, idx, id, "extended priority is not 1 to 5");
			return false;
		}
		t->priority = json_integer_value(pr);
	}
	bool has_lat, has_lon;
	if (!num(req, "lat", &t->lat, &has_lat) || !num(req, "long", &t->lon, &has_lon)) {
		refuse(m, idx, id, "lat and long are not numbers");
		return false;
	}
	if (has_lat != has_lon) {
		refuse(m, idx, id, "lat without long or long without lat");
		return false;
	}
	t->has_loc = has_lat;

	/* times */
	static const char *const tkeys[] = { "requested_datetime", "updated_datetime",
					     "expected_datetime" };
	int64_t times[3] = { 0, 0, 0 }, closed_at = 0;
	for (int i = 0; i < 3; i++) {
		const char *v = str(req, tkeys[i]);
		if (v && !cal_parse_iso(&m->cal, v, &times[i])) {
			refuse(m, idx, id, "%s '%s' is not ISO 8601", tkeys[i], v);
			return false;
		}
	}
	const char *cv = str(ext, "closed_datetime");
	if (cv && !cal_parse_iso(&m->cal, cv, &closed_at)) {
		refuse(m, idx, id, "closed_datetime '%s' is not ISO 8601", cv);
		return false;
	}
	if (!times[0]) {
		refuse(m, idx, id, "no requested_datetime");
		return false;
	}
	t->created = times[0];
	t->deadline = times[2];
	/* a gridmesh export says "no deadline" by leaving it out; from elsewhere
	 * a missing one is computed from the time limits */
	t->no_deadline = ext != NULL;

	/* status: ours exactly, else GeoReport's open/closed */
	const char *gs = str(req, "status"), *detail = str(ext, "status");
	if (!detail || !ticket_status_valid(detail))
		detail = str(req, "status_notes");
	if (!gs || (strcmp(gs, "open") && strcmp(gs, "closed"))) {
		refuse(m, idx, id, "status '%s' is not open or closed", gs ? gs : "");
		return false;
	}
	const char *final = detail && ticket_status_valid(detail) ? detail :
			    strcmp(gs, "open") ? "closed" : "registered";
	if (ticket_status_open(final) != !strcmp(gs, "open")) {
		refuse(m, idx, id, "status %s contradicts status_notes %s", gs, final);
		return false;
	}
	/* a foreign closed request closed when it was last updated; ours says
	 * "no closed time" by leaving closed_datetime out, as for deadlines */
	if (!strcmp(final, "closed") && !closed_at && !ext)
		closed_at = times[1];
	char when[26];
	cal_iso(&m->cal, t->created, when);
	t->actor = "import:open311";
	bool first_is_final = !strcmp(final, "reported") || !strcmp(final, "registered");
	t->steps[0].status = first_is_final ? final : "registered";
	snprintf(t->steps[0].note, sizeof(t->steps[0].note), "Open311 %s requested %s", id, when);
	t->nsteps = 1;
	if (!first_is_final) {
		cal_iso(&m->cal, times[1] ? times[1] : t->created, when);
		t->steps[1].status = final;
		t->steps[1].closed = !strcmp(final, "closed") ? closed_at : 0;
		snprintf(t->steps[1].note, sizeof(t->steps[1].note), "Open311 status %s as of %s",
			 final, when);
		t->nsteps = 2;
	}
	if (!tkimport_check(m->st, t, why, sizeof(why))) {
		refuse(m, idx, id, "%s", why);
		return false;
	}
	return true;
}

enum gm_err open311_import(struct store *st, const char *path, const char *prefix,
			   o311_msg_fn msg, void *ctx, struct o311_stats *stats, char *err,
			   size_t errlen)
{
	struct im m = { .st = st, .path = path, .prefix = prefix, .msg = msg, .ctx = ctx,
			.stats = stats };
	json_error_t je;
	enum gm_err e;
	unsigned pending = 0;

	memset(stats, 0, sizeof(*stats));
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		log_clean(err);
		return GM_E_MALFORMED;
	}
	json_t *reqs = json_is_array(root) ? root : json_object_get(root, "requests");
	if (!json_is_array(reqs)) {
		snprintf(err, errlen, "%s: neither a GeoReport requests array nor an object with"
			 " \"requests\"", path);
		json_decref(root);
		return GM_E_MALFORMED;
	}
	if ((e = cal_load(st, &m.cal)) || (e = limits_load(st, &m.lim))) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		json_decref(root);
		return e;
	}
	for (size_t i = 0; i < json_array_size(reqs); i++) {
		struct tki_ticket t;
		char title[128];
		enum tki_result res;
		stats->requests++;
		if (!to_ticket(&m, i, json_array_get(reqs, i), &t, title, sizeof(title)))
			continue;
		if (!pending && (e = store_begin(st)))
			break;
		e = tkimport_put(st, m.lim, &m.cal, &t, &res);
		pending++;
		if (e && !tkimport_refusal(e)) {
			store_rollback(st);
			pending = 0;
			break;
		}
		if (e)
			refuse(&m, i, t.id, "%s", store_errmsg(st));
		else if (res == TKI_NEW)
			stats->created++;
		else if (res == TKI_UPDATED)
			stats->updated++;
		else
			stats->unchanged++;
		e = GM_OK;
		if (pending >= 500) {
			pending = 0;
			if ((e = store_commit(st)))
				break;
		}
	}
	if (!e && pending)
		e = store_commit(st);
	if (e)
		snprintf(err, errlen, "%s", store_errmsg(st));
	limits_free(m.lim);
	json_decref(root);
	return e;
}
