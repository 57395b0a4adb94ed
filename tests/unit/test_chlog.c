/* test_chlog.c - the change log: long histories sealed and replayed. */
#include <stdio.h>
#include <string.h>
#include "test_util.h"

void t_init_chlog_tests(void);

#define NREC 300
#define NUPD 20

static const struct table_def *tab;
static uint8_t col_status, col_title, col_cat;

static void put(struct store *st, unsigned rec, unsigned k)
{
	char key[40], title[40];
	snprintf(key, sizeof(key), "440101001001001-%06u", rec + 1);
	snprintf(title, sizeof(title), "title %u of %u", k, rec);
	uint8_t c[3] = { col_title, col_status, col_cat };
	struct gm_value v[3] = { gm_text(title), gm_text(k % 2 ? "dispatched" : "registered"),
				 gm_text("0102") };
	/* the first write makes the record; every later one rewrites its title
	 * and status, so each value but the last lives only in history */
	struct store_write w = { .tab = tab, .key = key, .nset = k ? 2 : 3, .cols = c, .vals = v,
				 .mode = k ? W_UPDATE : W_CREATE };
	CU_ASSERT_EQUAL_FATAL(store_put(st, &w, NULL), GM_OK);
}

struct copy {
	struct store *to;
	unsigned n;
};

static int copy_cb(void *ctx, int64_t seq, const uint8_t *body, size_t len)
{
	struct copy *c = ctx;
	struct apply_result r;
	(void)seq;
	CU_ASSERT_EQUAL(store_apply(c->to, body, len, LINK_IMPORT, &r), GM_OK);
	c->n++;
	return 0;
}

struct titles {
	unsigned n;
	bool in_order;
};

static int hist_cb(void *ctx, const struct store_hist *h)
{
	struct titles *t = ctx;
	char want[40];
	snprintf(want, sizeof(want), "title %u of 7", t->n);
	/* values come in column order: the title's place among those set */
	unsigned k = batch_popcount(h->mask & ((1ull << col_title) - 1));
	const struct gm_value *v = h->vals ? &h->vals[k] : NULL;
	if (!v || !((h->mask >> col_title) & 1) || v->type != GM_TEXT || v->len != strlen(want) ||
	    memcmp(v->s, want, v->len))
		t->in_order = false;
	t->n++;
	return 0;
}

/*
 * Every value of a history spread over many log pages (more than the
 * reader keeps cached) is sealed, and a replica that merges the batches
 * holds the same records and the same history.
 */
static void t_long_history(void)
{
	struct store *a = t_store(LEVEL_GRID, "440101001001001");
	struct store *b = t_store(LEVEL_STREET, "440101001");
	uint8_t da[32], db[32];
	unsigned nb = 0;
	tab = schema_table(T_TICKET);
	col_status = (uint8_t)schema_col(tab, "status", 6);
	col_title = (uint8_t)schema_col(tab, "title", 5);
	col_cat = (uint8_t)schema_col(tab, "category", 8);

	CU_ASSERT_EQUAL_FATAL(store_begin(a), GM_OK);
	for (unsigned k = 0; k < NUPD; k++)
		for (unsigned r = 0; r < NREC; r++)
			put(a, r, k);
	CU_ASSERT_EQUAL_FATAL(store_commit(a), GM_OK);
	CU_ASSERT_EQUAL(store_change_count(a), NREC * NUPD);
	CU_ASSERT_EQUAL_FATAL(store_seal(a, 0, &nb), GM_OK);
	CU_ASSERT(nb >= 1);

	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	struct copy c = { b, 0 };
	CU_ASSERT_EQUAL(store_batches(a, 0, &bf, 0, copy_cb, &c), GM_OK);
	CU_ASSERT_EQUAL(c.n, nb);
	CU_ASSERT_EQUAL(store_change_count(b), NREC * NUPD);
	CU_ASSERT_EQUAL(store_digest(a, NULL, da, NULL), GM_OK);
	CU_ASSERT_EQUAL(store_digest(b, NULL, db, NULL), GM_OK);
	CU_ASSERT(memcmp(da, db, 32) == 0);

	struct titles t = { 0, true };
	CU_ASSERT_EQUAL(store_history(b, tab, "440101001001001-000008", hist_cb, &t), GM_OK);
	CU_ASSERT_EQUAL(t.n, NUPD);
	CU_ASSERT(t.in_order);
	store_close(a);
	store_close(b);
}

void t_init_chlog_tests(void)
{
	static const struct t_case cases[] = {
		{ "a long history is sealed and replayed whole", t_long_history },
		{ NULL, NULL },
	};
	t_add_suite("change log", cases);
}
