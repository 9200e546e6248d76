/* internal.h - what the server core (server.c) and the route handlers (routes.c) share.
 *
 * A handler gets an http_req whose route, path parameters, caller and parsed JSON body
 * are ready, and either
 *   - sets a reply with http__reply() / http__fail() and returns 0, or
 *   - hands a write to the group committer with http__defer() and returns 0; the write
 *     callback runs on the writer thread inside the batch transaction and sets the reply,
 *     which is sent only after the batch has been committed.
 * Handlers never talk to libmicrohttpd. */
#ifndef TRUCE_HTTP_INTERNAL_H
#define TRUCE_HTTP_INTERNAL_H

#include "core/throttle.h"

/* Reports the public may file per client address per hour. */
#define HTTP_PUBLIC_REPORTS 10
/* Bytes of evidence an organization may upload per UTC day unless serve says otherwise. */
#define HTTP_EVIDENCE_QUOTA (4LL << 30)
#include "core/arena.h"
#include "core/buf.h"
#include "http/http.h"
#include "json/jsx.h"
#include "http/metrics.h"
#include "journal/journal.h"
#include "journal/note.h"
#include "store/writer.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

/* Who may call a route. PUBLIC admits anyone; otherwise the caller must be signed in
 * (401) and then match one of the bits (403): any user, an administrator, or a user of an
 * organization of the given kind. */
enum {
    WHO_PUBLIC = 1 << 0,
    WHO_USER = 1 << 1,
    WHO_ADMIN = 1 << 2,
    WHO_PARTY = 1 << 3,
    WHO_MEDIATOR = 1 << 4,
    WHO_MONITOR = 1 << 5,
    WHO_HUMANITARIAN = 1 << 6,
    WHO_OBSERVER = 1 << 7,
};

enum {
    ROUTE_BODY = 1,   /* The route takes a JSON object body. */
    ROUTE_RAW = 2,    /* The route takes a body of any type, handed over as bytes (r->body). */
    ROUTE_UPLOAD = 4, /* Its body may have up to max_upload bytes instead of max_body. */
};

typedef struct http_req http_req;
typedef int (*http_handler)(http_req *r);

typedef struct http_route {
    const char *method;
    const char *pattern; /* "/api/v1/orgs/{slug}": {name} captures one segment; a final
                            "*" captures the rest of the path. */
    http_handler handler;
    unsigned who;          /* WHO_* bits. */
    unsigned flags;        /* ROUTE_* bits. */
    const jsx_field *body; /* ROUTE_BODY: the body's schema, which the handler checks it
                              against and the OpenAPI document publishes; else NULL. */
} http_route;

/* The listening socket (listen.c): "ADDR:PORT" (or "[::1]:PORT", "localhost:PORT") into ss,
 * 400 serve.bad_listen; and a socket bound and listening there, or -1 with e set
 * (serve.address_in_use when another process listens there). */
struct sockaddr_storage;
int http__parse_listen(const char *listen, struct sockaddr_storage *ss, tr_err *e);
int http__open_listener(const struct sockaddr_storage *ss, const char *where, tr_err *e);

/* Every route: the server's own and the pillars', merged by http__routes_init (routes.c),
 * which http_start calls. */
extern const http_route *http__routes;
extern size_t http__n_routes;
void http__routes_init(void);

/* The OpenAPI 3.1 document of every route (openapi.c), made once; borrowed reference. */
json_t *http__openapi(void);

/* How the server finds who calls, from the pillar that knows (accounts), through the
 * registry (src/pillars.c defines http_auth_provider), so that the server names no pillar:
 * prepare runs once at start (what the first sign-in would otherwise pay), state_new makes
 * the server's own state (a cache of recently resolved tokens) and authenticate resolves a
 * bearer token into a caller (401 when it cannot). */
typedef struct http_auth {
    void (*prepare)(void);
    void *(*state_new)(void);
    void (*state_free)(void *state);
    int (*authenticate)(void *state, store *s, const char *token, journal_caller *out, tr_err *e);
} http_auth;
extern const http_auth *const http_auth_provider;

/* The pillars' tables, each ending with a NULL method, and NULL after the last: defined by
 * the registry (src/pillars.c), which names the pillars so that the server does not. */
extern const http_route *const http_route_tables[];

/* The pillars' periodic work (the registry's too): each runs every `every` seconds (or every
 * tick_seconds of the config, when set) on a reader connection, writing through the
 * writer; `every` is passed on (webhooks back off in its multiples). Ends with a NULL fn. */
typedef struct http_tick {
    int (*fn)(store *reader, writer *w, unsigned every, tr_err *e);
    unsigned every;
} http_tick;
extern const http_tick http_ticks[];

#define HTTP_MAX_PARAMS    4
#define HTTP_EXTRA_HEADERS 6

typedef struct reader_pool {
    pthread_mutex_t lock;
    store **items;
    size_t len, cap;
    int flags; /* store_sqlite_open flags for new connections */
} reader_pool;

/* A connection as the watchdog sees it (server.c): libmicrohttpd's timeout only counts
 * silence, so a client that sends a byte every few seconds would hold a connection for
 * ever; the watchdog bounds the time a request may take to arrive, headers and body, and
 * answers 408 when it is up. */
typedef struct conn_watch {
    int fd;
    int phase;              /* WATCH_WAITING, WATCH_BODY or WATCH_BUSY (see server.c) */
    uint64_t since_ns;      /* When the phase began. */
    int timed_out;          /* The watchdog answered 408 and cut it. */
    int answered;           /* The status truce wrote for a request it never got (unreadable.c). */
    int closes;             /* The last reply ends the connection (unreadable.c). */
    const char *request_id; /* The request being read, when truce has it (its http_req's). */
    struct http_server *srv;
    struct conn_watch *prev, *next;
} conn_watch;

struct http_server {
    struct MHD_Daemon *daemon;
    pthread_mutex_t watch_lock; /* Guards the list below and every entry's fields. */
    conn_watch *watched;        /* Open connections. */
    pthread_t watchdog;
    pthread_cond_t watch_wake; /* Signalled to stop the watchdog. */
    pthread_t ticker;          /* The pillars' periodic work (http_ticks). */
    int tick_running;
    pthread_mutex_t tick_lock;
    pthread_cond_t tick_wake; /* Signalled to stop the ticker. */
    int tick_stop;
    int watch_running, watch_stop;
    http_config cfg;
    writer *writer; /* Owns the writing connection. */
    metrics *metrics;
    throttle *login_pair;     /* Failed sign-ins per (address, user name). */
    throttle *login_user;     /* Failed sign-ins per user name, from anywhere. */
    throttle *login_addr;     /* Failed sign-ins per client address, for any name. */
    throttle *login_known;    /* (address, user name) pairs that signed in. */
    throttle *public_reports; /* Reports filed without an account, per client address. */
    void *auth;               /* The authenticator's own state (http_auth.state_new). */
    const char **route_names; /* "METHOD /pattern" per route, for metrics. */
    char id_prefix[9];        /* Random per process; request ids are prefix-counter. */
    /* Reader connections, leased per request: general ones, and memory-mapped ones for
     * the log's proofs, entries and tiles. */
    reader_pool readers, log_readers, replica_readers;
    _Atomic long inflight;    /* Writes handed to the writer whose replies have not gone. */
    _Atomic int stopping;     /* 1: http_stop has begun, new requests get a 503; 2: and
                                 no request may start waiting on the writer. */
    _Atomic int public_heavy; /* Exports and counts running for callers without an account. */
    _Atomic unsigned long long next_id;
    uint16_t port;
    note_verifier signer_v;        /* The log's public key. */
    struct tree_cache *tree_cache; /* Committed tree hashes, shared by all connections. */
};

#define HTTP_REQ_KIND 0x52455121u /* "REQ!": *con_cls is an http_req, not a raw_uri */

struct http_req {
    unsigned kind; /* HTTP_REQ_KIND. */
    arena mem;     /* Request-scoped allocations. */
    http_server *srv;
    struct MHD_Connection *con;
    const char *method, *url;
    const char *raw_uri;                 /* The request line's target as sent (path and query,
                                            still percent-encoded), or NULL. */
    int route;                           /* Index in http__routes, or -1. */
    const char *params[HTTP_MAX_PARAMS]; /* Path parameters, in pattern order. */
    buf body;                            /* Raw request body. */
    int too_large;                       /* The body passed the route's limit. */
    int path_known;                      /* No route matched, but the path exists (405). */
    size_t limit;                        /* The route's body limit. */
    int timed_out;
    json_t *json; /* Parsed body, for ROUTE_BODY routes. */
    journal_caller caller;
    store *reader;      /* Leased on first use; returned at completion. */
    int reader_replica; /* reader came from the replica's pool */
    int64_t tree_size;  /* the tree size the reply reflects, when known (0: unknown) */
    store *log_reader;  /* Likewise, from the memory-mapped pool. */
    uint64_t start_ns;
    char request_id[72];
    char client[64]; /* Client address, for throttling and the log. */
    int http_1_1;    /* Sent as HTTP/1.1 (else the connection closes after it). */

    /* Reply. */
    int status;
    json_t *reply;            /* JSON body, or NULL when raw is used. */
    buf raw;                  /* Non-JSON body (metrics, GeoJSON as text...). */
    const char *content_type; /* For raw and stream. */
    /* A body produced while it is sent, in constant memory: called with room for up to
     * `max` bytes, returns how many it wrote, 0 at the end, -1 on an error (the
     * connection is then closed: the status line has gone). Uses r->state. */
    long (*stream)(http_req *r, char *out, size_t max);
    void (*cleanup)(http_req *r); /* Called when the request is done, however it ended. */
    int heavy;                    /* Holds one of the public's heavy-request slots. */
    const char *cache_control;    /* NULL: "no-store". Public log data sets its own. */
    const char *extra_header[HTTP_EXTRA_HEADERS][2]; /* Extra headers: name, value. */
    const char *vary;                                /* NULL: "Accept-Encoding". */
    const void *static_body;      /* A body that outlives the server (the web app's */
    size_t static_len;            /* files), sent as it is, uncopied, with */
    const char *content_encoding; /* this Content-Encoding if not NULL. */
    int replied;                  /* A response was queued. */
    size_t sent_bytes;
    struct gz_stream *gz; /* A streamed reply sent gzip-compressed, or NULL. */

    /* A write handed to the group committer. */
    writer_job job;
    int deferred;          /* 1 while suspended, 2 once resumed. */
    store_txn_fn write_fn; /* Runs on the writer thread. */
    /* Optional: builds the reply of a successful write back on a request thread, after
     * the commit, so that the writer thread does not (it may use http__reader). */
    int (*after_write)(http_req *r);
    void *state; /* Handler data for write_fn (arena memory). */
};

/* Sets a JSON reply; the reference is stolen. Returns 0. */
int http__reply(http_req *r, int status, json_t *body);
/* Sets an error reply from r's error value e (which is cleared). Returns 0. */
int http__fail(http_req *r, tr_err *e);
/* Adds a response header (name and value must outlive the request). */
void http__header(http_req *r, const char *name, const char *value);
/* The request's reader connection; NULL with e set when none can be opened. */
store *http__reader(http_req *r, tr_err *e);
/* A memory-mapped reader connection: for reads of many pages (the log's proofs and tiles,
 * exports), which then cost no copies. */
store *http__mapped_reader(http_req *r, tr_err *e);
/* Whether an Accept-Encoding header value accepts a coding ("gzip" or "br"). */
int http__accepts(const char *accept_encoding, const char *coding);
/* The language of a page: ?lang= (en, ar, he), else the cookie a ?lang= left (truce_lang),
 * else the first of Accept-Language truce speaks, else English. */
const char *http__lang(http_req *r);
/* A request header's value, or NULL. */
const char *http__header_in(http_req *r, const char *name);
/* The client's address as text ("-" when unknown), for throttling and the logs. */
void http__client_address(struct MHD_Connection *con, char *out, size_t cap);
/* Query-string parameter, or NULL. */
const char *http__query(http_req *r, const char *key);
/* For a request that reads the whole table: callers without an account take one of the
 * server's public_heavy slots for the request's lifetime (released when it completes, a
 * stream included); -1 after replying 503 server.busy when none is free. */
int http__heavy(http_req *r);
/* Hands fn to the group committer; fn(writer_store, r, e) runs in the batch transaction
 * and sets the reply. Returns 0. */
int http__defer(http_req *r, store_txn_fn fn);

#endif
