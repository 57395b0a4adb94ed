/* linksm.c - child-side link state machine. */
#include <string.h>
#include "linksm.h"

void linksm_init(struct linksm *l, const struct linksm_conf *c, uint64_t now)
{
	memset(l, 0, sizeof(*l));
	l->c = *c;
	if (!l->c.backoff_min_ms)
		l->c.backoff_min_ms = 1000;
	if (l->c.backoff_max_ms < l->c.backoff_min_ms)
		l->c.backoff_max_ms = l->c.backoff_min_ms;
	l->backoff_ms = l->c.backoff_min_ms;
	l->next_poll = now;
	l->pull_wanted = true;    /* find out where we stand */
	l->push_wanted = true;
}

const char *linksm_op_name(enum linksm_op op)
{
	static const char *const n[] = { "none", "register", "push", "pull", "observe",
					  "blob push", "blob fetch" };
	return op <= LOP_BLOB_DOWN ? n[op] : "?";
}

void linksm_want_push(struct linksm *l)
{
	l->push_wanted = true;
}

void linksm_hello(struct linksm *l, uint64_t boot, int64_t head, int64_t cursor)
{
	if (l->boot && boot != l->boot)
		l->observing = false;   /* the parent restarted: its observers are gone */
	l->boot = boot;
	if (head > cursor)
		l->pull_wanted = true;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

enum linksm_op linksm_next(struct linksm *l, uint64_t now, uint64_t *wake_at)
{
	uint64_t poll_every = l->observing ? l->c.poll_observing_ms : l->c.poll_ms;
	*wake_at = UINT64_MAX;
	if (l->inflight)
		return LOP_NONE;
	if (l->down && now < l->retry_at) {
		*wake_at = l->retry_at;
		return LOP_NONE;
	}
	if (poll_every && now >= l->next_poll)
		l->pull_wanted = true;
	if (!l->registered || (l->c.reg_refresh_ms && now >= l->next_reg))
		return LOP_REGISTER;
	if (l->push_wanted)
		return LOP_PUSH;
	if (l->pull_wanted)
		return LOP_PULL;
	if (l->c.observe && !l->observing)
		return LOP_OBSERVE;
	if (l->c.reg_refresh_ms)
		*wake_at = l->next_reg;
	if (poll_every)
		*wake_at = min64(*wake_at, l->next_poll);
	return LOP_NONE;
}

void linksm_start(struct linksm *l, enum linksm_op op)
{
	l->inflight = op;
	/*
	 * This request carries what is there now; a want raised while it is in
	 * flight (a child's batches, a bell) is for something after it and
	 * must survive its completion.
	 */
	if (op == LOP_PUSH)
		l->push_wanted = false;
	else if (op == LOP_PULL)
		l->pull_wanted = false;
}

void linksm_done(struct linksm *l, enum linksm_op op, enum linksm_result r, uint64_t now)
{
	uint64_t poll_every;
	if (l->inflight == op)
		l->inflight = LOP_NONE;
	if (r == LR_FAIL) {
		l->down = true;
		l->fails++;
		l->retry_at = now + l->backoff_ms;
		l->backoff_ms = l->backoff_ms * 2 > l->c.backoff_max_ms ? l->c.backoff_max_ms
									: l->backoff_ms * 2;
		/* after an outage, start over: register, observe, catch up */
		l->registered = false;
		l->observing = false;
		if (op == LOP_PUSH)
			l->push_wanted = true;
		l->pull_wanted = true;
		return;
	}
	l->down = false;
	l->fails = 0;
	l->backoff_ms = l->c.backoff_min_ms;
	l->last_ok = now;
	switch (op) {
	case LOP_REGISTER:
		l->registered = true;
		l->next_reg = now + l->c.reg_refresh_ms;
		break;
	case LOP_PUSH:
		if (r == LR_MORE)
			l->push_wanted = true;
		break;
	case LOP_PULL:
		if (r == LR_MORE)
			l->pull_wanted = true;
		poll_every = l->observing ? l->c.poll_observing_ms : l->c.poll_ms;
		l->next_poll = now + poll_every;
		break;
	case LOP_OBSERVE:
		l->observing = true;
		break;
	default:
		break;
	}
}

bool linksm_idle(const struct linksm *l)
{
	return l->registered && !l->push_wanted && !l->pull_wanted && !l->inflight && !l->down;
}
