/* store.c - the backend-independent transaction helper; see store.h. */
#include "store/store.h"
#include "store/pg.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void *store_cache_get(store *s, const void *key)
{
    for (int i = 0; i < STORE_CACHE_SLOTS; i++)
        if (s->caches[i].key == key) return s->caches[i].value;
    return NULL;
}

void store_cache_put(store *s, const void *key, void *value, void (*free_fn)(void *))
{
    int slot = -1;
    for (int i = 0; i < STORE_CACHE_SLOTS && slot < 0; i++)
        if (s->caches[i].key == key) slot = i;
    for (int i = 0; i < STORE_CACHE_SLOTS && slot < 0; i++)
        if (!s->caches[i].key) slot = i;
    if (slot < 0) abort();
    struct store_cache_slot *c = &s->caches[slot];
    if (c->value && c->value != value && c->free) c->free(c->value);
    c->key = key;
    c->value = value;
    c->free = free_fn;
}

void store_cache_clear(store *s)
{
    for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
        struct store_cache_slot *c = &s->caches[i];
        if (c->value && c->free) c->free(c->value);
        c->key = NULL;
        c->value = NULL;
    }
}

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

store *store_open(const char *db, int flags, tr_err *e)
{
    return store_pg_is_uri(db) ? store_pg_open(db, flags, e) : store_sqlite_open(db, flags, e);
}
