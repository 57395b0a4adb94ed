/*
 * rules.h - classification and dispatch rules as replicated reference data.
 *
 * Both kinds live in CLS_REF tables (classify_rule, dispatch_rule in
 * sync/schema.c).  The shipped defaults are genesis rows (scope "", key =
 * name) from data/classify-rules.csv and data/dispatch-rules.csv; a change
 * made at a node is an ordinary local write that travels down to every
 * node below it (and up, like every change).
 *
 * Overrides.  A rule has a name.  A node changes a rule by writing its own
 * record of that name (key "<node code>:<name>", scope its code).  At a
 * place (a node code) the rule in effect for a name is the record whose
 * scope is the longest prefix of the place (ties, which only a city's
 * edits of genesis rows can make: lowest key).  So the city's override
 * holds everywhere in the city unless a district overrides it again, and
 * a grid's override holds only in that grid.  A disabled record
 * (enabled = 0) still overrides: it switches the rule off below it.
 *
 * Which place counts: classification uses the ticket's scope (or the node's
 * code); dispatch uses the ticket's scope, so every node holding a ticket
 * holds every rule that decides it and decides it the same way.
 *
 * Dispatch choice and conflicts: node/dispatch.h.  Scoring: node/classify.h.
 */
#ifndef GM_RULES_H
#define GM_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include "store.h"
#include "classify.h"
#include "dispatch.h"

enum rule_kind { RULE_CLASSIFY = 0, RULE_DISPATCH = 1 };

#define RULE_NAME_MAX 48    /* letters, digits, '.', '_', '-' */

const struct table_def *rules_table(enum rule_kind k);
const char *rules_kind_name(enum rule_kind k);
bool rules_kind_parse(const char *s, enum rule_kind *k);
bool rules_name_valid(const char *name);

/* ------------------------------------------------------------- rule sets */

enum rule_state {
	RULE_IN_EFFECT,     /* the record that decides this name at the place */
	RULE_OVERRIDDEN,    /* on the place's line, but a deeper record wins */
	RULE_ELSEWHERE,     /* written in another subtree: not for this place */
	RULE_BAD,           /* no name: ignored everywhere */
};

/* One rule record as loaded (text owned by the set). */
struct rule_row {
	const char *key;
	const char *scope;
	const char *name;
	struct gm_value vals[ROWCLK_MAX_COLS];
	bool enabled;
	enum rule_state state;      /* after rules_resolve */
	const char *by;             /* OVERRIDDEN: the key in effect */
};

/* Every live record of one kind, sorted by name, deepest scope first. */
struct ruleset {
	enum rule_kind kind;
	const struct table_def *tab;
	struct rule_row *rows;
	size_t n, cap;
	void *priv;                 /* text storage */
};

GM_WUR enum gm_err rules_load(struct store *st, enum rule_kind k, struct ruleset **out);
void rules_free(struct ruleset *rs);
/* Sets each row's state for place `at` (a node code, or "" for city-wide). */
void rules_resolve(struct ruleset *rs, const char *at);
/* Value of column `col` of a row (nil if no such column). */
const struct gm_value *rules_val(const struct ruleset *rs, const struct rule_row *r,
				 const char *col);

/* A row as a dispatch rule (pointers into the set). */
void rules_row_dispatch(const struct ruleset *rs, const struct rule_row *r,
			struct dispatch_rule *out);

/* ------------------------------------------------------------ using them */

/*
 * A classifier of the classification rules in effect at `at` (enabled
 * ones).  Rows that do not compile are skipped and counted in *nbad
 * (optional): `rules check` names them.
 */
GM_WUR enum gm_err rules_classifier(struct store *st, const char *at, struct classifier **out,
				    unsigned *nbad);

struct rules_dispatch_out {
	enum dispatch_verdict verdict;
	char rule[BATCH_MAX_KEY + 1];     /* MATCH: the rule's key */
	char assignee[128];
	double hours;
	int64_t deadline;                 /* unix seconds */
	char msg[768];                    /* what happened, in words */
};

/*
 * Dispatches ticket `id` by the rules in effect at its scope, in its own
 * transaction: status dispatched, assignee, deadline = now + hours, with
 * the note "dispatched by rule KEY (...)" in the ticket's history.
 * GM_E_NOTFOUND: no such ticket, or no rule matches (out->verdict NONE);
 * GM_E_STATE: the ticket cannot be dispatched from its status, or the
 * rules conflict (out->verdict CONFLICT, out->msg names them; nothing is
 * written).  With dry_run nothing is written in any case.
 */
GM_WUR enum gm_err rules_dispatch_ticket(struct store *st, const char *id, const char *actor,
					 bool dry_run, struct rules_dispatch_out *out);

/* ------------------------------------------------------------- editing */

/*
 * Writes this node's version of rule `name` (key "<code>:<name>", scope
 * the node's code), in its own transaction.  Fields not given (cols/vals,
 * as in store_write) are inherited from the rule in effect at the node, so
 * a partial override ("the same rule, another assignee") gives one field;
 * a new name must give every required field.  The result is checked as
 * a rule (classifier syntax, dispatch_rule_valid, a known event class, an
 * area inside this node) before anything is written.  *key_out (optional) gets the key.
 */
GM_WUR enum gm_err rules_put(struct store *st, enum rule_kind k, const char *name,
			     unsigned nset, const uint8_t *cols, const struct gm_value *vals,
			     const char *actor, char *key_out, size_t keylen);

/* Switches rule `name` off (or on) here: rules_put of enabled only.
 * GM_E_NOTFOUND if no rule of that name is in effect at this node. */
GM_WUR enum gm_err rules_set_enabled(struct store *st, enum rule_kind k, const char *name,
				     bool on, const char *actor, char *key_out, size_t keylen);

/* ------------------------------------------------------------- checking */

struct rules_issue {
	enum { ISSUE_CONFLICT, ISSUE_INVALID } what;
	enum rule_kind kind;
	const char *at;                   /* CONFLICT: a place where both are in effect */
	const struct dispatch_rule *a, *b; /* CONFLICT */
	const char *key;                  /* INVALID */
	const char *why;                  /* INVALID */
};
typedef int (*rules_issue_cb)(void *ctx, const struct rules_issue *is);

/*
 * Lists every problem with the rules this node holds: dispatch rules in
 * conflict at some place in this node's subtree (each pair once, at the
 * shallowest such place), and enabled records that are not valid rules
 * (a disabled one is inert; a malformed rule may be disabled).  *n gets
 * the number of issues.
 */
GM_WUR enum gm_err rules_check(struct store *st, rules_issue_cb cb, void *ctx, unsigned *n);

#endif
