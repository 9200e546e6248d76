/* pg.h - the PostgreSQL backend (pg.c): many servers on one database. */
#ifndef TRUCE_STORE_PG_H
#define TRUCE_STORE_PG_H

#include "store/store.h"

/* Whether db names a PostgreSQL database rather than a SQLite file: a postgres:// or
 * postgresql:// URI, or libpq's keywords ("host=/run/postgresql dbname=truce"). */
int store_pg_is_uri(const char *db);

/* Connects to the database conninfo names and applies pending migrations (one process at a
 * time); STORE_READONLY opens it for reading only. NULL with e set (store.unavailable when
 * the server cannot be reached). */
store *store_pg_open(const char *conninfo, int flags, tr_err *e);

/* Refuses (store.in_use, 409) while another truce process is connected to the database:
 * for commands that would recreate what the servers read. */
int store_pg_require_alone(const char *conninfo, const char *doing, tr_err *e);

#endif
