/*
 * batch_env_decode.c - fuzzes batch_env_decode, what a relay reads to
 * route and verify a batch without opening it.  Whatever decodes must
 * point inside the input: the payload, the signature and the signed
 * prefix are read through (ASan checks the bounds).
 */
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "../../proto/batch.h"

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t len)
{
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= p[i];
	sink = x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct batch_env env;
	if (batch_env_decode(data, size, &env) != GM_OK)
		return 0;
	if (env.signed_len > size || env.payload < data ||
	    env.payload + env.paylen > data + size || (env.sig && env.sig + BATCH_SIG_BYTES !=
						       data + size)) {
		fuzz_fail("envelope pointers outside the input");
	}
	touch(env.payload, env.paylen);
	touch((const uint8_t *)env.scope, env.scopelen);
	if (env.sig)
		touch(env.sig, BATCH_SIG_BYTES);
	return 0;
}
