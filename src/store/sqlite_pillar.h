/* sqlite_pillar.h - what a pillar's SQLite operations (src/PILLAR/store_sqlite.c) use of a
 * connection, so that each pillar keeps its SQL beside its own code and the store keeps
 * only connections, transactions, the journal, the tree, checkpoints and metadata.
 *
 * A statement is named by its SQL text, a string constant of the pillar's: its address is
 * the key of the connection's cache, so it is prepared once per connection
 * (SQLITE_PREPARE_PERSISTENT) and reset after each use, as the store's own are. Errors are
 * the store's (store.busy, store.conflict, store.full, store.failed). */
#ifndef TRUCE_STORE_SQLITE_PILLAR_H
#define TRUCE_STORE_SQLITE_PILLAR_H

#include "store/store.h"

#include <sqlite3.h>

/* Whether s is a SQLite connection (so that a pillar picks its SQLite operations). */
int sq_is(const store *s);
/* The statement for sql (a string constant), prepared on first use; NULL with e set. */
sqlite3_stmt *sq_stmt(store *s, const char *sql, tr_err *e);
/* Binds text, or NULL when s is NULL. */
void sq_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Copies column i's text into dst (cap bytes), "" for NULL. */
void sq_col_copy(char *dst, size_t cap, sqlite3_stmt *st, int i);
/* Steps a statement that returns no row, then resets it: 0, or -1 with e set. */
int sq_step_done(store *s, sqlite3_stmt *st, tr_err *e);
/* Steps a bound single-row statement: 1 with the row to read (then sq_done), 0 none (reset),
 * -1 with e set. */
int sq_step_one(store *s, sqlite3_stmt *st, tr_err *e);
void sq_done(sqlite3_stmt *st);
/* The store's error for a SQLite result code (store.busy, store.conflict, ...): -1. */
int sq_fail(store *s, int rc, tr_err *e);
/* The one integer a bound single-row statement returns (next ids, counts): 0, or -1. */
int sq_scalar(store *s, sqlite3_stmt *st, int64_t *out, tr_err *e);
/* The rowid of the last row inserted on the connection. */
int64_t sq_last_rowid(store *s);
/* Runs SQL text (no rows): 0, or -1 with e set. */
int sq_exec(store *s, const char *text, tr_err *e);
/* Rows the last statement changed. */
int sq_changes(store *s);
/* Runs a bound statement, decoding each row into row with read and handing it to cb until
 * cb returns non-zero. */
int sq_scan(store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *, void *), void *row,
            store_row_cb cb, void *cls, tr_err *e);
/* Runs a bound single-row statement (NULL: sq_stmt failed), decoding its row into out with
 * read: 1 found, 0 none, -1 with e set. */
int sq_row(store *s, sqlite3_stmt *st, void (*read)(sqlite3_stmt *, void *), void *out, tr_err *e);

#endif
