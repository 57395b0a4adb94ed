/*
 * lww.h - per-field last-writer-wins with permanent tombstones.
 *
 * Each record carries one clock per column (struct rowclk, stored packed
 * beside the row) and a tombstone clock.  The merge rule, the same on every
 * node, is:
 *
 *   - a field takes an incoming value iff the incoming clock is greater
 *     (timestamp, then node id) than the field's clock; equal = same write;
 *   - a delete wins over every update, concurrent or later: once a record
 *     is deleted it stays deleted, its field values are dropped and later
 *     updates to it are ignored.  Concurrent deletes keep the greatest
 *     clock.  We chose delete-wins because deletion in gridmesh is erasure
 *     (PIPL) or retirement of an asset: an offline edit must never bring a
 *     person's data back.  To reuse an id, create a new record.
 *
 * Because the outcome depends only on the set of clocks seen, never on the
 * order of arrival, replicas that saw the same changes hold the same rows.
 */
#ifndef GM_LWW_H
#define GM_LWW_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "hlc.h"

#define ROWCLK_MAX_COLS 60
#define ROWCLK_MAX_BLOB (1 + (ROWCLK_MAX_COLS + 1) * 17 + ROWCLK_MAX_COLS)

struct rowclk {
	uint8_t ncols;
	struct clk c[ROWCLK_MAX_COLS];
};

void rowclk_init(struct rowclk *rc, unsigned ncols);

/*
 * Packed form: k (1 byte), then k distinct clocks in order of first use by
 * column, each t (8 bytes LE) and a node tag: 0 = the node that owns the
 * record's scope (`home`, the usual writer), 1 = an 8-byte node id follows.
 * Then which column has which clock: with one clock, a bitmap of the
 * columns set ((ncols + 7) / 8 bytes); with several, one byte per column
 * (index of its clock, 0xff if never written).  A record inserted by its
 * own node costs 1 + 9 + 2 = 12 bytes for 13 columns.
 */
size_t rowclk_encode(const struct rowclk *rc, uint64_t home, uint8_t out[ROWCLK_MAX_BLOB]);
GM_WUR bool rowclk_decode(const uint8_t *p, size_t len, unsigned ncols, uint64_t home,
			  struct rowclk *rc);

struct lww_in {
	struct clk clk;
	uint64_t mask;        /* fields the change sets */
	bool del;
};

struct lww_out {
	uint64_t won;         /* fields that take the incoming value */
	bool deleted;         /* the record is a tombstone afterwards */
	struct clk del;       /* its tombstone clock (zero if live) */
	bool changed;         /* anything differs from before */
};

void lww_decide(const struct rowclk *rc, struct clk del, const struct lww_in *in,
		struct lww_out *out);

/* Newest clock among the fields in `mask`: what a local writer overwrites. */
uint64_t lww_seen(const struct rowclk *rc, uint64_t mask);

#endif
