/* project.c - how the aid pillar's events change its tables: crossings and their closures. See
 * journal/projection.h for what a projection may do. */
#include "aid/project.h"

#include "aid/flow.h"
#include "aid/store.h"
#include "core/util.h"
#include "json/jsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_crossing(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_crossing c = {0};
    JOURNAL_COPY(c.slug, b, "slug");
    JOURNAL_COPY(c.name, b, "name");
    JOURNAL_COPY(c.notes, b, "notes");
    c.lat = jsx_num(b, "lat", 0);
    c.lon = jsx_num(b, "lon", 0);
    /* Absent from the events of databases before aid/0001-crossing-operation. */
    snprintf(c.operated_by, sizeof c.operated_by, "%s", jsx_str(b, "operated_by", ""));
    snprintf(c.hours, sizeof c.hours, "%s", jsx_str(b, "hours", ""));
    c.capacity_per_day = (long)jsx_num(b, "capacity_per_day", 0);
    return aid_store(s)->crossing_insert(s, &c, e);
}

static int on_closure(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_closure c = {.id = ev->seq};
    JOURNAL_COPY(c.crossing, b, "crossing");
    JOURNAL_COPY(c.from_date, b, "from");
    JOURNAL_COPY(c.reason, b, "reason");
    snprintf(c.to_date, sizeof c.to_date, "%s", jsx_str(b, "to", ""));
    snprintf(c.recorded_by, sizeof c.recorded_by, "%s", ev->actor_org ? ev->actor_org : "");
    snprintf(c.recorded_at, sizeof c.recorded_at, "%s", ev->time);
    return aid_store(s)->closure_insert(s, &c, e);
}

/* The time an event's body says it happened ("at"), Unix ms. */
static int body_time(const json_t *b, int64_t *ms, tr_err *e)
{
    if (util_parse_time(jsx_str(b, "at", ""), ms) == 0) return 0;
    return err_set(e, 500, "store.failed", NULL, "an aid event without a valid time");
}

static int on_request(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_request r = {.id = ev->seq};
    char *lines = jsx_canonical(json_object_get(b, "lines"), NULL);
    JOURNAL_COPY(r.ref, b, "ref");
    JOURNAL_COPY(r.org, b, "org");
    JOURNAL_COPY(r.crossing, b, "crossing");
    JOURNAL_COPY(r.destination, b, "destination");
    snprintf(r.lines, sizeof r.lines, "%s", lines ? lines : "[]");
    free(lines);
    snprintf(r.state, sizeof r.state, "submitted");
    if (body_time(b, &r.submitted_ms, e)) return -1;
    r.updated_ms = r.submitted_ms;
    return aid_store(s)->request_insert(s, &r, e);
}

static int on_request_moved(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_request r;
    int64_t ms;
    char day[11];
    (void)ev;
    if (body_time(b, &ms, e)) return -1;
    if (aid_store(s)->request_get(s, (int64_t)jsx_num(b, "request", 0), &r, e) != 1) return -1;
    JOURNAL_COPY(r.state, b, "to");
    snprintf(r.reason, sizeof r.reason, "%s", jsx_str(b, "reason", ""));
    r.updated_ms = ms;
    if (strcmp(r.state, "cleared") == 0) {
        r.cleared_ms = ms;
        util_day_at(r.submitted_ms / 1000, day);
        if (aid_store(s)->dwell_add(s, AID_D_CLEARANCE, day, r.crossing, ms - r.submitted_ms, e))
            return -1;
    }
    return aid_store(s)->request_update(s, &r, e);
}

static int on_dispatched(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const json_t *ids = json_object_get(b, "trucks");
    store_request r;
    store_truck t = {0};
    store_truck_day d = {.n = (int64_t)json_array_size(ids)};
    (void)ev;
    if (aid_store(s)->request_get(s, (int64_t)jsx_num(b, "request", 0), &r, e) != 1) return -1;
    t.request = r.id;
    memcpy(t.org, r.org, sizeof t.org);
    memcpy(t.crossing, r.crossing, sizeof t.crossing);
    memcpy(t.destination, r.destination, sizeof t.destination);
    JOURNAL_COPY(t.category, b, "category");
    t.pallets = jsx_num(b, "pallets", 0);
    t.tonnes = jsx_num(b, "tonnes", 0);
    snprintf(t.state, sizeof t.state, "dispatched");
    if (body_time(b, &t.t[AID_T_DISPATCHED], e)) return -1;
    t.last_ms = t.t[AID_T_DISPATCHED];
    util_day_at(t.last_ms / 1000, t.day);
    for (size_t i = 0; i < json_array_size(ids); i++) {
        t.id = json_integer_value(json_array_get(ids, i));
        if (aid_store(s)->truck_insert(s, &t, e)) return -1;
    }
    memcpy(d.day, t.day, sizeof d.day);
    memcpy(d.crossing, t.crossing, sizeof d.crossing);
    memcpy(d.category, t.category, sizeof d.category);
    memcpy(d.destination, t.destination, sizeof d.destination);
    snprintf(d.state, sizeof d.state, "dispatched");
    return aid_store(s)->truck_day_add(s, &d, e);
}

/* The dwell step a move into a state ends, and the truck step it started from; -1 none. */
static int dwell_of(int step, int *since)
{
    switch (step) {
    case AID_T_AT_CROSSING:
        *since = AID_T_DISPATCHED;
        return AID_D_QUEUE;
    case AID_T_SCREENED:
        *since = AID_T_AT_CROSSING;
        return AID_D_SCREENING;
    case AID_T_OFFLOADED:
        *since = AID_T_SCREENED;
        return AID_D_OFFLOADING;
    case AID_T_COLLECTED:
        *since = AID_T_OFFLOADED;
        return AID_D_COLLECTION;
    case AID_T_ARRIVED:
        *since = AID_T_COLLECTED;
        return AID_D_DELIVERY;
    default:
        return -1;
    }
}

static int on_truck_moved(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_truck_day d = {.n = 1};
    store_truck t;
    int64_t ms;
    int since, step, dwell;
    JOURNAL_COPY(d.state, b, "to");
    if (body_time(b, &ms, e)) return -1;
    step = aid_step(d.state);
    if (aid_store(s)->truck_moved(s, (int64_t)jsx_num(b, "truck", 0), d.state,
                                  jsx_str(b, "reason", ""), step, ms, &d, &t, e) != 1)
        return -1;
    util_day_at(ms / 1000, d.day);
    if (aid_store(s)->truck_day_add(s, &d, e)) return -1;
    /* A duration when the step it starts from was reached (a collection counts from the
     * offloading, however many denials came between). */
    dwell = dwell_of(step, &since);
    if (dwell < 0 || !t.t[since]) return 0;
    return aid_store(s)->dwell_add(s, dwell, t.day, d.crossing, ms - t.t[since], e);
}

/* What a count's entry gives beside its date (aid_count_entry). */
static void count_entry(const json_t *x, store_aid_count *c)
{
    snprintf(c->crossing, sizeof c->crossing, "%s", jsx_str(x, "crossing", ""));
    snprintf(c->category, sizeof c->category, "%s", jsx_str(x, "category", ""));
    c->value = jsx_num(x, "value", 0);
}

static int on_count(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_aid_count c = {0};
    JOURNAL_COPY(c.day, b, "date");
    JOURNAL_COPY(c.source, b, "source");
    JOURNAL_COPY(c.basis, b, "basis");
    count_entry(b, &c);
    return aid_store(s)->count_put(s, &c, e);
}

/* A batch of counts of one source and basis (an import, aid/import.h). */
static int on_counts(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    const aid_store_ops *ops = aid_store(s);
    const char *source = jsx_str(b, "source", NULL), *basis = jsx_str(b, "basis", NULL);
    json_t *list = json_object_get(b, "counts"), *x;
    size_t n = json_array_size(list), i;
    int rc = 0;
    if (!source) return journal_bad_event(e, ev, "source");
    if (!basis) return journal_bad_event(e, ev, "basis");
    if (!json_is_array(list)) return journal_bad_event(e, ev, "counts");
    store_aid_count *c = calloc(n + 1, sizeof *c);
    if (!c) abort();
    json_array_foreach(list, i, x)
    {
        const char *day = jsx_str(x, "date", NULL);
        if (!day) {
            free(c);
            return journal_bad_event(e, ev, "date");
        }
        snprintf(c[i].day, sizeof c[i].day, "%s", day);
        snprintf(c[i].source, sizeof c[i].source, "%s", source);
        snprintf(c[i].basis, sizeof c[i].basis, "%s", basis);
        count_entry(x, &c[i]);
    }
    if (ops->count_put_many)
        rc = ops->count_put_many(s, c, n, e);
    else
        for (i = 0; rc == 0 && i < n; i++)
            rc = ops->count_put(s, &c[i], e);
    free(c);
    return rc;
}

static int on_target(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_target t = {.id = ev->seq};
    JOURNAL_COPY(t.name, b, "name");
    JOURNAL_COPY(t.per, b, "per");
    JOURNAL_COPY(t.basis, b, "basis");
    JOURNAL_COPY(t.source, b, "source");
    JOURNAL_COPY(t.from_day, b, "from");
    JOURNAL_COPY(t.to_day, b, "to");
    t.value = jsx_num(b, "value", 0);
    snprintf(t.category, sizeof t.category, "%s", jsx_str(b, "category", ""));
    if (json_object_get(b, "destinations")) {
        char *d = jsx_canonical(json_object_get(b, "destinations"), NULL);
        snprintf(t.destinations, sizeof t.destinations, "%s", d ? d : "");
        free(d);
    }
    snprintf(t.created_by, sizeof t.created_by, "%s", ev->actor_org ? ev->actor_org : "");
    return aid_store(s)->target_insert(s, &t, e);
}

const journal_projection aid_projections[] = {
    {"crossing.created", on_crossing},
    {"crossing.closed", on_closure},
    {"aid.request_submitted", on_request},
    {"aid.request_moved", on_request_moved},
    {"aid.trucks_dispatched", on_dispatched},
    {"aid.truck_moved", on_truck_moved},
    {"aid.count_recorded", on_count},
    {"aid.counts_recorded", on_counts},
    {"aid.target_set", on_target},
    {NULL, NULL},
};
