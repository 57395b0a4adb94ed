/* test_batch_limits.c - batches that would cost far more to decode than they weigh. */
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../proto/batch.h"

void t_init_batch_limits_tests(void);

/* 2 KB on the wire, 64 MB of nils after zstd: decoding must refuse it
 * before msgpack-c spends 24 bytes on each nil (1.5 GB). */
static void t_nil_bomb(void)
{
	size_t raw = BATCH_MAX_RAW, n = raw - 7;
	uint8_t *p = malloc(raw);
	struct gm_buf out;
	struct batch *b = (struct batch *)1;
	struct batch_env env = { .origin = 1, .bseq = 1, .scope = "4401", .scopelen = 4,
				 .tmax = 1 };
	CU_ASSERT_FATAL(p != NULL);
	/* [0, [nil x n]] */
	memcpy(p, "\x92\x00\xdd", 3);
	for (int k = 0; k < 4; k++)
		p[3 + k] = (uint8_t)(n >> (24 - 8 * k));
	memset(p + 7, 0xc0, n);
	gm_buf_init(&out);
	CU_ASSERT_FATAL(batch_env_encode(&env, p, raw, &out) == GM_OK);
	batch_env_finish(&out, NULL);
	CU_ASSERT(out.len < 4096);
	CU_ASSERT_EQUAL(batch_decode(out.p, out.len, &b), GM_E_TOOBIG);
	CU_ASSERT(b == NULL);
	gm_buf_free(&out);
	free(p);
}

void t_init_batch_limits_tests(void)
{
	static const struct t_case cases[] = {
		{ "64 MB of nils in 2 KB refused", t_nil_bomb },
		{ NULL, NULL },
	};
	t_add_suite("batch limits", cases);
}
