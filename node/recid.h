/*
 * recid.h - new record ids: "<node code>-<prefix><sequence>", the sequence
 * a per-node counter zero-padded to 6 digits (tickets have no prefix, so
 * theirs are ticket_id_format's "<code>-<sequence>").
 *
 * An id must never be issued twice: a citizen's ticket number stays valid
 * forever.  A node restored from a backup has its counters as they were
 * then, while the ids it issued since live on at its parent; a node
 * enrolled to replace an earlier key of its code (identity.h) starts with
 * none of the ids the earlier device issued.  So recid_new refuses while
 * the store is still reclaiming (backup.h, identity_install) and,
 * afterwards, steps over any id the store already holds (live or
 * deleted).  After a replacement, each counter first jumps RECID_REKEY_GAP
 * past the highest id held: the earlier device may have issued ids offline
 * that it never sent, which may still be handed over.  Runs inside the
 * caller's transaction.
 */
#ifndef GM_RECID_H
#define GM_RECID_H

#include <stddef.h>
#include "../proto/err.h"
#include "../sync/schema.h"

struct store;

/* More ids than a device makes between two syncs. */
#define RECID_REKEY_GAP 1000

/* GM_E_STATE (store_errmsg says why) while a restored or re-keyed store reclaims. */
GM_WUR enum gm_err recid_new(struct store *st, const struct table_def *tab, const char *counter,
			     const char *prefix, char *out, size_t len);

#endif
