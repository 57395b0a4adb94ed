/* identity.c - key files, enrolment, revocation, signing, link keys (checks: trust.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "identity_int.h"
#include "fileio.h"

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

/* ------------------------------------------------------------- signing */

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

/* One certificate record (node_cert or node_key: the same columns, vals
 * in their order) inside the caller's transaction. */
static enum gm_err put_cert_rec(struct store *st, enum table_id tid, const char *key,
				const char *scope, const struct gm_value *vals)
{
	static const char *const names[] = { "level", "pubkey", "not_before", "not_after",
					     "issuer", "cert" };
	const struct table_def *t = schema_table(tid);
	uint8_t cols[6];
	for (int i = 0; i < 6; i++)
		cols[i] = (uint8_t)schema_col(t, names[i], strlen(names[i]));
	struct store_write w = { .tab = t, .key = key, .scope = scope, .nset = 6, .cols = cols,
				 .vals = vals, .actor = "enrolment", .mode = W_UPSERT };
	return store_put(st, &w, NULL);
}

/*
 * Records a certificate as replicated records, in one transaction: a
 * node_key record (every key the code ever had) and node_cert (its
 * current one).  `earlier` is the code's node_cert record this one
 * replaces, or NULL; it is kept as a node_key record too if it has none
 * (issued by a release that kept no keys).
 */
static enum gm_err record_cert(struct store *st, const struct cert *c, const uint8_t *bytes,
			       size_t len, const struct store_rec *earlier, char *err,
			       size_t errlen)
{
	char pkhex[2 * CERT_PK_BYTES + 1], certhex[2 * CERT_MAX_BYTES + 1];
	char kid[IDENTITY_KEY_ID_LEN];
	struct gm_value vals[6];
	hex_of(c->pk, CERT_PK_BYTES, pkhex, sizeof(pkhex));
	hex_of(bytes, len, certhex, sizeof(certhex));
	vals[0] = gm_int(c->level);
	vals[1] = gm_text(pkhex);
	vals[2] = gm_int((int64_t)c->not_before);
	vals[3] = gm_int((int64_t)c->not_after);
	vals[4] = gm_text(c->issuer);
	vals[5] = gm_text(certhex);
	enum gm_err e = store_begin(st);
	struct cert ec;
	if (!e && earlier && trust_cert_of_rec(earlier, c->code, &ec) == GM_OK) {
		struct store_rec kr;
		identity_key_id(c->code, ec.pk, kid);
		store_rec_init(&kr);
		if (store_load(st, schema_table(T_NODE_KEY), kid, 0, &kr) == GM_E_NOTFOUND)
			e = put_cert_rec(st, T_NODE_KEY, kid, c->code, earlier->vals);
		store_rec_free(&kr);
	}
	identity_key_id(c->code, c->pk, kid);
	if (!e)
		e = put_cert_rec(st, T_NODE_KEY, kid, c->code, vals);
	if (!e)
		e = put_cert_rec(st, T_NODE_CERT, c->code, c->code, vals);
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
	e = record_cert(st, &c, b.p, b.len, NULL, err, errlen);
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
	struct store_rec prev;
	uint8_t sealed[STREET_KEY_SEALED_BYTES], old[CERT_PK_BYTES];
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
	store_rec_init(&prev);
	if ((e = sign_cert(id, &c, &cb)))
		goto out_free;
	/* a replacement: we hold a certificate of this code with another key */
	bool replaces = false, had = false;
	struct cert pc;
	if (store_load(st, schema_table(T_NODE_CERT), r.code, 0, &prev) == GM_OK &&
	    clk_zero(prev.del) && trust_cert_of_rec(&prev, r.code, &pc) == GM_OK) {
		had = true;
		replaces = memcmp(pc.pk, r.pk, CERT_PK_BYTES) != 0;
		memcpy(old, pc.pk, CERT_PK_BYTES);
	} else {
		struct trust_keys ks;
		trust_keys_of(st, r.code, &ks);
		for (unsigned i = 0; i < ks.n; i++)
			if (memcmp(ks.c[i].pk, r.pk, CERT_PK_BYTES)) {
				replaces = true;
				memcpy(old, ks.c[i].pk, CERT_PK_BYTES);
			}
	}
	if ((e = record_cert(st, &c, cb.p, cb.len, replaces && had ? &prev : NULL, err, errlen)))
		goto out_free;
	memset(&k, 0, sizeof(k));
	k.cert = cb.p;
	k.certlen = cb.len;
	k.replaces = replaces ? old : NULL;
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
	store_rec_free(&prev);
	gm_buf_free(&cb);
	return e;
}

/*
 * What an installed package changes in the store.  A replacement (the
 * parent held another key for our code) reclaims: the parent sends back
 * the code's own batches, and no new record id is issued until then
 * (recid.h), so none repeats one the earlier key's device issued.  A
 * parent with another key than before may be a rebuilt store whose log
 * our cursors do not point into: both start over (duplicates are skipped
 * by hash).
 */
static enum gm_err after_install(struct store *st, const struct enrol_pkg *k,
				 const uint8_t *old_parent, struct id_install *res, char *err,
				 size_t errlen)
{
	struct cert parent;
	enum gm_err e = GM_OK;
	if (old_parent && cert_decode(k->chain[0], k->chainlen[0], &parent) == GM_OK &&
	    memcmp(parent.pk, old_parent, CERT_PK_BYTES)) {
		if (!(e = store_meta_set_int(st, "up_cursor", 0)))
			e = store_meta_set_int(st, "down_cursor", 0);
		if (res)
			res->parent_changed = true;
	}
	if (!e && k->replaces) {
		if (!(e = store_meta_set_int(st, "reclaim", 1)))
			e = store_meta_set_int(st, "rekeyed_at", (int64_t)(hlc_wall_ms() / 1000));
		if (res) {
			res->replaces = true;
			memcpy(res->replaced, k->replaces, CERT_PK_BYTES);
		}
	}
	if (e)
		snprintf(err, errlen, "installed, but the store could not be marked: %s",
			 store_errmsg(st));
	return e;
}

enum gm_err identity_install(const char *dir, struct identity *id, struct store *st,
			     const uint8_t *pkgb, size_t len, struct id_install *res, char *err,
			     size_t errlen)
{
	struct enrol_pkg k;
	struct cert c, up, prev;
	struct gm_buf b;
	char path[1100];
	uint8_t old_parent[CERT_PK_BYTES];
	bool had_parent = identity_parent_pk(id, old_parent);
	enum gm_err e;

	if (res)
		memset(res, 0, sizeof(*res));
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
	e = after_install(st, &k, had_parent ? old_parent : NULL, res, err, errlen);
out_free:
	gm_buf_free(&b);
	enrol_pkg_free(&k);
	return e;
}

/* The certificate of `code` whose key starts with hex `prefix`: the current one or a kept one. */
static enum gm_err key_by_prefix(struct identity *id, struct store *st, const char *code,
				 const char *prefix, struct cert *out, char *err, size_t errlen)
{
	struct trust_keys ks;
	struct cert cur;
	char hex[2 * CERT_PK_BYTES + 1];
	size_t n = strlen(prefix);
	unsigned found = 0;
	if (n < IDENTITY_KEY_PREFIX_HEX || n > 2 * CERT_PK_BYTES ||
	    strspn(prefix, "0123456789abcdefABCDEF") != n) {
		snprintf(err, errlen, "'%s' is not a key: give at least its first %d hex digits",
			 prefix, IDENTITY_KEY_PREFIX_HEX);
		return GM_E_INVAL;
	}
	trust_keys_of(st, code, &ks);
	if (trust_find_cert(id, st, code, &cur) == GM_OK && ks.n < TRUST_MAX_KEYS)
		ks.c[ks.n++] = cur;
	for (unsigned i = 0; i < ks.n; i++) {
		hex_of(ks.c[i].pk, CERT_PK_BYTES, hex, sizeof(hex));
		if (strncasecmp(hex, prefix, n))
			continue;
		if (found && memcmp(out->pk, ks.c[i].pk, CERT_PK_BYTES)) {
			snprintf(err, errlen, "more than one key of %s starts with %s", code, prefix);
			return GM_E_INVAL;
		}
		*out = ks.c[i];
		found++;
	}
	if (!found) {
		snprintf(err, errlen, "no key %s of %s here", prefix, code);
		return GM_E_NOTFOUND;
	}
	return GM_OK;
}

enum gm_err identity_revoke(struct identity *id, struct store *st, const char *code,
			    struct id_revocation *rv, char *err, size_t errlen)
{
	struct cert c;
	char pkhex[2 * CERT_PK_BYTES + 1], kid[IDENTITY_KEY_ID_LEN];
	const struct table_def *t = schema_table(T_REVOCATION);
	int64_t now = (int64_t)(hlc_wall_ms() / 1000);
	enum gm_err e;
	if (!scope_within(code, strlen(code), store_code(st), strlen(store_code(st))) ||
	    !strcmp(code, store_code(st))) {
		snprintf(err, errlen, "%s is not below %s", code, store_code(st));
		return GM_E_SCOPE;
	}
	if (rv->from < 0 || rv->from > now) {
		snprintf(err, errlen, "a revocation takes effect now or earlier, not in the future");
		return GM_E_INVAL;
	}
	if (rv->key) {
		if ((e = key_by_prefix(id, st, code, rv->key, &c, err, errlen)))
			return e;
	} else if ((e = trust_find_cert(id, st, code, &c))) {
		snprintf(err, errlen, "no certificate of %s here", code);
		return e;
	}
	memcpy(rv->pk, c.pk, CERT_PK_BYTES);
	rv->at = rv->from ? rv->from : now;
	/* revoking again may move the time earlier, never later */
	int64_t before = identity_revoked_at(st, code, c.pk, NULL, 0);
	if (before && before < rv->at)
		rv->at = before;
	hex_of(c.pk, CERT_PK_BYTES, pkhex, sizeof(pkhex));
	identity_key_id(code, c.pk, kid);
	uint8_t cols[3] = { (uint8_t)schema_col(t, "pubkey", 6), (uint8_t)schema_col(t, "reason", 6),
			    (uint8_t)schema_col(t, "at", 2) };
	struct gm_value vals[3] = { gm_text(pkhex), gm_text(rv->reason ? rv->reason : ""),
				    gm_int(rv->at) };
	/* one record per key; and the one per code that earlier releases read */
	struct store_write w = { .tab = t, .key = kid, .scope = code, .nset = 3, .cols = cols,
				 .vals = vals, .actor = "revocation", .mode = W_UPSERT };
	e = store_begin(st);
	if (!e)
		e = store_put(st, &w, NULL);
	w.key = code;
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
