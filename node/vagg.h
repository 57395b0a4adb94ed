/*
 * vagg.h - a group-by table for the views: groups keyed by a byte string,
 * each with a fixed number of int64 counters.
 *
 * The views stream rows out of SQLite and count them here instead of using
 * SQL GROUP BY: a hash lookup per row is several times cheaper than
 * SQLite's sorter, which matters when a city node counts a hundred thousand
 * open tickets while the admin waits.  Keys are built with vagg_key_*;
 * vagg_sort orders groups by their keys (NULL < integer < text, integers
 * by value, text bytewise) so that answers are stable.
 */
#ifndef GM_VAGG_H
#define GM_VAGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vagg;

/* A key under construction (fixed buffer; long texts are cut at 255). */
struct vagg_key {
	uint8_t b[1100];
	size_t n;
};

static inline void vagg_key_reset(struct vagg_key *k)
{
	k->n = 0;
}
void vagg_key_null(struct vagg_key *k);
void vagg_key_int(struct vagg_key *k, int64_t v);
void vagg_key_text(struct vagg_key *k, const char *s, size_t len);

/* One part of a stored key, for output. */
struct vagg_part {
	enum { VAGG_NULL, VAGG_INT, VAGG_TEXT } type;
	int64_t i;
	const char *s;
	size_t len;
};
/* Decodes part `idx` of a key; false if it has fewer parts. */
bool vagg_key_part(const uint8_t *key, size_t len, unsigned idx, struct vagg_part *out);

/* NULL on allocation failure. */
struct vagg *vagg_new(unsigned ncounts);
void vagg_free(struct vagg *a);
/* The counters of the group with this key, created zeroed if new; NULL
 * on allocation failure. */
int64_t *vagg_get(struct vagg *a, const struct vagg_key *k);
size_t vagg_size(const struct vagg *a);
/* Orders the groups by key; then vagg_at(i) walks them in order. */
void vagg_sort(struct vagg *a);
const uint8_t *vagg_at(const struct vagg *a, size_t i, size_t *keylen, int64_t **counts);

#endif
