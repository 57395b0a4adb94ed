/* syncreq.c - the query string of a child's request (syncreq.h). */
#include <string.h>
#include "syncreq.h"

bool syncreq_find(const char *q, size_t len, const char *key, const char **val, size_t *vlen)
{
	size_t kl = strlen(key);
	const char *s = q, *end = q ? q + len : NULL;
	while (s && s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *e = amp ? amp : end;
		if ((size_t)(e - s) > kl && memcmp(s, key, kl) == 0 && s[kl] == '=') {
			*val = s + kl + 1;
			*vlen = (size_t)(e - s) - kl - 1;
			return true;
		}
		s = e + 1;
	}
	return false;
}

static void mark(struct syncreq *r, unsigned bit, bool ok)
{
	if (ok)
		r->has |= bit;
	else
		r->bad |= bit;
}

/* 1 to 20 decimal digits, at most max. */
static bool number(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	if (!n || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)v[i] - (unsigned)'0';
		if (d > 9 || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

static void num_key(const char *q, size_t len, const char *key, unsigned bit, uint64_t max,
		    uint64_t *out, struct syncreq *r)
{
	const char *v;
	size_t n;
	uint64_t x;
	if (!syncreq_find(q, len, key, &v, &n))
		return;
	bool ok = number(v, n, max, &x);
	if (ok)
		*out = x;
	mark(r, bit, ok);
}

/* A text key (c=, h=) copied into out[max + 1]; "" when it does not fit
 * or holds a NUL that would end it early.  False if absent. */
static bool text_key(const char *q, size_t len, const char *key, size_t max, char *out)
{
	const char *v;
	size_t n;
	if (!syncreq_find(q, len, key, &v, &n))
		return false;
	if (n > max || memchr(v, 0, n))
		n = 0;
	memcpy(out, v, n);
	out[n] = 0;
	return true;
}

void syncreq_parse(const char *ours, const char *q, size_t len, struct syncreq *r)
{
	const char *v;
	size_t n;
	uint64_t after = 0;

	memset(r, 0, sizeof(*r));
	if (text_key(q, len, "c", CODE_MAX, r->code))
		mark(r, SR_CODE, code_is_parent(ours, r->code));
	num_key(q, len, "a", SR_AFTER, INT64_MAX, &after, r);
	r->after = (int64_t)after;
	if (syncreq_find(q, len, "own", &v, &n) && n == 1 && v[0] == '1')
		r->has |= SR_OWN;
	if (text_key(q, len, "h", BLOB_HEX, r->hash))
		mark(r, SR_HASH, blob_hash_valid(r->hash));
	num_key(q, len, "o", SR_OFF, UINT64_MAX, &r->off, r);
	num_key(q, len, "n", SR_LEN, UINT64_MAX, &r->len, r);
	num_key(q, len, "t", SR_TOTAL, UINT64_MAX, &r->total, r);
	if (r->bad & SR_CODE)
		r->code[0] = 0;
	if (r->bad & SR_HASH)
		r->hash[0] = 0;
}
