/* test_rules.c - rules in the store: overrides by scope, dispatch, edits, checks. */
#include <string.h>
#include "test_util.h"
#include "../../node/rules.h"

void t_init_rules_tests(void);

#define GRID "440106012023001"
#define OTHER_GRID "440107001001001"
#define NOW_MS 1700000000000ull

static const struct table_def *dtab(void)
{
	return rules_table(RULE_DISPATCH);
}

/* A dispatch rule record written as node `scope` would (a city may write
 * anywhere in its subtree, which stands in for the district here). */
static void put_dispatch(struct store *st, const char *scope, const char *name, const char *cls,
			 const char *area, const char *who, double hours, int enabled)
{
	const struct table_def *t = dtab();
	char key[128];
	uint8_t cols[6];
	struct gm_value vals[6];
	unsigned n = 0;
	cols[n] = (uint8_t)schema_col(t, "name", 4), vals[n++] = gm_text(name);
	cols[n] = (uint8_t)schema_col(t, "class", 5), vals[n++] = gm_text(cls);
	cols[n] = (uint8_t)schema_col(t, "area", 4), vals[n++] = gm_text(area);
	cols[n] = (uint8_t)schema_col(t, "assignee", 8), vals[n++] = gm_text(who);
	cols[n] = (uint8_t)schema_col(t, "hours", 5), vals[n++] = gm_real(hours);
	cols[n] = (uint8_t)schema_col(t, "enabled", 7), vals[n++] = gm_int(enabled);
	snprintf(key, sizeof(key), "%s:%s", scope, name);
	struct store_write w = {
		.tab = t, .key = key, .scope = scope, .nset = n, .cols = cols, .vals = vals,
		.mode = W_UPSERT,
	};
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	CU_ASSERT_FATAL(store_put(st, &w, NULL) == GM_OK);
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
}

static void put_ticket(struct store *st, const char *id, const char *scope, const char *cls,
		       const char *status)
{
	const struct table_def *t = schema_table(T_TICKET);
	uint8_t cols[3] = {
		(uint8_t)schema_col(t, "category", 8), (uint8_t)schema_col(t, "title", 5),
		(uint8_t)schema_col(t, "status", 6),
	};
	struct gm_value vals[3] = { gm_text(cls), gm_text("test"), gm_text(status) };
	struct store_write w = {
		.tab = t, .key = id, .scope = scope, .nset = 3, .cols = cols, .vals = vals,
		.mode = W_CREATE,
	};
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	CU_ASSERT_FATAL(store_put(st, &w, NULL) == GM_OK);
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
}

/* Dispatches id; returns the assignee ("" if refused) and the rule key. */
static const char *dispatch(struct store *st, const char *id, char *rule, size_t len)
{
	static char who[128];
	struct rules_dispatch_out out;
	who[0] = 0;
	if (rules_dispatch_ticket(st, id, "tester", false, &out) == GM_OK)
		snprintf(who, sizeof(who), "%s", out.assignee);
	if (rule)
		snprintf(rule, len, "%s", out.rule);
	return who;
}

static const struct rule_row *row(struct ruleset *rs, const char *key)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rows[i].key, key) == 0)
			return &rs->rows[i];
	CU_FAIL("no such row");
	return NULL;
}

static int last_note(void *ctx, const struct store_hist *h)
{
	if (h->note)
		snprintf(ctx, 256, "%s", h->note);
	return 0;
}

static void t_override_by_scope(void)
{
	struct store *st = t_store(LEVEL_CITY, "4401");
	struct ruleset *rs;
	char rule[256], note[256] = "", key[256];
	store_set_wall(st, NOW_MS);

	/* the city overrides a shipped rule: only the assignee, the rest inherited */
	uint8_t col = (uint8_t)schema_col(dtab(), "assignee", 8);
	struct gm_value who = gm_text("city-sanitation");
	CU_ASSERT_EQUAL(rules_put(st, RULE_DISPATCH, "sanitation-0102", 1, &col, &who, "admin",
				  key, sizeof(key)), GM_OK);
	CU_ASSERT_STRING_EQUAL(key, "4401:sanitation-0102");
	/* the district overrides it again for its own subtree */
	put_dispatch(st, "440106", "sanitation-0102", "0102", NULL, "haizhu-sanitation", 3, 1);

	CU_ASSERT_FATAL(rules_load(st, RULE_DISPATCH, &rs) == GM_OK);
	rules_resolve(rs, GRID);
	CU_ASSERT_EQUAL(row(rs, "440106:sanitation-0102")->state, RULE_IN_EFFECT);
	CU_ASSERT_EQUAL(row(rs, "4401:sanitation-0102")->state, RULE_OVERRIDDEN);
	CU_ASSERT_STRING_EQUAL(row(rs, "4401:sanitation-0102")->by, "440106:sanitation-0102");
	CU_ASSERT_EQUAL(row(rs, "sanitation-0102")->state, RULE_OVERRIDDEN);
	/* the inherited fields came along */
	const struct gm_value *h = rules_val(rs, row(rs, "4401:sanitation-0102"), "hours");
	CU_ASSERT(h->type == GM_REAL && h->d == 4.0);
	rules_resolve(rs, OTHER_GRID);
	CU_ASSERT_EQUAL(row(rs, "4401:sanitation-0102")->state, RULE_IN_EFFECT);
	CU_ASSERT_EQUAL(row(rs, "440106:sanitation-0102")->state, RULE_ELSEWHERE);
	rules_free(rs);

	/* dispatch follows the place of the ticket, and says which rule */
	put_ticket(st, "T1", GRID, "0102", "registered");
	put_ticket(st, "T2", OTHER_GRID, "0102", "registered");
	CU_ASSERT_STRING_EQUAL(dispatch(st, "T1", rule, sizeof(rule)), "haizhu-sanitation");
	CU_ASSERT_STRING_EQUAL(rule, "440106:sanitation-0102");
	CU_ASSERT_STRING_EQUAL(dispatch(st, "T2", rule, sizeof(rule)), "city-sanitation");
	CU_ASSERT_STRING_EQUAL(rule, "4401:sanitation-0102");
	CU_ASSERT_EQUAL(store_history(st, schema_table(T_TICKET), "T1", last_note, note), GM_OK);
	CU_ASSERT_STRING_EQUAL(note, "dispatched by rule 440106:sanitation-0102 "
				     "(haizhu-sanitation, 3 h)");
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_FATAL(store_get(st, schema_table(T_TICKET), "T1", &r) == GM_OK);
	const struct table_def *tt = schema_table(T_TICKET);
	CU_ASSERT_EQUAL(r.vals[schema_col(tt, "deadline", 8)].i, (int64_t)(NOW_MS / 1000) + 3 * 3600);
	CU_ASSERT_EQUAL(memcmp(r.vals[schema_col(tt, "status", 6)].s, "dispatched", 10), 0);
	store_rec_free(&r);

	/* a disabled override still overrides: below the district the rule is off,
	 * and the next most specific rule (the major class 01) decides */
	put_dispatch(st, "440106", "sanitation-0102", "0102", NULL, "haizhu-sanitation", 3, 0);
	put_ticket(st, "T3", GRID, "0102", "registered");
	CU_ASSERT_STRING_EQUAL(dispatch(st, "T3", rule, sizeof(rule)), "sanitation");
	CU_ASSERT_STRING_EQUAL(rule, "appearance-01");

	/* only registered, dispatched and resolved tickets are dispatched */
	struct rules_dispatch_out out;
	put_ticket(st, "T4", GRID, "0102", "reported");
	CU_ASSERT_EQUAL(rules_dispatch_ticket(st, "T4", "x", false, &out), GM_E_STATE);
	CU_ASSERT_EQUAL(rules_dispatch_ticket(st, "nope", "x", false, &out), GM_E_NOTFOUND);
	store_close(st);
}

struct issues {
	unsigned conflicts, invalid;
	char first[256], at[32];
};

static int on_issue(void *ctx, const struct rules_issue *is)
{
	struct issues *x = ctx;
	if (is->what == ISSUE_CONFLICT) {
		if (!x->conflicts++) {
			snprintf(x->first, sizeof(x->first), "%s/%s", is->a->key, is->b->key);
			snprintf(x->at, sizeof(x->at), "%s", is->at);
		}
	} else {
		x->invalid++;
	}
	return 0;
}

static void t_conflicts(void)
{
	struct store *st = t_store(LEVEL_CITY, "4401");
	struct rules_dispatch_out out;
	struct issues is = { 0 };
	unsigned n;
	char rule[256];

	CU_ASSERT_EQUAL(rules_check(st, on_issue, &is, &n), GM_OK);
	CU_ASSERT_EQUAL(n, 0);   /* the shipped rules agree */

	/* two city rules for the same class and place, different outcomes */
	put_dispatch(st, "4401", "a", "0103", NULL, "sanitation", 8, 1);
	put_dispatch(st, "4401", "b", "0103", NULL, "cleaning-contractor", 8, 1);
	put_ticket(st, "T1", GRID, "0103", "registered");
	CU_ASSERT_EQUAL(rules_dispatch_ticket(st, "T1", "x", false, &out), GM_E_STATE);
	CU_ASSERT_EQUAL(out.verdict, DISPATCH_CONFLICT);
	CU_ASSERT(strstr(out.msg, "4401:a (sanitation, 8 h)") != NULL);
	CU_ASSERT(strstr(out.msg, "4401:b (cleaning-contractor, 8 h)") != NULL);
	CU_ASSERT(strstr(store_errmsg(st), "conflicting dispatch rules") != NULL);
	/* nothing written */
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_FATAL(store_get(st, schema_table(T_TICKET), "T1", &r) == GM_OK);
	CU_ASSERT_EQUAL(memcmp(r.vals[schema_col(r.tab, "status", 6)].s, "registered", 10), 0);
	store_rec_free(&r);

	/* a conflict only inside a district: found where it starts */
	put_dispatch(st, "4401", "c", "0104", "440106", "street-cleaning", 2, 1);
	put_dispatch(st, "440106", "d", "0104", NULL, "district-cleaning", 2, 1);
	memset(&is, 0, sizeof(is));
	CU_ASSERT_EQUAL(rules_check(st, on_issue, &is, &n), GM_OK);
	CU_ASSERT_EQUAL(is.conflicts, 2);
	CU_ASSERT_STRING_EQUAL(is.first, "4401:a/4401:b");
	CU_ASSERT_STRING_EQUAL(is.at, "4401");

	/* disabling one side resolves it, and the dispatch names the survivor */
	char key[256];
	CU_ASSERT_EQUAL(rules_set_enabled(st, RULE_DISPATCH, "b", false, "x", key, sizeof(key)),
			GM_OK);
	CU_ASSERT_STRING_EQUAL(dispatch(st, "T1", rule, sizeof(rule)), "sanitation");
	CU_ASSERT_STRING_EQUAL(rule, "4401:a");
	memset(&is, 0, sizeof(is));
	CU_ASSERT_EQUAL(rules_check(st, on_issue, &is, &n), GM_OK);
	CU_ASSERT_EQUAL(is.conflicts, 1);
	CU_ASSERT_STRING_EQUAL(is.first, "440106:d/4401:c");   /* key order */
	CU_ASSERT_STRING_EQUAL(is.at, "440106");

	/* a record that is no rule is reported, not used */
	put_dispatch(st, "440106", "e", "9", NULL, "x", 2, 1);
	memset(&is, 0, sizeof(is));
	CU_ASSERT_EQUAL(rules_check(st, on_issue, &is, &n), GM_OK);
	CU_ASSERT_EQUAL(is.invalid, 1);
	store_close(st);
}

static void t_put_checks(void)
{
	struct store *st = t_store(LEVEL_DISTRICT, "440106");
	const struct table_def *t = dtab();
	struct ruleset *rs;
	char key[256];
	uint8_t cols[4];
	struct gm_value vals[4];

	/* names, classes, areas, missing fields */
	cols[0] = (uint8_t)schema_col(t, "hours", 5);
	vals[0] = gm_real(1);
	CU_ASSERT_EQUAL(rules_put(st, RULE_DISPATCH, "bad name", 1, cols, vals, "x", key, 99),
			GM_E_INVAL);
	CU_ASSERT_EQUAL(rules_put(st, RULE_DISPATCH, "new-rule", 1, cols, vals, "x", key, 99),
			GM_E_INVAL);
	CU_ASSERT(strstr(store_errmsg(st), "needs") != NULL);
	cols[1] = (uint8_t)schema_col(t, "class", 5);
	cols[2] = (uint8_t)schema_col(t, "assignee", 8);
	vals[2] = gm_text("roads");
	vals[1] = gm_text("0999");
	CU_ASSERT_EQUAL(rules_put(st, RULE_DISPATCH, "r", 3, cols, vals, "x", key, 99), GM_E_INVAL);
	vals[1] = gm_text("09");
	CU_ASSERT_EQUAL(rules_put(st, RULE_DISPATCH, "r", 3, cols, vals, "x", key, 99), GM_E_INVAL);
	vals[1] = gm_text("01");
	cols[3] = (uint8_t)schema_col(t, "area", 4);
	vals[3] = gm_text("440107");
	CU_ASSERT_EQUAL(rules_put(st, RULE_DISPATCH, "r", 4, cols, vals, "x", key, 99), GM_E_SCOPE);
	vals[3] = gm_text("440106012");
	CU_ASSERT_EQUAL(rules_put(st, RULE_DISPATCH, "r", 4, cols, vals, "x", key, 99), GM_OK);
	CU_ASSERT_STRING_EQUAL(key, "440106:r");

	/* override of a shipped rule: one field, the rest inherited */
	CU_ASSERT_EQUAL(rules_put(st, RULE_DISPATCH, "drainage-0404", 1, cols, vals, "x", key, 99),
			GM_OK);
	CU_ASSERT_FATAL(rules_load(st, RULE_DISPATCH, &rs) == GM_OK);
	rules_resolve(rs, "440106");
	const struct rule_row *d = row(rs, "440106:drainage-0404");
	CU_ASSERT_EQUAL(d->state, RULE_IN_EFFECT);
	CU_ASSERT_STRING_EQUAL(rules_val(rs, d, "class")->s, "0404");
	CU_ASSERT_STRING_EQUAL(rules_val(rs, d, "assignee")->s, "drainage");
	CU_ASSERT_EQUAL(rules_val(rs, d, "hours")->d, 1.0);
	rules_free(rs);

	/* classification rules are checked as the classifier reads them */
	const struct table_def *ct = rules_table(RULE_CLASSIFY);
	uint8_t cc[4] = {
		(uint8_t)schema_col(ct, "class", 5), (uint8_t)schema_col(ct, "lang", 4),
		(uint8_t)schema_col(ct, "phrases", 7), (uint8_t)schema_col(ct, "weight", 6),
	};
	struct gm_value cv[4] = { gm_text("0404"), gm_text("zh"), gm_text("||"), gm_int(5) };
	CU_ASSERT_EQUAL(rules_put(st, RULE_CLASSIFY, "c", 4, cc, cv, "x", key, 99), GM_E_INVAL);
	cv[2] = gm_text("井盖");
	cv[3] = gm_int(0);
	CU_ASSERT_EQUAL(rules_put(st, RULE_CLASSIFY, "c", 4, cc, cv, "x", key, 99), GM_E_INVAL);
	CU_ASSERT_EQUAL(rules_set_enabled(st, RULE_CLASSIFY, "no-such-rule", false, "x", key, 99),
			GM_E_NOTFOUND);

	/* a malformed record (from elsewhere) is reported, and may be switched off */
	struct issues is = { 0 };
	unsigned n;
	put_dispatch(st, "440106", "junk", "9", NULL, "x", 2, 1);
	CU_ASSERT_EQUAL(rules_check(st, on_issue, &is, &n), GM_OK);
	CU_ASSERT_EQUAL(is.invalid, 1);
	CU_ASSERT_EQUAL(rules_set_enabled(st, RULE_DISPATCH, "junk", false, "x", key, 99), GM_OK);
	memset(&is, 0, sizeof(is));
	CU_ASSERT_EQUAL(rules_check(st, on_issue, &is, &n), GM_OK);
	CU_ASSERT_EQUAL(n, 0);
	store_close(st);
}

/* Best class of text at a place ("" if not clear). */
static const char *classify_at(struct store *st, const char *at, const char *text)
{
	static char out[8];
	struct classifier *c;
	struct classify_result r;
	unsigned bad = 99;
	out[0] = 0;
	CU_ASSERT_FATAL(rules_classifier(st, at, &c, &bad) == GM_OK);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_FATAL(classify_text(c, text, &r) == GM_OK);
	if (r.verdict == CLASSIFY_CLEAR)
		snprintf(out, sizeof(out), "%s", r.cand[0].cls);
	classify_result_free(&r);
	classifier_free(c);
	return out;
}

static void t_classify_override(void)
{
	struct store *st = t_store(LEVEL_DISTRICT, "440106");
	char key[256];
	CU_ASSERT_STRING_EQUAL(classify_at(st, GRID, "井盖被偷了"), "0404");
	/* the district switches the manhole phrases off for its subtree */
	CU_ASSERT_EQUAL(rules_set_enabled(st, RULE_CLASSIFY, "0404-zh-manhole", false, "x", key,
					  sizeof(key)), GM_OK);
	CU_ASSERT_STRING_EQUAL(key, "440106:0404-zh-manhole");
	CU_ASSERT_STRING_EQUAL(classify_at(st, GRID, "井盖被偷了"), "");
	CU_ASSERT_STRING_EQUAL(classify_at(st, "440106", "井盖被偷了"), "");
	/* elsewhere the shipped rule still holds */
	CU_ASSERT_STRING_EQUAL(classify_at(st, OTHER_GRID, "井盖被偷了"), "0404");
	CU_ASSERT_STRING_EQUAL(classify_at(st, "", "井盖被偷了"), "0404");
	/* and its own rule sends manhole texts to road damage instead */
	const struct table_def *ct = rules_table(RULE_CLASSIFY);
	uint8_t cc[4] = {
		(uint8_t)schema_col(ct, "class", 5), (uint8_t)schema_col(ct, "lang", 4),
		(uint8_t)schema_col(ct, "phrases", 7), (uint8_t)schema_col(ct, "weight", 6),
	};
	struct gm_value cv[4] = { gm_text("0110"), gm_text("zh"), gm_text("井盖"), gm_int(6) };
	CU_ASSERT_EQUAL(rules_put(st, RULE_CLASSIFY, "manhole-roads", 4, cc, cv, "x", key, 99),
			GM_OK);
	CU_ASSERT_STRING_EQUAL(classify_at(st, GRID, "井盖被偷了"), "0110");
	CU_ASSERT_STRING_EQUAL(classify_at(st, OTHER_GRID, "井盖被偷了"), "0404");
	store_close(st);
}

void t_init_rules_tests(void)
{
	static const struct t_case cases[] = {
		{ "override by scope, dispatch by the ticket's place", t_override_by_scope },
		{ "conflicts refused and reported where they start", t_conflicts },
		{ "edits checked, partial overrides inherit", t_put_checks },
		{ "classification rules overridden below a node", t_classify_override },
		{ NULL, NULL },
	};
	t_add_suite("rules", cases);
}
