/*
 * err.h - the one error enum of gridmesh.
 *
 * Every command-like function in proto/, sync/, node/ and tools/ returns a
 * gm_err: 0 means success, anything else names what went wrong.  Callers
 * that need to say *why* to a user use gm_strerror() for the class and the
 * module's own detail message (e.g. store_errmsg()) for the specifics.
 * Predicates return bool instead.
 */
#ifndef GM_ERR_H
#define GM_ERR_H

enum gm_err {
	GM_OK = 0,
	GM_E_NOMEM,        /* allocation failed */
	GM_E_INVAL,        /* bad argument from a user or caller */
	GM_E_MALFORMED,    /* bytes that do not decode (truncated, wrong types) */
	GM_E_TOOBIG,       /* over a configured or hard size limit */
	GM_E_VERSION,      /* a format version we cannot read */
	GM_E_CLOCK,        /* a remote clock too far ahead of ours */
	GM_E_NOTFOUND,     /* no such record, node or file */
	GM_E_EXISTS,       /* already there (duplicate batch, existing node dir) */
	GM_E_STATE,        /* illegal transition or wrong state for the call */
	GM_E_SCOPE,        /* a write outside the writer's scope */
	GM_E_AUTH,         /* bad signature, unknown or revoked origin */
	GM_E_REPLAY,       /* a batch we have already applied */
	GM_E_DB,           /* SQLite said no (details in the store's message) */
	GM_E_IO,           /* file or socket I/O failed */
	GM_E_NET,          /* peer unreachable, timed out or refused */
	GM_E_FULL,         /* disk full or store read-only */
	GM_E_COMPRESS,     /* compressed payload does not decompress */
	GM_E_REVOKED,      /* signed by a key revoked before it was stamped: for good */
	GM_E__COUNT
};

const char *gm_strerror(enum gm_err e);

#if defined(__GNUC__)
#define GM_WUR __attribute__((warn_unused_result))
#define GM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define GM_WUR
#define GM_PRINTF(a, b)
#endif

#endif
