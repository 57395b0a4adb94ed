/*
 * enrol_decode.c - fuzzes what enrolment reads from a stick or a node
 * directory: certificates (node.cert, parent.cert), requests, packages
 * (five elements, or six with the replaced key) and the chain file.  The
 * first byte picks the decoder; whatever decodes must point inside the
 * input (ASan checks the bytes are read within it).
 */
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "../../proto/cert.h"

static volatile uint8_t sink;
static const uint8_t *in;
static size_t inlen;

static void inside(const uint8_t *p, size_t len)
{
	uint8_t x = 0;
	if (p < in || len > inlen || p + len > in + inlen)
		fuzz_fail("decoded bytes outside the input");
	for (size_t i = 0; i < len; i++)
		x ^= p[i];
	sink = x;
}

static void chain_inside(const struct enrol_pkg *k)
{
	if (k->nchain > CERT_MAX_CHAIN)
		fuzz_fail("chain of %u certificates", k->nchain);
	for (unsigned i = 0; i < k->nchain; i++)
		inside(k->chain[i], k->chainlen[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert c;
	struct enrol_req r;
	struct enrol_pkg k;
	if (!size)
		return 0;
	in = data + 1;
	inlen = size - 1;
	switch (data[0] % 4) {
	case 0:
		if (cert_decode(in, inlen, &c) == GM_OK && c.signed_len > inlen)
			fuzz_fail("certificate signs past its end");
		break;
	case 1:
		if (enrol_req_decode(in, inlen, &r) == GM_OK && r.signed_len > inlen)
			fuzz_fail("request signs past its end");
		break;
	case 2:
		if (enrol_pkg_decode(in, inlen, &k) != GM_OK)
			break;
		inside(k.cert, k.certlen);
		chain_inside(&k);
		if (k.street_key)
			inside(k.street_key, k.street_keylen);
		if (k.replaces)
			inside(k.replaces, CERT_PK_BYTES);
		enrol_pkg_free(&k);
		break;
	default:
		if (cert_chain_decode(in, inlen, &k) != GM_OK)
			break;
		chain_inside(&k);
		enrol_pkg_free(&k);
	}
	return 0;
}
