/* export.c - streaming incident exports; see export.h. */
#include "monitor/export.h"
#include "monitor/store.h"

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
    {"event_id_cnty", "#event+id"},
    {"event_date", "#date+occurred"},
    {"year", "#date+year"},
    {"time_precision", "#date+precision"},
    {"event_type", "#event+type"},
    {"sub_event_type", "#event+type+sub"},
    {"actor1", "#group+name+first"},
    {"inter1", "#group+type+first"},
    {"actor2", "#group+name+second"},
    {"inter2", "#group+type+second"},
    {"civilian_targeting", "#indicator+civilian"},
    {"admin1", "#adm1+name"},
    {"admin2", "#adm2+name"},
    {"location", "#loc+name"},
    {"latitude", "#geo+lat"},
    {"longitude", "#geo+lon"},
    {"geo_precision", "#geo+precision"},
    {"source", "#meta+source"},
    {"notes", "#description"},
    {"fatalities", "#affected+killed"},
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

void export_acled_header(buf *out)
{
    for (size_t c = 0; c < N_COLS; c++) {
        if (c) buf_append(out, ",", 1);
        buf_puts(out, cols[c].column);
    }
}

void export_acled_row_doc(const json_t *doc, buf *out)
{
    const char *v[EXPORT_COLUMNS];
    char nums[EXPORT_COLUMNS][40], year[5];
    buf sources = BUF_INIT;
    size_t i;
    const json_t *src;
    json_array_foreach(json_object_get(doc, "sources"), i, src)
    {
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
            v[c] = jsx_scalar_text(json_object_get(doc, name), nums[c], sizeof nums[c]);
            if (!v[c]) v[c] = ""; /* anything else: an empty cell */
        }
    }
    export_acled_row(v, out);
    buf_free(&sources);
}

/* ---- an imported incident's document, from its row ----------------------------------- */

/* A string literal, without strlen. */
#define PUT_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

/* A field's n bytes at f with its doubled quotes single, into out (reset first). */
static void undouble(buf *out, const char *f, size_t n)
{
    buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        buf_append(out, f + i, 1);
        if (f[i] == '"') i++; /* "" -> " */
    }
}

/* A field of a row as a JSON string: its n bytes at f, flagged as split_row flags them. */
static void put_field(buf *b, const char *f, size_t n, int dq, buf *tmp)
{
    if (!dq) { /* nothing to escape: as it is */
        buf_reserve(b, n + 2);
        b->p[b->len++] = '"';
        memcpy(b->p + b->len, f, n);
        b->len += n;
        b->p[b->len++] = '"';
        b->p[b->len] = 0;
        return;
    }
    if (!(dq & 1)) return jsx_put_stringn(b, f, n);
    undouble(tmp, f, n);
    jsx_put_stringn(b, tmp->p ? tmp->p : "", tmp->len);
}

/* A field as a JSON real when its text is a number ([-](0|[1-9]d*)[.d+][(e|E)[+|-]d+];
 * ".0" added to a whole one), else -1: the import writes each coordinate's shortest text
 * that reads back as the same double. */
static int put_number_field(buf *b, const char *f, size_t n)
{
    size_t i = 0, d;
    if (i < n && f[i] == '-') i++;
    if (i < n && f[i] == '0') {
        i++;
    } else {
        for (d = i; i < n && f[i] >= '0' && f[i] <= '9'; i++) {
        }
        if (i == d || f[d] == '0') return -1;
    }
    if (i < n && f[i] == '.') {
        for (d = ++i; i < n && f[i] >= '0' && f[i] <= '9'; i++) {
        }
        if (i == d) return -1;
    }
    if (i < n && (f[i] == 'e' || f[i] == 'E')) {
        i++;
        if (i < n && (f[i] == '+' || f[i] == '-')) i++;
        for (d = i; i < n && f[i] >= '0' && f[i] <= '9'; i++) {
        }
        if (i == d) return -1;
    }
    if (i != n || n == 0) return -1;
    buf_append(b, f, n);
    if (!memchr(f, '.', n) && !memchr(f, 'e', n) && !memchr(f, 'E', n))
        buf_append(b, ".0", 2); /* 31 is 31.0: a real, as in a stored document */
    return 0;
}

/* An integer field as a JSON number: digits, perhaps after a minus. */
static int put_int_field(buf *b, const char *f, size_t n)
{
    size_t i = n && f[0] == '-';
    if (i == n || n > 20) return -1;
    for (size_t k = i; k < n; k++)
        if (f[k] < '0' || f[k] > '9') return -1;
    buf_append(b, f, n);
    return 0;
}

/* The next byte at or after i that is '"', '\\' or a control character, or len. */
static size_t next_special(const char *row, size_t i, size_t len)
{
    return i + jsx_plain(row + i, len - i);
}

/* The fields of a row export_acled_row wrote ("a","b""c",...: always quoted), in one pass:
 * f[c] past the opening quote, n[c] bytes, fl[c] 1 when quotes are doubled in it, 2 when
 * it holds a byte JSON escapes. -1 if the row is not one. */
static int split_row(const char *row, size_t len, const char *f[EXPORT_COLUMNS],
                     size_t n[EXPORT_COLUMNS], unsigned char fl[EXPORT_COLUMNS])
{
    size_t i = 0;
    for (int c = 0; c < EXPORT_COLUMNS; c++) {
        if (i >= len || row[i] != '"') return -1;
        size_t start = ++i;
        unsigned char flag = 0;
        for (;;) {
            i = next_special(row, i, len);
            if (i >= len) return -1;
            if (row[i] != '"') {
                flag |= 2, i++;
            } else if (i + 1 < len && row[i + 1] == '"') {
                flag |= 1, i += 2;
            } else {
                break;
            }
        }
        f[c] = row + start, n[c] = i - start, fl[c] = flag;
        i++; /* the closing quote */
        if (c < EXPORT_COLUMNS - 1 && (i >= len || row[i++] != ',')) return -1;
    }
    if (i < len && row[i] == '\n') i++;
    return i == len ? 0 : -1;
}

int export_acled_doc(const char *row, size_t len, double lat, double lon, const char *zones,
                     buf *out)
{
    const char *f[EXPORT_COLUMNS];
    size_t n[EXPORT_COLUMNS];
    unsigned char dq[EXPORT_COLUMNS];
    if (split_row(row, len, f, n, dq)) return -1;

    buf tmp = BUF_INIT;
    size_t start = out->len;
    /* The keys in byte order, as the importer wrote the document before (acled.c). */
    PUT_LIT(out, "{\"actor1\":"), put_field(out, f[6], n[6], dq[6], &tmp);
    PUT_LIT(out, ",\"actor2\":"), put_field(out, f[8], n[8], dq[8], &tmp);
    PUT_LIT(out, ",\"admin1\":"), put_field(out, f[11], n[11], dq[11], &tmp);
    PUT_LIT(out, ",\"admin2\":"), put_field(out, f[12], n[12], dq[12], &tmp);
    buf_puts(out, n[10] ? ",\"civilian_targeting\":true" : ",\"civilian_targeting\":false");
    PUT_LIT(out, ",\"event_date\":"), put_field(out, f[1], n[1], dq[1], &tmp);
    PUT_LIT(out, ",\"event_id_cnty\":"), put_field(out, f[0], n[0], dq[0], &tmp);
    PUT_LIT(out, ",\"event_type\":"), put_field(out, f[4], n[4], dq[4], &tmp);
    PUT_LIT(out, ",\"fatalities\":");
    int bad = put_int_field(out, f[19], n[19]);
    PUT_LIT(out, ",\"geo_precision\":");
    bad |= put_int_field(out, f[16], n[16]);
    PUT_LIT(out, ",\"inter1\":"), put_field(out, f[7], n[7], dq[7], &tmp);
    PUT_LIT(out, ",\"inter2\":"), put_field(out, f[9], n[9], dq[9], &tmp);
    PUT_LIT(out, ",\"latitude\":");
    if (put_number_field(out, f[14], n[14])) jsx_put_real(out, lat);
    PUT_LIT(out, ",\"location\":"), put_field(out, f[13], n[13], dq[13], &tmp);
    PUT_LIT(out, ",\"longitude\":");
    if (put_number_field(out, f[15], n[15])) jsx_put_real(out, lon);
    PUT_LIT(out, ",\"notes\":"), put_field(out, f[18], n[18], dq[18], &tmp);
    PUT_LIT(out, ",\"sources\":[");
    { /* "A; B" -> [{"name":"A"},{"name":"B"}], as the importer splits them */
        buf names = BUF_INIT;
        const char *src = f[17], *stop = f[17] + n[17];
        int first = 1;
        if (dq[17] & 1) {
            undouble(&names, f[17], n[17]);
            src = names.p, stop = names.p + names.len;
        }
        while (src && src < stop) {
            const char *semi = memchr(src, ';', (size_t)(stop - src)), *tok = src;
            size_t k = (size_t)((semi ? semi : stop) - src);
            while (k && *tok == ' ')
                tok++, k--;
            if (k) {
                buf_puts(out, first ? "{\"name\":" : ",{\"name\":");
                jsx_put_stringn(out, tok, k);
                buf_append(out, "}", 1);
                first = 0;
            }
            src = semi ? semi + 1 : stop;
        }
        buf_free(&names);
    }
    PUT_LIT(out, "],\"sub_event_type\":"), put_field(out, f[5], n[5], dq[5], &tmp);
    PUT_LIT(out, ",\"time_precision\":");
    bad |= put_int_field(out, f[3], n[3]);
    PUT_LIT(out, ",\"zones\":");
    buf_puts(out, zones && *zones ? zones : "[]");
    buf_append(out, "}", 1);
    buf_free(&tmp);
    if (bad) out->len = start;
    return bad ? -1 : 0;
}

const char *export_row_doc(const char *doc, const char *csv, size_t len, double lat, double lon,
                           const char *zones, buf *tmp)
{
    if (doc && *doc) return doc;
    if (!csv) return NULL;
    buf_reset(tmp);
    if (export_acled_doc(csv, len, lat, lon, zones, tmp)) return NULL;
    return tmp->p;
}

const char *export_incident_doc(const store_incident_row *r, buf *tmp)
{
    return export_row_doc(r->doc, r->csv, r->csv_len, r->latitude, r->longitude, r->zones, tmp);
}

int export_damaged(int64_t id, tr_err *e)
{
    return err_set(e, 500, "store.damaged",
                   "`truce rebuild` writes every table again from the journal",
                   "the stored row of incident %lld is damaged", (long long)id);
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
        buf line = BUF_INIT;
        const char *text =
            export_row_doc(r->doc, r->csv, r->len, r->latitude, r->longitude, r->zones, &line);
        if (!text) {
            buf_free(&line);
            x->damaged = r->id;
            return 1;
        }
        json_t *doc = json_loads(text, 0, NULL);
        buf_reset(&line);
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

/* m / 10^places as a decimal into t, trailing zeros dropped but one place kept ("34.0");
 * returns its length. */
static size_t decimal_text(char *t, long long m, int places)
{
    char d[32], *p = d + sizeof d;
    int neg = m < 0;
    unsigned long long u = (unsigned long long)(neg ? -m : m), scale = 1;
    for (int k = 0; k < places; k++)
        scale *= 10;
    unsigned long long ip = u / scale, fp = u % scale;
    while (fp && fp % 10 == 0)
        fp /= 10, places--;
    if (!fp) {
        *--p = '0';
    } else {
        for (int k = 0; k < places; k++, fp /= 10)
            *--p = (char)('0' + fp % 10);
    }
    *--p = '.';
    do
        *--p = (char)('0' + ip % 10);
    while (ip /= 10);
    if (neg) *--p = '-';
    memcpy(t, p, (size_t)(d + sizeof d - p));
    return (size_t)(d + sizeof d - p);
}

/* A coordinate rounded to a millionth of a degree (about 0.1 m), without printf: "%.15g"
 * took as long as the rest of a summary feature. */
static void coordinate6(FILE *out, double v)
{
    char t[32];
    fwrite(t, 1, decimal_text(t, llround(v * 1e6), 6), out);
}

/* v as the shortest decimal of one to seven places that reads back as exactly v (ACLED
 * writes four, a phone six), or 0 when there is none. Exact: k and 10^places are exact
 * doubles, so k / 10^places is the double nearest the decimal, which a reader's strtod
 * also finds. printf's "%.17g" cost more than the rest of a feature, and searching the
 * document for the number's text a tenth of the export. */
static size_t coordinate_exact(char *t, double v)
{
    static const double p10[] = {1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7};
    if (!(v >= -1000 && v <= 1000)) return 0;
    for (int k = 0; k < 7; k++) {
        double m = nearbyint(v * p10[k]);
        if (m / p10[k] == v) return decimal_text(t, (long long)m, k + 1);
    }
    return 0;
}

/* The number a canonical document holds under `key` ("\"latitude\":"), as text, for a
 * coordinate with more places: in canonical JSON the pattern cannot occur inside a string
 * (its quotes would be escaped). Else v to a millionth of a degree. */
static size_t coordinate_text(char *t, double v, const char *doc, size_t len, const char *key)
{
    size_t n = coordinate_exact(t, v), klen = strlen(key);
    if (n) return n;
    const char *at = memmem(doc, len, key, klen);
    if (at) {
        const char *num = at + klen, *end = num;
        while (*end == '-' || *end == '+' || *end == '.' || *end == 'e' || *end == 'E' ||
               (*end >= '0' && *end <= '9'))
            end++;
        if (end > num && end - num < 32 && (*end == ',' || *end == '}')) {
            memcpy(t, num, (size_t)(end - num));
            return (size_t)(end - num);
        }
    }
    return decimal_text(t, llround(v * 1e6), 6);
}

static int on_summary(void *cls, const void *row)
{
    exporter *x = cls;
    const store_incident_row *r = row;
    buf *b = &x->line;
    char t[32];
    x->last = r->id;
    buf_reset(b);
    if (x->count) buf_append(b, ",\n", 2);
    buf_puts(b, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
    double lon = x->grid > 0 ? incident_snap(r->longitude, x->grid) : r->longitude;
    double lat = x->grid > 0 ? incident_snap(r->latitude, x->grid) : r->latitude;
    buf_append(b, t, decimal_text(t, llround(lon * 1e6), 6));
    buf_append(b, ",", 1);
    buf_append(b, t, decimal_text(t, llround(lat * 1e6), 6));
    buf_puts(b, "]},\"properties\":{\"event_date\":");
    jsx_put_string(b, r->event_date ? r->event_date : "");
    buf_puts(b, ",\"event_type\":");
    jsx_put_string(b, r->event_type ? r->event_type : "");
    buf_puts(b, ",\"fatalities\":");
    buf_append(b, t, util_i64(t, r->fatalities));
    buf_puts(b, ",\"id\":");
    buf_append(b, t, util_i64(t, r->id));
    buf_puts(b, ",\"status\":");
    jsx_put_string(b, r->status);
    buf_puts(b, "}}");
    fwrite(b->p, 1, b->len, x->out); /* one write a feature */
    x->count++;
    return 0;
}

static int on_feature(void *cls, const void *row)
{
    exporter *x = cls;
    const store_incident_row *r = row;
    const char *doc = export_incident_doc(r, &x->line);
    if (!doc) {
        x->damaged = r->id;
        return 1;
    }
    x->last = r->id;
    if (x->grid > 0) {
        if (x->count) fputs(",\n", x->out);
        fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[", x->out);
        json_t *d = json_loads(doc, 0, NULL);
        if (!d) d = json_object();
        incident_coarsen(d, x->grid); /* cell centres, to a millionth of a degree */
        coordinate6(x->out, jsx_num(d, "longitude", 0));
        putc(',', x->out);
        coordinate6(x->out, jsx_num(d, "latitude", 0));
        fputs("]},\"properties\":", x->out);
        json_object_set_new(d, "id", json_integer(r->id));
        json_object_set_new(d, "status", json_string(r->status));
        json_dumpf(d, x->out, JSON_COMPACT | JSON_REAL_PRECISION(15));
        json_decref(d);
        putc('}', x->out);
    } else {
        /* The stored document is canonical JSON, an object: its text without the closing
         * brace, then the id and status. Three writes a feature. */
        static const char head[] = "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
                                   "\"coordinates\":[";
        static const char props[] = "]},\"properties\":";
        char t[256];
        size_t len = doc == x->line.p ? x->line.len : strlen(doc), n = 0;
        if (x->count) t[n++] = ',', t[n++] = '\n';
        memcpy(t + n, head, sizeof head - 1), n += sizeof head - 1;
        n += coordinate_text(t + n, r->longitude, doc, len, "\"longitude\":");
        t[n++] = ',';
        n += coordinate_text(t + n, r->latitude, doc, len, "\"latitude\":");
        memcpy(t + n, props, sizeof props - 1), n += sizeof props - 1;
        fwrite(t, 1, n, x->out);
        fwrite(doc, 1, len > 1 ? len - 1 : 0, x->out);
        n = 0;
        if (len > 2) t[n++] = ',';
        memcpy(t + n, "\"id\":", 5), n += 5;
        n += util_i64(t + n, r->id);
        memcpy(t + n, ",\"status\":\"", 11), n += 11;
        size_t sl = strlen(r->status); /* statuses are plain words */
        if (sl > 64) sl = 64;
        memcpy(t + n, r->status, sl), n += sl;
        memcpy(t + n, "\"}}", 3), n += 3;
        fwrite(t, 1, n, x->out);
    }
    x->count++;
    return 0;
}

int export_parse_bbox(const char *text, store_incident_filter *f, tr_err *e)
{
    char tail;
    double w, s, east, n;
    /* Written so that NaN ("nan" reads as a number) fails every test. */
    if (sscanf(text, "%lf,%lf,%lf,%lf%c", &w, &s, &east, &n, &tail) != 4 || !(w >= -180) ||
        !(east <= 180) || !(s >= -90) || !(n <= 90) || !(w <= east) || !(s <= n))
        return err_field(e, "request.invalid_param", "bbox",
                         "give west,south,east,north in degrees, e.g. 34.2,31.2,34.6,31.6",
                         "'%s' is not a bounding box", text);
    f->west = w, f->south = s, f->east = east, f->north = n;
    f->has_bbox = 1;
    return 0;
}

void export_begin(exporter *x, const store_incident_filter *f, export_format format, double grid,
                  FILE *out)
{
    memset(x, 0, sizeof *x);
    x->filter = f;
    x->format = format;
    x->grid = grid;
    if (format == EXPORT_GEOJSON || format == EXPORT_GEOJSON_SUMMARY) {
        fputs("{\"type\":\"FeatureCollection\",\"features\":[\n", out);
        return;
    }
    buf header = BUF_INIT;
    export_acled_header(&header);
    fputs(header.p, out);
    fputc('\n', out);
    buf_free(&header);
    if (format == EXPORT_HXL) {
        for (size_t c = 0; c < N_COLS; c++)
            fprintf(out, "%s%s", c ? "," : "", cols[c].hxl);
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
            if (monitor_store(s)->incident_ids_in_box(s, &f, 0, &x->ids, &x->n_ids, e)) return -1;
            x->ids_loaded = 1;
        }
        f.ids = x->ids + x->pos;
        f.n_ids = x->n_ids - x->pos < (size_t)rows ? x->n_ids - x->pos : (size_t)rows;
        x->pos += f.n_ids;
    }
    if (x->format == EXPORT_GEOJSON || x->format == EXPORT_GEOJSON_SUMMARY)
        rc = monitor_store(s)->incident_list(
            s, &f, x->last, rows, x->format == EXPORT_GEOJSON ? on_feature : on_summary, x, e);
    else
        rc = monitor_store(s)->incident_lines(s, &f, x->last, rows, on_line, x, e);
    if (!rc && x->damaged) return export_damaged(x->damaged, e);
    *done = f.has_bbox ? x->pos == x->n_ids : x->count - before < rows;
    return rc;
}

void export_end(exporter *x, FILE *out)
{
    if (x->format == EXPORT_GEOJSON || x->format == EXPORT_GEOJSON_SUMMARY) fputs("\n]}\n", out);
}

void export_release(exporter *x)
{
    buf_free(&x->line);
    free(x->ids);
    x->ids = NULL;
    x->n_ids = x->pos = 0;
}

int export_incidents(store *s, const store_incident_filter *f, export_format format, double grid,
                     FILE *out, int64_t *count, tr_err *e)
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
