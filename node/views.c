/*
 * views.c - aggregated views: rows streamed out of SQLite (through the
 * view indexes where the level keeps them) and counted per group in C
 * (node/vagg.h), then answered as JSON.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "views.h"
#include "calendar.h"
#include "catnames.h"
#include "log.h"
#include "store_int.h"
#include "tickets.h"
#include "vagg.h"

#define K_T 1   /* a ticket dimension */
#define K_A 2   /* an asset dimension */

/* The columns a view may read, in the order they are selected. */
enum vcol { C_STATUS, C_DEADLINE, C_CLOSED, C_CREATED, C_SCOPE, C_CATEGORY, C_PRIORITY,
	    C_SOURCE, C_ASSIGNEE, C_CODE, C_STATE, C__COUNT };
static const char *const vcol_names[C__COUNT] = {
	"status", "deadline", "closed", "created", "_scope", "category", "priority", "source",
	"assignee", "code", "state",
};

/* Group-by dimensions: the column each reads (tickets, assets) and how
 * much of it (a prefix length, 0 = all of it, or the local date). */
#define DAY (-1)
static const struct dim {
	const char *name;
	uint8_t kinds;
	int8_t tcol, acol;
	int8_t cut;
	bool num;               /* an INTEGER column (priority, the day's time) */
} dims[] = {
	{ "status", K_T, C_STATUS, -1, 0, false },
	{ "category", K_T, C_CATEGORY, -1, 0, false },
	{ "major", K_T | K_A, C_CATEGORY, C_CODE, 2, false },
	{ "class", K_A, -1, C_CODE, 0, false },
	{ "state", K_A, -1, C_STATE, 0, false },
	{ "grid", K_T | K_A, C_SCOPE, C_SCOPE, 15, false },
	{ "street", K_T | K_A, C_SCOPE, C_SCOPE, 9, false },
	{ "district", K_T | K_A, C_SCOPE, C_SCOPE, 6, false },
	{ "source", K_T, C_SOURCE, -1, 0, false },
	{ "priority", K_T, C_PRIORITY, -1, 0, true },
	{ "assignee", K_T, C_ASSIGNEE, -1, 0, false },
	{ "day", K_T, C_CREATED, -1, DAY, true },      /* and C_CLOSED for `closed` */
};
#define NDIMS (sizeof(dims) / sizeof(dims[0]))
#define D_DAY (NDIMS - 1)

/* The exact text of the open-ticket index's WHERE: SQLite uses a partial
 * index only for a query that repeats its condition. */
#define OPEN_SQL "status NOT IN ('closed','rejected')"
#define ON_TIME_SQL "status = 'closed' AND (deadline IS NULL OR closed <= deadline)"

static unsigned dim_index(const char *name)
{
	unsigned d = 0;
	while (d < NDIMS - 1 && strcmp(dims[d].name, name) != 0)
		d++;
	return d;
}

static const char *const kind_names[] = { "tickets", "assets", "kpi", "overdue" };

bool views_kind(const char *name, enum view_kind *out)
{
	for (unsigned i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(name, kind_names[i]) == 0) {
			*out = (enum view_kind)i;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ query */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes %XX and '+' in place; false on a bad escape or a NUL. */
static bool pct_decode(char *s)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		if (*p == '%') {
			int a = hexval((unsigned char)p[1]), b = a < 0 ? -1 : hexval((unsigned char)p[2]);
			if (b < 0 || (a == 0 && b == 0))
				return false;
			*w++ = (char)(a * 16 + b);
			p += 2;
		} else {
			*w++ = *p == '+' ? ' ' : *p;
		}
	}
	*w = 0;
	return true;
}

static bool parse_by(enum view_kind kind, char *v, struct view_query *q, char *err, size_t errlen)
{
	uint8_t want = kind == VIEW_ASSETS ? K_A : K_T;
	q->nby = 0;
	for (char *tok = strtok(v, ","); tok; tok = strtok(NULL, ",")) {
		unsigned d;
		for (d = 0; d < NDIMS; d++)
			if (strcmp(dims[d].name, tok) == 0 && (dims[d].kinds & want))
				break;
		if (d == NDIMS) {
			snprintf(err, errlen, "by: '%s' is not one of %s", tok,
				 kind == VIEW_ASSETS ? "class, major, state, grid, street, district" :
				 "status, category, major, grid, street, district, source, priority,"
				 " assignee, day");
			return false;
		}
		for (unsigned i = 0; i < q->nby; i++) {
			if (q->by[i] == d) {
				snprintf(err, errlen, "by: '%s' named twice", tok);
				return false;
			}
		}
		if (q->nby == VIEW_MAX_BY) {
			snprintf(err, errlen, "by: at most %d dimensions", VIEW_MAX_BY);
			return false;
		}
		q->by[q->nby++] = (uint8_t)d;
	}
	if (!q->nby) {
		snprintf(err, errlen, "by: no dimension");
		return false;
	}
	return true;
}

static bool parse_uint(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return false;
	unsigned long long n = strtoull(v, &end, 10);
	if (*end || n > max)
		return false;
	*out = n;
	return true;
}

/* One key=value of the query string. */
static bool parse_param(enum view_kind kind, char *k, char *v, struct view_query *q, char *err,
			size_t errlen)
{
	unsigned long long n;
	if (strcmp(k, "by") == 0 && (kind == VIEW_TICKETS || kind == VIEW_ASSETS))
		return parse_by(kind, v, q, err, errlen);
	if (strcmp(k, "status") == 0 && kind != VIEW_ASSETS && kind != VIEW_OVERDUE) {
		if (strcmp(v, "open") == 0) {
			q->status = VS_OPEN;
		} else if (strcmp(v, "closed") == 0) {
			q->status = VS_CLOSED;
		} else if (strcmp(v, "any") == 0 || !*v) {
			q->status = VS_ANY;
		} else if (ticket_status_valid(v)) {
			q->status = VS_ONE;
			snprintf(q->status_name, sizeof(q->status_name), "%s", v);
		} else {
			snprintf(err, errlen, "status: '%s' is not open, closed, any or a ticket status",
				 v);
			return false;
		}
		return true;
	}
	if (strcmp(k, "overdue") == 0 && kind == VIEW_TICKETS) {
		if (!*v || strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
			q->overdue = true;
		} else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
			q->overdue = false;
		} else {
			snprintf(err, errlen, "overdue: '%s' is not 1 or 0", v);
			return false;
		}
		return true;
	}
	if (strcmp(k, "scope") == 0) {
		if (*v && !code_valid(v, strlen(v))) {
			snprintf(err, errlen, "scope: '%s' is not a node code", v);
			return false;
		}
		snprintf(q->scope, sizeof(q->scope), "%s", v);
		return true;
	}
	if (strcmp(k, "category") == 0 && kind != VIEW_KPI) {
		size_t l = strlen(v);
		bool digits = true;
		for (size_t i = 0; i < l; i++)
			digits &= isdigit((unsigned char)v[i]) != 0;
		if (!digits || (l != 2 && l != 4)) {
			snprintf(err, errlen, "category: '%s' is not a class (0102) or major class (01)",
				 v);
			return false;
		}
		snprintf(q->category, sizeof(q->category), "%s", v);
		return true;
	}
	if (strcmp(k, "now") == 0) {
		if (!parse_uint(v, 1ull << 40, &n)) {
			snprintf(err, errlen, "now: '%s' is not unix seconds", v);
			return false;
		}
		q->now = (int64_t)n;
		return true;
	}
	if (strcmp(k, "limit") == 0 && kind == VIEW_OVERDUE) {
		if (!parse_uint(v, 10000, &n) || !n) {
			snprintf(err, errlen, "limit: '%s' is not a number from 1 to 10000", v);
			return false;
		}
		q->limit = (unsigned)n;
		return true;
	}
	snprintf(err, errlen, "%s view: no parameter '%s'", kind_names[kind], k);
	return false;
}

enum gm_err views_parse(enum view_kind kind, const char *qs, struct view_query *q, char *err,
			size_t errlen)
{
	memset(q, 0, sizeof(*q));
	q->kind = kind;
	q->limit = 100;
	q->by[0] = (uint8_t)dim_index(kind == VIEW_ASSETS ? "state" : "status");
	q->nby = kind == VIEW_TICKETS || kind == VIEW_ASSETS;
	if (!qs || !*qs)
		return GM_OK;
	if (strlen(qs) > 1024) {
		snprintf(err, errlen, "query string longer than 1024 bytes");
		return GM_E_INVAL;
	}
	char *copy = strdup(qs);
	if (!copy)
		return GM_E_NOMEM;
	enum gm_err e = GM_OK;
	char *save = NULL;
	for (char *tok = strtok_r(copy, "&;", &save); tok; tok = strtok_r(NULL, "&;", &save)) {
		char *eq = strchr(tok, '=');
		char *v = eq ? eq + 1 : tok + strlen(tok);
		if (eq)
			*eq = 0;
		if (!pct_decode(tok) || !pct_decode(v)) {
			snprintf(err, errlen, "bad %%-escape in '%s'", tok);
			e = GM_E_INVAL;
			break;
		}
		if (!parse_param(kind, tok, v, q, err, errlen)) {
			e = GM_E_INVAL;
			break;
		}
	}
	free(copy);
	/* the message quotes the query: it goes to the log, the reply and the rejects table */
	if (e)
		log_clean(err);
	return e;
}

/* -------------------------------------------------------------- SQL text */

struct sqlb {
	char s[2048];
	size_t n;
	bool over;
};

static void add(struct sqlb *b, const char *fmt, ...) GM_PRINTF(2, 3);
static void add(struct sqlb *b, const char *fmt, ...)
{
	va_list ap;
	if (b->over)
		return;
	va_start(ap, fmt);
	int k = vsnprintf(b->s + b->n, sizeof(b->s) - b->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof(b->s) - b->n)
		b->over = true;
	else
		b->n += (size_t)k;
}

/* The filters of a ticket query (status, overdue, scope, category). */
static void ticket_where(struct sqlb *b, const struct view_query *q)
{
	switch (q->status) {
	case VS_ANY: add(b, " WHERE status IS NOT NULL"); break;
	case VS_OPEN: add(b, " WHERE " OPEN_SQL); break;
	case VS_CLOSED: add(b, " WHERE status = 'closed'"); break;
	case VS_ONE: add(b, " WHERE status = :status"); break;
	}
	if (q->overdue)
		add(b, " AND " OPEN_SQL " AND deadline < :now");
	if (q->scope[0])
		add(b, " AND _scope >= :scope AND _scope < :scope || ':'");
	if (strlen(q->category) == 4)
		add(b, " AND category = :cat");
	else if (q->category[0])
		add(b, " AND category >= :cat AND category < :cat || ':'");
}

static bool has_day(const struct view_query *q)
{
	for (unsigned i = 0; i < q->nby; i++)
		if (q->by[i] == D_DAY)
			return true;
	return false;
}

/*
 * The scan of a grouped view: only the columns it needs, so that on a
 * city node the open-ticket index covers the open views.  pos[c] gets the
 * result column of vcol c (-1 if not selected).
 */
static void build_scan(struct sqlb *b, const struct view_query *q, int pos[C__COUNT])
{
	bool need[C__COUNT] = { false };
	bool assets = q->kind == VIEW_ASSETS;
	int n = 0;
	if (assets) {
		need[C_STATE] = true;
	} else {
		/* rows known to be open need no status and no closed time */
		bool only_open = q->status == VS_OPEN || q->overdue;
		need[C_STATUS] = need[C_CLOSED] = !only_open;
		need[C_DEADLINE] = true;
		if (has_day(q))
			need[C_CREATED] = true;
	}
	for (unsigned i = 0; i < q->nby; i++)
		need[assets ? dims[q->by[i]].acol : dims[q->by[i]].tcol] = true;
	add(b, "SELECT ");
	for (int c = 0; c < C__COUNT; c++) {
		pos[c] = need[c] ? n : -1;
		if (need[c])
			add(b, "%s%s", n++ ? ", " : "", vcol_names[c]);
	}
	if (assets) {
		add(b, " FROM asset WHERE state IS NOT NULL");
		if (q->scope[0])
			add(b, " AND _scope >= :scope AND _scope < :scope || ':'");
		if (strlen(q->category) == 4)
			add(b, " AND code = :cat");
		else if (q->category[0])
			add(b, " AND code >= :cat AND code < :cat || ':'");
	} else {
		add(b, " FROM ticket");
		ticket_where(b, q);
	}
}

/* ------------------------------------------------------------- execution */

/* A JSON string of possibly invalid UTF-8 (bad bytes become '?'). */
static json_t *jstr(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	if (j)
		return j;
	char *c = malloc(len + 1);
	if (!c)
		return json_null();
	for (size_t i = 0; i < len; i++)
		c[i] = (unsigned char)s[i] < 0x80 && s[i] ? s[i] : '?';
	j = json_stringn(c, len);
	free(c);
	return j ? j : json_null();
}

static json_t *col_json(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(s, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(s, i));
	case SQLITE_TEXT:
		return jstr((const char *)sqlite3_column_text(s, i), (size_t)sqlite3_column_bytes(s, i));
	default:
		return json_null();
	}
}

/* Records the name of a class key in names.<dim> (once per key). */
static void add_name(json_t *names, const struct catnames *l, unsigned d,
		     const struct vagg_part *p)
{
	char k[8];
	bool major = !strcmp(dims[d].name, "major");
	if (p->type != VAGG_TEXT || p->len >= sizeof(k) ||
	    (!major && strcmp(dims[d].name, "category") && strcmp(dims[d].name, "class")))
		return;
	memcpy(k, p->s, p->len);
	k[p->len] = 0;
	json_t *m = json_object_get(names, dims[d].name);
	if (!m) {
		m = json_object();
		json_object_set_new(names, dims[d].name, m);
	}
	if (json_object_get(m, k))
		return;
	const char *n = major ? catnames_major(l, k) : catnames_minor(l, k);
	json_object_set_new(m, k, n ? jstr(n, strlen(n)) : json_null());
	if (major) {
		json_t *me = json_object_get(names, "major_en");
		if (!me) {
			me = json_object();
			json_object_set_new(names, "major_en", me);
		}
		n = catnames_major_en(l, k);
		json_object_set_new(me, k, n ? jstr(n, strlen(n)) : json_null());
	}
}

static int64_t view_now(struct store *st, const struct view_query *q)
{
	return q->now ? q->now : (int64_t)(store_wall(st) / 1000);
}

static enum gm_err prepare_bind(struct store *st, const struct view_query *q, const char *sql,
				sqlite3_stmt **out)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "view");
	int i;
	if ((i = sqlite3_bind_parameter_index(s, ":now")))
		sqlite3_bind_int64(s, i, view_now(st, q));
	if ((i = sqlite3_bind_parameter_index(s, ":scope")))
		sqlite3_bind_text(s, i, q->scope, -1, SQLITE_TRANSIENT);
	if ((i = sqlite3_bind_parameter_index(s, ":status")))
		sqlite3_bind_text(s, i, q->status_name, -1, SQLITE_TRANSIENT);
	if ((i = sqlite3_bind_parameter_index(s, ":cat")))
		sqlite3_bind_text(s, i, q->category, -1, SQLITE_TRANSIENT);
	if ((i = sqlite3_bind_parameter_index(s, ":limit")))
		sqlite3_bind_int64(s, i, q->limit);
	*out = s;
	return GM_OK;
}

/* Counters of a ticket group, and of a day group. */
enum { N_COUNT, N_OPEN, N_OVERDUE, N_CLOSED, N_ON_TIME, N_REJECTED, N__TICKET };
static const char *const ticket_counts[] = { "count", "open", "overdue", "closed",
					     "closed_on_time", "rejected", NULL };
enum { N_OPENED, N_CLOSED_DAY };
static const char *const day_counts[] = { "opened", "closed", NULL };
static const char *const asset_counts[] = { "count", NULL };

static json_t *jrate(int64_t num, int64_t den)
{
	if (den <= 0)
		return json_null();
	return json_real(round((double)num / (double)den * 10000.0) / 10000.0);
}

/* The row's status is closed (1), rejected (2) or something else (0);
 * a scan that does not select the status holds open tickets only. */
static int closed_or_rejected(sqlite3_stmt *s, int i)
{
	if (i < 0)
		return 0;
	const unsigned char *t = sqlite3_column_text(s, i);
	int n = sqlite3_column_bytes(s, i);
	if (!t)
		return 0;
	if (n == 6 && memcmp(t, "closed", 6) == 0)
		return 1;
	return n == 8 && memcmp(t, "rejected", 8) == 0 ? 2 : 0;
}

/* Appends dimension `d`'s part of the key from the current row; `when`
 * is the day column (created or closed) for the day dimension. */
static void key_part(struct vagg_key *k, sqlite3_stmt *s, const struct dim *d, int p,
		     const struct calendar *cal)
{
	/* text columns (most dimensions): two calls per row instead of three */
	if (!d->num) {
		const char *t = (const char *)sqlite3_column_text(s, p);
		size_t n = t ? (size_t)sqlite3_column_bytes(s, p) : 0;
		if (!t)
			vagg_key_null(k);
		else
			vagg_key_text(k, t, d->cut > 0 && n > (size_t)d->cut ? (size_t)d->cut : n);
		return;
	}
	int type = sqlite3_column_type(s, p);
	if (type == SQLITE_NULL) {
		vagg_key_null(k);
	} else if (d->cut == DAY) {
		/* the day number; its date is written once per group */
		vagg_key_int(k, cal_day(cal, sqlite3_column_int64(s, p)));
	} else if (type == SQLITE_INTEGER) {
		vagg_key_int(k, sqlite3_column_int64(s, p));
	} else {
		const char *t = (const char *)sqlite3_column_text(s, p);
		size_t n = (size_t)sqlite3_column_bytes(s, p);
		if (d->cut > 0 && n > (size_t)d->cut)
			n = (size_t)d->cut;
		vagg_key_text(k, t, n);
	}
}

/* Streams the scan into groups. */
static enum gm_err aggregate(struct store *st, const struct view_query *q, sqlite3_stmt *s,
			     const int pos[C__COUNT], const struct calendar *cal, struct vagg *a)
{
	bool assets = q->kind == VIEW_ASSETS, day = has_day(q);
	int64_t now = view_now(st, q);
	struct vagg_key k;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t *n;
		vagg_key_reset(&k);
		for (unsigned i = 0; i < q->nby; i++) {
			const struct dim *d = &dims[q->by[i]];
			key_part(&k, s, d, pos[assets ? d->acol : d->tcol], cal);
		}
		if (assets) {
			if (!(n = vagg_get(a, &k)))
				return GM_E_NOMEM;
			n[0]++;
			continue;
		}
		int cr = closed_or_rejected(s, pos[C_STATUS]);
		bool closed = cr == 1, rejected = cr == 2;
		if (day) {
			/* the row counts as opened on its created day ... */
			if (sqlite3_column_type(s, pos[C_CREATED]) != SQLITE_NULL) {
				if (!(n = vagg_get(a, &k)))
					return GM_E_NOMEM;
				n[N_OPENED]++;
			}
			/* ... and as closed on its closed day */
			if (closed && sqlite3_column_type(s, pos[C_CLOSED]) != SQLITE_NULL) {
				vagg_key_reset(&k);
				for (unsigned i = 0; i < q->nby; i++) {
					const struct dim *d = &dims[q->by[i]];
					int p = d->cut == DAY ? pos[C_CLOSED] : pos[d->tcol];
					key_part(&k, s, d, p, cal);
				}
				if (!(n = vagg_get(a, &k)))
					return GM_E_NOMEM;
				n[N_CLOSED_DAY]++;
			}
			continue;
		}
		if (!(n = vagg_get(a, &k)))
			return GM_E_NOMEM;
		int64_t dl = sqlite3_column_int64(s, pos[C_DEADLINE]);
		bool has_dl = dl || sqlite3_column_type(s, pos[C_DEADLINE]) != SQLITE_NULL;
		n[N_COUNT]++;
		if (!closed && !rejected) {
			n[N_OPEN]++;
			n[N_OVERDUE] += has_dl && dl < now;
		}
		n[N_CLOSED] += closed;
		n[N_ON_TIME] += closed && (!has_dl || (sqlite3_column_type(s, pos[C_CLOSED]) !=
							SQLITE_NULL &&
							sqlite3_column_int64(s, pos[C_CLOSED]) <= dl));
		n[N_REJECTED] += rejected;
	}
	return rc == SQLITE_DONE ? GM_OK : store_dberr(st, "view");
}

/* Adds the query's description to the answer. */
static void describe(json_t *o, struct store *st, const struct view_query *q,
		     const struct calendar *cal)
{
	char buf[32];
	json_object_set_new(o, "view", json_string(kind_names[q->kind]));
	json_object_set_new(o, "node", json_string(store_code(st)));
	if (q->kind == VIEW_TICKETS || q->kind == VIEW_ASSETS) {
		json_t *by = json_array();
		for (unsigned i = 0; i < q->nby; i++)
			json_array_append_new(by, json_string(dims[q->by[i]].name));
		json_object_set_new(o, "by", by);
	}
	if (q->kind == VIEW_TICKETS || q->kind == VIEW_KPI) {
		static const char *const sn[] = { "any", "open", "closed", "" };
		json_object_set_new(o, "status", json_string(q->status == VS_ONE ? q->status_name :
							     sn[q->status]));
	}
	if (q->kind == VIEW_TICKETS)
		json_object_set_new(o, "overdue", json_boolean(q->overdue));
	json_object_set_new(o, "scope", json_string(q->scope));
	if (q->kind != VIEW_KPI)
		json_object_set_new(o, "category", json_string(q->category));
	int64_t now = view_now(st, q);
	json_object_set_new(o, "now", json_integer(now));
	cal_iso(cal, now, buf);
	json_object_set_new(o, "now_local", json_string(buf));
}

static json_t *part_json(const struct vagg_part *p, const struct dim *d)
{
	char day[11];
	switch (p->type) {
	case VAGG_INT:
		if (d->cut != DAY)
			return json_integer(p->i);
		cal_day_date(p->i, day);
		return json_string(day);
	case VAGG_TEXT: return jstr(p->s, p->len);
	default: return json_null();
	}
}

/* The sorted groups as JSON rows (arrays: the answer's "columns" name
 * their cells), their totals and the names of the classes in them. */
static enum gm_err grouped_json(struct store *st, const struct view_query *q, struct vagg *a,
				json_t *o)
{
	const char *const *counts = q->kind == VIEW_ASSETS ? asset_counts :
				    has_day(q) ? day_counts : ticket_counts;
	struct catnames *lab = NULL;
	int64_t tot[N__TICKET] = { 0 };
	enum gm_err e = catnames_load(st, q->kind == VIEW_ASSETS ? T_CAT_COMPONENT : T_CAT_EVENT,
				      &lab);
	json_t *cols = json_array(), *rows = json_array(), *names = json_object();
	for (unsigned i = 0; i < q->nby; i++)
		json_array_append_new(cols, json_string(dims[q->by[i]].name));
	for (unsigned i = 0; counts[i]; i++)
		json_array_append_new(cols, json_string(counts[i]));
	vagg_sort(a);
	for (size_t g = 0; !e && g < vagg_size(a); g++) {
		size_t klen;
		int64_t *n;
		const uint8_t *key = vagg_at(a, g, &klen, &n);
		json_t *row = json_array();
		for (unsigned i = 0; i < q->nby; i++) {
			struct vagg_part p;
			if (!vagg_key_part(key, klen, i, &p))
				p.type = VAGG_NULL;
			json_array_append_new(row, part_json(&p, &dims[q->by[i]]));
			add_name(names, lab, q->by[i], &p);
		}
		for (unsigned i = 0; counts[i]; i++) {
			tot[i] += n[i];
			json_array_append_new(row, json_integer(n[i]));
		}
		json_array_append_new(rows, row);
	}
	catnames_free(lab);
	json_t *total = json_object();
	for (unsigned i = 0; counts[i]; i++)
		json_object_set_new(total, counts[i], json_integer(tot[i]));
	if (counts == ticket_counts) {
		json_object_set_new(total, "closure_rate",
				    jrate(tot[N_CLOSED], tot[N_COUNT] - tot[N_REJECTED]));
		json_object_set_new(total, "on_time_rate", jrate(tot[N_ON_TIME], tot[N_CLOSED]));
	}
	json_object_set_new(o, "groups", json_integer((json_int_t)json_array_size(rows)));
	json_object_set_new(o, "total", total);
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "names", names);
	return e;
}

static enum gm_err run_grouped(struct store *st, const struct view_query *q,
			       const struct calendar *cal, json_t *o)
{
	struct sqlb b = { .n = 0 };
	int pos[C__COUNT];
	sqlite3_stmt *s;
	enum gm_err e;
	build_scan(&b, q, pos);
	if (b.over)
		return store_fail(st, GM_E_TOOBIG, "view query too long");
	if ((e = prepare_bind(st, q, b.s, &s)))
		return e;
	struct vagg *a = vagg_new(q->kind == VIEW_ASSETS ? 1 : N__TICKET);
	if (!a)
		e = GM_E_NOMEM;
	if (!e)
		e = aggregate(st, q, s, pos, cal, a);
	sqlite3_finalize(s);
	if (!e)
		e = grouped_json(st, q, a, o);
	vagg_free(a);
	if (e == GM_E_NOMEM)
		store_fail(st, e, "out of memory");
	return e;
}

static enum gm_err run_kpi(struct store *st, const struct view_query *q,
			   const struct calendar *cal, json_t *o)
{
	static const char *const names[] = { "tickets", "open", "overdue", "closed",
					     "closed_on_time", "rejected" };
	struct view_query tq = *q;
	enum gm_err e;
	json_t *g = json_object();

	/* the ticket view with no dimension: one group, the totals */
	tq.kind = VIEW_TICKETS;
	tq.nby = 0;
	if ((e = run_grouped(st, &tq, cal, g))) {
		json_decref(g);
		return e;
	}
	json_t *tot = json_object_get(g, "total");
	int64_t v[N__TICKET];
	for (int i = 0; i < N__TICKET; i++) {
		v[i] = json_integer_value(json_object_get(tot, ticket_counts[i]));
		json_object_set_new(o, names[i], json_integer(v[i]));
	}
	json_decref(g);
	json_object_set_new(o, "closure_rate", jrate(v[N_CLOSED], v[N_COUNT] - v[N_REJECTED]));
	json_object_set_new(o, "on_time_rate", jrate(v[N_ON_TIME], v[N_CLOSED]));
	json_object_set_new(o, "overdue_rate", jrate(v[N_OVERDUE], v[N_OPEN]));

	/* assets: how many, and how many not in normal state */
	sqlite3_stmt *a;
	const char *sql = q->scope[0] ?
		"SELECT count(*), sum(state != 'normal') FROM asset WHERE state IS NOT NULL"
		" AND _scope >= ?1 AND _scope < ?1 || ':'" :
		"SELECT count(*), sum(state != 'normal') FROM asset WHERE state IS NOT NULL";
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &a, NULL) != SQLITE_OK)
		return store_dberr(st, "kpi");
	if (q->scope[0])
		sqlite3_bind_text(a, 1, q->scope, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(a) == SQLITE_ROW) {
		json_object_set_new(o, "assets", json_integer(sqlite3_column_int64(a, 0)));
		json_object_set_new(o, "assets_not_normal", json_integer(sqlite3_column_int64(a, 1)));
	} else {
		e = store_dberr(st, "kpi");
	}
	sqlite3_finalize(a);
	return e;
}

static enum gm_err run_overdue(struct store *st, const struct view_query *q,
			       const struct calendar *cal, json_t *o)
{
	static const char *const cols[] = { "id", "scope", "category", "title", "status",
					    "priority", "assignee", "deadline", "created" };
	struct view_query cq = *q;
	struct sqlb b = { .n = 0 }, cb = { .n = 0 };
	sqlite3_stmt *s, *c;
	enum gm_err e;
	int64_t now = view_now(st, q);
	char buf[32];
	int rc;

	/* the most overdue from the index first, then only those rows read */
	cq.status = VS_OPEN;
	add(&b, "SELECT id, _scope, category, title, status, priority, assignee, deadline,"
		" created FROM ticket WHERE rowid IN (SELECT rowid FROM ticket");
	ticket_where(&b, &cq);
	add(&b, " AND deadline < :now ORDER BY deadline, rowid LIMIT :limit)"
		" ORDER BY deadline, rowid");
	add(&cb, "SELECT count(*) FROM ticket");
	ticket_where(&cb, &cq);
	add(&cb, " AND deadline < :now");
	if ((e = prepare_bind(st, q, b.s, &s)))
		return e;
	json_t *rows = json_array();
	json_object_set_new(o, "rows", rows);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *row = json_object();
		for (int i = 0; i < 9; i++)
			json_object_set_new(row, cols[i], col_json(s, i));
		int64_t dl = sqlite3_column_int64(s, 7);
		cal_iso(cal, dl, buf);
		json_object_set_new(row, "deadline_local", json_string(buf));
		json_object_set_new(row, "overdue_hours",
				    json_real(round((double)(now - dl) / 36.0) / 100.0));
		json_array_append_new(rows, row);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_dberr(st, "overdue");
	/* how many in all, beyond the limit */
	if ((e = prepare_bind(st, q, cb.s, &c)))
		return e;
	if (sqlite3_step(c) == SQLITE_ROW)
		json_object_set_new(o, "total", json_integer(sqlite3_column_int64(c, 0)));
	else
		e = store_dberr(st, "overdue");
	sqlite3_finalize(c);
	return e;
}

enum gm_err views_run(struct store *st, const struct view_query *q, json_t **out)
{
	struct calendar cal;
	enum gm_err e;

	if ((e = cal_load(st, &cal)))
		return e;
	json_t *o = json_object();
	describe(o, st, q, &cal);
	switch (q->kind) {
	case VIEW_TICKETS:
	case VIEW_ASSETS:
		e = run_grouped(st, q, &cal, o);
		break;
	case VIEW_KPI:
		e = run_kpi(st, q, &cal, o);
		break;
	case VIEW_OVERDUE:
		e = run_overdue(st, q, &cal, o);
		break;
	}
	if (e) {
		json_decref(o);
		return e;
	}
	*out = o;
	return GM_OK;
}

enum gm_err views_answer(struct store *st, const char *name, const char *qs, char **json,
			 char *err, size_t errlen)
{
	enum view_kind kind;
	struct view_query q;
	json_t *o;
	enum gm_err e;

	*json = NULL;
	if (!views_kind(name, &kind)) {
		snprintf(err, errlen, "no view '%s' (tickets, assets, kpi, overdue)", name);
		log_clean(err);
		return GM_E_INVAL;
	}
	if ((e = views_parse(kind, qs, &q, err, errlen)))
		return e;
	if ((e = views_run(st, &q, &o))) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return e;
	}
	*json = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	json_decref(o);
	return *json ? GM_OK : GM_E_NOMEM;
}

/* ---------------------------------------------------------------- indexes */

static const struct {
	const char *name;
	const char *sql;
} indexes[] = {
	/* open tickets only: small, and it answers every open/overdue view */
	{ "view_ticket_open",
	  "CREATE INDEX view_ticket_open ON ticket(_scope, category, status, priority, source,"
	  " deadline, created, closed) WHERE " OPEN_SQL },
};

enum gm_err views_ensure_indexes(struct store *st)
{
	enum level lv = store_level(st);
	if (lv != LEVEL_CITY && lv != LEVEL_DISTRICT)
		return GM_OK;
	for (size_t i = 0; i < sizeof(indexes) / sizeof(indexes[0]); i++) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(store_db(st), "SELECT 1 FROM sqlite_master WHERE type = 'index'"
				       " AND name = ?1", -1, &s, NULL) != SQLITE_OK)
			return store_dberr(st, "view index");
		sqlite3_bind_text(s, 1, indexes[i].name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE)
			return store_dberr(st, "view index");
		if (sqlite3_exec(store_db(st), indexes[i].sql, NULL, NULL, NULL) != SQLITE_OK)
			return store_dberr(st, "view index");
	}
	return GM_OK;
}
