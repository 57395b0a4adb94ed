/*
 * arena.h - a bump allocator for short-lived, many-small-piece work
 * (building one batch, one history listing).  Everything is freed at once
 * by arena_free(); nothing is freed piece by piece.
 */
#ifndef GM_ARENA_H
#define GM_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t chunk_size;
};

void arena_init(struct arena *a, size_t chunk_size);
void arena_free(struct arena *a);
/* 8-byte aligned; NULL on allocation failure. */
void *arena_alloc(struct arena *a, size_t n);
/* Copy of s[0, len) with a terminating NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t len);

#endif
