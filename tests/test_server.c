/* test_server.c - the server as a client without scruples meets it: sign-in throttling, stops under
 * load, slow and ambiguous requests, internal errors, tampered evidence. The real server on an
 * ephemeral port, spoken to over HTTP with libcurl (api_common.h). */
#include "api_common.h"

static th_server *login_server;
static _Atomic int64_t fake_now = 1000000;

static int64_t fake_clock(void)
{
    return atomic_load(&fake_now);
}

static long login_from(const char *addr, const char *user, const char *password, th_resp *out)
{
    char body[160];
    th_resp r;
    snprintf(body, sizeof body, "{\"user\":\"%s\",\"password\":\"%s\"}", user, password);
    th_http_from(addr);
    assert_int_equal(
        th_http("POST", th_url(login_server, "/api/v1/login"), NULL, body, strlen(body), NULL, &r),
        0);
    th_http_from(NULL);
    long status = r.status;
    if (out)
        *out = r;
    else
        th_resp_free(&r);
    return status;
}

static int retry_after(const th_resp *r)
{
    char *v = th_header(r, "Retry-After");
    int n = v ? atoi(v) : -1;
    free(v);
    return n;
}

/* Sign-in throttling slows guessers without letting anyone lock a user out: delays grow
 * per (name, address); guessing one name from many addresses, or many names from one
 * address, slows every pair except those that signed in before. (The server's clock for
 * throttling is the test's: it steps through the delays.) */
static void failed_logins_are_throttled(void **state)
{
    th_resp r;
    char addr[32];
    th_server t;
    http_config clocked = {.clock_s = fake_clock};
    (void)state;
    th_server_start(&t, &clocked);
    login_server = &t;
    /* The owner signs in from where they usually do. */
    assert_int_equal(login_from("127.0.0.1", "unrwa", "demo-unrwa", NULL), 201);
    /* Three free wrong guesses from one place, then waits that double: 1 s, 2 s, 4 s. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(login_from("127.0.0.2", "unrwa", "guess-guess", NULL), 401);
    for (int wait = 1; wait <= 4; wait *= 2) {
        assert_int_equal(login_from("127.0.0.2", "unrwa", "demo-unrwa", &r), 429);
        assert_string_equal(th_code(&r), "auth.throttled");
        assert_int_equal(retry_after(&r), wait);
        th_resp_free(&r);
        atomic_fetch_add(&fake_now, wait);
        assert_int_equal(login_from("127.0.0.2", "unrwa", "guess-guess", NULL), 401);
    }
    /* Even the right password waits its turn there; once it is, it gets in. */
    assert_int_equal(login_from("127.0.0.2", "unrwa", "demo-unrwa", &r), 429);
    atomic_fetch_add(&fake_now, retry_after(&r));
    th_resp_free(&r);
    assert_int_equal(login_from("127.0.0.2", "unrwa", "demo-unrwa", NULL), 201);
    /* Meanwhile the owner, elsewhere, was never delayed. */
    assert_int_equal(login_from("127.0.0.1", "unrwa", "demo-unrwa", NULL), 201);

    /* Guessing spread over many addresses (three each, never delayed per pair): past ten
     * failures of the name, addresses it never signed in from wait... */
    for (int a = 10; a < 14; a++) {
        snprintf(addr, sizeof addr, "127.0.0.%d", a);
        for (int i = 0; i < 3; i++) {
            long st = login_from(addr, "erc", "guess", NULL);
            assert_true(st == 401 || st == 429);
        }
    }
    assert_int_equal(login_from("127.0.0.30", "erc", "demo-erc", &r), 429);
    assert_true(retry_after(&r) >= 1);
    th_resp_free(&r);
    /* ...but not where the owner signed in before: once the attack is forgotten (an hour
     * after its last failure) the owner signs in from 127.0.0.1, and the next attack
     * delays everywhere else but there. */
    atomic_fetch_add(&fake_now, 3600);
    assert_int_equal(login_from("127.0.0.1", "erc", "demo-erc", NULL), 201);
    for (int a = 10; a < 14; a++) {
        snprintf(addr, sizeof addr, "127.0.0.%d", a);
        for (int i = 0; i < 3; i++)
            login_from(addr, "erc", "guess", NULL);
    }
    assert_int_equal(login_from("127.0.0.30", "erc", "demo-erc", &r), 429);
    th_resp_free(&r);
    assert_int_equal(login_from("127.0.0.1", "erc", "demo-erc", NULL), 201);

    /* Many names from one address (behind a proxy, everyone's): past thirty failures that
     * address waits, except for the users who signed in from it before. */
    assert_int_equal(login_from("127.0.0.40", "cmcc", "demo-cmcc", NULL), 201);
    for (int i = 0; i < 31; i++) {
        char name[32];
        snprintf(name, sizeof name, "nobody%d", i);
        long st = login_from("127.0.0.40", name, "guess", NULL);
        assert_true(st == 401 || st == 429);
    }
    assert_int_equal(login_from("127.0.0.40", "wfp", "demo-wfp", &r), 429);
    th_resp_free(&r);
    assert_int_equal(login_from("127.0.0.40", "cmcc", "demo-cmcc", NULL), 201);
    /* Other users elsewhere are not affected at all. */
    assert_int_equal(login_from("127.0.0.1", "wfp", "demo-wfp", NULL), 201);
    th_server_stop(&t);
}

typedef struct pending_write {
    th_server *t;
    const char *token;
    long status;
    const char *slug; /* the crossing it creates; "late-crossing" when NULL */
    char code[48];    /* the error code of an error reply */
} pending_write;

static void *post_crossing(void *arg)
{
    pending_write *w = arg;
    th_resp r;
    char body[160];
    snprintf(body, sizeof body, "{\"slug\":\"%s\",\"name\":\"Late\",\"lat\":31.3,\"lon\":34.3}",
             w->slug ? w->slug : "late-crossing");
    if (th_http("POST", th_url(w->t, "/api/v1/crossings"), w->token, body, strlen(body), NULL,
                &r) == 0) {
        w->status = r.status;
        snprintf(w->code, sizeof w->code, "%s", th_code(&r));
    }
    th_resp_free(&r);
    return NULL;
}

static void *stop_server(void *arg)
{
    http_stop(arg);
    return NULL;
}

/* A server told to stop while a write waits on the database finishes that write (its
 * client gets its 201) and meanwhile answers new requests 503 server.stopping, rather
 * than taking them or dropping the connection. */
static void a_stopping_server_finishes_its_writes(void **state)
{
    (void)state;
    th_server t;
    tr_err e = TR_ERR_INIT;
    th_resp r;
    th_server_start(&t, NULL);
    pending_write w = {&t, th_login(&t, "wfp", "demo-wfp"), 0, NULL, ""};
    store *holder = store_open(t.db, 0, &e); /* the writer waits for this one */
    assert_non_null(holder);
    assert_int_equal(holder->ops->begin(holder, &e), 0);
    assert_int_equal(holder->ops->meta_set(holder, "held", "1", &e), 0);
    pthread_t writing, stopping;
    pthread_create(&writing, NULL, post_crossing, &w);
    writer_stats ws = {0};
    for (int i = 0; i < 5000 && ws.running == 0; i++) { /* until the writer has it, waiting */
        usleep(1000);
        writer_get_stats(t.srv->writer, &ws);
    }
    assert_int_equal(ws.running, 1);
    pthread_create(&stopping, NULL, stop_server, t.srv);
    long seen = 0;
    for (int i = 0; i < 2000 && seen != 503; i++) { /* until the stop has begun */
        if (th_http("GET", th_url(&t, "/healthz"), NULL, NULL, 0, NULL, &r) == 0) {
            seen = r.status;
            if (seen == 503) assert_string_equal(th_code(&r), "server.stopping");
        }
        th_resp_free(&r);
        if (seen != 503) usleep(1000);
    }
    assert_int_equal(seen, 503);
    holder->ops->rollback(holder); /* the writer may go on */
    holder->ops->close(holder);
    pthread_join(writing, NULL);
    pthread_join(stopping, NULL);
    assert_int_equal(w.status, 201);
    store *s = store_open(t.db, STORE_READONLY, &e);
    store_crossing c;
    assert_int_equal(aid_store(s)->crossing_get(s, "late-crossing", &c, &e), 1);
    s->ops->close(s);
    th_rmrf(t.dir);
}

/* An evidence file whose stored bytes were changed is never served under its name (500
 * evidence.damaged, none of the bytes), fails `truce audit` naming it, survives no
 * rebuild unnoticed; one deleted is named missing. */
static void tampered_evidence_is_never_served_and_fails_the_audit(void **state)
{
    th_server t;
    th_resp r;
    char path[160], sha[65];
    unsigned char digest[32];
    static const char file[] = "Statement: the convoy was stopped at 14:05 at the checkpoint.\n";
    (void)state;
    th_server_start(&t, NULL);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    const char *headers[] = {"Content-Type: text/plain", NULL};
    assert_int_equal(
        th_http_with("POST", th_url(&t, "/api/v1/evidence"), un, file, strlen(file), headers, &r),
        0);
    assert_int_equal(r.status, 201);
    th_resp_free(&r);
    crypto_hash_sha256(digest, (const unsigned char *)file, strlen(file));
    sodium_bin2hex(sha, sizeof sha, digest, sizeof digest);
    snprintf(path, sizeof path, "/api/v1/evidence/%s", sha);
    assert_int_equal(th_http("GET", th_url(&t, path), un, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, file);
    th_resp_free(&r);
    char *out = NULL, *err = NULL;
    assert_int_equal(th_truce(&out, &err, NULL, "audit --db '%s'", t.db), 0);
    assert_non_null(strstr(out, "and 1 evidence files match"));
    free(out);
    free(err);

    free(th_sql(t.db, "%s; UPDATE evidence_blobs SET data = %s WHERE sha256 = '%s'",
                th_postgres() ? "ALTER TABLE evidence_blobs DISABLE TRIGGER evidence_blobs_kept"
                              : "DROP TRIGGER evidence_blobs_no_update",
                th_postgres() ? "convert_to('FORGED statement', 'UTF8')"
                              : "CAST('FORGED statement' AS BLOB)",
                sha));
    assert_int_equal(th_http("GET", th_url(&t, path), un, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 500);
    assert_string_equal(th_code(&r), "evidence.damaged");
    assert_null(strstr(r.body, "FORGED"));
    th_resp_free(&r);
    assert_int_equal(th_truce(&out, &err, NULL, "audit --db '%s'", t.db), 1);
    if (!strstr(err, sha) || !strstr(err, "is damaged")) fail_msg("audit said: %s", err);
    free(out);
    free(err);
    th_server_halt(&t);
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", t.db), 0);
    assert_int_equal(th_truce(&out, &err, NULL, "audit --db '%s'", t.db), 1);
    assert_non_null(strstr(err, sha));
    free(out);
    free(err);
    free(th_sql(t.db, "%s; DELETE FROM evidence_blobs WHERE sha256 = '%s'",
                th_postgres() ? "SELECT 1" : "DROP TRIGGER evidence_blobs_no_delete", sha));
    assert_int_equal(th_truce(&out, &err, NULL, "audit --db '%s'", t.db), 1);
    if (!strstr(err, sha) || !strstr(err, "is missing") || !strstr(err, "(seq "))
        fail_msg("audit said: %s", err);
    free(out);
    free(err);
    th_rmrf(t.dir);
}

/* A stop that cannot wait: a write stuck on the database past the grace period. The write
 * queued behind it is refused (503 server.stopping, nothing of it written), the one being
 * written finishes (201), and the process goes on to stop instead of aborting
 * (libmicrohttpd aborts when stopped with a connection suspended). */
static void a_stop_refuses_the_writes_it_cannot_wait_for(void **state)
{
    (void)state;
    th_server t;
    tr_err e = TR_ERR_INIT;
    http_config quick = {.stop_grace_ms = 100};
    th_server_start(&t, &quick);
    const char *wfp = th_login(&t, "wfp", "demo-wfp");
    pending_write first = {&t, wfp, 0, "first-crossing", ""};
    pending_write second = {&t, wfp, 0, "second-crossing", ""};
    store *holder = store_open(t.db, 0, &e);
    assert_non_null(holder);
    assert_int_equal(holder->ops->begin(holder, &e), 0);
    assert_int_equal(holder->ops->meta_set(holder, "held", "1", &e), 0);
    pthread_t one, two, stopping;
    writer_stats ws = {0};
    pthread_create(&one, NULL, post_crossing, &first);
    for (int i = 0; i < 5000 && ws.running == 0; i++) { /* the writer has it, and waits */
        usleep(1000);
        writer_get_stats(t.srv->writer, &ws);
    }
    assert_int_equal(ws.running, 1);
    pthread_create(&two, NULL, post_crossing, &second);
    for (int i = 0; i < 5000 && atomic_load(&t.srv->inflight) < 2; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&t.srv->inflight), 2); /* queued behind it */
    pthread_create(&stopping, NULL, stop_server, t.srv);
    pthread_join(two, NULL); /* answered while the first still waits */
    assert_int_equal(second.status, 503);
    assert_string_equal(second.code, "server.stopping");
    assert_int_equal(first.status, 0);
    holder->ops->rollback(holder);
    holder->ops->close(holder);
    pthread_join(one, NULL);
    pthread_join(stopping, NULL);
    assert_int_equal(first.status, 201);
    store *s = store_open(t.db, STORE_READONLY, &e);
    store_crossing c;
    assert_int_equal(aid_store(s)->crossing_get(s, "first-crossing", &c, &e), 1);
    assert_int_equal(aid_store(s)->crossing_get(s, "second-crossing", &c, &e), 0);
    s->ops->close(s);
    th_rmrf(t.dir);
}

static int connect_to(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* A store failure is logged with its cause and request id; the client gets the code and
 * the request id, and none of SQLite's words. */
static void internal_errors_are_logged_not_leaked(void **state)
{
    th_server t;
    th_resp r;
    (void)state;
    th_server_start(&t, NULL);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    free(th_sql(t.db, "ALTER TABLE incidents RENAME TO hidden_xyz"));
    const char *headers[] = {"X-Request-Id: trace-500-check", NULL};
    th_stderr_capture();
    assert_int_equal(th_http_with("GET", th_url(&t, "/api/v1/incidents"), un, NULL, 0, headers, &r),
                     0);
    char *log = th_stderr_release();
    assert_int_equal(r.status, 500);
    assert_string_equal(th_code(&r), "store.failed");
    json_t *err = json_object_get(r.json, "error");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(err, "detail"), "request_id")),
        "trace-500-check");
    assert_non_null(strstr(json_string_value(json_object_get(err, "message")), "trace-500-check"));
    if (strstr(r.body, "hidden_xyz") || strstr(r.body, "no such table") ||
        strstr(r.body, "relation") || strstr(r.body, "incidents") ||
        strstr(r.body, "database error") || strstr(r.body, "server log"))
        fail_msg("the reply names internals: %s", r.body);
    if (!strstr(log, "ERROR request trace-500-check: 500 store.failed: database error: ") ||
        !strstr(log, th_postgres() ? "relation \"incidents\" does not exist" : "no such table"))
        fail_msg("the log lacks the cause: %s", log);
    free(log);
    th_resp_free(&r);
    th_server_stop(&t);
}

/* What the server sends until it closes or ms pass in silence (malloc'd, maybe ""); *closed
 * says which. */
static char *read_reply(int fd, int ms, int *closed)
{
    buf b = BUF_INIT;
    char chunk[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n = 1;
    while (poll(&p, 1, ms) == 1 && (n = recv(fd, chunk, sizeof chunk, 0)) > 0)
        buf_append(&b, chunk, (size_t)n);
    *closed = n <= 0;
    buf_append(&b, "", 0);
    return b.p;
}

/* What the server sends until it closes (at most ms): malloc'd, or NULL when the connection
 * stayed open. */
static char *answer_then_close(int fd, int ms)
{
    int closed;
    char *got = read_reply(fd, ms, &closed);
    if (closed) return got;
    free(got);
    return NULL;
}

static void expect_timeout_answer(char *got)
{
    assert_non_null(got);
    if (strncmp(got, "HTTP/1.1 408 ", 13) != 0 || !strstr(got, "application/json") ||
        !strstr(got, "\"code\":\"request.timeout\""))
        fail_msg("not a JSON 408: %s", got);
    free(got);
}

/* A request that does not arrive in time, headers or body, silent or dripping a byte at a
 * time (which resets libmicrohttpd's idle timer), is answered 408 in the JSON shape and
 * cut; the server goes on serving. */
static void slow_clients_are_cut_off(void **state)
{
    th_server slow;
    http_config cfg = {.idle_timeout = 1, .request_timeout = 1};
    (void)state;
    th_server_start(&slow, &cfg);
    uint16_t port = http_port(slow.srv);

    /* Headers that never finish. */
    int fd = connect_to(port);
    const char *partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal(send(fd, partial, strlen(partial), 0), (ssize_t)strlen(partial));
    expect_timeout_answer(answer_then_close(fd, 5000));
    close(fd);

    /* Headers dripped a byte every 200 ms: bounded all the same. */
    fd = connect_to(port);
    const char *drip = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    char *got = NULL;
    for (size_t i = 0; i < strlen(drip) && !got; i++) {
        if (send(fd, drip + i, 1, MSG_NOSIGNAL) < 0) break;
        got = answer_then_close(fd, 200);
    }
    if (!got) got = answer_then_close(fd, 5000);
    expect_timeout_answer(got);
    close(fd);

    /* A body that trickles in past the request deadline. */
    fd = connect_to(port);
    const char *head = "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                       "\r\nContent-Length: 100\r\n\r\n{\"user\":";
    send(fd, head, strlen(head), 0);
    got = NULL;
    for (int i = 0; i < 40 && !got; i++) {
        if (send(fd, " ", 1, MSG_NOSIGNAL) < 0) break;
        got = answer_then_close(fd, 200);
    }
    if (!got) got = answer_then_close(fd, 5000);
    expect_timeout_answer(got);
    close(fd);

    /* And the server still serves. */
    th_resp r;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/healthz", (unsigned)port);
    assert_int_equal(th_http("GET", url, NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_server_stop(&slow);
}

/* What two readers could take two ways is refused before anything of it is read, and the
 * connection closes: Content-Length twice, or beside Transfer-Encoding (request
 * smuggling); a %00 in a path or a query value is a 400, not a value cut short, as is an
 * X-Truce-Read-After that is not a number (not ignored); the access
 * log writes the target as sent, with controls escaped, so nobody forges its lines. */
static void ambiguous_requests_are_refused_and_logged_safely(void **state)
{
    th_server t;
    (void)state;
    th_server_start(&t, NULL);
    uint16_t port = http_port(t.srv);
    static const char *const smuggled[] = {
        "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 7\r\nContent-Length: 40\r\n\r\n{\"a\":1}GET /healthz HTTP/1.1\r\n"
        "Host: x\r\n\r\n",
        "POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n"
        "Host: x\r\n\r\n"};
    for (size_t i = 0; i < 2; i++) {
        int fd = connect_to(port);
        assert_int_equal(send(fd, smuggled[i], strlen(smuggled[i]), 0),
                         (ssize_t)strlen(smuggled[i]));
        char *got = answer_then_close(fd, 5000);
        assert_non_null(got);
        if (strncmp(got, "HTTP/1.1 400 ", 13) != 0 || !strstr(got, "request.bad_length"))
            fail_msg("case %zu: %s", i, got);
        /* One answer: the smuggled GET was never read as a request. */
        assert_null(strstr(got + 13, "HTTP/1.1 "));
        free(got);
        close(fd);
    }
    th_resp r;
    static const char *const nul[] = {"/api/v1/reports/1%00abc", "/api/v1/incidents?actor=a%00b",
                                      "/healthz%00"};
    const char *un = th_login(&t, "un", "demo-un-monitor");
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(th_http("GET", th_url(&t, nul[i]), un, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 400);
        assert_string_equal(th_code(&r), "request.nul_byte");
        th_resp_free(&r);
    }
    /* A header that says which write to read after must say it as a number. */
    static const char *const read_after[] = {"X-Truce-Read-After: soon", "X-Truce-Read-After: -4",
                                             "X-Truce-Read-After: 12 13",
                                             "X-Truce-Read-After: 99999999999999999999", NULL};
    for (size_t i = 0; read_after[i]; i++) {
        const char *headers[] = {read_after[i], NULL};
        assert_int_equal(
            th_http_with("GET", th_url(&t, "/api/v1/crossings"), un, NULL, 0, headers, &r), 0);
        assert_int_equal(r.status, 400);
        assert_string_equal(th_code(&r), "request.invalid_header");
        th_resp_free(&r);
    }
    const char *fine[] = {"X-Truce-Read-After: 3", NULL};
    assert_int_equal(th_http_with("GET", th_url(&t, "/api/v1/crossings"), un, NULL, 0, fine, &r),
                     0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    log_set_access(1);
    th_stderr_capture();
    assert_int_equal(th_http("GET",
                             th_url(&t, "/x%0a2026-01-01T00:00:00.000Z%20ACCESS%20forged%1b[31m"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    th_resp_free(&r);
    int fd = connect_to(port);
    const char *raw = "GET /y\x1b[2J HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    send(fd, raw, strlen(raw), 0);
    free(answer_then_close(fd, 5000));
    close(fd);
    th_server_stop(&t); /* every access line written */
    char *log = th_stderr_release();
    log_set_access(0);
    if (!strstr(log, " GET /x%0a2026-01-01T00:00:00.000Z%20ACCESS%20forged%1b[31m 404 ") ||
        !strstr(log, " GET /y%1B[2J 404 ") || strchr(log, '\x1b'))
        fail_msg("the access log: %s", log);
    /* No line was forged: every line is the server's, none starts with the sent date. */
    for (const char *p = log; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
        if (strncmp(p, "2026-01-01T00:00:00.000Z", 24) == 0) fail_msg("a forged line: %s", log);
    free(log);
}

/* One whole reply on a connection that stays open (its headers and Content-Length bytes of
 * body, at most 5 s): malloc'd, NULL when it did not come whole. */
static char *one_reply(int fd)
{
    buf b = BUF_INIT;
    char chunk[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n;
    while (poll(&p, 1, 5000) == 1 && (n = recv(fd, chunk, sizeof chunk, 0)) > 0) {
        buf_append(&b, chunk, (size_t)n); /* kept NUL-terminated */
        const char *end = strstr(b.p, "\r\n\r\n"), *cl = strstr(b.p, "\r\nContent-Length: ");
        if (end && cl && cl < end && b.len - (size_t)(end + 4 - b.p) >= (size_t)atol(cl + 18))
            return b.p;
    }
    buf_free(&b);
    return NULL;
}

/* How many status lines ("HTTP/1.x NNN ") are in what a connection was sent. */
static int replies_in(const char *got)
{
    int n = 0;
    for (const char *p = got; (p = strstr(p, "HTTP/1.")); p += 7)
        n += isdigit((unsigned char)p[7]) && p[8] == ' ' && isdigit((unsigned char)p[9]) &&
             isdigit((unsigned char)p[10]) && isdigit((unsigned char)p[11]) && p[12] == ' ';
    return n;
}

/* One reply of the server's error shape, read whole: status, code, the request id in the
 * header and the body alike, Content-Length true. */
static void expect_error_reply(const char *got, const char *status, const char *code)
{
    char line[32], id[64] = "";
    snprintf(line, sizeof line, "HTTP/1.1 %s ", status);
    const char *end = strstr(got, "\r\n\r\n"), *h = strstr(got, "\r\nX-Request-Id: "),
               *cl = strstr(got, "\r\nContent-Length: ");
    if (strncmp(got, line, strlen(line)) != 0 || !end || !h || h > end || !cl || cl > end ||
        !strstr(got, "\r\nContent-Type: application/json") || !strstr(got, "\r\nConnection: close"))
        fail_msg("not a JSON %s: %s", status, got);
    sscanf(h + 16, "%63[^\r]", id);
    assert_int_equal((size_t)atol(cl + 18), strlen(end + 4));
    json_error_t je;
    json_t *body = json_loads(end + 4, 0, &je), *err = json_object_get(body, "error");
    if (!body) fail_msg("the body is not JSON: %s", end + 4);
    assert_string_equal(json_string_value(json_object_get(err, "code")), code);
    assert_non_null(json_string_value(json_object_get(err, "message")));
    assert_non_null(json_string_value(json_object_get(err, "hint")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(err, "detail"), "request_id")), id);
    json_decref(body);
}

/* What libmicrohttpd cannot read as HTTP never reaches truce's routes; it is answered all
 * the same, once, in the JSON shape with a request id (not the library's HTML page, not a
 * silent close), the connection closes, and the server goes on serving. A connection that
 * ends for any other reason (the client closing, a reply that said close, a stop) gets no
 * such answer. */
static void unreadable_requests_are_answered_in_json(void **state)
{
    th_server t;
    (void)state;
    th_server_start(&t, NULL);
    uint16_t port = http_port(t.srv);
    log_set_access(1);
    th_stderr_capture(); /* to the stop: every line written */
    char *big_header = malloc(100100), *long_target = malloc(100100);
    memset(big_header, 0, 100100);
    memset(long_target, 0, 100100);
    strcpy(big_header, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big_header + strlen(big_header), 'a', 100000 - strlen(big_header));
    strcat(big_header, "\r\n\r\n");
    strcpy(long_target, "GET /");
    memset(long_target + 5, 'a', 100000 - 5);
    strcat(long_target, " HTTP/1.1\r\nHost: x\r\n\r\n");
    const struct {
        const char *send, *status, *code;
    } cases[] = {
        {"GARBAGE\r\n\r\n", "400", "request.malformed"},
        {"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "400", "request.malformed"},
        {"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", "400",
         "request.bad_length"},
        {"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Length: "
         "99999999999999999999999\r\n\r\n",
         "413", "request.too_large"},
        {"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
         "400", "request.bad_chunk"},
        {"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", "505", "request.http_version"},
        {big_header, "431", "request.header_too_large"},
        {long_target, "414", "request.uri_too_long"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = connect_to(port);
        send(fd, cases[i].send, strlen(cases[i].send), MSG_NOSIGNAL);
        char *got = answer_then_close(fd, 5000);
        if (!got) fail_msg("case %zu: the connection stayed open", i);
        if (replies_in(got) != 1) fail_msg("case %zu: not one reply: %s", i, got);
        expect_error_reply(got, cases[i].status, cases[i].code);
        free(got);
        close(fd);
    }
    free(big_header);
    free(long_target);

    /* A bad request line after a good request on the same connection. */
    int fd = connect_to(port);
    const char *two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n";
    send(fd, two, strlen(two), 0);
    char *got = answer_then_close(fd, 5000);
    assert_non_null(got);
    assert_int_equal(strncmp(got, "HTTP/1.1 200 ", 13), 0);
    char *second = strstr(got + 1, "HTTP/1.1 ");
    assert_non_null(second);
    expect_error_reply(second, "400", "request.malformed");
    free(got);
    close(fd);

    /* Connections that end otherwise: nothing is added to what they were sent. */
    static const char *const ends[] = {
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /healthz HTTP/1.0\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", /* then the client half-closes */
    };
    for (size_t i = 0; i < 3; i++) {
        fd = connect_to(port);
        send(fd, ends[i], strlen(ends[i]), 0);
        if (i == 2) shutdown(fd, SHUT_WR);
        /* The reply, then the close; after a half-close libmicrohttpd may keep the
         * connection until the stop, which is no answer either (the log is counted below). */
        got = i == 2 ? one_reply(fd) : answer_then_close(fd, 5000);
        if (!got || replies_in(got) != 1 || !strstr(got, "\"status\":\"ok\"") ||
            strstr(got, "request.malformed"))
            fail_msg("ending %zu: %s", i, got ? got : "(left open)");
        free(got);
        if (i == 2 && (got = answer_then_close(fd, 1000)) && got[0])
            fail_msg("after a half-close: %s", got);
        if (i == 2) free(got);
        close(fd);
    }
    int idle = connect_to(port), kept = connect_to(port);
    const char *one = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    send(kept, one, strlen(one), 0);
    got = one_reply(kept);
    assert_non_null(got);
    assert_int_equal(replies_in(got), 1);
    assert_int_equal(strncmp(got, "HTTP/1.1 200 ", 13), 0);
    free(got);
    int gone = connect_to(port);
    send(gone, one, strlen(one), 0);
    got = one_reply(gone);
    assert_non_null(got);
    free(got);
    close(gone); /* a client closing its idle keep-alive connection */

    /* The server still serves, and a stop closes the idle connections without a word. */
    th_resp r;
    assert_int_equal(th_http("GET", th_url(&t, "/healthz"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_server_stop(&t);
    char *log = th_stderr_release();
    log_set_access(0);
    /* Each refusal logged once, with its code (nine: none for the connections that ended
     * otherwise), and in the access log with its status: the chunked request, which truce
     * had begun, under its method and path. */
    int refusals = 0;
    for (const char *p = log; (p = strstr(p, "refused before it was read: ")); p++)
        refusals++;
    if (refusals != 9 || !strstr(log, "refused before it was read: 431 request.header_too_large") ||
        !strstr(log, " POST /api/v1/login 400 ") || !strstr(log, " - - 505 0 "))
        fail_msg("the log: %s", log);
    free(log);
    got = answer_then_close(idle, 5000);
    assert_non_null(got);
    assert_string_equal(got, "");
    free(got);
    got = answer_then_close(kept, 5000);
    assert_non_null(got);
    assert_string_equal(got, "");
    free(got);
    close(idle);
    close(kept);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failed_logins_are_throttled),
        cmocka_unit_test(a_stopping_server_finishes_its_writes),
        cmocka_unit_test(a_stop_refuses_the_writes_it_cannot_wait_for),
        cmocka_unit_test(tampered_evidence_is_never_served_and_fails_the_audit),
        cmocka_unit_test(slow_clients_are_cut_off),
        cmocka_unit_test(ambiguous_requests_are_refused_and_logged_safely),
        cmocka_unit_test(unreadable_requests_are_answered_in_json),
        cmocka_unit_test(internal_errors_are_logged_not_leaked),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    log_set_access(0);
    return cmocka_run_group_tests_name("server", tests, setup, teardown);
}
