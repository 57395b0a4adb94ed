/*
 * fileio.h - whole-file reads and crash-safe writes.
 *
 * fileio_write_atomic writes to a temporary file beside the target, fsyncs
 * it, renames it over the target and fsyncs the directory: after a crash
 * the target is either the old file or the whole new one.
 */
#ifndef GM_FILEIO_H
#define GM_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* 0 on success; the caller frees *data. Files over max are refused. */
int fileio_read_all(const char *path, size_t max, uint8_t **data, size_t *len, char *err,
		    size_t errlen);
int fileio_write_atomic(const char *path, const void *data, size_t len, char *err,
			size_t errlen);

#endif
