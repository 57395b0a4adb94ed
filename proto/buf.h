/*
 * buf.h - a growable byte buffer, and a msgpack packer that writes into it.
 *
 * The buffer owns its memory; gm_buf_free() releases it and leaves an empty
 * buffer that may be reused.  Appends that fail to grow the buffer set the
 * sticky `oom` flag instead of returning an error at every call site: check
 * it once after a run of appends.
 */
#ifndef GM_BUF_H
#define GM_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <msgpack.h>

struct gm_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool oom;
};

void gm_buf_init(struct gm_buf *b);
void gm_buf_free(struct gm_buf *b);
void gm_buf_reset(struct gm_buf *b);            /* len = 0, keeps memory */
bool gm_buf_reserve(struct gm_buf *b, size_t extra);
void gm_buf_append(struct gm_buf *b, const void *data, size_t len);
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
uint8_t *gm_buf_steal(struct gm_buf *b, size_t *len);

/* A msgpack_packer whose output goes to `b`. */
void gm_buf_packer(struct gm_buf *b, msgpack_packer *pk);

/* Convenience: pack a string given as pointer and length. */
void gm_pack_str(msgpack_packer *pk, const char *s, size_t len);
void gm_pack_cstr(msgpack_packer *pk, const char *s);

#endif
