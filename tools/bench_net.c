/*
 * bench_net.c - `gridbench net`: the brief's workload synced over real
 * CoAP between a grid (gridctl sync, as on a worker's laptop) and a street
 * (a gridnode process), through a counting UDP relay: every byte of every
 * datagram both ways is counted (CoAP headers, envelopes, signatures;
 * not the IP and UDP headers).
 *
 * Figures: coap_full_sync_bytes, coap_batch_bytes_per_change (full sync /
 * record changes), link_sync_10k_ms (the 10,000-change push, wall clock),
 * coap_delta_bytes (two 1,000-update deltas, 500 on the same field, pushed
 * and pulled in one sync), coap_idle_round_bytes (a sync with nothing new).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench_common.h"
#include "bench_relay.h"
#include "../node/store.h"

#define N_TICKETS 10000

static int update(const char *dir, unsigned from, unsigned to, const char *status)
{
	struct store *st;
	char err[512], id[40];
	const struct table_def *tab = schema_table(T_TICKET);
	uint8_t c[1] = { (uint8_t)schema_col(tab, "status", 6) };
	struct gm_value v[1] = { gm_text(status) };
	if (store_open(dir, &st, err, sizeof(err)) || store_begin(st))
		return -1;
	for (unsigned i = from; i < to; i++) {
		snprintf(id, sizeof(id), "440106012023001-%06u", i + 1);
		struct store_write w = { .tab = tab, .key = id, .nset = 1, .cols = c, .vals = v,
					 .actor = "bench", .mode = W_UPDATE };
		if (store_put(st, &w, NULL)) {
			fprintf(stderr, "gridbench net: %s\n", store_errmsg(st));
			store_close(st);
			return -1;
		}
	}
	int rc = store_commit(st) ? -1 : 0;
	store_close(st);
	return rc;
}

static int same_digest(const char *a, const char *b, const char *scope)
{
	struct store *x, *y;
	char err[512];
	uint8_t dx[32], dy[32];
	if (store_open(a, &x, err, sizeof(err)))
		return 0;
	if (store_open(b, &y, err, sizeof(err))) {
		store_close(x);
		return 0;
	}
	int ok = !store_digest(x, scope, dx, NULL) && !store_digest(y, scope, dy, NULL) &&
		 !memcmp(dx, dy, 32);
	store_close(x);
	store_close(y);
	return ok;
}

/*
 * The street and the grid enrolled under a city and a district that only
 * sign (no process runs for them), so every batch is signed by its origin
 * and verified on arrival, as in a deployed tree: the bytes counted
 * include each batch's 64-byte signature.
 */
static int enrol(const char *gridctl, const char *workdir, const char *street, const char *grid)
{
	char city[1024], district[1024];
	snprintf(city, sizeof(city), "%s/net-city", workdir);
	snprintf(district, sizeof(district), "%s/net-district", workdir);
	bench_rmtree(city);
	bench_rmtree(district);
	char *ctl = (char *)gridctl;
	char *steps[][11] = {
		{ ctl, "-d", city, "init", "--level", "city", "--code", "4401", NULL },
		{ ctl, "-d", district, "init", "--level", "district", "--code", "440106",
		  "--parent", "coap://127.0.0.1:9", NULL },
		{ ctl, "-d", city, "keygen", NULL },
		{ ctl, "-d", city, "enrol", "self", NULL },
		{ ctl, "-d", city, "enrol", "child", district, NULL },
		{ ctl, "-d", district, "enrol", "child", (char *)street, NULL },
		{ ctl, "-d", (char *)street, "enrol", "child", (char *)grid, NULL },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (bench_run(steps[i])) {
			fprintf(stderr, "gridbench net: gridctl %s %s failed\n", steps[i][3],
				steps[i][4] ? steps[i][4] : "");
			return 1;
		}
	}
	return 0;
}

int bench_net(const char *datadir, const char *workdir, const char *outpath)
{
	char street[1024], grid[1024], gridctl[1024], gridnode[1024], log[1100];
	struct relay r;
	int rc = 1;
	pid_t node = -1;

	if (bench_sibling("gridctl", gridctl, sizeof(gridctl)) ||
	    bench_sibling("gridnode", gridnode, sizeof(gridnode))) {
		fprintf(stderr, "gridbench net: no gridctl and gridnode beside gridbench\n");
		return 1;
	}
	snprintf(street, sizeof(street), "%s/net-street", workdir);
	snprintf(grid, sizeof(grid), "%s/net-grid", workdir);
	mkdir(workdir, 0700);
	bench_rmtree(street);
	bench_rmtree(grid);

	/* the street listens on a port we pick; the grid's parent is the relay */
	uint16_t sport;
	if (relay_open_new(&r, &sport)) {
		fprintf(stderr, "gridbench net: relay: %s\n", strerror(errno));
		return 1;
	}
	char listen[64], parent[64];
	snprintf(listen, sizeof(listen), "coap://127.0.0.1:%u", sport);
	snprintf(parent, sizeof(parent), "coap://127.0.0.1:%u", bench_bound_port(r.front));
	char *init_s[] = { gridctl, "-d", street, "init", "--level", "street", "--code", "440106012",
			   "--listen", listen, NULL };
	char *init_g[] = { gridctl, "-d", grid, "init", "--level", "grid", "--code",
			   "440106012023001", "--parent", parent, NULL };
	int st;
	if (bench_run(init_s) || bench_run(init_g)) {
		fprintf(stderr, "gridbench net: gridctl init failed\n");
		goto out;
	}
	if (enrol(gridctl, workdir, street, grid))
		goto out;
	if (bench_plain_coap(street, "[sync]\nwatch_ms = 20\n") || bench_plain_coap(grid, NULL))
		goto out;
	if (bench_fill(grid, datadir, N_TICKETS))
		goto out;

	snprintf(log, sizeof(log), "%s/net-street.log", workdir);
	char *node_argv[] = { gridnode, "-d", street, NULL };
	node = bench_spawn(node_argv, log);
	usleep(300000);

	printf("CoAP benchmarks: %d tickets x 5 fields, grid -> street over loopback\n", N_TICKETS);
	uint64_t bytes;
	double ms;
	if (relay_sync(&r, gridctl, grid, &bytes, &ms))
		goto out;
	bench_report(outpath, "coap_full_sync_bytes", (double)bytes, "bytes",
		     "< 370,082 (Automerge, brief section 5)");
	bench_report(outpath, "coap_batch_bytes_per_change", (double)bytes / N_TICKETS, "bytes",
		     "per record change (5 fields), all CoAP bytes");
	bench_report(outpath, "link_sync_10k_ms", ms, "ms", "10,000 changes grid -> street");

	/* two concurrent deltas: the grid and the street each update 1,000 */
	if (update(grid, 0, 1000, "dispatched") || update(street, 500, 1500, "in_progress"))
		goto out;
	usleep(200000);   /* the street's daemon seals its writes */
	if (relay_sync(&r, gridctl, grid, &bytes, &ms))
		goto out;
	bench_report(outpath, "coap_delta_bytes", (double)bytes, "bytes",
		     "< 43,994 (Yjs): both deltas, one sync");
	int conv = same_digest(grid, street, "440106012023001");
	printf("  %-26s %14s\n", "coap_converged", conv ? "true" : "false");
	bench_result_bool(outpath, "coap_converged", conv);

	if (relay_sync(&r, gridctl, grid, &bytes, &ms))
		goto out;
	bench_report(outpath, "coap_idle_round_bytes", (double)bytes, "bytes",
		     "< 300: a sync with nothing new (register + pull)");
	rc = conv ? 0 : 1;
out:
	if (node > 0) {
		kill(node, SIGTERM);
		waitpid(node, &st, 0);
	}
	relay_close(&r);
	return rc;
}
