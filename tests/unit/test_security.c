/*
 * test_security.c - the bad-input table of the security issue: forged,
 * tampered, replayed, out-of-scope, expired, revoked, malformed batches
 * against an enrolled street.  Each is refused with its reason, counted,
 * and changes no record (the store's digest is the same after).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "test_tree.h"
#include "../../node/exchange.h"
#include "../../node/identity.h"
#include "../../node/store_int.h"
#include "../../proto/batch.h"
#include "../../proto/bundle.h"
#include "../../proto/cert.h"
#include "../../sync/hlc.h"

void t_init_security_tests(void);

static struct t_node city, district, street, g1, g2;

/* The first test builds the enrolled tree the others run against. */
static void t_enrolment(void)
{
	t_node_make(&city, LEVEL_CITY, "4401");
	t_node_make(&district, LEVEL_DISTRICT, "440106");
	t_node_make(&street, LEVEL_STREET, "440106012");
	t_node_make(&g1, LEVEL_GRID, "440106012001001");
	t_node_make(&g2, LEVEL_GRID, "440106012001002");
	t_node_enrol_self(&city);
	CU_ASSERT_FALSE(t_node_enrol(&city, &district));
	CU_ASSERT_FALSE(t_node_enrol(&district, &street));
	CU_ASSERT_FALSE(t_node_enrol(&street, &g1));
	CU_ASSERT_FALSE(t_node_enrol(&street, &g2));
	CU_ASSERT(identity_enrolled(g1.id));
	CU_ASSERT_PTR_NOT_NULL(identity_street_key(g1.id));
	CU_ASSERT_PTR_NULL(identity_street_key(district.id));
	/* certificates flow as signed records: down from the city, checked */
	CU_ASSERT(t_carry(&city, &district));
	CU_ASSERT(t_carry(&district, &street));
	/* and the grids' certificates up from the street to the district */
	CU_ASSERT(t_carry(&street, &district));
	uint8_t pk[32];
	char why[256];
	CU_ASSERT_EQUAL(identity_trusted_pk(district.id, district.st, "440106012001001", pk, why,
					    sizeof(why)), GM_OK);
	CU_ASSERT_EQUAL(memcmp(pk, identity_pk(g1.id), 32), 0);
}

static int teardown(void)
{
	struct t_node *all[] = { &city, &district, &street, &g1, &g2 };
	for (size_t i = 0; i < 5; i++)
		t_node_free(all[i]);
	return 0;
}

/* ------------------------------------------------------- crafting batches */

/* A ticket change from G1 to its own ticket, signed by G1: a valid batch. */
static struct t_craft good(void)
{
	struct t_craft c = { .origin = "440106012001001", .scope = "440106012001001",
			   .cls = CLS_SHARED, .table = "ticket", .key = "440106012001001-000777",
			   .field = "title", .val = gm_text("a valid title"), .sk = g1.sk };
	return c;
}

static int64_t reject_count(struct store *st)
{
	sqlite3_stmt *s;
	int64_t n = 0;
	sqlite3_prepare_v2(store_db(st), "SELECT sum(count) FROM rejects", -1, &s, NULL);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

/*
 * Applies bytes to `to` as a one-batch bundle: the result must be `want`
 * (GM_OK with a change refused when want_change_refused), with a reason
 * containing `why`, one more counted rejection, and the digest unchanged.
 */
static void expect(struct t_node *to, const uint8_t *p, size_t len, enum gm_err want,
		   const char *why)
{
	struct apply_result res;
	uint8_t before[32], after[32];
	int64_t n0 = reject_count(to->st);
	CU_ASSERT_FATAL(store_digest(to->st, NULL, before, NULL) == GM_OK);
	enum gm_err e = store_apply(to->st, p, len, LINK_IMPORT, &res);
	if (e != want || (why && !strstr(res.why, why)))
		fprintf(stderr, "\n  want %s '%s', got %s '%s'\n", gm_strerror(want), why ? why : "",
			gm_strerror(e), res.why);
	CU_ASSERT_EQUAL(e, want);
	if (why)
		CU_ASSERT_PTR_NOT_NULL(strstr(res.why, why));
	/* what exchange_apply does for a refused batch */
	if (e && e != GM_E_REPLAY)
		store_count_reject(to->st, gm_strerror(e), res.why);
	if (!e && res.rejected)
		store_count_reject(to->st, "change refused", res.why);
	CU_ASSERT(reject_count(to->st) == n0 + 1 || e == GM_E_REPLAY);
	CU_ASSERT_FATAL(store_digest(to->st, NULL, after, NULL) == GM_OK);
	if (!res.applied)
		CU_ASSERT(memcmp(before, after, 32) == 0);
}

static void t_valid_and_replay(void)
{
	struct gm_buf b;
	struct apply_result res;
	struct t_craft c = good();
	gm_buf_init(&b);
	t_craft(&c, &b);
	CU_ASSERT_EQUAL(store_apply(street.st, b.p, b.len, LINK_IMPORT, &res), GM_OK);
	CU_ASSERT_EQUAL(res.applied, 1);
	/* the same bytes again: a replay, refused, nothing changes */
	expect(&street, b.p, b.len, GM_E_REPLAY, "already applied");
	gm_buf_free(&b);
}

static void t_tampered_payload(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.val = gm_text("tampered in transit");
	gm_buf_init(&b);
	t_craft(&c, &b);
	/* flip a byte of the title inside the (raw, short) payload */
	uint8_t *hit = memmem(b.p, b.len, "tampered", 8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hit);
	hit[0] ^= 0x20;
	expect(&street, b.p, b.len, GM_E_AUTH, "bad signature");
	gm_buf_free(&b);
}

static void t_tampered_signature(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.val = gm_text("sig flip");
	gm_buf_init(&b);
	t_craft(&c, &b);
	b.p[b.len - 5] ^= 1;
	expect(&street, b.p, b.len, GM_E_AUTH, "bad signature");
	gm_buf_free(&b);
}

static void t_unsigned(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.sk = NULL;
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_E_AUTH, "unsigned batch");
	gm_buf_free(&b);
}

static void t_unknown_origin(void)
{
	struct gm_buf b;
	uint8_t pk[32], sk[64];
	struct t_craft c = good();
	crypto_sign_keypair(pk, sk);
	c.origin = c.scope = "440106012001009";
	c.key = "440106012001009-000001";
	c.sk = sk;
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_E_AUTH, "unknown origin");
	gm_buf_free(&b);
}

static void t_forged_with_other_key(void)
{
	struct gm_buf b;
	uint8_t pk[32], sk[64];
	struct t_craft c = good();
	crypto_sign_keypair(pk, sk);
	c.sk = sk;               /* claims to be G1, signs with a key of its own */
	c.val = gm_text("forged");
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_E_AUTH, "bad signature");
	gm_buf_free(&b);
}

static void t_out_of_scope(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.scope = "440106012001002";        /* G1 writing G2's records */
	c.key = "440106012001002-000001";
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_E_SCOPE, "may not write");
	gm_buf_free(&b);
}

static void t_grid_writes_city_wide(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.scope = "";
	c.cls = CLS_REF;
	c.table = "cat_event";
	c.key = "0101";
	c.field = "minor_name";
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_E_SCOPE, "may not write");
	gm_buf_free(&b);
}

static void t_future_clock(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.t = hlc_from_ms(hlc_wall_ms() + 3600 * 1000);
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_E_CLOCK, "in the future");
	gm_buf_free(&b);
}

/* A certificate record for `code` written into the street, as its issuer would. */
static void forge_cert(struct t_node *signer, const char *code, int level, uint64_t nb, uint64_t na,
		       const uint8_t pk[32], const char *issuer)
{
	struct cert ce;
	struct gm_buf tbs;
	char pkhex[65], hex[2 * CERT_MAX_BYTES + 1];
	memset(&ce, 0, sizeof(ce));
	snprintf(ce.code, sizeof(ce.code), "%s", code);
	ce.level = (uint8_t)level;
	memcpy(ce.pk, pk, 32);
	ce.not_before = nb;
	ce.not_after = na;
	snprintf(ce.issuer, sizeof(ce.issuer), "%s", issuer);
	gm_buf_init(&tbs);
	CU_ASSERT_FATAL(cert_encode_tbs(&ce, &tbs) == GM_OK);
	crypto_sign_detached(ce.sig, NULL, tbs.p, tbs.len, signer->sk);
	cert_finish(&tbs, ce.sig);
	sodium_bin2hex(pkhex, sizeof(pkhex), pk, 32);
	sodium_bin2hex(hex, sizeof(hex), tbs.p, tbs.len);
	const struct table_def *t = schema_table(T_NODE_CERT);
	static const char *const names[] = { "level", "pubkey", "not_before", "not_after",
					     "issuer", "cert" };
	uint8_t cols[6];
	for (int i = 0; i < 6; i++)
		cols[i] = (uint8_t)schema_col(t, names[i], strlen(names[i]));
	struct gm_value vals[6] = { gm_int(level), gm_text(pkhex), gm_int((int64_t)nb),
				    gm_int((int64_t)na), gm_text(issuer), gm_text(hex) };
	struct store_write w = { .tab = t, .key = code, .scope = code, .nset = 6, .cols = cols,
				 .vals = vals, .mode = W_UPSERT };
	CU_ASSERT_FATAL(store_begin(street.st) == GM_OK);
	CU_ASSERT_FATAL(store_put(street.st, &w, NULL) == GM_OK);
	CU_ASSERT_FATAL(store_commit(street.st) == GM_OK);
	gm_buf_free(&tbs);
}

static void from_new_grid(const char *code, const uint8_t *sk, const char *why, enum gm_err want)
{
	struct gm_buf b;
	char key[40];
	struct t_craft c = good();
	snprintf(key, sizeof(key), "%s-000001", code);
	c.origin = c.scope = code;
	c.key = key;
	c.sk = sk;
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, want, why);
	gm_buf_free(&b);
}

static void t_expired_cert(void)
{
	uint8_t pk[32], sk[64];
	uint64_t now = hlc_wall_ms() / 1000;
	crypto_sign_keypair(pk, sk);
	forge_cert(&street, "440106012001003", LEVEL_GRID, now - 7200, now - 3600, pk, "440106012");
	from_new_grid("440106012001003", sk, "expired", GM_E_AUTH);
}

static void t_not_yet_valid_cert(void)
{
	uint8_t pk[32], sk[64];
	uint64_t now = hlc_wall_ms() / 1000;
	crypto_sign_keypair(pk, sk);
	forge_cert(&street, "440106012001005", LEVEL_GRID, now + 3600, now + 7200, pk, "440106012");
	from_new_grid("440106012001005", sk, "not yet valid", GM_E_AUTH);
}

static void t_cert_not_from_parent(void)
{
	uint8_t pk[32], sk[64];
	uint64_t now = hlc_wall_ms() / 1000;
	crypto_sign_keypair(pk, sk);
	/* the district skipping the street */
	forge_cert(&district, "440106012001004", LEVEL_GRID, now - 60, now + 3600, pk, "440106");
	from_new_grid("440106012001004", sk, "not its parent", GM_E_AUTH);
}

static void t_cert_forged_signature(void)
{
	uint8_t pk[32], sk[64];
	uint64_t now = hlc_wall_ms() / 1000;
	crypto_sign_keypair(pk, sk);
	/* names the street as issuer, but g1 signed it */
	forge_cert(&g1, "440106012001006", LEVEL_GRID, now - 60, now + 3600, pk, "440106012");
	from_new_grid("440106012001006", sk, "bad signature", GM_E_AUTH);
}

static void t_cert_wrong_level(void)
{
	uint8_t pk[32], sk[64];
	uint64_t now = hlc_wall_ms() / 1000;
	crypto_sign_keypair(pk, sk);
	forge_cert(&street, "440106012001007", LEVEL_STREET, now - 60, now + 3600, pk, "440106012");
	from_new_grid("440106012001007", sk, "wrong level", GM_E_AUTH);
}

static void t_revoked(void)
{
	char err[256];
	struct gm_buf b;
	struct t_craft c = good();
	struct id_revocation rv = { .reason = "laptop stolen" };
	CU_ASSERT_FATAL(identity_revoke(street.id, street.st, "440106012001002", &rv, err,
					sizeof(err)) == GM_OK);
	c.origin = c.scope = "440106012001002";
	c.key = "440106012001002-000001";
	c.sk = g2.sk;
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_E_REVOKED, "revoked");
	gm_buf_free(&b);
}

static void t_truncated(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.val = gm_text("truncated");
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len / 2, GM_E_MALFORMED, "undecodable");
	gm_buf_free(&b);
}

static void t_oversized(void)
{
	size_t n = BATCH_MAX_ENVELOPE + 1;
	uint8_t *p = calloc(1, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	expect(&street, p, n, GM_E_TOOBIG, "undecodable");
	free(p);
}

static void t_garbage(void)
{
	static const uint8_t junk[] = "\xdd\xff\xff\xff\xff this is not msgpack";
	expect(&street, junk, sizeof(junk), GM_E_MALFORMED, "undecodable");
}

static void t_wrong_version(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.version = 2;
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_E_VERSION, "undecodable");
	gm_buf_free(&b);
}

static void t_residents_above_street(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.cls = CLS_STREET;
	c.table = "person";
	c.key = "440106012001001-P000001";
	c.field = "name";
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&district, b.p, b.len, GM_E_SCOPE, "never go above the street");
	gm_buf_free(&b);
}

static void t_resident_in_shared_batch(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.table = "person";             /* a resident smuggled in a shared batch */
	c.key = "440106012001001-P000002";
	c.field = "name";
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_OK, "person in a shared batch");
	gm_buf_free(&b);
}

static void t_wrong_type(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	c.field = "priority";
	c.val = gm_text("urgent");       /* an INT column */
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_OK, "wrong type");
	gm_buf_free(&b);
}

static void t_scope_differs(void)
{
	struct gm_buf b;
	struct t_craft c = good();
	/* the street may write under itself, but the record belongs to G1 */
	c.origin = c.scope = "440106012";
	c.sk = street.sk;
	gm_buf_init(&b);
	t_craft(&c, &b);
	expect(&street, b.p, b.len, GM_OK, "scope differs");
	gm_buf_free(&b);
}

static void t_bad_bundle(void)
{
	struct exchange_in in;
	static const uint8_t junk[] = "\x96\xa3gmb\x01\xa1x\x00\x00\x91\xc0";
	int64_t n0 = reject_count(street.st);
	CU_ASSERT_NOT_EQUAL(exchange_apply(street.st, junk, sizeof(junk) - 1, LINK_IMPORT, 1024, &in),
			    GM_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(in.why, "bundle does not decode"));
	CU_ASSERT_EQUAL(reject_count(street.st), n0 + 1);
}

static void t_city_wide_from_city(void)
{
	/* control: the city may write city-wide reference data */
	struct gm_buf b;
	struct apply_result res;
	struct t_craft c = { .origin = "4401", .scope = "", .cls = CLS_REF, .table = "cat_event",
			   .key = "0199", .field = "minor_name", .val = gm_text("其他"),
			   .sk = city.sk };
	gm_buf_init(&b);
	t_craft(&c, &b);
	CU_ASSERT_EQUAL(store_apply(street.st, b.p, b.len, LINK_IMPORT, &res), GM_OK);
	CU_ASSERT_EQUAL(res.applied, 1);
	gm_buf_free(&b);
}

static void t_link_keys(void)
{
	uint8_t kc[32], kp[32], ko[32], pk[32];
	CU_ASSERT_FATAL(identity_parent_pk(g1.id, pk));
	CU_ASSERT_EQUAL(memcmp(pk, identity_pk(street.id), 32), 0);
	CU_ASSERT(identity_link_key(g1.id, identity_pk(street.id), true, kc));
	CU_ASSERT(identity_link_key(street.id, identity_pk(g1.id), false, kp));
	CU_ASSERT(identity_link_key(street.id, identity_pk(g2.id), false, ko));
	CU_ASSERT_EQUAL(memcmp(kc, kp, 32), 0);    /* both ends agree */
	CU_ASSERT_NOT_EQUAL(memcmp(kp, ko, 32), 0); /* every link its own key */
}

void t_init_security_tests(void)
{
	static const struct t_case cases[] = {
		{ "enrolment chain city -> district -> street -> grids", t_enrolment },
		{ "valid batch applies, its replay is refused", t_valid_and_replay },
		{ "tampered payload", t_tampered_payload },
		{ "tampered signature", t_tampered_signature },
		{ "unsigned batch", t_unsigned },
		{ "unknown origin", t_unknown_origin },
		{ "forged: right code, other key", t_forged_with_other_key },
		{ "out-of-scope write (grid -> sibling)", t_out_of_scope },
		{ "grid writing city-wide data", t_grid_writes_city_wide },
		{ "clock an hour in the future", t_future_clock },
		{ "expired certificate", t_expired_cert },
		{ "certificate not yet valid", t_not_yet_valid_cert },
		{ "certificate issued by a grandparent", t_cert_not_from_parent },
		{ "certificate with a forged signature", t_cert_forged_signature },
		{ "certificate with the wrong level", t_cert_wrong_level },
		{ "revoked key", t_revoked },
		{ "truncated body", t_truncated },
		{ "oversized body", t_oversized },
		{ "garbage body", t_garbage },
		{ "unknown version", t_wrong_version },
		{ "residents above the street", t_residents_above_street },
		{ "resident smuggled in a shared batch", t_resident_in_shared_batch },
		{ "value of the wrong type", t_wrong_type },
		{ "change to a record of another scope", t_scope_differs },
		{ "undecodable bundle", t_bad_bundle },
		{ "city-wide data from the city (control)", t_city_wide_from_city },
		{ "link keys agree and differ per link", t_link_keys },
		{ NULL, NULL },
	};
	CU_pSuite s = CU_add_suite("security", NULL, teardown);
	for (const struct t_case *c = cases; s && c->name; c++)
		CU_add_test(s, c->name, c->fn);
}
