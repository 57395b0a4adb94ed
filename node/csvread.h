/*
 * csvread.h - reading CSV files row by row with libcsv (RFC 4180 quoting).
 *
 * The callback gets each row's fields as NUL-terminated strings owned by the
 * reader and valid only during the call, with the 1-based line number of
 * the row for error messages.  It returns 0 to go on, nonzero to stop (that
 * value is returned).  Rows may be at most CSVREAD_MAX_FIELDS wide.
 */
#ifndef GM_CSVREAD_H
#define GM_CSVREAD_H

#include <stddef.h>

#define CSVREAD_MAX_FIELDS 64

typedef int (*csvread_row_fn)(void *ctx, unsigned nfields, char **fields, size_t *lens,
			      unsigned long lineno);

/*
 * Returns 0 when every row was read, the callback's nonzero value if it
 * stopped, or -1 on a read or parse error (message in err).
 */
int csvread_file(const char *path, csvread_row_fn fn, void *ctx, char *err, size_t errlen);

#endif
