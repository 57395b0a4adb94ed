/* devserver.c - resources served to devices, on their own CoAP context. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>
#include "devserver.h"
#include "config.h"
#include "devalarm.h"
#include "devices.h"
#include "log.h"
#include "net.h"
#include "senml.h"
#include "store_int.h"

/* per session: a block-wise upload being reassembled, handshake state */
struct dpeer {
	struct net_body body;
	struct dpeer *next;
	coap_session_t *session;
	bool dtls_up;            /* a request came: the handshake had succeeded */
	bool refused;            /* the PSK callback refused it (counted there) */
};

/* a device's key as handed to libcoap: one allocation each, never moved */
struct dkey {
	struct dkey *next;
	char id[DEVICE_ID_MAX + 1];
	uint8_t key[DEVICE_KEY_HEX];
	coap_bin_const_t bin;
};

struct devserver {
	coap_context_t *ctx;
	struct store *st;
	const struct config *cfg;
	devserver_change_fn on_change;
	void *cb_ctx;
	struct dpeer *peers;
	struct dkey *keys;
	char last_refusal[160];      /* a retransmitted handshake is refused once */
	uint64_t last_refusal_ms;
};

#define REFUSAL_QUIET_MS 5000

static struct devserver *of(coap_resource_t *r)
{
	return coap_resource_get_userdata(r);
}

static void reply_text(coap_pdu_t *resp, coap_pdu_code_t code, const char *msg)
{
	coap_pdu_set_code(resp, code);
	if (msg)
		coap_add_data(resp, strlen(msg), (const uint8_t *)msg);
}

/* Same refusal again within a few seconds (a retransmission): not news. */
static bool fresh(struct devserver *d, const char *what)
{
	uint64_t now = net_now_ms();
	if (!strcmp(d->last_refusal, what) && now - d->last_refusal_ms < REFUSAL_QUIET_MS)
		return false;
	snprintf(d->last_refusal, sizeof(d->last_refusal), "%s", what);
	d->last_refusal_ms = now;
	return true;
}

/* Logs, counts and answers a refused request; `dev` (or NULL) is charged. */
static void refuse(struct devserver *d, coap_session_t *s, coap_pdu_t *resp, coap_pdu_code_t code,
		   const char *reason, const char *detail, const char *dev)
{
	char addr[64];
	net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
	if (dev)
		log_warn("refused %s from device %s (%s): %s", reason, dev, addr, detail);
	else
		log_warn("refused %s from %s: %s", reason, addr, detail);
	store_count_reject(d->st, reason, detail);
	if (dev && devices_seen(d->st, dev, addr, (int64_t)(store_wall(d->st) / 1000), 0, true,
				NULL))
		log_err("device %s: %s", dev, store_errmsg(d->st));
	reply_text(resp, code, detail);
}

static struct dpeer *peer_of(struct devserver *d, coap_session_t *s);

/* Printable form of an identity from the wire, for logs. */
static void printable(const uint8_t *s, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < cap && i < 64; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[n] = 0;
}

/*
 * DTLS-PSK: a device's identity is "dev:<id>"; its key is the one
 * `gridctl device add` printed.  Unknown and revoked devices get no key
 * and their handshake fails.
 */
static const coap_bin_const_t *dev_psk(coap_bin_const_t *idn, coap_session_t *s, void *arg)
{
	struct devserver *d = arg;
	char id[DEVICE_ID_MAX + 1], shown[72], addr[64], what[160];
	uint8_t key[DEVICE_KEY_HEX];
	struct dkey *k;
	enum gm_err e;

	if (!idn)
		return NULL;
	e = devices_psk(d->st, idn->s, idn->length, id, key);
	if (e == GM_OK) {
		for (k = d->keys; k && strcmp(k->id, id); k = k->next)
			;
		if (!k) {
			if (!(k = calloc(1, sizeof(*k)))) {
				sodium_memzero(key, sizeof(key));
				return NULL;
			}
			snprintf(k->id, sizeof(k->id), "%s", id);
			k->next = d->keys;
			d->keys = k;
		}
		memcpy(k->key, key, sizeof(key));
		sodium_memzero(key, sizeof(key));
		k->bin.s = k->key;
		k->bin.length = sizeof(k->key);
		return &k->bin;
	}
	struct dpeer *p = peer_of(d, s);
	if (p)
		p->refused = true;
	printable(idn->s, idn->length, shown, sizeof(shown));
	net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
	snprintf(what, sizeof(what), "%s %s from %s",
		 e == GM_E_AUTH ? "revoked device" : "unknown device", shown, addr);
	if (fresh(d, what)) {
		log_warn("refused DTLS from %s claiming %s: %s", addr, shown,
			 e == GM_E_AUTH ? "device revoked" : e == GM_E_NOTFOUND ? "no such device"
										   : store_errmsg(d->st));
		store_count_reject(d->st, e == GM_E_AUTH ? "device revoked" : "device unknown", what);
	}
	return NULL;
}

/* The device a request speaks for, or false (answered) if none may. */
static bool who(struct devserver *d, coap_session_t *s, const coap_string_t *q, coap_pdu_t *resp,
		struct device_info *dev)
{
	char named[DEVICE_ID_MAX + 2] = "", id[DEVICE_ID_MAX + 1], detail[160];
	bool has_q = net_query_get(q, "d", named, sizeof(named));
	enum gm_err e;

	if (coap_session_get_proto(s) == COAP_PROTO_DTLS) {
		const coap_bin_const_t *idn = coap_session_get_psk_identity(s);
		size_t pl = strlen(DEVICE_PSK_PREFIX);
		struct dpeer *p = peer_of(d, s);
		/* libcoap 4.3.1 sends no DTLS_CONNECTED for server sessions: a
		 * request is the proof that the handshake succeeded */
		if (p)
			p->dtls_up = true;
		if (!idn || idn->length <= pl || idn->length - pl > DEVICE_ID_MAX) {
			refuse(d, s, resp, COAP_RESPONSE_CODE_UNAUTHORIZED, "device unknown",
			       "this DTLS session has no device identity", NULL);
			return false;
		}
		memcpy(id, idn->s + pl, idn->length - pl);
		id[idn->length - pl] = 0;
		if (has_q && strcmp(named, id)) {
			snprintf(detail, sizeof(detail), "d=%s names another device than this"
				 " session's (%s)", named, id);
			refuse(d, s, resp, COAP_RESPONSE_CODE_FORBIDDEN, "device identity", detail, id);
			return false;
		}
	} else {
		if (!has_q || !named[0]) {
			refuse(d, s, resp, COAP_RESPONSE_CODE_UNAUTHORIZED, "device unknown",
			       "name the device with ?d=ID (plain coap:// only; use coaps:// with the"
			       " device's key)", NULL);
			return false;
		}
		snprintf(id, sizeof(id), "%s", named);
	}
	if ((e = devices_get(d->st, id, dev))) {
		snprintf(detail, sizeof(detail), "unknown device %s", id);
		if (e != GM_E_NOTFOUND) {
			log_err("device %s: %s", id, store_errmsg(d->st));
			reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "store");
			return false;
		}
		refuse(d, s, resp, COAP_RESPONSE_CODE_UNAUTHORIZED, "device unknown", detail, NULL);
		return false;
	}
	if (dev->revoked) {
		snprintf(detail, sizeof(detail), "device %s was revoked", id);
		refuse(d, s, resp, COAP_RESPONSE_CODE_FORBIDDEN, "device revoked", detail, id);
		return false;
	}
	return true;
}

static struct dpeer *peer_of(struct devserver *d, coap_session_t *s)
{
	struct dpeer *p = coap_session_get_app_data(s);
	if (p)
		return p;
	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	p->session = s;
	p->next = d->peers;
	d->peers = p;
	coap_session_set_app_data(s, p);
	return p;
}

/* Collects a (block-wise) body; true once complete (then p->body holds it). */
static bool body_complete(struct devserver *d, coap_session_t *s, const coap_pdu_t *req,
			  coap_pdu_t *resp, const char *dev, struct dpeer **pp)
{
	struct dpeer *p = peer_of(d, s);
	if (!p) {
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, NULL);
		return false;
	}
	struct net_refusal no;
	enum net_body_state bs = net_body_receive(&p->body, (size_t)d->cfg->dev_max_body_kb * 1024,
						  req, resp, &no);
	if (bs == NB_DONE) {
		*pp = p;
		return true;
	}
	if (bs == NB_MORE)
		return false;
	if (no.reason)
		refuse(d, s, resp, no.code, no.reason, no.detail, dev);
	else
		reply_text(resp, no.code, no.detail);
	return false;
}

/* The request's Content-Format, or -1 if it has none. */
static int content_format(const coap_pdu_t *req)
{
	coap_opt_iterator_t oi;
	coap_opt_t *o = coap_check_option(req, COAP_OPTION_CONTENT_FORMAT, &oi);
	return o ? (int)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o)) : -1;
}

static void reply_json(coap_pdu_t *resp, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	uint8_t buf[4];
	json_decref(j);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
	if (!s)
		return;
	coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
			coap_encode_var_safe(buf, sizeof(buf), NET_CT_JSON), buf);
	coap_add_data(resp, strlen(s), (const uint8_t *)s);
	free(s);
}

static void h_readings(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		       const coap_string_t *q, coap_pdu_t *resp)
{
	struct devserver *d = of(r);
	struct device_info dev;
	struct senml_pack pack;
	struct devalarm_result res;
	struct dpeer *p;
	char why[256], detail[320], addr[64];
	int64_t now = (int64_t)(store_wall(d->st) / 1000);

	if (!who(d, s, q, resp, &dev))
		return;
	int ct = content_format(req);
	if (ct != SENML_CT_JSON && ct != SENML_CT_CBOR) {
		snprintf(detail, sizeof(detail), "%s: send SenML with Content-Format 110 (JSON) or"
			 " 112 (CBOR)", ct < 0 ? "no Content-Format" : "unsupported Content-Format");
		refuse(d, s, resp, COAP_RESPONSE_CODE(415), "device content-format", detail, dev.id);
		return;
	}
	if (!body_complete(d, s, req, resp, dev.id, &p))
		return;
	enum gm_err e = senml_parse(p->body.p, p->body.len, (unsigned)ct,
				    (double)store_wall(d->st) / 1000.0, &pack, why, sizeof(why));
	net_body_free(&p->body);
	if (e) {
		snprintf(detail, sizeof(detail), "SenML: %s", why);
		refuse(d, s, resp, e == GM_E_TOOBIG ? COAP_RESPONSE_CODE(413)
						    : COAP_RESPONSE_CODE_BAD_REQUEST,
		       "device SenML malformed", detail, dev.id);
		return;
	}
	e = devalarm_apply(d->st, &dev, &pack, now, d->cfg->max_drift_s, &res);
	senml_pack_free(&pack);
	if (e == GM_E_INVAL || e == GM_E_NOTFOUND) {
		refuse(d, s, resp, e == GM_E_INVAL ? COAP_RESPONSE_CODE_BAD_REQUEST
						   : COAP_RESPONSE_CODE_NOT_FOUND,
		       e == GM_E_INVAL ? "device reading absurd" : "device asset gone", res.why,
		       dev.id);
		return;
	}
	if (e) {
		log_err("device %s readings: %s", dev.id, store_errmsg(d->st));
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "store");
		return;
	}
	net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
	if (devices_seen(d->st, dev.id, addr, now, res.records, false, NULL))
		log_err("device %s: %s", dev.id, store_errmsg(d->st));
	log_info("device %s: %u readings (%u watched, %u stale), %u trips, %u recoveries", dev.id,
		 res.records, res.used, res.stale, res.trips, res.clears);
	if (res.opened || res.noted)
		log_notice("device %s on asset %s: %u tickets opened, %u notes%s%s", dev.id, dev.asset,
			   res.opened, res.noted, res.dispatch[0] ? "; " : "", res.dispatch);
	json_t *j = json_object(), *t = json_array();
	json_object_set_new(j, "device", json_string(dev.id));
	json_object_set_new(j, "records", json_integer(res.records));
	json_object_set_new(j, "watched", json_integer(res.used));
	json_object_set_new(j, "stale", json_integer(res.stale));
	json_object_set_new(j, "trips", json_integer(res.trips));
	json_object_set_new(j, "recoveries", json_integer(res.clears));
	json_object_set_new(j, "notes", json_integer(res.noted));
	for (unsigned i = 0; i < res.opened && i < DEVALARM_MAX_OPENED; i++)
		json_array_append_new(t, json_string(res.tickets[i]));
	json_object_set_new(j, "opened", t);
	reply_json(resp, j);
	if (d->on_change)
		d->on_change(d->cb_ctx);
}

static void h_reg(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
		  const coap_string_t *q, coap_pdu_t *resp)
{
	struct devserver *d = of(r);
	struct device_info dev;
	struct dpeer *p;
	char addr[64], detail[256], info[sizeof(dev.info)] = "{}";
	int64_t now = (int64_t)(store_wall(d->st) / 1000);

	if (!who(d, s, q, resp, &dev))
		return;
	if (!body_complete(d, s, req, resp, dev.id, &p))
		return;
	int ct = content_format(req);
	if (p->body.len) {
		json_error_t je;
		json_t *j = ct == NET_CT_JSON || ct < 0
				    ? json_loadb((const char *)p->body.p, p->body.len, 0, &je)
				    : NULL;
		char *txt = json_is_object(j) ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (!txt) {
			net_body_free(&p->body);
			snprintf(detail, sizeof(detail), "a registration body is a JSON object"
				 " (Content-Format 50)%s%s", j ? "" : ": ", j ? "" : je.text);
			refuse(d, s, resp, COAP_RESPONSE_CODE_BAD_REQUEST, "device registration",
			       detail, dev.id);
			return;
		}
		if (strlen(txt) >= sizeof(info)) {
			free(txt);
			net_body_free(&p->body);
			snprintf(detail, sizeof(detail), "registration longer than %zu bytes",
				 sizeof(info) - 1);
			refuse(d, s, resp, COAP_RESPONSE_CODE(413), "device registration", detail,
			       dev.id);
			return;
		}
		snprintf(info, sizeof(info), "%s", txt);
		free(txt);
	}
	net_body_free(&p->body);
	net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
	if (devices_seen(d->st, dev.id, addr, now, 0, false, info)) {
		log_err("device %s: %s", dev.id, store_errmsg(d->st));
		reply_text(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "store");
		return;
	}
	if (!dev.registered)
		log_notice("device %s (%s, asset %s) registered from %s", dev.id, dev.kind, dev.asset,
			   addr);
	json_t *j = json_object(), *f = json_array();
	json_object_set_new(j, "device", json_string(dev.id));
	json_object_set_new(j, "asset", json_string(dev.asset));
	json_object_set_new(j, "kind", json_string(dev.kind));
	json_object_set_new(j, "node", json_string(store_code(d->st)));
	json_object_set_new(j, "readings", json_string(DEV_PATH_READINGS));
	json_array_append_new(f, json_integer(SENML_CT_JSON));
	json_array_append_new(f, json_integer(SENML_CT_CBOR));
	json_object_set_new(j, "formats", f);
	reply_json(resp, j);
}

static void session_gone(struct devserver *d, coap_session_t *s)
{
	for (struct dpeer **pp = &d->peers; *pp; pp = &(*pp)->next) {
		if ((*pp)->session == s) {
			struct dpeer *p = *pp;
			*pp = p->next;
			net_body_free(&p->body);
			free(p);
			coap_session_set_app_data(s, NULL);
			return;
		}
	}
}

static int on_event(coap_session_t *s, const coap_event_t ev)
{
	struct devserver *d = coap_get_app_data(coap_session_get_context(s));
	char addr[64], what[96];
	if (!d)
		return 0;
	if (ev == COAP_EVENT_SERVER_SESSION_DEL)
		session_gone(d, s);
	if (coap_session_get_type(s) != COAP_SESSION_TYPE_SERVER)
		return 0;
	if (ev == COAP_EVENT_DTLS_CONNECTED) {
		struct dpeer *p = peer_of(d, s);
		if (p)
			p->dtls_up = true;
	} else if (ev == COAP_EVENT_DTLS_ERROR || ev == COAP_EVENT_DTLS_CLOSED) {
		/* a known device with a wrong key fails the handshake's MAC check;
		 * an unknown or revoked one was counted by dev_psk already */
		struct dpeer *p = coap_session_get_app_data(s);
		if (!p || (!p->dtls_up && !p->refused)) {
			net_addr_str(coap_session_get_addr_remote(s), addr, sizeof(addr));
			snprintf(what, sizeof(what), "handshake from %s", addr);
			if (fresh(d, what)) {
				log_warn("device DTLS handshake from %s failed (wrong key?)", addr);
				store_count_reject(d->st, "device DTLS handshake failed", addr);
			}
		}
	}
	return 0;
}

static bool add(struct devserver *d, const char *path, coap_method_handler_t h, const char *rt,
		const char *ct)
{
	coap_resource_t *r = coap_resource_init(coap_make_str_const(path), 0);
	if (!r)
		return false;
	coap_register_handler(r, COAP_REQUEST_POST, h);
	coap_resource_set_userdata(r, d);
	coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const(rt), 0);
	coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const(ct), 0);
	coap_add_resource(d->ctx, r);
	return true;
}

enum gm_err devserver_new(struct store *st, const struct config *cfg,
			  devserver_change_fn on_change, void *cb_ctx, struct devserver **out,
			  char *err, size_t errlen)
{
	struct devserver *d;
	coap_address_t addr;
	bool secure;
	enum gm_err e;

	if ((e = net_resolve(cfg->dev_listen, &addr, &secure, err, errlen)))
		return e;
	if (!secure && !cfg->insecure) {
		snprintf(err, errlen, "plain coap:// for devices needs insecure = true; use coaps://");
		return GM_E_INVAL;
	}
	if ((e = devices_init(st))) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return e;
	}
	if (!(d = calloc(1, sizeof(*d))))
		return GM_E_NOMEM;
	d->st = st;
	d->cfg = cfg;
	d->on_change = on_change;
	d->cb_ctx = cb_ctx;
	e = GM_E_NET;
	if (!(d->ctx = net_context_new())) {
		snprintf(err, errlen, "cannot create a CoAP context");
		goto out_fail;
	}
	if (secure) {
		coap_dtls_spsk_t sp;
		memset(&sp, 0, sizeof(sp));
		sp.version = COAP_DTLS_SPSK_SETUP_VERSION;
		sp.validate_id_call_back = dev_psk;
		sp.id_call_back_arg = d;
		sp.psk_info.hint.s = (const uint8_t *)"gridmesh devices";
		sp.psk_info.hint.length = strlen("gridmesh devices");
		if (!coap_context_set_psk2(d->ctx, &sp)) {
			snprintf(err, errlen, "libcoap has no DTLS-PSK support");
			goto out_fail;
		}
	}
	if (!add(d, DEV_PATH_REG, h_reg, "\"gridmesh.dev.reg\"", "50") ||
	    !add(d, DEV_PATH_READINGS, h_readings, "\"gridmesh.dev.readings\"", "\"110 112\"")) {
		e = GM_E_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out_fail;
	}
	coap_set_app_data(d->ctx, d);
	coap_register_event_handler(d->ctx, on_event);
	if (!coap_new_endpoint(d->ctx, &addr, secure ? COAP_PROTO_DTLS : COAP_PROTO_UDP)) {
		snprintf(err, errlen, "cannot listen on %s (address in use?)", cfg->dev_listen);
		goto out_fail;
	}
	*out = d;
	return GM_OK;
out_fail:
	devserver_free(d);
	return e;
}

void devserver_set_config(struct devserver *d, const struct config *cfg)
{
	d->cfg = cfg;
}

coap_context_t *devserver_context(struct devserver *d)
{
	return d->ctx;
}

void devserver_tick(struct devserver *d, uint64_t now_ms)
{
	/* an upload nobody finished in a minute will not be finished */
	for (struct dpeer *p = d->peers; p; p = p->next)
		if (p->body.p && now_ms - p->body.touched_ms > 60000)
			net_body_free(&p->body);
}

void devserver_free(struct devserver *d)
{
	if (!d)
		return;
	if (d->ctx) {
		coap_set_app_data(d->ctx, NULL);
		coap_free_context(d->ctx);
	}
	while (d->peers) {
		struct dpeer *p = d->peers;
		d->peers = p->next;
		net_body_free(&p->body);
		free(p);
	}
	while (d->keys) {
		struct dkey *k = d->keys;
		d->keys = k->next;
		sodium_memzero(k, sizeof(*k));
		free(k);
	}
	free(d);
}
