/*
 * config.h - gridnode.conf: every setting of a node, defined in one table.
 *
 * Settings come from defaults, then the store (parent and listen given to
 * `gridctl init`), then DIR/gridnode.conf (INI, read with libinih), then
 * the command line.  A file with an unknown section or key, or a value out
 * of range, is refused as a whole with "file:line: why"; gridnode does not
 * start on a bad file and keeps its old settings when a SIGHUP reload
 * fails.  gridnode.conf(5) documents each key; `gridnode -n` checks a file.
 */
#ifndef GM_CONFIG_H
#define GM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "../proto/err.h"

#define CONFIG_FILE "gridnode.conf"

struct config {
	/* [node] */
	char listen[256];          /* coap://HOST:PORT for children, "" = none */
	char parent[256];          /* coap://HOST:PORT of the parent, "" = none */
	char log_level[16];
	/* [coap] */
	int ack_timeout_ms;        /* libcoap ignores less than 1000 */
	int ack_random_factor_pct; /* 100..200: 150 means 1.5 */
	int max_retransmit;
	/* [sync] */
	int poll_s;                /* pull interval when not observing */
	int poll_observing_s;      /* safety-net pull interval while observing */
	int backoff_min_ms;
	int backoff_max_s;
	int lifetime_s;            /* registration lifetime */
	int push_kb;               /* batches per push request, KiB */
	int pull_kb;               /* batches per pull reply, KiB */
	int max_body_kb;           /* largest request body accepted, KiB */
	int watch_ms;              /* how often to look for local writes */
	int max_drift_s;           /* refuse peers' clocks further ahead */
	/* [security] */
	bool insecure;             /* plain UDP, no DTLS */
	/* [blobs] */
	int blob_max_kb;           /* largest attachment accepted, KiB */
	char blob_fetch[8];        /* "eager": fetch what the parent sends down; "lazy": on read */
	/* [devices] (node/devserver.h) */
	char dev_listen[256];      /* coaps://HOST:PORT for devices, "" = none */
	int dev_max_body_kb;       /* largest SenML pack accepted, KiB */
};

void config_defaults(struct config *c);
/* Overlays parent/listen stored by `gridctl init`. */
struct store;
void config_from_store(struct config *c, struct store *st);
/*
 * Reads `path` over *c.  A missing file is fine when `optional`.  On error
 * *c is unchanged and err holds "path:line: why".
 */
GM_WUR enum gm_err config_load(struct config *c, const char *path, bool optional, char *err,
			       size_t errlen);
/* Writes the effective settings as an INI file to `f` (gridnode -n -v). */
void config_dump(const struct config *c, FILE *f);

#endif
