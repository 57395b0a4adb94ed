/*
 * mpscan.h - structural check of untrusted msgpack before it is unpacked.
 *
 * msgpack-c allocates a container's element array as soon as it reads the
 * container's header, so a 5-byte body claiming a 100-million-element array
 * makes it reserve gigabytes.  mpscan walks the bytes first, without
 * allocating, and refuses input whose containers claim more elements than
 * there are bytes left, that nests deeper than `max_depth`, that holds a
 * type gridmesh never uses (ext), or that is not exactly one object long
 * (mpscan_check) or does not start with one whole object (mpscan_prefix).
 */
#ifndef GM_MPSCAN_H
#define GM_MPSCAN_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

GM_WUR enum gm_err mpscan_check(const uint8_t *p, size_t len, unsigned max_depth);
/* The same, and refuses (GM_E_TOOBIG) more than max_objects objects in all:
 * msgpack-c spends a msgpack_object (24 bytes) on each, so a run of 1-byte
 * nils costs 24 times its length, and far more when it was compressed. */
GM_WUR enum gm_err mpscan_check_n(const uint8_t *p, size_t len, unsigned max_depth,
				  uint64_t max_objects);
/* The same for the one object at the start of p, which more bytes may
 * follow (a run of objects); *used gets its length. */
GM_WUR enum gm_err mpscan_prefix(const uint8_t *p, size_t len, unsigned max_depth, size_t *used);

#endif
