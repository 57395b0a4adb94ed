/*
 * senml.h - Sensor Measurement Lists (RFC 8428) from devices, resolved.
 *
 * Two representations: JSON (content-format 110, parsed with jansson) and
 * CBOR (content-format 112, libcbor's streaming decoder: no item tree, no
 * recursion, so a hostile body costs no more than its bytes).  Both give
 * the same resolved records (RFC 8428 section 4.6):
 *   - base fields (bn, bt, bu, bv, bs, bver) apply to their own record and
 *     every later one until another of the same name;
 *   - name = bn + n, time = bt + t, value = bv + v (numeric values only),
 *     sum = bs + s, unit = u, else bu;
 *   - a resolved time under 2^28 is relative to `now` (t = -5 is five
 *     seconds ago); a record without any time is `now`.
 *
 * Refused, GM_E_MALFORMED with the reason in `why` (record numbers count
 * from 1): bytes that do not decode; anything but an array of objects
 * (maps); a known field of the wrong type, or twice in one record; a
 * resolved name empty, over SENML_NAME_MAX, not starting with a letter or
 * digit, or holding characters other than letters, digits and "-:./_"; a
 * record with no value (v, vs, vb, vd) and no sum, or with two values;
 * bver not a whole number from 1 to 10; an unknown field ending in "_"
 * (must-understand, section 4.4); numbers that are not finite or beyond
 * +-1e15; a negative resolved time; in CBOR, containers as field values,
 * indefinite-length strings, tags and trailing bytes.  GM_E_TOOBIG: more
 * than SENML_MAX_RECORDS records, a string over SENML_TEXT_MAX bytes.
 * Unknown fields without the "_" are ignored, as the RFC says.
 *
 * Whether a value makes sense for the device (range, unit, time ahead of
 * the clock) is the caller's business (node/devalarm.h).
 */
#ifndef GM_SENML_H
#define GM_SENML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/arena.h"
#include "../proto/err.h"

#define SENML_CT_JSON 110
#define SENML_CT_CBOR 112
#define SENML_MAX_RECORDS 256
#define SENML_NAME_MAX 128
#define SENML_TEXT_MAX 512
#define SENML_VERSION 10          /* RFC 8428 */
#define SENML_REL_TIME 268435456.0 /* 2^28: below this a time is relative */

enum senml_kind { SENML_NONE = 0, SENML_NUM, SENML_STR, SENML_BOOL, SENML_DATA };

struct senml_rec {
	const char *name;          /* resolved; owned by the pack */
	const char *unit;          /* "" when none */
	enum senml_kind kind;      /* NONE: a sum only */
	double v;                  /* NUM: base value added; BOOL: 1 or 0 */
	const char *vs;            /* STR: the text; DATA: NULL (not kept) */
	bool vb;
	bool has_sum;
	double sum;
	double t;                  /* absolute, unix seconds */
};

struct senml_pack {
	struct senml_rec *rec;
	size_t n;
	struct arena arena;        /* records and their text */
};

/*
 * Parses and resolves `len` bytes of content-format `ct` (SENML_CT_JSON
 * or SENML_CT_CBOR; anything else is GM_E_INVAL).  On success *out holds
 * at least one record (free with senml_pack_free); on failure nothing
 * needs freeing and `why` says what is wrong, in one line.
 */
GM_WUR enum gm_err senml_parse(const uint8_t *body, size_t len, unsigned ct, double now,
			       struct senml_pack *out, char *why, size_t whylen);
void senml_pack_free(struct senml_pack *p);

/* The part of a resolved name after its last ':' or '/' ("level" of
 * "urn:dev:mac:0024befffe804ff1:level"): what a device's quantity is
 * matched on. */
const char *senml_quantity(const char *name);

#endif
