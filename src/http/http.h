/* http.h - the JSON API server (libmicrohttpd, epoll, a thread pool).
 *
 * One server serves one database. Reads run on the pool threads, each leasing a reader
 * connection; writes are handed to the group committer (store/writer.h) and the
 * connection is suspended until the batch holding the write has been committed, so the
 * pool threads never wait on an fsync and one fsync covers many writes. */
#ifndef TRUCE_HTTP_HTTP_H
#define TRUCE_HTTP_HTTP_H

#include "core/err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct http_config {
    const char *db_path;
    /* A streaming replica of db_path (PostgreSQL) for reads, or NULL. A read goes there
     * unless the caller must see a write the replica has not replayed yet (X-Truce-Read-After
     * or the truce_written cookie, a tree size): then it waits a moment, or reads the
     * primary. Every reply says the tree size it reflects (X-Truce-Tree-Size). */
    const char *read_db;
    const char *listen;       /* "ADDR:PORT"; port 0 picks a free one (see http_port). */
    unsigned threads;         /* Pool size; 0 = the number of processors. */
    size_t max_body;          /* Largest request body in bytes; 0 = 1 MiB. */
    unsigned idle_timeout;    /* Seconds a connection may stay silent; 0 = 30. */
    unsigned request_timeout; /* Seconds a request may take to arrive in full; 0 = 60. */
    int64_t (*clock_s)(void); /* Seconds since the epoch for sign-in throttling; NULL: the
                                 real clock (tests pass their own, to step through delays). */
    unsigned stop_grace_ms;   /* How long a stop lets queued writes run before refusing
                                 them (503 server.stopping); 0 = 5000. */
    size_t max_upload;        /* Largest evidence file or CSV import, bytes; 0 = 20 MiB. */
    /* Grid, in degrees, that the locations of incidents are coarsened to for everyone
     * but monitors, mediators and administrators; 0 = exact. */
    double public_grid;
    /* Exports and counts that callers without an account may run at once (they read the
     * whole table); more get a 503 with Retry-After. 0 = the default, 4; negative refuses
     * them all. */
    int public_heavy;
    /* A report or incident whose place lies outside every zone of the deployment (when
     * it has zones): 0 accepted with a warning in the reply, 1 refused (400). */
    int refuse_outside_zones;
    /* Bytes of evidence each organization may upload per UTC day; 0 = the default
     * (4 GiB), negative = no limit. */
    int64_t evidence_quota;
    /* Seconds between runs of each of the pillars' periodic work (journaling obligations'
     * changes of state, delivering webhooks): 0 = each its own (60 s, 5 s); negative =
     * none. */
    int tick_seconds;
    /* Serve the web app's files from this directory (as web/build.mjs writes them) instead
     * of those built in; NULL: built in. */
    const char *assets_dir;
} http_config;

typedef struct http_server http_server;

http_server *http_start(const http_config *cfg, tr_err *e);
uint16_t http_port(const http_server *srv);
/* Stops accepting, lets in-flight writes finish, then stops. */
void http_stop(http_server *srv);

#endif
