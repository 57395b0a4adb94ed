/*
 * test_proto.c - the batch and bundle codecs and the msgpack pre-check.
 *
 * Round trips over every value kind, canonical bytes, a checked-in golden
 * vector (tests/golden/batch_v1.hex), and hostile input: truncations, byte
 * flips, lying headers, bad zstd frames.  Every decode of hostile bytes
 * runs on an exact-size heap copy, so the sanitizer build catches a read
 * past the end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "test_util.h"
#include "../../proto/batch.h"
#include "../../proto/bundle.h"
#include "../../proto/mpscan.h"
#include "../../sync/hlc.h"
#include "../../sync/scope.h"

void t_init_proto_tests(void);

#define T0 (hlc_from_ms(1700000000000ull) + 1)
#define GRID "440106012001001"

/* ------------------------------------------------------------- fixtures */

/* A batch of two groups covering deletes, notes, actors and every value
 * kind, with clocks out of order inside a group. */
struct fixture {
	struct batch b;
	struct batch_group g[2];
	struct batch_change ch[7];
	struct gm_value v[16];
};

static const char *const tfields[] = { "status", "title", "priority", "lat" };
static const uint32_t tflens[] = { 6, 5, 8, 3 };
static const char *const pfields[] = { "name", "phone" };
static const uint32_t pflens[] = { 4, 5 };

static void set_change(struct batch_change *c, const char *key, uint64_t t, uint64_t seen,
		       uint64_t mask, bool del, const char *actor, const char *note,
		       struct gm_value *vals)
{
	memset(c, 0, sizeof(*c));
	c->key = key;
	c->keylen = (uint32_t)strlen(key);
	c->t = t;
	c->seen = seen;
	c->mask = mask;
	c->del = del;
	c->actor = actor;
	c->actorlen = actor ? (uint32_t)strlen(actor) : 0;
	c->note = note;
	c->notelen = note ? (uint32_t)strlen(note) : 0;
	c->vals = vals;
}

static void fixture_init(struct fixture *f)
{
	struct gm_value *v = f->v;
	memset(f, 0, sizeof(*f));
	v[0] = gm_text("reported");
	v[1] = gm_text("bin overflowing at gate 3");
	v[2] = gm_int(3);
	v[3] = gm_real(23.13);
	v[4] = gm_text("registered");
	v[5] = gm_nil();
	v[6] = gm_int(INT64_MIN);
	v[7] = gm_real(-0.0);
	v[9] = gm_text("\xe5\xbc\xa0\xe4\xb8\x89");   /* 张三 */
	v[10] = gm_textn("", 0);
	v[11] = gm_nil();
	v[12] = gm_int(INT64_MAX);
	v[13] = gm_real(1e300);
	set_change(&f->ch[0], GRID "-000001", T0, 0, 0xf, false, "li", NULL, &v[0]);
	set_change(&f->ch[1], GRID "-000001", T0 + 5, T0, 0x1, false, "wang", "called sanitation",
		   &v[4]);
	/* older than the change before it: a negative clock delta */
	set_change(&f->ch[2], GRID "-000002", T0 + 3, 0, 0xe, false, "li", NULL, &v[5]);
	set_change(&f->ch[3], GRID "-000003", T0 + 9, T0 + 2, 0, true, NULL, NULL, NULL);
	set_change(&f->ch[4], GRID "-000002", hlc_from_ms(1700000000100ull), T0 + 3, 0xc, false,
		   "wang", "", &v[12]);
	set_change(&f->ch[5], "P-1", T0 + 11, 0, 0x3, false, "li", "moved in", &v[9]);
	set_change(&f->ch[6], "P-2", T0 + 12, 0, 0x2, false, NULL, NULL, &v[11]);
	f->g[0] = (struct batch_group){ .table = "ticket", .tablelen = 6, .nfields = 4,
					.fields = (const char **)tfields, .fieldlens = (uint32_t *)tflens,
					.n = 5, .ch = &f->ch[0] };
	f->g[1] = (struct batch_group){ .table = "person", .tablelen = 6, .nfields = 2,
					.fields = (const char **)pfields, .fieldlens = (uint32_t *)pflens,
					.n = 2, .ch = &f->ch[5] };
	f->b.base_t = T0;
	f->b.ngroups = 2;
	f->b.groups = f->g;
	CU_ASSERT_FATAL(node_id_from_code(GRID, 15, &f->b.env.origin));
	f->b.env.bseq = 7;
	f->b.env.scope = GRID;
	f->b.env.scopelen = 15;
	f->b.env.cls = 0;
	f->b.env.nchanges = 7;
	f->b.env.tmax = hlc_from_ms(1700000000100ull);
}

/* Payload and envelope of b into env_out; sig (or NULL) appended. */
static enum gm_err encode(struct batch *b, const uint8_t *sig, struct gm_buf *env_out)
{
	struct gm_buf pay;
	enum gm_err e;
	gm_buf_init(&pay);
	e = batch_encode_payload(b, &pay);
	if (!e)
		e = batch_env_encode(&b->env, pay.p, pay.len, env_out);
	if (!e)
		batch_env_finish(env_out, sig);
	gm_buf_free(&pay);
	return e;
}

static bool same_str(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	if (!a || !b)
		return a == b;
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Deep comparison of everything a batch says. */
static void assert_batch_eq(const struct batch *want, const struct batch *got)
{
	CU_ASSERT_EQUAL(got->env.origin, want->env.origin);
	CU_ASSERT_EQUAL(got->env.bseq, want->env.bseq);
	CU_ASSERT(same_str(got->env.scope, got->env.scopelen, want->env.scope, want->env.scopelen));
	CU_ASSERT_EQUAL(got->env.cls, want->env.cls);
	CU_ASSERT_EQUAL(got->env.nchanges, want->env.nchanges);
	CU_ASSERT_EQUAL(got->env.tmax, want->env.tmax);
	CU_ASSERT_EQUAL(got->base_t, want->base_t);
	CU_ASSERT_EQUAL_FATAL(got->ngroups, want->ngroups);
	for (uint32_t gi = 0; gi < want->ngroups; gi++) {
		const struct batch_group *wg = &want->groups[gi], *gg = &got->groups[gi];
		CU_ASSERT(same_str(gg->table, gg->tablelen, wg->table, wg->tablelen));
		CU_ASSERT_EQUAL_FATAL(gg->nfields, wg->nfields);
		for (uint32_t j = 0; j < wg->nfields; j++)
			CU_ASSERT(same_str(gg->fields[j], gg->fieldlens[j], wg->fields[j],
					   wg->fieldlens[j]));
		CU_ASSERT_EQUAL_FATAL(gg->n, wg->n);
		for (uint32_t i = 0; i < wg->n; i++) {
			const struct batch_change *w = &wg->ch[i], *c = &gg->ch[i];
			CU_ASSERT(same_str(c->key, c->keylen, w->key, w->keylen));
			CU_ASSERT_EQUAL(c->t, w->t);
			CU_ASSERT_EQUAL(c->seen, w->seen);
			CU_ASSERT_EQUAL(c->mask, w->mask);
			CU_ASSERT_EQUAL(c->del, w->del);
			CU_ASSERT(same_str(c->actor, c->actorlen, w->actor, w->actorlen));
			CU_ASSERT(same_str(c->note, c->notelen, w->note, w->notelen));
			for (unsigned k = 0; k < batch_popcount(w->mask); k++)
				CU_ASSERT(gm_value_eq(&c->vals[k], &w->vals[k]));
		}
	}
}

/* ------------------------------------------------------ hand-made bytes */

/* An envelope written field by field, so each can be made wrong. */
struct envspec {
	int nelems;              /* 11 */
	uint64_t version;        /* 1 */
	bool origin_str;
	uint64_t cls;
	uint64_t nchanges, tmax;
	uint64_t comp, rawlen;
	const uint8_t *pay;
	size_t paylen;
	bool pay_as_str;
	int sig;                 /* 0 nil, 64 a bin of 64, other n: bin of n, -1 a str */
};

static void envspec_init(struct envspec *s, const uint8_t *pay, size_t paylen, uint64_t nchanges,
			 uint64_t tmax)
{
	memset(s, 0, sizeof(*s));
	s->nelems = 11;
	s->version = 1;
	s->nchanges = nchanges;
	s->tmax = tmax;
	s->rawlen = paylen;
	s->pay = pay;
	s->paylen = paylen;
}

static void make_env(const struct envspec *s, struct gm_buf *out)
{
	msgpack_packer pk;
	static const uint8_t sigbytes[80];
	uint64_t origin;
	gm_buf_reset(out);
	gm_buf_packer(out, &pk);
	CU_ASSERT_FATAL(node_id_from_code(GRID, 15, &origin));
	msgpack_pack_array(&pk, (size_t)s->nelems);
	msgpack_pack_uint64(&pk, s->version);
	if (s->origin_str)
		gm_pack_cstr(&pk, GRID);
	else
		msgpack_pack_uint64(&pk, origin);
	msgpack_pack_uint64(&pk, 1);
	gm_pack_cstr(&pk, GRID);
	msgpack_pack_uint64(&pk, s->cls);
	msgpack_pack_uint64(&pk, s->nchanges);
	msgpack_pack_uint64(&pk, s->tmax);
	msgpack_pack_uint64(&pk, s->comp);
	msgpack_pack_uint64(&pk, s->rawlen);
	if (s->pay_as_str) {
		gm_pack_str(&pk, (const char *)s->pay, s->paylen);
	} else {
		msgpack_pack_bin(&pk, s->paylen);
		msgpack_pack_bin_body(&pk, s->pay, s->paylen);
	}
	if (s->nelems < 11)
		return;
	if (s->sig == 0) {
		msgpack_pack_nil(&pk);
	} else if (s->sig < 0) {
		gm_pack_str(&pk, (const char *)sigbytes, 64);
	} else {
		msgpack_pack_bin(&pk, (size_t)s->sig);
		msgpack_pack_bin_body(&pk, sigbytes, (size_t)s->sig);
	}
	for (int k = 11; k < s->nelems; k++)
		msgpack_pack_nil(&pk);
}

/* Decodes bytes from an exact-size copy; returns the error (0 = decoded). */
static enum gm_err try_decode(const uint8_t *p, size_t len)
{
	uint8_t *c = t_dup(p, len);
	struct batch *b = NULL;
	enum gm_err e = batch_decode(c, len, &b);
	CU_ASSERT((e == GM_OK) == (b != NULL));
	if (b) {
		/* touch every decoded byte: a bad pointer shows up here under ASan */
		volatile unsigned sum = 0;
		for (uint32_t gi = 0; gi < b->ngroups; gi++) {
			const struct batch_group *g = &b->groups[gi];
			for (uint32_t j = 0; j < g->nfields; j++)
				for (uint32_t k = 0; k < g->fieldlens[j]; k++)
					sum += (unsigned char)g->fields[j][k];
			for (uint32_t i = 0; i < g->n; i++) {
				const struct batch_change *ch = &g->ch[i];
				for (uint32_t k = 0; k < ch->keylen; k++)
					sum += (unsigned char)ch->key[k];
				for (uint32_t k = 0; k < ch->actorlen; k++)
					sum += (unsigned char)ch->actor[k];
				for (uint32_t k = 0; k < ch->notelen; k++)
					sum += (unsigned char)ch->note[k];
				for (unsigned k = 0; k < batch_popcount(ch->mask); k++)
					if (ch->vals[k].type == GM_TEXT && ch->vals[k].len)
						sum += (unsigned char)ch->vals[k].s[ch->vals[k].len - 1];
			}
		}
		(void)sum;
		batch_free(b);
	}
	struct batch_env env;
	enum gm_err ee = batch_env_decode(c, len, &env);
	/* the envelope alone may decode where the payload does not, never the reverse */
	if (!e)
		CU_ASSERT_EQUAL(ee, GM_OK);
	free(c);
	return e;
}

/* ----------------------------------------------------------- round trip */

static void t_roundtrip(void)
{
	struct fixture f;
	struct gm_buf env;
	struct batch *d = NULL;
	uint8_t sig[BATCH_SIG_BYTES];

	fixture_init(&f);
	gm_buf_init(&env);
	for (unsigned i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)(i * 7 + 1);
	CU_ASSERT_FATAL(encode(&f.b, NULL, &env) == GM_OK);
	enum gm_err e = batch_decode(env.p, env.len, &d);
	if (e)
		fprintf(stderr, "\n  fixture does not decode: %s", gm_strerror(e));
	CU_ASSERT_FATAL(e == GM_OK);
	assert_batch_eq(&f.b, d);
	CU_ASSERT_PTR_NULL(d->env.sig);
	CU_ASSERT_EQUAL(d->env.signed_len, env.len - 1);
	batch_free(d);

	/* signed: the signature is found and covers everything before it */
	CU_ASSERT_FATAL(encode(&f.b, sig, &env) == GM_OK);
	size_t signed_len = f.b.env.signed_len;
	CU_ASSERT_FATAL(batch_decode(env.p, env.len, &d) == GM_OK);
	assert_batch_eq(&f.b, d);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->env.sig);
	CU_ASSERT(memcmp(d->env.sig, sig, sizeof(sig)) == 0);
	CU_ASSERT_EQUAL(d->env.signed_len, signed_len);
	CU_ASSERT_EQUAL(env.len, signed_len + 2 + BATCH_SIG_BYTES);
	batch_free(d);

	/* the envelope alone, without touching the payload */
	struct batch_env e2;
	CU_ASSERT_FATAL(batch_env_decode(env.p, env.len, &e2) == GM_OK);
	CU_ASSERT_EQUAL(e2.nchanges, 7);
	CU_ASSERT_EQUAL(e2.bseq, 7);
	CU_ASSERT_EQUAL(e2.tmax, f.b.env.tmax);
	CU_ASSERT_EQUAL(e2.signed_len, signed_len);
	gm_buf_free(&env);
}

/* Enough repetitive changes that zstd pays: decode goes through it. */
static void t_roundtrip_compressed(void)
{
	enum { N = 300 };
	struct batch b;
	struct batch_group g;
	struct batch_change *ch = calloc(N, sizeof(*ch));
	struct gm_value *v = calloc(N * 2, sizeof(*v));
	char (*keys)[32] = calloc(N, sizeof(*keys));
	struct gm_buf env;
	struct batch *d = NULL;

	CU_ASSERT_FATAL(ch && v && keys);
	memset(&b, 0, sizeof(b));
	for (unsigned i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), GRID "-%06u", i + 1);
		v[2 * i] = gm_text(i % 3 ? "dispatched" : "in_progress");
		v[2 * i + 1] = gm_int(i % 5 + 1);
		set_change(&ch[i], keys[i], T0 + i * 3, i ? T0 + i * 3 - 1 : 0, 0x5, false, "li",
			   NULL, &v[2 * i]);
	}
	g = (struct batch_group){ .table = "ticket", .tablelen = 6, .nfields = 4,
				  .fields = (const char **)tfields, .fieldlens = (uint32_t *)tflens,
				  .n = N, .ch = ch };
	b.base_t = T0;
	b.ngroups = 1;
	b.groups = &g;
	b.env.origin = 42 * 16 + 4;
	b.env.scope = "4401";
	b.env.scopelen = 4;
	b.env.nchanges = N;
	b.env.tmax = T0 + (N - 1) * 3;
	gm_buf_init(&env);
	CU_ASSERT_FATAL(encode(&b, NULL, &env) == GM_OK);
	CU_ASSERT_EQUAL(b.env.comp, BATCH_ZSTD);
	CU_ASSERT(b.env.paylen < b.env.rawlen);
	CU_ASSERT_FATAL(batch_decode(env.p, env.len, &d) == GM_OK);
	CU_ASSERT_EQUAL(d->env.comp, BATCH_ZSTD);
	assert_batch_eq(&b, d);
	batch_free(d);
	gm_buf_free(&env);
	free(ch);
	free(v);
	free(keys);
}

/* The same batch gives the same bytes, and so does re-encoding a decoded one. */
static void t_canonical(void)
{
	struct fixture f;
	struct gm_buf a, b2, c;
	struct batch *d = NULL;

	fixture_init(&f);
	gm_buf_init(&a);
	gm_buf_init(&b2);
	gm_buf_init(&c);
	CU_ASSERT_FATAL(encode(&f.b, NULL, &a) == GM_OK);
	CU_ASSERT_FATAL(encode(&f.b, NULL, &b2) == GM_OK);
	CU_ASSERT_EQUAL_FATAL(a.len, b2.len);
	CU_ASSERT(memcmp(a.p, b2.p, a.len) == 0);

	CU_ASSERT_FATAL(batch_decode(a.p, a.len, &d) == GM_OK);
	d->env.sig = NULL;
	CU_ASSERT_FATAL(encode(d, NULL, &c) == GM_OK);
	CU_ASSERT_EQUAL_FATAL(a.len, c.len);
	CU_ASSERT(memcmp(a.p, c.p, a.len) == 0);
	batch_free(d);

	/* shortest forms: a one-change batch of small numbers stays small */
	struct batch_change one;
	struct gm_value v1 = gm_int(1);
	set_change(&one, "k", 1, 0, 0x4, false, NULL, NULL, &v1);
	struct batch_group g1 = { .table = "ticket", .tablelen = 6, .nfields = 4,
				  .fields = (const char **)tfields, .fieldlens = (uint32_t *)tflens,
				  .n = 1, .ch = &one };
	struct batch small = { .base_t = 1, .ngroups = 1, .groups = &g1 };
	small.env = (struct batch_env){ .origin = 1 * 16 + 4, .bseq = 1, .scope = "0001",
					.scopelen = 4, .nchanges = 1, .tmax = 1 };
	struct gm_buf pay;
	gm_buf_init(&pay);
	CU_ASSERT_FATAL(batch_encode_payload(&small, &pay) == GM_OK);
	/*
	 * [1,[["ticket",["status","title","priority","lat"],1,["k"],[0],[0],[8],[],[0],[nil],
	 *   [[],[],[1],[]]]]]: 4 headers + 7 + 27 + 1 + 3 + 2 + 2 + 2 + 1 + 2 + 2 + 6 bytes
	 */
	CU_ASSERT_EQUAL(pay.len, 59);
	gm_buf_free(&pay);
	gm_buf_free(&a);
	gm_buf_free(&b2);
	gm_buf_free(&c);
}

/* ---------------------------------------------------------- golden vector */

/* The golden batch: a household group, small enough to travel raw. */
static void golden_batch(struct batch *b, struct batch_group *g, struct batch_change ch[3],
			 struct gm_value v[4])
{
	static const char *const hf[] = { "address", "head", "note" };
	static const uint32_t hl[] = { 7, 4, 4 };
	memset(b, 0, sizeof(*b));
	v[0] = gm_text("3-501");
	v[1] = gm_text("Li");
	v[2] = gm_int(2);
	v[3] = gm_nil();
	set_change(&ch[0], "H1", T0, 0, 0x3, false, "li", NULL, &v[0]);
	set_change(&ch[1], "H1", T0 + 2, T0, 0x6, false, "wang", "2 rooms", &v[2]);
	set_change(&ch[2], "H2", T0 + 1, 0, 0, true, "li", NULL, NULL);
	*g = (struct batch_group){ .table = "household", .tablelen = 9, .nfields = 3,
				   .fields = (const char **)hf, .fieldlens = (uint32_t *)hl,
				   .n = 3, .ch = ch };
	b->base_t = T0;
	b->ngroups = 1;
	b->groups = g;
	CU_ASSERT_FATAL(node_id_from_code(GRID, 15, &b->env.origin));
	b->env.bseq = 1;
	b->env.scope = GRID;
	b->env.scopelen = 15;
	b->env.cls = 1;
	b->env.nchanges = 3;
	b->env.tmax = T0 + 2;
}

static void t_golden(void)
{
	struct batch b;
	struct batch_group g;
	struct batch_change ch[3];
	struct gm_value v[4];
	struct gm_buf env;
	struct batch *d = NULL;
	size_t glen = 0;
	const char *path = t_srcpath("tests/golden/batch_v1.hex");
	uint8_t *gold;

	golden_batch(&b, &g, ch, v);
	gm_buf_init(&env);
	CU_ASSERT_FATAL(encode(&b, NULL, &env) == GM_OK);
	CU_ASSERT_EQUAL(b.env.comp, BATCH_RAW);
	/* GM_GOLDEN_PRINT=1 shows the bytes, for a new version's vector */
	if (getenv("GM_GOLDEN_PRINT")) {
		for (size_t i = 0; i < env.len; i++)
			fprintf(stderr, "%02x%s", env.p[i], i % 32 == 31 ? "\n" : "");
		fputc('\n', stderr);
	}
	gold = t_read_hex(path, &glen);
	if (!gold)
		fprintf(stderr, "golden vector %s missing or not hex\n", path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(gold);
	/* the wire format is frozen: a change here needs a new version */
	CU_ASSERT_EQUAL(env.len, glen);
	CU_ASSERT(env.len == glen && memcmp(env.p, gold, glen) == 0);
	/* and the checked-in bytes decode to the same batch */
	CU_ASSERT_FATAL(batch_decode(gold, glen, &d) == GM_OK);
	assert_batch_eq(&b, d);
	batch_free(d);
	gm_buf_free(&env);
	free(gold);
}

/* -------------------------------------------------------- hostile input */

static void t_truncations(void)
{
	struct fixture f;
	struct gm_buf env, pay, w;
	uint8_t sig[BATCH_SIG_BYTES] = { 1 };

	fixture_init(&f);
	gm_buf_init(&env);
	gm_buf_init(&pay);
	gm_buf_init(&w);
	CU_ASSERT_FATAL(encode(&f.b, sig, &env) == GM_OK);
	for (size_t n = 0; n < env.len; n++)
		CU_ASSERT_NOT_EQUAL(try_decode(env.p, n), GM_OK);
	CU_ASSERT_EQUAL(try_decode(env.p, env.len), GM_OK);

	/* a truncated payload inside an honest envelope reaches the payload decoder */
	CU_ASSERT_FATAL(batch_encode_payload(&f.b, &pay) == GM_OK);
	for (size_t n = 0; n < pay.len; n++) {
		struct envspec s;
		envspec_init(&s, pay.p, n, 7, f.b.env.tmax);
		make_env(&s, &w);
		CU_ASSERT_NOT_EQUAL(try_decode(w.p, w.len), GM_OK);
	}
	gm_buf_free(&env);
	gm_buf_free(&pay);
	gm_buf_free(&w);
}

static void flip_some(uint8_t *p, size_t len, uint64_t *rs)
{
	unsigned nflips = 1 + t_randn(rs, 3);
	for (unsigned k = 0; k < nflips; k++) {
		size_t at = t_randn(rs, (uint32_t)len);
		switch (t_randn(rs, 3)) {
		case 0: p[at] ^= (uint8_t)(1u << t_randn(rs, 8)); break;
		case 1: p[at] = (uint8_t)t_rand(rs); break;
		default: p[at] = (uint8_t[]){ 0x00, 0xff, 0xc1, 0xdd, 0xdf, 0xc6, 0xd4 }[t_randn(rs, 7)];
		}
	}
}

static void t_byte_flips(void)
{
	struct fixture f;
	struct gm_buf env, pay, w;
	uint64_t rs = t_seed("proto byte flips", 20240611);
	unsigned failed_env = 0, failed_pay = 0;
	enum { ROUNDS = 3000 };

	fixture_init(&f);
	gm_buf_init(&env);
	gm_buf_init(&pay);
	gm_buf_init(&w);
	CU_ASSERT_FATAL(encode(&f.b, NULL, &env) == GM_OK);
	CU_ASSERT_FATAL(batch_encode_payload(&f.b, &pay) == GM_OK);
	uint8_t *m = malloc(env.len > pay.len ? env.len : pay.len);
	CU_ASSERT_FATAL(m != NULL);
	for (unsigned r = 0; r < ROUNDS; r++) {
		memcpy(m, env.p, env.len);
		flip_some(m, env.len, &rs);
		failed_env += try_decode(m, env.len) != GM_OK;
		/* flips inside the payload, behind an envelope that matches it */
		memcpy(m, pay.p, pay.len);
		flip_some(m, pay.len, &rs);
		struct envspec s;
		envspec_init(&s, m, pay.len, 7, f.b.env.tmax);
		make_env(&s, &w);
		failed_pay += try_decode(w.p, w.len) != GM_OK;
	}
	/* most flips hit structure; in the payload many land in text bytes */
	CU_ASSERT(failed_env > ROUNDS / 2);
	CU_ASSERT(failed_pay > ROUNDS / 4);
	free(m);
	gm_buf_free(&env);
	gm_buf_free(&pay);
	gm_buf_free(&w);
}

static void t_envelope_lies(void)
{
	struct fixture f;
	struct gm_buf pay, w, env;
	struct envspec s;

	fixture_init(&f);
	gm_buf_init(&pay);
	gm_buf_init(&w);
	gm_buf_init(&env);
	CU_ASSERT_FATAL(batch_encode_payload(&f.b, &pay) == GM_OK);
	uint64_t tmax = f.b.env.tmax;

#define ENV_CASE(want, tweak)                                        \
	do {                                                         \
		envspec_init(&s, pay.p, pay.len, 7, tmax);           \
		tweak;                                               \
		make_env(&s, &w);                                    \
		CU_ASSERT_EQUAL(try_decode(w.p, w.len), want);       \
	} while (0)

	ENV_CASE(GM_OK, (void)0);
	ENV_CASE(GM_OK, s.sig = 64);
	ENV_CASE(GM_E_VERSION, s.version = 2);
	ENV_CASE(GM_E_VERSION, s.version = 0);
	ENV_CASE(GM_E_VERSION, (s.version = 2, s.nelems = 10));
	ENV_CASE(GM_E_MALFORMED, s.nelems = 10);
	ENV_CASE(GM_E_MALFORMED, s.nelems = 12);
	ENV_CASE(GM_E_MALFORMED, s.origin_str = true);
	ENV_CASE(GM_E_MALFORMED, s.cls = 256);
	ENV_CASE(GM_E_MALFORMED, s.nchanges = BATCH_MAX_CHANGES + 1);
	ENV_CASE(GM_E_MALFORMED, s.nchanges = 6);
	ENV_CASE(GM_E_MALFORMED, s.nchanges = 8);
	ENV_CASE(GM_E_MALFORMED, s.tmax = tmax + 1);
	ENV_CASE(GM_E_MALFORMED, s.comp = 2);
	ENV_CASE(GM_E_TOOBIG, s.rawlen = (uint64_t)BATCH_MAX_RAW + 1);
	ENV_CASE(GM_E_TOOBIG, s.rawlen = UINT64_MAX);
	ENV_CASE(GM_E_MALFORMED, s.rawlen = pay.len + 1);
	ENV_CASE(GM_E_MALFORMED, s.pay_as_str = true);
	ENV_CASE(GM_E_MALFORMED, s.sig = 63);
	ENV_CASE(GM_E_MALFORMED, s.sig = 65);
	ENV_CASE(GM_E_MALFORMED, s.sig = -1);
	/* raw but compressed flag: the bytes are not a zstd frame */
	ENV_CASE(GM_E_COMPRESS, s.comp = 1);
#undef ENV_CASE

	/* a signed batch with bytes after the signature */
	uint8_t sig[BATCH_SIG_BYTES] = { 9 };
	CU_ASSERT_FATAL(encode(&f.b, sig, &env) == GM_OK);
	gm_buf_append(&env, "\xc0", 1);
	CU_ASSERT_EQUAL(try_decode(env.p, env.len), GM_E_MALFORMED);
	CU_ASSERT_FATAL(encode(&f.b, NULL, &env) == GM_OK);
	gm_buf_append(&env, "\x00", 1);
	CU_ASSERT_EQUAL(try_decode(env.p, env.len), GM_E_MALFORMED);

	/* wrong version in place: the byte after the array header */
	CU_ASSERT_FATAL(encode(&f.b, NULL, &env) == GM_OK);
	CU_ASSERT_EQUAL(env.p[0], 0x9b);
	CU_ASSERT_EQUAL(env.p[1], 0x01);
	env.p[1] = 0x02;
	CU_ASSERT_EQUAL(try_decode(env.p, env.len), GM_E_VERSION);
	struct batch_env e2;
	CU_ASSERT_EQUAL(batch_env_decode(env.p, env.len, &e2), GM_E_VERSION);

	/* headers that claim more than there is */
	static const uint8_t huge[][16] = {
		{ 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01 },           /* array of 4G */
		{ 0xdf, 0x7f, 0xff, 0xff, 0xff, 0x01, 0x02 },     /* map of 2G */
		{ 0x9b, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff, 0 },  /* bin of 4G */
		{ 0x9b, 0x01, 0xdb, 0x80, 0x00, 0x00, 0x00, 0 },  /* str of 2G */
		{ 0x9b, 0x01, 0xdc, 0xff, 0xff },                  /* array of 64K */
		{ 0x9b, 0xd4, 0x01, 0x02 },                        /* fixext */
		{ 0x9b, 0xc7, 0x01, 0x05, 0x00 },                  /* ext 8 */
		{ 0x9b, 0xc1 },                                    /* never used */
		{ 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0xc0 },
	};
	static const size_t hlen[] = { 6, 7, 8, 8, 5, 4, 5, 2, 11 };
	for (size_t i = 0; i < sizeof(hlen) / sizeof(hlen[0]); i++)
		CU_ASSERT_NOT_EQUAL(try_decode(huge[i], hlen[i]), GM_OK);

	/* over the envelope limit: refused before looking */
	struct batch *d = NULL;
	CU_ASSERT_EQUAL(batch_decode(env.p, (size_t)BATCH_MAX_ENVELOPE + 1, &d), GM_E_TOOBIG);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(batch_env_decode(env.p, (size_t)BATCH_MAX_ENVELOPE + 1, &e2), GM_E_TOOBIG);
	CU_ASSERT_EQUAL(try_decode(env.p, 0), GM_E_MALFORMED);
	gm_buf_free(&pay);
	gm_buf_free(&w);
	gm_buf_free(&env);
}

/* The payload, packed by hand so each part can be made wrong. */
enum pv {
	PV_OK, PV_PAYLOAD3, PV_BASE_STR, PV_GROUPS_MAP, PV_GROUPS_65, PV_GROUP10, PV_TABLE_EMPTY,
	PV_TABLE_INT, PV_FIELDS_61, PV_FIELD_INT, PV_N_MISMATCH, PV_N_HUGE, PV_KEY_EMPTY,
	PV_KEY_LONG, PV_KEY_INT, PV_T_ZERO, PV_T_WRAP, PV_T_UNDER, PV_T_STR, PV_SEEN_GT_T,
	PV_MASK_BEYOND, PV_MASK_NEG, PV_AIDX_OOR, PV_ACTOR_INT, PV_NOTE_INT, PV_COL_SHORT,
	PV_COL_LONG, PV_COLS_FEW, PV_VAL_BIN, PV_VAL_MAP, PV_VAL_BOOL, PV_VAL_U64, PV_VAL_TEXT_LONG,
	PV_DEEP, PV__COUNT
};

static const enum gm_err pv_want[PV__COUNT] = {
	[PV_OK] = GM_OK,
	[PV_DEEP] = GM_E_TOOBIG,
	/* everything else: GM_E_MALFORMED (filled in below) */
};

static void pack_payload(struct gm_buf *b, enum pv v)
{
	msgpack_packer pk;
	gm_buf_reset(b);
	gm_buf_packer(b, &pk);
	msgpack_pack_array(&pk, v == PV_PAYLOAD3 ? 3 : 2);
	if (v == PV_BASE_STR)
		gm_pack_cstr(&pk, "t");
	else
		msgpack_pack_uint64(&pk, v == PV_T_ZERO ? 0 : v == PV_T_UNDER ? 5 : T0);
	if (v == PV_PAYLOAD3)
		msgpack_pack_nil(&pk);
	if (v == PV_GROUPS_MAP) {
		msgpack_pack_map(&pk, 0);
		return;
	}
	unsigned ngroups = v == PV_GROUPS_65 ? 65 : 1;
	msgpack_pack_array(&pk, ngroups);
	for (unsigned gi = 1; gi < ngroups; gi++) {
		/* empty groups: [t, [], 0, [], [], [], [], [], [], [], []] */
		msgpack_pack_array(&pk, 11);
		gm_pack_cstr(&pk, "t");
		msgpack_pack_array(&pk, 0);
		msgpack_pack_uint8(&pk, 0);
		for (int k = 0; k < 8; k++)
			msgpack_pack_array(&pk, 0);
	}
	msgpack_pack_array(&pk, v == PV_GROUP10 ? 10 : 11);
	if (v == PV_TABLE_INT)
		msgpack_pack_int(&pk, 5);
	else
		gm_pack_cstr(&pk, v == PV_TABLE_EMPTY ? "" : "ticket");
	unsigned nf = v == PV_FIELDS_61 ? 61 : 2;
	msgpack_pack_array(&pk, nf);
	for (unsigned j = 0; j < nf; j++) {
		if (v == PV_FIELD_INT && j == 1)
			msgpack_pack_int(&pk, 1);
		else
			gm_pack_cstr(&pk, j ? "title" : "status");
	}
	/* n */
	if (v == PV_N_HUGE)
		msgpack_pack_uint64(&pk, 1ull << 40);
	else
		msgpack_pack_uint32(&pk, v == PV_N_MISMATCH ? 3 : 2);
	/* keys */
	msgpack_pack_array(&pk, 2);
	if (v == PV_KEY_INT)
		msgpack_pack_int(&pk, 1);
	else
		gm_pack_cstr(&pk, v == PV_KEY_EMPTY ? "" : "k1");
	if (v == PV_KEY_LONG) {
		char longkey[257];
		memset(longkey, 'k', 256);
		longkey[256] = 0;
		gm_pack_cstr(&pk, longkey);
	} else {
		gm_pack_cstr(&pk, "k2");
	}
	/* clock deltas */
	msgpack_pack_array(&pk, 2);
	if (v == PV_T_STR)
		gm_pack_cstr(&pk, "0");
	else
		msgpack_pack_int64(&pk, v == PV_T_WRAP ? INT64_MAX : v == PV_T_UNDER ? -10 : 0);
	msgpack_pack_int64(&pk, v == PV_T_WRAP ? INT64_MAX : 5);
	/* seen */
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, 0);
	msgpack_pack_uint64(&pk, v == PV_SEEN_GT_T ? T0 + 6 : 5);
	/* masks */
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, (v == PV_MASK_BEYOND ? 0x7 : 0x3) << 1);
	if (v == PV_MASK_NEG)
		msgpack_pack_int64(&pk, -2);
	else
		msgpack_pack_uint64(&pk, 0x1 << 1);
	/* actors */
	msgpack_pack_array(&pk, 1);
	if (v == PV_ACTOR_INT)
		msgpack_pack_int(&pk, 7);
	else
		gm_pack_cstr(&pk, "li");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint32(&pk, v == PV_AIDX_OOR ? 2 : 1);
	msgpack_pack_uint32(&pk, 0);
	/* notes */
	msgpack_pack_array(&pk, 2);
	msgpack_pack_nil(&pk);
	if (v == PV_NOTE_INT)
		msgpack_pack_int(&pk, 3);
	else
		gm_pack_cstr(&pk, "a note");
	if (v == PV_GROUP10)
		return;
	/* columns: status has 2 values, title 1 */
	if (v == PV_COLS_FEW) {
		msgpack_pack_array(&pk, 1);
		msgpack_pack_array(&pk, 2);
		gm_pack_cstr(&pk, "reported");
		gm_pack_cstr(&pk, "registered");
		return;
	}
	msgpack_pack_array(&pk, nf);
	msgpack_pack_array(&pk, v == PV_COL_SHORT ? 1 : 2);
	switch (v) {
	case PV_VAL_BIN:
		msgpack_pack_bin(&pk, 1);
		msgpack_pack_bin_body(&pk, "x", 1);
		break;
	case PV_VAL_MAP:
		msgpack_pack_map(&pk, 0);
		break;
	case PV_VAL_BOOL:
		msgpack_pack_true(&pk);
		break;
	case PV_VAL_U64:
		msgpack_pack_uint64(&pk, (uint64_t)INT64_MAX + 1);
		break;
	case PV_VAL_TEXT_LONG: {
		char *big = malloc(BATCH_MAX_TEXT + 1);
		CU_ASSERT_FATAL(big != NULL);
		memset(big, 'x', BATCH_MAX_TEXT + 1);
		gm_pack_str(&pk, big, BATCH_MAX_TEXT + 1);
		free(big);
		break;
	}
	case PV_DEEP:
		for (int k = 0; k < 9; k++)
			msgpack_pack_array(&pk, 1);
		msgpack_pack_nil(&pk);
		break;
	default:
		gm_pack_cstr(&pk, "reported");
	}
	if (v != PV_COL_SHORT)
		gm_pack_cstr(&pk, "registered");
	msgpack_pack_array(&pk, v == PV_COL_LONG ? 2 : 1);
	gm_pack_cstr(&pk, "bin at gate 3");
	if (v == PV_COL_LONG)
		gm_pack_cstr(&pk, "extra");
	for (unsigned j = 2; j < nf; j++)
		msgpack_pack_array(&pk, 0);
}

static void t_payload_lies(void)
{
	struct gm_buf pay, w;
	gm_buf_init(&pay);
	gm_buf_init(&w);
	for (int v = 0; v < PV__COUNT; v++) {
		struct envspec s;
		enum gm_err want = v == PV_OK || v == PV_DEEP ? pv_want[v] : GM_E_MALFORMED;
		pack_payload(&pay, (enum pv)v);
		CU_ASSERT_FATAL(!pay.oom);
		envspec_init(&s, pay.p, pay.len, 2, v == PV_T_ZERO ? 5 : T0 + 5);
		make_env(&s, &w);
		enum gm_err got = try_decode(w.p, w.len);
		if (got != want)
			fprintf(stderr, "\n  payload variant %d: got %s, want %s", v, gm_strerror(got),
				gm_strerror(want));
		CU_ASSERT_EQUAL(got, want);
	}
	/* the valid variant decodes to what was packed */
	struct batch *d = NULL;
	pack_payload(&pay, PV_OK);
	struct envspec s;
	envspec_init(&s, pay.p, pay.len, 2, T0 + 5);
	make_env(&s, &w);
	CU_ASSERT_FATAL(batch_decode(w.p, w.len, &d) == GM_OK);
	const struct batch_change *c = d->groups[0].ch;
	CU_ASSERT_EQUAL(c[0].t, T0);
	CU_ASSERT_EQUAL(c[1].t, T0 + 5);
	CU_ASSERT_EQUAL(c[1].seen, T0);
	CU_ASSERT_EQUAL(c[0].actorlen, 2);
	CU_ASSERT_PTR_NULL(c[1].actor);
	CU_ASSERT_EQUAL(c[1].notelen, 6);
	CU_ASSERT_EQUAL(c[0].vals[1].len, 13);
	CU_ASSERT_EQUAL(c[1].vals[0].len, 10);
	batch_free(d);
	gm_buf_free(&pay);
	gm_buf_free(&w);
}

/* Patches the Frame_Content_Size of a zstd frame written with a 2-byte
 * field (sizes 256..65791); false if the frame is laid out otherwise. */
static bool patch_fcs(uint8_t *z, size_t zlen, uint64_t claim)
{
	if (zlen < 8)
		return false;
	uint8_t fhd = z[4];
	unsigned fcs_flag = fhd >> 6, single = (fhd >> 5) & 1, did = fhd & 3;
	static const unsigned did_size[] = { 0, 1, 2, 4 };
	if (fcs_flag != 1 || claim < 256 || claim > 65791)
		return false;
	size_t at = 5 + (single ? 0 : 1) + did_size[did];
	z[at] = (uint8_t)((claim - 256) & 0xff);
	z[at + 1] = (uint8_t)((claim - 256) >> 8);
	return true;
}

static void t_zstd_lies(void)
{
	struct fixture f;
	struct gm_buf pay, w;
	struct envspec s;

	fixture_init(&f);
	gm_buf_init(&pay);
	gm_buf_init(&w);
	CU_ASSERT_FATAL(batch_encode_payload(&f.b, &pay) == GM_OK);
	size_t n = pay.len, bound = ZSTD_compressBound(n + 1) * 2 + 16;
	uint8_t *z = malloc(bound), *raw1 = malloc(n + 1);
	CU_ASSERT_FATAL(z && raw1);
	size_t zlen = ZSTD_compress(z, bound, pay.p, n, 3);
	CU_ASSERT_FATAL(!ZSTD_isError(zlen));
	uint64_t tmax = f.b.env.tmax;

	/* honest */
	envspec_init(&s, z, zlen, 7, tmax);
	s.comp = 1;
	s.rawlen = n;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_OK);
	/* rawlen larger or smaller than the frame says */
	s.rawlen = n + 1;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	s.rawlen = n - 1;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	s.rawlen = BATCH_MAX_RAW;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	/* truncated frame */
	s.rawlen = n;
	s.paylen = zlen - 3;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	/* the frame itself lies about its size: claims one byte more than it holds */
	uint8_t *zl = t_dup(z, zlen);
	CU_ASSERT_FATAL(patch_fcs(zl, zlen, n + 1));
	envspec_init(&s, zl, zlen, 7, tmax);
	s.comp = 1;
	s.rawlen = n + 1;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	/* ... or one byte less */
	CU_ASSERT_FATAL(patch_fcs(zl, zlen, n - 1));
	s.rawlen = n - 1;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	free(zl);
	/* a second frame behind the first: more output than rawlen */
	memcpy(z + zlen, z, zlen);
	envspec_init(&s, z, 2 * zlen, 7, tmax);
	s.comp = 1;
	s.rawlen = n;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	/* a frame with no content size */
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	CU_ASSERT_FATAL(cc != NULL);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
	size_t zn = ZSTD_compress2(cc, z, bound, pay.p, n);
	ZSTD_freeCCtx(cc);
	CU_ASSERT_FATAL(!ZSTD_isError(zn));
	envspec_init(&s, z, zn, 7, tmax);
	s.comp = 1;
	s.rawlen = n;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	/* a valid frame whose content has a trailing byte */
	memcpy(raw1, pay.p, n);
	raw1[n] = 0;
	zn = ZSTD_compress(z, bound, raw1, n + 1, 3);
	CU_ASSERT_FATAL(!ZSTD_isError(zn));
	envspec_init(&s, z, zn, 7, tmax);
	s.comp = 1;
	s.rawlen = n + 1;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_MALFORMED);
	/* garbage */
	for (size_t i = 0; i < 64; i++)
		z[i] = (uint8_t)(i * 37 + 11);
	envspec_init(&s, z, 64, 7, tmax);
	s.comp = 1;
	make_env(&s, &w);
	CU_ASSERT_EQUAL(try_decode(w.p, w.len), GM_E_COMPRESS);
	free(z);
	free(raw1);
	gm_buf_free(&pay);
	gm_buf_free(&w);
}

/* Encoder limits: refused, not written. */
static void t_encode_limits(void)
{
	struct fixture f;
	struct gm_buf pay;
	fixture_init(&f);
	gm_buf_init(&pay);
	f.g[0].nfields = 61;
	CU_ASSERT_EQUAL(batch_encode_payload(&f.b, &pay), GM_E_INVAL);
	fixture_init(&f);
	f.ch[0].mask = 0x10;   /* a fifth field of a four-field group */
	CU_ASSERT_EQUAL(batch_encode_payload(&f.b, &pay), GM_E_INVAL);
	fixture_init(&f);
	f.ch[1].seen = f.ch[1].t;
	CU_ASSERT_EQUAL(batch_encode_payload(&f.b, &pay), GM_E_INVAL);
	fixture_init(&f);
	f.ch[0].keylen = 0;
	CU_ASSERT_EQUAL(batch_encode_payload(&f.b, &pay), GM_E_INVAL);
	fixture_init(&f);
	f.ch[0].keylen = BATCH_MAX_KEY + 1;
	CU_ASSERT_EQUAL(batch_encode_payload(&f.b, &pay), GM_E_INVAL);
	fixture_init(&f);
	f.g[1].tablelen = 0;
	CU_ASSERT_EQUAL(batch_encode_payload(&f.b, &pay), GM_E_INVAL);
	fixture_init(&f);
	f.b.ngroups = BATCH_MAX_GROUPS + 1;
	CU_ASSERT_EQUAL(batch_encode_payload(&f.b, &pay), GM_E_INVAL);
	gm_buf_free(&pay);
}

/* ---------------------------------------------------------------- bundle */

static void t_bundle(void)
{
	static const uint8_t b1[] = { 1, 2, 3 }, b2[] = { 0xc0 }, b3[300] = { 7 };
	const uint8_t *bodies[] = { b1, b2, b3 };
	const size_t lens[] = { sizeof(b1), sizeof(b2), sizeof(b3) };
	struct gm_buf out;
	struct bundle *bd = NULL;

	gm_buf_init(&out);
	CU_ASSERT_FATAL(bundle_encode(&out, "440106012", 5, 42, 3, bodies, lens) == GM_OK);
	uint8_t *c = t_dup(out.p, out.len);
	CU_ASSERT_FATAL(bundle_decode(c, out.len, out.len, &bd) == GM_OK);
	CU_ASSERT_STRING_EQUAL(bd->from, "440106012");
	CU_ASSERT_EQUAL(bd->after, 5);
	CU_ASSERT_EQUAL(bd->upto, 42);
	CU_ASSERT_EQUAL_FATAL(bd->n, 3);
	for (unsigned i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(bd->len[i], lens[i]);
		CU_ASSERT(memcmp(bd->body[i], bodies[i], lens[i]) == 0);
	}
	bundle_free(bd);
	/* max_len is a hard cap */
	CU_ASSERT_EQUAL(bundle_decode(c, out.len, out.len - 1, &bd), GM_E_TOOBIG);
	CU_ASSERT_PTR_NULL(bd);
	free(c);
	/* every truncation fails */
	for (size_t n = 0; n < out.len; n++) {
		c = t_dup(out.p, n);
		CU_ASSERT_NOT_EQUAL(bundle_decode(c, n, out.len, &bd), GM_OK);
		CU_ASSERT_PTR_NULL(bd);
		free(c);
	}
	/* an empty bundle is fine; a "from" that does not fit is refused */
	gm_buf_reset(&out);
	CU_ASSERT_FATAL(bundle_encode(&out, "4401", 0, 0, 0, NULL, NULL) == GM_OK);
	CU_ASSERT_FATAL(bundle_decode(out.p, out.len, out.len, &bd) == GM_OK);
	CU_ASSERT_EQUAL(bd->n, 0);
	bundle_free(bd);
	gm_buf_reset(&out);
	CU_ASSERT_EQUAL(bundle_encode(&out, "4401060120010011", 0, 0, 0, NULL, NULL), GM_E_INVAL);
	gm_buf_free(&out);
}

/* A bundle packed by hand: [magic, version, from, after, upto, bodies]. */
static enum gm_err bundle_variant(int v)
{
	struct gm_buf b;
	msgpack_packer pk;
	struct bundle *bd = NULL;
	gm_buf_init(&b);
	gm_buf_packer(&b, &pk);
	msgpack_pack_array(&pk, v == 1 ? 7 : 6);
	gm_pack_cstr(&pk, v == 2 ? "gmx" : "gmb");
	msgpack_pack_uint8(&pk, v == 3 ? 2 : 1);
	if (v == 4)
		gm_pack_cstr(&pk, "0123456789abcdef");   /* 16: no room for the NUL */
	else if (v == 5)
		msgpack_pack_int(&pk, 4401);
	else
		gm_pack_cstr(&pk, "4401");
	msgpack_pack_int64(&pk, v == 6 ? 10 : 1);
	msgpack_pack_int64(&pk, 5);                   /* upto < after when after = 10 */
	if (v == 7) {
		msgpack_pack_map(&pk, 0);
	} else {
		msgpack_pack_array(&pk, 2);
		msgpack_pack_bin(&pk, 1);
		msgpack_pack_bin_body(&pk, "x", 1);
		if (v == 8) {
			msgpack_pack_bin(&pk, 0);          /* an empty body */
		} else if (v == 9) {
			gm_pack_cstr(&pk, "y");            /* str, not bin */
		} else {
			msgpack_pack_bin(&pk, 1);
			msgpack_pack_bin_body(&pk, "y", 1);
		}
	}
	if (v == 1)
		msgpack_pack_nil(&pk);
	if (v == 10)
		msgpack_pack_nil(&pk);                     /* trailing object */
	uint8_t *c = t_dup(b.p, b.len);
	enum gm_err e = bundle_decode(c, b.len, 1 << 20, &bd);
	CU_ASSERT((e == GM_OK) == (bd != NULL));
	bundle_free(bd);
	free(c);
	gm_buf_free(&b);
	return e;
}

static void t_bundle_lies(void)
{
	CU_ASSERT_EQUAL(bundle_variant(0), GM_OK);
	CU_ASSERT_EQUAL(bundle_variant(1), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(bundle_variant(2), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(bundle_variant(3), GM_E_VERSION);
	CU_ASSERT_EQUAL(bundle_variant(4), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(bundle_variant(5), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(bundle_variant(6), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(bundle_variant(7), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(bundle_variant(8), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(bundle_variant(9), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(bundle_variant(10), GM_E_MALFORMED);
	/* a count of 4G bodies in 10 bytes */
	static const uint8_t huge[] = { 0x96, 0xa3, 'g', 'm', 'b', 0x01, 0xa1, '1', 0x00, 0x00,
					0xdd, 0xff, 0xff, 0xff, 0xff };
	struct bundle *bd = NULL;
	uint8_t *c = t_dup(huge, sizeof(huge));
	CU_ASSERT_EQUAL(bundle_decode(c, sizeof(huge), 1 << 20, &bd), GM_E_MALFORMED);
	free(c);

	/* random flips never crash */
	static const uint8_t b1[40] = { 1 };
	const uint8_t *bodies[] = { b1, b1 };
	const size_t lens[] = { sizeof(b1), 3 };
	struct gm_buf out;
	uint64_t rs = t_seed("bundle byte flips", 77);
	gm_buf_init(&out);
	CU_ASSERT_FATAL(bundle_encode(&out, "440106012", 1, 2, 2, bodies, lens) == GM_OK);
	for (int r = 0; r < 2000; r++) {
		c = t_dup(out.p, out.len);
		flip_some(c, out.len, &rs);
		if (bundle_decode(c, out.len, out.len, &bd) == GM_OK) {
			for (uint32_t i = 0; i < bd->n; i++)
				CU_ASSERT(bd->body[i] >= c && bd->body[i] + bd->len[i] <= c + out.len);
			bundle_free(bd);
		}
		free(c);
	}
	gm_buf_free(&out);
}

/* ---------------------------------------------------------------- mpscan */

static enum gm_err scan_hex(const char *hex, unsigned depth)
{
	uint8_t buf[64];
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned x;
		CU_ASSERT_FATAL(sscanf(hex, "%2x", &x) == 1 && n < sizeof(buf));
		buf[n++] = (uint8_t)x;
	}
	uint8_t *c = t_dup(buf, n);
	enum gm_err e = mpscan_check(c, n, depth);
	free(c);
	return e;
}

static void t_mpscan(void)
{
	static const struct {
		const char *hex;
		unsigned depth;
		enum gm_err want;
	} cases[] = {
		{ "c0", 4, GM_OK },
		{ "93010203", 4, GM_OK },
		{ "82a16101a16202", 4, GM_OK },                 /* {a:1, b:2} */
		{ "cb3ff0000000000000", 4, GM_OK },             /* double */
		{ "ca3f800000", 4, GM_OK },                     /* float */
		{ "d3ffffffffffffffff", 4, GM_OK },
		{ "c40100", 4, GM_OK },
		{ "d90161", 4, GM_OK },
		{ "dc000101", 4, GM_OK },
		{ "de0001c0c0", 4, GM_OK },
		{ "", 4, GM_E_MALFORMED },                      /* nothing */
		{ "c0c0", 4, GM_E_MALFORMED },                  /* two objects */
		{ "930102", 4, GM_E_MALFORMED },                /* one short */
		{ "82a16101a162", 4, GM_E_MALFORMED },          /* map value missing */
		{ "dc0003", 4, GM_E_MALFORMED },                /* 3 claimed, 1 byte left */
		{ "ddffffffff00", 4, GM_E_MALFORMED },
		{ "df7fffffff0000", 4, GM_E_MALFORMED },
		{ "c6ffffffff00", 4, GM_E_MALFORMED },
		{ "db00000002ff", 4, GM_E_MALFORMED },
		{ "c5ff", 4, GM_E_MALFORMED },                  /* size itself cut */
		{ "cd01", 4, GM_E_MALFORMED },
		{ "cb3ff0", 4, GM_E_MALFORMED },
		{ "c1", 4, GM_E_MALFORMED },
		{ "d401ff", 4, GM_E_MALFORMED },                /* fixext 1 */
		{ "c70101ff", 4, GM_E_MALFORMED },              /* ext 8 */
		{ "c8000101ff", 4, GM_E_MALFORMED },            /* ext 16 */
		{ "c900000001 01ff", 4, GM_E_MALFORMED },
		{ "9191919191c0", 4, GM_E_TOOBIG },             /* depth 5 > 4 */
		{ "91919191c0", 4, GM_OK },
		{ "81c0c0", 1, GM_OK },
		{ "91c0", 1, GM_OK },
		{ "9191c0", 1, GM_E_TOOBIG },
		{ "81c091c0", 1, GM_E_TOOBIG },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char compact[64];
		size_t n = 0;
		for (const char *p = cases[i].hex; *p && n < sizeof(compact) - 1; p++)
			if (*p != ' ')
				compact[n++] = *p;
		compact[n] = 0;
		enum gm_err got = scan_hex(compact, cases[i].depth);
		if (got != cases[i].want)
			fprintf(stderr, "\n  mpscan %s: got %s", cases[i].hex, gm_strerror(got));
		CU_ASSERT_EQUAL(got, cases[i].want);
	}
	CU_ASSERT_EQUAL(mpscan_check(NULL, 0, 4), GM_E_MALFORMED);
	/* deep nesting does not recurse past the limit: 100k opening brackets */
	size_t deep = 100000;
	uint8_t *d = malloc(deep);
	CU_ASSERT_FATAL(d != NULL);
	memset(d, 0x91, deep);
	CU_ASSERT_EQUAL(mpscan_check(d, deep, 8), GM_E_TOOBIG);
	free(d);
}

void t_init_proto_tests(void)
{
	static const struct t_case cases[] = {
		{ "batch round trip, every value kind", t_roundtrip },
		{ "batch round trip through zstd", t_roundtrip_compressed },
		{ "canonical bytes", t_canonical },
		{ "golden vector tests/golden/batch_v1.hex", t_golden },
		{ "every truncation fails", t_truncations },
		{ "random byte flips never crash", t_byte_flips },
		{ "envelope fields that lie", t_envelope_lies },
		{ "payload fields that lie", t_payload_lies },
		{ "zstd frames that lie", t_zstd_lies },
		{ "encoder refuses what it cannot say", t_encode_limits },
		{ "bundle round trip and truncations", t_bundle },
		{ "bundle fields that lie", t_bundle_lies },
		{ "mpscan structure check", t_mpscan },
		{ NULL, NULL },
	};
	t_add_suite("proto", cases);
}
