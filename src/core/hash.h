/* hash.h - the one hash type: SHA-256, 32 bytes, as the log (RFC 6962/9162), the store's
 * tree and checkpoints, and evidence names use it. Here, below them all, so that the store
 * need not include the journal's Merkle code for a type. */
#ifndef TRUCE_CORE_HASH_H
#define TRUCE_CORE_HASH_H

#define TR_HASH_LEN 32

typedef unsigned char tr_hash[TR_HASH_LEN];

#endif
