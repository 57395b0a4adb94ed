/* test_calendar.c - working-time arithmetic, dates, time limits, deadlines. */
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../node/calendar.h"
#include "../../node/limits.h"

void t_init_calendar_tests(void);

/* 08:30-17:30, Monday to Friday, China time */
static struct calendar china(void)
{
	struct calendar c = { 8 * 60 + 30, 17 * 60 + 30, 0x3e, 8 * 60 };
	return c;
}

static void t_add_working(void)
{
	struct calendar c = china();
	/* 2024-01-01 was a Monday */
	int64_t mon10 = cal_from_local(&c, 2024, 1, 1, 10, 0, 0);
	CU_ASSERT_EQUAL(cal_weekday(&c, mon10), 1);
	CU_ASSERT_EQUAL(cal_add_working(&c, mon10, 240), cal_from_local(&c, 2024, 1, 1, 14, 0, 0));
	CU_ASSERT_EQUAL(cal_add_working(&c, mon10, 0), mon10);
	CU_ASSERT_EQUAL(cal_add_working(&c, mon10, -5), mon10);
	/* Friday 16:00 + 4 h: 1.5 h on Friday, 2.5 h on Monday */
	CU_ASSERT_EQUAL(cal_add_working(&c, cal_from_local(&c, 2024, 1, 5, 16, 0, 0), 240),
			cal_from_local(&c, 2024, 1, 8, 11, 0, 0));
	/* from a Saturday, before the day starts, after it ends */
	CU_ASSERT_EQUAL(cal_add_working(&c, cal_from_local(&c, 2024, 1, 6, 12, 0, 0), 30),
			cal_from_local(&c, 2024, 1, 8, 9, 0, 0));
	CU_ASSERT_EQUAL(cal_add_working(&c, cal_from_local(&c, 2024, 1, 1, 7, 0, 0), 60),
			cal_from_local(&c, 2024, 1, 1, 9, 30, 0));
	CU_ASSERT_EQUAL(cal_add_working(&c, cal_from_local(&c, 2024, 1, 1, 18, 0, 0), 60),
			cal_from_local(&c, 2024, 1, 2, 9, 30, 0));
	/* a whole day ends at the end of the day, not the next morning */
	CU_ASSERT_EQUAL(cal_add_working(&c, cal_from_local(&c, 2024, 1, 1, 8, 30, 0), 540),
			cal_from_local(&c, 2024, 1, 1, 17, 30, 0));
	/* ten working days from Monday morning: Friday of the next week */
	CU_ASSERT_EQUAL(cal_add_working(&c, cal_from_local(&c, 2024, 1, 1, 8, 30, 0), 5400),
			cal_from_local(&c, 2024, 1, 12, 17, 30, 0));
}

/* Minute by minute: what cal_add_working must agree with. */
static int64_t naive_add(const struct calendar *c, int64_t t, int64_t minutes)
{
	int64_t off = (int64_t)c->utc_offset * 60;
	/* round up to the minute grid the test uses */
	while (minutes > 0) {
		int64_t local = t + off;
		int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
		int64_t sec = local - day * 86400;
		int wd = cal_weekday(c, t);
		bool working = (c->days & (1u << wd)) && sec >= (int64_t)c->start * 60 &&
			       sec < (int64_t)c->end * 60;
		if (working)
			minutes--;
		t += 60;
	}
	return t;
}

static void t_add_matches_naive(void)
{
	struct calendar cals[3] = { china(), { 9 * 60, 12 * 60, 0x4e /* 1-3,6 */, -8 * 60 },
				    { 0, 24 * 60, 0x80 /* Sunday only */, 330 } };
	uint64_t rng = 12345;
	for (int i = 0; i < 300; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		const struct calendar *c = &cals[i % 3];
		/* minute-aligned times in 2019..2025 and up to ~10 working days */
		int64_t t = 1546300800 + (int64_t)((rng >> 20) % (7ull * 365 * 1440)) * 60;
		int64_t m = 1 + (int64_t)((rng >> 8) % 5000);
		int64_t got = cal_add_working(c, t, m), want = naive_add(c, t, m);
		CU_ASSERT_EQUAL(got, want);
		if (got != want) {
			fprintf(stderr, "calendar %d: t=%lld m=%lld got %lld want %lld\n", i % 3,
				(long long)t, (long long)m, (long long)got, (long long)want);
			break;
		}
	}
}

static void t_settings(void)
{
	struct calendar c = china();
	char err[160], buf[64];
	CU_ASSERT_EQUAL(cal_set(&c, "workdays", "1-3,5,7", err, sizeof(err)), GM_OK);
	cal_format(&c, "workdays", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "1-3,5,7");
	CU_ASSERT_EQUAL(cal_set(&c, "utc_offset", "-0530", err, sizeof(err)), GM_OK);
	cal_format(&c, "utc_offset", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "-05:30");
	CU_ASSERT_EQUAL(cal_set(&c, "workday_start", "9:05", err, sizeof(err)), GM_OK);
	cal_format(&c, "workday_start", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "09:05");
	static const char *const bad[][2] = {
		{ "workdays", "0" }, { "workdays", "8" }, { "workdays", "5-1" }, { "workdays", "" },
		{ "workdays", "1,,2" }, { "workdays", "1-" }, { "workday_start", "8:5x" },
		{ "workday_end", "25:00" }, { "utc_offset", "+15:00" }, { "utc_offset", "8" },
		{ "nonsense", "1" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(cal_set(&c, bad[i][0], bad[i][1], err, sizeof(err)), GM_E_INVAL);
	CU_ASSERT_EQUAL(cal_set(&c, "workday_end", "09:00", err, sizeof(err)), GM_OK);
	CU_ASSERT(!cal_valid(&c, err, sizeof(err)));
}

static void t_dates(void)
{
	struct calendar la = { 0, 0, 0, -8 * 60 }, c = china();
	char buf[32];
	int64_t t;
	cal_iso(&la, 1577865900, buf);
	CU_ASSERT_STRING_EQUAL(buf, "2020-01-01T00:05:00-08:00");
	cal_date(&la, 1577865900, buf);
	CU_ASSERT_STRING_EQUAL(buf, "2020-01-01");
	cal_date(&c, 1577865900, buf);
	CU_ASSERT_STRING_EQUAL(buf, "2020-01-01");
	cal_iso(&c, 0, buf);
	CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T08:00:00+08:00");
	CU_ASSERT_EQUAL(cal_from_local(&la, 2020, 1, 1, 0, 5, 0), 1577865900);
	CU_ASSERT(cal_parse_iso(&c, "2020-01-01T00:05:00-08:00", &t) && t == 1577865900);
	CU_ASSERT(cal_parse_iso(&c, "2020-01-01T08:05:00Z", &t) && t == 1577865900);
	CU_ASSERT(cal_parse_iso(&c, "2020-01-01T08:05:00.250Z", &t) && t == 1577865900);
	CU_ASSERT(cal_parse_iso(&c, "2020-01-01T16:05:00", &t) && t == 1577865900);
	CU_ASSERT(cal_parse_iso(&c, "2020-01-01 13:35+0530", &t) && t == 1577865900);
	CU_ASSERT(cal_parse_iso(&c, "2024-02-29", &t) && t == cal_from_local(&c, 2024, 2, 29, 0, 0, 0));
	static const char *const bad[] = { "2020-02-30", "2020-13-01", "2020-01-01T25:00",
					   "2020-01-01T10:00+99", "2020-1-1", "", "2020-01-01x",
					   "2023-02-29" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT(!cal_parse_iso(&c, bad[i], &t));
}

static void t_tlimit(void)
{
	struct tlimit l;
	char buf[16];
	static const char *const good[] = { "4wh", "30wm", "1wd", "2h", "10m", "3d", "0m" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT(tlimit_parse(good[i], strlen(good[i]), &l));
		tlimit_format(&l, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, good[i]);
	}
	static const char *const bad[] = { "", "wh", "4", "4x", "4whh", "-1h", "100001h", "4 h" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT(!tlimit_parse(bad[i], strlen(bad[i]), &l));
	struct calendar c = china();
	int64_t wed10 = cal_from_local(&c, 2024, 1, 3, 10, 0, 0);
	CU_ASSERT(tlimit_parse("1wd", 3, &l));
	CU_ASSERT_EQUAL(tlimit_add(&c, wed10, &l), cal_from_local(&c, 2024, 1, 4, 10, 0, 0));
	CU_ASSERT(tlimit_parse("2h", 2, &l));
	CU_ASSERT_EQUAL(tlimit_add(&c, wed10, &l), wed10 + 7200);
	CU_ASSERT(tlimit_parse("3d", 2, &l));
	CU_ASSERT_EQUAL(tlimit_add(&c, wed10, &l), wed10 + 3 * 86400);
}

/* The shipped time-limit table, on a city node with China's calendar. */
static void t_deadlines(void)
{
	struct store *st = t_store(LEVEL_CITY, "4401");
	struct calendar c = china();
	struct limits *l;
	int64_t dl;
	bool has;
	CU_ASSERT_FATAL(cal_save(st, &c) == GM_OK);
	CU_ASSERT_FATAL(limits_load(st, &l) == GM_OK);
	int64_t mon10 = cal_from_local(&c, 2024, 1, 1, 10, 0, 0);
	int64_t sat10 = cal_from_local(&c, 2024, 1, 6, 10, 0, 0);
	/* exposed rubbish: 30 working minutes to dispatch, 4 working hours */
	CU_ASSERT(limits_deadline(l, &c, "0102", 3, mon10, &dl));
	CU_ASSERT_EQUAL(dl, cal_from_local(&c, 2024, 1, 1, 14, 30, 0));
	/* urgent: dispatched within 10 minutes of the clock */
	CU_ASSERT(limits_deadline(l, &c, "0102", 1, mon10, &dl));
	CU_ASSERT_EQUAL(dl, cal_from_local(&c, 2024, 1, 1, 14, 10, 0));
	/* unset priority counts as normal */
	CU_ASSERT(limits_deadline(l, &c, "0102", 0, mon10, &dl));
	CU_ASSERT_EQUAL(dl, cal_from_local(&c, 2024, 1, 1, 14, 30, 0));
	/* a gas leak on a Saturday: urgent, counted around the clock */
	CU_ASSERT(limits_deadline(l, &c, "0403", 1, sat10, &dl));
	CU_ASSERT_EQUAL(dl, sat10 + 600 + 3600);
	/* major class 02 (advertising): two working days */
	CU_ASSERT(limits_deadline(l, &c, "0201", 3, mon10, &dl));
	CU_ASSERT_EQUAL(dl, cal_from_local(&c, 2024, 1, 3, 10, 30, 0));
	/* an unknown major class falls back to * */
	CU_ASSERT(limits_deadline(l, &c, "0999", 3, mon10, &dl));
	CU_ASSERT_EQUAL(dl, cal_from_local(&c, 2024, 1, 3, 10, 30, 0));
	limits_free(l);
	CU_ASSERT_EQUAL(limits_ticket_deadline(st, "0104", 2, mon10, &dl, &has), GM_OK);
	CU_ASSERT(has);
	CU_ASSERT_EQUAL(dl, cal_from_local(&c, 2024, 1, 1, 12, 30, 0));

	/* a city-wide change replaces the rule for every later ticket */
	const struct table_def *t = schema_table(T_TIME_LIMIT);
	uint8_t cols[1] = { (uint8_t)schema_col(t, "duration", 8) };
	struct gm_value v[1] = { gm_text("1wh") };
	struct store_write w = { .tab = t, .key = "handle-0104", .nset = 1, .cols = cols,
				 .vals = v, .scope = "", .mode = W_UPDATE };
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	CU_ASSERT_EQUAL(store_put(st, &w, NULL), GM_OK);
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
	CU_ASSERT_EQUAL(limits_ticket_deadline(st, "0104", 2, mon10, &dl, &has), GM_OK);
	CU_ASSERT_EQUAL(dl, cal_from_local(&c, 2024, 1, 1, 11, 30, 0));
	store_close(st);
}

void t_init_calendar_tests(void)
{
	static const struct t_case cases[] = {
		{ "working time added across days and weekends", t_add_working },
		{ "working time agrees with a minute-by-minute walk", t_add_matches_naive },
		{ "settings parse, format and refuse nonsense", t_settings },
		{ "local dates, ISO 8601 out and in", t_dates },
		{ "durations", t_tlimit },
		{ "deadlines from the shipped time-limit table", t_deadlines },
		{ NULL, NULL },
	};
	t_add_suite("calendar", cases);
}
