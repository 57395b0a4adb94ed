/*
 * gridbench - the store-level figures of brief section 5, measured on the
 * brief's workload (10,000 tickets x 5 fields; then each of two replicas
 * updates 1,000 tickets, 500 of them the same tickets on the same field).
 *
 *   gridbench [--data DIR] [--work DIR] [--out results.json] [-n N] [STEP]
 *   gridbench --count FIGURE [--data DIR] [-n N]
 *
 * Prints each figure and writes it into results.json.  Every timing is
 * the median of several runs on fresh stores.  --count runs every step
 * once, writes no results, and sends the timed part of one figure (plain,
 * upsert, write, plain_txn, write_txn, merge or delta) through measured(),
 * so that
 *   valgrind --tool=callgrind --toggle-collect=measured \
 *       build/gridbench --count delta
 * counts the instructions of exactly what that figure times: wall-clock
 * figures are noisy on a shared machine, instruction counts are not.  The other steps of `make
 * bench` (tools/bench.sh) are STEP: net (CoAP, bench_net.c), idle (idle
 * rounds in a small and a large city, bench_idle.c), mesh and catchup
 * (trees of gridnode processes, by meshsim, bench_mesh.c), table (every
 * figure beside its target, bench_table.c).
 */
#include <getopt.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench_common.h"
#include "../node/exchange.h"
#include "../node/refdata.h"
#include "../node/store_int.h"
#include "../sync/digest.h"

#define RUNS 5

static int runs = RUNS;
static const char *count_only;   /* --count: the figure whose part is counted */

static const char *workdir = "build/bench/work";
static const char *outpath = "build/bench/results.json";
static const char *datadir;
static unsigned ntickets = 10000;
static struct bench_ticket *wl;

static void die(const char *what, struct store *st)
{
	fprintf(stderr, "gridbench: %s: %s\n", what, st ? store_errmsg(st) : "");
	exit(1);
}

static char *path_in(const char *name)
{
	static char buf[4][1024];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", workdir, name);
	return buf[k];
}

/* A figure --count can single out. */
static bool countable(const char *what)
{
	static const char *const names[] = { "plain", "upsert", "write", "plain_txn",
					     "write_txn", "merge", "delta" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(what, names[i]) == 0)
			return true;
	return false;
}

/* Runs fn(ctx): the function callgrind's --toggle-collect names. */
static __attribute__((noinline)) void measured(void (*fn)(void *), void *ctx)
{
	fn(ctx);
}

/* The wall-clock time of fn(ctx), the timed part of figure `what` (NULL:
 * a step that only prepares another). */
static double timed(const char *what, void (*fn)(void *), void *ctx)
{
	double t0 = bench_now();
	if (count_only && what && strcmp(count_only, what) == 0)
		measured(fn, ctx);
	else
		fn(ctx);
	return bench_now() - t0;
}

/* ---------------------------------------------------------- plain SQLite */

/*
 * The table a plain SQLite application keeps its tickets in: the columns
 * of the replicated ticket table (sync/schema.c), with their types and a
 * unique id, and none of the CRDT bookkeeping (_scope, _clk, _del, _last).
 * The workload sets five of them; the others stay NULL, as in the store.
 */
static void plain_ddl(char *out, size_t len)
{
	static const char *const types[] = { "", "INTEGER", "REAL", "TEXT" };
	const struct table_def *tab = schema_table(T_TICKET);
	size_t n = (size_t)snprintf(out, len, "CREATE TABLE ticket(id TEXT NOT NULL UNIQUE");
	for (unsigned j = 0; j < tab->ncols && n < len; j++)
		n += (size_t)snprintf(out + n, len - n, ", %s %s", tab->cols[j].name,
				      types[tab->cols[j].type]);
	if (n < len)
		snprintf(out + n, len - n, ");");
}

static sqlite3 *plain_open(const char *dir)
{
	char p[1100], ddl[1024];
	sqlite3 *db;
	bench_rmtree(dir);
	mkdir(dir, 0700);
	snprintf(p, sizeof(p), "%s/plain.db", dir);
	if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		die("plain open", NULL);
	/* the same durability and cache settings the store uses */
	plain_ddl(ddl, sizeof(ddl));
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			     " PRAGMA cache_size=-8192;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, ddl, NULL, NULL, NULL) != SQLITE_OK)
		die("plain open", NULL);
	return db;
}

struct plain_run {
	sqlite3 *db;
	sqlite3_stmt *s;
	unsigned n;
	int per_txn;
};

static void plain_rows(void *ctx)
{
	struct plain_run *pr = ctx;
	sqlite3 *db = pr->db;
	sqlite3_stmt *s = pr->s;
	if (!pr->per_txn)
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (unsigned i = 0; i < pr->n; i++) {
		const struct bench_ticket *t = &wl[i];
		if (pr->per_txn)
			sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		sqlite3_bind_text(s, 1, t->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, t->category, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, t->title, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, t->status, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, t->priority);
		sqlite3_bind_text(s, 6, t->assignee, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			die("plain insert", NULL);
		sqlite3_reset(s);
		if (pr->per_txn)
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	if (!pr->per_txn)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

/* Inserts n tickets; per_txn = each in its own transaction. */
static double plain_insert(const char *dir, unsigned n, int per_txn, int upsert)
{
	struct plain_run pr = { plain_open(dir), NULL, n, per_txn };
	const char *sql = upsert ?
		"INSERT INTO ticket(id, category, title, status, priority, assignee)"
		" VALUES(?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET category=excluded.category,"
		" title=excluded.title, status=excluded.status, priority=excluded.priority,"
		" assignee=excluded.assignee" :
		"INSERT INTO ticket(id, category, title, status, priority, assignee) VALUES(?,?,?,?,?,?)";
	sqlite3_prepare_v2(pr.db, sql, -1, &pr.s, NULL);
	double dt = timed(per_txn ? "plain_txn" : upsert ? "upsert" : "plain", plain_rows, &pr);
	sqlite3_finalize(pr.s);
	sqlite3_close(pr.db);
	return dt;
}

/* ----------------------------------------------------------- CRDT store */

static struct store *new_store(const char *dir, enum level lv, const char *code)
{
	struct store *st;
	char err[512];
	bench_rmtree(dir);
	if (store_create(dir, lv, code, datadir, &st, err, sizeof(err))) {
		fprintf(stderr, "gridbench: %s\n", err);
		exit(1);
	}
	return st;
}

static void put_ticket(struct store *st, const struct bench_ticket *t)
{
	if (bench_put_ticket(st, t, t->id))
		die("put", st);
}

struct crdt_run {
	struct store *st;
	unsigned n;
	int per_txn;
};

static void crdt_rows(void *ctx)
{
	struct crdt_run *cr = ctx;
	struct store *st = cr->st;
	if (!cr->per_txn && store_begin(st))
		die("begin", st);
	for (unsigned i = 0; i < cr->n; i++) {
		if (cr->per_txn && store_begin(st))
			die("begin", st);
		put_ticket(st, &wl[i]);
		if (cr->per_txn && store_commit(st))
			die("commit", st);
	}
	if (!cr->per_txn && store_commit(st))
		die("commit", st);
}

/* Writes n tickets into a new grid store; keep (optional) gets the store,
 * and then it is a replica for the merges, not a timed figure. */
static double crdt_insert(const char *dir, unsigned n, int per_txn, struct store **keep)
{
	struct crdt_run cr = { new_store(dir, LEVEL_GRID, "440106012023001"), n, per_txn };
	double dt = timed(keep ? NULL : per_txn ? "write_txn" : "write", crdt_rows, &cr);
	if (keep)
		*keep = cr.st;
	else
		store_close(cr.st);
	return dt;
}

static void update_status(struct store *st, unsigned from, unsigned to, const char *status)
{
	const struct table_def *tab = schema_table(T_TICKET);
	uint8_t c[1] = { (uint8_t)schema_col(tab, "status", 6) };
	struct gm_value v[1] = { gm_text(status) };
	if (store_begin(st))
		die("begin", st);
	for (unsigned i = from; i < to; i++) {
		struct store_write w = { .tab = tab, .key = wl[i].id, .nset = 1, .cols = c,
					 .vals = v, .actor = "bench", .mode = W_UPDATE };
		if (store_put(st, &w, NULL))
			die("update", st);
	}
	if (store_commit(st))
		die("commit", st);
}

/* A bundle of everything the store has after `after`. */
static void collect(struct store *st, int64_t after, struct gm_buf *out, int64_t *upto)
{
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	struct exchange_out res;
	if (store_seal(st, 0, NULL))
		die("seal", st);
	if (exchange_collect(st, after, &bf, NULL, 0, out, &res))
		die("collect", st);
	if (upto)
		*upto = res.upto;
}

struct apply_run {
	struct store *st;
	const struct gm_buf *b;
	struct exchange_in in;
};

static void apply_bundle(void *ctx)
{
	struct apply_run *ar = ctx;
	if (exchange_apply(ar->st, ar->b->p, ar->b->len, LINK_IMPORT, 1u << 30, &ar->in))
		die("apply", ar->st);
}

/* Applies bundle b to st; `what` names the figure it is timed for. */
static double apply(const char *what, struct store *st, const struct gm_buf *b)
{
	struct apply_run ar = { st, b, { 0 } };
	double dt = timed(what, apply_bundle, &ar);
	if (ar.in.refused || ar.in.rejected) {
		fprintf(stderr, "gridbench: apply refused: %s\n", ar.in.why);
		exit(1);
	}
	return dt;
}

struct lost_count {
	unsigned lost;
};

static int lost_cb(void *ctx, const struct store_hist *h)
{
	struct lost_count *l = ctx;
	if (h->lost)
		l->lost++;
	return 0;
}

static unsigned count_lost(struct store *st, unsigned from, unsigned to)
{
	unsigned n = 0;
	for (unsigned i = from; i < to; i++) {
		struct lost_count l = { 0 };
		if (store_history(st, schema_table(T_TICKET), wl[i].id, lost_cb, &l))
			die("history", st);
		n += l.lost > 0;
	}
	return n;
}

/*
 * --fill DIR: adds n realistic tickets to an existing node (one
 * transaction), for tests and benchmarks that need a large backlog.
 */
static int fill_store(const char *dir);

int bench_fill(const char *dir, const char *data, unsigned n)
{
	datadir = data;
	ntickets = n;
	return fill_store(dir);
}

static int fill_store(const char *dir)
{
	struct store *st;
	char err[512];
	int rc = 1;
	if (store_open(dir, &st, err, sizeof(err))) {
		fprintf(stderr, "gridbench: %s\n", err);
		return 1;
	}
	if (bench_workload(datadir, ntickets, store_code(st), &wl)) {
		fprintf(stderr, "gridbench: cannot load the workload from %s\n", datadir);
		goto out_close;
	}
	if (bench_add_tickets(st, wl, ntickets, NULL) == 0) {
		printf("added %u tickets to %s\n", ntickets, dir);
		rc = 0;
	}
	free(wl);
out_close:
	store_close(st);
	return rc;
}

static void report(const char *key, double v, const char *unit, const char *target)
{
	if (count_only)
		printf("  %-26s %14.3f %-8s (one run, --count: not recorded)\n", key, v, unit);
	else
		bench_report(outpath, key, v, unit, target);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "work", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "fill", required_argument, NULL, 'f' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fill = NULL;
	int o;
	datadir = refdata_default_dir();
	while ((o = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (o) {
		case 'd': datadir = optarg; break;
		case 'w': workdir = optarg; break;
		case 'o': outpath = optarg; break;
		case 'n': ntickets = (unsigned)atoi(optarg); break;
		case 'f': fill = optarg; break;
		case 'c':
			count_only = optarg;
			runs = 1;
			if (!countable(optarg)) {
				fprintf(stderr, "gridbench: --count plain, upsert, write, plain_txn,"
						" write_txn, merge or delta\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: gridbench [--data DIR] [--work DIR] [--out FILE] [-n N]"
					" [net|idle|mesh|catchup|table]\n"
					"       gridbench --fill DIR -n N\n"
					"       gridbench --count plain|upsert|write|plain_txn|write_txn|"
					"merge|delta\n");
			return 2;
		}
	}
	/* SQLite as gridnode and gridctl run it, for the store and the plain
	 * baseline alike (the baseline opens SQLite first) */
	store_sqlite_setup();
	if (fill)
		return fill_store(fill);
	if (optind < argc) {
		const char *step = argv[optind];
		if (!strcmp(step, "net"))
			return bench_net(datadir, workdir, outpath);
		if (!strcmp(step, "idle"))
			return bench_idle(datadir, workdir, outpath);
		if (!strcmp(step, "mesh"))
			return bench_mesh(outpath);
		if (!strcmp(step, "catchup"))
			return bench_catchup(outpath);
		if (!strcmp(step, "table"))
			return bench_table(outpath);
		fprintf(stderr, "gridbench: no step '%s' (net, idle, mesh, catchup, table)\n", step);
		return 2;
	}
	if (ntickets < 2000)
		ntickets = 2000;
	mkdir(workdir, 0700);
	if (bench_workload(datadir, ntickets, "440106012023001", &wl)) {
		fprintf(stderr, "gridbench: cannot load the workload from %s\n", datadir);
		return 1;
	}
	printf("store benchmarks: %u tickets x 5 fields, median of %d runs\n", ntickets, runs);
	printf("  %-26s %14s %-8s %s\n", "figure", "value", "unit", "target (brief section 5)");

	/* local writes, one transaction for all, and one per ticket */
	double p[RUNS], c[RUNS];
	for (int r = 0; r < runs; r++) {
		p[r] = plain_insert(path_in("plain"), ntickets, 0, 0);
		c[r] = crdt_insert(path_in("crdt"), ntickets, 0, NULL);
	}
	double plain_bulk = bench_median(p, runs), crdt_bulk = bench_median(c, runs);
	unsigned ntx = ntickets / 5;
	for (int r = 0; r < runs; r++) {
		p[r] = plain_insert(path_in("plain"), ntx, 1, 0);
		c[r] = crdt_insert(path_in("crdt"), ntx, 1, NULL);
	}
	double plain_txn = bench_median(p, runs), crdt_txn = bench_median(c, runs);
	report("write_overhead_x", crdt_bulk / plain_bulk, "x", "<= 1.3 (one transaction, 10k rows)");
	report("write_overhead_txn_x", crdt_txn / plain_txn, "x",
	       "<= 1.3 (a transaction per ticket, synchronous=FULL)");
	report("plain_insert_ms", plain_bulk * 1000, "ms", "");
	report("crdt_insert_ms", crdt_bulk * 1000, "ms", "");

	/* replica A with the workload; its full export */
	struct store *a, *b;
	struct gm_buf full, da, db;
	int64_t head_a, head_b;
	gm_buf_init(&full);
	gm_buf_init(&da);
	gm_buf_init(&db);
	crdt_insert(path_in("a"), ntickets, 0, &a);
	collect(a, 0, &full, &head_a);

	/* large batch merge: the full export into fresh stores */
	for (int r = 0; r < runs; r++) {
		struct store *m = new_store(path_in("m"), LEVEL_STREET, "440106012");
		c[r] = apply("merge", m, &full);
		store_close(m);
		p[r] = plain_insert(path_in("plain"), ntickets, 0, 1);
	}
	double merge_s = bench_median(c, runs), upsert_s = bench_median(p, runs);

	/* replica B = A; then concurrent updates, 500 on the same field */
	b = new_store(path_in("b"), LEVEL_STREET, "440106012");
	apply(NULL, b, &full);
	if (store_seal(b, 0, NULL))
		die("seal", b);
	head_b = store_batch_head(b);
	update_status(a, 0, 1000, "dispatched");
	update_status(b, 500, 1500, "in_progress");
	collect(a, head_a, &da, NULL);
	collect(b, head_b, &db, NULL);
	double merge_ab = apply("delta", a, &db) + apply("delta", b, &da);

	uint8_t dga[32], dgb[32];
	if (store_digest(a, NULL, dga, NULL) || store_digest(b, NULL, dgb, NULL))
		die("digest", a);
	unsigned lost_a = count_lost(a, 500, 1000), lost_b = count_lost(b, 500, 1000);
	int converged = memcmp(dga, dgb, 32) == 0 && lost_a == 500 && lost_b == 500;

	report("merge_delta_ms", merge_ab * 1000, "ms", "< 5 (both 1,000-update deltas)");
	report("merge_changes_per_s", 5.0 * ntickets / merge_s, "fields/s", ">= 200,000");
	report("merge_vs_upsert_x", upsert_s / merge_s, "x", ">= 0.5 of plain upsert rate");
	report("full_sync_bytes", (double)full.len, "bytes", "< 370,082 (Automerge)");
	report("delta_bytes", (double)(da.len + db.len), "bytes", "< 43,994 (Yjs)");
	printf("  %-26s %14s %-8s %s\n", "converged", converged ? "true" : "false", "",
	       "digests equal, 500 losing values in history on each side");
	if (!count_only)
		bench_result_bool(outpath, "converged", converged);

	store_close(a);
	store_close(b);
	gm_buf_free(&full);
	gm_buf_free(&da);
	gm_buf_free(&db);
	free(wl);
	bench_rmtree(workdir);
	return converged ? 0 : 1;
}
