/* blobs.c - content-addressed attachment files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "blobs.h"
#include "fileio.h"
#include "store_int.h"

bool blob_hash_valid(const char *hex)
{
	if (!hex || strlen(hex) != BLOB_HEX)
		return false;
	for (int i = 0; i < BLOB_HEX; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	return true;
}

void blob_path(const char *dir, const char *hex, bool partial, char *out, size_t len)
{
	snprintf(out, len, "%s/blobs/%.2s/%s%s", dir, hex, hex, partial ? ".part" : "");
}

static int mkdirs(const char *dir, const char *hex)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/blobs", dir);
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		return -1;
	snprintf(p, sizeof(p), "%s/blobs/%.2s", dir, hex);
	if (mkdir(p, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int64_t blob_size(const char *dir, const char *hex)
{
	char p[4096];
	struct stat sb;
	if (!blob_hash_valid(hex))
		return -1;
	blob_path(dir, hex, false, p, sizeof(p));
	return stat(p, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* BLAKE2b-256 of a file, hex. */
static int hash_file(const char *path, char hex[BLOB_HEX + 1], uint64_t *size)
{
	crypto_generichash_state h;
	uint8_t buf[65536], out[BLOB_HASH_BYTES];
	ssize_t n;
	uint64_t total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	crypto_generichash_init(&h, NULL, 0, sizeof(out));
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		crypto_generichash_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	if (n < 0)
		return -1;
	crypto_generichash_final(&h, out, sizeof(out));
	sodium_bin2hex(hex, BLOB_HEX + 1, out, sizeof(out));
	if (size)
		*size = total;
	return 0;
}

enum gm_err blob_add_file(const char *dir, const char *file, uint64_t max_bytes,
			  char hex[BLOB_HEX + 1], uint64_t *size, char *err, size_t errlen)
{
	struct stat sb;
	char dst[4096];
	uint8_t *data;
	size_t len;
	if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a readable file", file);
		return GM_E_NOTFOUND;
	}
	if ((uint64_t)sb.st_size > max_bytes) {
		snprintf(err, errlen, "%s: %lld bytes, attachments are limited to %llu", file,
			 (long long)sb.st_size, (unsigned long long)max_bytes);
		return GM_E_TOOBIG;
	}
	if (hash_file(file, hex, size)) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return GM_E_IO;
	}
	if (blob_size(dir, hex) >= 0)
		return GM_OK;    /* already held: content addressing deduplicates */
	if (mkdirs(dir, hex) || fileio_read_all(file, max_bytes, &data, &len, err, errlen)) {
		if (!err[0])
			snprintf(err, errlen, "%s/blobs: %s", dir, strerror(errno));
		return GM_E_IO;
	}
	blob_path(dir, hex, false, dst, sizeof(dst));
	int rc = fileio_write_atomic(dst, data, len, err, errlen);
	free(data);
	return rc ? GM_E_IO : GM_OK;
}

uint64_t blob_have(const char *dir, const char *hex, bool *complete)
{
	char p[4096];
	struct stat sb;
	int64_t n = blob_size(dir, hex);
	*complete = n >= 0;
	if (n >= 0)
		return (uint64_t)n;
	blob_path(dir, hex, true, p, sizeof(p));
	return stat(p, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

enum gm_err blob_append(const char *dir, const char *hex, uint64_t offset, uint64_t total,
			const uint8_t *data, size_t len, uint64_t max_bytes, bool *complete)
{
	char part[4096], dst[4096], got[BLOB_HEX + 1];
	*complete = false;
	if (!blob_hash_valid(hex))
		return GM_E_INVAL;
	if (total > max_bytes || offset + len > total)
		return GM_E_TOOBIG;
	uint64_t have = blob_have(dir, hex, complete);
	if (*complete)
		return GM_OK;
	if (offset != have)
		return GM_E_STATE;
	if (mkdirs(dir, hex))
		return GM_E_IO;
	blob_path(dir, hex, true, part, sizeof(part));
	int fd = open(part, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == ENOSPC ? GM_E_FULL : GM_E_IO;
	ssize_t w = len ? write(fd, data, len) : 0;
	int ok = w == (ssize_t)len && fsync(fd) == 0;
	int saved = errno;
	close(fd);
	if (!ok) {
		/* a short write leaves a partial we cannot trust: start it over */
		unlink(part);
		return saved == ENOSPC ? GM_E_FULL : GM_E_IO;
	}
	if (offset + len < total)
		return GM_OK;
	uint64_t size;
	if (hash_file(part, got, &size) || size != total || strcmp(got, hex)) {
		unlink(part);
		return GM_E_AUTH;
	}
	blob_path(dir, hex, false, dst, sizeof(dst));
	if (rename(part, dst) != 0)
		return GM_E_IO;
	*complete = true;
	return GM_OK;
}

ssize_t blob_read(const char *dir, const char *hex, uint64_t offset, uint8_t *buf, size_t len)
{
	char p[4096];
	if (!blob_hash_valid(hex))
		return -1;
	blob_path(dir, hex, false, p, sizeof(p));
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, buf, len, (off_t)offset);
	close(fd);
	return n;
}

enum gm_err blob_copy_out(const char *dir, const char *hex, const char *file, char *err,
			  size_t errlen)
{
	char p[4096];
	uint8_t *data;
	size_t len;
	blob_path(dir, hex, false, p, sizeof(p));
	if (fileio_read_all(p, 1u << 30, &data, &len, err, errlen))
		return GM_E_NOTFOUND;
	int rc = fileio_write_atomic(file, data, len, err, errlen);
	free(data);
	return rc ? GM_E_IO : GM_OK;
}

static const char *qtable(enum blob_dir d)
{
	return d == BLOB_UP ? "blob_up" : "blob_down";
}

enum gm_err blob_queue(struct store *st, enum blob_dir d, const char *hex)
{
	sqlite3_stmt *s;
	char sql[128];
	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO %s(hash, queued)"
				   " VALUES(?, strftime('%%s','now'))", qtable(d));
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "blob queue");
	sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GM_OK : store_dberr(st, "blob queue");
}

bool blob_next(struct store *st, enum blob_dir d, const char *after, char hex[BLOB_HEX + 1])
{
	sqlite3_stmt *s;
	char sql[128];
	bool found = false;
	snprintf(sql, sizeof(sql), "SELECT hash FROM %s WHERE hash > ? ORDER BY hash LIMIT 1",
		 qtable(d));
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, after ? after : "", -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == BLOB_HEX) {
		memcpy(hex, sqlite3_column_text(s, 0), BLOB_HEX);
		hex[BLOB_HEX] = 0;
		found = true;
	}
	sqlite3_finalize(s);
	return found;
}

void blob_done(struct store *st, enum blob_dir d, const char *hex)
{
	sqlite3_stmt *s;
	char sql[96];
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE hash = ?", qtable(d));
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, hex, -1, SQLITE_STATIC);
	sqlite3_step(s);
	sqlite3_finalize(s);
}

uint64_t blob_pending(struct store *st, enum blob_dir d)
{
	sqlite3_stmt *s;
	char sql[64];
	uint64_t n = 0;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", qtable(d));
	if (sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

struct missing {
	struct store *st;
	const char *dir;
	enum gm_err e;
};

static int missing_cb(void *ctx, const struct store_rec *r)
{
	struct missing *m = ctx;
	const struct gm_value *h = &r->vals[schema_col(r->tab, "hash", 4)];
	char hex[BLOB_HEX + 1];
	if (h->type != GM_TEXT || h->len != BLOB_HEX)
		return 0;
	memcpy(hex, h->s, BLOB_HEX);
	hex[BLOB_HEX] = 0;
	if (blob_hash_valid(hex) && blob_size(m->dir, hex) < 0)
		m->e = blob_queue(m->st, BLOB_DOWN, hex);
	return m->e != GM_OK;
}

enum gm_err blob_queue_missing(struct store *st, const char *dir)
{
	struct missing m = { st, dir, GM_OK };
	enum gm_err e = store_scan(st, schema_table(T_ATTACHMENT), NULL, 0, missing_cb, &m);
	return e ? e : m.e;
}
