/* schema.h - the negotiate pillar's schema migrations (schema_sqlite.c). */
#ifndef TRUCE_NEGOTIATE_SCHEMA_H
#define TRUCE_NEGOTIATE_SCHEMA_H

#include "store/store.h"

extern const store_migration_set negotiate_schema;
extern const store_migration_set negotiate_schema_pg;

#endif
