/* test_reports.c - reports and incidents over the API: zones, filing, retried requests with an
 * Idempotency-Key, disputes and the actors that name a party, citing evidence, listings. The
 * real server on an ephemeral port, spoken to over HTTP with libcurl (api_common.h). */
#include "api_common.h"

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
    /* Without an account: a short key is refused, a UUID works as for an organization,
     * in the public's own space of keys (this key is the wfp's too). */
    assert_int_equal(post_keyed(NULL, "short-key-1", body, &r), 400);
    assert_string_equal(th_code(&r), "request.invalid_header");
    assert_non_null(strstr(r.body, "without an account"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), after);
    assert_int_equal(post_keyed(NULL, key, body, &r), 201);
    json_int_t pub = json_integer_value(json_object_get(r.json, "id"));
    assert_true(pub != id);
    assert_string_equal(json_string_value(json_object_get(r.json, "org")), "(public)");
    th_resp_free(&r);
    int64_t after_public = th_journal_len(T.db);
    assert_true(after_public > after);
    assert_int_equal(post_keyed(NULL, key, body, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), pub);
    assert_true(json_is_true(json_object_get(r.json, "replayed")));
    th_resp_free(&r);
    assert_int_equal(post_keyed(NULL, key, other, &r), 422);
    assert_string_equal(th_code(&r), "report.key_reused");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), after_public);
    after = after_public;

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
        const char *field = th_field(&r);
        if (!field || !strstr(field, bad[i].field))
            fail_msg("case %zu: expected field %s: %s", i, bad[i].field, r.body);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
    /* Without an account: 10 an hour per address, then a 429 with Retry-After that writes
     * nothing. Monitors see those reports; the filer,
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
    assert_int_equal(public_ok, HTTP_PUBLIC_REPORTS);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(zones_are_drawn_and_checked),
        cmocka_unit_test(reports_are_checked_and_private),
        cmocka_unit_test(reports_retried_with_a_key_are_filed_once),
        cmocka_unit_test(incidents_opened_with_a_key_are_opened_once),
        cmocka_unit_test(moves_sent_again_with_a_key_happen_once),
        cmocka_unit_test(disputes_need_an_exact_actor),
        cmocka_unit_test(reports_cite_only_their_own_evidence),
        cmocka_unit_test(reports_are_listed_for_their_organization),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    log_set_access(0);
    return cmocka_run_group_tests_name("reports", tests, setup, teardown);
}
