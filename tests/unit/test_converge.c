/*
 * test_converge.c - the property test of brief rules 1 and 2.
 *
 * Four replicas, a street and three of its grids, make thousands of random
 * edits over all three domains, each only inside its own scope (a grid its
 * own records, the street anything under it, so street and grid edit the
 * same fields of the same records concurrently).  Between edits they
 * exchange batches through exchange_collect/exchange_apply, or batch by
 * batch in shuffled order, with duplicates, replays from old cursors and
 * dropped bundles and batches; then one full all-to-all exchange.
 *
 * Afterwards every replica must hold the same digest; every acknowledged
 * edit (each successful store_put) must be in every replica's history of
 * its record with the value written, unless the record was deleted (then
 * no value may be left anywhere); and each field must hold the value of
 * its newest edit (clock, then node).
 *
 * Seeded: GM_SEED repeats a run, GM_CONVERGE_OPS sets its length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../node/exchange.h"
#include "../../node/store_int.h"
#include "../../proto/bundle.h"
#include "../../sync/hlc.h"

void t_init_converge_tests(void);

#define NREP 4
#define DEFAULT_OPS 6000

static const char *const codes[NREP] = { "440106012", "440106012001001", "440106012001002",
					 "440106012001003" };

struct rec {
	enum table_id tab;
	char key[48];
	char scope[CODE_MAX + 1];
	bool deleted;          /* an acknowledged delete exists */
};

struct edit {
	uint32_t rec;
	uint8_t col;
	struct gm_value v;     /* text owned by the edit (strdup) */
	struct clk clk;
};

struct world {
	uint64_t rs;
	struct store *st[NREP];
	uint64_t node[NREP];
	int64_t cursor[NREP][NREP];   /* cursor[dst][src]: how far dst has taken src's log */
	uint64_t now;                 /* simulated time, ms */
	int64_t skew[NREP];
	unsigned seq[NREP];
	struct rec *recs;
	size_t nrecs, caprecs;
	struct edit *edits;
	size_t nedits, capedits;
	/* what happened, for the closing line */
	unsigned ops_ok, ops_refused, deletes, exchanges, dropped, replays, shuffled;
};

/* ------------------------------------------------------------ the edits */

static struct rec *add_rec(struct world *w, enum table_id tab, const char *key, const char *scope)
{
	if (w->nrecs == w->caprecs) {
		w->caprecs = w->caprecs ? 2 * w->caprecs : 256;
		w->recs = realloc(w->recs, w->caprecs * sizeof(*w->recs));
		CU_ASSERT_FATAL(w->recs != NULL);
	}
	struct rec *r = &w->recs[w->nrecs++];
	memset(r, 0, sizeof(*r));
	r->tab = tab;
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->scope, sizeof(r->scope), "%s", scope);
	return r;
}

static void add_edit(struct world *w, uint32_t rec, uint8_t col, struct gm_value v,
		     struct clk clk)
{
	if (w->nedits == w->capedits) {
		w->capedits = w->capedits ? 2 * w->capedits : 1024;
		w->edits = realloc(w->edits, w->capedits * sizeof(*w->edits));
		CU_ASSERT_FATAL(w->edits != NULL);
	}
	struct edit *e = &w->edits[w->nedits++];
	e->rec = rec;
	e->col = col;
	e->v = v;
	if (v.type == GM_TEXT) {
		char *s = malloc(v.len + 1);
		CU_ASSERT_FATAL(s != NULL);
		memcpy(s, v.s, v.len);
		s[v.len] = 0;
		e->v.s = s;
	}
	e->clk = clk;
}

/* A value for column j: few distinct ones, so equal values from two writers happen too. */
static struct gm_value rand_value(struct world *w, const struct col_def *c, char *buf,
				  size_t len, bool may_nil)
{
	if (may_nil && !(c->flags & COL_REQUIRED) && t_randn(&w->rs, 20) == 0)
		return gm_nil();
	switch (c->type) {
	case GM_INT:
		return gm_int((int64_t)t_randn(&w->rs, 50) - 5);
	case GM_REAL:
		return gm_real(23.0 + (double)t_randn(&w->rs, 100000) / 1e5);
	default:
		if (strcmp(c->name, "category") == 0 || strcmp(c->name, "code") == 0)
			snprintf(buf, len, "01%02u", 1 + t_randn(&w->rs, 9));
		else
			snprintf(buf, len, "%s-%u", c->name, t_randn(&w->rs, 12));
		return gm_text(buf);
	}
}

/* Runs one write on replica r; records every field it set if acknowledged. */
static void do_write(struct world *w, int r, uint32_t rec, const uint8_t *cols,
		     const struct gm_value *vals, unsigned n, int mode, bool del)
{
	struct rec *R = &w->recs[rec];
	struct store_write wr = {
		.tab = schema_table(R->tab), .key = R->key, .scope = R->scope, .nset = n,
		.cols = cols, .vals = vals, .actor = codes[r], .del = del, .mode = mode,
		.note = t_randn(&w->rs, 8) == 0 ? "a note" : NULL,
	};
	uint64_t t;
	store_set_wall(w->st[r], w->now + (uint64_t)w->skew[r]);
	enum gm_err e = store_begin(w->st[r]);
	CU_ASSERT_FATAL(e == GM_OK);
	e = store_put(w->st[r], &wr, &t);
	if (e) {
		store_rollback(w->st[r]);
		/* not there yet, or deleted meanwhile: the writer is told so */
		CU_ASSERT_FATAL(e == GM_E_NOTFOUND);
		w->ops_refused++;
		return;
	}
	CU_ASSERT_FATAL(store_commit(w->st[r]) == GM_OK);
	w->ops_ok++;
	struct clk clk = { t, w->node[r] };
	if (del) {
		R->deleted = true;
		w->deletes++;
		return;
	}
	for (unsigned i = 0; i < n; i++)
		add_edit(w, rec, cols[i], vals[i], clk);
}

static void op_create(struct world *w, int r)
{
	static const enum table_id tabs[] = { T_TICKET, T_TICKET, T_TICKET, T_ASSET, T_ASSET,
					      T_HOUSEHOLD, T_PERSON, T_PERSON };
	enum table_id tab = tabs[t_randn(&w->rs, sizeof(tabs) / sizeof(tabs[0]))];
	const struct table_def *td = schema_table(tab);
	/* the street files records for any of its grids, or for itself */
	const char *scope = r ? codes[r] : codes[t_randn(&w->rs, NREP)];
	char key[48], bufs[ROWCLK_MAX_COLS][48];
	uint8_t cols[ROWCLK_MAX_COLS];
	struct gm_value vals[ROWCLK_MAX_COLS];
	unsigned n = 0;

	snprintf(key, sizeof(key), "%s-%c%u", codes[r], td->name[0], ++w->seq[r]);
	for (unsigned j = 0; j < td->ncols; j++) {
		if (!(td->cols[j].flags & COL_REQUIRED) && t_randn(&w->rs, 2))
			continue;
		cols[n] = (uint8_t)j;
		vals[n] = rand_value(w, &td->cols[j], bufs[j], sizeof(bufs[j]), false);
		n++;
	}
	struct rec *R = add_rec(w, tab, key, scope);
	do_write(w, r, (uint32_t)(R - w->recs), cols, vals, n, W_CREATE, false);
}

static bool can_write(int r, const struct rec *R)
{
	return r == 0 || strcmp(R->scope, codes[r]) == 0;
}

static void op_update(struct world *w, int r, bool del)
{
	uint32_t rec = UINT32_MAX;
	for (int tries = 0; tries < 20 && w->nrecs; tries++) {
		/* recent records more often: that is where edits collide */
		uint32_t k = (uint32_t)w->nrecs - 1 - t_randn(&w->rs, (uint32_t)(w->nrecs < 60 ?
										 w->nrecs : 60));
		if (t_randn(&w->rs, 4) == 0)
			k = t_randn(&w->rs, (uint32_t)w->nrecs);
		if (can_write(r, &w->recs[k])) {
			rec = k;
			break;
		}
	}
	if (rec == UINT32_MAX)
		return;
	if (del) {
		do_write(w, r, rec, NULL, NULL, 0, W_UPDATE, true);
		return;
	}
	const struct table_def *td = schema_table(w->recs[rec].tab);
	char bufs[ROWCLK_MAX_COLS][48];
	uint8_t cols[ROWCLK_MAX_COLS];
	struct gm_value vals[ROWCLK_MAX_COLS];
	unsigned n = 0, want = 1 + t_randn(&w->rs, 3);
	/* the first columns of each table (status-like fields) are the hot ones */
	for (unsigned tries = 0; n < want && tries < 10; tries++) {
		unsigned j = t_randn(&w->rs, 3) ? t_randn(&w->rs, td->ncols < 4 ? td->ncols : 4)
					       : t_randn(&w->rs, td->ncols);
		if (w->recs[rec].tab == T_TICKET && t_randn(&w->rs, 2))
			j = (unsigned)schema_col(td, "status", 6);
		bool dup = false;
		for (unsigned i = 0; i < n; i++)
			dup |= cols[i] == j;
		if (dup)
			continue;
		cols[n] = (uint8_t)j;
		vals[n] = rand_value(w, &td->cols[j], bufs[j], sizeof(bufs[j]), true);
		n++;
	}
	do_write(w, r, rec, cols, vals, n, W_UPDATE, false);
}

/*
 * The street and grid 3 set the same field of one of grid 3's records in
 * the same millisecond, neither having seen the other's edit: equal
 * timestamps, so the node id alone decides.
 */
static void op_duel(struct world *w)
{
	for (int tries = 0; tries < 20 && w->nrecs; tries++) {
		uint32_t k = (uint32_t)w->nrecs - 1 - t_randn(&w->rs, (uint32_t)(w->nrecs < 80 ?
										 w->nrecs : 80));
		const struct rec *R = &w->recs[k];
		if (R->deleted || strcmp(R->scope, codes[3]) != 0)
			continue;
		const struct table_def *td = schema_table(R->tab);
		uint8_t c = (uint8_t)t_randn(&w->rs, td->ncols < 4 ? td->ncols : 4);
		char b0[48], b3[48];
		struct gm_value v0 = rand_value(w, &td->cols[c], b0, sizeof(b0), false);
		struct gm_value v3 = rand_value(w, &td->cols[c], b3, sizeof(b3), false);
		/* a fresh millisecond: neither clock is ahead of it */
		w->now++;
		do_write(w, 0, k, &c, &v0, 1, W_UPDATE, false);
		do_write(w, 3, k, &c, &v3, 1, W_UPDATE, false);
		return;
	}
}

/* ------------------------------------------------------- the exchanges */

static void apply_bundle(struct world *w, int dst, int src, const struct gm_buf *b,
			 bool shuffle, bool *all_in)
{
	struct store *st = w->st[dst];
	int link = LINK_CHILD0 + src;
	*all_in = true;
	if (!shuffle) {
		struct exchange_in in;
		CU_ASSERT_FATAL(exchange_apply(st, b->p, b->len, link, b->len, &in) == GM_OK);
		CU_ASSERT_EQUAL(in.refused, 0);
		CU_ASSERT_EQUAL(in.rejected, 0);
		if (in.refused)
			fprintf(stderr, "\n  refused: %s", in.why);
		return;
	}
	/* batch by batch in random order, some twice, some lost */
	struct bundle *bd = NULL;
	CU_ASSERT_FATAL(bundle_decode(b->p, b->len, b->len, &bd) == GM_OK);
	uint32_t n = bd->n, *order = malloc((n ? n : 1) * sizeof(*order));
	CU_ASSERT_FATAL(order != NULL);
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	for (uint32_t i = n; i > 1; i--) {
		uint32_t k = t_randn(&w->rs, i), tmp = order[i - 1];
		order[i - 1] = order[k];
		order[k] = tmp;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct apply_result res;
		uint32_t k = order[i];
		if (t_randn(&w->rs, 10) == 0) {
			*all_in = false;
			w->dropped++;
			continue;
		}
		int times = t_randn(&w->rs, 8) == 0 ? 2 : 1;
		for (int rep = 0; rep < times; rep++) {
			enum gm_err e = store_apply(st, bd->body[k], bd->len[k], link, &res);
			CU_ASSERT(e == GM_OK || e == GM_E_REPLAY);
			CU_ASSERT_EQUAL(res.rejected, 0);
			if (e && e != GM_E_REPLAY)
				fprintf(stderr, "\n  apply: %s", res.why);
			w->replays += e == GM_E_REPLAY;
		}
	}
	free(order);
	bundle_free(bd);
}

static void exchange(struct world *w, int src, int dst, bool full)
{
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	struct exchange_out out;
	struct gm_buf b;
	int64_t after = w->cursor[dst][src];
	size_t budget = 0;

	if (!full) {
		unsigned how = t_randn(&w->rs, 10);
		if (how == 0) {
			after = 0;                          /* start over: all duplicates */
		} else if (how == 1 && after > 0) {
			after = (int64_t)t_randn(&w->rs, (uint32_t)after);   /* an old cursor */
		}
		if (t_randn(&w->rs, 3) == 0)
			budget = 1 + t_randn(&w->rs, 4000);
	} else {
		after = 0;
	}
	store_set_wall(w->st[src], w->now + (uint64_t)w->skew[src]);
	store_set_wall(w->st[dst], w->now + (uint64_t)w->skew[dst]);
	CU_ASSERT_FATAL(store_seal(w->st[src], full ? 0 : 1 + t_randn(&w->rs, 40), NULL) == GM_OK);
	gm_buf_init(&b);
	do {
		CU_ASSERT_FATAL(exchange_collect(w->st[src], after, &bf, NULL, budget, &b, &out) ==
				GM_OK);
		w->exchanges++;
		if (!full && t_randn(&w->rs, 7) == 0) {
			w->dropped++;                        /* lost on the way: cursor stays */
			break;
		}
		bool all_in = true;
		apply_bundle(w, dst, src, &b, !full && t_randn(&w->rs, 2), &all_in);
		if (!all_in)
			break;
		after = out.upto;
		if (after > w->cursor[dst][src])
			w->cursor[dst][src] = after;
	} while (out.more);
	gm_buf_free(&b);
}

/* --------------------------------------------------------------- checks */

struct hcheck {
	struct world *w;
	const uint32_t *ids;      /* edits of this record */
	size_t n;
	bool *found;
	bool deleted;
	unsigned lost;
};

static int hcheck_cb(void *ctx, const struct store_hist *h)
{
	struct hcheck *c = ctx;
	if (c->deleted) {
		CU_ASSERT_PTR_NULL(h->vals);
		return 0;
	}
	c->lost += h->lost != 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct edit *e = &c->w->edits[c->ids[i]];
		if (clk_cmp(e->clk, h->clk) != 0 || !((h->mask >> e->col) & 1))
			continue;
		CU_ASSERT_PTR_NOT_NULL_FATAL(h->vals);
		unsigned k = batch_popcount(h->mask & ((1ull << e->col) - 1));
		bool same = gm_value_eq(&h->vals[k], &e->v);
		CU_ASSERT(same);
		c->found[c->ids[i]] = same;
	}
	return 0;
}

static void check(struct world *w)
{
	/* edits grouped by record */
	size_t *start = calloc(w->nrecs + 1, sizeof(*start));
	uint32_t *ids = malloc((w->nedits ? w->nedits : 1) * sizeof(*ids));
	bool *found = malloc((w->nedits ? w->nedits : 1) * sizeof(*found));
	CU_ASSERT_FATAL(start && ids && found);
	for (size_t i = 0; i < w->nedits; i++)
		start[w->edits[i].rec + 1]++;
	for (size_t k = 0; k < w->nrecs; k++)
		start[k + 1] += start[k];
	size_t *fill = calloc(w->nrecs + 1, sizeof(*fill));
	CU_ASSERT_FATAL(fill != NULL);
	for (size_t i = 0; i < w->nedits; i++) {
		uint32_t rc = w->edits[i].rec;
		ids[start[rc] + fill[rc]++] = (uint32_t)i;
	}
	free(fill);

	/* 1. convergence */
	char d0[80];
	snprintf(d0, sizeof(d0), "%s", t_digest(w->st[0], NULL));
	for (int r = 1; r < NREP; r++) {
		const char *d = t_digest(w->st[r], NULL);
		if (strcmp(d, d0) != 0)
			fprintf(stderr, "\n  replica %s digest %s != %s", codes[r], d, d0);
		CU_ASSERT_STRING_EQUAL(d, d0);
	}

	unsigned missing = 0, wrong_final = 0, lost = 0, ties = 0;
	struct store_rec sr;
	store_rec_init(&sr);
	for (int r = 0; r < NREP; r++) {
		memset(found, 0, w->nedits * sizeof(*found));
		for (size_t k = 0; k < w->nrecs; k++) {
			const struct rec *R = &w->recs[k];
			const struct table_def *td = schema_table(R->tab);
			enum gm_err e = store_get(w->st[r], td, R->key, &sr);
			if (e == GM_E_NOTFOUND && start[k] == start[k + 1] && !R->deleted)
				continue;   /* its creation was refused: it never existed */
			CU_ASSERT_EQUAL_FATAL(e, GM_OK);
			CU_ASSERT_STRING_EQUAL(sr.scope, R->scope);
			/* 2. deletes win everywhere and leave no value */
			CU_ASSERT_EQUAL(!clk_zero(sr.del), R->deleted);
			struct hcheck hc = { w, ids + start[k], start[k + 1] - start[k], found,
					     R->deleted, 0 };
			CU_ASSERT_FATAL(store_history(w->st[r], td, R->key, hcheck_cb, &hc) == GM_OK);
			lost += hc.lost;
			if (R->deleted)
				continue;
			/* 3. every acknowledged edit is in the history with its value */
			for (size_t i = start[k]; i < start[k + 1]; i++)
				if (!found[ids[i]]) {
					if (missing++ < 5)
						fprintf(stderr, "\n  %s: %s %s edit %u (col %u) missing",
							codes[r], td->name, R->key, ids[i],
							w->edits[ids[i]].col);
				}
			/* 4. each field holds its newest edit */
			for (unsigned j = 0; j < td->ncols; j++) {
				const struct edit *best = NULL;
				for (size_t i = start[k]; i < start[k + 1]; i++) {
					const struct edit *ed = &w->edits[ids[i]];
					if (ed->col != j)
						continue;
					if (best && ed->clk.t == best->clk.t && r == 0)
						ties++;   /* same time, other node: the id decides */
					if (!best || clk_cmp(ed->clk, best->clk) > 0)
						best = ed;
				}
				if (!best) {
					CU_ASSERT(clk_zero(sr.rc.c[j]));
					continue;
				}
				bool ok = clk_cmp(sr.rc.c[j], best->clk) == 0 &&
					  gm_value_eq(&sr.vals[j], &best->v);
				if (!ok && wrong_final++ < 5)
					fprintf(stderr, "\n  %s: %s %s.%s is not its newest edit", codes[r],
						td->name, R->key, td->cols[j].name);
				CU_ASSERT(ok);
			}
		}
	}
	store_rec_free(&sr);
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(wrong_final, 0);
	fprintf(stderr, "%zu records, %zu field edits, %u writes (%u refused), %u deletes,"
		" %u bundles (%u lost), %u replays, %u conflicts flagged, %u same-time edits ",
		w->nrecs, w->nedits, w->ops_ok, w->ops_refused, w->deletes, w->exchanges,
		w->dropped, w->replays, lost / NREP, ties);
	/* the run must have exercised what it claims to */
	CU_ASSERT(lost > 0);
	CU_ASSERT(ties > 0);
	CU_ASSERT(w->deletes > 0);
	CU_ASSERT(w->replays > 0);
	CU_ASSERT(w->dropped > 0);
	free(start);
	free(ids);
	free(found);
}

static void t_converge(void)
{
	static struct world w;
	const char *ops_env = getenv("GM_CONVERGE_OPS");
	unsigned nops = ops_env && *ops_env ? (unsigned)strtoul(ops_env, NULL, 10) : DEFAULT_OPS;

	memset(&w, 0, sizeof(w));
	w.rs = t_seed("converge", hlc_wall_ms());
	for (int r = 0; r < NREP; r++) {
		w.st[r] = t_store(r ? LEVEL_GRID : LEVEL_STREET, codes[r]);
		/* merging is under test here, not durability (tests/integration has
		 * the kill -9 test): skip the fsync of each of ~10,000 commits */
		CU_ASSERT_FATAL(sqlite3_exec(store_db(w.st[r]), "PRAGMA synchronous=OFF", NULL, NULL,
					     NULL) == SQLITE_OK);
		w.node[r] = store_node_id(w.st[r]);
		/* grids 1 and 2 a little behind; the street and grid 3 exactly in
		 * step, so their edits of grid 3's records often carry the same
		 * timestamp and the node id decides */
		w.skew[r] = r == 0 || r == 3 ? 0 : -(int64_t)t_randn(&w.rs, 3000);
	}
	/* simulated time only (every store's wall is set), so a seed repeats a run */
	w.now = 1700000000000ull;
	for (unsigned i = 0; i < nops; i++) {
		int r = (int)t_randn(&w.rs, NREP);
		unsigned what = t_randn(&w.rs, 100);
		w.now += t_randn(&w.rs, 3);
		if (what < 22)
			op_create(&w, r);
		else if (what < 25)
			op_update(&w, r, true);
		else if (what < 28)
			op_duel(&w);
		else
			op_update(&w, r, false);
		if (t_randn(&w.rs, 6) == 0) {
			int src = (int)t_randn(&w.rs, NREP), dst = (int)t_randn(&w.rs, NREP - 1);
			if (dst >= src)
				dst++;
			exchange(&w, src, dst, false);
		}
	}
	/* one full all-to-all exchange */
	for (int src = 0; src < NREP; src++)
		for (int dst = 0; dst < NREP; dst++)
			if (src != dst)
				exchange(&w, src, dst, true);
	check(&w);

	for (int r = 0; r < NREP; r++)
		store_close(w.st[r]);
	for (size_t i = 0; i < w.nedits; i++)
		if (w.edits[i].v.type == GM_TEXT)
			free((char *)w.edits[i].v.s);
	free(w.edits);
	free(w.recs);
}

void t_init_converge_tests(void)
{
	static const struct t_case cases[] = {
		{ "4 replicas, random edits and exchanges: one state, no edit lost", t_converge },
		{ NULL, NULL },
	};
	t_add_suite("converge", cases);
}
