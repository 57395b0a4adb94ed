/* lww.c - per-field LWW merge rule and packed row clocks. */
#include <string.h>
#include "lww.h"

void rowclk_init(struct rowclk *rc, unsigned ncols)
{
	memset(rc, 0, sizeof(*rc));
	rc->ncols = (uint8_t)ncols;
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

size_t rowclk_encode(const struct rowclk *rc, uint8_t out[ROWCLK_MAX_BLOB])
{
	struct clk uniq[ROWCLK_MAX_COLS];
	uint8_t idx[ROWCLK_MAX_COLS];
	unsigned k = 0;

	for (unsigned j = 0; j < rc->ncols; j++) {
		if (clk_zero(rc->c[j])) {
			idx[j] = 0xff;
			continue;
		}
		unsigned u;
		for (u = 0; u < k; u++)
			if (clk_cmp(uniq[u], rc->c[j]) == 0)
				break;
		if (u == k)
			uniq[k++] = rc->c[j];
		idx[j] = (uint8_t)u;
	}
	size_t n = 0;
	out[n++] = (uint8_t)k;
	for (unsigned u = 0; u < k; u++) {
		put64(out + n, uniq[u].t);
		put64(out + n + 8, uniq[u].node);
		n += 16;
	}
	memcpy(out + n, idx, rc->ncols);
	return n + rc->ncols;
}

bool rowclk_decode(const uint8_t *p, size_t len, unsigned ncols, struct rowclk *rc)
{
	rowclk_init(rc, ncols);
	if (!p || !len)
		return true;    /* no clocks yet */
	if (ncols > ROWCLK_MAX_COLS)
		return false;
	unsigned k = p[0];
	/* rows written by an older schema have fewer columns: the rest are unset */
	if (k > ROWCLK_MAX_COLS || len < 1 + 16 * (size_t)k)
		return false;
	size_t stored = len - 1 - 16 * (size_t)k;
	if (stored > ncols)
		return false;
	for (size_t j = 0; j < stored; j++) {
		uint8_t u = p[1 + 16 * k + j];
		if (u == 0xff)
			continue;
		if (u >= k)
			return false;
		rc->c[j].t = get64(p + 1 + 16 * u);
		rc->c[j].node = get64(p + 1 + 16 * u + 8);
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
	for (unsigned j = 0; j < rc->ncols; j++) {
		if (!((in->mask >> j) & 1))
			continue;
		if (clk_cmp(in->clk, rc->c[j]) > 0)
			out->won |= 1ull << j;
	}
	out->changed = out->won != 0;
}

uint64_t lww_seen(const struct rowclk *rc, uint64_t mask)
{
	uint64_t s = 0;
	for (unsigned j = 0; j < rc->ncols; j++)
		if (((mask >> j) & 1) && rc->c[j].t > s)
			s = rc->c[j].t;
	return s;
}
