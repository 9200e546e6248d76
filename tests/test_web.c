/* test_web.c - the web app as the server serves it (the browser tests, tests/web, drive the
 * pages themselves): the shell in each language, the variants compressed at build time
 * decoded by tools other than truce's, tags and 304s, caching, the policy on every reply,
 * --assets-dir, the grid counts the public map draws, and the log key a browser checks
 * proofs with. */
#include "api_common.h"

#include "web/web.h"

#include <math.h>
#include <sys/stat.h>
#include <zlib.h>

/* GET path with extra header lines (NULL-terminated). */
static long get(const char *path, const char *const *headers, th_resp *out)
{
    assert_int_equal(th_http_with("GET", th_url(&T, path), NULL, NULL, 0, headers, out), 0);
    return out->status;
}

static int has_header(const th_resp *r, const char *name, const char *want)
{
    char *v = th_header(r, name);
    int ok = v && strcmp(v, want) == 0;
    if (!ok) fprintf(stderr, "%s: got '%s', want '%s'\n", name, v ? v : "(none)", want);
    free(v);
    return ok;
}

static const web_asset *asset_named(const char *prefix)
{
    for (size_t i = 0; i < web_n_assets; i++)
        if (strncmp(web_assets[i].path, prefix, strlen(prefix)) == 0) return &web_assets[i];
    fail_msg("no asset %s", prefix);
    return NULL;
}

static void pages_are_the_shell_in_the_callers_language(void **state)
{
    (void)state;
    static const char *const pages[] = {"/",       "/incidents/7", "/login",
                                        "/report", "/monitor",     "/comply",
                                        "/aid",    "/mediate",     "/negotiate"};
    th_resp r;
    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
        assert_int_equal(get(pages[i], NULL, &r), 200);
        assert_non_null(strstr(r.body, "<html lang=\"en\" dir=\"ltr\">"));
        assert_true(has_header(&r, "Content-Type", "text/html; charset=utf-8"));
        assert_true(has_header(&r, "Cache-Control", "no-cache"));
        assert_true(has_header(&r, "Content-Security-Policy", WEB_CSP));
        assert_true(has_header(&r, "X-Content-Type-Options", "nosniff"));
        assert_true(has_header(&r, "Vary", "Accept-Encoding, Accept-Language, Cookie"));
        /* No inline script or style: the policy would refuse them. */
        assert_null(strstr(r.body, "<script>"));
        assert_null(strstr(r.body, "<style"));
        assert_null(strstr(r.body, " style="));
        th_resp_free(&r);
    }
    /* ?lang= chooses and is remembered; then the cookie; then Accept-Language. */
    assert_int_equal(get("/report?lang=ar", NULL, &r), 200);
    assert_non_null(strstr(r.body, "<html lang=\"ar\" dir=\"rtl\">"));
    assert_true(has_header(&r, "Content-Language", "ar"));
    assert_true(
        has_header(&r, "Set-Cookie", "truce_lang=ar; Path=/; Max-Age=31536000; SameSite=Lax"));
    th_resp_free(&r);
    const char *cookie[] = {"Cookie: truce_lang=he", "Accept-Language: ar", NULL};
    assert_int_equal(get("/login", cookie, &r), 200);
    assert_non_null(strstr(r.body, "<html lang=\"he\" dir=\"rtl\">"));
    assert_null(th_header(&r, "Set-Cookie"));
    th_resp_free(&r);
    const char *accept[] = {"Accept-Language: fr-FR, ar;q=0.8, en;q=0.5", NULL};
    assert_int_equal(get("/", accept, &r), 200);
    assert_non_null(strstr(r.body, "<html lang=\"ar\" dir=\"rtl\">"));
    th_resp_free(&r);
    /* A language truce does not speak is ignored, not remembered. */
    assert_int_equal(get("/?lang=fr", NULL, &r), 200);
    assert_non_null(strstr(r.body, "<html lang=\"en\" dir=\"ltr\">"));
    assert_null(th_header(&r, "Set-Cookie"));
    th_resp_free(&r);
}

/* Inflates a gzip body with zlib. */
static char *gunzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z = {0};
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (unsigned char *)in;
    z.avail_in = (unsigned)len;
    z.next_out = (unsigned char *)out;
    z.avail_out = (unsigned)cap;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    inflateEnd(&z);
    return out;
}

static void files_are_sent_as_built_with_tags_and_caching(void **state)
{
    (void)state;
    const web_asset *js = asset_named("/assets/main-");
    th_resp r, plain;
    /* No Accept-Encoding: the bytes as built. */
    assert_int_equal(get(js->path, NULL, &plain), 200);
    assert_int_equal(plain.len, js->len);
    assert_memory_equal(plain.body, js->body, js->len);
    assert_true(has_header(&plain, "Content-Type", "text/javascript; charset=utf-8"));
    assert_true(has_header(&plain, "Cache-Control", "public, max-age=31536000, immutable"));
    assert_true(has_header(&plain, "ETag", js->etag));
    assert_null(th_header(&plain, "Content-Encoding"));

    /* gzip, inflated by zlib, is the same file. */
    const char *gz[] = {"Accept-Encoding: gzip", NULL};
    assert_int_equal(get(js->path, gz, &r), 200);
    assert_true(has_header(&r, "Content-Encoding", "gzip"));
    assert_true(r.len < plain.len);
    size_t n;
    char *back = gunzip(r.body, r.len, &n);
    assert_int_equal(n, plain.len);
    assert_memory_equal(back, plain.body, n);
    free(back);
    char *gz_tag = th_header(&r, "ETag");
    assert_string_not_equal(gz_tag, js->etag);
    th_resp_free(&r);

    /* brotli, decoded by Node's zlib, is the same file; preferred over gzip. */
    const char *br[] = {"Accept-Encoding: gzip, deflate, br", NULL};
    assert_int_equal(get(js->path, br, &r), 200);
    assert_true(has_header(&r, "Content-Encoding", "br"));
    char *tag = th_header(&r, "ETag");
    assert_non_null(strstr(tag, "-br\""));
    char *dir = th_tmpdir(), file[512];
    snprintf(file, sizeof file, "%s/body.br", dir);
    FILE *f = fopen(file, "wb");
    fwrite(r.body, 1, r.len, f);
    fclose(f);
    char *sum = th_shell("node -e 'const z=require(\"zlib\"),c=require(\"crypto\");"
                         "process.stdout.write(c.createHash(\"sha256\").update("
                         "z.brotliDecompressSync(require(\"fs\").readFileSync(\"%s\")))"
                         ".digest(\"hex\"))'",
                         file);
    unsigned char h[32];
    char hex[65];
    crypto_hash_sha256(h, (const unsigned char *)plain.body, plain.len);
    for (int i = 0; i < 32; i++)
        sprintf(hex + 2 * i, "%02x", h[i]);
    assert_string_equal(sum, hex);
    free(sum);
    th_rmrf(dir);
    th_resp_free(&r);

    /* Each variant's tag gets a 304 with no body; another variant's does not. */
    char inm[160];
    snprintf(inm, sizeof inm, "If-None-Match: %s", tag);
    const char *again[] = {"Accept-Encoding: br", inm, NULL};
    assert_int_equal(get(js->path, again, &r), 304);
    assert_int_equal(r.len, 0);
    th_resp_free(&r);
    snprintf(inm, sizeof inm, "If-None-Match: %s", gz_tag);
    assert_int_equal(get(js->path, again, &r), 200);
    th_resp_free(&r);
    free(tag);
    free(gz_tag);
    /* q=0 refuses a coding. */
    const char *no_br[] = {"Accept-Encoding: br;q=0, gzip", NULL};
    assert_int_equal(get(js->path, no_br, &r), 200);
    assert_true(has_header(&r, "Content-Encoding", "gzip"));
    th_resp_free(&r);
    th_resp_free(&plain);

    /* The worker and the manifest are revalidated; the shell's tag gets a 304 too. */
    assert_int_equal(get("/sw.js", NULL, &r), 200);
    assert_true(has_header(&r, "Cache-Control", "no-cache"));
    assert_true(has_header(&r, "Content-Security-Policy", WEB_CSP));
    th_resp_free(&r);
    assert_int_equal(get("/manifest.webmanifest", NULL, &r), 200);
    assert_true(has_header(&r, "Content-Type", "application/manifest+json"));
    th_resp_free(&r);
    assert_int_equal(get("/report", NULL, &r), 200);
    char *shell_tag = th_header(&r, "ETag");
    th_resp_free(&r);
    snprintf(inm, sizeof inm, "If-None-Match: %s", shell_tag);
    const char *shell_again[] = {inm, NULL};
    assert_int_equal(get("/report", shell_again, &r), 304);
    th_resp_free(&r);
    free(shell_tag);

    /* A file that is not there, or a path that tries to leave the assets: 404. */
    assert_int_equal(get("/assets/main-NOPE.js", NULL, &r), 404);
    assert_string_equal(th_code(&r), "route.not_found");
    th_resp_free(&r);
    assert_int_equal(get("/assets/..%2f..%2fetc%2fpasswd", NULL, &r), 404);
    th_resp_free(&r);
    /* Every file the shell names is served. */
    assert_int_equal(get("/", NULL, &r), 200);
    for (const char *p = r.body; (p = strstr(p, "\"/assets/")); p++) {
        char path[128];
        th_resp a;
        snprintf(path, sizeof path, "%.*s", (int)strcspn(p + 1, "\""), p + 1);
        assert_int_equal(get(path, NULL, &a), 200);
        th_resp_free(&a);
    }
    th_resp_free(&r);
}

static void assets_dir_serves_from_disk(void **state)
{
    (void)state;
    char *dir = th_tmpdir(), path[600];
    snprintf(path, sizeof path, "%s/assets", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    static const char *const files[][2] = {
        {"shell.en.html", "<!doctype html><html lang=\"en\" dir=\"ltr\">dev shell"},
        {"shell.ar.html", "<!doctype html><html lang=\"ar\" dir=\"rtl\">dev shell"},
        {"shell.he.html", "<!doctype html><html lang=\"he\" dir=\"rtl\">dev shell"},
        {"assets/app.js", "console.log('dev')"},
        {"sw.js", "// dev worker"},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i][0]);
        FILE *f = fopen(path, "w");
        fputs(files[i][1], f);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/../secret.txt", dir);
    th_server_halt(&T);
    T.cfg.assets_dir = dir;
    th_server_resume(&T);
    th_resp r;
    assert_int_equal(get("/report?lang=ar", NULL, &r), 200);
    assert_non_null(strstr(r.body, "lang=\"ar\" dir=\"rtl\">dev shell"));
    assert_true(has_header(&r, "Cache-Control", "no-cache"));
    th_resp_free(&r);
    assert_int_equal(get("/assets/app.js", NULL, &r), 200);
    assert_string_equal(r.body, "console.log('dev')");
    assert_true(has_header(&r, "Cache-Control", "no-cache"));
    assert_true(has_header(&r, "Content-Security-Policy", WEB_CSP));
    char *tag = th_header(&r, "ETag");
    th_resp_free(&r);
    char inm[128];
    snprintf(inm, sizeof inm, "If-None-Match: %s", tag);
    const char *again[] = {inm, NULL};
    assert_int_equal(get("/assets/app.js", again, &r), 304);
    th_resp_free(&r);
    free(tag);
    assert_int_equal(get("/sw.js", NULL, &r), 200);
    th_resp_free(&r);
    /* Nothing outside the directory, nothing that is not there. */
    assert_int_equal(get("/assets/..%2f..%2fsecret.txt", NULL, &r), 404);
    th_resp_free(&r);
    assert_int_equal(get("/assets/missing.js", NULL, &r), 404);
    th_resp_free(&r);
    th_server_halt(&T);
    T.cfg.assets_dir = NULL;
    th_server_resume(&T);
    th_rmrf(dir);

    /* A directory without the web app is a usage error, and nothing is served. */
    char *err = NULL;
    assert_int_equal(th_truce(NULL, &err, NULL, "serve --db '%s' --assets-dir /nonexistent", T.db),
                     2);
    assert_non_null(strstr(err, "--assets-dir /nonexistent holds no web app"));
    free(err);
}

static void the_grid_counts_what_the_list_selects(void **state)
{
    (void)state;
    th_resp g, st;
    char csv[512], *err = NULL;
    snprintf(csv, sizeof csv, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    th_server_halt(&T);
    int rc = th_truce(NULL, &err, NULL, "import acled '%s' --db '%s'", csv, T.db);
    th_server_resume(&T);
    if (rc) fail_msg("import: %s", err);
    free(err);
    const char *token = th_login(&T, "un", "demo-un-monitor");
    /* A monitor, every status: the cells add up to the stats' total. */
    assert_int_equal(
        th_http("GET", th_url(&T, "/api/v1/incidents/grid?cell=0.001"), token, NULL, 0, NULL, &g),
        0);
    assert_int_equal(g.status, 200);
    assert_int_equal(
        th_http("GET", th_url(&T, "/api/v1/incidents/stats"), token, NULL, 0, NULL, &st), 0);
    json_int_t sum = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(g.json, "cells"), i, c) sum +=
        json_integer_value(json_array_get(c, 2));
    assert_true(sum >= 5338); /* the export, and the demo's own */
    assert_int_equal(sum, json_integer_value(json_object_get(st.json, "total")));
    assert_int_equal(sum, json_integer_value(json_object_get(g.json, "total")));
    th_resp_free(&g);
    th_resp_free(&st);
    /* Each incident in the cell that holds it: recount from the list. */
    assert_int_equal(req("GET", "/api/v1/incidents/grid?cell=0.05&from=2025-06-01", NULL, NULL, &g),
                     200);
    assert_int_equal(req("GET", "/api/v1/incidents?limit=1000&from=2025-06-01", NULL, NULL, &st),
                     200);
    assert_true(json_array_size(json_object_get(st.json, "incidents")) > 10);
    assert_null(json_object_get(st.json, "next_after"));
    json_array_foreach(json_object_get(g.json, "cells"), i, c)
    {
        double lat = json_real_value(json_array_get(c, 0)),
               lon = json_real_value(json_array_get(c, 1));
        json_int_t n = 0;
        size_t k;
        json_t *inc;
        json_array_foreach(json_object_get(st.json, "incidents"), k, inc)
        {
            double a = json_number_value(json_object_get(inc, "latitude")),
                   o = json_number_value(json_object_get(inc, "longitude"));
            n += floor(a / 0.05) == floor(lat / 0.05) && floor(o / 0.05) == floor(lon / 0.05);
        }
        assert_int_equal(n, json_integer_value(json_array_get(c, 2)));
    }
    th_resp_free(&g);
    th_resp_free(&st);
    /* Filters narrow it; bad ones are 400s naming them. */
    assert_int_equal(req("GET", "/api/v1/incidents/grid?event_type=Riots", NULL, NULL, &g), 200);
    assert_int_equal(json_integer_value(json_object_get(g.json, "total")), 0);
    th_resp_free(&g);
    assert_int_equal(req("GET", "/api/v1/incidents/grid?cell=0", NULL, NULL, &g), 400);
    assert_string_equal(th_field(&g), "cell");
    th_resp_free(&g);
    assert_int_equal(req("GET", "/api/v1/incidents/grid?cell=abc", NULL, NULL, &g), 400);
    th_resp_free(&g);
    assert_int_equal(req("GET", "/api/v1/incidents/grid?bbox=1,2,3", NULL, NULL, &g), 400);
    assert_string_equal(th_field(&g), "bbox");
    th_resp_free(&g);
    /* The public sees nothing finer than the public grid. */
    th_server_halt(&T);
    T.cfg.public_grid = 0.05;
    th_server_resume(&T);
    assert_int_equal(req("GET", "/api/v1/incidents/grid?cell=0.001", NULL, NULL, &g), 200);
    assert_true(json_real_value(json_object_get(g.json, "cell")) == 0.05);
    th_resp_free(&g);
    th_server_halt(&T);
    T.cfg.public_grid = 0;
    th_server_resume(&T);
}

static void the_index_gives_the_log_key(void **state)
{
    (void)state;
    th_resp r;
    char *out = NULL;
    assert_int_equal(req("GET", "/api/v1", NULL, NULL, &r), 200);
    th_server_halt(&T);
    assert_int_equal(th_truce(&out, NULL, NULL, "log key --db '%s'", T.db), 0);
    th_server_resume(&T);
    out[strcspn(out, "\n")] = 0;
    assert_string_equal(json_string_value(json_object_get(r.json, "log_key")), out);
    free(out);
    th_resp_free(&r);
}

/* GET /api/v1/agreements: each line as GET /api/v1/agreements/{id} shows it, and only the
 * agreements that route shows the caller. */
static void the_agreements_each_caller_may_see(void **state)
{
    (void)state;
    const char *israel = th_login(&T, "israel", "demo-israel");
    const char *callers[] = {NULL, israel};
    for (int c = 0; c < 2; c++) {
        th_resp list, one;
        assert_int_equal(req("GET", "/api/v1/agreements", callers[c], NULL, &list), 200);
        json_t *lines = json_object_get(list.json, "agreements");
        size_t seen = 0;
        for (int id = 1; id <= 20; id++) {
            char path[64];
            snprintf(path, sizeof path, "/api/v1/agreements/%d", id);
            long st = req("GET", path, callers[c], NULL, &one);
            json_t *line = NULL, *x;
            size_t i;
            json_array_foreach(lines, i, x) if (json_integer_value(json_object_get(x, "id")) == id)
                line = x;
            if (st == 200) {
                assert_non_null(line);
                seen++;
                assert_string_equal(json_string_value(json_object_get(line, "state")),
                                    json_string_value(json_object_get(one.json, "state")));
                assert_true(
                    json_equal(json_object_get(line, "parties"),
                               json_object_get(json_object_get(one.json, "agreement"), "parties")));
            } else {
                assert_int_equal(st, 404);
                assert_null(line);
            }
            th_resp_free(&one);
        }
        assert_int_equal(json_array_size(lines), seen);
        /* The public sees the recorded agreement only; a party its negotiated one too. */
        assert_int_equal(seen, c == 0 ? 1 : 2);
        th_resp_free(&list);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pages_are_the_shell_in_the_callers_language),
        cmocka_unit_test(files_are_sent_as_built_with_tags_and_caching),
        cmocka_unit_test(assets_dir_serves_from_disk),
        cmocka_unit_test(the_grid_counts_what_the_list_selects),
        cmocka_unit_test(the_index_gives_the_log_key),
        cmocka_unit_test(the_agreements_each_caller_may_see),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
