/*
 * classify.h - which event class does a citizen's text describe?
 *
 * A pure scoring function: no store, no I/O.  A classifier holds rules;
 * each rule votes `weight` for one event class when any of its phrases
 * occurs in the text.  Phrase syntax (one rule's `phrases` field):
 *
 *     alt|alt|...        alternatives: the rule fires if one of them matches
 *     part+part          an alternative whose parts must all occur, anywhere
 *
 * Matching depends on the rule's language:
 *   zh  substring match on the text with case folded, full-width forms
 *       made half-width, and spaces and punctuation removed ("垃圾桶 满了！"
 *       holds "垃圾桶满");
 *   en  whole words in sequence, lowercased and stemmed the same way on
 *       both sides ("bins overflowing" holds "bin+overflow", "Dumped"
 *       holds "dumping"); punctuation separates words.
 * A rule adds its weight at most once per text, however many alternatives
 * match; the first alternative that matched is the reason.  Weights may be
 * negative (a phrase that argues against a class).  Classes scoring <= 0
 * are not ranked.
 *
 * The verdict: CLEAR when the best class scores at least CLASSIFY_MIN_SCORE
 * and leads the next by at least CLASSIFY_MIN_MARGIN; UNSURE when something
 * scored but not clearly; NONE when nothing scored.
 */
#ifndef GM_CLASSIFY_H
#define GM_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include "../proto/err.h"

#define CLASSIFY_MIN_SCORE 4
#define CLASSIFY_MIN_MARGIN 2
#define CLASSIFY_MAX_WEIGHT 10      /* |weight| <= this, and not 0 */
#define CLASSIFY_MAX_REASONS 8      /* reasons kept per class (score counts all) */
#define CLASSIFY_CLASS_LEN 4        /* event classes are 4 digits */

struct classifier;

enum classify_verdict { CLASSIFY_NONE = 0, CLASSIFY_UNSURE, CLASSIFY_CLEAR };

struct classify_reason {
	const char *rule;       /* rule name (owned by the classifier) */
	const char *phrase;     /* the alternative that matched (same) */
	int weight;
};

struct classify_cand {
	char cls[CLASSIFY_CLASS_LEN + 1];
	int score;
	unsigned nreasons;
	struct classify_reason reasons[CLASSIFY_MAX_REASONS];
};

/* Candidates best first (score, then class code); valid while both the
 * result and its classifier live. */
struct classify_result {
	struct classify_cand *cand;
	unsigned n;
	enum classify_verdict verdict;
};

GM_WUR enum gm_err classifier_new(struct classifier **out);
void classifier_free(struct classifier *c);

/*
 * Adds a rule (strings are copied).  GM_E_INVAL with a reason in `why` if
 * the class is not 4 digits, the language is not zh or en, the weight is
 * 0 or out of range, or a phrase is empty once normalised.
 */
GM_WUR enum gm_err classifier_add(struct classifier *c, const char *name, const char *cls,
				  const char *lang, const char *phrases, int weight, char *why,
				  size_t whylen);
unsigned classifier_count(const struct classifier *c);

/* Ranks the classes for `text` (UTF-8; invalid bytes separate words).
 * Fills *res (free with classify_result_free). */
GM_WUR enum gm_err classify_text(const struct classifier *c, const char *text,
				 struct classify_result *res);
void classify_result_free(struct classify_result *res);

const char *classify_verdict_name(enum classify_verdict v);

/* The English stemmer, exposed for tests: stems w[0, n) in place and
 * returns the new length. */
size_t classify_stem(char *w, size_t n);

#endif
