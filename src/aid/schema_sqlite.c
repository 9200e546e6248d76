/* schema_sqlite.c - the aid pillar's schema for SQLite after the base the store creates
 * (store/store.h, store_migration): its migrations, named like numbered patch files and
 * applied once each (its first table, crossings, is in the base), and how its projection tables
 * (crossings) are emptied for a rebuild. */
#include "aid/schema.h"

static const store_migration migrations[] = {
    /* Who screens and clears at a crossing, how many trucks a day it can pass, its hours. */
    {"0001-crossing-operation",
     "ALTER TABLE crossings ADD COLUMN operated_by TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE crossings ADD COLUMN capacity_per_day INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE crossings ADD COLUMN hours TEXT NOT NULL DEFAULT '';"},
    /* Days a crossing was (or is) closed, as its operator or an administrator records them. */
    {"0002-crossing-closures", "CREATE TABLE crossing_closures("
                               "  id INTEGER PRIMARY KEY,"
                               "  crossing TEXT NOT NULL REFERENCES crossings(slug),"
                               "  from_date TEXT NOT NULL,"
                               "  to_date TEXT NOT NULL DEFAULT '',"
                               "  reason TEXT NOT NULL,"
                               "  recorded_by TEXT NOT NULL,"
                               "  recorded_at TEXT NOT NULL);"
                               "CREATE INDEX crossing_closures_crossing"
                               "  ON crossing_closures(crossing, from_date);"},
    {NULL, NULL},
};

const store_migration_set aid_schema = {"aid", migrations,
                                        "DELETE FROM crossing_closures; DELETE FROM crossings;"};
