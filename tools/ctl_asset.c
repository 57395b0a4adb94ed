/* ctl_asset.c - gridctl asset add|update|show|list|delete, category list. */
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "ctl.h"
#include "../node/recid.h"
#include "../node/tickets.h"

static bool component_ok(struct ctl *c, const char *code)
{
	struct store_rec r;
	store_rec_init(&r);
	enum gm_err e = store_get(c->st, schema_table(T_CAT_COMPONENT), code, &r);
	bool ok = !e && clk_zero(r.del);
	store_rec_free(&r);
	if (!ok)
		ctl_err(c, "--code: '%s' is not a component class (gridctl category list"
			   " --component)", code);
	return ok;
}

static bool state_ok(struct ctl *c, const char *s)
{
	if (asset_state_valid(s))
		return true;
	ctl_err(c, "--state: '%s' is not one of normal, damaged, lost, repair, alarm", s);
	return false;
}

static bool attrs_ok(struct ctl *c, const char *s)
{
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	bool ok = j && json_is_object(j);
	json_decref(j);
	if (!ok)
		ctl_err(c, "--attrs: not a JSON object (%s)", j ? "not an object" : je.text);
	return ok;
}

int cmd_asset_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "code", required_argument, NULL, 'c' },
		{ "id", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "lat", required_argument, NULL, 'a' },
		{ "lon", required_argument, NULL, 'o' },
		{ "address", required_argument, NULL, 'A' },
		{ "state", required_argument, NULL, 's' },
		{ "attrs", required_argument, NULL, 'x' },
		{ "scope", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const struct table_def *t = schema_table(T_ASSET);
	struct ctl_fields f = { 0 };
	const char *code = NULL, *id = NULL, *scope = NULL, *state = "normal";
	double lat = 0, lon = 0;
	bool has_lat = false, has_lon = false;
	char idbuf[64];
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'c': code = optarg; break;
		case 'i': id = optarg; break;
		case 'n': ctl_set(&f, t, "name", gm_text(optarg)); break;
		case 'a':
			if (!ctl_parse_double(c, "--lat", optarg, -90, 90, &lat))
				return EX_USAGE;
			has_lat = true;
			break;
		case 'o':
			if (!ctl_parse_double(c, "--lon", optarg, -180, 180, &lon))
				return EX_USAGE;
			has_lon = true;
			break;
		case 'A': ctl_set(&f, t, "address", gm_text(optarg)); break;
		case 's':
			if (!state_ok(c, optarg))
				return EX_USAGE;
			state = optarg;
			break;
		case 'x':
			if (!attrs_ok(c, optarg))
				return EX_USAGE;
			ctl_set(&f, t, "attrs", gm_text(optarg));
			break;
		case 'S': scope = optarg; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !code) {
		if (!code)
			ctl_err(c, "--code is required");
		return ctl_usage(c);
	}
	if (has_lat != has_lon) {
		ctl_err(c, "--lat and --lon go together");
		return EX_USAGE;
	}
	if (!component_ok(c, code))
		return EX_FAIL;
	ctl_set(&f, t, "code", gm_text(code));
	ctl_set(&f, t, "state", gm_text(state));
	if (has_lat) {
		ctl_set(&f, t, "lat", gm_real(lat));
		ctl_set(&f, t, "lon", gm_real(lon));
	}
	enum gm_err e = store_begin(c->st);
	if (!e && !id) {
		e = recid_new(c->st, t, "asset", "A", idbuf, sizeof(idbuf));
		id = idbuf;
	}
	if (!e) {
		struct store_write w = {
			.tab = t, .key = id, .scope = scope, .nset = f.n, .cols = f.cols,
			.vals = f.vals, .actor = c->actor, .mode = W_CREATE,
		};
		e = store_put(c->st, &w, NULL);
	}
	if (ctl_end_txn(c, e))
		return EX_FAIL;
	ctl_print_id(c, id);
	return EX_OK;
}

int cmd_asset_update(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "inspected", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "attrs", required_argument, NULL, 'x' },
		{ "note", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	const struct table_def *t = schema_table(T_ASSET);
	struct ctl_fields f = { 0 };
	const char *note = NULL;
	long long v;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 's':
			if (!state_ok(c, optarg))
				return EX_USAGE;
			ctl_set(&f, t, "state", gm_text(optarg));
			break;
		case 'i':
			if (!ctl_parse_time(c, "--inspected", optarg, &v))
				return EX_USAGE;
			ctl_set(&f, t, "inspected", gm_int(v));
			break;
		case 'n': ctl_set(&f, t, "name", gm_text(optarg)); break;
		case 'x':
			if (!attrs_ok(c, optarg))
				return EX_USAGE;
			ctl_set(&f, t, "attrs", gm_text(optarg));
			break;
		case 'N': note = optarg; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	if (!f.n && !note) {
		ctl_err(c, "nothing to change");
		return EX_USAGE;
	}
	return ctl_write(c, t, argv[optind], NULL, &f, note, W_UPDATE, false);
}

int cmd_asset_show(struct ctl *c, int argc, char **argv)
{
	int rc = ctl_json_only(c, argc, argv, 1);
	if (rc >= 0)
		return rc;
	return ctl_show_record(c, schema_table(T_ASSET), argv[optind]);
}

int cmd_asset_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "code", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "code", "state", "name", "address", NULL };
	const struct table_def *t = schema_table(T_ASSET);
	struct store_filter f[2];
	const char *code = NULL, *state = NULL;
	unsigned nf = 0;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'c': code = optarg; break;
		case 's': state = optarg; break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(c);
	if (state && !state_ok(c, state))
		return EX_USAGE;
	if (code) {
		f[nf].col = schema_col(t, "code", 4);
		f[nf++].v = gm_text(code);
	}
	if (state) {
		f[nf].col = schema_col(t, "state", 5);
		f[nf++].v = gm_text(state);
	}
	return ctl_list_records(c, t, f, nf, cols);
}

int cmd_asset_delete(struct ctl *c, int argc, char **argv)
{
	if (argc != 2)
		return ctl_usage(c);
	return ctl_write(c, schema_table(T_ASSET), argv[1], NULL, NULL, NULL, W_UPDATE, true);
}

int cmd_category_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "component", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "major_name_en", "major_name", "minor_name", NULL };
	bool comp = false;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'c': comp = true; break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(c);
	return ctl_list_records(c, schema_table(comp ? T_CAT_COMPONENT : T_CAT_EVENT), NULL, 0,
				cols);
}
