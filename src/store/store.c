/* store.c - the backend-independent transaction helper; see store.h. */
#include "store/store.h"

#include <string.h>
#include <time.h>

static int busy(const tr_err *e)
{
    return strcmp(e->code, "store.busy") == 0;
}

int store_txn(store *s, store_txn_fn fn, void *cls, tr_err *e)
{
    for (int attempt = 0;; attempt++) {
        int rc = s->ops->begin(s, e);
        if (rc == 0) {
            rc = fn(s, cls, e);
            if (rc == 0 && s->before_commit) rc = s->before_commit(s, s->before_commit_cls, e);
            if (rc == 0) rc = s->ops->commit(s, e);
            if (rc != 0) s->ops->rollback(s);
        }
        if (rc == 0) return 0;
        if (!busy(e) || attempt >= 7) return -1;
        err_clear(e);
        struct timespec ts = {0, (long)(1000000L << attempt)}; /* 1, 2, 4 ... 128 ms */
        nanosleep(&ts, NULL);
    }
}
