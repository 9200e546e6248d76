/* export.c - streaming incident exports; see export.h. */
#include "monitor/export.h"

#include "json/jsx.h"
#include "monitor/incidents.h"

#include <csv.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ACLED's names for the exported columns, and the HXL hashtags under them. */
static const struct {
    const char *column, *hxl;
} cols[] = {
    {"event_id_cnty", "#event+id"},         {"event_date", "#date+occurred"},
    {"year", "#date+year"},                 {"time_precision", "#date+precision"},
    {"event_type", "#event+type"},          {"sub_event_type", "#event+type+sub"},
    {"actor1", "#group+name+first"},        {"inter1", "#group+type+first"},
    {"actor2", "#group+name+second"},       {"inter2", "#group+type+second"},
    {"civilian_targeting", "#indicator+civilian"}, {"admin1", "#adm1+name"},
    {"admin2", "#adm2+name"},               {"location", "#loc+name"},
    {"latitude", "#geo+lat"},               {"longitude", "#geo+lon"},
    {"geo_precision", "#geo+precision"},    {"source", "#meta+source"},
    {"notes", "#description"},              {"fatalities", "#affected+killed"},
};
#define N_COLS (sizeof cols / sizeof cols[0])

/* The document paths of the columns, as incident_columns reads them ("year" comes from
 * the date, "source" joins the sources' names). */
static const char *const paths[] = {
    "$.event_id_cnty", "$.event_date",  "$.event_date",     "$.time_precision",
    "$.event_type",    "$.sub_event_type", "$.actor1",      "$.inter1",
    "$.actor2",        "$.inter2",      "$.civilian_targeting", "$.admin1",
    "$.admin2",        "$.location",    "$.latitude",       "$.longitude",
    "$.geo_precision", "$.sources[*].name", "$.notes",      "$.fatalities",
};

/* One field, always quoted, quotes doubled (csv_fwrite's rule). */
static void field(FILE *out, const char *s, size_t len)
{
    csv_fwrite(out, s, len);
}

static void number(FILE *out, double v)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.15g", v);
    field(out, buf, (size_t)n);
}

static int on_cols(void *cls, const void *row)
{
    exporter *x = cls;
    const store_incident_cols *r = row;
    char buf[64];
    int n;
    for (size_t c = 0; c < N_COLS; c++) {
        const store_value *v = &r->v[c];
        if (c) putc(',', x->out);
        if (c == 2) { /* year */
            field(x->out, v->type == STORE_TEXT ? v->text : "", v->type == STORE_TEXT && v->len >= 4 ? 4 : 0);
        } else if (c == 10) { /* civilian_targeting: true, or nothing */
            static const char ct[] = "Civilian targeting";
            field(x->out, ct, v->type == STORE_INT && v->i ? sizeof ct - 1 : 0);
        } else if (x->grid > 0 && (c == 14 || c == 15)) {
            number(x->out, incident_snap(c == 14 ? r->latitude : r->longitude, x->grid));
        } else if (v->type == STORE_TEXT) {
            field(x->out, v->text, v->len);
        } else if (v->type == STORE_INT) {
            n = snprintf(buf, sizeof buf, "%lld", (long long)v->i);
            field(x->out, buf, (size_t)n);
        } else if (v->type == STORE_REAL) {
            number(x->out, v->d);
        } else {
            field(x->out, "", 0);
        }
    }
    putc('\n', x->out);
    x->last = r->id;
    x->count++;
    return 0;
}

/* A coordinate as jansson writes a real: %.15g, with ".0" when that looks like an integer. */
static void coordinate(FILE *out, double v)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.15g", v);
    if (!strpbrk(buf, ".eE")) n += snprintf(buf + n, sizeof buf - (size_t)n, ".0");
    fwrite(buf, 1, (size_t)n, out);
}

static int on_feature(void *cls, const void *row)
{
    exporter *x = cls;
    const store_incident_row *r = row;
    x->last = r->id;
    if (x->count) fputs(",\n", x->out);
    fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[", x->out);
    if (x->grid > 0) {
        json_t *doc = json_loads(r->doc, 0, NULL);
        if (!doc) doc = json_object();
        incident_coarsen(doc, x->grid);
        coordinate(x->out, jsx_num(doc, "longitude", 0));
        putc(',', x->out);
        coordinate(x->out, jsx_num(doc, "latitude", 0));
        fputs("]},\"properties\":", x->out);
        json_object_set_new(doc, "id", json_integer(r->id));
        json_object_set_new(doc, "status", json_string(r->status));
        json_dumpf(doc, x->out, JSON_COMPACT | JSON_REAL_PRECISION(15));
        json_decref(doc);
        putc('}', x->out);
    } else {
        /* The stored document is canonical JSON, an object: its text without the closing
         * brace, then the id and status. */
        size_t len = strlen(r->doc);
        coordinate(x->out, r->longitude);
        putc(',', x->out);
        coordinate(x->out, r->latitude);
        fputs("]},\"properties\":", x->out);
        fwrite(r->doc, 1, len > 1 ? len - 1 : 0, x->out);
        fprintf(x->out, "%s\"id\":%lld,\"status\":\"%s\"}}", len > 2 ? "," : "",
                (long long)r->id, r->status);
    }
    x->count++;
    return 0;
}

int export_parse_bbox(const char *text, store_incident_filter *f, tr_err *e)
{
    char tail;
    double w, s, east, n;
    if (sscanf(text, "%lf,%lf,%lf,%lf%c", &w, &s, &east, &n, &tail) != 4 || w < -180 ||
        east > 180 || s < -90 || n > 90 || w > east || s > n)
        return err_field(e, "request.invalid_param", "bbox",
                         "give west,south,east,north in degrees, e.g. 34.2,31.2,34.6,31.6",
                         "'%s' is not a bounding box", text);
    f->west = w, f->south = s, f->east = east, f->north = n;
    f->has_bbox = 1;
    return 0;
}

void export_begin(exporter *x, const store_incident_filter *f, export_format format,
                  double grid, FILE *out)
{
    memset(x, 0, sizeof *x);
    x->filter = f;
    x->format = format;
    x->grid = grid;
    if (format == EXPORT_GEOJSON) {
        fputs("{\"type\":\"FeatureCollection\",\"features\":[\n", out);
        return;
    }
    for (size_t c = 0; c < N_COLS; c++) fprintf(out, "%s%s", c ? "," : "", cols[c].column);
    fputc('\n', out);
    if (format == EXPORT_HXL) {
        for (size_t c = 0; c < N_COLS; c++) fprintf(out, "%s%s", c ? "," : "", cols[c].hxl);
        fputc('\n', out);
    }
}

int export_page(exporter *x, store *s, int64_t rows, FILE *out, int *done, tr_err *e)
{
    int64_t before = x->count;
    int rc;
    x->out = out;
    if (x->format == EXPORT_GEOJSON)
        rc = s->ops->incident_list(s, x->filter, x->last, rows, on_feature, x, e);
    else
        rc = s->ops->incident_columns(s, x->filter, x->last, rows, paths, N_COLS, on_cols, x, e);
    *done = x->count - before < rows;
    return rc;
}

void export_end(exporter *x, FILE *out)
{
    if (x->format == EXPORT_GEOJSON) fputs("\n]}\n", out);
}

int export_incidents(store *s, const store_incident_filter *f, export_format format,
                     double grid, FILE *out, int64_t *count, tr_err *e)
{
    exporter x;
    int done = 0;
    export_begin(&x, f, format, grid, out);
    while (!done)
        if (export_page(&x, s, 5000, out, &done, e)) return -1;
    export_end(&x, out);
    *count = x.count;
    return ferror(out) ? err_set(e, 500, "export.write", NULL, "cannot write the export") : 0;
}
