/*
 * test_rekey.c - replacing a node's key loses nothing and stays secure
 * (node/identity.h): batches signed by a replaced key still verify
 * everywhere; a revoked key's history (stamped before the revocation)
 * stays and anything stamped after is refused; revocations are per key;
 * certificates issued by a street's earlier key still chain once the
 * street has a new one; a replacement enrolment says so in its package
 * and the new store issues no id before it has its code's records back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_tree.h"
#include "../../node/exchange.h"
#include "../../node/recid.h"
#include "../../node/store_int.h"
#include "../../proto/bundle.h"
#include "../../proto/cert.h"
#include "../../sync/hlc.h"

void t_init_rekey_tests(void);

#define G "440106012001001"
#define H "440106012001002"

static struct t_node city, district, street, g, h;
/* the replacements: g's new laptop, h's two, the street's new server */
static struct t_node gn, hn, hn2, sn;
/* batches of the first keys, kept for later checks */
static struct gm_buf g_old, h_before, h_after;
static uint64_t now_s;

static int teardown(void)
{
	struct t_node *all[] = { &city, &district, &street, &g, &h, &gn, &hn, &hn2, &sn };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		t_node_free(all[i]);
	gm_buf_free(&g_old);
	gm_buf_free(&h_before);
	gm_buf_free(&h_after);
	return 0;
}

/* A ticket change by grid `code` signed with sk, stamped at unix second t_s. */
static void ticket_by(const char *code, const uint8_t *sk, uint64_t t_s, const char *title,
		      struct gm_buf *out)
{
	char key[40];
	snprintf(key, sizeof(key), "%s-000900", code);
	struct t_craft c = { .origin = code, .scope = code, .cls = CLS_SHARED, .table = "ticket",
			     .key = key, .field = "title", .val = gm_text(title),
			     .t = hlc_from_ms(t_s * 1000), .sk = sk };
	gm_buf_reset(out);
	t_craft(&c, out);
}

static enum gm_err revoke(struct t_node *by, const char *code, const char *key, int64_t from,
			  const char *reason)
{
	char err[256];
	struct id_revocation rv = { .key = key, .from = from, .reason = reason };
	enum gm_err e = identity_revoke(by->id, by->st, code, &rv, err, sizeof(err));
	if (e)
		fprintf(stderr, "\n  revoke: %s\n", err);
	return e;
}

static enum gm_err apply(struct t_node *to, const struct gm_buf *b, char *why, size_t len)
{
	struct apply_result res;
	enum gm_err e = store_apply(to->st, b->p, b->len, LINK_IMPORT, &res);
	snprintf(why, len, "%s", res.why);
	if (e && e != GM_E_REPLAY)
		fprintf(stderr, "\n  %s refused a batch: %s\n", store_code(to->st), res.why);
	return e == GM_E_REPLAY ? GM_OK : e;
}

/* The first 16 hex digits of a node's key, as messages and record ids show it. */
static const char *prefix_of(const struct t_node *n)
{
	static char hex[2][2 * CERT_PK_BYTES + 1];
	static unsigned k;
	k ^= 1;
	sodium_bin2hex(hex[k], sizeof(hex[k]), identity_pk(n->id), CERT_PK_BYTES);
	hex[k][16] = 0;
	return hex[k];
}

static void t_tree(void)
{
	now_s = hlc_wall_ms() / 1000;
	t_node_make(&city, LEVEL_CITY, "4401");
	t_node_make(&district, LEVEL_DISTRICT, "440106");
	t_node_make(&street, LEVEL_STREET, "440106012");
	t_node_make(&g, LEVEL_GRID, G);
	t_node_make(&h, LEVEL_GRID, H);
	t_node_enrol_self(&city);
	CU_ASSERT_FALSE(t_node_enrol(&city, &district));
	CU_ASSERT_FALSE(t_node_enrol(&district, &street));
	CU_ASSERT_FALSE(t_node_enrol(&street, &g));
	CU_ASSERT_FALSE(t_node_enrol(&street, &h));
	/* the same key again (a renewal) is no replacement */
	CU_ASSERT_FALSE(t_node_enrol(&street, &h));
	CU_ASSERT(t_carry(&city, &district));
	CU_ASSERT(t_carry(&district, &street));
	CU_ASSERT(t_carry(&street, &district));
	CU_ASSERT(t_carry(&district, &city));
	/* every certified key is kept: one node_key record per key */
	struct store_rec r;
	char id[IDENTITY_KEY_ID_LEN];
	store_rec_init(&r);
	identity_key_id(G, identity_pk(g.id), id);
	CU_ASSERT_EQUAL(store_load(city.st, schema_table(T_NODE_KEY), id, 0, &r), GM_OK);
	CU_ASSERT_STRING_EQUAL(r.scope, G);
	store_rec_free(&r);
}

static void t_old_key_after_reenrolment(void)
{
	char why[160];
	struct gm_buf b;
	gm_buf_init(&b);
	/* g's laptop wrote something and sent it up; then g gets a new laptop */
	ticket_by(G, g.sk, now_s - 20, "from the old laptop", &g_old);
	CU_ASSERT_EQUAL(apply(&street, &g_old, why, sizeof(why)), GM_OK);
	t_node_make(&gn, LEVEL_GRID, G);
	CU_ASSERT_TRUE(t_node_enrol(&street, &gn));
	CU_ASSERT(t_carry(&street, &district));
	CU_ASSERT(t_carry(&district, &city));
	/* nodes holding the new certificate still take the old key's batch */
	CU_ASSERT_EQUAL(apply(&district, &g_old, why, sizeof(why)), GM_OK);
	CU_ASSERT_EQUAL(apply(&city, &g_old, why, sizeof(why)), GM_OK);
	/* and the new laptop its own code's history, once the keys reach it */
	CU_ASSERT(t_carry(&street, &gn));
	CU_ASSERT_EQUAL(apply(&gn, &g_old, why, sizeof(why)), GM_OK);
	/* the new key's batches verify on the fast path */
	ticket_by(G, gn.sk, now_s - 5, "from the new laptop", &b);
	CU_ASSERT_EQUAL(apply(&city, &b, why, sizeof(why)), GM_OK);
	/* a key never certified for G is still a forgery */
	uint8_t pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	ticket_by(G, sk, now_s - 5, "forged", &b);
	CU_ASSERT_EQUAL(apply(&city, &b, why, sizeof(why)), GM_E_AUTH);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "bad signature"));
	gm_buf_free(&b);
}

static void t_revoked_before_and_after(void)
{
	char why[160];
	/* the worker's laptop is lost: what it signed before stays, after does not */
	ticket_by(H, h.sk, now_s - 20, "before the loss", &h_before);
	CU_ASSERT_FATAL(revoke(&street, H, NULL, 0, "laptop lost") == GM_OK);
	ticket_by(H, h.sk, hlc_wall_ms() / 1000 + 2, "a thief's edit", &h_after);
	CU_ASSERT_EQUAL(apply(&street, &h_before, why, sizeof(why)), GM_OK);
	CU_ASSERT_EQUAL(apply(&street, &h_after, why, sizeof(why)), GM_E_REVOKED);
	/* the refusal says which key and since when */
	CU_ASSERT_PTR_NOT_NULL(strstr(why, prefix_of(&h)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "revoked at"));
	CU_ASSERT(t_carry(&street, &district));
	CU_ASSERT_EQUAL(apply(&district, &h_before, why, sizeof(why)), GM_OK);
	CU_ASSERT_EQUAL(apply(&district, &h_after, why, sizeof(why)), GM_E_REVOKED);
	/* a revoked key links no more */
	uint8_t pk[32];
	CU_ASSERT_EQUAL(identity_trusted_pk(street.id, street.st, H, pk, why, sizeof(why)),
			GM_E_REVOKED);
	/* a later revocation of the same key never moves its time later */
	CU_ASSERT_FATAL(revoke(&street, H, prefix_of(&h), 0, "again") == GM_OK);
	struct gm_buf b;
	gm_buf_init(&b);
	ticket_by(H, h.sk, now_s - 10, "still before the first revocation", &b);
	CU_ASSERT_EQUAL(apply(&street, &b, why, sizeof(why)), GM_OK);
	/* --from cuts back to the last trusted moment */
	CU_ASSERT_FATAL(revoke(&street, H, prefix_of(&h), (int64_t)now_s - 15,
			       "found edits of ours we did not make") == GM_OK);
	ticket_by(H, h.sk, now_s - 12, "after the cut", &b);
	CU_ASSERT_EQUAL(apply(&street, &b, why, sizeof(why)), GM_E_REVOKED);
	gm_buf_free(&b);
	/* bad arguments */
	CU_ASSERT_EQUAL(revoke(&street, H, "00", 0, ""),
			GM_E_INVAL);
	CU_ASSERT_EQUAL(revoke(&street, H, "0123456789abcdef", 0, ""), GM_E_NOTFOUND);
	CU_ASSERT_EQUAL(revoke(&street, H, NULL, now_s + 3600, ""), GM_E_INVAL);
}

static void t_two_revocations_hold(void)
{
	char why[160], id[IDENTITY_KEY_ID_LEN];
	struct gm_buf b;
	struct store_rec r;
	gm_buf_init(&b);
	store_rec_init(&r);
	/* an enrolment from before per-key records: only node_cert knew h's key */
	identity_key_id(H, identity_pk(h.id), id);
	CU_ASSERT_FATAL(store_load(street.st, schema_table(T_NODE_KEY), id, 0, &r) == GM_OK);
	char sql[160];
	snprintf(sql, sizeof(sql), "DELETE FROM node_key WHERE id = '%s'", id);
	CU_ASSERT_FATAL(sqlite3_exec(store_db(street.st), sql, NULL, NULL, NULL) == SQLITE_OK);
	/* h's replacement; the street keeps the first key beside the new one */
	t_node_make(&hn, LEVEL_GRID, H);
	CU_ASSERT_TRUE(t_node_enrol(&street, &hn));
	CU_ASSERT_EQUAL(store_load(street.st, schema_table(T_NODE_KEY), id, 0, &r), GM_OK);
	ticket_by(H, h.sk, now_s - 30, "unsent, handed over later", &b);
	CU_ASSERT_EQUAL(apply(&street, &b, why, sizeof(why)), GM_OK);
	/* the replacement is lost too */
	CU_ASSERT_FATAL(revoke(&street, H, NULL, 0, "lost again") == GM_OK);
	CU_ASSERT(t_carry(&street, &district));
	/* both revocations hold, at both nodes */
	struct t_node *at[] = { &street, &district };
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(apply(at[i], &h_after, why, sizeof(why)), GM_E_REVOKED);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, prefix_of(&h)));
		ticket_by(H, hn.sk, hlc_wall_ms() / 1000 + 2, "a second thief", &b);
		CU_ASSERT_EQUAL(apply(at[i], &b, why, sizeof(why)), GM_E_REVOKED);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, prefix_of(&hn)));
		CU_ASSERT_PTR_NOT_NULL(strstr(why, "lost again"));
	}
	/* a third device gets on with it */
	t_node_make(&hn2, LEVEL_GRID, H);
	CU_ASSERT_TRUE(t_node_enrol(&street, &hn2));
	ticket_by(H, hn2.sk, now_s, "third time lucky", &b);
	/* in one bundle with a revoked key's batch: that one is refused for
	 * good (a push is acknowledged past it), the other applies */
	const uint8_t *bodies[2] = { h_after.p, b.p };
	size_t lens[2] = { h_after.len, b.len };
	struct gm_buf bundle;
	struct exchange_in in;
	gm_buf_init(&bundle);
	CU_ASSERT_FATAL(bundle_encode(&bundle, H, 0, 2, 2, bodies, lens) == GM_OK);
	CU_ASSERT_EQUAL(exchange_apply(street.st, bundle.p, bundle.len, LINK_IMPORT, 1 << 20, &in),
			GM_OK);
	CU_ASSERT_EQUAL(in.batches, 1);
	CU_ASSERT_EQUAL(in.refused, 1);
	CU_ASSERT_EQUAL(in.revoked, 1);
	gm_buf_free(&bundle);
	store_rec_free(&r);
	gm_buf_free(&b);
}

/* A certificate for `code` signed with sk, written into n's store as its issuer would. */
static void plant_cert(struct t_node *n, const char *code, const uint8_t *sk, uint64_t nb,
		       const uint8_t pk[32])
{
	struct cert c;
	struct gm_buf tbs;
	char pkhex[65], hex[2 * CERT_MAX_BYTES + 1];
	memset(&c, 0, sizeof(c));
	snprintf(c.code, sizeof(c.code), "%s", code);
	c.level = LEVEL_GRID;
	memcpy(c.pk, pk, 32);
	c.not_before = nb;
	c.not_after = now_s + 86400;
	snprintf(c.issuer, sizeof(c.issuer), "%s", "440106012");
	gm_buf_init(&tbs);
	CU_ASSERT_FATAL(cert_encode_tbs(&c, &tbs) == GM_OK);
	crypto_sign_detached(c.sig, NULL, tbs.p, tbs.len, sk);
	cert_finish(&tbs, c.sig);
	sodium_bin2hex(pkhex, sizeof(pkhex), pk, 32);
	sodium_bin2hex(hex, sizeof(hex), tbs.p, tbs.len);
	CU_ASSERT_FATAL(t_put(n->st, T_NODE_CERT, code, code, W_UPSERT, NULL, "level",
			      gm_int(LEVEL_GRID), "pubkey", gm_text(pkhex), "not_before",
			      gm_int((int64_t)nb), "not_after", gm_int((int64_t)c.not_after),
			      "issuer", gm_text("440106012"), "cert", gm_text(hex), NULL) == GM_OK);
	gm_buf_free(&tbs);
}

static void t_street_rekeyed(void)
{
	char why[160];
	struct gm_buf b;
	gm_buf_init(&b);
	/* the street server is rebuilt with a new key */
	t_node_make(&sn, LEVEL_STREET, "440106012");
	CU_ASSERT_TRUE(t_node_enrol(&district, &sn));
	CU_ASSERT(t_carry(&district, &city));
	/* gn's certificate was issued by the street's first key: it still chains */
	ticket_by(G, gn.sk, now_s - 3, "certified by the old street key", &b);
	CU_ASSERT_EQUAL(apply(&city, &b, why, sizeof(why)), GM_OK);
	CU_ASSERT_EQUAL(apply(&district, &b, why, sizeof(why)), GM_OK);
	uint8_t pk[32];
	CU_ASSERT_EQUAL(identity_trusted_pk(city.id, city.st, G, pk, why, sizeof(why)), GM_OK);
	CU_ASSERT_EQUAL(memcmp(pk, identity_pk(gn.id), 32), 0);
	/* the old server is stolen: certificates it signs from then on count for nothing */
	CU_ASSERT_FATAL(revoke(&district, "440106012", prefix_of(&street), (int64_t)now_s - 100,
			       "server stolen") == GM_OK);
	CU_ASSERT(t_carry(&district, &city));
	uint8_t fpk[32], fsk[64];
	crypto_sign_keypair(fpk, fsk);
	plant_cert(&city, "440106012001007", street.sk, now_s - 50, fpk);
	ticket_by("440106012001007", fsk, now_s - 3, "a forged grid", &b);
	CU_ASSERT_EQUAL(apply(&city, &b, why, sizeof(why)), GM_E_REVOKED);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "revoked at"));
	/* one it issued before the cut still counts (the documented trade-off) */
	plant_cert(&city, "440106012001008", street.sk, now_s - 200, fpk);
	ticket_by("440106012001008", fsk, now_s - 3, "issued before the theft", &b);
	CU_ASSERT_EQUAL(apply(&city, &b, why, sizeof(why)), GM_OK);
	/* so is every certificate the old key issued after the cut, gn's too:
	 * such grids are enrolled again by the new server (same key) */
	ticket_by(G, gn.sk, now_s - 2, "after the cut", &b);
	CU_ASSERT_EQUAL(apply(&city, &b, why, sizeof(why)), GM_E_REVOKED);
	CU_ASSERT_FALSE(t_node_enrol(&sn, &gn));
	CU_ASSERT(t_carry(&sn, &district));
	CU_ASSERT(t_carry(&district, &city));
	CU_ASSERT_EQUAL(apply(&city, &b, why, sizeof(why)), GM_OK);
	gm_buf_free(&b);
}

static void t_replacement_reclaims(void)
{
	char id[64];
	const struct table_def *t = schema_table(T_TICKET);
	/* the new laptop issues no id before it has its code's records back */
	CU_ASSERT_EQUAL(store_meta_int(gn.st, "reclaim", 0), 1);
	CU_ASSERT_EQUAL(store_begin(gn.st), GM_OK);
	CU_ASSERT_EQUAL(recid_new(gn.st, t, "ticket", "", id, sizeof(id)), GM_E_STATE);
	CU_ASSERT_PTR_NOT_NULL(strstr(store_errmsg(gn.st), "replace"));
	store_rollback(gn.st);
	/* first enrolments and renewals do not */
	CU_ASSERT_EQUAL(store_meta_int(g.st, "reclaim", 0), 0);
	CU_ASSERT_EQUAL(store_meta_int(h.st, "reclaim", 0), 0);
	/* back in step (the link clears it): new ids leave room for ids the
	 * old laptop may have issued offline and not sent yet */
	CU_ASSERT_EQUAL(store_meta_set_int(gn.st, "reclaim", 0), GM_OK);
	CU_ASSERT_EQUAL(store_begin(gn.st), GM_OK);
	CU_ASSERT_EQUAL(recid_new(gn.st, t, "ticket", "", id, sizeof(id)), GM_OK);
	CU_ASSERT_EQUAL(store_commit(gn.st), GM_OK);
	CU_ASSERT(strcmp(id, G "-000900") > 0);
	CU_ASSERT(strcmp(id, G "-001900") >= 0);
	char id2[64];
	CU_ASSERT_EQUAL(store_begin(gn.st), GM_OK);
	CU_ASSERT_EQUAL(recid_new(gn.st, t, "ticket", "", id2, sizeof(id2)), GM_OK);
	CU_ASSERT_EQUAL(store_commit(gn.st), GM_OK);
	CU_ASSERT(strcmp(id2, id) > 0);
	/* the gap is left once per replacement and counter */
	long long a = atoll(strrchr(id, '-') + 1), b2 = atoll(strrchr(id2, '-') + 1);
	CU_ASSERT_EQUAL(b2, a + 1);
}

static void t_package_forms(void)
{
	uint8_t cert[8] = { 1, 2, 3 }, root[32] = { 9 }, old[32] = { 7, 7 };
	struct enrol_pkg k, d;
	struct gm_buf b;
	gm_buf_init(&b);
	memset(&k, 0, sizeof(k));
	k.cert = cert;
	k.certlen = sizeof(cert);
	k.chain[0] = cert;
	k.chainlen[0] = sizeof(cert);
	k.nchain = 1;
	memcpy(k.root_pk, root, 32);
	/* the five-element form of earlier releases: still written and read */
	CU_ASSERT_FATAL(enrol_pkg_encode(&k, &b) == GM_OK);
	CU_ASSERT_EQUAL(b.p[0], 0x95);
	CU_ASSERT_EQUAL(enrol_pkg_decode(b.p, b.len, &d), GM_OK);
	CU_ASSERT_PTR_NULL(d.replaces);
	enrol_pkg_free(&d);
	/* a replacement names the key it replaces */
	k.replaces = old;
	CU_ASSERT_FATAL(enrol_pkg_encode(&k, &b) == GM_OK);
	CU_ASSERT_EQUAL(b.p[0], 0x96);
	CU_ASSERT_EQUAL(enrol_pkg_decode(b.p, b.len, &d), GM_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d.replaces);
	CU_ASSERT_EQUAL(memcmp(d.replaces, old, 32), 0);
	enrol_pkg_free(&d);
	/* a sixth element that is not a key: a bin of 31 bytes */
	CU_ASSERT_EQUAL(b.p[b.len - 34], 0xc4);
	b.p[b.len - 33] = 31;
	CU_ASSERT_EQUAL(enrol_pkg_decode(b.p, b.len - 1, &d), GM_E_MALFORMED);
	gm_buf_free(&b);
}

/* A store made before node_key existed gains it when opened. */
static void t_earlier_store(void)
{
	char err[256], dir[512];
	struct store *st = t_store(LEVEL_GRID, "440106012001009");
	snprintf(dir, sizeof(dir), "%s", store_dir(st));
	CU_ASSERT_FATAL(sqlite3_exec(store_db(st), "DROP TABLE node_key", NULL, NULL, NULL) ==
			SQLITE_OK);
	store_close(st);
	CU_ASSERT_FATAL(store_open(dir, &st, err, sizeof(err)) == GM_OK);
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_EQUAL(store_load(st, schema_table(T_NODE_KEY), "440106012001009/00", 0, &r),
			GM_E_NOTFOUND);
	store_rec_free(&r);
	store_close(st);
}

void t_init_rekey_tests(void)
{
	static const struct t_case cases[] = {
		{ "enrolled tree; every certified key kept", t_tree },
		{ "old key's batch verifies after re-enrolment", t_old_key_after_reenrolment },
		{ "revoked key: stamped before accepted, after refused", t_revoked_before_and_after },
		{ "two revocations of one code both hold", t_two_revocations_hold },
		{ "street re-keyed: its old certificates still chain", t_street_rekeyed },
		{ "a replacement reclaims before issuing ids", t_replacement_reclaims },
		{ "enrolment package: 5 and 6 elements", t_package_forms },
		{ "a store of an earlier release gains node_key", t_earlier_store },
		{ NULL, NULL },
	};
	CU_pSuite s = CU_add_suite("rekey", NULL, teardown);
	for (const struct t_case *c = cases; s && c->name; c++)
		CU_add_test(s, c->name, c->fn);
}
