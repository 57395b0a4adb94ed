/*
 * mpw.h - a msgpack writer for the store's hot paths.
 *
 * msgpack-c's packer calls its write callback once per element (a function
 * pointer, a buffer reserve and a memcpy for every byte of a small
 * integer); the change log packs a dozen elements per change, so that was
 * a tenth of a local write.  These helpers write into memory the caller
 * has reserved (the MPW_MAX_* sizes bound each element) and return where
 * the next element goes.
 *
 * They produce exactly the bytes msgpack-c's packer produces for the same
 * calls (its shortest forms: msgpack_pack_uint64/int64, array, str, bin,
 * nil, double), so entries written either way read back the same and
 * nothing stored changes (tests/unit/test_mpw.c compares the two).
 */
#ifndef GM_MPW_H
#define GM_MPW_H

#include <stdint.h>
#include <string.h>
#include "buf.h"
#include "value.h"

#define MPW_MAX_INT 9      /* any integer */
#define MPW_MAX_HEAD 5     /* array, str or bin header */
#define MPW_MAX_DOUBLE 9

static inline uint8_t *mpw_be(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
	return p + n;
}

static inline uint8_t *mpw_uint(uint8_t *p, uint64_t v)
{
	if (v < 0x80) {
		*p = (uint8_t)v;
		return p + 1;
	}
	if (v < 0x100) {
		*p = 0xcc;
		return mpw_be(p + 1, v, 1);
	}
	if (v < 0x10000) {
		*p = 0xcd;
		return mpw_be(p + 1, v, 2);
	}
	if (v < 0x100000000ull) {
		*p = 0xce;
		return mpw_be(p + 1, v, 4);
	}
	*p = 0xcf;
	return mpw_be(p + 1, v, 8);
}

static inline uint8_t *mpw_int(uint8_t *p, int64_t v)
{
	if (v >= 0)
		return mpw_uint(p, (uint64_t)v);
	if (v >= -32) {
		*p = (uint8_t)v;   /* negative fixint */
		return p + 1;
	}
	if (v >= -128) {
		*p = 0xd0;
		return mpw_be(p + 1, (uint64_t)v, 1);
	}
	if (v >= -32768) {
		*p = 0xd1;
		return mpw_be(p + 1, (uint64_t)v, 2);
	}
	if (v >= INT32_MIN) {
		*p = 0xd2;
		return mpw_be(p + 1, (uint64_t)v, 4);
	}
	*p = 0xd3;
	return mpw_be(p + 1, (uint64_t)v, 8);
}

static inline uint8_t *mpw_nil(uint8_t *p)
{
	*p = 0xc0;
	return p + 1;
}

static inline uint8_t *mpw_array(uint8_t *p, uint32_t n)
{
	if (n < 16) {
		*p = (uint8_t)(0x90 | n);
		return p + 1;
	}
	if (n < 0x10000) {
		*p = 0xdc;
		return mpw_be(p + 1, n, 2);
	}
	*p = 0xdd;
	return mpw_be(p + 1, n, 4);
}

/* A length header of code c8, c8 + 1 or c8 + 2 (8, 16 or 32 bits: str
 * and bin number them alike), then the bytes. */
static inline uint8_t *mpw_sized(uint8_t *p, const void *s, uint32_t len, uint8_t c8)
{
	if (len < 0x100) {
		*p = c8;
		p = mpw_be(p + 1, len, 1);
	} else if (len < 0x10000) {
		*p = (uint8_t)(c8 + 1);
		p = mpw_be(p + 1, len, 2);
	} else {
		*p = (uint8_t)(c8 + 2);
		p = mpw_be(p + 1, len, 4);
	}
	if (len)
		memcpy(p, s, len);
	return p + len;
}

/* A str header and its bytes (room: MPW_MAX_HEAD + len). */
static inline uint8_t *mpw_str(uint8_t *p, const void *s, uint32_t len)
{
	if (len >= 32)
		return mpw_sized(p, s, len, 0xd9);
	*p++ = (uint8_t)(0xa0 | len);
	if (len)
		memcpy(p, s, len);
	return p + len;
}

/* A bin header and its bytes (room: MPW_MAX_HEAD + len). */
static inline uint8_t *mpw_bin(uint8_t *p, const void *s, uint32_t len)
{
	return mpw_sized(p, s, len, 0xc4);
}

static inline uint8_t *mpw_double(uint8_t *p, double d)
{
	uint64_t v;
	memcpy(&v, &d, sizeof(v));
	*p = 0xcb;
	return mpw_be(p + 1, v, 8);
}

/* Room a field value takes at most. */
static inline size_t mpw_value_max(const struct gm_value *v)
{
	return v->type == GM_TEXT ? MPW_MAX_HEAD + (size_t)v->len : MPW_MAX_INT;
}

/* A field value as the change log and batches store it: int, double,
 * str or nil. */
static inline uint8_t *mpw_value(uint8_t *p, const struct gm_value *v)
{
	switch (v->type) {
	case GM_INT:
		return mpw_int(p, v->i);
	case GM_REAL:
		return mpw_double(p, v->d);
	case GM_TEXT:
		return mpw_str(p, v->s, v->len);
	default:
		return mpw_nil(p);
	}
}

/* Reserves `max` bytes at the end of b; NULL (and b->oom) if it cannot.
 * Write at most `max` bytes from the pointer returned, then mpw_end(). */
static inline uint8_t *mpw_begin(struct gm_buf *b, size_t max)
{
	return gm_buf_reserve(b, max) ? b->p + b->len : NULL;
}

static inline void mpw_end(struct gm_buf *b, const uint8_t *end)
{
	b->len = (size_t)(end - b->p);
}

#endif
