/* ctl_exchange.c - gridctl export|import|digest|seal: sneakernet sync. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ctl.h"
#include "../node/exchange.h"
#include "../sync/digest.h"
#include "../node/fileio.h"

#define IMPORT_MAX (512u << 20)

int cmd_export(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "for", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *for_code = NULL;
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
			for_code = optarg;
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
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	struct exchange_out res;
	char err[256];
	gm_buf_init(&out);
	if (exchange_collect(c->st, since, &bf, for_code, 0, &out, &res)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		goto out_free;
	}
	if (fileio_write_atomic(file, out.p, out.len, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		goto out_free;
	}
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "file", json_string(file));
		json_object_set_new(j, "batches", json_integer(res.batches));
		json_object_set_new(j, "changes", json_integer((json_int_t)res.changes));
		json_object_set_new(j, "bytes", json_integer((json_int_t)out.len));
		json_object_set_new(j, "cursor", json_integer(res.upto));
		ctl_print_json(j);
	} else {
		printf("exported %u batches (%llu changes, %zu bytes) to %s; next: --since %lld\n",
		       res.batches, (unsigned long long)res.changes, out.len, file,
		       (long long)res.upto);
	}
	rc = EX_OK;
out_free:
	gm_buf_free(&out);
	return rc;
}

struct import_progress {
	struct ctl_progress p;
	const char *file;
};

static void import_progress(void *ctx, uint32_t done, uint32_t total)
{
	struct import_progress *ip = ctx;
	char a[32], b[32];
	ctl_progress_show(&ip->p, done == total, "%s: imported %s / %s batches", ip->file,
			  ctl_count(done, a), ctl_count(total, b));
}

int cmd_import(struct ctl *c, int argc, char **argv)
{
	struct exchange_in tot = { 0 };
	struct import_progress ip;
	int rc = EX_OK, nread = 0;

	if (argc < 2)
		return ctl_usage(c);
	for (int a = 1; a < argc; a++) {
		struct exchange_in in;
		uint8_t *data;
		size_t len;
		char err[256];
		if (fileio_read_all(argv[a], IMPORT_MAX, &data, &len, err, sizeof(err))) {
			ctl_err(c, "%s", err);
			rc = EX_FAIL;
			continue;
		}
		ctl_progress_start(&ip.p);
		ip.file = argv[a];
		enum gm_err e = exchange_apply_progress(c->st, data, len, LINK_IMPORT, IMPORT_MAX, &in,
							import_progress, &ip);
		ctl_progress_end(&ip.p);
		free(data);
		if (e) {
			ctl_err(c, "%s: not a gridmesh export (%s)", argv[a], gm_strerror(e));
			rc = EX_FAIL;
			continue;
		}
		nread++;
		if (in.refused || in.rejected) {
			ctl_err(c, "%s: %u batches and %llu changes refused: %s", argv[a], in.refused,
				(unsigned long long)in.rejected, in.why);
			rc = EX_FAIL;
		}
		tot.batches += in.batches;
		tot.dup += in.dup;
		tot.refused += in.refused;
		tot.applied += in.applied;
		tot.superseded += in.superseded;
		tot.rejected += in.rejected;
	}
	/* no file could be read: the error lines said it all */
	if (!nread)
		return rc;
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "batches_applied", json_integer(tot.batches));
		json_object_set_new(j, "batches_duplicate", json_integer(tot.dup));
		json_object_set_new(j, "batches_refused", json_integer(tot.refused));
		json_object_set_new(j, "changes_applied", json_integer((json_int_t)tot.applied));
		json_object_set_new(j, "changes_superseded", json_integer((json_int_t)tot.superseded));
		json_object_set_new(j, "changes_refused", json_integer((json_int_t)tot.rejected));
		ctl_print_json(j);
	} else {
		printf("imported %u batches (%llu changes applied, %llu superseded, %llu refused);"
		       " %u already had, %u refused\n", tot.batches, (unsigned long long)tot.applied,
		       (unsigned long long)tot.superseded, (unsigned long long)tot.rejected, tot.dup,
		       tot.refused);
	}
	return rc;
}

int cmd_digest(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "shared", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scope = NULL;
	bool shared = false;
	uint8_t d[DIGEST_BYTES];
	char hex[2 * DIGEST_BYTES + 1];
	uint64_t n;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o == 's')
			scope = optarg;
		else if (o == 'S')
			shared = true;
		else
			return EX_USAGE;
	}
	if (optind != argc)
		return ctl_usage(c);
	if (scope && !code_valid(scope, strlen(scope))) {
		ctl_err(c, "--scope: '%s' is not a node code", scope);
		return EX_USAGE;
	}
	if (store_digest_ex(c->st, scope, shared, d, &n)) {
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
