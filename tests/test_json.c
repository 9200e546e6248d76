/* test_json.c - strict schemas and the canonical encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "json/jsx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"party", "mediator", NULL};
static const jsx_field point[] = {
    {.name = "lat", .type = JSX_NUMBER, .min = -90, .max = 90},
    {.name = "lon", .type = JSX_NUMBER, .min = -180, .max = 180},
    {0},
};
static const jsx_field point_item[] = {{.name = "", .type = JSX_OBJECT, .fields = point}, {0}};
static const jsx_field schema[] = {
    {.name = "slug", .type = JSX_SLUG},
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 10},
    {.name = "kind", .type = JSX_STRING, .oneof = kinds},
    {.name = "count", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 0, .max = 100},
    {.name = "flag", .type = JSX_BOOL, .flags = JSX_OPTIONAL | JSX_NULLABLE},
    {.name = "points", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 3, .items = point_item},
    {0},
};

/* Checks `text` against the schema; returns the error code ("" when it passes) and the
 * field the error names. */
static const char *run(const char *text, char *field)
{
    static char code[48];
    tr_err e = TR_ERR_INIT;
    json_t *v = jsx_parse(text, strlen(text), &e);
    int rc = v ? jsx_check(v, schema, NULL, &e) : -1;
    json_decref(v);
    field[0] = 0;
    if (rc == 0) return "";
    assert_int_equal(e.status, 400);
    snprintf(code, sizeof code, "%s", e.code);
    const char *f = json_string_value(json_object_get(e.detail, "field"));
    if (f) strcpy(field, f);
    err_clear(&e);
    return code;
}

static void schema_accepts_valid(void **state)
{
    char f[256];
    (void)state;
    assert_string_equal(run("{\"slug\":\"a-1\",\"name\":\"x\",\"kind\":\"party\"}", f), "");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"\xd8\xba\xd8\xb2\xd8\xa9\",\"kind\":"
                            "\"mediator\",\"count\":100,\"flag\":null,\"points\":[{\"lat\":31.5,"
                            "\"lon\":34.4}]}",
                            f),
                        "");
}

static void schema_names_the_field(void **state)
{
    char f[256];
    (void)state;
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"x\",\"kind\":\"party\",\"extra\":1}", f),
                        "request.unknown_field");
    assert_string_equal(f, "extra");
    assert_string_equal(run("{\"slug\":\"a\",\"kind\":\"party\"}", f), "request.missing_field");
    assert_string_equal(f, "name");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":5,\"kind\":\"party\"}", f),
                        "request.invalid_field");
    assert_string_equal(f, "name");
    assert_string_equal(run("{\"slug\":\"A\",\"name\":\"x\",\"kind\":\"party\"}", f),
                        "request.invalid_field");
    assert_string_equal(f, "slug");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"\",\"kind\":\"party\"}", f),
                        "request.invalid_field");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"01234567890\",\"kind\":\"party\"}", f),
                        "request.invalid_field");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"x\",\"kind\":\"king\"}", f),
                        "request.invalid_field");
    assert_string_equal(f, "kind");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"x\",\"kind\":\"party\",\"count\":1.5}", f),
                        "request.invalid_field");
    assert_string_equal(f, "count");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"x\",\"kind\":\"party\",\"count\":101}", f),
                        "request.invalid_field");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"x\",\"kind\":\"party\",\"flag\":\"y\"}", f),
                        "request.invalid_field");
    assert_string_equal(run("{\"slug\":null,\"name\":\"x\",\"kind\":\"party\"}", f),
                        "request.invalid_field");
    assert_string_equal(f, "slug");
    /* Nested paths. */
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"x\",\"kind\":\"party\",\"points\":"
                            "[{\"lat\":1,\"lon\":2},{\"lat\":91,\"lon\":2}]}",
                            f),
                        "request.invalid_field");
    assert_string_equal(f, "points[1].lat");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"x\",\"kind\":\"party\",\"points\":"
                            "[{\"lat\":1,\"lon\":2,\"alt\":3}]}",
                            f),
                        "request.unknown_field");
    assert_string_equal(f, "points[0].alt");
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"x\",\"kind\":\"party\",\"points\":"
                            "[{},{},{},{}]}",
                            f),
                        "request.invalid_field");
    assert_string_equal(f, "points");
    /* Control characters other than tab and newlines are refused inside strings. */
    assert_string_equal(run("{\"slug\":\"a\",\"name\":\"a\\u0007\",\"kind\":\"party\"}", f),
                        "request.invalid_field");
}

static void parse_rejects_bad_bodies(void **state)
{
    char f[256];
    (void)state;
    assert_string_equal(run("", f), "request.malformed_json");
    assert_string_equal(run("{", f), "request.malformed_json");
    assert_string_equal(run("{\"a\":1,}", f), "request.malformed_json");
    assert_string_equal(run("[1,2]", f), "request.not_object");
    assert_string_equal(run("\"x\"", f), "request.not_object");
    assert_string_equal(run("{\"slug\":\"a\",\"slug\":\"b\",\"name\":\"x\",\"kind\":\"party\"}", f),
                        "request.malformed_json"); /* Duplicate keys. */
    assert_string_equal(run("{\"name\":\"\xff\xfe\"}", f), "request.invalid_utf8");
    assert_string_equal(run("{\"name\":\"\xc0\xaf\"}", f), "request.invalid_utf8"); /* Overlong. */
    assert_string_equal(run("{\"name\":\"a\\u0000b\"}", f), "request.nul_byte");
    /* A raw NUL byte inside the body. */
    tr_err e = TR_ERR_INIT;
    const char raw[] = "{\"name\":\"a\0b\"}";
    assert_null(jsx_parse(raw, sizeof raw - 1, &e));
    assert_int_equal(e.status, 400);
    err_clear(&e);
}

static void canonical_is_sorted_compact_utf8(void **state)
{
    (void)state;
    json_t *a = json_loads("{\"b\": [1, 2, {\"z\": 1, \"a\": \"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"
                           "\"}], \"a\": \"x/y\", \"\xc3\xa9\": true, \"A\": null}",
                           0, NULL);
    json_t *b = json_loads("{\"A\":null,\"\xc3\xa9\":true,\"a\":\"x/y\",\"b\":[1,2,{\"a\":\"\xd7"
                           "\xa9\xd7\x9c\xd7\x95\xd7\x9d\",\"z\":1}]}",
                           0, NULL);
    size_t la, lb;
    char *ca = jsx_canonical(a, &la), *cb = jsx_canonical(b, &lb);
    assert_string_equal(ca, cb);
    assert_string_equal(ca, "{\"A\":null,\"a\":\"x/y\",\"b\":[1,2,{\"a\":\"\xd7\xa9\xd7\x9c\xd7\x95"
                            "\xd7\x9d\",\"z\":1}],\"\xc3\xa9\":true}");
    assert_int_equal(la, strlen(ca));
    free(ca);
    free(cb);
    json_decref(a);
    json_decref(b);

    json_t *c = json_pack("{s:s, s:f, s:I}", "t", "line\n\"q\"\\\x01", "r", 0.1, "i",
                          (json_int_t)9007199254740993LL);
    char *cc = jsx_canonical(c, NULL);
    assert_string_equal(cc, "{\"i\":9007199254740993,\"r\":0.10000000000000001,\"t\":\"line\\n\\\""
                            "q\\\"\\\\\\u0001\"}");
    free(cc);
    json_decref(c);
}

/* The canonical encoding is jansson's: what json_dumps writes with these flags, which
 * jsx_canonical writes without it (and the journal's hashes depend on, byte for byte). */
static char *jansson_canonical(const json_t *v)
{
    char *s =
        json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    assert_non_null(s);
    return s;
}

/* A random JSON value, depth levels deep at most: objects with keys that share prefixes
 * (sorting by bytes, a key before the keys it starts), non-ASCII keys and escapes, more
 * members than an object sorts by insertion; arrays; strings with escapes and UTF-8;
 * integers at the extremes; reals of every size. */
static json_t *random_value(int depth)
{
    static const char *const keys[] = {"a",        "ab",       "abc", "b",   "B",     "_",  "a b",
                                       "\xc3\xa9", "\xd7\xa9", "z\n", "q\"", "k\x01", "id", "zones",
                                       "receipt",  "sources",  "1",   "10",  "9"};
    static const char *const strings[] = {"",
                                          "x/y",
                                          "line\nnext",
                                          "tab\t",
                                          "\"q\"",
                                          "\\",
                                          "\x01\x1f\x7f",
                                          "\xd7\xa9\xd7\x9c",
                                          "Gaza - Tal el Hawa",
                                          "\xf0\x9f\x98\x80"};
    int kind = depth <= 0 ? 2 + rand() % 5 : rand() % 7;
    switch (kind) {
    case 0: {
        json_t *o = json_object();
        int n = rand() % (rand() % 4 ? 6 : 40);
        for (int i = 0; i < n; i++) {
            char key[32];
            if (i < 19 && rand() % 2)
                snprintf(key, sizeof key, "%s", keys[rand() % 19]);
            else
                snprintf(key, sizeof key, "k%d", rand() % 1000);
            json_object_set_new(o, key, random_value(depth - 1));
        }
        return o;
    }
    case 1: {
        json_t *a = json_array();
        for (int i = rand() % 5; i > 0; i--)
            json_array_append_new(a, random_value(depth - 1));
        return a;
    }
    case 2:
        return json_string(strings[rand() % 10]);
    case 3: {
        static const json_int_t ints[] = {0, -1, 1, 9007199254740993LL, INT64_MAX, INT64_MIN};
        return json_integer(rand() % 2 ? ints[rand() % 6] : (json_int_t)rand() - RAND_MAX / 2);
    }
    case 4:
        return json_real(rand() % 2 ? (rand() % 3600000 - 1800000) / 10000.0
                                    : ldexp((double)rand() / RAND_MAX, rand() % 200 - 100));
    default:
        return rand() % 3 == 0 ? json_true() : rand() % 2 ? json_false() : json_null();
    }
}

static void canonical_is_janssons(void **state)
{
    (void)state;
    srand(9162);
    for (int i = 0; i < 20000; i++) {
        json_t *v = random_value(4);
        size_t len;
        char *want = jansson_canonical(v), *got = jsx_canonical(v, &len);
        if (strcmp(want, got) != 0) fail_msg("jansson %s\njsx     %s", want, got);
        assert_int_equal(len, strlen(got));
        free(want);
        free(got);
        json_decref(v);
    }
}

/* jsx_put_real writes what jansson's canonical encoding (%.17g) writes for a real, and
 * jsx_put_string what it writes for a string: checked against jansson for doubles of
 * every size (coordinates and amounts, where it has its own exact arithmetic, ties to
 * even and near powers of ten included) and for strings with something to escape at
 * every position. */
static void pieces_are_what_canonical_writes(void **state)
{
    (void)state;
    srand(6962);
    double fixed[] = {31.5039,
                      34.4363,
                      -90,
                      180,
                      0.0001,
                      0.00009999999999999999,
                      9999999999999998.0,
                      1e15,
                      0.1,
                      0.5,
                      1.5,
                      2.5,
                      123456789012345.67,
                      0.30000000000000004,
                      1e-4,
                      99.999999999999986,
                      9.9999999999999982,
                      4503599627370495.5,
                      4503599627370496.5,
                      -0.0001,
                      1.0 / 3,
                      2.0 / 3};
    for (int i = 0; i < 300000; i++) {
        double v;
        if (i < (int)(sizeof fixed / sizeof fixed[0])) {
            v = fixed[i];
        } else if (i % 3 == 0) { /* a coordinate with a few decimals */
            v = (rand() % 3600000 - 1800000) / 10000.0;
        } else if (i % 3 == 1) { /* any double between 1e-5 and 1e17 */
            v = ldexp((double)rand() / RAND_MAX + 0.5, rand() % 75 - 17) * (rand() % 2 ? 1 : -1);
        } else { /* a dyadic rational: exact ties at the 18th digit happen */
            v = ldexp((double)(rand() % 100000), -(rand() % 40));
        }
        json_t *j = json_real(v);
        char *want = jansson_canonical(j);
        buf got = BUF_INIT;
        jsx_put_real(&got, v);
        if (strcmp(want, got.p) != 0)
            fail_msg("%.17g: jansson %s, jsx_put_real %s", v, want, got.p);
        free(want);
        buf_free(&got);
        json_decref(j);
    }
    static const char pick[] = "abc \"\\\n\t\x01\x1f\x7f\xc3\xa9/";
    for (int i = 0; i < 20000; i++) {
        char text[40];
        size_t n = (size_t)(rand() % 39);
        for (size_t k = 0; k < n; k++) { /* mostly plain, now and then an escape */
            int r = rand() % 20;
            text[k] = r < 16 ? (char)('a' + r) : pick[4 + rand() % 7];
        }
        text[n] = 0;
        json_t *j = json_string(text);
        char *want = jansson_canonical(j);
        buf got = BUF_INIT;
        jsx_put_string(&got, text);
        if (strcmp(want, got.p) != 0) fail_msg("jansson %s, jsx_put_string %s", want, got.p);
        free(want);
        buf_free(&got);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_accepts_valid),
        cmocka_unit_test(schema_names_the_field),
        cmocka_unit_test(parse_rejects_bad_bodies),
        cmocka_unit_test(canonical_is_sorted_compact_utf8),
        cmocka_unit_test(canonical_is_janssons),
        cmocka_unit_test(pieces_are_what_canonical_writes),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
