/* test_linksm.c - the child side of a link, without a transport. */
#include "test_util.h"
#include "../../sync/linksm.h"

void t_init_linksm_tests(void);

static void up(struct linksm *l, uint64_t now)
{
	static const struct linksm_conf c = { .poll_ms = 30000, .poll_observing_ms = 300000,
					      .backoff_min_ms = 1000, .backoff_max_ms = 60000,
					      .reg_refresh_ms = 150000, .observe = true };
	uint64_t wake;
	linksm_init(l, &c, now);
	/* register, push and pull what there is, observe: then idle */
	enum linksm_op order[] = { LOP_REGISTER, LOP_PUSH, LOP_PULL, LOP_OBSERVE };
	for (unsigned i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(linksm_next(l, now, &wake), order[i]);
		linksm_start(l, order[i]);
		linksm_done(l, order[i], LR_OK, now);
	}
	CU_ASSERT(linksm_idle(l));
}

static void t_order(void)
{
	struct linksm l;
	uint64_t wake;
	up(&l, 1000);
	CU_ASSERT_EQUAL(linksm_next(&l, 1000, &wake), LOP_NONE);
	CU_ASSERT(wake > 1000);
	linksm_want_push(&l);
	CU_ASSERT_EQUAL(linksm_next(&l, 1000, &wake), LOP_PUSH);
}

/* A child's batches arriving while our push is in flight are pushed next. */
static void t_push_wanted_in_flight(void)
{
	struct linksm l;
	uint64_t wake;
	up(&l, 1000);
	linksm_want_push(&l);
	CU_ASSERT_EQUAL(linksm_next(&l, 1000, &wake), LOP_PUSH);
	linksm_start(&l, LOP_PUSH);
	linksm_want_push(&l);
	linksm_done(&l, LOP_PUSH, LR_OK, 1010);
	CU_ASSERT(!linksm_idle(&l));
	CU_ASSERT_EQUAL(linksm_next(&l, 1010, &wake), LOP_PUSH);
	linksm_start(&l, LOP_PUSH);
	linksm_done(&l, LOP_PUSH, LR_OK, 1020);
	CU_ASSERT(linksm_idle(&l));
}

/* A bell announcing more while a pull is in flight gets its own pull. */
static void t_bell_in_flight(void)
{
	struct linksm l;
	uint64_t wake;
	up(&l, 1000);
	linksm_hello(&l, 7, 5, 0);
	CU_ASSERT_EQUAL(linksm_next(&l, 1000, &wake), LOP_PULL);
	linksm_start(&l, LOP_PULL);
	linksm_hello(&l, 7, 9, 5);
	linksm_done(&l, LOP_PULL, LR_OK, 1010);
	CU_ASSERT_EQUAL(linksm_next(&l, 1010, &wake), LOP_PULL);
}

/* A failure backs off, then starts over with a registration. */
static void t_backoff(void)
{
	struct linksm l;
	uint64_t wake;
	up(&l, 1000);
	linksm_want_push(&l);
	CU_ASSERT_EQUAL(linksm_next(&l, 1000, &wake), LOP_PUSH);
	linksm_start(&l, LOP_PUSH);
	linksm_done(&l, LOP_PUSH, LR_FAIL, 1000);
	CU_ASSERT_EQUAL(linksm_next(&l, 1500, &wake), LOP_NONE);
	CU_ASSERT_EQUAL(wake, 2000);
	CU_ASSERT_EQUAL(linksm_next(&l, 2000, &wake), LOP_REGISTER);
	linksm_start(&l, LOP_REGISTER);
	linksm_done(&l, LOP_REGISTER, LR_OK, 2000);
	CU_ASSERT_EQUAL(linksm_next(&l, 2000, &wake), LOP_PUSH);
}

void t_init_linksm_tests(void)
{
	static const struct t_case cases[] = {
		{ "register, push, pull, observe", t_order },
		{ "a push wanted during a push is not lost", t_push_wanted_in_flight },
		{ "a bell during a pull is not lost", t_bell_in_flight },
		{ "failure backs off and registers again", t_backoff },
		{ NULL, NULL },
	};
	t_add_suite("link state machine", cases);
}
