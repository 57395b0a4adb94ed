/*
 * devserver.h - the resources a node serves to its devices (docs/protocol.md,
 * "Devices"), on a CoAP context and port of their own ([devices] listen):
 *
 *   POST v1/dev/reg        registration; optional JSON object body (ct 50)
 *                          with what the device says about itself; 2.04 + JSON
 *   POST v1/dev/readings   a SenML pack, ct 110 (JSON) or 112 (CBOR),
 *                          block-wise if large; 2.04 + JSON summary
 *   GET  .well-known/core  (libcoap) lists them
 *
 * A context of its own: the device port serves nothing of the sync
 * protocol and the children's port nothing of the devices, and the DTLS
 * PSK callback here answers device identities only (DEVICE_PSK_PREFIX +
 * id, node/devices.h): a node needs no enrolment of its own to serve
 * devices, and node/server.c is unchanged.
 *
 * Over coaps:// the session's PSK identity says which device speaks; an
 * unknown or revoked identity gets no key and the handshake fails.  Over
 * plain coap:// (insecure = true, protocol tests only) a request names its
 * device with ?d=ID.  Refusals: 4.01 unknown device, 4.03 revoked device
 * (or ?d= naming another device than the session's), 4.00 SenML that does
 * not parse or readings that make no sense (with the reason as text),
 * 4.04 the device's asset is gone, 4.13 a body over [devices] max_body_kb,
 * 4.15 a content-format other than 110 or 112, 4.08 a block-wise gap.
 * Each refusal changes nothing, is counted in the store's rejects (and in
 * the device's own refused count) and is logged once.  Accepted readings
 * go through node/devalarm.h; the change callback then lets the daemon
 * seal and push what they wrote.
 */
#ifndef GM_DEVSERVER_H
#define GM_DEVSERVER_H

#include <stdint.h>
#include <coap3/coap.h>
#include "../proto/err.h"

struct store;
struct config;
struct devserver;

#define DEV_PATH_REG "v1/dev/reg"
#define DEV_PATH_READINGS "v1/dev/readings"

/* Called after a request wrote to the store. */
typedef void (*devserver_change_fn)(void *ctx);

/*
 * Listens on cfg->dev_listen (coap:// needs cfg->insecure).  The server
 * owns its context; err says why it could not start.
 */
GM_WUR enum gm_err devserver_new(struct store *st, const struct config *cfg,
				 devserver_change_fn on_change, void *cb_ctx,
				 struct devserver **out, char *err, size_t errlen);
void devserver_free(struct devserver *d);
void devserver_set_config(struct devserver *d, const struct config *cfg);
coap_context_t *devserver_context(struct devserver *d);
/* Periodic upkeep: stale partial uploads. */
void devserver_tick(struct devserver *d, uint64_t now_ms);

#endif
