/* schema_sqlite.c - the monitor pillar's schema for SQLite after the base the store creates
 * (store/store.h, store_migration): its migrations, named like numbered patch files and
 * applied once each (none yet: its tables are in the base), and how its projection tables
 * (zones, incidents, reports and evidence (whose files, content, a rebuild keeps)) are emptied for
 * a rebuild. */
#include "monitor/schema.h"

static const store_migration migrations[] = {
    /* Compliance counts the incidents of a party's actors, of some types, in a window:
     * answered from this index alone, at a million incidents as at a thousand. */
    {"0001-incidents-by-actor",
     "CREATE INDEX incidents_actor ON incidents(actor1, event_type, event_date, status);"},
    {NULL, NULL},
};

const store_migration_set monitor_schema = {
    "monitor", migrations,
    "DELETE FROM reports; DELETE FROM incident_zones; DELETE FROM incidents;"
    " DELETE FROM evidence; DELETE FROM private_fields; DELETE FROM dismissed_duplicates;"
    " DELETE FROM incident_keys; DELETE FROM incident_events; DELETE FROM zones;"};
