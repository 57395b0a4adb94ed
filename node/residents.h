/*
 * residents.h - what nodes above a street may know of residents: per-grid
 * aggregates (brief section 3, data/README.md).
 *
 * For each grid, one replicated resident_agg record (scope = the grid):
 * number of residents and households, residents by age band (0-17,
 * 18-59, 60-79, 80+, from the birth year) and by tag.  Any count under 5
 * is suppressed (null), so no aggregate singles out a person.  The record
 * is recomputed from the grid's persons whenever they change, by whoever
 * holds them and the street key (the grid itself, or its street after a
 * push); it is written only when it differs, so an unchanged grid costs
 * nothing.
 */
#ifndef GM_RESIDENTS_H
#define GM_RESIDENTS_H

#include "../proto/err.h"

struct store;

#define RESIDENTS_MIN_COUNT 5

/* Recomputes grid's aggregate inside the caller's transaction. */
GM_WUR enum gm_err residents_refresh(struct store *st, const char *grid);
/* Same, in its own transaction, for every grid below a street node. */
GM_WUR enum gm_err residents_refresh_all(struct store *st);

#endif
