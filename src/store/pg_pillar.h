/* pg_pillar.h - what a pillar's PostgreSQL operations (src/PILLAR/store_pg.c) use of a
 * connection, as sqlite_pillar.h is for SQLite: the pillar keeps its SQL beside its own code,
 * the store keeps connections, transactions, the journal, the tree, checkpoints, metadata.
 *
 * A statement is named by its SQL text, a string constant of the pillar's with $1, $2...
 * for parameters: its address is the key of the connection's cache, so it is prepared once
 * per connection (PQprepare) and executed by name after. Parameters are passed by a string of
 * their types, one letter each:
 *
 *   t  const char *   text, NULL for SQL NULL
 *   i  int64_t        a bigint
 *   d  int            an integer
 *   f  double         a double precision (written with 17 significant digits: exact)
 *   b  const void *, size_t   bytes (bytea), sent as they are
 *
 * Results come back as text; read them with the pgr_ helpers. Errors are the store's
 * (store.busy, store.conflict, store.full, store.failed). */
#ifndef TRUCE_STORE_PG_PILLAR_H
#define TRUCE_STORE_PG_PILLAR_H

#include "core/buf.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <stdint.h>

/* Whether s is a PostgreSQL connection (so that a pillar picks its PostgreSQL operations). */
int pg_is(const store *s);

/* Runs the statement sql (a string constant) with the parameters types describes: the result
 * (rows or none) to PQclear, or NULL with e set. */
PGresult *pgq(store *s, tr_err *e, const char *sql, const char *types, ...);
/* The same with n parameters given as text (NULL for SQL NULL), for statements whose parameters
 * are built at run time (filters). */
PGresult *pgq_text(store *s, tr_err *e, const char *sql, int n, const char *const *vals);
/* The same for a statement that returns no row: the rows it changed, or -1 with e set. */
int64_t pgx(store *s, tr_err *e, const char *sql, const char *types, ...);
/* The one bigint a single-row statement returns (next ids, counts): 1 found (in *out), 0 no
 * row, -1 with e set. */
int pgi(store *s, int64_t *out, tr_err *e, const char *sql, const char *types, ...);
/* Runs SQL text, possibly many statements, without parameters: 0, or -1 with e set. */
int pg_exec(store *s, const char *text, tr_err *e);

/* Loads rows through COPY: copy_sql ("COPY t(cols) FROM STDIN") then data, len bytes of
 * COPY's text format (columns split by tabs, rows ended by newlines, each value written
 * with pg_copy_text): 0, or -1 with e set (the transaction is then failed, as by any
 * statement). */
int pg_copy(store *s, const char *copy_sql, const char *data, size_t len, tr_err *e);
/* Appends text (NULL: SQL NULL) to b as one value of COPY's text format. */
void pg_copy_text(buf *b, const char *text);

/* Reading a result: text ("" for NULL), whether NULL, a bigint, an int, a double, a copy into
 * dst (cap bytes, "" for NULL), and bytea decoded into a malloc'd buffer (*len bytes). */
const char *pgr_text(const PGresult *r, int row, int col);
int pgr_null(const PGresult *r, int row, int col);
int64_t pgr_i64(const PGresult *r, int row, int col);
int pgr_int(const PGresult *r, int row, int col);
double pgr_f(const PGresult *r, int row, int col);
void pgr_copy(char *dst, size_t cap, const PGresult *r, int row, int col);
unsigned char *pgr_bytes(const PGresult *r, int row, int col, size_t *len);

/* Runs a list statement, decoding each row into row with read and handing it to cb until cb
 * returns non-zero: 0, or -1 with e set. */
int pg_scan(store *s, PGresult *r, void (*read)(const PGresult *, int, void *), void *row,
            store_row_cb cb, void *cls, tr_err *e);
/* A single-row result (NULL: pgq failed) decoded into out with read: 1 found, 0 none, -1. */
int pg_row(PGresult *r, void (*read)(const PGresult *, int, void *), void *out);

#endif
