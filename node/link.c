/* link.c - the CoAP side of a node's link to its parent. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "link.h"
#include "config.h"
#include "exchange.h"
#include "log.h"
#include "net.h"
#include "store_int.h"
#include "identity.h"
#include "blobs.h"
#include <sodium.h>
#include "../proto/bundle.h"
#include "../proto/wire.h"
#include "../sync/linksm.h"

#ifndef GM_VERSION
#define GM_VERSION "0.1"
#endif

struct link {
	coap_context_t *ctx;
	coap_session_t *session;
	struct store *st;
	const struct config *cfg;
	struct linksm sm;
	link_batches_fn on_batches;
	void *cb_ctx;
	char parent[256];

	/* the request in flight */
	enum linksm_op op;
	uint8_t token[8];
	size_t token_len;
	int64_t push_upto;         /* cursor the push in flight moves us to */
	uint32_t push_batches;     /* what it carries, for the log */
	uint64_t push_changes;
	bool push_more;
	struct net_body body;      /* reply being reassembled */

	/* the bell observation */
	uint8_t obs_token[8];
	size_t obs_token_len;

	unsigned rounds;
	int64_t parent_head;         /* from the last hello, for progress */
	uint64_t pushed, pulled;     /* batches, this process */
	bool down_logged;
	bool up_logged;
	bool reclaiming;             /* the pull in flight asked for our own batches */
	int64_t last_ok_saved;
	char last_err[256];
	uint8_t psk[32];
	coap_address_t dst;
	bool secure;
	bool renew;                  /* the DTLS session failed: open a fresh one */
	bool handshaking;            /* the session has NET_DTLS_RETRANSMIT, not max_retransmit */

	/* the attachment being moved, one request at a time */
	struct {
		char hex[BLOB_HEX + 1];
		uint64_t off, total;
		bool stat_done;       /* up: the parent told us where to resume */
		char skip[BLOB_HEX + 1]; /* blobs before this one wait for later */
		uint64_t retry_at;
	} blob;
	bool fetch_down;
};

static int64_t meta_cursor(struct store *st, const char *key)
{
	return store_meta_int(st, key, 0);
}

/* Cursors only move forward, whoever (gridnode, gridctl sync) writes them. */
static void set_cursor(struct link *l, const char *key, int64_t v)
{
	if (v > meta_cursor(l->st, key) && store_meta_set_int(l->st, key, v))
		log_err("saving %s: %s", key, store_errmsg(l->st));
}

static void note_ok(struct link *l)
{
	if (l->down_logged) {
		log_notice("link to parent %s is up again", l->parent);
		l->down_logged = false;
	} else if (!l->up_logged) {
		log_notice("link to parent %s is up", l->parent);
	}
	l->up_logged = true;
	/* for gridctl status; a few seconds of staleness saves a write per exchange */
	int64_t now = (int64_t)(hlc_wall_ms() / 1000);
	if (now - l->last_ok_saved >= 5 && store_meta_set_int(l->st, "last_sync_ok", now) == GM_OK)
		l->last_ok_saved = now;
}

static void note_fail(struct link *l, const char *what, const char *why)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "%s: %s", what, why);
	if (!l->down_logged) {
		log_warn("link to parent %s is down: %s", l->parent, msg);
		l->down_logged = true;
	} else {
		log_debug("link to parent %s: %s", l->parent, msg);
	}
	snprintf(l->last_err, sizeof(l->last_err), "%s", msg);
	if (store_meta_set(l->st, "last_sync_err", msg))
		log_err("saving link status: %s", store_errmsg(l->st));
}

/*
 * A client session to the parent (a socket of its own, so a new local
 * port), DTLS-PSK for coaps://.
 */
static bool open_session(struct link *l)
{
	if (l->secure) {
		coap_dtls_cpsk_t cp;
		memset(&cp, 0, sizeof(cp));
		cp.version = COAP_DTLS_CPSK_SETUP_VERSION;
		cp.psk_info.identity.s = (const uint8_t *)l->st->code;
		cp.psk_info.identity.length = strlen(l->st->code);
		cp.psk_info.key.s = l->psk;
		cp.psk_info.key.length = sizeof(l->psk);
		l->session = coap_new_client_session_psk2(l->ctx, NULL, &l->dst, COAP_PROTO_DTLS, &cp);
	} else {
		l->session = coap_new_client_session(l->ctx, NULL, &l->dst, COAP_PROTO_UDP);
	}
	if (!l->session)
		return false;
	net_tune_session(l->session, l->cfg);
	if (l->secure) {
		coap_session_set_max_retransmit(l->session, NET_DTLS_RETRANSMIT);
		l->handshaking = true;
	}
	coap_session_set_app_data(l->session, l);
	return true;
}

/* Once the handshake is done, requests get the [coap] settings again. */
static void handshake_done(struct link *l)
{
	if (l->handshaking && coap_session_get_state(l->session) == COAP_SESSION_STATE_ESTABLISHED) {
		net_tune_session(l->session, l->cfg);
		l->handshaking = false;
	}
}

/*
 * After a failed DTLS handshake the session is replaced, not reused:
 * libcoap (4.3.1 with GnuTLS) counts handshake timeouts per session and
 * never resets the count, so once a lossy link has used up max_retransmit
 * timeouts, every later handshake on that session fails at its first lost
 * datagram, for ever.  A fresh session also comes from a fresh port, so
 * the parent starts a fresh handshake instead of taking our ClientHello
 * for a replay on its half-open session of the old port.
 */
static bool renew_session(struct link *l)
{
	coap_session_t *old = l->session;
	if (!open_session(l)) {
		l->session = old;   /* l->renew stays: the next request tries again */
		return false;
	}
	l->renew = false;
	coap_session_set_app_data(old, NULL);
	coap_session_release(old);
	l->obs_token_len = 0;   /* the observation was the old session's */
	l->sm.observing = false;
	log_debug("link to parent %s: new DTLS session", l->parent);
	return true;
}

static coap_pdu_t *new_request(struct link *l, coap_pdu_code_t code, const char *path,
			       uint8_t *tok, size_t *toklen)
{
	coap_pdu_t *pdu = coap_new_pdu(COAP_MESSAGE_CON, code, l->session);
	if (!pdu)
		return NULL;
	*toklen = sizeof(l->token);
	coap_session_new_token(l->session, toklen, tok);
	coap_add_token(pdu, *toklen, tok);
	net_add_path(pdu, path);
	return pdu;
}

static void add_child_query(struct link *l, coap_pdu_t *pdu)
{
	char q[32];
	snprintf(q, sizeof(q), "c=%s", l->st->code);
	net_add_query(pdu, q);
}

static void free_buf(coap_session_t *s, void *p)
{
	(void)s;
	free(p);
}

/* Sends pdu carrying `b`'s bytes (block-wise if large); consumes both. */
static bool send_with_body(struct link *l, coap_pdu_t *pdu, struct gm_buf *b)
{
	size_t len;
	uint8_t *p = gm_buf_steal(b, &len);
	net_add_ct(pdu, NET_CT_OCTETS);
	/* libcoap adds Size1 itself on block-wise uploads: 4.3.1 servers need it */
	if (!coap_add_data_large_request(l->session, pdu, len, p, free_buf, p)) {
		free(p);
		coap_delete_pdu(pdu);
		return false;
	}
	return coap_send(l->session, pdu) != COAP_INVALID_MID;
}

static bool start_register(struct link *l)
{
	struct wire_reg r = { .level = (uint8_t)l->st->level, .lifetime = (uint32_t)l->cfg->lifetime_s };
	struct gm_buf b;
	snprintf(r.code, sizeof(r.code), "%s", l->st->code);
	snprintf(r.version, sizeof(r.version), "%s", GM_VERSION);
	gm_buf_init(&b);
	coap_pdu_t *pdu = new_request(l, COAP_REQUEST_CODE_POST, NET_PATH_REG, l->token, &l->token_len);
	if (!pdu || wire_reg_encode(&b, &r)) {
		gm_buf_free(&b);
		coap_delete_pdu(pdu);
		return false;
	}
	return send_with_body(l, pdu, &b);
}

/* Seals what gridctl wrote, then pushes what the parent has not acked. */
static bool start_push(struct link *l, bool *nothing)
{
	struct exchange_out out;
	struct gm_buf b;
	struct batch_filter bf = { .dir = BF_UP, .exclude_link = LINK_PARENT };
	int64_t cursor = meta_cursor(l->st, "up_cursor");

	unsigned nb = 0;
	*nothing = false;
	if (store_seal(l->st, 0, &nb))
		log_err("sealing local changes: %s", store_errmsg(l->st));
	else if (nb && l->on_batches)
		l->on_batches(l->cb_ctx);   /* some may route to children: ring them */
	gm_buf_init(&b);
	if (exchange_collect(l->st, cursor, &bf, NULL, (size_t)l->cfg->push_kb * 1024, &b, &out)) {
		log_err("collecting batches to push: %s", store_errmsg(l->st));
		gm_buf_free(&b);
		return false;
	}
	if (!out.batches) {
		/* only batches that go nowhere up: step over them */
		set_cursor(l, "up_cursor", out.upto);
		gm_buf_free(&b);
		*nothing = true;
		return true;
	}
	l->push_upto = out.upto;
	l->push_more = out.more;
	l->push_batches = out.batches;
	l->push_changes = out.changes;
	coap_pdu_t *pdu = new_request(l, COAP_REQUEST_CODE_POST, NET_PATH_UP, l->token, &l->token_len);
	if (!pdu) {
		gm_buf_free(&b);
		return false;
	}
	add_child_query(l, pdu);
	log_debug("pushing %u batches (%" PRIu64 " changes, %zu bytes)", out.batches, out.changes,
		  b.len);
	return send_with_body(l, pdu, &b);
}

static bool start_pull(struct link *l)
{
	char q[32];
	coap_pdu_t *pdu = new_request(l, COAP_REQUEST_CODE_GET, NET_PATH_DOWN, l->token, &l->token_len);
	if (!pdu)
		return false;
	add_child_query(l, pdu);
	snprintf(q, sizeof(q), "a=%lld", (long long)meta_cursor(l->st, "down_cursor"));
	net_add_query(pdu, q);
	/* restored from a backup: ask for our own batches too, until in step */
	l->reclaiming = store_meta_int(l->st, "reclaim", 0) != 0;
	if (l->reclaiming)
		net_add_query(pdu, "own=1");
	return coap_send(l->session, pdu) != COAP_INVALID_MID;
}

static bool start_observe(struct link *l)
{
	uint8_t buf[4];
	if (l->obs_token_len) {
		/* an earlier observation may linger at the parent: end it first */
		coap_binary_t tok = { l->obs_token_len, l->obs_token };
		coap_cancel_observe(l->session, &tok, COAP_MESSAGE_CON);
		l->obs_token_len = 0;
	}
	coap_pdu_t *pdu = new_request(l, COAP_REQUEST_CODE_GET, NET_PATH_BELL, l->obs_token,
				      &l->obs_token_len);
	if (!pdu)
		return false;
	coap_add_option(pdu, COAP_OPTION_OBSERVE, coap_encode_var_safe(buf, sizeof(buf), 0), buf);
	add_child_query(l, pdu);
	memcpy(l->token, l->obs_token, l->obs_token_len);
	l->token_len = l->obs_token_len;
	return coap_send(l->session, pdu) != COAP_INVALID_MID;
}

/* ------------------------------------------------------------- blobs */

static uint64_t attachment_size(struct link *l, const char *hex)
{
	sqlite3_stmt *s;
	uint64_t n = 0;
	if (sqlite3_prepare_v2(store_db(l->st), "SELECT size FROM attachment WHERE hash = ?"
						" AND _del IS NULL LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static coap_pdu_t *blob_request(struct link *l, coap_pdu_code_t code, const char *hex)
{
	char q[96];
	coap_pdu_t *pdu = new_request(l, code, NET_PATH_BLOB, l->token, &l->token_len);
	if (!pdu)
		return NULL;
	add_child_query(l, pdu);
	snprintf(q, sizeof(q), "h=%s", hex);
	net_add_query(pdu, q);
	return pdu;
}

/*
 * The next step of moving an attachment: up (ask where the parent is,
 * then send chunks from there) or down (fetch chunks from where our
 * partial copy ends).  Returns the op started, or LOP_NONE if nothing to do.
 */
static enum linksm_op start_blob(struct link *l, uint64_t now)
{
	const char *dir = store_dir(l->st);
	char q[48];
	bool complete;
	if (now < l->blob.retry_at)
		return LOP_NONE;
	/* up */
	while (blob_next(l->st, BLOB_UP, l->blob.skip[0] ? l->blob.skip : NULL, l->blob.hex)) {
		int64_t size = blob_size(dir, l->blob.hex);
		if (size < 0) {
			blob_done(l->st, BLOB_UP, l->blob.hex);   /* nothing to send */
			continue;
		}
		l->blob.total = (uint64_t)size;
		coap_pdu_t *pdu;
		if (!l->blob.stat_done) {
			pdu = blob_request(l, COAP_REQUEST_CODE_GET, l->blob.hex);
			if (pdu && coap_send(l->session, pdu) != COAP_INVALID_MID)
				return LOP_BLOB_UP;
			return LOP_NONE;
		}
		uint64_t n = l->blob.total - l->blob.off;
		if (n > BLOB_CHUNK)
			n = BLOB_CHUNK;
		struct gm_buf b;
		gm_buf_init(&b);
		if (!gm_buf_reserve(&b, n ? n : 1))
			return LOP_NONE;
		ssize_t got = blob_read(dir, l->blob.hex, l->blob.off, b.p, (size_t)n);
		if (got < 0) {
			gm_buf_free(&b);
			return LOP_NONE;
		}
		b.len = (size_t)got;
		pdu = blob_request(l, COAP_REQUEST_CODE_POST, l->blob.hex);
		if (!pdu) {
			gm_buf_free(&b);
			return LOP_NONE;
		}
		snprintf(q, sizeof(q), "o=%llu", (unsigned long long)l->blob.off);
		net_add_query(pdu, q);
		snprintf(q, sizeof(q), "t=%llu", (unsigned long long)l->blob.total);
		net_add_query(pdu, q);
		return send_with_body(l, pdu, &b) ? LOP_BLOB_UP : LOP_NONE;
	}
	/* down */
	if (!l->fetch_down)
		return LOP_NONE;
	while (blob_next(l->st, BLOB_DOWN, l->blob.skip[0] ? l->blob.skip : NULL, l->blob.hex)) {
		l->blob.off = blob_have(dir, l->blob.hex, &complete);
		l->blob.total = attachment_size(l, l->blob.hex);
		if (complete || !l->blob.total) {
			blob_done(l->st, BLOB_DOWN, l->blob.hex);
			continue;
		}
		coap_pdu_t *pdu = blob_request(l, COAP_REQUEST_CODE_GET, l->blob.hex);
		if (!pdu)
			return LOP_NONE;
		snprintf(q, sizeof(q), "o=%llu", (unsigned long long)l->blob.off);
		net_add_query(pdu, q);
		snprintf(q, sizeof(q), "n=%u", BLOB_CHUNK);
		net_add_query(pdu, q);
		return coap_send(l->session, pdu) != COAP_INVALID_MID ? LOP_BLOB_DOWN : LOP_NONE;
	}
	/* a full round with some skipped: come back to them later */
	if (l->blob.skip[0]) {
		l->blob.skip[0] = 0;
		l->blob.retry_at = now + 30000;
	}
	return LOP_NONE;
}

/* This blob waits: the parent lacks it, or refuses it for now. */
static void blob_skip(struct link *l)
{
	snprintf(l->blob.skip, sizeof(l->blob.skip), "%s", l->blob.hex);
	l->blob.stat_done = false;
}

static enum linksm_result on_blob_up(struct link *l, const coap_pdu_t *rcvd, const uint8_t *p,
				     size_t len)
{
	struct wire_blob w;
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);
	if (wire_blob_decode(p, len, &w)) {
		note_fail(l, "blob push", "reply does not decode");
		return LR_FAIL;
	}
	if (w.complete) {
		log_info("blob %.12s delivered to the parent", l->blob.hex);
		blob_done(l->st, BLOB_UP, l->blob.hex);
		l->blob.stat_done = false;
		return LR_OK;
	}
	(void)code;
	/* 2.05 to the state request, 2.04 after a chunk, 4.09 out of step */
	l->blob.off = w.have <= l->blob.total ? w.have : 0;
	l->blob.stat_done = true;
	return LR_OK;
}

static enum linksm_result on_blob_down(struct link *l, const uint8_t *p, size_t len)
{
	bool complete;
	uint64_t max = (uint64_t)l->cfg->blob_max_kb * 1024;
	enum gm_err e = blob_append(store_dir(l->st), l->blob.hex, l->blob.off, l->blob.total, p,
				    len, max, &complete);
	if (e == GM_E_AUTH) {
		/* corrupted on the way or at the parent: it is fetched again */
		log_warn("blob %.12s from the parent does not match its hash; fetching it again",
			 l->blob.hex);
		store_count_reject(l->st, "corrupt blob from parent", l->blob.hex);
		return LR_OK;
	}
	if (e == GM_E_STATE || (e == GM_OK && !len && !complete)) {
		blob_skip(l);
		return LR_OK;
	}
	if (e) {
		note_fail(l, "blob fetch", gm_strerror(e));
		return LR_FAIL;
	}
	if (complete) {
		log_info("blob %.12s fetched from the parent", l->blob.hex);
		blob_done(l->st, BLOB_DOWN, l->blob.hex);
	}
	return LR_OK;
}

uint64_t link_run(struct link *l, uint64_t now)
{
	uint64_t wake;
	handshake_done(l);
	for (;;) {
		enum linksm_op op = linksm_next(&l->sm, now, &wake);
		bool ok = false, nothing = false;
		/* nothing in flight is the old session's any more */
		if (l->renew && !l->sm.inflight && !renew_session(l)) {
			if (op == LOP_NONE)
				return wake;   /* no attachment moves over the failed session */
			note_fail(l, linksm_op_name(op), "cannot open a new DTLS session");
			linksm_done(&l->sm, op, LR_FAIL, now);
			continue;
		}
		if (op == LOP_NONE && !l->sm.inflight && !l->sm.down && l->sm.registered) {
			/* attachments move when the records are in step */
			op = start_blob(l, now);
			if (op != LOP_NONE) {
				linksm_start(&l->sm, op);
				l->op = op;
				net_body_free(&l->body);
				return now;
			}
			if (l->blob.retry_at > now && l->blob.retry_at < wake)
				wake = l->blob.retry_at;
		}
		if (op == LOP_NONE)
			return wake;
		linksm_start(&l->sm, op);
		l->op = op;
		net_body_free(&l->body);
		switch (op) {
		case LOP_REGISTER: ok = start_register(l); break;
		case LOP_PUSH: ok = start_push(l, &nothing); break;
		case LOP_PULL: ok = start_pull(l); break;
		case LOP_OBSERVE: ok = start_observe(l); break;
		default: break;
		}
		if (ok && nothing) {
			l->op = LOP_NONE;
			linksm_done(&l->sm, op, LR_OK, now);
			continue;
		}
		if (!ok) {
			l->op = LOP_NONE;
			note_fail(l, linksm_op_name(op), "could not send");
			linksm_done(&l->sm, op, LR_FAIL, now);
		}
		return now;
	}
}

static void finish(struct link *l, enum linksm_result r)
{
	enum linksm_op op = l->op;
	l->op = LOP_NONE;
	l->rounds++;
	if (r != LR_FAIL)
		note_ok(l);
	linksm_done(&l->sm, op, r, net_now_ms());
}

static enum linksm_result on_hello(struct link *l, const uint8_t *p, size_t len)
{
	struct wire_hello h;
	enum gm_err e = wire_hello_decode(p, len, &h);
	if (e || !code_is_parent(h.code, l->st->code)) {
		note_fail(l, "hello", e ? gm_strerror(e) : "parent's code does not match ours");
		store_count_reject(l->st, "bad reply from parent", "hello");
		return LR_FAIL;
	}
	int64_t down = meta_cursor(l->st, "down_cursor");
	/* an empty log holds none of what it acknowledged from us either */
	bool empty = h.log_head == 0 && meta_cursor(l->st, "up_cursor") > 0;
	if (h.log_head < down || empty) {
		/*
		 * The parent's log is shorter than what it already gave us: it was
		 * restored from a backup and lost batches, ours among them.  Start
		 * both cursors over; whatever either side already holds is
		 * recognised by its hash and skipped, so this costs bandwidth, never
		 * correctness.
		 */
		log_warn("parent %s went back in time (log head %lld, our cursors %lld down, %lld"
			 " up): sending and fetching everything again", l->parent,
			 (long long)h.log_head, (long long)down,
			 (long long)meta_cursor(l->st, "up_cursor"));
		if (store_meta_set_int(l->st, "down_cursor", 0) ||
		    store_meta_set_int(l->st, "up_cursor", 0))
			log_err("resetting cursors: %s", store_errmsg(l->st));
		down = 0;
		linksm_want_push(&l->sm);
		l->sm.pull_wanted = true;   /* and fetch from 0: it ends the parent's resync */
	}
	l->parent_head = h.head;
	linksm_hello(&l->sm, h.boot, h.head, down);
	return LR_OK;
}

static enum linksm_result on_push_reply(struct link *l, const uint8_t *p, size_t len)
{
	struct wire_ack ack;
	if (wire_ack_decode(p, len, &ack)) {
		note_fail(l, "push", "reply does not decode");
		return LR_FAIL;
	}
	if (ack.acked != l->push_upto) {
		char why[96];
		snprintf(why, sizeof(why), "parent refused %u batches", ack.refused);
		note_fail(l, "push", why);
		return LR_FAIL;
	}
	set_cursor(l, "up_cursor", ack.acked);
	l->pushed += ack.applied;
	if (ack.refused)
		log_warn("the parent refused %u batches for good (signed by revoked keys)",
			 ack.refused);
	log_notice("pushed %u batches (%llu changes) to parent, acknowledged", l->push_batches,
		   (unsigned long long)l->push_changes);
	return l->push_more ? LR_MORE : LR_OK;
}

static enum linksm_result on_pull_reply(struct link *l, const uint8_t *p, size_t len)
{
	struct exchange_in in;
	enum gm_err e = exchange_apply(l->st, p, len, LINK_PARENT, l->body.max, &in);
	if (e) {
		note_fail(l, "pull", in.why);
		return LR_FAIL;
	}
	if (in.refused || in.rejected)
		log_warn("from parent: %u batches, %llu changes refused: %s", in.refused,
			 (unsigned long long)in.rejected, in.why);
	set_cursor(l, "down_cursor", in.upto);
	l->pulled += in.batches;
	/* applying sealed our own pending changes first: they may want pushing */
	linksm_want_push(&l->sm);
	if (in.batches) {
		log_notice("pulled %u batches (%llu changes applied, %llu superseded) from parent",
			   in.batches, (unsigned long long)in.applied,
			   (unsigned long long)in.superseded);
		if (l->fetch_down && blob_queue_missing(l->st, store_dir(l->st)))
			log_err("queueing attachments to fetch: %s", store_errmsg(l->st));
		if (l->on_batches)
			l->on_batches(l->cb_ctx);
	}
	if (in.batches || in.dup || in.refused)
		return LR_MORE;
	if (l->reclaiming) {
		/* in step with our own batches included: what we lost is back */
		if (store_meta_set_int(l->st, "reclaim", 0))
			log_err("saving reclaim state: %s", store_errmsg(l->st));
		else
			log_notice("back in step: the parent sent back what it had from this"
				   " node's code (after a restore or a new key)");
		l->reclaiming = false;
	}
	return LR_OK;
}

static bool token_is(const uint8_t *t, size_t tl, coap_bin_const_t tok)
{
	return tl && tok.length == tl && memcmp(tok.s, t, tl) == 0;
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent,
				   const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct link *l = coap_session_get_app_data(s);
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	coap_pdu_code_t code = coap_pdu_get_code(rcvd);
	(void)sent;
	(void)mid;
	if (!l || s != l->session)
		return COAP_RESPONSE_FAIL;

	bool is_obs = token_is(l->obs_token, l->obs_token_len, tok);
	bool is_req = l->op != LOP_NONE && token_is(l->token, l->token_len, tok);
	if (!is_req && !is_obs)
		return COAP_RESPONSE_FAIL;   /* unknown token: RST it */

	if (is_req && (l->op == LOP_BLOB_UP || l->op == LOP_BLOB_DOWN) &&
	    COAP_RESPONSE_CLASS(code) == 4) {
		/* expected answers of the blob exchange, not link failures */
		unsigned detail = code & 0x1f;
		l->body.max = 4096;
		if (l->op == LOP_BLOB_UP && detail == 9 &&
		    net_body_add(&l->body, rcvd, net_now_ms()) == NB_DONE) {
			enum linksm_result r = on_blob_up(l, rcvd, l->body.p, l->body.len);
			net_body_free(&l->body);
			finish(l, r);
			return COAP_RESPONSE_OK;
		}
		net_body_free(&l->body);
		if (l->op == LOP_BLOB_UP && detail == 0)
			l->blob.off = 0;           /* corrupt at the parent: start over */
		else
			blob_skip(l);              /* 4.04 not there yet, 4.03 no record yet */
		finish(l, LR_OK);
		return COAP_RESPONSE_OK;
	}
	if (COAP_RESPONSE_CLASS(code) != 2) {
		char why[160];
		size_t dl = 0;
		const uint8_t *d = NULL;
		coap_get_data(rcvd, &dl, &d);
		snprintf(why, sizeof(why), "%d.%02d %.*s", COAP_RESPONSE_CLASS(code), code & 0x1f,
			 (int)(dl > 100 ? 100 : dl), d ? (const char *)d : "");
		if (is_obs)
			l->obs_token_len = 0;
		if (is_req) {
			note_fail(l, linksm_op_name(l->op), why);
			finish(l, LR_FAIL);
		}
		return COAP_RESPONSE_OK;
	}
	l->body.max = (size_t)l->cfg->max_body_kb * 1024;
	switch (net_body_add(&l->body, rcvd, net_now_ms())) {
	case NB_MORE:
		return COAP_RESPONSE_OK;   /* libcoap is asking for the next block */
	case NB_DONE:
		break;
	default:
		net_body_free(&l->body);
		if (is_req) {
			note_fail(l, linksm_op_name(l->op), "reply too large or out of order");
			store_count_reject(l->st, "bad reply from parent", "oversized or gapped body");
			finish(l, LR_FAIL);
		}
		return COAP_RESPONSE_OK;
	}

	enum linksm_result r = LR_FAIL;
	if (is_obs && !(is_req && l->op == LOP_OBSERVE)) {
		/* a notification: the parent's head moved */
		on_hello(l, l->body.p, l->body.len);
		net_body_free(&l->body);
		return COAP_RESPONSE_OK;
	}
	switch (l->op) {
	case LOP_REGISTER:
		r = on_hello(l, l->body.p, l->body.len);
		break;
	case LOP_OBSERVE: {
		coap_opt_iterator_t it;
		r = on_hello(l, l->body.p, l->body.len);
		if (r != LR_FAIL && !coap_check_option(rcvd, COAP_OPTION_OBSERVE, &it)) {
			/* the parent does not offer observation: poll instead */
			log_notice("parent %s does not support observe; polling every %d s", l->parent,
				   l->cfg->poll_s);
			l->sm.c.observe = false;
			l->obs_token_len = 0;
		}
		break;
	}
	case LOP_PUSH:
		r = on_push_reply(l, l->body.p, l->body.len);
		break;
	case LOP_PULL:
		r = on_pull_reply(l, l->body.p, l->body.len);
		break;
	case LOP_BLOB_UP:
		r = on_blob_up(l, rcvd, l->body.p, l->body.len);
		break;
	case LOP_BLOB_DOWN:
		r = on_blob_down(l, l->body.p, l->body.len);
		break;
	default:
		break;
	}
	net_body_free(&l->body);
	finish(l, r);
	return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason,
		    const coap_mid_t mid)
{
	struct link *l = coap_session_get_app_data(s);
	static const char *const why[] = { "no reply (timeout)", "not deliverable", "reset by peer",
					    "DTLS failed",
					    "unreachable (ICMP error: is a node listening there?)" };
	(void)mid;
	if (!l || s != l->session)
		return;
	coap_bin_const_t tok = sent ? coap_pdu_get_token(sent) : (coap_bin_const_t){ 0, NULL };
	bool is_obs = token_is(l->obs_token, l->obs_token_len, tok);
	if (is_obs)
		l->obs_token_len = 0;   /* the observation is gone */
	if (reason == COAP_NACK_TLS_FAILED)
		l->renew = true;        /* in link_run: not while libcoap is using it */
	/*
	 * Ours is the only request in flight, so anything but the observation
	 * is ours: libcoap 4.3.1 sends the second and later blocks of a
	 * block-wise request under tokens of its own and nacks them with
	 * those, not with ours.  Waiting for our token, a push whose later
	 * block went unanswered stayed in flight for ever and the link hung.
	 * A stray NACK (a duplicate block's) at worst fails a request that
	 * is then repeated.
	 */
	if (l->op != LOP_NONE && (!sent || token_is(l->token, l->token_len, tok) || !is_obs)) {
		note_fail(l, linksm_op_name(l->op), (unsigned)reason < 5 ? why[reason] : "failed");
		net_body_free(&l->body);
		finish(l, LR_FAIL);
	}
}

enum gm_err link_new(coap_context_t *ctx, struct store *st, const struct config *cfg,
		     struct identity *id, bool observe, link_batches_fn on_batches, void *cb_ctx,
		     struct link **out, char *err, size_t errlen)
{
	coap_address_t dst;
	bool secure;
	enum gm_err e;

	*out = NULL;
	if (!cfg->parent[0])
		return GM_OK;
	if (st->level == LEVEL_CITY) {
		snprintf(err, errlen, "a city node has no parent (parent = %s)", cfg->parent);
		return GM_E_INVAL;
	}
	if ((e = net_resolve(cfg->parent, &dst, &secure, err, errlen)))
		return e;
	uint8_t ppk[CERT_PK_BYTES];
	if (secure && (!identity_enrolled(id) || !identity_parent_pk(id, ppk))) {
		snprintf(err, errlen, "a coaps:// parent needs this node enrolled (gridctl enrol)");
		return GM_E_AUTH;
	}
	if (!secure && !cfg->insecure) {
		snprintf(err, errlen, "plain coap:// to the parent needs insecure = true in"
				      " gridnode.conf; use coaps:// after enrolment");
		return GM_E_AUTH;
	}
	struct link *l = calloc(1, sizeof(*l));
	if (!l)
		return GM_E_NOMEM;
	l->ctx = ctx;
	l->st = st;
	l->cfg = cfg;
	l->on_batches = on_batches;
	l->cb_ctx = cb_ctx;
	snprintf(l->parent, sizeof(l->parent), "%s", cfg->parent);
	l->dst = dst;
	l->secure = secure;
	if (secure && !identity_link_key(id, ppk, true, l->psk)) {
		snprintf(err, errlen, "cannot derive the link key");
		free(l);
		return GM_E_AUTH;
	}
	if (!open_session(l)) {
		snprintf(err, errlen, "cannot open a CoAP session to %s", cfg->parent);
		sodium_memzero(l->psk, sizeof(l->psk));
		free(l);
		return GM_E_NET;
	}
	struct linksm_conf lc = {
		.poll_ms = (uint32_t)cfg->poll_s * 1000u,
		.poll_observing_ms = (uint32_t)cfg->poll_observing_s * 1000u,
		.backoff_min_ms = (uint32_t)cfg->backoff_min_ms,
		.backoff_max_ms = (uint32_t)cfg->backoff_max_s * 1000u,
		.reg_refresh_ms = (uint32_t)cfg->lifetime_s * 500u,
		.observe = observe,
	};
	linksm_init(&l->sm, &lc, net_now_ms());
	l->fetch_down = !strcmp(cfg->blob_fetch, "eager");
	coap_register_response_handler(ctx, on_response);
	coap_register_nack_handler(ctx, on_nack);
	*out = l;
	return GM_OK;
}

void link_set_config(struct link *l, const struct config *cfg)
{
	l->cfg = cfg;
	net_tune_session(l->session, cfg);
	if (l->handshaking)
		coap_session_set_max_retransmit(l->session, NET_DTLS_RETRANSMIT);
}

void link_free(struct link *l)
{
	if (!l)
		return;
	if (l->obs_token_len) {
		coap_binary_t tok = { l->obs_token_len, l->obs_token };
		coap_cancel_observe(l->session, &tok, COAP_MESSAGE_NON);
	}
	coap_session_set_app_data(l->session, NULL);
	coap_session_release(l->session);
	net_body_free(&l->body);
	sodium_memzero(l->psk, sizeof(l->psk));
	free(l);
}

void link_fetch_blobs(struct link *l)
{
	l->fetch_down = true;
}

bool link_blobs_idle(struct link *l)
{
	if (l->blob.retry_at > net_now_ms())
		return true;    /* what is left waits for the parent */
	return !blob_pending(l->st, BLOB_UP) && (!l->fetch_down || !blob_pending(l->st, BLOB_DOWN));
}

void link_want_push(struct link *l)
{
	linksm_want_push(&l->sm);
}

bool link_idle(const struct link *l)
{
	return linksm_idle(&l->sm);
}

unsigned link_failures(const struct link *l)
{
	return l->sm.fails;
}

unsigned link_rounds(const struct link *l)
{
	return l->rounds;
}

void link_counts(const struct link *l, uint64_t *pushed, uint64_t *pulled)
{
	*pushed = l->pushed;
	*pulled = l->pulled;
}

int64_t link_parent_head(const struct link *l)
{
	return l->parent_head;
}

const char *link_last_error(const struct link *l)
{
	return l->last_err;
}
