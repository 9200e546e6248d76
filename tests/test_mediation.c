/* test_mediation.c - negotiations and private profiles over HTTP: who sees what, bad input
 * changing nothing, and a confidentiality sweep that looks for one party's marker values in
 * every answer the others can get. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include "core/codes.h"

#include "core/buf.h"
#include "core/log.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static th_server T;
static const char *usa, *israel, *hamas, *un, *admin;

/* Markers only Israel's profile holds. */
#define MARK_RESERVATION "0.31415926"
#define MARK_WEIGHT      "0.2718281"
#define MARK_VALUE       "0.1414213"

static const char *NEGOTIATION =
    "{\"title\":\"Phase one\",\"parties\":[\"israel\",\"hamas\"],"
    "\"mediators\":[\"usa\",\"egypt\",\"qatar\"],\"issues\":["
    "{\"name\":\"Aid trucks per day\",\"options\":[\"300\",\"450\",\"600\"]},"
    "{\"name\":\"Phase one length\",\"options\":[\"42 days\",\"60 days\"]},"
    "{\"name\":\"Rafah crossing\",\"options\":[\"closed\",\"wounded only\",\"open\"]}]}";

static const char *ISRAEL_PROFILE =
    "{\"weights\":{\"Aid trucks per day\":" MARK_WEIGHT ",\"Phase one length\":0.5,"
    "\"Rafah crossing\":0.2},\"values\":{\"Aid trucks per day\":{\"300\":1,\"450\":" MARK_VALUE
    ",\"600\":0},\"Phase one length\":{\"42 days\":1,\"60 days\":0},"
    "\"Rafah crossing\":{\"closed\":1,\"wounded only\":0.5,\"open\":0}},"
    "\"reservation\":" MARK_RESERVATION ",\"red_lines\":{\"Rafah crossing\":[\"open\"]},"
    "\"disclosure\":\"none\"}";

static long req(const char *method, const char *path, const char *token, const char *body,
                th_resp *out)
{
    th_resp r;
    assert_int_equal(
        th_http(method, th_url(&T, path), token, body, body ? strlen(body) : 0, NULL, &r), 0);
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

/* The demo's negotiation: Hamas's comment marked relay reaches Israel, the one marked
 * mediators does not. */
static void relay_comments_reach_the_other_party(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(req("GET", "/api/v1/negotiations/1/texts/1", israel, NULL, &r), 200);
    json_t *rel = json_object_get(r.json, "relayed");
    assert_int_equal(json_array_size(rel), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rel, 0), "comment")),
                        "Far too few trucks.");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rel, 0), "from")),
                        "hamas");
    assert_null(strstr(r.body, "700 m buffer\",\"stance\":\"counter\""));
    assert_null(json_object_get(r.json, "responses"));
    th_resp_free(&r);
    /* The mediators see both terms of Hamas's answer. */
    assert_int_equal(req("GET", "/api/v1/negotiations/1/texts/1", usa, NULL, &r), 200);
    json_t *terms =
        json_object_get(json_object_get(json_object_get(r.json, "responses"), "hamas"), "terms");
    assert_int_equal(json_object_size(terms), 2);
    th_resp_free(&r);
}

static void open_read_and_put_profiles(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(req("POST", "/api/v1/negotiations", usa, NEGOTIATION, &r), 201);
    /* The demo scenario's negotiation is number 1. */
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), 2);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "open");
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "mediator");
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/negotiations/2", hamas, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "party");
    assert_int_equal(json_array_size(json_object_get(r.json, "issues")), 3);
    th_resp_free(&r);
    /* Not a member: as if it did not exist. */
    assert_int_equal(req("GET", "/api/v1/negotiations/2", un, NULL, &r), 404);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "error"), "code")),
        "negotiation.not_found");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/negotiations/999", usa, NULL, NULL), 404);
    assert_int_equal(req("GET", "/api/v1/negotiations/abc", usa, NULL, NULL), 400);

    assert_int_equal(req("PUT", "/api/v1/negotiations/2/profile", israel, ISRAEL_PROFILE, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(r.json, "disclosure")), "none");
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/negotiations/2/profile", israel, NULL, &r), 200);
    assert_non_null(strstr(r.body, MARK_RESERVATION));
    th_resp_free(&r);
    /* A replacement is a new version; the default disclosure is "gains". */
    assert_int_equal(req("PUT", "/api/v1/negotiations/2/profile", hamas,
                         "{\"weights\":{\"Aid trucks per day\":1},\"values\":{"
                         "\"Aid trucks per day\":{\"600\":1}}}",
                         &r),
                     200);
    assert_string_equal(json_string_value(json_object_get(r.json, "disclosure")), "gains");
    th_resp_free(&r);
    assert_int_equal(req("PUT", "/api/v1/negotiations/2/profile", hamas,
                         "{\"weights\":{\"Aid trucks per day\":1},\"values\":{"
                         "\"Aid trucks per day\":{\"600\":1,\"450\":0.5}}}",
                         &r),
                     200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
    th_resp_free(&r);
}

static void bad_input_changes_nothing(void **state)
{
    static const struct {
        const char *who, *method, *path, *body, *code, *field;
        long status;
    } cases[] = {
        {"usa", "POST", "/api/v1/negotiations",
         "{\"title\":\"x\",\"parties\":[\"israel\"],"
         "\"mediators\":[\"usa\"],\"issues\":[{\"name\":\"a\",\"options\":[\"1\"]}]}",
         "request.invalid_field", "parties", 400},
        {"usa", "POST", "/api/v1/negotiations",
         "{\"title\":\"x\",\"parties\":[\"israel\","
         "\"usa\"],\"mediators\":[\"usa\"],\"issues\":[{\"name\":\"a\",\"options\":[\"1\"]}]}",
         "request.invalid_field", "parties[1]", 400},
        {"usa", "POST", "/api/v1/negotiations",
         "{\"title\":\"x\",\"parties\":[\"israel\","
         "\"hamas\"],\"mediators\":[\"egypt\"],\"issues\":[{\"name\":\"a\",\"options\":[\"1\"]}]}",
         "request.invalid_field", "mediators", 400},
        {"usa", "POST", "/api/v1/negotiations",
         "{\"title\":\"x\",\"parties\":[\"israel\","
         "\"hamas\"],\"mediators\":[\"usa\"],\"issues\":[{\"name\":\"a\",\"options\":[\"1\","
         "\"1\"]}]}",
         "request.invalid_field", "issues[0].options[1]", 400},
        {"usa", "POST", "/api/v1/negotiations",
         "{\"title\":\"x\",\"parties\":[\"israel\","
         "\"hamas\"],\"mediators\":[\"usa\"],\"issues\":[]}",
         "request.invalid_field", "issues", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile",
         "{\"weights\":{\"Colour\":1},"
         "\"values\":{}}",
         "request.invalid_field", "weights.Colour", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile",
         "{\"weights\":{\"Rafah crossing\":-1},"
         "\"values\":{}}",
         "request.invalid_field", "weights.Rafah crossing", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile",
         "{\"weights\":{\"Rafah crossing\":0},"
         "\"values\":{}}",
         "request.invalid_field", "weights", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile",
         "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{\"Rafah crossing\":{\"open\":1.5}}}",
         "request.invalid_field", "values.Rafah crossing.open", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile",
         "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{\"Rafah crossing\":{\"ajar\":1}}}",
         "request.invalid_field", "values.Rafah crossing.ajar", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile",
         "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{},\"red_lines\":{\"Rafah crossing\":[\"ajar\"]}}",
         "request.invalid_field", "red_lines.Rafah crossing", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile",
         "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{},\"disclosure\":\"everything\"}",
         "request.invalid_field", "disclosure", 400},
        {"israel", "PUT", "/api/v1/negotiations/2/profile",
         "{\"weights\":{\"Rafah crossing\":1},"
         "\"values\":{},\"reservation\":2}",
         "request.invalid_field", "reservation", 400},
        {"israel", "PUT", "/api/v1/negotiations/3/profile",
         "{\"weights\":{\"a\":1},"
         "\"values\":{}}",
         "negotiation.not_found", NULL, 404},
    };
    (void)state;
    int64_t before = th_journal_len(T.db);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        th_resp r;
        const char *tok = strcmp(cases[i].who, "usa") == 0 ? usa : israel;
        long got = req(cases[i].method, cases[i].path, tok, cases[i].body, &r);
        json_t *err = json_object_get(r.json, "error");
        if (got != cases[i].status ||
            strcmp(json_string_value(json_object_get(err, "code")), cases[i].code) != 0)
            fail_msg("case %zu: %ld %s", i, got, r.body);
        if (cases[i].field)
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(err, "detail"), "field")),
                cases[i].field);
        th_resp_free(&r);
    }
    assert_int_equal(th_journal_len(T.db), before);
}

#define SECRET_COMMENT "HAMAS-ONLY-FOR-MEDIATORS-7731"

static const char *BALANCED_NEGOTIATION =
    "{\"title\":\"Phase two\",\"parties\":[\"israel\",\"hamas\"],\"mediators\":[\"egypt\","
    "\"usa\"],\"issues\":[{\"name\":\"Trucks\",\"options\":[\"300\",\"450\",\"600\"]},"
    "{\"name\":\"Withdrawal\",\"options\":[\"corridor\",\"buffer\",\"full\"]}]}";

static void texts_analysis_override_sending_and_responses(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(req("POST", "/api/v1/negotiations", usa, BALANCED_NEGOTIATION, &r), 201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), 3);
    th_resp_free(&r);
    assert_int_equal(req("PUT", "/api/v1/negotiations/3/profile", israel,
                         "{\"weights\":{\"Trucks\":1,\"Withdrawal\":1},\"values\":{\"Trucks\":"
                         "{\"300\":1,\"450\":0.5,\"600\":0},\"Withdrawal\":{\"corridor\":1,"
                         "\"buffer\":0.5,\"full\":0}}}",
                         NULL),
                     200);
    assert_int_equal(req("PUT", "/api/v1/negotiations/3/profile", hamas,
                         "{\"weights\":{\"Trucks\":1,\"Withdrawal\":1},\"values\":{\"Trucks\":"
                         "{\"300\":0,\"450\":0.5,\"600\":1},\"Withdrawal\":{\"corridor\":0,"
                         "\"buffer\":0.5,\"full\":1}},\"reservation\":0.2}",
                         NULL),
                     200);
    int64_t before = th_journal_len(T.db);
    /* A diktat: Hamas gets nothing, below its reservation. */
    const char *diktat = "{\"package\":{\"Trucks\":\"300\",\"Withdrawal\":\"corridor\"}}";
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts", usa, diktat, &r), 409);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "error"), "code")),
        "text.one_sided");
    assert_non_null(strstr(r.body, "unacceptable to hamas"));
    json_t *un_to = json_object_get(json_object_get(json_object_get(r.json, "error"), "detail"),
                                    "unacceptable_to");
    assert_int_equal(json_array_size(un_to), 1);
    assert_string_equal(json_string_value(json_array_get(un_to, 0)), "hamas");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before);
    /* With an override it goes in, and the analysis says so. */
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts", usa,
                         "{\"package\":{\"Trucks\":\"300\",\"Withdrawal\":\"corridor\"},"
                         "\"override_reason\":\"opening position, for the record\"}",
                         &r),
                     201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "n")), 1);
    json_t *an = json_object_get(r.json, "analysis");
    assert_true(json_is_true(json_object_get(an, "available")));
    assert_true(json_is_true(json_object_get(an, "one_sided")));
    th_resp_free(&r);
    /* A balanced text. */
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts", usa,
                         "{\"package\":{\"Trucks\":\"450\",\"Withdrawal\":\"buffer\"},"
                         "\"rationale\":{\"Trucks\":\"the middle\"}}",
                         &r),
                     201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "n")), 2);
    assert_true(json_is_false(json_object_get(json_object_get(r.json, "analysis"), "one_sided")));
    assert_int_equal(
        json_array_size(json_object_get(json_object_get(r.json, "analysis"), "unacceptable_to")),
        0);
    th_resp_free(&r);
    /* Not sent yet: the parties cannot see or answer it. */
    assert_int_equal(req("GET", "/api/v1/negotiations/3/texts/2", hamas, NULL, NULL), 404);
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts/2/responses", hamas,
                         "{\"overall\":\"accept\"}", &r),
                     409);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "error"), "code")),
        "text.not_sent");
    th_resp_free(&r);
    /* Sent to Hamas first. */
    assert_int_equal(
        req("POST", "/api/v1/negotiations/3/texts/2/send", usa, "{\"to\":[\"hamas\"]}", &r), 200);
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/negotiations/3/texts/2", israel, NULL, NULL), 404);
    /* The versions each may open: the mediators all, a party those sent to it. */
    static const struct {
        const char **who;
        const char *versions;
    } seen[] = {{&usa, "[1,2]"}, {&hamas, "[2]"}, {&israel, "[]"}};
    for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) {
        assert_int_equal(req("GET", "/api/v1/negotiations/3", *seen[i].who, NULL, &r), 200);
        char *v = json_dumps(json_object_get(r.json, "versions"), JSON_COMPACT);
        assert_string_equal(v, seen[i].versions);
        free(v);
        th_resp_free(&r);
    }
    assert_int_equal(req("GET", "/api/v1/negotiations/3/texts/2", hamas, NULL, &r), 200);
    json_t *fy = json_object_get(r.json, "for_you");
    assert_true(fabs(json_real_value(json_object_get(fy, "utility")) - 0.5) < 1e-9);
    assert_true(json_is_true(json_object_get(fy, "acceptable")));
    assert_null(json_object_get(r.json, "analysis"));
    assert_null(json_object_get(r.json, "sent_to"));
    th_resp_free(&r);
    /* Hamas answers, then changes its answer. */
    const char *answer = "{\"overall\":\"reject\",\"terms\":{\"Trucks\":{\"stance\":\"counter\","
                         "\"counter\":\"600\",\"comment\":\"" SECRET_COMMENT "\","
                         "\"visibility\":\"mediators\"}}}";
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts/2/responses", hamas, answer, &r),
                     201);
    assert_true(json_is_false(json_object_get(r.json, "replaced")));
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts/2/responses", hamas, answer, &r),
                     200);
    assert_true(json_is_true(json_object_get(r.json, "replaced")));
    th_resp_free(&r);
    /* Bad answers change nothing. */
    before = th_journal_len(T.db);
    static const char *bad[] = {
        "{\"overall\":\"maybe\"}",
        "{\"overall\":\"accept\",\"terms\":{\"Colour\":{\"stance\":\"accept\"}}}",
        "{\"overall\":\"accept\",\"terms\":{\"Trucks\":{\"stance\":\"counter\"}}}",
        "{\"overall\":\"accept\",\"terms\":{\"Trucks\":{\"stance\":\"counter\","
        "\"counter\":\"9000\"}}}",
        "{\"overall\":\"accept\",\"terms\":{\"Trucks\":{\"stance\":\"accept\","
        "\"counter\":\"600\"}}}",
        "{\"overall\":\"accept\",\"terms\":{\"Trucks\":{\"stance\":\"accept\","
        "\"visibility\":\"everyone\"}}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(req("POST", "/api/v1/negotiations/3/texts/2/responses", hamas, bad[i], &r),
                         400);
        th_resp_free(&r);
    }
    assert_int_equal(
        req("POST", "/api/v1/negotiations/3/texts", usa, "{\"package\":{\"Trucks\":\"450\"}}", &r),
        400);
    assert_string_equal(th_field(&r), "package.Withdrawal");
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts/9/send", usa, "{}", NULL), 404);
    assert_int_equal(
        req("POST", "/api/v1/negotiations/3/texts/2/send", usa, "{\"to\":[\"usa\"]}", NULL), 400);
    assert_int_equal(th_journal_len(T.db), before);
    /* The mediators see every response; Israel, once sent the text, only its own. */
    assert_int_equal(req("GET", "/api/v1/negotiations/3/texts/2", usa, NULL, &r), 200);
    assert_non_null(strstr(r.body, SECRET_COMMENT));
    assert_non_null(json_object_get(json_object_get(r.json, "responses"), "hamas"));
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts/2/send", usa, "{}", NULL), 200);
    assert_int_equal(req("GET", "/api/v1/negotiations/3/texts/2", israel, NULL, &r), 200);
    assert_null(strstr(r.body, SECRET_COMMENT));
    assert_true(json_is_null(json_object_get(r.json, "your_response")));
    th_resp_free(&r);
}

/* Fails when r shows Israel's markers, or (unless the caller wrote it) Hamas's comment. */
/* Writes a JSON reply body to a file and returns its path (static storage). */
static const char *save(const char *name, const char *body)
{
    static char p[4][400];
    static int k;
    char *path = p[k++ % 4];
    snprintf(path, 400, "%s/%s", T.dir, name);
    FILE *f = fopen(path, "w");
    fputs(body, f);
    fclose(f);
    return path;
}

static void an_agreement_every_party_signs(void **state)
{
    th_resp r;
    char *pk_i, *pk_h, *sig;
    char key_i[400], key_h[400], body[300];
    (void)state;
    /* Version 2 of negotiation 2: Hamas switches to accept; Israel accepts. */
    assert_int_equal(req("POST", "/api/v1/negotiations/3/agreement", usa,
                         "{\"text\":2,\"effective\":\"2025-01-19\"}", &r),
                     409);
    assert_non_null(strstr(r.body, "hamas"));
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts/2/responses", hamas,
                         "{\"overall\":\"accept\"}", NULL),
                     200);
    assert_int_equal(req("POST", "/api/v1/negotiations/3/texts/2/responses", israel,
                         "{\"overall\":\"accept\"}", NULL),
                     201);
    assert_int_equal(req("POST", "/api/v1/negotiations/3/agreement", usa,
                         "{\"text\":2,\"effective\":\"Jan 19\"}", NULL),
                     400);
    assert_int_equal(req("POST", "/api/v1/negotiations/3/agreement", usa,
                         "{\"text\":2,\"effective\":\"2025-01-19\",\"terms\":{\"Trucks\":"
                         "\"450 trucks a day through Kerem Shalom and Rafah\"}}",
                         &r),
                     201);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")),
                     3); /* after the demo's two */
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "drafted");
    th_resp_free(&r);

    /* Keys, made and kept on each party's machine; only the public halves are posted. */
    snprintf(key_i, sizeof key_i, "%s/israel.key", T.dir);
    snprintf(key_h, sizeof key_h, "%s/hamas.key", T.dir);
    assert_int_equal(th_truce(&pk_i, NULL, NULL, "keygen --out '%s'", key_i), 0);
    assert_int_equal(th_truce(&pk_h, NULL, NULL, "keygen --out '%s'", key_h), 0);
    pk_i[strcspn(pk_i, "\n")] = 0;
    pk_h[strcspn(pk_h, "\n")] = 0;
    /* Hamas's new key is not registered yet (the demo's agreement registered another). */
    assert_int_equal(req("GET", "/api/v1/agreements/3", hamas, NULL, &r), 200);
    const char *doc = save("agreement.json", r.body);
    th_resp_free(&r);
    assert_int_equal(th_truce(&sig, NULL, NULL, "sign --key '%s' '%s'", key_h, doc), 0);
    sig[strcspn(sig, "\n")] = 0;
    snprintf(body, sizeof body, "{\"org\":\"hamas\",\"signature\":\"%s\"}", sig);
    assert_int_equal(req("POST", "/api/v1/agreements/3/signatures", hamas, body, &r), 400);
    assert_non_null(strstr(r.body, "signature.invalid"));
    th_resp_free(&r);
    snprintf(body, sizeof body, "{\"public_key\":\"%s\"}", pk_h);
    assert_int_equal(req("POST", "/api/v1/orgs/hamas/keys", hamas, body, NULL), 201);
    snprintf(body, sizeof body, "{\"public_key\":\"%s\"}", pk_i);
    assert_int_equal(req("POST", "/api/v1/orgs/israel/keys", israel, body, NULL), 201);

    int64_t before = th_journal_len(T.db);
    /* Israel cannot post Hamas's signature; a signature by the wrong key fails. */
    snprintf(body, sizeof body, "{\"org\":\"hamas\",\"signature\":\"%s\"}", sig);
    assert_int_equal(req("POST", "/api/v1/agreements/3/signatures", israel, body, NULL), 403);
    snprintf(body, sizeof body, "{\"org\":\"israel\",\"signature\":\"%s\"}", sig);
    assert_int_equal(req("POST", "/api/v1/agreements/3/signatures", israel, body, &r), 400);
    assert_non_null(strstr(r.body, "signature.invalid"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(T.db), before);

    snprintf(body, sizeof body, "{\"org\":\"hamas\",\"signature\":\"%s\"}", sig);
    assert_int_equal(req("POST", "/api/v1/agreements/3/signatures", hamas, body, &r), 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "drafted");
    th_resp_free(&r);
    assert_int_equal(req("POST", "/api/v1/agreements/3/signatures", hamas, body, &r), 409);
    assert_non_null(strstr(r.body, "signature.exists"));
    th_resp_free(&r);
    free(sig);
    assert_int_equal(th_truce(&sig, NULL, NULL, "sign --key '%s' '%s'", key_i, doc), 0);
    sig[strcspn(sig, "\n")] = 0;
    snprintf(body, sizeof body, "{\"org\":\"israel\",\"signature\":\"%s\"}", sig);
    assert_int_equal(req("POST", "/api/v1/agreements/3/signatures", israel, body, &r), 201);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "in_force");
    assert_int_equal(json_array_size(json_object_get(r.json, "signatures")), 2);
    th_resp_free(&r);
    assert_int_equal(req("GET", "/api/v1/negotiations/3", usa, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "agreed");
    th_resp_free(&r);
    /* Anyone holding the document can check every signature offline. */
    assert_int_equal(req("GET", "/api/v1/agreements/3", israel, NULL, &r), 200);
    const char *final = save("signed.json", r.body);
    assert_int_equal(th_truce(NULL, NULL, NULL, "agreement verify '%s'", final), 0);
    char *tampered = strdup(r.body);
    char *at = strstr(tampered, "450 trucks");
    at[0] = '9';
    const char *bad = save("tampered.json", tampered);
    assert_int_equal(th_truce(NULL, NULL, NULL, "agreement verify '%s'", bad), 1);
    free(tampered);
    th_resp_free(&r);
    /* Not a member: no agreement. */
    assert_int_equal(req("GET", "/api/v1/agreements/3", un, NULL, NULL), 404);
    /* The list names the negotiation each came from (none for one recorded). */
    assert_int_equal(req("GET", "/api/v1/agreements", israel, NULL, &r), 200);
    json_t *line = json_array_get(json_object_get(r.json, "agreements"), 2);
    assert_int_equal(json_integer_value(json_object_get(line, "id")), 3);
    assert_int_equal(json_integer_value(json_object_get(line, "negotiation")), 3);
    line = json_array_get(json_object_get(r.json, "agreements"), 1);
    assert_true(json_is_null(json_object_get(line, "negotiation")));
    th_resp_free(&r);
    free(sig);
    free(pk_i);
    free(pk_h);
}

static void analysis_and_suggestions(void **state)
{
    th_resp r;
    (void)state;
    assert_int_equal(req("POST", "/api/v1/negotiations", usa,
                         "{\"title\":\"Crossings\",\"parties\":[\"israel\",\"hamas\"],"
                         "\"mediators\":[\"usa\"],\"issues\":[{\"name\":\"Trucks\",\"options\":"
                         "[\"300\",\"450\",\"600\"]},{\"name\":\"Rafah\",\"options\":[\"closed\","
                         "\"wounded only\",\"open\"]}]}",
                         &r),
                     201);
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/analysis", (long long)id);
    assert_int_equal(req("GET", path, usa, NULL, &r), 200);
    assert_true(json_is_false(json_object_get(r.json, "available")));
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/profile", (long long)id);
    /* Both prefer Rafah open to the wounded; they disagree on trucks. */
    assert_int_equal(req("PUT", path, israel,
                         "{\"weights\":{\"Trucks\":1,\"Rafah\":1},"
                         "\"values\":{\"Trucks\":{\"300\":1,\"450\":0.5},\"Rafah\":{\"closed\":0.5,"
                         "\"wounded only\":1}}}",
                         NULL),
                     200);
    assert_int_equal(req("PUT", path, hamas,
                         "{\"weights\":{\"Trucks\":1,\"Rafah\":1},"
                         "\"values\":{\"Trucks\":{\"600\":1,\"450\":0.5},\"Rafah\":{\"open\":0.5,"
                         "\"wounded only\":1}}}",
                         NULL),
                     200);
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/analysis", (long long)id);
    assert_int_equal(req("GET", path, usa, NULL, &r), 200);
    assert_true(json_is_true(json_object_get(r.json, "available")));
    assert_string_equal(json_string_value(json_object_get(r.json, "outcomes")), "9");
    json_t *nash = json_object_get(json_object_get(r.json, "nash"), "package");
    assert_string_equal(json_string_value(json_object_get(nash, "Rafah")), "wounded only");
    assert_string_equal(json_string_value(json_object_get(nash, "Trucks")), "450");
    assert_null(strstr(r.body, "\"values\""));
    /* The frontier for the chart, against brute force over the nine outcomes: the profiles'
     * utilities (weights 1:1), the non-dominated ones, as gains over each party's best on
     * the frontier (no reservation values: 0). */
    static const double ti[3] = {1, 0.5, 0}, ri[3] = {0.5, 1, 0}; /* Israel: trucks, Rafah */
    static const double th[3] = {0, 0.5, 1}, rh[3] = {0, 1, 0.5}; /* Hamas */
    double u[9][2], front[9][2], best[2] = {0, 0};
    int nf = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            u[a * 3 + b][0] = (ti[a] + ri[b]) / 2, u[a * 3 + b][1] = (th[a] + rh[b]) / 2;
    for (int i = 0; i < 9; i++) {
        int dominated = 0, dup = 0;
        for (int j = 0; j < 9; j++)
            if (u[j][0] >= u[i][0] && u[j][1] >= u[i][1] &&
                (u[j][0] > u[i][0] || u[j][1] > u[i][1]))
                dominated = 1;
        for (int k = 0; k < nf; k++)
            dup |= front[k][0] == u[i][0] && front[k][1] == u[i][1];
        if (dominated || dup) continue;
        front[nf][0] = u[i][0], front[nf][1] = u[i][1], nf++;
        for (int p = 0; p < 2; p++)
            if (u[i][p] > best[p]) best[p] = u[i][p];
    }
    json_t *fr = json_object_get(r.json, "frontier");
    assert_int_equal(json_array_size(fr), nf);
    assert_int_equal(json_integer_value(json_object_get(r.json, "frontier_size")), nf);
    for (int k = 0; k < nf; k++) {
        int found = 0;
        size_t i;
        json_t *pt;
        json_array_foreach(fr, i, pt)
        {
            double gi = json_real_value(json_object_get(pt, "israel")),
                   gh = json_real_value(json_object_get(pt, "hamas"));
            found |=
                fabs(gi - front[k][0] / best[0]) < 1e-9 && fabs(gh - front[k][1] / best[1]) < 1e-9;
        }
        assert_true(found);
    }
    th_resp_free(&r);
    /* Parties do not get the analysis. */
    assert_int_equal(req("GET", path, israel, NULL, NULL), 403);
    /* A text that leaves something on the table, and what improves it. */
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/texts", (long long)id);
    assert_int_equal(req("POST", path, usa,
                         "{\"package\":{\"Trucks\":\"450\",\"Rafah\":"
                         "\"closed\"}}",
                         &r),
                     201);
    assert_true(json_is_false(json_object_get(json_object_get(r.json, "analysis"), "efficient")));
    /* What dominates it, with the gains a chart places it at: (450, wounded only) first,
     * one change, at the brute force's utilities over each party's best. */
    json_t *dom =
        json_array_get(json_object_get(json_object_get(r.json, "analysis"), "dominated_by"), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(dom, "package"), "Rafah")),
        "wounded only");
    json_t *dg = json_object_get(dom, "gains");
    assert_true(fabs(json_real_value(json_object_get(dg, "israel")) - u[4][0] / best[0]) < 1e-9);
    assert_true(fabs(json_real_value(json_object_get(dg, "hamas")) - u[4][1] / best[1]) < 1e-9);
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/suggestions", (long long)id);
    assert_int_equal(req("POST", path, usa, "{}", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "from")), 1);
    json_t *first = json_array_get(json_object_get(r.json, "improvements"), 0);
    assert_non_null(first);
    assert_int_equal(json_integer_value(json_object_get(first, "changes")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "package"), "Rafah")),
        "wounded only");
    th_resp_free(&r);
    assert_int_equal(req("POST", path, usa, "{\"text\":7}", NULL), 404);
    assert_int_equal(req("POST", path, usa, "{\"text\":\"one\"}", NULL), 400);
}

static void domains_imported_and_abandoning(void **state)
{
    th_resp r;
    char path[1024];
    (void)state;
    snprintf(path, sizeof path,
             "%s/negotiation/genius/y2010/EnglandZimbabwe/"
             "EnglandZimbabwe_domain.xml",
             getenv("TRUCE_DATA"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *xml = calloc(1, 65536);
    size_t n = fread(xml, 1, 65535, f);
    fclose(f);
    xml[n] = 0;
    json_t *body = json_pack("{s:s, s:[s, s], s:[s], s:s}", "title", "Imported", "parties",
                             "israel", "hamas", "mediators", "usa", "genius_domain", xml);
    char *text = json_dumps(body, JSON_COMPACT);
    assert_int_equal(req("POST", "/api/v1/negotiations", usa, text, &r), 201);
    assert_int_equal(json_array_size(json_object_get(r.json, "issues")), 5);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(r.json, "issues"), 0), "name")),
                        "Size of Fund");
    int64_t id = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    free(text);
    /* Inline and imported at once, or a broken domain: 400 naming the field. */
    json_object_set_new(body, "issues", json_pack("[{s:s, s:[s]}]", "name", "x", "options", "y"));
    text = json_dumps(body, JSON_COMPACT);
    assert_int_equal(req("POST", "/api/v1/negotiations", usa, text, &r), 400);
    th_resp_free(&r);
    free(text);
    json_object_del(body, "issues");
    json_object_set_new(body, "genius_domain", json_string("<not-a-domain/>"));
    text = json_dumps(body, JSON_COMPACT);
    assert_int_equal(req("POST", "/api/v1/negotiations", usa, text, &r), 400);
    assert_string_equal(th_field(&r), "genius_domain");
    th_resp_free(&r);
    free(text);
    json_object_del(body, "genius_domain");
    json_object_set_new(body, "geniusweb_domain",
                        json_pack("{s:s, s:{s:{s:{s:i, s:i, s:i}}, s:{s:[s, s]}}}", "name", "aid",
                                  "issuesValues", "trucks", "range", "low", 300, "high", 600,
                                  "step", 150, "crossing", "values", "Rafah", "Kerem Shalom"));
    text = json_dumps(body, JSON_COMPACT);
    assert_int_equal(req("POST", "/api/v1/negotiations", usa, text, &r), 201);
    assert_non_null(strstr(r.body, "\"options\":[\"300\",\"450\",\"600\"]"));
    th_resp_free(&r);
    free(text);
    json_decref(body);
    free(xml);
    /* Abandoning closes it for texts. */
    char p2[128];
    snprintf(p2, sizeof p2, "/api/v1/negotiations/%lld/abandon", (long long)id);
    assert_int_equal(req("POST", p2, israel, "{\"reason\":\"no\"}", NULL), 403);
    assert_int_equal(req("POST", p2, usa, "{\"reason\":\"talks suspended\"}", &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "state")), "abandoned");
    th_resp_free(&r);
    assert_int_equal(req("POST", p2, usa, "{\"reason\":\"again\"}", &r), 409);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "error"), "code")),
        "negotiation.closed");
    th_resp_free(&r);
    snprintf(p2, sizeof p2, "/api/v1/negotiations/%lld/texts", (long long)id);
    assert_int_equal(req("POST", p2, usa, "{\"package\":{}}", NULL), 409);
}

static void contains_marker(const th_resp *r, const char *who, const char *path)
{
    static const char *markers[] = {MARK_RESERVATION, MARK_WEIGHT, MARK_VALUE,    "31415926",
                                    "2718281",        "1414213",   SECRET_COMMENT};
    size_t n = sizeof markers / sizeof markers[0] - (strcmp(who, "Hamas") == 0);
    for (size_t m = 0; m < n; m++)
        if (strstr(r->body, markers[m]) || strstr(r->headers, markers[m]))
            fail_msg("%s saw Israel's marker %s at %s: %s", who, markers[m], path, r->body);
}

static void no_other_caller_sees_a_private_profile(void **state)
{
    char paths[16][128];
    int np = 0;
    (void)state;
    int64_t n = th_journal_len(T.db);
    snprintf(paths[np++], 128, "/api/v1/negotiations/2");
    snprintf(paths[np++], 128, "/api/v1/negotiations/2/profile");
    snprintf(paths[np++], 128, "/api/v1/journal?limit=1000");
    snprintf(paths[np++], 128, "/api/v1/log/entries?start=0&end=%lld", (long long)n);
    snprintf(paths[np++], 128, "/api/v1/log/entries?start=%lld&end=%lld", (long long)(n - 5),
             (long long)n);
    snprintf(paths[np++], 128, "/tile/entries/000.p/%lld", (long long)(n < 256 ? n : 255));
    snprintf(paths[np++], 128, "/tile/0/000.p/%lld", (long long)(n < 256 ? n : 255));
    snprintf(paths[np++], 128, "/api/v1/log/checkpoint");
    snprintf(paths[np++], 128, "/metrics");
    snprintf(paths[np++], 128, "/api/v1/orgs");
    snprintf(paths[np++], 128, "/api/v1/negotiations/2/nothing");
    snprintf(paths[np++], 128, "/api/v1/negotiations/3/texts/2");
    snprintf(paths[np++], 128, "/api/v1/negotiations/3/texts/1");
    snprintf(paths[np++], 128, "/api/v1/negotiations/2/analysis");
    snprintf(paths[np++], 128, "/api/v1/agreements/3");
    /* Israel's markers must reach nobody; Hamas's mediators-only comment must not reach
     * Israel. Mediators do see Hamas's comment, so they are checked for Israel's only. */
    const char *callers[] = {NULL, hamas, un, admin, israel};
    const char *names[] = {"the public", "Hamas", "a monitor", "an administrator", "Israel"};
    for (size_t c = 0; c < sizeof callers / sizeof callers[0]; c++)
        for (int i = 0; i < np; i++) {
            th_resp r;
            req("GET", paths[i], callers[c], NULL, &r);
            if (callers[c] == israel) {
                if (strstr(r.body, SECRET_COMMENT))
                    fail_msg("Israel saw Hamas's comment at %s", paths[i]);
            } else {
                contains_marker(&r, names[c], paths[i]);
            }
            th_resp_free(&r);
        }
    /* Mediators see texts and responses, but no profile of a party that discloses none. */
    for (int i = 0; i < np; i++) {
        th_resp r;
        static const char *israel_only[] = {MARK_RESERVATION, MARK_WEIGHT, MARK_VALUE};
        req("GET", paths[i], usa, NULL, &r);
        for (int m = 0; m < 3; m++)
            if (strstr(r.body, israel_only[m]))
                fail_msg("a mediator saw Israel's %s at %s", israel_only[m], paths[i]);
        th_resp_free(&r);
    }
    /* Errors too: a bad profile from Hamas, a write refused to a mediator. */
    th_resp r;
    req("PUT", "/api/v1/negotiations/2/profile", hamas, "{\"weights\":{\"x\":1},\"values\":{}}",
        &r);
    contains_marker(&r, "Hamas", "a refused profile");
    th_resp_free(&r);
    req("PUT", "/api/v1/negotiations/2/profile", usa, ISRAEL_PROFILE, &r);
    assert_int_equal(r.status, 403);
    th_resp_free(&r);
    /* And Israel does see its own. */
    assert_int_equal(req("GET", "/api/v1/negotiations/2/profile", israel, NULL, &r), 200);
    assert_non_null(strstr(r.body, MARK_RESERVATION));
    th_resp_free(&r);
}

/* A negotiation of 64 issues of 20 options, with both parties' profiles disclosing gains:
 * 20^64 packages whose frontier no server thread may spend minutes on. Returns its id. */
static json_int_t huge_negotiation(void)
{
    buf b = BUF_INIT;
    th_resp r;
    buf_puts(&b, "{\"title\":\"Everything at once\",\"parties\":[\"israel\",\"hamas\"],"
                 "\"mediators\":[\"usa\"],\"issues\":[");
    for (int i = 0; i < 64; i++) {
        buf_printf(&b, "%s{\"name\":\"i%d\",\"options\":[", i ? "," : "", i);
        for (int o = 0; o < 20; o++)
            buf_printf(&b, "%s\"o%d\"", o ? "," : "", o);
        buf_puts(&b, "]}");
    }
    buf_puts(&b, "]}");
    assert_int_equal(req("POST", "/api/v1/negotiations", usa, b.p, &r), 201);
    json_int_t id = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    for (int party = 0; party < 2; party++) {
        char path[64];
        buf_reset(&b);
        buf_puts(&b, "{\"weights\":{");
        for (int i = 0; i < 64; i++)
            buf_printf(&b, "%s\"i%d\":%d", i ? "," : "", i, 1 + i % 7);
        buf_puts(&b, "},\"values\":{");
        for (int i = 0; i < 64; i++) {
            buf_printf(&b, "%s\"i%d\":{", i ? "," : "", i);
            for (int o = 0; o < 20; o++) /* fine-grained, conflicting values */
                buf_printf(&b, "%s\"o%d\":%.3f", o ? "," : "", o,
                           party ? (double)((i * 37 + o * 11) % 1000) / 999
                                 : 1 - (double)((i * 37 + o * 13) % 1000) / 999);
            buf_puts(&b, "}");
        }
        buf_puts(&b, "}}");
        snprintf(path, sizeof path, "/api/v1/negotiations/%lld/profile", (long long)id);
        assert_int_equal(req("PUT", path, party ? hamas : israel, b.p, NULL), 200);
    }
    buf_free(&b);
    return id;
}

/* The engine works within the server's limits (past them the analysis says it is not
 * available, and why), and never inside the single writer: with the writer held up by
 * another connection's lock, a one-sided text is still refused at once. */
static void analysis_stays_within_limits_and_off_the_writer(void **state)
{
    th_resp r;
    tr_err e = TR_ERR_INIT;
    char path[96], text[2048];
    (void)state;
    json_int_t id = huge_negotiation();
    int n = snprintf(text, sizeof text, "{\"package\":{");
    for (int i = 0; i < 64; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s\"i%d\":\"o0\"", i ? "," : "", i);
    snprintf(text + n, sizeof text - (size_t)n, "}}");
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/texts", (long long)id);
    assert_int_equal(req("POST", path, usa, text, &r), 201);
    json_t *an = json_object_get(r.json, "analysis");
    assert_true(json_is_false(json_object_get(an, "available")));
    assert_non_null(strstr(json_string_value(json_object_get(an, "note")), "too large"));
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/analysis", (long long)id);
    assert_int_equal(req("GET", path, usa, NULL, &r), 200);
    assert_true(json_is_false(json_object_get(r.json, "available")));
    th_resp_free(&r);

    assert_int_equal(req("POST", "/api/v1/negotiations", usa, BALANCED_NEGOTIATION, &r), 201);
    id = json_integer_value(json_object_get(r.json, "id"));
    th_resp_free(&r);
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/profile", (long long)id);
    assert_int_equal(req("PUT", path, israel,
                         "{\"weights\":{\"Trucks\":1,\"Withdrawal\":1},\"values\":{\"Trucks\":"
                         "{\"300\":1,\"450\":0.5,\"600\":0},\"Withdrawal\":{\"corridor\":1,"
                         "\"buffer\":0.5,\"full\":0}}}",
                         NULL),
                     200);
    assert_int_equal(req("PUT", path, hamas,
                         "{\"weights\":{\"Trucks\":1,\"Withdrawal\":1},\"values\":{\"Trucks\":"
                         "{\"300\":0,\"450\":0.5,\"600\":1},\"Withdrawal\":{\"corridor\":0,"
                         "\"buffer\":0.5,\"full\":1}},\"reservation\":0.2}",
                         NULL),
                     200);
    store *holder = store_open(T.db, 0, &e); /* the writer waits for this one */
    assert_non_null(holder);
    assert_int_equal(holder->ops->begin(holder, &e), 0);
    assert_int_equal(holder->ops->meta_set(holder, "held", "1", &e), 0);
    snprintf(path, sizeof path, "/api/v1/negotiations/%lld/texts", (long long)id);
    assert_int_equal(req("POST", path, usa,
                         "{\"package\":{\"Trucks\":\"300\",\"Withdrawal\":\"corridor\"}}", &r),
                     409);
    assert_string_equal(th_code(&r), "text.one_sided");
    th_resp_free(&r);
    holder->ops->rollback(holder);
    holder->ops->close(holder);
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
        cmocka_unit_test(relay_comments_reach_the_other_party),
        cmocka_unit_test(open_read_and_put_profiles),
        cmocka_unit_test(bad_input_changes_nothing),
        cmocka_unit_test(texts_analysis_override_sending_and_responses),
        cmocka_unit_test(an_agreement_every_party_signs),
        cmocka_unit_test(analysis_and_suggestions),
        cmocka_unit_test(domains_imported_and_abandoning),
        cmocka_unit_test(no_other_caller_sees_a_private_profile),
        cmocka_unit_test(analysis_stays_within_limits_and_off_the_writer),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    return cmocka_run_group_tests_name("mediation", tests, setup, teardown);
}
