/* test_aid.c - the aid pillar over HTTP: crossings with the organization that screens and
 * clears there, their capacity and opening hours, and their closures. The real server on an
 * ephemeral port (api_common.h). */
#include "api_common.h"

/* The crossing `slug` as GET /api/v1/crossings lists it, or NULL. Caller decrefs. */
static json_t *listed(const char *slug)
{
    th_resp r;
    size_t i;
    json_t *c, *found = NULL;
    assert_int_equal(req("GET", "/api/v1/crossings", NULL, NULL, &r), 200);
    json_array_foreach(json_object_get(r.json, "crossings"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "slug")), slug) == 0)
            found = json_incref(c);
    }
    th_resp_free(&r);
    return found;
}

/* The demo's crossings name their operators: Israel's four, Egypt's Rafah. */
static void the_demo_names_who_operates_each_crossing(void **state)
{
    static const char *const expect[][2] = {{"kerem-shalom", "israel"},
                                            {"kissufim", "israel"},
                                            {"zikim", "israel"},
                                            {"erez", "israel"},
                                            {"rafah", "egypt"}};
    (void)state;
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        json_t *c = listed(expect[i][0]);
        assert_non_null(c);
        assert_string_equal(json_string_value(json_object_get(c, "operated_by")), expect[i][1]);
        /* Not stated in the demo: null, not an invented figure. */
        assert_true(json_is_null(json_object_get(c, "capacity_per_day")));
        assert_true(json_is_null(json_object_get(c, "hours")));
        json_decref(c);
    }
}

static void a_crossing_states_its_operator_capacity_and_hours(void **state)
{
    const char *tok = th_login(&T, "admin", "demo-admin");
    th_resp r;
    (void)state;
    assert_int_equal(req("POST", "/api/v1/crossings", tok,
                         "{\"slug\":\"gate-96\",\"name\":\"Gate 96\",\"lat\":31.45,\"lon\":34.47,"
                         "\"operated_by\":\"israel\",\"capacity_per_day\":150,"
                         "\"hours\":\"08:00-16:00\"}",
                         &r),
                     201);
    assert_string_equal(json_string_value(json_object_get(r.json, "operated_by")), "israel");
    assert_int_equal(json_integer_value(json_object_get(r.json, "capacity_per_day")), 150);
    assert_string_equal(json_string_value(json_object_get(r.json, "hours")), "08:00-16:00");
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    json_t *c = listed("gate-96");
    assert_non_null(c);
    assert_string_equal(json_string_value(json_object_get(c, "operated_by")), "israel");
    assert_int_equal(json_integer_value(json_object_get(c, "capacity_per_day")), 150);
    assert_string_equal(json_string_value(json_object_get(c, "hours")), "08:00-16:00");
    json_decref(c);

    /* Without them: null in the answer. */
    assert_int_equal(req("POST", "/api/v1/crossings", tok,
                         "{\"slug\":\"gate-97\",\"name\":\"Gate 97\",\"lat\":31.4,\"lon\":34.4}",
                         &r),
                     201);
    assert_true(json_is_null(json_object_get(r.json, "operated_by")));
    assert_true(json_is_null(json_object_get(r.json, "capacity_per_day")));
    th_resp_free(&r);
}

/* Each wrong field is a 400 naming it; nothing is written. */
static void a_wrong_operator_capacity_or_hours_is_refused(void **state)
{
    static const struct {
        const char *extra, *field;
    } cases[] = {
        {"\"operated_by\":\"nobody\"", "operated_by"},
        {"\"operated_by\":\"Israel\"", "operated_by"},
        {"\"capacity_per_day\":0", "capacity_per_day"},
        {"\"capacity_per_day\":1.5", "capacity_per_day"},
        {"\"capacity_per_day\":-600", "capacity_per_day"},
        {"\"hours\":\"16:00-08:00\"", "hours"},
        {"\"hours\":\"08:00-08:00\"", "hours"},
        {"\"hours\":\"24:00-25:00\"", "hours"},
        {"\"hours\":\"08:60-16:00\"", "hours"},
        {"\"hours\":\"8:00-16:00\"", "hours"},
        {"\"hours\":\"08:00 16:00\"", "hours"},
        {"\"hours\":\"08:00-1a:00\"", "hours"},
        {"\"hours\":\"+8:00-16:00\"", "hours"},
        {"\"hours\":8", "hours"},
    };
    const char *tok = th_login(&T, "admin", "demo-admin");
    int64_t before = th_journal_len(T.db);
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[256];
        th_resp r;
        snprintf(body, sizeof body,
                 "{\"slug\":\"bad-%zu\",\"name\":\"B\",\"lat\":31.3,\"lon\":34.3,%s}", i,
                 cases[i].extra);
        if (req("POST", "/api/v1/crossings", tok, body, &r) != 400)
            fail_msg("case %zu (%s): status %ld: %s", i, cases[i].extra, r.status, r.body);
        assert_error_shape(&r);
        assert_string_equal(th_code(&r), "request.invalid_field");
        assert_string_equal(th_field(&r), cases[i].field);
        th_resp_free(&r);
        snprintf(body, sizeof body, "bad-%zu", i);
        assert_null(listed(body));
    }
    assert_int_equal(th_journal_len(T.db), before);
}

/* A crossing's operator records its closures; an administrator may too; no one else. */
static void the_operator_records_a_crossings_closures(void **state)
{
    const char *egypt = th_login(&T, "egypt", "demo-egypt");
    const char *israel = th_login(&T, "israel", "demo-israel");
    const char *admin = th_login(&T, "admin", "demo-admin");
    th_resp r;
    json_t *c;
    (void)state;
    assert_int_equal(req("POST", "/api/v1/crossings/rafah/closures", egypt,
                         "{\"from\":\"2024-05-07\",\"reason\":\"military operation\"}", &r),
                     201);
    assert_string_equal(json_string_value(json_object_get(r.json, "crossing")), "rafah");
    assert_string_equal(json_string_value(json_object_get(r.json, "from")), "2024-05-07");
    assert_true(json_is_null(json_object_get(r.json, "to")));
    assert_string_equal(json_string_value(json_object_get(r.json, "reason")), "military operation");
    assert_string_equal(json_string_value(json_object_get(r.json, "recorded_by")), "egypt");
    assert_non_null(json_object_get(r.json, "receipt"));
    /* Its id is its event's number in the journal. */
    json_int_t first = json_integer_value(json_object_get(r.json, "id"));
    assert_int_equal(
        first,
        json_integer_value(json_object_get(json_object_get(r.json, "receipt"), "index")) + 1);
    th_resp_free(&r);

    /* Not the operator: refused, saying who may. */
    assert_int_equal(req("POST", "/api/v1/crossings/rafah/closures", israel,
                         "{\"from\":\"2024-05-08\",\"reason\":\"x\"}", &r),
                     403);
    assert_string_equal(th_code(&r), "auth.forbidden");
    json_t *allowed =
        json_object_get(json_object_get(json_object_get(r.json, "error"), "detail"), "allowed");
    assert_int_equal(json_array_size(allowed), 2);
    assert_string_equal(json_string_value(json_array_get(allowed, 0)), "egypt");
    assert_string_equal(json_string_value(json_array_get(allowed, 1)), "admin");
    th_resp_free(&r);

    /* An administrator, with an end; listed by first day, whoever asks. */
    assert_int_equal(req("POST", "/api/v1/crossings/rafah/closures", admin,
                         "{\"from\":\"2024-01-01\",\"to\":\"2024-01-03\",\"reason\":\"holiday\"}",
                         NULL),
                     201);
    assert_int_equal(req("GET", "/api/v1/crossings/rafah/closures", NULL, NULL, &r), 200);
    c = json_object_get(r.json, "closures");
    assert_int_equal(json_array_size(c), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0), "from")),
                        "2024-01-01");
    assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0), "to")),
                        "2024-01-03");
    assert_string_equal(json_string_value(json_object_get(json_array_get(c, 0), "recorded_by")),
                        "operator");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(c, 1), "id")), first);
    th_resp_free(&r);
    /* Another crossing's list is its own. */
    assert_int_equal(req("GET", "/api/v1/crossings/erez/closures", NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "closures")), 0);
    th_resp_free(&r);

    /* A crossing that names no operator: administrators only. */
    req("POST", "/api/v1/crossings", admin,
        "{\"slug\":\"no-op\",\"name\":\"N\",\"lat\":31.4,\"lon\":34.4}", NULL);
    assert_int_equal(req("POST", "/api/v1/crossings/no-op/closures", egypt,
                         "{\"from\":\"2024-05-08\",\"reason\":\"x\"}", NULL),
                     403);
    assert_int_equal(req("POST", "/api/v1/crossings/no-op/closures", admin,
                         "{\"from\":\"2024-05-08\",\"reason\":\"x\"}", NULL),
                     201);
}

/* Wrong closures: each a clear error; nothing is written. */
static void a_wrong_closure_is_refused(void **state)
{
    static const struct {
        const char *path, *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"/api/v1/crossings/nowhere/closures", "{\"from\":\"2024-05-07\",\"reason\":\"x\"}", 404,
         "crossing.not_found", NULL},
        {"/api/v1/crossings/rafah/closures", "{\"from\":\"2024-13-01\",\"reason\":\"x\"}", 400,
         "request.invalid_field", "from"},
        {"/api/v1/crossings/rafah/closures", "{\"from\":\"2024-02-30\",\"reason\":\"x\"}", 400,
         "request.invalid_field", "from"},
        {"/api/v1/crossings/rafah/closures", "{\"from\":\"7 May 2024\",\"reason\":\"x\"}", 400,
         "request.invalid_field", "from"},
        {"/api/v1/crossings/rafah/closures",
         "{\"from\":\"2024-05-07\",\"to\":\"2024-05-06\",\"reason\":\"x\"}", 400,
         "request.invalid_field", "to"},
        {"/api/v1/crossings/rafah/closures",
         "{\"from\":\"2024-05-07\",\"to\":\"tomorrow!!\",\"reason\":\"x\"}", 400,
         "request.invalid_field", "to"},
        {"/api/v1/crossings/rafah/closures", "{\"from\":\"2024-05-07\"}", 400,
         "request.missing_field", "reason"},
        {"/api/v1/crossings/rafah/closures", "{\"from\":\"2024-05-07\",\"reason\":\"\"}", 400,
         "request.invalid_field", "reason"},
        {"/api/v1/crossings/rafah/closures",
         "{\"from\":\"2024-05-07\",\"reason\":\"x\",\"by\":\"me\"}", 400, "request.unknown_field",
         "by"},
    };
    const char *egypt = th_login(&T, "egypt", "demo-egypt");
    int64_t before = th_journal_len(T.db);
    th_resp r;
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (req("POST", cases[i].path, egypt, cases[i].body, &r) != cases[i].status)
            fail_msg("case %zu: status %ld: %s", i, r.status, r.body);
        assert_error_shape(&r);
        assert_string_equal(th_code(&r), cases[i].code);
        if (cases[i].field) assert_string_equal(th_field(&r), cases[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(req("GET", "/api/v1/crossings/nowhere/closures", NULL, NULL, &r), 404);
    assert_string_equal(th_code(&r), "crossing.not_found");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_demo_names_who_operates_each_crossing),
        cmocka_unit_test(a_crossing_states_its_operator_capacity_and_hours),
        cmocka_unit_test(a_wrong_operator_capacity_or_hours_is_refused),
        cmocka_unit_test(the_operator_records_a_crossings_closures),
        cmocka_unit_test(a_wrong_closure_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
