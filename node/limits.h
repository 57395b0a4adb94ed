/*
 * limits.h - per-category time limits and ticket deadlines.
 *
 * The limits are reference records (table time_limit, loaded from
 * data/time-limits.csv at init; a city may change them and they sync down).
 * Each row gives a stage (`dispatch`: register and dispatch, `handle`:
 * handling), the event class it applies to (0102, a major class 01, or *),
 * optionally a priority, and a duration such as 30wm, 4wh, 1wd, 2h, 10m,
 * 3d (w = working time on the node's calendar, node/calendar.h).
 *
 * A ticket's deadline = created + its dispatch limit + its handle limit,
 * each the most specific matching row: event class over major class over
 * *, and among those a row for the ticket's priority over one for any.
 * A stage with no matching row adds nothing; no row at all = no deadline.
 */
#ifndef GM_LIMITS_H
#define GM_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/err.h"
#include "calendar.h"

struct store;
struct limits;

enum tl_unit { TL_MIN, TL_HOUR, TL_DAY };

struct tlimit {
	int64_t n;
	enum tl_unit unit;
	bool working;
};

/* "4wh" etc.; false if it does not parse (n from 0 to 100000). */
bool tlimit_parse(const char *s, size_t len, struct tlimit *out);
/* Text form, e.g. "4wh" (buf: 16 bytes is enough). */
void tlimit_format(const struct tlimit *l, char *buf, size_t len);
/* t + the limit on calendar c. */
int64_t tlimit_add(const struct calendar *c, int64_t t, const struct tlimit *l);

/* Reads every live time_limit row (rows whose duration does not parse are
 * skipped: only data from elsewhere can hold one, `limit set` checks). */
GM_WUR enum gm_err limits_load(struct store *st, struct limits **out);
void limits_free(struct limits *l);
/* Deadline of a ticket (priority 0 = unset, counted as 3); false if no
 * row applies to it. */
bool limits_deadline(const struct limits *l, const struct calendar *c, const char *category,
		     int64_t priority, int64_t created, int64_t *deadline);

/* Loads the calendar and the limits and computes one deadline: GM_OK with
 * *has = false when no limit applies. */
GM_WUR enum gm_err limits_ticket_deadline(struct store *st, const char *category,
					  int64_t priority, int64_t created, int64_t *deadline,
					  bool *has);

#endif
