/*
 * gen_corpus - writes the seed corpora of the fuzz harnesses with the real
 * encoders, so every seed is a well-formed input the fuzzer can mutate
 * from deep inside the decoders.
 *
 *   gen_corpus DATADIR OUTDIR      (make fuzz-corpus: data tests/fuzz)
 *
 * A grid node (440106012023001) records tickets, residents and assets in
 * two phases; its street (440106012) imports phase one and edits the same
 * tickets concurrently with phase two.  Phase one's export is the
 * template the store harnesses start from (OUTDIR/store_template.gmx);
 * the seeds are every batch of both nodes (replays, new changes and
 * conflicting ones for the template), their bundles, the change-log pages
 * of the template store, and CSV pieces.  Clocks are pinned, so running
 * it again gives the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>
#include <sqlite3.h>
#include <sodium.h>
#include "fuzz.h"
#include "../../proto/cert.h"
#include "../../node/exchange.h"
#include "../../node/tickets.h"

static const char *outdir;
static char tmp[256];

__attribute__((noreturn)) static void die(const char *what, const char *why)
{
	fprintf(stderr, "gen_corpus: %s: %s\n", what, why);
	exit(1);
}

static void write_file(const char *harness, const char *name, const void *p, size_t len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", outdir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0)
		die(path, "cannot write");
}

/* mpscan_check's inputs start with a byte that picks the depth limit */
static void write_mpscan(const char *name, const void *p, size_t len)
{
	uint8_t *buf = malloc(len + 1);
	if (!buf)
		die(name, "out of memory");
	buf[0] = 8;
	memcpy(buf + 1, p, len);
	write_file("mpscan_check", name, buf, len + 1);
	free(buf);
}

static struct store *make_store(const char *name, enum level lv, const char *code,
				const char *data)
{
	char dir[512], err[512];
	struct store *st;
	snprintf(dir, sizeof(dir), "%s/%s", tmp, name);
	if (store_create(dir, lv, code, data, &st, err, sizeof(err)))
		die(name, err);
	return st;
}

static void put(struct store *st, unsigned tid, const char *key, const char *scope,
		const char *note, bool del, const char *const *kv)
{
	if (fuzz_put(st, tid, key, scope, note, del, kv))
		die(key, store_errmsg(st));
}

static const char *tid(const char *code, int n)
{
	static char buf[4][64];
	static int k;
	k = (k + 1) % 4;
	ticket_id_format(buf[k], sizeof(buf[k]), code, n);
	return buf[k];
}

static void seal(struct store *st)
{
	/* small batches: more seeds, several groups and tables per batch */
	if (store_seal(st, 6, NULL))
		die("seal", store_errmsg(st));
}

static void grid_phase1(struct store *g)
{
	static const char *const cats[] = { "0101", "0102", "0203", "0305", "0412" };
	static const char *const titles[] = {
		"overflowing bin at gate 3", "暴露垃圾：小区东门", "street light out, lane 5",
		"manhole cover missing \"urgent\"", "graffiti, wall by the school",
	};
	for (int i = 1; i <= 10; i++) {
		char lat[32], lon[32], pri[8];
		snprintf(lat, sizeof(lat), "23.%04d", 1200 + i * 7);
		snprintf(lon, sizeof(lon), "113.%04d", 2600 + i * 11);
		snprintf(pri, sizeof(pri), "%d", 1 + i % 5);
		const char *kv[] = { "category", cats[i % 5], "title", titles[i % 5], "status",
				     "reported", "lat", lat, "lon", lon, "priority", pri, "source",
				     "grid_worker", "created", "1767225600", NULL };
		put(g, T_TICKET, tid(FUZZ_GRID, i), NULL, NULL, false, kv);
	}
	static const char *const h1[] = { "address", "3-201 Liwan Rd", "head", "Chen Jie", NULL };
	static const char *const p1[] = { "household", "h1", "name", "陈杰", "sex", "M",
					  "birth_year", "1948", "id_card", "440106194801010011",
					  "phone", "13900000001", "tags", "elderly_alone", NULL };
	static const char *const p2[] = { "household", "h1", "name", "Li Na", "sex", "F",
					  "birth_year", "1990", NULL };
	static const char *const a1[] = { "code", "0101", "name", "water meter", "state", "normal",
					  "lat", "23.13", "lon", "113.26", "attrs",
					  "{\"make\":\"x\"}", NULL };
	static const char *const a2[] = { "code", "0302", "name", "lamp post 17", "state",
					  "damaged", "inspected", "1767225600", NULL };
	put(g, T_HOUSEHOLD, "h1", NULL, "moved in 2020", false, h1);
	put(g, T_PERSON, "p1", NULL, NULL, false, p1);
	put(g, T_PERSON, "p2", NULL, NULL, false, p2);
	put(g, T_ASSET, "440106010100001", NULL, NULL, false, a1);
	put(g, T_ASSET, "440106030200017", NULL, NULL, false, a2);
	static const char *const u1[] = { "status", "registered", NULL };
	static const char *const u2[] = { "status", "registered", "assignee", "sanitation", NULL };
	put(g, T_TICKET, tid(FUZZ_GRID, 1), NULL, "seen it", false, u1);
	put(g, T_TICKET, tid(FUZZ_GRID, 2), NULL, "calling sanitation", false, u2);
	seal(g);
}

static void grid_phase2(struct store *g)
{
	static const char *const u1[] = { "status", "in_progress", NULL };
	static const char *const u2[] = { "title", "overflowing bin at gate 3 (east)", "descr",
					  "two bins, both full", NULL };
	static const char *const pu[] = { "phone", "13900000002", "note", "hearing aid", NULL };
	put(g, T_TICKET, tid(FUZZ_GRID, 1), NULL, "on it", false, u1);
	put(g, T_TICKET, tid(FUZZ_GRID, 2), NULL, NULL, false, u1);
	put(g, T_TICKET, tid(FUZZ_GRID, 3), NULL, NULL, false, u2);
	put(g, T_PERSON, "p1", NULL, NULL, false, pu);
	put(g, T_ASSET, "440106030200017", NULL, "removed by the city", true, NULL);
	put(g, T_PERSON, "p2", NULL, NULL, true, NULL);
	seal(g);
}

static void street_edits(struct store *d)
{
	static const char *const u1[] = { "status", "dispatched", "assignee", "street-roads",
					  "priority", "1", NULL };
	static const char *const t1[] = { "category", "0203", "title", "dispatched by street",
					  "status", "dispatched", "assignee", "grid-team", "deadline",
					  "1767312000", NULL };
	put(d, T_TICKET, tid(FUZZ_GRID, 1), NULL, "street override", false, u1);
	put(d, T_TICKET, tid(FUZZ_GRID, 2), NULL, NULL, false, u1);
	put(d, T_TICKET, tid(FUZZ_GRID, 4), NULL, NULL, false, u1);
	/* a dispatch to the grid is scoped to the grid */
	put(d, T_TICKET, tid(FUZZ_STREET, 1), FUZZ_GRID, NULL, false, t1);
	seal(d);
}

static void export(struct store *st, int64_t after, const char *for_code, struct gm_buf *out,
		   int64_t *upto)
{
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = -1 };
	struct exchange_out res;
	if (exchange_collect(st, after, &bf, for_code, 0, out, &res))
		die("export", store_errmsg(st));
	if (upto)
		*upto = res.upto;
}

static void import(struct store *st, const struct gm_buf *b)
{
	struct exchange_in in;
	if (exchange_apply(st, b->p, b->len, LINK_CHILD0, FUZZ_MAX_BUNDLE, &in) || in.refused ||
	    in.rejected)
		die("import", in.why);
}

struct batches_out {
	const char *prefix;
	int n;
};

/* Every batch this node made itself, into the batch harnesses' corpora. */
static int on_batch(void *ctx, int64_t seq, const uint8_t *body, size_t len)
{
	struct batches_out *bo = ctx;
	struct batch_env env;
	char name[64];
	(void)seq;
	snprintf(name, sizeof(name), "seed-%s-%02d", bo->prefix, ++bo->n);
	write_file("batch_decode", name, body, len);
	write_file("batch_env_decode", name, body, len);
	write_file("store_apply", name, body, len);
	if (bo->n <= 2)
		write_mpscan(name, body, len);
	/* and the payload inside, which mpscan checks before unpacking */
	if (bo->n <= 2 && batch_env_decode(body, len, &env) == GM_OK) {
		uint8_t *raw = malloc(env.rawlen ? env.rawlen : 1);
		size_t got = env.rawlen;
		if (!raw)
			die("payload", "out of memory");
		if (env.comp == BATCH_ZSTD)
			got = ZSTD_decompress(raw, env.rawlen, env.payload, env.paylen);
		else
			memcpy(raw, env.payload, env.rawlen);
		if (!ZSTD_isError(got)) {
			snprintf(name, sizeof(name), "seed-%s-payload-%02d", bo->prefix, bo->n);
			write_mpscan(name, raw, got);
		}
		free(raw);
	}
	return 0;
}

static void write_batches(struct store *st, const char *prefix)
{
	struct batch_filter bf = { .dir = BF_ALL, .exclude_link = LINK_CHILD0 };
	struct batches_out bo = { prefix, 0 };
	if (store_batches(st, 0, &bf, 0, on_batch, &bo))
		die("batches", store_errmsg(st));
}

static void write_bundle(const char *name, const struct gm_buf *b)
{
	write_file("bundle_decode", name, b->p, b->len);
	write_file("exchange_apply", name, b->p, b->len);
}

/* Change-log pages of a store, as the chlog harness takes them: n (2
 * bytes) + body; from `from` on, and the first. */
static void write_pages(const char *dir, const char *prefix, int from)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *s;
	int k = 0;
	snprintf(path, sizeof(path), "%s/%s/%s", tmp, dir, STORE_DB_NAME);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT n, body FROM changes ORDER BY page", -1, &s, NULL))
		die(path, sqlite3_errmsg(db));
	while (sqlite3_step(s) == SQLITE_ROW) {
		int n = sqlite3_column_int(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		uint8_t *buf = malloc(len + 2);
		char name[64];
		if (!buf)
			die("page", "out of memory");
		buf[0] = (uint8_t)(n & 0xff);
		buf[1] = (uint8_t)(n >> 8);
		memcpy(buf + 2, sqlite3_column_blob(s, 1), len);
		snprintf(name, sizeof(name), "seed-%s-page-%02d", prefix, ++k);
		if (k == 1 || k >= from)
			write_file("chlog", name, buf, len + 2);
		if (k == 1)
			write_mpscan(name, buf + 2, len);
		free(buf);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
}

/* Reference CSV pieces and hand-made quoting cases for csvread. */
static void write_csv(const char *data)
{
	static const struct { const char *file; int lines; } pieces[] = {
		{ "gbt30428-events.csv", 12 },
		{ "gbt30428-components.csv", 6 },
		{ "la311-2020-01-requests.csv", 3 },
	};
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		char path[1024], line[8192], name[64];
		struct gm_buf b;
		snprintf(path, sizeof(path), "%s/%s", data, pieces[i].file);
		FILE *f = fopen(path, "rb");
		if (!f)
			die(path, "cannot read");
		gm_buf_init(&b);
		for (int k = 0; k < pieces[i].lines && fgets(line, sizeof(line), f); k++)
			gm_buf_append(&b, line, strlen(line));
		fclose(f);
		snprintf(name, sizeof(name), "seed-%s", pieces[i].file);
		write_file("csvread", name, b.p, b.len);
		gm_buf_free(&b);
	}
	static const char quoted[] =
		"code,title,note\r\n"
		"0101,\"bin, overflowing\",\"said \"\"urgent\"\"\"\r\n"
		"0102,\"two\nlines\",\r\n"
		",,\r\n"
		"0103,\"unterminated";
	write_file("csvread", "seed-quoting", quoted, sizeof(quoted) - 1);
	char wide[400];
	size_t n = 0;
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(wide + n, sizeof(wide) - n, "%s%d", i ? "," : "", i);
	wide[n++] = '\n';
	write_file("csvread", "seed-too-wide", wide, n);
}

/* enrol_decode's inputs start with a byte that picks the decoder */
static void write_enrol(const char *name, uint8_t which, const struct gm_buf *b)
{
	uint8_t *buf = malloc(b->len + 1);
	if (!buf)
		die(name, "out of memory");
	buf[0] = which;
	memcpy(buf + 1, b->p, b->len);
	write_file("enrol_decode", name, buf, b->len + 1);
	free(buf);
}

/* A certificate of code (level lv) for the key of `seed`, signed with signer_sk. */
static void make_cert(const char *code, uint8_t lv, uint8_t seed, const char *issuer,
		      const uint8_t *signer_sk, struct gm_buf *out)
{
	struct cert c;
	uint8_t s[crypto_sign_SEEDBYTES], sk[crypto_sign_SECRETKEYBYTES];
	memset(&c, 0, sizeof(c));
	memset(s, seed, sizeof(s));
	crypto_sign_seed_keypair(c.pk, sk, s);
	snprintf(c.code, sizeof(c.code), "%s", code);
	snprintf(c.issuer, sizeof(c.issuer), "%s", issuer);
	c.level = lv;
	c.not_before = FUZZ_GEN_WALL_MS / 1000;
	c.not_after = c.not_before + 365 * 86400;
	if (cert_encode_tbs(&c, out))
		die(code, "certificate");
	crypto_sign_detached(c.sig, NULL, out->p, out->len, signer_sk ? signer_sk : sk);
	cert_finish(out, c.sig);
}

/* Enrolment messages from deterministic keys: the same bytes every run. */
static void enrol_seeds(void)
{
	struct gm_buf city, street, grid, b;
	uint8_t s[crypto_sign_SEEDBYTES], pk[CERT_PK_BYTES], csk[crypto_sign_SECRETKEYBYTES],
		ssk[crypto_sign_SECRETKEYBYTES], gsk[crypto_sign_SECRETKEYBYTES];
	uint8_t sealed[STREET_KEY_SEALED_BYTES], old[CERT_PK_BYTES];
	gm_buf_init(&city);
	gm_buf_init(&street);
	gm_buf_init(&grid);
	gm_buf_init(&b);
	memset(s, 1, sizeof(s));
	crypto_sign_seed_keypair(pk, csk, s);
	memset(s, 3, sizeof(s));
	crypto_sign_seed_keypair(pk, ssk, s);
	memset(s, 4, sizeof(s));
	crypto_sign_seed_keypair(pk, gsk, s);
	make_cert("4401", 1, 1, "4401", NULL, &city);
	make_cert(FUZZ_STREET, 3, 3, "440106", csk, &street);
	make_cert(FUZZ_GRID, 4, 4, FUZZ_STREET, ssk, &grid);
	write_enrol("seed-cert", 0, &grid);
	write_enrol("seed-cert-city", 0, &city);
	struct enrol_req r = { .level = 4 };
	snprintf(r.code, sizeof(r.code), "%s", FUZZ_GRID);
	memcpy(r.pk, pk, CERT_PK_BYTES);
	if (enrol_req_encode_tbs(&r, &b))
		die("request", "encode");
	crypto_sign_detached(r.sig, NULL, b.p, b.len, gsk);
	cert_finish(&b, r.sig);
	write_enrol("seed-request", 1, &b);
	struct enrol_pkg k = { .cert = grid.p, .certlen = grid.len, .nchain = 2,
			       .chain = { street.p, city.p }, .chainlen = { street.len, city.len } };
	memset(k.root_pk, 1, CERT_PK_BYTES);
	memset(sealed, 5, sizeof(sealed));
	k.street_key = sealed;
	k.street_keylen = sizeof(sealed);
	if (enrol_pkg_encode(&k, &b))
		die("package", "encode");
	write_enrol("seed-package", 2, &b);
	memset(old, 6, sizeof(old));
	k.replaces = old;
	k.street_key = NULL;
	if (enrol_pkg_encode(&k, &b))
		die("package", "encode");
	write_enrol("seed-package-replacement", 2, &b);
	if (cert_chain_encode(k.chain, k.chainlen, k.nchain, &b))
		die("chain", "encode");
	write_enrol("seed-chain", 3, &b);
	gm_buf_free(&city);
	gm_buf_free(&street);
	gm_buf_free(&grid);
	gm_buf_free(&b);
}

int main(int argc, char **argv)
{
	struct gm_buf b;
	char err[512] = "";
	int64_t cursor;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_corpus DATADIR OUTDIR\n");
		return 2;
	}
	const char *data = argv[1];
	outdir = argv[2];
	snprintf(tmp, sizeof(tmp), "%s/gridmesh-corpus-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp))
		die("mkdtemp", "failed");
	gm_buf_init(&b);

	struct store *g = make_store("grid", LEVEL_GRID, FUZZ_GRID, data);
	struct store *d = make_store("street", LEVEL_STREET, FUZZ_STREET, data);
	store_set_wall(g, FUZZ_GEN_WALL_MS);
	store_set_wall(d, FUZZ_GEN_WALL_MS + 600000);

	grid_phase1(g);
	export(g, 0, NULL, &b, &cursor);
	char path[1024];
	snprintf(path, sizeof(path), "%s/store_template.gmx", outdir);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b.p, 1, b.len, f) != b.len || fclose(f) != 0)
		die(path, "cannot write");
	write_bundle("seed-grid-phase1", &b);
	import(d, &b);
	char tdir[512];
	snprintf(tdir, sizeof(tdir), "%s/template", tmp);
	if (fuzz_template_build(tdir, data, b.p, b.len, err, sizeof(err)))
		die("template", err);

	/* phase two on the grid, concurrent with the street's edits */
	store_set_wall(g, FUZZ_GEN_WALL_MS + 300000);
	grid_phase2(g);
	street_edits(d);

	export(g, cursor, NULL, &b, NULL);
	write_bundle("seed-grid-delta", &b);
	export(d, 0, FUZZ_GRID, &b, NULL);
	write_bundle("seed-street-for-grid", &b);
	export(d, 0, NULL, &b, &cursor);
	write_bundle("seed-street-all", &b);
	export(d, cursor, NULL, &b, NULL);
	write_bundle("seed-empty", &b);
	write_mpscan("seed-bundle", b.p, b.len);

	write_batches(g, "grid");
	write_batches(d, "street");
	write_pages("template", "template", 1);
	/* the grid's phase two: entries that keep overwritten values */
	write_pages("grid", "grid", 18);
	write_csv(data);
	enrol_seeds();

	store_close(g);
	store_close(d);
	gm_buf_free(&b);
	fuzz_rmtree(tmp);
	return 0;
}
