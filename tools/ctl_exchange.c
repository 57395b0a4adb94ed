/* ctl_exchange.c - gridctl export|import|digest|seal: sneakernet sync. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctl.h"
#include "../proto/bundle.h"
#include "../sync/digest.h"
#include "../node/fileio.h"

#define IMPORT_MAX (512u << 20)

struct collect {
	const char *for_code;
	struct gm_buf data;          /* bodies back to back */
	size_t *offs, *lens;
	uint32_t n, cap;
	uint64_t changes;
	int64_t last;
};

/* Would node `code` hold this batch?  (its subtree, or reference data above it) */
static bool held_by(const struct batch_env *env, const char *code)
{
	size_t cl = strlen(code);
	if (env->cls == CLS_STREET && code_level(code, cl) < LEVEL_STREET)
		return false;
	if (scope_within(env->scope, env->scopelen, code, cl))
		return true;
	return env->cls == CLS_REF && scope_within(code, cl, env->scope, env->scopelen);
}

static int collect_cb(void *ctx, int64_t seq, const uint8_t *body, size_t len)
{
	struct collect *c = ctx;
	struct batch_env env;
	c->last = seq;
	if (batch_env_decode(body, len, &env) != GM_OK)
		return 0;   /* cannot happen for stored batches; never export junk */
	if (c->for_code && !held_by(&env, c->for_code))
		return 0;
	if (c->n == c->cap) {
		uint32_t ncap = c->cap ? c->cap * 2 : 64;
		size_t *no = realloc(c->offs, ncap * sizeof(*no));
		if (!no)
			return 1;
		c->offs = no;
		size_t *nl = realloc(c->lens, ncap * sizeof(*nl));
		if (!nl)
			return 1;
		c->lens = nl;
		c->cap = ncap;
	}
	c->offs[c->n] = c->data.len;
	c->lens[c->n++] = len;
	c->changes += env.nchanges;
	gm_buf_append(&c->data, body, len);
	return c->data.oom;
}

int cmd_export(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "for", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct collect col = { 0 };
	struct gm_buf out;
	long long since = 0;
	const char *file = NULL;
	int o, rc = EX_FAIL;

	optind = 1;
	c->short_opts = "o";
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 's':
			if (!ctl_parse_int(c, "--since", optarg, 0, INT64_MAX, &since))
				return EX_USAGE;
			break;
		case 'f':
			if (!code_valid(optarg, strlen(optarg))) {
				ctl_err(c, "--for: '%s' is not a node code", optarg);
				return EX_USAGE;
			}
			col.for_code = optarg;
			break;
		case 'o': file = optarg; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !file)
		return ctl_usage(c);
	if (store_seal(c->st, 0, NULL)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	int64_t head = store_batch_head(c->st);
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	gm_buf_init(&col.data);
	gm_buf_init(&out);
	if (store_batches(c->st, since, &bf, 0, collect_cb, &col)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		goto out_free;
	}
	if (col.data.oom) {
		ctl_err(c, "out of memory");
		goto out_free;
	}
	const uint8_t **bodies = malloc((col.n ? col.n : 1) * sizeof(*bodies));
	if (!bodies)
		goto out_free;
	for (uint32_t i = 0; i < col.n; i++)
		bodies[i] = col.data.p + col.offs[i];
	enum gm_err e = bundle_encode(&out, store_code(c->st), since, head > since ? head : since,
				      col.n, bodies, col.lens);
	free(bodies);
	if (e) {
		ctl_err(c, "encoding: %s", gm_strerror(e));
		goto out_free;
	}
	char err[256];
	if (fileio_write_atomic(file, out.p, out.len, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		goto out_free;
	}
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "file", json_string(file));
		json_object_set_new(j, "batches", json_integer(col.n));
		json_object_set_new(j, "changes", json_integer((json_int_t)col.changes));
		json_object_set_new(j, "bytes", json_integer((json_int_t)out.len));
		json_object_set_new(j, "cursor", json_integer(head > since ? head : since));
		ctl_print_json(j);
	} else {
		printf("exported %u batches (%llu changes, %zu bytes) to %s; next: --since %lld\n",
		       col.n, (unsigned long long)col.changes, out.len, file,
		       (long long)(head > since ? head : since));
	}
	rc = EX_OK;
out_free:
	gm_buf_free(&col.data);
	gm_buf_free(&out);
	free(col.offs);
	free(col.lens);
	return rc;
}

int cmd_import(struct ctl *c, int argc, char **argv)
{
	unsigned applied = 0, dup = 0, refused = 0;
	uint64_t changes = 0, ignored = 0, rejected = 0;
	int rc = EX_OK;

	if (argc < 2)
		return ctl_usage(c);
	for (int a = 1; a < argc; a++) {
		uint8_t *data;
		size_t len;
		char err[256];
		struct bundle *b;
		if (fileio_read_all(argv[a], IMPORT_MAX, &data, &len, err, sizeof(err))) {
			ctl_err(c, "%s", err);
			rc = EX_FAIL;
			continue;
		}
		enum gm_err e = bundle_decode(data, len, IMPORT_MAX, &b);
		if (e) {
			ctl_err(c, "%s: not a gridmesh export (%s)", argv[a], gm_strerror(e));
			store_count_reject(c->st, "import: bad file", argv[a]);
			free(data);
			rc = EX_FAIL;
			continue;
		}
		for (uint32_t i = 0; i < b->n; i++) {
			struct apply_result res;
			e = store_apply(c->st, b->body[i], b->len[i], LINK_IMPORT, &res);
			if (e == GM_E_REPLAY) {
				dup++;
			} else if (e) {
				refused++;
				ctl_err(c, "%s: batch %u refused: %s", argv[a], i + 1, res.why);
				store_count_reject(c->st, gm_strerror(e), res.why);
				rc = EX_FAIL;
			} else {
				applied++;
				changes += res.applied;
				ignored += res.ignored;
				rejected += res.rejected;
				if (res.rejected) {
					ctl_err(c, "%s: batch %u: %u changes refused: %s", argv[a], i + 1,
						res.rejected, res.why);
					store_count_reject(c->st, "change refused", res.why);
				}
			}
		}
		bundle_free(b);
		free(data);
	}
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "batches_applied", json_integer(applied));
		json_object_set_new(j, "batches_duplicate", json_integer(dup));
		json_object_set_new(j, "batches_refused", json_integer(refused));
		json_object_set_new(j, "changes_applied", json_integer((json_int_t)changes));
		json_object_set_new(j, "changes_superseded", json_integer((json_int_t)ignored));
		json_object_set_new(j, "changes_refused", json_integer((json_int_t)rejected));
		ctl_print_json(j);
	} else {
		printf("imported %u batches (%llu changes applied, %llu superseded, %llu refused);"
		       " %u already had, %u refused\n", applied, (unsigned long long)changes,
		       (unsigned long long)ignored, (unsigned long long)rejected, dup, refused);
	}
	return rc;
}

int cmd_digest(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scope = NULL;
	uint8_t d[DIGEST_BYTES];
	char hex[2 * DIGEST_BYTES + 1];
	uint64_t n;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o != 's')
			return EX_USAGE;
		scope = optarg;
	}
	if (optind != argc)
		return ctl_usage(c);
	if (scope && !code_valid(scope, strlen(scope))) {
		ctl_err(c, "--scope: '%s' is not a node code", scope);
		return EX_USAGE;
	}
	if (store_digest(c->st, scope, d, &n)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	digest_hex(d, hex);
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "digest", json_string(hex));
		json_object_set_new(j, "records", json_integer((json_int_t)n));
		ctl_print_json(j);
	} else {
		printf("%s\n", hex);
	}
	return EX_OK;
}

int cmd_seal(struct ctl *c, int argc, char **argv)
{
	unsigned n;
	(void)argv;
	if (argc != 1)
		return ctl_usage(c);
	if (store_seal(c->st, 0, &n)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	printf("sealed %u batches\n", n);
	return EX_OK;
}
