/*
 * test_store.c - the node store: records, the scope rule, history with
 * every value, merging of concurrent edits between stores, delete-wins
 * erasure down to the bytes of the database file, idempotent apply,
 * sealing, refusals, and walking the batch log for links.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../node/exchange.h"
#include "../../proto/bundle.h"
#include "../../sync/hlc.h"

void t_init_store_tests(void);

#define STREET "440106012"
#define G1 "440106012001001"
#define G2 "440106012001002"
#define DISTRICT "440106"

/* A wall clock well inside the drift limit of every store in the test. */
static uint64_t wall0(void)
{
	return hlc_wall_ms() - 10000;
}

static bool text_is(const struct gm_value *v, const char *s)
{
	return v->type == GM_TEXT && v->len == strlen(s) && memcmp(v->s, s, v->len) == 0;
}

static struct gm_value T(const char *s)
{
	return gm_text(s);
}

static struct gm_value I(int64_t i)
{
	return gm_int(i);
}

static enum gm_err new_ticket(struct store *st, const char *key, const char *scope, uint64_t *t)
{
	return t_put(st, T_TICKET, key, scope, W_CREATE, t, "category", T("0102"), "title",
		     T("bin overflowing"), "status", T("reported"), "priority", I(3), NULL);
}

static void reopen(struct store **st)
{
	char dir[512], err[256];
	snprintf(dir, sizeof(dir), "%s", store_dir(*st));
	store_close(*st);
	*st = NULL;
	CU_ASSERT_FATAL(store_open(dir, st, err, sizeof(err)) == GM_OK);
}

/* ------------------------------------------------------ lifetime, writes */

static void t_create_open(void)
{
	struct store *st = NULL, *st2 = NULL;
	char err[256], dir[512];
	uint64_t id;

	CU_ASSERT_FATAL(store_create(t_tmpdir("c"), LEVEL_GRID, G1, t_refdir(), &st, err,
				     sizeof(err)) == GM_OK);
	snprintf(dir, sizeof(dir), "%s", store_dir(st));
	CU_ASSERT_STRING_EQUAL(store_code(st), G1);
	CU_ASSERT_EQUAL(store_level(st), LEVEL_GRID);
	CU_ASSERT(node_id_from_code(G1, 15, &id));
	CU_ASSERT_EQUAL(store_node_id(st), id);
	CU_ASSERT_EQUAL(new_ticket(st, "T1", NULL, NULL), GM_OK);
	store_close(st);

	CU_ASSERT_EQUAL(store_create(dir, LEVEL_GRID, G1, t_refdir(), &st2, err, sizeof(err)),
			GM_E_EXISTS);
	CU_ASSERT_PTR_NULL(st2);
	CU_ASSERT_FATAL(store_open(dir, &st, err, sizeof(err)) == GM_OK);
	CU_ASSERT_STRING_EQUAL(store_code(st), G1);
	CU_ASSERT_EQUAL(store_level(st), LEVEL_GRID);
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_EQUAL(store_get(st, schema_table(T_TICKET), "T1", &r), GM_OK);
	CU_ASSERT(text_is(t_val(&r, "status"), "reported"));
	/* reference data was loaded at create */
	CU_ASSERT_EQUAL(store_get(st, schema_table(T_CAT_EVENT), "0102", &r), GM_OK);
	CU_ASSERT_EQUAL(store_get(st, schema_table(T_CAT_COMPONENT), "0101", &r), GM_OK);
	store_rec_free(&r);
	store_close(st);

	CU_ASSERT_EQUAL(store_open(t_tmpdir("none"), &st, err, sizeof(err)), GM_E_NOTFOUND);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_EQUAL(store_create(t_tmpdir("bad"), LEVEL_STREET, G1, t_refdir(), &st, err,
				     sizeof(err)), GM_E_INVAL);
	CU_ASSERT_EQUAL(store_create(t_tmpdir("bad"), LEVEL_GRID, "44010601200100x", t_refdir(),
				     &st, err, sizeof(err)), GM_E_INVAL);
}

static void t_put_get(void)
{
	struct store *st = t_store(LEVEL_GRID, G1);
	const struct table_def *tt = schema_table(T_TICKET);
	struct store_rec r;
	uint64_t t1, t2;

	store_rec_init(&r);
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_CREATE, &t1, "category", T("0102"),
			      "title", T("bin"), "status", T("reported"), "lat", gm_real(23.125),
			      "lon", I(113), "priority", I(2), "descr", gm_nil(), NULL), GM_OK);
	CU_ASSERT_EQUAL_FATAL(store_get(st, tt, "T1", &r), GM_OK);
	CU_ASSERT_STRING_EQUAL(r.key, "T1");
	CU_ASSERT_STRING_EQUAL(r.scope, G1);
	CU_ASSERT(text_is(t_val(&r, "title"), "bin"));
	CU_ASSERT_EQUAL(t_val(&r, "lat")->type, GM_REAL);
	CU_ASSERT_EQUAL(t_val(&r, "lat")->d, 23.125);
	/* an integer given for a REAL column is stored as REAL */
	CU_ASSERT_EQUAL(t_val(&r, "lon")->type, GM_REAL);
	CU_ASSERT_EQUAL(t_val(&r, "lon")->d, 113.0);
	CU_ASSERT_EQUAL(t_val(&r, "priority")->i, 2);
	CU_ASSERT_EQUAL(t_val(&r, "descr")->type, GM_NIL);
	CU_ASSERT_EQUAL(t_val(&r, "assignee")->type, GM_NIL);
	CU_ASSERT(clk_zero(r.del));
	CU_ASSERT_EQUAL(r.rc.c[schema_col(tt, "title", 5)].t, t1);
	CU_ASSERT_EQUAL(r.rc.c[schema_col(tt, "title", 5)].node, store_node_id(st));
	CU_ASSERT(clk_zero(r.rc.c[schema_col(tt, "assignee", 8)]));

	/* an upsert of an existing record updates only what it sets */
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_UPSERT, &t2, "title", T("bin!"), NULL),
			GM_OK);
	CU_ASSERT(t2 > t1);
	CU_ASSERT_EQUAL_FATAL(store_get(st, tt, "T1", &r), GM_OK);
	CU_ASSERT(text_is(t_val(&r, "title"), "bin!"));
	CU_ASSERT(text_is(t_val(&r, "status"), "reported"));
	CU_ASSERT_EQUAL(store_get(st, tt, "nope", &r), GM_E_NOTFOUND);

	/* what a writer may not do */
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_UPDATE, NULL, "priority", T("high"),
			      NULL), GM_E_INVAL);
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T2", NULL, W_CREATE, NULL, "title", T("x"), NULL),
			GM_E_INVAL);   /* no category, no status */
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T2", NULL, W_CREATE, NULL, "category", T("0102"),
			      "title", gm_nil(), "status", T("reported"), NULL), GM_E_INVAL);
	char longkey[BATCH_MAX_KEY + 2];
	memset(longkey, 'k', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = 0;
	CU_ASSERT_EQUAL(new_ticket(st, longkey, NULL, NULL), GM_E_INVAL);
	CU_ASSERT_EQUAL(new_ticket(st, "", NULL, NULL), GM_E_INVAL);
	struct store_write w = { .tab = tt, .key = "T1", .mode = W_UPSERT };
	CU_ASSERT_EQUAL(store_put(st, &w, NULL), GM_E_STATE);   /* outside a transaction */
	CU_ASSERT_EQUAL(store_begin(st), GM_OK);
	CU_ASSERT_EQUAL(store_begin(st), GM_E_STATE);
	store_rollback(st);
	/* a rolled-back write leaves nothing */
	CU_ASSERT_EQUAL(store_begin(st), GM_OK);
	uint8_t col = (uint8_t)schema_col(tt, "title", 5);
	struct gm_value v = T("rolled back");
	w = (struct store_write){ .tab = tt, .key = "T1", .nset = 1, .cols = &col, .vals = &v,
				  .mode = W_UPDATE };
	CU_ASSERT_EQUAL(store_put(st, &w, NULL), GM_OK);
	store_rollback(st);
	CU_ASSERT_EQUAL_FATAL(store_get(st, tt, "T1", &r), GM_OK);
	CU_ASSERT(text_is(t_val(&r, "title"), "bin!"));
	store_rec_free(&r);
	store_close(st);
}

static void t_modes(void)
{
	struct store *st = t_store(LEVEL_GRID, G1);
	CU_ASSERT_EQUAL(new_ticket(st, "T1", NULL, NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(st, "T1", NULL, NULL), GM_E_EXISTS);
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T9", NULL, W_UPDATE, NULL, "status", T("closed"),
			      NULL), GM_E_NOTFOUND);
	CU_ASSERT_EQUAL(t_del(st, T_TICKET, "T9"), GM_E_NOTFOUND);
	CU_ASSERT_EQUAL(t_del(st, T_TICKET, "T1"), GM_OK);
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_UPDATE, NULL, "status", T("closed"),
			      NULL), GM_E_NOTFOUND);
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_UPSERT, NULL, "status", T("closed"),
			      NULL), GM_E_NOTFOUND);
	/* a deleted id is not reused */
	CU_ASSERT_EQUAL(new_ticket(st, "T1", NULL, NULL), GM_E_EXISTS);
	store_close(st);
}

static void t_scope_rule(void)
{
	struct store *g1 = t_store(LEVEL_GRID, G1), *g2 = t_store(LEVEL_GRID, G2);
	struct store *s = t_store(LEVEL_STREET, STREET);

	/* a grid writes only its own records */
	CU_ASSERT_EQUAL(new_ticket(g1, "A", G2, NULL), GM_E_SCOPE);
	CU_ASSERT_EQUAL(new_ticket(g1, "A", STREET, NULL), GM_E_SCOPE);
	CU_ASSERT_EQUAL(new_ticket(g1, "A", "440106012001", NULL), GM_E_INVAL);
	CU_ASSERT_EQUAL(new_ticket(g1, "A", G1, NULL), GM_OK);
	/* the street writes anywhere under it, not beside it */
	CU_ASSERT_EQUAL(new_ticket(s, "B", G1, NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(s, "C", "440106013001001", NULL), GM_E_SCOPE);
	CU_ASSERT_EQUAL(new_ticket(s, "C", DISTRICT, NULL), GM_E_SCOPE);

	/* a record of grid 1 held by grid 2 stays read-only there */
	t_sync(g1, g2);
	t_sync(s, g2);
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_EQUAL(store_get(g2, schema_table(T_TICKET), "A", &r), GM_OK);
	CU_ASSERT_EQUAL(t_put(g2, T_TICKET, "A", NULL, W_UPDATE, NULL, "status", T("closed"),
			      NULL), GM_E_SCOPE);
	CU_ASSERT_EQUAL(t_put(g2, T_TICKET, "B", NULL, W_UPDATE, NULL, "status", T("closed"),
			      NULL), GM_E_SCOPE);
	CU_ASSERT_EQUAL(t_del(g2, T_TICKET, "A"), GM_E_SCOPE);
	/* but grid 1 and its street may edit it */
	t_sync(s, g1);
	CU_ASSERT_EQUAL(t_put(g1, T_TICKET, "B", NULL, W_UPDATE, NULL, "status", T("registered"),
			      NULL), GM_OK);
	t_sync(g1, s);
	CU_ASSERT_EQUAL(t_put(s, T_TICKET, "A", NULL, W_UPDATE, NULL, "assignee", T("sanitation"),
			      NULL), GM_OK);
	store_rec_free(&r);
	store_close(g1);
	store_close(g2);
	store_close(s);
}

/* ---------------------------------------------------------------- history */

struct hist {
	size_t n;
	struct {
		struct clk clk;
		uint64_t mask, lost;
		bool del, erased, has_vals;
		char note[64], actor[32];
		struct gm_value v[ROWCLK_MAX_COLS];   /* column-indexed */
		char text[ROWCLK_MAX_COLS][128];
	} e[700];
	const struct table_def *tab;
};

static int hist_cb(void *ctx, const struct store_hist *h)
{
	struct hist *o = ctx;
	CU_ASSERT_FATAL(o->n < sizeof(o->e) / sizeof(o->e[0]));
	memset(&o->e[o->n], 0, sizeof(o->e[o->n]));
	o->e[o->n].clk = h->clk;
	o->e[o->n].mask = h->mask;
	o->e[o->n].lost = h->lost;
	o->e[o->n].del = h->del;
	o->e[o->n].erased = h->erased;
	o->e[o->n].has_vals = h->vals != NULL;
	snprintf(o->e[o->n].note, sizeof(o->e[o->n].note), "%s", h->note ? h->note : "");
	snprintf(o->e[o->n].actor, sizeof(o->e[o->n].actor), "%s", h->actor ? h->actor : "");
	unsigned k = 0;
	for (unsigned j = 0; j < o->tab->ncols; j++) {
		if (!((h->mask >> j) & 1))
			continue;
		if (h->vals) {
			struct gm_value v = h->vals[k];
			if (v.type == GM_TEXT) {
				snprintf(o->e[o->n].text[j], sizeof(o->e[o->n].text[j]), "%.*s",
					 (int)v.len, v.s);
				v.s = o->e[o->n].text[j];
			}
			o->e[o->n].v[j] = v;
		}
		k++;
	}
	o->n++;
	return 0;
}

static struct hist *history(struct store *st, enum table_id t, const char *key)
{
	static struct hist h;
	memset(&h, 0, sizeof(h));
	h.tab = schema_table(t);
	CU_ASSERT_FATAL(store_history(st, h.tab, key, hist_cb, &h) == GM_OK);
	return &h;
}

static int col(enum table_id t, const char *name)
{
	return schema_col(schema_table(t), name, strlen(name));
}

static void t_history(void)
{
	struct store *st = t_store(LEVEL_GRID, G1);
	uint64_t t[5];
	int status = col(T_TICKET, "status"), title = col(T_TICKET, "title");
	int prio = col(T_TICKET, "priority");

	CU_ASSERT_EQUAL(new_ticket(st, "T1", NULL, &t[0]), GM_OK);
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_UPDATE, &t[1], "status",
			      T("registered"), NULL), GM_OK);
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_UPDATE, &t[2], "title", T("two bins"),
			      "priority", I(1), NULL), GM_OK);
	/* a note alone (a comment) is a change too */
	struct store_write w = { .tab = schema_table(T_TICKET), .key = "T1", .actor = "wang",
				 .note = "called sanitation", .mode = W_UPDATE };
	CU_ASSERT_EQUAL(store_begin(st), GM_OK);
	CU_ASSERT_EQUAL(store_put(st, &w, &t[3]), GM_OK);
	CU_ASSERT_EQUAL(store_commit(st), GM_OK);
	CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_UPDATE, &t[4], "status",
			      T("dispatched"), NULL), GM_OK);

	for (int pass = 0; pass < 2; pass++) {
		struct hist *h = history(st, T_TICKET, "T1");
		CU_ASSERT_EQUAL_FATAL(h->n, 5);
		for (int i = 0; i < 5; i++) {
			CU_ASSERT_EQUAL(h->e[i].clk.t, t[i]);
			CU_ASSERT_EQUAL(h->e[i].clk.node, store_node_id(st));
			CU_ASSERT_EQUAL(h->e[i].lost, 0);
			CU_ASSERT(!h->e[i].erased);
		}
		/* every value, the overwritten ones too */
		CU_ASSERT(text_is(&h->e[0].v[status], "reported"));
		CU_ASSERT(text_is(&h->e[0].v[title], "bin overflowing"));
		CU_ASSERT_EQUAL(h->e[0].v[prio].i, 3);
		CU_ASSERT(text_is(&h->e[1].v[status], "registered"));
		CU_ASSERT_EQUAL(h->e[1].mask, 1ull << status);
		CU_ASSERT(text_is(&h->e[2].v[title], "two bins"));
		CU_ASSERT_EQUAL(h->e[2].v[prio].i, 1);
		CU_ASSERT_EQUAL(h->e[3].mask, 0);
		CU_ASSERT_STRING_EQUAL(h->e[3].note, "called sanitation");
		CU_ASSERT_STRING_EQUAL(h->e[3].actor, "wang");
		CU_ASSERT_STRING_EQUAL(h->e[0].actor, "tester");
		CU_ASSERT(text_is(&h->e[4].v[status], "dispatched"));
		/* the same after the store is closed and opened again */
		reopen(&st);
	}
	store_close(st);
}

/* Hundreds of changes in one transaction and in many: pages of the log. */
static void t_history_pages(void)
{
	struct store *st = t_store(LEVEL_GRID, G1);
	int prio = col(T_TICKET, "priority");
	CU_ASSERT_EQUAL(new_ticket(st, "T1", NULL, NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(st, "T2", NULL, NULL), GM_OK);
	CU_ASSERT_EQUAL_FATAL(store_begin(st), GM_OK);
	for (int i = 0; i < 600; i++) {
		uint8_t c = (uint8_t)prio;
		struct gm_value v = I(1000 + i);
		struct store_write w = { .tab = schema_table(T_TICKET), .key = i % 3 ? "T1" : "T2",
					 .nset = 1, .cols = &c, .vals = &v, .mode = W_UPDATE };
		CU_ASSERT_EQUAL_FATAL(store_put(st, &w, NULL), GM_OK);
	}
	CU_ASSERT_EQUAL_FATAL(store_commit(st), GM_OK);
	for (int i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(t_put(st, T_TICKET, "T1", NULL, W_UPDATE, NULL, "priority",
				      I(5000 + i), NULL), GM_OK);
	struct hist *h = history(st, T_TICKET, "T1");
	CU_ASSERT_EQUAL_FATAL(h->n, 1 + 400 + 40);
	int k = 1;
	for (int i = 0; i < 600; i++)
		if (i % 3)
			CU_ASSERT_EQUAL(h->e[k++].v[prio].i, 1000 + i);
	for (int i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(h->e[k++].v[prio].i, 5000 + i);
	h = history(st, T_TICKET, "T2");
	CU_ASSERT_EQUAL(h->n, 1 + 200);
	CU_ASSERT_EQUAL(h->e[200].v[prio].i, 1000 + 597);
	/* sealed and applied elsewhere: the same history */
	struct store *s = t_store(LEVEL_STREET, STREET);
	struct exchange_in in = t_sync(st, s);
	CU_ASSERT_EQUAL(in.refused, 0);
	h = history(s, T_TICKET, "T1");
	CU_ASSERT_EQUAL_FATAL(h->n, 1 + 400 + 40);
	CU_ASSERT_EQUAL(h->e[1].v[prio].i, 1001);
	CU_ASSERT_EQUAL(h->e[440].v[prio].i, 5039);
	CU_ASSERT_STRING_EQUAL(t_digest(st, NULL), t_digest(s, NULL));
	store_close(st);
	store_close(s);
}

/* -------------------------------------------------- concurrent edits */

/* A grid and its street, holding the same ticket T1 of the grid. */
static void pair(struct store **g, struct store **s, uint64_t wall)
{
	*g = t_store(LEVEL_GRID, G1);
	*s = t_store(LEVEL_STREET, STREET);
	store_set_wall(*g, wall);
	store_set_wall(*s, wall);
	CU_ASSERT_EQUAL(new_ticket(*g, "T1", NULL, NULL), GM_OK);
	t_sync(*g, *s);
}

/* Syncs both ways; then the two must hold the same state. */
static void sync_both(struct store *a, struct store *b)
{
	t_sync(a, b);
	t_sync(b, a);
	CU_ASSERT_STRING_EQUAL(t_digest(a, NULL), t_digest(b, NULL));
}

/* Loads ticket T1 into r. */
static void get_t1(struct store *st, struct store_rec *r)
{
	store_rec_init(r);
	CU_ASSERT_EQUAL(store_get(st, schema_table(T_TICKET), "T1", r), GM_OK);
}

static void t_concurrent_same_field(void)
{
	struct store *g, *s;
	int status = col(T_TICKET, "status");
	uint64_t w = wall0();
	pair(&g, &s, w);
	store_set_wall(g, w + 2000);
	store_set_wall(s, w + 2005);
	uint64_t tg, ts;
	CU_ASSERT_EQUAL(t_put(g, T_TICKET, "T1", NULL, W_UPDATE, &tg, "status", T("registered"),
			      NULL), GM_OK);
	CU_ASSERT_EQUAL(t_put(s, T_TICKET, "T1", NULL, W_UPDATE, &ts, "status", T("rejected"),
			      NULL), GM_OK);
	CU_ASSERT(ts > tg);
	sync_both(g, s);
	struct store *both[2] = { g, s };
	for (int k = 0; k < 2; k++) {
		struct store_rec r;
		get_t1(both[k], &r);
		CU_ASSERT(text_is(t_val(&r, "status"), "rejected"));
		store_rec_free(&r);
		struct hist *h = history(both[k], T_TICKET, "T1");
		CU_ASSERT_EQUAL_FATAL(h->n, 3);
		/* the loser is in history with its value, flagged */
		CU_ASSERT_EQUAL(h->e[1].clk.t, tg);
		CU_ASSERT(text_is(&h->e[1].v[status], "registered"));
		CU_ASSERT_EQUAL(h->e[1].lost, 1ull << status);
		CU_ASSERT_EQUAL(h->e[2].clk.t, ts);
		CU_ASSERT(text_is(&h->e[2].v[status], "rejected"));
		CU_ASSERT_EQUAL(h->e[2].lost, 0);
		CU_ASSERT(text_is(&h->e[0].v[status], "reported"));
		/* the creation was seen by both: overwritten, not lost */
		CU_ASSERT_EQUAL(h->e[0].lost, 0);
	}

	/* the same millisecond on both: the node id decides, the same way on both */
	store_set_wall(g, w + 9000);
	store_set_wall(s, w + 9000);
	CU_ASSERT_EQUAL(t_put(g, T_TICKET, "T1", NULL, W_UPDATE, &tg, "assignee", T("grid"),
			      NULL), GM_OK);
	CU_ASSERT_EQUAL(t_put(s, T_TICKET, "T1", NULL, W_UPDATE, &ts, "assignee", T("street"),
			      NULL), GM_OK);
	CU_ASSERT_EQUAL(tg, ts);
	sync_both(g, s);
	const char *winner = store_node_id(g) > store_node_id(s) ? "grid" : "street";
	for (int k = 0; k < 2; k++) {
		struct store_rec r;
		get_t1(both[k], &r);
		CU_ASSERT(text_is(t_val(&r, "assignee"), winner));
		store_rec_free(&r);
	}
	store_close(g);
	store_close(s);
}

static void t_concurrent_other_fields(void)
{
	struct store *g, *s;
	pair(&g, &s, 0);
	CU_ASSERT_EQUAL(t_put(g, T_TICKET, "T1", NULL, W_UPDATE, NULL, "assignee", T("li"), NULL),
			GM_OK);
	CU_ASSERT_EQUAL(t_put(s, T_TICKET, "T1", NULL, W_UPDATE, NULL, "priority", I(1),
			      "title", T("urgent"), NULL), GM_OK);
	sync_both(s, g);
	struct store *both[2] = { g, s };
	for (int k = 0; k < 2; k++) {
		struct store_rec r;
		get_t1(both[k], &r);
		CU_ASSERT(text_is(t_val(&r, "assignee"), "li"));
		CU_ASSERT(text_is(t_val(&r, "title"), "urgent"));
		CU_ASSERT_EQUAL(t_val(&r, "priority")->i, 1);
		CU_ASSERT(text_is(t_val(&r, "status"), "reported"));
		store_rec_free(&r);
		struct hist *h = history(both[k], T_TICKET, "T1");
		CU_ASSERT_EQUAL(h->n, 3);
		for (size_t i = 0; i < h->n; i++)
			CU_ASSERT_EQUAL(h->e[i].lost, 0);
	}
	store_close(g);
	store_close(s);
}

/* ------------------------------------------------------ delete, erasure */

static const char *const SECRETS[] = { "11010519491231002X", "13800138000", "13900139000",
				       "Room 1701, Building 3" };

/* Nothing in history carries a value, and none of the secrets. */
static void assert_erased(struct store *st, const char *key)
{
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_EQUAL_FATAL(store_get(st, schema_table(T_PERSON), key, &r), GM_OK);
	CU_ASSERT(!clk_zero(r.del));
	for (unsigned j = 0; j < r.tab->ncols; j++)
		CU_ASSERT_EQUAL(r.vals[j].type, GM_NIL);
	store_rec_free(&r);
	struct hist *h = history(st, T_PERSON, key);
	CU_ASSERT(h->n >= 1);
	for (size_t i = 0; i < h->n; i++) {
		CU_ASSERT(!h->e[i].has_vals);
		CU_ASSERT(h->e[i].erased || h->e[i].del);
		CU_ASSERT_STRING_EQUAL(h->e[i].note, "");
	}
}

/* Occurrences of any secret in the bytes of the store's files. */
static int secrets_on_disk(struct store **st)
{
	char dir[512], path[600];
	int found = 0;
	snprintf(dir, sizeof(dir), "%s", store_dir(*st));
	/* closing the last connection checkpoints the WAL into the file */
	store_close(*st);
	static const char *const files[] = { "gridmesh.db", "gridmesh.db-wal" };
	for (size_t f = 0; f < 2; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		FILE *fp = fopen(path, "rb");
		if (!fp)
			continue;
		fseek(fp, 0, SEEK_END);
		long n = ftell(fp);
		fseek(fp, 0, SEEK_SET);
		char *buf = malloc((size_t)n + 1);
		CU_ASSERT_FATAL(buf && fread(buf, 1, (size_t)n, fp) == (size_t)n);
		fclose(fp);
		for (size_t s = 0; s < sizeof(SECRETS) / sizeof(SECRETS[0]); s++) {
			size_t sl = strlen(SECRETS[s]);
			for (long i = 0; i + (long)sl <= n; i++) {
				if (memcmp(buf + i, SECRETS[s], sl) == 0) {
					fprintf(stderr, "\n  '%s' still in %s at byte %ld", SECRETS[s],
						path, i);
					found++;
					break;
				}
			}
		}
		free(buf);
	}
	char err[256];
	CU_ASSERT_FATAL(store_open(dir, st, err, sizeof(err)) == GM_OK);
	return found;
}

static void new_person(struct store *st, const char *key)
{
	CU_ASSERT_EQUAL(t_put(st, T_PERSON, key, NULL, W_CREATE, NULL, "name", T("Zhang San"),
			      "id_card", T(SECRETS[0]), "phone", T(SECRETS[1]), "address",
			      T(SECRETS[3]), "note", T("lives alone"), NULL), GM_OK);
	/* the first phone number now lives only in the history */
	CU_ASSERT_EQUAL(t_put(st, T_PERSON, key, NULL, W_UPDATE, NULL, "phone", T(SECRETS[2]),
			      NULL), GM_OK);
}

static void t_delete_erasure_local(void)
{
	struct store *g = t_store(LEVEL_GRID, G1);
	new_person(g, "P1");
	CU_ASSERT_EQUAL(t_put(g, T_PERSON, "P2", NULL, W_CREATE, NULL, "name", T("Li Si"), NULL),
			GM_OK);
	/* before the delete, the old phone number is in history */
	struct hist *h = history(g, T_PERSON, "P1");
	CU_ASSERT_EQUAL_FATAL(h->n, 2);
	CU_ASSERT(text_is(&h->e[0].v[col(T_PERSON, "phone")], SECRETS[1]));
	CU_ASSERT_EQUAL(t_del(g, T_PERSON, "P1"), GM_OK);
	assert_erased(g, "P1");
	/* a deleted record cannot be written again */
	CU_ASSERT_EQUAL(t_put(g, T_PERSON, "P1", NULL, W_UPDATE, NULL, "phone", T("1"), NULL),
			GM_E_NOTFOUND);
	CU_ASSERT_EQUAL(secrets_on_disk(&g), 0);
	assert_erased(g, "P1");
	/* the other record is untouched */
	h = history(g, T_PERSON, "P2");
	CU_ASSERT_EQUAL(h->n, 1);
	CU_ASSERT(text_is(&h->e[0].v[col(T_PERSON, "name")], "Li Si"));
	store_close(g);
}

static void t_delete_erasure_replicated(void)
{
	struct store *g = t_store(LEVEL_GRID, G1), *s = t_store(LEVEL_STREET, STREET);
	new_person(g, "P1");
	t_sync(g, s);
	/* concurrently: the street edits the person, the grid deletes it */
	CU_ASSERT_EQUAL(t_put(s, T_PERSON, "P1", NULL, W_UPDATE, NULL, "tags",
			      T("elderly_alone"), "note", T("visited"), NULL), GM_OK);
	CU_ASSERT_EQUAL(t_del(g, T_PERSON, "P1"), GM_OK);
	sync_both(s, g);
	assert_erased(g, "P1");
	assert_erased(s, "P1");
	/* an edit arriving after the delete brings nothing back */
	struct store *s2 = t_store(LEVEL_STREET, STREET);
	t_sync(g, s2);
	t_sync(s, s2);
	assert_erased(s2, "P1");
	CU_ASSERT_STRING_EQUAL(t_digest(g, NULL), t_digest(s2, NULL));
	CU_ASSERT_EQUAL(secrets_on_disk(&g), 0);
	CU_ASSERT_EQUAL(secrets_on_disk(&s), 0);
	CU_ASSERT_EQUAL(secrets_on_disk(&s2), 0);
	store_close(g);
	store_close(s);
	store_close(s2);
}

/* ------------------------------------------------------------- batches */

/* A one-change batch from `origin`, made by hand. */
static void craft(struct gm_buf *out, const char *origin, uint64_t bseq, const char *scope,
		  uint8_t cls, const char *table, const char *field, const char *key,
		  struct gm_value v, uint64_t t)
{
	struct batch b;
	struct batch_group g;
	struct batch_change c;
	struct gm_buf pay;
	uint32_t flen = (uint32_t)strlen(field);
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.keylen = (uint32_t)strlen(key);
	c.t = t;
	c.mask = 1;
	c.vals = &v;
	g = (struct batch_group){ .table = table, .tablelen = (uint32_t)strlen(table),
				  .nfields = 1, .fields = &field, .fieldlens = &flen, .n = 1,
				  .ch = &c };
	b.base_t = t;
	b.ngroups = 1;
	b.groups = &g;
	CU_ASSERT_FATAL(node_id_from_code(origin, strlen(origin), &b.env.origin));
	b.env.bseq = bseq;
	b.env.scope = scope;
	b.env.scopelen = (uint32_t)strlen(scope);
	b.env.cls = cls;
	b.env.nchanges = 1;
	b.env.tmax = t;
	gm_buf_init(&pay);
	CU_ASSERT_FATAL(batch_encode_payload(&b, &pay) == GM_OK);
	CU_ASSERT_FATAL(batch_env_encode(&b.env, pay.p, pay.len, out) == GM_OK);
	batch_env_finish(out, NULL);
	gm_buf_free(&pay);
}

struct batches {
	unsigned n;
	int64_t seq[64];
	struct batch_env env[64];
	uint8_t *body[64];
	size_t len[64];
};

static int batches_cb(void *ctx, int64_t seq, const uint8_t *body, size_t len)
{
	struct batches *b = ctx;
	CU_ASSERT_FATAL(b->n < 64);
	b->seq[b->n] = seq;
	b->body[b->n] = t_dup(body, len);
	b->len[b->n] = len;
	CU_ASSERT(batch_env_decode(b->body[b->n], len, &b->env[b->n]) == GM_OK);
	b->n++;
	return 0;
}

static void batches_free(struct batches *b)
{
	for (unsigned i = 0; i < b->n; i++)
		free(b->body[i]);
	b->n = 0;
}

static void list_batches(struct store *st, const struct batch_filter *f, struct batches *out)
{
	memset(out, 0, sizeof(*out));
	CU_ASSERT_FATAL(store_batches(st, 0, f, 0, batches_cb, out) == GM_OK);
}

static bool env_is(const struct batch_env *e, const char *scope, unsigned cls)
{
	return e->scopelen == strlen(scope) && memcmp(e->scope, scope, e->scopelen) == 0 &&
	       e->cls == cls;
}

static void t_apply_idempotent(void)
{
	struct store *g = t_store(LEVEL_GRID, G1), *s = t_store(LEVEL_STREET, STREET);
	struct batch_filter all = { .dir = BF_ALL, .exclude_link = -1 };
	struct batches bs;
	for (int i = 0; i < 5; i++) {
		char key[16];
		snprintf(key, sizeof(key), "T%d", i);
		CU_ASSERT_EQUAL(new_ticket(g, key, NULL, NULL), GM_OK);
	}
	new_person(g, "P1");
	struct exchange_in in = t_sync(g, s);
	CU_ASSERT_EQUAL(in.batches, 2);
	CU_ASSERT_EQUAL(in.applied, 7);
	CU_ASSERT_EQUAL(in.dup + in.refused + in.rejected, 0);
	char before[80];
	snprintf(before, sizeof(before), "%s", t_digest(s, NULL));
	int64_t head = store_batch_head(s);
	CU_ASSERT_STRING_EQUAL(before, t_digest(g, NULL));

	/* the same bundle again: every batch a duplicate, nothing changes */
	in = t_sync(g, s);
	CU_ASSERT_EQUAL(in.batches, 0);
	CU_ASSERT_EQUAL(in.dup, 2);
	CU_ASSERT_EQUAL(in.applied, 0);
	CU_ASSERT_STRING_EQUAL(t_digest(s, NULL), before);
	CU_ASSERT_EQUAL(store_batch_head(s), head);
	/* one batch at a time: GM_E_REPLAY */
	list_batches(g, &all, &bs);
	CU_ASSERT_EQUAL_FATAL(bs.n, 2);
	struct apply_result res;
	for (unsigned i = 0; i < bs.n; i++)
		CU_ASSERT_EQUAL(store_apply(s, bs.body[i], bs.len[i], LINK_PARENT, &res),
				GM_E_REPLAY);
	/* a store's own batches coming back are duplicates too */
	CU_ASSERT_EQUAL(store_apply(g, bs.body[0], bs.len[0], LINK_PARENT, &res), GM_E_REPLAY);
	CU_ASSERT_STRING_EQUAL(t_digest(s, NULL), before);
	struct hist *h = history(s, T_PERSON, "P1");
	CU_ASSERT_EQUAL(h->n, 2);

	/* the digest does not depend on the order batches arrive in */
	struct store *g2 = t_store(LEVEL_GRID, G2);
	CU_ASSERT_EQUAL(new_ticket(g2, "U1", NULL, NULL), GM_OK);
	t_sync(g2, s);
	CU_ASSERT_EQUAL(t_put(s, T_TICKET, "T1", NULL, W_UPDATE, NULL, "status", T("registered"),
			      NULL), GM_OK);
	CU_ASSERT_EQUAL(store_seal(s, 1, NULL), GM_OK);
	struct batches sb;
	list_batches(s, &all, &sb);
	CU_ASSERT_FATAL(sb.n >= 4);
	struct store *x = t_store(LEVEL_STREET, STREET), *y = t_store(LEVEL_STREET, STREET);
	for (unsigned i = 0; i < sb.n; i++) {
		CU_ASSERT_EQUAL(store_apply(x, sb.body[i], sb.len[i], LINK_PARENT, &res), GM_OK);
		CU_ASSERT_EQUAL(store_apply(y, sb.body[sb.n - 1 - i], sb.len[sb.n - 1 - i],
					    LINK_PARENT, &res), GM_OK);
	}
	CU_ASSERT_STRING_EQUAL(t_digest(x, NULL), t_digest(y, NULL));
	CU_ASSERT_STRING_EQUAL(t_digest(x, NULL), t_digest(s, NULL));
	batches_free(&bs);
	batches_free(&sb);
	store_close(g);
	store_close(g2);
	store_close(s);
	store_close(x);
	store_close(y);
}

/*
 * A create whose key is taken: the same grid, restored from an old backup,
 * makes its tickets T1 and T2 again (T2 was deleted meanwhile).  Receivers
 * insert a create without looking first; when the key is taken they must
 * merge it like any other change, in either order of arrival.
 */
static void t_create_taken(void)
{
	struct store *g = t_store(LEVEL_GRID, G1), *g2 = t_store(LEVEL_GRID, G1);
	struct store *s = t_store(LEVEL_STREET, STREET), *x = t_store(LEVEL_STREET, STREET);
	struct batch_filter all = { .dir = BF_ALL, .exclude_link = -1 };
	struct batches a, b;
	struct apply_result res;
	int title = col(T_TICKET, "title");
	uint64_t w = wall0(), t1, t2;

	store_set_wall(g, w);
	store_set_wall(g2, w + 1000);
	CU_ASSERT_EQUAL(new_ticket(g, "T1", NULL, &t1), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(g, "T2", NULL, NULL), GM_OK);
	CU_ASSERT_EQUAL(t_del(g, T_TICKET, "T2"), GM_OK);
	CU_ASSERT_EQUAL(t_put(g2, T_TICKET, "T1", NULL, W_CREATE, &t2, "category", T("0103"),
			      "title", T("two bins"), "status", T("registered"), NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(g2, "T2", NULL, NULL), GM_OK);
	CU_ASSERT(t2 > t1);
	CU_ASSERT_EQUAL(store_seal(g, 0, NULL), GM_OK);
	CU_ASSERT_EQUAL(store_seal(g2, 0, NULL), GM_OK);
	list_batches(g, &all, &a);
	list_batches(g2, &all, &b);
	CU_ASSERT_FATAL(a.n == 1 && b.n == 1);

	/* s: the old creates first, then the new ones over them */
	CU_ASSERT_EQUAL(store_apply(s, a.body[0], a.len[0], LINK_CHILD0, &res), GM_OK);
	CU_ASSERT_EQUAL(store_apply(s, b.body[0], b.len[0], LINK_CHILD0, &res), GM_OK);
	CU_ASSERT_EQUAL(res.applied, 1);      /* T1 */
	CU_ASSERT_EQUAL(res.ignored, 1);      /* T2 stays deleted */
	CU_ASSERT_EQUAL(res.rejected, 0);
	/* x: the other way round */
	CU_ASSERT_EQUAL(store_apply(x, b.body[0], b.len[0], LINK_CHILD0, &res), GM_OK);
	CU_ASSERT_EQUAL(store_apply(x, a.body[0], a.len[0], LINK_CHILD0, &res), GM_OK);
	CU_ASSERT_EQUAL(res.rejected, 0);
	CU_ASSERT_STRING_EQUAL(t_digest(s, NULL), t_digest(x, NULL));

	struct store *both[2] = { s, x };
	for (int k = 0; k < 2; k++) {
		struct store_rec r;
		store_rec_init(&r);
		CU_ASSERT_EQUAL_FATAL(store_get(both[k], schema_table(T_TICKET), "T1", &r), GM_OK);
		CU_ASSERT(text_is(t_val(&r, "title"), "two bins"));
		CU_ASSERT(text_is(t_val(&r, "category"), "0103"));
		/* priority: only the old create set it */
		CU_ASSERT_EQUAL(t_val(&r, "priority")->i, 3);
		/* T2 stays a tombstone */
		CU_ASSERT_EQUAL(store_get(both[k], schema_table(T_TICKET), "T2", &r), GM_OK);
		CU_ASSERT_FALSE(clk_zero(r.del));
		CU_ASSERT_EQUAL(t_val(&r, "title")->type, GM_NIL);
		store_rec_free(&r);
		/* the old title is still in T1's history */
		struct hist *h = history(both[k], T_TICKET, "T1");
		CU_ASSERT_EQUAL_FATAL(h->n, 2);
		CU_ASSERT_EQUAL(h->e[0].clk.t, t1);
		CU_ASSERT(text_is(&h->e[0].v[title], "bin overflowing"));
		CU_ASSERT(text_is(&h->e[1].v[title], "two bins"));
	}
	batches_free(&a);
	batches_free(&b);
	store_close(g);
	store_close(g2);
	store_close(s);
	store_close(x);
}

static void t_seal_groups(void)
{
	struct store *s = t_store(LEVEL_STREET, STREET);
	struct batch_filter all = { .dir = BF_ALL, .exclude_link = -1 };
	struct batches bs;
	unsigned nb = 99;

	CU_ASSERT_EQUAL(store_seal(s, 0, &nb), GM_OK);
	CU_ASSERT_EQUAL(nb, 0);
	CU_ASSERT_EQUAL(new_ticket(s, "A1", G1, NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(s, "A2", G2, NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(s, "A3", NULL, NULL), GM_OK);
	CU_ASSERT_EQUAL(t_put(s, T_ASSET, "B1", G1, W_CREATE, NULL, "code", T("0101"), "state",
			      T("normal"), NULL), GM_OK);
	CU_ASSERT_EQUAL(t_put(s, T_PERSON, "P1", G1, W_CREATE, NULL, "name", T("Li"), NULL), GM_OK);
	CU_ASSERT_EQUAL(t_put(s, T_HOUSEHOLD, "H1", G1, W_CREATE, NULL, "address", T("3-501"),
			      NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(s, "A4", G1, NULL), GM_OK);
	CU_ASSERT_EQUAL(store_seal(s, 0, &nb), GM_OK);
	/* residents travel one record per batch (so an erasure can drop them) */
	CU_ASSERT_EQUAL(nb, 5);
	list_batches(s, &all, &bs);
	CU_ASSERT_EQUAL_FATAL(bs.n, 5);
	unsigned seen = 0;
	for (unsigned i = 0; i < bs.n; i++) {
		struct batch *b = NULL;
		CU_ASSERT_FATAL(batch_decode(bs.body[i], bs.len[i], &b) == GM_OK);
		if (env_is(&b->env, G1, CLS_SHARED)) {
			/* tickets and the asset of grid 1: one batch, one group per table */
			seen |= 1;
			CU_ASSERT_EQUAL(b->env.nchanges, 3);
			CU_ASSERT_EQUAL(b->ngroups, 2);
		} else if (env_is(&b->env, G1, CLS_STREET)) {
			seen |= 2;
			CU_ASSERT_EQUAL(b->env.nchanges, 1);
			CU_ASSERT_EQUAL(b->ngroups, 1);
		} else if (env_is(&b->env, G2, CLS_SHARED)) {
			seen |= 4;
			CU_ASSERT_EQUAL(b->env.nchanges, 1);
		} else if (env_is(&b->env, STREET, CLS_SHARED)) {
			seen |= 8;
			CU_ASSERT_EQUAL(b->env.nchanges, 1);
		}
		CU_ASSERT_EQUAL(b->env.origin, store_node_id(s));
		batch_free(b);
	}
	CU_ASSERT_EQUAL(seen, 15);
	/* bseq numbers the origin's batches 1, 2, 3... */
	uint64_t bseqs = 0;
	for (unsigned i = 0; i < bs.n; i++)
		bseqs |= 1ull << bs.env[i].bseq;
	CU_ASSERT_EQUAL(bseqs, 0x3e);
	batches_free(&bs);
	/* nothing new: nothing sealed */
	CU_ASSERT_EQUAL(store_seal(s, 0, &nb), GM_OK);
	CU_ASSERT_EQUAL(nb, 0);
	/* a size limit splits a group */
	for (int i = 0; i < 5; i++) {
		char key[16];
		snprintf(key, sizeof(key), "C%d", i);
		CU_ASSERT_EQUAL(new_ticket(s, key, G2, NULL), GM_OK);
	}
	CU_ASSERT_EQUAL(store_seal(s, 2, &nb), GM_OK);
	CU_ASSERT_EQUAL(nb, 3);
	/* every batch applies on the grid, multi-table ones included */
	struct store *g = t_store(LEVEL_GRID, G1);
	struct exchange_in in = t_sync(s, g);
	CU_ASSERT_EQUAL(in.refused, 0);
	CU_ASSERT_EQUAL(in.batches, 8);
	CU_ASSERT_STRING_EQUAL(t_digest(g, G1), t_digest(s, G1));
	CU_ASSERT_STRING_EQUAL(t_digest(g, NULL), t_digest(s, NULL));
	store_close(g);
	store_close(s);
}

struct rej {
	char reasons[512];
	int64_t total;
};

static int rej_cb(void *ctx, const char *reason, int64_t count, int64_t last_at,
		  const char *detail)
{
	struct rej *r = ctx;
	(void)last_at;
	(void)detail;
	size_t l = strlen(r->reasons);
	snprintf(r->reasons + l, sizeof(r->reasons) - l, "%s=%lld;", reason, (long long)count);
	r->total += count;
	return 0;
}

static void t_refusals(void)
{
	struct store *g = t_store(LEVEL_GRID, G1);
	struct gm_buf b, bundle;
	struct apply_result res;
	uint64_t t = hlc_from_ms(wall0());
	uint64_t w = hlc_ms(t) + 10000;
	store_set_wall(g, w);
	gm_buf_init(&b);
	gm_buf_init(&bundle);
	CU_ASSERT_EQUAL(new_ticket(g, "T1", NULL, NULL), GM_OK);

	/* a resident inside a "shared" batch: would travel past the street */
	craft(&b, G2, 1, G1, CLS_SHARED, "person", "name", "P1", T("Li"), t);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_OK);
	CU_ASSERT_EQUAL(res.rejected, 1);
	CU_ASSERT_EQUAL(res.applied, 0);
	CU_ASSERT(strstr(res.why, "person") != NULL);
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_EQUAL(store_get(g, schema_table(T_PERSON), "P1", &r), GM_E_NOTFOUND);
	/* a ticket in a "street" batch: the same rule the other way */
	craft(&b, G2, 2, G1, CLS_STREET, "ticket", "title", "T9", T("x"), t);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_OK);
	CU_ASSERT_EQUAL(res.rejected, 1);
	/* a change to our T1 in a batch that says it is about grid 2 */
	craft(&b, STREET, 1, G2, CLS_SHARED, "ticket", "title", "T1", T("hijacked"), t + 99);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_OK);
	CU_ASSERT_EQUAL(res.rejected, 1);
	CU_ASSERT_EQUAL(store_get(g, schema_table(T_TICKET), "T1", &r), GM_OK);
	CU_ASSERT(text_is(t_val(&r, "title"), "bin overflowing"));
	CU_ASSERT_STRING_EQUAL(r.scope, G1);
	/* a value of the wrong type */
	craft(&b, STREET, 2, G1, CLS_SHARED, "ticket", "priority", "T1", T("high"), t + 100);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_OK);
	CU_ASSERT_EQUAL(res.rejected, 1);
	/* a table this version does not know: kept, skipped, not refused */
	craft(&b, STREET, 3, G1, CLS_SHARED, "drone", "model", "D1", T("x"), t + 101);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_OK);
	CU_ASSERT_EQUAL(res.rejected, 0);
	CU_ASSERT_EQUAL(res.ignored, 1);
	/* an unknown field of a known table is skipped, the rest applies */
	craft(&b, STREET, 4, G1, CLS_SHARED, "ticket", "colour", "T1", T("red"), t + 102);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_OK);
	CU_ASSERT_EQUAL(res.rejected, 0);
	/* refused whole: bad class, origin or scope in the envelope */
	craft(&b, STREET, 5, G1, 7, "ticket", "title", "T1", T("x"), t + 103);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_E_MALFORMED);
	craft(&b, "4401060", 1, G1, CLS_SHARED, "ticket", "title", "T1", T("x"), t + 104);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_E_MALFORMED);
	craft(&b, STREET, 6, "44010601200", CLS_SHARED, "ticket", "title", "T1", T("x"), t + 105);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_E_MALFORMED);
	craft(&b, STREET, 7, "", CLS_SHARED, "ticket", "title", "T1", T("x"), t + 106);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_E_MALFORMED);
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len - 1, LINK_PARENT, &res), GM_E_MALFORMED);

	/* through exchange_apply, refusals are counted by reason */
	craft(&b, G2, 3, G1, CLS_SHARED, "person", "name", "P2", T("Li"), t + 200);
	const uint8_t *bodies[2] = { b.p, NULL };
	size_t lens[2] = { b.len, 0 };
	struct gm_buf b2;
	gm_buf_init(&b2);
	craft(&b2, STREET, 8, G1, 9, "ticket", "title", "T1", T("x"), t + 201);
	bodies[1] = b2.p;
	lens[1] = b2.len;
	CU_ASSERT_FATAL(bundle_encode(&bundle, STREET, 0, 2, 2, bodies, lens) == GM_OK);
	struct exchange_in in;
	CU_ASSERT_EQUAL(exchange_apply(g, bundle.p, bundle.len, LINK_PARENT, bundle.len, &in),
			GM_OK);
	CU_ASSERT_EQUAL(in.batches, 1);
	CU_ASSERT_EQUAL(in.rejected, 1);
	CU_ASSERT_EQUAL(in.refused, 1);
	CU_ASSERT(in.why[0] != 0);
	/* and a bundle that does not decode */
	CU_ASSERT_EQUAL(exchange_apply(g, bundle.p, bundle.len - 1, LINK_PARENT, bundle.len, &in),
			GM_E_MALFORMED);
	struct rej rj = { "", 0 };
	CU_ASSERT_EQUAL(store_rejects(g, rej_cb, &rj), GM_OK);
	CU_ASSERT(strstr(rj.reasons, "change refused=1;") != NULL);
	CU_ASSERT(strstr(rj.reasons, "bad bundle=1;") != NULL);
	CU_ASSERT(strstr(rj.reasons, "malformed") != NULL);
	CU_ASSERT_EQUAL(rj.total, 3);
	store_rec_free(&r);
	gm_buf_free(&b);
	gm_buf_free(&b2);
	gm_buf_free(&bundle);
	store_close(g);
}

static void t_far_future(void)
{
	struct store *g = t_store(LEVEL_GRID, G1);
	struct gm_buf b;
	struct apply_result res;
	uint64_t w = wall0();
	store_set_wall(g, w);
	gm_buf_init(&b);
	int64_t head = store_batch_head(g);
	char before[80];
	snprintf(before, sizeof(before), "%s", t_digest(g, NULL));

	craft(&b, STREET, 1, G1, CLS_SHARED, "ticket", "title", "T1",
	      T("from the future"), hlc_from_ms(w + 3600 * 1000));
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_E_CLOCK);
	CU_ASSERT(strstr(res.why, "future") != NULL);
	CU_ASSERT_EQUAL(store_batch_head(g), head);
	CU_ASSERT_STRING_EQUAL(t_digest(g, NULL), before);
	/* our clock did not move: the next local stamp is near our wall time */
	uint64_t tl;
	CU_ASSERT_EQUAL(new_ticket(g, "L1", NULL, &tl), GM_OK);
	CU_ASSERT(hlc_ms(tl) <= w + 1);
	/* a little ahead is fine, and pulls our clock past it */
	craft(&b, STREET, 2, G1, CLS_SHARED, "ticket", "title", "T2", T("x"),
	      hlc_from_ms(w + 30000));
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_OK);
	CU_ASSERT_EQUAL(t_put(g, T_TICKET, "L1", NULL, W_UPDATE, &tl, "title", T("y"), NULL), GM_OK);
	CU_ASSERT(tl > hlc_from_ms(w + 30000));
	/* with a tighter limit, the same lead is refused */
	store_set_max_drift(g, 1000);
	craft(&b, STREET, 3, G1, CLS_SHARED, "ticket", "title", "T3", T("x"),
	      hlc_from_ms(w + 30000));
	CU_ASSERT_EQUAL(store_apply(g, b.p, b.len, LINK_PARENT, &res), GM_E_CLOCK);
	gm_buf_free(&b);
	store_close(g);
}

/* ----------------------------------------------------- exchange, links */

static void t_collect_budget(void)
{
	struct store *g = t_store(LEVEL_GRID, G1);
	struct batch_filter all = { .dir = BF_ALL, .exclude_link = -1 };
	struct exchange_out out;
	struct gm_buf buf;
	struct bundle *bd;
	gm_buf_init(&buf);

	/* idle: an empty bundle and the cursor stays */
	CU_ASSERT_EQUAL(exchange_collect(g, 0, &all, NULL, 0, &buf, &out), GM_OK);
	CU_ASSERT_EQUAL(out.batches, 0);
	CU_ASSERT_EQUAL(out.upto, 0);
	CU_ASSERT(!out.more);

	for (int i = 0; i < 10; i++) {
		char key[16];
		snprintf(key, sizeof(key), "T%d", i);
		CU_ASSERT_EQUAL(new_ticket(g, key, NULL, NULL), GM_OK);
	}
	unsigned nb;
	CU_ASSERT_EQUAL(store_seal(g, 1, &nb), GM_OK);
	CU_ASSERT_EQUAL_FATAL(nb, 10);
	struct batches bs;
	list_batches(g, &all, &bs);
	CU_ASSERT_EQUAL_FATAL(bs.n, 10);
	int64_t head = store_batch_head(g);
	CU_ASSERT_EQUAL(head, bs.seq[9]);

	/* room for three batches but not four: three at a time, cursor after the third */
	size_t maxlen = 0, minlen = SIZE_MAX;
	for (unsigned i = 0; i < bs.n; i++) {
		maxlen = bs.len[i] > maxlen ? bs.len[i] : maxlen;
		minlen = bs.len[i] < minlen ? bs.len[i] : minlen;
	}
	size_t budget = 3 * maxlen;
	CU_ASSERT_FATAL(4 * minlen > budget);
	int64_t cur = 0;
	unsigned got = 0, rounds = 0;
	do {
		CU_ASSERT_EQUAL_FATAL(exchange_collect(g, cur, &all, NULL, budget, &buf, &out), GM_OK);
		CU_ASSERT_FATAL(bundle_decode(buf.p, buf.len, buf.len, &bd) == GM_OK);
		CU_ASSERT_EQUAL(bd->after, cur);
		CU_ASSERT_EQUAL(bd->upto, out.upto);
		CU_ASSERT_EQUAL(bd->n, out.batches);
		CU_ASSERT_STRING_EQUAL(bd->from, G1);
		size_t bytes = 0;
		for (uint32_t i = 0; i < bd->n; i++) {
			bytes += bd->len[i];
			/* in log order, byte for byte */
			CU_ASSERT(bd->len[i] == bs.len[got + i] &&
				  memcmp(bd->body[i], bs.body[got + i], bd->len[i]) == 0);
		}
		CU_ASSERT(bytes <= budget);
		got += bd->n;
		CU_ASSERT_EQUAL(out.upto, bs.seq[got - 1]);
		CU_ASSERT_EQUAL(out.more, got < 10);
		bundle_free(bd);
		cur = out.upto;
		rounds++;
	} while (out.more && rounds < 20);
	CU_ASSERT_EQUAL(got, 10);
	CU_ASSERT_EQUAL(rounds, 4);
	CU_ASSERT_EQUAL(cur, head);

	/* a budget smaller than one batch still sends one */
	CU_ASSERT_EQUAL(exchange_collect(g, 0, &all, NULL, 1, &buf, &out), GM_OK);
	CU_ASSERT_EQUAL(out.batches, 1);
	CU_ASSERT_EQUAL(out.upto, bs.seq[0]);
	CU_ASSERT(out.more);
	/* from a cursor in the middle */
	CU_ASSERT_EQUAL(exchange_collect(g, bs.seq[6], &all, NULL, 0, &buf, &out), GM_OK);
	CU_ASSERT_EQUAL(out.batches, 3);
	CU_ASSERT_EQUAL(out.changes, 3);
	CU_ASSERT_EQUAL(out.upto, head);
	CU_ASSERT(!out.more);
	/* at the head: nothing, cursor stays */
	CU_ASSERT_EQUAL(exchange_collect(g, head, &all, NULL, 0, &buf, &out), GM_OK);
	CU_ASSERT_EQUAL(out.batches, 0);
	CU_ASSERT_EQUAL(out.upto, head);
	/* a node that holds none of them: nothing, but the cursor moves past them */
	CU_ASSERT_EQUAL(exchange_collect(g, 0, &all, G2, 0, &buf, &out), GM_OK);
	CU_ASSERT_EQUAL(out.batches, 0);
	CU_ASSERT_EQUAL(out.upto, head);
	CU_ASSERT(!out.more);
	/* the street and the city above hold them all */
	CU_ASSERT_EQUAL(exchange_collect(g, 0, &all, STREET, 0, &buf, &out), GM_OK);
	CU_ASSERT_EQUAL(out.batches, 10);
	CU_ASSERT_EQUAL(exchange_collect(g, 0, &all, "4401", 0, &buf, &out), GM_OK);
	CU_ASSERT_EQUAL(out.batches, 10);
	batches_free(&bs);
	gm_buf_free(&buf);
	store_close(g);
}

static unsigned count_env(const struct batches *b, const char *scope, unsigned cls)
{
	unsigned n = 0;
	for (unsigned i = 0; i < b->n; i++)
		n += env_is(&b->env[i], scope, cls);
	return n;
}

static void t_links(void)
{
	struct store *g = t_store(LEVEL_GRID, G1), *s = t_store(LEVEL_STREET, STREET);
	struct store *d = t_store(LEVEL_DISTRICT, DISTRICT);
	struct batches bs;

	/* the grid: residents and tickets */
	CU_ASSERT_EQUAL(new_ticket(g, "GT", NULL, NULL), GM_OK);
	CU_ASSERT_EQUAL(t_put(g, T_PERSON, "GP", NULL, W_CREATE, NULL, "name", T("Li"), NULL),
			GM_OK);
	CU_ASSERT_EQUAL(store_seal(g, 0, NULL), GM_OK);
	/* a grid sends its residents' batches up to its street */
	struct batch_filter up = { .dir = BF_UP, .exclude_link = LINK_PARENT };
	list_batches(g, &up, &bs);
	CU_ASSERT_EQUAL(bs.n, 2);
	CU_ASSERT_EQUAL(count_env(&bs, G1, CLS_STREET), 1);
	batches_free(&bs);
	t_sync(g, s);

	/* the street: its own writes for two grids and itself */
	CU_ASSERT_EQUAL(new_ticket(s, "S1", G1, NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(s, "S2", G2, NULL), GM_OK);
	CU_ASSERT_EQUAL(new_ticket(s, "S3", NULL, NULL), GM_OK);
	CU_ASSERT_EQUAL(t_put(s, T_PERSON, "SP", G2, W_CREATE, NULL, "name", T("Wang"), NULL),
			GM_OK);
	CU_ASSERT_EQUAL(store_seal(s, 0, NULL), GM_OK);

	/* up from the street: every ticket, no resident */
	up.exclude_link = LINK_PARENT;
	list_batches(s, &up, &bs);
	CU_ASSERT_EQUAL(bs.n, 4);   /* GT (from the grid), S1, S2, S3 */
	CU_ASSERT_EQUAL(count_env(&bs, G1, CLS_STREET), 0);
	CU_ASSERT_EQUAL(count_env(&bs, G2, CLS_STREET), 0);
	for (unsigned i = 0; i < bs.n; i++)
		CU_ASSERT_EQUAL(bs.env[i].cls, CLS_SHARED);
	batches_free(&bs);
	/* never back where a batch came from */
	up.exclude_link = LINK_IMPORT;
	list_batches(s, &up, &bs);
	CU_ASSERT_EQUAL(bs.n, 3);
	batches_free(&bs);

	/* down: each grid gets what is scoped to it, residents included */
	struct batch_filter down = { .dir = BF_DOWN, .child = G1, .exclude_link = -1 };
	list_batches(s, &down, &bs);
	CU_ASSERT_EQUAL(bs.n, 3);   /* GT, GP (from the grid itself), S1 */
	CU_ASSERT_EQUAL(count_env(&bs, G1, CLS_SHARED), 2);
	CU_ASSERT_EQUAL(count_env(&bs, G1, CLS_STREET), 1);
	batches_free(&bs);
	down.exclude_link = LINK_IMPORT;   /* the link the grid's batches came in on */
	list_batches(s, &down, &bs);
	CU_ASSERT_EQUAL(bs.n, 1);
	CU_ASSERT_EQUAL(count_env(&bs, G1, CLS_SHARED), 1);
	batches_free(&bs);
	down.child = G2;
	down.exclude_link = -1;
	list_batches(s, &down, &bs);
	CU_ASSERT_EQUAL(bs.n, 2);   /* S2, SP */
	CU_ASSERT_EQUAL(count_env(&bs, G2, CLS_SHARED), 1);
	CU_ASSERT_EQUAL(count_env(&bs, G2, CLS_STREET), 1);
	batches_free(&bs);
	down.child = "440106012001003";
	list_batches(s, &down, &bs);
	CU_ASSERT_EQUAL(bs.n, 0);   /* S3 is the street's own: no child holds it */
	batches_free(&bs);

	/* a district routes by street */
	struct batch_filter sup = { .dir = BF_UP, .exclude_link = -1 };
	struct batch_filter all = { .dir = BF_ALL, .exclude_link = -1 };
	struct gm_buf buf;
	struct exchange_out out;
	struct exchange_in in;
	gm_buf_init(&buf);
	CU_ASSERT_EQUAL(exchange_collect(s, 0, &sup, NULL, 0, &buf, &out), GM_OK);
	CU_ASSERT_EQUAL(exchange_apply(d, buf.p, buf.len, LINK_CHILD0, buf.len, &in), GM_OK);
	CU_ASSERT_EQUAL(in.batches, 4);
	CU_ASSERT_EQUAL(in.refused + in.rejected, 0);
	down = (struct batch_filter){ .dir = BF_DOWN, .child = STREET, .exclude_link = -1 };
	list_batches(d, &down, &bs);
	CU_ASSERT_EQUAL(bs.n, 4);
	batches_free(&bs);
	down.child = "440106013";
	list_batches(d, &down, &bs);
	CU_ASSERT_EQUAL(bs.n, 0);
	batches_free(&bs);
	/* the district holds the tickets of the street, and no resident */
	struct store_rec r;
	store_rec_init(&r);
	CU_ASSERT_EQUAL(store_get(d, schema_table(T_PERSON), "GP", &r), GM_E_NOTFOUND);
	CU_ASSERT_EQUAL(store_get(d, schema_table(T_TICKET), "GT", &r), GM_OK);
	store_rec_free(&r);
	/* exchange_held_by agrees with the routes */
	list_batches(s, &all, &bs);
	for (unsigned i = 0; i < bs.n; i++) {
		bool street_cls = bs.env[i].cls == CLS_STREET;
		CU_ASSERT(exchange_held_by(&bs.env[i], STREET));
		CU_ASSERT_EQUAL(exchange_held_by(&bs.env[i], DISTRICT), !street_cls);
		CU_ASSERT_EQUAL(exchange_held_by(&bs.env[i], G1),
				env_is(&bs.env[i], G1, bs.env[i].cls));
	}
	batches_free(&bs);
	/* per-scope digests agree between the grid and the street */
	t_sync(s, g);
	CU_ASSERT_STRING_EQUAL(t_digest(g, G1), t_digest(s, G1));
	gm_buf_free(&buf);
	store_close(g);
	store_close(s);
	store_close(d);
}

struct hist_walk {
	struct store *st;
	unsigned n;
};

static int count_hist(void *ctx, const struct store_hist *h)
{
	struct hist_walk *w = ctx;
	unsigned nv = h->vals ? batch_popcount(h->mask) : 0;
	for (unsigned k = 0; k < nv; k++)
		if (h->vals[k].type == GM_TEXT && h->vals[k].len)
			w->n += (unsigned char)h->vals[k].s[h->vals[k].len - 1] == 0xff;
	w->n++;
	return 0;
}

static int walk_history(void *ctx, const struct store_rec *r)
{
	struct hist_walk *w = ctx;
	CU_ASSERT_EQUAL(store_history(w->st, r->tab, r->key, count_hist, w), GM_OK);
	return 0;
}

/* Real batches with bytes flipped: whatever gets through the decoder is
 * merged without a crash, and the store stays readable. */
static void t_mutated_batches(void)
{
	struct store *g = t_store(LEVEL_GRID, G1);
	struct batch_filter all = { .dir = BF_ALL, .exclude_link = -1 };
	struct batches bs;
	uint64_t rs = t_seed("mutated batches", 4242);
	unsigned applied = 0;

	for (int i = 0; i < 6; i++) {
		char key[16];
		snprintf(key, sizeof(key), "T%d", i);
		CU_ASSERT_EQUAL(new_ticket(g, key, NULL, NULL), GM_OK);
		CU_ASSERT_EQUAL(t_put(g, T_TICKET, key, NULL, W_UPDATE, NULL, "status",
				      T("registered"), "lat", gm_real(23.5), NULL), GM_OK);
	}
	new_person(g, "P1");
	CU_ASSERT_EQUAL(t_del(g, T_TICKET, "T5"), GM_OK);
	CU_ASSERT_EQUAL(store_seal(g, 4, NULL), GM_OK);
	list_batches(g, &all, &bs);
	CU_ASSERT_FATAL(bs.n >= 3);
	struct store *s = t_store(LEVEL_STREET, STREET);
	for (int r = 0; r < 2000; r++) {
		unsigned k = t_randn(&rs, bs.n);
		uint8_t *m = t_dup(bs.body[k], bs.len[k]);
		unsigned flips = 1 + t_randn(&rs, 2);
		for (unsigned f = 0; f < flips; f++)
			m[t_randn(&rs, (uint32_t)bs.len[k])] ^= (uint8_t)(1u << t_randn(&rs, 8));
		struct apply_result res;
		enum gm_err e = store_apply(s, m, bs.len[k], LINK_PARENT, &res);
		applied += e == GM_OK;
		free(m);
	}
	/* the store is whole: every record reads, with its history */
	for (unsigned t = 0; t < T__COUNT; t++) {
		if (schema_table(t)->cls == CLS_REF)
			continue;
		struct hist_walk w = { s, 0 };
		CU_ASSERT_EQUAL(store_scan(s, schema_table(t), NULL, 0, walk_history, &w), GM_OK);
	}
	uint8_t d[32];
	CU_ASSERT_EQUAL(store_digest(s, NULL, d, NULL), GM_OK);
	/* and the real batches still apply on top of it */
	for (unsigned i = 0; i < bs.n; i++) {
		struct apply_result res;
		enum gm_err e = store_apply(s, bs.body[i], bs.len[i], LINK_PARENT, &res);
		CU_ASSERT(e == GM_OK || e == GM_E_REPLAY);
	}
	fprintf(stderr, "%u of the mutants applied ", applied);
	CU_ASSERT(applied > 0);
	batches_free(&bs);
	store_close(g);
	store_close(s);
}

void t_init_store_tests(void)
{
	static const struct t_case cases[] = {
		{ "create, open, identity", t_create_open },
		{ "put and get, what a writer may not do", t_put_get },
		{ "create/update modes, deleted ids", t_modes },
		{ "scope rule: write only inside your subtree", t_scope_rule },
		{ "history lists every change with its values", t_history },
		{ "history across log pages and replicas", t_history_pages },
		{ "concurrent same-field edits: one winner, loser flagged", t_concurrent_same_field },
		{ "concurrent edits of other fields both survive", t_concurrent_other_fields },
		{ "delete erases every value, on disk too", t_delete_erasure_local },
		{ "delete wins over a concurrent edit and erases everywhere",
		  t_delete_erasure_replicated },
		{ "apply is idempotent and order-independent", t_apply_idempotent },
		{ "a create whose key is taken is merged, in either order", t_create_taken },
		{ "seal groups by scope and class", t_seal_groups },
		{ "class and scope mismatches refused and counted", t_refusals },
		{ "far-future batch refused", t_far_future },
		{ "exchange_collect byte budget and cursor", t_collect_budget },
		{ "links: BF_UP keeps residents at the street, BF_DOWN routes", t_links },
		{ "mutated batches: merged or refused, never a crash", t_mutated_batches },
		{ NULL, NULL },
	};
	t_add_suite("store", cases);
}
