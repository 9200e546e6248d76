/* test_pg.c - the PostgreSQL store against SQLite's and against many writers: the same events
 * make the same journal entries, tree hashes and signed checkpoints byte for byte on both
 * backends; the log only grows there too; processes appending at once to one database make one
 * dense sequence that the audit accepts, with every acknowledged event in it; migrations and
 * the refusals a user meets (a database of something else, of a newer truce, a server that is
 * not there); the accounts pillar answering the same on both. A PostgreSQL cluster of the
 * test's own (th_pg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include "accounts/store.h"
#include "core/util.h"
#include "journal/audit.h"
#include "journal/journal.h"
#include "journal/merkle.h"
#include "store/pg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static note_signer signer;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    tr_err e = TR_ERR_INIT;
    assert_int_equal(note_signer_generate(&signer, "truce.test/pg", &e), 0);
    th_pg();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    th_rmrf(dir);
    th_pg_stop();
    return 0;
}

static store *open_ok(const char *db)
{
    tr_err e = TR_ERR_INIT;
    store *s = store_open(db, STORE_CREATE, &e);
    if (!s) fail_msg("%s: %s", db, e.message);
    assert_int_equal(journal_attach(s, &signer, &e), 0);
    s->before_commit = journal_seal;
    return s;
}

/* ---- the same log on both ---------------------------------------------------------------- */

typedef struct batch {
    int from, n, undo; /* events from..from+n-1; the job `undo` (if >= 0) is rolled back */
} batch;

static void event_of(int i, store_event *ev, char *body, size_t cap, char *salt)
{
    /* Arabic, Hebrew, escapes, characters beyond the BMP; some confidential (salted). */
    static const char *const words[] = {"\"quoted\\\\\"", "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85",
                                        "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", "\xf0\x9f\x95\x8a",
                                        "line\\nbreak"};
    snprintf(body, cap, "{\"i\":%d,\"w\":\"%s\"}", i, words[i % 5]);
    memset(ev, 0, sizeof *ev);
    ev->type = i % 3 ? "test.event" : "test.other";
    ev->actor_org = i % 4 ? "mediators" : NULL;
    ev->actor_user = "tester";
    ev->time = "2025-01-19T08:30:00.000Z";
    ev->body = body;
    ev->visibility = i % 2 ? "public" : "org:israel";
    if (i % 2 == 0) {
        for (int k = 0; k < 64; k++)
            salt[k] = "0123456789abcdef"[(i * 7 + k) % 16];
        salt[64] = 0;
        ev->salt = salt;
    }
}

/* Appends the batches as the group committer does: a transaction a batch, a savepoint a
 * job (an event), the job `undo` rolled back to its savepoint, a checkpoint at each commit. */
static void play(store *s, const batch *b, size_t nb)
{
    tr_err e = TR_ERR_INIT;
    for (size_t k = 0; k < nb; k++) {
        assert_int_equal(s->ops->begin(s, &e), 0);
        for (int j = 0; j < b[k].n; j++) {
            char body[200], salt[65];
            store_event ev;
            event_of(b[k].from + j, &ev, body, sizeof body, salt);
            assert_int_equal(s->ops->savepoint(s, &e), 0);
            assert_int_equal(journal_append_event(s, &ev, &e), 0);
            if (j == b[k].undo)
                s->ops->rollback_to(s);
            else
                assert_int_equal(s->ops->release(s, &e), 0);
        }
        assert_int_equal(journal_seal(s, NULL, &e), 0);
        assert_int_equal(s->ops->commit(s, &e), 0);
    }
}

typedef struct entries {
    buf all;
    int64_t n;
} entries;

static int take_entry(void *cls, const void *row)
{
    entries *x = cls;
    journal_entry(row, &x->all);
    buf_puts(&x->all, "\n");
    x->n++;
    return 0;
}

static int take_checkpoint(void *cls, const void *row)
{
    const store_checkpoint *c = row;
    char hex[2 * TR_HASH_LEN + 1];
    util_hex(hex, c->root, TR_HASH_LEN);
    buf_printf(cls, "%lld %s\n%s\n", (long long)c->size, hex, c->note);
    return 0;
}

/* Everything a log is, as text: the entries, every stored tree hash, every checkpoint. */
static void log_text(store *s, buf *out)
{
    tr_err e = TR_ERR_INIT;
    entries x = {BUF_INIT, 0};
    assert_int_equal(s->ops->journal_scan(s, 0, INT64_MAX, take_entry, &x, &e), 0);
    buf_append(out, x.all.p, x.all.len);
    int64_t hashes = s->ops->tree_count(s, &e);
    assert_true(hashes > 0);
    tr_hash *h = malloc((size_t)hashes * sizeof *h);
    size_t got = 0;
    assert_int_equal(s->ops->tree_range(s, 0, (size_t)hashes, h, &got, &e), 0);
    assert_int_equal((int64_t)got, hashes);
    for (int64_t i = 0; i < hashes; i++) {
        char hex[2 * TR_HASH_LEN + 1];
        util_hex(hex, h[i], TR_HASH_LEN);
        buf_printf(out, "%s\n", hex);
    }
    free(h);
    assert_int_equal(s->ops->checkpoint_scan(s, take_checkpoint, out, &e), 0);
    buf_free(&x.all);
}

static void the_same_events_make_the_same_log_on_both_backends(void **state)
{
    (void)state;
    char path[320];
    snprintf(path, sizeof path, "%s/same.db", dir);
    store *lite = open_ok(path), *pg = open_ok(th_pg_db("same"));
    /* 300 events (some rolled back) in batches of 1 to 97: chunks of 64 fill mid-batch. */
    batch b[12];
    int from = 0;
    for (int k = 0; k < 12; k++) {
        int n = k == 5 ? 97 : 1 + (k * 13) % 40;
        b[k] = (batch){from, n, k % 3 == 0 ? n / 2 : -1};
        from += n;
    }
    play(lite, b, 12);
    play(pg, b, 12);
    buf a = BUF_INIT, z = BUF_INIT;
    log_text(lite, &a);
    log_text(pg, &z);
    assert_true(a.len > 10000);
    assert_int_equal(a.len, z.len);
    assert_memory_equal(a.p, z.p, a.len);
    /* The roots, recomputed from the entries alone, are the checkpoints' (the audit). */
    audit_report rep;
    tr_err e = TR_ERR_INIT;
    assert_int_equal(audit_db(pg, &signer.v, &rep, &e), 0);
    if (!rep.ok) fail_msg("%s", rep.problem);
    assert_int_equal(rep.checkpoints, 12);
    audit_report rep2;
    assert_int_equal(audit_db(lite, &signer.v, &rep2, &e), 0);
    assert_int_equal(rep.entries, rep2.entries);
    assert_memory_equal(rep.root, rep2.root, TR_HASH_LEN);
    buf_free(&a);
    buf_free(&z);
    lite->ops->close(lite);
    pg->ops->close(pg);
}

/* ---- append-only --------------------------------------------------------------------------- */

static void the_log_only_grows_on_postgres(void **state)
{
    (void)state;
    const char *db = th_pg_db("grows");
    store *s = open_ok(db);
    batch b[] = {{0, 70, -1}, {70, 5, -1}};
    play(s, b, 2);
    buf before = BUF_INIT, after = BUF_INIT;
    log_text(s, &before);
    static const char *const tries[] = {
        "UPDATE journal SET body = '{}' WHERE seq = 3",
        "DELETE FROM journal WHERE seq = 75",
        "TRUNCATE journal",
        "UPDATE tree_chunk SET hashes = substring(hashes FROM 1 FOR 32) WHERE id = 0",
        "UPDATE tree_chunk SET hashes = '\\x00'::bytea || substring(hashes FROM 2) WHERE id = 1",
        "DELETE FROM tree_chunk WHERE id = 1",
        "TRUNCATE tree_chunk",
        "UPDATE checkpoints SET note = 'x'",
        "DELETE FROM checkpoints",
        "TRUNCATE checkpoints",
    };
    for (size_t i = 0; i < sizeof tries / sizeof *tries; i++)
        if (th_pg_sql(db, tries[i], 1) == 0) fail_msg("PostgreSQL let through: %s", tries[i]);
    /* Growing a chunk by appending is allowed (what the tail does). */
    assert_int_equal(th_pg_sql(db,
                               "BEGIN; UPDATE tree_chunk SET hashes = hashes || '\\x01'::bytea"
                               " WHERE id = 1; ROLLBACK",
                               1),
                     0);
    log_text(s, &after);
    assert_int_equal(before.len, after.len);
    assert_memory_equal(before.p, after.p, before.len);
    buf_free(&before);
    buf_free(&after);
    s->ops->close(s);
}

/* Someone who owns the database can switch the triggers off: the audit still names what
 * they changed, each kind of change on a fresh copy (CREATE DATABASE ... TEMPLATE). */
static void the_audit_catches_what_the_owner_changes(void **state)
{
    (void)state;
    const char *orig = th_pg_db("tamper_orig");
    store *s = open_ok(orig);
    batch b[] = {{0, 70, -1}, {70, 5, -1}};
    play(s, b, 2);
    s->ops->close(s);
    char admin[600], origname[64];
    snprintf(admin, sizeof admin, "%s dbname=postgres", th_pg());
    snprintf(origname, sizeof origname, "%s", strstr(orig, "dbname=") + 7);
    static const struct {
        const char *sql, *words;
    } cases[] = {
        {"UPDATE journal SET actor_user = actor_user || 'x' WHERE seq = 10", "does not match"},
        {"UPDATE journal SET time = replace(time, '.', ',') WHERE seq = 20", "does not match"},
        {"DELETE FROM journal WHERE seq = 30", "missing"},
        {"DELETE FROM journal WHERE seq = 75", "removed"},
        {"UPDATE tree_chunk SET hashes = overlay(hashes PLACING '\\x00000000'::bytea FROM 225)"
         " WHERE id = 0",
         "entry"},
        {"UPDATE checkpoints SET root = overlay(root PLACING '\\x00'::bytea FROM 1)"
         " WHERE size = 75",
         "checkpoint"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char sql[300], name[64], copy[700];
        snprintf(name, sizeof name, "tamper_%zu_%ld", i, (long)getpid());
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
        th_pg_sql(admin, sql, 0);
        snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE %s", name, origname);
        th_pg_sql(admin, sql, 0);
        snprintf(copy, sizeof copy, "%s dbname=%s", th_pg(), name);
        th_pg_sql(copy,
                  "ALTER TABLE journal DISABLE TRIGGER USER;"
                  " ALTER TABLE tree_chunk DISABLE TRIGGER USER;"
                  " ALTER TABLE checkpoints DISABLE TRIGGER USER",
                  0);
        th_pg_sql(copy, cases[i].sql, 0);
        tr_err e = TR_ERR_INIT;
        audit_report rep;
        store *t = store_open(copy, 0, &e);
        assert_non_null(t);
        assert_int_equal(audit_db(t, &signer.v, &rep, &e), 0);
        t->ops->close(t);
        if (rep.ok) fail_msg("case %zu: %s not detected", i, cases[i].sql);
        if (!strstr(rep.problem, cases[i].words))
            fail_msg("case %zu: '%s' not in: %s", i, cases[i].words, rep.problem);
    }
    /* The original, untouched, passes. */
    tr_err e = TR_ERR_INIT;
    audit_report rep;
    s = store_open(orig, 0, &e);
    assert_int_equal(audit_db(s, &signer.v, &rep, &e), 0);
    assert_true(rep.ok);
    s->ops->close(s);
}

/* ---- many writers --------------------------------------------------------------------------- */

#define WRITERS 4
#define TXNS    150

/* A writer process: TXNS transactions of one to three events each, every one sealed, as a
 * server's writer does; prints how many events it had acknowledged. */
static int writer(const char *db, int w)
{
    tr_err e = TR_ERR_INIT;
    store *s = store_open(db, 0, &e);
    if (!s || journal_attach(s, &signer, &e)) return 1;
    s->before_commit = journal_seal;
    int acked = 0;
    for (int t = 0; t < TXNS; t++) {
        int n = 1 + (t + w) % 3;
        if (s->ops->begin(s, &e)) return 2;
        for (int j = 0; j < n; j++) {
            char body[100];
            snprintf(body, sizeof body, "{\"n\":%d,\"writer\":%d}", acked + j, w);
            store_event ev = {.type = "test.write",
                              .actor_user = "writer",
                              .time = "2025-01-19T08:30:00.000Z",
                              .body = body,
                              .visibility = "public"};
            if (journal_append_event(s, &ev, &e)) return 3;
        }
        if (journal_seal(s, NULL, &e) || s->ops->commit(s, &e)) {
            fprintf(stderr, "writer %d: %s\n", w, e.message);
            return 4;
        }
        acked += n;
    }
    s->ops->close(s);
    return 0;
}

typedef struct seen {
    int count[WRITERS][TXNS * 3];
    int64_t n, last_seq, gaps;
} seen;

static int see(void *cls, const void *row)
{
    const store_event *ev = row;
    seen *x = cls;
    int n = -1, w = -1;
    if (sscanf(ev->body, "{\"n\":%d,\"writer\":%d}", &n, &w) == 2 && w >= 0 && w < WRITERS &&
        n >= 0 && n < TXNS * 3)
        x->count[w][n]++;
    if (ev->seq != x->last_seq + 1) x->gaps++;
    x->last_seq = ev->seq;
    x->n++;
    return 0;
}

static void processes_appending_at_once_make_one_log(void **state)
{
    (void)state;
    const char *db = th_pg_db("writers");
    store *s = open_ok(db); /* migrated before the writers start */
    pid_t kids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        kids[w] = fork();
        assert_true(kids[w] >= 0);
        if (kids[w] == 0) _exit(writer(db, w));
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        assert_int_equal(waitpid(kids[w], &status, 0), kids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* Every acknowledged event once, in one dense sequence. */
    seen *x = calloc(1, sizeof *x);
    tr_err e = TR_ERR_INIT;
    assert_int_equal(s->ops->journal_scan(s, 0, INT64_MAX, see, x, &e), 0);
    int64_t expected = 0;
    for (int w = 0; w < WRITERS; w++)
        for (int t = 0, acked = 0; t < TXNS; t++) {
            int n = 1 + (t + w) % 3;
            for (int j = 0; j < n; j++)
                assert_int_equal(x->count[w][acked + j], 1);
            acked += n;
            expected += n;
        }
    assert_int_equal(x->n, expected);
    assert_int_equal(x->gaps, 0);
    /* The tree and every checkpoint (one a transaction, signed by the process that appended)
     * agree with the entries. */
    audit_report rep;
    assert_int_equal(audit_db(s, &signer.v, &rep, &e), 0);
    if (!rep.ok) fail_msg("%s", rep.problem);
    assert_int_equal(rep.entries, expected);
    assert_int_equal(rep.checkpoints, WRITERS * TXNS);
    free(x);
    s->ops->close(s);
}

/* ---- migrations and refusals -------------------------------------------------------------- */

static void opening_migrates_once_and_refuses_what_it_should(void **state)
{
    (void)state;
    tr_err e = TR_ERR_INIT;
    const char *db = th_pg_db("migrate");
    store *s = store_open(db, STORE_CREATE, &e);
    assert_non_null(s);
    s->ops->close(s);
    s = store_open(db, 0, &e); /* a second open changes nothing */
    assert_non_null(s);
    s->ops->close(s);
    char n[400];
    assert_int_equal(
        th_pg_sql(db,
                  "DO $$BEGIN IF (SELECT count(DISTINCT pillar) FROM schema_migrations) <> 6"
                  " THEN RAISE EXCEPTION 'migrations'; END IF; END$$",
                  1),
        0);
    /* Written by a newer truce. */
    th_pg_sql(db, "INSERT INTO schema_migrations VALUES ('accounts', '9999-future', 'x')", 0);
    assert_null(store_open(db, 0, &e));
    assert_string_equal(e.code, "store.too_new");
    assert_non_null(strstr(e.message, "9999-future"));
    err_clear(&e);
    /* Another application's database: refused, and left as it was. */
    const char *other = th_pg_db("other");
    th_pg_sql(other, "CREATE TABLE invoices(id int)", 0);
    assert_null(store_open(other, STORE_CREATE, &e));
    assert_string_equal(e.code, "store.not_truce");
    err_clear(&e);
    assert_int_equal(th_pg_sql(other, "SELECT 1 FROM schema_migrations", 1), -1);
    /* An empty database opened for reading only. */
    assert_null(store_open(th_pg_db("empty"), STORE_READONLY, &e));
    assert_string_equal(e.code, "store.missing");
    err_clear(&e);
    /* No server there. */
    snprintf(n, sizeof n, "host=%s/nowhere dbname=x", dir);
    assert_null(store_open(n, 0, &e));
    assert_string_equal(e.code, "store.unavailable");
    assert_int_equal(e.status, 503);
    err_clear(&e);
    /* What can be given as --db. */
    assert_true(store_pg_is_uri("postgres://u@h/db"));
    assert_true(store_pg_is_uri("postgresql:///db?host=/tmp"));
    assert_true(store_pg_is_uri("host=/tmp dbname=x"));
    assert_false(store_pg_is_uri("demo.db"));
    assert_false(store_pg_is_uri("/var/lib/truce/host=1.db"));
}

/* ---- the accounts pillar on both ------------------------------------------------------------ */

static int list_cb(void *cls, const void *row)
{
    buf_printf(cls, "%s|", (const char *)row);
    return 0;
}

static int org_cb(void *cls, const void *row)
{
    const store_org *o = row;
    buf_printf(cls, "%s,%s,%s,%s|", o->slug, o->name, o->kind, o->created_at);
    return 0;
}

static int user_cb(void *cls, const void *row)
{
    const store_user *u = row;
    buf_printf(cls, "%s,%s,%s,%s,%d,%s|", u->name, u->display, u->org, u->org_kind, u->admin,
               u->pwhash);
    return 0;
}

static int key_cb(void *cls, const void *row)
{
    const store_org_key *k = row;
    buf_printf(cls, "%s,%s,%s|", k->id, k->org, k->public_key);
    return 0;
}

static int accounts_play(store *s, void *cls, tr_err *e)
{
    buf *out = cls;
    const accounts_store_ops *a = accounts_store(s);
    static const char *const slugs[] = {"zeta", "Alpha", "alpha", "beta-2", "beta"};
    for (int i = 0; i < 5; i++) {
        store_org o = {0};
        snprintf(o.slug, sizeof o.slug, "%s", slugs[i]);
        snprintf(o.name, sizeof o.name, "Org \xd8\xb3 %d", i);
        snprintf(o.kind, sizeof o.kind, "%s", i % 2 ? "party" : "monitor");
        snprintf(o.created_at, sizeof o.created_at, "2025-01-0%dT00:00:00.000Z", i + 1);
        if (a->org_insert(s, &o, e)) return -1;
    }
    store_org dup = {.slug = "beta", .name = "x", .kind = "party", .created_at = "t"};
    buf_printf(out, "dup:%d:", a->org_insert(s, &dup, e));
    buf_printf(out, "%s\n", e->code);
    return -1; /* rolled back: the conflict aborted the transaction on PostgreSQL */
}

static int accounts_play2(store *s, void *cls, tr_err *e)
{
    buf *out = cls;
    const accounts_store_ops *a = accounts_store(s);
    static const char *const slugs[] = {"zeta", "Alpha", "alpha", "beta-2", "beta"};
    for (int i = 0; i < 5; i++) {
        store_org o = {0};
        snprintf(o.slug, sizeof o.slug, "%s", slugs[i]);
        snprintf(o.name, sizeof o.name, "Org \xd8\xb3 %d", i);
        snprintf(o.kind, sizeof o.kind, "%s", i % 2 ? "party" : "monitor");
        snprintf(o.created_at, sizeof o.created_at, "2025-01-0%dT00:00:00.000Z", i + 1);
        if (a->org_insert(s, &o, e)) return -1;
    }
    const char *actors[] = {"Military Forces of Israel (2022-)", "Hamas Movement",
                            "\xd8\xad\xd9\x85\xd8\xa7\xd8\xb3", "hamas", "Zz"};
    if (a->org_actors_set(s, "beta", actors, 5, e)) return -1;
    if (a->org_actors_set(s, "nobody", actors, 1, e) != -1) return -1;
    buf_printf(out, "actors of nobody: %s\n", e->code);
    err_clear(e);
    if (a->org_actors_list(s, "beta", list_cb, out, e)) return -1;
    buf_printf(out, "\nhas: %d %d\n", a->org_has_actor(s, "beta", "Hamas Movement", e),
               a->org_has_actor(s, "beta", "hamas movement", e));
    if (a->org_list(s, org_cb, out, e)) return -1;
    store_user u = {.name = "u2",
                    .display = "Two",
                    .org = "beta",
                    .admin = 1,
                    .pwhash = "$argon2id$x",
                    .created_at = "2025-01-01T00:00:00.000Z"};
    store_user v = {.name = "u1", .org = "Alpha", .pwhash = "h", .created_at = "t"};
    store_user w = {.name = "u3", .org = "gone", .pwhash = "h", .created_at = "t"};
    if (a->user_insert(s, &u, e) || a->user_insert(s, &v, e)) return -1;
    buf_printf(out, "\nuser of gone: %d ", a->user_insert(s, &w, e));
    buf_printf(out, "%s\n", e->code);
    err_clear(e);
    if (a->user_set_pwhash(s, "u1", "h2", e)) return -1;
    buf_printf(out, "pwhash of nobody: %d ", a->user_set_pwhash(s, "nobody", "h", e));
    buf_printf(out, "%s\n", e->code);
    err_clear(e);
    if (a->user_list(s, user_cb, out, e)) return -1;
    store_token t = {
        .id = "0123456789abcdef", .hash = "ab", .user = "u2", .label = "phone", .created_at = "t1"};
    if (a->token_insert(s, &t, e) || a->token_revoke(s, t.id, "t2", e)) return -1;
    store_token got;
    buf_printf(out, "\ntoken: %d ", a->token_by_hash(s, "ab", &got, e));
    buf_printf(out, "%s %s %s %s %s %d; missing: %d\n", got.user, got.org, got.org_kind,
               got.revoked_at, got.label, got.admin, a->token_get(s, "ffffffffffffffff", &got, e));
    store_org_key k1 = {.id = "bbbb", .org = "beta", .public_key = "K1", .created_at = "t"};
    store_org_key k2 = {.id = "aaaa", .org = "beta", .public_key = "K2", .created_at = "t"};
    if (a->org_key_insert(s, &k1, e) || a->org_key_insert(s, &k2, e)) return -1;
    if (a->org_key_list(s, "beta", key_cb, out, e)) return -1;
    store_org one;
    buf_printf(out, "\nget: %d %d\n", a->org_get(s, "alpha", &one, e),
               a->org_get(s, "ALPHA", &one, e));
    return 0;
}

static void accounts_answer_the_same_on_both_backends(void **state)
{
    (void)state;
    char path[320];
    snprintf(path, sizeof path, "%s/accounts.db", dir);
    store *both[2] = {open_ok(path), open_ok(th_pg_db("accounts"))};
    buf out[2] = {BUF_INIT, BUF_INIT};
    for (int i = 0; i < 2; i++) {
        tr_err e = TR_ERR_INIT;
        both[i]->before_commit = NULL;
        assert_int_equal(store_txn(both[i], accounts_play, &out[i], &e), -1);
        err_clear(&e);
        if (store_txn(both[i], accounts_play2, &out[i], &e)) fail_msg("%d: %s", i, e.message);
    }
    assert_non_null(strstr(out[0].p, "dup:-1:store.conflict"));
    assert_non_null(strstr(out[0].p, "actors of nobody: org.not_found"));
    assert_non_null(strstr(out[0].p, "Alpha,Org"));
    assert_int_equal(out[0].len, out[1].len);
    assert_memory_equal(out[0].p, out[1].p, out[0].len);
    for (int i = 0; i < 2; i++) {
        buf_free(&out[i]);
        both[i]->ops->close(both[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_same_events_make_the_same_log_on_both_backends),
        cmocka_unit_test(the_log_only_grows_on_postgres),
        cmocka_unit_test(the_audit_catches_what_the_owner_changes),
        cmocka_unit_test(processes_appending_at_once_make_one_log),
        cmocka_unit_test(opening_migrates_once_and_refuses_what_it_should),
        cmocka_unit_test(accounts_answer_the_same_on_both_backends),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
