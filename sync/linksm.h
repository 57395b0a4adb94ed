/*
 * linksm.h - the child side of a link to its parent, as a state machine
 * with no transport: it says which request to make next and when to wake,
 * and is told how each request ended.  node/link.c does the CoAP.
 *
 * One request is in flight at a time, in this order of priority:
 *   REGISTER  when not registered, or the registration is due for refresh;
 *   PUSH      when there are local batches the parent has not acknowledged;
 *   PULL      when the parent has announced more than we hold (a bell or a
 *             registration reply with a head past our cursor), when the
 *             poll timer fires, or while the last pull brought batches;
 *   OBSERVE   when registered but not observing the parent's bell.
 * A failure (timeout, error reply) marks the link down: nothing is sent
 * until a retry time that backs off exponentially (min..max), after which
 * the link registers and observes again.  Observation is also considered
 * lost when the parent's boot id changes (it restarted).  While observing,
 * polls are rare (poll_observing_ms), a safety net for lost notifications;
 * without observation they follow poll_ms.
 */
#ifndef GM_LINKSM_H
#define GM_LINKSM_H

#include <stdbool.h>
#include <stdint.h>

/* LOP_BLOB_*: attachment transfers, started by the link itself when idle */
enum linksm_op { LOP_NONE = 0, LOP_REGISTER, LOP_PUSH, LOP_PULL, LOP_OBSERVE, LOP_BLOB_UP,
		 LOP_BLOB_DOWN };
enum linksm_result { LR_OK, LR_MORE, LR_FAIL };

struct linksm_conf {
	uint32_t poll_ms;             /* pull interval without observation */
	uint32_t poll_observing_ms;   /* safety-net pull interval while observing */
	uint32_t backoff_min_ms;
	uint32_t backoff_max_ms;
	uint32_t reg_refresh_ms;      /* re-register this often (lifetime / 2) */
	bool observe;                 /* false: one-shot syncs never observe */
};

struct linksm {
	struct linksm_conf c;
	enum linksm_op inflight;
	bool registered;
	bool observing;
	bool push_wanted;
	bool pull_wanted;
	bool down;                    /* last request failed */
	uint64_t next_reg;
	uint64_t next_poll;
	uint64_t retry_at;
	uint32_t backoff_ms;
	uint64_t boot;                /* parent's boot id, 0 = unknown */
	uint64_t last_ok;
	unsigned fails;               /* consecutive */
};

void linksm_init(struct linksm *l, const struct linksm_conf *c, uint64_t now);
const char *linksm_op_name(enum linksm_op op);

/* Something new to push (a local write, a batch from a child). */
void linksm_want_push(struct linksm *l);
/* The parent's registration reply or a bell: its boot id and its head for
 * us, against our cursor into its log. */
void linksm_hello(struct linksm *l, uint64_t boot, int64_t head, int64_t cursor);

/* The request to make now (LOP_NONE: wait until *wake_at, in ms). */
enum linksm_op linksm_next(struct linksm *l, uint64_t now, uint64_t *wake_at);
void linksm_start(struct linksm *l, enum linksm_op op);
/* LR_MORE: succeeded and there is more of the same to do right away. */
void linksm_done(struct linksm *l, enum linksm_op op, enum linksm_result r, uint64_t now);

/* Registered, nothing to push or pull, nothing in flight. */
bool linksm_idle(const struct linksm *l);

#endif
