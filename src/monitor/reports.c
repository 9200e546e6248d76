/* reports.c - filing reports; see reports.h. */
#include "monitor/reports.h"
#include "monitor/store.h"

#include "core/buf.h"

#include "monitor/acled.h"
#include "monitor/evidence.h"
#include "monitor/zindex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ACLED's interaction codes: the kind of each actor, by name. */
static const char *const acled_actor_types[] = {
    "State forces", "Rebel group", "Political militia", "Identity militia",
    "Rioters",      "Protesters",  "Civilians",         "External/Other forces",
    NULL,
};

static const jsx_field source_fields[] = {
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "url", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 8, .max = 2048},
    {.name = "reliability", .type = JSX_STRING, .min = 1, .max = 1},
    {.name = "credibility", .type = JSX_INT, .min = 1, .max = 6},
    {0},
};

static const jsx_field source_item[] = {{.name = "", .type = JSX_OBJECT, .fields = source_fields},
                                        {0}};

static const jsx_field witness_fields[] = {
    {.name = "name", .type = JSX_STRING, .min = 1, .max = 256},
    {.name = "contact", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},
    {.name = "statement", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 20000},
    {0},
};

static const jsx_field witness_item[] = {{.name = "", .type = JSX_OBJECT, .fields = witness_fields},
                                         {0}};

static const jsx_field hash_item[] = {{.name = "", .type = JSX_STRING, .min = 64, .max = 64}, {0}};

/* The fields of a report, shared by a report and an incident opened from one. */
/* clang-format off */
#define REPORT_FIELD_LIST                                                                          \
    {.name = "event_date", .type = JSX_STRING, .min = 10, .max = 10},                              \
    {.name = "time_precision", .type = JSX_INT, .min = 1, .max = 3},                               \
    {.name = "time_of_day", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 5, .max = 5},        \
    {.name = "event_type", .type = JSX_STRING, .min = 1, .max = 64},                               \
    {.name = "sub_event_type", .type = JSX_STRING, .min = 1, .max = 64},                           \
    {.name = "actor1", .type = JSX_STRING, .min = 1, .max = 256},                                  \
    {.name = "actor2", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},                     \
    {.name = "inter1",                                                                             \
    .type = JSX_STRING,                                                                            \
    .flags = JSX_OPTIONAL,                                                                         \
    .max = 64,                                                                                     \
    .oneof = acled_actor_types},                                                                   \
    {.name = "inter2",                                                                             \
    .type = JSX_STRING,                                                                            \
    .flags = JSX_OPTIONAL,                                                                         \
    .max = 64,                                                                                     \
    .oneof = acled_actor_types},                                                                   \
    {.name = "latitude", .type = JSX_NUMBER, .min = -90, .max = 90},                               \
    {.name = "longitude", .type = JSX_NUMBER, .min = -180, .max = 180},                            \
    {.name = "geo_precision", .type = JSX_INT, .min = 1, .max = 3},                                \
    {.name = "location", .type = JSX_STRING, .min = 1, .max = 256},                                \
    {.name = "admin1", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},                     \
    {.name = "admin2", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 256},                     \
    {.name = "fatalities", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 0, .max = 1000000},      \
    {.name = "injured", .type = JSX_INT, .flags = JSX_OPTIONAL, .min = 0, .max = 1000000},         \
    {.name = "civilian_targeting", .type = JSX_BOOL, .flags = JSX_OPTIONAL},                       \
    {.name = "notes", .type = JSX_STRING, .flags = JSX_OPTIONAL, .max = 20000},                    \
    {.name = "sources",                                                                            \
    .type = JSX_ARRAY,                                                                             \
    .flags = JSX_OPTIONAL,                                                                         \
    .max = 50,                                                                                     \
    .items = source_item},                                                                         \
    {.name = "violates", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 50},                     \
    {.name = "evidence",                                                                           \
    .type = JSX_ARRAY,                                                                             \
    .flags = JSX_OPTIONAL,                                                                         \
    .max = 50,                                                                                     \
    .items = hash_item}, /* Monitors only: never in the report's document, journaled apart         \
    (report_private). */                                                                           \
    {.name = "witnesses",                                                                          \
    .type = JSX_ARRAY,                                                                             \
    .flags = JSX_OPTIONAL,                                                                         \
    .max = 50,                                                                                     \
    .items = witness_item},                                                                        \
    {.name = "private", .type = JSX_OBJECT, .flags = JSX_OPTIONAL},
/* clang-format on */

const jsx_field report_fields[] = {REPORT_FIELD_LIST{0}};

/* A report's fields, and the reports merged into the new incident. */
const jsx_field incident_open_fields[] = {
    REPORT_FIELD_LIST{.name = "reports", .type = JSX_ARRAY, .flags = JSX_OPTIONAL, .max = 100},
    {0},
};

const char *const report_private_keys[] = {"witnesses", "private", NULL};

static int bad(tr_err *e, const char *field, const char *hint, const char *why)
{
    return err_field(e, "request.invalid_field", field, hint, "%s %s", field, why);
}

/* A calendar date, YYYY-MM-DD, not after today (UTC). */
static int check_date(const char *d, tr_err *e)
{
    char today[11];
    if (!util_is_date(d))
        return bad(e, "event_date", "write the date as YYYY-MM-DD", "is not a calendar date");
    util_day_at(util_unix_s(), today);
    if (strcmp(d, today) > 0)
        return bad(e, "event_date", "reports are of events that have happened", "is in the future");
    return 0;
}

static int check_sources(const json_t *sources, tr_err *e)
{
    size_t i;
    const json_t *src;
    json_array_foreach(sources, i, src)
    {
        const char *rel = jsx_str(src, "reliability", ""), *url = jsx_str(src, "url", NULL);
        if (rel[0] < 'A' || rel[0] > 'F' || rel[1])
            return bad(e, "sources.reliability",
                       "grade a source A (reliable) to F (cannot be "
                       "judged)",
                       "must be a letter from A to F");
        if (url && strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
            return bad(e, "sources.url", "give an http:// or https:// address",
                       "is not a web address");
    }
    return 0;
}

/* Evidence is named by hashes of files already uploaded (POST /api/v1/evidence). */
static int check_evidence(store *s, const json_t *hashes, const char *org, tr_err *e)
{
    size_t i;
    const json_t *h;
    json_array_foreach(hashes, i, h)
    {
        store_evidence ev;
        int rc;
        if (!evidence_hash_valid(json_string_value(h)))
            return bad(e, "evidence", "name each file by its SHA-256 in lowercase hex",
                       "must hold SHA-256 hashes");
        if ((rc = monitor_store(s)->evidence_get(s, json_string_value(h), org, &ev, e)) < 0)
            return -1;
        if (rc == 0)
            return err_field(e, "request.invalid_field", "evidence",
                             "upload the file first with POST /api/v1/evidence",
                             "there is no evidence file %s that you uploaded",
                             json_string_value(h));
    }
    return 0;
}

static int check_violates(const json_t *refs, tr_err *e)
{
    size_t i;
    const json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        size_t n = json_string_length(ref);
        if (!json_is_string(ref) || n == 0 || n > 256)
            return bad(e, "violates",
                       "list the agreement terms as short references, e.g. "
                       "\"1.2\"",
                       "must hold strings of 1 to 256 bytes");
    }
    return 0;
}

json_t *report_prepare(store *s, const json_t *in, const char *const *drop, const char *cites_as,
                       tr_err *e)
{
    const char *tod = jsx_str(in, "time_of_day", NULL);
    zone_index *zi;
    json_t *doc, *tags;
    const char *slugs[16];
    size_t n;

    if (check_date(jsx_str(in, "event_date", ""), e)) return NULL;
    if (tod && (tod[2] != ':' || tod[0] < '0' || tod[0] > '2' || tod[1] < '0' || tod[1] > '9' ||
                tod[3] < '0' || tod[3] > '5' || tod[4] < '0' || tod[4] > '9' ||
                (tod[0] == '2' && tod[1] > '3')))
        return bad(e, "time_of_day", "write the time as HH:MM, 24-hour, local", "is not a time"),
               NULL;
    if (!acled_valid_type(jsx_str(in, "event_type", ""), jsx_str(in, "sub_event_type", "")))
        return bad(e, "sub_event_type", "use one of ACLED's 6 event types and 25 sub-types",
                   "is not an ACLED event type and sub-type"),
               NULL;
    if (check_sources(json_object_get(in, "sources"), e) ||
        check_violates(json_object_get(in, "violates"), e) ||
        check_evidence(s, json_object_get(in, "evidence"), cites_as, e) ||
        !(zi = zone_index_cached(s, e)))
        return NULL;
    n = zone_index_find(zi, jsx_num(in, "longitude", 0), jsx_num(in, "latitude", 0), slugs, 16);
    tags = json_array();
    for (size_t i = 0; i < n && i < 16; i++)
        json_array_append_new(tags, json_string(slugs[i]));

    doc = json_deep_copy(in);
    for (; drop && *drop; drop++)
        json_object_del(doc, *drop);
    for (const char *const *k = report_private_keys; *k; k++)
        json_object_del(doc, *k);
    /* admin1 and admin2 from the zones when the reporter left them out: a zone of kind
     * "admin1" or "region" names admin1; "governorate" or "admin2" names admin2. */
    for (size_t i = 0; i < n && i < 16; i++) {
        const char *kind = "", *name = zone_index_name(zi, slugs[i], &kind);
        const char *key = strcmp(kind, "admin1") == 0 || strcmp(kind, "region") == 0 ? "admin1"
                          : strcmp(kind, "governorate") == 0 || strcmp(kind, "admin2") == 0
                              ? "admin2"
                              : NULL;
        if (name && key && !json_object_get(doc, key))
            json_object_set_new(doc, key, json_string(name));
    }
    json_object_set_new(doc, "zones", tags);
    if (!json_object_get(doc, "fatalities"))
        json_object_set_new(doc, "fatalities", json_integer(0));
    if (!json_object_get(doc, "sources")) json_object_set_new(doc, "sources", json_array());
    return doc;
}

int report_outside_zones(store *s, double lon, double lat, tr_err *e)
{
    zone_index *zi = zone_index_cached(s, e);
    const char *slug;
    if (!zi) return -1;
    return zone_index_count(zi) > 0 && zone_index_find(zi, lon, lat, &slug, 1) == 0;
}

json_t *report_outside_warning(double lon, double lat)
{
    char msg[160];
    snprintf(msg, sizeof msg,
             "latitude %.6g, longitude %.6g lies outside every zone of this "
             "deployment",
             lat, lon);
    return json_pack("{s:s, s:s, s:s}", "code", "place.outside_zones", "field", "latitude",
                     "message", msg);
}

int report_outside_error(double lon, double lat, tr_err *e)
{
    return err_field(e, "place.outside_zones", "latitude",
                     "check the coordinates (WGS84 latitude, longitude), or ask an "
                     "administrator to add the zone",
                     "latitude %.6g, longitude %.6g lies outside every zone of this "
                     "deployment",
                     lat, lon);
}

void report_audience(const char *org, char *vis, size_t cap)
{
    if (strcmp(org, REPORT_PUBLIC) == 0)
        snprintf(vis, cap, "kind:monitor kind:mediator");
    else
        snprintf(vis, cap, "kind:monitor kind:mediator org:%s", org);
}

int report_key_valid(const char *key)
{
    size_t n = strlen(key);
    return n >= 1 && n <= 100 &&
           strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

int report_record(store *s, const journal_actor *who, const char *org, const json_t *in,
                  const char *doc, const char *key, const char *request_sha256, int64_t *id,
                  char time[UTIL_ISO_LEN], tr_err *e)
{
    char vis[128];
    buf body = BUF_INIT;
    int rc;
    if (monitor_store(s)->report_next_id(s, id, e)) return -1;
    /* The private fields first: a write's receipt is for its last event, which must be
     * one the filer may read. */
    if (report_private(s, who, "report", *id, in, e)) return -1;
    /* {"doc":...,["idempotency_key":...,]"org":...,"report":N[,"request_sha256":...]}: keys
     * in byte order, as jsx_canonical writes them. */
    buf_puts(&body, "{\"doc\":");
    buf_puts(&body, doc);
    if (key) {
        buf_puts(&body, ",\"idempotency_key\":");
        jsx_put_string(&body, key);
    }
    buf_puts(&body, ",\"org\":");
    jsx_put_string(&body, org);
    buf_printf(&body, ",\"report\":%lld", (long long)*id);
    if (key) {
        buf_puts(&body, ",\"request_sha256\":");
        jsx_put_string(&body, request_sha256);
    }
    buf_puts(&body, "}");
    report_audience(org, vis, sizeof vis);
    rc = journal_record_canonical(s, who, "report.filed", body.p, vis, time, e);
    buf_free(&body);
    /* What the projection of report.filed does (journal/project.c, on_report). */
    if (rc == 0)
        rc = monitor_store(s)->report_insert(s, *id, org, doc, time, key, request_sha256,
                                             journal_last_seq(s), e);
    return rc;
}

int report_file(store *s, const journal_actor *who, const char *org, const json_t *in, int64_t *id,
                tr_err *e)
{
    char time[UTIL_ISO_LEN];
    json_t *doc = report_prepare(s, in, NULL, org, e);
    if (!doc) return -1;
    char *canon = jsx_canonical(doc, NULL);
    int rc = report_record(s, who, org, in, canon, NULL, NULL, id, time, e);
    free(canon);
    json_decref(doc);
    return rc;
}

void monitor_subject(char out[MONITOR_SUBJECT_LEN], const char *kind, int64_t id)
{
    snprintf(out, MONITOR_SUBJECT_LEN, "%s:%lld", kind, (long long)id);
}

int report_private(store *s, const journal_actor *who, const char *kind, int64_t id,
                   const json_t *in, tr_err *e)
{
    json_t *fields = json_object();
    char subject[MONITOR_SUBJECT_LEN];
    int rc = 0;
    monitor_subject(subject, kind, id);
    for (const char *const *k = report_private_keys; *k; k++)
        if (json_object_get(in, *k)) json_object_set(fields, *k, json_object_get(in, *k));
    if (json_object_size(fields)) {
        json_t *body = json_pack("{s:s, s:O}", "subject", subject, "fields", fields);
        rc = journal_record(s, who, "private.fields", body, "kind:monitor", NULL, e);
        json_decref(body);
    }
    json_decref(fields);
    return rc;
}
