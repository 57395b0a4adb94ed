/* test_classify.c - the phrase-rule classifier alone (no store). */
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../node/classify.h"
#include "../../node/csvread.h"

void t_init_classify_tests(void);

static char why[256];

static struct classifier *make(void)
{
	struct classifier *c = NULL;
	CU_ASSERT_FATAL(classifier_new(&c) == GM_OK);
	return c;
}

static void add(struct classifier *c, const char *name, const char *cls, const char *lang,
		const char *phrases, int weight)
{
	enum gm_err e = classifier_add(c, name, cls, lang, phrases, weight, why, sizeof(why));
	if (e)
		fprintf(stderr, "add %s: %s\n", name, why);
	CU_ASSERT_FATAL(e == GM_OK);
}

/* Best class of text ("" if none), and the verdict. */
static const char *best(struct classifier *c, const char *text, enum classify_verdict *v)
{
	static char out[8];
	struct classify_result r;
	CU_ASSERT_FATAL(classify_text(c, text, &r) == GM_OK);
	snprintf(out, sizeof(out), "%s", r.n ? r.cand[0].cls : "");
	if (v)
		*v = r.verdict;
	classify_result_free(&r);
	return out;
}

static void t_stem(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "dumped", "dump" }, { "dumping", "dump" }, { "dump", "dump" },
		{ "batteries", "battery" }, { "boxes", "box" }, { "benches", "bench" },
		{ "mattresses", "mattress" }, { "mattress", "mattress" }, { "lights", "light" },
		{ "clogged", "clog" }, { "spilled", "spill" }, { "damaged", "damag" },
		{ "damage", "damag" }, { "bus", "bus" }, { "gas", "gas" }, { "tires", "tir" },
		{ "tire", "tir" }, { "parking", "park" }, { "flooded", "flood" }, { "a1", "a1" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char w[32];
		size_t n = strlen(cases[i].in);
		memcpy(w, cases[i].in, n + 1);
		n = classify_stem(w, n);
		w[n] = 0;
		if (strcmp(w, cases[i].out) != 0)
			fprintf(stderr, "stem(%s) = %s, want %s\n", cases[i].in, w, cases[i].out);
		CU_ASSERT_STRING_EQUAL(w, cases[i].out);
	}
}

static void t_matching(void)
{
	struct classifier *c = make();
	enum classify_verdict v;
	add(c, "bin", "0102", "zh", "垃圾桶满", 5);
	add(c, "graffiti", "0113", "en", "graffiti|spray paint", 5);
	add(c, "carcass", "0117", "en", "dead cat|dead+animal", 5);
	add(c, "manhole", "0404", "zh", "井盖+丢", 5);

	/* zh: case, width, spaces and punctuation do not matter */
	CU_ASSERT_STRING_EQUAL(best(c, "小区门口垃圾桶 满了！！", &v), "0102");
	CU_ASSERT_EQUAL(v, CLASSIFY_CLEAR);
	/* en: full-width letters fold, stems match, words are whole */
	CU_ASSERT_STRING_EQUAL(best(c, "ＧＲＡＦＦＩＴＩ on the wall", NULL), "0113");
	CU_ASSERT_STRING_EQUAL(best(c, "someone Spray-Painted? no: spray painting!", NULL), "0113");
	CU_ASSERT_STRING_EQUAL(best(c, "dead cats on Main St", NULL), "0117");
	CU_ASSERT_STRING_EQUAL(best(c, "a catalog of dead plants", &v), "");
	CU_ASSERT_EQUAL(v, CLASSIFY_NONE);
	/* a sequence must be in order; parts joined by + need not be */
	CU_ASSERT_STRING_EQUAL(best(c, "the cat is dead", NULL), "");
	CU_ASSERT_STRING_EQUAL(best(c, "an animal, quite dead", NULL), "0117");
	CU_ASSERT_STRING_EQUAL(best(c, "丢了一个井盖", NULL), "0404");
	CU_ASSERT_STRING_EQUAL(best(c, "井盖还在", NULL), "");
	/* English rules never match Chinese text and the other way round */
	CU_ASSERT_STRING_EQUAL(best(c, "垃圾桶满 graffiti", &v), "0102");
	CU_ASSERT_EQUAL(v, CLASSIFY_UNSURE);   /* 5 against 5 */
	/* bytes that are not UTF-8 separate words and never crash */
	CU_ASSERT_STRING_EQUAL(best(c, "dead\xff\xfe" "cat \xe5\x9e graffiti\xc0\xaf", NULL), "0113");
	CU_ASSERT_STRING_EQUAL(best(c, "", &v), "");
	classifier_free(c);
}

static void t_ranking(void)
{
	struct classifier *c = make();
	struct classify_result r;
	add(c, "a1", "0102", "en", "trash|garbage", 1);
	add(c, "a2", "0102", "en", "overflowing bin", 5);
	add(c, "b1", "0103", "en", "dumped|dumping", 5);
	add(c, "b2", "0103", "en", "mattress", -3);
	add(c, "c1", "0108", "en", "mattress|couch", 4);

	CU_ASSERT_FATAL(classify_text(c, "overflowing bins, trash and garbage everywhere", &r) == 0);
	/* a rule counts once however many of its phrases match */
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_EQUAL(r.cand[0].score, 6);
	CU_ASSERT_EQUAL(r.cand[0].nreasons, 2);
	CU_ASSERT_STRING_EQUAL(r.cand[0].reasons[0].rule, "a1");
	CU_ASSERT_STRING_EQUAL(r.cand[0].reasons[0].phrase, "trash");
	CU_ASSERT_STRING_EQUAL(r.cand[0].reasons[1].phrase, "overflowing bin");
	CU_ASSERT_EQUAL(r.verdict, CLASSIFY_CLEAR);
	classify_result_free(&r);

	/* a negative weight argues a class down: 5 - 3 = 2 against 4 */
	CU_ASSERT_FATAL(classify_text(c, "someone dumped a mattress", &r) == 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	CU_ASSERT_STRING_EQUAL(r.cand[0].cls, "0108");
	CU_ASSERT_EQUAL(r.cand[0].score, 4);
	CU_ASSERT_STRING_EQUAL(r.cand[1].cls, "0103");
	CU_ASSERT_EQUAL(r.cand[1].score, 2);
	CU_ASSERT_EQUAL(r.verdict, CLASSIFY_CLEAR);   /* 4, lead 2: just clear */
	classify_result_free(&r);

	/* a class argued to zero or below is not ranked */
	CU_ASSERT_FATAL(classify_text(c, "a mattress", &r) == 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 1);
	CU_ASSERT_STRING_EQUAL(r.cand[0].cls, "0108");
	classify_result_free(&r);

	/* equal scores rank by class code; a tie is never clear */
	CU_ASSERT_FATAL(classify_text(c, "dumping a couch", &r) == 0);
	CU_ASSERT_EQUAL_FATAL(r.n, 2);
	CU_ASSERT_STRING_EQUAL(r.cand[0].cls, "0103");
	CU_ASSERT_EQUAL(r.cand[0].score, 5);
	CU_ASSERT_STRING_EQUAL(r.cand[1].cls, "0108");
	CU_ASSERT_EQUAL(r.cand[1].score, 4);
	CU_ASSERT_EQUAL(r.verdict, CLASSIFY_UNSURE);  /* lead 1 */
	classify_result_free(&r);

	/* too weak alone: 1 < CLASSIFY_MIN_SCORE */
	CU_ASSERT_FATAL(classify_text(c, "garbage", &r) == 0);
	CU_ASSERT_EQUAL(r.n, 1);
	CU_ASSERT_EQUAL(r.verdict, CLASSIFY_UNSURE);
	classify_result_free(&r);
	classifier_free(c);
}

static void t_invalid(void)
{
	struct classifier *c = make();
	CU_ASSERT_EQUAL(classifier_add(c, "x", "102", "en", "a", 1, why, sizeof(why)), GM_E_INVAL);
	CU_ASSERT_EQUAL(classifier_add(c, "x", "01a2", "en", "a", 1, why, sizeof(why)), GM_E_INVAL);
	CU_ASSERT_EQUAL(classifier_add(c, "x", "0102", "fr", "a", 1, why, sizeof(why)), GM_E_INVAL);
	CU_ASSERT_EQUAL(classifier_add(c, "x", "0102", "en", "a", 0, why, sizeof(why)), GM_E_INVAL);
	CU_ASSERT_EQUAL(classifier_add(c, "x", "0102", "en", "a", 11, why, sizeof(why)), GM_E_INVAL);
	CU_ASSERT_EQUAL(classifier_add(c, "x", "0102", "en", "", 1, why, sizeof(why)), GM_E_INVAL);
	CU_ASSERT_EQUAL(classifier_add(c, "x", "0102", "en", "a||b", 1, why, sizeof(why)),
			GM_E_INVAL);
	CU_ASSERT(strstr(why, "nothing to match") != NULL);
	CU_ASSERT_EQUAL(classifier_add(c, "x", "0102", "en", "a+", 1, why, sizeof(why)), GM_E_INVAL);
	/* an English phrase of Chinese only has no English words in it */
	CU_ASSERT_EQUAL(classifier_add(c, "x", "0102", "en", "垃圾", 1, why, sizeof(why)),
			GM_E_INVAL);
	CU_ASSERT_EQUAL(classifier_add(c, "x", "0102", "zh", "！？", 1, why, sizeof(why)),
			GM_E_INVAL);
	CU_ASSERT_EQUAL(classifier_count(c), 0);
	classifier_free(c);
}

/* ---------------------------------------------------- the shipped rules */

struct load {
	struct classifier *c;
	unsigned rows, bad;
	char cls_zh[100][5], cls_en[100][5];
	unsigned nzh, nen;
};

static int rule_row(void *ctx, unsigned n, char **f, size_t *lens, unsigned long line)
{
	struct load *l = ctx;
	(void)lens;
	if (line == 1)
		return 0;
	CU_ASSERT_EQUAL_FATAL(n, 5);
	if (classifier_add(l->c, f[0], f[1], f[2], f[4], atoi(f[3]), why, sizeof(why))) {
		fprintf(stderr, "classify-rules.csv:%lu: %s\n", line, why);
		l->bad++;
	}
	l->rows++;
	if (strcmp(f[2], "zh") == 0 && l->nzh < 100)
		snprintf(l->cls_zh[l->nzh++], 5, "%s", f[1]);
	if (strcmp(f[2], "en") == 0 && l->nen < 100)
		snprintf(l->cls_en[l->nen++], 5, "%s", f[1]);
	return 0;
}

/* The rules of data/classify-rules.csv; free with unload(). */
static struct load *shipped(void)
{
	struct load *l = calloc(1, sizeof(*l));
	char path[512], err[256];
	CU_ASSERT_FATAL(l != NULL);
	CU_ASSERT_FATAL(classifier_new(&l->c) == GM_OK);
	snprintf(path, sizeof(path), "%s/classify-rules.csv", t_refdir());
	CU_ASSERT_FATAL(csvread_file(path, rule_row, l, err, sizeof(err)) == 0);
	return l;
}

static void unload(struct load *l)
{
	classifier_free(l->c);
	free(l);
}

static int has(char (*v)[5], unsigned n, const char *cls)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(v[i], cls) == 0)
			return 1;
	return 0;
}

struct cover {
	struct load *l;
	unsigned classes;
};

static int event_row(void *ctx, unsigned n, char **f, size_t *lens, unsigned long line)
{
	struct cover *cv = ctx;
	(void)lens;
	if (line == 1 || n < 1)
		return 0;
	cv->classes++;
	if (!has(cv->l->cls_zh, cv->l->nzh, f[0]) || !has(cv->l->cls_en, cv->l->nen, f[0]))
		fprintf(stderr, "event class %s lacks a zh or an en rule\n", f[0]);
	CU_ASSERT(has(cv->l->cls_zh, cv->l->nzh, f[0]));
	CU_ASSERT(has(cv->l->cls_en, cv->l->nen, f[0]));
	return 0;
}

/* Every shipped rule compiles, and every event class has zh and en rules. */
static void t_shipped_cover(void)
{
	struct load *l = shipped();
	struct cover cv = { .l = l };
	char path[512], err[256];
	CU_ASSERT(l->rows > 100);
	CU_ASSERT_EQUAL(l->bad, 0);
	snprintf(path, sizeof(path), "%s/gbt30428-events.csv", t_refdir());
	CU_ASSERT_FATAL(csvread_file(path, event_row, &cv, err, sizeof(err)) == 0);
	CU_ASSERT(cv.classes >= 50);
	unload(l);
}

/*
 * Citizen phrasings and the class they should get, clearly.  Written with
 * the rules (so a regression guard, not an accuracy measure: the LA 311
 * evaluation in tools/eval_classify.c is that).
 */
static void t_shipped_phrasings(void)
{
	static const struct {
		const char *text, *cls;
	} cases[] = {
		{ "垃圾桶满了", "0102" },
		{ "小区门口的垃圾箱已经满了，垃圾溢出来", "0102" },
		{ "路灯不亮", "0408" },
		{ "这条路上的路灯晚上一直不亮", "0408" },
		{ "井盖被偷了，很危险", "0404" },
		{ "下水道堵了，污水冒出来", "0404" },
		{ "有人在墙上乱涂乱画", "0113" },
		{ "马路上有个大坑", "0110" },
		{ "楼下烧烤店油烟太大", "0116" },
		{ "晚上十二点工地还在施工，吵得睡不着", "0301" },
		{ "小区门口有辆车停了半年没动过，落满灰", "0107" },
		{ "人行道上的共享单车乱停", "0506" },
		{ "有人在小区门口摆地摊卖水果", "0501" },
		{ "雨后路面积水严重，车过不去", "0406" },
		{ "电线掉下来了挂在树上", "0408" },
		{ "小区里有人养鸡，每天早上公鸡打鸣", "0118" },
		{ "空调外机滴水到行人身上", "0513" },
		{ "饭店把桌子摆到人行道上", "0504" },
		{ "有人在楼道堆放杂物", "0507" },
		{ "工地渣土车沿路撒了一路泥", "0112" },
		{ "河涌里面很多垃圾，发臭", "0105" },
		{ "manhole cover missing", "0404" },
		{ "graffiti on wall", "0113" },
		{ "The streetlights on my block have been out for a week", "0408" },
		{ "There's a huge pothole on 5th street", "0110" },
		{ "The sidewalk in front of my house is cracked and lifted", "0110" },
		{ "Someone is burning leaves in their backyard, smoke everywhere", "0115" },
		{ "Water gushing from a broken pipe on the corner", "0402" },
		{ "There is a dead raccoon on the sidewalk", "0117" },
		{ "Loud music from the bar every night until 3am", "0508" },
		{ "Abandoned car with no plates for weeks", "0107" },
		{ "gas smell near the school", "0403" },
		{ "dumpsters are overflowing", "0102" },
		{ "car parked on the sidewalk blocking my driveway", "0505" },
		{ "old fridge and a broken washing machine left on the curb", "0108" },
		{ "homeless encampment under the bridge", "0502" },
		{ "broken sign about to fall on the sidewalk", "0205" },
	};
	struct load *l = shipped();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum classify_verdict v;
		const char *got = best(l->c, cases[i].text, &v);
		if (strcmp(got, cases[i].cls) != 0 || v != CLASSIFY_CLEAR)
			fprintf(stderr, "'%s': got %s (%s), want %s\n", cases[i].text, got,
				classify_verdict_name(v), cases[i].cls);
		CU_ASSERT_STRING_EQUAL(got, cases[i].cls);
		CU_ASSERT_EQUAL(v, CLASSIFY_CLEAR);
	}
	/* nothing to go on: no class, so ticket add asks for one */
	enum classify_verdict v;
	CU_ASSERT_STRING_EQUAL(best(l->c, "hello, please call me back", &v), "");
	CU_ASSERT_EQUAL(v, CLASSIFY_NONE);
	CU_ASSERT_STRING_EQUAL(best(l->c, "Other at 132 S WESTMORELAND AVE, 90004", &v), "");
	unload(l);
}

void t_init_classify_tests(void)
{
	static const struct t_case cases[] = {
		{ "stemming", t_stem },
		{ "zh substrings, en words, alternatives and parts", t_matching },
		{ "ranking, weights once per rule, verdicts", t_ranking },
		{ "malformed rules refused", t_invalid },
		{ "shipped rules compile and cover every class", t_shipped_cover },
		{ "shipped rules on citizen phrasings", t_shipped_phrasings },
		{ NULL, NULL },
	};
	t_add_suite("classify", cases);
}
