/* recid.c - record ids that are never issued twice. */
#include <stdio.h>
#include "recid.h"
#include "store_int.h"

enum gm_err recid_new(struct store *st, const struct table_def *tab, const char *counter,
		      const char *prefix, char *out, size_t len)
{
	struct store_rec r;
	enum gm_err e;
	int64_t seq;

	if (store_meta_int(st, "reclaim", 0))
		return store_fail(st, GM_E_STATE,
				  "this node was restored from a backup and has not yet got back"
				  " the records it made after it; sync first (gridnode, or gridctl"
				  " sync), then add new ones");
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
