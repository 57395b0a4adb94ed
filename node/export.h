/*
 * export.h - tickets and assets for map tools (GeoJSON) and spreadsheets
 * (CSV), streamed so that a city's million tickets need no big buffer.
 *
 * GeoJSON (RFC 7946): one FeatureCollection; every ticket and asset with a
 * location is a Point feature ([lon, lat]) whose properties are its fields
 * plus kind ("ticket" or "asset"), the class name, and for tickets `open`
 * and `overdue` (at `now`); times are ISO 8601 at the calendar's offset.
 * Records without a location are counted, not written.
 *
 * CSV (RFC 4180, quoted by libcsv): one row per ticket with the columns
 *   id, scope, category, category_name, title, descr, status, open,
 *   overdue, priority, source, assignee, address, lat, lon, created,
 *   deadline, closed
 * Reporter contact details are in neither.
 */
#ifndef GM_EXPORT_H
#define GM_EXPORT_H

#include <stdint.h>
#include <stdio.h>
#include "../proto/err.h"

struct store;

enum { EXPORT_TICKETS = 1, EXPORT_ASSETS = 2 };

struct export_stats {
	unsigned tickets, assets;   /* written */
	unsigned unlocated;         /* left out of GeoJSON: no location */
};

/* `what`: EXPORT_TICKETS | EXPORT_ASSETS; now = 0: the store's clock. */
GM_WUR enum gm_err export_geojson(struct store *st, FILE *out, unsigned what, int64_t now,
				  struct export_stats *stats);
GM_WUR enum gm_err export_csv(struct store *st, FILE *out, int64_t now,
			      struct export_stats *stats);

#endif
