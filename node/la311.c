/* la311.c - MyLA311 CSV rows into tickets with their lifecycle. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "la311.h"
#include "calendar.h"
#include "csvread.h"
#include "limits.h"
#include "log.h"
#include "store.h"
#include "tkimport.h"

static const struct {
	const char *type;
	const char *cat;
} cats[] = {
	{ "Bulky Items", "0108" },
	{ "Graffiti Removal", "0113" },
	{ "Illegal Dumping Pickup", "0103" },
	{ "Metal/Household Appliances", "0108" },
	{ "Homeless Encampment", "0502" },
	{ "Electronic Waste", "0108" },
	{ "Dead Animal Removal", "0117" },
	{ "Single Streetlight Issue", "0408" },
	{ "Multiple Streetlight Issue", "0408" },
	{ "Report Water Waste", "0402" },
};

const char *la311_category(const char *requesttype)
{
	for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		if (strcmp(requesttype, cats[i].type) == 0)
			return cats[i].cat;
	return NULL;
}

static const struct {
	const char *from, *to;
} sources[] = {
	{ "Call", "hotline" },
	{ "Email", "hotline" },
	{ "Letter", "hotline" },
	{ "Council's Office", "hotline" },
	{ "Mobile App", "citizen_app" },
	{ "Self Service", "citizen_app" },
	{ "Driver Self Report", "grid_worker" },
};

static const char *map_source(const char *s)
{
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(s, sources[i].from) == 0)
			return sources[i].to;
	return "import";
}

/* The seven area planning commissions, in a fixed order: district codes. */
static const char *const apcs[] = { "Central APC", "East Los Angeles APC", "Harbor APC",
				    "North Valley APC", "South Los Angeles APC",
				    "South Valley APC", "West Los Angeles APC" };

enum col { F_SR, F_TYPE, F_STATUS, F_CREATED, F_UPDATED, F_SERVICED, F_CLOSED, F_SOURCE,
	   F_OWNER, F_LAT, F_LON, F_ADDRESS, F_APC, F_NC, F_NCNAME, F_CD, F__COUNT };
static const char *const colnames[F__COUNT] = {
	"srnumber", "requesttype", "status", "createddate", "updateddate", "servicedate",
	"closeddate", "requestsource", "owner", "latitude", "longitude", "address", "apc", "nc",
	"ncname", "cd",
};
#define F__REQUIRED 4   /* the first four must be there */

struct imp {
	struct store *st;
	const char *path;
	struct calendar tz;          /* only its utc_offset: the file's local time */
	struct calendar cal;         /* the node's calendar, for deadlines */
	struct limits *lim;
	int pos[F__COUNT];
	bool header;
	unsigned pending;            /* records in the open transaction */
	la311_msg_fn msg;
	void *ctx;
	struct la311_stats *stats;
	enum gm_err fatal;
	char err[300];
};

static void refuse(struct imp *m, unsigned long line, const char *fmt, ...) GM_PRINTF(3, 4);
static void refuse(struct imp *m, unsigned long line, const char *fmt, ...)
{
	char why[256], out[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s:%lu: %s", m->path, line, why);
	m->stats->refused++;
	/* it quotes the file's fields onto a terminal */
	log_clean(out);
	if (m->msg)
		m->msg(m->ctx, out);
}

/* "M/D/YY H:MM[:SS]" or "M/D/YYYY ..." (local time); "" = none (0). */
static bool parse_date(const struct calendar *tz, const char *s, int64_t *out)
{
	int mo, d, y, h = 0, mi = 0, se = 0, n = 0;
	*out = 0;
	if (!*s)
		return true;
	if (sscanf(s, "%2d/%2d/%4d%n", &mo, &d, &y, &n) != 3)
		return false;
	const char *p = s + n;
	int ylen = 0;
	for (const char *q = strrchr(s, '/') + 1; isdigit((unsigned char)*q); q++)
		ylen++;
	if (ylen == 2)
		y += 2000;
	else if (ylen != 4)
		return false;
	if (*p == ' ') {
		int k = 0;
		if (sscanf(p, " %2d:%2d%n", &h, &mi, &k) != 2)
			return false;
		p += k;
		if (*p == ':') {
			if (sscanf(p, ":%2d%n", &se, &k) != 1)
				return false;
			p += k;
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
		return false;
	char iso[24];
	snprintf(iso, sizeof(iso), "%04d-%02d-%02d", y, mo, d);
	int64_t day;
	if (!cal_parse_iso(tz, iso, &day))   /* rejects 2/30 and the like */
		return false;
	*out = day + h * 3600 + mi * 60 + se;
	return true;
}

static bool parse_coord(const char *s, double lim, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return *s && !errno && !*end && isfinite(*out) && fabs(*out) <= lim;
}

/* The ticket's scope below the node, from the row's APC, NC and cell. */
static void derive_scope(struct imp *m, char **f, bool has_loc, double lat, double lon,
			 char *scope)
{
	const char *code = store_code(m->st);
	enum level lv = store_level(m->st);
	snprintf(scope, CODE_MAX + 1, "%s", code);
	if (lv == LEVEL_CITY) {
		size_t i;
		for (i = 0; i < sizeof(apcs) / sizeof(apcs[0]); i++)
			if (m->pos[F_APC] >= 0 && strcmp(f[m->pos[F_APC]], apcs[i]) == 0)
				break;
		if (i == sizeof(apcs) / sizeof(apcs[0]))
			return;
		snprintf(scope + 4, CODE_MAX - 3, "%02zu", i + 1);
		lv = LEVEL_DISTRICT;
	}
	if (lv == LEVEL_DISTRICT) {
		const char *nc = m->pos[F_NC] >= 0 ? f[m->pos[F_NC]] : "";
		char *end;
		long v = strtol(nc, &end, 10);
		if (!*nc || *end || v < 0 || v > 999)
			return;
		snprintf(scope + 6, CODE_MAX - 5, "%03ld", v);
		lv = LEVEL_STREET;
	}
	if (lv == LEVEL_STREET && has_loc) {
		/* the nudge keeps 34.05 in cell 405 although 34.05 * 100 < 3405 */
		snprintf(scope + 9, CODE_MAX - 8, "%03d%03d",
			 (int)floor(fabs(lat) * 100 + 1e-9) % 1000,
			 (int)floor(fabs(lon) * 100 + 1e-9) % 1000);
	}
}

static const char *field(struct imp *m, char **f, enum col c)
{
	return m->pos[c] >= 0 ? f[m->pos[c]] : "";
}

static int header(struct imp *m, unsigned n, char **f, unsigned long line)
{
	for (int c = 0; c < F__COUNT; c++) {
		m->pos[c] = -1;
		for (unsigned i = 0; i < n; i++)
			if (strcmp(f[i], colnames[c]) == 0)
				m->pos[c] = (int)i;
		if (c < F__REQUIRED && m->pos[c] < 0) {
			snprintf(m->err, sizeof(m->err), "%s:%lu: no column '%s' (not a MyLA311"
				 " export?)", m->path, line, colnames[c]);
			m->fatal = GM_E_MALFORMED;
			return 1;
		}
	}
	m->header = true;
	return 0;
}

static int on_row(void *ctx, unsigned n, char **f, size_t *lens, unsigned long line)
{
	struct imp *m = ctx;
	struct tki_ticket t;
	char title[300], descr[600], why[256];
	int64_t created, updated, serviced, closed;
	(void)lens;

	if (!m->header)
		return header(m, n, f, line);
	if (n == 1 && !f[0][0])
		return 0;   /* a blank line */
	m->stats->rows++;
	for (int c = 0; c < F__COUNT; c++) {
		if (m->pos[c] >= (int)n) {
			refuse(m, line, "%u fields, the header has more", n);
			return 0;
		}
	}
	memset(&t, 0, sizeof(t));
	const char *sr = field(m, f, F_SR), *type = field(m, f, F_TYPE);
	const char *status = field(m, f, F_STATUS);
	size_t srl = strlen(sr);
	if (!srl || srl > 64 || strspn(sr, "0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != srl) {
		refuse(m, line, "srnumber '%s' is not a request number", sr);
		return 0;
	}
	if (!*type) {
		refuse(m, line, "no requesttype");
		return 0;
	}
	static const char *const dcols[] = { "createddate", "updateddate", "servicedate",
					     "closeddate" };
	int64_t *dates[] = { &created, &updated, &serviced, &closed };
	for (int i = 0; i < 4; i++) {
		const char *v = field(m, f, (enum col)(F_CREATED + i));
		if (!parse_date(&m->tz, v, dates[i])) {
			refuse(m, line, "%s '%s' is not M/D/YY H:MM", dcols[i], v);
			return 0;
		}
	}
	if (!created) {
		refuse(m, line, "no createddate");
		return 0;
	}
	const char *lat = field(m, f, F_LAT), *lon = field(m, f, F_LON);
	if (*lat || *lon) {
		if (!parse_coord(lat, 90, &t.lat) || !parse_coord(lon, 180, &t.lon)) {
			refuse(m, line, "latitude '%s', longitude '%s' are not coordinates", lat, lon);
			return 0;
		}
		t.has_loc = true;
	}
	snprintf(t.id, sizeof(t.id), "%s-LA%s", store_code(m->st), sr);
	derive_scope(m, f, t.has_loc, t.lat, t.lon, t.scope);
	/* "Other" has no class; a ticket needs one: street not clean, which is
	 * what most of LA's "Other" sanitation requests are */
	t.category = la311_category(type) ? la311_category(type) : "0104";
	const char *addr = field(m, f, F_ADDRESS);
	snprintf(title, sizeof(title), "%s%s%s", type, *addr ? " at " : "", addr);
	snprintf(descr, sizeof(descr), "MyLA311 %s: %s%s%s%s%s", sr, type,
		 *field(m, f, F_NCNAME) ? "; " : "", field(m, f, F_NCNAME),
		 *field(m, f, F_CD) ? "; council district " : "", field(m, f, F_CD));
	t.title = title;
	t.descr = descr;
	t.address = *addr ? addr : NULL;
	t.source = map_source(field(m, f, F_SOURCE));
	t.assignee = *field(m, f, F_OWNER) ? field(m, f, F_OWNER) : NULL;
	t.priority = 3;
	t.created = created;
	t.actor = "import:la311";

	/* the lifecycle, each step noted with the source's time */
	char when[26];
	cal_iso(&m->tz, created, when);
	t.steps[0].status = "registered";
	snprintf(t.steps[0].note, sizeof(t.steps[0].note), "MyLA311 %s created %s via %s", sr,
		 when, *field(m, f, F_SOURCE) ? field(m, f, F_SOURCE) : "unknown");
	t.nsteps = 1;
	int64_t end = closed ? closed : updated;
	cal_iso(&m->tz, end, when);
	if (!strcmp(status, "Closed")) {
		if (serviced) {
			char sv[26];
			cal_iso(&m->tz, serviced, sv);
			t.steps[t.nsteps].status = "resolved";
			snprintf(t.steps[t.nsteps++].note, sizeof(t.steps[0].note), "serviced %s", sv);
		}
		t.steps[t.nsteps].status = "closed";
		t.steps[t.nsteps].closed = end;
		snprintf(t.steps[t.nsteps++].note, sizeof(t.steps[0].note), "closed %s",
			 end ? when : "(no date)");
	} else if (!strcmp(status, "Cancelled")) {
		t.steps[t.nsteps].status = "rejected";
		snprintf(t.steps[t.nsteps++].note, sizeof(t.steps[0].note), "cancelled %s",
			 end ? when : "(no date)");
	} else if (!strcmp(status, "Pending") || !strcmp(status, "Referred Out")) {
		t.steps[t.nsteps].status = "dispatched";
		snprintf(t.steps[t.nsteps++].note, sizeof(t.steps[0].note), "%s %s",
			 !strcmp(status, "Pending") ? "pending, updated" : "referred out, updated",
			 updated ? when : "(no date)");
	} else if (strcmp(status, "Open") != 0) {
		refuse(m, line, "status '%s' is not Open, Pending, Referred Out, Closed or Cancelled",
		       status);
		return 0;
	}

	if (!tkimport_check(m->st, &t, why, sizeof(why))) {
		refuse(m, line, "%s", why);
		return 0;
	}
	if (!m->pending && (m->fatal = store_begin(m->st))) {
		snprintf(m->err, sizeof(m->err), "%s", store_errmsg(m->st));
		return 1;
	}
	enum tki_result res;
	enum gm_err e = tkimport_put(m->st, m->lim, &m->cal, &t, &res);
	if (e && !tkimport_refusal(e)) {
		snprintf(m->err, sizeof(m->err), "%s:%lu: %s", m->path, line, store_errmsg(m->st));
		store_rollback(m->st);
		m->pending = 0;
		m->fatal = e;
		return 1;
	}
	m->pending++;
	if (e)
		refuse(m, line, "%s", store_errmsg(m->st));
	else if (res == TKI_NEW)
		m->stats->created++;
	else if (res == TKI_UPDATED)
		m->stats->updated++;
	else
		m->stats->unchanged++;
	if (m->pending >= 500) {
		m->pending = 0;
		if ((m->fatal = store_commit(m->st))) {
			snprintf(m->err, sizeof(m->err), "%s", store_errmsg(m->st));
			return 1;
		}
	}
	return 0;
}

enum gm_err la311_import(struct store *st, const char *path, int utc_offset, la311_msg_fn msg,
			 void *ctx, struct la311_stats *stats, char *err, size_t errlen)
{
	struct imp m = { .st = st, .path = path, .msg = msg, .ctx = ctx, .stats = stats };
	enum gm_err e;
	memset(stats, 0, sizeof(*stats));
	m.tz.utc_offset = utc_offset;
	if ((e = cal_load(st, &m.cal)) || (e = limits_load(st, &m.lim))) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return e;
	}
	int rc = csvread_file(path, on_row, &m, err, errlen);
	/* the records read so far are whole: keep them, whatever came next */
	if (m.pending && !m.fatal && (m.fatal = store_commit(st)))
		snprintf(m.err, sizeof(m.err), "%s", store_errmsg(st));
	limits_free(m.lim);
	if (rc < 0)
		return GM_E_MALFORMED;
	if (m.fatal) {
		snprintf(err, errlen, "%s", m.err);
		return m.fatal;
	}
	if (!m.header) {
		snprintf(err, errlen, "%s: empty file", path);
		return GM_E_MALFORMED;
	}
	return GM_OK;
}
