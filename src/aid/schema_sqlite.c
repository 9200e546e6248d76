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
    /* The aid flow: requests through crossings, the truckloads dispatched under them (with
     * the time each reached each step, for dwell times), a day's moves into each state,
     * counts from every source on their own basis, and targets. */
    {"0003-aid-flow",
     "CREATE TABLE aid_requests("
     "  id INTEGER PRIMARY KEY,"
     "  ref TEXT NOT NULL UNIQUE,"
     "  org TEXT NOT NULL,"
     "  crossing TEXT NOT NULL REFERENCES crossings(slug),"
     "  destination TEXT NOT NULL,"
     "  lines TEXT NOT NULL,"
     "  state TEXT NOT NULL,"
     "  reason TEXT NOT NULL DEFAULT '',"
     "  submitted_ms INTEGER NOT NULL,"
     "  cleared_ms INTEGER NOT NULL DEFAULT 0,"
     "  updated_ms INTEGER NOT NULL);"
     "CREATE TABLE aid_trucks("
     "  id INTEGER PRIMARY KEY,"
     "  request INTEGER NOT NULL REFERENCES aid_requests(id),"
     "  org TEXT NOT NULL,"
     "  crossing TEXT NOT NULL,"
     "  destination TEXT NOT NULL,"
     "  category TEXT NOT NULL,"
     "  pallets REAL NOT NULL,"
     "  tonnes REAL NOT NULL,"
     "  state TEXT NOT NULL,"
     "  reason TEXT NOT NULL DEFAULT '',"
     "  day TEXT NOT NULL,"
     "  t_dispatched INTEGER NOT NULL,"
     "  t_at_crossing INTEGER NOT NULL DEFAULT 0,"
     "  t_screened INTEGER NOT NULL DEFAULT 0,"
     "  t_offloaded INTEGER NOT NULL DEFAULT 0,"
     "  t_collected INTEGER NOT NULL DEFAULT 0,"
     "  t_arrived INTEGER NOT NULL DEFAULT 0,"
     "  last_ms INTEGER NOT NULL);"
     "CREATE INDEX aid_trucks_request ON aid_trucks(request, category);"
     "CREATE TABLE aid_truck_days("
     "  day TEXT NOT NULL,"
     "  crossing TEXT NOT NULL,"
     "  category TEXT NOT NULL,"
     "  destination TEXT NOT NULL,"
     "  state TEXT NOT NULL,"
     "  n INTEGER NOT NULL,"
     "  PRIMARY KEY(day, crossing, category, destination, state)) WITHOUT ROWID;"
     /* Each step's durations (ms) by the day the truck was dispatched (for clearance, the
      * day the request was submitted) and crossing, packed 256 to a row: the dwell
      * percentiles over two years read 3,000 rows, not a million trucks. */
     "CREATE TABLE aid_dwell("
     "  step INTEGER NOT NULL,"
     "  day TEXT NOT NULL,"
     "  crossing TEXT NOT NULL,"
     "  chunk INTEGER NOT NULL,"
     "  n INTEGER NOT NULL,"
     "  ms BLOB NOT NULL,"
     "  PRIMARY KEY(day, crossing, step, chunk)) WITHOUT ROWID;"
     "CREATE TABLE aid_counts("
     "  day TEXT NOT NULL,"
     "  source TEXT NOT NULL,"
     "  basis TEXT NOT NULL,"
     "  crossing TEXT NOT NULL,"
     "  category TEXT NOT NULL,"
     "  value REAL NOT NULL,"
     "  PRIMARY KEY(day, source, basis, crossing, category)) WITHOUT ROWID;"
     "CREATE TABLE aid_targets("
     "  id INTEGER PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  per TEXT NOT NULL,"
     "  value REAL NOT NULL,"
     "  basis TEXT NOT NULL,"
     "  source TEXT NOT NULL,"
     "  category TEXT NOT NULL,"
     "  destinations TEXT NOT NULL,"
     "  from_day TEXT NOT NULL,"
     "  to_day TEXT NOT NULL,"
     "  created_by TEXT NOT NULL);"},
    {NULL, NULL},
};

const store_migration_set aid_schema = {
    "aid", migrations,
    "DELETE FROM aid_targets; DELETE FROM aid_counts; DELETE FROM aid_truck_days;"
    " DELETE FROM aid_dwell;"
    " DELETE FROM aid_trucks; DELETE FROM aid_requests;"
    " DELETE FROM crossing_closures; DELETE FROM crossings;"};
