/* ctl_io.c - gridctl export-open311|export-geojson|export-csv,
 * import-open311|import-csv (tickets to and from other systems) and
 * dashboard (the command centre's page). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ctl.h"
#include "../node/calendar.h"
#include "../node/dashboard.h"
#include "../node/export.h"
#include "../node/la311.h"
#include "../node/open311.h"

/* An output: stdout, or a temporary file renamed over FILE when whole. */
struct out {
	FILE *f;
	const char *path;
	char tmp[4096];
};

static int out_open(struct ctl *c, struct out *o, const char *path)
{
	o->path = path && strcmp(path, "-") ? path : NULL;
	if (!o->path) {
		o->f = stdout;
		return EX_OK;
	}
	snprintf(o->tmp, sizeof(o->tmp), "%s.tmp%ld", path, (long)getpid());
	o->f = fopen(o->tmp, "w");
	if (!o->f) {
		ctl_err(c, "cannot write %s: %s", path, strerror(errno));
		return EX_FAIL;
	}
	return EX_OK;
}

/* Finishes the output; ok = false throws a file away. */
static int out_close(struct ctl *c, struct out *o, bool ok)
{
	if (!o->path) {
		if (fflush(stdout) != 0 && ok) {
			ctl_err(c, "writing the output: %s", strerror(errno));
			return EX_FAIL;
		}
		return ok ? EX_OK : EX_FAIL;
	}
	bool good = ok && fflush(o->f) == 0 && fsync(fileno(o->f)) == 0;
	int err = errno;
	good = fclose(o->f) == 0 && good;
	if (good && rename(o->tmp, o->path) != 0) {
		err = errno;
		good = false;
	}
	if (!good) {
		unlink(o->tmp);
		if (ok)
			ctl_err(c, "cannot write %s: %s", o->path, strerror(err));
		return EX_FAIL;
	}
	return EX_OK;
}

static const struct option out_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "now", required_argument, NULL, 'n' },
	{ "tickets", no_argument, NULL, 't' },
	{ "assets", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

/* -o FILE, --now TIME and, for GeoJSON, --tickets / --assets. */
static int out_args(struct ctl *c, int argc, char **argv, const char **file, long long *now,
		    unsigned *what, bool geo)
{
	int o;
	optind = 1;
	c->short_opts = "o";
	*what = 0;
	while ((o = ctl_getopt(c, argc, argv, out_opts)) != -1) {
		switch (o) {
		case 'o': *file = optarg; break;
		case 'n':
			if (!now || !ctl_parse_time(c, "--now", optarg, now))
				return now ? EX_USAGE : ctl_usage(c);
			break;
		case 't':
		case 'a':
			if (!geo)
				return ctl_usage(c);
			*what |= o == 't' ? EXPORT_TICKETS : EXPORT_ASSETS;
			break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(c);
	if (!*what)
		*what = EXPORT_TICKETS | EXPORT_ASSETS;
	return -1;
}

int cmd_export_open311(struct ctl *c, int argc, char **argv)
{
	const char *file = NULL;
	unsigned what;
	struct o311_stats s;
	struct out o;
	int rc = out_args(c, argc, argv, &file, NULL, &what, false);
	if (rc >= 0)
		return rc;
	if ((rc = out_open(c, &o, file)))
		return rc;
	enum gm_err e = open311_export(c->st, o.f, &s);
	if (e)
		ctl_err(c, "%s", e == GM_E_IO ? "write failed" : store_errmsg(c->st));
	if ((rc = out_close(c, &o, !e)))
		return rc;
	if (file)
		fprintf(stderr, "wrote %u services and %u requests to %s\n", s.services, s.requests,
			file);
	return EX_OK;
}

static int export_common(struct ctl *c, int argc, char **argv, bool geo)
{
	const char *file = NULL;
	long long now = 0;
	unsigned what;
	struct export_stats s;
	struct out o;
	int rc = out_args(c, argc, argv, &file, &now, &what, geo);
	if (rc >= 0)
		return rc;
	if ((rc = out_open(c, &o, file)))
		return rc;
	enum gm_err e = geo ? export_geojson(c->st, o.f, what, now, &s) :
			      export_csv(c->st, o.f, now, &s);
	if (e)
		ctl_err(c, "%s", e == GM_E_IO ? "write failed" : store_errmsg(c->st));
	if ((rc = out_close(c, &o, !e)))
		return rc;
	if (file && geo)
		fprintf(stderr, "wrote %u tickets and %u assets to %s (%u without a location left"
			" out)\n", s.tickets, s.assets, file, s.unlocated);
	else if (file)
		fprintf(stderr, "wrote %u tickets to %s\n", s.tickets, file);
	return EX_OK;
}

int cmd_export_geojson(struct ctl *c, int argc, char **argv)
{
	return export_common(c, argc, argv, true);
}

int cmd_export_csv(struct ctl *c, int argc, char **argv)
{
	return export_common(c, argc, argv, false);
}

/* Refusal messages: the first 50 in full, then only counted. */
struct msgs {
	unsigned n;
};

static void on_msg(void *ctx, const char *msg)
{
	struct msgs *m = ctx;
	if (m->n++ < 50)
		fprintf(stderr, "%s\n", msg);
}

static int import_report(struct ctl *c, const char *what, unsigned read, unsigned created,
			 unsigned updated, unsigned unchanged, unsigned refused,
			 const struct msgs *m)
{
	if (m->n > 50)
		fprintf(stderr, "(%u more refusals not shown)\n", m->n - 50);
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, what, json_integer(read));
		json_object_set_new(j, "created", json_integer(created));
		json_object_set_new(j, "updated", json_integer(updated));
		json_object_set_new(j, "unchanged", json_integer(unchanged));
		json_object_set_new(j, "refused", json_integer(refused));
		ctl_print_json(j);
	} else {
		printf("%u %s: %u new, %u updated, %u unchanged, %u refused\n", read, what, created,
		       updated, unchanged, refused);
	}
	/* some records did not go in: say so to scripts too */
	return refused ? EX_FAIL : EX_OK;
}

int cmd_import_open311(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = "O311";
	struct o311_stats s;
	struct msgs m = { 0 };
	char err[512];
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o != 'p')
			return EX_USAGE;
		prefix = optarg;
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	size_t pl = strlen(prefix);
	if (!pl || pl > 16 || strspn(prefix, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789") != pl) {
		ctl_err(c, "--prefix: '%s' is not 1 to 16 letters and digits", prefix);
		return EX_USAGE;
	}
	enum gm_err e = open311_import(c->st, argv[optind], prefix, on_msg, &m, &s, err,
				       sizeof(err));
	if (e) {
		ctl_err(c, "%s", err);
		if (e != GM_E_MALFORMED)
			import_report(c, "requests", s.requests, s.created, s.updated, s.unchanged,
				      s.refused, &m);
		return EX_FAIL;
	}
	return import_report(c, "requests", s.requests, s.created, s.updated, s.unchanged,
			     s.refused, &m);
}

int cmd_import_csv(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "utc-offset", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct calendar cal;
	struct la311_stats s;
	struct msgs m = { 0 };
	char err[512];
	const char *offset = NULL;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o != 'u')
			return EX_USAGE;
		offset = optarg;
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	/* the file's times are local: at the given offset, else the node's */
	if (cal_load(c->st, &cal)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	if (offset && cal_set(&cal, "utc_offset", offset, err, sizeof(err))) {
		ctl_err(c, "--utc-offset: %s", err);
		return EX_USAGE;
	}
	enum gm_err e = la311_import(c->st, argv[optind], cal.utc_offset, on_msg, &m, &s, err,
				     sizeof(err));
	if (e) {
		ctl_err(c, "%s", err);
		import_report(c, "rows", s.rows, s.created, s.updated, s.unchanged, s.refused, &m);
		return EX_FAIL;
	}
	return import_report(c, "rows", s.rows, s.created, s.updated, s.unchanged, s.refused, &m);
}

int cmd_dashboard(struct ctl *c, int argc, char **argv)
{
	const char *file = NULL;
	long long now = 0;
	unsigned what;
	struct out o;
	int rc = out_args(c, argc, argv, &file, &now, &what, false);
	if (rc >= 0)
		return rc;
	if ((rc = out_open(c, &o, file)))
		return rc;
	enum gm_err e = dashboard_write(c->st, o.f, now);
	if (e)
		ctl_err(c, "%s", store_errmsg(c->st));
	if ((rc = out_close(c, &o, !e)))
		return rc;
	if (file)
		fprintf(stderr, "wrote %s\n", file);
	return EX_OK;
}
