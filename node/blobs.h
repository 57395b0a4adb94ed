/*
 * blobs.h - attachments' bytes: content-addressed files beside the store.
 *
 * A blob is named by the BLAKE2b-256 hash of its bytes (hex) and kept in
 * DIR/blobs/<first two hex digits>/<hash>: the same photo attached twice
 * is stored once, and a blob can be checked by anyone who knows its name.
 * Records (table attachment) carry the hash; the bytes follow them:
 *   - up: a node pushes every blob it holds that its parent may lack
 *     (table blob_up) in the background, after its batches, in chunks a
 *     broken link can resume from (the parent keeps a partial file and
 *     says how much it has);
 *   - down: fetched from the parent when first read (`gridctl ticket
 *     fetch`), or at once with [blobs] fetch = eager.
 * A blob whose bytes do not hash to its name is refused and fetched again.
 */
#ifndef GM_BLOBS_H
#define GM_BLOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../proto/err.h"

#define BLOB_HASH_BYTES 32
#define BLOB_HEX (2 * BLOB_HASH_BYTES)
#define BLOB_CHUNK (64u * 1024u)

struct store;

bool blob_hash_valid(const char *hex);
/* DIR/blobs/ab/abcd... (complete) and .../abcd....part (being received). */
void blob_path(const char *dir, const char *hex, bool partial, char *out, size_t len);
/* Size of the complete blob, or -1 if we do not hold it. */
int64_t blob_size(const char *dir, const char *hex);

/*
 * Adds a local file as a blob (at most max_bytes): hashes it, copies it
 * into place atomically, and returns its hash.  Idempotent.
 */
GM_WUR enum gm_err blob_add_file(const char *dir, const char *file, uint64_t max_bytes,
				 char hex[BLOB_HEX + 1], uint64_t *size, char *err, size_t errlen);

/*
 * Receiving a blob in chunks.  blob_have says how many bytes of `hex` we
 * hold (complete or partial).  blob_append adds a chunk at `offset`, which
 * must equal what we hold (GM_E_STATE otherwise: the sender asks again);
 * when the blob reaches `total` bytes it is hashed: a match is moved into
 * place (*complete = true), a mismatch is deleted (GM_E_AUTH).
 */
uint64_t blob_have(const char *dir, const char *hex, bool *complete);
GM_WUR enum gm_err blob_append(const char *dir, const char *hex, uint64_t offset, uint64_t total,
			       const uint8_t *data, size_t len, uint64_t max_bytes,
			       bool *complete);
/* Reads up to len bytes of a complete blob at offset; -1 on error. */
ssize_t blob_read(const char *dir, const char *hex, uint64_t offset, uint8_t *buf, size_t len);
/* Copies a complete blob to a file (atomically). */
GM_WUR enum gm_err blob_copy_out(const char *dir, const char *hex, const char *file, char *err,
				 size_t errlen);

/* Queues: blobs to push to the parent (it may lack them), and blobs to
 * fetch from it (attachments it sent down, with fetch = eager). */
enum blob_dir { BLOB_UP, BLOB_DOWN };
GM_WUR enum gm_err blob_queue(struct store *st, enum blob_dir d, const char *hex);
/* The oldest queued blob after `after` (NULL: from the start); false if none. */
bool blob_next(struct store *st, enum blob_dir d, const char *after, char hex[BLOB_HEX + 1]);
void blob_done(struct store *st, enum blob_dir d, const char *hex);
uint64_t blob_pending(struct store *st, enum blob_dir d);
/* Queues every attachment of this store whose blob we do not hold. */
GM_WUR enum gm_err blob_queue_missing(struct store *st, const char *dir);

#endif
