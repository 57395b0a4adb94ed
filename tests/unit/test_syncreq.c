/* test_syncreq.c - the query string of a child's request (node/syncreq.h). */
#include <string.h>
#include "test_util.h"
#include "../../node/syncreq.h"

void t_init_syncreq_tests(void);

#define STREET "440106012"
#define GRID "440106012023001"
#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void parse(const char *q, struct syncreq *r)
{
	syncreq_parse(STREET, q, strlen(q), r);
}

static void t_what_link_sends(void)
{
	struct syncreq r;
	parse("c=" GRID "&a=17&own=1", &r);
	CU_ASSERT_EQUAL(r.has, SR_CODE | SR_AFTER | SR_OWN);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_STRING_EQUAL(r.code, GRID);
	CU_ASSERT_EQUAL(r.after, 17);
	parse("c=" GRID "&h=" HASH "&o=65536&t=18446744073709551615", &r);
	CU_ASSERT_EQUAL(r.has, SR_CODE | SR_HASH | SR_OFF | SR_TOTAL);
	CU_ASSERT_STRING_EQUAL(r.hash, HASH);
	CU_ASSERT_EQUAL(r.off, 65536);
	CU_ASSERT_EQUAL(r.total, UINT64_MAX);
	/* the first occurrence counts; unknown keys are ignored */
	parse("x=1&c=" GRID "&c=440106012023002&a=1&a=2&zz", &r);
	CU_ASSERT_STRING_EQUAL(r.code, GRID);
	CU_ASSERT_EQUAL(r.after, 1);
	syncreq_parse(STREET, NULL, 0, &r);
	CU_ASSERT_EQUAL(r.has | r.bad, 0);
}

static void t_refusals(void)
{
	static const struct {
		const char *q;
		unsigned bad;
	} cases[] = {
		{ "c=440106012023", SR_CODE },             /* not a grid code */
		{ "c=440106013023001", SR_CODE },          /* another street's grid */
		{ "c=" STREET, SR_CODE },                  /* ourselves */
		{ "c=", SR_CODE },
		{ "a=-1", SR_AFTER },
		{ "a=", SR_AFTER },
		{ "a= 5", SR_AFTER },                      /* strtoll took these */
		{ "a=+5", SR_AFTER },
		{ "a=5x", SR_AFTER },
		{ "a=9223372036854775808", SR_AFTER },     /* INT64_MAX + 1 */
		{ "a=000000000000000000001", SR_AFTER },   /* 21 digits */
		{ "o= -1", SR_OFF },                       /* strtoull made it 2^64 - 1 */
		{ "t=18446744073709551616", SR_TOTAL },    /* strtoull saturated */
		{ "n=0x10", SR_LEN },
		{ "h=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", SR_HASH },
		{ "h=" HASH "0", SR_HASH },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct syncreq r;
		parse(cases[i].q, &r);
		CU_ASSERT_EQUAL(r.bad, cases[i].bad);
		CU_ASSERT_EQUAL(r.has, 0);
		CU_ASSERT_EQUAL(r.code[0] | r.hash[0], 0);
		if (r.bad != cases[i].bad || r.has)
			fprintf(stderr, "\n  query '%s': has %#x bad %#x\n", cases[i].q, r.has, r.bad);
	}
	struct syncreq r;
	parse("own=2", &r);
	CU_ASSERT_EQUAL(r.has | r.bad, 0);
	parse("a=9223372036854775807", &r);
	CU_ASSERT_EQUAL(r.has, SR_AFTER);
	CU_ASSERT_EQUAL(r.after, INT64_MAX);
}

static void t_nul_ends_nothing(void)
{
	/* a NUL inside the value must not leave a shorter code that passes */
	static const char q[] = "c=440106012023001\0x";
	struct syncreq r;
	syncreq_parse("440106", q, sizeof(q) - 1, &r);
	CU_ASSERT_EQUAL(r.bad, SR_CODE);
	static const char q2[] = "c=440106012\0zzzzz";
	syncreq_parse("440106", q2, sizeof(q2) - 1, &r);
	CU_ASSERT_EQUAL(r.bad, SR_CODE);
	CU_ASSERT_EQUAL(r.code[0], 0);
}

void t_init_syncreq_tests(void)
{
	static const struct t_case cases[] = {
		{ "what a child's link sends reads back", t_what_link_sends },
		{ "malformed values are bad, not absent or bent", t_refusals },
		{ "a NUL in a value is no end of it", t_nul_ends_nothing },
		{ NULL, NULL },
	};
	t_add_suite("syncreq", cases);
}
