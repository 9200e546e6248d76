/* watchdog.c - slow clients: libmicrohttpd's timeout only counts silence, so a client that
 * sends a byte every few seconds would hold a connection for ever. Each connection's phase
 * is kept here (waiting for a request, receiving its body, busy), and a watchdog thread
 * answers 408 and cuts a connection whose request has not arrived in time. See
 * docs/architecture.md, "Robustness against clients". */
#include "http/internal.h"
#include "http/watchdog.h"

#include "core/util.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

/* The 408 sent to a request that did not arrive in time, written straight to the socket:
 * libmicrohttpd has no reply for a request it has not finished reading. */
void http__send_timeout(int fd, unsigned secs)
{
    tr_err e = TR_ERR_INIT;
    err_set(&e, 408, "request.timeout",
            "send it again; a large file goes in pieces (PATCH /api/v1/evidence/uploads)",
            "the request did not arrive within %u seconds", secs);
    e.detail = json_pack("{s:I}", "limit", (json_int_t)secs);
    http__send_raw(fd, 408, &e, NULL);
    err_clear(&e);
}

void http__watch_request(http_server *srv, struct MHD_Connection *con, const char *request_id)
{
    conn_watch *w = http__watch_of(con);
    if (!w) return;
    pthread_mutex_lock(&srv->watch_lock);
    w->phase = WATCH_BODY;
    w->since_ns = util_mono_ns();
    w->request_id = request_id;
    pthread_mutex_unlock(&srv->watch_lock);
}

conn_watch *http__watch_of(struct MHD_Connection *con)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void http__watch_phase(http_server *srv, struct MHD_Connection *con, int phase)
{
    conn_watch *w = http__watch_of(con);
    if (!w) return;
    pthread_mutex_lock(&srv->watch_lock);
    w->phase = phase;
    w->since_ns = util_mono_ns();
    pthread_mutex_unlock(&srv->watch_lock);
}

void http__on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                         enum MHD_ConnectionNotificationCode code)
{
    http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_watch *w = calloc(1, sizeof *w);
        if (!w) abort();
        w->fd = ci ? ci->connect_fd : -1;
        w->srv = srv;
        w->phase = WATCH_WAITING;
        w->since_ns = util_mono_ns();
        pthread_mutex_lock(&srv->watch_lock);
        w->next = srv->watched;
        if (w->next) w->next->prev = w;
        srv->watched = w;
        pthread_mutex_unlock(&srv->watch_lock);
        *socket_context = w;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        conn_watch *w = *socket_context;
        /* Under the lock: the watchdog never touches a socket after this returns (the
         * library closes it after this call). */
        pthread_mutex_lock(&srv->watch_lock);
        http__closing_unexplained(srv, con, w);
        if (w->prev)
            w->prev->next = w->next;
        else
            srv->watched = w->next;
        if (w->next) w->next->prev = w->prev;
        pthread_mutex_unlock(&srv->watch_lock);
        free(w);
        *socket_context = NULL;
    }
}

/* Four times a second: a connection waiting for a request's headers (new, or idle between
 * requests) longer than the idle timeout, or receiving a body longer than the request
 * timeout, gets a 408 and is cut (shutdown: the library sees the end and cleans up). */
void *http__watchdog(void *arg)
{
    http_server *srv = arg;
    pthread_mutex_lock(&srv->watch_lock);
    while (!srv->watch_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 250000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->watch_wake, &srv->watch_lock, &until);
        uint64_t now = util_mono_ns();
        for (conn_watch *w = srv->watched; w && !srv->watch_stop; w = w->next) {
            unsigned limit = w->phase == WATCH_WAITING ? srv->cfg.idle_timeout
                             : w->phase == WATCH_BODY  ? srv->cfg.request_timeout
                                                       : 0;
            if (!limit || w->fd < 0 || now - w->since_ns < (uint64_t)limit * 1000000000u) continue;
            http__send_timeout(w->fd, limit);
            shutdown(w->fd, SHUT_RDWR);
            w->timed_out = 1;
            w->phase = WATCH_BUSY;
        }
    }
    pthread_mutex_unlock(&srv->watch_lock);
    return NULL;
}
