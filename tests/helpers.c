/* helpers.c - shared test plumbing; see helpers.h. */
#include "helpers.h"

#include "accounts/accounts.h"
#include "journal/journal.h"
#include "scenario/scenario.h"
#include "store/pg.h"

#include <curl/curl.h>
#include <libpq-fe.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define fail_now(...)                                                                              \
    do {                                                                                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

char *th_tmpdir(void)
{
    static char slots[16][128];
    static int next;
    char *p = slots[next++ % 16];
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(p, 128, "%s/truce-test-XXXXXX", base);
    if (!mkdtemp(p)) fail_now("mkdtemp failed");
    return p;
}

/* ---- PostgreSQL ---------------------------------------------------------------------- */

static char pg_info[512], pg_dir[256];

int th_postgres(void)
{
    const char *b = getenv("TRUCE_TEST_BACKEND");
    return b && !strcmp(b, "postgres");
}

const char *th_pg(void)
{
    if (pg_info[0]) return pg_info;
    const char *env = getenv("TRUCE_PG");
    if (env && *env) {
        snprintf(pg_info, sizeof pg_info, "%s", env);
        return pg_info;
    }
    /* A cluster of this process's own, as the runner would start one. */
    snprintf(pg_dir, sizeof pg_dir, "/tmp/truce-pg-%ld", (long)getpid());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/scripts/pg-cluster.sh' start '%s'", TRUCE_SOURCE_ROOT, pg_dir);
    FILE *f = popen(cmd, "r");
    if (!f || !fgets(pg_info, sizeof pg_info, f)) fail_now("cannot start PostgreSQL: %s", cmd);
    pclose(f);
    pg_info[strcspn(pg_info, "\n")] = 0;
    return pg_info;
}

void th_pg_stop(void)
{
    if (!pg_dir[0]) return;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/scripts/pg-cluster.sh' stop '%s'", TRUCE_SOURCE_ROOT, pg_dir);
    if (system(cmd) != 0) fprintf(stderr, "th_pg_stop: %s failed\n", cmd);
    pg_dir[0] = 0;
    pg_info[0] = 0;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int th_pg_sql(const char *conninfo, const char *sql, int may_fail)
{
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK)
        fail_now("cannot connect to %s: %s", conninfo, PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL); /* "does not exist, skipping" */
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok && !may_fail) fail_now("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

const char *th_pg_db(const char *name)
{
    /* One log key for every database of this process, as the servers of a deployment
     * share one: TRUCE_KEY_FILE names it and the first database made creates it. */
    static char key[300];
    if (!key[0]) {
        snprintf(key, sizeof key, "%s/log.key", th_tmpdir());
        setenv("TRUCE_KEY_FILE", key, 1);
    }
    static char slots[8][640];
    static int next;
    char *out = slots[next++ % 8], db[64], admin[600], sql[200];
    snprintf(db, sizeof db, "t_%s_%ld", name, (long)getpid());
    snprintf(admin, sizeof admin, "%s dbname=postgres", th_pg());
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    th_pg_sql(admin, sql, 0);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    th_pg_sql(admin, sql, 0);
    snprintf(out, 640, "%s dbname=%s", th_pg(), db);
    return out;
}

const char *th_db(const char *dir, const char *name)
{
    static char slots[8][640];
    static int next;
    char *out = slots[next++ % 8];
    if (th_postgres())
        snprintf(out, 640, "%s", th_pg_db(name));
    else
        snprintf(out, 640, "%s/%s.db", dir, name);
    return out;
}

const char *th_db_copy(const char *db, const char *dir, const char *name)
{
    const char *copy = th_db(dir, name);
    char *out;
    if (th_postgres())
        out = th_shell("pg_dump -d '%s' | psql -XAtq -v ON_ERROR_STOP=1 '%s' >/dev/null", db, copy);
    else
        out = th_shell("sqlite3 '%s' \".backup '%s'\" && cp '%s.key' '%s.key'", db, copy, db, copy);
    free(out);
    return copy;
}

void th_rmrf(const char *dir)
{
    char cmd[512];
    if (!dir || !strstr(dir, "truce-test-")) return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

const char *th_scenario_dir(void)
{
    return TRUCE_SOURCE_SCENARIO_DIR;
}

store *th_demo_db(const char *path)
{
    return th_demo_db_with(path, SCN_NO_SAMPLES);
}

store *th_demo_db_with(const char *path, unsigned flags)
{
    tr_err e = TR_ERR_INIT;
    static int ready;
    store *s;
    if (!ready) {
        if (sodium_init() < 0) fail_now("sodium_init");
        acct_init();
        ready = 1;
    }
    s = store_open(path, STORE_CREATE, &e);
    if (!s || journal_create_key(s, path, "truce.test/log", &e) ||
        scn_init_deployment(s, "test", &e) || scn_load(s, th_scenario_dir(), flags, NULL, &e))
        fail_now("demo database: %s", e.message);
    return s;
}

int64_t th_journal_len(const char *db_path)
{
    tr_err e = TR_ERR_INIT;
    store_stats st = {0};
    store *s = store_open(db_path, 0, &e);
    if (!s || s->ops->stats(s, &st, &e)) fail_now("journal length: %s", e.message);
    s->ops->close(s);
    return st.journal_length;
}

/* ---- HTTP ---- */

typedef struct sink {
    char *p;
    size_t len;
} sink;

static size_t on_data(char *ptr, size_t size, size_t n, void *cls)
{
    sink *s = cls;
    size_t add = size * n;
    s->p = realloc(s->p, s->len + add + 1);
    if (!s->p) abort();
    memcpy(s->p + s->len, ptr, add);
    s->len += add;
    s->p[s->len] = 0;
    return add;
}

int th_http(const char *method, const char *url, const char *token, const char *body, size_t len,
            const char *ctype, th_resp *out)
{
    char line[512];
    const char *headers[2] = {line, NULL};
    snprintf(line, sizeof line, "Content-Type: %s", ctype ? ctype : "application/json");
    return th_http_with(method, url, token, body, len, body ? headers : NULL, out);
}

static _Thread_local char http_source[64];

void th_http_from(const char *addr)
{
    snprintf(http_source, sizeof http_source, "%s", addr ? addr : "");
}

int th_http_with(const char *method, const char *url, const char *token, const char *body,
                 size_t len, const char *const *headers, th_resp *out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    sink b = {0}, hd = {0};
    char line[512];
    CURLcode rc;

    memset(out, 0, sizeof *out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hd);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (http_source[0]) curl_easy_setopt(c, CURLOPT_INTERFACE, http_source);
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, line);
    }
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    int expect = 0;
    for (; headers && *headers; headers++) {
        h = curl_slist_append(h, *headers);
        expect |= strncasecmp(*headers, "Expect:", 7) == 0;
    }
    if (!expect) h = curl_slist_append(h, "Expect:"); /* no 100-continue unless asked */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    out->body = b.p ? b.p : calloc(1, 1);
    out->len = b.len;
    out->headers = hd.p ? hd.p : calloc(1, 1);
    out->json = json_loadb(out->body, out->len, 0, NULL);
    return rc == CURLE_OK ? 0 : -1;
}

void th_resp_free(th_resp *r)
{
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

char *th_header(const th_resp *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *end = strstr(line, "\r\n");
        if (!end) break;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            return strndup(v, (size_t)(end - v));
        }
        line = end + 2;
    }
    return NULL;
}

const char *th_code(const th_resp *r)
{
    const char *c = json_string_value(json_object_get(json_object_get(r->json, "error"), "code"));
    return c ? c : "";
}

const char *th_field(const th_resp *r)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(r->json, "error"), "detail"), "field"));
}

/* ---- server ---- */

void th_server_start(th_server *t, const http_config *overrides)
{
    http_config cfg = {0};
    store *s;
    memset(t, 0, sizeof *t);
    snprintf(t->dir, sizeof t->dir, "%s", th_tmpdir());
    snprintf(t->db, sizeof t->db, "%s/t.db", t->dir);
    if (th_postgres()) { /* the same server on a database of the test cluster */
        static int n;
        char name[32];
        snprintf(name, sizeof name, "server%d", n++);
        snprintf(t->db, sizeof t->db, "%s", th_pg_db(name));
    }
    s = th_demo_db(t->db);
    s->ops->close(s);
    if (overrides) cfg = *overrides;
    cfg.db_path = t->db;
    cfg.listen = "127.0.0.1:0";
    if (!cfg.threads) cfg.threads = 2;
    /* No periodic work (settling obligations, webhooks) unless a test asks for it: it
     * writes to the journal on its own, between a test's before and after. */
    if (!cfg.tick_seconds) cfg.tick_seconds = -1;
    t->cfg = cfg;
    th_server_resume(t);
}

void th_server_halt(th_server *t)
{
    http_stop(t->srv);
    t->srv = NULL;
}

void th_server_resume(th_server *t)
{
    tr_err e = TR_ERR_INIT;
    t->cfg.db_path = t->db;
    t->srv = http_start(&t->cfg, &e);
    if (!t->srv) fail_now("server: %s", e.message);
    snprintf(t->base, sizeof t->base, "http://127.0.0.1:%u", (unsigned)http_port(t->srv));
}

static int saved_stderr = -1;
static char capture_path[300];

void th_stderr_capture(void)
{
    snprintf(capture_path, sizeof capture_path, "%s/stderr.log", th_tmpdir());
    fflush(stderr);
    saved_stderr = dup(2);
    int fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || saved_stderr < 0) fail_now("cannot capture stderr");
    dup2(fd, 2);
    close(fd);
}

char *th_stderr_release(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
    char *text = th_slurp(capture_path, NULL);
    char *slash = strrchr(capture_path, '/');
    *slash = 0;
    th_rmrf(capture_path);
    return text;
}

void th_server_stop(th_server *t)
{
    http_stop(t->srv);
    th_rmrf(t->dir);
}

char *th_url(th_server *t, const char *path)
{
    static _Thread_local char slots[8][512]; /* per thread: tests post from several */
    static _Thread_local int next;
    char *p = slots[next++ % 8];
    snprintf(p, 512, "%s%s", t->base, path);
    return p;
}

const char *th_login(th_server *t, const char *user, const char *password)
{
    static char slots[16][80];
    static int next;
    char body[256];
    th_resp r;
    char *p = slots[next++ % 16];
    snprintf(body, sizeof body, "{\"user\":\"%s\",\"password\":\"%s\"}", user, password);
    if (th_http("POST", th_url(t, "/api/v1/login"), NULL, body, strlen(body), NULL, &r) ||
        r.status != 201)
        fail_now("login %s: %ld %s", user, r.status, r.body);
    snprintf(p, 80, "%s", json_string_value(json_object_get(r.json, "token")));
    th_resp_free(&r);
    return p;
}

/* ---- the binary ---- */

char *th_gzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t cap = deflateBound(&z, (uLong)len);
    char *out = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    if (!out || deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

char *th_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    sink s = {0};
    char chunk[65536];
    size_t n;
    if (f) {
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            on_data(chunk, 1, n, &s);
        fclose(f);
    }
    if (len) *len = s.len;
    return s.p ? s.p : calloc(1, 1);
}

int th_truce(char **out, char **err, const char *stdin_text, const char *fmt, ...)
{
    char args[2048], cmd[4096], *dir = th_tmpdir(), o[256], e[256], in[256];
    const char *bin = getenv("TRUCE_BIN");
    va_list ap;
    int status;
    if (!bin) fail_now("TRUCE_BIN is not set");
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(o, sizeof o, "%s/out", dir);
    snprintf(e, sizeof e, "%s/err", dir);
    snprintf(in, sizeof in, "%s/in", dir);
    FILE *f = fopen(in, "w");
    if (!f) fail_now("cannot write %s", in);
    if (stdin_text) fputs(stdin_text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' %s <'%s' >'%s' 2>'%s'", bin, args, in, o, e);
    status = system(cmd);
    if (out) *out = th_slurp(o, NULL);
    if (err) *err = th_slurp(e, NULL);
    th_rmrf(dir);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *th_shell(const char *fmt, ...)
{
    char cmd[8192], file[300], full[8700], *dir = th_tmpdir();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(file, sizeof file, "%s/out", dir);
    snprintf(full, sizeof full, "%s > '%s'", cmd, file);
    if (system(full) != 0) fail_now("failed: %s", cmd);
    char *out = th_slurp(file, NULL);
    th_rmrf(dir);
    return out;
}

char *th_sql(const char *db, const char *fmt, ...)
{
    char *dir = th_tmpdir(), in[300], out[300], cmd[1500];
    va_list ap;
    snprintf(in, sizeof in, "%s/in.sql", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *f = fopen(in, "w");
    if (!f) fail_now("cannot write %s", in);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputs(";\n", f);
    fclose(f);
    if (store_pg_is_uri(db))
        snprintf(cmd, sizeof cmd, "psql -XAtq -v ON_ERROR_STOP=1 '%s' < '%s' > '%s'", db, in, out);
    else
        snprintf(cmd, sizeof cmd, "sqlite3 -bail '%s' < '%s' > '%s'", db, in, out);
    if (system(cmd) != 0) {
        char *sql = th_slurp(in, NULL);
        fail_now("failed on %s: %s", db, sql);
    }
    char *text = th_slurp(out, NULL);
    th_rmrf(dir);
    return text;
}
