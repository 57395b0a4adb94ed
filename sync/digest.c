/* digest.c - canonical state digest. */
#include <string.h>
#include "digest.h"

void digest_init(struct digest *d)
{
	crypto_generichash_init(&d->st, NULL, 0, DIGEST_BYTES);
	gm_buf_init(&d->scratch);
	d->nrecords = 0;
}

void digest_record(struct digest *d, const char *table, const char *key, size_t keylen,
		   const char *scope, size_t scopelen, const struct gm_value *vals,
		   const struct rowclk *rc, struct clk del)
{
	msgpack_packer pk;
	bool deleted = !clk_zero(del);

	gm_buf_reset(&d->scratch);
	gm_buf_packer(&d->scratch, &pk);
	msgpack_pack_array(&pk, 6);
	gm_pack_cstr(&pk, table);
	gm_pack_str(&pk, key, keylen);
	gm_pack_str(&pk, scope, scopelen);
	msgpack_pack_uint64(&pk, del.t);
	msgpack_pack_uint64(&pk, del.node);
	msgpack_pack_array(&pk, deleted ? 0 : rc->ncols);
	for (unsigned j = 0; !deleted && j < rc->ncols; j++) {
		msgpack_pack_array(&pk, 3);
		gm_pack_value(&pk, &vals[j]);
		msgpack_pack_uint64(&pk, rc->c[j].t);
		msgpack_pack_uint64(&pk, rc->c[j].node);
	}
	/* length-prefix each record so no two record sequences hash alike */
	uint8_t len[4] = { (uint8_t)(d->scratch.len >> 24), (uint8_t)(d->scratch.len >> 16),
			   (uint8_t)(d->scratch.len >> 8), (uint8_t)d->scratch.len };
	crypto_generichash_update(&d->st, len, 4);
	crypto_generichash_update(&d->st, d->scratch.p, d->scratch.len);
	d->nrecords++;
}

void digest_final(struct digest *d, uint8_t out[DIGEST_BYTES])
{
	crypto_generichash_final(&d->st, out, DIGEST_BYTES);
	gm_buf_free(&d->scratch);
}

void digest_hex(const uint8_t d[DIGEST_BYTES], char out[2 * DIGEST_BYTES + 1])
{
	sodium_bin2hex(out, 2 * DIGEST_BYTES + 1, d, DIGEST_BYTES);
}
