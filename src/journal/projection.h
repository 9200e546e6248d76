/* projection.h - what a pillar gives the journal: how each of its events changes its tables.
 *
 * Each pillar owns its event types and their projections (src/PILLAR/project.c), a table of
 * {type, function} ending with {NULL, NULL}. The journal applies an event through the tables
 * the registry lists (src/pillars.c defines journal_projection_tables), so it includes no
 * pillar's header and no pillar's change touches it.
 *
 * A projection must be a pure function of the event (its body and time): no clocks, no
 * randomness, no reads of anything but the tables it maintains, so that replaying the
 * journal from the first event rebuilds every projection exactly. Bodies reaching it were
 * validated by the service that recorded them, so a missing key is a programming error,
 * reported as journal.bad_event. */
#ifndef TRUCE_JOURNAL_PROJECTION_H
#define TRUCE_JOURNAL_PROJECTION_H

#include "json/jsx.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>

typedef int (*journal_projection_fn)(store *s, const store_event *ev, const json_t *body,
                                     tr_err *e);

typedef struct journal_projection {
    const char *type; /* "org.created"...; NULL ends a table */
    journal_projection_fn apply;
} journal_projection;

/* Every pillar's table, in the registry's order, ending with NULL (src/pillars.c). */
extern const journal_projection *const journal_projection_tables[];

/* 500 journal.bad_event: the event lacks `key`. Returns -1. */
int journal_bad_event(tr_err *e, const store_event *ev, const char *key);

/* Copies the body's string member `key` into the array dst, or returns journal_bad_event
 * from the enclosing projection (which names its arguments ev and e). */
#define JOURNAL_COPY(dst, body, key)                                                               \
    do {                                                                                           \
        const char *v_ = jsx_str(body, key, NULL);                                                 \
        if (!v_) return journal_bad_event(e, ev, key);                                             \
        snprintf(dst, sizeof dst, "%s", v_);                                                       \
    } while (0)

#endif
