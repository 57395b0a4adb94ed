/*
 * backup.h - online backups of a node directory, and restores from them.
 *
 * A backup is one SQLite file: a consistent copy of the store made with
 * SQLite's backup API from a read transaction (gridnode keeps running and
 * writing; the copy is the store as of one commit), plus a table of the
 * node directory's small files: gridnode.conf and the public identity
 * files (identity.h) always, the secret keys (node.key, street.key) only
 * when asked.
 * The file is written 0600 whatever it holds (records carry reporters'
 * contact details), atomically (a crash leaves the old file or the new).
 *
 * A restore copies the store into a directory that holds none, writes
 * the files back (0600), and marks the store restored: a node with a
 * parent then asks it, once, for the batches this node itself had sent
 * up after the backup was made (docs/protocol.md, "reclaim"), and makes
 * no new record ids until that is done, so none is issued twice; and
 * each child the node knew is asked, once, to send everything again
 * ("resync:CODE" in meta, node/server.c), since it holds cursors into a
 * log that went back in time.
 */
#ifndef GM_BACKUP_H
#define GM_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../proto/err.h"

struct store;

struct backup_info {
	char code[16];
	char level[16];
	int64_t made;          /* unix seconds the backup was taken */
	int64_t batches;       /* batch log head of the store copied */
	uint64_t bytes;        /* size of the backup file */
	unsigned files;        /* node directory files carried */
	bool keys;             /* the secret keys are among them */
	bool reclaim;          /* restore: the node will ask its parent */
};

/*
 * Writes a backup of `st` (whose directory is store_dir(st)) to `path`,
 * replacing it if it exists.  `with_keys` adds node.key and street.key.
 */
GM_WUR enum gm_err backup_write(struct store *st, const char *path, bool with_keys,
				struct backup_info *info, char *err, size_t errlen);

/*
 * Restores backup `path` (or a plain copy of a store file) into `dir`,
 * which must not hold a store.  A file of `dir` that the backup also
 * carries must be identical or the restore is refused before anything
 * is written.
 */
GM_WUR enum gm_err backup_restore(const char *path, const char *dir, struct backup_info *info,
				  char *err, size_t errlen);

#endif
