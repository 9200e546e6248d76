/* test_scenario.c - loading the gaza-2025 demo, and refusing broken scenarios whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "monitor/store.h"
#include "negotiate/store.h"
#include "accounts/store.h"

#include "aid/store.h"

#include "scenario/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    th_rmrf(dir);
    return 0;
}

static int count(void *cls, const void *row)
{
    (void)row;
    (*(int *)cls)++;
    return 0;
}

static const struct {
    const char *slug, *kind;
} expected_orgs[] = {
    {"israel", "party"},     {"hamas", "party"},      {"usa", "mediator"},
    {"egypt", "mediator"},   {"qatar", "mediator"},   {"un", "monitor"},
    {"cmcc", "monitor"},     {"wfp", "humanitarian"}, {"unrwa", "humanitarian"},
    {"erc", "humanitarian"},
};

static int mark_state(void *cls, const void *row)
{
    static const char *const states[] = {
        "reported", "under_investigation", "verified", "not_verified", "false", "disputed",
        "upheld",   "overturned",          "duplicate"};
    const store_incident_row *r = row;
    for (int i = 0; i < 9; i++)
        if (strcmp(r->status, states[i]) == 0) ((char *)cls)[i]++;
    return 0;
}

static void demo_loads_the_whole_cast(void **state)
{
    tr_err e = TR_ERR_INIT;
    char p[320];
    store_org o;
    store_user u;
    store_crossing c;
    int n;
    (void)state;
    snprintf(p, sizeof p, "%s", th_db(dir, "demo"));
    store *s = th_demo_db_with(p, 0);
    for (size_t i = 0; i < sizeof expected_orgs / sizeof expected_orgs[0]; i++) {
        assert_int_equal(accounts_store(s)->org_get(s, expected_orgs[i].slug, &o, &e), 1);
        assert_string_equal(o.kind, expected_orgs[i].kind);
        /* One demo user per organization. */
        assert_int_equal(accounts_store(s)->user_get(s, expected_orgs[i].slug, &u, &e), 1);
        assert_string_equal(u.org, expected_orgs[i].slug);
        assert_false(u.admin);
    }
    assert_int_equal(accounts_store(s)->user_get(s, "admin", &u, &e), 1);
    assert_true(u.admin);
    const char *crossings[] = {"kerem-shalom", "kissufim", "zikim", "rafah", "erez"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(aid_store(s)->crossing_get(s, crossings[i], &c, &e), 1);
        /* Every crossing lies on the Gaza perimeter. */
        assert_true(c.lat > 31.2 && c.lat < 31.61);
        assert_true(c.lon > 34.2 && c.lon < 34.6);
    }
    n = 0;
    monitor_store(s)->zone_list(s, count, &n, &e);
    assert_int_equal(n, 5);
    n = 0;
    accounts_store(s)->org_list(s, count, &n, &e);
    assert_int_equal(n, 11);
    /* Sample monitoring records: a report left as filed, and an incident in every state of
     * the workflow, each opened from a report that is then merged. */
    static const char *const states[] = {
        "reported", "under_investigation", "verified", "not_verified", "false", "disputed",
        "upheld",   "overturned",          "duplicate"};
    char *seen = calloc(9, 1);
    store_incident_filter all = {0};
    assert_int_equal(monitor_store(s)->incident_list(s, &all, 0, 100, mark_state, seen, &e), 0);
    for (int i = 0; i < 9; i++)
        if (seen[i] != 1) fail_msg("%d incidents are %s", seen[i], states[i]);
    free(seen);
    store_report rep = {0};
    assert_int_equal(monitor_store(s)->report_get(s, 1, &rep, &e), 1);
    assert_string_equal(rep.status, "filed");
    free(rep.doc);
    rep.doc = NULL;
    for (int i = 2; i <= 10; i++) {
        assert_int_equal(monitor_store(s)->report_get(s, i, &rep, &e), 1);
        assert_string_equal(rep.status, "merged");
        assert_int_equal(rep.incident, i - 1);
        assert_non_null(strstr(rep.doc, "Illustrative record"));
        free(rep.doc);
        rep.doc = NULL;
    }
    /* deployment + 11 orgs (2 with their actors) + 11 users + 5 crossings + 5 zones +
     * scenario.loaded + the
     * samples (10 reports, 9 incidents, 19 moves, and the witness of the last, private to
     * monitors, once for its report and once for its incident) + 3 aid targets + the aid
     * samples (4 requests, 3 decisions, 3 dispatches of 13 trucks, and their 59 moves: one
     * event a truck a move) + the phase-one agreement and its 14 obligations */
    int64_t total = 57 + 10 + 9 + 19 + 2 + 3 + 4 + 3 + 3 + 59 + 15;
    assert_int_equal(th_journal_len(p), total);
    store_request rq;
    assert_int_equal(aid_store(s)->request_by_ref(s, "DEMO-UTN-2025-000103", &rq, &e), 1);
    assert_string_equal(rq.state, "rejected");
    assert_int_equal(aid_store(s)->request_by_ref(s, "DEMO-UTN-2025-000104", &rq, &e), 1);
    assert_string_equal(rq.state, "submitted");
    store_truck tk;
    assert_int_equal(aid_store(s)->truck_get(s, 8, &tk, &e), 1);
    assert_string_equal(tk.state, "turned_back");
    assert_int_equal(aid_store(s)->truck_get(s, 1, &tk, &e), 1);
    assert_string_equal(tk.state, "distributed");
    /* The scripted negotiation ran to a signed agreement. */
    store_negotiation neg = {0};
    store_agreement agr = {0};
    assert_int_equal(negotiate_store(s)->negotiation_get(s, 1, &neg, &e), 1);
    assert_string_equal(neg.state, "agreed");
    assert_non_null(strstr(neg.spec, "illustrative"));
    assert_int_equal(negotiate_store(s)->agreement_get(s, 1, &agr, &e), 1);
    assert_string_equal(agr.state, "in_force");
    assert_non_null(strstr(agr.doc, "\"effective\":\"2025-01-19\""));
    free(neg.spec);
    free(agr.doc);
    char scen[64];
    assert_int_equal(s->ops->meta_get(s, "scenario", scen, sizeof scen, &e), 1);
    assert_string_equal(scen, "gaza-2025");

    /* Loading it again conflicts on the first organization and adds nothing. */
    assert_int_equal(scn_load(s, th_scenario_dir(), 0, NULL, &e), -1);
    assert_string_equal(e.code, "org.exists");
    err_clear(&e);
    assert_int_equal(th_journal_len(p), total);
    s->ops->close(s);
}

/* Writes a scenario directory whose scenario.json is `json` and whose zones file is
 * `zones` (or none). */
static char *make_scenario(const char *name, const char *json, const char *zones)
{
    static char d[320];
    char f[400];
    FILE *fp;
    snprintf(d, sizeof d, "%s/%s", dir, name);
    snprintf(f, sizeof f, "mkdir -p '%s'", d);
    assert_int_equal(system(f), 0);
    snprintf(f, sizeof f, "%s/scenario.json", d);
    fp = fopen(f, "w");
    fputs(json, fp);
    fclose(fp);
    if (zones) {
        snprintf(f, sizeof f, "%s/zones.geojson", d);
        fp = fopen(f, "w");
        fputs(zones, fp);
        fclose(fp);
    }
    return d;
}

#define HEAD                                                                                       \
    "{\"name\":\"t\",\"title\":\"T\",\"orgs\":[{\"slug\":\"a\",\"name\":\"A\",\"kind\":\"party\"}" \
    "]"
#define SQUARE "[[[55.3,31.3],[55.4,31.3],[55.4,31.4],[55.3,31.4],[55.3,31.3]]]"

static void broken_scenarios_load_nothing(void **state)
{
    static const struct {
        const char *json, *zones, *code;
    } cases[] = {
        {HEAD ",\"extra\":1}", NULL, "request.unknown_field"},
        {"{\"name\":\"t\",\"title\":\"T\"}", NULL, "request.missing_field"},
        {HEAD ",\"users\":[{\"name\":\"u\",\"org\":\"a\",\"password\":\"short\"}]}", NULL,
         "request.invalid_field"},
        {HEAD ",\"users\":[{\"name\":\"u\",\"org\":\"zz\",\"password\":\"long enough\"}]}", NULL,
         "org.not_found"},
        {HEAD ",\"crossings\":[{\"slug\":\"c\",\"name\":\"C\",\"lat\":95,\"lon\":55}]}", NULL,
         "request.invalid_field"},
        {HEAD ",\"zones\":[{\"file\":\"missing.geojson\",\"kind\":\"area\"}]}", NULL,
         "scenario.unreadable"},
        {HEAD ",\"zones\":[{\"file\":\"../../etc/passwd\",\"kind\":\"area\"}]}", NULL,
         "scenario.bad_path"},
        {HEAD ",\"zones\":[{\"file\":\"zones.geojson\",\"kind\":\"area\"}]}",
         "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
         "{\"slug\":\"z\",\"name\":\"Z\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
         "[[[55.3,31.3],[55.4,31.3],[55.4,31.4],[55.3,31.4]]]}}]}",
         "request.invalid_field"}, /* The ring does not close. */
        {HEAD ",\"zones\":[{\"file\":\"zones.geojson\",\"kind\":\"area\"}]}",
         "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
         "{\"slug\":\"z\",\"name\":\"Z\"},\"geometry\":{\"type\":\"Point\",\"coordinates\":"
         "[55.3,31.3]}}]}",
         "request.invalid_field"},
        {HEAD ",\"zones\":[{\"file\":\"zones.geojson\",\"kind\":\"area\"}]}",
         "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":"
         "{\"slug\":\"z\",\"name\":\"Z\"},\"geometry\":{\"type\":\"Polygon\","
         "\"coordinates\":" SQUARE
         "}},{\"type\":\"Feature\",\"properties\":{\"slug\":\"z\",\"name\":\"Again\"},"
         "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":" SQUARE "}}]}",
         "zone.exists"},
        {"{not json", NULL, "scenario.unreadable"},
    };
    char p[320];
    tr_err e = TR_ERR_INIT;
    (void)state;
    snprintf(p, sizeof p, "%s", th_db(dir, "broken"));
    store *s = store_open(p, STORE_CREATE, &e);
    assert_int_equal(scn_init_deployment(s, "t", &e), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "case%zu", i);
        const char *d = make_scenario(name, cases[i].json, cases[i].zones);
        if (scn_load(s, d, 0, NULL, &e) != -1) fail_msg("case %zu loaded", i);
        if (strcmp(e.code, cases[i].code) != 0)
            fail_msg("case %zu: %s, expected %s (%s)", i, e.code, cases[i].code, e.message);
        err_clear(&e);
        assert_int_equal(th_journal_len(p), 1); /* Only deployment.initialized. */
    }
    /* And a good one after all the bad ones, both files with the byte-order mark Windows
     * editors and GIS exports put before UTF-8 text. */
    const char *d =
        make_scenario("good",
                      "\xef\xbb\xbf" HEAD ",\"zones\":[{\"file\":"
                      "\"zones.geojson\",\"kind\":\"area\"}]}",
                      "\xef\xbb\xbf{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"
                      "\"Feature\",\"properties\":{\"slug\":\"z\",\"name\":\"Z\"},"
                      "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[" SQUARE "]}}]}");
    scn_summary sum = {0};
    assert_int_equal(scn_load(s, d, 0, &sum, &e), 0);
    assert_int_equal(sum.orgs, 1);
    assert_int_equal(sum.zones, 1);
    json_decref(sum.logins);
    assert_int_equal(th_journal_len(p), 4);
    s->ops->close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(demo_loads_the_whole_cast),
        cmocka_unit_test(broken_scenarios_load_nothing),
    };
    return cmocka_run_group_tests_name("scenario", tests, setup, teardown);
}
