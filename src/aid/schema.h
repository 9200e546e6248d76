/* schema.h - the aid pillar's schema migrations (schema_sqlite.c). */
#ifndef TRUCE_AID_SCHEMA_H
#define TRUCE_AID_SCHEMA_H

#include "store/store.h"

extern const store_migration_set aid_schema;
extern const store_migration_set aid_schema_pg;

#endif
