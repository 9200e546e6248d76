/* import.h - daily aid counts from the files aid is published in: a day's totals (one row
 * a day, the value in a column), or line lists (one row a truck or a consignment, counted,
 * or their tonnes summed), as `truce import aid-counts` reads them.
 *
 * Each row gives a date (2024-09-09, 07-Oct-23, 25 Feb 2024, 25 Sept 2024, 07 October
 * 2023...), optionally a crossing and a category in the publisher's words, which are mapped
 * onto the deployment's: a crossing by its slug or name ("Rafah Crossing" -> rafah, "Kerem
 * Shalom" -> kerem-shalom), a category by a table of the names the publishers use ("Food
 * Items" -> food, "Medical Supplies" -> health...), or as the caller maps them. A name that
 * maps to nothing is counted without a crossing (or category) and reported.
 *
 * The rows are summed by day, crossing and category, and each sum recorded as a count of
 * the source on the basis: only what changed is journaled, so importing the same file twice
 * changes nothing. The counts that change are journaled together, AID_COUNTS_PER_EVENT to an
 * aid.counts_recorded event ({source, basis, counts: [{date, crossing?, category?, value,
 * replaces?}]}), so that the journal's work (and, on PostgreSQL, the projection's: COPY) is
 * per batch, not per count. The file is the source's whole count for the days it
 * covers: a count of the source and basis on those days that the file no longer gives (a
 * name mapped since) is set to 0. A row without a date or a value is rejected and named by
 * its line; a file that cannot be read, or has no such column, imports nothing. */
#ifndef TRUCE_AID_IMPORT_H
#define TRUCE_AID_IMPORT_H

#include "journal/journal.h"

#include <stdio.h>

/* Counts per aid.counts_recorded event. */
#define AID_COUNTS_PER_EVENT 500

typedef struct aid_import_spec {
    const char *source, *basis;
    const char *date_column;
    const char *value_column;                      /* NULL with count_rows */
    int count_rows;                                /* each row counts 1 */
    const char *crossing_column, *category_column; /* NULL: none */
    /* "NAME=SLUG,NAME=SLUG" mappings that come before the built-in ones; NULL none. */
    const char *map_crossing, *map_category;
    int in_txn; /* write in the caller's transaction (fuzzing, tests) instead of its own */
} aid_import_spec;

typedef struct aid_import_result {
    int64_t rows;     /* data rows read */
    int64_t imported; /* rows counted */
    int64_t rejected;
    int64_t counts;  /* day, crossing and category sums */
    int64_t changed; /* counts journaled (new, changed, or set to 0) */
    json_t *rejects; /* the first 100: [{"line", "reason"}] */
    /* {"crossing": {NAME: {"to": SLUG|null, "rows": N}}, "category": {...}}: every name
     * met and what it was mapped to */
    json_t *names;
} aid_import_result;

/* Imports from in (size bytes, for progress) as spec says. Fills *out (its JSON owned by
 * the caller, also on failure). 400 aid.bad_file naming the column or the line when the
 * file cannot be used; 400 request.invalid_field for a spec's bad source, basis or
 * mapping. */
int aid_import_counts(store *s, const journal_actor *who, FILE *in, int64_t size,
                      const aid_import_spec *spec,
                      void (*progress)(void *cls, int64_t rows, int64_t bytes, int64_t total),
                      void *progress_cls, aid_import_result *out, tr_err *e);

/* A publisher's date as YYYY-MM-DD into out: 0, or -1. */
int aid_parse_date(const char *s, char out[11]);

#endif
