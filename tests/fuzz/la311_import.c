/*
 * la311_import.c - fuzzes la311_import (node/la311.h), a MyLA311 CSV
 * export, on a fresh template store (see fuzz.h) per input.
 *
 * The file is refused whole (GM_E_MALFORMED: not CSV, no header) or read
 * row by row: each data row created, updated, unchanged or refused with a
 * one-line message.  Importing the same file again creates nothing and,
 * when the first import updated nothing, changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../node/la311.h"

#define LA_UTC_OFFSET (-8 * 60)

static enum gm_err import(struct store *st, const char *path, struct la311_stats *s)
{
	char err[512] = "";
	unsigned msgs = 0;
	enum gm_err e = la311_import(st, path, LA_UTC_OFFSET, fuzz_on_msg, &msgs, s, err, sizeof(err));
	if (e && e != GM_E_MALFORMED)
		fuzz_fail("import: %s: %s", gm_strerror(e), err);
	if (e) {
		fuzz_one_line(err);
		return e;
	}
	if (s->created + s->updated + s->unchanged + s->refused != s->rows || msgs != s->refused)
		fuzz_fail("import: %u rows, %u created %u updated %u unchanged %u refused,"
			  " %u messages", s->rows, s->created, s->updated, s->unchanged, s->refused,
			  msgs);
	return GM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512];
	struct la311_stats s1, s2;
	uint8_t d1[32], d2[32];
	struct store *st = fuzz_store_fresh();
	/* a copy: fuzz_scratch's names do not last */
	snprintf(path, sizeof(path), "%s", fuzz_write("import.csv", data, size));

	if (import(st, path, &s1))
		goto out_done;
	fuzz_digest(st, d1);
	if (import(st, path, &s2))
		fuzz_fail("the same file again is malformed");
	fuzz_digest(st, d2);
	if (s2.created || (!s1.updated && (s2.updated || memcmp(d1, d2, sizeof(d1)))))
		fuzz_fail("the same file again: %u created, %u updated, digest %s", s2.created,
			  s2.updated, memcmp(d1, d2, sizeof(d1)) ? "changed" : "kept");
out_done:
	fuzz_store_done(st);
	return 0;
}
