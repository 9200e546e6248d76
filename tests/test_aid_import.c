/* test_aid_import.c - the real aid files as published (../shared/data/aid): UNRWA's line
 * list of trucks, COGAT's of consignments, the daily totals, imported with `truce import
 * aid-counts` and checked day by day against counts of the same files made without truce
 * (the sqlite3 shell's own CSV import), then reconciled and measured against a target over
 * HTTP. The real server on the demo (api_common.h), halted while the binary writes. */
#include "api_common.h"
#include "aid/import.h"
#include "journal/project.h"

static char unrwa_csv[512], cogat_csv[512], daily_csv[512];

static void paths(void)
{
    const char *data = getenv("TRUCE_DATA");
    if (!data) fail_msg("TRUCE_DATA is not set; run through make test");
    snprintf(unrwa_csv, sizeof unrwa_csv, "%s/aid/unrwa_commodities_received_2023_2024.csv", data);
    snprintf(cogat_csv, sizeof cogat_csv, "%s/aid/gaza_cogat_data_24sep2024.csv", data);
    snprintf(daily_csv, sizeof daily_csv, "%s/aid/gaza_food_trucks_2023_2024.csv", data);
}

/* `truce import aid-counts FILE --db T.db ARGS`, the server halted meanwhile; exit status. */
static int import(char **out, char **err, const char *file, const char *args)
{
    th_server_halt(&T);
    int rc = th_truce(out, err, NULL, "import aid-counts '%s' --db '%s' %s", file, T.db, args);
    th_server_resume(&T);
    return rc;
}

/* The output of the sqlite3 shell (malloc'd). */
static const char unrwa_args[] = "--source unrwa --basis trucks_entered --date-column "
                                 "'Received Date' --count-rows --crossing-column Crossing "
                                 "--category-column 'Cargo Category'";
static const char cogat_args[] =
    "--source cogat --basis trucks_entered --date-column Date --count-rows "
    "--category-column Classification";

/* UNRWA's line list: a truck a row. Every day's count, and Kerem Shalom's, is the number
 * of the file's rows of that day; the names are mapped or reported; again: no change. */
static void unrwas_line_list_counts_every_day_as_the_file_does(void **state)
{
    char *out = NULL, *err = NULL;
    (void)state;
    paths();
    if (import(&out, &err, unrwa_csv, unrwa_args) != 0) fail_msg("import: %s", err);
    assert_non_null(strstr(out, "imported 37373, rejected 0"));
    assert_non_null(strstr(err, "crossing 'Rafah Crossing' -> rafah"));
    assert_non_null(strstr(err, "crossing 'Kerem Shalom' -> kerem-shalom"));
    assert_non_null(strstr(err, "category 'Food Items' -> food (28273 rows)"));
    assert_non_null(strstr(err, "crossing 'Western Erez' is not mapped"));
    free(out);
    free(err);

    char *ours = th_sql(T.db, "SELECT day, CAST(SUM(value) AS INT) FROM aid_counts WHERE "
                              "source = 'unrwa' GROUP BY day ORDER BY day");
    char *theirs = th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT "
                            "\\\"Received Date\\\", COUNT(*) FROM t GROUP BY 1 ORDER BY 1\"",
                            unrwa_csv);
    assert_true(strlen(ours) > 1000);
    assert_string_equal(ours, theirs);
    free(ours);
    free(theirs);
    ours = th_sql(T.db, "SELECT day, CAST(SUM(value) AS INT) FROM aid_counts WHERE "
                        "source = 'unrwa' AND crossing = 'kerem-shalom' AND category = 'health' "
                        "GROUP BY day ORDER BY day");
    theirs = th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT \\\"Received "
                      "Date\\\", COUNT(*) FROM t WHERE Crossing = 'Kerem Shalom' AND \\\"Cargo "
                      "Category\\\" LIKE 'Medical Suppl%%' GROUP BY 1 ORDER BY 1\"",
                      unrwa_csv);
    assert_string_equal(ours, theirs);
    free(ours);
    free(theirs);

    int64_t before = th_journal_len(T.db);
    if (import(&out, &err, unrwa_csv, unrwa_args) != 0) fail_msg("import: %s", err);
    assert_non_null(strstr(out, "0 new or changed"));
    assert_int_equal(th_journal_len(T.db), before);
    free(out);
    free(err);

    /* Western Erez mapped now: its rows move to a crossing, no day counts them twice. */
    char *totals = th_sql(T.db, "SELECT day, SUM(value) FROM aid_counts WHERE source = "
                                "'unrwa' GROUP BY day ORDER BY day");
    char args[1024];
    snprintf(args, sizeof args, "%s --map-crossing 'Western Erez=zikim'", unrwa_args);
    if (import(&out, &err, unrwa_csv, args) != 0) fail_msg("import: %s", err);
    assert_non_null(strstr(err, "crossing 'Western Erez' -> zikim (1779 rows)"));
    free(out);
    free(err);
    char *again = th_sql(T.db, "SELECT day, SUM(value) FROM aid_counts WHERE source = "
                               "'unrwa' GROUP BY day ORDER BY day");
    assert_string_equal(totals, again);
    free(totals);
    free(again);
    char *zikim =
        th_sql(T.db, "SELECT CAST(SUM(value) AS INT) FROM aid_counts WHERE source = 'unrwa' "
                     "AND crossing = 'zikim'");
    assert_string_equal(zikim, "1779\n");
    free(zikim);
}

/* COGAT's list, dates like '25 Feb 2024' and '1 Sept 2024', against the file's own rows on
 * days picked across the months; then the two sources side by side, never added. */
static void cogats_list_and_the_reconciliation_agree_with_the_files(void **state)
{
    static const struct {
        const char *theirs, *ours;
    } days[] = {{"10 Apr 2024", "2024-04-10"},
                {"25 Feb 2024", "2024-02-25"},
                {"1 Sept 2024", "2024-09-01"},
                {"31 Dec 2023", "2023-12-31"}};
    char *out = NULL, *err = NULL;
    (void)state;
    paths();
    if (import(&out, &err, cogat_csv, cogat_args) != 0) fail_msg("import: %s", err);
    assert_non_null(strstr(out, "imported 52479, rejected 0"));
    free(out);
    free(err);
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        char *theirs = th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT COUNT(*) "
                                "FROM t WHERE Date = '%s'\"",
                                cogat_csv, days[i].theirs);
        char path[160];
        snprintf(path, sizeof path, "/api/v1/aid/reconciliation?from=%s&to=%s&basis=trucks_entered",
                 days[i].ours, days[i].ours);
        th_resp r;
        assert_int_equal(req("GET", path, NULL, NULL, &r), 200);
        json_t *d = json_array_get(json_object_get(r.json, "days"), 0);
        json_t *src = json_object_get(d, "sources");
        assert_int_equal(json_integer_value(json_object_get(src, "cogat")), atoll(theirs));
        assert_true(atoll(theirs) > 0);
        char *unrwa = th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT COUNT(*) "
                               "FROM t WHERE \\\"Received Date\\\" = '%s'\"",
                               unrwa_csv, days[i].ours);
        assert_int_equal(json_integer_value(json_object_get(src, "unrwa")), atoll(unrwa));
        long long spread = llabs(atoll(theirs) - atoll(unrwa));
        if (atoll(unrwa) > 0)
            assert_int_equal(json_integer_value(json_object_get(d, "spread")), spread);
        free(theirs);
        free(unrwa);
        th_resp_free(&r);
    }
    /* In total, every row of the file. */
    char *sum = th_sql(T.db, "SELECT CAST(SUM(value) AS INT) FROM aid_counts WHERE source "
                             "= 'cogat'");
    assert_string_equal(sum, "52479\n");
    free(sum);
}

/* The daily totals (dates like 07-Oct-23) summed from a column, and a target judged by
 * them: its progress is the file's sum over the period. */
static void daily_totals_and_a_target_on_them(void **state)
{
    char *out = NULL, *err = NULL;
    (void)state;
    paths();
    if (import(&out, &err, daily_csv,
               "--source unrwa-daily --basis trucks_entered --date-column date_1 "
               "--value-column total_truck") != 0)
        fail_msg("import: %s", err);
    assert_non_null(strstr(out, "imported 116, rejected 0"));
    free(out);
    free(err);
    const char *usa = th_login(&T, "usa", "demo-usa");
    th_resp r;
    assert_int_equal(req("POST", "/api/v1/aid/targets", usa,
                         "{\"name\":\"500 a day\",\"per\":\"day\",\"value\":500,\"basis\":"
                         "\"trucks_entered\",\"source\":\"unrwa-daily\",\"from\":\"2023-11-01\","
                         "\"to\":\"2023-11-30\"}",
                         &r),
                     201);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/aid/targets/%lld/progress?as_of=2024-06-01",
             (long long)json_integer_value(json_object_get(r.json, "id")));
    th_resp_free(&r);
    assert_int_equal(req("GET", path, NULL, NULL, &r), 200);
    char *sum =
        th_shell("sqlite3 :memory: -cmd \".import --csv '%s' t\" \"SELECT SUM(total_truck), "
                 "COUNT(*) FROM t WHERE date LIKE '%% November 2023'\"",
                 daily_csv);
    long long total = 0, days = 0;
    assert_int_equal(sscanf(sum, "%lld|%lld", &total, &days), 2);
    assert_int_equal(days, 30);
    assert_int_equal(json_integer_value(json_object_get(r.json, "actual_total")), total);
    assert_int_equal(json_integer_value(json_object_get(r.json, "cumulative_shortfall")),
                     500 * 30 - total);
    assert_int_equal(json_integer_value(json_object_get(r.json, "days_met")), 0);
    free(sum);
    th_resp_free(&r);
}

/* What cannot be used is refused with what to do, and writes nothing; bad rows are named
 * by line and the rest imported. */
static void a_file_that_cannot_be_used_is_refused(void **state)
{
    char *out = NULL, *err = NULL, file[300];
    (void)state;
    paths();
    int64_t before = th_journal_len(T.db);
    assert_int_equal(import(NULL, &err, unrwa_csv,
                            "--source unrwa --basis trucks_entered --date-column Day --count-rows"),
                     1);
    assert_non_null(strstr(err, "no column 'Day'"));
    assert_non_null(strstr(err, "Received Date")); /* the columns it has */
    free(err);
    assert_int_equal(import(NULL, &err, unrwa_csv,
                            "--source truce --basis trucks_entered --date-column Crossing "
                            "--count-rows"),
                     1);
    free(err);
    assert_int_equal(import(NULL, &err, unrwa_csv,
                            "--source unrwa --basis trucks_entered --date-column Crossing "
                            "--count-rows --map-crossing 'Erez=atlantis'"),
                     1);
    assert_non_null(strstr(err, "atlantis"));
    free(err);
    assert_int_equal(import(NULL, &err, unrwa_csv,
                            "--source unrwa --basis trucks_entered "
                            "--date-column Crossing --count-rows"),
                     1); /* no row has a date there */
    assert_non_null(strstr(err, "no row of the file could be counted"));
    free(err);
    assert_int_equal(import(NULL, &err, unrwa_csv, "--source unrwa --date-column x --count-rows"),
                     2);
    free(err);
    assert_int_equal(import(NULL, &err, unrwa_csv,
                            "--source unrwa --basis b --date-column x --count-rows "
                            "--value-column y"),
                     2);
    free(err);
    assert_int_equal(th_journal_len(T.db), before);

    snprintf(file, sizeof file, "%s/small.csv", T.dir);
    FILE *f = fopen(file, "w");
    fputs("\xef\xbb\xbf"
          "day,trucks\r\n2025-01-19,630\r\nyesterday,5\r\n20-Jan-25,\r\n21 January "
          "2025,\"1,200\"\r\n",
          f);
    fclose(f);
    assert_int_equal(import(&out, &err, file,
                            "--source small --basis trucks_entered --date-column day "
                            "--value-column trucks"),
                     0);
    assert_non_null(strstr(out, "imported 2, rejected 2"));
    assert_non_null(strstr(err, "line 3: 'yesterday' is not a date"));
    assert_non_null(strstr(err, "line 4: no value"));
    free(out);
    free(err);
    char *got =
        th_sql(T.db, "SELECT day, CAST(value AS INT) FROM aid_counts WHERE source = 'small' "
                     "ORDER BY day");
    assert_string_equal(got, "2025-01-19|630\n2025-01-21|1200\n");
    free(got);
}

/* The demo given the data folder loads the real counts the scenario names, beside its
 * illustrative requests and trucks. */
static void the_demo_loads_the_real_counts_when_given_the_data(void **state)
{
    char *out = NULL, db[400];
    (void)state;
    snprintf(db, sizeof db, "%s", th_db(T.dir, "demo_data"));
    assert_int_equal(th_truce(&out, NULL, NULL, "demo --no-serve --db '%s' --data '%s'", db,
                              getenv("TRUCE_DATA")),
                     0);
    assert_non_null(strstr(out, "4 sample aid requests"));
    assert_non_null(strstr(out, "real aid counts: unrwa/trucks_entered, 37373 rows"));
    assert_non_null(strstr(out, "real aid counts: cogat/trucks_entered, 52479 rows"));
    assert_non_null(strstr(out, "aid/reconciliation?"));
    free(out);
    char *n = th_sql(db, "SELECT COUNT(DISTINCT source) FROM aid_counts; SELECT COUNT(*) "
                         "FROM aid_trucks; SELECT COUNT(*) FROM aid_targets");
    assert_string_equal(n, "3\n13\n3\n"); /* 8 + 3 + 2 trucks */
    free(n);
    /* Without it: the scenario alone. */
    snprintf(db, sizeof db, "%s", th_db(T.dir, "demo_alone"));
    assert_int_equal(th_truce(&out, NULL, NULL, "demo --no-serve --db '%s'", db), 0);
    assert_null(strstr(out, "real aid counts"));
    free(out);
}

static int project_counts(store *s, void *cls, tr_err *e)
{
    store_event ev = {.seq = 9, .type = "aid.counts_recorded", .time = "2025-01-20T00:00:00Z"};
    json_t *body = json_loads(cls, 0, NULL);
    assert_non_null(body);
    int rc = project_apply(s, &ev, body, e);
    json_decref(body);
    return rc;
}

/* An import is journaled in batches (aid.counts_recorded, at most AID_COUNTS_PER_EVENT counts
 * an event, only what changed, a replaced value named), and the journal alone gives the same
 * counts back, row for row: tonnes with fractions, the zeros and replacements of the imports
 * before, on either backend's bulk path. */
static void imports_are_journaled_in_batches_that_rebuild_the_counts(void **state)
{
    char *out = NULL, *err = NULL;
    (void)state;
    paths();
    int64_t before = th_journal_len(T.db);
    if (import(&out, &err, cogat_csv,
               "--source cogat --basis tonnes --date-column Date --value-column 'Aid (tons)' "
               "--category-column Classification") != 0)
        fail_msg("import: %s", err);
    long long counts = 0;
    const char *said = strstr(out, "rejected ");
    if (!said || sscanf(said, "rejected %*d: %lld daily counts", &counts) != 1 || counts < 1000)
        fail_msg("import: %s", out);
    free(out);
    free(err);
    char *events = th_sql(T.db, "SELECT type, body FROM journal WHERE seq > %lld ORDER BY seq",
                          (long long)before);
    long long journaled = 0, n_events = 0;
    for (char *line = strtok(events, "\n"); line; line = strtok(NULL, "\n"), n_events++) {
        char *bar = strchr(line, '|');
        assert_non_null(bar);
        *bar = 0;
        assert_string_equal(line, "aid.counts_recorded");
        json_t *body = json_loads(bar + 1, 0, NULL), *list = json_object_get(body, "counts");
        assert_string_equal(json_string_value(json_object_get(body, "source")), "cogat");
        assert_string_equal(json_string_value(json_object_get(body, "basis")), "tonnes");
        assert_true(json_array_size(list) >= 1 && json_array_size(list) <= AID_COUNTS_PER_EVENT);
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
            assert_null(json_object_get(c, "replaces")); /* all new */
            assert_true(json_is_number(json_object_get(c, "value")));
        }
        journaled += (long long)json_array_size(list);
        json_decref(body);
    }
    free(events);
    assert_int_equal(journaled, counts);
    assert_int_equal(n_events, (counts + AID_COUNTS_PER_EVENT - 1) / AID_COUNTS_PER_EVENT);
    char *fractions = th_sql(T.db, "SELECT COUNT(*) > 0 FROM aid_counts WHERE basis = 'tonnes' "
                                   "AND value <> floor(value)");
    assert_true(fractions[0] == '1' || fractions[0] == 't');
    free(fractions);

    /* A batch the projection cannot read (a journal written by hand) is refused whole:
     * nothing of it is projected. */
    static const struct {
        const char *body, *lacks;
    } bad[] = {
        {"{\"basis\":\"tonnes\",\"counts\":[]}", "source"},
        {"{\"source\":\"x\",\"counts\":[]}", "basis"},
        {"{\"source\":\"x\",\"basis\":\"tonnes\",\"counts\":{}}", "counts"},
        {"{\"source\":\"x\",\"basis\":\"tonnes\",\"counts\":[{\"date\":\"2025-01-01\","
         "\"value\":3},{\"value\":4}]}",
         "date"},
    };
    char *held = th_sql(T.db, "SELECT COUNT(*) FROM aid_counts");
    tr_err e = TR_ERR_INIT;
    store *s = store_open(T.db, 0, &e);
    assert_non_null(s);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (store_txn(s, project_counts, (void *)bad[i].body, &e) != -1)
            fail_msg("case %zu projected", i);
        assert_string_equal(e.code, "journal.bad_event");
        if (!strstr(e.message, bad[i].lacks)) fail_msg("case %zu: %s", i, e.message);
        err_clear(&e);
    }
    s->ops->close(s);
    char *still = th_sql(T.db, "SELECT COUNT(*) FROM aid_counts");
    assert_string_equal(still, held);
    free(held);
    free(still);

    /* The journal alone: every count of every import so far, row for row. */
#define COUNT_ROWS "SELECT * FROM aid_counts ORDER BY day, source, basis, crossing, category"
    th_server_halt(&T);
    const char *copy = th_db_copy(T.db, T.dir, "rebuilt");
    th_server_resume(&T);
    char *rows = th_sql(copy, COUNT_ROWS);
    assert_true(strlen(rows) > 100000);
    free(th_sql(copy, "DELETE FROM aid_counts"));
    assert_int_equal(th_truce(NULL, NULL, NULL, "rebuild --db '%s'", copy), 0);
    char *again = th_sql(copy, COUNT_ROWS);
    assert_string_equal(again, rows);
    free(rows);
    free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unrwas_line_list_counts_every_day_as_the_file_does),
        cmocka_unit_test(cogats_list_and_the_reconciliation_agree_with_the_files),
        cmocka_unit_test(daily_totals_and_a_target_on_them),
        cmocka_unit_test(a_file_that_cannot_be_used_is_refused),
        cmocka_unit_test(the_demo_loads_the_real_counts_when_given_the_data),
        cmocka_unit_test(imports_are_journaled_in_batches_that_rebuild_the_counts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
