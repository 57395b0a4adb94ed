/* server.c - resources served to children. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "server.h"
#include "children.h"
#include "config.h"
#include "exchange.h"
#include "log.h"
#include "net.h"
#include "store_int.h"
#include "identity.h"
#include "blobs.h"
#include "views.h"
#include "syncreq.h"
#include <sodium.h>
#include "../proto/wire.h"

#ifndef GM_VERSION
#define GM_VERSION "0.1"
#endif

/*
 * Per server session: a block-wise upload being reassembled.  A complete
 * body stays until the next one starts (or server_tick drops it): libcoap
 * does not recognise a retransmitted request, so when our reply to the
 * last block is lost, the child sends that block again, and it must find
 * the body there to get the same answer (every request is idempotent: a
 * push again is batches we hold), not a 4.08 for a gap.
 */
struct peer {
	struct net_body body;
	struct peer *next;
	coap_session_t *session;
	bool dtls_up;            /* handshake completed */
	bool tuned;              /* the [coap] settings replaced the handshake's budget */
};

/* a child's link key, kept while the server lives (libcoap keeps the pointer) */
struct psk {
	char code[16];
	uint8_t pk[CERT_PK_BYTES];   /* the child's key the link key was derived from */
	uint8_t key[32];
	coap_bin_const_t bin;
};

struct server {
	coap_context_t *ctx;
	struct identity *id;
	struct psk *psks;
	size_t npsks, cappsks;
	struct store *st;
	const struct config *cfg;
	struct children *kids;
	uint64_t boot;
	coap_resource_t *bell;
	int64_t rung;                /* batches up to here have rung their bells */
	server_batches_fn on_batches;
	void *cb_ctx;
	struct peer *peers;
	uint64_t last_flush;
	sqlite3_stmt *head_for;
	sqlite3_stmt *routes_after;
};

static struct server *of(coap_resource_t *r)
{
	return coap_resource_get_userdata(r);
}

static void reply_text(coap_pdu_t *resp, coap_pdu_code_t code, const char *msg)
{
	coap_pdu_set_code(resp, code);
	if (msg)
		coap_add_data(resp, strlen(msg), (const uint8_t *)msg);
}

static void refuse(struct server *srv, coap_session_t *s, coap_pdu_t *resp,
		   coap_pdu_code_t code, const char *reason, const char *detail)
{
	char addr[64];
	net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
	log_warn("refused %s from %s: %s", reason, addr, detail);
	store_count_reject(srv->st, reason, detail);
	reply_text(resp, code, detail);
}

static void free_buf(coap_session_t *s, void *p)
{
	(void)s;
	free(p);
}

/* Sends a msgpack body, block-wise if large; takes ownership of `b`'s bytes. */
static void reply_body(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		       coap_pdu_t *resp, const coap_string_t *query, coap_pdu_code_t code,
		       unsigned ct, struct gm_buf *b)
{
	size_t len;
	uint8_t *p = gm_buf_steal(b, &len);
	coap_pdu_set_code(resp, code);
	if (!coap_add_data_large_response(r, s, req, resp, query, (uint16_t)ct, -1, 0, len, p,
					  free_buf, p)) {
		free(p);
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "response too large");
	}
}

static struct peer *peer_of(struct server *srv, coap_session_t *s);

/*
 * A request arrived on this session, so its handshake completed (libcoap
 * 4.3.1 sends no COAP_EVENT_DTLS_CONNECTED for server sessions); its close
 * later is not a failed handshake.
 */
static void session_works(struct server *srv, coap_session_t *s)
{
	struct peer *p;
	if (coap_session_get_proto(s) == COAP_PROTO_DTLS && (p = peer_of(srv, s)))
		p->dtls_up = true;
}

/* Over DTLS, a session speaks only for the child that authenticated it. */
static bool session_is(coap_session_t *s, const char *code)
{
	if (coap_session_get_proto(s) != COAP_PROTO_DTLS)
		return true;
	const coap_bin_const_t *idn = coap_session_get_psk_identity(s);
	return idn && idn->length == strlen(code) && !memcmp(idn->s, code, idn->length);
}

static struct peer *peer_of(struct server *srv, coap_session_t *s);

/*
 * A request arrived over this session, so its DTLS handshake (if any)
 * succeeded: libcoap 4.3.1 raises no DTLS_CONNECTED for server sessions,
 * and without this every clean close looked like a failed handshake.
 */
static void request_seen(struct server *srv, coap_session_t *s)
{
	if (coap_session_get_proto(s) == COAP_PROTO_DTLS) {
		struct peer *p = peer_of(srv, s);
		if (p)
			p->dtls_up = true;
		if (p && !p->tuned) {
			net_tune_session(s, srv->cfg);   /* the handshake's budget is spent */
			p->tuned = true;
		}
	}
}

/* Reads the query (node/syncreq.h); c= must name one of our direct children. */
static bool child_of_query(struct server *srv, coap_session_t *s, const coap_string_t *q,
			   coap_pdu_t *resp, struct syncreq *rq, int *link)
{
	char addr[64];
	const char *code = rq->code;
	request_seen(srv, s);
	syncreq_parse(srv->st->code, q ? (const char *)q->s : NULL, q ? q->length : 0, rq);
	if (!(rq->has & SR_CODE)) {
		refuse(srv, s, resp, COAP_RESPONSE_CODE_FORBIDDEN, "not a child",
		       "c= must name a direct child of this node");
		return false;
	}
	if (!session_is(s, code)) {
		refuse(srv, s, resp, COAP_RESPONSE_CODE_FORBIDDEN, "wrong identity",
		       "c= names another child than the one this DTLS session belongs to");
		return false;
	}
	session_works(srv, s);
	net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
	if (children_touch(srv->kids, code, addr, (int64_t)(hlc_wall_ms() / 1000), link)) {
		log_err("children registry: %s", store_errmsg(srv->st));
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "registry");
		return false;
	}
	return true;
}

/* Our newest batch for child `code` that did not come from it. */
static int64_t head_for(struct server *srv, const char *code, int link)
{
	sqlite3_stmt *s = srv->head_for;
	int64_t head = 0;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, link);
	if (sqlite3_step(s) == SQLITE_ROW)
		head = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return head;
}

/*
 * Restored from a backup (node/backup.h), we ask each child we knew to
 * send everything again: its cursors point into our log as it was, and
 * what it sent after the backup (residents, which stop here) would never
 * come back.  A hello with log head 0 is how a child learns its parent
 * went back in time (docs/protocol.md); head is 0 too (a hello never has
 * head past log head).  The child then pushes everything and pulls from
 * 0, which ends the request.
 */
static bool resync_pending(struct server *srv, const char *child)
{
	char key[32];
	snprintf(key, sizeof(key), "resync:%s", child);
	return store_meta_int(srv->st, key, 0) != 0;
}

static void reply_hello(struct server *srv, coap_resource_t *r, coap_session_t *s,
			const coap_pdu_t *req, coap_pdu_t *resp, const coap_string_t *q,
			coap_pdu_code_t code, const char *child, int link)
{
	bool resync = resync_pending(srv, child);
	struct wire_hello h = { .boot = srv->boot, .head = resync ? 0 : head_for(srv, child, link),
				.log_head = resync ? 0 : store_batch_head(srv->st) };
	if (resync)
		log_notice("restored from a backup: asking %s to send everything again", child);
	struct gm_buf b;
	snprintf(h.code, sizeof(h.code), "%s", srv->st->code);
	gm_buf_init(&b);
	if (wire_hello_encode(&b, &h)) {
		gm_buf_free(&b);
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, NULL);
		return;
	}
	reply_body(r, s, req, resp, q, code, NET_CT_OCTETS, &b);
}

/* Collects a block-wise request body; true once it is complete. */
static struct peer *peer_of(struct server *srv, coap_session_t *s)
{
	struct peer *p = coap_session_get_app_data(s);
	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->session = s;
	p->body.max = (size_t)srv->cfg->max_body_kb * 1024;
	p->next = srv->peers;
	srv->peers = p;
	coap_session_set_app_data(s, p);
	return p;
}

static bool body_complete(struct server *srv, coap_session_t *s, const coap_pdu_t *req,
			  coap_pdu_t *resp, struct peer **pp)
{
	struct peer *p = peer_of(srv, s);
	coap_opt_iterator_t it;
	/* our bodies are msgpack (42); anything else is not for us */
	coap_opt_t *ct = coap_check_option(req, COAP_OPTION_CONTENT_FORMAT, &it);
	if (ct && coap_decode_var_bytes(coap_opt_value(ct), coap_opt_length(ct)) != NET_CT_OCTETS) {
		refuse(srv, s, resp, COAP_RESPONSE_CODE(415), "wrong content-format",
		       "bodies are application/octet-stream (42) msgpack");
		return false;
	}
	if (!p) {
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, NULL);
		return false;
	}
	struct net_refusal no;
	enum net_body_state bs = net_body_receive(&p->body, (size_t)srv->cfg->max_body_kb * 1024,
						  req, resp, &no);
	if (bs == NB_DONE) {
		*pp = p;
		return true;
	}
	if (bs == NB_MORE)
		return false;
	if (no.reason)
		refuse(srv, s, resp, no.code, no.reason, no.detail);
	else
		reply_text(resp, no.code, no.detail);
	return false;
}

static void h_reg(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		  const coap_string_t *q, coap_pdu_t *resp)
{
	struct server *srv = of(r);
	struct peer *p;
	struct wire_reg reg;
	struct child_info ci;
	char detail[128];

	request_seen(srv, s);
	if (!body_complete(srv, s, req, resp, &p))
		return;
	enum gm_err e = wire_reg_decode(p->body.p, p->body.len, &reg);
	if (e) {
		snprintf(detail, sizeof(detail), "registration does not decode: %s", gm_strerror(e));
		refuse(srv, s, resp, COAP_RESPONSE_CODE_BAD_REQUEST, "bad registration", detail);
		return;
	}
	session_works(srv, s);
	if (!code_is_parent(srv->st->code, reg.code) ||
	    reg.level != code_level(reg.code, strlen(reg.code)) || !session_is(s, reg.code)) {
		snprintf(detail, sizeof(detail), "%s is not a child of %s", reg.code, srv->st->code);
		refuse(srv, s, resp, COAP_RESPONSE_CODE_FORBIDDEN, "not a child", detail);
		return;
	}
	memset(&ci, 0, sizeof(ci));
	snprintf(ci.code, sizeof(ci.code), "%s", reg.code);
	ci.level = reg.level;
	snprintf(ci.version, sizeof(ci.version), "%s", reg.version);
	ci.lifetime = reg.lifetime;
	ci.registered = ci.last_seen = (int64_t)(hlc_wall_ms() / 1000);
	net_addr_str(coap_session_get_addr_remote(s), ci.addr, sizeof(ci.addr));
	const struct child_info *had = children_find(srv->kids, reg.code);
	if (children_register(srv->kids, &ci)) {
		log_err("children registry: %s", store_errmsg(srv->st));
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "registry");
		return;
	}
	if (!had)
		log_notice("child %s registered from %s (version %s)", ci.code, ci.addr, ci.version);
	const struct child_info *now = children_find(srv->kids, reg.code);
	reply_hello(srv, r, s, req, resp, q, COAP_RESPONSE_CODE_CHANGED, reg.code,
		    now ? now->link : -1);
}

static void h_up(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		 const coap_string_t *q, coap_pdu_t *resp)
{
	struct server *srv = of(r);
	struct peer *p;
	struct exchange_in in;
	struct wire_ack ack = { 0 };
	struct gm_buf b;
	struct syncreq rq;
	const char *code = rq.code;
	int link;

	if (!child_of_query(srv, s, q, resp, &rq, &link))
		return;
	if (!body_complete(srv, s, req, resp, &p))
		return;
	enum gm_err e = exchange_apply(srv->st, p->body.p, p->body.len, link,
				       (size_t)srv->cfg->max_body_kb * 1024, &in);
	if (e == GM_E_MALFORMED || e == GM_E_TOOBIG || e == GM_E_VERSION) {
		/* exchange_apply counted it; say why to the child too */
		log_warn("push from %s refused: %s", code, in.why);
		reply_text(resp, COAP_RESPONSE_CODE_BAD_REQUEST, in.why);
		return;
	}
	if (e) {
		/* our fault, not the child's (disk full): it retries later */
		log_err("push from %s not stored: %s", code, in.why);
		reply_text(resp, COAP_RESPONSE_CODE(503), in.why);
		return;
	}
	if (in.refused || in.rejected)
		log_warn("push from %s: %u batches, %llu changes refused: %s", code, in.refused,
			 (unsigned long long)in.rejected, in.why);
	if (in.batches)
		log_notice("push from %s: %u batches, %llu changes applied", code, in.batches,
			   (unsigned long long)in.applied);
	ack.applied = in.batches + in.dup;
	ack.refused = in.refused;
	/*
	 * A refused batch is not acknowledged: the child keeps it and tries
	 * again (a clock that was ahead, a certificate still on its way).
	 * Batches signed by a key revoked before they were stamped can never
	 * be taken: acknowledged (and counted), they do not hold the rest up.
	 */
	ack.acked = in.refused > in.revoked ? -1 : in.upto;
	gm_buf_init(&b);
	if (wire_ack_encode(&b, &ack)) {
		gm_buf_free(&b);
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, NULL);
		return;
	}
	reply_body(r, s, req, resp, q, COAP_RESPONSE_CODE_CHANGED, NET_CT_OCTETS, &b);
	if (in.batches && srv->on_batches)
		srv->on_batches(srv->cb_ctx, code);
}

static void h_down(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		   const coap_string_t *q, coap_pdu_t *resp)
{
	struct server *srv = of(r);
	struct exchange_out out;
	struct gm_buf b;
	struct syncreq rq;
	const char *code = rq.code;
	int link;

	if (!child_of_query(srv, s, q, resp, &rq, &link))
		return;
	if (rq.bad & SR_AFTER) {
		refuse(srv, s, resp, COAP_RESPONSE_CODE_BAD_REQUEST, "bad cursor",
		       "a= must be a non-negative number");
		return;
	}
	int64_t a = rq.after;
	/*
	 * own=1: a child restored from a backup asks, once, for its own
	 * batches too, which it lost and which we otherwise never send back
	 * (docs/protocol.md, "Reclaim after a restore").
	 */
	bool reclaim = rq.has & SR_OWN;
	struct batch_filter bf = { .dir = BF_DOWN, .child = code,
				   .exclude_link = reclaim ? -1 : link };
	if (a == 0 && resync_pending(srv, code)) {
		char key[32];
		snprintf(key, sizeof(key), "resync:%s", code);
		if (store_meta_set_int(srv->st, key, 0))
			log_err("saving resync state: %s", store_errmsg(srv->st));
	}
	gm_buf_init(&b);
	if (exchange_collect(srv->st, a, &bf, NULL, (size_t)srv->cfg->pull_kb * 1024, &b, &out)) {
		gm_buf_free(&b);
		log_err("pull for %s: %s", code, store_errmsg(srv->st));
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "store");
		return;
	}
	reply_body(r, s, req, resp, q, COAP_RESPONSE_CODE_CONTENT, NET_CT_OCTETS, &b);
}

static void h_bell(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		   const coap_string_t *q, coap_pdu_t *resp)
{
	struct server *srv = of(r);
	struct syncreq rq;
	int link;
	if (!child_of_query(srv, s, q, resp, &rq, &link))
		return;
	reply_hello(srv, r, s, req, resp, q, COAP_RESPONSE_CODE_CONTENT, rq.code, link);
}

static void h_status(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		     const coap_string_t *q, coap_pdu_t *resp)
{
	struct server *srv = of(r);
	struct gm_buf b;
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "{\"code\":\"%s\",\"level\":\"%s\",\"head\":%lld,\"boot\":%llu}",
			 srv->st->code, level_name(srv->st->level),
			 (long long)store_batch_head(srv->st), (unsigned long long)srv->boot);
	gm_buf_init(&b);
	gm_buf_append(&b, line, (size_t)n);
	reply_body(r, s, req, resp, q, COAP_RESPONSE_CODE_CONTENT, NET_CT_JSON, &b);
}

static void session_gone(struct server *srv, coap_session_t *s);

/*
 * Why a handshake probably failed: the peer's key is not the one
 * certified for the code it claimed (a code with a revoked key: most
 * likely that device, a lost laptop come back, and the operator should
 * know which key it was), or the peer derived the link key from an
 * earlier certificate of ours (we were re-keyed and it was not enrolled
 * again).
 */
static void handshake_failure(struct server *srv, coap_session_t *s, const char *addr,
			      char *out, size_t len)
{
	const coap_bin_const_t *idn = coap_session_get_psk_identity(s);
	char code[16], revoked[160];
	if (!idn || !idn->length || idn->length >= sizeof(code)) {
		snprintf(out, len, "%s (wrong key?)", addr);
		return;
	}
	memcpy(code, idn->s, idn->length);
	code[idn->length] = 0;
	if (identity_last_revoked(srv->st, code, revoked, sizeof(revoked)))
		snprintf(out, len, "%s claiming %s: not its current key (%s), or it holds an"
			 " earlier key of ours", addr, code, revoked);
	else
		snprintf(out, len, "%s claiming %s: not its current key (a copied directory, a key"
			 " made again?), or it holds an earlier key of ours", addr, code);
}

static int on_event(coap_session_t *s, const coap_event_t ev)
{
	struct server *srv = coap_get_app_data(coap_session_get_context(s));
	char addr[64];
	if (!srv)
		return 0;
	if (ev == COAP_EVENT_SERVER_SESSION_DEL)
		session_gone(srv, s);
	if (ev == COAP_EVENT_SERVER_SESSION_NEW && coap_session_get_proto(s) == COAP_PROTO_DTLS)
		coap_session_set_max_retransmit(s, NET_DTLS_RETRANSMIT);   /* net.h */
	if (coap_session_get_type(s) != COAP_SESSION_TYPE_SERVER)
		return 0;
	if (ev == COAP_EVENT_DTLS_CONNECTED) {
		session_works(srv, s);
	} else if (ev == COAP_EVENT_DTLS_ERROR || ev == COAP_EVENT_DTLS_CLOSED) {
		/* a session closed before its handshake completed: a wrong key
		 * fails the handshake's MAC check and ends up here */
		struct peer *p = coap_session_get_app_data(s);
		if (!p || !p->dtls_up) {
			char detail[256];
			net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
			handshake_failure(srv, s, addr, detail, sizeof(detail));
			log_warn("DTLS handshake from %s failed: %s", addr, detail);
			store_count_reject(srv->st, "DTLS handshake failed", detail);
		}
	}
	return 0;
}

/* ------------------------------------------------------------- views */

/*
 * GET views/<name>?<query>: the admin's aggregated views as JSON
 * (content-format 50), the same answers as `gridctl view` (node/views.h).
 */
static void h_view(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		   const coap_string_t *q, coap_pdu_t *resp)
{
	struct server *srv = of(r);
	coap_str_const_t *path = coap_resource_get_uri_path(r);
	char name[32], qs[1024], err[256];
	char *json = NULL;
	if (!path || path->length <= 6 || path->length - 6 >= sizeof(name)) {
		reply_text(resp, COAP_RESPONSE_CODE_NOT_FOUND, NULL);
		return;
	}
	memcpy(name, path->s + 6, path->length - 6);   /* after "views/" */
	name[path->length - 6] = 0;
	if (q && q->length >= sizeof(qs)) {
		refuse(srv, s, resp, COAP_RESPONSE_CODE_BAD_REQUEST, "bad view query", "query too long");
		return;
	}
	snprintf(qs, sizeof(qs), "%.*s", q ? (int)q->length : 0, q ? (const char *)q->s : "");
	enum gm_err e = views_answer(srv->st, name, qs, &json, err, sizeof(err));
	if (e == GM_E_INVAL) {
		refuse(srv, s, resp, COAP_RESPONSE_CODE_BAD_REQUEST, "bad view query", err);
		return;
	}
	if (e) {
		log_err("view %s: %s", name, store_errmsg(srv->st));
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "view failed");
		return;
	}
	struct gm_buf b;
	gm_buf_init(&b);
	gm_buf_append(&b, json, strlen(json));
	free(json);
	reply_body(r, s, req, resp, q, COAP_RESPONSE_CODE_CONTENT, NET_CT_JSON, &b);
}

/* ------------------------------------------------------------- blobs */

static bool blob_query(struct server *srv, coap_session_t *s, coap_pdu_t *resp,
		       const struct syncreq *rq)
{
	if (!(rq->has & SR_HASH)) {
		refuse(srv, s, resp, COAP_RESPONSE_CODE_BAD_REQUEST, "bad blob request",
		       "h= must be a 64-digit lowercase hex BLAKE2b-256 hash");
		return false;
	}
	return true;
}

/* A child may send us only blobs of attachments in its own subtree. */
static bool attachment_known(struct server *srv, const char *hex, const char *code)
{
	sqlite3_stmt *s;
	bool ok = false;
	if (sqlite3_prepare_v2(store_db(srv->st),
			       "SELECT 1 FROM attachment WHERE hash = ?1 AND _del IS NULL AND"
			       " _scope >= ?2 AND _scope < ?2 || ':' LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, code, -1, SQLITE_STATIC);
	ok = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return ok;
}

static void reply_blob_state(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
			     coap_pdu_t *resp, const coap_string_t *q, coap_pdu_code_t code,
			     uint64_t have, bool complete)
{
	struct wire_blob w = { have, complete };
	struct gm_buf b;
	gm_buf_init(&b);
	if (wire_blob_encode(&b, &w)) {
		gm_buf_free(&b);
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, NULL);
		return;
	}
	reply_body(r, s, req, resp, q, code, NET_CT_OCTETS, &b);
}

static void h_blob_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		       const coap_string_t *q, coap_pdu_t *resp)
{
	struct server *srv = of(r);
	struct syncreq rq;
	const char *hex = rq.hash;
	bool complete;
	int link;
	if (!child_of_query(srv, s, q, resp, &rq, &link) || !blob_query(srv, s, resp, &rq))
		return;
	uint64_t have = blob_have(store_dir(srv->st), hex, &complete);
	if (!(rq.has & SR_OFF)) {
		reply_blob_state(r, s, req, resp, q, COAP_RESPONSE_CODE_CONTENT, complete ? have : 0,
				 complete);
		return;
	}
	uint64_t off = rq.off, n = rq.has & SR_LEN ? rq.len : BLOB_CHUNK;
	if (!complete) {
		reply_text(resp, COAP_RESPONSE_CODE_NOT_FOUND, "blob not held here");
		return;
	}
	if (n > BLOB_CHUNK)
		n = BLOB_CHUNK;
	struct gm_buf b;
	gm_buf_init(&b);
	if (off > have || !gm_buf_reserve(&b, n ? n : 1)) {
		gm_buf_free(&b);
		reply_text(resp, COAP_RESPONSE_CODE_BAD_REQUEST, "offset past the end");
		return;
	}
	ssize_t got = blob_read(store_dir(srv->st), hex, off, b.p, (size_t)n);
	if (got < 0) {
		gm_buf_free(&b);
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "cannot read the blob");
		return;
	}
	b.len = (size_t)got;
	reply_body(r, s, req, resp, q, COAP_RESPONSE_CODE_CONTENT, NET_CT_OCTETS, &b);
}

static void h_blob_post(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
			const coap_string_t *q, coap_pdu_t *resp)
{
	struct server *srv = of(r);
	struct peer *p;
	struct syncreq rq;
	const char *code = rq.code, *hex = rq.hash;
	bool complete = false;
	int link;
	if (!child_of_query(srv, s, q, resp, &rq, &link) || !blob_query(srv, s, resp, &rq))
		return;
	uint64_t off = rq.off, total = rq.total;
	if ((rq.has & (SR_OFF | SR_TOTAL)) != (SR_OFF | SR_TOTAL)) {
		refuse(srv, s, resp, COAP_RESPONSE_CODE_BAD_REQUEST, "bad blob request",
		       "o= and t= are required");
		return;
	}
	if (!body_complete(srv, s, req, resp, &p))
		return;
	const char *dir = store_dir(srv->st);
	uint64_t max = (uint64_t)srv->cfg->blob_max_kb * 1024;
	enum gm_err e;
	if (!attachment_known(srv, hex, code))
		e = GM_E_SCOPE;
	else
		e = blob_append(dir, hex, off, total, p->body.p, p->body.len, max, &complete);
	uint64_t have = blob_have(dir, hex, &complete);
	switch (e) {
	case GM_OK:
		if (complete) {
			log_info("blob %.12s from %s complete (%llu bytes)", hex, code,
				 (unsigned long long)have);
			/* it goes on up, after our own batches */
			if (srv->cfg->parent[0] && blob_queue(srv->st, BLOB_UP, hex))
				log_err("queueing blob %.12s: %s", hex, store_errmsg(srv->st));
		}
		reply_blob_state(r, s, req, resp, q, COAP_RESPONSE_CODE_CHANGED, have, complete);
		return;
	case GM_E_STATE:
		/* not where the child thinks we are: tell it where to resume */
		reply_blob_state(r, s, req, resp, q, COAP_RESPONSE_CODE(409), have, complete);
		return;
	case GM_E_AUTH:
		refuse(srv, s, resp, COAP_RESPONSE_CODE_BAD_REQUEST, "corrupt blob",
		       "the blob does not hash to its name; send it again");
		return;
	case GM_E_SCOPE:
		refuse(srv, s, resp, COAP_RESPONSE_CODE_FORBIDDEN, "unknown blob",
		       "no attachment of yours has this hash");
		return;
	case GM_E_TOOBIG:
		refuse(srv, s, resp, COAP_RESPONSE_CODE(413), "blob too large",
		       "over [blobs] max_kb");
		return;
	default:
		log_err("storing blob %.12s: %s", hex, gm_strerror(e));
		reply_text(resp, COAP_RESPONSE_CODE(503), "cannot store the blob now");
	}
}

static coap_resource_t *add(struct server *srv, const char *path, coap_request_t method,
			    coap_method_handler_t h, const char *rt, const char *ct)
{
	coap_resource_t *r = coap_resource_init(coap_make_str_const(path), 0);
	if (!r)
		return NULL;
	coap_register_handler(r, method, h);
	coap_resource_set_userdata(r, srv);
	/* RFC 6690: rt is a quoted string, ct a number */
	char *quoted = malloc(strlen(rt) + 3);
	if (!quoted)
		return NULL;
	sprintf(quoted, "\"%s\"", rt);
	coap_add_attr(r, coap_make_str_const("rt"), coap_new_str_const((const uint8_t *)quoted,
									 strlen(quoted)),
		      COAP_ATTR_FLAGS_RELEASE_VALUE);
	free(quoted);
	coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const(ct), 0);
	coap_add_resource(srv->ctx, r);
	return r;
}

/*
 * DTLS-PSK: the identity a child presents is its code; we answer with the
 * key of our link to it, which only a child holding its enrolled key can
 * derive too.  Unknown, expired or revoked children get no key, and the
 * handshake fails.
 */
static const coap_bin_const_t *psk_for(coap_bin_const_t *idn, coap_session_t *s, void *arg)
{
	struct server *srv = arg;
	char code[16], why[256], addr[64];
	uint8_t pk[CERT_PK_BYTES], key[32];
	struct psk *p = NULL;
	if (!idn || idn->length == 0 || idn->length >= sizeof(code))
		return NULL;
	memcpy(code, idn->s, idn->length);
	code[idn->length] = 0;
	if (!code_is_parent(srv->st->code, code)) {
		snprintf(why, sizeof(why), "%s is not a child of %s", code, srv->st->code);
		goto refuse;
	}
	/* at every handshake: a revocation or a new key since the last one counts */
	if (identity_trusted_pk(srv->id, srv->st, code, pk, why, sizeof(why)))
		goto refuse;
	for (size_t i = 0; i < srv->npsks && !p; i++)
		if (!strcmp(srv->psks[i].code, code))
			p = &srv->psks[i];
	if (p && !memcmp(p->pk, pk, CERT_PK_BYTES))
		return &p->bin;
	/* a child we have not met, or one enrolled again with a new key */
	if (!identity_link_key(srv->id, pk, false, key)) {
		snprintf(why, sizeof(why), "cannot derive the link key of %s", code);
		goto refuse;
	}
	if (!p) {
		if (srv->npsks == srv->cappsks) {
			size_t nc = srv->cappsks ? srv->cappsks * 2 : 16;
			struct psk *np = realloc(srv->psks, nc * sizeof(*np));
			if (!np) {
				sodium_memzero(key, sizeof(key));
				return NULL;
			}
			/* libcoap may hold pointers into the old array: repoint them */
			srv->psks = np;
			for (size_t i = 0; i < srv->npsks; i++)
				srv->psks[i].bin.s = srv->psks[i].key;
			srv->cappsks = nc;
		}
		p = &srv->psks[srv->npsks++];
		snprintf(p->code, sizeof(p->code), "%s", code);
	}
	memcpy(p->pk, pk, CERT_PK_BYTES);
	memcpy(p->key, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	p->bin.s = p->key;
	p->bin.length = sizeof(p->key);
	return &p->bin;
refuse:
	net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
	log_warn("refused DTLS from %s claiming %s: %s", addr, code, why);
	store_count_reject(srv->st, "DTLS peer refused", why);
	return NULL;
}

enum gm_err server_new(coap_context_t *ctx, struct store *st, const struct config *cfg,
		       struct identity *id, uint64_t boot, server_batches_fn on_batches,
		       void *cb_ctx, struct server **out)
{
	struct server *srv = calloc(1, sizeof(*srv));
	coap_resource_t *blob;
	enum gm_err e;
	if (!srv)
		return GM_E_NOMEM;
	srv->ctx = ctx;
	srv->id = id;
	if (id && identity_enrolled(id)) {
		coap_dtls_spsk_t sp;
		memset(&sp, 0, sizeof(sp));
		sp.version = COAP_DTLS_SPSK_SETUP_VERSION;
		sp.validate_id_call_back = psk_for;
		sp.id_call_back_arg = srv;
		sp.psk_info.hint.s = (const uint8_t *)st->code;
		sp.psk_info.hint.length = strlen(st->code);
		if (!coap_context_set_psk2(ctx, &sp)) {
			free(srv);
			return store_fail(st, GM_E_AUTH, "libcoap has no DTLS-PSK support");
		}
	}
	srv->st = st;
	srv->cfg = cfg;
	srv->boot = boot;
	srv->on_batches = on_batches;
	srv->cb_ctx = cb_ctx;
	srv->rung = store_batch_head(st);
	if ((e = children_open(st, &srv->kids)))
		goto out_fail;
	if (sqlite3_prepare_v3(store_db(st),
			       "SELECT max(seq) FROM batches WHERE route IN (?1, '*') AND link != ?2",
			       -1, SQLITE_PREPARE_PERSISTENT, &srv->head_for, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(store_db(st),
			       "SELECT route, max(seq) FROM batches WHERE seq > ? AND route IS NOT NULL"
			       " GROUP BY route", -1, SQLITE_PREPARE_PERSISTENT, &srv->routes_after,
			       NULL) != SQLITE_OK) {
		e = store_dberr(st, "server statements");
		goto out_fail;
	}
	if (!add(srv, NET_PATH_REG, COAP_REQUEST_POST, h_reg, "gridmesh.reg", "42") ||
	    !add(srv, NET_PATH_UP, COAP_REQUEST_POST, h_up, "gridmesh.up", "42") ||
	    !add(srv, NET_PATH_DOWN, COAP_REQUEST_GET, h_down, "gridmesh.down", "42") ||
	    !(srv->bell = add(srv, NET_PATH_BELL, COAP_REQUEST_GET, h_bell, "gridmesh.bell", "42")) ||
	    !add(srv, NET_PATH_STATUS, COAP_REQUEST_GET, h_status, "gridmesh.status", "50") ||
	    !(blob = add(srv, NET_PATH_BLOB, COAP_REQUEST_GET, h_blob_get, "gridmesh.blob", "42"))) {
		e = GM_E_NOMEM;
		goto out_fail;
	}
	coap_register_handler(blob, COAP_REQUEST_POST, h_blob_post);
	static const char *const views[] = { "views/tickets", "views/assets", "views/kpi",
					     "views/overdue" };
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
		if (!add(srv, views[i], COAP_REQUEST_GET, h_view, "gridmesh.view", "50")) {
			e = GM_E_NOMEM;
			goto out_fail;
		}
	}
	coap_resource_set_get_observable(srv->bell, 1);
	/*
	 * Confirmable bells: libcoap sends notifications non-confirmable by
	 * default, and on a lossy link a lost one left the child waiting for
	 * its safety-net poll (poll_observing_s, minutes).  A confirmable one
	 * is resent until acknowledged, at the cost of an ACK per bell.
	 */
	coap_resource_set_mode(srv->bell, COAP_RESOURCE_FLAGS_NOTIFY_CON);
	/* the context's app data is the server: its event handler finds it there */
	coap_set_app_data(ctx, srv);
	coap_register_event_handler(ctx, on_event);
	*out = srv;
	return GM_OK;
out_fail:
	server_free(srv);
	return e;
}

void server_set_config(struct server *srv, const struct config *cfg)
{
	srv->cfg = cfg;
}

void server_free(struct server *srv)
{
	if (!srv)
		return;
	if (srv->kids)
		children_flush(srv->kids);
	children_close(srv->kids);
	sqlite3_finalize(srv->head_for);
	sqlite3_finalize(srv->routes_after);
	coap_set_app_data(srv->ctx, NULL);
	if (srv->psks)
		sodium_memzero(srv->psks, srv->cappsks * sizeof(*srv->psks));
	free(srv->psks);
	while (srv->peers) {
		struct peer *p = srv->peers;
		srv->peers = p->next;
		if (p->session)
			coap_session_set_app_data(p->session, NULL);
		net_body_free(&p->body);
		free(p);
	}
	free(srv);
}

void server_ring(struct server *srv)
{
	sqlite3_stmt *s = srv->routes_after;
	int64_t top = srv->rung;
	bool all = false;
	sqlite3_bind_int64(s, 1, srv->rung);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *route = (const char *)sqlite3_column_text(s, 0);
		int64_t max = sqlite3_column_int64(s, 1);
		if (max > top)
			top = max;
		if (!route || !strcmp(route, "*")) {
			all = true;
			continue;
		}
		if (all)
			continue;
		char qs[24];
		snprintf(qs, sizeof(qs), "c=%s", route);
		coap_string_t q = { strlen(qs), (uint8_t *)qs };
		coap_resource_notify_observers(srv->bell, &q);
	}
	sqlite3_reset(s);
	if (all)
		coap_resource_notify_observers(srv->bell, NULL);
	srv->rung = top;
}

void server_tick(struct server *srv, uint64_t now_ms)
{
	/* an upload nobody finished in a minute will not be finished */
	for (struct peer *p = srv->peers; p; p = p->next)
		if (p->body.p && now_ms - p->body.touched_ms > 60000)
			net_body_free(&p->body);
	if (now_ms - srv->last_flush >= CHILDREN_FLUSH_MS) {
		children_flush(srv->kids);
		srv->last_flush = now_ms;
	}
}

static void session_gone(struct server *srv, coap_session_t *s)
{
	for (struct peer **pp = &srv->peers; *pp; pp = &(*pp)->next) {
		if ((*pp)->session == s) {
			struct peer *p = *pp;
			*pp = p->next;
			net_body_free(&p->body);
			free(p);
			coap_session_set_app_data(s, NULL);
			return;
		}
	}
}
