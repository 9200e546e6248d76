/* bench_aid.c - the aid flow at the scale of two years: 1,000 truckloads a day, each
 * dispatched under a cleared request and moved through seven steps, loaded through the
 * services the API uses (a batch of 50 trucks a move, as a crossing processes them), then
 * the daily view, the reconciliation and the dwell percentiles over the whole period.
 *
 *   bench_aid DIR SCENARIO_DIR [DAYS] [TRUCKS_A_DAY]     (default 730, 1000)
 *
 * Baseline in the same run: the same number of events appended to the journal alone (no
 * service, no projection), bodies of the same size, in transactions of the same size.
 * Leaves DIR/aid.db (and its key) for run.sh to serve and time the views over HTTP. */
#include "accounts/accounts.h"
#include "aid/counts.h"
#include "aid/flow.h"
#include "core/util.h"
#include "journal/journal.h"
#include "scenario/scenario.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PER_REQUEST 50

static double now(void)
{
    return (double)util_mono_ns() / 1e9;
}

static void die(const char *what, tr_err *e)
{
    fprintf(stderr, "bench_aid: %s: %s\n", what, e->message);
    exit(1);
}

static aid_who as(const char *org, const char *kind)
{
    aid_who w = {{org, org}, kind, 0};
    return w;
}

typedef struct loader {
    int64_t day, per_day;
    int64_t moves, events;
} loader;

/* One day: its requests submitted and cleared, their trucks dispatched, then every batch
 * moved through the crossing and on to distribution; times vary by request. */
static int load_day(store *s, void *cls, tr_err *e)
{
    static const char *const steps[][2] = {{"at_crossing", "israel"}, {"screened", "israel"},
                                           {"offloaded", "israel"},   {"collected", "wfp"},
                                           {"in_transit", "wfp"},     {"arrived", "wfp"},
                                           {"distributed", "wfp"}};
    static const char *const dest[] = {"north-gaza", "gaza", "deir-al-balah", "khan-yunis",
                                       "rafah"};
    loader *l = cls;
    aid_who wfp = as("wfp", "humanitarian"), israel = as("israel", "party");
    char day[11];
    util_day_of_number(util_day_number("2023-10-21") + l->day, day);
    for (int64_t r = 0; r < l->per_day / PER_REQUEST; r++) {
        char body[512];
        int64_t id;
        int minute = (int)(r * 7 % 50);
        snprintf(
            body, sizeof body,
            "{\"ref\":\"BENCH-%s-%03lld\",\"crossing\":\"kerem-shalom\",\"destination\":\"%s\","
            "\"lines\":[{\"category\":\"%s\",\"trucks\":%d,\"pallets\":%d}],"
            "\"at\":\"%sT05:%02d:00Z\"}",
            day, (long long)r, dest[r % 5], r % 10 ? "food" : "fuel", PER_REQUEST, 17 * PER_REQUEST,
            day, minute);
        json_t *in = json_loads(body, 0, NULL), *trucks;
        if (aid_request_submit(s, &wfp, in, &id, e)) return -1;
        json_decref(in);
        snprintf(body, sizeof body, "{\"to\":\"cleared\",\"at\":\"%sT06:%02d:00Z\"}", day, minute);
        in = json_loads(body, 0, NULL);
        if (aid_request_move(s, &israel, id, in, e)) return -1;
        json_decref(in);
        snprintf(body, sizeof body,
                 "{\"count\":%d,\"category\":\"%s\",\"pallets\":17,\"at\":\"%sT07:%02d:00Z\"}",
                 PER_REQUEST, r % 10 ? "food" : "fuel", day, minute);
        in = json_loads(body, 0, NULL);
        if (aid_dispatch(s, &wfp, id, in, &trucks, e)) return -1;
        json_decref(in);
        l->events += 3;
        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
            int hour = 8 + (int)k * 2 + (int)((r + k) % 3);
            in = json_pack("{s:O, s:s, s:s}", "trucks", trucks, "to", steps[k][0], "at", "");
            snprintf(body, sizeof body, "%sT%02d:%02d:00Z", day, hour, minute);
            json_object_set_new(in, "at", json_string(body));
            aid_who *w = strcmp(steps[k][1], "wfp") == 0 ? &wfp : &israel;
            if (aid_trucks_move(s, w, 0, in, NULL, e)) return -1;
            json_decref(in);
            l->moves += PER_REQUEST;
            l->events += PER_REQUEST;
        }
        json_decref(trucks);
    }
    return 0;
}

typedef struct raw {
    int64_t left, per_txn;
} raw;

/* The baseline: a truck move's body appended to the journal alone. */
static int raw_day(store *s, void *cls, tr_err *e)
{
    raw *r = cls;
    char now_iso[UTIL_ISO_LEN], body[256];
    util_now_iso(now_iso);
    for (int64_t i = 0; i < r->per_txn && r->left > 0; i++, r->left--) {
        snprintf(body, sizeof body,
                 "{\"at\":\"2024-01-01T10:00:00.000Z\",\"from\":\"screened\",\"to\":\"offloaded\","
                 "\"truck\":%lld}",
                 (long long)r->left);
        store_event ev = {.type = "aid.truck_moved",
                          .actor_org = "israel",
                          .actor_user = "israel",
                          .time = now_iso,
                          .body = body,
                          .visibility = "org:wfp org:israel kind:monitor kind:mediator admin"};
        if (journal_append_event(s, &ev, e)) return -1;
    }
    return 0;
}

/* The peer: what a user would keep instead, SQLite by itself — a table of trucks updated at
 * each move and a log of the moves, a day a transaction (WAL, synchronous=FULL, as truce):
 * no journal, no hashes, no rules. Moves a second. */
static double sqlite_peer(const char *dir, int64_t days, int64_t per_day, int64_t *moves)
{
    char path[4096];
    sqlite3 *db;
    sqlite3_stmt *ins, *upd, *log;
    snprintf(path, sizeof path, "%s/peer.db", dir);
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                     " CREATE TABLE trucks(id INTEGER PRIMARY KEY, day TEXT, state TEXT,"
                     " t1 INTEGER, t2 INTEGER, t3 INTEGER, t4 INTEGER, t5 INTEGER, t6 INTEGER,"
                     " t7 INTEGER);"
                     " CREATE TABLE moves(id INTEGER PRIMARY KEY, truck INTEGER, state TEXT,"
                     " at INTEGER);",
                     NULL, NULL, NULL) != SQLITE_OK)
        exit(1);
    sqlite3_prepare_v2(db, "INSERT INTO trucks(id, day, state) VALUES (?, ?, 'dispatched')", -1,
                       &ins, NULL);
    sqlite3_prepare_v2(db,
                       "UPDATE trucks SET state = ?2, t1 = CASE ?3 WHEN 1 THEN ?4 ELSE t1 END,"
                       " t2 = CASE ?3 WHEN 2 THEN ?4 ELSE t2 END, t3 = CASE ?3 WHEN 3 THEN ?4"
                       " ELSE t3 END, t4 = CASE ?3 WHEN 4 THEN ?4 ELSE t4 END, t5 = CASE ?3 WHEN"
                       " 5 THEN ?4 ELSE t5 END, t6 = CASE ?3 WHEN 6 THEN ?4 ELSE t6 END, t7 ="
                       " CASE ?3 WHEN 7 THEN ?4 ELSE t7 END WHERE id = ?1",
                       -1, &upd, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO moves(truck, state, at) VALUES (?, ?, ?)", -1, &log, NULL);
    static const char *const states[] = {"at_crossing", "screened", "offloaded",  "collected",
                                         "in_transit",  "arrived",  "distributed"};
    double t0 = now();
    *moves = 0;
    for (int64_t d = 0, id = 1; d < days; d++) {
        char day[11];
        util_day_of_number(util_day_number("2023-10-21") + d, day);
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        for (int64_t k = 0; k < per_day; k++) {
            sqlite3_bind_int64(ins, 1, id + k);
            sqlite3_bind_text(ins, 2, day, -1, SQLITE_STATIC);
            sqlite3_step(ins);
            sqlite3_reset(ins);
        }
        for (int step = 0; step < 7; step++)
            for (int64_t k = 0; k < per_day; k++) {
                sqlite3_bind_int64(upd, 1, id + k);
                sqlite3_bind_text(upd, 2, states[step], -1, SQLITE_STATIC);
                sqlite3_bind_int(upd, 3, step + 1);
                sqlite3_bind_int64(upd, 4, d * 86400000 + step);
                sqlite3_step(upd);
                sqlite3_reset(upd);
                sqlite3_bind_int64(log, 1, id + k);
                sqlite3_bind_text(log, 2, states[step], -1, SQLITE_STATIC);
                sqlite3_bind_int64(log, 3, d * 86400000 + step);
                sqlite3_step(log);
                sqlite3_reset(log);
                (*moves)++;
            }
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) exit(1);
        id += per_day;
    }
    double t = now() - t0;
    sqlite3_finalize(ins);
    sqlite3_finalize(upd);
    sqlite3_finalize(log);
    sqlite3_close(db);
    unlink(path);
    return t;
}

/* Best of n runs of a view: its time in ms and its JSON size. */
static double best_ms(json_t *(*view)(store *, void *, tr_err *), store *s, void *cls, int n,
                      size_t *bytes)
{
    double best = 1e9;
    tr_err e = TR_ERR_INIT;
    for (int i = 0; i < n; i++) {
        double t0 = now();
        json_t *j = view(s, cls, &e);
        if (!j) die("view", &e);
        char *text = json_dumps(j, JSON_COMPACT);
        double t = (now() - t0) * 1000;
        *bytes = strlen(text);
        free(text);
        json_decref(j);
        if (t < best) best = t;
    }
    return best;
}

static char first_day[11], last_day[11];

static json_t *daily(store *s, void *cls, tr_err *e)
{
    (void)cls;
    return aid_daily(s, first_day, last_day, "", "", e);
}

static json_t *recon(store *s, void *cls, tr_err *e)
{
    (void)cls;
    return aid_reconciliation(s, first_day, last_day, "trucks_entered", "", "", e);
}

static json_t *dwell(store *s, void *cls, tr_err *e)
{
    (void)cls;
    return aid_dwell(s, first_day, last_day, "", e);
}

int main(int argc, char **argv)
{
    tr_err e = TR_ERR_INIT;
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    const char *scenario = argc > 2 ? argv[2] : "scenarios/gaza-2025";
    int64_t days = argc > 3 ? atoll(argv[3]) : 730, per_day = argc > 4 ? atoll(argv[4]) : 1000;
    char db[4096], key[4200];
    util_malloc_tune();
    if (sodium_init() < 0 || days < 1 || per_day < PER_REQUEST) return 1;
    setenv("TRUCE_PWHASH", "min", 0); /* the demo's passwords are not what is measured */
    acct_init();
    snprintf(db, sizeof db, "%s/aid.db", dir);
    journal_key_path(db, key, sizeof key);
    loader l = {0, per_day, 0, 0};
    double t0, t_load = 0, t_raw = 0, t_peer = 0;
    int64_t peer_moves = 0;
    /* BENCH_AID_REUSE=1: the views only, on the database the last run left. */
    if (getenv("BENCH_AID_REUSE")) goto views;
    unlink(db);
    unlink(key);
    store *s = store_sqlite_open(db, STORE_CREATE, &e);
    if (!s || journal_create_key(s, db, "bench.truce/aid", &e) ||
        scn_init_deployment(s, "bench", &e) || scn_load(s, scenario, SCN_NO_SAMPLES, NULL, &e))
        die("demo", &e);
    t0 = now();
    for (l.day = 0; l.day < days; l.day++) {
        if (store_txn(s, load_day, &l, &e)) die("load", &e);
        if (isatty(STDERR_FILENO) && l.day % 10 == 9)
            fprintf(stderr, "\rloading day %lld of %lld", (long long)l.day + 1, (long long)days);
    }
    t_load = now() - t0;
    if (isatty(STDERR_FILENO)) fputc('\n', stderr);
    s->ops->close(s);

    /* The baseline: as many events, journal alone, a day's worth a transaction. */
    char rdb[4096], rkey[4200];
    snprintf(rdb, sizeof rdb, "%s/aid-raw.db", dir);
    journal_key_path(rdb, rkey, sizeof rkey);
    unlink(rdb);
    unlink(rkey);
    store *rs = store_sqlite_open(rdb, STORE_CREATE, &e);
    if (!rs || journal_create_key(rs, rdb, "bench.truce/raw", &e)) die("raw", &e);
    raw r = {l.events, l.events / days};
    t0 = now();
    while (r.left > 0)
        if (store_txn(rs, raw_day, &r, &e)) die("raw", &e);
    t_raw = now() - t0;
    t_peer = sqlite_peer(dir, days, per_day, &peer_moves);
    rs->ops->close(rs);
    unlink(rdb);
    unlink(rkey);

views:
    s = store_sqlite_open(db, STORE_READONLY | STORE_MMAP, &e); /* as the server reads them */
    if (!s) die("open", &e);
    util_day_of_number(util_day_number("2023-10-21"), first_day);
    util_day_of_number(util_day_number("2023-10-21") + days - 1, last_day);
    size_t b_daily, b_recon, b_dwell;
    double ms_daily = best_ms(daily, s, NULL, 5, &b_daily);
    double ms_recon = best_ms(recon, s, NULL, 5, &b_recon);
    double ms_dwell = best_ms(dwell, s, NULL, 3, &b_dwell);
    s->ops->close(s);

    printf("%lld days, %lld truckloads, %lld moves (%lld events)\n", (long long)days,
           (long long)(days * per_day), (long long)l.moves, (long long)l.events);
    printf("%-44s %12.0f moves/s  (%.1f s; %.0f events/s)\n", "load through the services",
           (double)l.moves / t_load, t_load, (double)l.events / t_load);
    printf("%-44s %12.0f moves/s  (%.1f s)\n", "peer: SQLite alone, a table and a move log",
           (double)peer_moves / t_peer, t_peer);
    printf("%-44s %12.0f events/s (%.1f s)\n", "baseline: the journal alone, same events",
           (double)l.events / t_raw, t_raw);
    printf("%-44s %9.1f ms  (%zu bytes)\n", "daily view over the period (in process)", ms_daily,
           b_daily);
    printf("%-44s %9.1f ms  (%zu bytes)\n", "reconciliation over the period", ms_recon, b_recon);
    printf("%-44s %9.1f ms  (%zu bytes)\n", "dwell percentiles over the period", ms_dwell, b_dwell);
    printf("period %s %s\n", first_day, last_day);
    return 0;
}
