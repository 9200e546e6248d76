/* import.c - daily aid counts from published files; see import.h. */
#include "aid/import.h"

#include "aid/counts.h"
#include "core/buf.h"
#include "core/util.h"

#include <csv.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int aid_parse_date(const char *s, char out[11])
{
    char tok[3][16];
    int n = 0, len = 0;
    while (isspace((unsigned char)*s))
        s++;
    /* ISO, possibly with a time after it. */
    if (strlen(s) >= 10 && s[4] == '-' && s[7] == '-') {
        memcpy(out, s, 10);
        out[10] = 0;
        return util_is_date(out) && (!s[10] || s[10] == 'T' || s[10] == ' ') ? 0 : -1;
    }
    /* Day, month's name, year: separated by spaces, '-' or '/'. */
    for (;; s++) {
        if (*s && !isspace((unsigned char)*s) && *s != '-' && *s != '/' && *s != ',') {
            if (n >= 3 || len >= 15) return -1;
            tok[n][len++] = *s;
            continue;
        }
        if (len) tok[n++][len] = 0, len = 0;
        if (!*s) break;
    }
    if (n != 3) return -1;
    int day = 0, year = 0, month = 0;
    for (const char *p = tok[0]; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    for (const char *p = tok[2]; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    day = atoi(tok[0]);
    year = atoi(tok[2]);
    if (strlen(tok[2]) == 2)
        year += 2000;
    else if (strlen(tok[2]) != 4)
        return -1;
    size_t ml = strlen(tok[1]);
    for (int m = 0; m < 12 && !month; m++) {
        static const char *const full[] = {"january",   "february", "march",    "april",
                                           "may",       "june",     "july",     "august",
                                           "september", "october",  "november", "december"};
        if (ml >= 3 && strncasecmp(tok[1], full[m], ml) == 0) month = m + 1;
        if (strcasecmp(tok[1], "sept") == 0) month = 9;
    }
    if (!month || day < 1 || day > 31) return -1;
    char t[32];
    snprintf(t, sizeof t, "%04d-%02d-%02d", year % 10000, month, day);
    memcpy(out, t, 10);
    out[10] = 0;
    return util_is_date(out) ? 0 : -1;
}

/* ---- names ------------------------------------------------------------------------ */

/* A name as compared: lowercase, runs of spaces, '_' and '-' as one '-', trimmed. */
static void norm(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    int dash = 0;
    for (; *in && n + 2 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (isspace(c) || c == '_' || c == '-') {
            dash = n > 0;
            continue;
        }
        if (dash) out[n++] = '-', dash = 0;
        out[n++] = (char)tolower(c);
    }
    out[n] = 0;
}

static const struct {
    const char *name, *category;
} category_names[] = {
    {"food", "food"},
    {"food-items", "food"},
    {"fuel", "fuel"},
    {"gas", "fuel"},
    {"cooking-gas", "fuel"},
    {"shelter", "shelter"},
    {"shelter-equipment", "shelter"},
    {"shelter-items", "shelter"},
    {"tents", "shelter"},
    {"health", "health"},
    {"medical-supplies", "health"},
    {"medical-supply", "health"},
    {"medicine", "health"},
    {"medicines", "health"},
    {"wash", "wash"},
    {"water", "wash"},
    {"hygiene", "wash"},
    {"hygiene-items", "wash"},
    {"nutrition", "nutrition"},
    {"education", "education"},
    {"other", "other"},
    {"non-food-items", "other"},
    {"nfi", "other"},
    {"nfis", "other"},
    {"mixed-items", "other"},
    {"combined-aid", "other"},
    {"un-and-ngo-equipment", "other"},
    {"essential-infrastructure-equipment", "other"},
};

typedef struct imp {
    store *s;
    const aid_import_spec *spec;
    tr_err *e;
    aid_import_result *res;
    json_t *map_crossing, *map_category; /* normalized name -> slug, from the spec */
    json_t *crossings;                   /* normalized slug or name -> slug */
    int col_date, col_value, col_crossing, col_category;
    int in_header, failed, after_cr;
    int64_t line; /* of the row being read, 1 = the header */
    /* the row: its fields' text, NUL-separated */
    buf row;
    size_t *offs, n_fields, cap_fields;
    /* the sums */
    struct sum {
        char day[11];
        char crossing[STORE_SLUG_MAX];
        char category[16];
        double v;
    } * sums;
    size_t n_sums, cap_sums;
} imp;

static int bad_file(imp *p, const char *hint, const char *message)
{
    if (!p->failed) err_set(p->e, 400, "aid.bad_file", hint, "%s", message);
    p->failed = 1;
    return -1;
}

/* "NAME=SLUG,..." into a map of normalized names; -1 with e naming the option. */
static int parse_map(const char *text, const char *what, json_t *map, tr_err *e)
{
    char *copy = strdup(text ? text : ""), *save = NULL, key[128];
    int rc = 0;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strrchr(item, '=');
        if (!eq || eq == item || !eq[1]) {
            rc = err_field(e, "request.invalid_field", what, "NAME=SLUG, comma-separated",
                           "'%s' is not NAME=SLUG", item);
            break;
        }
        *eq = 0;
        norm(item, key, sizeof key);
        json_object_set_new(map, key, json_string(eq + 1));
    }
    free(copy);
    return rc;
}

static int crossing_cb(void *cls, const void *row)
{
    const store_crossing *c = row;
    char key[STORE_NAME_MAX];
    norm(c->slug, key, sizeof key);
    json_object_set_new(cls, key, json_string(c->slug));
    norm(c->name, key, sizeof key);
    json_object_set_new(cls, key, json_string(c->slug));
    return 0;
}

/* What a publisher's name maps to ("" nothing), remembered with its rows in names[kind]. */
static const char *map_name(imp *p, const char *kind, const char *name)
{
    json_t *seen = json_object_get(json_object_get(p->res->names, kind), name);
    if (!seen) {
        char key[256];
        const char *to = NULL;
        int crossing = strcmp(kind, "crossing") == 0;
        norm(name, key, sizeof key);
        to = json_string_value(json_object_get(crossing ? p->map_crossing : p->map_category, key));
        if (!to && crossing) {
            size_t n = strlen(key);
            if (n > 9 && strcmp(key + n - 9, "-crossing") == 0) key[n - 9] = 0;
            to = json_string_value(json_object_get(p->crossings, key));
        }
        for (size_t i = 0; !to && !crossing && i < sizeof category_names / sizeof category_names[0];
             i++)
            if (strcmp(category_names[i].name, key) == 0) to = category_names[i].category;
        seen = json_pack("{s:o, s:I}", "to", to ? json_string(to) : json_null(), "rows",
                         (json_int_t)0);
        json_object_set_new(json_object_get(p->res->names, kind), name, seen);
    }
    json_object_set_new(seen, "rows",
                        json_integer(json_integer_value(json_object_get(seen, "rows")) + 1));
    const char *to = json_string_value(json_object_get(seen, "to"));
    return to ? to : "";
}

static void reject(imp *p, const char *what, const char *value)
{
    char why[256];
    p->res->rejected++;
    if (json_array_size(p->res->rejects) >= 100) return;
    if (value[0])
        snprintf(why, sizeof why, "'%.200s' is not a %s", value, what);
    else
        snprintf(why, sizeof why, "no %s", what);
    json_array_append_new(p->res->rejects,
                          json_pack("{s:I, s:s}", "line", (json_int_t)p->line, "reason", why));
}

static const char *field(imp *p, int col)
{
    return col >= 0 && (size_t)col < p->n_fields ? p->row.p + p->offs[col] : "";
}

static void on_field(void *data, size_t len, void *cls)
{
    imp *p = cls;
    if (p->n_fields == p->cap_fields) {
        p->cap_fields = p->cap_fields ? 2 * p->cap_fields : 32;
        p->offs = realloc(p->offs, p->cap_fields * sizeof *p->offs);
        if (!p->offs) abort();
    }
    p->offs[p->n_fields++] = p->row.len;
    buf_append(&p->row, data ? data : "", len);
    buf_append(&p->row, "", 1);
}

static int column(imp *p, const char *name, const char *option)
{
    char want[256], have[256];
    if (!name) return -1;
    norm(name, want, sizeof want);
    for (size_t i = 0; i < p->n_fields; i++) {
        norm(p->row.p + p->offs[i], have, sizeof have);
        if (strcmp(want, have) == 0) return (int)i;
    }
    buf cols = BUF_INIT;
    for (size_t i = 0; i < p->n_fields; i++)
        buf_printf(&cols, "%s'%s'", i ? ", " : "", p->row.p + p->offs[i]);
    char hint[256];
    snprintf(hint, sizeof hint, "give %s one of the header's columns: %.200s", option,
             cols.p ? cols.p : "(none)");
    buf_free(&cols);
    char why[300];
    snprintf(why, sizeof why, "the file has no column '%.200s'", name);
    bad_file(p, hint, why);
    return -2;
}

static void header(imp *p)
{
    p->in_header = 0;
    if ((p->col_date = column(p, p->spec->date_column, "--date-column")) == -2) return;
    if (!p->spec->count_rows &&
        (p->col_value = column(p, p->spec->value_column, "--value-column")) == -2)
        return;
    if ((p->col_crossing = column(p, p->spec->crossing_column, "--crossing-column")) == -2) return;
    if ((p->col_category = column(p, p->spec->category_column, "--category-column")) == -2) return;
}

/* A number as publishers write it: spaces and thousands' commas allowed. */
static int parse_value(const char *s, double *v)
{
    char clean[64], *end;
    size_t n = 0;
    for (; *s && n + 1 < sizeof clean; s++)
        if (!isspace((unsigned char)*s) && *s != ',') clean[n++] = *s;
    clean[n] = 0;
    if (!n) return -1;
    *v = strtod(clean, &end);
    return *end || !(*v >= 0 && *v <= 1e12) ? -1 : 0;
}

static void data_row(imp *p)
{
    struct sum x = {0};
    const char *date = field(p, p->col_date);
    p->res->rows++;
    if (aid_parse_date(date, x.day)) {
        reject(p, "date", date);
        return;
    }
    x.v = 1;
    if (!p->spec->count_rows) {
        const char *v = field(p, p->col_value);
        if (parse_value(v, &x.v)) {
            reject(p, "value", v);
            return;
        }
    }
    if (p->col_crossing >= 0) {
        const char *name = field(p, p->col_crossing);
        if (name[0]) snprintf(x.crossing, sizeof x.crossing, "%s", map_name(p, "crossing", name));
    }
    if (p->col_category >= 0) {
        const char *name = field(p, p->col_category);
        if (name[0]) snprintf(x.category, sizeof x.category, "%s", map_name(p, "category", name));
    }
    if (p->n_sums == p->cap_sums) {
        p->cap_sums = p->cap_sums ? 2 * p->cap_sums : 1024;
        p->sums = realloc(p->sums, p->cap_sums * sizeof *p->sums);
        if (!p->sums) abort();
    }
    p->sums[p->n_sums++] = x;
    p->res->imported++;
}

static void on_row(int c, void *cls)
{
    imp *p = cls;
    int crlf = p->after_cr && c == '\n' && p->n_fields == 0;
    if (!p->failed && p->n_fields > 0 && !(p->n_fields == 1 && !p->row.p[p->offs[0]])) {
        if (p->in_header)
            header(p);
        else
            data_row(p);
    }
    p->row.len = 0;
    p->n_fields = 0;
    p->after_cr = c == '\r';
    if (!crlf) p->line++;
}

static int cmp_sum(const void *a, const void *b)
{
    const struct sum *x = a, *y = b;
    int c = strcmp(x->day, y->day);
    if (!c) c = strcmp(x->crossing, y->crossing);
    if (!c) c = strcmp(x->category, y->category);
    return c;
}

static int cmp_day(const void *key, const void *elem)
{
    return strcmp(key, ((const struct sum *)elem)->day);
}

/* What the store holds of the source and basis on the file's days: the counts it had
 * (sorted as sums are), read once rather than count by count. */
typedef struct held {
    imp *p;
    struct sum *rows;
    size_t n, cap;
} held;

static int held_cb(void *cls, const void *row)
{
    held *h = cls;
    const store_aid_count *c = row;
    if (strcmp(c->source, h->p->spec->source) != 0) return 0;
    if (!bsearch(c->day, h->p->sums, h->p->n_sums, sizeof *h->p->sums, cmp_day)) return 0;
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->rows = realloc(h->rows, h->cap * sizeof *h->rows);
        if (!h->rows) abort();
    }
    struct sum *x = &h->rows[h->n++];
    memset(x, 0, sizeof *x);
    memcpy(x->day, c->day, sizeof x->day);
    snprintf(x->crossing, sizeof x->crossing, "%s", c->crossing);
    snprintf(x->category, sizeof x->category, "%s", c->category);
    x->v = c->value;
    return 0;
}

/* The counts that change, as aid.counts_recorded events of up to AID_COUNTS_PER_EVENT. */
typedef struct write_job {
    imp *p;
    const journal_actor *who;
    json_t *counts; /* the event being filled */
} write_job;

static int flush(store *s, write_job *w, tr_err *e)
{
    if (!json_array_size(w->counts)) return 0;
    json_t *body = json_pack("{s:s, s:s, s:O}", "source", w->p->spec->source, "basis",
                             w->p->spec->basis, "counts", w->counts);
    int rc = journal_record(s, w->who, "aid.counts_recorded", body, "public", NULL, e);
    json_decref(body);
    w->p->res->changed += (int64_t)json_array_size(w->counts);
    json_array_clear(w->counts);
    return rc;
}

static int record(store *s, write_job *w, const struct sum *x, const struct sum *had, tr_err *e)
{
    if (had && had->v == x->v) return 0;
    json_array_append_new(
        w->counts, aid_count_entry(x->day, x->crossing, x->category, x->v, had ? &had->v : NULL));
    return json_array_size(w->counts) < AID_COUNTS_PER_EVENT ? 0 : flush(s, w, e);
}

/* The file is the source's whole count for its days: every sum recorded unless the store
 * has it already, and what the store has on those days that the file no longer gives set
 * to 0. */
static int write_sums(store *s, void *cls, tr_err *e)
{
    write_job *w = cls;
    imp *p = w->p;
    held h = {p, NULL, 0, 0};
    p->res->changed = 0;
    int rc = aid_store(s)->count_scan(s, p->sums[0].day, p->sums[p->n_sums - 1].day, p->spec->basis,
                                      "", "", held_cb, &h, e);
    if (rc == 0 && h.n) qsort(h.rows, h.n, sizeof *h.rows, cmp_sum);
    w->counts = json_array();
    for (size_t i = 0; rc == 0 && i < p->n_sums; i++) {
        const struct sum *had =
            h.n ? bsearch(&p->sums[i], h.rows, h.n, sizeof *h.rows, cmp_sum) : NULL;
        rc = record(s, w, &p->sums[i], had, e);
    }
    for (size_t i = 0; rc == 0 && i < h.n; i++) {
        struct sum gone = h.rows[i];
        gone.v = 0;
        if (h.rows[i].v != 0 && !bsearch(&h.rows[i], p->sums, p->n_sums, sizeof *p->sums, cmp_sum))
            rc = record(s, w, &gone, &h.rows[i], e);
    }
    if (rc == 0) rc = flush(s, w, e);
    json_decref(w->counts);
    free(h.rows);
    return rc;
}

int aid_import_counts(store *s, const journal_actor *who, FILE *in, int64_t size,
                      const aid_import_spec *spec,
                      void (*progress)(void *cls, int64_t rows, int64_t bytes, int64_t total),
                      void *progress_cls, aid_import_result *out, tr_err *e)
{
    imp p = {.s = s, .spec = spec, .e = e, .res = out, .in_header = 1, .line = 1};
    struct csv_parser csv;
    char chunk[65536];
    int64_t bytes = 0;
    size_t n;
    int rc = -1;
    memset(out, 0, sizeof *out);
    out->rejects = json_array();
    out->names = json_pack("{s:{}, s:{}}", "crossing", "category");
    p.map_crossing = json_object();
    p.map_category = json_object();
    p.crossings = json_object();
    if (!aid_is_name(spec->source) || strcmp(spec->source, "truce") == 0) {
        err_field(e, "request.invalid_field", "source",
                  "the publisher's name: lowercase letters, digits, '_' and '-' (not truce)",
                  "'%s' cannot name a source", spec->source);
        goto out;
    }
    if (!aid_is_name(spec->basis)) {
        err_field(e, "request.invalid_field", "basis",
                  "lowercase letters, digits, '_' and '-', e.g. trucks_entered",
                  "'%s' cannot name a basis", spec->basis);
        goto out;
    }
    if (parse_map(spec->map_crossing, "map-crossing", p.map_crossing, e) ||
        parse_map(spec->map_category, "map-category", p.map_category, e))
        goto out;
    const char *k;
    json_t *v;
    json_object_foreach(p.map_category, k, v) if (!aid_is_category(json_string_value(v)))
    {
        err_field(e, "request.invalid_field", "map-category",
                  "food, fuel, shelter, health, wash, nutrition, education or other",
                  "'%s' is not a category", json_string_value(v));
        goto out;
    }
    if (aid_store(s)->crossing_list(s, crossing_cb, p.crossings, e)) goto out;
    json_object_foreach(p.map_crossing, k, v)
    {
        char key[STORE_NAME_MAX];
        norm(json_string_value(v), key, sizeof key);
        if (!json_object_get(p.crossings, key)) {
            err_field(e, "request.invalid_field", "map-crossing",
                      "a crossing of the deployment (truce crossings: GET /api/v1/crossings)",
                      "no crossing '%s'", json_string_value(v));
            goto out;
        }
    }
    if (csv_init(&csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL | CSV_REPALL_NL) != 0)
        abort();
    while (!p.failed && (n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        size_t skip = bytes == 0 && n >= 3 && memcmp(chunk, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
        if (csv_parse(&csv, chunk + skip, n - skip, on_field, on_row, &p) != n - skip &&
            !p.failed) {
            char why[128];
            snprintf(why, sizeof why, "line %lld: %s", (long long)p.line,
                     csv_strerror(csv_error(&csv)));
            bad_file(&p, "check the quoting and the delimiter of that line", why);
        }
        bytes += (int64_t)n;
        if (progress) progress(progress_cls, out->rows, bytes, size);
    }
    if (!p.failed && ferror(in))
        bad_file(&p, "check the file (a download cut short?)", "the file could not be read");
    if (!p.failed && csv_fini(&csv, on_field, on_row, &p) != 0)
        bad_file(&p, "check the quoting near the end of the file",
                 "the file ends inside a quoted field");
    csv_free(&csv);
    if (!p.failed && p.in_header)
        bad_file(&p, "export the file with its header row", "the file has no header row");
    if (!p.failed && p.n_sums == 0)
        bad_file(&p, "check --date-column and the rows rejected",
                 "no row of the file could be counted");
    if (p.failed) goto out;
    /* Sum the rows by day, crossing and category. */
    qsort(p.sums, p.n_sums, sizeof *p.sums, cmp_sum);
    size_t m = 0;
    for (size_t i = 0; i < p.n_sums; i++) {
        if (m && cmp_sum(&p.sums[m - 1], &p.sums[i]) == 0)
            p.sums[m - 1].v += p.sums[i].v;
        else
            p.sums[m++] = p.sums[i];
    }
    p.n_sums = m;
    out->counts = (int64_t)m;
    write_job w = {&p, who, NULL};
    rc = spec->in_txn ? write_sums(s, &w, e) : store_txn(s, write_sums, &w, e);
out:
    json_decref(p.map_crossing);
    json_decref(p.map_category);
    json_decref(p.crossings);
    buf_free(&p.row);
    free(p.offs);
    free(p.sums);
    return rc;
}
