/* refdata.c - reference CSVs into genesis rows. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "refdata.h"
#include "store_int.h"
#include "csvread.h"

#ifndef GM_DATADIR
#define GM_DATADIR "/usr/local/share/gridmesh"
#endif

/* keycol: the CSV column holding the record key; it is also stored in the
 * table column of the same name when there is one (rules keep their name). */
static const struct {
	const char *file;
	enum table_id table;
	const char *keycol;
} ref_files[] = {
	{ "gbt30428-events.csv", T_CAT_EVENT, "code" },
	{ "gbt30428-components.csv", T_CAT_COMPONENT, "code" },
	{ "classify-rules.csv", T_CLASSIFY_RULE, "name" },
	{ "dispatch-rules.csv", T_DISPATCH_RULE, "name" },
	{ "time-limits.csv", T_TIME_LIMIT, "code" },
	{ "device-thresholds.csv", T_DEVICE_THRESHOLD, "name" },
};

struct load {
	struct store *st;
	const struct table_def *tab;
	const char *keycol;
	int map[CSVREAD_MAX_FIELDS];   /* csv column -> table column, -1 skip */
	int keyfield;                  /* csv column of the key */
	struct store_rec rec;
	const char *path;
	unsigned rows;
	bool header_seen;
};

/* A CSV cell as a value of the column's type; empty is nil. */
static bool cell_value(const struct col_def *c, const char *s, size_t len, struct gm_value *v)
{
	char *end;
	if (!len) {
		*v = gm_nil();
		return true;
	}
	if (c->type == GM_TEXT) {
		*v = gm_textn(s, (uint32_t)len);
		return true;
	}
	errno = 0;
	if (c->type == GM_INT) {
		long long i = strtoll(s, &end, 10);
		*v = gm_int(i);
	} else {
		double d = strtod(s, &end);
		*v = gm_real(d);
	}
	return !errno && end == s + len;
}

static int on_row(void *ctx, unsigned n, char **f, size_t *lens, unsigned long line)
{
	struct load *l = ctx;
	/* rows whose first field starts with '#' are comments (file headers) */
	if (n && f[0][0] == '#')
		return 0;
	if (!l->header_seen) {
		l->header_seen = true;
		l->keyfield = -1;
		for (unsigned i = 0; i < n; i++) {
			l->map[i] = schema_col(l->tab, f[i], lens[i]);
			if (strcmp(f[i], l->keycol) == 0)
				l->keyfield = (int)i;
		}
		if (l->keyfield < 0) {
			store_fail(l->st, GM_E_MALFORMED, "%s: no '%s' column", l->path, l->keycol);
			return GM_E_MALFORMED;
		}
		return 0;
	}
	struct store_rec *r = &l->rec;
	r->tab = l->tab;
	r->rid = 0;
	r->key[0] = 0;
	r->scope[0] = 0;
	r->last = 0;
	memset(&r->del, 0, sizeof(r->del));
	rowclk_init(&r->rc, l->tab->ncols);
	for (unsigned j = 0; j < l->tab->ncols; j++)
		r->vals[j] = gm_nil();
	for (unsigned i = 0; i < n; i++) {
		if ((int)i == l->keyfield) {
			if (!lens[i] || lens[i] > BATCH_MAX_KEY) {
				store_fail(l->st, GM_E_MALFORMED, "%s:%lu: bad %s", l->path, line,
					   l->keycol);
				return GM_E_MALFORMED;
			}
			memcpy(r->key, f[i], lens[i] + 1);
		}
		if (l->map[i] >= 0 &&
		    !cell_value(&l->tab->cols[l->map[i]], f[i], lens[i], &r->vals[l->map[i]])) {
			store_fail(l->st, GM_E_MALFORMED, "%s:%lu: %s: '%s' is not a number", l->path,
				   line, l->tab->cols[l->map[i]].name, f[i]);
			return GM_E_MALFORMED;
		}
	}
	if (!r->key[0]) {
		store_fail(l->st, GM_E_MALFORMED, "%s:%lu: no %s", l->path, line, l->keycol);
		return GM_E_MALFORMED;
	}
	enum gm_err e = store_save(l->st, r);
	if (e) {
		store_fail(l->st, e, "%s:%lu: %s", l->path, line, store_errmsg(l->st));
		return e;
	}
	l->rows++;
	return 0;
}

enum gm_err refdata_load(struct store *st, const char *dir)
{
	char path[PATH_MAX], err[256];
	for (size_t i = 0; i < sizeof(ref_files) / sizeof(ref_files[0]); i++) {
		struct load l = { .st = st, .tab = schema_table(ref_files[i].table),
				  .keycol = ref_files[i].keycol, .path = path };
		snprintf(path, sizeof(path), "%s/%s", dir, ref_files[i].file);
		store_rec_init(&l.rec);
		int rc = csvread_file(path, on_row, &l, err, sizeof(err));
		store_rec_free(&l.rec);
		if (rc < 0)
			return store_fail(st, GM_E_IO, "reference data: %s", err);
		if (rc > 0)
			return (enum gm_err)rc;
		if (!l.rows)
			return store_fail(st, GM_E_MALFORMED, "%s: no rows", path);
	}
	return GM_OK;
}

static bool is_dir_with_refs(const char *dir)
{
	char p[PATH_MAX];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/%s", dir, ref_files[0].file);
	return stat(p, &sb) == 0;
}

const char *refdata_default_dir(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("GRIDMESH_DATA");
	if (env && *env)
		return env;
	if (is_dir_with_refs(GM_DATADIR))
		return GM_DATADIR;
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 16);
	if (n > 0) {
		buf[n] = 0;
		char *slash = strrchr(buf, '/');
		if (slash) {
			snprintf(slash, sizeof(buf) - (size_t)(slash - buf), "/../data");
			if (is_dir_with_refs(buf))
				return buf;
		}
	}
	return GM_DATADIR;
}
