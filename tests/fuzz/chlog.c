/*
 * chlog.c - fuzzes the change-log entry decoder, reachable from a damaged
 * or tampered store file: the input replaces the first page of the
 * template store's change log (2 bytes entry count, little-endian, then
 * the page body), and then the store reads history, seals its local
 * changes, and erases a record (which rewrites pages).  Every one of
 * those must fail cleanly or succeed; none may crash or loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../node/store_int.h"

#define MAX_KEYS 12

struct keys {
	char k[MAX_KEYS][BATCH_MAX_KEY + 1];
	const struct table_def *tab[MAX_KEYS];
	unsigned n;
};

static int on_rec(void *ctx, const struct store_rec *r)
{
	struct keys *ks = ctx;
	snprintf(ks->k[ks->n], sizeof(ks->k[0]), "%s", r->key);
	ks->tab[ks->n++] = r->tab;
	return ks->n == MAX_KEYS;
}

static volatile size_t sink;

static int on_hist(void *ctx, const struct store_hist *h)
{
	size_t x = 0;
	(void)ctx;
	/* read every value the history hands out (ASan checks the bounds) */
	for (unsigned k = 0; h->vals && k < batch_popcount(h->mask) && k < ROWCLK_MAX_COLS; k++)
		if (h->vals[k].type == GM_TEXT)
			for (uint32_t i = 0; i < h->vals[k].len; i++)
				x += (uint8_t)h->vals[k].s[i];
	if (h->actor)
		x += strlen(h->actor);
	if (h->note)
		x += strlen(h->note);
	sink = x;
	return 0;
}

static const char *const erase_key = "p1";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st;
	struct keys ks = { .n = 0 };
	sqlite3_stmt *s;

	if (size < 2)
		return 0;
	st = fuzz_store_fresh();
	if (sqlite3_prepare_v2(store_db(st), "UPDATE changes SET n=?, body=?"
			       " WHERE page=(SELECT min(page) FROM changes)", -1, &s, NULL))
		fuzz_fail("prepare: %s", sqlite3_errmsg(store_db(st)));
	sqlite3_bind_int(s, 1, data[0] | data[1] << 8);
	sqlite3_bind_blob(s, 2, data + 2, (int)(size - 2), SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		fuzz_fail("replace page: %s", sqlite3_errmsg(store_db(st)));
	sqlite3_finalize(s);
	chlog_uncache(st);

	for (unsigned t = 0; t < T__COUNT && ks.n < MAX_KEYS; t++)
		if (schema_table(t)->cls != CLS_REF &&
		    store_scan(st, schema_table(t), NULL, 0, on_rec, &ks))
			break;
	for (unsigned i = 0; i < ks.n; i++)
		(void)!store_history(st, ks.tab[i], ks.k[i], on_hist, NULL);
	(void)!store_seal(st, 0, NULL);
	/* a delete erases the record's chain: pages are read and rewritten */
	struct store_write w = { .tab = schema_table(T_PERSON), .key = erase_key, .del = true,
				 .mode = W_UPDATE };
	if (store_begin(st) == GM_OK) {
		if (store_put(st, &w, NULL) == GM_OK)
			(void)!store_commit(st);
		else
			store_rollback(st);
	}
	fuzz_store_done(st);
	return 0;
}
