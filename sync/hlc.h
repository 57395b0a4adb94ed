/*
 * hlc.h - hybrid logical clock.
 *
 * A timestamp is one uint64: the top 48 bits are milliseconds since the Unix
 * epoch, the low 16 bits a counter that orders events within a millisecond.
 * Timestamps a node issues strictly increase, stay close to wall time, and
 * after a node has seen a remote timestamp every local one is larger, so
 * "newer" in a merge follows causality.  Ties between nodes are broken by
 * node id (struct clk, below).  The caller supplies wall time, so the clock
 * is pure and testable.
 */
#ifndef GM_HLC_H
#define GM_HLC_H

#include <stdint.h>
#include <stdbool.h>
#include "../proto/err.h"

#define HLC_DEFAULT_MAX_DRIFT_MS 60000u

struct hlc {
	uint64_t last;          /* newest timestamp issued or seen */
	uint64_t max_drift_ms;  /* how far ahead of our wall clock a peer may be */
};

/* One field's clock: who wrote it and when.  Zero = never written. */
struct clk {
	uint64_t t;
	uint64_t node;
};

static inline uint64_t hlc_ms(uint64_t t) { return t >> 16; }
static inline uint64_t hlc_from_ms(uint64_t ms) { return ms << 16; }

void hlc_init(struct hlc *h, uint64_t last, uint64_t max_drift_ms);

/* A new timestamp for a local event; strictly greater than any before. */
uint64_t hlc_now(struct hlc *h, uint64_t wall_ms);

/*
 * Takes note of a remote timestamp.  Refuses (GM_E_CLOCK, clock unchanged)
 * one more than max_drift_ms ahead of `wall_ms`: adopting it would drag our
 * clock, and every clock that syncs with us, into the future.
 */
GM_WUR enum gm_err hlc_recv(struct hlc *h, uint64_t remote, uint64_t wall_ms);

/* Total order on clocks: timestamp, then node id.  <0, 0, >0. */
static inline int clk_cmp(struct clk a, struct clk b)
{
	if (a.t != b.t)
		return a.t < b.t ? -1 : 1;
	if (a.node != b.node)
		return a.node < b.node ? -1 : 1;
	return 0;
}

static inline bool clk_zero(struct clk a) { return a.t == 0 && a.node == 0; }

/* Wall clock in ms (CLOCK_REALTIME). */
uint64_t hlc_wall_ms(void);

#endif
