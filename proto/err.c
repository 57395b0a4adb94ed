/* err.c - names for gm_err values. */
#include "err.h"

static const char *const names[GM_E__COUNT] = {
	[GM_OK] = "ok",
	[GM_E_NOMEM] = "out of memory",
	[GM_E_INVAL] = "invalid argument",
	[GM_E_MALFORMED] = "malformed input",
	[GM_E_TOOBIG] = "input too large",
	[GM_E_VERSION] = "unsupported format version",
	[GM_E_CLOCK] = "clock too far in the future",
	[GM_E_NOTFOUND] = "not found",
	[GM_E_EXISTS] = "already exists",
	[GM_E_STATE] = "not allowed in this state",
	[GM_E_SCOPE] = "outside the writer's scope",
	[GM_E_AUTH] = "authentication failed",
	[GM_E_REPLAY] = "already applied (replay or duplicate)",
	[GM_E_DB] = "database error",
	[GM_E_IO] = "I/O error",
	[GM_E_NET] = "network error",
	[GM_E_FULL] = "storage full or read-only",
	[GM_E_COMPRESS] = "payload does not decompress",
	[GM_E_REVOKED] = "signed by a revoked key",
};

const char *gm_strerror(enum gm_err e)
{
	if ((unsigned)e >= GM_E__COUNT || !names[e])
		return "unknown error";
	return names[e];
}
