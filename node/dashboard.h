/*
 * dashboard.h - the command centre's page: one self-contained HTML file.
 *
 * Everything is inline (CSS, SVG, a few lines of plain script): the page
 * makes no network request and needs no framework, so it can be mailed,
 * put on a share or opened from a USB stick.  It shows, as of `now`:
 *   - KPI tiles: tickets, open, overdue, closure rate, on-time closure
 *     rate, assets not in normal state;
 *   - tickets by status and by event class (SVG bar charts);
 *   - opened and closed per day (SVG lines, the last 120 days with data);
 *   - the most overdue open tickets (a table);
 *   - a heat table of the busiest grids (open, overdue, closed, rates);
 *   - a map-like scatter of ticket locations (at most 6,000 points,
 *     every open one first), open red, overdue dark red, closed grey.
 * All text from the store is HTML-escaped.  The inline script makes the
 * tables sortable and sets data-gm-ready="1" on <body> when it has run
 * (what the browser test looks for).
 */
#ifndef GM_DASHBOARD_H
#define GM_DASHBOARD_H

#include <stdint.h>
#include <stdio.h>
#include "../proto/err.h"

struct store;

/* Writes the page to `out`; now = 0: the store's clock.  GM_E_IO if a
 * write failed. */
GM_WUR enum gm_err dashboard_write(struct store *st, FILE *out, int64_t now);

#endif
