/* zones.h - named areas: governorates, buffer zones, withdrawal lines drawn as areas.
 *
 * A zone is a GeoJSON Polygon or MultiPolygon in WGS84. This module checks the shape of
 * the GeoJSON (rings of at least four positions that close, coordinates in range); the
 * monitoring pillar adds spatial queries with GEOS on top. */
#ifndef TRUCE_MONITOR_ZONES_H
#define TRUCE_MONITOR_ZONES_H

#include "journal/journal.h"
#include "json/jsx.h"
#include "store/store.h"

#include <jansson.h>

/* Checks a GeoJSON geometry object; `field` names it in errors. */
int zone_geometry_check(const json_t *geometry, const char *field, tr_err *e);

/* The body of POST /api/v1/zones: {"slug", "name", "kind", "geometry"}. */
extern const jsx_field zone_fields[];

/* Creates a zone. The geometry is checked for shape, then by GEOS for validity. 409 zone.exists
 * when the slug is taken. */
int zone_create(store *s, const journal_actor *who, const char *slug, const char *name,
                const char *kind, const json_t *geometry, tr_err *e);

/* Zones from a GeoJSON FeatureCollection (a governorates file from OCHA or GADM, say),
 * inside the caller's transaction: each feature a zone named by its property `name_prop`,
 * its slug from `slug_prop` or else made from the name (lowercase ASCII letters and digits,
 * the rest '-'), its kind `kind` (or the feature's property "kind"), only the features
 * whose property `where_prop` is `where_value` when where_prop is set. All or nothing: a
 * feature without the name, a name that makes no slug, two features with one slug, a slug
 * the deployment has, a bad geometry — each a 400 (409 for an existing zone) naming the
 * feature, and the caller rolls back. *slugs: the new zones' slugs (a new array). */
typedef struct zone_import_opts {
    const char *name_prop, *slug_prop, *kind, *where_prop, *where_value;
} zone_import_opts;

int zone_import(store *s, const journal_actor *who, const json_t *collection,
                const zone_import_opts *o, json_t **slugs, tr_err *e);

/* A slug made from a name ("Khan Yunis" -> "khan-yunis") into out; 0, or -1 when the name
 * has no ASCII letter or digit to make one from. */
int zone_slug_from(const char *name, char *out, size_t cap);

#endif
