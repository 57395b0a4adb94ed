/* bundle.c - runs of batches. */
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "bundle.h"
#include "mpscan.h"

static const char magic[] = "gmb";

enum gm_err bundle_encode(struct gm_buf *out, const char *from, int64_t after, int64_t upto,
			  uint32_t n, const uint8_t *const *bodies, const size_t *lens)
{
	msgpack_packer pk;
	if (n > BUNDLE_MAX_BATCHES || strlen(from) >= sizeof(((struct bundle *)0)->from))
		return GM_E_INVAL;
	gm_buf_packer(out, &pk);
	msgpack_pack_array(&pk, 6);
	gm_pack_str(&pk, magic, 3);
	msgpack_pack_uint8(&pk, BUNDLE_VERSION);
	gm_pack_cstr(&pk, from);
	msgpack_pack_int64(&pk, after);
	msgpack_pack_int64(&pk, upto);
	msgpack_pack_array(&pk, n);
	for (uint32_t i = 0; i < n; i++) {
		msgpack_pack_bin(&pk, lens[i]);
		msgpack_pack_bin_body(&pk, bodies[i], lens[i]);
	}
	return out->oom ? GM_E_NOMEM : GM_OK;
}

struct bundle_priv {
	msgpack_unpacked up;
};

static int get_i64(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
		*v = (int64_t)o->via.u64;
		return 1;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return 1;
	}
	return 0;
}

enum gm_err bundle_decode(const uint8_t *p, size_t len, size_t max_len, struct bundle **out)
{
	struct bundle *b;
	struct bundle_priv *pv;
	size_t off = 0;
	enum gm_err e;

	*out = NULL;
	if (len > max_len)
		return GM_E_TOOBIG;
	if ((e = mpscan_check(p, len, 3)))
		return e;
	b = calloc(1, sizeof(*b));
	pv = calloc(1, sizeof(*pv));
	if (!b || !pv) {
		free(b);
		free(pv);
		return GM_E_NOMEM;
	}
	b->priv = pv;
	msgpack_unpacked_init(&pv->up);
	msgpack_unpack_return r = msgpack_unpack_next(&pv->up, (const char *)p, len, &off);
	if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
		e = r == MSGPACK_UNPACK_NOMEM_ERROR ? GM_E_NOMEM : GM_E_MALFORMED;
		goto out_free;
	}
	const msgpack_object *root = &pv->up.data;
	e = GM_E_MALFORMED;
	if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size < 2)
		goto out_free;
	const msgpack_object *a = root->via.array.ptr;
	if (a[0].type != MSGPACK_OBJECT_STR || a[0].via.str.size != 3 ||
	    memcmp(a[0].via.str.ptr, magic, 3) != 0)
		goto out_free;
	if (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		goto out_free;
	if (a[1].via.u64 != BUNDLE_VERSION) {
		e = GM_E_VERSION;
		goto out_free;
	}
	if (root->via.array.size != 6 || a[2].type != MSGPACK_OBJECT_STR ||
	    a[2].via.str.size >= sizeof(b->from) || !get_i64(&a[3], &b->after) ||
	    !get_i64(&a[4], &b->upto) || a[5].type != MSGPACK_OBJECT_ARRAY ||
	    a[5].via.array.size > BUNDLE_MAX_BATCHES || b->upto < b->after)
		goto out_free;
	memcpy(b->from, a[2].via.str.ptr, a[2].via.str.size);
	b->from[a[2].via.str.size] = 0;
	b->n = a[5].via.array.size;
	b->body = calloc(b->n ? b->n : 1, sizeof(*b->body));
	b->len = calloc(b->n ? b->n : 1, sizeof(*b->len));
	if (!b->body || !b->len) {
		e = GM_E_NOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < b->n; i++) {
		const msgpack_object *o = &a[5].via.array.ptr[i];
		if (o->type != MSGPACK_OBJECT_BIN || !o->via.bin.size)
			goto out_free;
		b->body[i] = (const uint8_t *)o->via.bin.ptr;
		b->len[i] = o->via.bin.size;
	}
	*out = b;
	return GM_OK;
out_free:
	bundle_free(b);
	return e;
}

void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	struct bundle_priv *pv = b->priv;
	if (pv) {
		msgpack_unpacked_destroy(&pv->up);
		free(pv);
	}
	free(b->body);
	free(b->len);
	free(b);
}
