/*
 * wire.h - the small messages of the sync protocol (docs/protocol.md),
 * besides bundles of batches (bundle.h).  All are msgpack arrays led by a
 * version number; decoders refuse other versions and malformed input.
 *
 *   registration  child -> parent  POST v1/reg
 *       [1, code, level, software version, lifetime s]
 *   registration reply / bell notification  parent -> child
 *       [1, parent code, boot id, head, log head]
 *   push reply  parent -> child  (2.04 to POST v1/up)
 *       [1, acked cursor, batches applied, batches refused]
 *   blob state  (reply to GET v1/blob without a range, and to POST v1/blob)
 *       [1, bytes held, complete]
 *
 * `boot id` changes whenever the parent restarts, so a child knows its
 * observation is gone; `head` is the parent's newest batch for the child,
 * so a child pulls only when there is something to pull; `log head` is the
 * parent's newest batch of all, so a child sees when its parent's log went
 * backwards (restored from a backup) and sends everything again.
 */
#ifndef GM_WIRE_H
#define GM_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "err.h"
#include "buf.h"

#define WIRE_VERSION 1

struct wire_reg {
	char code[16];
	uint8_t level;
	char version[32];
	uint32_t lifetime;
};

struct wire_hello {
	char code[16];
	uint64_t boot;
	int64_t head;
	int64_t log_head;
};

struct wire_ack {
	int64_t acked;
	uint32_t applied;
	uint32_t refused;
};

struct wire_blob {
	uint64_t have;
	bool complete;
};

GM_WUR enum gm_err wire_blob_encode(struct gm_buf *b, const struct wire_blob *w);
GM_WUR enum gm_err wire_blob_decode(const uint8_t *p, size_t len, struct wire_blob *w);
GM_WUR enum gm_err wire_reg_encode(struct gm_buf *b, const struct wire_reg *r);
GM_WUR enum gm_err wire_reg_decode(const uint8_t *p, size_t len, struct wire_reg *r);
GM_WUR enum gm_err wire_hello_encode(struct gm_buf *b, const struct wire_hello *h);
GM_WUR enum gm_err wire_hello_decode(const uint8_t *p, size_t len, struct wire_hello *h);
GM_WUR enum gm_err wire_ack_encode(struct gm_buf *b, const struct wire_ack *a);
GM_WUR enum gm_err wire_ack_decode(const uint8_t *p, size_t len, struct wire_ack *a);

#endif
