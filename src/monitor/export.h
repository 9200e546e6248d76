/* export.h - incidents out, streamed page by page in constant memory: ACLED-column CSV,
 * HXL-tagged CSV (ACLED's columns with the HXL hashtag row under the header) and GeoJSON.
 *
 * The rows are written without parsing documents: each incident's CSV row is rendered
 * once, when it is projected, and stored (incidents.acled_csv); a GeoJSON feature's
 * properties are the stored document itself, its closing brace replaced by the id and
 * status. Only coarsened exports (grid > 0) and rows stored before schema 9 go through
 * jansson. */
#ifndef TRUCE_MONITOR_EXPORT_H
#define TRUCE_MONITOR_EXPORT_H

#include "core/buf.h"
#include "monitor/store.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* EXPORT_GEOJSON_SUMMARY: points whose properties are only id, status, event_date,
 * event_type and fatalities — for maps, a tenth of the full GeoJSON's bytes. */
typedef enum export_format {
    EXPORT_ACLED,
    EXPORT_HXL,
    EXPORT_GEOJSON,
    EXPORT_GEOJSON_SUMMARY
} export_format;

/* An incident's row of the ACLED CSV export: the 20 columns (event_id_cnty, event_date,
 * year, time_precision, event_type, sub_event_type, actor1, inter1, actor2, inter2,
 * civilian_targeting, admin1, admin2, location, latitude, longitude, geo_precision, source,
 * notes, fatalities) as text, each quoted with quotes doubled, and a newline. From the
 * values as the row shows them (reals to 15 significant digits, integers in decimal,
 * civilian_targeting "Civilian targeting" or empty, year the date's first four
 * characters, source the sources' names joined with "; "), or from a document. The
 * projection stores it; the bulk import renders it from its own values. */
#define EXPORT_COLUMNS 20
void export_acled_row(const char *const v[EXPORT_COLUMNS], buf *out);
void export_acled_row_doc(const json_t *doc, buf *out);
/* The 20 column names, comma-separated, without a newline. */
void export_acled_header(buf *out);

/* The document of an incident stored as its ACLED CSV row (doc ""), rebuilt from the row
 * (len bytes, as export_acled_row wrote it) and its zones (a JSON array of slugs, or NULL),
 * appended to out: the same keys and values as a stored document, in jsx_canonical's form
 * but for the coordinates, which are the row's text (the shortest that reads back as the
 * same double: 31.5039, not 31.503900000000002) unless that is not a JSON number (then
 * lat and lon, as canonical JSON). -1, out unchanged, when the row is not one
 * export_acled_row wrote. export_row_doc: the stored document when there is one, else
 * the row's in tmp (reset first); NULL when neither can be had. */
int export_acled_doc(const char *row, size_t len, double lat, double lon, const char *zones,
                     buf *out);
const char *export_row_doc(const char *doc, const char *csv, size_t len, double lat, double lon,
                           const char *zones, buf *tmp);
/* A listed incident's document (export_row_doc), or NULL for a stored row that does not
 * split into the export's columns (a damaged database): see export_damaged. */
const char *export_incident_doc(const store_incident_row *r, buf *tmp);
/* The error for incident id's damaged stored row: a 500 store.damaged that names it and
 * says that `truce rebuild` writes it again from the journal. Returns -1. */
int export_damaged(int64_t id, tr_err *e);

/* Parses "west,south,east,north" (degrees) into the filter's box; a 400 naming bbox when
 * it is not one. */
int export_parse_bbox(const char *text, store_incident_filter *f, tr_err *e);

/* An export in progress: begin, then pages until *done, then end. The filter is
 * borrowed for the export's lifetime. */
typedef struct exporter {
    const store_incident_filter *filter;
    export_format format;
    double grid;   /* coarsen locations to this grid (degrees); 0 exact */
    int64_t count; /* rows written so far */
    int64_t last;  /* id of the last row written */
    /* A box's incidents, found through the place index and read in id order, a page at
     * a time: 8 bytes per incident in the box. */
    int64_t *ids;
    size_t n_ids, pos;
    int ids_loaded;
    FILE *out;       /* of the current call */
    buf line;        /* scratch for one summary feature, reused */
    int64_t damaged; /* an incident whose stored row is damaged: the export stops */
} exporter;

/* Writes the header (CSV column names and HXL tags, or the FeatureCollection opening). */
void export_begin(exporter *x, const store_incident_filter *f, export_format format, double grid,
                  FILE *out);
/* Writes up to `rows` more incidents; *done is set once there are no more. */
int export_page(exporter *x, store *s, int64_t rows, FILE *out, int *done, tr_err *e);
/* Writes the trailer. */
void export_end(exporter *x, FILE *out);
/* Frees what the export holds (after the end, or when it is abandoned). */
void export_release(exporter *x);

/* All of it: every incident matching f to out, locations coarsened to `grid` degrees (0:
 * exact; see incident_coarsen); sets *count. */
int export_incidents(store *s, const store_incident_filter *f, export_format format, double grid,
                     FILE *out, int64_t *count, tr_err *e);

#endif
