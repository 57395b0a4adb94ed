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
 * of the template store, CSV pieces, the certificates and enrolment
 * messages of a city -> grid chain, the sync protocol's small messages and
 * query strings, view queries, Open311 exports of both nodes, MyLA311
 * rows, config files and SenML packs.  Clocks and keys are pinned, so
 * running it again gives the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>
#include <sodium.h>
#include <sqlite3.h>
#include "fuzz.h"
#include "../../node/blobs.h"
#include "../../node/config.h"
#include "../../node/exchange.h"
#include "../../node/open311.h"
#include "../../node/tickets.h"
#include "../../proto/cert.h"
#include "../../proto/wire.h"

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

/* ------------------------------------------------- enrolment and wire */

/* A key pair from a fixed seed: the same certificates every run. */
static void keypair(uint8_t n, uint8_t pk[CERT_PK_BYTES], uint8_t sk[64])
{
	uint8_t seed[32];
	memset(seed, n, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void make_cert(const char *code, int level, const uint8_t pk[CERT_PK_BYTES],
		      const char *issuer, const uint8_t *isk, struct gm_buf *out)
{
	struct cert c;
	memset(&c, 0, sizeof(c));
	snprintf(c.code, sizeof(c.code), "%s", code);
	snprintf(c.issuer, sizeof(c.issuer), "%s", issuer);
	c.level = (uint8_t)level;
	memcpy(c.pk, pk, CERT_PK_BYTES);
	c.not_before = FUZZ_GEN_WALL_MS / 1000 - 60;
	c.not_after = FUZZ_GEN_WALL_MS / 1000 + 365 * 86400;
	if (cert_encode_tbs(&c, out))
		die("certificate", "out of memory");
	crypto_sign_detached(c.sig, NULL, out->p, out->len, isk);
	cert_finish(out, c.sig);
}

/* The package certs[n]'s parent hands it: the chain above it, the root
 * key, and the street key when a street enrols a grid. */
static void write_package(const char *name, const struct gm_buf *certs, unsigned n,
			  const uint8_t root[CERT_PK_BYTES], const uint8_t *sealed, struct gm_buf *b)
{
	struct enrol_pkg k = { .cert = certs[n].p, .certlen = certs[n].len, .nchain = n,
			       .street_key = sealed,
			       .street_keylen = sealed ? STREET_KEY_SEALED_BYTES : 0 };
	for (unsigned i = 0; i < n; i++) {
		k.chain[i] = certs[n - 1 - i].p;
		k.chainlen[i] = certs[n - 1 - i].len;
	}
	memcpy(k.root_pk, root, CERT_PK_BYTES);
	if (enrol_pkg_encode(&k, b))
		die(name, "out of memory");
	write_file("cert_decode", name, b->p, b->len);
}

/* A city -> district -> street -> grid chain, the grid's request, the
 * packages a street and a district hand out, and the grid's chain file. */
static void write_certs(void)
{
	static const char *const codes[] = { "4401", "440106", FUZZ_STREET, FUZZ_GRID };
	static const char *const names[] = { "city", "district", "street", "grid" };
	uint8_t pk[4][CERT_PK_BYTES], sk[4][64];
	struct gm_buf c[4], b;
	char name[64];
	gm_buf_init(&b);
	for (int i = 0; i < 4; i++) {
		keypair((uint8_t)(i + 1), pk[i], sk[i]);
		gm_buf_init(&c[i]);
		make_cert(codes[i], LEVEL_CITY + i, pk[i], codes[i ? i - 1 : 0], sk[i ? i - 1 : 0],
			  &c[i]);
		snprintf(name, sizeof(name), "seed-cert-%s", names[i]);
		write_file("cert_decode", name, c[i].p, c[i].len);
	}
	struct enrol_req r = { .level = LEVEL_GRID };
	uint8_t sig[CERT_SIG_BYTES];
	snprintf(r.code, sizeof(r.code), "%s", FUZZ_GRID);
	memcpy(r.pk, pk[3], CERT_PK_BYTES);
	if (enrol_req_encode_tbs(&r, &b))
		die("request", "out of memory");
	crypto_sign_detached(sig, NULL, b.p, b.len, sk[3]);
	cert_finish(&b, sig);
	write_file("cert_decode", "seed-request-grid", b.p, b.len);

	/* the street key sealed to the grid: crypto_box_seal is random, so a
	 * stand-in of the same size (the decoder does not open it) */
	uint8_t sealed[STREET_KEY_SEALED_BYTES];
	for (size_t i = 0; i < sizeof(sealed); i++)
		sealed[i] = (uint8_t)(i * 37 + 11);
	write_package("seed-package-grid", c, 3, pk[0], sealed, &b);
	/* the chain file the grid keeps from it */
	struct enrol_pkg k;
	struct gm_buf chain;
	gm_buf_init(&chain);
	if (enrol_pkg_decode(b.p, b.len, &k) ||
	    cert_chain_encode(k.chain, k.chainlen, k.nchain, &chain))
		die("chain", "out of memory");
	enrol_pkg_free(&k);
	write_file("cert_decode", "seed-chain-grid", chain.p, chain.len);
	gm_buf_free(&chain);
	write_package("seed-package-street", c, 2, pk[0], NULL, &b);
	/* a replacement enrolment names the code's earlier key */
	struct enrol_pkg k6 = { .cert = c[3].p, .certlen = c[3].len, .nchain = 1,
				.chain = { c[2].p }, .chainlen = { c[2].len },
				.replaces = pk[1] };
	memcpy(k6.root_pk, pk[0], CERT_PK_BYTES);
	if (enrol_pkg_encode(&k6, &b))
		die("replacement", "out of memory");
	write_file("cert_decode", "seed-package-replacement", b.p, b.len);
	for (int i = 0; i < 4; i++)
		gm_buf_free(&c[i]);
	gm_buf_free(&b);
}

static void write_wire(void)
{
	struct gm_buf b;
	gm_buf_init(&b);
#define WIRE(name, call)                                 \
	do {                                             \
		gm_buf_reset(&b);                        \
		if (call)                                \
			die(name, "out of memory");      \
		write_file("wire_decode", name, b.p, b.len); \
	} while (0)
	struct wire_reg reg = { .code = FUZZ_GRID, .level = LEVEL_GRID, .version = "0.1",
				.lifetime = 300 };
	WIRE("seed-registration", wire_reg_encode(&b, &reg));
	struct wire_hello h = { .code = FUZZ_STREET, .boot = 0x1234567890abcdefull, .head = 17,
				.log_head = 4242 };
	WIRE("seed-hello", wire_hello_encode(&b, &h));
	/* restored from a backup: everything again */
	struct wire_hello h0 = { .code = FUZZ_STREET, .boot = 7 };
	WIRE("seed-hello-resync", wire_hello_encode(&b, &h0));
	struct wire_ack a = { .acked = 4242, .applied = 12, .refused = 0 };
	WIRE("seed-ack", wire_ack_encode(&b, &a));
	struct wire_ack ar = { .acked = -1, .applied = 3, .refused = 1 };
	WIRE("seed-ack-refused", wire_ack_encode(&b, &ar));
	struct wire_blob w = { .have = 65536, .complete = false };
	WIRE("seed-blob-partial", wire_blob_encode(&b, &w));
	struct wire_blob wc = { .have = 1048576, .complete = true };
	WIRE("seed-blob-complete", wire_blob_encode(&b, &wc));
#undef WIRE
	gm_buf_free(&b);
}

/* Query strings as node/link.c writes them (libcoap joins the options with
 * '&'); the first byte picks the node answering: 0 city ... 3 grid. */
static void write_queries(void)
{
	static const char photo[] = "a photo of the overflowing bin";
	uint8_t h[BLOB_HASH_BYTES];
	char hex[BLOB_HEX + 1], q[256];
	crypto_generichash(h, sizeof(h), (const uint8_t *)photo, sizeof(photo) - 1, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	const struct {
		const char *name;
		char node;
		const char *fmt;
	} qs[] = {
		{ "seed-up", 2, "c=" FUZZ_GRID },
		{ "seed-down", 2, "c=" FUZZ_GRID "&a=4242" },
		{ "seed-down-reclaim", 2, "c=" FUZZ_GRID "&a=0&own=1" },
		{ "seed-blob-state", 2, "c=" FUZZ_GRID "&h=%s" },
		{ "seed-blob-get", 2, "c=" FUZZ_GRID "&h=%s&o=65536&n=65536" },
		{ "seed-blob-post", 2, "c=" FUZZ_GRID "&h=%s&o=0&t=1048576" },
		{ "seed-city-down", 0, "c=440106&a=18446744073709551615" },
	};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		q[0] = qs[i].node;
		int n = snprintf(q + 1, sizeof(q) - 1, qs[i].fmt, hex);
		write_file("sync_query", qs[i].name, q, (size_t)n + 1);
	}
}

/* --------------------------------------------------- views and imports */

static void write_views(void)
{
	static const char *const qs[] = {
		"tickets",
		"tickets?by=status",
		"tickets?by=street,category&status=open",
		"tickets?by=grid,major,priority,source&overdue=1&now=1767312000",
		"tickets?by=day&scope=440106012023001&category=01",
		"tickets?by=assignee;status=closed;category=0102",
		"tickets?by=district%2Cstatus&status=dispatched",
		"assets?by=class,state&scope=440106012",
		"assets?by=major,grid&category=0302",
		"kpi",
		"kpi?scope=440106012023002&status=any&now=1767398400",
		"overdue?limit=2&now=1767398400",
		"overdue?scope=440106012023001&category=0104",
	};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "seed-%02zu", i + 1);
		write_file("view_query", name, qs[i], strlen(qs[i]));
	}
}

static void write_open311(struct store *st, const char *name)
{
	char *text = NULL;
	size_t len = 0;
	struct o311_stats stats;
	FILE *f = open_memstream(&text, &len);
	if (!f || open311_export(st, f, &stats) || fclose(f) != 0)
		die("open311 export", store_errmsg(st));
	write_file("open311_import", name, text, len);
	free(text);
}

/* GeoReport v2 requests as another city's server lists them. */
static void write_open311_foreign(void)
{
	static const char foreign[] =
		"[{\"service_request_id\":638344,\"status\":\"closed\",\"status_notes\":"
		"\"Duplicate request.\",\"service_name\":\"Sidewalk and Curb Issues\","
		"\"service_code\":\"0102\",\"description\":null,\"agency_responsible\":null,"
		"\"requested_datetime\":\"2010-04-14T06:37:38-08:00\",\"updated_datetime\":"
		"\"2010-04-14T06:37:38-08:00\",\"expected_datetime\":\"2010-04-15T06:37:38-08:00\","
		"\"address\":\"8TH AVE and JUDAH ST\",\"lat\":37.762221815,\"long\":-122.4651145},"
		"{\"service_request_id\":\"638349\",\"status\":\"open\",\"service_code\":\"0401\","
		"\"description\":\"road collapse\\nnear the school\",\"requested_datetime\":"
		"\"2010-04-19T06:37:38-08:00\",\"lat\":\"37.7\",\"long\":\"-122.4\"}]";
	write_file("open311_import", "seed-foreign", foreign, sizeof(foreign) - 1);
}

/* The file's header, its first rows, and the first row of every status. */
static void write_la311(const char *data)
{
	static const char *const statuses[] = { "Cancelled", "Open", "Pending", "Referred Out" };
	char path[1024], line[8192];
	struct gm_buf head, each;
	bool seen[4] = { false };
	snprintf(path, sizeof(path), "%s/la311-2020-01-requests.csv", data);
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path, "cannot read");
	gm_buf_init(&head);
	gm_buf_init(&each);
	for (int k = 0; fgets(line, sizeof(line), f); k++) {
		if (k <= 4)
			gm_buf_append(&head, line, strlen(line));
		if (k == 0)
			gm_buf_append(&each, line, strlen(line));
		/* srnumber,requesttype,status,...: no quotes before the status */
		const char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
		for (int i = 0; c2 && i < 4; i++) {
			size_t n = strlen(statuses[i]);
			if (!seen[i] && !strncmp(c2 + 1, statuses[i], n) && c2[1 + n] == ',') {
				seen[i] = true;
				gm_buf_append(&each, line, strlen(line));
			}
		}
	}
	fclose(f);
	write_file("la311_import", "seed-head", head.p, head.len);
	write_file("la311_import", "seed-statuses", each.p, each.len);
	gm_buf_free(&head);
	gm_buf_free(&each);
}

static void write_config(void)
{
	struct config c;
	char *text = NULL;
	size_t len = 0;
	config_defaults(&c);
	FILE *f = open_memstream(&text, &len);
	if (!f)
		die("config", "out of memory");
	config_dump(&c, f);
	fclose(f);
	write_file("config_load", "seed-defaults", text, len);
	free(text);
	snprintf(c.listen, sizeof(c.listen), "coaps://0.0.0.0:5684");
	snprintf(c.parent, sizeof(c.parent), "coaps://district.example:5684");
	snprintf(c.log_level, sizeof(c.log_level), "debug");
	snprintf(c.blob_fetch, sizeof(c.blob_fetch), "lazy");
	snprintf(c.dev_listen, sizeof(c.dev_listen), "coaps://[::]:5690");
	c.ack_timeout_ms = 60000;
	c.max_retransmit = 0;
	c.poll_s = 86400;
	c.max_body_kb = 16;
	c.insecure = true;
	f = open_memstream(&text, &len);
	if (!f)
		die("config", "out of memory");
	config_dump(&c, f);
	fclose(f);
	write_file("config_load", "seed-all-set", text, len);
	free(text);
	/* what people write by hand: comments, ':' for '=', a continued value */
	static const char hand[] =
		"; a street office\n[node]\nlisten: coap://127.0.0.1:5683 ; plain for now\n"
		"log_level = info\n\n[sync]\npoll_s = 10\npoll_s =\n  20\n[security]\n"
		"insecure = yes\n";
	write_file("config_load", "seed-by-hand", hand, sizeof(hand) - 1);
}

/* SenML packs of RFC 8428 section 5, in JSON and in CBOR. */
static void write_senml(void)
{
	static const char *const packs[] = {
		"[{\"n\":\"urn:dev:ow:10e2073a01080063\",\"u\":\"Cel\",\"v\":23.1}]",
		"[{\"bn\":\"urn:dev:ow:10e2073a01080063:\",\"n\":\"voltage\",\"u\":\"V\","
		"\"v\":120.1},{\"n\":\"current\",\"u\":\"A\",\"v\":1.2}]",
		"[{\"bn\":\"urn:dev:ow:10e2073a0108006:\",\"bt\":1.276020076001e+09,\"bu\":\"A\","
		"\"bver\":5,\"n\":\"voltage\",\"u\":\"V\",\"v\":120.1},{\"n\":\"current\","
		"\"t\":-5,\"v\":1.2},{\"n\":\"current\",\"t\":-4,\"v\":1.3},{\"n\":\"current\","
		"\"v\":1.7}]",
		"[{\"bn\":\"urn:dev:mac:0024befffe804ff1:\",\"bt\":1767225600,\"bv\":10,\"bs\":100,"
		"\"n\":\"level\",\"u\":\"%RH\",\"v\":5,\"s\":2},{\"n\":\"open\",\"vb\":true},"
		"{\"n\":\"state\",\"vs\":\"ok\",\"t\":-60},{\"n\":\"blob\",\"vd\":\"aGk\"},"
		"{\"n\":\"energy\",\"s\":12.5,\"x\":\"ignored\"}]",
	};
	struct gm_buf b;
	gm_buf_init(&b);
	for (size_t i = 0; i < sizeof(packs) / sizeof(packs[0]); i++) {
		char name[32];
		json_t *j = json_loads(packs[i], 0, NULL);
		if (!j)
			die("senml", "a seed is not JSON");
		snprintf(name, sizeof(name), "seed-%zu.json", i + 1);
		write_file("senml", name, packs[i], strlen(packs[i]));
		fuzz_senml_cbor(j, &b);
		snprintf(name, sizeof(name), "seed-%zu.cbor", i + 1);
		write_file("senml", name, b.p, b.len);
		json_decref(j);
	}
	gm_buf_free(&b);
}

static struct store *open_store(const char *dir)
{
	char err[512];
	struct store *st;
	if (store_open(dir, &st, err, sizeof(err)))
		die(dir, err);
	store_set_wall(st, FUZZ_GEN_WALL_MS + 7200000);
	return st;
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
	if (sodium_init() < 0)
		die("libsodium", "cannot start");
	write_certs();
	write_wire();
	write_queries();
	write_views();
	struct store *t = open_store(tdir);
	write_open311(t, "seed-template");
	store_close(t);
	write_open311(d, "seed-street");
	write_open311_foreign();
	write_la311(data);
	write_config();
	write_senml();

	store_close(g);
	store_close(d);
	gm_buf_free(&b);
	fuzz_rmtree(tmp);
	return 0;
}
