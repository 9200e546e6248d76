/* incidents.h - the verification workflow.
 *
 *   reported -> under_investigation -> verified | not_verified | false
 *   reported | under_investigation -> duplicate (merged into another, POST .../merge)
 *   verified -> disputed (a party the incident names, POST .../disputes)
 *   disputed -> upheld | overturned (mediators or monitors)
 *
 * A monitor opens an incident directly or from reports (which are then `merged`). Every
 * transition is a journal event with its actor and reason; one not in the table is a 409
 * that lists the moves allowed from the current status. */
#ifndef TRUCE_MONITOR_INCIDENTS_H
#define TRUCE_MONITOR_INCIDENTS_H

#include "journal/journal.h"
#include "monitor/store.h"
#include "json/jsx.h"
#include "store/store.h"

/* The body of POST /api/v1/incidents: a report's fields and optional "reports". */
const jsx_field *incident_fields(void);
extern const jsx_field transition_fields[];
extern const jsx_field dispute_fields[];
extern const jsx_field merge_fields[];
extern const jsx_field dismiss_fields[];

/* Opens an incident (status reported, provenance monitor); `reports` in the body, if any,
 * are merged into it. A request sent with an Idempotency-Key passes the key and the
 * request's SHA-256 (else both NULL): they go into the event, so that a retry finds the
 * incident (store: incident_by_key), also after a rebuild. */
int incident_open(store *s, const journal_actor *who, const json_t *in, const char *key,
                  const char *request_sha256, int64_t *id, tr_err *e);

/* Roles for transitions. */
enum { INC_MONITOR = 1, INC_MEDIATOR = 2 };

/* The moves below take, like incident_open, an Idempotency-Key and the SHA-256 of the
 * request it came with (both NULL without one): written into the event, so that a resent
 * request finds what the first did (incident_keys), after a rebuild too. */

/* {"to", "reason", "assignee"?}. `roles` is what the caller is (INC_*). */
int incident_transition(store *s, const journal_actor *who, int roles, int64_t id, const json_t *in,
                        const char *key, const char *request_sha256, tr_err *e);

/* Marks incident id a duplicate of {"into", "reason"} (monitors). The other incident must
 * exist and not be a duplicate itself; the reports merged into id stay with it. */
int incident_merge(store *s, const journal_actor *who, int64_t id, const json_t *in,
                   const char *key, const char *request_sha256, tr_err *e);

/* A party disputes a verified incident whose actor1 or actor2 names it. */
int incident_dispute(store *s, const journal_actor *who, const char *org, int64_t id,
                     const json_t *in, const char *key, const char *request_sha256, tr_err *e);

/* Possible duplicates of incident `id`: incidents of the same event type within `km`
 * kilometres (great-circle) and `days` days of it, nearest first, at most `max`. Returns a
 * JSON array of {"id", "status", "event_date", "location", "distance_km", "days_apart"},
 * or NULL with e set (404 when there is no such incident). */
json_t *incident_duplicates(store *s, int64_t id, double km, int days, size_t max, tr_err *e);
/* The same for a report: the incidents it may belong to (404 when there is no report). */
json_t *report_duplicates(store *s, int64_t report, double km, int days, size_t max, tr_err *e);

/* A monitor adds a filed report to an existing incident ({"into", "reason"}): the report
 * becomes merged into it (report.merged, visible to monitors, mediators and the filer).
 * 404 no report, 409 report.merged when it is not filed any more, 400 naming `into` for
 * an incident that does not exist or is a duplicate. */
int report_merge_into(store *s, const journal_actor *who, int64_t report, const json_t *in,
                      tr_err *e);

/* A monitor dismisses a possible duplicate ({"candidate", "reason"}): incident `candidate`
 * is no longer listed for incident or report `id` (kind "incident" or "report"), nor, for
 * two incidents, the other way round (duplicate.dismissed, monitors and mediators). 404
 * for an unknown subject, 400 naming candidate for an unknown incident or the incident
 * itself, 409 duplicate.dismissed when it already is. */
int duplicate_dismiss(store *s, const journal_actor *who, const char *kind, int64_t id,
                      const json_t *in, tr_err *e);

/* Does the public see incidents in this status (verified, disputed, upheld)? The store's
 * `public_only` filter (INC_WHERE in store/sqlite.c) lists the same three. */
int incident_status_public(const char *status);

/* Checks a query's filters before it runs, so that a mistyped one is a 400 naming it
 * (`request.invalid_param`) rather than an empty answer: a known status, one of ACLED's
 * six event types, calendar dates from <= to, an actor of 1-256 characters, a zone that
 * exists (s may be NULL when f->zone is). The bounding box is checked where it is parsed
 * (export_parse_bbox). */
int incident_filter_check(store *s, const store_incident_filter *f, tr_err *e);

/* Coarsened locations. For readers who do not see every incident, a deployment may
 * coarsen locations to a grid of `grid` degrees: latitude and longitude become the centre
 * of their cell (floor(v / grid) + 0.5) * grid, and "coarsened_to" says the grid. A box
 * query from such a reader must not reveal more than the cell, so incident_grid_bbox()
 * widens or narrows the box to whole cells: an incident is in it when its cell's centre
 * is. grid <= 0: nothing is changed. */
void incident_coarsen(json_t *doc, double grid);
/* The centre of the grid cell holding coordinate v, to a millionth of a degree. */
double incident_snap(double v, double grid);
void incident_grid_bbox(store_incident_filter *f, double grid);

/* Reads an incident's status and document (and, when merged_into is not NULL, the incident
 * a duplicate was merged into, else 0); 1 found, 0 not, -1 error. *doc is malloc'd. */
int incident_read(store *s, int64_t id, char status[32], char **doc, int64_t *merged_into,
                  tr_err *e);

#endif
