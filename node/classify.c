/* classify.c - phrase rules scored against a text (see classify.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "classify.h"
#include "../proto/arena.h"
#include "../proto/buf.h"

#define MAX_WORD 64            /* longer runs of letters are cut (not words) */

enum lang { LANG_ZH, LANG_EN };

struct alt {
	const char *text;          /* as written, for reasons */
	const char **parts;        /* normalised: zh string or " w1 w2 " */
	unsigned nparts;
};

struct rule {
	const char *name;
	char cls[CLASSIFY_CLASS_LEN + 1];
	enum lang lang;
	int weight;
	struct alt *alts;
	unsigned nalts;
};

struct classifier {
	struct arena ar;
	struct rule *rules;
	unsigned n, cap;
};

/* The text in both normal forms. */
struct norm {
	struct gm_buf zh;          /* folded, no spaces or punctuation */
	struct gm_buf en;          /* " stem stem ... " */
};

/* ------------------------------------------------------------ normalising */

/* Decodes one UTF-8 sequence; invalid bytes come back as U+FFFD, length 1. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *used)
{
	uint32_t c = s[0];
	unsigned n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
		: (c & 0xf8) == 0xf0 ? 4 : 0;
	*used = 1;
	if (n == 0 || n > len)
		return n == 1 ? c : 0xfffd;
	if (n == 1)
		return c;
	c &= 0x7fu >> n;
	for (unsigned i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms and surrogates are not text */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0xfffd;
	*used = n;
	return c;
}

/* Punctuation, symbols and spaces outside ASCII: they separate, like ASCII ones. */
static bool is_separator(uint32_t c)
{
	return (c >= 0x80 && c <= 0xbf) || (c >= 0x2000 && c <= 0x206f) ||
	       (c >= 0x3000 && c <= 0x303f) || (c >= 0xfe30 && c <= 0xfe4f) ||
	       (c >= 0xff00 && c <= 0xff0f) || c == 0xfffd || c == 0xfeff;
}

static bool is_apostrophe(uint32_t c)
{
	return c == '\'' || c == 0x2019;
}

static bool is_vowel(char c)
{
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static bool ends(const char *w, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(w + n - k, suf, k) == 0;
}

/*
 * A small suffix stripper (plural s/es/ies, -ing, -ed, final e): not
 * Porter, but the same word forms that citizens use for one thing come to
 * one stem ("dumped", "dumping" -> "dump"; "batteries" -> "battery";
 * "damaged", "damage" -> "damag").  Only letters are stemmed.
 */
size_t classify_stem(char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] < 'a' || w[i] > 'z')
			return n;
	if (n > 4 && ends(w, n, "ies")) {
		n -= 2;
		w[n - 1] = 'y';
	} else if (n > 4 && ends(w, n, "sses")) {
		n -= 2;
	} else if (n > 4 && (ends(w, n, "ches") || ends(w, n, "shes") || ends(w, n, "xes") ||
			     ends(w, n, "zes") || ends(w, n, "ses"))) {
		n -= 2;
	} else if (n > 3 && w[n - 1] == 's' && !ends(w, n, "ss") && !ends(w, n, "us") &&
		   !ends(w, n, "is")) {
		n -= 1;
	}
	bool cut = false;
	if (n > 5 && ends(w, n, "ing")) {
		n -= 3;
		cut = true;
	} else if (n > 4 && ends(w, n, "ed")) {
		n -= 2;
		cut = true;
	}
	/* "clogged" -> "clogg" -> "clog"; keep ll, ss, zz ("spilled" -> "spill") */
	if (cut && n > 2 && w[n - 1] == w[n - 2] && !is_vowel(w[n - 1]) && w[n - 1] != 'l' &&
	    w[n - 1] != 's' && w[n - 1] != 'z')
		n -= 1;
	if (n > 3 && w[n - 1] == 'e')
		n -= 1;
	return n;
}

static void end_word(struct norm *nm, char *word, size_t *wl)
{
	if (!*wl)
		return;
	size_t n = classify_stem(word, *wl);
	gm_buf_append(&nm->en, word, n);
	gm_buf_append(&nm->en, " ", 1);
	*wl = 0;
}

/* Fills both normal forms of s (buffers reset first). */
static enum gm_err normalise(const char *s, struct norm *nm)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), wl = 0, used;
	char word[MAX_WORD];

	gm_buf_reset(&nm->zh);
	gm_buf_reset(&nm->en);
	gm_buf_append(&nm->en, " ", 1);
	for (size_t i = 0; i < len; i += used) {
		uint32_t c = utf8_next(p + i, len - i, &used);
		if (c >= 0xff01 && c <= 0xff5e)
			c -= 0xfee0;           /* full-width ASCII */
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (is_apostrophe(c))
			continue;              /* "hasn't" is one word */
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			char ch = (char)c;
			gm_buf_append(&nm->zh, &ch, 1);
			if (wl < sizeof(word))
				word[wl++] = ch;
			continue;
		}
		end_word(nm, word, &wl);
		if (c < 0x80 || is_separator(c))
			continue;
		/* CJK and other letters: part of the substring form only */
		gm_buf_append(&nm->zh, p + i, used);
	}
	end_word(nm, word, &wl);
	gm_buf_append(&nm->zh, "", 1);
	gm_buf_append(&nm->en, "", 1);
	return nm->zh.oom || nm->en.oom ? GM_E_NOMEM : GM_OK;
}

static void norm_init(struct norm *nm)
{
	gm_buf_init(&nm->zh);
	gm_buf_init(&nm->en);
}

static void norm_free(struct norm *nm)
{
	gm_buf_free(&nm->zh);
	gm_buf_free(&nm->en);
}

/* --------------------------------------------------------------- the rules */

enum gm_err classifier_new(struct classifier **out)
{
	struct classifier *c = calloc(1, sizeof(*c));
	if (!c)
		return GM_E_NOMEM;
	arena_init(&c->ar, 16384);
	*out = c;
	return GM_OK;
}

void classifier_free(struct classifier *c)
{
	if (!c)
		return;
	arena_free(&c->ar);
	free(c->rules);
	free(c);
}

unsigned classifier_count(const struct classifier *c)
{
	return c->n;
}

static size_t count_char(const char *s, size_t len, char ch)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == ch;
	return n;
}

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/* Compiles one alternative "part+part" into a; false (why set) if empty. */
static enum gm_err compile_alt(struct classifier *c, enum lang lang, const char *s, size_t len,
			       struct norm *nm, struct alt *a, char *why, size_t whylen)
{
	trim(&s, &len);
	a->text = arena_strndup(&c->ar, s, len);
	a->nparts = (unsigned)count_char(s, len, '+') + 1;
	a->parts = arena_alloc(&c->ar, a->nparts * sizeof(*a->parts));
	if (!a->text || !a->parts)
		return GM_E_NOMEM;
	for (unsigned k = 0; k < a->nparts; k++) {
		const char *plus = memchr(s, '+', len);
		size_t pl = plus ? (size_t)(plus - s) : len;
		char *tmp = arena_strndup(&c->ar, s, pl);
		if (!tmp || normalise(tmp, nm))
			return GM_E_NOMEM;
		const struct gm_buf *b = lang == LANG_ZH ? &nm->zh : &nm->en;
		/* zh: just the NUL; en: " " and the NUL */
		if (b->len <= (lang == LANG_ZH ? 1u : 2u)) {
			snprintf(why, whylen, "phrase '%s' has nothing to match", a->text);
			return GM_E_INVAL;
		}
		a->parts[k] = arena_strndup(&c->ar, (const char *)b->p, b->len - 1);
		if (!a->parts[k])
			return GM_E_NOMEM;
		s += pl + (plus ? 1 : 0);
		len -= pl + (plus ? 1 : 0);
	}
	return GM_OK;
}

enum gm_err classifier_add(struct classifier *c, const char *name, const char *cls,
			   const char *lang, const char *phrases, int weight, char *why,
			   size_t whylen)
{
	struct rule r = { 0 };
	struct norm nm;
	enum gm_err e = GM_OK;

	if (!cls || strlen(cls) != CLASSIFY_CLASS_LEN || strspn(cls, "0123456789") != 4) {
		snprintf(why, whylen, "class '%s' is not a 4-digit event class", cls ? cls : "");
		return GM_E_INVAL;
	}
	if (!lang || (strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0)) {
		snprintf(why, whylen, "language '%s' is not zh or en", lang ? lang : "");
		return GM_E_INVAL;
	}
	if (weight == 0 || weight > CLASSIFY_MAX_WEIGHT || weight < -CLASSIFY_MAX_WEIGHT) {
		snprintf(why, whylen, "weight %d is not -%d..%d without 0", weight,
			 CLASSIFY_MAX_WEIGHT, CLASSIFY_MAX_WEIGHT);
		return GM_E_INVAL;
	}
	if (!phrases || !*phrases) {
		snprintf(why, whylen, "no phrases");
		return GM_E_INVAL;
	}
	if (c->n == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 64;
		struct rule *v = realloc(c->rules, cap * sizeof(*v));
		if (!v)
			return GM_E_NOMEM;
		c->rules = v;
		c->cap = cap;
	}
	memcpy(r.cls, cls, CLASSIFY_CLASS_LEN + 1);
	r.lang = lang[0] == 'z' ? LANG_ZH : LANG_EN;
	r.weight = weight;
	r.name = arena_strndup(&c->ar, name ? name : "", name ? strlen(name) : 0);
	size_t plen = strlen(phrases);
	r.nalts = (unsigned)count_char(phrases, plen, '|') + 1;
	r.alts = arena_alloc(&c->ar, r.nalts * sizeof(*r.alts));
	if (!r.name || !r.alts)
		return GM_E_NOMEM;
	norm_init(&nm);
	const char *s = phrases;
	for (unsigned k = 0; k < r.nalts && !e; k++) {
		const char *bar = strchr(s, '|');
		size_t al = bar ? (size_t)(bar - s) : strlen(s);
		e = compile_alt(c, r.lang, s, al, &nm, &r.alts[k], why, whylen);
		if (bar)
			s = bar + 1;
	}
	norm_free(&nm);
	if (e == GM_E_NOMEM)
		snprintf(why, whylen, "out of memory");
	if (e)
		return e;      /* the arena keeps the pieces until the classifier goes */
	c->rules[c->n++] = r;
	return GM_OK;
}

/* ------------------------------------------------------------- classifying */

static bool alt_matches(const struct alt *a, const struct norm *nm, enum lang lang)
{
	const char *hay = (const char *)(lang == LANG_ZH ? nm->zh.p : nm->en.p);
	for (unsigned k = 0; k < a->nparts; k++)
		if (!strstr(hay, a->parts[k]))
			return false;
	return true;
}

static struct classify_cand *cand_for(struct classify_result *res, unsigned *cap,
				      const char *cls)
{
	for (unsigned i = 0; i < res->n; i++)
		if (strcmp(res->cand[i].cls, cls) == 0)
			return &res->cand[i];
	if (res->n == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 8;
		struct classify_cand *v = realloc(res->cand, ncap * sizeof(*v));
		if (!v)
			return NULL;
		res->cand = v;
		*cap = ncap;
	}
	struct classify_cand *k = &res->cand[res->n++];
	memset(k, 0, sizeof(*k));
	memcpy(k->cls, cls, CLASSIFY_CLASS_LEN + 1);
	return k;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct classify_cand *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->cls, y->cls);
}

enum gm_err classify_text(const struct classifier *c, const char *text,
			  struct classify_result *res)
{
	struct norm nm;
	unsigned cap = 0;
	enum gm_err e;

	memset(res, 0, sizeof(*res));
	norm_init(&nm);
	if ((e = normalise(text ? text : "", &nm)))
		goto out_free_norm;
	for (unsigned i = 0; i < c->n; i++) {
		const struct rule *r = &c->rules[i];
		for (unsigned k = 0; k < r->nalts; k++) {
			if (!alt_matches(&r->alts[k], &nm, r->lang))
				continue;
			struct classify_cand *cd = cand_for(res, &cap, r->cls);
			if (!cd) {
				e = GM_E_NOMEM;
				goto out_free_norm;
			}
			cd->score += r->weight;
			if (cd->nreasons < CLASSIFY_MAX_REASONS) {
				struct classify_reason *rs = &cd->reasons[cd->nreasons++];
				rs->rule = r->name;
				rs->phrase = r->alts[k].text;
				rs->weight = r->weight;
			}
			break;     /* a rule counts once */
		}
	}
	/* classes argued down to nothing are not candidates */
	unsigned kept = 0;
	for (unsigned i = 0; i < res->n; i++)
		if (res->cand[i].score > 0)
			res->cand[kept++] = res->cand[i];
	res->n = kept;
	if (res->n)
		qsort(res->cand, res->n, sizeof(*res->cand), cand_cmp);
	res->verdict = CLASSIFY_NONE;
	if (res->n) {
		int next = res->n > 1 ? res->cand[1].score : 0;
		res->verdict = res->cand[0].score >= CLASSIFY_MIN_SCORE &&
			       res->cand[0].score - next >= CLASSIFY_MIN_MARGIN
			? CLASSIFY_CLEAR : CLASSIFY_UNSURE;
	}
out_free_norm:
	norm_free(&nm);
	if (e)
		classify_result_free(res);
	return e;
}

void classify_result_free(struct classify_result *res)
{
	free(res->cand);
	memset(res, 0, sizeof(*res));
}

const char *classify_verdict_name(enum classify_verdict v)
{
	switch (v) {
	case CLASSIFY_CLEAR: return "clear";
	case CLASSIFY_UNSURE: return "unsure";
	case CLASSIFY_NONE: return "none";
	}
	return "none";
}
