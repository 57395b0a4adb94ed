/*
 * net.h - what gridnode and gridctl share of libcoap (4.3.1, Debian's
 * libcoap-3-gnutls).  libcoap is not thread-safe: every call stays on the
 * thread that runs the event loop.
 *
 * Block-wise transfer: libcoap sends and requests the blocks
 * (COAP_BLOCK_USE_LIBCOAP) and adds Size1/Size2, but we reassemble bodies
 * ourselves (net_body) instead of letting libcoap do it: 4.3.1 allocates a
 * body of whatever size a peer's Size1 claims before a byte of it has
 * arrived, and has no limit of its own.  net_body refuses a claim or a
 * body above its limit at the first block (4.13), and refuses gaps (4.08).
 */
#ifndef GM_NET_H
#define GM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <coap3/coap.h>
#include "../proto/err.h"

struct config;

/* Paths of the resources every node serves (docs/protocol.md). */
#define NET_PATH_REG "v1/reg"
#define NET_PATH_UP "v1/up"
#define NET_PATH_DOWN "v1/down"
#define NET_PATH_BELL "v1/bell"
#define NET_PATH_STATUS "v1/status"
#define NET_PATH_BLOB "v1/blob"

#define NET_CT_OCTETS 42   /* msgpack bodies (application/octet-stream) */
#define NET_CT_JSON 50

/* libcoap's global set-up and log level; call once per process. */
void net_startup(const char *log_level);

/* Resolves coap://HOST:PORT (or coaps://) into *addr. */
GM_WUR enum gm_err net_resolve(const char *uri, coap_address_t *addr, bool *secure, char *err,
			       size_t errlen);
/* A context with block-wise transfers on (see above). */
coap_context_t *net_context_new(void);
/* Applies the [coap] settings to a session. */
void net_tune_session(coap_session_t *s, const struct config *c);

/*
 * A DTLS handshake's budget of flight timeouts, on both ends.  libcoap
 * 4.3.1 (GnuTLS) fails a handshake once a session has seen more timeouts
 * than its max_retransmit, counting every flight of the handshake and
 * ticks of about a second while part of a flight has arrived; with the
 * budget of a request (4) a handshake of three round trips and up to
 * three datagrams a flight fails nearly always on a link losing a third
 * of them.  So a session gets this budget until its handshake is done,
 * then the [coap] settings; GnuTLS gives up after 60 s in any case.
 */
#define NET_DTLS_RETRANSMIT 60

/* Reassembles one block-wise body, at most `max` bytes. */
struct net_body {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max;
	size_t total;              /* the size its blocks announce */
	uint8_t rtag[8];           /* Request-Tag of the upload (RFC 9175), if any */
	size_t rtag_len;
	uint64_t touched_ms;
};

/*
 * NB_STALE: a block of an upload that a newer one (another Request-Tag)
 * replaced, delivered late by the network; the body in progress is kept.
 */
enum net_body_state { NB_MORE, NB_DONE, NB_TOOBIG, NB_GAP, NB_NOMEM, NB_STALE };

/*
 * Adds a block; NB_DONE when the last block completes the body.  The
 * first block again (a duplicate, or a retransmission that a lossy link
 * delivers after later blocks) is the same upload when its Request-Tag is
 * the same, or, without one, when its bytes and the announced size are;
 * only a different first block starts a new body.  A caller that keeps a
 * complete body gets NB_DONE again for its last block again.
 */
enum net_body_state net_body_add(struct net_body *b, const coap_pdu_t *pdu, uint64_t now_ms);

/* One block as net_body_add reads it from a PDU (libcoap's block-wise view). */
struct net_block {
	const uint8_t *data;
	size_t len;
	size_t offset;
	size_t total;              /* the body's size as announced, 0 = len */
	const uint8_t *rtag;       /* Request-Tag option value */
	size_t rtag_len;
	bool tagged;               /* the PDU has a Request-Tag option (maybe empty) */
};
/* net_body_add without the PDU. */
enum net_body_state net_body_put(struct net_body *b, const struct net_block *k, uint64_t now_ms);
/* Why net_body_receive refused an upload. */
struct net_refusal {
	coap_pdu_code_t code;
	const char *reason;        /* the rejection to count it under; NULL: not the peer's fault */
	char detail[96];           /* one line for the reply and the log */
};
/*
 * A server's side of one block of an upload of at most `max` bytes, added
 * to b.  NB_DONE: b holds the whole body.  NB_MORE: resp already asks for
 * the next block.  Anything else refuses the upload as *no says; b is
 * freed, except after NB_STALE (a late block of a replaced upload: the
 * upload in progress goes on).
 */
enum net_body_state net_body_receive(struct net_body *b, size_t max, const coap_pdu_t *req,
				     coap_pdu_t *resp, struct net_refusal *no);
void net_body_free(struct net_body *b);

/* Finds `key` in a query "k1=v1&k2=v2"; false if absent or too long. */
bool net_query_get(const coap_string_t *q, const char *key, char *out, size_t len);

/* Adds the Uri-Path options of "a/b/c" and one Uri-Query "k=v". */
void net_add_path(coap_pdu_t *pdu, const char *path);
void net_add_query(coap_pdu_t *pdu, const char *kv);
void net_add_ct(coap_pdu_t *pdu, unsigned ct);

/* "1.2.3.4:5683" for logs. */
const char *net_addr_str(const coap_address_t *a, char *buf, size_t len);

/* Milliseconds on a monotonic clock. */
uint64_t net_now_ms(void);

#endif
