/* incidents.c - the verification workflow; see incidents.h. */
#include "monitor/incidents.h"
#include "monitor/store.h"
#include "accounts/store.h"
#include "accounts/accounts.h"
#include "monitor/acled.h"
#include "monitor/export.h"

#include "monitor/reports.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const jsx_field *incident_fields(void)
{
    return incident_open_fields;
}

const jsx_field transition_fields[] = {
    {.name = "to", .type = JSX_STRING, .min = 1, .max = 32},
    {.name = "reason", .type = JSX_STRING, .min = 1, .max = 4000},
    {.name = "assignee", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 64},
    {0},
};

const jsx_field merge_fields[] = {
    {.name = "into", .type = JSX_INT, .min = 1, .max = 9007199254740991.0},
    {.name = "reason", .type = JSX_STRING, .min = 1, .max = 4000},
    {0},
};

const jsx_field dismiss_fields[] = {
    {.name = "candidate", .type = JSX_INT, .min = 1, .max = 9007199254740991.0},
    {.name = "reason", .type = JSX_STRING, .min = 1, .max = 4000},
    {0},
};

const jsx_field dispute_fields[] = {
    {.name = "reason", .type = JSX_STRING, .min = 1, .max = 4000},
    {0},
};

static const struct move {
    const char *from, *to;
    int roles; /* who may: INC_* */
} moves[] = {
    {"reported", "under_investigation", INC_MONITOR},
    {"under_investigation", "verified", INC_MONITOR},
    {"under_investigation", "not_verified", INC_MONITOR},
    {"under_investigation", "false", INC_MONITOR},
    {"reported", "duplicate", INC_MONITOR},            /* through POST .../merge */
    {"under_investigation", "duplicate", INC_MONITOR}, /* likewise */
    {"disputed", "upheld", INC_MONITOR | INC_MEDIATOR},
    {"disputed", "overturned", INC_MONITOR | INC_MEDIATOR},
};

typedef struct one_incident {
    int64_t id, merged_into;
    char status[32];
    char *doc;
    int found;
    int damaged; /* its stored row does not split (export_damaged) */
} one_incident;

static int read_one(void *cls, const void *row)
{
    one_incident *o = cls;
    const store_incident_row *r = row;
    if (r->id != o->id) return 1; /* the list starts after id - 1: a later one */
    buf tmp = BUF_INIT;
    snprintf(o->status, sizeof o->status, "%s", r->status);
    const char *doc = export_incident_doc(r, &tmp);
    o->damaged = !doc;
    o->doc = doc ? strdup(doc) : NULL;
    buf_free(&tmp);
    o->merged_into = r->merged_into;
    o->found = 1;
    return 1;
}

int incident_read(store *s, int64_t id, char status[32], char **doc, int64_t *merged_into,
                  tr_err *e)
{
    store_incident_filter f = {0};
    one_incident o = {id, 0, {0}, NULL, 0, 0};
    *doc = NULL;
    if (id < 1) return 0;
    if (monitor_store(s)->incident_list(s, &f, id - 1, 1, read_one, &o, e)) return -1;
    if (o.damaged) return export_damaged(id, e);
    if (!o.found) return 0;
    memcpy(status, o.status, 32);
    *doc = o.doc;
    if (merged_into) *merged_into = o.merged_into;
    return 1;
}

double incident_snap(double v, double grid)
{
    return round((floor(v / grid) + 0.5) * grid * 1e6) / 1e6;
}

void incident_coarsen(json_t *doc, double grid)
{
    if (!(grid > 0)) return;
    json_object_set_new(doc, "latitude",
                        json_real(incident_snap(jsx_num(doc, "latitude", 0), grid)));
    json_object_set_new(doc, "longitude",
                        json_real(incident_snap(jsx_num(doc, "longitude", 0), grid)));
    json_object_set_new(doc, "coarsened_to", json_real(grid));
}

/* The integer cells whose centres lie in [lo, hi], as the half-open band of coordinates
 * [*from, *to) they cover (to is then the largest value below it). */
static void cell_band(double lo, double hi, double grid, double *from, double *to)
{
    double k1 = ceil(lo / grid - 0.5), k2 = floor(hi / grid - 0.5);
    *from = k1 * grid;
    *to = nextafter((k2 + 1) * grid, -INFINITY);
}

void incident_grid_bbox(store_incident_filter *f, double grid)
{
    if (!(grid > 0) || !f->has_bbox) return;
    cell_band(f->west, f->east, grid, &f->west, &f->east);
    cell_band(f->south, f->north, grid, &f->south, &f->north);
}

int incident_status_public(const char *status)
{
    return strcmp(status, "verified") == 0 || strcmp(status, "disputed") == 0 ||
           strcmp(status, "upheld") == 0;
}

int incident_filter_check(store *s, const store_incident_filter *f, tr_err *e)
{
    static const char *const statuses[] = {"reported",   "under_investigation",
                                           "verified",   "not_verified",
                                           "false",      "duplicate",
                                           "disputed",   "upheld",
                                           "overturned", NULL};
    int known = !f->status;
    for (int k = 0; !known && statuses[k]; k++)
        known = strcmp(statuses[k], f->status) == 0;
    if (!known)
        return err_field(e, "request.invalid_param", "status",
                         "one of reported, under_investigation, verified, not_verified, false,"
                         " duplicate, disputed, upheld, overturned",
                         "'%s' is not an incident status", f->status);
    if (f->event_type && !acled_valid_event_type(f->event_type))
        return err_field(e, "request.invalid_param", "event_type",
                         "one of ACLED's: Battles, Explosions/Remote violence, Violence against"
                         " civilians, Protests, Riots, Strategic developments",
                         "'%s' is not an ACLED event type", f->event_type);
    if (f->date_from && !util_is_date(f->date_from))
        return err_field(e, "request.invalid_param", "from", "write the date as YYYY-MM-DD",
                         "'%s' is not a calendar date", f->date_from);
    if (f->date_to && !util_is_date(f->date_to))
        return err_field(e, "request.invalid_param", "to", "write the date as YYYY-MM-DD",
                         "'%s' is not a calendar date", f->date_to);
    if (f->date_from && f->date_to && strcmp(f->date_from, f->date_to) > 0)
        return err_field(e, "request.invalid_param", "to", "swap them: from is the earlier day",
                         "the range ends (%s) before it starts (%s)", f->date_to, f->date_from);
    if (f->actor && (!f->actor[0] || strlen(f->actor) > 256))
        return err_field(e, "request.invalid_param", "actor",
                         "give an actor's name as ACLED writes it, e.g. Hamas Movement",
                         "actor must be 1 to 256 characters");
    if (f->zone) {
        int rc = util_is_slug(f->zone) ? monitor_store(s)->zone_exists(s, f->zone, e) : 0;
        if (rc < 0) return -1;
        if (rc == 0)
            return err_field(e, "request.invalid_param", "zone",
                             "GET /api/v1/zones lists this deployment's zones",
                             "there is no zone '%s'", f->zone);
    }
    return 0;
}

static int not_found(tr_err *e, int64_t id)
{
    return err_set(e, 404, "incident.not_found", "list incidents with GET /api/v1/incidents",
                   "there is no incident %lld", (long long)id);
}

/* An event's Idempotency-Key and request hash, when the request came with a key. */
static void with_key(json_t *body, const char *key, const char *request_sha256)
{
    if (!key) return;
    json_object_set_new(body, "idempotency_key", json_string(key));
    json_object_set_new(body, "request_sha256", json_string(request_sha256));
}

int incident_open(store *s, const journal_actor *who, const json_t *in, const char *key,
                  const char *request_sha256, int64_t *id, tr_err *e)
{
    static const char *const drop[] = {"reports", NULL};
    const json_t *reports = json_object_get(in, "reports"), *r;
    size_t i;
    json_t *doc, *body;
    int rc;

    json_array_foreach(reports, i, r)
    {
        store_report rep = {0};
        if (!json_is_integer(r) || json_integer_value(r) < 1)
            return err_field(e, "request.invalid_field", "reports", "list report numbers",
                             "reports must hold report numbers");
        rc = monitor_store(s)->report_get(s, json_integer_value(r), &rep, e);
        free(rep.doc);
        if (rc < 0) return -1;
        if (rc == 0)
            return err_field(e, "request.invalid_field", "reports", "check the report numbers",
                             "there is no report %lld", (long long)json_integer_value(r));
        if (strcmp(rep.status, "filed") != 0)
            return err_set(e, 409, "report.merged", "a report joins one incident only",
                           "report %lld is already merged into incident %lld", (long long)rep.id,
                           (long long)rep.incident);
    }
    if (!(doc = report_prepare(s, in, drop, NULL, e))) return -1; /* a monitor's */
    if (monitor_store(s)->incident_next_id(s, id, e)) {
        json_decref(doc);
        return -1;
    }
    /* private fields first: the receipt is for the last event */
    if (report_private(s, who, "incident", *id, in, e)) {
        json_decref(doc);
        return -1;
    }
    body = json_pack("{s:I, s:o, s:s, s:s, s:o}", "id", (json_int_t)*id, "incident", doc, "status",
                     "reported", "provenance", "monitor", "reports",
                     reports ? json_deep_copy(reports) : json_array());
    with_key(body, key, request_sha256); /* so that a retry finds it, after a rebuild too */
    rc = journal_record(s, who, "incident.opened", body, "kind:monitor kind:mediator", NULL, e);
    json_decref(body);
    return rc;
}

static int conflict(tr_err *e, const char *status, const char *to)
{
    char allowed[256] = "";
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
        if (strcmp(moves[i].from, status) == 0) {
            if (allowed[0]) strncat(allowed, ", ", sizeof allowed - strlen(allowed) - 1);
            strncat(allowed, moves[i].to, sizeof allowed - strlen(allowed) - 1);
        }
    if (strcmp(status, "verified") == 0)
        strcpy(allowed, "disputed (by a party it names, "
                        "through POST .../disputes)");
    return err_set(e, 409, "incident.bad_transition",
                   allowed[0] ? "choose one of the allowed moves" : "this status is final",
                   "an incident that is %s cannot become %s; allowed: %s", status, to,
                   allowed[0] ? allowed : "none");
}

static int record_move(store *s, const journal_actor *who, int64_t id, const char *from,
                       const char *to, const json_t *in, const char *key,
                       const char *request_sha256, tr_err *e)
{
    /* The public sees verified incidents, so it sees how they got there and what became
     * of them; the rest of the workflow is for monitors and mediators. */
    int open = strcmp(to, "verified") == 0 || strcmp(from, "verified") == 0 ||
               strcmp(from, "disputed") == 0;
    json_t *body = json_pack("{s:I, s:s, s:s, s:s}", "incident", (json_int_t)id, "from", from, "to",
                             to, "reason", jsx_str(in, "reason", ""));
    if (jsx_str(in, "assignee", NULL))
        json_object_set_new(body, "assignee", json_string(jsx_str(in, "assignee", NULL)));
    with_key(body, key, request_sha256);
    int rc = journal_record(s, who, "incident.transition", body,
                            open ? "public" : "kind:monitor kind:mediator", NULL, e);
    json_decref(body);
    return rc;
}

/* An assignee is a user of a monitoring organization: an investigation assigned to a
 * name nobody has, or to a party's user, is a 400 naming `assignee`. */
static int check_assignee(store *s, const char *name, tr_err *e)
{
    store_user u;
    int rc = accounts_store(s)->user_get(s, name, &u, e);
    if (rc < 0) return -1;
    if (rc == 0)
        return err_field(e, "request.invalid_field", "assignee",
                         "name the monitor who will investigate, by user name",
                         "there is no user '%s'", name);
    if (strcmp(u.org_kind, "monitor") != 0)
        return err_field(
            e, "request.invalid_field", "assignee", "name a user of a monitoring organization",
            "'%s' is a user of %s, a %s organization, not a monitor", name, u.org, u.org_kind);
    return 0;
}

int incident_transition(store *s, const journal_actor *who, int roles, int64_t id, const json_t *in,
                        const char *key, const char *request_sha256, tr_err *e)
{
    const char *to = jsx_str(in, "to", "");
    char status[32];
    char *doc;
    int rc = incident_read(s, id, status, &doc, NULL, e);
    if (rc <= 0) return rc < 0 ? -1 : not_found(e, id);
    free(doc);
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        if (strcmp(moves[i].from, status) != 0 || strcmp(moves[i].to, to) != 0) continue;
        if (!(moves[i].roles & roles))
            return err_set(e, 403, "auth.forbidden",
                           moves[i].roles & INC_MEDIATOR ? "mediators or monitors decide this"
                                                         : "monitors investigate incidents",
                           "you may not move an incident from %s to %s", status, to);
        if (strcmp(to, "duplicate") == 0)
            return err_set(e, 409, "incident.use_merge",
                           "POST /api/v1/incidents/{id}/merge with {\"into\", \"reason\"}",
                           "an incident becomes a duplicate by merging it into another");
        const char *assignee = jsx_str(in, "assignee", NULL);
        if (strcmp(to, "under_investigation") == 0 && !assignee)
            return err_field(e, "request.missing_field", "assignee",
                             "name the monitor who will investigate",
                             "an investigation needs an assignee");
        if (assignee && check_assignee(s, assignee, e)) return -1;
        return record_move(s, who, id, status, to, in, key, request_sha256, e);
    }
    return conflict(e, status, to);
}

/* An incident something may be merged into: one that exists and is not a duplicate; else
 * a 400 naming `into`. */
static int merge_target(store *s, int64_t into, const char *hint, tr_err *e)
{
    char status[32];
    char *doc;
    int64_t chain;
    int rc = incident_read(s, into, status, &doc, &chain, e);
    if (rc < 0) return -1;
    free(doc);
    if (rc == 0)
        return err_field(e, "request.invalid_field", "into", hint,
                         "there is no incident %lld to merge into", (long long)into);
    if (strcmp(status, "duplicate") == 0)
        return err_field(e, "request.invalid_field", "into",
                         "merge into the incident it is a duplicate of",
                         "incident %lld is itself a duplicate of incident %lld", (long long)into,
                         (long long)chain);
    return 0;
}

int incident_merge(store *s, const journal_actor *who, int64_t id, const json_t *in,
                   const char *key, const char *request_sha256, tr_err *e)
{
    char status[32];
    char *doc;
    int64_t into = (int64_t)json_integer_value(json_object_get(in, "into"));
    int rc = incident_read(s, id, status, &doc, NULL, e);
    if (rc <= 0) return rc < 0 ? -1 : not_found(e, id);
    free(doc);
    if (into == id)
        return err_field(e, "request.invalid_field", "into", "name another incident",
                         "an incident cannot be merged into itself");
    if (merge_target(s, into, "list incidents with GET /api/v1/incidents", e)) return -1;
    if (strcmp(status, "reported") != 0 && strcmp(status, "under_investigation") != 0)
        return conflict(e, status, "duplicate");
    json_t *body =
        json_pack("{s:I, s:s, s:s, s:I, s:s}", "incident", (json_int_t)id, "from", status, "to",
                  "duplicate", "into", (json_int_t)into, "reason", jsx_str(in, "reason", ""));
    with_key(body, key, request_sha256);
    rc = journal_record(s, who, "incident.transition", body, "kind:monitor kind:mediator", NULL, e);
    json_decref(body);
    return rc;
}

int incident_dispute(store *s, const journal_actor *who, const char *org, int64_t id,
                     const json_t *in, const char *key, const char *request_sha256, tr_err *e)
{
    char status[32];
    char *doc;
    store_org o;
    int rc = incident_read(s, id, status, &doc, NULL, e);
    if (rc <= 0) return rc < 0 ? -1 : not_found(e, id);
    json_t *d = json_loads(doc, 0, NULL);
    free(doc);
    rc = accounts_store(s)->org_get(s, org, &o, e);
    if (rc != 1) {
        json_decref(d);
        return rc < 0 ? -1 : err_set(e, 403, "auth.forbidden", NULL, "unknown organization");
    }
    /* Named exactly: by one of the actors that stand for it (PUT /api/v1/orgs/{slug}/actors),
     * or by its own name or slug; never by a part of a longer name. */
    int named = acct_org_named_by(s, &o, jsx_str(d, "actor1", ""), e);
    if (named == 0) named = acct_org_named_by(s, &o, jsx_str(d, "actor2", ""), e);
    json_decref(d);
    if (named < 0) return -1;
    if (!named)
        return err_set(e, 403, "auth.forbidden",
                       "a party may dispute only incidents whose actor1 or actor2 is one of its "
                       "actors (GET /api/v1/orgs/{slug} lists them)",
                       "incident %lld does not name %s", (long long)id, o.name);
    if (strcmp(status, "verified") != 0)
        return err_set(e, 409, "incident.bad_transition", "only verified incidents are disputed",
                       "an incident that is %s cannot be disputed; allowed: none", status);
    return record_move(s, who, id, status, "disputed", in, key, request_sha256, e);
}

/* ---- possible duplicates ------------------------------------------------------------- */

typedef struct dup_scan {
    int64_t self;
    double lat, lon, km;
    time_t day;
    json_t *found;
    int64_t damaged; /* a candidate whose stored row does not split */
} dup_scan;

static double haversine_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0088, rad = M_PI / 180;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(fmin(1, sqrt(a)));
}

static time_t day_of(const char *date)
{
    struct tm tm = {0};
    if (sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_hour = 12;
    return timegm(&tm);
}

static int dup_cb(void *cls, const void *row)
{
    dup_scan *d = cls;
    const store_incident_row *r = row;
    if (r->id == d->self) return 0;
    buf tmp = BUF_INIT;
    const char *text = export_incident_doc(r, &tmp);
    if (!text) {
        buf_free(&tmp);
        d->damaged = r->id; /* duplicates_of replies store.damaged */
        return 1;
    }
    json_t *doc = json_loads(text, 0, NULL);
    buf_free(&tmp);
    double km =
        haversine_km(d->lat, d->lon, jsx_num(doc, "latitude", 0), jsx_num(doc, "longitude", 0));
    if (km <= d->km) {
        long days = labs((long)((day_of(jsx_str(doc, "event_date", "")) - d->day) / 86400));
        json_array_append_new(
            d->found, json_pack("{s:I, s:s, s:s, s:s, s:f, s:i}", "id", (json_int_t)r->id, "status",
                                r->status, "event_date", jsx_str(doc, "event_date", ""), "location",
                                jsx_str(doc, "location", ""), "distance_km",
                                round(km * 1000) / 1000, "days_apart", (int)days));
    }
    json_decref(doc);
    return 0;
}

static int by_distance(const void *a, const void *b)
{
    double x = json_real_value(json_object_get(*(json_t *const *)a, "distance_km"));
    double y = json_real_value(json_object_get(*(json_t *const *)b, "distance_km"));
    json_int_t i = json_integer_value(json_object_get(*(json_t *const *)a, "id"));
    json_int_t j = json_integer_value(json_object_get(*(json_t *const *)b, "id"));
    if (x != y) return x < y ? -1 : 1;
    return (i > j) - (i < j);
}

/* Incidents like `doc` (same type, within km and days), but `self` and those dismissed
 * for `subject`, nearest first. */
static json_t *duplicates_of(store *s, json_t *doc, const char *subject, int64_t self, double km,
                             int days, size_t max, tr_err *e)
{
    char from[11], to[11];
    int rc;
    dup_scan d = {self,
                  jsx_num(doc, "latitude", 0),
                  jsx_num(doc, "longitude", 0),
                  km,
                  day_of(jsx_str(doc, "event_date", "")),
                  json_array(),
                  0};
    time_t lo = d.day - (time_t)days * 86400, hi = d.day + (time_t)days * 86400;
    util_day_at(lo, from);
    util_day_at(hi, to);
    /* A box around the point that holds the circle (a degree of latitude is ~111.2 km),
     * so that the database does the coarse cut and only the box is measured. */
    double dlat = km / 111.19 + 1e-9, dlon = km / (111.19 * fmax(0.01, cos(d.lat * M_PI / 180)));
    store_incident_filter f = {.event_type = jsx_str(doc, "event_type", ""),
                               .date_from = from,
                               .date_to = to,
                               .has_bbox = 1,
                               .west = fmax(-180, d.lon - dlon),
                               .east = fmin(180, d.lon + dlon),
                               .south = fmax(-90, d.lat - dlat),
                               .north = fmin(90, d.lat + dlat)};
    rc = monitor_store(s)->incident_list(s, &f, 0, INT64_MAX, dup_cb, &d, e);
    if (rc || d.damaged) {
        if (!rc) export_damaged(d.damaged, e);
        json_decref(d.found);
        return NULL;
    }
    size_t n = json_array_size(d.found);
    json_t **items = malloc((n ? n : 1) * sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(d.found, i));
    qsort(items, n, sizeof *items, by_distance);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        int gone = 0;
        if (json_array_size(out) < max && rc == 0 &&
            (gone = monitor_store(s)->dismissed(
                 s, subject, json_integer_value(json_object_get(items[i], "id")), e)) < 0)
            rc = -1;
        if (json_array_size(out) < max && rc == 0 && !gone) json_array_append(out, items[i]);
        json_decref(items[i]);
    }
    free(items);
    json_decref(d.found);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *incident_duplicates(store *s, int64_t id, double km, int days, size_t max, tr_err *e)
{
    char status[32];
    char *text;
    int rc = incident_read(s, id, status, &text, NULL, e);
    if (rc <= 0) {
        if (rc == 0) not_found(e, id);
        return NULL;
    }
    json_t *doc = json_loads(text, 0, NULL), *out;
    char subject[MONITOR_SUBJECT_LEN];
    free(text);
    monitor_subject(subject, "incident", id);
    out = duplicates_of(s, doc, subject, id, km, days, max, e);
    json_decref(doc);
    return out;
}

static int report_missing(tr_err *e, int64_t id)
{
    return err_set(e, 404, "report.not_found", "reports are numbered from 1",
                   "there is no report %lld", (long long)id);
}

json_t *report_duplicates(store *s, int64_t report, double km, int days, size_t max, tr_err *e)
{
    store_report rep = {0};
    int rc = monitor_store(s)->report_get(s, report, &rep, e);
    if (rc <= 0) {
        if (rc == 0) report_missing(e, report);
        return NULL;
    }
    json_t *doc = json_loads(rep.doc, 0, NULL), *out;
    char subject[MONITOR_SUBJECT_LEN];
    free(rep.doc);
    monitor_subject(subject, "report", report);
    out = duplicates_of(s, doc, subject, 0, km, days, max, e);
    json_decref(doc);
    return out;
}

int report_merge_into(store *s, const journal_actor *who, int64_t report, const json_t *in,
                      tr_err *e)
{
    char vis[160];
    int64_t into = (int64_t)json_integer_value(json_object_get(in, "into"));
    store_report rep = {0};
    int rc = monitor_store(s)->report_get(s, report, &rep, e);
    free(rep.doc);
    if (rc <= 0) return rc < 0 ? -1 : report_missing(e, report);
    if (strcmp(rep.status, "filed") != 0)
        return err_set(e, 409, "report.merged", "a report joins one incident only",
                       "report %lld is already merged into incident %lld", (long long)report,
                       (long long)rep.incident);
    if (merge_target(s, into, "list candidates with GET /api/v1/reports/{id}/duplicates", e))
        return -1;
    report_audience(rep.org, vis, sizeof vis); /* whoever may see the report */
    json_t *body = json_pack("{s:I, s:I, s:s}", "report", (json_int_t)report, "incident",
                             (json_int_t)into, "reason", jsx_str(in, "reason", ""));
    rc = journal_record(s, who, "report.merged", body, vis, NULL, e);
    json_decref(body);
    return rc;
}

int duplicate_dismiss(store *s, const journal_actor *who, const char *kind, int64_t id,
                      const json_t *in, tr_err *e)
{
    char subject[MONITOR_SUBJECT_LEN], status[32];
    char *doc = NULL;
    int64_t candidate = (int64_t)json_integer_value(json_object_get(in, "candidate"));
    int rc;
    if (strcmp(kind, "report") == 0) {
        store_report rep = {0};
        rc = monitor_store(s)->report_get(s, id, &rep, e);
        free(rep.doc);
        if (rc <= 0) return rc < 0 ? -1 : report_missing(e, id);
    } else {
        if ((rc = incident_read(s, id, status, &doc, NULL, e)) <= 0)
            return rc < 0 ? -1 : not_found(e, id);
        free(doc);
        if (candidate == id)
            return err_field(e, "request.invalid_field", "candidate", "name another incident",
                             "an incident is not a duplicate of itself");
    }
    if ((rc = incident_read(s, candidate, status, &doc, NULL, e)) < 0) return -1;
    free(doc);
    if (rc == 0)
        return err_field(e, "request.invalid_field", "candidate",
                         "name an incident from the duplicates list", "there is no incident %lld",
                         (long long)candidate);
    monitor_subject(subject, kind, id);
    if ((rc = monitor_store(s)->dismissed(s, subject, candidate, e)) < 0) return -1;
    if (rc == 1)
        return err_set(e, 409, "duplicate.dismissed", NULL,
                       "incident %lld was already dismissed as a duplicate of %s",
                       (long long)candidate, subject);
    json_t *body = json_pack("{s:s, s:I, s:s}", "subject", subject, "candidate",
                             (json_int_t)candidate, "reason", jsx_str(in, "reason", ""));
    rc = journal_record(s, who, "duplicate.dismissed", body, "kind:monitor kind:mediator", NULL, e);
    json_decref(body);
    return rc;
}
