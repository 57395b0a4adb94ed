/* recid.c - record ids that are never issued twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "recid.h"
#include "store_int.h"

/* The highest sequence number of the ids "<code>-<prefix><digits>" tab holds. */
static enum gm_err highest_held(struct store *st, const struct table_def *tab,
				const char *prefix, int64_t *top)
{
	char lo[64], hi[64], sql[128];
	sqlite3_stmt *s;
	int rc;
	*top = 0;
	snprintf(lo, sizeof(lo), "%s-%s", st->code, prefix);
	snprintf(hi, sizeof(hi), "%s:", lo);     /* ':' sorts right after '9' */
	snprintf(sql, sizeof(sql), "SELECT id FROM %s WHERE id > ?1 AND id < ?2", tab->name);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return store_dberr(st, "record ids");
	sqlite3_bind_text(s, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, hi, -1, SQLITE_STATIC);
	size_t n = strlen(lo);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		const char *seq = id + n;
		size_t len = strlen(seq);
		if (len && len <= 18 && strspn(seq, "0123456789") == len && atoll(seq) > *top)
			*top = atoll(seq);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GM_OK : store_dberr(st, "record ids");
}

enum gm_err recid_new(struct store *st, const struct table_def *tab, const char *counter,
		      const char *prefix, char *out, size_t len)
{
	struct store_rec r;
	enum gm_err e;
	int64_t seq;
	int64_t rekeyed = store_meta_int(st, "rekeyed_at", 0);

	if (store_meta_int(st, "reclaim", 0)) {
		if (rekeyed > store_meta_int(st, "restored_at", 0))
			return store_fail(st, GM_E_STATE,
					  "this node was enrolled to replace an earlier key of %s and"
					  " has not yet got back the records made under it; sync"
					  " first (gridnode, or gridctl sync), then add new ones",
					  st->code);
		return store_fail(st, GM_E_STATE,
				  "this node was restored from a backup and has not yet got back"
				  " the records it made after it; sync first (gridnode, or gridctl"
				  " sync), then add new ones");
	}
	if (rekeyed) {
		/* once per replacement and counter: room for the ids the replaced
		 * device may have issued offline and not sent (they may yet be
		 * handed over, and stamped before any revocation they count) */
		char gap[96];
		int64_t top;
		snprintf(gap, sizeof(gap), "gap:%s", counter);
		if (store_meta_int(st, gap, 0) != rekeyed) {
			if ((e = highest_held(st, tab, prefix, &top)) ||
			    (e = store_seq_at_least(st, counter, top + RECID_REKEY_GAP)) ||
			    (e = store_meta_set_int(st, gap, rekeyed)))
				return e;
		}
	}
	store_rec_init(&r);
	for (;;) {
		if ((e = store_next_seq(st, counter, &seq)))
			break;
		snprintf(out, len, "%s-%s%06lld", st->code, prefix, (long long)seq);
		e = store_load(st, tab, out, 0, &r);
		if (e == GM_E_NOTFOUND) {
			e = GM_OK;
			break;
		}
		if (e)
			break;
		/* taken: issued before a restore, and back from the parent */
	}
	store_rec_free(&r);
	return e;
}
