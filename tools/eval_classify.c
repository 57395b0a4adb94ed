/*
 * grideval - accuracy of the ticket classifier on real requests.
 *
 *   grideval [--data DIR] [--work DIR] [--out results.json] [--errors N]
 *
 * Takes the 10,000 MyLA311 requests of data/la311-2020-01-requests.csv,
 * maps each request type onto a GB/T 30428 event class (la311_category:
 * the ground truth, decided from the types' meaning), and classifies each
 * request from its type text and address alone, with the rules a freshly
 * initialised node holds (the shipped defaults).  A request counts as
 * right when the verdict is clear and names its class; a request of type
 * "Other" has no class and counts as right when the classifier does not
 * claim one.  Also measured: the type text alone, the address alone (a
 * clear class from an address is noise) and top-1 regardless of verdict.
 *
 * Prints a table per type and writes classify_accuracy (overall),
 * classify_accuracy_mapped (types with a class), per type
 * classify_accuracy_<type>, classify_top1_mapped, classify_wrong_clear,
 * classify_accuracy_type_only and classify_address_false_clear into
 * results.json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bench_common.h"
#include "../node/csvread.h"
#include "../node/la311.h"
#include "../node/refdata.h"
#include "../node/rules.h"

#define MAX_TYPES 32
#define COL_TYPE 1
#define COL_ADDRESS 16

struct tally {
	char type[64];
	const char *truth;          /* NULL: no class ("Other") */
	unsigned n, right, wrong_clear, unsure, none, top1, right_type_only, address_clear;
};

struct eval {
	struct classifier *cl;
	struct tally t[MAX_TYPES];
	unsigned ntypes;
	unsigned show_errors, shown;
	bool failed;
};

static struct tally *tally_for(struct eval *ev, const char *type)
{
	for (unsigned i = 0; i < ev->ntypes; i++)
		if (strcmp(ev->t[i].type, type) == 0)
			return &ev->t[i];
	if (ev->ntypes == MAX_TYPES)
		return NULL;
	struct tally *t = &ev->t[ev->ntypes++];
	memset(t, 0, sizeof(*t));
	snprintf(t->type, sizeof(t->type), "%s", type);
	t->truth = la311_category(type);
	return t;
}

/* Right by the rule above?  *top1 gets whether the first candidate is the truth. */
static bool judge(struct eval *ev, const char *text, const char *truth, bool *top1,
		  enum classify_verdict *verdict, char best[8])
{
	struct classify_result r;
	if (classify_text(ev->cl, text, &r)) {
		ev->failed = true;
		return false;
	}
	snprintf(best, 8, "%s", r.n ? r.cand[0].cls : "-");
	*verdict = r.verdict;
	*top1 = truth && r.n && strcmp(r.cand[0].cls, truth) == 0;
	bool ok = truth ? r.verdict == CLASSIFY_CLEAR && *top1 : r.verdict != CLASSIFY_CLEAR;
	classify_result_free(&r);
	return ok;
}

static int on_request(void *ctx, unsigned n, char **f, size_t *lens, unsigned long line)
{
	struct eval *ev = ctx;
	char text[512], best[8];
	enum classify_verdict v, v2;
	bool top1, top1b;
	(void)lens;
	if (line == 1 || n <= COL_ADDRESS)
		return 0;
	struct tally *t = tally_for(ev, f[COL_TYPE]);
	if (!t)
		return 0;
	snprintf(text, sizeof(text), "%s %s", f[COL_TYPE], f[COL_ADDRESS]);
	bool ok = judge(ev, text, t->truth, &top1, &v, best);
	t->n++;
	t->right += ok;
	t->top1 += top1;
	t->wrong_clear += !ok && v == CLASSIFY_CLEAR;
	t->unsure += v == CLASSIFY_UNSURE;
	t->none += v == CLASSIFY_NONE;
	t->right_type_only += judge(ev, f[COL_TYPE], t->truth, &top1b, &v2, best);
	/* the address alone says nothing about the problem: any clear class is noise */
	judge(ev, f[COL_ADDRESS], NULL, &top1b, &v2, best);
	t->address_clear += v2 == CLASSIFY_CLEAR;
	if (!ok && ev->shown < ev->show_errors) {
		ev->shown++;
		judge(ev, text, t->truth, &top1, &v, best);
		printf("  miss: %-60.60s want %s got %s (%s)\n", text, t->truth ? t->truth : "none",
		       best, classify_verdict_name(v));
	}
	return ev->failed;
}

static void slug(const char *type, char *out, size_t len)
{
	size_t k = 0;
	for (const char *p = type; *p && k + 1 < len; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[k++] = c;
		else if (k && out[k - 1] != '_')
			out[k++] = '_';
	}
	while (k && out[k - 1] == '_')
		k--;
	out[k] = 0;
}

/* mkdir -p of path's parent folders (and path itself if dir). */
static void make_dirs(const char *path, bool dir)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(buf, 0755);
		*p = '/';
	}
	if (dir)
		mkdir(buf, 0755);
}

static double pct(unsigned a, unsigned b)
{
	return b ? 100.0 * a / b : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'D' },
		{ "work", required_argument, NULL, 'w' },
		{ "out", required_argument, NULL, 'o' },
		{ "errors", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *datadir = NULL, *workdir = "build/bench/work", *out = "build/bench/results.json";
	struct eval ev = { 0 };
	char dir[1024], path[1024], err[512];
	struct store *st = NULL;
	int o, rc = 1;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'D': datadir = optarg; break;
		case 'w': workdir = optarg; break;
		case 'o': out = optarg; break;
		case 'e': ev.show_errors = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: grideval [--data DIR] [--work DIR] [--out FILE]"
				" [--errors N]\n");
			return 2;
		}
	}
	if (!datadir)
		datadir = refdata_default_dir();
	/* the rules a new node holds: its genesis rows */
	snprintf(dir, sizeof(dir), "%s/eval-classify", workdir);
	bench_rmtree(dir);
	make_dirs(workdir, true);
	make_dirs(out, false);
	if (store_create(dir, LEVEL_CITY, "4401", datadir, &st, err, sizeof(err))) {
		fprintf(stderr, "grideval: %s\n", err);
		return 1;
	}
	unsigned nbad = 0;
	if (rules_classifier(st, "4401", &ev.cl, &nbad) || nbad) {
		fprintf(stderr, "grideval: rules: %s (%u invalid)\n", store_errmsg(st), nbad);
		goto out_close;
	}
	snprintf(path, sizeof(path), "%s/la311-2020-01-requests.csv", datadir);
	if (csvread_file(path, on_request, &ev, err, sizeof(err)) != 0 || ev.failed) {
		fprintf(stderr, "grideval: %s\n", ev.failed ? "classifier failed" : err);
		goto out_free;
	}

	unsigned n = 0, right = 0, mn = 0, mright = 0, mtop1 = 0, wrong_clear = 0, type_only = 0;
	unsigned addr = 0;
	printf("classification of LA 311 requests from type text and address"
	       " (%u rules)\n", classifier_count(ev.cl));
	printf("%-28s %-5s %6s %8s %7s %7s %6s %9s\n", "request type", "class", "n", "right%",
	       "wrong%", "unsure%", "none%", "typeonly%");
	for (unsigned i = 0; i < ev.ntypes; i++) {
		const struct tally *t = &ev.t[i];
		char key[128], s[96];
		printf("%-28s %-5s %6u %7.1f%% %6.1f%% %6.1f%% %5.1f%% %8.1f%%\n", t->type,
		       t->truth ? t->truth : "none", t->n, pct(t->right, t->n),
		       pct(t->wrong_clear, t->n), pct(t->unsure, t->n), pct(t->none, t->n),
		       pct(t->right_type_only, t->n));
		n += t->n;
		right += t->right;
		wrong_clear += t->wrong_clear;
		type_only += t->right_type_only;
		addr += t->address_clear;
		if (t->truth) {
			mn += t->n;
			mright += t->right;
			mtop1 += t->top1;
		}
		slug(t->type, s, sizeof(s));
		snprintf(key, sizeof(key), "classify_accuracy_%s", s);
		bench_result(out, key, pct(t->right, t->n) / 100);
	}
	printf("overall: %.2f%% right of %u (types with a class: %.2f%% of %u, top-1 %.2f%%);"
	       " clear but wrong %.2f%%; type text alone %.2f%%; a clear class from the"
	       " address alone %.2f%%\n", pct(right, n), n, pct(mright, mn), mn, pct(mtop1, mn),
	       pct(wrong_clear, n), pct(type_only, n), pct(addr, n));
	bench_result(out, "classify_accuracy", pct(right, n) / 100);
	bench_result(out, "classify_accuracy_mapped", pct(mright, mn) / 100);
	bench_result(out, "classify_top1_mapped", pct(mtop1, mn) / 100);
	bench_result(out, "classify_wrong_clear", pct(wrong_clear, n) / 100);
	bench_result(out, "classify_accuracy_type_only", pct(type_only, n) / 100);
	bench_result(out, "classify_address_false_clear", pct(addr, n) / 100);
	rc = n ? 0 : 1;
out_free:
	classifier_free(ev.cl);
out_close:
	store_close(st);
	bench_rmtree(dir);
	return rc;
}
