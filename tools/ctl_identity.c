/* ctl_identity.c - gridctl keygen, enrol, revoke, certs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "ctl.h"
#include "../node/fileio.h"
#include "../node/config.h"
#include "../node/identity.h"
#include "../node/recid.h"

static struct identity *load_identity(struct ctl *c, const char *dir)
{
	struct identity *id;
	char err[512];
	if (identity_load(dir, &id, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return NULL;
	}
	return id;
}

int cmd_keygen(struct ctl *c, int argc, char **argv)
{
	char err[512], path[4096];
	(void)argv;
	if (argc != 1)
		return ctl_usage(c);
	if (identity_keygen(c->dir, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s", c->dir, ID_PUB_FILE);
	printf("new key in %s/%s (0600); public key in %s\n", c->dir, ID_KEY_FILE, path);
	return EX_OK;
}

static bool days_opt(struct ctl *c, int argc, char **argv, long long *days, const char **out)
{
	static const struct option opts[] = {
		{ "days", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int o;
	optind = 1;
	c->short_opts = "o";
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'd':
			if (!ctl_parse_int(c, "--days", optarg, 1, 36500, days))
				return false;
			break;
		case 'o':
			if (!out) {
				ctl_usage(c);
				return false;
			}
			*out = optarg;
			break;
		default:
			return false;
		}
	}
	return true;
}

int cmd_enrol_self(struct ctl *c, int argc, char **argv)
{
	long long days = 3650;
	char err[512];
	if (!days_opt(c, argc, argv, &days, NULL) || optind != argc)
		return ctl_usage(c);
	struct identity *id = load_identity(c, c->dir);
	if (!id)
		return EX_FAIL;
	enum gm_err e = identity_enrol_self(c->dir, id, c->st, (unsigned)days, err, sizeof(err));
	identity_free(id);
	if (e) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	printf("city %s certified itself for %lld days; its key is the root of trust\n",
	       store_code(c->st), days);
	return EX_OK;
}

int cmd_enrol_request(struct ctl *c, int argc, char **argv)
{
	const char *out = NULL;
	long long days = 0;
	char err[512];
	struct gm_buf b;
	if (!days_opt(c, argc, argv, &days, &out) || optind != argc || !out)
		return ctl_usage(c);
	struct identity *id = load_identity(c, c->dir);
	if (!id)
		return EX_FAIL;
	gm_buf_init(&b);
	enum gm_err e = identity_request(id, c->st, &b, err, sizeof(err));
	identity_free(id);
	if (!e && fileio_write_atomic(out, b.p, b.len, err, sizeof(err)))
		e = GM_E_IO;
	gm_buf_free(&b);
	if (e) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	printf("enrolment request for %s written to %s: give it to the parent node\n",
	       store_code(c->st), out);
	return EX_OK;
}

/* Signs a request read from `req`, returns the package in *pkg. */
static int sign_request(struct ctl *c, const uint8_t *req, size_t reqlen, long long days,
			struct gm_buf *pkg)
{
	char err[512];
	struct identity *id = load_identity(c, c->dir);
	if (!id)
		return EX_FAIL;
	enum gm_err e = identity_issue(id, c->st, req, reqlen, (unsigned)days, pkg, err,
				       sizeof(err));
	identity_free(id);
	if (e) {
		ctl_err(c, "%s", err);
		store_count_reject(c->st, "bad enrolment request", err);
		return EX_FAIL;
	}
	return EX_OK;
}

int cmd_enrol_sign(struct ctl *c, int argc, char **argv)
{
	const char *out = NULL;
	long long days = 365;
	char err[512];
	uint8_t *req;
	size_t len;
	struct gm_buf pkg;
	if (!days_opt(c, argc, argv, &days, &out) || optind != argc - 1 || !out)
		return ctl_usage(c);
	if (fileio_read_all(argv[optind], 4096, &req, &len, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	gm_buf_init(&pkg);
	int rc = sign_request(c, req, len, days, &pkg);
	free(req);
	if (rc == EX_OK && fileio_write_atomic(out, pkg.p, pkg.len, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		rc = EX_FAIL;
	}
	gm_buf_free(&pkg);
	if (rc == EX_OK)
		printf("certified; enrolment package written to %s: install it on the child\n", out);
	return rc;
}

/* The node in dir has a parent to sync with (its store's or its config file's). */
static bool has_parent(const char *dir, struct store *st)
{
	struct config cfg;
	char path[4096], why[512];
	config_defaults(&cfg);
	config_from_store(&cfg, st);
	snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_FILE);
	/* a file that does not parse leaves the store's parent; sync says why */
	if (config_load(&cfg, path, true, why, sizeof(why)))
		config_from_store(&cfg, st);
	return cfg.parent[0] != 0;
}

static int install(struct ctl *c, const char *dir, struct store *st, const uint8_t *pkg,
		   size_t len)
{
	char err[512];
	struct identity *id = load_identity(c, dir);
	if (!id)
		return EX_FAIL;
	struct id_install res;
	enum gm_err e = identity_install(dir, id, st, pkg, len, &res, err, sizeof(err));
	identity_free(id);
	if (e) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	printf("%s %s enrolled: certificate, chain and root key installed in %s\n",
	       level_name(store_level(st)), store_code(st), dir);
	if (res.replaces) {
		char hex[2 * CERT_PK_BYTES + 1];
		sodium_bin2hex(hex, sizeof(hex), res.replaced, CERT_PK_BYTES);
		if (has_parent(dir, st)) {
			printf("this replaces key %.*s of %s: sync first, which brings back the records"
			       " made under it; new records wait until then\n",
			       IDENTITY_KEY_PREFIX_HEX, hex, store_code(st));
		} else if (store_meta_set_int(st, "reclaim", 0)) {
			ctl_err(c, "%s", store_errmsg(st));
			return EX_FAIL;
		} else {
			/* as after a restore: no one to ask, nothing to wait for */
			printf("this replaces key %.*s of %s; with no parent to sync with, new ids"
			       " start %d past the highest this node holds\n",
			       IDENTITY_KEY_PREFIX_HEX, hex, store_code(st), RECID_REKEY_GAP);
		}
	}
	if (res.parent_changed)
		printf("the parent has a new key: this node sends and fetches everything again at"
		       " its next sync\n");
	return EX_OK;
}

int cmd_enrol_install(struct ctl *c, int argc, char **argv)
{
	char err[512];
	uint8_t *pkg;
	size_t len;
	if (argc != 2)
		return ctl_usage(c);
	if (fileio_read_all(argv[1], 8192, &pkg, &len, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	int rc = install(c, c->dir, c->st, pkg, len);
	free(pkg);
	return rc;
}

/* Both directories on this machine: request, sign and install in one go. */
int cmd_enrol_child(struct ctl *c, int argc, char **argv)
{
	long long days = 365;
	char err[512];
	struct store *child;
	struct gm_buf req, pkg;
	int rc = EX_FAIL;
	if (!days_opt(c, argc, argv, &days, NULL) || optind != argc - 1)
		return ctl_usage(c);
	const char *cdir = argv[optind];
	if (store_open(cdir, &child, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	struct identity *cid = load_identity(c, cdir);
	gm_buf_init(&req);
	gm_buf_init(&pkg);
	if (!cid)
		goto out_close;
	if (!identity_has_key(cid)) {
		identity_free(cid);
		if (identity_keygen(cdir, err, sizeof(err))) {
			ctl_err(c, "%s", err);
			goto out_close;
		}
		cid = load_identity(c, cdir);
		if (!cid)
			goto out_close;
	}
	enum gm_err e = identity_request(cid, child, &req, err, sizeof(err));
	identity_free(cid);
	if (e) {
		ctl_err(c, "%s", err);
		goto out_close;
	}
	if ((rc = sign_request(c, req.p, req.len, days, &pkg)) != EX_OK)
		goto out_close;
	rc = install(c, cdir, child, pkg.p, pkg.len);
out_close:
	gm_buf_free(&req);
	gm_buf_free(&pkg);
	store_close(child);
	return rc;
}

int cmd_revoke(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "from", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct id_revocation rv = { .reason = "" };
	char err[512], hex[2 * CERT_PK_BYTES + 1], when[32];
	long long from;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'r':
			rv.reason = optarg;
			break;
		case 'k':
			rv.key = optarg;
			break;
		case 'f':
			if (!ctl_parse_time(c, "--from", optarg, &from))
				return EX_USAGE;
			/* 0 would mean "now": the epoch is "everything it ever signed" */
			rv.from = from > 0 ? from : 1;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	struct identity *id = load_identity(c, c->dir);
	if (!id)
		return EX_FAIL;
	enum gm_err e = identity_revoke(id, c->st, argv[optind], &rv, err, sizeof(err));
	identity_free(id);
	if (e) {
		ctl_err(c, "%s", err);
		return e == GM_E_INVAL ? EX_USAGE : EX_FAIL;
	}
	sodium_bin2hex(hex, sizeof(hex), rv.pk, CERT_PK_BYTES);
	ctl_format_time(rv.at, when, sizeof(when));
	printf("revoked key %.*s of %s from %s: what it signed before stays, anything stamped"
	       " later is refused; the revocation syncs like any change\n",
	       IDENTITY_KEY_PREFIX_HEX, hex, argv[optind], when);
	return EX_OK;
}

struct certs_out {
	struct ctl *c;
	struct identity *id;
	json_t *arr;
	const char *code;            /* keys_cb: whose keys */
	const struct gm_value *current;  /* its current key, hex */
	json_t *keys;
};

/* One kept key of o->code: current, earlier, or revoked from when. */
static int keys_cb(void *ctx, const struct store_rec *r)
{
	struct certs_out *o = ctx;
	const struct table_def *t = r->tab;
	const struct gm_value *pk = &r->vals[schema_col(t, "pubkey", 6)];
	uint8_t bin[CERT_PK_BYTES];
	char reason[96] = "", when[32];
	if (strcmp(r->scope, o->code) || pk->type != GM_TEXT ||
	    sodium_hex2bin(bin, sizeof(bin), pk->s, pk->len, NULL, NULL, NULL) != 0)
		return 0;
	bool current = o->current->type == GM_TEXT && o->current->len == pk->len &&
		       !memcmp(o->current->s, pk->s, pk->len);
	int64_t at = identity_revoked_at(o->c->st, o->code, bin, reason, sizeof(reason));
	const char *prefix = strchr(r->key, '/') ? strchr(r->key, '/') + 1 : r->key;
	if (o->keys) {
		json_t *j = json_object();
		json_object_set_new(j, "key", json_string(prefix));
		json_object_set_new(j, "not_before",
				    json_integer(r->vals[schema_col(t, "not_before", 10)].i));
		json_object_set_new(j, "not_after",
				    json_integer(r->vals[schema_col(t, "not_after", 9)].i));
		json_object_set_new(j, "current", json_boolean(current));
		json_object_set_new(j, "revoked_at", json_integer(at));
		json_object_set_new(j, "revoked_why", json_string(reason));
		json_array_append_new(o->keys, j);
	} else if (at) {
		ctl_format_time(at, when, sizeof(when));
		printf("      key %s  %srevoked from %s%s%s%s\n", prefix, current ? "current, " : "",
		       when, reason[0] ? " (" : "", reason, reason[0] ? ")" : "");
	} else {
		printf("      key %s  %s\n", prefix, current ? "current" : "earlier key, valid");
	}
	return 0;
}

static int cert_cb(void *ctx, const struct store_rec *r)
{
	struct certs_out *o = ctx;
	uint8_t pk[CERT_PK_BYTES];
	char why[256] = "", nb[32], na[32];
	bool ok = identity_trusted_pk(o->id, o->c->st, r->key, pk, why, sizeof(why)) == GM_OK;
	const struct table_def *t = r->tab;
	long long vb = r->vals[schema_col(t, "not_before", 10)].i;
	long long va = r->vals[schema_col(t, "not_after", 9)].i;
	ctl_format_time(vb, nb, sizeof(nb));
	ctl_format_time(va, na, sizeof(na));
	const struct gm_value *iss = &r->vals[schema_col(t, "issuer", 6)];
	json_t *j = NULL;
	if (o->arr) {
		j = json_object();
		json_object_set_new(j, "code", json_string(r->key));
		json_object_set_new(j, "issuer", json_stringn(iss->s, iss->len));
		json_object_set_new(j, "not_before", json_integer(vb));
		json_object_set_new(j, "not_after", json_integer(va));
		json_object_set_new(j, "trusted", json_boolean(ok));
		json_object_set_new(j, "why", json_string(why));
		json_array_append_new(o->arr, j);
		o->keys = json_array();
		json_object_set_new(j, "keys", o->keys);
	} else {
		printf("  %-16s by %-16.*s %s .. %s  %s\n", r->key, (int)iss->len, iss->s, nb, na,
		       ok ? "trusted" : why);
	}
	/* every key the code had, and which are revoked from when */
	struct store_filter f = { .col = -1, .v = gm_text(r->key) };
	o->code = r->key;
	o->current = &r->vals[schema_col(t, "pubkey", 6)];
	if (store_scan(o->c->st, schema_table(T_NODE_KEY), &f, 1, keys_cb, o))
		ctl_err(o->c, "%s", store_errmsg(o->c->st));
	o->keys = NULL;
	return 0;
}

int cmd_certs(struct ctl *c, int argc, char **argv)
{
	struct certs_out o = { .c = c };
	(void)argv;
	if (argc != 1)
		return ctl_usage(c);
	o.id = load_identity(c, c->dir);
	if (!o.id)
		return EX_FAIL;
	if (c->json)
		o.arr = json_array();
	else
		printf("%s, %s\n", identity_enrolled(o.id) ? "enrolled" : "not enrolled",
		       identity_street_key(o.id) ? "holds the street key" : "no street key");
	enum gm_err e = store_scan(c->st, schema_table(T_NODE_CERT), NULL, 0, cert_cb, &o);
	identity_free(o.id);
	if (e) {
		ctl_err(c, "%s", store_errmsg(c->st));
		json_decref(o.arr);
		return EX_FAIL;
	}
	if (o.arr)
		ctl_print_json(o.arr);
	return EX_OK;
}
