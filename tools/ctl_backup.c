/* ctl_backup.c - gridctl backup and restore (node/backup.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ctl.h"
#include "../node/backup.h"
#include "../node/identity.h"

static void print_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= 10u << 20)
		snprintf(buf, len, "%llu MB", (unsigned long long)(bytes >> 20));
	else if (bytes >= 10u << 10)
		snprintf(buf, len, "%llu KB", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
}

static json_t *info_json(const struct backup_info *bi, const char *file)
{
	json_t *j = json_object();
	json_object_set_new(j, "file", json_string(file));
	json_object_set_new(j, "code", json_string(bi->code));
	json_object_set_new(j, "level", json_string(bi->level));
	json_object_set_new(j, "made", json_integer(bi->made));
	json_object_set_new(j, "bytes", json_integer((json_int_t)bi->bytes));
	json_object_set_new(j, "files", json_integer(bi->files));
	json_object_set_new(j, "with_keys", json_boolean(bi->keys));
	return j;
}

int cmd_backup(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "with-keys", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_info bi;
	const char *file = NULL;
	bool keys = false;
	char err[512], size[32];
	int o;

	optind = 1;
	c->short_opts = "o";
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'o': file = optarg; break;
		case 'k': keys = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !file)
		return ctl_usage(c);
	if (backup_write(c->st, file, keys, &bi, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	if (c->json) {
		json_t *j = info_json(&bi, file);
		json_object_set_new(j, "batch_head", json_integer(bi.batches));
		ctl_print_json(j);
		return EX_OK;
	}
	print_size(bi.bytes, size, sizeof(size));
	printf("backed up %s node %s (batch log head %lld) to %s: %s, %u files, %s\n", bi.level,
	       bi.code, (long long)bi.batches, file, size, bi.files,
	       bi.keys ? "WITH the secret keys: keep it locked away"
		       : "without the secret keys (node.key, street.key): keep them safe apart,"
			 " or use --with-keys");
	return EX_OK;
}

int cmd_restore(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_info bi;
	char err[512], when[32] = "an unknown time", path[4096];
	int o;

	optind = 1;
	c->short_opts = "d";
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'd': c->dir = optarg; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc - 1 || !c->dir)
		return ctl_usage(c);
	const char *file = argv[optind];
	if (backup_restore(file, c->dir, &bi, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s", c->dir, ID_KEY_FILE);
	bool has_key = access(path, F_OK) == 0;
	snprintf(path, sizeof(path), "%s/%s", c->dir, ID_CERT_FILE);
	bool needs_key = !has_key && access(path, F_OK) == 0;
	if (c->json) {
		json_t *j = info_json(&bi, file);
		json_object_set_new(j, "dir", json_string(c->dir));
		json_object_set_new(j, "reclaim", json_boolean(bi.reclaim));
		json_object_set_new(j, "missing_key", json_boolean(needs_key));
		ctl_print_json(j);
		return EX_OK;
	}
	if (bi.made)
		ctl_format_time(bi.made, when, sizeof(when));
	printf("restored %s node %s from %s (made %s) into %s, %u files\n", bi.level, bi.code,
	       file, when, c->dir, bi.files);
	if (bi.reclaim)
		printf("next: start gridnode (or run gridctl sync): the parent sends back what this"
		       " node sent up after the backup; new records wait until then\n");
	if (needs_key)
		printf("note: the backup holds no node.key: copy node.key (and street.key) into %s"
		       " before starting gridnode, or enrol again\n", c->dir);
	return EX_OK;
}
