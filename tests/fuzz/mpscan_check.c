/*
 * mpscan_check.c - fuzzes the structural msgpack check that guards every
 * decoder, against msgpack-c itself: whatever mpscan_check accepts,
 * msgpack_unpack_next must unpack whole (the decoders rely on it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <msgpack.h>
#include "fuzz.h"
#include "../../proto/mpscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	/* the first byte picks the depth limit, as callers use 3 to 8 */
	unsigned depth = data[0] % 12;
	data++;
	size--;
	if (mpscan_check(data, size, depth) != GM_OK)
		return 0;
	msgpack_unpacked up;
	size_t off = 0;
	msgpack_unpacked_init(&up);
	msgpack_unpack_return r = msgpack_unpack_next(&up, (const char *)data, size, &off);
	if (r != MSGPACK_UNPACK_SUCCESS || off != size) {
		fuzz_fail("mpscan_check accepted what msgpack-c refuses (%d, %zu of %zu)", (int)r,
			  off, size);
	}
	msgpack_unpacked_destroy(&up);
	return 0;
}
