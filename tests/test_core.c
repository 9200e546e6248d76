/* test_core.c - the string buffer, arena, errors, time and hex helpers, and the sign-in
 * throttle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "core/throttle.h"
#include "core/codes.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"

#include <sodium.h>
#include <math.h>
#include <stdlib.h>
#include <regex.h>
#include <string.h>

static void buf_grows_and_terminates(void **state)
{
    buf b = BUF_INIT;
    (void)state;
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    assert_int_equal(b.len, strlen(b.p));
    assert_memory_equal(b.p, "0,1,2,", 6);
    assert_string_equal(b.p + b.len - 4, "999,");
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.p, "");
    buf_append(&b, "a\0b", 3);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.p, "a\0b", 4);
    char *s = buf_steal(&b);
    assert_null(b.p);
    free(s);
    s = buf_steal(&b); /* An empty buffer gives an empty string, never NULL. */
    assert_string_equal(s, "");
    free(s);
}

/* util_i64 writes what printf's %lld would, at the edges too. */
static void integers_in_decimal(void **state)
{
    static const int64_t v[] = {0, 7, -1, 10, -10, 1234567890123, INT64_MAX, INT64_MIN};
    (void)state;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char got[UTIL_I64_LEN + 1], want[32];
        size_t n = util_i64(got, v[i]);
        got[n] = 0;
        snprintf(want, sizeof want, "%lld", (long long)v[i]);
        assert_string_equal(got, want);
    }
}

static void arena_aligns_and_zeroes(void **state)
{
    arena a = ARENA_INIT;
    (void)state;
    for (int i = 0; i < 2000; i++) {
        unsigned char *p = arena_alloc(&a, (size_t)(i % 37) + 1);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (int j = 0; j < i % 37 + 1; j++)
            assert_int_equal(p[j], 0);
        memset(p, 0xab, (size_t)(i % 37) + 1);
    }
    char *big = arena_alloc(&a, 100000); /* Larger than a chunk. */
    assert_non_null(big);
    assert_string_equal(arena_strndup(&a, "hello world", 5), "hello");
    arena_free(&a);
    assert_null(a.head);
}

static void err_carries_code_detail_and_hint(void **state)
{
    tr_err e = TR_ERR_INIT;
    (void)state;
    assert_int_equal(err_field(&e, "request.missing_field", "name", "add it", "missing %s", "name"),
                     -1);
    assert_int_equal(e.status, 400);
    json_t *j = err_to_json(&e);
    json_t *inner = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(inner, "code")), "request.missing_field");
    assert_string_equal(json_string_value(json_object_get(inner, "message")), "missing name");
    assert_string_equal(json_string_value(json_object_get(inner, "hint")), "add it");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(inner, "detail"), "field")), "name");
    json_decref(j);
    err_clear(&e);
    assert_int_equal(e.status, 0);
    /* Without a hint or detail both are null, never absent. */
    err_set(&e, 500, "x.y", NULL, "boom");
    j = err_to_json(&e);
    inner = json_object_get(j, "error");
    assert_true(json_is_null(json_object_get(inner, "hint")));
    assert_true(json_is_null(json_object_get(inner, "detail")));
    json_decref(j);
    err_clear(&e);
}

static void time_is_iso8601_utc_with_ms(void **state)
{
    char t[UTIL_ISO_LEN];
    (void)state;
    util_now_iso(t);
    assert_int_equal(strlen(t), 24);
    assert_int_equal(t[4], '-');
    assert_int_equal(t[10], 'T');
    assert_int_equal(t[19], '.');
    assert_int_equal(t[23], 'Z');
    assert_true(strncmp(t, "2020", 4) > 0);
}

static void hex_round_trips_and_rejects(void **state)
{
    unsigned char in[4] = {0x00, 0xff, 0x10, 0xab}, out[4];
    char hex[9];
    (void)state;
    util_hex(hex, in, 4);
    assert_string_equal(hex, "00ff10ab");
    assert_int_equal(util_unhex(out, 4, "00FF10ab"), 0);
    assert_memory_equal(in, out, 4);
    assert_int_equal(util_unhex(out, 4, "00ff10a"), -1);
    assert_int_equal(util_unhex(out, 4, "00ff10ag"), -1);
    char r1[65], r2[65];
    util_random_hex(r1, 32);
    util_random_hex(r2, 32);
    assert_int_equal(strlen(r1), 64);
    assert_string_not_equal(r1, r2);
}

static void slugs(void **state)
{
    (void)state;
    assert_true(util_is_slug("kerem-shalom"));
    assert_true(util_is_slug("un"));
    assert_true(util_is_slug("a1"));
    assert_false(util_is_slug(""));
    assert_false(util_is_slug("-x"));
    assert_false(util_is_slug("Israel"));
    assert_false(util_is_slug("a b"));
    assert_false(util_is_slug("a_b"));
    assert_false(util_is_slug("\xd8\xba"));
    char long_slug[66];
    memset(long_slug, 'a', 65);
    long_slug[65] = 0;
    assert_false(util_is_slug(long_slug));
    long_slug[64] = 0;
    assert_true(util_is_slug(long_slug));
}

/* Calendar dates as the filters and reports take them: leap years by the Gregorian rule,
 * exactly ten characters. */
static void calendar_dates(void **state)
{
    (void)state;
    static const char *const good[] = {"2024-02-29", "2000-02-29", "2025-12-31", "0001-01-01",
                                       "2025-04-30"};
    static const char *const bad[] = {"2025-02-29",  "1900-02-29", "2025-04-31", "2025-13-01",
                                      "2025-00-10",  "2025-01-00", "0000-01-01", "2025-1-01",
                                      "2025-01-011", "2025/01/01", "",           "yesterday"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(util_is_date(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (util_is_date(bad[i])) fail_msg("'%s' taken for a date", bad[i]);
    char iso[UTIL_ISO_LEN], day[11];
    util_iso_at(951782400, iso); /* 2000-02-29T00:00:00Z */
    assert_string_equal(iso, "2000-02-29T00:00:00.000Z");
    util_day_at(951782400 + 86399, day);
    assert_string_equal(day, "2000-02-29");
}

/* An error's JSON stays JSON whatever its message quotes: bytes that are not UTF-8 (a stray
 * byte, a character cut in two, a surrogate, an overlong form) become U+FFFD; UTF-8 text is
 * kept as it is. */
static void error_json_survives_bytes_that_are_not_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {{"no endpoint at /n\xffwhere", "no endpoint at /n\xef\xbf\xbdwhere"},
                 {"cut \xd8", "cut \xef\xbf\xbd"},
                 {"surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
                 {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
                 {"\xd8\xb1\xd9\x81\xd8\xad \xd7\xa8\xd7\xa4\xd7\x99\xd7\x97",
                  "\xd8\xb1\xd9\x81\xd8\xad \xd7\xa8\xd7\xa4\xd7\x99\xd7\x97"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_err e = TR_ERR_INIT;
        err_set(&e, 404, "route.not_found", "hint \xff", "%s", cases[i].in);
        json_t *j = err_to_json(&e);
        json_t *inner = json_object_get(j, "error");
        assert_non_null(inner);
        assert_string_equal(json_string_value(json_object_get(inner, "message")), cases[i].out);
        assert_string_equal(json_string_value(json_object_get(inner, "hint")), "hint \xef\xbf\xbd");
        char *text = json_dumps(j, 0);
        assert_non_null(text);
        free(text);
        json_decref(j);
        err_clear(&e);
    }
}

/* Growing delays: free failures, then waits doubling up to the cap, forgotten later;
 * and remembered keys. */
static void throttle_delays_grow_and_are_forgotten(void **state)
{
    (void)state;
    throttle *t = throttle_new_growing(2, 8, 100);
    throttle_failed(t, "k", 1000);
    throttle_failed(t, "k", 1000);
    assert_int_equal(throttle_wait(t, "k", 1000), 0); /* two free */
    throttle_failed(t, "k", 1000);
    assert_int_equal(throttle_wait(t, "k", 1000), 1);
    throttle_failed(t, "k", 1001);
    assert_int_equal(throttle_wait(t, "k", 1001), 2);
    throttle_failed(t, "k", 1003);
    assert_int_equal(throttle_wait(t, "k", 1003), 4);
    for (int i = 0; i < 5; i++)
        throttle_failed(t, "k", 1010);
    assert_int_equal(throttle_wait(t, "k", 1010), 8); /* the cap */
    assert_int_equal(throttle_wait(t, "k", 1110), 0); /* forgotten */
    throttle_failed(t, "k", 1110);
    assert_int_equal(throttle_wait(t, "k", 1110), 0); /* counting from the start again */
    assert_int_equal(throttle_wait(t, "other", 1010), 0);
    assert_false(throttle_remembers(t, "p:1.2.3.4\nalice"));
    throttle_remember(t, "p:1.2.3.4\nalice", 1000);
    assert_true(throttle_remembers(t, "p:1.2.3.4\nalice"));
    assert_false(throttle_remembers(t, "p:1.2.3.5\nalice"));
    throttle_free(t);
}

static void throttle_locks_after_failures_and_expires(void **state)
{
    throttle *t = throttle_new(3, 60);
    (void)state;
    assert_int_equal(throttle_wait(t, "u:a", 1000), 0);
    throttle_failed(t, "u:a", 1000);
    throttle_failed(t, "u:a", 1001);
    assert_int_equal(throttle_wait(t, "u:a", 1002), 0);
    throttle_failed(t, "u:a", 1002);
    assert_int_equal(throttle_wait(t, "u:a", 1010), 50); /* Locked until 1000 + 60. */
    assert_int_equal(throttle_wait(t, "u:b", 1010), 0);  /* Other keys are unaffected. */
    assert_int_equal(throttle_wait(t, "u:a", 1060), 0);  /* The window has passed. */
    throttle_failed(t, "u:a", 1100);
    throttle_failed(t, "u:a", 1100);
    throttle_succeeded(t, "u:a"); /* Success clears the count. */
    throttle_failed(t, "u:a", 1101);
    assert_int_equal(throttle_wait(t, "u:a", 1101), 0);
    /* A flood of distinct keys cannot evict memory without bound, and still locks. */
    char key[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "u:%d", i);
        throttle_failed(t, key, 2000);
    }
    for (int i = 0; i < 3; i++)
        throttle_failed(t, "u:target", 2000);
    assert_true(throttle_wait(t, "u:target", 2001) > 0);
    throttle_free(t);
}

/* util_real_text: the shortest of %.15g, %.16g and %.17g that reads back as the same
 * double (what the import stores and journals for a coordinate). */
static void reals_as_their_shortest_text(void **state)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {{31.5134, "31.5134"},
                 {34.4751, "34.4751"},
                 {0.1 + 0.2, "0.30000000000000004"},
                 {1e-05, "1e-05"},
                 {-90, "-90"},
                 {180, "180"},
                 {0.0, "0"},
                 {31.503900000000002, "31.5039"},
                 {1.0 / 3, "0.3333333333333333"}};
    char t[40];
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(util_real_text(t, sizeof t, cases[i].v), strlen(cases[i].text));
        assert_string_equal(t, cases[i].text);
    }
    srand(20251127);
    for (int i = 0; i < 100000; i++) { /* every double reads back as itself */
        double v = ldexp((double)rand() / RAND_MAX, rand() % 200 - 100) * (rand() % 2 ? 1 : -1);
        util_real_text(t, sizeof t, v);
        if (strtod(t, NULL) != v) fail_msg("%.17g written as %s", v, t);
        char shorter[40];
        snprintf(shorter, sizeof shorter, "%.15g", v);
        if (strtod(shorter, NULL) == v && strcmp(shorter, t) != 0)
            fail_msg("%.17g written as %s, not %s", v, t, shorter);
    }
}

/* ---- the registry of error codes ------------------------------------------------------ */

/* Every code the sources set (err_set/fail_with with its status, err_field with 400) is in
 * core/codes.c with that status; the registry is sorted and has each code once; every code
 * the API may send is in docs/api.md, and every code docs/api.md's table of errors names is
 * in the registry. (The API tests check the codes servers actually send: see test_api.) */
static void error_codes_are_registered_and_documented(void **state)
{
    (void)state;
    for (size_t i = 1; i < err_n_codes; i++)
        if (strcmp(err_codes[i - 1].code, err_codes[i].code) >= 0)
            fail_msg("the registry is not in order, or repeats: %s, %s", err_codes[i - 1].code,
                     err_codes[i].code);
    regex_t set, field;
    assert_int_equal(regcomp(&set,
                             "(err_set|fail_with)\\([^,;]*,[[:space:]]*([0-9]{3}),[[:space:]]*"
                             "\"([a-z_]+\\.[a-z_.]+)\"",
                             REG_EXTENDED),
                     0);
    assert_int_equal(
        regcomp(&field, "err_field\\([^,;]*,[[:space:]]*\"([a-z_]+\\.[a-z_.]+)\"", REG_EXTENDED),
        0);
    FILE *list = popen("find '" TRUCE_SOURCE_ROOT "/src' -name '*.c'", "r");
    char file[1024];
    int files = 0, found = 0;
    while (fgets(file, sizeof file, list)) {
        file[strcspn(file, "\n")] = 0;
        char *text = th_slurp(file, NULL);
        files++;
        for (int pass = 0; pass < 2; pass++) {
            regex_t *re = pass ? &field : &set;
            regmatch_t m[4];
            for (const char *p = text; regexec(re, p, 4, m, 0) == 0; p += m[0].rm_eo) {
                int k = pass ? 1 : 3;
                char code[64] = "";
                int status = 400;
                snprintf(code, sizeof code, "%.*s", (int)(m[k].rm_eo - m[k].rm_so), p + m[k].rm_so);
                if (!pass) status = atoi(p + m[2].rm_so);
                const err_code *c = err_code_find(code);
                if (!c) fail_msg("%s sets %s, which core/codes.c lacks", file, code);
                /* err_field is a 400 unless the caller changes it (a 422 key reused). */
                if (c->status != status && !(pass && c->status == 422))
                    fail_msg("%s sets %s with %d, core/codes.c says %d", file, code, status,
                             c->status);
                found++;
            }
        }
        free(text);
    }
    pclose(list);
    regfree(&set);
    regfree(&field);
    assert_true(files > 40 && found > 200);

    char *api = th_slurp(TRUCE_SOURCE_ROOT "/docs/api.md", NULL);
    assert_true(strlen(api) > 10000);
    for (size_t i = 0; i < err_n_codes; i++) {
        char quoted[80];
        snprintf(quoted, sizeof quoted, "`%s`", err_codes[i].code);
        if ((err_codes[i].where & ERR_API) && !strstr(api, quoted))
            fail_msg("docs/api.md does not document %s", err_codes[i].code);
    }
    /* The table of errors: its rows start "| 4" or "| 5". */
    for (const char *line = api; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, "| 4", 3) != 0 && strncmp(line, "| 5", 3) != 0) continue;
        const char *end = strchr(line, '\n');
        for (const char *q = strchr(line, '`'); q && (!end || q < end); q = strchr(q + 1, '`')) {
            const char *close = strchr(q + 1, '`');
            if (!close || (end && close > end)) break;
            char code[80];
            snprintf(code, sizeof code, "%.*s", (int)(close - q - 1), q + 1);
            if (strchr(code, '.') && !strchr(code, ' ') && !strchr(code, '-') &&
                strncmp(code, "detail.", 7) != 0 && !strchr(code, '=') && code[0] >= 'a' &&
                code[0] <= 'z' && !err_code_find(code))
                fail_msg("docs/api.md's errors name %s, which core/codes.c lacks", code);
            q = close;
        }
    }
    free(api);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_grows_and_terminates),
        cmocka_unit_test(arena_aligns_and_zeroes),
        cmocka_unit_test(integers_in_decimal),
        cmocka_unit_test(err_carries_code_detail_and_hint),
        cmocka_unit_test(time_is_iso8601_utc_with_ms),
        cmocka_unit_test(hex_round_trips_and_rejects),
        cmocka_unit_test(slugs),
        cmocka_unit_test(calendar_dates),
        cmocka_unit_test(reals_as_their_shortest_text),
        cmocka_unit_test(error_json_survives_bytes_that_are_not_utf8),
        cmocka_unit_test(throttle_locks_after_failures_and_expires),
        cmocka_unit_test(throttle_delays_grow_and_are_forgotten),
        cmocka_unit_test(error_codes_are_registered_and_documented),
    };
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
