/* test_hlc.c - hybrid logical clock and node codes. */
#include "test_util.h"
#include "../../sync/hlc.h"
#include "../../sync/scope.h"

void t_init_hlc_tests(void);

static void t_monotonic(void)
{
	struct hlc h;
	hlc_init(&h, 0, 0);
	uint64_t a = hlc_now(&h, 1000);
	uint64_t b = hlc_now(&h, 1000);
	uint64_t c = hlc_now(&h, 999);   /* wall clock went back */
	uint64_t d = hlc_now(&h, 2000);
	CU_ASSERT(a < b);
	CU_ASSERT(b < c);
	CU_ASSERT(c < d);
	CU_ASSERT_EQUAL(hlc_ms(a), 1000);
	CU_ASSERT_EQUAL(hlc_ms(d), 2000);
	CU_ASSERT_EQUAL(d & 0xffff, 0);
}

static void t_recv(void)
{
	struct hlc h;
	hlc_init(&h, 0, 60000);
	hlc_now(&h, 1000000);
	/* a peer slightly ahead: adopted, our next stamp is past it */
	uint64_t remote = hlc_from_ms(1000000 + 5000) + 7;
	CU_ASSERT_EQUAL(hlc_recv(&h, remote, 1000000), GM_OK);
	CU_ASSERT(hlc_now(&h, 1000000) > remote);
	/* a peer an hour ahead: refused, our clock untouched */
	uint64_t before = h.last;
	CU_ASSERT_EQUAL(hlc_recv(&h, hlc_from_ms(1000000 + 3600000), 1000000), GM_E_CLOCK);
	CU_ASSERT_EQUAL(h.last, before);
}

static void t_clk_order(void)
{
	struct clk a = { 100, 5 }, b = { 100, 6 }, c = { 101, 1 };
	CU_ASSERT(clk_cmp(a, b) < 0);
	CU_ASSERT(clk_cmp(b, c) < 0);
	CU_ASSERT(clk_cmp(c, a) > 0);
	CU_ASSERT(clk_cmp(a, a) == 0);
}

static void t_codes(void)
{
	char out[CODE_MAX + 1];
	uint64_t id, id2;
	CU_ASSERT_EQUAL(code_level("4401", 4), LEVEL_CITY);
	CU_ASSERT_EQUAL(code_level("440106", 6), LEVEL_DISTRICT);
	CU_ASSERT_EQUAL(code_level("440106012", 9), LEVEL_STREET);
	CU_ASSERT_EQUAL(code_level("440106012023001", 15), LEVEL_GRID);
	CU_ASSERT_EQUAL(code_level("44010", 5), LEVEL_NONE);
	CU_ASSERT_EQUAL(code_level("44a1", 4), LEVEL_NONE);
	CU_ASSERT(code_is_parent("440106012", "440106012023001"));
	CU_ASSERT(!code_is_parent("440106013", "440106012023001"));
	CU_ASSERT(!code_is_parent("440106", "440106012023001"));
	CU_ASSERT(node_id_from_code("440106012023001", 15, &id));
	CU_ASSERT(node_code_from_id(id, out));
	CU_ASSERT_STRING_EQUAL(out, "440106012023001");
	/* leading zeros and lengths stay distinct */
	CU_ASSERT(node_id_from_code("0440", 4, &id));
	CU_ASSERT(node_id_from_code("440", 3, &id2));
	CU_ASSERT(id != id2);
	CU_ASSERT(node_code_from_id(id, out));
	CU_ASSERT_STRING_EQUAL(out, "0440");
	CU_ASSERT(!node_code_from_id(0, out));
	CU_ASSERT(scope_within("440106012023001", 15, "440106", 6));
	CU_ASSERT(!scope_within("440107012023001", 15, "440106", 6));
}

void t_init_hlc_tests(void)
{
	static const struct t_case cases[] = {
		{ "monotonic", t_monotonic },
		{ "receive and refuse far future", t_recv },
		{ "clock order with node tie-break", t_clk_order },
		{ "node codes and ids", t_codes },
		{ NULL, NULL },
	};
	t_add_suite("hlc", cases);
}
