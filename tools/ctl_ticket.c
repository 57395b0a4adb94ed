/* ctl_ticket.c - gridctl ticket add|update|comment|show|list. */
#include <stdio.h>
#include <string.h>
#include "ctl.h"
#include "../node/recid.h"
#include "../node/tickets.h"
#include "../node/limits.h"
#include "../node/store_int.h"
#include "../sync/hlc.h"
#include "../node/blobs.h"
#include "../node/config.h"

static const struct table_def *tickets(void)
{
	return schema_table(T_TICKET);
}

/* The category must be a live event class in the reference table. */
static bool category_ok(struct ctl *c, const char *code)
{
	struct store_rec r;
	store_rec_init(&r);
	enum gm_err e = store_get(c->st, schema_table(T_CAT_EVENT), code, &r);
	bool ok = !e && clk_zero(r.del);
	store_rec_free(&r);
	if (!ok)
		ctl_err(c, "--category: '%s' is not an event class (gridctl category list)", code);
	return ok;
}

static bool source_ok(struct ctl *c, const char *s)
{
	if (ticket_source_valid(s))
		return true;
	ctl_err(c, "--source: '%s' is not one of citizen_app, grid_worker, camera_ai,"
		   " hotline, device, import", s);
	return false;
}

static int save_reporter(struct ctl *c, const char *id, const char *name, const char *phone)
{
	sqlite3_stmt *s;
	sqlite3 *db = store_db(c->st);
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO ticket_reporter(id, name, phone)"
				   " VALUES(?,?,?)", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, phone, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The value set for column `col`, or NULL. */
static const struct gm_value *field(const struct ctl_fields *f, const struct table_def *t,
				    const char *col)
{
	int j = schema_col(t, col, strlen(col));
	for (unsigned i = 0; i < f->n; i++)
		if (f->cols[i] == j)
			return &f->vals[i];
	return NULL;
}

/* No --deadline: the category's time limit on the node's calendar,
 * counted from the ticket's creation (node/limits.h). */
static int deadline_from_limits(struct ctl *c, const struct table_def *t,
				struct ctl_fields *f, const char *category)
{
	const struct gm_value *created = field(f, t, "created"), *prio = field(f, t, "priority");
	int64_t dl;
	bool has;
	if (field(f, t, "deadline") || !created)
		return 0;
	if (limits_ticket_deadline(c->st, category, prio ? prio->i : 0, created->i, &dl, &has)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return -1;
	}
	if (has)
		ctl_set(f, t, "deadline", gm_int(dl));
	return 0;
}

int cmd_ticket_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "category", required_argument, NULL, 'c' },
		{ "title", required_argument, NULL, 't' },
		{ "desc", required_argument, NULL, 'D' },
		{ "lat", required_argument, NULL, 'a' },
		{ "lon", required_argument, NULL, 'o' },
		{ "address", required_argument, NULL, 'A' },
		{ "priority", required_argument, NULL, 'p' },
		{ "source", required_argument, NULL, 's' },
		{ "assignee", required_argument, NULL, 'g' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "scope", required_argument, NULL, 'S' },
		{ "reporter", required_argument, NULL, 'r' },
		{ "phone", required_argument, NULL, 'P' },
		{ "status", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	const struct table_def *t = tickets();
	struct ctl_fields f = { 0 };
	const char *category = NULL, *title = NULL, *scope = NULL, *reporter = NULL;
	const char *phone = NULL, *status = "reported", *desc = NULL, *address = NULL;
	char proposed[16];
	bool has_lat = false, has_lon = false;
	double lat = 0, lon = 0;
	long long v;
	char id[64];
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 'c': category = optarg; break;
		case 't': title = optarg; break;
		case 'D':
			desc = optarg;
			ctl_set(&f, t, "descr", gm_text(optarg));
			break;
		case 'a':
			if (!ctl_parse_double(c, "--lat", optarg, -90, 90, &lat))
				return EX_USAGE;
			has_lat = true;
			break;
		case 'o':
			if (!ctl_parse_double(c, "--lon", optarg, -180, 180, &lon))
				return EX_USAGE;
			has_lon = true;
			break;
		case 'A':
			address = optarg;
			ctl_set(&f, t, "address", gm_text(optarg));
			break;
		case 'p':
			if (!ctl_parse_int(c, "--priority", optarg, 1, 5, &v))
				return EX_USAGE;
			ctl_set(&f, t, "priority", gm_int(v));
			break;
		case 's':
			if (!source_ok(c, optarg))
				return EX_USAGE;
			ctl_set(&f, t, "source", gm_text(optarg));
			break;
		case 'g': ctl_set(&f, t, "assignee", gm_text(optarg)); break;
		case 'd':
			if (!ctl_parse_time(c, "--deadline", optarg, &v))
				return EX_USAGE;
			ctl_set(&f, t, "deadline", gm_int(v));
			break;
		case 'S': scope = optarg; break;
		case 'r': reporter = optarg; break;
		case 'P': phone = optarg; break;
		case 'x':
			/* imports bring tickets in whatever state they reached */
			if (!ticket_status_valid(optarg)) {
				ctl_err(c, "--status: '%s' is not a ticket status", optarg);
				return EX_USAGE;
			}
			status = optarg;
			break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc || !title) {
		if (!title)
			ctl_err(c, "--title is required");
		return ctl_usage(c);
	}
	if (has_lat != has_lon) {
		ctl_err(c, "--lat and --lon go together");
		return EX_USAGE;
	}
	if (!*title) {
		ctl_err(c, "--title: empty");
		return EX_USAGE;
	}
	if (!category) {
		/* no class given: the rules in effect where the ticket lives propose one */
		char text[4096];   /* the first few KB say what it is about */
		snprintf(text, sizeof(text), "%s\n%s\n%s", title, desc ? desc : "",
			 address ? address : "");
		if (ctl_propose_category(c, scope ? scope : store_code(c->st), text, proposed,
					 sizeof(proposed)))
			return EX_FAIL;
		category = proposed;
	}
	if (!category_ok(c, category))
		return EX_FAIL;
	ctl_set(&f, t, "category", gm_text(category));
	ctl_set(&f, t, "title", gm_text(title));
	ctl_set(&f, t, "status", gm_text(status));
	ctl_set(&f, t, "created", gm_int((int64_t)(hlc_wall_ms() / 1000)));
	/* default source: a grid worker at the keyboard */
	bool has_source = false;
	for (unsigned i = 0; i < f.n; i++)
		has_source |= f.cols[i] == schema_col(t, "source", 6);
	if (!has_source)
		ctl_set(&f, t, "source", gm_text("grid_worker"));
	if (has_lat) {
		ctl_set(&f, t, "lat", gm_real(lat));
		ctl_set(&f, t, "lon", gm_real(lon));
	}
	if (deadline_from_limits(c, t, &f, category))
		return EX_FAIL;

	/* id, record and reporter in one transaction */
	enum gm_err e = store_begin(c->st);
	if (!e)
		e = recid_new(c->st, t, "ticket", "", id, sizeof(id));
	if (!e) {
		struct store_write w = {
			.tab = t, .key = id, .scope = scope, .nset = f.n, .cols = f.cols,
			.vals = f.vals, .actor = c->actor, .mode = W_CREATE,
		};
		e = store_put(c->st, &w, NULL);
	}
	if (!e && (reporter || phone) && save_reporter(c, id, reporter, phone) != 0)
		e = store_dberr(c->st, "reporter");
	if (ctl_end_txn(c, e))
		return EX_FAIL;
	ctl_print_id(c, id);
	return EX_OK;
}

int cmd_ticket_update(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "assignee", required_argument, NULL, 'g' },
		{ "priority", required_argument, NULL, 'p' },
		{ "category", required_argument, NULL, 'c' },
		{ "title", required_argument, NULL, 't' },
		{ "desc", required_argument, NULL, 'D' },
		{ "deadline", required_argument, NULL, 'd' },
		{ "note", required_argument, NULL, 'n' },
		{ "no-dispatch", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	const struct table_def *t = tickets();
	struct ctl_fields f = { 0 };
	const char *status = NULL, *note = NULL;
	bool dispatch = true;
	long long v;
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 's': status = optarg; break;
		case 'g': ctl_set(&f, t, "assignee", gm_text(optarg)); break;
		case 'p':
			if (!ctl_parse_int(c, "--priority", optarg, 1, 5, &v))
				return EX_USAGE;
			ctl_set(&f, t, "priority", gm_int(v));
			break;
		case 'c':
			if (!category_ok(c, optarg))
				return EX_FAIL;
			ctl_set(&f, t, "category", gm_text(optarg));
			break;
		case 't': ctl_set(&f, t, "title", gm_text(optarg)); break;
		case 'D': ctl_set(&f, t, "descr", gm_text(optarg)); break;
		case 'd':
			if (!ctl_parse_time(c, "--deadline", optarg, &v))
				return EX_USAGE;
			ctl_set(&f, t, "deadline", gm_int(v));
			break;
		case 'n': note = optarg; break;
		case 'N': dispatch = false; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	const char *id = argv[optind];
	if (!f.n && !status && !note) {
		ctl_err(c, "nothing to change");
		return EX_USAGE;
	}
	if (status) {
		struct store_rec r;
		char cur[32];
		if (!ticket_status_valid(status)) {
			ctl_err(c, "--status: '%s' is not one of reported, registered, dispatched,"
				   " in_progress, resolved, verified, closed, rejected", status);
			return EX_USAGE;
		}
		store_rec_init(&r);
		if (store_get(c->st, t, id, &r)) {
			ctl_err(c, "%s", store_errmsg(c->st));
			return EX_FAIL;
		}
		const struct gm_value *sv = &r.vals[schema_col(t, "status", 6)];
		snprintf(cur, sizeof(cur), "%.*s", sv->type == GM_TEXT ? (int)sv->len : 0,
			 sv->type == GM_TEXT ? sv->s : "");
		store_rec_free(&r);
		if (!ticket_move_ok(cur, status)) {
			ctl_err(c, "%s: cannot go from %s to %s", id, cur, status);
			return EX_FAIL;
		}
		ctl_set(&f, t, "status", gm_text(status));
		if (strcmp(status, "closed") == 0)
			ctl_set(&f, t, "closed", gm_int((int64_t)(hlc_wall_ms() / 1000)));
	}
	int rc = ctl_write(c, t, id, NULL, &f, note, W_UPDATE, false);
	/* a registered ticket goes on to whoever the dispatch rules name */
	if (rc == EX_OK && dispatch && status && strcmp(status, "registered") == 0)
		ctl_auto_dispatch(c, id);
	return rc;
}

int cmd_ticket_comment(struct ctl *c, int argc, char **argv)
{
	if (argc != 3 || !*argv[2])
		return ctl_usage(c);
	return ctl_write(c, tickets(), argv[1], NULL, NULL, argv[2], W_UPDATE, false);
}

int cmd_ticket_show(struct ctl *c, int argc, char **argv)
{
	int rc = ctl_json_only(c, argc, argv, 1);
	if (rc >= 0)
		return rc;
	return ctl_show_record(c, tickets(), argv[optind]);
}

int cmd_ticket_list(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "category", required_argument, NULL, 'c' },
		{ "scope", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const cols[] = { "status", "category", "priority", "assignee", "title",
					    NULL };
	const struct table_def *t = tickets();
	struct store_filter f[3];
	const char *status = NULL, *category = NULL, *scope = NULL;
	unsigned nf = 0;
	int o;

	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		switch (o) {
		case 's': status = optarg; break;
		case 'c': category = optarg; break;
		case 'S': scope = optarg; break;
		case 'j': c->json = true; break;
		default: return EX_USAGE;
		}
	}
	if (optind != argc)
		return ctl_usage(c);
	if (status && !ticket_status_valid(status)) {
		ctl_err(c, "--status: '%s' is not a ticket status", status);
		return EX_USAGE;
	}
	if (scope && !code_valid(scope, strlen(scope))) {
		ctl_err(c, "--scope: '%s' is not a node code", scope);
		return EX_USAGE;
	}
	if (status) {
		f[nf].col = schema_col(t, "status", 6);
		f[nf++].v = gm_text(status);
	}
	if (category) {
		f[nf].col = schema_col(t, "category", 8);
		f[nf++].v = gm_text(category);
	}
	if (scope) {
		f[nf].col = -1;
		f[nf++].v = gm_text(scope);
	}
	return ctl_list_records(c, t, f, nf, cols);
}

/* ------------------------------------------------------------ attachments */

int cmd_ticket_attach(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mime", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mime = NULL;
	struct config cfg;
	char hex[BLOB_HEX + 1], err[512], key[BATCH_MAX_KEY + 1];
	uint64_t size;
	int o;
	optind = 1;
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o != 'm')
			return EX_USAGE;
		mime = optarg;
	}
	if (optind != argc - 2)
		return ctl_usage(c);
	const char *id = argv[optind], *file = argv[optind + 1];
	struct store_rec r;
	store_rec_init(&r);
	if (store_get(c->st, tickets(), id, &r) || !clk_zero(r.del)) {
		ctl_err(c, "no ticket '%s'", id);
		store_rec_free(&r);
		return EX_FAIL;
	}
	char scope[CODE_MAX + 1];
	snprintf(scope, sizeof(scope), "%s", r.scope);
	store_rec_free(&r);
	if (ctl_config(c, &cfg))
		return EX_FAIL;
	if (blob_add_file(c->dir, file, (uint64_t)cfg.blob_max_kb * 1024, hex, &size, err,
			  sizeof(err))) {
		ctl_err(c, "%s", err);
		return EX_FAIL;
	}
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	const struct table_def *t = schema_table(T_ATTACHMENT);
	struct ctl_fields f = { 0 };
	ctl_set(&f, t, "ticket", gm_text(id));
	ctl_set(&f, t, "hash", gm_text(hex));
	ctl_set(&f, t, "size", gm_int((int64_t)size));
	if (mime)
		ctl_set(&f, t, "mime", gm_text(mime));
	ctl_set(&f, t, "name", gm_text(base));
	ctl_set(&f, t, "added", gm_int((int64_t)(hlc_wall_ms() / 1000)));
	snprintf(key, sizeof(key), "%s:%s", id, hex);
	/* the record and the blob's place in the push queue, together */
	enum gm_err e = store_begin(c->st);
	if (!e) {
		struct store_write w = { .tab = t, .key = key, .scope = scope, .nset = f.n,
					 .cols = f.cols, .vals = f.vals, .actor = c->actor,
					 .mode = W_UPSERT };
		e = store_put(c->st, &w, NULL);
	}
	if (!e)
		e = blob_queue(c->st, BLOB_UP, hex);
	if (ctl_end_txn(c, e))
		return EX_FAIL;
	if (c->json) {
		json_t *j = json_object();
		json_object_set_new(j, "hash", json_string(hex));
		json_object_set_new(j, "size", json_integer((json_int_t)size));
		ctl_print_json(j);
	} else {
		printf("%s\n", hex);
	}
	return EX_OK;
}

struct att_list {
	const char *ticket;
	char (*hex)[BLOB_HEX + 1];
	char (*name)[128];
	size_t n, cap;
};

static int att_cb(void *ctx, const struct store_rec *r)
{
	struct att_list *a = ctx;
	const struct table_def *t = r->tab;
	const struct gm_value *tk = &r->vals[schema_col(t, "ticket", 6)];
	const struct gm_value *h = &r->vals[schema_col(t, "hash", 4)];
	const struct gm_value *nm = &r->vals[schema_col(t, "name", 4)];
	if (tk->type != GM_TEXT || tk->len != strlen(a->ticket) || memcmp(tk->s, a->ticket, tk->len) ||
	    h->type != GM_TEXT || h->len != BLOB_HEX)
		return 0;
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 8;
		void *nh = realloc(a->hex, nc * sizeof(*a->hex));
		if (!nh)
			return 1;
		a->hex = nh;
		void *nn = realloc(a->name, nc * sizeof(*a->name));
		if (!nn)
			return 1;
		a->name = nn;
		a->cap = nc;
	}
	memcpy(a->hex[a->n], h->s, BLOB_HEX);
	a->hex[a->n][BLOB_HEX] = 0;
	snprintf(a->name[a->n], sizeof(a->name[0]), "%.*s", nm->type == GM_TEXT ? (int)nm->len : 0,
		 nm->type == GM_TEXT ? nm->s : "");
	a->n++;
	return 0;
}

int cmd_ticket_fetch(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = ".";
	struct att_list a = { 0 };
	char err[512], path[4096];
	int o, rc = EX_OK;
	optind = 1;
	c->short_opts = "o";
	while ((o = ctl_getopt(c, argc, argv, opts)) != -1) {
		if (o != 'o')
			return EX_USAGE;
		out = optarg;
	}
	if (optind != argc - 1)
		return ctl_usage(c);
	a.ticket = argv[optind];
	if (store_scan(c->st, schema_table(T_ATTACHMENT), NULL, 0, att_cb, &a)) {
		ctl_err(c, "%s", store_errmsg(c->st));
		return EX_FAIL;
	}
	if (!a.n)
		fprintf(stderr, "ticket %s has no attachments\n", a.ticket);
	/* lazily: what we do not hold comes from the parent now */
	size_t missing = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (blob_size(c->dir, a.hex[i]) >= 0)
			continue;
		missing++;
		if (blob_queue(c->st, BLOB_DOWN, a.hex[i])) {
			ctl_err(c, "%s", store_errmsg(c->st));
			rc = EX_FAIL;
		}
	}
	if (missing && ctl_fetch_blobs(c) != EX_OK)
		rc = EX_FAIL;
	for (size_t i = 0; i < a.n; i++) {
		if (blob_size(c->dir, a.hex[i]) < 0) {
			ctl_err(c, "%s (%.12s): not held here and not fetched", a.name[i], a.hex[i]);
			rc = EX_FAIL;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", out, a.name[i][0] ? a.name[i] : a.hex[i]);
		if (blob_copy_out(c->dir, a.hex[i], path, err, sizeof(err))) {
			ctl_err(c, "%s", err);
			rc = EX_FAIL;
			continue;
		}
		printf("%s\n", path);
	}
	free(a.hex);
	free(a.name);
	return rc;
}
