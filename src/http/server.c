/* server.c - the HTTP core: request lifecycle, routing, authentication, replies.
 *
 * Lifecycle of a request, as libmicrohttpd drives it through on_request():
 *
 *   1st call   headers only. Allocate the http_req, match the route, refuse a declared
 *              Content-Length above max_body at once (413, before the body is read).
 *   next calls body bytes. Append them; past max_body keep reading but discard (a
 *              chunked body has no declared length) and reply 413 at the end; past the
 *              request deadline drop the connection.
 *   last call  body complete. 404/405 for unmatched routes, authenticate the bearer
 *              token, check the route's `who`, parse and check the JSON body, call the
 *              handler. A handler that writes suspends the connection (http__defer);
 *              the writer thread resumes it after the commit and on_request() is called
 *              once more to send the reply.
 *   completed  on_completed(): metrics, one access-log line, the reader connection goes
 *              back to the pool, the arena is freed.
 *
 * Every reply carries X-Request-Id (the client's, when it sent a sane one). Every error
 * reply has the body {"error": {"code", "message", "detail", "hint"}}. */
#include "http/internal.h"
#include "http/watchdog.h"

#include "core/codes.h"
#include "core/log.h"
#include "core/util.h"
#include "journal/journal.h"
#include "json/jsx.h"
#include "store/tree_cache.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <sodium.h>
#include <zlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How long a reader connection trusts what it cached (zones), as the token cache does. */
#define HTTP_CACHE_TTL_MS 200

/* ---- replies ----------------------------------------------------------------------- */

int http__reply(http_req *r, int status, json_t *body)
{
    json_decref(r->reply);
    r->status = status;
    r->reply = body;
    return 0;
}

/* A 5xx is the server's failure, not the client's: the log gets its code, its cause and the
 * request id; the client gets the code and the request id, and, for a 500, a message that
 * names nothing inside (SQLite's words, table names, paths stay in the log). 503 and 507
 * keep their messages, which say what to wait for. */
static void server_failure(http_req *r, tr_err *e)
{
    int status = e->status ? e->status : 500;
    char *detail = e->detail ? json_dumps(e->detail, JSON_COMPACT) : NULL;
    (status == 500 ? log_error : log_warn)("request %s: %d %s: %s%s%s", r->request_id, status,
                                           e->code[0] ? e->code : "-", e->message,
                                           detail ? " " : "", detail ? detail : "");
    free(detail);
    if (status == 500) {
        tr_err safe = TR_ERR_INIT;
        err_set(&safe, 500, e->code[0] ? e->code : "server.internal",
                "try again; if it fails again, give the operator this request id",
                "the server could not complete this request (request id %s)", r->request_id);
        err_clear(e);
        *e = safe;
    }
    if (!json_is_object(e->detail)) {
        json_decref(e->detail);
        e->detail = json_object();
    }
    json_object_set_new(e->detail, "request_id", json_string(r->request_id));
}

int http__fail(http_req *r, tr_err *e)
{
    err_code_sent(e->code, e->status ? e->status : 500);
    if (!e->status || e->status >= 500) server_failure(r, e);
    /* An error that says when to come back (detail.retry_after, seconds) says it in
     * Retry-After too: throttles, quotas, a busy server. */
    json_t *wait = json_object_get(e->detail, "retry_after");
    if (json_is_integer(wait)) {
        char *secs = arena_alloc(&r->mem, 24);
        snprintf(secs, 24, "%lld", (long long)json_integer_value(wait));
        http__header(r, "Retry-After", secs);
    }
    http__reply(r, e->status ? e->status : 500, err_to_json(e));
    err_clear(e);
    return 0;
}

void http__header(http_req *r, const char *name, const char *value)
{
    for (int i = 0; i < HTTP_EXTRA_HEADERS; i++)
        if (!r->extra_header[i][0]) {
            r->extra_header[i][0] = name;
            r->extra_header[i][1] = value;
            return;
        }
}

static int fail_with(http_req *r, int status, const char *code, const char *hint,
                     const char *message)
{
    tr_err e = TR_ERR_INIT;
    err_set(&e, status, code, hint, "%s", message);
    return http__fail(r, &e);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    http_req *r = cls;
    long n = r->stream(r, out, max);
    (void)pos;
    if (n < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
    r->sent_bytes += (size_t)n;
    return (ssize_t)n;
}

/* An object's JSON text with the write's receipt (already JSON text) as its last member. */
static char *with_receipt(char *text, size_t *len, const char *receipt)
{
    static const char key[] = "\"receipt\":";
    size_t rl = strlen(receipt), n = *len - 1; /* without the closing brace */
    int comma = n > 1;
    char *out = realloc(text, n + (size_t)comma + sizeof key - 1 + rl + 2);
    if (!out) abort();
    if (comma) out[n++] = ',';
    memcpy(out + n, key, sizeof key - 1);
    n += sizeof key - 1;
    memcpy(out + n, receipt, rl);
    n += rl;
    out[n++] = '}';
    out[n] = 0;
    *len = n;
    return out;
}

/* ---- compression -------------------------------------------------------------------- */

/* Whether an Accept-Encoding header accepts a coding ("gzip", which "x-gzip" names too, or
 * "br"): named, or "*" when it is not named, with a quality above 0. */
int http__accepts(const char *h, const char *coding)
{
    int star = 0, named = 0, gzip = 0;
    int is_gzip = strcmp(coding, "gzip") == 0;
    while (h && *h) {
        size_t n = strcspn(h, ",");
        char item[64];
        if (n < sizeof item) {
            memcpy(item, h, n);
            item[n] = 0;
            char *tok = item, *params = strchr(item, ';'), *q;
            if (params) *params++ = 0;
            while (*tok == ' ' || *tok == '\t')
                tok++;
            for (char *end = tok + strlen(tok); end > tok && (end[-1] == ' ' || end[-1] == '\t');)
                *--end = 0;
            double quality = 1;
            if (params && (q = strstr(params, "q="))) quality = strtod(q + 2, NULL);
            if (strcasecmp(tok, coding) == 0 || (is_gzip && strcasecmp(tok, "x-gzip") == 0))
                named = 1, gzip = quality > 0;
            else if (strcmp(tok, "*") == 0)
                star = quality > 0;
        }
        h += n;
        if (*h) h++;
    }
    return named ? gzip : star;
}

/* Bodies smaller than this go as they are: gzip's header and trailer would eat the gain. */
#define GZIP_MIN 1024

static void gz_init(z_stream *z)
{
    memset(z, 0, sizeof *z);
    /* 15 window bits + 16: a gzip wrapper. zlib's default level: a 90 MB GeoJSON export
     * becomes 7.8 MB (level 1: 11.5 MB) at about 55 MB/s of input here. */
    if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
}

/* A whole body, compressed (malloc'd); *len becomes the compressed length. */
static char *gzip_copy(const char *in, size_t *len)
{
    z_stream z;
    gz_init(&z);
    size_t cap = deflateBound(&z, (uLong)*len);
    char *out = malloc(cap);
    if (!out) abort();
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)*len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort(); /* deflateBound is enough */
    *len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

/* A streamed body, compressed as it is produced: what the handler's stream writes is
 * deflated into the reply's chunks. */
struct gz_stream {
    z_stream z;
    int eof, finished;
    char in[64 * 1024];
};

static ssize_t gz_read(void *cls, uint64_t pos, char *out, size_t max)
{
    http_req *r = cls;
    struct gz_stream *g = r->gz;
    (void)pos;
    if (g->finished) return MHD_CONTENT_READER_END_OF_STREAM;
    g->z.next_out = (Bytef *)out;
    g->z.avail_out = (uInt)max;
    while (g->z.avail_out > 0) {
        if (g->z.avail_in == 0 && !g->eof) {
            long n = r->stream(r, g->in, sizeof g->in);
            if (n < 0) return MHD_CONTENT_READER_END_WITH_ERROR;
            if (n == 0) g->eof = 1;
            g->z.next_in = (Bytef *)g->in;
            g->z.avail_in = (uInt)n;
        }
        int rc = deflate(&g->z, g->eof ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            g->finished = 1;
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = max - g->z.avail_out;
    if (n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
    r->sent_bytes += n;
    return (ssize_t)n;
}

static void gz_free(http_req *r)
{
    if (!r->gz) return;
    deflateEnd(&r->gz->z);
    free(r->gz);
    r->gz = NULL;
}

static enum MHD_Result send_reply(http_req *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char *text = NULL;
    size_t len = 0;
    int gzip = http__accepts(
        MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING),
        "gzip");
    int gzipped = 0;

    if (r->static_body) {
        /* A file of the web app, compressed at build time if at all: sent from where it
         * lies, uncopied. */
        len = r->static_len;
        resp = MHD_create_response_from_buffer(len, (void *)r->static_body, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
        if (r->content_encoding)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, r->content_encoding);
    } else if (r->stream && !r->reply) {
        /* Sent in chunks as it is produced (r lives until on_completed, after the last
         * read). */
        if (gzip) {
            r->gz = malloc(sizeof *r->gz);
            if (!r->gz) abort();
            gz_init(&r->gz->z);
            r->gz->eof = r->gz->finished = 0;
            gzipped = 1;
        }
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                 gzipped ? gz_read : stream_read, r, NULL);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type ? r->content_type : "application/octet-stream");
    } else if (r->reply) {
        /* 15 significant digits: every decimal a person typed comes back as typed. */
        text = json_dumps(r->reply, JSON_COMPACT | JSON_REAL_PRECISION(15));
        if (!text) abort();
        len = strlen(text);
        if (r->deferred && r->job.rc == 0 && r->job.receipt && json_is_object(r->reply))
            text = with_receipt(text, &len, r->job.receipt);
        if (gzip && len >= GZIP_MIN) {
            char *z = gzip_copy(text, &len);
            free(text);
            text = z;
            gzipped = 1;
        }
        resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json; charset=utf-8");
    } else {
        len = r->raw.len;
        /* Binary bodies (tiles) may hold NUL bytes: copy by length. Files and tiles go as
         * they are; text (metrics, checkpoints) is compressed when it is worth it. */
        if (gzip && len >= GZIP_MIN &&
            (!r->content_type || strncmp(r->content_type, "text/", 5) == 0)) {
            text = gzip_copy(r->raw.p, &len);
            gzipped = 1;
            resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        } else {
            resp = MHD_create_response_from_buffer(len, r->raw.p ? r->raw.p : (char *)"",
                                                   MHD_RESPMEM_MUST_COPY);
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type ? r->content_type : "text/plain; charset=utf-8");
    }
    if (gzipped) MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    /* Caches must not give a compressed body to a client that did not ask for one. */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, r->vary ? r->vary : "Accept-Encoding");
    r->sent_bytes += len;
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            r->cache_control ? r->cache_control : "no-store");
    if (r->cache_control) MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->srv->cfg.read_db) {
        /* Which state of the log the reply reflects; after a write, a cookie so that the
         * caller's next reads see it (a browser sends it back unasked). */
        char size[96];
        int64_t at = r->deferred && r->job.rc == 0 && r->job.seq > 0 ? r->job.seq : r->tree_size;
        if (at > 0) {
            snprintf(size, sizeof size, "%lld", (long long)at);
            MHD_add_response_header(resp, "X-Truce-Tree-Size", size);
        }
        if (r->deferred && r->job.rc == 0 && r->job.seq > 0) {
            snprintf(size, sizeof size, "truce_written=%lld; Path=/; Max-Age=300; SameSite=Lax",
                     (long long)r->job.seq);
            MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, size);
        }
    }
    for (int i = 0; i < HTTP_EXTRA_HEADERS; i++)
        if (r->extra_header[i][0])
            MHD_add_response_header(resp, r->extra_header[i][0], r->extra_header[i][1]);
    ret = http__queue(r->con, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    r->replied = 1;
    return ret;
}

/* ---- readers ----------------------------------------------------------------------- */

static store *lease(http_server *srv, reader_pool *pool, tr_err *e)
{
    store *s = NULL;
    pthread_mutex_lock(&pool->lock);
    if (pool->len) s = pool->items[--pool->len];
    pthread_mutex_unlock(&pool->lock);
    if (!s) {
        s = store_open(pool == &srv->replica_readers ? srv->cfg.read_db : srv->cfg.db_path,
                       pool->flags, e);
        if (s) {
            s->tree_cache = srv->tree_cache;
            /* Zones change rarely and this server forgets them when it changes them. */
            s->cache_ttl_ns = HTTP_CACHE_TTL_MS * 1000000ull;
        }
    }
    return s;
}

static void give_back(reader_pool *pool, store **s)
{
    if (!*s) return;
    pthread_mutex_lock(&pool->lock);
    if (pool->len == pool->cap) {
        pool->cap = pool->cap ? pool->cap * 2 : 8;
        pool->items = realloc(pool->items, pool->cap * sizeof *pool->items);
        if (!pool->items) abort();
    }
    pool->items[pool->len++] = *s;
    pthread_mutex_unlock(&pool->lock);
    *s = NULL;
}

static void pool_close(reader_pool *pool)
{
    for (size_t i = 0; i < pool->len; i++)
        pool->items[i]->ops->close(pool->items[i]);
    free(pool->items);
    pthread_mutex_destroy(&pool->lock);
}

/* The tree size a caller must see: its own last write's, said by X-Truce-Read-After or
 * the truce_written cookie the server set with it. */
static int64_t must_see(http_req *r)
{
    int64_t at = 0;
    const char *h = http__header_in(r, "X-Truce-Read-After");
    const char *c = MHD_lookup_connection_value(r->con, MHD_COOKIE_KIND, "truce_written");
    if (h) at = strtoll(h, NULL, 10);
    if (c && strtoll(c, NULL, 10) > at) at = strtoll(c, NULL, 10);
    return at > 0 ? at : 0;
}

/* The size of the log as its latest checkpoint signs it (sealed in the transaction that
 * appended, so the journal's length): one indexed row, unlike the store's stats, which
 * also measure the database's files. -1 when it cannot be read. */
static int64_t tree_size(store *s)
{
    store_checkpoint cp;
    tr_err e = TR_ERR_INIT;
    int found = s->ops->checkpoint_get(s, -1, &cp, &e);
    err_clear(&e);
    return found < 0 ? -1 : found ? cp.size : 0;
}

store *http__reader(http_req *r, tr_err *e)
{
    if (r->reader) return r->reader;
    http_server *srv = r->srv;
    int reading = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
    if (srv->cfg.read_db && reading) {
        /* The replica, once it has replayed what this caller wrote (a moment's wait: it
         * is usually milliseconds behind); else the primary. */
        int64_t need = must_see(r);
        store *s = lease(srv, &srv->replica_readers, e);
        if (!s) {
            log_warn("replica unavailable, reading the primary: %s", e->message);
            err_clear(e);
        }
        for (int tries = 0; s && tries < 20; tries++) {
            int64_t size = tree_size(s);
            if (size >= need) {
                r->reader = s;
                r->reader_replica = 1;
                r->tree_size = size;
                return s;
            }
            if (size < 0) break;
            usleep(25 * 1000);
        }
        if (s) give_back(&srv->replica_readers, &s);
    }
    r->reader = lease(srv, &srv->readers, e);
    if (r->reader && srv->cfg.read_db) r->tree_size = tree_size(r->reader);
    return r->reader;
}

store *http__mapped_reader(http_req *r, tr_err *e)
{
    if (!r->log_reader) r->log_reader = lease(r->srv, &r->srv->log_readers, e);
    return r->log_reader;
}

static void reader_return(http_req *r)
{
    give_back(r->reader_replica ? &r->srv->replica_readers : &r->srv->readers, &r->reader);
    r->reader_replica = 0;
    give_back(&r->srv->log_readers, &r->log_reader);
}

const char *http__header_in(http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, name);
}

const char *http__query(http_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND, key);
}

static const char *known_lang(const char *l)
{
    static const char *const langs[] = {"en", "ar", "he"};
    for (size_t i = 0; l && i < sizeof langs / sizeof *langs; i++)
        if (!strcmp(l, langs[i])) return langs[i];
    return NULL;
}

const char *http__lang(http_req *r)
{
    const char *l = known_lang(http__query(r, "lang"));
    if (!l) l = known_lang(MHD_lookup_connection_value(r->con, MHD_COOKIE_KIND, "truce_lang"));
    if (l) return l;
    for (const char *p = http__header_in(r, "Accept-Language"); p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!strncasecmp(p, "ar", 2)) return "ar";
        if (!strncasecmp(p, "he", 2) || !strncasecmp(p, "iw", 2)) return "he";
        if (!strncasecmp(p, "en", 2)) return "en";
        p = strchr(p, ',');
    }
    return "en";
}

/* ---- heavy reads by the public ----------------------------------------------------- */

int http__heavy(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    if (r->caller.signed_in || r->heavy) return 0;
    if (atomic_fetch_add(&r->srv->public_heavy, 1) < r->srv->cfg.public_heavy) {
        r->heavy = 1;
        return 0;
    }
    atomic_fetch_sub(&r->srv->public_heavy, 1);
    err_set(&e, 503, "server.busy", "try again in a few seconds, or sign in",
            "too many exports and counts are running for callers without an account");
    err_detail(&e, json_pack("{s:i, s:i}", "limit", r->srv->cfg.public_heavy, "retry_after", 5));
    return http__fail(r, &e), -1;
}

/* ---- deferred writes ----------------------------------------------------------------- */

static void job_done(writer_job *job)
{
    http_req *r = job->done_cls;
    MHD_resume_connection(r->con);
}

int http__defer(http_req *r, store_txn_fn fn)
{
    /* Counted before the gate is looked at, and the stop closes the gate before it counts
     * (both sequentially consistent): either this request sees the gate closed and is
     * answered without suspending, or the stop sees it counted and waits for it. */
    atomic_fetch_add(&r->srv->inflight, 1);
    if (atomic_load(&r->srv->stopping) == 2) {
        tr_err e = TR_ERR_INIT;
        atomic_fetch_sub(&r->srv->inflight, 1);
        err_set(&e, 503, "server.stopping",
                "send it again when the server is back: nothing of it was written",
                "the server is shutting down");
        return http__fail(r, &e);
    }
    r->deferred = 1;
    r->job.fn = fn;
    r->job.cls = r;
    r->job.done = job_done;
    r->job.done_cls = r;
    MHD_suspend_connection(r->con);
    writer_submit(r->srv->writer, &r->job);
    return 0;
}

/* ---- routing ----------------------------------------------------------------------- */

/* Matches url against pattern, capturing {params}. */
static int match(const char *pattern, const char *url, http_req *r, const char **params)
{
    int n = 0;
    while (*pattern && *url) {
        if (*pattern != '/' || *url != '/') return 0;
        pattern++, url++;
        size_t pl = strcspn(pattern, "/"), ul = strcspn(url, "/");
        if (pattern[0] == '*' && pattern[1] == 0) { /* The rest of the path, slashes and all. */
            if (!*url || n == HTTP_MAX_PARAMS) return 0;
            if (params) params[n] = arena_strdup(&r->mem, url);
            return 1;
        }
        if (*pattern == '{') {
            if (ul == 0 || n == HTTP_MAX_PARAMS) return 0;
            if (params) params[n] = arena_strndup(&r->mem, url, ul);
            n++;
        } else if (pl != ul || memcmp(pattern, url, pl) != 0) {
            return 0;
        }
        pattern += pl, url += ul;
    }
    return *pattern == 0 && *url == 0;
}

/* Finds the route; -1 with *path_known set when the path exists under another method. */
static int find_route(http_req *r, int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < http__n_routes; i++) {
        if (!match(http__routes[i].pattern, r->url, r, NULL)) continue;
        if (strcmp(http__routes[i].method, r->method) == 0) {
            match(http__routes[i].pattern, r->url, r, r->params);
            return (int)i;
        }
        *path_known = 1;
    }
    return -1;
}

static int method_not_allowed(http_req *r)
{
    buf allow = BUF_INIT;
    for (size_t i = 0; i < http__n_routes; i++)
        if (match(http__routes[i].pattern, r->url, r, NULL))
            buf_printf(&allow, "%s%s", allow.len ? ", " : "", http__routes[i].method);
    char *a = arena_strdup(&r->mem, allow.p);
    buf_free(&allow);
    tr_err e = TR_ERR_INIT;
    err_set(&e, 405, "route.method_not_allowed", "use one of the methods in the Allow header",
            "%s is not allowed on %s", r->method, r->url);
    err_detail(&e, json_pack("{s:s}", "allow", a));
    http__header(r, "Allow", a);
    return http__fail(r, &e);
}

static const struct {
    unsigned bit;
    const char *kind;
} kind_bits[] = {
    {WHO_PARTY, "party"},       {WHO_MEDIATOR, "mediator"},
    {WHO_MONITOR, "monitor"},   {WHO_HUMANITARIAN, "humanitarian"},
    {WHO_OBSERVER, "observer"},
};

static int authorize(http_req *r, unsigned who)
{
    tr_err e = TR_ERR_INIT;
    json_t *allowed;
    if (who & WHO_PUBLIC) return 0;
    if (!r->caller.signed_in) {
        http__header(r, "WWW-Authenticate", "Bearer realm=\"truce\"");
        fail_with(r, 401, "auth.required",
                  "sign in with POST /api/v1/login and send "
                  "'Authorization: Bearer TOKEN'",
                  "this endpoint needs a signed-in user");
        return -1;
    }
    if (who & WHO_USER) return 0;
    if ((who & WHO_ADMIN) && r->caller.admin) return 0;
    for (size_t i = 0; i < sizeof kind_bits / sizeof kind_bits[0]; i++)
        if ((who & kind_bits[i].bit) && strcmp(r->caller.org_kind, kind_bits[i].kind) == 0)
            return 0;
    allowed = json_array();
    if (who & WHO_ADMIN) json_array_append_new(allowed, json_string("admin"));
    for (size_t i = 0; i < sizeof kind_bits / sizeof kind_bits[0]; i++)
        if (who & kind_bits[i].bit) json_array_append_new(allowed, json_string(kind_bits[i].kind));
    err_set(&e, 403, "auth.forbidden", "ask someone in an allowed role",
            "%s users may not call %s %s", r->caller.admin ? "administrator" : r->caller.org_kind,
            r->method, http__routes[r->route].pattern);
    err_detail(&e, json_pack("{s:o}", "allowed", allowed));
    http__fail(r, &e);
    return -1;
}

static int authenticate(http_req *r)
{
    const char *h =
        MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    tr_err e = TR_ERR_INIT;
    store *s;
    if (!h) return 0;
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        http__header(r, "WWW-Authenticate", "Bearer realm=\"truce\"");
        fail_with(r, 401, "auth.invalid_token", "send 'Authorization: Bearer TOKEN'",
                  "the Authorization header is not a bearer token");
        return -1;
    }
    h += 7;
    while (*h == ' ')
        h++;
    if (!(s = http__reader(r, &e)) ||
        http_auth_provider->authenticate(r->srv->auth, s, h, &r->caller, &e)) {
        if (e.status == 401) http__header(r, "WWW-Authenticate", "Bearer realm=\"truce\"");
        http__fail(r, &e);
        return -1;
    }
    return 0;
}

static void too_large(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    err_set(&e, 413, "request.too_large", NULL, "the request body is too large");
    snprintf(e.hint, sizeof e.hint, "send at most %zu bytes", r->limit);
    err_detail(&e, json_pack("{s:I}", "limit", (json_int_t)r->limit));
    http__fail(r, &e);
}

/* A body sent with Content-Encoding: gzip is inflated in place before anything reads it,
 * so that a monitor on a slow link can send a CSV export at a fifth of its size. The
 * route's limit holds for the inflated size too (a small bomb is a 413, and never more
 * than the limit is held). Other encodings are a 415. 0, or -1 with the reply made. */
static int decode_body(http_req *r)
{
    const char *enc =
        MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    tr_err e = TR_ERR_INIT;
    if (!enc || !*enc || strcasecmp(enc, "identity") == 0) return 0;
    if (strcasecmp(enc, "gzip") != 0 && strcasecmp(enc, "x-gzip") != 0) {
        fail_with(r, 415, "request.unsupported_encoding",
                  "send the body as it is, or gzip-compressed with 'Content-Encoding: gzip'",
                  "the body's Content-Encoding is not gzip");
        return -1;
    }
    z_stream z;
    buf out = BUF_INIT;
    unsigned char chunk[65536];
    int rc = Z_OK;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) abort(); /* gzip only */
    z.next_in = (unsigned char *)r->body.p;
    z.avail_in = (uInt)r->body.len;
    while (rc == Z_OK) {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        buf_append(&out, chunk, sizeof chunk - z.avail_out);
        if (out.len > r->limit) break;
    } /* a stream cut short ends with Z_BUF_ERROR, a broken one Z_DATA_ERROR: not whole */
    int whole = rc == Z_STREAM_END && z.avail_in == 0;
    inflateEnd(&z);
    if (out.len > r->limit) {
        buf_free(&out);
        err_set(&e, 413, "request.too_large", NULL,
                "the request body is too large once decompressed");
        snprintf(e.hint, sizeof e.hint, "send at most %zu bytes, decompressed", r->limit);
        err_detail(&e, json_pack("{s:I}", "limit", (json_int_t)r->limit));
        http__fail(r, &e);
        return -1;
    }
    if (!whole) {
        buf_free(&out);
        fail_with(r, 400, "request.bad_encoding", "compress the whole body with gzip, once",
                  "the body is not a complete gzip stream");
        return -1;
    }
    buf_free(&r->body);
    r->body = out;
    return 0;
}

/* X-Truce-Read-After (see must_see): a tree size, as digits; else a 400 naming it. */
static int bad_read_after(http_req *r)
{
    const char *h = http__header_in(r, "X-Truce-Read-After");
    size_t n = h ? strspn(h, "0123456789") : 0;
    if (!h || (n >= 1 && n <= 18 && !h[n])) return 0;
    tr_err e = TR_ERR_INIT;
    err_field(&e, "request.invalid_header", "X-Truce-Read-After",
              "send the tree size of your last write as digits (its X-Truce-Tree-Size, or its "
              "receipt's tree_size)",
              "'%.40s' is not a tree size", h);
    http__fail(r, &e);
    return 1;
}

static void dispatch(http_req *r)
{
    const http_route *route;
    tr_err e = TR_ERR_INIT;

    if (r->timed_out) {
        fail_with(r, 408, "request.timeout", "send the request faster",
                  "the request took too long to arrive");
        return;
    }
    if (r->route < 0) {
        if (r->path_known) {
            method_not_allowed(r);
            return;
        }
        err_set(&e, 404, "route.not_found", "see docs/api.md for the endpoints",
                "no endpoint at %s", r->url);
        http__fail(r, &e);
        return;
    }
    route = &http__routes[r->route];
    if (r->too_large) {
        too_large(r);
        return;
    }
    if (bad_read_after(r)) return;
    if (authenticate(r) || authorize(r, route->who)) return;
    if (r->body.len && decode_body(r)) return;
    if (route->flags & ROUTE_BODY) {
        const char *ct =
            MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (ct && strncasecmp(ct, "application/json", 16) != 0) {
            fail_with(r, 415, "request.unsupported_media_type",
                      "send 'Content-Type: application/json'", "the request body must be JSON");
            return;
        }
        if (!(r->json = jsx_parse(r->body.p ? r->body.p : "", r->body.len, &e))) {
            http__fail(r, &e);
            return;
        }
    } else if (r->body.len && !(route->flags & ROUTE_RAW)) {
        fail_with(r, 400, "request.unexpected_body", "send the request without a body",
                  "this endpoint takes no request body");
        return;
    }
    route->handler(r);
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------- */

static int sane_request_id(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return 0;
    return 1;
}

/* The request target as sent, kept from libmicrohttpd's URI callback (which runs before it
 * decodes anything) until the request's first call: what the access log shows, and where
 * a %00 is still visible. */
typedef struct raw_uri {
    unsigned kind; /* RAW_URI_KIND */
    char text[];
} raw_uri;
#define RAW_URI_KIND 0x52415755u /* "RAWU" */

static void *uri_seen(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)cls;
    (void)con;
    size_t n = strlen(uri);
    raw_uri *u = malloc(sizeof *u + n + 1);
    if (!u) abort();
    u->kind = RAW_URI_KIND;
    memcpy(u->text, uri, n + 1);
    return u;
}

static http_req *req_new(http_server *srv, struct MHD_Connection *con, const char *url,
                         const char *method)
{
    http_req *r = calloc(1, sizeof *r);
    const char *rid = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "X-Request-Id");
    if (!r) abort();
    r->kind = HTTP_REQ_KIND;
    r->srv = srv;
    r->con = con;
    r->route = -1;
    r->start_ns = util_mono_ns();
    r->url = arena_strdup(&r->mem, url);
    r->method = arena_strdup(&r->mem, method);
    if (sane_request_id(rid))
        snprintf(r->request_id, sizeof r->request_id, "%s", rid);
    else
        snprintf(r->request_id, sizeof r->request_id, "%s-%llu", srv->id_prefix,
                 (unsigned long long)atomic_fetch_add(&srv->next_id, 1));
    http__client_address(con, r->client, sizeof r->client);
    return r;
}

void http__client_address(struct MHD_Connection *con, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, cap, "-");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

typedef struct length_headers {
    int content_length, transfer_encoding;
    const char *first;
    int differ;
} length_headers;

static enum MHD_Result count_lengths(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    length_headers *h = cls;
    (void)kind;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (h->content_length++ && strcmp(h->first, value ? value : "") != 0) h->differ = 1;
        if (!h->first) h->first = value ? value : "";
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        h->transfer_encoding++;
    }
    return MHD_YES;
}

/* What a request says that two readers could take two ways, refused with a 400 before
 * anything of it is read (RFC 9112 6.3): Content-Length given twice with different values,
 * or beside Transfer-Encoding (a proxy and this server could split the stream differently:
 * request smuggling); a %00 in the target, which would cut a path or a value short. */
static int request_is_ambiguous(http_req *r)
{
    length_headers h = {0, 0, NULL, 0};
    MHD_get_connection_values(r->con, MHD_HEADER_KIND, count_lengths, &h);
    if (h.differ)
        return fail_with(r, 400, "request.bad_length", "send one Content-Length",
                         "the request has Content-Length headers that disagree"),
               1;
    if (h.content_length && h.transfer_encoding)
        return fail_with(r, 400, "request.bad_length",
                         "send either Content-Length or Transfer-Encoding",
                         "the request has both Content-Length and Transfer-Encoding"),
               1;
    if (r->raw_uri && strcasestr(r->raw_uri, "%00"))
        return fail_with(r, 400, "request.nul_byte", "remove the %00 from the address",
                         "the address holds a NUL byte (%00)"),
               1;
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    http_server *srv = cls;
    http_req *r = *con_cls;

    if (!r || r->kind != HTTP_REQ_KIND) {
        const char *cl;
        raw_uri *u = (raw_uri *)r;
        r = *con_cls = req_new(srv, con, url, method);
        r->http_1_1 = version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0;
        http__watch_request(srv, con, r->request_id);
        if (u) {
            r->raw_uri = arena_strdup(&r->mem, u->text);
            free(u);
        }
        if (request_is_ambiguous(r)) {
            /* Nothing of it is read or kept: the connection closes after the answer. */
            http__header(r, "Connection", "close");
            return send_reply(r);
        }
        if (atomic_load(&srv->stopping)) { /* see http_stop */
            tr_err e = TR_ERR_INIT;
            err_set(&e, 503, "server.stopping", "try again in a moment",
                    "the server is shutting down");
            http__fail(r, &e);
            return send_reply(r);
        }
        r->route = find_route(r, &r->path_known);
        r->limit = r->route >= 0 && (http__routes[r->route].flags & ROUTE_UPLOAD)
                       ? srv->cfg.max_upload
                       : srv->cfg.max_body;
        cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > r->limit) {
            r->too_large = 1;
            if (r->route < 0)
                dispatch(r);
            else
                too_large(r);
            return send_reply(r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->too_large && r->body.len + *upload_data_size > r->limit) {
            r->too_large = 1;
            buf_free(&r->body);
        }
        if (!r->too_large) buf_append(&r->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        if (util_mono_ns() - r->start_ns > (uint64_t)srv->cfg.request_timeout * 1000000000u) {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
            r->timed_out = 1;
            log_warn("%s %s: request body too slow, closing (request %s)", r->method, r->url,
                     r->request_id);
            if (ci) http__send_timeout(ci->connect_fd, srv->cfg.request_timeout);
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (r->replied) return MHD_YES;
    http__watch_phase(srv, con, WATCH_BUSY); /* arrived whole: the handler's, the writer's */
    if (r->deferred == 1) {
        /* Resumed by the writer: the write's fate is known. (Still counted in flight until
         * its reply has gone: see on_completed.) */
        r->deferred = 2;
        if (r->job.rc != 0)
            http__fail(r, &r->job.err);
        else if (r->after_write)
            r->after_write(r);
        return send_reply(r);
    }
    dispatch(r);
    if (r->deferred) return MHD_YES;
    return send_reply(r);
}

/* Text from the request for the access log, with every byte that could forge a line, split
 * a field or reach a terminal as an escape (controls, space, DEL and every byte above
 * ASCII) written %XX: a line is always one line of printable ASCII. In the request's
 * arena. */
static const char *log_safe(http_req *r, const char *text)
{
    if (!text) return "-";
    size_t n = strlen(text);
    char *out = arena_alloc(&r->mem, 3 * n + 1), *o = out;
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f) {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        } else {
            *o++ = (char)*p;
        }
    }
    *o = 0;
    return out;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    http_server *srv = cls;
    http_req *r = *con_cls;
    double secs;
    (void)con;
    if (!r) return;
    if (r->kind != HTTP_REQ_KIND) { /* ended before its first call */
        free(r);
        *con_cls = NULL;
        return;
    }
    /* A write is counted in flight from its hand-over to the writer until here, when its
     * reply has gone (or its client went away): a stop waits for that, so that no reply
     * to a write is cut off by the daemon stopping. */
    if (r->deferred) atomic_fetch_sub(&srv->inflight, 1);
    secs = (double)(util_mono_ns() - r->start_ns) / 1e9;
    {
        conn_watch *w = http__watch_of(con);
        int cut = 0, answered = 0;
        if (w) {
            int says_close = 0;
            for (int i = 0; i < HTTP_EXTRA_HEADERS; i++)
                says_close |= r->extra_header[i][0] &&
                              strcasecmp(r->extra_header[i][0], "Connection") == 0 &&
                              strcasecmp(r->extra_header[i][1], "close") == 0;
            pthread_mutex_lock(&srv->watch_lock);
            cut = w->timed_out;
            answered = w->answered; /* truce's answer to what the library could not read */
            w->closes = http__reply_closes(con, r->http_1_1, says_close, toe);
            w->request_id = NULL;
            w->phase = WATCH_WAITING; /* for the next request on this connection */
            w->since_ns = util_mono_ns();
            pthread_mutex_unlock(&srv->watch_lock);
        }
        if (!r->replied)
            r->status = answered ? answered
                        : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED || cut || r->timed_out
                            ? 408
                            : 499;
    }
    metrics_observe(srv->metrics, r->route, r->status, secs);
    if (log_access_enabled())
        log_access("%s %s %s %d %zu %.3fms %s %s%s%s", r->client, log_safe(r, r->method),
                   log_safe(r, r->raw_uri ? r->raw_uri : r->url), r->status, r->sent_bytes,
                   secs * 1e3, r->request_id, r->caller.signed_in ? r->caller.org : "-",
                   r->caller.signed_in ? "/" : "", r->caller.signed_in ? r->caller.user : "");
    if (r->cleanup) r->cleanup(r);
    if (r->heavy) atomic_fetch_sub(&srv->public_heavy, 1);
    reader_return(r);
    json_decref(r->json);
    json_decref(r->reply);
    err_clear(&r->job.err);
    free(r->job.receipt);
    buf_free(&r->body);
    buf_free(&r->raw);
    gz_free(r);
    arena_free(&r->mem);
    free(r);
    *con_cls = NULL;
}

/* ---- start / stop ------------------------------------------------------------------ */

/* The pillars' periodic work: each http_ticks entry every `every` seconds (tick_seconds
 * when set) on a leased reader, writing through the writer; a failure is logged and the
 * work tried again next time. The thread wakes each second to see what is due. */
static void *ticker(void *arg)
{
    http_server *srv = arg;
    uint64_t last[16] = {0};
    pthread_mutex_lock(&srv->tick_lock);
    while (!srv->tick_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        while (!srv->tick_stop &&
               pthread_cond_timedwait(&srv->tick_wake, &srv->tick_lock, &until) == 0) {
        }
        if (srv->tick_stop) break;
        pthread_mutex_unlock(&srv->tick_lock);
        uint64_t now = util_mono_ns();
        store *s = NULL;
        for (size_t i = 0; http_ticks[i].fn && i < 16; i++) {
            unsigned every =
                srv->cfg.tick_seconds > 0 ? (unsigned)srv->cfg.tick_seconds : http_ticks[i].every;
            if (last[i] && now - last[i] < (uint64_t)every * 1000000000u) continue;
            last[i] = now;
            tr_err e = TR_ERR_INIT;
            if (!s && !(s = lease(srv, &srv->readers, &e))) {
                log_warn("periodic work: no reader: %s", e.message);
                err_clear(&e);
                break;
            }
            if (http_ticks[i].fn(s, srv->writer, every, &e)) {
                log_warn("periodic work %zu failed: %s (%s)", i, e.message, e.code);
                err_clear(&e);
            }
        }
        if (s) give_back(&srv->readers, &s);
        pthread_mutex_lock(&srv->tick_lock);
    }
    pthread_mutex_unlock(&srv->tick_lock);
    return NULL;
}

http_server *http_start(const http_config *cfg, tr_err *e)
{
    http_server *srv = calloc(1, sizeof *srv);
    struct sockaddr_storage ss;
    store *ws;
    unsigned flags;
    const union MHD_DaemonInfo *info;

    if (!srv) abort();
    srv->cfg = *cfg;
    if (!srv->cfg.listen) srv->cfg.listen = "127.0.0.1:8080";
    if (!srv->cfg.threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        srv->cfg.threads = n > 0 ? (unsigned)n : 2;
    }
    if (!srv->cfg.max_body) srv->cfg.max_body = 1024 * 1024;
    if (!srv->cfg.max_upload) srv->cfg.max_upload = 20u * 1024 * 1024;
    if (srv->cfg.public_heavy == 0) srv->cfg.public_heavy = 4;
    if (srv->cfg.public_heavy < 0) srv->cfg.public_heavy = 0; /* none */
    if (!srv->cfg.idle_timeout) srv->cfg.idle_timeout = 30;
    if (!srv->cfg.request_timeout) srv->cfg.request_timeout = 60;
    if (!srv->cfg.stop_grace_ms) srv->cfg.stop_grace_ms = 5000;
    pthread_mutex_init(&srv->readers.lock, NULL);
    pthread_mutex_init(&srv->watch_lock, NULL);
    pthread_cond_init(&srv->watch_wake, NULL);
    pthread_mutex_init(&srv->tick_lock, NULL);
    pthread_cond_init(&srv->tick_wake, NULL);
    pthread_mutex_init(&srv->log_readers.lock, NULL);
    pthread_mutex_init(&srv->replica_readers.lock, NULL);
    srv->replica_readers.flags = STORE_READONLY;
    /* Log readers map the file: proofs and tiles read random pages of a large tree, and
     * reading them through the mapping copies nothing. Other readers do not, since every
     * checkpoint of a growing file would make each of them remap it. */
    srv->log_readers.flags = STORE_MMAP;
    util_random_hex(srv->id_prefix, 4);
    if (http__parse_listen(srv->cfg.listen, &ss, e)) goto fail;

    /* 2^21 slots (84 MB, touched only as they fill): all but the lowest levels of a tree
     * of ten million entries. */
    srv->tree_cache = tree_cache_new(21);
    ws = store_open(cfg->db_path, 0, e);
    if (!ws) goto fail;
    ws->tree_cache = srv->tree_cache;
    {
        char key[4096];
        note_signer signer;
        if (journal_key_file(cfg->db_path, key, sizeof key, e) ||
            note_signer_load(&signer, key, e) || journal_attach(ws, &signer, e)) {
            ws->ops->close(ws);
            sodium_memzero(&signer, sizeof signer);
            goto fail;
        }
        srv->signer_v = signer.v;
        sodium_memzero(&signer, sizeof signer);
    }
    srv->writer = writer_start(ws, e);
    if (!srv->writer) {
        ws->ops->close(ws);
        goto fail;
    }
    http__routes_init();
    srv->route_names = calloc(http__n_routes, sizeof *srv->route_names);
    if (!srv->route_names) abort();
    for (size_t i = 0; i < http__n_routes; i++) {
        size_t n = strlen(http__routes[i].method) + strlen(http__routes[i].pattern) + 2;
        char *name = malloc(n);
        if (!name) abort();
        snprintf(name, n, "%s %s", http__routes[i].method, http__routes[i].pattern);
        srv->route_names[i] = name;
    }
    srv->metrics = metrics_new(srv->route_names, http__n_routes);
    /* Sign-in: free tries, then waits doubling from 1 s to 15 min, forgotten an hour after
     * the last failure (see h_login). */
    srv->login_pair = throttle_new_growing(3, 15 * 60, 60 * 60);
    srv->login_user = throttle_new_growing(10, 15 * 60, 60 * 60);
    srv->login_addr = throttle_new_growing(30, 15 * 60, 60 * 60);
    srv->login_known = throttle_new_growing(0, 0, 0);
    srv->public_reports = throttle_new(HTTP_PUBLIC_REPORTS, 60 * 60);
    srv->auth = http_auth_provider->state_new();
    http_auth_provider->prepare();

    int lfd = http__open_listener(&ss, srv->cfg.listen, e);
    if (lfd < 0) goto fail;
    if (pthread_create(&srv->watchdog, NULL, http__watchdog, srv) != 0) {
        close(lfd);
        err_set(e, 500, "serve.start_failed", NULL, "cannot start the connection watchdog");
        goto fail;
    }
    srv->watch_running = 1;
    if (srv->cfg.tick_seconds >= 0 && pthread_create(&srv->ticker, NULL, ticker, srv) == 0)
        srv->tick_running = 1;
    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_TURBO | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, http__library_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)srv->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)srv->cfg.idle_timeout + 2,
        /* after the watchdog's 408 (see http__watchdog) */ MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)4096, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_URI_LOG_CALLBACK,
        uri_seen, srv, MHD_OPTION_NOTIFY_CONNECTION, http__on_connection, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        close(lfd);
        err_set(e, 500, "serve.listen_failed", "see the messages above", "cannot serve on %s",
                srv->cfg.listen);
        goto fail;
    }
    {
        struct sockaddr_storage bound;
        socklen_t blen = sizeof bound;
        if (getsockname(lfd, (struct sockaddr *)&bound, &blen) == 0)
            srv->port =
                ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                  : ((struct sockaddr_in *)&bound)->sin_port);
    }
    (void)info;
    return srv;
fail:
    http_stop(srv);
    return NULL;
}

uint16_t http_port(const http_server *srv)
{
    return srv->port;
}

void http_stop(http_server *srv)
{
    if (!srv) return;
    if (srv->daemon) {
        /* Not MHD_quiesce_daemon: with epoll and a thread pool it races with the workers'
         * own removal of the listening socket from their epoll sets, and libmicrohttpd
         * 0.9.75 aborts the process when it loses ("Failed to remove listen FD from epoll
         * set": it happened once in a test run). New requests are answered 503 instead
         * while the ones waiting on the writer finish. */
        atomic_store(&srv->stopping, 1);
        /* libmicrohttpd aborts the process when stopped with a connection suspended, so
         * every request waiting on the writer gets its answer first: the writes queued
         * get the grace period to run, then are refused (503, nothing of them written);
         * the batch being written is waited for, however long it takes. */
        uint64_t start = util_mono_ns(), grace = (uint64_t)srv->cfg.stop_grace_ms * 1000000u;
        int refused = 0;
        for (unsigned i = 0;; i++) {
            struct timespec ts = {0, 5000000L};
            if (!refused && util_mono_ns() - start >= grace) {
                tr_err why = TR_ERR_INIT;
                err_set(&why, 503, "server.stopping",
                        "send it again when the server is back: nothing of it was written",
                        "the server stopped before this write could be made");
                size_t n = writer_refuse_queued(srv->writer, &why);
                err_clear(&why);
                log_warn("stopping: %zu queued write%s refused, %ld still being written", n,
                         n == 1 ? "" : "s", (long)atomic_load(&srv->inflight) - (long)n);
                refused = 1;
            }
            if (refused && i % 1000 == 999)
                log_warn("stopping: waiting for %ld writes to finish",
                         (long)atomic_load(&srv->inflight));
            nanosleep(&ts, NULL);
            if (atomic_load(&srv->inflight) == 0) { /* close the gate, then look again */
                atomic_store(&srv->stopping, 2);
                if (atomic_load(&srv->inflight) == 0) break;
            }
        }
        atomic_store(&srv->stopping, 2);
        MHD_stop_daemon(srv->daemon);
    }
    if (srv->watch_running) {
        pthread_mutex_lock(&srv->watch_lock);
        srv->watch_stop = 1;
        pthread_cond_signal(&srv->watch_wake);
        pthread_mutex_unlock(&srv->watch_lock);
        pthread_join(srv->watchdog, NULL);
    }
    pthread_mutex_destroy(&srv->watch_lock);
    pthread_cond_destroy(&srv->watch_wake);
    if (srv->tick_running) {
        pthread_mutex_lock(&srv->tick_lock);
        srv->tick_stop = 1;
        pthread_cond_signal(&srv->tick_wake);
        pthread_mutex_unlock(&srv->tick_lock);
        pthread_join(srv->ticker, NULL);
    }
    pthread_mutex_destroy(&srv->tick_lock);
    pthread_cond_destroy(&srv->tick_wake);
    writer_stop(srv->writer);
    pool_close(&srv->readers);
    pool_close(&srv->log_readers);
    pool_close(&srv->replica_readers);
    tree_cache_free(srv->tree_cache);
    if (srv->route_names)
        for (size_t i = 0; i < http__n_routes; i++)
            free((char *)srv->route_names[i]);
    free(srv->route_names);
    metrics_free(srv->metrics);
    throttle_free(srv->login_pair);
    throttle_free(srv->login_user);
    throttle_free(srv->login_addr);
    throttle_free(srv->login_known);
    throttle_free(srv->public_reports);
    if (srv->auth) http_auth_provider->state_free(srv->auth);
    free(srv);
}
