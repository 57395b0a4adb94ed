/*
 * bundle_decode.c - fuzzes bundle_decode (an export file or a sync body),
 * and checks that what decodes encodes back to an equal bundle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../proto/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle *b, *b2;
	struct gm_buf out;

	if (bundle_decode(data, size, size, &b) != GM_OK)
		return 0;
	for (uint32_t i = 0; i < b->n; i++)
		if (b->body[i] < data || b->body[i] + b->len[i] > data + size)
			fuzz_fail("a body points outside the input");
	gm_buf_init(&out);
	if (bundle_encode(&out, b->from, b->after, b->upto, b->n, b->body, b->len) != GM_OK)
		fuzz_fail("a decoded bundle does not encode");
	if (bundle_decode(out.p, out.len, out.len, &b2) != GM_OK)
		fuzz_fail("a re-encoded bundle does not decode");
	if (strcmp(b->from, b2->from) || b->after != b2->after || b->upto != b2->upto ||
	    b->n != b2->n)
		fuzz_fail("bundle differs after a round trip");
	for (uint32_t i = 0; i < b->n; i++)
		if (b->len[i] != b2->len[i] || memcmp(b->body[i], b2->body[i], b->len[i]))
			fuzz_fail("body differs after a round trip");
	bundle_free(b2);
	gm_buf_free(&out);
	bundle_free(b);
	return 0;
}
