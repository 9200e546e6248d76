/* web.c - the web app's routes: its pages (one shell, in the caller's language, for every
 * page path; the script draws the page the path names), its files and its service worker.
 *
 * Each file is served as built: the brotli or gzip variant the client accepts, made at
 * build time (web/build.mjs), from memory, uncopied. Content-hashed files are cached for a
 * year; the shell, the service worker and the manifest are revalidated every time
 * (no-cache) and cost a 304 when unchanged. */
#include "web/routes.h"

#include "http/internal.h"
#include "web/web.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IMMUTABLE "public, max-age=31536000, immutable"

static const web_asset *find(const char *path)
{
    for (size_t i = 0; i < web_n_assets; i++)
        if (!strcmp(web_assets[i].path, path)) return &web_assets[i];
    return NULL;
}

/* Whether If-None-Match names etag (or is "*"); weak tags compare as strong ones do here,
 * since each variant has its own tag. */
static int etag_matches(const char *inm, const char *etag)
{
    if (!inm) return 0;
    return strchr(inm, '*') || strstr(inm, etag);
}

static void common_headers(http_req *r)
{
    http__header(r, "Content-Security-Policy", WEB_CSP);
    http__header(r, "Referrer-Policy", "same-origin");
}

/* Sends body (len bytes, already in `encoding` or NULL) with its tag, or a 304. */
static int send(http_req *r, const char *type, const void *body, size_t len, const char *encoding,
                const char *etag, const char *cache)
{
    common_headers(r);
    r->cache_control = cache;
    http__header(r, "ETag", etag);
    r->content_type = type;
    if (etag_matches(http__header_in(r, "If-None-Match"), etag)) {
        r->status = 304;
        r->static_body = "";
        r->static_len = 0;
        return 0;
    }
    r->status = 200;
    r->static_body = body;
    r->static_len = len;
    r->content_encoding = encoding;
    return 0;
}

static int send_asset(http_req *r, const web_asset *a)
{
    const char *ae = http__header_in(r, "Accept-Encoding");
    char *etag = arena_alloc(&r->mem, strlen(a->etag) + 4);
    size_t n = strlen(a->etag) - 1; /* before the closing quote */
    if (a->br_len < a->len && http__accepts(ae, "br")) {
        snprintf(etag, n + 5, "%.*s-br\"", (int)n, a->etag);
        return send(r, a->type, a->br, a->br_len, "br", etag,
                    a->immutable ? IMMUTABLE : "no-cache");
    }
    if (a->gz_len < a->len && http__accepts(ae, "gzip")) {
        snprintf(etag, n + 5, "%.*s-gz\"", (int)n, a->etag);
        return send(r, a->type, a->gz, a->gz_len, "gzip", etag,
                    a->immutable ? IMMUTABLE : "no-cache");
    }
    return send(r, a->type, a->body, a->len, NULL, a->etag, a->immutable ? IMMUTABLE : "no-cache");
}

static int not_found(http_req *r, const char *path)
{
    tr_err e = TR_ERR_INIT;
    err_set(&e, 404, "route.not_found", "the web app's files are under /assets/", "no file %.100s",
            path);
    return http__fail(r, &e);
}

static const char *type_of(const char *name)
{
    static const char *const types[][2] = {
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".html", "text/html; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (!strcmp(dot, types[i][0])) return types[i][1];
    return "application/octet-stream";
}

/* --assets-dir: the file at DIR/name, read whole, revalidated every time (it changes while
 * one develops). Names are one or two segments of [A-Za-z0-9._-], never "..". */
static int send_from_dir(http_req *r, const char *name)
{
    const char *dir = r->srv->cfg.assets_dir;
    for (const char *p = name; *p; p++)
        if (!(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/", *p)))
            return not_found(r, name);
    if (strstr(name, "..") || strchr(name, '/') != strrchr(name, '/')) return not_found(r, name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
        if (fd >= 0) close(fd);
        return not_found(r, name);
    }
    char *body = arena_alloc(&r->mem, (size_t)st.st_size + 1);
    ssize_t got = read(fd, body, (size_t)st.st_size);
    close(fd);
    if (got != st.st_size) return not_found(r, name);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)body, (unsigned long long)got);
    char *etag = arena_alloc(&r->mem, 20);
    snprintf(etag, 20, "\"%02x%02x%02x%02x%02x%02x%02x%02x\"", h[0], h[1], h[2], h[3], h[4], h[5],
             h[6], h[7]);
    /* The arena lives until the reply is sent. */
    return send(r, type_of(name), body, (size_t)got, NULL, etag, "no-cache");
}

static int serve_file(http_req *r, const char *path)
{
    if (r->srv->cfg.assets_dir) return send_from_dir(r, path + 1);
    const web_asset *a = find(path);
    return a ? send_asset(r, a) : not_found(r, path);
}

/* Every page: the shell in the caller's language. A ?lang= is remembered in a cookie, so
 * the next page (and the service worker's copy) keeps it. */
static int h_page(http_req *r)
{
    const char *lang = http__lang(r);
    char *name = arena_alloc(&r->mem, 16);
    snprintf(name, 16, "shell.%s.html", lang);
    const char *q = http__query(r, "lang");
    if (q && !strcmp(q, lang)) {
        char *cookie = arena_alloc(&r->mem, 96);
        snprintf(cookie, 96, "truce_lang=%s; Path=/; Max-Age=31536000; SameSite=Lax", lang);
        http__header(r, "Set-Cookie", cookie);
    }
    http__header(r, "Content-Language", lang);
    r->vary = "Accept-Encoding, Accept-Language, Cookie";
    if (r->srv->cfg.assets_dir) return send_from_dir(r, name);
    const web_asset *a = find(name);
    return a ? send_asset(r, a) : not_found(r, name);
}

static int h_asset(http_req *r)
{
    char *path = arena_alloc(&r->mem, strlen(r->params[0]) + 16);
    sprintf(path, "/assets/%s", r->params[0]);
    return serve_file(r, path);
}

static int h_sw(http_req *r)
{
    /* The worker may control the whole site from /sw.js. */
    return serve_file(r, "/sw.js");
}

static int h_manifest(http_req *r)
{
    return serve_file(r, "/manifest.webmanifest");
}

const http_route web_routes[] = {
    {"GET", "/", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/incidents/{id}", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/login", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/report", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/monitor", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/comply", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/aid", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/mediate", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/negotiate", h_page, WHO_PUBLIC, 0, NULL},
    {"GET", "/assets/*", h_asset, WHO_PUBLIC, 0, NULL},
    {"GET", "/sw.js", h_sw, WHO_PUBLIC, 0, NULL},
    {"GET", "/manifest.webmanifest", h_manifest, WHO_PUBLIC, 0, NULL},
    {NULL, NULL, NULL, 0, 0, NULL},
};
