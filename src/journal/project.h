/* project.h - projections: how each journal event changes the queryable tables.
 *
 * One function per event type, owned by the pillar that records it and found by name in
 * the pillars' tables (journal/projection.h says what a projection may do). */
#ifndef TRUCE_JOURNAL_PROJECT_H
#define TRUCE_JOURNAL_PROJECT_H

#include "store/store.h"

#include <jansson.h>

/* Applies one event. An unknown type is an error (journal.unknown_type). */
int project_apply(store *s, const store_event *ev, const json_t *body, tr_err *e);

/* Is there a projection for this event type? */
int project_known(const char *type);

#endif
