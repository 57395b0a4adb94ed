/* backup.c - online backups with SQLite's backup API, and restores. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "backup.h"
#include "config.h"
#include "fileio.h"
#include "identity.h"
#include "store_int.h"

#ifndef GM_VERSION
#define GM_VERSION "0.1"
#endif

#define FILE_MAX (64u << 10)

/* The node directory's files a backup may carry; secret ones on request. */
static const struct {
	const char *name;
	bool secret;
} node_files[] = {
	{ CONFIG_FILE, false },
	{ ID_PUB_FILE, false },
	{ ID_CERT_FILE, false },
	{ ID_PARENT_CERT_FILE, false },
	{ ID_CHAIN_FILE, false },
	{ ID_ROOT_FILE, false },
	{ ID_KEY_FILE, true },
	{ ID_STREET_KEY_FILE, true },
};
#define NFILES (sizeof(node_files) / sizeof(node_files[0]))

static const char *const backup_ddl =
	"CREATE TABLE gm_backup(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
	"CREATE TABLE gm_backup_files(name TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;";

static enum gm_err db_err(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	int prim = sqlite3_errcode(db) & 0xff;
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
	return prim == SQLITE_FULL || prim == SQLITE_IOERR ? GM_E_FULL : GM_E_DB;
}

static bool secret_file(const char *name)
{
	for (size_t i = 0; i < NFILES; i++)
		if (!strcmp(node_files[i].name, name))
			return node_files[i].secret;
	return false;
}

static bool known_file(const char *name)
{
	for (size_t i = 0; i < NFILES; i++)
		if (!strcmp(node_files[i].name, name))
			return true;
	return false;
}

/* An empty file only we may read, for SQLite to open (it would use 0644). */
static enum gm_err create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOSPC ? GM_E_FULL : GM_E_IO;
	}
	/* an older file of that name may have had wider permissions */
	if (fchmod(fd, 0600) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return GM_E_IO;
	}
	close(fd);
	return GM_OK;
}

static enum gm_err sync_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return GM_E_IO;
	}
	close(fd);
	return GM_OK;
}

static void sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Closes dst (whatever happens), makes file tmp durable and renames it to path. */
static enum gm_err place_file(sqlite3 *dst, const char *tmp, const char *path, char *err,
			      size_t errlen)
{
	enum gm_err e;
	if (sqlite3_close(dst) != SQLITE_OK) {
		e = db_err(dst, tmp, err, errlen);
		sqlite3_close_v2(dst);
		return e;
	}
	if ((e = sync_file(tmp, err, errlen)))
		return e;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return GM_E_IO;
	}
	sync_dir_of(path);
	return GM_OK;
}

/* Copies database `src` into `dst` in one step: one read transaction. */
static enum gm_err copy_db(sqlite3 *dst, sqlite3 *src, char *err, size_t errlen)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b)
		return db_err(dst, "backup", err, errlen);
	int rc;
	/* another writer holding the lock a moment: SQLite says BUSY, retry */
	for (int tries = 0; (rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
			    rc == SQLITE_LOCKED; tries++) {
		if (tries == 100)
			break;
		sqlite3_sleep(100);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "copying the store: %s", sqlite3_errstr(rc));
		return (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR ? GM_E_FULL : GM_E_DB;
	}
	return GM_OK;
}

static enum gm_err exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, "backup", err, errlen);
	return GM_OK;
}

/* Adds the node directory's files to the backup being written. */
static enum gm_err add_files(sqlite3 *db, const char *dir, bool with_keys,
			     struct backup_info *info, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	enum gm_err e = GM_OK;
	if (sqlite3_prepare_v2(db, "INSERT INTO gm_backup_files(name, body) VALUES (?1, ?2)", -1, &s,
			       NULL) != SQLITE_OK)
		return db_err(db, "backup", err, errlen);
	for (size_t i = 0; i < NFILES && !e; i++) {
		char path[PATH_MAX];
		uint8_t *data;
		size_t len;
		if (node_files[i].secret && !with_keys)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, node_files[i].name);
		if (access(path, F_OK) != 0)
			continue;
		if (fileio_read_all(path, FILE_MAX, &data, &len, err, errlen)) {
			e = GM_E_IO;
			break;
		}
		sqlite3_bind_text(s, 1, node_files[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, data, (int)len, SQLITE_TRANSIENT);
		if (sqlite3_step(s) != SQLITE_DONE)
			e = db_err(db, "backup", err, errlen);
		sqlite3_reset(s);
		free(data);
		if (e)
			break;
		info->files++;
		if (node_files[i].secret)
			info->keys = true;
	}
	sqlite3_finalize(s);
	return e;
}

static enum gm_err set_kv(sqlite3 *db, const char *table, const char *k, const char *sv,
			  int64_t iv, char *err, size_t errlen)
{
	char sql[96];
	sqlite3_stmt *s;
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO %s(k, v) VALUES (?1, ?2)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_err(db, "backup", err, errlen);
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	if (sv)
		sqlite3_bind_text(s, 2, sv, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(s, 2, iv);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GM_OK : db_err(db, "backup", err, errlen);
}

enum gm_err backup_write(struct store *st, const char *path, bool with_keys,
			 struct backup_info *info, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	sqlite3 *dst = NULL;
	struct stat sb;
	enum gm_err e;

	memset(info, 0, sizeof(*info));
	snprintf(info->code, sizeof(info->code), "%s", store_code(st));
	snprintf(info->level, sizeof(info->level), "%s", level_name(store_level(st)));
	info->made = (int64_t)(hlc_wall_ms() / 1000);
	info->batches = store_batch_head(st);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return GM_E_INVAL;
	}
	if ((e = create_private(tmp, err, errlen)))
		return e;
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		e = db_err(dst, tmp, err, errlen);
		goto out_unlink;
	}
	if ((e = copy_db(dst, store_db(st), err, errlen)))
		goto out_unlink;
	/* one self-contained file, no -wal beside it; no bytes of old rows */
	if ((e = exec(dst, "PRAGMA journal_mode=DELETE; PRAGMA secure_delete=ON;", err, errlen)) ||
	    (e = exec(dst, "BEGIN", err, errlen)) || (e = exec(dst, backup_ddl, err, errlen)) ||
	    (e = set_kv(dst, "gm_backup", "made", NULL, info->made, err, errlen)) ||
	    (e = set_kv(dst, "gm_backup", "version", GM_VERSION, 0, err, errlen)) ||
	    (e = set_kv(dst, "gm_backup", "source", store_dir(st), 0, err, errlen)) ||
	    (e = add_files(dst, store_dir(st), with_keys, info, err, errlen)) ||
	    (e = set_kv(dst, "gm_backup", "with_keys", NULL, info->keys, err, errlen)) ||
	    (e = exec(dst, "COMMIT", err, errlen)))
		goto out_unlink;
	e = place_file(dst, tmp, path, err, errlen);
	dst = NULL;
	if (e)
		goto out_unlink;
	if (stat(path, &sb) == 0)
		info->bytes = (uint64_t)sb.st_size;
	return GM_OK;
out_unlink:
	sqlite3_close(dst);
	unlink(tmp);
	return e;
}

/* ---------------------------------------------------------------- restore */

static bool has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *s;
	bool yes = false;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
			       -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	yes = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return yes;
}

/* Text value of `k` in `table` (meta or gm_backup); false if absent. */
static bool get_kv(sqlite3 *db, const char *table, const char *k, char *buf, size_t len)
{
	char sql[80];
	sqlite3_stmt *s;
	bool found = false;
	snprintf(sql, sizeof(sql), "SELECT v FROM %s WHERE k = ?1", table);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(s, 0);
		snprintf(buf, len, "%s", v ? (const char *)v : "");
		found = true;
	}
	sqlite3_finalize(s);
	return found;
}

/* Does the node have a parent: in its store, or in its restored settings? */
static bool has_parent(sqlite3 *src, const char *dir)
{
	struct config cfg;
	char path[PATH_MAX], why[256];
	config_defaults(&cfg);
	if (!get_kv(src, "meta", "parent", cfg.parent, sizeof(cfg.parent)))
		cfg.parent[0] = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, CONFIG_FILE);
	/* a bad file leaves cfg alone (the store's parent); gridnode will complain */
	bool bad = config_load(&cfg, path, true, why, sizeof(why)) != GM_OK;
	(void)bad;
	return cfg.parent[0] != 0;
}

/* Checks what the backup is and that it fits this build. */
static enum gm_err check_source(sqlite3 *src, const char *path, struct backup_info *info,
				char *err, size_t errlen)
{
	char buf[64];
	if (!has_table(src, "meta") || !get_kv(src, "meta", "format", buf, sizeof(buf))) {
		snprintf(err, errlen, "%s is not a gridmesh backup", path);
		return GM_E_MALFORMED;
	}
	if (atoi(buf) != STORE_FORMAT) {
		snprintf(err, errlen, "%s holds store format %s; this build reads format %d"
			 " (restore it with the version that made it, then upgrade)", path, buf,
			 STORE_FORMAT);
		return GM_E_VERSION;
	}
	if (!get_kv(src, "meta", "code", info->code, sizeof(info->code)) ||
	    !get_kv(src, "meta", "level", info->level, sizeof(info->level))) {
		snprintf(err, errlen, "%s: the store in it has no node code", path);
		return GM_E_MALFORMED;
	}
	if (has_table(src, "gm_backup") && get_kv(src, "gm_backup", "made", buf, sizeof(buf)))
		info->made = atoll(buf);
	return GM_OK;
}

/*
 * Walks the backup's files: with `write` false, refuses unknown names and
 * existing files that differ; with `write` true, writes the missing ones.
 */
static enum gm_err put_files(sqlite3 *src, const char *dir, bool write, struct backup_info *info,
			     char *err, size_t errlen)
{
	sqlite3_stmt *s;
	enum gm_err e = GM_OK;
	if (!has_table(src, "gm_backup_files"))
		return GM_OK;
	if (sqlite3_prepare_v2(src, "SELECT name, body FROM gm_backup_files ORDER BY name", -1, &s,
			       NULL) != SQLITE_OK)
		return db_err(src, "backup files", err, errlen);
	while (!e && sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		const void *body = sqlite3_column_blob(s, 1);
		size_t len = (size_t)sqlite3_column_bytes(s, 1);
		char path[PATH_MAX];
		uint8_t *have;
		size_t hlen;
		/* names come from a file anyone could have edited: only ours */
		if (!name || !known_file(name)) {
			snprintf(err, errlen, "backup carries an unexpected file '%s'",
				 name ? name : "");
			e = GM_E_MALFORMED;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (fileio_read_all(path, FILE_MAX, &have, &hlen, err, errlen) == 0) {
			bool same = hlen == len && (!len || memcmp(have, body, len) == 0);
			free(have);
			if (!same) {
				snprintf(err, errlen, "%s exists and differs from the backup's copy;"
					 " move it away first", path);
				e = GM_E_EXISTS;
			}
			continue;
		}
		if (!write)
			continue;
		if (fileio_write_atomic(path, body ? body : "", len, err, errlen)) {
			e = GM_E_IO;
			break;
		}
		info->files++;
		if (secret_file(name))
			info->keys = true;
	}
	sqlite3_finalize(s);
	return e;
}

enum gm_err backup_restore(const char *path, const char *dir, struct backup_info *info,
			   char *err, size_t errlen)
{
	char db_path[PATH_MAX], tmp[PATH_MAX];
	sqlite3 *src = NULL, *dst = NULL;
	struct stat sb;
	enum gm_err e;

	memset(info, 0, sizeof(*info));
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return GM_E_NOTFOUND;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a file", path);
		return GM_E_INVAL;
	}
	info->bytes = (uint64_t)sb.st_size;
	snprintf(db_path, sizeof(db_path), "%s/%s", dir, STORE_DB_NAME);
	snprintf(tmp, sizeof(tmp), "%s.restore.%ld", db_path, (long)getpid());
	if (stat(db_path, &sb) == 0) {
		snprintf(err, errlen, "%s already holds a store; restore into a new directory"
			 " (or move that one away first)", dir);
		return GM_E_EXISTS;
	}
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(src));
		sqlite3_close(src);
		return GM_E_IO;
	}
	if ((e = check_source(src, path, info, err, errlen)))
		goto out_close;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		e = GM_E_IO;
		goto out_close;
	}
	/* refuse before writing anything; the files go first (rerunning a
	 * restore that failed later finds them identical) to read the parent */
	if ((e = put_files(src, dir, false, info, err, errlen)) ||
	    (e = put_files(src, dir, true, info, err, errlen)))
		goto out_close;
	/*
	 * A node with a parent asks it for what it sent up after the backup
	 * (its own batches, which a parent otherwise never returns to a child);
	 * until then it issues no record ids (backup.h).  Without a parent
	 * there is no one to ask.
	 */
	info->reclaim = has_parent(src, dir);
	if ((e = create_private(tmp, err, errlen)))
		goto out_close;
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		e = db_err(dst, tmp, err, errlen);
		goto out_unlink;
	}
	if ((e = copy_db(dst, src, err, errlen)))
		goto out_unlink;
	char check[64] = "";
	sqlite3_stmt *qc;
	if (sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &qc, NULL) == SQLITE_OK &&
	    sqlite3_step(qc) == SQLITE_ROW)
		snprintf(check, sizeof(check), "%s", (const char *)sqlite3_column_text(qc, 0));
	sqlite3_finalize(qc);
	if (strcmp(check, "ok") != 0) {
		snprintf(err, errlen, "%s is damaged (SQLite quick_check: %s)", path,
			 check[0] ? check : "no answer");
		e = GM_E_MALFORMED;
		goto out_unlink;
	}
	/*
	 * Children keep their cursors into our log, which just went back in
	 * time: each is asked, once, to send everything again (server.c), so
	 * what they sent after the backup, residents included, comes back.
	 */
	if ((e = exec(dst, "PRAGMA secure_delete=ON; BEGIN;"
			   " DROP TABLE IF EXISTS gm_backup_files; DROP TABLE IF EXISTS gm_backup;"
			   " DELETE FROM meta WHERE k IN ('daemon_pid', 'last_sync_err');"
			   " INSERT OR REPLACE INTO meta(k, v) SELECT 'resync:' || code, 1 FROM children;",
		      err, errlen)) ||
	    (e = set_kv(dst, "meta", "restored_at", NULL, (int64_t)(hlc_wall_ms() / 1000), err,
			    errlen)) ||
	    (e = set_kv(dst, "meta", "reclaim", NULL, info->reclaim, err, errlen)) ||
	    (e = exec(dst, "COMMIT; PRAGMA journal_mode=WAL;", err, errlen)))
		goto out_unlink;
	e = place_file(dst, tmp, db_path, err, errlen);
	dst = NULL;
	if (e)
		goto out_unlink;
	goto out_close;
out_unlink:
	sqlite3_close(dst);
	unlink(tmp);
	/* WAL mode leaves these beside the copy being made */
	snprintf(db_path, sizeof(db_path), "%s-wal", tmp);
	unlink(db_path);
	snprintf(db_path, sizeof(db_path), "%s-shm", tmp);
	unlink(db_path);
out_close:
	sqlite3_close(src);
	return e;
}
