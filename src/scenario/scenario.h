/* scenario.h - a deployment's cast and places, as data.
 *
 * A scenario is a directory with scenario.json (organizations, users, crossings, zone
 * files) and the GeoJSON files it names. Loading checks the whole scenario first (strict
 * schema, every referenced file, every geometry, every password hashed) and only then
 * writes it, in one transaction, through the journal like any other write: either all of
 * it is loaded or none of it. */
#ifndef TRUCE_SCENARIO_SCENARIO_H
#define TRUCE_SCENARIO_SCENARIO_H

#include "core/err.h"
#include "store/store.h"

#include <jansson.h>

typedef struct scn_summary {
    int orgs, users, crossings, zones, negotiations;
    int samples;     /* sample monitoring records played */
    int aid_samples; /* sample aid requests played */
    json_t *logins;  /* [{"user","password","org","kind","admin"}], owned by the caller. */
} scn_summary;

/* Loads the scenario in `dir` into the store. On success fills *out (when not NULL).
 * SCN_NO_SAMPLES leaves out the sample monitoring records (reports and incidents in
 * every workflow state), for a deployment that starts with real data only. */
enum { SCN_NO_SAMPLES = 1 };
int scn_load(store *s, const char *dir, unsigned flags, scn_summary *out, tr_err *e);

/* Imports the published aid counts the scenario names (aid_counts: files relative to the
 * data folder `data`, e.g. ../shared/data), each as `truce import aid-counts` would; a file
 * that is not there is skipped. *report (new): [{"file", "source", "basis", "imported",
 * "rejected", "days"} or {"file", ..., "missing": true}]. */
int scn_load_counts(store *s, const char *dir, const char *data, json_t **report, tr_err *e);

/* Creates a fresh deployment: records deployment.initialized with the given name. */
int scn_init_deployment(store *s, const char *name, tr_err *e);

#endif
