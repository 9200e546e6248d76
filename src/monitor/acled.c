/* acled.c - ACLED CSV import; see acled.h. */
#include "monitor/acled.h"
#include "monitor/store.h"
#include "monitor/export.h"
#include "monitor/zindex.h"

#include "core/util.h"
#include "json/jsx.h"

#include <csv.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zstd.h>

static const struct {
    const char *type;
    const char *sub[9];
} taxonomy[] = {
    {"Battles",
     {"Armed clash", "Government regains territory", "Non-state actor overtakes territory", NULL}},
    {"Explosions/Remote violence",
     {"Chemical weapon", "Air/drone strike", "Suicide bomb", "Shelling/artillery/missile attack",
      "Remote explosive/landmine/IED", "Grenade", NULL}},
    {"Violence against civilians",
     {"Sexual violence", "Attack", "Abduction/forced disappearance", NULL}},
    {"Protests",
     {"Peaceful protest", "Protest with intervention", "Excessive force against protesters", NULL}},
    {"Riots", {"Violent demonstration", "Mob violence", NULL}},
    {"Strategic developments",
     {"Agreement", "Arrests", "Change to group/activity", "Disrupted weapons use",
      "Headquarters or base established", "Looting/property destruction",
      "Non-violent transfer of territory", "Other", NULL}},
};

int acled_valid_event_type(const char *type)
{
    for (size_t i = 0; i < sizeof taxonomy / sizeof taxonomy[0]; i++)
        if (strcmp(taxonomy[i].type, type) == 0) return 1;
    return 0;
}

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
enum {
    C_ID,
    C_DATE,
    C_TP,
    C_TYPE,
    C_SUB,
    C_A1,
    C_A2,
    C_I1,
    C_I2,
    C_CIV,
    C_ADM1,
    C_ADM2,
    C_LOC,
    C_LAT,
    C_LON,
    C_GP,
    C_SRC,
    C_NOTES,
    C_FAT,
    C__N
};
static const char *const columns[C__N] = {
    "event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
    "actor1",        "actor2",     "inter1",         "inter2",     "civilian_targeting",
    "admin1",        "admin2",     "location",       "latitude",   "longitude",
    "geo_precision", "source",     "notes",          "fatalities"};

/* Rows per journal event: each event carries a batch of incidents, so that the journal,
 * the Merkle tree and the signature work are per batch, not per row. */
#define BATCH_ROWS 500

/* Rows from which a file larger than the deployment's incidents is loaded in bulk. */
#define BULK_ROWS 10000

/* Batches between the store's alone_flush calls in a bulk load: about 10 MB written. */
#define FLUSH_BATCHES 20

/* Batches in flight: one being read, one being written, one ready in between. */
#define IN_FLIGHT 3

/* One checked row, waiting in the batch. Strings point into the batch's `strings`. */
typedef struct pending {
    size_t id, date, type, line, actor1, actor2; /* offsets into strings */
    const char *zones[16]; /* the zone index's slugs (the store's, unchanged meanwhile) */
    size_t n_zones;
    double lat, lon;
    int64_t fatalities;
} pending;

/* A batch of checked rows: their CSV (the journal event's rows, once compressed into
 * body) and what each row's incident needs. */
typedef struct batch {
    buf text;    /* the rows as CSV: the export's columns and zones */
    buf body;    /* the journal event, canonical JSON, once the batch is full */
    buf strings; /* each row's id, date, type, actors and CSV row */
    pending rows[BATCH_ROWS];
    size_t n_rows;
    int packed; /* body is made (batch_pack) */
} batch;

typedef struct parser {
    int64_t line;  /* The current row, numbered as a spreadsheet numbers them:
                    * 1 = header, blank lines counted, a cell's line breaks not. */
    int nul_field; /* The first field of the row holding a NUL byte, or -1. */
    int after_cr;  /* The last row ended with a CR: a LF next is the same break. */
    int in_header;
    int index[C__N]; /* Column position of each needed field. */
    int n_header;
    buf row;      /* The current row's fields, each NUL-terminated... */
    size_t *offs; /* ...starting at these offsets. */
    int n_fields, cap_fields;
    acled_result *res;
    tr_err *e;
    int failed; /* A file-level error, or a write failed: stop. */
    char today[11];
    zone_index *zones; /* The store's (borrowed); NULL when there are no zones. */
    int flags;         /* ACLED_* */

    /* Reading (its own thread): the batch being filled. */
    buf sources; /* scratch: the row's source names, joined */
    buf csv_row; /* scratch: the row's CSV row */
    buf packed;  /* scratch: a batch compressed */
    ZSTD_CCtx *zstd;
    batch *cur;
    FILE *in;
    int64_t total;
    acled_progress progress;
    void *progress_cls;

    /* Handing full batches from the reading thread to the writing one, in order. */
    batch slots[IN_FLIGHT];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    batch *ready[IN_FLIGHT], *spare[IN_FLIGHT]; /* ready: first in, first out */
    size_t n_ready, n_spare;
    int read_all;       /* the reading thread has finished */
    int writer_waiting; /* the writing thread waits for a batch */
    atomic_int stop;    /* a write failed: read no further */

    /* Writing (the caller's thread, in its transaction). */
    store *s;
    const journal_actor *who;
    const char *status, *visibility;
    tr_err read_e;     /* the reading thread's error (p->e points here) */
    ZSTD_CCtx *zstd_w; /* packing a batch handed over unpacked (batch_seal) */
    buf packed_w;
} parser;

static void reject(parser *p, const char *column, const char *reason)
{
    json_array_append_new(p->res->rejects, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)p->line,
                                                     "column", column, "reason", reason));
    p->res->rejected++;
}

static const char *field(parser *p, int c)
{
    int i = p->index[c];
    return i < p->n_fields ? p->row.p + p->offs[i] : "";
}

/* d-Mon-yy or dd-Mon-yy, as ACLED's exports write dates, into yyyy-mm-dd; -1 for anything
 * else. What parse_date's sscanf makes of them, without sscanf (a tenth of a reading). */
static int short_date(const char *s, char out[11])
{
    static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    size_t nd = s[0] >= '0' && s[0] <= '9' ? s[1] >= '0' && s[1] <= '9' ? 2 : 1 : 0;
    if (!nd || s[nd] != '-') return -1;
    const char *m = s + nd + 1, *y = m + 4;
    char mon[3];
    for (int k = 0; k < 3; k++) { /* each checked before the next is read: no reading past */
        char c = m[k];            /* the string's end */
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return -1;
        mon[k] = (char)(c | 0x20);
    }
    if (m[3] != '-' || y[0] < '0' || y[0] > '9' || y[1] < '0' || y[1] > '9' || y[2]) return -1;
    int month = 0;
    for (int k = 0; k < 12 && !month; k++)
        if (memcmp(mon, months + 3 * k, 3) == 0) month = k + 1;
    if (!month) return -1;
    memcpy(out, "20", 2);
    out[2] = y[0], out[3] = y[1], out[4] = '-';
    out[5] = (char)('0' + month / 10), out[6] = (char)('0' + month % 10), out[7] = '-';
    out[8] = nd == 2 ? s[0] : '0', out[9] = s[nd - 1], out[10] = 0;
    if (memcmp(out + 8, "00", 2) == 0) return -1;
    return util_is_date(out) ? 0 : -1;
}

/* Is s a decimal that "%.15g" writes back exactly, so that it is its own shortest text
 * (util_real_text)? [-](0|[1-9]d*)[.d*[1-9]], at most 15 significant digits, and not so
 * small that %g turns to an exponent (0.0001 is; 0.00001 is not). "-0" is not: the import
 * stores it as 0. */
static int own_text(const char *s)
{
    const char *p = s + (*s == '-');
    int digits = 0, lead = 1, zeros = 0; /* leading zeros after "0." */
    if (*p == '0') {
        p++;
        if (!*p) return *s != '-';
    } else {
        if (*p < '1' || *p > '9') return 0;
        while (*p >= '0' && *p <= '9')
            p++, digits++;
        lead = 0;
    }
    if (!*p) return digits <= 15;
    if (*p++ != '.' || !*p) return 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (lead && *p == '0') {
            zeros++;
            continue;
        }
        lead = 0;
        digits++;
    }
    return !*p && p[-1] != '0' && digits <= 15 && zeros <= 3;
}

/* d-Mon-yy, d Month yyyy, or yyyy-mm-dd into yyyy-mm-dd. */
static int parse_date(const char *s, char out[11])
{
    if (short_date(s, out) == 0) return 0;
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
    return util_is_date(out) ? 0 : -1; /* 31-Feb-25 is not a day */
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

/* Is s (NUL-terminated) well-formed UTF-8? */
static int utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        if (*u < 0x80) {
            u++;
            continue;
        }
        int n = (*u & 0xE0) == 0xC0 ? 1 : (*u & 0xF0) == 0xE0 ? 2 : (*u & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0 || (n == 1 && *u < 0xC2) || (n == 3 && *u > 0xF4)) return 0;
        unsigned cp = *u & (0x3F >> n);
        for (int k = 1; k <= n; k++) {
            if ((u[k] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (u[k] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        u += n + 1;
    }
    return 1;
}

/* v in decimal, NUL-terminated, into t (UTIL_I64_LEN + 1 bytes). */
static const char *int_text(char *t, long long v)
{
    t[util_i64(t, v)] = 0;
    return t;
}

/* The columns that are copied as strings, checked for UTF-8 before anything is written. */
static const int text_columns[] = {C_ID, C_TYPE, C_SUB,  C_A1,  C_A2,  C_I1,
                                   C_I2, C_ADM1, C_ADM2, C_LOC, C_SRC, C_NOTES};

/* ---- batches ----------------------------------------------------------------------------- */

static void batch_open(batch *b)
{
    buf_reset(&b->text);
    b->strings.len = 0;
    b->n_rows = 0;
    export_acled_header(&b->text);
    buf_puts(&b->text, ",zones\n");
}

/* A full batch becomes its journal event (its rows as compressed CSV, acled.h: an eighth
 * of the bytes of the documents it carried before), compressed with zstd (in packed, the
 * calling thread's scratch). -1 if it cannot. */
static int batch_pack(parser *p, batch *b, ZSTD_CCtx *zstd, buf *packed, tr_err *e)
{
    char count[UTIL_I64_LEN];
    size_t bound = ZSTD_compressBound(b->text.len);
    buf_reset(packed);
    buf_reserve(packed, bound);
    size_t n = ZSTD_compressCCtx(zstd, packed->p, bound, b->text.p, b->text.len, 1);
    if (ZSTD_isError(n))
        return err_set(e, 500, "acled.compress", NULL, "cannot compress a batch: %s",
                       ZSTD_getErrorName(n));
    buf_reset(&b->body);
    buf_puts(&b->body, "{\"count\":");
    buf_append(&b->body, count, util_i64(count, (int64_t)b->n_rows));
    buf_puts(&b->body, ",\"format\":\"" ACLED_BATCH_FORMAT "\",\"provenance\":\"acled\","
                       "\"rows\":\"");
    size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    buf_reserve(&b->body, b64);
    sodium_bin2base64(b->body.p + b->body.len, b64, (const unsigned char *)packed->p, n,
                      sodium_base64_VARIANT_ORIGINAL);
    b->body.len += b64 - 1;
    buf_puts(&b->body, "\",\"status\":");
    jsx_put_string(&b->body, p->status);
    buf_puts(&b->body, "}");
    b->packed = 1;
    return 0;
}

/* The reading thread: the full batch goes to the writing thread, which journals and
 * writes it; the next spare batch is filled from here. The batch is packed here unless
 * the writing thread is waiting for it: then that thread packs it, which keeps both
 * busy whichever of the two is the slower (a warm machine reads slower than it writes;
 * a cold one writes slower). -1 if it cannot. */
static int batch_seal(parser *p)
{
    batch *b = p->cur;
    if (!b->n_rows) return 0;
    pthread_mutex_lock(&p->mu);
    int hand_over = p->writer_waiting;
    pthread_mutex_unlock(&p->mu);
    b->packed = 0;
    if (!hand_over && batch_pack(p, b, p->zstd, &p->packed, p->e)) return -1;

    pthread_mutex_lock(&p->mu);
    p->ready[p->n_ready++] = b;
    pthread_cond_broadcast(&p->cv);
    while (p->n_spare == 0)
        pthread_cond_wait(&p->cv, &p->mu);
    p->cur = p->spare[--p->n_spare];
    pthread_mutex_unlock(&p->mu);
    batch_open(p->cur);
    return 0;
}

/* The writing thread: journals a batch as one incidents.imported event and projects its
 * rows, as the projection does (acled_project). */
static int batch_write(parser *p, const batch *b, tr_err *e)
{
    char time[UTIL_ISO_LEN];
    if (journal_record_canonical(p->s, p->who, "incidents.imported", b->body.p, p->visibility, time,
                                 e))
        return -1;
    int64_t seq = journal_last_seq(p->s);
    const monitor_store_ops *ops = monitor_store(p->s);
    store_incident *many = ops->incident_upsert_many ? calloc(b->n_rows + 1, sizeof *many) : NULL;
    if (ops->incident_upsert_many && !many) abort();
    for (size_t i = 0; i < b->n_rows; i++) {
        const pending *r = &b->rows[i];
        const char *str = b->strings.p;
        store_incident in = {
            .external_id = str + r->id,
            .status = p->status,
            .provenance = "acled",
            .event_date = str + r->date,
            .event_type = str + r->type,
            .latitude = r->lat,
            .longitude = r->lon,
            .fatalities = r->fatalities,
            .doc = NULL,
            .updated_at = time,
            .acled_csv = str + r->line,
            .actor1 = str + r->actor1,
            .actor2 = str + r->actor2,
            .zones = r->zones,
            .n_zones = r->n_zones,
            .seq = seq,
        };
        if (many)
            many[i] = in;
        else if (ops->incident_upsert(p->s, &in, e))
            return -1;
    }
    if (many) {
        int rc = ops->incident_upsert_many(p->s, many, b->n_rows, e);
        free(many);
        if (rc) return -1;
    }
    p->res->imported += (int64_t)b->n_rows;
    return 0;
}

static size_t keep(buf *b, const char *s, size_t n)
{
    size_t at = b->len;
    buf_append(b, s, n);
    buf_append(b, "", 1);
    return at;
}

static void end_of_row(parser *p)
{
    char date[11];
    long tp, gp, fat;
    double lat, lon;
    if (p->failed) return;
    if (p->in_header) {
        if (p->n_fields == 0) return; /* blank lines before the header */
        for (int c = 0; c < C__N; c++) {
            p->index[c] = -1;
            for (int i = 0; i < p->n_fields; i++)
                if (strcmp(p->row.p + p->offs[i], columns[c]) == 0) p->index[c] = i;
            if (p->index[c] < 0) {
                const char *only = p->row.p;
                int one = p->n_fields == 1 && (strchr(only, ';') || strchr(only, '\t'));
                err_set(p->e, 400, "acled.bad_header",
                        one ? "save the file as comma-separated CSV" : "export all ACLED columns",
                        one ? "line 1: the file is not comma-separated"
                            : "line 1: the column '%s' is missing",
                        columns[c]);
                p->failed = 1;
                return;
            }
        }
        p->n_header = p->n_fields;
        p->in_header = 0;
        return;
    }
    if (p->n_fields == 0 || (p->n_fields == 1 && !p->row.p[0] && p->nul_field < 0))
        return; /* a blank line */
    p->res->rows++;
    if (p->nul_field >= 0) { /* C strings from here on would cut the field short */
        const char *name = NULL;
        for (int c = 0; c < C__N; c++)
            if (p->index[c] == p->nul_field) name = columns[c];
        char other[32];
        snprintf(other, sizeof other, "column %d", p->nul_field + 1);
        return reject(p, name ? name : other, "holds a NUL byte: the file is not text");
    }
    for (size_t k = 0; k < sizeof text_columns / sizeof text_columns[0]; k++)
        if (!utf8_valid(field(p, text_columns[k])))
            return reject(p, columns[text_columns[k]], "is not UTF-8 text");
    if (parse_date(field(p, C_DATE), date))
        return reject(p, "event_date",
                      "not a date as ACLED writes them (2025-06-06, 6-Jun-25 or "
                      "6 June 2025); a spreadsheet may have rewritten it");
    if (strcmp(date, p->today) > 0) return reject(p, "event_date", "is in the future");
    if (int_in(field(p, C_TP), 1, 3, &tp)) return reject(p, "time_precision", "must be 1, 2 or 3");
    if (!acled_valid_type(field(p, C_TYPE), field(p, C_SUB)))
        return reject(p, "sub_event_type", "not an ACLED event type and sub-type");
    if (num_in(field(p, C_LAT), -90, 90, &lat)) return reject(p, "latitude", "must be -90 to 90");
    if (num_in(field(p, C_LON), -180, 180, &lon))
        return reject(p, "longitude", "must be -180 to 180");
    lat += 0.0, lon += 0.0; /* -0.0 is 0.0 (the store keeps no sign on a zero) */
    if (int_in(field(p, C_GP), 1, 3, &gp)) return reject(p, "geo_precision", "must be 1, 2 or 3");
    if (int_in(field(p, C_FAT), 0, 1000000, &fat))
        return reject(p, "fatalities", "must be a whole number, 0 or more");
    if (!field(p, C_ID)[0]) return reject(p, "event_id_cnty", "is empty");
    /* The zones that contain it travel in the journal event, so that a rebuild from the
     * journal gives the same incidents whatever zones exist by then. */
    const char *slugs[16];
    size_t nz = 0;
    if (p->zones) {
        nz = zone_index_find(p->zones, lon, lat, slugs, 16);
        if (nz > 16) nz = 16;
        if (nz == 0) {
            if (p->flags & ACLED_REFUSE_OUTSIDE)
                return reject(p, "latitude",
                              "the place lies outside every zone of this "
                              "deployment");
            p->res->outside_zones++;
        }
    }

    /* The source names, "A; B" as the document lists them (export_acled_doc). */
    buf_reset(&p->sources);
    {
        const char *src = field(p, C_SRC);
        int first = 1;
        while (*src) {
            size_t n = strcspn(src, ";");
            const char *tok = src;
            while (n && *tok == ' ')
                tok++, n--;
            if (n) {
                if (n > 4095) { /* as long a name as a document ever held, whole characters */
                    n = 4095;
                    while (n && ((unsigned char)tok[n] & 0xC0) == 0x80)
                        n--;
                }
                if (!first) buf_append(&p->sources, "; ", 2);
                buf_append(&p->sources, tok, n);
                first = 0;
            }
            src = tok + strcspn(tok, ";");
            if (*src == ';') src++;
        }
    }

    /* Its row of the export, the incident as stored (export_acled_doc gives its document),
     * and the same row with its zones in the batch. */
    char tps[UTIL_I64_LEN + 1], gps[UTIL_I64_LEN + 1], fats[UTIL_I64_LEN + 1], lats[40], lons[40],
        year[5];
    int_text(tps, tp);
    int_text(gps, gp);
    int_text(fats, fat);
    if (own_text(field(p, C_LAT))) /* the file's text: what util_real_text would write */
        snprintf(lats, sizeof lats, "%s", field(p, C_LAT));
    else
        util_real_text(lats, sizeof lats, lat);
    if (own_text(field(p, C_LON)))
        snprintf(lons, sizeof lons, "%s", field(p, C_LON));
    else
        util_real_text(lons, sizeof lons, lon);
    memcpy(year, date, 4);
    year[4] = 0;
    const char *v[EXPORT_COLUMNS] = {field(p, C_ID),
                                     date,
                                     year,
                                     tps,
                                     field(p, C_TYPE),
                                     field(p, C_SUB),
                                     field(p, C_A1),
                                     field(p, C_I1),
                                     field(p, C_A2),
                                     field(p, C_I2),
                                     field(p, C_CIV)[0] ? "Civilian targeting" : "",
                                     field(p, C_ADM1),
                                     field(p, C_ADM2),
                                     field(p, C_LOC),
                                     lats,
                                     lons,
                                     gps,
                                     p->sources.p ? p->sources.p : "",
                                     field(p, C_NOTES),
                                     fats};
    buf_reset(&p->csv_row);
    export_acled_row(v, &p->csv_row);
    batch *b = p->cur;
    buf_append(&b->text, p->csv_row.p, p->csv_row.len - 1); /* without its newline */
    buf_append(&b->text, ",\"", 2);
    for (size_t i = 0; i < nz; i++) {
        if (i) buf_append(&b->text, ";", 1);
        buf_puts(&b->text, slugs[i]);
    }
    buf_append(&b->text, "\"\n", 2);

    pending *r = &b->rows[b->n_rows++];
    r->id = keep(&b->strings, field(p, C_ID), strlen(field(p, C_ID)));
    r->date = keep(&b->strings, date, 10);
    r->type = keep(&b->strings, field(p, C_TYPE), strlen(field(p, C_TYPE)));
    r->line = keep(&b->strings, p->csv_row.p, p->csv_row.len);
    r->actor1 = keep(&b->strings, field(p, C_A1), strlen(field(p, C_A1)));
    r->actor2 = keep(&b->strings, field(p, C_A2), strlen(field(p, C_A2)));
    r->n_zones = nz;
    for (size_t i = 0; i < nz; i++)
        r->zones[i] = slugs[i];
    r->lat = lat, r->lon = lon, r->fatalities = fat;
    if (b->n_rows == BATCH_ROWS && batch_seal(p)) p->failed = 1;
}

static void on_field(void *data, size_t len, void *cls)
{
    parser *p = cls;
    if (p->n_fields == p->cap_fields) {
        p->cap_fields = p->cap_fields ? 2 * p->cap_fields : 64;
        p->offs = realloc(p->offs, (size_t)p->cap_fields * sizeof *p->offs);
        if (!p->offs) abort();
    }
    if (data && p->nul_field < 0 && memchr(data, 0, len)) p->nul_field = p->n_fields;
    p->offs[p->n_fields++] = keep(&p->row, data ? data : "", len);
}

/* Ends a row at c: '\n', '\r', or -1 at the end of the file. libcsv reports each line
 * break outside a row as an empty row (CSV_REPALL_NL), so that blank lines count in the
 * line numbers that rejects and errors name, as a spreadsheet shows them; the LF of a CRLF
 * is not a line of its own. */
static void on_row(int c, void *cls)
{
    parser *p = cls;
    int crlf = p->after_cr && c == '\n' && p->n_fields == 0;
    end_of_row(p);
    p->row.len = 0;
    p->n_fields = 0;
    p->nul_field = -1;
    p->after_cr = c == '\r';
    if (!crlf) p->line++;
}

/* The reading thread goes on: no error in the file, no failed write. */
static int going(parser *p)
{
    return !p->failed && !atomic_load(&p->stop);
}

/* The reading thread: the file through libcsv, row by row into batches (end_of_row,
 * batch_seal), until its end, a file-level error, or a failed write (stop). */
static void *read_file(void *arg)
{
    parser *p = arg;
    struct csv_parser csv;
    char chunk[65536];
    size_t n;
    int64_t bytes = 0;
    FILE *in = p->in;
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0)
        abort();
    while (going(p) && (n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        size_t skip = 0;
        if (bytes == 0 && n >= 2 && (unsigned char)chunk[0] == 0x1f &&
            (unsigned char)chunk[1] == 0x8b) {
            err_set(p->e, 400, "acled.compressed",
                    "decompress it first (gunzip), or send it with 'Content-Encoding: gzip'",
                    "the file is gzip-compressed, not CSV");
            p->failed = 1;
            break;
        }
        if (bytes == 0 && n >= 3 && memcmp(chunk, "\xef\xbb\xbf", 3) == 0)
            skip = 3; /* the byte-order mark spreadsheets put before UTF-8 CSV */
        if (csv_parse(&csv, chunk + skip, n - skip, on_field, on_row, p) != n - skip &&
            !p->failed) {
            err_set(p->e, 400, "acled.bad_csv", "check the quoting and the delimiter of that line",
                    "line %lld: %s", (long long)p->line, csv_strerror(csv_error(&csv)));
            p->failed = 1;
        }
        bytes += (int64_t)n;
        if (p->progress) p->progress(p->progress_cls, p->res->rows, bytes, p->total);
    }
    if (going(p) && ferror(in)) {
        /* not the end of the file: it could not be read on */
        err_set(p->e, 400, "acled.unreadable", "check the file (a download cut short?)",
                "the file could not be read past line %lld", (long long)p->line);
        p->failed = 1;
    }
    if (going(p) && csv_fini(&csv, on_field, on_row, p) != 0) {
        err_set(p->e, 400, "acled.bad_csv", "check the quoting near the end of the file",
                "line %lld: %s", (long long)p->line, csv_strerror(csv_error(&csv)));
        p->failed = 1;
    }
    if (going(p) && p->in_header) {
        err_set(p->e, 400, "acled.empty", "export the events with their header row",
                "the file has no header row");
        p->failed = 1;
    }
    if (going(p) && batch_seal(p)) p->failed = 1;
    csv_free(&csv);
    pthread_mutex_lock(&p->mu);
    p->read_all = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Is a file of total bytes a bulk load? A file of more rows than the deployment has
 * (ACLED's rows are 500-600 bytes): its place index is built once at the end, not row by
 * row. (Counting a million incidents takes a while: only for a file that could be one.)
 * 1 or 0; -1 on an error. */
static int bulk_sized(store *s, int64_t total, tr_err *e)
{
    if (!monitor_store(s)->bulk_begin || total / 600 < BULK_ROWS) return 0;
    int64_t have = monitor_store(s)->incident_count(s, e);
    return have < 0 ? -1 : total / 600 > have;
}

/* acled_import_here, told whether it is a bulk load (bulk_sized), or -1 to work it out.
 *
 * Two threads: this one writes batches (in the caller's transaction, on the caller's
 * connection) while another reads, checks and packs the next ones (or leaves the packing
 * to this one when it is waiting: batch_seal). Either alone kept one core busy; a write
 * that fails stops the reading, a file that turns out broken stops the writing, and the
 * caller rolls back either way. In a bulk load, this one asks the store every
 * FLUSH_BATCHES batches to start writing out what it has (alone_flush). */
static int import_here(store *s, const journal_actor *who, FILE *in, int64_t total,
                       const char *status, int flags, acled_progress progress, void *cls, int bulk,
                       acled_result *out, tr_err *e)
{
    parser *p = calloc(1, sizeof *p);
    pthread_t reader;
    int rc = -1, write_failed = 0;
    int64_t written = 0;

    if (!p) abort();
    json_decref(out->rejects);
    memset(out, 0, sizeof *out);
    out->rejects = json_array();
    p->line = 1;
    p->nul_field = -1;
    p->in_header = 1;
    p->res = out;
    p->e = &p->read_e;
    p->s = s;
    p->who = who;
    p->status = status;
    p->visibility = strcmp(status, "verified") == 0 && !(flags & ACLED_PRIVATE_JOURNAL)
                        ? "public"
                        : "kind:monitor kind:mediator";
    util_day_at(util_unix_s(), p->today);
    p->flags = flags;
    p->in = in, p->total = total, p->progress = progress, p->progress_cls = cls;
    if (!(p->zones = zone_index_cached(s, e))) goto done;
    if (bulk < 0 && (bulk = bulk_sized(s, total, e)) < 0) goto done;
    if (bulk && monitor_store(s)->bulk_begin(s, e)) goto done;
    out->bulk = bulk;
    if (zone_index_count(p->zones) == 0) p->zones = NULL; /* borrowed from the store */
    if (!(p->zstd = ZSTD_createCCtx()) || !(p->zstd_w = ZSTD_createCCtx())) abort();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (size_t i = 1; i < IN_FLIGHT; i++)
        p->spare[p->n_spare++] = &p->slots[i];
    p->cur = &p->slots[0];
    batch_open(p->cur);
    if (pthread_create(&reader, NULL, read_file, p) != 0) abort();
    for (;;) {
        pthread_mutex_lock(&p->mu);
        p->writer_waiting = 1;
        while (p->n_ready == 0 && !p->read_all)
            pthread_cond_wait(&p->cv, &p->mu);
        p->writer_waiting = 0;
        if (p->n_ready == 0) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        batch *b = p->ready[0];
        memmove(p->ready, p->ready + 1, --p->n_ready * sizeof *p->ready);
        pthread_mutex_unlock(&p->mu);
        if (!write_failed && ((!b->packed && batch_pack(p, b, p->zstd_w, &p->packed_w, e)) ||
                              batch_write(p, b, e))) {
            write_failed = 1;
            atomic_store(&p->stop, 1);
        }
        if (bulk && s->ops->alone_flush && ++written % FLUSH_BATCHES == 0) s->ops->alone_flush(s);
        pthread_mutex_lock(&p->mu);
        p->spare[p->n_spare++] = b;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_join(reader, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    if (!write_failed && p->failed) { /* the file's error, as the reading thread set it */
        err_clear(e);
        *e = p->read_e;
        p->read_e.detail = NULL;
    } else if (!write_failed) {
        rc = bulk ? monitor_store(s)->bulk_end(s, e) : 0;
    }
    ZSTD_freeCCtx(p->zstd);
    ZSTD_freeCCtx(p->zstd_w);
    for (size_t i = 0; i < IN_FLIGHT; i++) {
        buf_free(&p->slots[i].text);
        buf_free(&p->slots[i].body);
        buf_free(&p->slots[i].strings);
    }
done:
    err_clear(&p->read_e);
    buf_free(&p->row);
    buf_free(&p->packed);
    buf_free(&p->packed_w);
    buf_free(&p->sources);
    buf_free(&p->csv_row);
    free(p->offs);
    free(p);
    return rc;
}

int acled_import_here(store *s, const journal_actor *who, FILE *in, int64_t total,
                      const char *status, int flags, acled_progress progress, void *cls,
                      acled_result *out, tr_err *e)
{
    return import_here(s, who, in, total, status, flags, progress, cls, -1, out, e);
}

/* ---- a batch from the journal ----------------------------------------------------- */

typedef struct batch_reader {
    store *s;
    const store_event *ev;
    const char *status, *provenance;
    tr_err *e;
    buf row;                         /* the current row's fields, each NUL-terminated... */
    size_t offs[EXPORT_COLUMNS + 2]; /* ...at these offsets */
    int n_fields;                    /* how many the row has (more than 21 are counted, not kept) */
    int header;                      /* the header is next */
    int64_t rows;
    int failed;
    buf want_header, csv;
} batch_reader;

static int batch_bad(batch_reader *b, const char *what)
{
    b->failed = 1;
    return err_set(b->e, 500, "journal.bad_event", NULL, "event %lld (%s): %s",
                   (long long)b->ev->seq, b->ev->type, what);
}

static void batch_field(void *data, size_t len, void *cls)
{
    batch_reader *b = cls;
    if (b->n_fields < EXPORT_COLUMNS + 2)
        b->offs[b->n_fields] = keep(&b->row, data ? data : "", len);
    b->n_fields++;
}

static void batch_row(int c, void *cls)
{
    batch_reader *b = cls;
    const char *f[EXPORT_COLUMNS + 1];
    (void)c;
    if (b->failed) goto next;
    if (b->n_fields != EXPORT_COLUMNS + 1) {
        batch_bad(b, "a row without the export's 20 columns and zones");
        goto next;
    }
    for (int i = 0; i <= EXPORT_COLUMNS; i++)
        f[i] = b->row.p + b->offs[i];
    if (b->header) {
        buf_reset(&b->csv);
        for (int i = 0; i <= EXPORT_COLUMNS; i++) {
            if (i) buf_append(&b->csv, ",", 1);
            buf_puts(&b->csv, f[i]);
        }
        if (strcmp(b->csv.p, b->want_header.p) != 0) batch_bad(b, "not the batch's header");
        b->header = 0;
        goto next;
    }
    /* The zones, split at ';' in place. */
    const char *zones[64];
    size_t nz = 0;
    for (char *z = (char *)f[EXPORT_COLUMNS]; *z && nz < 64;) {
        zones[nz++] = z;
        z += strcspn(z, ";");
        if (*z) *z++ = 0;
    }
    buf_reset(&b->csv);
    export_acled_row(f, &b->csv);
    store_incident in = {
        .external_id = f[0],
        .status = b->status,
        .provenance = b->provenance,
        .event_date = f[1],
        .event_type = f[4],
        .latitude = strtod(f[14], NULL),
        .longitude = strtod(f[15], NULL),
        .fatalities = strtoll(f[19], NULL, 10),
        .doc = NULL,
        .updated_at = b->ev->time,
        .acled_csv = b->csv.p,
        .actor1 = f[6],
        .actor2 = f[8],
        .zones = zones,
        .n_zones = nz,
        .seq = b->ev->seq,
    };
    if (monitor_store(b->s)->incident_upsert(b->s, &in, b->e)) b->failed = 1;
    b->rows++;
next:
    buf_reset(&b->row);
    b->n_fields = 0;
}

int acled_project(store *s, const store_event *ev, const json_t *body, tr_err *e)
{
    batch_reader b = {.s = s, .ev = ev, .e = e, .header = 1};
    const char *rows = jsx_str(body, "rows", NULL), *format = jsx_str(body, "format", "");
    const json_t *count = json_object_get(body, "count");
    unsigned char *packed = NULL;
    char *text = NULL;
    size_t plen = 0;
    struct csv_parser csv;
    b.status = jsx_str(body, "status", NULL);
    b.provenance = jsx_str(body, "provenance", NULL);
    if (!rows || !b.status || !b.provenance || !json_is_integer(count))
        return batch_bad(&b, "lacks count, rows, status or provenance");
    if (strcmp(format, ACLED_BATCH_FORMAT) != 0) return batch_bad(&b, "an unknown format");
    size_t n = strlen(rows);
    if (!(packed = malloc(n / 4 * 3 + 3))) abort();
    if (sodium_base642bin(packed, n / 4 * 3 + 3, rows, n, NULL, &plen, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        free(packed);
        return batch_bad(&b, "rows is not base64");
    }
    unsigned long long size = ZSTD_getFrameContentSize(packed, plen);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ull << 30)) {
        free(packed);
        return batch_bad(&b, "rows is not a zstd frame of known size");
    }
    if (!(text = malloc(size ? size : 1))) abort();
    size_t got = ZSTD_decompress(text, size, packed, plen);
    free(packed);
    if (ZSTD_isError(got) || got != size) {
        free(text);
        return batch_bad(&b, "rows does not decompress");
    }
    export_acled_header(&b.want_header);
    buf_puts(&b.want_header, ",zones");
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) abort();
    if (csv_parse(&csv, text, got, batch_field, batch_row, &b) != got && !b.failed)
        batch_bad(&b, "rows is not CSV");
    if (!b.failed && csv_fini(&csv, batch_field, batch_row, &b) != 0)
        batch_bad(&b, "rows is cut short");
    if (!b.failed && (b.header || b.rows != json_integer_value(count)))
        batch_bad(&b, "count is not the number of rows");
    csv_free(&csv);
    free(text);
    buf_free(&b.row);
    buf_free(&b.csv);
    buf_free(&b.want_header);
    return b.failed ? -1 : 0;
}

typedef struct importing {
    const journal_actor *who;
    FILE *in;
    int64_t total;
    const char *status;
    int flags;
    acled_progress progress;
    void *cls;
    int bulk;
    acled_result *out;
} importing;

static int import_txn(store *s, void *cls, tr_err *e)
{
    importing *m = cls;
    rewind(m->in); /* store_txn may run this again after contention */
    return import_here(s, m->who, m->in, m->total, m->status, m->flags, m->progress, m->cls,
                       m->bulk, m->out, e);
}

/* A bulk load with the database to itself (no server on it) writes its pages once: see
 * the store's alone_begin. */
int acled_import(store *s, const journal_actor *who, FILE *in, int64_t total, const char *status,
                 int flags, acled_progress progress, void *cls, acled_result *out, tr_err *e)
{
    importing m = {who, in, total, status, flags, progress, cls, 0, out};
    int alone = 0, rc;
    out->rejects = NULL;
    if ((m.bulk = bulk_sized(s, total, e)) < 0) return -1;
    if (m.bulk && s->ops->alone_begin && (alone = s->ops->alone_begin(s, e)) < 0) return -1;
    rc = store_txn(s, import_txn, &m, e);
    if (alone) s->ops->alone_end(s);
    out->alone = alone;
    return rc;
}
