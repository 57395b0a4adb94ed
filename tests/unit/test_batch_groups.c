/* test_batch_groups.c - batches holding several tables (one group each). */
#include "test_util.h"
#include "../../proto/batch.h"

void t_init_batch_groups_tests(void);

/* Two groups whose clocks interleave: what store_seal makes of a slice
 * with tickets and assets.  Each group's clocks must survive the trip. */
static void t_two_groups(void)
{
	static const char *fields[] = { "status", "title" };
	static uint32_t flens[] = { 6, 5 };
	struct gm_value v1[] = { gm_text("reported"), gm_text("bin") };
	struct gm_value v2[] = { gm_text("normal") };
	struct batch_change c1[] = {
		{ .key = "t1", .keylen = 2, .t = 1000, .mask = 3, .vals = v1 },
		{ .key = "t2", .keylen = 2, .t = 1005, .seen = 1000, .mask = 1, .vals = v1 },
	};
	struct batch_change c2[] = {
		{ .key = "a1", .keylen = 2, .t = 1002, .mask = 1, .vals = v2 },
		{ .key = "a2", .keylen = 2, .t = 1009, .del = true },
	};
	struct batch_group g[] = {
		{ "ticket", 6, 2, fields, flens, 2, c1 },
		{ "asset", 5, 1, fields, flens, 2, c2 },
	};
	struct batch b = { .base_t = 1000, .ngroups = 2, .groups = g };
	struct gm_buf pay, env;
	struct batch *d = NULL;

	gm_buf_init(&pay);
	gm_buf_init(&env);
	b.env.origin = 7;
	b.env.bseq = 1;
	b.env.scope = "440106012023001";
	b.env.scopelen = 15;
	b.env.nchanges = 4;
	b.env.tmax = 1009;
	CU_ASSERT_FATAL(batch_encode_payload(&b, &pay) == GM_OK);
	CU_ASSERT_FATAL(batch_env_encode(&b.env, pay.p, pay.len, &env) == GM_OK);
	batch_env_finish(&env, NULL);
	CU_ASSERT_FATAL(batch_decode(env.p, env.len, &d) == GM_OK);
	CU_ASSERT_EQUAL(d->ngroups, 2);
	CU_ASSERT_EQUAL(d->groups[0].ch[0].t, 1000);
	CU_ASSERT_EQUAL(d->groups[0].ch[1].t, 1005);
	CU_ASSERT_EQUAL(d->groups[0].ch[1].seen, 1000);
	CU_ASSERT_EQUAL(d->groups[1].ch[0].t, 1002);
	CU_ASSERT_EQUAL(d->groups[1].ch[1].t, 1009);
	CU_ASSERT(d->groups[1].ch[1].del);
	batch_free(d);
	gm_buf_free(&pay);
	gm_buf_free(&env);
}

void t_init_batch_groups_tests(void)
{
	static const struct t_case cases[] = {
		{ "two tables in one batch", t_two_groups },
		{ NULL, NULL },
	};
	t_add_suite("batch groups", cases);
}
