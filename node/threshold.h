/*
 * threshold.h - what a device reading means for its asset (pure: no store).
 *
 * A threshold (a record of the device_threshold reference table, see
 * sync/schema.c) watches one quantity of the assets of one component
 * class: "lamp < 0.5 between 19 h and 6 h", "level > 80 cm, clear below
 * 70".  Per (asset, threshold) a small state machine turns readings into
 * at most one trip and one clear per crossing:
 *
 *   NORMAL   --crossed-->            PENDING (hold_s > 0) or ALARM: TRIP
 *   PENDING  --crossed, held hold_s-> ALARM: TRIP
 *   PENDING  --not crossed-->         NORMAL
 *   ALARM    --cleared-->             CLEARING (hold_s > 0) or NORMAL: CLEAR
 *   CLEARING --cleared, held hold_s-> NORMAL: CLEAR
 *   CLEARING --not cleared-->         ALARM
 *
 * "Crossed" is `value op threshold`; "cleared" is being back beyond the
 * clear value (hysteresis: for ">" and ">=" below `clear`, for "<" and
 * "<=" above it), or simply not crossed when there is no clear value (and
 * for "=" and "!=").  Readings between the two change nothing, so a
 * sensor hovering at the threshold trips once.  Outside its active hours
 * a threshold does not trip (a lamp is off by day), but it may clear.
 * A reading older than the last one seen for the pair changes nothing.
 */
#ifndef GM_THRESHOLD_H
#define GM_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/err.h"

enum thr_op { THR_GT, THR_GE, THR_LT, THR_LE, THR_EQ, THR_NE };

struct threshold {
	const char *key;           /* record id, named in tickets */
	const char *name;
	const char *scope;
	const char *cls;           /* "0118", "01" or "*" */
	const char *quantity;
	enum thr_op op;
	double value;
	bool has_clear;
	double clear;
	const char *unit;          /* NULL: any */
	bool has_min, has_max;
	double min, max;
	int64_t hold_s;
	int from_h, to_h;          /* active hours [from, to), local; -1: always */
	const char *event;         /* event class of the ticket */
	const char *state;         /* asset state while crossed; NULL: unchanged */
	int priority;              /* 0: none */
	bool enabled;
};

enum thr_state { THR_NORMAL = 0, THR_PENDING, THR_ALARM, THR_CLEARING };

/* What the state machine remembers per (asset, threshold). */
struct thr_mem {
	enum thr_state state;
	int64_t since;             /* PENDING, CLEARING: first reading of the run */
	int64_t last_t;            /* newest reading seen (0: none) */
};

enum thr_event { THR_EV_NONE = 0, THR_EV_TRIP, THR_EV_CLEAR, THR_EV_STALE };

/* "<" -> THR_LT...; false if not an operator. */
bool thr_op_parse(const char *s, enum thr_op *op);
const char *thr_op_str(enum thr_op op);
/* "19-6" -> 19, 6 (hours 0..23, from != to); "" or NULL -> -1, -1. */
bool thr_hours_parse(const char *s, int *from, int *to);

/* Consistent (clear on the right side, min <= max, hours, priority)?  If
 * not, why. */
bool thr_valid(const struct threshold *t, char *why, size_t whylen);

/* Does `t` apply to an asset of component class `cls` in `scope`, and how
 * specifically (0: no; higher: more specific: deeper record scope first,
 * then class, major class, "*")? */
int thr_specificity(const struct threshold *t, const char *cls, const char *scope);

bool thr_crossed(const struct threshold *t, double v);
bool thr_cleared(const struct threshold *t, double v);
/* Is `hour` (0..23, local) within the threshold's active hours? */
bool thr_active(const struct threshold *t, int hour);

/*
 * Steps the state machine with a reading of value v at time t (unix s),
 * `hour` its local hour; returns what happened.
 */
enum thr_event thr_step(const struct threshold *t, struct thr_mem *m, double v, int64_t time,
			int hour);

#endif
