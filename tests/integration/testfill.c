/*
 * testfill - writes N tickets into an existing node directory, for tests
 * that need a big store quickly (gridctl ticket add is one process, one
 * transaction and one fsync per ticket).
 *
 *   testfill DIR N [PER_BATCH]
 *
 * The tickets go through store_put in transactions of 1000, as any local
 * write does, and are then sealed into batches of PER_BATCH changes
 * (default 500), so an export of DIR is a bundle of N / PER_BATCH batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../node/store.h"
#include "../../node/tickets.h"

#define TXN 1000

static const char *const categories[] = { "0101", "0102", "0103", "0201", "0301" };
static const char *const statuses[] = { "reported", "registered", "dispatched", "in_progress" };
static const char *const assignees[] = { "sanitation", "police", "urban_mgmt", "water" };

static enum gm_err put_ticket(struct store *st, long i)
{
	const struct table_def *t = schema_table(T_TICKET);
	static const char *const names[] = { "category", "title", "status", "priority", "assignee" };
	uint8_t cols[5];
	struct gm_value vals[5];
	char id[64], title[96];
	int64_t seq;
	enum gm_err e;

	if ((e = store_next_seq(st, "ticket", &seq)))
		return e;
	ticket_id_format(id, sizeof(id), store_code(st), (long long)seq);
	snprintf(title, sizeof(title), "report %ld: overflowing bin near building %ld", i, i % 97);
	vals[0] = gm_text(categories[i % 5]);
	vals[1] = gm_text(title);
	vals[2] = gm_text(statuses[i % 4]);
	vals[3] = gm_int(1 + i % 5);
	vals[4] = gm_text(assignees[(i / 3) % 4]);
	for (unsigned j = 0; j < 5; j++)
		cols[j] = (uint8_t)schema_col(t, names[j], strlen(names[j]));
	struct store_write w = { .tab = t, .key = id, .nset = 5, .cols = cols, .vals = vals,
				 .actor = "testfill", .mode = W_CREATE };
	return store_put(st, &w, NULL);
}

int main(int argc, char **argv)
{
	struct store *st;
	char err[512];
	enum gm_err e;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: testfill DIR N [PER_BATCH]\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	unsigned per = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 500;
	if (n <= 0 || !per) {
		fprintf(stderr, "testfill: N and PER_BATCH must be positive\n");
		return 2;
	}
	if ((e = store_open(argv[1], &st, err, sizeof(err)))) {
		fprintf(stderr, "testfill: %s\n", err);
		return 1;
	}
	for (long i = 0; i < n && !e; i += TXN) {
		if ((e = store_begin(st)))
			break;
		for (long k = i; k < n && k < i + TXN && !e; k++)
			e = put_ticket(st, k);
		if (e)
			store_rollback(st);
		else
			e = store_commit(st);
	}
	unsigned nb = 0;
	if (!e)
		e = store_seal(st, per, &nb);
	if (e)
		fprintf(stderr, "testfill: %s: %s\n", gm_strerror(e), store_errmsg(st));
	else
		printf("%ld tickets in %u batches\n", n, nb);
	store_close(st);
	return e ? 1 : 0;
}
