/*
 * test_netbody.c - block-wise bodies as a lossy link delivers them:
 * duplicates, the first block again after later ones, late blocks of an
 * upload a newer one replaced (Request-Tag), the last block again.
 */
#include <string.h>
#include "test_util.h"
#include "../../node/net.h"

void t_init_netbody_tests(void);

#define BLK 16
#define TOTAL 40        /* three blocks: 16, 16, 8 */

/* Block `num` of an upload of data[0, TOTAL), tagged `tag` (0: no Request-Tag). */
static enum net_body_state add(struct net_body *b, const uint8_t *data, unsigned num,
			       uint8_t tag)
{
	size_t off = (size_t)num * BLK;
	struct net_block k = { .data = data + off, .len = TOTAL - off < BLK ? TOTAL - off : BLK,
			       .offset = off, .total = TOTAL, .rtag = &tag, .rtag_len = 1,
			       .tagged = tag != 0 };
	return net_body_put(b, &k, 1000);
}

static void fill(uint8_t *d, uint8_t seed)
{
	for (unsigned i = 0; i < TOTAL; i++)
		d[i] = (uint8_t)(seed + i);
}

/* Duplicates and a late first block do not lose or restart the body. */
static void t_duplicates(void)
{
	uint8_t a[TOTAL];
	struct net_body b = { .max = 1024 };
	fill(a, 1);
	for (uint8_t tag = 0; tag <= 7; tag += 7) {
		CU_ASSERT_EQUAL(add(&b, a, 0, tag), NB_MORE);
		CU_ASSERT_EQUAL(add(&b, a, 0, tag), NB_MORE);   /* duplicate */
		CU_ASSERT_EQUAL(add(&b, a, 1, tag), NB_MORE);
		CU_ASSERT_EQUAL(add(&b, a, 0, tag), NB_MORE);   /* late retransmission */
		CU_ASSERT_EQUAL(add(&b, a, 1, tag), NB_MORE);   /* a middle block again */
		CU_ASSERT_EQUAL(add(&b, a, 2, tag), NB_DONE);
		CU_ASSERT_EQUAL(b.len, TOTAL);
		CU_ASSERT(memcmp(b.p, a, TOTAL) == 0);
		/* our reply to the last block was lost: the same answer again */
		CU_ASSERT_EQUAL(add(&b, a, 2, tag), NB_DONE);
		CU_ASSERT_EQUAL(add(&b, a, 1, tag), NB_MORE);
		net_body_free(&b);
	}
}

/* A newer upload replaces the old one; the old one's late blocks are stale. */
static void t_request_tag(void)
{
	uint8_t a[TOTAL], c[TOTAL];
	struct net_body b = { .max = 1024 };
	fill(a, 1);
	fill(c, 100);
	CU_ASSERT_EQUAL(add(&b, a, 0, 1), NB_MORE);
	CU_ASSERT_EQUAL(add(&b, a, 1, 1), NB_MORE);
	CU_ASSERT_EQUAL(add(&b, c, 0, 2), NB_MORE);      /* a new upload */
	CU_ASSERT_EQUAL(add(&b, a, 1, 1), NB_STALE);     /* the old one, late */
	CU_ASSERT_EQUAL(add(&b, a, 2, 1), NB_STALE);
	CU_ASSERT_EQUAL(add(&b, c, 1, 2), NB_MORE);
	CU_ASSERT_EQUAL(add(&b, c, 2, 2), NB_DONE);
	CU_ASSERT(memcmp(b.p, c, TOTAL) == 0);
	/* after the stale block the body in progress was kept */
	CU_ASSERT_EQUAL(add(&b, c, 0, 3), NB_MORE);
	CU_ASSERT_EQUAL(add(&b, c, 2, 3), NB_GAP);       /* block 1 never came */
	net_body_free(&b);
}

/* Without a Request-Tag, another first block is another body. */
static void t_untagged_new_body(void)
{
	uint8_t a[TOTAL], c[TOTAL];
	struct net_body b = { .max = 1024 };
	fill(a, 1);
	fill(c, 100);
	CU_ASSERT_EQUAL(add(&b, a, 0, 0), NB_MORE);
	CU_ASSERT_EQUAL(add(&b, a, 1, 0), NB_MORE);
	CU_ASSERT_EQUAL(add(&b, c, 0, 0), NB_MORE);
	CU_ASSERT_EQUAL(b.len, BLK);
	CU_ASSERT_EQUAL(add(&b, c, 2, 0), NB_GAP);
	net_body_free(&b);
	CU_ASSERT_EQUAL(add(&b, c, 1, 0), NB_GAP);       /* nothing to continue */
	net_body_free(&b);
	b.max = TOTAL - 1;
	CU_ASSERT_EQUAL(add(&b, a, 0, 0), NB_TOOBIG);
	net_body_free(&b);
}

void t_init_netbody_tests(void)
{
	CU_pSuite s = CU_add_suite("netbody", NULL, NULL);
	CU_add_test(s, "duplicates and late first blocks", t_duplicates);
	CU_add_test(s, "Request-Tag: late blocks of a replaced upload", t_request_tag);
	CU_add_test(s, "untagged: another first block starts over", t_untagged_new_body);
}
