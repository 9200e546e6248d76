/* watchdog.h - the connection watchdog (watchdog.c), for the server. */
#ifndef TRUCE_HTTP_WATCHDOG_H
#define TRUCE_HTTP_WATCHDOG_H

#include "http/internal.h"

#include <microhttpd.h>
#include <stdarg.h>

/* The connection watchdog (watchdog.c). */
enum { WATCH_WAITING, WATCH_BODY, WATCH_BUSY };
/* Writes a JSON 408 (the request did not arrive within secs) straight to the socket. */
void http__send_timeout(int fd, unsigned secs);

/* Requests that never reach truce (unreadable.c). */
/* Writes an error reply in the JSON shape straight to the socket (Connection: close). */
void http__send_raw(int fd, int status, const tr_err *e, const char *request_id);
/* truce's replies go to libmicrohttpd's MHD_queue_response through this: truce defines
 * that symbol to take the library's own error pages. */
enum MHD_Result http__queue(struct MHD_Connection *con, unsigned int status,
                            struct MHD_Response *resp);
/* libmicrohttpd's logger: logs the line and keeps it for the error page that follows. */
void http__library_log(void *cls, const char *fmt, va_list ap);
/* Whether libmicrohttpd closes the connection after a reply (request on HTTP/1.1 or not,
 * the reply's own Connection: close, how the request ended). */
int http__reply_closes(struct MHD_Connection *con, int http_1_1, int reply_says_close,
                       enum MHD_RequestTerminationCode toe);
/* A connection closing: answers 400 when the library closed it over a bad request line
 * (the caller holds watch_lock). */
void http__closing_unexplained(http_server *srv, struct MHD_Connection *con, conn_watch *w);
/* The connection's entry, and setting its phase (the time it began is now). */
conn_watch *http__watch_of(struct MHD_Connection *con);
void http__watch_phase(http_server *srv, struct MHD_Connection *con, int phase);
/* A request's body begins (phase WATCH_BODY); request_id lives until on_completed. */
void http__watch_request(http_server *srv, struct MHD_Connection *con, const char *request_id);
/* libmicrohttpd's connection notifications: keeps the list of connections. */
void http__on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);
/* The watchdog thread (arg: the server), until watch_stop. */
void *http__watchdog(void *arg);

#endif
