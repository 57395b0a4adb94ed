/*
 * refdata.h - reference tables loaded at `init`.
 *
 * The GB/T 30428 event and component class tables ship as CSV files
 * (data/ in the source tree, PREFIX/share/gridmesh when installed).  At
 * init they become genesis rows: records with scope "" and no clock, the
 * same bytes on every node, so they need no syncing; a city's own classes
 * and changes are ordinary reference records that sync down.
 *
 * The files: gbt30428-events.csv, gbt30428-components.csv (class tables)
 * and time-limits.csv (node/limits.h).  A CSV's first row names the
 * columns (`code` is the key); rows whose first field starts with '#' are
 * comments; INT and REAL columns are parsed (empty = no value).
 */
#ifndef GM_REFDATA_H
#define GM_REFDATA_H

#include "../proto/err.h"

struct store;

/* Loads every known reference CSV from `dir` (inside the caller's txn). */
GM_WUR enum gm_err refdata_load(struct store *st, const char *dir);

/* Default directory of reference CSVs: $GRIDMESH_DATA, else the installed
 * data dir, else ../data next to the running binary. */
const char *refdata_default_dir(void);

#endif
