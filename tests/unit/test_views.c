/* test_views.c - grouping, overdue, KPIs and query parsing on a small
 * dataset whose every number is known. */
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../node/calendar.h"
#include "../../node/store_int.h"
#include "../../node/views.h"

void t_init_views_tests(void);

/* 2024-01-01 (Monday) in UTC+8 */
#define D0 1704038400
#define H 3600
#define NOW (D0 + 2 * 86400 + 12 * H)

struct tk {
	const char *id, *scope, *cat, *status, *source;
	int prio;
	int64_t created, deadline, closed;   /* 0 = none */
};

/*
 * T1 closed on time, T2 closed late, T3 open and overdue, T4 open within
 * its deadline, T5 rejected, T6 open with no deadline, held at the
 * district itself.
 */
static const struct tk data[] = {
	{ "T1", "440106012023001", "0102", "closed", "grid_worker", 3, D0 + 10 * H, D0 + 14 * H,
	  D0 + 12 * H },
	{ "T2", "440106012023001", "0102", "closed", "citizen_app", 3, D0 + 11 * H, D0 + 15 * H,
	  D0 + 86400 + 9 * H },
	{ "T3", "440106012023002", "0104", "dispatched", "hotline", 2, D0 + 86400 + 9 * H,
	  D0 + 86400 + 12 * H, 0 },
	{ "T4", "440106013001001", "0401", "reported", "camera_ai", 1, D0 + 2 * 86400 + 11 * H,
	  NOW + H, 0 },
	{ "T5", "440106013001001", "0102", "rejected", "citizen_app", 3, D0 + 86400 + 10 * H,
	  D0 + 86400 + 14 * H, 0 },
	{ "T6", "440106", "0201", "in_progress", "grid_worker", 3, D0 + 2 * 86400 + 8 * H, 0, 0 },
};

static void put(struct store *st, const struct tk *k)
{
	const struct table_def *t = schema_table(T_TICKET);
	static const char *const names[] = { "category", "title", "status", "source", "priority",
					     "created", "deadline", "closed" };
	uint8_t cols[8];
	struct gm_value v[8] = {
		gm_text(k->cat), gm_text(k->id), gm_text(k->status), gm_text(k->source),
		gm_int(k->prio), gm_int(k->created), k->deadline ? gm_int(k->deadline) : gm_nil(),
		k->closed ? gm_int(k->closed) : gm_nil(),
	};
	for (int i = 0; i < 8; i++)
		cols[i] = (uint8_t)schema_col(t, names[i], strlen(names[i]));
	struct store_write w = { .tab = t, .key = k->id, .scope = k->scope, .nset = 8, .cols = cols,
				 .vals = v, .mode = W_CREATE };
	CU_ASSERT_EQUAL(store_put(st, &w, NULL), GM_OK);
}

static void put_asset(struct store *st, const char *id, const char *scope, const char *code,
		      const char *state)
{
	const struct table_def *t = schema_table(T_ASSET);
	uint8_t cols[2] = { (uint8_t)schema_col(t, "code", 4), (uint8_t)schema_col(t, "state", 5) };
	struct gm_value v[2] = { gm_text(code), gm_text(state) };
	struct store_write w = { .tab = t, .key = id, .scope = scope, .nset = 2, .cols = cols,
				 .vals = v, .mode = W_CREATE };
	CU_ASSERT_EQUAL(store_put(st, &w, NULL), GM_OK);
}

static struct store *dataset(enum level lv, const char *code)
{
	struct store *st = t_store(lv, code);
	struct calendar c = { 8 * 60 + 30, 17 * 60 + 30, 0x3e, 8 * 60 };
	CU_ASSERT_FATAL(cal_save(st, &c) == GM_OK);
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		put(st, &data[i]);
	put_asset(st, "A1", "440106012023001", "0101", "normal");
	put_asset(st, "A2", "440106012023001", "0101", "damaged");
	put_asset(st, "A3", "440106013001001", "0118", "normal");
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
	return st;
}

/* Runs a view; the answer parsed back from its JSON text. */
static json_t *ask(struct store *st, const char *view, const char *qs)
{
	char *text, err[256];
	enum gm_err e = views_answer(st, view, qs, &text, err, sizeof(err));
	if (e)
		fprintf(stderr, "%s?%s: %s\n", view, qs, err);
	CU_ASSERT_FATAL(e == GM_OK);
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	CU_ASSERT_FATAL(j != NULL);
	return j;
}

/* The row whose first cells are the given keys (NULL key = JSON null). */
static json_t *row(json_t *ans, const char *k0, const char *k1)
{
	json_t *rows = json_object_get(ans, "rows");
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);
		const char *a = json_string_value(json_array_get(r, 0));
		const char *b = json_string_value(json_array_get(r, 1));
		if (a && strcmp(a, k0) == 0 && (!k1 || (b && strcmp(b, k1) == 0)))
			return r;
	}
	return NULL;
}

static long long cell(json_t *r, size_t i)
{
	return r ? (long long)json_integer_value(json_array_get(r, i)) : -1;
}

static long long tot(json_t *ans, const char *k)
{
	return (long long)json_integer_value(json_object_get(json_object_get(ans, "total"), k));
}

static void t_by_status(void)
{
	struct store *st = dataset(LEVEL_DISTRICT, "440106");
	json_t *a = ask(st, "tickets", "by=status&now=" "1704250800");
	/* columns: status, count, open, overdue, closed, closed_on_time, rejected */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "groups")), 5);
	json_t *r = row(a, "closed", NULL);
	CU_ASSERT_EQUAL(cell(r, 1), 2);
	CU_ASSERT_EQUAL(cell(r, 4), 2);
	CU_ASSERT_EQUAL(cell(r, 5), 1);
	r = row(a, "dispatched", NULL);
	CU_ASSERT_EQUAL(cell(r, 1), 1);
	CU_ASSERT_EQUAL(cell(r, 3), 1);
	CU_ASSERT_EQUAL(cell(row(a, "reported", NULL), 3), 0);
	CU_ASSERT_EQUAL(cell(row(a, "rejected", NULL), 6), 1);
	CU_ASSERT_EQUAL(tot(a, "count"), 6);
	CU_ASSERT_EQUAL(tot(a, "open"), 3);
	CU_ASSERT_EQUAL(tot(a, "overdue"), 1);
	/* rows come sorted by key */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_array_get(
		json_object_get(a, "rows"), 0), 0)), "closed");
	json_decref(a);
	store_close(st);
}

static void t_by_place_and_class(void)
{
	struct store *st = dataset(LEVEL_DISTRICT, "440106");
	json_t *a = ask(st, "tickets", "by=street,category&status=open&now=1704250800");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "groups")), 3);
	/* the ticket held at the district keeps its 6-digit code */
	CU_ASSERT_EQUAL(cell(row(a, "440106", "0201"), 2), 1);
	CU_ASSERT_EQUAL(cell(row(a, "440106012", "0104"), 4), 1);
	CU_ASSERT_EQUAL(cell(row(a, "440106013", "0401"), 4), 0);
	CU_ASSERT_EQUAL(cell(row(a, "440106013", "0401"), 3), 1);
	CU_ASSERT_PTR_NULL(row(a, "440106012", "0102"));   /* closed: filtered out */
	/* class names travel beside the codes */
	json_t *names = json_object_get(json_object_get(a, "names"), "category");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(names, "0104")), "道路不洁");
	json_decref(a);

	a = ask(st, "tickets", "by=major,grid&scope=440106012");
	CU_ASSERT_EQUAL(cell(row(a, "01", "440106012023001"), 2), 2);
	CU_ASSERT_EQUAL(cell(row(a, "01", "440106012023002"), 2), 1);
	CU_ASSERT_EQUAL(tot(a, "count"), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(
		json_object_get(a, "names"), "major_en"), "01")), "City appearance and environment");
	json_decref(a);

	a = ask(st, "tickets", "by=source,priority&category=0102");
	CU_ASSERT_EQUAL(cell(row(a, "citizen_app", NULL), 2), 2);
	CU_ASSERT_EQUAL(cell(row(a, "grid_worker", NULL), 2), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_array_get(row(a, "citizen_app", NULL), 1)), 3);
	json_decref(a);

	a = ask(st, "tickets", "by=district&overdue=1&now=1704250800");
	CU_ASSERT_EQUAL(cell(row(a, "440106", NULL), 1), 1);
	json_decref(a);

	a = ask(st, "assets", "by=class,state");
	CU_ASSERT_EQUAL(cell(row(a, "0101", "damaged"), 2), 1);
	CU_ASSERT_EQUAL(cell(row(a, "0101", "normal"), 2), 1);
	CU_ASSERT_EQUAL(cell(row(a, "0118", "normal"), 2), 1);
	CU_ASSERT_EQUAL(tot(a, "count"), 3);
	json_decref(a);
	store_close(st);
}

static void t_by_day(void)
{
	struct store *st = dataset(LEVEL_DISTRICT, "440106");
	json_t *a = ask(st, "tickets", "by=day");
	/* opened: day 0: T1 T2; day 1: T3 T5; day 2: T4 T6.  closed: T1 day 0, T2 day 1 */
	json_t *r0 = row(a, "2024-01-01", NULL), *r1 = row(a, "2024-01-02", NULL);
	json_t *r2 = row(a, "2024-01-03", NULL);
	CU_ASSERT_EQUAL(cell(r0, 1), 2);
	CU_ASSERT_EQUAL(cell(r0, 2), 1);
	CU_ASSERT_EQUAL(cell(r1, 1), 2);
	CU_ASSERT_EQUAL(cell(r1, 2), 1);
	CU_ASSERT_EQUAL(cell(r2, 1), 2);
	CU_ASSERT_EQUAL(cell(r2, 2), 0);
	CU_ASSERT_EQUAL(tot(a, "opened"), 6);
	CU_ASSERT_EQUAL(tot(a, "closed"), 2);
	json_decref(a);
	store_close(st);
}

static void t_kpi_and_overdue(void)
{
	struct store *st = dataset(LEVEL_DISTRICT, "440106");
	json_t *a = ask(st, "kpi", "now=1704250800");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "tickets")), 6);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "open")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "overdue")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "closed")), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "closed_on_time")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "rejected")), 1);
	/* closed 2 of the 5 cases that were not rejected; 1 of 2 on time */
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(a, "closure_rate")), 0.4, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(a, "on_time_rate")), 0.5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(a, "overdue_rate")), 0.3333, 1e-9);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "assets")), 3);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "assets_not_normal")), 1);
	json_decref(a);

	a = ask(st, "kpi", "scope=440106013&now=1704250800");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "tickets")), 2);
	CU_ASSERT(json_is_null(json_object_get(a, "on_time_rate")));   /* nothing closed */
	json_decref(a);

	/* a later "now" makes T4 overdue too; the most overdue comes first */
	a = ask(st, "overdue", "now=1704261600");
	json_t *rows = json_object_get(a, "rows");
	CU_ASSERT_EQUAL(json_array_size(rows), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(rows, 0), "id")),
			       "T3");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(rows, 1), "id")),
			       "T4");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "total")), 2);
	json_decref(a);
	a = ask(st, "overdue", "now=1704261600&limit=1");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(a, "rows")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(a, "total")), 2);
	json_decref(a);
	store_close(st);
}

/* With and without the index, the same answers; only upper levels keep it. */
static void t_index_same_answers(void)
{
	static const char *const qs[] = { "by=street,category&status=open&now=1704250800",
					  "by=grid,status&overdue=1&now=1704250800",
					  "by=day,category&status=open&now=1", "by=priority&status=closed&now=1" };
	struct store *st = dataset(LEVEL_DISTRICT, "440106");
	char *with[4], *without[4], err[256];
	sqlite3_stmt *s;
	CU_ASSERT_FATAL(sqlite3_prepare_v2(store_db(st), "SELECT count(*) FROM sqlite_master WHERE"
					   " name = 'view_ticket_open'", -1, &s, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1);
	sqlite3_finalize(s);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_FATAL(views_answer(st, "tickets", qs[i], &with[i], err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(sqlite3_exec(store_db(st), "DROP INDEX view_ticket_open", NULL, NULL,
				     NULL) == SQLITE_OK);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_FATAL(views_answer(st, "tickets", qs[i], &without[i], err, sizeof(err)) == 0);
		CU_ASSERT_STRING_EQUAL(with[i], without[i]);
		if (strcmp(with[i], without[i]))
			fprintf(stderr, "\n%s\n%s\n", with[i], without[i]);
		free(with[i]);
		free(without[i]);
	}
	store_close(st);

	struct store *g = t_store(LEVEL_GRID, "440106012023001");
	CU_ASSERT_FATAL(sqlite3_prepare_v2(store_db(g), "SELECT count(*) FROM sqlite_master WHERE"
					   " name = 'view_ticket_open'", -1, &s, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 0);
	sqlite3_finalize(s);
	store_close(g);
}

static void t_bad_queries(void)
{
	struct view_query q;
	char err[256];
	static const struct {
		enum view_kind k;
		const char *qs;
	} bad[] = {
		{ VIEW_TICKETS, "by=foo" }, { VIEW_TICKETS, "by=status,status" },
		{ VIEW_TICKETS, "by=status,category,grid,street,day" }, { VIEW_TICKETS, "by=" },
		{ VIEW_TICKETS, "status=bogus" }, { VIEW_TICKETS, "scope=12" },
		{ VIEW_TICKETS, "category=1" }, { VIEW_TICKETS, "now=-5" },
		{ VIEW_TICKETS, "overdue=maybe" }, { VIEW_TICKETS, "colour=red" },
		{ VIEW_TICKETS, "by=%zz" }, { VIEW_TICKETS, "by=stat%00us" },
		{ VIEW_ASSETS, "by=status" }, { VIEW_OVERDUE, "limit=0" },
		{ VIEW_OVERDUE, "limit=10001" }, { VIEW_KPI, "by=status" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		CU_ASSERT_EQUAL(views_parse(bad[i].k, bad[i].qs, &q, err, sizeof(err)), GM_E_INVAL);
		CU_ASSERT(err[0] != 0);
	}
	/* tests/fuzz/view_query/crash-ctrl-in-message: the message quotes the
	 * query, and goes to the log, the reply and the rejects table */
	CU_ASSERT_EQUAL(views_parse(VIEW_KPI, "scope=4401%0A\x1b[31m", &q, err, sizeof(err)),
			GM_E_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "scope: '4401 ?[31m' is not a node code");
	CU_ASSERT_EQUAL(views_parse(VIEW_TICKETS, "by=street%2Ccategory;status=open", &q, err,
				    sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(q.nby, 2);
	CU_ASSERT_EQUAL(q.status, VS_OPEN);
	CU_ASSERT_EQUAL(views_parse(VIEW_TICKETS, NULL, &q, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(q.nby, 1);
	struct store *st = t_store(LEVEL_GRID, "440106012023001");
	char *text;
	CU_ASSERT_EQUAL(views_answer(st, "nope", "", &text, err, sizeof(err)), GM_E_INVAL);
	CU_ASSERT_PTR_NULL(text);
	/* an empty node answers with zeros, not an error */
	CU_ASSERT_EQUAL(views_answer(st, "kpi", "", &text, err, sizeof(err)), GM_OK);
	CU_ASSERT(text && strstr(text, "\"tickets\":0"));
	free(text);
	store_close(st);
}

void t_init_views_tests(void)
{
	static const struct t_case cases[] = {
		{ "tickets by status", t_by_status },
		{ "by street, category, grid, major, source; assets", t_by_place_and_class },
		{ "opened and closed per day", t_by_day },
		{ "KPIs and the overdue list", t_kpi_and_overdue },
		{ "the view index changes speed, not answers", t_index_same_answers },
		{ "bad queries are refused with a message", t_bad_queries },
		{ NULL, NULL },
	};
	t_add_suite("views", cases);
}
