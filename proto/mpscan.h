/*
 * mpscan.h - structural check of untrusted msgpack before it is unpacked.
 *
 * msgpack-c allocates a container's element array as soon as it reads the
 * container's header, so a 5-byte body claiming a 100-million-element array
 * makes it reserve gigabytes.  mpscan walks the bytes first, without
 * allocating, and refuses input whose containers claim more elements than
 * there are bytes left, that nests deeper than `max_depth`, that holds a
 * type gridmesh never uses (ext), or that is not exactly one object long.
 */
#ifndef GM_MPSCAN_H
#define GM_MPSCAN_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

GM_WUR enum gm_err mpscan_check(const uint8_t *p, size_t len, unsigned max_depth);
/*
 * The same checks on the first object of p[0, len) only; *used gets its
 * size.  Lets a reader find object boundaries in a run of objects without
 * unpacking them.
 */
GM_WUR enum gm_err mpscan_first(const uint8_t *p, size_t len, unsigned max_depth, size_t *used);

#endif
