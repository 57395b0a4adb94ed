/*
 * gridctl - the grid worker's and operator's command line.
 *
 * Works directly on a node directory (no daemon needed), so a grid worker
 * can register residents and tickets offline and sync later.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include "ctl.h"
#include "../node/log.h"
#include "../node/identity.h"

#ifndef GM_VERSION
#define GM_VERSION "0.1"
#endif

static const struct ctl_cmd cmds[] = {
	{ "init", NULL, cmd_init,
	  "--level city|district|street|grid --code CODE [--parent coap://HOST:PORT]"
	  " [--listen coap://HOST:PORT] [--ref DIR]", false },
	{ "ticket", "add", cmd_ticket_add,
	  "[--category CODE] --title TEXT [--desc TEXT] [--lat X --lon Y] [--address A]"
	  " [--priority 1-5] [--source S] [--assignee A] [--deadline TIME] [--scope CODE]"
	  " [--reporter NAME] [--phone P]", true },
	{ "ticket", "update", cmd_ticket_update,
	  "ID [--status S] [--assignee A] [--priority N] [--category CODE] [--title T]"
	  " [--desc D] [--deadline TIME] [--note TEXT] [--no-dispatch]", true },
	{ "ticket", "comment", cmd_ticket_comment, "ID TEXT", true },
	{ "ticket", "dispatch", cmd_ticket_dispatch, "ID [--dry-run] [--json]", true },
	{ "ticket", "show", cmd_ticket_show, "ID [--json]", true },
	{ "ticket", "attach", cmd_ticket_attach, "ID FILE [--mime TYPE]", true },
	{ "ticket", "fetch", cmd_ticket_fetch, "ID [--out DIR]", true },
	{ "ticket", "list", cmd_ticket_list,
	  "[--status S] [--category CODE] [--scope CODE] [--json]", true },
	{ "resident", "add", cmd_resident_add,
	  "--name N [--household ID] [--sex M|F] [--birth-year Y] [--id-card X] [--phone P]"
	  " [--address A] [--tags T1,T2] [--note TEXT] [--scope CODE]", true },
	{ "resident", "update", cmd_resident_update,
	  "ID [--name N] [--household ID] [--sex M|F] [--birth-year Y] [--id-card X]"
	  " [--phone P] [--address A] [--tags T] [--note TEXT]", true },
	{ "resident", "show", cmd_resident_show, "ID [--json]", true },
	{ "resident", "list", cmd_resident_list, "[--household ID] [--json]", true },
	{ "resident", "erase", cmd_resident_erase, "ID", true },
	{ "household", "add", cmd_household_add,
	  "--address A [--head NAME] [--note TEXT] [--scope CODE]", true },
	{ "household", "list", cmd_household_list, "[--json]", true },
	{ "view", NULL, cmd_view,
	  "tickets|assets|kpi|overdue [--by DIM[,DIM..]] [--status open|closed|S] [--overdue]"
	  " [--scope CODE] [--category CODE] [--now TIME] [--limit N] [--json]", true },
	{ "calendar", "show", cmd_calendar_show, "[--json]", true },
	{ "calendar", "set", cmd_calendar_set,
	  "KEY=VALUE... (workday_start=08:30 workday_end=17:30 workdays=1-5 utc_offset=+08:00)",
	  true },
	{ "calendar", "add", cmd_calendar_add, "TIME DURATION (e.g. 4wh, 1wd, 30wm, 2h)", true },
	{ "limit", "list", cmd_limit_list, "[--json]", true },
	{ "limit", "set", cmd_limit_set,
	  "--stage dispatch|handle [--category *|01|0102] [--priority 1-5] --duration D"
	  " [--note TEXT]", true },
	{ "export-open311", NULL, cmd_export_open311, "[-o FILE]", true },
	{ "import-open311", NULL, cmd_import_open311, "FILE [--prefix P]", true },
	{ "import-csv", NULL, cmd_import_csv, "FILE (a MyLA311 export) [--utc-offset -08:00]",
	  true },
	{ "export-geojson", NULL, cmd_export_geojson, "[-o FILE] [--tickets] [--assets] [--now TIME]",
	  true },
	{ "export-csv", NULL, cmd_export_csv, "[-o FILE] [--now TIME]", true },
	{ "dashboard", NULL, cmd_dashboard, "[-o FILE.html] [--now TIME]", true },
	{ "asset", "add", cmd_asset_add,
	  "--code CODE [--id ID] [--name N] [--lat X --lon Y] [--address A] [--state S]"
	  " [--attrs JSON] [--scope CODE]", true },
	{ "asset", "update", cmd_asset_update,
	  "ID [--state S] [--inspected TIME] [--name N] [--attrs JSON] [--note TEXT]", true },
	{ "asset", "show", cmd_asset_show, "ID [--json]", true },
	{ "asset", "list", cmd_asset_list, "[--code CODE] [--state S] [--json]", true },
	{ "asset", "delete", cmd_asset_delete, "ID", true },
	{ "device", "add", cmd_device_add, "--asset ID [--kind light|water|bin|camera] [--json]",
	  true },
	{ "device", "list", cmd_device_list, "[--json]", true },
	{ "device", "show", cmd_device_show, "ID [--json]", true },
	{ "device", "revoke", cmd_device_revoke, "ID", true },
	{ "threshold", "list", cmd_threshold_list, "[--class CODE] [--json]", true },
	{ "threshold", "set", cmd_threshold_set,
	  "NAME [--class CODE|MAJOR|'*'] [--quantity Q] [--op '>'|'>='|'<'|'<='|'='|'!=']"
	  " [--value V] [--clear V] [--unit U] [--min V] [--max V] [--hold S] [--hours H-H]"
	  " [--event CODE] [--state S] [--priority 1-5] [--enable|--disable]", true },
	{ "category", "list", cmd_category_list, "[--component] [--json]", true },
	{ "classify", NULL, cmd_classify, "TEXT [--scope CODE] [--top N] [--json]", true },
	{ "rule", "add", cmd_rule_add,
	  "classify --name N [--class CODE] [--lang zh|en] [--phrases 'a|b|c+d'] [--weight W]"
	  " | dispatch --name N [--class CODE|MAJOR|'*'] [--area CODE] [--priority 1-5]"
	  " [--assignee A] [--hours H]", true },
	{ "rule", "list", cmd_rule_list, "classify|dispatch [--all] [--at CODE] [--json]", true },
	{ "rule", "disable", cmd_rule_disable, "classify|dispatch NAME", true },
	{ "rule", "enable", cmd_rule_enable, "classify|dispatch NAME", true },
	{ "rules", "check", cmd_rules_check, "[--json]", true },
	{ "export", NULL, cmd_export, "[--since CURSOR] [--for CODE] -o FILE", true },
	{ "import", NULL, cmd_import, "FILE...", true },
	{ "digest", NULL, cmd_digest, "[--scope CODE] [--shared]", true },
	{ "seal", NULL, cmd_seal, "", true },
	{ "sync", NULL, cmd_sync, "[--once] [--timeout S]", true },
	{ "keygen", NULL, cmd_keygen, "", true },
	{ "enrol", "self", cmd_enrol_self, "[--days N]   (a city certifies itself)", true },
	{ "enrol", "request", cmd_enrol_request, "-o FILE   (a child asks its parent)", true },
	{ "enrol", "sign", cmd_enrol_sign, "REQUEST -o PACKAGE [--days N]   (the parent)", true },
	{ "enrol", "install", cmd_enrol_install, "PACKAGE   (the child)", true },
	{ "enrol", "child", cmd_enrol_child, "CHILD_DIR [--days N]   (both on this machine)",
	  true },
	{ "revoke", NULL, cmd_revoke, "CODE [--key HEX] [--from TIME] [--reason TEXT]", true },
	{ "certs", NULL, cmd_certs, "[--json]", true },
	{ "status", NULL, cmd_status, "[--json]", true },
	{ "backup", NULL, cmd_backup, "-o FILE [--with-keys]   (online, while gridnode runs)",
	  true },
	{ "restore", NULL, cmd_restore, "FILE [-d NEWDIR]   (into a directory without a store)",
	  false },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: gridctl -d DIR [--json] [--actor NAME] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s%s%s %s\n", cmds[i].group, cmds[i].name ? " " : "",
			cmds[i].name ? cmds[i].name : "", cmds[i].usage);
	fprintf(f, "\nTIME is 'now', unix seconds, YYYY-MM-DD or 'YYYY-MM-DD HH:MM'.\n"
		   "The node directory may also come from $GRIDMESH_DIR.\n");
}

static const struct ctl_cmd *current;

const char *ctl_usage_text(void)
{
	static char buf[512];
	if (!current)
		return "gridctl -d DIR COMMAND [ARGS]";
	snprintf(buf, sizeof(buf), "gridctl -d DIR %s%s%s %s", current->group,
		 current->name ? " " : "", current->name ? current->name : "", current->usage);
	return buf;
}

int ctl_usage(struct ctl *c)
{
	if (!c->said)
		fprintf(stderr, "usage: %s\n", ctl_usage_text());
	return EX_USAGE;
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	int i = 1;

	/* gridctl reports errors itself, one line each: the modules' logs are noise */
	log_set_level(LL_ERR);
	c.dir = getenv("GRIDMESH_DIR");
	c.actor = getenv("GRIDMESH_ACTOR");
	if (!c.actor)
		c.actor = getenv("USER");
	if (!c.actor) {
		struct passwd *pw = getpwuid(getuid());
		c.actor = pw ? pw->pw_name : "unknown";
	}
	/* global options come before the command */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
			c.dir = argv[++i];
		} else if (strncmp(argv[i], "--dir=", 6) == 0) {
			c.dir = argv[i] + 6;
		} else if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
		} else if (strcmp(argv[i], "--actor") == 0 && i + 1 < argc) {
			c.actor = argv[++i];
		} else if (strcmp(argv[i], "-v") == 0) {
			log_set_level(LL_INFO);
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EX_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("gridctl %s\n", GM_VERSION);
			return EX_OK;
		} else if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--actor") == 0) {
			fprintf(stderr, "gridctl: %s needs a value\n", argv[i]);
			return EX_USAGE;
		} else {
			fprintf(stderr, "gridctl: unknown option %s (gridctl --help lists them)\n",
				argv[i]);
			return EX_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: gridctl -d DIR [--json] [--actor NAME] COMMAND [ARGS]"
				" (gridctl --help lists the commands)\n");
		return EX_USAGE;
	}
	const char *group = argv[i++];
	const char *name = i < argc ? argv[i] : NULL;
	bool group_known = false;
	for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
		if (strcmp(cmds[k].group, group) != 0)
			continue;
		group_known = true;
		if (cmds[k].name && (!name || strcmp(cmds[k].name, name) != 0))
			continue;
		current = &cmds[k];
		break;
	}
	if (!current) {
		if (group_known)
			fprintf(stderr, "gridctl: %s needs a subcommand%s%s\n", group,
				name ? ", not " : "", name ? name : "");
		else
			fprintf(stderr, "gridctl: unknown command '%s' (gridctl --help lists them)\n",
				group);
		return EX_USAGE;
	}
	if (current->name)
		i++;
	char cmdname[64];
	snprintf(cmdname, sizeof(cmdname), "%s%s%s", current->group, current->name ? " " : "",
		 current->name ? current->name : "");
	c.cmd = cmdname;
	if (current->needs_store) {
		if (!c.dir) {
			fprintf(stderr, "gridctl %s: no node directory (use -d DIR)\n", cmdname);
			return EX_USAGE;
		}
		char err[512];
		enum gm_err e = store_open(c.dir, &c.st, err, sizeof(err));
		if (!e)
			e = identity_load(c.dir, &c.id, err, sizeof(err));
		if (e) {
			fprintf(stderr, "gridctl %s: %s\n", cmdname, err);
			store_close(c.st);
			return EX_FAIL;
		}
		/* enrolled: what we seal is signed, what we import must verify */
		identity_attach(c.id, c.st);
	}
	/* handlers see their own arguments with argv[0] = command name */
	int rc = current->fn(&c, argc - i + 1, argv + i - 1);
	store_close(c.st);
	identity_free(c.id);
	return rc;
}
