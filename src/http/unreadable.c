/* unreadable.c - requests that never reach truce: what libmicrohttpd cannot read as HTTP.
 *
 * libmicrohttpd 0.9.75 answers a request it cannot parse (a malformed header or chunk, a
 * Content-Length that is not a number, headers past its memory limit, an HTTP version it
 * does not speak) with a fixed HTML page, and closes a connection whose request line is not
 * METHOD TARGET VERSION without a word. It has no option to replace either. An API client
 * must get the JSON error shape every other reply has, so:
 *
 *   - The library makes its pages through one call, from one place (connection.c,
 *     transmit_error_response_len): MHD_queue_response, through the dynamic linker. truce
 *     defines that symbol, so the library's call comes here; the reply is written to the
 *     socket in the JSON shape (as the watchdog writes its 408) and the library is told the
 *     reply could not be queued, so it closes the connection without sending its page.
 *     truce's own replies go to the library's function (http__queue), found by dlsym.
 *     Which error it was, the library has just said to its logger on the same thread
 *     (http__library_log keeps the line).
 *   - A connection the library closes while waiting for a request, with the client still
 *     there and nothing else to explain it (no 408, no stop, no reply that said "close"),
 *     was closed over its request line: it is answered 400 request.malformed as it closes.
 *
 * See docs/architecture.md, "Robustness against clients". */
#include "http/internal.h"
#include "http/watchdog.h"

#include "core/codes.h"
#include "core/log.h"
#include "core/util.h"

#include <dlfcn.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);

static queue_fn library_queue;
static pthread_once_t library_queue_once = PTHREAD_ONCE_INIT;

static void find_library_queue(void)
{
    library_queue = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
    if (!library_queue) {
        fprintf(stderr, "truce: libmicrohttpd's MHD_queue_response is not to be found\n");
        abort();
    }
}

enum MHD_Result http__queue(struct MHD_Connection *con, unsigned int status,
                            struct MHD_Response *resp)
{
    pthread_once(&library_queue_once, find_library_queue);
    return library_queue(con, status, resp);
}

/* The library's last message on this thread: it says what it found wrong just before it
 * queues its page. */
static _Thread_local char library_said[512];

void http__library_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    vsnprintf(library_said, sizeof library_said, fmt, ap);
    library_said[strcspn(library_said, "\n")] = 0;
    /* Its page and its failing to queue it are truce's reply, logged by answer(). */
    if (strncmp(library_said, "Error processing request", 24) != 0 &&
        strncmp(library_said, "Closing connection (failed to queue error response)", 51) != 0)
        log_warn("libmicrohttpd: %s", library_said);
}

void http__send_raw(int fd, int status, const tr_err *e, const char *request_id)
{
    json_t *body = err_to_json(e);
    json_t *err = json_object_get(body, "error"), *detail = json_object_get(err, "detail");
    if (request_id) {
        if (!json_is_object(detail)) {
            detail = json_object();
            json_object_set_new(err, "detail", detail);
        }
        json_object_set_new(detail, "request_id", json_string(request_id));
    }
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (!text) abort();
    const char *reason = MHD_get_reason_phrase_for((unsigned)status);
    char head[320];
    int n =
        snprintf(head, sizeof head,
                 "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: application/json; "
                 "charset=utf-8\r\nCache-Control: no-store\r\n%s%s%sContent-Length: %zu\r\n\r\n",
                 status, reason && *reason ? reason : "Error", request_id ? "X-Request-Id: " : "",
                 request_id ? request_id : "", request_id ? "\r\n" : "", strlen(text));
    struct iovec iov[2] = {{head, (size_t)n}, {text, strlen(text)}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t done = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)done; /* a client that cannot take a few hundred bytes is cut all the same */
    free(text);
}

/* What the library refused, as truce's error: by the status it chose and the words it
 * logged (0.9.75's pages: see connection.c's REQUEST_* texts). */
static void classify(unsigned status, const char *said, tr_err *e)
{
    switch (status) {
    case MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE:
        err_set(e, 431, "request.header_too_large", "send fewer or shorter headers",
                "the request's headers are larger than the server reads");
        return;
    case MHD_HTTP_URI_TOO_LONG:
        err_set(e, 414, "request.uri_too_long",
                "send a shorter address (long filters go in a body)",
                "the request's address is longer than the server reads");
        return;
    case MHD_HTTP_HTTP_VERSION_NOT_SUPPORTED:
        err_set(e, 505, "request.http_version", "send HTTP/1.1 (or HTTP/1.0)",
                "the request names an HTTP version this server does not speak");
        return;
    case MHD_HTTP_CONTENT_TOO_LARGE:
        err_set(e, 413, "request.too_large",
                "send a smaller body; a large file goes in pieces "
                "(PATCH /api/v1/evidence/uploads)",
                strstr(said, "chunk")
                    ? "a chunk of the body is larger than the server reads"
                    : "the request's Content-Length is larger than the server reads");
        return;
    case MHD_HTTP_BAD_REQUEST:
        if (strstr(said, "Content-Length"))
            err_set(e, 400, "request.bad_length", "send the body's length in bytes, as digits",
                    "the request's Content-Length is not a number");
        else if (strstr(said, "chunk"))
            err_set(e, 400, "request.bad_chunk",
                    "send each chunk as its length in hex, CRLF, the bytes, CRLF (RFC 9112 §7.1)",
                    "the request's chunked body is malformed");
        else if (strstr(said, "Host"))
            err_set(e, 400, "request.malformed", "send a Host header",
                    "an HTTP/1.1 request must have a Host header");
        else
            err_set(e, 400, "request.malformed", "send NAME: VALUE header lines (RFC 9112 §5)",
                    "the request's headers are not HTTP/1.1");
        return;
    case MHD_HTTP_INTERNAL_SERVER_ERROR:
        err_set(e, 500, "server.internal", "try again; if it fails again, tell the operator",
                "the server could not answer this request");
        return;
    default:
        err_set(e, 400, "request.malformed", "send a well-formed HTTP/1.1 request",
                "the request could not be read as HTTP");
    }
}

/* Answers on the connection's socket and marks it answered (the caller holds watch_lock). */
static void answer(http_server *srv, struct MHD_Connection *con, conn_watch *w, tr_err *e)
{
    char id[40], client[64];
    int in_request = w->phase == WATCH_BODY && w->request_id; /* on_completed logs it */
    if (in_request)
        snprintf(id, sizeof id, "%s", w->request_id);
    else
        snprintf(id, sizeof id, "%s-%llu", srv->id_prefix,
                 (unsigned long long)atomic_fetch_add(&srv->next_id, 1));
    err_code_sent(e->code, e->status);
    if (!in_request) metrics_observe(srv->metrics, -1, e->status, 0);
    /* Logged before it is sent: whoever reads the reply finds the line written. */
    http__client_address(con, client, sizeof client);
    log_warn("request %s from %s refused before it was read: %d %s", id, client, e->status,
             e->code);
    if (log_access_enabled() && !in_request)
        log_access("%s - - %d 0 0.000ms %s -", client, e->status, id);
    http__send_raw(w->fd, e->status, e, id);
    shutdown(w->fd, SHUT_RDWR); /* the client reads the end; the library cleans up */
    w->answered = e->status;
    w->phase = WATCH_BUSY;
}

/* libmicrohttpd's call for its own error page (see the top of this file). */
enum MHD_Result MHD_queue_response(struct MHD_Connection *con, unsigned int status,
                                   struct MHD_Response *resp)
{
    (void)resp;
    conn_watch *w = http__watch_of(con);
    if (!w) return MHD_NO; /* not a connection of truce's: closed without a page */
    http_server *srv = w->srv;
    tr_err e = TR_ERR_INIT;
    classify(status, library_said, &e);
    pthread_mutex_lock(&srv->watch_lock);
    if (!w->timed_out && !w->answered) answer(srv, con, w, &e);
    pthread_mutex_unlock(&srv->watch_lock);
    err_clear(&e);
    return MHD_NO;
}

/* Whether the client is still there to read an answer: it has not closed or reset. */
static int client_waits(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

void http__closing_unexplained(http_server *srv, struct MHD_Connection *con, conn_watch *w)
{
    if (w->phase != WATCH_WAITING || w->timed_out || w->answered || w->closes ||
        atomic_load(&srv->stopping) || w->fd < 0 || !client_waits(w->fd))
        return;
    tr_err e = TR_ERR_INIT;
    err_set(&e, 400, "request.malformed",
            "start a request with METHOD TARGET HTTP/1.1, e.g. GET /healthz HTTP/1.1",
            "the request line is not METHOD TARGET VERSION");
    answer(srv, con, w, &e);
    err_clear(&e);
}

int http__reply_closes(struct MHD_Connection *con, int http_1_1, int reply_says_close,
                       enum MHD_RequestTerminationCode toe)
{
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK || reply_says_close) return 1;
    /* HTTP/1.0 keep-alive counts as closing: erring this way only leaves a later bad
     * request line on the connection unanswered, as the library leaves it. */
    if (!http_1_1) return 1;
    const char *c = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONNECTION);
    return c && strcasestr(c, "close") != NULL;
}
