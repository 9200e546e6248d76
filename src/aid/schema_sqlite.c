/* schema_sqlite.c - the aid pillar's schema for SQLite after the base the store creates
 * (store/store.h, store_migration): its migrations, named like numbered patch files and
 * applied once each (none yet: its tables are in the base), and how its projection tables
 * (crossings) are emptied for a rebuild. */
#include "aid/schema.h"

static const store_migration migrations[] = {
    {NULL, NULL},
};

const store_migration_set aid_schema = {"aid", migrations, "DELETE FROM crossings;"};
