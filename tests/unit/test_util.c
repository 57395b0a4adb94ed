/* test_util.c - shared helpers for the unit tests. */
#include <ctype.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test_util.h"
#include "../../node/exchange.h"
#include "../../sync/digest.h"

static char base[256];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void t_cleanup_dirs(void)
{
	if (base[0] && !getenv("GM_KEEP_TMP"))
		nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *t_tmpdir(const char *name)
{
	static char buf[8][512];
	static unsigned k, seq;
	if (!base[0]) {
		snprintf(base, sizeof(base), "%s/gridmesh-unit-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(base)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s-%u", base, name, ++seq);
	return buf[k];
}

const char *t_refdir(void)
{
	const char *d = getenv("GRIDMESH_DATA");
	return d ? d : t_srcpath("data");
}

const char *t_srcpath(const char *rel)
{
	static char buf[4][1024];
	static unsigned k;
	const char *top = getenv("GM_TOP");
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", top && *top ? top : ".", rel);
	return buf[k];
}

uint8_t *t_read_hex(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	uint8_t *out = NULL;
	size_t n = 0, cap = 0;
	int half = -1;
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (char *p = line; *p; p++) {
			if (isspace((unsigned char)*p))
				continue;
			if (!isxdigit((unsigned char)*p))
				goto out_bad;
			int d = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
			if (half < 0) {
				half = d;
				continue;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				uint8_t *no = realloc(out, cap);
				if (!no)
					goto out_bad;
				out = no;
			}
			out[n++] = (uint8_t)(half << 4 | d);
			half = -1;
		}
	}
	fclose(f);
	if (half >= 0 || !n) {
		free(out);
		return NULL;
	}
	*len = n;
	return out;
out_bad:
	fclose(f);
	free(out);
	return NULL;
}

uint8_t *t_dup(const void *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);
	CU_ASSERT_FATAL(c != NULL);
	if (len)
		memcpy(c, p, len);
	return c;
}

uint64_t t_seed(const char *what, uint64_t dflt)
{
	const char *s = getenv("GM_SEED");
	uint64_t seed = s && *s ? strtoull(s, NULL, 0) : dflt;
	fprintf(stderr, "\n  [%s: seed %llu; GM_SEED=%llu repeats it] ", what,
		(unsigned long long)seed, (unsigned long long)seed);
	return seed;
}

uint64_t t_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t t_randn(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(t_rand(s) % n) : 0;
}

struct store *t_store(enum level level, const char *code)
{
	struct store *st = NULL;
	char err[512];
	enum gm_err e = store_create(t_tmpdir(code), level, code, t_refdir(), &st, err, sizeof(err));
	if (e)
		fprintf(stderr, "t_store: %s\n", err);
	CU_ASSERT_FATAL(e == GM_OK);
	return st;
}

static enum gm_err put_one(struct store *st, const struct store_write *w, uint64_t *t)
{
	enum gm_err e = store_begin(st);
	if (e)
		return e;
	e = store_put(st, w, t);
	if (e) {
		store_rollback(st);
		return e;
	}
	return store_commit(st);
}

enum gm_err t_put(struct store *st, enum table_id tab, const char *key, const char *scope,
		  int mode, uint64_t *t, ...)
{
	const struct table_def *td = schema_table(tab);
	uint8_t cols[ROWCLK_MAX_COLS];
	struct gm_value vals[ROWCLK_MAX_COLS];
	unsigned n = 0;
	const char *name;
	va_list ap;

	va_start(ap, t);
	while ((name = va_arg(ap, const char *)) != NULL) {
		struct gm_value v = va_arg(ap, struct gm_value);
		int j = schema_col(td, name, strlen(name));
		CU_ASSERT_FATAL(j >= 0 && n < ROWCLK_MAX_COLS);
		cols[n] = (uint8_t)j;
		vals[n++] = v;
	}
	va_end(ap);
	struct store_write w = {
		.tab = td, .key = key, .scope = scope, .nset = n, .cols = cols, .vals = vals,
		.actor = "tester", .mode = mode,
	};
	return put_one(st, &w, t);
}

enum gm_err t_del(struct store *st, enum table_id tab, const char *key)
{
	struct store_write w = { .tab = schema_table(tab), .key = key, .del = true,
				 .actor = "tester", .mode = W_UPDATE };
	return put_one(st, &w, NULL);
}

const struct gm_value *t_val(const struct store_rec *r, const char *col)
{
	int j = schema_col(r->tab, col, strlen(col));
	CU_ASSERT_FATAL(j >= 0);
	return &r->vals[j];
}

const char *t_digest(struct store *st, const char *scope)
{
	static char hex[4][2 * DIGEST_BYTES + 1];
	static unsigned k;
	uint8_t d[DIGEST_BYTES];
	k = (k + 1) % 4;
	CU_ASSERT_FATAL(store_digest(st, scope, d, NULL) == GM_OK);
	digest_hex(d, hex[k]);
	return hex[k];
}

struct exchange_in t_sync(struct store *from, struct store *to)
{
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	struct exchange_out out;
	struct exchange_in in;
	struct gm_buf b;
	gm_buf_init(&b);
	CU_ASSERT_FATAL(store_seal(from, 0, NULL) == GM_OK);
	CU_ASSERT_FATAL(exchange_collect(from, 0, &bf, NULL, 0, &b, &out) == GM_OK);
	CU_ASSERT_FATAL(exchange_apply(to, b.p, b.len, LINK_IMPORT, b.len, &in) == GM_OK);
	gm_buf_free(&b);
	return in;
}

void t_add_suite(const char *name, const struct t_case *tests)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);
	for (; s && tests->name; tests++)
		CU_add_test(s, tests->name, tests->fn);
}
