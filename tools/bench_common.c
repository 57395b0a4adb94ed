/* bench_common.c - benchmark helpers. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "bench_common.h"
#include "../node/csvread.h"
#include "../node/la311.h"
#include "../node/store.h"
#include "../node/tickets.h"

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * LA request types onto GB/T 30428 event classes: the ground truth of the
 * classification evaluation, decided from what each type means, not from
 * what the classifier does.
 *   Bulky Items, Metal/Household Appliances, Electronic Waste: discarded
 *     furniture and equipment (0108 废弃家具设备);
 *   Illegal Dumping Pickup: dumped piles (0103 积存垃圾渣土, which covers
 *     乱倒), not rubbish escaping its bins (0102 暴露垃圾);
 *   Graffiti Removal: dirty building facades (0113 建筑物外立面不洁);
 *   Homeless Encampment: 0502 流浪乞讨; Dead Animal Removal: 0117;
 *   Streetlight issues: street lights are components (部件 0118), not
 *     events; the nearest event class is 0408 架空线缆损坏 (overhead
 *     lines and their poles);
 *   Report Water Waste: water running to waste from pipes, hydrants and
 *     sprinklers (0402 自来水管破裂);
 *   Other: no class (NULL).
 */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

int bench_sibling(const char *name, char *out, size_t len)
{
	char self[1024];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(out, len, "%s/%s", self, name);
	return access(out, X_OK);
}

struct wl {
	struct bench_ticket *t;
	unsigned n, max;
	const char *code;
};

static int row(void *ctx, unsigned n, char **f, size_t *lens, unsigned long line)
{
	struct wl *w = ctx;
	(void)lens;
	if (line == 1 || n < 17)
		return 0;
	if (w->n == w->max)
		return 1;
	struct bench_ticket *t = &w->t[w->n];
	snprintf(t->id, sizeof(t->id), "%s-%06u", w->code, w->n + 1);
	const char *cat = la311_category(f[1]);
	snprintf(t->category, sizeof(t->category), "%s", cat ? cat : "0104");
	snprintf(t->title, sizeof(t->title), "%s at %s", f[1], f[16]);
	snprintf(t->status, sizeof(t->status), "%s",
		 strcmp(f[2], "Closed") == 0 ? "closed" : "registered");
	t->priority = 1 + (int)(w->n % 5);
	snprintf(t->assignee, sizeof(t->assignee), "%s", f[9]);
	w->n++;
	return 0;
}

int bench_workload(const char *datadir, unsigned n, const char *code, struct bench_ticket **out)
{
	char path[1024], err[256];
	struct wl w = { .n = 0, .max = n, .code = code };
	w.t = calloc(n, sizeof(*w.t));
	if (!w.t)
		return -1;
	snprintf(path, sizeof(path), "%s/la311-2020-01-requests.csv", datadir);
	if (csvread_file(path, row, &w, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: %s\n", err);
		free(w.t);
		return -1;
	}
	/* fewer rows than asked: cycle them with new ids */
	for (unsigned i = w.n; i < n && w.n; i++) {
		w.t[i] = w.t[i % w.n];
		snprintf(w.t[i].id, sizeof(w.t[i].id), "%s-%06u", code, i + 1);
	}
	*out = w.t;
	return w.n ? 0 : -1;
}

enum gm_err bench_put_ticket(struct store *st, const struct bench_ticket *t, const char *id)
{
	const struct table_def *tab = schema_table(T_TICKET);
	static int cols[5] = { -1 };
	if (cols[0] < 0) {
		cols[0] = schema_col(tab, "category", 8);
		cols[1] = schema_col(tab, "title", 5);
		cols[2] = schema_col(tab, "status", 6);
		cols[3] = schema_col(tab, "priority", 8);
		cols[4] = schema_col(tab, "assignee", 8);
	}
	uint8_t c[5] = { (uint8_t)cols[0], (uint8_t)cols[1], (uint8_t)cols[2], (uint8_t)cols[3],
			 (uint8_t)cols[4] };
	struct gm_value v[5] = { gm_text(t->category), gm_text(t->title), gm_text(t->status),
				 gm_int(t->priority), gm_text(t->assignee) };
	struct store_write w = { .tab = tab, .key = id, .nset = 5, .cols = c, .vals = v,
				 .actor = "bench", .mode = W_CREATE };
	return store_put(st, &w, NULL);
}

int bench_add_tickets(struct store *st, const struct bench_ticket *t, unsigned n,
		      long long *first)
{
	char id[40];
	long long base;
	if (store_begin(st))
		goto out_fail;
	base = store_meta_int(st, "seq:ticket", 0);
	for (unsigned i = 0; i < n; i++) {
		ticket_id_format(id, sizeof(id), store_code(st), base + i + 1);
		if (bench_put_ticket(st, &t[i], id))
			goto out_rollback;
	}
	if (store_meta_set_int(st, "seq:ticket", base + n) || store_commit(st))
		goto out_rollback;
	if (first)
		*first = base + 1;
	return 0;
out_rollback:
	store_rollback(st);
out_fail:
	fprintf(stderr, "bench: adding tickets to %s: %s\n", store_code(st), store_errmsg(st));
	return -1;
}

static void put(const char *path, const char *key, json_t *v)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		root = json_object();
	}
	json_object_set_new(root, key, v);
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6)) == 0)
		rename(tmp, path);
	json_decref(root);
}

void bench_result(const char *path, const char *key, double value)
{
	put(path, key, json_real(value));
}

void bench_report(const char *path, const char *key, double v, const char *unit,
		  const char *target)
{
	printf("  %-26s %14.3f %-8s %s\n", key, v, unit, target);
	fflush(stdout);
	bench_result(path, key, v);
}

void bench_result_bool(const char *path, const char *key, int value)
{
	put(path, key, json_boolean(value));
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void bench_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int bench_plain_coap(const char *dir, const char *extra)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/gridnode.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f || fprintf(f, "[security]\ninsecure = true\n%s", extra ? extra : "") < 0) {
		fprintf(stderr, "gridbench: cannot write %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}
