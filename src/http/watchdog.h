/* watchdog.h - the connection watchdog (watchdog.c), for the server. */
#ifndef TRUCE_HTTP_WATCHDOG_H
#define TRUCE_HTTP_WATCHDOG_H

#include "http/internal.h"

#include <microhttpd.h>

/* The connection watchdog (watchdog.c). */
enum { WATCH_WAITING, WATCH_BODY, WATCH_BUSY };
/* Writes a JSON 408 (the request did not arrive within secs) straight to the socket. */
void http__send_timeout(int fd, unsigned secs);
/* The connection's entry, and setting its phase (the time it began is now). */
conn_watch *http__watch_of(struct MHD_Connection *con);
void http__watch_phase(http_server *srv, struct MHD_Connection *con, int phase);
/* libmicrohttpd's connection notifications: keeps the list of connections. */
void http__on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);
/* The watchdog thread (arg: the server), until watch_stop. */
void *http__watchdog(void *arg);

#endif
