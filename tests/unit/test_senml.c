/* test_senml.c - SenML parsing and resolution (RFC 8428 examples), JSON and CBOR. */
#include <math.h>
#include <string.h>
#include "test_util.h"
#include "../../node/senml.h"

void t_init_senml_tests(void);

#define NOW 1700000000.0

static enum gm_err parse(const char *json, struct senml_pack *p, char *why)
{
	return senml_parse((const uint8_t *)json, strlen(json), SENML_CT_JSON, NOW, p, why, 160);
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-6;
}

/* RFC 8428 section 5.1.1: one datapoint, no base fields, no time: now. */
static void test_single(void)
{
	struct senml_pack p;
	char why[160];
	CU_ASSERT_FATAL(parse("[{\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"Cel\",\"v\":23.1}]",
			      &p, why) == GM_OK);
	CU_ASSERT_EQUAL(p.n, 1);
	CU_ASSERT_STRING_EQUAL(p.rec[0].name, "urn:dev:ow:10e2073a01080063");
	CU_ASSERT_STRING_EQUAL(p.rec[0].unit, "Cel");
	CU_ASSERT_EQUAL(p.rec[0].kind, SENML_NUM);
	CU_ASSERT(near(p.rec[0].v, 23.1));
	CU_ASSERT(near(p.rec[0].t, NOW));
	senml_pack_free(&p);
}

/* RFC 8428 section 5.1.2: base name prepended to each name. */
static void test_base_name(void)
{
	struct senml_pack p;
	char why[160];
	CU_ASSERT_FATAL(parse("[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"n\":\"voltage\",\"u\":\"V\","
			      "\"v\":120.1},{\"n\":\"current\",\"u\":\"A\",\"v\":1.2}]", &p, why) ==
			GM_OK);
	CU_ASSERT_EQUAL(p.n, 2);
	CU_ASSERT_STRING_EQUAL(p.rec[0].name, "urn:dev:ow:10e2073a01080063:voltage");
	CU_ASSERT_STRING_EQUAL(p.rec[1].name, "urn:dev:ow:10e2073a01080063:current");
	CU_ASSERT_STRING_EQUAL(p.rec[1].unit, "A");
	CU_ASSERT_STRING_EQUAL(senml_quantity(p.rec[1].name), "current");
	senml_pack_free(&p);
}

/* RFC 8428 section 5.1.3: base time plus relative times, base unit, bver. */
static void test_base_time(void)
{
	struct senml_pack p;
	char why[160];
	const char *pack =
		"[{\"bn\":\"urn:dev:ow:10e2073a0108006:\",\"bt\":1.276020076001e+09,"
		"\"bu\":\"A\",\"bver\":5,\"n\":\"voltage\",\"u\":\"V\",\"v\":120.1},"
		"{\"n\":\"current\",\"t\":-5,\"v\":1.2},{\"n\":\"current\",\"t\":-4,\"v\":1.3},"
		"{\"n\":\"current\",\"t\":-3,\"v\":1.4},{\"n\":\"current\",\"t\":-2,\"v\":1.5},"
		"{\"n\":\"current\",\"t\":-1,\"v\":1.6},{\"n\":\"current\",\"v\":1.7}]";
	CU_ASSERT_FATAL(parse(pack, &p, why) == GM_OK);
	CU_ASSERT_EQUAL_FATAL(p.n, 7);
	CU_ASSERT_STRING_EQUAL(p.rec[0].unit, "V");
	CU_ASSERT(near(p.rec[0].t, 1276020076.001));
	CU_ASSERT_STRING_EQUAL(p.rec[1].unit, "A");
	CU_ASSERT(near(p.rec[1].t, 1276020071.001));
	CU_ASSERT(near(p.rec[5].t, 1276020075.001));
	CU_ASSERT(near(p.rec[6].t, 1276020076.001));
	CU_ASSERT(near(p.rec[6].v, 1.7));
	senml_pack_free(&p);
}

/* Times under 2^28 are relative to now; base value and base sum add up. */
static void test_relative_and_base_values(void)
{
	struct senml_pack p;
	char why[160];
	CU_ASSERT_FATAL(parse("[{\"n\":\"a\",\"v\":1,\"t\":-10},{\"n\":\"b\",\"v\":1,\"t\":1.5e9}]",
			      &p, why) == GM_OK);
	CU_ASSERT(near(p.rec[0].t, NOW - 10));
	CU_ASSERT(near(p.rec[1].t, 1.5e9));
	senml_pack_free(&p);

	CU_ASSERT_FATAL(parse("[{\"bn\":\"d:\",\"bv\":100,\"bs\":5,\"n\":\"a\",\"v\":5},"
			      "{\"n\":\"b\",\"v\":-1,\"s\":10},{\"n\":\"c\",\"vs\":\"on\"},"
			      "{\"n\":\"d\",\"vb\":false},{\"n\":\"e\",\"vd\":\"aGk\"},"
			      "{\"n\":\"f\",\"s\":1}]", &p, why) == GM_OK);
	CU_ASSERT_EQUAL_FATAL(p.n, 6);
	CU_ASSERT(near(p.rec[0].v, 105));
	CU_ASSERT(near(p.rec[1].v, 99));
	CU_ASSERT(p.rec[1].has_sum && near(p.rec[1].sum, 15));
	CU_ASSERT_EQUAL(p.rec[2].kind, SENML_STR);
	CU_ASSERT_STRING_EQUAL(p.rec[2].vs, "on");
	CU_ASSERT_EQUAL(p.rec[3].kind, SENML_BOOL);
	CU_ASSERT(!p.rec[3].vb && p.rec[3].v == 0);
	CU_ASSERT_EQUAL(p.rec[4].kind, SENML_DATA);
	CU_ASSERT_EQUAL(p.rec[5].kind, SENML_NONE);
	CU_ASSERT(p.rec[5].has_sum);
	senml_pack_free(&p);

	/* unknown fields are ignored unless they end in "_" */
	CU_ASSERT_FATAL(parse("[{\"n\":\"a\",\"v\":1,\"rssi\":{\"x\":[1]}}]", &p, why) == GM_OK);
	senml_pack_free(&p);
}

static void expect_bad(const char *json, enum gm_err e, const char *in_why)
{
	struct senml_pack p;
	char why[160];
	enum gm_err got = parse(json, &p, why);
	CU_ASSERT_EQUAL(got, e);
	if (got != e || !strstr(why, in_why))
		fprintf(stderr, "\n%s -> %d '%s' (wanted %d, '%s')\n", json, got, why, e, in_why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, in_why));
}

static void test_refused(void)
{
	expect_bad("[{\"n\":\"a\",\"v\":1}", GM_E_MALFORMED, "not JSON");
	expect_bad("{\"n\":\"a\",\"v\":1}", GM_E_MALFORMED, "array");
	expect_bad("[]", GM_E_MALFORMED, "non-empty");
	expect_bad("[5]", GM_E_MALFORMED, "record 1 is not a JSON object");
	expect_bad("[{\"v\":1}]", GM_E_MALFORMED, "no name");
	expect_bad("[{\"n\":\"a b\",\"v\":1}]", GM_E_MALFORMED, "character");
	expect_bad("[{\"n\":\"-a\",\"v\":1}]", GM_E_MALFORMED, "character");
	expect_bad("[{\"n\":\"a\"}]", GM_E_MALFORMED, "no value");
	expect_bad("[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":1,\"vs\":\"x\"}]", GM_E_MALFORMED,
		   "record 2 (b): more than one value");
	expect_bad("[{\"n\":\"a\",\"v\":\"12\"}]", GM_E_MALFORMED, "\"v\" must be a number");
	expect_bad("[{\"n\":\"a\",\"vb\":1}]", GM_E_MALFORMED, "true or false");
	expect_bad("[{\"n\":\"a\",\"v\":1,\"v\":2}]", GM_E_MALFORMED, "not JSON");
	expect_bad("[{\"bver\":11,\"n\":\"a\",\"v\":1}]", GM_E_MALFORMED, "versions 1 to 10");
	expect_bad("[{\"n\":\"a\",\"v\":1,\"crit_\":1}]", GM_E_MALFORMED, "must be understood");
	expect_bad("[{\"n\":\"a\",\"v\":1e300}]", GM_E_MALFORMED, "plausible");
	expect_bad("[{\"n\":\"a\",\"v\":1,\"t\":-2e9}]", GM_E_MALFORMED, "before 1970");
	expect_bad("[{\"n\":\"a\",\"vs\":\"x\\u0001\"}]", GM_E_MALFORMED, "UTF-8");
	/* reasons that quote the device's bytes stay one printable line
	 * (tests/fuzz/senml/crash-ctrl-in-reason) */
	expect_bad("[{\"n\":\"a\",\"v\":1,\"x\\u001b[2J\\n_\":1}]", GM_E_MALFORMED,
		   "field \"x?[2J _\" must be understood");

	/* limits */
	char big[16384];
	size_t n = 0;
	n += (size_t)snprintf(big + n, sizeof(big) - n, "[");
	for (int i = 0; i <= SENML_MAX_RECORDS; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s{\"n\":\"a\",\"v\":%d}",
				      i ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "]");
	expect_bad(big, GM_E_TOOBIG, "more than 256 records");
	n = (size_t)snprintf(big, sizeof(big), "[{\"n\":\"a\",\"vs\":\"");
	memset(big + n, 'x', SENML_TEXT_MAX + 1);
	snprintf(big + n + SENML_TEXT_MAX + 1, 16, "\"}]");
	expect_bad(big, GM_E_TOOBIG, "longer than");

	struct senml_pack p;
	char why[160];
	CU_ASSERT_EQUAL(senml_parse((const uint8_t *)"x", 1, 0, NOW, &p, why, sizeof(why)),
			GM_E_INVAL);
}

/* RFC 8428 section 6: the example of 5.1.2 in CBOR, byte for byte. */
static const uint8_t rfc_cbor[] = {
	0x82, 0xa4, 0x21, 0x78, 0x1c, 0x75, 0x72, 0x6e, 0x3a, 0x64, 0x65, 0x76, 0x3a, 0x6f,
	0x77, 0x3a, 0x31, 0x30, 0x65, 0x32, 0x30, 0x37, 0x33, 0x61, 0x30, 0x31, 0x30, 0x38,
	0x30, 0x30, 0x36, 0x33, 0x3a, 0x00, 0x67, 0x76, 0x6f, 0x6c, 0x74, 0x61, 0x67, 0x65,
	0x01, 0x61, 0x56, 0x02, 0xfb, 0x40, 0x5e, 0x06, 0x66, 0x66, 0x66, 0x66, 0x66, 0xa3,
	0x00, 0x67, 0x63, 0x75, 0x72, 0x72, 0x65, 0x6e, 0x74, 0x01, 0x61, 0x41, 0x02, 0xfb,
	0x3f, 0xf3, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
};

static enum gm_err cparse(const uint8_t *b, size_t len, struct senml_pack *p, char *why)
{
	return senml_parse(b, len, SENML_CT_CBOR, NOW, p, why, 160);
}

static void test_cbor(void)
{
	struct senml_pack p;
	char why[160];
	CU_ASSERT_FATAL(cparse(rfc_cbor, sizeof(rfc_cbor), &p, why) == GM_OK);
	CU_ASSERT_EQUAL_FATAL(p.n, 2);
	CU_ASSERT_STRING_EQUAL(p.rec[0].name, "urn:dev:ow:10e2073a01080063:voltage");
	CU_ASSERT_STRING_EQUAL(p.rec[0].unit, "V");
	CU_ASSERT(near(p.rec[0].v, 120.1));
	CU_ASSERT_STRING_EQUAL(p.rec[1].name, "urn:dev:ow:10e2073a01080063:current");
	CU_ASSERT(near(p.rec[1].v, 1.2));
	CU_ASSERT(near(p.rec[1].t, NOW));
	senml_pack_free(&p);

	/* indefinite array and map, text labels, a negative time, a bool, a half float */
	static const uint8_t indef[] = {
		0x9f, 0xbf, 0x61, 'n', 0x61, 'x', 0x06, 0x24, 0x04, 0xf5, 0xff,
		0xa2, 0x00, 0x61, 'y', 0x02, 0xf9, 0x3e, 0x00, 0xff,
	};
	CU_ASSERT_FATAL(cparse(indef, sizeof(indef), &p, why) == GM_OK);
	CU_ASSERT_EQUAL_FATAL(p.n, 2);
	CU_ASSERT_EQUAL(p.rec[0].kind, SENML_BOOL);
	CU_ASSERT(near(p.rec[0].t, NOW - 5));
	CU_ASSERT(near(p.rec[1].v, 1.5));
	senml_pack_free(&p);

	/* truncated, trailing bytes, a tag, a nested value, not an array */
	CU_ASSERT_EQUAL(cparse(rfc_cbor, sizeof(rfc_cbor) - 3, &p, why), GM_E_MALFORMED);
	uint8_t longer[sizeof(rfc_cbor) + 1];
	memcpy(longer, rfc_cbor, sizeof(rfc_cbor));
	longer[sizeof(rfc_cbor)] = 0x00;
	CU_ASSERT_EQUAL(cparse(longer, sizeof(longer), &p, why), GM_E_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "trailing"));
	static const uint8_t tagged[] = { 0x81, 0xa2, 0x00, 0x61, 'a', 0x02, 0xc1, 0x01 };
	CU_ASSERT_EQUAL(cparse(tagged, sizeof(tagged), &p, why), GM_E_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "tags"));
	static const uint8_t nested[] = { 0x81, 0xa2, 0x00, 0x61, 'a', 0x02, 0x81, 0x01 };
	CU_ASSERT_EQUAL(cparse(nested, sizeof(nested), &p, why), GM_E_MALFORMED);
	static const uint8_t notarr[] = { 0xa1, 0x00, 0x61, 'a' };
	CU_ASSERT_EQUAL(cparse(notarr, sizeof(notarr), &p, why), GM_E_MALFORMED);
	static const uint8_t novalue[] = { 0x81, 0xa1, 0x00, 0x61, 'a' };
	CU_ASSERT_EQUAL(cparse(novalue, sizeof(novalue), &p, why), GM_E_MALFORMED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "no value"));
	static const uint8_t huge[] = { 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	CU_ASSERT_EQUAL(cparse(huge, sizeof(huge), &p, why), GM_E_TOOBIG);
	CU_ASSERT_EQUAL(cparse((const uint8_t *)"", 0, &p, why), GM_E_MALFORMED);
}

static void test_quantity(void)
{
	CU_ASSERT_STRING_EQUAL(senml_quantity("urn:dev:mac:0024befffe804ff1:level"), "level");
	CU_ASSERT_STRING_EQUAL(senml_quantity("bin/3/fill"), "fill");
	CU_ASSERT_STRING_EQUAL(senml_quantity("lamp"), "lamp");
}

void t_init_senml_tests(void)
{
	static const struct t_case tests[] = {
		{ "single datapoint (RFC 8428 5.1.1)", test_single },
		{ "base name (5.1.2)", test_base_name },
		{ "base time and relative times (5.1.3)", test_base_time },
		{ "relative times, base value and sum, kinds", test_relative_and_base_values },
		{ "malformed packs refused with a reason", test_refused },
		{ "CBOR (RFC 8428 section 6) and its refusals", test_cbor },
		{ "quantity of a resolved name", test_quantity },
		{ NULL, NULL },
	};
	t_add_suite("senml", tests);
}
