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

typedef struct exporter {
    FILE *out;
    export_format format;
    double grid;
    int64_t count, last;
    int failed;
} exporter;

static void field(FILE *out, const char *s)
{
    csv_fwrite(out, s, strlen(s)); /* always quoted, quotes doubled */
}

static void write_csv_row(exporter *x, const json_t *doc)
{
    for (size_t c = 0; c < N_COLS; c++) {
        const char *name = cols[c].column;
        const json_t *v = json_object_get(doc, name);
        char buf[64];
        if (c) fputc(',', x->out);
        if (strcmp(name, "year") == 0) {
            snprintf(buf, sizeof buf, "%.4s", jsx_str(doc, "event_date", ""));
            field(x->out, buf);
        } else if (strcmp(name, "source") == 0) {
            size_t i;
            const json_t *src;
            char joined[4096] = "";
            json_array_foreach(json_object_get(doc, "sources"), i, src) {
                size_t len = strlen(joined);
                snprintf(joined + len, sizeof joined - len, "%s%s", i ? "; " : "",
                         jsx_str(src, "name", ""));
            }
            field(x->out, joined);
        } else if (strcmp(name, "civilian_targeting") == 0) {
            field(x->out, json_is_true(v) ? "Civilian targeting" : "");
        } else if (json_is_string(v)) {
            field(x->out, json_string_value(v));
        } else if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
            field(x->out, buf);
        } else if (json_is_real(v)) {
            snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
            field(x->out, buf);
        } else {
            field(x->out, "");
        }
    }
    fputc('\n', x->out);
}

static int on_row(void *cls, const void *row)
{
    exporter *x = cls;
    const store_incident_row *r = row;
    json_t *doc = json_loads(r->doc, 0, NULL);
    x->last = r->id;
    if (!doc) return 0;
    incident_coarsen(doc, x->grid);
    if (x->format == EXPORT_GEOJSON) {
        json_t *props = json_deep_copy(doc);
        json_object_set_new(props, "id", json_integer(r->id));
        json_object_set_new(props, "status", json_string(r->status));
        json_t *f = json_pack("{s:s, s:{s:s, s:[f, f]}, s:o}", "type", "Feature", "geometry",
                              "type", "Point", "coordinates", jsx_num(doc, "longitude", 0),
                              jsx_num(doc, "latitude", 0), "properties", props);
        char *text = json_dumps(f, JSON_COMPACT | JSON_REAL_PRECISION(15));
        fprintf(x->out, "%s%s", x->count ? ",\n" : "", text);
        free(text);
        json_decref(f);
    } else {
        write_csv_row(x, doc);
    }
    json_decref(doc);
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

int export_incidents(store *s, const store_incident_filter *f, export_format format,
                     double grid, FILE *out, int64_t *count, tr_err *e)
{
    exporter x = {out, format, grid, 0, 0, 0};
    if (format == EXPORT_GEOJSON) {
        fputs("{\"type\":\"FeatureCollection\",\"features\":[\n", out);
    } else {
        for (size_t c = 0; c < N_COLS; c++) fprintf(out, "%s%s", c ? "," : "", cols[c].column);
        fputc('\n', out);
        if (format == EXPORT_HXL) {
            for (size_t c = 0; c < N_COLS; c++) fprintf(out, "%s%s", c ? "," : "", cols[c].hxl);
            fputc('\n', out);
        }
    }
    for (;;) {
        int64_t before = x.count;
        if (s->ops->incident_list(s, f, x.last, 1000, on_row, &x, e)) return -1;
        if (x.count - before < 1000) break;
    }
    if (format == EXPORT_GEOJSON) fputs("\n]}\n", out);
    *count = x.count;
    return ferror(out) ? err_set(e, 500, "export.write", NULL, "cannot write the export") : 0;
}
