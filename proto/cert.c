/* cert.c - certificates and enrolment messages. */
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "cert.h"
#include "mpscan.h"

static void pack_bin(msgpack_packer *pk, const void *p, size_t n)
{
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, p, n);
}

enum gm_err cert_encode_tbs(const struct cert *c, struct gm_buf *out)
{
	msgpack_packer pk;
	gm_buf_reset(out);
	gm_buf_packer(out, &pk);
	msgpack_pack_array(&pk, 8);
	msgpack_pack_uint8(&pk, CERT_VERSION);
	gm_pack_cstr(&pk, c->code);
	msgpack_pack_uint8(&pk, c->level);
	pack_bin(&pk, c->pk, CERT_PK_BYTES);
	msgpack_pack_uint64(&pk, c->not_before);
	msgpack_pack_uint64(&pk, c->not_after);
	gm_pack_cstr(&pk, c->issuer);
	return out->oom ? GM_E_NOMEM : GM_OK;
}

void cert_finish(struct gm_buf *out, const uint8_t sig[CERT_SIG_BYTES])
{
	msgpack_packer pk;
	gm_buf_packer(out, &pk);
	pack_bin(&pk, sig, CERT_SIG_BYTES);
}

/* Unpacks an array of nmin to nmax elements led by our version into *up. */
static enum gm_err open_arr(const uint8_t *p, size_t len, uint32_t nmin, uint32_t nmax,
			    msgpack_unpacked *up, const msgpack_object **a)
{
	size_t off = 0;
	enum gm_err e;
	if (len > 4096)
		return GM_E_TOOBIG;
	if ((e = mpscan_check(p, len, 2)))
		return e;
	msgpack_unpacked_init(up);
	if (msgpack_unpack_next(up, (const char *)p, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || up->data.type != MSGPACK_OBJECT_ARRAY || up->data.via.array.size < 1 ||
	    up->data.via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		msgpack_unpacked_destroy(up);
		return GM_E_MALFORMED;
	}
	*a = up->data.via.array.ptr;
	if ((*a)[0].via.u64 != CERT_VERSION) {
		msgpack_unpacked_destroy(up);
		return GM_E_VERSION;
	}
	if (up->data.via.array.size < nmin || up->data.via.array.size > nmax) {
		msgpack_unpacked_destroy(up);
		return GM_E_MALFORMED;
	}
	return GM_OK;
}

static bool get_code(const msgpack_object *o, char out[16])
{
	/* a NUL inside would make the code read shorter than what was signed */
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 || o->via.str.size > 15 ||
	    memchr(o->via.str.ptr, 0, o->via.str.size))
		return false;
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = 0;
	return true;
}

static bool get_bin(const msgpack_object *o, uint8_t *out, size_t n)
{
	if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
		return false;
	memcpy(out, o->via.bin.ptr, n);
	return true;
}

static bool get_u64(const msgpack_object *o, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return false;
	*v = o->via.u64;
	return true;
}

/* The sig is the trailing bin 64: the signed part is everything before it. */
static bool trailing_sig(const uint8_t *p, size_t len, size_t *signed_len)
{
	if (len < CERT_SIG_BYTES + 2 || p[len - CERT_SIG_BYTES - 2] != 0xc4 ||
	    p[len - CERT_SIG_BYTES - 1] != CERT_SIG_BYTES)
		return false;
	*signed_len = len - CERT_SIG_BYTES - 2;
	return true;
}

/*
 * The signed part p[0, len) is what our encoder writes for the decoded
 * fields (takes tbs, which the caller encoded).  Verifiers re-encode a
 * certificate to check its signature: any other encoding of the same
 * fields (an int32 for a uint32, a str16 for a fixstr) would be a
 * certificate that can never verify, or two byte strings for one.
 */
static bool canonical(struct gm_buf *tbs, enum gm_err encoded, const uint8_t *p, size_t len)
{
	bool ok = encoded == GM_OK && tbs->len == len && !memcmp(tbs->p, p, len);
	gm_buf_free(tbs);
	return ok;
}

enum gm_err cert_decode(const uint8_t *p, size_t len, struct cert *c)
{
	msgpack_unpacked up;
	const msgpack_object *a;
	struct gm_buf tbs;
	uint64_t v;
	enum gm_err e = open_arr(p, len, 8, 8, &up, &a);
	if (e)
		return e;
	memset(c, 0, sizeof(*c));
	e = GM_E_MALFORMED;
	if (!get_code(&a[1], c->code) || !get_u64(&a[2], &v) || v > 4)
		goto out;
	c->level = (uint8_t)v;
	if (!get_bin(&a[3], c->pk, CERT_PK_BYTES) || !get_u64(&a[4], &c->not_before) ||
	    !get_u64(&a[5], &c->not_after) || !get_code(&a[6], c->issuer) ||
	    !get_bin(&a[7], c->sig, CERT_SIG_BYTES) || !trailing_sig(p, len, &c->signed_len) ||
	    c->not_after < c->not_before)
		goto out;
	gm_buf_init(&tbs);
	if (!canonical(&tbs, cert_encode_tbs(c, &tbs), p, c->signed_len))
		goto out;
	e = GM_OK;
out:
	msgpack_unpacked_destroy(&up);
	return e;
}

enum gm_err enrol_req_encode_tbs(const struct enrol_req *r, struct gm_buf *out)
{
	msgpack_packer pk;
	gm_buf_reset(out);
	gm_buf_packer(out, &pk);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, CERT_VERSION);
	gm_pack_cstr(&pk, r->code);
	msgpack_pack_uint8(&pk, r->level);
	pack_bin(&pk, r->pk, CERT_PK_BYTES);
	return out->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err enrol_req_decode(const uint8_t *p, size_t len, struct enrol_req *r)
{
	msgpack_unpacked up;
	const msgpack_object *a;
	uint64_t v;
	enum gm_err e = open_arr(p, len, 5, 5, &up, &a);
	if (e)
		return e;
	memset(r, 0, sizeof(*r));
	e = GM_E_MALFORMED;
	if (get_code(&a[1], r->code) && get_u64(&a[2], &v) && v <= 4 &&
	    get_bin(&a[3], r->pk, CERT_PK_BYTES) && get_bin(&a[4], r->sig, CERT_SIG_BYTES) &&
	    trailing_sig(p, len, &r->signed_len)) {
		struct gm_buf tbs;
		r->level = (uint8_t)v;
		gm_buf_init(&tbs);
		if (canonical(&tbs, enrol_req_encode_tbs(r, &tbs), p, r->signed_len))
			e = GM_OK;
	}
	msgpack_unpacked_destroy(&up);
	return e;
}

enum gm_err enrol_pkg_encode(const struct enrol_pkg *k, struct gm_buf *out)
{
	msgpack_packer pk;
	gm_buf_reset(out);
	gm_buf_packer(out, &pk);
	msgpack_pack_array(&pk, k->replaces ? 6 : 5);
	msgpack_pack_uint8(&pk, CERT_VERSION);
	pack_bin(&pk, k->cert, k->certlen);
	msgpack_pack_array(&pk, k->nchain);
	for (unsigned i = 0; i < k->nchain; i++)
		pack_bin(&pk, k->chain[i], k->chainlen[i]);
	pack_bin(&pk, k->root_pk, CERT_PK_BYTES);
	if (k->street_key)
		pack_bin(&pk, k->street_key, k->street_keylen);
	else
		msgpack_pack_nil(&pk);
	if (k->replaces)
		pack_bin(&pk, k->replaces, CERT_PK_BYTES);
	return out->oom ? GM_E_NOMEM : GM_OK;
}

static bool chain_from(const msgpack_object *o, struct enrol_pkg *k)
{
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > CERT_MAX_CHAIN)
		return false;
	k->nchain = o->via.array.size;
	for (unsigned i = 0; i < k->nchain; i++) {
		const msgpack_object *c = &o->via.array.ptr[i];
		if (c->type != MSGPACK_OBJECT_BIN || !c->via.bin.size ||
		    c->via.bin.size > CERT_MAX_BYTES)
			return false;
		k->chain[i] = (const uint8_t *)c->via.bin.ptr;
		k->chainlen[i] = c->via.bin.size;
	}
	return true;
}

enum gm_err cert_chain_encode(const uint8_t *const *certs, const size_t *lens, unsigned n,
			      struct gm_buf *out)
{
	msgpack_packer pk;
	if (n > CERT_MAX_CHAIN)
		return GM_E_INVAL;
	gm_buf_reset(out);
	gm_buf_packer(out, &pk);
	msgpack_pack_array(&pk, n);
	for (unsigned i = 0; i < n; i++)
		pack_bin(&pk, certs[i], lens[i]);
	return out->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err cert_chain_decode(const uint8_t *p, size_t len, struct enrol_pkg *k)
{
	msgpack_unpacked *up = malloc(sizeof(*up));
	size_t off = 0;
	enum gm_err e;
	memset(k, 0, sizeof(*k));
	if (!up)
		return GM_E_NOMEM;
	if (len > 4096) {
		free(up);
		return GM_E_TOOBIG;
	}
	if ((e = mpscan_check(p, len, 2))) {
		free(up);
		return e;
	}
	msgpack_unpacked_init(up);
	if (msgpack_unpack_next(up, (const char *)p, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || !chain_from(&up->data, k)) {
		msgpack_unpacked_destroy(up);
		free(up);
		return GM_E_MALFORMED;
	}
	k->priv = up;
	return GM_OK;
}

enum gm_err enrol_pkg_decode(const uint8_t *p, size_t len, struct enrol_pkg *k)
{
	msgpack_unpacked *up = malloc(sizeof(*up));
	const msgpack_object *a;
	enum gm_err e;
	memset(k, 0, sizeof(*k));
	if (!up)
		return GM_E_NOMEM;
	if ((e = open_arr(p, len, 5, 6, up, &a))) {
		free(up);
		return e;
	}
	e = GM_E_MALFORMED;
	if (a[1].type != MSGPACK_OBJECT_BIN || a[1].via.bin.size > CERT_MAX_BYTES ||
	    !chain_from(&a[2], k) || !get_bin(&a[3], k->root_pk, CERT_PK_BYTES))
		goto out_fail;
	k->cert = (const uint8_t *)a[1].via.bin.ptr;
	k->certlen = a[1].via.bin.size;
	if (a[4].type == MSGPACK_OBJECT_BIN && a[4].via.bin.size == STREET_KEY_SEALED_BYTES) {
		k->street_key = (const uint8_t *)a[4].via.bin.ptr;
		k->street_keylen = a[4].via.bin.size;
	} else if (a[4].type != MSGPACK_OBJECT_NIL) {
		goto out_fail;
	}
	if (up->data.via.array.size == 6) {
		if (a[5].type != MSGPACK_OBJECT_BIN || a[5].via.bin.size != CERT_PK_BYTES)
			goto out_fail;
		k->replaces = (const uint8_t *)a[5].via.bin.ptr;
	}
	k->priv = up;
	return GM_OK;
out_fail:
	msgpack_unpacked_destroy(up);
	free(up);
	return e;
}

void enrol_pkg_free(struct enrol_pkg *k)
{
	if (k->priv) {
		msgpack_unpacked_destroy(k->priv);
		free(k->priv);
	}
	memset(k, 0, sizeof(*k));
}
