/*
 * open311_import.c - fuzzes open311_import (node/open311.h), a GeoReport
 * v2 JSON file from another system or another gridmesh node, on a fresh
 * template store (see fuzz.h) per input.
 *
 * The file is refused whole (GM_E_MALFORMED) or read request by request:
 * each one created, updated, unchanged or refused with a one-line message.
 * Importing the same file again creates nothing and, when the first
 * import updated nothing, changes nothing.  Then the node's own export,
 * read back, creates and changes nothing: "a gridmesh node reads back
 * exactly what it wrote".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "../../node/open311.h"

static enum gm_err import(struct store *st, const char *path, struct o311_stats *s)
{
	char err[512] = "";
	unsigned msgs = 0;
	enum gm_err e = open311_import(st, path, "O311", fuzz_on_msg, &msgs, s, err, sizeof(err));
	if (e && e != GM_E_MALFORMED)
		fuzz_fail("import: %s: %s", gm_strerror(e), err);
	if (e) {
		fuzz_one_line(err);
		return e;
	}
	if (s->created + s->updated + s->unchanged + s->refused != s->requests ||
	    msgs != s->refused)
		fuzz_fail("import: %u requests, %u created %u updated %u unchanged %u refused,"
			  " %u messages", s->requests, s->created, s->updated, s->unchanged,
			  s->refused, msgs);
	return GM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512], back[512];
	FILE *f;
	struct o311_stats s1, s2;
	uint8_t d1[32], d2[32];
	struct store *st = fuzz_store_fresh();
	/* copies: fuzz_scratch's names do not last */
	snprintf(path, sizeof(path), "%s", fuzz_write("import.json", data, size));
	snprintf(back, sizeof(back), "%s", fuzz_scratch("export.json"));

	if (import(st, path, &s1))
		goto out_done;
	fuzz_digest(st, d1);
	import(st, path, &s2);
	fuzz_digest(st, d2);
	if (s2.created || (!s1.updated && (s2.updated || memcmp(d1, d2, sizeof(d1)))))
		fuzz_fail("the same file again: %u created, %u updated, digest %s", s2.created,
			  s2.updated, memcmp(d1, d2, sizeof(d1)) ? "changed" : "kept");

	/* our own export, read back */
	f = fopen(back, "wb");
	if (!f || open311_export(st, f, &s2) || fclose(f) != 0)
		fuzz_fail("export: %s", store_errmsg(st));
	if (import(st, back, &s2) != GM_OK)
		fuzz_fail("our own export is not GeoReport JSON");
	fuzz_digest(st, d1);
	if (s2.created || s2.updated || memcmp(d1, d2, sizeof(d1)))
		fuzz_fail("our own export read back: %u created, %u updated, digest %s",
			  s2.created, s2.updated, memcmp(d1, d2, sizeof(d1)) ? "changed" : "kept");
out_done:
	fuzz_store_done(st);
	return 0;
}
