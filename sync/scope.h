/*
 * scope.h - node codes, levels and the "who holds what" rules of the tree.
 *
 * A node code is a string of decimal digits whose length gives its level:
 * city 4 (GB/T 2260 prefecture), district 6, street 9, grid 15 (GB/T 30428.1
 * grid code).  A child's code extends its parent's.  A record's scope is the
 * code of the node that owns it; a node is responsible for every record
 * whose scope starts with its own code.
 *
 * Node ids: every code maps to a unique uint64 (value * 16 + length, so
 * leading zeros and lengths stay distinct).  Ids travel on the wire and
 * break ties between clocks; the mapping is reversible.
 */
#ifndef GM_SCOPE_H
#define GM_SCOPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum level { LEVEL_NONE = 0, LEVEL_CITY, LEVEL_DISTRICT, LEVEL_STREET, LEVEL_GRID };

#define CODE_MAX 15

const char *level_name(enum level l);
enum level level_from_name(const char *s);
/* Code length of a level, 0 for LEVEL_NONE. */
unsigned level_code_len(enum level l);
/* Level of a code by its length; LEVEL_NONE if it is not a valid code. */
enum level code_level(const char *code, size_t len);
bool code_valid(const char *code, size_t len);

/* `scope` lies in the subtree of `code` (prefix, equal included). */
bool scope_within(const char *scope, size_t slen, const char *code, size_t clen);
/* `parent` is exactly one level above `child` and a prefix of it. */
bool code_is_parent(const char *parent, const char *child);

bool node_id_from_code(const char *code, size_t len, uint64_t *id);
/* Writes the code (NUL-terminated, at most CODE_MAX + 1 bytes) of `id`. */
bool node_code_from_id(uint64_t id, char out[CODE_MAX + 1]);

#endif
