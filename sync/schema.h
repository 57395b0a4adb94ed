/*
 * schema.h - the replicated tables, defined once.
 *
 * Every table gridmesh replicates is a row of this table: its name, how it
 * travels (replication class), and its columns in wire order.  The store
 * builds its SQL from it, the codec names fields from it, and the digest
 * walks it; adding a column means appending it here (never reordering:
 * column indexes are stored in clock blobs).
 *
 * Every replicated table also has a text key `id` and a scope, which are
 * not listed as columns.
 */
#ifndef GM_SCHEMA_H
#define GM_SCHEMA_H

#include <stddef.h>
#include <stdint.h>
#include "../proto/value.h"

enum repl_class {
	CLS_SHARED = 0,   /* up to every ancestor, down to the owning subtree */
	CLS_STREET = 1,   /* like SHARED but never above the street (residents) */
	CLS_REF = 2,      /* reference data: down to every node below its scope */
};

enum col_flag {
	COL_SENSITIVE = 1 << 0,   /* personal data (PIPL): encrypted at rest */
	COL_REQUIRED = 1 << 1,    /* must be set when the record is created */
};

struct col_def {
	const char *name;
	uint8_t type;     /* enum gm_vtype: GM_INT, GM_REAL or GM_TEXT */
	uint8_t flags;
};

enum table_id {
	T_TICKET = 0,
	T_ASSET,
	T_HOUSEHOLD,
	T_PERSON,
	T_CAT_EVENT,
	T_CAT_COMPONENT,
	T_NODE_CERT,
	T_REVOCATION,
	T_RESIDENT_AGG,
	T_CLASSIFY_RULE,      /* node/rules.h: text -> event class */
	T_DISPATCH_RULE,      /* node/rules.h: event class, place -> assignee */
	T_ATTACHMENT,         /* node/blobs.h: a photo, audio or video on a ticket */
	T_TIME_LIMIT,      /* per-category time limits (node/limits.h) */
	T_DEVICE_THRESHOLD,   /* node/threshold.h: device readings -> asset state, ticket */
	T_NODE_KEY,           /* node/identity.h: every key ever certified for a node */
	T__COUNT
};

struct table_def {
	enum table_id id;
	const char *name;
	uint8_t cls;          /* enum repl_class */
	uint8_t ncols;
	const struct col_def *cols;
};

const struct table_def *schema_table(unsigned id);
const struct table_def *schema_table_by_name(const char *name, size_t len);
/* Column index of `name` in `t`, or -1. */
int schema_col(const struct table_def *t, const char *name, size_t len);
const char *repl_class_name(unsigned cls);

#endif
