/* test_threshold.c - thresholds: crossing, hysteresis, hold times, hours (no store). */
#include <string.h>
#include "test_util.h"
#include "../../node/threshold.h"

void t_init_threshold_tests(void);

static struct threshold level(double value, double clear, int64_t hold)
{
	struct threshold t = {
		.key = "water-level", .name = "water-level", .scope = "", .cls = "0603",
		.quantity = "level", .op = THR_GT, .value = value, .has_clear = clear >= 0,
		.clear = clear, .unit = "cm", .hold_s = hold, .from_h = -1, .to_h = -1,
		.event = "0406", .state = "alarm", .enabled = true,
	};
	return t;
}

/* Feeds readings one second apart from t0; counts trips and clears. */
static void feed(const struct threshold *t, struct thr_mem *m, const double *v, size_t n,
		 int64_t t0, unsigned *trips, unsigned *clears)
{
	for (size_t i = 0; i < n; i++) {
		enum thr_event ev = thr_step(t, m, v[i], t0 + (int64_t)i, 12);
		*trips += ev == THR_EV_TRIP;
		*clears += ev == THR_EV_CLEAR;
	}
}

static void test_parse(void)
{
	enum thr_op op;
	int a, b;
	CU_ASSERT(thr_op_parse(">=", &op) && op == THR_GE);
	CU_ASSERT(thr_op_parse("!=", &op) && op == THR_NE);
	CU_ASSERT(!thr_op_parse("=>", &op));
	CU_ASSERT_STRING_EQUAL(thr_op_str(THR_LT), "<");
	CU_ASSERT(thr_hours_parse("19-6", &a, &b) && a == 19 && b == 6);
	CU_ASSERT(thr_hours_parse("", &a, &b) && a == -1);
	CU_ASSERT(!thr_hours_parse("19-24", &a, &b));
	CU_ASSERT(!thr_hours_parse("7-7", &a, &b));
	CU_ASSERT(!thr_hours_parse("x-6", &a, &b));
}

static void test_valid(void)
{
	char why[128];
	struct threshold t = level(80, 70, 0);
	CU_ASSERT(thr_valid(&t, why, sizeof(why)));
	t.clear = 90;
	CU_ASSERT(!thr_valid(&t, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "nothing would clear"));
	t = level(80, -1, 0);
	t.op = THR_EQ;
	t.has_clear = true;
	CU_ASSERT(!thr_valid(&t, why, sizeof(why)));
	t = level(80, -1, -5);
	CU_ASSERT(!thr_valid(&t, why, sizeof(why)));
}

/* Hysteresis: a sensor hovering around 80 trips once; clears only below 70. */
static void test_hysteresis(void)
{
	struct threshold t = level(80, 70, 0);
	struct thr_mem m = { 0 };
	unsigned trips = 0, clears = 0;
	const double flap[] = { 50, 81, 79, 82, 78, 85, 75, 90, 71 };
	feed(&t, &m, flap, sizeof(flap) / sizeof(flap[0]), 1000, &trips, &clears);
	CU_ASSERT_EQUAL(trips, 1);
	CU_ASSERT_EQUAL(clears, 0);
	CU_ASSERT_EQUAL(m.state, THR_ALARM);
	const double down[] = { 69, 72, 85 };
	feed(&t, &m, down, 3, 2000, &trips, &clears);
	CU_ASSERT_EQUAL(clears, 1);
	CU_ASSERT_EQUAL(trips, 2);   /* a new crossing after a recovery */

	/* without hysteresis every crossing would count: the band is what helps */
	struct threshold bare = level(80, -1, 0);
	struct thr_mem m2 = { 0 };
	trips = clears = 0;
	feed(&bare, &m2, flap, sizeof(flap) / sizeof(flap[0]), 1000, &trips, &clears);
	CU_ASSERT_EQUAL(trips, 4);
	CU_ASSERT_EQUAL(clears, 4);
}

/* Hold time: a crossing must last hold_s before it trips, and so must a recovery. */
static void test_hold(void)
{
	struct threshold t = level(80, -1, 60);
	struct thr_mem m = { 0 };
	CU_ASSERT_EQUAL(thr_step(&t, &m, 90, 1000, 12), THR_EV_NONE);
	CU_ASSERT_EQUAL(m.state, THR_PENDING);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 95, 1030, 12), THR_EV_NONE);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 50, 1040, 12), THR_EV_NONE);   /* flapped back */
	CU_ASSERT_EQUAL(m.state, THR_NORMAL);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 90, 1050, 12), THR_EV_NONE);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 90, 1109, 12), THR_EV_NONE);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 90, 1110, 12), THR_EV_TRIP);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 91, 1200, 12), THR_EV_NONE);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 40, 1300, 12), THR_EV_NONE);
	CU_ASSERT_EQUAL(m.state, THR_CLEARING);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 85, 1320, 12), THR_EV_NONE);   /* not yet */
	CU_ASSERT_EQUAL(m.state, THR_ALARM);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 40, 1400, 12), THR_EV_NONE);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 40, 1460, 12), THR_EV_CLEAR);
	/* an old reading changes nothing */
	CU_ASSERT_EQUAL(thr_step(&t, &m, 99, 1000, 12), THR_EV_STALE);
	CU_ASSERT_EQUAL(m.state, THR_NORMAL);
}

/* A lamp off is a fault at night only; it recovers whenever it is on. */
static void test_hours(void)
{
	struct threshold t = level(0.5, -1, 0);
	t.op = THR_LT;
	t.quantity = "lamp";
	t.from_h = 19;
	t.to_h = 6;
	CU_ASSERT(thr_active(&t, 23) && thr_active(&t, 0) && thr_active(&t, 5));
	CU_ASSERT(!thr_active(&t, 6) && !thr_active(&t, 12) && thr_active(&t, 19));
	struct thr_mem m = { 0 };
	CU_ASSERT_EQUAL(thr_step(&t, &m, 0, 1000, 12), THR_EV_NONE);   /* off by day */
	CU_ASSERT_EQUAL(thr_step(&t, &m, 0, 1001, 21), THR_EV_TRIP);   /* off at night */
	CU_ASSERT_EQUAL(thr_step(&t, &m, 0, 1002, 10), THR_EV_NONE);   /* still broken */
	CU_ASSERT_EQUAL(m.state, THR_ALARM);
	CU_ASSERT_EQUAL(thr_step(&t, &m, 1, 1003, 10), THR_EV_CLEAR);  /* on again */
	struct threshold day = t;
	day.from_h = 8;
	day.to_h = 18;
	CU_ASSERT(thr_active(&day, 8) && !thr_active(&day, 18) && !thr_active(&day, 3));
}

/* Which threshold decides: deeper record scope, then the more specific class. */
static void test_specificity(void)
{
	struct threshold any = level(80, 70, 0), major = any, exact = any, grid = any, other = any;
	any.cls = "*";
	major.cls = "06";
	grid.scope = "440106012023001";
	grid.cls = "*";
	other.scope = "440107";
	const char *at = "440106012023001";
	CU_ASSERT(thr_specificity(&any, "0603", at) < thr_specificity(&major, "0603", at));
	CU_ASSERT(thr_specificity(&major, "0603", at) < thr_specificity(&exact, "0603", at));
	CU_ASSERT(thr_specificity(&exact, "0603", at) < thr_specificity(&grid, "0603", at));
	CU_ASSERT_EQUAL(thr_specificity(&other, "0603", at), 0);
	CU_ASSERT_EQUAL(thr_specificity(&exact, "0604", at), 0);
	CU_ASSERT_EQUAL(thr_specificity(&major, "0101", at), 0);
}

void t_init_threshold_tests(void)
{
	static const struct t_case tests[] = {
		{ "operators and hours", test_parse },
		{ "consistency checks", test_valid },
		{ "hysteresis: one trip for a flapping sensor", test_hysteresis },
		{ "hold time both ways, stale readings", test_hold },
		{ "active hours", test_hours },
		{ "specificity", test_specificity },
		{ NULL, NULL },
	};
	t_add_suite("threshold", tests);
}
