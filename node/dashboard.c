/* dashboard.c - one self-contained HTML page from the views. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "dashboard.h"
#include "calendar.h"
#include "store_int.h"
#include "views.h"

#define MAX_POINTS 6000
#define MAX_DAYS 120
#define MAX_GRIDS 60
#define MAX_CATS 15

/* ---------------------------------------------------------------- helpers */

static void esc(FILE *o, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", o); break;
		case '<': fputs("&lt;", o); break;
		case '>': fputs("&gt;", o); break;
		case '"': fputs("&quot;", o); break;
		case '\'': fputs("&#39;", o); break;
		default: fputc(*s, o);
		}
	}
}

/* Runs one view: "<query>&now=<now>". */
static enum gm_err view(struct store *st, enum view_kind k, const char *query, int64_t now,
			json_t **out)
{
	struct view_query q;
	char qs[160], err[256];
	snprintf(qs, sizeof(qs), "%s%snow=%lld", query, *query ? "&" : "", (long long)now);
	if (views_parse(k, qs, &q, err, sizeof(err)))
		return store_fail(st, GM_E_INVAL, "dashboard: %s", err);
	return views_run(st, &q, out);
}

/* Cell `name` of a grouped view's row. */
static json_t *cell(json_t *ans, json_t *row, const char *name)
{
	json_t *cols = json_object_get(ans, "columns");
	for (size_t i = 0; i < json_array_size(cols); i++)
		if (strcmp(json_string_value(json_array_get(cols, i)), name) == 0)
			return json_array_get(row, i);
	return NULL;
}

static long long ival(json_t *v)
{
	return (long long)json_integer_value(v);
}

/* A name from the view's names.<dim>, or NULL. */
static const char *name_of(json_t *ans, const char *dim, const char *code)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(ans, "names"),
								 dim), code));
}

static void pct(FILE *o, json_t *v)
{
	if (json_is_real(v))
		fprintf(o, "%.1f%%", json_real_value(v) * 100);
	else
		fputs("&ndash;", o);
}

/* ----------------------------------------------------------------- charts */

struct bar {
	char label[160];
	long long v;
};

static void bars(FILE *o, const char *title, const struct bar *b, size_t n, const char *color)
{
	const int lw = 190, bw = 300, rh = 20;
	long long max = 1;
	for (size_t i = 0; i < n; i++)
		if (b[i].v > max)
			max = b[i].v;
	int h = (int)n * rh + 8;
	fprintf(o, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\""
		   " role=\"img\" aria-label=\"", lw + bw + 80, h, lw + bw + 80, h);
	esc(o, title);
	fputs("\">\n", o);
	for (size_t i = 0; i < n; i++) {
		int y = 4 + (int)i * rh;
		double w = (double)b[i].v / (double)max * bw;
		fprintf(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 6, y + 14);
		esc(o, b[i].label);
		fprintf(o, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
			   "<title>", lw, y + 2, w < 1 && b[i].v ? 1.0 : w, rh - 5, color);
		esc(o, b[i].label);
		fprintf(o, ": %lld</title></rect><text x=\"%.1f\" y=\"%d\">%lld</text>\n",
			b[i].v, lw + w + 4, y + 14, b[i].v);
	}
	fputs("</svg>\n", o);
}

static void section(FILE *o, const char *id, const char *title)
{
	fprintf(o, "<section id=\"%s\"><h2>", id);
	esc(o, title);
	fputs("</h2>\n", o);
}

static void kpi_tiles(FILE *o, json_t *k)
{
	static const struct {
		const char *key, *label;
		bool rate;
	} tiles[] = {
		{ "tickets", "tickets", false }, { "open", "open", false },
		{ "overdue", "overdue", false }, { "closure_rate", "closure rate", true },
		{ "on_time_rate", "on-time closure rate", true },
		{ "assets_not_normal", "assets not normal", false },
	};
	fputs("<div class=\"tiles\">\n", o);
	for (size_t i = 0; i < sizeof(tiles) / sizeof(tiles[0]); i++) {
		json_t *v = json_object_get(k, tiles[i].key);
		fprintf(o, "<div class=\"tile%s\" id=\"kpi-%s\"><div class=\"v\">",
			!strcmp(tiles[i].key, "overdue") && ival(v) ? " alert" : "", tiles[i].key);
		if (tiles[i].rate)
			pct(o, v);
		else
			fprintf(o, "%lld", ival(v));
		fprintf(o, "</div><div class=\"l\">%s</div></div>\n", tiles[i].label);
	}
	fputs("</div>\n", o);
}

static void status_chart(FILE *o, json_t *a)
{
	json_t *rows = json_object_get(a, "rows");
	size_t n = json_array_size(rows);
	struct bar *b = calloc(n ? n : 1, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(rows, i);
		const char *s = json_string_value(cell(a, r, "status"));
		snprintf(b[i].label, sizeof(b[i].label), "%s", s ? s : "(none)");
		b[i].v = ival(cell(a, r, "count"));
	}
	section(o, "by-status", "Tickets by status");
	bars(o, "tickets by status", b, n, "#3b6ea5");
	fputs("</section>\n", o);
	free(b);
}

static int cmp_bar(const void *x, const void *y)
{
	const struct bar *a = x, *b = y;
	return a->v < b->v ? 1 : a->v > b->v ? -1 : strcmp(a->label, b->label);
}

static void category_chart(FILE *o, json_t *a)
{
	json_t *rows = json_object_get(a, "rows");
	size_t n = json_array_size(rows), shown = n < MAX_CATS ? n : MAX_CATS;
	struct bar *b = calloc(n + 1, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(rows, i);
		const char *code = json_string_value(cell(a, r, "category"));
		const char *nm = code ? name_of(a, "category", code) : NULL;
		snprintf(b[i].label, sizeof(b[i].label), "%s %s", code ? code : "-", nm ? nm : "");
		b[i].v = ival(cell(a, r, "count"));
	}
	qsort(b, n, sizeof(*b), cmp_bar);
	/* the long tail in one bar */
	if (n > shown) {
		long long rest = 0;
		for (size_t i = shown; i < n; i++)
			rest += b[i].v;
		snprintf(b[shown].label, sizeof(b[shown].label), "%zu other classes", n - shown);
		b[shown++].v = rest;
	}
	section(o, "by-category", "Tickets by event class");
	bars(o, "tickets by event class", b, shown, "#5b8c3a");
	fputs("</section>\n", o);
	free(b);
}

/* Day number of "YYYY-MM-DD" (-1 if it is not one). */
static int64_t day_number(const char *d)
{
	static const struct calendar utc = { 0, 0, 0, 0 };
	int64_t t;
	return d && cal_parse_iso(&utc, d, &t) ? t / 86400 : -1;
}

/* One point per day, days without tickets at zero, from the first day
 * with data (at most MAX_DAYS back) to the dashboard's `today`. */
static void day_chart(FILE *o, json_t *a, int64_t today)
{
	json_t *rows = json_object_get(a, "rows");
	const int W = 900, H = 260, ml = 56, mb = 34, mt = 12, mr = 16;
	long long op[MAX_DAYS] = { 0 }, cl[MAX_DAYS] = { 0 }, max = 1;
	int64_t d0 = -1;
	section(o, "per-day", "Opened and closed per day");
	for (size_t i = 0; i < json_array_size(rows); i++) {
		int64_t d = day_number(json_string_value(cell(a, json_array_get(rows, i), "day")));
		if (d >= 0 && d <= today && (d0 < 0 || d < d0))
			d0 = d;
	}
	if (d0 < 0) {
		fputs("<p class=\"none\">no tickets</p></section>\n", o);
		return;
	}
	if (d0 < today - (MAX_DAYS - 1))
		d0 = today - (MAX_DAYS - 1);
	int k = (int)(today - d0 + 1);
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);
		int64_t d = day_number(json_string_value(cell(a, r, "day")));
		if (d < d0 || d > today)
			continue;
		op[d - d0] = ival(cell(a, r, "opened"));
		cl[d - d0] = ival(cell(a, r, "closed"));
		if (op[d - d0] > max)
			max = op[d - d0];
		if (cl[d - d0] > max)
			max = cl[d - d0];
	}
	double xs = k > 1 ? (double)(W - ml - mr) / (double)(k - 1) : 0;
	double ys = (double)(H - mb - mt) / (double)max;
	fprintf(o, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\""
		   " aria-label=\"opened and closed per day\">\n", W, H, W, H);
	for (int g = 0; g <= 4; g++) {
		double y = H - mb - (H - mb - mt) * g / 4.0;
		fprintf(o, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%lld</text>\n",
			ml, y, W - mr, y, ml - 6, y + 4, max * g / 4);
	}
	static const char *const colors[] = { "#3b6ea5", "#5b8c3a" };
	const long long *series[] = { op, cl };
	for (int s = 0; s < 2; s++) {
		fprintf(o, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			colors[s]);
		for (int i = 0; i < k; i++)
			fprintf(o, "%.1f,%.1f ", ml + xs * i, H - mb - ys * (double)series[s][i]);
		fputs("\"/>\n", o);
		/* dots too, so that a single day still shows */
		for (int i = 0; i < k && k <= 31; i++)
			fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%lld</title>"
				   "</circle>\n", ml + xs * i, H - mb - ys * (double)series[s][i],
				colors[s], series[s][i]);
	}
	int ticks[3] = { 0, (k - 1) / 2, k - 1 };
	for (int t = 0; t < 3 && (t == 0 || ticks[t] != ticks[t - 1]); t++) {
		char d[11];
		cal_day_date(d0 + ticks[t], d);
		fprintf(o, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>\n",
			ml + xs * ticks[t], H - 10, t == 0 ? "start" : t == 2 ? "end" : "middle", d);
	}
	fprintf(o, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\""
		   " y=\"%d\">opened</text><rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\""
		   " fill=\"%s\"/><text x=\"%d\" y=\"%d\">closed</text>\n</svg>\n",
		W - 170, mt, colors[0], W - 155, mt + 9, W - 90, mt, colors[1], W - 75, mt + 9);
	fputs("</section>\n", o);
}

static void overdue_table(FILE *o, json_t *a, json_t *names)
{
	static const char *const cols[] = { "id", "scope", "category", "status", "deadline_local",
					    "overdue_hours", "assignee", "title" };
	json_t *rows = json_object_get(a, "rows");
	char title[96];
	snprintf(title, sizeof(title), "Overdue tickets (%lld, most overdue first)",
		 ival(json_object_get(a, "total")));
	section(o, "overdue", title);
	if (!json_array_size(rows)) {
		fputs("<p class=\"none\">nothing overdue</p></section>\n", o);
		return;
	}
	fputs("<table class=\"sortable\" id=\"overdue-table\"><thead><tr>", o);
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
		fprintf(o, "<th>%s</th>", !strcmp(cols[c], "deadline_local") ? "deadline" :
					   !strcmp(cols[c], "overdue_hours") ? "hours over" : cols[c]);
	fputs("</tr></thead><tbody>\n", o);
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);
		fputs("<tr>", o);
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			json_t *v = json_object_get(r, cols[c]);
			if (json_is_real(v)) {
				fprintf(o, "<td class=\"n\">%.1f</td>", json_real_value(v));
				continue;
			}
			fputs(json_is_integer(v) ? "<td class=\"n\">" : "<td>", o);
			if (json_is_string(v)) {
				esc(o, json_string_value(v));
				const char *nm = !strcmp(cols[c], "category") ?
					json_string_value(json_object_get(names, json_string_value(v))) :
					NULL;
				if (nm) {
					fputs(" <small>", o);
					esc(o, nm);
					fputs("</small>", o);
				}
			} else if (json_is_integer(v)) {
				fprintf(o, "%lld", ival(v));
			}
			fputs("</td>", o);
		}
		fputs("</tr>\n", o);
	}
	fputs("</tbody></table></section>\n", o);
}

struct grow {
	json_t *row;
	long long open, overdue;
};

static int cmp_grow(const void *x, const void *y)
{
	const struct grow *a = x, *b = y;
	if (a->open != b->open)
		return a->open < b->open ? 1 : -1;
	return a->overdue < b->overdue ? 1 : a->overdue > b->overdue ? -1 : 0;
}

static void heat_table(FILE *o, json_t *a)
{
	static const char *const cols[] = { "count", "open", "overdue", "closed" };
	json_t *rows = json_object_get(a, "rows");
	size_t n = json_array_size(rows), shown = n < MAX_GRIDS ? n : MAX_GRIDS;
	struct grow *g = calloc(n ? n : 1, sizeof(*g));
	long long max[4] = { 1, 1, 1, 1 };
	if (!g)
		return;
	for (size_t i = 0; i < n; i++) {
		g[i].row = json_array_get(rows, i);
		g[i].open = ival(cell(a, g[i].row, "open"));
		g[i].overdue = ival(cell(a, g[i].row, "overdue"));
	}
	qsort(g, n, sizeof(*g), cmp_grow);
	for (size_t i = 0; i < shown; i++)
		for (int c = 0; c < 4; c++)
			if (ival(cell(a, g[i].row, cols[c])) > max[c])
				max[c] = ival(cell(a, g[i].row, cols[c]));
	char title[96];
	snprintf(title, sizeof(title), "Grids, busiest first (%zu of %zu)", shown, n);
	section(o, "grids", title);
	fputs("<table class=\"sortable heat\" id=\"grid-table\"><thead><tr><th>grid</th><th>tickets"
	      "</th><th>open</th><th>overdue</th><th>closed</th><th>closure rate</th>"
	      "<th>on time</th></tr></thead><tbody>\n", o);
	for (size_t i = 0; i < shown; i++) {
		json_t *r = g[i].row;
		const char *code = json_string_value(cell(a, r, "grid"));
		fputs("<tr><td>", o);
		esc(o, code ? code : "-");
		fputs("</td>", o);
		for (int c = 0; c < 4; c++) {
			long long v = ival(cell(a, r, cols[c]));
			/* heat: the cell's share of the busiest grid's */
			fprintf(o, "<td class=\"n\" style=\"background:rgba(%s,%.2f)\">%lld</td>",
				c == 2 ? "200,40,30" : "213,120,0", 0.08 + 0.72 * (double)v /
				(double)max[c], v);
		}
		long long cnt = ival(cell(a, r, "count")), cl = ival(cell(a, r, "closed"));
		long long rej = ival(cell(a, r, "rejected")), ot = ival(cell(a, r, "closed_on_time"));
		if (cnt - rej > 0)
			fprintf(o, "<td class=\"n\">%.1f%%</td>", 100.0 * (double)cl /
				(double)(cnt - rej));
		else
			fputs("<td class=\"n\">&ndash;</td>", o);
		if (cl > 0)
			fprintf(o, "<td class=\"n\">%.1f%%</td></tr>\n", 100.0 * (double)ot / (double)cl);
		else
			fputs("<td class=\"n\">&ndash;</td></tr>\n", o);
	}
	fputs("</tbody></table></section>\n", o);
	free(g);
}

/* ---------------------------------------------------------------- scatter */

struct pt {
	double lat, lon;
	int cls;               /* 0 closed, 1 open, 2 overdue */
	char id[48];
};

/* Open tickets first (all of them up to the cap), then a even sample of
 * the rest. */
static enum gm_err points(struct store *st, int64_t now, long long total, struct pt **out,
			  size_t *n)
{
	static const char *const sql[2] = {
		"SELECT lat, lon, status, deadline, id FROM ticket WHERE status NOT IN"
		" ('closed','rejected') AND lat IS NOT NULL AND lon IS NOT NULL LIMIT ?1",
		"SELECT lat, lon, status, deadline, id FROM ticket WHERE status IN"
		" ('closed','rejected') AND lat IS NOT NULL AND lon IS NOT NULL"
		" AND rowid % ?2 = 0 LIMIT ?1",
	};
	struct pt *p = calloc(MAX_POINTS, sizeof(*p));
	size_t k = 0;
	if (!p)
		return GM_E_NOMEM;
	for (int q = 0; q < 2 && k < MAX_POINTS; q++) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(store_db(st), sql[q], -1, &s, NULL) != SQLITE_OK) {
			free(p);
			return store_dberr(st, "dashboard points");
		}
		long long stride = total / (MAX_POINTS - (long long)k) + 1;
		sqlite3_bind_int64(s, 1, MAX_POINTS - (long long)k);
		sqlite3_bind_int64(s, 2, stride);
		while (k < MAX_POINTS && sqlite3_step(s) == SQLITE_ROW) {
			p[k].lat = sqlite3_column_double(s, 0);
			p[k].lon = sqlite3_column_double(s, 1);
			p[k].cls = q == 1 ? 0 : sqlite3_column_type(s, 3) == SQLITE_INTEGER &&
						sqlite3_column_int64(s, 3) < now ? 2 : 1;
			snprintf(p[k].id, sizeof(p[k].id), "%s", (const char *)sqlite3_column_text(s, 4));
			k++;
		}
		sqlite3_finalize(s);
	}
	*out = p;
	*n = k;
	return GM_OK;
}

static void scatter(FILE *o, const struct pt *p, size_t n)
{
	section(o, "map", "Where the tickets are");
	if (!n) {
		fputs("<p class=\"none\">no ticket has a location</p></section>\n", o);
		return;
	}
	double la0 = p[0].lat, la1 = p[0].lat, lo0 = p[0].lon, lo1 = p[0].lon;
	for (size_t i = 1; i < n; i++) {
		la0 = fmin(la0, p[i].lat);
		la1 = fmax(la1, p[i].lat);
		lo0 = fmin(lo0, p[i].lon);
		lo1 = fmax(lo1, p[i].lon);
	}
	/* equirectangular, a degree of longitude shortened by cos(latitude) */
	double kx = cos((la0 + la1) / 2 * M_PI / 180);
	double dw = fmax((lo1 - lo0) * kx, 1e-4), dh = fmax(la1 - la0, 1e-4);
	const double pad = 12;
	double s = (900 - 2 * pad) / dw;
	if (dh * s + 2 * pad > 700)
		s = (700 - 2 * pad) / dh;
	double W = dw * s + 2 * pad, H = dh * s + 2 * pad;
	fprintf(o, "<svg class=\"chart map\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\""
		   " height=\"%.0f\" role=\"img\" aria-label=\"ticket locations\">\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"#f4f1ea\"/>\n", W, H, W, H);
	static const char *const fill[] = { "#9a9a9a", "#e0452b", "#8b0000" };
	static const char *const what[] = { "closed", "open", "overdue" };
	for (int cls = 0; cls < 3; cls++) {
		fprintf(o, "<g fill=\"%s\" fill-opacity=\"%s\">\n", fill[cls], cls ? "0.9" : "0.45");
		for (size_t i = 0; i < n; i++) {
			if (p[i].cls != cls)
				continue;
			fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"><title>", pad +
				(p[i].lon - lo0) * kx * s, pad + (la1 - p[i].lat) * s,
				cls ? "2.6" : "1.8");
			esc(o, p[i].id);
			fprintf(o, " (%s)</title></circle>\n", what[cls]);
		}
		fputs("</g>\n", o);
	}
	fputs("</svg>\n<p class=\"legend\"><span style=\"color:#e0452b\">&#9679;</span> open "
	      "<span style=\"color:#8b0000\">&#9679;</span> overdue <span style=\"color:#9a9a9a\">"
	      "&#9679;</span> closed (a sample)</p></section>\n", o);
}

/* ------------------------------------------------------------------- page */

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#fafafa;color:#222}"
	"header{background:#1f3b57;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}"
	"header p{margin:4px 0 0;opacity:.8}main{padding:16px 24px;display:grid;"
	"grid-template-columns:repeat(auto-fit,minmax(600px,1fr));gap:18px}"
	"section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;"
	"overflow-x:auto}section h2{margin:0 0 10px;font-size:16px}"
	".tiles{display:flex;flex-wrap:wrap;gap:12px;padding:16px 24px 0}"
	".tile{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 18px;"
	"min-width:130px}.tile .v{font-size:26px;font-weight:600}.tile .l{color:#666}"
	".tile.alert .v{color:#b3261e}svg text{font-size:11px;fill:#333}"
	"svg .grid{stroke:#e2e2e2}table{border-collapse:collapse;width:100%}"
	"th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}"
	"th{cursor:pointer;background:#f2f2f2}td.n{text-align:right}.none{color:#777}"
	"#map,#grids,#overdue{grid-column:1/-1}footer{padding:8px 24px;color:#777}";

/* Sortable tables, and a mark that the script ran (the browser test). */
static const char script[] =
	"(function(){\n"
	"var n=0;\n"
	"function key(c){var t=c.textContent.trim(),v=parseFloat(t);return isNaN(v)?t:v;}\n"
	"function sort(t,i,th){var b=t.tBodies[0],r=Array.prototype.slice.call(b.rows),"
	"up=th.getAttribute('data-dir')!=='up';\n"
	"r.sort(function(x,y){var a=key(x.cells[i]),c=key(y.cells[i]);"
	"var d=(typeof a==='number'&&typeof c==='number')?a-c:String(a).localeCompare(String(c));"
	"return up?d:-d;});\n"
	"r.forEach(function(x){b.appendChild(x);});th.setAttribute('data-dir',up?'up':'down');}\n"
	"document.querySelectorAll('table.sortable').forEach(function(t){n++;"
	"Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th,i){"
	"th.addEventListener('click',function(){sort(t,i,th);});});});\n"
	"document.getElementById('gm-script').textContent='tables: '+n+' sortable (click a"
	" heading)';\n"
	"document.body.setAttribute('data-gm-ready','1');\n"
	"})();\n";

enum gm_err dashboard_write(struct store *st, FILE *o, int64_t now)
{
	char when[26];
	struct calendar cal;
	enum gm_err e = GM_OK;
	json_t *kpi = NULL, *stat = NULL, *cats = NULL, *days = NULL, *over = NULL, *grids = NULL;
	struct pt *pts = NULL;
	size_t npts = 0;

	if ((e = cal_load(st, &cal)))
		return e;
	if (!now)
		now = (int64_t)(store_wall(st) / 1000);
	if ((e = view(st, VIEW_KPI, "", now, &kpi)) ||
	    (e = view(st, VIEW_TICKETS, "by=status", now, &stat)) ||
	    (e = view(st, VIEW_TICKETS, "by=category", now, &cats)) ||
	    (e = view(st, VIEW_TICKETS, "by=day", now, &days)) ||
	    (e = view(st, VIEW_OVERDUE, "limit=30", now, &over)) ||
	    (e = view(st, VIEW_TICKETS, "by=grid", now, &grids)) ||
	    (e = points(st, now, ival(json_object_get(kpi, "tickets")), &pts, &npts)))
		goto out_free;

	cal_iso(&cal, now, when);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>gridmesh ", o);
	esc(o, store_code(st));
	fprintf(o, "</title>\n<style>%s</style></head>\n<body data-gm-ready=\"0\">\n"
		   "<header><h1>gridmesh command centre: %s node ", css,
		level_name(store_level(st)));
	esc(o, store_code(st));
	fputs("</h1><p>as of ", o);
	esc(o, when);
	fputs("</p></header>\n", o);
	kpi_tiles(o, kpi);
	fputs("<main>\n", o);
	status_chart(o, stat);
	category_chart(o, cats);
	day_chart(o, days, cal_day(&cal, now));
	overdue_table(o, over, json_object_get(json_object_get(cats, "names"), "category"));
	heat_table(o, grids);
	scatter(o, pts, npts);
	fputs("</main>\n<footer><span id=\"gm-script\">tables: static (script did not run)</span>"
	      " &middot; generated by gridctl dashboard</footer>\n<script>\n", o);
	fputs(script, o);
	fputs("</script>\n</body></html>\n", o);
	if (ferror(o))
		e = store_fail(st, GM_E_IO, "dashboard: write failed");
out_free:
	free(pts);
	json_decref(kpi);
	json_decref(stat);
	json_decref(cats);
	json_decref(days);
	json_decref(over);
	json_decref(grids);
	return e;
}
