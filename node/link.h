/*
 * link.h - a node's link to its parent, over CoAP: registration, pushing
 * its batches up, pulling the batches of its subtree down, observing the
 * parent's bell.  The decisions (what next, when, backoff) are
 * sync/linksm.h's; this module does the requests and keeps the cursors.
 *
 * Cursors live in the store (meta up_cursor / down_cursor) and only move
 * forward after the other side has committed: a push cursor moves when the
 * parent acknowledges (2.04 after its commit), a pull cursor after our own
 * commit.  An interrupted exchange is simply repeated; re-delivered batches
 * are recognised and skipped (store_apply: GM_E_REPLAY).
 *
 * The link registers the context's response and NACK handlers and keeps
 * itself in its session's app data; one link per context.
 */
#ifndef GM_LINK_H
#define GM_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <coap3/coap.h>
#include "../proto/err.h"

struct store;
struct config;
struct link;

/* Called when batches were stored, from the parent or sealed from local
 * writes before a push (ring the children). */
typedef void (*link_batches_fn)(void *ctx);

/*
 * A link to cfg->parent; *out is NULL (and GM_OK) when no parent is set.
 * observe = false for one-shot syncs (gridctl sync).
 */
/*
 * A coaps:// parent is reached over DTLS-PSK: identity our code, key
 * derived from our key and our parent's (parent.cert), so `id` must be
 * enrolled; coap:// needs cfg->insecure.
 */
struct identity;
GM_WUR enum gm_err link_new(coap_context_t *ctx, struct store *st, const struct config *cfg,
			    struct identity *id, bool observe, link_batches_fn on_batches,
			    void *cb_ctx, struct link **out, char *err, size_t errlen);
void link_free(struct link *l);
void link_set_config(struct link *l, const struct config *cfg);

/* Fetch queued attachments from the parent even with fetch = lazy. */
void link_fetch_blobs(struct link *l);
/* No attachment waits to move (up, or down when fetching). */
bool link_blobs_idle(struct link *l);
/* New local or child batches may need pushing. */
void link_want_push(struct link *l);
/* Makes the next request if one is due; returns when to call again (ms). */
uint64_t link_run(struct link *l, uint64_t now_ms);
/* In step: registered, nothing to push or pull, nothing in flight. */
bool link_idle(const struct link *l);
/* Consecutive failures (0 when the last exchange worked). */
unsigned link_failures(const struct link *l);
/* Number of exchanges completed (for one-shot syncs). */
unsigned link_rounds(const struct link *l);
/* Batches pushed (acknowledged) and pulled by this process. */
void link_counts(const struct link *l, uint64_t *pushed, uint64_t *pulled);
/* The parent's newest batch for us, as its last hello said (0: none yet). */
int64_t link_parent_head(const struct link *l);
/* Why the last exchange failed ("" if none did). */
const char *link_last_error(const struct link *l);

#endif
