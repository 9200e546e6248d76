/* test_monitor_http.c - monitoring over HTTP: imports, public locations on a grid, heavy reads,
 * places outside every zone, the evidence quota, zones from a file, incidents (lists,
 * filters, boxes, counts, history), damaged stored rows. */
#include "monitor_common.h"

/* An imported incident whose stored row was damaged (by hand, or by the disk) is not shown
 * as an empty document: its listing, its page, its duplicates and the exports that build
 * documents (GeoJSON, and the CSV the public gets on a coarsening grid) fail with a 500
 * store.damaged (the log names it; the client gets the request id), and `truce rebuild`
 * mends it from the journal. */
static void a_damaged_stored_row_is_an_error_not_an_empty_incident(void **state)
{
    th_server t;
    th_resp r;
    buf b = BUF_INIT;
    char url[128];
    http_config grid = {.public_grid = 0.05}; /* the public's CSV is rebuilt from documents */
    (void)state;
    th_server_start(&t, &grid);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    good_rows(&b, "D", 3);
    assert_int_equal(post_csv(&t, "", un, b.p, b.len, "text/csv", &r), 200);
    th_resp_free(&r);
    buf_free(&b);
    char *found = th_sql(t.db, "SELECT id FROM incidents WHERE external_id = 'D2'");
    long long id = atoll(found);
    assert_true(id > 0);
    free(found);
    free(th_sql(t.db, "UPDATE incidents SET acled_csv = 'not a row' WHERE id = %lld", id));
    char named[64];
    snprintf(named, sizeof named, "incident %lld is damaged", id);
    static const struct {
        const char *path;
        int public;
    } paths[] = {{"/api/v1/incidents?limit=1000", 0},
                 {"/api/v1/incidents/%lld", 0},
                 {"/api/v1/incidents/%lld/duplicates", 0},
                 {"/api/v1/incidents.geojson", 0},
                 {"/api/v1/incidents.csv", 1}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        snprintf(url, sizeof url, paths[i].path, id);
        th_stderr_capture();
        assert_int_equal(
            th_http("GET", th_url(&t, url), paths[i].public ? NULL : un, NULL, 0, NULL, &r), 0);
        char *log = th_stderr_release();
        /* The client gets the code and the request id; the operator's log, the cause. */
        char *rid = th_header(&r, "X-Request-Id");
        const char *said = json_string_value(json_object_get(
            json_object_get(json_object_get(r.json, "error"), "detail"), "request_id"));
        if (r.status != 500 || strcmp(th_code(&r), "store.damaged") != 0 || !rid || !said ||
            strcmp(rid, said) != 0 || strstr(r.body, "acled_csv"))
            fail_msg("%s: %ld %s", url, r.status, r.body);
        char logged[200];
        snprintf(logged, sizeof logged, "request %s: 500 store.damaged: ", rid);
        if (!strstr(log, logged) || !strstr(strstr(log, logged), named))
            fail_msg("%s: the log lacks '%s':\n%s", url, logged, log);
        free(rid);
        free(log);
        th_resp_free(&r);
    }
    char *err = NULL;
    assert_int_equal(
        th_truce(NULL, &err, NULL, "export incidents --db '%s' --format geojson", t.db), 1);
    assert_non_null(strstr(err, named));
    free(err);
    /* Rebuilt from the journal (with the server stopped: rebuild refuses a database in
     * use): whole again. */
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", t.db), 1);
    th_server_halt(&t);
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", t.db), 0);
    th_server_resume(&t);
    un = th_login(&t, "un", "demo-un-monitor");
    snprintf(url, sizeof url, "/api/v1/incidents/%lld", id);
    assert_int_equal(th_http("GET", th_url(&t, url), un, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "event_id_cnty")), "D2");
    th_resp_free(&r);
    th_server_stop(&t);
}

/* POST /imports/acled does what `truce import acled` does; and on a deployment with a public
 * grid, everyone but monitors and mediators sees locations on the grid only. */
static void import_over_http_and_coarse_public_locations(void **state)
{
    th_server t;
    th_resp r;
    char path[1024];
    size_t len;
    const double grid = 0.05;
    http_config cfg = {.public_grid = grid};
    (void)state;
    th_server_start(&t, &cfg);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    const char *wfp = th_login(&t, "wfp", "demo-wfp");
    snprintf(path, sizeof path, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    char *csv = th_slurp(path, &len);

    /* Refusals, each writing nothing. */
    int64_t before = th_journal_len(t.db);
    assert_int_equal(post_csv(&t, "", NULL, csv, len, "text/csv", &r), 401);
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "", wfp, csv, len, "text/csv", &r), 403);
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "", un, csv, len, "application/json", &r), 415);
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "?status=maybe", un, csv, len, "text/csv", &r), 400);
    assert_string_equal(th_code(&r), "request.invalid_param");
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "?outside_zones=never", un, csv, len, "text/csv", &r), 400);
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "?journal=secret", un, csv, len, "text/csv", &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"journal\""));
    th_resp_free(&r);
    static const char broken[] = "event_id_cnty;event_date;time_precision\nX;1;1\n";
    assert_int_equal(post_csv(&t, "", un, broken, strlen(broken), "text/csv", &r), 400);
    assert_string_equal(th_code(&r), "acled.bad_header");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(t.db), before);

    /* The real export: all of it, a receipt; again, the same incidents updated. */
    assert_int_equal(post_csv(&t, "", un, csv, len, "text/csv; charset=utf-8", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), TH_ACLED_GAZA_ROWS);
    assert_int_equal(json_integer_value(json_object_get(r.json, "rejected")), 0);
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(t.db),
                     before + (TH_ACLED_GAZA_ROWS + 499) / 500); /* batches of 500 */
    assert_int_equal(post_csv(&t, "", un, csv, len, "text/csv", &r), 200);
    th_resp_free(&r);
    /* Sent gzip-compressed (a fifth of the bytes on a slow link): the same import. A body
     * cut short, another encoding, or one that inflates past the upload limit (20 MiB of
     * zeros in 20 KB) is refused and writes nothing. */
    size_t gz_len;
    char *gz = th_gzip(csv, len, &gz_len);
    assert_true(gz_len < len / 3);
    int64_t at = th_journal_len(t.db);
    assert_int_equal(post_encoded(&t, un, "gzip", gz, gz_len, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), TH_ACLED_GAZA_ROWS);
    th_resp_free(&r);
    assert_int_equal(th_journal_len(t.db), at + (TH_ACLED_GAZA_ROWS + 499) / 500);
    at = th_journal_len(t.db);
    assert_int_equal(post_encoded(&t, un, "gzip", gz, gz_len / 2, &r), 400);
    assert_string_equal(th_code(&r), "request.bad_encoding");
    th_resp_free(&r);
    assert_int_equal(post_encoded(&t, un, "br", gz, gz_len, &r), 415);
    assert_string_equal(th_code(&r), "request.unsupported_encoding");
    th_resp_free(&r);
    assert_int_equal(post_encoded(&t, un, "gzip", csv, len, &r), 400); /* not gzip at all */
    assert_string_equal(th_code(&r), "request.bad_encoding");
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "", un, gz, gz_len, "text/csv", &r), 400); /* undeclared */
    assert_string_equal(th_code(&r), "acled.compressed");
    th_resp_free(&r);
    free(gz);
    size_t zeros_len = 20 * 1024 * 1024 + 1;
    char *zeros = calloc(1, zeros_len);
    gz = th_gzip(zeros, zeros_len, &gz_len);
    free(zeros);
    assert_true(gz_len < 100000);
    assert_int_equal(post_encoded(&t, un, "gzip", gz, gz_len, &r), 413);
    assert_string_equal(th_code(&r), "request.too_large");
    th_resp_free(&r);
    free(gz);
    assert_int_equal(th_journal_len(t.db), at);
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents/stats"), un, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), TH_ACLED_GAZA_ROWS);
    th_resp_free(&r);
    /* An imported incident's history begins with the batch that last wrote it (the last
     * import), named but not copied: its 500 documents are one request away. */
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/1/history"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *hist = json_object_get(r.json, "events");
    assert_int_equal(json_array_size(hist), 1);
    json_t *batch = json_array_get(hist, 0);
    assert_string_equal(json_string_value(json_object_get(batch, "type")), "incidents.imported");
    assert_null(json_object_get(batch, "body"));
    int64_t batch_seq = json_integer_value(json_object_get(batch, "seq"));
    assert_true(batch_seq > before + (TH_ACLED_GAZA_ROWS + 499) / 500); /* the second import's */
    char entry[96];
    snprintf(entry, sizeof entry, "/api/v1/journal?after=%lld&limit=1", (long long)batch_seq - 1);
    assert_string_equal(json_string_value(json_object_get(batch, "entry")), entry);
    th_resp_free(&r);
    /* Bad rows are listed by line and column; the rest are kept. */
    buf b = BUF_INIT;
    buf_puts(&b, HEADER);
    buf_puts(&b, "H1,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,S,N,n,0,,1\n");
    buf_puts(&b, "H2,20-Jan-25,2025,1,x,Battles,Air/drone strike,A,,X,B,,Y,,,275,ME,P,G,R,,R,"
                 "31.2,34.2,1,S,N,n,0,,1\n");
    assert_int_equal(post_csv(&t, "?status=reported", un, b.p, b.len, "text/csv", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), 1);
    json_t *rej = json_array_get(json_object_get(r.json, "rejects"), 0);
    assert_int_equal(json_integer_value(json_object_get(rej, "line")), 3);
    assert_string_equal(json_string_value(json_object_get(rej, "column")), "sub_event_type");
    th_resp_free(&r);
    buf_free(&b);
    /* journal=private: verified, yet its batch is not a public journal event. */
    buf_puts(&b, HEADER);
    buf_puts(&b, "J1,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,S,N,n,0,,1\n");
    assert_int_equal(post_csv(&t, "?journal=private", un, b.p, b.len, "text/csv", &r), 200);
    th_resp_free(&r);
    buf_free(&b);
    char jpath[96];
    snprintf(jpath, sizeof jpath, "/api/v1/journal?after=%lld",
             (long long)th_journal_len(t.db) - 1);
    assert_int_equal(th_http("GET", th_url(&t, jpath), NULL, NULL, 0, NULL, &r), 0);
    json_t *last = json_array_get(json_object_get(r.json, "events"), 0);
    assert_string_equal(json_string_value(json_object_get(last, "type")), "incidents.imported");
    assert_true(json_is_true(json_object_get(last, "redacted")));
    th_resp_free(&r);

    /* Incident 1 as a monitor (exact) and as the public (its cell's centre). */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents/1"), un, NULL, 0, NULL, &r), 0);
    double lat = json_number_value(json_object_get(r.json, "latitude"));
    double lon = json_number_value(json_object_get(r.json, "longitude"));
    assert_null(json_object_get(r.json, "coarsened_to"));
    th_resp_free(&r);
    assert_true(fabs(cell_centre(lat, grid) - lat) > 1e-4); /* else the test shows nothing */
    const char *viewers[] = {NULL, wfp};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(
            th_http("GET", th_url(&t, "/api/v1/incidents/1"), viewers[i], NULL, 0, NULL, &r), 0);
        assert_true(json_number_value(json_object_get(r.json, "latitude")) ==
                    cell_centre(lat, grid));
        assert_true(json_number_value(json_object_get(r.json, "longitude")) ==
                    cell_centre(lon, grid));
        assert_true(json_number_value(json_object_get(r.json, "coarsened_to")) == grid);
        th_resp_free(&r);
    }
    /* Lists, GeoJSON and CSV alike: no exact coordinate of incident 1 reaches the public. */
    char exact[64];
    snprintf(exact, sizeof exact, "%.4f", lat);
    const char *urls[] = {"/api/v1/incidents?limit=5", "/api/v1/incidents.geojson",
                          "/api/v1/incidents.csv", "/api/v1/incidents.geojson?properties=summary"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(th_http("GET", th_url(&t, urls[i]), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, exact));
        th_resp_free(&r);
    }
    /* A box probe learns the cell, never the point: a tiny box around the exact place
     * that misses the cell's centre finds nothing for the public... */
    char url[256];
    snprintf(url, sizeof url, "/api/v1/incidents/stats?bbox=%.6f,%.6f,%.6f,%.6f", lon - 1e-4,
             lat - 1e-4, lon + 1e-4, lat + 1e-4);
    assert_int_equal(th_http("GET", th_url(&t, url), un, NULL, 0, NULL, &r), 0);
    assert_true(json_integer_value(json_object_get(r.json, "total")) >= 1);
    th_resp_free(&r);
    assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
    th_resp_free(&r);
    /* ...and a tiny box around the centre finds exactly the cell's verified incidents. */
    double clat = cell_centre(lat, grid), clon = cell_centre(lon, grid);
    snprintf(url, sizeof url, "/api/v1/incidents/stats?bbox=%.6f,%.6f,%.6f,%.6f", clon - 1e-4,
             clat - 1e-4, clon + 1e-4, clat + 1e-4);
    assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
    json_int_t public_count = json_integer_value(json_object_get(r.json, "total"));
    th_resp_free(&r);
    snprintf(url, sizeof url, "/api/v1/incidents/stats?status=verified&bbox=%.9f,%.9f,%.9f,%.9f",
             clon - grid / 2, clat - grid / 2, clon + grid / 2 - 1e-9, clat + grid / 2 - 1e-9);
    assert_int_equal(th_http("GET", th_url(&t, url), un, NULL, 0, NULL, &r), 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), public_count);
    assert_true(public_count >= 1);
    th_resp_free(&r);
    free(csv);
    th_server_stop(&t);
}

/* Exports and counts read whole tables: callers without an account may run a few at once
 * (a slot held for the whole request, a stream included, and given back), or none. */
static void public_heavy_reads_are_limited(void **state)
{
    th_server t;
    th_resp r;
    (void)state;
    http_config none = {.public_heavy = -1};
    th_server_start(&t, &none);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    const char *heavy[] = {"/api/v1/incidents/stats", "/api/v1/incidents.geojson",
                           "/api/v1/incidents.csv"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(th_http("GET", th_url(&t, heavy[i]), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 503);
        assert_string_equal(th_code(&r), "server.busy");
        char *ra = th_header(&r, "Retry-After");
        assert_non_null(ra);
        free(ra);
        th_resp_free(&r);
        assert_int_equal(th_http("GET", th_url(&t, heavy[i]), un, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        th_resp_free(&r);
    }
    /* The public's light reads are not affected. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_server_stop(&t);

    http_config one = {.public_heavy = 1};
    th_server_start(&t, &one);
    for (int k = 0; k < 6; k++) { /* one at a time: each gives its slot back */
        long status = 0;
        /* The slot is given back when the server has finished with the request, which may
         * be a moment after the client has the last byte. */
        for (int tries = 0; tries < 100 && status != 200; tries++) {
            if (tries) usleep(10000);
            assert_int_equal(th_http("GET", th_url(&t, heavy[k % 3]), NULL, NULL, 0, NULL, &r), 0);
            status = r.status;
            assert_true(status == 200 || status == 503);
            th_resp_free(&r);
        }
        assert_int_equal(status, 200);
    }
    th_server_stop(&t);
}

/* A report or incident placed outside every zone of the deployment: accepted with a
 * warning in the reply by default, refused (400, nothing written) when the server is told
 * so; a place inside a zone draws neither. */
static void places_outside_every_zone(void **state)
{
    (void)state;
    static const char *const fields =
        "\"event_date\":\"2025-02-03\",\"time_precision\":1,\"event_type\":\"Battles\","
        "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Unknown\",\"geo_precision\":1,"
        "\"location\":\"somewhere\",";
    static const char *const places[] = {"\"latitude\":31.0,\"longitude\":35.5",   /* outside */
                                         "\"latitude\":31.5,\"longitude\":34.46"}; /* Gaza */
    static const char *const routes[] = {"/api/v1/reports", "/api/v1/incidents"};
    for (int refuse = 0; refuse < 2; refuse++) {
        th_server t;
        http_config cfg = {.refuse_outside_zones = refuse};
        th_server_start(&t, &cfg);
        const char *un = th_login(&t, "un", "demo-un-monitor");
        for (int k = 0; k < 2; k++)
            for (int inside = 0; inside < 2; inside++) {
                char body[512];
                th_resp r;
                snprintf(body, sizeof body, "{%s%s}", fields, places[inside]);
                int64_t before = th_journal_len(t.db);
                assert_int_equal(
                    th_http("POST", th_url(&t, routes[k]), un, body, strlen(body), NULL, &r), 0);
                json_t *w = json_object_get(r.json, "warnings");
                if (inside) {
                    assert_int_equal(r.status, 201);
                    assert_null(w);
                } else if (!refuse) {
                    assert_int_equal(r.status, 201);
                    assert_int_equal(json_array_size(w), 1);
                    assert_string_equal(
                        json_string_value(json_object_get(json_array_get(w, 0), "code")),
                        "place.outside_zones");
                    assert_non_null(strstr(r.body, "outside every zone"));
                } else {
                    assert_int_equal(r.status, 400);
                    assert_string_equal(th_code(&r), "place.outside_zones");
                    assert_non_null(strstr(r.body, "\"field\":\"latitude\""));
                    assert_int_equal(th_journal_len(t.db), before);
                }
                if (r.status == 201) assert_true(th_journal_len(t.db) > before);
                th_resp_free(&r);
            }
        th_server_stop(&t);
    }
}

/* Each organization may upload so many bytes of evidence a UTC day: beyond, a 429 with
 * Retry-After (the seconds to midnight UTC) that stores nothing; a file it sent before
 * costs nothing, and another organization has its own allowance. */
static void evidence_has_a_daily_quota(void **state)
{
    (void)state;
    th_server t;
    http_config cfg = {.evidence_quota = 40};
    th_server_start(&t, &cfg);
    const char *wfp = th_login(&t, "wfp", "demo-wfp"), *un = th_login(&t, "un", "demo-un-monitor");
    static const char *const one = "first note, 20 bytes", *two = "second note, 21 bytes";
    th_resp r;
    assert_int_equal(upload_text(&t, wfp, one, &r), 201);
    th_resp_free(&r);
    assert_int_equal(upload_text(&t, wfp, one, &r), 200); /* the same file: no new bytes */
    th_resp_free(&r);
    int64_t before = th_journal_len(t.db);
    assert_int_equal(upload_text(&t, wfp, two, &r), 429);
    assert_string_equal(th_code(&r), "evidence.quota");
    char *retry = th_header(&r, "Retry-After");
    assert_non_null(retry);
    long secs = atol(retry);
    assert_true(secs > 0 && secs <= 86400);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(r.json, "error"), "detail"), "retry_after")),
        secs);
    free(retry);
    th_resp_free(&r);
    assert_int_equal(th_journal_len(t.db), before);
    assert_int_equal(upload_text(&t, un, two, &r), 201);
    th_resp_free(&r);
    th_server_stop(&t);
}

/* truce import zones: a real GADM governorates file into a new deployment, Gaza's five by
 * --where, named by --name; every bad file imports nothing and names the feature. */
static void zones_import_from_a_geojson_file(void **state)
{
    char zdb[400], file[400], real[400], *out, *err;
    (void)state;
    snprintf(zdb, sizeof zdb, "%s", th_db(dir, "zones"));
    snprintf(file, sizeof file, "%s/zones.geojson", dir);
    snprintf(real, sizeof real, "%s/geo/palestine_governorates.geojson", getenv("TRUCE_DATA"));
    assert_int_equal(th_truce(NULL, NULL, NULL, "init --db '%s' --name Mission", zdb), 0);
    int64_t before = th_journal_len(zdb);
    /* The file names its features NAME_2, not name: the error lists what it has. */
    assert_int_equal(th_truce(NULL, &err, NULL, "import zones '%s' --db '%s'", real, zdb), 1);
    assert_non_null(strstr(err, "features[0] has no property 'name'"));
    assert_non_null(strstr(err, "NAME_2"));
    free(err);
    assert_int_equal(th_truce(&out, NULL, NULL,
                              "import zones '%s' --db '%s' --where NAME_1=Gaza "
                              "--name NAME_2 --kind governorate",
                              real, zdb),
                     0);
    assert_string_equal(out, "imported 5 zones: deir-al-balah gaza-ash-shamaliyah gaza "
                             "khan-yunis rafah\n");
    free(out);
    int64_t with_five = th_journal_len(zdb);
    assert_int_equal(with_five, before + 5);
    /* Again: the first is there already, so none is imported. */
    assert_int_equal(th_truce(NULL, &err, NULL,
                              "import zones '%s' --db '%s' --where NAME_1=Gaza "
                              "--name NAME_2",
                              real, zdb),
                     1);
    assert_non_null(strstr(err, "zone 'deir-al-balah' already exists"));
    free(err);
    /* Files that import nothing, whatever comes before the bad feature. */
    static const char *const poly = "{\"type\":\"Polygon\",\"coordinates\":[[[34.2,31.2],"
                                    "[34.3,31.2],[34.3,31.3],[34.2,31.2]]]}";
    static const struct {
        const char *features, *args, *words;
    } bad[] = {
        {"{\"properties\":{\"name\":\"Buffer A\"},\"geometry\":%s},"
         "{\"properties\":{\"name\":\"Buffer B\"},\"geometry\":{\"type\":\"Polygon\","
         "\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}",
         "", "features[1] (zone 'buffer-b')"},
        {"{\"properties\":{\"name\":\"Buffer A\"},\"geometry\":%s},"
         "{\"properties\":{\"name\":\"buffer  a\"},\"geometry\":%s}",
         "", "features[1] has the slug 'buffer-a' of an earlier feature"},
        {"{\"properties\":{\"name\":\"\\u0631\\u0641\\u062d\"},\"geometry\":%s}", "",
         "which makes no slug"},
        {"{\"properties\":{\"name\":\"A\"},\"geometry\":%s}", "--slug code",
         "has no property 'code' for its slug"},
        {"{\"properties\":{\"name\":\"A\",\"kind\":\"Buffer Zone\"},\"geometry\":%s}", "",
         "'Buffer Zone' is not a valid zone kind"},
        {"{\"properties\":{\"name\":\"" LONG_NAME "\"},\"geometry\":%s}", "",
         "must be 1 to 256 bytes, not 300"},
        {"{\"properties\":{\"name\":\"Line\"},\"geometry\":{\"type\":\"LineString\","
         "\"coordinates\":[[34.2,31.2],[34.3,31.3]]}}",
         "", "Polygon and MultiPolygon"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char feats[1024], text[1400];
        snprintf(feats, sizeof feats, bad[k].features, poly, poly);
        snprintf(text, sizeof text, "{\"type\":\"FeatureCollection\",\"features\":[%s]}", feats);
        write_text(file, text);
        assert_int_equal(
            th_truce(NULL, &err, NULL, "import zones '%s' --db '%s' %s", file, zdb, bad[k].args),
            1);
        if (!strstr(err, bad[k].words)) fail_msg("case %zu: %s", k, err);
        free(err);
        assert_int_equal(th_journal_len(zdb), with_five);
    }
    write_text(file, "{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}");
    assert_int_equal(th_truce(NULL, &err, NULL, "import zones '%s' --db '%s'", file, zdb), 1);
    assert_non_null(strstr(err, "not a GeoJSON FeatureCollection"));
    free(err);
    write_text(file, "{\"type\":");
    assert_int_equal(th_truce(NULL, &err, NULL, "import zones '%s' --db '%s'", file, zdb), 1);
    assert_non_null(strstr(err, "is not JSON"));
    free(err);
    assert_int_equal(
        th_truce(NULL, NULL, NULL, "import zones '%s' --db '%s' --where NAME_1", real, zdb), 2);
    assert_int_equal(th_journal_len(zdb), with_five);
    /* Names that make no slug get one from a property: a buffer zone with a code. */
    write_text(file, "\xef\xbb\xbf{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":"
                     "{\"name\":\"\\u0631\\u0641\\u062d\",\"code\":\"bz-1\",\"kind\":"
                     "\"buffer-zone\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
                     "[[[34.2,31.2],[34.3,31.2],[34.3,31.3],[34.2,31.2]]]}}]}");
    assert_int_equal(
        th_truce(&out, NULL, NULL, "import zones '%s' --db '%s' --slug code", file, zdb), 0);
    assert_string_equal(out, "imported 1 zone: bz-1\n");
    free(out);
    assert_int_equal(th_journal_len(zdb), with_five + 1);
}

static void incidents_over_http(void **state)
{
    th_server t;
    th_resp r;
    char path[1024];
    (void)state;
    th_server_start(&t, NULL);
    snprintf(path, sizeof path, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    assert_int_equal(th_truce(NULL, NULL, NULL, "import acled '%s' --db '%s'", path, t.db), 0);
    /* Pages of 1000 by id cover them all without repeats. */
    int64_t after = 0, total = 0, last = 0;
    for (int page = 0; page < 10; page++) {
        char url[128];
        snprintf(url, sizeof url, "/api/v1/incidents?limit=1000&after=%lld", (long long)after);
        assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r.json, "incidents"), i, it)
        {
            assert_true(json_integer_value(json_object_get(it, "id")) > last);
            last = json_integer_value(json_object_get(it, "id"));
            assert_string_equal(json_string_value(json_object_get(it, "status")), "verified");
            total++;
        }
        json_t *next = json_object_get(r.json, "next_after");
        after = next ? json_integer_value(next) : -1;
        th_resp_free(&r);
        if (after < 0) break;
    }
    assert_int_equal(total, TH_ACLED_GAZA_ROWS);
    /* Filters: during the January-March 2025 ceasefire the export has 47 explosions and
     * remote-violence events, and no battles. */
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents?event_type=Battles&from="
                                        "2025-01-19&to=2025-03-18"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r.json, "incidents")), 0);
    th_resp_free(&r);
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents?event_type=Explosions%2F"
                                        "Remote%20violence&from=2025-01-19&to=2025-03-18"
                                        "&limit=1000"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r.json, "incidents")), 47);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r.json, "incidents"), i, it)
    {
        assert_string_equal(json_string_value(json_object_get(it, "event_type")),
                            "Explosions/Remote violence");
        const char *d = json_string_value(json_object_get(it, "event_date"));
        assert_true(strcmp(d, "2025-01-19") >= 0 && strcmp(d, "2025-03-18") <= 0);
    }
    th_resp_free(&r);
    /* The same, in the Gaza governorate only: a subset, every one tagged with it. */
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents?event_type=Explosions%2F"
                                        "Remote%20violence&from=2025-01-19&to=2025-03-18"
                                        "&limit=1000&zone=gaza"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    size_t in_zone = json_array_size(json_object_get(r.json, "incidents"));
    assert_true(in_zone > 0 && in_zone <= 47);
    json_array_foreach(json_object_get(r.json, "incidents"), i, it)
    {
        json_t *z = json_object_get(it, "zones");
        size_t k;
        int found = 0;
        for (k = 0; k < json_array_size(z); k++)
            found |= strcmp(json_string_value(json_array_get(z, k)), "gaza") == 0;
        assert_true(found);
    }
    th_resp_free(&r);
    /* A map's bounding box (south-west Gaza City), as GeoJSON and as a page: the same
     * incidents, every one inside the box; 260 rows of the export lie in it. */
    const char *box = "bbox=34.40,31.45,34.45,31.50";
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents?limit=1000&bbox=34.40,31.45,"
                                        "34.45,31.50"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    size_t in_box = json_array_size(json_object_get(r.json, "incidents"));
    assert_int_equal(in_box, 260);
    th_resp_free(&r);
    /* Paged by id, a small box (read through the place index) and a box holding every
     * incident (a plain scan) give each incident once, in order. */
    static const struct {
        const char *box;
        int64_t expect;
    } paged[] = {{"34.40,31.45,34.45,31.50", 260}, {"34,31,35,32", TH_ACLED_GAZA_ROWS}};
    for (size_t k = 0; k < 2; k++) {
        int64_t page_after = 0, seen = 0, last_id = 0;
        for (int page = 0; page < 100 && page_after >= 0; page++) {
            char u[160];
            snprintf(u, sizeof u, "/api/v1/incidents?limit=100&bbox=%s&after=%lld", paged[k].box,
                     (long long)page_after);
            assert_int_equal(th_http("GET", th_url(&t, u), NULL, NULL, 0, NULL, &r), 0);
            size_t q;
            json_t *one;
            json_array_foreach(json_object_get(r.json, "incidents"), q, one)
            {
                int64_t id = json_integer_value(json_object_get(one, "id"));
                assert_true(id > last_id);
                last_id = id;
                seen++;
            }
            json_t *next = json_object_get(r.json, "next_after");
            page_after = next ? json_integer_value(next) : -1;
            th_resp_free(&r);
        }
        assert_int_equal(seen, paged[k].expect);
    }
    char url[256];
    snprintf(url, sizeof url, "/api/v1/incidents.geojson?%s", box);
    assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    char *ct = th_header(&r, "Content-Type");
    assert_string_equal(ct, "application/geo+json");
    free(ct);
    json_t *fc = json_loads(r.body, 0, NULL);
    assert_non_null(fc);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), in_box);
    json_array_foreach(json_object_get(fc, "features"), i, it)
    {
        json_t *c = json_object_get(json_object_get(it, "geometry"), "coordinates");
        double lon = json_number_value(json_array_get(c, 0)),
               lat = json_number_value(json_array_get(c, 1));
        assert_true(lon >= 34.40 && lon <= 34.45 && lat >= 31.45 && lat <= 31.50);
    }
    json_decref(fc);
    th_resp_free(&r);
    /* By actor (actor1 or actor2, exactly): 704 rows of the export name Hamas Movement, 524
     * as actor1 and 180 as actor2; 340 of them are battles. The list, the counts and the
     * export agree. */
    static const struct {
        const char *query;
        size_t expect;
    } by_actor[] = {{"actor=Hamas%20Movement", 704},
                    {"actor=Hamas%20Movement&event_type=Battles", 340},
                    {"actor=Hamas", 0}};
    for (size_t k = 0; k < 3; k++) {
        size_t n = 0;
        long long next_after_id = 0;
        while (next_after_id >= 0) {
            snprintf(url, sizeof url, "/api/v1/incidents?limit=1000&%s&after=%lld",
                     by_actor[k].query, next_after_id);
            assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
            assert_int_equal(r.status, 200);
            json_array_foreach(json_object_get(r.json, "incidents"), i, it)
            {
                const char *a1 = json_string_value(json_object_get(it, "actor1"));
                const char *a2 = json_string_value(json_object_get(it, "actor2"));
                assert_true(strcmp(a1, "Hamas Movement") == 0 ||
                            (a2 && strcmp(a2, "Hamas Movement") == 0));
                n++;
            }
            json_t *next = json_object_get(r.json, "next_after");
            next_after_id = next ? json_integer_value(next) : -1;
            th_resp_free(&r);
        }
        assert_int_equal(n, by_actor[k].expect);
        snprintf(url, sizeof url, "/api/v1/incidents/stats?%s", by_actor[k].query);
        assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(json_integer_value(json_object_get(r.json, "total")), (json_int_t)n);
        th_resp_free(&r);
        snprintf(url, sizeof url, "/api/v1/incidents.csv?%s", by_actor[k].query);
        assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
        size_t lines = 0;
        for (const char *c = r.body; c && *c; c++)
            lines += *c == '\n';
        assert_int_equal(lines, n + 1); /* the header */
        th_resp_free(&r);
    }
    /* A mistyped filter is a 400 naming it, on every incident query, never an empty (or a
     * whole) answer that looks like data. */
    static const struct {
        const char *query, *field;
    } bad_filters[] = {{"from=2025-1-19", "from"},
                       {"from=yesterday", "from"},
                       {"to=2025-02-29", "to"},
                       {"to=2025-13-01", "to"},
                       {"from=2025-03-18&to=2025-01-19", "to"},
                       {"status=verifed", "status"},
                       {"event_type=Airstrike", "event_type"},
                       {"zone=gaza-city", "zone"},
                       {"zone=Gaza", "zone"},
                       {"actor=", "actor"},
                       {"bbox=nan,nan,nan,nan", "bbox"},
                       {"bbox=34,nan,35,32", "bbox"}};
    static const char *const queries[] = {"/api/v1/incidents", "/api/v1/incidents/stats",
                                          "/api/v1/incidents.csv", "/api/v1/incidents.geojson"};
    for (size_t k = 0; k < sizeof bad_filters / sizeof bad_filters[0]; k++)
        for (size_t q = 0; q < 4; q++) {
            char field[64];
            snprintf(url, sizeof url, "%s?%s", queries[q], bad_filters[k].query);
            assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
            if (r.status != 400) fail_msg("%s: %ld", url, r.status);
            assert_string_equal(th_code(&r), "request.invalid_param");
            snprintf(field, sizeof field, "\"field\":\"%s\"", bad_filters[k].field);
            if (!strstr(r.body, field)) fail_msg("%s: %s", url, r.body);
            th_resp_free(&r);
        }
    /* 2024 was a leap year; the day exists. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents?from=2024-02-29&to=2024-02-29"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_true(json_array_size(json_object_get(r.json, "incidents")) > 0);
    th_resp_free(&r);
    static const char *const bad_boxes[] = {"1,2,3", "34.5,31,34.4,32", "34,31,35,95", "a,b,c,d",
                                            "34,31,35,32,1"};
    for (size_t k = 0; k < sizeof bad_boxes / sizeof bad_boxes[0]; k++) {
        snprintf(url, sizeof url, "/api/v1/incidents.geojson?bbox=%s", bad_boxes[k]);
        assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 400);
        assert_string_equal(th_code(&r), "request.invalid_param");
        assert_non_null(strstr(r.body, "\"field\":\"bbox\""));
        th_resp_free(&r);
    }
    /* Whole exports over HTTP are streamed a page at a time (chunked) and are the CLI's
     * exports byte for byte: the export's rows are six pages. */
    static const struct {
        const char *url, *format;
    } whole[] = {{"/api/v1/incidents.csv", "acled"},
                 {"/api/v1/incidents.csv?format=hxl", "hxl"},
                 {"/api/v1/incidents.geojson", "geojson"},
                 {"/api/v1/incidents.geojson?properties=summary", "geojson-summary"}};
    for (size_t k = 0; k < 4; k++) {
        char *cli;
        assert_int_equal(th_truce(&cli, NULL, NULL, "export incidents --db '%s' --format %s", t.db,
                                  whole[k].format),
                         0);
        assert_int_equal(th_http("GET", th_url(&t, whole[k].url), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        char *te = th_header(&r, "Transfer-Encoding");
        assert_non_null(te);
        assert_string_equal(te, "chunked");
        free(te);
        /* Saved by a browser under a name that says what it is. */
        char *disp = th_header(&r, "Content-Disposition");
        assert_non_null(disp);
        assert_non_null(strstr(disp, "attachment; filename=\"truce-incidents-"));
        assert_non_null(strstr(disp, strstr(whole[k].format, "geojson") ? ".geojson\"" : ".csv\""));
        free(disp);
        if (r.len != strlen(cli) || memcmp(r.body, cli, r.len) != 0)
            fail_msg("%s differs from the CLI's export (%zu vs %zu bytes)", whole[k].url, r.len,
                     strlen(cli));
        th_resp_free(&r);
        /* Asked for gzip (a phone on a slow link), the same bytes come compressed, still
         * streamed; refused with q=0, or asked for another coding, they come as they are. */
        static const char *const accept[] = {"Accept-Encoding: gzip, deflate",
                                             "Accept-Encoding: br;q=1, *;q=0.5",
                                             "Accept-Encoding: gzip;q=0", "Accept-Encoding: br"};
        for (size_t a = 0; a < 4; a++) {
            const char *h[] = {accept[a], NULL};
            assert_int_equal(th_http_with("GET", th_url(&t, whole[k].url), NULL, NULL, 0, h, &r),
                             0);
            assert_int_equal(r.status, 200);
            char *ce = th_header(&r, "Content-Encoding"), *vary = th_header(&r, "Vary");
            assert_non_null(vary);
            assert_non_null(strstr(vary, "Accept-Encoding"));
            size_t n = r.len;
            char *plain = r.body;
            if (a < 2) {
                assert_non_null(ce);
                assert_string_equal(ce, "gzip");
                plain = gunzip(r.body, r.len, &n);
                assert_true(r.len < n / 4);
            } else {
                assert_null(ce);
            }
            if (n != strlen(cli) || memcmp(plain, cli, n) != 0)
                fail_msg("%s with '%s' differs from the CLI's export", whole[k].url, accept[a]);
            if (plain != r.body) free(plain);
            free(ce);
            free(vary);
            th_resp_free(&r);
        }
        free(cli);
    }
    /* A client that hangs up after the first bytes (while the next page is being written
     * in the background): the export stops and its thread ends; the server goes on. */
    for (int k = 0; k < 6; k++) {
        CURL *c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL,
                         th_url(&t, k % 2 ? "/api/v1/incidents.csv" : "/api/v1/incidents.geojson"));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hang_up);
        assert_int_equal(curl_easy_perform(c), CURLE_WRITE_ERROR);
        curl_easy_cleanup(c);
    }
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.csv"), NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_true(r.len > 1000000);
    th_resp_free(&r);
    /* JSON replies too, when worth it; a small one goes as it is. */
    {
        const char *h[] = {"Accept-Encoding: gzip", NULL};
        th_resp plain_r;
        assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents?limit=100"), NULL, NULL, 0,
                                 NULL, &plain_r),
                         0);
        assert_int_equal(
            th_http_with("GET", th_url(&t, "/api/v1/incidents?limit=100"), NULL, NULL, 0, h, &r),
            0);
        char *ce = th_header(&r, "Content-Encoding");
        assert_non_null(ce);
        free(ce);
        size_t n;
        char *plain = gunzip(r.body, r.len, &n);
        assert_int_equal(n, plain_r.len);
        assert_memory_equal(plain, plain_r.body, n);
        free(plain);
        th_resp_free(&r);
        th_resp_free(&plain_r);
        /* Text (the metrics) too. */
        assert_int_equal(th_http_with("GET", th_url(&t, "/metrics"), NULL, NULL, 0, h, &r), 0);
        ce = th_header(&r, "Content-Encoding");
        assert_non_null(ce);
        free(ce);
        plain = gunzip(r.body, r.len, &n);
        plain = realloc(plain, n + 1);
        plain[n] = 0;
        assert_non_null(strstr(plain, "truce_write_batches_total"));
        free(plain);
        th_resp_free(&r);
        assert_int_equal(th_http_with("GET", th_url(&t, "/healthz"), NULL, NULL, 0, h, &r), 0);
        assert_int_equal(r.status, 200);
        assert_null(th_header(&r, "Content-Encoding"));
        th_resp_free(&r);
    }
    /* A box is read in place order through its index, a thousand rows at a time: a box
     * around the whole strip (many incidents share a place) gives each incident once. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.geojson?bbox=34,31,35,32"), NULL,
                             NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    {
        json_t *all = json_loads(r.body, 0, NULL), *ft;
        char *seen = calloc(6000, 1);
        size_t k, distinct = 0;
        json_array_foreach(json_object_get(all, "features"), k, ft)
        {
            json_int_t id =
                json_integer_value(json_object_get(json_object_get(ft, "properties"), "id"));
            assert_true(id > 0 && id < 6000);
            if (!seen[id]++) distinct++;
        }
        assert_int_equal(json_array_size(json_object_get(all, "features")), TH_ACLED_GAZA_ROWS);
        assert_int_equal(distinct, TH_ACLED_GAZA_ROWS);
        free(seen);
        json_decref(all);
    }
    th_resp_free(&r);
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.csv?bbox=34,31,35,32"), NULL,
                             NULL, 0, NULL, &r),
                     0);
    {
        size_t lines = 0;
        for (size_t k = 0; k < r.len; k++)
            lines += r.body[k] == '\n';
        assert_int_equal(lines, TH_ACLED_GAZA_ROWS + 1); /* and the header */
    }
    th_resp_free(&r);
    /* For maps: the same points with five properties, a fraction of the bytes. */
    {
        th_resp full, sum;
        assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.geojson?bbox=34,31,35,32"),
                                 NULL, NULL, 0, NULL, &full),
                         0);
        assert_int_equal(th_http("GET",
                                 th_url(&t, "/api/v1/incidents.geojson?bbox=34,31,35,32"
                                            "&properties=summary"),
                                 NULL, NULL, 0, NULL, &sum),
                         0);
        assert_int_equal(sum.status, 200);
        json_t *a = json_loads(full.body, 0, NULL), *b = json_loads(sum.body, 0, NULL);
        json_t *fa = json_object_get(a, "features"), *fb = json_object_get(b, "features");
        assert_int_equal(json_array_size(fb), json_array_size(fa));
        for (size_t k = 0; k < json_array_size(fa); k++) {
            json_t *pa = json_object_get(json_array_get(fa, k), "properties");
            json_t *pb = json_object_get(json_array_get(fb, k), "properties");
            assert_int_equal(json_object_size(pb), 5);
            static const char *const keys[] = {"id", "status", "event_date", "event_type",
                                               "fatalities"};
            for (int q = 0; q < 5; q++)
                assert_true(json_equal(json_object_get(pa, keys[q]), json_object_get(pb, keys[q])));
            assert_true(json_equal(json_object_get(json_array_get(fa, k), "geometry"),
                                   json_object_get(json_array_get(fb, k), "geometry")));
        }
        assert_true(sum.len * 4 < full.len);
        json_decref(a);
        json_decref(b);
        th_resp_free(&full);
        th_resp_free(&sum);
        assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.geojson?properties=some"),
                                 NULL, NULL, 0, NULL, &r),
                         0);
        assert_int_equal(r.status, 400);
        assert_string_equal(th_code(&r), "request.invalid_param");
        th_resp_free(&r);
    }
    /* HXL over HTTP: the tag row under the header. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.csv?format=hxl&from=2025-06-01"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    const char *second = strchr(r.body, '\n');
    assert_non_null(second);
    assert_true(strncmp(second + 1, "#", 1) == 0);
    assert_non_null(strstr(second, "#date+occurred"));
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents.csv?format=pdf"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    th_resp_free(&r);
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.geojson?status=reported"), NULL,
                             NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 403);
    th_resp_free(&r);
    /* Counts: every dimension adds up, and agrees with the export itself (counted from the
     * CSV independently: 416 battles, 4 protests; Israel's forces named in 5,304 events). */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents/stats"), NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), TH_ACLED_GAZA_ROWS);
    static const char *const sums[] = {"by_status", "by_type", "by_day"};
    for (size_t k = 0; k < 3; k++) {
        json_int_t sum = 0;
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(r.json, sums[k]), key, v) sum += json_integer_value(v);
        assert_int_equal(sum, TH_ACLED_GAZA_ROWS);
    }
    json_t *types = json_object_get(r.json, "by_type");
    assert_int_equal(json_integer_value(json_object_get(types, "Battles")), 416);
    assert_int_equal(json_integer_value(json_object_get(types, "Protests")), 4);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "by_actor"),
                                                        "Military Forces of Israel (2022-)")),
                     5304);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "by_zone"), "gaza")), 5310);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "by_day"), "2023-11-09")), 25);
    th_resp_free(&r);
    /* With filters: only battles, only in the Gaza governorate. */
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents/stats?event_type=Battles&zone=gaza"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    json_int_t battles = json_integer_value(json_object_get(r.json, "total"));
    assert_true(battles > 0 && battles <= 416);
    assert_int_equal(json_object_size(json_object_get(r.json, "by_type")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "by_zone"), "gaza")), battles);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/stats?bbox=x"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    th_resp_free(&r);
    /* Possible duplicates, for monitors: same type, within km and days, nearest first. The
     * expected counts were computed from the CSV independently (great-circle distance). */
    const char *un = th_login(&t, "un", "demo-un-monitor");
    static const struct {
        const char *path;
        size_t n;
        double km;
        int days;
    } dups[] = {{"/api/v1/incidents/1/duplicates", 3, 1, 2},
                {"/api/v1/incidents/2/duplicates?km=5&days=7", 71, 5, 7}};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(th_http("GET", th_url(&t, dups[k].path), un, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        json_t *c = json_object_get(r.json, "candidates");
        assert_int_equal(json_array_size(c), dups[k].n);
        double last_km = 0;
        json_array_foreach(c, i, it)
        {
            double km = json_real_value(json_object_get(it, "distance_km"));
            assert_true(km >= last_km && km <= dups[k].km);
            assert_true(json_integer_value(json_object_get(it, "days_apart")) <= dups[k].days);
            assert_true(json_integer_value(json_object_get(it, "id")) != (json_int_t)k + 1);
            last_km = km;
        }
        th_resp_free(&r);
    }
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/1/duplicates?km=500"), un, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 400);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/999999/duplicates"), un, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 404);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/1/duplicates"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    th_resp_free(&r);
    /* One incident by id. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents/1"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), 1);
    assert_non_null(json_object_get(r.json, "event_id_cnty"));
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/999999"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(th_code(&r), "incident.not_found");
    th_resp_free(&r);
    /* Not numbers, or numbers past 64 bits (read as a 400, not clamped to the largest). */
    static const char *const bad_ids[] = {"/api/v1/incidents/x1",
                                          "/api/v1/incidents/99999999999999999999",
                                          "/api/v1/incidents?after=99999999999999999999"};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(th_http("GET", th_url(&t, bad_ids[k]), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 400);
        assert_string_equal(th_code(&r), "request.invalid_param");
        th_resp_free(&r);
    }
    /* The public may not ask for unverified ones; a monitor may. */
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents?status=reported"), NULL, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 403);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents?status=reported"), un, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "incidents")), 0);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents?limit=0"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    th_resp_free(&r);
    th_server_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_damaged_stored_row_is_an_error_not_an_empty_incident),
        cmocka_unit_test(zones_import_from_a_geojson_file),
        cmocka_unit_test(incidents_over_http),
        cmocka_unit_test(import_over_http_and_coarse_public_locations),
        cmocka_unit_test(public_heavy_reads_are_limited),
        cmocka_unit_test(places_outside_every_zone),
        cmocka_unit_test(evidence_has_a_daily_quota),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    return cmocka_run_group_tests_name("monitor_http", tests, setup, teardown);
}
