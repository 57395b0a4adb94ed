/* tickets.c - ticket lifecycle rules. */
#include <stdio.h>
#include <string.h>
#include "tickets.h"

const char *const ticket_statuses[] = {
	"reported", "registered", "dispatched", "in_progress", "resolved",
	"verified", "closed", "rejected", NULL
};

const char *const ticket_sources[] = {
	"citizen_app", "grid_worker", "camera_ai", "hotline", "device", "import", NULL
};

/* alarm: a device reports a condition that needs someone (water level, a full bin) */
const char *const asset_states[] = { "normal", "damaged", "lost", "repair", "alarm", NULL };

static const struct {
	const char *from, *to;
} moves[] = {
	{ "reported", "registered" },
	{ "reported", "rejected" },
	{ "registered", "dispatched" },
	{ "registered", "rejected" },
	{ "dispatched", "dispatched" },
	{ "dispatched", "in_progress" },
	{ "in_progress", "resolved" },
	{ "resolved", "verified" },
	{ "resolved", "dispatched" },
	{ "verified", "closed" },
	{ "closed", "registered" },
	{ "rejected", "registered" },
};

static bool in_list(const char *const *list, const char *s)
{
	for (; s && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

bool ticket_status_valid(const char *s)
{
	return in_list(ticket_statuses, s);
}

bool ticket_source_valid(const char *s)
{
	return in_list(ticket_sources, s);
}

bool asset_state_valid(const char *s)
{
	return in_list(asset_states, s);
}

bool ticket_move_ok(const char *from, const char *to)
{
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0)
			return true;
	return false;
}

bool ticket_status_open(const char *s)
{
	return s && strcmp(s, "closed") != 0 && strcmp(s, "rejected") != 0;
}

void ticket_id_format(char *out, size_t len, const char *code, long long seq)
{
	snprintf(out, len, "%s-%06lld", code, seq);
}
