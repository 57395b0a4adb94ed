/*
 * log.h - leveled logging to stderr (journald picks it up under systemd).
 *
 * One line per event that matters; the level check happens in the macro so
 * a suppressed debug line costs one comparison.  fatal() is for start-up
 * only: it logs and exits(1).
 *
 * Line format: "TIME IDENT LEVEL: message" on a terminal or in a file.
 * When stderr is the journal (JOURNAL_STREAM names stderr's device and
 * inode, as systemd sets it for a service), lines carry no timestamp
 * (journald adds its own) and start with the syslog priority, "<3>" for
 * error to "<7>" for debug, which journald turns into the entry's
 * priority (journalctl -p warning shows warnings and errors only).
 */
#ifndef GM_LOG_H
#define GM_LOG_H

#include "../proto/err.h"

enum log_level { LL_ERR = 0, LL_WARN, LL_NOTICE, LL_INFO, LL_DEBUG };

extern enum log_level log_threshold;

void log_set_level(enum log_level l);
/* "error", "warn", "notice", "info", "debug"; returns false if unknown. */
int log_level_parse(const char *s, enum log_level *out);
/* Prefix every line with this (e.g. the node code). */
void log_set_ident(const char *ident);
void log_write(enum log_level l, const char *fmt, ...) GM_PRINTF(2, 3);
/* A line already formatted by someone else (libcoap), without its newline. */
void log_line(enum log_level l, const char *msg);
/*
 * Makes s one line of printable text in place: newlines, returns and tabs
 * become spaces, other control characters '?'.  Every log line gets it;
 * a message that quotes outside text (a query, a file's field, a peer's
 * name) gets it before it goes anywhere else (a reply, the rejects table,
 * a terminal).
 */
void log_clean(char *s);
/* Is stderr the journal?  (decided once, from JOURNAL_STREAM) */
int log_to_journal(void);
void fatal(const char *fmt, ...) GM_PRINTF(1, 2) __attribute__((noreturn));

#define log_err(...) log_write(LL_ERR, __VA_ARGS__)
#define log_warn(...) do { if (log_threshold >= LL_WARN) log_write(LL_WARN, __VA_ARGS__); } while (0)
#define log_notice(...) do { if (log_threshold >= LL_NOTICE) log_write(LL_NOTICE, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_threshold >= LL_INFO) log_write(LL_INFO, __VA_ARGS__); } while (0)
#define log_debug(...) do { if (log_threshold >= LL_DEBUG) log_write(LL_DEBUG, __VA_ARGS__); } while (0)

#endif
