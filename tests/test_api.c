/* test_api.c - the access table (every route against every kind of caller), the OpenAPI document
 * and the examples, bad input (each gets a clear 4xx, the server keeps serving, and the journal
 * does not grow), sign-in, tokens, request ids, metrics, journal visibility, receipts. The real
 * server on an ephemeral port, spoken to over HTTP with libcurl (api_common.h). */
#include "api_common.h"

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
    {"GET", "/api/v1/agreements/{id}", "/api/v1/agreements/999", NULL, "NNNNNNN", 200, 0},
    /* Last: it closes negotiation 2. Only the mediator may, once. */
    {"POST", "/api/v1/negotiations/{id}/abandon", "/api/v1/negotiations/2/abandon",
     "{\"reason\":\"%s\"}", "UFAFFFF", 200, 0},
    {"POST", "/api/v1/agreements/{id}/signatures", "/api/v1/agreements/999/signatures",
     "{\"org\":\"israel\",\"signature\":\"AAAA\"}", "UNFFFFF", 200, 0},
    {"GET", "/api/v1/crossings", "/api/v1/crossings", NULL, "AAAAAAA", 200, 0},
    {"POST", "/api/v1/crossings", "/api/v1/crossings",
     "{\"slug\":\"c-%s\",\"name\":\"C\",\"lat\":31.3,\"lon\":34.3}", "UFAFAFA", 201, 0},
    {"GET", "/api/v1/crossings/{slug}/closures", "/api/v1/crossings/erez/closures", NULL, "AAAAAAA",
     200, 0},
    /* Erez is operated by Israel, the demo's party user's organization. */
    {"POST", "/api/v1/crossings/{slug}/closures", "/api/v1/crossings/erez/closures",
     "{\"from\":\"2024-05-07\",\"reason\":\"%s\"}", "UAFFFFA", 201, 0},
    /* The aid flow: only humanitarian organizations request; records are seen by those
     * involved, monitors, mediators and administrators (an observer gets nothing: 403 on
     * lists, 404 on a record); request 999999999 exists for nobody. */
    {"POST", "/api/v1/aid/requests", "/api/v1/aid/requests",
     "{\"ref\":\"R-%s\",\"crossing\":\"erez\",\"destination\":\"gaza\","
     "\"lines\":[{\"category\":\"food\",\"trucks\":5}]}",
     "UFFFAFF", 201, 0},
    {"GET", "/api/v1/aid/requests", "/api/v1/aid/requests", NULL, "UAAAAFA", 200, 0},
    {"GET", "/api/v1/aid/requests/{id}", "/api/v1/aid/requests/999999999", NULL, "UAAAAFA", 404, 0},
    {"POST", "/api/v1/aid/requests/{id}/transitions", "/api/v1/aid/requests/999999999/transitions",
     "{\"to\":\"cancelled\",\"reason\":\"%s\"}", "UAAAAAA", 404, 0},
    {"POST", "/api/v1/aid/requests/{id}/trucks", "/api/v1/aid/requests/999999999/trucks",
     "{\"count\":1,\"category\":\"food\"}", "UAAAAAA", 404, 0},
    {"GET", "/api/v1/aid/trucks", "/api/v1/aid/trucks", NULL, "UAAAAFA", 200, 0},
    {"POST", "/api/v1/aid/trucks/transitions", "/api/v1/aid/trucks/transitions",
     "{\"trucks\":[999999999],\"to\":\"at_crossing\",\"source\":\"%s\"}", "UAAAAAA", 404, 0},
    {"GET", "/api/v1/aid/trucks/{id}", "/api/v1/aid/trucks/999999999", NULL, "UAAAAFA", 404, 0},
    {"POST", "/api/v1/aid/trucks/{id}/transitions", "/api/v1/aid/trucks/999999999/transitions",
     "{\"to\":\"at_crossing\",\"source\":\"%s\"}", "UAAAAAA", 404, 0},
    {"POST", "/api/v1/aid/counts", "/api/v1/aid/counts",
     "{\"date\":\"2024-04-10\",\"source\":\"s-%s\",\"basis\":\"trucks_entered\","
     "\"value\":1}",
     "UAAAAFA", 201, 0},
    {"GET", "/api/v1/aid/counts", "/api/v1/aid/counts", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/aid/daily", "/api/v1/aid/daily", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/aid/reconciliation", "/api/v1/aid/reconciliation?basis=trucks_entered", NULL,
     "AAAAAAA", 200, 0},
    {"GET", "/api/v1/aid/dwell", "/api/v1/aid/dwell", NULL, "AAAAAAA", 200, 0},
    {"POST", "/api/v1/aid/targets", "/api/v1/aid/targets",
     "{\"name\":\"%s\",\"per\":\"day\",\"value\":600,\"basis\":\"trucks_entered\","
     "\"source\":\"cogat\",\"from\":\"2025-01-19\",\"to\":\"2025-03-01\"}",
     "UFAFFFA", 201, 0},
    {"GET", "/api/v1/aid/targets", "/api/v1/aid/targets", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/aid/targets/{id}/progress", "/api/v1/aid/targets/999999999/progress", NULL,
     "AAAAAAA", 404, 0},
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
    {"GET", "/api/v1/incidents/grid", "/api/v1/incidents/grid?cell=0.05", NULL, "AAAAAAA", 200, 0},
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
    /* Compliance: obligation 999999 and agreement 999999 exist for nobody, so those the
     * route lets in get 404. */
    {"POST", "/api/v1/agreements/{id}/obligations", "/api/v1/agreements/999999/obligations",
     "{\"ref\":\"%s\",\"title\":\"x\",\"party\":\"israel\",\"kind\":\"deadline\","
     "\"due_day\":1}",
     "UFAFFFA", 404, 0},
    {"GET", "/api/v1/agreements/{id}/obligations", "/api/v1/agreements/999999/obligations", NULL,
     "AAAAAAA", 404, 0},
    {"GET", "/api/v1/agreements/{id}/scorecard", "/api/v1/agreements/999999/scorecard", NULL,
     "AAAAAAA", 404, 0},
    {"GET", "/api/v1/obligations/{id}", "/api/v1/obligations/999999", NULL, "AAAAAAA", 404, 0},
    {"POST", "/api/v1/obligations/{id}/observations", "/api/v1/obligations/999999/observations",
     "{\"date\":\"2025-01-19\",\"note\":\"%s\"}", "UFFAFFA", 404, 0},
    {"POST", "/api/v1/obligations/{id}/deliverables", "/api/v1/obligations/999999/deliverables",
     "{\"note\":\"%s\"}", "UAFFFFA", 404, 0},
    {"POST", "/api/v1/obligations/{id}/responses", "/api/v1/obligations/999999/responses",
     "{\"position\":\"deny\",\"text\":\"%s\"}", "UAFFFFA", 404, 0},
    {"POST", "/api/v1/obligations/{id}/decisions", "/api/v1/obligations/999999/decisions",
     "{\"outcome\":\"waived\",\"reason\":\"%s\"}", "UFAFFFA", 404, 0},
    /* Webhooks are the administrators' (the server POSTs to the URL they give). */
    {"POST", "/api/v1/webhooks", "/api/v1/webhooks",
     "{\"url\":\"http://127.0.0.1:9/%s\",\"events\":[\"obligation.met\"],"
     "\"secret\":\"0123456789abcdef\"}",
     "UFFFFFA", 201, 0},
    {"GET", "/api/v1/webhooks", "/api/v1/webhooks", NULL, "UFFFFFA", 200, 0},
    {"GET", "/api/v1/webhooks/{id}/deliveries", "/api/v1/webhooks/999999/deliveries", NULL,
     "UFFFFFA", 404, 0},
    {"GET", "/api/v1/sitrep", "/api/v1/sitrep", NULL, "AAAAAAA", 200, 0},
    {"GET", "/sitrep/{date}", "/sitrep/2025-01-30", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/agreements", "/api/v1/agreements", NULL, "AAAAAAA", 200, 0},
    /* The web app: its pages and files are for anyone (what a page shows, the API decides). */
    {"GET", "/", "/", NULL, "AAAAAAA", 200, 0},
    {"GET", "/incidents/{id}", "/incidents/1", NULL, "AAAAAAA", 200, 0},
    {"GET", "/login", "/login", NULL, "AAAAAAA", 200, 0},
    {"GET", "/report", "/report", NULL, "AAAAAAA", 200, 0},
    {"GET", "/monitor", "/monitor", NULL, "AAAAAAA", 200, 0},
    {"GET", "/comply", "/comply", NULL, "AAAAAAA", 200, 0},
    {"GET", "/aid", "/aid", NULL, "AAAAAAA", 200, 0},
    {"GET", "/mediate", "/mediate", NULL, "AAAAAAA", 200, 0},
    {"GET", "/negotiate", "/negotiate", NULL, "AAAAAAA", 200, 0},
    {"GET", "/assets/*", "/assets/no-such-file.js", NULL, "AAAAAAA", 404, 0},
    {"GET", "/sw.js", "/sw.js", NULL, "AAAAAAA", 200, 0},
    {"GET", "/manifest.webmanifest", "/manifest.webmanifest", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/alerts", "/api/v1/alerts", NULL, "AAAAAAA", 200, 0},
    {"GET", "/api/v1/alerts.atom", "/api/v1/alerts.atom", NULL, "AAAAAAA", 200, 0},
    /* Last: mediators and administrators record agreements signed elsewhere (the ids it
     * takes are ones the cases above expect to be free). */
    {"POST", "/api/v1/agreements", "/api/v1/agreements",
     "{\"title\":\"%s\",\"parties\":[\"israel\",\"hamas\"],\"mediators\":[],"
     "\"effective\":\"2025-01-19\",\"terms\":{\"1\":\"x\"}}",
     "UFAFFFA", 201, 0},
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
    if (strcmp(pattern, "/") == 0) return strcmp(path, "/") == 0; /* the site's root */
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
        if (strcmp(path, "/assets/*") == 0) snprintf(path, sizeof path, "/assets/{file}");
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
        if (cases[i].field) assert_string_equal(th_field(&r), cases[i].field);
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
    store *s = store_open(T.db, STORE_READONLY, &e);
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
    s = store_open(T.db, STORE_READONLY, &e);
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
        cmocka_unit_test(organizations_register_signing_keys),
        cmocka_unit_test(request_ids_metrics_and_health),
        cmocka_unit_test(journal_hides_what_readers_may_not_see),
        cmocka_unit_test(public_reads),
        cmocka_unit_test(ids_past_int64_are_a_400),
        cmocka_unit_test(receipts_carry_no_secrets),
        cmocka_unit_test(sign_in_rehashes_a_hash_of_another_cost),
        cmocka_unit_test(negotiations_are_listed_for_their_members),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    log_set_access(0);
    return cmocka_run_group_tests_name("api", tests, setup, teardown);
}
