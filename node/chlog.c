/* chlog.c - the paged change log (see chlog.h). */
#include <stdlib.h>
#include <string.h>
#include <msgpack.h>
#include "chlog.h"
#include "store_int.h"
#include "../proto/mpscan.h"
#include "../proto/mpw.h"

#define ENTRY_ELEMS 12
/* an entry is a flat array; kept values nest [[t, node, mask, [value...]]...] */
#define ENTRY_DEPTH 1
#define VALS_DEPTH 3

/*
 * A page read back.  History walks hop between pages (a record's changes
 * are spread over the log): a few pages kept make repeated walks over the
 * same records, as when sealing many updates, hit memory.
 */
#define CACHE_PAGES 16

struct cpage {
	int64_t page;             /* -1: empty */
	uint8_t *buf;
	size_t len, cap;
	unsigned n;
	unsigned indexed;         /* off[0, indexed] are known */
	uint64_t used;            /* tick of the last use */
	uint32_t off[CHLOG_PAGE + 1];
};

struct chlog {
	sqlite3_stmt *max_page;
	sqlite3_stmt *ins_page;
	sqlite3_stmt *sel_page;
	sqlite3_stmt *upd_page;
	/* the page being filled */
	int64_t page;
	unsigned n;
	struct gm_buf body;
	uint32_t off[CHLOG_PAGE + 1];
	/* pages read back from the database, least recently used first out */
	struct cpage cache[CACHE_PAGES];
	uint64_t tick;
	msgpack_unpacked up;
};

struct chlog_zone {
	struct chlog_zone *next;
	msgpack_unpacked up;
	size_t len;
	uint8_t data[];
};

static void cache_clear(struct chlog *cl)
{
	for (unsigned i = 0; i < CACHE_PAGES; i++)
		cl->cache[i].page = -1;
}

static enum gm_err prep(struct store *st, sqlite3_stmt **s, const char *sql)
{
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) != SQLITE_OK)
		return store_dberr(st, "prepare change log");
	return GM_OK;
}

enum gm_err chlog_new(struct store *st, struct chlog **out)
{
	struct chlog *cl = calloc(1, sizeof(*cl));
	enum gm_err e;
	if (!cl)
		return GM_E_NOMEM;
	gm_buf_init(&cl->body);
	msgpack_unpacked_init(&cl->up);
	cache_clear(cl);
	if ((e = prep(st, &cl->max_page, "SELECT max(page) FROM changes")) ||
	    (e = prep(st, &cl->ins_page, "INSERT INTO changes(page, n, body) VALUES(?,?,?)")) ||
	    (e = prep(st, &cl->sel_page, "SELECT n, body FROM changes WHERE page=?")) ||
	    (e = prep(st, &cl->upd_page, "UPDATE changes SET body=? WHERE page=?"))) {
		chlog_free(cl);
		return e;
	}
	*out = cl;
	return GM_OK;
}

void chlog_free(struct chlog *cl)
{
	if (!cl)
		return;
	sqlite3_finalize(cl->max_page);
	sqlite3_finalize(cl->ins_page);
	sqlite3_finalize(cl->sel_page);
	sqlite3_finalize(cl->upd_page);
	gm_buf_free(&cl->body);
	for (unsigned i = 0; i < CACHE_PAGES; i++)
		free(cl->cache[i].buf);
	msgpack_unpacked_destroy(&cl->up);
	free(cl);
}

enum gm_err chlog_begin(struct store *st)
{
	struct chlog *cl = st->chlog;
	int64_t max = 0;
	if (sqlite3_step(cl->max_page) == SQLITE_ROW)
		max = sqlite3_column_int64(cl->max_page, 0);
	sqlite3_reset(cl->max_page);
	cl->page = max + 1;
	cl->n = 0;
	gm_buf_reset(&cl->body);
	/* another process may have rewritten pages since we cached them */
	cache_clear(cl);
	return GM_OK;
}

uint64_t chlog_head(struct store *st)
{
	struct chlog *cl = st->chlog;
	if (cl->n)
		return (uint64_t)cl->page * CHLOG_PAGE + cl->n - 1;
	int64_t max = 0;
	if (sqlite3_step(cl->max_page) == SQLITE_ROW)
		max = sqlite3_column_int64(cl->max_page, 0);
	sqlite3_reset(cl->max_page);
	if (!max)
		return 0;
	/* the last entry of the last page */
	sqlite3_bind_int64(cl->sel_page, 1, max);
	uint64_t head = (uint64_t)max * CHLOG_PAGE;
	if (sqlite3_step(cl->sel_page) == SQLITE_ROW)
		head += (uint64_t)sqlite3_column_int(cl->sel_page, 0) - 1;
	sqlite3_reset(cl->sel_page);
	return head;
}

uint64_t chlog_count(struct store *st)
{
	sqlite3_stmt *s;
	uint64_t n = st->chlog->n;
	/* ids are not dense (a transaction starts a new page): count per page */
	if (sqlite3_prepare_v2(st->db, "SELECT total(n) FROM changes", -1, &s, NULL) != SQLITE_OK)
		return n;
	if (sqlite3_step(s) == SQLITE_ROW)
		n += (uint64_t)sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	return n;
}

uint64_t chlog_next_id(struct store *st)
{
	struct chlog *cl = st->chlog;
	return (uint64_t)cl->page * CHLOG_PAGE + cl->n;
}

/* Room an entry takes at most: a dozen integers and four byte strings. */
static size_t entry_max(const struct ch_entry *e)
{
	return 1 + 8 * MPW_MAX_INT + 4 * MPW_MAX_HEAD + (e->actor ? e->actorlen : 0) +
	       (e->note ? e->notelen : 0) + (e->vals ? e->valslen : 0) + (e->old ? e->oldlen : 0);
}

static void pack_entry(struct gm_buf *b, const struct ch_entry *e)
{
	uint8_t *p = mpw_begin(b, entry_max(e));
	if (!p)
		return;
	p = mpw_array(p, ENTRY_ELEMS);
	p = mpw_uint(p, e->tbl);
	p = mpw_int(p, e->rid);
	p = mpw_uint(p, e->prev);
	p = mpw_uint(p, e->clk.t);
	p = mpw_uint(p, e->clk.node);
	p = mpw_uint(p, e->seen);
	p = mpw_uint(p, e->mask);
	p = mpw_uint(p, (uint8_t)(e->del | e->erased << 1));
	p = e->actor ? mpw_str(p, e->actor, e->actorlen) : mpw_nil(p);
	p = e->note ? mpw_str(p, e->note, e->notelen) : mpw_nil(p);
	p = e->vals ? mpw_bin(p, e->vals, e->valslen) : mpw_nil(p);
	p = e->old ? mpw_bin(p, e->old, e->oldlen) : mpw_nil(p);
	mpw_end(b, p);
}

static bool u64(const msgpack_object *o, uint64_t *v)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return false;
	*v = o->via.u64;
	return true;
}

static bool opt_bytes(const msgpack_object *o, const void **p, uint32_t *len)
{
	*p = NULL;
	*len = 0;
	if (o->type == MSGPACK_OBJECT_NIL)
		return true;
	if (o->type == MSGPACK_OBJECT_STR || o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*len = o->via.bin.size;
		return true;
	}
	return false;
}

/* Decodes the entry at p[0, len); *used gets its size. */
static enum gm_err unpack_entry(struct chlog *cl, const uint8_t *p, size_t len,
				struct ch_entry *e, size_t *used)
{
	size_t off = 0, one;
	uint64_t v;
	const void *q;
	msgpack_unpacked_destroy(&cl->up);
	msgpack_unpacked_init(&cl->up);
	/* pages come from disk, which may be damaged: check before msgpack-c
	 * allocates whatever a container header claims */
	if (mpscan_prefix(p, len, ENTRY_DEPTH, &one) ||
	    msgpack_unpack_next(&cl->up, (const char *)p, one, &off) != MSGPACK_UNPACK_SUCCESS)
		return GM_E_MALFORMED;
	const msgpack_object *o = &cl->up.data;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != ENTRY_ELEMS)
		return GM_E_MALFORMED;
	const msgpack_object *a = o->via.array.ptr;
	memset(e, 0, sizeof(*e));
	if (!u64(&a[0], &v) || v >= T__COUNT)
		return GM_E_MALFORMED;
	e->tbl = (uint8_t)v;
	if (!u64(&a[1], &v))
		return GM_E_MALFORMED;
	e->rid = (int64_t)v;
	if (!u64(&a[2], &e->prev) || !u64(&a[3], &e->clk.t) || !u64(&a[4], &e->clk.node) ||
	    !u64(&a[5], &e->seen) || !u64(&a[6], &e->mask) || !u64(&a[7], &v))
		return GM_E_MALFORMED;
	e->del = v & 1;
	e->erased = (v >> 1) & 1;
	if (!opt_bytes(&a[8], &q, &e->actorlen))
		return GM_E_MALFORMED;
	e->actor = q;
	if (!opt_bytes(&a[9], &q, &e->notelen))
		return GM_E_MALFORMED;
	e->note = q;
	if (!opt_bytes(&a[10], &q, &e->valslen))
		return GM_E_MALFORMED;
	e->vals = q;
	if (!opt_bytes(&a[11], &q, &e->oldlen))
		return GM_E_MALFORMED;
	e->old = q;
	if (used)
		*used = off;
	return GM_OK;
}

static enum gm_err write_page(struct store *st)
{
	struct chlog *cl = st->chlog;
	sqlite3_stmt *s = cl->ins_page;
	sqlite3_bind_int64(s, 1, cl->page);
	sqlite3_bind_int(s, 2, (int)cl->n);
	sqlite3_bind_blob(s, 3, cl->body.p, (int)cl->body.len, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_dberr(st, "write change log");
	cl->page++;
	cl->n = 0;
	gm_buf_reset(&cl->body);
	return GM_OK;
}

enum gm_err chlog_append(struct store *st, const struct ch_entry *e, uint64_t *id)
{
	struct chlog *cl = st->chlog;
	cl->off[cl->n] = (uint32_t)cl->body.len;
	pack_entry(&cl->body, e);
	if (cl->body.oom)
		return GM_E_NOMEM;
	*id = (uint64_t)cl->page * CHLOG_PAGE + cl->n;
	cl->n++;
	cl->off[cl->n] = (uint32_t)cl->body.len;
	return cl->n == CHLOG_PAGE ? write_page(st) : GM_OK;
}

enum gm_err chlog_flush(struct store *st)
{
	return st->chlog->n ? write_page(st) : GM_OK;
}

void chlog_discard(struct store *st)
{
	struct chlog *cl = st->chlog;
	if (!cl)
		return;
	cl->n = 0;
	gm_buf_reset(&cl->body);
	cache_clear(cl);
}

/*
 * Finds where a cached page's entries up to `idx` start.  Only their
 * boundaries, and only as far as needed: a history walk loads a page for
 * one entry, and unpacking all 256 (msgpack-c allocates per object) made
 * walking long histories, e.g. sealing many updates of one record, cost
 * seconds.  chlog_get checks the entry it unpacks.
 */
static enum gm_err index_to(struct store *st, struct cpage *cp, unsigned idx)
{
	while (cp->indexed <= idx) {
		size_t used, off = cp->off[cp->indexed];
		if (mpscan_prefix(cp->buf + off, cp->len - off, ENTRY_DEPTH, &used)) {
			long long page = (long long)cp->page;
			cp->page = -1;
			return store_fail(st, GM_E_MALFORMED, "change log page %lld corrupt", page);
		}
		cp->off[++cp->indexed] = (uint32_t)(off + used);
	}
	return GM_OK;
}

/* Finds a page in the cache or loads it from the database into the least
 * recently used slot (indexed lazily). */
static enum gm_err load_page(struct store *st, int64_t page, struct cpage **out)
{
	struct chlog *cl = st->chlog;
	sqlite3_stmt *s = cl->sel_page;
	struct cpage *cp = &cl->cache[0];
	enum gm_err e = GM_OK;

	for (unsigned i = 0; i < CACHE_PAGES; i++) {
		if (cl->cache[i].page == page) {
			cl->cache[i].used = ++cl->tick;
			*out = &cl->cache[i];
			return GM_OK;
		}
		if (cl->cache[i].used < cp->used)
			cp = &cl->cache[i];
	}
	cp->page = -1;
	sqlite3_bind_int64(s, 1, page);
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		e = rc == SQLITE_DONE ? store_fail(st, GM_E_MALFORMED, "change log page %lld missing",
						   (long long)page)
				      : store_dberr(st, "read change log");
		goto out_reset;
	}
	unsigned n = (unsigned)sqlite3_column_int(s, 0);
	size_t len = (size_t)sqlite3_column_bytes(s, 1);
	if (n > CHLOG_PAGE) {
		e = store_fail(st, GM_E_MALFORMED, "change log page %lld corrupt", (long long)page);
		goto out_reset;
	}
	if (len > cp->cap || !cp->buf) {
		uint8_t *nb = realloc(cp->buf, len ? len : 1);
		if (!nb) {
			e = GM_E_NOMEM;
			goto out_reset;
		}
		cp->buf = nb;
		cp->cap = len;
	}
	cp->len = len;
	if (len)
		memcpy(cp->buf, sqlite3_column_blob(s, 1), len);
	cp->off[0] = 0;
	cp->indexed = 0;
	cp->n = n;
	cp->page = page;
	cp->used = ++cl->tick;
	*out = cp;
out_reset:
	sqlite3_reset(s);
	return e;
}

enum gm_err chlog_get(struct store *st, uint64_t id, struct ch_entry *e)
{
	struct chlog *cl = st->chlog;
	int64_t page = (int64_t)(id / CHLOG_PAGE);
	unsigned idx = (unsigned)(id % CHLOG_PAGE);
	enum gm_err err;

	if (page == cl->page && st->in_txn) {
		if (idx >= cl->n)
			return store_fail(st, GM_E_MALFORMED, "change %llu not written",
					  (unsigned long long)id);
		err = unpack_entry(cl, cl->body.p + cl->off[idx], cl->off[idx + 1] - cl->off[idx], e,
				   NULL);
	} else {
		struct cpage *cp;
		if ((err = load_page(st, page, &cp)))
			return err;
		if (idx >= cp->n)
			return store_fail(st, GM_E_MALFORMED, "change %llu missing",
					  (unsigned long long)id);
		if ((err = index_to(st, cp, idx)))
			return err;
		err = unpack_entry(cl, cp->buf + cp->off[idx], cp->off[idx + 1] - cp->off[idx], e,
				   NULL);
	}
	return err ? store_fail(st, err, "change %llu corrupt", (unsigned long long)id) : GM_OK;
}

enum gm_err chlog_scan(struct store *st, uint64_t after, chlog_cb cb, void *ctx)
{
	struct chlog *cl = st->chlog;
	sqlite3_stmt *s;
	struct ch_entry e;
	enum gm_err err = GM_OK;
	int rc;
	/* a private cursor: the callback may read other pages meanwhile */
	struct chlog priv;
	memset(&priv, 0, sizeof(priv));
	msgpack_unpacked_init(&priv.up);

	if (sqlite3_prepare_v2(st->db, "SELECT page, n, body FROM changes WHERE page >= ?"
				       " ORDER BY page", -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "scan change log");
	sqlite3_bind_int64(s, 1, (int64_t)(after / CHLOG_PAGE));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t page = sqlite3_column_int64(s, 0);
		unsigned n = (unsigned)sqlite3_column_int(s, 1);
		const uint8_t *p = sqlite3_column_blob(s, 2);
		size_t len = (size_t)sqlite3_column_bytes(s, 2), off = 0;
		/* an empty body comes back as NULL: it can hold no entries */
		if (n > CHLOG_PAGE || (n && !p)) {
			err = store_fail(st, GM_E_MALFORMED, "change log page %lld corrupt",
					 (long long)page);
			goto out_finalize;
		}
		for (unsigned i = 0; i < n; i++) {
			size_t used;
			if (unpack_entry(&priv, p + off, len - off, &e, &used)) {
				err = store_fail(st, GM_E_MALFORMED, "change log page %lld corrupt",
						 (long long)page);
				goto out_finalize;
			}
			off += used;
			uint64_t id = (uint64_t)page * CHLOG_PAGE + i;
			if (id > after && cb(ctx, id, &e))
				goto out_finalize;
		}
	}
	if (rc != SQLITE_DONE) {
		err = store_dberr(st, "scan change log");
		goto out_finalize;
	}
	/* and the page still in memory */
	for (unsigned i = 0; st->in_txn && i < cl->n; i++) {
		uint64_t id = (uint64_t)cl->page * CHLOG_PAGE + i;
		if (id <= after)
			continue;
		if (unpack_entry(&priv, cl->body.p + cl->off[i], cl->off[i + 1] - cl->off[i], &e,
				 NULL)) {
			err = store_fail(st, GM_E_MALFORMED, "pending change corrupt");
			break;
		}
		if (cb(ctx, id, &e))
			break;
	}
out_finalize:
	sqlite3_finalize(s);
	msgpack_unpacked_destroy(&priv.up);
	return err;
}

/* Re-encodes page entries with those in `which` (bitmap by index) blanked. */
static enum gm_err rebuild(struct store *st, const uint8_t *p, size_t len, unsigned n,
			   const uint64_t which[CHLOG_PAGE / 64], struct gm_buf *out, uint32_t *offs)
{
	struct chlog tmp;
	enum gm_err e = GM_OK;
	size_t off = 0;
	memset(&tmp, 0, sizeof(tmp));
	msgpack_unpacked_init(&tmp.up);
	for (unsigned i = 0; i < n; i++) {
		struct ch_entry en;
		size_t used;
		if (unpack_entry(&tmp, p + off, len - off, &en, &used)) {
			e = store_fail(st, GM_E_MALFORMED, "change log corrupt");
			break;
		}
		off += used;
		if ((which[i / 64] >> (i % 64)) & 1) {
			en.erased = true;
			en.note = NULL;
			en.vals = NULL;
			en.old = NULL;
		}
		if (offs)
			offs[i] = (uint32_t)out->len;
		pack_entry(out, &en);
	}
	if (offs)
		offs[n] = (uint32_t)out->len;
	msgpack_unpacked_destroy(&tmp.up);
	return e ? e : (out->oom ? GM_E_NOMEM : GM_OK);
}

static enum gm_err erase_in_page(struct store *st, int64_t page,
				 const uint64_t which[CHLOG_PAGE / 64])
{
	struct chlog *cl = st->chlog;
	struct gm_buf nb;
	enum gm_err e;
	gm_buf_init(&nb);
	if (page == cl->page && st->in_txn) {
		e = rebuild(st, cl->body.p, cl->body.len, cl->n, which, &nb, cl->off);
		if (!e) {
			gm_buf_free(&cl->body);
			cl->body = nb;
			return GM_OK;
		}
		gm_buf_free(&nb);
		return e;
	}
	struct cpage *cp;
	if ((e = load_page(st, page, &cp)))
		return e;
	e = rebuild(st, cp->buf, cp->len, cp->n, which, &nb, NULL);
	if (!e) {
		sqlite3_stmt *s = cl->upd_page;
		sqlite3_bind_blob(s, 1, nb.p, (int)nb.len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, page);
		int rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			e = store_dberr(st, "erase change log");
	}
	cp->page = -1;   /* rewritten */
	gm_buf_free(&nb);
	return e;
}

enum gm_err chlog_erase_chain(struct store *st, uint64_t head)
{
	uint64_t *ids = NULL;
	size_t n = 0, cap = 0;
	enum gm_err e = GM_OK;
	/* collect the chain first: rewriting a page invalidates entries read */
	while (head) {
		struct ch_entry en;
		if ((e = chlog_get(st, head, &en)))
			goto out_free;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			uint64_t *ni = realloc(ids, ncap * sizeof(*ni));
			if (!ni) {
				e = GM_E_NOMEM;
				goto out_free;
			}
			ids = ni;
			cap = ncap;
		}
		ids[n++] = head;
		/* a chain runs to older changes only: anything else is a damaged log */
		if (en.prev >= head) {
			e = store_fail(st, GM_E_MALFORMED, "change %llu: history chain corrupt",
				       (unsigned long long)head);
			goto out_free;
		}
		head = en.prev;
	}
	/* the chain runs newest first, so entries of one page are adjacent */
	for (size_t i = 0; i < n;) {
		int64_t page = (int64_t)(ids[i] / CHLOG_PAGE);
		uint64_t which[CHLOG_PAGE / 64] = { 0 };
		size_t k = i;
		for (; k < n && (int64_t)(ids[k] / CHLOG_PAGE) == page; k++)
			which[(ids[k] % CHLOG_PAGE) / 64] |= 1ull << (ids[k] % 64);
		if ((e = erase_in_page(st, page, which)))
			goto out_free;
		i = k;
	}
out_free:
	free(ids);
	return e;
}

void chlog_uncache(struct store *st)
{
	cache_clear(st->chlog);
}

void chlog_pack_vals(struct gm_buf *b, const struct gm_value *vals, uint64_t mask,
		     unsigned ncols)
{
	size_t max = MPW_MAX_HEAD;
	for (unsigned j = 0; j < ncols; j++)
		if ((mask >> j) & 1)
			max += mpw_value_max(&vals[j]);
	uint8_t *p = mpw_begin(b, max);
	if (!p)
		return;
	p = mpw_array(p, batch_popcount(mask));
	for (unsigned j = 0; j < ncols; j++)
		if ((mask >> j) & 1)
			p = mpw_value(p, &vals[j]);
	mpw_end(b, p);
}

static bool to_value(const msgpack_object *o, struct gm_value *v)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*v = gm_int((int64_t)o->via.u64);
		return true;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = gm_int(o->via.i64);
		return true;
	case MSGPACK_OBJECT_FLOAT64:
	case MSGPACK_OBJECT_FLOAT32:
		*v = gm_real(o->via.f64);
		return true;
	case MSGPACK_OBJECT_STR:
		*v = gm_textn(o->via.str.ptr, o->via.str.size);
		return true;
	case MSGPACK_OBJECT_NIL:
		*v = gm_nil();
		return true;
	default:
		return false;
	}
}

/* Copies bytes into a new zone chained on *z and unpacks them there. */
static const msgpack_object *zone_unpack(struct chlog_zone **z, const void *p, size_t len)
{
	struct chlog_zone *nz = malloc(sizeof(*nz) + len);
	size_t off = 0;
	if (!nz)
		return NULL;
	memcpy(nz->data, p, len);
	nz->len = len;
	msgpack_unpacked_init(&nz->up);
	nz->next = *z;
	*z = nz;
	if (mpscan_check(nz->data, len, VALS_DEPTH) ||
	    msgpack_unpack_next(&nz->up, (const char *)nz->data, len, &off) != MSGPACK_UNPACK_SUCCESS)
		return NULL;
	return &nz->up.data;
}

/* Fills vals[j] for j in mask from an array of popcount(mask) values. */
static uint64_t fill(const msgpack_object *arr, uint64_t mask, uint64_t want, unsigned ncols,
		     struct gm_value *vals)
{
	uint64_t got = 0;
	unsigned k = 0;
	if (!arr || arr->type != MSGPACK_OBJECT_ARRAY || arr->via.array.size != batch_popcount(mask))
		return 0;
	for (unsigned j = 0; j < ncols; j++) {
		if (!((mask >> j) & 1))
			continue;
		const msgpack_object *o = &arr->via.array.ptr[k++];
		if (((want >> j) & 1) && to_value(o, &vals[j]))
			got |= 1ull << j;
	}
	return got;
}

uint64_t chlog_resolve(struct store *st, const struct store_rec *r, uint64_t id,
		       const struct ch_entry *e, struct gm_value *vals,
		       struct chlog_zone **zone_out)
{
	unsigned ncols = r->tab->ncols;
	uint64_t need = e->mask, got;
	struct clk clk = e->clk;

	*zone_out = NULL;
	if (e->erased || e->del || !need)
		return 0;
	if (e->vals) {
		const msgpack_object *o = zone_unpack(zone_out, e->vals, e->valslen);
		return fill(o, e->mask, need, ncols, vals);
	}
	got = 0;
	for (unsigned j = 0; j < ncols; j++) {
		if (((need >> j) & 1) && clk_cmp(r->rc.c[j], clk) == 0) {
			vals[j] = r->vals[j];
			got |= 1ull << j;
		}
	}
	need &= ~got;
	/* overwritten since: a later change of the record kept the old values */
	for (uint64_t d = r->last; need && d > id;) {
		struct ch_entry de;
		if (chlog_get(st, d, &de) || de.prev >= d)
			break;   /* unreadable, or a chain that does not run back */
		uint64_t prev = de.prev;
		if (de.old) {
			const msgpack_object *o = zone_unpack(zone_out, de.old, de.oldlen);
			for (uint32_t g = 0; o && o->type == MSGPACK_OBJECT_ARRAY && g < o->via.array.size;
			     g++) {
				const msgpack_object *grp = &o->via.array.ptr[g];
				uint64_t t, node, gmask;
				if (grp->type != MSGPACK_OBJECT_ARRAY || grp->via.array.size != 4 ||
				    !u64(&grp->via.array.ptr[0], &t) ||
				    !u64(&grp->via.array.ptr[1], &node) ||
				    !u64(&grp->via.array.ptr[2], &gmask))
					continue;
				if (t != clk.t || node != clk.node)
					continue;
				uint64_t f = fill(&grp->via.array.ptr[3], gmask, need, ncols, vals);
				got |= f;
				need &= ~f;
			}
		}
		d = prev;
	}
	return got;
}

void chlog_resolve_free(struct chlog_zone *z)
{
	while (z) {
		struct chlog_zone *n = z->next;
		msgpack_unpacked_destroy(&z->up);
		free(z);
		z = n;
	}
}
