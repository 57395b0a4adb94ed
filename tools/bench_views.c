/*
 * gridbench_views - the brief's query figure: a city node holding
 * 1,000,000 tickets answers "open tickets by street and category" in
 * under 100 ms.
 *
 *   gridbench_views [--data DIR] [--work DIR] [--out results.json] [-n N]
 *                   [--keep] [--reuse]
 *
 * Builds a city store (4401: 11 districts, 176 streets, 21,120 grids) and
 * writes N tickets (default 1,000,000) into it through store_put, 50,000
 * to a transaction, exactly as a city's own writes go in: CRDT clocks,
 * change log and the view indexes included.  The tickets are spread over
 * the last 120 days with a realistic mix: categories skewed towards the
 * common classes, about 10% open (most of the last week's, a few older
 * ones), the rest closed (some late) or rejected.  Then it reopens the
 * store and times several views (median of 7 runs after one warm-up),
 * writing city_view_1m_ms (and the others) into results.json.  --keep
 * leaves the store in WORK/city for a look with gridctl; --reuse times
 * the store a --keep run left instead of building one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bench_common.h"
#include "../node/refdata.h"
#include "../node/store.h"
#include "../node/views.h"

#define RUNS 7
#define TXN 50000

static const char *workdir = "build/bench/work-views";
static const char *outpath = "build/bench/results.json";

static void die(const char *what, struct store *st)
{
	fprintf(stderr, "gridbench_views: %s: %s\n", what, st ? store_errmsg(st) : "");
	exit(1);
}

/* xorshift64*: fast, and the same store on every run */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static double rndf(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

struct cats {
	char code[64][8];
	unsigned n;
};

static int cat_cb(void *ctx, const struct store_rec *r)
{
	struct cats *c = ctx;
	if (c->n < 64)
		snprintf(c->code[c->n++], sizeof(c->code[0]), "%s", r->key);
	return 0;
}

/* A category index skewed to the first ones (rubbish, roads, parking). */
static unsigned pick_cat(unsigned n)
{
	double u = rndf();
	return (unsigned)((double)n * u * u * u) % n;
}

static const char *const open_statuses[] = { "reported", "registered", "dispatched",
					     "in_progress", "resolved", "verified" };
static const char *const sources[] = { "grid_worker", "citizen_app", "hotline", "camera_ai" };

static void build(const char *dir, const char *datadir, unsigned n, int64_t now)
{
	struct store *st;
	char err[512];
	struct cats cats = { .n = 0 };
	const struct table_def *t = schema_table(T_TICKET);
	static const char *const names[] = { "category", "title", "status", "priority", "source",
					     "assignee", "deadline", "created", "closed", "lat",
					     "lon" };
	enum { NF = sizeof(names) / sizeof(names[0]) };
	uint8_t cols[NF];

	bench_rmtree(dir);
	if (store_create(dir, LEVEL_CITY, "4401", datadir, &st, err, sizeof(err))) {
		fprintf(stderr, "gridbench_views: %s\n", err);
		exit(1);
	}
	if (store_scan(st, schema_table(T_CAT_EVENT), NULL, 0, cat_cb, &cats) || !cats.n)
		die("categories", st);
	for (unsigned i = 0; i < NF; i++)
		cols[i] = (uint8_t)schema_col(t, names[i], strlen(names[i]));

	double t0 = bench_now();
	for (unsigned i = 0; i < n; i++) {
		char id[48], scope[16], title[64], assignee[16];
		struct gm_value v[NF];
		if (i % TXN == 0 && store_begin(st))
			die("begin", st);
		/* 11 districts x 16 streets x 12 communities x 10 grids */
		unsigned g = (unsigned)(rnd() % (11 * 16 * 12 * 10));
		snprintf(scope, sizeof(scope), "4401%02u%03u%03u%03u", 1 + g / 1920, 1 + g / 120 % 16,
			 1 + g / 10 % 12, 1 + g % 10);
		snprintf(id, sizeof(id), "%s-%06u", scope, i + 1);
		const char *cat = cats.code[pick_cat(cats.n)];
		int64_t age = (int64_t)(rndf() * 120 * 86400);
		int64_t created = now - age;
		int64_t deadline = created + 4 * 3600 + (int64_t)(rnd() % (3 * 86400));
		/* most of the last week is still open, and a few older ones */
		double po = age < 7 * 86400 ? 0.7 : 0.06, u = rndf();
		const char *status;
		int64_t closed = 0;
		if (u < po) {
			status = open_statuses[rnd() % 6];
		} else if (u < po + 0.03) {
			status = "rejected";
		} else {
			status = "closed";
			/* 85% on time */
			closed = rndf() < 0.85 ? created + (deadline - created) * 3 / 4 :
						 deadline + (int64_t)(rnd() % 86400);
			if (closed > now)
				closed = now;
		}
		snprintf(title, sizeof(title), "bench case %u in grid %03u", i + 1, g % 1000);
		snprintf(assignee, sizeof(assignee), "dept-%02u", (unsigned)(rnd() % 40));
		v[0] = gm_text(cat);
		v[1] = gm_text(title);
		v[2] = gm_text(status);
		v[3] = gm_int(1 + (int64_t)(rnd() % 5));
		v[4] = gm_text(sources[rnd() % 4]);
		v[5] = gm_text(assignee);
		v[6] = gm_int(deadline);
		v[7] = gm_int(created);
		v[8] = closed ? gm_int(closed) : gm_nil();
		v[9] = gm_real(23.0 + rndf() * 0.5);
		v[10] = gm_real(113.1 + rndf() * 0.5);
		struct store_write w = { .tab = t, .key = id, .scope = scope, .nset = NF,
					 .cols = cols, .vals = v, .actor = "bench",
					 .mode = W_CREATE };
		if (store_put(st, &w, NULL))
			die("put", st);
		if ((i + 1) % TXN == 0 || i + 1 == n) {
			if (store_commit(st))
				die("commit", st);
			if ((i + 1) % 200000 == 0)
				fprintf(stderr, "  %u tickets, %.1f s\n", i + 1, bench_now() - t0);
		}
	}
	double dt = bench_now() - t0;
	printf("  built %u tickets in %.1f s (%.0f tickets/s, store_put, %d a transaction)\n", n,
	       dt, n / dt, TXN);
	store_close(st);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median time of one view in ms; *groups gets its number of rows. */
static double time_view(struct store *st, const char *name, const char *qs, long *groups)
{
	double ts[RUNS];
	char err[256];
	for (int r = -1; r < RUNS; r++) {
		char *json;
		double t0 = bench_now();
		if (views_answer(st, name, qs, &json, err, sizeof(err))) {
			fprintf(stderr, "gridbench_views: %s?%s: %s\n", name, qs, err);
			exit(1);
		}
		double dt = bench_now() - t0;
		if (r >= 0)
			ts[r] = dt;
		if (r == RUNS - 1 && groups) {
			const char *g = strstr(json, "\"groups\":");
			*groups = g ? atol(g + 9) : -1;
		}
		free(json);
	}
	qsort(ts, RUNS, sizeof(ts[0]), cmp_double);
	return ts[RUNS / 2] * 1000;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "work", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "keep", no_argument, NULL, 'k' },
		{ "reuse", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *datadir = refdata_default_dir();
	unsigned n = 1000000;
	int keep = 0, reuse = 0, o;
	while ((o = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (o) {
		case 'd': datadir = optarg; break;
		case 'w': workdir = optarg; break;
		case 'o': outpath = optarg; break;
		case 'k': keep = 1; break;
		case 'r': reuse = keep = 1; break;
		case 'n': n = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: gridbench_views [--data DIR] [--work DIR] [--out FILE]"
					" [-n N] [--keep] [--reuse]\n");
			return 2;
		}
	}
	if (n < 1000)
		n = 1000;
	mkdir(workdir, 0700);
	char dir[1024], err[512];
	snprintf(dir, sizeof(dir), "%s/city", workdir);
	/* a fixed "now" so that every run builds the same store */
	int64_t now = 1700000000;

	printf("view benchmarks: a city node with %u tickets\n", n);
	if (!reuse)
		build(dir, datadir, n, now);

	struct store *st;
	if (store_open(dir, &st, err, sizeof(err))) {
		fprintf(stderr, "gridbench_views: %s\n", err);
		return 1;
	}
	static const struct {
		const char *key, *view, *qs, *what;
	} runs[] = {
		{ "city_view_1m_ms", "tickets", "by=street,category&status=open&now=1700000000",
		  "open tickets by street and category (< 100 ms)" },
		{ "city_view_overdue_ms", "tickets", "by=district,category&overdue=1&now=1700000000",
		  "overdue tickets by district and category" },
		{ "city_view_status_ms", "tickets", "by=status&now=1700000000",
		  "all tickets by status" },
		{ "city_view_day_ms", "tickets", "by=day&now=1700000000",
		  "opened and closed per day" },
		{ "city_kpi_ms", "kpi", "now=1700000000", "closure and on-time rates" },
		{ "city_overdue_list_ms", "overdue", "limit=50&now=1700000000",
		  "the 50 most overdue tickets" },
	};
	printf("  %-22s %10s %8s  %s\n", "figure", "ms", "rows", "view");
	int ok = 1;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		long groups = -1;
		double ms = time_view(st, runs[i].view, runs[i].qs, &groups);
		printf("  %-22s %10.2f %8ld  %s\n", runs[i].key, ms, groups, runs[i].what);
		/* the figures are defined for a million tickets */
		if (n == 1000000)
			bench_result(outpath, runs[i].key, ms);
		if (i == 0)
			ok = ms < 100;
	}
	store_close(st);
	if (!keep)
		bench_rmtree(workdir);
	return ok ? 0 : 1;
}
