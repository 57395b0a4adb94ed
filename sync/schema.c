/* schema.c - the one table that defines every replicated table. */
#include <string.h>
#include "schema.h"

#define C(n, t, f) { n, t, f }

static const struct col_def ticket_cols[] = {
	C("category", GM_TEXT, COL_REQUIRED),   /* GB/T 30428 event class */
	C("title", GM_TEXT, COL_REQUIRED),
	C("descr", GM_TEXT, 0),
	C("lat", GM_REAL, 0),
	C("lon", GM_REAL, 0),
	C("address", GM_TEXT, 0),               /* of the problem, not a person */
	C("source", GM_TEXT, 0),                /* citizen_app, grid_worker, ... */
	C("priority", GM_INT, 0),               /* 1 (urgent) .. 5 */
	C("status", GM_TEXT, COL_REQUIRED),
	C("assignee", GM_TEXT, 0),
	C("deadline", GM_INT, 0),               /* unix seconds */
	C("created", GM_INT, 0),                /* unix seconds */
	C("closed", GM_INT, 0),                 /* unix seconds, set on close */
};

static const struct col_def asset_cols[] = {
	C("code", GM_TEXT, COL_REQUIRED),       /* GB/T 30428 component class */
	C("name", GM_TEXT, 0),
	C("lat", GM_REAL, 0),
	C("lon", GM_REAL, 0),
	C("address", GM_TEXT, 0),
	C("state", GM_TEXT, COL_REQUIRED),      /* normal, damaged, lost, repair, alarm */
	C("inspected", GM_INT, 0),              /* unix seconds */
	C("attrs", GM_TEXT, 0),                 /* JSON object */
};

static const struct col_def household_cols[] = {
	C("address", GM_TEXT, COL_SENSITIVE),
	C("head", GM_TEXT, 0),
	C("note", GM_TEXT, 0),
};

static const struct col_def person_cols[] = {
	C("household", GM_TEXT, 0),
	C("name", GM_TEXT, COL_REQUIRED),
	C("sex", GM_TEXT, 0),
	C("birth_year", GM_INT, 0),
	C("id_card", GM_TEXT, COL_SENSITIVE),
	C("phone", GM_TEXT, COL_SENSITIVE),
	C("address", GM_TEXT, COL_SENSITIVE),
	C("tags", GM_TEXT, COL_SENSITIVE),      /* comma list: elderly_alone, ... */
	C("note", GM_TEXT, COL_SENSITIVE),
};

static const struct col_def category_cols[] = {
	C("major_code", GM_TEXT, 0),
	C("major_name", GM_TEXT, 0),
	C("major_name_en", GM_TEXT, 0),
	C("minor_code", GM_TEXT, 0),
	C("minor_name", GM_TEXT, 0),
};

/* certificates travel as reference data: up to every ancestor (which
 * verifies the node's batches) and down the node's subtree (which verifies
 * its ancestors'); written by the issuer, scope = the certified node */
static const struct col_def cert_cols[] = {
	C("level", GM_INT, COL_REQUIRED),
	C("pubkey", GM_TEXT, COL_REQUIRED),     /* hex Ed25519 */
	C("not_before", GM_INT, COL_REQUIRED),
	C("not_after", GM_INT, COL_REQUIRED),
	C("issuer", GM_TEXT, COL_REQUIRED),
	C("cert", GM_TEXT, COL_REQUIRED),       /* hex of the signed certificate */
};

/*
 * A revoked key: written by an ancestor, scope = the revoked node, key
 * "<code>/<first 16 hex digits of the key>" (one record per key, so
 * revoking a node's second key leaves the first revoked).  Batches the
 * key signed stamped before `at` still count (node/identity.h).  Records
 * keyed by the bare code (one per node) are what earlier releases read;
 * they are still written beside the per-key one, and still honoured.
 */
static const struct col_def revocation_cols[] = {
	C("pubkey", GM_TEXT, COL_REQUIRED),
	C("reason", GM_TEXT, 0),
	C("at", GM_INT, COL_REQUIRED),
};

/* what the world above a street sees of residents: per-grid counts,
 * counts under 5 suppressed (data/README.md) */
static const struct col_def resident_agg_cols[] = {
	C("residents", GM_INT, 0),              /* NULL when under 5 */
	C("households", GM_INT, 0),
	C("by_age", GM_TEXT, 0),                /* JSON {"0-17": n, ...} */
	C("by_tag", GM_TEXT, 0),                /* JSON {"elderly_alone": n, ...} */
	C("updated", GM_INT, 0),
};

/*
 * Rules (node/rules.h).  A rule is named; a node overrides a rule from
 * above by writing its own record of the same name (key "<code>:<name>",
 * scope its code), and at any place the record whose scope is the longest
 * prefix of that place wins.  Genesis rows (data/classify-rules.csv, dispatch-rules.csv) have scope ""
 * and key = name.  enabled nil counts as on.
 */
static const struct col_def classify_rule_cols[] = {
	C("name", GM_TEXT, COL_REQUIRED),
	C("class", GM_TEXT, COL_REQUIRED),      /* the event class it votes for */
	C("lang", GM_TEXT, COL_REQUIRED),       /* zh: substrings, en: stemmed words */
	C("phrases", GM_TEXT, COL_REQUIRED),    /* "a|b" alternatives, "a+b" all of */
	C("weight", GM_INT, COL_REQUIRED),
	C("enabled", GM_INT, 0),
};

static const struct col_def dispatch_rule_cols[] = {
	C("name", GM_TEXT, COL_REQUIRED),
	C("class", GM_TEXT, COL_REQUIRED),      /* event class, major class or "*" */
	C("area", GM_TEXT, 0),                  /* ticket scopes it covers; nil: all */
	C("priority", GM_INT, 0),               /* ticket priority it is for; nil: any */
	C("assignee", GM_TEXT, COL_REQUIRED),   /* department or worker */
	C("hours", GM_REAL, COL_REQUIRED),      /* deadline, hours after dispatch */
	C("enabled", GM_INT, 0),
};

/*
 * One record per (ticket, blob): concurrent attachments are different
 * records, so both survive.  The bytes are a content-addressed blob
 * (node/blobs.h) that follows the record; key "<ticket>:<hash>".
 */
static const struct col_def attachment_cols[] = {
	C("ticket", GM_TEXT, COL_REQUIRED),
	C("hash", GM_TEXT, COL_REQUIRED),       /* BLAKE2b-256, hex */
	C("size", GM_INT, COL_REQUIRED),
	C("mime", GM_TEXT, 0),
	C("name", GM_TEXT, 0),
	C("added", GM_INT, 0),
};

/* key: e.g. handle-0102, dispatch-p1; see data/time-limits.csv */
static const struct col_def time_limit_cols[] = {
	C("stage", GM_TEXT, COL_REQUIRED),      /* dispatch (register+dispatch) or handle */
	C("category", GM_TEXT, 0),              /* event class 0102, major class 01, or * */
	C("priority", GM_INT, 0),               /* only tickets of this priority; nil = any */
	C("duration", GM_TEXT, COL_REQUIRED),   /* 30wm, 4wh, 1wd, 2h, 10m, 3d */
	C("note", GM_TEXT, 0),
};

/*
 * Device thresholds (node/threshold.h): what a reading of `quantity` from
 * a device bound to an asset of component class `class` (a class "0118",
 * a major class "01" or "*") means.  Crossing `op value` (held for hold_s
 * seconds, only during `hours` "H-H" local time when set) opens a ticket
 * of event class `event` and sets the asset's state to `state` (nil: left
 * alone); recovery is passing back beyond `clear` (nil: value).  Readings
 * outside [min, max] are refused as absurd.  Keys and overrides as for
 * rules: genesis rows (data/device-thresholds.csv) are keyed by name; a
 * node writes "<code>:<name>" with scope its code, and for an asset the
 * matching record of the deepest scope (then the most specific class)
 * decides, a disabled one switching the quantity off there.
 */
static const struct col_def device_threshold_cols[] = {
	C("name", GM_TEXT, COL_REQUIRED),
	C("class", GM_TEXT, COL_REQUIRED),      /* component class, major class or "*" */
	C("quantity", GM_TEXT, COL_REQUIRED),   /* SenML name's last part: lamp, level.. */
	C("op", GM_TEXT, COL_REQUIRED),         /* > >= < <= = != */
	C("value", GM_REAL, COL_REQUIRED),
	C("clear", GM_REAL, 0),                 /* hysteresis: recovery beyond this */
	C("unit", GM_TEXT, 0),                  /* SenML unit readings must carry, if any */
	C("min", GM_REAL, 0),                   /* plausible range */
	C("max", GM_REAL, 0),
	C("hold_s", GM_INT, 0),                 /* seconds a crossing must last */
	C("hours", GM_TEXT, 0),                 /* "19-6": active hours, local time */
	C("event", GM_TEXT, COL_REQUIRED),      /* event class of the ticket */
	C("state", GM_TEXT, 0),                 /* asset state while crossed */
	C("priority", GM_INT, 0),               /* of the ticket, 1..5 */
	C("enabled", GM_INT, 0),
};

#define N(a) (uint8_t)(sizeof(a) / sizeof((a)[0]))

static const struct table_def tables[T__COUNT] = {
	{ T_TICKET, "ticket", CLS_SHARED, N(ticket_cols), ticket_cols },
	{ T_ASSET, "asset", CLS_SHARED, N(asset_cols), asset_cols },
	{ T_HOUSEHOLD, "household", CLS_STREET, N(household_cols), household_cols },
	{ T_PERSON, "person", CLS_STREET, N(person_cols), person_cols },
	{ T_CAT_EVENT, "cat_event", CLS_REF, N(category_cols), category_cols },
	{ T_CAT_COMPONENT, "cat_component", CLS_REF, N(category_cols), category_cols },
	{ T_NODE_CERT, "node_cert", CLS_REF, N(cert_cols), cert_cols },
	{ T_REVOCATION, "revocation", CLS_REF, N(revocation_cols), revocation_cols },
	{ T_RESIDENT_AGG, "resident_agg", CLS_SHARED, N(resident_agg_cols), resident_agg_cols },
	{ T_CLASSIFY_RULE, "classify_rule", CLS_REF, N(classify_rule_cols), classify_rule_cols },
	{ T_DISPATCH_RULE, "dispatch_rule", CLS_REF, N(dispatch_rule_cols), dispatch_rule_cols },
	{ T_ATTACHMENT, "attachment", CLS_SHARED, N(attachment_cols), attachment_cols },
	{ T_TIME_LIMIT, "time_limit", CLS_REF, N(time_limit_cols), time_limit_cols },
	{ T_DEVICE_THRESHOLD, "device_threshold", CLS_REF, N(device_threshold_cols),
	  device_threshold_cols },
	/* every certificate ever issued, as node_cert's columns; key
	 * "<code>/<first 16 hex digits of the key>", scope = the certified
	 * node; node_cert keeps only the current one (links use it) */
	{ T_NODE_KEY, "node_key", CLS_REF, N(cert_cols), cert_cols },
};

const struct table_def *schema_table(unsigned id)
{
	return id < T__COUNT ? &tables[id] : NULL;
}

const struct table_def *schema_table_by_name(const char *name, size_t len)
{
	for (unsigned i = 0; i < T__COUNT; i++)
		if (strlen(tables[i].name) == len && memcmp(tables[i].name, name, len) == 0)
			return &tables[i];
	return NULL;
}

int schema_col(const struct table_def *t, const char *name, size_t len)
{
	for (int j = 0; j < t->ncols; j++)
		if (strlen(t->cols[j].name) == len && memcmp(t->cols[j].name, name, len) == 0)
			return j;
	return -1;
}

const char *repl_class_name(unsigned cls)
{
	switch (cls) {
	case CLS_SHARED: return "shared";
	case CLS_STREET: return "street";
	case CLS_REF: return "reference";
	}
	return "unknown";
}
