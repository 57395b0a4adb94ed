/*
 * cert.h - node certificates and enrolment messages (pure encode/decode;
 * signing and verifying take keys from the caller).
 *
 *   certificate = [1, code, level, public key (bin 32), not before,
 *                  not after, issuer code, sig (bin 64)]
 *   request     = [1, code, level, public key (bin 32), sig (bin 64)]
 *   package     = [1, certificate (bin), [ancestor certificate (bin)...],
 *                  root public key (bin 32), street key sealed (bin | nil),
 *                  replaced key (bin 32), only in a replacement]
 *
 * Keys are Ed25519.  A certificate's sig is its issuer's signature over
 * every byte before the sig element (as for batches); a request's sig is
 * the requester's own, proving it holds the key.  Certificates and
 * requests decode only in the encoding cert_encode_tbs and
 * enrol_req_encode_tbs write (canonical msgpack), so that re-encoding a
 * decoded certificate gives back the bytes its issuer signed.  The city's certificate
 * is self-signed and its key is the root every node trusts.  Times are
 * unix seconds.  The package is what a parent hands a child at enrolment:
 * the child's certificate and the chain above it (parent first, city
 * last), which the child checks up to the root key;
 * the street key (for residents' sensitive fields) is sealed to the
 * child's key and present only for streets' grids.  The sixth element is
 * there only when the issuer already held a certificate for the child's
 * code with another key (a new laptop for the same grid, a rebuilt
 * server): it names that key, and the child then gets its code's records
 * back before it issues new ids.  Packages without it keep the five
 * elements of the first release, and both forms decode.
 */
#ifndef GM_CERT_H
#define GM_CERT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "buf.h"

#define CERT_VERSION 1
#define CERT_PK_BYTES 32
#define CERT_SIG_BYTES 64
#define CERT_MAX_BYTES 512
#define STREET_KEY_SEALED_BYTES (32 + 48)   /* crypto_box_SEALBYTES + key */
#define CERT_MAX_CHAIN 4

struct cert {
	char code[16];
	uint8_t level;
	uint8_t pk[CERT_PK_BYTES];
	uint64_t not_before;
	uint64_t not_after;
	char issuer[16];
	uint8_t sig[CERT_SIG_BYTES];
	size_t signed_len;        /* bytes of the encoding the sig covers */
};

struct enrol_req {
	char code[16];
	uint8_t level;
	uint8_t pk[CERT_PK_BYTES];
	uint8_t sig[CERT_SIG_BYTES];
	size_t signed_len;
};

struct enrol_pkg {
	const uint8_t *cert;
	size_t certlen;
	unsigned nchain;                    /* parent first, the city last */
	const uint8_t *chain[CERT_MAX_CHAIN];
	size_t chainlen[CERT_MAX_CHAIN];
	uint8_t root_pk[CERT_PK_BYTES];
	const uint8_t *street_key;   /* sealed, or NULL */
	size_t street_keylen;
	const uint8_t *replaces;     /* CERT_PK_BYTES: the code's earlier key, or NULL */
	void *priv;
};

/*
 * Encodes the part of `c` a signature covers into `out` (reset first);
 * append the signature with cert_finish().
 */
GM_WUR enum gm_err cert_encode_tbs(const struct cert *c, struct gm_buf *out);
void cert_finish(struct gm_buf *out, const uint8_t sig[CERT_SIG_BYTES]);
GM_WUR enum gm_err cert_decode(const uint8_t *p, size_t len, struct cert *c);

GM_WUR enum gm_err enrol_req_encode_tbs(const struct enrol_req *r, struct gm_buf *out);
GM_WUR enum gm_err enrol_req_decode(const uint8_t *p, size_t len, struct enrol_req *r);

GM_WUR enum gm_err enrol_pkg_encode(const struct enrol_pkg *k, struct gm_buf *out);
/* A chain of certificates alone: [cert (bin)...] (the `chain` file). */
GM_WUR enum gm_err cert_chain_encode(const uint8_t *const *certs, const size_t *lens, unsigned n,
				     struct gm_buf *out);
GM_WUR enum gm_err cert_chain_decode(const uint8_t *p, size_t len, struct enrol_pkg *k);
/* Pointers in *k point into p. */
GM_WUR enum gm_err enrol_pkg_decode(const uint8_t *p, size_t len, struct enrol_pkg *k);
void enrol_pkg_free(struct enrol_pkg *k);

#endif
