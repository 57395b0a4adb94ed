/*
 * value.h - the four kinds of field value gridmesh replicates.
 *
 * A gm_value never owns its text: `s` points into memory owned by whoever
 * built the value (a decoded batch, a statement row, a caller's string).
 * TEXT is UTF-8 and not NUL-terminated on the wire; use `len`.
 */
#ifndef GM_VALUE_H
#define GM_VALUE_H

#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <msgpack.h>

enum gm_vtype { GM_NIL = 0, GM_INT = 1, GM_REAL = 2, GM_TEXT = 3 };

struct gm_value {
	uint8_t type;
	uint32_t len;          /* TEXT only */
	union {
		int64_t i;
		double d;
		const char *s;
	};
};

static inline struct gm_value gm_nil(void)
{
	struct gm_value v = { .type = GM_NIL };
	return v;
}

static inline struct gm_value gm_int(int64_t i)
{
	struct gm_value v = { .type = GM_INT, .i = i };
	return v;
}

static inline struct gm_value gm_real(double d)
{
	struct gm_value v = { .type = GM_REAL, .d = d };
	return v;
}

static inline struct gm_value gm_text(const char *s)
{
	struct gm_value v = { .type = GM_TEXT, .len = s ? (uint32_t)strlen(s) : 0, .s = s };
	if (!s)
		v.type = GM_NIL;
	return v;
}

static inline struct gm_value gm_textn(const char *s, uint32_t len)
{
	struct gm_value v = { .type = GM_TEXT, .len = len, .s = s };
	return v;
}

/* Same type and same bytes; REAL compares bit patterns so NaN == NaN. */
bool gm_value_eq(const struct gm_value *a, const struct gm_value *b);

/* Packs v as msgpack: int64, float64, str or nil.  The one encoding of a
 * value in batches, change-log entries and digests. */
void gm_pack_value(msgpack_packer *pk, const struct gm_value *v);

#endif
