/*
 * view_query.c - fuzzes the admin's views (node/views.h) as
 * `GET /views/<name>?<query>` and `gridctl view` reach them: the input is
 * "<name>?<query>", answered by views_answer on the template store (see
 * fuzz.h) with a few tickets added that are closed, rejected, overdue and
 * due, so that every counter has something to count.  Views only read, so
 * one store serves every input.
 *
 * A query either parses or is refused with GM_E_INVAL and a one-line
 * message free of control characters (it goes to the log and the reply;
 * an unknown name cannot come from the network, only from the command
 * line, and is not held to that);
 * a query that parses must run, and its answer is JSON whose numbers add
 * up: the rows' counts make the totals, an overdue list holds at most
 * `limit` rows all past their deadline, rates lie between 0 and 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "fuzz.h"
#include "../../node/views.h"

#define DAY 86400
#define T0 (FUZZ_GEN_WALL_MS / 1000)

static struct store *st;

static void add(const char *key, const char *scope, const char *const *kv)
{
	if (fuzz_put(st, T_TICKET, key, scope, NULL, false, kv))
		fuzz_fail("view store: %s", store_errmsg(st));
}

/* The template and closed, rejected, overdue and due tickets (times around T0). */
static void setup(void)
{
	char c1[24], d1[24], c2[24], d2[24], d3[24], c3[24];
	snprintf(c1, sizeof(c1), "%llu", T0 + 3600);
	snprintf(d1, sizeof(d1), "%llu", T0 + DAY);
	snprintf(c2, sizeof(c2), "%llu", T0 + 2 * DAY);
	snprintf(d2, sizeof(d2), "%llu", T0 + DAY / 2);
	snprintf(d3, sizeof(d3), "%llu", T0 + 400 * DAY);
	snprintf(c3, sizeof(c3), "%llu", T0 - DAY);
	const char *const on_time[] = { "category", "0102", "title", "on time", "status", "closed",
					"priority", "1", "source", "hotline", "created", c3,
					"deadline", d1, "closed", c1, NULL };
	const char *const late[] = { "category", "0102", "title", "late", "status", "closed",
				     "priority", "3", "source", "citizen_app", "created", c3,
				     "deadline", d2, "closed", c2, NULL };
	const char *const rejected[] = { "category", "0401", "title", "rejected", "status",
					 "rejected", "created", c1, NULL };
	const char *const overdue[] = { "category", "0104", "title", "overdue", "status",
					"dispatched", "assignee", "roads", "created", c3,
					"deadline", d1, NULL };
	const char *const due[] = { "category", "0203", "title", "due", "status", "in_progress",
				    "created", c1, "deadline", d3, NULL };
	st = fuzz_store_fresh();
	add(FUZZ_STREET "-000101", FUZZ_GRID, on_time);
	add(FUZZ_STREET "-000102", "440106012023002", late);
	add(FUZZ_STREET "-000103", NULL, rejected);
	add(FUZZ_STREET "-000104", FUZZ_GRID, overdue);
	add(FUZZ_STREET "-000105", "440106012023002", due);
}

static json_int_t num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		fuzz_fail("answer: %s is not a whole number", k);
	return json_integer_value(v);
}

static void rate(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_null(v) && (!json_is_real(v) || json_real_value(v) < 0 ||
				 json_real_value(v) > 1))
		fuzz_fail("answer: %s is not a rate", k);
}

/* Each column of the rows adds up to its total. */
static void grouped(json_t *o)
{
	json_t *cols = json_object_get(o, "columns"), *rows = json_object_get(o, "rows");
	json_t *total = json_object_get(o, "total");
	if (!json_is_array(cols) || !json_is_array(rows) || !json_is_object(total))
		fuzz_fail("answer: no columns, rows or total");
	if (num(o, "groups") != (json_int_t)json_array_size(rows))
		fuzz_fail("answer: groups is not the number of rows");
	size_t nby = json_array_size(json_object_get(o, "by"));
	for (size_t c = nby; c < json_array_size(cols); c++) {
		const char *name = json_string_value(json_array_get(cols, c));
		json_int_t sum = 0;
		for (size_t i = 0; i < json_array_size(rows); i++) {
			json_t *row = json_array_get(rows, i);
			if (json_array_size(row) != json_array_size(cols))
				fuzz_fail("answer: a row of %zu cells for %zu columns",
					  json_array_size(row), json_array_size(cols));
			json_t *cell = json_array_get(row, c);
			if (!json_is_integer(cell) || json_integer_value(cell) < 0)
				fuzz_fail("answer: %s of a row is not a count", name);
			sum += json_integer_value(cell);
		}
		if (!name || sum != num(total, name))
			fuzz_fail("answer: %s adds up to %lld, total says %lld", name ? name : "?",
				  (long long)sum, (long long)num(total, name));
	}
	if (json_object_get(total, "closure_rate")) {
		rate(total, "closure_rate");
		rate(total, "on_time_rate");
		if (num(total, "open") > num(total, "count") ||
		    num(total, "overdue") > num(total, "open") ||
		    num(total, "closed_on_time") > num(total, "closed"))
			fuzz_fail("answer: totals that cannot be");
	}
}

static void kpi(json_t *o)
{
	rate(o, "closure_rate");
	rate(o, "on_time_rate");
	rate(o, "overdue_rate");
	if (num(o, "open") > num(o, "tickets") || num(o, "overdue") > num(o, "open") ||
	    num(o, "closed_on_time") > num(o, "closed") ||
	    num(o, "assets_not_normal") > num(o, "assets"))
		fuzz_fail("kpi: counts that cannot be");
}

static void overdue(json_t *o, const struct view_query *q)
{
	json_t *rows = json_object_get(o, "rows");
	json_int_t now = num(o, "now");
	if (!json_is_array(rows) || json_array_size(rows) > q->limit ||
	    (json_int_t)json_array_size(rows) > num(o, "total"))
		fuzz_fail("overdue: %zu rows for limit %u", json_array_size(rows), q->limit);
	for (size_t i = 0; i < json_array_size(rows); i++)
		if (num(json_array_get(rows, i), "deadline") >= now)
			fuzz_fail("overdue: a row that is not past its deadline");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[32], err[256] = "";
	char *qs, *json = NULL;
	enum view_kind kind;
	struct view_query q;

	if (!st)
		setup();
	/* the name and the query, as the server copies them: NUL-terminated */
	const uint8_t *mark = memchr(data, '?', size);
	size_t nlen = mark ? (size_t)(mark - data) : size;
	if (nlen >= sizeof(name) || memchr(data, 0, nlen))
		return 0;
	memcpy(name, data, nlen);
	name[nlen] = 0;
	size_t qlen = mark ? size - nlen - 1 : 0;
	if (!(qs = malloc(qlen + 1)))
		return 0;
	memcpy(qs, mark ? mark + 1 : data, qlen);
	qs[qlen] = 0;

	bool known = views_kind(name, &kind);
	bool parses = known && views_parse(kind, qs, &q, err, sizeof(err)) == GM_OK;
	enum gm_err e = views_answer(st, name, qs, &json, err, sizeof(err));
	if (!parses) {
		if (e != GM_E_INVAL && e != GM_E_NOMEM)
			fuzz_fail("a query that does not parse answered %s", gm_strerror(e));
		/* the server's names are its resources; a query is anybody's text */
		if (known)
			fuzz_one_line(err);
		goto out_free;
	}
	if (e)
		fuzz_fail("a query that parses did not run: %s: %s", gm_strerror(e), err);
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	if (!json_is_object(o))
		fuzz_fail("the answer is not a JSON object: %s", je.text);
	const char *view = json_string_value(json_object_get(o, "view"));
	if (!view || strcmp(view, name))
		fuzz_fail("the answer is not for view %s", name);
	if (kind == VIEW_TICKETS || kind == VIEW_ASSETS)
		grouped(o);
	else if (kind == VIEW_KPI)
		kpi(o);
	else
		overdue(o, &q);
	json_decref(o);
out_free:
	free(json);
	free(qs);
	return 0;
}
