/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz share.
 *
 * Each harness tests/fuzz/<name>.c feeds one decoder that takes bytes from
 * outside (a peer, an import file, a damaged disk); its seed corpus is
 * tests/fuzz/<name>/ (made by gen_corpus from the real encoders, plus every
 * input that once crashed it, as crash-<what>).  `make fuzz-smoke` runs
 * each for a few seconds, `make fuzz` for FUZZ_SECONDS.  The helpers
 * tests/fuzz/fuzz_*.c are linked into every harness and into gen_corpus.
 *
 * Harnesses that need a store get a fresh copy of one template store per
 * input (view_query, which only reads, keeps one), so every finding
 * reproduces from its input alone:
 *   the street node 440106012, its reference tables, the grid's export
 *   tests/fuzz/store_template.gmx applied, and a few unsealed local
 *   changes (fuzz_template_build).
 * The store's wall clock is pinned (FUZZ_WALL_MS) so that clock checks do
 * not depend on the day the fuzzer runs.
 */
#ifndef GM_FUZZ_H
#define GM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../../node/store.h"

/* Clocks of the corpus: gen_corpus writes at 2026-01-01 and after. */
#define FUZZ_GEN_WALL_MS 1767225600000ull
/* Wall clock of the stores under test: well after every corpus clock. */
#define FUZZ_WALL_MS (FUZZ_GEN_WALL_MS + 86400000ull * 365)

#define FUZZ_GRID "440106012023001"
#define FUZZ_STREET "440106012"
#define FUZZ_MAX_BUNDLE (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * One local change in its own transaction: kv is {"column", "value", ...,
 * NULL}, values parsed by the column's type; scope NULL = the node's code.
 */
GM_WUR enum gm_err fuzz_put(struct store *st, unsigned tid, const char *key, const char *scope,
			    const char *note, bool del, const char *const *kv);

/*
 * Builds the template store in `dir` (which must not hold one) from the
 * reference CSVs in `datadir` and the bundle `tmpl` (the grid's export).
 * Used by the harnesses and by gen_corpus, so seeds match the template.
 */
GM_WUR enum gm_err fuzz_template_build(const char *dir, const char *datadir,
				       const uint8_t *tmpl, size_t len, char *err, size_t errlen);

/* A fresh copy of the template store, opened; aborts if that fails. */
struct store *fuzz_store_fresh(void);
void fuzz_store_done(struct store *st);

/* Says what went wrong and aborts: the fuzzer keeps the input. */
void fuzz_fail(const char *fmt, ...) GM_PRINTF(1, 2) __attribute__((noreturn));

/* Removes a folder and everything in it. */
void fuzz_rmtree(const char *dir);

/* A scratch file path in the harness's private temporary folder (one of
 * four rotating buffers: copy it to keep it). */
const char *fuzz_scratch(const char *name);

/* Writes the input to a scratch file (for decoders that read files); its path. */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);

/* Fails unless msg is one line without control characters (it goes to a log). */
void fuzz_one_line(const char *msg);
/* An importer's message callback: counts into *(unsigned *)ctx, checks one line. */
void fuzz_on_msg(void *ctx, const char *msg);

/* The digest of everything in the store; fails if there is none. */
void fuzz_digest(struct store *st, uint8_t d[32]);

/*
 * A SenML JSON pack in SenML CBOR (tests/fuzz/fuzz_senml.c): record fields
 * by their labels, everything else as JSON has it; into out (reset first).
 */
void fuzz_senml_cbor(json_t *pack, struct gm_buf *out);

#endif
