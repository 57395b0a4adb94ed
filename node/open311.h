/*
 * open311.h - Open311 GeoReport v2 out and in.
 *
 * Export writes one JSON object {"services": [...], "requests": [...]}:
 * the services are the event class table (service_code = class code,
 * service_name = its name, group = its major class), the requests the
 * node's tickets with the GeoReport v2 fields:
 *   service_request_id  the ticket id
 *   status              open, or closed for closed and rejected tickets
 *   status_notes        the ticket's own status (reported ... rejected)
 *   service_code/_name  the event class
 *   description         the title, and the description after a blank line
 *   agency_responsible  the assignee
 *   requested_datetime  created; updated_datetime: the newest field change;
 *   expected_datetime   the deadline (ISO 8601 at the calendar's offset)
 *   address, lat, long
 *   extended_attributes title, descr, status, priority, source, scope and
 *                       closed_datetime (GeoReport's extension point), so
 *                       that a gridmesh node reads back exactly what it wrote
 * Reporter contact details (name, phone) are never written: they live in a
 * table export never reads.
 *
 * Import reads such a file (or a bare array of requests from any GeoReport
 * server) into tickets (node/tkimport.h).  A request a gridmesh node
 * exported for a scope inside this node keeps its id and scope; any other
 * becomes <node code>-<prefix>-<service_request_id> at this node.  Each
 * request is checked whole: one that does not fit is refused with a
 * "FILE: request N (id X): reason" message and the others go in.  A
 * missing expected_datetime means "no deadline" in a gridmesh export and
 * "from the time limits" in a foreign one; a closed request without
 * closed_datetime has no closed time in a gridmesh export and closed at
 * its updated_datetime in a foreign one.
 */
#ifndef GM_OPEN311_H
#define GM_OPEN311_H

#include <stdio.h>
#include "../proto/err.h"

struct store;

struct o311_stats {
	unsigned services;
	unsigned requests;    /* written, or read */
	unsigned created, updated, unchanged, refused;
};

/* Streams the export to `out` (the caller opens and closes it). */
GM_WUR enum gm_err open311_export(struct store *st, FILE *out, struct o311_stats *stats);

typedef void (*o311_msg_fn)(void *ctx, const char *msg);

/* Imports the file at `path`; prefix (e.g. "O311", letters and digits)
 * marks ids from foreign systems.  Errors: GM_E_MALFORMED if the file is
 * not GeoReport JSON at all (message in err, with line and column). */
GM_WUR enum gm_err open311_import(struct store *st, const char *path, const char *prefix,
				  o311_msg_fn msg, void *ctx, struct o311_stats *stats,
				  char *err, size_t errlen);

#endif
