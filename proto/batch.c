/* batch.c - canonical encoding and defensive decoding of change batches. */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <msgpack.h>
#include "batch.h"
#include "mpscan.h"

#define ENV_ELEMS 11
#define MAX_DEPTH 8
#define COMPRESS_MIN 96   /* below this zstd's frame header eats the gain */
/*
 * msgpack objects a decode may unpack: an envelope has 12; a payload 3,
 * at most 132 per group (its arrays, 60 field names, 60 columns) and at
 * most 67 per change (key, clock, seen, mask, actor, its index, note, 60
 * values).  Counting before unpacking keeps a small batch that inflates
 * to 64 MB of nils from costing gigabytes of msgpack objects.
 */
#define ENV_OBJECTS 16
#define PAYLOAD_OBJECTS(nchanges) (3 + BATCH_MAX_GROUPS * 132ull + 67ull * (nchanges))
#define ZSTD_LEVEL 6

/* ---------------------------------------------------------------- encode */

static enum gm_err check_group(const struct batch_group *g)
{
	if (g->nfields > BATCH_MAX_FIELDS || g->n > BATCH_MAX_CHANGES || !g->tablelen)
		return GM_E_INVAL;
	uint64_t full = g->nfields == 64 ? ~0ull : ((1ull << g->nfields) - 1);
	for (uint32_t i = 0; i < g->n; i++) {
		const struct batch_change *c = &g->ch[i];
		if (c->mask & ~full)
			return GM_E_INVAL;
		if (c->seen && c->seen >= c->t)
			return GM_E_INVAL;
		if (!c->keylen || c->keylen > BATCH_MAX_KEY)
			return GM_E_INVAL;
	}
	return GM_OK;
}

/* Index of `s` in the dictionary, adding it if new. */
static uint32_t dict_index(const char **dict, uint32_t *lens, uint32_t *n,
			   const char *s, uint32_t len)
{
	for (uint32_t k = *n; k-- > 0;)
		if (lens[k] == len && memcmp(dict[k], s, len) == 0)
			return k;
	dict[*n] = s;
	lens[*n] = len;
	return (*n)++;
}

static enum gm_err encode_group(msgpack_packer *pk, const struct batch_group *g,
				uint64_t base_t)
{
	enum gm_err e = check_group(g);
	if (e)
		return e;

	msgpack_pack_array(pk, 11);
	gm_pack_str(pk, g->table, g->tablelen);
	msgpack_pack_array(pk, g->nfields);
	for (uint32_t j = 0; j < g->nfields; j++)
		gm_pack_str(pk, g->fields[j], g->fieldlens[j]);
	msgpack_pack_uint32(pk, g->n);

	msgpack_pack_array(pk, g->n);
	for (uint32_t i = 0; i < g->n; i++)
		gm_pack_str(pk, g->ch[i].key, g->ch[i].keylen);

	msgpack_pack_array(pk, g->n);
	uint64_t prev = base_t;
	for (uint32_t i = 0; i < g->n; i++) {
		msgpack_pack_int64(pk, (int64_t)(g->ch[i].t - prev));
		prev = g->ch[i].t;
	}

	msgpack_pack_array(pk, g->n);
	for (uint32_t i = 0; i < g->n; i++)
		msgpack_pack_uint64(pk, g->ch[i].seen ? g->ch[i].t - g->ch[i].seen : 0);

	msgpack_pack_array(pk, g->n);
	for (uint32_t i = 0; i < g->n; i++)
		msgpack_pack_uint64(pk, g->ch[i].mask << 1 | (g->ch[i].del ? 1 : 0));

	/* actor dictionary, then per-change index + 1 (0 = no actor) */
	const char **dict = NULL;
	uint32_t *dlens = NULL, nd = 0;
	uint32_t *idx = NULL;
	if (g->n) {
		dict = malloc(sizeof(*dict) * g->n);
		dlens = malloc(sizeof(*dlens) * g->n);
		idx = malloc(sizeof(*idx) * g->n);
		if (!dict || !dlens || !idx) {
			e = GM_E_NOMEM;
			goto out_free_dict;
		}
	}
	for (uint32_t i = 0; i < g->n; i++) {
		const struct batch_change *c = &g->ch[i];
		idx[i] = c->actor ? dict_index(dict, dlens, &nd, c->actor, c->actorlen) + 1 : 0;
	}
	msgpack_pack_array(pk, nd);
	for (uint32_t k = 0; k < nd; k++)
		gm_pack_str(pk, dict[k], dlens[k]);
	msgpack_pack_array(pk, g->n);
	for (uint32_t i = 0; i < g->n; i++)
		msgpack_pack_uint32(pk, idx[i]);

	msgpack_pack_array(pk, g->n);
	for (uint32_t i = 0; i < g->n; i++) {
		if (g->ch[i].note)
			gm_pack_str(pk, g->ch[i].note, g->ch[i].notelen);
		else
			msgpack_pack_nil(pk);
	}

	msgpack_pack_array(pk, g->nfields);
	for (uint32_t j = 0; j < g->nfields; j++) {
		uint32_t cnt = 0;
		for (uint32_t i = 0; i < g->n; i++)
			cnt += (g->ch[i].mask >> j) & 1;
		msgpack_pack_array(pk, cnt);
		for (uint32_t i = 0; i < g->n; i++) {
			const struct batch_change *c = &g->ch[i];
			if (!((c->mask >> j) & 1))
				continue;
			unsigned rank = batch_popcount(c->mask & ((1ull << j) - 1));
			gm_pack_value(pk, &c->vals[rank]);
		}
	}
out_free_dict:
	free(dict);
	free(dlens);
	free(idx);
	return e;
}

enum gm_err batch_encode_payload(const struct batch *b, struct gm_buf *out)
{
	msgpack_packer pk;
	if (b->ngroups > BATCH_MAX_GROUPS)
		return GM_E_INVAL;
	gm_buf_packer(out, &pk);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, b->base_t);
	msgpack_pack_array(&pk, b->ngroups);
	for (uint32_t gi = 0; gi < b->ngroups; gi++) {
		enum gm_err e = encode_group(&pk, &b->groups[gi], b->base_t);
		if (e)
			return e;
	}
	return out->oom ? GM_E_NOMEM : GM_OK;
}

enum gm_err batch_env_encode(struct batch_env *env, const uint8_t *payload,
			     size_t paylen, struct gm_buf *out)
{
	msgpack_packer pk;
	void *z = NULL;
	size_t zlen = 0;

	if (paylen > BATCH_MAX_RAW || env->scopelen > BATCH_MAX_KEY)
		return GM_E_TOOBIG;
	env->comp = BATCH_RAW;
	env->rawlen = (uint32_t)paylen;
	env->payload = payload;
	env->paylen = (uint32_t)paylen;
	if (paylen >= COMPRESS_MIN) {
		size_t bound = ZSTD_compressBound(paylen);
		z = malloc(bound);
		if (!z)
			return GM_E_NOMEM;
		zlen = ZSTD_compress(z, bound, payload, paylen, ZSTD_LEVEL);
		if (!ZSTD_isError(zlen) && zlen < paylen) {
			env->comp = BATCH_ZSTD;
			env->payload = z;
			env->paylen = (uint32_t)zlen;
		}
	}

	gm_buf_reset(out);
	gm_buf_packer(out, &pk);
	msgpack_pack_array(&pk, ENV_ELEMS);
	msgpack_pack_uint8(&pk, BATCH_VERSION);
	msgpack_pack_uint64(&pk, env->origin);
	msgpack_pack_uint64(&pk, env->bseq);
	gm_pack_str(&pk, env->scope, env->scopelen);
	msgpack_pack_uint8(&pk, env->cls);
	msgpack_pack_uint32(&pk, env->nchanges);
	msgpack_pack_uint64(&pk, env->tmax);
	msgpack_pack_uint8(&pk, env->comp);
	msgpack_pack_uint32(&pk, env->rawlen);
	msgpack_pack_bin(&pk, env->paylen);
	msgpack_pack_bin_body(&pk, env->payload, env->paylen);
	env->signed_len = out->len;
	/* the payload now lives in `out`; do not keep a pointer to `z` */
	env->payload = out->p + out->len - env->paylen;
	free(z);
	if (out->oom)
		return GM_E_NOMEM;
	if (out->len + 2 + BATCH_SIG_BYTES > BATCH_MAX_ENVELOPE)
		return GM_E_TOOBIG;
	return GM_OK;
}

void batch_env_finish(struct gm_buf *out, const uint8_t *sig)
{
	msgpack_packer pk;
	gm_buf_packer(out, &pk);
	if (sig) {
		msgpack_pack_bin(&pk, BATCH_SIG_BYTES);
		msgpack_pack_bin_body(&pk, sig, BATCH_SIG_BYTES);
	} else {
		msgpack_pack_nil(&pk);
	}
}

/* ---------------------------------------------------------------- decode */

static bool get_u64(const msgpack_object *o, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return false;
	*v = o->via.u64;
	return true;
}

static bool get_i64(const msgpack_object *o, int64_t *v)
{
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return true;
	}
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
		*v = (int64_t)o->via.u64;
		return true;
	}
	return false;
}

static bool get_str(const msgpack_object *o, const char **s, uint32_t *len, uint32_t max)
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size > max)
		return false;
	*s = o->via.str.ptr;
	*len = o->via.str.size;
	return true;
}

static const msgpack_object *get_array(const msgpack_object *o, uint32_t want)
{
	if (o->type != MSGPACK_OBJECT_ARRAY)
		return NULL;
	if (want != UINT32_MAX && o->via.array.size != want)
		return NULL;
	return o->via.array.ptr;
}

static bool get_value(const msgpack_object *o, struct gm_value *v)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		*v = gm_nil();
		return true;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		v->type = GM_INT;
		return get_i64(o, &v->i);
	case MSGPACK_OBJECT_FLOAT64:
	case MSGPACK_OBJECT_FLOAT32:
		v->type = GM_REAL;
		v->d = o->via.f64;
		return true;
	case MSGPACK_OBJECT_STR:
		v->type = GM_TEXT;
		return get_str(o, &v->s, &v->len, BATCH_MAX_TEXT);
	default:
		return false;
	}
}

static enum gm_err unpack(const uint8_t *p, size_t len, uint64_t max_objects,
			  msgpack_unpacked *up)
{
	size_t off = 0;
	enum gm_err e = mpscan_check_n(p, len, MAX_DEPTH, max_objects);
	if (e)
		return e;
	msgpack_unpacked_init(up);
	msgpack_unpack_return r = msgpack_unpack_next(up, (const char *)p, len, &off);
	if (r == MSGPACK_UNPACK_NOMEM_ERROR) {
		msgpack_unpacked_destroy(up);
		return GM_E_NOMEM;
	}
	if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
		msgpack_unpacked_destroy(up);
		return GM_E_MALFORMED;
	}
	return GM_OK;
}

static enum gm_err env_from_object(const msgpack_object *root, const uint8_t *p,
				   size_t len, struct batch_env *env)
{
	uint64_t v;
	if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size < 1)
		return GM_E_MALFORMED;
	const msgpack_object *a = root->via.array.ptr;
	if (!get_u64(&a[0], &v))
		return GM_E_MALFORMED;
	if (v != BATCH_VERSION)
		return GM_E_VERSION;
	if (root->via.array.size != ENV_ELEMS)
		return GM_E_MALFORMED;
	memset(env, 0, sizeof(*env));
	if (!get_u64(&a[1], &env->origin) || !get_u64(&a[2], &env->bseq))
		return GM_E_MALFORMED;
	if (!get_str(&a[3], &env->scope, &env->scopelen, BATCH_MAX_KEY))
		return GM_E_MALFORMED;
	if (!get_u64(&a[4], &v) || v > 255)
		return GM_E_MALFORMED;
	env->cls = (uint8_t)v;
	if (!get_u64(&a[5], &v) || v > BATCH_MAX_CHANGES)
		return GM_E_MALFORMED;
	env->nchanges = (uint32_t)v;
	if (!get_u64(&a[6], &env->tmax))
		return GM_E_MALFORMED;
	if (!get_u64(&a[7], &v) || v > BATCH_ZSTD)
		return GM_E_MALFORMED;
	env->comp = (uint8_t)v;
	if (!get_u64(&a[8], &v))
		return GM_E_MALFORMED;
	if (v > BATCH_MAX_RAW)
		return GM_E_TOOBIG;
	env->rawlen = (uint32_t)v;
	if (a[9].type != MSGPACK_OBJECT_BIN)
		return GM_E_MALFORMED;
	env->payload = (const uint8_t *)a[9].via.bin.ptr;
	env->paylen = a[9].via.bin.size;
	if (env->comp == BATCH_RAW && env->paylen != env->rawlen)
		return GM_E_MALFORMED;
	/* the signature is the last element: locate what it covers */
	if (a[10].type == MSGPACK_OBJECT_NIL) {
		if (p[len - 1] != 0xc0)
			return GM_E_MALFORMED;
		env->sig = NULL;
		env->signed_len = len - 1;
	} else if (a[10].type == MSGPACK_OBJECT_BIN && a[10].via.bin.size == BATCH_SIG_BYTES &&
		   len >= BATCH_SIG_BYTES + 2 &&
		   (const uint8_t *)a[10].via.bin.ptr == p + len - BATCH_SIG_BYTES &&
		   p[len - BATCH_SIG_BYTES - 2] == 0xc4) {
		env->sig = p + len - BATCH_SIG_BYTES;
		env->signed_len = len - BATCH_SIG_BYTES - 2;
	} else {
		return GM_E_MALFORMED;
	}
	return GM_OK;
}

enum gm_err batch_env_decode(const uint8_t *p, size_t len, struct batch_env *env)
{
	msgpack_unpacked up;
	if (len > BATCH_MAX_ENVELOPE)
		return GM_E_TOOBIG;
	enum gm_err e = unpack(p, len, ENV_OBJECTS, &up);
	if (e)
		return e;
	e = env_from_object(&up.data, p, len, env);
	msgpack_unpacked_destroy(&up);
	return e;
}

struct batch_priv {
	msgpack_unpacked up;
	uint8_t *raw;     /* decompressed payload, or NULL */
};

static void *zalloc(msgpack_zone *z, size_t n, size_t size)
{
	if (n && size > SIZE_MAX / n)
		return NULL;
	void *p = msgpack_zone_malloc(z, (n && size) ? n * size : 1);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static enum gm_err decode_group(msgpack_zone *z, const msgpack_object *o,
				uint64_t *prev_t, struct batch_group *g,
				uint64_t *total)
{
	const msgpack_object *a = get_array(o, 11);
	uint64_t v;
	if (!a)
		return GM_E_MALFORMED;
	if (!get_str(&a[0], &g->table, &g->tablelen, BATCH_MAX_KEY) || !g->tablelen)
		return GM_E_MALFORMED;
	if (a[1].type != MSGPACK_OBJECT_ARRAY || a[1].via.array.size > BATCH_MAX_FIELDS)
		return GM_E_MALFORMED;
	const msgpack_object *fo = a[1].via.array.ptr;
	g->nfields = a[1].via.array.size;
	g->fields = zalloc(z, g->nfields, sizeof(*g->fields));
	g->fieldlens = zalloc(z, g->nfields, sizeof(*g->fieldlens));
	if (!g->fields || !g->fieldlens)
		return GM_E_NOMEM;
	for (uint32_t j = 0; j < g->nfields; j++)
		if (!get_str(&fo[j], &g->fields[j], &g->fieldlens[j], BATCH_MAX_KEY))
			return GM_E_MALFORMED;
	if (!get_u64(&a[2], &v) || v > BATCH_MAX_CHANGES)
		return GM_E_MALFORMED;
	g->n = (uint32_t)v;
	*total += v;
	if (*total > BATCH_MAX_CHANGES)
		return GM_E_TOOBIG;

	static const int sized[11] = { 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 2 };
	for (int k = 3; k < 11; k++) {
		if (a[k].type != MSGPACK_OBJECT_ARRAY)
			return GM_E_MALFORMED;
		if ((sized[k] == 1 && a[k].via.array.size != g->n) ||
		    (sized[k] == 2 && a[k].via.array.size != g->nfields))
			return GM_E_MALFORMED;
	}
	const msgpack_object *keys = a[3].via.array.ptr;
	const msgpack_object *ts = a[4].via.array.ptr;
	const msgpack_object *seen = a[5].via.array.ptr;
	const msgpack_object *masks = a[6].via.array.ptr;
	const msgpack_object *actors = a[7].via.array.ptr;
	const msgpack_object *aidx = a[8].via.array.ptr;
	const msgpack_object *notes = a[9].via.array.ptr;
	const msgpack_object *cols = a[10].via.array.ptr;
	uint32_t nactors = a[7].via.array.size;

	g->ch = zalloc(z, g->n, sizeof(*g->ch));
	if (!g->ch)
		return GM_E_NOMEM;
	uint64_t full = (1ull << g->nfields) - 1;
	uint64_t nvals = 0;
	for (uint32_t i = 0; i < g->n; i++) {
		struct batch_change *c = &g->ch[i];
		int64_t dt;
		if (!get_str(&keys[i], &c->key, &c->keylen, BATCH_MAX_KEY) || !c->keylen)
			return GM_E_MALFORMED;
		if (!get_i64(&ts[i], &dt))
			return GM_E_MALFORMED;
		c->t = *prev_t + (uint64_t)dt;
		if ((dt > 0 && c->t < *prev_t) || (dt < 0 && c->t > *prev_t) || !c->t)
			return GM_E_MALFORMED;
		*prev_t = c->t;
		if (!get_u64(&seen[i], &v) || v > c->t)
			return GM_E_MALFORMED;
		c->seen = v ? c->t - v : 0;
		if (!get_u64(&masks[i], &v) || ((v >> 1) & ~full))
			return GM_E_MALFORMED;
		c->del = v & 1;
		c->mask = v >> 1;
		nvals += batch_popcount(c->mask);
		if (!get_u64(&aidx[i], &v) || v > nactors)
			return GM_E_MALFORMED;
		if (v && !get_str(&actors[v - 1], &c->actor, &c->actorlen, BATCH_MAX_KEY))
			return GM_E_MALFORMED;
		if (notes[i].type != MSGPACK_OBJECT_NIL &&
		    !get_str(&notes[i], &c->note, &c->notelen, BATCH_MAX_TEXT))
			return GM_E_MALFORMED;
	}

	/* columns back into per-change value arrays */
	struct gm_value *vals = zalloc(z, nvals, sizeof(*vals));
	if (!vals)
		return GM_E_NOMEM;
	uint64_t off = 0;
	for (uint32_t i = 0; i < g->n; i++) {
		g->ch[i].vals = vals + off;
		off += batch_popcount(g->ch[i].mask);
	}
	for (uint32_t j = 0; j < g->nfields; j++) {
		if (cols[j].type != MSGPACK_OBJECT_ARRAY)
			return GM_E_MALFORMED;
		const msgpack_object *col = cols[j].via.array.ptr;
		uint32_t cn = cols[j].via.array.size, k = 0;
		for (uint32_t i = 0; i < g->n; i++) {
			struct batch_change *c = &g->ch[i];
			if (!((c->mask >> j) & 1))
				continue;
			if (k >= cn)
				return GM_E_MALFORMED;
			unsigned rank = batch_popcount(c->mask & ((1ull << j) - 1));
			if (!get_value(&col[k++], &c->vals[rank]))
				return GM_E_MALFORMED;
		}
		if (k != cn)
			return GM_E_MALFORMED;
	}
	return GM_OK;
}

enum gm_err batch_decode(const uint8_t *p, size_t len, struct batch **out)
{
	struct batch *b;
	struct batch_priv *pv;
	msgpack_unpacked env_up;
	const uint8_t *payload;
	enum gm_err e;

	*out = NULL;
	if (len > BATCH_MAX_ENVELOPE)
		return GM_E_TOOBIG;
	b = calloc(1, sizeof(*b));
	pv = calloc(1, sizeof(*pv));
	if (!b || !pv) {
		free(b);
		free(pv);
		return GM_E_NOMEM;
	}
	b->priv = pv;
	msgpack_unpacked_init(&pv->up);

	e = unpack(p, len, ENV_OBJECTS, &env_up);
	if (e)
		goto out_free_batch;
	e = env_from_object(&env_up.data, p, len, &b->env);
	msgpack_unpacked_destroy(&env_up);
	if (e)
		goto out_free_batch;

	payload = b->env.payload;
	if (b->env.comp == BATCH_ZSTD) {
		unsigned long long fsz = ZSTD_getFrameContentSize(payload, b->env.paylen);
		if (fsz != b->env.rawlen) {
			e = GM_E_COMPRESS;
			goto out_free_batch;
		}
		pv->raw = malloc(b->env.rawlen ? b->env.rawlen : 1);
		if (!pv->raw) {
			e = GM_E_NOMEM;
			goto out_free_batch;
		}
		size_t got = ZSTD_decompress(pv->raw, b->env.rawlen, payload, b->env.paylen);
		if (ZSTD_isError(got) || got != b->env.rawlen) {
			e = GM_E_COMPRESS;
			goto out_free_batch;
		}
		payload = pv->raw;
	}

	msgpack_unpacked_destroy(&pv->up);
	/* the envelope's change count, checked against the payload below */
	e = unpack(payload, b->env.rawlen, PAYLOAD_OBJECTS(b->env.nchanges), &pv->up);
	if (e) {
		msgpack_unpacked_init(&pv->up);
		goto out_free_batch;
	}
	const msgpack_object *a = get_array(&pv->up.data, 2);
	if (!a || !get_u64(&a[0], &b->base_t)) {
		e = GM_E_MALFORMED;
		goto out_free_batch;
	}
	if (a[1].type != MSGPACK_OBJECT_ARRAY || a[1].via.array.size > BATCH_MAX_GROUPS) {
		e = GM_E_MALFORMED;
		goto out_free_batch;
	}
	const msgpack_object *groups = a[1].via.array.ptr;
	b->ngroups = a[1].via.array.size;
	b->groups = zalloc(pv->up.zone, b->ngroups, sizeof(*b->groups));
	if (!b->groups) {
		e = GM_E_NOMEM;
		goto out_free_batch;
	}
	uint64_t total = 0, tmax = 0;
	for (uint32_t gi = 0; gi < b->ngroups; gi++) {
		/* each group's clock deltas start again from base_t, as encoded */
		uint64_t prev_t = b->base_t;
		e = decode_group(pv->up.zone, &groups[gi], &prev_t, &b->groups[gi], &total);
		if (e)
			goto out_free_batch;
		for (uint32_t i = 0; i < b->groups[gi].n; i++)
			if (b->groups[gi].ch[i].t > tmax)
				tmax = b->groups[gi].ch[i].t;
	}
	/* the envelope's summary must match what is inside */
	if (total != b->env.nchanges || (total && tmax != b->env.tmax)) {
		e = GM_E_MALFORMED;
		goto out_free_batch;
	}
	*out = b;
	return GM_OK;

out_free_batch:
	batch_free(b);
	return e;
}

void batch_free(struct batch *b)
{
	if (!b)
		return;
	struct batch_priv *pv = b->priv;
	if (pv) {
		msgpack_unpacked_destroy(&pv->up);
		free(pv->raw);
		free(pv);
	}
	free(b);
}
