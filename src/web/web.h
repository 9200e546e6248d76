/* web.h - the web app, served by the binary.
 *
 * web/build.mjs bundles web/src and writes every file, with its gzip and brotli variants
 * made at build time, as the table below (web_assets.c in the build directory); the routes
 * in web.c serve it: the pages' shell in the caller's language, the content-hashed files
 * with immutable caching, the service worker and the manifest with no-cache, each with a
 * strong ETag (304 when it matches) and the CSP. `serve --assets-dir DIR` serves the same
 * files from DIR instead (web/build.mjs's second argument writes them there). */
#ifndef TRUCE_WEB_WEB_H
#define TRUCE_WEB_WEB_H

#include <stddef.h>

typedef struct web_asset {
    const char *path; /* "/assets/main-HASH.js", "/sw.js"; "shell.LANG.html" for the shells */
    const char *type; /* Content-Type */
    const unsigned char *body;
    size_t len;
    const unsigned char *gz;
    size_t gz_len;
    const unsigned char *br;
    size_t br_len;
    const char *etag; /* "\"...\"": of the bytes as built; a variant's adds -gz or -br */
    int immutable;    /* Content-hashed name: cached for a year. */
} web_asset;

extern const web_asset web_assets[];
extern const size_t web_n_assets;

/* The policy every page and file is served with: nothing from elsewhere, no inline
 * script or style, no eval. */
#define WEB_CSP                                                                                    \
    "default-src 'self'; img-src 'self' blob:; object-src 'none'; base-uri 'none'; "               \
    "frame-ancestors 'none'; form-action 'self'"

#endif
