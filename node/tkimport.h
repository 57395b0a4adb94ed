/*
 * tkimport.h - bringing one ticket from another system in, whole or not
 * at all (shared by the Open311 and LA 311 CSV importers).
 *
 * A city moving onto gridmesh brings its history: a foreign record
 * becomes a ticket whose id keeps the source system's id recognisable
 * (the importer chooses it), so importing the same file again finds the
 * ticket and changes nothing, and a later file with a newer state of the
 * same request moves the ticket on.  The record's lifecycle becomes the
 * ticket's history: the creation, then one change per step (serviced,
 * closed, cancelled...), each with a note giving the source's own time
 * (the history's clocks are those of the import).
 *
 * The caller validates the record first (tkimport_check) and owns the
 * transaction; tkimport_put then writes every change of the record or,
 * if the first one is refused (scope, size), none.  A refusal after the
 * first write cannot happen for a checked record; if the store fails
 * there, the caller must roll the transaction back.
 */
#ifndef GM_TKIMPORT_H
#define GM_TKIMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/err.h"
#include "../sync/scope.h"

struct store;
struct limits;
struct calendar;

#define TKI_MAX_STEPS 4

struct tki_step {
	const char *status;       /* a ticket status */
	int64_t closed;           /* set `closed` to this (0 = leave it) */
	char note[160];
};

struct tki_ticket {
	char id[128];
	char scope[CODE_MAX + 1];
	const char *category, *title, *descr, *address, *source, *assignee;
	bool has_loc;
	double lat, lon;
	int64_t priority;         /* 0 = unset */
	int64_t created;          /* unix seconds, 0 = unknown */
	int64_t deadline;         /* 0 = from the time limits (if any apply) */
	bool no_deadline;         /* deadline 0 means none: do not compute one */
	const char *actor;        /* who the history names, e.g. "import:la311" */
	unsigned nsteps;          /* at least 1: the first is the creation */
	struct tki_step steps[TKI_MAX_STEPS];
};

enum tki_result { TKI_NEW, TKI_UPDATED, TKI_UNCHANGED };

/* The record is complete and consistent (statuses valid, texts within
 * limits, the category an event class, the scope a code inside the node);
 * false with a reason in why. */
bool tkimport_check(struct store *st, const struct tki_ticket *t, char *why, size_t whylen);

/*
 * Writes a checked record inside the caller's transaction.  A new id gets
 * every step; an existing ticket gets one change with whatever differs
 * in its final state (status, closed, assignee, deadline), or nothing.
 * GM_E_SCOPE / GM_E_INVAL / GM_E_TOOBIG: refused, nothing written (the
 * store's errmsg says why); other errors: roll back.
 */
GM_WUR enum gm_err tkimport_put(struct store *st, const struct limits *lim,
				const struct calendar *cal, const struct tki_ticket *t,
				enum tki_result *res);

/* Whether a store error leaves the transaction usable (record refused). */
bool tkimport_refusal(enum gm_err e);

#endif
