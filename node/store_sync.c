/*
 * store_sync.c - turning local changes into signed batches, merging
 * received batches, and walking the batch log for a link.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "store_int.h"
#include "../proto/arena.h"

#define SEAL_DEFAULT_MAX 20000
#define HASH_BYTES 16

/* ------------------------------------------------------------------ seal */

struct seal_ch {
	uint8_t table;
	struct batch_change bc;
};

struct seal_grp {
	char scope[CODE_MAX + 1];
	uint8_t cls;
	char rkey[BATCH_MAX_KEY + 1];   /* residents: one record per batch */
	struct seal_ch *v;
	size_t n, cap;
};

struct sealer {
	struct store *st;
	struct arena ar;
	struct seal_grp *g;
	size_t ng, cap;
	struct gm_buf payload, env;
	unsigned nbatches;
};

/* Which child a batch is routed to, "*" for all children, NULL for none. */
static const char *route_for(const struct store *st, const char *scope, size_t slen,
			     unsigned cls, char buf[CODE_MAX + 1])
{
	size_t clen = strlen(st->code);
	if (st->level == LEVEL_GRID)
		return NULL;
	if (!scope_within(scope, slen, st->code, clen)) {
		/* reference data from at or above us goes to every child */
		if (cls == CLS_REF && scope_within(st->code, clen, scope, slen))
			return "*";
		return NULL;
	}
	if (slen == clen)
		return cls == CLS_REF ? "*" : NULL;
	size_t child = level_code_len(st->level + 1);
	if (slen < child)
		return NULL;
	memcpy(buf, scope, child);
	buf[child] = 0;
	return buf;
}

static enum gm_err insert_batch(struct store *st, const struct batch_env *env,
				const uint8_t *body, size_t len, int link, const char *rkey,
				int64_t *seq)
{
	uint8_t hash[HASH_BYTES];
	char scope[CODE_MAX + 1], rbuf[CODE_MAX + 1];
	sqlite3_stmt *s = st->ins_batch;

	crypto_generichash(hash, sizeof(hash), body, len, NULL, 0);
	memcpy(scope, env->scope, env->scopelen);
	scope[env->scopelen] = 0;
	const char *route = route_for(st, scope, env->scopelen, env->cls, rbuf);

	sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)env->origin);
	sqlite3_bind_int64(s, 3, (int64_t)env->bseq);
	sqlite3_bind_text(s, 4, scope, (int)env->scopelen, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, env->cls);
	if (route)
		sqlite3_bind_text(s, 6, route, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_int(s, 7, link);
	sqlite3_bind_int64(s, 8, env->nchanges);
	sqlite3_bind_int64(s, 9, (int64_t)env->tmax);
	sqlite3_bind_int64(s, 10, (int64_t)(store_wall(st) / 1000));
	sqlite3_bind_blob(s, 11, body, (int)len, SQLITE_STATIC);
	if (rkey)
		sqlite3_bind_text(s, 12, rkey, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 12);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || (rc & 0xff) == SQLITE_CONSTRAINT)
		return store_fail(st, GM_E_REPLAY, "batch %llu of %llu already applied",
				  (unsigned long long)env->bseq, (unsigned long long)env->origin);
	if (rc != SQLITE_DONE)
		return store_dberr(st, "store batch");
	*seq = sqlite3_last_insert_rowid(st->db);
	return GM_OK;
}

/* A batch with these bytes is in the log already. */
static bool held(struct store *st, const uint8_t *body, size_t len)
{
	uint8_t hash[HASH_BYTES];
	sqlite3_stmt *s;
	bool found = false;
	crypto_generichash(hash, sizeof(hash), body, len, NULL, 0);
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM batches WHERE hash = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return false;   /* insert_batch still refuses a duplicate */
	sqlite3_bind_blob(s, 1, hash, sizeof(hash), SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static struct seal_grp *group_for(struct sealer *s, const char *scope, uint8_t cls,
				  const char *rkey)
{
	/* residents are batched one record each, so an erasure can drop them */
	if (cls != CLS_STREET)
		rkey = "";
	for (size_t i = s->ng; i-- > 0;)
		if (s->g[i].cls == cls && strcmp(s->g[i].scope, scope) == 0 &&
		    strcmp(s->g[i].rkey, rkey) == 0)
			return &s->g[i];
	if (s->ng == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 8;
		struct seal_grp *ng = realloc(s->g, ncap * sizeof(*ng));
		if (!ng)
			return NULL;
		s->g = ng;
		s->cap = ncap;
	}
	struct seal_grp *g = &s->g[s->ng++];
	memset(g, 0, sizeof(*g));
	snprintf(g->scope, sizeof(g->scope), "%s", scope);
	snprintf(g->rkey, sizeof(g->rkey), "%s", rkey);
	g->cls = cls;
	return g;
}

/* Encodes, signs and stores one batch of changes v[0, n) of one group. */
static enum gm_err emit(struct sealer *sl, const struct seal_grp *g, const struct seal_ch *v,
			size_t n)
{
	struct store *st = sl->st;
	struct batch b;
	struct batch_group tg[T__COUNT];
	const char *names[T__COUNT][ROWCLK_MAX_COLS];
	uint32_t lens[T__COUNT][ROWCLK_MAX_COLS];
	struct batch_change *chs;
	uint64_t tmax = 0;
	enum gm_err e;

	memset(&b, 0, sizeof(b));
	memset(tg, 0, sizeof(tg));
	chs = malloc(n * sizeof(*chs));
	if (!chs)
		return GM_E_NOMEM;
	/* one payload group per table, changes in log order within it */
	size_t off = 0;
	for (unsigned t = 0; t < T__COUNT; t++) {
		const struct table_def *tab = schema_table(t);
		struct batch_group *bg = &tg[b.ngroups];
		size_t start = off;
		for (size_t i = 0; i < n; i++)
			if (v[i].table == t)
				chs[off++] = v[i].bc;
		if (off == start)
			continue;
		bg->table = tab->name;
		bg->tablelen = (uint32_t)strlen(tab->name);
		bg->nfields = tab->ncols;
		for (unsigned j = 0; j < tab->ncols; j++) {
			names[t][j] = tab->cols[j].name;
			lens[t][j] = (uint32_t)strlen(tab->cols[j].name);
		}
		bg->fields = names[t];
		bg->fieldlens = lens[t];
		bg->n = (uint32_t)(off - start);
		bg->ch = chs + start;
		b.ngroups++;
	}
	for (size_t i = 0; i < n; i++)
		if (chs[i].t > tmax)
			tmax = chs[i].t;
	b.base_t = chs[0].t;
	b.groups = tg;

	gm_buf_reset(&sl->payload);
	if ((e = batch_encode_payload(&b, &sl->payload)))
		goto out_free_chs;
	b.env.origin = st->node_id;
	b.env.bseq = (uint64_t)store_meta_int(st, "bseq", 0) + 1;
	b.env.scope = g->scope;
	b.env.scopelen = (uint32_t)strlen(g->scope);
	b.env.cls = g->cls;
	b.env.nchanges = (uint32_t)n;
	b.env.tmax = tmax;
	if ((e = batch_env_encode(&b.env, sl->payload.p, sl->payload.len, &sl->env)))
		goto out_free_chs;
	if (st->sign) {
		uint8_t sig[BATCH_SIG_BYTES];
		if ((e = st->sign(st->sign_ctx, sl->env.p, b.env.signed_len, sig)))
			goto out_free_chs;
		batch_env_finish(&sl->env, sig);
	} else {
		batch_env_finish(&sl->env, NULL);
	}
	if (sl->env.oom) {
		e = GM_E_NOMEM;
		goto out_free_chs;
	}
	int64_t seq;
	if ((e = insert_batch(st, &b.env, sl->env.p, sl->env.len, LINK_LOCAL,
			      g->rkey[0] ? g->rkey : NULL, &seq)))
		goto out_free_chs;
	e = store_meta_set_int(st, "bseq", (int64_t)b.env.bseq);
	sl->nbatches++;
out_free_chs:
	free(chs);
	return e;
}

struct seal_scan {
	struct sealer *sl;
	struct store_rec *r;
	enum gm_err err;
	uint64_t last;
	/* entries are copied out first: resolving values reads other pages */
	struct pend { uint64_t id; uint8_t tbl; int64_t rid; } *v;
	size_t n, cap;
};

static int pick_local(void *ctx, uint64_t id, const struct ch_entry *e)
{
	struct seal_scan *ss = ctx;
	ss->last = id;
	/* erased changes were overtaken by a delete, which is sealed itself */
	if (e->clk.node != ss->sl->st->node_id || e->erased)
		return 0;
	if (ss->n == ss->cap) {
		size_t ncap = ss->cap ? ss->cap * 2 : 256;
		struct pend *nv = realloc(ss->v, ncap * sizeof(*nv));
		if (!nv) {
			ss->err = GM_E_NOMEM;
			return 1;
		}
		ss->v = nv;
		ss->cap = ncap;
	}
	ss->v[ss->n++] = (struct pend){ id, e->tbl, e->rid };
	return 0;
}

/* Reads one unsealed change into the sealer (key, scope and values). */
static enum gm_err collect(struct sealer *sl, uint64_t id, unsigned tid, int64_t rid,
			   struct store_rec *r)
{
	struct store *st = sl->st;
	const struct table_def *tab = schema_table(tid);
	struct ch_entry e;
	struct chlog_zone *z = NULL;
	enum gm_err err;

	if (!tab)
		return store_fail(st, GM_E_MALFORMED, "change log names table %u", tid);
	if ((err = store_load(st, tab, NULL, rid, r)))
		return err == GM_E_NOTFOUND ? store_fail(st, GM_E_MALFORMED, "change log points nowhere")
					    : err;
	if ((err = chlog_get(st, id, &e)))
		return err;
	struct seal_grp *g = group_for(sl, r->scope, tab->cls, r->key);
	if (!g)
		return GM_E_NOMEM;
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 64;
		struct seal_ch *nv = realloc(g->v, ncap * sizeof(*nv));
		if (!nv)
			return GM_E_NOMEM;
		g->v = nv;
		g->cap = ncap;
	}
	struct seal_ch *c = &g->v[g->n++];
	memset(c, 0, sizeof(*c));
	c->table = (uint8_t)tid;
	c->bc.keylen = (uint32_t)strlen(r->key);
	c->bc.key = arena_strndup(&sl->ar, r->key, c->bc.keylen);
	c->bc.t = e.clk.t;
	c->bc.seen = e.seen;
	c->bc.mask = e.mask;
	c->bc.del = e.del;
	if (e.actor) {
		c->bc.actorlen = e.actorlen;
		c->bc.actor = arena_strndup(&sl->ar, e.actor, e.actorlen);
	}
	if (e.note) {
		c->bc.notelen = e.notelen;
		c->bc.note = arena_strndup(&sl->ar, e.note, e.notelen);
	}
	if (!c->bc.key || (e.actor && !c->bc.actor) || (e.note && !c->bc.note))
		return GM_E_NOMEM;
	unsigned nv = batch_popcount(e.mask);
	if (!nv || e.del) {
		/* a delete carries no values, whatever a damaged entry says */
		c->bc.mask = 0;
		return GM_OK;
	}
	struct gm_value col[ROWCLK_MAX_COLS];
	uint64_t got = chlog_resolve(st, r, id, &e, col, &z);
	/* a value we cannot recover would make peers diverge: send none */
	c->bc.mask = got;
	nv = batch_popcount(got);
	struct gm_value *vals = nv ? arena_alloc(&sl->ar, nv * sizeof(*vals)) : NULL;
	if (nv && !vals) {
		chlog_resolve_free(z);
		return GM_E_NOMEM;
	}
	unsigned k = 0;
	for (unsigned j = 0; j < tab->ncols; j++) {
		if (!((got >> j) & 1))
			continue;
		vals[k] = col[j];
		if (col[j].type == GM_TEXT) {
			vals[k].s = arena_strndup(&sl->ar, col[j].s, col[j].len);
			if (!vals[k].s) {
				chlog_resolve_free(z);
				return GM_E_NOMEM;
			}
		}
		k++;
	}
	chlog_resolve_free(z);
	c->bc.vals = vals;
	return GM_OK;
}

/* Seals inside the caller's transaction; *nbatches says how many. */
static enum gm_err seal_in_txn(struct store *st, unsigned max_changes, unsigned *nbatches)
{
	struct sealer sl;
	struct store_rec r;
	struct seal_scan ss = { 0 };
	enum gm_err e;
	uint64_t sealed;

	*nbatches = 0;
	if (!max_changes)
		max_changes = SEAL_DEFAULT_MAX;
	sealed = (uint64_t)store_meta_int(st, "sealed", 0);
	if (chlog_head(st) <= sealed)
		return GM_OK;
	memset(&sl, 0, sizeof(sl));
	sl.st = st;
	arena_init(&sl.ar, 1 << 16);
	gm_buf_init(&sl.payload);
	gm_buf_init(&sl.env);
	store_rec_init(&r);

	ss.sl = &sl;
	ss.r = &r;
	ss.last = sealed;
	if ((e = chlog_scan(st, sealed, pick_local, &ss)) || (e = ss.err))
		goto out_free;
	for (size_t i = 0; i < ss.n; i++)
		if ((e = collect(&sl, ss.v[i].id, ss.v[i].tbl, ss.v[i].rid, &r)))
			goto out_free;
	for (size_t i = 0; i < sl.ng; i++)
		for (size_t k = 0; k < sl.g[i].n; k += max_changes) {
			size_t n = sl.g[i].n - k < max_changes ? sl.g[i].n - k : max_changes;
			if ((e = emit(&sl, &sl.g[i], sl.g[i].v + k, n)))
				goto out_free;
		}
	if ((e = store_meta_set_int(st, "sealed", (int64_t)ss.last)))
		goto out_free;
	*nbatches = sl.nbatches;
out_free:
	free(ss.v);
	for (size_t i = 0; i < sl.ng; i++)
		free(sl.g[i].v);
	free(sl.g);
	arena_free(&sl.ar);
	gm_buf_free(&sl.payload);
	gm_buf_free(&sl.env);
	store_rec_free(&r);
	return e;
}

enum gm_err store_seal(struct store *st, unsigned max_changes, unsigned *nbatches)
{
	unsigned n = 0;
	enum gm_err e;

	if (nbatches)
		*nbatches = 0;
	if ((e = store_begin(st)))
		return e;
	/* nothing new in the log: no write, no commit */
	if (chlog_head(st) <= (uint64_t)store_meta_int(st, "sealed", 0)) {
		store_rollback(st);
		return GM_OK;
	}
	e = seal_in_txn(st, max_changes, &n);
	if (!e)
		e = store_commit(st);
	if (e) {
		store_rollback(st);
		return e;
	}
	if (nbatches)
		*nbatches = n;
	return GM_OK;
}

/* ----------------------------------------------------------------- apply */

static enum gm_err check_env(struct store *st, const struct batch_env *env)
{
	char code[CODE_MAX + 1];
	if (!node_code_from_id(env->origin, code) || !code_valid(code, strlen(code)))
		return store_fail(st, GM_E_MALFORMED, "origin %llu is not a node",
				  (unsigned long long)env->origin);
	if (env->cls > CLS_REF)
		return store_fail(st, GM_E_MALFORMED, "unknown replication class %u", env->cls);
	if (env->cls == CLS_STREET && st->level < LEVEL_STREET)
		return store_fail(st, GM_E_SCOPE, "residents' records never go above the street");
	if (env->scopelen ? !code_valid(env->scope, env->scopelen) : env->cls != CLS_REF)
		return store_fail(st, GM_E_MALFORMED, "scope '%.*s' is not a node code",
				  (int)env->scopelen, env->scope);
	if (hlc_ms(env->tmax) > store_wall(st) + st->hlc.max_drift_ms)
		return store_fail(st, GM_E_CLOCK, "batch from %s is %llu s in the future", code,
				  (unsigned long long)((hlc_ms(env->tmax) - store_wall(st)) / 1000));
	return GM_OK;
}

static void reject_one(struct store *st, struct apply_result *res, const char *fmt,
		       const char *a, const char *b)
{
	res->rejected++;
	if (!res->why[0])
		snprintf(res->why, sizeof(res->why), fmt, a, b);
	(void)st;
}

/*
 * Merges mc into record `key` of `scope`: loaded (the columns mc sets), or
 * new if there is none, or taken as new without looking when `create`
 * (then GM_E_EXISTS, nothing written, if the key is taken).  GM_E_SCOPE if
 * the record belongs to another scope.
 */
static enum gm_err merge_one(struct store *st, const struct table_def *tab, const char *key,
			     const char *scope, const struct merge_change *mc, bool create,
			     struct store_rec *r, bool *was_deleted, uint64_t *won)
{
	enum gm_err e = create ? GM_E_NOTFOUND : store_load_cols(st, tab, key, mc->mask, r);
	if (e == GM_E_NOTFOUND) {
		r->tab = tab;
		r->rid = 0;
		r->last = 0;
		store_copy_str(r->key, sizeof(r->key), key, strlen(key));
		store_copy_str(r->scope, sizeof(r->scope), scope, strlen(scope));
		rowclk_init(&r->rc, tab->ncols);
		memset(&r->del, 0, sizeof(r->del));
		for (unsigned j = 0; j < tab->ncols; j++)
			r->vals[j] = gm_nil();
	} else if (e) {
		return e;
	} else if (strcmp(r->scope, scope) != 0) {
		return GM_E_SCOPE;
	}
	*was_deleted = !clk_zero(r->del);
	return store_merge(st, r, mc, won);
}

static enum gm_err apply_group(struct store *st, const struct batch *b,
			       const struct batch_group *g, struct store_rec *r,
			       struct apply_result *res)
{
	const struct table_def *tab = schema_table_by_name(g->table, g->tablelen);
	int map[BATCH_MAX_FIELDS];
	char scope[CODE_MAX + 1];
	enum gm_err e;

	if (!tab) {
		/* a newer node's table: keep the batch (it is forwarded whole), skip */
		res->ignored += g->n;
		return GM_OK;
	}
	if (tab->cls != b->env.cls) {
		/* a resident inside a "shared" batch would travel past the street */
		for (uint32_t i = 0; i < g->n; i++)
			reject_one(st, res, "%s in a %s batch", tab->name, repl_class_name(b->env.cls));
		return GM_OK;
	}
	for (uint32_t j = 0; j < g->nfields; j++)
		map[j] = schema_col(tab, g->fields[j], g->fieldlens[j]);
	memcpy(scope, b->env.scope, b->env.scopelen);
	scope[b->env.scopelen] = 0;

	for (uint32_t i = 0; i < g->n; i++) {
		const struct batch_change *c = &g->ch[i];
		struct gm_value vals[ROWCLK_MAX_COLS];
		char key[BATCH_MAX_KEY + 1];
		uint64_t mask = 0, won;
		bool bad = false;

		for (unsigned j = 0; j < tab->ncols; j++)
			vals[j] = gm_nil();
		unsigned k = 0;
		for (uint32_t j = 0; j < g->nfields; j++) {
			if (!((c->mask >> j) & 1))
				continue;
			const struct gm_value *v = &c->vals[k++];
			if (map[j] < 0)
				continue;   /* a field this version does not know */
			vals[map[j]] = *v;
			if (!store_coerce(&tab->cols[map[j]], &vals[map[j]]))
				bad = true;
			mask |= 1ull << map[j];
		}
		memcpy(key, c->key, c->keylen);
		key[c->keylen] = 0;
		if (bad) {
			reject_one(st, res, "%s %s: value of the wrong type", tab->name, key);
			continue;
		}
		/*
		 * A change that sets every required field of a record and
		 * overwrote nothing is how a record is created: insert it
		 * without looking first.  If the key is taken after all (the
		 * same record made on two nodes, a create seen twice), the
		 * UNIQUE index refuses the insert, nothing is written, and the
		 * change is merged into what is there like any other.
		 */
		bool create = !c->del && !c->seen && !(st->tabs[tab->id].required & ~mask);
		struct merge_change mc = {
			.clk = { c->t, b->env.origin },
			.seen = c->seen,
			.mask = mask,
			.del = c->del,
			.vals = vals,
			.actor = c->actor,
			.actorlen = c->actorlen,
			.note = c->note,
			.notelen = c->notelen,
		};
		bool was_deleted = false;
		e = merge_one(st, tab, key, scope, &mc, create, r, &was_deleted, &won);
		if (e == GM_E_EXISTS && create)
			e = merge_one(st, tab, key, scope, &mc, false, r, &was_deleted, &won);
		if (e == GM_E_SCOPE) {
			reject_one(st, res, "%s %s: scope differs from the record's", tab->name, key);
			continue;
		}
		if (e)
			return e;
		if (won || (c->del && !was_deleted))
			res->applied++;
		else
			res->ignored++;
	}
	return GM_OK;
}

/* The one record key of a residents' batch (they travel one per batch). */
static const char *single_key(const struct batch *b, char out[BATCH_MAX_KEY + 1])
{
	const struct batch_change *first = NULL;
	if (b->env.cls != CLS_STREET)
		return NULL;
	for (uint32_t g = 0; g < b->ngroups; g++)
		for (uint32_t i = 0; i < b->groups[g].n; i++) {
			const struct batch_change *c = &b->groups[g].ch[i];
			if (!first)
				first = c;
			else if (c->keylen != first->keylen || memcmp(c->key, first->key, c->keylen))
				return NULL;
		}
	if (!first)
		return NULL;
	memcpy(out, first->key, first->keylen);
	out[first->keylen] = 0;
	return out;
}

enum gm_err store_apply(struct store *st, const uint8_t *body, size_t len, int link,
			struct apply_result *res)
{
	struct batch *b = NULL;
	struct store_rec r;
	char rkey[BATCH_MAX_KEY + 1];
	enum gm_err e;

	memset(res, 0, sizeof(*res));
	st->errmsg[0] = 0;
	if ((e = batch_decode(body, len, &b))) {
		store_fail(st, e, "undecodable batch (%zu bytes): %s", len, gm_strerror(e));
		goto out_why;
	}
	res->changes = b->env.nchanges;
	if ((e = check_env(st, &b->env)))
		goto out_why;
	/*
	 * Held already: a re-delivery, whatever became of its signer's key
	 * since (a revocation must not turn accepted history into refusals)
	 * and without the cost of checking its signature again.
	 */
	if (held(st, body, len)) {
		e = store_fail(st, GM_E_REPLAY, "batch %llu of %llu already applied",
			       (unsigned long long)b->env.bseq, (unsigned long long)b->env.origin);
		goto out_why;
	}
	if (st->verify) {
		char why[sizeof(res->why)] = "";
		if ((e = st->verify(st->verify_ctx, &b->env, body, b->env.signed_len, why,
				    sizeof(why)))) {
			store_fail(st, e, "%s", why[0] ? why : gm_strerror(e));
			goto out_why;
		}
	}
	if ((e = store_begin(st)))
		goto out_why;
	/*
	 * Our own batch coming back (we were restored from a backup and the
	 * parent returns what we had sent it): its changes enter our log with
	 * our node id, like local changes.  Seal our real local changes first,
	 * then mark the log sealed past this batch, so they are not taken for
	 * new local changes and sent out again as a second batch.
	 */
	bool own = b->env.origin == st->node_id;
	unsigned nsealed;
	if (own && (e = seal_in_txn(st, 0, &nsealed)))
		goto out_rollback;
	if ((e = insert_batch(st, &b->env, body, len, link, single_key(b, rkey), &res->seq)))
		goto out_rollback;
	st->applying = res->seq;
	st->scrub = false;
	store_rec_init(&r);
	for (uint32_t gi = 0; gi < b->ngroups && !e; gi++)
		e = apply_group(st, b, &b->groups[gi], &r, res);
	store_rec_free(&r);
	st->applying = 0;
	if (!e && st->scrub) {
		/* it only carried values of people erased here: keep its hash, not them */
		char sql[96];
		snprintf(sql, sizeof(sql), "UPDATE batches SET body = x'', rkey = NULL WHERE seq = %lld",
			 (long long)res->seq);
		if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			e = store_dberr(st, "scrub batch");
		st->erased = true;
	}
	if (!e && own)
		e = store_meta_set_int(st, "sealed", (int64_t)chlog_head(st));
	if (e)
		goto out_rollback;
	if ((e = hlc_recv(&st->hlc, b->env.tmax, store_wall(st)))) {
		store_fail(st, e, "clock");
		goto out_rollback;
	}
	if ((e = store_commit(st)))
		goto out_why;
	batch_free(b);
	return GM_OK;

out_rollback:
	store_rollback(st);
out_why:
	snprintf(res->why, sizeof(res->why), "%s", st->errmsg[0] ? st->errmsg : gm_strerror(e));
	batch_free(b);
	return e;
}

/* --------------------------------------------------------------- batches */

enum gm_err store_batches(struct store *st, int64_t after, const struct batch_filter *f,
			  unsigned limit, store_batch_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	const char *sql;
	int rc;

	switch (f->dir) {
	case BF_UP:
		/* residents' records go from a grid to its street and no further */
		sql = "SELECT seq, body FROM batches WHERE seq > ?1 AND link != ?2"
		      " AND (cls != 1 OR ?3) ORDER BY seq LIMIT ?4";
		break;
	case BF_DOWN:
		sql = "SELECT seq, body FROM batches WHERE route IN (?5, '*') AND seq > ?1"
		      " AND link != ?2 ORDER BY seq LIMIT ?4";
		break;
	default:
		sql = "SELECT seq, body FROM batches WHERE seq > ?1 AND link != ?2"
		      " ORDER BY seq LIMIT ?4";
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "batches");
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, f->exclude_link);
	if (f->dir == BF_UP)
		sqlite3_bind_int(s, 3, st->level == LEVEL_GRID);
	sqlite3_bind_int64(s, 4, limit ? (int64_t)limit : -1);
	if (f->dir == BF_DOWN)
		sqlite3_bind_text(s, 5, f->child ? f->child : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cb(ctx, sqlite3_column_int64(s, 0), sqlite3_column_blob(s, 1),
		       (size_t)sqlite3_column_bytes(s, 1)))
			break;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_dberr(st, "batches");
	return GM_OK;
}

int64_t store_batch_head(struct store *st)
{
	sqlite3_stmt *s;
	int64_t v = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT max(seq) FROM batches", -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

struct unsealed {
	uint64_t node;
	uint64_t n;
};

static int count_unsealed(void *ctx, uint64_t id, const struct ch_entry *e)
{
	struct unsealed *u = ctx;
	(void)id;
	if (e->clk.node == u->node && !e->erased)
		u->n++;
	return 0;
}

uint64_t store_unsealed(struct store *st)
{
	struct unsealed u = { st->node_id, 0 };
	uint64_t sealed = (uint64_t)store_meta_int(st, "sealed", 0);
	if (chlog_scan(st, sealed, count_unsealed, &u))
		return 0;
	return u.n;
}

uint64_t store_change_count(struct store *st)
{
	return chlog_count(st);
}
