/* zones.c - named areas; see zones.h. */
#include "monitor/zones.h"
#include "monitor/store.h"

#include "core/buf.h"
#include "core/util.h"
#include "monitor/zindex.h"

#include <stdio.h>
#include <string.h>

static int bad(tr_err *e, const char *field, const char *why)
{
    return err_field(e, "request.invalid_field", field,
                     "send a GeoJSON Polygon or MultiPolygon in WGS84 (lon, lat)",
                     "%s is not a valid area: %s", field, why);
}

static int check_ring(const json_t *ring, const char *field, tr_err *e)
{
    size_t i, n = json_array_size(ring);
    const json_t *pos;
    if (!json_is_array(ring) || n < 4) return bad(e, field, "a ring needs at least 4 positions");
    json_array_foreach(ring, i, pos)
    {
        double lon, lat;
        if (!json_is_array(pos) || json_array_size(pos) < 2 ||
            !json_is_number(json_array_get(pos, 0)) || !json_is_number(json_array_get(pos, 1)))
            return bad(e, field, "a position must be [lon, lat]");
        lon = json_number_value(json_array_get(pos, 0));
        lat = json_number_value(json_array_get(pos, 1));
        if (lon < -180 || lon > 180 || lat < -90 || lat > 90)
            return bad(e, field, "a coordinate is out of range");
    }
    if (!json_equal(json_array_get(ring, 0), json_array_get(ring, n - 1)))
        return bad(e, field, "a ring must end where it starts");
    return 0;
}

static int check_polygon(const json_t *rings, const char *field, tr_err *e)
{
    size_t i;
    const json_t *ring;
    if (!json_is_array(rings) || json_array_size(rings) == 0)
        return bad(e, field, "a polygon needs at least one ring");
    json_array_foreach(rings, i, ring) if (check_ring(ring, field, e)) return -1;
    return 0;
}

int zone_geometry_check(const json_t *g, const char *field, tr_err *e)
{
    const char *type = json_string_value(json_object_get(g, "type"));
    const json_t *coords = json_object_get(g, "coordinates");
    if (!json_is_object(g) || !type || !coords) return bad(e, field, "type or coordinates missing");
    if (strcmp(type, "Polygon") == 0) return check_polygon(coords, field, e);
    if (strcmp(type, "MultiPolygon") == 0) {
        size_t i;
        const json_t *poly;
        if (!json_is_array(coords) || json_array_size(coords) == 0)
            return bad(e, field, "a multipolygon needs at least one polygon");
        json_array_foreach(coords, i, poly) if (check_polygon(poly, field, e)) return -1;
        return 0;
    }
    return bad(e, field, "only Polygon and MultiPolygon are areas");
}

const jsx_field zone_fields[] = {
    {.name = "slug", .type = JSX_SLUG},
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "kind", .type = JSX_SLUG},
    {.name = "geometry", .type = JSX_OBJECT},
    {0},
};

int zone_create(store *s, const journal_actor *who, const char *slug, const char *name,
                const char *kind, const json_t *geometry, tr_err *e)
{
    json_t *body, *geom;
    int rc;
    if (!util_is_slug(slug))
        return err_field(e, "request.invalid_field", "slug",
                         "use lowercase letters, digits and '-', at most 64",
                         "'%s' is not a valid zone slug", slug);
    /* What POST /zones checks by its schema holds for every other way in (an imported
     * file's properties, a scenario). */
    if (!util_is_slug(kind))
        return err_field(e, "request.invalid_field", "kind",
                         "use lowercase letters, digits and '-', e.g. governorate",
                         "'%.64s' is not a valid zone kind", kind);
    size_t name_len = strlen(name);
    if (name_len == 0 || name_len > 256)
        return err_field(e, "request.invalid_field", "name", "name the zone in 1 to 256 bytes",
                         "a zone's name must be 1 to 256 bytes, not %zu", name_len);
    if (zone_geometry_check(geometry, "geometry", e) ||
        zone_geometry_valid(geometry, "geometry", e))
        return -1;
    rc = monitor_store(s)->zone_exists(s, slug, e);
    if (rc < 0) return -1;
    if (rc == 1)
        return err_set(e, 409, "zone.exists", "choose another slug", "zone '%s' already exists",
                       slug);
    /* Only type and coordinates are kept: foreign members (bbox, crs) are dropped. */
    geom = json_pack("{s:O, s:O}", "type", json_object_get(geometry, "type"), "coordinates",
                     json_object_get(geometry, "coordinates"));
    body = json_pack("{s:s, s:s, s:s, s:o}", "slug", slug, "name", name, "kind", kind, "geometry",
                     geom);
    rc = journal_record(s, who, "zone.created", body, "public", NULL, e);
    json_decref(body);
    return rc;
}

int zone_slug_from(const char *name, char *out, size_t cap)
{
    size_t n = 0;
    int dash = 0;
    for (const char *c = name; *c && n + 1 < cap && n < 64; c++) {
        char ch = *c;
        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
            if (dash && n) out[n++] = '-';
            if (n + 1 < cap) out[n++] = ch;
            dash = 0;
        } else {
            dash = 1;
        }
    }
    out[n] = 0;
    while (n && out[n - 1] == '-')
        out[--n] = 0;
    return util_is_slug(out) ? 0 : -1;
}

/* A feature's property as text (jsx_scalar_text), or NULL. */
static const char *prop_text(const json_t *props, const char *name, char *tmp, size_t cap)
{
    return jsx_scalar_text(json_object_get(props, name), tmp, cap);
}

static int feature_error(tr_err *e, size_t i, const json_t *props, const char *what,
                         const char *hint)
{
    buf names = BUF_INIT;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        (void)v;
        if (names.len) buf_puts(&names, ", ");
        buf_puts(&names, key);
    }
    err_set(e, 400, "zone.bad_feature", hint, "features[%zu] %s (its properties: %s)", i, what,
            names.len ? names.p : "none");
    buf_free(&names);
    return -1;
}

int zone_import(store *s, const journal_actor *who, const json_t *collection,
                const zone_import_opts *o, json_t **slugs, tr_err *e)
{
    const json_t *features = json_object_get(collection, "features"), *feat;
    size_t i;
    *slugs = json_array();
    if (!json_is_object(collection) || !json_is_array(features))
        return err_set(e, 400, "zone.bad_file", "give a GeoJSON FeatureCollection",
                       "the file is not a GeoJSON FeatureCollection");
    json_array_foreach(features, i, feat)
    {
        const json_t *props = json_object_get(feat, "properties");
        char tmp[64], wtmp[64], slug[80], field[64];
        const char *name, *kind;
        if (o->where_prop) {
            const char *v = prop_text(props, o->where_prop, wtmp, sizeof wtmp);
            if (!v || strcmp(v, o->where_value) != 0) continue;
        }
        if (!(name = prop_text(props, o->name_prop, tmp, sizeof tmp)) || !*name) {
            char what[160];
            snprintf(what, sizeof what, "has no property '%s' to name it", o->name_prop);
            return feature_error(e, i, props, what,
                                 "choose the property that names the zones "
                                 "with --name");
        }
        if (o->slug_prop) {
            char stmp[64];
            const char *v = prop_text(props, o->slug_prop, stmp, sizeof stmp);
            if (!v) {
                char what[160];
                snprintf(what, sizeof what, "has no property '%s' for its slug", o->slug_prop);
                return feature_error(e, i, props, what, "choose another property with --slug");
            }
            snprintf(slug, sizeof slug, "%s", v);
        } else if (zone_slug_from(name, slug, sizeof slug)) {
            char what[400];
            snprintf(what, sizeof what, "is named '%.200s', which makes no slug", name);
            return feature_error(e, i, props, what,
                                 "give a property with ASCII slugs with "
                                 "--slug");
        }
        for (size_t k = 0; k < json_array_size(*slugs); k++)
            if (strcmp(json_string_value(json_array_get(*slugs, k)), slug) == 0) {
                char what[160];
                snprintf(what, sizeof what, "has the slug '%s' of an earlier feature", slug);
                return feature_error(e, i, props, what,
                                     "give each zone its own name, or "
                                     "choose a property with --slug");
            }
        kind = o->kind ? o->kind : jsx_str(props, "kind", "zone");
        snprintf(field, sizeof field, "features[%zu]", i);
        if (zone_create(s, who, slug, name, kind, json_object_get(feat, "geometry"), e)) {
            char msg[200];
            snprintf(msg, sizeof msg, "%.199s", e->message);
            snprintf(e->message, sizeof e->message, "%.24s (zone '%.64s'): %s", field, slug, msg);
            return -1;
        }
        json_array_append_new(*slugs, json_string(slug));
    }
    if (json_array_size(*slugs) == 0)
        return err_set(e, 400, "zone.none", o->where_prop ? "check --where" : NULL,
                       "no feature of the file makes a zone");
    return 0;
}
