/* devices.c - device records and keys, local to the node that issued them. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include "devices.h"
#include "store_int.h"
#include "tickets.h"

/*
 * The module's tables.  device_alarm, device_ticket and device_reading
 * belong to node/devalarm.c: what the state machines remember per (asset,
 * threshold), the ticket a device alarm opened per (asset, event class),
 * and each device's newest reading per quantity.
 */
static const char *const ddl =
	"CREATE TABLE IF NOT EXISTS device(id TEXT PRIMARY KEY, asset TEXT NOT NULL,"
	" kind TEXT NOT NULL, psk TEXT NOT NULL, created INTEGER NOT NULL, revoked INTEGER,"
	" registered INTEGER, last_seen INTEGER, addr TEXT, info TEXT,"
	" readings INTEGER NOT NULL DEFAULT 0, refused INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS device_by_asset ON device(asset);"
	"CREATE TABLE IF NOT EXISTS device_alarm(asset TEXT NOT NULL, threshold TEXT NOT NULL,"
	" state INTEGER NOT NULL, since INTEGER NOT NULL, last_t INTEGER NOT NULL,"
	" set_state TEXT, prev_state TEXT, PRIMARY KEY(asset, threshold)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS device_ticket(asset TEXT NOT NULL, event TEXT NOT NULL,"
	" ticket TEXT NOT NULL, PRIMARY KEY(asset, event)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS device_reading(device TEXT NOT NULL, quantity TEXT NOT NULL,"
	" t REAL NOT NULL, v REAL, vs TEXT, unit TEXT, PRIMARY KEY(device, quantity))"
	" WITHOUT ROWID;";

const char *const device_kinds[] = { "light", "water", "bin", "camera", NULL };

static const struct {
	const char *cls;
	const char *kind;
} class_kinds[] = {
	{ "0118", "light" }, { "0119", "light" }, { "0120", "light" }, { "0210", "light" },
	{ "0214", "light" }, { "0206", "water" }, { "0603", "water" }, { "0606", "water" },
	{ "0304", "bin" },   { "0305", "bin" },   { "0136", "camera" },
};

bool devices_kind_valid(const char *kind)
{
	for (size_t i = 0; kind && device_kinds[i]; i++)
		if (!strcmp(kind, device_kinds[i]))
			return true;
	return false;
}

const char *devices_kind_for_class(const char *cls)
{
	for (size_t i = 0; cls && i < sizeof(class_kinds) / sizeof(class_kinds[0]); i++)
		if (!strcmp(cls, class_kinds[i].cls))
			return class_kinds[i].kind;
	return NULL;
}

enum gm_err devices_init(struct store *st)
{
	char *msg = NULL;
	if (sqlite3_exec(store_db(st), ddl, NULL, NULL, &msg) != SQLITE_OK) {
		enum gm_err e = store_fail(st, GM_E_DB, "device tables: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return e;
	}
	return GM_OK;
}

static void col_text(sqlite3_stmt *s, int i, char *out, size_t cap)
{
	store_copy_str(out, cap, (const char *)sqlite3_column_text(s, i),
		       (size_t)sqlite3_column_bytes(s, i));
}

#define SELECT_DEVICE                                                                    \
	"SELECT id, asset, kind, created, revoked, registered, last_seen, readings, refused," \
	" addr, info FROM device"

static void row_info(sqlite3_stmt *s, struct device_info *d)
{
	memset(d, 0, sizeof(*d));
	col_text(s, 0, d->id, sizeof(d->id));
	col_text(s, 1, d->asset, sizeof(d->asset));
	col_text(s, 2, d->kind, sizeof(d->kind));
	d->created = sqlite3_column_int64(s, 3);
	d->revoked = sqlite3_column_int64(s, 4);
	d->registered = sqlite3_column_int64(s, 5);
	d->last_seen = sqlite3_column_int64(s, 6);
	d->readings = sqlite3_column_int64(s, 7);
	d->refused = sqlite3_column_int64(s, 8);
	col_text(s, 9, d->addr, sizeof(d->addr));
	col_text(s, 10, d->info, sizeof(d->info));
}

/* The asset's component class, if it is a live asset inside this node. */
static enum gm_err asset_class(struct store *st, const char *asset, char *cls, size_t len)
{
	const struct table_def *t = schema_table(T_ASSET);
	struct store_rec r;
	enum gm_err e;
	store_rec_init(&r);
	if ((e = store_get(st, t, asset, &r))) {
		e = store_fail(st, GM_E_NOTFOUND, "no asset %s here (gridctl asset list)", asset);
		goto out_free_rec;
	}
	if (!clk_zero(r.del)) {
		e = store_fail(st, GM_E_NOTFOUND, "asset %s was deleted", asset);
		goto out_free_rec;
	}
	if (strncmp(r.scope, st->code, strlen(st->code))) {
		e = store_fail(st, GM_E_SCOPE, "asset %s belongs to %s, outside this node (%s)", asset,
			       r.scope, st->code);
		goto out_free_rec;
	}
	const struct gm_value *c = &r.vals[schema_col(t, "code", 4)];
	store_copy_str(cls, len, c->type == GM_TEXT ? c->s : "", c->type == GM_TEXT ? c->len : 0);
out_free_rec:
	store_rec_free(&r);
	return e;
}

enum gm_err devices_add(struct store *st, const char *asset, const char *kind,
			struct device_info *out, char key[DEVICE_KEY_HEX + 1])
{
	uint8_t raw[DEVICE_KEY_HEX / 2];
	char cls[16];
	sqlite3_stmt *s = NULL;
	int64_t seq;
	enum gm_err e;

	if ((e = devices_init(st)))
		return e;
	if (sodium_init() < 0)
		return store_fail(st, GM_E_INVAL, "libsodium cannot start");
	if ((e = store_begin(st)))
		return e;
	if ((e = asset_class(st, asset, cls, sizeof(cls))))
		goto out_rollback;
	if (!kind && !(kind = devices_kind_for_class(cls))) {
		e = store_fail(st, GM_E_INVAL, "asset %s is of class %s: give the device's --kind"
			       " (light, water, bin or camera)", asset, cls);
		goto out_rollback;
	}
	if (!devices_kind_valid(kind)) {
		e = store_fail(st, GM_E_INVAL, "'%s' is not a device kind (light, water, bin or camera)",
			       kind);
		goto out_rollback;
	}
	if ((e = store_next_seq(st, "device", &seq)))
		goto out_rollback;
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s-D%06lld", st->code, (long long)seq);
	snprintf(out->asset, sizeof(out->asset), "%s", asset);
	snprintf(out->kind, sizeof(out->kind), "%s", kind);
	out->created = (int64_t)(store_wall(st) / 1000);
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(key, DEVICE_KEY_HEX + 1, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	if (sqlite3_prepare_v2(store_db(st), "INSERT INTO device(id, asset, kind, psk, created)"
				   " VALUES(?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK) {
		e = store_dberr(st, "device");
		goto out_rollback;
	}
	sqlite3_bind_text(s, 1, out->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, asset, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, out->created);
	if (sqlite3_step(s) != SQLITE_DONE) {
		e = store_dberr(st, "device");
		goto out_rollback;
	}
	sqlite3_finalize(s);
	return store_commit(st);
out_rollback:
	sqlite3_finalize(s);
	store_rollback(st);
	return e;
}

enum gm_err devices_get(struct store *st, const char *id, struct device_info *out)
{
	sqlite3_stmt *s;
	enum gm_err e;
	if ((e = devices_init(st)))
		return e;
	if (sqlite3_prepare_v2(store_db(st), SELECT_DEVICE " WHERE id = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return store_dberr(st, "device");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		row_info(s, out);
	else if (rc == SQLITE_DONE)
		e = store_fail(st, GM_E_NOTFOUND, "no device %s here (gridctl device list)", id);
	else
		e = store_dberr(st, "device");
	sqlite3_finalize(s);
	return e;
}

enum gm_err devices_revoke(struct store *st, const char *id)
{
	struct device_info d;
	sqlite3_stmt *s;
	enum gm_err e;
	if ((e = devices_get(st, id, &d)))
		return e;
	if (d.revoked)
		return store_fail(st, GM_E_STATE, "device %s was revoked already", id);
	if (sqlite3_prepare_v2(store_db(st), "UPDATE device SET revoked = ? WHERE id = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return store_dberr(st, "device");
	sqlite3_bind_int64(s, 1, (int64_t)(store_wall(st) / 1000));
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	e = sqlite3_step(s) == SQLITE_DONE ? GM_OK : store_dberr(st, "device");
	sqlite3_finalize(s);
	return e;
}

enum gm_err devices_list(struct store *st, devices_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	struct device_info d;
	enum gm_err e;
	int rc;
	if ((e = devices_init(st)))
		return e;
	if (sqlite3_prepare_v2(store_db(st), SELECT_DEVICE " ORDER BY id", -1, &s, NULL) !=
	    SQLITE_OK)
		return store_dberr(st, "device");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_info(s, &d);
		if (cb(ctx, &d))
			break;
	}
	e = rc == SQLITE_ROW || rc == SQLITE_DONE ? GM_OK : store_dberr(st, "device");
	sqlite3_finalize(s);
	return e;
}

enum gm_err devices_psk(struct store *st, const uint8_t *identity, size_t len,
			char id[DEVICE_ID_MAX + 1], uint8_t key[DEVICE_KEY_HEX])
{
	size_t pl = strlen(DEVICE_PSK_PREFIX);
	sqlite3_stmt *s;
	enum gm_err e = GM_OK;
	if (len <= pl || len - pl > DEVICE_ID_MAX || memcmp(identity, DEVICE_PSK_PREFIX, pl))
		return GM_E_NOTFOUND;
	memcpy(id, identity + pl, len - pl);
	id[len - pl] = 0;
	if (strlen(id) != len - pl)
		return GM_E_NOTFOUND;   /* a NUL inside the identity */
	if (sqlite3_prepare_v2(store_db(st), "SELECT psk, revoked FROM device WHERE id = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return store_dberr(st, "device");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == DEVICE_KEY_HEX) {
		if (sqlite3_column_type(s, 1) != SQLITE_NULL)
			e = GM_E_AUTH;
		else
			memcpy(key, sqlite3_column_text(s, 0), DEVICE_KEY_HEX);
	} else {
		e = rc == SQLITE_ROW || rc == SQLITE_DONE ? GM_E_NOTFOUND : store_dberr(st, "device");
	}
	sqlite3_finalize(s);
	return e;
}

enum gm_err devices_seen(struct store *st, const char *id, const char *addr, int64_t now,
			 unsigned readings, bool refused, const char *reg_info)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(store_db(st),
			       "UPDATE device SET last_seen = ?2, addr = ?3, readings = readings + ?4,"
			       " refused = refused + ?5, registered = coalesce(?6, registered),"
			       " info = coalesce(?7, info) WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "device");
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_text(s, 3, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, (int)readings);
	sqlite3_bind_int(s, 5, refused ? 1 : 0);
	if (reg_info) {
		sqlite3_bind_int64(s, 6, now);
		sqlite3_bind_text(s, 7, reg_info, -1, SQLITE_STATIC);
	}
	enum gm_err e = sqlite3_step(s) == SQLITE_DONE ? GM_OK : store_dberr(st, "device");
	sqlite3_finalize(s);
	return e;
}
