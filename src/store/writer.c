/* writer.c - the group committer; see writer.h. */
#include "store/writer.h"

#include "core/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct writer {
    store *s; /* The writing connection; used by the thread only. */
    pthread_t thread;
    pthread_mutex_t lock;    /* Guards head, tail, stopping and stats. */
    pthread_cond_t wake;     /* Signalled when a job arrives or on stop. */
    writer_job *head, *tail; /* Pending jobs, oldest first. */
    int stopping;
    writer_stats stats;
};

static void fail_all(writer_job *batch, const tr_err *why)
{
    for (writer_job *j = batch; j; j = j->next) {
        free(j->receipt);
        j->receipt = NULL;
        if (j->rc == 0) {
            j->rc = -1;
            err_set(&j->err, why->status, why->code, why->hint, "%s", why->message);
        }
    }
}

static int begin_retry(store *s, tr_err *e)
{
    for (int attempt = 0;; attempt++) {
        if (s->ops->begin(s, e) == 0) return 0;
        if (strcmp(e->code, "store.busy") != 0 || attempt >= 20) return -1;
        err_clear(e);
        struct timespec ts = {0, 5000000L};
        nanosleep(&ts, NULL);
    }
}

static void run_batch(writer *w, writer_job *batch, size_t n)
{
    tr_err e = TR_ERR_INIT;
    store *s = w->s;

    if (begin_retry(s, &e)) {
        fail_all(batch, &e);
        goto report;
    }
    for (writer_job *j = batch; j; j = j->next) {
        j->rc = 0;
        j->seq = 0;
        j->prove = 0;
        j->receipt = NULL;
        if (s->job_mark) s->job_mark(s);
        if (s->ops->savepoint(s, &j->err)) {
            j->rc = -1;
            continue;
        }
        if (j->fn(s, j->cls, &j->err) != 0) {
            j->rc = -1;
            s->ops->rollback_to(s);
        } else if (s->ops->release(s, &j->err) != 0) {
            j->rc = -1;
            s->ops->rollback_to(s);
        } else {
            j->seq = s->job_last_seq ? s->job_last_seq(s) : 0;
            if (!j->seq) j->seq = j->prove;
        }
    }
    if (s->before_commit && s->before_commit(s, s->before_commit_cls, &e)) {
        log_error("sealing a batch of %zu writes failed: %s", n, e.message);
        s->ops->rollback(s);
        fail_all(batch, &e);
        goto report;
    }
    if (s->ops->commit(s, &e)) {
        log_error("group commit of %zu writes failed: %s", n, e.message);
        s->ops->rollback(s);
        fail_all(batch, &e);
    } else if (s->before_commit) {
        /* Receipts prove inclusion in the checkpoint just committed; reading committed
         * hashes outside the transaction lets the connection's cache serve them. */
        for (writer_job *j = batch; j && s->job_receipt; j = j->next) {
            tr_err re = TR_ERR_INIT;
            if (j->rc == 0 && j->seq > 0 && s->job_receipt(s, j->seq, &j->receipt, &re)) {
                log_error("no receipt for event %lld: %s", (long long)j->seq, re.message);
                err_clear(&re);
            }
        }
    }
report:
    err_clear(&e);
    pthread_mutex_lock(&w->lock);
    w->stats.running = 0;
    w->stats.batches++;
    w->stats.jobs += n;
    if (n > w->stats.largest) w->stats.largest = n;
    pthread_mutex_unlock(&w->lock);
    for (writer_job *j = batch, *next; j; j = next) {
        next = j->next; /* done() may free the job. */
        j->next = NULL;
        j->done(j);
    }
}

static void *loop(void *arg)
{
    writer *w = arg;
    for (;;) {
        writer_job *batch, *last;
        size_t n = 1;
        pthread_mutex_lock(&w->lock);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head) {
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        batch = last = w->head;
        while (last->next && n < WRITER_BATCH_MAX) {
            last = last->next;
            n++;
        }
        w->head = last->next;
        if (!w->head) w->tail = NULL;
        last->next = NULL;
        w->stats.running = n;
        pthread_mutex_unlock(&w->lock);
        run_batch(w, batch, n);
    }
}

writer *writer_start(store *s, tr_err *e)
{
    writer *w = calloc(1, sizeof *w);
    if (!w) abort();
    w->s = s;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, loop, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w);
        err_set(e, 500, "writer.start_failed", NULL, "cannot start the writer thread");
        return NULL;
    }
    return w;
}

void writer_submit(writer *w, writer_job *job)
{
    job->next = NULL;
    job->rc = 0;
    pthread_mutex_lock(&w->lock);
    if (w->stopping) {
        pthread_mutex_unlock(&w->lock);
        job->rc = -1;
        err_set(&job->err, 503, "writer.stopped", "try again when the server is back",
                "the server is shutting down");
        job->done(job);
        return;
    }
    if (w->tail)
        w->tail->next = job;
    else
        w->head = job;
    w->tail = job;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

typedef struct sync_wait {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int finished;
} sync_wait;

static void sync_done(writer_job *job)
{
    sync_wait *sw = job->done_cls;
    pthread_mutex_lock(&sw->lock);
    sw->finished = 1;
    pthread_cond_signal(&sw->cond);
    pthread_mutex_unlock(&sw->lock);
}

int writer_run(writer *w, store_txn_fn fn, void *cls, tr_err *e)
{
    sync_wait sw = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    writer_job job = {.fn = fn, .cls = cls, .done = sync_done, .done_cls = &sw};
    writer_submit(w, &job);
    pthread_mutex_lock(&sw.lock);
    while (!sw.finished)
        pthread_cond_wait(&sw.cond, &sw.lock);
    pthread_mutex_unlock(&sw.lock);
    pthread_mutex_destroy(&sw.lock);
    pthread_cond_destroy(&sw.cond);
    free(job.receipt);
    if (job.rc == 0) return 0;
    *e = job.err; /* Moves the detail to the caller. */
    return -1;
}

size_t writer_refuse_queued(writer *w, const tr_err *why)
{
    writer_job *queued;
    size_t n = 0;
    pthread_mutex_lock(&w->lock);
    queued = w->head;
    w->head = w->tail = NULL;
    pthread_mutex_unlock(&w->lock);
    for (writer_job *j = queued, *next; j; j = next, n++) {
        next = j->next; /* done() may free the job. */
        j->next = NULL;
        j->rc = -1;
        err_set(&j->err, why->status, why->code, why->hint, "%s", why->message);
        j->done(j);
    }
    return n;
}

void writer_get_stats(writer *w, writer_stats *out)
{
    pthread_mutex_lock(&w->lock);
    *out = w->stats;
    pthread_mutex_unlock(&w->lock);
}

void writer_stop(writer *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->s->ops->close(w->s);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}
