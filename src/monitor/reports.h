/* reports.h - allegations filed by monitors, parties and humanitarian organizations.
 *
 * A report uses ACLED's field names (event_date, time_precision, event_type,
 * sub_event_type, actor1, actor2, latitude, longitude, geo_precision, location,
 * fatalities, injured, civilian_targeting, notes) plus sources graded on NATO's Admiralty
 * scale (reliability A-F, credibility 1-6). It is checked whole before anything is
 * written, tagged with the zones that contain it, and journaled as `report.filed`, visible
 * to monitors, mediators and the filing organization only. "evidence" lists the SHA-256
 * of files uploaded before (evidence.h). */
#ifndef TRUCE_MONITOR_REPORTS_H
#define TRUCE_MONITOR_REPORTS_H

#include "journal/journal.h"
#include "json/jsx.h"
#include "store/store.h"

extern const jsx_field report_fields[];
/* report_fields and "reports": POST /api/v1/incidents. */
extern const jsx_field incident_open_fields[];

/* Fields that are private to monitors ("witnesses": [{name, contact?, statement?}] and
 * "private": {...}, anything the filer marks private). They never enter the report's or
 * incident's document: report_private() journals them apart, as `private.fields`, visible
 * to monitors only (not mediators, not the filer's organization). NULL-terminated. */
extern const char *const report_private_keys[];

/* "report:N" or "incident:N" (kind "report" or "incident"): what private fields and
 * dismissed duplicates are kept under. */
#define MONITOR_SUBJECT_LEN 48
void monitor_subject(char out[MONITOR_SUBJECT_LEN], const char *kind, int64_t id);

/* Journals the private fields of `in`, if it has any, for report or incident `id`. */
int report_private(store *s, const journal_actor *who, const char *kind, int64_t id,
                   const json_t *in, tr_err *e);

/* Checks an allegation's fields (report_fields already matched) and returns the document
 * to record: a copy without the keys in `drop` (NULL-terminated, or NULL), tagged with its
 * zones, with defaults filled in. NULL and a 400 naming the field when one is bad. The
 * evidence it cites must be files `cites_as` uploaded (any file when NULL: monitors and
 * mediators see them all); another's file is refused exactly as a file that does not
 * exist, so that nobody learns from a report which files exist. */
json_t *report_prepare(store *s, const json_t *in, const char *const *drop, const char *cites_as,
                       tr_err *e);

/* Whether (lon, lat) lies outside every zone of a deployment that has zones: 1 it does,
 * 0 it does not (or there are no zones), -1 with e set on a failure. */
int report_outside_zones(store *s, double lon, double lat, tr_err *e);
/* The warning, or with `refuse` the 400 place.outside_zones error, for such a place. */
json_t *report_outside_warning(double lon, double lat);
int report_outside_error(double lon, double lat, tr_err *e);

/* The `org` of a report filed by someone not signed in (not a valid slug, so no
 * organization can be it): visible to monitors and mediators only. */
#define REPORT_PUBLIC "(public)"

/* Records a report prepared by report_prepare(), given as its canonical text (jsx_canonical
 * of the document), from the request `in` (for its private fields), inside a transaction;
 * *id is its number and time its filed_at. The writer thread encodes nothing: the event
 * body is assembled around the text and the projection applied directly, as on_report
 * would (the rebuild tests compare). The API prepares on a request thread. A request sent
 * with an Idempotency-Key passes the key and the request's SHA-256 (else both NULL): they
 * go into the event, so that a retry finds the report (report_by_key), also after a
 * rebuild. */
int report_record(store *s, const journal_actor *who, const char *org, const json_t *in,
                  const char *doc, const char *key, const char *request_sha256, int64_t *id,
                  char time[UTIL_ISO_LEN], tr_err *e);
/* The journal audience of a report filed by `org`: monitors, mediators and the filer (the
 * public's reports: monitors and mediators). */
void report_audience(const char *org, char *vis, size_t cap);
/* Whether text is a usable Idempotency-Key: 1 to 100 of A-Z a-z 0-9 . _ : - (a UUID is). */
int report_key_valid(const char *key);

/* Both: files a report for `org`; *id is its number. Every bad field is a 400 naming it. */
int report_file(store *s, const journal_actor *who, const char *org, const json_t *in, int64_t *id,
                tr_err *e);

#endif
