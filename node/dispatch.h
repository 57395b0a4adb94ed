/*
 * dispatch.h - which dispatch rule decides a ticket (pure: no store).
 *
 * A dispatch rule says: tickets of class C at place P (optionally only of
 * priority N) go to assignee A with a deadline H hours after dispatch.
 * C is an event class ("0102"), a major class ("01") or "*".  The rule's
 * place is the longer of its area and the scope of its record, and a
 * ticket's scope must start with both: a rule written or overridden at a
 * node reaches only tickets under that node.
 *
 * A rule matches a ticket when it is enabled, its class covers the
 * ticket's class, its place is a prefix of the ticket's scope, and its
 * priority is unset or equal to the ticket's.  Among matching rules the
 * most specific wins, compared in this order:
 *   1. class: an event class beats a major class beats "*";
 *   2. place: a longer (deeper) place beats a shorter one;
 *   3. priority: a rule for the ticket's priority beats one for any.
 * Equally specific rules that could match the same ticket have the same
 * class, place and priority.  If they agree (same assignee and hours) the
 * first by key is named; if they disagree that is a conflict: nothing is
 * chosen and the disagreeing rules are named, never silently resolved.
 */
#ifndef GM_DISPATCH_H
#define GM_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>

#define DISPATCH_MAX_NAMED 8        /* rules named in one conflict */
#define DISPATCH_MAX_HOURS 8760.0   /* a year */

struct dispatch_rule {
	const char *key;        /* record id, named in the ticket's history */
	const char *name;
	const char *scope;      /* record scope ("" for the shipped defaults) */
	const char *cls;        /* "0102", "01" or "*" */
	const char *area;       /* NULL or "": the record scope alone */
	int priority;           /* 0: any */
	const char *assignee;
	double hours;
	bool enabled;
};

struct dispatch_ticket {
	const char *cls;
	const char *scope;
	int priority;           /* 0: none set */
};

enum dispatch_verdict { DISPATCH_NONE = 0, DISPATCH_MATCH, DISPATCH_CONFLICT };

struct dispatch_choice {
	enum dispatch_verdict verdict;
	const struct dispatch_rule *rule;                       /* MATCH */
	const struct dispatch_rule *tied[DISPATCH_MAX_NAMED];   /* CONFLICT */
	unsigned ntied;
};

/* Well-formed rule?  If not, why (class, area, priority, assignee, hours). */
bool dispatch_rule_valid(const struct dispatch_rule *r, char *why, size_t whylen);

/* The longer of area and scope: what "place" means above. */
const char *dispatch_place(const struct dispatch_rule *r);

bool dispatch_matches(const struct dispatch_rule *r, const struct dispatch_ticket *t);

/* > 0 if a is more specific than b, < 0 if less, 0 if equally. */
int dispatch_specificity_cmp(const struct dispatch_rule *a, const struct dispatch_rule *b);

/* Same assignee and hours. */
bool dispatch_same_outcome(const struct dispatch_rule *a, const struct dispatch_rule *b);

/* Picks the rule for t among rules[0, n) (invalid rules never match). */
void dispatch_choose(const struct dispatch_rule *rules, size_t n, const struct dispatch_ticket *t,
		     struct dispatch_choice *out);

/* Calls cb for every pair (a before b in the array) of valid, enabled
 * rules with the same class, place and priority and different outcomes;
 * cb returns nonzero to stop. */
typedef int (*dispatch_conflict_cb)(void *ctx, const struct dispatch_rule *a,
				    const struct dispatch_rule *b);
void dispatch_conflicts(const struct dispatch_rule *rules, size_t n, dispatch_conflict_cb cb,
			void *ctx);

#endif
