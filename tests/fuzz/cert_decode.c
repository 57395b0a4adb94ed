/*
 * cert_decode.c - fuzzes the enrolment decoders of proto/cert.h (bytes a
 * parent or child hands over, files in a node directory, certificates
 * replicated as records): every input goes to cert_decode,
 * enrol_req_decode, enrol_pkg_decode (five elements, or six with the
 * replaced key; and cert_decode on the package's
 * certificate and chain, as identity_install does) and cert_chain_decode.
 *
 * Whatever decodes must encode again to the same values.  Certificates and
 * requests must moreover be their own encoding, byte for byte: signatures
 * are checked over re-encoded certificates, so one that changed in a round
 * trip would be a certificate that can never verify.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../proto/cert.h"

static bool same_cert(const struct cert *a, const struct cert *b)
{
	return !memcmp(a->code, b->code, sizeof(a->code)) && a->level == b->level &&
	       !memcmp(a->pk, b->pk, sizeof(a->pk)) && a->not_before == b->not_before &&
	       a->not_after == b->not_after && !memcmp(a->issuer, b->issuer, sizeof(a->issuer)) &&
	       !memcmp(a->sig, b->sig, sizeof(a->sig));
}

/* encode(c) decodes to c; the signed part is everything before the sig. */
static void cert_round_trip(const uint8_t *p, size_t len, const struct cert *c)
{
	struct gm_buf b;
	struct cert c2;
	gm_buf_init(&b);
	if (cert_encode_tbs(c, &b) != GM_OK)
		fuzz_fail("a decoded certificate does not encode");
	size_t tbs = b.len;
	cert_finish(&b, c->sig);
	if (cert_decode(b.p, b.len, &c2) != GM_OK)
		fuzz_fail("a re-encoded certificate does not decode");
	if (!same_cert(c, &c2) || c2.signed_len != tbs)
		fuzz_fail("certificate differs after a round trip");
	/* what the issuer signed is what a verifier re-encodes */
	if (b.len != len || memcmp(b.p, p, len) || c->signed_len != tbs)
		fuzz_fail("a certificate decodes that is not its own encoding");
	gm_buf_free(&b);
}

static void req_round_trip(const uint8_t *p, size_t len, const struct enrol_req *r)
{
	struct gm_buf b;
	struct enrol_req r2;
	gm_buf_init(&b);
	if (enrol_req_encode_tbs(r, &b) != GM_OK)
		fuzz_fail("a decoded request does not encode");
	size_t tbs = b.len;
	cert_finish(&b, r->sig);
	if (enrol_req_decode(b.p, b.len, &r2) != GM_OK)
		fuzz_fail("a re-encoded request does not decode");
	if (memcmp(r->code, r2.code, sizeof(r->code)) || r->level != r2.level ||
	    memcmp(r->pk, r2.pk, sizeof(r->pk)) || memcmp(r->sig, r2.sig, sizeof(r->sig)) ||
	    r2.signed_len != tbs)
		fuzz_fail("request differs after a round trip");
	if (b.len != len || memcmp(b.p, p, len) || r->signed_len != tbs)
		fuzz_fail("a request decodes that is not its own encoding");
	gm_buf_free(&b);
}

/* Equal bytes; an empty bin may come with no pointer at all. */
static bool same_bytes(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && (!al || !memcmp(a, b, al));
}

static bool same_pkg(const struct enrol_pkg *a, const struct enrol_pkg *b)
{
	if (!same_bytes(a->cert, a->certlen, b->cert, b->certlen) || a->nchain != b->nchain ||
	    memcmp(a->root_pk, b->root_pk, CERT_PK_BYTES) || !a->street_key != !b->street_key ||
	    !same_bytes(a->street_key, a->street_keylen, b->street_key, b->street_keylen) ||
	    !a->replaces != !b->replaces ||
	    (a->replaces && memcmp(a->replaces, b->replaces, CERT_PK_BYTES)))
		return false;
	for (unsigned i = 0; i < a->nchain; i++)
		if (!same_bytes(a->chain[i], a->chainlen[i], b->chain[i], b->chainlen[i]))
			return false;
	return true;
}

static void pkg(const uint8_t *data, size_t size)
{
	struct enrol_pkg k, k2;
	struct cert c;
	struct gm_buf b;
	if (enrol_pkg_decode(data, size, &k) != GM_OK)
		return;
	/* what identity_install reads out of it */
	if (cert_decode(k.cert, k.certlen, &c) == GM_OK)
		cert_round_trip(k.cert, k.certlen, &c);
	for (unsigned i = 0; i < k.nchain; i++)
		if (cert_decode(k.chain[i], k.chainlen[i], &c) == GM_OK)
			cert_round_trip(k.chain[i], k.chainlen[i], &c);
	gm_buf_init(&b);
	if (enrol_pkg_encode(&k, &b) != GM_OK)
		fuzz_fail("a decoded package does not encode");
	if (enrol_pkg_decode(b.p, b.len, &k2) != GM_OK)
		fuzz_fail("a re-encoded package does not decode");
	if (!same_pkg(&k, &k2))
		fuzz_fail("package differs after a round trip");
	enrol_pkg_free(&k2);
	/* the chain file identity_install writes from it */
	if (cert_chain_encode(k.chain, k.chainlen, k.nchain, &b) != GM_OK ||
	    cert_chain_decode(b.p, b.len, &k2) != GM_OK)
		fuzz_fail("a package's chain does not make a chain file");
	k2.certlen = k.certlen;
	k2.cert = k.cert;
	memcpy(k2.root_pk, k.root_pk, CERT_PK_BYTES);
	k2.street_key = k.street_key;
	k2.street_keylen = k.street_keylen;
	k2.replaces = k.replaces;
	if (!same_pkg(&k, &k2))
		fuzz_fail("chain differs after a round trip");
	enrol_pkg_free(&k2);
	gm_buf_free(&b);
	enrol_pkg_free(&k);
}

static void chain(const uint8_t *data, size_t size)
{
	struct enrol_pkg k, k2;
	struct gm_buf b;
	if (cert_chain_decode(data, size, &k) != GM_OK)
		return;
	gm_buf_init(&b);
	if (cert_chain_encode(k.chain, k.chainlen, k.nchain, &b) != GM_OK ||
	    cert_chain_decode(b.p, b.len, &k2) != GM_OK)
		fuzz_fail("a decoded chain does not encode and decode again");
	if (!same_pkg(&k, &k2))
		fuzz_fail("chain differs after a round trip");
	enrol_pkg_free(&k2);
	gm_buf_free(&b);
	enrol_pkg_free(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert c;
	struct enrol_req r;
	if (cert_decode(data, size, &c) == GM_OK)
		cert_round_trip(data, size, &c);
	if (enrol_req_decode(data, size, &r) == GM_OK)
		req_round_trip(data, size, &r);
	pkg(data, size);
	chain(data, size);
	return 0;
}
