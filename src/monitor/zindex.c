/* zindex.c - point-in-zone queries with GEOS; see zindex.h. */
#include "monitor/zindex.h"
#include "monitor/store.h"

#include "core/util.h"

#include <geos_c.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct zone_shape {
    char *slug, *name, *kind;
    GEOSGeometry *geom;
    const GEOSPreparedGeometry *prep;
    double xmin, ymin, xmax, ymax;
} zone_shape;

struct zone_index {
    char *fingerprint;          /* of the zones loaded, when cached on a store */
    uint64_t checked_ns, epoch; /* when the fingerprint last matched, and zone_epoch then */
    GEOSContextHandle_t ctx;
    GEOSGeoJSONReader *reader;
    zone_shape *z;
    size_t n, cap;
    char geos_error[256];
    tr_err *load_err; /* Where a failing load reports. */
};

static void on_geos_error(const char *msg, void *cls)
{
    zone_index *zi = cls;
    snprintf(zi->geos_error, sizeof zi->geos_error, "%s", msg);
}

static int add_zone(void *cls, const void *row)
{
    zone_index *zi = cls;
    const store_zone *sz = row;
    zone_shape *z;
    GEOSGeometry *g;

    zi->geos_error[0] = '\0';
    g = GEOSGeoJSONReader_readGeometry_r(zi->ctx, zi->reader, sz->geometry);
    if (!g) {
        err_set(zi->load_err, 500, "zone.unreadable", "re-import the zone from valid GeoJSON",
                "zone %s could not be read by GEOS: %s", sz->slug,
                zi->geos_error[0] ? zi->geos_error : "unknown error");
        return 1;
    }
    if (zi->n == zi->cap) {
        size_t cap = zi->cap ? zi->cap * 2 : 16;
        zone_shape *nz = realloc(zi->z, cap * sizeof *nz);
        if (!nz) {
            GEOSGeom_destroy_r(zi->ctx, g);
            err_set(zi->load_err, 500, "internal.oom", NULL, "out of memory loading zones");
            return 1;
        }
        zi->z = nz;
        zi->cap = cap;
    }
    z = &zi->z[zi->n];
    memset(z, 0, sizeof *z);
    z->geom = g;
    z->slug = strdup(sz->slug);
    z->name = strdup(sz->name);
    z->kind = strdup(sz->kind);
    z->prep = GEOSPrepare_r(zi->ctx, g);
    if (!z->slug || !z->name || !z->kind || !z->prep || !GEOSGeom_getXMin_r(zi->ctx, g, &z->xmin) ||
        !GEOSGeom_getYMin_r(zi->ctx, g, &z->ymin) || !GEOSGeom_getXMax_r(zi->ctx, g, &z->xmax) ||
        !GEOSGeom_getYMax_r(zi->ctx, g, &z->ymax)) {
        free(z->slug);
        free(z->name);
        free(z->kind);
        if (z->prep) GEOSPreparedGeom_destroy_r(zi->ctx, z->prep);
        GEOSGeom_destroy_r(zi->ctx, g);
        err_set(zi->load_err, 500, "zone.unreadable", "re-import the zone from valid GeoJSON",
                "zone %s could not be prepared: %s", sz->slug,
                zi->geos_error[0] ? zi->geos_error : "out of memory");
        return 1;
    }
    zi->n++;
    return 0;
}

int zone_index_load(store *s, zone_index **out, tr_err *e)
{
    zone_index *zi = calloc(1, sizeof *zi);
    *out = NULL;
    if (!zi) return err_set(e, 500, "internal.oom", NULL, "out of memory loading zones");
    zi->ctx = GEOS_init_r();
    if (!zi->ctx) {
        free(zi);
        return err_set(e, 500, "internal.geos", NULL, "GEOS could not start");
    }
    GEOSContext_setErrorMessageHandler_r(zi->ctx, on_geos_error, zi);
    zi->reader = GEOSGeoJSONReader_create_r(zi->ctx);
    zi->load_err = e;
    if (!zi->reader || monitor_store(s)->zone_list(s, add_zone, zi, e)) {
        if (!zi->reader) err_set(e, 500, "internal.geos", NULL, "GEOS could not start");
        zone_index_free(zi);
        return -1;
    }
    zi->load_err = NULL;
    *out = zi; /* zone_list returns slug order, so results come out in slug order. */
    return 0;
}

size_t zone_index_count(const zone_index *zi)
{
    return zi->n;
}

static void cache_free(void *zi)
{
    zone_index_free(zi);
}

static _Atomic uint64_t zone_epoch = 1;

void zone_index_forget(void)
{
    atomic_fetch_add(&zone_epoch, 1);
}

/* The key the zones are cached under beside a connection (store_cache_get). */
static const char cache_key = 'z';

zone_index *zone_index_cached(store *s, tr_err *e)
{
    zone_index *zi = store_cache_get(s, &cache_key);
    uint64_t now = util_mono_ns(), epoch = atomic_load(&zone_epoch);
    if (zi && s->cache_ttl_ns && zi->epoch == epoch && now - zi->checked_ns < s->cache_ttl_ns)
        return zi;
    char *print = monitor_store(s)->zone_fingerprint(s, e);
    if (!print) return NULL;
    if (zi && strcmp(zi->fingerprint, print) == 0) {
        free(print);
        zi->checked_ns = now, zi->epoch = epoch;
        return zi;
    }
    if (zone_index_load(s, &zi, e)) {
        free(print);
        return NULL;
    }
    zi->fingerprint = print;
    zi->checked_ns = now, zi->epoch = epoch;
    store_cache_put(s, &cache_key, zi, cache_free);
    return zi;
}

size_t zone_index_find(zone_index *zi, double lon, double lat, const char **slugs, size_t max)
{
    size_t i, found = 0;
    GEOSGeometry *pt = NULL;

    for (i = 0; i < zi->n; i++) {
        const zone_shape *z = &zi->z[i];
        if (lon < z->xmin || lon > z->xmax || lat < z->ymin || lat > z->ymax) continue;
        if (!pt && !(pt = GEOSGeom_createPointFromXY_r(zi->ctx, lon, lat))) break;
        if (GEOSPreparedCovers_r(zi->ctx, z->prep, pt) == 1) {
            if (found < max) slugs[found] = z->slug;
            found++;
        }
    }
    if (pt) GEOSGeom_destroy_r(zi->ctx, pt);
    return found;
}

int zone_geometry_valid(const json_t *geometry, const char *field, tr_err *e)
{
    GEOSContextHandle_t ctx = GEOS_init_r();
    GEOSGeoJSONReader *reader = ctx ? GEOSGeoJSONReader_create_r(ctx) : NULL;
    char *text = json_dumps(geometry, JSON_COMPACT);
    GEOSGeometry *g = reader && text ? GEOSGeoJSONReader_readGeometry_r(ctx, reader, text) : NULL;
    char *reason = g ? GEOSisValidReason_r(ctx, g) : NULL;
    int rc = 0;

    if (!reason) {
        rc = err_field(e, "request.invalid_field", field,
                       "send a GeoJSON Polygon or MultiPolygon in WGS84 (lon, lat)",
                       "%s could not be read as a geometry", field);
    } else if (strcmp(reason, "Valid Geometry") != 0) {
        /* GEOS says what and where, e.g. "Self-intersection[34.4 31.5]". */
        rc = err_field(e, "request.invalid_field", field,
                       "redraw the area so that its edges do not cross and holes lie inside",
                       "%s is not a valid area: %s", field, reason);
    }
    if (reason) GEOSFree_r(ctx, reason);
    if (g) GEOSGeom_destroy_r(ctx, g);
    if (reader) GEOSGeoJSONReader_destroy_r(ctx, reader);
    if (ctx) GEOS_finish_r(ctx);
    free(text);
    return rc;
}

const char *zone_index_name(const zone_index *zi, const char *slug, const char **kind)
{
    for (size_t i = 0; i < zi->n; i++)
        if (strcmp(zi->z[i].slug, slug) == 0) {
            if (kind) *kind = zi->z[i].kind;
            return zi->z[i].name;
        }
    return NULL;
}

void zone_index_free(zone_index *zi)
{
    size_t i;
    if (!zi) return;
    for (i = 0; i < zi->n; i++) {
        GEOSPreparedGeom_destroy_r(zi->ctx, zi->z[i].prep);
        GEOSGeom_destroy_r(zi->ctx, zi->z[i].geom);
        free(zi->z[i].slug);
        free(zi->z[i].name);
        free(zi->z[i].kind);
    }
    free(zi->z);
    free(zi->fingerprint);
    if (zi->reader) GEOSGeoJSONReader_destroy_r(zi->ctx, zi->reader);
    GEOS_finish_r(zi->ctx);
    free(zi);
}
