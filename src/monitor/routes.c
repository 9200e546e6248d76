/* routes.c - the monitor pillar's HTTP handlers and its part of the route table: reports, incidents
 * and their workflow, duplicates, history, exports, evidence files, imports and zones.
 *
 * Handlers translate between HTTP and the pillar's services, which own the rules; the
 * registry (src/pillars.c) merges this table with the others'. docs/api.md documents every
 * route with an example. */
#include "monitor/routes.h"
#include "monitor/store.h"
#include "accounts/store.h"

#include "http/handler.h"
#include "accounts/accounts.h"
#include "core/log.h"
#include "core/util.h"
#include "monitor/acled.h"
#include "monitor/evidence.h"
#include "monitor/export.h"
#include "monitor/incidents.h"
#include "monitor/reports.h"
#include "monitor/zindex.h"
#include "monitor/zones.h"
#include "json/jsx.h"

#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <strings.h>

typedef struct incident_page {
    json_t *items;
    int64_t last;
    double grid;
    int64_t damaged; /* an incident whose stored row does not split: the listing fails */
} incident_page;

/* An incident as the API shows it: its document, with its number and status (and the
 * incident a duplicate was merged into), its location coarsened to `grid` degrees. */
static json_t *incident_json(int64_t id, const char *status, const char *doc, int64_t merged_into,
                             double grid)
{
    json_t *out = json_loads(doc, 0, NULL);
    if (!out) out = json_object();
    json_object_set_new(out, "id", json_integer(id));
    json_object_set_new(out, "status", json_string(status));
    if (merged_into) json_object_set_new(out, "merged_into", json_integer(merged_into));
    incident_coarsen(out, grid);
    return out;
}

/* Private fields (witnesses...) are for monitors only: not mediators, not administrators,
 * not the organization that filed them. */
static int sees_private(const http_req *r)
{
    return r->caller.signed_in && strcmp(r->caller.org_kind, "monitor") == 0;
}

/* Adds the private fields of report or incident `id` (kind) to out, for monitors. */
static int add_private(http_req *r, store *s, const char *kind, int64_t id, json_t *out, tr_err *e)
{
    char *text, subject[MONITOR_SUBJECT_LEN];
    int rc;
    if (!sees_private(r)) return 0;
    monitor_subject(subject, kind, id);
    if ((rc = monitor_store(s)->private_get(s, subject, &text, e)) <= 0) return rc;
    json_t *fields = json_loads(text, 0, NULL);
    free(text);
    json_object_update(out, fields);
    json_decref(fields);
    return 0;
}

static int incident_cb(void *cls, const void *row)
{
    incident_page *p = cls;
    const store_incident_row *r = row;
    buf tmp = BUF_INIT;
    const char *doc = export_incident_doc(r, &tmp);
    if (!doc) {
        buf_free(&tmp);
        p->damaged = r->id;
        return 1; /* h_incidents replies store.damaged */
    }
    json_array_append_new(p->items, incident_json(r->id, r->status, doc, r->merged_into, p->grid));
    buf_free(&tmp);
    p->last = r->id;
    return 0;
}

int monitor__sees_every_incident(const http_req *r)
{
    const char *kind = r->caller.org_kind;
    return r->caller.admin || strcmp(kind, "monitor") == 0 || strcmp(kind, "mediator") == 0;
}

/* The grid the caller sees locations on: the deployment's public grid, or exact. */
static double grid_for(const http_req *r)
{
    return monitor__sees_every_incident(r) ? 0 : r->srv->cfg.public_grid;
}

/* The filters every incident query shares: status, event_type, from, to, zone, actor and
 * bbox=west,south,east,north, each checked (a mistyped one is a 400, not an empty list). The
 * public, parties and humanitarian organizations see verified incidents only (and what became of
 * them: disputed, upheld); monitors, mediators and administrators see every status. */
static int incident_filter(http_req *r, store_incident_filter *f, tr_err *e)
{
    const char *bbox = http__query(r, "bbox");
    memset(f, 0, sizeof *f);
    f->status = http__query(r, "status");
    f->event_type = http__query(r, "event_type");
    f->date_from = http__query(r, "from");
    f->date_to = http__query(r, "to");
    f->zone = http__query(r, "zone");
    f->actor = http__query(r, "actor");
    if (bbox && export_parse_bbox(bbox, f, e)) return -1;
    store *s = f->zone ? http__reader(r, e) : NULL; /* to look the zone up */
    if ((f->zone && !s) || incident_filter_check(s, f, e)) return -1;
    if (!monitor__sees_every_incident(r)) {
        if (f->status && !incident_status_public(f->status))
            return err_set(e, 403, "auth.forbidden",
                           "only monitors and mediators see unverified incidents",
                           "you may list verified incidents only");
        f->public_only = 1;
        incident_grid_bbox(f, r->srv->cfg.public_grid);
    }
    return 0;
}

/* Incidents, keyset-paginated by id. */
static int h_incidents(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    long long after = 0, limit = 100;
    store_incident_filter f;
    incident_page p = {NULL, 0, grid_for(r), 0};
    store *s;
    if (http__page_params(r, &after, &limit)) return 0;
    if (incident_filter(r, &f, &e)) return http__fail(r, &e);
    if (!(s = http__reader_or_fail(r))) return 0;
    p.items = json_array();
    if (monitor_store(s)->incident_list(s, &f, after, limit, incident_cb, &p, &e) ||
        (p.damaged && export_damaged(p.damaged, &e))) {
        json_decref(p.items);
        return http__fail(r, &e);
    }
    return http__reply_page(r, "incidents", p.items, limit, p.last);
}

static int count_cb(void *cls, const void *row)
{
    static const char *const names[] = {[STORE_BY_STATUS] = "by_status",
                                        [STORE_BY_TYPE] = "by_type",
                                        [STORE_BY_DAY] = "by_day",
                                        [STORE_BY_ACTOR] = "by_actor",
                                        [STORE_BY_ZONE] = "by_zone"};
    const store_count *c = row;
    json_object_set_new(json_object_get(cls, names[c->by]), c->key, json_integer(c->count));
    return 0;
}

/* Counts by status, type, day, actor and zone under the list's filters. */
static int h_incident_stats(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_incident_filter f;
    store *s;
    if (incident_filter(r, &f, &e)) return http__fail(r, &e);
    if (http__heavy(r) || !(s = http__reader_or_fail(r))) return 0;
    json_t *out = json_pack("{s:{}, s:{}, s:{}, s:{}, s:{}}", "by_status", "by_type", "by_day",
                            "by_actor", "by_zone");
    json_int_t total = 0;
    if (monitor_store(s)->incident_counts(s, &f, count_cb, out, &e)) {
        json_decref(out);
        return http__fail(r, &e);
    }
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(out, "by_status"), k, v) total += json_integer_value(v);
    json_object_set_new(out, "total", json_integer(total));
    return http__reply(r, 200, out);
}

/* Counts per cell of a grid, for a map zoomed out: a box of 100,000 incidents is a few
 * hundred cells, not 100,000 points. */
typedef struct grid_acc {
    double cell, seen_on; /* seen_on: the grid the caller sees places on, or 0 */
    json_t *cells;        /* "row,col" -> [latitude, longitude, count] */
    int64_t last, seen;
} grid_acc;

static int grid_cb(void *cls, const void *row)
{
    grid_acc *g = cls;
    const store_incident_row *r = row;
    char key[48];
    /* Binned from the place the caller may see, so no cell tells more than the point. */
    double la = g->seen_on > 0 ? incident_snap(r->latitude, g->seen_on) : r->latitude;
    double lo = g->seen_on > 0 ? incident_snap(r->longitude, g->seen_on) : r->longitude;
    long long i = (long long)floor(la / g->cell), j = (long long)floor(lo / g->cell);
    g->last = r->id;
    g->seen++;
    snprintf(key, sizeof key, "%lld,%lld", i, j);
    json_t *c = json_object_get(g->cells, key);
    if (c) {
        json_t *n = json_array_get(c, 2);
        json_integer_set(n, json_integer_value(n) + 1);
        return 0;
    }
    double lat = round(((double)i + 0.5) * g->cell * 1e6) / 1e6;
    double lon = round(((double)j + 0.5) * g->cell * 1e6) / 1e6;
    json_object_set_new(g->cells, key, json_pack("[f, f, I]", lat, lon, (json_int_t)1));
    return 0;
}

static int h_incident_grid(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_incident_filter f;
    store *s;
    const char *cell = http__query(r, "cell");
    char *end = NULL;
    grid_acc g = {cell ? strtod(cell, &end) : 0.01, grid_for(r), NULL, 0, 0};
    if ((cell && (*end || end == cell)) || !(g.cell >= 0.001 && g.cell <= 1)) {
        err_field(&e, "request.invalid_param", "cell", "a cell of 0.001 to 1 degree, e.g. 0.05",
                  "cell '%.32s' is not such a size", cell ? cell : "");
        return http__fail(r, &e);
    }
    if (incident_filter(r, &f, &e)) return http__fail(r, &e);
    /* Never finer than the grid this caller sees places on. */
    if (grid_for(r) > g.cell) g.cell = grid_for(r);
    if (http__heavy(r) || !(s = http__reader_or_fail(r))) return 0;
    f.summary = 1;
    g.cells = json_object();
    for (;;) {
        int64_t before = g.seen;
        if (monitor_store(s)->incident_list(s, &f, g.last, 10000, grid_cb, &g, &e)) {
            json_decref(g.cells);
            return http__fail(r, &e);
        }
        if (g.seen - before < 10000) break;
    }
    json_t *list = json_array(), *v;
    const char *k;
    json_object_foreach(g.cells, k, v) json_array_append(list, v);
    json_decref(g.cells);
    return http__reply(
        r, 200,
        json_pack("{s:f, s:I, s:o}", "cell", g.cell, "total", (json_int_t)g.seen, "cells", list));
}

/* Whether the body's place lies outside every zone: 1 (to be warned of), 0, or -1 with e
 * set — also when the server refuses such places (serve --outside-zones refuse). */
static int outside_zones(http_req *r, store *s, tr_err *e)
{
    double lon = jsx_num(r->json, "longitude", 0), lat = jsx_num(r->json, "latitude", 0);
    int out = report_outside_zones(s, lon, lat, e);
    if (out == 1 && r->srv->cfg.refuse_outside_zones) return report_outside_error(lon, lat, e);
    return out;
}

/* A report as the API shows it; frees rep->doc. */
static json_t *report_json(store_report *rep)
{
    json_t *out = json_loads(rep->doc, 0, NULL);
    free(rep->doc);
    rep->doc = NULL;
    if (!out) out = json_object();
    json_object_set_new(out, "id", json_integer(rep->id));
    json_object_set_new(out, "org", json_string(rep->org));
    json_object_set_new(out, "status", json_string(rep->status));
    json_object_set_new(out, "filed_at", json_string(rep->filed_at));
    if (rep->incident) json_object_set_new(out, "incident", json_integer(rep->incident));
    return out;
}

typedef struct report_job {
    json_t *doc;             /* prepared on the pool thread */
    char *canon;             /* its canonical text */
    const char *key;         /* Idempotency-Key, or NULL */
    char request_sha256[65]; /* of the request's canonical text, with a key */
    int64_t id;              /* set by the writer */
    char filed_at[UTIL_ISO_LEN];
    int outside;        /* the place lies outside every zone (a warning) */
    int replayed;       /* a retry: */
    store_report filed; /* the report as it stands, filed the first time */
} report_job;

/* On the writer thread: record only; or, for a key this organization has used, find
 * what it filed (in the same transaction as any other write, so two copies of one request
 * in flight at once make one report). */
static int report_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    report_job *j = r->state;
    journal_actor who = acct_actor(&r->caller);
    const char *org = r->caller.signed_in ? r->caller.org : REPORT_PUBLIC;
    if (j->key) {
        store_report *rep = &j->filed;
        int found = monitor_store(s)->report_by_key(s, org, j->key, rep, e);
        if (found < 0) return -1;
        if (found) {
            if (strcmp(rep->request_sha256, j->request_sha256) != 0) {
                err_field(e, "report.key_reused", "Idempotency-Key",
                          "use a new key for a new report; resend a report exactly to retry it",
                          "this Idempotency-Key was used for report %lld, with a different "
                          "request",
                          (long long)rep->id);
                e->status = 422;
                return -1;
            }
            j->id = rep->id;
            j->replayed = 1;
            r->job.prove = rep->seq; /* the receipt the first reply carried */
            return 0;
        }
    }
    return report_record(s, &who, org, r->json, j->canon, j->key, j->key ? j->request_sha256 : NULL,
                         &j->id, j->filed_at, e);
}

/* Back on a request thread: the reply is the document as recorded (201), or for a retry
 * the one recorded the first time (200, "replayed": true, no new receipt: nothing new was
 * written). */
static int report_written(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    report_job *j = r->state;
    json_t *out = j->doc;
    store *s;
    j->doc = NULL;
    if (j->replayed) { /* as GET /api/v1/reports/{id} shows it, and says so */
        json_decref(out);
        out = report_json(&j->filed);
        json_object_set_new(out, "replayed", json_true());
    } else {
        json_object_set_new(out, "id", json_integer(j->id));
        json_object_set_new(out, "org",
                            json_string(r->caller.signed_in ? r->caller.org : REPORT_PUBLIC));
        json_object_set_new(out, "status", json_string("filed"));
        json_object_set_new(out, "filed_at", json_string(j->filed_at));
        if (j->outside)
            json_object_set_new(
                out, "warnings",
                json_pack("[o]", report_outside_warning(jsx_num(r->json, "longitude", 0),
                                                        jsx_num(r->json, "latitude", 0))));
    }
    if (sees_private(r) &&
        (!(s = http__reader(r, &e)) || add_private(r, s, "report", j->id, out, &e))) {
        /* Filed and committed: say so, with what could not be added. */
        log_warn("report %lld: private fields not shown: %s", (long long)j->id, e.message);
        err_clear(&e);
    }
    return http__reply(r, j->replayed ? 200 : 201, out);
}

static void report_job_free(http_req *r)
{
    report_job *j = r->state;
    json_decref(j->doc);
    free(j->canon);
    free(j->filed.doc);
    j->doc = NULL;
    j->canon = NULL;
    j->filed.doc = NULL;
}

/* The SHA-256 of a request's canonical JSON (the whole body: private fields included), in
 * hex: what a retry must match to be the same request. */
static void request_hash(const json_t *body, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char *text = jsx_canonical(body, NULL);
    crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
    util_hex(out, h, sizeof h);
    free(text);
}

/* An Idempotency-Key header, checked: *key NULL without one; -1 after replying 400. */
static int idempotency_key(http_req *r, const char **key)
{
    tr_err e = TR_ERR_INIT;
    *key = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, "Idempotency-Key");
    if (!*key) return 0;
    /* Without an account the key alone ties a retry to its report (the public's keys are
     * one space): it must be one nobody else could guess. */
    if (!r->caller.signed_in && report_key_valid(*key) && strlen(*key) < 32)
        err_field(&e, "request.invalid_header", "Idempotency-Key",
                  "without an account, send a random UUID (or 32 to 100 characters) as the key",
                  "'%.100s' is too short an Idempotency-Key to send without an account", *key);
    else if (!report_key_valid(*key))
        err_field(&e, "request.invalid_header", "Idempotency-Key",
                  "send 1 to 100 of A-Z a-z 0-9 . _ : - (a UUID will do)",
                  "'%.100s' is not a usable Idempotency-Key", *key);
    else
        return 0;
    http__fail(r, &e);
    return -1;
}

/* Any account may file a report; it is visible to monitors, mediators and its own
 * organization. The public may too, a few an hour per address (HTTP_PUBLIC_REPORTS); those
 * reports are visible to monitors and mediators only. The report is checked, tagged and
 * built here, on a pool thread (with the reader connection's zones); the writer thread
 * only records it. */
static int h_report_file(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store *s;
    const char *key;
    if (http__check_body(r) || idempotency_key(r, &key)) return 0;
    if (!r->caller.signed_in) {
        char addr[80];
        int64_t now = (int64_t)time(NULL);
        snprintf(addr, sizeof addr, "r:%s", r->client);
        int wait = throttle_wait(r->srv->public_reports, addr, now);
        if (wait)
            return http__throttled_because(r, wait, "report.rate_limited",
                                           "too many reports from this address without an account");
        throttle_failed(r->srv->public_reports, addr, now); /* counts the use */
    }
    if (!(s = http__reader_or_fail(r))) return 0;
    report_job *j = arena_alloc(&r->mem, sizeof *j);
    memset(j, 0, sizeof *j);
    r->state = j;
    r->cleanup = report_job_free; /* whatever happens next */
    const char *cites_as = monitor__sees_every_incident(r) ? NULL
                           : r->caller.signed_in           ? r->caller.org
                                                           : REPORT_PUBLIC;
    if (!(j->doc = report_prepare(s, r->json, NULL, cites_as, &e))) return http__fail(r, &e);
    /* Tagged with a zone: inside one (the check is for the rare report tagged with none). */
    if (json_array_size(json_object_get(j->doc, "zones")) == 0 &&
        (j->outside = outside_zones(r, s, &e)) < 0)
        return http__fail(r, &e);
    j->canon = jsx_canonical(j->doc, NULL);
    if ((j->key = key)) request_hash(r->json, j->request_sha256); /* all of it */
    r->after_write = report_written;
    return http__defer(r, report_write);
}

static int h_report_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store_report rep = {0};
    store *s;
    int found;
    if (http__path_id(r, "a report") || !(s = http__reader_or_fail(r))) return 0;
    long long id = http__the_id(r);
    found = monitor_store(s)->report_get(s, id, &rep, &e);
    if (found < 0) return http__fail(r, &e);
    /* Someone else's report is a 404, as if it did not exist. */
    if (found == 0 || !(monitor__sees_every_incident(r) || strcmp(rep.org, r->caller.org) == 0)) {
        free(rep.doc);
        err_set(&e, 404, "report.not_found",
                "reports are visible to monitors, mediators and "
                "the organization that filed them",
                "there is no report %lld that you may see", id);
        return http__fail(r, &e);
    }
    json_t *out = report_json(&rep);
    if (add_private(r, s, "report", id, out, &e)) {
        json_decref(out);
        return http__fail(r, &e);
    }
    return http__reply(r, 200, out);
}

typedef struct report_page {
    json_t *items;
    int64_t last;
} report_page;

static int report_page_cb(void *cls, const void *row)
{
    report_page *p = cls;
    store_report *rep = (store_report *)row;
    p->last = rep->id;
    json_array_append_new(p->items, report_json(rep)); /* takes rep->doc */
    return 0;
}

/* Reports by id, keyset-paginated: an organization's own (what a field office filed and
 * what became of each: filed, or merged into an incident); monitors, mediators and
 * administrators see every organization's, or one's with org=. Private fields are shown
 * by GET /reports/{id} only. */
static int h_reports(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    long long after = 0, limit = 100;
    store *s;
    const char *status = http__query(r, "status"), *org = http__query(r, "org");
    if (http__page_params(r, &after, &limit)) return 0;
    if (status && strcmp(status, "filed") != 0 && strcmp(status, "merged") != 0) {
        err_field(&e, "request.invalid_param", "status", "filed or merged",
                  "'%s' is not a report status", status);
        return http__fail(r, &e);
    }
    if (!monitor__sees_every_incident(r)) {
        if (org && strcmp(org, r->caller.org) != 0) {
            err_set(&e, 403, "auth.forbidden", "leave org out: you see your organization's",
                    "reports are visible to monitors, mediators and the organization that "
                    "filed them");
            return http__fail(r, &e);
        }
        org = r->caller.org;
    }
    if (!(s = http__reader_or_fail(r))) return 0;
    if (http__query(r, "org")) { /* a mistyped organization: a 400, not an empty list */
        store_org o;
        int found = accounts_store(s)->org_get(s, org, &o, &e);
        if (found < 0) return http__fail(r, &e);
        if (!found) {
            err_field(&e, "request.invalid_param", "org", "GET /api/v1/orgs lists them",
                      "there is no organization '%s'", org);
            return http__fail(r, &e);
        }
    }
    report_page p = {json_array(), 0};
    if (monitor_store(s)->report_list(s, org, status, after, limit, report_page_cb, &p, &e)) {
        json_decref(p.items);
        return http__fail(r, &e);
    }
    return http__reply_page(r, "reports", p.items, limit, p.last);
}

/* Replies with the incident as it now stands (inside the write transaction). */
static int reply_incident(http_req *r, store *s, int64_t id, int status, tr_err *e)
{
    char st[32];
    char *doc;
    int64_t into;
    int rc = incident_read(s, id, st, &doc, &into, e);
    if (rc != 1) {
        if (rc == 0)
            err_set(e, 500, "internal.lost", NULL, "incident %lld vanished", (long long)id);
        return -1;
    }
    json_t *out = incident_json(id, st, doc, into, grid_for(r));
    free(doc);
    if (add_private(r, s, "incident", id, out, e)) {
        json_decref(out);
        return -1;
    }
    return http__reply(r, status, out);
}

typedef struct open_job {
    int outside;             /* the place lies outside every zone (a warning) */
    const char *key;         /* Idempotency-Key, or NULL */
    char request_sha256[65]; /* of the request's canonical text, with a key */
} open_job;

/* On the writer thread, for a write about an incident that came with an Idempotency-Key
 * (opening one, or moving one: transitions, disputes, merges): 1 after replying as the
 * first time did — the incident as it is now, 200, "replayed", the first reply's receipt —
 * when this organization used the key for this very request; -1 with a 422 when it used
 * it for another request; 0 for a new key, or none. */
static int replayed(store *s, http_req *r, const char *key, const char *request_sha256, tr_err *e)
{
    int64_t id, seq;
    char hash[65];
    if (!key) return 0;
    int found = monitor_store(s)->incident_by_key(s, r->caller.org, key, &id, &seq, hash, e);
    if (found <= 0) return found;
    if (strcmp(hash, request_sha256) != 0) {
        err_field(e, "incident.key_reused", "Idempotency-Key",
                  "use a new key for a new request; resend a request exactly to retry it",
                  "this Idempotency-Key was used for incident %lld, with a different request",
                  (long long)id);
        e->status = 422;
        return -1;
    }
    r->job.prove = seq; /* the receipt the first reply carried */
    if (reply_incident(r, s, id, 200, e)) return -1;
    json_object_set_new(r->reply, "replayed", json_true());
    return 1;
}

/* On the writer thread: open the incident, or reply as the first time (replayed). */
static int incident_open_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    open_job *j = r->state;
    journal_actor who = acct_actor(&r->caller);
    int64_t id;
    int rc = replayed(s, r, j->key, j->request_sha256, e);
    if (rc) return rc < 0 ? -1 : 0;
    if (incident_open(s, &who, r->json, j->key, j->key ? j->request_sha256 : NULL, &id, e) ||
        reply_incident(r, s, id, 201, e))
        return -1;
    if (j->outside)
        json_object_set_new(
            r->reply, "warnings",
            json_pack("[o]", report_outside_warning(jsx_num(r->json, "longitude", 0),
                                                    jsx_num(r->json, "latitude", 0))));
    return 0;
}

static int h_incident_open(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    store *s;
    const char *key;
    if (http__check_body(r) || idempotency_key(r, &key) || !(s = http__reader_or_fail(r))) return 0;
    open_job *j = arena_alloc(&r->mem, sizeof *j);
    memset(j, 0, sizeof *j);
    if ((j->outside = outside_zones(r, s, &e)) < 0) return http__fail(r, &e);
    if ((j->key = key)) request_hash(r->json, j->request_sha256);
    r->state = j;
    return http__defer(r, incident_open_write);
}

/* A move of an incident (transition, dispute, merge): which, the incident, and the
 * Idempotency-Key it came with (or NULL) with the hash of its request — the route, the
 * incident and the body (the same key and body for another incident is another request). */
enum move { MOVE_TRANSITION, MOVE_DISPUTE, MOVE_MERGE };

typedef struct move_job {
    enum move move;
    int64_t id;
    const char *key;
    char request_sha256[65];
} move_job;

/* On the writer thread: the move, or the first reply again (replayed). */
static int move_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    move_job *j = r->state;
    journal_actor who = acct_actor(&r->caller);
    const char *kind = r->caller.org_kind;
    int rc = replayed(s, r, j->key, j->request_sha256, e);
    if (rc) return rc < 0 ? -1 : 0;
    switch (j->move) {
    case MOVE_TRANSITION: {
        int roles = r->caller.admin ? INC_MONITOR | INC_MEDIATOR
                                    : (strcmp(kind, "monitor") == 0 ? INC_MONITOR : 0) |
                                          (strcmp(kind, "mediator") == 0 ? INC_MEDIATOR : 0);
        rc = incident_transition(s, &who, roles, j->id, r->json, j->key, j->request_sha256, e);
        break;
    }
    case MOVE_DISPUTE:
        rc = incident_dispute(s, &who, r->caller.org, j->id, r->json, j->key, j->request_sha256, e);
        break;
    case MOVE_MERGE:
        rc = incident_merge(s, &who, j->id, r->json, j->key, j->request_sha256, e);
        break;
    }
    return rc ? -1 : reply_incident(r, s, j->id, 200, e);
}

static int defer_move(http_req *r, enum move move)
{
    const char *key;
    if (http__check_body(r) || http__path_id(r, "an incident") || idempotency_key(r, &key))
        return 0;
    move_job *j = arena_alloc(&r->mem, sizeof *j);
    memset(j, 0, sizeof *j);
    j->move = move;
    j->id = http__the_id(r);
    if ((j->key = key)) {
        json_t *req = json_pack("{s:s, s:O}", "request", r->url, "body", r->json);
        request_hash(req, j->request_sha256);
        json_decref(req);
    }
    r->state = j;
    return http__defer(r, move_write);
}

static int h_incident_transition(http_req *r)
{
    return defer_move(r, MOVE_TRANSITION);
}

static int h_incident_dispute(http_req *r)
{
    return defer_move(r, MOVE_DISPUTE);
}

/* Marks the incident a duplicate of another (monitors). */
static int h_incident_merge(http_req *r)
{
    return defer_move(r, MOVE_MERGE);
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;
    if (!s || !*s) return 0;
    v = strtod(s, &end);
    if (*end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

/* km (default 1) and days (default 2) of a duplicates query; -1 after replying 400. */
static int near_params(http_req *r, double *km, long long *days)
{
    tr_err e = TR_ERR_INIT;
    *km = 1, *days = 2;
    if (parse_num(http__query(r, "km"), 0, 100, km) ||
        http__parse_int(http__query(r, "days"), 0, 365, days)) {
        err_field(&e, "request.invalid_param", "km/days", "km from 0 to 100, days from 0 to 365",
                  "query parameters 'km' and 'days' must be numbers in range");
        http__fail(r, &e);
        return -1;
    }
    return 0;
}

/* Possible duplicates, for a monitor to merge or dismiss: same type, within km and days. */
static int h_incident_duplicates(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    double km;
    long long days;
    store *s;
    if (http__path_id(r, "an incident") || near_params(r, &km, &days) ||
        !(s = http__reader_or_fail(r)))
        return 0;
    json_t *found = incident_duplicates(s, http__the_id(r), km, (int)days, 100, &e);
    if (!found) return http__fail(r, &e);
    return http__reply(r, 200,
                       json_pack("{s:I, s:f, s:I, s:o}", "incident", (json_int_t)http__the_id(r),
                                 "km", km, "days", (json_int_t)days, "candidates", found));
}

/* The incidents a new report may belong to, for a monitor to merge it into one
 * (POST /reports/{id}/merge), or to open a new incident from it. */
static int h_report_duplicates(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    double km;
    long long days;
    store *s;
    if (http__path_id(r, "a report") || near_params(r, &km, &days) ||
        !(s = http__reader_or_fail(r)))
        return 0;
    json_t *found = report_duplicates(s, http__the_id(r), km, (int)days, 100, &e);
    if (!found) return http__fail(r, &e);
    return http__reply(r, 200,
                       json_pack("{s:I, s:f, s:I, s:o}", "report", (json_int_t)http__the_id(r),
                                 "km", km, "days", (json_int_t)days, "candidates", found));
}

static int report_merge_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    store_report rep = {0};
    if (report_merge_into(s, &who, http__the_id(r), r->json, e)) return -1;
    if (monitor_store(s)->report_get(s, http__the_id(r), &rep, e) != 1) {
        free(rep.doc);
        if (!e->status)
            err_set(e, 500, "internal.lost", NULL, "report %lld vanished",
                    (long long)http__the_id(r));
        return -1;
    }
    json_t *out = report_json(&rep);
    if (add_private(r, s, "report", http__the_id(r), out, e)) {
        json_decref(out);
        return -1;
    }
    return http__reply(r, 200, out);
}

/* r->state of a dismissal: the path's id first, as http__the_id() reads it. */
typedef struct dismissal {
    int64_t id;
    const char *kind; /* "incident" or "report" */
} dismissal;

static int dismiss_write(store *s, void *cls, tr_err *e)
{
    http_req *r = cls;
    journal_actor who = acct_actor(&r->caller);
    const char *kind = ((dismissal *)r->state)->kind;
    char subject[MONITOR_SUBJECT_LEN];
    if (duplicate_dismiss(s, &who, kind, http__the_id(r), r->json, e)) return -1;
    monitor_subject(subject, kind, http__the_id(r));
    return http__reply(r, 200,
                       json_pack("{s:s, s:I, s:b}", "subject", subject, "candidate",
                                 json_integer_value(json_object_get(r->json, "candidate")),
                                 "dismissed", 1));
}

/* A monitor says a listed candidate is not a duplicate: it is not listed again. */
static int dismiss_as(http_req *r, const char *kind)
{
    if (http__check_body(r) ||
        http__path_id(r, strcmp(kind, "report") == 0 ? "a report" : "an incident"))
        return 0;
    dismissal *d = arena_alloc(&r->mem, sizeof *d);
    d->id = http__the_id(r);
    d->kind = kind;
    r->state = d;
    return http__defer(r, dismiss_write);
}

static int h_incident_dismiss(http_req *r)
{
    return dismiss_as(r, "incident");
}
static int h_report_dismiss(http_req *r)
{
    return dismiss_as(r, "report");
}

/* A monitor adds a filed report to an existing incident. */
static int h_report_merge(http_req *r)
{
    if (http__check_body(r) || http__path_id(r, "a report")) return 0;
    return http__defer(r, report_merge_write);
}

/* One incident. One the caller may not see is a 404, as if it did not exist. */
static int h_incident_get(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char status[32];
    char *doc = NULL;
    store *s;
    if (http__path_id(r, "an incident") || !(s = http__reader_or_fail(r))) return 0;
    int rc = incident_read(s, http__the_id(r), status, &doc, NULL, &e);
    if (rc < 0) return http__fail(r, &e);
    free(doc);
    if (rc == 0 || !(monitor__sees_every_incident(r) || incident_status_public(status))) {
        err_set(&e, 404, "incident.not_found", "list incidents with GET /api/v1/incidents",
                "there is no incident %lld", (long long)http__the_id(r));
        return http__fail(r, &e);
    }
    return reply_incident(r, s, http__the_id(r), 200, &e) ? http__fail(r, &e) : 0;
}

/* The export formats over HTTP, streamed: the first page is written before the reply
 * starts (so that an early error is still a JSON reply), then a page of rows at a time as
 * the client takes them, in constant memory. A failure after the first page can only close
 * the connection; it is logged.
 *
 * Two pages, in two memory streams whose buffers are reused: while the server sends one,
 * a thread of the request's own writes the next (reading the store and writing features
 * took three quarters of a large export's time, sending the rest; one after the other,
 * a box of 100,000 incidents took 290-340 ms). */
typedef struct export_page_buf {
    FILE *mem;
    char *page; /* the stream's buffer */
    size_t len; /* what the last page wrote into it */
    int full;   /* written and not yet sent */
} export_page_buf;

typedef struct export_stream {
    store_incident_filter f;
    exporter x;
    http_req *r;
    export_page_buf buf[2];
    int writing;     /* the producer's next page: buf[writing] */
    int sending;     /* the page being sent: buf[sending] */
    size_t off;      /* sent of it */
    int done, ended; /* producer: rows all written; trailer written */
    pthread_t producer;
    int started, stop, finished, failed; /* finished: the producer wrote its last page */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} export_stream;

#define EXPORT_PAGE_ROWS 1000

/* Writes the next part into b: rows, or the trailer. -1 with e set on an error. */
static int export_fill(http_req *r, export_stream *st, export_page_buf *b, tr_err *e)
{
    /* A mapped connection: an export reads many pages (a box of 100,000 incidents out of
     * a million: 0.37-0.51 s mapped, 0.57-0.69 s through read(), same run). */
    store *s = http__mapped_reader(r, e);
    int rc = 0;
    if (!s) return -1;
    if (!st->done) {
        rc = export_page(&st->x, s, EXPORT_PAGE_ROWS, b->mem, &st->done, e);
    } else {
        export_end(&st->x, b->mem);
        st->ended = 1;
    }
    if (fflush(b->mem)) abort(); /* page and len now show what was written */
    return rc;
}

/* The producer: each page into the buffer the sender has finished with. */
static void *export_produce(void *arg)
{
    export_stream *st = arg;
    tr_err e = TR_ERR_INIT;
    for (;;) {
        export_page_buf *b = &st->buf[st->writing];
        pthread_mutex_lock(&st->mu);
        while (b->full && !st->stop)
            pthread_cond_wait(&st->cv, &st->mu);
        int stop = st->stop;
        pthread_mutex_unlock(&st->mu);
        if (stop) break;
        if (fseek(b->mem, 0, SEEK_SET)) abort(); /* over what was sent: no new allocation */
        int rc = export_fill(st->r, st, b, &e);
        pthread_mutex_lock(&st->mu);
        if (rc) {
            st->failed = 1;
        } else {
            b->full = 1;
            st->writing ^= 1;
        }
        if (rc || st->ended) st->finished = 1;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
        if (rc) {
            log_warn("%s %s: export failed after %lld rows: %s (request %s)", st->r->method,
                     st->r->url, (long long)st->x.count, e.message, st->r->request_id);
            err_clear(&e);
        }
        if (rc || st->ended) break;
    }
    return NULL;
}

static long export_next(http_req *r, char *out, size_t max)
{
    export_stream *st = r->state;
    export_page_buf *b = &st->buf[st->sending];
    pthread_mutex_lock(&st->mu);
    if (!st->started) { /* the first page is out: the rest (the trailer at least) behind it */
        if (pthread_create(&st->producer, NULL, export_produce, st) != 0) abort();
        st->started = 1;
    }
    if (b->full && st->off == b->len) { /* sent: the producer may write over it */
        b->full = 0;
        st->off = 0;
        st->sending ^= 1;
        b = &st->buf[st->sending];
        pthread_cond_broadcast(&st->cv);
    }
    while (!b->full && !st->finished)
        pthread_cond_wait(&st->cv, &st->mu);
    int full = b->full, failed = st->failed;
    pthread_mutex_unlock(&st->mu);
    if (!full) return failed ? -1 : 0; /* the end, or an error: close the connection */
    size_t n = b->len - st->off < max ? b->len - st->off : max;
    memcpy(out, b->page + st->off, n);
    st->off += n;
    return (long)n;
}

static void export_free(http_req *r)
{
    export_stream *st = r->state;
    if (st->started) {
        pthread_mutex_lock(&st->mu);
        st->stop = 1;
        pthread_cond_broadcast(&st->cv);
        pthread_mutex_unlock(&st->mu);
        pthread_join(st->producer, NULL);
    }
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    for (int k = 0; k < 2; k++) {
        fclose(st->buf[k].mem);
        free(st->buf[k].page);
        st->buf[k].page = NULL;
    }
    export_release(&st->x);
}

/* `suffix` names the download: truce-incidents-DATE<suffix>, so that a browser saves an
 * export under a name that says what and when. */
static int incidents_export(http_req *r, export_format fmt, const char *ctype, const char *suffix)
{
    tr_err e = TR_ERR_INIT;
    export_stream *st = arena_alloc(&r->mem, sizeof *st);
    memset(st, 0, sizeof *st);
    if (incident_filter(r, &st->f, &e)) return http__fail(r, &e);
    if (http__heavy(r)) return 0;
    st->r = r;
    for (int k = 0; k < 2; k++)
        if (!(st->buf[k].mem = open_memstream(&st->buf[k].page, &st->buf[k].len))) abort();
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    r->state = st;
    r->cleanup = export_free; /* whatever happens next */
    /* The header and the first rows now, while an error can still be a JSON reply. */
    export_begin(&st->x, &st->f, fmt, grid_for(r), st->buf[0].mem);
    if (export_fill(r, st, &st->buf[0], &e)) return http__fail(r, &e);
    st->buf[0].full = 1;
    st->writing = 1;
    r->stream = export_next;
    r->content_type = ctype;
    r->status = 200;
    char today[11], *disp = arena_alloc(&r->mem, 96);
    util_day_at(util_unix_s(), today);
    snprintf(disp, 96, "attachment; filename=\"truce-incidents-%s%s\"", today, suffix);
    http__header(r, "Content-Disposition", disp);
    return 0;
}

static int h_incidents_geojson(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    const char *props = http__query(r, "properties");
    if (!props || strcmp(props, "all") == 0)
        return incidents_export(r, EXPORT_GEOJSON, "application/geo+json", ".geojson");
    if (strcmp(props, "summary") == 0)
        return incidents_export(r, EXPORT_GEOJSON_SUMMARY, "application/geo+json",
                                "-summary.geojson");
    err_field(&e, "request.invalid_param", "properties",
              "use properties=all (the default) or properties=summary",
              "'%s' is not a choice of properties", props);
    return http__fail(r, &e);
}

static int h_incidents_csv(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    const char *format = http__query(r, "format");
    if (!format || strcmp(format, "acled") == 0)
        return incidents_export(r, EXPORT_ACLED, "text/csv; charset=utf-8", "-acled.csv");
    if (strcmp(format, "hxl") == 0)
        return incidents_export(r, EXPORT_HXL, "text/csv; charset=utf-8", "-hxl.csv");
    err_field(&e, "request.invalid_param", "format", "use format=acled or format=hxl",
              "'%s' is not a CSV format", format);
    return http__fail(r, &e);
}

/* An incident's history: the journal's events about it, in order — the one that opened or
 * imported it (an import's batch without its other documents), then its moves with their
 * actors and reasons, merges either way, reports added, duplicates dismissed, private
 * fields — each as GET /journal shows it to the caller (redacted when its audience leaves
 * the caller out), so that anyone may ask for its receipt. Visible to whoever may see the
 * incident. */
static int h_incident_history(http_req *r)
{
    tr_err e = TR_ERR_INIT;
    char status[32];
    char *doc = NULL;
    int64_t *seqs = NULL;
    size_t n = 0;
    store *s;
    if (http__path_id(r, "an incident") || !(s = http__reader_or_fail(r))) return 0;
    int64_t id = http__the_id(r);
    int rc = incident_read(s, id, status, &doc, NULL, &e);
    free(doc);
    if (rc < 0) return http__fail(r, &e);
    if (rc == 0 || !(monitor__sees_every_incident(r) || incident_status_public(status))) {
        err_set(&e, 404, "incident.not_found", "list incidents with GET /api/v1/incidents",
                "there is no incident %lld", (long long)id);
        return http__fail(r, &e);
    }
    http__journal_page p = {json_array(), acct_reader(&r->caller), 1};
    rc = monitor_store(s)->incident_history(s, id, &seqs, &n, &e);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = s->ops->journal_scan(s, seqs[i] - 1, 1, http__journal_cb, &p, &e);
    free(seqs);
    if (rc) {
        json_decref(p.events);
        return http__fail(r, &e);
    }
    return http__reply(r, 200,
                       json_pack("{s:I, s:s, s:o}", "incident", (json_int_t)id, "status", status,
                                 "events", p.events));
}

/* ---- the table --------------------------------------------------------------------- */

const http_route monitor_routes[] = {
    /* method  path                handler          who          flags        body schema */
    {"POST", "/api/v1/reports", h_report_file, WHO_PUBLIC, ROUTE_BODY, report_fields},
    {"GET", "/api/v1/reports", h_reports, WHO_USER, 0, NULL},
    {"GET", "/api/v1/reports/{id}", h_report_get, WHO_USER, 0, NULL},
    {"GET", "/api/v1/incidents", h_incidents, WHO_PUBLIC, 0, NULL},
    {"POST", "/api/v1/incidents", h_incident_open, WHO_ADMIN | WHO_MONITOR, ROUTE_BODY,
     incident_open_fields},
    {"POST", "/api/v1/incidents/{id}/transitions", h_incident_transition,
     WHO_ADMIN | WHO_MONITOR | WHO_MEDIATOR, ROUTE_BODY, transition_fields},
    {"POST", "/api/v1/incidents/{id}/disputes", h_incident_dispute, WHO_PARTY, ROUTE_BODY,
     dispute_fields},
    {"POST", "/api/v1/incidents/{id}/merge", h_incident_merge, WHO_ADMIN | WHO_MONITOR, ROUTE_BODY,
     merge_fields},
    {"POST", "/api/v1/reports/{id}/merge", h_report_merge, WHO_ADMIN | WHO_MONITOR, ROUTE_BODY,
     merge_fields},
    {"POST", "/api/v1/reports/{id}/duplicates/dismiss", h_report_dismiss, WHO_ADMIN | WHO_MONITOR,
     ROUTE_BODY, dismiss_fields},
    {"POST", "/api/v1/incidents/{id}/duplicates/dismiss", h_incident_dismiss,
     WHO_ADMIN | WHO_MONITOR, ROUTE_BODY, dismiss_fields},
    {"GET", "/api/v1/reports/{id}/duplicates", h_report_duplicates,
     WHO_ADMIN | WHO_MONITOR | WHO_MEDIATOR, 0, NULL},
    {"GET", "/api/v1/incidents/{id}/duplicates", h_incident_duplicates,
     WHO_ADMIN | WHO_MONITOR | WHO_MEDIATOR, 0, NULL},
    {"GET", "/api/v1/incidents.geojson", h_incidents_geojson, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/incidents.csv", h_incidents_csv, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/incidents/stats", h_incident_stats, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/incidents/grid", h_incident_grid, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/incidents/{id}", h_incident_get, WHO_PUBLIC, 0, NULL},
    {"GET", "/api/v1/incidents/{id}/history", h_incident_history, WHO_PUBLIC, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
