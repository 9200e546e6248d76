/* test_pg_servers.c - a deployment that has outgrown one machine: two and then four
 * `truce serve` processes on one PostgreSQL database taking writes at once (a token from one
 * valid on every other; every acknowledged write there afterwards, in one log the audit
 * accepts); a SQLite deployment moved by `truce migrate` proving the same roots, evidence
 * and all, and the moves it refuses. A PostgreSQL cluster of the test's own (th_pg). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include "aid/store.h"
#include "journal/journal.h"
#include "monitor/evidence.h"
#include "store/pg.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256];
static pid_t running[8];       /* servers a failed test left: stopped by the teardown */
static char replica_left[300]; /* likewise a replica */

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    th_pg();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
        if (running[i] > 0) kill(running[i], SIGKILL);
    if (replica_left[0]) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "'%s/scripts/pg-cluster.sh' stop '%s'", TRUCE_SOURCE_ROOT,
                 replica_left);
        if (system(cmd) != 0) fprintf(stderr, "could not stop the replica in %s\n", replica_left);
    }
    th_rmrf(dir);
    th_pg_stop();
    return 0;
}

/* ---- many servers ------------------------------------------------------------------------ */

#define MAX_SERVERS 4
#define WRITES      40 /* by each client thread */

typedef struct server_proc {
    pid_t pid;
    char base[64];
} server_proc;

/* Starts `truce serve` on db and a port of the kernel's choosing; waits for the port. */
static void serve_with(const char *db, const char *read_db, int i, server_proc *p)
{
    char log[400];
    snprintf(log, sizeof log, "%s/serve-%d.log", dir, i);
    unlink(log); /* not the last run's */
    p->pid = fork();
    assert_true(p->pid >= 0);
    running[i] = p->pid;
    if (p->pid == 0) {
        if (!freopen(log, "w", stderr) || !freopen("/dev/null", "w", stdout)) _exit(126);
        if (read_db)
            execl(getenv("TRUCE_BIN"), "truce", "serve", "--db", db, "--read-db", read_db,
                  "--listen", "127.0.0.1:0", (char *)NULL);
        else
            execl(getenv("TRUCE_BIN"), "truce", "serve", "--db", db, "--listen", "127.0.0.1:0",
                  (char *)NULL);
        _exit(127);
    }
    for (int tries = 0; tries < 600; tries++) {
        char *text = th_slurp(log, NULL);
        const char *port = text ? strstr(text, "(port ") : NULL;
        if (port) {
            snprintf(p->base, sizeof p->base, "http://127.0.0.1:%d", atoi(port + 6));
            free(text);
            return;
        }
        free(text);
        usleep(50 * 1000);
    }
    fail_msg("server %d did not start: see %s", i, log);
}

static void serve(const char *db, int i, server_proc *p)
{
    serve_with(db, NULL, i, p);
}

static void stop(server_proc *p)
{
    int status;
    kill(p->pid, SIGTERM);
    assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
    for (size_t i = 0; i < sizeof running / sizeof running[0]; i++)
        if (running[i] == p->pid) running[i] = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

typedef struct client {
    const server_proc *servers;
    int n_servers, id;
    const char *token;
    int acked[WRITES]; /* 1 when the write was answered 201 */
    int other;         /* answers neither 201 nor an honest 503 */
} client;

/* Each client sends its writes to the servers in turn, as a load balancer would. */
static void *writes(void *arg)
{
    client *c = arg;
    for (int k = 0; k < WRITES; k++) {
        char url[128], body[200];
        const server_proc *p = &c->servers[(c->id + k) % c->n_servers];
        snprintf(url, sizeof url, "%s/api/v1/crossings", p->base);
        snprintf(body, sizeof body,
                 "{\"slug\":\"c%d-%d\",\"name\":\"Crossing %d/%d\",\"lat\":31.%d,\"lon\":34.3}",
                 c->id, k, c->id, k, k);
        th_resp r;
        if (th_http("POST", url, c->token, body, strlen(body), NULL, &r) == 0) {
            if (r.status == 201)
                c->acked[k] = 1;
            else if (r.status != 503)
                c->other++;
        }
        th_resp_free(&r);
    }
    return NULL;
}

static void servers_share_one_log(int n)
{
    char name[32];
    snprintf(name, sizeof name, "servers%d", n);
    const char *db = th_pg_db(name);
    store *s = th_demo_db(db);
    s->ops->close(s);
    int64_t before = th_journal_len(db);
    server_proc procs[MAX_SERVERS];
    for (int i = 0; i < n; i++)
        serve(db, i, &procs[i]);
    /* Signed in on the first, the token is good on every other. */
    th_server first = {0};
    snprintf(first.base, sizeof first.base, "%s", procs[0].base);
    const char *token = th_login(&first, "wfp", "demo-wfp");
    for (int i = 0; i < n; i++) {
        char url[128];
        th_resp r;
        snprintf(url, sizeof url, "%s/api/v1/me", procs[i].base);
        assert_int_equal(th_http("GET", url, token, NULL, 0, NULL, &r), 0);
        if (r.status != 200) fail_msg("server %d: %ld %s", i, r.status, r.body);
        th_resp_free(&r);
    }
    /* Two clients a server, writing at once. */
    client cs[2 * MAX_SERVERS];
    pthread_t th[2 * MAX_SERVERS];
    for (int c = 0; c < 2 * n; c++) {
        memset(&cs[c], 0, sizeof cs[c]);
        cs[c] = (client){procs, n, c, token, {0}, 0};
        pthread_create(&th[c], NULL, writes, &cs[c]);
    }
    for (int c = 0; c < 2 * n; c++)
        pthread_join(th[c], NULL);
    for (int i = 0; i < n; i++)
        stop(&procs[i]);
    /* Every acknowledged write is there; nothing else was written. */
    tr_err e = TR_ERR_INIT;
    s = store_open(db, STORE_READONLY, &e);
    assert_non_null(s);
    int64_t acked = 0;
    for (int c = 0; c < 2 * n; c++) {
        assert_int_equal(cs[c].other, 0);
        for (int k = 0; k < WRITES; k++) {
            char slug[32];
            store_crossing x;
            snprintf(slug, sizeof slug, "c%d-%d", c, k);
            int found = aid_store(s)->crossing_get(s, slug, &x, &e);
            if (found != cs[c].acked[k])
                fail_msg("%s: acknowledged %d, stored %d", slug, cs[c].acked[k], found);
            acked += cs[c].acked[k];
        }
    }
    s->ops->close(s);
    assert_true(acked >= 2 * n * WRITES * 9 / 10); /* a 503 now and then, not a failure */
    /* Besides the sign-in and the writes: the obligations the servers settled on starting,
     * each change once however many servers looked. */
    char *settled = th_sql(db,
                           "SELECT count(*), count(DISTINCT body) FROM journal WHERE seq > %lld"
                           " AND type = 'obligation.state_changed'",
                           (long long)before);
    long long n_settled = atoll(settled), distinct = atoll(strchr(settled, '|') + 1);
    free(settled);
    assert_int_equal(n_settled, distinct);
    assert_int_equal(th_journal_len(db), before + 1 + acked + n_settled);
    char *out = NULL;
    assert_int_equal(th_truce(&out, NULL, NULL, "audit --db '%s'", db), 0);
    assert_non_null(strstr(out, "ok: "));
    free(out);
}

static void two_servers_share_one_log(void **state)
{
    (void)state;
    servers_share_one_log(2);
}

static void four_servers_share_one_log(void **state)
{
    (void)state;
    servers_share_one_log(4);
}

/* ---- a read replica --------------------------------------------------------------------- */

/* The journal's length in a database opened for reading only (a hot standby takes no
 * other), or -1 when it cannot be opened yet. */
static int64_t standby_len(const char *db)
{
    tr_err e = TR_ERR_INIT;
    store_stats st = {0};
    store *s = store_open(db, STORE_READONLY, &e);
    if (!s) {
        err_clear(&e);
        return -1;
    }
    if (s->ops->stats(s, &st, &e)) st.journal_length = -1;
    err_clear(&e);
    s->ops->close(s);
    return st.journal_length;
}

/* GET /api/v1/crossings on the server, with X-Truce-Read-After when after > 0: whether the
 * list holds slug, and the tree size the reply says it reflects. */
static int lists(const server_proc *p, int64_t after, const char *slug, int64_t *size)
{
    char url[128], header[64];
    const char *headers[] = {header, NULL};
    th_resp r;
    snprintf(url, sizeof url, "%s/api/v1/crossings", p->base);
    snprintf(header, sizeof header, "X-Truce-Read-After: %lld", (long long)after);
    assert_int_equal(th_http_with("GET", url, NULL, NULL, 0, after > 0 ? headers : NULL, &r), 0);
    assert_int_equal(r.status, 200);
    char *said = th_header(&r, "X-Truce-Tree-Size");
    assert_non_null(said);
    *size = atoll(said);
    free(said);
    int found = strstr(r.body, slug) != NULL;
    th_resp_free(&r);
    return found;
}

static void a_replica_serves_reads_and_writers_read_their_writes(void **state)
{
    (void)state;
    const char *db = th_pg_db("replicated");
    store *s = th_demo_db(db);
    s->ops->close(s);
    int64_t len = th_journal_len(db);
    /* A streaming replica of the run's cluster, made by pg_basebackup. */
    char primary_dir[256], replica_dir[300], replica[700];
    const char *pg = th_pg();
    snprintf(primary_dir, sizeof primary_dir, "%s", pg + strlen("host="));
    primary_dir[strcspn(primary_dir, " ")] = 0;
    /* Beside the cluster, where its unprivileged owner may go (not in this test's own
     * directory, which only root may enter). */
    snprintf(replica_dir, sizeof replica_dir, "/tmp/truce-replica-%ld", (long)getpid());
    snprintf(replica_left, sizeof replica_left, "%s", replica_dir);
    char *info = th_shell("'%s/scripts/pg-cluster.sh' replica '%s' '%s'", TRUCE_SOURCE_ROOT,
                          primary_dir, replica_dir);
    info[strcspn(info, "\n")] = 0;
    snprintf(replica, sizeof replica, "%s %s", info, strstr(db, "dbname="));
    free(info);
    int caught_up = 0;
    for (int tries = 0; tries < 200 && !caught_up; tries++) {
        caught_up = standby_len(replica) == len;
        if (!caught_up) usleep(50 * 1000);
    }
    assert_true(caught_up);
    server_proc p;
    serve_with(db, replica, 0, &p);
    th_server t = {0};
    snprintf(t.base, sizeof t.base, "%s", p.base);
    const char *token = th_login(&t, "wfp", "demo-wfp");
    /* The replica stops replaying: what it serves stands still. */
    free(th_sql(replica, "SELECT pg_wal_replay_pause()"));
    static const char body[] = "{\"slug\":\"after-pause\",\"name\":\"Late\",\"lat\":31.3,"
                               "\"lon\":34.3}";
    th_resp r;
    assert_int_equal(
        th_http("POST", th_url(&t, "/api/v1/crossings"), token, body, strlen(body), NULL, &r), 0);
    assert_int_equal(r.status, 201);
    char *written = th_header(&r, "X-Truce-Tree-Size"), *cookie = th_header(&r, "Set-Cookie");
    assert_non_null(written);
    assert_non_null(cookie);
    int64_t at = atoll(written);
    assert_true(at > len);
    char expect[64];
    snprintf(expect, sizeof expect, "truce_written=%lld;", (long long)at);
    assert_non_null(strstr(cookie, expect));
    free(written);
    free(cookie);
    th_resp_free(&r);
    int64_t size;
    /* Anyone's read comes from the replica, which says it reflects the log before the
     * write; the writer's own read waits for it, then goes to the primary and sees it. */
    assert_int_equal(lists(&p, 0, "after-pause", &size), 0);
    assert_true(size < at);
    assert_int_equal(lists(&p, at, "after-pause", &size), 1);
    assert_true(size >= at);
    /* Replaying again, the replica catches up and serves the write to everyone. */
    free(th_sql(replica, "SELECT pg_wal_replay_resume()"));
    int seen = 0;
    for (int tries = 0; tries < 200 && !seen; tries++) {
        seen = lists(&p, 0, "after-pause", &size);
        if (!seen) usleep(50 * 1000);
    }
    assert_true(seen);
    assert_true(size >= at);
    /* --read-db is a PostgreSQL replica of a PostgreSQL --db: anything else is refused. */
    char *err = NULL;
    assert_int_equal(th_truce(NULL, &err, NULL, "serve --db '%s' --read-db '%s/x.db'", db, dir), 2);
    assert_non_null(strstr(err, "--read-db names a PostgreSQL replica"));
    free(err);
    assert_int_equal(
        th_truce(NULL, NULL, NULL, "serve --db '%s/x.db' --read-db '%s'", dir, replica), 2);
    /* The replica gone: reads go to the primary. */
    free(th_shell("'%s/scripts/pg-cluster.sh' stop '%s'", TRUCE_SOURCE_ROOT, replica_dir));
    replica_left[0] = 0;
    assert_int_equal(lists(&p, 0, "after-pause", &size), 1);
    stop(&p);
}

/* ---- truce migrate ----------------------------------------------------------------------- */

static int add_evidence(store *s, void *cls, tr_err *e)
{
    static const char pdf[] = "%PDF-1.4\n% a statement of the monitors\n%%EOF\n";
    evidence_upload up = {pdf, sizeof pdf - 1, "application/pdf", NULL};
    store_evidence ev;
    int created;
    (void)cls;
    if (evidence_check(&up, &ev, e)) return -1;
    return evidence_store(s, &journal_operator, "un", pdf, 0, &ev, &created, e);
}

static char *root_of(const char *db)
{
    char *out = NULL;
    assert_int_equal(th_truce(&out, NULL, NULL, "audit --db '%s'", db), 0);
    char *root = strstr(out, "root ");
    assert_non_null(root);
    char *copy = strndup(root + 5, 64);
    free(out);
    return copy;
}

static void a_sqlite_deployment_moves_with_equal_roots(void **state)
{
    (void)state;
    char sq[400], *out = NULL, *err = NULL;
    tr_err e = TR_ERR_INIT;
    /* A SQLite deployment: the demo, the real ACLED export, an evidence file. */
    const char *pg_key = getenv("TRUCE_KEY_FILE");
    char saved[400] = "";
    if (pg_key) snprintf(saved, sizeof saved, "%s", pg_key);
    unsetenv("TRUCE_KEY_FILE"); /* the file's key beside it */
    snprintf(sq, sizeof sq, "%s/deployment.db", dir);
    store *s = th_demo_db(sq);
    assert_int_equal(store_txn(s, add_evidence, NULL, &e), 0);
    s->ops->close(s);
    assert_int_equal(th_truce(NULL, NULL, NULL,
                              "import acled '%s/acled/gaza_war_events.csv' "
                              "--db '%s'",
                              getenv("TRUCE_DATA"), sq),
                     0);
    char *sq_root = root_of(sq);
    /* Into PostgreSQL, its key where TRUCE_KEY_FILE says. */
    char key[400];
    snprintf(key, sizeof key, "%s/moved.key", dir);
    setenv("TRUCE_KEY_FILE", key, 1);
    const char *pg = th_pg_db("moved");
    assert_int_equal(
        th_truce(&out, &err, NULL, "migrate --quiet --from sqlite:'%s' --to '%s'", sq, pg), 0);
    if (!strstr(out, sq_root) || !strstr(out, "1 evidence files"))
        fail_msg("migrate said: %s %s", out, err);
    free(out);
    free(err);
    char *pg_root = root_of(pg);
    assert_string_equal(pg_root, sq_root);
    /* The same answers from both: the incidents, and the evidence file's bytes. */
    char *a = th_sql(sq, "SELECT count(*), sum(fatalities), min(external_id) FROM incidents");
    char *b = th_sql(pg, "SELECT count(*), sum(fatalities), min(external_id) FROM incidents");
    assert_string_equal(a, b);
    free(a);
    free(b);
    assert_int_equal(th_truce(&out, NULL, NULL, "log key --db '%s'", sq), 0);
    assert_int_equal(th_truce(&err, NULL, NULL, "log key --db '%s'", pg), 0);
    assert_string_equal(out, err);
    free(out);
    free(err);
    /* Refused, changing nothing: into a database that holds a log; a key file of another
     * log; a source that fails its audit; the usage. */
    assert_int_equal(th_truce(NULL, &err, NULL, "migrate --from '%s' --to '%s'", sq, pg), 1);
    assert_non_null(strstr(err, "already holds"));
    free(err);
    const char *other = th_pg_db("other");
    unsetenv("TRUCE_KEY_FILE");
    assert_int_equal(th_truce(NULL, NULL, NULL, "init --db '%s/other.db' --name Other", dir), 0);
    snprintf(key, sizeof key, "%s/other.db.key", dir);
    setenv("TRUCE_KEY_FILE", key, 1);
    assert_int_equal(th_truce(NULL, &err, NULL, "migrate --from '%s' --to '%s'", sq, other), 1);
    assert_non_null(strstr(err, "another log's key"));
    free(err);
    unsetenv("TRUCE_KEY_FILE");
    free(th_sql(sq, "DROP TRIGGER journal_no_update; UPDATE journal SET time ="
                    " replace(time, '.', ',') WHERE seq = 12"));
    snprintf(key, sizeof key, "%s/third.key", dir);
    setenv("TRUCE_KEY_FILE", key, 1);
    const char *third = th_pg_db("third");
    assert_int_equal(th_truce(NULL, &err, NULL, "migrate --from '%s' --to '%s'", sq, third), 1);
    assert_non_null(strstr(err, "does not pass its audit"));
    free(err);
    assert_int_equal(th_truce(NULL, NULL, NULL, "migrate --from '%s'", sq), 2);
    assert_int_equal(th_truce(NULL, NULL, NULL, "migrate --from '%s' --to '%s'", sq, sq), 2);
    assert_int_equal(th_journal_len(third), 0);
    free(sq_root);
    free(pg_root);
    if (saved[0]) setenv("TRUCE_KEY_FILE", saved, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_servers_share_one_log),
        cmocka_unit_test(four_servers_share_one_log),
        cmocka_unit_test(a_replica_serves_reads_and_writers_read_their_writes),
        cmocka_unit_test(a_sqlite_deployment_moves_with_equal_roots),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
