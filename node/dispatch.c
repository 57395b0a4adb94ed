/* dispatch.c - the most specific dispatch rule, or the conflict (see dispatch.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "dispatch.h"
#include "../sync/scope.h"

static bool digits(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789") == n;
}

/* 2 event class, 1 major class, 0 "*", -1 not a class pattern. */
static int class_level(const char *cls)
{
	if (!cls)
		return -1;
	if (strcmp(cls, "*") == 0)
		return 0;
	if (digits(cls, 2))
		return 1;
	if (digits(cls, 4))
		return 2;
	return -1;
}

bool dispatch_rule_valid(const struct dispatch_rule *r, char *why, size_t whylen)
{
	if (class_level(r->cls) < 0) {
		snprintf(why, whylen, "class '%s' is not an event class, a major class or '*'",
			 r->cls ? r->cls : "");
		return false;
	}
	if (r->area && *r->area && !code_valid(r->area, strlen(r->area))) {
		snprintf(why, whylen, "area '%s' is not a node code", r->area);
		return false;
	}
	if (r->priority < 0 || r->priority > 5) {
		snprintf(why, whylen, "priority %d is not 1-5", r->priority);
		return false;
	}
	if (!r->assignee || !*r->assignee) {
		snprintf(why, whylen, "no assignee");
		return false;
	}
	if (!isfinite(r->hours) || r->hours <= 0 || r->hours > DISPATCH_MAX_HOURS) {
		snprintf(why, whylen, "deadline %g h is not above 0 and at most %g", r->hours,
			 DISPATCH_MAX_HOURS);
		return false;
	}
	return true;
}

const char *dispatch_place(const struct dispatch_rule *r)
{
	const char *scope = r->scope ? r->scope : "";
	const char *area = r->area ? r->area : "";
	return strlen(area) > strlen(scope) ? area : scope;
}

static bool prefix_of(const char *p, const char *s)
{
	return scope_within(s, strlen(s), p, strlen(p));
}

/* Area and scope on one line of descent (else the rule reaches nothing). */
static bool coherent(const struct dispatch_rule *r)
{
	const char *scope = r->scope ? r->scope : "";
	const char *area = r->area ? r->area : "";
	return prefix_of(scope, area) || prefix_of(area, scope);
}

static bool usable(const struct dispatch_rule *r)
{
	char why[8];
	return r->enabled && dispatch_rule_valid(r, why, sizeof(why)) && coherent(r);
}

bool dispatch_matches(const struct dispatch_rule *r, const struct dispatch_ticket *t)
{
	if (!usable(r) || !t->cls || !t->scope)
		return false;
	int lvl = class_level(r->cls);
	if (lvl == 2 && strcmp(r->cls, t->cls) != 0)
		return false;
	if (lvl == 1 && strncmp(r->cls, t->cls, 2) != 0)
		return false;
	if (r->priority && r->priority != t->priority)
		return false;
	return prefix_of(dispatch_place(r), t->scope);
}

int dispatch_specificity_cmp(const struct dispatch_rule *a, const struct dispatch_rule *b)
{
	int d = class_level(a->cls) - class_level(b->cls);
	if (d)
		return d;
	size_t pa = strlen(dispatch_place(a)), pb = strlen(dispatch_place(b));
	if (pa != pb)
		return pa > pb ? 1 : -1;
	return (a->priority != 0) - (b->priority != 0);
}

bool dispatch_same_outcome(const struct dispatch_rule *a, const struct dispatch_rule *b)
{
	return strcmp(a->assignee, b->assignee) == 0 && a->hours == b->hours;
}

static const char *key_of(const struct dispatch_rule *r)
{
	return r->key ? r->key : "";
}

void dispatch_choose(const struct dispatch_rule *rules, size_t n, const struct dispatch_ticket *t,
		     struct dispatch_choice *out)
{
	const struct dispatch_rule *best = NULL;
	bool split = false;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const struct dispatch_rule *r = &rules[i];
		if (!dispatch_matches(r, t))
			continue;
		int c = best ? dispatch_specificity_cmp(r, best) : 1;
		if (c > 0) {
			best = r;
			split = false;
		} else if (c == 0) {
			split |= !dispatch_same_outcome(r, best);
			if (strcmp(key_of(r), key_of(best)) < 0)
				best = r;
		}
	}
	if (!best)
		return;
	if (!split) {
		out->verdict = DISPATCH_MATCH;
		out->rule = best;
		return;
	}
	out->verdict = DISPATCH_CONFLICT;
	for (size_t i = 0; i < n && out->ntied < DISPATCH_MAX_NAMED; i++)
		if (dispatch_matches(&rules[i], t) && dispatch_specificity_cmp(&rules[i], best) == 0)
			out->tied[out->ntied++] = &rules[i];
}

void dispatch_conflicts(const struct dispatch_rule *rules, size_t n, dispatch_conflict_cb cb,
			void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		const struct dispatch_rule *a = &rules[i];
		if (!usable(a))
			continue;
		for (size_t j = i + 1; j < n; j++) {
			const struct dispatch_rule *b = &rules[j];
			if (!usable(b) || strcmp(a->cls, b->cls) != 0 || a->priority != b->priority ||
			    strcmp(dispatch_place(a), dispatch_place(b)) != 0 ||
			    dispatch_same_outcome(a, b))
				continue;
			if (cb(ctx, a, b))
				return;
		}
	}
}
