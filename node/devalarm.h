/*
 * devalarm.h - what a device's readings do to its asset and its tickets.
 *
 * A reading's quantity (senml_quantity of its resolved name) is matched
 * against the device_threshold records in effect for the asset: the
 * enabled, valid record of that quantity whose class covers the asset's
 * component class and whose scope is the deepest prefix of the asset's
 * scope (node/threshold.h: thr_specificity).  Quantities with no threshold
 * are kept as the device's last reading and otherwise ignored.
 *
 * A pack is checked whole before anything is written: a value outside the
 * threshold's [min, max], another unit than the threshold's, a value that
 * is not a number (strings on/off/true/false/open/closed count as 1 and 0),
 * or a time more than `max_ahead_s` ahead of the node's clock refuses the
 * pack (GM_E_INVAL, the reason in res->why) and nothing changes.
 *
 * Then, in one transaction, in time order, each reading steps its
 * (asset, threshold) state machine (thr_step), remembered in the local
 * table device_alarm.  On a trip:
 *   - the asset's state becomes the threshold's state (if it has one),
 *     with the reading in the asset's history; the state it had before is
 *     remembered;
 *   - if a ticket a device alarm opened for this asset and event class is
 *     still open (local table device_ticket), it gets a note; otherwise a
 *     new ticket is opened: the threshold's event class, source "device",
 *     status registered, the asset's scope, place and address.  So a
 *     flapping sensor opens one ticket (hysteresis and hold time stop the
 *     flapping trips; the open ticket absorbs the rest), and a ticket is
 *     opened again only once the last one is closed or rejected.
 * On a clear the open ticket gets a "recovered" note and the asset's state
 * goes back to what it was, unless another threshold of the asset is
 * still crossed or someone changed the state meanwhile.  Repeated readings
 * past a threshold already tripped write nothing but the last reading.
 *
 * After the commit each new ticket is dispatched by the dispatch rules
 * (rules_dispatch_ticket), like any registered ticket; a ticket no rule
 * dispatches stays registered (res->dispatch says why).
 */
#ifndef GM_DEVALARM_H
#define GM_DEVALARM_H

#include <stdint.h>
#include "../proto/err.h"
#include "devices.h"
#include "senml.h"

#define DEVALARM_MAX_OPENED 16     /* new tickets dispatched per pack */

struct devalarm_result {
	unsigned records;              /* in the pack */
	unsigned used;                 /* matched a threshold of the asset */
	unsigned stale;                /* older than a reading already seen */
	unsigned trips, clears;
	unsigned noted;                /* notes added to open tickets */
	unsigned opened;               /* new tickets */
	char tickets[DEVALARM_MAX_OPENED][64];
	char dispatch[512];            /* what dispatch did with the new tickets */
	char why[256];                 /* the pack was refused: why */
};

GM_WUR enum gm_err devalarm_apply(struct store *st, const struct device_info *dev,
				  const struct senml_pack *p, int64_t now_s, int max_ahead_s,
				  struct devalarm_result *res);

#endif
