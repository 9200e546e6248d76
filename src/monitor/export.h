/* export.h - incidents out, streamed page by page in constant memory: ACLED-column CSV,
 * HXL-tagged CSV (ACLED's columns with the HXL hashtag row under the header) and GeoJSON. */
#ifndef TRUCE_MONITOR_EXPORT_H
#define TRUCE_MONITOR_EXPORT_H

#include "store/store.h"

#include <stdint.h>
#include <stdio.h>

typedef enum export_format { EXPORT_ACLED, EXPORT_HXL, EXPORT_GEOJSON } export_format;

/* Parses "west,south,east,north" (degrees) into the filter's box; a 400 naming bbox when
 * it is not one. */
int export_parse_bbox(const char *text, store_incident_filter *f, tr_err *e);

/* Writes every incident matching f to out, locations coarsened to `grid` degrees (0:
 * exact; see incident_coarsen); sets *count. */
int export_incidents(store *s, const store_incident_filter *f, export_format format,
                     double grid, FILE *out, int64_t *count, tr_err *e);

#endif
