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

/* Creates a zone. The geometry is checked for shape, then by GEOS for validity. 409 zone.exists when the slug is taken. */
int zone_create(store *s, const journal_actor *who, const char *slug, const char *name,
                const char *kind, const json_t *geometry, tr_err *e);

#endif
