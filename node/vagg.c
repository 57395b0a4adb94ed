/* vagg.c - hash table of groups with counters, then sorted by key. */
#include <stdlib.h>
#include <string.h>
#include "vagg.h"

struct group {
	const uint8_t *key;
	uint32_t len;
	uint32_t hash;
	size_t ci;              /* first counter in a->counts */
};

struct chunk {
	struct chunk *next;
	size_t used;
	uint8_t b[];
};

#define CHUNK 65536

struct vagg {
	unsigned ncounts;
	struct group *g;
	size_t n, cap;
	int64_t *counts;
	uint32_t *slots;        /* group index + 1, 0 = empty */
	size_t nslots;          /* power of two */
	struct chunk *chunks;
	bool sorted;
};

void vagg_key_null(struct vagg_key *k)
{
	if (k->n < sizeof(k->b))
		k->b[k->n++] = VAGG_NULL;
}

void vagg_key_int(struct vagg_key *k, int64_t v)
{
	if (k->n + 9 > sizeof(k->b))
		return;
	k->b[k->n++] = VAGG_INT;
	for (int i = 7; i >= 0; i--)
		k->b[k->n++] = (uint8_t)((uint64_t)v >> (8 * i));
}

void vagg_key_text(struct vagg_key *k, const char *s, size_t len)
{
	if (len > 255)
		len = 255;
	if (k->n + 2 + len > sizeof(k->b))
		return;
	k->b[k->n++] = VAGG_TEXT;
	k->b[k->n++] = (uint8_t)len;
	if (len)
		memcpy(k->b + k->n, s, len);
	k->n += len;
}

bool vagg_key_part(const uint8_t *key, size_t len, unsigned idx, struct vagg_part *out)
{
	size_t p = 0;
	for (unsigned i = 0;; i++) {
		if (p >= len)
			return false;
		uint8_t tag = key[p++];
		memset(out, 0, sizeof(*out));
		out->type = tag;
		if (tag == VAGG_INT) {
			uint64_t v = 0;
			for (int j = 0; j < 8; j++)
				v = (v << 8) | key[p + (size_t)j];
			out->i = (int64_t)v;
			p += 8;
		} else if (tag == VAGG_TEXT) {
			out->len = key[p++];
			out->s = (const char *)key + p;
			p += out->len;
		}
		if (i == idx)
			return true;
	}
}

struct vagg *vagg_new(unsigned ncounts)
{
	struct vagg *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->ncounts = ncounts;
	a->nslots = 1024;
	a->slots = calloc(a->nslots, sizeof(*a->slots));
	if (!a->slots) {
		free(a);
		return NULL;
	}
	return a;
}

void vagg_free(struct vagg *a)
{
	if (!a)
		return;
	while (a->chunks) {
		struct chunk *c = a->chunks;
		a->chunks = c->next;
		free(c);
	}
	free(a->g);
	free(a->counts);
	free(a->slots);
	free(a);
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static const uint8_t *keep(struct vagg *a, const uint8_t *k, size_t n)
{
	struct chunk *c = a->chunks;
	if (!c || c->used + n > CHUNK) {
		c = malloc(sizeof(*c) + CHUNK);
		if (!c)
			return NULL;
		c->next = a->chunks;
		c->used = 0;
		a->chunks = c;
	}
	uint8_t *p = c->b + c->used;
	memcpy(p, k, n);
	c->used += n;
	return p;
}

static bool grow_slots(struct vagg *a)
{
	size_t ns = a->nslots * 2;
	uint32_t *s = calloc(ns, sizeof(*s));
	if (!s)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		size_t j = a->g[i].hash & (ns - 1);
		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)(i + 1);
	}
	free(a->slots);
	a->slots = s;
	a->nslots = ns;
	return true;
}

int64_t *vagg_get(struct vagg *a, const struct vagg_key *k)
{
	if (a->sorted)
		return NULL;   /* the hash no longer matches the order */
	uint32_t h = fnv1a(k->b, k->n);
	size_t j = h & (a->nslots - 1);
	while (a->slots[j]) {
		struct group *g = &a->g[a->slots[j] - 1];
		if (g->hash == h && g->len == k->n && memcmp(g->key, k->b, k->n) == 0)
			return a->counts + g->ci;
		j = (j + 1) & (a->nslots - 1);
	}
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 256;
		struct group *ng = realloc(a->g, nc * sizeof(*ng));
		if (!ng)
			return NULL;
		a->g = ng;
		int64_t *ncn = realloc(a->counts, nc * a->ncounts * sizeof(*ncn) + sizeof(*ncn));
		if (!ncn)
			return NULL;
		a->counts = ncn;
		a->cap = nc;
	}
	const uint8_t *kp = keep(a, k->b, k->n);
	if (!kp)
		return NULL;
	struct group *g = &a->g[a->n];
	g->key = kp;
	g->len = (uint32_t)k->n;
	g->hash = h;
	g->ci = a->n * a->ncounts;
	memset(a->counts + g->ci, 0, a->ncounts * sizeof(int64_t));
	a->slots[j] = (uint32_t)(++a->n);
	if (a->n * 2 > a->nslots && !grow_slots(a))
		return NULL;
	return a->counts + g->ci;
}

size_t vagg_size(const struct vagg *a)
{
	return a->n;
}

static int cmp_group(const void *x, const void *y)
{
	const struct group *a = x, *b = y;
	struct vagg_part p, q;
	for (unsigned i = 0;; i++) {
		bool hp = vagg_key_part(a->key, a->len, i, &p);
		bool hq = vagg_key_part(b->key, b->len, i, &q);
		if (!hp || !hq)
			return hp - hq;
		if (p.type != q.type)
			return (int)p.type - (int)q.type;
		if (p.type == VAGG_INT && p.i != q.i)
			return p.i < q.i ? -1 : 1;
		if (p.type == VAGG_TEXT) {
			size_t m = p.len < q.len ? p.len : q.len;
			int c = m ? memcmp(p.s, q.s, m) : 0;
			if (c)
				return c;
			if (p.len != q.len)
				return p.len < q.len ? -1 : 1;
		}
	}
}

void vagg_sort(struct vagg *a)
{
	if (a->n > 1)
		qsort(a->g, a->n, sizeof(*a->g), cmp_group);
	a->sorted = true;
}

const uint8_t *vagg_at(const struct vagg *a, size_t i, size_t *keylen, int64_t **counts)
{
	if (i >= a->n)
		return NULL;
	*keylen = a->g[i].len;
	*counts = a->counts + a->g[i].ci;
	return a->g[i].key;
}
