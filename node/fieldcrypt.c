/* fieldcrypt.c - sealing sensitive field values. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "fieldcrypt.h"

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define PLEN (sizeof(FIELDCRYPT_PREFIX) - 1)
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

bool fieldcrypt_is_sealed(const struct gm_value *v)
{
	return v->type == GM_TEXT && v->len > PLEN && !memcmp(v->s, FIELDCRYPT_PREFIX, PLEN);
}

size_t fieldcrypt_sealed_len(size_t len)
{
	return PLEN + sodium_base64_ENCODED_LEN(NONCE + len + TAG, B64);
}

static size_t ad_of(char *ad, size_t n, const char *table, const char *col, const char *rkey)
{
	int k = snprintf(ad, n, "gridmesh/%s.%s/%s", table, col, rkey);
	return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}

bool fieldcrypt_seal(const uint8_t key[FIELDCRYPT_KEY_BYTES], const char *table, const char *col,
		     const char *rkey, const struct gm_value *v, char *out, size_t outlen)
{
	uint8_t buf[NONCE + 65536 + TAG];
	char ad[320];
	unsigned long long clen;
	if (v->type != GM_TEXT || v->len > 65536 || outlen < fieldcrypt_sealed_len(v->len))
		return false;
	randombytes_buf(buf, NONCE);
	size_t adlen = ad_of(ad, sizeof(ad), table, col, rkey);
	crypto_aead_xchacha20poly1305_ietf_encrypt(buf + NONCE, &clen, (const uint8_t *)v->s, v->len,
						   (const uint8_t *)ad, adlen, NULL, buf, key);
	memcpy(out, FIELDCRYPT_PREFIX, PLEN);
	sodium_bin2base64(out + PLEN, outlen - PLEN, buf, NONCE + (size_t)clen, B64);
	return true;
}

bool fieldcrypt_open(const uint8_t key[FIELDCRYPT_KEY_BYTES], const char *table, const char *col,
		     const char *rkey, const struct gm_value *v, char *out, size_t outlen)
{
	uint8_t buf[NONCE + 65536 + TAG];
	char ad[320];
	size_t blen;
	unsigned long long mlen;
	if (!fieldcrypt_is_sealed(v))
		return false;
	if (sodium_base642bin(buf, sizeof(buf), v->s + PLEN, v->len - PLEN, NULL, &blen, NULL, B64) ||
	    blen < NONCE + TAG || blen - NONCE - TAG >= outlen)
		return false;
	size_t adlen = ad_of(ad, sizeof(ad), table, col, rkey);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)out, &mlen, NULL, buf + NONCE,
						       blen - NONCE, (const uint8_t *)ad, adlen, buf,
						       key) != 0)
		return false;
	out[mlen] = 0;
	return true;
}
