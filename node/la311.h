/*
 * la311.h - importing MyLA311 service requests (the City of Los Angeles
 * open data export; data/la311-2020-01-requests.csv) as tickets.
 *
 * Mapping (see data/README.md for the columns):
 *   id         <node code>-LA<srnumber>, e.g. 4401-LA1-1523590121, so the
 *              source's number stays visible and a re-import finds it
 *   category   requesttype onto a GB/T 30428 event class (la311_category;
 *              Other: 0104)
 *   scope      below the importing node: district = the APC (area planning
 *              commission, 7 fixed numbers), street = the neighbourhood
 *              council number (nc), grid = the 0.01 degree lat/lon cell
 *              (3 digits of |lat|*100, 3 of |lon|*100); a level the row
 *              has no data for leaves the ticket one level up
 *   source     Call, Email, Letter, Council's Office -> hotline;
 *              Mobile App, Self Service -> citizen_app; Driver Self Report
 *              -> grid_worker (a crew in the field); anything else -> import
 *   assignee   owner (the agency: BOS, OCB, ...)
 *   history    created -> registered; serviced -> resolved; closed ->
 *              closed (closed = closeddate, else updateddate);
 *              cancelled -> rejected; pending and referred out ->
 *              dispatched; open stays registered.  Each step's note
 *              gives the source's own time.
 *   deadline   from the time limits (node/limits.h), counted from created
 * Dates are M/D/YY H:MM in Los Angeles time: they are read at a fixed UTC
 * offset (the caller's; -08:00 for the January file).
 *
 * A row that does not fit (no srnumber, a date that does not parse, an
 * unknown status, coordinates out of range...) is refused whole with a
 * "FILE:LINE: reason" message to the callback, counted, and the import
 * goes on.  A file without the needed columns is refused before any row.
 * Rows are written in transactions of 500 records; a store failure rolls
 * back the open transaction (every record before it stays whole) and
 * stops.
 */
#ifndef GM_LA311_H
#define GM_LA311_H

#include <stddef.h>
#include "../proto/err.h"

struct store;

struct la311_stats {
	unsigned rows;        /* data rows read */
	unsigned created;     /* new tickets */
	unsigned updated;     /* tickets moved on to the file's newer state */
	unsigned unchanged;   /* already held as the file says */
	unsigned refused;     /* rows refused (each reported) */
};

typedef void (*la311_msg_fn)(void *ctx, const char *msg);

/* Imports `path` into the store; utc_offset in minutes east of UTC. */
GM_WUR enum gm_err la311_import(struct store *st, const char *path, int utc_offset,
				la311_msg_fn msg, void *ctx, struct la311_stats *stats,
				char *err, size_t errlen);

/* The GB/T 30428 event class of an LA request type, from what the type
 * means: Bulky Items, Metal/Household Appliances and Electronic Waste 0108
 * (discarded furniture and equipment), Illegal Dumping Pickup 0103 (dumped
 * piles), Graffiti Removal 0113 (dirty facades), Homeless Encampment 0502,
 * Dead Animal Removal 0117, streetlight issues 0408 (street lights are
 * components; overhead lines and poles are the nearest event class),
 * Report Water Waste 0402 (water mains); NULL for Other and unknown types
 * (the importer files those under 0104, street not clean). */
const char *la311_category(const char *requesttype);

#endif
