/* mpscan.c - allocation-free structural validation of msgpack bytes. */
#include "mpscan.h"

struct scan {
	const uint8_t *p;
	const uint8_t *end;
	uint64_t budget;   /* objects still allowed */
};

static int need(struct scan *s, size_t n)
{
	return (size_t)(s->end - s->p) >= n;
}

static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * Skips one object.  `pending` is how many more objects the enclosing
 * containers still expect; a container may not claim more elements than
 * bytes remain, as every element takes at least one byte.
 */
static enum gm_err skip(struct scan *s, unsigned depth, unsigned max_depth)
{
	if (depth > max_depth || !s->budget)
		return GM_E_TOOBIG;
	s->budget--;
	if (!need(s, 1))
		return GM_E_MALFORMED;
	uint8_t b = *s->p++;
	uint64_t n = 0;   /* payload bytes to skip */
	uint64_t elems = 0;
	int container = 0;

	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return GM_OK;
	if ((b & 0xe0) == 0xa0) {
		n = b & 0x1f;
	} else if ((b & 0xf0) == 0x90) {
		elems = b & 0x0f;
		container = 1;
	} else if ((b & 0xf0) == 0x80) {
		elems = (uint64_t)(b & 0x0f) * 2;
		container = 1;
	} else {
		unsigned w;
		switch (b) {
		case 0xcc: case 0xd0: n = 1; break;
		case 0xcd: case 0xd1: n = 2; break;
		case 0xca: case 0xce: case 0xd2: n = 4; break;
		case 0xcb: case 0xcf: case 0xd3: n = 8; break;
		case 0xc4: case 0xd9: w = 1; goto sized;
		case 0xc5: case 0xda: w = 2; goto sized;
		case 0xc6: case 0xdb: w = 4; goto sized;
		case 0xdc: w = 2; container = 1; goto counted;
		case 0xdd: w = 4; container = 1; goto counted;
		case 0xde: w = 2; container = 2; goto counted;
		case 0xdf: w = 4; container = 2; goto counted;
		default:
			/* ext types and the reserved 0xc1 have no place in our formats */
			return GM_E_MALFORMED;
		}
		goto skipbytes;
sized:
		if (!need(s, w))
			return GM_E_MALFORMED;
		n = be(s->p, w);
		s->p += w;
		goto skipbytes;
counted:
		if (!need(s, w))
			return GM_E_MALFORMED;
		elems = be(s->p, w);
		s->p += w;
		if (container == 2)
			elems *= 2;
	}
	if (container) {
		if (elems > (uint64_t)(s->end - s->p))
			return GM_E_MALFORMED;
		for (uint64_t i = 0; i < elems; i++) {
			enum gm_err e = skip(s, depth + 1, max_depth);
			if (e)
				return e;
		}
		return GM_OK;
	}
skipbytes:
	if (n > (uint64_t)(s->end - s->p))
		return GM_E_MALFORMED;
	s->p += n;
	return GM_OK;
}

/* One object at the start of p within `budget` objects; *used gets its length. */
static enum gm_err scan_one(const uint8_t *p, size_t len, unsigned max_depth, uint64_t budget,
			    size_t *used)
{
	struct scan s = { p, p + len, budget };
	if (!p || !len)
		return GM_E_MALFORMED;
	enum gm_err e = skip(&s, 0, max_depth);
	if (e)
		return e;
	*used = (size_t)(s.p - p);
	return GM_OK;
}

enum gm_err mpscan_prefix(const uint8_t *p, size_t len, unsigned max_depth, size_t *used)
{
	return scan_one(p, len, max_depth, UINT64_MAX, used);
}

enum gm_err mpscan_check_n(const uint8_t *p, size_t len, unsigned max_depth,
			   uint64_t max_objects)
{
	size_t used;
	enum gm_err e = scan_one(p, len, max_depth, max_objects, &used);
	if (e)
		return e;
	return used == len ? GM_OK : GM_E_MALFORMED;
}

enum gm_err mpscan_check(const uint8_t *p, size_t len, unsigned max_depth)
{
	return mpscan_check_n(p, len, max_depth, UINT64_MAX);
}
