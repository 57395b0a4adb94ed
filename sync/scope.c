/* scope.c - node codes and levels. */
#include <string.h>
#include "scope.h"

static const struct {
	const char *name;
	unsigned len;
} levels[] = {
	[LEVEL_NONE] = { "none", 0 },
	[LEVEL_CITY] = { "city", 4 },
	[LEVEL_DISTRICT] = { "district", 6 },
	[LEVEL_STREET] = { "street", 9 },
	[LEVEL_GRID] = { "grid", 15 },
};

const char *level_name(enum level l)
{
	return l <= LEVEL_GRID ? levels[l].name : "none";
}

enum level level_from_name(const char *s)
{
	for (int l = LEVEL_CITY; l <= LEVEL_GRID; l++)
		if (s && strcmp(s, levels[l].name) == 0)
			return (enum level)l;
	return LEVEL_NONE;
}

unsigned level_code_len(enum level l)
{
	return l <= LEVEL_GRID ? levels[l].len : 0;
}

static bool all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

enum level code_level(const char *code, size_t len)
{
	if (!code || !all_digits(code, len))
		return LEVEL_NONE;
	for (int l = LEVEL_CITY; l <= LEVEL_GRID; l++)
		if (levels[l].len == len)
			return (enum level)l;
	return LEVEL_NONE;
}

bool code_valid(const char *code, size_t len)
{
	return code_level(code, len) != LEVEL_NONE;
}

bool scope_within(const char *scope, size_t slen, const char *code, size_t clen)
{
	return slen >= clen && memcmp(scope, code, clen) == 0;
}

bool code_is_parent(const char *parent, const char *child)
{
	size_t pl = strlen(parent), cl = strlen(child);
	enum level lp = code_level(parent, pl), lc = code_level(child, cl);
	return lp != LEVEL_NONE && lc == lp + 1 && scope_within(child, cl, parent, pl);
}

bool node_id_from_code(const char *code, size_t len, uint64_t *id)
{
	uint64_t v = 0;
	if (!len || len > CODE_MAX || !all_digits(code, len))
		return false;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (uint64_t)(code[i] - '0');
	*id = v * 16 + len;
	return true;
}

bool node_code_from_id(uint64_t id, char out[CODE_MAX + 1])
{
	unsigned len = id & 15;
	uint64_t v = id >> 4;
	if (!len || len > CODE_MAX)
		return false;
	for (unsigned i = len; i-- > 0;) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[len] = 0;
	return v == 0;
}
