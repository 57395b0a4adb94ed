/* ctl_threshold.c - gridctl threshold list|set: what device readings mean. */
#include <stdio.h>
#include <string.h>
#include "ctl.h"
#include "../node/thrstore.h"
#include "../node/tickets.h"

int cmd_threshold_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "class", "quantity", "op", "value", "clear", "unit",
					    "hold_s", "hours", "event", "state", "enabled", NULL };
	const struct table_def *t = schema_table(T_DEVICE_THRESHOLD);
	struct store_filter f;
	unsigned nf = 0;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'c':
			f.col = schema_col(t, "class", 5);
			f.v = gm_text(optarg);
			nf = 1;
			break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(c);
	return ctl_list_records(c, t, &f, nf, cols);
}

int cmd_threshold_set(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "quantity", required_argument, NULL, 'q' },
		{ "op", required_argument, NULL, 'o' },
		{ "value", required_argument, NULL, 'v' },
		{ "clear", required_argument, NULL, 'C' },
		{ "unit", required_argument, NULL, 'u' },
		{ "min", required_argument, NULL, 'm' },
		{ "max", required_argument, NULL, 'M' },
		{ "hold", required_argument, NULL, 'h' },
		{ "hours", required_argument, NULL, 'H' },
		{ "event", required_argument, NULL, 'e' },
		{ "state", required_argument, NULL, 's' },
		{ "priority", required_argument, NULL, 'p' },
		{ "enable", no_argument, NULL, 'E' },
		{ "disable", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const struct table_def *t = schema_table(T_DEVICE_THRESHOLD);
	struct ctl_fields f = { 0 };
	char key[BATCH_MAX_KEY + 1];
	double d;
	long long n;
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		const char *col = NULL;
		switch (o) {
		case 'c': ctl_set(&f, t, "class", gm_text(optarg)); break;
		case 'q': ctl_set(&f, t, "quantity", gm_text(optarg)); break;
		case 'o': ctl_set(&f, t, "op", gm_text(optarg)); break;
		case 'u': ctl_set(&f, t, "unit", gm_text(optarg)); break;
		case 'H': ctl_set(&f, t, "hours", gm_text(optarg)); break;
		case 'e': ctl_set(&f, t, "event", gm_text(optarg)); break;
		case 's':
			if (!asset_state_valid(optarg)) {
				ctl_err(c, "--state: '%s' is not an asset state", optarg);
				return EX_USAGE;
			}
			ctl_set(&f, t, "state", gm_text(optarg));
			break;
		case 'v': col = "value"; break;
		case 'C': col = "clear"; break;
		case 'm': col = "min"; break;
		case 'M': col = "max"; break;
		case 'h':
			if (!ctl_parse_int(c, "--hold", optarg, 0, 7 * 86400, &n))
				return EX_USAGE;
			ctl_set(&f, t, "hold_s", gm_int(n));
			break;
		case 'p':
			if (!ctl_parse_int(c, "--priority", optarg, 1, 5, &n))
				return EX_USAGE;
			ctl_set(&f, t, "priority", gm_int(n));
			break;
		case 'E': ctl_set(&f, t, "enabled", gm_int(1)); break;
		case 'D': ctl_set(&f, t, "enabled", gm_int(0)); break;
		default: return EX_USAGE;
		}
		if (col) {
			char opt[16];
			snprintf(opt, sizeof(opt), "--%s", col);
			if (!ctl_parse_double(c, opt, optarg, -1e15, 1e15, &d))
				return EX_USAGE;
			ctl_set(&f, t, col, gm_real(d));
		}
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	if (thrstore_put(c->st, argv[optind], f.n, f.cols, f.vals, c->actor, key, sizeof(key))) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	fprintf(stderr, "gridctl %s: %s written; it holds here and below from the next sync\n",
		c->cmd, key);
	return EX_OK;
}
