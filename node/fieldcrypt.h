/*
 * fieldcrypt.h - residents' sensitive fields sealed at rest.
 *
 * A sensitive TEXT value is stored, logged, batched and sent as
 *     "enc1:" base64url(nonce (24) | XChaCha20-Poly1305 ciphertext)
 * under the street key, with the table, column and record key as
 * associated data (a sealed value cannot be moved to another record or
 * field).  Only the street and its grids hold the key; nodes above never
 * see residents at all (their batches stop at the street), and the ones
 * that do keep no clear text on disk.
 */
#ifndef GM_FIELDCRYPT_H
#define GM_FIELDCRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/value.h"

#define FIELDCRYPT_PREFIX "enc1:"
#define FIELDCRYPT_KEY_BYTES 32

bool fieldcrypt_is_sealed(const struct gm_value *v);
/* Bytes needed to seal a text of `len` bytes (with the NUL). */
size_t fieldcrypt_sealed_len(size_t len);
/* Seals v into out (NUL-terminated); false on error or short buffer. */
bool fieldcrypt_seal(const uint8_t key[FIELDCRYPT_KEY_BYTES], const char *table, const char *col,
		     const char *rkey, const struct gm_value *v, char *out, size_t outlen);
/* Opens a sealed value into out (NUL-terminated); false if it does not open. */
bool fieldcrypt_open(const uint8_t key[FIELDCRYPT_KEY_BYTES], const char *table, const char *col,
		     const char *rkey, const struct gm_value *v, char *out, size_t outlen);

#endif
