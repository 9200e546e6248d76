/* flow.c - requests and truckloads through the crossings; see flow.h. */
#include "aid/flow.h"

#include "aid/crossings.h"
#include "core/util.h"
#include "monitor/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const aid_categories[] = {"food",      "fuel",      "shelter", "health", "wash",
                                      "nutrition", "education", "other",   NULL};

int aid_is_category(const char *s)
{
    for (const char *const *c = aid_categories; *c; c++)
        if (strcmp(*c, s) == 0) return 1;
    return 0;
}

const char *const aid_step_names[AID_T_STEPS] = {"dispatched", "at_crossing", "screened",
                                                 "offloaded",  "collected",   "arrived"};

int aid_step(const char *state)
{
    for (int i = 0; i < AID_T_STEPS; i++)
        if (strcmp(aid_step_names[i], state) == 0) return i;
    return -1;
}

const char *aid_viewer(const aid_who *w)
{
    if (w->admin || !w->actor.org) return NULL;
    if (w->kind && (strcmp(w->kind, "monitor") == 0 || strcmp(w->kind, "mediator") == 0))
        return NULL;
    return w->actor.org;
}

/* Does w act for organization org (or as an administrator)? */
static int acts_for(const aid_who *w, const char *org)
{
    return w->admin || (org[0] && w->actor.org && strcmp(w->actor.org, org) == 0);
}

/* 403 auth.forbidden: only `org` (when there is one) or an administrator may. */
static int forbidden(tr_err *e, const char *org, const char *what)
{
    json_t *allowed = json_array();
    if (org[0]) json_array_append_new(allowed, json_string(org));
    json_array_append_new(allowed, json_string("admin"));
    if (org[0])
        err_set(e, 403, "auth.forbidden",
                "sign in as a user of that organization, or as an administrator",
                "only '%s' (or an administrator) may %s", org, what);
    else
        err_set(e, 403, "auth.forbidden", "sign in as an administrator",
                "nobody but an administrator may %s", what);
    return err_detail(e, json_pack("{s:o}", "allowed", allowed));
}

/* Who may see a request's or a truck's events. */
static void audience(char *out, size_t cap, const char *org, const char *operator)
{
    snprintf(out, cap, "org:%s%s%s kind:monitor kind:mediator admin",
             org, operator[0] ? " org:" : "", operator);
}

int aid_move_time(const json_t *in, int64_t since_ms, int64_t *ms, tr_err *e)
{
    const char *at = jsx_str(in, "at", NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    char when[UTIL_ISO_LEN];
    if (!at) {
        /* Now, or the last move's time if the clock is behind it: moves never go backwards. */
        *ms = now > since_ms ? now : since_ms;
        return 0;
    }
    if (util_parse_time(at, ms))
        return err_field(e, "request.invalid_field", "at",
                         "a UTC time as YYYY-MM-DDTHH:MM:SSZ (milliseconds optional)",
                         "'%s' is not a UTC time", at);
    if (*ms > now + 999)
        return err_field(e, "request.invalid_field", "at",
                         "the time it was observed: now or earlier, never the future",
                         "%s is in the future", at);
    if (*ms < since_ms) {
        util_iso_ms(since_ms, when);
        return err_field(e, "request.invalid_field", "at",
                         "moves are recorded in order: a time on or after the last one",
                         "%s is before the last move, at %s", at, when);
    }
    return 0;
}

/* ---- requests --------------------------------------------------------------------- */

static const jsx_field line_fields[] = {
    {.name = "category", .type = JSX_STRING, .oneof = aid_categories},
    {.name = "trucks", .type = JSX_INT, .min = 1, .max = 10000},
    {.name = "pallets", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1e7},
    {.name = "tonnes", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1e7},
    {0},
};
static const jsx_field line_item[] = {{.name = "", .type = JSX_OBJECT, .fields = line_fields}, {0}};

const jsx_field request_fields[] = {
    {.name = "ref", .type = JSX_STRING, .min = 1, .max = 64},
    {.name = "crossing", .type = JSX_SLUG},
    {.name = "destination", .type = JSX_SLUG},
    {.name = "lines", .type = JSX_ARRAY, .min = 1, .max = 8, .items = line_item},
    {.name = "at", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 20, .max = 24},
    {0},
};

/* A ref is what UN2720 and the organizations write: letters, digits and - _ . / */
static int ref_valid(const char *ref)
{
    for (const char *p = ref; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              strchr("-_./", *p)))
            return 0;
    return 1;
}

int aid_request_submit(store *s, const aid_who *w, const json_t *in, int64_t *id, tr_err *e)
{
    const char *ref = jsx_str(in, "ref", ""), *dest = jsx_str(in, "destination", "");
    const json_t *lines = json_object_get(in, "lines");
    store_crossing c;
    store_request old;
    char vis[256], at[UTIL_ISO_LEN];
    int64_t ms;
    size_t i, j;
    int rc;
    if (!w->actor.org)
        return err_set(e, 403, "auth.forbidden", "sign in as a user of a humanitarian organization",
                       "a request is made by an organization");
    if (!ref_valid(ref))
        return err_field(e, "request.invalid_field", "ref",
                         "the tracking number as issued, e.g. UTN-2025-000123",
                         "'%s' holds characters other than letters, digits and - _ . /", ref);
    for (i = 0; i < json_array_size(lines); i++)
        for (j = 0; j < i; j++)
            if (strcmp(jsx_str(json_array_get(lines, i), "category", ""),
                       jsx_str(json_array_get(lines, j), "category", "")) == 0) {
                char field[48];
                snprintf(field, sizeof field, "lines[%zu].category", i);
                return err_field(e, "request.invalid_field", field,
                                 "one line a category: add the trucks to the first",
                                 "category '%s' is on two lines",
                                 jsx_str(json_array_get(lines, i), "category", ""));
            }
    rc = aid_store(s)->crossing_get(s, jsx_str(in, "crossing", ""), &c, e);
    if (rc < 0) return -1;
    if (rc == 0)
        return err_field(e, "request.invalid_field", "crossing",
                         "list crossings with GET /api/v1/crossings", "no crossing '%s'",
                         jsx_str(in, "crossing", ""));
    rc = monitor_store(s)->zone_exists(s, dest, e);
    if (rc < 0) return -1;
    if (rc == 0)
        return err_field(e, "request.invalid_field", "destination",
                         "a zone of the deployment: GET /api/v1/zones", "no zone '%s'", dest);
    if (aid_move_time(in, 0, &ms, e)) return -1;
    rc = aid_store(s)->request_by_ref(s, ref, &old, e);
    if (rc < 0) return -1;
    if (rc == 1) {
        err_set(e, 409, "aid.ref_exists", "each request has its own tracking number",
                "request '%s' exists (id %lld)", ref, (long long)old.id);
        return err_detail(e, json_pack("{s:I}", "id", (json_int_t)old.id));
    }
    util_iso_ms(ms, at);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s}", "ref", ref, "org", w->actor.org,
                             "crossing", c.slug, "destination", dest, "lines", lines, "at", at);
    audience(vis, sizeof vis, w->actor.org, c.operated_by);
    rc = journal_record(s, &w->actor, "aid.request_submitted", body, vis, id, e);
    json_decref(body);
    return rc;
}

static int request_not_found(tr_err *e, int64_t id)
{
    return err_set(e, 404, "aid.request_not_found",
                   "list the requests you may see with GET /api/v1/aid/requests",
                   "no request %lld that you may see", (long long)id);
}

/* Whether viewer (NULL: anyone) may see a record of org through crossing. */
static int may_see(store *s, const char *viewer, const char *org, const char *crossing, tr_err *e)
{
    store_crossing c;
    if (!viewer || strcmp(viewer, org) == 0) return 1;
    int rc = aid_store(s)->crossing_get(s, crossing, &c, e);
    if (rc < 0) return -1;
    return rc == 1 && strcmp(c.operated_by, viewer) == 0;
}

int aid_request_find(store *s, const aid_who *w, int64_t id, store_request *out, tr_err *e)
{
    int rc = aid_store(s)->request_get(s, id, out, e);
    if (rc < 0) return -1;
    if (rc == 1) rc = may_see(s, aid_viewer(w), out->org, out->crossing, e);
    if (rc < 0) return -1;
    return rc == 1 ? 1 : request_not_found(e, id);
}

/* The JSON value of canonical text stored by the store, or null. */
static json_t *stored_json(const char *text)
{
    json_t *v = text[0] ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_null();
}

static json_t *time_or_null(int64_t ms)
{
    char iso[UTIL_ISO_LEN];
    if (!ms) return json_null();
    util_iso_ms(ms, iso);
    return json_string(iso);
}

json_t *aid_request_json(const store_request *r)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "id",
                     (json_int_t)r->id, "ref", r->ref, "org", r->org, "crossing", r->crossing,
                     "destination", r->destination, "lines", stored_json(r->lines), "state",
                     r->state, "reason", r->reason[0] ? json_string(r->reason) : json_null(),
                     "submitted_at", time_or_null(r->submitted_ms), "cleared_at",
                     time_or_null(r->cleared_ms), "updated_at", time_or_null(r->updated_ms));
}

static const char *const request_targets[] = {"cleared", "rejected", "cancelled", NULL};

const jsx_field request_move_fields[] = {
    {.name = "to", .type = JSX_STRING, .oneof = request_targets},
    {.name = "reason", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "at", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 20, .max = 24},
    {0},
};

/* 409 aid.bad_transition: what `what` in state `from` may become instead (NULL-terminated). */
static int bad_transition(tr_err *e, const char *what, const char *from, const char *to,
                          const char *const *allowed)
{
    json_t *list = json_array();
    char text[256] = "";
    for (; allowed && *allowed; allowed++) {
        json_array_append_new(list, json_string(*allowed));
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", text[0] ? ", " : "",
                 *allowed);
    }
    err_set(e, 409, "aid.bad_transition",
            text[0] ? "choose one of the allowed moves" : "this state is final",
            "a %s that is %s cannot become %s; allowed: %s", what, from, to,
            text[0] ? text : "none");
    return err_detail(e, json_pack("{s:s, s:o}", "state", from, "allowed", list));
}

int aid_request_move(store *s, const aid_who *w, int64_t id, const json_t *in, tr_err *e)
{
    static const char *const from_submitted[] = {"cleared", "rejected", "cancelled", NULL};
    static const char *const from_cleared[] = {"cancelled", NULL};
    const char *to = jsx_str(in, "to", ""), *reason = jsx_str(in, "reason", NULL);
    const char *const *allowed = NULL;
    store_request r;
    store_crossing c;
    char vis[256], at[UTIL_ISO_LEN];
    int64_t ms;
    if (aid_request_find(s, w, id, &r, e) < 0) return -1;
    if (crossing_find(s, r.crossing, &c, e)) return -1;
    if (strcmp(r.state, "submitted") == 0) allowed = from_submitted;
    if (strcmp(r.state, "cleared") == 0) allowed = from_cleared;
    int ok = 0;
    for (const char *const *a = allowed; a && *a; a++)
        ok |= strcmp(*a, to) == 0;
    if (!ok) return bad_transition(e, "request", r.state, to, allowed);
    if (strcmp(to, "cancelled") == 0 ? !acts_for(w, r.org) : !acts_for(w, c.operated_by))
        return forbidden(e, strcmp(to, "cancelled") == 0 ? r.org : c.operated_by,
                         strcmp(to, "cancelled") == 0 ? "cancel a request"
                                                      : "clear or reject requests through it");
    if (strcmp(to, "rejected") == 0 && !reason)
        return err_field(e, "request.missing_field", "reason",
                         "say why, for the requester and the record", "a rejection needs a reason");
    if (aid_move_time(in, r.updated_ms, &ms, e)) return -1;
    util_iso_ms(ms, at);
    json_t *body = json_pack("{s:I, s:s, s:s, s:s}", "request", (json_int_t)id, "from", r.state,
                             "to", to, "at", at);
    if (reason) json_object_set_new(body, "reason", json_string(reason));
    audience(vis, sizeof vis, r.org, c.operated_by);
    int rc = journal_record(s, &w->actor, "aid.request_moved", body, vis, NULL, e);
    json_decref(body);
    return rc;
}

/* ---- trucks ----------------------------------------------------------------------- */

const jsx_field dispatch_fields[] = {
    {.name = "count", .type = JSX_INT, .min = 1, .max = 1000},
    {.name = "category", .type = JSX_STRING, .oneof = aid_categories},
    {.name = "pallets", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1000},
    {.name = "tonnes", .type = JSX_NUMBER, .flags = JSX_OPTIONAL, .min = 0, .max = 1000},
    {.name = "at", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 20, .max = 24},
    {0},
};

int aid_dispatch(store *s, const aid_who *w, int64_t request, const json_t *in, json_t **trucks,
                 tr_err *e)
{
    const char *category = jsx_str(in, "category", "");
    json_int_t count = json_integer_value(json_object_get(in, "count"));
    store_request r;
    store_crossing c;
    json_t *lines, *line = NULL;
    int64_t done, next, ms;
    char vis[256], at[UTIL_ISO_LEN];
    size_t i;
    if (aid_request_find(s, w, request, &r, e) < 0) return -1;
    if (!acts_for(w, r.org)) return forbidden(e, r.org, "dispatch trucks under its request");
    if (strcmp(r.state, "cleared") != 0)
        return err_set(e, 409, "aid.request_not_cleared",
                       "trucks go under a request its crossing's operator has cleared",
                       "request %lld is %s", (long long)request, r.state);
    lines = stored_json(r.lines);
    for (i = 0; i < json_array_size(lines); i++)
        if (strcmp(jsx_str(json_array_get(lines, i), "category", ""), category) == 0)
            line = json_array_get(lines, i);
    json_int_t asked = line ? json_integer_value(json_object_get(line, "trucks")) : 0;
    json_decref(lines);
    if (!asked)
        return err_field(e, "request.invalid_field", "category",
                         "a category the request has a line for", "request %lld has no %s line",
                         (long long)request, category);
    if (aid_store(s)->truck_count(s, request, category, &done, e)) return -1;
    if (done + count > asked) {
        err_set(e, 409, "aid.request_exceeded", "dispatch at most the trucks the request has left",
                "request %lld asked for %lld %s trucks; %lld are dispatched", (long long)request,
                (long long)asked, category, (long long)done);
        return err_detail(e, json_pack("{s:I}", "remaining", (json_int_t)(asked - done)));
    }
    if (aid_move_time(in, r.cleared_ms, &ms, e)) return -1;
    if (crossing_find(s, r.crossing, &c, e)) return -1;
    if (aid_store(s)->truck_next_id(s, &next, e)) return -1;
    util_iso_ms(ms, at);
    *trucks = json_array();
    for (json_int_t k = 0; k < count; k++)
        json_array_append_new(*trucks, json_integer(next + k));
    json_t *body =
        json_pack("{s:I, s:O, s:s, s:f, s:f, s:s}", "request", (json_int_t)request, "trucks",
                  *trucks, "category", category, "pallets", jsx_num(in, "pallets", 0), "tonnes",
                  jsx_num(in, "tonnes", 0), "at", at);
    audience(vis, sizeof vis, r.org, c.operated_by);
    int rc = journal_record(s, &w->actor, "aid.trucks_dispatched", body, vis, NULL, e);
    json_decref(body);
    if (rc) {
        json_decref(*trucks);
        *trucks = NULL;
    }
    return rc;
}

static int truck_not_found(tr_err *e, int64_t id)
{
    err_set(e, 404, "aid.truck_not_found",
            "list the trucks you may see with GET /api/v1/aid/trucks",
            "no truck %lld that you may see", (long long)id);
    return err_detail(e, json_pack("{s:I}", "truck", (json_int_t)id));
}

int aid_truck_find(store *s, const aid_who *w, int64_t id, store_truck *out, tr_err *e)
{
    int rc = aid_store(s)->truck_get(s, id, out, e);
    if (rc < 0) return -1;
    if (rc == 1) rc = may_see(s, aid_viewer(w), out->org, out->crossing, e);
    if (rc < 0) return -1;
    return rc == 1 ? 1 : truck_not_found(e, id);
}

json_t *aid_truck_json(const store_truck *t)
{
    json_t *times = json_object();
    for (int i = 0; i < AID_T_STEPS; i++)
        if (t->t[i]) json_object_set_new(times, aid_step_names[i], time_or_null(t->t[i]));
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:f, s:f, s:s, s:o, s:o, s:o}", "id",
                     (json_int_t)t->id, "request", (json_int_t)t->request, "org", t->org,
                     "crossing", t->crossing, "destination", t->destination, "category",
                     t->category, "pallets", t->pallets, "tonnes", t->tonnes, "state", t->state,
                     "reason", t->reason[0] ? json_string(t->reason) : json_null(), "times", times,
                     "updated_at", time_or_null(t->last_ms));
}

/* The truck's moves: from a state, to a state, by the operator (1) or the requester (0),
 * needing a reason. */
static const struct truck_move {
    const char *from, *to;
    int operator, reason;
} truck_moves[] = {
    {"dispatched", "at_crossing", 1, 0},      {"at_crossing", "screened", 1, 0},
    {"at_crossing", "turned_back", 1, 1},     {"screened", "offloaded", 1, 0},
    {"offloaded", "collected", 0, 0},         {"offloaded", "collection_denied", 0, 1},
    {"collection_denied", "collected", 0, 0}, {"collection_denied", "collection_denied", 0, 1},
    {"collected", "in_transit", 0, 0},        {"in_transit", "arrived", 0, 0},
    {"in_transit", "intercepted", 0, 1},      {"in_transit", "lost", 0, 1},
    {"in_transit", "damaged", 0, 1},          {"arrived", "distributed", 0, 0},
};
#define N_TRUCK_MOVES (sizeof truck_moves / sizeof truck_moves[0])

static const char *const truck_states[] = {
    "at_crossing",       "screened",    "turned_back", "offloaded",   "collected",
    "collection_denied", "in_transit",  "arrived",     "intercepted", "lost",
    "damaged",           "distributed", NULL};
static const char *const interceptions[] = {"peaceful", "forced", NULL};

const jsx_field truck_move_fields[] = {
    {.name = "to", .type = JSX_STRING, .oneof = truck_states},
    {.name = "reason", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "at", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 20, .max = 24},
    {.name = "source", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 128},
    {.name = "interception", .type = JSX_STRING, .flags = JSX_OPTIONAL, .oneof = interceptions},
    {0},
};

static const jsx_field id_item[] = {{.name = "", .type = JSX_INT, .min = 1, .max = 9e15}, {0}};

const jsx_field trucks_move_fields[] = {
    {.name = "trucks", .type = JSX_ARRAY, .min = 1, .max = 1000, .items = id_item},
    {.name = "to", .type = JSX_STRING, .oneof = truck_states},
    {.name = "reason", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 256},
    {.name = "at", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 20, .max = 24},
    {.name = "source", .type = JSX_STRING, .flags = JSX_OPTIONAL, .min = 1, .max = 128},
    {.name = "interception", .type = JSX_STRING, .flags = JSX_OPTIONAL, .oneof = interceptions},
    {0},
};

/* The operator of a crossing, remembered across the trucks of one batch. */
typedef struct op_cache {
    char crossing[STORE_SLUG_MAX];
    char operator[STORE_SLUG_MAX];
} op_cache;

static int operator_of(store *s, op_cache *oc, const char *crossing, tr_err *e)
{
    store_crossing c;
    if (strcmp(oc->crossing, crossing) == 0) return 0;
    if (crossing_find(s, crossing, &c, e)) return -1;
    snprintf(oc->crossing, sizeof oc->crossing, "%s", c.slug);
    snprintf(oc->operator, sizeof oc->operator, "%s", c.operated_by);
    return 0;
}

/* Names the truck an error is about, keeping the detail the error already has. */
static int about_truck(tr_err *e, int64_t id)
{
    json_t *d = e->detail ? json_incref(e->detail) : json_object();
    json_object_set_new(d, "truck", json_integer(id));
    return err_detail(e, d);
}

static int move_one(store *s, const aid_who *w, op_cache *oc, int64_t id, const json_t *in,
                    json_t *out, tr_err *e)
{
    const char *to = jsx_str(in, "to", ""), *reason = jsx_str(in, "reason", NULL);
    const char *inter = jsx_str(in, "interception", NULL), *viewer = aid_viewer(w);
    const struct truck_move *m = NULL;
    const char *allowed[N_TRUCK_MOVES + 1];
    size_t n = 0;
    store_truck t;
    int64_t ms;
    char vis[256], at[UTIL_ISO_LEN];
    int rc = aid_store(s)->truck_get(s, id, &t, e);
    if (rc < 0) return -1;
    if (rc == 0) return truck_not_found(e, id);
    if (operator_of(s, oc, t.crossing, e)) return about_truck(e, id);
    /* One the caller may not see is one it cannot name: the same 404 as none. */
    if (viewer && strcmp(viewer, t.org) != 0 && strcmp(viewer, oc->operator) != 0)
        return truck_not_found(e, id);
    /* A retried move: the truck is already where it was asked to go, at that time. */
    if (jsx_str(in, "at", NULL) && strcmp(t.state, to) == 0 &&
        util_parse_time(jsx_str(in, "at", ""), &ms) == 0 && ms == t.last_ms) {
        if (out) json_array_append_new(out, aid_truck_json(&t));
        return 0;
    }
    for (size_t i = 0; i < N_TRUCK_MOVES; i++)
        if (strcmp(truck_moves[i].from, t.state) == 0) {
            allowed[n++] = truck_moves[i].to;
            if (strcmp(truck_moves[i].to, to) == 0) m = &truck_moves[i];
        }
    allowed[n] = NULL;
    if (!m) return bad_transition(e, "truck", t.state, to, allowed), about_truck(e, id);
    if (!acts_for(w, m->operator ? oc->operator : t.org))
        return forbidden(e, m->operator ? oc->operator : t.org,
                         m->operator ? "record a truck's steps at the crossing it operates"
                                     : "record the steps of its trucks after the crossing"),
               about_truck(e, id);
    if (m->reason && !reason)
        return err_field(e, "request.missing_field", "reason", "say why, for the record",
                         "a truck that is %s needs a reason", to),
               about_truck(e, id);
    if (strcmp(to, "intercepted") == 0 && !inter)
        return err_field(e, "request.missing_field", "interception", "\"peaceful\" or \"forced\"",
                         "an interception is peaceful or forced"),
               about_truck(e, id);
    if (inter && strcmp(to, "intercepted") != 0)
        return err_field(e, "request.invalid_field", "interception",
                         "only a move to intercepted says how",
                         "a truck that is %s was not intercepted", to),
               about_truck(e, id);
    if (aid_move_time(in, t.last_ms, &ms, e)) return about_truck(e, id);
    util_iso_ms(ms, at);
    json_t *body = json_pack("{s:I, s:s, s:s, s:s}", "truck", (json_int_t)id, "from", t.state, "to",
                             to, "at", at);
    if (reason) json_object_set_new(body, "reason", json_string(reason));
    if (inter) json_object_set_new(body, "interception", json_string(inter));
    if (jsx_str(in, "source", NULL))
        json_object_set_new(body, "source", json_string(jsx_str(in, "source", "")));
    audience(vis, sizeof vis, t.org, oc->operator);
    rc = journal_record(s, &w->actor, "aid.truck_moved", body, vis, NULL, e);
    json_decref(body);
    if (rc) return about_truck(e, id);
    if (!out) return 0;
    /* The truck as the projection has just written it. */
    snprintf(t.state, sizeof t.state, "%s", to);
    snprintf(t.reason, sizeof t.reason, "%s", reason ? reason : "");
    if (aid_step(to) >= 0) t.t[aid_step(to)] = ms;
    t.last_ms = ms;
    json_array_append_new(out, aid_truck_json(&t));
    return 0;
}

int aid_trucks_move(store *s, const aid_who *w, int64_t id, const json_t *in, json_t **out,
                    tr_err *e)
{
    op_cache oc = {"", ""};
    const json_t *ids = json_object_get(in, "trucks");
    json_t *list = out ? json_array() : NULL;
    if (out) *out = list;
    if (id > 0) {
        if (move_one(s, w, &oc, id, in, list, e)) goto fail;
        return 0;
    }
    for (size_t i = 0; i < json_array_size(ids); i++) {
        int64_t t = json_integer_value(json_array_get(ids, i));
        for (size_t j = 0; j < i; j++)
            if (json_integer_value(json_array_get(ids, j)) == t) {
                err_field(e, "request.invalid_field", "trucks", "name each truck once",
                          "truck %lld is named twice", (long long)t);
                goto fail;
            }
        if (move_one(s, w, &oc, t, in, list, e)) goto fail;
    }
    return 0;
fail:
    json_decref(list);
    if (out) *out = NULL;
    return -1;
}
