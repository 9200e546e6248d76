/* arena.c - bump allocator; see arena.h. */
#include "core/arena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    arena_chunk *next; /* Older chunk. */
    size_t used, cap;  /* Bytes handed out / available in data. */
    alignas(max_align_t) unsigned char data[];
};

void *arena_alloc(arena *a, size_t n)
{
    const size_t align = alignof(max_align_t);
    size_t off;
    arena_chunk *c = a->head;
    n = n ? n : 1;
    if (c) {
        off = (c->used + align - 1) & ~(align - 1);
        if (off + n <= c->cap) {
            c->used = off + n;
            return memset(c->data + off, 0, n);
        }
    }
    size_t cap = n > 4096 ? n : 4096;
    c = malloc(sizeof *c + cap);
    if (!c) abort();
    c->next = a->head;
    c->cap = cap;
    c->used = n;
    a->head = c;
    return memset(c->data, 0, n);
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

void arena_free(arena *a)
{
    arena_chunk *c = a->head;
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}
