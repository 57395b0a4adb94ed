/* senml.c - SenML JSON and CBOR packs into resolved records (RFC 8428). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cbor.h>
#include <jansson.h>
#include "senml.h"
#include "log.h"

#define NUM_LIMIT 1e15

/* The fields of RFC 8428 section 4, with their CBOR labels (section 6). */
enum field { F_BVER, F_BN, F_BT, F_BU, F_BV, F_BS, F_N, F_U, F_V, F_VS, F_VB, F_S, F_T, F_UT,
	     F_VD, F__COUNT };
enum ftype { T_NUM, T_STR, T_BOOL, T_DATA };

static const struct {
	const char *name;
	int label;
	enum ftype type;
} fields[F__COUNT] = {
	[F_BVER] = { "bver", -1, T_NUM }, [F_BN] = { "bn", -2, T_STR },
	[F_BT] = { "bt", -3, T_NUM },     [F_BU] = { "bu", -4, T_STR },
	[F_BV] = { "bv", -5, T_NUM },     [F_BS] = { "bs", -6, T_NUM },
	[F_N] = { "n", 0, T_STR },        [F_U] = { "u", 1, T_STR },
	[F_V] = { "v", 2, T_NUM },        [F_VS] = { "vs", 3, T_STR },
	[F_VB] = { "vb", 4, T_BOOL },     [F_S] = { "s", 5, T_NUM },
	[F_T] = { "t", 6, T_NUM },        [F_UT] = { "ut", 7, T_NUM },
	[F_VD] = { "vd", 8, T_DATA },
};

/* One field value as either representation gives it. */
struct scalar {
	enum { SC_NUM, SC_STR, SC_BOOL, SC_BYTES, SC_NULL } t;
	double d;
	const char *s;         /* not NUL-terminated */
	size_t len;
	bool b;
};

/* One record's fields before resolution; strings point into the input. */
struct raw {
	unsigned has;          /* bit per enum field */
	struct scalar v[F__COUNT];
};

struct parser {
	struct senml_pack *out;
	size_t cap;
	double now;
	unsigned recno;        /* the record being read, from 1 */
	/* base fields in force */
	char bn[SENML_NAME_MAX + 1];
	size_t bnlen;
	const char *bu;
	double bt, bv, bs;
	bool has_bv, has_bs;
	enum gm_err err;
	char *why;
	size_t whylen;
};

static bool fail(struct parser *p, enum gm_err e, const char *fmt, ...) GM_PRINTF(3, 4);

static bool fail(struct parser *p, enum gm_err e, const char *fmt, ...)
{
	va_list ap;
	if (p->err)
		return false;   /* the first reason is the one that counts */
	p->err = e;
	va_start(ap, fmt);
	vsnprintf(p->why, p->whylen, fmt, ap);
	va_end(ap);
	/* reasons quote the device's bytes (field names, jansson's near '...') */
	log_clean(p->why);
	return false;
}

static int field_by_name(const char *s, size_t len)
{
	for (int i = 0; i < F__COUNT; i++)
		if (strlen(fields[i].name) == len && !memcmp(fields[i].name, s, len))
			return i;
	return -1;
}

static int field_by_label(int64_t label)
{
	for (int i = 0; i < F__COUNT; i++)
		if (fields[i].label == label)
			return i;
	return -1;
}

/* RFC 8428 section 4.4: an unknown field whose name ends in "_" must be understood. */
static bool unknown_ok(struct parser *p, const char *name, size_t len)
{
	if (len && name[len - 1] == '_')
		return fail(p, GM_E_MALFORMED, "record %u: field \"%.*s\" must be understood and is"
			    " not", p->recno, (int)(len > 40 ? 40 : len), name);
	return true;
}

/* Well-formed UTF-8 with no control characters (texts end up in tickets). */
static bool text_ok(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned c = u[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!n || i + n > len || (n == 1 && c < 0x20) || c == 0x7f || (n == 2 && c < 0xc2))
			return false;
		for (size_t k = 1; k < n; k++)
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
		i += n;
	}
	return true;
}

static const char *type_name(enum ftype t)
{
	switch (t) {
	case T_NUM: return "a number";
	case T_STR: return "a string";
	case T_BOOL: return "true or false";
	case T_DATA: return "base64 data";
	}
	return "?";
}

/* Stores a known field of the current record after checking its type. */
static bool set_field(struct parser *p, struct raw *r, int f, const struct scalar *v)
{
	const char *name = fields[f].name;
	bool ok;
	if (r->has & (1u << f))
		return fail(p, GM_E_MALFORMED, "record %u: field \"%s\" twice", p->recno, name);
	switch (fields[f].type) {
	case T_NUM: ok = v->t == SC_NUM; break;
	case T_STR: ok = v->t == SC_STR; break;
	case T_BOOL: ok = v->t == SC_BOOL; break;
	case T_DATA: ok = v->t == SC_STR || v->t == SC_BYTES; break;
	default: ok = false;
	}
	if (!ok)
		return fail(p, GM_E_MALFORMED, "record %u: \"%s\" must be %s", p->recno, name,
			    type_name(fields[f].type));
	if (v->t == SC_NUM && (!isfinite(v->d) || fabs(v->d) > NUM_LIMIT))
		return fail(p, GM_E_MALFORMED, "record %u: \"%s\" = %g is not a plausible number",
			    p->recno, name, v->d);
	if ((v->t == SC_STR || v->t == SC_BYTES) && v->len > SENML_TEXT_MAX)
		return fail(p, GM_E_TOOBIG, "record %u: \"%s\" longer than %d bytes", p->recno, name,
			    SENML_TEXT_MAX);
	if (v->t == SC_STR && !text_ok(v->s, v->len))
		return fail(p, GM_E_MALFORMED, "record %u: \"%s\" is not clean UTF-8 text", p->recno,
			    name);
	r->v[f] = *v;
	r->has |= 1u << f;
	return true;
}

static bool has(const struct raw *r, enum field f)
{
	return r->has & (1u << f);
}

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '-' || c == ':' || c == '.' || c == '/' || c == '_');
}

/* Resolves one record against the base fields in force and appends it. */
static bool add_record(struct parser *p, const struct raw *r)
{
	struct senml_pack *out = p->out;
	char name[SENML_NAME_MAX + 1];
	size_t nlen;

	if (out->n == SENML_MAX_RECORDS)
		return fail(p, GM_E_TOOBIG, "more than %d records", SENML_MAX_RECORDS);
	if (has(r, F_BVER)) {
		double b = r->v[F_BVER].d;
		if (b != floor(b) || b < 1 || b > SENML_VERSION)
			return fail(p, GM_E_MALFORMED, "record %u: bver %g: this node reads SenML"
				    " versions 1 to %d", p->recno, b, SENML_VERSION);
	}
	if (has(r, F_BN)) {
		if (r->v[F_BN].len > SENML_NAME_MAX)
			return fail(p, GM_E_TOOBIG, "record %u: bn longer than %d", p->recno,
				    SENML_NAME_MAX);
		memcpy(p->bn, r->v[F_BN].s, r->v[F_BN].len);
		p->bnlen = r->v[F_BN].len;
	}
	if (has(r, F_BT))
		p->bt = r->v[F_BT].d;
	if (has(r, F_BU)) {
		p->bu = arena_strndup(&out->arena, r->v[F_BU].s, r->v[F_BU].len);
		if (!p->bu)
			return fail(p, GM_E_NOMEM, "out of memory");
	}
	if (has(r, F_BV)) {
		p->bv = r->v[F_BV].d;
		p->has_bv = true;
	}
	if (has(r, F_BS)) {
		p->bs = r->v[F_BS].d;
		p->has_bs = true;
	}

	/* name = bn + n: the rules of section 4.5.1 */
	size_t n = has(r, F_N) ? r->v[F_N].len : 0;
	nlen = p->bnlen + n;
	if (!nlen)
		return fail(p, GM_E_MALFORMED, "record %u: no name (neither bn nor n)", p->recno);
	if (nlen > SENML_NAME_MAX)
		return fail(p, GM_E_TOOBIG, "record %u: name longer than %d", p->recno,
			    SENML_NAME_MAX);
	memcpy(name, p->bn, p->bnlen);
	if (n)
		memcpy(name + p->bnlen, r->v[F_N].s, n);
	name[nlen] = 0;
	for (size_t i = 0; i < nlen; i++)
		if (!name_char(name[i], i == 0))
			return fail(p, GM_E_MALFORMED, "record %u: name \"%.60s\" has a character"
				    " SenML does not allow at position %zu", p->recno, name, i + 1);

	unsigned nvals = has(r, F_V) + has(r, F_VS) + has(r, F_VB) + has(r, F_VD);
	if (nvals > 1)
		return fail(p, GM_E_MALFORMED, "record %u (%s): more than one value", p->recno, name);
	if (!nvals && !has(r, F_S))
		return fail(p, GM_E_MALFORMED, "record %u (%s): no value (v, vs, vb or vd) and no sum",
			    p->recno, name);

	if (out->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 8;
		struct senml_rec *nr = realloc(out->rec, nc * sizeof(*nr));
		if (!nr)
			return fail(p, GM_E_NOMEM, "out of memory");
		out->rec = nr;
		p->cap = nc;
	}
	struct senml_rec *rec = &out->rec[out->n];
	memset(rec, 0, sizeof(*rec));
	rec->name = arena_strndup(&out->arena, name, nlen);
	if (has(r, F_U))
		rec->unit = arena_strndup(&out->arena, r->v[F_U].s, r->v[F_U].len);
	else
		rec->unit = p->bu ? p->bu : "";
	if (!rec->name || !rec->unit)
		return fail(p, GM_E_NOMEM, "out of memory");
	if (has(r, F_V)) {
		rec->kind = SENML_NUM;
		rec->v = r->v[F_V].d + (p->has_bv ? p->bv : 0);
	} else if (has(r, F_VS)) {
		rec->kind = SENML_STR;
		rec->vs = arena_strndup(&out->arena, r->v[F_VS].s, r->v[F_VS].len);
		if (!rec->vs)
			return fail(p, GM_E_NOMEM, "out of memory");
	} else if (has(r, F_VB)) {
		rec->kind = SENML_BOOL;
		rec->vb = r->v[F_VB].b;
		rec->v = rec->vb ? 1 : 0;
	} else if (has(r, F_VD)) {
		rec->kind = SENML_DATA;
	}
	if (has(r, F_S)) {
		rec->has_sum = true;
		rec->sum = r->v[F_S].d + (p->has_bs ? p->bs : 0);
	}
	double t = p->bt + (has(r, F_T) ? r->v[F_T].d : 0);
	if (t < SENML_REL_TIME)
		t += p->now;   /* relative: section 4.5.3 */
	if (t < 0)
		return fail(p, GM_E_MALFORMED, "record %u (%s): time before 1970", p->recno, name);
	rec->t = t;
	out->n++;
	return true;
}

/* ------------------------------------------------------------------ JSON */

static bool json_scalar(const json_t *j, struct scalar *v)
{
	memset(v, 0, sizeof(*v));
	switch (json_typeof(j)) {
	case JSON_INTEGER:
		v->t = SC_NUM;
		v->d = (double)json_integer_value(j);
		return true;
	case JSON_REAL:
		v->t = SC_NUM;
		v->d = json_real_value(j);
		return true;
	case JSON_STRING:
		v->t = SC_STR;
		v->s = json_string_value(j);
		v->len = json_string_length(j);
		return true;
	case JSON_TRUE:
	case JSON_FALSE:
		v->t = SC_BOOL;
		v->b = json_is_true(j);
		return true;
	case JSON_NULL:
		v->t = SC_NULL;
		return true;
	default:
		return false;
	}
}

static bool parse_json(struct parser *p, const uint8_t *body, size_t len)
{
	json_error_t je;
	json_t *root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	bool ok = false;
	if (!root)
		return fail(p, GM_E_MALFORMED, "not JSON: %s (line %d, column %d)", je.text, je.line,
			    je.column);
	if (!json_is_array(root) || !json_array_size(root)) {
		fail(p, GM_E_MALFORMED, "a SenML pack is a non-empty JSON array of records");
		goto out_free_root;
	}
	if (json_array_size(root) > SENML_MAX_RECORDS) {
		fail(p, GM_E_TOOBIG, "more than %d records", SENML_MAX_RECORDS);
		goto out_free_root;
	}
	for (size_t i = 0; i < json_array_size(root); i++) {
		const json_t *rj = json_array_get(root, i);
		const char *key;
		const json_t *val;
		struct raw r;
		p->recno = (unsigned)i + 1;
		if (!json_is_object(rj)) {
			fail(p, GM_E_MALFORMED, "record %u is not a JSON object", p->recno);
			goto out_free_root;
		}
		memset(&r, 0, sizeof(r));
		json_object_foreach((json_t *)rj, key, val) {
			struct scalar v;
			int f = field_by_name(key, strlen(key));
			if (f < 0) {
				if (!unknown_ok(p, key, strlen(key)))
					goto out_free_root;
				continue;
			}
			if (!json_scalar(val, &v)) {
				fail(p, GM_E_MALFORMED, "record %u: \"%s\" must be %s", p->recno, key,
				     type_name(fields[f].type));
				goto out_free_root;
			}
			if (!set_field(p, &r, f, &v))
				goto out_free_root;
		}
		if (!add_record(p, &r))
			goto out_free_root;
	}
	ok = true;
out_free_root:
	json_decref(root);
	return ok;
}

/* ------------------------------------------------------------------ CBOR */

#define INDEF SIZE_MAX

/* Where the streaming decoder is in [ {label: scalar, ...}, ... ]. */
struct cparse {
	struct parser *p;
	enum { S_TOP, S_REC, S_KEY, S_VAL, S_DONE } state;
	size_t recs_left;      /* INDEF: until a break */
	size_t pairs_left;
	bool map_indef;
	int field;             /* the value's field, or -1: unknown, ignored */
	struct raw raw;
};

static void cfail(struct cparse *c, const char *what)
{
	fail(c->p, GM_E_MALFORMED, "record %u: %s", c->p->recno ? c->p->recno : 1, what);
	c->state = S_DONE;   /* nothing further is read */
}

static void end_record(struct cparse *c)
{
	if (!add_record(c->p, &c->raw)) {
		c->state = S_DONE;
		return;
	}
	if (c->recs_left != INDEF && --c->recs_left == 0) {
		c->state = S_DONE;
		return;
	}
	c->state = S_REC;
}

static void after_value(struct cparse *c)
{
	c->state = S_KEY;
	if (!c->map_indef && --c->pairs_left == 0)
		end_record(c);
}

static void start_record(struct cparse *c, size_t pairs, bool indef)
{
	c->p->recno++;
	memset(&c->raw, 0, sizeof(c->raw));
	c->pairs_left = pairs;
	c->map_indef = indef;
	c->state = S_KEY;
	if (!indef && !pairs)
		end_record(c);
}

static void label(struct cparse *c, int64_t lab)
{
	c->field = field_by_label(lab);
	c->state = S_VAL;
}

/* A scalar token: a label in S_KEY, a value in S_VAL, an error elsewhere. */
static void scalar(struct cparse *c, const struct scalar *v)
{
	struct parser *p = c->p;
	if (p->err)
		return;
	switch (c->state) {
	case S_KEY:
		if (v->t == SC_STR) {
			c->field = field_by_name(v->s, v->len);
			if (c->field < 0 && !unknown_ok(p, v->s, v->len)) {
				c->state = S_DONE;
				return;
			}
			c->state = S_VAL;
		} else {
			cfail(c, "a field label must be an integer or a text");
		}
		return;
	case S_VAL:
		if (c->field >= 0 && !set_field(p, &c->raw, c->field, v)) {
			c->state = S_DONE;
			return;
		}
		after_value(c);
		return;
	case S_DONE:
		if (!p->err)
			fail(p, GM_E_MALFORMED, "trailing bytes after the SenML pack");
		return;
	default:
		cfail(c, c->state == S_TOP ? "a SenML pack is a CBOR array of maps"
					   : "a record must be a CBOR map");
	}
}

static void c_uint(void *ctx, uint64_t u)
{
	struct cparse *c = ctx;
	if (c->state == S_KEY && !c->p->err) {
		label(c, u > 1000 ? 1000 : (int64_t)u);
		return;
	}
	struct scalar v = { .t = SC_NUM, .d = (double)u };
	scalar(c, &v);
}

static void c_neg(void *ctx, uint64_t u)
{
	struct cparse *c = ctx;
	if (c->state == S_KEY && !c->p->err) {
		label(c, u > 1000 ? -1000 : -1 - (int64_t)u);
		return;
	}
	struct scalar v = { .t = SC_NUM, .d = -1.0 - (double)u };
	scalar(c, &v);
}

static void c_u8(void *ctx, uint8_t u) { c_uint(ctx, u); }
static void c_u16(void *ctx, uint16_t u) { c_uint(ctx, u); }
static void c_u32(void *ctx, uint32_t u) { c_uint(ctx, u); }
static void c_n8(void *ctx, uint8_t u) { c_neg(ctx, u); }
static void c_n16(void *ctx, uint16_t u) { c_neg(ctx, u); }
static void c_n32(void *ctx, uint32_t u) { c_neg(ctx, u); }

static void c_float(void *ctx, float f)
{
	struct scalar v = { .t = SC_NUM, .d = f };
	scalar(ctx, &v);
}

static void c_double(void *ctx, double d)
{
	struct scalar v = { .t = SC_NUM, .d = d };
	scalar(ctx, &v);
}

static void c_bool(void *ctx, bool b)
{
	struct scalar v = { .t = SC_BOOL, .b = b };
	scalar(ctx, &v);
}

static void c_null(void *ctx)
{
	struct scalar v = { .t = SC_NULL };
	scalar(ctx, &v);
}

static void c_text(void *ctx, cbor_data s, size_t len)
{
	struct scalar v = { .t = SC_STR, .s = (const char *)s, .len = len };
	scalar(ctx, &v);
}

static void c_bytes(void *ctx, cbor_data s, size_t len)
{
	struct scalar v = { .t = SC_BYTES, .s = (const char *)s, .len = len };
	scalar(ctx, &v);
}

static void c_unsupported(void *ctx)
{
	struct cparse *c = ctx;
	if (!c->p->err)
		cfail(c, "indefinite-length strings are not supported");
}

static void c_tag(void *ctx, uint64_t tag)
{
	struct cparse *c = ctx;
	(void)tag;
	if (!c->p->err)
		cfail(c, "CBOR tags have no place in SenML");
}

static void container(struct cparse *c, bool map, size_t n, bool indef)
{
	if (c->p->err)
		return;
	if (c->state == S_TOP && !map) {
		if (!indef && !n) {
			fail(c->p, GM_E_MALFORMED, "a SenML pack is a non-empty array of records");
			c->state = S_DONE;
			return;
		}
		if (!indef && n > SENML_MAX_RECORDS) {
			fail(c->p, GM_E_TOOBIG, "more than %d records", SENML_MAX_RECORDS);
			c->state = S_DONE;
			return;
		}
		c->recs_left = indef ? INDEF : n;
		c->state = S_REC;
	} else if (c->state == S_REC && map) {
		start_record(c, n, indef);
	} else if (c->state == S_VAL || c->state == S_KEY) {
		cfail(c, "field labels and values must not be arrays or maps");
	} else if (c->state == S_DONE) {
		fail(c->p, GM_E_MALFORMED, "trailing bytes after the SenML pack");
	} else {
		cfail(c, c->state == S_TOP ? "a SenML pack is a CBOR array of maps"
					   : "a record must be a CBOR map");
	}
}

static void c_array(void *ctx, size_t n) { container(ctx, false, n, false); }
static void c_array_indef(void *ctx) { container(ctx, false, 0, true); }
static void c_map(void *ctx, size_t n) { container(ctx, true, n, false); }
static void c_map_indef(void *ctx) { container(ctx, true, 0, true); }

static void c_break(void *ctx)
{
	struct cparse *c = ctx;
	if (c->p->err)
		return;
	if (c->state == S_KEY && c->map_indef) {
		end_record(c);
	} else if (c->state == S_REC && c->recs_left == INDEF) {
		if (!c->p->out->n) {
			fail(c->p, GM_E_MALFORMED, "a SenML pack is a non-empty array of records");
			c->state = S_DONE;
			return;
		}
		c->state = S_DONE;
	} else {
		cfail(c, "a break where none belongs");
	}
}

static bool parse_cbor(struct parser *p, const uint8_t *body, size_t len)
{
	struct cbor_callbacks cb = cbor_empty_callbacks;
	struct cparse c = { .p = p, .state = S_TOP };
	size_t off = 0;

	cb.uint8 = c_u8;
	cb.uint16 = c_u16;
	cb.uint32 = c_u32;
	cb.uint64 = c_uint;
	cb.negint8 = c_n8;
	cb.negint16 = c_n16;
	cb.negint32 = c_n32;
	cb.negint64 = c_neg;
	cb.string = c_text;
	cb.byte_string = c_bytes;
	cb.string_start = c_unsupported;
	cb.byte_string_start = c_unsupported;
	cb.array_start = c_array;
	cb.indef_array_start = c_array_indef;
	cb.map_start = c_map;
	cb.indef_map_start = c_map_indef;
	cb.tag = c_tag;
	cb.float2 = c_float;
	cb.float4 = c_float;
	cb.float8 = c_double;
	cb.null = c_null;
	cb.undefined = c_null;
	cb.boolean = c_bool;
	cb.indef_break = c_break;

	while (off < len && !p->err) {
		struct cbor_decoder_result r = cbor_stream_decode(body + off, len - off, &cb, &c);
		if (r.status != CBOR_DECODER_FINISHED || !r.read)
			return fail(p, GM_E_MALFORMED, "%s at byte %zu",
				    r.status == CBOR_DECODER_NEDATA ? "CBOR ends early" : "not CBOR",
				    off);
		off += r.read;
	}
	if (p->err)
		return false;
	if (c.state != S_DONE)
		return fail(p, GM_E_MALFORMED, "CBOR ends inside the SenML pack");
	return true;
}

/* ------------------------------------------------------------------- API */

enum gm_err senml_parse(const uint8_t *body, size_t len, unsigned ct, double now,
			struct senml_pack *out, char *why, size_t whylen)
{
	struct parser p = { .out = out, .now = now, .why = why, .whylen = whylen };
	bool ok;
	memset(out, 0, sizeof(*out));
	arena_init(&out->arena, 4096);
	if (whylen)
		why[0] = 0;
	if (ct == SENML_CT_JSON) {
		ok = parse_json(&p, body, len);
	} else if (ct == SENML_CT_CBOR) {
		ok = len ? parse_cbor(&p, body, len)
			 : fail(&p, GM_E_MALFORMED, "an empty body is not a SenML pack");
	} else {
		ok = fail(&p, GM_E_INVAL, "content-format %u is not SenML (110 JSON, 112 CBOR)", ct);
	}
	if (!ok) {
		senml_pack_free(out);
		return p.err ? p.err : GM_E_MALFORMED;
	}
	return GM_OK;
}

void senml_pack_free(struct senml_pack *p)
{
	free(p->rec);
	arena_free(&p->arena);
	memset(p, 0, sizeof(*p));
}

const char *senml_quantity(const char *name)
{
	const char *q = name;
	for (const char *s = name; *s; s++)
		if ((*s == ':' || *s == '/') && s[1])
			q = s + 1;
	return q;
}
