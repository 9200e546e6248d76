/* test_workflow.c - the monitoring workflow over the API: reports joining incidents, evidence (in
 * pieces, witnesses, merges), the verification workflow, concurrent writes. The real server on an
 * ephemeral port, spoken to over HTTP with libcurl (api_common.h). */
#include "api_common.h"

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
    th_server_halt(&T); /* rebuild refuses a database in use */
    char *tables = th_sql(T.db, TABLES);
    free(th_sql(T.db, "DELETE FROM reports; DELETE FROM evidence; DELETE FROM private_fields;"
                      " DELETE FROM incident_keys; DELETE FROM incident_events;"
                      " UPDATE incidents SET status = 0"));
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", T.db), 0);
    char *after = th_sql(T.db, TABLES);
    assert_true(strlen(tables) > 1000);
    assert_string_equal(after, tables);
    free(tables);
    free(after);
    th_server_resume(&T);
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
    assert_string_equal(th_field(&r), "evidence");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reports_join_existing_incidents),
        cmocka_unit_test(evidence_witnesses_and_merges),
        cmocka_unit_test(evidence_arrives_in_pieces_and_resumes),
        cmocka_unit_test(the_verification_workflow),
        cmocka_unit_test(concurrent_writes_all_land),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    log_set_access(0);
    return cmocka_run_group_tests_name("workflow", tests, setup, teardown);
}
