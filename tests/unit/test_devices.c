/* test_devices.c - devices and their keys; readings into asset states and tickets, once. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "test_util.h"
#include "../../node/devalarm.h"
#include "../../node/devices.h"
#include "../../node/thrstore.h"
#include "../../node/tickets.h"

void t_init_devices_tests(void);

#define GRID "440106012023001"
#define NOW 1700050000       /* 2023-11-15 12:06:40 UTC */
#define NIGHT 1700000000     /* 2023-11-14 22:13:20 UTC */

static void put_asset(struct store *st, const char *id, const char *cls, const char *name)
{
	const struct table_def *t = schema_table(T_ASSET);
	uint8_t cols[3] = {
		(uint8_t)schema_col(t, "code", 4), (uint8_t)schema_col(t, "state", 5),
		(uint8_t)schema_col(t, "name", 4),
	};
	struct gm_value vals[3] = { gm_text(cls), gm_text("normal"), gm_text(name) };
	struct store_write w = {
		.tab = t, .key = id, .nset = 3, .cols = cols, .vals = vals, .mode = W_CREATE,
	};
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	CU_ASSERT_FATAL(store_put(st, &w, NULL) == GM_OK);
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
}

static const char *field(struct store *st, enum table_id tab, const char *key, const char *c)
{
	static char buf[256];
	const struct table_def *t = schema_table(tab);
	struct store_rec r;
	store_rec_init(&r);
	buf[0] = 0;
	if (store_get(st, t, key, &r) == GM_OK) {
		const struct gm_value *v = &r.vals[schema_col(t, c, strlen(c))];
		if (v->type == GM_TEXT)
			snprintf(buf, sizeof(buf), "%.*s", (int)v->len, v->s);
	}
	store_rec_free(&r);
	return buf;
}

static int count_cb(void *ctx, const struct store_rec *r)
{
	(void)r;
	(*(unsigned *)ctx)++;
	return 0;
}

static unsigned tickets(struct store *st)
{
	unsigned n = 0;
	CU_ASSERT(store_scan(st, schema_table(T_TICKET), NULL, 0, count_cb, &n) == GM_OK);
	return n;
}

struct hist_find {
	const char *needle;
	unsigned n;
};

static int hist_cb(void *ctx, const struct store_hist *h)
{
	struct hist_find *f = ctx;
	f->n += h->note && strstr(h->note, f->needle);
	return 0;
}

/* Notes in the ticket's history containing `needle`. */
static unsigned notes(struct store *st, const char *id, const char *needle)
{
	struct hist_find f = { needle, 0 };
	CU_ASSERT(store_history(st, schema_table(T_TICKET), id, hist_cb, &f) == GM_OK);
	return f.n;
}

static enum gm_err post(struct store *st, const struct device_info *d, const char *json,
			struct devalarm_result *res)
{
	struct senml_pack p;
	char why[160];
	enum gm_err e = senml_parse((const uint8_t *)json, strlen(json), SENML_CT_JSON, NOW, &p, why,
				    sizeof(why));
	CU_ASSERT_EQUAL_FATAL(e, GM_OK);
	e = devalarm_apply(st, d, &p, NOW, 60, res);
	senml_pack_free(&p);
	return e;
}

static void test_registry(void)
{
	struct store *st = t_store(LEVEL_GRID, GRID);
	struct device_info d, g;
	char key[DEVICE_KEY_HEX + 1], id[DEVICE_ID_MAX + 1];
	uint8_t psk[DEVICE_KEY_HEX];
	put_asset(st, "A1", "0603", "gauge");
	put_asset(st, "A2", "0101", "manhole cover");
	CU_ASSERT_EQUAL(devices_add(st, "nope", NULL, &d, key), GM_E_NOTFOUND);
	CU_ASSERT_EQUAL(devices_add(st, "A2", NULL, &d, key), GM_E_INVAL);   /* no usual kind */
	CU_ASSERT_EQUAL(devices_add(st, "A2", "toaster", &d, key), GM_E_INVAL);
	CU_ASSERT_FATAL(devices_add(st, "A1", NULL, &d, key) == GM_OK);
	CU_ASSERT_STRING_EQUAL(d.id, GRID "-D000001");
	CU_ASSERT_STRING_EQUAL(d.kind, "water");
	CU_ASSERT_EQUAL(strlen(key), DEVICE_KEY_HEX);

	char ident[64];
	snprintf(ident, sizeof(ident), "dev:%s", d.id);
	CU_ASSERT_FATAL(devices_psk(st, (const uint8_t *)ident, strlen(ident), id, psk) == GM_OK);
	CU_ASSERT(!memcmp(psk, key, DEVICE_KEY_HEX));
	CU_ASSERT_STRING_EQUAL(id, d.id);
	CU_ASSERT_EQUAL(devices_psk(st, (const uint8_t *)d.id, strlen(d.id), id, psk),
			GM_E_NOTFOUND);   /* no prefix */
	CU_ASSERT_EQUAL(devices_psk(st, (const uint8_t *)"dev:x", 5, id, psk), GM_E_NOTFOUND);
	CU_ASSERT_FATAL(devices_revoke(st, d.id) == GM_OK);
	CU_ASSERT_EQUAL(devices_revoke(st, d.id), GM_E_STATE);
	CU_ASSERT_EQUAL(devices_psk(st, (const uint8_t *)ident, strlen(ident), id, psk), GM_E_AUTH);
	CU_ASSERT_FATAL(devices_get(st, d.id, &g) == GM_OK);
	CU_ASSERT(g.revoked > 0);
	/* a second device gets another id and another key */
	char key2[DEVICE_KEY_HEX + 1];
	CU_ASSERT_FATAL(devices_add(st, "A1", "water", &g, key2) == GM_OK);
	CU_ASSERT_STRING_NOT_EQUAL(g.id, d.id);
	CU_ASSERT_STRING_NOT_EQUAL(key2, key);
	store_close(st);
}

/* A water level over threshold opens one ticket, however often it is reported. */
static void test_ticket_once(void)
{
	struct store *st = t_store(LEVEL_GRID, GRID);
	struct device_info d;
	struct devalarm_result res;
	char key[DEVICE_KEY_HEX + 1], tid[64];
	put_asset(st, "W1", "0603", "river gauge");
	CU_ASSERT_FATAL(devices_add(st, "W1", NULL, &d, key) == GM_OK);

	CU_ASSERT_EQUAL(post(st, &d, "[{\"bn\":\"urn:dev:gauge1:\",\"n\":\"level\",\"u\":\"cm\","
				     "\"v\":50}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.used, 1);
	CU_ASSERT_EQUAL(tickets(st), 0);

	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"u\":\"cm\",\"v\":92}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.trips, 1);
	CU_ASSERT_EQUAL_FATAL(res.opened, 1);
	snprintf(tid, sizeof(tid), "%s", res.tickets[0]);
	CU_ASSERT_EQUAL(tickets(st), 1);
	CU_ASSERT_STRING_EQUAL(field(st, T_TICKET, tid, "category"), "0406");
	CU_ASSERT_STRING_EQUAL(field(st, T_TICKET, tid, "source"), "device");
	/* dispatched by the rules like any registered ticket */
	CU_ASSERT_STRING_EQUAL(field(st, T_TICKET, tid, "status"), "dispatched");
	CU_ASSERT_STRING_EQUAL(field(st, T_TICKET, tid, "assignee"), "emergency");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.dispatch, "dispatched by rule"));
	CU_ASSERT_STRING_EQUAL(field(st, T_ASSET, "W1", "state"), "alarm");

	/* repeats and a sensor hovering inside the band: nothing more */
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"v\":95,\"t\":-30},{\"n\":\"level\","
				     "\"v\":75,\"t\":-20},{\"n\":\"level\",\"v\":90,\"t\":-10},"
				     "{\"n\":\"level\",\"v\":79}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.trips + res.clears + res.opened + res.noted, 0);
	CU_ASSERT_EQUAL(tickets(st), 1);

	/* back below the clear value: recovery noted, state back */
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"u\":\"cm\",\"v\":60}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.clears, 1);
	CU_ASSERT_EQUAL(notes(st, tid, "recovered"), 1);
	CU_ASSERT_STRING_EQUAL(field(st, T_ASSET, "W1", "state"), "normal");

	/* over again while the ticket is still open: a note, not a ticket */
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"u\":\"cm\",\"v\":88}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.trips, 1);
	CU_ASSERT_EQUAL(res.opened, 0);
	CU_ASSERT_EQUAL(res.noted, 1);
	CU_ASSERT_EQUAL(tickets(st), 1);
	CU_ASSERT_EQUAL(notes(st, tid, "again"), 1);

	/* once it is closed, the next crossing opens a new ticket */
	const struct table_def *t = schema_table(T_TICKET);
	uint8_t c = (uint8_t)schema_col(t, "status", 6);
	struct gm_value v = gm_text("closed");
	struct store_write w = { .tab = t, .key = tid, .nset = 1, .cols = &c, .vals = &v,
				 .mode = W_UPDATE };
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	CU_ASSERT_FATAL(store_put(st, &w, NULL) == GM_OK);
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"v\":40}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.clears, 1);
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"v\":99}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.opened, 1);
	CU_ASSERT_EQUAL(tickets(st), 2);
	store_close(st);
}

/* Absurd readings refuse the whole pack and change nothing. */
static void test_refused(void)
{
	struct store *st = t_store(LEVEL_GRID, GRID);
	struct device_info d;
	struct devalarm_result res;
	char key[DEVICE_KEY_HEX + 1];
	uint8_t before[32], after[32];
	uint64_t n;
	put_asset(st, "W1", "0603", "river gauge");
	CU_ASSERT_FATAL(devices_add(st, "W1", NULL, &d, key) == GM_OK);
	CU_ASSERT_FATAL(store_digest(st, NULL, before, &n) == GM_OK);
	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "[{\"n\":\"level\",\"v\":99},{\"n\":\"level\",\"v\":1e6}]", "plausible range" },
		{ "[{\"n\":\"level\",\"u\":\"m\",\"v\":0.9}]", "expected cm" },
		{ "[{\"n\":\"level\",\"vs\":\"high\"}]", "must be a number" },
		{ "[{\"n\":\"level\",\"v\":99,\"t\":3600}]", "ahead of this node's clock" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(post(st, &d, bad[i].json, &res), GM_E_INVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(res.why, bad[i].why));
	}
	CU_ASSERT_FATAL(store_digest(st, NULL, after, &n) == GM_OK);
	CU_ASSERT(!memcmp(before, after, sizeof(before)));
	CU_ASSERT_EQUAL(tickets(st), 0);
	/* quantities without a threshold are kept, not refused */
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"battery\",\"u\":\"%EL\",\"v\":87}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.used, 0);
	/* an asset that is gone */
	CU_ASSERT_FATAL(store_begin(st) == GM_OK);
	struct store_write w = { .tab = schema_table(T_ASSET), .key = "W1", .del = true,
				 .mode = W_UPDATE };
	CU_ASSERT_FATAL(store_put(st, &w, NULL) == GM_OK);
	CU_ASSERT_FATAL(store_commit(st) == GM_OK);
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"v\":99}]", &res), GM_E_NOTFOUND);
	store_close(st);
}

/* A street light off at night is damaged; by day it is not; on again, it recovers. */
static void test_lamp_at_night(void)
{
	char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	setenv("TZ", "UTC", 1);
	tzset();
	struct store *st = t_store(LEVEL_GRID, GRID);
	struct device_info d;
	struct devalarm_result res;
	char key[DEVICE_KEY_HEX + 1], json[256];
	put_asset(st, "L1", "0118", "lamp 7, Dongfeng Road");
	CU_ASSERT_FATAL(devices_add(st, "L1", NULL, &d, key) == GM_OK);
	CU_ASSERT_STRING_EQUAL(d.kind, "light");

	/* off at 22:13 (twice): damaged, one ticket to the lighting department */
	snprintf(json, sizeof(json), "[{\"bt\":%d,\"n\":\"lamp\",\"vs\":\"off\"},"
		 "{\"n\":\"lamp\",\"vs\":\"off\",\"t\":600}]", NIGHT);
	CU_ASSERT_EQUAL(post(st, &d, json, &res), GM_OK);
	CU_ASSERT_EQUAL(res.trips, 1);
	CU_ASSERT_EQUAL_FATAL(res.opened, 1);
	CU_ASSERT_STRING_EQUAL(field(st, T_ASSET, "L1", "state"), "damaged");
	CU_ASSERT_STRING_EQUAL(field(st, T_TICKET, res.tickets[0], "category"), "0408");
	CU_ASSERT_STRING_EQUAL(field(st, T_TICKET, res.tickets[0], "assignee"), "lighting-power");
	char tid[64];
	snprintf(tid, sizeof(tid), "%s", res.tickets[0]);
	/* off the next morning: lamps are off by day, it stays damaged */
	snprintf(json, sizeof(json), "[{\"n\":\"lamp\",\"vb\":false,\"t\":%d}]", NOW - 3600);
	CU_ASSERT_EQUAL(post(st, &d, json, &res), GM_OK);
	CU_ASSERT_EQUAL(res.trips + res.clears, 0);
	CU_ASSERT_STRING_EQUAL(field(st, T_ASSET, "L1", "state"), "damaged");
	/* an older reading changes nothing */
	snprintf(json, sizeof(json), "[{\"n\":\"lamp\",\"vb\":true,\"t\":%d}]", NIGHT);
	CU_ASSERT_EQUAL(post(st, &d, json, &res), GM_OK);
	CU_ASSERT_EQUAL(res.stale, 1);
	CU_ASSERT_EQUAL(res.clears, 0);
	/* on again: recovered */
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"lamp\",\"vb\":true}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.clears, 1);
	CU_ASSERT_STRING_EQUAL(field(st, T_ASSET, "L1", "state"), "normal");
	CU_ASSERT_EQUAL(notes(st, tid, "recovered"), 1);

	/* another lamp, off by day only: nothing */
	put_asset(st, "L2", "0118", "lamp 8");
	CU_ASSERT_FATAL(devices_add(st, "L2", "light", &d, key) == GM_OK);
	snprintf(json, sizeof(json), "[{\"n\":\"lamp\",\"vb\":false,\"t\":%d}]", NOW - 3600);
	CU_ASSERT_EQUAL(post(st, &d, json, &res), GM_OK);
	CU_ASSERT_EQUAL(res.used, 1);
	CU_ASSERT_EQUAL(res.trips, 0);
	CU_ASSERT_EQUAL(tickets(st), 1);
	store_close(st);
	if (tz) {
		setenv("TZ", tz, 1);
		free(tz);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

/* A node's own version of a threshold decides for its assets; disabled, it is off. */
static void test_override(void)
{
	const struct table_def *t = schema_table(T_DEVICE_THRESHOLD);
	struct store *st = t_store(LEVEL_GRID, GRID);
	struct device_info d;
	struct devalarm_result res;
	char key[DEVICE_KEY_HEX + 1], rkey[128];
	put_asset(st, "W1", "0603", "river gauge");
	CU_ASSERT_FATAL(devices_add(st, "W1", NULL, &d, key) == GM_OK);
	uint8_t cols[2] = { (uint8_t)schema_col(t, "value", 5), (uint8_t)schema_col(t, "clear", 5) };
	struct gm_value vals[2] = { gm_real(50), gm_real(40) };
	CU_ASSERT_FATAL(thrstore_put(st, "water-level", 2, cols, vals, "tester", rkey,
				     sizeof(rkey)) == GM_OK);
	CU_ASSERT_STRING_EQUAL(rkey, GRID ":water-level");
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"v\":60}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.trips, 1);   /* 60 is over the grid's 50, not the default 80 */
	/* refused: nothing would ever clear; not a known event class */
	vals[1] = gm_real(55);
	CU_ASSERT_EQUAL(thrstore_put(st, "water-level", 2, cols, vals, NULL, NULL, 0), GM_E_INVAL);
	uint8_t ev = (uint8_t)schema_col(t, "event", 5);
	struct gm_value evv = gm_text("9999");
	CU_ASSERT_EQUAL(thrstore_put(st, "water-level", 1, &ev, &evv, NULL, NULL, 0), GM_E_INVAL);
	/* switched off here: the quantity is no longer watched */
	uint8_t en = (uint8_t)schema_col(t, "enabled", 7);
	struct gm_value off = gm_int(0);
	CU_ASSERT_FATAL(thrstore_put(st, "water-level", 1, &en, &off, NULL, NULL, 0) == GM_OK);
	CU_ASSERT_EQUAL(post(st, &d, "[{\"n\":\"level\",\"v\":10}]", &res), GM_OK);
	CU_ASSERT_EQUAL(res.used, 0);
	CU_ASSERT_EQUAL(res.clears, 0);
	store_close(st);
}

void t_init_devices_tests(void)
{
	static const struct t_case tests[] = {
		{ "registry and keys", test_registry },
		{ "one ticket per crossing, noted, recovered, dispatched", test_ticket_once },
		{ "absurd readings refused, nothing changes", test_refused },
		{ "street light off at night", test_lamp_at_night },
		{ "a node's own threshold, checks, disabling", test_override },
		{ NULL, NULL },
	};
	t_add_suite("devices", tests);
}
