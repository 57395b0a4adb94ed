/*
 * trust.c - which keys count for what (identity.h, "Keys over time"):
 * certificates checked up the chain to the root key, every key ever
 * certified for a code, revocations per key with the time they take
 * effect, and the verification of a batch's signature.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "identity_int.h"

/* grid -> street -> district -> city */
#define TRUST_MAX_DEPTH 4

void identity_key_id(const char *code, const uint8_t pk[CERT_PK_BYTES],
		     char out[IDENTITY_KEY_ID_LEN])
{
	char hex[2 * CERT_PK_BYTES + 1];
	sodium_bin2hex(hex, sizeof(hex), pk, CERT_PK_BYTES);
	snprintf(out, IDENTITY_KEY_ID_LEN, "%.15s/%.*s", code, IDENTITY_KEY_PREFIX_HEX, hex);
}

static void utc(int64_t t, char out[24])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, 24, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(out, 24, "%lld", (long long)t);
}

/* ------------------------------------------------------------ records */

enum gm_err trust_cert_of_rec(const struct store_rec *r, const char *code, struct cert *c)
{
	uint8_t bytes[CERT_MAX_BYTES];
	size_t n = 0;
	const struct gm_value *v = &r->vals[schema_col(r->tab, "cert", 4)];
	if (v->type != GM_TEXT ||
	    sodium_hex2bin(bytes, sizeof(bytes), v->s, v->len, NULL, &n, NULL) != 0 ||
	    cert_decode(bytes, n, c) || strcmp(c->code, code))
		return GM_E_MALFORMED;
	return GM_OK;
}

enum gm_err trust_find_cert(struct identity *id, struct store *st, const char *code,
			    struct cert *c)
{
	for (unsigned i = 0; i < id->chain.nchain; i++)
		if (cert_decode(id->chain.chain[i], id->chain.chainlen[i], c) == GM_OK &&
		    !strcmp(c->code, code))
			return GM_OK;
	if (id->has_cert && !strcmp(id->cert.code, code)) {
		*c = id->cert;
		return GM_OK;
	}
	struct store_rec r;
	enum gm_err e;
	store_rec_init(&r);
	e = store_load(st, schema_table(T_NODE_CERT), code, 0, &r);
	if (!e && !clk_zero(r.del))
		e = GM_E_NOTFOUND;
	if (!e)
		e = trust_cert_of_rec(&r, code, c);
	store_rec_free(&r);
	return e;
}

struct keys_scan {
	const char *code;
	struct trust_keys *ks;
};

static int key_cb(void *ctx, const struct store_rec *r)
{
	struct keys_scan *k = ctx;
	/* the filter is a scope prefix: a street's scan meets its grids' keys */
	if (strcmp(r->scope, k->code) || k->ks->n == TRUST_MAX_KEYS)
		return 0;
	if (trust_cert_of_rec(r, k->code, &k->ks->c[k->ks->n]) == GM_OK)
		k->ks->n++;
	return 0;
}

void trust_keys_of(struct store *st, const char *code, struct trust_keys *ks)
{
	struct store_filter f = { .col = -1, .v = gm_text(code) };
	struct keys_scan k = { code, ks };
	ks->n = 0;
	/* a store that cannot be read has no keys to offer: the caller refuses */
	if (store_scan(st, schema_table(T_NODE_KEY), &f, 1, key_cb, &k))
		ks->n = 0;
}

/* One revocation record (id rid) naming the key pkhex: when it takes effect, else 0. */
static int64_t revocation_of(struct store *st, const char *rid, const char *pkhex, char *reason,
			     size_t rlen)
{
	const struct table_def *t = schema_table(T_REVOCATION);
	struct store_rec r;
	int64_t at = 0;
	store_rec_init(&r);
	if (store_load(st, t, rid, 0, &r) == GM_OK && clk_zero(r.del)) {
		const struct gm_value *k = &r.vals[schema_col(t, "pubkey", 6)];
		const struct gm_value *a = &r.vals[schema_col(t, "at", 2)];
		const struct gm_value *why = &r.vals[schema_col(t, "reason", 6)];
		if (k->type == GM_TEXT && k->len == strlen(pkhex) && !memcmp(k->s, pkhex, k->len)) {
			/* without a time (never written so): revoked from the start */
			at = a->type == GM_INT && a->i > 0 ? a->i : 1;
			if (reason && rlen)
				snprintf(reason, rlen, "%.*s", why->type == GM_TEXT ? (int)why->len : 0,
					 why->type == GM_TEXT ? why->s : "");
		}
	}
	store_rec_free(&r);
	return at;
}

int64_t identity_revoked_at(struct store *st, const char *code, const uint8_t pk[CERT_PK_BYTES],
			    char *reason, size_t rlen)
{
	char pkhex[2 * CERT_PK_BYTES + 1], rid[IDENTITY_KEY_ID_LEN], why[96] = "";
	sodium_bin2hex(pkhex, sizeof(pkhex), pk, CERT_PK_BYTES);
	identity_key_id(code, pk, rid);
	if (reason && rlen)
		reason[0] = 0;
	int64_t at = revocation_of(st, rid, pkhex, reason, rlen);
	/* the one record per code of earlier releases, if it names this key */
	int64_t old = revocation_of(st, code, pkhex, why, sizeof(why));
	if (old && (!at || old < at)) {
		at = old;
		if (reason && rlen)
			snprintf(reason, rlen, "%s", why);
	}
	return at;
}

/* "key <prefix> of <code> revoked at <time> (<reason>)" */
static void revoked_msg(const char *code, const uint8_t pk[CERT_PK_BYTES], int64_t at,
			const char *reason, char *out, size_t len)
{
	char when[24], hex[2 * CERT_PK_BYTES + 1];
	utc(at, when);
	sodium_bin2hex(hex, sizeof(hex), pk, CERT_PK_BYTES);
	snprintf(out, len, "key %.*s of %s revoked at %s%s%.40s%s", IDENTITY_KEY_PREFIX_HEX, hex,
		 code, when, reason[0] ? " (" : "", reason, reason[0] ? ")" : "");
}

bool identity_last_revoked(struct store *st, const char *code, char *out, size_t len)
{
	struct trust_keys ks;
	char reason[96], last_reason[96] = "";
	int64_t last = 0;
	unsigned which = 0;
	trust_keys_of(st, code, &ks);
	for (unsigned i = 0; i < ks.n; i++) {
		int64_t at = identity_revoked_at(st, code, ks.c[i].pk, reason, sizeof(reason));
		if (at > last) {
			last = at;
			which = i;
			snprintf(last_reason, sizeof(last_reason), "%s", reason);
		}
	}
	if (!last)
		return false;
	revoked_msg(code, ks.c[which].pk, last, last_reason, out, len);
	return true;
}

/* -------------------------------------------------------------- checks */

static enum gm_err cert_ok(struct identity *id, struct store *st, const struct cert *c,
			   uint64_t t, char *why, size_t whylen, int depth);

/* The signature `sig` over msg verifies with key pk. */
static bool signed_by(const uint8_t *sig, const uint8_t *msg, size_t len, const uint8_t *pk)
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

/*
 * Which certificate of `code` signed msg, and does it count for time t?
 * The current certificate is tried first (the usual case costs what it
 * always did), then every other kept certificate of the code.  GM_OK if a
 * key that verifies counts; else the first reason a verifying key does
 * not count; else "none of its keys signed this" (why_unsigned, with
 * *known saying whether the code has any certificate at all).
 */
static enum gm_err signer_ok(struct identity *id, struct store *st, const char *code,
			     const uint8_t *sig, const uint8_t *msg, size_t len, uint64_t t,
			     bool *known, char *why, size_t whylen, int depth)
{
	struct cert cur;
	struct trust_keys ks;
	char other[160];
	bool have = trust_find_cert(id, st, code, &cur) == GM_OK, verified = false;
	enum gm_err first = GM_OK, e;

	*known = have;
	if (have && signed_by(sig, msg, len, cur.pk)) {
		if (!(e = cert_ok(id, st, &cur, t, why, whylen, depth)))
			return GM_OK;
		first = e;
		verified = true;
	}
	trust_keys_of(st, code, &ks);
	for (unsigned i = 0; i < ks.n; i++) {
		/* the current certificate again (its node_key twin) */
		if (have && !memcmp(ks.c[i].sig, cur.sig, CERT_SIG_BYTES))
			continue;
		if (!signed_by(sig, msg, len, ks.c[i].pk))
			continue;
		if (!(e = cert_ok(id, st, &ks.c[i], t, other, sizeof(other), depth)))
			return GM_OK;
		if (!verified) {
			first = e;
			snprintf(why, whylen, "%s", other);
		}
		verified = true;
	}
	*known = have || ks.n;
	return verified ? first : GM_E_NOTFOUND;
}

/* c is signed by a key of its issuer that counted when c was issued. */
static enum gm_err issuer_ok(struct identity *id, struct store *st, const struct cert *c,
			     char *why, size_t whylen, int depth)
{
	struct gm_buf tbs;
	bool known = false;
	enum gm_err e;
	gm_buf_init(&tbs);
	if ((e = cert_encode_tbs(c, &tbs))) {
		gm_buf_free(&tbs);
		snprintf(why, whylen, "out of memory");
		return e;
	}
	e = signer_ok(id, st, c->issuer, c->sig, tbs.p, tbs.len, c->not_before, &known, why,
		      whylen, depth + 1);
	gm_buf_free(&tbs);
	if (e == GM_E_NOTFOUND) {
		if (known)
			snprintf(why, whylen, "certificate of %s has a bad signature", c->code);
		else
			snprintf(why, whylen, "certificate of %s: its issuer %s is unknown (no"
				 " certificate)", c->code, c->issuer);
		return GM_E_AUTH;
	}
	return e;
}

/*
 * Does certificate c count for something stamped at unix time t (a
 * batch's newest clock, the issuing of a certificate it signed, or now
 * for a link)?  It must have started, not have ended before t, name the
 * right level, be signed by its parent with a key that counted when c was
 * issued (up to the root key), and its key must not be revoked from t or
 * earlier.
 */
static enum gm_err cert_ok(struct identity *id, struct store *st, const struct cert *c,
			   uint64_t t, char *why, size_t whylen, int depth)
{
	uint64_t now = hlc_wall_ms() / 1000;
	const char *code = c->code;
	enum gm_err e;

	if (!id->has_root) {
		snprintf(why, whylen, "this node is not enrolled (no root key)");
		return GM_E_AUTH;
	}
	if (depth > TRUST_MAX_DEPTH) {
		snprintf(why, whylen, "certificate chain of %s too long", code);
		return GM_E_AUTH;
	}
	if (now < c->not_before) {
		snprintf(why, whylen, "certificate of %s not yet valid", code);
		return GM_E_AUTH;
	}
	if (t > c->not_after) {
		snprintf(why, whylen, "certificate of %s expired", code);
		return GM_E_AUTH;
	}
	if (c->level != code_level(code, strlen(code))) {
		snprintf(why, whylen, "certificate of %s names the wrong level", code);
		return GM_E_AUTH;
	}
	if (c->level == LEVEL_CITY) {
		/* the root: self-signed with the key every node was given */
		struct gm_buf tbs;
		gm_buf_init(&tbs);
		bool ok = !strcmp(c->issuer, code) && !memcmp(c->pk, id->root, CERT_PK_BYTES) &&
			  cert_encode_tbs(c, &tbs) == GM_OK &&
			  signed_by(c->sig, tbs.p, tbs.len, id->root);
		gm_buf_free(&tbs);
		if (!ok) {
			snprintf(why, whylen, "city certificate %s does not match our root key", code);
			return GM_E_AUTH;
		}
	} else {
		if (!code_is_parent(c->issuer, code)) {
			snprintf(why, whylen, "certificate of %s issued by %s, not its parent", code,
				 c->issuer);
			return GM_E_AUTH;
		}
		if ((e = issuer_ok(id, st, c, why, whylen, depth)))
			return e;
	}
	char reason[96];
	int64_t at = identity_revoked_at(st, code, c->pk, reason, sizeof(reason));
	if (at && t >= (uint64_t)at) {
		revoked_msg(code, c->pk, at, reason, why, whylen);
		return GM_E_REVOKED;
	}
	return GM_OK;
}

enum gm_err identity_trusted_pk(struct identity *id, struct store *st, const char *code,
				uint8_t pk[CERT_PK_BYTES], char *why, size_t whylen)
{
	struct cert c;
	enum gm_err e;
	if (!id->has_root) {
		snprintf(why, whylen, "this node is not enrolled (no root key)");
		return GM_E_AUTH;
	}
	if (trust_find_cert(id, st, code, &c)) {
		snprintf(why, whylen, "unknown origin %s (no certificate)", code);
		return GM_E_AUTH;
	}
	if ((e = cert_ok(id, st, &c, hlc_wall_ms() / 1000, why, whylen, 0)))
		return e;
	memcpy(pk, c.pk, CERT_PK_BYTES);
	return GM_OK;
}

enum gm_err identity_verify_batch(struct identity *id, struct store *st,
				  const struct batch_env *env, const uint8_t *msg, size_t len,
				  char *why, size_t whylen)
{
	char code[CODE_MAX + 1];
	bool known = false;
	enum gm_err e;

	if (!node_code_from_id(env->origin, code)) {
		snprintf(why, whylen, "origin is not a node id");
		return GM_E_AUTH;
	}
	if (!env->sig) {
		snprintf(why, whylen, "unsigned batch from %s", code);
		return GM_E_AUTH;
	}
	if (!id->has_root) {
		snprintf(why, whylen, "this node is not enrolled (no root key)");
		return GM_E_AUTH;
	}
	/* a key counts for what it signed while it was valid and not revoked */
	e = signer_ok(id, st, code, env->sig, msg, len, hlc_ms(env->tmax) / 1000, &known, why,
		      whylen, 0);
	if (e == GM_E_NOTFOUND) {
		if (known)
			snprintf(why, whylen, "bad signature on a batch from %s (forged or tampered)",
				 code);
		else
			snprintf(why, whylen, "unknown origin %s (no certificate)", code);
		return GM_E_AUTH;
	}
	if (e)
		return e;
	/* authority: an origin writes only inside its own subtree (rule 4) */
	size_t cl = strlen(code);
	bool city_wide = env->scopelen == 0 && code_level(code, cl) == LEVEL_CITY;
	if (!city_wide && !scope_within(env->scope, env->scopelen, code, cl)) {
		snprintf(why, whylen, "%s may not write records of %.*s", code, (int)env->scopelen,
			 env->scope);
		return GM_E_SCOPE;
	}
	return GM_OK;
}
