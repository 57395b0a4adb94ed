/*
 * batch_decode.c - fuzzes batch_decode (a batch from a peer or an import
 * file), and checks the codec on whatever decodes: re-encoding a decoded
 * batch must succeed, decode to the same batch, and be canonical (the
 * same bytes when encoded again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../proto/batch.h"

static bool same_str(const char *a, uint32_t al, const char *b, uint32_t bl)
{
	if (!a || !b)
		return a == b;
	return al == bl && memcmp(a, b, al) == 0;
}

static void compare(const struct batch *a, const struct batch *b)
{
	if (a->base_t != b->base_t || a->ngroups != b->ngroups)
		fuzz_fail("header differs after a round trip");
	for (uint32_t g = 0; g < a->ngroups; g++) {
		const struct batch_group *x = &a->groups[g], *y = &b->groups[g];
		if (!same_str(x->table, x->tablelen, y->table, y->tablelen) ||
		    x->nfields != y->nfields || x->n != y->n)
			fuzz_fail("group differs after a round trip");
		for (uint32_t j = 0; j < x->nfields; j++)
			if (!same_str(x->fields[j], x->fieldlens[j], y->fields[j], y->fieldlens[j]))
				fuzz_fail("field name differs after a round trip");
		for (uint32_t i = 0; i < x->n; i++) {
			const struct batch_change *c = &x->ch[i], *d = &y->ch[i];
			if (!same_str(c->key, c->keylen, d->key, d->keylen) || c->t != d->t ||
			    c->seen != d->seen || c->mask != d->mask || c->del != d->del ||
			    !same_str(c->actor, c->actorlen, d->actor, d->actorlen) ||
			    !same_str(c->note, c->notelen, d->note, d->notelen))
				fuzz_fail("change differs after a round trip");
			for (unsigned k = 0; k < batch_popcount(c->mask); k++)
				if (!gm_value_eq(&c->vals[k], &d->vals[k]))
					fuzz_fail("value differs after a round trip");
		}
	}
}

/* Envelope (unsigned) around the re-encoded payload of b. */
static void encode(const struct batch *b, struct gm_buf *payload, struct gm_buf *env)
{
	struct batch_env e = b->env;
	gm_buf_reset(payload);
	if (batch_encode_payload(b, payload) != GM_OK)
		fuzz_fail("a decoded batch does not encode");
	/* the payload may legitimately outgrow the limits (float32 -> float64) */
	if (batch_env_encode(&e, payload->p, payload->len, env) != GM_OK)
		return;
	batch_env_finish(env, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch *b, *b2 = NULL;
	struct gm_buf payload, env, env2;

	if (batch_decode(data, size, &b) != GM_OK)
		return 0;
	gm_buf_init(&payload);
	gm_buf_init(&env);
	gm_buf_init(&env2);
	encode(b, &payload, &env);
	if (env.len) {
		if (batch_decode(env.p, env.len, &b2) != GM_OK)
			fuzz_fail("a re-encoded batch does not decode");
		compare(b, b2);
		encode(b2, &payload, &env2);
		if (env2.len != env.len || memcmp(env.p, env2.p, env.len) != 0)
			fuzz_fail("encoding is not canonical");
		batch_free(b2);
	}
	gm_buf_free(&payload);
	gm_buf_free(&env);
	gm_buf_free(&env2);
	batch_free(b);
	return 0;
}
