/* acled.h - ACLED CSV import: conflict events become incidents.
 *
 * The file is read once, as a stream (libcsv), in one transaction: a thread reads and
 * checks rows into batches of up to 500 while the caller's thread writes the previous
 * batch, one journal event (`incidents.imported`) each, so memory stays flat however long
 * the file. A broken file (a
 * missing column, broken quoting, another delimiter) rolls the transaction back: it
 * imports nothing, and the error names the line. Rows that fail a check are rejected one
 * by one (line, column, reason) and the rest are kept. Incidents are keyed by ACLED's
 * event_id_cnty, so that importing the same events again updates them instead of
 * duplicating them.
 *
 * Checks: event_date (d-Mon-yy, d Month yyyy or yyyy-mm-dd; not in the future),
 * time_precision 1-3, event_type and sub_event_type from ACLED's taxonomy (6 types, 25
 * sub-types, the pair consistent), latitude/longitude in range, geo_precision 1-3,
 * fatalities a non-negative integer. */
#ifndef TRUCE_MONITOR_ACLED_H
#define TRUCE_MONITOR_ACLED_H

#include "journal/journal.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef struct acled_result {
    int64_t rows;     /* Data rows read. */
    int64_t imported; /* Rows written (new or updated). */
    int64_t rejected;
    json_t *rejects;       /* [{"line", "column", "reason"}], owned by the caller. */
    int64_t outside_zones; /* Imported rows inside no zone (0 when there are no zones). */
    int bulk;              /* Loaded in bulk: the place index built at the end. */
    int alone;             /* ... by the database's only connection: pages written once. */
} acled_result;

typedef void (*acled_progress)(void *cls, int64_t rows, int64_t bytes, int64_t total);

/* Imports from in (total bytes, for progress; 0 when unknown). status is the imported
 * incidents' status ("verified" unless told otherwise). A file of 10,000 rows or more
 * (reckoned from total), and more than the deployment has, is loaded in bulk: the place
 * index is dropped and built again at the end (store bulk_begin/bulk_end); and when no
 * other connection has the database open, the import has it to itself and writes its
 * pages once (store alone_begin/alone_end). */
/* Flags: rows whose place lies outside every zone are refused (rejected with a reason)
 * instead of imported with a warning. No effect in a deployment with no zones. */
/* ACLED_PRIVATE_JOURNAL: the batches are journaled for monitors and mediators only, even
 * when the rows are verified (by default a verified import is a public event, its rows'
 * places as imported: the public journal is not coarsened by a deployment's public grid). */
enum { ACLED_REFUSE_OUTSIDE = 1, ACLED_PRIVATE_JOURNAL = 2 };

int acled_import(store *s, const journal_actor *who, FILE *in, int64_t total, const char *status,
                 int flags, acled_progress progress, void *cls, acled_result *out, tr_err *e);

/* acled_import() inside the caller's transaction (the API's import runs as one job of
 * the group committer): on an error the caller rolls back, and nothing is imported.
 * out->rejects must be NULL or a reference the call may drop. */
int acled_import_here(store *s, const journal_actor *who, FILE *in, int64_t total,
                      const char *status, int flags, acled_progress progress, void *cls,
                      acled_result *out, tr_err *e);

/* The journal event of a batch of imported rows, incidents.imported, is
 * {"count": N, "format": ACLED_BATCH_FORMAT, "provenance": "acled", "rows": TEXT,
 * "status": S}: TEXT is the base64 (RFC 4648, padded) of a zstd frame holding the rows as
 * CSV — a header, then each row as the ACLED export writes it (20 columns, every field
 * quoted) with a 21st column, zones, the slugs of the zones that held it when it was
 * imported, separated by ';'. Decoded: base64 -d | zstd -d. (Journals written before held
 * {"incidents": [document...], "provenance", "status"}; both are projected.)
 *
 * acled_project writes a batch's incidents (a rebuild); a batch that does not decode as
 * that is a 500 journal.bad_event naming what is wrong (and the caller rolls back). */
#define ACLED_BATCH_FORMAT "acled-csv+zstd+base64"
int acled_project(store *s, const store_event *ev, const json_t *body, tr_err *e);

/* Is type one of ACLED's six event types? */
int acled_valid_event_type(const char *type);
/* Is (type, sub_type) in ACLED's taxonomy? */
int acled_valid_type(const char *type, const char *sub_type);

#endif
