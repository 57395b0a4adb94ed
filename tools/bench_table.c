/*
 * bench_table.c - `gridbench table`: every figure in results.json beside
 * its target from the brief (section 5), and whether it meets it.  The one
 * list of targets; figures without one are shown for information.
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "bench_common.h"

enum cmp { NONE, LT, LE, GE, TRUE };

static const struct target {
	const char *key;
	enum cmp cmp;
	double limit;
	const char *unit;
	const char *what;
} targets[] = {
	{ "write_overhead_x", LE, 1.3, "x", "CRDT inserts vs plain SQLite, one transaction" },
	{ "write_overhead_txn_x", LE, 1.3, "x", "the same, a transaction per ticket" },
	{ "write_overhead_signed_x", LE, 1.3, "x", "one transaction, with signing their batches" },
	{ "merge_delta_ms", LT, 5, "ms", "both 1,000-update deltas merged" },
	{ "merge_changes_per_s", GE, 200000, "/s", "field changes merged per second" },
	{ "merge_vs_upsert_x", GE, 0.5, "x", "merge rate vs plain SQLite upserts" },
	{ "verify_changes_per_s", NONE, 0, "/s", "signature checks, per change (one per batch)" },
	{ "verify_batch_us", NONE, 0, "us", "one batch's Ed25519 check (hashes ~100 KB)" },
	{ "full_sync_bytes", LT, 370082, "bytes", "full sync, batches (Automerge 370,082)" },
	{ "delta_bytes", LT, 43994, "bytes", "both deltas, batches (Yjs 43,994)" },
	{ "converged", TRUE, 0, "", "digests equal, 500 losing values in history" },
	{ "coap_full_sync_bytes", LT, 370082, "bytes", "full sync over CoAP, every byte" },
	{ "coap_delta_bytes", LT, 43994, "bytes", "both deltas over CoAP" },
	{ "coap_converged", TRUE, 0, "", "grid and street digests equal" },
	{ "coap_idle_round_bytes", LT, 300, "bytes", "a sync with nothing new" },
	{ "converge_85_s", LT, 3, "s", "85 nodes, 64,000 writes: last write -> in step" },
	{ "idle_round_bytes_20", LT, 300, "bytes", "idle round, city of 20 grids" },
	{ "idle_round_bytes_20000", LT, 300, "bytes", "idle round, city of 20,000 grids" },
	{ "grid_rss_kb", LT, 10240, "KiB", "idle grid gridnode after the load" },
	{ "city_rss_kb", NONE, 0, "KiB", "idle city gridnode after the load" },
	{ "catchup_100k_s", NONE, 0, "s", "offline grid back: 100,000 down, 10,000 up" },
	{ "catchup_grid_rss_kb", NONE, 0, "KiB", "that grid, idle after catching up" },
	{ "plain_insert_ms", NONE, 0, "ms", "10,000 plain SQLite inserts" },
	{ "crdt_insert_ms", NONE, 0, "ms", "10,000 CRDT-tracked inserts" },
	{ "seal_ms", NONE, 0, "ms", "their signed batches, made after the writes" },
	{ "link_sync_10k_ms", NONE, 0, "ms", "10,000 changes grid -> street over CoAP" },
	{ "coap_batch_bytes_per_change", NONE, 0, "bytes", "per record change over CoAP" },
};

static const char *verdict(const struct target *t, const json_t *v)
{
	double x = json_number_value(v);
	switch (t->cmp) {
	case LT: return x < t->limit ? "ok" : "MISS";
	case LE: return x <= t->limit ? "ok" : "MISS";
	case GE: return x >= t->limit ? "ok" : "MISS";
	case TRUE: return json_is_true(v) ? "ok" : "MISS";
	default: return "";
	}
}

static void target_text(const struct target *t, char *buf, size_t len)
{
	static const char *const op[] = { "", "<", "<=", ">=", "true" };
	if (t->cmp == NONE)
		snprintf(buf, len, "-");
	else if (t->cmp == TRUE)
		snprintf(buf, len, "true");
	else
		snprintf(buf, len, "%s %g", op[t->cmp], t->limit);
}

int bench_table(const char *outpath)
{
	json_error_t je;
	json_t *root = json_load_file(outpath, 0, &je);
	unsigned miss = 0;
	if (!root) {
		fprintf(stderr, "gridbench table: %s: %s\n", outpath, je.text);
		return 1;
	}
	printf("\n%-28s %14s %-6s %-12s %-5s %s\n", "figure", "value", "unit", "target", "", "what");
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		const struct target *t = &targets[i];
		const json_t *v = json_object_get(root, t->key);
		char tt[32], val[32];
		target_text(t, tt, sizeof(tt));
		if (!v) {
			printf("%-28s %14s %-6s %-12s %-5s %s\n", t->key, "(not run)", t->unit, tt, "",
			       t->what);
			continue;
		}
		if (json_is_boolean(v))
			snprintf(val, sizeof(val), "%s", json_is_true(v) ? "true" : "false");
		else
			snprintf(val, sizeof(val), "%.3f", json_number_value(v));
		const char *vd = verdict(t, v);
		miss += !strcmp(vd, "MISS");
		printf("%-28s %14s %-6s %-12s %-5s %s\n", t->key, val, t->unit, tt, vd, t->what);
	}
	/* "the same whether the city has 20 or 20,000 grids" */
	const json_t *a = json_object_get(root, "idle_round_bytes_20");
	const json_t *b = json_object_get(root, "idle_round_bytes_20000");
	if (a && b && json_number_value(a) > 0)
		printf("%-28s %14.3f %-6s %-12s %-5s %s\n", "  20,000 / 20 grids",
		       json_number_value(b) / json_number_value(a), "x", "about 1", "",
		       "idle round bytes: the city's size barely shows");
	printf("%u of the brief's targets missed\n", miss);
	json_decref(root);
	return 0;
}
