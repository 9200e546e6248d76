/* zones.c - named areas; see zones.h. */
#include "monitor/zones.h"

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
    json_array_foreach(ring, i, pos) {
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
    if (zone_geometry_check(geometry, "geometry", e) ||
        zone_geometry_valid(geometry, "geometry", e))
        return -1;
    rc = s->ops->zone_exists(s, slug, e);
    if (rc < 0) return -1;
    if (rc == 1)
        return err_set(e, 409, "zone.exists", "choose another slug", "zone '%s' already exists",
                       slug);
    /* Only type and coordinates are kept: foreign members (bbox, crs) are dropped. */
    geom = json_pack("{s:O, s:O}", "type", json_object_get(geometry, "type"), "coordinates",
                     json_object_get(geometry, "coordinates"));
    body = json_pack("{s:s, s:s, s:s, s:o}", "slug", slug, "name", name, "kind", kind,
                     "geometry", geom);
    rc = journal_record(s, who, "zone.created", body, "public", NULL, e);
    json_decref(body);
    return rc;
}
