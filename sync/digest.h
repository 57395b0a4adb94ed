/*
 * digest.h - canonical digest of replicated state.
 *
 * Feeds records, in (table, key) order, into BLAKE2b-256.  Each record is
 * hashed as the canonical msgpack of
 *     [table, key, scope, del_t, del_node, [[value, t, node] per column]]
 * (a deleted record hashes its tombstone and no columns).  Two nodes with
 * the same records, values and clocks get the same digest, whatever the
 * order in which they learnt them.  History and local bookkeeping are not
 * part of it.
 */
#ifndef GM_DIGEST_H
#define GM_DIGEST_H

#include <stdint.h>
#include <stddef.h>
#include <sodium.h>
#include "../proto/value.h"
#include "../proto/buf.h"
#include "lww.h"

#define DIGEST_BYTES 32

struct digest {
	crypto_generichash_state st;
	struct gm_buf scratch;
	uint64_t nrecords;
};

void digest_init(struct digest *d);
void digest_record(struct digest *d, const char *table, const char *key, size_t keylen,
		   const char *scope, size_t scopelen, const struct gm_value *vals,
		   const struct rowclk *rc, struct clk del);
/* Writes the digest and frees the scratch buffer. */
void digest_final(struct digest *d, uint8_t out[DIGEST_BYTES]);
void digest_hex(const uint8_t d[DIGEST_BYTES], char out[2 * DIGEST_BYTES + 1]);

#endif
