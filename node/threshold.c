/* threshold.c - thresholds, hysteresis and hold times for device readings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "threshold.h"

static const char *const ops[] = { ">", ">=", "<", "<=", "=", "!=" };

bool thr_op_parse(const char *s, enum thr_op *op)
{
	for (unsigned i = 0; s && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(s, ops[i])) {
			*op = (enum thr_op)i;
			return true;
		}
	return false;
}

const char *thr_op_str(enum thr_op op)
{
	return (unsigned)op < sizeof(ops) / sizeof(ops[0]) ? ops[op] : "?";
}

static bool hour_of(const char *s, const char *end, int *h)
{
	char *e;
	if (s == end || end - s > 2)
		return false;
	long v = strtol(s, &e, 10);
	if (e != end || v < 0 || v > 23)
		return false;
	*h = (int)v;
	return true;
}

bool thr_hours_parse(const char *s, int *from, int *to)
{
	*from = *to = -1;
	if (!s || !*s)
		return true;
	const char *dash = strchr(s, '-');
	if (!dash || !hour_of(s, dash, from) || !hour_of(dash + 1, dash + 1 + strlen(dash + 1), to) ||
	    *from == *to) {
		*from = *to = -1;
		return false;
	}
	return true;
}

static bool upward(enum thr_op op)
{
	return op == THR_GT || op == THR_GE;
}

static bool downward(enum thr_op op)
{
	return op == THR_LT || op == THR_LE;
}

bool thr_valid(const struct threshold *t, char *why, size_t whylen)
{
	if (!t->quantity || !*t->quantity)
		snprintf(why, whylen, "no quantity");
	else if (!t->event || !*t->event)
		snprintf(why, whylen, "no event class");
	else if (t->has_clear && !upward(t->op) && !downward(t->op))
		snprintf(why, whylen, "a clear value needs >, >=, < or <=");
	else if (t->has_clear && upward(t->op) && t->clear > t->value)
		snprintf(why, whylen, "clear %g is above the threshold %g: nothing would clear",
			 t->clear, t->value);
	else if (t->has_clear && downward(t->op) && t->clear < t->value)
		snprintf(why, whylen, "clear %g is below the threshold %g: nothing would clear",
			 t->clear, t->value);
	else if (t->has_min && t->has_max && t->min > t->max)
		snprintf(why, whylen, "min %g is above max %g", t->min, t->max);
	else if (t->hold_s < 0 || t->hold_s > 86400 * 7)
		snprintf(why, whylen, "hold_s %lld is not 0 to a week", (long long)t->hold_s);
	else if ((t->from_h < 0) != (t->to_h < 0))
		snprintf(why, whylen, "bad hours");
	else if (t->priority < 0 || t->priority > 5)
		snprintf(why, whylen, "priority %d is not 1 to 5", t->priority);
	else
		return true;
	return false;
}

int thr_specificity(const struct threshold *t, const char *cls, const char *scope)
{
	size_t sl = strlen(t->scope), cl = strlen(t->cls);
	int cspec;
	if (strncmp(t->scope, scope, sl))
		return 0;
	if (!strcmp(t->cls, "*"))
		cspec = 1;
	else if (cl == 2 && !strncmp(t->cls, cls, 2))
		cspec = 2;
	else if (!strcmp(t->cls, cls))
		cspec = 3;
	else
		return 0;
	/* scope depth first: a grid's own threshold beats the city's for any class */
	return (int)sl * 4 + cspec;
}

bool thr_crossed(const struct threshold *t, double v)
{
	switch (t->op) {
	case THR_GT: return v > t->value;
	case THR_GE: return v >= t->value;
	case THR_LT: return v < t->value;
	case THR_LE: return v <= t->value;
	case THR_EQ: return v == t->value;
	case THR_NE: return v != t->value;
	}
	return false;
}

bool thr_cleared(const struct threshold *t, double v)
{
	if (!t->has_clear)
		return !thr_crossed(t, v);
	return upward(t->op) ? v < t->clear : v > t->clear;
}

bool thr_active(const struct threshold *t, int hour)
{
	if (t->from_h < 0)
		return true;
	if (t->from_h < t->to_h)
		return hour >= t->from_h && hour < t->to_h;
	return hour >= t->from_h || hour < t->to_h;   /* across midnight */
}

enum thr_event thr_step(const struct threshold *t, struct thr_mem *m, double v, int64_t time,
			int hour)
{
	if (m->last_t && time < m->last_t)
		return THR_EV_STALE;
	m->last_t = time;
	bool crossed = thr_active(t, hour) && thr_crossed(t, v);
	bool cleared = thr_cleared(t, v);
	switch (m->state) {
	case THR_NORMAL:
		if (!crossed)
			return THR_EV_NONE;
		m->since = time;
		if (t->hold_s > 0) {
			m->state = THR_PENDING;
			return THR_EV_NONE;
		}
		m->state = THR_ALARM;
		return THR_EV_TRIP;
	case THR_PENDING:
		if (!crossed) {
			m->state = THR_NORMAL;
			return THR_EV_NONE;
		}
		if (time - m->since < t->hold_s)
			return THR_EV_NONE;
		m->state = THR_ALARM;
		return THR_EV_TRIP;
	case THR_ALARM:
		if (!cleared)
			return THR_EV_NONE;
		m->since = time;
		if (t->hold_s > 0) {
			m->state = THR_CLEARING;
			return THR_EV_NONE;
		}
		m->state = THR_NORMAL;
		return THR_EV_CLEAR;
	case THR_CLEARING:
		if (!cleared) {
			m->state = THR_ALARM;
			return THR_EV_NONE;
		}
		if (time - m->since < t->hold_s)
			return THR_EV_NONE;
		m->state = THR_NORMAL;
		return THR_EV_CLEAR;
	}
	return THR_EV_NONE;
}
