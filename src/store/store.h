/* store.h - the storage interface: a struct of function pointers, one per operation.
 *
 * Services never write SQL. They call the operations below through `s->ops`, and a
 * backend implements them: SQLite now (sqlite.c), PostgreSQL later, in the manner of the
 * GNU Taler exchange's database plugins. A `store` is one connection: it is used by one
 * thread at a time. The HTTP server keeps one for its writer thread and a pool for
 * readers (WAL lets readers run beside the writer).
 *
 * Transactions. Writes happen inside begin/commit. store_txn() wraps a callback in a
 * transaction and retries it when the backend reports contention (code "store.busy").
 * The group committer (writer.h) runs many callbacks in one transaction, each inside a
 * savepoint, so one failing request does not undo its neighbours.
 *
 * Lookups return 1 when found, 0 when not found, -1 on error (e set).
 *
 * The journal (see journal/journal.h) is the source of truth; the other tables are
 * projections of it, written only by journal/project.c. */
#ifndef TRUCE_STORE_STORE_H
#define TRUCE_STORE_STORE_H

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"

#include <stdint.h>

#define STORE_CACHE_SLOTS 4 /* Values the pillars may cache beside one connection. */

typedef struct store store;

#define STORE_SLUG_MAX   65  /* 64 bytes and the terminator. */
#define STORE_NAME_MAX   257 /* 256 bytes and the terminator. */
#define STORE_MAX_ACTORS 200 /* Actors that may stand for one organization. */
#define STORE_TIME_MAX   25  /* UTIL_ISO_LEN. */

typedef struct store_event {
    int64_t seq;            /* 1-based, dense; assigned by journal_append. */
    const char *type;       /* "org.created"... */
    const char *actor_org;  /* Slug of the acting organization, or NULL (operator, CLI). */
    const char *actor_user; /* Acting user name, or "cli" for the local operator. */
    const char *time;       /* UTC ISO 8601 with milliseconds. */
    const char *body;       /* Canonical JSON. */
    const char *visibility; /* Audience list; see journal.h. */
    const char *salt;       /* 64 hex digits for confidential events; NULL for public ones. */
} store_event;

typedef struct store_checkpoint {
    int64_t size; /* Tree size the checkpoint covers. */
    tr_hash root;
    char time[STORE_TIME_MAX];
    const char *note; /* The signed note; valid until the next call on the store. */
} store_checkpoint;

typedef enum store_count_by {
    STORE_BY_STATUS,
    STORE_BY_TYPE,
    STORE_BY_DAY,
    STORE_BY_ACTOR,
    STORE_BY_ZONE
} store_count_by;

typedef struct store_incident_line {
    int64_t id;
    const char *csv; /* the stored ACLED CSV row (len bytes, no NUL after), or NULL
                      * (then render from doc) */
    size_t len;
    const char *status, *doc;
    double latitude, longitude;
    const char *zones; /* as in store_incident_row */
} store_incident_line;

typedef struct store_stats {
    int64_t journal_length; /* Number of journal events. */
    int64_t db_bytes;       /* Database file plus its WAL. */
} store_stats;

typedef int (*store_row_cb)(void *cls, const void *row); /* Non-zero stops the scan. */

typedef struct store_ops {
    const char *backend; /* "sqlite" */
    void (*close)(store *s);

    /* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE). */
    int (*begin)(store *s, tr_err *e);
    int (*commit)(store *s, tr_err *e);
    void (*rollback)(store *s);
    int (*savepoint)(store *s, tr_err *e);
    int (*release)(store *s, tr_err *e);
    void (*rollback_to)(store *s);

    /* Journal: append-only. */
    int (*journal_append)(store *s, store_event *ev, tr_err *e); /* Sets ev->seq. */
    int (*journal_scan)(store *s, int64_t after, int64_t limit, store_row_cb cb, void *cls,
                        tr_err *e); /* Rows are store_event, in sequence order. */
    int (*stats)(store *s, store_stats *out, tr_err *e);

    /* The Merkle tree's stored hashes (see journal/merkle.h): append-only, by position. */
    int (*tree_append)(store *s, int64_t first, const tr_hash *h, size_t n, tr_err *e);
    int (*tree_read)(store *s, const int64_t *ids, size_t n, tr_hash *out, tr_err *e);
    int64_t (*tree_count)(store *s, tr_err *e); /* Hashes stored; -1 on error. */
    /* Hashes at positions [first, first + n) in one sequential read; *got is how many
     * exist there (fewer at the end of the tree, or where one is missing). */
    int (*tree_range)(store *s, int64_t first, size_t n, tr_hash *out, size_t *got, tr_err *e);

    /* Signed checkpoints, one per tree size. get: size -1 means the latest. */
    int (*checkpoint_insert)(store *s, int64_t size, const tr_hash root, const char *note,
                             const char *time, tr_err *e);
    int (*checkpoint_get)(store *s, int64_t size, store_checkpoint *out, tr_err *e);
    int (*checkpoint_scan)(store *s, store_row_cb cb, void *cls, tr_err *e); /* Ascending. */

    /* Empties every projection table (for rebuilding them from the journal). */
    int (*projections_clear)(store *s, tr_err *e);

    /* Deployment settings (name, origin...). */
    int (*meta_get)(store *s, const char *key, char *out, size_t cap, tr_err *e);
    int (*meta_set)(store *s, const char *key, const char *value, tr_err *e);

    /* Organizations. */
    /* The actors (ACLED's names) that stand for an organization: set replaces them all;
     * list hands each to cb as a const char *, in order; has: 1 it is one, 0 not, -1. */

    /* Users. */

    /* API tokens. */

    /* A bulk load by the database's only user, outside a transaction: alone_begin returns
     * 1 when this connection has the database to itself until alone_end (a load then
     * writes each new page once, not once to a log and again into the database), 0 when
     * another connection is open (nothing changes), -1 on an error. alone_flush, during
     * the load, starts writing to disk what it has written so far, without waiting (a
     * no-op when not alone). Optional. */
    int (*alone_begin)(store *s, tr_err *e);
    void (*alone_flush)(store *s);
    void (*alone_end)(store *s);
} store_ops;

struct store {
    const store_ops *ops;
    /* Bumped by the backend at every begin, commit, rollback and rollback-to-savepoint, so
     * that caches kept beside a connection (the journal's Merkle frontier) know when what
     * they remember may no longer be what the database holds. */
    uint64_t epoch;
    /* Called by store_txn() and the group committer just before COMMIT (the journal signs
     * a checkpoint there); NULL for none. */
    int (*before_commit)(store *s, void *cls, tr_err *e);
    void *before_commit_cls;
    /* Also the journal's (journal_attach), for the group committer (writer.c), which sits in
     * the store and does not know the journal: before each job (marks where its events
     * start), the last event a job appended (0 when none), and an event's receipt. */
    void (*job_mark)(store *s);
    int64_t (*job_last_seq)(store *s);
    int (*job_receipt)(store *s, int64_t seq, char **out, tr_err *e);
    /* A cache of committed tree hashes shared by the process's connections (not owned);
     * NULL: the connection keeps a small one of its own. See tree_cache.h. */
    struct tree_cache *tree_cache;
    /* Per-connection state of the journal module, freed with the store. */
    void *journal;
    void (*journal_free)(void *journal);
    /* What the pillars keep beside a connection (monitor: the zones prepared for point
     * queries), each under the address of a key its pillar owns (store_cache_get/put),
     * freed with the store. */
    struct store_cache_slot {
        const void *key;
        void *value;
        void (*free)(void *value);
    } caches[STORE_CACHE_SLOTS];
    /* How long a cached value may be used without checking it again (0: check every time).
     * A server's reader connections set it. */
    uint64_t cache_ttl_ns;
};

/* A pillar's value cached beside the connection under key (the address of something the
 * pillar owns), or NULL. */
void *store_cache_get(store *s, const void *key);
/* Keeps value under key, freeing the one it replaces; aborts when every slot is taken by
 * another key (a fixed handful of pillars). */
void store_cache_put(store *s, const void *key, void *value, void (*free_fn)(void *));
/* Frees every cached value (the backend's close calls it). */
void store_cache_clear(store *s);

enum {
    STORE_CREATE = 1,   /* Create the database when the file does not exist. */
    STORE_READONLY = 2, /* Open for reading only. */
    STORE_MMAP = 4,     /* Read through a memory mapping of the file (random reads of a
                           large tree); not for connections that run while the file grows
                           fast, since each growth makes every mapping connection remap. */
};

/* Opens the SQLite database at path and applies pending migrations. A database written by
 * a newer truce is refused (store.too_new). */
store *store_sqlite_open(const char *path, int flags, tr_err *e);

/* Another process that has the database at path open, or 0 when none has: the id of a
 * process holding one of SQLite's locks on it (any connection in WAL mode holds one on the
 * -shm file's dead-man switch while it is open; one in rollback mode, on the file's lock
 * bytes while it is in a transaction). name (cap bytes) receives its command name. Call it
 * before this process opens the database: closing the descriptor it opens to ask would drop
 * this process's own locks on the file (POSIX locks belong to the process). */
long store_sqlite_holder(const char *path, char *name, size_t cap);

/* Refuses (store.in_use, 409, naming the process) when another process has the database at
 * path open: for commands that would delete or recreate it. */
int store_sqlite_require_alone(const char *path, const char *doing, tr_err *e);

/* A pillar's schema migrations (after the base schema the store creates), each named like
 * a numbered patch file ("0001-org-actors") and applied once, in order, recorded by name
 * in schema_migrations. SQL for this backend. */
typedef struct store_migration {
    const char *name; /* NULL ends a list */
    const char *sql;
} store_migration;

typedef struct store_migration_set {
    const char *pillar;
    const store_migration *migrations;
    /* Empties the pillar's projection tables, dependents first, for `truce rebuild` (which
     * then replays the journal); the sets are emptied in reverse order. */
    const char *clear;
} store_migration_set;

/* Every pillar's migrations, in dependency order, NULL after the last: defined by the
 * registry (src/pillars.c). */
extern const store_migration_set *const store_migration_sets[];

/* The same for PostgreSQL (store/pg.c): the pillars that keep their data there. */
extern const store_migration_set *const store_migration_sets_pg[];

/* Opens the database db names: PostgreSQL for a postgres:// URI or libpq's keywords
 * (store/pg.h), else the SQLite file at that path. */
store *store_open(const char *db, int flags, tr_err *e);

/* Highest base schema version this build knows (the pillars' migrations come after it). */
int store_schema_version(void);

typedef int (*store_txn_fn)(store *s, void *cls, tr_err *e);

/* Runs fn inside a transaction: commits when it returns 0, rolls back when it returns -1.
 * Retries the whole transaction (up to 8 times, with a short backoff) when the backend
 * reports contention; fn must therefore be safe to run again. */
int store_txn(store *s, store_txn_fn fn, void *cls, tr_err *e);

#endif
