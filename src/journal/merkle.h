/* merkle.h - RFC 6962 / RFC 9162 Merkle trees over a journal, kept incrementally.
 *
 * Hashes. A leaf is SHA-256(0x00 || data), an interior node SHA-256(0x01 || left ||
 * right); the tree over n leaves splits at the largest power of two smaller than n; the
 * empty tree's root is SHA-256("").
 *
 * Storage. Every *complete* subtree is stored once, when its last leaf arrives, in one
 * append-only sequence of hashes (the layout of the Go checksum database's tlog package):
 * appending leaf i stores its hash, then the hashes of the 0, 1, 2... subtrees that leaf
 * completes. Node (level L, index k) covers leaves [k*2^L, (k+1)*2^L) and sits at
 * merkle_stored_index(L, k). Nothing stored is ever rewritten.
 *
 * Any subtree [lo, hi) that RFC 6962 proofs mention is complete or is a right edge made of
 * O(log n) complete subtrees, so the root of any tree size and every inclusion and
 * consistency proof needs O(log n) stored hashes, read in one batch.
 *
 * Appending needs only the frontier: the complete subtrees that make up the current tree,
 * one per set bit of its size (a binary counter of hashes). */
#ifndef TRUCE_JOURNAL_MERKLE_H
#define TRUCE_JOURNAL_MERKLE_H

#include "core/err.h"
#include "core/hash.h"

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN  TR_HASH_LEN
#define MERKLE_MAX_PROOF 128 /* More than any proof for 2^63 leaves needs. */

typedef tr_hash merkle_hash; /* core/hash.h: SHA-256, 32 bytes */

void merkle_leaf_hash(merkle_hash out, const void *data, size_t len);
void merkle_node_hash(merkle_hash out, const merkle_hash left, const merkle_hash right);
void merkle_empty_root(merkle_hash out);

/* Position of node (level, index) in the stored sequence; and how many hashes a tree of
 * `size` leaves has stored. */
int64_t merkle_stored_index(int level, int64_t index);
int64_t merkle_stored_count(int64_t size);

/* Reads stored hashes by position: out[i] = hash at ids[i]. Returns 0 or -1 (e set). */
typedef int (*merkle_read_fn)(void *cls, const int64_t *ids, size_t n, merkle_hash *out, tr_err *e);

/* The frontier of a tree: node[L] is its complete subtree at level L, present when bit L
 * of size is set. */
typedef struct merkle_frontier {
    int64_t size;
    merkle_hash node[64];
} merkle_frontier;

/* Loads the frontier of a tree of `size` leaves from storage. */
int merkle_frontier_load(merkle_frontier *f, int64_t size, merkle_read_fn read, void *cls,
                         tr_err *e);
/* Appends a leaf. Writes the hashes to store, in storage order, to out (at most 64) and
 * their count to *n; the first is stored at merkle_stored_count(old size). */
void merkle_frontier_push(merkle_frontier *f, const merkle_hash leaf, merkle_hash *out, size_t *n);
void merkle_frontier_root(const merkle_frontier *f, merkle_hash root);

/* Root of the tree of the first `size` leaves. */
int merkle_root(int64_t size, merkle_read_fn read, void *cls, merkle_hash root, tr_err *e);

/* RFC 6962 PATH(index, D[size]), deepest sibling first. */
int merkle_inclusion_proof(int64_t index, int64_t size, merkle_read_fn read, void *cls,
                           merkle_hash *proof, size_t *len, tr_err *e);
/* RFC 6962 PROOF(size1, D[size2]); empty when size1 is 0 or equal to size2. */
int merkle_consistency_proof(int64_t size1, int64_t size2, merkle_read_fn read, void *cls,
                             merkle_hash *proof, size_t *len, tr_err *e);

/* RFC 9162 section 2.1.3.2. Returns 0 when the proof is valid. */
int merkle_verify_inclusion(int64_t index, int64_t size, const merkle_hash leaf,
                            const merkle_hash *proof, size_t len, const merkle_hash root);
/* RFC 9162 section 2.1.4.2, with the conventions: size1 == size2 needs an empty proof and
 * equal roots; size1 == 0 needs an empty proof; size1 > size2 is invalid. */
int merkle_verify_consistency(int64_t size1, int64_t size2, const merkle_hash root1,
                              const merkle_hash root2, const merkle_hash *proof, size_t len);

#endif
