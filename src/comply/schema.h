/* schema.h - the compliance pillar's schema migrations (schema_sqlite.c). */
#ifndef TRUCE_COMPLY_SCHEMA_H
#define TRUCE_COMPLY_SCHEMA_H

#include "store/store.h"

extern const store_migration_set comply_schema;
extern const store_migration_set comply_schema_pg;

#endif
