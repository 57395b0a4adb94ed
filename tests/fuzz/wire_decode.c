/*
 * wire_decode.c - fuzzes the small sync messages of proto/wire.h (bodies
 * of v1/reg, the bell and registration replies, push acks, blob states):
 * every input goes to each of the four decoders.  Whatever decodes must
 * encode, decode again to the same values, and encode to the same bytes
 * a second time (the encoders are canonical).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../proto/wire.h"

/* One message type: its decoder, encoder and comparison, on a struct. */
struct msg {
	const char *name;
	enum gm_err (*decode)(const uint8_t *p, size_t len, void *out);
	enum gm_err (*encode)(struct gm_buf *b, const void *in);
	bool (*same)(const void *a, const void *b);
};

static enum gm_err reg_dec(const uint8_t *p, size_t len, void *o) { return wire_reg_decode(p, len, o); }
static enum gm_err reg_enc(struct gm_buf *b, const void *i) { return wire_reg_encode(b, i); }
static bool reg_same(const void *x, const void *y)
{
	const struct wire_reg *a = x, *b = y;
	return !memcmp(a->code, b->code, sizeof(a->code)) && a->level == b->level &&
	       !memcmp(a->version, b->version, sizeof(a->version)) && a->lifetime == b->lifetime;
}

static enum gm_err hello_dec(const uint8_t *p, size_t len, void *o) { return wire_hello_decode(p, len, o); }
static enum gm_err hello_enc(struct gm_buf *b, const void *i) { return wire_hello_encode(b, i); }
static bool hello_same(const void *x, const void *y)
{
	const struct wire_hello *a = x, *b = y;
	return !memcmp(a->code, b->code, sizeof(a->code)) && a->boot == b->boot &&
	       a->head == b->head && a->log_head == b->log_head;
}

static enum gm_err ack_dec(const uint8_t *p, size_t len, void *o) { return wire_ack_decode(p, len, o); }
static enum gm_err ack_enc(struct gm_buf *b, const void *i) { return wire_ack_encode(b, i); }
static bool ack_same(const void *x, const void *y)
{
	const struct wire_ack *a = x, *b = y;
	return a->acked == b->acked && a->applied == b->applied && a->refused == b->refused;
}

static enum gm_err blob_dec(const uint8_t *p, size_t len, void *o) { return wire_blob_decode(p, len, o); }
static enum gm_err blob_enc(struct gm_buf *b, const void *i) { return wire_blob_encode(b, i); }
static bool blob_same(const void *x, const void *y)
{
	const struct wire_blob *a = x, *b = y;
	return a->have == b->have && a->complete == b->complete;
}

static const struct msg msgs[] = {
	{ "registration", reg_dec, reg_enc, reg_same },
	{ "hello", hello_dec, hello_enc, hello_same },
	{ "ack", ack_dec, ack_enc, ack_same },
	{ "blob state", blob_dec, blob_enc, blob_same },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union {
		struct wire_reg r;
		struct wire_hello h;
		struct wire_ack a;
		struct wire_blob b;
	} v1, v2;
	struct gm_buf e1, e2;

	gm_buf_init(&e1);
	gm_buf_init(&e2);
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		const struct msg *m = &msgs[i];
		memset(&v1, 0, sizeof(v1));
		memset(&v2, 0, sizeof(v2));
		if (m->decode(data, size, &v1) != GM_OK)
			continue;
		gm_buf_reset(&e1);
		gm_buf_reset(&e2);
		if (m->encode(&e1, &v1) != GM_OK)
			fuzz_fail("a decoded %s does not encode", m->name);
		if (m->decode(e1.p, e1.len, &v2) != GM_OK)
			fuzz_fail("a re-encoded %s does not decode", m->name);
		if (!m->same(&v1, &v2))
			fuzz_fail("%s differs after a round trip", m->name);
		if (m->encode(&e2, &v2) != GM_OK || e1.len != e2.len || memcmp(e1.p, e2.p, e1.len))
			fuzz_fail("%s encoding is not canonical", m->name);
	}
	gm_buf_free(&e1);
	gm_buf_free(&e2);
	return 0;
}
