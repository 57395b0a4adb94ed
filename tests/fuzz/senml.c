/*
 * senml.c - fuzzes senml_parse (node/senml.h), the body of a device's
 * POST: every input is parsed as SenML JSON (110) and as SenML CBOR (112).
 *
 * Either parse fails with a one-line reason or gives 1 to
 * SENML_MAX_RECORDS records with clean names (a letter or digit first,
 * then letters, digits and "-:./_") and finite values and times.  A JSON
 * pack that parses, written as CBOR (tests/fuzz/fuzz_senml.c), parses to
 * the same records, unless it holds an array or object as the value of an
 * unknown field (ignored in JSON, refused in CBOR, as senml.h says).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../node/senml.h"

#define NOW ((double)(FUZZ_GEN_WALL_MS / 1000))

static void check(const struct senml_pack *p, const char *ct)
{
	if (p->n < 1 || p->n > SENML_MAX_RECORDS)
		fuzz_fail("%s: %zu records", ct, p->n);
	for (size_t i = 0; i < p->n; i++) {
		const struct senml_rec *r = &p->rec[i];
		size_t n = strlen(r->name);
		if (!n || n > SENML_NAME_MAX ||
		    strspn(r->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			   "-:./_") != n || strchr("-:./_", r->name[0]))
			fuzz_fail("%s: record %zu: name '%s'", ct, i + 1, r->name);
		if (!r->unit || !isfinite(r->v) || !isfinite(r->t) || r->t < 0 ||
		    (r->has_sum && !isfinite(r->sum)) || (r->kind == SENML_STR && !r->vs))
			fuzz_fail("%s: record %zu: a value that cannot be", ct, i + 1);
	}
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void compare(const struct senml_pack *a, const struct senml_pack *b)
{
	if (a->n != b->n)
		fuzz_fail("JSON gives %zu records, CBOR %zu", a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct senml_rec *x = &a->rec[i], *y = &b->rec[i];
		if (strcmp(x->name, y->name) || strcmp(x->unit, y->unit) || x->kind != y->kind ||
		    x->v != y->v || !same_str(x->vs, y->vs) || x->vb != y->vb ||
		    x->has_sum != y->has_sum || (x->has_sum && x->sum != y->sum) || x->t != y->t)
			fuzz_fail("record %zu differs between JSON and CBOR", i + 1);
	}
}

/* An array or object as a field's value (only an unknown field gets past JSON). */
static bool container_values(json_t *pack)
{
	const char *key;
	json_t *v;
	for (size_t i = 0; i < json_array_size(pack); i++)
		json_object_foreach(json_array_get(pack, i), key, v)
			if (json_is_object(v) || json_is_array(v))
				return true;
	return false;
}

static void parse(const uint8_t *data, size_t size, unsigned ct, struct senml_pack *p,
		  enum gm_err *e)
{
	char why[256] = "";
	*e = senml_parse(data, size, ct, NOW, p, why, sizeof(why));
	if (*e) {
		if (!why[0])
			fuzz_fail("content-format %u: refused without a reason", ct);
		fuzz_one_line(why);
	} else {
		check(p, ct == SENML_CT_JSON ? "JSON" : "CBOR");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct senml_pack pj, pc;
	enum gm_err ej, ec;

	parse(data, size, SENML_CT_CBOR, &pc, &ec);
	if (!ec)
		senml_pack_free(&pc);
	parse(data, size, SENML_CT_JSON, &pj, &ej);
	if (ej)
		return 0;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct gm_buf b;
	gm_buf_init(&b);
	if (!j)
		fuzz_fail("senml took JSON that jansson does not");
	fuzz_senml_cbor(j, &b);
	parse(b.p, b.len, SENML_CT_CBOR, &pc, &ec);
	if (container_values(j)) {
		if (!ec)
			fuzz_fail("CBOR took an array or object as a value");
	} else if (ec) {
		fuzz_fail("JSON parses, the same pack in CBOR does not");
	} else {
		compare(&pj, &pc);
	}
	if (!ec)
		senml_pack_free(&pc);
	json_decref(j);
	gm_buf_free(&b);
	senml_pack_free(&pj);
	return 0;
}
