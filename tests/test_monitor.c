/* test_monitor.c - monitoring below the API: the ACLED importer on the real export and on
 * awkward, broken and huge files, crashes during a bulk load, batches in the journal, exports,
 * zones and the command line. */
#include "monitor_common.h"

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
#define INCIDENT_ROWS                                                                              \
    "SELECT * FROM incidents ORDER BY id; SELECT * FROM incident_zones ORDER BY 1, 2"
    const char *copy = th_db_copy(db, dir, "rebuilt");
    char *rows = th_sql(copy, INCIDENT_ROWS);
    free(th_sql(copy, "DELETE FROM incident_zones; DELETE FROM incidents"));
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", copy), 0);
    char *again = th_sql(copy, INCIDENT_ROWS);
    assert_true(strlen(rows) > 1000000);
    assert_string_equal(again, rows);
    free(rows);
    free(again);
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
    /* A write refused at row 1,200 (the third batch): the store's error, nothing kept. */
    if (th_postgres())
        free(th_sql(db, "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
                        " IF NEW.external_id = 'M1200' THEN RAISE EXCEPTION 'refused by the test';"
                        " END IF; RETURN NEW; END$$; CREATE TRIGGER refuse BEFORE INSERT ON"
                        " incidents FOR EACH ROW EXECUTE FUNCTION refuse()"));
    else
        free(th_sql(db, "CREATE TRIGGER refuse BEFORE INSERT ON incidents WHEN NEW.external_id ="
                        " 'M1200' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"));
    good_rows(&b, "M", 5000);
    assert_int_equal(import_text(b.p, &res, &e), -1);
    assert_non_null(strstr(e.message, "refused by the test"));
    err_clear(&e);
    json_decref(res.rejects);
    free(th_sql(db, "DROP TRIGGER refuse%s", th_postgres() ? " ON incidents" : ""));
    assert_int_equal(th_journal_len(db), journal);
    assert_int_equal(monitor_store(s)->incident_count(s, &e), incidents);
    buf_free(&b);
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
    th_sqlite_only("a bulk load drops the place index and leaves WAL mode (PostgreSQL loads "
                   "through COPY: test_pg)");
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
    th_sqlite_only("the rollback journal a process dies holding");
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
    char *text = NULL;
    text = th_sql(db, "SELECT body FROM journal ORDER BY seq DESC LIMIT 1");
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
        snprintf(pdb, sizeof pdb, "%s", th_db(dir, "private"));
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
            store *r = store_open(pdb, STORE_READONLY, &e);
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

static void exports_round_trip(void **state)
{
    char real[1024], a[400], b[400], f1[400], f2[400], hxl[400], geo[400], *err;
    (void)state;
    snprintf(real, sizeof real, "%s/acled/gaza_war_events.csv", getenv("TRUCE_DATA"));
    snprintf(a, sizeof a, "%s", th_db(dir, "a"));
    snprintf(b, sizeof b, "%s", th_db(dir, "b"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_real_export_imports_whole_and_reimports_in_place),
        cmocka_unit_test(bad_rows_are_listed_and_the_rest_kept),
        cmocka_unit_test(awkward_values_are_encoded_canonically),
        cmocka_unit_test(rejects_name_the_line_and_nul_bytes_are_refused),
        cmocka_unit_test(broken_files_import_nothing),
        cmocka_unit_test(a_failure_midway_imports_nothing),
        cmocka_unit_test(a_large_file_is_loaded_in_bulk),
        cmocka_unit_test(a_crash_during_a_bulk_load_loses_nothing),
        cmocka_unit_test(batches_in_the_journal_are_checked),
        cmocka_unit_test(the_command_line),
        cmocka_unit_test(exports_round_trip),
        cmocka_unit_test(zones_contain_what_they_should),
        cmocka_unit_test(every_error_sent_is_registered),
    };
    return cmocka_run_group_tests_name("monitor", tests, setup, teardown);
}
