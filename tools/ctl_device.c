/* ctl_device.c - gridctl device add|list|show|revoke. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "../node/devices.h"
#include "../node/store_int.h"

int cmd_device_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "asset", required_argument, NULL, 'a' },
		{ "kind", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *asset = NULL, *kind = NULL;
	struct device_info d;
	char key[DEVICE_KEY_HEX + 1];
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'a': asset = optarg; break;
		case 'k':
			if (!devices_kind_valid(optarg)) {
				ctl_err(c, "--kind: '%s' is not light, water, bin or camera", optarg);
				return EX_USAGE;
			}
			kind = optarg;
			break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !asset) {
		if (!asset)
			ctl_err(c, "--asset is required");
		return ctl_usage(c);
	}
	if (devices_add(c->st, asset, kind, &d, key)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	if (c->json) {
		json_t *j = json_object();
		char ident[64];
		snprintf(ident, sizeof(ident), "%s%s", DEVICE_PSK_PREFIX, d.id);
		json_object_set_new(j, "id", json_string(d.id));
		json_object_set_new(j, "identity", json_string(ident));
		json_object_set_new(j, "key", json_string(key));
		json_object_set_new(j, "asset", json_string(d.asset));
		json_object_set_new(j, "kind", json_string(d.kind));
		ctl_print_json(j);
	} else {
		printf("device    %s\nasset     %s (%s)\nidentity  %s%s\nkey       %s\n", d.id, d.asset,
		       d.kind, DEVICE_PSK_PREFIX, d.id, key);
		fprintf(stderr, "gridctl %s: the key is shown this once; give the device the identity"
				" and the key (coap-client -u IDENTITY -k KEY)\n", c->cmd);
	}
	return EX_OK;
}

static json_t *info_json(const struct device_info *d)
{
	json_t *j = json_object();
	char t[32];
	json_object_set_new(j, "id", json_string(d->id));
	json_object_set_new(j, "asset", json_string(d->asset));
	json_object_set_new(j, "kind", json_string(d->kind));
	json_object_set_new(j, "status", json_string(d->revoked ? "revoked" : "active"));
	ctl_format_time(d->created, t, sizeof(t));
	json_object_set_new(j, "created", json_string(t));
	if (d->revoked) {
		ctl_format_time(d->revoked, t, sizeof(t));
		json_object_set_new(j, "revoked", json_string(t));
	}
	if (d->registered) {
		ctl_format_time(d->registered, t, sizeof(t));
		json_object_set_new(j, "registered", json_string(t));
		json_object_set_new(j, "info", json_string(d->info));
	}
	if (d->last_seen) {
		ctl_format_time(d->last_seen, t, sizeof(t));
		json_object_set_new(j, "last_seen", json_string(t));
		json_object_set_new(j, "addr", json_string(d->addr));
	}
	json_object_set_new(j, "readings", json_integer(d->readings));
	json_object_set_new(j, "refused", json_integer(d->refused));
	return j;
}

struct list_out {
	json_t *arr;
	unsigned n;
};

static int list_cb(void *ctx, const struct device_info *d)
{
	struct list_out *o = ctx;
	char seen[32] = "-";
	if (o->arr) {
		json_array_append_new(o->arr, info_json(d));
	} else {
		if (d->last_seen)
			ctl_format_time(d->last_seen, seen, sizeof(seen));
		printf("%-26s %-24s %-7s %-8s %-19s %8lld %7lld\n", d->id, d->asset, d->kind,
		       d->revoked ? "revoked" : "active", seen, (long long)d->readings,
		       (long long)d->refused);
	}
	o->n++;
	return 0;
}

int cmd_device_list(struct ctl *c, int argc, char **argv)
{
	struct list_out o = { 0 };
	int rc = ctl_json_only(c, argc, argv, 0);
	if (rc >= 0)
		return rc;
	if (c->json)
		o.arr = json_array();
	else
		printf("%-26s %-24s %-7s %-8s %-19s %8s %7s\n", "DEVICE", "ASSET", "KIND", "STATUS",
		       "LAST SEEN", "READINGS", "REFUSED");
	if (devices_list(c->st, list_cb, &o)) {
		json_decref(o.arr);
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	if (o.arr)
		ctl_print_json(o.arr);
	return EX_OK;
}

int cmd_device_show(struct ctl *c, int argc, char **argv)
{
	struct device_info d;
	sqlite3_stmt *s;
	int rc = ctl_json_only(c, argc, argv, 1);
	if (rc >= 0)
		return rc;
	if (devices_get(c->st, argv[optind], &d)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	json_t *j = info_json(&d), *last = json_object();
	/* the newest reading of each quantity, kept locally by node/devalarm.c */
	if (sqlite3_prepare_v2(store_db(c->st), "SELECT quantity, t, v, vs, unit FROM device_reading"
				   " WHERE device = ? ORDER BY quantity", -1, &s, NULL) != SQLITE_OK) {
		json_decref(j);
		json_decref(last);
		ctl_err(c, "%s", sqlite3_errmsg(store_db(c->st)));
		return EX_FAIL;
	}
	sqlite3_bind_text(s, 1, d.id, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *r = json_object();
		char t[32];
		ctl_format_time((long long)sqlite3_column_double(s, 1), t, sizeof(t));
		json_object_set_new(r, "at", json_string(t));
		if (sqlite3_column_type(s, 2) != SQLITE_NULL)
			json_object_set_new(r, "v", json_real(sqlite3_column_double(s, 2)));
		if (sqlite3_column_type(s, 3) != SQLITE_NULL)
			json_object_set_new(r, "vs", json_string((const char *)sqlite3_column_text(s, 3)));
		json_object_set_new(r, "unit", json_string((const char *)sqlite3_column_text(s, 4)));
		json_object_set_new(last, (const char *)sqlite3_column_text(s, 0), r);
	}
	sqlite3_finalize(s);
	json_object_set_new(j, "last", last);
	if (c->json) {
		ctl_print_json(j);
		return EX_OK;
	}
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		if (json_is_object(v))
			continue;
		char *txt = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
		printf("%-11s %s\n", k, txt ? txt : json_string_value(v));
		free(txt);
	}
	json_object_foreach(last, k, v) {
		json_t *val = json_object_get(v, "v"), *vs = json_object_get(v, "vs");
		printf("%-11s %s = ", "reading", k);
		if (vs)
			printf("%s", json_string_value(vs));
		else if (val)
			printf("%g", json_real_value(val));
		printf(" %s at %s\n", json_string_value(json_object_get(v, "unit")),
		       json_string_value(json_object_get(v, "at")));
	}
	json_decref(j);
	return EX_OK;
}

int cmd_device_revoke(struct ctl *c, int argc, char **argv)
{
	if (argc != 2)
		return ctl_usage(c);
	if (devices_revoke(c->st, argv[1])) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	fprintf(stderr, "gridctl %s: %s revoked: its handshakes and requests are refused from now"
			" on\n", c->cmd, argv[1]);
	return EX_OK;
}
