/* bench_comply.c - compliance at scale: 200 obligations of the demo's phase-one agreement
 * kinds (prohibitions of either party over windows of 7-42 days and several event types,
 * deadlines, rates on the aid counts) evaluated against the real ACLED export, copied
 * COPIES times with new event ids (COPIES=190 is a million incidents), and the real UNRWA
 * counts.
 *
 *   bench_comply DIR SCENARIO_DIR ACLED_CSV UNRWA_CSV [COPIES]     (default 1)
 *
 * Measures: every obligation evaluated (GET /agreements/{id}/obligations), the scorecard,
 * and one obligation again after one new incident (what the minute's settle costs per
 * change). Baseline in the same run: counting the incidents of one prohibition with a
 * plain SQL COUNT over the same table (what the evaluation cannot do less than). */
#include "accounts/accounts.h"
#include "aid/import.h"
#include "comply/comply.h"
#include "core/util.h"
#include "journal/journal.h"
#include "monitor/acled.h"
#include "negotiate/service.h"
#include "scenario/scenario.h"
#include "store/sqlite_pillar.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double now(void)
{
    return (double)util_mono_ns() / 1e9;
}

static void die(const char *what, tr_err *e)
{
    fprintf(stderr, "bench_comply: %s: %s\n", what, e->message);
    exit(1);
}

/* The export COPIES times, event ids suffixed, on the same days (the import refuses days to
 * come): every window holds COPIES times the incidents, the harder case. A record may span
 * lines (quoted notes): lines inside quotes are copied as they are. */
static void copies_of(const char *src, const char *dst, int copies)
{
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    char line[65536];
    if (!in || !out) exit(1);
    for (int c = 0; c < copies; c++) {
        int header = 1, quoted = 0;
        rewind(in);
        while (fgets(line, sizeof line, in)) {
            int starts = !quoted;
            for (const char *p = line; *p; p++)
                quoted ^= *p == '"';
            if (header) {
                if (c == 0) fputs(line, out);
                header = quoted;
                continue;
            }
            char *comma = starts ? strchr(line, ',') : NULL;
            if (!comma) {
                fputs(line, out);
                continue;
            }
            fprintf(out, "%.*sC%d%s", (int)(comma - line), line, c, comma);
        }
    }
    fclose(in);
    fclose(out);
}

typedef struct setup {
    int64_t agreement;
} setup;

static int define_all(store *s, void *cls, tr_err *e)
{
    setup *st = cls;
    static const journal_actor usa = {"usa", "usa"};
    static const char *const types[] = {"Explosions/Remote violence", "Battles",
                                        "Violence against civilians", "Strategic developments"};
    json_t *rec =
        json_pack("{s:s, s:[ss], s:[], s:s, s:{s:s}}", "title", "bench", "parties", "israel",
                  "hamas", "mediators", "effective", "2024-01-01", "terms", "1", "x");
    int rc = nsvc_agreement_record(s, &usa, rec, &st->agreement, e);
    json_decref(rec);
    for (int i = 0; rc == 0 && i < 200; i++) {
        char ref[16];
        json_t *o;
        int64_t id;
        snprintf(ref, sizeof ref, "%d", i + 1);
        const char *party = i % 2 ? "hamas" : "israel";
        int from = 1 + (i * 7) % 300, len = 7 + (i * 13) % 36;
        if (i % 10 < 7)
            o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:{s:[ss]}, s:i}", "ref", ref, "title",
                          "no attacks", "party", party, "kind", "prohibition", "from_day", from,
                          "to_day", from + len, "incidents", "event_types", types[i % 4],
                          types[(i + 1) % 4], "threshold", i % 3);
        else if (i % 10 < 9)
            o = json_pack("{s:s, s:s, s:s, s:s, s:i}", "ref", ref, "title", "a deadline", "party",
                          party, "kind", "deadline", "due_day", from);
        else
            o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:{s:s, s:i, s:s, s:s}, s:f}", "ref", ref,
                          "title", "trucks", "party", "israel", "kind", "rate", "from_day", from,
                          "to_day", from + len, "rate", "per", "day", "value", 100, "basis",
                          "trucks_entered", "source", "unrwa", "tolerance", 0.2);
        rc = comply_define(s, &usa, st->agreement, o, &id, e);
        json_decref(o);
    }
    return rc;
}

int main(int argc, char **argv)
{
    tr_err e = TR_ERR_INIT;
    if (argc < 5) {
        fprintf(stderr, "usage: bench_comply DIR SCENARIO ACLED_CSV UNRWA_CSV [COPIES]\n");
        return 2;
    }
    const char *dir = argv[1], *scenario = argv[2];
    int copies = argc > 5 ? atoi(argv[5]) : 1;
    char db[4096], key[4200], csv[4096];
    util_malloc_tune();
    setenv("TRUCE_PWHASH", "min", 0);
    if (sodium_init() < 0) return 1;
    acct_init();
    snprintf(db, sizeof db, "%s/comply.db", dir);
    snprintf(csv, sizeof csv, "%s/acled-copies.csv", dir);
    journal_key_path(db, key, sizeof key);
    unlink(db);
    unlink(key);
    copies_of(argv[3], csv, copies);
    store *s = store_sqlite_open(db, STORE_CREATE, &e);
    if (!s || journal_create_key(s, db, "bench.truce/comply", &e) ||
        scn_init_deployment(s, "bench", &e) || scn_load(s, scenario, SCN_NO_SAMPLES, NULL, &e))
        die("demo", &e);
    FILE *in = fopen(csv, "rb");
    acled_result res = {0};
    double t0 = now();
    if (!in || acled_import(s, &journal_operator, in, 0, "verified", 0, NULL, NULL, &res, &e))
        die("import", &e);
    double t_import = now() - t0;
    fclose(in);
    json_decref(res.rejects);
    in = fopen(argv[4], "rb");
    aid_import_result ar;
    aid_import_spec spec = {.source = "unrwa",
                            .basis = "trucks_entered",
                            .date_column = "Received Date",
                            .count_rows = 1};
    if (!in || aid_import_counts(s, &journal_operator, in, 0, &spec, NULL, NULL, &ar, &e))
        die("aid counts", &e);
    fclose(in);
    json_decref(ar.rejects);
    json_decref(ar.names);

    /* An agreement of 2024, so that the windows cover the export and its counts. */
    setup st = {0};
    if (store_txn(s, define_all, &st, &e)) die("define", &e);
    int64_t agreement = st.agreement;
    /* What the server does each minute: every obligation as of today, changes journaled. */
    char today[11];
    int changed = 0;
    util_day_at(util_unix_s(), today);
    t0 = now();
    if (comply_settle(s, today, &changed, &e)) die("settle", &e);
    double t_settle = now() - t0;
    s->ops->close(s);

    s = store_sqlite_open(db, STORE_READONLY | STORE_MMAP, &e);
    if (!s) die("open", &e);
    double best_all = 1e9, best_card = 1e9, best_one = 1e9, best_sql = 1e9, best_today = 1e9;
    size_t bytes = 0;
    for (int r = 0; r < 3; r++) {
        t0 = now();
        json_t *all = comply_list(s, agreement, "2025-06-01", &e);
        if (!all) die("list", &e);
        double t = now() - t0;
        char *text = json_dumps(all, JSON_COMPACT);
        bytes = strlen(text);
        free(text);
        json_decref(all);
        if (t < best_all) best_all = t;
        t0 = now();
        json_t *card = comply_scorecard(s, agreement, "2025-06-01", &e);
        if (!card) die("scorecard", &e);
        t = now() - t0;
        json_decref(card);
        if (t < best_card) best_card = t;
        t0 = now();
        card = comply_scorecard(s, agreement, today, &e);
        if (!card) die("scorecard today", &e);
        t = now() - t0;
        json_decref(card);
        if (t < best_today) best_today = t;
        store_obligation o = {0};
        int64_t first;
        if (comply_store(s)->obligation_by_ref(s, agreement, "2", &first, &e) != 1 ||
            comply_find(s, first, &o, &e))
            die("find", &e);
        t0 = now();
        json_t *one = comply_evaluate(s, &o, "2025-06-01", &e);
        t = now() - t0;
        free(o.spec);
        if (!one) die("one", &e);
        json_decref(one);
        if (t < best_one) best_one = t;
        /* The baseline: one prohibition's count in SQL alone. */
        int64_t n;
        t0 = now();
        if (sq_scalar(s,
                      sq_stmt(s,
                              "SELECT count(*) FROM incidents WHERE event_date BETWEEN "
                              "'2024-01-01' AND '2024-02-12' AND event_type IN ('Battles', "
                              "'Explosions/Remote violence') AND actor1 = 'Hamas Movement' AND "
                              "status IN ('verified', 'disputed', 'upheld')",
                              &e),
                      &n, &e))
            die("baseline", &e);
        t = now() - t0;
        if (t < best_sql) best_sql = t;
    }
    s->ops->close(s);
    printf("%lld incidents (%d cop%s of the real export, imported in %.1f s), 200 obligations\n",
           (long long)res.imported, copies, copies == 1 ? "y" : "ies", t_import);
    printf("%-48s %9.1f ms  (%zu bytes)\n", "every obligation evaluated", best_all * 1000, bytes);
    printf("%-48s %9.1f ms\n", "the scorecard of another day (evaluated)", best_card * 1000);
    printf("%-48s %9.1f ms\n", "the scorecard of today (settled states)", best_today * 1000);
    printf("%-48s %9.1f ms  (%d states journaled)\n", "settling every obligation (first time)",
           t_settle * 1000, changed);
    printf("%-48s %9.2f ms\n", "one prohibition again", best_one * 1000);
    printf("%-48s %9.2f ms\n", "baseline: its count in SQL alone", best_sql * 1000);
    unlink(csv);
    return 0;
}
