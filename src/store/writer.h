/* writer.h - the group committer: one thread, one connection, many writes per fsync.
 *
 * A durable write in SQLite costs an fsync of the WAL at COMMIT. Paying it once per
 * request caps a server at a few thousand writes a second; paying it once per batch does
 * not. The writer owns the only writing connection. Request threads hand it jobs; it
 * takes every job queued at that moment (up to WRITER_BATCH_MAX), runs them in one
 * transaction, each in its own savepoint (a failing job is rolled back alone), commits
 * once, and only then reports each job done. So a reply is never sent for a write that is
 * not yet on disk, and under load one fsync covers many requests.
 *
 * Just before the COMMIT the store's before-commit hook signs one checkpoint for the
 * batch, and each job that appended an event gets a receipt proving its inclusion in it.
 *
 * Jobs must not block: they run on the writer thread, between the BEGIN and the COMMIT of
 * everyone else's writes. Validation, password hashing and the like belong before
 * submission. */
#ifndef TRUCE_STORE_WRITER_H
#define TRUCE_STORE_WRITER_H

#include "store/store.h"

#include <stdint.h>

#define WRITER_BATCH_MAX 1024

typedef struct writer writer;
typedef struct writer_job writer_job;

struct writer_job {
    store_txn_fn fn;               /* The work; runs inside the batch transaction. */
    void *cls;                     /* Passed to fn. */
    void (*done)(writer_job *job); /* Called on the writer thread once the fate is known. */
    void *done_cls;                /* For the done callback. */
    int rc;                        /* 0 committed; -1 failed, with err set. */
    tr_err err;                    /* Why the job failed. */
    int64_t seq;                   /* Last journal event the job appended, or 0. */
    int64_t prove;                 /* Set by fn when it appends nothing: an event to
                                      give a receipt for all the same (a retry). */
    char *receipt;                 /* Its receipt, JSON text (journal_receipt), owned by
                                      the job's owner once done() has been called; or
                                      NULL. */
    writer_job *next;              /* Queue link, owned by the writer. */
};

typedef struct writer_stats {
    uint64_t batches; /* Transactions committed. */
    uint64_t jobs;    /* Jobs run (committed or not). */
    uint64_t largest; /* Most jobs seen in one batch. */
    uint64_t running; /* Jobs in the batch being run now (0 when idle). */
} writer_stats;

/* Starts the writer thread. It takes ownership of s (closed by writer_stop). */
writer *writer_start(store *s, tr_err *e);

/* Queues a job; job->done runs later on the writer thread. The job must stay valid until
 * then. After writer_stop() has begun, the job fails at once with writer.stopped. */
void writer_submit(writer *w, writer_job *job);

/* Queues fn and waits for its fate; returns 0 committed, -1 failed (e set). */
int writer_run(writer *w, store_txn_fn fn, void *cls, tr_err *e);

/* Fails every job still queued (not the batch being run) with why, calling their done()
 * on this thread; returns how many. For a stop that cannot wait for them. */
size_t writer_refuse_queued(writer *w, const tr_err *why);

void writer_get_stats(writer *w, writer_stats *out);

/* Finishes every queued job, stops the thread and closes the store. */
void writer_stop(writer *w);

#endif
