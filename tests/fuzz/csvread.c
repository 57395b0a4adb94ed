/*
 * csvread.c - fuzzes csvread_file (reference data, imports) through a
 * temporary file: every row must come with NUL-terminated fields of the
 * lengths given, never more than CSVREAD_MAX_FIELDS of them, with line
 * numbers that go up.
 */
#include <stdio.h>
#include <stdlib.h>
#include "fuzz.h"
#include "../../node/csvread.h"

static int on_row(void *ctx, unsigned n, char **f, size_t *lens, unsigned long line)
{
	unsigned long *prev = ctx;
	if (n > CSVREAD_MAX_FIELDS || line <= *prev) {
		fuzz_fail("%u fields, line %lu after %lu", n, line, *prev);
	}
	*prev = line;
	for (unsigned i = 0; i < n; i++) {
		if (f[i][lens[i]] != 0) {
			fuzz_fail("field %u not terminated", i);
		}
	}
	/* stop on a marker row, as a callback that finds an error would */
	return n == 1 && lens[0] == 4 && f[0][0] == 'S' && f[0][1] == 'T' ? 7 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_write("input.csv", data, size);
	char err[512];
	unsigned long prev = 0;
	int rc = csvread_file(path, on_row, &prev, err, sizeof(err));
	if (rc != 0 && rc != -1 && rc != 7) {
		fuzz_fail("unexpected result %d", rc);
	}
	return 0;
}
