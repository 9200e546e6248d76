/* tree_cache.c - shared cache of committed tree hashes; see tree_cache.h. */
#include "store/tree_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 256

typedef struct slot {
    int64_t id; /* Position + 1; 0 when empty. */
    tr_hash hash;
} slot;

struct tree_cache {
    unsigned bits;
    slot *slots;
    pthread_mutex_t lock[STRIPES];
};

tree_cache *tree_cache_new(unsigned bits)
{
    tree_cache *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->bits = bits;
    c->slots = calloc((size_t)1 << bits, sizeof *c->slots);
    if (!c->slots) abort();
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&c->lock[i], NULL);
    return c;
}

void tree_cache_free(tree_cache *c)
{
    if (!c) return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&c->lock[i]);
    free(c->slots);
    free(c);
}

static size_t slot_of(const tree_cache *c, int64_t position)
{
    return (size_t)(((uint64_t)position * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - c->bits));
}

int tree_cache_get(tree_cache *c, int64_t position, tr_hash out)
{
    size_t i = slot_of(c, position);
    int hit;
    pthread_mutex_lock(&c->lock[i % STRIPES]);
    hit = c->slots[i].id == position + 1;
    if (hit) memcpy(out, c->slots[i].hash, TR_HASH_LEN);
    pthread_mutex_unlock(&c->lock[i % STRIPES]);
    return hit;
}

void tree_cache_put(tree_cache *c, int64_t position, const tr_hash h)
{
    size_t i = slot_of(c, position);
    pthread_mutex_lock(&c->lock[i % STRIPES]);
    c->slots[i].id = position + 1;
    memcpy(c->slots[i].hash, h, TR_HASH_LEN);
    pthread_mutex_unlock(&c->lock[i % STRIPES]);
}
