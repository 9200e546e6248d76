/* bench_monitor.c - monitoring at real-data scale: importing the real ACLED export with
 * zone tagging against the same import into a deployment with no zones; point-in-zone
 * queries through prepared geometries against plain GEOSCovers on the same points; and
 * the streamed exports. Each figure is the best of three.
 *
 * usage: bench_monitor DIR ACLED.csv SCENARIO_DIR */
#include "accounts/accounts.h"
#include "monitor/store.h"
#include "core/util.h"
#include "journal/journal.h"
#include "monitor/acled.h"
#include "monitor/export.h"
#include "monitor/zindex.h"
#include "scenario/scenario.h"

#include <geos_c.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void die(const char *what, const tr_err *e)
{
    fprintf(stderr, "bench_monitor: %s: %s\n", what, e ? e->message : "failed");
    exit(1);
}

static store *fresh(const char *dir, const char *name, const char *scenario)
{
    char path[1024];
    tr_err e = TR_ERR_INIT;
    store *s;
    static const char *const leftovers[] = {"", "-wal", "-shm", ".key"};
    for (size_t i = 0; i < sizeof leftovers / sizeof leftovers[0]; i++) {
        snprintf(path, sizeof path, "%s/%s%s", dir, name, leftovers[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    s = store_sqlite_open(path, STORE_CREATE, &e);
    if (!s || journal_create_key(s, path, "bench.truce/log", &e) ||
        scn_init_deployment(s, "bench", &e) ||
        (scenario && scn_load(s, scenario, SCN_NO_SAMPLES, NULL, &e)))
        die("database", &e);
    return s;
}

static double import_s(store *s, const char *csv, int64_t *outside)
{
    tr_err e = TR_ERR_INIT;
    acled_result res;
    FILE *f = fopen(csv, "r");
    if (!f) die(csv, NULL);
    uint64_t t0 = util_mono_ns();
    if (acled_import(s, &journal_operator, f, 0, "verified", 0, NULL, NULL, &res, &e))
        die("import", &e);
    double secs = (double)(util_mono_ns() - t0) / 1e9;
    fclose(f);
    json_decref(res.rejects);
    *outside = res.outside_zones;
    return secs;
}

typedef struct points {
    double *x, *y;
    size_t n, cap;
} points;

static int collect(void *cls, const void *row)
{
    points *p = cls;
    const store_incident_row *r = row;
    json_t *doc = json_loads(r->doc, 0, NULL);
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 8192;
        p->x = realloc(p->x, p->cap * sizeof *p->x);
        p->y = realloc(p->y, p->cap * sizeof *p->y);
        if (!p->x || !p->y) abort();
    }
    p->x[p->n] = json_number_value(json_object_get(doc, "longitude"));
    p->y[p->n] = json_number_value(json_object_get(doc, "latitude"));
    p->n++;
    json_decref(doc);
    return 0;
}

typedef struct plain {
    GEOSContextHandle_t ctx;
    GEOSGeoJSONReader *reader;
    GEOSGeometry *g[64];
    size_t n;
} plain;

static int plain_add(void *cls, const void *row)
{
    plain *p = cls;
    const store_zone *z = row;
    if (p->n == 64) return 1;
    p->g[p->n] = GEOSGeoJSONReader_readGeometry_r(p->ctx, p->reader, z->geometry);
    if (!p->g[p->n]) abort();
    p->n++;
    return 0;
}

static int64_t export_rows;

static double export_s(store *s, export_format fmt)
{
    tr_err e = TR_ERR_INIT;
    store_incident_filter f = {0};
    FILE *out = fopen("/dev/null", "w");
    uint64_t t0 = util_mono_ns();
    if (export_incidents(s, &f, fmt, 0, out, &export_rows, &e)) die("export", &e);
    fflush(out);
    double secs = (double)(util_mono_ns() - t0) / 1e9;
    fclose(out);
    return secs;
}

int main(int argc, char **argv)
{
    tr_err e = TR_ERR_INIT;
    int64_t outside = 0, none = 0;
    double base = INFINITY, tagged = INFINITY;
    store *s0, *s1 = NULL;

    if (argc != 4) {
        fprintf(stderr, "usage: bench_monitor DIR ACLED.csv SCENARIO_DIR\n");
        return 2;
    }
    util_malloc_tune(); /* as truce's main */
    if (sodium_init() < 0) return 1;
    acct_init();

    for (int r = 0; r < 3; r++) {
        s0 = fresh(argv[1], "bench-monitor-nozones.db", NULL);
        double t = import_s(s0, argv[2], &none);
        if (t < base) base = t;
        s0->ops->close(s0);
        if (s1) s1->ops->close(s1);
        s1 = fresh(argv[1], "bench-monitor.db", argv[3]);
        t = import_s(s1, argv[2], &outside);
        if (t < tagged) tagged = t;
    }
    int64_t rows = monitor_store(s1)->incident_count(s1, &e);
    printf("%-48s %12s %12s\n", "benchmark", "rows/s", "time");
    printf("%-48s %12.0f %10.0f ms\n", "ACLED import, no zones (baseline)", rows / base,
           base * 1e3);
    printf("%-48s %12.0f %10.0f ms\n", "ACLED import, tagged with 5 zones (GEOS)", rows / tagged,
           tagged * 1e3);
    printf("  %lld rows, %lld outside every zone\n", (long long)rows, (long long)outside);

    /* Point queries over the real events' coordinates. */
    points p = {0};
    store_incident_filter f = {0};
    if (monitor_store(s1)->incident_list(s1, &f, 0, INT64_MAX, collect, &p, &e)) die("list", &e);
    zone_index *zi;
    if (zone_index_load(s1, &zi, &e)) die("zones", &e);
    plain pl = {.ctx = GEOS_init_r()};
    pl.reader = GEOSGeoJSONReader_create_r(pl.ctx);
    if (monitor_store(s1)->zone_list(s1, plain_add, &pl, &e)) die("zones", &e);
    const int rounds = 20;
    double best_prep = INFINITY, best_plain = INFINITY;
    size_t hits_prep = 0, hits_plain = 0;
    for (int r = 0; r < 3; r++) {
        const char *slugs[8];
        uint64_t t0 = util_mono_ns();
        hits_prep = 0;
        for (int k = 0; k < rounds; k++)
            for (size_t i = 0; i < p.n; i++)
                hits_prep += zone_index_find(zi, p.x[i], p.y[i], slugs, 8);
        double t = (double)(util_mono_ns() - t0) / 1e9;
        if (t < best_prep) best_prep = t;
        t0 = util_mono_ns();
        hits_plain = 0;
        for (int k = 0; k < rounds; k++)
            for (size_t i = 0; i < p.n; i++) {
                GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(pl.ctx, p.x[i], p.y[i]);
                for (size_t z = 0; z < pl.n; z++)
                    hits_plain += GEOSCovers_r(pl.ctx, pl.g[z], pt) == 1;
                GEOSGeom_destroy_r(pl.ctx, pt);
            }
        t = (double)(util_mono_ns() - t0) / 1e9;
        if (t < best_plain) best_plain = t;
    }
    if (hits_prep != hits_plain) {
        fprintf(stderr, "bench_monitor: prepared and plain queries disagree (%zu, %zu)\n",
                hits_prep, hits_plain);
        return 1;
    }
    double q = (double)rounds * (double)p.n;
    printf("%-48s %12.0f %10.2f µs\n", "point in zones, plain GEOSCovers (baseline)",
           q / best_plain, best_plain * 1e6 / q);
    printf("%-48s %12.0f %10.2f µs\n", "point in zones, bbox + prepared (zone_index)",
           q / best_prep, best_prep * 1e6 / q);

    double acled = INFINITY, geojson = INFINITY, hxl = INFINITY;
    for (int r = 0; r < 3; r++) {
        double t = export_s(s1, EXPORT_ACLED);
        if (t < acled) acled = t;
        t = export_s(s1, EXPORT_HXL);
        if (t < hxl) hxl = t;
        t = export_s(s1, EXPORT_GEOJSON);
        if (t < geojson) geojson = t;
    }
    printf("%-48s %12.0f %10.0f ms\n", "export, ACLED CSV", export_rows / acled, acled * 1e3);
    printf("%-48s %12.0f %10.0f ms\n", "export, HXL CSV", export_rows / hxl, hxl * 1e3);
    printf("%-48s %12.0f %10.0f ms\n", "export, GeoJSON", export_rows / geojson, geojson * 1e3);

    for (size_t z = 0; z < pl.n; z++)
        GEOSGeom_destroy_r(pl.ctx, pl.g[z]);
    GEOSGeoJSONReader_destroy_r(pl.ctx, pl.reader);
    GEOS_finish_r(pl.ctx);
    zone_index_free(zi);
    free(p.x);
    free(p.y);
    s1->ops->close(s1);
    (void)none;
    return 0;
}
