/*
 * bench_idle.c - `gridbench idle`: the bytes of one sync round between a
 * street and a grid already in step, in a city of 20 grids and in one of
 * 20,000 (brief: "under 300 bytes, the same whether the city has 20 or
 * 20,000 grids").
 *
 * The city's size is simulated in the street's store, which is where it
 * would show if sync state grew with the number of origins: the street
 * holds one batch from each of N distinct origin grids (each registered as
 * its child, so the children registry has N entries too), besides the
 * history of the grid under test (its own tickets, pushed, and dispatches
 * from the street, pulled).  The round is a `gridctl sync` of that grid
 * (register, nothing to push, pull an empty bundle) through a counting
 * relay to the street's gridnode; the figure is the median of a few.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_common.h"
#include "bench_relay.h"
#include "../node/children.h"
#include "../node/store_int.h"
#include "../node/tickets.h"

#define ROUNDS 5
#define GRID_CODE "440101001999999"
#define STREET_CODE "440101001"

/* One origin's batch: a new ticket in its own scope, unsigned (foundation
 * mode; signatures are the security issue's). */
static enum gm_err origin_batch(const char *code, uint64_t t, struct gm_buf *payload,
				struct gm_buf *env)
{
	static const char *const names[3] = { "category", "title", "status" };
	static const uint32_t lens[3] = { 8, 5, 6 };
	const struct table_def *tab = schema_table(T_TICKET);
	struct gm_value vals[3] = { gm_text("0102"), gm_text("bin overflowing at the gate"),
				    gm_text("reported") };
	char key[40];
	enum gm_err e;

	ticket_id_format(key, sizeof(key), code, 1);
	struct batch_change ch = { .key = key, .keylen = (uint32_t)strlen(key), .t = t, .mask = 7,
				   .actor = "worker", .actorlen = 6, .vals = vals };
	struct batch_group g = { .table = tab->name, .tablelen = (uint32_t)strlen(tab->name),
				 .nfields = 3, .fields = (const char **)names,
				 .fieldlens = (uint32_t *)lens, .n = 1, .ch = &ch };
	struct batch b = { .base_t = t, .ngroups = 1, .groups = &g };
	gm_buf_reset(payload);
	if ((e = batch_encode_payload(&b, payload)))
		return e;
	if (!node_id_from_code(code, strlen(code), &b.env.origin))
		return GM_E_INVAL;
	b.env.bseq = 1;
	b.env.scope = code;
	b.env.scopelen = (uint32_t)strlen(code);
	b.env.cls = (uint8_t)tab->cls;
	b.env.nchanges = 1;
	b.env.tmax = t;
	if ((e = batch_env_encode(&b.env, payload->p, payload->len, env)))
		return e;
	batch_env_finish(env, NULL);
	return env->oom ? GM_E_NOMEM : GM_OK;
}

/* The street's history: one batch from each of n origin grids, children. */
static int fill_origins(struct store *st, unsigned n)
{
	struct children *kids;
	struct gm_buf payload, env;
	char code[CODE_MAX + 1];
	int rc = -1;
	uint64_t t = hlc_from_ms(hlc_wall_ms() - 60000);

	/* setup only: one fsync per batch would make this minutes */
	sqlite3_exec(store_db(st), "PRAGMA synchronous=OFF", NULL, NULL, NULL);
	if (children_open(st, &kids))
		return -1;
	gm_buf_init(&payload);
	gm_buf_init(&env);
	for (unsigned i = 0; i < n; i++) {
		struct apply_result ar;
		int link;
		/* community 001.., grid 001..998 in each: never the grid under test */
		snprintf(code, sizeof(code), "%s%03u%03u", STREET_CODE, i / 998 + 1, i % 998 + 1);
		if (children_touch(kids, code, "127.0.0.1:1", (int64_t)(hlc_wall_ms() / 1000), &link) ||
		    origin_batch(code, t + i, &payload, &env) ||
		    store_apply(st, env.p, env.len, link, &ar)) {
			fprintf(stderr, "gridbench idle: origin %s: %s\n", code, store_errmsg(st));
			goto out_free;
		}
	}
	children_flush(kids);
	rc = 0;
out_free:
	children_close(kids);
	gm_buf_free(&payload);
	gm_buf_free(&env);
	sqlite3_exec(store_db(st), "PRAGMA synchronous=FULL", NULL, NULL, NULL);
	return rc;
}

/* The street dispatches n of the grid's tickets (it holds them: pushed). */
static int dispatch(const char *dir, unsigned n)
{
	const struct table_def *tab = schema_table(T_TICKET);
	struct store *st;
	char err[512], id[40];
	uint8_t c[1] = { (uint8_t)schema_col(tab, "assignee", 8) };
	struct gm_value v[1] = { gm_text("sanitation") };
	int rc = -1;
	if (store_open(dir, &st, err, sizeof(err)) || store_begin(st))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		ticket_id_format(id, sizeof(id), GRID_CODE, i + 1);
		struct store_write w = { .tab = tab, .key = id, .nset = 1, .cols = c, .vals = v,
					 .actor = "street", .note = "dispatched", .mode = W_UPDATE };
		if (store_put(st, &w, NULL))
			goto out_close;
	}
	rc = store_commit(st) ? -1 : 0;
out_close:
	if (rc)
		fprintf(stderr, "gridbench idle: dispatch: %s\n", store_errmsg(st));
	store_close(st);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The median bytes of an idle round with a street holding n origins. */
static int idle_round(const char *datadir, const char *workdir, unsigned n, uint64_t *bytes)
{
	char street[1024], grid[1024], log[1100], gridctl[1024], gridnode[1024];
	char uri[64], err[512] = "";
	struct relay r = { .front = -1, .back = -1 };
	struct store *st = NULL, *gs = NULL;
	struct bench_ticket *wl = NULL;
	uint64_t b[ROUNDS];
	pid_t node = -1;
	int rc = -1;
	double ms;

	if (bench_sibling("gridctl", gridctl, sizeof(gridctl)) ||
	    bench_sibling("gridnode", gridnode, sizeof(gridnode))) {
		fprintf(stderr, "gridbench idle: no gridctl and gridnode beside gridbench\n");
		return -1;
	}
	snprintf(street, sizeof(street), "%s/idle-street-%u", workdir, n);
	snprintf(grid, sizeof(grid), "%s/idle-grid-%u", workdir, n);
	mkdir(workdir, 0700);
	bench_rmtree(street);
	bench_rmtree(grid);

	uint16_t sport;
	if (relay_open_new(&r, &sport))
		goto out;
	if (store_create(street, LEVEL_STREET, STREET_CODE, datadir, &st, err, sizeof(err)) ||
	    store_create(grid, LEVEL_GRID, GRID_CODE, datadir, &gs, err, sizeof(err))) {
		fprintf(stderr, "gridbench idle: %s\n", err);
		goto out;
	}
	snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", sport);
	if (store_meta_set(st, "listen", uri))
		goto out;
	snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", bench_bound_port(r.front));
	if (store_meta_set(gs, "parent", uri))
		goto out;
	if (fill_origins(st, n))
		goto out;
	/* the grid's own history: 50 tickets */
	if (bench_workload(datadir, 50, GRID_CODE, &wl) || bench_add_tickets(gs, wl, 50, NULL))
		goto out;
	store_close(st);
	store_close(gs);
	st = gs = NULL;
	if (bench_plain_coap(street, NULL) || bench_plain_coap(grid, NULL))
		goto out;

	snprintf(log, sizeof(log), "%s/idle-street-%u.log", workdir, n);
	char *argv[] = { gridnode, "-d", street, NULL };
	node = bench_spawn(argv, log);
	usleep(300000);
	/* push the grid's history; the street dispatches some; pull them */
	if (relay_sync(&r, gridctl, grid, &b[0], &ms) || dispatch(street, 10))
		goto out;
	usleep(200000);   /* the street's daemon seals its dispatches */
	if (relay_sync(&r, gridctl, grid, &b[0], &ms))
		goto out;
	for (int k = 0; k < ROUNDS; k++)
		if (relay_sync(&r, gridctl, grid, &b[k], &ms))
			goto out;
	qsort(b, ROUNDS, sizeof(b[0]), cmp_u64);
	*bytes = b[ROUNDS / 2];
	rc = 0;
out:
	if (rc && !err[0])
		fprintf(stderr, "gridbench idle: setting up %u origins failed\n", n);
	if (node > 0) {
		kill(node, SIGTERM);
		waitpid(node, NULL, 0);
	}
	store_close(st);
	store_close(gs);
	free(wl);
	relay_close(&r);
	if (!rc) {
		bench_rmtree(street);
		bench_rmtree(grid);
	}
	return rc;
}

int bench_idle(const char *datadir, const char *workdir, const char *outpath)
{
	uint64_t small, big;
	printf("idle sync round, street <-> grid in step (gridctl sync through a counting relay)\n");
	if (idle_round(datadir, workdir, 20, &small))
		return 1;
	bench_report(outpath, "idle_round_bytes_20", (double)small, "bytes",
		     "< 300, a city of 20 grids");
	if (idle_round(datadir, workdir, 20000, &big))
		return 1;
	bench_report(outpath, "idle_round_bytes_20000", (double)big, "bytes",
		     "< 300 and about the same, a city of 20,000 grids");
	return 0;
}
