/* schema_sqlite.c - the negotiate pillar's schema for SQLite after the base the store creates
 * (store/store.h, store_migration): its migrations, named like numbered patch files and
 * applied once each (none yet: its tables are in the base), and how its projection tables
 * (negotiations and agreements) are emptied for a rebuild. */
#include "negotiate/schema.h"

static const store_migration migrations[] = {
    {NULL, NULL},
};

const store_migration_set negotiate_schema = {
    "negotiate", migrations,
    "DELETE FROM agreement_signatures; DELETE FROM agreements;"
    " DELETE FROM negotiation_responses; DELETE FROM negotiation_texts;"
    " DELETE FROM negotiation_profiles; DELETE FROM negotiations;"};
