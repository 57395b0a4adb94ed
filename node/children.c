/* children.c - registry of a node's children. */
#include <stdlib.h>
#include <string.h>
#include "children.h"
#include "store_int.h"

struct children {
	struct store *st;
	struct child_info *v;
	bool *dirty;
	size_t n, cap;
};

static enum gm_err add(struct children *c, const struct child_info *ci)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct child_info *nv = realloc(c->v, ncap * sizeof(*nv));
		if (!nv)
			return GM_E_NOMEM;
		c->v = nv;
		bool *nd = realloc(c->dirty, ncap * sizeof(*nd));
		if (!nd)
			return GM_E_NOMEM;
		c->dirty = nd;
		c->cap = ncap;
	}
	c->v[c->n] = *ci;
	c->dirty[c->n] = false;
	c->n++;
	return GM_OK;
}

static int load_cb(void *ctx, const struct child_info *ci)
{
	return add(ctx, ci) != GM_OK;
}

enum gm_err children_list(struct store *st, children_cb cb, void *ctx)
{
	sqlite3_stmt *s;
	int rc;
	if (sqlite3_prepare_v2(store_db(st),
			       "SELECT code, link, level, version, lifetime, registered, last_seen, addr"
			       " FROM children ORDER BY code", -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "children");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct child_info ci;
		memset(&ci, 0, sizeof(ci));
		store_copy_str(ci.code, sizeof(ci.code), (const char *)sqlite3_column_text(s, 0),
			       (size_t)sqlite3_column_bytes(s, 0));
		ci.link = sqlite3_column_int(s, 1);
		ci.level = sqlite3_column_int(s, 2);
		store_copy_str(ci.version, sizeof(ci.version), (const char *)sqlite3_column_text(s, 3),
			       (size_t)sqlite3_column_bytes(s, 3));
		ci.lifetime = (uint32_t)sqlite3_column_int64(s, 4);
		ci.registered = sqlite3_column_int64(s, 5);
		ci.last_seen = sqlite3_column_int64(s, 6);
		store_copy_str(ci.addr, sizeof(ci.addr), (const char *)sqlite3_column_text(s, 7),
			       (size_t)sqlite3_column_bytes(s, 7));
		if (cb(ctx, &ci))
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? GM_OK : store_dberr(st, "children");
}

enum gm_err children_open(struct store *st, struct children **out)
{
	struct children *c = calloc(1, sizeof(*c));
	enum gm_err e;
	if (!c)
		return GM_E_NOMEM;
	c->st = st;
	if ((e = children_list(st, load_cb, c))) {
		children_close(c);
		return e;
	}
	*out = c;
	return GM_OK;
}

void children_close(struct children *c)
{
	if (!c)
		return;
	free(c->v);
	free(c->dirty);
	free(c);
}

static struct child_info *find(const struct children *c, const char *code)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].code, code) == 0)
			return &c->v[i];
	return NULL;
}

const struct child_info *children_find(const struct children *c, const char *code)
{
	return find(c, code);
}

static enum gm_err save(struct children *c, const struct child_info *ci)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(store_db(c->st),
			       "INSERT OR REPLACE INTO children(code, link, level, version, lifetime,"
			       " registered, last_seen, addr) VALUES(?,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK)
		return store_dberr(c->st, "children");
	sqlite3_bind_text(s, 1, ci->code, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, ci->link);
	sqlite3_bind_int(s, 3, ci->level);
	sqlite3_bind_text(s, 4, ci->version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, ci->lifetime);
	sqlite3_bind_int64(s, 6, ci->registered);
	sqlite3_bind_int64(s, 7, ci->last_seen);
	sqlite3_bind_text(s, 8, ci->addr, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GM_OK : store_dberr(c->st, "save child");
}

static int next_link(const struct children *c)
{
	int max = LINK_CHILD0;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].link > max)
			max = c->v[i].link;
	return max + 1;
}

enum gm_err children_register(struct children *c, const struct child_info *ci)
{
	struct child_info *have = find(c, ci->code);
	struct child_info n = *ci;
	enum gm_err e;
	n.link = have ? have->link : next_link(c);
	if ((e = save(c, &n)))
		return e;
	if (have) {
		*have = n;
		c->dirty[have - c->v] = false;
		return GM_OK;
	}
	return add(c, &n);
}

enum gm_err children_touch(struct children *c, const char *code, const char *addr, int64_t now,
			   int *link)
{
	struct child_info *have = find(c, code);
	if (!have) {
		struct child_info ci;
		memset(&ci, 0, sizeof(ci));
		snprintf(ci.code, sizeof(ci.code), "%s", code);
		snprintf(ci.addr, sizeof(ci.addr), "%s", addr ? addr : "");
		ci.level = (int)code_level(code, strlen(code));
		ci.last_seen = now;
		enum gm_err e = children_register(c, &ci);
		if (e)
			return e;
		have = find(c, code);
	}
	if (have->last_seen != now || (addr && strcmp(have->addr, addr))) {
		have->last_seen = now;
		if (addr)
			snprintf(have->addr, sizeof(have->addr), "%s", addr);
		c->dirty[have - c->v] = true;
	}
	*link = have->link;
	return GM_OK;
}

void children_flush(struct children *c)
{
	bool any = false;
	for (size_t i = 0; i < c->n; i++)
		any |= c->dirty[i];
	if (!any || sqlite3_exec(store_db(c->st), "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (c->dirty[i] && save(c, &c->v[i]) == GM_OK)
			c->dirty[i] = false;
	sqlite3_exec(store_db(c->st), "COMMIT", NULL, NULL, NULL);
}
