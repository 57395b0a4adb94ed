/*
 * views.h - what the district and city admin sees: aggregated views of a
 * node's tickets and assets, answered as JSON.
 *
 * One entry point serves gridctl (`gridctl view ...`) and the daemon
 * (`GET /views/<name>?<query>`, content-format 50): views_answer() takes
 * the view's name and its query string and returns the JSON text.
 *
 *   tickets   counts grouped by=DIM[,DIM...] (at most 4) of
 *             status, category (event class), major (major class), grid,
 *             street, district (from the record's scope: its first 15, 9
 *             or 6 digits; a record scoped higher keeps its shorter code),
 *             source, priority, assignee, day (the local date; with day a
 *             row counts tickets `opened` and `closed` that day).
 *             Each row: the keys, count, open, overdue, closed,
 *             closed_on_time, rejected (and category_name / major_name).
 *   assets    counts by class (component class), major, state, grid,
 *             street, district.
 *   kpi       totals and the two published KPIs:
 *             closure_rate   = closed / (tickets - rejected)
 *             on_time_rate   = closed_on_time / closed, where a ticket closed
 *                              on time has no deadline or closed <= deadline
 *   overdue   the open tickets past their deadline, most overdue first.
 *
 * Filters (query string, `&` or `;` separated, %-escapes decoded):
 *   status=open|closed|<a ticket status>   overdue=1 (open, deadline < now)
 *   scope=CODE (subtree)   category=0102 or 01   now=UNIX (default: clock)
 *   limit=N (overdue list; default 100, at most 10000)
 * "Open" = not closed and not rejected (node/tickets.h).  Days and times
 * follow the node's calendar (node/calendar.h).
 *
 * Speed: on district and city nodes views_ensure_indexes() keeps covering
 * indexes on the ticket table (one partial, over open tickets only), so the
 * common views read an index instead of the table; grid and street nodes
 * hold few enough tickets to scan and are spared the write cost.
 */
#ifndef GM_VIEWS_H
#define GM_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../proto/err.h"
#include "../sync/scope.h"

struct store;

enum view_kind { VIEW_TICKETS, VIEW_ASSETS, VIEW_KPI, VIEW_OVERDUE };

#define VIEW_MAX_BY 4

struct view_query {
	enum view_kind kind;
	uint8_t by[VIEW_MAX_BY];     /* dimension numbers (views.c) */
	unsigned nby;
	enum { VS_ANY, VS_OPEN, VS_CLOSED, VS_ONE } status;
	char status_name[16];        /* VS_ONE */
	bool overdue;
	char scope[CODE_MAX + 1];    /* "" = everything */
	char category[8];            /* "" = all; 2 digits = a major class */
	int64_t now;                 /* 0 = the store's clock */
	unsigned limit;
};

/* "tickets", "assets", "kpi", "overdue"; false if unknown. */
bool views_kind(const char *name, enum view_kind *out);

/* Parses a query string (NULL or "" = defaults) for a view of `kind`;
 * GM_E_INVAL with a one-line message in err on a bad parameter. */
GM_WUR enum gm_err views_parse(enum view_kind kind, const char *qs, struct view_query *q,
			       char *err, size_t errlen);

/* Runs a query; *out is a new JSON object the caller frees (json_decref).
 * Errors: the store's errmsg says why. */
GM_WUR enum gm_err views_run(struct store *st, const struct view_query *q, json_t **out);

/* views_parse + views_run + compact dump: *json is malloc'd text the caller
 * frees.  GM_E_INVAL for an unknown view or bad query (message in err). */
GM_WUR enum gm_err views_answer(struct store *st, const char *name, const char *qs, char **json,
				char *err, size_t errlen);

/* Creates the view indexes a node of this level keeps, if missing (a
 * write only when one is missing).  Called by store_create/store_open. */
GM_WUR enum gm_err views_ensure_indexes(struct store *st);

#endif
