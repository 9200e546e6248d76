/* handler.h - what every pillar's handlers share: a reader, a checked body, paging, ids,
 * lists, throttling replies. Below the pillars (it names none of them); a handler is then
 * just its own logic. Each function that can fail has replied when it returns -1 (or
 * NULL): the handler returns 0 at once. */
#ifndef TRUCE_HTTP_HANDLER_H
#define TRUCE_HTTP_HANDLER_H

#include "http/internal.h"
#include "json/jsx.h"

/* A reader connection for the request, or NULL after replying with why there is none. */
store *http__reader_or_fail(http_req *r);

/* Checks the request's JSON body against fields; -1 after replying 400 naming the field. */
int http__check(http_req *r, const jsx_field *fields);
/* The end of a read handler: out (stolen) as the reply with status, or, when the service
 * gave NULL, its error e. */
int http__answer(http_req *r, int status, json_t *out, tr_err *e);

/* The same against the route's own schema (http_route.body): stated once, in the table. */
int http__check_body(http_req *r);

/* A page of a keyset-paginated list: {key: items}, and next_after (the last id) when the
 * page is full, so that a client asks for the next one until it is not. Steals items. */
int http__reply_page(http_req *r, const char *key, json_t *items, long long limit, int64_t last);

/* Keyset paging: `after` (>= 0, default 0) and `limit` (1-1000, default 100); -1 after
 * replying 400 naming the one that is wrong. */
int http__page_params(http_req *r, long long *after, long long *limit);

/* Parses the {id} of the path (a report's or an incident's number, as `what` says) into
 * r->state, an int64_t; -1 after replying 400. */
int http__path_id(http_req *r, const char *what);

/* The id http__path_id parsed. */
int64_t http__the_id(const http_req *r);

/* A scan callback's body: appends to_json(row) to the JSON array cls. */
int http__collect(void *cls, const void *row, json_t *(*to_json)(const void *));

/* Lists rows with a store scan into {"KEY": [...]} */
int http__list(http_req *r, const char *key, int (*scan)(store *, store_row_cb, void *, tr_err *),
               store_row_cb cb);

/* A 429 `code` saying why and when to come back (detail.retry_after and Retry-After). */
int http__throttled_because(http_req *r, int wait, const char *code, const char *why);

/* The {id} path parameter: a positive integer that fits, or a 400 naming it (a number
 * past 2^63 is not silently another). */
int http__id_param(http_req *r, const char *what, int64_t *id);

/* An optional integer parameter: 0 and *out set (or untouched when s is NULL or empty),
 * -1 when it is not an integer from lo to hi. */
int http__parse_int(const char *s, long long lo, long long hi, long long *out);

/* A page of the journal as a caller sees it (GET /api/v1/journal, an incident's history):
 * events it may not see are redacted to seq, type and time. */
typedef struct http__journal_page {
    json_t *events;
    journal_reader reader;
    int batches_brief; /* an import's batch without its 500 documents (an incident's history) */
} http__journal_page;
/* A journal_scan callback appending each event to the page, as the page's reader sees it. */
int http__journal_cb(void *cls, const void *row);

#endif
