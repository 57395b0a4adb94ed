/*
 * exchange_apply.c - fuzzes exchange_apply (an import file or a sync
 * body) on a real store (the template, see fuzz.h).  Whatever it takes in,
 * the store's own export of everything must then come back as duplicates
 * only: stored batches stay decodable and applied exactly once.
 */
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "../../node/exchange.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st = fuzz_store_fresh();
	struct exchange_in in;
	struct exchange_out out;
	struct gm_buf b;

	if (exchange_apply(st, data, size, LINK_CHILD0, FUZZ_MAX_BUNDLE, &in) != GM_OK)
		goto out_done;
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	gm_buf_init(&b);
	if (exchange_collect(st, 0, &bf, NULL, 0, &b, &out))
		fuzz_fail("export after import: %s", store_errmsg(st));
	if (exchange_apply(st, b.p, b.len, LINK_CHILD0, FUZZ_MAX_BUNDLE, &in) != GM_OK)
		fuzz_fail("own export does not decode: %s", store_errmsg(st));
	if (in.batches || in.refused || in.dup != out.batches) {
		fuzz_fail("own export: %u applied, %u refused, %u dup of %u: %s", in.batches,
			  in.refused, in.dup, out.batches, in.why);
	}
	gm_buf_free(&b);
out_done:
	fuzz_store_done(st);
	return 0;
}
