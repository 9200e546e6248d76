/* schema.h - the accounts pillar's schema migrations (schema_sqlite.c, schema_pg.c). */
#ifndef TRUCE_ACCOUNTS_SCHEMA_H
#define TRUCE_ACCOUNTS_SCHEMA_H

#include "store/store.h"

extern const store_migration_set accounts_schema;
extern const store_migration_set accounts_schema_pg;

#endif
