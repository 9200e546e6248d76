/* crossings.h - the border crossings aid passes through (Kerem Shalom, Rafah...).
 *
 * The aid pillar will count consignments through these against agreed targets; for now a
 * crossing is a named point (WGS84) with a slug, the organization that screens and clears
 * there (operated_by), its capacity in trucks a day and its opening hours, created by a
 * scenario or over the API. */
#ifndef TRUCE_AID_CROSSINGS_H
#define TRUCE_AID_CROSSINGS_H

#include "journal/journal.h"
#include "json/jsx.h"
#include "aid/store.h"

/* Schema of a crossing: {"slug", "name", "lat", "lon", "notes"?, "operated_by"?,
 * "capacity_per_day"?, "hours"?}. */
extern const jsx_field crossing_fields[];

/* Creates a crossing from an object already checked against crossing_fields.
 * 409 crossing.exists when the slug is taken; 400 request.invalid_field naming operated_by
 * (no such organization) or hours (not HH:MM-HH:MM within a day). */
int crossing_create(store *s, const journal_actor *who, const json_t *in, tr_err *e);
json_t *crossing_json(const store_crossing *c);

/* The crossing `slug` into *out: 0, or -1 with 404 crossing.not_found (or the store's
 * error). */
int crossing_find(store *s, const char *slug, store_crossing *out, tr_err *e);

/* Schema of a closure: {"from": "YYYY-MM-DD", "to"?: "YYYY-MM-DD", "reason"}. */
extern const jsx_field closure_fields[];

/* Records that the crossing `slug` is closed from `from` to `to` (inclusive; open-ended
 * without it), as journal event crossing.closed (public). Only the crossing's operator or
 * an administrator may: 403 auth.forbidden (detail.allowed: the operator, "admin"); 404
 * crossing.not_found; 400 request.invalid_field naming from or to (not a date, or to before from).
 * Sets *out to the closure recorded. */
int crossing_close(store *s, const journal_actor *who, int admin, const char *slug,
                   const json_t *in, store_closure *out, tr_err *e);
json_t *closure_json(const store_closure *c);

#endif
