/* export.h - incidents out, streamed page by page in constant memory: ACLED-column CSV,
 * HXL-tagged CSV (ACLED's columns with the HXL hashtag row under the header) and GeoJSON.
 *
 * The rows are written without parsing documents here: CSV columns are read out of each
 * document by the database (store incident_columns), and a GeoJSON feature's properties
 * are the stored document itself, its closing brace replaced by the id and status. Only a
 * coarsened GeoJSON export (grid > 0) goes through jansson, to rewrite the coordinates in
 * the properties. */
#ifndef TRUCE_MONITOR_EXPORT_H
#define TRUCE_MONITOR_EXPORT_H

#include "store/store.h"

#include <stdint.h>
#include <stdio.h>

typedef enum export_format { EXPORT_ACLED, EXPORT_HXL, EXPORT_GEOJSON } export_format;

/* Parses "west,south,east,north" (degrees) into the filter's box; a 400 naming bbox when
 * it is not one. */
int export_parse_bbox(const char *text, store_incident_filter *f, tr_err *e);

/* An export in progress: begin, then pages until *done, then end. The filter is
 * borrowed for the export's lifetime. */
typedef struct exporter {
    const store_incident_filter *filter;
    export_format format;
    double grid;       /* coarsen locations to this grid (degrees); 0 exact */
    int64_t count;     /* rows written so far */
    int64_t last;      /* id of the last row written */
    FILE *out;         /* of the current call */
} exporter;

/* Writes the header (CSV column names and HXL tags, or the FeatureCollection opening). */
void export_begin(exporter *x, const store_incident_filter *f, export_format format,
                  double grid, FILE *out);
/* Writes up to `rows` more incidents; *done is set once there are no more. */
int export_page(exporter *x, store *s, int64_t rows, FILE *out, int *done, tr_err *e);
/* Writes the trailer. */
void export_end(exporter *x, FILE *out);

/* All of it: every incident matching f to out, locations coarsened to `grid` degrees (0:
 * exact; see incident_coarsen); sets *count. */
int export_incidents(store *s, const store_incident_filter *f, export_format format,
                     double grid, FILE *out, int64_t *count, tr_err *e);

#endif
