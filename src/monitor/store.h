/* store.h - the monitor pillar's storage interface: zones, incidents (with their places, history
 * and keys), reports, evidence files and their uploads, private fields, dismissed duplicates. Each
 * backend implements it beside the pillar (store_sqlite.c; store_pg.c with PostgreSQL);
 * monitor_store() picks the connection's. Lookups return 1 found, 0 not, -1 error. */
#ifndef TRUCE_MONITOR_STORE_H
#define TRUCE_MONITOR_STORE_H

#include "store/store.h"

typedef struct store_zone {
    const char *slug, *name, *kind;
    const char *geometry; /* GeoJSON geometry object, as text. */
} store_zone;

typedef struct store_incident {
    int64_t id;              /* 0: the next free one */
    const char *external_id; /* ACLED event_id_cnty, or NULL */
    const char *status, *provenance, *event_date, *event_type;
    double latitude, longitude;
    int64_t fatalities;
    const char *doc; /* canonical JSON with ACLED field names; NULL: the document is
                      * acled_csv's row (export_acled_doc), as the import stores it */
    const char *updated_at;
    const char *acled_csv;       /* its row of the ACLED CSV export (export.h), or NULL */
    const char *actor1, *actor2; /* as in the document, for counts */
    const char *const *zones;    /* the zones it is tagged with, as in the document */
    size_t n_zones;
    int64_t seq; /* the event that writes it (its history starts there) */
} store_incident;

/* An incident as listed. doc is "" when the incident is stored as its CSV row (an
 * import): export_row_doc gives its document from csv, the coordinates and zones. */
typedef struct store_incident_row {
    int64_t id;
    const char *status, *doc;
    int64_t merged_into; /* a duplicate's incident, or 0 */
    double latitude, longitude;
    const char *event_date, *event_type; /* in summaries (the filter's summary) only: */
    int64_t fatalities;                  /* NULL, NULL and 0 beside a document */
    const char *csv; /* its ACLED CSV row (csv_len bytes, no NUL after), or NULL */
    size_t csv_len;
    const char *zones; /* a JSON array of zone slugs when doc is "", else NULL */
} store_incident_row;

typedef struct store_incident_filter {
    const char *status, *event_type, *date_from, *date_to; /* NULL: any */
    const char *zone;                                      /* a zone slug, or NULL */
    const char *actor;               /* actor1 or actor2, exactly as written, or NULL */
    int has_bbox;                    /* then only incidents inside the box: */
    double west, south, east, north; /* WGS84 degrees, west <= east, south <= north */
    int public_only;                 /* only what the public sees: verified, disputed and upheld */
    /* Only these incidents (n_ids of them, ascending), when ids is not NULL. An export
     * with a box first takes the ids in the box from the incidents_place index
     * (incident_ids_in_box), then reads them a page at a time in id order, which touches
     * each table page once; reading the box in index order, page after page, was several
     * times slower, and a box without the index reads every row. */
    const int64_t *ids;
    size_t n_ids;
    /* incident_list rows without their document (doc NULL), read from the
     * incidents_summary index alone: for maps. */
    int summary;
} store_incident_filter;

typedef struct store_count {
    store_count_by by;
    const char *key;
    int64_t count;
} store_count;

typedef struct store_report {
    int64_t id;
    char org[STORE_SLUG_MAX];
    char status[16];
    char *doc; /* malloc'd canonical JSON; free() it */
    char filed_at[32];
    int64_t incident;        /* merged into, or 0 */
    char request_sha256[65]; /* of the request filed with an Idempotency-Key, else "" */
    int64_t seq;             /* the report.filed event */
} store_report;

/* A file being uploaded in pieces (upload_state). */
typedef struct store_upload {
    int64_t received;     /* bytes received so far: the next piece starts here */
    int64_t total;        /* the file's size, as declared with its first piece */
    char media_type[128]; /* its type, as declared with its first piece */
} store_upload;

/* An evidence file as stored: its name and its bytes (valid during the callback). */
typedef struct store_blob {
    const char *sha256;
    const void *data;
    size_t len;
} store_blob;

typedef struct store_evidence {
    char sha256[65];
    char org[STORE_SLUG_MAX];
    char media_type[128];
    int64_t size;
    char stored_at[32];
} store_evidence;

/* An incident attributed to a party, as a compliance evaluation lists it. */
typedef struct store_attributed {
    int64_t id;
    const char *external_id; /* ACLED event_id_cnty, or NULL */
    const char *event_date, *event_type, *status;
} store_attributed;

/* Which incidents: actor1 one of actors, event_type one of types (JSON arrays of strings),
 * tagged with one of zones (a JSON array, or NULL: anywhere), dated from..to, verified
 * (verified, disputed, upheld) or, unless verified_only, alleged too (reported,
 * under_investigation). */
typedef struct store_attribution {
    const char *actors, *types, *zones;
    const char *from, *to;
    int verified_only;
} store_attribution;

typedef struct monitor_store_ops {
    /* Places. */
    int (*zone_insert)(store *s, const char *slug, const char *name, const char *kind,
                       const char *geometry, tr_err *e);
    int (*zone_exists)(store *s, const char *slug, tr_err *e);
    int (*zone_list)(store *s, store_row_cb cb, void *cls, tr_err *e); /* Rows: store_zone. */
    /* A short text that changes whenever a zone is added (zones are never updated or
     * removed), for caches; malloc'd. */
    char *(*zone_fingerprint)(store *s, tr_err *e);
    /* Incidents: insert, or update the one with the same external id. Listing is keyset
     * paginated by id (rows: store_incident_row). */
    int (*incident_upsert)(store *s, const store_incident *in, tr_err *e);
    /* The same for n incidents at once, as if one after another (a later row of the same
     * external id updates the earlier one). Optional: NULL where one by one is as fast. */
    int (*incident_upsert_many)(store *s, const store_incident *in, size_t n, tr_err *e);
    /* A bulk load, inside a transaction (rolled back with it): begin drops the index that
     * a large load would insert into at random (incidents by place), end builds it again,
     * one sort instead of an insert per row. Optional: NULL where it means nothing. */
    int (*bulk_begin)(store *s, tr_err *e);
    int (*bulk_end)(store *s, tr_err *e);
    int64_t (*incident_count)(store *s, tr_err *e);
    int (*incident_list)(store *s, const store_incident_filter *f, int64_t after, int64_t limit,
                         store_row_cb cb, void *cls, tr_err *e);
    /* Like incident_list, with each incident's stored ACLED CSV row (rows:
     * store_incident_line). */
    int (*incident_lines)(store *s, const store_incident_filter *f, int64_t after, int64_t limit,
                          store_row_cb cb, void *cls, tr_err *e);
    /* The ids of the incidents in f's box, ascending, through the place index: *ids is
     * malloc'd. With max > 0 it stops past max ids (then *n is max + 1: "more than max"). */
    int (*incident_ids_in_box)(store *s, const store_incident_filter *f, size_t max, int64_t **ids,
                               size_t *n, tr_err *e);
    /* Counts of the filtered incidents by every dimension (rows: store_count, each with
     * its dimension), keys in order within a dimension, actors most named first. By actor,
     * an incident counts for actor1 and for actor2; by zone, for each zone it is tagged
     * with. Status, type, day and actor come from one pass over a covering index. */
    /* How many incidents the attribution finds (*count), and the first `limit` of them by
     * date, as store_attributed rows: through the index on (actor1, event_type,
     * event_date, status), not the documents. */
    int (*incident_attributed)(store *s, const store_attribution *a, int64_t limit, store_row_cb cb,
                               void *cls, int64_t *count, tr_err *e);
    int (*incident_counts)(store *s, const store_incident_filter *f, store_row_cb cb, void *cls,
                           tr_err *e);
    /* Reports. report_get returns 1 found, 0 not, -1 on error. */
    int (*report_next_id)(store *s, int64_t *id, tr_err *e);
    /* key and request_sha256: the client's Idempotency-Key and the hash of its request,
     * or NULL; (org, key) is unique. seq: the report.filed event. */
    int (*report_insert)(store *s, int64_t id, const char *org, const char *doc, const char *when,
                         const char *key, const char *request_sha256, int64_t seq, tr_err *e);
    int (*report_get)(store *s, int64_t id, store_report *out, tr_err *e);
    /* The report an organization filed with an Idempotency-Key. */
    int (*report_by_key)(store *s, const char *org, const char *key, store_report *out, tr_err *e);
    int (*report_merge)(store *s, int64_t report, int64_t incident, tr_err *e);
    /* Reports by id after `after`, at most `limit`, of one organization (or any: NULL) and
     * status (or any: NULL). Rows are store_report; the callback may take doc (and set it
     * NULL), else it is freed after the call; a non-zero return stops the scan. */
    int (*report_list)(store *s, const char *org, const char *status, int64_t after, int64_t limit,
                       store_row_cb cb, void *cls, tr_err *e);
    int (*incident_next_id)(store *s, int64_t *id, tr_err *e);
    int (*incident_status)(store *s, int64_t id, const char *status, const char *when, tr_err *e);
    /* Marks incident id a duplicate merged into `into`. */
    int (*incident_merge)(store *s, int64_t id, int64_t into, const char *when, tr_err *e);
    /* Evidence files. Blobs are content named by their SHA-256 (lowercase hex): put keeps
     * the first copy, they are never changed or deleted, and a rebuild keeps them. Who
     * uploaded which (store_evidence) is a projection. Lookups: 1 found, 0 not, -1 error;
     * *data is malloc'd. evidence_get with org NULL returns the first upload by anyone. */
    int (*blob_put)(store *s, const char *sha256, const void *data, size_t len, tr_err *e);
    int (*blob_get)(store *s, const char *sha256, void **data, size_t *len, tr_err *e);
    int (*blob_scan)(store *s, store_row_cb cb, void *cls, tr_err *e); /* store_blob rows */
    int (*evidence_insert)(store *s, const store_evidence *ev, tr_err *e);
    int (*evidence_get)(store *s, const char *sha256, const char *org, store_evidence *out,
                        tr_err *e);
    /* An incident's history: event_add notes a later event about it (a move, a merge
     * either way, a report added, a duplicate dismissed, private fields); history gives
     * the sequence numbers of the event that wrote it and of those, ascending (*seqs
     * malloc'd, NULL when there are none). */
    int (*incident_event_add)(store *s, int64_t incident, int64_t seq, tr_err *e);
    int (*incident_history)(store *s, int64_t incident, int64_t **seqs, size_t *n, tr_err *e);
    /* Incidents opened with an Idempotency-Key, per organization: the request's SHA-256,
     * the incident and its incident.opened event. by_key: 1 found, 0 not, -1 error. */
    int (*incident_key_put)(store *s, const char *org, const char *key, const char *request_sha256,
                            int64_t incident, int64_t seq, tr_err *e);
    int (*incident_by_key)(store *s, const char *org, const char *key, int64_t *incident,
                           int64_t *seq, char request_sha256[65], tr_err *e);
    /* Evidence uploaded in pieces, per (file, organization): pieces are kept until the
     * file is whole (then the caller drops them) or expire, and are never journaled.
     * upload_state: 1 with what was received, 0 when nothing was. upload_read appends the
     * pieces in order to out. upload_expire drops every upload whose last piece came
     * before `before` (ISO 8601 UTC); upload_count counts an organization's uploads whose
     * last piece came at or after `since` (the ones not expired yet). */
    int (*upload_state)(store *s, const char *sha256, const char *org, store_upload *out,
                        tr_err *e);
    int (*upload_put)(store *s, const char *sha256, const char *org, int64_t at, const void *data,
                      size_t len, const store_upload *file, const char *when, tr_err *e);
    int (*upload_read)(store *s, const char *sha256, const char *org, buf *out, tr_err *e);
    int (*upload_drop)(store *s, const char *sha256, const char *org, tr_err *e);
    int (*upload_expire)(store *s, const char *before, tr_err *e);
    int (*upload_count)(store *s, const char *org, const char *since, int64_t *n, tr_err *e);
    /* Private fields (monitors only) of a subject, "report:N" or "incident:N": a JSON
     * object; put replaces. get: 1 found, 0 not, -1 error; *doc is malloc'd. */
    int (*private_put)(store *s, const char *subject, const char *doc, tr_err *e);
    int (*private_get)(store *s, const char *subject, char **doc, tr_err *e);
    /* Possible duplicates dismissed: subject ("incident:N", "report:N") is not a
     * duplicate of incident candidate. dismissed returns 1, 0, or -1. */
    int (*dismiss_put)(store *s, const char *subject, int64_t candidate, tr_err *e);
    int (*dismissed)(store *s, const char *subject, int64_t candidate, tr_err *e);
    /* Bytes of evidence an organization uploaded at or after `since` (ISO 8601 UTC). */
    int (*evidence_bytes)(store *s, const char *org, const char *since, int64_t *out, tr_err *e);
} monitor_store_ops;

/* PostgreSQL's (store_pg.c). */
extern const monitor_store_ops monitor_pg_ops;

/* The operations of the connection's backend. */
const monitor_store_ops *monitor_store(const store *s);

#endif
