/* evaluate.c - an obligation's state on a day, from the evidence; the agreement's list and
 * its scorecard. See comply.h for the kinds and states. Deterministic: the same record and
 * the same day give the same answer, whenever it is asked. */
#include "comply/comply.h"

#include "accounts/store.h"
#include "aid/counts.h"
#include "aid/store.h"
#include "core/buf.h"
#include "core/util.h"
#include "monitor/export.h"
#include "monitor/store.h"
#include "negotiate/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 100 /* incidents, observations... listed as evidence; counts are whole */

typedef struct ctx {
    store *s;
    int64_t effective; /* day number of the agreement's day 1 */
    int64_t as_of;     /* day number */
    char as_of_date[11];
    int depth;
} ctx;

/* The date of the agreement's day k. */
static void day_date(const ctx *c, int64_t k, char out[11])
{
    util_day_of_number(c->effective + k - 1, out);
}

static json_t *evaluate(ctx *c, const store_obligation *o, tr_err *e);

/* ---- what was said ------------------------------------------------------------------ */

typedef struct notes {
    const ctx *c;
    json_t *observations, *deliverables, *responses, *decisions;
} notes;

static int note_cb(void *cls, const void *row)
{
    notes *n = cls;
    const store_note *r = row;
    json_t *doc = json_loads(r->doc, 0, NULL), *list;
    if (!doc) return 0;
    /* Evidence counts on the day it is about; answers and decisions on the day they came. */
    const char *day = strcmp(r->kind, "observation") == 0 || strcmp(r->kind, "deliverable") == 0
                          ? r->date
                          : r->recorded_at;
    if (util_day_number(day) > n->c->as_of) {
        json_decref(doc);
        return 0;
    }
    json_object_del(doc, "obligation");
    json_object_set_new(doc, "id", json_integer(r->id));
    json_object_set_new(doc, "by", r->org[0] ? json_string(r->org) : json_null());
    json_object_set_new(doc, "recorded_at", json_string(r->recorded_at));
    list = strcmp(r->kind, "observation") == 0   ? n->observations
           : strcmp(r->kind, "deliverable") == 0 ? n->deliverables
           : strcmp(r->kind, "response") == 0    ? n->responses
                                                 : n->decisions;
    json_array_append_new(list, doc);
    return 0;
}

/* The earliest date among items (a list of {"date"}), or NULL. */
static const char *earliest(const json_t *items)
{
    const char *best = NULL;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const char *d = json_string_value(json_object_get(json_array_get(items, i), "date"));
        if (d && (!best || strcmp(d, best) < 0)) best = d;
    }
    return best;
}

/* ---- incidents ---------------------------------------------------------------------- */

typedef struct incidents {
    const json_t *spec; /* the obligation's incidents {event_types, sub_event_types?, zones?} */
    const char *actor;
    int verified_only;
    int64_t count;
    json_t *listed;
} incidents;

static int status_counts(const char *status, int verified_only)
{
    static const char *const standing[] = {"verified", "disputed", "upheld"};
    static const char *const alleged[] = {"reported", "under_investigation"};
    for (size_t i = 0; i < 3; i++)
        if (strcmp(status, standing[i]) == 0) return 1;
    for (size_t i = 0; !verified_only && i < 2; i++)
        if (strcmp(status, alleged[i]) == 0) return 1;
    return 0;
}

static int incident_cb(void *cls, const void *row)
{
    incidents *x = cls;
    const store_incident_row *r = row;
    buf tmp = BUF_INIT;
    if (r->merged_into || !status_counts(r->status, x->verified_only)) return 0;
    const char *text = export_incident_doc(r, &tmp);
    json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
    buf_free(&tmp);
    if (!doc) return 0;
    const json_t *subs = json_object_get(x->spec, "sub_event_types"),
                 *zones = json_object_get(x->spec, "zones");
    int ok = strcmp(jsx_str(doc, "actor1", ""), x->actor) == 0 &&
             (!subs || jsx_has(subs, jsx_str(doc, "sub_event_type", NULL)));
    if (ok && zones) {
        int any = 0;
        const json_t *tagged = json_object_get(doc, "zones");
        for (size_t i = 0; i < json_array_size(tagged); i++)
            any |= jsx_has(zones, json_string_value(json_array_get(tagged, i)));
        ok = any;
    }
    if (ok) {
        x->count++;
        if (json_array_size(x->listed) < MAX_LISTED)
            json_array_append_new(x->listed,
                                  json_pack("{s:I, s:o, s:s, s:s, s:s}", "id", (json_int_t)r->id,
                                            "event_id_cnty",
                                            json_object_get(doc, "event_id_cnty")
                                                ? json_incref(json_object_get(doc, "event_id_cnty"))
                                                : json_null(),
                                            "date", jsx_str(doc, "event_date", ""), "event_type",
                                            jsx_str(doc, "event_type", ""), "status", r->status));
    }
    json_decref(doc);
    return 0;
}

typedef struct actor_list {
    char **names;
    size_t n;
} actor_list;

static int actor_cb(void *cls, const void *row)
{
    actor_list *l = cls;
    l->names = realloc(l->names, (l->n + 1) * sizeof *l->names);
    if (!l->names || !(l->names[l->n] = strdup(row))) abort();
    l->n++;
    return 0;
}

static int first_cb(void *cls, const void *row)
{
    (void)row;
    *(int *)cls = 1;
    return 1;
}

static int attributed_cb(void *cls, const void *row)
{
    const store_attributed *r = row;
    json_array_append_new(
        cls, json_pack("{s:I, s:o, s:s, s:s, s:s}", "id", (json_int_t)r->id, "event_id_cnty",
                       r->external_id ? json_string(r->external_id) : json_null(), "date",
                       r->event_date, "event_type", r->event_type, "status", r->status));
    return 0;
}

/* The incidents of the spec attributed to party from..to: *count, and listed. *any: were
 * there incidents at all those days (monitoring covered them)? Through the index on actor
 * and type unless sub-event types are asked for, which only the documents hold. */
static int count_incidents(store *s, const char *party, const json_t *spec, const char *from,
                           const char *to, int64_t *count, json_t *listed, int *any, tr_err *e)
{
    actor_list actors = {0};
    incidents x = {spec, NULL, strcmp(jsx_str(spec, "min_status", "verified"), "verified") == 0, 0,
                   listed};
    const json_t *types = json_object_get(spec, "event_types");
    store_incident_filter all = {.date_from = from, .date_to = to};
    int rc = accounts_store(s)->org_actors_list(s, party, actor_cb, &actors, e);
    *any = 0;
    if (rc == 0) rc = monitor_store(s)->incident_list(s, &all, 0, 1, first_cb, any, e);
    if (rc == 0 && !json_object_get(spec, "sub_event_types")) {
        json_t *names = json_array();
        for (size_t a = 0; a < actors.n; a++)
            json_array_append_new(names, json_string(actors.names[a]));
        char *an = json_dumps(names, JSON_COMPACT), *tn = json_dumps(types, JSON_COMPACT);
        char *zn = json_object_get(spec, "zones")
                       ? json_dumps(json_object_get(spec, "zones"), JSON_COMPACT)
                       : NULL;
        store_attribution at = {an, tn, zn, from, to, x.verified_only};
        rc = monitor_store(s)->incident_attributed(s, &at, MAX_LISTED, attributed_cb, listed,
                                                   &x.count, e);
        free(an);
        free(tn);
        free(zn);
        json_decref(names);
        goto done;
    }
    for (size_t a = 0; rc == 0 && a < actors.n; a++)
        for (size_t t = 0; rc == 0 && t < json_array_size(types); t++) {
            store_incident_filter f = {.event_type = json_string_value(json_array_get(types, t)),
                                       .date_from = from,
                                       .date_to = to,
                                       .actor = actors.names[a]};
            x.actor = actors.names[a];
            rc = monitor_store(s)->incident_list(s, &f, 0, INT64_MAX, incident_cb, &x, e);
        }
done:
    for (size_t a = 0; a < actors.n; a++)
        free(actors.names[a]);
    free(actors.names);
    *count = x.count;
    return rc;
}

/* ---- aid denials -------------------------------------------------------------------- */

typedef struct denials {
    const json_t *crossings; /* the obligation's, or NULL: those the party operates */
    const char *party;
    store *s;
    int64_t from_ms, to_ms;
    int64_t rejected, turned_back, collection_denied;
} denials;

static int crossing_of_party(const denials *d, const char *crossing)
{
    if (d->crossings) return jsx_has(d->crossings, crossing);
    store_crossing c;
    tr_err e = TR_ERR_INIT;
    int rc = aid_store(d->s)->crossing_get(d->s, crossing, &c, &e);
    err_clear(&e);
    return rc == 1 && strcmp(c.operated_by, d->party) == 0;
}

static int denial_day_cb(void *cls, const void *row)
{
    denials *d = cls;
    const store_truck_day *r = row;
    int turned = strcmp(r->state, "turned_back") == 0,
        denied = strcmp(r->state, "collection_denied") == 0;
    if ((turned || denied) && crossing_of_party(d, r->crossing)) {
        if (turned) d->turned_back += r->n;
        if (denied) d->collection_denied += r->n;
    }
    return 0;
}

static int rejected_cb(void *cls, const void *row)
{
    denials *d = cls;
    const store_request *r = row;
    if (r->updated_ms >= d->from_ms && r->updated_ms < d->to_ms &&
        crossing_of_party(d, r->crossing))
        d->rejected++;
    return 0;
}

/* ---- the kinds ---------------------------------------------------------------------- */

/* The state of a window from..to (day numbers) by as_of, when nothing breached it. */
static const char *window_state(const ctx *c, int64_t from, int64_t to)
{
    if (c->as_of < from) return "scheduled";
    return to && c->as_of < to ? "active" : "met";
}

static int eval_incidents(ctx *c, const store_obligation *o, const json_t *spec, json_t *out,
                          tr_err *e)
{
    int area = strcmp(o->kind, "area") == 0;
    int64_t from = (int64_t)jsx_num(spec, "from_day", 1), to = (int64_t)jsx_num(spec, "to_day", 0);
    int64_t threshold = (int64_t)jsx_num(spec, "threshold", 0), count = 0;
    int64_t last = to && c->effective + to - 1 < c->as_of ? c->effective + to - 1 : c->as_of;
    char a[11], b[11];
    int any = 0;
    json_t *listed = json_array();
    day_date(c, from, a);
    util_day_of_number(last, b);
    if (c->as_of >= c->effective + from - 1 &&
        count_incidents(c->s, o->party, json_object_get(spec, "incidents"), a, b, &count, listed,
                        &any, e)) {
        json_decref(listed);
        return -1;
    }
    const char *state = window_state(c, c->effective + from - 1, to ? c->effective + to - 1 : 0);
    if (area && !to && strcmp(state, "met") == 0) state = "active";
    if (strcmp(state, "scheduled") != 0) {
        if (count > threshold)
            state = "breached";
        else if (!any)
            state = "not_evaluable";
    }
    json_object_set_new(out, "state", json_string(state));
    json_object_set_new(out, "count", json_integer(count));
    json_object_set_new(out, "evidence",
                        json_pack("{s:I, s:o, s:b}", "threshold", (json_int_t)threshold,
                                  "incidents", listed, "monitored", any));
    return 0;
}

static int eval_access(ctx *c, const store_obligation *o, const json_t *spec, json_t *out,
                       tr_err *e)
{
    int64_t from = (int64_t)jsx_num(spec, "from_day", 1), to = (int64_t)jsx_num(spec, "to_day", 1);
    int64_t threshold = (int64_t)jsx_num(spec, "threshold", 0);
    int64_t first = c->effective + from - 1, last = c->effective + to - 1;
    char a[11], b[11];
    denials d = {json_object_get(spec, "crossings"), o->party, c->s, first * 86400000, 0, 0, 0, 0};
    if (last > c->as_of) last = c->as_of;
    d.to_ms = (last + 1) * 86400000;
    util_day_of_number(first, a);
    util_day_of_number(last, b);
    const char *state = window_state(c, first, c->effective + to - 1);
    if (strcmp(state, "scheduled") != 0) {
        aid_filter f = {.state = "rejected", .limit = INT64_MAX};
        if (aid_store(c->s)->truck_day_scan(c->s, a, b, "", "", denial_day_cb, &d, e) ||
            aid_store(c->s)->request_scan(c->s, &f, rejected_cb, &d, e))
            return -1;
    }
    int64_t count = d.rejected + d.turned_back + d.collection_denied;
    if (count > threshold) state = "breached";
    json_object_set_new(out, "state", json_string(state));
    json_object_set_new(out, "count", json_integer(count));
    json_object_set_new(out, "evidence",
                        json_pack("{s:I, s:I, s:I, s:I}", "threshold", (json_int_t)threshold,
                                  "requests_rejected", (json_int_t)d.rejected, "trucks_turned_back",
                                  (json_int_t)d.turned_back, "collections_denied",
                                  (json_int_t)d.collection_denied));
    return 0;
}

static void eval_due(ctx *c, const json_t *spec, const json_t *items, json_t *out)
{
    int64_t due = c->effective + (int64_t)jsx_num(spec, "due_day", 1) - 1;
    const char *first = earliest(items), *state;
    char due_date[11];
    util_day_of_number(due, due_date);
    if (first)
        state = util_day_number(first) <= due ? "met" : "met_late";
    else
        state = c->as_of > due ? "breached" : "active";
    json_object_set_new(out, "state", json_string(state));
    json_object_set_new(out, "due", json_string(due_date));
}

static void eval_schedule(ctx *c, const json_t *spec, const json_t *observations, json_t *out)
{
    const json_t *steps = json_object_get(spec, "steps");
    json_t *rows = json_array();
    double owed = 0;
    size_t due = 0, reached = 0;
    for (size_t i = 0; i < json_array_size(steps); i++) {
        const json_t *st = json_array_get(steps, i);
        int64_t day = c->effective + (int64_t)jsx_num(st, "day", 1) - 1;
        double got = 0;
        char date[11];
        owed += jsx_num(st, "quantity", 0);
        for (size_t k = 0; k < json_array_size(observations); k++) {
            const json_t *ob = json_array_get(observations, k);
            if (util_day_number(jsx_str(ob, "date", "9999-12-31")) <= day)
                got += jsx_num(ob, "quantity", 0);
        }
        util_day_of_number(day, date);
        int is_due = day <= c->as_of, ok = got >= owed;
        due += is_due;
        reached += is_due && ok;
        json_array_append_new(rows, json_pack("{s:s, s:o, s:o, s:b, s:b}", "date", date, "owed",
                                              aid_number(owed), "delivered", aid_number(got), "due",
                                              is_due, "reached", ok));
    }
    const char *state = !due                                             ? "scheduled"
                        : reached == due && due < json_array_size(steps) ? "active"
                        : reached == due                                 ? "met"
                        : reached                                        ? "partially_met"
                                                                         : "breached";
    if (!due && c->as_of >= c->effective) state = "active";
    json_object_set_new(out, "state", json_string(state));
    json_object_set_new(out, "evidence", json_pack("{s:o}", "steps", rows));
}

static int eval_rate(ctx *c, const json_t *spec, json_t *out, tr_err *e)
{
    int64_t from = c->effective + (int64_t)jsx_num(spec, "from_day", 1) - 1;
    int64_t to = c->effective + (int64_t)jsx_num(spec, "to_day", 1) - 1;
    int64_t last = to < c->as_of ? to : c->as_of, rows = 0, all = to - from + 1;
    double tolerance = jsx_num(spec, "tolerance", 0);
    store_target t = {0};
    if (json_object_get(spec, "target")) {
        if (aid_store(c->s)->target_get(c->s, (int64_t)jsx_num(spec, "target", 0), &t, e) != 1)
            return -1;
    } else {
        const json_t *r = json_object_get(spec, "rate");
        snprintf(t.per, sizeof t.per, "day");
        t.value = jsx_num(r, "value", 0);
        snprintf(t.basis, sizeof t.basis, "%s", jsx_str(r, "basis", ""));
        snprintf(t.source, sizeof t.source, "%s", jsx_str(r, "source", ""));
        snprintf(t.category, sizeof t.category, "%s", jsx_str(r, "category", ""));
    }
    if (last < from) {
        json_object_set_new(out, "state", json_string("scheduled"));
        return 0;
    }
    int64_t n = last - from + 1, met = 0;
    double *v = calloc((size_t)n, sizeof *v), cumulative = 0;
    char a[11], b[11];
    util_day_of_number(from, a);
    util_day_of_number(last, b);
    if (!v) abort();
    if (aid_values(c->s, &t, a, b, v, &rows, e)) {
        free(v);
        return -1;
    }
    json_t *days = json_array();
    for (int64_t i = 0; i < n; i++) {
        char d[11];
        double short_by = v[i] < t.value ? t.value - v[i] : 0;
        util_day_of_number(from + i, d);
        met += v[i] >= t.value;
        cumulative += short_by;
        json_array_append_new(days, json_pack("{s:s, s:o, s:o}", "date", d, "actual",
                                              aid_number(v[i]), "shortfall", aid_number(short_by)));
    }
    free(v);
    /* Breached once the days short exceed the tolerance of the whole window. */
    double allowed = floor(tolerance * (double)all + 1e-9);
    const char *state = (double)(n - met) > allowed ? "breached" : last < to ? "active" : "met";
    if (!rows) state = "not_evaluable";
    json_object_set_new(out, "state", json_string(state));
    json_object_set_new(out, "evidence",
                        json_pack("{s:o, s:s, s:s, s:I, s:I, s:o, s:o, s:o}", "per_day",
                                  aid_number(t.value), "source", t.source, "basis", t.basis,
                                  "days_met", (json_int_t)met, "days_short", (json_int_t)(n - met),
                                  "days_allowed_short", aid_number(allowed), "cumulative_shortfall",
                                  aid_number(cumulative), "days", days));
    return 0;
}

/* ---- the whole ---------------------------------------------------------------------- */

/* The state of obligation id as c stands, or NULL. */
static const char *state_of(ctx *c, int64_t id, char out[24], tr_err *e)
{
    store_obligation o = {0};
    json_t *r = NULL;
    if (c->depth < 8 && comply_store(c->s)->obligation_get(c->s, id, &o, e) == 1) {
        c->depth++;
        r = evaluate(c, &o, e);
        c->depth--;
    }
    free(o.spec);
    if (!r) return NULL;
    snprintf(out, 24, "%s", jsx_str(r, "state", ""));
    json_decref(r);
    return out;
}

static json_t *evaluate(ctx *c, const store_obligation *o, tr_err *e)
{
    json_t *spec = json_loads(o->spec, 0, NULL);
    notes n = {c, json_array(), json_array(), json_array(), json_array()};
    json_t *out = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)o->id,
                            "agreement", (json_int_t)o->agreement, "ref", o->ref, "title", o->title,
                            "party", o->party, "kind", o->kind, "as_of", c->as_of_date);
    json_t *overlays = json_array();
    int rc = spec ? comply_store(c->s)->note_list(c->s, o->id, note_cb, &n, e) : -1;
    json_object_set(out, "phase",
                    json_object_get(spec, "phase") ? json_object_get(spec, "phase") : json_null());
    if (rc == 0) {
        if (!strcmp(o->kind, "prohibition") || !strcmp(o->kind, "area"))
            rc = eval_incidents(c, o, spec, out, e);
        else if (!strcmp(o->kind, "access"))
            rc = eval_access(c, o, spec, out, e);
        else if (!strcmp(o->kind, "deadline"))
            eval_due(c, spec, n.observations, out);
        else if (!strcmp(o->kind, "deliverable"))
            eval_due(c, spec, n.deliverables, out);
        else if (!strcmp(o->kind, "schedule"))
            eval_schedule(c, spec, n.observations, out);
        else if (!strcmp(o->kind, "rate"))
            rc = eval_rate(c, spec, out, e);
    }
    char other[24];
    if (rc == 0 && json_object_get(spec, "trigger")) {
        const char *t = state_of(c, (int64_t)jsx_num(spec, "trigger", 0), other, e);
        if (!t)
            rc = -1;
        else if (strcmp(t, "met") != 0 && strcmp(t, "met_late") != 0) {
            json_object_set_new(out, "state", json_string("scheduled"));
            json_object_set_new(out, "waiting_for",
                                json_integer((json_int_t)jsx_num(spec, "trigger", 0)));
        }
    }
    if (rc == 0 && json_object_get(spec, "suspended_by")) {
        const char *t = state_of(c, (int64_t)jsx_num(spec, "suspended_by", 0), other, e);
        if (!t)
            rc = -1;
        else if (strcmp(t, "breached") == 0)
            json_array_append_new(overlays, json_string("suspended"));
    }
    /* Answers and decisions: the last word settles or reopens a finding. */
    const char *finding = "provisional";
    size_t nr = json_array_size(n.responses), nd = json_array_size(n.decisions);
    const json_t *last_decision = nd ? json_array_get(n.decisions, nd - 1) : NULL;
    int64_t last_response =
        nr ? json_integer_value(json_object_get(json_array_get(n.responses, nr - 1), "id")) : 0;
    if (last_decision) {
        finding = jsx_str(last_decision, "outcome", "provisional");
        if (strcmp(finding, "waived") == 0) json_array_append_new(overlays, json_string("waived"));
    }
    if (nr && (!last_decision ||
               json_integer_value(json_object_get(last_decision, "id")) < last_response)) {
        json_array_append_new(overlays, json_string("disputed"));
        finding = "provisional";
    }
    json_object_set_new(out, "overlays", overlays);
    json_object_set_new(out, "finding", json_string(finding));
    json_object_set_new(out, "observations", n.observations);
    json_object_set_new(out, "deliverables", n.deliverables);
    json_object_set_new(out, "responses", n.responses);
    json_object_set_new(out, "decisions", n.decisions);
    if (!json_object_get(out, "evidence")) json_object_set_new(out, "evidence", json_object());
    json_object_set(out, "definition", spec);
    json_decref(spec);
    if (rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* A context for agreement's obligations on as_of. */
static int context(store *s, int64_t agreement, const char *as_of, ctx *c, tr_err *e)
{
    store_agreement a = {0};
    int rc = negotiate_store(s)->agreement_get(s, agreement, &a, e);
    json_t *doc = rc == 1 ? json_loads(a.doc, 0, NULL) : NULL;
    free(a.doc);
    if (rc < 0) return -1;
    if (!doc)
        return err_set(e, 404, "agreement.not_found", "see GET /api/v1/agreements/{id}",
                       "no agreement %lld", (long long)agreement);
    const char *eff = jsx_str(doc, "effective", "");
    memset(c, 0, sizeof *c);
    c->s = s;
    c->effective = util_is_date(eff) ? util_day_number(eff) : 0;
    c->as_of = util_day_number(as_of);
    snprintf(c->as_of_date, sizeof c->as_of_date, "%s", as_of);
    json_decref(doc);
    return 0;
}

json_t *comply_evaluate(store *s, const store_obligation *o, const char *as_of, tr_err *e)
{
    ctx c;
    if (context(s, o->agreement, as_of, &c, e)) return NULL;
    return evaluate(&c, o, e);
}

typedef struct listing {
    ctx *c;
    json_t *items;
    tr_err *e;
    int failed;
} listing;

static int list_cb(void *cls, const void *row)
{
    listing *l = cls;
    store_obligation o = *(const store_obligation *)row;
    o.spec = strdup(o.spec);
    json_t *r = o.spec ? evaluate(l->c, &o, l->e) : NULL;
    free(o.spec);
    if (!r) {
        l->failed = 1;
        return 1;
    }
    json_array_append_new(l->items, r);
    return 0;
}

json_t *comply_list(store *s, int64_t agreement, const char *as_of, tr_err *e)
{
    ctx c;
    if (context(s, agreement, as_of, &c, e)) return NULL;
    listing l = {&c, json_array(), e, 0};
    if (comply_store(s)->obligation_list(s, agreement, list_cb, &l, e) || l.failed) {
        json_decref(l.items);
        return NULL;
    }
    return json_pack("{s:I, s:s, s:o}", "agreement", (json_int_t)agreement, "as_of", as_of,
                     "obligations", l.items);
}

/* The Peace Accords Matrix's 0-3 (not implemented, minimal, intermediate, full); null while
 * it is too early to say. */
static json_t *pam(const char *state)
{
    if (!strcmp(state, "met")) return json_integer(3);
    if (!strcmp(state, "met_late")) return json_integer(2);
    if (!strcmp(state, "partially_met")) return json_integer(1);
    if (!strcmp(state, "breached")) return json_integer(0);
    return json_null();
}

static void bump(json_t *obj, const char *key)
{
    json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + 1));
}

/* Today's scorecard from the states the server journaled today (settle.c), when every
 * obligation of the agreement has one: {"obligations": [{id, ref, party, phase, state,
 * overlays, finding}]} as comply_list would give them, or NULL (then they are evaluated). */
typedef struct from_states {
    store *s;
    const char *as_of;
    json_t *list;
    int missing;
    tr_err *e;
} from_states;

static int state_row_cb(void *cls, const void *row)
{
    from_states *f = cls;
    const store_obligation *o = row;
    store_ob_state st;
    int rc = comply_store(f->s)->state_get(f->s, o->id, &st, f->e);
    if (rc != 1 || strcmp(st.as_of, f->as_of) > 0) {
        f->missing = 1;
        return 1;
    }
    json_t *spec = json_loads(o->spec, 0, NULL), *overlays = json_loads(st.overlays, 0, NULL);
    json_array_append_new(
        f->list,
        json_pack("{s:I, s:s, s:s, s:O, s:s, s:o, s:s}", "id", (json_int_t)o->id, "ref", o->ref,
                  "party", o->party, "phase",
                  json_object_get(spec, "phase") ? json_object_get(spec, "phase") : json_null(),
                  "state", st.state, "overlays", overlays ? overlays : json_array(), "finding",
                  st.finding));
    json_decref(spec);
    return 0;
}

static json_t *settled_today(store *s, int64_t agreement, const char *as_of, tr_err *e)
{
    char today[11], settled[11];
    util_day_at(util_unix_s(), today);
    if (strcmp(as_of, today) != 0 || comply_store(s)->settled_get(s, settled, e) != 1 ||
        strcmp(settled, today) != 0) {
        err_clear(e);
        return NULL;
    }
    from_states f = {s, as_of, json_array(), 0, e};
    int rc = comply_store(s)->obligation_list(s, agreement, state_row_cb, &f, e);
    if (rc || f.missing || !json_array_size(f.list)) {
        json_decref(f.list);
        err_clear(e);
        return NULL;
    }
    return json_pack("{s:o}", "obligations", f.list);
}

json_t *comply_scorecard(store *s, int64_t agreement, const char *as_of, tr_err *e)
{
    json_t *all = settled_today(s, agreement, as_of, e), *o;
    size_t i;
    if (!all) all = comply_list(s, agreement, as_of, e);
    if (!all) return NULL;
    json_t *parties = json_object(), *rows = json_array();
    json_array_foreach(json_object_get(all, "obligations"), i, o)
    {
        const char *party = jsx_str(o, "party", ""), *state = jsx_str(o, "state", "");
        const char *finding = jsx_str(o, "finding", "provisional");
        json_t *p = json_object_get(parties, party);
        if (!p) {
            p = json_pack("{s:i, s:{}, s:{}, s:{}}", "obligations", 0, "provisional", "settled",
                          "phases");
            json_object_set_new(parties, party, p);
        }
        json_object_set_new(
            p, "obligations",
            json_integer(json_integer_value(json_object_get(p, "obligations")) + 1));
        bump(json_object_get(p, "provisional"), state);
        /* Settled: what a decision upheld as found, or overturned. */
        if (!strcmp(finding, "upheld")) bump(json_object_get(p, "settled"), state);
        if (!strcmp(finding, "overturned")) bump(json_object_get(p, "settled"), "overturned");
        if (!strcmp(finding, "waived")) bump(json_object_get(p, "settled"), "waived");
        char phase[16];
        snprintf(phase, sizeof phase, "%lld",
                 (long long)json_integer_value(json_object_get(o, "phase")));
        json_t *ph = json_object_get(json_object_get(p, "phases"),
                                     json_is_null(json_object_get(o, "phase")) ? "none" : phase);
        if (!ph) {
            ph = json_object();
            json_object_set_new(json_object_get(p, "phases"),
                                json_is_null(json_object_get(o, "phase")) ? "none" : phase, ph);
        }
        bump(ph, state);
        json_array_append_new(
            rows,
            json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:o}", "id", json_object_get(o, "id"), "ref",
                      json_object_get(o, "ref"), "party", json_object_get(o, "party"), "state",
                      json_object_get(o, "state"), "overlays", json_object_get(o, "overlays"),
                      "finding", json_object_get(o, "finding"), "pam", pam(state)));
    }
    const char *name;
    json_t *p;
    json_object_foreach(parties, name, p)
    {
        json_t *by = json_object_get(p, "provisional");
        json_int_t met = json_integer_value(json_object_get(by, "met")) +
                         json_integer_value(json_object_get(by, "met_late"));
        json_int_t ended = met + json_integer_value(json_object_get(by, "partially_met")) +
                           json_integer_value(json_object_get(by, "breached"));
        json_object_set_new(p, "share_met",
                            ended ? json_real((double)met / (double)ended) : json_null());
    }
    json_t *out = json_pack("{s:I, s:s, s:o, s:o}", "agreement", (json_int_t)agreement, "as_of",
                            as_of, "parties", parties, "obligations", rows);
    json_decref(all);
    return out;
}
