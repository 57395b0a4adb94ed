/* test_batch_limits.c - batches that would cost far more to decode than they weigh. */
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../proto/batch.h"

void t_init_batch_limits_tests(void);

/*
 * A few KB on the wire, `raw` bytes of nils after zstd, the envelope
 * declaring `declared` changes: decoding must refuse it before msgpack-c
 * spends 24 bytes on each nil (1.5 GB for 64 MB).
 */
static void nil_bomb(uint32_t declared, size_t raw)
{
	size_t n = raw - 7;
	uint8_t *p = malloc(raw);
	struct gm_buf out;
	struct batch *b = (struct batch *)1;
	struct batch_env env = { .origin = 1, .bseq = 1, .scope = "4401", .scopelen = 4,
				 .tmax = 1, .nchanges = declared };
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

static void t_nil_bomb(void)
{
	nil_bomb(0, BATCH_MAX_RAW);
}

/* The objects allowed for the most changes an envelope may declare are
 * still far fewer than 16 million nils (380 MB unpacked): the limit on
 * changes bounds the memory. */
static void t_nil_bomb_declared(void)
{
	nil_bomb(BATCH_MAX_CHANGES, 16u << 20);
}

void t_init_batch_limits_tests(void)
{
	static const struct t_case cases[] = {
		{ "64 MB of nils in 2 KB refused", t_nil_bomb },
		{ "nils refused at the most changes declared", t_nil_bomb_declared },
		{ NULL, NULL },
	};
	t_add_suite("batch limits", cases);
}
