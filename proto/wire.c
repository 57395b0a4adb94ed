/* wire.c - small sync protocol messages. */
#include <string.h>
#include <msgpack.h>
#include "wire.h"
#include "mpscan.h"

/* Unpacks `p` as an array of exactly `n` elements led by WIRE_VERSION. */
static enum gm_err open_msg(const uint8_t *p, size_t len, uint32_t n, msgpack_unpacked *up,
			    const msgpack_object **a)
{
	size_t off = 0;
	enum gm_err e = mpscan_check(p, len, 2);
	if (e)
		return e;
	msgpack_unpacked_init(up);
	if (msgpack_unpack_next(up, (const char *)p, len, &off) != MSGPACK_UNPACK_SUCCESS ||
	    off != len || up->data.type != MSGPACK_OBJECT_ARRAY || up->data.via.array.size < 1) {
		msgpack_unpacked_destroy(up);
		return GM_E_MALFORMED;
	}
	*a = up->data.via.array.ptr;
	if ((*a)[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
		msgpack_unpacked_destroy(up);
		return GM_E_MALFORMED;
	}
	if ((*a)[0].via.u64 != WIRE_VERSION) {
		msgpack_unpacked_destroy(up);
		return GM_E_VERSION;
	}
	if (up->data.via.array.size != n) {
		msgpack_unpacked_destroy(up);
		return GM_E_MALFORMED;
	}
	return GM_OK;
}

static bool str_into(const msgpack_object *o, char *dst, size_t cap)
{
	/* a NUL inside would end the C string early: another code than sent */
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size >= cap ||
	    (o->via.str.size && memchr(o->via.str.ptr, 0, o->via.str.size)))
		return false;
	/* an empty string may come with no pointer at all */
	if (o->via.str.size)
		memcpy(dst, o->via.str.ptr, o->via.str.size);
	dst[o->via.str.size] = 0;
	return true;
}

static bool u64_of(const msgpack_object *o, uint64_t max, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return false;
	*v = o->via.u64;
	return true;
}

enum gm_err wire_reg_encode(struct gm_buf *b, const struct wire_reg *r)
{
	msgpack_packer pk;
	gm_buf_packer(b, &pk);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, WIRE_VERSION);
	gm_pack_cstr(&pk, r->code);
	msgpack_pack_uint8(&pk, r->level);
	gm_pack_cstr(&pk, r->version);
	msgpack_pack_uint32(&pk, r->lifetime);
	return b->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err wire_reg_decode(const uint8_t *p, size_t len, struct wire_reg *r)
{
	msgpack_unpacked up;
	const msgpack_object *a;
	uint64_t v;
	enum gm_err e = open_msg(p, len, 5, &up, &a);
	if (e)
		return e;
	memset(r, 0, sizeof(*r));
	e = GM_E_MALFORMED;
	if (!str_into(&a[1], r->code, sizeof(r->code)) || !u64_of(&a[2], 255, &v))
		goto out;
	r->level = (uint8_t)v;
	if (!str_into(&a[3], r->version, sizeof(r->version)) || !u64_of(&a[4], UINT32_MAX, &v))
		goto out;
	r->lifetime = (uint32_t)v;
	e = GM_OK;
out:
	msgpack_unpacked_destroy(&up);
	return e;
}

enum gm_err wire_hello_encode(struct gm_buf *b, const struct wire_hello *h)
{
	msgpack_packer pk;
	gm_buf_packer(b, &pk);
	msgpack_pack_array(&pk, 5);
	msgpack_pack_uint8(&pk, WIRE_VERSION);
	gm_pack_cstr(&pk, h->code);
	msgpack_pack_uint64(&pk, h->boot);
	msgpack_pack_int64(&pk, h->head);
	msgpack_pack_int64(&pk, h->log_head);
	return b->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err wire_hello_decode(const uint8_t *p, size_t len, struct wire_hello *h)
{
	msgpack_unpacked up;
	const msgpack_object *a;
	uint64_t v;
	enum gm_err e = open_msg(p, len, 5, &up, &a);
	if (e)
		return e;
	memset(h, 0, sizeof(*h));
	e = GM_E_MALFORMED;
	if (!str_into(&a[1], h->code, sizeof(h->code)) || !u64_of(&a[2], UINT64_MAX, &h->boot) ||
	    !u64_of(&a[3], INT64_MAX, &v))
		goto out;
	h->head = (int64_t)v;
	if (!u64_of(&a[4], INT64_MAX, &v) || (int64_t)v < h->head)
		goto out;
	h->log_head = (int64_t)v;
	e = GM_OK;
out:
	msgpack_unpacked_destroy(&up);
	return e;
}

enum gm_err wire_ack_encode(struct gm_buf *b, const struct wire_ack *a)
{
	msgpack_packer pk;
	gm_buf_packer(b, &pk);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint8(&pk, WIRE_VERSION);
	msgpack_pack_int64(&pk, a->acked);
	msgpack_pack_uint32(&pk, a->applied);
	msgpack_pack_uint32(&pk, a->refused);
	return b->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err wire_ack_decode(const uint8_t *p, size_t len, struct wire_ack *ack)
{
	msgpack_unpacked up;
	const msgpack_object *a;
	uint64_t v1, v2, v3;
	enum gm_err e = open_msg(p, len, 4, &up, &a);
	if (e)
		return e;
	memset(ack, 0, sizeof(*ack));
	e = GM_E_MALFORMED;
	/* acked is -1 when the parent refused a batch (and then only -1) */
	bool refused = a[1].type == MSGPACK_OBJECT_NEGATIVE_INTEGER && a[1].via.i64 == -1;
	if ((refused || u64_of(&a[1], INT64_MAX, &v1)) && u64_of(&a[2], UINT32_MAX, &v2) &&
	    u64_of(&a[3], UINT32_MAX, &v3)) {
		ack->acked = refused ? -1 : (int64_t)v1;
		ack->applied = (uint32_t)v2;
		ack->refused = (uint32_t)v3;
		e = GM_OK;
	}
	msgpack_unpacked_destroy(&up);
	return e;
}

enum gm_err wire_blob_encode(struct gm_buf *b, const struct wire_blob *w)
{
	msgpack_packer pk;
	gm_buf_packer(b, &pk);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint8(&pk, WIRE_VERSION);
	msgpack_pack_uint64(&pk, w->have);
	if (w->complete)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	return b->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err wire_blob_decode(const uint8_t *p, size_t len, struct wire_blob *w)
{
	msgpack_unpacked up;
	const msgpack_object *a;
	enum gm_err e = open_msg(p, len, 3, &up, &a);
	if (e)
		return e;
	e = GM_E_MALFORMED;
	if (u64_of(&a[1], UINT64_MAX, &w->have) && a[2].type == MSGPACK_OBJECT_BOOLEAN) {
		w->complete = a[2].via.boolean;
		e = GM_OK;
	}
	msgpack_unpacked_destroy(&up);
	return e;
}
