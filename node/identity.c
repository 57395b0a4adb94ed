/* identity.c - keys, certificates, batch signatures, link keys. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "identity.h"
#include "fileio.h"
#include "store_int.h"

struct identity {
	char dir[1024];
	bool has_key;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t pk[CERT_PK_BYTES];
	bool has_cert;
	struct cert cert;
	uint8_t *cert_bytes;
	size_t certlen;
	uint8_t *chain_bytes;          /* the `chain` file: ancestors' certs */
	size_t chainlen;
	struct enrol_pkg chain;
	bool has_root;
	uint8_t root[CERT_PK_BYTES];
	bool has_street;
	uint8_t street[ID_STREET_KEY_BYTES];
	struct store *attached;
};

/* ----------------------------------------------------------------- files */

static void path_of(char *out, size_t len, const char *dir, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

/* A new secret file: 0600, never overwrites. */
static enum gm_err write_secret(const char *path, const void *data, size_t len, char *err,
				size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == EEXIST ? GM_E_EXISTS : GM_E_IO;
	}
	ssize_t w = write(fd, data, len);
	int ok = w == (ssize_t)len && fsync(fd) == 0;
	close(fd);
	if (!ok) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return GM_E_IO;
	}
	return GM_OK;
}

static enum gm_err read_exact(const char *path, void *out, size_t len)
{
	uint8_t *data;
	size_t n;
	char err[256];
	if (fileio_read_all(path, len, &data, &n, err, sizeof(err)))
		return GM_E_NOTFOUND;
	enum gm_err e = n == len ? GM_OK : GM_E_MALFORMED;
	if (!e)
		memcpy(out, data, len);
	sodium_memzero(data, n);
	free(data);
	return e;
}

static bool file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

enum gm_err identity_keygen(const char *dir, char *err, size_t errlen)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char path[1100], hex[2 * crypto_sign_PUBLICKEYBYTES + 2];
	enum gm_err e;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot start");
		return GM_E_IO;
	}
	path_of(path, sizeof(path), dir, ID_KEY_FILE);
	if (file_exists(path)) {
		snprintf(err, errlen, "%s already exists: a node keeps its key (revoke and re-enrol"
				      " to replace it)", path);
		return GM_E_EXISTS;
	}
	crypto_sign_keypair(pk, sk);
	e = write_secret(path, sk, sizeof(sk), err, errlen);
	sodium_memzero(sk, sizeof(sk));
	if (e)
		return e;
	sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	strcat(hex, "\n");
	path_of(path, sizeof(path), dir, ID_PUB_FILE);
	unlink(path);
	if (fileio_write_atomic(path, hex, strlen(hex), err, errlen))
		return GM_E_IO;
	return GM_OK;
}

enum gm_err identity_load(const char *dir, struct identity **out, char *err, size_t errlen)
{
	struct identity *id;
	char path[1100];
	size_t n;

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot start");
		return GM_E_IO;
	}
	id = sodium_malloc(sizeof(*id));
	if (!id)
		return GM_E_NOMEM;
	memset(id, 0, sizeof(*id));
	snprintf(id->dir, sizeof(id->dir), "%s", dir);
	path_of(path, sizeof(path), dir, ID_KEY_FILE);
	if (read_exact(path, id->sk, sizeof(id->sk)) == GM_OK) {
		id->has_key = true;
		crypto_sign_ed25519_sk_to_pk(id->pk, id->sk);
	} else if (file_exists(path)) {
		snprintf(err, errlen, "%s is not a key", path);
		identity_free(id);
		return GM_E_MALFORMED;
	}
	path_of(path, sizeof(path), dir, ID_CERT_FILE);
	if (!fileio_read_all(path, CERT_MAX_BYTES, &id->cert_bytes, &n, err, errlen)) {
		id->certlen = n;
		if (cert_decode(id->cert_bytes, n, &id->cert)) {
			snprintf(err, errlen, "%s is not a certificate", path);
			identity_free(id);
			return GM_E_MALFORMED;
		}
		id->has_cert = true;
	}
	path_of(path, sizeof(path), dir, ID_CHAIN_FILE);
	if (!fileio_read_all(path, 4096, &id->chain_bytes, &n, err, errlen)) {
		id->chainlen = n;
		if (cert_chain_decode(id->chain_bytes, n, &id->chain)) {
			snprintf(err, errlen, "%s is not a certificate chain", path);
			identity_free(id);
			return GM_E_MALFORMED;
		}
	}
	path_of(path, sizeof(path), dir, ID_ROOT_FILE);
	id->has_root = read_exact(path, id->root, sizeof(id->root)) == GM_OK;
	path_of(path, sizeof(path), dir, ID_STREET_KEY_FILE);
	id->has_street = read_exact(path, id->street, sizeof(id->street)) == GM_OK;
	err[0] = 0;
	*out = id;
	return GM_OK;
}

void identity_free(struct identity *id)
{
	if (!id)
		return;
	free(id->cert_bytes);
	enrol_pkg_free(&id->chain);
	free(id->chain_bytes);
	sodium_free(id);
}

bool identity_has_key(const struct identity *id)
{
	return id && id->has_key;
}

bool identity_enrolled(const struct identity *id)
{
	return id && id->has_key && id->has_cert && id->has_root;
}

const uint8_t *identity_pk(const struct identity *id)
{
	return id->pk;
}

const uint8_t *identity_street_key(const struct identity *id)
{
	return id && id->has_street ? id->street : NULL;
}

/* ---------------------------------------------------------------- trust */

static bool now_within(const struct cert *c, uint64_t now)
{
	return now >= c->not_before && now <= c->not_after;
}

/* Revoked: a revocation record for `code` naming this key. */
static bool revoked(struct store *st, const char *code, const uint8_t pk[CERT_PK_BYTES])
{
	struct store_rec r;
	char hex[2 * CERT_PK_BYTES + 1];
	bool rv = false;
	store_rec_init(&r);
	if (store_load(st, schema_table(T_REVOCATION), code, 0, &r) == GM_OK && clk_zero(r.del)) {
		const struct gm_value *v = &r.vals[schema_col(r.tab, "pubkey", 6)];
		sodium_bin2hex(hex, sizeof(hex), pk, CERT_PK_BYTES);
		rv = v->type == GM_TEXT && v->len == strlen(hex) && !memcmp(v->s, hex, v->len);
	}
	store_rec_free(&r);
	return rv;
}

/* The certificate of `code`: from our own chain, else the replicated record. */
static enum gm_err find_cert(struct identity *id, struct store *st, const char *code,
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
	uint8_t bytes[CERT_MAX_BYTES];
	size_t n = 0;
	enum gm_err e;
	store_rec_init(&r);
	e = store_load(st, schema_table(T_NODE_CERT), code, 0, &r);
	if (!e && !clk_zero(r.del))
		e = GM_E_NOTFOUND;
	if (!e) {
		const struct gm_value *v = &r.vals[schema_col(r.tab, "cert", 4)];
		if (v->type != GM_TEXT ||
		    sodium_hex2bin(bytes, sizeof(bytes), v->s, v->len, NULL, &n, NULL) != 0 ||
		    cert_decode(bytes, n, c) || strcmp(c->code, code))
			e = GM_E_MALFORMED;
	}
	store_rec_free(&r);
	return e;
}

static enum gm_err trusted(struct identity *id, struct store *st, const char *code,
			   uint8_t pk[CERT_PK_BYTES], char *why, size_t whylen, int depth)
{
	struct cert c;
	uint8_t ipk[CERT_PK_BYTES];
	uint64_t now = hlc_wall_ms() / 1000;
	enum gm_err e;

	if (!id->has_root) {
		snprintf(why, whylen, "this node is not enrolled (no root key)");
		return GM_E_AUTH;
	}
	if (depth > 4) {
		snprintf(why, whylen, "certificate chain of %s too long", code);
		return GM_E_AUTH;
	}
	if (find_cert(id, st, code, &c)) {
		snprintf(why, whylen, "unknown origin %s (no certificate)", code);
		return GM_E_AUTH;
	}
	if (!now_within(&c, now)) {
		snprintf(why, whylen, "certificate of %s %s", code,
			 now < c.not_before ? "not yet valid" : "expired");
		return GM_E_AUTH;
	}
	if (c.level != code_level(code, strlen(code))) {
		snprintf(why, whylen, "certificate of %s names the wrong level", code);
		return GM_E_AUTH;
	}
	if (code_level(code, strlen(code)) == LEVEL_CITY) {
		/* the root: self-signed with the key every node was given */
		if (strcmp(c.issuer, code) || memcmp(c.pk, id->root, CERT_PK_BYTES)) {
			snprintf(why, whylen, "city certificate %s does not match our root key", code);
			return GM_E_AUTH;
		}
		memcpy(ipk, id->root, CERT_PK_BYTES);
	} else {
		if (!code_is_parent(c.issuer, code)) {
			snprintf(why, whylen, "certificate of %s issued by %s, not its parent", code,
				 c.issuer);
			return GM_E_AUTH;
		}
		if ((e = trusted(id, st, c.issuer, ipk, why, whylen, depth + 1)))
			return e;
	}
	/* re-encode what the issuer signed: the certificate's own bytes */
	struct gm_buf tbs;
	gm_buf_init(&tbs);
	if (cert_encode_tbs(&c, &tbs) ||
	    crypto_sign_verify_detached(c.sig, tbs.p, tbs.len, ipk) != 0) {
		gm_buf_free(&tbs);
		snprintf(why, whylen, "certificate of %s has a bad signature", code);
		return GM_E_AUTH;
	}
	gm_buf_free(&tbs);
	if (revoked(st, code, c.pk)) {
		snprintf(why, whylen, "key of %s was revoked", code);
		return GM_E_AUTH;
	}
	memcpy(pk, c.pk, CERT_PK_BYTES);
	return GM_OK;
}

enum gm_err identity_trusted_pk(struct identity *id, struct store *st, const char *code,
				uint8_t pk[CERT_PK_BYTES], char *why, size_t whylen)
{
	return trusted(id, st, code, pk, why, whylen, 0);
}

enum gm_err identity_verify_batch(struct identity *id, struct store *st,
				  const struct batch_env *env, const uint8_t *msg, size_t len,
				  char *why, size_t whylen)
{
	char code[CODE_MAX + 1];
	uint8_t pk[CERT_PK_BYTES];
	enum gm_err e;

	if (!node_code_from_id(env->origin, code)) {
		snprintf(why, whylen, "origin is not a node id");
		return GM_E_AUTH;
	}
	if (!env->sig) {
		snprintf(why, whylen, "unsigned batch from %s", code);
		return GM_E_AUTH;
	}
	if ((e = trusted(id, st, code, pk, why, whylen, 0)))
		return e;
	if (crypto_sign_verify_detached(env->sig, msg, len, pk) != 0) {
		snprintf(why, whylen, "bad signature on a batch from %s (forged or tampered)", code);
		return GM_E_AUTH;
	}
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

static enum gm_err sign_cb(void *ctx, const uint8_t *msg, size_t len,
			   uint8_t sig[BATCH_SIG_BYTES])
{
	struct identity *id = ctx;
	crypto_sign_detached(sig, NULL, msg, len, id->sk);
	return GM_OK;
}

static enum gm_err verify_cb(void *ctx, const struct batch_env *env, const uint8_t *msg,
			     size_t len, char *why, size_t whylen)
{
	struct identity *id = ctx;
	return identity_verify_batch(id, id->attached, env, msg, len, why, whylen);
}

void identity_attach(struct identity *id, struct store *st)
{
	if (!identity_enrolled(id))
		return;
	id->attached = st;
	store_set_signer(st, sign_cb, id);
	store_set_verifier(st, verify_cb, id);
	if (id->has_street)
		store_set_field_key(st, id->street);
}

/* ------------------------------------------------------------ enrolment */

static void hex_of(const uint8_t *p, size_t n, char *out, size_t outlen)
{
	sodium_bin2hex(out, outlen, p, n);
}

/* Records a certificate as a replicated node_cert record (own txn). */
static enum gm_err record_cert(struct identity *id, struct store *st, const struct cert *c,
			       const uint8_t *bytes, size_t len, char *err, size_t errlen)
{
	const struct table_def *t = schema_table(T_NODE_CERT);
	char pkhex[2 * CERT_PK_BYTES + 1], certhex[2 * CERT_MAX_BYTES + 1];
	uint8_t cols[6];
	struct gm_value vals[6];
	(void)id;
	hex_of(c->pk, CERT_PK_BYTES, pkhex, sizeof(pkhex));
	hex_of(bytes, len, certhex, sizeof(certhex));
	static const char *const names[] = { "level", "pubkey", "not_before", "not_after",
					     "issuer", "cert" };
	for (int i = 0; i < 6; i++)
		cols[i] = (uint8_t)schema_col(t, names[i], strlen(names[i]));
	vals[0] = gm_int(c->level);
	vals[1] = gm_text(pkhex);
	vals[2] = gm_int((int64_t)c->not_before);
	vals[3] = gm_int((int64_t)c->not_after);
	vals[4] = gm_text(c->issuer);
	vals[5] = gm_text(certhex);
	struct store_write w = { .tab = t, .key = c->code, .scope = c->code, .nset = 6,
				 .cols = cols, .vals = vals, .actor = "enrolment",
				 .mode = W_UPSERT };
	enum gm_err e = store_begin(st);
	if (!e)
		e = store_put(st, &w, NULL);
	if (!e)
		e = store_commit(st);
	else
		store_rollback(st);
	if (e)
		snprintf(err, errlen, "recording the certificate: %s", store_errmsg(st));
	return e;
}

static enum gm_err sign_cert(struct identity *id, struct cert *c, struct gm_buf *out)
{
	enum gm_err e = cert_encode_tbs(c, out);
	if (e)
		return e;
	crypto_sign_detached(c->sig, NULL, out->p, out->len, id->sk);
	c->signed_len = out->len;
	cert_finish(out, c->sig);
	return out->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err identity_enrol_self(const char *dir, struct identity *id, struct store *st,
				unsigned days, char *err, size_t errlen)
{
	struct cert c;
	struct gm_buf b;
	char path[1100];
	enum gm_err e;
	uint64_t now = hlc_wall_ms() / 1000;

	if (!id->has_key) {
		snprintf(err, errlen, "no key: run gridctl keygen first");
		return GM_E_STATE;
	}
	if (store_level(st) != LEVEL_CITY) {
		snprintf(err, errlen, "only a city certifies itself; a %s is enrolled by its parent",
			 level_name(store_level(st)));
		return GM_E_STATE;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.code, sizeof(c.code), "%s", store_code(st));
	c.level = LEVEL_CITY;
	memcpy(c.pk, id->pk, CERT_PK_BYTES);
	c.not_before = now - 60;
	c.not_after = now + (uint64_t)days * 86400u;
	snprintf(c.issuer, sizeof(c.issuer), "%s", c.code);
	gm_buf_init(&b);
	if ((e = sign_cert(id, &c, &b)))
		goto out_free;
	path_of(path, sizeof(path), dir, ID_CERT_FILE);
	if (fileio_write_atomic(path, b.p, b.len, err, errlen)) {
		e = GM_E_IO;
		goto out_free;
	}
	path_of(path, sizeof(path), dir, ID_ROOT_FILE);
	unlink(path);
	if ((e = write_secret(path, id->pk, CERT_PK_BYTES, err, errlen)))
		goto out_free;
	chmod(path, 0644);
	e = record_cert(id, st, &c, b.p, b.len, err, errlen);
out_free:
	gm_buf_free(&b);
	return e;
}

enum gm_err identity_request(struct identity *id, struct store *st, struct gm_buf *out,
			     char *err, size_t errlen)
{
	struct enrol_req r;
	uint8_t sig[CERT_SIG_BYTES];
	if (!id->has_key) {
		snprintf(err, errlen, "no key: run gridctl keygen first");
		return GM_E_STATE;
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.code, sizeof(r.code), "%s", store_code(st));
	r.level = (uint8_t)store_level(st);
	memcpy(r.pk, id->pk, CERT_PK_BYTES);
	if (enrol_req_encode_tbs(&r, out))
		return GM_E_NOMEM;
	crypto_sign_detached(sig, NULL, out->p, out->len, id->sk);
	cert_finish(out, sig);
	return out->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err identity_issue(struct identity *id, struct store *st, const uint8_t *reqb,
			   size_t reqlen, unsigned days, struct gm_buf *pkg, char *err,
			   size_t errlen)
{
	struct enrol_req r;
	struct cert c;
	struct gm_buf cb;
	struct enrol_pkg k;
	uint8_t sealed[STREET_KEY_SEALED_BYTES];
	uint64_t now = hlc_wall_ms() / 1000;
	enum gm_err e;

	if (!identity_enrolled(id)) {
		snprintf(err, errlen, "this node is not enrolled itself yet");
		return GM_E_STATE;
	}
	if ((e = enrol_req_decode(reqb, reqlen, &r))) {
		snprintf(err, errlen, "not an enrolment request (%s)", gm_strerror(e));
		return e;
	}
	if (crypto_sign_verify_detached(r.sig, reqb, r.signed_len, r.pk) != 0) {
		snprintf(err, errlen, "the request's signature does not verify");
		return GM_E_AUTH;
	}
	if (!code_is_parent(store_code(st), r.code) ||
	    r.level != code_level(r.code, strlen(r.code))) {
		snprintf(err, errlen, "%s is not a direct child of %s", r.code, store_code(st));
		return GM_E_SCOPE;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.code, sizeof(c.code), "%s", r.code);
	c.level = r.level;
	memcpy(c.pk, r.pk, CERT_PK_BYTES);
	c.not_before = now - 60;
	c.not_after = now + (uint64_t)days * 86400u;
	snprintf(c.issuer, sizeof(c.issuer), "%s", store_code(st));
	/* the issuer's own certificate never reaches past its validity */
	if (c.not_after > id->cert.not_after)
		c.not_after = id->cert.not_after;
	gm_buf_init(&cb);
	if ((e = sign_cert(id, &c, &cb)))
		goto out_free;
	if ((e = record_cert(id, st, &c, cb.p, cb.len, err, errlen)))
		goto out_free;
	memset(&k, 0, sizeof(k));
	k.cert = cb.p;
	k.certlen = cb.len;
	/* the chain above the child: us, then our ancestors */
	k.chain[k.nchain] = id->cert_bytes;
	k.chainlen[k.nchain++] = id->certlen;
	for (unsigned i = 0; i < id->chain.nchain && k.nchain < CERT_MAX_CHAIN; i++) {
		k.chain[k.nchain] = id->chain.chain[i];
		k.chainlen[k.nchain++] = id->chain.chainlen[i];
	}
	memcpy(k.root_pk, id->root, CERT_PK_BYTES);
	if (store_level(st) == LEVEL_STREET && id->has_street) {
		uint8_t xpk[crypto_box_PUBLICKEYBYTES];
		if (crypto_sign_ed25519_pk_to_curve25519(xpk, r.pk) != 0 ||
		    crypto_box_seal(sealed, id->street, ID_STREET_KEY_BYTES, xpk) != 0) {
			snprintf(err, errlen, "cannot seal the street key to the child's key");
			e = GM_E_AUTH;
			goto out_free;
		}
		k.street_key = sealed;
		k.street_keylen = sizeof(sealed);
	}
	e = enrol_pkg_encode(&k, pkg);
out_free:
	gm_buf_free(&cb);
	return e;
}

enum gm_err identity_install(const char *dir, struct identity *id, struct store *st,
			     const uint8_t *pkgb, size_t len, char *err, size_t errlen)
{
	struct enrol_pkg k;
	struct cert c, up, prev;
	struct gm_buf b;
	char path[1100];
	enum gm_err e;

	if (!id->has_key) {
		snprintf(err, errlen, "no key: run gridctl keygen first");
		return GM_E_STATE;
	}
	if ((e = enrol_pkg_decode(pkgb, len, &k))) {
		snprintf(err, errlen, "not an enrolment package (%s)", gm_strerror(e));
		return e;
	}
	gm_buf_init(&b);
	e = GM_E_AUTH;
	if (cert_decode(k.cert, k.certlen, &c) || strcmp(c.code, store_code(st)) ||
	    memcmp(c.pk, id->pk, CERT_PK_BYTES) || c.level != store_level(st)) {
		snprintf(err, errlen, "the certificate is not for this node's code and key");
		goto out_free;
	}
	if (!k.nchain) {
		snprintf(err, errlen, "the package has no certificate chain");
		goto out_free;
	}
	/* each certificate signed by the next one up; the last one is the root */
	prev = c;
	for (unsigned i = 0; i < k.nchain; i++) {
		if (cert_decode(k.chain[i], k.chainlen[i], &up) || strcmp(prev.issuer, up.code) ||
		    cert_encode_tbs(&prev, &b) ||
		    crypto_sign_verify_detached(prev.sig, b.p, b.len, up.pk) != 0) {
			snprintf(err, errlen, "the certificate of %s does not verify against %s's",
				 prev.code, prev.issuer);
			goto out_free;
		}
		prev = up;
	}
	if (prev.level != LEVEL_CITY || strcmp(prev.issuer, prev.code) ||
	    memcmp(prev.pk, k.root_pk, CERT_PK_BYTES) || cert_encode_tbs(&prev, &b) ||
	    crypto_sign_verify_detached(prev.sig, b.p, b.len, k.root_pk) != 0) {
		snprintf(err, errlen, "the chain does not end at the city's root key");
		goto out_free;
	}
	path_of(path, sizeof(path), dir, ID_CERT_FILE);
	if (fileio_write_atomic(path, k.cert, k.certlen, err, errlen)) {
		e = GM_E_IO;
		goto out_free;
	}
	if ((e = cert_chain_encode(k.chain, k.chainlen, k.nchain, &b)))
		goto out_free;
	path_of(path, sizeof(path), dir, ID_CHAIN_FILE);
	if (fileio_write_atomic(path, b.p, b.len, err, errlen)) {
		e = GM_E_IO;
		goto out_free;
	}
	path_of(path, sizeof(path), dir, ID_PARENT_CERT_FILE);
	if (fileio_write_atomic(path, k.chain[0], k.chainlen[0], err, errlen)) {
		e = GM_E_IO;
		goto out_free;
	}
	path_of(path, sizeof(path), dir, ID_ROOT_FILE);
	if (fileio_write_atomic(path, k.root_pk, CERT_PK_BYTES, err, errlen)) {
		e = GM_E_IO;
		goto out_free;
	}
	path_of(path, sizeof(path), dir, ID_STREET_KEY_FILE);
	if (k.street_key && !file_exists(path)) {
		uint8_t xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES];
		uint8_t key[ID_STREET_KEY_BYTES];
		if (crypto_sign_ed25519_pk_to_curve25519(xpk, id->pk) != 0 ||
		    crypto_sign_ed25519_sk_to_curve25519(xsk, id->sk) != 0 ||
		    crypto_box_seal_open(key, k.street_key, k.street_keylen, xpk, xsk) != 0) {
			sodium_memzero(xsk, sizeof(xsk));
			snprintf(err, errlen, "the street key in the package is not sealed to us");
			e = GM_E_AUTH;
			goto out_free;
		}
		sodium_memzero(xsk, sizeof(xsk));
		e = write_secret(path, key, sizeof(key), err, errlen);
		sodium_memzero(key, sizeof(key));
		if (e)
			goto out_free;
	} else if (store_level(st) == LEVEL_STREET && !file_exists(path)) {
		/* a street makes the key its grids will share for residents' data */
		uint8_t key[ID_STREET_KEY_BYTES];
		randombytes_buf(key, sizeof(key));
		e = write_secret(path, key, sizeof(key), err, errlen);
		sodium_memzero(key, sizeof(key));
		if (e)
			goto out_free;
	}
	e = GM_OK;
out_free:
	gm_buf_free(&b);
	enrol_pkg_free(&k);
	return e;
}

enum gm_err identity_revoke(struct identity *id, struct store *st, const char *code,
			    const char *reason, char *err, size_t errlen)
{
	struct cert c;
	char pkhex[2 * CERT_PK_BYTES + 1];
	const struct table_def *t = schema_table(T_REVOCATION);
	enum gm_err e;
	if (!scope_within(code, strlen(code), store_code(st), strlen(store_code(st))) ||
	    !strcmp(code, store_code(st))) {
		snprintf(err, errlen, "%s is not below %s", code, store_code(st));
		return GM_E_SCOPE;
	}
	if ((e = find_cert(id, st, code, &c))) {
		snprintf(err, errlen, "no certificate of %s here", code);
		return e;
	}
	hex_of(c.pk, CERT_PK_BYTES, pkhex, sizeof(pkhex));
	uint8_t cols[3] = { (uint8_t)schema_col(t, "pubkey", 6), (uint8_t)schema_col(t, "reason", 6),
			    (uint8_t)schema_col(t, "at", 2) };
	struct gm_value vals[3] = { gm_text(pkhex), gm_text(reason ? reason : ""),
				    gm_int((int64_t)(hlc_wall_ms() / 1000)) };
	struct store_write w = { .tab = t, .key = code, .scope = code, .nset = 3, .cols = cols,
				 .vals = vals, .actor = "revocation", .mode = W_UPSERT };
	e = store_begin(st);
	if (!e)
		e = store_put(st, &w, NULL);
	if (!e)
		e = store_commit(st);
	else
		store_rollback(st);
	if (e)
		snprintf(err, errlen, "%s", store_errmsg(st));
	return e;
}

/* ---------------------------------------------------------------- links */

bool identity_link_key(const struct identity *id, const uint8_t peer_pk[CERT_PK_BYTES],
		       bool as_child, uint8_t key[32])
{
	uint8_t xpk[crypto_kx_PUBLICKEYBYTES], xsk[crypto_kx_SECRETKEYBYTES];
	uint8_t ppk[crypto_kx_PUBLICKEYBYTES];
	uint8_t rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
	bool ok = false;
	if (!id->has_key || crypto_sign_ed25519_pk_to_curve25519(xpk, id->pk) != 0 ||
	    crypto_sign_ed25519_sk_to_curve25519(xsk, id->sk) != 0 ||
	    crypto_sign_ed25519_pk_to_curve25519(ppk, peer_pk) != 0)
		goto out;
	/* the child is kx's client: its tx is the parent's rx; that is the PSK */
	if (as_child) {
		if (crypto_kx_client_session_keys(rx, tx, xpk, xsk, ppk) != 0)
			goto out;
		memcpy(key, tx, 32);
	} else {
		if (crypto_kx_server_session_keys(rx, tx, xpk, xsk, ppk) != 0)
			goto out;
		memcpy(key, rx, 32);
	}
	ok = true;
out:
	sodium_memzero(xsk, sizeof(xsk));
	sodium_memzero(rx, sizeof(rx));
	sodium_memzero(tx, sizeof(tx));
	return ok;
}

bool identity_parent_pk(const struct identity *id, uint8_t pk[CERT_PK_BYTES])
{
	struct cert c;
	if (!id->chain.nchain || cert_decode(id->chain.chain[0], id->chain.chainlen[0], &c))
		return false;
	memcpy(pk, c.pk, CERT_PK_BYTES);
	return true;
}
