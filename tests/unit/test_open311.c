/* test_open311.c - GeoReport v2 round trip, foreign requests, bad files,
 * and the LA 311 CSV importer's refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "test_util.h"
#include "../../node/calendar.h"
#include "../../node/la311.h"
#include "../../node/open311.h"
#include "../../node/store_int.h"

void t_init_open311_tests(void);

static const char *const fields[] = { "category", "title", "descr", "lat", "lon", "address",
				      "source", "priority", "status", "assignee", "deadline",
				      "created", "closed" };
#define NF (sizeof(fields) / sizeof(fields[0]))

struct tk {
	const char *id, *scope;
	struct gm_value v[NF];
};

static void put(struct store *st, const struct tk *k)
{
	const struct table_def *t = schema_table(T_TICKET);
	uint8_t cols[NF];
	struct gm_value v[NF];
	unsigned n = 0;
	for (unsigned i = 0; i < NF; i++) {
		if (k->v[i].type == GM_NIL)
			continue;
		cols[n] = (uint8_t)schema_col(t, fields[i], strlen(fields[i]));
		v[n++] = k->v[i];
	}
	struct store_write w = { .tab = t, .key = k->id, .scope = k->scope, .nset = n,
				 .cols = cols, .vals = v, .mode = W_CREATE };
	CU_ASSERT_EQUAL(store_put(st, &w, NULL), GM_OK);
}

static struct store *node(const char *code)
{
	struct store *st = t_store(code_level(code, strlen(code)), code);
	struct calendar c = { 8 * 60 + 30, 17 * 60 + 30, 0x3e, 8 * 60 };
	CU_ASSERT_FATAL(cal_save(st, &c) == GM_OK);
	return st;
}

static struct store *dataset(void)
{
	struct store *st = node("440106");
	const struct tk data[] = {
		{ "440106-000001", "440106012023001",
		  { gm_text("0102"), gm_text("overflowing bin, \"gate 3\" <north>"),
		    gm_text("smells\nbad & attracts rats"), gm_real(23.1291), gm_real(113.2644),
		    gm_text("3 Zhongshan Rd"), gm_text("citizen_app"), gm_int(2),
		    gm_text("closed"), gm_text("sanitation dept"), gm_int(1704096000),
		    gm_int(1704078000), gm_int(1704090000) } },
		{ "440106-000002", "440106012023002",
		  { gm_text("0401"), gm_text("road collapse"), gm_nil(), gm_nil(), gm_nil(), gm_nil(),
		    gm_text("camera_ai"), gm_int(1), gm_text("in_progress"), gm_nil(),
		    gm_int(1704085200), gm_int(1704078000), gm_nil() } },
		{ "440106-000003", "440106",
		  { gm_text("0201"), gm_text("illegal posters"), gm_text("道路两侧小广告"), gm_nil(),
		    gm_nil(), gm_nil(), gm_text("grid_worker"), gm_nil(), gm_text("reported"),
		    gm_nil(), gm_nil(), gm_int(1704078000), gm_nil() } },
		{ "440106-000004", "440106013001001",
		  { gm_text("0104"), gm_text("duplicate"), gm_nil(), gm_nil(), gm_nil(), gm_nil(),
		    gm_text("hotline"), gm_int(3), gm_text("rejected"), gm_nil(), gm_nil(),
		    gm_int(1704078000), gm_nil() } },
	};
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
		put(st, &data[i]);
	CU_ASSERT_FATAL(sqlite3_exec(store_db(st), "INSERT INTO ticket_reporter(id, name, phone)"
				     " VALUES('440106-000001', 'Zhang San', '13800000000')",
				     NULL, NULL, NULL) == SQLITE_OK);
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
	return st;
}

/* Exports to a file; returns its text (caller frees). */
static char *export_to(struct store *st, const char *path)
{
	struct o311_stats s;
	FILE *f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(open311_export(st, f, &s), GM_OK);
	fclose(f);
	CU_ASSERT_EQUAL(s.requests, 4);
	CU_ASSERT_EQUAL(s.services, 50);
	f = fopen(path, "r");
	CU_ASSERT_FATAL(f != NULL);
	char *text = calloc(1, 1 << 20);
	size_t n = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[n] = 0;
	return text;
}

static int count_msg(void *ctx, const char *msg)
{
	(void)msg;
	(*(unsigned *)ctx)++;
	return 0;
}

static void msg_cb(void *ctx, const char *msg)
{
	count_msg(ctx, msg);
}

static void t_round_trip(void)
{
	struct store *a = dataset();
	char path[600], err[512];
	snprintf(path, sizeof(path), "%s.json", t_tmpdir("o311"));
	char *text = export_to(a, path);

	/* GeoReport shape, no personal data */
	json_t *j = json_loads(text, 0, NULL);
	CU_ASSERT_FATAL(j != NULL);
	json_t *reqs = json_object_get(j, "requests");
	CU_ASSERT_EQUAL(json_array_size(reqs), 4);
	json_t *r0 = json_array_get(reqs, 0), *r1 = json_array_get(reqs, 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "service_request_id")),
			       "440106-000001");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "status")), "closed");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r1, "status")), "open");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r1, "status_notes")), "in_progress");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "service_name")), "暴露垃圾");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "requested_datetime")),
			       "2024-01-01T11:00:00+08:00");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "expected_datetime")),
			       "2024-01-01T16:00:00+08:00");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r0, "agency_responsible")),
			       "sanitation dept");
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(r0, "long")), 113.2644, 1e-9);
	CU_ASSERT(strstr(json_string_value(json_object_get(r0, "description")), "\n\nsmells") != NULL);
	CU_ASSERT(strstr(text, "Zhang San") == NULL);
	CU_ASSERT(strstr(text, "13800000000") == NULL);
	json_decref(j);

	/* into a fresh node of the same district: every field comes back */
	struct store *b = node("440106");
	struct o311_stats s;
	CU_ASSERT_EQUAL(open311_import(b, path, "O311", NULL, NULL, &s, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(s.created, 4);
	CU_ASSERT_EQUAL(s.refused, 0);
	static const char *const ids[] = { "440106-000001", "440106-000002", "440106-000003",
					   "440106-000004" };
	for (int i = 0; i < 4; i++) {
		struct store_rec ra, rb;
		store_rec_init(&ra);
		store_rec_init(&rb);
		CU_ASSERT_FATAL(store_get(a, schema_table(T_TICKET), ids[i], &ra) == GM_OK);
		CU_ASSERT_FATAL(store_get(b, schema_table(T_TICKET), ids[i], &rb) == GM_OK);
		CU_ASSERT_STRING_EQUAL(ra.scope, rb.scope);
		for (unsigned c = 0; c < ra.tab->ncols; c++) {
			CU_ASSERT(gm_value_eq(&ra.vals[c], &rb.vals[c]));
			if (!gm_value_eq(&ra.vals[c], &rb.vals[c]))
				fprintf(stderr, "%s.%s differs\n", ids[i], ra.tab->cols[c].name);
		}
		store_rec_free(&ra);
		store_rec_free(&rb);
	}
	/* the reporter stayed behind */
	sqlite3_stmt *q;
	CU_ASSERT_FATAL(sqlite3_prepare_v2(store_db(b), "SELECT count(*) FROM ticket_reporter", -1,
					   &q, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 0);
	sqlite3_finalize(q);

	/* again: nothing changes */
	CU_ASSERT_EQUAL(open311_import(b, path, "O311", NULL, NULL, &s, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(s.created, 0);
	CU_ASSERT_EQUAL(s.unchanged, 4);

	/* another district: foreign requests, kept at that node, marked */
	struct store *c = node("440107");
	CU_ASSERT_EQUAL(open311_import(c, path, "GZ", NULL, NULL, &s, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(s.created, 4);
	struct store_rec rc;
	store_rec_init(&rc);
	CU_ASSERT_EQUAL(store_get(c, schema_table(T_TICKET), "440107-GZ-440106-000002", &rc), GM_OK);
	CU_ASSERT_STRING_EQUAL(rc.scope, "440107");
	store_rec_free(&rc);
	free(text);
	store_close(a);
	store_close(b);
	store_close(c);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static void t_bad_requests(void)
{
	struct store *st = node("440106");
	char path[600], err[512];
	struct o311_stats s;
	unsigned msgs = 0;
	snprintf(path, sizeof(path), "%s.json", t_tmpdir("bad"));
	write_file(path,
		   "[{\"service_request_id\":\"ok-1\",\"service_code\":\"0102\",\"status\":\"open\","
		   "\"description\":\"first line\\nmore\",\"requested_datetime\":\"2024-01-01T10:00:00Z\","
		   "\"lat\":\"23.1\",\"long\":\"113.2\"},"
		   "{\"service_code\":\"0102\",\"status\":\"open\"},"
		   "{\"service_request_id\":\"b2\",\"service_code\":\"0102\",\"status\":\"open\","
		   "\"requested_datetime\":\"yesterday\"},"
		   "{\"service_request_id\":\"b3\",\"service_code\":\"7777\",\"status\":\"open\","
		   "\"requested_datetime\":\"2024-01-01\"},"
		   "{\"service_request_id\":\"b4\",\"service_code\":\"0102\",\"status\":\"maybe\","
		   "\"requested_datetime\":\"2024-01-01\"},"
		   "{\"service_request_id\":\"b5\",\"service_code\":\"0102\",\"status\":\"open\","
		   "\"requested_datetime\":\"2024-01-01\",\"lat\":23.1},"
		   "42]");
	CU_ASSERT_EQUAL(open311_import(st, path, "X", msg_cb, &msgs, &s, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(s.requests, 7);
	CU_ASSERT_EQUAL(s.created, 1);
	CU_ASSERT_EQUAL(s.refused, 6);
	CU_ASSERT_EQUAL(msgs, 6);
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_EQUAL(store_get(st, schema_table(T_TICKET), "440106-X-ok-1", &r), GM_OK);
	CU_ASSERT_STRING_EQUAL(r.vals[schema_col(r.tab, "title", 5)].s, "first line");
	CU_ASSERT_EQUAL(r.vals[schema_col(r.tab, "lat", 3)].type, GM_REAL);
	/* no explicit expected_datetime: the deadline comes from the limits */
	CU_ASSERT_EQUAL(r.vals[schema_col(r.tab, "deadline", 8)].type, GM_INT);
	store_rec_free(&r);

	write_file(path, "{\"requests\": [ {\"x\": 1}, ");
	CU_ASSERT_EQUAL(open311_import(st, path, "X", NULL, NULL, &s, err, sizeof(err)),
			GM_E_MALFORMED);
	CU_ASSERT(strstr(err, ":1:") != NULL);
	write_file(path, "{\"services\": []}");
	CU_ASSERT_EQUAL(open311_import(st, path, "X", NULL, NULL, &s, err, sizeof(err)),
			GM_E_MALFORMED);
	store_close(st);
}

/* tests/fuzz/open311_import/crash-closed-without-time: a ticket closed with
 * no closed time read back its own export as closed at its last change */
static void t_closed_without_time(void)
{
	struct store *st = node("440106");
	struct o311_stats s;
	char path[600], err[512];
	const struct tk k = { "440106-000009", "440106012023001",
			      { gm_text("0102"), gm_text("closed, no time"), gm_nil(), gm_nil(),
				gm_nil(), gm_nil(), gm_text("hotline"), gm_nil(), gm_text("closed"),
				gm_nil(), gm_nil(), gm_int(1704078000), gm_nil() } };
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	put(st, &k);
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
	snprintf(path, sizeof(path), "%s.json", t_tmpdir("o311-closed"));
	FILE *f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(open311_export(st, f, &s), GM_OK);
	fclose(f);
	CU_ASSERT_EQUAL(open311_import(st, path, "O311", NULL, NULL, &s, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(s.unchanged, 1);
	CU_ASSERT_EQUAL(s.updated, 0);
	store_close(st);
}

struct lines {
	char text[4096];
};

static void line_cb(void *ctx, const char *msg)
{
	struct lines *l = ctx;
	strncat(l->text, msg, sizeof(l->text) - strlen(l->text) - 2);
	strcat(l->text, "\n");
}

/* tests/fuzz/open311_import/crash-ctrl-in-message: a refusal quotes the
 * request's fields, and stays one printable line */
static void t_o311_message_clean(void)
{
	struct store *st = node("440106");
	char path[600], err[512];
	struct o311_stats s;
	struct lines l = { "" };
	snprintf(path, sizeof(path), "%s.json", t_tmpdir("o311-ctrl"));
	write_file(path, "[{\"service_request_id\":\"c1\",\"service_code\":\"0102\","
			 "\"status\":\"open\",\"requested_datetime\":\"2024\\u001b[2J\\n01\"}]");
	CU_ASSERT_EQUAL(open311_import(st, path, "X", line_cb, &l, &s, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(s.refused, 1);
	CU_ASSERT(strstr(l.text, "requested_datetime '2024?[2J 01' is not ISO 8601\n") != NULL);
	store_close(st);
}

static void t_la311_rows(void)
{
	struct store *st = node("4401");
	char path[600], err[512];
	struct la311_stats s;
	struct lines l = { "" };
	const char *head = "srnumber,requesttype,status,createddate,updateddate,servicedate,"
			   "closeddate,requestsource,owner,latitude,longitude,address,apc,nc\n";
	char csv[4096];
	snprintf(csv, sizeof(csv), "%s"
		 "1-100,Graffiti Removal,Closed,1/2/20 9:15,1/3/20 10:00,1/2/20 0:00,1/3/20 10:00,"
		 "Mobile App,OCB,34.05,-118.25,\"1 MAIN ST, 90012\",Central APC,77\n"
		 "1-101,Bulky Items,Closed,13/2/20 9:15,,,,Call,BOS,,,,,\n"
		 "1-102,Bulky Items,Lost,1/2/20 9:15,,,,Call,BOS,,,,,\n"
		 "1 103,Bulky Items,Open,1/2/20 9:15,,,,Call,BOS,,,,,\n"
		 "1-104,Bulky Items,Open,1/2/20 9:15,,,,Call,BOS,95,10,,,\n"
		 "1-105,Dead Animal Removal,Cancelled,1/2/2020 23:59:30,1/3/20 8:00,,,Email,BOS,,,,"
		 "Harbor APC,\n"
		 "1-106,Bulky Items,Open,\"1/2/20\n\x1b[2J9:15\",,,,Call,BOS,,,,,\n", head);
	snprintf(path, sizeof(path), "%s.csv", t_tmpdir("la"));
	write_file(path, csv);
	CU_ASSERT_EQUAL(la311_import(st, path, -8 * 60, line_cb, &l, &s, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(s.rows, 7);
	CU_ASSERT_EQUAL(s.created, 2);
	CU_ASSERT_EQUAL(s.refused, 5);
	/* each refusal names its line */
	CU_ASSERT(strstr(l.text, ":3: createddate") != NULL);
	CU_ASSERT(strstr(l.text, ":4: status 'Lost'") != NULL);
	CU_ASSERT(strstr(l.text, ":5: srnumber") != NULL);
	CU_ASSERT(strstr(l.text, ":6: latitude") != NULL);
	/* one printable line, whatever the field (crash-ctrl-in-message) */
	CU_ASSERT(strstr(l.text, ":8: createddate '1/2/20 ?[2J9:15' is not") != NULL);

	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_FATAL(store_get(st, schema_table(T_TICKET), "4401-LA1-100", &r) == GM_OK);
	/* Central APC = district 01, NC 77, the 0.01 degree cell 405/825 */
	CU_ASSERT_STRING_EQUAL(r.scope, "440101077405825");
	CU_ASSERT_STRING_EQUAL(r.vals[schema_col(r.tab, "category", 8)].s, "0113");
	CU_ASSERT_STRING_EQUAL(r.vals[schema_col(r.tab, "source", 6)].s, "citizen_app");
	CU_ASSERT_STRING_EQUAL(r.vals[schema_col(r.tab, "status", 6)].s, "closed");
	CU_ASSERT_EQUAL(r.vals[schema_col(r.tab, "created", 7)].i, 1577985300);
	CU_ASSERT_EQUAL(r.vals[schema_col(r.tab, "closed", 6)].i, 1578074400);
	CU_ASSERT_FATAL(store_get(st, schema_table(T_TICKET), "4401-LA1-105", &r) == GM_OK);
	CU_ASSERT_STRING_EQUAL(r.scope, "440103");      /* Harbor, no NC: the district */
	CU_ASSERT_STRING_EQUAL(r.vals[schema_col(r.tab, "status", 6)].s, "rejected");
	CU_ASSERT_EQUAL(r.vals[schema_col(r.tab, "created", 7)].i, 1578038370);
	store_rec_free(&r);

	/* a newer state of the same request moves the ticket on */
	snprintf(csv, sizeof(csv), "%s1-100,Graffiti Removal,Closed,1/2/20 9:15,1/4/20 10:00,"
		 "1/2/20 0:00,1/4/20 10:00,Mobile App,OCB,34.05,-118.25,\"1 MAIN ST, 90012\","
		 "Central APC,77\n", head);
	write_file(path, csv);
	CU_ASSERT_EQUAL(la311_import(st, path, -8 * 60, NULL, NULL, &s, err, sizeof(err)), GM_OK);
	CU_ASSERT_EQUAL(s.updated, 1);

	/* not a MyLA311 file at all: refused before any row */
	write_file(path, "a,b,c\n1,2,3\n");
	CU_ASSERT_EQUAL(la311_import(st, path, 0, NULL, NULL, &s, err, sizeof(err)),
			GM_E_MALFORMED);
	CU_ASSERT(strstr(err, ":1: no column 'srnumber'") != NULL);
	store_close(st);
}

void t_init_open311_tests(void)
{
	static const struct t_case cases[] = {
		{ "Open311 export, import, re-import", t_round_trip },
		{ "Open311 bad requests and bad files", t_bad_requests },
		{ "Open311: closed with no closed time reads back unchanged", t_closed_without_time },
		{ "Open311 refusals are one printable line", t_o311_message_clean },
		{ "LA 311 CSV rows, refusals by line", t_la311_rows },
		{ NULL, NULL },
	};
	t_add_suite("open311", cases);
}
