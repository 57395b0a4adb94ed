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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = fuzz_store_fresh();
	struct apply_result res;
	uint8_t d1[32], d2[32];
	uint64_t n1, n2;

	if (store_apply(st, data, size, LINK_CHILD0, &res) != GM_OK)
		goto out_done;
	if (store_digest(st, NULL, d1, &n1))
		fuzz_fail("digest after apply: %s", store_errmsg(st));
	if (store_apply(st, data, size, LINK_CHILD0, &res) != GM_E_REPLAY)
		fuzz_fail("the same batch applied twice: %s", store_errmsg(st));
	if (store_digest(st, NULL, d2, &n2))
		fuzz_fail("digest after replay: %s", store_errmsg(st));
	if (n1 != n2 || memcmp(d1, d2, sizeof(d1)))
		fuzz_fail("a replay changed the records: %s", store_errmsg(st));
	/* what was stored goes out again: to the grid below, and sealed */
	struct batch_filter bf = { .dir = BF_DOWN, .child = FUZZ_GRID, .exclude_link = -1 };
	struct exchange_out out;
	struct gm_buf b;
	gm_buf_init(&b);
	if (exchange_collect(st, 0, &bf, FUZZ_GRID, 0, &b, &out))
		fuzz_fail("collect after apply: %s", store_errmsg(st));
	gm_buf_free(&b);
	if (store_seal(st, 0, NULL))
		fuzz_fail("seal after apply: %s", store_errmsg(st));
out_done:
	fuzz_store_done(st);
	return 0;
}
