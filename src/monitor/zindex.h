/* zindex.h - which zones contain a point, answered by GEOS prepared geometries.
 *
 * The index is loaded from the store once (all zones, parsed by GEOS's own GeoJSON
 * reader and prepared) and then answers point queries: a bounding-box check first, then
 * GEOSPreparedCovers, so that a point on a border shared by two governorates belongs to
 * both rather than to neither. An index owns its GEOS context and is not shared between
 * threads; load one per thread, or guard it. */
#ifndef TRUCE_MONITOR_ZINDEX_H
#define TRUCE_MONITOR_ZINDEX_H

#include "core/err.h"
#include "store/store.h"

#include <jansson.h>
#include <stddef.h>

typedef struct zone_index zone_index;

/* Loads every zone of the store. A deployment with no zones gets an empty index. */
int zone_index_load(store *s, zone_index **out, tr_err *e);

size_t zone_index_count(const zone_index *zi);

/* The index of the store's zones, kept on the store connection and reloaded when the zones
 * change (one cheap query to check). Borrowed: do not free it; like the connection, use it
 * from one thread at a time. NULL with e set on failure.
 * On a connection with cache_ttl_ns set, the check is skipped for that long after the
 * last one unless zone_index_forget() was called since: a server's readers, where the
 * check's page reads after every write cost a twentieth of a report's time. A server calls
 * zone_index_forget() once its own zone changes commit, before replying. */
zone_index *zone_index_cached(store *s, tr_err *e);
void zone_index_forget(void);

/* Asks GEOS whether an area (already through zone_geometry_check) is a valid polygon:
 * rings that do not cross themselves or each other, holes inside their shell. A 400
 * naming `field` and GEOS's reason and place when it is not. */
int zone_geometry_valid(const json_t *geometry, const char *field, tr_err *e);

/* Writes into `slugs` (up to `max`) the slugs of the zones covering (lon, lat), in slug
 * order, and returns how many zones cover it (which may exceed `max`). The strings live
 * as long as the index. */
size_t zone_index_find(zone_index *zi, double lon, double lat, const char **slugs, size_t max);

/* The name (and kind) of a zone of the index, by slug; NULL when there is none. */
const char *zone_index_name(const zone_index *zi, const char *slug, const char **kind);

void zone_index_free(zone_index *zi);

#endif
