/*
 * identity.h - a node's keys, its certificate chain, and the trust checks
 * that follow from them (brief rule 4).
 *
 * Files in the node directory (secret ones 0600, never logged):
 *   node.key     Ed25519 secret key (64 bytes)          gridctl keygen
 *   node.pub     its public key, hex, for humans
 *   node.cert    our certificate, signed by our parent  gridctl enrol
 *   parent.cert  our parent's certificate (link keys before any sync)
 *   chain        the certificates from our parent's up to the city's
 *   root.pub     the city's public key: the root of trust
 *   street.key   32-byte key for residents' sensitive fields (streets and
 *                their grids only)
 *
 * Certificates of other nodes are replicated records: the issuer writes
 * a child's certificate at enrolment, as node_cert (id = the code: its
 * current certificate, which links use) and as node_key (id =
 * "<code>/<first 16 hex digits of the key>": every key the code ever had).
 * As reference data they flow up to every ancestor and down the child's
 * subtree, so every node can verify the batches of its descendants and of
 * its ancestors.
 *
 * Keys over time.  A node's key may be replaced (a lost laptop, a rebuilt
 * server): its code is enrolled again with a new key, and what the old key
 * signed must stay verifiable wherever it goes later (a new laptop pulling
 * its grid's history, a rebuilt district, a restore, sneakernet).  So a
 * certificate counts for something stamped at time t (a batch: its tmax,
 * the newest clock inside, which the signature covers) if it has started,
 * had not ended at t, is signed by its parent with a key of the parent
 * that counted when the certificate was issued (its not_before; so the
 * grids a re-keyed street certified with its earlier key stay valid), up
 * to the root key (at most 4 links), and its key was not revoked at t.
 * A batch verifies with the origin's current key first (one signature
 * check, as ever), then with its other certified keys.
 *
 * Revocations are per key (table revocation, id = "<code>/<prefix>",
 * written with the one-per-code record earlier releases read) and take
 * effect at their `at`: a revoked key's batches stamped before it are
 * history and are accepted; anything stamped at or after it is refused,
 * counted, and logged with the key and the time.  The trade-off: a thief
 * holding a revoked key can still forge changes stamped before the
 * revocation (and, with a street's key, certificates dated before it).
 * Such changes lose to every later edit of the same fields, but can add
 * records; so revoke promptly, and with `from` cut back to the last moment
 * the key was known to be safe.  A node links (DTLS) only with its current,
 * unrevoked key.
 *
 * A batch is accepted (identity_verify_batch) only if it is signed by its
 * origin with a key so certified, and its scope lies within the origin's
 * subtree.  Link keys for DTLS-PSK are derived from the two nodes' keys
 * with crypto_kx, so no password is shared by more than one link.
 */
#ifndef GM_IDENTITY_H
#define GM_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/batch.h"
#include "../proto/buf.h"
#include "../proto/cert.h"
#include "../proto/err.h"

#define ID_KEY_FILE "node.key"
#define ID_PUB_FILE "node.pub"
#define ID_CERT_FILE "node.cert"
#define ID_PARENT_CERT_FILE "parent.cert"
#define ID_CHAIN_FILE "chain"
#define ID_ROOT_FILE "root.pub"
#define ID_STREET_KEY_FILE "street.key"
#define ID_STREET_KEY_BYTES 32

struct store;
struct identity;

/* Makes node.key and node.pub in dir; refuses to overwrite a key. */
GM_WUR enum gm_err identity_keygen(const char *dir, char *err, size_t errlen);
/* Loads whatever identity files dir has (none is fine: not enrolled). */
GM_WUR enum gm_err identity_load(const char *dir, struct identity **out, char *err,
				 size_t errlen);
void identity_free(struct identity *id);

bool identity_has_key(const struct identity *id);
/* Has a key, a certificate and the root key: signs and verifies. */
bool identity_enrolled(const struct identity *id);
const uint8_t *identity_pk(const struct identity *id);
/* NULL if this node holds no street key. */
const uint8_t *identity_street_key(const struct identity *id);

/*
 * When enrolled: batches this store seals are signed, batches it receives
 * must verify; the street key (if any) seals sensitive fields.
 */
void identity_attach(struct identity *id, struct store *st);

/* The verification store_apply runs (exposed for tests). */
GM_WUR enum gm_err identity_verify_batch(struct identity *id, struct store *st,
					 const struct batch_env *env, const uint8_t *msg,
					 size_t len, char *why, size_t whylen);

/*
 * The public key store st trusts for node `code` now: its current
 * certificate, checked up the chain; or an error with the reason
 * (unknown, expired, revoked, bad chain).  What a link may use.
 */
GM_WUR enum gm_err identity_trusted_pk(struct identity *id, struct store *st, const char *code,
				       uint8_t pk[CERT_PK_BYTES], char *why, size_t whylen);

/* Hex digits of a key in its record ids and in messages. */
#define IDENTITY_KEY_PREFIX_HEX 16
/* "<code>/<prefix>" and its NUL */
#define IDENTITY_KEY_ID_LEN (15 + 1 + IDENTITY_KEY_PREFIX_HEX + 1)
/* The id of key pk's node_key and revocation records. */
void identity_key_id(const char *code, const uint8_t pk[CERT_PK_BYTES],
		     char out[IDENTITY_KEY_ID_LEN]);
/*
 * When the revocation of key pk of `code` takes effect (unix seconds,
 * the earliest of the records naming it), with its reason; 0 if the key
 * is not revoked.
 */
int64_t identity_revoked_at(struct store *st, const char *code, const uint8_t pk[CERT_PK_BYTES],
			    char *reason, size_t rlen);
/* For messages: "key <prefix> of <code> revoked at <time> (<reason>)" of
 * the code's most recently revoked key; false if none of its keys is. */
bool identity_last_revoked(struct store *st, const char *code, char *out, size_t len);

/* ------------------------------------------------------------ enrolment */

/* The city certifies itself; its key becomes the root of trust. */
GM_WUR enum gm_err identity_enrol_self(const char *dir, struct identity *id, struct store *st,
				       unsigned days, char *err, size_t errlen);
/* A child's request: its code, level and key, signed with that key. */
GM_WUR enum gm_err identity_request(struct identity *id, struct store *st, struct gm_buf *out,
				    char *err, size_t errlen);
/*
 * The parent answers a request: checks it, certifies the child for `days`,
 * records the certificate as replicated records (node_cert and node_key,
 * one transaction), and builds the package the child installs (with the
 * street key sealed to it, for a grid).  If we already hold a certificate
 * of the child's code with another key, the package says it replaces that
 * key.
 */
GM_WUR enum gm_err identity_issue(struct identity *id, struct store *st, const uint8_t *req,
				  size_t reqlen, unsigned days, struct gm_buf *pkg, char *err,
				  size_t errlen);
/* What installing a package did besides writing the files. */
struct id_install {
	bool replaces;                   /* it replaces another key of our code: */
	uint8_t replaced[CERT_PK_BYTES]; /* this one; the store now reclaims */
	bool parent_changed;             /* another parent key: cursors start over */
};
/*
 * The child installs a package: checks the chain, writes its files.  A
 * replacement marks the store for reclaim (meta "reclaim", "rekeyed_at"):
 * it pulls its code's own batches back from the parent and issues no new
 * record id until it is in step (recid.h).  A parent key other than the
 * one we had starts both link cursors over.  res may be NULL.
 */
GM_WUR enum gm_err identity_install(const char *dir, struct identity *id, struct store *st,
				    const uint8_t *pkg, size_t len, struct id_install *res,
				    char *err, size_t errlen);

struct id_revocation {
	const char *key;                 /* in: 16+ hex digits of it; NULL: the current key */
	int64_t from;                    /* in: when it takes effect; 0: now */
	const char *reason;              /* in: may be NULL */
	uint8_t pk[CERT_PK_BYTES];       /* out: the key revoked */
	int64_t at;                      /* out: when it takes effect (never later than an
					  * earlier revocation of the same key) */
};
/* Revokes a key of a descendant (replicated records; see "Keys over time"). */
GM_WUR enum gm_err identity_revoke(struct identity *id, struct store *st, const char *code,
				   struct id_revocation *rv, char *err, size_t errlen);

/* ---------------------------------------------------------------- links */

/*
 * The 32-byte DTLS pre-shared key of the link between us and a peer with
 * key peer_pk: as_child = true on the child's side.  Both sides derive
 * the same key (crypto_kx); nobody else can.
 */
GM_WUR bool identity_link_key(const struct identity *id, const uint8_t peer_pk[CERT_PK_BYTES],
			      bool as_child, uint8_t key[32]);
/* Our parent's key, from parent.cert. */
GM_WUR bool identity_parent_pk(const struct identity *id, uint8_t pk[CERT_PK_BYTES]);

#endif
