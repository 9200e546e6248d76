/* arena.h - bump allocator for request-scoped memory.
 *
 * A request allocates its parsed path, parameters and small strings from one arena and
 * frees them all at once when the request completes (h2o's mem pool, PostgreSQL's memory
 * contexts). Chunks are 4 KiB or the size of a larger allocation; nothing is freed
 * individually. Allocation failure aborts. */
#ifndef TRUCE_CORE_ARENA_H
#define TRUCE_CORE_ARENA_H

#include <stddef.h>

typedef struct arena_chunk arena_chunk;
typedef struct arena {
    arena_chunk *head; /* Most recent chunk; allocations come from it while they fit. */
} arena;

#define ARENA_INIT                                                                                 \
    {                                                                                              \
        NULL                                                                                       \
    }

void *arena_alloc(arena *a, size_t n); /* Zeroed, aligned to max_align_t. */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
void arena_free(arena *a); /* Frees every chunk; the arena can be used again. */

#endif
