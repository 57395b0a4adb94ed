/* ctl_init.c - gridctl init: a new node directory. */
#include <stdio.h>
#include <string.h>
#include "ctl.h"
#include "../node/refdata.h"

/* coap://HOST:PORT or coaps://HOST:PORT; the daemon parses it properly */
static bool uri_ok(const char *u)
{
	return strncmp(u, "coap://", 7) == 0 || strncmp(u, "coaps://", 8) == 0;
}

int cmd_init(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "level", required_argument, NULL, 'l' },
		{ "code", required_argument, NULL, 'c' },
		{ "parent", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'L' },
		{ "ref", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *level = NULL, *code = NULL, *parent = NULL, *listen = NULL;
	const char *ref = NULL;
	char err[512];
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'l': level = optarg; break;
		case 'c': code = optarg; break;
		case 'p': parent = optarg; break;
		case 'L': listen = optarg; break;
		case 'r': ref = optarg; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !level || !code || !c->dir)
		return ctl_usage(c);
	enum level lv = level_from_name(level);
	if (lv == LEVEL_NONE) {
		ctl_err(c, "--level: '%s' is not city, district, street or grid", level);
		return EX_USAGE;
	}
	if (code_level(code, strlen(code)) != lv) {
		ctl_err(c, "--code: a %s code has %u digits, '%s' does not fit", level,
			level_code_len(lv), code);
		return EX_USAGE;
	}
	if ((parent && !uri_ok(parent)) || (listen && !uri_ok(listen))) {
		ctl_err(c, "--parent and --listen take coap://HOST:PORT");
		return EX_USAGE;
	}
	enum gm_err e = store_create(c->dir, lv, code, ref ? ref : refdata_default_dir(), &c->st,
				     err, sizeof(err));
	if (e) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	if ((parent && store_meta_set(c->st, "parent", parent)) ||
	    (listen && store_meta_set(c->st, "listen", listen))) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	if (lv != LEVEL_CITY && !parent)
		fprintf(stderr, "gridctl init: note: no --parent; this node will not sync until"
				" one is set in gridnode.conf\n");
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "dir", json_string(c->dir));
		json_object_set_new(j, "level", json_string(level));
		json_object_set_new(j, "code", json_string(code));
		ctl_print_json(j);
	} else {
		printf("initialised %s node %s in %s\n", level, code, c->dir);
	}
	return EX_OK;
}
