/*
 * children.h - the children a node serves: registration (code, level,
 * software version, lifetime, as in LwM2M / RFC 9176) and last-seen.
 *
 * Kept in memory and written to the store's `children` table when a child
 * registers and, for last-seen times, at most every CHILDREN_FLUSH_MS
 * (children_flush): an idle poll must not cost an fsync.  Each child has a
 * stable link number, the `link` its batches are stored under, so nothing
 * is ever sent back to the child it came from.
 */
#ifndef GM_CHILDREN_H
#define GM_CHILDREN_H

#include <stdbool.h>
#include <stdint.h>
#include "../proto/err.h"

#define CHILDREN_FLUSH_MS 10000

struct store;
struct children;

struct child_info {
	char code[16];
	int link;
	int level;
	char version[32];
	uint32_t lifetime;      /* s; 0 = never registered, only seen */
	int64_t registered;     /* unix s */
	int64_t last_seen;      /* unix s */
	char addr[64];
};

GM_WUR enum gm_err children_open(struct store *st, struct children **out);
void children_close(struct children *c);

/* A registration (always persisted at once). */
GM_WUR enum gm_err children_register(struct children *c, const struct child_info *ci);
/*
 * A request from child `code` at `addr`: updates last-seen (in memory) and
 * gives its link number, registering it on the fly if it never registered.
 */
GM_WUR enum gm_err children_touch(struct children *c, const char *code, const char *addr,
				  int64_t now, int *link);
const struct child_info *children_find(const struct children *c, const char *code);
/* Writes changed last-seen times (one transaction). */
void children_flush(struct children *c);

/* Reads every child from the store (for gridctl status). */
typedef int (*children_cb)(void *ctx, const struct child_info *ci);
GM_WUR enum gm_err children_list(struct store *st, children_cb cb, void *ctx);

#endif
