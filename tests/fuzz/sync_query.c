/*
 * sync_query.c - fuzzes syncreq_parse (node/syncreq.h), the query string
 * of every child's request to node/server.c (v1/up, v1/down, v1/bell,
 * v1/blob).  The first byte picks the node answering (city, district,
 * street or grid), the rest is the query.
 *
 * Checked against a plain second reading of the same string (split at
 * '&', the first key= wins, numbers by strtoull on digits only): every key
 * is in `has` exactly when that reading finds it well-formed, in `bad`
 * when present and not, with the same value; and what was read, written
 * back as a child's link writes it, reads back the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../node/syncreq.h"

static const char *const nodes[] = { "4401", "440106", FUZZ_STREET, FUZZ_GRID };

/* The reference reading: the first segment "key=..." of q. */
static bool ref_find(const char *q, size_t len, const char *key, char *val, size_t cap,
		     size_t *vlen)
{
	size_t kl = strlen(key), start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && q[i] != '&')
			continue;
		size_t n = i - start;
		if (n > kl && !memcmp(q + start, key, kl) && q[start + kl] == '=') {
			*vlen = n - kl - 1;
			size_t c = *vlen < cap ? *vlen : cap - 1;
			memcpy(val, q + start + kl + 1, c);
			val[c] = 0;
			return true;
		}
		start = i + 1;
	}
	return false;
}

static void check_num(const char *q, size_t len, const char *key, unsigned bit, uint64_t max,
		      uint64_t got, const struct syncreq *r)
{
	char v[64];
	size_t n;
	bool found = ref_find(q, len, key, v, sizeof(v), &n), ok = false;
	if (found && n >= 1 && n <= 20 && strspn(v, "0123456789") == n) {
		errno = 0;
		unsigned long long x = strtoull(v, NULL, 10);
		ok = errno == 0 && x <= max;
		if (ok && x != got)
			fuzz_fail("%s=%s read as %llu", key, v, (unsigned long long)got);
	}
	if (!!(r->has & bit) != ok || !!(r->bad & bit) != (found && !ok))
		fuzz_fail("%s: has %d bad %d, reference says found %d well-formed %d", key,
			  !!(r->has & bit), !!(r->bad & bit), found, ok);
	if (!ok && got)
		fuzz_fail("%s: a value without the key", key);
}

static void check_text(const char *q, size_t len, const char *key, unsigned bit, size_t max,
		       bool (*valid)(const char *ours, const char *v), const char *ours,
		       const char *got, const struct syncreq *r)
{
	char v[128];
	size_t n;
	bool found = ref_find(q, len, key, v, sizeof(v), &n);
	bool ok = found && n <= max && strlen(v) == n && valid(ours, v);
	if (!!(r->has & bit) != ok || !!(r->bad & bit) != (found && !ok))
		fuzz_fail("%s: has %d bad %d, reference says found %d well-formed %d", key,
			  !!(r->has & bit), !!(r->bad & bit), found, ok);
	if (ok ? strcmp(got, v) != 0 : got[0] != 0)
		fuzz_fail("%s: read as '%s'", key, got);
}

static bool child_ok(const char *ours, const char *v)
{
	return code_is_parent(ours, v);
}

static bool hash_ok(const char *ours, const char *v)
{
	(void)ours;
	size_t n = strlen(v);
	return n == BLOB_HEX && strspn(v, "0123456789abcdef") == n;
}

/* The query as node/link.c writes one: each key that was read, in order. */
static size_t write_back(const struct syncreq *r, char *q, size_t cap)
{
	size_t n = 0;
#define ADD(...) n += (size_t)snprintf(q + n, cap - n, __VA_ARGS__)
	if (r->has & SR_CODE)
		ADD("&c=%s", r->code);
	if (r->has & SR_AFTER)
		ADD("&a=%lld", (long long)r->after);
	if (r->has & SR_OWN)
		ADD("&own=1");
	if (r->has & SR_HASH)
		ADD("&h=%s", r->hash);
	if (r->has & SR_OFF)
		ADD("&o=%llu", (unsigned long long)r->off);
	if (r->has & SR_LEN)
		ADD("&n=%llu", (unsigned long long)r->len);
	if (r->has & SR_TOTAL)
		ADD("&t=%llu", (unsigned long long)r->total);
#undef ADD
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syncreq r, r2;
	char back[512], v[8];
	size_t n;

	if (size < 1)
		return 0;
	const char *ours = nodes[data[0] % 4];
	const char *q = (const char *)data + 1;
	size_t len = size - 1;
	syncreq_parse(ours, q, len, &r);
	if (r.has & r.bad)
		fuzz_fail("a key both well-formed and bad: %#x", r.has & r.bad);
	check_text(q, len, "c", SR_CODE, CODE_MAX, child_ok, ours, r.code, &r);
	check_text(q, len, "h", SR_HASH, BLOB_HEX, hash_ok, ours, r.hash, &r);
	check_num(q, len, "a", SR_AFTER, INT64_MAX, (uint64_t)r.after, &r);
	check_num(q, len, "o", SR_OFF, UINT64_MAX, r.off, &r);
	check_num(q, len, "n", SR_LEN, UINT64_MAX, r.len, &r);
	check_num(q, len, "t", SR_TOTAL, UINT64_MAX, r.total, &r);
	bool own = ref_find(q, len, "own", v, sizeof(v), &n) && n == 1 && v[0] == '1';
	if (!!(r.has & SR_OWN) != own || (r.bad & SR_OWN))
		fuzz_fail("own=1 read as %d", !!(r.has & SR_OWN));

	n = write_back(&r, back, sizeof(back));
	syncreq_parse(ours, n ? back + 1 : back, n ? n - 1 : 0, &r2);
	if (r2.has != r.has || r2.bad || strcmp(r2.code, r.code) || strcmp(r2.hash, r.hash) ||
	    r2.after != r.after || r2.off != r.off || r2.len != r.len || r2.total != r.total)
		fuzz_fail("'%s' does not read back as written", back);
	return 0;
}
