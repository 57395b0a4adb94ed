/*
 * batch.h - the change batch: what one origin says about the records of one
 * scope, encoded once and forwarded whole.
 *
 * A batch is an envelope (who, which scope, how many changes, newest clock,
 * signature) around a payload (the changes, column by column).  The payload
 * is msgpack, version 1, laid out so that nothing a batch can say once is
 * said per change:
 *
 *   payload = [ base_t, [ group... ] ]
 *   group   = [ table, [field name...], n,
 *               [key...],                 n keys (str)
 *               [t - prev_t...],          clocks, delta from the previous one
 *                                         (prev of each group's first is base_t)
 *               [t - seen | 0...],        0: the writer had no older value
 *               [mask << 1 | del...],     bit j of mask: field j is set
 *               [actor...], [actor index + 1 | 0...],
 *               [note | nil...],
 *               [[value...] per field] ]  values of field j, in change order
 *
 *   envelope = [ 1, origin, bseq, scope, class, nchanges, tmax,
 *                comp, rawlen, payload (bin), sig (bin 64 | nil) ]
 *
 * The encoding is canonical: the same batch always gives the same bytes
 * (groups and changes in the order given, dictionaries in order of first
 * use, shortest msgpack forms).  `comp` is 0 (raw) or 1 (zstd); the
 * signature covers every envelope byte before the sig element, so a relay
 * can verify and forward a batch without touching it.
 *
 * Decoding never trusts its input: it checks structure before unpacking
 * (mpscan), bounds every count and length (BATCH_MAX_*), refuses unknown
 * versions, and returns an error rather than reading out of bounds.
 */
#ifndef GM_BATCH_H
#define GM_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "err.h"
#include "value.h"
#include "buf.h"

#define BATCH_VERSION 1
#define BATCH_MAX_FIELDS 60           /* per table: the mask is 61 bits */
#define BATCH_MAX_GROUPS 64
/*
 * Decoding unpacks up to 67 msgpack objects of 24 bytes per declared
 * change, so this bounds what a hostile batch can make a node allocate
 * (about 110 MB).  Sealers make batches of at most 20,000 changes.
 */
#define BATCH_MAX_CHANGES 65536
#define BATCH_MAX_ENVELOPE (16u << 20) /* bytes on the wire */
#define BATCH_MAX_RAW (64u << 20)      /* payload after decompression */
#define BATCH_MAX_TEXT 65535
#define BATCH_MAX_KEY 255
#define BATCH_SIG_BYTES 64

enum batch_comp { BATCH_RAW = 0, BATCH_ZSTD = 1 };

struct batch_change {
	const char *key;
	uint32_t keylen;
	uint64_t t;            /* HLC of the change at its origin */
	uint64_t seen;         /* newest clock the writer overwrote; 0 = none */
	uint64_t mask;         /* bit j: group field j is set */
	bool del;              /* tombstone: the record is deleted */
	const char *actor;     /* who made it, NULL if unknown */
	uint32_t actorlen;
	const char *note;      /* comment, NULL if none */
	uint32_t notelen;
	struct gm_value *vals; /* popcount(mask) values, in field order */
};

struct batch_group {
	const char *table;
	uint32_t tablelen;
	uint32_t nfields;
	const char **fields;   /* field names */
	uint32_t *fieldlens;
	uint32_t n;
	struct batch_change *ch;
};

/* What the envelope says; payload fields are valid only after decoding. */
struct batch_env {
	uint64_t origin;        /* node id (node_id_from_code) */
	uint64_t bseq;          /* origin's batch number */
	const char *scope;
	uint32_t scopelen;
	uint8_t cls;            /* replication class (sync/schema.h) */
	uint32_t nchanges;
	uint64_t tmax;          /* newest clock inside */
	uint8_t comp;
	uint32_t rawlen;
	const uint8_t *payload;
	uint32_t paylen;
	const uint8_t *sig;     /* BATCH_SIG_BYTES or NULL */
	size_t signed_len;      /* sig covers bytes [0, signed_len) */
};

struct batch {
	struct batch_env env;
	uint64_t base_t;
	uint32_t ngroups;
	struct batch_group *groups;
	void *priv;             /* decoder-owned memory */
};

/*
 * Encodes the payload of `b` (groups and base_t) as version-1 msgpack into
 * `out` (appended).  Fails with GM_E_INVAL on limits exceeded.
 */
GM_WUR enum gm_err batch_encode_payload(const struct batch *b, struct gm_buf *out);

/*
 * Encodes an envelope around `payload` into `out` (reset first), compressing
 * it with zstd when that saves bytes.  env->comp, rawlen, payload and
 * signed_len are filled in here; origin, bseq, scope, cls, nchanges and
 * tmax come from the caller.  The sig element is not written: call
 * batch_env_finish() with the signature (or NULL) over out[0, signed_len).
 */
GM_WUR enum gm_err batch_env_encode(struct batch_env *env, const uint8_t *payload,
				    size_t paylen, struct gm_buf *out);
void batch_env_finish(struct gm_buf *out, const uint8_t *sig);

/*
 * Decodes only the envelope of `p` (no decompression): fast enough to route
 * and verify a batch.  Pointers in `env` point into `p`.
 */
GM_WUR enum gm_err batch_env_decode(const uint8_t *p, size_t len, struct batch_env *env);

/*
 * Decodes a whole batch.  On success `*out` is a new batch that points into
 * `p` (which must outlive it) and into memory it owns; free it with
 * batch_free().  On failure *out is NULL.
 */
GM_WUR enum gm_err batch_decode(const uint8_t *p, size_t len, struct batch **out);
void batch_free(struct batch *b);

/* Number of set bits: how many values a change carries. */
static inline unsigned batch_popcount(uint64_t m)
{
	return (unsigned)__builtin_popcountll(m);
}

#endif
