/*
 * bundle.h - a run of batches in one body: an export file, or the body of
 * one sync exchange.
 *
 *   bundle = [ "gmb", 1, from (node code), after, upto, [batch (bin)...] ]
 *
 * `after` and `upto` are the sender's log cursors: the bundle holds what
 * the sender had in (after, upto] for the receiver, so the receiver can ask
 * for "after upto" next time.  Batches are carried byte for byte (each is
 * signed by its own origin); a bundle adds no signature of its own.
 */
#ifndef GM_BUNDLE_H
#define GM_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "buf.h"

#define BUNDLE_VERSION 1
#define BUNDLE_MAX_BATCHES 100000

struct bundle {
	char from[16];
	int64_t after;
	int64_t upto;
	uint32_t n;
	const uint8_t **body;   /* point into the decoded bytes */
	size_t *len;
	void *priv;
};

/* Encodes n batches (bodies[i], lens[i]) into out (appended). */
GM_WUR enum gm_err bundle_encode(struct gm_buf *out, const char *from, int64_t after,
				 int64_t upto, uint32_t n, const uint8_t *const *bodies,
				 const size_t *lens);

/* Decodes; *out points into p, which must outlive it.  Bodies larger than
 * max_len in total are refused (GM_E_TOOBIG). */
GM_WUR enum gm_err bundle_decode(const uint8_t *p, size_t len, size_t max_len,
				 struct bundle **out);
void bundle_free(struct bundle *b);

#endif
