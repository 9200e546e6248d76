/* helpers.h - what the test programs share: temporary directories, a demo database, a
 * real server on an ephemeral port, an HTTP client (libcurl), and running the truce
 * binary as a user would. */
#ifndef TRUCE_TESTS_HELPERS_H
#define TRUCE_TESTS_HELPERS_H

#include "http/http.h"
#include "store/store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The rows (events) of the real ACLED export, TRUCE_DATA/acled/gaza_war_events.csv. */
#define TH_ACLED_GAZA_ROWS 5338
#define TH_STR_(x)         #x
#define TH_STR(x)          TH_STR_(x) /* a number macro as a string literal */

/* Creates a fresh temporary directory; returns its path (static storage per call slot). */
char *th_tmpdir(void);
void th_rmrf(const char *dir);

/* ---- PostgreSQL ---- */
/* The test cluster's connection string without a database: TRUCE_PG when the runner
 * started one (scripts/run-tests.sh), else a cluster this process starts on first use
 * (scripts/pg-cluster.sh) and th_pg_stop stops. */
const char *th_pg(void);
/* Whether this run's servers keep their data in PostgreSQL (TRUCE_TEST_BACKEND=postgres, as
 * scripts/run-tests.sh sets for its second pass): th_server_start then serves a database of
 * the test cluster (th_pg_db). */
int th_postgres(void);
/* A new, empty database on the cluster named after name and this process: its libpq
 * connection string (static storage per call slot). Its log key, shared by every database
 * the process makes, is the file TRUCE_KEY_FILE names. */
const char *th_pg_db(const char *name);
/* A new, empty database for this run's backend: DIR/NAME.db (its key beside it), or a
 * PostgreSQL database (th_pg_db). Static storage, 8 slots. */
const char *th_db(const char *dir, const char *name);
/* A copy of the database db under a new name (DIR/NAME.db and its key, or a PostgreSQL
 * database made by pg_dump), for rebuilding without touching the original. */
const char *th_db_copy(const char *db, const char *dir, const char *name);
/* Ends the test as skipped, saying why, when the run is on PostgreSQL: for what only a
 * SQLite file has (its journal modes, its locks, its own shell's checks). */
#define th_sqlite_only(why)                                                                        \
    do {                                                                                           \
        if (th_postgres()) {                                                                       \
            fprintf(stderr, "SQLite only: %s\n", why);                                             \
            skip();                                                                                \
        }                                                                                          \
    } while (0)
/* Runs SQL on the database conninfo names; fails the test on an error unless may_fail:
 * then 0 when it ran, -1 when PostgreSQL refused it. */
int th_pg_sql(const char *conninfo, const char *sql, int may_fail);
void th_pg_stop(void);

/* A new database at path holding the demo scenario; returns it open. */
store *th_demo_db(const char *path);
/* The same with scn_load flags; th_demo_db leaves out the sample monitoring records, so
 * that tests start from a known, empty record. */
store *th_demo_db_with(const char *path, unsigned flags);
const char *th_scenario_dir(void);

int64_t th_journal_len(const char *db_path);
/* A file's bytes, NUL-terminated (empty when it cannot be read); *len its length (len may
 * be NULL). free() it. */
char *th_slurp(const char *path, size_t *len);
/* in, gzip-compressed (malloc'd); *out_len its length. */
char *th_gzip(const char *in, size_t len, size_t *out_len);

/* ---- HTTP ---- */
typedef struct th_resp {
    long status;
    char *body; /* NUL-terminated. */
    size_t len;
    json_t *json;  /* Parsed body, or NULL when it is not JSON. */
    char *headers; /* Raw response headers. */
} th_resp;

/* Sends a request. token may be NULL; body may be NULL; ctype NULL means
 * "application/json" when there is a body. Returns 0 when a response arrived. */
int th_http(const char *method, const char *url, const char *token, const char *body, size_t len,
            const char *ctype, th_resp *out);
/* The same with whole header lines ("Name: value", NULL-terminated); th_http sends
 * "Content-Type: CTYPE" with a body (application/json when ctype is NULL). */
int th_http_with(const char *method, const char *url, const char *token, const char *body,
                 size_t len, const char *const *headers, th_resp *out);
void th_resp_free(th_resp *r);
/* Requests of this thread come from addr (a loopback address such as "127.0.0.7"), or
 * from the default when NULL: a client at another address, as the server sees it. */
void th_http_from(const char *addr);
/* A response header's value (malloc'd), or NULL. */
char *th_header(const th_resp *r, const char *name);
/* The error code of an error reply, or "". */
const char *th_code(const th_resp *r);
/* The field an error response's detail names, or NULL. */
const char *th_field(const th_resp *r);

/* ---- server ---- */
typedef struct th_server {
    http_server *srv;
    char dir[256];
    char db[300];
    char base[64];   /* "http://127.0.0.1:PORT" */
    http_config cfg; /* What it was started with. */
} th_server;

/* Builds a demo database in a new temporary directory and serves it on a free port. */
void th_server_start(th_server *t, const http_config *overrides);
void th_server_stop(th_server *t);
/* Stops serving, keeping the database (for commands that refuse a database in use), and
 * serves it again on a new port (t->base changes). */
void th_server_halt(th_server *t);
void th_server_resume(th_server *t);

/* Sends this process's stderr (the server's log) to a file until th_stderr_release, which
 * returns what was written (malloc'd). */
void th_stderr_capture(void);
char *th_stderr_release(void);
/* Signs in and returns the token (static storage per call slot). */
const char *th_login(th_server *t, const char *user, const char *password);
char *th_url(th_server *t, const char *path); /* static storage, 8 slots */

/* ---- the binary ---- */
/* Runs `truce ARGS` through the shell; captures stdout and stderr (malloc'd; may be NULL
 * to discard). Returns the exit status. stdin_text feeds standard input when not NULL. */
int th_truce(char **out, char **err, const char *stdin_text, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* What a shell command (sqlite3 over a file, say: a count made without truce) prints
 * (malloc'd); the test fails if it fails. */
char *th_shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What the database's own shell prints for SQL run over db, a SQLite file (sqlite3) or a
 * PostgreSQL conninfo (psql): rows of columns joined by '|', one a line, for every statement
 * (malloc'd); the test fails if the SQL fails. Write SQL both dialects take, or choose by
 * th_postgres(). */
char *th_sql(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
