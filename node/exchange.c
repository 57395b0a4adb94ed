/* exchange.c - bundles of batches out of and into a store. */
#include <stdlib.h>
#include <string.h>
#include "exchange.h"
#include "store_int.h"
#include "../proto/bundle.h"

bool exchange_held_by(const struct batch_env *env, const char *code)
{
	size_t cl = strlen(code);
	if (env->cls == CLS_STREET && code_level(code, cl) < LEVEL_STREET)
		return false;
	if (scope_within(env->scope, env->scopelen, code, cl))
		return true;
	return env->cls == CLS_REF && scope_within(code, cl, env->scope, env->scopelen);
}

struct collect {
	const char *for_code;
	size_t max_bytes;
	struct gm_buf data;          /* bodies back to back */
	size_t *offs, *lens;
	uint32_t n, cap;
	uint64_t changes;
	int64_t last;
	bool more;
	bool oom;
};

static int collect_cb(void *ctx, int64_t seq, const uint8_t *body, size_t len)
{
	struct collect *c = ctx;
	struct batch_env env;
	if (c->max_bytes && c->n && c->data.len + len > c->max_bytes) {
		c->more = true;
		return 1;
	}
	c->last = seq;
	if (batch_env_decode(body, len, &env) != GM_OK)
		return 0;   /* stored batches were checked on the way in */
	if (c->for_code && !exchange_held_by(&env, c->for_code))
		return 0;
	if (c->n == c->cap) {
		uint32_t ncap = c->cap ? c->cap * 2 : 64;
		size_t *no = realloc(c->offs, ncap * sizeof(*no));
		if (!no)
			goto out_oom;
		c->offs = no;
		size_t *nl = realloc(c->lens, ncap * sizeof(*nl));
		if (!nl)
			goto out_oom;
		c->lens = nl;
		c->cap = ncap;
	}
	c->offs[c->n] = c->data.len;
	c->lens[c->n++] = len;
	c->changes += env.nchanges;
	gm_buf_append(&c->data, body, len);
	if (c->data.oom)
		goto out_oom;
	return 0;
out_oom:
	c->oom = true;
	return 1;
}

enum gm_err exchange_collect(struct store *st, int64_t after, const struct batch_filter *bf,
			     const char *for_code, size_t max_bytes, struct gm_buf *out,
			     struct exchange_out *res)
{
	struct collect col = { .for_code = for_code, .max_bytes = max_bytes, .last = after };
	const uint8_t **bodies = NULL;
	enum gm_err e;

	memset(res, 0, sizeof(*res));
	gm_buf_reset(out);
	gm_buf_init(&col.data);
	/* one snapshot: the head and the rows agree */
	if (sqlite3_exec(store_db(st), "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return store_dberr(st, "snapshot");
	int64_t head = store_batch_head(st);
	e = store_batches(st, after, bf, 0, collect_cb, &col);
	sqlite3_exec(store_db(st), "COMMIT", NULL, NULL, NULL);
	if (e)
		goto out_free;
	if (col.oom) {
		e = GM_E_NOMEM;
		goto out_free;
	}
	/* not cut short: everything up to head was seen, matching or not */
	res->upto = col.more ? col.last : (head > col.last ? head : col.last);
	if (res->upto < after)
		res->upto = after;
	bodies = malloc((col.n ? col.n : 1) * sizeof(*bodies));
	if (!bodies) {
		e = GM_E_NOMEM;
		goto out_free;
	}
	for (uint32_t i = 0; i < col.n; i++)
		bodies[i] = col.data.p + col.offs[i];
	e = bundle_encode(out, store_code(st), after, res->upto, col.n, bodies, col.lens);
	res->batches = col.n;
	res->changes = col.changes;
	res->more = col.more;
out_free:
	free(bodies);
	gm_buf_free(&col.data);
	free(col.offs);
	free(col.lens);
	return e;
}

enum gm_err exchange_apply(struct store *st, const uint8_t *bytes, size_t len, int link,
			   size_t max_len, struct exchange_in *res)
{
	return exchange_apply_progress(st, bytes, len, link, max_len, res, NULL, NULL);
}

enum gm_err exchange_apply_progress(struct store *st, const uint8_t *bytes, size_t len, int link,
				    size_t max_len, struct exchange_in *res,
				    exchange_progress_fn fn, void *ctx)
{
	struct bundle *b;
	enum gm_err e;

	memset(res, 0, sizeof(*res));
	if ((e = bundle_decode(bytes, len, max_len, &b))) {
		snprintf(res->why, sizeof(res->why), "bundle does not decode: %s", gm_strerror(e));
		store_count_reject(st, "bad bundle", res->why);
		return e;
	}
	res->upto = b->upto;
	/*
	 * Local changes made before this bundle arrived go into the log
	 * before its batches: a certificate issued here must reach our parent
	 * ahead of the child's batches it vouches for.
	 */
	if ((e = store_seal(st, 0, NULL))) {
		/* the store cannot write (disk full?): say so, refuse it all */
		snprintf(res->why, sizeof(res->why), "sealing local changes: %s", store_errmsg(st));
		bundle_free(b);
		return e;
	}
	/*
	 * A batch whose origin's certificate comes later in the same bundle
	 * gets a second chance once the others are in.
	 */
	bool *retry = calloc(b->n ? b->n : 1, sizeof(*retry));
	if (!retry) {
		bundle_free(b);
		return GM_E_NOMEM;
	}
	for (int pass = 0; pass < 2; pass++)
	for (uint32_t i = 0; i < b->n; i++) {
		struct apply_result ar;
		if (pass == 1 && !retry[i])
			continue;
		e = store_apply(st, b->body[i], b->len[i], link, &ar);
		if (pass == 0 && e == GM_E_AUTH) {
			retry[i] = true;
			continue;
		}
		if (e == GM_E_REPLAY) {
			res->dup++;
		} else if (e) {
			res->refused++;
			if (e == GM_E_REVOKED)
				res->revoked++;
			if (!res->why[0])
				snprintf(res->why, sizeof(res->why), "batch %u: %s", i + 1, ar.why);
			store_count_reject(st, gm_strerror(e), ar.why);
		} else {
			res->batches++;
			res->applied += ar.applied;
			res->superseded += ar.ignored;
			res->rejected += ar.rejected;
			if (ar.rejected) {
				if (!res->why[0])
					snprintf(res->why, sizeof(res->why), "batch %u: %s", i + 1, ar.why);
				store_count_reject(st, "change refused", ar.why);
			}
		}
		if (fn && pass == 0)
			fn(ctx, i + 1, b->n);
	}
	free(retry);
	bundle_free(b);
	return GM_OK;
}
