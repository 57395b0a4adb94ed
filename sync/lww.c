/* lww.c - per-field LWW merge rule and packed row clocks. */
#include <string.h>
#include "lww.h"

void rowclk_init(struct rowclk *rc, unsigned ncols)
{
	/* only the clocks in use: every reader stops at ncols, and a whole
	 * struct is 60 clocks for a record of a dozen fields */
	if (ncols > ROWCLK_MAX_COLS)
		ncols = ROWCLK_MAX_COLS;
	memset(rc->c, 0, ncols * sizeof(rc->c[0]));
	rc->ncols = (uint8_t)ncols;
}

/* Columns [0, n) as a mask. */
static uint64_t cols_mask(unsigned n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

static bool clk_eq(struct clk a, struct clk b)
{
	return a.t == b.t && a.node == b.node;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* Writes clock c (t, then its node tag) at out; returns its size. */
static size_t put_clk(uint8_t *out, struct clk c, uint64_t home)
{
	put64(out, c.t);
	if (c.node == home) {
		out[8] = 0;
		return 9;
	}
	out[8] = 1;
	put64(out + 9, c.node);
	return 17;
}

/*
 * One clock on every column set (a record written by one change, as every
 * new record is): the count, the clock and the bitmap, *one set; else
 * nothing is written and *one is false.
 */
static size_t encode_one(const struct rowclk *rc, uint64_t home, uint8_t *out, bool *one)
{
	unsigned j = 0;
	while (j < rc->ncols && clk_zero(rc->c[j]))
		j++;
	*one = false;
	if (j == rc->ncols)
		return 0;
	struct clk c = rc->c[j];
	uint64_t set = 0;
	for (; j < rc->ncols; j++) {
		if (clk_zero(rc->c[j]))
			continue;
		if (!clk_eq(rc->c[j], c))
			return 0;
		set |= 1ull << j;
	}
	*one = true;
	out[0] = 1;
	size_t n = 1 + put_clk(out + 1, c, home);
	for (unsigned i = 0; i < (rc->ncols + 7u) / 8; i++)
		out[n++] = (uint8_t)(set >> (8 * i));
	return n;
}

size_t rowclk_encode(const struct rowclk *rc, uint64_t home, uint8_t out[ROWCLK_MAX_BLOB])
{
	struct clk uniq[ROWCLK_MAX_COLS];
	uint8_t idx[ROWCLK_MAX_COLS];
	unsigned k = 0, u = 0;
	uint64_t first = 0;     /* columns with the first clock */
	bool one;
	size_t len = encode_one(rc, home, out, &one);
	if (one)
		return len;

	for (unsigned j = 0; j < rc->ncols; j++) {
		struct clk c = rc->c[j];
		if (clk_zero(c)) {
			idx[j] = 0xff;
			continue;
		}
		/* most columns carry the clock of the column before them */
		if (!k || !clk_eq(uniq[u], c)) {
			for (u = 0; u < k; u++)
				if (clk_eq(uniq[u], c))
					break;
			if (u == k)
				uniq[k++] = c;
		}
		idx[j] = (uint8_t)u;
		if (u == 0)
			first |= 1ull << j;
	}
	size_t n = 0;
	out[n++] = (uint8_t)k;
	for (unsigned q = 0; q < k; q++)
		n += put_clk(out + n, uniq[q], home);
	if (k == 1) {
		unsigned nb = (rc->ncols + 7) / 8;
		for (unsigned i = 0; i < nb; i++)
			out[n + i] = (uint8_t)(first >> (8 * i));
		return n + nb;
	}
	if (k == 0)
		return n;
	memcpy(out + n, idx, rc->ncols);
	return n + rc->ncols;
}

bool rowclk_decode(const uint8_t *p, size_t len, unsigned ncols, uint64_t home,
		   struct rowclk *rc)
{
	struct clk uniq[ROWCLK_MAX_COLS];
	rowclk_init(rc, ncols);
	if (!p || !len)
		return true;    /* no clocks yet */
	if (ncols > ROWCLK_MAX_COLS)
		return false;
	unsigned k = p[0];
	size_t n = 1;
	if (k > ROWCLK_MAX_COLS)
		return false;
	for (unsigned u = 0; u < k; u++) {
		if (len < n + 9)
			return false;
		uniq[u].t = get64(p + n);
		n += 8;
		if (p[n] == 0) {
			uniq[u].node = home;
			n++;
		} else if (p[n] == 1 && len >= n + 9) {
			uniq[u].node = get64(p + n + 1);
			n += 9;
		} else {
			return false;
		}
	}
	if (k == 0)
		return n == len;
	if (k == 1) {
		/* rows written by an older schema have fewer columns: the rest unset */
		size_t nb = len - n;
		if (nb > (ncols + 7) / 8)
			return false;
		for (unsigned j = 0; j < ncols && j / 8 < nb; j++)
			if ((p[n + j / 8] >> (j % 8)) & 1)
				rc->c[j] = uniq[0];
		return true;
	}
	size_t stored = len - n;
	if (stored > ncols)
		return false;
	for (size_t j = 0; j < stored; j++) {
		uint8_t u = p[n + j];
		if (u == 0xff)
			continue;
		if (u >= k)
			return false;
		rc->c[j] = uniq[u];
	}
	return true;
}

void lww_decide(const struct rowclk *rc, struct clk del, const struct lww_in *in,
		struct lww_out *out)
{
	memset(out, 0, sizeof(*out));
	if (!clk_zero(del)) {
		out->deleted = true;
		out->del = del;
		if (in->del && clk_cmp(in->clk, del) > 0) {
			out->del = in->clk;
			out->changed = true;
		}
		return;
	}
	if (in->del) {
		out->deleted = true;
		out->del = in->clk;
		out->changed = true;
		return;
	}
	for (uint64_t m = in->mask & cols_mask(rc->ncols); m; m &= m - 1) {
		unsigned j = (unsigned)__builtin_ctzll(m);
		if (clk_cmp(in->clk, rc->c[j]) > 0)
			out->won |= 1ull << j;
	}
	out->changed = out->won != 0;
}

uint64_t lww_seen(const struct rowclk *rc, uint64_t mask)
{
	uint64_t s = 0;
	for (uint64_t m = mask & cols_mask(rc->ncols); m; m &= m - 1) {
		unsigned j = (unsigned)__builtin_ctzll(m);
		if (rc->c[j].t > s)
			s = rc->c[j].t;
	}
	return s;
}
