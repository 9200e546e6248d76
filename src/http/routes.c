/* routes.c - the API's table of contents: the server's own routes (health, metrics, the
 * journal and the Merkle log) and the pillars' tables, which the registry lists
 * (src/pillars.c), merged once into http__routes.
 *
 * Merging sorts the routes so that at every segment a literal comes before a {parameter}
 * or a final * ("/api/v1/incidents/stats" before "/api/v1/incidents/{id}"), keeping each
 * table's order otherwise; the router takes the first match. A test checks that no two
 * routes of one method have the same shape. docs/api.md documents every route. */
#include "http/internal.h"

#include "http/handler.h"
#include "http/log_routes.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int h_healthz(http_req *r)
{
    return http__reply(r, 200, json_pack("{s:s, s:s}", "status", "ok", "version", TRUCE_VERSION));
}

static int h_metrics(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_stats st = {0};
    writer_stats ws;
    store *s = http__reader_or_fail(r);
    if (!s) return 0;
    if (s->ops->stats(s, &st, &e)) return http__fail(r, &e);
    writer_get_stats(r->srv->writer, &ws);
    metrics_render(r->srv->metrics, &r->raw);
    buf_printf(&r->raw,
               "# HELP truce_journal_length Events in the journal.\n"
               "# TYPE truce_journal_length gauge\ntruce_journal_length %lld\n"
               "# HELP truce_database_bytes Size of the database file and its WAL.\n"
               "# TYPE truce_database_bytes gauge\ntruce_database_bytes %lld\n"
               "# HELP truce_write_batches_total Transactions committed by the group "
               "committer.\n"
               "# TYPE truce_write_batches_total counter\ntruce_write_batches_total %llu\n"
               "# HELP truce_write_jobs_total Writes run by the group committer.\n"
               "# TYPE truce_write_jobs_total counter\ntruce_write_jobs_total %llu\n",
               (long long)st.journal_length, (long long)st.db_bytes, (unsigned long long)ws.batches,
               (unsigned long long)ws.jobs);
    r->status = 200;
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return 0;
}

static int h_index(http_req *r)
{
    char name[STORE_NAME_MAX] = "", scenario[STORE_NAME_MAX] = "";
    tr_err e = TR_ERR_INIT;
    store *s = http__reader_or_fail(r);
    if (!s) return 0;
    if (s->ops->meta_get(s, "name", name, sizeof name, &e) < 0 ||
        s->ops->meta_get(s, "scenario", scenario, sizeof scenario, &e) < 0)
        return http__fail(r, &e);
    /* The log's key, for a browser checking a proof (what a careful verifier compares with
     * a copy the deployment publishes elsewhere). */
    buf key = BUF_INIT;
    note_verifier_format(&r->srv->signer_v, &key);
    json_t *out = json_pack("{s:s, s:s, s:s?, s:s, s:s}", "name", name, "version", TRUCE_VERSION,
                            "scenario", scenario[0] ? scenario : NULL, "docs", "docs/api.md",
                            "log_key", key.p ? key.p : "");
    buf_free(&key);
    return http__reply(r, 200, out);
}

static int h_journal(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    long long after = 0, limit = 100;
    http__journal_page p;
    store *s;
    if (http__page_params(r, &after, &limit)) return 0;
    if (!(s = http__reader_or_fail(r))) return 0;
    p.events = json_array();
    p.reader = journal_reader_of(&r->caller);
    p.batches_brief = 0;
    if (s->ops->journal_scan(s, after, limit, http__journal_cb, &p, &e)) {
        json_decref(p.events);
        return http__fail(r, &e);
    }
    return http__reply(r, 200, json_pack("{s:o}", "events", p.events));
}

/* ---- the table --------------------------------------------------------------------- */

/* GET /api/v1/openapi.json: the API as OpenAPI 3.1, from the route table. */
static int h_openapi(http_req *r)
{
    r->cache_control = "public, max-age=3600";
    return http__reply(r, 200, json_incref(http__openapi()));
}

static const http_route service_routes[] = {
    /* method  path                       handler            who                flags */
    {"GET", "/healthz", h_healthz, WHO_PUBLIC, 0, NULL},
    {"GET", "/metrics", h_metrics, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1", h_index, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/openapi.json", h_openapi, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/journal", h_journal, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/log/checkpoint", h_log_checkpoint, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/log/entries", h_log_entries, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/log/proof/inclusion", h_log_inclusion, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/log/proof/consistency", h_log_consistency, WHO_PUBLIC, 0, NULL},
    {"GET", "/tile/*", h_log_tile, WHO_PUBLIC, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};

const http_route *http__routes;
size_t http__n_routes;

/* Each segment's kind: 0 a literal, 1 a {parameter}, 2 the final *. */
static int segment_kind(const char *seg)
{
    return seg[0] == '{' ? 1 : seg[0] == '*' ? 2 : 0;
}

/* Literal segments before parameters at the first segment where the kinds differ. */
static int more_specific(const http_route *a, const http_route *b)
{
    const char *p = a->pattern, *q = b->pattern;
    while (*p && *q) {
        p += *p == '/', q += *q == '/';
        int ka = segment_kind(p), kb = segment_kind(q);
        if (ka != kb) return ka < kb;
        p += strcspn(p, "/"), q += strcspn(q, "/");
    }
    return 0;
}

static void merge(void)
{
    size_t n = 0, k = 0;
    for (const http_route *r = service_routes; r->method; r++)
        n++;
    for (const http_route *const *t = http_route_tables; *t; t++)
        for (const http_route *r = *t; r->method; r++)
            n++;
    http_route *all = calloc(n, sizeof *all);
    if (!all) abort();
    for (const http_route *r = service_routes; r->method; r++)
        all[k++] = *r;
    for (const http_route *const *t = http_route_tables; *t; t++)
        for (const http_route *r = *t; r->method; r++)
            all[k++] = *r;
    /* A stable insertion sort: at most a few hundred routes, once. */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && more_specific(&all[j], &all[j - 1]); j--) {
            http_route t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
        }
    http__routes = all;
    http__n_routes = n;
}

void http__routes_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, merge);
}
