/*
 * syncreq.h - the query string of a child's request (docs/protocol.md),
 * read apart from the CoAP session so that it can be tested and fuzzed
 * alone; node/server.c answers by what it says.
 *
 *   c=CODE   the child: a direct child of the node answering (code_is_parent)
 *   a=N      pull cursor, 0 to INT64_MAX           (v1/down)
 *   own=1    a restored child reclaims its own batches (v1/down)
 *   h=HEX    a blob's hash, 64 lowercase hex digits (v1/blob)
 *   o=N n=N t=N   offset, length, total size, 0 to UINT64_MAX (v1/blob)
 *
 * Keys are separated by '&' (libcoap joins Uri-Query options so); the
 * first occurrence of a key counts, unknown keys are ignored.  Numbers are
 * plain decimal digits: no sign, no spaces, nothing past the range.  Each
 * key's bit is set in `has` when it is present and well-formed, in `bad`
 * when it is present and not (own= other than 1 counts as absent).
 */
#ifndef GM_SYNCREQ_H
#define GM_SYNCREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "blobs.h"
#include "../sync/scope.h"

enum {
	SR_CODE = 1u << 0,
	SR_AFTER = 1u << 1,
	SR_OWN = 1u << 2,
	SR_HASH = 1u << 3,
	SR_OFF = 1u << 4,
	SR_LEN = 1u << 5,
	SR_TOTAL = 1u << 6,
};

struct syncreq {
	char code[CODE_MAX + 1];     /* "" unless SR_CODE */
	char hash[BLOB_HEX + 1];     /* "" unless SR_HASH */
	int64_t after;               /* 0 unless SR_AFTER */
	uint64_t off, len, total;    /* 0 unless their bit */
	unsigned has, bad;
};

/* Reads query q[0, len) (NULL or empty: nothing) of a request to node `ours`. */
void syncreq_parse(const char *ours, const char *q, size_t len, struct syncreq *r);

/* The value of the first `key`=... in q[0, len): *val points into q. */
bool syncreq_find(const char *q, size_t len, const char *key, const char **val, size_t *vlen);

#endif
