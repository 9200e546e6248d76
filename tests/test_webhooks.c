/* test_webhooks.c - webhooks delivered to a receiver in this process: signed with the
 * secret (HMAC-SHA256), retried after a failure, listed with their attempts; only the
 * events asked for; the secret seen by nobody but administrators. The real server on the
 * demo (api_common.h), its periodic work every second. */
#include "api_common.h"

#include "comply/comply.h"

#include <netinet/in.h>
#include <strings.h>

/* ---- a receiver: answers each request with the next status of a script --------------- */

#define MAX_SEEN 64
static struct receiver {
    int fd;
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t mu;
    char fail_once[64]; /* the first request whose body holds this is answered 500 */
    int failed;
    char *bodies[64], *signatures[64], *events[64];
    int seen;
    int stop;
} rx = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* A header's value in a request (malloc'd), or NULL. */
static char *header_of(const char *req, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(req, "\r\n"); p && p[2] && !(p[2] == '\r' && p[3] == '\n');
         p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 3 + n, *end = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            return strndup(v, (size_t)(end - v));
        }
    return NULL;
}

static void *receive(void *arg)
{
    (void)arg;
    while (!rx.stop) {
        struct pollfd pf = {rx.fd, POLLIN, 0};
        if (poll(&pf, 1, 100) <= 0) continue;
        int c = accept(rx.fd, NULL, NULL);
        if (c < 0) continue;
        char in[65536];
        size_t len = 0;
        char *end = NULL;
        long want = -1;
        while (len < sizeof in - 1) {
            ssize_t got = recv(c, in + len, sizeof in - 1 - len, 0);
            if (got <= 0) break;
            len += (size_t)got;
            in[len] = 0;
            if (!end && (end = strstr(in, "\r\n\r\n"))) {
                char *cl = header_of(in, "Content-Length");
                want = cl ? atol(cl) : 0;
                free(cl);
            }
            if (end && (long)(len - (size_t)(end + 4 - in)) >= want) break;
        }
        pthread_mutex_lock(&rx.mu);
        int status = 200;
        if (end && rx.fail_once[0] && !rx.failed && strstr(end + 4, rx.fail_once))
            status = 500, rx.failed = 1;
        if (rx.seen < MAX_SEEN && end) {
            rx.bodies[rx.seen] = strdup(end + 4);
            rx.signatures[rx.seen] = header_of(in, "X-Truce-Signature");
            rx.events[rx.seen] = header_of(in, "X-Truce-Event");
            rx.seen++;
        }
        pthread_mutex_unlock(&rx.mu);
        char reply[128];
        int m = snprintf(reply, sizeof reply,
                         "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
        ssize_t sent = send(c, reply, (size_t)m, MSG_NOSIGNAL);
        (void)sent;
        close(c);
    }
    return NULL;
}

static void receiver_start(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    rx.fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(bind(rx.fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(rx.fd, 16), 0);
    getsockname(rx.fd, (struct sockaddr *)&a, &al);
    rx.port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&rx.thread, NULL, receive, NULL), 0);
}

static void receiver_stop(void)
{
    rx.stop = 1;
    pthread_join(rx.thread, NULL);
    close(rx.fd);
    for (int i = 0; i < rx.seen; i++) {
        free(rx.bodies[i]);
        free(rx.signatures[i]);
        free(rx.events[i]);
    }
}

static int seen(void)
{
    pthread_mutex_lock(&rx.mu);
    int n = rx.seen;
    pthread_mutex_unlock(&rx.mu);
    return n;
}

/* The requests about obligation ob (their indices in rx into out). */
static int about(int64_t ob, int out[MAX_SEEN])
{
    char pat[64];
    int n = 0;
    snprintf(pat, sizeof pat, "\"obligation\":%lld,", (long long)ob);
    pthread_mutex_lock(&rx.mu);
    for (int i = 0; i < rx.seen; i++)
        if (strstr(rx.bodies[i], pat)) out[n++] = i;
    pthread_mutex_unlock(&rx.mu);
    return n;
}

/* ---- the tests ----------------------------------------------------------------------- */

static const char secret[] = "a shared secret, 32 bytes long!!";

static void a_webhook_is_signed_retried_and_listed(void **state)
{
    const char *admin = th_login(&T, "admin", "demo-admin");
    const char *usa = th_login(&T, "usa", "demo-usa");
    th_resp r;
    char body[512];
    (void)state;
    receiver_start();
    th_server_halt(&T);
    T.cfg.tick_seconds = 1;
    th_server_resume(&T);

    snprintf(body, sizeof body,
             "{\"url\":\"http://127.0.0.1:%u/hook\",\"events\":[\"obligation.breached\"],"
             "\"secret\":\"%s\"}",
             rx.port, secret);
    assert_int_equal(req("POST", "/api/v1/webhooks", usa, body, NULL), 403);
    assert_int_equal(req("POST", "/api/v1/webhooks", admin, body, &r), 201);
    int64_t hook = json_integer_value(json_object_get(r.json, "id"));
    /* Never given back (but in the registrar's own receipt, the event it made). */
    assert_null(json_object_get(r.json, "secret"));
    json_object_del(r.json, "receipt");
    char *rest = json_dumps(r.json, 0);
    assert_null(strstr(rest, secret));
    free(rest);
    th_resp_free(&r);

    /* An obligation due on day 1 of an agreement of 2025: breached as soon as settled. */
    assert_int_equal(req("POST", "/api/v1/agreements", usa,
                         "{\"title\":\"t\",\"parties\":[\"israel\",\"hamas\"],\"mediators\":[],"
                         "\"effective\":\"2025-01-19\",\"terms\":{\"1\":\"a list\"}}",
                         &r),
                     201);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/agreements/%lld/obligations",
             (long long)json_integer_value(json_object_get(r.json, "id")));
    th_resp_free(&r);
    assert_int_equal(req("POST", path, usa,
                         "{\"ref\":\"1\",\"title\":\"The list\",\"party\":\"hamas\",\"kind\":"
                         "\"deliverable\",\"due_day\":1}",
                         &r),
                     201);
    int64_t ob = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    /* Its first delivery fails (the receiver answers 500); the retry succeeds. The demo's
     * own obligations, breached too, are delivered beside it. */
    pthread_mutex_lock(&rx.mu);
    snprintf(rx.fail_once, sizeof rx.fail_once, "\"obligation\":%lld,", (long long)ob);
    pthread_mutex_unlock(&rx.mu);
    int mine[MAX_SEEN];
    for (int i = 0; i < 150 && about(ob, mine) < 2; i++)
        usleep(100000);
    assert_int_equal(about(ob, mine), 2);
    for (int k = 0; k < seen(); k++) {
        char want[72];
        webhook_sign(secret, rx.bodies[k], strlen(rx.bodies[k]), want);
        assert_string_equal(rx.signatures[k], want);
        assert_string_equal(rx.events[k], "obligation.breached");
    }
    for (int k = 0; k < 2; k++) {
        int i = mine[k];
        json_t *j = json_loads(rx.bodies[i], 0, NULL);
        assert_non_null(j);
        json_t *journal = json_object_get(j, "journal");
        assert_string_equal(json_string_value(json_object_get(journal, "type")),
                            "obligation.state_changed");
        json_t *b = json_object_get(journal, "body");
        assert_int_equal(json_integer_value(json_object_get(b, "obligation")), ob);
        assert_string_equal(json_string_value(json_object_get(b, "to")), "breached");
        json_decref(j);
    }
    /* The same delivery twice: the first answered 500, the second 200. */
    assert_string_equal(rx.bodies[mine[0]], rx.bodies[mine[1]]);
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld/deliveries", (long long)hook);
    /* The outcome is written after the call; the demo's own deliveries (delivered at the
     * first attempt) may be written before it, so wait for this one, not for any. */
    json_t *d = NULL, *x;
    for (int i = 0; i < 50 && !d; i++) {
        if (i) {
            th_resp_free(&r);
            r.body = NULL;
            usleep(100000);
        }
        assert_int_equal(req("GET", path, admin, NULL, &r), 200);
        size_t k;
        json_array_foreach(json_object_get(r.json, "deliveries"), k, x)
        {
            if (strcmp(json_string_value(json_object_get(x, "status")), "delivered") != 0) continue;
            if (json_integer_value(json_object_get(x, "attempts")) == 2) d = x;
        }
    }
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "status")), "delivered");
    assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 2);
    assert_int_equal(json_integer_value(json_object_get(d, "last_status")), 200);
    assert_null(strstr(r.body, secret));
    th_resp_free(&r);
    assert_int_equal(req("GET", path, usa, NULL, NULL), 403);

    /* Nothing else about it was sent: its definition is not asked for, and a delivered one
     * is not sent again. */
    usleep(2500000);
    assert_int_equal(about(ob, mine), 2);
    receiver_stop();
    th_server_halt(&T);
    T.cfg.tick_seconds = -1;
    th_server_resume(&T);
}

/* The secret is in the journal for administrators and the registrar only. */
static void the_secret_stays_with_administrators(void **state)
{
    const char *israel = th_login(&T, "israel", "demo-israel");
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *who[] = {NULL, israel, un};
    (void)state;
    for (size_t k = 0; k < 3; k++) {
        int64_t after = 0;
        for (;;) {
            th_resp r;
            char path[96];
            snprintf(path, sizeof path, "/api/v1/journal?limit=1000&after=%lld", (long long)after);
            assert_int_equal(req("GET", path, who[k], NULL, &r), 200);
            assert_null(strstr(r.body, secret));
            json_t *ev = json_object_get(r.json, "events");
            size_t n = json_array_size(ev);
            if (n) after = json_integer_value(json_object_get(json_array_get(ev, n - 1), "seq"));
            th_resp_free(&r);
            if (!n) break;
        }
    }
}

static void a_wrong_webhook_is_refused(void **state)
{
    static const struct {
        const char *body, *field;
    } bad[] = {
        {"{\"url\":\"ftp://example.org/x\",\"events\":[\"obligation.met\"],"
         "\"secret\":\"0123456789abcdef\"}",
         "url"},
        {"{\"url\":\"http://example.org/x\",\"events\":[\"incident.opened\"],"
         "\"secret\":\"0123456789abcdef\"}",
         "events[0]"},
        {"{\"url\":\"http://example.org/x\",\"events\":[\"obligation.met\"],\"secret\":\"short\"}",
         "secret"},
        {"{\"url\":\"http://example.org/x\",\"events\":[],\"secret\":\"0123456789abcdef\"}",
         "events"},
    };
    const char *admin = th_login(&T, "admin", "demo-admin");
    (void)state;
    int64_t before = th_journal_len(T.db);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        th_resp r;
        if (req("POST", "/api/v1/webhooks", admin, bad[i].body, &r) != 400)
            fail_msg("case %zu: %ld %s", i, r.status, r.body);
        assert_string_equal(th_field(&r), bad[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
    assert_int_equal(req("GET", "/api/v1/webhooks/999999/deliveries", admin, NULL, NULL), 404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_webhook_is_signed_retried_and_listed),
        cmocka_unit_test(the_secret_stays_with_administrators),
        cmocka_unit_test(a_wrong_webhook_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
