/* schema.h - the monitor pillar's schema migrations (schema_sqlite.c). */
#ifndef TRUCE_MONITOR_SCHEMA_H
#define TRUCE_MONITOR_SCHEMA_H

#include "store/store.h"

extern const store_migration_set monitor_schema;
extern const store_migration_set monitor_schema_pg;

#endif
