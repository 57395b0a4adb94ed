/*
 * bench_common.h - helpers shared by the benchmark programs: a monotonic
 * clock, a realistic ticket workload from the LA 311 data, and a
 * results.json that several programs add their figures to.
 */
#ifndef GM_BENCH_COMMON_H
#define GM_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "../proto/err.h"

double bench_now(void);                     /* seconds, monotonic */
/* The median of v[0, n) (sorts v). */
double bench_median(double *v, int n);
/* The path of program `name` beside the running one; 0 if it can be run. */
int bench_sibling(const char *name, char *out, size_t len);

/* The brief's workload: n tickets x 5 fields (category, title, status,
 * priority, assignee), titles and agencies from the LA 311 requests. */
struct bench_ticket {
	char id[40];
	char category[8];
	char title[160];
	char status[16];
	int priority;
	char assignee[16];
};
int bench_workload(const char *datadir, unsigned n, const char *code,
		   struct bench_ticket **out);

/* Creates ticket t as `id` (its five fields), a local write in the caller's
 * transaction. */
struct store;
enum gm_err bench_put_ticket(struct store *st, const struct bench_ticket *t, const char *id);
/*
 * Creates tickets t[0, n) in the open store `st` as local writes, in one
 * transaction, with ids "<node code>-<seq>" after the node's own ticket
 * counter (which moves past them, so gridctl's ids stay unique); *first
 * gets the sequence number of the first.  0 on success, -1 with a message
 * on stderr.
 */
int bench_add_tickets(struct store *st, const struct bench_ticket *t, unsigned n,
		      long long *first);

/* Sets key = value in results.json (read, update, rewrite). */
void bench_result(const char *path, const char *key, double value);
void bench_result_bool(const char *path, const char *key, int value);

/* Prints "key value unit target" and records it in results.json. */
void bench_report(const char *path, const char *key, double v, const char *unit,
		  const char *target);

/* Adds n workload tickets to the node in `dir` (bench.c). */
int bench_fill(const char *dir, const char *datadir, unsigned n);
/* The CoAP figures (bench_net.c). */
int bench_net(const char *datadir, const char *workdir, const char *outpath);
/* The idle sync round in a small and a large city (bench_idle.c). */
int bench_idle(const char *datadir, const char *workdir, const char *outpath);
/* The tree figures, measured by meshsim (bench_mesh.c). */
int bench_mesh(const char *outpath);
int bench_catchup(const char *outpath);
/* Every figure of results.json beside its target (bench_table.c). */
int bench_table(const char *outpath);

/* Removes a directory tree made by a benchmark. */
void bench_rmtree(const char *dir);
/*
 * Writes DIR/gridnode.conf allowing plain coap:// (and `extra` settings, or
 * NULL): the network figures are the sync protocol's own bytes.  DTLS adds
 * its record header, nonce and tag (29 to 37 bytes) to every datagram and a
 * handshake to every session.  Returns 0, or -1 with a message.
 */
int bench_plain_coap(const char *dir, const char *extra);

#endif
