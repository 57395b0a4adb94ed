/*
 * tickets.h - the ticket lifecycle (brief section 3).
 *
 *   reported -> registered -> dispatched -> in_progress -> resolved
 *            -> verified -> closed
 *   reported, registered -> rejected       (duplicate, not in scope)
 *   dispatched -> dispatched               (to another assignee)
 *   resolved -> dispatched                 (verification failed)
 *   closed, rejected -> registered         (reopen)
 *
 * The rules bind the writer (gridctl refuses an illegal move); a merge of
 * concurrent moves is per-field LWW like any other field, so two offline
 * moves may converge on a status neither writer reached by a legal path.
 * Both moves stay in the history.
 */
#ifndef GM_TICKETS_H
#define GM_TICKETS_H

#include <stdbool.h>
#include <stddef.h>

extern const char *const ticket_statuses[];   /* NULL-terminated */
extern const char *const ticket_sources[];    /* NULL-terminated */
extern const char *const asset_states[];      /* NULL-terminated */

bool ticket_status_valid(const char *s);
bool ticket_move_ok(const char *from, const char *to);
bool ticket_status_open(const char *s);       /* not closed or rejected */
bool ticket_source_valid(const char *s);
bool asset_state_valid(const char *s);

/* "<node code>-<sequence>" with the sequence zero-padded to 6 digits. */
void ticket_id_format(char *out, size_t len, const char *code, long long seq);

#endif
