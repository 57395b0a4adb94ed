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
 * Certificates of other nodes are replicated records (table node_cert):
 * the issuer writes a child's certificate at enrolment; as reference data
 * it flows up to every ancestor and down the child's subtree, so every
 * node can verify the batches of its descendants and of its ancestors.
 * A certificate counts only if it verifies up a chain of certificates to
 * the root key, is within its validity and its key is not revoked
 * (table revocation, also replicated).
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
 * The public key store st trusts for node `code` (the root key for the
 * city; otherwise its certificate, checked up the chain), or an error
 * with the reason (unknown, expired, revoked, bad chain).
 */
GM_WUR enum gm_err identity_trusted_pk(struct identity *id, struct store *st, const char *code,
				       uint8_t pk[CERT_PK_BYTES], char *why, size_t whylen);

/* ------------------------------------------------------------ enrolment */

/* The city certifies itself; its key becomes the root of trust. */
GM_WUR enum gm_err identity_enrol_self(const char *dir, struct identity *id, struct store *st,
				       unsigned days, char *err, size_t errlen);
/* A child's request: its code, level and key, signed with that key. */
GM_WUR enum gm_err identity_request(struct identity *id, struct store *st, struct gm_buf *out,
				    char *err, size_t errlen);
/*
 * The parent answers a request: checks it, certifies the child for `days`,
 * records the certificate as a replicated record, and builds the package
 * the child installs (with the street key sealed to it, for a grid).
 */
GM_WUR enum gm_err identity_issue(struct identity *id, struct store *st, const uint8_t *req,
				  size_t reqlen, unsigned days, struct gm_buf *pkg, char *err,
				  size_t errlen);
/* The child installs a package: checks the chain, writes its files. */
GM_WUR enum gm_err identity_install(const char *dir, struct identity *id, struct store *st,
				    const uint8_t *pkg, size_t len, char *err, size_t errlen);
/* Revokes a descendant's current key (a replicated record). */
GM_WUR enum gm_err identity_revoke(struct identity *id, struct store *st, const char *code,
				   const char *reason, char *err, size_t errlen);

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
