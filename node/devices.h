/*
 * devices.h - the devices that report on a node's assets, and their keys.
 *
 * A device (street-light controller, water-level gauge, bin sensor, camera
 * analytics box) is bound to one asset record and authenticates with a
 * pre-shared key the node issued (`gridctl device add`).  Device records
 * and keys are local to the node that issued them: they live in tables of
 * this module (created on first use, never replicated, never in a batch),
 * so a key never leaves the node.  What readings do to the asset and its
 * tickets is node/devalarm.h; the CoAP side is node/devserver.h.
 *
 * Ids are "<node code>-D<sequence>" (globally unique without
 * coordination, like tickets); the DTLS-PSK identity of a device is
 * DEVICE_PSK_PREFIX + id.  The key is DEVICE_KEY_HEX random hex digits
 * (128 bits) and the PSK is that text itself, byte for byte: exactly what
 * `coap-client -u dev:ID -k KEY` sends.  A revoked device keeps its
 * record (for the history) but gets no key: its handshakes fail.
 */
#ifndef GM_DEVICES_H
#define GM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/batch.h"
#include "../proto/err.h"

struct store;

#define DEVICE_PSK_PREFIX "dev:"
#define DEVICE_ID_MAX 40
#define DEVICE_KEY_HEX 32

struct device_info {
	char id[DEVICE_ID_MAX + 1];
	char asset[BATCH_MAX_KEY + 1];
	char kind[16];             /* light, water, bin, camera */
	int64_t created;           /* unix seconds */
	int64_t revoked;           /* 0: active */
	int64_t registered;        /* last POST v1/dev/reg, 0: never */
	int64_t last_seen;
	int64_t readings;          /* records accepted */
	int64_t refused;           /* requests refused (malformed, absurd) */
	char addr[64];
	char info[128];            /* what the device said at registration */
};

extern const char *const device_kinds[];   /* NULL-terminated */
bool devices_kind_valid(const char *kind);
/* The usual kind of a device on a component class ("0118" -> light), or NULL. */
const char *devices_kind_for_class(const char *cls);

/* Creates this module's tables if the store has none yet (own statement). */
GM_WUR enum gm_err devices_init(struct store *st);

/*
 * Issues a device for asset `asset` (a live asset inside this node's
 * scope), in its own transaction: *out gets the record, key the key text
 * (shown once; the caller prints it).  `kind` NULL: from the asset's class.
 */
GM_WUR enum gm_err devices_add(struct store *st, const char *asset, const char *kind,
			       struct device_info *out, char key[DEVICE_KEY_HEX + 1]);
/* Revokes a device (GM_E_NOTFOUND: no such device; GM_E_STATE: already). */
GM_WUR enum gm_err devices_revoke(struct store *st, const char *id);
GM_WUR enum gm_err devices_get(struct store *st, const char *id, struct device_info *out);

typedef int (*devices_cb)(void *ctx, const struct device_info *d);
GM_WUR enum gm_err devices_list(struct store *st, devices_cb cb, void *ctx);

/*
 * The key of the device a PSK identity names: GM_OK with the id and key,
 * GM_E_NOTFOUND if the identity is not DEVICE_PSK_PREFIX + a known id,
 * GM_E_AUTH if the device is revoked.
 */
GM_WUR enum gm_err devices_psk(struct store *st, const uint8_t *identity, size_t len,
			       char id[DEVICE_ID_MAX + 1], uint8_t key[DEVICE_KEY_HEX]);

/* Bookkeeping after a request (outside or inside a transaction). */
GM_WUR enum gm_err devices_seen(struct store *st, const char *id, const char *addr, int64_t now,
				unsigned readings, bool refused, const char *reg_info);

#endif
