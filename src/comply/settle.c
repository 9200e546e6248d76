/* settle.c - journaling each change of an obligation's state as it happens: the state as
 * of today, compared with the one last journaled, becomes an obligation.state_changed
 * event when it differs. The server does it every minute (comply_tick), `truce comply
 * settle` on demand. See comply.h. */
#include "comply/comply.h"

#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct gather {
    store *s;
    const char *as_of;
    json_t *changes;
    tr_err *e;
    int failed;
} gather;

static int gather_cb(void *cls, const void *row)
{
    gather *g = cls;
    store_obligation o = *(const store_obligation *)row;
    store_ob_state last;
    o.spec = strdup(o.spec);
    json_t *r = o.spec ? comply_evaluate(g->s, &o, g->as_of, g->e) : NULL;
    free(o.spec);
    if (!r) return g->failed = 1;
    int rc = comply_store(g->s)->state_get(g->s, o.id, &last, g->e);
    if (rc < 0) {
        json_decref(r);
        return g->failed = 1;
    }
    char *overlays = jsx_canonical(json_object_get(r, "overlays"), NULL);
    const char *state = jsx_str(r, "state", ""), *finding = jsx_str(r, "finding", "");
    /* The record moves forward: a day before the last journaled one changes nothing. */
    int behind = rc == 1 && strcmp(last.as_of, g->as_of) > 0;
    if (!behind && (rc == 0 || strcmp(last.state, state) != 0 ||
                    strcmp(last.overlays, overlays) != 0 || strcmp(last.finding, finding) != 0))
        json_array_append_new(
            g->changes,
            json_pack("{s:I, s:o, s:s, s:O, s:s, s:s}", "obligation", (json_int_t)o.id, "from",
                      rc == 1 ? json_string(last.state) : json_null(), "to", state, "overlays",
                      json_object_get(r, "overlays"), "finding", finding, "as_of", g->as_of));
    free(overlays);
    json_decref(r);
    return 0;
}

json_t *comply_changes(store *s, const char *as_of, tr_err *e)
{
    gather g = {s, as_of, json_array(), e, 0};
    if (comply_store(s)->obligation_all(s, gather_cb, &g, e) || g.failed) {
        json_decref(g.changes);
        return NULL;
    }
    return g.changes;
}

int comply_record_changes(store *s, const journal_actor *who, const json_t *changes, int *n,
                          tr_err *e)
{
    const json_t *c;
    size_t i;
    *n = 0;
    json_array_foreach(changes, i, c)
    {
        store_ob_state last;
        int rc = comply_store(s)->state_get(s, (int64_t)jsx_num(c, "obligation", 0), &last, e);
        if (rc < 0) return -1;
        /* Journaled meanwhile (another settle): nothing to add. */
        char *overlays = jsx_canonical(json_object_get(c, "overlays"), NULL);
        int same = rc == 1 && strcmp(last.state, jsx_str(c, "to", "")) == 0 &&
                   strcmp(last.overlays, overlays) == 0 &&
                   strcmp(last.finding, jsx_str(c, "finding", "")) == 0;
        free(overlays);
        if (same) continue;
        json_t *body = json_deep_copy(c);
        json_object_set_new(body, "from", rc == 1 ? json_string(last.state) : json_null());
        rc = journal_record(s, who, "obligation.state_changed", body, "public", NULL, e);
        json_decref(body);
        if (rc) return -1;
        (*n)++;
    }
    return 0;
}

typedef struct settle_job {
    const json_t *changes;
    const char *as_of;
    int n;
} settle_job;

static const journal_actor settler = {NULL, "truce"};

static int settle_write(store *s, void *cls, tr_err *e)
{
    settle_job *j = cls;
    char last[11] = "";
    if (comply_record_changes(s, &settler, j->changes, &j->n, e) ||
        comply_store(s)->settled_get(s, last, e) < 0)
        return -1;
    /* Every obligation's journaled state now stands as of this day (the scorecard of the
     * day reads them instead of evaluating every obligation again). */
    return strcmp(last, j->as_of) < 0 ? comply_store(s)->settled_set(s, j->as_of, e) : 0;
}

/* Whether there is anything to write: changes, or a day the marker has not reached. */
static int to_write(store *s, const settle_job *j, tr_err *e)
{
    char last[11] = "";
    if (json_array_size(j->changes)) return 1;
    if (comply_store(s)->settled_get(s, last, e) < 0) return -1;
    return strcmp(last, j->as_of) < 0;
}

int comply_settle(store *s, const char *as_of, int *n, tr_err *e)
{
    json_t *changes = comply_changes(s, as_of, e);
    if (!changes) return -1;
    settle_job j = {changes, as_of, 0};
    int w = to_write(s, &j, e);
    int rc = w < 0 ? -1 : w ? store_txn(s, settle_write, &j, e) : 0;
    *n = j.n;
    json_decref(changes);
    return rc;
}

int comply_tick(store *reader, writer *w, unsigned every, tr_err *e)
{
    (void)every;
    char today[11];
    util_day_at(util_unix_s(), today);
    json_t *changes = comply_changes(reader, today, e);
    if (!changes) return -1;
    settle_job j = {changes, today, 0};
    int need = to_write(reader, &j, e);
    int rc = need < 0 ? -1 : need ? writer_run(w, settle_write, &j, e) : 0;
    json_decref(changes);
    return rc;
}
