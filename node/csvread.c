/* csvread.c - CSV rows through libcsv. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "csvread.h"

struct rd {
	csvread_row_fn fn;
	void *ctx;
	char *fields[CSVREAD_MAX_FIELDS];
	size_t lens[CSVREAD_MAX_FIELDS];
	unsigned n;
	unsigned long line;      /* physical line the current row started on */
	unsigned long rows;
	int stop;
	int toowide;
};

static void on_field(void *s, size_t len, void *data)
{
	struct rd *r = data;
	if (r->stop)
		return;
	if (r->n >= CSVREAD_MAX_FIELDS) {
		r->toowide = 1;
		return;
	}
	char *p = malloc(len + 1);
	if (!p) {
		r->stop = -1;
		return;
	}
	if (len)
		memcpy(p, s, len);
	p[len] = 0;
	r->fields[r->n] = p;
	r->lens[r->n++] = len;
}

static void on_row(int c, void *data)
{
	struct rd *r = data;
	(void)c;
	r->rows++;
	if (!r->stop && r->toowide)
		r->stop = -2;
	if (!r->stop)
		r->stop = r->fn(r->ctx, r->n, r->fields, r->lens, r->rows);
	for (unsigned i = 0; i < r->n; i++)
		free(r->fields[i]);
	r->n = 0;
	r->toowide = 0;
}

int csvread_file(const char *path, csvread_row_fn fn, void *ctx, char *err, size_t errlen)
{
	struct csv_parser p;
	struct rd r = { .fn = fn, .ctx = ctx };
	char buf[65536];
	size_t n;
	int ret = 0;
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (csv_init(&p, CSV_APPEND_NULL) != 0) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (!r.stop && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (csv_parse(&p, buf, n, on_field, on_row, &r) != n) {
			snprintf(err, errlen, "%s: row %lu: %s", path, r.rows + 1,
				 csv_strerror(csv_error(&p)));
			ret = -1;
			goto out_close;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		ret = -1;
		goto out_close;
	}
	if (!r.stop)
		csv_fini(&p, on_field, on_row, &r);
	if (r.stop == -2) {
		snprintf(err, errlen, "%s: row %lu has more than %d fields", path, r.rows,
			 CSVREAD_MAX_FIELDS);
		ret = -1;
	} else if (r.stop == -1) {
		snprintf(err, errlen, "out of memory");
		ret = -1;
	} else {
		ret = r.stop;
	}
out_close:
	for (unsigned i = 0; i < r.n; i++)
		free(r.fields[i]);
	csv_free(&p);
	fclose(f);
	return ret;
}
