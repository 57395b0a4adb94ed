/*
 * fuzz_senml.c - SenML JSON into SenML CBOR (RFC 8428 section 6), for the
 * senml harness's differential check and for its CBOR seeds: known field
 * names become their integer labels, everything else keeps its JSON type
 * (objects and arrays included, which SenML CBOR refuses as values).
 */
#include <cbor.h>
#include <string.h>
#include "fuzz.h"

static const struct {
	const char *name;
	int label;
} labels[] = {
	{ "bver", -1 }, { "bn", -2 }, { "bt", -3 }, { "bu", -4 }, { "bv", -5 }, { "bs", -6 },
	{ "n", 0 },     { "u", 1 },   { "v", 2 },   { "vs", 3 },  { "vb", 4 },  { "s", 5 },
	{ "t", 6 },     { "ut", 7 },  { "vd", 8 },
};

/* Appends one encoded head; libcbor needs at most 9 bytes for any. */
#define HEAD(b, call)                                    \
	do {                                             \
		unsigned char h_[9];                     \
		size_t n_ = call;                        \
		gm_buf_append(b, h_, n_);                \
	} while (0)

static void text(struct gm_buf *b, const char *s, size_t len)
{
	HEAD(b, cbor_encode_string_start(len, h_, sizeof(h_)));
	gm_buf_append(b, s, len);
}

static void integer(struct gm_buf *b, int64_t v)
{
	if (v >= 0)
		HEAD(b, cbor_encode_uint((uint64_t)v, h_, sizeof(h_)));
	else
		HEAD(b, cbor_encode_negint((uint64_t)(-1 - v), h_, sizeof(h_)));
}

static void item(struct gm_buf *b, json_t *j, bool record)
{
	const char *key;
	json_t *v;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		HEAD(b, cbor_encode_map_start(json_object_size(j), h_, sizeof(h_)));
		json_object_foreach(j, key, v) {
			size_t i = 0, n = sizeof(labels) / sizeof(labels[0]);
			while (record && i < n && strcmp(labels[i].name, key))
				i++;
			if (record && i < n)
				integer(b, labels[i].label);
			else
				text(b, key, strlen(key));
			item(b, v, false);
		}
		break;
	case JSON_ARRAY:
		HEAD(b, cbor_encode_array_start(json_array_size(j), h_, sizeof(h_)));
		for (size_t i = 0; i < json_array_size(j); i++)
			item(b, json_array_get(j, i), false);
		break;
	case JSON_STRING:
		text(b, json_string_value(j), json_string_length(j));
		break;
	case JSON_INTEGER:
		integer(b, json_integer_value(j));
		break;
	case JSON_REAL:
		HEAD(b, cbor_encode_double(json_real_value(j), h_, sizeof(h_)));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		HEAD(b, cbor_encode_bool(json_is_true(j), h_, sizeof(h_)));
		break;
	case JSON_NULL:
		HEAD(b, cbor_encode_null(h_, sizeof(h_)));
		break;
	}
}

void fuzz_senml_cbor(json_t *pack, struct gm_buf *out)
{
	gm_buf_reset(out);
	if (!json_is_array(pack)) {
		item(out, pack, false);
		return;
	}
	HEAD(out, cbor_encode_array_start(json_array_size(pack), h_, sizeof(h_)));
	for (size_t i = 0; i < json_array_size(pack); i++) {
		json_t *r = json_array_get(pack, i);
		item(out, r, json_is_object(r));
	}
}
