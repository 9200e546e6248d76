/* project.h - projections: how each journal event changes the queryable tables.
 *
 * One function per event type, found by name in a static table. Each must be a pure
 * function of the event (its body and time): no clocks, no randomness, no reads of
 * anything but the tables it maintains, so that replaying the journal from the first
 * event rebuilds every projection exactly. */
#ifndef TRUCE_JOURNAL_PROJECT_H
#define TRUCE_JOURNAL_PROJECT_H

#include "store/store.h"

#include <jansson.h>

/* Applies one event. An unknown type is an error (journal.unknown_type). */
int project_apply(store *s, const store_event *ev, const json_t *body, tr_err *e);

/* Is there a projection for this event type? */
int project_known(const char *type);

#endif
