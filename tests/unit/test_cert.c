/* test_cert.c - decoding certificates and enrolment messages (proto/cert.h). */
#include <string.h>
#include "test_util.h"
#include "../../proto/cert.h"

void t_init_cert_tests(void);

/* A certificate; not_after as an int32 when wide (msgpack allows it). */
static void cert_bytes_as(const char *code, size_t codelen, bool wide, struct gm_buf *b)
{
	msgpack_packer pk;
	static const uint8_t key[CERT_PK_BYTES], sig[CERT_SIG_BYTES];
	gm_buf_reset(b);
	gm_buf_packer(b, &pk);
	msgpack_pack_array(&pk, 8);
	msgpack_pack_uint8(&pk, CERT_VERSION);
	gm_pack_str(&pk, code, codelen);
	msgpack_pack_uint8(&pk, 2);
	msgpack_pack_bin(&pk, sizeof(key));
	msgpack_pack_bin_body(&pk, key, sizeof(key));
	msgpack_pack_uint64(&pk, 1767225600);
	if (wide) {
		static const uint8_t i32[] = { 0xd2, 0x6b, 0x36, 0xec, 0x80 };
		gm_buf_append(b, i32, sizeof(i32));
	} else {
		msgpack_pack_uint64(&pk, 1798761600);
	}
	gm_pack_cstr(&pk, "4401");
	msgpack_pack_bin(&pk, sizeof(sig));
	msgpack_pack_bin_body(&pk, sig, sizeof(sig));
}

static void cert_bytes(const char *code, size_t codelen, struct gm_buf *b)
{
	cert_bytes_as(code, codelen, false, b);
}

/* tests/fuzz/cert_decode/crash-nul-in-code: "440\1\0006" read as "440\1" */
static void t_nul_in_code(void)
{
	struct gm_buf b;
	struct cert c;
	gm_buf_init(&b);
	cert_bytes("440106", 6, &b);
	CU_ASSERT_EQUAL(cert_decode(b.p, b.len, &c), GM_OK);
	CU_ASSERT_STRING_EQUAL(c.code, "440106");
	cert_bytes("4401\0" "06", 7, &b);
	CU_ASSERT_EQUAL(cert_decode(b.p, b.len, &c), GM_E_MALFORMED);
	gm_buf_free(&b);
}

/* tests/fuzz/cert_decode/crash-not-canonical: 1798761600 as an int32 */
static void t_not_canonical(void)
{
	struct gm_buf b, tbs;
	struct cert c;
	gm_buf_init(&b);
	gm_buf_init(&tbs);
	cert_bytes_as("440106", 6, false, &b);
	CU_ASSERT_EQUAL_FATAL(cert_decode(b.p, b.len, &c), GM_OK);
	CU_ASSERT_EQUAL(c.not_after, 1798761600);
	/* what a verifier re-encodes is what was signed */
	CU_ASSERT_EQUAL_FATAL(cert_encode_tbs(&c, &tbs), GM_OK);
	CU_ASSERT(tbs.len == c.signed_len && !memcmp(tbs.p, b.p, tbs.len));
	cert_bytes_as("440106", 6, true, &b);
	CU_ASSERT_EQUAL(cert_decode(b.p, b.len, &c), GM_E_MALFORMED);
	gm_buf_free(&tbs);
	gm_buf_free(&b);
}

void t_init_cert_tests(void)
{
	static const struct t_case cases[] = {
		{ "a code with a NUL inside is refused", t_nul_in_code },
		{ "only the canonical encoding decodes", t_not_canonical },
		{ NULL, NULL },
	};
	t_add_suite("cert", cases);
}
