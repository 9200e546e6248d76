/* test_api.c - the real server on an ephemeral port, spoken to over HTTP with libcurl.
 *
 * Covers the access table (every route against every kind of caller), bad input (each
 * gets a clear 4xx, the server keeps serving, and the journal does not grow), sign-in and
 * its throttle, tokens, request ids, metrics, journal visibility, concurrent writes and
 * slow clients. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "accounts/store.h"

#include "aid/store.h"

#include "core/codes.h"

#include "accounts/accounts.h"
#include "http/internal.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sodium.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static th_server T;

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    th_server_start(&T, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    th_server_stop(&T);
    curl_global_cleanup();
    return 0;
}

/* Sends a request and returns the status; the response is freed unless out is given. */
static long req(const char *method, const char *path, const char *token, const char *body,
                th_resp *out)
{
    th_resp r;
    long status;
    assert_int_equal(
        th_http(method, th_url(&T, path), token, body, body ? strlen(body) : 0, NULL, &r), 0);
    status = r.status;
    if (out)
        *out = r;
    else
        th_resp_free(&r);
    return status;
}

/* A POST of `body` with its Content-Type and, when not NULL, one more header line. */
static long post_with(const char *path, const char *token, const void *body, size_t len,
                      const char *ctype, const char *header, th_resp *out)
{
    char ct[128];
    const char *headers[3] = {ct, header, NULL};
    th_resp r;
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
    assert_int_equal(th_http_with("POST", th_url(&T, path), token, body, len, headers, &r), 0);
    long status = r.status;
    if (out)
        *out = r;
    else
        th_resp_free(&r);
    return status;
}

static void assert_error_shape(const th_resp *r)
{
    json_t *err = json_object_get(r->json, "error");
    assert_non_null(err);
    assert_true(json_is_string(json_object_get(err, "code")));
    assert_true(json_is_string(json_object_get(err, "message")));
    assert_non_null(json_object_get(err, "detail"));
    assert_non_null(json_object_get(err, "hint"));
    assert_int_equal(json_object_size(err), 4);
}

/* ---- the access table -------------------------------------------------------------- */

enum { ANON, PARTY, MEDIATOR, MONITOR, HUMANITARIAN, OBSERVER, ADMIN, N_ROLES };
static const char *const role_names[N_ROLES] = {"anon",         "party",    "mediator", "monitor",
                                                "humanitarian", "observer", "admin"};
static const char *tokens[N_ROLES];

/* Signs in one user of each kind. The demo has no ordinary observer, so one is made. */
static void sign_in_everyone(void)
{
    const char *admin = th_login(&T, "admin", "demo-admin");
    req("POST", "/api/v1/orgs", admin,
        "{\"slug\":\"press\",\"name\":\"Press pool\",\"kind\":\"observer\"}", NULL);
    req("POST", "/api/v1/users", admin,
        "{\"name\":\"journalist\",\"org\":\"press\",\"password\":\"journalist-pw\"}", NULL);
    tokens[ANON] = NULL;
    tokens[PARTY] = th_login(&T, "israel", "demo-israel");
    tokens[MEDIATOR] = th_login(&T, "usa", "demo-usa");
    tokens[MONITOR] = th_login(&T, "un", "demo-un-monitor");
    tokens[HUMANITARIAN] = th_login(&T, "wfp", "demo-wfp");
    tokens[OBSERVER] = th_login(&T, "journalist", "journalist-pw");
    tokens[ADMIN] = admin;
}

/* Expected outcome per role, in the order of role_names: A = allowed (the route's own
 * status), U = 401, F = 403, N = 404 (allowed by the route, but the negotiation is not the
 * caller's). Written out by hand, independently of the route table. */
static const struct access_case {
    const char *method, *pattern, *path, *body; /* %s in path/body: the role name. */
    const char *expect;
    long ok;   /* Status when allowed. */
    int fresh; /* Sign in anew for this case (the call spends the token). */
} access_cases[] = {
    {"GET", "/healthz", "/healthz", NULL, "AAAAAAA", 200, 0},
    {"GET", "/metrics", "/metrics", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1", "/api/v1", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/openapi.json", "/api/v1/openapi.json", NULL, "AAAAAAA", 200, 0},
    {"POST", "/api/v1/login", "/api/v1/login", "{\"user\":\"erc\",\"password\":\"demo-erc\"}",
     "AAAAAAA", 201, 0},
    {"POST", "/api/v1/logout", "/api/v1/logout", NULL, "UAAAAAA", 200, 1},
    {"GET", "/api/v1/me", "/api/v1/me", NULL, "UAAAAAA", 200, 0},
    {"POST", "/api/v1/tokens", "/api/v1/tokens", "{\"label\":\"%s\"}", "UAAAAAA", 201, 0},
    {"DELETE", "/api/v1/tokens/{id}", "/api/v1/tokens/0000000000000000", NULL, "UAAAAAA", 404, 0},
    {"GET", "/api/v1/orgs", "/api/v1/orgs", NULL, "AAAAAAA", 200, 0},
    {"POST", "/api/v1/orgs", "/api/v1/orgs",
     "{\"slug\":\"org-%s\",\"name\":\"X\",\"kind\":\"observer\"}", "UFFFFFA", 201, 0},
    {"GET", "/api/v1/orgs/{slug}", "/api/v1/orgs/israel", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/orgs/{slug}/keys", "/api/v1/orgs/israel/keys", NULL, "AAAAAAA", 200, 0},
    /* Monitors and administrators say which actors stand for an organization. */
    {"PUT", "/api/v1/orgs/{slug}/actors", "/api/v1/orgs/press/actors",
     "{\"actors\":[\"Press pool (%s)\"]}", "UFFAFFA", 200, 0},
    /* Only Israel's users and administrators may register Israel's keys; the role name is
     * not a key, so those allowed get 400 key.bad_format. */
    {"POST", "/api/v1/orgs/{slug}/keys", "/api/v1/orgs/israel/keys", "{\"public_key\":\"%s\"}",
     "UAFFFFA", 400, 0},
    {"GET", "/api/v1/users", "/api/v1/users", NULL, "UFFFFFA", 200, 0},
    {"POST", "/api/v1/users", "/api/v1/users",
     "{\"name\":\"user-%s\",\"org\":\"un\",\"password\":\"password-123\"}", "UFFFFFA", 201, 0},
    {"GET", "/api/v1/negotiations", "/api/v1/negotiations", NULL, "UAAAAAA", 200, 0},
    {"POST", "/api/v1/negotiations", "/api/v1/negotiations",
     "{\"title\":\"%s\",\"parties\":[\"israel\",\"hamas\"],\"mediators\":[\"usa\"],"
     "\"issues\":[{\"name\":\"Trucks\",\"options\":[\"300\",\"600\"]}]}",
     "UFAFFFF", 201, 0},
    {"GET", "/api/v1/negotiations/{id}", "/api/v1/negotiations/2", NULL, "UAANNNN", 200, 0},
    {"PUT", "/api/v1/negotiations/{id}/profile", "/api/v1/negotiations/2/profile",
     "{\"weights\":{\"Trucks\":1},\"values\":{\"Trucks\":{\"300\":1,\"600\":0}}}", "UAFFFFF", 200,
     0},
    {"GET", "/api/v1/negotiations/{id}/profile", "/api/v1/negotiations/2/profile", NULL, "UAFFFFF",
     200, 0},
    {"POST", "/api/v1/negotiations/{id}/texts", "/api/v1/negotiations/2/texts",
     "{\"package\":{\"Trucks\":\"300\"},\"rationale\":{\"Trucks\":\"%s\"}}", "UFAFFFF", 201, 0},
    {"POST", "/api/v1/negotiations/{id}/texts/{n}/send", "/api/v1/negotiations/2/texts/1/send",
     "{}", "UFAFFFF", 200, 0},
    {"GET", "/api/v1/negotiations/{id}/texts/{n}", "/api/v1/negotiations/2/texts/1", NULL,
     "UAANNNN", 200, 0},
    {"POST", "/api/v1/negotiations/{id}/texts/{n}/responses",
     "/api/v1/negotiations/2/texts/1/responses", "{\"overall\":\"accept\"}", "UAFFFFF", 201, 0},
    {"GET", "/api/v1/negotiations/{id}/analysis", "/api/v1/negotiations/2/analysis", NULL,
     "UFAFFFF", 200, 0},
    {"POST", "/api/v1/negotiations/{id}/suggestions", "/api/v1/negotiations/2/suggestions", "{}",
     "UFAFFFF", 200, 0},
    /* Hamas has not accepted: allowed callers get 409 agreement.not_accepted. */
    {"POST", "/api/v1/negotiations/{id}/agreement", "/api/v1/negotiations/2/agreement",
     "{\"text\":1,\"effective\":\"2025-01-19\"}", "UFAFFFF", 409, 0},
    {"GET", "/api/v1/agreements/{id}", "/api/v1/agreements/2", NULL, "UNNNNNN", 200, 0},
    /* Last: it closes negotiation 2. Only the mediator may, once. */
    {"POST", "/api/v1/negotiations/{id}/abandon", "/api/v1/negotiations/2/abandon",
     "{\"reason\":\"%s\"}", "UFAFFFF", 200, 0},
    {"POST", "/api/v1/agreements/{id}/signatures", "/api/v1/agreements/2/signatures",
     "{\"org\":\"israel\",\"signature\":\"AAAA\"}", "UNFFFFF", 200, 0},
    {"GET", "/api/v1/crossings", "/api/v1/crossings", NULL, "AAAAAAA", 200, 0},
    {"POST", "/api/v1/crossings", "/api/v1/crossings",
     "{\"slug\":\"c-%s\",\"name\":\"C\",\"lat\":31.3,\"lon\":34.3}", "UFAFAFA", 201, 0},
    {"GET", "/api/v1/zones", "/api/v1/zones", NULL, "AAAAAAA", 200, 0},
    {"POST", "/api/v1/zones", "/api/v1/zones",
     "{\"slug\":\"z-%s\",\"name\":\"Z\",\"kind\":\"buffer-zone\",\"geometry\":"
     "{\"type\":\"Polygon\",\"coordinates\":[[[34.2,31.2],[34.3,31.2],[34.3,31.3],"
     "[34.2,31.2]]]}}",
     "UFAAFFA", 201, 0},
    /* Every role files one (the public too, rate-limited); report 2 is the party's
     * (Israel's), which humanitarian organizations and observers may not see. */
    {"POST", "/api/v1/reports", "/api/v1/reports",
     "{\"event_date\":\"2025-01-20\",\"time_precision\":1,\"event_type\":\"Explosions/"
     "Remote violence\",\"sub_event_type\":\"Air/drone strike\",\"actor1\":\"Unknown\","
     "\"latitude\":31.52,\"longitude\":34.45,\"geo_precision\":1,\"location\":\"Gaza\","
     "\"notes\":\"%s\"}",
     "AAAAAAA", 201, 0},
    {"GET", "/api/v1/reports", "/api/v1/reports", NULL, "UAAAAAA", 200, 0},
    {"GET", "/api/v1/reports/{id}", "/api/v1/reports/2", NULL, "UAAANNA", 200, 0},
    {"GET", "/api/v1/reports/{id}/duplicates", "/api/v1/reports/2/duplicates", NULL, "UFAAFFA", 200,
     0},
    /* Monitors add reports to incidents; into a missing one is a 400 for those allowed. */
    {"POST", "/api/v1/reports/{id}/merge", "/api/v1/reports/2/merge",
     "{\"into\":999999,\"reason\":\"%s\"}", "UFFAFFA", 400, 0},
    {"GET", "/api/v1/incidents", "/api/v1/incidents", NULL, "AAAAAAA", 200, 0},
    /* Monitors open incidents (the first is incident 1, naming Israel's forces)... */
    {"POST", "/api/v1/incidents", "/api/v1/incidents",
     "{\"event_date\":\"2025-01-20\",\"time_precision\":1,\"event_type\":\"Explosions/"
     "Remote violence\",\"sub_event_type\":\"Air/drone strike\",\"actor1\":\"Military "
     "Forces of Israel (2022-)\",\"latitude\":31.52,\"longitude\":34.45,\"geo_precision\":1,"
     "\"location\":\"Gaza\",\"notes\":\"%s\"}",
     "UFFAFFA", 201, 0},
    /* ...which is reported: no one may uphold it yet (409 for those allowed to try)... */
    {"POST", "/api/v1/incidents/{id}/transitions", "/api/v1/incidents/1/transitions",
     "{\"to\":\"upheld\",\"reason\":\"%s\"}", "UFAAFFA", 409, 0},
    /* ...nor dispute it, not being verified (Israel is named, so it gets that far). */
    {"POST", "/api/v1/incidents/{id}/disputes", "/api/v1/incidents/1/disputes",
     "{\"reason\":\"%s\"}", "UAFFFFF", 409, 0},
    {"GET", "/api/v1/incidents/{id}/duplicates", "/api/v1/incidents/1/duplicates", NULL, "UFAAFFA",
     200, 0},
    /* Monitors merge; into itself is a 400 for those allowed to try. */
    {"POST", "/api/v1/incidents/{id}/merge", "/api/v1/incidents/1/merge",
     "{\"into\":1,\"reason\":\"%s\"}", "UFFAFFA", 400, 0},
    /* Monitors dismiss candidates; the incident itself, or no such incident, is a 400. */
    {"POST", "/api/v1/incidents/{id}/duplicates/dismiss", "/api/v1/incidents/1/duplicates/dismiss",
     "{\"candidate\":1,\"reason\":\"%s\"}", "UFFAFFA", 400, 0},
    {"POST", "/api/v1/reports/{id}/duplicates/dismiss", "/api/v1/reports/2/duplicates/dismiss",
     "{\"candidate\":999999,\"reason\":\"%s\"}", "UFFAFFA", 400, 0},
    /* Any account uploads evidence; the role name sent as JSON is plain text, a 415. */
    {"POST", "/api/v1/evidence", "/api/v1/evidence", "%s", "UAAAAAA", 415, 0},
    {"GET", "/api/v1/evidence/{sha256}",
     "/api/v1/evidence/0000000000000000000000000000000000000000000000000000000000000000", NULL,
     "UAAAAAA", 404, 0},
    /* Any account sends evidence in pieces; a piece without Upload-* headers is a 400, and
     * nobody has an upload of this file in progress (404). */
    {"PATCH", "/api/v1/evidence/uploads/{sha256}",
     "/api/v1/evidence/uploads/0000000000000000000000000000000000000000000000000000000000000000",
     "%s", "UAAAAAA", 400, 0},
    {"GET", "/api/v1/evidence/uploads/{sha256}",
     "/api/v1/evidence/uploads/0000000000000000000000000000000000000000000000000000000000000000",
     NULL, "UAAAAAA", 404, 0},
    /* Monitors import; a role name sent as JSON is not a CSV file (415). */
    {"POST", "/api/v1/imports/acled", "/api/v1/imports/acled", "%s", "UFFAFFA", 415, 0},
    {"GET", "/api/v1/incidents.geojson", "/api/v1/incidents.geojson", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/incidents.csv", "/api/v1/incidents.csv?format=hxl", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/incidents/stats", "/api/v1/incidents/stats", NULL, "AAAAAAA", 200, 0},
    /* Incident 1 is only reported: for those who see verified incidents only, it does not
     * exist. */
    {"GET", "/api/v1/incidents/{id}", "/api/v1/incidents/1", NULL, "NNAANNA", 200, 0},
    {"GET", "/api/v1/incidents/{id}/history", "/api/v1/incidents/1/history", NULL, "NNAANNA", 200,
     0},
    {"GET", "/api/v1/journal", "/api/v1/journal", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/log/checkpoint", "/api/v1/log/checkpoint", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/log/entries", "/api/v1/log/entries?start=0&end=3", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/log/proof/inclusion", "/api/v1/log/proof/inclusion?index=2", NULL, "AAAAAAA",
     200, 0},
    {"GET", "/api/v1/log/proof/consistency", "/api/v1/log/proof/consistency?from=2&to=5", NULL,
     "AAAAAAA", 200, 0},
    {"GET", "/tile/*", "/tile/0/000.p/3", NULL, "AAAAAAA", 200, 0},
};
#define N_ACCESS (sizeof access_cases / sizeof access_cases[0])

static const char *login_for[N_ROLES][2] = {
    {NULL, NULL},
    {"israel", "demo-israel"},
    {"usa", "demo-usa"},
    {"un", "demo-un-monitor"},
    {"wfp", "demo-wfp"},
    {"journalist", "journalist-pw"},
    {"admin", "demo-admin"},
};

static void every_route_is_in_the_access_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < http__n_routes; i++) {
        int found = 0;
        for (size_t j = 0; j < N_ACCESS; j++)
            if (strcmp(http__routes[i].method, access_cases[j].method) == 0 &&
                strcmp(http__routes[i].pattern, access_cases[j].pattern) == 0)
                found = 1;
        if (!found)
            fail_msg("route %s %s has no row in the access table", http__routes[i].method,
                     http__routes[i].pattern);
    }
    assert_int_equal(N_ACCESS, http__n_routes);
}

/* The pillars' tables merged: no two routes of one method have the same shape (their
 * parameters' names aside), and a literal segment comes before a parameter at the same
 * place, so that /incidents/stats is not taken for an incident's id. */
static void routes_do_not_overlap(void **state)
{
    (void)state;
    char shapes[256][160];
    assert_true(http__n_routes < 256);
    for (size_t i = 0; i < http__n_routes; i++) {
        const char *p = http__routes[i].pattern;
        size_t n = 0;
        while (*p && n < sizeof shapes[i] - 3) {
            if (*p == '{') {
                shapes[i][n++] = '{';
                shapes[i][n++] = '}';
                p = strchr(p, '}') + 1;
            } else {
                shapes[i][n++] = *p++;
            }
        }
        shapes[i][n] = 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(http__routes[i].method, http__routes[j].method) == 0 &&
                strcmp(shapes[i], shapes[j]) == 0)
                fail_msg("%s %s overlaps %s", http__routes[i].method, http__routes[i].pattern,
                         http__routes[j].pattern);
    }
    size_t stats = SIZE_MAX, by_id = SIZE_MAX;
    for (size_t i = 0; i < http__n_routes; i++) {
        if (strcmp(http__routes[i].method, "GET") != 0) continue;
        if (strcmp(http__routes[i].pattern, "/api/v1/incidents/stats") == 0) stats = i;
        if (strcmp(http__routes[i].pattern, "/api/v1/incidents/{id}") == 0) by_id = i;
    }
    assert_true(stats < by_id && by_id != SIZE_MAX);
}

/* Whether a concrete path (no query) is one of the pattern's. */
static int path_matches(const char *pattern, const char *path)
{
    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/') return 0;
        pattern++, path++;
        size_t pl = strcspn(pattern, "/"), ul = strcspn(path, "/");
        if (pattern[0] == '*') return ul > 0;
        if (pattern[0] != '{' && (pl != ul || memcmp(pattern, path, pl) != 0)) return 0;
        if (ul == 0) return 0;
        pattern += pl, path += ul;
    }
    return *pattern == 0 && *path == 0;
}

/* GET /api/v1/openapi.json: OpenAPI 3.1 made from the route table, every route in it with
 * who may call it and, for a JSON body, exactly the fields its schema takes. And every
 * example of docs/api.md (its curl commands) is a route of the table whose body, when it
 * has one, passes the route's schema. */
static void the_openapi_document_and_the_examples(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(req("GET", "/api/v1/openapi.json", NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "openapi")), "3.1.0");
    json_t *paths = json_object_get(r.json, "paths");
    size_t ops = 0;
    const char *k;
    json_t *v;
    json_object_foreach(paths, k, v) ops += json_object_size(v);
    assert_int_equal(ops, http__n_routes);
    for (size_t i = 0; i < http__n_routes; i++) {
        const http_route *rt = &http__routes[i];
        char path[256], method[16];
        snprintf(path, sizeof path, "%s", rt->pattern);
        if (strcmp(path, "/tile/*") == 0) snprintf(path, sizeof path, "/tile/{tile}");
        size_t n = 0;
        for (; rt->method[n]; n++)
            method[n] = (char)(rt->method[n] | 0x20);
        method[n] = 0;
        json_t *op = json_object_get(json_object_get(paths, path), method);
        if (!op) fail_msg("%s %s is not in the OpenAPI document", rt->method, rt->pattern);
        assert_int_equal(json_object_get(op, "security") != NULL, !(rt->who & WHO_PUBLIC));
        if (!(rt->flags & ROUTE_BODY)) continue;
        json_t *body = json_object_get(op, "requestBody");
        json_t *content = json_object_get(json_object_get(body, "content"), "application/json");
        json_t *props = json_object_get(json_object_get(content, "schema"), "properties");
        size_t fields = 0;
        for (const jsx_field *f = rt->body; f->name; f++, fields++)
            if (!json_object_get(props, f->name))
                fail_msg("%s %s: '%s' is not in its schema", rt->method, rt->pattern, f->name);
        assert_int_equal(json_object_size(props), fields);
    }
    th_resp_free(&r);

    /* The examples: a "$ " line running curl, with the lines that continue it (a final
     * backslash, or a quoted body still open). */
    char *doc = th_slurp(TRUCE_SOURCE_ROOT "/docs/api.md", NULL);
    int examples = 0, bodies = 0;
    int *seen = calloc(http__n_routes, sizeof *seen);
    for (char *at = strstr(doc, "\n$ "); at; at = strstr(at + 1, "\n$ ")) {
        const char *eol = strchr(at + 1, '\n');
        const char *c = strstr(at + 1, "curl ");
        if (!c || (eol && c > eol)) continue;
        buf cmd = BUF_INIT;
        const char *line = at + 1;
        int quotes = 0;
        for (;;) {
            const char *end = strchr(line, '\n');
            size_t len = end ? (size_t)(end - line) : strlen(line);
            for (size_t q = 0; q < len; q++)
                quotes += line[q] == '\'';
            buf_append(&cmd, line, len);
            buf_append(&cmd, " ", 1);
            if (!end || len == 0 || (line[len - 1] != '\\' && quotes % 2 == 0)) break;
            line = end + 1;
        }
        const char *b = strstr(cmd.p, "$B/");
        if (!b) {
            buf_free(&cmd);
            continue;
        }
        char path[512];
        size_t pl = strcspn(b + 2, " ?\"'");
        snprintf(path, sizeof path, "%.*s", (int)pl, b + 2);
        const char *x = strstr(cmd.p, " -X ");
        const char *d = strstr(cmd.p, " -d '");
        char method[16] = "GET";
        if (x)
            sscanf(x + 4, "%15s", method);
        else if (d || strstr(cmd.p, "--data-binary"))
            snprintf(method, sizeof method, "POST");
        const http_route *rt = NULL;
        for (size_t i = 0; i < http__n_routes && !rt; i++)
            if (strcmp(http__routes[i].method, method) == 0 &&
                path_matches(http__routes[i].pattern, path))
                rt = &http__routes[i];
        if (!rt) fail_msg("docs/api.md's example %s %s is no route", method, path);
        seen[rt - http__routes] = 1;
        examples++;
        if (d && rt->body) {
            /* The body between the quotes, its line breaks and the continuations' "\ "
             * removed as the shell would. */
            buf body = BUF_INIT;
            for (const char *p = d + 5; *p && *p != '\''; p++) {
                if (*p == '\\' && p[1] == ' ') {
                    p++;
                    continue;
                }
                buf_append(&body, p, 1);
            }
            json_error_t je;
            json_t *j = json_loads(body.p ? body.p : "", 0, &je);
            if (j) { /* an example abridged with "..." is not JSON: its shape is shown only */
                tr_err e = TR_ERR_INIT;
                if (jsx_check(j, rt->body, NULL, &e))
                    fail_msg("docs/api.md's example %s %s does not pass its schema: %s", method,
                             path, e.message);
                bodies++;
                json_decref(j);
            }
            buf_free(&body);
        }
        buf_free(&cmd);
    }
    free(doc);
    /* Every route has an example. */
    for (size_t i = 0; i < http__n_routes; i++)
        if (!seen[i])
            fail_msg("docs/api.md has no example of %s %s", http__routes[i].method,
                     http__routes[i].pattern);
    free(seen);
    assert_true((size_t)examples >= http__n_routes);
    assert_true(bodies >= 20);
}

static void access_table_allows_and_denies(void **state)
{
    (void)state;
    sign_in_everyone();
    for (size_t i = 0; i < N_ACCESS; i++) {
        const struct access_case *c = &access_cases[i];
        for (int role = 0; role < N_ROLES; role++) {
            char body[512], path[256];
            const char *tok = tokens[role];
            th_resp r;
            long want;
            if (c->fresh && role != ANON)
                tok = th_login(&T, login_for[role][0], login_for[role][1]);
            snprintf(path, sizeof path, c->path, role_names[role]);
            if (c->body) snprintf(body, sizeof body, c->body, role_names[role]);
            long got = req(c->method, path, tok, c->body ? body : NULL, &r);
            want = c->expect[role] == 'A'   ? c->ok
                   : c->expect[role] == 'U' ? 401
                   : c->expect[role] == 'N' ? 404
                                            : 403;
            if (got != want)
                fail_msg("%s %s as %s: got %ld, expected %ld: %s", c->method, path,
                         role_names[role], got, want, r.body);
            if (want == 401) assert_string_equal(th_code(&r), "auth.required");
            if (want == 403) {
                assert_string_equal(th_code(&r), "auth.forbidden");
                assert_true(json_is_array(json_object_get(
                    json_object_get(json_object_get(r.json, "error"), "detail"), "allowed")));
            }
            th_resp_free(&r);
        }
    }
}

/* ---- bad input --------------------------------------------------------------------- */

static void bad_input_gets_a_clear_4xx_and_changes_nothing(void **state)
{
    static const struct {
        const char *body;
        size_t len; /* 0: strlen */
        const char *ctype;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"slug\":\"x1\",\"name\":\"X\",", 0, NULL, 400, "request.malformed_json", NULL},
        {"", 0, NULL, 400, "request.malformed_json", NULL},
        {"[]", 0, NULL, 400, "request.not_object", NULL},
        {"{\"slug\":\"x1\",\"name\":7,\"kind\":\"party\"}", 0, NULL, 400, "request.invalid_field",
         "name"},
        {"{\"slug\":\"x1\",\"name\":\"X\",\"kind\":\"party\",\"color\":\"red\"}", 0, NULL, 400,
         "request.unknown_field", "color"},
        {"{\"slug\":\"x1\",\"kind\":\"party\"}", 0, NULL, 400, "request.missing_field", "name"},
        {"{\"slug\":\"x1\",\"name\":\"X\xc3\x28\",\"kind\":\"party\"}", 0, NULL, 400,
         "request.invalid_utf8", NULL},
        {"{\"slug\":\"x1\",\"name\":\"X\\u0000Y\",\"kind\":\"party\"}", 0, NULL, 400,
         "request.nul_byte", NULL},
        {"{\"slug\":\"x1\",\"name\":\"X\0Y\",\"kind\":\"party\"}", 37, NULL, 400, NULL, NULL},
        {"{\"slug\":\"x1\",\"name\":\"X\",\"kind\":\"warlord\"}", 0, NULL, 400,
         "request.invalid_field", "kind"},
        {"{\"slug\":\"x1\",\"name\":\"X\",\"kind\":\"party\"}", 0, "text/plain", 415,
         "request.unsupported_media_type", NULL},
        {"{\"slug\":\"israel\",\"name\":\"X\",\"kind\":\"party\"}", 0, NULL, 409, "org.exists",
         NULL},
    };
    const char *admin = th_login(&T, "admin", "demo-admin");
    int64_t before = th_journal_len(T.db);
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_resp r;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].body);
        assert_int_equal(th_http("POST", th_url(&T, "/api/v1/orgs"), admin, cases[i].body, len,
                                 cases[i].ctype, &r),
                         0);
        if (r.status != cases[i].status)
            fail_msg("case %zu: status %ld, expected %ld: %s", i, r.status, cases[i].status,
                     r.body);
        assert_error_shape(&r);
        if (cases[i].code) assert_string_equal(th_code(&r), cases[i].code);
        if (cases[i].field)
            assert_string_equal(
                json_string_value(json_object_get(
                    json_object_get(json_object_get(r.json, "error"), "detail"), "field")),
                cases[i].field);
        th_resp_free(&r);
        assert_int_equal(req("GET", "/healthz", NULL, NULL, NULL), 200);
    }

    /* A 10 MB body, declared. */
    size_t big = 10 * 1024 * 1024;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    th_resp r;
    assert_int_equal(th_http("POST", th_url(&T, "/api/v1/orgs"), admin, huge, big, NULL, &r), 0);
    assert_int_equal(r.status, 413);
    assert_string_equal(th_code(&r), "request.too_large");
    th_resp_free(&r);
    free(huge);

    /* Routing and authentication failures. */
    th_resp x;
    assert_int_equal(req("GET", "/api/v1/nothing-here", NULL, NULL, &x), 404);
    assert_string_equal(th_code(&x), "route.not_found");
    assert_error_shape(&x);
    th_resp_free(&x);
    assert_int_equal(req("PATCH", "/api/v1/orgs", admin, NULL, &x), 405);
    assert_string_equal(th_code(&x), "route.method_not_allowed");
    char *allow = th_header(&x, "Allow");
    assert_non_null(allow);
    assert_string_equal(allow, "GET, POST");
    free(allow);
    th_resp_free(&x);
    assert_int_equal(req("POST", "/api/v1/orgs", NULL,
                         "{\"slug\":\"x2\",\"name\":\"X\",\"kind\":\"party\"}", &x),
                     401);
    assert_string_equal(th_code(&x), "auth.required");
    char *www = th_header(&x, "WWW-Authenticate");
    assert_non_null(www);
    free(www);
    th_resp_free(&x);
    assert_int_equal(req("GET", "/api/v1/me",
                         "trc_0000000000000000000000000000000000000000000000"
                         "000000000000000000",
                         NULL, &x),
                     401);
    assert_string_equal(th_code(&x), "auth.invalid_token");
    th_resp_free(&x);
    assert_int_equal(req("GET", "/api/v1/me", "garbage", NULL, &x), 401);
    th_resp_free(&x);
    /* A body where none is expected. */
    assert_int_equal(req("GET", "/api/v1/me", admin, "{}", &x), 400);
    assert_string_equal(th_code(&x), "request.unexpected_body");
    th_resp_free(&x);
    /* Bad query parameters. */
    assert_int_equal(req("GET", "/api/v1/journal?limit=0", NULL, NULL, &x), 400);
    assert_string_equal(th_code(&x), "request.invalid_param");
    th_resp_free(&x);
    assert_int_equal(req("GET", "/api/v1/journal?after=-1", NULL, NULL, NULL), 400);
    assert_int_equal(req("GET", "/api/v1/journal?after=abc", NULL, NULL, NULL), 400);
    /* Errors quote what was sent: bytes that are not UTF-8 (a path, a query value), or a
     * long Arabic name cut at the message's length, become U+FFFD — the error is still
     * JSON (it was an empty body). */
    static char arabic_zone[1200];
    strcpy(arabic_zone, "/api/v1/incidents?zone=");
    for (int k = 0; k < 170; k++)
        strcat(arabic_zone, "%D8%B1");
    const char *const odd[] = {"/api/v1/n%FFwhere", "/api/v1/incidents?from=%FF%FE",
                               "/api/v1/incidents?status=%C3", arabic_zone};
    const long odd_status[] = {404, 400, 400, 400};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(req("GET", odd[k], NULL, NULL, &x), odd_status[k]);
        assert_non_null(x.json);
        const char *msg =
            json_string_value(json_object_get(json_object_get(x.json, "error"), "message"));
        assert_non_null(msg);
        if (k < 3) assert_non_null(strstr(msg, "\xef\xbf\xbd"));
        th_resp_free(&x);
    }

    /* Only the sign-in above wrote anything (its token). */
    assert_int_equal(th_journal_len(T.db), before);
    assert_int_equal(req("GET", "/healthz", NULL, NULL, NULL), 200);
}

/* A chunked upload has no declared length; the limit must still hold. */
static size_t feed(char *dst, size_t size, size_t n, void *cls)
{
    size_t *left = cls, k = size * n < *left ? size * n : *left;
    memset(dst, ' ', k);
    *left -= k;
    return k;
}

static void chunked_oversize_body_is_refused(void **state)
{
    const char *admin = th_login(&T, "admin", "demo-admin");
    int64_t before = th_journal_len(T.db);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char auth[128];
    size_t left = 3 * 1024 * 1024;
    long status = 0;
    (void)state;
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", admin);
    h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, th_url(&T, "/api/v1/orgs"));
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
    curl_easy_setopt(c, CURLOPT_READDATA, &left);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwrite);
    FILE *null = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 413);
    fclose(null);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    assert_int_equal(th_journal_len(T.db), before);
}

/* ---- sign-in, tokens, identity ----------------------------------------------------- */

/* Makes a token with POST /api/v1/tokens and checks that it works. */
static void new_token(const char *tok, const char *label, char token[80], char id[20])
{
    char body[64];
    th_resp r;
    snprintf(body, sizeof body, "{\"label\":\"%s\"}", label);
    assert_int_equal(req("POST", "/api/v1/tokens", tok, body, &r), 201);
    snprintf(token, 80, "%s", json_string_value(json_object_get(r.json, "token")));
    snprintf(id, 20, "%s", json_string_value(json_object_get(r.json, "id")));
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/me", token, NULL, NULL), 200);
}

static void login_me_tokens_and_revocation(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(req("POST", "/api/v1/login", NULL,
                         "{\"user\":\"egypt\",\"password\":\"wrong-password\"}", &r),
                     401);
    assert_string_equal(th_code(&r), "auth.bad_credentials");
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/login", NULL,
                         "{\"user\":\"no-such-user\",\"password\":\"whatever1\"}", &r),
                     401);
    assert_string_equal(th_code(&r), "auth.bad_credentials");
    th_resp_free(&r);

    const char *tok = th_login(&T, "egypt", "demo-egypt");
    assert_int_equal(req("GET", "/api/v1/me", tok, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "user")), "egypt");
    assert_string_equal(json_string_value(json_object_get(r.json, "org_kind")), "mediator");
    assert_true(json_is_false(json_object_get(r.json, "admin")));
    th_resp_free(&r);

    /* A second token, revoked by its owner, stops working; the first keeps working. */
    char tok2[80], id2[20];
    new_token(tok, "laptop", tok2, id2);

    /* Another organization's user cannot revoke it, and learns nothing about it. */
    const char *other = th_login(&T, "hamas", "demo-hamas");
    char path[64];
    snprintf(path, sizeof path, "/api/v1/tokens/%s", id2);
    assert_int_equal(req("DELETE", path, other, NULL, &r), 404);
    assert_string_equal(th_code(&r), "token.not_found");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/me", tok2, NULL, NULL), 200);

    assert_int_equal(req("DELETE", path, tok, NULL, NULL), 200);
    assert_int_equal(req("GET", "/api/v1/me", tok2, NULL, &r), 401);
    assert_string_equal(th_code(&r), "auth.revoked_token");
    th_resp_free(&r);
    assert_int_equal(req("DELETE", path, tok, NULL, &r), 409);
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/me", tok, NULL, NULL), 200);

    /* A token revoked by another process (the CLI, on the running server's database) stops
     * working within the server's token cache's lifetime, though it was just used. */
    char tok3[80], id3[20];
    new_token(tok, "phone", tok3, id3);
    assert_int_equal(th_truce(NULL, NULL, NULL, "token revoke --db '%s' --id %s", T.db, id3), 0);
    uint64_t t0 = util_mono_ns();
    int status = 200;
    while (status == 200 && util_mono_ns() - t0 < 50ull * ACCT_CACHE_TTL_MS * 1000000ull) {
        status = req("GET", "/api/v1/me", tok3, NULL, &r);
        if (status != 200) assert_string_equal(th_code(&r), "auth.revoked_token");
        th_resp_free(&r);
    }
    assert_int_equal(status, 401);

    /* Logging out revokes the token used, for the very next request. */
    assert_int_equal(req("GET", "/api/v1/me", tok, NULL, NULL), 200);
    assert_int_equal(req("POST", "/api/v1/logout", tok, NULL, NULL), 200);
    assert_int_equal(req("GET", "/api/v1/me", tok, NULL, NULL), 401);
}

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

/* ---- observability ----------------------------------------------------------------- */

static void organizations_register_signing_keys(void **state)
{
    th_resp r;
    char *pk, body[160];
    (void)state;
    const char *hamas = th_login(&T, "hamas", "demo-hamas");
    const char *israel = th_login(&T, "israel", "demo-israel");
    char dir[300];
    snprintf(dir, sizeof dir, "%s/hamas.key", T.dir);
    assert_int_equal(th_truce(&pk, NULL, NULL, "keygen --out '%s'", dir), 0);
    pk[strcspn(pk, "\n")] = 0;
    snprintf(body, sizeof body, "{\"public_key\":\"%s\"}", pk);
    int64_t before = th_journal_len(T.db);
    /* Another organization may not register it for Hamas. */
    assert_int_equal(req("POST", "/api/v1/orgs/hamas/keys", israel, body, &r), 403);
    assert_string_equal(th_code(&r), "auth.forbidden");
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/orgs/hamas/keys", hamas, "{\"public_key\":\"AAAA\"}", &r),
                     400);
    assert_string_equal(th_code(&r), "key.bad_format");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before);
    assert_int_equal(req("POST", "/api/v1/orgs/hamas/keys", hamas, body, &r), 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "public_key")), pk);
    assert_int_equal(strlen(json_string_value(json_object_get(r.json, "id"))), 16);
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before + 1);
    assert_int_equal(req("POST", "/api/v1/orgs/hamas/keys", hamas, body, &r), 409);
    assert_string_equal(th_code(&r), "key.exists");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/orgs/hamas/keys", NULL, NULL, &r), 200);
    /* The demo's signed agreement registered one key already. */
    assert_int_equal(json_array_size(json_object_get(r.json, "keys")), 2);
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/orgs/nowhere/keys", NULL, NULL, &r), 404);
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before + 1);
    free(pk);
}

static void request_ids_metrics_and_health(void **state)
{
    th_resp r;
    CURL *c;
    (void)state;
    assert_int_equal(req("GET", "/healthz", NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ok");
    char *id1 = th_header(&r, "X-Request-Id");
    assert_non_null(id1);
    th_resp_free(&r);
    assert_int_equal(req("GET", "/healthz", NULL, NULL, &r), 200);
    char *id2 = th_header(&r, "X-Request-Id");
    assert_string_not_equal(id1, id2);
    free(id1);
    free(id2);
    th_resp_free(&r);

    /* A client's own request id is echoed. */
    c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "X-Request-Id: mediator-42");
    char *hdrs = NULL;
    size_t hlen = 0;
    FILE *hf = open_memstream(&hdrs, &hlen);
    FILE *null = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_URL, th_url(&T, "/healthz"));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, hf);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, null);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    fclose(hf);
    fclose(null);
    assert_non_null(strstr(hdrs, "X-Request-Id: mediator-42"));
    free(hdrs);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);

    assert_int_equal(req("GET", "/metrics", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "truce_http_requests_total{method=\"GET\",route=\"/healthz\","
                                   "status=\"200\"}"));
    assert_non_null(strstr(r.body, "truce_http_request_duration_seconds_bucket{le=\"+Inf\"}"));
    assert_non_null(strstr(r.body, "truce_database_bytes "));
    char want[64];
    snprintf(want, sizeof want, "truce_journal_length %lld\n", (long long)th_journal_len(T.db));
    assert_non_null(strstr(r.body, want));
    char *ct = th_header(&r, "Content-Type");
    assert_non_null(strstr(ct, "text/plain"));
    free(ct);
    th_resp_free(&r);
}

static void journal_hides_what_readers_may_not_see(void **state)
{
    th_resp r;
    size_t i;
    json_t *ev;
    int redacted = 0, shown = 0;
    (void)state;
    assert_int_equal(req("GET", "/api/v1/journal?limit=1000", NULL, NULL, &r), 200);
    json_array_foreach(json_object_get(r.json, "events"), i, ev)
    {
        assert_true(json_integer_value(json_object_get(ev, "seq")) == (json_int_t)i + 1);
        if (json_object_get(ev, "redacted")) {
            redacted++;
            assert_null(json_object_get(ev, "body"));
            assert_null(json_object_get(ev, "actor"));
        } else {
            shown++;
        }
    }
    assert_true(redacted >= 11); /* Every user.created and token.created. */
    assert_true(shown >= 22);
    assert_null(strstr(r.body, "argon2"));
    assert_null(strstr(r.body, "pwhash"));
    th_resp_free(&r);

    /* A party sees no more than the public. */
    const char *party = th_login(&T, "israel", "demo-israel");
    assert_int_equal(req("GET", "/api/v1/journal?limit=1000", party, NULL, &r), 200);
    assert_null(strstr(r.body, "argon2"));
    th_resp_free(&r);

    /* The administrator sees account events (they are what rebuilds the users table). */
    const char *admin = th_login(&T, "admin", "demo-admin");
    assert_int_equal(req("GET", "/api/v1/journal?limit=1000", admin, NULL, &r), 200);
    assert_non_null(strstr(r.body, "argon2id"));
    th_resp_free(&r);

    /* Paging. */
    assert_int_equal(req("GET", "/api/v1/journal?after=10&limit=5", NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "events")), 5);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(r.json, "events"), 0), "seq")),
                     11);
    th_resp_free(&r);
}

static void public_reads(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(req("GET", "/api/v1/orgs", NULL, NULL, &r), 200);
    assert_true(json_array_size(json_object_get(r.json, "orgs")) >= 11);
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/orgs/qatar", NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "kind")), "mediator");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/orgs/atlantis", NULL, NULL, &r), 404);
    assert_string_equal(th_code(&r), "org.not_found");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/zones", NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "type")), "FeatureCollection");
    size_t i, governorates = 0;
    json_t *f;
    json_array_foreach(json_object_get(r.json, "features"), i, f) governorates +=
        strcmp(json_string_value(json_object_get(json_object_get(f, "properties"), "kind")),
               "governorate") == 0;
    assert_int_equal(governorates, 5);
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1", NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "scenario")), "gaza-2025");
    th_resp_free(&r);
}

/* A monitor draws a buffer zone; bad areas are refused with GEOS's reason and change
 * nothing; the new zone is public and carries a receipt. */
static void zones_are_drawn_and_checked(void **state)
{
    static const struct {
        const char *geometry, *code, *says;
    } bad[] = {
        /* A bow tie: its edges cross. */
        {"{\"type\":\"Polygon\",\"coordinates\":[[[34.2,31.2],[34.3,31.3],[34.3,31.2],"
         "[34.2,31.3],[34.2,31.2]]]}",
         "request.invalid_field", "Self-intersection"},
        /* A hole outside its shell. */
        {"{\"type\":\"Polygon\",\"coordinates\":[[[34.2,31.2],[34.3,31.2],[34.3,31.3],"
         "[34.2,31.2]],[[35,32],[35.1,32],[35.1,32.1],[35,32]]]}",
         "request.invalid_field", "Hole lies outside shell"},
        /* A ring that does not close. */
        {"{\"type\":\"Polygon\",\"coordinates\":[[[34.2,31.2],[34.3,31.2],[34.3,31.3],"
         "[34.25,31.25]]]}",
         "request.invalid_field", "geometry"},
        /* Latitude out of range. */
        {"{\"type\":\"Polygon\",\"coordinates\":[[[34.2,91],[34.3,31.2],[34.3,31.3],"
         "[34.2,91]]]}",
         "request.invalid_field", "geometry"},
        {"{\"type\":\"Point\",\"coordinates\":[34.2,31.2]}", "request.invalid_field", "Polygon"},
    };
    const char *monitor = th_login(&T, "un", "demo-un-monitor");
    int64_t before = th_journal_len(T.db);
    char body[1024];
    th_resp r;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(body, sizeof body,
                 "{\"slug\":\"bad-%zu\",\"name\":\"Bad\",\"kind\":\"buffer-zone\","
                 "\"geometry\":%s}",
                 i, bad[i].geometry);
        assert_int_equal(req("POST", "/api/v1/zones", monitor, body, &r), 400);
        assert_error_shape(&r);
        assert_string_equal(th_code(&r), bad[i].code);
        if (!strstr(r.body, bad[i].says)) fail_msg("case %zu: %s", i, r.body);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);

    /* A report in the area-to-be, before and after the zone is drawn: the writer's cached
     * zones must notice the new one. */
    static const char *const in_area =
        "{\"event_date\":\"2025-01-20\",\"time_precision\":1,\"event_type\":\"Battles\","
        "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Unknown\",\"latitude\":31.55,"
        "\"longitude\":34.53,\"geo_precision\":1,\"location\":\"East\"}";
    assert_int_equal(req("POST", "/api/v1/reports", monitor, in_area, &r), 201);
    for (size_t i = 0; i < json_array_size(json_object_get(r.json, "zones")); i++)
        assert_string_not_equal(
            json_string_value(json_array_get(json_object_get(r.json, "zones"), i)), "east-buffer");
    th_resp_free(&r);
    before = th_journal_len(T.db);
    snprintf(body, sizeof body,
             "{\"slug\":\"east-buffer\",\"name\":\"Eastern buffer zone\","
             "\"kind\":\"buffer-zone\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
             "[[[34.50,31.50],[34.56,31.50],[34.56,31.60],[34.50,31.60],[34.50,31.50]]]}}");
    assert_int_equal(req("POST", "/api/v1/zones", monitor, body, &r), 201);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "properties"), "slug")),
        "east-buffer");
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before + 1);
    assert_int_equal(req("POST", "/api/v1/reports", monitor, in_area, &r), 201);
    json_t *zs = json_object_get(r.json, "zones");
    int tagged = 0;
    for (size_t i = 0; i < json_array_size(zs); i++)
        tagged |= strcmp(json_string_value(json_array_get(zs, i)), "east-buffer") == 0;
    assert_true(tagged);
    th_resp_free(&r);
    before += 1;
    assert_int_equal(req("POST", "/api/v1/zones", monitor, body, &r), 409);
    assert_string_equal(th_code(&r), "zone.exists");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/zones", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "Eastern buffer zone"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before + 1);
}

/* POST body to path as token, with an Idempotency-Key header when key is not NULL. */
static long post_move(const char *path, const char *token, const char *key, const char *body,
                      th_resp *out)
{
    char line[256];
    snprintf(line, sizeof line, "Idempotency-Key: %s", key ? key : "");
    return post_with(path, token, body, strlen(body), "application/json", key ? line : NULL, out);
}

static long post_keyed(const char *token, const char *key, const char *body, th_resp *out)
{
    return post_move("/api/v1/reports", token, key, body, out);
}

/* truce rebuild, which refuses a database a server has open: the server stops for it and
 * serves the same database again (on a new port; T.base follows). */
static void rebuild_tables(void)
{
    th_server_halt(&T);
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", T.db), 0);
    th_server_resume(&T);
}

/* A report sent again with the same Idempotency-Key (a phone that lost the reply) is filed
 * once: the retry gets the first report back with the first reply's receipt (200, replayed,
 * the journal unchanged), also after a rebuild; the same key with a different report is a 422; keys
 * are per organization; a malformed key, or a key without an account, is a 400 that writes nothing.
 */
static void reports_retried_with_a_key_are_filed_once(void **state)
{
    (void)state;
    static const char *const body =
        "{\"event_date\":\"2025-02-03\",\"time_precision\":1,\"event_type\":\"Battles\","
        "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Unknown\",\"latitude\":31.42,"
        "\"longitude\":34.38,\"geo_precision\":1,\"location\":\"Deir al-Balah\","
        "\"notes\":\"filed from a phone\",\"witnesses\":[{\"name\":\"Witness K\"}]}";
    static const char *const other =
        "{\"event_date\":\"2025-02-03\",\"time_precision\":1,\"event_type\":\"Battles\","
        "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Unknown\",\"latitude\":31.42,"
        "\"longitude\":34.38,\"geo_precision\":1,\"location\":\"Deir al-Balah\","
        "\"notes\":\"filed from a phone\",\"witnesses\":[{\"name\":\"Witness L\"}]}";
    const char *key = "6f1c2a9e-3b7d-4c55-9a0e-2d8f1b4c7e10";
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    th_resp r;
    int64_t before = th_journal_len(T.db);
    assert_int_equal(post_keyed(wfp, key, body, &r), 201);
    json_int_t id = json_integer_value(json_object_get(r.json, "id"));
    assert_true(id > 0);
    json_t *receipt = json_object_get(r.json, "receipt");
    assert_non_null(receipt);
    json_int_t index = json_integer_value(json_object_get(receipt, "index"));
    char *entry = strdup(json_string_value(json_object_get(receipt, "entry")));
    assert_non_null(strstr(entry, "\"type\":\"report.filed\""));
    assert_null(json_object_get(r.json, "replayed"));
    th_resp_free(&r);
    int64_t after = th_journal_len(T.db);
    assert_true(after > before);

    for (int round = 0; round < 2; round++) {
        /* The retry, then the retry after the tables are rebuilt from the journal. */
        assert_int_equal(post_keyed(wfp, key, body, &r), 200);
        assert_int_equal(json_integer_value(json_object_get(r.json, "id")), id);
        assert_true(json_is_true(json_object_get(r.json, "replayed")));
        assert_string_equal(json_string_value(json_object_get(r.json, "notes")),
                            "filed from a phone");
        /* The receipt the lost reply carried: the same event, proven again. */
        receipt = json_object_get(r.json, "receipt");
        assert_non_null(receipt);
        assert_int_equal(json_integer_value(json_object_get(receipt, "index")), index);
        assert_string_equal(json_string_value(json_object_get(receipt, "entry")), entry);
        th_resp_free(&r);
        assert_int_equal(th_journal_len(T.db), after);
        if (round == 0) rebuild_tables();
    }
    /* The retry gzip-compressed (Content-Encoding: gzip): the body is inflated before
     * anything reads it, so it is the same request, replayed. */
    size_t gz_len;
    char *gz = th_gzip(body, strlen(body), &gz_len), key_line[128];
    snprintf(key_line, sizeof key_line, "Idempotency-Key: %s", key);
    const char *headers[] = {"Content-Type: application/json", "Content-Encoding: gzip", key_line,
                             NULL};
    assert_int_equal(
        th_http_with("POST", th_url(&T, "/api/v1/reports"), wfp, gz, gz_len, headers, &r), 0);
    free(gz);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), id);
    assert_true(json_is_true(json_object_get(r.json, "replayed")));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), after);

    /* The same key with another report (here only a private field differs). */
    assert_int_equal(post_keyed(wfp, key, other, &r), 422);
    assert_string_equal(th_code(&r), "report.key_reused");
    assert_non_null(strstr(r.body, "\"field\":\"Idempotency-Key\""));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), after);

    /* Bad keys, and a key without an account. */
    char long_key[120];
    memset(long_key, 'k', 101);
    long_key[101] = 0;
    const char *const bad[] = {"two words", long_key, "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(post_keyed(wfp, bad[i], body, &r), 400);
        assert_string_equal(th_code(&r), "request.invalid_header");
        th_resp_free(&r);
    }
    assert_int_equal(post_keyed(NULL, key, body, &r), 400);
    assert_string_equal(th_code(&r), "request.invalid_header");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), after);

    /* A retry after a monitor opened an incident from the report shows it as it stands. */
    const char *un = th_login(&T, "un", "demo-un-monitor");
    char incident[1024];
    snprintf(incident, sizeof incident,
             "{\"event_date\":\"2025-02-03\",\"time_precision\":1,\"event_type\":\"Battles\","
             "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Unknown\",\"latitude\":31.42,"
             "\"longitude\":34.38,\"geo_precision\":1,\"location\":\"Deir al-Balah\","
             "\"reports\":[%lld]}",
             (long long)id);
    assert_int_equal(req("POST", "/api/v1/incidents", un, incident, NULL), 201);
    after = th_journal_len(T.db);
    assert_int_equal(post_keyed(wfp, key, body, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), id);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "merged");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), after);

    free(entry);

    /* Keys belong to an organization: another one's report with the same key is new. */
    const char *hamas = th_login(&T, "hamas", "demo-hamas");
    assert_int_equal(post_keyed(hamas, key, body, &r), 201);
    assert_int_not_equal(json_integer_value(json_object_get(r.json, "id")), id);
    th_resp_free(&r);
}

/* GET /negotiations: each caller's own — a mediator's and a party's, with their role;
 * nothing for an organization in none (not even that others exist). */
static void negotiations_are_listed_for_their_members(void **state)
{
    (void)state;
    static const struct {
        const char *user, *password, *role;
    } who[] = {{"usa", "demo-usa", "mediator"},
               {"israel", "demo-israel", "party"},
               {"wfp", "demo-wfp", NULL}};
    for (size_t k = 0; k < 3; k++) {
        th_resp r;
        const char *token = th_login(&T, who[k].user, who[k].password);
        assert_int_equal(req("GET", "/api/v1/negotiations", token, NULL, &r), 200);
        json_t *list = json_object_get(r.json, "negotiations"), *n;
        size_t i;
        if (!who[k].role) {
            assert_int_equal(json_array_size(list), 0);
        } else {
            assert_true(json_array_size(list) >= 1);
            json_int_t last = 0;
            json_array_foreach(list, i, n)
            {
                assert_true(json_integer_value(json_object_get(n, "id")) > last);
                last = json_integer_value(json_object_get(n, "id"));
                assert_string_equal(json_string_value(json_object_get(n, "role")), who[k].role);
                assert_non_null(json_object_get(n, "issues"));
                assert_non_null(json_object_get(n, "state"));
            }
        }
        th_resp_free(&r);
    }
}

/* Every report of the caller's organization, a page at a time, filed or merged (and into
 * which incident); monitors and mediators see every organization's, or one's. */
static void reports_are_listed_for_their_organization(void **state)
{
    (void)state;
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    const char *un = th_login(&T, "un", "demo-un-monitor");
    th_resp r;
    size_t i, mine = 0, all = 0;
    json_t *it;
    assert_int_equal(req("GET", "/api/v1/reports?limit=1000", wfp, NULL, &r), 200);
    json_array_foreach(json_object_get(r.json, "reports"), i, it)
    {
        assert_string_equal(json_string_value(json_object_get(it, "org")), "wfp");
        assert_null(json_object_get(it, "witnesses")); /* private fields: not here */
        mine++;
    }
    th_resp_free(&r);
    assert_true(mine > 0);
    assert_int_equal(req("GET", "/api/v1/reports?limit=1000", un, NULL, &r), 200);
    int other_orgs = 0;
    json_array_foreach(json_object_get(r.json, "reports"), i, it)
    {
        other_orgs |= strcmp(json_string_value(json_object_get(it, "org")), "wfp") != 0;
        all++;
    }
    th_resp_free(&r);
    assert_true(all > mine && other_orgs);
    /* A page at a time: the same reports, in order, each once. */
    size_t paged = 0;
    long long after = 0, last = 0;
    while (after >= 0) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/reports?limit=2&after=%lld", after);
        assert_int_equal(req("GET", path, un, NULL, &r), 200);
        json_array_foreach(json_object_get(r.json, "reports"), i, it)
        {
            long long id = json_integer_value(json_object_get(it, "id"));
            assert_true(id > last);
            last = id;
            paged++;
        }
        json_t *next = json_object_get(r.json, "next_after");
        after = next ? json_integer_value(next) : -1;
        th_resp_free(&r);
    }
    assert_int_equal(paged, all);
    /* Merged ones say into which incident; a monitor may ask for one organization's. */
    assert_int_equal(req("GET", "/api/v1/reports?status=merged&limit=1000", un, NULL, &r), 200);
    assert_true(json_array_size(json_object_get(r.json, "reports")) > 0);
    json_array_foreach(json_object_get(r.json, "reports"), i, it)
    {
        assert_string_equal(json_string_value(json_object_get(it, "status")), "merged");
        assert_true(json_integer_value(json_object_get(it, "incident")) > 0);
    }
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/reports?org=wfp&limit=1000", un, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "reports")), mine);
    th_resp_free(&r);
    /* Refused: another organization's (for a reporter), a status that is not one, paging out
     * of range. */
    assert_int_equal(req("GET", "/api/v1/reports?org=unrwa", wfp, NULL, &r), 403);
    th_resp_free(&r);
    static const char *const bad[] = {"/api/v1/reports?status=closed", "/api/v1/reports?limit=0",
                                      "/api/v1/reports?after=-1", "/api/v1/reports?org=wpf"};
    static const char *const field[] = {"status", "limit", "after", "org"};
    for (size_t k = 0; k < 4; k++) {
        char want[48];
        assert_int_equal(req("GET", bad[k], un, NULL, &r), 400);
        assert_string_equal(th_code(&r), "request.invalid_param");
        snprintf(want, sizeof want, "\"field\":\"%s\"", field[k]); /* names the one */
        assert_non_null(strstr(r.body, want));
        th_resp_free(&r);
    }
}

/* A monitor's phone opening an incident retries with its Idempotency-Key: the incident
 * is opened once (the retry: 200, replayed, the first receipt, nothing written — also
 * after a rebuild); the key with another request is a 422; keys are per organization. */
static void incidents_opened_with_a_key_are_opened_once(void **state)
{
    (void)state;
    static const char *const body =
        "{\"event_date\":\"2025-02-05\",\"time_precision\":1,\"event_type\":\"Battles\","
        "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Unknown\",\"latitude\":31.35,"
        "\"longitude\":34.30,\"geo_precision\":1,\"location\":\"Khan Younis\","
        "\"notes\":\"opened in the field\"}";
    static const char *const other =
        "{\"event_date\":\"2025-02-05\",\"time_precision\":1,\"event_type\":\"Battles\","
        "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Unknown\",\"latitude\":31.35,"
        "\"longitude\":34.30,\"geo_precision\":1,\"location\":\"Khan Younis\","
        "\"notes\":\"another clash\"}";
    const char *key = "a3f1c2d4-0b5e-4f6a-8c7d-9e0f1a2b3c4d";
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *cmcc = th_login(&T, "cmcc", "demo-cmcc");
    char line[128];
    snprintf(line, sizeof line, "Idempotency-Key: %s", key);
    th_resp r;
    assert_int_equal(
        post_with("/api/v1/incidents", un, body, strlen(body), "application/json", line, &r), 201);
    json_int_t id = json_integer_value(json_object_get(r.json, "id"));
    json_int_t index =
        json_integer_value(json_object_get(json_object_get(r.json, "receipt"), "index"));
    assert_true(id > 0);
    th_resp_free(&r);
    int64_t after = th_journal_len(T.db);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(
            post_with("/api/v1/incidents", un, body, strlen(body), "application/json", line, &r),
            200);
        assert_int_equal(json_integer_value(json_object_get(r.json, "id")), id);
        assert_true(json_is_true(json_object_get(r.json, "replayed")));
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(r.json, "receipt"), "index")),
            index);
        th_resp_free(&r);
        assert_int_equal(th_journal_len(T.db), after);
        if (round == 0) rebuild_tables();
    }
    assert_int_equal(
        post_with("/api/v1/incidents", un, other, strlen(other), "application/json", line, &r),
        422);
    assert_string_equal(th_code(&r), "incident.key_reused");
    th_resp_free(&r);
    assert_int_equal(post_with("/api/v1/incidents", un, body, strlen(body), "application/json",
                               "Idempotency-Key: two words", &r),
                     400);
    assert_string_equal(th_code(&r), "request.invalid_header");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), after);
    /* Another monitoring organization's key is its own: a new incident. */
    assert_int_equal(
        post_with("/api/v1/incidents", cmcc, body, strlen(body), "application/json", line, &r),
        201);
    assert_int_not_equal(json_integer_value(json_object_get(r.json, "id")), id);
    th_resp_free(&r);
}

/* The receipt index of a reply, or -1. */
static json_int_t receipt_index(const th_resp *r)
{
    const json_t *i = json_object_get(json_object_get(r->json, "receipt"), "index");
    return json_is_integer(i) ? json_integer_value(i) : -1;
}

/* A phone that lost the reply to a move of an incident (a transition, a dispute, a merge)
 * sends it again with the same Idempotency-Key: the move happens once, and the retry gets
 * the incident with the first reply's receipt (200, replayed, nothing written — after a
 * rebuild too); the key with another body, or for another incident, is a 422; without a
 * key a resent move is refused as before (409). */
static void moves_sent_again_with_a_key_happen_once(void **state)
{
    (void)state;
    static const char *const body =
        "{\"event_date\":\"2025-02-06\",\"time_precision\":1,\"event_type\":\"Battles\","
        "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Military Forces of Israel (2022-)\","
        "\"latitude\":31.36,\"longitude\":34.31,\"geo_precision\":1,"
        "\"location\":\"Khan Younis\",\"notes\":\"moved from a phone\"}";
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *israel = th_login(&T, "israel", "demo-israel");
    json_int_t ids[2];
    th_resp r;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(req("POST", "/api/v1/incidents", un, body, &r), 201);
        ids[i] = json_integer_value(json_object_get(r.json, "id"));
        th_resp_free(&r);
    }
    char moves[2][96], disputes[96], merge[96];
    for (int i = 0; i < 2; i++)
        snprintf(moves[i], sizeof moves[i], "/api/v1/incidents/%lld/transitions",
                 (long long)ids[i]);
    snprintf(disputes, sizeof disputes, "/api/v1/incidents/%lld/disputes", (long long)ids[0]);
    snprintf(merge, sizeof merge, "/api/v1/incidents/%lld/merge", (long long)ids[1]);
    const char *investigate = "{\"to\":\"under_investigation\",\"reason\":\"two sources\","
                              "\"assignee\":\"un\"}";
    assert_int_equal(post_move(moves[0], un, "move-1", investigate, &r), 200);
    json_int_t first = receipt_index(&r);
    assert_true(first > 0);
    th_resp_free(&r);
    int64_t after = th_journal_len(T.db);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(post_move(moves[0], un, "move-1", investigate, &r), 200);
        assert_true(json_is_true(json_object_get(r.json, "replayed")));
        assert_int_equal(json_integer_value(json_object_get(r.json, "id")), ids[0]);
        assert_string_equal(json_string_value(json_object_get(r.json, "status")),
                            "under_investigation");
        assert_int_equal(receipt_index(&r), first);
        th_resp_free(&r);
        assert_int_equal(th_journal_len(T.db), after);
        if (round == 0) rebuild_tables();
    }
    /* The key with another body, or the same body for another incident: another request. */
    assert_int_equal(
        post_move(moves[0], un, "move-1", "{\"to\":\"verified\",\"reason\":\"x\"}", &r), 422);
    assert_string_equal(th_code(&r), "incident.key_reused");
    th_resp_free(&r);
    assert_int_equal(post_move(moves[1], un, "move-1", investigate, &r), 422);
    assert_string_equal(th_code(&r), "incident.key_reused");
    th_resp_free(&r);
    assert_int_equal(post_move(moves[1], un, "two words", investigate, &r), 400);
    assert_string_equal(th_code(&r), "request.invalid_header");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), after);
    /* Without a key, the same move again is refused: it has happened. */
    assert_int_equal(req("POST", moves[0], un, investigate, &r), 409);
    th_resp_free(&r);
    /* A dispute and a merge, each sent twice. */
    assert_int_equal(post_move(moves[0], un, "move-2",
                               "{\"to\":\"verified\",\"reason\":"
                               "\"site visit\"}",
                               &r),
                     200);
    th_resp_free(&r);
    static const char *const dispute = "{\"reason\":\"our forces were not there\"}";
    char merge_body[96];
    snprintf(merge_body, sizeof merge_body, "{\"into\":%lld,\"reason\":\"the same clash\"}",
             (long long)ids[0]);
    const struct {
        const char *path, *token, *key, *body, *status;
    } twice[] = {{disputes, israel, "dispute-1", dispute, "disputed"},
                 {merge, un, "merge-1", merge_body, "duplicate"}};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(post_move(twice[k].path, twice[k].token, twice[k].key, twice[k].body, &r),
                         200);
        json_int_t index = receipt_index(&r);
        th_resp_free(&r);
        int64_t len = th_journal_len(T.db);
        assert_int_equal(post_move(twice[k].path, twice[k].token, twice[k].key, twice[k].body, &r),
                         200);
        assert_true(json_is_true(json_object_get(r.json, "replayed")));
        assert_string_equal(json_string_value(json_object_get(r.json, "status")), twice[k].status);
        assert_int_equal(receipt_index(&r), index);
        th_resp_free(&r);
        assert_int_equal(th_journal_len(T.db), len);
    }
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
    store *holder = store_sqlite_open(t.db, 0, &e); /* the writer waits for this one */
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
    store *s = store_sqlite_open(t.db, STORE_READONLY, &e);
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
    char path[160], cmd[1024], sha[65];
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

    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"DROP TRIGGER evidence_blobs_no_update; UPDATE "
             "evidence_blobs SET data = CAST('FORGED statement' AS BLOB) WHERE "
             "sha256 = '%s'\"",
             t.db, sha);
    assert_int_equal(system(cmd), 0);
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
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"DROP TRIGGER evidence_blobs_no_delete; DELETE FROM "
             "evidence_blobs WHERE sha256 = '%s'\"",
             t.db, sha);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(th_truce(&out, &err, NULL, "audit --db '%s'", t.db), 1);
    if (!strstr(err, sha) || !strstr(err, "is missing") || !strstr(err, "(seq "))
        fail_msg("audit said: %s", err);
    free(out);
    free(err);
    th_rmrf(t.dir);
}

/* Smaller holes, each a clear 4xx (issue 14, item 12). */
static void ids_past_int64_are_a_400(void **state)
{
    th_resp r;
    (void)state;
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *usa = th_login(&T, "usa", "demo-usa");
    static const struct {
        const char *path;
        int usa;
    } paths[] = {{"/api/v1/reports/99999999999999999999", 0},
                 {"/api/v1/incidents/99999999999999999999", 0},
                 {"/api/v1/negotiations/99999999999999999999", 1},
                 {"/api/v1/agreements/99999999999999999999", 1},
                 {"/api/v1/negotiations/1/texts/99999999999999999999", 1},
                 {"/api/v1/negotiations/-1", 1},
                 {"/api/v1/negotiations/1x", 1}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        assert_int_equal(req("GET", paths[i].path, paths[i].usa ? usa : un, NULL, &r), 400);
        assert_string_equal(th_code(&r), "request.invalid_param");
        if (strstr(r.body, "9223372036854775807")) fail_msg("%s: %s", paths[i].path, r.body);
        th_resp_free(&r);
    }
}

static long upload(const char *token, const void *data, size_t len, const char *ctype,
                   const char *expect, th_resp *out);

/* A report may cite only evidence its own organization uploaded: another's file is refused
 * exactly as a file that does not exist (no existence oracle); monitors cite any. */
static void reports_cite_only_their_own_evidence(void **state)
{
    th_resp r;
    char sha[65], other[65], body[1024];
    unsigned char digest[32];
    static const char file[] = "WFP convoy manifest, 2025-02-03: 40 trucks, 12 of fuel.\n";
    (void)state;
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    const char *unrwa = th_login(&T, "unrwa", "demo-unrwa");
    const char *un = th_login(&T, "un", "demo-un-monitor");
    assert_int_equal(upload(wfp, file, strlen(file), "text/plain", NULL, &r), 201);
    th_resp_free(&r);
    crypto_hash_sha256(digest, (const unsigned char *)file, strlen(file));
    sodium_bin2hex(sha, sizeof sha, digest, sizeof digest);
    memset(other, 'e', 64);
    other[64] = 0;
    static const char fmt[] =
        "{\"event_date\":\"2025-02-03\",\"event_type\":\"Explosions/Remote violence\","
        "\"sub_event_type\":\"Shelling/artillery/missile attack\",\"actor1\":\"Unknown\","
        "\"geo_precision\":1,\"time_precision\":1,\"location\":\"Rafah\",\"latitude\":31.29,"
        "\"longitude\":34.25,\"evidence\":[\"%s\"]}";
    int64_t before = th_journal_len(T.db);
    char said[2][400];
    for (int k = 0; k < 2; k++) {
        snprintf(body, sizeof body, fmt, k ? other : sha);
        assert_int_equal(req("POST", "/api/v1/reports", unrwa, body, &r), 400);
        json_t *err = json_object_get(r.json, "error");
        snprintf(said[k], sizeof said[k], "%s|%s|%s", th_code(&r),
                 json_string_value(json_object_get(err, "message")),
                 json_string_value(json_object_get(err, "hint")));
        th_resp_free(&r);
    }
    /* The same words either way, but for the hash itself. */
    char *at = strstr(said[0], sha);
    assert_non_null(at);
    memcpy(at, other, 64);
    assert_string_equal(said[0], said[1]);
    assert_int_equal(th_journal_len(T.db), before);
    snprintf(body, sizeof body, fmt, sha);
    assert_int_equal(req("POST", "/api/v1/reports", wfp, body, NULL), 201);
    assert_int_equal(req("POST", "/api/v1/reports", un, body, NULL), 201);
}

/* A user whose password hash was made at another cost (an older setting) is checked in
 * the same time as everyone (the server's own cost follows the cheaper check) and, on
 * signing in, gets a hash at the server's cost, journaled; only once. */
static void sign_in_rehashes_a_hash_of_another_cost(void **state)
{
    char cmd[800];
    (void)state;
    snprintf(cmd, sizeof cmd,
             "echo 'the old cost pw' | TRUCE_PWHASH=interactive '%s' user add "
             "--db '%s' --org un --name oldcost --password - >/dev/null 2>&1",
             getenv("TRUCE_BIN"), T.db);
    assert_int_equal(system(cmd), 0);
    store_user u;
    tr_err e = TR_ERR_INIT;
    store *s = store_sqlite_open(T.db, STORE_READONLY, &e);
    assert_int_equal(accounts_store(s)->user_get(s, "oldcost", &u, &e), 1);
    s->ops->close(s);
    char before[sizeof u.pwhash];
    snprintf(before, sizeof before, "%s", u.pwhash);
    assert_int_equal(crypto_pwhash_str_needs_rehash(before, crypto_pwhash_OPSLIMIT_MIN,
                                                    crypto_pwhash_MEMLIMIT_MIN),
                     1);
    assert_int_equal(req("POST", "/api/v1/login", NULL,
                         "{\"user\":\"oldcost\",\"password\":\"wrong password\"}", NULL),
                     401);
    int64_t len = th_journal_len(T.db);
    assert_int_equal(req("POST", "/api/v1/login", NULL,
                         "{\"user\":\"oldcost\",\"password\":\"the old cost pw\"}", NULL),
                     201);
    assert_int_equal(th_journal_len(T.db), len + 2); /* the rehash and the token */
    s = store_sqlite_open(T.db, STORE_READONLY, &e);
    assert_int_equal(accounts_store(s)->user_get(s, "oldcost", &u, &e), 1);
    s->ops->close(s);
    assert_string_not_equal(u.pwhash, before);
    assert_int_equal(crypto_pwhash_str_needs_rehash(u.pwhash, crypto_pwhash_OPSLIMIT_MIN,
                                                    crypto_pwhash_MEMLIMIT_MIN),
                     0);
    assert_int_equal(req("POST", "/api/v1/login", NULL,
                         "{\"user\":\"oldcost\",\"password\":\"the old cost pw\"}", NULL),
                     201);
    assert_int_equal(th_journal_len(T.db), len + 3); /* a token only */
}

/* A receipt never carries secrets: an administrator creating a user, and a user signing
 * in, get receipts without the password or token hash (the leaf hash proves the same). */
static void receipts_carry_no_secrets(void **state)
{
    th_resp r;
    (void)state;
    const char *admin = th_login(&T, "admin", "demo-admin");
    assert_int_equal(req("POST", "/api/v1/users", admin,
                         "{\"name\":\"secret-keeper\",\"org\":\"un\",\"password\":"
                         "\"a long enough password\"}",
                         &r),
                     201);
    json_t *receipt = json_object_get(r.json, "receipt");
    assert_non_null(receipt);
    assert_non_null(json_object_get(receipt, "leaf_hash"));
    assert_null(json_object_get(receipt, "entry"));
    if (strstr(r.body, "argon2") || strstr(r.body, "pwhash")) fail_msg("%s", r.body);
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/login", NULL,
                         "{\"user\":\"secret-keeper\",\"password\":\"a long enough password\"}",
                         &r),
                     201);
    receipt = json_object_get(r.json, "receipt");
    assert_non_null(receipt);
    assert_null(json_object_get(receipt, "entry"));
    if (strstr(r.body, "\\\"hash\\\"")) fail_msg("%s", r.body);
    th_resp_free(&r);
    /* A report's receipt still carries its entry. */
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    assert_int_equal(req("POST", "/api/v1/reports", wfp,
                         "{\"event_date\":\"2025-02-01\",\"event_type\":\"Explosions/Remote "
                         "violence\",\"sub_event_type\":\"Shelling/artillery/missile attack\","
                         "\"actor1\":\"Unknown\",\"geo_precision\":1,\"location\":\"Beit "
                         "Lahia\",\"time_precision\":1,\"latitude\":31.5,\"longitude\":34.45}",
                         &r),
                     201);
    assert_non_null(json_object_get(json_object_get(r.json, "receipt"), "entry"));
    th_resp_free(&r);
}

/* A party disputes an incident only when one of its actors (exactly: never a part of a
 * longer name) is the incident's actor1 or actor2; monitors and administrators set the
 * actors, and the organization's page lists them. */
static void disputes_need_an_exact_actor(void **state)
{
    th_resp r;
    char path[128], body[900];
    (void)state;
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *israel = th_login(&T, "israel", "demo-israel");
    const char *admin = th_login(&T, "admin", "demo-admin");
    assert_int_equal(req("GET", "/api/v1/orgs/israel", NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "actors"), 0)),
                        "Military Forces of Israel (2022-)");
    th_resp_free(&r);
    /* Civilians of Israel, and a unit the list does not hold, name the words but not the
     * party: the old matching took "Israel" inside them for Israel. */
    static const char *const not_israel[] = {"Civilians (Israel)",
                                             "Military Forces of Israel (2022-) Navy"};
    json_int_t ids[2];
    for (int k = 0; k < 2; k++) {
        snprintf(body, sizeof body,
                 "{\"event_date\":\"2025-02-10\",\"event_type\":\"Explosions/Remote violence\","
                 "\"sub_event_type\":\"Shelling/artillery/missile attack\",\"actor1\":\"%s\","
                 "\"geo_precision\":1,\"time_precision\":1,\"location\":\"Rafah\","
                 "\"latitude\":31.28,\"longitude\":34.24}",
                 not_israel[k]);
        assert_int_equal(req("POST", "/api/v1/incidents", un, body, &r), 201);
        ids[k] = json_integer_value(json_object_get(r.json, "id"));
        th_resp_free(&r);
        snprintf(path, sizeof path, "/api/v1/incidents/%lld/transitions", (long long)ids[k]);
        assert_int_equal(req("POST", path, un,
                             "{\"to\":\"under_investigation\",\"reason\":\"x\","
                             "\"assignee\":\"un\"}",
                             NULL),
                         200);
        assert_int_equal(req("POST", path, un, "{\"to\":\"verified\",\"reason\":\"seen\"}", NULL),
                         200);
        snprintf(path, sizeof path, "/api/v1/incidents/%lld/disputes", (long long)ids[k]);
        assert_int_equal(req("POST", path, israel, "{\"reason\":\"not us\"}", &r), 403);
        assert_non_null(strstr(r.body, "does not name Israel"));
        th_resp_free(&r);
    }
    /* Bad lists change nothing: a party may not set them; an empty or repeated name, an
     * unknown organization. */
    int64_t before = th_journal_len(T.db);
    assert_int_equal(req("PUT", "/api/v1/orgs/israel/actors", israel,
                         "{\"actors\":[\"Civilians (Israel)\"]}", NULL),
                     403);
    assert_int_equal(req("PUT", "/api/v1/orgs/israel/actors", admin, "{\"actors\":[\"\"]}", &r),
                     400);
    assert_non_null(strstr(r.body, "actors[0]"));
    th_resp_free(&r);
    assert_int_equal(
        req("PUT", "/api/v1/orgs/israel/actors", admin, "{\"actors\":[\"A\",\"B\",\"A\"]}", &r),
        400);
    assert_non_null(strstr(r.body, "actors[2]"));
    th_resp_free(&r);
    assert_int_equal(req("PUT", "/api/v1/orgs/nowhere/actors", admin, "{\"actors\":[]}", &r), 404);
    assert_string_equal(th_code(&r), "org.not_found");
    th_resp_free(&r);
    assert_int_equal(req("PUT", "/api/v1/orgs/israel/actors", admin, "{\"actors\":\"A\"}", NULL),
                     400);
    assert_int_equal(th_journal_len(T.db), before);
    /* A monitor adds the unit: its incident is Israel's to dispute now. */
    assert_int_equal(req("PUT", "/api/v1/orgs/israel/actors", un,
                         "{\"actors\":[\"Military Forces of Israel (2022-)\",\"Military Forces of "
                         "Israel (2022-) Navy\"]}",
                         &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "actors")), 2);
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/disputes", (long long)ids[1]);
    assert_int_equal(req("POST", path, israel, "{\"reason\":\"not that unit\"}", NULL), 200);
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/disputes", (long long)ids[0]);
    assert_int_equal(req("POST", path, israel, "{\"reason\":\"not us\"}", NULL), 403);
    /* The mapping is the journal's: a rebuild keeps it. */
    rebuild_tables();
    assert_int_equal(req("GET", "/api/v1/orgs/israel", NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "actors")), 2);
    th_resp_free(&r);
    /* As the demo had it, for the tests after this one. */
    assert_int_equal(req("PUT", "/api/v1/orgs/israel/actors", admin,
                         "{\"actors\":[\"Military Forces of Israel (2022-)\",\"Military Forces of "
                         "Israel (2022-) Special Forces\",\"Police Forces of Israel (2022-)\"]}",
                         NULL),
                     200);
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
    store *holder = store_sqlite_open(t.db, 0, &e);
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
    store *s = store_sqlite_open(t.db, STORE_READONLY, &e);
    store_crossing c;
    assert_int_equal(aid_store(s)->crossing_get(s, "first-crossing", &c, &e), 1);
    assert_int_equal(aid_store(s)->crossing_get(s, "second-crossing", &c, &e), 0);
    s->ops->close(s);
    th_rmrf(t.dir);
}

/* An incident's history as the caller sees it: its event types joined by commas. */
static void history_types(const char *token, long long id, char *out, size_t cap)
{
    char path[96];
    th_resp r;
    size_t i;
    json_t *ev;
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/history", id);
    assert_int_equal(req("GET", path, token, NULL, &r), 200);
    out[0] = 0;
    json_array_foreach(json_object_get(r.json, "events"), i, ev)
    {
        if (i) strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, json_string_value(json_object_get(ev, "type")), cap - strlen(out) - 1);
    }
    th_resp_free(&r);
}

/* A new report's possible incidents are listed for a monitor, who adds it to one (the
 * report is then merged into that incident, for its filer to see too) or dismisses a
 * candidate (not listed again; for two incidents, both ways). A report merged already is a
 * 409, an unknown incident a 400 naming into, an unknown report a 404; none writes
 * anything. Both survive a rebuild. */
static void reports_join_existing_incidents(void **state)
{
    (void)state;
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    static const char *const common =
        "\"time_precision\":1,\"event_type\":\"Explosions/Remote violence\","
        "\"sub_event_type\":\"Shelling/artillery/missile attack\",\"actor1\":\"Unknown\","
        "\"geo_precision\":1,\"location\":\"Beit Lahia\",";
    char body[1024], path[96];
    th_resp r;
    snprintf(body, sizeof body,
             "{%s\"event_date\":\"2025-03-10\",\"latitude\":31.55,"
             "\"longitude\":34.50}",
             common);
    assert_int_equal(req("POST", "/api/v1/incidents", un, body, &r), 201);
    json_int_t incident = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    snprintf(body, sizeof body,
             "{%s\"event_date\":\"2025-03-11\",\"latitude\":31.551,"
             "\"longitude\":34.501}",
             common);
    assert_int_equal(req("POST", "/api/v1/reports", wfp, body, &r), 201);
    json_int_t report = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/reports", wfp, body, &r), 201);
    json_int_t other = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);

    snprintf(path, sizeof path, "/api/v1/reports/%lld/duplicates", (long long)report);
    assert_int_equal(req("GET", path, un, NULL, &r), 200);
    json_t *c = json_object_get(r.json, "candidates"), *it;
    size_t i;
    int found = 0;
    json_array_foreach(c, i, it)
    {
        if (json_integer_value(json_object_get(it, "id")) == incident) {
            found = 1;
            assert_true(json_real_value(json_object_get(it, "distance_km")) < 0.2);
            assert_int_equal(json_integer_value(json_object_get(it, "days_apart")), 1);
        }
    }
    assert_true(found);
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/reports/%lld/duplicates?km=500", (long long)report);
    assert_int_equal(req("GET", path, un, NULL, &r), 400);
    th_resp_free(&r);

    /* Dismissed for the other report, the incident is no longer its candidate; twice is a
     * 409 and an unknown incident a 400, neither written. */
    snprintf(path, sizeof path, "/api/v1/reports/%lld/duplicates/dismiss", (long long)other);
    snprintf(body, sizeof body, "{\"candidate\":%lld,\"reason\":\"another day's shelling\"}",
             (long long)incident);
    assert_int_equal(req("POST", path, un, body, &r), 200);
    assert_true(json_is_true(json_object_get(r.json, "dismissed")));
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    int64_t before = th_journal_len(T.db);
    assert_int_equal(req("POST", path, un, body, &r), 409);
    assert_string_equal(th_code(&r), "duplicate.dismissed");
    th_resp_free(&r);
    assert_int_equal(req("POST", path, un, "{\"candidate\":987654,\"reason\":\"x\"}", &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"candidate\""));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before);
    snprintf(path, sizeof path, "/api/v1/reports/%lld/duplicates", (long long)other);
    assert_int_equal(req("GET", path, un, NULL, &r), 200);
    json_array_foreach(json_object_get(r.json, "candidates"), i, it)
        assert_int_not_equal(json_integer_value(json_object_get(it, "id")), incident);
    th_resp_free(&r);
    /* Still listed for the first report. */
    snprintf(path, sizeof path, "/api/v1/reports/%lld/duplicates", (long long)report);
    assert_int_equal(req("GET", path, un, NULL, &r), 200);
    assert_non_null(strstr(r.body, "\"distance_km\""));
    th_resp_free(&r);

    before = th_journal_len(T.db);
    snprintf(path, sizeof path, "/api/v1/reports/%lld/merge", (long long)report);
    snprintf(body, sizeof body, "{\"into\":%lld,\"reason\":\"the same shelling\"}",
             (long long)incident);
    assert_int_equal(req("POST", path, un, body, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "merged");
    assert_int_equal(json_integer_value(json_object_get(r.json, "incident")), incident);
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before + 1);
    before += 1;
    /* The filer sees where its report went. */
    snprintf(path, sizeof path, "/api/v1/reports/%lld", (long long)report);
    assert_int_equal(req("GET", path, wfp, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "merged");
    assert_int_equal(json_integer_value(json_object_get(r.json, "incident")), incident);
    th_resp_free(&r);

    /* Nothing is written by a second merge, a missing incident or a missing report. */
    snprintf(path, sizeof path, "/api/v1/reports/%lld/merge", (long long)report);
    assert_int_equal(req("POST", path, un, body, &r), 409);
    assert_string_equal(th_code(&r), "report.merged");
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/reports/%lld/merge", (long long)other);
    assert_int_equal(req("POST", path, un, "{\"into\":987654,\"reason\":\"x\"}", &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"into\""));
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/reports/987654/merge", un, body, &r), 404);
    assert_string_equal(th_code(&r), "report.not_found");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/reports/987654/duplicates", un, NULL, &r), 404);
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before);

    /* Two incidents: dismissed one way, neither is listed for the other. */
    snprintf(body, sizeof body,
             "{%s\"event_date\":\"2025-03-10\",\"latitude\":31.5501,"
             "\"longitude\":34.5001}",
             common);
    assert_int_equal(req("POST", "/api/v1/incidents", un, body, &r), 201);
    json_int_t twin = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/duplicates", (long long)incident);
    assert_int_equal(req("GET", path, un, NULL, &r), 200);
    found = 0;
    json_array_foreach(json_object_get(r.json, "candidates"), i, it) found |=
        json_integer_value(json_object_get(it, "id")) == twin;
    assert_true(found);
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/duplicates/dismiss", (long long)twin);
    snprintf(body, sizeof body, "{\"candidate\":%lld,\"reason\":\"two strikes\"}",
             (long long)incident);
    assert_int_equal(req("POST", path, un, body, NULL), 200);
    for (int rebuilt = 0; rebuilt < 2; rebuilt++) {
        for (int k = 0; k < 2; k++) {
            json_int_t a = k ? twin : incident, b = k ? incident : twin;
            snprintf(path, sizeof path, "/api/v1/incidents/%lld/duplicates", (long long)a);
            assert_int_equal(req("GET", path, un, NULL, &r), 200);
            json_array_foreach(json_object_get(r.json, "candidates"), i, it)
                assert_int_not_equal(json_integer_value(json_object_get(it, "id")), b);
            th_resp_free(&r);
        }
        if (!rebuilt) rebuild_tables();
    }

    /* Both incidents' histories name what happened to them: the report added to one, the
     * dismissal on both sides (and still after the rebuilds above). */
    char types[512];
    history_types(un, incident, types, sizeof types);
    assert_non_null(strstr(types, "incident.opened"));
    assert_non_null(strstr(types, "report.merged"));
    assert_non_null(strstr(types, "duplicate.dismissed"));
    history_types(un, twin, types, sizeof types);
    assert_string_equal(types, "incident.opened,duplicate.dismissed");

    /* The merge is the journal's: a rebuild keeps it. */
    rebuild_tables();
    snprintf(path, sizeof path, "/api/v1/reports/%lld", (long long)report);
    assert_int_equal(req("GET", path, wfp, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "merged");
    assert_int_equal(json_integer_value(json_object_get(r.json, "incident")), incident);
    th_resp_free(&r);
}

/* Reports: checked whole (each bad field named, nothing written), tagged with their zones,
 * and seen only by monitors, mediators and the filing organization — in the journal too. */
static void reports_are_checked_and_private(void **state)
{
    static const char *const good =
        "{\"event_date\":\"2025-01-20\",\"time_precision\":1,\"time_of_day\":\"14:30\","
        "\"event_type\":\"Explosions/Remote violence\",\"sub_event_type\":\"Air/drone "
        "strike\",\"actor1\":\"Military Forces of Israel (2022-)\",\"actor2\":\"Civilians "
        "(Palestine)\",\"inter1\":\"External/Other forces\",\"inter2\":\"Civilians\","
        "\"latitude\":31.5017,\"longitude\":34.4668,\"geo_precision\":1,"
        "\"location\":\"Gaza City\",\"fatalities\":0,\"injured\":2,\"notes\":\"A strike "
        "on a house.\",\"sources\":[{\"name\":\"WAFA\",\"url\":\"https://wafa.ps/\","
        "\"reliability\":\"B\",\"credibility\":2}],\"violates\":[\"1.1\"]}";
    static const struct {
        const char *from, *to, *field;
    } bad[] = {
        {"2025-01-20", "2099-01-20", "event_date"},
        {"2025-01-20", "2025-02-30", "event_date"},
        {"2025-01-20", "20-01-2025", "event_date"},
        {"Air/drone strike", "Cavalry charge", "sub_event_type"},
        {"31.5017", "95", "latitude"},
        {"\"reliability\":\"B\"", "\"reliability\":\"G\"", "sources.reliability"},
        {"\"credibility\":2", "\"credibility\":7", "credibility"},
        {"https://wafa.ps/", "ftp://wafa.ps/x", "sources.url"},
        {"14:30", "25:30", "time_of_day"},
        {"\"geo_precision\":1", "\"geo_precision\":4", "geo_precision"},
        {"\"injured\":2", "\"injured\":-2", "injured"},
        {"\"notes\"", "\"colour\"", "colour"},
        {"\"inter2\":\"Civilians\"", "\"inter2\":\"Soldiers\"", "inter2"},
    };
    const char *israel = th_login(&T, "israel", "demo-israel");
    const char *hamas = th_login(&T, "hamas", "demo-hamas");
    const char *monitor = th_login(&T, "un", "demo-un-monitor");
    int64_t before = th_journal_len(T.db);
    char body[2048], path[64];
    th_resp r;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *at = strstr(good, bad[i].from);
        assert_non_null(at);
        snprintf(body, sizeof body, "%.*s%s%s", (int)(at - good), good, bad[i].to,
                 at + strlen(bad[i].from));
        assert_int_equal(req("POST", "/api/v1/reports", israel, body, &r), 400);
        assert_error_shape(&r);
        const char *field = json_string_value(
            json_object_get(json_object_get(json_object_get(r.json, "error"), "detail"), "field"));
        if (!field || !strstr(field, bad[i].field))
            fail_msg("case %zu: expected field %s: %s", i, bad[i].field, r.body);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
    /* Without an account: 10 an hour per address (one was spent by the access table), then
     * a 429 with Retry-After that writes nothing. Monitors see those reports; the filer,
     * having no account, cannot read them back. */
    int public_ok = 0;
    json_int_t public_id = 0;
    for (int i = 0; i < 20; i++) {
        long st = req("POST", "/api/v1/reports", NULL, good, &r);
        if (st == 201) {
            public_ok++;
            public_id = json_integer_value(json_object_get(r.json, "id"));
            assert_string_equal(json_string_value(json_object_get(r.json, "org")), "(public)");
            th_resp_free(&r);
            continue;
        }
        assert_int_equal(st, 429);
        assert_string_equal(th_code(&r), "report.rate_limited");
        char *ra = th_header(&r, "Retry-After");
        assert_non_null(ra);
        assert_true(atoi(ra) > 0);
        free(ra);
        th_resp_free(&r);
        break;
    }
    assert_int_equal(public_ok, 9);
    int64_t after_public = th_journal_len(T.db);
    assert_int_equal(req("POST", "/api/v1/reports", NULL, good, NULL), 429);
    assert_int_equal(th_journal_len(T.db), after_public);
    char ppath[64];
    snprintf(ppath, sizeof ppath, "/api/v1/reports/%lld", (long long)public_id);
    assert_int_equal(req("GET", ppath, monitor, NULL, NULL), 200);
    assert_int_equal(req("GET", ppath, israel, NULL, NULL), 404);
    assert_int_equal(req("GET", ppath, NULL, NULL, NULL), 401);
    /* Signed-in users are not limited. */
    before = th_journal_len(T.db);

    assert_int_equal(req("POST", "/api/v1/reports", israel, good, &r), 201);
    assert_non_null(json_object_get(r.json, "receipt"));
    assert_string_equal(json_string_value(json_object_get(r.json, "org")), "israel");
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "filed");
    json_t *zones = json_object_get(r.json, "zones");
    assert_int_equal(json_array_size(zones), 1);
    assert_string_equal(json_string_value(json_array_get(zones, 0)), "gaza");
    json_int_t id = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before + 1);

    snprintf(path, sizeof path, "/api/v1/reports/%lld", (long long)id);
    assert_int_equal(req("GET", path, israel, NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "injured")), 2);
    /* admin2 was left out: the governorate that contains the place names it. */
    assert_string_equal(json_string_value(json_object_get(r.json, "admin2")), "Gaza");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(r.json, "sources"), 0), "reliability")),
                        "B");
    th_resp_free(&r);
    assert_int_equal(req("GET", path, monitor, NULL, NULL), 200);
    assert_int_equal(req("GET", path, hamas, NULL, &r), 404);
    assert_string_equal(th_code(&r), "report.not_found");
    assert_null(strstr(r.body, "drone"));
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/reports/999999", monitor, NULL, NULL), 404);
    assert_int_equal(req("GET", "/api/v1/reports/zero", monitor, NULL, NULL), 400);

    /* The journal entry is redacted for the other side and the public. */
    char jpath[64];
    snprintf(jpath, sizeof jpath, "/api/v1/journal?after=%lld&limit=1", (long long)before);
    const char *readers[] = {hamas, NULL, monitor, israel};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(req("GET", jpath, readers[k], NULL, &r), 200);
        json_t *ev = json_array_get(json_object_get(r.json, "events"), 0);
        assert_string_equal(json_string_value(json_object_get(ev, "type")), "report.filed");
        assert_int_equal(json_is_true(json_object_get(ev, "redacted")), k < 2);
        assert_int_equal(strstr(r.body, "drone") != NULL, k >= 2);
        th_resp_free(&r);
    }
}

/* The whole verification workflow, from a report to an upheld dispute: each step by the
 * role allowed to take it, every wrong move a 409 that lists the allowed ones, and the
 * public seeing the incident once, and only while, it is verified or after. */
static void the_verification_workflow(void **state)
{
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *usa = th_login(&T, "usa", "demo-usa");
    const char *israel = th_login(&T, "israel", "demo-israel");
    const char *hamas = th_login(&T, "hamas", "demo-hamas");
    const char *fields =
        "\"event_date\":\"2025-02-03\",\"time_precision\":1,\"event_type\":\"Violence "
        "against civilians\",\"sub_event_type\":\"Attack\",\"actor1\":\"Military Forces of "
        "Israel (2022-)\",\"actor2\":\"Civilians (Palestine)\",\"latitude\":31.3462,"
        "\"longitude\":34.3063,\"geo_precision\":1,\"location\":\"Khan Younis\",\"fatalities\":1";
    char body[2048], path[96], tpath[96];
    th_resp r;
    (void)state;

    /* A humanitarian organization files; a monitor opens an incident from the report. */
    snprintf(body, sizeof body, "{%s,\"admin2\":\"Khan Yunis (as reported)\"}", fields);
    assert_int_equal(req("POST", "/api/v1/reports", wfp, body, &r), 201);
    /* A reporter's own admin2 is kept. */
    assert_string_equal(json_string_value(json_object_get(r.json, "admin2")),
                        "Khan Yunis (as reported)");
    json_int_t report = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    snprintf(body, sizeof body, "{%s,\"reports\":[%lld]}", fields, (long long)report);
    assert_int_equal(req("POST", "/api/v1/incidents", wfp, body, NULL), 403);
    assert_int_equal(req("POST", "/api/v1/incidents", un, body, &r), 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "reported");
    assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "zones"), 0)),
                        "khan-yunis");
    json_int_t id = json_integer_value(json_object_get(r.json, "id"));
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    /* The report is merged, and joins one incident only. */
    snprintf(path, sizeof path, "/api/v1/reports/%lld", (long long)report);
    assert_int_equal(req("GET", path, wfp, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "merged");
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/incidents", un, body, &r), 409);
    assert_string_equal(th_code(&r), "report.merged");
    th_resp_free(&r);
    /* Bad bodies: each a 400 that writes nothing. */
    int64_t unchanged = th_journal_len(T.db);
    const char *bad_opens[] = {"{%s,\"reports\":[999999]}", "{%s,\"reports\":[\"one\"]}",
                               "{%s,\"reports\":[0]}", "{%s,\"latitude\":91}",
                               "{%s,\"event_date\":\"2099-01-01\"}"};
    for (size_t b = 0; b < sizeof bad_opens / sizeof bad_opens[0]; b++) {
        snprintf(body, sizeof body, bad_opens[b], fields);
        if (req("POST", "/api/v1/incidents", un, body, &r) != 400)
            fail_msg("case %zu: %s", b, r.body);
        assert_error_shape(&r);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), unchanged);
    /* No such incident: 404 for every verb; a malformed number, 400. */
    assert_int_equal(req("POST", "/api/v1/incidents/999999/transitions", un,
                         "{\"to\":\"verified\",\"reason\":\"x\"}", NULL),
                     404);
    assert_int_equal(
        req("POST", "/api/v1/incidents/999999/disputes", israel, "{\"reason\":\"x\"}", NULL), 404);
    assert_int_equal(req("POST", "/api/v1/incidents/0/transitions", un,
                         "{\"to\":\"verified\",\"reason\":\"x\"}", NULL),
                     400);
    assert_int_equal(req("GET", "/api/v1/reports/0", un, NULL, NULL), 400);
    assert_int_equal(req("GET", "/api/v1/incidents/1/duplicates?days=-1", un, NULL, NULL), 400);
    assert_int_equal(req("GET", "/api/v1/incidents/1/duplicates?km=abc", un, NULL, NULL), 400);
    assert_int_equal(th_journal_len(T.db), unchanged);

    snprintf(path, sizeof path, "/api/v1/incidents/%lld", (long long)id);
    snprintf(tpath, sizeof tpath, "/api/v1/incidents/%lld/transitions", (long long)id);
    assert_int_equal(req("GET", path, NULL, NULL, NULL), 404); /* not yet public */
    int64_t before = th_journal_len(T.db);
    /* Straight to verified: 409, naming the way. */
    assert_int_equal(req("POST", tpath, un, "{\"to\":\"verified\",\"reason\":\"seen\"}", &r), 409);
    assert_string_equal(th_code(&r), "incident.bad_transition");
    assert_non_null(strstr(r.body, "allowed: under_investigation"));
    th_resp_free(&r);
    assert_int_equal(req("POST", tpath, un, "{\"to\":\"flying\",\"reason\":\"x\"}", NULL), 409);
    /* Mediators do not investigate; an investigation needs an assignee; a reason is due. */
    assert_int_equal(req("POST", tpath, usa,
                         "{\"to\":\"under_investigation\",\"reason\":\"x\","
                         "\"assignee\":\"un\"}",
                         NULL),
                     403);
    assert_int_equal(
        req("POST", tpath, un, "{\"to\":\"under_investigation\",\"reason\":\"x\"}", &r), 400);
    assert_string_equal(th_code(&r), "request.missing_field");
    th_resp_free(&r);
    assert_int_equal(
        req("POST", tpath, un, "{\"to\":\"under_investigation\",\"reason\":\"\"}", NULL), 400);
    assert_int_equal(req("POST", tpath, israel, "{\"to\":\"verified\",\"reason\":\"x\"}", NULL),
                     403);
    /* Assigned to a name nobody has, or to a user of a party: not a monitor's investigation. */
    static const struct {
        const char *assignee, *words;
    } not_monitors[] = {{"nobody", "there is no user 'nobody'"},
                        {"israel", "a party organization, not a monitor"}};
    for (size_t k = 0; k < 2; k++) {
        char move[200];
        snprintf(move, sizeof move,
                 "{\"to\":\"under_investigation\",\"reason\":\"x\","
                 "\"assignee\":\"%s\"}",
                 not_monitors[k].assignee);
        assert_int_equal(req("POST", tpath, un, move, &r), 400);
        assert_string_equal(th_code(&r), "request.invalid_field");
        assert_non_null(strstr(r.body, "\"field\":\"assignee\""));
        if (!strstr(r.body, not_monitors[k].words)) fail_msg("%s", r.body);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
    assert_int_equal(req("POST", tpath, un,
                         "{\"to\":\"under_investigation\",\"reason\":\"two "
                         "sources\",\"assignee\":\"un\"}",
                         &r),
                     200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")),
                        "under_investigation");
    th_resp_free(&r);
    assert_int_equal(req("POST", tpath, un,
                         "{\"to\":\"verified\",\"reason\":\"site visit, "
                         "photographs\"}",
                         NULL),
                     200);
    assert_int_equal(req("GET", path, NULL, NULL, &r), 200); /* now public */
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "verified");
    th_resp_free(&r);

    /* Disputes: only a party the incident names, only once. */
    snprintf(tpath, sizeof tpath, "/api/v1/incidents/%lld/disputes", (long long)id);
    assert_int_equal(req("POST", tpath, hamas, "{\"reason\":\"not us\"}", &r), 403);
    assert_non_null(strstr(r.body, "does not name"));
    th_resp_free(&r);
    assert_int_equal(req("POST", tpath, usa, "{\"reason\":\"x\"}", NULL), 403);
    assert_int_equal(req("POST", tpath, israel, "{\"reason\":\"our forces were not there\"}", &r),
                     200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "disputed");
    th_resp_free(&r);
    assert_int_equal(req("POST", tpath, israel, "{\"reason\":\"again\"}", NULL), 409);
    snprintf(tpath, sizeof tpath, "/api/v1/incidents/%lld/transitions", (long long)id);
    assert_int_equal(req("POST", tpath, israel, "{\"to\":\"overturned\",\"reason\":\"x\"}", NULL),
                     403);
    assert_int_equal(req("POST", tpath, usa,
                         "{\"to\":\"upheld\",\"reason\":\"the photographs "
                         "stand\"}",
                         &r),
                     200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "upheld");
    th_resp_free(&r);
    assert_int_equal(req("POST", tpath, un, "{\"to\":\"overturned\",\"reason\":\"x\"}", &r), 409);
    assert_non_null(strstr(r.body, "allowed: none"));
    th_resp_free(&r);

    /* Still public once upheld. */
    assert_int_equal(req("GET", path, NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "upheld");
    th_resp_free(&r);
    /* Four moves in the journal, each with its actor and reason. */
    char jpath[96];
    snprintf(jpath, sizeof jpath, "/api/v1/journal?after=%lld", (long long)before);
    assert_int_equal(req("GET", jpath, un, NULL, &r), 200);
    const char *const want[] = {"under_investigation", "verified", "disputed", "upheld"};
    size_t i, k = 0;
    json_t *ev;
    json_array_foreach(json_object_get(r.json, "events"), i, ev)
    {
        assert_string_equal(json_string_value(json_object_get(ev, "type")), "incident.transition");
        json_t *b = json_object_get(ev, "body");
        assert_true(k < 4);
        assert_string_equal(json_string_value(json_object_get(b, "to")), want[k]);
        assert_true(json_string_length(json_object_get(b, "reason")) > 0);
        assert_non_null(json_object_get(json_object_get(ev, "actor"), "user"));
        k++;
    }
    assert_int_equal(k, 4);
    th_resp_free(&r);
    /* Its history, in one request: opened, investigated, verified, disputed, upheld, with
     * actors and reasons for monitors; the public reads the moves it may (verified
     * onwards) and sees that the rest happened (redacted, numbered). */
    char hpath[96];
    snprintf(hpath, sizeof hpath, "/api/v1/incidents/%lld/history", (long long)id);
    static const char *const types[] = {"incident.opened", "incident.transition",
                                        "incident.transition", "incident.transition",
                                        "incident.transition"};
    static const char *const to[] = {NULL, "under_investigation", "verified", "disputed", "upheld"};
    for (int who = 0; who < 2; who++) {
        assert_int_equal(req("GET", hpath, who ? NULL : un, NULL, &r), 200);
        assert_string_equal(json_string_value(json_object_get(r.json, "status")), "upheld");
        json_t *events = json_object_get(r.json, "events");
        assert_int_equal(json_array_size(events), 5);
        int64_t last = 0;
        json_array_foreach(events, i, ev)
        {
            int64_t seq = json_integer_value(json_object_get(ev, "seq"));
            assert_true(seq > last);
            last = seq;
            assert_string_equal(json_string_value(json_object_get(ev, "type")), types[i]);
            json_t *b = json_object_get(ev, "body");
            if (who == 1 && i < 2) { /* before it was verified: monitors and mediators only */
                assert_true(json_is_true(json_object_get(ev, "redacted")));
                assert_null(b);
                continue;
            }
            assert_non_null(json_object_get(ev, "actor"));
            if (to[i]) {
                assert_string_equal(json_string_value(json_object_get(b, "to")), to[i]);
                assert_true(json_string_length(json_object_get(b, "reason")) > 0);
            }
        }
        th_resp_free(&r);
    }
    assert_int_equal(req("GET", "/api/v1/incidents/999999/history", un, NULL, &r), 404);
    assert_string_equal(th_code(&r), "incident.not_found");
    th_resp_free(&r);

    /* Rebuilt from the journal alone, reports, incidents (with the merge above), private
     * fields and who uploaded which evidence come back the same. */
#define TABLES                                                                                     \
    "SELECT * FROM reports ORDER BY 1; SELECT * FROM incidents ORDER BY 1;"                        \
    " SELECT * FROM evidence ORDER BY 1, 2; SELECT * FROM private_fields ORDER BY 1;"              \
    " SELECT count(*) FROM private_fields; SELECT count(*) FROM evidence;"                         \
    " SELECT * FROM incident_keys ORDER BY 1, 2; SELECT count(*) FROM incident_keys;"              \
    " SELECT * FROM incident_events ORDER BY 1, 2; SELECT count(*) FROM incident_events"
    char cmd[8192], copy[512];
    snprintf(copy, sizeof copy, "%s.copy", T.db);
    snprintf(cmd, sizeof cmd,
             "rm -f '%s' && sqlite3 '%s' \".backup '%s'\" && cp '%s.key' '%s.key' && "
             "sqlite3 '%s' '" TABLES "' > '%s.before' && sqlite3 '%s' 'DELETE FROM reports;"
             " DELETE FROM evidence; DELETE FROM private_fields; DELETE FROM incident_keys;"
             " DELETE FROM incident_events;"
             " UPDATE incidents SET status = 0'",
             copy, T.db, copy, T.db, copy, copy, copy, copy);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", copy), 0);
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' '" TABLES "' | cmp -s - '%s.before'", copy, copy);
    assert_int_equal(system(cmd), 0);
}

/* ---- evidence, private fields, merges ------------------------------------------------ */

/* A 1x1 PNG. */
static const unsigned char PNG[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
    0xda, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x02, 0x01, 0xa5, 0xf9,
    0xb5, 0xb5, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

static long upload(const char *token, const void *data, size_t len, const char *ctype,
                   const char *expect, th_resp *out)
{
    char sha[128];
    snprintf(sha, sizeof sha, "X-Content-SHA256: %s", expect ? expect : "");
    return post_with("/api/v1/evidence", token, data, len, ctype, expect ? sha : NULL, out);
}

/* PATCH /evidence/uploads/{sha256}: one piece. */
static long piece(const char *token, const char *sha, long long at, long long total,
                  const char *ctype, const void *data, size_t len, th_resp *out)
{
    char path[160], h_at[64], h_total[64], h_ct[96];
    snprintf(path, sizeof path, "/api/v1/evidence/uploads/%s", sha);
    snprintf(h_at, sizeof h_at, "Upload-Offset: %lld", at);
    snprintf(h_total, sizeof h_total, "Upload-Length: %lld", total);
    snprintf(h_ct, sizeof h_ct, "Content-Type: %s", ctype);
    const char *headers[] = {h_ct, at >= 0 ? h_at : NULL, NULL, NULL};
    headers[at >= 0 ? 2 : 1] = total >= 0 ? h_total : NULL;
    assert_int_equal(th_http_with("PATCH", th_url(&T, path), token, data, len, headers, out), 0);
    return out->status;
}

/* A phone on a link that drops sends a 300 KB statement in pieces: a piece sent twice (the
 * reply lost) is a 409 that says where to resume, as GET does; pieces are per
 * organization and never journaled; the last one makes the file whole, checked and stored
 * as POST /evidence stores it (one event, a receipt), and sending it again changes
 * nothing. A whole file that is not what its name says is refused and its pieces go. */
static void evidence_arrives_in_pieces_and_resumes(void **state)
{
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    buf file = BUF_INIT;
    unsigned char digest[32];
    char sha[65], path[160];
    th_resp r;
    (void)state;
    for (int i = 0; i < 4000; i++)
        buf_printf(&file, "Statement %d: the convoy was stopped at the checkpoint at %02d:%02d.\n",
                   i, i % 24, i % 60);
    long long size = (long long)file.len;
    crypto_hash_sha256(digest, (const unsigned char *)file.p, file.len);
    sodium_bin2hex(sha, sizeof sha, digest, sizeof digest);
    snprintf(path, sizeof path, "/api/v1/evidence/uploads/%s", sha);
    int64_t before = th_journal_len(T.db);

    assert_int_equal(req("GET", path, un, NULL, &r), 404);
    assert_string_equal(th_code(&r), "evidence.upload_not_found");
    th_resp_free(&r);
    assert_int_equal(piece(un, sha, 0, size, "text/plain", file.p, 100000, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "offset")), 100000);
    assert_int_equal(json_integer_value(json_object_get(r.json, "length")), size);
    assert_true(json_is_false(json_object_get(r.json, "complete")));
    th_resp_free(&r);
    /* The reply was lost and the phone sends the piece again: told where to resume. */
    assert_int_equal(piece(un, sha, 0, size, "text/plain", file.p, 100000, &r), 409);
    assert_string_equal(th_code(&r), "evidence.offset_mismatch");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(r.json, "error"), "detail"), "offset")),
                     100000);
    th_resp_free(&r);
    assert_int_equal(req("GET", path, un, NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "offset")), 100000);
    th_resp_free(&r);
    /* Another organization has no upload of it: its own starts at 0. */
    assert_int_equal(req("GET", path, wfp, NULL, &r), 404);
    th_resp_free(&r);
    assert_int_equal(piece(wfp, sha, 100000, size, "text/plain", file.p + 100000, 1000, &r), 409);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(r.json, "error"), "detail"), "offset")),
                     0);
    th_resp_free(&r);
    /* Pieces that do not belong to this upload, each refused. */
    static const struct {
        long long at, total;
        const char *ctype, *code;
        long status;
    } bad[] = {{100000, 400000, "text/plain", "evidence.upload_conflict", 409},
               {100000, -1, "text/plain", "request.invalid_header", 400},
               {-1, 0, "text/plain", "request.invalid_header", 400},
               {100000, 0, "image/png", "evidence.upload_conflict", 409},
               {100000, 150000, "text/plain", "evidence.upload_conflict", 409},
               {100000, 30000000, "text/plain", "request.too_large", 413}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        long long total = bad[k].total == 0 ? size : bad[k].total;
        assert_int_equal(piece(un, sha, bad[k].at, bad[k].total < 0 ? -1 : total, bad[k].ctype,
                               file.p + 100000, 1000, &r),
                         bad[k].status);
        assert_string_equal(th_code(&r), bad[k].code);
        th_resp_free(&r);
    }
    { /* no Content-Type: the file's type must come with every piece */
        char h_at[64], h_len[64];
        snprintf(h_at, sizeof h_at, "Upload-Offset: 100000");
        snprintf(h_len, sizeof h_len, "Upload-Length: %lld", size);
        const char *headers[] = {h_at, h_len, "Content-Type:", NULL};
        assert_int_equal(
            th_http_with("PATCH", th_url(&T, path), un, file.p + 100000, 1000, headers, &r), 0);
        assert_int_equal(r.status, 400);
        assert_non_null(strstr(r.body, "\"field\":\"Content-Type\""));
        th_resp_free(&r);
    }
    assert_int_equal(piece(un, sha, 100000, size, "text/plain", file.p + 100000, (size_t)size, &r),
                     400); /* past the end */
    assert_string_equal(th_code(&r), "evidence.bad_piece");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before); /* pieces are not the record */
    /* The rest: the file, whole, checked and stored, with its receipt. */
    assert_int_equal(piece(un, sha, 100000, size, "text/plain; charset=utf-8", file.p + 100000,
                           (size_t)size - 100000, &r),
                     201);
    assert_string_equal(json_string_value(json_object_get(r.json, "sha256")), sha);
    assert_string_equal(json_string_value(json_object_get(r.json, "media_type")), "text/plain");
    assert_int_equal(json_integer_value(json_object_get(r.json, "size")), size);
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    int64_t stored = th_journal_len(T.db);
    assert_int_equal(stored, before + 1);
    char get[160];
    snprintf(get, sizeof get, "/api/v1/evidence/%s", sha);
    assert_int_equal(req("GET", get, un, NULL, &r), 200);
    assert_int_equal(r.len, (size_t)size);
    assert_memory_equal(r.body, file.p, (size_t)size);
    th_resp_free(&r);
    assert_int_equal(req("GET", path, un, NULL, &r), 200);
    assert_true(json_is_true(json_object_get(r.json, "complete")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "offset")), size);
    th_resp_free(&r);
    /* The last piece again (its reply lost): stored already, nothing written. */
    assert_int_equal(
        piece(un, sha, 100000, size, "text/plain", file.p + 100000, (size_t)size - 100000, &r),
        200);
    assert_true(json_is_true(json_object_get(r.json, "complete")));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), stored);
    /* Named by a hash that is not the file's: refused whole, its pieces gone. */
    static const char other[] = "0000000000000000000000000000000000000000000000000000000000000001";
    assert_int_equal(piece(un, other, 0, size, "text/plain", file.p, 200000, &r), 200);
    th_resp_free(&r);
    assert_int_equal(
        piece(un, other, 200000, size, "text/plain", file.p + 200000, (size_t)size - 200000, &r),
        400);
    assert_string_equal(th_code(&r), "evidence.hash_mismatch");
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/evidence/uploads/%s", other);
    assert_int_equal(req("GET", path, un, NULL, &r), 404);
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), stored);
    /* At most 16 uploads in progress per organization. */
    for (int i = 0; i < 17; i++) {
        char name[65];
        snprintf(name, sizeof name, "%064x", i + 16);
        long want = i < 16 ? 200 : 429;
        assert_int_equal(piece(wfp, name, 0, 100, "text/plain", file.p, 10, &r), want);
        if (i == 16) assert_string_equal(th_code(&r), "evidence.uploads_in_progress");
        th_resp_free(&r);
    }
    buf_free(&file);
}

static void evidence_witnesses_and_merges(void **state)
{
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    const char *un = th_login(&T, "un", "demo-un-monitor");
    const char *usa = th_login(&T, "usa", "demo-usa");
    const char *israel = th_login(&T, "israel", "demo-israel");
    unsigned char digest[32];
    char hash[65], path[160], body[4096];
    th_resp r;
    (void)state;
    crypto_hash_sha256(digest, PNG, sizeof PNG);
    sodium_bin2hex(hash, sizeof hash, digest, sizeof digest);

    /* Bad uploads: each refused with a reason, nothing written. */
    int64_t unchanged = th_journal_len(T.db);
    static const char script[] = "#!/bin/sh\nrm -rf /\n";
    assert_int_equal(upload(wfp, PNG, sizeof PNG, "image/jpeg", NULL, &r), 415);
    assert_string_equal(th_code(&r), "evidence.type_mismatch");
    assert_non_null(strstr(r.body, "image/png"));
    th_resp_free(&r);
    assert_int_equal(upload(wfp, script, strlen(script), "text/plain", NULL, &r), 415);
    assert_string_equal(th_code(&r), "evidence.type_refused");
    th_resp_free(&r);
    assert_int_equal(upload(wfp, PNG, sizeof PNG, "image/png",
                            "0000000000000000000000000000000000000000000000000000000000000000", &r),
                     400);
    assert_string_equal(th_code(&r), "evidence.hash_mismatch");
    assert_non_null(strstr(r.body, hash)); /* names the real hash */
    th_resp_free(&r);
    assert_int_equal(upload(wfp, PNG, sizeof PNG, "image/png", "not-a-hash", &r), 400);
    assert_string_equal(th_code(&r), "request.invalid_header");
    th_resp_free(&r);
    assert_int_equal(upload(wfp, "", 0, "image/png", NULL, &r), 400);
    assert_string_equal(th_code(&r), "evidence.empty");
    th_resp_free(&r);
    /* Too large: refused from the declared length, before the body is sent (a client that
     * sends "Expect: 100-continue" learns it without uploading 20 MiB; without it the
     * server may close the connection while the client is still sending). */
    size_t big = 20u * 1024 * 1024 + 1;
    char *huge = calloc(1, big);
    const char *expecting[] = {"Content-Type: image/png", "Expect: 100-continue", NULL};
    assert_int_equal(
        th_http_with("POST", th_url(&T, "/api/v1/evidence"), wfp, huge, big, expecting, &r), 0);
    assert_int_equal(r.status, 413);
    assert_string_equal(th_code(&r), "request.too_large");
    th_resp_free(&r);
    free(huge);
    assert_int_equal(upload(NULL, PNG, sizeof PNG, "image/png", NULL, NULL), 401);
    assert_int_equal(th_journal_len(T.db), unchanged);

    /* A good one, with the hash the uploader expects (in capitals: hex is hex). */
    char upper[65];
    for (int i = 0; i < 65; i++)
        upper[i] = (char)toupper((unsigned char)hash[i]);
    assert_int_equal(upload(wfp, PNG, sizeof PNG, "image/png", upper, &r), 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "sha256")), hash);
    assert_string_equal(json_string_value(json_object_get(r.json, "media_type")), "image/png");
    assert_int_equal(json_integer_value(json_object_get(r.json, "size")), sizeof PNG);
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    /* The same file again changes nothing. */
    int64_t once = th_journal_len(T.db);
    assert_int_equal(upload(wfp, PNG, sizeof PNG, "application/octet-stream", NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "sha256")), hash);
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), once);
    /* The uploader, monitors and mediators get it back byte for byte; a party does not. */
    snprintf(path, sizeof path, "/api/v1/evidence/%s", hash);
    const char *may[] = {wfp, un, usa};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(req("GET", path, may[i], NULL, &r), 200);
        assert_int_equal(r.len, sizeof PNG);
        assert_memory_equal(r.body, PNG, sizeof PNG);
        char *ct = th_header(&r, "Content-Type");
        assert_string_equal(ct, "image/png");
        free(ct);
        th_resp_free(&r);
    }
    assert_int_equal(req("GET", path, israel, NULL, &r), 404);
    assert_string_equal(th_code(&r), "evidence.not_found");
    th_resp_free(&r);
    /* A copy already held is not sent again (ETag); to someone who may not see the file,
     * it still does not exist. */
    {
        char inm[128];
        snprintf(inm, sizeof inm, "If-None-Match: \"%s\"", hash);
        const char *headers[] = {inm, NULL};
        assert_int_equal(th_http_with("GET", th_url(&T, path), wfp, "", 0, headers, &r), 0);
        assert_int_equal(r.status, 304);
        assert_int_equal(r.len, 0);
        th_resp_free(&r);
        assert_int_equal(th_http_with("GET", th_url(&T, path), israel, "", 0, headers, &r), 0);
        assert_int_equal(r.status, 404);
        th_resp_free(&r);
    }
    assert_int_equal(req("GET", "/api/v1/evidence/XYZ", un, NULL, NULL), 400);

    /* A report cites it and names a witness: the witness is for monitors only. */
    const char *fields =
        "\"event_date\":\"2025-02-04\",\"time_precision\":1,\"event_type\":\"Explosions/Remote "
        "violence\",\"sub_event_type\":\"Shelling/artillery/missile attack\",\"actor1\":"
        "\"Unidentified Armed Group (Palestine)\",\"latitude\":31.4167,\"longitude\":34.35,"
        "\"geo_precision\":1,\"location\":\"Deir al-Balah\"";
    unchanged = th_journal_len(T.db);
    snprintf(body, sizeof body, "{%s,\"evidence\":[\"%064d\"]}", fields, 7);
    assert_int_equal(req("POST", "/api/v1/reports", wfp, body, &r), 400);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(r.json, "error"), "detail"), "field")),
                        "evidence");
    th_resp_free(&r);
    snprintf(body, sizeof body, "{%s,\"evidence\":[\"abc\"]}", fields);
    assert_int_equal(req("POST", "/api/v1/reports", wfp, body, NULL), 400);
    snprintf(body, sizeof body, "{%s,\"witnesses\":[{\"contact\":\"+970\"}]}", fields);
    assert_int_equal(req("POST", "/api/v1/reports", wfp, body, NULL), 400);
    assert_int_equal(th_journal_len(T.db), unchanged);
    snprintf(body, sizeof body,
             "{%s,\"evidence\":[\"%s\"],\"witnesses\":[{\"name\":\"Witness Quassem\","
             "\"contact\":\"+970 59 000 0000\",\"statement\":\"Two shells at dawn\"}],"
             "\"private\":{\"source_identity\":\"Nurse at Al-Aqsa hospital\"}}",
             fields, hash);
    assert_int_equal(req("POST", "/api/v1/reports", wfp, body, &r), 201);
    json_int_t report = json_integer_value(json_object_get(r.json, "id"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(r.json, "evidence"), 0)),
                        hash);
    assert_null(strstr(r.body, "Quassem"));
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/reports/%lld", (long long)report);
    assert_int_equal(req("GET", path, un, NULL, &r), 200);
    json_t *w = json_array_get(json_object_get(r.json, "witnesses"), 0);
    assert_string_equal(json_string_value(json_object_get(w, "name")), "Witness Quassem");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "private"), "source_identity")),
        "Nurse at Al-Aqsa hospital");
    th_resp_free(&r);
    const char *not_monitors[] = {wfp, usa};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(req("GET", path, not_monitors[i], NULL, &r), 200);
        assert_null(strstr(r.body, "Quassem"));
        assert_null(strstr(r.body, "Al-Aqsa hospital"));
        th_resp_free(&r);
    }
    /* Nor does the journal show them to anyone but monitors. */
    char jpath[96];
    snprintf(jpath, sizeof jpath, "/api/v1/journal?after=%lld", (long long)unchanged);
    const char *readers[] = {NULL, wfp, usa, israel};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(req("GET", jpath, readers[i], NULL, &r), 200);
        assert_null(strstr(r.body, "Quassem"));
        th_resp_free(&r);
    }
    assert_int_equal(req("GET", jpath, un, NULL, &r), 200);
    assert_non_null(strstr(r.body, "Quassem"));
    th_resp_free(&r);

    /* Two incidents of the same strike: the second is merged into the first. */
    json_int_t a, b;
    assert_int_equal(req("POST", "/api/v1/incidents", un, body, &r), 201);
    a = json_integer_value(json_object_get(r.json, "id"));
    assert_non_null(strstr(r.body, "Quassem")); /* the monitor sees the witness */
    th_resp_free(&r);
    snprintf(body, sizeof body, "{%s}", fields);
    assert_int_equal(req("POST", "/api/v1/incidents", un, body, &r), 201);
    b = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    char mpath[96], mbody[256], bpath[96], tpath[96];
    snprintf(mpath, sizeof mpath, "/api/v1/incidents/%lld/merge", (long long)b);
    snprintf(bpath, sizeof bpath, "/api/v1/incidents/%lld", (long long)b);
    snprintf(tpath, sizeof tpath, "/api/v1/incidents/%lld/transitions", (long long)b);
    unchanged = th_journal_len(T.db);
    snprintf(mbody, sizeof mbody, "{\"into\":%lld,\"reason\":\"same strike\"}", (long long)b);
    assert_int_equal(req("POST", mpath, un, mbody, &r), 400); /* into itself */
    assert_string_equal(th_code(&r), "request.invalid_field");
    th_resp_free(&r);
    assert_int_equal(req("POST", mpath, un, "{\"into\":999999,\"reason\":\"x\"}", NULL), 400);
    assert_int_equal(req("POST", mpath, un, "{\"into\":1}", NULL), 400);
    assert_int_equal(req("POST", tpath, un, "{\"to\":\"duplicate\",\"reason\":\"x\"}", &r), 409);
    assert_string_equal(th_code(&r), "incident.use_merge");
    th_resp_free(&r);
    snprintf(mbody, sizeof mbody, "{\"into\":%lld,\"reason\":\"same strike\"}", (long long)a);
    assert_int_equal(req("POST", mpath, usa, mbody, NULL), 403);
    assert_int_equal(th_journal_len(T.db), unchanged);
    assert_int_equal(req("POST", mpath, un, mbody, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "duplicate");
    assert_int_equal(json_integer_value(json_object_get(r.json, "merged_into")), a);
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    assert_int_equal(req("GET", bpath, un, NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "merged_into")), a);
    th_resp_free(&r);
    /* A duplicate is final, and nothing merges into one. */
    unchanged = th_journal_len(T.db);
    assert_int_equal(req("POST", mpath, un, mbody, &r), 409);
    assert_non_null(strstr(r.body, "allowed: none"));
    th_resp_free(&r);
    snprintf(mpath, sizeof mpath, "/api/v1/incidents/%lld/merge", (long long)a);
    snprintf(mbody, sizeof mbody, "{\"into\":%lld,\"reason\":\"x\"}", (long long)b);
    assert_int_equal(req("POST", mpath, un, mbody, &r), 400);
    assert_non_null(strstr(r.body, "is itself a duplicate"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), unchanged);
    /* The merge is in both histories; the witness's private fields in the first's, for
     * monitors only (a mediator sees that they were recorded). */
    char types[512];
    history_types(un, a, types, sizeof types);
    assert_string_equal(types, "private.fields,incident.opened,incident.transition");
    history_types(un, b, types, sizeof types);
    assert_string_equal(types, "incident.opened,incident.transition");
    snprintf(bpath, sizeof bpath, "/api/v1/incidents/%lld/history", (long long)a);
    assert_int_equal(req("GET", bpath, usa, NULL, &r), 200);
    assert_true(json_is_true(
        json_object_get(json_array_get(json_object_get(r.json, "events"), 0), "redacted")));
    assert_null(strstr(r.body, "Quassem"));
    th_resp_free(&r);
}

/* ---- concurrency ------------------------------------------------------------------- */

typedef struct poster {
    const char *token;
    int id, ok;
} poster;

static void *post_many(void *arg)
{
    poster *p = arg;
    for (int i = 0; i < 40; i++) {
        char body[128];
        th_resp r;
        snprintf(body, sizeof body, "{\"slug\":\"p%d-%d\",\"name\":\"P\",\"lat\":31,\"lon\":34}",
                 p->id, i);
        if (th_http("POST", th_url(&T, "/api/v1/crossings"), p->token, body, strlen(body), NULL,
                    &r) == 0 &&
            r.status == 201)
            p->ok++;
        th_resp_free(&r);
    }
    return NULL;
}

static void concurrent_writes_all_land(void **state)
{
    pthread_t t[8];
    poster p[8];
    const char *tok = th_login(&T, "wfp", "demo-wfp");
    int64_t before = th_journal_len(T.db);
    (void)state;
    for (int i = 0; i < 8; i++) {
        p[i] = (poster){tok, i, 0};
        pthread_create(&t[i], NULL, post_many, &p[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(p[i].ok, 40);
    }
    assert_int_equal(th_journal_len(T.db), before + 320);
}

/* ---- slow clients ------------------------------------------------------------------ */

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
    char cmd[600];
    (void)state;
    th_server_start(&t, NULL);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'ALTER TABLE incidents RENAME TO hidden_xyz'", t.db);
    assert_int_equal(system(cmd), 0);
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
        strstr(r.body, "incidents") || strstr(r.body, "database error") ||
        strstr(r.body, "server log"))
        fail_msg("the reply names internals: %s", r.body);
    if (!strstr(log, "ERROR request trace-500-check: 500 store.failed: database error: ") ||
        !strstr(log, "no such table"))
        fail_msg("the log lacks the cause: %s", log);
    free(log);
    th_resp_free(&r);
    th_server_stop(&t);
}

/* Reads what the server sends until it closes (at most ms); returns it (malloc'd), or NULL
 * when the connection stayed open. */
static char *answer_then_close(int fd, int ms)
{
    buf b = BUF_INIT;
    char chunk[4096];
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (poll(&p, 1, ms) == 1) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) {
            buf_append(&b, "", 0);
            return b.p ? b.p : strdup("");
        }
        buf_append(&b, chunk, (size_t)n);
    }
    buf_free(&b);
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
 * smuggling); a %00 in a path or a query value is a 400, not a value cut short; the access
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

/* Every error the servers of this program sent is in the registry with the status it was
 * sent with (core/codes.h): run last. */
static void every_error_sent_is_registered(void **state)
{
    (void)state;
    assert_int_equal(err_code_unregistered(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_is_in_the_access_table),
        cmocka_unit_test(routes_do_not_overlap),
        cmocka_unit_test(the_openapi_document_and_the_examples),
        cmocka_unit_test(access_table_allows_and_denies),
        cmocka_unit_test(bad_input_gets_a_clear_4xx_and_changes_nothing),
        cmocka_unit_test(chunked_oversize_body_is_refused),
        cmocka_unit_test(login_me_tokens_and_revocation),
        cmocka_unit_test(failed_logins_are_throttled),
        cmocka_unit_test(organizations_register_signing_keys),
        cmocka_unit_test(request_ids_metrics_and_health),
        cmocka_unit_test(journal_hides_what_readers_may_not_see),
        cmocka_unit_test(public_reads),
        cmocka_unit_test(zones_are_drawn_and_checked),
        cmocka_unit_test(reports_are_checked_and_private),
        cmocka_unit_test(reports_retried_with_a_key_are_filed_once),
        cmocka_unit_test(incidents_opened_with_a_key_are_opened_once),
        cmocka_unit_test(moves_sent_again_with_a_key_happen_once),
        cmocka_unit_test(a_stopping_server_finishes_its_writes),
        cmocka_unit_test(a_stop_refuses_the_writes_it_cannot_wait_for),
        cmocka_unit_test(disputes_need_an_exact_actor),
        cmocka_unit_test(ids_past_int64_are_a_400),
        cmocka_unit_test(receipts_carry_no_secrets),
        cmocka_unit_test(sign_in_rehashes_a_hash_of_another_cost),
        cmocka_unit_test(reports_cite_only_their_own_evidence),
        cmocka_unit_test(tampered_evidence_is_never_served_and_fails_the_audit),
        cmocka_unit_test(reports_are_listed_for_their_organization),
        cmocka_unit_test(negotiations_are_listed_for_their_members),
        cmocka_unit_test(reports_join_existing_incidents),
        cmocka_unit_test(evidence_witnesses_and_merges),
        cmocka_unit_test(evidence_arrives_in_pieces_and_resumes),
        cmocka_unit_test(the_verification_workflow),
        cmocka_unit_test(concurrent_writes_all_land),
        cmocka_unit_test(slow_clients_are_cut_off),
        cmocka_unit_test(ambiguous_requests_are_refused_and_logged_safely),
        cmocka_unit_test(internal_errors_are_logged_not_leaked),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    log_set_access(0);
    return cmocka_run_group_tests_name("api", tests, setup, teardown);
}
