/* ctl_calendar.c - gridctl calendar show|set|add, limit list|set: the
 * working calendar (node/calendar.h) and time limits (node/limits.h). */
#include <stdio.h>
#include <string.h>
#include "ctl.h"
#include "../node/calendar.h"
#include "../node/limits.h"

static int load(struct ctl *c, struct calendar *cal)
{
	if (cal_load(c->st, cal)) {
		ctl_err(c, "%s (fix it with gridctl calendar set)", store_errmsg(c->st));
		return EX_FAIL;
	}
	return EX_OK;
}

static int show(struct ctl *c, const struct calendar *cal)
{
	char buf[64];
	json_t *j = c->json ? json_object() : NULL;
	for (size_t i = 0; cal_keys[i]; i++) {
		cal_format(cal, cal_keys[i], buf, sizeof(buf));
		if (j)
			json_object_set_new(j, cal_keys[i], json_string(buf));
		else
			printf("%-14s %s\n", cal_keys[i], buf);
	}
	if (j) {
		json_object_set_new(j, "workday_minutes", json_integer(cal_workday_minutes(cal)));
		ctl_print_json(j);
	}
	return EX_OK;
}

int cmd_calendar_show(struct ctl *c, int argc, char **argv)
{
	struct calendar cal;
	int rc = ctl_json_flag(c, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind != argc)
		return ctl_usage(c);
	rc = load(c, &cal);
	return rc ? rc : show(c, &cal);
}

int cmd_calendar_set(struct ctl *c, int argc, char **argv)
{
	struct calendar cal;
	char err[160];
	if (argc < 2)
		return ctl_usage(c);
	/* a broken stored setting must not stop the command that fixes it */
	if (cal_load(c->st, &cal))
		cal_default(&cal);
	for (int i = 1; i < argc; i++) {
		char key[32];
		const char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key)) {
			ctl_err(c, "'%s' is not KEY=VALUE", argv[i]);
			return EX_USAGE;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
		if (cal_set(&cal, key, eq + 1, err, sizeof(err))) {
			ctl_err(c, "%s", err);
			return EX_USAGE;
		}
	}
	if (!cal_valid(&cal, err, sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_USAGE;
	}
	if (cal_save(c->st, &cal)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	return show(c, &cal);
}

int cmd_calendar_add(struct ctl *c, int argc, char **argv)
{
	struct calendar cal;
	struct tlimit l;
	long long t;
	char buf[32];
	if (argc != 3)
		return ctl_usage(c);
	if (!ctl_parse_time(c, "TIME", argv[1], &t))
		return EX_USAGE;
	if (!tlimit_parse(argv[2], strlen(argv[2]), &l)) {
		ctl_err(c, "'%s' is not a duration (30wm, 4wh, 1wd, 2h, 10m, 3d)", argv[2]);
		return EX_USAGE;
	}
	int rc = load(c, &cal);
	if (rc)
		return rc;
	int64_t r = tlimit_add(&cal, t, &l);
	cal_iso(&cal, r, buf);
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "time", json_integer(r));
		json_object_set_new(j, "local", json_string(buf));
		ctl_print_json(j);
	} else {
		printf("%s\n", buf);
	}
	return EX_OK;
}

int cmd_limit_list(struct ctl *c, int argc, char **argv)
{
	static const char *const cols[] = { "stage", "category", "priority", "duration", "note",
					    NULL };
	int rc = ctl_json_flag(c, argc, argv);
	if (rc >= 0)
		return rc;
	if (optind != argc)
		return ctl_usage(c);
	return ctl_list_records(c, schema_table(T_TIME_LIMIT), NULL, 0, cols);
}

int cmd_limit_set(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stage", required_argument, NULL, 's' },
		{ "category", required_argument, NULL, 'c' },
		{ "priority", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "note", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const struct table_def *t = schema_table(T_TIME_LIMIT);
	const char *stage = NULL, *category = "*", *duration = NULL, *note = NULL;
	long long prio = 0;
	struct ctl_fields f = { 0 };
	struct tlimit l;
	char key[64];
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 's': stage = optarg; break;
		case 'c': category = optarg; break;
		case 'p':
			if (!ctl_parse_int(c, "--priority", optarg, 1, 5, &prio))
				return EX_USAGE;
			break;
		case 'd': duration = optarg; break;
		case 'n': note = optarg; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !stage || !duration)
		return ctl_usage(c);
	if (strcmp(stage, "dispatch") != 0 && strcmp(stage, "handle") != 0) {
		ctl_err(c, "--stage: '%s' is not dispatch or handle", stage);
		return EX_USAGE;
	}
	size_t cl = strlen(category);
	if (strcmp(category, "*") != 0 &&
	    ((cl != 2 && cl != 4) || strspn(category, "0123456789") != cl)) {
		ctl_err(c, "--category: '%s' is not *, a major class (01) or a class (0102)",
			category);
		return EX_USAGE;
	}
	if (!tlimit_parse(duration, strlen(duration), &l)) {
		ctl_err(c, "--duration: '%s' is not a duration (30wm, 4wh, 1wd, 2h, 10m, 3d)",
			duration);
		return EX_USAGE;
	}
	/* time limits are the city's: they sync down to every node */
	if (store_level(c->st) != LEVEL_CITY) {
		ctl_err(c, "time limits are set on the city node and sync down from there");
		return EX_FAIL;
	}
	/* the key names the rule, so setting it again replaces it (as in the CSV) */
	snprintf(key, sizeof(key), "%s%s%s", stage, strcmp(category, "*") ? "-" : "",
		 strcmp(category, "*") ? category : "");
	if (prio)
		snprintf(key + strlen(key), sizeof(key) - strlen(key), "-p%lld", prio);
	ctl_set(&f, t, "stage", gm_text(stage));
	ctl_set(&f, t, "category", gm_text(category));
	ctl_set(&f, t, "priority", prio ? gm_int(prio) : gm_nil());
	ctl_set(&f, t, "duration", gm_text(duration));
	if (note)
		ctl_set(&f, t, "note", gm_text(note));
	int rc = ctl_write(c, t, key, "", &f, NULL, W_UPSERT, false);
	if (rc == EX_OK)
		puts(key);
	return rc;
}
