/* ctl_view.c - gridctl view tickets|assets|kpi|overdue: node/views.h on the
 * command line, as an aligned table or the same JSON the daemon serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "../node/views.h"

/* Appends key=value to a query string, %-escaping the value. */
static void qs_add(char *qs, size_t cap, const char *key, const char *val)
{
	size_t n = strlen(qs);
	n += (size_t)snprintf(qs + n, n < cap ? cap - n : 0, "%s%s=", n ? "&" : "", key);
	for (const unsigned char *p = (const unsigned char *)val; *p && n + 4 < cap; p++) {
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == ',' || *p == '_' || *p == '-')
			qs[n++] = (char)*p;
		else
			n += (size_t)snprintf(qs + n, cap - n, "%%%02X", *p);
	}
	if (n < cap)
		qs[n] = 0;
}

/* Terminal width of UTF-8 text: CJK and fullwidth forms take two cells. */
static int text_width(const char *s)
{
	int w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned cp;
		int n;
		if (*p < 0x80) {
			cp = *p;
			n = 1;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 3;
		} else {
			cp = *p & 0x07;
			n = 4;
		}
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				n = i;
				break;
			}
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		p += n;
		bool wide = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
			    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
			    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
			    (cp >= 0xffe0 && cp <= 0xffe6);
		w += wide ? 2 : 1;
	}
	return w;
}

/* A table of strings, printed with columns padded to their widest cell. */
struct table {
	unsigned ncols, nrows;
	char **cells;            /* nrows x ncols, row 0 = header */
	bool *right;             /* per column: right-aligned (numbers) */
};

static bool table_init(struct table *t, unsigned ncols, unsigned nrows)
{
	t->ncols = ncols;
	t->nrows = nrows;
	t->cells = calloc((size_t)ncols * nrows, sizeof(*t->cells));
	t->right = calloc(ncols, sizeof(*t->right));
	return t->cells && t->right;
}

static void table_set(struct table *t, unsigned row, unsigned col, const char *s)
{
	free(t->cells[(size_t)row * t->ncols + col]);
	t->cells[(size_t)row * t->ncols + col] = strdup(s ? s : "-");
}

static void table_print(const struct table *t)
{
	int *w = calloc(t->ncols, sizeof(*w));
	if (!w)
		return;
	for (unsigned r = 0; r < t->nrows; r++)
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *s = t->cells[(size_t)r * t->ncols + c];
			int x = text_width(s ? s : "-");
			if (x > w[c])
				w[c] = x;
		}
	for (unsigned r = 0; r < t->nrows; r++) {
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *s = t->cells[(size_t)r * t->ncols + c];
			int pad = w[c] - text_width(s ? s : "-");
			if (c)
				fputs("  ", stdout);
			if (t->right[c])
				printf("%*s%s", pad, "", s ? s : "-");
			else if (c + 1 < t->ncols)
				printf("%s%*s", s ? s : "-", pad, "");
			else
				fputs(s ? s : "-", stdout);
		}
		putchar('\n');
	}
	free(w);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; t->cells && i < (size_t)t->ncols * t->nrows; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->right);
}

static void cell_text(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.2f", json_real_value(v));
	else
		snprintf(buf, len, "-");
}

/* Grouped views: the key columns (with class names beside class codes),
 * the counts, and a total line. */
static void print_grouped(json_t *o)
{
	json_t *cols = json_object_get(o, "columns"), *rows = json_object_get(o, "rows");
	json_t *names = json_object_get(o, "names"), *by = json_object_get(o, "by");
	json_t *total = json_object_get(o, "total");
	size_t nkeys = json_array_size(by), ncols = json_array_size(cols);
	unsigned extra = 0;
	for (size_t i = 0; i < nkeys; i++)
		extra += json_object_get(names, json_string_value(json_array_get(by, i))) != NULL;
	struct table t;
	char buf[256];
	if (!table_init(&t, (unsigned)(ncols + extra), (unsigned)json_array_size(rows) + 2))
		goto out_free;
	for (size_t r = 0; r <= json_array_size(rows) + 1; r++) {
		json_t *row = r && r <= json_array_size(rows) ? json_array_get(rows, r - 1) : NULL;
		unsigned c = 0;
		for (size_t i = 0; i < ncols; i++) {
			const char *cn = json_string_value(json_array_get(cols, i));
			json_t *nm = i < nkeys ? json_object_get(names, cn) : NULL;
			if (r == 0) {
				table_set(&t, 0, c, cn);
			} else if (row) {
				json_t *v = json_array_get(row, i);
				cell_text(v, buf, sizeof(buf));
				table_set(&t, (unsigned)r, c, buf);
				t.right[c] = i >= nkeys || json_is_integer(v);
			} else {
				if (i >= nkeys)
					cell_text(json_object_get(total, cn), buf, sizeof(buf));
				table_set(&t, (unsigned)r, c, i == 0 ? "total" : i < nkeys ? "" : buf);
			}
			c++;
			if (nm) {
				const char *nv = NULL;
				if (r == 0)
					nv = "name";
				else if (row && json_is_string(json_array_get(row, i)))
					nv = json_string_value(json_object_get(nm,
						json_string_value(json_array_get(row, i))));
				table_set(&t, (unsigned)r, c++, nv ? nv : r > json_array_size(rows) ?
					  "" : "-");
			}
		}
	}
	table_print(&t);
	json_t *cr = json_object_get(total, "closure_rate"), *ot = json_object_get(total,
										   "on_time_rate");
	/* the rates mean something only over all tickets, not a filtered few */
	const char *status = json_string_value(json_object_get(o, "status"));
	if ((json_is_real(cr) || json_is_real(ot)) && status && !strcmp(status, "any") &&
	    !json_is_true(json_object_get(o, "overdue"))) {
		printf("closure rate %s", json_is_real(cr) ? "" : "-");
		if (json_is_real(cr))
			printf("%.2f%%", json_real_value(cr) * 100);
		printf(", on-time closure rate %s", json_is_real(ot) ? "" : "-");
		if (json_is_real(ot))
			printf("%.2f%%", json_real_value(ot) * 100);
		putchar('\n');
	}
out_free:
	table_free(&t);
}

static void print_kpi(json_t *o)
{
	static const char *const keys[] = { "tickets", "open", "overdue", "closed",
					    "closed_on_time", "rejected", "closure_rate",
					    "on_time_rate", "overdue_rate", "assets",
					    "assets_not_normal", NULL };
	printf("node %s%s%s, as of %s\n", json_string_value(json_object_get(o, "node")),
	       *json_string_value(json_object_get(o, "scope")) ? ", scope " : "",
	       json_string_value(json_object_get(o, "scope")),
	       json_string_value(json_object_get(o, "now_local")));
	for (size_t i = 0; keys[i]; i++) {
		json_t *v = json_object_get(o, keys[i]);
		if (json_is_real(v))
			printf("  %-18s %10.2f%%\n", keys[i], json_real_value(v) * 100);
		else if (json_is_integer(v))
			printf("  %-18s %10lld\n", keys[i], (long long)json_integer_value(v));
		else
			printf("  %-18s %10s\n", keys[i], "-");
	}
}

static void print_overdue(json_t *o)
{
	static const char *const cols[] = { "id", "scope", "category", "status",
					    "deadline_local", "overdue_hours", "assignee", "title",
					    NULL };
	json_t *rows = json_object_get(o, "rows");
	struct table t;
	char buf[256];
	if (table_init(&t, 8, (unsigned)json_array_size(rows) + 1)) {
		for (unsigned c = 0; cols[c]; c++) {
			table_set(&t, 0, c, cols[c]);
			t.right[c] = c == 5;
			for (size_t r = 0; r < json_array_size(rows); r++) {
				cell_text(json_object_get(json_array_get(rows, r), cols[c]), buf,
					  sizeof(buf));
				table_set(&t, (unsigned)r + 1, c, buf);
			}
		}
		table_print(&t);
	}
	table_free(&t);
	printf("%zu shown of %lld overdue\n", json_array_size(rows),
	       (long long)json_integer_value(json_object_get(o, "total")));
}

int cmd_view(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "status", required_argument, NULL, 's' },
		{ "overdue", no_argument, NULL, 'o' },
		{ "scope", required_argument, NULL, 'S' },
		{ "category", required_argument, NULL, 'c' },
		{ "now", required_argument, NULL, 'n' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char qs[1024] = "", err[256], buf[32];
	enum view_kind kind;
	long long t;
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'b': qs_add(qs, sizeof(qs), "by", optarg); break;
		case 's': qs_add(qs, sizeof(qs), "status", optarg); break;
		case 'o': qs_add(qs, sizeof(qs), "overdue", "1"); break;
		case 'S': qs_add(qs, sizeof(qs), "scope", optarg); break;
		case 'c': qs_add(qs, sizeof(qs), "category", optarg); break;
		case 'n':
			if (!ctl_parse_time(c, "--now", optarg, &t))
				return EX_USAGE;
			snprintf(buf, sizeof(buf), "%lld", t);
			qs_add(qs, sizeof(qs), "now", buf);
			break;
		case 'l': qs_add(qs, sizeof(qs), "limit", optarg); break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	if (!views_kind(argv[optind], &kind)) {
		ctl_err(c, "no view '%s' (tickets, assets, kpi, overdue)", argv[optind]);
		return EX_USAGE;
	}
	struct view_query q;
	json_t *res;
	if (views_parse(kind, qs, &q, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_USAGE;
	}
	if (views_run(c->st, &q, &res)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	if (c->json) {
		ctl_print_json(res);
		return EX_OK;
	}
	if (kind == VIEW_KPI)
		print_kpi(res);
	else if (kind == VIEW_OVERDUE)
		print_overdue(res);
	else
		print_grouped(res);
	json_decref(res);
	return EX_OK;
}
