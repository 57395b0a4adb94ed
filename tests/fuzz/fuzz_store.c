/* fuzz_store.c - the template store of the store harnesses (see fuzz.h). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../node/exchange.h"
#include "../../node/fileio.h"

#ifndef FUZZ_TOP
#define FUZZ_TOP "."
#endif

static char root[256];
static uint8_t *tmpl_db;
static size_t tmpl_len;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void fuzz_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_root(void)
{
	if (root[0])
		fuzz_rmtree(root);
}

static const char *scratch_root(void)
{
	if (root[0])
		return root;
	/* tmpfs when there is one: the store fsyncs every commit */
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm"
			   : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(root, sizeof(root), "%s/gridmesh-fuzz-XXXXXX", base);
	if (!mkdtemp(root)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(remove_root);
	return root;
}

const char *fuzz_scratch(const char *name)
{
	static char buf[4][512];
	static unsigned k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", scratch_root(), name);
	return buf[k];
}

const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
	const char *path = fuzz_scratch(name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fuzz_fail("cannot write %s", path);
	return path;
}

void fuzz_one_line(const char *msg)
{
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fuzz_fail("a message with control character %#x: %s", *p, msg);
}

void fuzz_on_msg(void *ctx, const char *msg)
{
	(*(unsigned *)ctx)++;
	fuzz_one_line(msg);
}

void fuzz_digest(struct store *st, uint8_t d[32])
{
	uint64_t n;
	if (store_digest(st, NULL, d, &n))
		fuzz_fail("digest: %s", store_errmsg(st));
}

enum gm_err fuzz_put(struct store *st, unsigned tid, const char *key, const char *scope,
		     const char *note, bool del, const char *const *kv)
{
	const struct table_def *tab = schema_table(tid);
	uint8_t cols[ROWCLK_MAX_COLS];
	struct gm_value vals[ROWCLK_MAX_COLS];
	unsigned n = 0;
	enum gm_err e;

	for (; kv && kv[0] && n < ROWCLK_MAX_COLS; kv += 2, n++) {
		int j = schema_col(tab, kv[0], strlen(kv[0]));
		if (j < 0)
			return GM_E_INVAL;
		cols[n] = (uint8_t)j;
		switch (tab->cols[j].type) {
		case GM_INT: vals[n] = gm_int(strtoll(kv[1], NULL, 10)); break;
		case GM_REAL: vals[n] = gm_real(strtod(kv[1], NULL)); break;
		default: vals[n] = gm_text(kv[1]);
		}
	}
	struct store_write w = { .tab = tab, .key = key, .scope = scope, .nset = n, .cols = cols,
				 .vals = vals, .actor = "fuzz", .note = note, .del = del,
				 .mode = W_UPSERT };
	if ((e = store_begin(st)))
		return e;
	if ((e = store_put(st, &w, NULL))) {
		store_rollback(st);
		return e;
	}
	return store_commit(st);
}

enum gm_err fuzz_template_build(const char *dir, const char *datadir, const uint8_t *tmpl,
				size_t len, char *err, size_t errlen)
{
	static const char *const t1[] = { "category", "0101", "title", "street-level: market stall",
					  "status", "reported", "lat", "23.1291", "lon", "113.2644",
					  "priority", "2", NULL };
	static const char *const t2[] = { "category", "0203", "title", "街道：路灯不亮",
					  "status", "registered", "assignee", "lighting", NULL };
	static const char *const u1[] = { "status", "dispatched", "assignee", "street-office",
					  NULL };
	static const char *const p1[] = { "name", "王小明", "sex", "M", "birth_year", "1950",
					  "phone", "13800000000", "tags", "elderly_alone", NULL };
	struct store *st;
	struct exchange_in in;
	enum gm_err e;

	if ((e = store_create(dir, LEVEL_STREET, FUZZ_STREET, datadir, &st, err, errlen)))
		return e;
	store_set_wall(st, FUZZ_GEN_WALL_MS + 7200000);
	if ((e = exchange_apply(st, tmpl, len, LINK_CHILD0, FUZZ_MAX_BUNDLE, &in)))
		goto out_close;
	if (in.refused || in.rejected) {
		snprintf(err, errlen, "template bundle refused: %s", in.why);
		e = GM_E_MALFORMED;
		goto out_close;
	}
	/* local changes left unsealed: store_seal and the history have work */
	if ((e = fuzz_put(st, T_TICKET, FUZZ_STREET "-000001", NULL, NULL, false, t1)) ||
	    (e = fuzz_put(st, T_TICKET, FUZZ_STREET "-000002", NULL, "seen on patrol", false, t2)) ||
	    (e = fuzz_put(st, T_TICKET, FUZZ_GRID "-000001", NULL, NULL, false, u1)) ||
	    (e = fuzz_put(st, T_PERSON, FUZZ_STREET "-p1", NULL, NULL, false, p1)))
		snprintf(err, errlen, "template write: %s", store_errmsg(st));
out_close:
	if (e && !err[0])
		snprintf(err, errlen, "%s", store_errmsg(st));
	store_close(st);
	return e;
}

static void load_template(void)
{
	char err[512] = "";
	uint8_t *bundle;
	size_t blen;
	const char *data = getenv("GRIDMESH_DATA") ? getenv("GRIDMESH_DATA") : FUZZ_TOP "/data";
	const char *dir = fuzz_scratch("template");

	if (fileio_read_all(FUZZ_TOP "/tests/fuzz/store_template.gmx", FUZZ_MAX_BUNDLE, &bundle,
			    &blen, err, sizeof(err)) ||
	    fuzz_template_build(dir, data, bundle, blen, err, sizeof(err))) {
		fuzz_fail("template store: %s", err);
	}
	free(bundle);
	if (fileio_read_all(fuzz_scratch("template/" STORE_DB_NAME), 1u << 30, &tmpl_db, &tmpl_len,
			    err, sizeof(err))) {
		fuzz_fail("template store: %s", err);
	}
}

struct store *fuzz_store_fresh(void)
{
	char err[512];
	struct store *st;
	if (!tmpl_db)
		load_template();
	const char *dir = fuzz_scratch("work");
	mkdir(dir, 0700);
	/* the template's bytes, and no journal left from the last input */
	unlink(fuzz_scratch("work/" STORE_DB_NAME "-wal"));
	unlink(fuzz_scratch("work/" STORE_DB_NAME "-shm"));
	int fd = open(fuzz_scratch("work/" STORE_DB_NAME), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, tmpl_db, tmpl_len) != (ssize_t)tmpl_len || close(fd) != 0) {
		fuzz_fail("copy template: %s", strerror(errno));
	}
	if (store_open(dir, &st, err, sizeof(err))) {
		fuzz_fail("open store: %s", err);
	}
	store_set_wall(st, FUZZ_WALL_MS);
	return st;
}

void fuzz_store_done(struct store *st)
{
	store_close(st);
}
