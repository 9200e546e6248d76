/* audit.h - checking a database's journal against its Merkle tree and checkpoints, and
 * rebuilding the projections from the journal.
 *
 * The audit trusts nothing stored but the journal rows and the log's public key: it
 * recomputes every leaf from the rows (canonical entries), rebuilds the tree, compares
 * every stored hash with the recomputed one, checks every checkpoint's signature and root,
 * and stops at the first discrepancy, naming the entry and the two hashes. */
#ifndef TRUCE_JOURNAL_AUDIT_H
#define TRUCE_JOURNAL_AUDIT_H

#include "journal/note.h"
#include "store/store.h"

typedef struct audit_report {
    int ok;              /* 1 when everything matched. */
    int64_t entries;     /* Journal entries checked. */
    int64_t checkpoints; /* Checkpoints checked. */
    int64_t bytes;       /* Entry bytes hashed. */
    int64_t files;       /* Evidence files whose bytes were checked against their names. */
    merkle_hash root;    /* Recomputed root of the whole journal. */
    char problem[600];   /* The first discrepancy, when !ok. */
} audit_report;

/* Runs the audit. Returns 0 when it could run (see report->ok), -1 when it could not. */
int audit_db(store *s, const note_verifier *key, audit_report *report, tr_err *e);

/* Empties the projection tables and replays the whole journal into them, in one
 * transaction. */
int audit_rebuild(store *s, int64_t *events, tr_err *e);

#endif
