/*
 * test_sync.c - the merge rule (lww_decide), packed row clocks and the
 * state digest, on their own (no store).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_util.h"
#include "../../sync/lww.h"
#include "../../sync/digest.h"

void t_init_sync_tests(void);

#define HOME 1001
#define OTHER 2002

static struct clk C(uint64_t t, uint64_t node)
{
	struct clk c = { t, node };
	return c;
}

static const struct clk NOCLK = { 0, 0 };

/* A 4-column row whose fields were written at t 10, 20, 30 and never. */
static void row(struct rowclk *rc)
{
	rowclk_init(rc, 4);
	rc->c[0] = C(10, HOME);
	rc->c[1] = C(20, HOME);
	rc->c[2] = C(30, OTHER);
}

static void t_lww_newer_older_equal(void)
{
	struct rowclk rc;
	struct lww_out out;
	row(&rc);

	/* newer than every field: takes them all, including the unset one */
	struct lww_in in = { C(40, HOME), 0xf, false };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT_EQUAL(out.won, 0xf);
	CU_ASSERT(out.changed);
	CU_ASSERT(!out.deleted);

	/* between: takes only the fields older than it */
	in = (struct lww_in){ C(25, HOME), 0xf, false };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT_EQUAL(out.won, 0xb);   /* 0, 1 and the never-written 3 */

	/* older than the fields it sets: ignored */
	in = (struct lww_in){ C(5, HOME), 0x7, false };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT_EQUAL(out.won, 0);
	CU_ASSERT(!out.changed);

	/* the same clock again is the same write: nothing to do */
	in = (struct lww_in){ C(20, HOME), 0x2, false };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT_EQUAL(out.won, 0);
	CU_ASSERT(!out.changed);

	/* only the fields in the mask are considered */
	in = (struct lww_in){ C(99, HOME), 0x4, false };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT_EQUAL(out.won, 0x4);

	/* an empty mask (a comment) changes no field */
	in = (struct lww_in){ C(99, HOME), 0, false };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT_EQUAL(out.won, 0);
	CU_ASSERT(!out.changed);
}

static void t_lww_tie_break(void)
{
	struct rowclk rc;
	struct lww_out out;
	row(&rc);
	/* same timestamp as field 1 (node HOME): a higher node id wins ... */
	struct lww_in in = { C(20, OTHER), 0x2, false };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT_EQUAL(out.won, 0x2);
	/* ... a lower one loses */
	in = (struct lww_in){ C(30, HOME), 0x4, false };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT_EQUAL(out.won, 0);

	/* whichever arrives first, both replicas keep the same winner */
	struct rowclk a, b;
	rowclk_init(&a, 1);
	rowclk_init(&b, 1);
	struct lww_in x = { C(50, HOME), 1, false }, y = { C(50, OTHER), 1, false };
	lww_decide(&a, NOCLK, &x, &out);
	if (out.won)
		a.c[0] = x.clk;
	lww_decide(&a, NOCLK, &y, &out);
	if (out.won)
		a.c[0] = y.clk;
	lww_decide(&b, NOCLK, &y, &out);
	if (out.won)
		b.c[0] = y.clk;
	lww_decide(&b, NOCLK, &x, &out);
	if (out.won)
		b.c[0] = x.clk;
	CU_ASSERT_EQUAL(clk_cmp(a.c[0], b.c[0]), 0);
	CU_ASSERT_EQUAL(a.c[0].node, OTHER);
}

static void t_lww_delete(void)
{
	struct rowclk rc;
	struct lww_out out;
	row(&rc);

	/* a delete of a live record: tombstone at its clock, however old */
	struct lww_in in = { C(15, HOME), 0, true };
	lww_decide(&rc, NOCLK, &in, &out);
	CU_ASSERT(out.deleted);
	CU_ASSERT(out.changed);
	CU_ASSERT_EQUAL(clk_cmp(out.del, C(15, HOME)), 0);
	CU_ASSERT_EQUAL(out.won, 0);

	/* delete wins over a later update */
	struct clk del = C(15, HOME);
	in = (struct lww_in){ C(1000, OTHER), 0xf, false };
	lww_decide(&rc, del, &in, &out);
	CU_ASSERT(out.deleted);
	CU_ASSERT_EQUAL(out.won, 0);
	CU_ASSERT(!out.changed);
	CU_ASSERT_EQUAL(clk_cmp(out.del, del), 0);

	/* and over an earlier one */
	in = (struct lww_in){ C(12, OTHER), 0x1, false };
	lww_decide(&rc, del, &in, &out);
	CU_ASSERT(out.deleted);
	CU_ASSERT_EQUAL(out.won, 0);

	/* concurrent deletes keep the greatest clock, in either order */
	in = (struct lww_in){ C(17, OTHER), 0, true };
	lww_decide(&rc, del, &in, &out);
	CU_ASSERT(out.changed);
	CU_ASSERT_EQUAL(clk_cmp(out.del, C(17, OTHER)), 0);
	in = (struct lww_in){ C(15, HOME), 0, true };
	lww_decide(&rc, C(17, OTHER), &in, &out);
	CU_ASSERT(!out.changed);
	CU_ASSERT_EQUAL(clk_cmp(out.del, C(17, OTHER)), 0);
	/* same timestamp: node id decides */
	in = (struct lww_in){ C(15, OTHER), 0, true };
	lww_decide(&rc, del, &in, &out);
	CU_ASSERT(out.changed);
	CU_ASSERT_EQUAL(clk_cmp(out.del, C(15, OTHER)), 0);
	/* the same delete again is a no-op */
	in = (struct lww_in){ C(15, HOME), 0, true };
	lww_decide(&rc, del, &in, &out);
	CU_ASSERT(!out.changed);
}

static void t_lww_seen(void)
{
	struct rowclk rc;
	row(&rc);
	CU_ASSERT_EQUAL(lww_seen(&rc, 0x1), 10);
	CU_ASSERT_EQUAL(lww_seen(&rc, 0x3), 20);
	CU_ASSERT_EQUAL(lww_seen(&rc, 0xf), 30);
	CU_ASSERT_EQUAL(lww_seen(&rc, 0x8), 0);
	CU_ASSERT_EQUAL(lww_seen(&rc, 0), 0);
}

/* ------------------------------------------------------------ row clocks */

static void assert_rowclk_eq(const struct rowclk *a, const struct rowclk *b)
{
	CU_ASSERT_EQUAL_FATAL(a->ncols, b->ncols);
	for (unsigned j = 0; j < a->ncols; j++)
		CU_ASSERT_EQUAL(clk_cmp(a->c[j], b->c[j]), 0);
}

static void t_rowclk_forms(void)
{
	struct rowclk rc, back;
	uint8_t blob[ROWCLK_MAX_BLOB];
	size_t n;
	const uint64_t t = 0x0123456789abcdefull;

	/* nothing written: one byte */
	rowclk_init(&rc, 13);
	n = rowclk_encode(&rc, HOME, blob);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT(rowclk_decode(blob, n, 13, HOME, &back));
	assert_rowclk_eq(&rc, &back);

	/* one clock by the home node on some columns: bitmap form, 12 bytes */
	for (unsigned j = 0; j < 13; j += 2)
		rc.c[j] = C(t, HOME);
	n = rowclk_encode(&rc, HOME, blob);
	CU_ASSERT_EQUAL(n, 1 + 9 + 2);
	CU_ASSERT_EQUAL(blob[0], 1);
	CU_ASSERT_EQUAL(blob[9], 0);          /* node tag: home */
	CU_ASSERT_EQUAL(blob[10], 0x55);      /* columns 0, 2, 4, 6 */
	CU_ASSERT_EQUAL(blob[11], 0x15);      /* columns 8, 10, 12 */
	CU_ASSERT(rowclk_decode(blob, n, 13, HOME, &back));
	assert_rowclk_eq(&rc, &back);

	/* the same clock from a foreign node: its id travels, 8 more bytes */
	for (unsigned j = 0; j < 13; j += 2)
		rc.c[j] = C(t, OTHER);
	n = rowclk_encode(&rc, HOME, blob);
	CU_ASSERT_EQUAL(n, 1 + 17 + 2);
	CU_ASSERT_EQUAL(blob[9], 1);
	CU_ASSERT(rowclk_decode(blob, n, 13, HOME, &back));
	assert_rowclk_eq(&rc, &back);
	CU_ASSERT_EQUAL(back.c[0].node, OTHER);
	/* decoded against another home, a home tag means that other home */
	rc.c[1] = C(t + 1, HOME);
	n = rowclk_encode(&rc, HOME, blob);
	CU_ASSERT(rowclk_decode(blob, n, 13, 77, &back));
	CU_ASSERT_EQUAL(back.c[1].node, 77);
	CU_ASSERT_EQUAL(back.c[0].node, OTHER);

	/* several clocks: one index byte per column */
	rowclk_init(&rc, 13);
	rc.c[0] = C(100, HOME);
	rc.c[3] = C(200, OTHER);
	rc.c[4] = C(100, HOME);
	rc.c[12] = C(300, 999);
	n = rowclk_encode(&rc, HOME, blob);
	CU_ASSERT_EQUAL(n, 1 + 9 + 17 + 17 + 13);
	CU_ASSERT_EQUAL(blob[0], 3);
	CU_ASSERT(rowclk_decode(blob, n, 13, HOME, &back));
	assert_rowclk_eq(&rc, &back);

	/* every column its own clock, at the widest table */
	rowclk_init(&rc, ROWCLK_MAX_COLS);
	for (unsigned j = 0; j < ROWCLK_MAX_COLS; j++)
		rc.c[j] = C(1000 + j, j % 2 ? OTHER : HOME);
	n = rowclk_encode(&rc, HOME, blob);
	CU_ASSERT(n <= ROWCLK_MAX_BLOB);
	CU_ASSERT(rowclk_decode(blob, n, ROWCLK_MAX_COLS, HOME, &back));
	assert_rowclk_eq(&rc, &back);

	/* a blob written when the table had fewer columns: the new ones unset */
	rowclk_init(&rc, 5);
	rc.c[0] = C(5, HOME);
	rc.c[4] = C(5, HOME);
	n = rowclk_encode(&rc, HOME, blob);
	CU_ASSERT(rowclk_decode(blob, n, 13, HOME, &back));
	CU_ASSERT_EQUAL(back.ncols, 13);
	CU_ASSERT_EQUAL(back.c[4].t, 5);
	CU_ASSERT(clk_zero(back.c[5]));
	rc.c[1] = C(6, OTHER);
	n = rowclk_encode(&rc, HOME, blob);
	CU_ASSERT(rowclk_decode(blob, n, 13, HOME, &back));
	CU_ASSERT_EQUAL(back.c[1].node, OTHER);
	CU_ASSERT(clk_zero(back.c[12]));

	/* no blob at all: a row never written */
	CU_ASSERT(rowclk_decode(NULL, 0, 13, HOME, &back));
	CU_ASSERT(clk_zero(back.c[0]));
}

static void t_rowclk_garbage(void)
{
	struct rowclk rc, back;
	uint8_t blob[ROWCLK_MAX_BLOB + 8];
	size_t n;

	rowclk_init(&rc, 13);
	rc.c[0] = C(100, HOME);
	rc.c[3] = C(200, OTHER);
	n = rowclk_encode(&rc, HOME, blob);

	/* every truncation of a several-clock blob */
	for (size_t k = 1; k < n; k++) {
		uint8_t *c = t_dup(blob, k);
		bool ok = rowclk_decode(c, k, 13, HOME, &back);
		/* a cut inside the clocks must fail; a cut in the index part may be
		 * an older, shorter row, but never gives clocks that were not there */
		if (k < 1 + 9 + 17)
			CU_ASSERT(!ok);
		free(c);
	}
	static const struct {
		uint8_t b[24];
		size_t n;
		unsigned ncols;
	} bad[] = {
		{ { 61 }, 1, 13 },                                    /* more clocks than columns */
		{ { 0, 0 }, 2, 13 },                                  /* no clocks, trailing byte */
		{ { 1, 1, 0, 0, 0, 0, 0, 0, 0, 2 }, 10, 13 },         /* node tag 2 */
		{ { 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 7 }, 11, 13 },      /* foreign id cut short */
		{ { 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 }, 13, 13 },/* bitmap too long */
		{ { 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2 }, 22, 13 },
		{ { 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 11, 61 },      /* table too wide */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *c = t_dup(bad[i].b, bad[i].n);
		bool ok = rowclk_decode(c, bad[i].n, bad[i].ncols, HOME, &back);
		if (ok)
			fprintf(stderr, "\n  garbage blob %zu decoded", i);
		CU_ASSERT(!ok);
		free(c);
	}
	/* random bytes: never a crash, and an index never points past the clocks */
	uint64_t rs = t_seed("rowclk garbage", 99);
	for (int r = 0; r < 5000; r++) {
		size_t len = 1 + t_randn(&rs, 80);
		uint8_t *c = malloc(len);
		CU_ASSERT_FATAL(c != NULL);
		for (size_t k = 0; k < len; k++)
			c[k] = (uint8_t)t_rand(&rs);
		if (r % 2)
			c[0] = (uint8_t)(t_randn(&rs, 4));   /* plausible clock counts */
		if (rowclk_decode(c, len, 13, HOME, &back))
			CU_ASSERT_EQUAL(back.ncols, 13);
		free(c);
	}
}

/* ---------------------------------------------------------------- digest */

struct drec {
	const char *table, *key, *scope;
	struct gm_value vals[3];
	struct rowclk rc;
	struct clk del;
};

static void digest_of(const struct drec *r, size_t n, uint8_t out[DIGEST_BYTES])
{
	struct digest d;
	digest_init(&d);
	for (size_t i = 0; i < n; i++)
		digest_record(&d, r[i].table, r[i].key, strlen(r[i].key), r[i].scope,
			      strlen(r[i].scope), r[i].vals, &r[i].rc, r[i].del);
	CU_ASSERT_EQUAL(d.nrecords, n);
	digest_final(&d, out);
}

static void drecs(struct drec r[3])
{
	memset(r, 0, 3 * sizeof(*r));
	for (int i = 0; i < 3; i++) {
		r[i].table = "household";
		r[i].scope = "440106012001001";
		rowclk_init(&r[i].rc, 3);
		for (int j = 0; j < 3; j++)
			r[i].rc.c[j] = C(100 + (uint64_t)(i * 3 + j), HOME);
	}
	r[0].key = "H1";
	r[1].key = "H2";
	r[2].key = "H3";
	r[0].vals[0] = gm_text("3-501");
	r[0].vals[1] = gm_text("Li");
	r[0].vals[2] = gm_nil();
	r[1].vals[0] = gm_text("3-502");
	r[1].vals[1] = gm_int(7);
	r[1].vals[2] = gm_real(2.5);
	r[2].vals[0] = gm_textn("", 0);
	r[2].vals[1] = gm_nil();
	r[2].vals[2] = gm_text("x");
}

static void t_digest_rules(void)
{
	struct drec r[3], m[3];
	uint8_t base[DIGEST_BYTES], d[DIGEST_BYTES];

	drecs(r);
	digest_of(r, 3, base);
	digest_of(r, 3, d);
	CU_ASSERT(memcmp(base, d, DIGEST_BYTES) == 0);

	/* every value, every clock's time and node, each changes the digest */
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++) {
			struct gm_value alts[] = { gm_nil(), gm_int(0), gm_real(0.0), gm_textn("", 0),
						   gm_text("3-501"), gm_int(7), gm_real(2.5) };
			for (size_t a = 0; a < sizeof(alts) / sizeof(alts[0]); a++) {
				memcpy(m, r, sizeof(m));
				if (gm_value_eq(&m[i].vals[j], &alts[a]))
					continue;
				m[i].vals[j] = alts[a];
				digest_of(m, 3, d);
				CU_ASSERT(memcmp(base, d, DIGEST_BYTES) != 0);
			}
			memcpy(m, r, sizeof(m));
			m[i].rc.c[j].t++;
			digest_of(m, 3, d);
			CU_ASSERT(memcmp(base, d, DIGEST_BYTES) != 0);
			memcpy(m, r, sizeof(m));
			m[i].rc.c[j].node = OTHER;
			digest_of(m, 3, d);
			CU_ASSERT(memcmp(base, d, DIGEST_BYTES) != 0);
		}
		/* key, scope, tombstone */
		memcpy(m, r, sizeof(m));
		m[i].key = "H9";
		digest_of(m, 3, d);
		CU_ASSERT(memcmp(base, d, DIGEST_BYTES) != 0);
		memcpy(m, r, sizeof(m));
		m[i].scope = "440106012001002";
		digest_of(m, 3, d);
		CU_ASSERT(memcmp(base, d, DIGEST_BYTES) != 0);
		memcpy(m, r, sizeof(m));
		m[i].del = C(500, HOME);
		digest_of(m, 3, d);
		CU_ASSERT(memcmp(base, d, DIGEST_BYTES) != 0);
	}
	/* a missing record, an extra one */
	digest_of(r, 2, d);
	CU_ASSERT(memcmp(base, d, DIGEST_BYTES) != 0);
	/* record boundaries count: ("ab","c") is not ("a","bc") */
	memcpy(m, r, sizeof(m));
	m[0].table = "householdH";
	m[0].key = "1";
	digest_of(m, 3, d);
	CU_ASSERT(memcmp(base, d, DIGEST_BYTES) != 0);
	/* a tombstone hashes no values: whatever the row held, same digest */
	memcpy(m, r, sizeof(m));
	m[1].del = C(500, HOME);
	uint8_t d1[DIGEST_BYTES];
	digest_of(m, 3, d1);
	m[1].vals[0] = gm_text("something else");
	m[1].rc.c[2] = C(1, 1);
	digest_of(m, 3, d);
	CU_ASSERT(memcmp(d1, d, DIGEST_BYTES) == 0);
	/* hex form */
	char hex[2 * DIGEST_BYTES + 1];
	digest_hex(base, hex);
	CU_ASSERT_EQUAL(strlen(hex), 64);
	CU_ASSERT(strspn(hex, "0123456789abcdef") == 64);
}

void t_init_sync_tests(void)
{
	static const struct t_case cases[] = {
		{ "lww: newer wins, older ignored, equal no-op", t_lww_newer_older_equal },
		{ "lww: equal time broken by node id", t_lww_tie_break },
		{ "lww: delete wins, concurrent deletes keep max", t_lww_delete },
		{ "lww: seen clock of a write", t_lww_seen },
		{ "rowclk: round trip of every form", t_rowclk_forms },
		{ "rowclk: garbage is refused", t_rowclk_garbage },
		{ "digest: stable and sensitive to every part", t_digest_rules },
		{ NULL, NULL },
	};
	t_add_suite("sync", cases);
}
