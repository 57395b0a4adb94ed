/*
 * server.h - the resources a node serves to its children (docs/protocol.md):
 *
 *   POST v1/reg            registration: [1, code, level, version, lifetime]
 *   POST v1/up?c=CODE      a bundle of batches from child CODE, block-wise
 *   GET  v1/down?c=CODE&a=N  batches for CODE's subtree after our cursor N
 *   GET  v1/bell?c=CODE    observable: [1, our code, boot id, head for CODE]
 *   GET  v1/status         JSON summary (content-format 50)
 *   GET  views/tickets|assets|kpi|overdue?by=...  the admin's views, JSON (50)
 *   GET  v1/blob?c=&h=HASH[&o=OFF&n=LEN]  a blob's state, or a chunk of it
 *   POST v1/blob?c=&h=HASH&o=OFF&t=TOTAL  a chunk of a child's blob
 *   GET  .well-known/core  (libcoap) lists them with rt= and ct=
 *
 * Query strings are read apart from the session (node/syncreq.h), numbers
 * as plain digits.  Only direct children (their code extends ours by one
 * level) are served; anything else gets 4.03.  Bodies over max_body_kb
 * get 4.13, gaps in a block-wise upload 4.08, undecodable bundles 4.00,
 * malformed numbers and hashes 4.00; each refusal is
 * counted in the store's rejects table and logged once, and the node goes
 * on serving.  Every handler runs on the event loop's thread.  The server
 * takes the context's app data and event handler for itself.
 */
#ifndef GM_SERVER_H
#define GM_SERVER_H

#include <stdint.h>
#include <coap3/coap.h>
#include "../proto/err.h"

struct store;
struct config;
struct server;
struct identity;

/* Called after batches from child `code` were stored (the daemon pushes up). */
typedef void (*server_batches_fn)(void *ctx, const char *code);

/*
 * With `id` (enrolled) the server answers DTLS-PSK handshakes: a child's
 * PSK identity is its code, its key derived from both nodes' keys
 * (identity_link_key) and known only for children whose certificate we
 * trust; every request must then name the child the session belongs to.
 */
GM_WUR enum gm_err server_new(coap_context_t *ctx, struct store *st, const struct config *cfg,
			      struct identity *id, uint64_t boot, server_batches_fn on_batches,
			      void *cb_ctx, struct server **out);
void server_free(struct server *srv);
void server_set_config(struct server *srv, const struct config *cfg);

/*
 * Rings the bell of every child that has new batches after the last ring
 * (a notification to its observation); call after anything stored batches.
 */
void server_ring(struct server *srv);
/* Periodic upkeep: stale partial uploads, last-seen flush. */
void server_tick(struct server *srv, uint64_t now_ms);

#endif
