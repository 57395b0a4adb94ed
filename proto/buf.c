/* buf.c - growable byte buffer. */
#include <stdlib.h>
#include <string.h>
#include "buf.h"

void gm_buf_init(struct gm_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void gm_buf_free(struct gm_buf *b)
{
	free(b->p);
	gm_buf_init(b);
}

void gm_buf_reset(struct gm_buf *b)
{
	b->len = 0;
	b->oom = false;
}

bool gm_buf_reserve(struct gm_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return false;
	}
	if (b->len + extra <= b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + extra)
		ncap *= 2;
	uint8_t *np = realloc(b->p, ncap);
	if (!np) {
		b->oom = true;
		return false;
	}
	b->p = np;
	b->cap = ncap;
	return true;
}

void gm_buf_append(struct gm_buf *b, const void *data, size_t len)
{
	if (!len || !gm_buf_reserve(b, len))
		return;
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

uint8_t *gm_buf_steal(struct gm_buf *b, size_t *len)
{
	uint8_t *p = b->p;
	if (len)
		*len = b->len;
	gm_buf_init(b);
	return p;
}

static int buf_write(void *data, const char *buf, size_t len)
{
	struct gm_buf *b = data;
	gm_buf_append(b, buf, len);
	return b->oom ? -1 : 0;
}

void gm_buf_packer(struct gm_buf *b, msgpack_packer *pk)
{
	msgpack_packer_init(pk, b, buf_write);
}

void gm_pack_str(msgpack_packer *pk, const char *s, size_t len)
{
	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

void gm_pack_cstr(msgpack_packer *pk, const char *s)
{
	gm_pack_str(pk, s, strlen(s));
}
