/* test_dispatch.c - choosing a dispatch rule: specificity and conflicts (no store). */
#include <string.h>
#include "test_util.h"
#include "../../node/dispatch.h"

void t_init_dispatch_tests(void);

#define GRID "440106012023001"
#define OTHER_GRID "440107001001001"

static struct dispatch_rule R(const char *key, const char *scope, const char *cls,
			      const char *area, int prio, const char *who, double hours)
{
	struct dispatch_rule r = {
		.key = key, .name = key, .scope = scope, .cls = cls, .area = area,
		.priority = prio, .assignee = who, .hours = hours, .enabled = true,
	};
	return r;
}

/* Key of the rule chosen for (cls, scope, prio); "" none, "!" conflict. */
static const char *pick(const struct dispatch_rule *v, size_t n, const char *cls,
			const char *scope, int prio)
{
	struct dispatch_ticket t = { .cls = cls, .scope = scope, .priority = prio };
	struct dispatch_choice ch;
	dispatch_choose(v, n, &t, &ch);
	if (ch.verdict == DISPATCH_CONFLICT)
		return "!";
	return ch.verdict == DISPATCH_MATCH ? ch.rule->key : "";
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void t_specificity(void)
{
	struct dispatch_rule v[] = {
		R("any", "", "*", NULL, 0, "command", 24),
		R("major", "", "01", NULL, 0, "appearance", 24),
		R("exact", "", "0102", NULL, 0, "sanitation", 4),
		R("any-district", "440106", "*", NULL, 0, "district", 12),
		R("major-street", "", "01", "440106012", 0, "street-team", 8),
		R("exact-urgent", "", "0102", NULL, 1, "sanitation-urgent", 1),
	};
	/* 1. class first: an exact class beats a deeper place */
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0102", GRID, 0), "exact");
	/* 2. then place: the street's major-class rule beats the city's */
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0104", GRID, 0), "major-street");
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0104", OTHER_GRID, 0), "major");
	/* "*" rules: the district's wins inside it, the city's elsewhere */
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0401", GRID, 0), "any-district");
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0401", OTHER_GRID, 0), "any");
	/* 3. then priority: a rule for the ticket's priority beats one for any */
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0102", GRID, 1), "exact-urgent");
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0102", GRID, 2), "exact");
	/* the order itself */
	CU_ASSERT(dispatch_specificity_cmp(&v[2], &v[4]) > 0);
	CU_ASSERT(dispatch_specificity_cmp(&v[4], &v[1]) > 0);
	CU_ASSERT(dispatch_specificity_cmp(&v[5], &v[2]) > 0);
	CU_ASSERT(dispatch_specificity_cmp(&v[0], &v[0]) == 0);
	/* nothing for a ticket with no matching rule */
	struct dispatch_rule only[] = { R("exact", "", "0102", NULL, 0, "sanitation", 4) };
	CU_ASSERT_STRING_EQUAL(pick(only, 1, "0103", GRID, 0), "");
}

static void t_place(void)
{
	/* an override at a grid keeps the city's area but reaches only the grid */
	struct dispatch_rule g = R(GRID ":x", GRID, "0102", "4401", 0, "li", 2);
	CU_ASSERT_STRING_EQUAL(dispatch_place(&g), GRID);
	struct dispatch_ticket in = { "0102", GRID, 0 }, out = { "0102", OTHER_GRID, 0 };
	CU_ASSERT(dispatch_matches(&g, &in));
	CU_ASSERT(!dispatch_matches(&g, &out));
	/* an area deeper than the scope narrows it */
	struct dispatch_rule a = R("4401:y", "4401", "0102", "440106012", 0, "street", 2);
	CU_ASSERT_STRING_EQUAL(dispatch_place(&a), "440106012");
	CU_ASSERT(dispatch_matches(&a, &in));
	CU_ASSERT(!dispatch_matches(&a, &out));
	/* an area beside the scope reaches nothing */
	struct dispatch_rule b = R("440107:z", "440107", "0102", "440106", 0, "nobody", 2);
	CU_ASSERT(!dispatch_matches(&b, &in));
	CU_ASSERT(!dispatch_matches(&b, &out));
	/* disabled and malformed rules never match */
	struct dispatch_rule off = R("off", "", "0102", NULL, 0, "x", 1);
	off.enabled = false;
	CU_ASSERT(!dispatch_matches(&off, &in));
	struct dispatch_rule bad[] = {
		R("c", "", "1", NULL, 0, "x", 1), R("h", "", "0102", NULL, 0, "x", 0),
		R("w", "", "0102", NULL, 0, "", 1), R("p", "", "0102", NULL, 9, "x", 1),
		R("a", "", "0102", "12345", 0, "x", 1), R("H", "", "0102", NULL, 0, "x", 1e9),
	};
	char why[128];
	for (size_t i = 0; i < N(bad); i++) {
		CU_ASSERT(!dispatch_rule_valid(&bad[i], why, sizeof(why)));
		CU_ASSERT(!dispatch_matches(&bad[i], &in));
	}
	CU_ASSERT(dispatch_rule_valid(&g, why, sizeof(why)));
}

struct pairs {
	char got[8][32];
	unsigned n;
};

static int on_pair(void *ctx, const struct dispatch_rule *a, const struct dispatch_rule *b)
{
	struct pairs *p = ctx;
	if (p->n < 8)
		snprintf(p->got[p->n++], sizeof(p->got[0]), "%s/%s", a->key, b->key);
	return 0;
}

static void t_conflicts(void)
{
	struct dispatch_rule v[] = {
		R("city-a", "4401", "0102", NULL, 0, "sanitation", 4),
		R("city-b", "4401", "0102", NULL, 0, "cleaning-co", 4),
		R("city-c", "4401", "0102", NULL, 0, "sanitation", 4),   /* agrees with a */
		R("city-d", "4401", "0102", NULL, 0, "sanitation", 6),   /* other deadline */
		R("urgent", "4401", "0102", NULL, 1, "sanitation", 1),
	};
	struct dispatch_ticket t = { "0102", GRID, 0 };
	struct dispatch_choice ch;
	dispatch_choose(v, N(v), &t, &ch);
	CU_ASSERT_EQUAL(ch.verdict, DISPATCH_CONFLICT);
	CU_ASSERT_PTR_NULL(ch.rule);
	/* every equally specific rule is named, none chosen */
	CU_ASSERT_EQUAL_FATAL(ch.ntied, 4);
	CU_ASSERT_STRING_EQUAL(ch.tied[0]->key, "city-a");
	CU_ASSERT_STRING_EQUAL(ch.tied[1]->key, "city-b");
	CU_ASSERT_STRING_EQUAL(ch.tied[3]->key, "city-d");
	/* a more specific rule is not in conflict with them */
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0102", GRID, 1), "urgent");

	/* rules that agree are no conflict: the first key is named */
	struct dispatch_rule agree[] = { v[2], v[0] };
	CU_ASSERT_STRING_EQUAL(pick(agree, 2, "0102", GRID, 0), "city-a");

	/* the pairs that disagree, independent of any ticket */
	struct pairs p = { 0 };
	dispatch_conflicts(v, N(v), on_pair, &p);
	CU_ASSERT_EQUAL_FATAL(p.n, 5);
	CU_ASSERT_STRING_EQUAL(p.got[0], "city-a/city-b");
	CU_ASSERT_STRING_EQUAL(p.got[1], "city-a/city-d");
	CU_ASSERT_STRING_EQUAL(p.got[2], "city-b/city-c");
	CU_ASSERT_STRING_EQUAL(p.got[3], "city-b/city-d");
	CU_ASSERT_STRING_EQUAL(p.got[4], "city-c/city-d");

	/* switching the odd ones off ends the conflict */
	v[1].enabled = false;
	v[3].enabled = false;
	p.n = 0;
	dispatch_conflicts(v, N(v), on_pair, &p);
	CU_ASSERT_EQUAL(p.n, 0);
	CU_ASSERT_STRING_EQUAL(pick(v, N(v), "0102", GRID, 0), "city-a");
}

void t_init_dispatch_tests(void)
{
	static const struct t_case cases[] = {
		{ "specificity: class, then place, then priority", t_specificity },
		{ "place: the longer of area and record scope", t_place },
		{ "conflicts named, agreement is not a conflict", t_conflicts },
		{ NULL, NULL },
	};
	t_add_suite("dispatch", cases);
}
