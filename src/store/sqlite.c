/* sqlite.c - the SQLite backend of the store interface.
 *
 * Durability. The database runs in WAL mode with synchronous=FULL: a transaction is on
 * disk (the WAL is fsync'ed) before COMMIT returns, so a write the server has acknowledged
 * survives a crash or a power cut. Throughput comes from the group committer (writer.c),
 * which puts many requests into one transaction and so pays for one fsync per batch. A
 * bulk load with the database to itself leaves WAL mode for its transaction (alone_begin).
 *
 * Schema. The base schema is a list of migrations (schema_sqlite.c), the last release's
 * single version:
 * PRAGMA user_version records how many have been applied and PRAGMA application_id marks
 * the file as truce's. Every later change is a pillar's own migration, named like a
 * numbered patch file and recorded by name in schema_migrations (store_migration_sets,
 * from the registry). Opening applies what is missing, base then pillars, in one
 * transaction; a database of the last release gets every pillar migration (the bridge). A
 * database with a higher user_version, or a pillar migration this build does not know,
 * was written by a newer truce and is refused rather than misread.
 *
 * The journal table is append-only, enforced by triggers that abort any UPDATE or
 * DELETE, so not even a bug in a projection can rewrite history.
 *
 * Statements. Every statement is prepared once per connection, on first use, with
 * SQLITE_PREPARE_PERSISTENT, then reset and reused (see stmt()). */
#include "store/store.h"
#include "store/pg.h"
#include "store/sqlite_pillar.h"
#include "core/buf.h"

#include "core/util.h"
#include "store/tree_cache.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define APPLICATION_ID 0x54524345 /* "TRCE" */

/* Each connection's page cache: 64 MiB (a negative cache_size is in KiB). */
#define PAGE_CACHE "-65536"

/* How long a statement waits for another connection's lock before store.busy. */
#define BUSY_TIMEOUT_MS 5000

/* The base schema (schema_sqlite.c): the last release's migrations, in order. */
extern const char *const sq_base_migrations[];
extern const int sq_n_base_migrations;
#define N_MIGRATIONS sq_n_base_migrations

int store_schema_version(void)
{
    return N_MIGRATIONS;
}

/* The pillars' migrations this build knows, in the registry's order. */
static size_t known_migrations(void)
{
    size_t n = 0;
    for (const store_migration_set *const *set = store_migration_sets; *set; set++)
        for (const store_migration *m = (*set)->migrations; m->name; m++)
            n++;
    return n;
}

static int is_known(const char *pillar, const char *name)
{
    for (const store_migration_set *const *set = store_migration_sets; *set; set++)
        if (strcmp((*set)->pillar, pillar) == 0)
            for (const store_migration *m = (*set)->migrations; m->name; m++)
                if (strcmp(m->name, name) == 0) return 1;
    return 0;
}

enum stmt_id {
    ST_BEGIN,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_JOURNAL_APPEND,
    ST_JOURNAL_SCAN,
    ST_JOURNAL_LEN,
    ST_PAGES,
    ST_CHUNK_LAST,
    ST_CHUNK_PUT,
    ST_CHUNK_GET,
    ST_CHUNK_RANGE,
    ST_CKPT_INSERT,
    ST_CKPT_GET,
    ST_CKPT_LATEST,
    ST_CKPT_SCAN,
    ST_META_GET,
    ST_META_SET,
    ST__COUNT
};

static const char *const sql[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT job",
    [ST_RELEASE] = "RELEASE job",
    [ST_ROLLBACK_TO] = "ROLLBACK TO job",
    [ST_JOURNAL_APPEND] = "INSERT INTO journal(type, actor_org, actor_user, time, body,"
                          " visibility, salt) VALUES (?,?,?,?,?,?,?)",
    [ST_JOURNAL_SCAN] = "SELECT seq, type, actor_org, actor_user, time, body, visibility, salt"
                        " FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
    [ST_CHUNK_LAST] = "SELECT id, hashes FROM tree_chunk ORDER BY id DESC LIMIT 1",
    [ST_CHUNK_PUT] = "INSERT INTO tree_chunk(id, hashes) VALUES (?1, ?2)"
                     " ON CONFLICT(id) DO UPDATE SET hashes = excluded.hashes",
    [ST_CHUNK_GET] = "SELECT hashes FROM tree_chunk WHERE id = ?",
    [ST_CHUNK_RANGE] = "SELECT id, hashes FROM tree_chunk WHERE id >= ? ORDER BY id",
    [ST_CKPT_INSERT] = "INSERT INTO checkpoints(size, root, time, note) VALUES (?,?,?,?)",
    [ST_CKPT_GET] = "SELECT size, root, time, note FROM checkpoints WHERE size = ?",
    [ST_CKPT_LATEST] = "SELECT size, root, time, note FROM checkpoints ORDER BY size DESC"
                       " LIMIT 1",
    [ST_CKPT_SCAN] = "SELECT size, root, time, note FROM checkpoints ORDER BY size",
    [ST_JOURNAL_LEN] = "SELECT coalesce(max(seq), 0) FROM journal",
    [ST_PAGES] = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?",
    [ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    /* Zones are only ever added (a slug is never reused), so the count and the last rowid
     * change with every change; a rebuild puts back the same rows. No geometry is read. */
    /* Every count but zones in one pass over the covering summary index. */
};

#define PILLAR_STMTS 256 /* Power of two; the pillars' statements per connection. */

typedef struct sq {
    store base; /* Must stay first: a store * is a sq *. */
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmts[ST__COUNT]; /* Prepared on first use, reused until close. */
    struct pillar_stmt {            /* The pillars' statements, by their SQL's address */
        const char *sql;            /* (sqlite_pillar.h); open addressing. */
        sqlite3_stmt *st;
    } pillar_stmts[PILLAR_STMTS];
    char *note;            /* Last checkpoint note handed out by checkpoint_get. */
    tree_cache *own_cache; /* Used when the store has no shared cache. */
    int alone;             /* Between alone_begin and alone_end ... */
    int alone_fd;          /* ... the database file, for alone_flush (or -1). */
    /* The last tree chunk, being filled (see the Merkle tree section). */
    int tail_loaded;    /* Whether tail_* reflect the database (plus appends). */
    int tail_dirty;     /* Holds hashes not yet written. */
    int64_t tail_id;    /* Chunk number. */
    size_t tail_len;    /* Hashes in the buffer. */
    size_t tail_stored; /* Of which the table already has. */
    unsigned char tail[64 * TR_HASH_LEN];
    /* The tail as it was at the open savepoint, restored by a rollback to it. */
    struct tail_snapshot {
        int valid, loaded, dirty;
        int64_t id;
        size_t len, stored;
        unsigned char hashes[64 * TR_HASH_LEN];
    } snap;
} sq;

#define CHUNK 64 /* Tree positions per tree_chunk row. */

#define OWN_CACHE_BITS 16 /* 2.6 MB per connection without a shared cache. */

static int fail(sq *q, int rc, tr_err *e)
{
    const char *msg = sqlite3_errmsg(q->db);
    int prim = rc & 0xff;
    if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
        return err_set(e, 503, "store.busy", "try again in a moment", "the database is busy: %s",
                       msg);
    if (prim == SQLITE_CONSTRAINT)
        return err_set(e, 409, "store.conflict", NULL, "the change conflicts with stored data: %s",
                       msg);
    if (prim == SQLITE_NOTADB)
        return err_set(e, 400, "store.not_truce", "check the --db path",
                       "%s is not a truce database", q->path);
    if (prim == SQLITE_FULL)
        return err_set(e, 507, "store.full", "free disk space", "the disk is full: %s", msg);
    return err_set(e, 500, "store.failed", NULL, "database error: %s", msg);
}

static sqlite3_stmt *stmt(sq *q, enum stmt_id id, tr_err *e)
{
    if (!q->stmts[id]) {
        int rc =
            sqlite3_prepare_v3(q->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &q->stmts[id], NULL);
        if (rc != SQLITE_OK) {
            fail(q, rc, e);
            return NULL;
        }
    }
    return q->stmts[id];
}

/* Every caller binds every parameter before each step, so bindings need no clearing. */
static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void col_copy(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", v ? (const char *)v : "");
}

/* Runs a statement that returns no rows. */
static int exec_id(sq *q, enum stmt_id id, tr_err *e)
{
    sqlite3_stmt *st = stmt(q, id, e);
    int rc;
    if (!st) return -1;
    rc = sqlite3_step(st);
    done(st);
    return rc == SQLITE_DONE ? 0 : fail(q, rc, e);
}

/* Steps a bound single-row statement; 1 found, 0 none, -1 error. The caller reads the
 * columns and then calls done(). */
static int step_one(sq *q, sqlite3_stmt *st, tr_err *e)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    done(st);
    if (rc == SQLITE_DONE) return 0;
    return fail(q, rc, e);
}

static int step_done(sq *q, sqlite3_stmt *st, tr_err *e)
{
    int rc = sqlite3_step(st);
    done(st);
    return rc == SQLITE_DONE ? 0 : fail(q, rc, e);
}

/* The one integer a single-row statement returns (next ids, counts, sums), once bound. */
static int scalar_of(sq *q, sqlite3_stmt *st, int64_t *out, tr_err *e)
{
    if (!st || step_one(q, st, e) != 1) return -1;
    *out = sqlite3_column_int64(st, 0);
    done(st);
    return 0;
}

/* The same for a statement without parameters. */
static int scalar(sq *q, enum stmt_id id, int64_t *out, tr_err *e)
{
    return scalar_of(q, stmt(q, id, e), out, e);
}

static int scan(sq *q, enum stmt_id id, void (*read)(sqlite3_stmt *, void *), void *row,
                store_row_cb cb, void *cls, tr_err *e);
static int exec_sql(sq *q, const char *text, tr_err *e);
static void tail_forget(sq *q);
static int tail_flush(sq *q, tr_err *e);

/* ---- transactions ---------------------------------------------------------------- */

static int sq_begin(store *s, tr_err *e)
{
    s->epoch++;
    tail_forget((sq *)s); /* Another connection may have appended since. */
    return exec_id((sq *)s, ST_BEGIN, e);
}

static int sq_commit(store *s, tr_err *e)
{
    sq *q = (sq *)s;
    s->epoch++;
    if (tail_flush(q, e)) return -1;
    return exec_id(q, ST_COMMIT, e);
}
static int sq_savepoint(store *s, tr_err *e)
{
    /* Remember the tail buffer: a rollback to the savepoint puts back exactly this, which
     * with the table as it was then is the tree as it was then. */
    sq *q = (sq *)s;
    q->snap.valid = 1;
    q->snap.loaded = q->tail_loaded;
    q->snap.dirty = q->tail_dirty;
    q->snap.id = q->tail_id;
    q->snap.len = q->tail_len;
    q->snap.stored = q->tail_stored;
    memcpy(q->snap.hashes, q->tail, q->tail_len * TR_HASH_LEN);
    return exec_id(q, ST_SAVEPOINT, e);
}

static int sq_release(store *s, tr_err *e)
{
    ((sq *)s)->snap.valid = 0;
    return exec_id((sq *)s, ST_RELEASE, e);
}

static void sq_rollback(store *s)
{
    sq *q = (sq *)s;
    s->epoch++;
    tail_forget(q);
    if (!sqlite3_get_autocommit(q->db)) sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

static void sq_rollback_to(store *s)
{
    tr_err e = TR_ERR_INIT;
    sq *q = (sq *)s;
    s->epoch++;
    if (q->snap.valid) {
        q->tail_loaded = q->snap.loaded;
        q->tail_dirty = q->snap.dirty;
        q->tail_id = q->snap.id;
        q->tail_len = q->snap.len;
        q->tail_stored = q->snap.stored;
        memcpy(q->tail, q->snap.hashes, q->snap.len * TR_HASH_LEN);
        q->snap.valid = 0;
    } else {
        tail_forget(q);
    }
    /* ROLLBACK TO leaves the savepoint open; RELEASE closes it. */
    exec_id((sq *)s, ST_ROLLBACK_TO, &e);
    exec_id((sq *)s, ST_RELEASE, &e);
    err_clear(&e);
}

/* ---- journal --------------------------------------------------------------------- */

static int sq_journal_append(store *s, store_event *ev, tr_err *e)
{
    sq *q = (sq *)s;
    sqlite3_stmt *st = stmt(q, ST_JOURNAL_APPEND, e);
    if (!st) return -1;
    bind_text(st, 1, ev->type);
    bind_text(st, 2, ev->actor_org);
    bind_text(st, 3, ev->actor_user);
    bind_text(st, 4, ev->time);
    bind_text(st, 5, ev->body);
    bind_text(st, 6, ev->visibility);
    bind_text(st, 7, ev->salt);
    if (step_done(q, st, e)) return -1;
    ev->seq = sqlite3_last_insert_rowid(q->db);
    return 0;
}

static int sq_journal_scan(store *s, int64_t after, int64_t limit, store_row_cb cb, void *cls,
                           tr_err *e)
{
    sq *q = (sq *)s;
    sqlite3_stmt *st = stmt(q, ST_JOURNAL_SCAN, e);
    int rc;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_event ev = {
            .seq = sqlite3_column_int64(st, 0),
            .type = (const char *)sqlite3_column_text(st, 1),
            .actor_org = (const char *)sqlite3_column_text(st, 2),
            .actor_user = (const char *)sqlite3_column_text(st, 3),
            .time = (const char *)sqlite3_column_text(st, 4),
            .body = (const char *)sqlite3_column_text(st, 5),
            .visibility = (const char *)sqlite3_column_text(st, 6),
            .salt = (const char *)sqlite3_column_text(st, 7),
        };
        if (cb(cls, &ev)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    done(st);
    return rc == SQLITE_DONE ? 0 : fail(q, rc, e);
}

static int sq_stats(store *s, store_stats *out, tr_err *e)
{
    sq *q = (sq *)s;
    struct stat sb;
    char wal[4096];
    if (scalar(q, ST_JOURNAL_LEN, &out->journal_length, e)) return -1;
    out->db_bytes = 0;
    if (stat(q->path, &sb) == 0) out->db_bytes += sb.st_size;
    snprintf(wal, sizeof wal, "%s-wal", q->path);
    if (stat(wal, &sb) == 0) out->db_bytes += sb.st_size;
    return 0;
}

/* ---- Merkle tree and checkpoints ------------------------------------------------- */

/* The tree's stored hashes live in chunks of CHUNK consecutive positions, one row each
 * (tree_chunk: id = position / CHUNK, hashes = their concatenation). A random lookup then
 * searches a B-tree of n/64 rows instead of 2n, and the lower levels of a proof, which lie
 * close together in the stored order, share a chunk.
 *
 * Appends collect in the connection's tail buffer (the last, partly filled chunk) and reach
 * the table when the chunk fills, before any read and before COMMIT. A rollback forgets the
 * buffer; a rollback to a savepoint restores the copy taken when the savepoint was opened. Rows
 * only ever grow: a trigger refuses any update that does not keep the old bytes as a prefix, and
 * any delete. */

static void tail_forget(sq *q)
{
    q->tail_loaded = 0;
    q->tail_dirty = 0;
    q->snap.valid = 0;
}

/* Loads the last chunk into the tail buffer. */
static int tail_load(sq *q, tr_err *e)
{
    sqlite3_stmt *st;
    int found;
    if (q->tail_loaded) return 0;
    st = stmt(q, ST_CHUNK_LAST, e);
    if (!st) return -1;
    found = step_one(q, st, e);
    if (found < 0) return -1;
    q->tail_id = 0;
    q->tail_len = 0;
    if (found) {
        int bytes = sqlite3_column_bytes(st, 1);
        q->tail_id = sqlite3_column_int64(st, 0);
        if (bytes % TR_HASH_LEN || bytes > CHUNK * TR_HASH_LEN) {
            done(st);
            return err_set(e, 500, "log.damaged", "run 'truce audit' on the database",
                           "tree chunk %lld has %d bytes", (long long)q->tail_id, bytes);
        }
        memcpy(q->tail, sqlite3_column_blob(st, 1), (size_t)bytes);
        q->tail_len = (size_t)bytes / TR_HASH_LEN;
        q->tail_stored = q->tail_len;
        done(st);
        if (q->tail_len == CHUNK) { /* Full: the next append starts a new chunk. */
            q->tail_id++;
            q->tail_len = 0;
        }
    }
    q->tail_stored = q->tail_len;
    q->tail_loaded = 1;
    return 0;
}

/* Writes the tail buffer if it holds hashes the table does not. */
static int tail_flush(sq *q, tr_err *e)
{
    sqlite3_stmt *st;
    if (!q->tail_loaded || !q->tail_dirty) return 0;
    st = stmt(q, ST_CHUNK_PUT, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, q->tail_id);
    sqlite3_bind_blob(st, 2, q->tail, (int)(q->tail_len * TR_HASH_LEN), SQLITE_STATIC);
    if (step_done(q, st, e)) return -1;
    q->tail_dirty = 0;
    q->tail_stored = q->tail_len;
    if (q->tail_len == CHUNK) {
        q->tail_id++;
        q->tail_len = 0;
        q->tail_stored = 0;
    }
    return 0;
}

static int sq_tree_append(store *s, int64_t first, const tr_hash *h, size_t n, tr_err *e)
{
    sq *q = (sq *)s;
    if (tail_load(q, e)) return -1;
    if (first != q->tail_id * CHUNK + (int64_t)q->tail_len)
        return err_set(e, 500, "log.bad_position", "run 'truce audit' on the database",
                       "tree append at position %lld, but the tree holds %lld hashes",
                       (long long)first, (long long)(q->tail_id * CHUNK + (int64_t)q->tail_len));
    for (size_t i = 0; i < n; i++) {
        memcpy(q->tail + q->tail_len * TR_HASH_LEN, h[i], TR_HASH_LEN);
        q->tail_len++;
        q->tail_dirty = 1;
        if (q->tail_len == CHUNK && tail_flush(q, e)) return -1;
    }
    return 0;
}

/* Reads chunk `id` into out (CHUNK hashes at most); *count is how many it holds. */
static int chunk_read(sq *q, int64_t id, unsigned char *out, size_t *count, tr_err *e)
{
    sqlite3_stmt *st = stmt(q, ST_CHUNK_GET, e);
    int found, bytes;
    *count = 0;
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    found = step_one(q, st, e);
    if (found <= 0) return found;
    bytes = sqlite3_column_bytes(st, 0);
    if (bytes % TR_HASH_LEN == 0 && bytes <= CHUNK * TR_HASH_LEN) {
        memcpy(out, sqlite3_column_blob(st, 0), (size_t)bytes);
        *count = (size_t)bytes / TR_HASH_LEN;
    }
    done(st);
    return 1;
}

static int missing(tr_err *e, int64_t id)
{
    return err_set(e, 500, "log.missing_hash", "run 'truce audit' on the database",
                   "the Merkle tree has no hash at position %lld", (long long)id);
}

/* Reads positions, one chunk lookup per distinct chunk. Positions arrive in small batches
 * (a proof's), so a linear scan for chunk neighbours is cheapest. */
static int read_positions(sq *q, const int64_t *ids, size_t n, tr_hash *out, tr_err *e)
{
    unsigned char chunk[CHUNK * TR_HASH_LEN];
    unsigned char *done_mask = calloc(n ? n : 1, 1);
    int rc = 0;
    if (!done_mask) abort();
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t count;
        int64_t cid;
        if (done_mask[i]) continue;
        if (ids[i] < 0) {
            rc = missing(e, ids[i]);
            break;
        }
        cid = ids[i] / CHUNK;
        if (chunk_read(q, cid, chunk, &count, e) < 0) {
            rc = -1;
            break;
        }
        for (size_t j = i; j < n; j++) {
            if (done_mask[j] || ids[j] / CHUNK != cid) continue;
            if ((size_t)(ids[j] % CHUNK) >= count) {
                rc = missing(e, ids[j]);
                break;
            }
            memcpy(out[j], chunk + (ids[j] % CHUNK) * TR_HASH_LEN, TR_HASH_LEN);
            done_mask[j] = 1;
        }
    }
    free(done_mask);
    return rc;
}

static int sq_tree_read(store *s, const int64_t *ids, size_t n, tr_hash *out, tr_err *e)
{
    sq *q = (sq *)s;
    int64_t *miss_ids;
    size_t *miss_at, misses = 0;
    tr_hash *got;
    tree_cache *cache;
    int rc, own = 0;

    if (!sqlite3_get_autocommit(q->db)) {
        /* Inside a transaction: what it appended must be readable, and nothing read may
         * be cached (a rollback could undo it). */
        if (tail_flush(q, e)) return -1;
        return read_positions(q, ids, n, out, e);
    }
    /* Outside: committed hashes never change; serve what the cache has. */
    cache = s->tree_cache;
    if (!cache) {
        if (!q->own_cache) q->own_cache = tree_cache_new(OWN_CACHE_BITS);
        cache = q->own_cache;
    }
    miss_ids = malloc((n + 1) * sizeof *miss_ids);
    miss_at = malloc((n + 1) * sizeof *miss_at);
    got = malloc((n + 1) * sizeof *got);
    if (!miss_ids || !miss_at || !got) abort();
    for (size_t i = 0; i < n; i++) {
        if (!tree_cache_get(cache, ids[i], out[i])) {
            miss_ids[misses] = ids[i];
            miss_at[misses++] = i;
        }
    }
    rc = 0;
    if (misses) {
        /* One read transaction around the lookups when they need more than one chunk
         * (one statement is a read transaction of its own). */
        int64_t first_chunk = miss_ids[0] / CHUNK;
        for (size_t k = 1; k < misses && !own; k++)
            if (miss_ids[k] / CHUNK != first_chunk && exec_id(q, ST_BEGIN_READ, e) == 0) own = 1;
        rc = read_positions(q, miss_ids, misses, got, e);
        if (own) {
            tr_err ignore = TR_ERR_INIT;
            exec_id(q, ST_COMMIT, &ignore);
            err_clear(&ignore);
        }
        for (size_t k = 0; rc == 0 && k < misses; k++) {
            memcpy(out[miss_at[k]], got[k], TR_HASH_LEN);
            tree_cache_put(cache, miss_ids[k], got[k]);
        }
    }
    free(miss_ids);
    free(miss_at);
    free(got);
    return rc;
}

static int sq_tree_range(store *s, int64_t first, size_t n, tr_hash *out, size_t *got, tr_err *e)
{
    sq *q = (sq *)s;
    sqlite3_stmt *st;
    int rc;
    *got = 0;
    if (tail_flush(q, e)) return -1;
    st = stmt(q, ST_CHUNK_RANGE, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, first / CHUNK);
    rc = SQLITE_DONE;
    while (*got < n && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(st, 0);
        int bytes = sqlite3_column_bytes(st, 1);
        const unsigned char *h = sqlite3_column_blob(st, 1);
        int64_t pos = first + (int64_t)*got;
        if (cid != pos / CHUNK || bytes % TR_HASH_LEN || bytes > CHUNK * TR_HASH_LEN)
            break; /* A gap or a damaged chunk: the caller sees the short count. */
        for (int64_t k = pos % CHUNK; k < bytes / TR_HASH_LEN && *got < n; k++)
            memcpy(out[(*got)++], h + k * TR_HASH_LEN, TR_HASH_LEN);
        if (bytes < CHUNK * TR_HASH_LEN) break; /* The last chunk. */
    }
    done(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(q, rc, e);
}

static int64_t sq_tree_count(store *s, tr_err *e)
{
    sq *q = (sq *)s;
    if (tail_flush(q, e)) return -1;
    tail_forget(q);
    if (tail_load(q, e)) return -1;
    return q->tail_id * CHUNK + (int64_t)q->tail_len;
}

static int sq_checkpoint_insert(store *s, int64_t size, const tr_hash root, const char *note,
                                const char *time, tr_err *e)
{
    sq *q = (sq *)s;
    sqlite3_stmt *st = stmt(q, ST_CKPT_INSERT, e);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, size);
    sqlite3_bind_blob(st, 2, root, TR_HASH_LEN, SQLITE_STATIC);
    bind_text(st, 3, time);
    bind_text(st, 4, note);
    return step_done(q, st, e);
}

static void read_checkpoint(sqlite3_stmt *st, store_checkpoint *c)
{
    c->size = sqlite3_column_int64(st, 0);
    memset(c->root, 0, TR_HASH_LEN);
    if (sqlite3_column_bytes(st, 1) == TR_HASH_LEN)
        memcpy(c->root, sqlite3_column_blob(st, 1), TR_HASH_LEN);
    col_copy(c->time, sizeof c->time, st, 2);
    c->note = (const char *)sqlite3_column_text(st, 3);
}

static int sq_checkpoint_get(store *s, int64_t size, store_checkpoint *out, tr_err *e)
{
    sq *q = (sq *)s;
    sqlite3_stmt *st = stmt(q, size < 0 ? ST_CKPT_LATEST : ST_CKPT_GET, e);
    int found;
    if (!st) return -1;
    if (size >= 0) sqlite3_bind_int64(st, 1, size);
    if ((found = step_one(q, st, e)) != 1) return found;
    read_checkpoint(st, out);
    /* The note stays valid until the statement is next used; keep a copy per store. */
    free(q->note);
    q->note = strdup(out->note ? out->note : "");
    out->note = q->note;
    done(st);
    return 1;
}

static void read_checkpoint_v(sqlite3_stmt *st, void *row)
{
    read_checkpoint(st, row);
}

static int sq_checkpoint_scan(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    store_checkpoint c;
    return scan((sq *)s, ST_CKPT_SCAN, read_checkpoint_v, &c, cb, cls, e);
}

static int sq_projections_clear(store *s, tr_err *e)
{
    /* Each pillar's tables, the last in the registry's order (which depends on the others)
     * first; then the store's own metadata. */
    size_t n = 0;
    while (store_migration_sets[n])
        n++;
    while (n--)
        if (store_migration_sets[n]->clear && exec_sql((sq *)s, store_migration_sets[n]->clear, e))
            return -1;
    return exec_sql((sq *)s, "DELETE FROM meta;", e);
}

/* ---- meta ------------------------------------------------------------------------ */

static int sq_meta_get(store *s, const char *key, char *out, size_t cap, tr_err *e)
{
    sq *q = (sq *)s;
    sqlite3_stmt *st = stmt(q, ST_META_GET, e);
    int found;
    if (!st) return -1;
    bind_text(st, 1, key);
    if ((found = step_one(q, st, e)) != 1) return found;
    col_copy(out, cap, st, 0);
    done(st);
    return 1;
}

static int sq_meta_set(store *s, const char *key, const char *value, tr_err *e)
{
    sq *q = (sq *)s;
    sqlite3_stmt *st = stmt(q, ST_META_SET, e);
    if (!st) return -1;
    bind_text(st, 1, key);
    bind_text(st, 2, value);
    return step_done(q, st, e);
}

/* Runs a list statement, handing each row to cb after `read` has decoded it into row. */
static int scan(sq *q, enum stmt_id id, void (*read)(sqlite3_stmt *, void *), void *row,
                store_row_cb cb, void *cls, tr_err *e)
{
    sqlite3_stmt *st = stmt(q, id, e);
    int rc;
    if (!st) return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read(st, row);
        if (cb(cls, row)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    done(st);
    return rc == SQLITE_DONE ? 0 : fail(q, rc, e);
}

/* ---- for the pillars' operations (sqlite_pillar.h) ------------------------------------ */

static const store_ops sqlite_ops;

int sq_is(const store *s)
{
    return s->ops == &sqlite_ops;
}

sqlite3_stmt *sq_stmt(store *s, const char *text, tr_err *e)
{
    sq *q = (sq *)s;
    size_t h = ((uintptr_t)text >> 3) & (PILLAR_STMTS - 1);
    for (size_t n = 0; n < PILLAR_STMTS; n++, h = (h + 1) & (PILLAR_STMTS - 1)) {
        struct pillar_stmt *p = &q->pillar_stmts[h];
        if (p->sql == text) return p->st;
        if (p->sql) continue;
        int rc = sqlite3_prepare_v3(q->db, text, -1, SQLITE_PREPARE_PERSISTENT, &p->st, NULL);
        if (rc != SQLITE_OK) {
            fail(q, rc, e);
            return NULL;
        }
        p->sql = text;
        return p->st;
    }
    abort(); /* more statements than PILLAR_STMTS: raise it */
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *text)
{
    bind_text(st, i, text);
}

void sq_col_copy(char *dst, size_t cap, sqlite3_stmt *st, int i)
{
    col_copy(dst, cap, st, i);
}

int sq_step_done(store *s, sqlite3_stmt *st, tr_err *e)
{
    if (!st) return -1;
    return step_done((sq *)s, st, e);
}

int sq_step_one(store *s, sqlite3_stmt *st, tr_err *e)
{
    return step_one((sq *)s, st, e);
}

void sq_done(sqlite3_stmt *st)
{
    done(st);
}

int sq_fail(store *s, int rc, tr_err *e)
{
    return fail((sq *)s, rc, e);
}

int sq_scalar(store *s, sqlite3_stmt *st, int64_t *out, tr_err *e)
{
    return scalar_of((sq *)s, st, out, e);
}

int64_t sq_last_rowid(store *s)
{
    return sqlite3_last_insert_rowid(((sq *)s)->db);
}

int sq_exec(store *s, const char *text, tr_err *e)
{
    return exec_sql((sq *)s, text, e);
}

int sq_changes(store *s)
{
    return sqlite3_changes(((sq *)s)->db);
}

int sq_row(store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *, void *), void *out, tr_err *e)
{
    int found;
    if (!st) return -1;
    if ((found = step_one((sq *)s, st, e)) != 1) return found;
    read(st, out);
    done(st);
    return 1;
}

int sq_scan(store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *, void *), void *row,
            store_row_cb cb, void *cls, tr_err *e)
{
    int rc;
    if (!st) return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read(st, row);
        if (cb(cls, row)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    done(st);
    return rc == SQLITE_DONE ? 0 : fail((sq *)s, rc, e);
}

/* ---- places (zones) ---------------------------------------------------------------- */

/* ---- negotiations ----------------------------------------------------------------- */

/* A bulk load by the database's only connection writes its pages once. In WAL mode each
 * page goes to the WAL and then, at the checkpoint, into the database: a million-row
 * import writes 2 GB for 1 GB of data, and the checkpoint holds up its commit. In
 * rollback-journal mode a transaction journals only the pages the file had when it began
 * (their old contents, a few hundred kilobytes here); the pages it appends go straight
 * into the file, and a rollback, or the next open after a crash, cuts them off again. A
 * commit is as durable (synchronous=FULL: the file is fsync'ed before COMMIT returns).
 *
 * Leaving WAL mode needs every other connection closed: with a server or another command
 * on the database SQLite says "locked" at once (no busy wait here) and the load goes
 * through the WAL as usual. While the load holds the database, another process that opens
 * it waits, as it would for any writer in that mode, instead of reading the old state.
 * alone_end goes back to WAL; if that fails (a process that opened the database
 * meanwhile still has it), the next open puts it back.
 *
 * The kernel holds what a load writes until its commit's fsync (a gigabyte is well under
 * the dirty-page thresholds of a machine with memory), which then waited 0.7 s for all of
 * it; alone_flush starts writing out what is there so far, without waiting, so that the
 * disk works while the load does. */
static int sq_alone_begin(store *s, tr_err *e)
{
    sq *q = (sq *)s;
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = DELETE", -1, &st, NULL), alone;
    if (rc != SQLITE_OK) return fail(q, rc, e);
    sqlite3_busy_timeout(q->db, 0);
    rc = sqlite3_step(st);
    alone = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "delete") == 0;
    sqlite3_finalize(st);
    sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
    if (rc != SQLITE_ROW && (rc & 0xff) != SQLITE_BUSY) return fail(q, rc, e);
    q->alone = alone;
    q->alone_fd = alone ? open(q->path, O_RDONLY | O_CLOEXEC) : -1;
    return alone;
}

static void sq_alone_flush(store *s)
{
    sq *q = (sq *)s;
    if (q->alone && q->alone_fd >= 0) sync_file_range(q->alone_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

static void sq_alone_end(store *s)
{
    sq *q = (sq *)s;
    tr_err ignored = TR_ERR_INIT;
    if (!q->alone) return;
    if (q->alone_fd >= 0) close(q->alone_fd);
    q->alone = 0;
    exec_sql(q, "PRAGMA journal_mode = WAL", &ignored);
    err_clear(&ignored);
}

/* ---- open / close ---------------------------------------------------------------- */

static void sq_close(store *s)
{
    sq *q = (sq *)s;
    if (!q) return;
    if (s->journal_free) s->journal_free(s->journal);
    store_cache_clear(s);
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(q->stmts[i]);
    for (int i = 0; i < PILLAR_STMTS; i++)
        sqlite3_finalize(q->pillar_stmts[i].st);
    free(q->note);
    tree_cache_free(q->own_cache);
    if (q->alone && q->alone_fd >= 0) close(q->alone_fd); /* closed without alone_end */
    sqlite3_close(q->db);
    free(q->path);
    free(q);
}

static const store_ops sqlite_ops = {
    .backend = "sqlite",
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .journal_append = sq_journal_append,
    .journal_scan = sq_journal_scan,
    .stats = sq_stats,
    .tree_append = sq_tree_append,
    .tree_read = sq_tree_read,
    .tree_count = sq_tree_count,
    .tree_range = sq_tree_range,
    .checkpoint_insert = sq_checkpoint_insert,
    .checkpoint_get = sq_checkpoint_get,
    .checkpoint_scan = sq_checkpoint_scan,
    .projections_clear = sq_projections_clear,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .alone_begin = sq_alone_begin,
    .alone_flush = sq_alone_flush,
    .alone_end = sq_alone_end,
};

static int pragma_int(sq *q, const char *pragma, int *out, tr_err *e)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(q->db, pragma, -1, &st, NULL);
    if (rc != SQLITE_OK) return fail(q, rc, e);
    rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(q, rc, e);
}

static int exec_sql(sq *q, const char *text, tr_err *e)
{
    int rc = sqlite3_exec(q->db, text, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(q, rc, e);
}

/* Refuses a database holding a pillar migration this build does not know. */
static int check_known(sq *q, tr_err *e)
{
    sqlite3_stmt *st;
    int rc, unknown = 0;
    char pillar[64] = "", name[128] = "";
    if (sqlite3_prepare_v2(q->db, "SELECT pillar, name FROM schema_migrations", -1, &st, NULL) !=
        SQLITE_OK)
        return fail(q, sqlite3_errcode(q->db), e);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && !unknown)
        if (!is_known((const char *)sqlite3_column_text(st, 0),
                      (const char *)sqlite3_column_text(st, 1))) {
            unknown = 1;
            snprintf(pillar, sizeof pillar, "%s", sqlite3_column_text(st, 0));
            snprintf(name, sizeof name, "%s", sqlite3_column_text(st, 1));
        }
    sqlite3_finalize(st);
    if (unknown)
        return err_set(e, 400, "store.too_new", "upgrade truce to open it",
                       "%s has the %s migration %s, which this truce (%s) does not know", q->path,
                       pillar, name, TRUCE_VERSION);
    return 0;
}

/* Brings the schema up to date, in one transaction: the base (the last release's single
 * version, PRAGMA user_version) first, then each pillar's migrations by name, in the
 * registry's order, each recorded in schema_migrations once applied. A database of an
 * earlier release gets the rest of the base and then every pillar migration (the bridge);
 * one with a base version or a pillar migration this build does not know was written by a
 * newer truce and is refused. */
static int migrate(sq *q, tr_err *e)
{
    int version, app, tables, applied = 0, has_log;
    char text[128];

    if (pragma_int(q, "PRAGMA user_version", &version, e) ||
        pragma_int(q, "PRAGMA application_id", &app, e) ||
        pragma_int(q, "SELECT count(*) FROM sqlite_master", &tables, e) ||
        pragma_int(q, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'",
                   &has_log, e))
        return -1;
    if (app != APPLICATION_ID && (app != 0 || tables > 0))
        return err_set(e, 400, "store.not_truce", "check the --db path",
                       "%s is not a truce database", q->path);
    if (version > N_MIGRATIONS)
        return err_set(e, 400, "store.too_new", "upgrade truce to open it",
                       "%s has schema version %d, newer than this truce (%s) understands (%d)",
                       q->path, version, TRUCE_VERSION, N_MIGRATIONS);
    if (has_log && pragma_int(q, "SELECT count(*) FROM schema_migrations", &applied, e)) return -1;
    if (version == N_MIGRATIONS && has_log && (size_t)applied == known_migrations()) {
        /* Up to date, unless it holds a migration this build does not know. */
        return check_known(q, e);
    }
    /* Foreign keys off while the schema changes (they cannot change inside a transaction):
     * a migration that rebuilds a table others refer to (SQLite's way of changing a
     * constraint) drops the old one; every reference is checked before the commit. */
    if (exec_sql(q, "PRAGMA foreign_keys = OFF", e)) return -1;
    if (exec_sql(q, "BEGIN IMMEDIATE", e)) goto fail_fk;
    for (int v = version; v < N_MIGRATIONS; v++)
        if (exec_sql(q, sq_base_migrations[v], e)) goto fail;
    if (exec_sql(q,
                 "CREATE TABLE IF NOT EXISTS schema_migrations("
                 "  pillar TEXT NOT NULL,"
                 "  name TEXT NOT NULL,"
                 "  applied_at TEXT NOT NULL,"
                 "  PRIMARY KEY (pillar, name)) WITHOUT ROWID",
                 e))
        goto fail;
    if (check_known(q, e)) goto fail;
    for (const store_migration_set *const *set = store_migration_sets; *set; set++)
        for (const store_migration *m = (*set)->migrations; m->name; m++) {
            sqlite3_stmt *st;
            int done = 0;
            if (sqlite3_prepare_v2(q->db,
                                   "SELECT count(*) FROM schema_migrations WHERE pillar = ?"
                                   " AND name = ?",
                                   -1, &st, NULL) != SQLITE_OK) {
                fail(q, sqlite3_errcode(q->db), e);
                goto fail;
            }
            sqlite3_bind_text(st, 1, (*set)->pillar, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW) done = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
            if (done) continue;
            char now[UTIL_ISO_LEN], *record;
            util_now_iso(now);
            if (exec_sql(q, m->sql, e)) goto fail;
            record = sqlite3_mprintf("INSERT INTO schema_migrations VALUES (%Q, %Q, %Q)",
                                     (*set)->pillar, m->name, now);
            int rc = exec_sql(q, record, e);
            sqlite3_free(record);
            if (rc) goto fail;
        }
    snprintf(text, sizeof text, "PRAGMA user_version = %d; PRAGMA application_id = %d",
             N_MIGRATIONS, APPLICATION_ID);
    int broken = 0;
    if (pragma_int(q, "SELECT count(*) FROM pragma_foreign_key_check", &broken, e)) goto fail;
    if (broken) {
        err_set(e, 500, "store.failed", "report it: a migration broke the database's references",
                "after the migrations, %d rows refer to rows that do not exist", broken);
        goto fail;
    }
    if (exec_sql(q, text, e) || exec_sql(q, "COMMIT", e)) goto fail;
    return exec_sql(q, "PRAGMA foreign_keys = ON", e);
fail:
    sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
fail_fk:
    sqlite3_exec(q->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    return -1;
}

/* SQLite's memory statistics take a global mutex on every allocation; truce reads none
 * of them. Off before SQLite starts (it refuses afterwards, harmlessly). */
static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* The pid of another process holding a lock on [start, start + len) of file, or 0. F_GETLK
 * reports a conflicting lock of another process and never one of this process. */
static long lock_holder(const char *file, off_t start, off_t len)
{
    int fd = open(file, O_RDWR | O_CLOEXEC);
    if (fd < 0) fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    long pid = 0;
    if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) pid = fl.l_pid > 0 ? fl.l_pid : -1;
    close(fd);
    return pid;
}

long store_sqlite_holder(const char *path, char *name, size_t cap)
{
    char shm[4096];
    long pid;
    if (name && cap) name[0] = 0;
    /* SQLite's unix VFS: the -shm file's lock bytes start at 120 (eight of them), the
     * dead-man switch that every connection holds shared is the next byte; the database
     * file's lock bytes are PENDING_BYTE (0x40000000) and the 1 + 1 + 510 after it. */
    snprintf(shm, sizeof shm, "%s-shm", path);
    pid = lock_holder(shm, 120, 9);
    if (!pid) pid = lock_holder(path, 0x40000000, 512 + 2);
    if (pid > 0 && name && cap) {
        char comm[64];
        snprintf(comm, sizeof comm, "/proc/%ld/comm", pid);
        FILE *f = fopen(comm, "r");
        if (f) {
            if (fgets(name, (int)cap, f)) name[strcspn(name, "\n")] = 0;
            fclose(f);
        }
    }
    return pid;
}

int store_sqlite_require_alone(const char *path, const char *doing, tr_err *e)
{
    if (store_pg_is_uri(path)) return store_pg_require_alone(path, doing, e);
    char name[64];
    long pid = store_sqlite_holder(path, name, sizeof name);
    if (pid > 0)
        return err_set(e, 409, "store.in_use",
                       "stop that process first (a `truce serve` or `truce demo`?), or "
                       "choose another --db",
                       "cannot %s %s: process %ld (%s) has it open", doing, path, pid,
                       name[0] ? name : "unknown");
    if (pid < 0)
        return err_set(e, 409, "store.in_use", "stop the process that has it open first",
                       "cannot %s %s: another process has it open", doing, path);
    return 0;
}

store *store_sqlite_open(const char *path, int flags, tr_err *e)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    sq *q;
    struct stat sb;
    int oflags = SQLITE_OPEN_NOMUTEX, rc;

    pthread_once(&once, sqlite_configure);

    if (!(flags & STORE_CREATE) && stat(path, &sb) != 0) {
        err_set(e, 404, "store.missing", "create it with `truce init` or `truce demo`",
                "no database at %s", path);
        return NULL;
    }
    oflags |= (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    q = calloc(1, sizeof *q);
    if (!q) abort();
    q->base.ops = &sqlite_ops;
    q->path = strdup(path);
    rc = sqlite3_open_v2(path, &q->db, oflags, NULL);
    if (rc != SQLITE_OK) {
        err_set(e, 500, "store.open_failed", "check the path and its permissions",
                "cannot open database %s: %s", path,
                q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
        sq_close(&q->base);
        return NULL;
    }
    sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(q->db, 1);
    /* Memory-mapped reads spare a pread() per page for the random lookups of Merkle
     * proofs; 64 MiB of page cache per connection keeps the tree's upper levels hot. */
    if ((flags & STORE_MMAP) && exec_sql(q, "PRAGMA mmap_size = 1099511627776", e)) goto fail;
    if (exec_sql(q,
                 "PRAGMA foreign_keys = ON;"
                 " PRAGMA cache_size = " PAGE_CACHE,
                 e))
        goto fail;
    if (!(flags & STORE_READONLY)) {
        /* page_size only takes effect on a new, empty database. */
        if (exec_sql(q,
                     "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;"
                     " PRAGMA synchronous = FULL",
                     e))
            goto fail;
        if (migrate(q, e)) goto fail;
    } else {
        int version;
        if (pragma_int(q, "PRAGMA user_version", &version, e)) goto fail;
        if (version > N_MIGRATIONS) {
            err_set(e, 400, "store.too_new", "upgrade truce to open it",
                    "%s has schema version %d, newer than this truce understands (%d)", path,
                    version, N_MIGRATIONS);
            goto fail;
        }
    }
    return &q->base;
fail:
    if (e->status == 503) /* locked for longer than the busy timeout: see sq_alone_begin */
        err_set(e, 503, "store.busy",
                "another process has it to itself for now (a large `truce import acled`?);"
                " try again when that has finished",
                "%s is busy: %s", path, sqlite3_errmsg(q->db));
    sq_close(&q->base);
    return NULL;
}
