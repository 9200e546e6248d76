/* test_store.c - the SQLite store: migrations, refusal of foreign and newer databases, the
 * append-only journal, transactions, retry on busy, and the group committer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "monitor/store.h"
#include "accounts/store.h"

#include "aid/store.h"

#include "aid/crossings.h"
#include "journal/journal.h"
#include "journal/project.h"
#include "store/writer.h"
#include "core/buf.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    th_rmrf(dir);
    return 0;
}

static char *path(const char *name)
{
    static char p[8][320];
    static int n;
    char *s = p[n++ % 8];
    snprintf(s, 320, "%s/%s", dir, name);
    return s;
}

static void raw_exec(const char *db, const char *sql, int expect_ok, const char *expect_msg)
{
    sqlite3 *h;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
    if (expect_ok)
        assert_int_equal(rc, SQLITE_OK);
    else
        assert_int_not_equal(rc, SQLITE_OK);
    if (expect_msg) assert_non_null(strstr(msg ? msg : "", expect_msg));
    sqlite3_free(msg);
    sqlite3_close(h);
}

static int raw_int(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    int v = -1;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

/* The ids of the incidents in a box come back in id order, each once, whether the ids
 * are dense (sorted through a bitmap) or sparse (sorted by comparison); the cap says when
 * there are more than asked for. */
static void box_ids_come_sorted(void **state)
{
    tr_err e = TR_ERR_INIT;
    (void)state;
    store *s = store_sqlite_open(path("box.db"), STORE_CREATE, &e);
    assert_non_null(s);
    s->ops->close(s);
    buf sql = BUF_INIT;
    buf_puts(&sql, "BEGIN;");
    /* Dense ids 1..3000 placed in an order unrelated to their ids, a third outside the box;
     * then sparse ids in the box. */
    for (int i = 1; i <= 3000; i++)
        buf_printf(&sql,
                   "INSERT INTO incidents(id, status, provenance, event_date, event_type,"
                   " latitude, longitude, fatalities, doc, updated_at) VALUES (%d, 'verified',"
                   " 'acled', '2024-01-01', 'Battles', %f, %f, 0, '{}', '');",
                   i, 31.3 + (i * 7919 % 3000) / 10000.0, i % 3 ? 34.4 : 35.5);
    static const long long sparse[] = {4000000000LL, 9000000000000LL, 5000000000LL};
    for (int i = 0; i < 3; i++)
        buf_printf(&sql,
                   "INSERT INTO incidents(id, status, provenance, event_date, event_type,"
                   " latitude, longitude, fatalities, doc, updated_at) VALUES (%lld, 'verified',"
                   " 'acled', '2024-01-01', 'Battles', 31.4, 34.4, 0, '{}', '');",
                   sparse[i]);
    buf_puts(&sql, "COMMIT;");
    raw_exec(path("box.db"), sql.p, 1, NULL);
    buf_free(&sql);
    s = store_sqlite_open(path("box.db"), 0, &e);
    assert_non_null(s);
    store_incident_filter f = {.has_bbox = 1, .west = 34, .east = 35, .south = 31, .north = 32};
    int64_t *ids;
    size_t n;
    assert_int_equal(monitor_store(s)->incident_ids_in_box(s, &f, 0, &ids, &n, &e), 0);
    assert_int_equal(n, 2000 + 3);
    for (size_t i = 1; i < n; i++)
        assert_true(ids[i - 1] < ids[i]);
    for (size_t i = 0; i < n - 3; i++)
        assert_int_not_equal(ids[i] % 3, 0);
    assert_int_equal(ids[n - 3], 4000000000LL);
    assert_int_equal(ids[n - 1], 9000000000000LL);
    free(ids);
    /* Only dense ids: the bitmap's path. */
    f.east = 34.5, f.north = 31.35;
    assert_int_equal(monitor_store(s)->incident_ids_in_box(s, &f, 0, &ids, &n, &e), 0);
    assert_true(n > 64);
    for (size_t i = 1; i < n; i++)
        assert_true(ids[i - 1] < ids[i]);
    free(ids);
    /* Capped: more than the cap is said by returning cap + 1 ids, unsorted. */
    assert_int_equal(monitor_store(s)->incident_ids_in_box(s, &f, 10, &ids, &n, &e), 0);
    assert_int_equal(n, 11);
    free(ids);
    s->ops->close(s);
}

/* Pieces of an upload come back in order, whatever order they were written in; an
 * organization's uploads are its own; an upload whose last piece is older than the
 * cut-off goes whole, a newer one stays. */
static void upload_pieces_read_in_order_and_expire(void **state)
{
    tr_err e = TR_ERR_INIT;
    (void)state;
    store *s = store_sqlite_open(path("up.db"), STORE_CREATE, &e);
    assert_non_null(s);
    store_upload file = {.total = 9, .media_type = "text/plain"}, got;
    const char *a = "aa", *b = "bb";
    assert_int_equal(s->ops->begin(s, &e), 0);
    assert_int_equal(monitor_store(s)->upload_put(s, a, "un", 6, "ghi", 3, &file,
                                                  "2026-01-02T00:00:00.000Z", &e),
                     0);
    assert_int_equal(monitor_store(s)->upload_put(s, a, "un", 0, "abc", 3, &file,
                                                  "2026-01-01T00:00:00.000Z", &e),
                     0);
    assert_int_equal(monitor_store(s)->upload_put(s, a, "un", 3, "def", 3, &file,
                                                  "2026-01-01T00:00:00.000Z", &e),
                     0);
    assert_int_equal(
        monitor_store(s)->upload_put(s, b, "un", 0, "x", 1, &file, "2026-01-01T12:00:00.000Z", &e),
        0);
    assert_int_equal(
        monitor_store(s)->upload_put(s, a, "wfp", 0, "z", 1, &file, "2026-01-01T12:00:00.000Z", &e),
        0);
    assert_int_equal(s->ops->commit(s, &e), 0);
    buf whole = BUF_INIT;
    assert_int_equal(monitor_store(s)->upload_read(s, a, "un", &whole, &e), 0);
    assert_string_equal(whole.p, "abcdefghi");
    buf_free(&whole);
    assert_int_equal(monitor_store(s)->upload_state(s, a, "un", &got, &e), 1);
    assert_int_equal(got.received, 9);
    assert_int_equal(got.total, 9);
    assert_string_equal(got.media_type, "text/plain");
    assert_int_equal(monitor_store(s)->upload_state(s, a, "wfp", &got, &e), 1);
    assert_int_equal(got.received, 1);
    assert_int_equal(monitor_store(s)->upload_state(s, "cc", "un", &got, &e), 0);
    int64_t n = 0;
    assert_int_equal(monitor_store(s)->upload_count(s, "un", "2026-01-01T00:00:00.000Z", &n, &e),
                     0);
    assert_int_equal(n, 2);
    /* Counted from a time: b's last piece (12:00) is before 18:00, a's (2 January) not. */
    assert_int_equal(monitor_store(s)->upload_count(s, "un", "2026-01-01T18:00:00.000Z", &n, &e),
                     0);
    assert_int_equal(n, 1);
    /* Cut off at 1 January, 18:00: b (12:00) and wfp's go; a's last piece is 2 January. */
    assert_int_equal(s->ops->begin(s, &e), 0);
    assert_int_equal(monitor_store(s)->upload_expire(s, "2026-01-01T18:00:00.000Z", &e), 0);
    assert_int_equal(s->ops->commit(s, &e), 0);
    assert_int_equal(monitor_store(s)->upload_state(s, a, "un", &got, &e), 1);
    assert_int_equal(got.received, 9);
    assert_int_equal(monitor_store(s)->upload_state(s, b, "un", &got, &e), 0);
    assert_int_equal(monitor_store(s)->upload_state(s, a, "wfp", &got, &e), 0);
    assert_int_equal(s->ops->begin(s, &e), 0);
    assert_int_equal(monitor_store(s)->upload_drop(s, a, "un", &e), 0);
    assert_int_equal(s->ops->commit(s, &e), 0);
    assert_int_equal(monitor_store(s)->upload_count(s, "un", "2026-01-01T00:00:00.000Z", &n, &e),
                     0);
    assert_int_equal(n, 0);
    s->ops->close(s);
}

static void open_creates_and_migrates(void **state)
{
    tr_err e = TR_ERR_INIT;
    (void)state;
    assert_null(store_sqlite_open(path("missing.db"), 0, &e));
    assert_string_equal(e.code, "store.missing");
    assert_non_null(strstr(e.hint, "truce init"));
    err_clear(&e);
    store *s = store_sqlite_open(path("a.db"), STORE_CREATE, &e);
    assert_non_null(s);
    s->ops->close(s);
    assert_int_equal(raw_int(path("a.db"), "PRAGMA user_version"), store_schema_version());
    assert_int_equal(raw_int(path("a.db"), "PRAGMA application_id"), 0x54524345);
    assert_int_equal(raw_int(path("a.db"), "SELECT count(*) FROM sqlite_master WHERE name = "
                                           "'journal'"),
                     1);
    sqlite3 *h;
    sqlite3_stmt *st;
    sqlite3_open(path("a.db"), &h);
    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(h);
    /* Opening again applies nothing and keeps the data. */
    s = store_sqlite_open(path("a.db"), 0, &e);
    assert_non_null(s);
    s->ops->close(s);
}

static void refuses_newer_and_foreign_databases(void **state)
{
    tr_err e = TR_ERR_INIT;
    FILE *f;
    (void)state;
    store *s = store_sqlite_open(path("new.db"), STORE_CREATE, &e);
    s->ops->close(s);
    raw_exec(path("new.db"), "PRAGMA user_version = 99", 1, NULL);
    assert_null(store_sqlite_open(path("new.db"), 0, &e));
    assert_string_equal(e.code, "store.too_new");
    assert_non_null(strstr(e.message, "99"));
    assert_non_null(strstr(e.hint, "upgrade"));
    err_clear(&e);
    assert_int_equal(raw_int(path("new.db"), "PRAGMA user_version"), 99); /* Untouched. */

    raw_exec(path("other.db"), "CREATE TABLE x(y)", 1, NULL);
    assert_null(store_sqlite_open(path("other.db"), 0, &e));
    assert_string_equal(e.code, "store.not_truce");
    err_clear(&e);

    f = fopen(path("text.db"), "w");
    fputs("this is not a database, just some text that is long enough to look like a header\n"
          "and then some more text to fill the first hundred bytes of the file for sqlite.\n",
          f);
    fclose(f);
    assert_null(store_sqlite_open(path("text.db"), 0, &e));
    assert_string_equal(e.code, "store.not_truce");
    err_clear(&e);
}

static int record_org(store *s, void *cls, tr_err *e)
{
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "slug", (const char *)cls, "name", "Org", "kind", "observer");
    int rc = journal_record(s, &journal_operator, "org.created", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

static int record_then_fail(store *s, void *cls, tr_err *e)
{
    if (record_org(s, cls, e)) return -1;
    return err_set(e, 400, "test.fail", NULL, "failing on purpose");
}

static int record_unknown(store *s, void *cls, tr_err *e)
{
    json_t *body = json_object();
    int rc;
    (void)cls;
    rc = journal_record(s, &journal_operator, "no.such.event", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

static int record_bad_visibility(store *s, void *cls, tr_err *e)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "slug", "v", "name", "V", "kind", "observer");
    int rc;
    (void)cls;
    rc = journal_record(s, &journal_operator, "org.created", body, "everyone", NULL, e);
    json_decref(body);
    return rc;
}

static void journal_is_append_only_and_transactional(void **state)
{
    tr_err e = TR_ERR_INIT;
    store_stats st;
    store_org o;
    (void)state;
    store *s = store_sqlite_open(path("j.db"), STORE_CREATE, &e);
    assert_int_equal(store_txn(s, record_org, "alpha", &e), 0);
    assert_int_equal(store_txn(s, record_org, "beta", &e), 0);
    s->ops->stats(s, &st, &e);
    assert_int_equal(st.journal_length, 2);
    assert_true(st.db_bytes > 0);

    /* A failing transaction leaves neither the event nor the projection behind. */
    assert_int_equal(store_txn(s, record_then_fail, "gamma", &e), -1);
    assert_string_equal(e.code, "test.fail");
    err_clear(&e);
    assert_int_equal(store_txn(s, record_unknown, NULL, &e), -1);
    assert_string_equal(e.code, "journal.unknown_type");
    err_clear(&e);
    assert_int_equal(store_txn(s, record_bad_visibility, NULL, &e), -1);
    err_clear(&e);
    /* A duplicate is refused by the projection, and the event is rolled back with it. */
    assert_int_equal(store_txn(s, record_org, "alpha", &e), -1);
    assert_string_equal(e.code, "store.conflict");
    err_clear(&e);
    s->ops->stats(s, &st, &e);
    assert_int_equal(st.journal_length, 2);
    assert_int_equal(accounts_store(s)->org_get(s, "gamma", &o, &e), 0);
    assert_int_equal(accounts_store(s)->org_get(s, "beta", &o, &e), 1);
    s->ops->close(s);

    /* Sequence numbers are dense, bodies canonical. */
    assert_int_equal(raw_int(path("j.db"), "SELECT max(seq) - min(seq) + 1 FROM journal"), 2);
    assert_int_equal(raw_int(path("j.db"), "SELECT count(*) FROM journal WHERE body = "
                                           "'{\"kind\":\"observer\",\"name\":\"Org\",\"slug\":"
                                           "\"alpha\"}'"),
                     1);
    /* Nothing, not even direct SQL, may rewrite or delete history. */
    raw_exec(path("j.db"), "UPDATE journal SET body = '{}' WHERE seq = 1", 0, "append-only");
    raw_exec(path("j.db"), "DELETE FROM journal WHERE seq = 2", 0, "append-only");
    assert_int_equal(raw_int(path("j.db"), "SELECT count(*) FROM journal"), 2);
    /* Nor the Merkle tree's hashes: a chunk may only grow. */
    assert_int_equal(raw_int(path("j.db"), "SELECT length(hashes) FROM tree_chunk WHERE id = 0"),
                     3 * 32); /* leaf 0, leaf 1, their parent */
    raw_exec(path("j.db"), "UPDATE tree_chunk SET hashes = zeroblob(96) WHERE id = 0", 0,
             "append-only");
    raw_exec(path("j.db"), "UPDATE tree_chunk SET hashes = substr(hashes, 1, 64) WHERE id = 0", 0,
             "append-only");
    raw_exec(path("j.db"), "DELETE FROM tree_chunk", 0, "append-only");
    assert_int_equal(raw_int(path("j.db"), "SELECT length(hashes) FROM tree_chunk WHERE id = 0"),
                     96);
}

typedef struct holder {
    const char *db;
    int ms;                    /* how long it holds the write lock once it has it */
    pthread_barrier_t *locked; /* passed once it holds the lock */
} holder;

/* Takes the write lock, writes a row the waiting transaction can only see if it waited,
 * says so through the barrier, holds the lock a while, then commits. */
static void *hold_lock(void *arg)
{
    holder *h = arg;
    sqlite3 *db;
    sqlite3_open(h->db, &db);
    /* Not cmocka's asserts: they may not jump out of another thread. */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE; INSERT INTO meta VALUES('holder', 'x')", NULL, NULL,
                     NULL) != SQLITE_OK)
        abort();
    pthread_barrier_wait(h->locked);
    usleep((useconds_t)h->ms * 1000);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) abort();
    sqlite3_close(db);
    return NULL;
}

typedef struct late {
    int runs;       /* how many times store_txn ran the function */
    int saw_holder; /* whether the holder's committed row was there when it ran */
    int busy_first; /* fail the first run with store.busy, as contention would */
    const char *slug;
} late;

static int record_late(store *s, void *cls, tr_err *e)
{
    late *l = cls;
    char v[16];
    l->runs++;
    l->saw_holder = s->ops->meta_get(s, "holder", v, sizeof v, e) == 1;
    if (l->busy_first && l->runs == 1)
        return err_set(e, 503, "store.busy", NULL, "contention, simulated");
    return record_org(s, (void *)l->slug, e);
}

/* A transaction started while another connection holds the write lock waits for it (the
 * holder's row, committed after the barrier, is visible to it) instead of failing; and a
 * run that ends in store.busy is retried whole, committing once. */
static void txn_waits_out_a_busy_writer(void **state)
{
    tr_err e = TR_ERR_INIT;
    pthread_t t;
    pthread_barrier_t locked;
    (void)state;
    store *s = store_sqlite_open(path("busy.db"), STORE_CREATE, &e);
    pthread_barrier_init(&locked, NULL, 2);
    holder h = {path("busy.db"), 200, &locked};
    pthread_create(&t, NULL, hold_lock, &h);
    pthread_barrier_wait(&locked); /* the holder has the lock now */
    late l = {0, 0, 0, "late"};
    assert_int_equal(store_txn(s, record_late, &l, &e), 0);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&locked);
    assert_int_equal(l.runs, 1);
    assert_true(l.saw_holder);
    store_org o;
    assert_int_equal(accounts_store(s)->org_get(s, "late", &o, &e), 1);
    int len = raw_int(path("busy.db"), "SELECT count(*) FROM journal");

    late retry = {0, 0, 1, "retried"};
    assert_int_equal(store_txn(s, record_late, &retry, &e), 0);
    assert_int_equal(retry.runs, 2);
    assert_int_equal(raw_int(path("busy.db"), "SELECT count(*) FROM journal"), len + 1);
    s->ops->close(s);
}

/* A bulk load with the database to itself (alone_begin: a rollback journal instead of the
 * WAL) gets it only when no other connection is open; while it writes, a process opening
 * the database is refused and told why, not just "locked"; after
 * alone_end the database is in WAL mode again and opens. */
static void a_load_alone_is_alone_and_says_so(void **state)
{
    tr_err e = TR_ERR_INIT, e2 = TR_ERR_INIT;
    (void)state;
    const char *db = path("alone.db");
    store *a = store_sqlite_open(db, STORE_CREATE, &e), *b = store_sqlite_open(db, 0, &e);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->ops->alone_begin(a, &e), 0); /* b is open */
    b->ops->close(b);
    assert_int_equal(a->ops->alone_begin(a, &e), 1);
    assert_int_equal(a->ops->begin(a, &e), 0);
    assert_int_equal(a->ops->meta_set(a, "k", "v", &e), 0);
    assert_null(store_sqlite_open(db, 0, &e2));
    assert_int_equal(e2.status, 503);
    assert_string_equal(e2.code, "store.busy");
    assert_non_null(strstr(e2.hint, "truce import acled"));
    err_clear(&e2);
    assert_int_equal(a->ops->commit(a, &e), 0);
    a->ops->alone_end(a);
    assert_non_null(b = store_sqlite_open(db, STORE_READONLY, &e));
    char v[8];
    assert_int_equal(b->ops->meta_get(b, "k", v, sizeof v, &e), 1);
    assert_string_equal(v, "v");
    b->ops->close(b);
    a->ops->close(a);
    sqlite3 *h;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(h);
}

/* ---- the group committer ---- */

typedef struct crossing_job {
    char slug[32];
} crossing_job;

static int write_crossing(store *s, void *cls, tr_err *e)
{
    crossing_job *c = cls;
    json_t *in =
        json_pack("{s:s, s:s, s:f, s:f}", "slug", c->slug, "name", "C", "lat", 31.0, "lon", 34.0);
    int rc = crossing_create(s, &journal_operator, in, e);
    json_decref(in);
    return rc;
}

typedef struct worker {
    writer *w;
    int id, n, failures;
} worker;

static void *work(void *arg)
{
    worker *k = arg;
    for (int i = 0; i < k->n; i++) {
        tr_err e = TR_ERR_INIT;
        crossing_job c;
        snprintf(c.slug, sizeof c.slug, "w%d-%d", k->id, i);
        if (writer_run(k->w, write_crossing, &c, &e)) k->failures++;
        err_clear(&e);
    }
    return NULL;
}

static void writer_batches_concurrent_writes(void **state)
{
    tr_err e = TR_ERR_INIT;
    pthread_t t[8];
    worker k[8];
    writer_stats ws;
    (void)state;
    store *s = store_sqlite_open(path("w.db"), STORE_CREATE, &e);
    writer *w = writer_start(s, &e);
    for (int i = 0; i < 8; i++) {
        k[i] = (worker){w, i, 100, 0};
        pthread_create(&t[i], NULL, work, &k[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(k[i].failures, 0);
    }
    writer_get_stats(w, &ws);
    assert_int_equal(ws.jobs, 800);
    assert_true(ws.batches <= ws.jobs);
    assert_true(ws.largest > 1); /* Several writes shared a commit. */
    writer_stop(w);
    assert_int_equal(th_journal_len(path("w.db")), 800);
    assert_int_equal(raw_int(path("w.db"), "SELECT count(*) FROM crossings"), 800);
}

typedef struct async_job {
    writer_job job;
    crossing_job c;
    pthread_mutex_t *lock;
    int *pending;
} async_job;

static void async_done(writer_job *job)
{
    async_job *a = job->done_cls;
    pthread_mutex_lock(a->lock);
    (*a->pending)--;
    pthread_mutex_unlock(a->lock);
}

static void a_failing_write_does_not_undo_its_batch(void **state)
{
    tr_err e = TR_ERR_INIT;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int pending = 3;
    async_job jobs[3];
    const char *slugs[3] = {"one", "one", "two"}; /* The second is a duplicate. */
    (void)state;
    store *s = store_sqlite_open(path("b.db"), STORE_CREATE, &e);
    writer *w = writer_start(s, &e);
    for (int i = 0; i < 3; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        snprintf(jobs[i].c.slug, sizeof jobs[i].c.slug, "%s", slugs[i]);
        jobs[i].job = (writer_job){
            .fn = write_crossing, .cls = &jobs[i].c, .done = async_done, .done_cls = &jobs[i]};
        jobs[i].lock = &lock;
        jobs[i].pending = &pending;
    }
    for (int i = 0; i < 3; i++)
        writer_submit(w, &jobs[i].job);
    for (;;) {
        pthread_mutex_lock(&lock);
        int left = pending;
        pthread_mutex_unlock(&lock);
        if (!left) break;
        usleep(1000);
    }
    assert_int_equal(jobs[0].job.rc, 0);
    assert_int_equal(jobs[1].job.rc, -1);
    assert_string_equal(jobs[1].job.err.code, "crossing.exists");
    assert_int_equal(jobs[2].job.rc, 0);
    err_clear(&jobs[1].job.err);
    writer_stop(w);
    assert_int_equal(th_journal_len(path("b.db")), 2);
    assert_int_equal(raw_int(path("b.db"), "SELECT count(*) FROM crossings"), 2);
}

/* ---- projections are a function of the journal ---- */

typedef struct replay {
    store *dst;
    tr_err *e;
    int failed;
} replay;

static int replay_event(void *cls, const void *row)
{
    replay *r = cls;
    const store_event *ev = row;
    store_event copy = *ev;
    json_t *body = json_loads(ev->body, 0, NULL);
    if (r->dst->ops->journal_append(r->dst, &copy, r->e) ||
        project_apply(r->dst, &copy, body, r->e))
        r->failed = 1;
    json_decref(body);
    return r->failed;
}

static int dump_org(void *cls, const void *row)
{
    const store_org *o = row;
    buf_printf(cls, "%lld|%s|%s|%s|%s\n", (long long)o->id, o->slug, o->name, o->kind,
               o->created_at);
    return 0;
}

static int dump_user(void *cls, const void *row)
{
    const store_user *u = row;
    buf_printf(cls, "%s|%s|%s|%d|%s|%s\n", u->name, u->display, u->org, u->admin, u->pwhash,
               u->created_at);
    return 0;
}

static int dump_crossing(void *cls, const void *row)
{
    const store_crossing *c = row;
    buf_printf(cls, "%s|%s|%.17g|%.17g|%s\n", c->slug, c->name, c->lat, c->lon, c->notes);
    return 0;
}

static int dump_zone(void *cls, const void *row)
{
    const store_zone *z = row;
    buf_printf(cls, "%s|%s|%s|%s\n", z->slug, z->name, z->kind, z->geometry);
    return 0;
}

static void dump(store *s, buf *b)
{
    tr_err e = TR_ERR_INIT;
    assert_int_equal(accounts_store(s)->org_list(s, dump_org, b, &e), 0);
    assert_int_equal(accounts_store(s)->user_list(s, dump_user, b, &e), 0);
    assert_int_equal(aid_store(s)->crossing_list(s, dump_crossing, b, &e), 0);
    assert_int_equal(monitor_store(s)->zone_list(s, dump_zone, b, &e), 0);
    char name[300] = "", scen[300] = "";
    s->ops->meta_get(s, "name", name, sizeof name, &e);
    s->ops->meta_get(s, "scenario", scen, sizeof scen, &e);
    buf_printf(b, "%s|%s\n", name, scen);
}

static void projections_replay_from_the_journal(void **state)
{
    tr_err e = TR_ERR_INIT;
    buf a = BUF_INIT, b = BUF_INIT;
    (void)state;
    store *src = th_demo_db(path("src.db"));
    store *dst = store_sqlite_open(path("dst.db"), STORE_CREATE, &e);
    replay r = {dst, &e, 0};
    assert_int_equal(dst->ops->begin(dst, &e), 0);
    assert_int_equal(src->ops->journal_scan(src, 0, INT64_MAX, replay_event, &r, &e), 0);
    assert_int_equal(r.failed, 0);
    assert_int_equal(dst->ops->commit(dst, &e), 0);
    dump(src, &a);
    dump(dst, &b);
    assert_true(a.len > 1000);
    assert_string_equal(a.p, b.p);
    buf_free(&a);
    buf_free(&b);
    src->ops->close(src);
    dst->ops->close(dst);
}

/* The pillars' migrations come after the base, by name: a new database and one of the last
 * release (the base only, user_version 19, no record of migrations: the bridge) end with the
 * same tables and the same record; a database recording a migration this build does not
 * know was written by a newer truce and is refused. */
static void pillar_migrations_apply_once_by_name(void **state)
{
    tr_err e = TR_ERR_INIT;
    (void)state;
    store *s = store_sqlite_open(path("mig.db"), STORE_CREATE, &e);
    assert_non_null(s);
    s->ops->close(s);
    assert_int_equal(raw_int(path("mig.db"), "PRAGMA user_version"), store_schema_version());
    assert_int_equal(raw_int(path("mig.db"), "SELECT count(*) FROM schema_migrations WHERE "
                                             "pillar = 'accounts' AND name = '0001-org-actors'"),
                     1);
    assert_int_equal(raw_int(path("mig.db"), "SELECT count(*) FROM sqlite_master WHERE name = "
                                             "'org_actors'"),
                     1);
    assert_int_equal(raw_int(path("mig.db"), "SELECT count(*) FROM schema_migrations WHERE "
                                             "pillar = 'aid' AND name = '0001-crossing-operation'"),
                     1);
    assert_int_equal(raw_int(path("mig.db"), "SELECT count(*) FROM pragma_table_info('crossings')"
                                             " WHERE name = 'operated_by'"),
                     1);
    /* Opened again: nothing applied twice. */
    s = store_sqlite_open(path("mig.db"), 0, &e);
    assert_non_null(s);
    s->ops->close(s);
    assert_int_equal(raw_int(path("mig.db"), "SELECT count(*) FROM schema_migrations"), 9);

    /* The bridge: a database as the last release left it (the base, no record). */
    s = store_sqlite_open(path("old.db"), STORE_CREATE, &e);
    s->ops->close(s);
    raw_exec(path("old.db"),
             "DROP TABLE org_actors; DROP TABLE crossing_closures; DROP TABLE schema_migrations; "
             "DROP TABLE aid_targets; DROP TABLE aid_counts; DROP TABLE aid_truck_days; DROP TABLE "
             "aid_dwell; "
             "DROP TABLE aid_trucks; DROP TABLE aid_requests; DROP TABLE obligation_states; "
             "DROP TABLE obligations_settled; "
             "DROP TABLE obligation_notes; DROP TABLE webhooks; DROP TABLE webhook_cursor; "
             "DROP TABLE webhook_deliveries; DROP INDEX incidents_actor; "
             "DROP TABLE obligations; "
             "ALTER TABLE crossings DROP "
             "COLUMN operated_by; ALTER TABLE crossings DROP COLUMN capacity_per_day; ALTER "
             "TABLE crossings DROP COLUMN hours",
             1, NULL);
    assert_int_equal(raw_int(path("old.db"), "SELECT count(*) FROM sqlite_master WHERE name = "
                                             "'org_actors'"),
                     0);
    s = store_sqlite_open(path("old.db"), 0, &e);
    assert_non_null(s);
    s->ops->close(s);
    assert_int_equal(raw_int(path("old.db"), "SELECT count(*) FROM schema_migrations"), 9);
    assert_int_equal(
        raw_int(path("old.db"), "SELECT count(*) FROM pragma_table_info('aid_trucks')"),
        raw_int(path("mig.db"), "SELECT count(*) FROM pragma_table_info('aid_trucks')"));
    assert_int_equal(
        raw_int(path("old.db"), "SELECT count(*) FROM pragma_table_info('org_actors')"),
        raw_int(path("mig.db"), "SELECT count(*) FROM pragma_table_info('org_actors')"));
    assert_int_equal(
        raw_int(path("old.db"), "SELECT count(*) FROM pragma_table_info('crossings')"),
        raw_int(path("mig.db"), "SELECT count(*) FROM pragma_table_info('crossings')"));

    /* A migration from the future. */
    raw_exec(path("mig.db"),
             "INSERT INTO schema_migrations VALUES ('aid', '0042-from-later', "
             "'2030-01-01')",
             1, NULL);
    assert_null(store_sqlite_open(path("mig.db"), 0, &e));
    assert_string_equal(e.code, "store.too_new");
    assert_non_null(strstr(e.message, "0042-from-later"));
    err_clear(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_creates_and_migrates),
        cmocka_unit_test(upload_pieces_read_in_order_and_expire),
        cmocka_unit_test(box_ids_come_sorted),
        cmocka_unit_test(refuses_newer_and_foreign_databases),
        cmocka_unit_test(journal_is_append_only_and_transactional),
        cmocka_unit_test(txn_waits_out_a_busy_writer),
        cmocka_unit_test(a_load_alone_is_alone_and_says_so),
        cmocka_unit_test(writer_batches_concurrent_writes),
        cmocka_unit_test(a_failing_write_does_not_undo_its_batch),
        cmocka_unit_test(projections_replay_from_the_journal),
        cmocka_unit_test(pillar_migrations_apply_once_by_name),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
