/* net.c - libcoap helpers shared by gridnode and gridctl. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "net.h"
#include "config.h"
#include "log.h"
#include "syncreq.h"

/*
 * libcoap's messages go through our log (one format, journald priorities),
 * at info and below: what matters to an operator (a peer unreachable, a
 * DTLS handshake refused) we log ourselves, with the node's words; its
 * own "errors" include routine events such as an RST from a child that
 * went away.
 */
static void coap_log_to_ours(coap_log_t level, const char *message)
{
	char line[512];
	snprintf(line, sizeof(line), "coap: %s", message);
	log_line(level <= LOG_WARNING ? LL_INFO : LL_DEBUG, line);
}

void net_startup(const char *log_level)
{
	enum log_level l = LL_NOTICE;
	if (log_level)
		log_level_parse(log_level, &l);
	coap_startup();
	coap_set_log_handler(coap_log_to_ours);
	coap_set_log_level(l >= LL_DEBUG ? LOG_INFO : l >= LL_INFO ? LOG_WARNING : LOG_EMERG);
}

uint64_t net_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum gm_err net_resolve(const char *uri, coap_address_t *addr, bool *secure, char *err,
			size_t errlen)
{
	coap_uri_t u;
	char host[256], port[8];
	struct addrinfo hints, *res = NULL;

	if (!uri || !*uri || coap_split_uri((const uint8_t *)uri, strlen(uri), &u) < 0) {
		snprintf(err, errlen, "'%s' is not a coap:// URI", uri ? uri : "");
		return GM_E_INVAL;
	}
	if (u.scheme != COAP_URI_SCHEME_COAP && u.scheme != COAP_URI_SCHEME_COAPS) {
		snprintf(err, errlen, "'%s': only coap:// and coaps:// are supported", uri);
		return GM_E_INVAL;
	}
	*secure = u.scheme == COAP_URI_SCHEME_COAPS;
	if (!u.host.length || u.host.length >= sizeof(host)) {
		snprintf(err, errlen, "'%s' has no host", uri);
		return GM_E_INVAL;
	}
	memcpy(host, u.host.s, u.host.length);
	host[u.host.length] = 0;
	snprintf(port, sizeof(port), "%u", u.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_family = AF_UNSPEC;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return GM_E_NET;
	}
	coap_address_init(addr);
	addr->size = res->ai_addrlen;
	memcpy(&addr->addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return GM_OK;
}

coap_context_t *net_context_new(void)
{
	coap_context_t *ctx = coap_new_context(NULL);
	if (!ctx)
		return NULL;
	coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP);
	/* children come and go; keep idle server sessions a while, bounded */
	coap_context_set_max_idle_sessions(ctx, 4096);
	coap_context_set_session_timeout(ctx, 600);
	return ctx;
}

void net_tune_session(coap_session_t *s, const struct config *c)
{
	coap_fixed_point_t t = { (uint16_t)(c->ack_timeout_ms / 1000),
				 (uint16_t)(c->ack_timeout_ms % 1000) };
	coap_fixed_point_t r = { (uint16_t)(c->ack_random_factor_pct / 100),
				 (uint16_t)((c->ack_random_factor_pct % 100) * 10) };
	coap_session_set_ack_timeout(s, t);
	coap_session_set_ack_random_factor(s, r);
	coap_session_set_max_retransmit(s, (uint16_t)c->max_retransmit);
}

enum net_body_state net_body_add(struct net_body *b, const coap_pdu_t *pdu, uint64_t now_ms)
{
	size_t len = 0, offset = 0, total = 0;
	const uint8_t *data = NULL;
	coap_opt_iterator_t it;

	if (!coap_get_data_large(pdu, &len, &data, &offset, &total)) {
		len = offset = total = 0;
		data = NULL;
	}
	coap_opt_t *rt = coap_check_option(pdu, COAP_OPTION_RTAG, &it);
	struct net_block blk = { data, len, offset, total, rt ? coap_opt_value(rt) : NULL,
				 rt ? coap_opt_length(rt) : 0, rt != NULL };
	return net_body_put(b, &blk, now_ms);
}

enum net_body_state net_body_put(struct net_body *b, const struct net_block *k, uint64_t now_ms)
{
	size_t len = k->len, offset = k->offset, total = k->total;
	if (total < offset + len)
		total = offset + len;
	if (total > b->max || offset + len > b->max)
		return NB_TOOBIG;
	size_t rtl = k->rtag_len < sizeof(b->rtag) ? k->rtag_len : sizeof(b->rtag);
	bool tagged = k->tagged && b->rtag_len;
	bool same_tag = tagged && rtl == b->rtag_len && !memcmp(k->rtag, b->rtag, rtl);
	if (tagged && !same_tag && offset > 0)
		return NB_STALE;
	if (offset == 0) {
		bool again = tagged ? same_tag
				    : b->len >= len && b->total == total &&
					      (!len || !memcmp(b->p, k->data, len));
		if (!again) {
			b->len = 0;   /* a new body */
			b->rtag_len = rtl;
			if (rtl)
				memcpy(b->rtag, k->rtag, rtl);
		}
	}
	b->touched_ms = now_ms;
	if (offset > b->len)
		return NB_GAP;
	b->total = total;
	if (offset + len > b->cap) {
		size_t ncap = b->cap ? b->cap : 4096;
		while (ncap < offset + len)
			ncap *= 2;
		if (ncap > b->max)
			ncap = b->max;
		uint8_t *np = realloc(b->p, ncap ? ncap : 1);
		if (!np)
			return NB_NOMEM;
		b->p = np;
		b->cap = ncap;
	}
	/* a retransmitted block rewrites the same bytes */
	if (len)
		memcpy(b->p + offset, k->data, len);
	if (offset + len > b->len)
		b->len = offset + len;
	/* done at the last block, also when it comes again; a middle one again is not */
	return b->len >= total && offset + len >= total ? NB_DONE : NB_MORE;
}

/* How to refuse an upload net_body_add stopped (net.h, net_body_receive). */
static coap_pdu_code_t refusal(enum net_body_state st, size_t max, const char **reason,
			       char *detail, size_t len)
{
	switch (st) {
	case NB_TOOBIG:
		*reason = "body too large";
		snprintf(detail, len, "body larger than %zu KiB", max / 1024);
		return COAP_RESPONSE_CODE(413);
	case NB_GAP:
		*reason = "block out of order";
		snprintf(detail, len, "block-wise upload has a gap");
		return COAP_RESPONSE_CODE(408);
	case NB_STALE:
		*reason = NULL;   /* the network's doing, not the peer's */
		snprintf(detail, len, "block of an upload already replaced");
		return COAP_RESPONSE_CODE(408);
	default:
		*reason = NULL;
		snprintf(detail, len, "out of memory");
		return COAP_RESPONSE_CODE_INTERNAL_ERROR;
	}
}

enum net_body_state net_body_receive(struct net_body *b, size_t max, const coap_pdu_t *req,
				     coap_pdu_t *resp, struct net_refusal *no)
{
	b->max = max;
	enum net_body_state st = net_body_add(b, req, net_now_ms());
	if (st == NB_DONE)
		return st;
	if (st == NB_MORE) {
		/* libcoap turns this into 2.31 Continue and asks for the next block */
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
		return st;
	}
	no->code = refusal(st, max, &no->reason, no->detail, sizeof(no->detail));
	if (st != NB_STALE)
		net_body_free(b);   /* a stale block leaves the upload in progress */
	return st;
}

void net_body_free(struct net_body *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = b->total = b->rtag_len = 0;
}

bool net_query_get(const coap_string_t *q, const char *key, char *out, size_t len)
{
	const char *v;
	size_t vl;
	if (!q || !syncreq_find((const char *)q->s, q->length, key, &v, &vl) || vl >= len)
		return false;
	memcpy(out, v, vl);
	out[vl] = 0;
	return true;
}

void net_add_path(coap_pdu_t *pdu, const char *path)
{
	const char *s = path;
	while (*s) {
		const char *slash = strchr(s, '/');
		size_t n = slash ? (size_t)(slash - s) : strlen(s);
		coap_add_option(pdu, COAP_OPTION_URI_PATH, n, (const uint8_t *)s);
		s += n;
		if (*s == '/')
			s++;
	}
}

void net_add_query(coap_pdu_t *pdu, const char *kv)
{
	coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(kv), (const uint8_t *)kv);
}

void net_add_ct(coap_pdu_t *pdu, unsigned ct)
{
	uint8_t buf[4];
	coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT, coap_encode_var_safe(buf, sizeof(buf), ct),
			buf);
}

const char *net_addr_str(const coap_address_t *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (a->addr.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->addr.sin.sin_addr, host, sizeof(host));
		port = ntohs(a->addr.sin.sin_port);
	} else if (a->addr.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->addr.sin6.sin6_addr, host, sizeof(host));
		port = ntohs(a->addr.sin6.sin6_port);
	}
	snprintf(buf, len, "%s:%u", host, port);
	return buf;
}
