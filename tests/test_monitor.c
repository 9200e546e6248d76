/* test_monitor.c - ACLED import: the real export, rejected rows, broken files that import
 * nothing, re-import updating instead of duplicating. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "monitor/store.h"

#include "core/codes.h"

#include "core/log.h"
#include "core/util.h"
#include "journal/journal.h"
#include "core/buf.h"
#include "json/jsx.h"
#include "monitor/acled.h"
#include "monitor/export.h"
#include "monitor/zindex.h"
#include "monitor/zones.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <zlib.h>
#include <zstd.h>
#include <curl/curl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[256], db[320];
static store *s;

static const char *HEADER =
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
    "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,"
    "source_scale,notes,fatalities,tags,timestamp\n";

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", th_tmpdir());
    snprintf(db, sizeof db, "%s/m.db", dir);
    s = th_demo_db(db);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    s->ops->close(s);
    th_rmrf(dir);
    return 0;
}

static int import_text(const char *text, acled_result *res, tr_err *e)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    int rc = acled_import(s, &journal_operator, f, 0, "verified", 0, NULL, NULL, res, e);
    fclose(f);
    return rc;
}

/* A listed incident's document (an imported one's from its CSV row), perhaps in tmp. */
static const char *row_doc(const store_incident_row *r, buf *tmp)
{
    const char *doc = export_incident_doc(r, tmp);
    assert_string_not_equal(doc, "{}"); /* every incident has a document, or a row for one */
    return doc;
}

/* text with the number after "key": as jsx_canonical writes it; fails unless that number
 * is its own shortest text (util_real_text) and the row's coordinate, exactly. */
static void canonical_coordinate(buf *text, const char *key, double want)
{
    char *at = strstr(text->p, key);
    assert_non_null(at);
    char *num = at + strlen(key), *end;
    double v = strtod(num, &end);
    char shortest[40];
    size_t sl = util_real_text(shortest, sizeof shortest, v);
    if (!strpbrk(shortest, ".e")) memcpy(shortest + sl, ".0", 3); /* a real: 31.0 */
    if ((size_t)(end - num) != strlen(shortest) || memcmp(num, shortest, (size_t)(end - num)))
        fail_msg("%s%.*s is not its shortest text %s", key, (int)(end - num), num, shortest);
    assert_true(v == want);
    buf canon = BUF_INIT, rest = BUF_INIT;
    buf_puts(&rest, end);
    buf_append(&canon, text->p, (size_t)(num - text->p));
    jsx_put_real(&canon, v);
    buf_append(&canon, rest.p, rest.len);
    buf_reset(text);
    buf_append(text, canon.p, canon.len);
    buf_free(&canon);
    buf_free(&rest);
}

/* Fails unless the row's document is its own canonical encoding; an imported one's, built
 * from its CSV row, but for its coordinates, which are their shortest text. */
static int canonical_doc(void *cls, const void *row)
{
    const store_incident_row *r = row;
    buf tmp = BUF_INIT, want = BUF_INIT;
    const char *text = row_doc(r, &tmp);
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    char *canon = jsx_canonical(doc, NULL);
    buf_puts(&want, text);
    if (!(r->doc && *r->doc)) {
        canonical_coordinate(&want, "\"latitude\":", r->latitude);
        canonical_coordinate(&want, "\"longitude\":", r->longitude);
    }
    if (strcmp(canon, want.p) != 0) fail_msg("not canonical:\n%s\n%s", want.p, canon);
    buf_free(&want);
    free(canon);
    json_decref(doc);
    buf_free(&tmp);
    (*(int64_t *)cls)++;
    return 0;
}

/* Fails unless the row's stored CSV row is what the projection renders from its
 * document (the import renders it from its own values). */
static int csv_row_matches(void *cls, const void *row)
{
    const store_incident_line *r = row;
    buf want = BUF_INIT;
    json_t *doc = json_loads(
        export_row_doc(r->doc, r->csv, r->len, r->latitude, r->longitude, r->zones, &want), 0,
        NULL);
    buf_reset(&want);
    assert_non_null(doc);
    assert_non_null(r->csv);
    export_acled_row_doc(doc, &want);
    if (want.len != r->len || memcmp(want.p, r->csv, r->len) != 0)
        fail_msg("CSV row differs:\n%.*s%s", (int)r->len, r->csv, want.p);
    buf_free(&want);
    json_decref(doc);
    (*(int64_t *)cls)++;
    return 0;
}

static void the_real_export_imports_whole_and_reimports_in_place(void **state)
{
    char path[1024];
    tr_err e = TR_ERR_INIT;
    acled_result res;
    (void)state;
    snprintf(path, sizeof path, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int64_t before = th_journal_len(db);
    assert_int_equal(acled_import(s, &journal_operator, f, 0, "verified", 0, NULL, NULL, &res, &e),
                     0);
    fclose(f);
    assert_int_equal(res.rows, TH_ACLED_GAZA_ROWS);
    assert_int_equal(res.imported, TH_ACLED_GAZA_ROWS);
    assert_int_equal(res.rejected, 0);
    /* A few events sit on the coast, outside the governorates' coarse coastline. */
    assert_true(res.outside_zones > 0 && res.outside_zones < TH_ACLED_GAZA_ROWS / 100);
    json_decref(res.rejects);
    assert_int_equal(monitor_store(s)->incident_count(s, &e), TH_ACLED_GAZA_ROWS);
    /* One journal event per batch of 500 rows. */
    assert_int_equal(th_journal_len(db), before + (TH_ACLED_GAZA_ROWS + 499) / 500);
    /* Each document was written as canonical JSON without jansson: it is exactly what
     * jsx_canonical makes of it. */
    store_incident_filter all = {0};
    int64_t checked = 0;
    assert_int_equal(
        monitor_store(s)->incident_list(s, &all, 0, INT64_MAX, canonical_doc, &checked, &e), 0);
    assert_int_equal(checked, TH_ACLED_GAZA_ROWS);
    checked = 0;
    assert_int_equal(
        monitor_store(s)->incident_lines(s, &all, 0, INT64_MAX, csv_row_matches, &checked, &e), 0);
    assert_int_equal(checked, TH_ACLED_GAZA_ROWS);
    /* Rebuilt from the journal alone, the incidents table is the same, row for row. */
    char cmd[4096];
    snprintf(
        cmd, sizeof cmd,
        "rm -f '%s.copy' && sqlite3 '%s' \".backup '%s.copy'\" && cp '%s.key' '%s.copy.key' && "
        "sqlite3 '%s.copy' 'SELECT * FROM incidents ORDER BY id;"
        " SELECT * FROM incident_zones ORDER BY 1, 2' > '%s.before' && "
        "sqlite3 '%s.copy' 'DELETE FROM incident_zones; DELETE FROM incidents'",
        db, db, db, db, db, db, db, db);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s.copy'", db), 0);
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s.copy' 'SELECT * FROM incidents ORDER BY id;"
             " SELECT * FROM incident_zones ORDER BY 1, 2' | cmp -s - '%s.before'",
             db, db);
    assert_int_equal(system(cmd), 0);
    /* Again: the same incidents, updated. */
    f = fopen(path, "r");
    assert_int_equal(acled_import(s, &journal_operator, f, 0, "verified", 0, NULL, NULL, &res, &e),
                     0);
    fclose(f);
    json_decref(res.rejects);
    assert_int_equal(monitor_store(s)->incident_count(s, &e), TH_ACLED_GAZA_ROWS);
}

static void bad_rows_are_listed_and_the_rest_kept(void **state)
{
    tr_err e = TR_ERR_INIT;
    acled_result res;
    (void)state;
    buf b = BUF_INIT;
    buf_puts(&b, HEADER);
    /* line 2: fine */
    buf_puts(&b, "T1,20-Jan-25,2025,1,Political violence,Explosions/Remote violence,Air/drone "
                 "strike,A,,X,B,,Y,,Civilian targeting,275,ME,Palestine,Gaza Strip,Rafah,,Rafah,"
                 "31.29,34.25,1,\"Src One; Src Two\",National,\"a note, with a comma\",3,,1\n");
    /* line 3: a date in the future */
    buf_puts(&b, "T2,1-Jan-99,2099,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,S,N,n,0,,1\n");
    /* line 4: a sub-type of another type */
    buf_puts(&b, "T3,20-Jan-25,2025,1,x,Battles,Air/drone strike,A,,X,B,,Y,,,275,ME,P,G,R,,R,"
                 "31.2,34.2,1,S,N,n,0,,1\n");
    /* line 5: latitude out of range */
    buf_puts(&b, "T4,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,95,34.2,"
                 "1,S,N,n,0,,1\n");
    /* line 6: negative fatalities */
    buf_puts(&b, "T5,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,S,N,n,-1,,1\n");
    /* line 7: time precision 4 */
    buf_puts(&b, "T6,2025-01-20,2025,4,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,S,N,n,0,,1\n");
    int64_t before = monitor_store(s)->incident_count(s, &e);
    assert_int_equal(import_text(b.p, &res, &e), 0);
    assert_int_equal(res.imported, 1);
    assert_int_equal(res.rejected, 5);
    static const char *cols[] = {"event_date", "sub_event_type", "latitude", "fatalities",
                                 "time_precision"};
    for (int i = 0; i < 5; i++) {
        json_t *r = json_array_get(res.rejects, (size_t)i);
        assert_int_equal(json_integer_value(json_object_get(r, "line")), i + 3);
        assert_string_equal(json_string_value(json_object_get(r, "column")), cols[i]);
    }
    json_decref(res.rejects);
    assert_int_equal(monitor_store(s)->incident_count(s, &e), before + 1);
    buf_free(&b);
}

/* Text and numbers that are awkward to encode: quotes, backslashes, control characters,
 * line breaks, Arabic and Hebrew, tiny and whole-number coordinates, odd source lists.
 * Every document must be exactly jsx_canonical's encoding; a field that is not UTF-8 is a
 * rejected row naming its column. */
static void awkward_values_are_encoded_canonically(void **state)
{
    tr_err e = TR_ERR_INIT;
    acled_result res;
    (void)state;
    buf b = BUF_INIT;
    buf_puts(&b, HEADER);
    buf_puts(&b, "W1,20-Jan-25,2025,1,x,Battles,Armed clash,\"A \"\"quoted\"\" \\\\ actor\",,X,"
                 "\"tab\there\",,Y,,,275,ME,P,G,R,,\"line\nbreak\",31,34,1,\";; One ;Two;\",N,"
                 "\"ctl \x01\x1f end\",0,,1\n");
    buf_puts(&b, "W2,20-Jan-25,2025,1,x,Battles,Armed clash,\xd8\xac\xd9\x8a\xd8\xb4,,X,"
                 "\"\xd7\xa6\xd7\x94 \"\"\",,Y,,,275,ME,P,G,R,,\xd8\xba\xd8\xb2\xd8\xa9,0.00001,"
                 "-0.0,1,,N,\"\xe2\x80\xa8 \xf0\x9f\x98\x80\",7,,1\n");
    buf_puts(&b, "W3,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,-90,"
                 "180,1,S,N,\"\\u0000 is text\",0,,1\n");
    buf_puts(&b, "W4,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,S,N,bad \xff byte,0,,1\n");
    buf_puts(&b, "W5,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,"
                 "1e-7,1.5e2,1,S,N,\xed\xa0\x80 surrogate,0,,1\n");
    buf_puts(&b, "W6,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,"
                 "31.123456789,34.987654321,1,S,N,nine places,0,,1\n");
    if (import_text(b.p, &res, &e)) fail_msg("%s", e.message);
    buf_free(&b);
    assert_int_equal(res.imported, 4);
    assert_int_equal(res.rejected, 2);
    for (int i = 0; i < 2; i++) {
        json_t *r = json_array_get(res.rejects, (size_t)i);
        /* Records are numbered as a spreadsheet numbers rows: W1's two-line cell is one. */
        assert_int_equal(json_integer_value(json_object_get(r, "line")), 5 + i);
        assert_string_equal(json_string_value(json_object_get(r, "column")), "notes");
        assert_string_equal(json_string_value(json_object_get(r, "reason")), "is not UTF-8 text");
    }
    json_decref(res.rejects);
    store_incident_filter f = {.event_type = "Battles"};
    int64_t checked = 0;
    assert_int_equal(
        monitor_store(s)->incident_list(s, &f, 0, INT64_MAX, canonical_doc, &checked, &e), 0);
    assert_true(checked >= 3);
    checked = 0;
    assert_int_equal(
        monitor_store(s)->incident_lines(s, &f, 0, INT64_MAX, csv_row_matches, &checked, &e), 0);
    assert_true(checked >= 3);
    /* GeoJSON points read back as exactly the stored coordinates: whole degrees, 0.00001,
     * -0.0, the pole's and the antimeridian's, and nine places (the document's text). */
    char *text = NULL;
    size_t len = 0;
    int64_t n = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(export_incidents(s, &f, EXPORT_GEOJSON, 0, out, &n, &e), 0);
    fclose(out);
    json_t *fc = json_loads(text, 0, NULL), *feat;
    size_t i;
    assert_non_null(fc);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), (size_t)n);
    json_array_foreach(json_object_get(fc, "features"), i, feat)
    {
        json_t *c = json_object_get(json_object_get(feat, "geometry"), "coordinates");
        json_t *props = json_object_get(feat, "properties");
        assert_true(json_is_real(json_array_get(c, 0)) && json_is_real(json_array_get(c, 1)));
        assert_true(json_number_value(json_array_get(c, 0)) ==
                    json_number_value(json_object_get(props, "longitude")));
        assert_true(json_number_value(json_array_get(c, 1)) ==
                    json_number_value(json_object_get(props, "latitude")));
    }
    assert_non_null(strstr(text, "\"coordinates\":[34.0,31.0]"));
    assert_non_null(strstr(text, "\"coordinates\":[180.0,-90.0]"));
    assert_non_null(strstr(text, "\"coordinates\":[0.0,0.00001]"));
    json_decref(fc);
    free(text);
}

static int collect_docs(void *cls, const void *row)
{
    const store_incident_row *r = row;
    buf tmp = BUF_INIT;
    buf_puts(cls, row_doc(r, &tmp));
    buf_append(cls, "\n", 1);
    buf_free(&tmp);
    return 0;
}

/* Rejects name the line a spreadsheet shows: blank lines count (before the header too),
 * a CRLF is one line break, a lone CR another. A NUL byte in a field rejects its row,
 * naming the column, instead of cutting the text short at the NUL; the other rows stay. */
static void rejects_name_the_line_and_nul_bytes_are_refused(void **state)
{
    tr_err e = TR_ERR_INIT;
    acled_result res;
    (void)state;
    static const char row[] = ",20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,"
                              "R,,R,31.2,34.2,1,S,N,";
    buf b = BUF_INIT;
    buf_puts(&b, "\r\n"); /* line 1 */
    buf_append(&b, HEADER, strlen(HEADER) - 1);
    buf_puts(&b, "\r\n"); /* line 2 */
    buf_printf(&b, "L3%snotes,0,,1\r\n", row);
    buf_puts(&b, "\n\r\n"); /* lines 4 and 5 */
    buf_printf(&b, "L6%snotes,zero,,1\r", row);
    buf_printf(&b, "L7%s\"a cell\nof two lines\",0,,1\n", row);
    buf_printf(&b, "L8%snotes,-1,,1\n", row);
    buf_printf(&b, "L9%scut", row);
    buf_append(&b, "\0", 1);
    buf_puts(&b, "short,0,,1\n");
    buf_append(&b, "\0\n", 2); /* line 10: a NUL alone is not a blank line */
    buf_printf(&b, "L11%snotes,0,,1\n", row);
    buf_printf(&b, "L12,31-Feb-25%snotes,0,,1\n", row + strlen(",20-Jan-25"));
    buf_printf(&b, "L13,2099-01-01%snotes,0,,1", row + strlen(",20-Jan-25")); /* no break */
    FILE *f = fmemopen(b.p, b.len, "r");
    assert_int_equal(acled_import(s, &journal_operator, f, 0, "verified", 0, NULL, NULL, &res, &e),
                     0);
    fclose(f);
    assert_int_equal(res.rows, 9);
    assert_int_equal(res.imported, 3);
    assert_int_equal(res.rejected, 6);
    static const struct {
        int line;
        const char *column, *reason;
    } want[] = {{6, "fatalities", "whole number"},
                {8, "fatalities", "whole number"},
                {9, "notes", "NUL byte"},
                {10, "event_id_cnty", "NUL byte"},
                {12, "event_date", "not a date as ACLED writes them"},
                {13, "event_date", "is in the future"}};
    for (size_t i = 0; i < 6; i++) {
        json_t *r = json_array_get(res.rejects, i);
        assert_int_equal(json_integer_value(json_object_get(r, "line")), want[i].line);
        assert_string_equal(json_string_value(json_object_get(r, "column")), want[i].column);
        assert_non_null(strstr(json_string_value(json_object_get(r, "reason")), want[i].reason));
    }
    json_decref(res.rejects);
    /* The rows on lines 3, 7 and 11 are in, whole; the one with a NUL is not, even cut. */
    buf docs = BUF_INIT;
    store_incident_filter all = {0};
    assert_int_equal(
        monitor_store(s)->incident_list(s, &all, 0, INT64_MAX, collect_docs, &docs, &e), 0);
    assert_non_null(strstr(docs.p, "\"event_id_cnty\":\"L3\""));
    assert_non_null(strstr(docs.p, "\"event_id_cnty\":\"L11\""));
    const char *l7 = strstr(docs.p, "\"event_id_cnty\":\"L7\"");
    assert_non_null(l7);
    assert_non_null(strstr(docs.p, "\"notes\":\"a cell\\nof two lines\""));
    assert_null(strstr(docs.p, "\"event_id_cnty\":\"L9\""));
    assert_null(strstr(docs.p, "\"event_id_cnty\":\"L6\""));
    buf_free(&docs);
    buf_free(&b);
}

/* rows good rows named PREFIX1...: several batches of the import, each written while
 * the next is read. */
static void good_rows(buf *b, const char *prefix, int rows)
{
    buf_puts(b, HEADER);
    for (int i = 1; i <= rows; i++)
        buf_printf(b,
                   "%s%d,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,"
                   "R,31.2,34.2,1,S,N,n,0,,1\n",
                   prefix, i);
}

static void broken_files_import_nothing(void **state)
{
    tr_err e = TR_ERR_INIT;
    acled_result res;
    (void)state;
    int64_t before = th_journal_len(db);
    static const struct {
        const char *text, *code, *words;
    } cases[] = {
        {"event_id_cnty,event_date\nX,1-Jan-24\n", "acled.bad_header", "'time_precision'"},
        {"event_id_cnty;event_date;time_precision\nX;1;1\n", "acled.bad_header",
         "not comma-separated"},
        {"", "acled.empty", "header"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (import_text(cases[i].text, &res, &e) != -1) fail_msg("case %zu imported", i);
        assert_string_equal(e.code, cases[i].code);
        if (!strstr(e.message, cases[i].words)) fail_msg("case %zu: %s", i, e.message);
        err_clear(&e);
        json_decref(res.rejects);
    }
    /* Broken quoting after one good row: not even that row is imported; after 2,100 (four
     * batches written by one thread while the other read on), neither are they. */
    int64_t incidents = monitor_store(s)->incident_count(s, &e);
    static const int good[] = {1, 2100};
    for (size_t k = 0; k < 2; k++) {
        buf b = BUF_INIT;
        char line[32];
        good_rows(&b, "Q", good[k]);
        buf_puts(&b, "Q0,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,"
                     "31.2,34.2,1,\"S\"x,N,n,0,,1\n");
        assert_int_equal(import_text(b.p, &res, &e), -1);
        assert_string_equal(e.code, "acled.bad_csv");
        snprintf(line, sizeof line, "line %d:", good[k] + 2);
        if (!strstr(e.message, line)) fail_msg("%s: not %s", e.message, line);
        err_clear(&e);
        json_decref(res.rejects);
        buf_free(&b);
    }
    assert_int_equal(th_journal_len(db), before);
    assert_int_equal(monitor_store(s)->incident_count(s, &e), incidents);
}

/* The import reads in one thread and writes in another: a write that fails in the third
 * batch while the reading goes on leaves nothing behind and says what happened. */
static void a_failure_midway_imports_nothing(void **state)
{
    tr_err e = TR_ERR_INIT;
    acled_result res;
    (void)state;
    int64_t journal = th_journal_len(db), incidents = monitor_store(s)->incident_count(s, &e);
    buf b = BUF_INIT;
    char cmd[1024];
    /* A write refused at row 1,200 (the third batch): the store's error, nothing kept. */
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"CREATE TRIGGER refuse BEFORE INSERT ON incidents"
             " WHEN NEW.external_id = 'M1200' BEGIN SELECT RAISE(ABORT, 'refused"
             " by the test'); END\"",
             db);
    assert_int_equal(system(cmd), 0);
    good_rows(&b, "M", 5000);
    assert_int_equal(import_text(b.p, &res, &e), -1);
    assert_non_null(strstr(e.message, "refused by the test"));
    err_clear(&e);
    json_decref(res.rejects);
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'DROP TRIGGER refuse'", db);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(th_journal_len(db), journal);
    assert_int_equal(monitor_store(s)->incident_count(s, &e), incidents);
    buf_free(&b);
}

/* Whether the database at path has the place index. */
static int has_place_index(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"SELECT 1 FROM sqlite_master WHERE name = 'incidents_place'\""
             " | grep -qx 1",
             path);
    return system(cmd) == 0;
}

/* text (len bytes) imported into st, total given as the file's size. */
static int import_sized(store *st, const char *text, size_t len, acled_result *res, tr_err *e)
{
    FILE *f = fmemopen((void *)text, len, "r");
    int rc =
        acled_import(st, &journal_operator, f, (int64_t)len, "verified", 0, NULL, NULL, res, e);
    fclose(f);
    return rc;
}

/* Whether the database at path is in WAL mode, with no rollback journal beside it. */
static int in_wal_mode(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "test ! -e '%s-journal' && sqlite3 '%s' 'PRAGMA journal_mode'"
             " | grep -qx wal",
             path, path);
    return system(cmd) == 0;
}

/* rows rows of ACLED CSV along a line (K1 at 31.00001, K2 at 31.00002, ...), each with
 * notes of note_len bytes: 600 bytes a row, as ACLED's, with 500. */
static void line_rows(buf *b, int64_t rows, size_t note_len)
{
    char *pad = malloc(note_len + 1);
    memset(pad, 'n', note_len);
    pad[note_len] = 0;
    buf_puts(b, HEADER);
    for (int64_t i = 1; i <= rows; i++)
        buf_printf(b,
                   "K%lld,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,"
                   "R,31.%05lld,34.2,1,S,N,%s,0,,1\n",
                   (long long)i, (long long)i, pad);
    free(pad);
}

/* A file of more rows than the deployment has (10,000 or more) is loaded in bulk: the
 * place index is built once at the end. It is there afterwards and answers boxes; a
 * broken file of that size leaves it there (rolled back with the rest); a small file is
 * not loaded in bulk. With the database to itself the import writes its pages once (a
 * rollback journal, not the WAL) and puts the database back in WAL mode after, whether it
 * committed or rolled back; with another connection open it goes through the WAL. */
static void a_large_file_is_loaded_in_bulk(void **state)
{
    tr_err e = TR_ERR_INIT;
    acled_result res;
    char path[400];
    (void)state;
    snprintf(path, sizeof path, "%s/bulk.db", dir);
    store *bs = th_demo_db(path);
    int64_t incidents = monitor_store(bs)->incident_count(bs, &e), rows = incidents + 12000;
    int64_t journal = th_journal_len(path);
    assert_true(has_place_index(path));
    buf b = BUF_INIT;
    line_rows(&b, rows, 500);
    size_t whole = b.len;
    /* Broken at its end: nothing imported, the index as it was; first with a second
     * connection open (through the WAL), then alone (a rollback journal). */
    buf_puts(&b, "K0,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,\"S\"x,N,n,0,,1\n");
    for (int alone = 0; alone <= 1; alone++) {
        store *other = alone ? NULL : store_sqlite_open(path, 0, &e);
        assert_true(alone || other);
        assert_int_equal(import_sized(bs, b.p, b.len, &res, &e), -1);
        assert_true(res.bulk); /* the index was dropped, and the rollback put it back */
        assert_int_equal(res.alone, alone);
        assert_string_equal(e.code, "acled.bad_csv");
        err_clear(&e);
        json_decref(res.rejects);
        if (other) other->ops->close(other);
        assert_int_equal(monitor_store(bs)->incident_count(bs, &e), incidents);
        assert_int_equal(th_journal_len(path), journal);
        assert_true(has_place_index(path));
        assert_true(in_wal_mode(path));
    }
    /* Whole: imported in bulk, alone, and the index built again holds every row. */
    assert_int_equal(import_sized(bs, b.p, whole, &res, &e), 0);
    json_decref(res.rejects);
    assert_int_equal(res.imported, rows);
    assert_true(res.bulk);
    assert_true(res.alone);
    assert_true(in_wal_mode(path));
    assert_true(has_place_index(path));
    store_incident_filter box = {
        .has_bbox = 1, .west = 34.19, .east = 34.21, .south = 31.00001, .north = 31.00100};
    int64_t *ids = NULL;
    size_t n_ids = 0;
    assert_int_equal(monitor_store(bs)->incident_ids_in_box(bs, &box, 0, &ids, &n_ids, &e), 0);
    free(ids);
    assert_int_equal(n_ids, 100); /* K1 ... K100: 31.00001 to 31.00100 */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'PRAGMA integrity_check' | grep -qx ok", path);
    assert_int_equal(system(cmd), 0);
    /* A small file leaves the index alone. */
    buf_reset(&b);
    good_rows(&b, "L", 10);
    assert_int_equal(import_sized(bs, b.p, b.len, &res, &e), 0);
    json_decref(res.rejects);
    assert_false(res.bulk);
    assert_true(has_place_index(path));
    buf_free(&b);
    bs->ops->close(bs);
}

/* The crash test's child dies once its import has written into the database file. */
static char crash_path[400];
static off_t crash_size;

static void die_once_written(void *cls, int64_t rows, int64_t bytes, int64_t total)
{
    struct stat sb;
    (void)cls, (void)rows, (void)bytes, (void)total;
    if (stat(crash_path, &sb) == 0 && sb.st_size > crash_size) _exit(3);
}

/* A bulk load that has the database to itself writes new pages straight into the file:
 * a process killed midway (here, once the file has grown: pages spilled past the page
 * cache) leaves a rollback journal, and the next open puts back the database as it was,
 * in WAL mode, whole, with its journal (the record) unchanged and auditable. */
static void a_crash_during_a_bulk_load_loses_nothing(void **state)
{
    tr_err e = TR_ERR_INIT;
    acled_result res = {0};
    struct stat sb;
    int status;
    (void)state;
    snprintf(crash_path, sizeof crash_path, "%s/crash.db", dir);
    store *cs = th_demo_db(crash_path);
    int64_t incidents = monitor_store(cs)->incident_count(cs, &e),
            journal = th_journal_len(crash_path);
    cs->ops->close(cs);
    assert_int_equal(stat(crash_path, &sb), 0);
    crash_size = sb.st_size;
    buf b = BUF_INIT;
    line_rows(&b, 20000, 5000); /* 100 MB of rows: more than the 64 MB page cache holds */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        store *c = store_sqlite_open(crash_path, 0, &e);
        if (!c) _exit(1);
        FILE *f = fmemopen(b.p, b.len, "r");
        acled_import(c, &journal_operator, f, (int64_t)b.len, "verified", 0, die_once_written, NULL,
                     &res, &e);
        _exit(res.alone ? 0 : 2); /* imported whole: the file never grew midway */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 3);
    char hot[420];
    snprintf(hot, sizeof hot, "%s-journal", crash_path);
    assert_int_equal(access(hot, F_OK), 0); /* died holding a rollback journal */
    assert_int_equal(stat(crash_path, &sb), 0);
    assert_true(sb.st_size > crash_size);
    /* Opened again: as before the import. */
    cs = store_sqlite_open(crash_path, 0, &e);
    assert_non_null(cs);
    assert_int_equal(monitor_store(cs)->incident_count(cs, &e), incidents);
    cs->ops->close(cs);
    assert_true(in_wal_mode(crash_path));
    assert_int_equal(th_journal_len(crash_path), journal);
    char cmd[900];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'PRAGMA integrity_check' | grep -qx ok", crash_path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(th_truce(NULL, NULL, NULL, "audit --db '%s'", crash_path), 0);
    assert_true(has_place_index(crash_path));
    buf_free(&b);
}

typedef struct project_case {
    const char *body;
    const char *words;
} project_case;

static int project_txn(store *st, void *cls, tr_err *e)
{
    const project_case *c = cls;
    store_event ev = {.seq = 77, .type = "incidents.imported", .time = "2025-01-20T00:00:00Z"};
    json_t *body = json_loads(c->body, 0, NULL);
    assert_non_null(body);
    int rc = acled_project(st, &ev, body, e);
    json_decref(body);
    return rc;
}

/* good (an incidents.imported body) with its rows made of csv's first n bytes, the zstd
 * frame short of its last `cut` bytes; canonical JSON, malloc'd. */
static char *repack(json_t *good, const char *csv, size_t n, size_t cut)
{
    unsigned char packed[4096];
    char b64[8192];
    size_t pn = ZSTD_compress(packed, sizeof packed, csv, n, 1);
    assert_false(ZSTD_isError(pn));
    sodium_bin2base64(b64, sizeof b64, packed, pn - cut, sodium_base64_VARIANT_ORIGINAL);
    json_object_set_new(good, "rows", json_string(b64));
    return json_dumps(good, JSON_COMPACT | JSON_SORT_KEYS);
}

/* A batch in the journal that does not decode as one (acled.h) stops a rebuild with a 500
 * saying what is wrong, and writes nothing; a good one projects its rows. */
static void batches_in_the_journal_are_checked(void **state)
{
    tr_err e = TR_ERR_INIT;
    (void)state;
    /* The journal's batch of two good rows, as the import wrote it. */
    int64_t incidents = monitor_store(s)->incident_count(s, &e);
    buf b = BUF_INIT;
    acled_result res;
    good_rows(&b, "P", 2);
    assert_int_equal(import_text(b.p, &res, &e), 0);
    json_decref(res.rejects);
    char cmd[1024], *text = NULL;
    size_t cap = 0;
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'SELECT body FROM journal ORDER BY seq DESC LIMIT 1'",
             db);
    FILE *f = popen(cmd, "r");
    assert_true(getline(&text, &cap, f) > 0);
    pclose(f);
    json_t *good = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(good);
    assert_string_equal(json_string_value(json_object_get(good, "format")), ACLED_BATCH_FORMAT);
    assert_int_equal(json_integer_value(json_object_get(good, "count")), 2);
    const char *rows = json_string_value(json_object_get(good, "rows"));
    /* Decoded, it is the export's CSV with a zones column. */
    size_t plen;
    unsigned char packed[4096];
    assert_int_equal(sodium_base642bin(packed, sizeof packed, rows, strlen(rows), NULL, &plen, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    char csv[4096];
    size_t n = ZSTD_decompress(csv, sizeof csv - 1, packed, plen);
    assert_false(ZSTD_isError(n));
    csv[n] = 0;
    assert_non_null(strstr(csv, "event_id_cnty,event_date,year,"));
    assert_non_null(strstr(csv, ",fatalities,zones\n\"P1\",\"2025-01-20\",\"2025\","));
    assert_non_null(strstr(csv, "\"31.2\",\"34.2\",\"1\",\"S\",\"n\",\"0\",\""));
    /* Bad batches of new rows (R1, R2), so that a row projected would show. */
    for (char *at = csv; (at = strstr(at, "\n\"P")); at++)
        at[2] = 'R';
    /* With R2's row cut: the count no longer matches. */
    char *line2 = strstr(csv, "\n\"R2\"");
    assert_non_null(line2);
    char *one_row = repack(good, csv, (size_t)(line2 - csv) + 1, 0);
    /* The same with its header changed. */
    csv[0] = 'E';
    char *renamed = repack(good, csv, n, 0);
    csv[0] = 'e';
    /* Cut short: a zstd frame missing its end. */
    char *cut = repack(good, csv, n, 4);
    /* R2 without its zones: twenty columns. */
    char *zones = strrchr(csv, ',');
    assert_true(zones > line2);
    memcpy(zones, "\n", 2);
    char *no_zones = repack(good, csv, strlen(csv), 0);
    json_decref(good);
    const project_case cases[] = {
        {one_row, "count is not the number of rows"},
        {renamed, "not the batch's header"},
        {cut, "does not decompress"},
        {no_zones, "a row without the export's 20 columns and zones"},
        {"{\"count\":1,\"format\":\"" ACLED_BATCH_FORMAT "\",\"provenance\":\"acled\","
         "\"rows\":\"not base64!\",\"status\":\"verified\"}",
         "not base64"},
        {"{\"count\":1,\"format\":\"csv\",\"provenance\":\"acled\",\"rows\":\"\","
         "\"status\":\"verified\"}",
         "unknown format"},
        {"{\"count\":1,\"format\":\"" ACLED_BATCH_FORMAT "\",\"provenance\":\"acled\","
         "\"rows\":\"AAAA\",\"status\":\"verified\"}",
         "not a zstd frame"},
        {"{\"format\":\"" ACLED_BATCH_FORMAT "\",\"rows\":\"\"}", "lacks"},
    };
    int64_t journal = th_journal_len(db);
    incidents += 2;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = strdup(cases[i].body);
        if (store_txn(s, project_txn, &(project_case){body, NULL}, &e) != -1)
            fail_msg("case %zu projected", i);
        assert_int_equal(e.status, 500);
        assert_string_equal(e.code, "journal.bad_event");
        if (!strstr(e.message, cases[i].words)) fail_msg("case %zu: %s", i, e.message);
        err_clear(&e);
        free(body);
        assert_int_equal(monitor_store(s)->incident_count(s, &e), incidents);
    }
    assert_int_equal(th_journal_len(db), journal);
    free(one_row);
    free(renamed);
    free(cut);
    free(no_zones);
    buf_free(&b);
}

static long post_csv(th_server *t, const char *query, const char *token, const char *body,
                     size_t len, const char *ctype, th_resp *out)
{
    char url[256];
    snprintf(url, sizeof url, "/api/v1/imports/acled%s", query);
    assert_int_equal(th_http("POST", th_url(t, url), token, body, len, ctype, out), 0);
    return out->status;
}

/* An imported incident whose stored row was damaged (by hand, or by the disk) is not shown
 * as an empty document: its listing, its page, its duplicates and the exports that build
 * documents (GeoJSON, and the CSV the public gets on a coarsening grid) fail with a 500
 * store.damaged (the log names it; the client gets the request id), and `truce rebuild`
 * mends it from the journal. */
static void a_damaged_stored_row_is_an_error_not_an_empty_incident(void **state)
{
    th_server t;
    th_resp r;
    buf b = BUF_INIT;
    char cmd[1200], url[128];
    http_config grid = {.public_grid = 0.05}; /* the public's CSV is rebuilt from documents */
    (void)state;
    th_server_start(&t, &grid);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    good_rows(&b, "D", 3);
    assert_int_equal(post_csv(&t, "", un, b.p, b.len, "text/csv", &r), 200);
    th_resp_free(&r);
    buf_free(&b);
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' \"SELECT id FROM incidents WHERE external_id = 'D2'\"",
             t.db);
    FILE *q = popen(cmd, "r");
    long long id = 0;
    assert_int_equal(fscanf(q, "%lld", &id), 1);
    pclose(q);
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' \"UPDATE incidents SET acled_csv = 'not a row'"
             " WHERE id = %lld\"",
             t.db, id);
    assert_int_equal(system(cmd), 0);
    char named[64];
    snprintf(named, sizeof named, "incident %lld is damaged", id);
    static const struct {
        const char *path;
        int public;
    } paths[] = {{"/api/v1/incidents?limit=1000", 0},
                 {"/api/v1/incidents/%lld", 0},
                 {"/api/v1/incidents/%lld/duplicates", 0},
                 {"/api/v1/incidents.geojson", 0},
                 {"/api/v1/incidents.csv", 1}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        snprintf(url, sizeof url, paths[i].path, id);
        th_stderr_capture();
        assert_int_equal(
            th_http("GET", th_url(&t, url), paths[i].public ? NULL : un, NULL, 0, NULL, &r), 0);
        char *log = th_stderr_release();
        /* The client gets the code and the request id; the operator's log, the cause. */
        char *rid = th_header(&r, "X-Request-Id");
        const char *said = json_string_value(json_object_get(
            json_object_get(json_object_get(r.json, "error"), "detail"), "request_id"));
        if (r.status != 500 || strcmp(th_code(&r), "store.damaged") != 0 || !rid || !said ||
            strcmp(rid, said) != 0 || strstr(r.body, "acled_csv"))
            fail_msg("%s: %ld %s", url, r.status, r.body);
        char logged[200];
        snprintf(logged, sizeof logged, "request %s: 500 store.damaged: ", rid);
        if (!strstr(log, logged) || !strstr(strstr(log, logged), named))
            fail_msg("%s: the log lacks '%s':\n%s", url, logged, log);
        free(rid);
        free(log);
        th_resp_free(&r);
    }
    char *err = NULL;
    assert_int_equal(
        th_truce(NULL, &err, NULL, "export incidents --db '%s' --format geojson", t.db), 1);
    assert_non_null(strstr(err, named));
    free(err);
    /* Rebuilt from the journal (with the server stopped: rebuild refuses a database in
     * use): whole again. */
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", t.db), 1);
    th_server_halt(&t);
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", t.db), 0);
    th_server_resume(&t);
    un = th_login(&t, "un", "demo-un-monitor");
    snprintf(url, sizeof url, "/api/v1/incidents/%lld", id);
    assert_int_equal(th_http("GET", th_url(&t, url), un, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "event_id_cnty")), "D2");
    th_resp_free(&r);
    th_server_stop(&t);
}

/* POST /imports/acled with a Content-Encoding (gzip, or another). */
static long post_encoded(th_server *t, const char *token, const char *encoding, const char *body,
                         size_t len, th_resp *out)
{
    char enc[64];
    snprintf(enc, sizeof enc, "Content-Encoding: %s", encoding);
    const char *headers[] = {"Content-Type: text/csv", enc, NULL};
    assert_int_equal(
        th_http_with("POST", th_url(t, "/api/v1/imports/acled"), token, body, len, headers, out),
        0);
    return out->status;
}

/* The centre of v's cell on a grid of g degrees, as the server computes it. */
static double cell_centre(double v, double g)
{
    return round((floor(v / g) + 0.5) * g * 1e6) / 1e6;
}

/* POST /imports/acled does what `truce import acled` does; and on a deployment with a public
 * grid, everyone but monitors and mediators sees locations on the grid only. */
static void import_over_http_and_coarse_public_locations(void **state)
{
    th_server t;
    th_resp r;
    char path[1024];
    size_t len;
    const double grid = 0.05;
    http_config cfg = {.public_grid = grid};
    (void)state;
    th_server_start(&t, &cfg);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    const char *wfp = th_login(&t, "wfp", "demo-wfp");
    snprintf(path, sizeof path, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    char *csv = th_slurp(path, &len);

    /* Refusals, each writing nothing. */
    int64_t before = th_journal_len(t.db);
    assert_int_equal(post_csv(&t, "", NULL, csv, len, "text/csv", &r), 401);
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "", wfp, csv, len, "text/csv", &r), 403);
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "", un, csv, len, "application/json", &r), 415);
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "?status=maybe", un, csv, len, "text/csv", &r), 400);
    assert_string_equal(th_code(&r), "request.invalid_param");
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "?outside_zones=never", un, csv, len, "text/csv", &r), 400);
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "?journal=secret", un, csv, len, "text/csv", &r), 400);
    assert_non_null(strstr(r.body, "\"field\":\"journal\""));
    th_resp_free(&r);
    static const char broken[] = "event_id_cnty;event_date;time_precision\nX;1;1\n";
    assert_int_equal(post_csv(&t, "", un, broken, strlen(broken), "text/csv", &r), 400);
    assert_string_equal(th_code(&r), "acled.bad_header");
    th_resp_free(&r);
    assert_int_equal(th_journal_len(t.db), before);

    /* The real export: all of it, a receipt; again, the same incidents updated. */
    assert_int_equal(post_csv(&t, "", un, csv, len, "text/csv; charset=utf-8", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), TH_ACLED_GAZA_ROWS);
    assert_int_equal(json_integer_value(json_object_get(r.json, "rejected")), 0);
    assert_non_null(json_object_get(r.json, "receipt"));
    th_resp_free(&r);
    assert_int_equal(th_journal_len(t.db),
                     before + (TH_ACLED_GAZA_ROWS + 499) / 500); /* batches of 500 */
    assert_int_equal(post_csv(&t, "", un, csv, len, "text/csv", &r), 200);
    th_resp_free(&r);
    /* Sent gzip-compressed (a fifth of the bytes on a slow link): the same import. A body
     * cut short, another encoding, or one that inflates past the upload limit (20 MiB of
     * zeros in 20 KB) is refused and writes nothing. */
    size_t gz_len;
    char *gz = th_gzip(csv, len, &gz_len);
    assert_true(gz_len < len / 3);
    int64_t at = th_journal_len(t.db);
    assert_int_equal(post_encoded(&t, un, "gzip", gz, gz_len, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), TH_ACLED_GAZA_ROWS);
    th_resp_free(&r);
    assert_int_equal(th_journal_len(t.db), at + (TH_ACLED_GAZA_ROWS + 499) / 500);
    at = th_journal_len(t.db);
    assert_int_equal(post_encoded(&t, un, "gzip", gz, gz_len / 2, &r), 400);
    assert_string_equal(th_code(&r), "request.bad_encoding");
    th_resp_free(&r);
    assert_int_equal(post_encoded(&t, un, "br", gz, gz_len, &r), 415);
    assert_string_equal(th_code(&r), "request.unsupported_encoding");
    th_resp_free(&r);
    assert_int_equal(post_encoded(&t, un, "gzip", csv, len, &r), 400); /* not gzip at all */
    assert_string_equal(th_code(&r), "request.bad_encoding");
    th_resp_free(&r);
    assert_int_equal(post_csv(&t, "", un, gz, gz_len, "text/csv", &r), 400); /* undeclared */
    assert_string_equal(th_code(&r), "acled.compressed");
    th_resp_free(&r);
    free(gz);
    size_t zeros_len = 20 * 1024 * 1024 + 1;
    char *zeros = calloc(1, zeros_len);
    gz = th_gzip(zeros, zeros_len, &gz_len);
    free(zeros);
    assert_true(gz_len < 100000);
    assert_int_equal(post_encoded(&t, un, "gzip", gz, gz_len, &r), 413);
    assert_string_equal(th_code(&r), "request.too_large");
    th_resp_free(&r);
    free(gz);
    assert_int_equal(th_journal_len(t.db), at);
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents/stats"), un, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), TH_ACLED_GAZA_ROWS);
    th_resp_free(&r);
    /* An imported incident's history begins with the batch that last wrote it (the last
     * import), named but not copied: its 500 documents are one request away. */
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/1/history"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_t *hist = json_object_get(r.json, "events");
    assert_int_equal(json_array_size(hist), 1);
    json_t *batch = json_array_get(hist, 0);
    assert_string_equal(json_string_value(json_object_get(batch, "type")), "incidents.imported");
    assert_null(json_object_get(batch, "body"));
    int64_t batch_seq = json_integer_value(json_object_get(batch, "seq"));
    assert_true(batch_seq > before + (TH_ACLED_GAZA_ROWS + 499) / 500); /* the second import's */
    char entry[96];
    snprintf(entry, sizeof entry, "/api/v1/journal?after=%lld&limit=1", (long long)batch_seq - 1);
    assert_string_equal(json_string_value(json_object_get(batch, "entry")), entry);
    th_resp_free(&r);
    /* Bad rows are listed by line and column; the rest are kept. */
    buf b = BUF_INIT;
    buf_puts(&b, HEADER);
    buf_puts(&b, "H1,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,S,N,n,0,,1\n");
    buf_puts(&b, "H2,20-Jan-25,2025,1,x,Battles,Air/drone strike,A,,X,B,,Y,,,275,ME,P,G,R,,R,"
                 "31.2,34.2,1,S,N,n,0,,1\n");
    assert_int_equal(post_csv(&t, "?status=reported", un, b.p, b.len, "text/csv", &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "imported")), 1);
    json_t *rej = json_array_get(json_object_get(r.json, "rejects"), 0);
    assert_int_equal(json_integer_value(json_object_get(rej, "line")), 3);
    assert_string_equal(json_string_value(json_object_get(rej, "column")), "sub_event_type");
    th_resp_free(&r);
    buf_free(&b);
    /* journal=private: verified, yet its batch is not a public journal event. */
    buf_puts(&b, HEADER);
    buf_puts(&b, "J1,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,31.2,"
                 "34.2,1,S,N,n,0,,1\n");
    assert_int_equal(post_csv(&t, "?journal=private", un, b.p, b.len, "text/csv", &r), 200);
    th_resp_free(&r);
    buf_free(&b);
    char jpath[96];
    snprintf(jpath, sizeof jpath, "/api/v1/journal?after=%lld",
             (long long)th_journal_len(t.db) - 1);
    assert_int_equal(th_http("GET", th_url(&t, jpath), NULL, NULL, 0, NULL, &r), 0);
    json_t *last = json_array_get(json_object_get(r.json, "events"), 0);
    assert_string_equal(json_string_value(json_object_get(last, "type")), "incidents.imported");
    assert_true(json_is_true(json_object_get(last, "redacted")));
    th_resp_free(&r);

    /* Incident 1 as a monitor (exact) and as the public (its cell's centre). */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents/1"), un, NULL, 0, NULL, &r), 0);
    double lat = json_number_value(json_object_get(r.json, "latitude"));
    double lon = json_number_value(json_object_get(r.json, "longitude"));
    assert_null(json_object_get(r.json, "coarsened_to"));
    th_resp_free(&r);
    assert_true(fabs(cell_centre(lat, grid) - lat) > 1e-4); /* else the test shows nothing */
    const char *viewers[] = {NULL, wfp};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(
            th_http("GET", th_url(&t, "/api/v1/incidents/1"), viewers[i], NULL, 0, NULL, &r), 0);
        assert_true(json_number_value(json_object_get(r.json, "latitude")) ==
                    cell_centre(lat, grid));
        assert_true(json_number_value(json_object_get(r.json, "longitude")) ==
                    cell_centre(lon, grid));
        assert_true(json_number_value(json_object_get(r.json, "coarsened_to")) == grid);
        th_resp_free(&r);
    }
    /* Lists, GeoJSON and CSV alike: no exact coordinate of incident 1 reaches the public. */
    char exact[64];
    snprintf(exact, sizeof exact, "%.4f", lat);
    const char *urls[] = {"/api/v1/incidents?limit=5", "/api/v1/incidents.geojson",
                          "/api/v1/incidents.csv", "/api/v1/incidents.geojson?properties=summary"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(th_http("GET", th_url(&t, urls[i]), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, exact));
        th_resp_free(&r);
    }
    /* A box probe learns the cell, never the point: a tiny box around the exact place
     * that misses the cell's centre finds nothing for the public... */
    char url[256];
    snprintf(url, sizeof url, "/api/v1/incidents/stats?bbox=%.6f,%.6f,%.6f,%.6f", lon - 1e-4,
             lat - 1e-4, lon + 1e-4, lat + 1e-4);
    assert_int_equal(th_http("GET", th_url(&t, url), un, NULL, 0, NULL, &r), 0);
    assert_true(json_integer_value(json_object_get(r.json, "total")) >= 1);
    th_resp_free(&r);
    assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), 0);
    th_resp_free(&r);
    /* ...and a tiny box around the centre finds exactly the cell's verified incidents. */
    double clat = cell_centre(lat, grid), clon = cell_centre(lon, grid);
    snprintf(url, sizeof url, "/api/v1/incidents/stats?bbox=%.6f,%.6f,%.6f,%.6f", clon - 1e-4,
             clat - 1e-4, clon + 1e-4, clat + 1e-4);
    assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
    json_int_t public_count = json_integer_value(json_object_get(r.json, "total"));
    th_resp_free(&r);
    snprintf(url, sizeof url, "/api/v1/incidents/stats?status=verified&bbox=%.9f,%.9f,%.9f,%.9f",
             clon - grid / 2, clat - grid / 2, clon + grid / 2 - 1e-9, clat + grid / 2 - 1e-9);
    assert_int_equal(th_http("GET", th_url(&t, url), un, NULL, 0, NULL, &r), 0);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), public_count);
    assert_true(public_count >= 1);
    th_resp_free(&r);
    free(csv);
    th_server_stop(&t);
}

/* Exports and counts read whole tables: callers without an account may run a few at once
 * (a slot held for the whole request, a stream included, and given back), or none. */
static void public_heavy_reads_are_limited(void **state)
{
    th_server t;
    th_resp r;
    (void)state;
    http_config none = {.public_heavy = -1};
    th_server_start(&t, &none);
    const char *un = th_login(&t, "un", "demo-un-monitor");
    const char *heavy[] = {"/api/v1/incidents/stats", "/api/v1/incidents.geojson",
                           "/api/v1/incidents.csv"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(th_http("GET", th_url(&t, heavy[i]), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 503);
        assert_string_equal(th_code(&r), "server.busy");
        char *ra = th_header(&r, "Retry-After");
        assert_non_null(ra);
        free(ra);
        th_resp_free(&r);
        assert_int_equal(th_http("GET", th_url(&t, heavy[i]), un, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        th_resp_free(&r);
    }
    /* The public's light reads are not affected. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    th_resp_free(&r);
    th_server_stop(&t);

    http_config one = {.public_heavy = 1};
    th_server_start(&t, &one);
    for (int k = 0; k < 6; k++) { /* one at a time: each gives its slot back */
        long status = 0;
        /* The slot is given back when the server has finished with the request, which may
         * be a moment after the client has the last byte. */
        for (int tries = 0; tries < 100 && status != 200; tries++) {
            if (tries) usleep(10000);
            assert_int_equal(th_http("GET", th_url(&t, heavy[k % 3]), NULL, NULL, 0, NULL, &r), 0);
            status = r.status;
            assert_true(status == 200 || status == 503);
            th_resp_free(&r);
        }
        assert_int_equal(status, 200);
    }
    th_server_stop(&t);
}

/* A report or incident placed outside every zone of the deployment: accepted with a
 * warning in the reply by default, refused (400, nothing written) when the server is told
 * so; a place inside a zone draws neither. */
static void places_outside_every_zone(void **state)
{
    (void)state;
    static const char *const fields =
        "\"event_date\":\"2025-02-03\",\"time_precision\":1,\"event_type\":\"Battles\","
        "\"sub_event_type\":\"Armed clash\",\"actor1\":\"Unknown\",\"geo_precision\":1,"
        "\"location\":\"somewhere\",";
    static const char *const places[] = {"\"latitude\":31.0,\"longitude\":35.5",   /* outside */
                                         "\"latitude\":31.5,\"longitude\":34.46"}; /* Gaza */
    static const char *const routes[] = {"/api/v1/reports", "/api/v1/incidents"};
    for (int refuse = 0; refuse < 2; refuse++) {
        th_server t;
        http_config cfg = {.refuse_outside_zones = refuse};
        th_server_start(&t, &cfg);
        const char *un = th_login(&t, "un", "demo-un-monitor");
        for (int k = 0; k < 2; k++)
            for (int inside = 0; inside < 2; inside++) {
                char body[512];
                th_resp r;
                snprintf(body, sizeof body, "{%s%s}", fields, places[inside]);
                int64_t before = th_journal_len(t.db);
                assert_int_equal(
                    th_http("POST", th_url(&t, routes[k]), un, body, strlen(body), NULL, &r), 0);
                json_t *w = json_object_get(r.json, "warnings");
                if (inside) {
                    assert_int_equal(r.status, 201);
                    assert_null(w);
                } else if (!refuse) {
                    assert_int_equal(r.status, 201);
                    assert_int_equal(json_array_size(w), 1);
                    assert_string_equal(
                        json_string_value(json_object_get(json_array_get(w, 0), "code")),
                        "place.outside_zones");
                    assert_non_null(strstr(r.body, "outside every zone"));
                } else {
                    assert_int_equal(r.status, 400);
                    assert_string_equal(th_code(&r), "place.outside_zones");
                    assert_non_null(strstr(r.body, "\"field\":\"latitude\""));
                    assert_int_equal(th_journal_len(t.db), before);
                }
                if (r.status == 201) assert_true(th_journal_len(t.db) > before);
                th_resp_free(&r);
            }
        th_server_stop(&t);
    }
}

static long upload_text(th_server *t, const char *token, const char *text, th_resp *out)
{
    const char *h[] = {"Content-Type: text/plain", NULL};
    assert_int_equal(
        th_http_with("POST", th_url(t, "/api/v1/evidence"), token, text, strlen(text), h, out), 0);
    return out->status;
}

/* Each organization may upload so many bytes of evidence a UTC day: beyond, a 429 with
 * Retry-After (the seconds to midnight UTC) that stores nothing; a file it sent before
 * costs nothing, and another organization has its own allowance. */
static void evidence_has_a_daily_quota(void **state)
{
    (void)state;
    th_server t;
    http_config cfg = {.evidence_quota = 40};
    th_server_start(&t, &cfg);
    const char *wfp = th_login(&t, "wfp", "demo-wfp"), *un = th_login(&t, "un", "demo-un-monitor");
    static const char *const one = "first note, 20 bytes", *two = "second note, 21 bytes";
    th_resp r;
    assert_int_equal(upload_text(&t, wfp, one, &r), 201);
    th_resp_free(&r);
    assert_int_equal(upload_text(&t, wfp, one, &r), 200); /* the same file: no new bytes */
    th_resp_free(&r);
    int64_t before = th_journal_len(t.db);
    assert_int_equal(upload_text(&t, wfp, two, &r), 429);
    assert_string_equal(th_code(&r), "evidence.quota");
    char *retry = th_header(&r, "Retry-After");
    assert_non_null(retry);
    long secs = atol(retry);
    assert_true(secs > 0 && secs <= 86400);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(r.json, "error"), "detail"), "retry_after")),
        secs);
    free(retry);
    th_resp_free(&r);
    assert_int_equal(th_journal_len(t.db), before);
    assert_int_equal(upload_text(&t, un, two, &r), 201);
    th_resp_free(&r);
    th_server_stop(&t);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

#define TEN "Area name "
#define LONG_NAME                                                                                  \
    TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN    \
        TEN TEN TEN TEN TEN TEN TEN /* 300 bytes */

/* truce import zones: a real GADM governorates file into a new deployment, Gaza's five by
 * --where, named by --name; every bad file imports nothing and names the feature. */
static void zones_import_from_a_geojson_file(void **state)
{
    char zdb[400], file[400], real[400], *out, *err;
    (void)state;
    snprintf(zdb, sizeof zdb, "%s/zones.db", dir);
    snprintf(file, sizeof file, "%s/zones.geojson", dir);
    snprintf(real, sizeof real, "%s/geo/palestine_governorates.geojson", getenv("TRUCE_DATA"));
    assert_int_equal(th_truce(NULL, NULL, NULL, "init --db '%s' --name Mission", zdb), 0);
    int64_t before = th_journal_len(zdb);
    /* The file names its features NAME_2, not name: the error lists what it has. */
    assert_int_equal(th_truce(NULL, &err, NULL, "import zones '%s' --db '%s'", real, zdb), 1);
    assert_non_null(strstr(err, "features[0] has no property 'name'"));
    assert_non_null(strstr(err, "NAME_2"));
    free(err);
    assert_int_equal(th_truce(&out, NULL, NULL,
                              "import zones '%s' --db '%s' --where NAME_1=Gaza "
                              "--name NAME_2 --kind governorate",
                              real, zdb),
                     0);
    assert_string_equal(out, "imported 5 zones: deir-al-balah gaza-ash-shamaliyah gaza "
                             "khan-yunis rafah\n");
    free(out);
    int64_t with_five = th_journal_len(zdb);
    assert_int_equal(with_five, before + 5);
    /* Again: the first is there already, so none is imported. */
    assert_int_equal(th_truce(NULL, &err, NULL,
                              "import zones '%s' --db '%s' --where NAME_1=Gaza "
                              "--name NAME_2",
                              real, zdb),
                     1);
    assert_non_null(strstr(err, "zone 'deir-al-balah' already exists"));
    free(err);
    /* Files that import nothing, whatever comes before the bad feature. */
    static const char *const poly = "{\"type\":\"Polygon\",\"coordinates\":[[[34.2,31.2],"
                                    "[34.3,31.2],[34.3,31.3],[34.2,31.2]]]}";
    static const struct {
        const char *features, *args, *words;
    } bad[] = {
        {"{\"properties\":{\"name\":\"Buffer A\"},\"geometry\":%s},"
         "{\"properties\":{\"name\":\"Buffer B\"},\"geometry\":{\"type\":\"Polygon\","
         "\"coordinates\":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}}",
         "", "features[1] (zone 'buffer-b')"},
        {"{\"properties\":{\"name\":\"Buffer A\"},\"geometry\":%s},"
         "{\"properties\":{\"name\":\"buffer  a\"},\"geometry\":%s}",
         "", "features[1] has the slug 'buffer-a' of an earlier feature"},
        {"{\"properties\":{\"name\":\"\\u0631\\u0641\\u062d\"},\"geometry\":%s}", "",
         "which makes no slug"},
        {"{\"properties\":{\"name\":\"A\"},\"geometry\":%s}", "--slug code",
         "has no property 'code' for its slug"},
        {"{\"properties\":{\"name\":\"A\",\"kind\":\"Buffer Zone\"},\"geometry\":%s}", "",
         "'Buffer Zone' is not a valid zone kind"},
        {"{\"properties\":{\"name\":\"" LONG_NAME "\"},\"geometry\":%s}", "",
         "must be 1 to 256 bytes, not 300"},
        {"{\"properties\":{\"name\":\"Line\"},\"geometry\":{\"type\":\"LineString\","
         "\"coordinates\":[[34.2,31.2],[34.3,31.3]]}}",
         "", "Polygon and MultiPolygon"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char feats[1024], text[1400];
        snprintf(feats, sizeof feats, bad[k].features, poly, poly);
        snprintf(text, sizeof text, "{\"type\":\"FeatureCollection\",\"features\":[%s]}", feats);
        write_text(file, text);
        assert_int_equal(
            th_truce(NULL, &err, NULL, "import zones '%s' --db '%s' %s", file, zdb, bad[k].args),
            1);
        if (!strstr(err, bad[k].words)) fail_msg("case %zu: %s", k, err);
        free(err);
        assert_int_equal(th_journal_len(zdb), with_five);
    }
    write_text(file, "{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}");
    assert_int_equal(th_truce(NULL, &err, NULL, "import zones '%s' --db '%s'", file, zdb), 1);
    assert_non_null(strstr(err, "not a GeoJSON FeatureCollection"));
    free(err);
    write_text(file, "{\"type\":");
    assert_int_equal(th_truce(NULL, &err, NULL, "import zones '%s' --db '%s'", file, zdb), 1);
    assert_non_null(strstr(err, "is not JSON"));
    free(err);
    assert_int_equal(
        th_truce(NULL, NULL, NULL, "import zones '%s' --db '%s' --where NAME_1", real, zdb), 2);
    assert_int_equal(th_journal_len(zdb), with_five);
    /* Names that make no slug get one from a property: a buffer zone with a code. */
    write_text(file, "\xef\xbb\xbf{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":"
                     "{\"name\":\"\\u0631\\u0641\\u062d\",\"code\":\"bz-1\",\"kind\":"
                     "\"buffer-zone\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
                     "[[[34.2,31.2],[34.3,31.2],[34.3,31.3],[34.2,31.2]]]}}]}");
    assert_int_equal(
        th_truce(&out, NULL, NULL, "import zones '%s' --db '%s' --slug code", file, zdb), 0);
    assert_string_equal(out, "imported 1 zone: bz-1\n");
    free(out);
    assert_int_equal(th_journal_len(zdb), with_five + 1);
}

static int last_visibility(void *cls, const void *row)
{
    const store_event *ev = row;
    assert_string_equal(ev->type, "incidents.imported");
    snprintf(cls, 64, "%s", ev->visibility);
    return 0;
}

static void the_command_line(void **state)
{
    char path[1024], bad[400], *out, *err;
    (void)state;
    snprintf(path, sizeof path, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    assert_int_equal(
        th_truce(&out, &err, NULL, "import acled '%s' --db '%s' --status reported", path, db), 0);
    assert_string_equal(out, "imported " TH_STR(TH_ACLED_GAZA_ROWS) ", rejected 0\n");
    long outside = -1;
    assert_non_null(strstr(err, "imported events lie outside every zone of this deployment"));
    assert_int_equal(sscanf(strstr(err, "warning: "), "warning: %ld", &outside), 1);
    assert_true(outside > 0 && outside < TH_ACLED_GAZA_ROWS / 100);
    free(out);
    free(err);
    /* Refusing them instead: each is a rejected row with its line, the rest imported. */
    assert_int_equal(
        th_truce(&out, &err, NULL, "import acled '%s' --db '%s' --outside-zones refuse", path, db),
        0);
    char expect[64];
    snprintf(expect, sizeof expect, "imported %ld, rejected %ld\n", TH_ACLED_GAZA_ROWS - outside,
             outside);
    assert_string_equal(out, expect);
    assert_non_null(strstr(err, "column latitude: the place lies outside every zone"));
    assert_null(strstr(err, "warning:"));
    free(out);
    free(err);
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    FILE *f = fopen(bad, "w");
    fputs("event_id_cnty,event_date\n", f);
    fclose(f);
    assert_int_equal(th_truce(NULL, &err, NULL, "import acled '%s' --db '%s'", bad, db), 1);
    assert_non_null(strstr(err, "line 1: the column 'time_precision' is missing"));
    free(err);
    assert_int_equal(
        th_truce(NULL, NULL, NULL, "import acled '%s' --db '%s' --status maybe", path, db), 2);
    assert_int_equal(th_truce(NULL, NULL, NULL, "import acled --db '%s'", db), 2);
    assert_int_equal(
        th_truce(NULL, NULL, NULL, "import acled '%s' --db '%s' --outside-zones maybe", path, db),
        2);
    /* --private-journal: a verified import journaled for monitors and mediators only. */
    {
        char small[400], pdb[400];
        snprintf(small, sizeof small, "%s/one.csv", dir);
        snprintf(pdb, sizeof pdb, "%s/private.db", dir);
        buf one = BUF_INIT;
        buf_puts(&one, HEADER);
        buf_puts(&one, "P1,20-Jan-25,2025,1,x,Battles,Armed clash,A,,X,B,,Y,,,275,ME,P,G,R,,R,"
                       "31.5,34.45,1,S,N,n,0,,1\n");
        FILE *w = fopen(small, "wb");
        fwrite(one.p, 1, one.len, w);
        fclose(w);
        buf_free(&one);
        store *x = th_demo_db(pdb);
        x->ops->close(x);
        for (int private = 0; private < 2; private ++) {
            assert_int_equal(th_truce(NULL, NULL, NULL, "import acled '%s' --db '%s' %s", small,
                                      pdb, private ? "--private-journal" : ""),
                             0);
            tr_err e = TR_ERR_INIT;
            store *r = store_sqlite_open(pdb, STORE_READONLY, &e);
            assert_non_null(r);
            char vis[64] = "";
            int64_t n = th_journal_len(pdb);
            assert_int_equal(r->ops->journal_scan(r, n - 1, 1, last_visibility, vis, &e), 0);
            r->ops->close(r);
            assert_string_equal(vis, private ? "kind:monitor kind:mediator" : "public");
        }
    }
    /* Downloads as they come: gzip-compressed (read as it is), saved by a spreadsheet with
     * a byte-order mark; and a compressed download cut short, which imports nothing. */
    size_t len, gz_len;
    char *csv = th_slurp(path, &len), *gz = th_gzip(csv, len, &gz_len), gzpath[400];
    snprintf(gzpath, sizeof gzpath, "%s/events.csv.gz", dir);
    f = fopen(gzpath, "wb");
    fwrite(gz, 1, gz_len, f);
    fclose(f);
    assert_int_equal(th_truce(&out, NULL, NULL, "import acled '%s' --db '%s'", gzpath, db), 0);
    assert_string_equal(out, "imported " TH_STR(TH_ACLED_GAZA_ROWS) ", rejected 0\n");
    free(out);
    f = fopen(bad, "wb");
    fputs("\xef\xbb\xbf", f);
    fwrite(csv, 1, len, f);
    fclose(f);
    assert_int_equal(th_truce(&out, NULL, NULL, "import acled '%s' --db '%s'", bad, db), 0);
    assert_string_equal(out, "imported " TH_STR(TH_ACLED_GAZA_ROWS) ", rejected 0\n");
    free(out);
    int64_t before = th_journal_len(db);
    f = fopen(gzpath, "wb");
    fwrite(gz, 1, gz_len / 2, f);
    fclose(f);
    assert_int_equal(th_truce(NULL, &err, NULL, "import acled '%s' --db '%s'", gzpath, db), 1);
    assert_non_null(strstr(err, "could not be read past line"));
    free(err);
    assert_int_equal(th_journal_len(db), before);
    free(gz);
    free(csv);
}

/* A gzip body, inflated (malloc'd). */
static char *gunzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z = {0};
    size_t cap = 1 << 20, n = 0;
    char *out = malloc(cap);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    int rc;
    do {
        if (n == cap) out = realloc(out, cap *= 2);
        z.next_out = (Bytef *)out + n;
        z.avail_out = (uInt)(cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
        assert_true(rc == Z_OK || rc == Z_STREAM_END);
    } while (rc != Z_STREAM_END);
    assert_int_equal(z.avail_in, 0);
    inflateEnd(&z);
    *out_len = n;
    return out;
}

/* A client that takes nothing: curl gives up and closes the connection. */
static size_t hang_up(char *data, size_t size, size_t n, void *cls)
{
    (void)data, (void)size, (void)n, (void)cls;
    return 0;
}

static void incidents_over_http(void **state)
{
    th_server t;
    th_resp r;
    char path[1024];
    (void)state;
    th_server_start(&t, NULL);
    snprintf(path, sizeof path, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    assert_int_equal(th_truce(NULL, NULL, NULL, "import acled '%s' --db '%s'", path, t.db), 0);
    /* Pages of 1000 by id cover them all without repeats. */
    int64_t after = 0, total = 0, last = 0;
    for (int page = 0; page < 10; page++) {
        char url[128];
        snprintf(url, sizeof url, "/api/v1/incidents?limit=1000&after=%lld", (long long)after);
        assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r.json, "incidents"), i, it)
        {
            assert_true(json_integer_value(json_object_get(it, "id")) > last);
            last = json_integer_value(json_object_get(it, "id"));
            assert_string_equal(json_string_value(json_object_get(it, "status")), "verified");
            total++;
        }
        json_t *next = json_object_get(r.json, "next_after");
        after = next ? json_integer_value(next) : -1;
        th_resp_free(&r);
        if (after < 0) break;
    }
    assert_int_equal(total, TH_ACLED_GAZA_ROWS);
    /* Filters: during the January-March 2025 ceasefire the export has 47 explosions and
     * remote-violence events, and no battles. */
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents?event_type=Battles&from="
                                        "2025-01-19&to=2025-03-18"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r.json, "incidents")), 0);
    th_resp_free(&r);
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents?event_type=Explosions%2F"
                                        "Remote%20violence&from=2025-01-19&to=2025-03-18"
                                        "&limit=1000"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(json_array_size(json_object_get(r.json, "incidents")), 47);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r.json, "incidents"), i, it)
    {
        assert_string_equal(json_string_value(json_object_get(it, "event_type")),
                            "Explosions/Remote violence");
        const char *d = json_string_value(json_object_get(it, "event_date"));
        assert_true(strcmp(d, "2025-01-19") >= 0 && strcmp(d, "2025-03-18") <= 0);
    }
    th_resp_free(&r);
    /* The same, in the Gaza governorate only: a subset, every one tagged with it. */
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents?event_type=Explosions%2F"
                                        "Remote%20violence&from=2025-01-19&to=2025-03-18"
                                        "&limit=1000&zone=gaza"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    size_t in_zone = json_array_size(json_object_get(r.json, "incidents"));
    assert_true(in_zone > 0 && in_zone <= 47);
    json_array_foreach(json_object_get(r.json, "incidents"), i, it)
    {
        json_t *z = json_object_get(it, "zones");
        size_t k;
        int found = 0;
        for (k = 0; k < json_array_size(z); k++)
            found |= strcmp(json_string_value(json_array_get(z, k)), "gaza") == 0;
        assert_true(found);
    }
    th_resp_free(&r);
    /* A map's bounding box (south-west Gaza City), as GeoJSON and as a page: the same
     * incidents, every one inside the box; 260 rows of the export lie in it. */
    const char *box = "bbox=34.40,31.45,34.45,31.50";
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents?limit=1000&bbox=34.40,31.45,"
                                        "34.45,31.50"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    size_t in_box = json_array_size(json_object_get(r.json, "incidents"));
    assert_int_equal(in_box, 260);
    th_resp_free(&r);
    /* Paged by id, a small box (read through the place index) and a box holding every
     * incident (a plain scan) give each incident once, in order. */
    static const struct {
        const char *box;
        int64_t expect;
    } paged[] = {{"34.40,31.45,34.45,31.50", 260}, {"34,31,35,32", TH_ACLED_GAZA_ROWS}};
    for (size_t k = 0; k < 2; k++) {
        int64_t page_after = 0, seen = 0, last_id = 0;
        for (int page = 0; page < 100 && page_after >= 0; page++) {
            char u[160];
            snprintf(u, sizeof u, "/api/v1/incidents?limit=100&bbox=%s&after=%lld", paged[k].box,
                     (long long)page_after);
            assert_int_equal(th_http("GET", th_url(&t, u), NULL, NULL, 0, NULL, &r), 0);
            size_t q;
            json_t *one;
            json_array_foreach(json_object_get(r.json, "incidents"), q, one)
            {
                int64_t id = json_integer_value(json_object_get(one, "id"));
                assert_true(id > last_id);
                last_id = id;
                seen++;
            }
            json_t *next = json_object_get(r.json, "next_after");
            page_after = next ? json_integer_value(next) : -1;
            th_resp_free(&r);
        }
        assert_int_equal(seen, paged[k].expect);
    }
    char url[256];
    snprintf(url, sizeof url, "/api/v1/incidents.geojson?%s", box);
    assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    char *ct = th_header(&r, "Content-Type");
    assert_string_equal(ct, "application/geo+json");
    free(ct);
    json_t *fc = json_loads(r.body, 0, NULL);
    assert_non_null(fc);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), in_box);
    json_array_foreach(json_object_get(fc, "features"), i, it)
    {
        json_t *c = json_object_get(json_object_get(it, "geometry"), "coordinates");
        double lon = json_number_value(json_array_get(c, 0)),
               lat = json_number_value(json_array_get(c, 1));
        assert_true(lon >= 34.40 && lon <= 34.45 && lat >= 31.45 && lat <= 31.50);
    }
    json_decref(fc);
    th_resp_free(&r);
    /* By actor (actor1 or actor2, exactly): 704 rows of the export name Hamas Movement, 524
     * as actor1 and 180 as actor2; 340 of them are battles. The list, the counts and the
     * export agree. */
    static const struct {
        const char *query;
        size_t expect;
    } by_actor[] = {{"actor=Hamas%20Movement", 704},
                    {"actor=Hamas%20Movement&event_type=Battles", 340},
                    {"actor=Hamas", 0}};
    for (size_t k = 0; k < 3; k++) {
        size_t n = 0;
        long long next_after_id = 0;
        while (next_after_id >= 0) {
            snprintf(url, sizeof url, "/api/v1/incidents?limit=1000&%s&after=%lld",
                     by_actor[k].query, next_after_id);
            assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
            assert_int_equal(r.status, 200);
            json_array_foreach(json_object_get(r.json, "incidents"), i, it)
            {
                const char *a1 = json_string_value(json_object_get(it, "actor1"));
                const char *a2 = json_string_value(json_object_get(it, "actor2"));
                assert_true(strcmp(a1, "Hamas Movement") == 0 ||
                            (a2 && strcmp(a2, "Hamas Movement") == 0));
                n++;
            }
            json_t *next = json_object_get(r.json, "next_after");
            next_after_id = next ? json_integer_value(next) : -1;
            th_resp_free(&r);
        }
        assert_int_equal(n, by_actor[k].expect);
        snprintf(url, sizeof url, "/api/v1/incidents/stats?%s", by_actor[k].query);
        assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(json_integer_value(json_object_get(r.json, "total")), (json_int_t)n);
        th_resp_free(&r);
        snprintf(url, sizeof url, "/api/v1/incidents.csv?%s", by_actor[k].query);
        assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
        size_t lines = 0;
        for (const char *c = r.body; c && *c; c++)
            lines += *c == '\n';
        assert_int_equal(lines, n + 1); /* the header */
        th_resp_free(&r);
    }
    /* A mistyped filter is a 400 naming it, on every incident query, never an empty (or a
     * whole) answer that looks like data. */
    static const struct {
        const char *query, *field;
    } bad_filters[] = {{"from=2025-1-19", "from"},
                       {"from=yesterday", "from"},
                       {"to=2025-02-29", "to"},
                       {"to=2025-13-01", "to"},
                       {"from=2025-03-18&to=2025-01-19", "to"},
                       {"status=verifed", "status"},
                       {"event_type=Airstrike", "event_type"},
                       {"zone=gaza-city", "zone"},
                       {"zone=Gaza", "zone"},
                       {"actor=", "actor"},
                       {"bbox=nan,nan,nan,nan", "bbox"},
                       {"bbox=34,nan,35,32", "bbox"}};
    static const char *const queries[] = {"/api/v1/incidents", "/api/v1/incidents/stats",
                                          "/api/v1/incidents.csv", "/api/v1/incidents.geojson"};
    for (size_t k = 0; k < sizeof bad_filters / sizeof bad_filters[0]; k++)
        for (size_t q = 0; q < 4; q++) {
            char field[64];
            snprintf(url, sizeof url, "%s?%s", queries[q], bad_filters[k].query);
            assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
            if (r.status != 400) fail_msg("%s: %ld", url, r.status);
            assert_string_equal(th_code(&r), "request.invalid_param");
            snprintf(field, sizeof field, "\"field\":\"%s\"", bad_filters[k].field);
            if (!strstr(r.body, field)) fail_msg("%s: %s", url, r.body);
            th_resp_free(&r);
        }
    /* 2024 was a leap year; the day exists. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents?from=2024-02-29&to=2024-02-29"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_true(json_array_size(json_object_get(r.json, "incidents")) > 0);
    th_resp_free(&r);
    static const char *const bad_boxes[] = {"1,2,3", "34.5,31,34.4,32", "34,31,35,95", "a,b,c,d",
                                            "34,31,35,32,1"};
    for (size_t k = 0; k < sizeof bad_boxes / sizeof bad_boxes[0]; k++) {
        snprintf(url, sizeof url, "/api/v1/incidents.geojson?bbox=%s", bad_boxes[k]);
        assert_int_equal(th_http("GET", th_url(&t, url), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 400);
        assert_string_equal(th_code(&r), "request.invalid_param");
        assert_non_null(strstr(r.body, "\"field\":\"bbox\""));
        th_resp_free(&r);
    }
    /* Whole exports over HTTP are streamed a page at a time (chunked) and are the CLI's
     * exports byte for byte: the export's rows are six pages. */
    static const struct {
        const char *url, *format;
    } whole[] = {{"/api/v1/incidents.csv", "acled"},
                 {"/api/v1/incidents.csv?format=hxl", "hxl"},
                 {"/api/v1/incidents.geojson", "geojson"},
                 {"/api/v1/incidents.geojson?properties=summary", "geojson-summary"}};
    for (size_t k = 0; k < 4; k++) {
        char *cli;
        assert_int_equal(th_truce(&cli, NULL, NULL, "export incidents --db '%s' --format %s", t.db,
                                  whole[k].format),
                         0);
        assert_int_equal(th_http("GET", th_url(&t, whole[k].url), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        char *te = th_header(&r, "Transfer-Encoding");
        assert_non_null(te);
        assert_string_equal(te, "chunked");
        free(te);
        /* Saved by a browser under a name that says what it is. */
        char *disp = th_header(&r, "Content-Disposition");
        assert_non_null(disp);
        assert_non_null(strstr(disp, "attachment; filename=\"truce-incidents-"));
        assert_non_null(strstr(disp, strstr(whole[k].format, "geojson") ? ".geojson\"" : ".csv\""));
        free(disp);
        if (r.len != strlen(cli) || memcmp(r.body, cli, r.len) != 0)
            fail_msg("%s differs from the CLI's export (%zu vs %zu bytes)", whole[k].url, r.len,
                     strlen(cli));
        th_resp_free(&r);
        /* Asked for gzip (a phone on a slow link), the same bytes come compressed, still
         * streamed; refused with q=0, or asked for another coding, they come as they are. */
        static const char *const accept[] = {"Accept-Encoding: gzip, deflate",
                                             "Accept-Encoding: br;q=1, *;q=0.5",
                                             "Accept-Encoding: gzip;q=0", "Accept-Encoding: br"};
        for (size_t a = 0; a < 4; a++) {
            const char *h[] = {accept[a], NULL};
            assert_int_equal(th_http_with("GET", th_url(&t, whole[k].url), NULL, NULL, 0, h, &r),
                             0);
            assert_int_equal(r.status, 200);
            char *ce = th_header(&r, "Content-Encoding"), *vary = th_header(&r, "Vary");
            assert_non_null(vary);
            assert_non_null(strstr(vary, "Accept-Encoding"));
            size_t n = r.len;
            char *plain = r.body;
            if (a < 2) {
                assert_non_null(ce);
                assert_string_equal(ce, "gzip");
                plain = gunzip(r.body, r.len, &n);
                assert_true(r.len < n / 4);
            } else {
                assert_null(ce);
            }
            if (n != strlen(cli) || memcmp(plain, cli, n) != 0)
                fail_msg("%s with '%s' differs from the CLI's export", whole[k].url, accept[a]);
            if (plain != r.body) free(plain);
            free(ce);
            free(vary);
            th_resp_free(&r);
        }
        free(cli);
    }
    /* A client that hangs up after the first bytes (while the next page is being written
     * in the background): the export stops and its thread ends; the server goes on. */
    for (int k = 0; k < 6; k++) {
        CURL *c = curl_easy_init();
        curl_easy_setopt(c, CURLOPT_URL,
                         th_url(&t, k % 2 ? "/api/v1/incidents.csv" : "/api/v1/incidents.geojson"));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hang_up);
        assert_int_equal(curl_easy_perform(c), CURLE_WRITE_ERROR);
        curl_easy_cleanup(c);
    }
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.csv"), NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_true(r.len > 1000000);
    th_resp_free(&r);
    /* JSON replies too, when worth it; a small one goes as it is. */
    {
        const char *h[] = {"Accept-Encoding: gzip", NULL};
        th_resp plain_r;
        assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents?limit=100"), NULL, NULL, 0,
                                 NULL, &plain_r),
                         0);
        assert_int_equal(
            th_http_with("GET", th_url(&t, "/api/v1/incidents?limit=100"), NULL, NULL, 0, h, &r),
            0);
        char *ce = th_header(&r, "Content-Encoding");
        assert_non_null(ce);
        free(ce);
        size_t n;
        char *plain = gunzip(r.body, r.len, &n);
        assert_int_equal(n, plain_r.len);
        assert_memory_equal(plain, plain_r.body, n);
        free(plain);
        th_resp_free(&r);
        th_resp_free(&plain_r);
        /* Text (the metrics) too. */
        assert_int_equal(th_http_with("GET", th_url(&t, "/metrics"), NULL, NULL, 0, h, &r), 0);
        ce = th_header(&r, "Content-Encoding");
        assert_non_null(ce);
        free(ce);
        plain = gunzip(r.body, r.len, &n);
        plain = realloc(plain, n + 1);
        plain[n] = 0;
        assert_non_null(strstr(plain, "truce_write_batches_total"));
        free(plain);
        th_resp_free(&r);
        assert_int_equal(th_http_with("GET", th_url(&t, "/healthz"), NULL, NULL, 0, h, &r), 0);
        assert_int_equal(r.status, 200);
        assert_null(th_header(&r, "Content-Encoding"));
        th_resp_free(&r);
    }
    /* A box is read in place order through its index, a thousand rows at a time: a box
     * around the whole strip (many incidents share a place) gives each incident once. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.geojson?bbox=34,31,35,32"), NULL,
                             NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    {
        json_t *all = json_loads(r.body, 0, NULL), *ft;
        char *seen = calloc(6000, 1);
        size_t k, distinct = 0;
        json_array_foreach(json_object_get(all, "features"), k, ft)
        {
            json_int_t id =
                json_integer_value(json_object_get(json_object_get(ft, "properties"), "id"));
            assert_true(id > 0 && id < 6000);
            if (!seen[id]++) distinct++;
        }
        assert_int_equal(json_array_size(json_object_get(all, "features")), TH_ACLED_GAZA_ROWS);
        assert_int_equal(distinct, TH_ACLED_GAZA_ROWS);
        free(seen);
        json_decref(all);
    }
    th_resp_free(&r);
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.csv?bbox=34,31,35,32"), NULL,
                             NULL, 0, NULL, &r),
                     0);
    {
        size_t lines = 0;
        for (size_t k = 0; k < r.len; k++)
            lines += r.body[k] == '\n';
        assert_int_equal(lines, TH_ACLED_GAZA_ROWS + 1); /* and the header */
    }
    th_resp_free(&r);
    /* For maps: the same points with five properties, a fraction of the bytes. */
    {
        th_resp full, sum;
        assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.geojson?bbox=34,31,35,32"),
                                 NULL, NULL, 0, NULL, &full),
                         0);
        assert_int_equal(th_http("GET",
                                 th_url(&t, "/api/v1/incidents.geojson?bbox=34,31,35,32"
                                            "&properties=summary"),
                                 NULL, NULL, 0, NULL, &sum),
                         0);
        assert_int_equal(sum.status, 200);
        json_t *a = json_loads(full.body, 0, NULL), *b = json_loads(sum.body, 0, NULL);
        json_t *fa = json_object_get(a, "features"), *fb = json_object_get(b, "features");
        assert_int_equal(json_array_size(fb), json_array_size(fa));
        for (size_t k = 0; k < json_array_size(fa); k++) {
            json_t *pa = json_object_get(json_array_get(fa, k), "properties");
            json_t *pb = json_object_get(json_array_get(fb, k), "properties");
            assert_int_equal(json_object_size(pb), 5);
            static const char *const keys[] = {"id", "status", "event_date", "event_type",
                                               "fatalities"};
            for (int q = 0; q < 5; q++)
                assert_true(json_equal(json_object_get(pa, keys[q]), json_object_get(pb, keys[q])));
            assert_true(json_equal(json_object_get(json_array_get(fa, k), "geometry"),
                                   json_object_get(json_array_get(fb, k), "geometry")));
        }
        assert_true(sum.len * 4 < full.len);
        json_decref(a);
        json_decref(b);
        th_resp_free(&full);
        th_resp_free(&sum);
        assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.geojson?properties=some"),
                                 NULL, NULL, 0, NULL, &r),
                         0);
        assert_int_equal(r.status, 400);
        assert_string_equal(th_code(&r), "request.invalid_param");
        th_resp_free(&r);
    }
    /* HXL over HTTP: the tag row under the header. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.csv?format=hxl&from=2025-06-01"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    const char *second = strchr(r.body, '\n');
    assert_non_null(second);
    assert_true(strncmp(second + 1, "#", 1) == 0);
    assert_non_null(strstr(second, "#date+occurred"));
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents.csv?format=pdf"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    th_resp_free(&r);
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents.geojson?status=reported"), NULL,
                             NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 403);
    th_resp_free(&r);
    /* Counts: every dimension adds up, and agrees with the export itself (counted from the
     * CSV independently: 416 battles, 4 protests; Israel's forces named in 5,304 events). */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents/stats"), NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "total")), TH_ACLED_GAZA_ROWS);
    static const char *const sums[] = {"by_status", "by_type", "by_day"};
    for (size_t k = 0; k < 3; k++) {
        json_int_t sum = 0;
        const char *key;
        json_t *v;
        json_object_foreach(json_object_get(r.json, sums[k]), key, v) sum += json_integer_value(v);
        assert_int_equal(sum, TH_ACLED_GAZA_ROWS);
    }
    json_t *types = json_object_get(r.json, "by_type");
    assert_int_equal(json_integer_value(json_object_get(types, "Battles")), 416);
    assert_int_equal(json_integer_value(json_object_get(types, "Protests")), 4);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "by_actor"),
                                                        "Military Forces of Israel (2022-)")),
                     5304);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "by_zone"), "gaza")), 5310);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "by_day"), "2023-11-09")), 25);
    th_resp_free(&r);
    /* With filters: only battles, only in the Gaza governorate. */
    assert_int_equal(th_http("GET",
                             th_url(&t, "/api/v1/incidents/stats?event_type=Battles&zone=gaza"),
                             NULL, NULL, 0, NULL, &r),
                     0);
    assert_int_equal(r.status, 200);
    json_int_t battles = json_integer_value(json_object_get(r.json, "total"));
    assert_true(battles > 0 && battles <= 416);
    assert_int_equal(json_object_size(json_object_get(r.json, "by_type")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r.json, "by_zone"), "gaza")), battles);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/stats?bbox=x"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    th_resp_free(&r);
    /* Possible duplicates, for monitors: same type, within km and days, nearest first. The
     * expected counts were computed from the CSV independently (great-circle distance). */
    const char *un = th_login(&t, "un", "demo-un-monitor");
    static const struct {
        const char *path;
        size_t n;
        double km;
        int days;
    } dups[] = {{"/api/v1/incidents/1/duplicates", 3, 1, 2},
                {"/api/v1/incidents/2/duplicates?km=5&days=7", 71, 5, 7}};
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(th_http("GET", th_url(&t, dups[k].path), un, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        json_t *c = json_object_get(r.json, "candidates");
        assert_int_equal(json_array_size(c), dups[k].n);
        double last_km = 0;
        json_array_foreach(c, i, it)
        {
            double km = json_real_value(json_object_get(it, "distance_km"));
            assert_true(km >= last_km && km <= dups[k].km);
            assert_true(json_integer_value(json_object_get(it, "days_apart")) <= dups[k].days);
            assert_true(json_integer_value(json_object_get(it, "id")) != (json_int_t)k + 1);
            last_km = km;
        }
        th_resp_free(&r);
    }
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/1/duplicates?km=500"), un, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 400);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/999999/duplicates"), un, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 404);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/1/duplicates"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 401);
    th_resp_free(&r);
    /* One incident by id. */
    assert_int_equal(th_http("GET", th_url(&t, "/api/v1/incidents/1"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "id")), 1);
    assert_non_null(json_object_get(r.json, "event_id_cnty"));
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents/999999"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 404);
    assert_string_equal(th_code(&r), "incident.not_found");
    th_resp_free(&r);
    /* Not numbers, or numbers past 64 bits (read as a 400, not clamped to the largest). */
    static const char *const bad_ids[] = {"/api/v1/incidents/x1",
                                          "/api/v1/incidents/99999999999999999999",
                                          "/api/v1/incidents?after=99999999999999999999"};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(th_http("GET", th_url(&t, bad_ids[k]), NULL, NULL, 0, NULL, &r), 0);
        assert_int_equal(r.status, 400);
        assert_string_equal(th_code(&r), "request.invalid_param");
        th_resp_free(&r);
    }
    /* The public may not ask for unverified ones; a monitor may. */
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents?status=reported"), NULL, NULL, 0, NULL, &r),
        0);
    assert_int_equal(r.status, 403);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents?status=reported"), un, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "incidents")), 0);
    th_resp_free(&r);
    assert_int_equal(
        th_http("GET", th_url(&t, "/api/v1/incidents?limit=0"), NULL, NULL, 0, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    th_resp_free(&r);
    th_server_stop(&t);
}

static void exports_round_trip(void **state)
{
    char real[1024], a[400], b[400], f1[400], f2[400], hxl[400], geo[400], *err;
    (void)state;
    snprintf(real, sizeof real, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    snprintf(a, sizeof a, "%s/a.db", dir);
    snprintf(b, sizeof b, "%s/b.db", dir);
    snprintf(f1, sizeof f1, "%s/1.csv", dir);
    snprintf(f2, sizeof f2, "%s/2.csv", dir);
    snprintf(hxl, sizeof hxl, "%s/h.csv", dir);
    snprintf(geo, sizeof geo, "%s/g.geojson", dir);
    store *x = th_demo_db(a);
    x->ops->close(x);
    x = th_demo_db(b);
    x->ops->close(x);
    assert_int_equal(th_truce(NULL, NULL, NULL, "import acled '%s' --db '%s'", real, a), 0);
    assert_int_equal(th_truce(NULL, &err, NULL, "export incidents --db '%s' --out '%s'", a, f1), 0);
    assert_non_null(strstr(err, "exported " TH_STR(TH_ACLED_GAZA_ROWS) " incidents"));
    free(err);
    /* What truce exports, truce (and ACLED tooling) reads back: the same events. */
    char *out;
    assert_int_equal(th_truce(&out, NULL, NULL, "import acled '%s' --db '%s'", f1, b), 0);
    assert_string_equal(out, "imported " TH_STR(TH_ACLED_GAZA_ROWS) ", rejected 0\n");
    free(out);
    assert_int_equal(th_truce(NULL, NULL, NULL, "export incidents --db '%s' --out '%s'", b, f2), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", f1, f2);
    assert_int_equal(system(cmd), 0);
    /* HXL: the hashtag row under the header. */
    assert_int_equal(th_truce(NULL, NULL, NULL,
                              "export incidents --db '%s' --format hxl "
                              "--out '%s'",
                              a, hxl),
                     0);
    FILE *f = fopen(hxl, "r");
    char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_memory_equal(line, "#event+id,#date+occurred,", 25);
    assert_non_null(strstr(line, "#geo+lat,#geo+lon"));
    assert_non_null(strstr(line, "#affected+killed"));
    /* GeoJSON: a point per incident, longitude first; filters apply. */
    assert_int_equal(th_truce(NULL, NULL, NULL,
                              "export incidents --db '%s' --format geojson "
                              "--type Battles --from 2024-01-01 --to 2024-01-31 --out '%s'",
                              a, geo),
                     0);
    json_t *fc = json_load_file(geo, 0, NULL);
    assert_non_null(fc);
    size_t i, n = json_array_size(json_object_get(fc, "features"));
    json_t *feat;
    assert_true(n > 0);
    json_array_foreach(json_object_get(fc, "features"), i, feat)
    {
        json_t *props = json_object_get(feat, "properties");
        json_t *c = json_object_get(json_object_get(feat, "geometry"), "coordinates");
        assert_string_equal(json_string_value(json_object_get(props, "event_type")), "Battles");
        assert_true(json_real_value(json_array_get(c, 0)) ==
                    json_real_value(json_object_get(props, "longitude")));
        assert_true(json_real_value(json_array_get(c, 1)) ==
                    json_real_value(json_object_get(props, "latitude")));
        assert_true(json_real_value(json_array_get(c, 1)) > 31 &&
                    json_real_value(json_array_get(c, 1)) < 32);
        const char *d = json_string_value(json_object_get(props, "event_date"));
        assert_true(strncmp(d, "2024-01", 7) == 0);
    }
    json_decref(fc);
    assert_int_equal(th_truce(NULL, NULL, NULL, "export incidents --db '%s' --format pdf", a), 2);
    /* A bounding box: the 260 rows of the export inside it. */
    assert_int_equal(th_truce(NULL, NULL, NULL,
                              "export incidents --db '%s' --format geojson "
                              "--bbox 34.40,31.45,34.45,31.50 --out '%s'",
                              a, geo),
                     0);
    fc = json_load_file(geo, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(fc, "features")), 260);
    json_decref(fc);
    char *msg;
    assert_int_equal(th_truce(NULL, &msg, NULL, "export incidents --db '%s' --bbox 34,31", a), 2);
    assert_non_null(strstr(msg, "'34,31' is not a bounding box"));
    free(msg);
    /* By actor: the 704 rows naming Hamas Movement (as actor1 or actor2). */
    assert_int_equal(th_truce(NULL, &msg, NULL,
                              "export incidents --db '%s' --actor "
                              "'Hamas Movement' --out '%s'",
                              a, f2),
                     0);
    assert_non_null(strstr(msg, "exported 704 incidents"));
    free(msg);
    /* A mistyped filter is a usage error that says what is wrong, and writes no file. */
    static const struct {
        const char *args, *words;
    } bad[] = {{"--from 2024-1-1", "'2024-1-1' is not a calendar date"},
               {"--status verifed", "'verifed' is not an incident status"},
               {"--type Airstrike", "'Airstrike' is not an ACLED event type"},
               {"--zone gaza-city", "there is no zone 'gaza-city'"},
               {"--from 2024-02-01 --to 2024-01-01", "ends (2024-01-01) before it starts"}};
    unlink(f2);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(th_truce(NULL, &msg, NULL, "export incidents --db '%s' %s --out '%s'", a,
                                  bad[k].args, f2),
                         2);
        if (!strstr(msg, bad[k].words)) fail_msg("%s: %s", bad[k].args, msg);
        free(msg);
        assert_int_equal(access(f2, F_OK), -1);
    }
}

typedef struct zone_tally {
    zone_index *zi;
    int64_t seen, in_gaza, in_none, in_two, gaza_city, gaza_city_in_gaza, tags_differ;
} zone_tally;

static int tally_zone(void *cls, const void *row)
{
    zone_tally *t = cls;
    const store_incident_row *r = row;
    const char *slugs[4];
    buf tmp = BUF_INIT;
    json_t *doc = json_loads(row_doc(r, &tmp), 0, NULL);
    buf_free(&tmp);
    double lat = json_number_value(json_object_get(doc, "latitude"));
    double lon = json_number_value(json_object_get(doc, "longitude"));
    const char *admin2 = json_string_value(json_object_get(doc, "admin2"));
    size_t n = zone_index_find(t->zi, lon, lat, slugs, 4);
    int gaza =
        n >= 1 && (strcmp(slugs[0], "gaza") == 0 || (n > 1 && strcmp(slugs[1], "gaza") == 0));
    /* The tags the import recorded are what the index says now. */
    json_t *tags = json_object_get(doc, "zones");
    if (json_array_size(tags) != n) t->tags_differ++;
    for (size_t i = 0; i < n && i < json_array_size(tags); i++)
        if (strcmp(json_string_value(json_array_get(tags, i)), slugs[i]) != 0) t->tags_differ++;
    t->seen++;
    t->in_gaza += gaza;
    t->in_none += n == 0;
    t->in_two += n > 1;
    if (admin2 && strcmp(admin2, "Gaza City") == 0) {
        t->gaza_city++;
        t->gaza_city_in_gaza += gaza;
    }
    json_decref(doc);
    return 0;
}

/* The demo's five governorates, through GEOS: known towns fall in their governorate,
 * places outside the Strip in none, and ACLED's own admin2 coding of the real export
 * agrees with the polygons. */
static void zones_contain_what_they_should(void **state)
{
    tr_err e = TR_ERR_INIT;
    zone_index *zi;
    const char *slugs[4];
    (void)state;
    assert_int_equal(zone_index_load(s, &zi, &e), 0);
    assert_int_equal(zone_index_count(zi), 5);

    static const struct {
        double lon, lat;
        const char *slug;
    } towns[] = {
        {34.4668, 31.5017, "gaza"},          /* Gaza City */
        {34.4960, 31.5340, "north-gaza"},    /* Jabalia */
        {34.3506, 31.4183, "deir-al-balah"}, /* Deir al-Balah */
        {34.3063, 31.3462, "khan-yunis"},    /* Khan Younis */
        {34.2455, 31.2969, "rafah"},         /* Rafah */
    };
    for (size_t i = 0; i < sizeof towns / sizeof towns[0]; i++) {
        assert_int_equal(zone_index_find(zi, towns[i].lon, towns[i].lat, slugs, 4), 1);
        assert_string_equal(slugs[0], towns[i].slug);
    }
    assert_int_equal(zone_index_find(zi, 34.7818, 32.0853, slugs, 4), 0); /* Tel Aviv */
    assert_int_equal(zone_index_find(zi, 35.2137, 31.7683, slugs, 4), 0); /* Jerusalem */
    assert_int_equal(zone_index_find(zi, 34.30, 31.00, slugs, 4), 0);     /* Sinai, in the box */
    assert_int_equal(zone_index_find(zi, 0, 0, slugs, 0), 0);

    /* The real export, already imported by the first test. */
    zone_tally t = {.zi = zi};
    store_incident_filter f = {0};
    assert_int_equal(monitor_store(s)->incident_list(s, &f, 0, 10000, tally_zone, &t, &e), 0);
    assert_int_equal(t.seen, monitor_store(s)->incident_count(s, &e));
    print_message("zones: %lld incidents, %lld in gaza, %lld in none, %lld in two; "
                  "%lld coded Gaza City, %lld of them in gaza\n",
                  (long long)t.seen, (long long)t.in_gaza, (long long)t.in_none,
                  (long long)t.in_two, (long long)t.gaza_city, (long long)t.gaza_city_in_gaza);
    assert_true(t.gaza_city_in_gaza * 100 >= t.gaza_city * 99); /* 5,310 of 5,329 */
    assert_true(t.in_none * 100 < t.seen);                      /* 28: on the coastline */
    assert_int_equal(t.in_two, 0);                              /* governorates do not overlap */
    assert_int_equal(t.tags_differ, 0);

    /* Filtering by zone finds exactly the incidents tagged with it. */
    zone_tally g = {.zi = zi};
    store_incident_filter fg = {.zone = "gaza"};
    assert_int_equal(monitor_store(s)->incident_list(s, &fg, 0, 10000, tally_zone, &g, &e), 0);
    assert_int_equal(g.seen, t.in_gaza);
    assert_int_equal(g.in_gaza, t.in_gaza);
    store_incident_filter fx = {.zone = "no-such-zone"};
    zone_tally x = {.zi = zi};
    assert_int_equal(monitor_store(s)->incident_list(s, &fx, 0, 10000, tally_zone, &x, &e), 0);
    assert_int_equal(x.seen, 0);
    zone_index_free(zi);
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
    log_set_access(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_real_export_imports_whole_and_reimports_in_place),
        cmocka_unit_test(bad_rows_are_listed_and_the_rest_kept),
        cmocka_unit_test(awkward_values_are_encoded_canonically),
        cmocka_unit_test(rejects_name_the_line_and_nul_bytes_are_refused),
        cmocka_unit_test(broken_files_import_nothing),
        cmocka_unit_test(a_failure_midway_imports_nothing),
        cmocka_unit_test(a_large_file_is_loaded_in_bulk),
        cmocka_unit_test(a_crash_during_a_bulk_load_loses_nothing),
        cmocka_unit_test(a_damaged_stored_row_is_an_error_not_an_empty_incident),
        cmocka_unit_test(batches_in_the_journal_are_checked),
        cmocka_unit_test(the_command_line),
        cmocka_unit_test(zones_import_from_a_geojson_file),
        cmocka_unit_test(incidents_over_http),
        cmocka_unit_test(import_over_http_and_coarse_public_locations),
        cmocka_unit_test(public_heavy_reads_are_limited),
        cmocka_unit_test(places_outside_every_zone),
        cmocka_unit_test(evidence_has_a_daily_quota),
        cmocka_unit_test(exports_round_trip),
        cmocka_unit_test(zones_contain_what_they_should),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    return cmocka_run_group_tests_name("monitor", tests, setup, teardown);
}
