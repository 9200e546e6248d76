/* listen.c - the server's listening socket: an ADDR:PORT parsed, and a socket that refuses
 * an address another process listens on. */
#include "http/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int http__parse_listen(const char *listen, struct sockaddr_storage *ss, tr_err *e)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    char *end;
    long port;
    memset(ss, 0, sizeof *ss);
    if (!colon || (size_t)(colon - listen) >= sizeof host) goto bad;
    port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535) goto bad;
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    if (host[0] == '[') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']') goto bad;
        host[n - 1] = 0;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) goto bad;
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) goto bad;
    return 0;
bad:
    return err_set(e, 400, "serve.bad_listen", "use ADDR:PORT, e.g. 127.0.0.1:8080 or [::1]:8080",
                   "cannot listen on '%s'", listen);
}

/* The listening socket, opened here rather than by libmicrohttpd so that a port another
 * process listens on is an error: SO_REUSEADDR only lets a restart bind past connections
 * in TIME_WAIT (Linux refuses two listeners on one address with it), while
 * libmicrohttpd's address reuse adds SO_REUSEPORT, with which the kernel would split the
 * connections between this server and the other. */
int http__open_listener(const struct sockaddr_storage *ss, const char *where, tr_err *e)
{
    int one = 1;
    socklen_t len =
        ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        err_set(e, 500, "serve.listen_failed", NULL, "cannot listen on %s: %s", where,
                strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0) {
        int err = errno;
        close(fd);
        if (err == EADDRINUSE)
            err_set(e, 409, "serve.address_in_use",
                    "another process is listening there (a `truce serve` or `make run` left "
                    "running?); stop it, or choose another port with --listen",
                    "cannot listen on %s: the address is already in use", where);
        else
            err_set(e, 500, "serve.listen_failed", "check the address and your permissions",
                    "cannot listen on %s: %s", where, strerror(err));
        return -1;
    }
    if (listen(fd, 1024) != 0) {
        err_set(e, 500, "serve.listen_failed", NULL, "cannot listen on %s: %s", where,
                strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
