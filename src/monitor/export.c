/* export.c - streaming incident exports; see export.h. */
#include "monitor/export.h"

#include "core/util.h"
#include "json/jsx.h"
#include "monitor/incidents.h"

#include <jansson.h>
#include <math.h>
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
_Static_assert(N_COLS == EXPORT_COLUMNS, "EXPORT_COLUMNS is the number of columns");

/* ---- an incident's ACLED CSV row ------------------------------------------------------ */

void export_acled_row(const char *const v[EXPORT_COLUMNS], buf *out)
{
    for (size_t c = 0; c < EXPORT_COLUMNS; c++) {
        const char *s = v[c] ? v[c] : "", *q;
        if (c) buf_append(out, ",", 1);
        buf_append(out, "\"", 1); /* always quoted, quotes doubled */
        while ((q = strchr(s, '"'))) {
            buf_append(out, s, (size_t)(q - s) + 1);
            buf_append(out, "\"", 1);
            s = q + 1;
        }
        buf_puts(out, s);
        buf_append(out, "\"", 1);
    }
    buf_append(out, "\n", 1);
}

/* A value as the row shows it: strings as they are, integers in decimal, reals to 15
 * significant digits, anything else empty. */
static const char *text_of(const json_t *v, char *tmp, size_t cap)
{
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) snprintf(tmp, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v)) snprintf(tmp, cap, "%.15g", json_real_value(v));
    else return "";
    return tmp;
}

void export_acled_row_doc(const json_t *doc, buf *out)
{
    const char *v[EXPORT_COLUMNS];
    char nums[EXPORT_COLUMNS][40], year[5];
    buf sources = BUF_INIT;
    size_t i;
    const json_t *src;
    json_array_foreach(json_object_get(doc, "sources"), i, src) {
        if (i) buf_append(&sources, "; ", 2);
        buf_puts(&sources, jsx_str(src, "name", ""));
    }
    for (size_t c = 0; c < EXPORT_COLUMNS; c++) {
        const char *name = cols[c].column;
        if (strcmp(name, "year") == 0) {
            snprintf(year, sizeof year, "%.4s", jsx_str(doc, "event_date", ""));
            v[c] = year;
        } else if (strcmp(name, "source") == 0) {
            v[c] = sources.p ? sources.p : "";
        } else if (strcmp(name, "civilian_targeting") == 0) {
            v[c] = json_is_true(json_object_get(doc, name)) ? "Civilian targeting" : "";
        } else {
            v[c] = text_of(json_object_get(doc, name), nums[c], sizeof nums[c]);
        }
    }
    export_acled_row(v, out);
    buf_free(&sources);
}

/* A row from the stored text, or rendered from the document when there is none (rows
 * projected before schema 9) or when the location must be coarsened. */
static int on_line(void *cls, const void *row)
{
    exporter *x = cls;
    const store_incident_line *r = row;
    x->last = r->id;
    if (r->csv && !(x->grid > 0)) {
        fwrite(r->csv, 1, r->len, x->out);
    } else {
        json_t *doc = json_loads(r->doc, 0, NULL);
        buf line = BUF_INIT;
        if (!doc) doc = json_object();
        incident_coarsen(doc, x->grid);
        export_acled_row_doc(doc, &line);
        fwrite(line.p, 1, line.len, x->out);
        buf_free(&line);
        json_decref(doc);
    }
    x->count++;
    return 0;
}

/* A coordinate rounded to a millionth of a degree (about 0.1 m), without printf: "%.15g"
 * took as long as the rest of a summary feature. */
static void coordinate6(FILE *out, double v)
{
    char t[32], *p = t + sizeof t;
    long long m = llround(v * 1e6);
    int neg = m < 0, frac_digits = 6;
    unsigned long long u = (unsigned long long)(neg ? -m : m);
    unsigned long long ip = u / 1000000, fp = u % 1000000;
    while (fp && fp % 10 == 0) fp /= 10, frac_digits--;
    if (!fp) {
        *--p = '0';
        *--p = '.';
    } else {
        for (int k = 0; k < frac_digits; k++, fp /= 10) *--p = (char)('0' + fp % 10);
        *--p = '.';
    }
    do *--p = (char)('0' + ip % 10); while (ip /= 10);
    if (neg) *--p = '-';
    fwrite(p, 1, (size_t)(t + sizeof t - p), out);
}

/* Where the number a canonical document holds under `key` ("\"latitude\":") is, as text:
 * formatting a double takes longer than the rest of a feature. In canonical JSON the
 * pattern cannot occur inside a string (its quotes would be escaped). The search starts at
 * `from` (keys are sorted, so a later key lies after an earlier one) and falls back to the
 * whole document. *n = 0 when the document does not hold a number there. */
static const char *number_at(const char *doc, size_t len, size_t from, const char *key,
                             size_t *n)
{
    size_t klen = strlen(key);
    const char *at = memmem(doc + from, len - from, key, klen);
    if (!at && from) at = memmem(doc, len, key, klen);
    *n = 0;
    if (!at) return NULL;
    const char *num = at + klen, *end = num;
    while (*end == '-' || *end == '+' || *end == '.' || *end == 'e' || *end == 'E' ||
           (*end >= '0' && *end <= '9'))
        end++;
    if (end > num && (*end == ',' || *end == '}')) *n = (size_t)(end - num);
    return num;
}

/* The coordinate as the document writes it, else `v` to a millionth of a degree. */
static void coordinate_text(FILE *out, const char *num, size_t n, double v)
{
    if (n)
        fwrite(num, 1, n, out);
    else
        coordinate6(out, v);
}

static int on_summary(void *cls, const void *row)
{
    exporter *x = cls;
    const store_incident_row *r = row;
    buf b = BUF_INIT;
    x->last = r->id;
    if (x->count) fputs(",\n", x->out);
    fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[", x->out);
    double lon = x->grid > 0 ? incident_snap(r->longitude, x->grid) : r->longitude;
    double lat = x->grid > 0 ? incident_snap(r->latitude, x->grid) : r->latitude;
    coordinate6(x->out, lon);
    putc(',', x->out);
    coordinate6(x->out, lat);
    buf_printf(&b, "]},\"properties\":{\"event_date\":");
    jsx_put_string(&b, r->event_date ? r->event_date : "");
    buf_puts(&b, ",\"event_type\":");
    jsx_put_string(&b, r->event_type ? r->event_type : "");
    buf_printf(&b, ",\"fatalities\":%lld,\"id\":%lld,\"status\":", (long long)r->fatalities,
               (long long)r->id);
    jsx_put_string(&b, r->status);
    buf_puts(&b, "}}");
    fwrite(b.p, 1, b.len, x->out);
    buf_free(&b);
    x->count++;
    return 0;
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
        incident_coarsen(doc, x->grid); /* cell centres, to a millionth of a degree */
        coordinate6(x->out, jsx_num(doc, "longitude", 0));
        putc(',', x->out);
        coordinate6(x->out, jsx_num(doc, "latitude", 0));
        fputs("]},\"properties\":", x->out);
        json_object_set_new(doc, "id", json_integer(r->id));
        json_object_set_new(doc, "status", json_string(r->status));
        json_dumpf(doc, x->out, JSON_COMPACT | JSON_REAL_PRECISION(15));
        json_decref(doc);
        putc('}', x->out);
    } else {
        /* The stored document is canonical JSON, an object: its text without the closing
         * brace, then the id and status. */
        size_t len = strlen(r->doc), nlat, nlon;
        const char *lat = number_at(r->doc, len, 0, "\"latitude\":", &nlat);
        const char *lon = number_at(r->doc, len, lat ? (size_t)(lat - r->doc) : 0,
                                    "\"longitude\":", &nlon);
        coordinate_text(x->out, lon, nlon, r->longitude);
        putc(',', x->out);
        coordinate_text(x->out, lat, nlat, r->latitude);
        fputs("]},\"properties\":", x->out);
        fwrite(r->doc, 1, len > 1 ? len - 1 : 0, x->out);
        char tail[96];
        size_t n = 0;
        if (len > 2) tail[n++] = ',';
        memcpy(tail + n, "\"id\":", 5), n += 5;
        n += util_i64(tail + n, r->id);
        fwrite(tail, 1, n, x->out);
        fputs(",\"status\":\"", x->out); /* statuses are plain words */
        fputs(r->status, x->out);
        fputs("\"}}", x->out);
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
    if (format == EXPORT_GEOJSON || format == EXPORT_GEOJSON_SUMMARY) {
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
    store_incident_filter f = *x->filter;
    f.summary = x->format == EXPORT_GEOJSON_SUMMARY;
    x->out = out;
    if (f.has_bbox) { /* the box's ids once, then a page of them at a time */
        if (!x->ids_loaded) {
            if (s->ops->incident_ids_in_box(s, &f, 0, &x->ids, &x->n_ids, e)) return -1;
            x->ids_loaded = 1;
        }
        f.ids = x->ids + x->pos;
        f.n_ids = x->n_ids - x->pos < (size_t)rows ? x->n_ids - x->pos : (size_t)rows;
        x->pos += f.n_ids;
    }
    if (x->format == EXPORT_GEOJSON || x->format == EXPORT_GEOJSON_SUMMARY)
        rc = s->ops->incident_list(s, &f, x->last, rows,
                                   x->format == EXPORT_GEOJSON ? on_feature : on_summary, x, e);
    else
        rc = s->ops->incident_lines(s, &f, x->last, rows, on_line, x, e);
    *done = f.has_bbox ? x->pos == x->n_ids : x->count - before < rows;
    return rc;
}

void export_end(exporter *x, FILE *out)
{
    if (x->format == EXPORT_GEOJSON || x->format == EXPORT_GEOJSON_SUMMARY)
        fputs("\n]}\n", out);
}

void export_release(exporter *x)
{
    free(x->ids);
    x->ids = NULL;
    x->n_ids = x->pos = 0;
}

int export_incidents(store *s, const store_incident_filter *f, export_format format,
                     double grid, FILE *out, int64_t *count, tr_err *e)
{
    exporter x;
    int done = 0;
    export_begin(&x, f, format, grid, out);
    while (!done)
        if (export_page(&x, s, 5000, out, &done, e)) {
            export_release(&x);
            return -1;
        }
    export_end(&x, out);
    export_release(&x);
    *count = x.count;
    return ferror(out) ? err_set(e, 500, "export.write", NULL, "cannot write the export") : 0;
}
