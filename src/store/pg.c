/* pg.c - the PostgreSQL backend of the store interface, for deployments that outgrow one
 * machine: many `truce serve` processes, on many machines, on one database.
 *
 * One log, whoever appends. Every write transaction takes a transaction-scoped advisory
 * lock (LOG_LOCK) as it begins, so appends to the journal and the tree are serialized in the
 * database, never by trusting one process: a second server's transaction waits for the first
 * to commit or roll back, then sees what it wrote (READ COMMITTED: each statement after the
 * lock takes a snapshot that includes the commit that released it). The journal assigns the
 * next sequence number under that lock, and the journal module reloads its Merkle frontier at
 * every begin (the store's epoch), so a process that did not write the last entries still
 * extends the tree from where the database has it, and signs the checkpoint of what it
 * appended. Group commit (writer.c) batches as on SQLite: one lock and one commit a batch.
 *
 * The tables are SQLite's, with PostgreSQL's types: the same columns, the same journal
 * entries and tree hashes byte for byte (the tree in chunks of 64 hashes), and the same
 * refusals (triggers that keep the journal, the tree and checkpoints append-only). Schema
 * changes are migrations by name, per pillar (store_migration_sets_pg), each recorded in
 * schema_migrations; concurrent servers starting at once migrate one at a time (a session
 * advisory lock, MIGRATE_LOCK). A database holding a migration this build does not know was
 * written by a newer truce and is refused.
 *
 * Statements are prepared once per connection, on first use, named by the address of their
 * SQL text (pg_pillar.h). */
#include "store/pg.h"
#include "store/pg_pillar.h"
#include "store/store.h"
#include "store/tree_cache.h"

#include "core/buf.h"
#include "core/util.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#define LOG_LOCK     7472756365001LL /* "truce" 001: the journal's one sequence */
#define MIGRATE_LOCK 7472756365002LL /* "truce" 002: one migrator at a time */

#define CHUNK          64    /* Tree positions per tree_chunk row, as on SQLite. */
#define OWN_CACHE_BITS 16    /* Per connection without a shared cache. */
#define STMTS          512   /* Power of two: prepared statements per connection. */
#define MAX_PARAMS     48    /* Parameters of one statement. */
#define SCAN_PAGE      10000 /* Journal rows fetched at a time by a scan. */

typedef struct pgs {
    store base; /* Must stay first: a store * is a pgs *. */
    PGconn *c;
    char where[160]; /* "database truce on /tmp/x" for messages (never the password). */
    struct prepared {
        const char *sql; /* by address; open addressing */
        unsigned n;
    } stmts[STMTS];
    unsigned n_stmts;
    char *note;            /* Last checkpoint note handed out by checkpoint_get. */
    tree_cache *own_cache; /* Used when the store has no shared cache. */
    /* The last tree chunk, being filled: as on SQLite (sqlite.c). */
    int tail_loaded, tail_dirty;
    int64_t tail_id;
    size_t tail_len;
    unsigned char tail[CHUNK * TR_HASH_LEN];
    struct {
        int valid, loaded, dirty;
        int64_t id;
        size_t len;
        unsigned char hashes[CHUNK * TR_HASH_LEN];
    } snap;
} pgs;

static const store_ops pg_ops;

int pg_is(const store *s)
{
    return s && s->ops == &pg_ops;
}

int store_pg_is_uri(const char *db)
{
    if (!db) return 0;
    if (strncmp(db, "postgres://", 11) == 0 || strncmp(db, "postgresql://", 13) == 0) return 1;
    /* libpq's keywords: "host=/tmp dbname=truce", "dbname=truce", "service=truce". */
    static const char *const keys[] = {"host=",    "hostaddr=", "port=",    "dbname=", "user=",
                                       "service=", "password=", "sslmode=", NULL};
    for (int i = 0; keys[i]; i++)
        if (strncmp(db, keys[i], strlen(keys[i])) == 0) return 1;
    return 0;
}

/* ---- errors ---------------------------------------------------------------------------- */

static int fail_msg(pgs *p, const char *state, const char *msg, tr_err *e)
{
    char clean[240];
    snprintf(clean, sizeof clean, "%s", msg ? msg : "");
    clean[strcspn(clean, "\n")] = 0;
    if (PQstatus(p->c) == CONNECTION_BAD)
        return err_set(e, 503, "store.unavailable",
                       "check that PostgreSQL is running and reachable, then try again",
                       "the database server is not reachable (%s): %s", p->where, clean);
    if (!state) state = "";
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return err_set(e, 503, "store.busy", "try again in a moment", "the database is busy: %s",
                       clean);
    if (!strncmp(state, "23", 2))
        return err_set(e, 409, "store.conflict", NULL, "the change conflicts with stored data: %s",
                       clean);
    if (!strcmp(state, "53100"))
        return err_set(e, 507, "store.full", "free disk space on the database server",
                       "the database server's disk is full: %s", clean);
    return err_set(e, 500, "store.failed", NULL, "database error: %s", clean);
}

static int fail_result(pgs *p, PGresult *r, tr_err *e)
{
    int rc = fail_msg(p, r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL,
                      r ? PQresultErrorMessage(r) : PQerrorMessage(p->c), e);
    PQclear(r);
    return rc;
}

static int ok(PGresult *r)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* ---- statements ------------------------------------------------------------------------- */

/* The statement's number on this connection, preparing it on first use; 0 with e set. */
static unsigned prepared(pgs *p, const char *sql, int nparams, tr_err *e)
{
    size_t h = ((uintptr_t)sql >> 3) & (STMTS - 1);
    while (p->stmts[h].sql && p->stmts[h].sql != sql)
        h = (h + 1) & (STMTS - 1);
    if (p->stmts[h].sql) return p->stmts[h].n;
    if (p->n_stmts + 1 >= STMTS) abort(); /* a fixed set of constants: raise STMTS */
    char name[16];
    unsigned n = ++p->n_stmts;
    snprintf(name, sizeof name, "s%u", n);
    PGresult *r = PQprepare(p->c, name, sql, nparams, NULL);
    if (!ok(r)) {
        p->n_stmts--;
        fail_result(p, r, e);
        return 0;
    }
    PQclear(r);
    p->stmts[h].sql = sql;
    p->stmts[h].n = n;
    return n;
}

static PGresult *run_v(pgs *p, tr_err *e, const char *sql, const char *types, va_list ap)
{
    const char *vals[MAX_PARAMS];
    int lens[MAX_PARAMS], fmts[MAX_PARAMS];
    char scratch[MAX_PARAMS][32];
    int n = (int)strlen(types);
    if (n > MAX_PARAMS) abort();
    for (int i = 0; i < n; i++) {
        lens[i] = 0;
        fmts[i] = 0;
        switch (types[i]) {
        case 't':
            vals[i] = va_arg(ap, const char *);
            break;
        case 'i':
            snprintf(scratch[i], sizeof scratch[i], "%lld", (long long)va_arg(ap, int64_t));
            vals[i] = scratch[i];
            break;
        case 'd':
            snprintf(scratch[i], sizeof scratch[i], "%d", va_arg(ap, int));
            vals[i] = scratch[i];
            break;
        case 'f':
            snprintf(scratch[i], sizeof scratch[i], "%.17g", va_arg(ap, double));
            vals[i] = scratch[i];
            break;
        case 'b':
            vals[i] = va_arg(ap, const char *);
            lens[i] = (int)va_arg(ap, size_t);
            fmts[i] = 1;
            break;
        default:
            abort(); /* a programming error in a constant */
        }
    }
    unsigned id = prepared(p, sql, n, e);
    if (!id) return NULL;
    char name[16];
    snprintf(name, sizeof name, "s%u", id);
    PGresult *r = PQexecPrepared(p->c, name, n, vals, lens, fmts, 0);
    if (!ok(r)) {
        fail_result(p, r, e);
        return NULL;
    }
    return r;
}

PGresult *pgq_text(store *s, tr_err *e, const char *sql, int n, const char *const *vals)
{
    pgs *p = (pgs *)s;
    unsigned id = prepared(p, sql, n, e);
    if (!id) return NULL;
    char name[16];
    snprintf(name, sizeof name, "s%u", id);
    PGresult *r = PQexecPrepared(p->c, name, n, vals, NULL, NULL, 0);
    if (!ok(r)) {
        fail_result(p, r, e);
        return NULL;
    }
    return r;
}

PGresult *pgq(store *s, tr_err *e, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    PGresult *r = run_v((pgs *)s, e, sql, types, ap);
    va_end(ap);
    return r;
}

int64_t pgx(store *s, tr_err *e, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    PGresult *r = run_v((pgs *)s, e, sql, types, ap);
    va_end(ap);
    if (!r) return -1;
    int64_t n = atoll(PQcmdTuples(r));
    PQclear(r);
    return n;
}

int pgi(store *s, int64_t *out, tr_err *e, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    PGresult *r = run_v((pgs *)s, e, sql, types, ap);
    va_end(ap);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) *out = pgr_i64(r, 0, 0);
    PQclear(r);
    return found;
}

int pg_exec(store *s, const char *text, tr_err *e)
{
    pgs *p = (pgs *)s;
    PGresult *r = PQexec(p->c, text);
    if (!ok(r)) return fail_result(p, r, e);
    PQclear(r);
    return 0;
}

int pg_copy(store *s, const char *copy_sql, const char *data, size_t len, tr_err *e)
{
    pgs *p = (pgs *)s;
    PGresult *r = PQexec(p->c, copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) return fail_result(p, r, e);
    PQclear(r);
    /* In pieces of at most 1 MB, as libpq sends them anyway. */
    for (size_t at = 0; at < len;) {
        size_t n = len - at < (1u << 20) ? len - at : (1u << 20);
        if (PQputCopyData(p->c, data + at, (int)n) != 1) break;
        at += n;
    }
    int sent = PQputCopyEnd(p->c, NULL) == 1;
    int rc = 0;
    while ((r = PQgetResult(p->c)) != NULL) {
        if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK) {
            rc = fail_result(p, r, e);
            continue; /* fail_result cleared it; drain the rest */
        }
        PQclear(r);
    }
    if (rc == 0 && !sent) return fail_msg(p, "08006", PQerrorMessage(p->c), e);
    return rc;
}

void pg_copy_text(buf *b, const char *text)
{
    if (!text) {
        buf_puts(b, "\\N");
        return;
    }
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        default:
            buf_append(b, c, 1);
        }
    }
}

const char *pgr_text(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

int pgr_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col);
}

int64_t pgr_i64(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

int pgr_int(const PGresult *r, int row, int col)
{
    return (int)pgr_i64(r, row, col);
}

double pgr_f(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtod(PQgetvalue(r, row, col), NULL);
}

void pgr_copy(char *dst, size_t cap, const PGresult *r, int row, int col)
{
    snprintf(dst, cap, "%s", pgr_text(r, row, col));
}

static int hexval(int ch)
{
    return ch >= '0' && ch <= '9'   ? ch - '0'
           : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
           : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                    : -1;
}

/* bytea in PostgreSQL's hex output ("\x0a1b...") into dst: its length, or -1 when it does
 * not fit or is not hex. */
static long bytes_into(const PGresult *r, int row, int col, unsigned char *dst, size_t cap)
{
    const char *v = PQgetvalue(r, row, col);
    size_t n = (size_t)PQgetlength(r, row, col);
    if (n < 2 || v[0] != '\\' || v[1] != 'x' || (n - 2) % 2 || (n - 2) / 2 > cap) return -1;
    for (size_t i = 0; i < (n - 2) / 2; i++) {
        int hi = hexval(v[2 + 2 * i]), lo = hexval(v[3 + 2 * i]);
        if (hi < 0 || lo < 0) return -1;
        dst[i] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(n - 2) / 2;
}

unsigned char *pgr_bytes(const PGresult *r, int row, int col, size_t *len)
{
    size_t cap = (size_t)PQgetlength(r, row, col) / 2 + 1;
    unsigned char *out = malloc(cap);
    if (!out) abort();
    long n = bytes_into(r, row, col, out, cap);
    *len = n < 0 ? 0 : (size_t)n;
    return out;
}

int pg_scan(store *s, PGresult *r, void (*read)(const PGresult *, int, void *), void *row,
            store_row_cb cb, void *cls, tr_err *e)
{
    (void)s;
    (void)e;
    if (!r) return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        read(r, i, row);
        if (cb(cls, row)) break;
    }
    PQclear(r);
    return 0;
}

int pg_row(PGresult *r, void (*read)(const PGresult *, int, void *), void *out)
{
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) read(r, 0, out);
    PQclear(r);
    return found;
}

/* ---- transactions ----------------------------------------------------------------------- */

static const char begin_sql[] = "SELECT pg_advisory_xact_lock(7472756365001)";

static void tail_forget(pgs *p)
{
    p->tail_loaded = 0;
    p->tail_dirty = 0;
    p->snap.valid = 0;
}

static int tail_flush(pgs *p, tr_err *e);

static int in_txn(pgs *p)
{
    PGTransactionStatusType t = PQtransactionStatus(p->c);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

static int pg_begin(store *s, tr_err *e)
{
    pgs *p = (pgs *)s;
    s->epoch++;
    tail_forget(p);
    if (PQstatus(p->c) == CONNECTION_BAD) { /* the server restarted: try once more */
        PQreset(p->c);
        memset(p->stmts, 0, sizeof p->stmts);
        p->n_stmts = 0;
    }
    if (pg_exec(s, "BEGIN", e)) return -1;
    PGresult *r = pgq(s, e, begin_sql, "");
    if (!r) {
        pg_exec(s, "ROLLBACK", &(tr_err)TR_ERR_INIT);
        return -1;
    }
    PQclear(r);
    return 0;
}

static int pg_commit(store *s, tr_err *e)
{
    pgs *p = (pgs *)s;
    s->epoch++;
    if (tail_flush(p, e)) return -1;
    return pg_exec(s, "COMMIT", e);
}

static void pg_rollback(store *s)
{
    pgs *p = (pgs *)s;
    tr_err e = TR_ERR_INIT;
    s->epoch++;
    tail_forget(p);
    if (in_txn(p)) pg_exec(s, "ROLLBACK", &e);
    err_clear(&e);
}

static int pg_savepoint(store *s, tr_err *e)
{
    pgs *p = (pgs *)s;
    p->snap.valid = 1;
    p->snap.loaded = p->tail_loaded;
    p->snap.dirty = p->tail_dirty;
    p->snap.id = p->tail_id;
    p->snap.len = p->tail_len;
    memcpy(p->snap.hashes, p->tail, p->tail_len * TR_HASH_LEN);
    return pg_exec(s, "SAVEPOINT job", e);
}

static int pg_release(store *s, tr_err *e)
{
    ((pgs *)s)->snap.valid = 0;
    return pg_exec(s, "RELEASE job", e);
}

static void pg_rollback_to(store *s)
{
    pgs *p = (pgs *)s;
    tr_err e = TR_ERR_INIT;
    s->epoch++;
    if (p->snap.valid) {
        p->tail_loaded = p->snap.loaded;
        p->tail_dirty = p->snap.dirty;
        p->tail_id = p->snap.id;
        p->tail_len = p->snap.len;
        memcpy(p->tail, p->snap.hashes, p->snap.len * TR_HASH_LEN);
        p->snap.valid = 0;
    } else {
        tail_forget(p);
    }
    pg_exec(s, "ROLLBACK TO job; RELEASE job", &e);
    err_clear(&e);
}

/* ---- journal ---------------------------------------------------------------------------- */

static const char journal_append_sql[] =
    "INSERT INTO journal(seq, type, actor_org, actor_user, time, body, visibility, salt)"
    " SELECT coalesce(max(seq), 0) + 1, $1, $2, $3, $4, $5, $6, $7 FROM journal RETURNING seq";
static const char journal_scan_sql[] =
    "SELECT seq, type, actor_org, actor_user, time, body, visibility, salt FROM journal"
    " WHERE seq > $1 ORDER BY seq LIMIT $2";
static const char journal_len_sql[] = "SELECT coalesce(max(seq), 0) FROM journal";
static const char db_size_sql[] = "SELECT pg_database_size(current_database())";

static int pg_journal_append(store *s, store_event *ev, tr_err *e)
{
    PGresult *r = pgq(s, e, journal_append_sql, "ttttttt", ev->type, ev->actor_org, ev->actor_user,
                      ev->time, ev->body, ev->visibility, ev->salt);
    if (!r) return -1;
    ev->seq = pgr_i64(r, 0, 0);
    PQclear(r);
    return 0;
}

static const char *text_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int pg_journal_scan(store *s, int64_t after, int64_t limit, store_row_cb cb, void *cls,
                           tr_err *e)
{
    while (limit > 0) {
        int64_t page = limit < SCAN_PAGE ? limit : SCAN_PAGE;
        PGresult *r = pgq(s, e, journal_scan_sql, "ii", after, page);
        if (!r) return -1;
        int n = PQntuples(r), stop = 0;
        for (int i = 0; i < n && !stop; i++) {
            store_event ev = {
                .seq = pgr_i64(r, i, 0),
                .type = text_or_null(r, i, 1),
                .actor_org = text_or_null(r, i, 2),
                .actor_user = text_or_null(r, i, 3),
                .time = text_or_null(r, i, 4),
                .body = text_or_null(r, i, 5),
                .visibility = text_or_null(r, i, 6),
                .salt = text_or_null(r, i, 7),
            };
            after = ev.seq;
            stop = cb(cls, &ev);
        }
        PQclear(r);
        if (stop || n < page) break;
        limit -= n;
    }
    return 0;
}

static int pg_stats(store *s, store_stats *out, tr_err *e)
{
    if (pgi(s, &out->journal_length, e, journal_len_sql, "") < 0) return -1;
    if (pgi(s, &out->db_bytes, e, db_size_sql, "") < 0) return -1;
    return 0;
}

/* ---- Merkle tree and checkpoints: the same chunks as on SQLite (sqlite.c) ---------------- */

static const char chunk_last_sql[] = "SELECT id, hashes FROM tree_chunk ORDER BY id DESC LIMIT 1";
static const char chunk_put_sql[] = "INSERT INTO tree_chunk(id, hashes) VALUES ($1, $2)"
                                    " ON CONFLICT(id) DO UPDATE SET hashes = excluded.hashes";
static const char chunk_get_sql[] = "SELECT hashes FROM tree_chunk WHERE id = $1";
static const char chunk_range_sql[] =
    "SELECT id, hashes FROM tree_chunk WHERE id >= $1 ORDER BY id LIMIT $2";
static const char ckpt_insert_sql[] =
    "INSERT INTO checkpoints(size, root, time, note) VALUES ($1, $2, $3, $4)";
static const char ckpt_get_sql[] = "SELECT size, root, time, note FROM checkpoints WHERE size = $1";
static const char ckpt_latest_sql[] =
    "SELECT size, root, time, note FROM checkpoints ORDER BY size DESC LIMIT 1";
static const char ckpt_scan_sql[] = "SELECT size, root, time, note FROM checkpoints ORDER BY size";

static int damaged(tr_err *e, int64_t id)
{
    return err_set(e, 500, "log.damaged", "run 'truce audit' on the database",
                   "tree chunk %lld is damaged", (long long)id);
}

static int tail_load(pgs *p, tr_err *e)
{
    if (p->tail_loaded) return 0;
    PGresult *r = pgq(&p->base, e, chunk_last_sql, "");
    if (!r) return -1;
    p->tail_id = 0;
    p->tail_len = 0;
    if (PQntuples(r)) {
        long n = bytes_into(r, 0, 1, p->tail, sizeof p->tail);
        p->tail_id = pgr_i64(r, 0, 0);
        if (n < 0 || n % TR_HASH_LEN) {
            PQclear(r);
            return damaged(e, p->tail_id);
        }
        p->tail_len = (size_t)n / TR_HASH_LEN;
        if (p->tail_len == CHUNK) {
            p->tail_id++;
            p->tail_len = 0;
        }
    }
    PQclear(r);
    p->tail_loaded = 1;
    return 0;
}

static int tail_flush(pgs *p, tr_err *e)
{
    if (!p->tail_loaded || !p->tail_dirty) return 0;
    if (pgx(&p->base, e, chunk_put_sql, "ib", p->tail_id, (const void *)p->tail,
            p->tail_len * TR_HASH_LEN) < 0)
        return -1;
    p->tail_dirty = 0;
    if (p->tail_len == CHUNK) {
        p->tail_id++;
        p->tail_len = 0;
    }
    return 0;
}

static int pg_tree_append(store *s, int64_t first, const tr_hash *h, size_t n, tr_err *e)
{
    pgs *p = (pgs *)s;
    if (tail_load(p, e)) return -1;
    if (first != p->tail_id * CHUNK + (int64_t)p->tail_len)
        return err_set(e, 500, "log.bad_position", "run 'truce audit' on the database",
                       "tree append at position %lld, but the tree holds %lld hashes",
                       (long long)first, (long long)(p->tail_id * CHUNK + (int64_t)p->tail_len));
    for (size_t i = 0; i < n; i++) {
        memcpy(p->tail + p->tail_len * TR_HASH_LEN, h[i], TR_HASH_LEN);
        p->tail_len++;
        p->tail_dirty = 1;
        if (p->tail_len == CHUNK && tail_flush(p, e)) return -1;
    }
    return 0;
}

static int missing(tr_err *e, int64_t id)
{
    return err_set(e, 500, "log.missing_hash", "run 'truce audit' on the database",
                   "the Merkle tree has no hash at position %lld", (long long)id);
}

static int read_positions(pgs *p, const int64_t *ids, size_t n, tr_hash *out, tr_err *e)
{
    unsigned char chunk[CHUNK * TR_HASH_LEN];
    unsigned char *done = calloc(n ? n : 1, 1);
    int rc = 0;
    if (!done) abort();
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (done[i]) continue;
        if (ids[i] < 0) {
            rc = missing(e, ids[i]);
            break;
        }
        int64_t cid = ids[i] / CHUNK;
        PGresult *r = pgq(&p->base, e, chunk_get_sql, "i", cid);
        if (!r) {
            rc = -1;
            break;
        }
        long bytes = PQntuples(r) ? bytes_into(r, 0, 0, chunk, sizeof chunk) : 0;
        PQclear(r);
        size_t count = bytes > 0 && bytes % TR_HASH_LEN == 0 ? (size_t)bytes / TR_HASH_LEN : 0;
        for (size_t j = i; j < n; j++) {
            if (done[j] || ids[j] / CHUNK != cid) continue;
            if ((size_t)(ids[j] % CHUNK) >= count) {
                rc = missing(e, ids[j]);
                break;
            }
            memcpy(out[j], chunk + (ids[j] % CHUNK) * TR_HASH_LEN, TR_HASH_LEN);
            done[j] = 1;
        }
    }
    free(done);
    return rc;
}

static int pg_tree_read(store *s, const int64_t *ids, size_t n, tr_hash *out, tr_err *e)
{
    pgs *p = (pgs *)s;
    if (in_txn(p)) {
        /* What the transaction appended must be readable; nothing read may be cached. */
        if (tail_flush(p, e)) return -1;
        return read_positions(p, ids, n, out, e);
    }
    tree_cache *cache = s->tree_cache;
    if (!cache) {
        if (!p->own_cache) p->own_cache = tree_cache_new(OWN_CACHE_BITS);
        cache = p->own_cache;
    }
    int64_t *miss = malloc((n + 1) * sizeof *miss);
    size_t *at = malloc((n + 1) * sizeof *at), misses = 0;
    tr_hash *got = malloc((n + 1) * sizeof *got);
    if (!miss || !at || !got) abort();
    for (size_t i = 0; i < n; i++)
        if (!tree_cache_get(cache, ids[i], out[i])) {
            miss[misses] = ids[i];
            at[misses++] = i;
        }
    /* Committed hashes never change: each read outside a transaction sees a committed tree,
     * whose stored positions are those of any later one. */
    int rc = misses ? read_positions(p, miss, misses, got, e) : 0;
    for (size_t k = 0; rc == 0 && k < misses; k++) {
        memcpy(out[at[k]], got[k], TR_HASH_LEN);
        tree_cache_put(cache, miss[k], got[k]);
    }
    free(miss);
    free(at);
    free(got);
    return rc;
}

static int pg_tree_range(store *s, int64_t first, size_t n, tr_hash *out, size_t *got, tr_err *e)
{
    pgs *p = (pgs *)s;
    *got = 0;
    if (tail_flush(p, e)) return -1;
    int64_t rows = (int64_t)((first % CHUNK + n + CHUNK - 1) / CHUNK);
    PGresult *r = pgq(s, e, chunk_range_sql, "ii", first / CHUNK, rows);
    if (!r) return -1;
    unsigned char chunk[CHUNK * TR_HASH_LEN];
    for (int i = 0, m = PQntuples(r); i < m && *got < n; i++) {
        int64_t cid = pgr_i64(r, i, 0), pos = first + (int64_t)*got;
        long bytes = bytes_into(r, i, 1, chunk, sizeof chunk);
        if (cid != pos / CHUNK || bytes < 0 || bytes % TR_HASH_LEN) break;
        for (int64_t k = pos % CHUNK; k < bytes / TR_HASH_LEN && *got < n; k++)
            memcpy(out[(*got)++], chunk + k * TR_HASH_LEN, TR_HASH_LEN);
        if (bytes < CHUNK * TR_HASH_LEN) break;
    }
    PQclear(r);
    return 0;
}

static int64_t pg_tree_count(store *s, tr_err *e)
{
    pgs *p = (pgs *)s;
    if (tail_flush(p, e)) return -1;
    tail_forget(p);
    if (tail_load(p, e)) return -1;
    return p->tail_id * CHUNK + (int64_t)p->tail_len;
}

static int pg_checkpoint_insert(store *s, int64_t size, const tr_hash root, const char *note,
                                const char *time, tr_err *e)
{
    return pgx(s, e, ckpt_insert_sql, "ibtt", size, (const void *)root, (size_t)TR_HASH_LEN, time,
               note) < 0
               ? -1
               : 0;
}

static void read_checkpoint(const PGresult *r, int row, store_checkpoint *c)
{
    c->size = pgr_i64(r, row, 0);
    if (bytes_into(r, row, 1, c->root, TR_HASH_LEN) != TR_HASH_LEN) memset(c->root, 0, TR_HASH_LEN);
    pgr_copy(c->time, sizeof c->time, r, row, 2);
    c->note = pgr_text(r, row, 3);
}

static int pg_checkpoint_get(store *s, int64_t size, store_checkpoint *out, tr_err *e)
{
    pgs *p = (pgs *)s;
    PGresult *r = size < 0 ? pgq(s, e, ckpt_latest_sql, "") : pgq(s, e, ckpt_get_sql, "i", size);
    if (!r) return -1;
    if (!PQntuples(r)) {
        PQclear(r);
        return 0;
    }
    read_checkpoint(r, 0, out);
    free(p->note);
    p->note = strdup(out->note);
    if (!p->note) abort();
    out->note = p->note;
    PQclear(r);
    return 1;
}

static int pg_checkpoint_scan(store *s, store_row_cb cb, void *cls, tr_err *e)
{
    PGresult *r = pgq(s, e, ckpt_scan_sql, "");
    if (!r) return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        store_checkpoint c;
        read_checkpoint(r, i, &c);
        if (cb(cls, &c)) break;
    }
    PQclear(r);
    return 0;
}

/* ---- meta, projections ------------------------------------------------------------------ */

static const char meta_get_sql[] = "SELECT value FROM meta WHERE key = $1";
static const char meta_set_sql[] = "INSERT INTO meta(key, value) VALUES ($1, $2)"
                                   " ON CONFLICT(key) DO UPDATE SET value = excluded.value";

static int pg_meta_get(store *s, const char *key, char *out, size_t cap, tr_err *e)
{
    PGresult *r = pgq(s, e, meta_get_sql, "t", key);
    if (!r) return -1;
    int found = PQntuples(r) > 0;
    if (found) pgr_copy(out, cap, r, 0, 0);
    PQclear(r);
    return found;
}

static int pg_meta_set(store *s, const char *key, const char *value, tr_err *e)
{
    return pgx(s, e, meta_set_sql, "tt", key, value) < 0 ? -1 : 0;
}

static int pg_projections_clear(store *s, tr_err *e)
{
    size_t n = 0;
    while (store_migration_sets_pg[n])
        n++;
    while (n--)
        if (store_migration_sets_pg[n]->clear && pg_exec(s, store_migration_sets_pg[n]->clear, e))
            return -1;
    return pg_exec(s, "DELETE FROM meta", e);
}

/* ---- open / close ----------------------------------------------------------------------- */

static void pg_close(store *s)
{
    pgs *p = (pgs *)s;
    if (!p) return;
    if (s->journal_free) s->journal_free(s->journal);
    store_cache_clear(s);
    free(p->note);
    tree_cache_free(p->own_cache);
    PQfinish(p->c);
    free(p);
}

static const store_ops pg_ops = {
    .backend = "postgres",
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback_to = pg_rollback_to,
    .journal_append = pg_journal_append,
    .journal_scan = pg_journal_scan,
    .stats = pg_stats,
    .tree_append = pg_tree_append,
    .tree_read = pg_tree_read,
    .tree_count = pg_tree_count,
    .tree_range = pg_tree_range,
    .checkpoint_insert = pg_checkpoint_insert,
    .checkpoint_get = pg_checkpoint_get,
    .checkpoint_scan = pg_checkpoint_scan,
    .projections_clear = pg_projections_clear,
    .meta_get = pg_meta_get,
    .meta_set = pg_meta_set,
    /* alone_*: none; a bulk load never has a shared database to itself. */
};

/* The store's own tables: the journal, the tree, checkpoints, metadata, and the record of
 * migrations; what may only grow is kept so by triggers, as on SQLite. */
/* clang-format off */
static const store_migration core_migrations[] = {
    {"0001-journal-tree-checkpoints",
     "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL);"
     "CREATE TABLE journal("
     "  seq bigint PRIMARY KEY,"            /* 1-based and dense */
     "  type text NOT NULL,"
     "  actor_org text,"
     "  actor_user text NOT NULL,"
     "  time text NOT NULL,"
     "  body text NOT NULL,"                /* canonical JSON */
     "  visibility text NOT NULL,"
     "  salt text);"
     "CREATE FUNCTION truce_append_only() RETURNS trigger LANGUAGE plpgsql AS"
     "  $$BEGIN RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME; END$$;"
     "CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal"
     "  FOR EACH ROW EXECUTE FUNCTION truce_append_only();"
     "CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal"
     "  FOR EACH STATEMENT EXECUTE FUNCTION truce_append_only();"
     "CREATE TABLE tree_chunk(id bigint PRIMARY KEY, hashes bytea NOT NULL);"
     "CREATE FUNCTION truce_tree_grows() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
     "  IF NEW.id <> OLD.id OR length(NEW.hashes) < length(OLD.hashes)"
     "     OR substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) <> OLD.hashes THEN"
     "    RAISE EXCEPTION 'tree hashes are append-only';"
     "  END IF;"
     "  RETURN NEW; END$$;"
     "CREATE TRIGGER tree_only_grows BEFORE UPDATE ON tree_chunk"
     "  FOR EACH ROW EXECUTE FUNCTION truce_tree_grows();"
     "CREATE TRIGGER tree_no_delete BEFORE DELETE ON tree_chunk"
     "  FOR EACH ROW EXECUTE FUNCTION truce_append_only();"
     "CREATE TRIGGER tree_no_truncate BEFORE TRUNCATE ON tree_chunk"
     "  FOR EACH STATEMENT EXECUTE FUNCTION truce_append_only();"
     "CREATE TABLE checkpoints("
     "  size bigint PRIMARY KEY,"
     "  root bytea NOT NULL,"
     "  time text NOT NULL,"
     "  note text NOT NULL);"
     "CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints"
     "  FOR EACH ROW EXECUTE FUNCTION truce_append_only();"
     "CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints"
     "  FOR EACH STATEMENT EXECUTE FUNCTION truce_append_only();"},
    {NULL, NULL},
};
/* clang-format on */

static const store_migration_set core_set = {"store", core_migrations, NULL};

static int is_known(const char *pillar, const char *name)
{
    const store_migration_set *sets[64];
    size_t n = 0;
    sets[n++] = &core_set;
    for (const store_migration_set *const *set = store_migration_sets_pg; *set; set++)
        sets[n++] = *set;
    for (size_t i = 0; i < n; i++)
        if (strcmp(sets[i]->pillar, pillar) == 0)
            for (const store_migration *m = sets[i]->migrations; m->name; m++)
                if (strcmp(m->name, name) == 0) return 1;
    return 0;
}

static const char applied_sql[] = "SELECT pillar, name FROM schema_migrations";
static const char record_sql[] = "INSERT INTO schema_migrations VALUES ($1, $2, $3)";

static int apply_set(store *s, const store_migration_set *set, PGresult *applied, tr_err *e)
{
    for (const store_migration *m = set->migrations; m->name; m++) {
        int done = 0;
        for (int i = 0, n = PQntuples(applied); i < n && !done; i++)
            done = !strcmp(pgr_text(applied, i, 0), set->pillar) &&
                   !strcmp(pgr_text(applied, i, 1), m->name);
        if (done) continue;
        char now[UTIL_ISO_LEN];
        util_now_iso(now);
        if (pg_exec(s, m->sql, e) || pgx(s, e, record_sql, "ttt", set->pillar, m->name, now) < 0)
            return -1;
    }
    return 0;
}

/* Brings the schema up to date in one transaction, one migrator at a time. */
static int migrate(pgs *p, tr_err *e)
{
    store *s = &p->base;
    int64_t tables = 0, has_log = 0;
    if (pg_exec(s, "SELECT pg_advisory_lock(7472756365002)", e)) return -1;
    int rc = -1;
    PGresult *applied = NULL;
    if (pg_exec(s, "BEGIN", e)) goto out;
    if (pgi(s, &tables, e, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
            "") < 0 ||
        pgi(s, &has_log, e,
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
            " AND tablename = 'schema_migrations'",
            "") < 0)
        goto out;
    if (tables > 0 && !has_log) {
        err_set(e, 400, "store.not_truce", "check --db: name an empty database or truce's",
                "%s holds tables, but not truce's", p->where);
        goto out;
    }
    if (pg_exec(s,
                "CREATE TABLE IF NOT EXISTS schema_migrations("
                "  pillar text NOT NULL,"
                "  name text NOT NULL,"
                "  applied_at text NOT NULL,"
                "  PRIMARY KEY (pillar, name))",
                e))
        goto out;
    applied = pgq(s, e, applied_sql, "");
    if (!applied) goto out;
    for (int i = 0, n = PQntuples(applied); i < n; i++)
        if (!is_known(pgr_text(applied, i, 0), pgr_text(applied, i, 1))) {
            err_set(e, 400, "store.too_new", "upgrade truce to open it",
                    "%s has the %s migration %s, which this truce (%s) does not know", p->where,
                    pgr_text(applied, i, 0), pgr_text(applied, i, 1), TRUCE_VERSION);
            goto out;
        }
    if (apply_set(s, &core_set, applied, e)) goto out;
    for (const store_migration_set *const *set = store_migration_sets_pg; *set; set++)
        if (apply_set(s, *set, applied, e)) goto out;
    rc = pg_exec(s, "COMMIT", e);
out:
    PQclear(applied);
    if (rc) pg_exec(s, "ROLLBACK", &(tr_err)TR_ERR_INIT);
    pg_exec(s, "SELECT pg_advisory_unlock(7472756365002)", &(tr_err)TR_ERR_INIT);
    return rc;
}

static void notice_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* "relation already exists, skipping" and the like */
}

/* A connection named "truce" in pg_stat_activity unless conninfo names it otherwise, so
 * that a command recreating the data can see who else is connected. */
static PGconn *connect_as_truce(const char *conninfo)
{
    const char *keys[] = {"dbname", "fallback_application_name", NULL};
    const char *values[] = {conninfo, "truce", NULL};
    return PQconnectdbParams(keys, values, 1);
}

int store_pg_require_alone(const char *conninfo, const char *doing, tr_err *e)
{
    PGconn *c = connect_as_truce(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return 0; /* opening it says why, in the command's own words */
    }
    /* A process that has just closed its connections leaves them listed for a moment. */
    PGresult *r = NULL;
    for (int tries = 0; tries < 30; tries++) {
        if (r) {
            PQclear(r);
            usleep(100 * 1000);
        }
        r = PQexec(c, "SELECT count(*), min(pid), min(coalesce(client_addr::text, 'local'))"
                      " FROM pg_stat_activity WHERE datname = current_database()"
                      " AND pid <> pg_backend_pid() AND application_name = 'truce'");
        if (PQresultStatus(r) != PGRES_TUPLES_OK || atol(PQgetvalue(r, 0, 0)) == 0) break;
    }
    int rc = 0;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && atol(PQgetvalue(r, 0, 0)) > 0)
        rc = err_set(e, 409, "store.in_use",
                     "stop the truce processes using it first (`truce serve` on any machine), "
                     "or choose another --db",
                     "cannot %s database %s: %s other truce connection(s) have it open "
                     "(backend %s, from %s)",
                     doing, PQdb(c), PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
    PQclear(r);
    PQfinish(c);
    return rc;
}

store *store_pg_open(const char *conninfo, int flags, tr_err *e)
{
    pgs *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->base.ops = &pg_ops;
    p->c = connect_as_truce(conninfo);
    if (PQstatus(p->c) != CONNECTION_OK) {
        char msg[240];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(p->c));
        msg[strcspn(msg, "\n")] = 0;
        err_set(e, 503, "store.unavailable",
                "check --db (a postgres:// URI or libpq's keywords) and that PostgreSQL is "
                "running",
                "cannot connect to PostgreSQL: %s", msg);
        pg_close(&p->base);
        return NULL;
    }
    snprintf(p->where, sizeof p->where, "database %s on %s", PQdb(p->c),
             PQhost(p->c) ? PQhost(p->c) : "localhost");
    PQsetNoticeProcessor(p->c, notice_quiet, NULL);
    /* Times and text as truce writes them; no statement waits for ever on a lock. */
    if (pg_exec(&p->base,
                "SET client_encoding = 'UTF8'; SET lock_timeout = '30s';"
                " SET idle_in_transaction_session_timeout = '60s'",
                e))
        goto fail;
    if (flags & STORE_READONLY) {
        if (pg_exec(&p->base, "SET default_transaction_read_only = on", e)) goto fail;
        int64_t has = 0;
        if (pgi(&p->base, &has, e,
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename = 'schema_migrations'",
                "") < 0)
            goto fail;
        if (!has) {
            err_set(e, 404, "store.missing", "create it with `truce init` or `truce demo`",
                    "%s has no truce database yet", p->where);
            goto fail;
        }
    } else if (migrate(p, e)) {
        goto fail;
    }
    return &p->base;
fail:
    pg_close(&p->base);
    return NULL;
}
