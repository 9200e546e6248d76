/* test_aid_flow.c - the aid flow over HTTP: requests cleared or rejected by the crossing's
 * operator, truckloads moved step by step by the organization whose step it is, who sees
 * them, and the time each step took. The real server on the demo (api_common.h). */
#include "api_common.h"

#include "aid/counts.h"

#include <math.h>

static const char *wfp, *israel, *egypt, *unrwa, *hamas, *un, *journalist;

static void sign_in(void)
{
    if (wfp) return;
    wfp = th_login(&T, "wfp", "demo-wfp");
    israel = th_login(&T, "israel", "demo-israel");
    egypt = th_login(&T, "egypt", "demo-egypt");
    unrwa = th_login(&T, "unrwa", "demo-unrwa");
    hamas = th_login(&T, "hamas", "demo-hamas");
    un = th_login(&T, "un", "demo-un-monitor");
    /* The demo has no ordinary observer: one is made. */
    const char *admin = th_login(&T, "admin", "demo-admin");
    assert_int_equal(req("POST", "/api/v1/orgs", admin,
                         "{\"slug\":\"press\",\"name\":\"Press pool\",\"kind\":\"observer\"}",
                         NULL),
                     201);
    assert_int_equal(
        req("POST", "/api/v1/users", admin,
            "{\"name\":\"journalist\",\"org\":\"press\",\"password\":\"journalist-pw\"}", NULL),
        201);
    journalist = th_login(&T, "journalist", "journalist-pw");
}

static json_int_t int_of(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* POST that must answer `status`; the reply's JSON (caller decrefs). */
static json_t *must(const char *tok, const char *path, long status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *must(const char *tok, const char *path, long status, const char *fmt, ...)
{
    char body[2048];
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

/* A request of `trucks` food trucks through crossing, submitted and cleared at the given
 * times; its id. */
static int64_t cleared_request(const char *ref, const char *crossing, const char *op, int trucks,
                               const char *submitted, const char *cleared)
{
    char path[96];
    json_t *j = must(wfp, "/api/v1/aid/requests", 201,
                     "{\"ref\":\"%s\",\"crossing\":\"%s\",\"destination\":\"gaza\",\"lines\":"
                     "[{\"category\":\"food\",\"trucks\":%d,\"pallets\":%d,\"tonnes\":%d}],"
                     "\"at\":\"%s\"}",
                     ref, crossing, trucks, 17 * trucks, 13 * trucks, submitted);
    int64_t id = int_of(j, "id");
    assert_string_equal(str_of(j, "state"), "submitted");
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/aid/requests/%lld/transitions", (long long)id);
    json_decref(must(op, path, 200, "{\"to\":\"cleared\",\"at\":\"%s\"}", cleared));
    return id;
}

/* Dispatches n trucks under a request at `at`; the first id (they are consecutive). */
static int64_t dispatch(int64_t request, int n, const char *at)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/aid/requests/%lld/trucks", (long long)request);
    json_t *j = must(wfp, path, 201,
                     "{\"count\":%d,\"category\":\"food\",\"pallets\":17,"
                     "\"tonnes\":12.8,\"at\":\"%s\"}",
                     n, at);
    json_t *ids = json_object_get(j, "trucks");
    assert_int_equal(json_array_size(ids), n);
    int64_t first = json_integer_value(json_array_get(ids, 0));
    for (int i = 1; i < n; i++)
        assert_int_equal(json_integer_value(json_array_get(ids, i)), first + i);
    json_decref(j);
    return first;
}

/* Moves trucks first..first+n-1 together; the reply must be `status`. */
static json_t *move_many(const char *tok, int64_t first, int n, const char *to, const char *extra,
                         long status)
{
    char ids[1024] = "";
    for (int i = 0; i < n; i++)
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%lld", i ? "," : "",
                 (long long)(first + i));
    return must(tok, "/api/v1/aid/trucks/transitions", status, "{\"trucks\":[%s],\"to\":\"%s\"%s}",
                ids, to, extra ? extra : "");
}

static json_t *move_one(const char *tok, int64_t id, const char *to, const char *extra, long status)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/aid/trucks/%lld/transitions", (long long)id);
    return must(tok, path, status, "{\"to\":\"%s\"%s}", to, extra ? extra : "");
}

/* A whole consignment: the operator clears and screens, the requester collects and
 * delivers; each step only by the organization whose step it is, and only in order. */
static void a_consignment_moves_through_every_step(void **state)
{
    (void)state;
    sign_in();
    int64_t rq = cleared_request("UTN-2025-000123", "kerem-shalom", israel, 10,
                                 "2025-01-19T08:00:00Z", "2025-01-19T10:00:00Z");
    int64_t t = dispatch(rq, 3, "2025-01-19T11:00:00Z");
    json_t *j = move_many(israel, t, 3, "at_crossing", ",\"at\":\"2025-01-19T12:00:00Z\"", 200);
    assert_int_equal(json_array_size(json_object_get(j, "trucks")), 3);
    assert_string_equal(str_of(json_array_get(json_object_get(j, "trucks"), 2), "state"),
                        "at_crossing");
    assert_non_null(json_object_get(j, "receipt"));
    json_decref(j);

    /* Out of order: 409 listing what is allowed, naming the truck. */
    j = move_one(israel, t, "offloaded", NULL, 409);
    json_t *err = json_object_get(j, "error");
    assert_string_equal(str_of(err, "code"), "aid.bad_transition");
    json_t *detail = json_object_get(err, "detail");
    assert_string_equal(str_of(detail, "state"), "at_crossing");
    assert_int_equal(int_of(detail, "truck"), t);
    assert_int_equal(json_array_size(json_object_get(detail, "allowed")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(detail, "allowed"), 0)),
                        "screened");
    json_decref(j);
    /* The wrong organization: 403 naming who may. */
    j = move_one(wfp, t, "screened", NULL, 403);
    detail = json_object_get(json_object_get(j, "error"), "detail");
    assert_string_equal(json_string_value(json_array_get(json_object_get(detail, "allowed"), 0)),
                        "israel");
    json_decref(j);
    j = move_one(egypt, t, "screened", NULL, 403);
    json_decref(j);
    /* A turning back needs a reason. */
    j = move_one(israel, t + 2, "turned_back", NULL, 400);
    assert_string_equal(str_of(json_object_get(json_object_get(j, "error"), "detail"), "field"),
                        "reason");
    json_decref(j);
    json_decref(move_one(israel, t + 2, "turned_back",
                         ",\"reason\":\"dual-use items\",\"at\":\"2025-01-19T13:00:00Z\"", 200));

    json_decref(move_many(israel, t, 2, "screened", ",\"at\":\"2025-01-19T14:00:00Z\"", 200));
    json_decref(move_many(israel, t, 2, "offloaded", ",\"at\":\"2025-01-19T15:00:00Z\"", 200));
    /* From here it is the requester's: the operator may not collect. */
    json_decref(move_one(israel, t, "collected", NULL, 403));
    j = move_one(wfp, t, "collection_denied",
                 ",\"reason\":\"no coordination\","
                 "\"at\":\"2025-01-19T16:00:00Z\"",
                 200);
    assert_string_equal(str_of(j, "state"), "collection_denied");
    assert_string_equal(str_of(j, "reason"), "no coordination");
    json_decref(j);
    json_decref(move_many(wfp, t, 2, "collected", ",\"at\":\"2025-01-20T09:00:00Z\"", 200));
    json_decref(move_many(wfp, t, 2, "in_transit", ",\"at\":\"2025-01-20T09:30:00Z\"", 200));
    /* An interception says how. */
    json_decref(move_one(wfp, t + 1, "intercepted", ",\"reason\":\"crowd\"", 400));
    j = move_one(wfp, t + 1, "intercepted",
                 ",\"reason\":\"crowd\",\"interception\":\"peaceful\","
                 "\"source\":\"WFP convoy lead\",\"at\":\"2025-01-20T10:00:00Z\"",
                 200);
    assert_string_equal(str_of(j, "state"), "intercepted");
    json_decref(j);
    json_decref(move_one(wfp, t + 1, "arrived", NULL, 409)); /* intercepted is final */
    json_decref(move_one(wfp, t, "arrived", ",\"at\":\"2025-01-20T11:00:00Z\"", 200));
    j = move_one(wfp, t, "distributed", ",\"at\":\"2025-01-20T15:00:00Z\"", 200);
    assert_string_equal(str_of(j, "state"), "distributed");
    json_t *times = json_object_get(j, "times");
    assert_string_equal(str_of(times, "dispatched"), "2025-01-19T11:00:00.000Z");
    assert_string_equal(str_of(times, "screened"), "2025-01-19T14:00:00.000Z");
    assert_string_equal(str_of(times, "collected"), "2025-01-20T09:00:00.000Z");
    assert_string_equal(str_of(times, "arrived"), "2025-01-20T11:00:00.000Z");
    json_decref(j);

    /* The day's moves, public: on 19 January 3 dispatched, 3 at the crossing, 2 screened,
     * 2 offloaded (truce's trucks_entered), 1 turned back, 1 collection denied. */
    th_resp r;
    assert_int_equal(req("GET", "/api/v1/aid/daily?from=2025-01-19&to=2025-01-20", NULL, NULL, &r),
                     200);
    json_t *d0 = json_array_get(json_object_get(r.json, "days"), 0);
    json_t *d1 = json_array_get(json_object_get(r.json, "days"), 1);
    json_t *tl = json_object_get(d0, "truckloads");
    assert_int_equal(int_of(tl, "dispatched"), 3);
    assert_int_equal(int_of(tl, "at_crossing"), 3);
    assert_int_equal(int_of(tl, "screened"), 2);
    assert_int_equal(int_of(tl, "offloaded"), 2);
    assert_int_equal(int_of(tl, "turned_back"), 1);
    assert_int_equal(int_of(tl, "collection_denied"), 1);
    assert_int_equal(int_of(json_object_get(d0, "counts"), "truce/trucks_entered"), 2);
    assert_int_equal(int_of(json_object_get(d1, "counts"), "truce/trucks_collected"), 2);
    assert_int_equal(int_of(json_object_get(d1, "truckloads"), "intercepted"), 1);
    assert_int_equal(int_of(json_object_get(d1, "truckloads"), "distributed"), 1);
    th_resp_free(&r);
}

/* A batch is all or none, and sending it again changes nothing. */
static void a_batch_moves_all_or_none_and_a_retry_is_harmless(void **state)
{
    (void)state;
    sign_in();
    int64_t rq = cleared_request("UTN-2025-000200", "kerem-shalom", israel, 20,
                                 "2025-02-01T06:00:00Z", "2025-02-01T07:00:00Z");
    int64_t t = dispatch(rq, 20, "2025-02-01T08:00:00Z");
    json_decref(move_one(israel, t + 5, "at_crossing", ",\"at\":\"2025-02-01T08:30:00Z\"", 200));
    int64_t before = th_journal_len(T.db);
    /* Truck t+5 is already at the crossing, so the whole batch is refused, naming it. */
    json_t *j = move_many(israel, t, 20, "at_crossing", ",\"at\":\"2025-02-01T09:00:00Z\"", 409);
    assert_int_equal(int_of(json_object_get(json_object_get(j, "error"), "detail"), "truck"),
                     t + 5);
    json_decref(j);
    assert_int_equal(th_journal_len(T.db), before);
    th_resp r;
    char path[96];
    snprintf(path, sizeof path, "/api/v1/aid/trucks/%lld", (long long)t);
    assert_int_equal(req("GET", path, israel, NULL, &r), 200);
    assert_string_equal(str_of(r.json, "state"), "dispatched");
    th_resp_free(&r);
    /* A truck named twice, an unknown truck: refused, nothing written. */
    json_decref(must(israel, "/api/v1/aid/trucks/transitions", 400,
                     "{\"trucks\":[%lld,%lld],\"to\":\"at_crossing\"}", (long long)t,
                     (long long)t));
    j = must(israel, "/api/v1/aid/trucks/transitions", 404,
             "{\"trucks\":[%lld,99999999],\"to\":\"at_crossing\"}", (long long)t);
    assert_int_equal(int_of(json_object_get(json_object_get(j, "error"), "detail"), "truck"),
                     99999999);
    json_decref(j);
    assert_int_equal(th_journal_len(T.db), before);

    /* The other 19 together, then the same batch again (a retry after a lost reply). */
    char ids[512] = "";
    for (int i = 0; i < 20; i++)
        if (i != 5)
            snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%lld", ids[0] ? "," : "",
                     (long long)(t + i));
    j = must(israel, "/api/v1/aid/trucks/transitions", 200,
             "{\"trucks\":[%s],\"to\":\"at_crossing\",\"at\":\"2025-02-01T09:00:00Z\"}", ids);
    assert_int_equal(json_array_size(json_object_get(j, "trucks")), 19);
    json_decref(j);
    int64_t after = th_journal_len(T.db);
    assert_int_equal(after, before + 19);
    j = must(israel, "/api/v1/aid/trucks/transitions", 200,
             "{\"trucks\":[%s],\"to\":\"at_crossing\",\"at\":\"2025-02-01T09:00:00Z\"}", ids);
    assert_int_equal(json_array_size(json_object_get(j, "trucks")), 19);
    json_decref(j);
    assert_int_equal(th_journal_len(T.db), after);
}

/* The times of moves: observed earlier is fine; the future, or before the last move, or
 * not a time, is a 400 naming `at`. */
static void a_move_time_is_never_in_the_future_nor_before_the_last(void **state)
{
    static const char *const bad[] = {
        "2999-01-01T00:00:00Z",      /* the future */
        "2025-03-01T07:59:59Z",      /* before the dispatch */
        "2025-03-01 09:00:00",       /* not the API's form */
        "2025-02-30T09:00:00Z",      /* no such day */
        "2025-03-01T24:00:00Z",      /* no such hour */
        "2025-03-01T09:00:00.Z",     /* no fraction digits */
        "2025-03-01T09:00:00+02:00", /* UTC only */
    };
    (void)state;
    sign_in();
    int64_t rq = cleared_request("UTN-2025-000300", "rafah", egypt, 2, "2025-03-01T06:00:00Z",
                                 "2025-03-01T07:00:00Z");
    int64_t t = dispatch(rq, 1, "2025-03-01T08:00:00Z");
    int64_t before = th_journal_len(T.db);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char extra[96];
        snprintf(extra, sizeof extra, ",\"at\":\"%s\"", bad[i]);
        json_t *j = move_one(egypt, t, "at_crossing", extra, 400);
        assert_string_equal(str_of(json_object_get(json_object_get(j, "error"), "detail"), "field"),
                            "at");
        json_decref(j);
    }
    assert_int_equal(th_journal_len(T.db), before);
    /* Without a time: now. */
    json_t *j = move_one(egypt, t, "at_crossing", NULL, 200);
    char today[11];
    util_day_at(util_unix_s(), today);
    assert_true(strncmp(str_of(json_object_get(j, "times"), "at_crossing"), today, 10) == 0);
    json_decref(j);
}

/* Requests: only the operator clears or rejects (with a reason), only the requester
 * cancels; trucks only under a cleared request and within its lines. */
static void requests_are_decided_by_the_operator_and_bound_the_trucks(void **state)
{
    (void)state;
    sign_in();
    json_t *j = must(wfp, "/api/v1/aid/requests", 201,
                     "{\"ref\":\"UTN-2025-000400\",\"crossing\":\"rafah\",\"destination\":"
                     "\"khan-yunis\",\"lines\":[{\"category\":\"food\",\"trucks\":2},"
                     "{\"category\":\"health\",\"trucks\":1,\"tonnes\":4.5}]}");
    int64_t id = int_of(j, "id");
    json_decref(j);
    char path[96], trucks[96];
    snprintf(path, sizeof path, "/api/v1/aid/requests/%lld/transitions", (long long)id);
    snprintf(trucks, sizeof trucks, "/api/v1/aid/requests/%lld/trucks", (long long)id);
    /* Not yet cleared: no trucks. */
    j = must(wfp, trucks, 409, "{\"count\":1,\"category\":\"food\"}");
    assert_string_equal(str_of(json_object_get(j, "error"), "code"), "aid.request_not_cleared");
    json_decref(j);
    json_decref(must(wfp, path, 403, "{\"to\":\"cleared\"}"));
    json_decref(must(israel, path, 404, "{\"to\":\"cleared\"}")); /* not Israel's crossing */
    json_decref(must(egypt, path, 400, "{\"to\":\"rejected\"}")); /* no reason */
    json_decref(must(egypt, path, 403, "{\"to\":\"cancelled\"}"));
    j = must(egypt, path, 200, "{\"to\":\"cleared\"}");
    assert_string_equal(str_of(j, "state"), "cleared");
    assert_true(json_is_string(json_object_get(j, "cleared_at")));
    json_decref(j);
    j = must(egypt, path, 409, "{\"to\":\"rejected\",\"reason\":\"late\"}");
    assert_string_equal(str_of(json_object_get(j, "error"), "code"), "aid.bad_transition");
    json_decref(j);
    /* Within its lines: 2 food, 1 health. */
    json_decref(must(wfp, trucks, 400, "{\"count\":1,\"category\":\"fuel\"}"));
    json_decref(must(wfp, trucks, 201, "{\"count\":2,\"category\":\"food\"}"));
    j = must(wfp, trucks, 409, "{\"count\":1,\"category\":\"food\"}");
    assert_string_equal(str_of(json_object_get(j, "error"), "code"), "aid.request_exceeded");
    assert_int_equal(int_of(json_object_get(json_object_get(j, "error"), "detail"), "remaining"),
                     0);
    json_decref(j);
    json_decref(must(unrwa, trucks, 404, "{\"count\":1,\"category\":\"health\"}"));
    json_decref(must(wfp, trucks, 201, "{\"count\":1,\"category\":\"health\",\"tonnes\":4.5}"));
    j = must(wfp, path, 200, "{\"to\":\"cancelled\",\"reason\":\"convoy postponed\"}");
    assert_string_equal(str_of(j, "state"), "cancelled");
    json_decref(j);
    j = must(wfp, path, 409, "{\"to\":\"cleared\"}");
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(json_object_get(j, "error"), "detail"), "allowed")),
                     0);
    json_decref(j);
}

/* Wrong requests: each a clear error naming what is wrong; nothing is written. */
static void a_wrong_request_is_refused(void **state)
{
    static const struct {
        const char *body;
        long status;
        const char *code, *field;
    } cases[] = {
        {"{\"ref\":\"UTN-2025-000123\",\"crossing\":\"erez\",\"destination\":\"gaza\","
         "\"lines\":[{\"category\":\"food\",\"trucks\":1}]}",
         409, "aid.ref_exists", NULL},
        {"{\"ref\":\"R 1\",\"crossing\":\"erez\",\"destination\":\"gaza\","
         "\"lines\":[{\"category\":\"food\",\"trucks\":1}]}",
         400, "request.invalid_field", "ref"},
        {"{\"ref\":\"R-2\",\"crossing\":\"nowhere\",\"destination\":\"gaza\","
         "\"lines\":[{\"category\":\"food\",\"trucks\":1}]}",
         400, "request.invalid_field", "crossing"},
        {"{\"ref\":\"R-2\",\"crossing\":\"erez\",\"destination\":\"atlantis\","
         "\"lines\":[{\"category\":\"food\",\"trucks\":1}]}",
         400, "request.invalid_field", "destination"},
        {"{\"ref\":\"R-2\",\"crossing\":\"erez\",\"destination\":\"gaza\",\"lines\":[]}", 400,
         "request.invalid_field", "lines"},
        {"{\"ref\":\"R-2\",\"crossing\":\"erez\",\"destination\":\"gaza\","
         "\"lines\":[{\"category\":\"cars\",\"trucks\":1}]}",
         400, "request.invalid_field", "lines[0].category"},
        {"{\"ref\":\"R-2\",\"crossing\":\"erez\",\"destination\":\"gaza\","
         "\"lines\":[{\"category\":\"food\",\"trucks\":0}]}",
         400, "request.invalid_field", "lines[0].trucks"},
        {"{\"ref\":\"R-2\",\"crossing\":\"erez\",\"destination\":\"gaza\","
         "\"lines\":[{\"category\":\"food\",\"trucks\":1},{\"category\":\"food\",\"trucks\":2}]}",
         400, "request.invalid_field", "lines[1].category"},
        {"{\"ref\":\"R-2\",\"crossing\":\"erez\",\"destination\":\"gaza\"}", 400,
         "request.missing_field", "lines"},
        {"{\"ref\":\"R-2\",\"crossing\":\"erez\",\"destination\":\"gaza\","
         "\"lines\":[{\"category\":\"food\",\"trucks\":1}],\"at\":\"2999-01-01T00:00:00Z\"}",
         400, "request.invalid_field", "at"},
    };
    (void)state;
    sign_in();
    int64_t before = th_journal_len(T.db);
    th_resp r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (req("POST", "/api/v1/aid/requests", wfp, cases[i].body, &r) != cases[i].status)
            fail_msg("case %zu: status %ld: %s", i, r.status, r.body);
        assert_error_shape(&r);
        assert_string_equal(th_code(&r), cases[i].code);
        if (cases[i].field) assert_string_equal(th_field(&r), cases[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
}

/* Wrong dispatches and moves: each a clear error naming the field; nothing is written. */
static void a_wrong_dispatch_or_move_is_refused(void **state)
{
    (void)state;
    sign_in();
    int64_t rq = cleared_request("UTN-2025-000450", "erez", israel, 5, "2025-03-05T06:00:00Z",
                                 "2025-03-05T07:00:00Z");
    int64_t t = dispatch(rq, 1, "2025-03-05T08:00:00Z");
    char dpath[96], mpath[96];
    snprintf(dpath, sizeof dpath, "/api/v1/aid/requests/%lld/trucks", (long long)rq);
    snprintf(mpath, sizeof mpath, "/api/v1/aid/trucks/%lld/transitions", (long long)t);
    static const struct {
        int move;
        const char *body, *field;
    } bad[] = {
        {0, "{\"count\":0,\"category\":\"food\"}", "count"},
        {0, "{\"count\":1001,\"category\":\"food\"}", "count"},
        {0, "{\"count\":1,\"category\":\"cars\"}", "category"},
        {0, "{\"count\":1,\"category\":\"food\",\"tonnes\":-1}", "tonnes"},
        {0, "{\"count\":1,\"category\":\"food\",\"at\":\"2999-01-01T00:00:00Z\"}", "at"},
        {0, "{\"count\":1,\"category\":\"food\",\"at\":\"2025-03-05T06:30:00Z\"}", "at"},
        {0, "{\"count\":1,\"category\":\"food\",\"driver\":\"x\"}", "driver"},
        {1, "{\"to\":\"teleported\"}", "to"},
        {1, "{\"to\":\"at_crossing\",\"interception\":\"forced\"}", "interception"},
        {1, "{\"to\":\"at_crossing\",\"source\":\"\"}", "source"},
    };
    int64_t before = th_journal_len(T.db);
    th_resp r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *tok = bad[i].move ? israel : wfp;
        if (req("POST", bad[i].move ? mpath : dpath, tok, bad[i].body, &r) != 400)
            fail_msg("case %zu: %ld %s", i, r.status, r.body);
        assert_error_shape(&r);
        assert_string_equal(th_field(&r), bad[i].field);
        th_resp_free(&r);
    }
    /* A batch naming no truck, or too many. */
    assert_int_equal(req("POST", "/api/v1/aid/trucks/transitions", israel,
                         "{\"trucks\":[],\"to\":\"at_crossing\"}", &r),
                     400);
    assert_string_equal(th_field(&r), "trucks");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before);
}

/* Records are seen by the requester, the operator, monitors, mediators and administrators;
 * another humanitarian organization, a party that does not operate the crossing and an
 * observer see none of them, in the lists, one by one or in the journal. */
static void only_those_involved_see_requests_and_trucks(void **state)
{
    static const char marker[] = "MARKER-7f3a";
    (void)state;
    sign_in();
    int64_t rq = cleared_request("UTN-2025-000500", "kerem-shalom", israel, 1,
                                 "2025-04-01T06:00:00Z", "2025-04-01T07:00:00Z");
    int64_t t = dispatch(rq, 1, "2025-04-01T08:00:00Z");
    char extra[96];
    snprintf(extra, sizeof extra, ",\"source\":\"%s\"", marker);
    json_decref(move_one(israel, t, "at_crossing", extra, 200));
    const char *usa = th_login(&T, "usa", "demo-usa");
    const char *admin = th_login(&T, "admin", "demo-admin");
    const struct {
        const char *tok;
        int sees;
    } who[] = {{wfp, 1}, {israel, 1}, {un, 1}, {usa, 1}, {admin, 1}, {unrwa, 0}, {hamas, 0}};
    char rpath[96], tpath[96];
    snprintf(rpath, sizeof rpath, "/api/v1/aid/requests/%lld", (long long)rq);
    snprintf(tpath, sizeof tpath, "/api/v1/aid/trucks/%lld", (long long)t);
    for (size_t i = 0; i < sizeof who / sizeof who[0]; i++) {
        th_resp r;
        assert_int_equal(req("GET", rpath, who[i].tok, NULL, NULL), who[i].sees ? 200 : 404);
        assert_int_equal(req("GET", tpath, who[i].tok, NULL, NULL), who[i].sees ? 200 : 404);
        assert_int_equal(req("GET", "/api/v1/aid/requests?limit=1000", who[i].tok, NULL, &r), 200);
        assert_int_equal(strstr(r.body, "UTN-2025-000500") != NULL, who[i].sees);
        th_resp_free(&r);
        assert_int_equal(req("GET", "/api/v1/aid/trucks?limit=1000", who[i].tok, NULL, &r), 200);
        int listed = 0;
        size_t k;
        json_t *x;
        json_array_foreach(json_object_get(r.json, "trucks"), k, x) listed |= int_of(x, "id") == t;
        assert_int_equal(listed, who[i].sees);
        th_resp_free(&r);
        assert_int_equal(req("GET", "/api/v1/journal?limit=1000&after=0", who[i].tok, NULL, &r),
                         200);
        /* The journal pages from the start; read it all. */
        int seen = 0;
        int64_t after = 0;
        for (;;) {
            json_t *ev = json_object_get(r.json, "events");
            if (strstr(r.body, marker)) seen = 1;
            if (!json_array_size(ev)) break;
            after = int_of(json_array_get(ev, json_array_size(ev) - 1), "seq");
            th_resp_free(&r);
            char p[96];
            snprintf(p, sizeof p, "/api/v1/journal?limit=1000&after=%lld", (long long)after);
            assert_int_equal(req("GET", p, who[i].tok, NULL, &r), 200);
        }
        th_resp_free(&r);
        assert_int_equal(seen, who[i].sees);
    }
    /* An observer may not list them; the public may not either; both read the aggregates. */
    assert_int_equal(req("GET", "/api/v1/aid/trucks", journalist, NULL, NULL), 403);
    assert_int_equal(req("GET", rpath, journalist, NULL, NULL), 403);
    assert_int_equal(req("GET", "/api/v1/aid/requests", NULL, NULL, NULL), 401);
    th_resp r;
    assert_int_equal(req("GET", "/api/v1/aid/daily?from=2025-04-01&to=2025-04-01", NULL, NULL, &r),
                     200);
    assert_null(strstr(r.body, marker));
    assert_null(strstr(r.body, "UTN-2025-000500"));
    th_resp_free(&r);
}

/* Nearest rank: the value at rank ceil(p n) of the sorted values. */
static double nearest_rank(double *v, size_t n, double p)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (v[j] < v[i]) {
                double x = v[i];
                v[i] = v[j];
                v[j] = x;
            }
    size_t k = (size_t)ceil(p * (double)n);
    return v[k ? k - 1 : 0];
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The selection behind the percentiles against a sort, on arrays of every shape: random,
 * few distinct values, sorted, reversed, constant, one or two elements. */
static void selection_agrees_with_sorting(void **state)
{
    (void)state;
    for (int round = 0; round < 400; round++) {
        size_t n = 1 + randombytes_uniform(round < 200 ? 40 : 3000);
        int shape = round % 5;
        int64_t *v = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *v),
                *work = malloc(n * sizeof *v);
        for (size_t i = 0; i < n; i++)
            v[i] = shape == 0   ? (int64_t)randombytes_uniform(1000000)
                   : shape == 1 ? (int64_t)randombytes_uniform(4)
                   : shape == 2 ? (int64_t)i
                   : shape == 3 ? (int64_t)(n - i)
                                : 7;
        memcpy(sorted, v, n * sizeof *v);
        qsort(sorted, n, sizeof *v, cmp_i64);
        for (int t = 0; t < 6; t++) {
            size_t k = t == 0 ? 0 : t == 1 ? n - 1 : randombytes_uniform((uint32_t)n);
            memcpy(work, v, n * sizeof *v);
            int64_t got = aid_select_kth(work, n, k);
            if (got != sorted[k])
                fail_msg("n %zu shape %d k %zu: %lld, not %lld", n, shape, k, (long long)got,
                         (long long)sorted[k]);
            /* Nothing lost or invented: the same values, moved around. */
            qsort(work, n, sizeof *v, cmp_i64);
            assert_memory_equal(work, sorted, n * sizeof *v);
        }
        free(v);
        free(sorted);
        free(work);
    }
}

/* Dwell times: exact against the same times worked out here, and only for the days and
 * crossing asked. */
static void dwell_times_are_exact(void **state)
{
    /* Minutes from dispatch to the crossing, and from the crossing to screened, per truck. */
    static const int queue[] = {30, 90, 45, 600, 120, 75, 240};
    static const int screen[] = {20, 35, 15, 50, 25, 40, 30};
    const size_t n = sizeof queue / sizeof queue[0];
    (void)state;
    sign_in();
    int64_t rq = cleared_request("UTN-2025-000600", "zikim", israel, (int)n, "2025-05-02T06:00:00Z",
                                 "2025-05-02T07:30:00Z");
    int64_t t = dispatch(rq, (int)n, "2025-05-02T08:00:00Z");
    for (size_t i = 0; i < n; i++) {
        char extra[96];
        int m = queue[i];
        snprintf(extra, sizeof extra, ",\"at\":\"2025-05-02T%02d:%02d:00Z\"", 8 + m / 60, m % 60);
        json_decref(move_one(israel, t + (int64_t)i, "at_crossing", extra, 200));
        m += screen[i];
        snprintf(extra, sizeof extra, ",\"at\":\"2025-05-02T%02d:%02d:00Z\"", 8 + m / 60, m % 60);
        json_decref(move_one(israel, t + (int64_t)i, "screened", extra, 200));
    }
    double q[16], s[16];
    for (size_t i = 0; i < n; i++)
        q[i] = queue[i] / 60.0, s[i] = screen[i] / 60.0;
    double qmax = nearest_rank(q, n, 1), smax = nearest_rank(s, n, 1);
    th_resp r;
    assert_int_equal(req("GET", "/api/v1/aid/dwell?from=2025-05-02&to=2025-05-02&crossing=zikim",
                         NULL, NULL, &r),
                     200);
    json_t *steps = json_object_get(r.json, "steps");
    json_t *qs = json_object_get(steps, "queue"), *ss = json_object_get(steps, "screening");
    assert_int_equal(int_of(qs, "n"), n);
    assert_float_equal(json_number_value(json_object_get(qs, "median_hours")),
                       nearest_rank(q, n, 0.5), 1e-12);
    assert_float_equal(json_number_value(json_object_get(qs, "p90_hours")), nearest_rank(q, n, 0.9),
                       1e-12);
    assert_float_equal(json_number_value(json_object_get(qs, "max_hours")), qmax, 1e-12);
    assert_float_equal(json_number_value(json_object_get(ss, "median_hours")),
                       nearest_rank(s, n, 0.5), 1e-12);
    assert_float_equal(json_number_value(json_object_get(ss, "max_hours")), smax, 1e-12);
    json_t *cl = json_object_get(steps, "clearance");
    assert_int_equal(int_of(cl, "n"), 1);
    assert_float_equal(json_number_value(json_object_get(cl, "median_hours")), 1.5, 1e-12);
    assert_int_equal(int_of(json_object_get(steps, "collection"), "n"), 0);
    assert_true(
        json_is_null(json_object_get(json_object_get(steps, "collection"), "median_hours")));
    th_resp_free(&r);
    /* Another crossing, another day: none of these. */
    assert_int_equal(
        req("GET", "/api/v1/aid/dwell?from=2025-05-02&to=2025-05-02&crossing=erez", NULL, NULL, &r),
        200);
    assert_int_equal(int_of(json_object_get(json_object_get(r.json, "steps"), "queue"), "n"), 0);
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/aid/dwell?from=2025-05-03&to=2025-05-09", NULL, NULL, &r),
                     200);
    assert_int_equal(int_of(json_object_get(json_object_get(r.json, "steps"), "queue"), "n"), 0);
    th_resp_free(&r);
    /* Bad ranges. */
    assert_int_equal(req("GET", "/api/v1/aid/dwell?from=2025-05-09&to=2025-05-02", NULL, NULL, &r),
                     400);
    assert_string_equal(th_field(&r), "to");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/aid/dwell?from=May", NULL, NULL, &r), 400);
    assert_string_equal(th_field(&r), "from");
    th_resp_free(&r);
}

/* The trucks as CSV and HXL: a header (and the hashtags), a row a truck. */
static void trucks_export_as_csv_and_hxl(void **state)
{
    (void)state;
    sign_in();
    th_resp r;
    assert_int_equal(req("GET", "/api/v1/aid/trucks?format=hxl&crossing=zikim", israel, NULL, &r),
                     200);
    char *ctype = th_header(&r, "Content-Type");
    assert_non_null(strstr(ctype, "text/csv"));
    free(ctype);
    assert_true(strncmp(r.body, "id,request,date,org,crossing", 28) == 0);
    const char *tags = strchr(r.body, '\n') + 1;
    assert_true(strncmp(tags, "#meta+id,#meta+request,#date,#org,#loc+crossing", 46) == 0);
    size_t lines = 0;
    for (const char *p = r.body; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2 + 7); /* the dwell test's seven trucks */
    assert_non_null(strstr(r.body, ",zikim,gaza,food,17,12.8,screened,,2025-05-02T08:00:00.000Z"));
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/aid/trucks?format=xlsx", israel, NULL, &r), 400);
    assert_string_equal(th_field(&r), "format");
    th_resp_free(&r);
}

/* ---- counts, targets, reconciliation ---------------------------------------------- */

static json_t *get_json(const char *path)
{
    th_resp r;
    if (req("GET", path, NULL, NULL, &r) != 200) fail_msg("GET %s: %ld %s", path, r.status, r.body);
    json_t *j = json_incref(r.json);
    th_resp_free(&r);
    return j;
}

static void count(const char *tok, const char *date, const char *source, const char *extra,
                  double value, long status)
{
    json_decref(
        must(tok, "/api/v1/aid/counts", status,
             "{\"date\":\"%s\",\"source\":\"%s\",\"basis\":\"trucks_entered\",\"value\":%g%s}",
             date, source, value, extra ? extra : ""));
}

/* Each source on its own basis, never added to another; a source's parts add up to its
 * day; the same count again changes nothing, a new value replaces the old one. */
static void counts_keep_each_source_apart(void **state)
{
    (void)state;
    sign_in();
    count(unrwa, "2024-04-10", "unrwa", ",\"crossing\":\"kerem-shalom\"", 150, 201);
    count(unrwa, "2024-04-10", "unrwa", ",\"crossing\":\"rafah\"", 73, 201);
    count(israel, "2024-04-10", "cogat", NULL, 419, 201);
    count(israel, "2024-04-11", "cogat", NULL, 300, 201);
    int64_t before = th_journal_len(T.db);
    json_t *j = must(israel, "/api/v1/aid/counts", 200,
                     "{\"date\":\"2024-04-11\",\"source\":\"cogat\",\"basis\":\"trucks_entered\","
                     "\"value\":300}");
    assert_false(json_is_true(json_object_get(j, "changed")));
    json_decref(j);
    assert_int_equal(th_journal_len(T.db), before);
    count(israel, "2024-04-11", "cogat", NULL, 310, 201);
    assert_int_equal(th_journal_len(T.db), before + 1);

    j = get_json("/api/v1/aid/daily?from=2024-04-10&to=2024-04-11");
    json_t *c0 = json_object_get(json_array_get(json_object_get(j, "days"), 0), "counts");
    json_t *c1 = json_object_get(json_array_get(json_object_get(j, "days"), 1), "counts");
    assert_int_equal(int_of(c0, "unrwa/trucks_entered"), 223);
    assert_int_equal(int_of(c0, "cogat/trucks_entered"), 419);
    assert_int_equal(json_object_size(c0), 2);
    assert_int_equal(int_of(c1, "cogat/trucks_entered"), 310);
    json_decref(j);
    j = get_json("/api/v1/aid/daily?from=2024-04-10&to=2024-04-10&crossing=kerem-shalom");
    c0 = json_object_get(json_array_get(json_object_get(j, "days"), 0), "counts");
    assert_int_equal(int_of(c0, "unrwa/trucks_entered"), 150);
    assert_null(json_object_get(c0, "cogat/trucks_entered"));
    json_decref(j);

    /* By category: only what was counted as fuel. */
    count(unrwa, "2024-04-10", "fuel-src", ",\"category\":\"fuel\"", 50, 201);
    j = get_json("/api/v1/aid/daily?from=2024-04-10&to=2024-04-10&category=fuel");
    c0 = json_object_get(json_array_get(json_object_get(j, "days"), 0), "counts");
    assert_int_equal(int_of(c0, "fuel-src/trucks_entered"), 50);
    assert_int_equal(json_object_size(c0), 1);
    json_decref(j);

    j = get_json("/api/v1/aid/reconciliation?from=2024-04-10&to=2024-04-11&basis=trucks_entered");
    json_t *d0 = json_array_get(json_object_get(j, "days"), 0);
    json_t *d1 = json_array_get(json_object_get(j, "days"), 1);
    assert_int_equal(int_of(json_object_get(d0, "sources"), "unrwa"), 223);
    assert_int_equal(int_of(json_object_get(d0, "sources"), "cogat"), 419);
    assert_int_equal(int_of(d0, "spread"), 419 - 50);
    assert_true(json_is_null(json_object_get(d1, "spread"))); /* one source */
    assert_int_equal(int_of(json_object_get(j, "totals"), "cogat"), 729);
    assert_int_equal(int_of(json_object_get(d0, "sources"), "fuel-src"), 50);
    json_decref(j);
    j = get_json("/api/v1/aid/reconciliation?from=2024-04-10&to=2024-04-10&basis=pallets");
    assert_int_equal(
        json_object_size(json_object_get(json_array_get(json_object_get(j, "days"), 0), "sources")),
        0);
    json_decref(j);

    /* The counts as HXL: header, hashtags, rows by day and source. */
    th_resp r;
    assert_int_equal(
        req("GET", "/api/v1/aid/counts?from=2024-04-10&to=2024-04-10&format=hxl", NULL, NULL, &r),
        200);
    assert_string_equal(r.body, "date,source,basis,crossing,category,value\n"
                                "#date,#org+source,#indicator+basis,#loc+crossing,#sector,"
                                "#indicator+value+num\n"
                                "2024-04-10,cogat,trucks_entered,,,419\n"
                                "2024-04-10,fuel-src,trucks_entered,,fuel,50\n"
                                "2024-04-10,unrwa,trucks_entered,kerem-shalom,,150\n"
                                "2024-04-10,unrwa,trucks_entered,rafah,,73\n");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/aid/reconciliation?from=2024-04-10", NULL, NULL, &r), 400);
    assert_string_equal(th_field(&r), "basis");
    th_resp_free(&r);
}

static void a_wrong_count_is_refused(void **state)
{
    static const struct {
        const char *body, *field;
        long status;
    } cases[] = {
        {"{\"date\":\"2024-04-10\",\"source\":\"truce\",\"basis\":\"trucks_entered\",\"value\":1}",
         "source", 400},
        {"{\"date\":\"10 Apr 2024\",\"source\":\"x\",\"basis\":\"trucks_entered\",\"value\":1}",
         "date", 400},
        {"{\"date\":\"2024-04-10\",\"source\":\"x\",\"basis\":\"Trucks\",\"value\":1}", "basis",
         400},
        {"{\"date\":\"2024-04-10\",\"source\":\"x y\",\"basis\":\"trucks\",\"value\":1}", "source",
         400},
        {"{\"date\":\"2024-04-10\",\"source\":\"x\",\"basis\":\"trucks\",\"value\":-1}", "value",
         400},
        {"{\"date\":\"2024-04-10\",\"source\":\"x\",\"basis\":\"trucks\",\"value\":1,"
         "\"crossing\":\"nowhere\"}",
         "crossing", 400},
        {"{\"date\":\"2024-04-10\",\"source\":\"x\",\"basis\":\"trucks\",\"value\":1,"
         "\"category\":\"cars\"}",
         "category", 400},
        {"{\"date\":\"2024-04-10\",\"source\":\"x\",\"basis\":\"trucks\"}", "value", 400},
    };
    (void)state;
    sign_in();
    int64_t before = th_journal_len(T.db);
    th_resp r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (req("POST", "/api/v1/aid/counts", unrwa, cases[i].body, &r) != cases[i].status)
            fail_msg("case %zu: status %ld: %s", i, r.status, r.body);
        assert_error_shape(&r);
        assert_string_equal(th_field(&r), cases[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(req("POST", "/api/v1/aid/counts", journalist, cases[1].body, NULL), 403);
    assert_int_equal(th_journal_len(T.db), before);
}

/* Progress toward a daily and a total target, against the same sums worked out here. */
static void target_progress_is_exact(void **state)
{
    /* 19 to 23 January; the 22nd has no count at all. */
    static const double daily[] = {630, 570, 600, -1, 610};
    static const char *const days[] = {"2025-01-19", "2025-01-20", "2025-01-21", "2025-01-22",
                                       "2025-01-23"};
    const char *usa = th_login(&T, "usa", "demo-usa");
    (void)state;
    sign_in();
    for (int i = 0; i < 5; i++) {
        if (daily[i] < 0) continue;
        /* In two parts, by crossing: the target counts the day's whole. */
        count(israel, days[i], "cogat-t", ",\"crossing\":\"kerem-shalom\"", daily[i] - 100, 201);
        count(israel, days[i], "cogat-t", ",\"crossing\":\"zikim\"", 100, 201);
    }
    count(unrwa, "2025-01-19", "unrwa-t", NULL, 999, 201); /* another source: not counted */
    json_t *t = must(usa, "/api/v1/aid/targets", 201,
                     "{\"name\":\"600 trucks a day\",\"per\":\"day\",\"value\":600,"
                     "\"basis\":\"trucks_entered\",\"source\":\"cogat-t\",\"from\":\"2025-01-19\","
                     "\"to\":\"2025-01-28\"}");
    int64_t id = int_of(t, "id");
    assert_string_equal(str_of(t, "created_by"), "usa");
    json_decref(t);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/aid/targets/%lld/progress?as_of=2025-01-23",
             (long long)id);
    json_t *p = get_json(path);
    double sum = 0, shortfall = 0;
    int met = 0;
    for (int i = 0; i < 5; i++) {
        double a = daily[i] < 0 ? 0 : daily[i];
        json_t *d = json_array_get(json_object_get(p, "days"), (size_t)i);
        assert_string_equal(str_of(d, "date"), days[i]);
        assert_float_equal(json_number_value(json_object_get(d, "actual")), a, 0);
        assert_float_equal(json_number_value(json_object_get(d, "shortfall")),
                           a < 600 ? 600 - a : 0, 0);
        assert_int_equal(json_is_true(json_object_get(d, "met")), a >= 600);
        sum += a;
        shortfall += a < 600 ? 600 - a : 0;
        met += a >= 600;
    }
    assert_int_equal(json_array_size(json_object_get(p, "days")), 5);
    assert_int_equal(int_of(p, "days_elapsed"), 5);
    assert_int_equal(int_of(p, "days_total"), 10);
    assert_int_equal(int_of(p, "days_left"), 5);
    assert_int_equal(int_of(p, "days_met"), met);
    assert_float_equal(json_number_value(json_object_get(p, "actual_total")), sum, 0);
    assert_float_equal(json_number_value(json_object_get(p, "cumulative_shortfall")), 600 * 5 - sum,
                       0);
    assert_float_equal(json_number_value(json_object_get(p, "remaining")), 600 * 10 - sum, 0);
    assert_float_equal(json_number_value(json_object_get(p, "rate_needed")), (600 * 10 - sum) / 5,
                       1e-9);
    json_decref(p);
    /* After its end: every day elapsed, none left. */
    snprintf(path, sizeof path, "/api/v1/aid/targets/%lld/progress?as_of=2026-01-01",
             (long long)id);
    p = get_json(path);
    assert_int_equal(int_of(p, "days_elapsed"), 10);
    assert_true(json_is_null(json_object_get(p, "rate_needed")));
    json_decref(p);
    /* The daily view shows it beside the counts. */
    p = get_json("/api/v1/aid/daily?from=2025-01-20&to=2025-01-20");
    json_t *tg = NULL, *x;
    size_t k;
    json_array_foreach(json_object_get(json_array_get(json_object_get(p, "days"), 0), "targets"), k,
                       x) if (int_of(x, "id") == id) tg = x;
    assert_non_null(tg); /* beside the demo's own targets for phase one */
    assert_int_equal(int_of(tg, "actual"), 570);
    assert_false(json_is_true(json_object_get(tg, "met")));
    json_decref(p);

    /* A total: 1,000 by the 28th; 350 in the first two days. */
    t = must(usa, "/api/v1/aid/targets", 201,
             "{\"name\":\"tents\",\"per\":\"total\",\"value\":1000,\"basis\":\"trucks_entered\","
             "\"source\":\"tents-src\",\"from\":\"2025-01-19\",\"to\":\"2025-01-28\"}");
    id = int_of(t, "id");
    json_decref(t);
    count(unrwa, "2025-01-19", "tents-src", NULL, 100, 201);
    count(unrwa, "2025-01-20", "tents-src", NULL, 250, 201);
    snprintf(path, sizeof path, "/api/v1/aid/targets/%lld/progress?as_of=2025-01-20",
             (long long)id);
    p = get_json(path);
    assert_int_equal(int_of(json_array_get(json_object_get(p, "days"), 1), "cumulative"), 350);
    assert_float_equal(json_number_value(json_object_get(p, "cumulative_shortfall")), 0, 0);
    assert_float_equal(json_number_value(json_object_get(p, "remaining")), 650, 0);
    assert_float_equal(json_number_value(json_object_get(p, "rate_needed")), 650.0 / 8, 1e-12);
    assert_true(json_is_null(json_object_get(p, "days_met")));
    json_decref(p);
    /* In the daily view, a total's actual is what came so far. */
    p = get_json("/api/v1/aid/daily?from=2025-01-20&to=2025-01-20");
    tg = NULL;
    json_array_foreach(json_object_get(json_array_get(json_object_get(p, "days"), 0), "targets"), k,
                       x) if (int_of(x, "id") == id) tg = x;
    assert_non_null(tg);
    assert_int_equal(int_of(tg, "actual"), 350);
    assert_false(json_is_true(json_object_get(tg, "met")));
    json_decref(p);
    snprintf(path, sizeof path, "/api/v1/aid/targets/%lld/progress?as_of=2025-01-24",
             (long long)id);
    p = get_json(path);
    assert_float_equal(json_number_value(json_object_get(p, "cumulative_shortfall")),
                       1000.0 * 6 / 10 - 350, 1e-9);
    json_decref(p);
}

/* Destinations: truce's own truckloads know where they went; half to the north. */
static void a_target_by_destination_counts_truces_own_trucks(void **state)
{
    const char *usa = th_login(&T, "usa", "demo-usa");
    (void)state;
    sign_in();
    json_t *j =
        must(wfp, "/api/v1/aid/requests", 201,
             "{\"ref\":\"UTN-NORTH-1\",\"crossing\":\"zikim\",\"destination\":\"north-gaza\","
             "\"lines\":[{\"category\":\"food\",\"trucks\":4}],"
             "\"at\":\"2025-06-01T06:00:00Z\"}");
    int64_t north = int_of(j, "id");
    json_decref(j);
    char path[96];
    snprintf(path, sizeof path, "/api/v1/aid/requests/%lld/transitions", (long long)north);
    json_decref(must(israel, path, 200, "{\"to\":\"cleared\",\"at\":\"2025-06-01T07:00:00Z\"}"));
    int64_t a = dispatch(north, 4, "2025-06-01T08:00:00Z");
    int64_t south = cleared_request("UTN-SOUTH-1", "kerem-shalom", israel, 3,
                                    "2025-06-01T06:00:00Z", "2025-06-01T07:00:00Z");
    dispatch(south, 3, "2025-06-01T08:00:00Z");
    (void)a;
    j = must(
        usa, "/api/v1/aid/targets", 201,
        "{\"name\":\"to the north\",\"per\":\"day\",\"value\":3,\"basis\":\"trucks_dispatched\","
        "\"source\":\"truce\",\"destinations\":[\"north-gaza\",\"deir-al-balah\"],"
        "\"from\":\"2025-06-01\",\"to\":\"2025-06-02\"}");
    int64_t id = int_of(j, "id");
    json_decref(j);
    snprintf(path, sizeof path, "/api/v1/aid/targets/%lld/progress?as_of=2025-06-02",
             (long long)id);
    json_t *p = get_json(path);
    assert_int_equal(int_of(json_array_get(json_object_get(p, "days"), 0), "actual"), 4);
    assert_int_equal(int_of(json_array_get(json_object_get(p, "days"), 1), "actual"), 0);
    assert_int_equal(int_of(p, "days_met"), 1);
    json_decref(p);

    /* Wrong targets: each a 400 naming its field; a party may not set one. */
    static const struct {
        const char *body, *field;
    } bad[] = {
        {"{\"name\":\"x\",\"per\":\"day\",\"value\":3,\"basis\":\"trucks\",\"source\":\"cogat\","
         "\"destinations\":[\"gaza\"],\"from\":\"2025-06-01\",\"to\":\"2025-06-02\"}",
         "destinations"},
        {"{\"name\":\"x\",\"per\":\"day\",\"value\":3,\"basis\":\"pallets\",\"source\":\"truce\","
         "\"from\":\"2025-06-01\",\"to\":\"2025-06-02\"}",
         "basis"},
        {"{\"name\":\"x\",\"per\":\"day\",\"value\":3,\"basis\":\"trucks_dispatched\","
         "\"source\":\"truce\",\"destinations\":[\"atlantis\"],\"from\":\"2025-06-01\","
         "\"to\":\"2025-06-02\"}",
         "destinations[0]"},
        {"{\"name\":\"x\",\"per\":\"day\",\"value\":3,\"basis\":\"t\",\"source\":\"s\","
         "\"from\":\"2025-06-03\",\"to\":\"2025-06-02\"}",
         "to"},
        {"{\"name\":\"x\",\"per\":\"week\",\"value\":3,\"basis\":\"t\",\"source\":\"s\","
         "\"from\":\"2025-06-01\",\"to\":\"2025-06-02\"}",
         "per"},
        {"{\"name\":\"x\",\"per\":\"day\",\"value\":0,\"basis\":\"t\",\"source\":\"s\","
         "\"from\":\"2025-06-01\",\"to\":\"2025-06-02\"}",
         "value"},
    };
    int64_t before = th_journal_len(T.db);
    th_resp r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (req("POST", "/api/v1/aid/targets", usa, bad[i].body, &r) != 400)
            fail_msg("case %zu: status %ld: %s", i, r.status, r.body);
        assert_string_equal(th_field(&r), bad[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(req("POST", "/api/v1/aid/targets", israel, bad[1].body, NULL), 403);
    assert_int_equal(th_journal_len(T.db), before);
    assert_int_equal(req("GET", "/api/v1/aid/targets/999999/progress", NULL, NULL, &r), 404);
    assert_string_equal(th_code(&r), "aid.target_not_found");
    th_resp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_consignment_moves_through_every_step),
        cmocka_unit_test(a_batch_moves_all_or_none_and_a_retry_is_harmless),
        cmocka_unit_test(a_move_time_is_never_in_the_future_nor_before_the_last),
        cmocka_unit_test(requests_are_decided_by_the_operator_and_bound_the_trucks),
        cmocka_unit_test(a_wrong_request_is_refused),
        cmocka_unit_test(a_wrong_dispatch_or_move_is_refused),
        cmocka_unit_test(only_those_involved_see_requests_and_trucks),
        cmocka_unit_test(selection_agrees_with_sorting),
        cmocka_unit_test(dwell_times_are_exact),
        cmocka_unit_test(trucks_export_as_csv_and_hxl),
        cmocka_unit_test(counts_keep_each_source_apart),
        cmocka_unit_test(a_wrong_count_is_refused),
        cmocka_unit_test(target_progress_is_exact),
        cmocka_unit_test(a_target_by_destination_counts_truces_own_trucks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
