/*
 * identity_int.h - what identity.c (key files, enrolment, revocation,
 * links) and trust.c (the checks: which keys count for what) share.  Not
 * for other modules: they use identity.h.
 */
#ifndef GM_IDENTITY_INT_H
#define GM_IDENTITY_INT_H

#include <sodium.h>
#include "identity.h"
#include "store_int.h"

struct identity {
	char dir[1024];
	bool has_key;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t pk[CERT_PK_BYTES];
	bool has_cert;
	struct cert cert;
	uint8_t *cert_bytes;
	size_t certlen;
	uint8_t *chain_bytes;          /* the `chain` file: ancestors' certs */
	size_t chainlen;
	struct enrol_pkg chain;
	bool has_root;
	uint8_t root[CERT_PK_BYTES];
	bool has_street;
	uint8_t street[ID_STREET_KEY_BYTES];
	struct store *attached;
};

/* Keys of one code considered at most: more than a node has in its life
 * (one per enrolment with a new key); beyond it, some are not tried. */
#define TRUST_MAX_KEYS 16

/* The certificates kept for one code (node_key records). */
struct trust_keys {
	unsigned n;
	struct cert c[TRUST_MAX_KEYS];
};

/* The current certificate of `code`: our own chain or certificate, else
 * the node_cert record.  GM_E_NOTFOUND if there is none. */
GM_WUR enum gm_err trust_find_cert(struct identity *id, struct store *st, const char *code,
				   struct cert *c);
/* Every certificate kept for `code` (node_key records of scope `code`),
 * in key order, at most TRUST_MAX_KEYS; records that do not decode are
 * left out. */
void trust_keys_of(struct store *st, const char *code, struct trust_keys *ks);
/* The certificate a node_cert or node_key record of `code` holds. */
GM_WUR enum gm_err trust_cert_of_rec(const struct store_rec *r, const char *code,
				     struct cert *c);

#endif
