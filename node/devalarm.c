/* devalarm.c - device readings into asset states and tickets, once per crossing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "devalarm.h"
#include "recid.h"
#include "rules.h"
#include "recval.h"
#include "store_int.h"
#include "threshold.h"
#include "thrstore.h"
#include "tickets.h"

/* ------------------------------------------------------------------ assets */

struct asset_now {
	const char *id;
	char scope[CODE_MAX + 1];
	char cls[16];
	char state[32];
	char name[128];
	char address[256];
	bool has_ll;
	double lat, lon;
};

static void copy_text(char *dst, size_t cap, const struct gm_value *v)
{
	store_copy_str(dst, cap, v->type == GM_TEXT ? v->s : "", v->type == GM_TEXT ? v->len : 0);
}

static enum gm_err load_asset(struct store *st, const char *id, struct asset_now *a)
{
	struct store_rec r;
	enum gm_err e;
	memset(a, 0, sizeof(*a));
	a->id = id;
	store_rec_init(&r);
	if ((e = store_get(st, schema_table(T_ASSET), id, &r)) || !clk_zero(r.del)) {
		store_rec_free(&r);
		return store_fail(st, GM_E_NOTFOUND, "the device's asset %s is gone", id);
	}
	snprintf(a->scope, sizeof(a->scope), "%s", r.scope);
	copy_text(a->cls, sizeof(a->cls), rec_col(&r, "code"));
	copy_text(a->state, sizeof(a->state), rec_col(&r, "state"));
	copy_text(a->name, sizeof(a->name), rec_col(&r, "name"));
	copy_text(a->address, sizeof(a->address), rec_col(&r, "address"));
	a->has_ll = val_num(rec_col(&r, "lat"), &a->lat) && val_num(rec_col(&r, "lon"), &a->lon);
	store_rec_free(&r);
	return GM_OK;
}

/* ---------------------------------------------------------------- readings */

/* The number a reading stands for; false if it has none. */
static bool reading_value(const struct senml_rec *r, double *v)
{
	static const char *const on[] = { "on", "true", "open", "1", NULL };
	static const char *const off[] = { "off", "false", "closed", "0", NULL };
	if (r->kind == SENML_NUM || r->kind == SENML_BOOL) {
		*v = r->v;
		return true;
	}
	if (r->kind != SENML_STR)
		return false;
	for (size_t i = 0; on[i]; i++) {
		if (!strcasecmp(r->vs, on[i])) {
			*v = 1;
			return true;
		}
		if (!strcasecmp(r->vs, off[i])) {
			*v = 0;
			return true;
		}
	}
	return false;
}

/* "level = 92 cm", "lamp = off" */
static void fmt_reading(const struct senml_rec *r, const char *q, char *buf, size_t len)
{
	if (r->kind == SENML_STR)
		snprintf(buf, len, "%s = %s", q, r->vs);
	else if (r->kind == SENML_BOOL)
		snprintf(buf, len, "%s = %s", q, r->vb ? "true" : "false");
	else
		snprintf(buf, len, "%s = %g%s%s", q, r->v, *r->unit ? " " : "", r->unit);
}

/* "> 80 cm" */
static void fmt_limit(const struct threshold *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s %g%s%s", thr_op_str(t->op), t->value, t->unit ? " " : "",
		 t->unit ? t->unit : "");
}

/* "back below 70 cm" */
static void fmt_recovery(const struct threshold *t, char *buf, size_t len)
{
	const char *u = t->unit ? t->unit : "";
	if (!t->has_clear)
		snprintf(buf, len, "no longer %s %g%s%s", thr_op_str(t->op), t->value, *u ? " " : "",
			 u);
	else
		snprintf(buf, len, "back %s %g%s%s", t->op == THR_GT || t->op == THR_GE ? "below"
											: "above",
			 t->clear, *u ? " " : "", u);
}

static void fmt_time(double t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* -------------------------------------------------------- the local tables */

struct alarm_row {
	struct thr_mem m;
	char set_state[32];        /* the state this alarm gave the asset, "" none */
	char prev_state[32];       /* the state it had before */
};

struct run {
	struct store *st;
	const struct device_info *dev;
	struct asset_now *asset;
	struct devalarm_result *res;
	char actor[64];
	int64_t now;
};

static enum gm_err alarm_load(struct run *x, const char *thr, struct alarm_row *a)
{
	sqlite3_stmt *s;
	memset(a, 0, sizeof(*a));
	if (sqlite3_prepare_v2(store_db(x->st), "SELECT state, since, last_t, set_state, prev_state"
				   " FROM device_alarm WHERE asset = ? AND threshold = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return store_dberr(x->st, "device_alarm");
	sqlite3_bind_text(s, 1, x->asset->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, thr, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int state = sqlite3_column_int(s, 0);
		a->m.state = state >= THR_NORMAL && state <= THR_CLEARING ? (enum thr_state)state
									  : THR_NORMAL;
		a->m.since = sqlite3_column_int64(s, 1);
		a->m.last_t = sqlite3_column_int64(s, 2);
		store_copy_str(a->set_state, sizeof(a->set_state),
			       (const char *)sqlite3_column_text(s, 3),
			       (size_t)sqlite3_column_bytes(s, 3));
		store_copy_str(a->prev_state, sizeof(a->prev_state),
			       (const char *)sqlite3_column_text(s, 4),
			       (size_t)sqlite3_column_bytes(s, 4));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? GM_OK : store_dberr(x->st, "device_alarm");
}

static enum gm_err alarm_save(struct run *x, const char *thr, const struct alarm_row *a)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(store_db(x->st), "INSERT OR REPLACE INTO device_alarm(asset,"
				   " threshold, state, since, last_t, set_state, prev_state)"
				   " VALUES(?,?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK)
		return store_dberr(x->st, "device_alarm");
	sqlite3_bind_text(s, 1, x->asset->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, thr, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 3, (int)a->m.state);
	sqlite3_bind_int64(s, 4, a->m.since);
	sqlite3_bind_int64(s, 5, a->m.last_t);
	if (a->set_state[0]) {
		sqlite3_bind_text(s, 6, a->set_state, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, a->prev_state, -1, SQLITE_STATIC);
	}
	enum gm_err e = sqlite3_step(s) == SQLITE_DONE ? GM_OK : store_dberr(x->st, "device_alarm");
	sqlite3_finalize(s);
	return e;
}

/* Another of the asset's alarms holding its state: the state it found. */
static bool other_holder(struct run *x, const char *thr, char prev[32])
{
	sqlite3_stmt *s;
	bool found = false;
	if (sqlite3_prepare_v2(store_db(x->st), "SELECT prev_state FROM device_alarm WHERE asset = ?"
				   " AND threshold != ? AND set_state IS NOT NULL LIMIT 1", -1, &s,
			       NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, x->asset->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, thr, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		found = true;
		store_copy_str(prev, 32, (const char *)sqlite3_column_text(s, 0),
			       (size_t)sqlite3_column_bytes(s, 0));
	}
	sqlite3_finalize(s);
	return found;
}

static enum gm_err save_reading(struct run *x, const struct senml_rec *r, const char *q)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(store_db(x->st),
			       "INSERT INTO device_reading(device, quantity, t, v, vs, unit)"
			       " VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT(device, quantity) DO UPDATE"
			       " SET t = ?3, v = ?4, vs = ?5, unit = ?6 WHERE ?3 >= t", -1, &s,
			       NULL) != SQLITE_OK)
		return store_dberr(x->st, "device_reading");
	sqlite3_bind_text(s, 1, x->dev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, q, -1, SQLITE_STATIC);
	sqlite3_bind_double(s, 3, r->t);
	if (r->kind == SENML_NUM || r->kind == SENML_BOOL)
		sqlite3_bind_double(s, 4, r->v);
	else if (r->has_sum)
		sqlite3_bind_double(s, 4, r->sum);
	if (r->kind == SENML_STR)
		sqlite3_bind_text(s, 5, r->vs, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->unit, -1, SQLITE_STATIC);
	enum gm_err e = sqlite3_step(s) == SQLITE_DONE ? GM_OK : store_dberr(x->st, "device_reading");
	sqlite3_finalize(s);
	return e;
}

/* The ticket a device alarm opened for (asset, event), if it is still open. */
static bool open_ticket(struct run *x, const char *event, char id[64])
{
	const struct table_def *t = schema_table(T_TICKET);
	struct store_rec r;
	sqlite3_stmt *s;
	char status[32];
	bool open = false;
	id[0] = 0;
	if (sqlite3_prepare_v2(store_db(x->st), "SELECT ticket FROM device_ticket WHERE asset = ?"
				   " AND event = ?", -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, x->asset->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, event, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		store_copy_str(id, 64, (const char *)sqlite3_column_text(s, 0),
			       (size_t)sqlite3_column_bytes(s, 0));
	sqlite3_finalize(s);
	if (!id[0])
		return false;
	store_rec_init(&r);
	if (store_get(x->st, t, id, &r) == GM_OK && clk_zero(r.del)) {
		copy_text(status, sizeof(status), rec_col(&r, "status"));
		open = ticket_status_open(status);
	}
	store_rec_free(&r);
	return open;
}

static enum gm_err put(struct run *x, const struct table_def *t, const char *key,
		       const char *scope, unsigned n, const uint8_t *cols,
		       const struct gm_value *vals, const char *note, int mode)
{
	struct store_write w = {
		.tab = t, .key = key, .scope = scope, .nset = n, .cols = cols, .vals = vals,
		.actor = x->actor, .note = note, .mode = mode,
	};
	return store_put(x->st, &w, NULL);
}

static enum gm_err set_asset_state(struct run *x, const char *state, const char *note)
{
	const struct table_def *t = schema_table(T_ASSET);
	uint8_t c = (uint8_t)schema_col(t, "state", 5);
	struct gm_value v = gm_text(state);
	enum gm_err e = put(x, t, x->asset->id, NULL, 1, &c, &v, note, W_UPDATE);
	if (!e)
		snprintf(x->asset->state, sizeof(x->asset->state), "%s", state);
	return e;
}

static enum gm_err new_ticket(struct run *x, const struct threshold *th, const char *reading,
			      const struct senml_rec *r, char id[64])
{
	const struct table_def *t = schema_table(T_TICKET);
	const struct asset_now *a = x->asset;
	char title[256], descr[768], limit[64], recov[64], when[32], note[128];
	uint8_t cols[12];
	struct gm_value vals[12];
	unsigned n = 0;
	enum gm_err e;

	/* the same ids as gridctl's: never one issued before a restore or by
	 * the device a new key replaced (recid.h) */
	if ((e = recid_new(x->st, t, "ticket", "", id, 64)))
		return e;
	fmt_limit(th, limit, sizeof(limit));
	fmt_recovery(th, recov, sizeof(recov));
	fmt_time(r->t, when, sizeof(when));
	snprintf(title, sizeof(title), "%s: %s (%s)", a->name[0] ? a->name : a->id, reading, limit);
	snprintf(descr, sizeof(descr),
		 "Reported by device %s (%s) on asset %s, component class %s: %s at %s. Threshold"
		 " %s: %s %s; it recovers when %s.", x->dev->id, x->dev->kind, a->id, a->cls,
		 reading, when, th->key, th->quantity, limit, recov);
	snprintf(note, sizeof(note), "opened by device %s", x->dev->id);
#define SET(name, v) (cols[n] = (uint8_t)schema_col(t, name, strlen(name)), vals[n++] = (v))
	SET("category", gm_text(th->event));
	SET("title", gm_text(title));
	SET("descr", gm_text(descr));
	SET("source", gm_text("device"));
	SET("status", gm_text("registered"));
	SET("created", gm_int(x->now));
	if (th->priority)
		SET("priority", gm_int(th->priority));
	if (a->has_ll) {
		SET("lat", gm_real(a->lat));
		SET("lon", gm_real(a->lon));
	}
	if (a->address[0])
		SET("address", gm_text(a->address));
#undef SET
	if ((e = put(x, t, id, a->scope, n, cols, vals, note, W_CREATE)))
		return e;
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(store_db(x->st), "INSERT OR REPLACE INTO device_ticket(asset, event,"
				   " ticket) VALUES(?,?,?)", -1, &s, NULL) != SQLITE_OK)
		return store_dberr(x->st, "device_ticket");
	sqlite3_bind_text(s, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, th->event, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, id, -1, SQLITE_STATIC);
	e = sqlite3_step(s) == SQLITE_DONE ? GM_OK : store_dberr(x->st, "device_ticket");
	sqlite3_finalize(s);
	return e;
}

static enum gm_err on_trip(struct run *x, const struct threshold *th, struct alarm_row *al,
			   const struct senml_rec *r, const char *reading)
{
	struct devalarm_result *res = x->res;
	char limit[64], note[512], id[64], prev[32];
	enum gm_err e;

	res->trips++;
	fmt_limit(th, limit, sizeof(limit));
	if (th->state) {
		/* a state set by another of our alarms is ours to hand back later too */
		bool shared = other_holder(x, th->key, prev);
		if (strcmp(x->asset->state, th->state)) {
			snprintf(al->prev_state, sizeof(al->prev_state), "%s",
				 shared ? prev : x->asset->state);
			snprintf(note, sizeof(note), "device %s: %s, %s (threshold %s)", x->dev->id,
				 reading, limit, th->key);
			if ((e = set_asset_state(x, th->state, note)))
				return e;
			snprintf(al->set_state, sizeof(al->set_state), "%s", th->state);
		} else if (shared) {
			snprintf(al->prev_state, sizeof(al->prev_state), "%s", prev);
			snprintf(al->set_state, sizeof(al->set_state), "%s", th->state);
		}
	}
	if (open_ticket(x, th->event, id)) {
		snprintf(note, sizeof(note), "device %s: %s, %s again (threshold %s)", x->dev->id,
			 reading, limit, th->key);
		res->noted++;
		return put(x, schema_table(T_TICKET), id, NULL, 0, NULL, NULL, note, W_UPDATE);
	}
	if ((e = new_ticket(x, th, reading, r, id)))
		return e;
	if (res->opened < DEVALARM_MAX_OPENED)
		snprintf(res->tickets[res->opened], sizeof(res->tickets[0]), "%s", id);
	res->opened++;
	return GM_OK;
}

static enum gm_err on_clear(struct run *x, const struct threshold *th, struct alarm_row *al,
			    const char *reading)
{
	char recov[64], note[512], id[64], prev[32];
	enum gm_err e;

	x->res->clears++;
	fmt_recovery(th, recov, sizeof(recov));
	snprintf(note, sizeof(note), "recovered: device %s: %s, %s (threshold %s)", x->dev->id,
		 reading, recov, th->key);
	if (al->set_state[0]) {
		/* hand the state back only if nobody (no person, no other alarm) holds it */
		if (!other_holder(x, th->key, prev) && !strcmp(x->asset->state, al->set_state) &&
		    (e = set_asset_state(x, al->prev_state[0] ? al->prev_state : "normal", note)))
			return e;
		al->set_state[0] = al->prev_state[0] = 0;
	}
	if (!open_ticket(x, th->event, id))
		return GM_OK;
	x->res->noted++;
	return put(x, schema_table(T_TICKET), id, NULL, 0, NULL, NULL, note, W_UPDATE);
}

/* ----------------------------------------------------------------- a pack */

struct item {
	const struct senml_rec *r;
	const struct threshold *th;
	size_t i;
};

static int by_time(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->r->t != y->r->t)
		return x->r->t < y->r->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Refuses the whole pack if any reading makes no sense for the asset. */
static bool check(const struct thr_set *ts, const struct asset_now *a, const struct senml_pack *p,
		  int64_t now, int max_ahead_s, struct item *items, char *why, size_t wlen)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct senml_rec *r = &p->rec[i];
		const char *q = senml_quantity(r->name);
		double v;
		items[i].r = r;
		items[i].i = i;
		items[i].th = NULL;
		if (r->t > (double)(now + max_ahead_s)) {
			snprintf(why, wlen, "record %zu (%s): time %.0f s ahead of this node's clock",
				 i + 1, r->name, r->t - (double)now);
			return false;
		}
		const struct threshold *th = thrstore_choose(ts, a->cls, a->scope, q);
		if (!th)
			continue;
		if (!reading_value(r, &v)) {
			snprintf(why, wlen, "record %zu (%s): %s must be a number, true/false or"
				 " on/off", i + 1, r->name, q);
			return false;
		}
		if (th->unit && *r->unit && strcmp(th->unit, r->unit)) {
			snprintf(why, wlen, "record %zu (%s): unit %s, expected %s", i + 1, r->name,
				 r->unit, th->unit);
			return false;
		}
		if ((th->has_min && v < th->min) || (th->has_max && v > th->max)) {
			snprintf(why, wlen, "record %zu (%s): %s = %g is outside the plausible range"
				 " %g to %g", i + 1, r->name, q, v, th->has_min ? th->min : -INFINITY,
				 th->has_max ? th->max : INFINITY);
			return false;
		}
		items[i].th = th;
	}
	return true;
}

static enum gm_err step_all(struct run *x, struct item *items, size_t n)
{
	enum gm_err e;
	for (size_t k = 0; k < n; k++) {
		const struct senml_rec *r = items[k].r;
		const struct threshold *th = items[k].th;
		const char *q = senml_quantity(r->name);
		struct alarm_row al;
		char reading[192];
		double v;
		struct tm tm;
		time_t tt = (time_t)r->t;

		if ((e = save_reading(x, r, q)))
			return e;
		if (!th)
			continue;
		x->res->used++;
		reading_value(r, &v);
		localtime_r(&tt, &tm);
		if ((e = alarm_load(x, th->key, &al)))
			return e;
		enum thr_event ev = thr_step(th, &al.m, v, (int64_t)floor(r->t), tm.tm_hour);
		fmt_reading(r, q, reading, sizeof(reading));
		if (ev == THR_EV_STALE) {
			x->res->stale++;
			continue;
		}
		if (ev == THR_EV_TRIP && (e = on_trip(x, th, &al, r, reading)))
			return e;
		if (ev == THR_EV_CLEAR && (e = on_clear(x, th, &al, reading)))
			return e;
		if ((e = alarm_save(x, th->key, &al)))
			return e;
	}
	return GM_OK;
}

static void dispatch_new(struct run *x)
{
	struct devalarm_result *res = x->res;
	size_t off = 0;
	unsigned n = res->opened < DEVALARM_MAX_OPENED ? res->opened : DEVALARM_MAX_OPENED;
	for (unsigned i = 0; i < n && off < sizeof(res->dispatch); i++) {
		struct rules_dispatch_out out;
		const char *id = res->tickets[i];
		int k;
		if (rules_dispatch_ticket(x->st, id, x->actor, false, &out) == GM_OK)
			k = snprintf(res->dispatch + off, sizeof(res->dispatch) - off, "%s%s %s",
				     off ? "; " : "", id, out.msg);
		else
			k = snprintf(res->dispatch + off, sizeof(res->dispatch) - off,
				     "%s%s registered, not dispatched: %s", off ? "; " : "", id,
				     store_errmsg(x->st));
		off += k > 0 ? (size_t)k : 0;
	}
}

enum gm_err devalarm_apply(struct store *st, const struct device_info *dev,
			   const struct senml_pack *p, int64_t now_s, int max_ahead_s,
			   struct devalarm_result *res)
{
	struct asset_now asset;
	struct thr_set ts;
	struct item *items;
	struct run x = { .st = st, .dev = dev, .asset = &asset, .res = res, .now = now_s };
	enum gm_err e;

	memset(res, 0, sizeof(*res));
	res->records = (unsigned)p->n;
	snprintf(x.actor, sizeof(x.actor), "%s%s", DEVICE_PSK_PREFIX, dev->id);
	if (!(items = calloc(p->n ? p->n : 1, sizeof(*items))))
		return GM_E_NOMEM;
	if ((e = thrstore_load(st, &ts)))
		goto out_free_items;
	if ((e = store_begin(st)))
		goto out_free_set;
	if ((e = load_asset(st, dev->asset, &asset))) {
		snprintf(res->why, sizeof(res->why), "%s", store_errmsg(st));
		goto out_rollback;
	}
	if (!check(&ts, &asset, p, now_s, max_ahead_s, items, res->why, sizeof(res->why))) {
		e = store_fail(st, GM_E_INVAL, "%s", res->why);
		goto out_rollback;
	}
	qsort(items, p->n, sizeof(*items), by_time);
	if ((e = step_all(&x, items, p->n)))
		goto out_rollback;
	if ((e = store_commit(st)))
		goto out_free_set;
	dispatch_new(&x);
	goto out_free_set;

out_rollback:
	store_rollback(st);
out_free_set:
	thrstore_free(&ts);
out_free_items:
	free(items);
	return e;
}
