/* acled.c - ACLED CSV import; see acled.h. */
#include "monitor/acled.h"
#include "monitor/zindex.h"

#include "core/util.h"
#include "json/jsx.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct {
    const char *type;
    const char *sub[9];
} taxonomy[] = {
    {"Battles", {"Armed clash", "Government regains territory",
                 "Non-state actor overtakes territory", NULL}},
    {"Explosions/Remote violence", {"Chemical weapon", "Air/drone strike", "Suicide bomb",
                                    "Shelling/artillery/missile attack",
                                    "Remote explosive/landmine/IED", "Grenade", NULL}},
    {"Violence against civilians", {"Sexual violence", "Attack",
                                    "Abduction/forced disappearance", NULL}},
    {"Protests", {"Peaceful protest", "Protest with intervention",
                  "Excessive force against protesters", NULL}},
    {"Riots", {"Violent demonstration", "Mob violence", NULL}},
    {"Strategic developments", {"Agreement", "Arrests", "Change to group/activity",
                                "Disrupted weapons use", "Headquarters or base established",
                                "Looting/property destruction",
                                "Non-violent transfer of territory", "Other", NULL}},
};

int acled_valid_type(const char *type, const char *sub)
{
    for (size_t i = 0; i < sizeof taxonomy / sizeof taxonomy[0]; i++) {
        if (strcmp(taxonomy[i].type, type) != 0) continue;
        for (int k = 0; taxonomy[i].sub[k]; k++)
            if (strcmp(taxonomy[i].sub[k], sub) == 0) return 1;
        return 0;
    }
    return 0;
}

/* The columns read, by name; all must be in the header. */
enum { C_ID, C_DATE, C_TP, C_TYPE, C_SUB, C_A1, C_A2, C_I1, C_I2, C_CIV, C_ADM1, C_ADM2,
       C_LOC, C_LAT, C_LON, C_GP, C_SRC, C_NOTES, C_FAT, C__N };
static const char *const columns[C__N] = {
    "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type", "actor1",
    "actor2", "inter1", "inter2", "civilian_targeting", "admin1", "admin2", "location",
    "latitude", "longitude", "geo_precision", "source", "notes", "fatalities"};

typedef struct parser {
    int64_t line;             /* Line of the current row (1 = header). */
    int in_header;
    int index[C__N];          /* Column position of each needed field. */
    int n_header;
    char **fields;            /* Current row's fields. */
    int n_fields, cap_fields;
    json_t *valid;            /* Checked rows, as incident documents. */
    acled_result *res;
    tr_err *e;
    int failed;               /* A file-level error: stop. */
    char today[11];
    zone_index *zones;        /* The store's (borrowed); NULL when there are no zones. */
    int flags;                /* ACLED_* */
} parser;

static void reject(parser *p, const char *column, const char *reason)
{
    json_array_append_new(p->res->rejects, json_pack("{s:I, s:s, s:s}", "line",
                                                     (json_int_t)p->line, "column", column,
                                                     "reason", reason));
    p->res->rejected++;
}

static const char *field(parser *p, int c)
{
    int i = p->index[c];
    return i < p->n_fields ? p->fields[i] : "";
}

/* d-Mon-yy, d Month yyyy, or yyyy-mm-dd into yyyy-mm-dd. */
static int parse_date(const char *s, char out[11])
{
    static const char *months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                   "jul", "aug", "sep", "oct", "nov", "dec"};
    int y, m = 0, d;
    char mon[16];
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) == 3 && strlen(s) == 10) {
    } else if (sscanf(s, "%2d-%3[A-Za-z]-%d", &d, mon, &y) == 3 ||
               sscanf(s, "%2d %15[A-Za-z] %d", &d, mon, &y) == 3) {
        for (int k = 0; k < 12; k++)
            if (strncasecmp(mon, months[k], 3) == 0) m = k + 1;
        if (y < 100) y += 2000;
    } else {
        return -1;
    }
    if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900 || y > 9999) return -1;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return 0;
}

static int int_in(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int num_in(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static void end_of_row(parser *p)
{
    char date[11];
    long tp, gp, fat;
    double lat, lon;
    if (p->failed) return;
    if (p->in_header) {
        for (int c = 0; c < C__N; c++) {
            p->index[c] = -1;
            for (int i = 0; i < p->n_fields; i++)
                if (strcmp(p->fields[i], columns[c]) == 0) p->index[c] = i;
            if (p->index[c] < 0) {
                int one = p->n_fields == 1 && (strchr(p->fields[0], ';') || strchr(p->fields[0], '\t'));
                err_set(p->e, 400, "acled.bad_header",
                        one ? "save the file as comma-separated CSV" : "export all ACLED columns",
                        one ? "line 1: the file is not comma-separated"
                            : "line 1: the column '%s' is missing", columns[c]);
                p->failed = 1;
                return;
            }
        }
        p->n_header = p->n_fields;
        p->in_header = 0;
        return;
    }
    p->res->rows++;
    if (p->n_fields == 1 && !p->fields[0][0]) return; /* a blank line */
    if (parse_date(field(p, C_DATE), date) || strcmp(date, p->today) > 0)
        return reject(p, "event_date", "not a date, or a date in the future");
    if (int_in(field(p, C_TP), 1, 3, &tp)) return reject(p, "time_precision", "must be 1, 2 or 3");
    if (!acled_valid_type(field(p, C_TYPE), field(p, C_SUB)))
        return reject(p, "sub_event_type", "not an ACLED event type and sub-type");
    if (num_in(field(p, C_LAT), -90, 90, &lat)) return reject(p, "latitude", "must be -90 to 90");
    if (num_in(field(p, C_LON), -180, 180, &lon))
        return reject(p, "longitude", "must be -180 to 180");
    if (int_in(field(p, C_GP), 1, 3, &gp)) return reject(p, "geo_precision", "must be 1, 2 or 3");
    if (int_in(field(p, C_FAT), 0, 1000000, &fat))
        return reject(p, "fatalities", "must be a whole number, 0 or more");
    if (!field(p, C_ID)[0]) return reject(p, "event_id_cnty", "is empty");
    json_t *sources = json_array();
    char *src = strdup(field(p, C_SRC)), *save = NULL, *tok;
    for (tok = strtok_r(src, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        while (*tok == ' ') tok++;
        if (*tok) json_array_append_new(sources, json_pack("{s:s}", "name", tok));
    }
    free(src);
    json_t *doc =
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:f, s:f,"
                  " s:i, s:o, s:s, s:I}",
                  "event_id_cnty", field(p, C_ID), "event_date", date, "time_precision", (int)tp,
                  "event_type", field(p, C_TYPE), "sub_event_type", field(p, C_SUB), "actor1",
                  field(p, C_A1), "actor2", field(p, C_A2), "inter1", field(p, C_I1), "inter2",
                  field(p, C_I2), "civilian_targeting", field(p, C_CIV)[0] != 0, "admin1",
                  field(p, C_ADM1), "admin2", field(p, C_ADM2), "location", field(p, C_LOC),
                  "latitude", lat, "longitude", lon, "geo_precision", (int)gp, "sources", sources,
                  "notes", field(p, C_NOTES), "fatalities", (json_int_t)fat);
    /* The zones that contain it travel in the journal event, so that a rebuild from the
     * journal gives the same incidents whatever zones exist by then. */
    const char *slugs[16];
    json_t *tags = json_array();
    size_t n = 0;
    if (p->zones) {
        n = zone_index_find(p->zones, lon, lat, slugs, 16);
        for (size_t i = 0; i < n && i < 16; i++) json_array_append_new(tags, json_string(slugs[i]));
        if (n == 0) {
            if (p->flags & ACLED_REFUSE_OUTSIDE) {
                json_decref(tags);
                json_decref(doc);
                return reject(p, "latitude", "the place lies outside every zone of this "
                                             "deployment");
            }
            p->res->outside_zones++;
        }
    }
    json_object_set_new(doc, "zones", tags);
    json_array_append_new(p->valid, doc);
}

static void on_field(void *data, size_t len, void *cls)
{
    parser *p = cls;
    if (p->n_fields == p->cap_fields) {
        p->cap_fields = p->cap_fields ? 2 * p->cap_fields : 64;
        p->fields = realloc(p->fields, (size_t)p->cap_fields * sizeof *p->fields);
        if (!p->fields) abort();
    }
    p->fields[p->n_fields] = malloc(len + 1);
    if (!p->fields[p->n_fields]) abort();
    if (len) memcpy(p->fields[p->n_fields], data, len);
    p->fields[p->n_fields][len] = 0;
    p->n_fields++;
}

static void on_row(int c, void *cls)
{
    parser *p = cls;
    (void)c;
    end_of_row(p);
    for (int i = 0; i < p->n_fields; i++) free(p->fields[i]);
    p->n_fields = 0;
    p->line++;
}

int acled_write(store *s, const journal_actor *who, const char *status, const json_t *valid,
                tr_err *e)
{
    size_t i;
    const json_t *doc;
    const char *vis = strcmp(status, "verified") == 0 ? "public" : "kind:monitor kind:mediator";
    json_array_foreach(valid, i, doc) {
        json_t *body = json_pack("{s:O, s:s, s:s}", "incident", doc, "status", status,
                                 "provenance", "acled");
        int rc = journal_record(s, who, "incident.imported", body, vis, NULL, e);
        json_decref(body);
        if (rc) return -1;
    }
    return 0;
}

typedef struct writing {
    const journal_actor *who;
    const char *status;
    const json_t *valid;
} writing;

static int write_all(store *s, void *cls, tr_err *e)
{
    writing *w = cls;
    return acled_write(s, w->who, w->status, w->valid, e);
}

json_t *acled_parse(store *s, FILE *in, int64_t total, int flags, acled_progress progress,
                    void *cls, acled_result *out, tr_err *e)
{
    struct csv_parser csv;
    parser p = {0};
    char chunk[65536];
    size_t n;
    int64_t bytes = 0;
    time_t now = time(NULL);
    struct tm tm;
    json_t *valid = NULL;

    memset(out, 0, sizeof *out);
    out->rejects = json_array();
    p.line = 1;
    p.in_header = 1;
    p.valid = json_array();
    p.res = out;
    p.e = e;
    gmtime_r(&now, &tm);
    strftime(p.today, sizeof p.today, "%Y-%m-%d", &tm);
    p.flags = flags;
    if (!(p.zones = zone_index_cached(s, e))) {
        json_decref(p.valid);
        return NULL;
    }
    if (zone_index_count(p.zones) == 0) p.zones = NULL; /* borrowed from the store */
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) abort();
    while (!p.failed && (n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        if (csv_parse(&csv, chunk, n, on_field, on_row, &p) != n) {
            err_set(e, 400, "acled.bad_csv", "check the quoting and the delimiter of that line",
                    "line %lld: %s", (long long)p.line, csv_strerror(csv_error(&csv)));
            p.failed = 1;
        }
        bytes += (int64_t)n;
        if (progress) progress(cls, out->rows, bytes, total);
    }
    if (!p.failed && csv_fini(&csv, on_field, on_row, &p) != 0) {
        err_set(e, 400, "acled.bad_csv", "check the quoting near the end of the file",
                "line %lld: %s", (long long)p.line, csv_strerror(csv_error(&csv)));
        p.failed = 1;
    }
    if (!p.failed && p.in_header) {
        err_set(e, 400, "acled.empty", "export the events with their header row",
                "the file has no header row");
        p.failed = 1;
    }
    if (!p.failed) valid = json_incref(p.valid);
    csv_free(&csv);
    for (int i = 0; i < p.n_fields; i++) free(p.fields[i]);
    free(p.fields);
    json_decref(p.valid);
    return valid;
}

int acled_import(store *s, const journal_actor *who, FILE *in, int64_t total,
                 const char *status, int flags, acled_progress progress, void *cls, acled_result *out,
                 tr_err *e)
{
    json_t *valid = acled_parse(s, in, total, flags, progress, cls, out, e);
    int rc = -1;
    if (!valid) return -1;
    writing w = {who, status, valid};
    if (store_txn(s, write_all, &w, e) == 0) {
        out->imported = (int64_t)json_array_size(valid);
        rc = 0;
    }
    json_decref(valid);
    return rc;
}
