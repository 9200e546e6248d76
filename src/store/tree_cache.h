/* tree_cache.h - a process-wide cache of committed Merkle tree hashes, by position.
 *
 * Stored tree hashes never change once committed, so every connection of a process can
 * share one cache of them: the tree's upper levels, which every proof needs, stay in it
 * and a proof reads only its lowest few levels from the database. Slots are chosen by a
 * multiplicative (Fibonacci) hash of the position, because the tree's left edge sits at
 * positions 2^k - 3, which collide under any power-of-two modulus. Each slot is guarded by
 * one of 256 mutexes, so readers on different threads rarely wait for each other. Only
 * committed hashes may be put in (see the SQLite backend's tree_read). */
#ifndef TRUCE_STORE_TREE_CACHE_H
#define TRUCE_STORE_TREE_CACHE_H

#include "core/hash.h"

#include <stdint.h>

typedef struct tree_cache tree_cache;

/* 2^bits slots of 40 bytes; memory is touched only as slots fill. */
tree_cache *tree_cache_new(unsigned bits);
void tree_cache_free(tree_cache *c);

/* 1 and the hash when position is cached, else 0. */
int tree_cache_get(tree_cache *c, int64_t position, tr_hash out);
void tree_cache_put(tree_cache *c, int64_t position, const tr_hash h);

#endif
