/* bench_scale.c - monitoring at a million rows: the targets, each against a
 * baseline measured in the same run.
 *
 *   1. Synthetic ACLED rows from the real export's distributions: each row is a real row
 *      (chosen at random: types, actors, places, notes and their lengths as in the real
 *      data) with its own event_id_cnty, a date drawn uniformly from the real export's
 *      span, its place moved by up to ±0.01° (about a kilometre), and the fatalities of
 *      another random real row. Seeded, so every run imports the same file.
 *   2. Import of N rows (default 1,000,000) with zone tagging; baseline: libcsv reading
 *      the same file with no checks and no writes. Peak memory (VmHWM) after.
 *   3. Export of every row as ACLED CSV to /dev/null; baseline: reading every row (its
 *      document, or an import's CSV row) without writing anything. Peak memory growth
 *      during the export.
 *   4. A bounding box holding 100,000 incidents as GeoJSON over HTTP (a server on this
 *      database, libcurl, the body discarded); baseline: counting the same box with
 *      GET /incidents/stats.
 *   5. The same box as the public map draws it zoomed out: GET /incidents/grid (counts per
 *      cell of 0.01° and of 0.05°), beside the summary GeoJSON a map would otherwise load.
 *
 * usage: bench_scale DIR ACLED.csv SCENARIO_DIR [ROWS] */
#include "accounts/accounts.h"
#include "monitor/store.h"
#include "core/log.h"
#include "core/util.h"
#include "http/http.h"
#include "journal/journal.h"
#include "monitor/export.h"
#include "scenario/scenario.h"

#include <csv.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <curl/curl.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void die(const char *what, const tr_err *e)
{
    fprintf(stderr, "bench_scale: %s: %s\n", what, e ? e->message : "failed");
    exit(1);
}

/* ---- the real rows -------------------------------------------------------------------- */

typedef struct table {
    char ***rows; /* rows[i][j], NUL-terminated */
    int *n_fields;
    size_t n, cap;
    char **cur;
    int n_cur, cap_cur;
} table;

static void t_field(void *data, size_t len, void *cls)
{
    table *t = cls;
    if (t->n_cur == t->cap_cur) {
        t->cap_cur = t->cap_cur ? 2 * t->cap_cur : 64;
        t->cur = realloc(t->cur, (size_t)t->cap_cur * sizeof *t->cur);
    }
    t->cur[t->n_cur] = malloc(len + 1);
    memcpy(t->cur[t->n_cur], data ? data : "", len);
    t->cur[t->n_cur++][len] = 0;
}

static void t_row(int c, void *cls)
{
    table *t = cls;
    (void)c;
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 8192;
        t->rows = realloc(t->rows, t->cap * sizeof *t->rows);
        t->n_fields = realloc(t->n_fields, t->cap * sizeof *t->n_fields);
    }
    t->rows[t->n] = t->cur;
    t->n_fields[t->n++] = t->n_cur;
    t->cur = NULL;
    t->n_cur = t->cap_cur = 0;
}

static void read_table(const char *path, table *t)
{
    struct csv_parser csv;
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f) die(path, NULL);
    memset(t, 0, sizeof *t);
    csv_init(&csv, CSV_APPEND_NULL);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        csv_parse(&csv, chunk, n, t_field, t_row, t);
    csv_fini(&csv, t_field, t_row, t);
    csv_free(&csv);
    fclose(f);
}

static int col(const table *t, const char *name)
{
    for (int j = 0; j < t->n_fields[0]; j++)
        if (strcmp(t->rows[0][j], name) == 0) return j;
    fprintf(stderr, "bench_scale: no column %s\n", name);
    exit(1);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t next(void) /* xorshift64* */
{
    rng ^= rng >> 12, rng ^= rng << 25, rng ^= rng >> 27;
    return rng * 2685821657736338717u;
}
static double unit(void)
{
    return (double)(next() >> 11) / 9007199254740992.0;
}

static void generate(const table *t, const char *out_path, long rows)
{
    static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int c_id = col(t, "event_id_cnty"), c_date = col(t, "event_date"), c_lat = col(t, "latitude"),
        c_lon = col(t, "longitude"), c_fat = col(t, "fatalities");
    /* The real export's span: 7 October 2023 to 6 June 2025. */
    time_t first = 1696636800, last = 1749168000;
    FILE *out = fopen(out_path, "w");
    if (!out) die(out_path, NULL);
    for (int j = 0; j < t->n_fields[0]; j++)
        fprintf(out, "%s%s", j ? "," : "", t->rows[0][j]);
    fputc('\n', out);
    for (long i = 0; i < rows; i++) {
        size_t k = 1 + next() % (t->n - 1), other = 1 + next() % (t->n - 1);
        char id[32], date[16], lat[32], lon[32];
        time_t day = first + (time_t)(unit() * (double)(last - first));
        struct tm tm;
        gmtime_r(&day, &tm);
        snprintf(id, sizeof id, "SYN%07ld", i + 1);
        snprintf(date, sizeof date, "%d-%s-%02d", tm.tm_mday, mon[tm.tm_mon], tm.tm_year % 100);
        snprintf(lat, sizeof lat, "%.4f", atof(t->rows[k][c_lat]) + (unit() - 0.5) * 0.02);
        snprintf(lon, sizeof lon, "%.4f", atof(t->rows[k][c_lon]) + (unit() - 0.5) * 0.02);
        for (int j = 0; j < t->n_fields[k]; j++) {
            const char *v = j == c_id     ? id
                            : j == c_date ? date
                            : j == c_lat  ? lat
                            : j == c_lon  ? lon
                            : j == c_fat  ? t->rows[other][c_fat]
                                          : t->rows[k][j];
            if (j) fputc(',', out);
            csv_fwrite(out, v, strlen(v));
        }
        fputc('\n', out);
    }
    /* On disk before the import starts, as a file someone imports is: otherwise the
     * kernel writes this gigabyte back during the measured import, and its commit's fsync
     * waits behind it. */
    if (fflush(out) || fsync(fileno(out))) {
        perror(out_path);
        exit(1);
    }
    fclose(out);
}

/* ---- measuring -------------------------------------------------------------------------- */

static long kb(const char *field) /* VmHWM or VmRSS, kB */
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, strlen(field)) == 0) v = atol(line + strlen(field) + 1);
    if (f) fclose(f);
    return v;
}

static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f); /* resets VmHWM to the current RSS */
        fclose(f);
    }
}

static void count_field(void *d, size_t n, void *c)
{
    (void)d, (void)n, ++*(long *)c;
}
static void count_row(int x, void *c)
{
    (void)x, (void)c;
}

static double csv_only_s(const char *path)
{
    struct csv_parser csv;
    char chunk[65536];
    size_t n;
    long fields = 0;
    FILE *f = fopen(path, "rb");
    uint64_t t0 = util_mono_ns();
    csv_init(&csv, CSV_STRICT | CSV_APPEND_NULL);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        csv_parse(&csv, chunk, n, count_field, count_row, &fields);
    csv_fini(&csv, count_field, count_row, &fields);
    csv_free(&csv);
    fclose(f);
    return (double)(util_mono_ns() - t0) / 1e9;
}

/* What an export reads of a row: its stored document or CSV row (an import's). */
static int count_doc(void *cls, const void *row)
{
    const store_incident_row *r = row;
    *(size_t *)cls += strlen(r->doc) + r->csv_len;
    return 0;
}

static size_t sink(char *p, size_t size, size_t n, void *cls)
{
    (void)p;
    *(size_t *)cls += size * n;
    return size * n;
}

static double http_get_s(const char *url, size_t *bytes, long *status)
{
    CURL *c = curl_easy_init();
    *bytes = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, bytes);
    uint64_t t0 = util_mono_ns();
    if (curl_easy_perform(c) != CURLE_OK) die(url, NULL);
    double secs = (double)(util_mono_ns() - t0) / 1e9;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    return secs;
}

typedef struct lonlist {
    double *v;
    size_t n;
} lonlist;

static int lon_cb(void *cls, const void *row)
{
    lonlist *l = cls;
    l->v[l->n++] = ((const store_incident_row *)row)->longitude;
    return 0;
}

static int count_cb(void *cls, const void *row)
{
    (void)row;
    ++*(int64_t *)cls;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    tr_err e = TR_ERR_INIT;
    table t;
    char csv_path[1024], db[1024];
    long rows = argc > 4 ? atol(argv[4]) : 1000000;

    if (argc < 4 || rows < 1000) {
        fprintf(stderr, "usage: bench_scale DIR ACLED.csv SCENARIO_DIR [ROWS >= 1000]\n");
        return 2;
    }
    util_malloc_tune(); /* as truce's main: the box is served as truce serves it */
    if (sodium_init() < 0) return 1;
    acct_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    read_table(argv[2], &t);
    snprintf(csv_path, sizeof csv_path, "%s/synthetic.csv", argv[1]);
    generate(&t, csv_path, rows);

    /* Import. */
    snprintf(db, sizeof db, "%s/scale.db", argv[1]);
    static const char *const leftovers[] = {"", "-wal", "-shm", ".key"};
    for (size_t i = 0; i < 4; i++) {
        char p[1100];
        snprintf(p, sizeof p, "%s%s", db, leftovers[i]);
        unlink(p);
    }
    store *s = store_sqlite_open(db, STORE_CREATE, &e);
    if (!s || journal_create_key(s, db, "bench.truce/scale", &e) ||
        scn_init_deployment(s, "bench", &e) || scn_load(s, argv[3], SCN_NO_SAMPLES, NULL, &e))
        die("database", &e);
    double parse = csv_only_s(csv_path);
    s->ops->close(s);
    /* The import as people run it, `truce import acled`, in a child process whose peak
     * memory the kernel reports. */
    char truce[1100], *slash;
    snprintf(truce, sizeof truce, "%s", argv[0]);
    slash = strrchr(truce, '/');
    snprintf(slash ? slash + 1 : truce, sizeof truce - (size_t)(slash ? slash + 1 - truce : 0),
             "truce");
    char *child_argv[] = {truce, "import", "acled", csv_path, "--db", db, NULL};
    pid_t pid;
    int status;
    struct rusage ru;
    uint64_t t0 = util_mono_ns();
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, truce, &quiet, NULL, child_argv, environ) != 0) die(truce, NULL);
    posix_spawn_file_actions_destroy(&quiet);
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("truce import acled", NULL);
    double imp = (double)(util_mono_ns() - t0) / 1e9;
    if (!(s = store_sqlite_open(db, 0, &e))) die("database", &e);
    int64_t imported = monitor_store(s)->incident_count(s, &e);
    printf("%-52s %12s %12s %12s\n", "benchmark", "rows/s", "time", "peak memory");
    printf("%-52s %12.0f %10.2f s\n", "libcsv reading the file, no checks (baseline)", rows / parse,
           parse);
    printf("%-52s %12.0f %10.2f s %9ld MB\n", "truce import acled, zones (target >= 100,000/s)",
           imported / imp, imp, ru.ru_maxrss / 1024);
    printf("  %ld synthetic rows, %lld imported (%.1f user s, %.1f system s)\n", rows,
           (long long)imported, (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);

    /* Export. */
    store_incident_filter all = {0};
    size_t doc_bytes = 0;
    t0 = util_mono_ns();
    if (monitor_store(s)->incident_list(s, &all, 0, INT64_MAX, count_doc, &doc_bytes, &e))
        die("scan", &e);
    double scan = (double)(util_mono_ns() - t0) / 1e9;
    int64_t n_out = 0;
    FILE *null = fopen("/dev/null", "w");
    reset_peak();
    long rss0 = kb("VmRSS");
    t0 = util_mono_ns();
    if (export_incidents(s, &all, EXPORT_ACLED, 0, null, &n_out, &e)) die("export", &e);
    fflush(null);
    double exp_s = (double)(util_mono_ns() - t0) / 1e9;
    long peak_export = kb("VmHWM") - rss0;
    fclose(null);
    printf("%-52s %12.0f %10.2f s\n", "reading every row, no output (baseline)", imported / scan,
           scan);
    printf("%-52s %12.0f %10.2f s %9ld MB\n", "export as ACLED CSV (target <= 3 s, flat)",
           n_out / exp_s, exp_s, peak_export / 1024);

    /* A box holding 100,000 incidents: every latitude, and longitudes up to the
     * 100,000th smallest. */
    lonlist ll = {malloc((size_t)imported * sizeof(double)), 0};
    if (monitor_store(s)->incident_list(s, &all, 0, INT64_MAX, lon_cb, &ll, &e)) die("scan", &e);
    qsort(ll.v, ll.n, sizeof *ll.v, cmp_double);
    size_t want = ll.n < 100000 ? ll.n : 100000;
    store_incident_filter box = {
        .has_bbox = 1, .west = ll.v[0], .east = ll.v[want - 1], .south = -90, .north = 90};
    int64_t in_box = 0;
    t0 = util_mono_ns();
    if (monitor_store(s)->incident_list(s, &box, 0, INT64_MAX, count_cb, &in_box, &e))
        die("box", &e);
    double count_s = (double)(util_mono_ns() - t0) / 1e9;
    s->ops->close(s);

    log_set_access(0);
    http_config cfg = {.db_path = db, .listen = "127.0.0.1:0", .threads = 2};
    http_server *srv = http_start(&cfg, &e);
    if (!srv) die("server", &e);
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/incidents.geojson?bbox=%.6f,-90,%.6f,90",
             (unsigned)http_port(srv), box.west, box.east);
    size_t bytes = 0;
    long http_status = 0;
    double best = INFINITY;
    for (int r = 0; r < 3; r++) {
        double secs = http_get_s(url, &bytes, &http_status);
        if (http_status != 200) die("GET incidents.geojson", NULL);
        if (secs < best) best = secs;
    }
    char url_sum[600];
    snprintf(url_sum, sizeof url_sum, "%s&properties=summary", url);
    double best_sum = INFINITY;
    size_t bytes_sum = 0;
    for (int r = 0; r < 3; r++) {
        double secs = http_get_s(url_sum, &bytes_sum, &http_status);
        if (http_status != 200) die("GET incidents.geojson?properties=summary", NULL);
        if (secs < best_sum) best_sum = secs;
    }
    printf("%-52s %12.0f %10.0f ms\n", "the box's incidents read, no output (baseline)",
           in_box / count_s, count_s * 1e3);
    printf("%-52s %12.0f %10.0f ms   %lld incidents, %.0f MB\n",
           "box as GeoJSON over HTTP (target <= 300 ms)", in_box / best, best * 1e3,
           (long long)in_box, (double)bytes / 1e6);
    printf("%-52s %12.0f %10.0f ms   %.0f MB\n", "the same, properties=summary (for maps)",
           in_box / best_sum, best_sum * 1e3, (double)bytes_sum / 1e6);
    for (int c = 0; c < 2; c++) {
        const char *cell = c ? "0.05" : "0.01";
        char url_grid[600];
        snprintf(url_grid, sizeof url_grid,
                 "http://127.0.0.1:%u/api/v1/incidents/grid?bbox=%.6f,-90,%.6f,90&cell=%s",
                 (unsigned)http_port(srv), box.west, box.east, cell);
        double best_grid = INFINITY;
        size_t bytes_grid = 0;
        for (int r = 0; r < 3; r++) {
            double secs = http_get_s(url_grid, &bytes_grid, &http_status);
            if (http_status != 200) die("GET incidents/grid", NULL);
            if (secs < best_grid) best_grid = secs;
        }
        char what[64];
        snprintf(what, sizeof what, "the box as map cells of %s deg (/incidents/grid)", cell);
        printf("%-52s %12.0f %10.0f ms   %.0f KB\n", what, in_box / best_grid, best_grid * 1e3,
               (double)bytes_grid / 1e3);
    }
    free(ll.v);
    http_stop(srv);
    curl_global_cleanup();
    return 0;
}
