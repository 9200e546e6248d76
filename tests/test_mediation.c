/* test_mediation.c - negotiations and private profiles over HTTP: who sees what, bad input
 * changing nothing, and a confidentiality sweep that looks for one party's marker values in
 * every answer the others can get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include "core/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static th_server T;
static const char *usa, *israel, *hamas, *un, *admin;

/* Markers only Israel's profile holds. */
#define MARK_RESERVATION "0.31415926"
#define MARK_WEIGHT "0.2718281"
#define MARK_VALUE "0.1414213"

static const char *NEGOTIATION =
    "{\"title\":\"Phase one\",\"parties\":[\"israel\",\"hamas\"],"
    "\"mediators\":[\"usa\",\"egypt\",\"qatar\"],\"issues\":["
    "{\"name\":\"Aid trucks per day\",\"options\":[\"300\",\"450\",\"600\"]},"
    "{\"name\":\"Phase one length\",\"options\":[\"42 days\",\"60 days\"]},"
    "{\"name\":\"Rafah crossing\",\"options\":[\"closed\",\"wounded only\",\"open\"]}]}";

static const char *ISRAEL_PROFILE =
    "{\"weights\":{\"Aid trucks per day\":" MARK_WEIGHT ",\"Phase one length\":0.5,"
    "\"Rafah crossing\":0.2},\"values\":{\"Aid trucks per day\":{\"300\":1,\"450\":"
    MARK_VALUE ",\"600\":0},\"Phase one length\":{\"42 days\":1,\"60 days\":0},"
    "\"Rafah crossing\":{\"closed\":1,\"wounded only\":0.5,\"open\":0}},"
    "\"reservation\":" MARK_RESERVATION ",\"red_lines\":{\"Rafah crossing\":[\"open\"]},"
    "\"disclosure\":\"none\"}";

static long req(const char *method, const char *path, const char *token, const char *body,
                th_resp *out)
{
    th_resp r;
    assert_int_equal(th_http(method, th_url(&T, path), token, body, body ? strlen(body) : 0,
                             NULL, &r), 0);
    long status = r.status;
    if (out)
        *out = r;
    else
        th_resp_free(&r);
    return status;
}

static int setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_set_access(0);
    th_server_start(&T, NULL);
    usa = th_login(&T, "usa", "demo-usa");
    israel = th_login(&T, "israel", "demo-israel");
    hamas = th_login(&T, "hamas", "demo-hamas");
    un = th_login(&T, "un", "demo-un-monitor");
    admin = th_login(&T, "admin", "demo-admin");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    th_server_stop(&T);
    curl_global_cleanup();
    return 0;
}

static void open_read_and_put_profiles(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(req("POST", "/api/v1/negotiations", usa, NEGOTIATION, &r), 201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), 1);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "open");
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "mediator");
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/negotiations/1", hamas, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "party");
    assert_int_equal(json_array_size(json_object_get(r.json, "issues")), 3);
    th_resp_free(&r);
    /* Not a member: as if it did not exist. */
    assert_int_equal(req("GET", "/api/v1/negotiations/1", un, NULL, &r), 404);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "error"),
                                                          "code")), "negotiation.not_found");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/negotiations/99", usa, NULL, NULL), 404);
    assert_int_equal(req("GET", "/api/v1/negotiations/abc", usa, NULL, NULL), 404);

    assert_int_equal(req("PUT", "/api/v1/negotiations/1/profile", israel, ISRAEL_PROFILE, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(r.json, "disclosure")), "none");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/negotiations/1/profile", israel, NULL, &r), 200);
    assert_non_null(strstr(r.body, MARK_RESERVATION));
    th_resp_free(&r);
    /* A replacement is a new version; the default disclosure is "gains". */
    assert_int_equal(req("PUT", "/api/v1/negotiations/1/profile", hamas,
                         "{\"weights\":{\"Aid trucks per day\":1},\"values\":{"
                         "\"Aid trucks per day\":{\"600\":1}}}", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "disclosure")), "gains");
    th_resp_free(&r);
    assert_int_equal(req("PUT", "/api/v1/negotiations/1/profile", hamas,
                         "{\"weights\":{\"Aid trucks per day\":1},\"values\":{"
                         "\"Aid trucks per day\":{\"600\":1,\"450\":0.5}}}", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
    th_resp_free(&r);
}

static void bad_input_changes_nothing(void **state)
{
    static const struct {
        const char *who, *method, *path, *body, *code, *field;
        long status;
    } cases[] = {
        {"usa", "POST", "/api/v1/negotiations", "{\"title\":\"x\",\"parties\":[\"israel\"],"
         "\"mediators\":[\"usa\"],\"issues\":[{\"name\":\"a\",\"options\":[\"1\"]}]}",
         "request.invalid_field", "parties", 400},
        {"usa", "POST", "/api/v1/negotiations", "{\"title\":\"x\",\"parties\":[\"israel\","
         "\"usa\"],\"mediators\":[\"usa\"],\"issues\":[{\"name\":\"a\",\"options\":[\"1\"]}]}",
         "request.invalid_field", "parties[1]", 400},
        {"usa", "POST", "/api/v1/negotiations", "{\"title\":\"x\",\"parties\":[\"israel\","
         "\"hamas\"],\"mediators\":[\"egypt\"],\"issues\":[{\"name\":\"a\",\"options\":[\"1\"]}]}",
         "request.invalid_field", "mediators", 400},
        {"usa", "POST", "/api/v1/negotiations", "{\"title\":\"x\",\"parties\":[\"israel\","
         "\"hamas\"],\"mediators\":[\"usa\"],\"issues\":[{\"name\":\"a\",\"options\":[\"1\","
         "\"1\"]}]}", "request.invalid_field", "issues[0].options[1]", 400},
        {"usa", "POST", "/api/v1/negotiations", "{\"title\":\"x\",\"parties\":[\"israel\","
         "\"hamas\"],\"mediators\":[\"usa\"],\"issues\":[]}", "request.invalid_field", "issues",
         400},
        {"israel", "PUT", "/api/v1/negotiations/1/profile", "{\"weights\":{\"Colour\":1},"
         "\"values\":{}}", "request.invalid_field", "weights.Colour", 400},
        {"israel", "PUT", "/api/v1/negotiations/1/profile", "{\"weights\":{\"Rafah crossing\":-1},"
         "\"values\":{}}", "request.invalid_field", "weights.Rafah crossing", 400},
        {"israel", "PUT", "/api/v1/negotiations/1/profile", "{\"weights\":{\"Rafah crossing\":0},"
         "\"values\":{}}", "request.invalid_field", "weights", 400},
        {"israel", "PUT", "/api/v1/negotiations/1/profile", "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{\"Rafah crossing\":{\"open\":1.5}}}", "request.invalid_field",
         "values.Rafah crossing.open", 400},
        {"israel", "PUT", "/api/v1/negotiations/1/profile", "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{\"Rafah crossing\":{\"ajar\":1}}}", "request.invalid_field",
         "values.Rafah crossing.ajar", 400},
        {"israel", "PUT", "/api/v1/negotiations/1/profile", "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{},\"red_lines\":{\"Rafah crossing\":[\"ajar\"]}}", "request.invalid_field",
         "red_lines.Rafah crossing", 400},
        {"israel", "PUT", "/api/v1/negotiations/1/profile", "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{},\"disclosure\":\"everything\"}", "request.invalid_field", "disclosure",
         400},
        {"israel", "PUT", "/api/v1/negotiations/1/profile", "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{},\"reservation\":2}", "request.invalid_field", "reservation", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile", "{\"weights\":{\"a\":1},"
         "\"values\":{}}", "negotiation.not_found", NULL, 404},
    };
    (void)state;
    int64_t before = th_journal_len(T.db);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_resp r;
        const char *tok = strcmp(cases[i].who, "usa") == 0 ? usa : israel;
        long got = req(cases[i].method, cases[i].path, tok, cases[i].body, &r);
        json_t *err = json_object_get(r.json, "error");
        if (got != cases[i].status || strcmp(json_string_value(json_object_get(err, "code")),
                                             cases[i].code) != 0)
            fail_msg("case %zu: %ld %s", i, got, r.body);
        if (cases[i].field)
            assert_string_equal(json_string_value(json_object_get(json_object_get(err, "detail"),
                                                                  "field")), cases[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
}

static void contains_marker(const th_resp *r, const char *who, const char *path)
{
    static const char *markers[] = {MARK_RESERVATION, MARK_WEIGHT, MARK_VALUE, "31415926",
                                    "2718281", "1414213"};
    for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++)
        if (strstr(r->body, markers[m]) || strstr(r->headers, markers[m]))
            fail_msg("%s saw Israel's marker %s at %s: %s", who, markers[m], path, r->body);
}

static void no_other_caller_sees_a_private_profile(void **state)
{
    char paths[16][128];
    int np = 0;
    (void)state;
    int64_t n = th_journal_len(T.db);
    snprintf(paths[np++], 128, "/api/v1/negotiations/1");
    snprintf(paths[np++], 128, "/api/v1/negotiations/1/profile");
    snprintf(paths[np++], 128, "/api/v1/journal?limit=1000");
    snprintf(paths[np++], 128, "/api/v1/log/entries?start=0&end=%lld", (long long)n);
    snprintf(paths[np++], 128, "/api/v1/log/entries?start=%lld&end=%lld", (long long)(n - 5),
             (long long)n);
    snprintf(paths[np++], 128, "/tile/entries/000.p/%lld", (long long)(n < 256 ? n : 255));
    snprintf(paths[np++], 128, "/tile/0/000.p/%lld", (long long)(n < 256 ? n : 255));
    snprintf(paths[np++], 128, "/api/v1/log/checkpoint");
    snprintf(paths[np++], 128, "/metrics");
    snprintf(paths[np++], 128, "/api/v1/orgs");
    snprintf(paths[np++], 128, "/api/v1/negotiations/1/nothing");
    const char *callers[] = {NULL, hamas, usa, un, admin};
    const char *names[] = {"the public", "Hamas", "a mediator", "a monitor", "an administrator"};
    for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++)
        for (int i = 0; i < np; i++) {
            th_resp r;
            req("GET", paths[i], callers[c], NULL, &r);
            contains_marker(&r, names[c], paths[i]);
            th_resp_free(&r);
        }
    /* Errors too: a bad profile from Hamas, a write refused to a mediator. */
    th_resp r;
    req("PUT", "/api/v1/negotiations/1/profile", hamas, "{\"weights\":{\"x\":1},\"values\":{}}", &r);
    contains_marker(&r, "Hamas", "a refused profile");
    th_resp_free(&r);
    req("PUT", "/api/v1/negotiations/1/profile", usa, ISRAEL_PROFILE, &r);
    assert_int_equal(r.status, 403);
    th_resp_free(&r);
    /* And Israel does see its own. */
    assert_int_equal(req("GET", "/api/v1/negotiations/1/profile", israel, NULL, &r), 200);
    assert_non_null(strstr(r.body, MARK_RESERVATION));
    th_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(open_read_and_put_profiles),
        cmocka_unit_test(bad_input_changes_nothing),
        cmocka_unit_test(no_other_caller_sees_a_private_profile),
    };
    return cmocka_run_group_tests_name("mediation", tests, setup, teardown);
}
