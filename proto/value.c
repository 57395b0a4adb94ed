/* value.c - comparisons and the msgpack form of field values. */
#include <string.h>
#include "buf.h"
#include "value.h"

bool gm_value_eq(const struct gm_value *a, const struct gm_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case GM_NIL:
		return true;
	case GM_INT:
		return a->i == b->i;
	case GM_REAL:
		return memcmp(&a->d, &b->d, sizeof(double)) == 0;
	case GM_TEXT:
		return a->len == b->len && (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
	}
	return false;
}

void gm_pack_value(msgpack_packer *pk, const struct gm_value *v)
{
	switch (v->type) {
	case GM_INT:
		msgpack_pack_int64(pk, v->i);
		break;
	case GM_REAL:
		msgpack_pack_double(pk, v->d);
		break;
	case GM_TEXT:
		gm_pack_str(pk, v->s, v->len);
		break;
	default:
		msgpack_pack_nil(pk);
		break;
	}
}
