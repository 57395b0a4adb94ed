/*
 * store_apply.c - fuzzes store_apply on a real store (the template, see
 * fuzz.h): decode, envelope checks, merge into records that exist and
 * records that do not, history and the batch log.  Whatever applies must
 * apply once: the same bytes again are a replay and change nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../node/exchange.h"

static void fail(const char *what, struct store *st)
{
	fprintf(stderr, "store_apply: %s (%s)\n", what, store_errmsg(st));
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = fuzz_store_fresh();
	struct apply_result res;
	uint8_t d1[32], d2[32];
	uint64_t n1, n2;

	if (store_apply(st, data, size, LINK_CHILD0, &res) != GM_OK)
		goto out_done;
	if (store_digest(st, NULL, d1, &n1))
		fail("digest after apply", st);
	if (store_apply(st, data, size, LINK_CHILD0, &res) != GM_E_REPLAY)
		fail("the same batch applied twice", st);
	if (store_digest(st, NULL, d2, &n2))
		fail("digest after replay", st);
	if (n1 != n2 || memcmp(d1, d2, sizeof(d1)))
		fail("a replay changed the records", st);
	/* what was stored goes out again: to the grid below, and sealed */
	struct batch_filter bf = { .dir = BF_DOWN, .child = FUZZ_GRID, .exclude_link = -1 };
	struct exchange_out out;
	struct gm_buf b;
	gm_buf_init(&b);
	if (exchange_collect(st, 0, &bf, FUZZ_GRID, 0, &b, &out))
		fail("collect after apply", st);
	gm_buf_free(&b);
	if (store_seal(st, 0, NULL))
		fail("seal after apply", st);
out_done:
	fuzz_store_done(st);
	return 0;
}
