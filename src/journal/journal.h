/* journal.h - the one write path: every change is an event appended to the journal.
 *
 * A service never updates a projection table itself. It validates a request, builds the
 * event body (a JSON object holding everything needed to redo the change) and calls
 * journal_record(), which, inside the caller's transaction:
 *
 *   1. encodes the body canonically (jsx_canonical: sorted keys, no whitespace, UTF-8),
 *   2. appends the event (sequence number, type, actor, UTC time, body, visibility),
 *   3. applies it to the projection tables through project_apply().
 *
 * Because step 3 is a pure function of the event, the projections can be rebuilt from
 * the journal alone, and the journal is all a Merkle log needs to cover.
 *
 * Visibility is a space-separated list of audiences; a reader sees an event's body when
 * any audience matches it:
 *
 *   public        everyone, signed in or not
 *   members       any signed-in user
 *   admin         deployment administrators
 *   org:SLUG      users of that organization
 *   kind:KIND     users of organizations of that kind (party, mediator, ...)
 *
 * Readers who may not see a body still see that an event exists (its sequence number,
 * type and time), so gaps never hide anything. */
#ifndef TRUCE_JOURNAL_JOURNAL_H
#define TRUCE_JOURNAL_JOURNAL_H

#include "core/err.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

typedef struct journal_actor {
    const char *org;  /* Acting organization's slug, or NULL for the local operator. */
    const char *user; /* Acting user's name; "cli" for the local operator. */
} journal_actor;

extern const journal_actor journal_operator; /* {NULL, "cli"} */

/* Who is reading, for visibility decisions. */
typedef struct journal_reader {
    int signed_in;
    int admin;
    const char *org;      /* Slug, or NULL. */
    const char *org_kind; /* Kind, or NULL. */
} journal_reader;

/* Appends an event and applies it to the projections. Must run inside a transaction.
 * body is borrowed. On success sets *seq (when seq is not NULL). */
int journal_record(store *s, const journal_actor *who, const char *type, const json_t *body,
                   const char *visibility, int64_t *seq, tr_err *e);

/* Is the visibility string well-formed? */
int journal_visibility_valid(const char *visibility);

/* May this reader see a body with this visibility? */
int journal_visible(const char *visibility, const journal_reader *r);

#endif
