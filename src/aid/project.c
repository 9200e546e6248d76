/* project.c - how the aid pillar's events change its tables: crossings and their closures. See
 * journal/projection.h for what a projection may do. */
#include "aid/project.h"

#include "aid/store.h"
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

const journal_projection aid_projections[] = {
    {"crossing.created", on_crossing},
    {"crossing.closed", on_closure},
    {NULL, NULL},
};
