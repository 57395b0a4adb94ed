/* ctl_resident.c - gridctl resident|household: people and households. */
#include <stdio.h>
#include <string.h>
#include "ctl.h"
#include "../node/recid.h"
#include "../node/residents.h"

static const struct option person_opts[] = {
	{ "name", required_argument, NULL, 'n' },
	{ "household", required_argument, NULL, 'H' },
	{ "sex", required_argument, NULL, 's' },
	{ "birth-year", required_argument, NULL, 'b' },
	{ "id-card", required_argument, NULL, 'i' },
	{ "phone", required_argument, NULL, 'p' },
	{ "address", required_argument, NULL, 'a' },
	{ "tags", required_argument, NULL, 't' },
	{ "note", required_argument, NULL, 'N' },
	{ "scope", required_argument, NULL, 'S' },
	{ NULL, 0, NULL, 0 },
};

/*
 * GB 11643 citizen ID: 17 digits and a check character (digit or X).  We
 * check the shape and the ISO 7064 MOD 11-2 check digit, which catches
 * most typing errors a grid worker makes in the field.
 */
static bool id_card_ok(const char *s)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	if (strlen(s) != 18)
		return false;
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		sum += (s[i] - '0') * w[i];
	}
	char last = s[17] == 'x' ? 'X' : s[17];
	return check[sum % 11] == last;
}

/*
 * Sensitive fields (PIPL) are stored sealed with the street key; a node
 * that has not been enrolled into its street has no key and refuses them
 * rather than keep them in clear.
 */
static bool sensitive_ok(struct ctl *c, const char *opt)
{
	if (store_has_field_key(c->st))
		return true;
	ctl_err(c, "%s is sensitive and this node holds no street key to seal it"
		   " (enrol it: gridctl enrol)", opt);
	return false;
}

/*
 * One resident write and the grid's aggregate, in one transaction: the
 * world above the street sees the new counts with the same sync.
 */
static int resident_write(struct ctl *c, const struct store_write *w, const char *grid)
{
	enum gm_err e = store_begin(c->st);
	if (!e)
		e = store_put(c->st, w, NULL);
	if (!e && store_has_field_key(c->st))
		e = residents_refresh(c->st, grid);
	return ctl_end_txn(c, e);
}

/* Scope of an existing record (its grid), for the aggregate. */
static bool scope_of(struct ctl *c, const struct table_def *t, const char *key, char out[16])
{
	struct store_rec r;
	store_rec_init(&r);
	bool ok = store_get(c->st, t, key, &r) == GM_OK;
	if (ok)
		snprintf(out, 16, "%s", r.scope);
	else
		ctl_err(c, "%s", store_errmsg(c->st));
	store_rec_free(&r);
	return ok;
}

/* Parses person options into f; returns -1 ok, else an exit status. */
static int person_fields(struct ctl *c, int argc, char **argv, struct ctl_fields *f,
			 const char **scope)
{
	const struct table_def *t = schema_table(T_PERSON);
	long long v;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, person_opts)) != -1) {
		switch (o) {
		case 'n': ctl_set(f, t, "name", gm_text(optarg)); break;
		case 'H': ctl_set(f, t, "household", gm_text(optarg)); break;
		case 's':
			if (strcmp(optarg, "M") && strcmp(optarg, "F")) {
				ctl_err(c, "--sex: M or F");
				return EX_USAGE;
			}
			ctl_set(f, t, "sex", gm_text(optarg));
			break;
		case 'b':
			if (!ctl_parse_int(c, "--birth-year", optarg, 1880, 2100, &v))
				return EX_USAGE;
			ctl_set(f, t, "birth_year", gm_int(v));
			break;
		case 'i':
			if (!id_card_ok(optarg)) {
				ctl_err(c, "--id-card: not an 18-character ID number with a valid"
					   " check digit");
				return EX_USAGE;
			}
			if (!sensitive_ok(c, "--id-card"))
				return EX_FAIL;
			ctl_set(f, t, "id_card", gm_text(optarg));
			break;
		case 'p':
		case 'a':
		case 't':
		case 'N': {
			static const char *const names[] = { "phone", "address", "tags", "note" };
			static const char *const opt[] = { "--phone", "--address", "--tags", "--note" };
			int k = o == 'p' ? 0 : o == 'a' ? 1 : o == 't' ? 2 : 3;
			if (!sensitive_ok(c, opt[k]))
				return EX_FAIL;
			ctl_set(f, t, names[k], gm_text(optarg));
			break;
		}
		case 'S':
			if (!scope) {
				ctl_err(c, "--scope is set when a resident is added");
				return EX_USAGE;
			}
			*scope = optarg;
			break;
		default: return EX_USAGE;
		}
	}
	return -1;
}

/* Adds a record with a generated "<code>-<prefix><seq>" id; prints it. */
static int add_with_id(struct ctl *c, const struct table_def *t, const char *prefix,
		       const char *scope, const struct ctl_fields *f)
{
	char id[64];
	const char *grid = scope ? scope : store_code(c->st);
	enum gm_err e = store_begin(c->st);
	if (!e)
		e = recid_new(c->st, t, t->name, prefix, id, sizeof(id));
	if (!e) {
		struct store_write w = {
			.tab = t, .key = id, .scope = scope, .nset = f->n, .cols = f->cols,
			.vals = f->vals, .actor = c->actor, .mode = W_CREATE,
		};
		e = store_put(c->st, &w, NULL);
	}
	if (!e && store_has_field_key(c->st))
		e = residents_refresh(c->st, grid);
	if (ctl_end_txn(c, e))
		return EX_FAIL;
	ctl_print_id(c, id);
	return EX_OK;
}

int cmd_resident_add(struct ctl *c, int argc, char **argv)
{
	struct ctl_fields f = { 0 };
	const char *scope = NULL;
	int rc = person_fields(c, argc, argv, &f, &scope);
	if (rc >= 0)
		return rc;
	if (optind != argc)
		return ctl_usage(c);
	return add_with_id(c, schema_table(T_PERSON), "P", scope, &f);
}

int cmd_resident_update(struct ctl *c, int argc, char **argv)
{
	struct ctl_fields f = { 0 };
	int rc = person_fields(c, argc, argv, &f, NULL);
	if (rc >= 0)
		return rc;
	if (optind != argc - 1)
		return ctl_usage(c);
	if (!f.n) {
		ctl_err(c, "nothing to change");
		return EX_USAGE;
	}
	char grid[16];
	const struct table_def *t = schema_table(T_PERSON);
	if (!scope_of(c, t, argv[optind], grid))
		return EX_FAIL;
	struct store_write w = { .tab = t, .key = argv[optind], .nset = f.n, .cols = f.cols,
				 .vals = f.vals, .actor = c->actor, .mode = W_UPDATE };
	return resident_write(c, &w, grid);
}

int cmd_resident_show(struct ctl *c, int argc, char **argv)
{
	int rc = ctl_json_only(c, argc, argv, 1);
	if (rc >= 0)
		return rc;
	return ctl_show_record(c, schema_table(T_PERSON), argv[optind]);
}

int cmd_resident_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "household", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "name", "sex", "birth_year", "household", NULL };
	const struct table_def *t = schema_table(T_PERSON);
	struct store_filter f[1];
	unsigned nf = 0;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'H':
			f[0].col = schema_col(t, "household", 9);
			f[0].v = gm_text(optarg);
			nf = 1;
			break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(c);
	return ctl_list_records(c, t, f, nf, cols);
}

int cmd_resident_erase(struct ctl *c, int argc, char **argv)
{
	if (argc != 2)
		return ctl_usage(c);
	char grid[16];
	const struct table_def *t = schema_table(T_PERSON);
	if (!scope_of(c, t, argv[1], grid))
		return EX_FAIL;
	struct store_write w = { .tab = t, .key = argv[1], .actor = c->actor, .del = true,
				 .mode = W_UPDATE };
	int rc = resident_write(c, &w, grid);
	if (rc == EX_OK && !c->json)
		printf("erased %s (the erasure syncs like any change)\n", argv[1]);
	return rc;
}

int cmd_household_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "head", required_argument, NULL, 'h' },
		{ "note", required_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const struct table_def *t = schema_table(T_HOUSEHOLD);
	struct ctl_fields f = { 0 };
	const char *scope = NULL;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'a':
			if (!sensitive_ok(c, "--address"))
				return EX_FAIL;
			ctl_set(&f, t, "address", gm_text(optarg));
			break;
		case 'h': ctl_set(&f, t, "head", gm_text(optarg)); break;
		case 'n': ctl_set(&f, t, "note", gm_text(optarg)); break;
		case 'S': scope = optarg; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !f.n)
		return ctl_usage(c);
	return add_with_id(c, t, "H", scope, &f);
}

int cmd_household_list(struct ctl *c, int argc, char **argv)
{
	static const char *const cols[] = { "head", "address", NULL };
	int rc = ctl_json_only(c, argc, argv, 0);
	if (rc >= 0)
		return rc;
	return ctl_list_records(c, schema_table(T_HOUSEHOLD), NULL, 0, cols);
}
