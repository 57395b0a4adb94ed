/*
 * test_mpw.c - the hot-path msgpack writer (proto/mpw.h) against
 * msgpack-c's packer: every integer around each form's boundary, strings
 * and byte strings of every header size, doubles, nil, arrays, and field
 * values, byte for byte.  A difference would make change-log entries
 * written by this build differ from those of the last one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../proto/mpw.h"

void t_init_mpw_tests(void);

/* msgpack-c's bytes in ref, ours in got; then compared. */
struct pair {
	struct gm_buf ref, got;
	msgpack_packer pk;
};

static void pair_init(struct pair *x)
{
	gm_buf_init(&x->ref);
	gm_buf_init(&x->got);
	gm_buf_packer(&x->ref, &x->pk);
}

static void pair_check(struct pair *x)
{
	CU_ASSERT_FALSE(x->ref.oom || x->got.oom);
	CU_ASSERT_EQUAL_FATAL(x->got.len, x->ref.len);
	CU_ASSERT(memcmp(x->got.p, x->ref.p, x->ref.len) == 0);
	gm_buf_free(&x->ref);
	gm_buf_free(&x->got);
}

/* Integers 0, 1, 2^k - 1, 2^k, 2^k + 1 for every k, and their negatives. */
static size_t edges(int64_t *out)
{
	size_t n = 0;
	out[n++] = 0;
	out[n++] = INT64_MAX;
	out[n++] = INT64_MIN;
	for (int k = 0; k < 63; k++) {
		int64_t v = (int64_t)1 << k;
		int64_t c[] = { v - 1, v, v + 1, -(v - 1), -v, -(v + 1) };
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
			out[n++] = c[i];
	}
	return n;
}

static void t_integers(void)
{
	int64_t v[400];
	size_t n = edges(v);
	struct pair x;
	pair_init(&x);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_int64(&x.pk, v[i]);
		mpw_end(&x.got, mpw_int(mpw_begin(&x.got, MPW_MAX_INT), v[i]));
		if (v[i] >= 0) {
			msgpack_pack_uint64(&x.pk, (uint64_t)v[i]);
			mpw_end(&x.got, mpw_uint(mpw_begin(&x.got, MPW_MAX_INT), (uint64_t)v[i]));
		}
	}
	uint64_t big[] = { UINT64_MAX, UINT64_MAX - 1, (uint64_t)INT64_MAX + 1 };
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		msgpack_pack_uint64(&x.pk, big[i]);
		mpw_end(&x.got, mpw_uint(mpw_begin(&x.got, MPW_MAX_INT), big[i]));
	}
	pair_check(&x);
}

static void t_strings_and_bins(void)
{
	static const uint32_t lens[] = { 0, 1, 31, 32, 255, 256, 65535, 65536, 70000 };
	char *s = malloc(70000);
	CU_ASSERT_FATAL(s != NULL);
	for (size_t i = 0; i < 70000; i++)
		s[i] = (char)('a' + i % 26);
	struct pair x;
	pair_init(&x);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		gm_pack_str(&x.pk, s, lens[i]);
		mpw_end(&x.got, mpw_str(mpw_begin(&x.got, MPW_MAX_HEAD + lens[i]), s, lens[i]));
		msgpack_pack_bin(&x.pk, lens[i]);
		msgpack_pack_bin_body(&x.pk, s, lens[i]);
		mpw_end(&x.got, mpw_bin(mpw_begin(&x.got, MPW_MAX_HEAD + lens[i]), s, lens[i]));
	}
	pair_check(&x);
	free(s);
}

static void t_arrays_nil_doubles(void)
{
	static const uint32_t ns[] = { 0, 1, 15, 16, 65535, 65536, 1u << 20 };
	static const double ds[] = { 0.0, -0.0, 1.5, -2.25e300, 1e-310 };
	struct pair x;
	pair_init(&x);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		msgpack_pack_array(&x.pk, ns[i]);
		mpw_end(&x.got, mpw_array(mpw_begin(&x.got, MPW_MAX_HEAD), ns[i]));
	}
	for (size_t i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		msgpack_pack_double(&x.pk, ds[i]);
		mpw_end(&x.got, mpw_double(mpw_begin(&x.got, MPW_MAX_DOUBLE), ds[i]));
	}
	msgpack_pack_double(&x.pk, INFINITY);
	mpw_end(&x.got, mpw_double(mpw_begin(&x.got, MPW_MAX_DOUBLE), INFINITY));
	msgpack_pack_nil(&x.pk);
	mpw_end(&x.got, mpw_nil(mpw_begin(&x.got, 1)));
	pair_check(&x);
}

/* Field values as chlog_pack_vals wrote them with msgpack-c. */
static void t_values(void)
{
	const struct gm_value vals[] = {
		gm_nil(), gm_int(-1), gm_int(200), gm_int(-100000), gm_real(3.5),
		gm_text("registered"), gm_textn("", 0),
	};
	struct pair x;
	pair_init(&x);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		const struct gm_value *v = &vals[i];
		switch (v->type) {
		case GM_INT:
			msgpack_pack_int64(&x.pk, v->i);
			break;
		case GM_REAL:
			msgpack_pack_double(&x.pk, v->d);
			break;
		case GM_TEXT:
			gm_pack_str(&x.pk, v->s, v->len);
			break;
		default:
			msgpack_pack_nil(&x.pk);
		}
		uint8_t *p = mpw_begin(&x.got, mpw_value_max(v));
		uint8_t *end = mpw_value(p, v);
		CU_ASSERT((size_t)(end - p) <= mpw_value_max(v));
		mpw_end(&x.got, end);
	}
	pair_check(&x);
}

void t_init_mpw_tests(void)
{
	static const struct t_case cases[] = {
		{ "integers at every form boundary", t_integers },
		{ "str and bin of every header size", t_strings_and_bins },
		{ "arrays, nil, doubles", t_arrays_nil_doubles },
		{ "field values", t_values },
		{ NULL, NULL },
	};
	t_add_suite("mpw", cases);
}
