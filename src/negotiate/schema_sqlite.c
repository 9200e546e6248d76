/* schema_sqlite.c - the negotiate pillar's schema for SQLite after the base the store creates
 * (store/store.h, store_migration): its migrations, named like numbered patch files and
 * applied once each (none yet: its tables are in the base), and how its projection tables
 * (negotiations and agreements) are emptied for a rebuild. */
#include "negotiate/schema.h"

static const store_migration migrations[] = {
    /* Agreements signed elsewhere, recorded by mediators (compliance follows them as it
     * follows negotiated ones): no negotiation, state 'recorded'. SQLite changes a
     * constraint by rebuilding the table. */
    {"0001-recorded-agreements",
     "CREATE TABLE agreements_new("
     "  id INTEGER PRIMARY KEY,"
     "  negotiation_id INTEGER REFERENCES negotiations(id),"
     "  doc TEXT NOT NULL,"
     "  state TEXT NOT NULL CHECK (state IN ('drafted','in_force','recorded')),"
     "  created_at TEXT NOT NULL);"
     "INSERT INTO agreements_new SELECT id, negotiation_id, doc, state, created_at"
     "  FROM agreements;"
     "DROP TABLE agreements;"
     "ALTER TABLE agreements_new RENAME TO agreements;"},
    {NULL, NULL},
};

const store_migration_set negotiate_schema = {
    "negotiate", migrations,
    "DELETE FROM agreement_signatures; DELETE FROM agreements;"
    " DELETE FROM negotiation_responses; DELETE FROM negotiation_texts;"
    " DELETE FROM negotiation_profiles; DELETE FROM negotiations;"};
