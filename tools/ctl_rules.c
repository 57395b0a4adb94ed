/*
 * ctl_rules.c - gridctl classify, rule add|list|enable|disable, rules check,
 * ticket dispatch, and the category proposal and auto-dispatch that
 * `ticket add` and `ticket update` use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "../node/rules.h"

#define TOP_DEFAULT 5

/* "暴露垃圾 / City appearance and environment", or "" for an unknown class. */
static const char *class_label(struct ctl *c, const char *cls, char *buf, size_t len)
{
	const struct table_def *t = schema_table(T_CAT_EVENT);
	struct store_rec r;
	char a[128], b[128];
	buf[0] = 0;
	store_rec_init(&r);
	if (store_get(c->st, t, cls, &r) == GM_OK && clk_zero(r.del))
		snprintf(buf, len, "%s / %s",
			 ctl_value_str(&r.vals[schema_col(t, "minor_name", 10)], a, sizeof(a)),
			 ctl_value_str(&r.vals[schema_col(t, "major_name_en", 13)], b, sizeof(b)));
	store_rec_free(&r);
	return buf;
}

static bool place_ok(struct ctl *c, const char *opt, const char *code)
{
	if (code_valid(code, strlen(code)))
		return true;
	ctl_err(c, "%s: '%s' is not a node code", opt, code);
	return false;
}

/* Classifies text with the rules in effect at `at`; prints the error. */
static int run_classifier(struct ctl *c, const char *at, const char *text,
			  struct classifier **cl, struct classify_result *res)
{
	unsigned nbad = 0;
	if (rules_classifier(c->st, at, cl, &nbad)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	if (nbad)
		fprintf(stderr, "gridctl %s: %u classification rule%s skipped as invalid (gridctl"
			" rules check)\n", c->cmd, nbad, nbad == 1 ? "" : "s");
	if (classify_text(*cl, text, res)) {
		classifier_free(*cl);
		ctl_err(c, "out of memory");
		return EX_FAIL;
	}
	return EX_OK;
}

static void print_reasons(FILE *f, const struct classify_cand *k, const char *sep)
{
	for (unsigned j = 0; j < k->nreasons; j++)
		fprintf(f, "%s\"%s\" %+d", j ? ", " : sep, k->reasons[j].phrase,
			k->reasons[j].weight);
}

static json_t *cand_json(struct ctl *c, const struct classify_cand *k)
{
	char lab[300];
	json_t *o = json_object(), *rs = json_array();
	json_object_set_new(o, "class", json_string(k->cls));
	json_object_set_new(o, "name", json_string(class_label(c, k->cls, lab, sizeof(lab))));
	json_object_set_new(o, "score", json_integer(k->score));
	for (unsigned j = 0; j < k->nreasons; j++) {
		json_t *r = json_object();
		json_object_set_new(r, "rule", json_string(k->reasons[j].rule));
		json_object_set_new(r, "phrase", json_string(k->reasons[j].phrase));
		json_object_set_new(r, "weight", json_integer(k->reasons[j].weight));
		json_array_append_new(rs, r);
	}
	json_object_set_new(o, "reasons", rs);
	return o;
}

int cmd_classify(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 'S' },
		{ "top", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *at = store_code(c->st);
	long long top = TOP_DEFAULT;
	struct classifier *cl;
	struct classify_result res;
	char lab[300];
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'S':
			if (!place_ok(c, "--scope", optarg))
				return EX_USAGE;
			at = optarg;
			break;
		case 'n':
			if (!ctl_parse_int(c, "--top", optarg, 1, 100, &top))
				return EX_USAGE;
			break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc - 1 || !*argv[optind]) {
		if (optind == argc - 1)
			ctl_err(c, "empty text");
		return ctl_usage(c);
	}
	const char *text = argv[optind];
	if (run_classifier(c, at, text, &cl, &res))
		return EX_FAIL;
	const struct classify_cand *best = res.verdict == CLASSIFY_CLEAR ? &res.cand[0] : NULL;
	if (c->json) {
		json_t *j = json_object(), *arr = json_array();
		json_object_set_new(j, "text", json_string(text));
		json_object_set_new(j, "at", json_string(at));
		json_object_set_new(j, "verdict", json_string(classify_verdict_name(res.verdict)));
		json_object_set_new(j, "class", best ? json_string(best->cls) : json_null());
		for (unsigned i = 0; i < res.n && i < top; i++)
			json_array_append_new(arr, cand_json(c, &res.cand[i]));
		json_object_set_new(j, "candidates", arr);
		ctl_print_json(j);
	} else {
		for (unsigned i = 0; i < res.n && i < top; i++) {
			const struct classify_cand *k = &res.cand[i];
			printf("%s  score %-3d %s\n", k->cls, k->score,
			       class_label(c, k->cls, lab, sizeof(lab)));
			for (unsigned j = 0; j < k->nreasons; j++)
				printf("        %+d  \"%s\"  (rule %s)\n", k->reasons[j].weight,
				       k->reasons[j].phrase, k->reasons[j].rule);
		}
		if (best)
			printf("verdict: clear -> %s (score %d, next %d)\n", best->cls, best->score,
			       res.n > 1 ? res.cand[1].score : 0);
		else if (res.n)
			printf("verdict: unsure (needs a score of %d and a lead of %d)\n",
			       CLASSIFY_MIN_SCORE, CLASSIFY_MIN_MARGIN);
		else
			printf("verdict: none (no rule matches)\n");
	}
	classify_result_free(&res);
	classifier_free(cl);
	return EX_OK;
}

int ctl_propose_category(struct ctl *c, const char *at, const char *text, char *out,
			 size_t outlen)
{
	struct classifier *cl;
	struct classify_result res;
	char lab[300];
	int rc = EX_FAIL;

	if (run_classifier(c, at, text, &cl, &res))
		return EX_FAIL;
	if (res.verdict == CLASSIFY_CLEAR) {
		const struct classify_cand *k = &res.cand[0];
		snprintf(out, outlen, "%s", k->cls);
		fprintf(stderr, "gridctl %s: category %s (%s), score %d over %d, from", c->cmd,
			k->cls, class_label(c, k->cls, lab, sizeof(lab)), k->score,
			res.n > 1 ? res.cand[1].score : 0);
		print_reasons(stderr, k, " ");
		fputc('\n', stderr);
		rc = EX_OK;
	} else if (res.n) {
		fprintf(stderr, "gridctl %s: no clear category (needs a score of %d and a lead of"
			" %d); candidates:\n", c->cmd, CLASSIFY_MIN_SCORE, CLASSIFY_MIN_MARGIN);
		for (unsigned i = 0; i < res.n && i < 3; i++) {
			const struct classify_cand *k = &res.cand[i];
			fprintf(stderr, "  %s %s, score %d:", k->cls,
				class_label(c, k->cls, lab, sizeof(lab)), k->score);
			print_reasons(stderr, k, " ");
			fputc('\n', stderr);
		}
		fprintf(stderr, "give --category CODE\n");
	} else {
		ctl_err(c, "no classification rule matches the text; give --category CODE"
			   " (gridctl category list)");
	}
	classify_result_free(&res);
	classifier_free(cl);
	return rc;
}

/* ------------------------------------------------------------ rule edits */

static bool kind_arg(struct ctl *c, const char *s, enum rule_kind *k)
{
	if (rules_kind_parse(s, k))
		return true;
	ctl_err(c, "'%s' is not a rule kind (classify or dispatch)", s ? s : "");
	return false;
}

/* Takes the rule kind that comes first (argv[1]); the options follow. */
static int shift_kind(struct ctl *c, int *argc, char ***argv, enum rule_kind *k)
{
	if (*argc < 2 || (*argv)[1][0] == '-')
		return ctl_usage(c);
	if (!kind_arg(c, (*argv)[1], k))
		return EX_USAGE;
	(*argc)--;
	(*argv)++;
	return EX_OK;
}

static const char *opt_name(const struct option *opts, int val)
{
	for (; opts->name; opts++)
		if (opts->val == val)
			return opts->name;
	return "?";
}

static void set_col(struct ctl_fields *f, enum rule_kind k, const char *col, struct gm_value v)
{
	ctl_set(f, rules_table(k), col, v);
}

int cmd_rule_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'N' },
		{ "class", required_argument, NULL, 'c' },
		{ "lang", required_argument, NULL, 'l' },
		{ "phrases", required_argument, NULL, 'p' },
		{ "weight", required_argument, NULL, 'w' },
		{ "area", required_argument, NULL, 'a' },
		{ "priority", required_argument, NULL, 'P' },
		{ "assignee", required_argument, NULL, 'g' },
		{ "hours", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	static const char classify_only[] = "lpw", dispatch_only[] = "aPgH";
	struct ctl_fields f = { 0 };
	enum rule_kind k;
	const char *name = NULL;
	char key[BATCH_MAX_KEY + 1];
	long long v;
	double d;
	int o;

	if ((o = shift_kind(c, &argc, &argv, &k)))
		return o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o > 0 && strchr(k == RULE_CLASSIFY ? dispatch_only : classify_only, o)) {
			ctl_err(c, "--%s is not an option of %s rules", opt_name(opts, o),
				rules_kind_name(k));
			return EX_USAGE;
		}
		switch (o) {
		case 'N': name = optarg; break;
		case 'c': set_col(&f, k, "class", gm_text(optarg)); break;
		case 'l': set_col(&f, k, "lang", gm_text(optarg)); break;
		case 'p': set_col(&f, k, "phrases", gm_text(optarg)); break;
		case 'w':
			if (!ctl_parse_int(c, "--weight", optarg, -CLASSIFY_MAX_WEIGHT,
					   CLASSIFY_MAX_WEIGHT, &v))
				return EX_USAGE;
			set_col(&f, k, "weight", gm_int(v));
			break;
		case 'a':
			if (!place_ok(c, "--area", optarg))
				return EX_USAGE;
			set_col(&f, k, "area", gm_text(optarg));
			break;
		case 'P':
			if (!ctl_parse_int(c, "--priority", optarg, 1, 5, &v))
				return EX_USAGE;
			set_col(&f, k, "priority", gm_int(v));
			break;
		case 'g': set_col(&f, k, "assignee", gm_text(optarg)); break;
		case 'H':
			if (!ctl_parse_double(c, "--hours", optarg, 0.01, DISPATCH_MAX_HOURS, &d))
				return EX_USAGE;
			set_col(&f, k, "hours", gm_real(d));
			break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !name) {
		if (!name)
			ctl_err(c, "--name is required");
		return ctl_usage(c);
	}
	/* "add" means this rule is wanted: an override of a disabled rule is on */
	set_col(&f, k, "enabled", gm_int(1));
	if (rules_put(c->st, k, name, f.n, f.cols, f.vals, c->actor, key, sizeof(key))) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	puts(key);
	return EX_OK;
}

static int set_enabled(struct ctl *c, int argc, char **argv, bool on)
{
	enum rule_kind k;
	char key[BATCH_MAX_KEY + 1];
	if (argc != 3)
		return ctl_usage(c);
	if (!kind_arg(c, argv[1], &k))
		return EX_USAGE;
	if (rules_set_enabled(c->st, k, argv[2], on, c->actor, key, sizeof(key))) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	printf("%s %s\n", key, on ? "enabled" : "disabled");
	return EX_OK;
}

int cmd_rule_disable(struct ctl *c, int argc, char **argv)
{
	return set_enabled(c, argc, argv, false);
}

int cmd_rule_enable(struct ctl *c, int argc, char **argv)
{
	return set_enabled(c, argc, argv, true);
}

/* ------------------------------------------------------------ rule list */

static const char *state_name(enum rule_state s)
{
	switch (s) {
	case RULE_IN_EFFECT: return "in_effect";
	case RULE_OVERRIDDEN: return "overridden";
	case RULE_ELSEWHERE: return "elsewhere";
	case RULE_BAD: return "invalid";
	}
	return "invalid";
}

static json_t *row_json(const struct ruleset *rs, const struct rule_row *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(r->key));
	json_object_set_new(o, "scope", json_string(r->scope));
	for (unsigned j = 0; j < rs->tab->ncols; j++)
		json_object_set_new(o, rs->tab->cols[j].name, ctl_value_json(&r->vals[j]));
	json_object_set_new(o, "enabled", json_boolean(r->enabled));
	json_object_set_new(o, "state", json_string(state_name(r->state)));
	if (r->by)
		json_object_set_new(o, "overridden_by", json_string(r->by));
	return o;
}

static const char *txt_or(const struct gm_value *v)
{
	return v->type == GM_TEXT ? v->s : "-";
}

static void row_text(const struct ruleset *rs, const struct rule_row *r, bool all)
{
	char a[64], b[64], p[64];
	const char *from = r->scope[0] ? r->scope : "default";
	if (rs->kind == RULE_CLASSIFY) {
		printf("%-26s %-5s %-4s %3s  %-3s %-15s %s", r->name ? r->name : r->key,
		       ctl_value_str(rules_val(rs, r, "class"), a, sizeof(a)),
		       ctl_value_str(rules_val(rs, r, "lang"), b, sizeof(b)),
		       ctl_value_str(rules_val(rs, r, "weight"), p, sizeof(p)),
		       r->enabled ? "on" : "off", from, txt_or(rules_val(rs, r, "phrases")));
	} else {
		char area[32], h[32];
		const struct gm_value *hv = rules_val(rs, r, "hours");
		snprintf(h, sizeof(h), "%g", hv->type == GM_REAL ? hv->d : 0.0);
		printf("%-24s %-5s %-15s %-4s %-24s %6s  %-3s %s",
		       r->name ? r->name : r->key,
		       ctl_value_str(rules_val(rs, r, "class"), a, sizeof(a)),
		       ctl_value_str(rules_val(rs, r, "area"), area, sizeof(area)),
		       ctl_value_str(rules_val(rs, r, "priority"), p, sizeof(p)),
		       ctl_value_str(rules_val(rs, r, "assignee"), b, sizeof(b)), h,
		       r->enabled ? "on" : "off", from);
	}
	if (all)
		printf("  [%s%s%s]", state_name(r->state), r->by ? " by " : "", r->by ? r->by : "");
	putchar('\n');
}

int cmd_rule_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "at", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *at = store_code(c->st);
	struct ruleset *rs;
	enum rule_kind k;
	bool all = false;
	int o;

	if ((o = shift_kind(c, &argc, &argv, &k)))
		return o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'a': all = true; break;
		case 'S':
			if (!place_ok(c, "--at", optarg))
				return EX_USAGE;
			at = optarg;
			break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(c);
	if (rules_load(c->st, k, &rs)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	rules_resolve(rs, at);
	json_t *arr = c->json ? json_array() : NULL;
	if (!c->json) {
		if (k == RULE_CLASSIFY)
			printf("%-26s %-5s %-4s %3s  %-3s %-15s %s\n", "NAME", "CLASS", "LANG",
			       "W", "ON", "FROM", "PHRASES");
		else
			printf("%-24s %-5s %-15s %-4s %-24s %6s  %-3s %s\n", "NAME", "CLASS", "AREA",
			       "PRIO", "ASSIGNEE", "HOURS", "ON", "FROM");
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule_row *r = &rs->rows[i];
		if (!all && r->state != RULE_IN_EFFECT)
			continue;
		if (arr)
			json_array_append_new(arr, row_json(rs, r));
		else
			row_text(rs, r, all);
	}
	if (arr)
		ctl_print_json(arr);
	rules_free(rs);
	return EX_OK;
}

/* ----------------------------------------------------------- rules check */

struct check_out {
	struct ctl *c;
	json_t *arr;
};

static int on_issue(void *ctx, const struct rules_issue *is)
{
	struct check_out *o = ctx;
	if (is->what == ISSUE_INVALID) {
		if (o->arr) {
			json_t *j = json_object();
			json_object_set_new(j, "issue", json_string("invalid"));
			json_object_set_new(j, "kind", json_string(rules_kind_name(is->kind)));
			json_object_set_new(j, "rule", json_string(is->key));
			json_object_set_new(j, "why", json_string(is->why));
			json_array_append_new(o->arr, j);
		} else {
			printf("invalid %s rule %s: %s\n", rules_kind_name(is->kind), is->key, is->why);
		}
		return 0;
	}
	const struct dispatch_rule *a = is->a, *b = is->b;
	const char *place = dispatch_place(a);
	if (o->arr) {
		json_t *j = json_object(), *rs = json_array();
		json_object_set_new(j, "issue", json_string("conflict"));
		json_object_set_new(j, "kind", json_string("dispatch"));
		json_object_set_new(j, "at", json_string(is->at));
		json_object_set_new(j, "class", json_string(a->cls));
		json_object_set_new(j, "place", json_string(place));
		json_object_set_new(j, "priority", a->priority ? json_integer(a->priority)
							   : json_null());
		for (int i = 0; i < 2; i++) {
			const struct dispatch_rule *r = i ? b : a;
			json_t *x = json_object();
			json_object_set_new(x, "rule", json_string(r->key));
			json_object_set_new(x, "assignee", json_string(r->assignee));
			json_object_set_new(x, "hours", json_real(r->hours));
			json_array_append_new(rs, x);
		}
		json_object_set_new(j, "rules", rs);
		json_array_append_new(o->arr, j);
	} else {
		char pr[16] = "any";
		if (a->priority)
			snprintf(pr, sizeof(pr), "%d", a->priority);
		printf("conflict: dispatch rules %s (%s, %g h) and %s (%s, %g h) both decide class"
		       " %s at %s (priority %s), in effect at %s\n", a->key, a->assignee, a->hours,
		       b->key, b->assignee, b->hours, a->cls, place[0] ? place : "the whole city",
		       pr, is->at);
	}
	return 0;
}

int cmd_rules_check(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_out o = { .c = c };
	unsigned n = 0;
	int op;

	optind = 1;
	while ((op = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (op != 'j')
			return EX_USAGE;
		c->json = true;
	}
	if (optind != argc)
		return ctl_usage(c);
	if (c->json)
		o.arr = json_array();
	if (rules_check(c->st, on_issue, &o, &n)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		json_decref(o.arr);
		return EX_FAIL;
	}
	if (o.arr)
		ctl_print_json(o.arr);
	else if (!n)
		printf("no conflicts, no invalid rules\n");
	/* problems found: a script can tell */
	return n ? EX_FAIL : EX_OK;
}

/* ------------------------------------------------------- ticket dispatch */

int cmd_ticket_dispatch(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct rules_dispatch_out out;
	bool dry = false;
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'n': dry = true; break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	const char *id = argv[optind];
	if (rules_dispatch_ticket(c->st, id, c->actor, dry, &out)) {
		ctl_err(c, "%s: %s", id, store_errmsg(c->st));
		return EX_FAIL;
	}
	if (c->json) {
		char when[32];
		ctl_format_time(out.deadline, when, sizeof(when));
		json_t *j = json_object();
		json_object_set_new(j, "id", json_string(id));
		json_object_set_new(j, "rule", json_string(out.rule));
		json_object_set_new(j, "assignee", json_string(out.assignee));
		json_object_set_new(j, "hours", json_real(out.hours));
		json_object_set_new(j, "deadline", json_integer(out.deadline));
		json_object_set_new(j, "deadline_local", json_string(when));
		json_object_set_new(j, "dry_run", json_boolean(dry));
		ctl_print_json(j);
	} else {
		printf("%s%s: %s\n", dry ? "(dry run) " : "", id, out.msg);
	}
	return EX_OK;
}

void ctl_auto_dispatch(struct ctl *c, const char *id)
{
	struct rules_dispatch_out out;
	if (rules_dispatch_ticket(c->st, id, c->actor, false, &out) == GM_OK)
		fprintf(stderr, "gridctl %s: %s %s\n", c->cmd, id, out.msg);
	else
		fprintf(stderr, "gridctl %s: %s registered, not dispatched: %s\n", c->cmd, id,
			store_errmsg(c->st));
}
