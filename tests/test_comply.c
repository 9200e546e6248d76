/* test_comply.c - compliance over HTTP: agreements recorded from elsewhere, obligations of
 * every kind evaluated on any day, checked against counts made without truce (the sqlite3
 * shell over the real ACLED export and UNRWA's line list), answers and decisions, the
 * scorecard. The real server on the demo (api_common.h), halted while the binary imports. */
#include "api_common.h"

#include "core/buf.h"

static const char *usa, *israel, *hamas, *un, *admin;
static int64_t agreement; /* the phase-one ceasefire, recorded; day 1 is 2025-01-19 */

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_t *post(const char *tok, const char *path, long status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *post(const char *tok, const char *path, long status, const char *fmt, ...)
{
    char body[4096];
    va_list ap;
    th_resp r;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (req("POST", path, tok, body, &r) != status)
        fail_msg("POST %s %s: %ld, not %ld: %s", path, body, r.status, status, r.body);
    json_t *j = json_incref(r.json);
    th_resp_free(&r);
    return j;
}

static json_t *get(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *get(const char *fmt, ...)
{
    char path[512];
    va_list ap;
    th_resp r;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    if (req("GET", path, NULL, NULL, &r) != 200) fail_msg("GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.json);
    th_resp_free(&r);
    return j;
}

/* ACLED's dates (6-Jun-25) made ISO in SQL, for the shell's own counts. */
static const char iso[] =
    "'20' || substr(event_date, -2) || '-' || CASE substr(event_date, instr(event_date, "
    "'-') + 1, 3) WHEN 'Jan' THEN '01' WHEN 'Feb' THEN '02' WHEN 'Mar' THEN '03' WHEN 'Apr' "
    "THEN '04' WHEN 'May' THEN '05' WHEN 'Jun' THEN '06' WHEN 'Jul' THEN '07' WHEN 'Aug' "
    "THEN '08' WHEN 'Sep' THEN '09' WHEN 'Oct' THEN '10' WHEN 'Nov' THEN '11' ELSE '12' END "
    "|| '-' || printf('%02d', substr(event_date, 1, instr(event_date, '-') - 1))";

static void sign_in(void)
{
    if (usa) return;
    usa = th_login(&T, "usa", "demo-usa");
    israel = th_login(&T, "israel", "demo-israel");
    hamas = th_login(&T, "hamas", "demo-hamas");
    un = th_login(&T, "un", "demo-un-monitor");
    admin = th_login(&T, "admin", "demo-admin");
}

static int64_t define(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int64_t define(const char *fmt, ...)
{
    char body[4096], path[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "/api/v1/agreements/%lld/obligations", (long long)agreement);
    json_t *j = post(usa, path, 201, "%s", body);
    int64_t id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    return id;
}

static const char *state_on(int64_t id, const char *day, json_t **keep)
{
    static char state[32];
    json_t *j = get("/api/v1/obligations/%lld?as_of=%s", (long long)id, day);
    snprintf(state, sizeof state, "%s", str_of(j, "state"));
    if (keep)
        *keep = j;
    else
        json_decref(j);
    return state;
}

/* An agreement signed elsewhere is recorded by a mediator, public, and takes no signatures;
 * a wrong one is refused naming the field. */
static void an_agreement_signed_elsewhere_is_recorded(void **state)
{
    static const struct {
        const char *body, *field;
    } bad[] = {
        {"{\"title\":\"x\",\"parties\":[\"israel\",\"usa\"],\"mediators\":[],"
         "\"effective\":\"2025-01-19\",\"terms\":{\"1\":\"x\"}}",
         "parties[1]"},
        {"{\"title\":\"x\",\"parties\":[\"israel\",\"israel\"],\"mediators\":[],"
         "\"effective\":\"2025-01-19\",\"terms\":{\"1\":\"x\"}}",
         "parties[1]"},
        {"{\"title\":\"x\",\"parties\":[\"israel\",\"hamas\"],\"mediators\":[\"nobody\"],"
         "\"effective\":\"2025-01-19\",\"terms\":{\"1\":\"x\"}}",
         "mediators[0]"},
        {"{\"title\":\"x\",\"parties\":[\"israel\",\"hamas\"],\"mediators\":[],"
         "\"effective\":\"19 Jan 2025\",\"terms\":{\"1\":\"x\"}}",
         "effective"},
        {"{\"title\":\"x\",\"parties\":[\"israel\",\"hamas\"],\"mediators\":[],"
         "\"effective\":\"2025-01-19\",\"terms\":{}}",
         "terms"},
        {"{\"title\":\"x\",\"parties\":[\"israel\",\"hamas\"],\"mediators\":[],"
         "\"effective\":\"2025-01-19\",\"terms\":{\"1\":7}}",
         "terms.1"},
    };
    (void)state;
    sign_in();
    int64_t before = th_journal_len(T.db);
    th_resp r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (req("POST", "/api/v1/agreements", usa, bad[i].body, &r) != 400)
            fail_msg("case %zu: %ld %s", i, r.status, r.body);
        assert_string_equal(th_field(&r), bad[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
    json_t *j = post(usa, "/api/v1/agreements", 201,
                     "{\"title\":\"Ceasefire, phase one\",\"parties\":[\"israel\",\"hamas\"],"
                     "\"mediators\":[\"usa\",\"egypt\",\"qatar\"],\"effective\":\"2025-01-19\","
                     "\"terms\":{\"1\":\"A cessation of hostilities for 42 days.\","
                     "\"2\":\"33 hostages released over the phase.\"},"
                     "\"source\":\"published text, as reported\"}");
    agreement = json_integer_value(json_object_get(j, "id"));
    assert_string_equal(str_of(j, "state"), "recorded");
    assert_non_null(json_object_get(j, "receipt"));
    json_decref(j);
    /* Public. */
    j = get("/api/v1/agreements/%lld", (long long)agreement);
    assert_string_equal(str_of(json_object_get(j, "agreement"), "title"), "Ceasefire, phase one");
    json_decref(j);
    /* The demo's negotiated agreement is its members' only, signed in or not. */
    assert_int_equal(req("GET", "/api/v1/agreements/1", NULL, NULL, NULL), 404);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/agreements/%lld/signatures", (long long)agreement);
    j = post(israel, path, 409, "{\"org\":\"israel\",\"signature\":\"AAAA\"}");
    assert_string_equal(str_of(json_object_get(j, "error"), "code"), "agreement.recorded");
    json_decref(j);
    assert_int_equal(req("POST", "/api/v1/agreements", israel, bad[0].body, NULL), 403);
}

/* Deadlines, deliverables and schedules by the dates the evidence carries. */
static void deadlines_deliverables_and_schedules(void **state)
{
    (void)state;
    sign_in();
    int64_t list = define("{\"ref\":\"2.0\",\"title\":\"The list of hostages\",\"party\":\"hamas\","
                          "\"kind\":\"deliverable\",\"due_day\":1}");
    int64_t talks = define("{\"ref\":\"5.1\",\"title\":\"Phase-two talks begin\",\"party\":"
                           "\"israel\",\"kind\":\"deadline\",\"due_day\":16}");
    int64_t hostages = define("{\"ref\":\"2.1\",\"title\":\"Hostages\",\"party\":\"hamas\","
                              "\"kind\":\"schedule\",\"phase\":1,\"steps\":[{\"day\":1,"
                              "\"quantity\":3},{\"day\":7,\"quantity\":4},{\"day\":14,"
                              "\"quantity\":3}]}");
    char path[96];
    assert_string_equal(state_on(list, "2025-01-18", NULL), "active");
    assert_string_equal(state_on(list, "2025-01-20", NULL), "breached");
    /* Only the party delivers; a day late is met late. */
    snprintf(path, sizeof path, "/api/v1/obligations/%lld/deliverables", (long long)list);
    json_decref(post(israel, path, 403, "{\"note\":\"x\"}"));
    json_decref(post(hamas, path, 201, "{\"date\":\"2025-01-20\",\"note\":\"handed to Qatar\"}"));
    assert_string_equal(state_on(list, "2025-01-20", NULL), "met_late");
    assert_string_equal(state_on(list, "2025-01-19", NULL), "active"); /* not due yet, then */
    /* Monitors observe the talks: on day 16 exactly is in time. */
    assert_string_equal(state_on(talks, "2025-02-03", NULL), "active");
    assert_string_equal(state_on(talks, "2025-02-04", NULL), "breached");
    snprintf(path, sizeof path, "/api/v1/obligations/%lld/observations", (long long)talks);
    json_decref(post(hamas, path, 403, "{\"date\":\"2025-02-03\",\"note\":\"x\"}"));
    json_decref(post(un, path, 201, "{\"date\":\"2025-02-03\",\"note\":\"talks opened in Doha\"}"));
    assert_string_equal(state_on(talks, "2025-02-04", NULL), "met");
    assert_string_equal(state_on(talks, "2025-02-02", NULL), "active");
    /* The schedule: 3 on day 1, 4 by day 7, 3 by day 14, cumulative. */
    snprintf(path, sizeof path, "/api/v1/obligations/%lld/observations", (long long)hostages);
    json_decref(post(un, path, 201, "{\"date\":\"2025-01-19\",\"quantity\":3,\"note\":\"3\"}"));
    assert_string_equal(state_on(hostages, "2025-01-20", NULL), "active");
    assert_string_equal(state_on(hostages, "2025-01-25", NULL), "partially_met");
    json_decref(post(un, path, 201, "{\"date\":\"2025-01-25\",\"quantity\":4,\"note\":\"4\"}"));
    assert_string_equal(state_on(hostages, "2025-01-25", NULL), "active");
    json_decref(post(un, path, 201, "{\"date\":\"2025-02-02\",\"quantity\":3,\"note\":\"late\"}"));
    json_t *j;
    assert_string_equal(state_on(hostages, "2025-02-10", &j), "partially_met");
    json_t *steps = json_object_get(json_object_get(j, "evidence"), "steps");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(steps, 2), "owed")), 10);
    /* Day 14 is 1 February: the three of 2 February came a day late. */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(steps, 2), "delivered")), 7);
    assert_false(json_is_true(json_object_get(json_array_get(steps, 2), "reached")));
    json_decref(j);
    assert_string_equal(state_on(hostages, "2025-01-18", NULL), "scheduled");
    /* A future day is no observation; nor is a bad SHA-256. */
    json_decref(post(un, path, 400, "{\"date\":\"2999-01-01\",\"note\":\"x\"}"));
    json_decref(post(un, path, 400,
                     "{\"date\":\"2025-01-19\",\"note\":\"x\",\"evidence\":[\"%s\"]}",
                     "gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg"));
}

/* A prohibition over the real ACLED export: its count is the export's own rows of the
 * party's actors and those types in the window, as the sqlite3 shell counts them. */
static void a_prohibition_counts_the_real_record(void **state)
{
    char csv[512], *err = NULL;
    (void)state;
    sign_in();
    snprintf(csv, sizeof csv, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    th_server_halt(&T);
    int rc = th_truce(NULL, &err, NULL, "import acled '%s' --db '%s'", csv, T.db);
    th_server_resume(&T);
    if (rc) fail_msg("import: %s", err);
    free(err);
    assert_int_equal(req("PUT", "/api/v1/orgs/israel/actors", un,
                         "{\"actors\":[\"Military Forces of Israel (2022-)\"]}", NULL),
                     200);
    assert_int_equal(req("PUT", "/api/v1/orgs/hamas/actors", un,
                         "{\"actors\":[\"Hamas Movement\",\"Al Qassam Brigades\"]}", NULL),
                     200);
    int64_t isr = define("{\"ref\":\"1.1\",\"title\":\"Cessation of hostilities\",\"party\":"
                         "\"israel\",\"kind\":\"prohibition\",\"phase\":1,\"from_day\":1,"
                         "\"to_day\":42,\"threshold\":5,\"incidents\":{\"event_types\":"
                         "[\"Explosions/Remote violence\",\"Battles\",\"Violence against "
                         "civilians\"]}}");
    int64_t ham = define("{\"ref\":\"1.2\",\"title\":\"Cessation of hostilities\",\"party\":"
                         "\"hamas\",\"kind\":\"prohibition\",\"phase\":1,\"from_day\":1,"
                         "\"to_day\":42,\"incidents\":{\"event_types\":[\"Explosions/Remote "
                         "violence\",\"Battles\"]}}");
    char *n_isr =
        th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT count(*) FROM t "
                 "WHERE actor1 = 'Military Forces of Israel (2022-)' AND event_type IN "
                 "('Explosions/Remote violence', 'Battles', 'Violence against civilians') "
                 "AND %s BETWEEN '2025-01-19' AND '2025-03-01'\"",
                 csv, iso);
    char *n_ham =
        th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT count(*) FROM t "
                 "WHERE actor1 IN ('Hamas Movement', 'Al Qassam Brigades') AND event_type "
                 "IN ('Explosions/Remote violence', 'Battles') AND %s BETWEEN "
                 "'2025-01-19' AND '2025-03-01'\"",
                 csv, iso);
    json_t *j;
    const char *st = state_on(isr, "2025-03-20", &j);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), atoll(n_isr));
    assert_true(atoll(n_isr) > 5);
    assert_string_equal(st, "breached");
    json_t *first = json_array_get(json_object_get(json_object_get(j, "evidence"), "incidents"), 0);
    assert_true(strncmp(str_of(first, "event_id_cnty"), "PSE", 3) == 0);
    json_decref(j);
    st = state_on(ham, "2025-03-20", &j);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), atoll(n_ham));
    assert_string_equal(st, atoll(n_ham) > 0 ? "breached" : "met");
    json_decref(j);
    /* As of day 3: only what happened by then. */
    char *n3 = th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT count(*) FROM t "
                        "WHERE actor1 = 'Military Forces of Israel (2022-)' AND event_type IN "
                        "('Explosions/Remote violence', 'Battles', 'Violence against civilians') "
                        "AND %s BETWEEN '2025-01-19' AND '2025-01-21'\"",
                        csv, iso);
    state_on(isr, "2025-01-21", &j);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), atoll(n3));
    json_decref(j);
    assert_string_equal(state_on(isr, "2025-01-18", NULL), "scheduled");
    /* An area: the same, tagged with a zone (the import tags each event with the zones its
     * place lies in); checked against the tags in SQL. */
    int64_t area = define("{\"ref\":\"1.4\",\"title\":\"Out of Gaza City\",\"party\":\"israel\","
                          "\"kind\":\"area\",\"from_day\":1,\"to_day\":42,\"incidents\":"
                          "{\"event_types\":[\"Explosions/Remote violence\",\"Battles\"],"
                          "\"zones\":[\"gaza\"]}}");
    char *n_area =
        th_sql(T.db, "SELECT count(*) FROM incidents i WHERE actor1 IN "
                     "('Military Forces of Israel (2022-)') AND event_type IN ('Explosions/"
                     "Remote violence', 'Battles') AND event_date BETWEEN '2025-01-19' AND "
                     "'2025-03-01' AND status IN ('verified', 'disputed', 'upheld') AND "
                     "EXISTS (SELECT 1 FROM incident_zones z WHERE z.incident = i.id AND "
                     "z.zone = 'gaza')");
    state_on(area, "2025-03-20", &j);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), atoll(n_area));
    assert_true(atoll(n_area) > 0);
    assert_true(atoll(n_area) <= atoll(n_isr)); /* no more in one governorate than in all */
    json_decref(j);
    free(n_area);
    /* With sub-event types (which only the documents hold): the other way, the same count. */
    int64_t air = define("{\"ref\":\"1.3\",\"title\":\"No air strikes\",\"party\":\"israel\","
                         "\"kind\":\"prohibition\",\"from_day\":1,\"to_day\":42,\"incidents\":"
                         "{\"event_types\":[\"Explosions/Remote violence\"],\"sub_event_types\":"
                         "[\"Air/drone strike\"]}}");
    char *n_air =
        th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT count(*) FROM t "
                 "WHERE actor1 = 'Military Forces of Israel (2022-)' AND sub_event_type = "
                 "'Air/drone strike' AND %s BETWEEN '2025-01-19' AND '2025-03-01'\"",
                 csv, iso);
    state_on(air, "2025-03-20", &j);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), atoll(n_air));
    json_decref(j);
    free(n_air);
    free(n_isr);
    free(n_ham);
    free(n3);

    /* Answered, then decided; the scorecard shows the provisional and the settled. */
    char path[96];
    snprintf(path, sizeof path, "/api/v1/obligations/%lld/decisions", (long long)isr);
    j = post(usa, path, 409, "{\"outcome\":\"upheld\",\"reason\":\"x\"}");
    assert_string_equal(str_of(json_object_get(j, "error"), "code"), "obligation.not_disputed");
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/obligations/%lld/responses", (long long)isr);
    json_decref(post(hamas, path, 403, "{\"position\":\"deny\",\"text\":\"x\"}"));
    j = post(israel, path, 201, "{\"position\":\"exception\",\"text\":\"responses to threats\"}");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "overlays"), 0)),
                        "disputed");
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/obligations/%lld/decisions", (long long)isr);
    json_decref(post(israel, path, 403, "{\"outcome\":\"overturned\",\"reason\":\"x\"}"));
    j = post(usa, path, 201, "{\"outcome\":\"upheld\",\"reason\":\"no threat was shown\"}");
    assert_string_equal(str_of(j, "finding"), "upheld");
    assert_int_equal(json_array_size(json_object_get(j, "overlays")), 0);
    json_decref(j);
    char today[11];
    util_day_at(util_unix_s(), today);
    j = get("/api/v1/agreements/%lld/scorecard?as_of=%s", (long long)agreement, today);
    json_t *p = json_object_get(json_object_get(j, "parties"), "israel");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "settled"), "breached")),
                     1);
    assert_true(
        json_integer_value(json_object_get(json_object_get(p, "provisional"), "breached")) >= 1);
    size_t i;
    json_t *o;
    int seen = 0;
    json_array_foreach(json_object_get(j, "obligations"), i, o)
    {
        if (json_integer_value(json_object_get(o, "id")) != isr) continue;
        seen = 1;
        assert_int_equal(json_integer_value(json_object_get(o, "pam")), 0);
    }
    assert_true(seen);
    json_decref(j);
}

/* A rate against the real UNRWA line list: each day's actual is the file's rows that day,
 * the days met and the shortfall as the sqlite3 shell counts them. */
static void a_rate_follows_the_real_counts(void **state)
{
    char csv[512], *err = NULL;
    (void)state;
    sign_in();
    snprintf(csv, sizeof csv, "%s/aid/unrwa_commodities_received_2023_2024.csv",
             getenv("TRUCE_DATA"));
    th_server_halt(&T);
    int rc = th_truce(NULL, &err, NULL,
                      "import aid-counts '%s' --db '%s' --source unrwa --basis trucks_entered "
                      "--date-column 'Received Date' --count-rows",
                      csv, T.db);
    th_server_resume(&T);
    if (rc) fail_msg("import: %s", err);
    free(err);
    /* The line list covers 2023-2024: an agreement of then (day 1: 1 March 2024). */
    json_t *j = post(usa, "/api/v1/agreements", 201,
                     "{\"title\":\"Humanitarian pause\",\"parties\":[\"israel\",\"hamas\"],"
                     "\"mediators\":[\"qatar\"],\"effective\":\"2024-03-01\","
                     "\"terms\":{\"1\":\"150 trucks a day\"}}");
    int64_t pause = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/agreements/%lld/obligations", (long long)pause);
    j = post(usa, path, 201,
             "{\"ref\":\"1\",\"title\":\"150 trucks a day\",\"party\":\"israel\",\"kind\":\"rate\","
             "\"from_day\":1,\"to_day\":31,\"rate\":{\"per\":\"day\",\"value\":150,\"basis\":"
             "\"trucks_entered\",\"source\":\"unrwa\"},\"tolerance\":0.5}");
    int64_t id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    char *theirs = th_shell(
        "sqlite3 :memory: -cmd \".import --csv '%s' t\" \"WITH RECURSIVE d(day) AS (SELECT "
        "'2024-03-01' UNION ALL SELECT date(day, '+1 day') FROM d WHERE day < '2024-03-31'), "
        "c AS (SELECT d.day, (SELECT count(*) FROM t WHERE \\\"Received Date\\\" = d.day) n "
        "FROM d) SELECT sum(n >= 150), sum(max(150 - n, 0)), sum(n) FROM c\"",
        csv);
    long long met = 0, shortfall = 0, total = 0;
    assert_int_equal(sscanf(theirs, "%lld|%lld|%lld", &met, &shortfall, &total), 3);
    free(theirs);
    assert_true(total > 0);
    json_t *ob;
    const char *st = state_on(id, "2024-04-30", &ob);
    json_t *ev = json_object_get(ob, "evidence");
    assert_int_equal(json_integer_value(json_object_get(ev, "days_met")), met);
    assert_int_equal(json_integer_value(json_object_get(ev, "cumulative_shortfall")), shortfall);
    assert_int_equal(json_array_size(json_object_get(ev, "days")), 31);
    assert_string_equal(st, 31 - met > 15 ? "breached" : "met");
    json_decref(ob);
    /* Before any count exists for it: nothing to judge by. */
    j = post(usa, path, 201,
             "{\"ref\":\"2\",\"title\":\"fuel\",\"party\":\"israel\",\"kind\":\"rate\","
             "\"from_day\":1,\"to_day\":10,\"rate\":{\"per\":\"day\",\"value\":50,\"basis\":"
             "\"trucks_entered\",\"source\":\"nobody-counts-this\"}}");
    assert_string_equal(state_on(json_integer_value(json_object_get(j, "id")), "2024-03-20", NULL),
                        "not_evaluable");
    json_decref(j);
}

/* Denials of aid at the crossings the party operates; reciprocity and triggers. */
static void access_reciprocity_and_triggers(void **state)
{
    (void)state;
    sign_in();
    const char *wfp = th_login(&T, "wfp", "demo-wfp");
    int64_t access = define("{\"ref\":\"9.1\",\"title\":\"No denial of aid\",\"party\":"
                            "\"israel\",\"kind\":\"access\",\"from_day\":1,\"to_day\":42}");
    assert_string_equal(state_on(access, "2025-01-25", NULL), "active");
    json_t *j = post(wfp, "/api/v1/aid/requests", 201,
                     "{\"ref\":\"C-1\",\"crossing\":\"kerem-shalom\",\"destination\":\"gaza\","
                     "\"lines\":[{\"category\":\"food\",\"trucks\":2}],"
                     "\"at\":\"2025-01-20T06:00:00Z\"}");
    int64_t rq = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/aid/requests/%lld/transitions", (long long)rq);
    json_decref(post(israel, path, 200, "{\"to\":\"cleared\",\"at\":\"2025-01-20T07:00:00Z\"}"));
    snprintf(path, sizeof path, "/api/v1/aid/requests/%lld/trucks", (long long)rq);
    j = post(wfp, path, 201, "{\"count\":2,\"category\":\"food\",\"at\":\"2025-01-20T08:00:00Z\"}");
    int64_t t = json_integer_value(json_array_get(json_object_get(j, "trucks"), 0));
    json_decref(j);
    json_decref(post(israel, "/api/v1/aid/trucks/transitions", 200,
                     "{\"trucks\":[%lld,%lld],\"to\":\"at_crossing\",\"at\":"
                     "\"2025-01-20T09:00:00Z\"}",
                     (long long)t, (long long)t + 1));
    snprintf(path, sizeof path, "/api/v1/aid/trucks/%lld/transitions", (long long)t);
    json_decref(post(israel, path, 200,
                     "{\"to\":\"turned_back\",\"reason\":\"x\",\"at\":\"2025-01-22T10:00:00Z\"}"));
    json_t *ob;
    assert_string_equal(state_on(access, "2025-01-25", &ob), "breached");
    assert_int_equal(json_integer_value(json_object_get(ob, "count")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(ob, "evidence"), "trucks_turned_back")),
        1);
    json_decref(ob);
    assert_string_equal(state_on(access, "2025-01-21", NULL), "active"); /* before the denial */

    /* Reciprocity: while Hamas's list is overdue, Israel's release is suspended; a trigger
     * keeps an obligation scheduled until what it waits for is met. */
    int64_t list = define("{\"ref\":\"9.2\",\"title\":\"A list\",\"party\":\"hamas\","
                          "\"kind\":\"deliverable\",\"due_day\":2}");
    char body[256];
    snprintf(body, sizeof body,
             "{\"ref\":\"9.3\",\"title\":\"Releases\",\"party\":\"israel\",\"kind\":"
             "\"deadline\",\"due_day\":5,\"suspended_by\":%lld}",
             (long long)list);
    int64_t release = define("%s", body);
    snprintf(body, sizeof body,
             "{\"ref\":\"9.4\",\"title\":\"Next\",\"party\":\"israel\",\"kind\":"
             "\"deadline\",\"due_day\":9,\"trigger\":%lld}",
             (long long)list);
    int64_t next = define("%s", body);
    state_on(release, "2025-01-21", &ob);
    assert_int_equal(json_array_size(json_object_get(ob, "overlays")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(ob, "overlays"), 0)),
                        "suspended");
    json_decref(ob);
    state_on(release, "2025-01-20", &ob); /* the list not due yet */
    assert_int_equal(json_array_size(json_object_get(ob, "overlays")), 0);
    json_decref(ob);
    assert_string_equal(state_on(next, "2025-02-10", NULL), "scheduled");
    snprintf(path, sizeof path, "/api/v1/obligations/%lld/deliverables", (long long)list);
    json_decref(post(hamas, path, 201, "{\"date\":\"2025-01-20\",\"note\":\"given\"}"));
    assert_string_equal(state_on(next, "2025-02-10", NULL), "breached");
    assert_string_equal(state_on(next, "2025-01-19", NULL), "scheduled"); /* not delivered yet */
}

/* Alerts: breached, due soon, and a rate burning its tolerance; not what was waived. */
static void alerts_say_what_needs_attention(void **state)
{
    (void)state;
    sign_in();
    int64_t soon = define("{\"ref\":\"11.1\",\"title\":\"Open the road\",\"party\":"
                          "\"israel\",\"kind\":\"deadline\",\"due_day\":7}");
    int64_t rate = define("{\"ref\":\"11.2\",\"title\":\"Bread\",\"party\":\"israel\","
                          "\"kind\":\"rate\",\"from_day\":1,\"to_day\":30,\"tolerance\":0.5,"
                          "\"rate\":{\"per\":\"day\",\"value\":50,\"basis\":\"bakeries\","
                          "\"source\":\"burn-src\"}}");
    /* 100 a day for four days, then 10: short on the last six of ten. */
    for (int d = 0; d < 10; d++)
        json_decref(post(un, "/api/v1/aid/counts", 201,
                         "{\"date\":\"2025-01-%02d\",\"source\":\"burn-src\",\"basis\":"
                         "\"bakeries\",\"value\":%d}",
                         19 + d, d < 4 ? 100 : 10));
    json_t *j = get("/api/v1/alerts?as_of=2025-01-23&within=3");
    int due = 0, burn = 0;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(j, "alerts"), i, a)
    {
        int64_t ob = json_integer_value(json_object_get(a, "obligation"));
        if (ob == soon && !strcmp(str_of(a, "kind"), "due_soon")) {
            due = 1;
            assert_string_equal(str_of(a, "due"), "2025-01-25");
        }
        if (ob == rate) burn = 1; /* not yet: one short day in four */
    }
    assert_true(due);
    assert_false(burn);
    json_decref(j);
    j = get("/api/v1/alerts?as_of=2025-01-28&within=0");
    burn = 0;
    json_array_foreach(json_object_get(j, "alerts"), i, a)
    {
        if (json_integer_value(json_object_get(a, "obligation")) != rate) continue;
        assert_string_equal(str_of(a, "kind"), "rate_burn");
        assert_string_equal(str_of(a, "state"), "active");
        json_t *b = json_object_get(a, "burn");
        assert_float_equal(json_number_value(json_object_get(b, "short")), 2, 1e-9);
        assert_float_equal(json_number_value(json_object_get(b, "long")), 1.2, 1e-9);
        burn = 1;
    }
    assert_true(burn);
    json_decref(j);
    /* Waived: no alert. */
    char path[96];
    snprintf(path, sizeof path, "/api/v1/obligations/%lld/decisions", (long long)rate);
    json_decref(post(usa, path, 201, "{\"outcome\":\"waived\",\"reason\":\"flour ran out\"}"));
    char today[11];
    util_day_at(util_unix_s(), today);
    j = get("/api/v1/alerts?within=0");
    json_array_foreach(json_object_get(j, "alerts"), i, a)
        assert_int_not_equal(json_integer_value(json_object_get(a, "obligation")), rate);
    json_decref(j);
    /* The feed: an entry an alert. */
    th_resp r;
    assert_int_equal(req("GET", "/api/v1/alerts.atom?as_of=2025-01-23&within=3", NULL, NULL, &r),
                     200);
    char *ctype = th_header(&r, "Content-Type");
    assert_non_null(strstr(ctype, "application/atom+xml"));
    free(ctype);
    assert_non_null(strstr(r.body, "<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    char id[96];
    snprintf(id, sizeof id, "<id>urn:truce:alert:due_soon:%lld:2025-01-23</id>", (long long)soon);
    assert_non_null(strstr(r.body, id));
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/alerts?within=365", NULL, NULL, &r), 400);
    assert_string_equal(th_field(&r), "within");
    th_resp_free(&r);
}

/* The daily report: the fortnight's incidents as the real export has them, per day and
 * type; the page in the three languages, the checkpoint it was made from. Runs after the
 * ACLED import of a_prohibition_counts_the_real_record. */
static void the_daily_report(void **state)
{
    char csv[512];
    (void)state;
    sign_in();
    snprintf(csv, sizeof csv, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    char *theirs =
        th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT %s, count(*), "
                 "sum(event_type = 'Explosions/Remote violence'), sum(actor1 = 'Military "
                 "Forces of Israel (2022-)') FROM t WHERE %s BETWEEN '2025-01-17' AND "
                 "'2025-01-30' GROUP BY 1 ORDER BY 1\"",
                 csv, iso, iso);
    json_t *j = get("/api/v1/sitrep?date=2025-01-30");
    assert_string_equal(str_of(j, "from"), "2025-01-17");
    json_t *days = json_object_get(json_object_get(j, "incidents"), "days");
    assert_int_equal(json_array_size(days), 14);
    /* Ours in the shell's form: day|total|explosions|israel, days with incidents only. */
    buf ours = BUF_INIT;
    size_t i;
    json_t *d;
    json_array_foreach(days, i, d)
    {
        json_int_t total = json_integer_value(json_object_get(d, "total"));
        if (!total) continue;
        buf_printf(&ours, "%s|%lld|%lld|%lld\n", str_of(d, "date"), (long long)total,
                   (long long)json_integer_value(json_object_get(json_object_get(d, "by_type"),
                                                                 "Explosions/Remote violence")),
                   (long long)json_integer_value(
                       json_object_get(json_object_get(d, "by_party"), "israel")));
    }
    assert_true(ours.len > 20);
    assert_string_equal(ours.p, theirs);
    buf_free(&ours);
    free(theirs);
    json_t *cp = json_object_get(j, "checkpoint");
    assert_true(json_integer_value(json_object_get(cp, "tree_size")) > 0);
    assert_non_null(strstr(str_of(cp, "note"), "\n\n\xe2\x80\x94 ")); /* a signed note */
    assert_true(json_array_size(json_object_get(j, "obligations")) >= 1);
    json_decref(j);

    static const struct {
        const char *lang, *accept, *html, *title;
    } pages[] = {
        {"?lang=ar", NULL, "<html lang=\"ar\" dir=\"rtl\">", "التقرير اليومي"},
        {"?lang=he", NULL, "<html lang=\"he\" dir=\"rtl\">", "דוח יומי"},
        {"", NULL, "<html lang=\"en\" dir=\"ltr\">", "Daily report"},
        {"", "Accept-Language: he-IL,he;q=0.9,en;q=0.5", "<html lang=\"he\" dir=\"rtl\">",
         "דוח יומי"},
    };
    for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++) {
        char path[96];
        const char *headers[] = {pages[k].accept, NULL};
        th_resp r;
        snprintf(path, sizeof path, "/sitrep/2025-01-30%s", pages[k].lang);
        assert_int_equal(th_http_with("GET", th_url(&T, path), NULL, NULL, 0,
                                      pages[k].accept ? headers : NULL, &r),
                         0);
        assert_int_equal(r.status, 200);
        assert_non_null(strstr(r.body, pages[k].html));
        assert_non_null(strstr(r.body, pages[k].title));
        assert_non_null(strstr(r.body, "<svg dir=\"ltr\""));
        assert_null(strstr(r.body, "<script"));
        char *csp = th_header(&r, "Content-Security-Policy");
        assert_non_null(csp);
        assert_non_null(strstr(csp, "default-src 'none'"));
        free(csp);
        th_resp_free(&r);
    }
    assert_int_equal(req("GET", "/sitrep/2999-01-01", NULL, NULL, NULL), 400);
    assert_int_equal(req("GET", "/api/v1/sitrep?date=yesterday", NULL, NULL, NULL), 400);
    /* The command line writes the same page. */
    char out[400], *err = NULL;
    snprintf(out, sizeof out, "%s/sitrep.html", T.dir);
    th_server_halt(&T);
    int rc = th_truce(NULL, &err, NULL, "sitrep --db '%s' --date 2025-01-30 --lang ar --out '%s'",
                      T.db, out);
    th_server_resume(&T);
    if (rc) fail_msg("sitrep: %s", err);
    free(err);
    char *page = th_slurp(out, NULL);
    assert_non_null(strstr(page, "<html lang=\"ar\" dir=\"rtl\">"));
    free(page);
}

/* The journal holds each change of state: `truce comply settle` records what changed since
 * the last journaled state (and nothing twice, nor going back), and a running server does
 * it on its own every tick. */
static int64_t state_events(void)
{
    char *n = th_sql(T.db, "SELECT count(*) FROM journal WHERE type = "
                           "'obligation.state_changed'");
    int64_t v = atoll(n);
    free(n);
    return v;
}

static void changes_of_state_are_journaled(void **state)
{
    char *out = NULL;
    (void)state;
    sign_in();
    /* Today's scorecard, evaluated (nothing settled today yet). */
    json_t *evaluated = get("/api/v1/agreements/%lld/scorecard", (long long)agreement);
    th_server_halt(&T);
    assert_int_equal(th_truce(&out, NULL, NULL, "comply settle --db '%s' --as-of 2025-01-20", T.db),
                     0);
    int64_t first = atoll(out);
    assert_true(first > 0);
    free(out);
    assert_int_equal(state_events(), first);
    assert_int_equal(th_truce(&out, NULL, NULL, "comply settle --db '%s' --as-of 2025-01-20", T.db),
                     0);
    assert_non_null(strstr(out, "0 obligations changed state"));
    free(out);
    assert_int_equal(th_truce(&out, NULL, NULL, "comply settle --db '%s'", T.db), 0);
    free(out);
    int64_t now = state_events();
    assert_true(now > first);
    /* Settled today: the scorecard is read from the journaled states, and is the same. */
    th_server_resume(&T);
    json_t *settled = get("/api/v1/agreements/%lld/scorecard", (long long)agreement);
    if (!json_equal(evaluated, settled)) {
        char *a = json_dumps(evaluated, JSON_SORT_KEYS), *b = json_dumps(settled, JSON_SORT_KEYS);
        fail_msg("evaluated %s\nsettled %s", a, b);
    }
    json_decref(evaluated);
    json_decref(settled);
    th_server_halt(&T);
    /* Back to an earlier day: the record only moves forward. */
    assert_int_equal(th_truce(&out, NULL, NULL, "comply settle --db '%s' --as-of 2025-01-20", T.db),
                     0);
    assert_non_null(strstr(out, "0 obligations changed state"));
    free(out);
    assert_int_equal(state_events(), now);
    assert_int_equal(th_truce(NULL, NULL, NULL, "comply settle --db '%s' --as-of 2999-01-01", T.db),
                     2);
    /* A server settles by itself: a new obligation's state is journaled within a tick. */
    T.cfg.tick_seconds = 1;
    th_server_resume(&T);
    define("{\"ref\":\"10.1\",\"title\":\"late\",\"party\":\"hamas\",\"kind\":"
           "\"deadline\",\"due_day\":1}");
    int64_t waited = 0;
    while (state_events() == now && waited < 100) {
        usleep(100000);
        waited++;
    }
    assert_int_equal(state_events(), now + 1);
    char *last = th_sql(T.db, "SELECT body FROM journal WHERE type = "
                              "'obligation.state_changed' ORDER BY seq DESC LIMIT 1");
    assert_non_null(strstr(last, "\"to\":\"breached\""));
    assert_non_null(strstr(last, "\"from\":null"));
    free(last);
    th_server_halt(&T);
    T.cfg.tick_seconds = -1;
    assert_int_equal(th_truce(NULL, NULL, NULL, "audit --db '%s'", T.db), 0);
    th_server_resume(&T);
}

/* What is said of an obligation, wrong: each refused naming why; nothing written. */
static void a_wrong_note_is_refused(void **state)
{
    (void)state;
    sign_in();
    int64_t talks = define("{\"ref\":\"12.1\",\"title\":\"Talks\",\"party\":\"israel\","
                           "\"kind\":\"deadline\",\"due_day\":16}");
    char obs[96], del[96], res[96], dec[96];
    snprintf(obs, sizeof obs, "/api/v1/obligations/%lld/observations", (long long)talks);
    snprintf(del, sizeof del, "/api/v1/obligations/%lld/deliverables", (long long)talks);
    snprintf(res, sizeof res, "/api/v1/obligations/%lld/responses", (long long)talks);
    snprintf(dec, sizeof dec, "/api/v1/obligations/%lld/decisions", (long long)talks);
    const struct {
        const char *tok, *path, *body, *field;
        long status;
    } bad[] = {
        {un, obs, "{\"date\":\"2025-02-01\",\"note\":\"x\",\"quantity\":-1}", "quantity", 400},
        {un, obs, "{\"date\":\"2025-02-01\"}", "note", 400},
        {un, obs, "{\"date\":\"1 Feb 2025\",\"note\":\"x\"}", "date", 400},
        {israel, res, "{\"position\":\"shrug\",\"text\":\"x\"}", "position", 400},
        {israel, res, "{\"position\":\"deny\"}", "text", 400},
        {usa, dec, "{\"outcome\":\"pardoned\",\"reason\":\"x\"}", "outcome", 400},
        {israel, del, "{\"note\":\"x\"}", NULL, 409}, /* a deadline is observed, not delivered */
        {un, "/api/v1/obligations/999999/observations", "{\"date\":\"2025-02-01\",\"note\":\"x\"}",
         NULL, 404},
    };
    int64_t before = th_journal_len(T.db);
    th_resp r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (req("POST", bad[i].path, bad[i].tok, bad[i].body, &r) != bad[i].status)
            fail_msg("case %zu: %ld %s", i, r.status, r.body);
        assert_error_shape(&r);
        if (bad[i].field) assert_string_equal(th_field(&r), bad[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
}

/* Wrong obligations: each a 400 naming the field, or the 404/409 that says why. */
static void a_wrong_obligation_is_refused(void **state)
{
    static const struct {
        const char *body, *field;
        long status;
    } bad[] = {
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"usa\",\"kind\":\"deadline\",\"due_day\":1}",
         "party", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"truce\",\"due_day\":1}",
         "kind", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"deadline\"}", "due_day",
         400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"deadline\",\"due_day\":1,"
         "\"threshold\":3}",
         "threshold", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"prohibition\","
         "\"from_day\":9,\"to_day\":3,\"incidents\":{\"event_types\":[\"Battles\"]}}",
         "to_day", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"area\",\"from_day\":1,"
         "\"incidents\":{\"event_types\":[\"Battles\"]}}",
         "incidents.zones", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"area\",\"from_day\":1,"
         "\"incidents\":{\"event_types\":[\"Battles\"],\"zones\":[\"atlantis\"]}}",
         "incidents.zones[0]", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"schedule\",\"steps\":"
         "[{\"day\":7,\"quantity\":1},{\"day\":7,\"quantity\":1}]}",
         "steps[1].day", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"rate\",\"from_day\":1,"
         "\"to_day\":2}",
         "rate", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"rate\",\"from_day\":1,"
         "\"to_day\":2,\"target\":999999}",
         "target", 400},
        {"{\"ref\":\"x1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"deadline\",\"due_day\":1,"
         "\"trigger\":999999}",
         "trigger", 400},
        {"{\"ref\":\"2.1\",\"title\":\"x\",\"party\":\"hamas\",\"kind\":\"deadline\",\"due_day\":"
         "1}",
         NULL, 409},
    };
    (void)state;
    sign_in();
    int64_t before = th_journal_len(T.db);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/agreements/%lld/obligations", (long long)agreement);
    th_resp r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (req("POST", path, usa, bad[i].body, &r) != bad[i].status)
            fail_msg("case %zu: %ld %s", i, r.status, r.body);
        assert_error_shape(&r);
        if (bad[i].field) assert_string_equal(th_field(&r), bad[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(req("POST", "/api/v1/agreements/999999/obligations", usa, bad[2].body, &r),
                     404);
    th_resp_free(&r);
    assert_int_equal(req("POST", path, israel, bad[0].body, NULL), 403);
    assert_int_equal(th_journal_len(T.db), before);
    assert_int_equal(req("GET", "/api/v1/obligations/1?as_of=soon", NULL, NULL, &r), 400);
    assert_string_equal(th_field(&r), "as_of");
    th_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_agreement_signed_elsewhere_is_recorded),
        cmocka_unit_test(deadlines_deliverables_and_schedules),
        cmocka_unit_test(a_prohibition_counts_the_real_record),
        cmocka_unit_test(a_rate_follows_the_real_counts),
        cmocka_unit_test(access_reciprocity_and_triggers),
        cmocka_unit_test(a_wrong_obligation_is_refused),
        cmocka_unit_test(a_wrong_note_is_refused),
        cmocka_unit_test(alerts_say_what_needs_attention),
        cmocka_unit_test(the_daily_report),
        cmocka_unit_test(changes_of_state_are_journaled),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
