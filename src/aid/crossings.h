/* crossings.h - the border crossings aid passes through (Kerem Shalom, Rafah...).
 *
 * The aid pillar will count consignments through these against agreed targets; for now a
 * crossing is a named point (WGS84) with a slug, created by a scenario or over the API. */
#ifndef TRUCE_AID_CROSSINGS_H
#define TRUCE_AID_CROSSINGS_H

#include "journal/journal.h"
#include "json/jsx.h"
#include "aid/store.h"

/* Schema of a crossing: {"slug", "name", "lat", "lon", "notes"?}. */
extern const jsx_field crossing_fields[];

/* Creates a crossing from an object already checked against crossing_fields.
 * 409 crossing.exists when the slug is taken. */
int crossing_create(store *s, const journal_actor *who, const json_t *in, tr_err *e);
json_t *crossing_json(const store_crossing *c);

#endif
