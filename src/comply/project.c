/* project.c - how the compliance pillar's events change its tables. See
 * journal/projection.h for what a projection may do. */
#include "comply/project.h"

#include "comply/store.h"
#include "json/jsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int on_defined(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_obligation o = {.id = ev->seq};
    JOURNAL_COPY(o.ref, b, "ref");
    JOURNAL_COPY(o.title, b, "title");
    JOURNAL_COPY(o.party, b, "party");
    JOURNAL_COPY(o.kind, b, "kind");
    o.agreement = (int64_t)jsx_num(b, "agreement", 0);
    snprintf(o.created_at, sizeof o.created_at, "%s", ev->time);
    o.spec = jsx_canonical(b, NULL);
    int rc = comply_store(s)->obligation_insert(s, &o, e);
    free(o.spec);
    return rc;
}

/* observation, deliverable, response, decision: the kind is the event type's suffix. */
static int on_note(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    static const struct {
        const char *type, *kind;
    } kinds[] = {{"obligation.observed", "observation"},
                 {"obligation.delivered", "deliverable"},
                 {"obligation.answered", "response"},
                 {"obligation.decided", "decision"}};
    store_note n = {.id = ev->seq, .obligation = (int64_t)jsx_num(b, "obligation", 0)};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].type, ev->type) == 0)
            snprintf(n.kind, sizeof n.kind, "%s", kinds[i].kind);
    snprintf(n.org, sizeof n.org, "%s", ev->actor_org ? ev->actor_org : "");
    /* The day it is about, or else the day it was said. */
    snprintf(n.date, sizeof n.date, "%.10s", jsx_str(b, "date", ev->time));
    snprintf(n.recorded_at, sizeof n.recorded_at, "%s", ev->time);
    char *doc = jsx_canonical(b, NULL);
    n.doc = doc;
    int rc = comply_store(s)->note_insert(s, &n, e);
    free(doc);
    return rc;
}

static int on_state(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_ob_state x = {.obligation = (int64_t)jsx_num(b, "obligation", 0)};
    JOURNAL_COPY(x.state, b, "to");
    JOURNAL_COPY(x.as_of, b, "as_of");
    snprintf(x.finding, sizeof x.finding, "%s", jsx_str(b, "finding", "provisional"));
    char *overlays = jsx_canonical(json_object_get(b, "overlays"), NULL);
    snprintf(x.overlays, sizeof x.overlays, "%s", overlays ? overlays : "[]");
    free(overlays);
    return comply_store(s)->state_put(s, &x, e);
}

static int on_webhook(store *s, const store_event *ev, const json_t *b, tr_err *e)
{
    store_webhook w = {.id = ev->seq};
    JOURNAL_COPY(w.url, b, "url");
    JOURNAL_COPY(w.secret, b, "secret");
    char *events = jsx_canonical(json_object_get(b, "events"), NULL);
    snprintf(w.events, sizeof w.events, "%s", events ? events : "[]");
    free(events);
    snprintf(w.org, sizeof w.org, "%s", ev->actor_org ? ev->actor_org : "");
    snprintf(w.created_at, sizeof w.created_at, "%s", ev->time);
    return comply_store(s)->webhook_insert(s, &w, e);
}

const journal_projection comply_projections[] = {
    {"webhook.registered", on_webhook}, {"obligation.state_changed", on_state},
    {"obligation.defined", on_defined}, {"obligation.observed", on_note},
    {"obligation.delivered", on_note},  {"obligation.answered", on_note},
    {"obligation.decided", on_note},    {NULL, NULL},
};
